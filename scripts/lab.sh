# Sourced by the scripts that need the tests' bridge lab (tests/common/mod.rs, `bridged_pbx_and_phone`)
# outside the test suite: scripts/readme-run.sh, scripts/bench-check.sh.
#
#   lab_up PREFIX [BRIDGE OPTION…]   namespaces PREFIX-switch (bridge br0 with the options), PREFIX-pbx
#                                    (eth0 198.51.100.10/24) and PREFIX-phone (eth0 198.51.100.20/24), each
#                                    host routing 224.0.0.0/4 by eth0; sets $switch, $pbx and $phone and
#                                    removes everything at exit. Needs root and iproute2.
lab_cleanup() {
  for ns in "$pbx" "$phone" "$switch"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

lab_up() {
  local prefix=$1 host ns
  shift
  switch=$prefix-switch pbx=$prefix-pbx phone=$prefix-phone
  trap lab_cleanup EXIT
  for ns in "$switch" "$pbx" "$phone"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n "$switch" link add br0 type bridge "$@"
  ip -n "$switch" link set br0 up
  for host in pbx phone; do
    ns=$prefix-$host
    ip link add "p-$host" netns "$switch" type veth peer name eth0 netns "$ns"
    ip -n "$switch" link set "p-$host" master br0 up
    ip -n "$ns" link set eth0 up
  done
  ip -n "$pbx" addr add 198.51.100.10/24 dev eth0
  ip -n "$phone" addr add 198.51.100.20/24 dev eth0
  ip -n "$pbx" route replace 224.0.0.0/4 dev eth0
  ip -n "$phone" route replace 224.0.0.0/4 dev eth0
}
