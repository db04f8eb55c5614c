#!/usr/bin/env bash
# Type-checks mcready for Windows and macOS with Debian's rustc-web, which builds std from
# rust-web-src (`-Zbuild-std`). See docs/testing.md ("Cross-checks") and ../shared/cross-build.md.
#
#   scripts/cross-check.sh                          # all four targets
#   scripts/cross-check.sh x86_64-pc-windows-gnu    # only the ones named
#
# Needs the Debian packages rustc-web, cargo-web, rust-web-src, gcc-mingw-w64-x86-64 and, to lint the
# macOS targets, rust-web-clippy (.ci/run installs them). x86_64-pc-windows-gnu is checked with --all-targets (tests, benches, examples: mingw
# compiles the C in dev-dependencies and in ring); the others have no C compiler for the target here, so only
# --lib --bins, without the default `tls` feature (ring compiles C). Build output goes to CROSS_TARGET_DIR (default: `../cross-target`, beside the clone, never
# inside it): one directory for every target, so std is built once per target and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(x86_64-pc-windows-gnu x86_64-pc-windows-msvc x86_64-apple-darwin aarch64-apple-darwin)
fi

for tool in /usr/bin/rustc /usr/bin/rustdoc /usr/bin/cargo; do
  [ -x "$tool" ] || { echo "cross-check: $tool missing: apt-get install rustc-web cargo-web rust-web-src" >&2; exit 1; }
done
# std is built from rust-web-src by rustc-web: a different version cannot build it.
rustc_version=$(dpkg-query -W -f='${Version}' rustc-web 2>/dev/null || true)
src_version=$(dpkg-query -W -f='${Version}' rust-web-src 2>/dev/null || true)
if [ -z "$src_version" ] || [ "$rustc_version" != "$src_version" ]; then
  echo "cross-check: rustc-web (${rustc_version:-not installed}) and rust-web-src (${src_version:-not installed}) must be the same version" >&2
  exit 1
fi

# Debian's tools by full path: rustup's ~/.cargo/bin comes first on PATH and its older rustc cannot
# build the newer std sources. Debian's cargo ignores rust-toolchain.toml.
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
# Plain output: the warning check below reads it.
export CARGO_TERM_COLOR=never
export CARGO_TARGET_DIR="${CROSS_TARGET_DIR:-$(cd .. && pwd)/cross-target}"
# Anything that changes std's fingerprint rebuilds it (~60 s a target): keep RUSTFLAGS out of it.
unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in "${targets[@]}"; do
  case "$target" in
    x86_64-pc-windows-gnu) what=(--all-targets) ;;
    # ring (behind the default `tls` feature) compiles C for the target, and there is no C compiler for
    # these here: they are checked without TLS, which only turns the https fetch off.
    *) what=(--lib --bins --no-default-features) ;;
  esac
  echo "cross-check: $target (${what[*]})" >&2
  start=$SECONDS
  /usr/bin/cargo check --locked -Zbuild-std --target "$target" "${what[@]}" 2>&1 | tee "$log" >&2
  # Warnings fail here as clippy's -D warnings does on Linux (not through RUSTFLAGS, which would
  # rebuild std); cargo replays them from its cache on warm runs too.
  if grep -q '^warning: `mcready` .* generated [0-9]* warning' "$log"; then
    echo "cross-check: $target: mcready has warnings (above)" >&2
    exit 1
  fi
  # The macOS and Windows code (platform/macos, the macOS half of net/sys/unix.rs, platform/windows,
  # net/sys/windows.rs) is never built by the Linux clippy run: lint it here with Debian's clippy
  # (rust-web-clippy), pedantic and the unsafe/unwrap lints as configured in Cargo.toml. Its -D warnings
  # reaches only mcready's own code (clippy-driver wraps workspace members), so std is not rebuilt. The
  # msvc target shares its code with windows-gnu, which is linted.
  case "$target" in
    *-apple-darwin | x86_64-pc-windows-gnu)
      if [ -x /usr/bin/cargo-clippy ]; then
        /usr/bin/cargo-clippy clippy --locked -Zbuild-std --target "$target" "${what[@]}" -- -D warnings >&2 ||
          { echo "cross-check: $target: clippy found problems (above)" >&2; exit 1; }
      else
        echo "cross-check: $target: /usr/bin/cargo-clippy missing (apt-get install rust-web-clippy): not linted" >&2
      fi
      ;;
  esac
  echo "cross-check: $target ok ($((SECONDS - start)) s)" >&2
done
