//! NAT rules read into the model and listed as facts, on real tool output: `nft -j list ruleset`,
//! `iptables-nft-save` and `iptables-legacy-save` captured in a scratch namespace holding a DNAT of
//! udp/5060 to a PBX container (tests/fixtures/firewall/*-dnat-pbx-container.*).

use std::fmt::Write as _;

use super::judge::{Context, judge};
use super::{iptables, nat, nft};
use crate::facts::{FirewallFlow, NatRule};
use crate::ruleset::{FirewallTool, NatKind, Ruleset};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/firewall/", $name))
    };
}

/// Each NAT fact as `kind table/chain hook: proto ports in out -> address:ports`, for compact assertions.
fn lines(facts: &[NatRule]) -> Vec<String> {
    facts
        .iter()
        .map(|f| {
            let or = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
            format!(
                "{} {}/{} {}: {} [{}] in {} out {} -> {}:{}",
                f.kind.as_str(),
                f.table,
                f.chain,
                f.hook.unwrap_or("-"),
                or(&f.protocol),
                f.ports.join(","),
                or(&f.in_interface),
                or(&f.out_interface),
                or(&f.to_address),
                or(&f.to_ports)
            )
        })
        .collect()
}

#[test]
fn nft_dnat_to_a_pbx_container_is_a_fact() {
    let ruleset = nft::read(fixture!("nft-dnat-pbx-container.json"), &[]);
    assert_eq!((ruleset.error.as_deref(), ruleset.skipped), (None, 0));
    let facts = nat::rules(&[Ruleset::Netfilter(ruleset)]);
    assert_eq!(
        lines(&facts),
        [
            "dnat ip nat/prerouting prerouting: udp [5060] in lan0 out - -> 203.0.113.10:5060",
            "dnat ip nat/prerouting prerouting: udp [10000-10100] in lan0 out - -> 203.0.113.10:-",
            "dnat ip nat/prerouting prerouting: tcp [8443] in lan0 out - -> 203.0.113.10/31:443",
            "redirect ip nat/output output: udp [5061] in - out - -> -:5060",
            "masquerade ip nat/postrouting postrouting: - [] in - out lan0 -> -:-",
            "snat ip nat/postrouting postrouting: - [] in - out lan0 -> 198.51.100.1:-",
        ]
    );
    assert_eq!(facts[0].tool, Some(FirewallTool::Nft));
    assert_eq!(facts[0].rule, "iifname lan0 udp dport 5060 dnat to 203.0.113.10:5060");
    assert!(facts[0].handle.is_some());
}

#[test]
fn iptables_dnat_of_either_backend_is_the_same_fact() {
    let nft_save = iptables::read(
        fixture!("iptables-dnat-pbx-container.nft-save.txt"),
        Some(FirewallTool::IptablesNftSave),
    );
    let legacy = iptables::read(
        fixture!("iptables-dnat-pbx-container.legacy-save.txt"),
        Some(FirewallTool::IptablesLegacySave),
    );
    let expected = [
        "dnat nat/PREROUTING prerouting: udp [10000-10100] in lan0 out - -> 203.0.113.10:-",
        "redirect nat/OUTPUT output: udp [5061] in - out - -> -:5060",
        "masquerade nat/POSTROUTING postrouting: - [] in - out !br-pbx -> -:-",
        "snat nat/POSTROUTING postrouting: - [] in - out lan0 -> 198.51.100.1:-",
        "dnat nat/DOCKER -: udp [5060] in !br-pbx out - -> 203.0.113.10:5060",
        "dnat nat/DOCKER -: tcp [8443] in !br-pbx out - -> 203.0.113.10-203.0.113.11:443",
    ];
    for ruleset in [nft_save, legacy] {
        let facts = nat::rules(&[Ruleset::Netfilter(ruleset)]);
        assert_eq!(lines(&facts), expected);
        assert_eq!(
            facts[4].rule,
            "-A DOCKER ! -i br-pbx -p udp -m udp --dport 5060 -j DNAT --to-destination 203.0.113.10:5060"
        );
    }
}

/// iptables-nft's own tables in nft's listing show their targets as `xt` expressions: read from
/// iptables-nft-save instead (the platform does), never as a NAT fact of nft's.
#[test]
fn iptables_nft_targets_in_nft_json_are_no_nat_facts() {
    let ruleset = nft::read(fixture!("iptables-dnat-pbx-container.nft.json"), &[]);
    assert_eq!(ruleset.error, None);
    assert_eq!(nat::rules(&[Ruleset::Netfilter(ruleset)]), []);
}

/// A NAT verdict accepts for its chain and changes no filter verdict: the rulesets with the DNAT judge
/// as before (the filter chains accept udp/5060).
#[test]
fn nat_verdicts_change_no_finding() {
    let nft = nft::read(fixture!("nft-dnat-pbx-container.json"), &[]);
    let save = iptables::read(fixture!("iptables-dnat-pbx-container.nft-save.txt"), None);
    let judged = judge(&[Ruleset::Netfilter(nft), Ruleset::Netfilter(save)], &Context::default());
    assert!(!judged.drops(FirewallFlow::SubscribeIn));
    assert!(judged.findings.is_empty(), "{:#?}", judged.findings);
}

/// kube-proxy's thousands of DNATs are not all listed: the first ones, and how many more.
#[test]
fn a_kube_proxy_host_lists_the_first_nat_rules_and_counts_the_rest() {
    let mut save = String::from("*nat\n:PREROUTING ACCEPT [0:0]\n");
    for i in 0..300 {
        let (port, host) = (30000 + i, i % 250 + 1);
        let _ = writeln!(
            save,
            "-A PREROUTING -p tcp -m tcp --dport {port} -j DNAT --to-destination 203.0.113.{host}:80"
        );
    }
    save.push_str("COMMIT\n");
    let (listed, more) = nat::listed(&[Ruleset::Netfilter(iptables::read(&save, None))]);
    assert_eq!((listed.len(), more), (nat::LISTED, 300 - nat::LISTED));
    assert_eq!(listed[0].ports, ["30000"]);
}

#[test]
fn nat_facts_serialise_for_the_report() {
    let ruleset = nft::read(fixture!("nft-dnat-pbx-container.json"), &[]);
    let facts = nat::rules(&[Ruleset::Netfilter(ruleset)]);
    let json = serde_json::to_value(&facts[0]).unwrap();
    assert_eq!(json["kind"], "dnat");
    assert_eq!(json["protocol"], "udp");
    assert_eq!(json["ports"][0], "5060");
    assert_eq!(json["in_interface"], "lan0");
    assert_eq!(json["to_address"], "203.0.113.10");
    assert_eq!(json["to_ports"], "5060");
    assert_eq!(json["hook"], "prerouting");
    assert_eq!(NatKind::Masquerade.as_str(), "masquerade");
}
