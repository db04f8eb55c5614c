//! The checklist: pure functions from a snapshot of facts and observations to the four requirements.
//!
//! Nothing here does I/O, so every rule is tested with made-up snapshots. The requirement ids and
//! their order are part of the JSON contract (`pbx-membership`, `same-subnet`, `network-multicast`,
//! `phone-pnp`); check ids are stable once shipped and listed in `docs/checks.md`.
//!
//! One principle runs through the rules: **never blame an innocent requirement**. When a cause is
//! found under one requirement (a firewall drop, a phone behind a router), the checks of the others
//! that would only suffer its consequence say `skip` or `warn` and point at the cause.

mod discovery;
pub mod firewall;
mod membership;
mod multicast;
mod phone;
mod provisioning;
pub mod remedy;
mod soak;
mod subnet;

use std::net::IpAddr;

use serde::Serialize;

use crate::facts::{HostFacts, Interface};
use crate::observed::{ListenReport, Observed, PeerReport, ProbeReport, QuerierReport};
use crate::verdict::{Check, Requirement, Status};
pub use remedy::OsFamily;

/// How the PnP interface was chosen (`target.interface_rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    pub fetch: Observed<crate::observed::FetchReport>,
    /// `--soak`: the peer test repeated past the snooping timeout.
    pub soak: Observed<crate::observed::SoakReport>,
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

/// Chooses the PnP interface: `--interface`, else the one whose subnet holds the phone/peer
/// addresses, else the one the OS routes the group by.
#[must_use]
pub fn choose_interface(
    facts: &HostFacts,
    explicit: Option<&str>,
    hints: &[IpAddr],
) -> (Option<String>, InterfaceRule) {
    if let Some(name) = explicit {
        return (Some(name.to_owned()), InterfaceRule::Interface);
    }
    // The first hint that some interface's subnet holds decides; the most specific subnet wins.
    for hint in hints {
        let best = facts
            .interfaces
            .iter()
            .filter(|i| !i.flags.loopback)
            .filter_map(|i| i.subnet_containing(*hint).map(|net| (net.prefix_len, i)))
            .max_by_key(|(prefix, _)| *prefix);
        if let Some((_, interface)) = best {
            return (Some(interface.name.clone()), InterfaceRule::PhoneSubnet);
        }
    }
    match facts.group_route.as_ref().and_then(|r| r.interface.clone()) {
        Some(name) => (Some(name), InterfaceRule::GroupRoute),
        None => (None, InterfaceRule::None),
    }
}

/// The four requirements, in contract order.
#[must_use]
pub fn evaluate(snapshot: &Snapshot) -> Vec<Requirement> {
    let mut subnet = subnet::checks(snapshot);
    // The discovery checks judge a listening window: without one, `phone.pnp-subscribe` already says to listen.
    let listened = !matches!(snapshot.listen, Observed::NotAsked) || snapshot.soak.done().is_some();
    if listened {
        subnet.push(discovery::voice_vlan(snapshot));
    }
    let firewall = firewall::FirewallView::new(snapshot);
    let mut multicast = multicast::checks(snapshot, &firewall);
    multicast.extend(soak::checks(snapshot));
    let mut membership = membership::checks(snapshot, &multicast, &firewall);
    membership.extend(provisioning::checks(snapshot));
    let mut phone = phone::checks(snapshot, &subnet, &multicast);
    if listened {
        phone.extend(discovery::phone_checks(snapshot));
    }
    vec![
        Requirement::new(
            "pbx-membership",
            "The PBX host joined 224.0.1.75 on the interface facing the phones",
            membership,
        ),
        Requirement::new("same-subnet", "Phones and PBX share one subnet", subnet),
        Requirement::new(
            "network-multicast",
            "The network passes multicast between phones and PBX",
            multicast,
        ),
        Requirement::new("phone-pnp", "Phones send the PnP SUBSCRIBE", phone),
    ]
}

/// A check with its evidence; `remedy` is required for warn/fail by construction in the callers.
fn check(
    id: &'static str,
    status: Status,
    summary: String,
    remedy: Option<String>,
    evidence: serde_json::Value,
) -> Check {
    Check { id, status, summary, remedy, evidence }
}

fn find<'a>(checks: &'a [Check], id: &str) -> Option<&'a Check> {
    checks.iter().find(|c| c.id == id)
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
