//! pf (macOS): `pfctl -sr` text read into first-match chains and judged — last match wins unless
//! `quick` — and the fix for a pf finding.

use std::net::Ipv4Addr;

use super::fix;
use super::judge::{Context, judge};
use super::tests::{first, fix_context};
use crate::facts::{FindingCertainty, FirewallFinding, FirewallFlow};
use crate::ruleset::{FirewallTool, Ruleset};

#[test]
fn pf_fix_is_a_quick_pass_for_the_phones_subnet() {
    // No pf reader yields findings yet; the fix for one is ready, as a sub-anchor stock pf.conf evaluates.
    let finding = FirewallFinding {
        tool: FirewallTool::Pf,
        affects: crate::facts::FirewallAffects::UdpPort,
        certainty: FindingCertainty::Drops,
        table: "pf".into(),
        chain: "main".into(),
        hook: "input".into(),
        verdict: crate::facts::FirewallVerdict::Drop,
        rule: "block drop in quick on en0 proto udp from any to any port = 5060".into(),
        handle: None,
        depends_on: Vec::new(),
        flow: Some(FirewallFlow::SubscribeIn),
        position: None,
        manager: None,
    };
    let fix = fix::fix(&finding, &fix_context());
    assert_eq!(fix.manager, crate::facts::FirewallManager::Pf);
    assert_eq!(
        fix.commands(),
        [
            "echo 'pass in quick proto udp from 198.51.100.0/24 to any port 5060' | sudo pfctl -a com.apple/mcready -f -"
        ]
    );
    assert!(fix.persist.contains("/etc/pf.anchors/mcready"), "{}", fix.persist);
}

fn pf(text: &str) -> Vec<Ruleset> {
    vec![Ruleset::Netfilter(super::pf::read(text))]
}

fn en0() -> Context {
    Context {
        interface: Some("en0".into()),
        local: Some(Ipv4Addr::new(198, 51, 100, 1)),
        ..Context::default()
    }
}

#[test]
fn pf_fixture_quick_block_of_the_port_drops() {
    let rules = pf(include_str!("../../tests/fixtures/macos/pfctl-sr.txt"));
    let judged = judge(&rules, &en0());
    assert!(judged.drops(FirewallFlow::SubscribeIn));
    let finding = first(&judged, FirewallFlow::SubscribeIn);
    assert_eq!(finding.rule, "block drop in quick on en0 proto udp from any to any port = 5060");
    assert_eq!(finding.tool, FirewallTool::Pf);
    assert_eq!((finding.table.as_str(), finding.chain.as_str()), ("pf", "in"));
}

#[test]
fn pf_last_match_wins_without_quick() {
    // A later pass undoes an earlier block; a later block undoes an earlier pass.
    let passed = pf("block drop in all\npass in proto udp from any to any port = 5060\n");
    assert!(!judge(&passed, &en0()).drops(FirewallFlow::SubscribeIn));
    let blocked = pf("pass in proto udp from any to any port = 5060\nblock drop in all\n");
    assert!(judge(&blocked, &en0()).drops(FirewallFlow::SubscribeIn));
    // A quick pass wins over any later block.
    let quick = pf("pass in quick proto udp from any to any port = 5060\nblock drop in all\n");
    assert!(!judge(&quick, &en0()).drops(FirewallFlow::SubscribeIn));
    // pf's default is pass; an out rule does not touch what comes in.
    assert!(!judge(&pf("block drop out all\n"), &en0()).drops(FirewallFlow::SubscribeIn));
    assert!(judge(&pf("block drop out all\n"), &en0()).drops(FirewallFlow::AnswerOut));
}

#[test]
fn pf_conditions_interfaces_sources_and_what_is_not_judged() {
    // Another interface: not the phones'.
    assert!(!judge(&pf("block drop in quick on en1 all\n"), &en0()).drops(FirewallFlow::SubscribeIn));
    // Negated interface, TCP only, IPv6 only.
    assert!(judge(&pf("block drop in quick on ! en1 all\n"), &en0()).drops(FirewallFlow::SubscribeIn));
    assert!(!judge(&pf("block drop in quick proto tcp all\n"), &en0()).drops(FirewallFlow::SubscribeIn));
    assert!(!judge(&pf("block drop in quick inet6 all\n"), &en0()).drops(FirewallFlow::SubscribeIn));
    // A table of addresses cannot be resolved: may drop.
    let table = judge(&pf("block drop in quick from <bad> to any\n"), &en0());
    assert!(!table.drops(FirewallFlow::SubscribeIn));
    assert_eq!(first(&table, FirewallFlow::SubscribeIn).certainty, FindingCertainty::MayDrop);
    // Port ranges and comparisons.
    assert!(
        judge(&pf("block return in quick proto udp from any to any port 5000:5100\n"), &en0())
            .drops(FirewallFlow::SubscribeIn)
    );
    assert!(
        !judge(&pf("block drop in quick proto udp from any to any port < 1024\n"), &en0())
            .drops(FirewallFlow::SubscribeIn)
    );
    // pfctl prints service names: `sip` is the PnP port, `ssh` is not, an unknown name may be.
    assert!(
        judge(&pf("block drop in quick proto udp from any to any port = sip\n"), &en0())
            .drops(FirewallFlow::SubscribeIn)
    );
    assert!(
        judge(&pf("block drop in quick proto udp from any to any port = ssh\n"), &en0())
            .of(FirewallFlow::SubscribeIn)
            .next()
            .is_none()
    );
    let unknown = judge(&pf("block drop in quick proto udp from any to any port = mystery\n"), &en0());
    assert_eq!(first(&unknown, FirewallFlow::SubscribeIn).certainty, FindingCertainty::MayDrop);
    // Scrub, NAT and anchors of Apple's stock ruleset: nothing dropped, nothing unread counted.
    let stock =
        super::pf::read("scrub-anchor \"com.apple/*\" all fragment reassemble\nanchor \"com.apple/*\" all\n");
    assert_eq!((stock.rules, stock.skipped), (1, 0));
    assert!(!judge(&[Ruleset::Netfilter(stock)], &en0()).drops(FirewallFlow::SubscribeIn));
    // Lines that are no pf rule are counted as skipped, never a panic.
    let junk = super::pf::read("hello world\nblock drop in on\npass in from\n");
    assert_eq!((junk.rules, junk.skipped), (0, 3));
}

proptest::proptest! {
    #[test]
    fn pf_reader_never_panics(text in "\\PC{0,300}", words in proptest::collection::vec("(pass|block|drop|in|out|quick|on|!|en0|proto|udp|from|to|any|all|port|=|<|5060|5000:5100|<t>|\"a b\"|inet6)", 0..16)) {
        let _ = super::pf::read(&text);
        let line = words.join(" ");
        let ruleset = super::pf::read(&line);
        let _ = judge(&[Ruleset::Netfilter(ruleset)], &en0());
    }
}
