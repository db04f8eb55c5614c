lab_test!(
    nft_drops_of_igmp_and_on_output_are_opened_and_restored_exactly,
    Lab::with(&[PYTHON3, NFT]),
    |mut lab| {
        firewall_round_trip(
            &mut lab,
            "nft-igmp-output",
            "printf 'table inet t {\\n chain input {\\n  type filter hook input priority 0; policy accept;\\n  ip protocol igmp drop\\n }\\n \
         chain output {\\n  type filter hook output priority 0; policy accept;\\n  udp sport 5060 drop\\n  ip protocol igmp drop\\n }\\n}\\n' | nft -f -",
            "nft list ruleset",
        );
    }
);

lab_test!(
    iptables_legacy_drops_of_igmp_and_on_output_are_opened_and_restored_exactly,
    Lab::with(&[PYTHON3, IPTABLES_LEGACY_RESTORE]),
    |mut lab| {
        firewall_round_trip(
            &mut lab,
            "iptables-legacy-igmp-output",
            "iptables-legacy -A INPUT -p igmp -j DROP && iptables-legacy -A OUTPUT -p udp --sport 5060 -j DROP \
             && iptables-legacy -A OUTPUT -p igmp -j DROP",
            "iptables-legacy-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]/[0:0]/'",
        );
    }
);
