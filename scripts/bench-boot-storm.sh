#!/usr/bin/env bash
# Boot-storm benchmark for `mcready listen`: PHONES distinct phones, each SUBSCRIBE sent twice, RATE
# datagrams/s for SECS seconds over a veth pair between two namespaces this script creates and
# removes (198.51.100.0/24 only; nothing leaves the lab). Reports datagrams sent against what listen
# counted, whether every phone was listed, the kernel's Udp RcvbufErrors in the listener's namespace,
# and listen's peak RSS. Goal: no loss, all phones, peak RSS <= 20 MB. Needs root, iproute2, GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
PHONES=${PHONES:-5000} RATE=${RATE:-10000} SECS=${SECS:-10}
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
cargo build --release --quiet --bin mcready --example boot_storm

. scripts/bench-lab.sh mcrbench
ip -n "$PHONE" addr add 198.51.100.7/24 dev eth0
ip -n "$PHONE" route add 224.0.0.0/4 dev eth0

rcvbuf_errors() { ip netns exec "$PBX" awk '/^Udp:/ { if (!h) { for (i=1;i<=NF;i++) if ($i=="RcvbufErrors") c=i; h=1 } else print $c }' /proc/net/snmp; }
before=$(rcvbuf_errors)
LISTEN_SECS=$((SECS + 3))
ip netns exec "$PBX" /usr/bin/time -v -o "$OUT/time" target/release/mcready listen -i eth0 \
  --duration "$LISTEN_SECS" --json >"$OUT/listen.json" 2>"$OUT/listen.err" &
listener=$!
# Start when listen has its capture (a packet socket). It opens no group socket here: nothing on this
# host joined the group, and listen joins only where something had (docs/listen.md).
for _ in $(seq 500); do
  if [ "$(ip netns exec "$PBX" sh -c "wc -l </proc/net/packet")" -gt 1 ]; then break; fi
  sleep 0.01
done
ip netns exec "$PHONE" target/release/examples/boot_storm 198.51.100.7 "$PHONES" "$RATE" "$SECS" >"$OUT/storm"
wait "$listener" || true
after=$(rcvbuf_errors)

python3 - "$OUT" "$PHONES" "$((before))" "$((after))" <<'PY'
import json, re, sys
out, phones, before, after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
storm = open(f"{out}/storm").read()
sent = int(re.search(r"sent=(\d+)", storm).group(1))
doc = json.load(open(f"{out}/listen.json"))
counted = sum(p["subscribes"] for p in doc["phones"])
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{out}/time").read()).group(1))
print(f"flooder:            {storm.strip()}")
print(f"heard_by:           {doc['heard_by']}")
print(f"datagrams sent:     {sent}")
print(f"SUBSCRIBEs counted: {counted} ({sent - counted} lost)")
print(f"phones listed:      {len(doc['phones'])} of {phones}")
print(f"junk:               {doc['junk']}")
print(f"Udp RcvbufErrors:   {after - before} (namespace /proc/net/snmp, during the run)")
print(f"peak RSS:           {rss / 1024:.1f} MiB")
t = open(f"{out}/time").read()
cpu = {k: re.search(rf"{re.escape(k)}: (.+)", t).group(1) for k in ("User time (seconds)", "System time (seconds)", "Percent of CPU this job got")}
print(f"listen CPU:         user {cpu['User time (seconds)']} s, system {cpu['System time (seconds)']} s, {cpu['Percent of CPU this job got']}")
PY
