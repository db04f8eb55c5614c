//! The causes several requirements share, decided once per run from the snapshot and the one firewall
//! judgement: where each phone-side host stands against the PnP subnet, what the host itself drops
//! (firewall rules, the reverse-path filter, full socket buffers), whether the path is known good, and
//! whether a PBX's answer came only through mcready's own join.
//!
//! "Never blame an innocent requirement" reads these values, never another check's status, id,
//! evidence or position: a renamed evidence key or a reordered checklist cannot move a verdict.

use std::net::{IpAddr, SocketAddr};

use super::Snapshot;
use super::firewall::FirewallView;
use crate::facts::FirewallFinding;

/// A phone-side host (`--phone`, `--peer`, a phone heard) and whether the PnP subnet holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedHost {
    pub address: IpAddr,
    /// `--phone`, `--peer` or `heard`.
    pub from: &'static str,
    pub inside: bool,
}

/// What more than one requirement needs, decided once.
#[derive(Debug, Clone, Default)]
pub struct Causes {
    /// Every known phone-side host, placed against the PnP interface's subnets; `None` when no PnP
    /// interface was chosen (then nothing can be placed).
    pub hosts: Option<Vec<PlacedHost>>,
    /// A firewall rule certainly drops the phones' SUBSCRIBEs on input.
    pub firewall_drops_subscribe: bool,
    /// The rule that certainly drops mcready's probe going out, or its looped-back copy coming in.
    pub probe_drop: Option<FirewallFinding>,
    /// SUBSCRIBEs the capture saw arrive that no socket received (each source once, in order seen).
    pub captured_not_delivered: Vec<SocketAddr>,
    /// Datagrams the sockets on the port dropped themselves in the window (full receive buffers).
    pub socket_drops: u64,
    /// Sources of undelivered SUBSCRIBEs that the PnP interface's reverse-path filter could drop.
    pub rp_filter_suspects: Vec<SocketAddr>,
    /// A peer test crossed both ways, or the group's datagrams from the LAN reached this host.
    pub network_known_good: bool,
    /// A PBX on this host answered only because mcready joined the group on the PnP interface.
    pub answered_through_our_join: bool,
    /// The PBX runs in a container behind NAT: the PnP port is forwarded (DNAT, or Docker's
    /// `docker-proxy`) and nothing on this host's own network joined the group. Multicast never
    /// crosses that NAT, so the phones' SUBSCRIBEs never reach it.
    pub pbx_behind_nat: Option<NatForward>,
    /// No PBX on this host at all: nothing joined the group, nothing holds the port, and no forward
    /// sends it elsewhere. One cause, said once (by `membership.on-pnp-interface`).
    pub no_pbx_here: bool,
}

/// How the PnP port reaches a PBX in a container behind NAT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatForward {
    /// The DNAT rule as written, when one forwards the port.
    pub rule: Option<String>,
    /// The interface it matches coming in (`eth0`); `None` for any.
    pub from: Option<String>,
    /// The container's address (and port), as the rule sends it.
    pub to: Option<String>,
    /// `docker-proxy (pid N)`, when Docker's userland proxy holds the port on this host.
    pub proxy: Option<String>,
}

impl NatForward {
    /// `udp/5060 is forwarded from eth0 to 172.17.0.2 (`rule`) and held by docker-proxy (pid 7)`.
    #[must_use]
    pub fn describe(&self, port: u16) -> String {
        let from = self.from.as_ref().map_or_else(String::new, |from| format!(" from {from}"));
        let to = self.to.as_ref().map_or_else(String::new, |to| format!(" to {to},"));
        let rule = self.rule.as_ref().map_or_else(String::new, |rule| format!(" (`{rule}`)"));
        let proxy = self.proxy.as_ref().map_or_else(String::new, |proxy| format!(", held here by {proxy}"));
        format!("udp/{port} is forwarded{from}{to} a container behind NAT{rule}{proxy}")
    }
}

