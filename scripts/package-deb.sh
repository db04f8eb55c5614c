#!/usr/bin/env bash
# Builds the Debian package of mcready with dpkg-deb: the stripped release binary, the man page and the
# bash, zsh and fish completions in their Debian places, all generated from the binary's own clap
# definitions. Prints the path of the .deb. Needs dpkg-deb (dpkg) and gzip; run from anywhere.
#   OUT=dir  where to put the .deb (default: target/debian)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin=target/release/mcready
version=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["packages"][0]["version"])')
arch=$(dpkg --print-architecture)
out=${OUT:-target/debian}
root=$(mktemp -d)
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT

install -D -m 0755 "$bin" "$root/usr/bin/mcready"
install -d "$root/usr/share/man/man1" "$root/usr/share/bash-completion/completions" \
  "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d" "$root/usr/share/doc/mcready"
"$bin" manpage | gzip -9n > "$root/usr/share/man/man1/mcready.1.gz"
"$bin" completions bash > "$root/usr/share/bash-completion/completions/mcready"
"$bin" completions zsh > "$root/usr/share/zsh/vendor-completions/_mcready"
"$bin" completions fish > "$root/usr/share/fish/vendor_completions.d/mcready.fish"
chmod 0644 "$root"/usr/share/man/man1/* "$root"/usr/share/*/completions/* "$root"/usr/share/zsh/vendor-completions/* \
  "$root"/usr/share/fish/vendor_completions.d/*
{ echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: mcready"; echo; echo "Files: *"; echo "License: MIT"; echo
  sed 's/^/ /; s/^ $/ ./' LICENSE; } > "$root/usr/share/doc/mcready/copyright"
gzip -9n < README.md > "$root/usr/share/doc/mcready/README.md.gz"

# The binary links libc only (ring and rustls are Rust); the glibc it was built against is the floor.
glibc=$(ldd --version | head -1 | grep -oE '[0-9]+\.[0-9]+$')
size=$(du -sk "$root/usr" | cut -f1)
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: mcready
Version: $version
Architecture: $arch
Maintainer: mcready developers <mcready@invalid>
Depends: libc6 (>= $glibc)
Section: net
Priority: optional
Installed-Size: $size
Homepage: https://crates.io/crates/mcready
Description: is this LAN ready for SIP Plug-and-Play phone provisioning?
 mcready checks, from the PBX host, the four requirements of SIP PnP
 multicast provisioning (224.0.1.75:5060): the PBX's membership on the
 interface facing the phones, one subnet, a network that passes multicast,
 and phones that send the PnP SUBSCRIBE; it prints a fix under every failure.
CONTROL
mkdir -p "$out"
deb="$out/mcready_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
