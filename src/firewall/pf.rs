//! Reads macOS's pf ruleset, as `pfctl -sr` prints it, into the [`model`](crate::ruleset), so that the
//! same judge judges pf. A pure parser on text: running `pfctl` is the platform's job.
//!
//! pf decides by the *last* matching rule, unless a matching rule is `quick`, which decides at once.
//! The model's chains decide by the first matching rule, so the rules are reordered without changing
//! any verdict: the `quick` rules in their order, then the others in reverse order (the first `quick`
//! match wins; failing that, the last plain match). The default is pass. Rules without a direction go
//! into both the `in` (input hook) and `out` (output hook) chains.
//!
//! `pfctl -sr` prints lists already expanded (one rule per element) and in a normalised syntax
//! (`pf.conf(5)`). What is read: `pass`, `block` (`drop` and the default drop; `return*` as reject),
//! `in`/`out`, `quick`, `on [!] IFACE`, `inet`/`inet6`, `proto`, `from`/`to` with addresses, `any`,
//! `all`, `!`, and `port` with `=`, `!=`, `<`, `<=`, `>`, `>=` and `A:B`, by number or by the service
//! names pfctl prints for common ports (`sip`, `ssh`, `https`, …). Anything else that filters
//! (`<table>`, `self`, `(en0)`, `user`, `group`, `tagged`, other port forms) becomes a condition that
//! *may* match. An `anchor` is a jump to rules `pfctl -sr` does not list: the judge says what may
//! escape through it. Translation (`nat`, `rdr`, `binat`), `scrub` and `match` rules are not judged.
//!
//! ```
//! let rules = "block drop in quick on en0 proto udp from any to any port = 5060\n";
//! let ruleset = mcready::firewall::pf::read(rules);
//! let input = &ruleset.tables[0].chains[0];
//! assert_eq!(input.name, "in");
//! assert_eq!(input.rules[0].conds.len(), 3);
//! ```

use crate::ruleset::{
    Base, Chain, Cond, Element, Family, Field, FirewallTool, Hook, Netfilter, Op, Rule, Table, Verdict,
};

/// One rule of `pfctl -sr`, read, before it is placed.
struct PfRule {
    quick: bool,
    /// `Some(true)` for `in`, `Some(false)` for `out`, `None` for both.
    inbound: Option<bool>,
    rule: Rule,
}

/// Reads `pfctl -sr` output.
#[must_use]
pub fn read(text: &str) -> Netfilter {
    let mut netfilter = Netfilter { tool: Some(FirewallTool::Pf), ..Netfilter::default() };
    let mut rules = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        match read_rule(line) {
            Ok(Some(rule)) => rules.push(rule),
            // Not a filter rule for IPv4 (scrub, nat, an inet6 rule): nothing to judge.
            Ok(None) => {}
            Err(()) => netfilter.skipped += 1,
        }
    }
    netfilter.rules = rules.len();
    let chain = |name: &str, hook: Hook, inbound: bool| {
        let applies = |r: &&PfRule| r.inbound.is_none_or(|i| i == inbound);
        let quick = rules.iter().filter(|r| r.quick).filter(applies);
        let last_match = rules.iter().rev().filter(|r| !r.quick).filter(applies);
        Chain {
            name: name.to_owned(),
            base: Some(Base { hook, priority: 0, policy_drop: false, kind: "filter".into() }),
            rules: quick.chain(last_match).map(|r| with_direction(&r.rule, inbound)).collect(),
        }
    };
    netfilter.tables.push(Table {
        family: Family::Inet,
        name: "pf".into(),
        chains: vec![chain("in", Hook::Input, true), chain("out", Hook::Output, false)],
    });
    netfilter
}

/// A rule's interface conditions say which way they look only once the chain is known.
fn with_direction(rule: &Rule, inbound: bool) -> Rule {
    let mut rule = rule.clone();
    for cond in &mut rule.conds {
        if let Field::Iface { input } = &mut cond.field {
            *input = inbound;
        }
    }
    rule
}

