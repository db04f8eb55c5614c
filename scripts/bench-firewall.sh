#!/usr/bin/env bash
# Firewall benchmark, in one network namespace of its own (nothing touches this host's firewall):
#  1. a 4,000-rule kube-proxy-shaped ruleset loaded with iptables-nft-restore: `mcready check --no-probe -q`
#     against `nft -j list ruleset` alone. Goal: within 1.3x. (mcready reads these tables from
#     iptables-nft-save and skips the full nft listing.)
#  1b. the same shape in kube-proxy's nftables mode (about 4,000 rules in `table ip kube-proxy`), where the
#     full nft listing is needed. Goal: within 1.3x.
#  2. the 14 x 4 nested ruleset (14 chains, each jumping 4 times to the next): `check --no-probe -q`.
#     Goal: under 1 s.
# Rulesets come from scripts/gen-firewall-ruleset.py. Needs root, hyperfine, nft, iptables.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 2; }
[ -x target/release/mcready ] || cargo build --release --quiet --bin mcready
ns="mcr-fwbench-$$"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
fresh() {
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" link add eth0 type veth peer name eth1
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set eth1 up
  ip -n "$ns" addr add 198.51.100.10/24 dev eth0
}
runs=${RUNS:-30}

fresh
python3 scripts/gen-firewall-ruleset.py kube-proxy 500 | ip netns exec "$ns" iptables-nft-restore
echo "kube-proxy-shaped: $(ip netns exec "$ns" iptables-nft-save | grep -c '^-A') rules"
# check exits 1 on a failing verdict (no PBX here): that is an answer, not a failure.
hyperfine --shell=none --ignore-failure --warmup 3 --runs "$runs" --export-markdown "${OUT:-/dev/stdout}" \
  "ip netns exec $ns target/release/mcready check --no-probe -q --phone 198.51.100.20" \
  "ip netns exec $ns nft -j list ruleset"

fresh
python3 scripts/gen-firewall-ruleset.py kube-proxy-nft 570 | ip netns exec "$ns" nft -f -
echo "kube-proxy-shaped, nftables mode: $(ip netns exec "$ns" nft -a list ruleset | grep -c '# handle') rules"
hyperfine --shell=none --ignore-failure --warmup 3 --runs "$runs" --export-markdown "${OUT1B:-/dev/stdout}" \
  "ip netns exec $ns target/release/mcready check --no-probe -q --phone 198.51.100.20" \
  "ip netns exec $ns nft -j list ruleset"

fresh
python3 scripts/gen-firewall-ruleset.py nested 14 4 | ip netns exec "$ns" nft -f -
hyperfine --shell=none --ignore-failure --warmup 3 --runs "$runs" --export-markdown "${OUT2:-/dev/stdout}" \
  "ip netns exec $ns target/release/mcready check --no-probe -q --phone 198.51.100.20"
