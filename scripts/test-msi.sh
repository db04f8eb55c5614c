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
# MSI). WINE_WORK_DIR as scripts/wine-test.sh (the prefix, made anew each run, is WINE_WORK_DIR/msi-prefix).
set -euo pipefail
cd "$(dirname "$0")/.."

msi=${1:?usage: scripts/test-msi.sh MSI}
[ -f "$msi" ] || { echo "test-msi: no file $msi" >&2; exit 1; }
msi=$(cd "$(dirname "$msi")" && pwd)/$(basename "$msi")
[ "$(id -u)" = 0 ] || { echo "test-msi: needs root for its network namespace" >&2; exit 1; }
for tool in wine wineboot wineserver unshare python3 x86_64-w64-mingw32-gcc; do
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
# A new prefix every run (about 15 s), as a machine that never had mcready: wine's msiexec leaves an
# empty entry in the PATH where the removed folder was (see the end), and wine's cmd stops looking
# for a command at an empty PATH entry, so a second run in the same prefix would not find mcready by
# name for a reason that is wine's.
rm -rf "$WINEPREFIX"
mkdir -p "$work"
echo "test-msi: creating the wine prefix in $WINEPREFIX" >&2
wineboot --init >/dev/null 2>&1
trap 'wineserver -k 2>/dev/null || true' EXIT
# Rust's std needs ProcessPrng from bcryptprimitives.dll, which wine 8 lacks (real Windows 10 and later
# have it): the same stand-in as scripts/wine-test.sh.
x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  tests/fixtures/wine/bcryptprimitives.c tests/fixtures/wine/bcryptprimitives.def -lbcrypt
# One wineserver for the run (see scripts/wine-test.sh), started once wineboot's has gone.
wineserver -k 2>/dev/null || true
wineserver -w 2>/dev/null || true
wineserver -p
# Crash debugger off: a crash must fail the step, not end in winedbg with status 0.
wine reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' /v Debugger /d '' /f >/dev/null 2>&1

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
# The system PATH, as the registry holds it.
system_path() {
  wine reg query 'HKLM\System\CurrentControlSet\Control\Session Manager\Environment' /v PATH 2>/dev/null |
    tr -d '\r' | sed -n 's/^ *PATH *REG_[A-Z_]* *//p'
}
# The version of each Apps & features entry named mcready, one a line.
listed() {
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
        print(values.get("DisplayVersion", "?"))'
}
path_entries() { # how many times the install folder is in the system PATH
  system_path | tr ';' '\n' | grep -c -i -x -F -e 'C:\Program Files\mcready\' -e 'C:\Program Files\mcready' || true
}

path_before=$(system_path)
echo "test-msi: [$((SECONDS - start)) s] msiexec /i $(basename "$msi") /qn" >&2
code=$(msiexec /i "$msi" /qn)
[ "$code" = 0 ] || fail "msiexec /i exited $code"
for file in mcready.exe README.md LICENSE; do
  [ -f "$folder/$file" ] || fail "C:\\Program Files\\mcready\\$file not installed"
done
[ "$(path_entries)" = 1 ] || fail "the system PATH does not hold C:\\Program Files\\mcready once: $(system_path)"
[ "$(listed)" = "$version" ] || fail "Apps & features lists mcready at: $(listed | tr '\n' ' ')"
# By name, from a new console: cmd finds mcready.exe on the PATH the MSI wrote.
set +e
by_name=$(wine cmd /c mcready --version 2>"$upgrade_out/err" | tr -d '\r')
interfaces=$(wine cmd /c mcready interfaces --json 2>>"$upgrade_out/err" | tr -d '\r')
set -e
case "$by_name" in
  "mcready $version"*) echo "test-msi: by name from cmd: $by_name" >&2 ;;
  *) fail "'mcready --version' from cmd printed: '$by_name'; stderr: $(cat "$upgrade_out/err")" ;;
esac
echo "test-msi: installed: Apps & features lists mcready $(listed); the system PATH ends …$(system_path | tail -c 40)" >&2
echo "$interfaces" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["schema"]=="mcready.interfaces/v1"' ||
  fail "'mcready interfaces --json' from cmd: $interfaces"

echo "test-msi: [$((SECONDS - start)) s] upgrade: msiexec /i $(basename "$upgrade") /qn" >&2
code=$(msiexec /i "$upgrade" /qn)
[ "$code" = 0 ] || fail "the upgrade's msiexec /i exited $code"
[ "$(listed)" = "$next" ] || fail "after the upgrade, Apps & features lists mcready at: $(listed | tr '\n' ' ')"
[ "$(path_entries)" = 1 ] || fail "after the upgrade, the PATH: $(system_path)"
[ -f "$folder/mcready.exe" ] || fail "after the upgrade, mcready.exe is gone"

echo "test-msi: [$((SECONDS - start)) s] downgrade: msiexec /i $(basename "$msi") /qn must be refused" >&2
code=$(msiexec /i "$msi" /qn)
[ "$code" != 0 ] || fail "the older MSI installed over the newer one"
[ "$(listed)" = "$next" ] || fail "after the refused downgrade, Apps & features lists mcready at: $(listed | tr '\n' ' ')"

echo "test-msi: [$((SECONDS - start)) s] msiexec /x $(basename "$upgrade") /qn" >&2
code=$(msiexec /x "$upgrade" /qn)
[ "$code" = 0 ] || fail "msiexec /x exited $code"
[ ! -e "$folder" ] || fail "C:\\Program Files\\mcready is still there: $(ls -A "$folder" | tr '\n' ' ')"
[ "$(path_entries)" = 0 ] || fail "the PATH still holds the folder: $(system_path)"
# wine's RemoveEnvironmentStrings takes the folder out but leaves its ';' behind: the PATH must be what
# it was before, but for empty entries.
without_empty() { tr ';' '\n' | grep -v '^$' || true; }
[ "$(system_path | without_empty)" = "$(echo "$path_before" | without_empty)" ] ||
  fail "the PATH after uninstalling ($(system_path)) is not the one before ($path_before)"
echo "test-msi: removed: the PATH is as before ($(system_path | tail -c 40))" >&2
[ -z "$(listed)" ] || fail "Apps & features still lists mcready"

echo "test-msi: $([ "$status" = 0 ] && echo ok || echo FAILED) ($((SECONDS - start)) s)" >&2
exit "$status"
