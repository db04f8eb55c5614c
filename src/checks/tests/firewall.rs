//! The host firewall in the checklist: findings read from the host, rulesets judged again with the
//! PnP interface and the phones the checklist knows (nft, pf), the output, IGMP and helper checks, and
//! a ruleset too large to judge whole.

use super::*;

fn firewall_drop(certainty: crate::facts::FindingCertainty) -> crate::facts::FirewallFinding {
    crate::facts::FirewallFinding {
        tool: crate::ruleset::FirewallTool::Nft,
        affects: crate::facts::FirewallAffects::UdpPort,
        certainty,
        table: "inet filter".into(),
        chain: "input".into(),
        hook: "input".into(),
        verdict: crate::facts::FirewallVerdict::Drop,
        rule: "udp dport 5060 drop".into(),
        handle: Some(4),
        depends_on: Vec::new(),
        flow: None,
        position: Some(1),
        manager: None,
    }
}

#[test]
fn firewall_rule_read_from_the_host_blames_only_the_network() {
    let mut snapshot = healthy();
    snapshot.facts.firewall.findings.push(firewall_drop(crate::facts::FindingCertainty::Drops));
    if let Observed::Done(probe) = &mut snapshot.probe {
        probe.loopback = Some(crate::observed::Loopback { arrived: false, after_ms: None });
        probe.answers.clear();
    }
    snapshot.expected_phones = vec!["198.51.100.20".parse().unwrap()];
    snapshot.listen = listened(Vec::new());
    assert_eq!(statuses(&snapshot), [Pass, Pass, Fail, Skip]);
    assert_eq!(status_of(&snapshot, multicast::HOST_FIREWALL), Fail);
    assert_eq!(status_of(&snapshot, membership::LOOPBACK), Skip);
    assert_eq!(status_of(&snapshot, membership::PBX_ANSWERS), Skip);
    let summary = summary_of(&snapshot, multicast::HOST_FIREWALL);
    assert!(summary.contains("`udp dport 5060 drop` in inet filter input (handle 4)"), "{summary}");
}

#[test]
fn a_rule_that_may_drop_warns() {
    let mut snapshot = healthy();
    let mut finding = firewall_drop(crate::facts::FindingCertainty::MayDrop);
    finding.depends_on.push("ip saddr 10.0.0.0/8".into());
    snapshot.facts.firewall.findings.push(finding);
    assert_eq!(status_of(&snapshot, multicast::HOST_FIREWALL), Warn);
}

fn pf_read(rules: &str) -> Snapshot {
    let mut snapshot = healthy();
    snapshot.os = OsFamily::Macos;
    let (source, ruleset) = crate::platform::macos_text::pf_source(
        crate::platform::macos_text::PfRead::Rules(rules),
        Some("Status: Enabled for 0 days 00:01:00"),
        Some("Firewall is disabled. (State = 0)"),
    );
    snapshot.facts.firewall.sources.push(source);
    snapshot.facts.firewall.rulesets.extend(ruleset.map(crate::ruleset::Ruleset::Netfilter));
    snapshot
}

#[test]
fn pf_is_judged_like_any_firewall() {
    let blocked = pf_read("block drop in quick proto udp from any to any port = 5060\n");
    assert_eq!(status_of(&blocked, multicast::HOST_FIREWALL), Fail);
    let remedy = evaluate(&blocked)
        .iter()
        .flat_map(|r| &r.checks)
        .find(|c| c.id == multicast::HOST_FIREWALL)
        .and_then(|c| c.remedy.clone())
        .unwrap_or_default();
    assert!(remedy.contains("sudo pfctl -a com.apple/mcready -f -"), "{remedy}");

    let open = pf_read("block drop in all\npass in proto udp from any to any port = 5060\n");
    assert_eq!(status_of(&open, multicast::HOST_FIREWALL), Pass);
    let summary = summary_of(&open, multicast::HOST_FIREWALL);
    assert!(summary.contains("pfctl -sr (pf is enabled; the Application Firewall is off)"), "{summary}");
}

