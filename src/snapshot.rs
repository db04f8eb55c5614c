//! The snapshot the checklist judges: the host facts gathered before mcready sent or joined anything,
//! the PnP interface and the rule that chose it, and what the active steps observed. Plain data on the
//! ground floor: `check` fills it, the rules (`checks`) judge it, the report prints it, and tests build
//! it by hand with no network.
//!
//! It also holds the one rule that chooses the PnP interface ([`choose_interface`]), which `check`
//! reports and the single commands observe on ([`observing_interface`]), so that the two never differ.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::facts::{HostFacts, Interface};
use crate::observed::{
    FetchReport, ListenReport, Observed, PeerReport, ProbeReport, QuerierReport, SoakReport,
};

/// The OS family the rules judge for and write remedies for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OsFamily {
    Linux,
    Windows,
    Macos,
}

impl OsFamily {
    /// The family of the OS mcready was built for.
    #[must_use]
    pub fn current() -> Self {
        match std::env::consts::OS {
            "windows" => Self::Windows,
            "macos" => Self::Macos,
            _ => Self::Linux,
        }
    }
}

/// Everything the checklist judges: gathered before mcready sent or joined anything, plus what the
/// active steps observed.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub os: OsFamily,
    pub facts: HostFacts,
    pub pnp_interface: Option<String>,
    pub interface_rule: InterfaceRule,
    pub group: std::net::Ipv4Addr,
    pub port: u16,
    /// `--phone` addresses.
    pub expected_phones: Vec<IpAddr>,
    pub peer: Observed<PeerReport>,
    pub probe: Observed<ProbeReport>,
    pub listen: Observed<ListenReport>,
    pub querier: Observed<QuerierReport>,
    /// The first answer's provisioning URL, resolved and fetched.
    pub fetch: Observed<FetchReport>,
    /// `--soak`: the peer test repeated past the snooping timeout.
    pub soak: Observed<SoakReport>,
    /// `--no-probe`: nothing was sent, so whatever needs sending is `skip`.
    pub passive: bool,
}

impl Snapshot {
    #[must_use]
    pub fn pnp_interface(&self) -> Option<&Interface> {
        self.facts.interface(self.pnp_interface.as_deref()?)
    }

    /// The known phone-side hosts: `--phone`, the peer, and phones heard.
    #[must_use]
    pub fn known_hosts(&self) -> Vec<(IpAddr, &'static str)> {
        let mut hosts: Vec<(IpAddr, &'static str)> = Vec::new();
        for ip in &self.expected_phones {
            if !hosts.iter().any(|(known, _)| known == ip) {
                hosts.push((*ip, "--phone"));
            }
        }
        // The same address given as `--phone` and `--peer` is one host, counted once.
        if let Some(peer) = self.peer.done()
            && !hosts.iter().any(|(ip, _)| *ip == peer.peer.ip())
        {
            hosts.push((peer.peer.ip(), "--peer"));
        }
        if let Some(listen) = self.listen.done() {
            for phone in &listen.phones {
                if !hosts.iter().any(|(ip, _)| *ip == phone.source.ip()) {
                    hosts.push((phone.source.ip(), "heard"));
                }
            }
        }
        hosts
    }

    /// The network between phones and this host is known to pass multicast: a peer test crossed it
    /// both ways, or multicast from the LAN reached this host while listening.
    #[must_use]
    pub fn network_known_good(&self) -> bool {
        let peer_ok =
            self.peer.done().is_some_and(|p| p.unicast.ok && p.here_to_peer.ok && p.peer_to_here.ok);
        let heard = self.listen.done().is_some_and(|l| l.lan_multicast_heard || !l.phones.is_empty());
        peer_ok || heard
    }
}

/// How the PnP interface was chosen (`target.interface_rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InterfaceRule {
    /// `--interface` named it.
    Interface,
    /// Its subnet holds the `--phone`/`--peer` addresses.
    PhoneSubnet,
    /// The OS's route for the group leaves by it.
    GroupRoute,
    /// None could be chosen: no route for the group and no hint.
    None,
}

/// Why no interface could be chosen to observe on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoInterface {
    /// `--interface` names no interface of this host.
    Unknown { name: String, known: Vec<String> },
    /// Nothing names one: no route for the group, and no `--interface`.
    NoneUsable,
    /// `--interface` names a loopback, which no phone can be on.
    Loopback { name: String },
}

