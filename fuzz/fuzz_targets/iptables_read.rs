//! Fuzzes the `iptables-save` reader (either backend) and the judge behind it: any text must give a
//! ruleset, never a panic, and judging it must terminate within its step budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcready::firewall::{Context, iptables, judge, nat};
use mcready::ruleset::Ruleset;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let ruleset = iptables::read(&text, None);
    let context = Context { interface: Some("eth0".into()), budget: 100_000, ..Context::default() };
    let rulesets = [Ruleset::Netfilter(ruleset)];
    // The NAT facts of any ruleset read: never a panic either.
    let _ = nat::rules(&rulesets);
    let judged = judge(&rulesets, &context);
    assert!(judged.steps <= 6 * 100_001);
});
