//! The netfilter readers and the judge on captured rulesets (`tests/fixtures/firewall/`, loaded in a
//! scratch namespace by `capture.sh`), on hand-made rules for each point the judge decides, and the
//! fixes in each manager's words. Random rulesets are in `judge_props.rs`, pf in `pf_tests.rs`,
//! Windows Defender Firewall in `windows_tests.rs`.

use std::net::Ipv4Addr;

use super::fix::{self, FixContext};
use super::judge::{Context, Judgement, judge};
use super::{iptables, nft};
use crate::facts::{FindingCertainty, FirewallFinding, FirewallFlow, FirewallManager, PNP_GROUP, PNP_PORT};
use crate::ruleset::{FirewallTool, Ruleset};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/firewall/", $name))
    };
}

fn nft_rules(json: &str) -> Vec<Ruleset> {
    let ruleset = nft::read(json, &[]);
    assert_eq!(ruleset.error, None);
    vec![Ruleset::Netfilter(ruleset)]
}

fn save_rules(text: &str) -> Vec<Ruleset> {
    vec![Ruleset::Netfilter(iptables::read(text, None))]
}

fn phones(context: Context, phones: &[&str]) -> Context {
    Context { phones: phones.iter().map(|p| p.parse().unwrap()).collect(), ..context }
}

fn eth0() -> Context {
    Context {
        interface: Some("eth0".into()),
        local: Some(Ipv4Addr::new(198, 51, 100, 1)),
        ..Context::default()
    }
}

/// Each finding about `flow` as `certainty affects verdict chain: rule`, for compact assertions.
fn summary_of(judgement: &Judgement, flow: FirewallFlow) -> Vec<String> {
    judgement
        .of(flow)
        .map(|f| {
            format!(
                "{} {} {} {}: {}",
                serde_json::to_value(f.certainty).unwrap().as_str().unwrap(),
                serde_json::to_value(f.affects).unwrap().as_str().unwrap(),
                serde_json::to_value(f.verdict).unwrap().as_str().unwrap(),
                f.chain,
                f.rule
            )
        })
        .collect()
}

fn summary(rulesets: &[Ruleset]) -> Vec<String> {
    summary_of(&judge(rulesets, &Context::default()), FirewallFlow::SubscribeIn)
}

pub(super) fn first(judgement: &Judgement, flow: FirewallFlow) -> FirewallFinding {
    judgement.of(flow).next().cloned().unwrap_or_else(|| panic!("no finding for {flow:?}: {judgement:#?}"))
}

// ---------------------------------------------------------------------------------------------------
// Captured rulesets.

#[test]
fn nft_drop_of_the_port_is_certain() {
    let rules = nft_rules(fixture!("nft-drop-udp-5060.json"));
    assert_eq!(summary(&rules), ["drops udp-port drop input: udp dport 5060 counter drop"]);
    let judged = judge(&rules, &Context::default());
    let finding = first(&judged, FirewallFlow::SubscribeIn);
    assert_eq!((finding.table.as_str(), finding.hook.as_str()), ("inet filter", "input"));
    assert_eq!((finding.tool, finding.handle), (FirewallTool::Nft, Some(4)));
    assert_eq!(finding.manager, Some(FirewallManager::Nftables));
    assert!(finding.depends_on.is_empty());
    let Ruleset::Netfilter(read) = &rules[0] else { panic!() };
    assert_eq!((read.rules, read.skipped), (3, 0));
    // The same drop takes mcready's looped-back probe; nothing goes out or concerns IGMP.
    assert!(judged.drops(FirewallFlow::ProbeLoop));
    for flow in [FirewallFlow::AnswerOut, FirewallFlow::ProbeOut, FirewallFlow::IgmpIn, FirewallFlow::IgmpOut]
    {
        assert_eq!(judged.of(flow).count(), 0, "{flow:?}");
    }
}

#[test]
fn nft_reject_of_multicast() {
    let rules = nft_rules(fixture!("nft-reject-multicast.json"));
    assert_eq!(
        summary(&rules),
        ["drops multicast reject input: ip daddr 224.0.0.0/4 reject with icmp port-unreachable"]
    );
    let judged = judge(&rules, &Context::default());
    assert_eq!(first(&judged, FirewallFlow::SubscribeIn).table, "ip guard");
    // IGMP queries go to 224.0.0.1 or the group: a reject of 224.0.0.0/4 takes them too.
    assert!(judged.drops(FirewallFlow::IgmpIn));
}

#[test]
fn nft_policy_drop_with_an_accept_for_the_port_is_fine() {
    assert_eq!(summary(&nft_rules(fixture!("nft-policy-drop-accept-sip.json"))), Vec::<String>::new());
}

