//! Windows Defender Firewall: the records as the API reports them (tests/fixtures/firewall/windows-*),
//! their conversion, and the judge and fixes on them.

use std::net::Ipv4Addr;

use super::fix::{self, FixContext};
use super::judge::{Context, Judgement, judge};
use super::windows::{self, NetworkRecord, PolicyRecord, RuleRecord, local_port, remote_address};
use crate::facts::{FindingCertainty, FirewallFlow, FirewallVerdict, SourceStatus};
use crate::ruleset::{Element, LocalPort, RemoteAddress, Ruleset};

const ADAPTER_ID: &str = "{4F2A6C1E-8B3D-4E5F-9A0B-1C2D3E4F5A6B}";

fn host() -> PolicyRecord {
    let text = include_str!("../../tests/fixtures/firewall/windows-pbx-host.json");
    serde_json::from_str(text).expect("fixture parses")
}

fn adapters() -> Vec<(String, String)> {
    // As GetAdaptersAddresses names it: the GUID in lower case is the same adapter.
    vec![(ADAPTER_ID.to_ascii_lowercase(), "Ethernet 2".into()), ("{0000}".into(), "Wi-Fi".into())]
}

/// The PBX host's context: the PnP adapter, its subnet and a phone on it.
fn context() -> Context {
    Context {
        interface: Some("Ethernet 2".into()),
        local: Some(Ipv4Addr::new(198, 51, 100, 1)),
        local_subnet: Some((Ipv4Addr::new(198, 51, 100, 0), 24)),
        phones: vec![Ipv4Addr::new(198, 51, 100, 20)],
        ..Context::default()
    }
}

fn judged(policy: &PolicyRecord, context: &Context) -> Judgement {
    judge(&[Ruleset::Windows(windows::ruleset(policy, &adapters()))], context)
}

fn fix_context() -> FixContext {
    FixContext {
        subnet: Some("198.51.100.0/24".into()),
        interface: Some("Ethernet 2".into()),
        group: crate::facts::PNP_GROUP,
        port: 5060,
        provisioning: None,
    }
}

fn on_category(category: i32) -> PolicyRecord {
    let mut policy = host();
    policy.networks = vec![NetworkRecord { adapter_id: ADAPTER_ID.into(), category }];
    policy.current_profile_types = match category {
        0 => 4,
        1 => 2,
        _ => 1,
    };
    policy
}

fn rule(name: &str, action: i32, ports: &str, remote: &str) -> RuleRecord {
    RuleRecord {
        name: name.into(),
        direction: 1,
        action,
        enabled: true,
        protocol: 17,
        local_ports: ports.into(),
        remote_addresses: remote.into(),
        profiles: 0x7FFF_FFFF,
        ..RuleRecord::default()
    }
}

#[test]
fn records_convert_into_the_model() {
    let firewall = windows::ruleset(&host(), &adapters());
    assert_eq!(firewall.active_profiles, ["Public"]);
    assert_eq!(firewall.adapter_profiles, [("Ethernet 2".to_owned(), "Public".to_owned())]);
    assert_eq!(firewall.profiles.len(), 3);
    assert!(
        firewall.profiles.iter().all(|p| p.enabled && p.default_inbound_block && !p.default_outbound_block)
    );
    let igmp = &firewall.rules[0];
    assert_eq!((igmp.protocol, igmp.inbound, igmp.allow), (Some(2), true, true));
    assert!(igmp.profiles.is_empty(), "0x7FFFFFFF is every profile");
    assert_eq!(igmp.local_ports, [LocalPort::Any]);
    assert_eq!(igmp.program.as_deref(), Some("System"));
    let pbx = &firewall.rules[3];
    assert_eq!(pbx.protocol, Some(17));
    assert_eq!(pbx.profiles, ["Domain", "Private"]);
    assert_eq!(pbx.remote_addresses, [RemoteAddress::LocalSubnet]);
    let block = &firewall.rules[5];
    assert!(!block.allow);
    assert_eq!(block.local_ports, [LocalPort::Range(5060, 5070), LocalPort::Range(5080, 5080)]);
    assert_eq!(
        block.remote_addresses,
        [
            RemoteAddress::V4(Element::Prefix(Ipv4Addr::new(203, 0, 113, 0), 24)),
            RemoteAddress::V4(Element::AddrRange(
                Ipv4Addr::new(198, 51, 100, 250),
                Ipv4Addr::new(198, 51, 100, 254)
            )),
        ]
    );
    assert_eq!(firewall.rules[6].protocol, None, "256 is any protocol");
    let mut odd = host();
    odd.rules[0].protocol = 300;
    assert_eq!(windows::ruleset(&odd, &adapters()).rules[0].protocol, Some(u8::MAX), "matches nothing");
    assert!(!firewall.rules[6].enabled);
    assert_eq!(windows::profile_names(5), ["Domain", "Public"]);
}

