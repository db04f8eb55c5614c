//! Fuzzes the `iptables-save` reader (either backend) and the judge behind it: any text must give a
//! ruleset, never a panic, and judging it must terminate within its step budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcready::firewall::model::Ruleset;
use mcready::firewall::{Context, iptables, judge};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let ruleset = iptables::read(&text, None);
    let context = Context { interface: Some("eth0".into()), budget: 100_000, ..Context::default() };
    let judged = judge(&[Ruleset::Netfilter(ruleset)], &context);
    assert!(judged.steps <= 6 * 100_001);
});
