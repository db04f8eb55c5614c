//! Reads `nft -j list ruleset` (libnftables JSON) into the [`model`](crate::ruleset). A pure parser on
//! text: running `nft` is the platform's job. Tables of families other than `ip` and `inet` are left out
//! (an IPv4 datagram to or from this host does not meet them, see docs/firewall.md).
//!
//! Rulesets are untrusted text: an object that cannot be read is counted in `skipped`, an expression
//! not understood becomes a condition that *may* match, and nothing makes this panic.
//!
//! ```
//! let json = r#"{"nftables":[{"table":{"family":"inet","name":"t"}},
//!   {"chain":{"family":"inet","table":"t","name":"input","type":"filter","hook":"input","prio":0,"policy":"accept"}},
//!   {"rule":{"family":"inet","table":"t","chain":"input","handle":2,"expr":[
//!     {"match":{"op":"==","left":{"payload":{"protocol":"udp","field":"dport"}},"right":5060}},{"drop":null}]}}]}"#;
//! let ruleset = mcready::firewall::nft::read(json, &[]);
//! assert_eq!(ruleset.tables[0].chains[0].rules[0].text, "udp dport 5060 drop");
//! ```

use std::collections::HashMap;
use std::net::Ipv4Addr;

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::ruleset::{
    Base, Chain, Cond, Element, Family, Field, FirewallTool, HelperObject, Hook, Nat, NatKind, Netfilter, Op,
    Rule, Table, Verdict,
};

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// `nft -j list ruleset` split into its objects, each still raw text: an object is turned into a
/// `Value` only when it is needed, so the rules of tables judged from another source (iptables-nft's)
/// are never built. The JSON is scanned once.
pub struct Document<'a> {
    objects: Vec<(Cow<'a, str>, &'a RawValue)>,
}

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow)]
    nftables: Vec<&'a RawValue>,
}

/// Just enough of a rule object to know its table and chain.
#[derive(Deserialize)]
struct RuleHead<'a> {
    #[serde(borrow)]
    family: Option<Cow<'a, str>>,
    #[serde(borrow)]
    table: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    chain: Option<Cow<'a, str>>,
}

/// The chains a verdict may continue in.
fn collect_targets(verdict: &Verdict, targets: &mut Vec<String>) {
    match verdict {
        Verdict::Jump(target) | Verdict::Goto(target) => targets.push(target.clone()),
        Verdict::Map { entries, .. } => entries.iter().for_each(|(_, v)| collect_targets(v, targets)),
        _ => {}
    }
}

impl<'a> Document<'a> {
    /// Splits the JSON into its objects; `Err` says why it is not an nftables ruleset.
    ///
    /// # Errors
    /// When the text is not JSON, or has no `nftables` list.
    pub fn parse(json: &'a str) -> Result<Self, String> {
        let top: Top<'a> = serde_json::from_str(json).map_err(|error| {
            if serde_json::from_str::<serde::de::IgnoredAny>(json).is_ok() {
                "not an nftables ruleset: no `nftables` list".to_owned()
            } else {
                format!("not JSON: {error}")
            }
        })?;
        let objects = top
            .nftables
            .into_iter()
            .filter_map(|raw| {
                // Each object has one key naming its kind: `{"rule": {…}}`.
                let map: HashMap<Cow<'a, str>, &'a RawValue> = serde_json::from_str(raw.get()).ok()?;
                map.into_iter().next()
            })
            .collect();
        Ok(Self { objects })
    }

    /// The objects of `kind` (`chain`, `rule`, `set`…), parsed.
    fn values(&self, kinds: &[&str]) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|(kind, _)| kinds.contains(&kind.as_ref()))
            .filter_map(|(kind, raw)| {
                let body: Value = serde_json::from_str(raw.get()).ok()?;
                let mut object = serde_json::Map::new();
                object.insert(kind.to_string(), body);
                Some(Value::Object(object))
            })
            .collect()
    }

    /// The raw rule objects of IPv4 tables not in `skip_tables` (odd shapes too, to be counted).
    fn rules<'s>(&'s self, skip_tables: &'s [String]) -> impl Iterator<Item = &'a RawValue> + 's {
        self.objects
            .iter()
            .filter(|(kind, _)| kind == "rule")
            .filter(|(_, raw)| match serde_json::from_str::<RuleHead<'_>>(raw.get()) {
                Ok(RuleHead { family: Some(family), table: Some(table), .. }) => {
                    matches!(family.as_ref(), "ip" | "inet")
                        && !skip_tables.contains(&format!("{family} {table}"))
                }
                _ => true,
            })
            .map(|(_, raw)| *raw)
    }
}