impl Causes {
    #[must_use]
    pub fn new(snapshot: &Snapshot, firewall: &FirewallView) -> Self {
        let listen = snapshot.listen.done();
        let rp_filter_suspects = snapshot.pnp_interface.as_deref().map_or_else(Vec::new, |interface| {
            listen.map_or_else(Vec::new, |l| {
                l.captured_not_delivered
                    .iter()
                    .filter(|s| rp_filter_could_drop(snapshot, interface, s.ip()))
                    .copied()
                    .collect()
            })
        });
        let pbx_behind_nat = pbx_behind_nat(snapshot);
        Self {
            hosts: place_hosts(snapshot),
            firewall_drops_subscribe: firewall.subscribe_dropped(),
            probe_drop: firewall.probe_drop().cloned(),
            captured_not_delivered: listen.map_or_else(Vec::new, |l| l.captured_not_delivered.clone()),
            socket_drops: listen.and_then(|l| l.socket_drops).unwrap_or(0),
            rp_filter_suspects,
            network_known_good: snapshot.network_known_good(),
            answered_through_our_join: answered_through_our_join(snapshot),
            no_pbx_here: pbx_behind_nat.is_none() && no_pbx_here(snapshot),
            pbx_behind_nat,
        }
    }

    /// Whether `ip` was placed outside the PnP subnet.
    #[must_use]
    pub fn outside_subnet(&self, ip: IpAddr) -> bool {
        self.hosts.iter().flatten().any(|h| h.address == ip && !h.inside)
    }

    /// SUBSCRIBEs arrived but never reached a socket, and no socket's full buffer explains it: the host
    /// dropped them on input (a firewall rule, or the reverse-path filter).
    #[must_use]
    pub fn dropped_before_sockets(&self) -> bool {
        !self.captured_not_delivered.is_empty() && self.socket_drops == 0
    }

    /// The host itself drops the phones' PnP datagrams (a firewall rule, or a drop proved by capture):
    /// the cause the other requirements must not be blamed for.
    #[must_use]
    pub fn host_drops(&self) -> bool {
        self.firewall_drops_subscribe || self.dropped_before_sockets()
    }
}

fn place_hosts(snapshot: &Snapshot) -> Option<Vec<PlacedHost>> {
    let interface = snapshot.pnp_interface()?;
    Some(
        snapshot
            .known_hosts()
            .into_iter()
            .map(|(address, from)| PlacedHost {
                address,
                from,
                inside: interface.subnet_containing(address).is_some(),
            })
            .collect(),
    )
}

/// Whether a strict or loose reverse-path filter on `interface` could have dropped a datagram from
/// `source` arriving there: strict (1) only when the route back to the source leaves by another
/// interface — phones on the PnP subnet always pass — and loose (2) only when no route leads back at all.
fn rp_filter_could_drop(snapshot: &Snapshot, interface: &str, source: IpAddr) -> bool {
    let facts = &snapshot.facts;
    let back = if facts.routes.is_empty() {
        // Routes not read: the interface's own subnet is the one route known to lead back.
        facts.interface(interface).and_then(|i| i.subnet_containing(source)).map(|_| interface)
    } else {
        facts.route_interface_for(source)
    };
    match facts.firewall.effective_rp_filter(interface) {
        Some(1) => back != Some(interface),
        Some(2) => back.is_none() && !facts.routes.is_empty(),
        _ => false,
    }
}

/// Whether the group was joined on the PnP interface before mcready joined anything.
fn joined_on_pnp(snapshot: &Snapshot) -> bool {
    let pnp = snapshot.pnp_interface.as_deref();
    snapshot.facts.members_of(IpAddr::V4(snapshot.group)).iter().any(|m| Some(m.interface.as_str()) == pnp)
}