/// Splits a line into words, keeping a quoted string (`"com.apple/*"`) as one word without its quotes.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[allow(clippy::too_many_lines)] // One pass over the words of pf's grammar, in its order.
fn read_rule(line: &str) -> Result<Option<PfRule>, ()> {
    let words = words(line);
    let mut at = 0;
    let word = |at: usize| words.get(at).map(String::as_str);
    let verdict = match word(at) {
        Some("pass") => Verdict::Accept,
        Some("block") => {
            at += 1;
            match word(at) {
                Some("drop") => Verdict::Drop,
                Some(w) if w.starts_with("return") => Verdict::Reject,
                // A bare `block` drops (unless `set block-policy return`, which pfctl -sr does not show).
                _ => {
                    at -= 1;
                    Verdict::Drop
                }
            }
        }
        Some("anchor") => {
            at += 1;
            let name = word(at).ok_or(())?;
            Verdict::Jump(format!("anchor {name}"))
        }
        Some(
            "scrub" | "scrub-anchor" | "nat" | "nat-anchor" | "rdr" | "rdr-anchor" | "binat" | "binat-anchor"
            | "no" | "match" | "dummynet-anchor" | "dummynet" | "load",
        ) => return Ok(None),
        _ => return Err(()),
    };
    at += 1;
    let mut rule = PfRule {
        quick: false,
        inbound: None,
        rule: Rule { text: line.to_owned(), handle: None, conds: Vec::new(), verdict, helper: None },
    };
    let mut negate = false;
    // Which address `from`/`to` the words that follow describe; ports follow their address.
    let mut side: Option<bool> = None; // Some(true) = destination
    let mut proto: Option<String> = None;
    while let Some(w) = word(at) {
        at += 1;
        match w {
            "in" => rule.inbound = Some(true),
            "out" => rule.inbound = Some(false),
            "quick" => rule.quick = true,
            // Words that do not narrow what an IPv4 datagram matches.
            "log" | "all" | "any" | "keep" | "state" | "modulate" | "synproxy" | "no" | "allow-opts"
            | "inet" => {}
            // An IPv6-only rule never sees the IPv4 datagrams PnP depends on.
            "inet6" => return Ok(None),
            "!" => negate = true,
            "on" => {
                let name = word(at).ok_or(())?;
                at += 1;
                let (negated, name) = match name.strip_prefix('!') {
                    Some(rest) if !rest.is_empty() => (true, rest),
                    _ if name == "!" => {
                        let next = word(at).ok_or(())?;
                        at += 1;
                        (true, next)
                    }
                    _ => (negate, name),
                };
                negate = false;
                rule.rule.conds.push(cond(
                    Field::Iface { input: true },
                    negated,
                    vec![Element::Symbol(name.to_owned())],
                    format!("on {}{name}", if negated { "! " } else { "" }),
                ));
            }
            "proto" => {
                let name = word(at).ok_or(())?.to_ascii_lowercase();
                at += 1;
                proto = Some(name.clone());
                rule.rule.conds.push(cond(
                    Field::Proto,
                    false,
                    vec![Element::from_text(&name)],
                    format!("proto {name}"),
                ));
            }
            "from" | "to" => {
                let destination = w == "to";
                side = Some(destination);
                let mut address = word(at).ok_or(())?;
                at += 1;
                let mut negated = false;
                if address == "!" {
                    negated = true;
                    address = word(at).ok_or(())?;
                    at += 1;
                } else if let Some(rest) = address.strip_prefix('!') {
                    negated = true;
                    address = rest;
                }
                if address == "any" {
                    continue;
                }
                let element = Element::from_text(address);
                let (field, values) = match element {
                    Element::Addr(_) | Element::Prefix(..) => (Field::Addr { destination }, vec![element]),
                    // `<table>`, `self`, `(en0)`, `en0:network`, `no-route`: not resolvable here.
                    _ => (Field::Unknown, vec![Element::Opaque]),
                };
                rule.rule.conds.push(cond(
                    field,
                    negated,
                    values,
                    format!("{w} {}{address}", if negated { "! " } else { "" }),
                ));
            }
            "port" => {
                let destination = side.ok_or(())?;
                let (op, value) = match word(at).ok_or(())? {
                    op @ ("=" | "!=" | "<" | "<=" | ">" | ">=") => {
                        let value = word(at + 1).ok_or(())?;
                        at += 2;
                        let op = match op {
                            "=" => Op::Eq,
                            "!=" => Op::Ne,
                            "<" => Op::Lt,
                            "<=" => Op::Le,
                            ">" => Op::Gt,
                            _ => Op::Ge,
                        };
                        (op, value)
                    }
                    value => {
                        at += 1;
                        (Op::Eq, value)
                    }
                };
                let element = match value.split_once(':') {
                    Some((low, high)) => match (port_number(low), port_number(high)) {
                        (Some(low), Some(high)) => Element::Range(low, high),
                        _ => Element::Opaque,
                    },
                    None => port_number(value).map_or(Element::Opaque, Element::Number),
                };
                // `port A >< B` and `port A <> B` (exclusive ranges) are not modelled: may match.
                let unknown_range = matches!(word(at), Some("><" | "<>"));
                if unknown_range {
                    at += 2;
                }
                let field = if unknown_range || element == Element::Opaque {
                    Field::Unknown
                } else {
                    Field::Port { proto: proto.clone(), destination }
                };
                let op = if field == Field::Unknown { Op::Eq } else { op };
                rule.rule.conds.push(Cond {
                    field,
                    op,
                    values: vec![element],
                    text: format!("port {value}"),
                });
            }
            "flags" | "label" | "tag" | "queue" | "rtable" | "probability" | "max-mss" | "set-tos"
            | "tos" | "icmp-type" | "icmp6-type" | "os" | "user" | "group" | "tagged" | "received-on"
            | "route-to" | "reply-to" | "dup-to" | "fastroute" => {
                let value = word(at).unwrap_or_default();
                at += 1;
                // Options that only describe or route the packet do not decide whether it matches.
                if matches!(
                    w,
                    "icmp-type"
                        | "icmp6-type"
                        | "tos"
                        | "user"
                        | "group"
                        | "tagged"
                        | "received-on"
                        | "os"
                        | "probability"
                ) {
                    rule.rule.conds.push(cond(
                        Field::Unknown,
                        false,
                        vec![Element::Opaque],
                        format!("{w} {value}"),
                    ));
                }
            }
            // `(max 100, …)` state options and anything else after the addresses: ignored for matching.
            _ if side.is_some() => {}
            _ => return Err(()),
        }
    }
    Ok(Some(rule))
}

/// pfctl prints ports by their `/etc/services` name unless asked for numbers. The names of the ports
/// a PBX host's rules usually name are known here; any other name *may* be the PnP port.
fn port_number(text: &str) -> Option<u64> {
    const SERVICES: &[(&str, u64)] = &[
        ("ftp", 21),
        ("ssh", 22),
        ("telnet", 23),
        ("smtp", 25),
        ("domain", 53),
        ("bootps", 67),
        ("bootpc", 68),
        ("tftp", 69),
        ("http", 80),
        ("www", 80),
        ("ntp", 123),
        ("netbios-ns", 137),
        ("netbios-dgm", 138),
        ("snmp", 161),
        ("https", 443),
        ("syslog", 514),
        ("sip", 5060),
        ("sip-tls", 5061),
        ("mdns", 5353),
    ];
    text.parse().ok().or_else(|| SERVICES.iter().find(|(name, _)| *name == text).map(|(_, number)| *number))
}

fn cond(field: Field, negated: bool, values: Vec<Element>, text: String) -> Cond {
    Cond { field, op: if negated { Op::Ne } else { Op::Eq }, values, text }
}