/// Reads the JSON. `skip_tables` lists tables (`family name`, e.g. `ip filter`) judged from another
/// source — those iptables-nft manages, read in full from `iptables-nft-save` — and left out here.
#[must_use]
pub fn read(json: &str, skip_tables: &[String]) -> Netfilter {
    match Document::parse(json) {
        Ok(document) => read_document(&document, skip_tables),
        Err(error) => Netfilter { tool: Some(FirewallTool::Nft), error: Some(error), ..Netfilter::default() },
    }
}

/// [`read`] on a document already split.
#[must_use]
pub fn read_document(document: &Document<'_>, skip_tables: &[String]) -> Netfilter {
    let mut ruleset = Netfilter { tool: Some(FirewallTool::Nft), ..Netfilter::default() };
    let objects = document.values(&["chain", "set", "map", "ct helper"]);
    let objects = objects.as_slice();
    let sets = index_sets(objects, &mut ruleset);
    let mut by_key: HashMap<(&str, &str), usize> = HashMap::new();
    // Chain positions per table, so that 4,000 rules find their chain without a linear search.
    let mut chain_at: Vec<HashMap<String, usize>> = Vec::new();
    // Each table's family and name, by index.
    let mut names: Vec<(&str, &str)> = Vec::new();
    for object in objects {
        let Some(chain) = object.get("chain") else { continue };
        let (Some(family), Some(table), Some(name)) =
            (str_at(chain, "family"), str_at(chain, "table"), str_at(chain, "name"))
        else {
            ruleset.skipped += 1;
            continue;
        };
        let family_kind = match family {
            "ip" => Family::Ip,
            "inet" => Family::Inet,
            _ => continue,
        };
        let full = format!("{family} {table}");
        if skip_tables.contains(&full) {
            continue;
        }
        let index = *by_key.entry((family, table)).or_insert_with(|| {
            ruleset.tables.push(Table { family: family_kind, name: full, chains: Vec::new() });
            chain_at.push(HashMap::new());
            names.push((family, table));
            ruleset.tables.len() - 1
        });
        let base = str_at(chain, "hook").map(|hook| Base {
            hook: Hook::parse(hook),
            priority: chain.get("prio").and_then(Value::as_i64).unwrap_or(0),
            policy_drop: str_at(chain, "policy") == Some("drop"),
            kind: str_at(chain, "type").unwrap_or("filter").to_owned(),
        });
        if let (Some(table), Some(positions)) = (ruleset.tables.get_mut(index), chain_at.get_mut(index)) {
            positions.insert(name.to_owned(), table.chains.len());
            table.chains.push(Chain { name: name.to_owned(), base, rules: Vec::new() });
        }
    }
    // Rules are built only for chains a judged base chain reaches (see [`Base::judged`]): the raw rules
    // are indexed by table and chain from their heads, then followed from those base chains through
    // their jumps, gotos and verdict maps. A NAT-only ruleset of thousands of rules costs nothing.
    let mut raw_rules: HashMap<(usize, String), Vec<&RawValue>> = HashMap::new();
    for raw in document.rules(skip_tables) {
        match serde_json::from_str::<RuleHead<'_>>(raw.get()) {
            Ok(RuleHead { family: Some(family), table: Some(table), chain: Some(chain) }) => {
                if let Some(&index) = by_key.get(&(family.as_ref(), table.as_ref())) {
                    raw_rules.entry((index, chain.into_owned())).or_default().push(raw);
                }
            }
            _ => ruleset.skipped += 1,
        }
    }
    let mut queue: Vec<(usize, String)> = Vec::new();
    for (index, table) in ruleset.tables.iter().enumerate() {
        for chain in &table.chains {
            if chain.base.as_ref().is_some_and(Base::judged) {
                queue.push((index, chain.name.clone()));
            }
        }
    }
    let mut seen: std::collections::HashSet<(usize, String)> = std::collections::HashSet::new();
    while let Some(key) = queue.pop() {
        if !seen.insert(key.clone()) {
            continue;
        }
        let (index, chain) = key;
        let Some(raws) = raw_rules.remove(&(index, chain.clone())) else { continue };
        let Some(&(family, table)) = names.get(index) else { continue };
        let context = Context { sets: &sets, family, table };
        for raw in raws {
            let Ok(rule) = serde_json::from_str::<Value>(raw.get()) else {
                ruleset.skipped += 1;
                continue;
            };
            let Some(exprs) = rule.get("expr").and_then(Value::as_array) else {
                ruleset.skipped += 1;
                continue;
            };
            let built = context.rule(exprs, rule.get("handle").and_then(Value::as_u64));
            let mut targets = Vec::new();
            collect_targets(&built.verdict, &mut targets);
            queue.extend(targets.into_iter().map(|t| (index, t)));
            let position = chain_at.get(index).and_then(|p| p.get(&chain)).copied();
            match (ruleset.tables.get_mut(index), position) {
                (Some(table), Some(position)) => {
                    if let Some(chain) = table.chains.get_mut(position) {
                        chain.rules.push(built);
                        ruleset.rules += 1;
                    }
                }
                _ => ruleset.skipped += 1,
            }
        }
    }
    // Rules of chains no judged base chain reaches are not read (nor counted), but for address
    // translations: a port forward is a fact of its own (see [`crate::firewall::nat`]). A cheap look at
    // the raw text first, so that thousands of other NAT-chain rules are still never parsed.
    read_translations(raw_rules, &names, &chain_at, &sets, &mut ruleset);
    read_helpers(objects, &mut ruleset);
    ruleset
}