#[test]
fn port_and_address_tokens() {
    assert_eq!(local_port("5060"), LocalPort::Range(5060, 5060));
    assert_eq!(local_port(" 5060-5070 "), LocalPort::Range(5060, 5070));
    assert_eq!(local_port("Any"), LocalPort::Any);
    assert_eq!(local_port("*"), LocalPort::Any);
    assert_eq!(local_port("RPC"), LocalPort::Dynamic("RPC".into()));
    assert_eq!(local_port("Something new"), LocalPort::Unknown("Something new".into()));
    assert_eq!(remote_address("*"), RemoteAddress::Any);
    assert_eq!(remote_address("localsubnet"), RemoteAddress::LocalSubnet);
    assert_eq!(
        remote_address("10.0.0.0/255.0.0.0"),
        RemoteAddress::V4(Element::Prefix(Ipv4Addr::new(10, 0, 0, 0), 8))
    );
    assert_eq!(
        remote_address("198.51.100.0/24"),
        RemoteAddress::V4(Element::Prefix(Ipv4Addr::new(198, 51, 100, 0), 24))
    );
    assert_eq!(
        remote_address("198.51.100.7-198.51.100.9"),
        RemoteAddress::V4(Element::AddrRange(Ipv4Addr::new(198, 51, 100, 7), Ipv4Addr::new(198, 51, 100, 9)))
    );
    assert_eq!(
        remote_address("198.51.100.7"),
        RemoteAddress::V4(Element::Addr(Ipv4Addr::new(198, 51, 100, 7)))
    );
    assert_eq!(remote_address("fe80::/64"), RemoteAddress::V6);
    assert_eq!(remote_address("DefaultGateway"), RemoteAddress::Dynamic("DefaultGateway".into()));
    // A mask that is not contiguous is no prefix: not compared.
    assert!(matches!(remote_address("10.0.0.0/255.0.255.0"), RemoteAddress::Dynamic(_)));
}

/// The usual fault: the PBX's allow rule is for Domain and Private, the PnP adapter's network is
/// Public, inbound is blocked by default.
#[test]
fn allow_rule_of_another_profile_leaves_the_default_block() {
    let public = judged(&host(), &context());
    let finding = public.of(FirewallFlow::SubscribeIn).next().expect("a finding");
    assert_eq!(finding.certainty, FindingCertainty::Drops);
    assert_eq!(finding.verdict, FirewallVerdict::PolicyDrop);
    assert_eq!(finding.chain, "inbound, Public profile");
    assert_eq!(
        fix::fix(finding, &fix_context()).commands(),
        [
            "New-NetFirewallRule -DisplayName 'mcready SIP PnP' -Direction Inbound -Protocol UDP -LocalPort 5060 -InterfaceAlias 'Ethernet 2' -RemoteAddress LocalSubnet -Action Allow"
        ]
    );
    // Windows' own Core Networking rules let IGMP through in every profile; outbound is allowed.
    assert_eq!(public.of(FirewallFlow::IgmpIn).count(), 0);
    assert_eq!(public.of(FirewallFlow::IgmpOut).count(), 0);
    assert_eq!(public.of(FirewallFlow::AnswerOut).count(), 0);
}

#[test]
fn allow_rule_in_the_adapters_profile_passes() {
    let known = judged(&on_category(1), &context());
    assert!(known.of(FirewallFlow::SubscribeIn).next().is_none(), "{known:#?}");
    // The phones' addresses unknown: LocalSubnet may not hold them, so the drop is possible only.
    // The scanners' block rule may then hold them too.
    let unknown = Context { phones: Vec::new(), ..context() };
    let unsure = judged(&on_category(1), &unknown);
    let found: Vec<_> = unsure.of(FirewallFlow::SubscribeIn).collect();
    assert!(found.iter().all(|f| f.certainty == FindingCertainty::MayDrop), "{found:#?}");
    assert_eq!(found[0].rule, "Block SIP scanners");
    assert_eq!(found[1].depends_on, ["unless `3CX SIP UDP 5060` applies"]);
}

