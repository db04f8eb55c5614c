//! The judge: follows one datagram at a time through a ruleset and says which rules drop it, for sure
//! or perhaps, and why. This module owns what the two rulesets share: the datagrams PnP depends on
//! ([`Flow`]), what is known when judging ([`Context`]), three-valued matching ([`Tri`]) and the
//! [`Judgement`] collected over every ruleset. Each kind of ruleset has its own half: `netfilter`
//! (nftables and iptables: the walk through chains, memoised, with a step budget) and `windows`
//! (Windows Defender Firewall: profiles, block beats allow, default actions).
//!
//! **The datagrams** ([`Flow`]) are the ones PnP needs, each judged on its own path: the phones'
//! SUBSCRIBE coming in (prerouting and input), the PBX's answers going out to the phones (output and
//! postrouting), mcready's own probe going out and looping back in, IGMP reports going out and IGMP
//! queries coming in. What is known about each — the PnP interface, the known phones' addresses, this
//! host's address — is resolved exactly; what is not (a phone's address when none is known, a
//! querier's address) makes a condition on it *maybe*.
//!
//! **Three-valued conditions.** A condition is *always*, *never* or *maybe* for the datagram. A drop or
//! reject whose conditions are all *always*, reached without any earlier rule that may have let the
//! datagram through, is `drops`; one that may be reached is `may-drop`, with what it depends on.

use std::net::Ipv4Addr;

use crate::facts::{FindingCertainty, FirewallFinding, FirewallFlow, FirewallHelper, FirewallManager};
use crate::ruleset::{Element, Hook, Ruleset};

mod netfilter;
mod windows;

pub use netfilter::judge_netfilter;
use windows::judge_windows;

/// Rule evaluations allowed for one datagram through one ruleset. Memoisation keeps real rulesets far
/// below it (a 4,000-rule ruleset needs about 4,000 per datagram); it only stops adversarial input.
pub const STEP_BUDGET: usize = 2_000_000;

/// What is known about the host and the phones when judging.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub group: Option<Ipv4Addr>,
    pub port: Option<u16>,
    /// The PnP interface; `None` when unknown (then `iifname "eth0"` is *maybe*).
    pub interface: Option<String>,
    /// Known phones (`--phone`, `--peer`, phones heard); empty when none is known.
    pub phones: Vec<Ipv4Addr>,
    /// This host's address on the PnP interface (the source of its probe, answers and reports).
    pub local: Option<Ipv4Addr>,
    /// Firewall managers found on the host (ufw enabled, firewalld running): who owns the rules.
    pub managers: Vec<FirewallManager>,
    /// Rule evaluations allowed per datagram and ruleset; 0 means [`STEP_BUDGET`].
    pub budget: usize,
    /// The PnP interface's subnet holding [`Self::local`]: what Windows' `LocalSubnet` means there.
    pub local_subnet: Option<(Ipv4Addr, u8)>,
    /// Image names of the processes that own the PnP port (`3CXPhoneSystem.exe`): a Windows rule for
    /// another program does not apply to the PBX's traffic.
    pub programs: Vec<String>,
    /// The provisioning URL, when it is this host's address on another interface than the PnP one:
    /// the phones' requests to it are judged too ([`FirewallFlow::ProvisioningIn`]).
    pub provisioning: Option<ProvisioningTarget>,
}

/// Where the phones' requests for the provisioning URL arrive on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningTarget {
    pub address: Ipv4Addr,
    pub port: u16,
    /// IP protocol number: 6 (TCP: http, https, ftp) or 17 (UDP: tftp).
    pub proto: u8,
    /// The interface holding the address, where the requests come in.
    pub interface: String,
}

/// A datagram PnP depends on, with everything the judge knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub kind: FirewallFlow,
    /// Prerouting and input hooks when `true`; output and postrouting when `false`.
    pub inbound: bool,
    /// IP protocol number: 17 (UDP) or 2 (IGMP).
    pub proto: u8,
    /// Possible source addresses; empty when unknown.
    pub saddr: Vec<Ipv4Addr>,
    /// Possible destination addresses; empty when unknown.
    pub daddr: Vec<Ipv4Addr>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// The interface it arrives on (inbound) or leaves by (outbound); `None` when unknown (never `lo`).
    pub interface: Option<String>,
    /// `meta pkttype`; `None` when not known (outbound).
    pub pkttype: Option<&'static str>,
    pub daddr_type: &'static str,
    pub saddr_type: &'static str,
}

/// A port from Linux's default ephemeral range, standing for the probe's source port.
const EPHEMERAL_PORT: u16 = 49_152;
const IGMPV3_REPORTS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 22);
const ALL_HOSTS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 1);

