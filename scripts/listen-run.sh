#!/usr/bin/env bash
# docs/listen.md's live run, reproduced: the tests' bridge lab (scripts/lab.sh), the lab PBX
# (tests/fixtures/lab/pbx.py --fill-mac --register challenge --vendors yealink) on the PBX host, and on
# the phone host eight phones rebooting: six from examples/rollout.rs (SUBSCRIBE, file, REGISTER), one
# sipp phone that is provisioned but never asks for its file, and one snom phone the PBX does not
# answer. `mcready listen --until-all` runs on a pseudo-terminal (`script`, 100×30) in the PBX's
# namespace; printed: the terminal's last frame and the document under it, as the terminal showed them
# (colours off). Everything stays inside namespaces this script makes and removes.
#
#   scripts/listen-run.sh [path/to/mcready]   (default target/release/mcready; needs root, iproute2,
#                                              python3, sipp, script)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/mcready}
[ "$(id -u)" = 0 ] || { echo "listen-run: needs root (ip netns)" >&2; exit 2; }
[ -x "$bin" ] || { echo "listen-run: $bin missing: cargo build --release" >&2; exit 2; }
cargo build --release --quiet --example rollout
. scripts/lab.sh
lab_up "lrun$$"
for host in 7 8 $(seq 21 26); do ip -n "$phone" addr add "198.51.100.$host/24" dev eth0; done
screen=$(mktemp)
trap 'rm -f "$screen"; lab_cleanup' EXIT
ip netns exec "$pbx" python3 tests/fixtures/lab/pbx.py 198.51.100.10 --fill-mac --register challenge \
  --vendors yealink >/dev/null 2>&1 &
for _ in $(seq 300); do ip netns exec "$pbx" grep -q 4B0100E0 /proc/net/igmp && break; sleep 0.01; done
sleep 0.3
ip netns exec "$pbx" script -qfec "stty cols 100 rows 30; TERM=xterm NO_COLOR=1 $bin listen -i eth0 \
  --duration 60 --until-all" "$screen" >/dev/null </dev/null &
watcher=$!
for _ in $(seq 500); do [ "$(ip netns exec "$pbx" sh -c 'wc -l </proc/net/packet')" -gt 1 ] && break; sleep 0.01; done
# Six phones over three seconds, each through its file and its registration.
ip netns exec "$phone" target/release/examples/rollout 198.51.100.10 6 3 198.51.100.21-26 >/dev/null &
# One provisioned by PnP that never asks for its file.
ip netns exec "$phone" sipp -sf tests/fixtures/sipp/pnp-provision.xml -m 1 -i 198.51.100.7 -p 5060 \
  -key mac 001565aabbcc -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1 &
# A snom phone: the PBX provisions Yealinks only.
ip netns exec "$phone" python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.bind(("198.51.100.8", 5060))
s.sendto((
    "SUBSCRIBE sip:MAC%3a000413aabb01@224.0.1.75 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.8:5060;branch=z9hG4bKsnom1\r\n"
    "From: <sip:MAC%3a000413aabb01@224.0.1.75>;tag=1\r\nTo: <sip:MAC%3a000413aabb01@224.0.1.75>\r\n"
    "Call-ID: snom1@198.51.100.8\r\nCSeq: 1 SUBSCRIBE\r\nContact: <sip:198.51.100.8:5060>\r\n"
    "Event: ua-profile;profile-type=\"device\";vendor=\"snom\";model=\"D735\";version=\"10.1.101.11\"\r\n"
    "User-Agent: snom D735 10.1.101.11\r\nExpires: 0\r\nAccept: application/url\r\nContent-Length: 0\r\n\r\n"
).encode(), ("224.0.1.75", 5060))
PY
wait "$watcher" || true
echo '$ mcready listen -i eth0 --duration 60 --until-all     # eight phones rebooted meanwhile'
# The last frame: what follows the last "erase below"; carriage returns and colours off.
python3 - "$screen" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
last = text.rsplit("\x1b[J", 1)[-1]
plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", last).replace("\r", "")
# script's own footer in its log is not the terminal's.
print("\n".join(l for l in plain.splitlines() if not l.startswith("Script done on")).rstrip())
PY
