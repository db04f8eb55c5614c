//! The netfilter half of the judge (nftables and iptables, both read into one model): the meaning of
//! every condition for a datagram, and the walk through chains (jumps, gotos, returns, verdict maps,
//! policies) with the guarantees that keep it fast.
//!
//! An accept that only *may* match (say, `ip saddr 198.51.100.0/24 accept` while the phones' addresses
//! are unknown) is quoted as "unless it comes from 198.51.100.0/24". `ct state established,related`
//! never matches: every one of these datagrams is new to conntrack (the PBX answers from its unicast
//! address, so no reply ever comes back in the SUBSCRIBE's own tuple).
//!
//! **Fast, always.** A chain reached again in the same state — same chain, hook, datagram (interface and
//! source class), same "nothing before let it through" flag and same topic — is judged once and its exit
//! remembered, so 14 chains that each jump four times to the next cost 14 chain walks, not 4^14. A step
//! budget ([`super::STEP_BUDGET`]) bounds any walk; a ruleset that exceeds it gives a result marked
//! `partial` instead of a hang.

use std::collections::HashMap;

use super::{Context, Flow, Judgement, STEP_BUDGET, Tri, addr_holds};
use crate::facts::{FindingCertainty, FirewallAffects, FirewallFinding, FirewallHelper, FirewallVerdict};
use crate::ruleset::{Cond, Element, Family, Field, FirewallTool, Hook, Netfilter, Op, Rule, Table, Verdict};

/// `nf_tables` refuses deeper jump nesting; deeper input is odd and judged conservatively.
const MAX_DEPTH: usize = 16;

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
    tcp: bool,
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
                topics.tcp |= flow.proto == 6;
                topics.igmp |= flow.proto == 2;
            }
            tri
        }
        Field::Port { proto, destination } => {
            // A port belongs to a transport header: nftables adds an implicit protocol match, so
            // `tcp dport != 22` cannot match UDP, and nothing with ports matches IGMP.
            if !matches!(flow.proto, 17 | 6) || proto.as_deref().is_some_and(|p| p != flow.proto_name()) {
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
                topics.port |= flow.proto == 17;
                topics.tcp |= flow.proto == 6;
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
    } else if topics.tcp {
        FirewallAffects::TcpPort
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
        .flat_map(|c| c.values.iter().map(ToString::to_string))
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
                    Verdict::Accept | Verdict::Unknown(_) | Verdict::Nat(_) => {
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
                    Some(crate::firewall::fix::manager_of(ruleset, table, &finding.chain, &context.managers));
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
