#!/usr/bin/env bash
# Builds the Windows release binary (x86_64-pc-windows-gnu, with TLS) with Debian's rustc-web and mingw,
# zips it with README.md and LICENSE, and builds the MSI (packaging/windows/mcready.wxs) with wixl.
# Prints the path of the zip, then the path of the MSI.
# Needs the Debian packages rustc-web, cargo-web, rust-web-src and gcc-mingw-w64-x86-64, wixl and msitools
# (.ci/run installs them), and python3 for the zip. See ../shared/cross-build.md for the toolchain;
# scripts/test-msi.sh installs, upgrades and removes the MSI under wine.
#   OUT=dir             where to put the zip and the MSI (default: target/windows)
#   MSI_VERSION=x.y.z   the MSI's ProductVersion (default: the crate's version; scripts/test-msi.sh
#                       builds a higher one to test the upgrade)
#   CROSS_TARGET_DIR    the cross build directory (default: ../cross-target, shared with scripts/cross-check.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_DIR="${CROSS_TARGET_DIR:-$(cd .. && pwd)/cross-target}"
unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS
/usr/bin/cargo build --locked --release -Zbuild-std --target "$target" --bin mcready >&2
exe="$CARGO_TARGET_DIR/$target/release/mcready.exe"
version=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["packages"][0]["version"])')
out=${OUT:-target/windows}
mkdir -p "$out"
zip="$out/mcready-$version-$target.zip"
python3 - "$zip" "$exe" README.md LICENSE <<'PY'
import sys, zipfile
archive, exe, *docs = sys.argv[1:]
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(exe, "mcready/mcready.exe")
    for doc in docs:
        z.write(doc, f"mcready/{doc}")
PY
echo "$zip"

# The MSI. wixl (0.101) has no <Environment>: the PATH entry is added to its tables with msibuild,
# as WiX writes <Environment Action="set" Part="last" System="yes" Permanent="no"> — Name `=-*PATH`
# (set on install, removed on uninstall, the system's variable), Value `[~];[INSTALLDIR]` (appended to
# the PATH there is) — with the two standard actions that apply it, at their standard sequence numbers.
msi_version=${MSI_VERSION:-$version}
msi="$out/mcready-$msi_version-x86_64.msi"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$exe" "$stage/mcready.exe"
cp README.md LICENSE "$stage/"
wxs="$(pwd)/packaging/windows/mcready.wxs"
rm -f "$msi"
(cd "$stage" && wixl --arch x64 --define "Version=$msi_version" --output "$stage/mcready.msi" "$wxs")
msibuild "$stage/mcready.msi" \
  -q 'CREATE TABLE `Environment` (`Environment` CHAR(72) NOT NULL, `Name` CHAR(255) NOT NULL LOCALIZABLE, `Value` CHAR(255) LOCALIZABLE, `Component_` CHAR(72) NOT NULL PRIMARY KEY `Environment`)' \
  -q "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('PATH', '=-*PATH', '[~];[INSTALLDIR]', 'Program')" \
  -q "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RemoveEnvironmentStrings', 3300)" \
  -q "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('WriteEnvironmentStrings', 5200)"
mv "$stage/mcready.msi" "$msi"
echo "$msi"
