#!/usr/bin/env bash
# The README's example run, reproduced: the namespace lab of the tests (tests/common/mod.rs) — a Linux
# bridge with an IGMP querier as the switch, the stand-in PBX tests/fixtures/lab/pbx.py (which also
# serves the provisioning URL) on the PBX host, and sipp sending the PnP SUBSCRIBE fixture from the
# phone host — then `mcready check --phone 198.51.100.20 --listen 3` on the PBX host, and the same
# check without a listening window (`-q`: the verdict line, naming what was left untested), printed as
# the README shows them. Everything stays inside namespaces this script makes and removes.
#
#   scripts/readme-run.sh [path/to/mcready]   (default target/release/mcready; needs root, iproute2,
#                                              python3, sipp)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/mcready}
[ "$(id -u)" = 0 ] || { echo "readme-run: needs root (ip netns)" >&2; exit 2; }
[ -x "$bin" ] || { echo "readme-run: $bin missing: cargo build --release" >&2; exit 2; }
. scripts/lab.sh
lab_up "readme$$" mcast_snooping 1 mcast_querier 1 mcast_query_interval 100 mcast_startup_query_interval 100
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
phone_boots=$!
echo '$ mcready check --phone 198.51.100.20 --listen 3     # a phone rebooting meanwhile'
ip netns exec "$pbx" "$bin" check --color never --phone 198.51.100.20 --listen 3 || true
wait "$phone_boots"
echo
echo '$ mcready check -q --phone 198.51.100.20                # no --listen, no --peer'
ip netns exec "$pbx" "$bin" check -q --color never --phone 198.51.100.20 || true
