#!/usr/bin/env bash
# The README's example run, reproduced: the namespace lab of the tests (tests/common/mod.rs) — a Linux
# bridge with an IGMP querier as the switch, the stand-in PBX tests/fixtures/lab/pbx.py (which also
# serves the provisioning URL) on the PBX host, and sipp sending the PnP SUBSCRIBE fixture from the
# phone host — then `mcready check --phone 198.51.100.20 --listen 3` on the PBX host, printed as the
# README shows it. Everything stays inside namespaces this script makes and removes.
#
#   scripts/readme-run.sh [path/to/mcready]   (default target/release/mcready; needs root, iproute2,
#                                              python3, sipp)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/mcready}
[ "$(id -u)" = 0 ] || { echo "readme-run: needs root (ip netns)" >&2; exit 2; }
[ -x "$bin" ] || { echo "readme-run: $bin missing: cargo build --release" >&2; exit 2; }
id=readme$$
switch=$id-switch pbx=$id-pbx phone=$id-phone
cleanup() {
  for ns in "$pbx" "$phone" "$switch"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT
for ns in "$switch" "$pbx" "$phone"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$switch" link add br0 type bridge mcast_snooping 1 mcast_querier 1 mcast_query_interval 100 \
  mcast_startup_query_interval 100
ip -n "$switch" link set br0 up
for host in pbx phone; do
  ns=$id-$host
  ip link add "p-$host" netns "$switch" type veth peer name eth0 netns "$ns"
  ip -n "$switch" link set "p-$host" master br0 up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add 224.0.0.0/4 dev eth0 2>/dev/null || true
done
ip -n "$pbx" addr add 198.51.100.10/24 dev eth0
ip -n "$phone" addr add 198.51.100.20/24 dev eth0
ip -n "$pbx" route replace 224.0.0.0/4 dev eth0
ip -n "$phone" route replace 224.0.0.0/4 dev eth0
ip netns exec "$pbx" python3 tests/fixtures/lab/pbx.py 198.51.100.10 >/dev/null 2>&1 &
for _ in $(seq 300); do
  ip netns exec "$pbx" grep -q 4B0100E0 /proc/net/igmp && break
  sleep 0.01
done
sleep 0.3
# A booting phone retransmits: sipp sends the fixture every half second while check listens.
ip netns exec "$phone" bash -c "for i in \$(seq 14); do sipp -sf tests/fixtures/sipp/pnp-subscribe.xml -m 1 \
  -i 198.51.100.20 -p 5080 -key mac 001565aabbcc -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; \
  sleep 0.5; done" &
echo '$ mcready check --phone 198.51.100.20 --listen 3     # a phone rebooting meanwhile'
ip netns exec "$pbx" "$bin" check --color never --phone 198.51.100.20 --listen 3 || true
