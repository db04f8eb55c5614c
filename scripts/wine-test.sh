#!/usr/bin/env bash
# Builds mcready for x86_64-pc-windows-gnu and runs it under wine 8 inside a network namespace of its
# own: the unit and integration test binaries, then `mcready.exe interfaces --json`, `joins --json`,
# `check --no-probe --json` (whose output must show the namespace's adapters) and `probe --json`
# against the lab's stand-in PBX; `check --no-probe --json` with Windows Defender Firewall served by the
# fixture COM server (tests/fixtures/wine/firewall-com.c) from each recorded policy of
# tests/fixtures/wine/firewall/, judged as each requires (the `allowed` run kept as firewall-fixture.json); then, across namespaces joined by a bridge, `mcready.exe check --peer`
# against Linux `mcready respond`: passing (with a listening window), with a PBX holding the port, and
# with the switch blocking multicast; and Linux `check --peer` against `mcready.exe respond`. See
# docs/testing.md ("Windows under wine") and ../shared/cross-build.md.
#
#   scripts/wine-test.sh              # build, test, run mcready.exe
#   scripts/wine-test.sh --no-tests   # only build and run mcready.exe
#
# Needs root (ip netns), and the Debian packages rustc-web, cargo-web, rust-web-src,
# gcc-mingw-w64-x86-64, wine and wine64; the Linux mcready (for `respond`) is built with the `cargo` on
# PATH (rustup's, as in .ci/run). Nothing leaves the namespaces: the first has lo and a veth pair whose
# both ends stay inside it, the others are joined only to each other, and mcready.exe never runs
# outside them.
#
# Guards against a false green: wine's crash debugger is off (a crash would otherwise end the process
# with status 0), and every test binary cargo starts must print its `test result:` line.
set -euo pipefail
cd "$(dirname "$0")/.."

run_tests=1
[ "${1:-}" = "--no-tests" ] && run_tests=0

target=x86_64-pc-windows-gnu
parent=$(cd .. && pwd)
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_DIR="${CROSS_TARGET_DIR:-$parent/cross-target}"
# Anything that changes std's fingerprint rebuilds it (~60 s): keep RUSTFLAGS out of it.
unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS
work="${WINE_WORK_DIR:-$parent/wine-work}"
# hnetcfg and netprofm are wine's own (builtin) unless a run asks for the fixture COM server (step 6):
# with the fixture's native DLLs in system32, wine's default order would load them.
builtin_overrides="mscoree,mshtml=;hnetcfg,netprofm=b"
fixture_overrides="mscoree,mshtml=;hnetcfg,netprofm=n"
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="$builtin_overrides" WINEARCH=win64
ns="mcready-wine-$$"
# The peer test's namespaces: a switch (br0), the Windows host and a Linux phone-side host.
switch="$ns-sw" winhost="$ns-pbx" phonehost="$ns-phone"
log="$work/test.log"

