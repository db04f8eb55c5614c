#!/usr/bin/env bash
# Builds the Windows release binary (x86_64-pc-windows-gnu, with TLS) with Debian's rustc-web and mingw,
# and zips it with README.md and LICENSE. Prints the path of the zip.
# Needs the Debian packages rustc-web, cargo-web, rust-web-src and gcc-mingw-w64-x86-64 (.ci/run installs
# them), and python3 for the zip. See ../shared/cross-build.md for the toolchain.
#   OUT=dir             where to put the zip (default: target/windows)
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
