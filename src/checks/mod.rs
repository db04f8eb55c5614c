//! The checklist: pure functions from a snapshot of facts and observations to the four requirements.
//!
//! Nothing here does I/O, so every rule is tested with made-up snapshots. The requirement ids and
//! their order are part of the JSON contract (`pbx-membership`, `same-subnet`, `network-multicast`,
//! `phone-pnp`); check ids are stable once shipped and listed in `docs/checks.md`.
//!
//! One principle runs through the rules: **never blame an innocent requirement**. When a cause is
//! found under one requirement (a firewall drop, a phone behind a router), the checks of the others
//! that would only suffer its consequence say `skip` or `warn` and point at the cause. Those causes
//! are decided once ([`causes::Causes`]), from the snapshot and the one judgement of the host firewall
//! ([`firewall::FirewallView`]); no rule reads another check's result. [`registry`] is the one table of
//! checks: the report's order, `docs/checks.md` and the Prometheus labels follow it.

pub mod causes;
mod discovery;
pub mod firewall;
mod membership;
mod multicast;
mod phone;
mod provisioning;
pub mod registry;
pub mod remedy;
mod soak;
mod subnet;

use crate::firewall::Judgement;
#[cfg(test)]
use crate::observed::Observed;
use crate::snapshot::{InterfaceRule, OsFamily, Snapshot};
use crate::verdict::{Check, Requirement, Status};

/// What the checklist decided: the four requirements, and the one judgement of the host firewall they
/// rest on (which the report's `facts.firewall` shows, so facts and checks never disagree).
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub requirements: Vec<Requirement>,
    pub firewall: Judgement,
}

/// The four requirements, in contract order.
#[must_use]
pub fn evaluate(snapshot: &Snapshot) -> Vec<Requirement> {
    assess(snapshot).requirements
}

/// The four requirements and the firewall's judgement: the firewall is walked once per call, and
/// every check is decided by its row of [`registry::CHECKS`], in that order.
#[must_use]
pub fn assess(snapshot: &Snapshot) -> Evaluation {
    let firewall = firewall::FirewallView::new(snapshot);
    let causes = causes::Causes::new(snapshot, &firewall);
    let inputs = registry::Inputs { snapshot, firewall: &firewall, causes: &causes };
    let requirements = registry::REQUIREMENTS
        .iter()
        .map(|requirement| {
            let checks = registry::CHECKS
                .iter()
                .filter(|def| def.requirement == requirement.id)
                .filter_map(|def| (def.build)(&inputs))
                .collect();
            let title = requirement.title.replace("{group}", &snapshot.group.to_string());
            Requirement::new(requirement.id, title, checks)
        })
        .collect();
    Evaluation { requirements, firewall: firewall.judgement }
}

/// A check with its evidence; `remedy` is required for warn/fail by construction in the callers.
fn check(
    id: &'static str,
    status: Status,
    summary: String,
    remedy: Option<String>,
    evidence: serde_json::Value,
) -> Check {
    Check { id, status, summary, remedy, fix: None, evidence }
}

/// A check whose remedy is a fix: the remedy is the fix's text, and the JSON carries the fix when it
/// has steps.
fn fixed(
    id: &'static str,
    status: Status,
    summary: String,
    fix: crate::fix::Fix,
    evidence: serde_json::Value,
) -> Check {
    let remedy = Some(fix.text.clone());
    Check { id, status, summary, remedy, fix: fix.typed(), evidence }
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
