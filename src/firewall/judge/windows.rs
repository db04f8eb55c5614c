//! The Windows half of the judge: Windows Defender Firewall's rules (read by `firewall::windows` from
//! the firewall's API records) judged per network profile, as the firewall applies them.

use std::net::Ipv4Addr;

use super::{Context, Flow, Judgement, Tri, addr_holds, in_prefix};
use crate::facts::{
    FindingCertainty, FirewallAffects, FirewallFinding, FirewallFlow, FirewallManager, FirewallVerdict,
};
use crate::ruleset::{FirewallTool, LocalPort, RemoteAddress, WindowsFirewall, WindowsRule};

/// Windows Defender Firewall, judged once per profile the PnP adapter's traffic may meet: that
/// adapter's network category when the network list said it, else each profile in force. In a profile
/// whose firewall is off nothing is dropped; otherwise an enabled block rule that matches drops (block
/// beats allow), "block all incoming connections" drops every inbound datagram, and with no matching
/// allow rule the profile's default action decides. A drop in every candidate profile is `drops`; in
/// only some, `may-drop` "if the adapter is on a … network".
pub(super) fn judge_windows(
    firewall: &WindowsFirewall,
    flow: &Flow,
    context: &Context,
    judgement: &mut Judgement,
) {
    let adapter_profile = context.interface.as_deref().and_then(|name| {
        firewall
            .adapter_profiles
            .iter()
            .find(|(adapter, _)| adapter.eq_ignore_ascii_case(name))
            .map(|(_, p)| p)
    });
    let candidates: Vec<Option<&str>> = match adapter_profile {
        Some(profile) => vec![Some(profile.as_str())],
        None if !firewall.active_profiles.is_empty() => {
            firewall.active_profiles.iter().map(|p| Some(p.as_str())).collect()
        }
        // The profiles in force not known either: the adapter's is one of those read.
        None if !firewall.profiles.is_empty() => {
            firewall.profiles.iter().map(|p| Some(p.name.as_str())).collect()
        }
        None => vec![None],
    };
    let per_profile: Vec<Vec<FirewallFinding>> =
        candidates.iter().map(|profile| judge_windows_profile(firewall, flow, context, *profile)).collect();
    let mut merged: Vec<FirewallFinding> = Vec::new();
    for finding in per_profile.iter().flatten() {
        let same = |f: &FirewallFinding| f.rule == finding.rule && f.verdict == finding.verdict;
        if merged.iter().any(same) {
            continue;
        }
        let found: Vec<(Option<&str>, &FirewallFinding)> = candidates
            .iter()
            .zip(&per_profile)
            .filter_map(|(profile, findings)| findings.iter().find(|f| same(f)).map(|f| (*profile, f)))
            .collect();
        let everywhere = found.len() == candidates.len();
        let mut finding = finding.clone();
        if !everywhere || found.iter().any(|(_, f)| f.certainty != FindingCertainty::Drops) {
            finding.certainty = FindingCertainty::MayDrop;
        }
        if candidates.len() > 1 && !everywhere {
            let names: Vec<&str> = found.iter().filter_map(|(p, _)| *p).collect();
            let adapter = context.interface.as_deref().unwrap_or("the PnP adapter");
            finding.depends_on.insert(0, format!("if {adapter} is on a {} network", names.join(" or ")));
        }
        // A copy looped back inside the host may be exempt from filtering as loopback traffic: what
        // Windows does with it is not documented, so its drop is never claimed for certain.
        if flow.kind == FirewallFlow::ProbeLoop && finding.certainty == FindingCertainty::Drops {
            finding.certainty = FindingCertainty::MayDrop;
            finding
                .depends_on
                .push("if Windows filters the looped-back copy like a datagram from the wire".into());
        }
        merged.push(finding);
    }
    judgement.findings.extend(merged);
}

/// The findings for one datagram in one profile (`None`: the profile is not known).
fn judge_windows_profile(
    firewall: &WindowsFirewall,
    flow: &Flow,
    context: &Context,
    profile: Option<&str>,
) -> Vec<FirewallFinding> {
    let state = profile.and_then(|name| firewall.profiles.iter().find(|p| p.name.eq_ignore_ascii_case(name)));
    if state.is_some_and(|s| !s.enabled) {
        return Vec::new();
    }
    let direction = if flow.inbound { "inbound" } else { "outbound" };
    let chain = profile.map_or_else(|| direction.to_owned(), |p| format!("{direction}, {p} profile"));
    let finding = |certainty, rule: String, verdict, depends_on| FirewallFinding {
        tool: FirewallTool::WindowsFirewall,
        affects: if flow.inbound { FirewallAffects::AllInput } else { FirewallAffects::AllOutput },
        certainty,
        table: "Windows Defender Firewall".into(),
        chain: chain.clone(),
        hook: direction.into(),
        verdict,
        rule,
        handle: None,
        depends_on,
        flow: Some(flow.kind),
        position: None,
        manager: Some(FirewallManager::WindowsFirewall),
    };
    let mut findings = Vec::new();
    if flow.inbound && state.is_some_and(|s| s.block_all_inbound) {
        findings.push(finding(
            FindingCertainty::Drops,
            "block all incoming connections".into(),
            FirewallVerdict::PolicyDrop,
            Vec::new(),
        ));
        return findings;
    }
    let mut allowed = Tri::Never;
    let mut maybe_allows = Vec::new();
    for rule in &firewall.rules {
        let tri = windows_rule_matches(rule, flow, context, profile);
        if rule.allow {
            allowed = allowed.max(tri);
            if tri == Tri::Maybe {
                maybe_allows.push(format!("unless `{}` applies", rule.name));
            }
        } else if tri != Tri::Never {
            let certainty =
                if tri == Tri::Always { FindingCertainty::Drops } else { FindingCertainty::MayDrop };
            findings.push(finding(certainty, rule.name.clone(), FirewallVerdict::Drop, Vec::new()));
        }
    }
    let default_block = match state {
        Some(s) if flow.inbound => s.default_inbound_block,
        Some(s) => s.default_outbound_block,
        None if flow.inbound => firewall.default_inbound_block,
        None => firewall.default_outbound_block,
    };
    if default_block && allowed != Tri::Always {
        let (certainty, depends_on) = if allowed == Tri::Never {
            (FindingCertainty::Drops, Vec::new())
        } else {
            (FindingCertainty::MayDrop, maybe_allows)
        };
        findings.push(finding(
            certainty,
            format!("default {direction} action: block"),
            FirewallVerdict::PolicyDrop,
            depends_on,
        ));
    }
    findings
}

