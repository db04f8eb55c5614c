//! The judge: follows one datagram at a time through a ruleset and says which rules drop it, for sure
//! or perhaps, and why. It owns the meaning of every condition for a given datagram, the walk through
//! chains (jumps, gotos, returns, verdict maps, policies), and the guarantees that keep it fast.
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
//! datagram through, is `drops`; one that may be reached is `may-drop`, with what it depends on. An
//! accept that only *may* match (say, `ip saddr 198.51.100.0/24 accept` while the phones' addresses are
//! unknown) is quoted as "unless it comes from 198.51.100.0/24". `ct state established,related` never
//! matches: every one of these datagrams is new to conntrack (the PBX answers from its unicast address,
//! so no reply ever comes back in the SUBSCRIBE's own tuple).
//!
//! **Fast, always.** A chain reached again in the same state — same chain, hook, datagram (interface and
//! source class), same "nothing before let it through" flag and same topic — is judged once and its exit
//! remembered, so 14 chains that each jump four times to the next cost 14 chain walks, not 4^14. A step
//! budget bounds any walk; a ruleset that exceeds it gives a result marked `partial` instead of a hang.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use crate::facts::{
    FindingCertainty, FirewallAffects, FirewallFinding, FirewallFlow, FirewallHelper, FirewallManager,
    FirewallVerdict,
};
use crate::ruleset::{
    Cond, Element, Family, Field, FirewallTool, Hook, Netfilter, Op, Rule, Ruleset, Table, Verdict,
    WindowsFirewall,
};

/// Rule evaluations allowed for one datagram through one ruleset. Memoisation keeps real rulesets far
/// below it (a 4,000-rule ruleset needs about 4,000 per datagram); it only stops adversarial input.
pub const STEP_BUDGET: usize = 2_000_000;