/// A snapshot whose firewall facts carry a ruleset as read (nft JSON), so the checklist judges it
/// again with the PnP interface and the phones.
fn with_nft_ruleset(json: &str) -> Snapshot {
    let mut snapshot = healthy();
    let ruleset = crate::firewall::nft::read(json, &[]);
    snapshot.facts.firewall.sources.push(crate::facts::FirewallSource {
        tool: crate::ruleset::FirewallTool::Nft,
        command: "nft -j list ruleset".into(),
        status: crate::facts::SourceStatus::Read,
        detail: None,
        rules: ruleset.rules,
        skipped: 0,
    });
    snapshot.facts.firewall.rulesets.push(crate::ruleset::Ruleset::Netfilter(ruleset));
    snapshot
}

#[test]
fn the_checklist_judges_the_ruleset_with_the_phones_it_knows() {
    let json = include_str!("../../../tests/fixtures/firewall/nft-saddr-may-drop.json");
    let mut snapshot = with_nft_ruleset(json);
    // No phone known: the drop of 10.0.0.0/8 may hit them.
    assert_eq!(status_of(&snapshot, multicast::HOST_FIREWALL), Warn);
    // The phone is on 198.51.100.0/24: it does not.
    snapshot.expected_phones = vec!["198.51.100.20".parse().unwrap()];
    assert_eq!(status_of(&snapshot, multicast::HOST_FIREWALL), Pass);
}

#[test]
fn a_certain_drop_of_the_probe_skips_loopback_and_answers_and_the_fix_is_narrow() {
    let json = include_str!("../../../tests/fixtures/firewall/nft-drop-udp-5060.json");
    let mut snapshot = with_nft_ruleset(json);
    if let Observed::Done(probe) = &mut snapshot.probe {
        probe.loopback = Some(crate::observed::Loopback { arrived: false, after_ms: None });
        probe.answers.clear();
    }
    snapshot.expected_phones = vec!["198.51.100.20".parse().unwrap()];
    assert_ne!(statuses(&snapshot)[0], Fail, "never a membership failure");
    let loopback = check_of(&snapshot, membership::LOOPBACK);
    assert_eq!(loopback.status, Skip);
    assert!(
        loopback.summary.contains("`udp dport 5060 counter drop` in inet filter input"),
        "{}",
        loopback.summary
    );
    assert_eq!(status_of(&snapshot, membership::PBX_ANSWERS), Skip);
    let firewall = check_of(&snapshot, multicast::HOST_FIREWALL);
    assert_eq!(firewall.status, Fail);
    let remedy = firewall.remedy.unwrap_or_default();
    assert!(
        remedy.contains(
            "sudo nft insert rule inet filter input position 4 ip saddr 198.51.100.0/24 udp dport 5060 accept"
        ),
        "{remedy}"
    );
}

#[test]
fn output_igmp_and_helper_checks() {
    let json = r#"{"nftables":[{"table":{"family":"inet","name":"t"}},
      {"chain":{"family":"inet","table":"t","name":"out","type":"filter","hook":"output","prio":0,"policy":"drop"}},
      {"chain":{"family":"inet","table":"t","name":"pre","type":"filter","hook":"prerouting","prio":0,"policy":"accept"}},
      {"rule":{"family":"inet","table":"t","chain":"pre","handle":3,"expr":[
        {"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":5060}},{"ct helper":"sip"}]}}]}"#;
    let snapshot = with_nft_ruleset(json);
    assert_eq!(status_of(&snapshot, multicast::FIREWALL_OUTPUT), Fail);
    assert_eq!(status_of(&snapshot, multicast::FIREWALL_IGMP), Fail);
    assert_eq!(status_of(&snapshot, multicast::SIP_HELPER), Warn);
    assert_eq!(status_of(&snapshot, multicast::HOST_FIREWALL), Pass);
    assert_eq!(statuses(&snapshot)[2], Fail);
}

#[test]
fn a_ruleset_too_large_to_judge_whole_warns_instead_of_passing() {
    let mut snapshot = with_nft_ruleset(include_str!("../../../tests/fixtures/firewall/nft-irrelevant.json"));
    assert_eq!(status_of(&snapshot, multicast::HOST_FIREWALL), Pass);
    // Facts from a gather whose judge ran out of steps, with no ruleset to judge again.
    snapshot.facts.firewall.rulesets.clear();
    snapshot.facts.firewall.partial = true;
    let check = check_of(&snapshot, multicast::HOST_FIREWALL);
    assert_eq!(check.status, Warn);
    assert!(check.summary.contains("too large to judge whole"), "{}", check.summary);
}
