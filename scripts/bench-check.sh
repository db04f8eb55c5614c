#!/usr/bin/env bash
# Whole-command benchmark: `mcready check` on a healthy LAN: a PBX answering 200 OK and NOTIFY and serving
# its provisioning URL over HTTP, and a bridge querier. check waits the stated 1 s for a second server after
# the first answer (docs/usage.md, "The waiting window"), so its wall time is about 1 s; the budget is the
# CPU spent beyond the protocol's waits (docs/testing.md).
# Builds a throwaway lab of network namespaces (198.51.100.0/24 only) and removes it; needs root,
# iproute2, python3 and hyperfine (Debian packages). Nothing leaves the namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (ip netns)" >&2; exit 2; }
cargo build --release --quiet
. scripts/lab.sh
lab_up "bench$$" mcast_snooping 1 mcast_querier 1
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