/// The address translations among rules no judged chain reaches, added to their chains.
fn read_translations(
    raw_rules: HashMap<(usize, String), Vec<&RawValue>>,
    names: &[(&str, &str)],
    chain_at: &[HashMap<String, usize>],
    sets: &Sets<'_>,
    ruleset: &mut Netfilter,
) {
    let mut rest: Vec<((usize, String), Vec<&RawValue>)> = raw_rules.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    for ((index, chain), raws) in rest {
        let Some(&(family, table)) = names.get(index) else { continue };
        let context = Context { sets, family, table };
        let position = chain_at.get(index).and_then(|p| p.get(&chain)).copied();
        for raw in raws.into_iter().filter(|raw| NAT_KEYS.iter().any(|key| raw.get().contains(key))) {
            let Ok(rule) = serde_json::from_str::<Value>(raw.get()) else { continue };
            let Some(exprs) = rule.get("expr").and_then(Value::as_array) else { continue };
            let built = context.rule(exprs, rule.get("handle").and_then(Value::as_u64));
            if !matches!(built.verdict, Verdict::Nat(_)) {
                continue;
            }
            if let Some(chain) =
                ruleset.tables.get_mut(index).zip(position).and_then(|(t, p)| t.chains.get_mut(p))
            {
                chain.rules.push(built);
                ruleset.rules += 1;
            }
        }
    }
}

/// The tables `nft -j list tables` (or `list ruleset`) names, as `family name`; `None` when the text is
/// not an nftables document. Listing the tables is cheap, so the platform lists them first and runs the
/// full listing only when some table is not read from `iptables-nft-save` anyway.
#[must_use]
pub fn table_names(json: &str) -> Option<Vec<String>> {
    let document = Document::parse(json).ok()?;
    let mut names = Vec::new();
    for object in document.values(&["table"]) {
        let table = object.get("table")?;
        if let (Some(family), Some(name)) = (str_at(table, "family"), str_at(table, "name")) {
            names.push(format!("{family} {name}"));
        }
    }
    Some(names)
}