/// `nf_tables` refuses deeper jump nesting; deeper input is odd and judged conservatively.
const MAX_DEPTH: usize = 16;

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
        vec![
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
        ]
    }

    fn proto_name(&self) -> &'static str {
        match self.proto {
            17 => "udp",
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

/// Yes if one element holds the value, no if none can, else unknown.
fn any_holds(elements: &[Element], holds: impl Fn(&Element) -> Option<bool>) -> Option<bool> {
    let mut unknown = false;
    for element in elements {
        match holds(element) {
            Some(true) => return Some(true),
            Some(false) => {}
            None => unknown = true,
        }
    }
    if unknown { None } else { Some(false) }
}

/// Matches a name against an interface pattern (`eth0`, `eth*` in nft, `eth+` in iptables).
fn iface_holds(name: &str, pattern: &str) -> bool {
    match pattern.strip_suffix('*').or_else(|| pattern.strip_suffix('+')) {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

/// What a condition is about, when it certainly matches (for a finding's `affects`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct Topics {
    port: bool,
    multicast: bool,
    igmp: bool,
}

/// Judges one condition for the datagram.
#[allow(clippy::too_many_lines)] // One arm per field reads better than a table of closures.
fn judge_cond(flow: &Flow, cond: &Cond, topics: &mut Topics) -> Tri {
    let eq = |answer: Option<bool>| -> Tri {
        let tri = Tri::from_answer(answer);
        if cond.op == Op::Ne { tri.negate() } else { tri }
    };
    match &cond.field {
        Field::Proto => {
            let name = flow.proto_name();
            let tri = eq(any_holds(&cond.values, |e| match e {
                Element::Number(n) => Some(*n == u64::from(flow.proto)),
                Element::Symbol(s) => Some(s.eq_ignore_ascii_case(name) || s == "all"),
                _ => None,
            }));
            if tri == Tri::Always && cond.op == Op::Eq {
                topics.port |= flow.proto == 17;
                topics.igmp |= flow.proto == 2;
            }
            tri
        }
        Field::Port { proto, destination } => {
            // A port belongs to a transport header: nftables adds an implicit protocol match, so
            // `tcp dport != 22` cannot match UDP, and nothing with ports matches IGMP.
            if flow.proto != 17 || proto.as_deref().is_some_and(|p| p != flow.proto_name()) {
                return Tri::Never;
            }
            let Some(port) = (if *destination { flow.dport } else { flow.sport }) else { return Tri::Maybe };
            let port = u64::from(port);
            let tri = match (cond.op, cond.values.as_slice()) {
                (Op::Lt | Op::Le | Op::Gt | Op::Ge, [Element::Number(n)]) => {
                    Tri::from_answer(Some(match cond.op {
                        Op::Lt => port < *n,
                        Op::Le => port <= *n,
                        Op::Gt => port > *n,
                        _ => port >= *n,
                    }))
                }
                (Op::Lt | Op::Le | Op::Gt | Op::Ge, _) => Tri::Maybe,
                _ => eq(any_holds(&cond.values, |e| match e {
                    Element::Number(n) => Some(*n == port),
                    Element::Range(low, high) => Some((*low..=*high).contains(&port)),
                    _ => None,
                })),
            };
            if tri == Tri::Always {
                topics.port = true;
            }
            tri
        }
        Field::Addr { destination } => {
            let addrs = if *destination { &flow.daddr } else { &flow.saddr };
            if matches!(cond.op, Op::Lt | Op::Le | Op::Gt | Op::Ge) {
                return Tri::Maybe;
            }
            if addrs.is_empty() {
                // An unknown address is still a host on the LAN (or this host on the PnP interface),
                // never loopback: `-d 127.0.0.0/8` cannot match it.
                let loopback_only = !cond.values.is_empty()
                    && cond.values.iter().all(|e| match e {
                        Element::Addr(a) => a.is_loopback(),
                        Element::Prefix(net, len) => *len >= 8 && net.is_loopback(),
                        _ => false,
                    });
                return if loopback_only { eq(Some(false)) } else { Tri::Maybe };
            }
            // With several possible addresses, the condition is certain only when it is for each.
            let answers: Vec<Tri> =
                addrs.iter().map(|addr| eq(any_holds(&cond.values, |e| addr_holds(*addr, e)))).collect();
            let tri = if answers.iter().all(|t| *t == Tri::Always) {
                Tri::Always
            } else if answers.iter().all(|t| *t == Tri::Never) {
                Tri::Never
            } else {
                Tri::Maybe
            };
            if tri == Tri::Always && *destination && cond.op == Op::Eq && flow.daddr_type == "multicast" {
                topics.multicast = true;
            }
            tri
        }
        Field::Iface { input } => {
            if *input != flow.inbound {
                // No output interface on the input path and no input interface on the output path:
                // the name is empty.
                return eq(any_holds(&cond.values, |e| match e {
                    Element::Symbol(s) => Some(s.is_empty()),
                    _ => None,
                }));
            }
            eq(any_holds(&cond.values, |e| match e {
                Element::Symbol(pattern) => match &flow.interface {
                    Some(name) => Some(iface_holds(name, pattern)),
                    None if pattern == "lo" => Some(false),
                    None if pattern == "*" || pattern == "+" => Some(true),
                    None => None,
                },
                _ => None,
            }))
        }
        Field::PktType => {
            let Some(pkttype) = flow.pkttype else { return Tri::Maybe };
            let tri = eq(any_holds(&cond.values, |e| match e {
                Element::Symbol(s) => Some(s.eq_ignore_ascii_case(pkttype)),
                _ => None,
            }));
            topics.multicast |= tri == Tri::Always && pkttype == "multicast";
            tri
        }
        Field::CtState => eq(any_holds(&cond.values, |e| match e {
            Element::Symbol(s) => Some(s.eq_ignore_ascii_case("new")),
            _ => None,
        })),
        // A new flow that nothing NATs has no status bits.
        Field::CtStatus => {
            if cond.op == Op::Eq {
                Tri::Never
            } else {
                Tri::Maybe
            }
        }
        Field::CtDirection => eq(any_holds(&cond.values, |e| match e {
            Element::Symbol(s) => Some(s.eq_ignore_ascii_case("original")),
            _ => None,
        })),
        Field::AddrType { destination } => {
            let kind = if *destination { flow.daddr_type } else { flow.saddr_type };
            let tri = eq(any_holds(&cond.values, |e| match e {
                Element::Symbol(s) => Some(s.eq_ignore_ascii_case(kind)),
                _ => None,
            }));
            topics.multicast |= tri == Tri::Always && *destination && kind == "multicast";
            tri
        }
        Field::NfProto => eq(any_holds(&cond.values, |e| match e {
            Element::Symbol(s) => match s.to_ascii_lowercase().as_str() {
                "ipv4" | "ip" => Some(true),
                "ipv6" | "ip6" | "arp" => Some(false),
                _ => None,
            },
            _ => None,
        })),
        Field::Header(proto) => {
            if proto == flow.proto_name() || proto == "ip" {
                Tri::Maybe
            } else {
                Tri::Never
            }
        }
        Field::Unknown => Tri::Maybe,
    }
}

/// One way a rule can decide: a verdict map gives one per element.
struct Branch<'a> {
    matches: Tri,
    /// The conditions that made it only *maybe*.
    unknowns: Vec<&'a Cond>,
    /// A verdict map element that may hold the key (its text).
    map_unknown: Option<String>,
    topics: Topics,
    verdict: &'a Verdict,
}

fn branches<'a>(flow: &Flow, rule: &'a Rule) -> Vec<Branch<'a>> {
    let mut matches = Tri::Always;
    let mut unknowns = Vec::new();
    let mut topics = Topics::default();
    for cond in &rule.conds {
        let tri = judge_cond(flow, cond, &mut topics);
        matches = matches.min(tri);
        if tri == Tri::Never {
            break;
        }
        if tri == Tri::Maybe {
            unknowns.push(cond);
        }
    }
    match &rule.verdict {
        Verdict::Map { key, key_text, entries } if matches != Tri::Never => entries
            .iter()
            .map(|(element, verdict)| {
                let cond = Cond {
                    field: key.clone(),
                    op: Op::Eq,
                    values: vec![element.clone()],
                    text: String::new(),
                };
                let mut local = topics;
                let tri = judge_cond(flow, &cond, &mut local);
                Branch {
                    matches: matches.min(tri),
                    unknowns: unknowns.clone(),
                    map_unknown: (tri == Tri::Maybe).then(|| format!("{key_text} matches a vmap element")),
                    topics: local,
                    verdict,
                }
            })
            .collect(),
        verdict => vec![Branch { matches, unknowns, map_unknown: None, topics, verdict }],
    }
}

