#!/usr/bin/env bash
# Whole-command benchmark: `mcready check` on a healthy LAN: a PBX answering 200 OK and NOTIFY and serving
# its provisioning URL over HTTP, and a bridge querier. Goal: < 50 ms median (without --listen, check waits
# for a second server in proportion to the first answer's round trip, and for the NOTIFY and the fetch only
# as long as they take).
# Builds a throwaway lab of network namespaces (198.51.100.0/24 only) and removes it; needs root,
# iproute2, python3 and hyperfine (Debian packages). Nothing leaves the namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (ip netns)" >&2; exit 2; }
cargo build --release --quiet
id=bench$$ pbx=bench$$-pbx phone=bench$$-phone switch=bench$$-switch
cleanup() {
  for ns in "$pbx" "$phone" "$switch"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT
for ns in "$pbx" "$phone" "$switch"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$switch" link add br0 type bridge mcast_snooping 1 mcast_querier 1
ip -n "$switch" link set br0 up
ip link add p-pbx netns "$switch" type veth peer name eth0 netns "$pbx"
ip link add p-phone netns "$switch" type veth peer name eth0 netns "$phone"
for port in p-pbx p-phone; do ip -n "$switch" link set "$port" master br0 up; done
ip -n "$pbx" link set eth0 up; ip -n "$phone" link set eth0 up
ip -n "$pbx" addr add 198.51.100.10/24 dev eth0
ip -n "$phone" addr add 198.51.100.20/24 dev eth0
ip -n "$pbx" route add default via 198.51.100.1
ip netns exec "$pbx" python3 tests/fixtures/lab/pbx.py 198.51.100.10 >/dev/null &
sleep 1
json=$(mktemp)
hyperfine --shell=none --warmup 3 --runs "${RUNS:-30}" --export-markdown "${OUT:-/dev/stdout}" --export-json "$json" \
  "ip netns exec $pbx target/release/mcready check --json --phone 198.51.100.20" \
  "ip netns exec $pbx target/release/mcready check --json --no-probe --phone 198.51.100.20"
# The goal is a median: print each command's.
python3 - "$json" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    print(f"median {result['median'] * 1000:.1f} ms  {result['command'].split('mcready ', 1)[1]}")
PY
rm -f "$json"