/// Whether one rule applies to the datagram in a profile: every condition the rule sets must hold.
fn windows_rule_matches(rule: &WindowsRule, flow: &Flow, context: &Context, profile: Option<&str>) -> Tri {
    if !rule.enabled || rule.inbound != flow.inbound || rule.protocol.is_some_and(|p| p != flow.proto) {
        return Tri::Never;
    }
    let profile_tri = match profile {
        _ if rule.profiles.is_empty() => Tri::Always,
        Some(name) => Tri::from_answer(Some(rule.profiles.iter().any(|p| p.eq_ignore_ascii_case(name)))),
        None => Tri::Maybe,
    };
    let local_port = if flow.inbound { flow.dport } else { flow.sport };
    // An empty list is any port; IGMP has no ports, so only that holds it.
    let port_tri = rule
        .local_ports
        .iter()
        .map(|entry| match (entry, local_port) {
            (LocalPort::Any, _) => Tri::Always,
            // Ports the system picks at run time are never a fixed SIP port.
            (_, None) | (LocalPort::Dynamic(_), Some(_)) => Tri::Never,
            (LocalPort::Range(low, high), Some(port)) => {
                Tri::from_answer(Some((*low..=*high).contains(&port)))
            }
            (LocalPort::Unknown(_), Some(_)) => Tri::Maybe,
        })
        .max()
        .unwrap_or(Tri::Always);
    let remote = if flow.inbound { &flow.saddr } else { &flow.daddr };
    let all_in = |holds: &dyn Fn(Ipv4Addr) -> bool| -> Tri {
        if remote.is_empty() {
            Tri::Maybe
        } else if remote.iter().all(|a| holds(*a)) {
            Tri::Always
        } else if remote.iter().any(|a| holds(*a)) {
            Tri::Maybe
        } else {
            Tri::Never
        }
    };
    let remote_tri = rule
        .remote_addresses
        .iter()
        .map(|entry| match entry {
            RemoteAddress::Any => Tri::Always,
            RemoteAddress::V6 => Tri::Never,
            RemoteAddress::V4(element) => all_in(&|a| addr_holds(a, element) == Some(true)),
            RemoteAddress::LocalSubnet => match context.local_subnet {
                Some((net, len)) => all_in(&|a| in_prefix(a, net, len)),
                None => Tri::Maybe,
            },
            RemoteAddress::Dynamic(_) => Tri::Maybe,
        })
        .max()
        .unwrap_or(Tri::Always);
    let interface_tri = if rule.interfaces.is_empty() {
        Tri::Always
    } else {
        match &context.interface {
            Some(name) => {
                Tri::from_answer(Some(rule.interfaces.iter().any(|i| i.eq_ignore_ascii_case(name))))
            }
            None => Tri::Maybe,
        }
    };
    let type_tri = if rule.interface_types.is_empty() { Tri::Always } else { Tri::Maybe };
    let program_tri = match &rule.program {
        None => Tri::Always,
        // IGMP is sent and received by the kernel, which the firewall names `System`.
        Some(program) if flow.proto == 2 => {
            if program.eq_ignore_ascii_case("system") {
                Tri::Always
            } else {
                Tri::Maybe
            }
        }
        Some(program) if matches!(flow.kind, FirewallFlow::SubscribeIn | FirewallFlow::AnswerOut) => {
            let file = program.rsplit(['\\', '/']).next().unwrap_or(program);
            if context.programs.is_empty() {
                Tri::Maybe
            } else {
                Tri::from_answer(Some(context.programs.iter().any(|p| p.eq_ignore_ascii_case(file))))
            }
        }
        // mcready's own probe: its program is mcready, which no PBX rule names.
        Some(_) => Tri::Maybe,
    };
    let service_tri = if rule.service.is_some() { Tri::Maybe } else { Tri::Always };
    [profile_tri, port_tri, remote_tri, interface_tri, type_tri, program_tri, service_tri]
        .into_iter()
        .min()
        .unwrap_or(Tri::Always)
}
