# Sourced by the benchmarks: two namespaces, $PBX and $PHONE, on one veth pair (eth0 at each end, up),
# the PBX at 198.51.100.10/24, a scratch directory $OUT, and all of it removed on exit (the processes in
# the namespaces ended by id first). Usage: `. scripts/bench-lab.sh PREFIX`.
LAB="$1$$"
PBX="$LAB-pbx" PHONE="$LAB-phone"
OUT=$(mktemp -d)
cleanup() {
  for ns in "$PBX" "$PHONE"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$OUT"
}
trap cleanup EXIT
ip netns add "$PBX"; ip netns add "$PHONE"
ip -n "$PBX" link set lo up; ip -n "$PHONE" link set lo up
ip link add eth0 netns "$PBX" type veth peer name eth0 netns "$PHONE"
ip -n "$PBX" link set eth0 up; ip -n "$PHONE" link set eth0 up
ip -n "$PBX" addr add 198.51.100.10/24 dev eth0