/// The `ct helper` objects of the tables kept.
fn read_helpers(objects: &[Value], ruleset: &mut Netfilter) {
    for object in objects {
        let Some(helper) = object.get("ct helper") else { continue };
        if let (Some(family), Some(table), Some(name)) =
            (str_at(helper, "family"), str_at(helper, "table"), str_at(helper, "name"))
        {
            ruleset.helpers.push(HelperObject {
                table: format!("{family} {table}"),
                name: name.to_owned(),
                kind: str_at(helper, "type").unwrap_or_default().to_owned(),
                protocol: str_at(helper, "protocol").unwrap_or_default().to_owned(),
            });
        }
    }
}

/// The tables of an nftables ruleset that iptables-nft manages: family `ip`, an iptables table name, and
/// only iptables' uppercase built-in names for its base chains. `iptables-nft-save` shows them in full,
/// where the JSON shows many of their matches only as opaque `xt` expressions.
#[must_use]
pub fn iptables_nft_tables(json: &str) -> Vec<String> {
    Document::parse(json).map(|d| d.iptables_nft_tables()).unwrap_or_default()
}

impl Document<'_> {
    /// [`iptables_nft_tables`] of a document already split.
    #[must_use]
    pub fn iptables_nft_tables(&self) -> Vec<String> {
        let objects = self.values(&["chain"]);
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
            let builtin = matches!(name, "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING");
            if chain.get("hook").is_some() && !builtin {
                foreign.push(key.clone());
            }
            if !tables.contains(&key) {
                tables.push(key);
            }
        }
        tables.retain(|t| !foreign.contains(t));
        tables
    }
}

type Sets<'a> = HashMap<(&'a str, &'a str, &'a str), &'a Value>;

/// The named sets and maps of a ruleset, by family, table and name.
fn index_sets<'a>(objects: &'a [Value], ruleset: &mut Netfilter) -> Sets<'a> {
    let mut sets = HashMap::new();
    for object in objects {
        let Some(set) = object.get("set").or_else(|| object.get("map")) else { continue };
        match (str_at(set, "family"), str_at(set, "table"), str_at(set, "name")) {
            (Some(family), Some(table), Some(name)) => {
                sets.insert((family, table, name), set);
            }
            _ => ruleset.skipped += 1,
        }
    }
    sets
}

struct Context<'a> {
    sets: &'a Sets<'a>,
    family: &'a str,
    table: &'a str,
}

