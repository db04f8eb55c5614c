//! Fuzzes the `nft -j list ruleset` reader and the judge behind it: any text must give a ruleset (or an
//! error), never a panic, and judging what was read must terminate within its step budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcready::firewall::{Context, judge, nat, nft};
use mcready::ruleset::Ruleset;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = nft::iptables_nft_tables(&text);
    let ruleset = nft::read(&text, &[]);
    if ruleset.error.is_some() {
        assert!(ruleset.tables.is_empty());
        return;
    }
    let context = Context { interface: Some("eth0".into()), budget: 100_000, ..Context::default() };
    let rulesets = [Ruleset::Netfilter(ruleset)];
    // The NAT facts of any ruleset read: never a panic either.
    let _ = nat::rules(&rulesets);
    let judged = judge(&rulesets, &context);
    // Six datagrams, each within its budget per ruleset.
    assert!(judged.steps <= 6 * 100_001);
});
