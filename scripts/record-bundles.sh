#!/usr/bin/env bash
# Records the regression bundles of tests/fixtures/bundles/ from namespace lab scenarios: each scenario
# builds a throwaway LAN (pbx — switch br0 with an IGMP querier — phone), sets up what it is about,
# runs `mcready check --bundle` on the PBX host and writes the verdict and the four requirements'
# statuses the live run gave to tests/fixtures/bundles/expected.txt (`NAME VERDICT S1,S2,S3,S4`),
# which `cargo test` (tests/bundles.rs) holds every replay to.
# See docs/bundle.md ("A bug report becomes a test").
#
#   scripts/record-bundles.sh              # every scenario
#   scripts/record-bundles.sh wrong-nic    # only the ones named
#
# Needs root, iproute2, nftables, iptables, python3 and sipp. Nothing leaves the namespaces: they are
# joined only to each other, use 198.51.100.0/24 and 203.0.113.0/24, and mcready runs only inside them
# (with the host name `lab-pbx`, in a UTS namespace of its own).
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "record-bundles: needs root (ip netns)" >&2; exit 2; }
cargo build --quiet --bin mcready
mcready="$(pwd)/target/debug/mcready"
out=tests/fixtures/bundles
expected="$out/expected.txt"
id="rb$$"
pbx="$id-pbx" phone="$id-phone" switch="$id-sw"

cleanup() {
  for ns in "$pbx" "$phone" "$switch"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT

lan() {
  cleanup
  for ns in "$pbx" "$phone" "$switch"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n "$switch" link add br0 type bridge mcast_snooping 1 mcast_querier 1 mcast_query_interval 100 \
    mcast_startup_query_interval 100
  ip -n "$switch" link set br0 up
  ip link add p-pbx netns "$switch" type veth peer name eth0 netns "$pbx"
  ip link add p-phone netns "$switch" type veth peer name eth0 netns "$phone"
  for port in p-pbx p-phone; do
    ip -n "$switch" link set "$port" master br0
    ip -n "$switch" link set "$port" up
  done
  ip -n "$pbx" addr add 198.51.100.10/24 dev eth0
  ip -n "$phone" addr add 198.51.100.20/24 dev eth0
  ip -n "$pbx" link set eth0 up
  ip -n "$phone" link set eth0 up
  ip -n "$pbx" route add default via 198.51.100.1
  ip -n "$phone" route add 224.0.0.0/4 dev eth0
}

in_pbx() { ip netns exec "$pbx" "$@"; }

start_pbx() { # ARGS… of tests/fixtures/lab/pbx.py
  in_pbx python3 tests/fixtures/lab/pbx.py "$@" >/dev/null 2>&1 &
  for _ in $(seq 300); do
    if in_pbx grep -q 4B0100E0 /proc/net/igmp && in_pbx ss -Hlun 'sport = :5060' | grep -q .; then
      sleep 0.2
      return
    fi
    sleep 0.01
  done
  echo "record-bundles: the lab PBX did not start" >&2
  exit 1
}

# A phone booting: sipp's PnP SUBSCRIBE every half second for a while, in the background.
phone_boots() {
  ip netns exec "$phone" bash -c "for i in \$(seq 14); do sipp -sf tests/fixtures/sipp/pnp-subscribe.xml -m 1 \
    -i 198.51.100.20 -p 5080 -key mac 001565aabbcc -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; \
    sleep 0.5; done" &
}

record() { # NAME, then check's options
  local name=$1
  shift
  local file="$out/$name.json"
  local verdict
  verdict=$(in_pbx unshare --uts bash -c 'hostname lab-pbx && exec "$@"' - \
    "$mcready" check --json --timeout 1 --bundle "$file" "$@" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["verdict"], ",".join(q["status"] for q in r["requirements"]))') || true
  [ -s "$file" ] || { echo "record-bundles: $name: no bundle written" >&2; exit 1; }
  chmod 644 "$file"
  grep -v "^$name " "$expected" 2>/dev/null >"$expected.new" || true
  echo "$name $verdict" >>"$expected.new"
  sort "$expected.new" >"$expected"
  rm -f "$expected.new"
  echo "record-bundles: $name: $verdict" >&2
  wait_children
}

wait_children() { for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done; wait 2>/dev/null || true; }

scenario() { # NAME: builds the LAN, sets the scenario up, records
  lan
  case $1 in
    healthy)
      start_pbx 198.51.100.10
      record healthy --phone 198.51.100.20 ;;
    healthy-anonymised)
      start_pbx 198.51.100.10
      record healthy-anonymised --phone 198.51.100.20 --anonymise ;;
    phone-booting)
      start_pbx 198.51.100.10
      phone_boots
      record phone-booting --no-probe --phone 198.51.100.20 --listen 4 ;;
    no-pbx)
      record no-pbx --no-probe --phone 198.51.100.20 ;;
    nft-drop)
      start_pbx 198.51.100.10
      in_pbx nft -f - <<'EOF'
table inet t {
  chain input { type filter hook input priority 0; policy accept; ct state established accept; udp dport 5060 drop; }
}
EOF
      record nft-drop --no-probe --phone 198.51.100.20 ;;
    iptables-legacy-drop)
      start_pbx 198.51.100.10
      in_pbx iptables-legacy -A INPUT -p udp --dport 5060 -j DROP
      record iptables-legacy-drop --no-probe --phone 198.51.100.20
      in_pbx iptables-legacy -F INPUT ;;
    iptables-nft-drop)
      start_pbx 198.51.100.10
      in_pbx iptables-nft -A INPUT -p udp -s 198.51.100.0/24 --dport 5060 -j DROP
      record iptables-nft-drop --no-probe --phone 198.51.100.20 ;;
    wrong-nic)
      # A second NIC that the OS routes the group by: a PBX joining without naming an interface lands there.
      ip link add wan netns "$pbx" type veth peer name upstream netns "$switch"
      ip -n "$switch" link set upstream up
      ip -n "$pbx" addr add 203.0.113.10/24 dev wan
      ip -n "$pbx" link set wan up multicast on
      ip -n "$pbx" route add 224.0.0.0/4 dev wan
      start_pbx 198.51.100.10 --any
      record wrong-nic --no-probe --phone 198.51.100.20 ;;
    rp-filter-strict)
      start_pbx 198.51.100.10
      in_pbx sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1
      record rp-filter-strict --no-probe --phone 198.51.100.20 ;;
    *) echo "record-bundles: no scenario $1" >&2; exit 2 ;;
  esac
}

all=(healthy healthy-anonymised phone-booting no-pbx nft-drop iptables-legacy-drop iptables-nft-drop wrong-nic rp-filter-strict)
mkdir -p "$out"
[ "$#" -gt 0 ] || set -- "${all[@]}"
for name in "$@"; do
  scenario "$name"
done
