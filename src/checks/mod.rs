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
mod stages;
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
    let requirements: Vec<Requirement> = registry::REQUIREMENTS
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
    #[cfg(test)]
    fixes_are_typed(&requirements);
    Evaluation { requirements, firewall: firewall.judgement }
}

/// A check with its evidence; a fix is required for warn/fail by construction in the callers. The
/// `remedy` is the fix's text; the JSON carries the fix itself when it has steps.
fn check(
    id: &'static str,
    status: Status,
    summary: String,
    fix: Option<crate::fix::Fix>,
    evidence: serde_json::Value,
) -> Check {
    let remedy = fix.as_ref().map(|f| f.text.clone());
    Check { id, status, summary, remedy, fix: fix.and_then(crate::fix::Fix::typed), evidence, untested: None }
}

/// Every rule's remedy comes from a typed fix: each `warn` and `fail` has a fix with steps, its remedy
/// is the fix's text, every step that is not manual has a command, and that command stands in the text.
/// Checked on every evaluation the unit tests make (the scenarios of `checks::tests`, the whole runs of
/// `observe::whole_runs`), so no made-up snapshot can reach a remedy in words only.
#[cfg(test)]
fn fixes_are_typed(requirements: &[Requirement]) {
    use crate::fix::Class;
    for check in requirements.iter().flat_map(|r| &r.checks) {
        if !matches!(check.status, Status::Warn | Status::Fail) {
            continue;
        }
        let fix = check
            .fix
            .as_ref()
            .unwrap_or_else(|| panic!("{} is {:?} without a typed fix", check.id, check.status));
        assert!(!fix.steps.is_empty(), "{}: a fix without steps", check.id);
        assert_eq!(
            check.remedy.as_deref(),
            Some(fix.text()),
            "{}: the remedy is not the fix's text",
            check.id
        );
        for step in &fix.steps {
            if step.class == Class::Manual {
                continue;
            }
            assert!(
                !step.command.is_empty(),
                "{}: a {:?} step without a command: {step:?}",
                check.id,
                step.class
            );
            assert!(
                fix.text().contains(&step.command),
                "{}: `{}` is not in the remedy {}",
                check.id,
                step.command,
                fix.text()
            );
        }
    }
}

/// The phones' interface when it is a Linux bridge of this host: then this host can be the LAN's IGMP
/// querier itself.
fn own_bridge(snapshot: &Snapshot) -> Option<&str> {
    let interface = snapshot.pnp_interface()?;
    (snapshot.os == crate::snapshot::OsFamily::Linux && interface.kind == crate::facts::InterfaceKind::Bridge)
        .then_some(interface.name.as_str())
}

/// Whether this run was refused what `allowance` picks from `facts.privileges` (the capture, the raw
/// IGMP socket, the firewall's rules): a skip it caused is one for lack of privilege. Unknown privileges
/// (a snapshot without them) are never taken for a refusal.
fn refused(
    snapshot: &Snapshot,
    allowance: impl Fn(&crate::facts::RunPrivileges) -> &crate::facts::Allowance,
) -> bool {
    snapshot.facts.privileges.as_ref().is_some_and(|p| !allowance(p).allowed)
}

/// How to give a run a listening window, for the skips that lacked one.
const LISTEN_HOW: &str = "`--listen 120` and reboot a phone";
/// How to choose the PnP interface, for the skips that lacked one.
const INTERFACE_HOW: &str = "`--interface NAME` (the phones' interface)";
/// How to send the probe, for the skips of a run that sent none.
const PROBE_HOW: &str = "run without `--no-probe`";

/// A fix done by hand, outside what a command on this host can do: its text, and what the step changes.
fn manual(text: impl Into<String>, changes: &str) -> crate::fix::Fix {
    crate::fix::Fix::one(text, crate::fix::Step::manual(changes))
}

/// A check whose remedy is `fix`.
fn fixed(
    id: &'static str,
    status: Status,
    summary: String,
    fix: crate::fix::Fix,
    evidence: serde_json::Value,
) -> Check {
    check(id, status, summary, Some(fix), evidence)
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
