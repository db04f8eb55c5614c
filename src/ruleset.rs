//! The firewall ruleset model every reader produces and the judge walks, as plain data on the ground
//! floor: the host facts hold rulesets, and the readers and the judge ([`crate::firewall`]) sit above
//! both. It owns the shapes, not their meaning: a condition here is symbolic (`udp dport 5060`,
//! `ip saddr 198.51.100.0/24`, `iifname "eth0"`); the judge decides what it means for one datagram.
//!
//! Two kinds of firewall are modelled, because their evaluation differs in kind, not in detail:
//! - [`Netfilter`]: tables of chains of ordered rules, base chains on hooks with a policy, jumps and
//!   gotos, sets and verdict maps (nftables, iptables of either backend, and pf once its last-match
//!   rules are reordered, see [`crate::firewall::pf`]);
//! - [`WindowsFirewall`]: an unordered list of allow and block rules per direction and profile, a
//!   default action per direction (inbound blocked by default), and *block beats allow*, per profile;
//!   [`crate::firewall::windows`] reads it from what the firewall's COM API reports.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// A tool whose view of the host firewall was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallTool {
    /// `nft -j list ruleset`: every nftables table, including those iptables-nft manages.
    Nft,
    /// `iptables-save` backed by nftables (`iptables-nft-save`).
    IptablesNftSave,
    /// `iptables-legacy-save`: the legacy xtables rules, which nftables cannot see.
    IptablesLegacySave,
    /// Windows Defender Firewall, read through its COM API (`INetFwPolicy2`).
    WindowsFirewall,
    /// `pfctl -sr`: macOS's packet filter (pf) rules.
    Pf,
}

impl FirewallTool {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nft => "nft",
            Self::IptablesNftSave => "iptables-nft-save",
            Self::IptablesLegacySave => "iptables-legacy-save",
            Self::WindowsFirewall => "windows-firewall",
            Self::Pf => "pfctl",
        }
    }
}

/// One source's ruleset, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ruleset {
    Netfilter(Netfilter),
    Windows(WindowsFirewall),
}

/// A netfilter ruleset: what `nft -j list ruleset` or one `iptables-save` printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Netfilter {
    pub tool: Option<FirewallTool>,
    pub tables: Vec<Table>,
    /// Rules read, in every table kept.
    pub rules: usize,
    /// Rules, lines or objects that could not be understood and were left out.
    pub skipped: usize,
    /// Why the ruleset as a whole could not be read (not JSON, not an nftables document).
    pub error: Option<String>,
    /// nftables `ct helper` objects: (table, object name, helper type, protocol).
    pub helpers: Vec<HelperObject>,
}

/// An nftables `ct helper` object; a rule assigns it with `ct helper set "name"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperObject {
    pub table: String,
    pub name: String,
    /// The kernel helper: `sip`, `ftp`, …
    pub kind: String,
    pub protocol: String,
}

/// The address family a table filters. iptables tables are IPv4 (`iptables-save` only prints those).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Ip,
    Inet,
    /// `ip6`, `arp`, `bridge`, `netdev`: an IPv4 datagram to this host never meets them (netdev and
    /// bridge can, rarely; see docs/firewall.md).
    Other,
    /// An `iptables-save` table (IPv4).
    Iptables,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub family: Family,
    /// As printed: `inet filter` for nftables, `filter` for iptables.
    pub name: String,
    pub chains: Vec<Chain>,
}

impl Table {
    #[must_use]
    pub fn chain(&self, name: &str) -> Option<usize> {
        self.chains.iter().position(|c| c.name == name)
    }

    /// The nft words for the table (`inet filter`) or the iptables table name.
    #[must_use]
    pub fn bare_name(&self) -> &str {
        &self.name
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub name: String,
    /// Set for a base chain: where the kernel calls it.
    pub base: Option<Base>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    pub hook: Hook,
    pub priority: i64,
    pub policy_drop: bool,
    /// `filter`, `nat`, `route`; iptables tables are `filter`, `raw`, `mangle`, `nat`, `security`.
    pub kind: String,
}

impl Base {
    /// Whether the judge walks this base chain: hooks on the paths of the datagrams PnP depends on, and
    /// not a NAT chain. NAT chains translate addresses; a drop there is possible but unusual, and
    /// kube-proxy's nftables mode keeps thousands of rules in them (see docs/firewall.md).
    #[must_use]
    pub fn judged(&self) -> bool {
        matches!(self.hook, Hook::Prerouting | Hook::Input | Hook::Output | Hook::Postrouting)
            && self.kind != "nat"
    }
}

/// Netfilter hooks, in the order a datagram meets them on its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hook {
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
    Other,
}

