//! The judge on random netfilter rulesets, against a brute-force walk of every assignment of the
//! conditions it cannot decide; and the readers (`iptables-save`, nft JSON) on random text, never
//! panicking.

use proptest::prelude::*;

use super::judge::{Context, Tri, judge};
use crate::facts::{FindingCertainty, FirewallFlow};
use crate::ruleset::{
    Base, Chain, Cond, Element, Family, Field, Hook, Netfilter, Op, Rule, Ruleset, Table, Verdict,
};

/// A condition that is always, never or maybe true for the SUBSCRIBE.
fn cond(kind: u8) -> Cond {
    let (field, values) = match kind {
        0 => (Field::Port { proto: Some("udp".into()), destination: true }, vec![Element::Number(5060)]),
        1 => (Field::Port { proto: Some("tcp".into()), destination: true }, vec![Element::Number(5060)]),
        _ => (Field::Unknown, Vec::new()),
    };
    Cond { field, op: Op::Eq, values, text: format!("c{kind}") }
}

fn verdict(kind: u8, chains: usize, me: usize) -> Verdict {
    match kind {
        0 => Verdict::Continue,
        1 => Verdict::Accept,
        2 => Verdict::Drop,
        3 => Verdict::Return,
        // Jumps only forward, so no loops (the kernel refuses them).
        4 | 5 if me + 1 < chains => {
            let target = format!("c{}", me + 1 + usize::from(kind) % (chains - me - 1).max(1));
            if kind == 4 { Verdict::Jump(target) } else { Verdict::Goto(target) }
        }
        _ => Verdict::Reject,
    }
}

fn ruleset() -> impl Strategy<Value = Netfilter> {
    (
        1usize..5,
        prop::collection::vec((0usize..5, prop::collection::vec(0u8..3, 0..3), 0u8..6), 0..10),
        any::<bool>(),
    )
        .prop_map(|(chains, rules, policy_drop)| {
            let mut table = Table { family: Family::Inet, name: "inet t".into(), chains: Vec::new() };
            for i in 0..chains {
                let base = (i == 0).then(|| Base {
                    hook: Hook::Input,
                    priority: 0,
                    policy_drop,
                    kind: "filter".into(),
                });
                table.chains.push(Chain { name: format!("c{i}"), base, rules: Vec::new() });
            }
            for (n, (chain, conds, kind)) in rules.into_iter().enumerate() {
                let chain = chain % chains;
                let rule = Rule {
                    text: format!("r{n}"),
                    handle: Some(n as u64),
                    conds: conds.into_iter().map(cond).collect(),
                    verdict: verdict(kind, chains, chain),
                    helper: None,
                };
                table.chains[chain].rules.push(rule);
            }
            Netfilter { tables: vec![table], ..Netfilter::default() }
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Continue,
    Return,
    Accept,
    /// Dropped by the rule with this handle (`None`: the policy).
    Drop(Option<u64>),
}

/// The concrete walk for one assignment of the *maybe* conditions (`maybe` holds each rule's).
fn walk(table: &Table, chain: usize, maybe: &dyn Fn(u64) -> bool) -> End {
    for rule in &table.chains[chain].rules {
        let handle = rule.handle.unwrap_or(0);
        let tri = rule
            .conds
            .iter()
            .map(|c| match c.text.as_str() {
                "c0" => Tri::Always,
                "c1" => Tri::Never,
                _ => Tri::Maybe,
            })
            .min()
            .unwrap_or(Tri::Always);
        let hit = match tri {
            Tri::Always => true,
            Tri::Never => false,
            Tri::Maybe => maybe(handle),
        };
        if !hit {
            continue;
        }
        match &rule.verdict {
            Verdict::Continue => {}
            Verdict::Accept => return End::Accept,
            Verdict::Drop | Verdict::Reject => return End::Drop(Some(handle)),
            Verdict::Return => return End::Return,
            Verdict::Jump(t) => match walk(table, table.chain(t).unwrap(), maybe) {
                End::Continue | End::Return => {}
                end => return end,
            },
            Verdict::Goto(t) => {
                return match walk(table, table.chain(t).unwrap(), maybe) {
                    End::Return => End::Return,
                    end => end,
                };
            }
            _ => unreachable!(),
        }
    }
    End::Continue
}

/// Lines of `iptables-save` shape, with the words the reader knows and odd ones.
fn save_text() -> impl Strategy<Value = String> {
    let word = prop::sample::select(vec![
        "*filter",
        "*raw",
        ":INPUT",
        "DROP",
        "ACCEPT",
        "-",
        "-A",
        "INPUT",
        "c",
        "-j",
        "-g",
        "c",
        "-p",
        "udp",
        "--dport",
        "5060",
        "5000:",
        "-s",
        "10.0.0.0/8",
        "!",
        "-i",
        "eth+",
        "-m",
        "--ctstate",
        "NEW",
        "\"",
        "COMMIT",
        "-d",
        "224.0.0.0/240.0.0.0",
        "--dst-type",
        "MULTICAST",
        "RETURN",
        "CT",
        "--helper",
        "sip",
    ]);
    prop::collection::vec(prop::collection::vec(word, 0..8).prop_map(|w| w.join(" ")), 0..30)
        .prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any text: a ruleset or an error, never a panic, and the judge stays within its budget.
    #[test]
    fn readers_never_panic(text in save_text(), junk in ".{0,200}") {
        let context = Context { interface: Some("eth0".into()), budget: 10_000, ..Context::default() };
        for input in [text.as_str(), junk.as_str()] {
            let saved = super::iptables::read(input, None);
            let judged = judge(&[Ruleset::Netfilter(saved)], &context);
            prop_assert!(judged.steps <= 6 * 10_001);
            let json = super::nft::read(input, &[]);
            prop_assert!(json.error.is_some() || json.tables.is_empty() || !input.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// Every drop some assignment reaches is reported; a `drops` finding drops under every
    /// assignment; with no *maybe* at all the judge is exact.
    #[test]
    fn the_judge_agrees_with_a_brute_force_walk(ruleset in ruleset()) {
        let table = ruleset.tables[0].clone();
        let policy_drop = table.chains[0].base.as_ref().is_some_and(|b| b.policy_drop);
        let judged = judge(&[Ruleset::Netfilter(ruleset)], &Context::default());
        prop_assert!(!judged.partial);
        let findings: Vec<_> = judged.of(FirewallFlow::SubscribeIn).cloned().collect();
        let maybes: Vec<u64> = table.chains.iter().flat_map(|c| &c.rules)
            .filter(|r| r.conds.iter().any(|c| c.text == "c2")).filter_map(|r| r.handle).collect();
        let mut every_drops = true;
        for bits in 0u32..(1 << maybes.len().min(10)) {
            let maybe = |handle: u64| maybes.iter().position(|h| *h == handle).is_some_and(|i| bits & (1 << i) != 0);
            let end = match walk(&table, 0, &maybe) {
                End::Continue | End::Return if policy_drop => End::Drop(None),
                end => end,
            };
            match end {
                End::Drop(handle) => {
                    let reported = findings.iter().any(|f| f.handle == handle);
                    prop_assert!(reported, "drop by {:?} not reported: {:?}", handle, findings);
                }
                _ => every_drops = false,
            }
        }
        let certain = findings.iter().any(|f| f.certainty == FindingCertainty::Drops);
        if certain {
            prop_assert!(every_drops, "certain drop but some path passes: {:?}", findings);
        }
        if maybes.is_empty() {
            prop_assert_eq!(certain, every_drops, "{:?}", findings);
        }
    }
}