fn judged_first(policy: &PolicyRecord, context: &Context) -> crate::facts::FirewallFinding {
    judged(policy, context).of(FirewallFlow::SubscribeIn).next().cloned().expect("a finding")
}

#[test]
fn block_rule_beats_allow_and_its_fix_names_it() {
    let mut policy = on_category(1);
    policy.rules.push(rule("Block all SIP", 0, "5060", "*"));
    let finding = judged_first(&policy, &context());
    assert_eq!(finding.certainty, FindingCertainty::Drops);
    assert_eq!(finding.rule, "Block all SIP");
    let fixed = fix::fix(&finding, &fix_context());
    assert_eq!(fixed.commands()[1], "Disable-NetFirewallRule -DisplayName 'Block all SIP'");
    // The fixture's own block rule is for scanners' addresses, not the phones: it blocks nothing here.
    let policy = on_category(1);
    assert!(judged(&policy, &context()).of(FirewallFlow::SubscribeIn).next().is_none());
    let scanner = Context { phones: vec![Ipv4Addr::new(198, 51, 100, 251)], ..context() };
    assert_eq!(judged_first(&policy, &scanner).rule, "Block SIP scanners");
}

#[test]
fn interface_scoped_rule_on_another_adapter_does_not_apply() {
    let mut policy = host();
    let mut scoped = rule("SIP on Ethernet", 1, "5060", "LocalSubnet");
    scoped.interfaces = vec!["Ethernet".into()];
    policy.rules.push(scoped);
    assert_eq!(judged_first(&policy, &context()).certainty, FindingCertainty::Drops);
    let ethernet = Context { interface: Some("ethernet".into()), ..context() };
    assert!(judged(&policy, &ethernet).of(FirewallFlow::SubscribeIn).next().is_none());
}

#[test]
fn remote_address_that_leaves_out_the_phones_does_not_allow_them() {
    let mut policy = host();
    policy.rules.push(rule("SIP from head office", 1, "5060", "10.0.0.0/255.0.0.0"));
    assert_eq!(judged_first(&policy, &context()).certainty, FindingCertainty::Drops);
    policy.rules.push(rule("SIP from the phones", 1, "5060", "198.51.100.0/24"));
    assert!(judged(&policy, &context()).of(FirewallFlow::SubscribeIn).next().is_none());
}

#[test]
fn firewall_off_in_the_adapters_profile_drops_nothing() {
    let mut policy = host();
    policy.profiles.iter_mut().filter(|p| p.profile == 4).for_each(|p| p.firewall_enabled = false);
    let off = judged(&policy, &context());
    assert!(off.findings.is_empty(), "{off:#?}");
    let summary = windows::summary(&windows::ruleset(&policy, &adapters()));
    assert!(summary.starts_with("Public (in force) [Ethernet 2]: off"), "{summary}");
}

#[test]
fn unknown_adapter_profile_makes_a_drop_in_one_profile_possible_only() {
    let mut policy = host();
    policy.networks.clear();
    policy.current_profile_types = 2 | 4;
    let finding = judged_first(&policy, &context());
    assert_eq!(finding.certainty, FindingCertainty::MayDrop);
    assert_eq!(finding.depends_on, ["if Ethernet 2 is on a Public network"]);
}

#[test]
fn program_rules_apply_to_the_pbx_by_its_image_name() {
    let mut policy = host();
    let mut pbx = rule("PBX", 1, "Any", "*");
    pbx.application_name = r"C:\Program Files\3CX Phone System\Bin\3CXPhoneSystem.exe".into();
    policy.rules.push(pbx);
    let owned = |name: &str| Context { programs: vec![name.into()], ..context() };
    assert!(judged(&policy, &owned("3cxphonesystem.exe")).of(FirewallFlow::SubscribeIn).next().is_none());
    assert_eq!(judged_first(&policy, &owned("asterisk.exe")).certainty, FindingCertainty::Drops);
    assert_eq!(judged_first(&policy, &context()).certainty, FindingCertainty::MayDrop);
}