impl Flow {
    /// Every datagram PnP depends on, for this context.
    #[must_use]
    pub fn all(context: &Context) -> Vec<Self> {
        let group = context.group.unwrap_or(crate::facts::PNP_GROUP);
        let port = context.port.unwrap_or(crate::facts::PNP_PORT);
        let local: Vec<Ipv4Addr> = context.local.into_iter().collect();
        let base = Self {
            kind: FirewallFlow::SubscribeIn,
            inbound: true,
            proto: 17,
            saddr: context.phones.clone(),
            daddr: vec![group],
            sport: None,
            dport: Some(port),
            interface: context.interface.clone(),
            pkttype: Some("multicast"),
            daddr_type: "multicast",
            saddr_type: "unicast",
        };
        let provisioning = context.provisioning.as_ref().map(|target| Self {
            kind: FirewallFlow::ProvisioningIn,
            proto: target.proto,
            daddr: vec![target.address],
            dport: Some(target.port),
            interface: Some(target.interface.clone()),
            pkttype: Some("host"),
            daddr_type: "local",
            ..base.clone()
        });
        let mut flows = vec![
            base.clone(),
            // Linux loops a multicast datagram back with the interface it left by as its input interface
            // and computes `pkttype` from the address: multicast.
            Self {
                kind: FirewallFlow::ProbeLoop,
                saddr: local.clone(),
                sport: Some(EPHEMERAL_PORT),
                saddr_type: "local",
                ..base.clone()
            },
            // The probe leaves from an ephemeral port (32768-60999 by default); one stands for all.
            Self {
                kind: FirewallFlow::ProbeOut,
                inbound: false,
                sport: Some(EPHEMERAL_PORT),
                saddr: local.clone(),
                pkttype: None,
                saddr_type: "local",
                ..base.clone()
            },
            Self {
                kind: FirewallFlow::AnswerOut,
                inbound: false,
                saddr: local.clone(),
                daddr: context.phones.clone(),
                sport: Some(port),
                dport: None,
                pkttype: None,
                daddr_type: "unicast",
                saddr_type: "local",
                ..base.clone()
            },
            // Reports go to 224.0.0.22 (IGMPv3, Linux's default) or to the group itself (IGMPv2).
            Self {
                kind: FirewallFlow::IgmpOut,
                inbound: false,
                proto: 2,
                saddr: local,
                daddr: vec![IGMPV3_REPORTS, group],
                dport: None,
                pkttype: None,
                saddr_type: "local",
                ..base.clone()
            },
            // Queries come from the querier (address unknown; a Linux bridge sends them from 0.0.0.0) to
            // all hosts (general) or to the group (group-specific).
            Self {
                kind: FirewallFlow::IgmpIn,
                proto: 2,
                saddr: Vec::new(),
                daddr: vec![ALL_HOSTS, group],
                dport: None,
                ..base
            },
        ];
        flows.extend(provisioning);
        flows
    }

    fn proto_name(&self) -> &'static str {
        match self.proto {
            17 => "udp",
            6 => "tcp",
            2 => "igmp",
            _ => "?",
        }
    }

    fn on_path(&self, hook: Hook) -> bool {
        if self.inbound {
            matches!(hook, Hook::Prerouting | Hook::Input)
        } else {
            matches!(hook, Hook::Output | Hook::Postrouting)
        }
    }
}

/// Whether a condition matches the datagram. Ordered so that `min` is "and".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tri {
    Never,
    Maybe,
    Always,
}

impl Tri {
    fn from_answer(answer: Option<bool>) -> Self {
        match answer {
            Some(true) => Self::Always,
            Some(false) => Self::Never,
            None => Self::Maybe,
        }
    }

    fn negate(self) -> Self {
        match self {
            Self::Never => Self::Always,
            Self::Maybe => Self::Maybe,
            Self::Always => Self::Never,
        }
    }
}

fn in_prefix(addr: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let len = u32::from(len.min(32));
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(addr) & mask == u32::from(net) & mask
}

fn addr_holds(addr: Ipv4Addr, element: &Element) -> Option<bool> {
    match element {
        Element::Addr(a) => Some(addr == *a),
        Element::Prefix(net, len) => Some(in_prefix(addr, *net, *len)),
        Element::AddrRange(low, high) => Some((*low..=*high).contains(&addr)),
        _ => None,
    }
}

/// What the judge found for every datagram, in every ruleset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Judgement {
    pub findings: Vec<FirewallFinding>,
    pub helpers: Vec<FirewallHelper>,
    /// A walk ran out of its step budget: "no finding" is then not "no drop".
    pub partial: bool,
    /// Rule evaluations spent, over all datagrams.
    pub steps: usize,
}

impl Judgement {
    /// Findings about one datagram.
    pub fn of(&self, flow: FirewallFlow) -> impl Iterator<Item = &FirewallFinding> {
        self.findings.iter().filter(move |f| f.flow.unwrap_or(FirewallFlow::SubscribeIn) == flow)
    }

    /// Whether the datagram is certainly dropped.
    #[must_use]
    pub fn drops(&self, flow: FirewallFlow) -> bool {
        self.of(flow).any(|f| f.certainty == FindingCertainty::Drops)
    }
}

/// Judges every datagram PnP depends on against every ruleset.
#[must_use]
pub fn judge(rulesets: &[Ruleset], context: &Context) -> Judgement {
    #[cfg(test)]
    walk_count::WALKS.with(|walks| walks.set(walks.get() + 1));
    let mut judgement = Judgement::default();
    for flow in Flow::all(context) {
        for ruleset in rulesets {
            match ruleset {
                Ruleset::Netfilter(netfilter) => judge_netfilter(netfilter, &flow, context, &mut judgement),
                Ruleset::Windows(windows) => judge_windows(windows, &flow, context, &mut judgement),
            }
        }
    }
    judgement
}

/// How many times this thread judged a ruleset: the proof that a run walks the firewall once. Per
/// thread, so that tests running in parallel do not count each other's walks.
#[cfg(test)]
pub(crate) fn walks() -> usize {
    walk_count::WALKS.with(std::cell::Cell::get)
}

// The windows-gnu clippy asks for a `const` initialiser this already has.
#[cfg(test)]
#[allow(clippy::missing_const_for_thread_local)]
mod walk_count {
    thread_local! {
        pub(super) static WALKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
}