for tool in /usr/bin/cargo /usr/bin/rustc x86_64-w64-mingw32-gcc wine wineboot wineserver ip python3; do
  command -v "$tool" >/dev/null || { echo "wine-test: $tool missing (see docs/testing.md)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "wine-test: needs root for its network namespace" >&2; exit 1; }
mkdir -p "$work"
start=$SECONDS

# 1. Build. The tests are built before any wine process starts, so a build error is a build error.
echo "wine-test: building for $target" >&2
/usr/bin/cargo build --locked --quiet -Zbuild-std --target "$target"
if [ "$run_tests" = 1 ]; then
  /usr/bin/cargo test --locked --quiet -Zbuild-std --target "$target" --lib --bins --tests --no-run
fi
exe="$CARGO_TARGET_DIR/$target/debug/mcready.exe"
# The Linux mcready, the far end of the peer test: the host toolchain, not Debian's cross one.
env -u RUSTC -u RUSTDOC -u RUSTC_BOOTSTRAP -u CARGO_TARGET_DIR cargo build --locked --quiet --bin mcready
linux_mcready="$(pwd)/target/debug/mcready"

# 2. Rust ≥ 1.78's std imports ProcessPrng from bcryptprimitives.dll, which wine 8 lacks: every .exe
# would fail with c0000135. A stand-in that asks BCryptGenRandom for the same bytes.
dll="$work/bcryptprimitives.dll"
x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" tests/fixtures/wine/bcryptprimitives.c \
  tests/fixtures/wine/bcryptprimitives.def -lbcrypt
# The fixture COM server (tests/fixtures/wine/firewall-com.c): Windows Defender Firewall's NetFwPolicy2
# class as hnetcfg.dll and the network list's NetworkListManager as netprofm.dll, one source for both.
for fixture in hnetcfg netprofm; do
  printf 'LIBRARY %s\nEXPORTS\n  DllGetClassObject PRIVATE\n  DllCanUnloadNow PRIVATE\n' "$fixture" >"$work/$fixture.def"
  x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -shared -o "$work/$fixture.dll" \
    tests/fixtures/wine/firewall-com.c "$work/$fixture.def" -lole32 -loleaut32 -luuid
done

# 3. The namespace: lo, and a veth pair with both ends inside — pbx0 is the PBX's LAN adapter,
# phones0 stands for the phones' side. The group's route leaves by pbx0.
cleanup() {
  # wineserver -k reaches the server through its socket in /tmp, from any namespace.
  wineserver -k 2>/dev/null || true
  for n in "$ns" "$switch" "$winhost" "$phonehost"; do
    ip netns del "$n" 2>/dev/null || true
  done
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up multicast on
ip -n "$ns" link add pbx0 type veth peer name phones0
ip -n "$ns" addr add 198.51.100.10/24 dev pbx0
ip -n "$ns" addr add 198.51.100.20/24 dev phones0
ip -n "$ns" link set pbx0 up multicast on
ip -n "$ns" link set phones0 up multicast on
ip -n "$ns" route add 224.0.0.0/4 dev pbx0
in_ns=(ip netns exec "$ns")

# 4. The prefix, booted inside the namespace (wine's network service sees the namespace it starts in).
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "wine-test: [$((SECONDS - start)) s] creating the wine prefix in $WINEPREFIX" >&2
  "${in_ns[@]}" wineboot --init >/dev/null 2>&1
fi
cp "$dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
# Over wine's placeholders: loaded only where WINEDLLOVERRIDES says native (fixture_overrides).
cp "$work/hnetcfg.dll" "$work/netprofm.dll" "$WINEPREFIX/drive_c/windows/system32/"
# Crash debugger off: a crashing test binary must fail, not exit 0 after winedbg.
"${in_ns[@]}" wine reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' \
  /v Debugger /d '' /f >/dev/null 2>&1
"${in_ns[@]}" wine reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' \
  /v Auto /d 0 /f >/dev/null 2>&1
# One wineserver for the whole run, in the namespace: by default it exits a few seconds after its last
# client, and a test binary starting just then loses it ("wine client error:0: recvmsg: Connection
# reset by peer", a red run for nothing).
start_wineserver() { # NAMESPACE
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
  ip netns exec "$1" wineserver -p
}
start_wineserver "$ns"

status=0

# 5. The test binaries, each through wine in the namespace.
if [ "$run_tests" = 1 ]; then
  echo "wine-test: [$((SECONDS - start)) s] running the tests under wine" >&2
  # The runner goes in --config, not CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER: assert_cmd reads that
  # variable inside the test process (a Windows process here) and would try to start `ip` from wine.
  set +e
  timeout 1200 /usr/bin/cargo test --locked -Zbuild-std --target "$target" --lib --bins --tests --no-fail-fast \
    --config "target.$target.runner = ['ip', 'netns', 'exec', '$ns', 'wine']" >"$log" 2>&1
  test_status=$?
  set -e
  binaries=$(grep -c '^ *Running ' "$log" || true)
  results=$(grep -c '^test result: ' "$log" || true)
  grep -E '^ *Running |^test result: |^test .* FAILED$' "$log" >&2 || true
  if [ "$test_status" != 0 ]; then
    echo "wine-test: cargo test failed (status $test_status); full log: $log" >&2
    status=1
  fi
  if [ "$binaries" = 0 ] || [ "$binaries" != "$results" ]; then
    echo "wine-test: $binaries test binaries ran but $results printed a result line (a crash?): $log" >&2
    status=1
  fi
fi

# 6. mcready.exe itself, with the lab's stand-in PBX (a Linux process in the namespace): joined on pbx0,
# the namespace's adapters with their addresses, the join, and a full check report; then, with the
# group routed by phones0 and the PBX joining with INADDR_ANY, a failing check whose fix is Windows
# commands.
run_mcready() { # FILE-TAG ARGS…: run mcready.exe in the namespace, output to $work/TAG.json
  local out="$work/$1.json" code
  shift
  set +e
  "${in_ns[@]}" wine "$exe" "$@" >"$out" 2>"$out.err"
  code=$?
  set -e
  echo "wine-test: mcready.exe $* exited $code ($out)" >&2
  # Exit 2 means "could not run": a failure here. check may say 1 (not ready). Every output must be
  # JSON (checked below): an abort leaves it empty.
  if [ "$code" -gt 1 ]; then
    sed 's/^/  /' "$out.err" >&2
    status=1
  fi
}
pbx=
trap 'if [ -n "$pbx" ]; then kill "$pbx" 2>/dev/null || true; fi; cleanup' EXIT
start_pbx() {
  if [ -n "$pbx" ]; then
    kill "$pbx" 2>/dev/null || true
    wait "$pbx" 2>/dev/null || true
  fi
  "${in_ns[@]}" python3 tests/fixtures/lab/pbx.py "$@" >/dev/null 2>&1 &
  pbx=$!
  sleep 0.5
}
echo "wine-test: [$((SECONDS - start)) s] mcready.exe in the namespace, a stand-in PBX joined on pbx0" >&2
start_pbx 198.51.100.10
run_mcready interfaces interfaces --json
run_mcready joins joins --json
run_mcready check check --no-probe --json
# Windows Defender Firewall's COM path, served by the fixture COM server: each recorded policy of
# tests/fixtures/wine/firewall/ (PolicyRecord JSON, pbx0 named by alias) is written in the fixture's
# lines and read through CoCreateInstance, INetFwPolicy2, IEnumVARIANT, BSTRs, the Interfaces SAFEARRAY
# and INetworkListManager. `allowed` is the run kept as firewall-fixture.json.
echo "wine-test: [$((SECONDS - start)) s] Windows Defender Firewall served by the fixture COM server" >&2
for policy in tests/fixtures/wine/firewall/*.json; do
  scenario=$(basename "$policy" .json)
  python3 tests/fixtures/wine/firewall-record.py "$policy" "$work/interfaces.json" >"$work/firewall-$scenario.tsv"
  WINEDLLOVERRIDES="$fixture_overrides" MCREADY_FIREWALL_FIXTURE="Z:$work/firewall-$scenario.tsv" \
    run_mcready "firewall-$scenario" check --no-probe --json
done
cp "$work/firewall-allowed.json" "$work/firewall-fixture.json"
# mcready fix --apply on Windows, through the same server: the missing allow rule added by
# INetFwRules::Add (elevation checked, the journal in --state-dir, the check run again), then taken
# back by `fix --undo` (INetFwRules::Remove); and a run left unconfirmed, taken back after its deadline
# by the detached revert helper alone. The server records each Add and Remove in fix-*.log.
echo "wine-test: [$((SECONDS - start)) s] mcready fix --apply: a firewall rule added and taken back" >&2
for run in undo revert; do
  python3 tests/fixtures/wine/firewall-record.py tests/fixtures/wine/firewall/missing-allow.json \
    "$work/interfaces.json" >"$work/fix-$run.tsv"
  rm -rf "$work/fix-$run-state" "$work/fix-$run.log"
done
fix_run() { # RUN TAG ARGS…: mcready.exe fix with the fixture of RUN
  local run=$1 tag=$2
  shift 2
  WINEDLLOVERRIDES="$fixture_overrides" MCREADY_FIREWALL_FIXTURE="Z:$work/fix-$run.tsv" \
    MCREADY_FIREWALL_LOG="Z:$work/fix-$run.log" \
    run_mcready "$tag" fix "$@" --json --state-dir "Z:$work/fix-$run-state"
}
fix_run undo fix-apply --apply --yes --only multicast.host-firewall --no-probe --phone 198.51.100.30
fix_run undo fix-undo --undo
fix_run revert fix-pending --apply --only multicast.host-firewall --no-probe --phone 198.51.100.30 --confirm-within 3s
sleep 10
fix_run revert fix-reverted --status
run_mcready probe probe --json -i pbx0 --timeout 2
run_mcready interfaces-by-alias interfaces --json -i PBX0
# --output on Windows: an existing file is replaced through ReplaceFileW (not a rename over it), and
# the device NUL is written in place, never created as a file.
echo old > "$work/replaced.json"
run_mcready output-replaced interfaces --json --output "Z:$work/replaced.json"
run_mcready output-nul interfaces --json --output NUL
echo "wine-test: the group routed by phones0, where the stand-in PBX's INADDR_ANY join lands" >&2
ip -n "$ns" route replace 224.0.0.0/4 dev phones0
start_pbx 198.51.100.10 --any
run_mcready check-wrong-nic check --no-probe --json -i pbx0
# Its route step under wine: IP Helper's writes are not exported there, so the step fails saying so,
# changes nothing and leaves nothing to take back (the calls themselves are compile-only).
run_mcready fix-route fix --apply --yes --only membership.group-route --no-probe -i pbx0 --json \
  --state-dir "Z:$work/fix-route-state"

# 7. Across namespaces: mcready.exe on a "Windows" host and Linux `mcready respond` on a phone-side
# host, each with an eth0 on a bridge in a switch namespace (198.51.100.0/24). wine's sockets are made
# by the wineserver, in the namespace it started in: it is stopped here and started again in the Windows
# host's namespace. (The first run's namespace stays until the end: cleanup deletes it.)
echo "wine-test: [$((SECONDS - start)) s] check --peer from mcready.exe to Linux mcready respond, across a bridge" >&2
kill "$pbx" 2>/dev/null || true
wait "$pbx" 2>/dev/null || true
pbx=
for n in "$switch" "$winhost" "$phonehost"; do
  ip netns add "$n"
  ip -n "$n" link set lo up
done
ip -n "$switch" link add br0 type bridge mcast_snooping 0
ip -n "$switch" link set br0 up
for side in winhost phonehost; do
  ip -n "$switch" link add "p-$side" type veth peer name eth0 netns "${!side}"
  ip -n "$switch" link set "p-$side" master br0 up
done
ip -n "$winhost" addr add 198.51.100.10/24 dev eth0
ip -n "$phonehost" addr add 198.51.100.20/24 dev eth0
ip -n "$winhost" link set eth0 up
ip -n "$phonehost" link set eth0 up
ip -n "$winhost" route add default via 198.51.100.1
ip -n "$phonehost" route add 224.0.0.0/4 dev eth0
start_wineserver "$winhost"
ip netns exec "$phonehost" "$linux_mcready" respond -i eth0 --duration 300 >"$work/respond.log" 2>&1 &
respond=$!
trap 'kill "$respond" 2>/dev/null || true; if [ -n "$pbx" ]; then kill "$pbx" 2>/dev/null || true; fi; cleanup' EXIT
for _ in $(seq 50); do
  ip netns exec "$phonehost" ss -Hlun 'sport = :5060' | grep -q . && break
  sleep 0.1
done
in_ns=(ip netns exec "$winhost")
run_mcready peer check --json --timeout 1 --peer 198.51.100.20 --listen 2
# A PBX on the Windows host holds 5060 (a Linux socket, without an owner under wine): mcready.exe must
# not share the port, and wine has no capture to hear the peer's answer with — the peer test says so.
start_pbx 198.51.100.10
run_mcready peer-pbx-holds-port check --json --timeout 1 --peer 198.51.100.20
kill "$pbx" 2>/dev/null || true
wait "$pbx" 2>/dev/null || true
pbx=
# The switch floods no multicast to either port: unicast still crosses, multicast does not.
for side in winhost phonehost; do
  ip -n "$switch" link set dev "p-$side" type bridge_slave mcast_flood off
done
run_mcready peer-blocked check --json --timeout 1 --peer 198.51.100.20
kill "$respond" 2>/dev/null || true
wait "$respond" 2>/dev/null || true
# The other way round: mcready.exe respond on the Windows host, Linux check --peer on the other.
for side in winhost phonehost; do
  ip -n "$switch" link set dev "p-$side" type bridge_slave mcast_flood on
done
ip netns exec "$winhost" wine "$exe" respond -i eth0 --duration 60 >"$work/respond-exe.log" 2>&1 &
respond=$!
for _ in $(seq 100); do
  ip netns exec "$winhost" ss -Hlun 'sport = :5060' | grep -q . && break
  sleep 0.1
done
set +e
ip netns exec "$phonehost" "$linux_mcready" check --json --timeout 1 --peer 198.51.100.10 >"$work/peer-reverse.json" \
  2>"$work/peer-reverse.json.err"
echo "wine-test: Linux mcready check --peer 198.51.100.10 (mcready.exe respond) exited $? ($work/peer-reverse.json)" >&2
set -e
kill "$respond" 2>/dev/null || true
wait "$respond" 2>/dev/null || true

python3 - "$work" <<'EOF' || status=1
import json, os, sys
work = sys.argv[1]
def doc(tag):
    return json.load(open(f"{work}/{tag}.json"))
interfaces = doc("interfaces")
by_name = {i["name"]: i for i in interfaces["interfaces"]}
for name, address in [("pbx0", "198.51.100.10/24"), ("phones0", "198.51.100.20/24")]:
    assert name in by_name, f"{name} missing from interfaces: {sorted(by_name)}"
    assert address in by_name[name]["ipv4"], f"{name}: {by_name[name]['ipv4']}"
assert interfaces["host"]["os"] == "windows", interfaces["host"]
for i in interfaces["interfaces"]:
    print(f"  {i['index']:>3} {i['name']:<10} {i['kind']:<9} {' '.join(i['ipv4'] + i['ipv6'])}", file=sys.stderr)
route = interfaces["group_route"]
print(f"  group route: {route and route['interface']} ({route and route['method']})", file=sys.stderr)
joins = doc("joins")
assert joins["schema"] == "mcready.joins/v1", joins
assert "pbx0" in joins["joined_on"], joins["joined_on"]
print(f"  joins: joined on {joins['joined_on']}; notes: {[n['message'][:60] for n in joins['notes']]}", file=sys.stderr)
report = doc("check")
assert report["schema"] == "mcready.report/v1", report.get("schema")
print(f"  check: verdict {report['verdict']}", file=sys.stderr)
# Windows Defender Firewall is read through its COM API: real rules, or (wine 8: E_NOTIMPL) a failed
# source that names the HRESULT, and firewall checks that skip rather than claim anything.
sources = [s for s in report["facts"]["firewall"]["sources"] if s["tool"] == "windows-firewall"]
assert len(sources) == 1, report["facts"]["firewall"]["sources"]
assert sources[0]["status"] == "read" or (sources[0]["status"] == "failed" and "0x" in sources[0]["detail"]), sources
def check(report, wanted):
    return next(c for r in report["requirements"] for c in r["checks"] if c["id"] == wanted)
# wine's own firewallapi (builtin hnetcfg) answers E_NOTIMPL: the source fails naming the calls, and the
# three firewall checks skip — never a pass (and no fallback to the legacy INetFwMgr, whose
# FirewallEnabled answers a false "off" under wine). The calls are named once, by host-firewall; the
# other two point to it.
firewall_checks = ("multicast.host-firewall", "multicast.host-firewall-output", "multicast.host-firewall-igmp")
if sources[0]["status"] == "failed":
    for call in ("FirewallEnabled", "DefaultInboundAction", "Rules._NewEnum", "0x80004001"):
        assert call in sources[0]["detail"], sources[0]["detail"]
    for wanted in firewall_checks:
        assert check(report, wanted)["status"] == "skip", check(report, wanted)
        said = "FirewallEnabled" if wanted == "multicast.host-firewall" else "see multicast.host-firewall"
        assert said in check(report, wanted)["summary"], check(report, wanted)
# The fixture COM server's recorded policies: read through the COM path, and judged.
def firewall(tag):
    run = doc(f"firewall-{tag}")
    source = [s for s in run["facts"]["firewall"]["sources"] if s["tool"] == "windows-firewall"]
    assert len(source) == 1 and source[0]["status"] == "read", (tag, run["facts"]["firewall"]["sources"])
    statuses = tuple(check(run, wanted)["status"] for wanted in firewall_checks)
    print(f"  firewall fixture {tag}: {statuses}; {check(run, 'multicast.host-firewall')['summary'][:110]}", file=sys.stderr)
    return run, source[0], statuses
allowed, source, statuses = firewall("allowed")
assert statuses == ("pass", "pass", "pass"), statuses
assert source["rules"] == 6 and source["skipped"] == 0, source
# The network list: pbx0's network (its GUID from GetAdaptersAddresses) is Private, the profile in force.
private = next(p for p in allowed["facts"]["firewall"]["windows_profiles"] if p["profile"] == "Private")
assert private["in_force"] and private["adapters"] == ["pbx0"], private
assert source["detail"].startswith("Private (in force) [pbx0]: on, inbound blocked by default"), source["detail"]
# The same allow rule limited (Interfaces, a SAFEARRAY of VARIANTs) to another adapter: no longer applies.
_, _, statuses = firewall("another-adapter")
assert statuses[0] == "fail", statuses
missing, _, statuses = firewall("missing-allow")
assert statuses[0] == "fail", statuses
assert "New-NetFirewallRule" in check(missing, "multicast.host-firewall")["remedy"], check(missing, "multicast.host-firewall")
blocked, _, statuses = firewall("block-beats-allow")
assert statuses[0] == "fail" and "Block all SIP" in check(blocked, "multicast.host-firewall")["summary"], statuses
off, source, statuses = firewall("off")
assert statuses == ("pass", "pass", "pass"), statuses
assert source["detail"].startswith("Private (in force) [pbx0]: off"), source["detail"]
shut, _, statuses = firewall("block-all")
assert statuses[0] == "fail" and statuses[2] == "fail", statuses
assert "block all incoming connections" in check(shut, "multicast.host-firewall")["summary"], check(shut, "multicast.host-firewall")
# fix --apply: the rule added through INetFwRules::Add with mcready's name, scoped to pbx0, UDP 5060
# and LocalSubnet, verified by the check run again; --undo removed exactly it; the unconfirmed run was
# taken back by the revert helper with no mcready running.
def lines(name):
    path = os.path.join(work, name)
    return open(path, encoding="utf-8").read().splitlines() if os.path.exists(path) else []
applied = doc("fix-apply")
results = {r["step"]: r["result"] for r in applied["results"]}
assert list(results.values()) == ["verified"], applied["results"]
assert applied["journal"]["state"] == "confirmed", applied["journal"]
entry = applied["journal"]["entries"][0]
assert entry["native"]["op"] == "add-firewall-rule" and entry["old"] == "no rule" and entry["new"] == "rule present", entry
added = "add\tmcready SIP PnP\t1\t17\t5060\t*\tLocalSubnet\t0x7fffffff\tpbx0\t\t1\t1"
assert lines("fix-undo.log") == [added, "remove\tmcready SIP PnP"], lines("fix-undo.log")
assert not any("mcready SIP PnP" in l for l in lines("fix-undo.tsv")), lines("fix-undo.tsv")
assert doc("fix-undo")["journal"]["state"] == "undone", doc("fix-undo")["journal"]
assert doc("fix-pending")["journal"]["state"] == "pending", doc("fix-pending")["journal"]
assert doc("fix-pending")["journal"]["revert"]["by"] == "helper", doc("fix-pending")["journal"]
assert lines("fix-revert.log") == [added, "remove\tmcready SIP PnP"], lines("fix-revert.log")
assert doc("fix-reverted")["journal"]["state"] == "reverted", doc("fix-reverted")["journal"]
print(f"  fix: {added!r} verified, removed by --undo and by the revert helper", file=sys.stderr)
for not_windows in ("multicast.rp-filter", "multicast.sip-helper"):
    assert check(report, not_windows)["status"] == "skip", check(report, not_windows)
print(f"  firewall: {sources[0]['status']}: {sources[0]['detail'][:90]}", file=sys.stderr)
# -i takes the name in any case (Windows aliases are case-insensitive), the index or the GUID.
replaced = doc("replaced")
assert replaced["schema"] == "mcready.interfaces/v1", replaced.get("schema")
assert open(f"{work}/output-replaced.json").read() == "" and open(f"{work}/output-nul.json").read() == "", "--output wrote to stdout"
import os
for where in (work, "."):
    assert not [n for n in os.listdir(where) if n.upper().startswith("NUL")], f"a file named NUL in {where}"
print("  --output: a file replaced (ReplaceFileW), NUL written in place", file=sys.stderr)
only = doc("interfaces-by-alias")
assert [i["name"] for i in only["interfaces"]] == ["pbx0"], only["interfaces"]
wrong = doc("check-wrong-nic")
first = wrong["requirements"][0]["checks"][0]
assert first["id"] == "membership.on-pnp-interface" and first["status"] == "fail", first
assert "New-NetRoute -DestinationPrefix 224.0.0.0/4 -InterfaceIndex" in first["remedy"], first["remedy"]
assert "netsh interface ipv4 show joins" in first["remedy"], first["remedy"]
print(f"  check, group routed by phones0: {wrong['verdict']}; {first['summary']}", file=sys.stderr)
route = doc("fix-route")
route_step = next(s for s in route["plan"]["steps"] if s["manager"] == "ip-helper")
assert route_step["native"]["op"] == "add-route" and route_step["native"]["metric"] == 1, route_step
route_result = next(r for r in route["results"] if r["step"] == route_step["number"])
assert route_result["result"] == "failed" and "has no CreateIpForwardEntry2" in route_result["why"], route["results"]
assert route["journal"]["state"] == "confirmed" and route["journal"]["entries"][0]["state"] == "rolled-back", route["journal"]
print(f"  fix --apply, the route under wine: {route_result['why']}", file=sys.stderr)
print(f"    fix: {first['remedy'][:150]}…", file=sys.stderr)
# The probe: sent from an ephemeral port with TTL 1, answered by the stand-in PBX (which holds 5060, so
# the looped-back copy is not watched: Windows policy, no capture under wine).
probe = doc("probe")
sent = [s for s in probe["sent"]]
assert sent and all(s["ttl"] == 1 and not s["from"].endswith(":5060") for s in sent), sent
assert any(a.get("status") == 200 for a in probe["answers"]), probe["answers"]
print(f"  probe: {len(sent)} sent from {sent[0]['from']}, answers {[a.get('status') for a in probe['answers']]}; "
      f"warnings {[w[:70] for w in probe['warnings']]}", file=sys.stderr)
peer = doc("peer")
lan = check(peer, "multicast.lan-path")
value = peer["facts"]["peer"]["value"]
assert lan["status"] == "pass", lan
assert value["unicast"]["ok"] and value["here_to_peer"]["ok"] and value["peer_to_here"]["ok"], value
print(f"  check --peer: lan-path {lan['status']}: {lan['summary']}", file=sys.stderr)
listen = peer["facts"]["listen"]
assert listen["status"] == "done" and listen["value"]["heard_by"] == "socket", listen
print(f"  check --peer --listen 2: heard by {listen['value']['heard_by']}; limits {[l[:80] for l in listen['value']['limits']]}",
      file=sys.stderr)
reverse = doc("peer-reverse")
lan = check(reverse, "multicast.lan-path")
assert lan["status"] == "pass", lan
print(f"  Linux check --peer against mcready.exe respond: lan-path {lan['status']}", file=sys.stderr)
held = doc("peer-pbx-holds-port")
assert held["facts"]["peer"]["status"] == "skipped", held["facts"]["peer"]
assert "another process holds the port" in held["facts"]["peer"]["value"], held["facts"]["peer"]
assert check(held, "multicast.lan-path")["status"] == "skip", check(held, "multicast.lan-path")
print(f"  check --peer, a PBX holding 5060: peer test {held['facts']['peer']['value'][:110]}…", file=sys.stderr)
blocked = doc("peer-blocked")
lan = check(blocked, "multicast.lan-path")
assert lan["status"] == "fail", lan
assert blocked["facts"]["peer"]["value"]["unicast"]["ok"], blocked["facts"]["peer"]
assert blocked["verdict"] == "fail", blocked["verdict"]
print(f"  check --peer, multicast blocked by the switch: lan-path {lan['status']}: {lan['summary'][:100]}", file=sys.stderr)
EOF

echo "wine-test: $([ "$status" = 0 ] && echo ok || echo FAILED) ($((SECONDS - start)) s)" >&2
exit "$status"