#[test]
fn nft_policy_drop_without_an_accept_drops() {
    let rules = nft_rules(fixture!("nft-policy-drop.json"));
    assert_eq!(summary(&rules), ["drops all-input policy-drop input: policy drop"]);
    // A policy drop on input takes IGMP queries as well.
    assert!(judge(&rules, &Context::default()).drops(FirewallFlow::IgmpIn));
}

#[test]
fn nft_source_address_makes_it_may_drop() {
    let rules = nft_rules(fixture!("nft-saddr-may-drop.json"));
    assert_eq!(summary(&rules), ["may-drop udp-port drop input: ip saddr 10.0.0.0/8 udp dport 5060 drop"]);
    let judged = judge(&rules, &Context::default());
    assert_eq!(first(&judged, FirewallFlow::SubscribeIn).depends_on, ["ip saddr 10.0.0.0/8"]);
    // Known phones outside 10.0.0.0/8: the drop does not hit them.
    let judged = judge(&rules, &phones(eth0(), &["198.51.100.20"]));
    assert_eq!(judged.of(FirewallFlow::SubscribeIn).count(), 0);
    // A phone inside it: certain.
    assert!(judge(&rules, &phones(eth0(), &["10.1.2.3"])).drops(FirewallFlow::SubscribeIn));
}

#[test]
fn nft_rules_for_other_traffic_are_irrelevant() {
    let rules = nft_rules(fixture!("nft-irrelevant.json"));
    assert_eq!(summary(&rules), Vec::<String>::new());
    let Ruleset::Netfilter(read) = &rules[0] else { panic!() };
    assert_eq!(read.skipped, 0);
}

#[test]
fn nft_sets_ranges_maps_and_jumps() {
    let rules = nft_rules(fixture!("nft-sets-jumps.json"));
    assert_eq!(
        summary(&rules),
        [
            "may-drop multicast drop input: iifname eth1 pkttype multicast drop",
            "may-drop udp-port reject sip_in: reject with icmpx admin-prohibited",
            // Whatever the earlier rules did not drop, this drops; the vmap after it is never reached.
            "drops multicast drop input: ip daddr @blocked_groups log prefix \"mcast \" drop",
            "may-drop udp-port drop early: udp dport 5000-5100 fib daddr type multicast drop",
        ]
    );
    let judged = judge(&rules, &Context::default());
    let found: Vec<&FirewallFinding> = judged.of(FirewallFlow::SubscribeIn).collect();
    assert_eq!(found[0].depends_on, ["iifname eth1"]);
    assert_eq!(found[1].depends_on, ["earlier rule may return: ip saddr 198.51.100.0/24 return"]);
    assert!(found[2].depends_on.is_empty());
    assert_eq!(found[3].hook, "prerouting");
    assert_eq!(
        found[3].depends_on,
        [
            "earlier rule may let it through: udp dport 5000-5100 fib daddr type multicast limit rate 10/second accept"
        ]
    );
    // On eth1 the first rule is certain; on eth0 it never matches.
    let on = |name: &str| Context { interface: Some(name.into()), ..Context::default() };
    let judged = judge(&rules, &on("eth1"));
    assert_eq!(
        summary_of(&judged, FirewallFlow::SubscribeIn)[0],
        "drops multicast drop input: iifname eth1 pkttype multicast drop"
    );
    let judged = judge(&rules, &on("eth0"));
    assert!(!summary_of(&judged, FirewallFlow::SubscribeIn).iter().any(|s| s.contains("eth1")));
}

#[test]
fn nft_firewalld_like_zone_rejects_what_it_does_not_allow() {
    let rules = nft_rules(fixture!("nft-firewalld-like.json"));
    assert_eq!(summary(&rules), ["drops all-input reject filter_INPUT: reject with icmpx admin-prohibited"]);
    let judged = judge(&rules, &Context::default());
    assert_eq!(first(&judged, FirewallFlow::SubscribeIn).manager, Some(FirewallManager::Firewalld));
    assert_eq!(summary(&nft_rules(fixture!("nft-firewalld-like-sip.json"))), Vec::<String>::new());
}

#[test]
fn iptables_nft_tables_are_recognised() {
    assert_eq!(nft::iptables_nft_tables(fixture!("iptables-mixed.nft.json")), ["ip filter", "ip raw"]);
    assert_eq!(nft::iptables_nft_tables(fixture!("nft-drop-udp-5060.json")), Vec::<String>::new());
    // A hand-written `ip filter` table with lowercase base chains is nft's own.
    let own = r#"{"nftables":[{"chain":{"family":"ip","table":"filter","name":"input","hook":"input"}}]}"#;
    assert_eq!(nft::iptables_nft_tables(own), Vec::<String>::new());
    // Skipped tables are not read.
    let json = fixture!("iptables-mixed.nft.json");
    let skip = nft::iptables_nft_tables(json);
    let rules = vec![Ruleset::Netfilter(nft::read(json, &skip))];
    assert_eq!(judge(&rules, &Context::default()).findings, []);
}