impl std::fmt::Display for NoInterface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown { name, known } => {
                write!(f, "no interface named `{name}` (this host has: {})", known.join(", "))
            }
            Self::NoneUsable => write!(
                f,
                "no interface to use: the OS routes the group by no interface of this host; name the phones' interface with `-i`"
            ),
            Self::Loopback { name } => write!(
                f,
                "{name} is a loopback, which cannot face phones: name the interface on the phones' LAN with `-i`, or give `--phone IP`"
            ),
        }
    }
}

impl std::error::Error for NoInterface {}

/// The interface `-i` names (as [`HostFacts::interface`] takes it).
///
/// # Errors
/// [`NoInterface::Unknown`], listing the interfaces this host has.
pub fn named_interface<'f>(facts: &'f HostFacts, wanted: &str) -> Result<&'f Interface, NoInterface> {
    facts.interface(wanted).ok_or_else(|| NoInterface::Unknown {
        name: wanted.to_owned(),
        known: facts.interfaces.iter().map(|i| i.name.clone()).collect(),
    })
}

/// The PnP interface and the rule that chose it, the one rule for `check` and the single commands:
/// `wanted` (`--interface`), else the interface whose subnet holds the first of `hints` (`--phone`,
/// `--peer`) that any subnet holds, the most specific subnet winning and loopback never, else the
/// one the OS routes the group by; no name (rule `none`) when nothing names one.
///
/// # Errors
/// [`NoInterface::Unknown`] when `wanted` names no interface of this host, [`NoInterface::Loopback`]
/// when it names a loopback.
pub fn choose_interface(
    facts: &HostFacts,
    wanted: Option<&str>,
    hints: &[IpAddr],
) -> Result<(Option<String>, InterfaceRule), NoInterface> {
    if let Some(name) = wanted {
        let named = named_interface(facts, name)?;
        // A loopback carries only this host's own traffic: a check or probe on it could only mislead.
        if named.flags.loopback || named.kind == crate::facts::InterfaceKind::Loopback {
            return Err(NoInterface::Loopback { name: named.name.clone() });
        }
        return Ok((Some(named.name.clone()), InterfaceRule::Interface));
    }
    for hint in hints {
        let best = facts
            .interfaces
            .iter()
            .filter(|i| !i.flags.loopback)
            .filter_map(|i| i.subnet_containing(*hint).map(|net| (net.prefix_len, i)))
            .max_by_key(|(prefix, _)| *prefix);
        if let Some((_, interface)) = best {
            return Ok((Some(interface.name.clone()), InterfaceRule::PhoneSubnet));
        }
    }
    Ok(match facts.group_route.as_ref().and_then(|r| r.interface.clone()) {
        Some(name) => (Some(name), InterfaceRule::GroupRoute),
        None => (None, InterfaceRule::None),
    })
}

/// The interface a single command (`probe`, `listen`, `respond`) observes on: the PnP interface
/// chosen with no phones to hint at it.
///
/// # Errors
/// [`NoInterface`] when `wanted` is unknown, or nothing names an interface of this host.
pub fn observing_interface<'f>(
    facts: &'f HostFacts,
    wanted: Option<&str>,
) -> Result<&'f Interface, NoInterface> {
    let (name, _) = choose_interface(facts, wanted, &[])?;
    name.and_then(|name| facts.interface(&name)).ok_or(NoInterface::NoneUsable)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check` and the single commands choose by one rule; a single command has no phones to hint with
    /// and needs an interface that exists.
    #[test]
    fn one_rule_chooses_the_pnp_interface() {
        let mut facts = crate::checks::fixtures::wrong_nic().facts;
        let phone: IpAddr = "198.51.100.20".parse().unwrap();
        let chosen =
            |facts: &HostFacts, wanted, hints: &[IpAddr]| choose_interface(facts, wanted, hints).unwrap();
        assert_eq!(chosen(&facts, Some("3"), &[phone]), (Some("wlan0".into()), InterfaceRule::Interface));
        assert_eq!(chosen(&facts, None, &[phone]), (Some("eth0".into()), InterfaceRule::PhoneSubnet));
        assert_eq!(chosen(&facts, None, &[]), (Some("wlan0".into()), InterfaceRule::GroupRoute));
        assert_eq!(observing_interface(&facts, None).unwrap().name, "wlan0");
        assert!(matches!(choose_interface(&facts, Some("eth9"), &[]), Err(NoInterface::Unknown { .. })));
        // No route for the group: `check` reports rule `none`, and a single command asks for `-i`
        // rather than guess.
        facts.group_route = None;
        assert_eq!(chosen(&facts, None, &[]), (None, InterfaceRule::None));
        assert_eq!(observing_interface(&facts, None).unwrap_err(), NoInterface::NoneUsable);
        assert_eq!(observing_interface(&facts, Some("eth0")).unwrap().name, "eth0");
    }
}
