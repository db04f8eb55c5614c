//! The checklist: pure functions from a snapshot of facts and observations to the four requirements.
//!
//! Nothing here does I/O, so every rule is tested with made-up snapshots. The requirement ids and
//! their order are part of the JSON contract (`pbx-membership`, `same-subnet`, `network-multicast`,
//! `phone-pnp`); check ids are stable once shipped and listed in `docs/checks.md`.
//!
//! One principle runs through the rules: **never blame an innocent requirement**. When a cause is
//! found under one requirement (a firewall drop, a phone behind a router), the checks of the others
//! that would only suffer its consequence say `skip` or `warn` and point at the cause.

pub mod causes;
mod discovery;
pub mod firewall;
mod membership;
mod multicast;
mod phone;
mod provisioning;
pub mod remedy;
mod soak;
mod subnet;

use crate::observed::Observed;
use crate::snapshot::{InterfaceRule, OsFamily, Snapshot};
use crate::verdict::{Check, Requirement, Status};

/// The four requirements, in contract order.
#[must_use]
pub fn evaluate(snapshot: &Snapshot) -> Vec<Requirement> {
    let firewall = firewall::FirewallView::new(snapshot);
    let causes = causes::Causes::new(snapshot, &firewall);
    let mut subnet = subnet::checks(snapshot, &causes);
    // The discovery checks judge a listening window: without one, `phone.pnp-subscribe` already says to listen.
    let listened = !matches!(snapshot.listen, Observed::NotAsked) || snapshot.soak.done().is_some();
    if listened {
        subnet.push(discovery::voice_vlan(snapshot));
    }
    let mut multicast = multicast::checks(snapshot, &firewall, &causes);
    multicast.extend(soak::checks(snapshot));
    let mut membership = membership::checks(snapshot, &firewall, &causes);
    membership.extend(provisioning::checks(snapshot));
    let mut phone = phone::checks(snapshot, &causes);
    if listened {
        phone.extend(discovery::phone_checks(snapshot));
    }
    vec![
        Requirement::new(
            "pbx-membership",
            format!("The PBX host joined {} on the interface facing the phones", snapshot.group),
            membership,
        ),
        Requirement::new("same-subnet", "Phones and PBX share one subnet", subnet),
        Requirement::new(
            "network-multicast",
            "The network passes multicast between phones and PBX",
            multicast,
        ),
        Requirement::new("phone-pnp", "Phones send the PnP SUBSCRIBE", phone),
    ]
}

/// A check with its evidence; `remedy` is required for warn/fail by construction in the callers.
fn check(
    id: &'static str,
    status: Status,
    summary: String,
    remedy: Option<String>,
    evidence: serde_json::Value,
) -> Check {
    Check { id, status, summary, remedy, evidence }
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