#[test]
fn iptables_mixed_rules() {
    for text in [fixture!("iptables-mixed.nft-save.txt"), fixture!("iptables-mixed.legacy-save.txt")] {
        let rules = save_rules(text);
        assert_eq!(
            summary(&rules),
            [
                "drops udp-port drop PREROUTING: -A PREROUTING -d 224.0.0.0/4 -p udp -m udp --dport 5060 -j DROP",
                "may-drop udp-port drop sip: -A sip -s 10.0.0.0/8 -j DROP",
                "may-drop multicast drop INPUT: -A INPUT -m addrtype --dst-type MULTICAST -m comment --comment \"no multicast, please\" -j DROP",
            ],
            "{text}"
        );
        let judged = judge(&rules, &Context::default());
        let found: Vec<&FirewallFinding> = judged.of(FirewallFlow::SubscribeIn).collect();
        assert_eq!(found[1].depends_on, ["-s 10.0.0.0/8"]);
        assert_eq!(found[1].position, Some(1));
        // The multicast drop depends on the `sip` chain, whose accept holds only 198.51.100.0/24.
        assert!(
            found[2].depends_on.iter().any(|d| d.starts_with("earlier rule may let it through")),
            "{found:?}"
        );
    }
    let tool = |text| first(&judge(&save_rules(text), &Context::default()), FirewallFlow::SubscribeIn).tool;
    assert_eq!(tool(fixture!("iptables-mixed.nft-save.txt")), FirewallTool::IptablesNftSave);
    assert_eq!(tool(fixture!("iptables-mixed.legacy-save.txt")), FirewallTool::IptablesLegacySave);
}