fn affects(topics: Topics, inbound: bool) -> FirewallAffects {
    if topics.port {
        FirewallAffects::UdpPort
    } else if topics.multicast {
        FirewallAffects::Multicast
    } else if topics.igmp {
        FirewallAffects::Igmp
    } else if inbound {
        FirewallAffects::AllInput
    } else {
        FirewallAffects::AllOutput
    }
}

/// How a chain can end for the datagram, seen from the rule that entered it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Exit {
    /// The datagram may come back out (fall off the end, `return`): the caller goes on.
    may_continue: bool,
    /// It may meet a final verdict (accept, drop, reject, unknown) inside.
    may_terminate: bool,
    /// That final verdict may let it through (accept, or a verdict not known here).
    may_accept: bool,
}

const ANYTHING: Exit = Exit { may_continue: true, may_terminate: true, may_accept: true };

/// The text of an earlier rule that may let the datagram through: "unless it comes from X" when all it
/// depends on is the source address.
fn escape_text(branch: &Branch<'_>, rule: &Rule) -> String {
    let sources: Vec<String> = branch
        .unknowns
        .iter()
        .filter(|c| matches!(c.field, Field::Addr { destination: false }) && c.op == Op::Eq)
        .flat_map(|c| c.values.iter().map(render_element))
        .collect();
    if !sources.is_empty()
        && branch.unknowns.len() == sources.len().min(branch.unknowns.len())
        && branch
            .unknowns
            .iter()
            .all(|c| matches!(c.field, Field::Addr { destination: false }) && c.op == Op::Eq)
    {
        return format!("unless it comes from {} ({})", sources.join(", "), rule.text);
    }
    format!("earlier rule may let it through: {}", rule.text)
}

