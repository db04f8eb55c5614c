//! Windows Defender Firewall as its API reports it, and what those reports mean. It owns two things:
//!
//! - the **records** the platform fills from `INetFwPolicy2`, `INetFwRule` and the network list
//!   (strings and numbers only, in the API's own encodings: profile bitmasks, protocol numbers, the
//!   comma-separated port and address lists), turned here into the [`WindowsFirewall`] model;
//! - the **tokens** of those lists — `5060-5070`, `RPC`, `LocalSubnet`, `10.0.0.0/255.0.0.0`,
//!   `198.51.100.7-198.51.100.9` — read into the model's [`LocalPort`] and [`RemoteAddress`], and
//!   protocol numbers and profile bitmasks into numbers and names, so the judge knows no Windows syntax.
//!
//! Both are pure, so they are tested on every OS with records as the API would return them
//! (tests/fixtures/firewall/windows-*.json). The encodings are Microsoft's: `NET_FW_PROFILE_TYPE2`
//! (1 Domain, 2 Private, 4 Public, `0x7FFFFFFF` all), `NET_FW_ACTION` (0 block, 1 allow),
//! `NET_FW_RULE_DIRECTION` (1 in, 2 out), IANA protocol numbers with 256 for any, and
//! `NLM_NETWORK_CATEGORY` (0 Public, 1 Private, 2 Domain).

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::facts::{FirewallFacts, FirewallManager, FirewallSource, GatherNote, SourceStatus};
use crate::ruleset::{
    Element, FirewallTool, LocalPort, RemoteAddress, Ruleset, WindowsFirewall, WindowsProfile, WindowsRule,
};

/// What the report names the source by.
pub const SOURCE: &str = "INetFwPolicy2 (Windows Defender Firewall API)";

pub const PROFILE_DOMAIN: i32 = 1;
pub const PROFILE_PRIVATE: i32 = 2;
pub const PROFILE_PUBLIC: i32 = 4;
/// The profile bits, in the order Windows lists them.
pub const PROFILES: [(i32, &str); 3] =
    [(PROFILE_DOMAIN, "Domain"), (PROFILE_PRIVATE, "Private"), (PROFILE_PUBLIC, "Public")];

/// One `INetFwRule`, as read. Field names are the interface's property names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RuleRecord {
    /// The rule's display name.
    pub name: String,
    /// `NET_FW_RULE_DIRECTION`: 1 inbound, 2 outbound.
    pub direction: i32,
    /// `NET_FW_ACTION`: 0 block, 1 allow.
    pub action: i32,
    pub enabled: bool,
    /// IANA protocol number; 256 is any.
    pub protocol: i32,
    pub local_ports: String,
    pub remote_addresses: String,
    /// `NET_FW_PROFILE_TYPE2` bitmask.
    pub profiles: i32,
    /// Interface aliases the rule is limited to; empty is all.
    pub interfaces: Vec<String>,
    /// `All`, or comma-separated `Lan`, `Wireless`, `RemoteAccess`.
    pub interface_types: String,
    pub application_name: String,
    pub service_name: String,
    pub grouping: String,
}

/// One profile's state, as read from `INetFwPolicy2`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ProfileRecord {
    /// One `NET_FW_PROFILE_TYPE2` bit.
    pub profile: i32,
    pub firewall_enabled: bool,
    /// `NET_FW_ACTION` of `DefaultInboundAction`.
    pub default_inbound_action: i32,
    /// `NET_FW_ACTION` of `DefaultOutboundAction`.
    pub default_outbound_action: i32,
    pub block_all_inbound_traffic: bool,
}

/// A network connection from the network list: the adapter it uses and the network's category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkRecord {
    /// The adapter's GUID, as `GetAdaptersAddresses` names it (`{…}`).
    pub adapter_id: String,
    /// `NLM_NETWORK_CATEGORY`: 0 Public, 1 Private, 2 Domain (authenticated).
    pub category: i32,
}

/// Everything read from the firewall API and the network list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PolicyRecord {
    /// `CurrentProfileTypes`: a `NET_FW_PROFILE_TYPE2` bitmask.
    pub current_profile_types: i32,
    pub profiles: Vec<ProfileRecord>,
    pub networks: Vec<NetworkRecord>,
    pub rules: Vec<RuleRecord>,
    /// Rules that could not be read, and why (the rest were still read).
    pub unreadable_rules: Vec<String>,
    /// Calls that failed without stopping the read (the profiles in force, the networks' categories).
    pub notes: Vec<String>,
}