#[test]
fn iptables_ufw_like_default_deny() {
    for text in [fixture!("iptables-ufw-like.nft-save.txt"), fixture!("iptables-ufw-like.legacy-save.txt")] {
        let rules = save_rules(text);
        assert_eq!(summary(&rules), ["drops all-input policy-drop INPUT: policy drop"], "{text}");
        let finding = first(&judge(&rules, &Context::default()), FirewallFlow::SubscribeIn);
        assert_eq!(finding.manager, Some(FirewallManager::Ufw));
    }
    for text in
        [fixture!("iptables-ufw-like-sip.nft-save.txt"), fixture!("iptables-ufw-like-sip.legacy-save.txt")]
    {
        assert_eq!(summary(&save_rules(text)), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn another_group_and_port() {
    let other_port = Context { port: Some(5080), ..Context::default() };
    assert_eq!(
        judge(&nft_rules(fixture!("nft-drop-udp-5060.json")), &other_port)
            .of(FirewallFlow::SubscribeIn)
            .count(),
        0
    );
    let unicast = Context { group: Some(Ipv4Addr::new(198, 51, 100, 7)), ..Context::default() };
    let judged = judge(&nft_rules(fixture!("nft-reject-multicast.json")), &unicast);
    assert_eq!(judged.of(FirewallFlow::SubscribeIn).count(), 0);
}

#[test]
fn iptables_options() {
    let rule = |options: &str| {
        let text = format!("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT {options}\nCOMMIT\n");
        summary(&save_rules(&text)).join("|").split(": ").next().unwrap_or_default().to_owned()
    };
    assert_eq!(rule("-j DROP"), "drops all-input drop INPUT");
    assert_eq!(rule("-i lo -j DROP"), "");
    assert_eq!(rule("! -i lo -j DROP"), "drops all-input drop INPUT");
    assert_eq!(rule("-i eth0 -j DROP"), "may-drop all-input drop INPUT");
    assert_eq!(rule("-p tcp -j DROP"), "");
    assert_eq!(rule("! -p udp -j DROP"), "");
    assert_eq!(rule("-p 17 --dport 5000:5100 -j DROP"), "drops udp-port drop INPUT");
    assert_eq!(rule("-p udp ! --dport 5060 -j DROP"), "");
    assert_eq!(rule("-d 224.0.1.75/255.255.255.255 -j REJECT"), "drops multicast reject INPUT");
    assert_eq!(rule("-d 224.0.1.76 -j DROP"), "");
    assert_eq!(rule("-m iprange --dst-range 224.0.0.0-224.0.2.0 -j DROP"), "drops multicast drop INPUT");
    assert_eq!(rule("-m conntrack --ctstate NEW -j DROP"), "drops all-input drop INPUT");
    assert_eq!(rule("-m state --state INVALID -j DROP"), "");
    assert_eq!(rule("-m pkttype --pkt-type multicast -j DROP"), "drops multicast drop INPUT");
    assert_eq!(rule("-m set --match-set blocked src -j DROP"), "may-drop all-input drop INPUT");
    assert_eq!(rule("-m limit --limit 3/min -j LOG --log-prefix \"x y\""), "");
    assert_eq!(rule("-j NFQUEUE --queue-num 1"), "");
    assert_eq!(rule("-p tcp --tcp-flags SYN,ACK SYN -j DROP"), "");
    assert_eq!(rule("-p icmp --icmp-type echo-request -j DROP"), "");
}

#[test]
fn garbage_is_a_note_never_a_panic() {
    let truncated = &fixture!("nft-sets-jumps.json")[..700];
    for text in ["", "{", "[]", "null", "{\"nftables\": 3}", truncated, "\u{0}\u{ffff}"] {
        let ruleset = nft::read(text, &[]);
        assert!(ruleset.error.is_some(), "{text:?}");
        assert!(ruleset.tables.is_empty());
    }
    // Objects of odd shapes inside a valid document: skipped or judged `maybe`, never fatal.
    let odd = r#"{"nftables":[{"chain":{"family":"inet","table":"t","name":"c","hook":"input","policy":"drop"}},
        {"chain":{"name":3}},{"rule":{"family":"inet","table":"t","chain":"c","expr":{}}},
        {"rule":{"family":"inet","table":"t","chain":"c","expr":[{"match":{}},{"frob":1},7,{"jump":{}},{"vmap":{"key":{"x":1},"data":"@nope"}},{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":{"range":["a"]}}}, {"drop":null}]}},
        {"rule":{"family":"inet","table":"t","chain":"c","expr":[{"goto":{"target":"c"}}]}},
        {"set":{"name":"s"}}, 5, "x"]}"#;
    let ruleset = nft::read(odd, &[]);
    assert_eq!(ruleset.error, None);
    assert_eq!(ruleset.skipped, 3);
    let judged = judge(&[Ruleset::Netfilter(ruleset)], &Context::default());
    assert!(judged.findings.iter().all(|f| f.certainty == FindingCertainty::MayDrop), "{judged:?}");
    for text in [
        "*filter\n-A",
        "-A INPUT -j DROP",
        "*filter\n:INPUT\n-A INPUT \"open -j DROP\n",
        "*\n:\n::\n-A x -j",
        "*filter\n-A INPUT -d 1.2.3.4/99 -p -j",
    ] {
        let _ = judge(&save_rules(text), &Context::default());
    }
    assert_eq!(iptables::read("-A INPUT -j DROP\n*filter\n:INPUT\n-A INPUT \"open\n", None).skipped, 3);
}

// ---------------------------------------------------------------------------------------------------
// Each point the judge decides, on hand-written nft rulesets (the JSON `nft -j` prints for them is
// built by `nft_json`).

/// A tiny nft-JSON builder: `rules` are (chain, [expr JSON], handle); chains as (name, hook, policy).
fn nft_doc(chains: &[(&str, Option<&str>, &str)], rules: &[(&str, &str)]) -> Vec<Ruleset> {
    let mut objects = vec![r#"{"table":{"family":"inet","name":"t"}}"#.to_owned()];
    for (name, hook, policy) in chains {
        match hook {
            Some(hook) => objects.push(format!(
                r#"{{"chain":{{"family":"inet","table":"t","name":"{name}","type":"filter","hook":"{hook}","prio":0,"policy":"{policy}"}}}}"#
            )),
            None => objects.push(format!(r#"{{"chain":{{"family":"inet","table":"t","name":"{name}"}}}}"#)),
        }
    }
    for (handle, (chain, exprs)) in rules.iter().enumerate() {
        objects.push(format!(
            r#"{{"rule":{{"family":"inet","table":"t","chain":"{chain}","handle":{},"expr":[{exprs}]}}}}"#,
            handle + 10
        ));
    }
    nft_rules(&format!(r#"{{"nftables":[{}]}}"#, objects.join(",")))
}

const UDP_5060: &str =
    r#"{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":5060}}"#;
const UDP_SPORT_5060: &str =
    r#"{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"sport"}},"right":5060}}"#;
const IGMP: &str = r#"{"match":{"op":"==","left":{"meta":{"key":"l4proto"}},"right":"igmp"}}"#;
const DROP: &str = r#"{"drop":null}"#;
const ACCEPT: &str = r#"{"accept":null}"#;
const REJECT: &str = r#"{"reject":null}"#;
const PHONES_SUBNET: &str = r#"{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":{"prefix":{"addr":"198.51.100.0","len":24}}}}"#;
const ESTABLISHED: &str =
    r#"{"match":{"op":"in","left":{"ct":{"key":"state"}},"right":["established","related"]}}"#;

fn iif(name: &str) -> String {
    format!(r#"{{"match":{{"op":"==","left":{{"meta":{{"key":"iifname"}}}},"right":"{name}"}}}}"#)
}

#[test]
fn a_drop_on_output_fails_the_answers() {
    let rules =
        nft_doc(&[("output", Some("output"), "accept")], &[("output", &format!("{UDP_SPORT_5060},{DROP}"))]);
    let judged = judge(&rules, &eth0());
    assert!(judged.drops(FirewallFlow::AnswerOut));
    assert_eq!(judged.of(FirewallFlow::SubscribeIn).count(), 0);
    let finding = first(&judged, FirewallFlow::AnswerOut);
    assert_eq!((finding.hook.as_str(), finding.affects), ("output", crate::facts::FirewallAffects::UdpPort));
    // An output policy drop takes the probe, the answers and IGMP reports.
    let closed = nft_doc(&[("output", Some("output"), "drop")], &[]);
    let judged = judge(&closed, &eth0());
    for flow in [FirewallFlow::AnswerOut, FirewallFlow::ProbeOut, FirewallFlow::IgmpOut] {
        assert!(judged.drops(flow), "{flow:?}");
    }
}

#[test]
fn igmp_is_judged_both_ways() {
    let rules = nft_doc(
        &[("input", Some("input"), "accept"), ("output", Some("output"), "accept")],
        &[("input", &format!("{IGMP},{DROP}")), ("output", &format!("{IGMP},{DROP}"))],
    );
    let judged = judge(&rules, &eth0());
    assert!(judged.drops(FirewallFlow::IgmpIn));
    assert!(judged.drops(FirewallFlow::IgmpOut));
    assert_eq!(first(&judged, FirewallFlow::IgmpIn).affects, crate::facts::FirewallAffects::Igmp);
    assert!(!judged.drops(FirewallFlow::SubscribeIn));
}

#[test]
fn a_reject_in_a_jumped_to_chain_with_an_interface_match_is_certain_for_that_interface() {
    let jump = r#"{"jump":{"target":"voip"}}"#;
    let rules = nft_doc(
        &[("input", Some("input"), "accept"), ("voip", None, "")],
        &[("input", &format!("{},{jump}", iif("eth0"))), ("voip", &format!("{UDP_5060},{REJECT}"))],
    );
    let judged = judge(&rules, &eth0());
    let finding = first(&judged, FirewallFlow::SubscribeIn);
    assert_eq!((finding.certainty, finding.chain.as_str()), (FindingCertainty::Drops, "voip"));
    // Unknown interface: may drop, and it says why.
    let judged = judge(&rules, &Context::default());
    assert_eq!(first(&judged, FirewallFlow::SubscribeIn).certainty, FindingCertainty::MayDrop);
    // Another interface: never.
    let judged = judge(&rules, &Context { interface: Some("eth1".into()), ..Context::default() });
    assert_eq!(judged.of(FirewallFlow::SubscribeIn).count(), 0);
}

#[test]
fn an_accept_of_the_phones_subnet_before_a_drop_keeps_it_off_them() {
    let rules = nft_doc(
        &[("input", Some("input"), "accept")],
        &[
            ("input", &format!("{PHONES_SUBNET},{UDP_5060},{ACCEPT}")),
            ("input", &format!("{UDP_5060},{DROP}")),
        ],
    );
    // Phones unknown: the drop may hit them, unless they are in that subnet.
    let judged = judge(&rules, &Context::default());
    let finding = first(&judged, FirewallFlow::SubscribeIn);
    assert_eq!(finding.certainty, FindingCertainty::MayDrop);
    assert_eq!(
        finding.depends_on,
        ["unless it comes from 198.51.100.0/24 (ip saddr 198.51.100.0/24 udp dport 5060 accept)"]
    );
    // Phones known and inside: nothing drops them.
    assert_eq!(
        judge(&rules, &phones(eth0(), &["198.51.100.20", "198.51.100.21"]))
            .of(FirewallFlow::SubscribeIn)
            .count(),
        0
    );
    // A phone outside: certain.
    assert!(judge(&rules, &phones(eth0(), &["203.0.113.9"])).drops(FirewallFlow::SubscribeIn));
    // One inside, one outside: it may drop (one of them).
    let judged = judge(&rules, &phones(eth0(), &["198.51.100.20", "203.0.113.9"]));
    assert_eq!(first(&judged, FirewallFlow::SubscribeIn).certainty, FindingCertainty::MayDrop);
}

#[test]
fn established_related_is_no_escape_for_a_new_subscribe() {
    let rules =
        nft_doc(&[("input", Some("input"), "drop")], &[("input", &format!("{ESTABLISHED},{ACCEPT}"))]);
    let judged = judge(&rules, &eth0());
    assert!(judged.drops(FirewallFlow::SubscribeIn));
    assert!(first(&judged, FirewallFlow::SubscribeIn).depends_on.is_empty());
}

#[test]
fn a_sip_conntrack_helper_is_reported() {
    let helper = r#"{"ct helper":"sip-5060"}"#;
    let rules =
        nft_doc(&[("pre", Some("prerouting"), "accept")], &[("pre", &format!("{UDP_5060},{helper}"))]);
    let judged = judge(&rules, &eth0());
    assert_eq!(judged.helpers.len(), 1, "{judged:?}");
    assert_eq!(judged.helpers[0].helper, "sip-5060");
    assert!(judged.helpers[0].certain);
    assert!(judged.findings.is_empty());
    let save = "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p udp -m udp --dport 5060 -j CT --helper sip\nCOMMIT\n";
    let judged = judge(&save_rules(save), &eth0());
    assert_eq!(judged.helpers[0].helper, "sip");
}

#[test]
fn verdict_maps_pick_the_element_that_holds_the_key() {
    let vmap = r#"{"vmap":{"key":{"payload":{"protocol":"udp","field":"dport"}},"data":{"set":[[5060,{"drop":null}],[53,{"accept":null}]]}}}"#;
    let rules = nft_doc(&[("input", Some("input"), "accept")], &[("input", vmap)]);
    assert!(judge(&rules, &eth0()).drops(FirewallFlow::SubscribeIn));
    let judged = judge(&rules, &Context { port: Some(53), ..eth0() });
    assert_eq!(judged.of(FirewallFlow::SubscribeIn).count(), 0);
}

/// 14 chains that each jump 4 times to the next: 4^14 paths, judged in a blink by memoisation.
fn nested(depth: usize, jumps: usize) -> Vec<Ruleset> {
    let mut chains = vec![("c0".to_owned(), Some("input"), "accept")];
    let mut rules = Vec::new();
    for level in 0..depth {
        let next = format!("c{}", level + 1);
        chains.push((next.clone(), None, ""));
        for _ in 0..jumps {
            rules.push((format!("c{level}"), format!(r#"{{"jump":{{"target":"{next}"}}}}"#)));
        }
    }
    rules.push((format!("c{depth}"), format!("{UDP_5060},{DROP}")));
    let chains: Vec<(&str, Option<&str>, &str)> =
        chains.iter().map(|(n, h, p)| (n.as_str(), *h, *p)).collect();
    let rules: Vec<(&str, &str)> = rules.iter().map(|(c, e)| (c.as_str(), e.as_str())).collect();
    nft_doc(&chains, &rules)
}

#[test]
fn nested_jumps_are_judged_once_per_state() {
    // Speed is measured by the benchmark (scripts/bench-firewall.sh); here, the work done: without
    // memoisation this walk would take 4^14 steps.
    let rules = nested(14, 4);
    let judged = judge(&rules, &eth0());
    assert!(judged.drops(FirewallFlow::SubscribeIn));
    assert!(!judged.partial);
    assert!(judged.steps < 10_000, "{} steps", judged.steps);
}

#[test]
fn a_step_budget_marks_the_result_partial() {
    let rules = nested(14, 4);
    let judged = judge(&rules, &Context { budget: 5, ..eth0() });
    assert!(judged.partial);
    assert!(!judged.drops(FirewallFlow::SubscribeIn));
}

#[test]
fn windows_firewall_block_beats_allow_and_inbound_is_blocked_by_default() {
    use crate::ruleset::{WindowsFirewall, WindowsRule};
    let allow = WindowsRule {
        name: "SIP".into(),
        enabled: true,
        inbound: true,
        allow: true,
        protocol: Some(17),
        local_ports: vec![crate::ruleset::LocalPort::Range(5060, 5060)],
        ..WindowsRule::default()
    };
    let closed = WindowsFirewall { default_inbound_block: true, ..WindowsFirewall::default() };
    let judged = judge(&[Ruleset::Windows(closed.clone())], &eth0());
    assert!(judged.drops(FirewallFlow::SubscribeIn));
    let open = WindowsFirewall { rules: vec![allow.clone()], ..closed.clone() };
    assert!(!judge(&[Ruleset::Windows(open)], &eth0()).drops(FirewallFlow::SubscribeIn));
    let block = WindowsRule { name: "no SIP".into(), allow: false, ..allow.clone() };
    let both = WindowsFirewall { rules: vec![allow, block], ..closed.clone() };
    let judged = judge(&[Ruleset::Windows(both)], &eth0());
    assert!(judged.drops(FirewallFlow::SubscribeIn));
    // The fix turns the blocking rule off (an allow cannot beat it); a default block gets a scoped allow.
    let finding = first(&judged, FirewallFlow::SubscribeIn);
    assert_eq!(
        fix::fix(&finding, &fix_context()).commands(),
        [
            "Get-NetFirewallRule -DisplayName 'no SIP' | Get-NetFirewallPortFilter",
            "Disable-NetFirewallRule -DisplayName 'no SIP'"
        ]
    );
    let finding = first(&judge(&[Ruleset::Windows(closed)], &eth0()), FirewallFlow::SubscribeIn);
    assert_eq!(
        fix::fix(&finding, &fix_context()).commands(),
        [
            "New-NetFirewallRule -DisplayName 'mcready SIP PnP' -Direction Inbound -Protocol UDP -LocalPort 5060 -InterfaceAlias 'eth0' -RemoteAddress LocalSubnet -Action Allow"
        ]
    );
}

// ---------------------------------------------------------------------------------------------------
// Fixes.

pub(super) fn fix_context() -> FixContext {
    FixContext {
        subnet: Some("198.51.100.0/24".into()),
        interface: Some("eth0".into()),
        group: PNP_GROUP,
        port: PNP_PORT,
        provisioning: None,
    }
}

fn fix_of(rules: &[Ruleset], flow: FirewallFlow) -> String {
    let finding = first(&judge(rules, &eth0()), flow);
    fix::fix(&finding, &fix_context()).render(&finding)
}

#[test]
fn nftables_fix_inserts_a_narrow_accept_before_the_quoted_rule() {
    let text = fix_of(&nft_rules(fixture!("nft-drop-udp-5060.json")), FirewallFlow::SubscribeIn);
    assert!(
        text.contains("`sudo nft insert rule inet filter input position 4 ip saddr 198.51.100.0/24 udp dport 5060 accept`"),
        "{text}"
    );
    assert!(text.contains("/etc/nftables.conf"), "{text}");
    // A policy drop: an accept at the end of the chain.
    let text = fix_of(&nft_rules(fixture!("nft-policy-drop.json")), FirewallFlow::SubscribeIn);
    assert!(
        text.contains("`sudo nft add rule inet filter input ip saddr 198.51.100.0/24 udp dport 5060 accept`"),
        "{text}"
    );
    // IGMP: on the phones' interface only.
    let text = fix_of(&nft_rules(fixture!("nft-policy-drop.json")), FirewallFlow::IgmpIn);
    assert!(text.contains("iifname eth0 ip protocol igmp accept"), "{text}");
    // Never SIP open to everyone.
    assert!(!text.contains("udp dport 5060 accept`") || text.contains("ip saddr"), "{text}");
}

#[test]
fn iptables_fix_inserts_at_the_rule_position_and_saves() {
    let text = fix_of(&save_rules(fixture!("iptables-mixed.legacy-save.txt")), FirewallFlow::SubscribeIn);
    assert!(
        text.contains(
            "`sudo iptables-legacy -t raw -I PREROUTING 1 -s 198.51.100.0/24 -p udp --dport 5060 -j ACCEPT`"
        ),
        "{text}"
    );
    assert!(text.contains("netfilter-persistent save"), "{text}");
    let text = fix_of(&save_rules(fixture!("iptables-mixed.nft-save.txt")), FirewallFlow::SubscribeIn);
    assert!(text.contains("`sudo iptables-nft -t raw -I PREROUTING 1 "), "{text}");
}

#[test]
fn ufw_and_firewalld_fixes_use_their_own_words() {
    let text = fix_of(&save_rules(fixture!("iptables-ufw-like.legacy-save.txt")), FirewallFlow::SubscribeIn);
    assert!(text.contains("`sudo ufw allow from 198.51.100.0/24 to any port 5060 proto udp`"), "{text}");
    let text = fix_of(&nft_rules(fixture!("nft-firewalld-like.json")), FirewallFlow::SubscribeIn);
    assert!(
        text.contains(
            "`sudo firewall-cmd --permanent --zone=$(firewall-cmd --get-zone-of-interface=eth0) --add-rich-rule='rule family=\"ipv4\" source address=\"198.51.100.0/24\" port port=\"5060\" protocol=\"udp\" accept'` then `sudo firewall-cmd --reload`"
        ),
        "{text}"
    );
    assert_eq!(crate::managers::firewalld::zone_of_chain("filter_IN_public_deny"), Some("public"));
    assert_eq!(crate::managers::firewalld::zone_of_chain("filter_INPUT_ZONES"), None);
}

#[test]
fn docker_and_kube_proxy_chains_are_named_as_theirs() {
    let save = "*filter\n:INPUT ACCEPT [0:0]\n:KUBE-FIREWALL - [0:0]\n-A INPUT -j KUBE-FIREWALL\n-A KUBE-FIREWALL -p udp --dport 5060 -j DROP\nCOMMIT\n";
    let text = fix_of(&save_rules(save), FirewallFlow::SubscribeIn);
    assert!(text.contains("kube-proxy's own"), "{text}");
    assert!(
        text.contains("`sudo iptables-legacy -I INPUT 1 -s 198.51.100.0/24 -p udp --dport 5060 -j ACCEPT`"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------------
// The rulesets managers write (see tests/fixtures/firewall/README.md for their provenance).

#[test]
fn docker_rules_leave_pnp_alone() {
    for text in [fixture!("iptables-docker.nft-save.txt"), fixture!("iptables-docker.legacy-save.txt")] {
        let judged = judge(&save_rules(text), &phones(eth0(), &["198.51.100.20"]));
        assert_eq!(judged.findings, [], "{text}");
    }
}

#[test]
fn kube_proxy_rules_leave_pnp_alone() {
    for text in
        [fixture!("iptables-kube-proxy.nft-save.txt"), fixture!("iptables-kube-proxy.legacy-save.txt")]
    {
        let rules = save_rules(text);
        let Ruleset::Netfilter(read) = &rules[0] else { panic!() };
        assert_eq!(read.skipped, 0);
        // Each table keeps its own chains: nat's four built-in chains, and its jumps to its own chains.
        let nat = read.tables.iter().find(|t| t.name == "nat").expect("nat");
        assert_eq!(nat.chains.iter().filter(|c| c.base.is_some()).count(), 4);
        let prerouting = &nat.chains[nat.chain("PREROUTING").expect("PREROUTING")];
        assert_eq!(prerouting.rules[0].verdict, crate::ruleset::Verdict::Jump("KUBE-SERVICES".into()));
        let judged = judge(&rules, &phones(eth0(), &["198.51.100.20"]));
        assert_eq!(judged.findings, [], "{text}");
        // Without a known interface or phone, still nothing: the localnet drop is for 127.0.0.0/8.
        assert_eq!(judge(&rules, &Context::default()).findings, []);
    }
}

#[test]
fn ufw_and_firewalld_rulesets_are_owned_by_them() {
    let judged = judge(&save_rules(fixture!("iptables-ufw-like.nft-save.txt")), &eth0());
    assert!(judged.findings.iter().all(|f| f.manager == Some(FirewallManager::Ufw)), "{judged:?}");
    // ufw's default deny takes IGMP queries too.
    assert!(judged.drops(FirewallFlow::IgmpIn));
    let judged = judge(&nft_rules(fixture!("nft-firewalld-like.json")), &eth0());
    assert!(judged.findings.iter().all(|f| f.manager == Some(FirewallManager::Firewalld)), "{judged:?}");
}

#[test]
fn nat_chains_and_what_only_they_reach_are_not_read() {
    let json = r#"{"nftables":[{"table":{"family":"ip","name":"kube-proxy"}},
      {"chain":{"family":"ip","table":"kube-proxy","name":"nat-prerouting","type":"nat","hook":"prerouting","prio":-100,"policy":"accept"}},
      {"chain":{"family":"ip","table":"kube-proxy","name":"services"}},
      {"chain":{"family":"ip","table":"kube-proxy","name":"filter-input","type":"filter","hook":"input","prio":-110,"policy":"accept"}},
      {"chain":{"family":"ip","table":"kube-proxy","name":"checks"}},
      {"rule":{"family":"ip","table":"kube-proxy","chain":"nat-prerouting","handle":5,"expr":[{"jump":{"target":"services"}}]}},
      {"rule":{"family":"ip","table":"kube-proxy","chain":"services","handle":6,"expr":[{"drop":null}]}},
      {"rule":{"family":"ip","table":"kube-proxy","chain":"filter-input","handle":7,"expr":[{"jump":{"target":"checks"}}]}},
      {"rule":{"family":"ip","table":"kube-proxy","chain":"checks","handle":8,"expr":[
        {"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":5060}},{"drop":null}]}}]}"#;
    let ruleset = nft::read(json, &[]);
    // The filter chain and the chain it jumps to are read; the NAT chain's rules are not.
    assert_eq!(ruleset.rules, 2);
    let judged = judge(&[Ruleset::Netfilter(ruleset)], &eth0());
    assert_eq!(
        summary_of(&judged, FirewallFlow::SubscribeIn),
        ["drops udp-port drop checks: udp dport 5060 drop"]
    );
}