#[test]
fn block_all_inbound_drops_whatever_is_allowed() {
    let mut policy = on_category(1);
    policy.profiles.iter_mut().filter(|p| p.profile == 2).for_each(|p| p.block_all_inbound_traffic = true);
    let shut = judged(&policy, &context());
    let finding = shut.of(FirewallFlow::SubscribeIn).next().expect("a finding");
    assert_eq!(
        (finding.certainty, finding.rule.as_str()),
        (FindingCertainty::Drops, "block all incoming connections")
    );
    assert_eq!(
        fix::fix(finding, &fix_context()).commands(),
        ["Set-NetFirewallProfile -Profile Private -AllowInboundRules True"]
    );
    assert!(shut.of(FirewallFlow::IgmpIn).next().is_some());
}

#[test]
fn igmp_fix_is_scoped_to_the_adapter() {
    let mut policy = host();
    policy.rules.retain(|r| r.protocol != 2);
    let closed = judged(&policy, &context());
    let finding = closed.of(FirewallFlow::IgmpIn).next().expect("a finding");
    assert_eq!(
        fix::fix(finding, &fix_context()).commands(),
        [
            "New-NetFirewallRule -DisplayName 'mcready SIP PnP IGMP' -Direction Inbound -Protocol 2 -InterfaceAlias 'Ethernet 2' -Action Allow"
        ]
    );
}

#[test]
fn failed_read_is_a_failed_source_with_the_hresult() {
    let facts = windows::facts(Err("CoCreateInstance(NetFwPolicy2): HRESULT 0x80040154".into()), &adapters());
    assert_eq!(facts.sources.len(), 1);
    assert_eq!(facts.sources[0].status, SourceStatus::Failed);
    assert!(facts.sources[0].detail.as_deref().unwrap_or_default().contains("0x80040154"));
    let read = windows::facts(Ok(host()), &adapters());
    assert_eq!(read.sources[0].status, SourceStatus::Read);
    assert_eq!(read.sources[0].rules, 7);
    assert_eq!(read.windows_profiles.len(), 3);
    assert_eq!(read.rulesets.len(), 1);
}

/// wine 8 answers `CurrentProfileTypes` with `E_NOTIMPL`: with neither the profiles in force nor the
/// adapter's category, each profile read is a candidate.
#[test]
fn unknown_profiles_in_force_make_every_profile_a_candidate() {
    let mut policy = host();
    policy.networks.clear();
    policy.current_profile_types = 0;
    policy.notes.push("CurrentProfileTypes: HRESULT 0x80004001 (Not implemented.)".into());
    let finding = judged_first(&policy, &context());
    assert_eq!(finding.certainty, FindingCertainty::MayDrop);
    assert_eq!(finding.depends_on, ["if Ethernet 2 is on a Public network"]);
    let facts = windows::facts(Ok(policy), &adapters());
    assert!(facts.notes.iter().any(|n| n.message.contains("0x80004001")));
}

#[test]
fn failures_are_named_once_per_call_and_error() {
    let e = "HRESULT 0x80004001 (Not implemented.)".to_owned();
    let mut failed: Vec<(String, String)> = ["Domain", "Private", "Public"]
        .iter()
        .flat_map(|p| {
            ["FirewallEnabled", "DefaultInboundAction"].map(|call| (format!("{call}({p})"), e.clone()))
        })
        .collect();
    failed.push(("Rules._NewEnum".into(), e.clone()));
    failed.push(("DefaultOutboundAction(Public)".into(), "HRESULT 0x80070005 (Access is denied.)".into()));
    let notes = ["CurrentProfileTypes: HRESULT 0x80004001 (Not implemented.)".to_owned()];
    assert_eq!(
        windows::failures(&failed, &notes),
        "FirewallEnabled, DefaultInboundAction, Rules._NewEnum, CurrentProfileTypes: HRESULT 0x80004001 (Not \
         implemented.); DefaultOutboundAction(Public): HRESULT 0x80070005 (Access is denied.)"
    );
}

/// The legacy `INetFwMgr`/`INetFwProfile` API answers `FirewallEnabled` = off under wine, whose
/// `INetFwPolicy2` fails: a fallback to it would turn "could not read" into a false pass. The reader
/// uses `INetFwPolicy2` alone (scripts/wine-test.sh checks the skip that follows under wine).
#[test]
fn the_reader_never_falls_back_to_the_legacy_firewall_api() {
    let reader = include_str!("../platform/windows/firewall.rs");
    let code: String = reader.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
    for legacy in ["NetFwMgr", "INetFwProfile", "LocalPolicy", "HNetCfg.FwMgr"] {
        assert!(!code.contains(legacy), "the Windows firewall reader names {legacy}");
    }
}
