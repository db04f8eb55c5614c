#!/bin/sh
# Copies each fuzz target's seed inputs into fuzz/corpus/<target>/ (which is git-ignored).
# Usage: fuzz/seed.sh [target...]   (default: every target below)
# To add a target: add its [[bin]] to fuzz/Cargo.toml and a case here naming the fixture files that
# seed it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
targets=${*:-sip_parse igmp_parse nft_read iptables_read fragments discovery_parse}
for target in $targets; do
    case $target in
        sip_parse) seeds="$root/tests/fixtures/sip/*.txt $root/tests/fixtures/sip/variants/*.txt" ;;
        igmp_parse) seeds="$root/tests/fixtures/igmp/*.bin" ;;
        nft_read) seeds="$root/tests/fixtures/firewall/*.json" ;;
        iptables_read) seeds="$root/tests/fixtures/firewall/*save.txt $root/tests/fixtures/firewall/*.rules" ;;
        fragments) seeds="$root/tests/fixtures/igmp/*.bin" ;;
        discovery_parse) seeds="$root/tests/fixtures/discovery/*.bin" ;;
        *) echo "seed.sh: no seeds known for target '$target'" >&2; exit 2 ;;
    esac
    mkdir -p "$here/corpus/$target"
    count=0
    for file in $seeds; do
        [ -f "$file" ] || continue
        cp "$file" "$here/corpus/$target/$(basename "$(dirname "$file")")-$(basename "$file")"
        count=$((count + 1))
    done
    echo "$target: $count seeds in fuzz/corpus/$target"
done