impl Hook {
    #[must_use]
    pub fn parse(text: &str) -> Self {
        match text.to_ascii_lowercase().as_str() {
            "prerouting" => Self::Prerouting,
            "input" => Self::Input,
            "forward" => Self::Forward,
            "output" => Self::Output,
            "postrouting" => Self::Postrouting,
            _ => Self::Other,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prerouting => "prerouting",
            Self::Input => "input",
            Self::Forward => "forward",
            Self::Output => "output",
            Self::Postrouting => "postrouting",
            Self::Other => "other",
        }
    }
}

/// One rule: every condition must hold, then the verdict applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The rule as a person would write it: the `iptables-save` line, or nft syntax.
    pub text: String,
    /// nftables rule handle; iptables rules have none (their position is their index + 1).
    pub handle: Option<u64>,
    pub conds: Vec<Cond>,
    pub verdict: Verdict,
    /// The conntrack helper this rule assigns (`ct helper set "sip"`, `-j CT --helper sip`).
    pub helper: Option<String>,
}

/// A condition: `field op values`, or something the reader could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    pub field: Field,
    pub op: Op,
    pub values: Vec<Element>,
    /// As written, for the report (`ip saddr 10.0.0.0/8`, `-s 10.0.0.0/8`).
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==`, `in`, or an iptables option without `!`.
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "==" | "in" => Self::Eq,
            "!=" => Self::Ne,
            "<" => Self::Lt,
            "<=" => Self::Le,
            ">" => Self::Gt,
            ">=" => Self::Ge,
            _ => return None,
        })
    }
}

/// Which part of the datagram a condition looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The transport protocol (`meta l4proto`, `ip protocol`, `-p`): numbers or names.
    Proto,
    /// A transport port; `proto` is `Some("udp")` for `udp dport`, `None` for `th dport` / `--dport`.
    Port {
        proto: Option<String>,
        destination: bool,
    },
    Addr {
        destination: bool,
    },
    /// Interface name (`iifname`, `iif`, `-i`; `oifname`, `oif`, `-o`); `+`/`*` suffix is a prefix match.
    Iface {
        input: bool,
    },
    PktType,
    CtState,
    CtStatus,
    CtDirection,
    /// `fib daddr type`, `-m addrtype --dst-type` (or `saddr`/`--src-type` when not `destination`).
    AddrType {
        destination: bool,
    },
    /// `meta nfproto`, `meta protocol`.
    NfProto,
    /// A field of one protocol's header that is not modelled (`tcp flags`, `icmp type`, `ip6 …`): it
    /// never matches a datagram of another protocol, and may match one of that protocol.
    Header(String),
    /// Anything else: it may or may not match (`meta mark`, `limit`, a dynamic set, an `xt` match).
    Unknown,
}

/// One element of a condition's right-hand side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    Number(u64),
    Range(u64, u64),
    Addr(Ipv4Addr),
    Prefix(Ipv4Addr, u8),
    AddrRange(Ipv4Addr, Ipv4Addr),
    Symbol(String),
    /// Something that cannot be compared here (an IPv6 address, a dynamic set's content).
    Opaque,
}

impl Element {
    #[must_use]
    pub fn from_text(text: &str) -> Self {
        if let Ok(n) = text.parse::<u64>() {
            Self::Number(n)
        } else if let Ok(addr) = text.parse::<Ipv4Addr>() {
            Self::Addr(addr)
        } else if let Some((addr, len)) = text.split_once('/')
            && let (Ok(addr), Ok(len)) = (addr.parse::<Ipv4Addr>(), len.parse::<u8>())
            && len <= 32
        {
            Self::Prefix(addr, len)
        } else {
            Self::Symbol(text.to_owned())
        }
    }
}

/// As a rule writes it: `5060`, `10000-10100`, `198.51.100.0/24`, `?` for the opaque.
impl std::fmt::Display for Element {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Range(low, high) => write!(f, "{low}-{high}"),
            Self::Addr(addr) => write!(f, "{addr}"),
            Self::Prefix(addr, len) => write!(f, "{addr}/{len}"),
            Self::AddrRange(low, high) => write!(f, "{low}-{high}"),
            Self::Symbol(text) => f.write_str(text),
            Self::Opaque => f.write_str("?"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No verdict (counter, log, mark): evaluation goes on with the next rule.
    Continue,
    Accept,
    Drop,
    /// `reject`: for the datagram, a drop (the sender gets an ICMP error instead of silence).
    Reject,
    Jump(String),
    Goto(String),
    Return,
    /// A verdict whose effect is not known here (`queue`, an unknown target).
    Unknown(String),
    /// A verdict map (`udp dport vmap { 5060 : drop, 22 : accept }`): the element that holds the key
    /// picks the verdict; none holding it continues. Elements of a map never overlap, so it reads as one
    /// rule per element, in any order.
    Map {
        key: Field,
        key_text: String,
        entries: Vec<(Element, Verdict)>,
    },
    /// An address translation (`dnat to 203.0.113.10:5060`, `-j MASQUERADE`): for the chain, an
    /// accept; for the datagram, a new destination or source.
    Nat(Nat),
}

/// What a NAT rule does to the datagrams it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nat {
    pub kind: NatKind,
    /// The new address: an [`Element::Addr`] or [`Element::AddrRange`]; `None` when the kernel picks it
    /// (masquerade, redirect) or only the port changes.
    pub address: Option<Element>,
    /// The new port: an [`Element::Number`] or [`Element::Range`]; `None` keeps the port.
    pub ports: Option<Element>,
}

/// The four translations netfilter offers, by the words of nft (`iptables -j` targets in capitals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NatKind {
    /// A new destination (`dnat`, `-j DNAT`): a port forward, as Docker's and a PBX container's.
    Dnat,
    /// A new source (`snat`, `-j SNAT`).
    Snat,
    /// A new source: the outgoing interface's address (`masquerade`, `-j MASQUERADE`).
    Masquerade,
    /// A new destination on this host itself (`redirect`, `-j REDIRECT`).
    Redirect,
}

impl NatKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dnat => "dnat",
            Self::Snat => "snat",
            Self::Masquerade => "masquerade",
            Self::Redirect => "redirect",
        }
    }
}

impl Verdict {
    #[must_use]
    pub fn target(&self) -> Option<&str> {
        match self {
            Self::Jump(t) | Self::Goto(t) => Some(t),
            _ => None,
        }
    }
}

/// Windows Defender Firewall, as its own kind of ruleset: no chains and no order. A datagram is allowed
/// when an enabled allow rule matches it and no enabled block rule does (block beats allow); with no
/// matching rule the profile's default action decides (inbound: block, outbound: allow).
///
/// Every network an adapter is connected to has a category — Domain, Private or Public — and the
/// firewall applies that profile's state and rules to the adapter's traffic. [`super::windows`] builds
/// this from what the firewall API reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowsFirewall {
    /// Profiles in force on the host (`CurrentProfileTypes`: the categories of the connected networks).
    /// The PnP adapter's traffic meets one of them; which one is in [`Self::adapter_profiles`] when known.
    pub active_profiles: Vec<String>,
    /// Used when [`Self::profiles`] is empty (a ruleset made by hand): the default of every profile.
    pub default_inbound_block: bool,
    pub default_outbound_block: bool,
    pub rules: Vec<WindowsRule>,
    /// Each profile's state as read; empty means "on, with the defaults above".
    pub profiles: Vec<WindowsProfile>,
    /// The profile of each adapter's network (adapter name, profile), where the network list said it.
    pub adapter_profiles: Vec<(String, String)>,
}

/// One local-port entry of a Windows rule, as far as the judge compares it with one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalPort {
    Any,
    /// A port (`low == high`) or an inclusive range.
    Range(u16, u16),
    /// A keyword standing for ports the system picks at run time (dynamic RPC, IP-HTTPS, Teredo, Play
    /// To, mDNS): never a fixed SIP port.
    Dynamic(String),
    /// An entry the reader did not understand: it may hold any port.
    Unknown(String),
}

/// One remote-address entry of a Windows rule, as far as the judge compares it with one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteAddress {
    Any,
    /// Addresses on the subnets of the adapter the traffic uses.
    LocalSubnet,
    /// An IPv4 address, prefix or range.
    V4(Element),
    /// An IPv6 address or range: it never holds an IPv4 datagram's address.
    V6,
    /// `DefaultGateway`, `DHCP`, `DNS`, `WINS`, `Intranet`, …: addresses the host learns at run time.
    Dynamic(String),
}

/// One firewall profile's state (`Get-NetFirewallProfile`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsProfile {
    /// `Domain`, `Private` or `Public`.
    pub name: String,
    pub enabled: bool,
    pub default_inbound_block: bool,
    pub default_outbound_block: bool,
    /// "Block all incoming connections, including those in the list of allowed apps": allow rules do
    /// not apply inbound.
    pub block_all_inbound: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowsRule {
    /// The rule's name as the firewall shows it (`Get-NetFirewallRule`'s `DisplayName`).
    pub name: String,
    pub enabled: bool,
    pub inbound: bool,
    pub allow: bool,
    /// The IANA protocol number (17 UDP, 2 IGMP); `None` is any protocol.
    pub protocol: Option<u8>,
    /// Local ports (the reader writes `Any` for none given); empty is any too.
    pub local_ports: Vec<LocalPort>,
    /// Remote addresses (the reader writes `Any` for none given); empty is any too.
    pub remote_addresses: Vec<RemoteAddress>,
    /// Profiles the rule applies to; empty is all.
    pub profiles: Vec<String>,
    /// Interface aliases; empty is all.
    pub interfaces: Vec<String>,
    /// Interface types (`Lan`, `Wireless`, `RemoteAccess`); empty is all.
    pub interface_types: Vec<String>,
    /// The program the rule is for (its path); `None` is any program.
    pub program: Option<String>,
    /// The service the rule is for; `None` is any service.
    pub service: Option<String>,
}
