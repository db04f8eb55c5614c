//! Judges a host firewall's rules against one datagram: a PnP SUBSCRIBE that a phone on the LAN sends over
//! UDP to the group and port. It owns two pure analysers, one for `nft -j list ruleset` and one for
//! `iptables-save`, that turn a ruleset's text into [`FirewallFinding`]s; running the tools is the OS
//! layer's job, so both analysers build and are tested on every OS.
//!
//! Both formats are first turned into the same small model (tables of chains of rules, each rule a
//! three-valued match and a verdict), then one walker follows the datagram from each base chain on the
//! input path (nftables `hook input` and `hook prerouting` filter chains of families `ip` and `inet`;
//! iptables `filter INPUT`, `raw PREROUTING`, `mangle PREROUTING` and `mangle INPUT`), through jumps and
//! gotos into user chains, to the chain's policy.
//!
//! A rule condition is `always` (it certainly matches such a datagram: `udp dport 5060`,
//! `ip daddr 224.0.0.0/4`, `meta pkttype multicast`, `ct state new`), `never` (`tcp dport 5060`,
//! `ct state established,related`, `iif lo`, any IPv6 match) or `maybe` (what depends on the phone's
//! address, the interface name, a rate limit, or an expression this module does not know). A drop whose
//! conditions are all `always` and that nothing before it may have accepted is a `drops` finding; one
//! that could be reached is `may-drop`, with what it depends on. Rulesets are untrusted text: an odd
//! rule becomes `maybe` or is skipped and counted, never a panic and never a failure of the whole set.
//!
//! ```
//! use mcready::facts::{FindingCertainty, PNP_GROUP, PNP_PORT};
//! let save = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -m udp --dport 5060 -j DROP\nCOMMIT\n";
//! let analysis = mcready::platform::firewall::analyse_iptables_save(save, PNP_GROUP, PNP_PORT, None);
//! assert_eq!(analysis.findings[0].certainty, FindingCertainty::Drops);
//! assert_eq!(analysis.findings[0].rule, "-A INPUT -p udp -m udp --dport 5060 -j DROP");
//! ```

use std::collections::HashMap;
use std::net::Ipv4Addr;

use serde_json::Value;

use crate::facts::{FindingCertainty, FirewallAffects, FirewallFinding, FirewallTool, FirewallVerdict};

/// What one ruleset gave: the findings, how many rules were looked at, how many could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    pub findings: Vec<FirewallFinding>,
    /// Rules read from the ruleset, in every chain of the tables analysed.
    pub rules: usize,
    /// Rules, lines or objects skipped because they could not be understood.
    pub skipped: usize,
    /// Why the ruleset as a whole could not be read (not JSON, not an nftables document).
    pub error: Option<String>,
    /// The tables the ruleset held, as `family name` for nftables and `name` for iptables.
    pub tables: Vec<String>,
}

/// Nested jumps deeper than this are not followed (the kernel refuses loops; this guards odd input).
const MAX_DEPTH: usize = 16;

// ---------------------------------------------------------------------------------------------------
// The common model.

/// Whether a condition matches the datagram. Ordered so that `min` is "and".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tri {
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

#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// No verdict: counters, logging, marks. Evaluation goes on with the next rule.
    Continue,
    Accept,
    Drop,
    Reject,
    Jump(String),
    Goto(String),
    Return,
    /// A verdict whose effect is not known here (queue, an unknown target, a map lookup that may hit).
    Unknown,
}

#[derive(Debug, Clone)]
struct Rule {
    text: String,
    handle: Option<u64>,
    matches: Tri,
    /// The conditions (or statements) that made `matches` only `maybe`.
    unknowns: Vec<String>,
    affects: FirewallAffects,
    verdict: Verdict,
}

#[derive(Debug, Clone, Default)]
struct Chain {
    rules: Vec<Rule>,
    policy_drop: bool,
}

#[derive(Debug, Clone)]
struct Table {
    name: String,
    chains: HashMap<String, Chain>,
    /// Base chains on the input path, in the order they were listed, with their hook.
    bases: Vec<(String, String)>,
}

/// What a rule's conditions are about, accumulated while judging them.
#[derive(Debug, Clone, Copy, Default)]
struct Topics {
    port: bool,
    multicast: bool,
}

impl Topics {
    fn affects(self) -> FirewallAffects {
        if self.port {
            FirewallAffects::UdpPort
        } else if self.multicast {
            FirewallAffects::Multicast
        } else {
            FirewallAffects::AllInput
        }
    }
}

/// A rule under construction: conditions are and-ed in one by one.
struct RuleBuilder {
    matches: Tri,
    unknowns: Vec<String>,
    topics: Topics,
    verdict: Verdict,
}

impl RuleBuilder {
    fn new() -> Self {
        Self {
            matches: Tri::Always,
            unknowns: Vec::new(),
            topics: Topics::default(),
            verdict: Verdict::Continue,
        }
    }

    fn condition(&mut self, tri: Tri, text: impl FnOnce() -> String) {
        self.matches = self.matches.min(tri);
        if tri == Tri::Maybe {
            self.unknowns.push(text());
        }
    }

