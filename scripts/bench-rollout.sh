#!/usr/bin/env bash
# Rollout benchmark for `mcready listen`: PHONES phones (default 1000) go through every stage within SECS
# seconds (default 45) — PnP SUBSCRIBE, the PBX's 200 OK and NOTIFY, an HTTP GET of the file, REGISTER,
# a 401 challenge, REGISTER again and its 200 — over a veth pair between two namespaces this script
# creates and removes (198.51.100.0/24 and 203.0.113.0/24 only; nothing leaves the lab). The phones are
# `examples/rollout.rs` in one namespace, from 400 addresses taken in turn (the two test ranges hold no
# more); the PBX is the lab's `tests/fixtures/lab/pbx.py --fill-mac --register challenge` in the other,
# where `mcready listen --until PHONES --json` (release build) follows them under GNU time.
# Checks that no stage was lost: every phone listed once, with each of its seven stages `ok`; reports
# why the window ended, listen's peak RSS (target <= 50 MB) and its CPU. Needs root, iproute2,
# python3, GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
PHONES=${PHONES:-1000} SECS=${SECS:-45} WINDOW=${WINDOW:-90}
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3 (the lab PBX)" >&2; exit 2; }
cargo build --release --quiet --bin mcready --example rollout

. scripts/bench-lab.sh mcrroll
ip -n "$PBX" addr add 203.0.113.10/24 dev eth0
# 200 phone addresses in each test range: .20 to .219.
for host in $(seq 20 219); do
  echo "addr add 198.51.100.$host/24 dev eth0"
  echo "addr add 203.0.113.$host/24 dev eth0"
done | ip -n "$PHONE" -batch -
ip -n "$PHONE" route add 224.0.0.0/4 dev eth0

ip netns exec "$PBX" python3 tests/fixtures/lab/pbx.py 198.51.100.10 --fill-mac --register challenge \
  >"$OUT/pbx.out" 2>"$OUT/pbx.err" &
for _ in $(seq 500); do grep -q ready "$OUT/pbx.out" 2>/dev/null && break; sleep 0.01; done
grep -q ready "$OUT/pbx.out" || { echo "the lab PBX did not start: $(cat "$OUT/pbx.err")" >&2; exit 1; }

ip netns exec "$PBX" /usr/bin/time -v -o "$OUT/time" target/release/mcready listen -i eth0 \
  --duration "$WINDOW" --until "$PHONES" --json >"$OUT/listen.json" 2>"$OUT/listen.err" &
listener=$!
# Start when listen has its capture (a packet socket).
for _ in $(seq 500); do
  if [ "$(ip netns exec "$PBX" sh -c "wc -l </proc/net/packet")" -gt 1 ]; then break; fi
  sleep 0.01
done
ip netns exec "$PHONE" target/release/examples/rollout 198.51.100.10 "$PHONES" "$SECS" \
  198.51.100.20-219,203.0.113.20-219 >"$OUT/rollout" 2>"$OUT/rollout.err"
wait "$listener" || true

python3 - "$OUT" "$PHONES" <<'PY'
import collections, json, re, sys
out, phones = sys.argv[1], int(sys.argv[2])
rollout = open(f"{out}/rollout").read().strip()
failures = open(f"{out}/rollout.err").read().splitlines()
doc = json.load(open(f"{out}/listen.json"))
kinds = ["subscribe", "answer", "notify", "file-request", "file-answer", "register", "register-answer"]
ok = collections.Counter()
complete = 0
for p in doc["phones"]:
    seen = [(s["stage"], s["result"]) for s in p["stages"]]
    for kind in kinds:
        if (kind, "ok") in seen:
            ok[kind] += 1
    complete += all((kind, "ok") in seen for kind in kinds)
t = open(f"{out}/time").read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
cpu = {k: re.search(rf"{re.escape(k)}: (.+)", t).group(1) for k in ("User time (seconds)", "System time (seconds)", "Percent of CPU this job got", "Elapsed (wall clock) time (h:mm:ss or m:ss)")}
print(f"phones (generator): {rollout}")
for line in failures[:5]:
    print(f"  failed: {line}")
print(f"window:             {doc['duration_secs']} s, ended by {doc.get('ended_by')}")
print(f"phones listed:      {len(doc['phones'])} of {phones}")
print("stages ok:          " + ", ".join(f"{kind} {ok[kind]}" for kind in kinds))
print(f"all seven stages:   {complete} of {phones} phones")
print(f"peak RSS:           {rss / 1024:.1f} MiB")
print(f"listen CPU:         user {cpu['User time (seconds)']} s, system {cpu['System time (seconds)']} s, {cpu['Percent of CPU this job got']} of {cpu['Elapsed (wall clock) time (h:mm:ss or m:ss)']} wall")
lost = phones - complete
print("RESULT:             " + ("no stage lost" if lost == 0 and len(doc["phones"]) == phones else f"{lost} phone(s) with a stage missing"))
sys.exit(0 if lost == 0 else 1)
PY