impl Context<'_> {
    fn rule(&self, exprs: &[Value], handle: Option<u64>) -> Rule {
        let mut rule =
            Rule { text: String::new(), handle, conds: Vec::new(), verdict: Verdict::Continue, helper: None };
        let mut words = Vec::new();
        for expr in exprs {
            words.push(render_expr(expr));
            self.expr(expr, &mut rule);
        }
        words.retain(|w| !w.is_empty());
        rule.text = words.join(" ");
        rule
    }

    fn unknown(rule: &mut Rule, expr: &Value) {
        rule.conds.push(Cond {
            field: Field::Unknown,
            op: Op::Eq,
            values: Vec::new(),
            text: render_expr(expr),
        });
    }

    fn expr(&self, expr: &Value, rule: &mut Rule) {
        let Some((key, body)) = expr.as_object().and_then(|o| o.iter().next()) else {
            Self::unknown(rule, expr);
            return;
        };
        match key.as_str() {
            "match" => {
                let (Some(op), Some(left), Some(right)) =
                    (str_at(body, "op").and_then(Op::parse), body.get("left"), body.get("right"))
                else {
                    Self::unknown(rule, expr);
                    return;
                };
                let field = field_of(left);
                let values = self.elements(right);
                rule.conds.push(Cond { field, op, values, text: render_expr(expr) });
            }
            "accept" | "drop" | "reject" | "return" | "continue" | "jump" | "goto" => {
                rule.verdict = verdict_of(expr);
            }
            "vmap" => rule.verdict = self.vmap(body),
            // `ct helper set "sip-5060"`: the named helper object is assigned to the flow.
            "ct helper" => {
                rule.helper = Some(body.as_str().map_or_else(|| render_value(body), str::to_owned));
            }
            // Statements that neither match nor decide: evaluation goes on.
            "counter" | "log" | "mangle" | "notrack" | "set" | "add" | "update" | "delete" | "dup"
            | "ct timeout" | "ct expectation" | "secmark" | "flow" => {}
            "xt" => match (str_at(body, "type"), str_at(body, "name")) {
                (Some("target"), Some("REJECT")) => rule.verdict = Verdict::Reject,
                (Some("target"), Some("LOG" | "NFLOG" | "MARK" | "CONNMARK" | "CT" | "NOTRACK")) => {}
                (Some("target"), name) => {
                    rule.verdict = Verdict::Unknown(format!("xt {}", name.unwrap_or("?")));
                }
                _ => Self::unknown(rule, expr),
            },
            "snat" | "dnat" | "masquerade" | "redirect" => rule.verdict = nat_of(key, body),
            "queue" | "tproxy" | "fwd" => rule.verdict = Verdict::Unknown(key.clone()),
            // `limit`, `quota`, `meter`, `synproxy` and anything newer: may or may not match.
            _ => Self::unknown(rule, expr),
        }
    }

    /// `udp dport vmap { 5060 : drop, 53 : accept }`, inline or a named map.
    fn vmap(&self, body: &Value) -> Verdict {
        let key = body.get("key").map_or(Field::Unknown, field_of);
        let key_text = body.get("key").map(render_value).unwrap_or_default();
        let pairs: Vec<&Value> = match body.get("data") {
            Some(Value::String(name)) => match name.strip_prefix('@').and_then(|n| self.set(n)) {
                Some(map) if !is_dynamic(map) => {
                    map.get("elem").and_then(Value::as_array).map(|e| e.iter().collect()).unwrap_or_default()
                }
                _ => return Verdict::Unknown(format!("vmap {name}")),
            },
            Some(data) => {
                data.get("set").and_then(Value::as_array).map(|e| e.iter().collect()).unwrap_or_default()
            }
            None => Vec::new(),
        };
        let mut entries = Vec::new();
        for pair in pairs {
            match pair.as_array().map(Vec::as_slice) {
                Some([element, verdict]) => {
                    for element in self.elements(element) {
                        entries.push((element, verdict_of(verdict)));
                    }
                }
                _ => entries.push((Element::Opaque, Verdict::Unknown("vmap element".into()))),
            }
        }
        Verdict::Map { key, key_text, entries }
    }

    fn set(&self, name: &str) -> Option<&Value> {
        self.sets.get(&(self.family, self.table, name)).copied()
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
                } else {
                    vec![prefix_or_range(right)]
                }
            }
            _ => vec![Element::Opaque],
        }
    }

    fn named_set(&self, name: &str) -> Vec<Element> {
        let Some(set) = self.set(name) else { return vec![Element::Opaque] };
        // A set that rules fill at run time may hold anything by the time a phone sends.
        if is_dynamic(set) {
            return vec![Element::Opaque];
        }
        set.get("elem").map(|elem| self.elements(elem)).unwrap_or_default()
    }
}

fn is_dynamic(set: &Value) -> bool {
    set.get("flags")
        .and_then(Value::as_array)
        .is_some_and(|flags| flags.iter().any(|f| f == "dynamic" || f == "timeout"))
}

/// The statements of an address translation, as they appear in a rule's raw JSON.
const NAT_KEYS: [&str; 4] = ["\"dnat\"", "\"snat\"", "\"masquerade\"", "\"redirect\""];

/// `{"dnat": {"addr": "203.0.113.10", "port": 5060}}` and its kin; an address or port given by a map
/// or an expression is left unknown (`None`), never guessed.
fn nat_of(key: &str, body: &Value) -> Verdict {
    let kind = match key {
        "snat" => NatKind::Snat,
        "dnat" => NatKind::Dnat,
        "masquerade" => NatKind::Masquerade,
        _ => NatKind::Redirect,
    };
    // nft prints an aligned range of addresses as a prefix (`203.0.113.10-203.0.113.11` is `/31`).
    let address = body.get("addr").and_then(|addr| match addr {
        Value::String(text) => text.parse::<Ipv4Addr>().ok().map(Element::Addr),
        Value::Object(object) if object.contains_key("range") || object.contains_key("prefix") => {
            Some(prefix_or_range(addr)).filter(|e| *e != Element::Opaque)
        }
        _ => None,
    });
    let ports = body.get("port").and_then(|port| match port {
        Value::Number(n) => n.as_u64().map(Element::Number),
        Value::Object(_) => Some(prefix_or_range(port)).filter(|e| *e != Element::Opaque),
        _ => None,
    });
    Verdict::Nat(Nat { kind, address, ports })
}