/// The calls that failed, in a few words: calls failing alike are named together once, the profile
/// left out of a name when the call failed alike for every profile (`FirewallEnabled, Rules._NewEnum:
/// HRESULT 0x80004001 (Not implemented.)`). `notes` (`call: error`, calls that failed without stopping
/// the read) are grouped the same way.
#[must_use]
pub fn failures(failed: &[(String, String)], notes: &[String]) -> String {
    let mut all: Vec<(String, String)> = failed.to_vec();
    all.extend(notes.iter().map(|n| match n.split_once(": ") {
        Some((what, why)) => (what.to_owned(), why.to_owned()),
        None => (n.clone(), String::new()),
    }));
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for (what, why) in &all {
        let bare = what.split_once('(').map_or(what.as_str(), |(call, _)| call);
        let every_profile = PROFILES
            .iter()
            .all(|(_, profile)| all.iter().any(|(w, y)| *w == format!("{bare}({profile})") && y == why));
        let name = if every_profile { bare.to_owned() } else { what.clone() };
        match groups.iter_mut().find(|(error, _)| *error == why.as_str()) {
            Some((_, names)) if !names.contains(&name) => names.push(name),
            Some(_) => {}
            None => groups.push((why, vec![name])),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(
            |(why, names)| {
                if why.is_empty() { names.join(", ") } else { format!("{}: {why}", names.join(", ")) }
            },
        )
        .collect();
    parts.join("; ")
}

/// Profile names in a bitmask, in Windows' order; `0x7FFFFFFF` (all) names all three.
#[must_use]
pub fn profile_names(mask: i32) -> Vec<String> {
    PROFILES.iter().filter(|(bit, _)| mask & bit != 0).map(|(_, name)| (*name).to_owned()).collect()
}

/// The profile a network category selects.
#[must_use]
pub fn category_profile(category: i32) -> Option<&'static str> {
    match category {
        0 => Some("Public"),
        1 => Some("Private"),
        2 => Some("Domain"),
        _ => None,
    }
}

/// A comma-separated list, trimmed, without empty items; `*` and an empty list are `Any`.
fn tokens(list: &str) -> Vec<String> {
    let items: Vec<String> =
        list.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    if items.is_empty() || items.iter().any(|t| t == "*") { vec!["Any".into()] } else { items }
}

/// The model of what was read. `adapters` maps adapter GUIDs to the names mcready reports them by, so
/// that each network's category lands on an adapter name.
#[must_use]
pub fn ruleset(policy: &PolicyRecord, adapters: &[(String, String)]) -> WindowsFirewall {
    let profiles: Vec<WindowsProfile> = policy
        .profiles
        .iter()
        .filter_map(|p| {
            let name = PROFILES.iter().find(|(bit, _)| *bit == p.profile)?.1;
            Some(WindowsProfile {
                name: name.to_owned(),
                enabled: p.firewall_enabled,
                default_inbound_block: p.default_inbound_action == 0,
                default_outbound_block: p.default_outbound_action == 0,
                block_all_inbound: p.block_all_inbound_traffic,
            })
        })
        .collect();
    let bare = |id: &str| id.trim().trim_start_matches('{').trim_end_matches('}').to_ascii_lowercase();
    let adapter_profiles = policy
        .networks
        .iter()
        .filter_map(|n| {
            let name = adapters.iter().find(|(id, _)| bare(id) == bare(&n.adapter_id))?.1.clone();
            Some((name, category_profile(n.category)?.to_owned()))
        })
        .collect();
    WindowsFirewall {
        active_profiles: profile_names(policy.current_profile_types),
        // Windows' own defaults, for a profile that was not read.
        default_inbound_block: true,
        default_outbound_block: false,
        rules: policy.rules.iter().map(rule).collect(),
        profiles,
        adapter_profiles,
    }
}

fn rule(record: &RuleRecord) -> WindowsRule {
    let optional = |text: &str| {
        let text = text.trim();
        (!text.is_empty() && text != "*").then(|| text.to_owned())
    };
    let all_profiles = record.profiles & 0x7 == 0x7 || record.profiles == 0;
    let interface_types: Vec<String> = tokens(&record.interface_types)
        .into_iter()
        .filter(|t| !t.eq_ignore_ascii_case("all") && !t.eq_ignore_ascii_case("any"))
        .collect();
    WindowsRule {
        name: record.name.clone(),
        enabled: record.enabled,
        inbound: record.direction == 1,
        allow: record.action == 1,
        // 256 is any protocol; a number outside 0..=255 is no protocol a datagram carries, so it becomes
        // 255 (IANA's reserved number), which matches nothing PnP sends.
        protocol: (record.protocol != 256).then(|| u8::try_from(record.protocol).unwrap_or(u8::MAX)),
        local_ports: tokens(&record.local_ports).iter().map(|t| local_port(t)).collect(),
        remote_addresses: tokens(&record.remote_addresses).iter().map(|t| remote_address(t)).collect(),
        profiles: if all_profiles { Vec::new() } else { profile_names(record.profiles) },
        interfaces: record.interfaces.iter().map(|i| i.trim().to_owned()).filter(|i| !i.is_empty()).collect(),
        interface_types,
        program: optional(&record.application_name),
        service: optional(&record.service_name),
    }
}

/// Reads one local-port token: `*`/`Any`, `5060`, `5060-5070`, or a keyword.
#[must_use]
pub fn local_port(token: &str) -> LocalPort {
    let token = token.trim();
    if token.eq_ignore_ascii_case("any") || token == "*" {
        return LocalPort::Any;
    }
    if let Some((low, high)) = token.split_once('-')
        && let (Ok(low), Ok(high)) = (low.trim().parse::<u16>(), high.trim().parse::<u16>())
    {
        return LocalPort::Range(low, high);
    }
    if let Ok(single) = token.parse::<u16>() {
        return LocalPort::Range(single, single);
    }
    // The keywords INetFwRule::LocalPorts accepts stand for dynamic RPC, IP-HTTPS, Teredo and Play To
    // ports, never for a fixed SIP port.
    let keyword = token.to_ascii_lowercase();
    let known = ["rpc", "rpc-epmap", "iphttps", "iphttpsin", "iphttpsout", "teredo", "ply2disc", "mdns"];
    if known.contains(&keyword.as_str()) {
        LocalPort::Dynamic(token.to_owned())
    } else {
        LocalPort::Unknown(token.to_owned())
    }
}

/// Reads one remote-address token: `*`, a keyword, `a.b.c.d`, `a.b.c.d/len`, `a.b.c.d/m.m.m.m`,
/// `a.b.c.d-e.f.g.h`, or IPv6 in any of these forms.
#[must_use]
pub fn remote_address(token: &str) -> RemoteAddress {
    let token = token.trim();
    if token == "*" || token.eq_ignore_ascii_case("any") {
        return RemoteAddress::Any;
    }
    if token.eq_ignore_ascii_case("localsubnet") {
        return RemoteAddress::LocalSubnet;
    }
    if token.contains(':') {
        return RemoteAddress::V6;
    }
    if let Some((start, end)) = token.split_once('-')
        && let (Ok(start), Ok(end)) = (start.trim().parse::<Ipv4Addr>(), end.trim().parse::<Ipv4Addr>())
    {
        return RemoteAddress::V4(Element::AddrRange(start, end));
    }
    if let Some((addr, mask)) = token.split_once('/')
        && let Ok(addr) = addr.parse::<Ipv4Addr>()
    {
        let len = match mask.parse::<u8>() {
            Ok(len) if len <= 32 => Some(len),
            _ => mask.parse::<Ipv4Addr>().ok().and_then(mask_length),
        };
        return match len {
            Some(len) => RemoteAddress::V4(Element::Prefix(addr, len)),
            None => RemoteAddress::Dynamic(token.to_owned()),
        };
    }
    match token.parse::<Ipv4Addr>() {
        Ok(addr) => RemoteAddress::V4(Element::Addr(addr)),
        Err(_) => RemoteAddress::Dynamic(token.to_owned()),
    }
}

/// The prefix length of a contiguous dotted mask (`255.255.255.0` is 24); `None` when not contiguous.
fn mask_length(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    let len = bits.leading_ones();
    (bits.checked_shl(len).unwrap_or(0) == 0).then(|| u8::try_from(len).unwrap_or(32))
}

/// Each adapter's GUID and name, which the policy's rules and networks name adapters by.
#[must_use]
pub fn adapters(interfaces: &[crate::facts::Interface]) -> Vec<(String, String)> {
    interfaces.iter().filter_map(|i| Some((i.id.clone()?, i.name.clone()))).collect()
}

/// The firewall facts of a read (or of its failure, as a failed source with the API's words). Nothing
/// is judged here: the checklist judges the ruleset once, in the PnP adapter's profile.
#[must_use]
pub fn facts(read: Result<PolicyRecord, String>, adapters: &[(String, String)]) -> FirewallFacts {
    let mut facts =
        FirewallFacts { managers: vec![FirewallManager::WindowsFirewall], ..FirewallFacts::default() };
    let policy = match read {
        Ok(policy) => policy,
        Err(why) => {
            facts.sources.push(FirewallSource {
                tool: FirewallTool::WindowsFirewall,
                command: SOURCE.into(),
                status: SourceStatus::Failed,
                detail: Some(why),
                rules: 0,
                skipped: 0,
            });
            return facts;
        }
    };
    let ruleset = ruleset(&policy, adapters);
    if !policy.unreadable_rules.is_empty() {
        facts.notes.push(GatherNote {
            source: SOURCE.into(),
            message: format!(
                "{} rule(s) could not be read: {}",
                policy.unreadable_rules.len(),
                policy.unreadable_rules.iter().take(5).cloned().collect::<Vec<_>>().join("; ")
            ),
        });
    }
    facts.notes.extend(
        policy.notes.iter().map(|message| GatherNote { source: SOURCE.into(), message: message.clone() }),
    );
    facts.sources.push(FirewallSource {
        tool: FirewallTool::WindowsFirewall,
        command: SOURCE.into(),
        status: SourceStatus::Read,
        detail: Some(summary(&ruleset)),
        rules: ruleset.rules.len(),
        skipped: policy.unreadable_rules.len(),
    });
    facts.windows_profiles = ruleset.profiles.iter().map(|p| profile_fact(p, &ruleset)).collect();
    facts.rulesets.push(Ruleset::Windows(ruleset));
    facts
}

/// Each profile's state in a few words, the profiles in force first: `Private (in force): on, inbound
/// blocked unless allowed; Public: off`.
#[must_use]
pub fn summary(firewall: &WindowsFirewall) -> String {
    let mut parts: Vec<String> = Vec::new();
    for profile in &firewall.profiles {
        let active = firewall.active_profiles.contains(&profile.name);
        let state = if !profile.enabled {
            "off".to_owned()
        } else if profile.block_all_inbound {
            "on, all inbound blocked".to_owned()
        } else {
            format!(
                "on, inbound {} by default",
                if profile.default_inbound_block { "blocked" } else { "allowed" }
            )
        };
        let adapters: Vec<&str> = firewall
            .adapter_profiles
            .iter()
            .filter(|(_, p)| *p == profile.name)
            .map(|(a, _)| a.as_str())
            .collect();
        let on = if adapters.is_empty() { String::new() } else { format!(" [{}]", adapters.join(", ")) };
        let entry = format!("{}{}{on}: {state}", profile.name, if active { " (in force)" } else { "" });
        if active { parts.insert(0, entry) } else { parts.push(entry) }
    }
    parts.join("; ")
}

fn profile_fact(
    profile: &WindowsProfile,
    firewall: &WindowsFirewall,
) -> crate::facts::WindowsFirewallProfile {
    crate::facts::WindowsFirewallProfile {
        profile: profile.name.clone(),
        in_force: firewall.active_profiles.contains(&profile.name),
        enabled: profile.enabled,
        default_inbound: if profile.default_inbound_block { "block" } else { "allow" },
        default_outbound: if profile.default_outbound_block { "block" } else { "allow" },
        block_all_inbound: profile.block_all_inbound,
        adapters: firewall
            .adapter_profiles
            .iter()
            .filter(|(_, p)| *p == profile.name)
            .map(|(a, _)| a.clone())
            .collect(),
    }
}