/// An answer from a PBX on this host that only mcready's own join made possible: the group was not
/// joined on the PnP interface, but mcready joined it there for the probe (or to listen), and Linux
/// then hands the group's datagrams on that interface to every socket on the port — a PBX joined on
/// another NIC included. Phones get no such help.
fn answered_through_our_join(snapshot: &Snapshot) -> bool {
    if joined_on_pnp(snapshot) || snapshot.pnp_interface.is_none() {
        return false;
    }
    let probe = snapshot.probe.done().is_some_and(|p| p.answers.iter().any(|a| a.this_host));
    let local: Vec<IpAddr> = snapshot.facts.addresses();
    let listen = snapshot.listen.done().is_some_and(|l| {
        l.phones.iter().flat_map(|p| &p.answered_by).any(|by| {
            by.split_whitespace()
                .next()
                .and_then(|addr| addr.parse::<SocketAddr>().ok())
                .is_some_and(|addr| local.contains(&addr.ip()))
        })
    });
    probe || listen
}

/// Whether nothing on this host joined the group, as read (unreadable memberships prove nothing).
fn nothing_joined(snapshot: &Snapshot) -> bool {
    snapshot.facts.memberships_unreadable.is_none()
        && snapshot.facts.members_of(IpAddr::V4(snapshot.group)).is_empty()
}

/// Whether a NAT rule's destination ports (`5060`, `5000-5100`; none is any) hold `port`.
fn ports_hold(ports: &[String], port: u16) -> bool {
    ports.is_empty()
        || ports.iter().any(|p| match p.split_once('-') {
            Some((low, high)) => {
                low.trim().parse::<u16>().is_ok_and(|l| l <= port)
                    && high.trim().parse::<u16>().is_ok_and(|h| port <= h)
            }
            None => p.trim().parse::<u16>() == Ok(port),
        })
}

/// The PnP port forwarded to a container behind NAT, when nothing on this host's own network joined
/// the group and nothing but Docker's proxy holds the port: a DNAT of udp/PORT (from the PnP
/// interface, or any) to another address, or `docker-proxy` on the port.
fn pbx_behind_nat(snapshot: &Snapshot) -> Option<NatForward> {
    if !nothing_joined(snapshot) {
        return None;
    }
    let pnp = snapshot.pnp_interface.as_deref();
    let facts = &snapshot.facts;
    let proxies: Vec<String> = facts
        .listeners
        .iter()
        .flat_map(|l| &l.processes)
        .filter(|p| p.name == "docker-proxy")
        .map(|p| format!("{} (pid {})", p.name, p.pid))
        .collect();
    let others_hold = facts.listeners.iter().any(|l| !l.processes.iter().any(|p| p.name == "docker-proxy"));
    if others_hold {
        return None;
    }
    let forward = facts.firewall.nat.iter().find(|rule| {
        rule.kind == crate::ruleset::NatKind::Dnat
            && rule.to_address.is_some()
            && rule.protocol.as_deref().is_none_or(|p| p == "udp")
            && ports_hold(&rule.ports, snapshot.port)
            && rule.in_interface.as_deref().is_none_or(|i| match i.strip_prefix('!') {
                Some(not) => Some(not) != pnp,
                None => Some(i) == pnp,
            })
    });
    if forward.is_none() && proxies.is_empty() {
        return None;
    }
    Some(NatForward {
        rule: forward.map(|r| r.rule.clone()),
        from: forward.and_then(|r| r.in_interface.clone()).filter(|i| !i.starts_with('!')),
        to: forward.and_then(|r| {
            r.to_address.as_ref().map(|a| match &r.to_ports {
                Some(port) => format!("{a}:{port}"),
                None => a.clone(),
            })
        }),
        proxy: (!proxies.is_empty()).then(|| proxies.join(", ")),
    })
}

/// No PBX on this host: nothing joined the group and nothing holds the port (the caller rules out a
/// forward to a container).
fn no_pbx_here(snapshot: &Snapshot) -> bool {
    nothing_joined(snapshot) && snapshot.facts.listeners.is_empty()
}
