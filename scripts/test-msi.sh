#!/usr/bin/env bash
# Installs, upgrades and removes the Windows MSI under wine's msiexec, as an administrator would
# (`msiexec /i FILE /qn`, `msiexec /x FILE /qn`), in a wine prefix of its own, inside a network
# namespace with nothing but lo: msiexec sends nothing, and mcready.exe runs only `--version` and
# `interfaces`. See docs/testing.md ("The MSI under wine").
#
#   scripts/test-msi.sh MSI     # the MSI scripts/package-windows.sh printed
#
# Checks, in order:
#   1. /i /qn: mcready.exe, README.md and LICENSE land in C:\Program Files\mcready; that folder is
#      appended to the system PATH (HKLM ...\Session Manager\Environment), so a new console runs
#      `mcready --version` and `mcready interfaces --json` by name; Apps & features lists mcready once.
#   2. upgrade: the same MSI with a higher version (built here with MSI_VERSION) installed over it
#      replaces it: one mcready listed, at the new version, the PATH entry once.
#   3. downgrade: the older MSI installed again is refused (msiexec fails), nothing changes.
#   4. /x /qn: the files and the folder are gone, the PATH entry and the Apps & features entry too.
#
# Needs root (unshare), wine and wine64, and what scripts/package-windows.sh needs (for the upgrade's
# MSI). WINE_WORK_DIR as scripts/wine-test.sh (the prefix is WINE_WORK_DIR/msi-prefix, kept between
# runs, made again when a run did not end cleanly); OUT is where the upgrade's MSI goes.
set -euo pipefail
cd "$(dirname "$0")/.."

msi=${1:?usage: scripts/test-msi.sh MSI}
[ -f "$msi" ] || { echo "test-msi: no file $msi" >&2; exit 1; }
msi=$(cd "$(dirname "$msi")" && pwd)/$(basename "$msi")
[ "$(id -u)" = 0 ] || { echo "test-msi: needs root for its network namespace" >&2; exit 1; }
for tool in wine wineboot wineserver unshare python3; do
  command -v "$tool" >/dev/null || { echo "test-msi: $tool missing (see docs/testing.md)" >&2; exit 1; }
done

# The whole test in a network namespace of its own, with only lo.
if [ -z "${MCREADY_MSI_NETNS:-}" ]; then
  exec unshare --net env MCREADY_MSI_NETNS=1 "$0" "$@"
fi
ip link set lo up

parent=$(cd .. && pwd)
work="${WINE_WORK_DIR:-$parent/wine-work}"
export WINEPREFIX="$work/msi-prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
start=$SECONDS
clean="$WINEPREFIX/.mcready-msi-clean"
if [ -d "$WINEPREFIX" ] && [ ! -f "$clean" ]; then
  echo "test-msi: the last run did not end cleanly: a new prefix" >&2
  rm -rf "$WINEPREFIX"
fi
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "test-msi: creating the wine prefix in $WINEPREFIX" >&2
  mkdir -p "$work"
  wineboot --init >/dev/null 2>&1
fi
rm -f "$clean"
trap 'wineserver -k 2>/dev/null || true' EXIT
# Crash debugger off: a crash must fail the step, not end in winedbg with status 0.
wine reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' /v Debugger /d '' /f >/dev/null 2>&1
# One wineserver for the run (see scripts/wine-test.sh).
wineserver -p

# The upgrade's MSI: the same files, the next patch version.
version=$(basename "$msi" | sed -n 's/^mcready-\([0-9.]*\)-x86_64\.msi$/\1/p')
[ -n "$version" ] || { echo "test-msi: cannot read the version in $(basename "$msi")" >&2; exit 1; }
next="${version%.*}.$((${version##*.} + 1))"
upgrade_out=$(mktemp -d)
trap 'wineserver -k 2>/dev/null || true; rm -rf "$upgrade_out"' EXIT
upgrade=$(MSI_VERSION="$next" OUT="$upgrade_out" scripts/package-windows.sh | tail -n 1)