/// `{"prefix": {"addr": …, "len": …}}` or `{"range": [low, high]}`; anything else is opaque.
fn prefix_or_range(value: &Value) -> Element {
    if let Some(prefix) = value.get("prefix") {
        let addr = str_at(prefix, "addr").and_then(|a| a.parse::<Ipv4Addr>().ok());
        let len = prefix.get("len").and_then(Value::as_u64).and_then(|l| u8::try_from(l).ok());
        return match (addr, len) {
            (Some(addr), Some(len)) if len <= 32 => Element::Prefix(addr, len),
            _ => Element::Opaque,
        };
    }
    match value.get("range") {
        Some(Value::Array(bounds)) => range_element(bounds),
        _ => Element::Opaque,
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

/// What part of the datagram an expression's left side names.
fn field_of(left: &Value) -> Field {
    if let Some(payload) = left.get("payload") {
        return match (str_at(payload, "protocol"), str_at(payload, "field")) {
            (
                Some(proto @ ("udp" | "tcp" | "udplite" | "sctp" | "dccp" | "th")),
                Some(field @ ("sport" | "dport")),
            ) => Field::Port {
                proto: (proto != "th").then(|| proto.to_owned()),
                destination: field == "dport",
            },
            (Some("ip"), Some("saddr")) => Field::Addr { destination: false },
            (Some("ip"), Some("daddr")) => Field::Addr { destination: true },
            (Some("ip"), Some("protocol")) => Field::Proto,
            (Some("ip") | None, _) => Field::Unknown,
            (Some(other), _) => Field::Header(other.to_owned()),
        };
    }
    if let Some(meta) = left.get("meta") {
        return match str_at(meta, "key") {
            Some("l4proto") => Field::Proto,
            Some("nfproto" | "protocol") => Field::NfProto,
            Some("pkttype") => Field::PktType,
            Some("iif" | "iifname") => Field::Iface { input: true },
            Some("oif" | "oifname") => Field::Iface { input: false },
            _ => Field::Unknown,
        };
    }
    if let Some(ct) = left.get("ct") {
        return match str_at(ct, "key") {
            Some("state") => Field::CtState,
            Some("status") => Field::CtStatus,
            Some("direction") => Field::CtDirection,
            _ => Field::Unknown,
        };
    }
    if let Some(fib) = left.get("fib")
        && str_at(fib, "result") == Some("type")
        && let Some(flags) = fib.get("flags").and_then(Value::as_array)
    {
        let has = |f: &str| flags.iter().any(|x| x == f);
        if has("daddr") && !has("saddr") {
            return Field::AddrType { destination: true };
        }
        if has("saddr") && !has("daddr") {
            return Field::AddrType { destination: false };
        }
    }
    Field::Unknown
}

fn verdict_of(value: &Value) -> Verdict {
    let Some((key, body)) = value.as_object().and_then(|o| o.iter().next()) else {
        return Verdict::Unknown(render_value(value));
    };
    match key.as_str() {
        "accept" => Verdict::Accept,
        "drop" => Verdict::Drop,
        "reject" => Verdict::Reject,
        "return" => Verdict::Return,
        "continue" => Verdict::Continue,
        "jump" => {
            str_at(body, "target").map_or(Verdict::Unknown("jump".into()), |t| Verdict::Jump(t.to_owned()))
        }
        "goto" => {
            str_at(body, "target").map_or(Verdict::Unknown("goto".into()), |t| Verdict::Goto(t.to_owned()))
        }
        other => Verdict::Unknown(other.to_owned()),
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
        "snat" | "dnat" | "masquerade" | "redirect" => match nat_of(key, body) {
            Verdict::Nat(nat) => crate::firewall::nat::render(&nat),
            _ => key.clone(),
        },
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