    fn build(self, text: String, handle: Option<u64>) -> Rule {
        Rule {
            text,
            handle,
            matches: self.matches,
            unknowns: self.unknowns,
            affects: self.topics.affects(),
            verdict: self.verdict,
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The walk.

/// How a chain can end for the datagram, seen from the rule that entered it.
#[derive(Debug, Clone, Copy, Default)]
struct Exit {
    /// The datagram may come back out (fall off the end, `return`): the caller goes on.
    may_continue: bool,
    /// The datagram may meet a final verdict (accept, drop, reject, unknown) inside.
    may_terminate: bool,
    /// That final verdict may let it through (accept, or a verdict not known here).
    may_accept: bool,
}

struct Walker<'a> {
    tool: FirewallTool,
    table: &'a Table,
    hook: &'a str,
    findings: Vec<FirewallFinding>,
    /// Earlier rules that may have let the datagram through: what a later `may-drop` depends on.
    escapes: Vec<String>,
}

impl Walker<'_> {
    /// Follows the datagram through `chain_name`. `clear` says that nothing before the chain (and the
    /// rule that jumped here) may have let it through or passed it by: a drop here is then certain when
    /// its own conditions are. An earlier rule that *may drop* does not make a later drop less certain:
    /// either way the datagram is dropped.
    fn walk(&mut self, chain_name: &str, clear: bool, inherited: FirewallAffects, depth: usize) -> Exit {
        let Some(chain) = self.table.chains.get(chain_name) else {
            // A jump to a chain the ruleset does not list: assume anything may happen there.
            self.escapes.push(format!("chain {chain_name} was not in the ruleset"));
            return Exit { may_continue: true, may_terminate: true, may_accept: true };
        };
        if depth > MAX_DEPTH {
            self.escapes.push(format!("jumps nested deeper than {MAX_DEPTH} at chain {chain_name}"));
            return Exit { may_continue: true, may_terminate: true, may_accept: true };
        }
        // `state`: whether the datagram is still in this chain; `escaped`: whether it may have been let
        // through (or sent past the rest of the chain) by an earlier rule.
        let mut state = Tri::Always;
        let mut escaped = false;
        let mut exit = Exit::default();
        for rule in &chain.rules {
            if state == Tri::Never {
                break;
            }
            let reach = state.min(rule.matches);
            if reach == Tri::Never {
                continue;
            }
            // A rule that matches every such datagram takes all that are still here, however few.
            let certain = rule.matches == Tri::Always;
            let sure = clear && !escaped && rule.matches == Tri::Always;
            match &rule.verdict {
                Verdict::Continue => {}
                Verdict::Drop | Verdict::Reject => {
                    let verdict = if rule.verdict == Verdict::Drop {
                        FirewallVerdict::Drop
                    } else {
                        FirewallVerdict::Reject
                    };
                    self.record(chain_name, rule, verdict, sure, inherited);
                    exit.may_terminate = true;
                    state = if certain { Tri::Never } else { Tri::Maybe };
                }
                Verdict::Accept | Verdict::Unknown => {
                    exit.may_terminate = true;
                    exit.may_accept = true;
                    if certain {
                        state = Tri::Never;
                    } else {
                        state = Tri::Maybe;
                        escaped = true;
                        self.escapes.push(format!("earlier rule may let it through: {}", rule.text));
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
                    let goto = matches!(rule.verdict, Verdict::Goto(_));
                    let mark = self.escapes.len();
                    let callee = self.walk(target, sure, inherited.min(rule.affects), depth + 1);
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
        exit.may_continue |= state != Tri::Never;
        exit
    }

    fn record(
        &mut self,
        chain: &str,
        rule: &Rule,
        verdict: FirewallVerdict,
        sure: bool,
        inherited: FirewallAffects,
    ) {
        let certainty = if sure { FindingCertainty::Drops } else { FindingCertainty::MayDrop };
        let mut depends_on = rule.unknowns.clone();
        if certainty == FindingCertainty::MayDrop {
            depends_on.extend(self.escapes.iter().cloned());
        }
        let finding = FirewallFinding {
            tool: self.tool,
            affects: rule.affects.min(inherited),
            certainty,
            table: self.table.name.clone(),
            chain: chain.to_owned(),
            hook: self.hook.to_owned(),
            verdict,
            rule: rule.text.clone(),
            handle: rule.handle,
            depends_on,
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

/// Walks every base chain of every table and collects the findings.
fn judge(tool: FirewallTool, tables: &[Table]) -> Vec<FirewallFinding> {
    let mut findings = Vec::new();
    for table in tables {
        for (base, hook) in &table.bases {
            let mut walker = Walker { tool, table, hook, findings: Vec::new(), escapes: Vec::new() };
            let exit = walker.walk(base, true, FirewallAffects::AllInput, 0);
            let policy_drop = table.chains.get(base).is_some_and(|c| c.policy_drop);
            if policy_drop && exit.may_continue {
                let certainty =
                    if exit.may_accept { FindingCertainty::MayDrop } else { FindingCertainty::Drops };
                let depends_on =
                    if certainty == FindingCertainty::MayDrop { walker.escapes.clone() } else { Vec::new() };
                walker.push(FirewallFinding {
                    tool,
                    affects: FirewallAffects::AllInput,
                    certainty,
                    table: table.name.clone(),
                    chain: base.clone(),
                    hook: hook.clone(),
                    verdict: FirewallVerdict::PolicyDrop,
                    rule: "policy drop".into(),
                    handle: None,
                    depends_on,
                });
            }
            findings.extend(walker.findings);
        }
    }
    findings
}

// ---------------------------------------------------------------------------------------------------
// Values of the datagram, and how a rule's right-hand side compares with them.

/// What the datagram carries in the field a condition looks at.
#[derive(Debug, Clone, Copy)]
enum Field {
    Port(u16),
    Addr(Ipv4Addr),
    /// The transport protocol: UDP.
    Udp,
    /// A symbol such as `multicast` (pkttype, fib type), `new` (ct state), `ipv4` (nfproto).
    Symbol(&'static str),
    /// The input interface: its name is unknown, except that it is not loopback.
    InputInterface,
    /// A field with no value for such a datagram (`ct status` of a new, un-NATed flow): matches nothing.
    Empty,
}

impl Field {
    /// Whether one element of a rule's right-hand side holds the datagram's value; `None` when unknown.
    fn holds(self, element: &Element) -> Option<bool> {
        match (self, element) {
            (Self::Port(port), Element::Number(n)) => Some(u64::from(port) == *n),
            (Self::Port(port), Element::Range(low, high)) => Some((*low..=*high).contains(&u64::from(port))),
            (Self::Addr(addr), Element::Addr(a)) => Some(addr == *a),
            (Self::Addr(addr), Element::Prefix(net, len)) => Some(in_prefix(addr, *net, *len)),
            (Self::Addr(addr), Element::AddrRange(low, high)) => Some((*low..=*high).contains(&addr)),
            (Self::Udp, Element::Number(n)) => Some(*n == 17),
            (Self::Udp, Element::Symbol(s)) => Some(s == "udp"),
            (Self::Symbol(value), Element::Symbol(s)) => Some(s.eq_ignore_ascii_case(value)),
            (Self::InputInterface, Element::Symbol(name)) => {
                if name == "lo" {
                    Some(false)
                } else if name == "*" || name == "+" {
                    Some(true)
                } else {
                    None
                }
            }
            (Self::Empty, _) => Some(false),
            _ => None,
        }
    }

    /// Whether any element holds the value: yes if one does, no if none can, else unknown.
    fn in_any(self, elements: &[Element]) -> Option<bool> {
        let mut unknown = false;
        for element in elements {
            match self.holds(element) {
                Some(true) => return Some(true),
                Some(false) => {}
                None => unknown = true,
            }
        }
        if unknown { None } else { Some(false) }
    }

    fn compare(self, op: &str, elements: &[Element]) -> Option<bool> {
        match op {
            "==" | "in" => self.in_any(elements),
            "!=" => self.in_any(elements).map(|b| !b),
            "<" | "<=" | ">" | ">=" => {
                let (Self::Port(port), [Element::Number(n)]) = (self, elements) else { return None };
                let port = u64::from(port);
                Some(match op {
                    "<" => port < *n,
                    "<=" => port <= *n,
                    ">" => port > *n,
                    _ => port >= *n,
                })
            }
            _ => None,
        }
    }
}

fn in_prefix(addr: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let len = u32::from(len.min(32));
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(addr) & mask == u32::from(net) & mask
}

/// One element of a rule's right-hand side.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    Number(u64),
    Range(u64, u64),
    Addr(Ipv4Addr),
    Prefix(Ipv4Addr, u8),
    AddrRange(Ipv4Addr, Ipv4Addr),
    Symbol(String),
    /// Something this module cannot compare (an IPv6 address, a dynamic set, an odd shape).
    Opaque,
}

impl Element {
    fn from_text(text: &str) -> Self {
        if let Ok(n) = text.parse::<u64>() {
            Self::Number(n)
        } else if let Ok(addr) = text.parse::<Ipv4Addr>() {
            Self::Addr(addr)
        } else {
            Self::Symbol(text.to_owned())
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// nftables JSON.

/// Judges `nft -j list ruleset` output for a PnP SUBSCRIBE to `group`:`port` over UDP from a LAN host.
///
/// `skip_tables` lists tables (as `family name`, e.g. `ip filter`) that are judged from another source
/// — those iptables-nft manages, read in full from `iptables-nft-save` — and are left out here.
#[must_use]
pub fn analyse_nft_json(json: &str, group: Ipv4Addr, port: u16, skip_tables: &[String]) -> Analysis {
    let mut analysis = Analysis::default();
    let document: Value = match serde_json::from_str(json) {
        Ok(document) => document,
        Err(error) => {
            analysis.error = Some(format!("not JSON: {error}"));
            return analysis;
        }
    };
    let Some(objects) = document.get("nftables").and_then(Value::as_array) else {
        analysis.error = Some("not an nftables ruleset: no `nftables` list".into());
        return analysis;
    };
    let nft = NftRuleset::index(objects, &mut analysis);
    let probe = Probe { group, port };
    let mut tables: Vec<Table> = Vec::new();
    let mut by_key: HashMap<(String, String), usize> = HashMap::new();
    for object in objects {
        let Some(chain) = object.get("chain") else { continue };
        let (Some(family), Some(table), Some(name)) =
            (str_at(chain, "family"), str_at(chain, "table"), str_at(chain, "name"))
        else {
            analysis.skipped += 1;
            continue;
        };
        // Only IPv4 sees the datagram: `ip` and `inet` tables (`netdev`, `bridge`, `arp`, `ip6` are out).
        if !matches!(family, "ip" | "inet") || skip_tables.iter().any(|t| *t == format!("{family} {table}")) {
            continue;
        }
        let index = *by_key.entry((family.to_owned(), table.to_owned())).or_insert_with(|| {
            tables.push(Table {
                name: format!("{family} {table}"),
                chains: HashMap::new(),
                bases: Vec::new(),
            });
            tables.len() - 1
        });
        let Some(entry) = tables.get_mut(index) else { continue };
        let hook = str_at(chain, "hook");
        let filter = str_at(chain, "type").is_none_or(|t| t == "filter");
        if let Some(hook @ ("input" | "prerouting")) = hook
            && filter
        {
            entry.bases.push((name.to_owned(), hook.to_owned()));
        }
        let policy_drop = hook.is_some() && str_at(chain, "policy") == Some("drop");
        entry.chains.entry(name.to_owned()).or_default().policy_drop = policy_drop;
    }
    for object in objects {
        let Some(rule) = object.get("rule") else { continue };
        let (Some(family), Some(table), Some(chain)) =
            (str_at(rule, "family"), str_at(rule, "table"), str_at(rule, "chain"))
        else {
            analysis.skipped += 1;
            continue;
        };
        let Some(&index) = by_key.get(&(family.to_owned(), table.to_owned())) else { continue };
        let Some(exprs) = rule.get("expr").and_then(Value::as_array) else {
            analysis.skipped += 1;
            continue;
        };
        let context = NftContext { ruleset: &nft, family, table, probe };
        let built = context.rule(exprs, rule.get("handle").and_then(Value::as_u64));
        analysis.rules += 1;
        if let Some(entry) = tables.get_mut(index) {
            entry.chains.entry(chain.to_owned()).or_default().rules.push(built);
        }
    }
    analysis.tables = tables.iter().map(|t| t.name.clone()).collect();
    analysis.findings = judge(FirewallTool::Nft, &tables);
    analysis
}

/// The tables of an nftables ruleset that iptables-nft manages: family `ip`, an iptables table name, and
/// only iptables' uppercase built-in names for its base chains. `iptables-nft-save` shows them in full,
/// where the JSON shows many of their matches only as opaque `xt` expressions.
#[must_use]
pub fn iptables_nft_tables(json: &str) -> Vec<String> {
    let Ok(document) = serde_json::from_str::<Value>(json) else { return Vec::new() };
    let Some(objects) = document.get("nftables").and_then(Value::as_array) else { return Vec::new() };
    let builtin = ["INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING"];
    let mut tables: Vec<String> = Vec::new();
    let mut foreign: Vec<String> = Vec::new();
    for chain in objects.iter().filter_map(|o| o.get("chain")) {
        let (Some("ip"), Some(table), Some(name)) =
            (str_at(chain, "family"), str_at(chain, "table"), str_at(chain, "name"))
        else {
            continue;
        };
        if !matches!(table, "filter" | "raw" | "mangle" | "nat" | "security") {
            continue;
        }
        let key = format!("ip {table}");
        if chain.get("hook").is_some() && !builtin.contains(&name) {
            foreign.push(key.clone());
        }
        if !tables.contains(&key) {
            tables.push(key);
        }
    }
    tables.retain(|t| !foreign.contains(t));
    tables
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

#[derive(Debug, Clone, Copy)]
struct Probe {
    group: Ipv4Addr,
    port: u16,
}

/// The named sets and maps of a ruleset, by family, table and name.
struct NftRuleset<'a> {
    sets: HashMap<(&'a str, &'a str, &'a str), &'a Value>,
}

impl<'a> NftRuleset<'a> {
    fn index(objects: &'a [Value], analysis: &mut Analysis) -> Self {
        let mut sets = HashMap::new();
        for object in objects {
            let Some(set) = object.get("set").or_else(|| object.get("map")) else { continue };
            match (str_at(set, "family"), str_at(set, "table"), str_at(set, "name")) {
                (Some(family), Some(table), Some(name)) => {
                    sets.insert((family, table, name), set);
                }
                _ => analysis.skipped += 1,
            }
        }
        Self { sets }
    }
}

struct NftContext<'a> {
    ruleset: &'a NftRuleset<'a>,
    family: &'a str,
    table: &'a str,
    probe: Probe,
}

impl NftContext<'_> {
    fn rule(&self, exprs: &[Value], handle: Option<u64>) -> Rule {
        let mut builder = RuleBuilder::new();
        let mut words = Vec::new();
        for expr in exprs {
            words.push(render_expr(expr));
            self.expr(expr, &mut builder);
        }
        words.retain(|w| !w.is_empty());
        builder.build(words.join(" "), handle)
    }

    fn expr(&self, expr: &Value, builder: &mut RuleBuilder) {
        let Some((key, body)) = expr.as_object().and_then(|o| o.iter().next()) else {
            builder.condition(Tri::Maybe, || render_expr(expr));
            return;
        };
        match key.as_str() {
            "match" => {
                let tri = self.judge_match(body, &mut builder.topics);
                builder.condition(tri, || render_expr(expr));
            }
            "accept" => builder.verdict = Verdict::Accept,
            "drop" => builder.verdict = Verdict::Drop,
            "reject" => builder.verdict = Verdict::Reject,
            "return" => builder.verdict = Verdict::Return,
            "continue" => builder.verdict = Verdict::Continue,
            "jump" | "goto" => {
                builder.verdict = match str_at(body, "target") {
                    Some(target) if key == "jump" => Verdict::Jump(target.to_owned()),
                    Some(target) => Verdict::Goto(target.to_owned()),
                    None => Verdict::Unknown,
                };
            }
            "vmap" => self.vmap(body, builder),
            // Statements that neither match nor decide: evaluation goes on.
            "counter" | "log" | "mangle" | "notrack" | "set" | "add" | "update" | "delete" | "dup"
            | "ct helper" | "ct timeout" | "ct expectation" | "secmark" | "flow" => {}
            "xt" => match (str_at(body, "type"), str_at(body, "name")) {
                (Some("target"), Some("REJECT")) => builder.verdict = Verdict::Reject,
                (Some("target"), Some("LOG" | "NFLOG" | "MARK" | "CONNMARK" | "CT" | "NOTRACK")) => {}
                (Some("target"), _) => builder.verdict = Verdict::Unknown,
                _ => builder.condition(Tri::Maybe, || render_expr(expr)),
            },
            // `limit`, `quota`, `meter`, `synproxy`, NAT, `queue` and anything newer: may or may not
            // match; an unknown verdict-like statement may end evaluation.
            "queue" | "snat" | "dnat" | "masquerade" | "redirect" | "tproxy" | "fwd" => {
                builder.verdict = Verdict::Unknown;
            }
            _ => builder.condition(Tri::Maybe, || render_expr(expr)),
        }
    }

    /// `udp dport vmap { 5060 : drop, 53 : accept }`: the verdict of the element that holds the
    /// datagram's value; unknown when one may.
    fn vmap(&self, body: &Value, builder: &mut RuleBuilder) {
        let Some(field) = body.get("key").and_then(|k| self.field(k, &mut builder.topics)) else {
            builder.verdict = Verdict::Unknown;
            builder.condition(Tri::Maybe, || "vmap on a value not known here".into());
            return;
        };
        let pairs: Vec<&Value> = match body.get("data") {
            Some(Value::String(name)) => name
                .strip_prefix('@')
                .and_then(|name| self.ruleset.sets.get(&(self.family, self.table, name)))
                .and_then(|map| map.get("elem"))
                .and_then(Value::as_array)
                .map(|e| e.iter().collect())
                .unwrap_or_default(),
            Some(data) => {
                data.get("set").and_then(Value::as_array).map(|e| e.iter().collect()).unwrap_or_default()
            }
            None => Vec::new(),
        };
        let mut unknown = false;
        for pair in pairs {
            let Some([key, verdict]) = pair.as_array().map(Vec::as_slice) else {
                unknown = true;
                continue;
            };
            match field.in_any(&self.elements(key)) {
                Some(true) => {
                    builder.verdict = verdict_of(verdict);
                    if unknown {
                        builder.condition(Tri::Maybe, || "an earlier vmap element may match".into());
                    }
                    return;
                }
                Some(false) => {}
                None => unknown = true,
            }
        }
        if unknown {
            builder.verdict = Verdict::Unknown;
            builder.condition(Tri::Maybe, || "a vmap element may match".into());
        } else {
            // No element holds the value: the map gives no verdict and evaluation goes on.
            builder.condition(Tri::Never, String::new);
        }
    }

    fn judge_match(&self, body: &Value, topics: &mut Topics) -> Tri {
        let (Some(op), Some(left), Some(right)) = (str_at(body, "op"), body.get("left"), body.get("right"))
        else {
            return Tri::Maybe;
        };
        let mut local = Topics::default();
        let Some(field) = self.field(left, &mut local) else {
            // A header an IPv4 UDP datagram lacks (tcp, ip6, icmp): nftables adds an implicit protocol
            // match to such a rule, so it cannot match, whatever the operator (`tcp dport != 22` too).
            return if is_other_protocol(left) { Tri::Never } else { Tri::Maybe };
        };
        let tri = Tri::from_answer(field.compare(op, &self.elements(right)));
        if tri == Tri::Always {
            topics.port |= local.port;
            topics.multicast |= local.multicast;
        }
        tri
    }

    /// The datagram's value in the field `left` names; `None` for a field it does not have or one whose
    /// value is unknown (see [`is_other_protocol`]).
    fn field(&self, left: &Value, topics: &mut Topics) -> Option<Field> {
        if let Some(payload) = left.get("payload") {
            return match (str_at(payload, "protocol"), str_at(payload, "field")) {
                (Some("udp" | "th"), Some("dport")) => {
                    topics.port = true;
                    Some(Field::Port(self.probe.port))
                }
                (Some("ip"), Some("daddr")) => {
                    topics.multicast = true;
                    Some(Field::Addr(self.probe.group))
                }
                (Some("ip"), Some("protocol")) => {
                    topics.port = true;
                    Some(Field::Udp)
                }
                (Some("ip"), Some("version")) => Some(Field::Port(4)),
                _ => None,
            };
        }
        if let Some(meta) = left.get("meta") {
            return match str_at(meta, "key")? {
                "l4proto" => {
                    topics.port = true;
                    Some(Field::Udp)
                }
                "nfproto" => Some(Field::Symbol("ipv4")),
                "protocol" => Some(Field::Symbol("ip")),
                "pkttype" => {
                    topics.multicast = true;
                    Some(Field::Symbol("multicast"))
                }
                "iif" | "iifname" => Some(Field::InputInterface),
                _ => None,
            };
        }
        if let Some(ct) = left.get("ct") {
            // A SUBSCRIBE to a group never sees a reply in its own tuple (the PBX answers from its unicast
            // address), so every one of them is `new` to conntrack.
            return match str_at(ct, "key")? {
                "state" => Some(Field::Symbol("new")),
                "direction" => Some(Field::Symbol("original")),
                "status" => Some(Field::Empty),
                _ => None,
            };
        }
        if let Some(fib) = left.get("fib") {
            let daddr_only = fib.get("flags").and_then(Value::as_array).is_some_and(|flags| {
                flags.iter().any(|f| f == "daddr") && flags.iter().all(|f| f == "daddr" || f == "iif")
            });
            if str_at(fib, "result") == Some("type") && daddr_only {
                topics.multicast = true;
                return Some(Field::Symbol("multicast"));
            }
        }
        None
    }

    fn elements(&self, right: &Value) -> Vec<Element> {
        match right {
            Value::Number(n) => vec![n.as_u64().map_or(Element::Opaque, Element::Number)],
            Value::String(text) => match text.strip_prefix('@') {
                Some(name) => self.named_set(name),
                None => vec![Element::from_text(text)],
            },
            Value::Array(items) => items.iter().flat_map(|i| self.elements(i)).collect(),
            Value::Object(object) => {
                if let Some(set) = object.get("set") {
                    self.elements(set)
                } else if let Some(elem) = object.get("elem") {
                    elem.get("val").map(|v| self.elements(v)).unwrap_or_default()
                } else if let Some(prefix) = object.get("prefix") {
                    let addr = str_at(prefix, "addr").and_then(|a| a.parse::<Ipv4Addr>().ok());
                    let len = prefix.get("len").and_then(Value::as_u64).and_then(|l| u8::try_from(l).ok());
                    match (addr, len) {
                        (Some(addr), Some(len)) if len <= 32 => vec![Element::Prefix(addr, len)],
                        _ => vec![Element::Opaque],
                    }
                } else if let Some(Value::Array(bounds)) = object.get("range") {
                    vec![range_element(bounds)]
                } else {
                    vec![Element::Opaque]
                }
            }
            _ => vec![Element::Opaque],
        }
    }

    fn named_set(&self, name: &str) -> Vec<Element> {
        let Some(set) = self.ruleset.sets.get(&(self.family, self.table, name)) else {
            return vec![Element::Opaque];
        };
        // A set that rules fill at run time may hold anything by the time a phone sends.
        let dynamic = set
            .get("flags")
            .and_then(Value::as_array)
            .is_some_and(|flags| flags.iter().any(|f| f == "dynamic" || f == "timeout"));
        match set.get("elem") {
            Some(elem) if !dynamic => self.elements(elem),
            None if !dynamic => Vec::new(),
            _ => vec![Element::Opaque],
        }
    }
}

fn range_element(bounds: &[Value]) -> Element {
    match bounds {
        [Value::Number(low), Value::Number(high)] => match (low.as_u64(), high.as_u64()) {
            (Some(low), Some(high)) => Element::Range(low, high),
            _ => Element::Opaque,
        },
        [Value::String(low), Value::String(high)] => match (low.parse(), high.parse()) {
            (Ok(low), Ok(high)) => Element::AddrRange(low, high),
            _ => match (low.parse(), high.parse()) {
                (Ok(low), Ok(high)) => Element::Range(low, high),
                _ => Element::Opaque,
            },
        },
        _ => Element::Opaque,
    }
}

/// Whether a field belongs to a header an IPv4 UDP datagram does not have (`tcp dport`, `ip6 saddr`).
fn is_other_protocol(left: &Value) -> bool {
    left.get("payload").and_then(|p| str_at(p, "protocol")).is_some_and(|protocol| {
        matches!(
            protocol,
            "tcp"
                | "ip6"
                | "icmp"
                | "icmpv6"
                | "sctp"
                | "dccp"
                | "udplite"
                | "esp"
                | "ah"
                | "comp"
                | "igmp"
                | "arp"
                | "gre"
        )
    })
}

fn verdict_of(value: &Value) -> Verdict {
    let Some((key, body)) = value.as_object().and_then(|o| o.iter().next()) else { return Verdict::Unknown };
    match key.as_str() {
        "accept" => Verdict::Accept,
        "drop" => Verdict::Drop,
        "reject" => Verdict::Reject,
        "return" => Verdict::Return,
        "continue" => Verdict::Continue,
        "jump" => str_at(body, "target").map_or(Verdict::Unknown, |t| Verdict::Jump(t.to_owned())),
        "goto" => str_at(body, "target").map_or(Verdict::Unknown, |t| Verdict::Goto(t.to_owned())),
        _ => Verdict::Unknown,
    }
}

/// One expression as `nft list ruleset` would print it, near enough to recognise the rule.
fn render_expr(expr: &Value) -> String {
    let Some((key, body)) = expr.as_object().and_then(|o| o.iter().next()) else { return render_value(expr) };
    match key.as_str() {
        "match" => {
            let left = body.get("left").map(render_value).unwrap_or_default();
            let right = body.get("right").map(render_value).unwrap_or_default();
            match str_at(body, "op") {
                Some("==" | "in") | None => format!("{left} {right}"),
                Some(op) => format!("{left} {op} {right}"),
            }
        }
        "counter" => "counter".into(),
        "log" => match str_at(body, "prefix") {
            Some(prefix) => format!("log prefix {prefix:?}"),
            None => "log".into(),
        },
        "accept" | "drop" | "return" | "continue" => key.clone(),
        "jump" | "goto" => format!("{key} {}", str_at(body, "target").unwrap_or("?")),
        "reject" => match (str_at(body, "type"), str_at(body, "expr")) {
            (Some(kind), Some(what)) => format!("reject with {kind} {what}"),
            _ => "reject".into(),
        },
        "limit" => match (body.get("rate").and_then(Value::as_u64), str_at(body, "per")) {
            (Some(rate), Some(per)) => format!("limit rate {rate}/{per}"),
            _ => "limit".into(),
        },
        "vmap" => {
            let key = body.get("key").map(render_value).unwrap_or_default();
            let data = match body.get("data") {
                Some(Value::String(name)) => name.clone(),
                Some(data) => {
                    let pairs = data.get("set").and_then(Value::as_array).map(|pairs| {
                        pairs
                            .iter()
                            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                                Some([k, v]) => format!("{} : {}", render_value(k), render_expr(v)),
                                _ => render_value(pair),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    });
                    format!("{{ {} }}", pairs.unwrap_or_default())
                }
                None => String::new(),
            };
            format!("{key} vmap {data}")
        }
        "xt" => {
            format!("xt {} {:?}", str_at(body, "type").unwrap_or("?"), str_at(body, "name").unwrap_or("?"))
        }
        other => other.to_owned(),
    }
}

fn render_value(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(render_value).collect::<Vec<_>>().join(","),
        Value::Object(object) => {
            let Some((key, body)) = object.iter().next() else { return String::new() };
            match key.as_str() {
                "payload" => match (str_at(body, "protocol"), str_at(body, "field")) {
                    (Some(protocol), Some(field)) => format!("{protocol} {field}"),
                    _ => format!(
                        "@{},{},{}",
                        str_at(body, "base").unwrap_or("?"),
                        body.get("offset").map(render_value).unwrap_or_default(),
                        body.get("len").map(render_value).unwrap_or_default()
                    ),
                },
                "meta" => match str_at(body, "key").unwrap_or("?") {
                    k @ ("iif" | "iifname" | "oif" | "oifname" | "mark" | "pkttype" | "skuid" | "skgid") => {
                        k.to_owned()
                    }
                    k => format!("meta {k}"),
                },
                "ct" => format!("ct {}", str_at(body, "key").unwrap_or("?")),
                "fib" => {
                    let flags = body
                        .get("flags")
                        .and_then(Value::as_array)
                        .map(|f| f.iter().map(render_value).collect::<Vec<_>>().join(" . "))
                        .unwrap_or_default();
                    format!("fib {flags} {}", str_at(body, "result").unwrap_or("?"))
                }
                "prefix" => format!(
                    "{}/{}",
                    str_at(body, "addr").unwrap_or("?"),
                    body.get("len").map(render_value).unwrap_or_default()
                ),
                "range" => match body.as_array().map(Vec::as_slice) {
                    Some([low, high]) => format!("{}-{}", render_value(low), render_value(high)),
                    _ => "range".into(),
                },
                "set" => match body {
                    Value::Array(items) => {
                        format!("{{ {} }}", items.iter().map(render_value).collect::<Vec<_>>().join(", "))
                    }
                    other => render_value(other),
                },
                "concat" => match body {
                    Value::Array(items) => items.iter().map(render_value).collect::<Vec<_>>().join(" . "),
                    other => render_value(other),
                },
                "elem" => body.get("val").map(render_value).unwrap_or_default(),
                other => other.to_owned(),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// iptables-save.

/// The built-in chains of each iptables table that a datagram for this host passes, with their hook.
const IPTABLES_BASES: [(&str, &str, &str); 4] = [
    ("raw", "PREROUTING", "prerouting"),
    ("mangle", "PREROUTING", "prerouting"),
    ("mangle", "INPUT", "input"),
    ("filter", "INPUT", "input"),
];

/// Judges `iptables-save` output (either backend) for a PnP SUBSCRIBE to `group`:`port` over UDP from a
/// LAN host. `tool` says which program printed it; `None` decides from its `# Generated by` comment.
#[must_use]
pub fn analyse_iptables_save(text: &str, group: Ipv4Addr, port: u16, tool: Option<FirewallTool>) -> Analysis {
    let tool = tool.unwrap_or_else(|| {
        if text.lines().any(|l| l.starts_with("# Generated by") && l.contains("(nf_tables)")) {
            FirewallTool::IptablesNftSave
        } else {
            FirewallTool::IptablesLegacySave
        }
    });
    let mut analysis = Analysis::default();
    let probe = Probe { group, port };
    let mut tables: Vec<Table> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line == "COMMIT" {
            continue;
        }
        if let Some(name) = line.strip_prefix('*') {
            tables.push(Table { name: name.to_owned(), chains: HashMap::new(), bases: Vec::new() });
            continue;
        }
        let Some(table) = tables.last_mut() else {
            analysis.skipped += 1;
            continue;
        };
        if let Some(declaration) = line.strip_prefix(':') {
            let mut fields = declaration.split_whitespace();
            match (fields.next(), fields.next()) {
                (Some(chain), Some(policy)) => {
                    table.chains.entry(chain.to_owned()).or_default().policy_drop = policy == "DROP";
                }
                _ => analysis.skipped += 1,
            }
            continue;
        }
        let Some(tokens) = tokenize(line) else {
            analysis.skipped += 1;
            continue;
        };
        // `-c PKTS BYTES` or a `[PKTS:BYTES]` prefix appear with `iptables-save -c`.
        let tokens: &[String] = match tokens.first().map(String::as_str) {
            Some(t) if t.starts_with('[') => tokens.get(1..).unwrap_or_default(),
            _ => &tokens,
        };
        let (Some("-A" | "--append"), Some(chain)) = (tokens.first().map(String::as_str), tokens.get(1))
        else {
            analysis.skipped += 1;
            continue;
        };
        let rule = iptables_rule(tokens.get(2..).unwrap_or_default(), probe, line);
        analysis.rules += 1;
        table.chains.entry(chain.clone()).or_default().rules.push(rule);
    }
    for table in &mut tables {
        for (name, chain, hook) in IPTABLES_BASES {
            if table.name == name && table.chains.contains_key(chain) {
                table.bases.push((chain.to_owned(), hook.to_owned()));
            }
        }
        // A jump to a target that is no chain of the table is an extension target (LOG, MARK…).
        let names: Vec<String> = table.chains.keys().cloned().collect();
        for chain in table.chains.values_mut() {
            for rule in &mut chain.rules {
                if let Verdict::Jump(target) = &rule.verdict
                    && !names.contains(target)
                {
                    rule.verdict = extension_target(target);
                }
            }
        }
    }
    analysis.tables = tables.iter().map(|t| t.name.clone()).collect();
    analysis.findings = judge(tool, &tables);
    analysis
}

/// Splits an `iptables-save` line into words, honouring its double quotes; `None` when a quote is open.
fn tokenize(line: &str) -> Option<Vec<String>> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut in_token = false;
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => current.push(chars.next()?),
            '"' => {
                quoted = !quoted;
                in_token = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_token {
                    tokens.push(std::mem::take(&mut current));
                    in_token = false;
                }
            }
            c => {
                current.push(c);
                in_token = true;
            }
        }
    }
    if quoted {
        return None;
    }
    if in_token {
        tokens.push(current);
    }
    Some(tokens)
}

fn extension_target(target: &str) -> Verdict {
    match target {
        "ACCEPT" => Verdict::Accept,
        "DROP" => Verdict::Drop,
        "REJECT" => Verdict::Reject,
        "RETURN" => Verdict::Return,
        // Targets that log, mark or count and let evaluation go on.
        "LOG" | "NFLOG" | "ULOG" | "MARK" | "CONNMARK" | "CT" | "NOTRACK" | "TRACE" | "AUDIT"
        | "CLASSIFY" | "DSCP" | "TOS" | "TTL" | "TCPMSS" | "SET" | "CONNSECMARK" | "SECMARK"
        | "IDLETIMER" | "LED" => Verdict::Continue,
        _ => Verdict::Unknown,
    }
}

/// Judges one rule's options (everything after `-A CHAIN`).
fn iptables_rule(tokens: &[String], probe: Probe, line: &str) -> Rule {
    let mut builder = RuleBuilder::new();
    let mut negate = false;
    let mut i = 0;
    while let Some(option) = tokens.get(i) {
        i += 1;
        let value = tokens.get(i).map(String::as_str);
        match option.as_str() {
            "!" => {
                negate = true;
                continue;
            }
            "-j" | "--jump" | "-g" | "--goto" => {
                let target = value.unwrap_or_default().to_owned();
                builder.verdict = if matches!(option.as_str(), "-g" | "--goto") {
                    Verdict::Goto(target)
                } else {
                    Verdict::Jump(target)
                };
                // Target options (--reject-with, --log-prefix) follow; they do not match anything.
                break;
            }
            // A module's name, and a comment: nothing to judge.
            "-m" | "--match" | "--comment" => i += 1,
            _ => {
                if let Some(tri) = iptables_condition(option, value, probe, negate, &mut builder.topics) {
                    i += 1;
                    let tri = if negate { tri.negate() } else { tri };
                    builder.condition(tri, || {
                        format!("{}{option} {}", if negate { "! " } else { "" }, value.unwrap_or_default())
                    });
                } else {
                    // An option this module does not know (`--limit 3/min`, `--match-set x src`, `-f`):
                    // it may or may not match. Its values are the words up to the next option.
                    let mut words = vec![option.clone()];
                    while let Some(word) = tokens.get(i).filter(|w| !w.starts_with('-') && *w != "!") {
                        words.push(word.clone());
                        i += 1;
                    }
                    let text = format!("{}{}", if negate { "! " } else { "" }, words.join(" "));
                    builder.condition(Tri::Maybe, || text);
                }
            }
        }
        negate = false;
    }
    builder.build(line.to_owned(), None)
}

/// Judges one iptables match option and its value against the datagram (before any `!`); `None` for an
/// option this module does not know.
fn iptables_condition(
    option: &str,
    value: Option<&str>,
    probe: Probe,
    negate: bool,
    topics: &mut Topics,
) -> Option<Tri> {
    let answer = match option {
        "-p" | "--protocol" => {
            let udp = value.map(|v| matches!(v.to_ascii_lowercase().as_str(), "udp" | "17" | "all" | "0"));
            topics.port |= udp == Some(true) && !negate;
            udp
        }
        "-d" | "--destination" | "--dst-range" => {
            let holds =
                value.map(|v| v.split(',').map(|a| iptables_addr(a, probe.group)).collect::<Vec<_>>());
            let answer = holds.and_then(|h| any_known(&h));
            topics.multicast |= answer == Some(true) && !negate;
            answer
        }
        "-s" | "--source" => (value == Some("0.0.0.0/0")).then_some(true),
        "-i" | "--in-interface" => {
            Field::InputInterface.holds(&Element::Symbol(value.unwrap_or_default().into()))
        }
        "--dport" | "--destination-port" | "--dports" | "--destination-ports" | "--ports" => {
            let answer = value.and_then(|v| port_list(v, probe.port));
            topics.port |= answer == Some(true) && !negate;
            answer
        }
        // Every SUBSCRIBE to a group is `NEW` to conntrack: no reply ever comes back in its tuple.
        "--ctstate" | "--state" => value.map(|v| v.split(',').any(|s| s == "NEW")),
        "--ctstatus" => Some(false),
        "--ctdir" => value.map(|v| v == "ORIGINAL"),
        "--pkt-type" => {
            let multicast = value.map(|v| v.eq_ignore_ascii_case("multicast"));
            topics.multicast |= multicast == Some(true) && !negate;
            multicast
        }
        "--dst-type" => {
            let multicast = value.map(|v| v.split(',').any(|t| t == "MULTICAST"));
            topics.multicast |= multicast == Some(true) && !negate;
            multicast
        }
        _ => return None,
    };
    Some(Tri::from_answer(answer))
}

/// Whether an iptables address (`224.0.0.0/4`, `224.0.0.0/240.0.0.0`, `224.0.1.75`, or a range
/// `a-b`) holds the group.
fn iptables_addr(text: &str, group: Ipv4Addr) -> Option<bool> {
    if let Some((low, high)) = text.split_once('-') {
        let (low, high) = (low.parse::<Ipv4Addr>().ok()?, high.parse::<Ipv4Addr>().ok()?);
        return Some((low..=high).contains(&group));
    }
    let (addr, len) = match text.split_once('/') {
        Some((addr, mask)) => {
            let len = match mask.parse::<u8>() {
                Ok(len) if len <= 32 => len,
                Ok(_) => return None,
                Err(_) => {
                    let mask = u32::from(mask.parse::<Ipv4Addr>().ok()?);
                    if mask.leading_ones() + mask.trailing_zeros() != 32 {
                        return None;
                    }
                    u8::try_from(mask.leading_ones()).ok()?
                }
            };
            (addr, len)
        }
        None => (text, 32),
    };
    Some(in_prefix(group, addr.parse().ok()?, len))
}

fn any_known(answers: &[Option<bool>]) -> Option<bool> {
    if answers.contains(&Some(true)) {
        Some(true)
    } else if answers.iter().all(|a| *a == Some(false)) {
        Some(false)
    } else {
        None
    }
}

/// Whether `port` is in an iptables port list: `5060`, `5060:5070`, `5060,5070:5080`, `:1024`, `1024:`.
fn port_list(text: &str, port: u16) -> Option<bool> {
    let answers: Vec<Option<bool>> = text
        .split(',')
        .map(|item| match item.split_once(':') {
            Some((low, high)) => {
                let low = if low.is_empty() { Some(0) } else { low.parse::<u16>().ok() };
                let high = if high.is_empty() { Some(u16::MAX) } else { high.parse::<u16>().ok() };
                Some((low?..=high?).contains(&port))
            }
            None => item.parse::<u16>().ok().map(|p| p == port),
        })
        .collect();
    any_known(&answers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{PNP_GROUP, PNP_PORT};

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../tests/fixtures/firewall/", $name))
        };
    }

    fn nft(json: &str) -> Analysis {
        let analysis = analyse_nft_json(json, PNP_GROUP, PNP_PORT, &[]);
        assert_eq!(analysis.error, None);
        analysis
    }

    fn save(text: &str) -> Analysis {
        analyse_iptables_save(text, PNP_GROUP, PNP_PORT, None)
    }

    /// Each finding as `certainty affects verdict chain: rule`, for compact assertions.
    fn summary(analysis: &Analysis) -> Vec<String> {
        analysis
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {}: {}",
                    serde_json::to_value(f.certainty).unwrap().as_str().unwrap(),
                    serde_json::to_value(f.affects).unwrap().as_str().unwrap(),
                    serde_json::to_value(f.verdict).unwrap().as_str().unwrap(),
                    f.chain,
                    f.rule
                )
            })
            .collect()
    }

    #[test]
    fn nft_drop_of_the_port_is_certain() {
        let analysis = nft(fixture!("nft-drop-udp-5060.json"));
        assert_eq!(summary(&analysis), ["drops udp-port drop input: udp dport 5060 counter drop"]);
        let finding = &analysis.findings[0];
        assert_eq!((finding.table.as_str(), finding.hook.as_str()), ("inet filter", "input"));
        assert_eq!((finding.tool, finding.handle), (FirewallTool::Nft, Some(4)));
        assert!(finding.depends_on.is_empty());
        assert_eq!((analysis.rules, analysis.skipped), (3, 0));
    }

    #[test]
    fn nft_reject_of_multicast() {
        let analysis = nft(fixture!("nft-reject-multicast.json"));
        assert_eq!(
            summary(&analysis),
            ["drops multicast reject input: ip daddr 224.0.0.0/4 reject with icmp port-unreachable"]
        );
        assert_eq!(analysis.findings[0].table, "ip guard");
    }

    #[test]
    fn nft_policy_drop_with_an_accept_for_the_port_is_fine() {
        assert_eq!(summary(&nft(fixture!("nft-policy-drop-accept-sip.json"))), Vec::<String>::new());
    }

    #[test]
    fn nft_policy_drop_without_an_accept_drops() {
        let analysis = nft(fixture!("nft-policy-drop.json"));
        assert_eq!(summary(&analysis), ["drops all-input policy-drop input: policy drop"]);
    }

    #[test]
    fn nft_source_address_makes_it_may_drop() {
        let analysis = nft(fixture!("nft-saddr-may-drop.json"));
        assert_eq!(
            summary(&analysis),
            ["may-drop udp-port drop input: ip saddr 10.0.0.0/8 udp dport 5060 drop"]
        );
        assert_eq!(analysis.findings[0].depends_on, ["ip saddr 10.0.0.0/8"]);
    }

    #[test]
    fn nft_rules_for_other_traffic_are_irrelevant() {
        let analysis = nft(fixture!("nft-irrelevant.json"));
        assert_eq!(summary(&analysis), Vec::<String>::new());
        assert_eq!(analysis.skipped, 0);
    }

    #[test]
    fn nft_sets_ranges_maps_and_jumps() {
        let analysis = nft(fixture!("nft-sets-jumps.json"));
        assert_eq!(
            summary(&analysis),
            [
                "may-drop multicast drop input: iifname eth1 pkttype multicast drop",
                "may-drop udp-port reject sip_in: reject with icmpx admin-prohibited",
                // Whatever the earlier rules did not drop, this drops; the vmap after it is never reached.
                "drops multicast drop input: ip daddr @blocked_groups log prefix \"mcast \" drop",
                "may-drop udp-port drop early: udp dport 5000-5100 fib daddr type multicast drop",
            ]
        );
        assert_eq!(analysis.findings[0].depends_on, ["iifname eth1"]);
        assert_eq!(
            analysis.findings[1].depends_on,
            ["earlier rule may return: ip saddr 198.51.100.0/24 return"]
        );
        assert!(analysis.findings[2].depends_on.is_empty());
        assert_eq!(analysis.findings[3].hook, "prerouting");
        assert_eq!(
            analysis.findings[3].depends_on,
            [
                "earlier rule may let it through: udp dport 5000-5100 fib daddr type multicast limit rate 10/second accept"
            ]
        );
    }

    #[test]
    fn nft_firewalld_like_zone_rejects_what_it_does_not_allow() {
        let analysis = nft(fixture!("nft-firewalld-like.json"));
        assert_eq!(
            summary(&analysis),
            ["drops all-input reject filter_INPUT: reject with icmpx admin-prohibited"]
        );
        let allowed = nft(fixture!("nft-firewalld-like-sip.json"));
        assert_eq!(summary(&allowed), Vec::<String>::new());
    }

    #[test]
    fn iptables_nft_tables_are_recognised() {
        assert_eq!(iptables_nft_tables(fixture!("iptables-mixed.nft.json")), ["ip filter", "ip raw"]);
        assert_eq!(iptables_nft_tables(fixture!("nft-drop-udp-5060.json")), Vec::<String>::new());
        // A hand-written `ip filter` table with lowercase base chains is nft's own.
        let own =
            r#"{"nftables":[{"chain":{"family":"ip","table":"filter","name":"input","hook":"input"}}]}"#;
        assert_eq!(iptables_nft_tables(own), Vec::<String>::new());
        // Skipped tables are not judged.
        let json = fixture!("iptables-mixed.nft.json");
        let skip = iptables_nft_tables(json);
        assert_eq!(analyse_nft_json(json, PNP_GROUP, PNP_PORT, &skip).findings, []);
    }

    #[test]
    fn iptables_mixed_rules() {
        for text in [fixture!("iptables-mixed.nft-save.txt"), fixture!("iptables-mixed.legacy-save.txt")] {
            let analysis = save(text);
            assert_eq!(
                summary(&analysis),
                [
                    "drops udp-port drop PREROUTING: -A PREROUTING -d 224.0.0.0/4 -p udp -m udp --dport 5060 -j DROP",
                    "may-drop udp-port drop sip: -A sip -s 10.0.0.0/8 -j DROP",
                    "may-drop multicast drop INPUT: -A INPUT -m addrtype --dst-type MULTICAST -m comment --comment \"no multicast, please\" -j DROP",
                    // The `sip` chain may accept the phones of 198.51.100.0/24; what it does not, the
                    // multicast rule drops, so the REJECT and the policy after it are never reached.
                ],
                "{text}"
            );
            assert_eq!(analysis.skipped, 0);
            assert_eq!(analysis.findings[1].depends_on, ["-s 10.0.0.0/8"]);
        }
        assert_eq!(
            save(fixture!("iptables-mixed.nft-save.txt")).findings[0].tool,
            FirewallTool::IptablesNftSave
        );
        assert_eq!(
            save(fixture!("iptables-mixed.legacy-save.txt")).findings[0].tool,
            FirewallTool::IptablesLegacySave
        );
    }

    #[test]
    fn iptables_ufw_like_default_deny() {
        for text in
            [fixture!("iptables-ufw-like.nft-save.txt"), fixture!("iptables-ufw-like.legacy-save.txt")]
        {
            assert_eq!(summary(&save(text)), ["drops all-input policy-drop INPUT: policy drop"], "{text}");
        }
        for text in [
            fixture!("iptables-ufw-like-sip.nft-save.txt"),
            fixture!("iptables-ufw-like-sip.legacy-save.txt"),
        ] {
            assert_eq!(summary(&save(text)), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn another_group_and_port() {
        let json = fixture!("nft-drop-udp-5060.json");
        assert_eq!(analyse_nft_json(json, PNP_GROUP, 5080, &[]).findings, []);
        let multicast = fixture!("nft-reject-multicast.json");
        assert_eq!(analyse_nft_json(multicast, Ipv4Addr::new(198, 51, 100, 7), PNP_PORT, &[]).findings, []);
    }

    #[test]
    fn iptables_options() {
        let rule = |options: &str| {
            let text = format!("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT {options}\nCOMMIT\n");
            summary(&save(&text)).join("|").split(": ").next().unwrap_or_default().to_owned()
        };
        assert_eq!(rule("-j DROP"), "drops all-input drop INPUT");
        assert_eq!(rule("-i lo -j DROP"), "");
        assert_eq!(rule("! -i lo -j DROP"), "drops all-input drop INPUT");
        assert_eq!(rule("-i eth0 -j DROP"), "may-drop all-input drop INPUT");
        assert_eq!(rule("-p tcp -j DROP"), "");
        assert_eq!(rule("! -p udp -j DROP"), "");
        assert_eq!(rule("-p 17 --dport 5000:5100 -j DROP"), "drops udp-port drop INPUT");
        assert_eq!(rule("-p udp ! --dport 5060 -j DROP"), "");
        assert_eq!(rule("-d 224.0.1.75/255.255.255.255 -j REJECT"), "drops multicast reject INPUT");
        assert_eq!(rule("-d 224.0.1.76 -j DROP"), "");
        assert_eq!(rule("-m iprange --dst-range 224.0.0.0-224.0.2.0 -j DROP"), "drops multicast drop INPUT");
        assert_eq!(rule("-m conntrack --ctstate NEW -j DROP"), "drops all-input drop INPUT");
        assert_eq!(rule("-m state --state INVALID -j DROP"), "");
        assert_eq!(rule("-m pkttype --pkt-type multicast -j DROP"), "drops multicast drop INPUT");
        assert_eq!(rule("-m set --match-set blocked src -j DROP"), "may-drop all-input drop INPUT");
        assert_eq!(rule("-m limit --limit 3/min -j LOG --log-prefix \"x y\""), "");
        assert_eq!(rule("-j NFQUEUE --queue-num 1"), "");
    }

    #[test]
    fn garbage_is_a_note_never_a_panic() {
        let truncated = &fixture!("nft-sets-jumps.json")[..700];
        for text in ["", "{", "[]", "null", "{\"nftables\": 3}", truncated, "\u{0}\u{ffff}"] {
            let analysis = analyse_nft_json(text, PNP_GROUP, PNP_PORT, &[]);
            assert!(analysis.error.is_some(), "{text:?}");
            assert!(analysis.findings.is_empty());
        }
        // Objects of odd shapes inside a valid document: skipped or judged `maybe`, never fatal.
        let odd = r#"{"nftables":[{"chain":{"family":"inet","table":"t","name":"c","hook":"input","policy":"drop"}},
            {"chain":{"name":3}},{"rule":{"family":"inet","table":"t","chain":"c","expr":{}}},
            {"rule":{"family":"inet","table":"t","chain":"c","expr":[{"match":{}},{"frob":1},7,{"jump":{}},{"vmap":{"key":{"x":1},"data":"@nope"}},{"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":{"range":["a"]}}}, {"drop":null}]}},
            {"rule":{"family":"inet","table":"t","chain":"c","expr":[{"goto":{"target":"c"}}]}},
            {"set":{"name":"s"}}, 5, "x"]}"#;
        let analysis = analyse_nft_json(odd, PNP_GROUP, PNP_PORT, &[]);
        assert_eq!(analysis.error, None);
        assert_eq!(analysis.skipped, 3);
        assert!(analysis.findings.iter().all(|f| f.certainty == FindingCertainty::MayDrop), "{analysis:?}");
        for text in [
            "*filter\n-A",
            "-A INPUT -j DROP",
            "*filter\n:INPUT\n-A INPUT \"open -j DROP\n",
            "*\n:\n::\n-A x -j",
            "*filter\n-A INPUT -d 1.2.3.4/99 -p -j",
        ] {
            let _ = save(text);
        }
        assert_eq!(save("-A INPUT -j DROP\n*filter\n:INPUT\n-A INPUT \"open\n").skipped, 3);
    }
}