folder="$WINEPREFIX/drive_c/Program Files/mcready"
status=0
fail() {
  echo "test-msi: FAILED: $*" >&2
  status=1
}
msiexec() { # ARGS…: msiexec, its exit status echoed
  local code
  set +e
  wine msiexec "$@" >/dev/null 2>&1
  code=$?
  set -e
  echo "$code"
}
# What the registry says: the system PATH, and each Apps & features entry named mcready with its version.
state() {
  wine reg query 'HKLM\System\CurrentControlSet\Control\Session Manager\Environment' /v PATH 2>/dev/null |
    tr -d '\r' | sed -n 's/^ *PATH *REG_[A-Z_]* *//p'
  wine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s 2>/dev/null | tr -d '\r' |
    python3 -c '
import sys
entries, key = {}, None
for line in sys.stdin:
    if line.startswith("HKEY_"):
        key = line.strip()
        entries[key] = {}
    elif key and "REG_" in line:
        name, _, value = line.strip().partition("    ")
        entries[key][name] = value.split("    ", 1)[-1].strip()
for values in entries.values():
    if values.get("DisplayName") == "mcready":
        print("product", values.get("DisplayVersion", "?"))'
}
path_entries() { # the count of the install folder in the system PATH
  state | head -n 1 | tr ';' '\n' | grep -c -i -x -F -e 'C:\Program Files\mcready\' -e 'C:\Program Files\mcready' || true
}
products() { state | grep -c '^product' || true; }

echo "test-msi: [$((SECONDS - start)) s] msiexec /i $(basename "$msi") /qn" >&2
code=$(msiexec /i "$msi" /qn)
[ "$code" = 0 ] || fail "msiexec /i exited $code"
for file in mcready.exe README.md LICENSE; do
  [ -f "$folder/$file" ] || fail "C:\\Program Files\\mcready\\$file not installed"
done
[ "$(path_entries)" = 1 ] || fail "the system PATH does not hold C:\\Program Files\\mcready once: $(state | head -n 1)"
[ "$(state | grep '^product')" = "product $version" ] || fail "Apps & features: $(state | grep '^product' | tr '\n' ' ')"
# By name, from a new console: cmd finds mcready.exe on the PATH the MSI wrote.
set +e
by_name=$(wine cmd /c mcready --version 2>/dev/null | tr -d '\r')
interfaces=$(wine cmd /c mcready interfaces --json 2>/dev/null | tr -d '\r')
set -e
case "$by_name" in
  "mcready $version"*) echo "test-msi: by name from cmd: $by_name" >&2 ;;
  *) fail "'mcready --version' from cmd printed: $by_name" ;;
esac
echo "$interfaces" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["schema"]=="mcready.interfaces/v1"' ||
  fail "'mcready interfaces --json' from cmd: $interfaces"

echo "test-msi: [$((SECONDS - start)) s] upgrade: msiexec /i $(basename "$upgrade") /qn" >&2
code=$(msiexec /i "$upgrade" /qn)
[ "$code" = 0 ] || fail "the upgrade's msiexec /i exited $code"
[ "$(state | grep '^product')" = "product $next" ] || fail "after the upgrade: $(state | grep '^product' | tr '\n' ' ')"
[ "$(path_entries)" = 1 ] || fail "after the upgrade, the PATH: $(state | head -n 1)"
[ -f "$folder/mcready.exe" ] || fail "after the upgrade, mcready.exe is gone"

echo "test-msi: [$((SECONDS - start)) s] downgrade: msiexec /i $(basename "$msi") /qn must be refused" >&2
code=$(msiexec /i "$msi" /qn)
[ "$code" != 0 ] || fail "the older MSI installed over the newer one"
[ "$(state | grep '^product')" = "product $next" ] || fail "after the refused downgrade: $(state | grep '^product' | tr '\n' ' ')"

echo "test-msi: [$((SECONDS - start)) s] msiexec /x $(basename "$upgrade") /qn" >&2
code=$(msiexec /x "$upgrade" /qn)
[ "$code" = 0 ] || fail "msiexec /x exited $code"
[ ! -e "$folder" ] || fail "C:\\Program Files\\mcready is still there: $(ls -A "$folder" | tr '\n' ' ')"
[ "$(path_entries)" = 0 ] || fail "the PATH still holds the folder: $(state | head -n 1)"
[ "$(products)" = 0 ] || fail "Apps & features still lists mcready"

if [ "$status" = 0 ]; then
  touch "$clean"
fi
echo "test-msi: $([ "$status" = 0 ] && echo ok || echo FAILED) ($((SECONDS - start)) s)" >&2
exit "$status"
