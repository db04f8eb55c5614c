//! The address translations the host's rulesets hold — port forwards (`dnat`, `-j DNAT`), `snat`,
//! `masquerade`, `redirect` — as facts: what each matches (protocol, destination ports, interfaces)
//! and where it sends the datagram. A PBX in a container behind a DNAT of udp/5060 is invisible to
//! the filter judge (NAT chains are not walked, see docs/firewall.md); these facts make it visible.
//!
//! Pure: rulesets in, facts out. Every NAT rule read is listed, reachable or not (Docker's `DOCKER`
//! chain is reached by a jump from `PREROUTING`), so the rules judging it can decide reachability.

use crate::facts::NatRule;
use crate::ruleset::{Field, Nat, NatKind, Op, Ruleset, Verdict};

/// How many NAT rules the facts list: a Kubernetes node's kube-proxy keeps thousands, which would bury
/// the report; the rulesets themselves stay whole for the rules that judge them.
pub const LISTED: usize = 256;

/// The NAT rules of `rulesets` for the facts, in the order read: the first [`LISTED`] of them, and how
/// many more there were.
#[must_use]
pub fn listed(rulesets: &[Ruleset]) -> (Vec<NatRule>, usize) {
    let mut all = rules(rulesets);
    let more = all.len().saturating_sub(LISTED);
    all.truncate(LISTED);
    (all, more)
}

/// Every NAT rule of `rulesets`, in the order read.
#[must_use]
pub fn rules(rulesets: &[Ruleset]) -> Vec<NatRule> {
    let mut out = Vec::new();
    for ruleset in rulesets {
        let Ruleset::Netfilter(netfilter) = ruleset else { continue };
        for table in &netfilter.tables {
            for chain in &table.chains {
                for rule in &chain.rules {
                    let Verdict::Nat(nat) = &rule.verdict else { continue };
                    let mut fact = NatRule {
                        tool: netfilter.tool,
                        table: table.name.clone(),
                        chain: chain.name.clone(),
                        hook: chain.base.as_ref().map(|b| b.hook.as_str()),
                        handle: rule.handle,
                        rule: rule.text.clone(),
                        kind: nat.kind,
                        protocol: None,
                        ports: Vec::new(),
                        in_interface: None,
                        out_interface: None,
                        to_address: nat.address.as_ref().map(ToString::to_string),
                        to_ports: nat.ports.as_ref().map(ToString::to_string),
                    };
                    for cond in &rule.conds {
                        let first = cond.values.first().map(ToString::to_string);
                        let negated =
                            |text: String| if cond.op == Op::Ne { format!("!{text}") } else { text };
                        match &cond.field {
                            Field::Proto if cond.op == Op::Eq => fact.protocol = first,
                            Field::Port { proto, destination: true } if cond.op == Op::Eq => {
                                fact.ports.extend(cond.values.iter().map(ToString::to_string));
                                if fact.protocol.is_none() {
                                    fact.protocol.clone_from(proto);
                                }
                            }
                            Field::Iface { input: true } => fact.in_interface = first.map(negated),
                            Field::Iface { input: false } => fact.out_interface = first.map(negated),
                            _ => {}
                        }
                    }
                    out.push(fact);
                }
            }
        }
    }
    out
}

/// The translation in nft's words: `dnat to 203.0.113.10:5060`, `masquerade`, `redirect to :5060`.
#[must_use]
pub fn render(nat: &Nat) -> String {
    let address = nat.address.as_ref().map(ToString::to_string).unwrap_or_default();
    let port = nat.ports.as_ref().map(|p| format!(":{p}")).unwrap_or_default();
    match (nat.kind, address.is_empty() && port.is_empty()) {
        (NatKind::Masquerade, true) => "masquerade".into(),
        (NatKind::Masquerade, false) => format!("masquerade to {address}{port}"),
        (kind, _) => format!("{} to {address}{port}", kind.as_str()),
    }
}