fn render_element(element: &Element) -> String {
    match element {
        Element::Number(n) => n.to_string(),
        Element::Range(a, b) => format!("{a}-{b}"),
        Element::Addr(a) => a.to_string(),
        Element::Prefix(a, l) => format!("{a}/{l}"),
        Element::AddrRange(a, b) => format!("{a}-{b}"),
        Element::Symbol(s) => s.clone(),
        Element::Opaque => "?".into(),
    }
}

struct Walker<'a> {
    flow: &'a Flow,
    tool: FirewallTool,
    table: &'a Table,
    hook: Hook,
    findings: Vec<FirewallFinding>,
    helpers: Vec<FirewallHelper>,
    /// Earlier rules that may have let the datagram through: what a later `may-drop` depends on.
    escapes: Vec<String>,
    /// Exits already computed, by (chain, clear, inherited topic).
    memo: HashMap<(usize, bool, FirewallAffects), Exit>,
    on_stack: Vec<bool>,
    /// Chain positions by name, for jumps.
    positions: &'a HashMap<&'a str, usize>,
    steps: usize,
    budget: usize,
    partial: bool,
}

impl Walker<'_> {
    fn walk(&mut self, chain_at: usize, clear: bool, inherited: FirewallAffects, depth: usize) -> Exit {
        let key = (chain_at, clear, inherited);
        if let Some(exit) = self.memo.get(&key) {
            return *exit;
        }
        let Some(chain) = self.table.chains.get(chain_at) else { return ANYTHING };
        if depth > MAX_DEPTH || self.on_stack.get(chain_at).copied().unwrap_or(true) {
            self.escapes.push(format!("jumps nested too deep (or in a loop) at chain {}", chain.name));
            return ANYTHING;
        }
        if let Some(flag) = self.on_stack.get_mut(chain_at) {
            *flag = true;
        }
        let exit = self.walk_rules(chain_at, clear, inherited, depth);
        if let Some(flag) = self.on_stack.get_mut(chain_at) {
            *flag = false;
        }
        self.memo.insert(key, exit);
        exit
    }

    #[allow(clippy::too_many_lines)] // The walk is one state machine; split, it would hide its state.
    fn walk_rules(&mut self, chain_at: usize, clear: bool, inherited: FirewallAffects, depth: usize) -> Exit {
        let table = self.table;
        let Some(chain) = table.chains.get(chain_at) else { return ANYTHING };
        // `state`: whether the datagram is still in this chain; `escaped`: whether it may have been let
        // through (or sent past the rest of the chain) by an earlier rule.
        let mut state = Tri::Always;
        let mut escaped = false;
        let mut exit = Exit::default();
        for (index, rule) in chain.rules.iter().enumerate() {
            if state == Tri::Never {
                break;
            }
            for branch in branches(self.flow, rule) {
                self.steps += 1;
                if self.steps > self.budget {
                    self.partial = true;
                    return ANYTHING;
                }
                if state == Tri::Never {
                    break;
                }
                let reach = state.min(branch.matches);
                if reach == Tri::Never {
                    continue;
                }
                let certain = branch.matches == Tri::Always;
                let sure = clear && !escaped && certain;
                if let Some(helper) = &rule.helper {
                    self.helpers.push(FirewallHelper {
                        tool: self.tool,
                        table: table.name.clone(),
                        chain: chain.name.clone(),
                        rule: rule.text.clone(),
                        handle: rule.handle,
                        helper: helper.clone(),
                        certain: sure,
                    });
                }
                let topic = affects(branch.topics, self.flow.inbound).min(inherited);
                match branch.verdict {
                    Verdict::Continue | Verdict::Map { .. } => {}
                    Verdict::Drop | Verdict::Reject => {
                        let verdict = if *branch.verdict == Verdict::Drop {
                            FirewallVerdict::Drop
                        } else {
                            FirewallVerdict::Reject
                        };
                        let mut depends_on: Vec<String> =
                            branch.unknowns.iter().map(|c| c.text.clone()).collect();
                        depends_on.extend(branch.map_unknown.clone());
                        self.record(chain_at, rule, index, verdict, sure, topic, depends_on);
                        exit.may_terminate = true;
                        state = if certain { Tri::Never } else { Tri::Maybe };
                    }
                    Verdict::Accept | Verdict::Unknown(_) => {
                        exit.may_terminate = true;
                        exit.may_accept = true;
                        if certain {
                            state = Tri::Never;
                        } else {
                            state = Tri::Maybe;
                            escaped = true;
                            self.escapes.push(escape_text(&branch, rule));
                        }
                    }
                    Verdict::Return => {
                        exit.may_continue = true;
                        if certain {
                            state = Tri::Never;
                        } else {
                            state = Tri::Maybe;
                            escaped = true;
                            self.escapes.push(format!("earlier rule may return: {}", rule.text));
                        }
                    }
                    Verdict::Jump(target) | Verdict::Goto(target) => {
                        let goto = matches!(branch.verdict, Verdict::Goto(_));
                        let Some(target_at) = self.positions.get(target.as_str()).copied() else {
                            // A jump to a chain the ruleset does not list: anything may happen there.
                            exit = Exit { may_continue: true, may_terminate: true, may_accept: true };
                            escaped = true;
                            self.escapes.push(format!("chain {target} was not in the ruleset"));
                            continue;
                        };
                        let mark = self.escapes.len();
                        let callee = self.walk(target_at, sure, topic, depth + 1);
                        // What happened inside explains findings inside; out here, the jump itself does.
                        self.escapes.truncate(mark);
                        exit.may_terminate |= callee.may_terminate;
                        exit.may_accept |= callee.may_accept;
                        if callee.may_accept {
                            escaped = true;
                            self.escapes.push(format!("earlier rule may let it through: {}", rule.text));
                        }
                        if goto {
                            // A goto's chain returns to this chain's caller, not here.
                            exit.may_continue |= callee.may_continue;
                            if certain {
                                state = Tri::Never;
                            } else {
                                state = Tri::Maybe;
                                if callee.may_continue {
                                    escaped = true;
                                    self.escapes.push(format!("earlier rule may return: {}", rule.text));
                                }
                            }
                        } else if certain && !callee.may_continue {
                            state = Tri::Never;
                        } else if callee.may_terminate {
                            state = Tri::Maybe;
                        }
                    }
                }
            }
        }
        exit.may_continue |= state != Tri::Never;
        exit
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        chain_at: usize,
        rule: &Rule,
        index: usize,
        verdict: FirewallVerdict,
        sure: bool,
        topic: FirewallAffects,
        mut depends_on: Vec<String>,
    ) {
        let certainty = if sure { FindingCertainty::Drops } else { FindingCertainty::MayDrop };
        if certainty == FindingCertainty::MayDrop {
            depends_on.extend(self.escapes.iter().cloned());
        }
        let chain = self.table.chains.get(chain_at).map(|c| c.name.clone()).unwrap_or_default();
        let finding = FirewallFinding {
            tool: self.tool,
            affects: topic,
            certainty,
            table: self.table.name.clone(),
            chain,
            hook: self.hook.as_str().to_owned(),
            verdict,
            rule: rule.text.clone(),
            handle: rule.handle,
            depends_on,
            flow: Some(self.flow.kind),
            position: Some(index + 1),
            manager: None,
        };
        self.push(finding);
    }

    /// Adds a finding once: a user chain reached twice keeps its surest finding.
    fn push(&mut self, finding: FirewallFinding) {
        let same = |f: &FirewallFinding| {
            f.table == finding.table
                && f.chain == finding.chain
                && f.rule == finding.rule
                && f.handle == finding.handle
                && f.position == finding.position
                && f.hook == finding.hook
        };
        if let Some(existing) = self.findings.iter_mut().find(|f| same(f)) {
            if finding.certainty > existing.certainty {
                *existing = finding;
            }
        } else {
            self.findings.push(finding);
        }
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

/// Judges one datagram through one netfilter ruleset: every base chain on its path, independently (an
/// accept ends only its own base chain; the next base chain on the hook still sees the datagram).
pub fn judge_netfilter(ruleset: &Netfilter, flow: &Flow, context: &Context, judgement: &mut Judgement) {
    let tool = ruleset.tool.unwrap_or(FirewallTool::Nft);
    let budget = if context.budget == 0 { STEP_BUDGET } else { context.budget };
    let mut steps = 0;
    for table in &ruleset.tables {
        if table.family == Family::Other {
            continue;
        }
        let positions: HashMap<&str, usize> =
            table.chains.iter().enumerate().map(|(at, c)| (c.name.as_str(), at)).collect();
        for (at, chain) in table.chains.iter().enumerate() {
            let Some(base) = &chain.base else { continue };
            if !flow.on_path(base.hook) || !base.judged() {
                continue;
            }
            let mut walker = Walker {
                flow,
                tool,
                table,
                hook: base.hook,
                findings: Vec::new(),
                helpers: Vec::new(),
                escapes: Vec::new(),
                memo: HashMap::new(),
                on_stack: vec![false; table.chains.len()],
                positions: &positions,
                steps,
                budget,
                partial: false,
            };
            let top = if flow.inbound { FirewallAffects::AllInput } else { FirewallAffects::AllOutput };
            let exit = walker.walk(at, true, top, 0);
            if base.policy_drop && exit.may_continue {
                let certainty = if exit.may_accept || walker.partial {
                    FindingCertainty::MayDrop
                } else {
                    FindingCertainty::Drops
                };
                let depends_on =
                    if certainty == FindingCertainty::MayDrop { walker.escapes.clone() } else { Vec::new() };
                walker.push(FirewallFinding {
                    tool,
                    affects: top,
                    certainty,
                    table: table.name.clone(),
                    chain: chain.name.clone(),
                    hook: base.hook.as_str().to_owned(),
                    verdict: FirewallVerdict::PolicyDrop,
                    rule: "policy drop".into(),
                    handle: None,
                    depends_on,
                    flow: Some(flow.kind),
                    position: None,
                    manager: None,
                });
            }
            steps = walker.steps;
            judgement.partial |= walker.partial;
            for mut finding in walker.findings {
                finding.manager =
                    Some(super::fix::manager_of(ruleset, table, &finding.chain, &context.managers));
                if !judgement.findings.contains(&finding) {
                    judgement.findings.push(finding);
                }
            }
            for helper in walker.helpers {
                if !judgement.helpers.contains(&helper) {
                    judgement.helpers.push(helper);
                }
            }
        }
    }
    judgement.steps += steps;
}

/// Windows Defender Firewall, judged once per profile the PnP adapter's traffic may meet: that
/// adapter's network category when the network list said it, else each profile in force. In a profile
/// whose firewall is off nothing is dropped; otherwise an enabled block rule that matches drops (block
/// beats allow), "block all incoming connections" drops every inbound datagram, and with no matching
/// allow rule the profile's default action decides. A drop in every candidate profile is `drops`; in
/// only some, `may-drop` "if the adapter is on a … network".
fn judge_windows(firewall: &WindowsFirewall, flow: &Flow, context: &Context, judgement: &mut Judgement) {
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
fn windows_rule_matches(
    rule: &crate::ruleset::WindowsRule,
    flow: &Flow,
    context: &Context,
    profile: Option<&str>,
) -> Tri {
    use super::windows::{RemoteAddress, port_holds, remote_address};
    if !rule.enabled || rule.inbound != flow.inbound {
        return Tri::Never;
    }
    let proto = rule.protocol.to_ascii_lowercase();
    if !(proto == "any" || proto == flow.proto_name() || proto == flow.proto.to_string()) {
        return Tri::Never;
    }
    let profile_tri = match profile {
        _ if rule.profiles.is_empty() => Tri::Always,
        Some(name) => Tri::from_answer(Some(rule.profiles.iter().any(|p| p.eq_ignore_ascii_case(name)))),
        None => Tri::Maybe,
    };
    let local_port = if flow.inbound { flow.dport } else { flow.sport };
    let port_tri = rule
        .local_ports
        .iter()
        .map(|token| match local_port {
            Some(port) => Tri::from_answer(port_holds(token, port)),
            // IGMP has no ports: only "any port" holds it.
            None => Tri::from_answer(Some(token.eq_ignore_ascii_case("any"))),
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
        .map(|token| match remote_address(token) {
            RemoteAddress::Any => Tri::Always,
            RemoteAddress::V6 => Tri::Never,
            RemoteAddress::V4(element) => all_in(&|a| addr_holds(a, &element) == Some(true)),
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
