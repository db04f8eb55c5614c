//! The executor with Windows' typed operations, against a fake host: routes, an interface metric and
//! firewall rules changed and read "through the API", PowerShell lines recorded (the persistent store
//! written once the run is confirmed), and a check that passes when the change is there.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::tests::{armed, dir, failing};
use super::*;
use crate::fix::{Native, Os, Reading};
use crate::managers::{iphelper, windows_firewall};
use crate::plan::{Options, plan};

struct Windows {
    routes: BTreeMap<u32, u32>,
    metric: (u32, bool),
    rules: BTreeSet<String>,
    powershell: Vec<String>,
}

impl Default for Windows {
    fn default() -> Self {
        Self { routes: BTreeMap::new(), metric: (25, true), rules: BTreeSet::new(), powershell: Vec::new() }
    }
}

impl Host for Windows {
    fn run(&mut self, command: &str) -> Result<String, String> {
        self.powershell.push(command.to_owned());
        Ok(String::new())
    }

    fn check(&mut self) -> Result<Vec<CheckFix>, String> {
        let status = |pass: bool| if pass { "pass" } else { "fail" };
        Ok([
            ("c.route", status(self.routes.contains_key(&12))),
            ("c.rule", status(self.rules.contains("mcready SIP PnP"))),
            ("c.metric", status(!self.metric.1)),
            ("c.never", "fail"),
        ]
        .into_iter()
        .map(|(id, status)| CheckFix {
            id: id.into(),
            status: status.into(),
            summary: String::new(),
            remedy: None,
            fix: None,
        })
        .collect())
    }

    fn native(&mut self, op: &Native) -> Result<(), String> {
        match op {
            Native::AddRoute { interface_index, metric, .. } => {
                self.routes.insert(*interface_index, *metric);
            }
            Native::DeleteRoute { interface_index, .. } => {
                self.routes.remove(interface_index).ok_or("no such route")?;
            }
            Native::SetInterfaceMetric { metric: Some(metric), .. } => self.metric = (*metric, false),
            Native::SetInterfaceMetric { metric: None, .. } => self.metric = (25, true),
            Native::AddFirewallRule(rule) => {
                self.rules.insert(rule.name.clone());
            }
            Native::RemoveFirewallRule { name } => {
                self.rules.remove(name);
            }
            Native::RestartService { .. } => {}
        }
        Ok(())
    }

    fn read(&mut self, op: &Native) -> Result<Reading, String> {
        Ok(match op {
            Native::AddRoute { interface_index, .. } | Native::DeleteRoute { interface_index, .. } => {
                Reading::Route { metric: self.routes.get(interface_index).copied() }
            }
            Native::SetInterfaceMetric { .. } => {
                Reading::InterfaceMetric { metric: self.metric.0, automatic: self.metric.1 }
            }
            Native::AddFirewallRule(rule) => {
                Reading::FirewallRule { present: self.rules.contains(&rule.name) }
            }
            Native::RemoveFirewallRule { name } => {
                Reading::FirewallRule { present: self.rules.contains(name) }
            }
            Native::RestartService { .. } => Reading::Nothing,
        })
    }
}

struct Yes;
impl Ask for Yes {
    fn ask(&mut self, _: &str, _: Option<Duration>) -> Option<bool> {
        Some(true)
    }
}

fn windows() -> Options {
    Options { os: Some(Os::Windows), allow_disruptive: true, ..Options::default() }
}

#[test]
fn typed_changes_are_verified_persisted_once_confirmed_and_undone_exactly() {
    let dir = dir("windows-round-trip");
    let checks = [
        failing("c.route", vec![iphelper::new_route("224.0.0.0/4", 12, 1)]),
        failing("c.rule", vec![windows_firewall::allow_sip(5060, Some("Ethernet 2"))]),
        failing("c.metric", vec![iphelper::set_interface_metric(12, 5)]),
        // A PowerShell line with no typed operation is printed, never run.
        failing("c.never", vec![windows_firewall::disable_rule("Block SIP")]),
    ];
    let plan = plan(&checks, &windows());
    assert_eq!(plan.steps[3].action, crate::plan::Action::Print, "{plan:#?}");
    let mut host = Windows::default();
    let settings = Settings { confirm_within: Duration::from_secs(60), ..Settings::default() };
    let applied = apply(&plan, &mut host, &dir, &settings, &mut armed, &mut Yes).unwrap();
    let results: Vec<&StepResult> = applied.results.iter().map(|(_, r)| r).collect();
    assert_eq!(results[..3], [&StepResult::Verified, &StepResult::Verified, &StepResult::Verified]);
    assert_eq!(applied.journal.state, RunState::Confirmed);
    // Confirmed: the route and the metric are written to the persistent store by their PowerShell
    // commands; the rule is persistent as added.
    assert_eq!(
        host.powershell,
        [
            "New-NetRoute -DestinationPrefix 224.0.0.0/4 -InterfaceIndex 12 -RouteMetric 1 -PolicyStore PersistentStore",
            "Set-NetIPInterface -InterfaceIndex 12 -AddressFamily IPv4 -InterfaceMetric 5",
        ]
    );
    let entries = &applied.journal.entries;
    assert_eq!(entries.iter().map(|e| e.persisted).collect::<Vec<_>>(), [true, false, true]);
    assert_eq!(entries[2].old.as_deref(), Some("interface metric 25 (automatic)"));
    assert_eq!(entries[0].new.as_deref(), Some("route present, metric 1"));
    // --undo: each store given back, last first, to exactly the state read before.
    let (record, results) = undo(&mut host, &dir).unwrap().unwrap();
    assert_eq!(record.state, RunState::Undone);
    assert_eq!(results, [(3, StepResult::Undone), (2, StepResult::Undone), (1, StepResult::Undone)]);
    assert!(host.routes.is_empty() && host.rules.is_empty());
    assert_eq!(host.metric, (25, true));
    assert_eq!(
        host.powershell[2..],
        [
            "Set-NetIPInterface -InterfaceIndex 12 -AddressFamily IPv4 -AutomaticMetric Enabled".to_owned(),
            "Remove-NetRoute -DestinationPrefix 224.0.0.0/4 -InterfaceIndex 12 -PolicyStore PersistentStore -Confirm:$false"
                .to_owned(),
        ]
    );
}

#[test]
fn a_typed_change_whose_check_still_fails_is_rolled_back_and_one_in_place_is_left_alone() {
    let dir = dir("windows-rollback");
    let rule = windows_firewall::allow_sip(5060, Some("Ethernet 2"));
    let checks = [
        failing("c.never", vec![rule.clone()]),
        failing("c.route", vec![iphelper::new_route("224.0.0.0/4", 12, 1)]),
    ];
    let mut host = Windows::default();
    host.routes.insert(12, 1);
    let settings = Settings { yes: true, confirm_within: Duration::from_secs(60), ..Settings::default() };
    let applied =
        apply(&plan(&checks, &windows()), &mut host, &dir, &settings, &mut armed, &mut Yes).unwrap();
    assert!(
        matches!(&applied.results[0].1, StepResult::RolledBack(why) if why.contains("c.never")),
        "{applied:?}"
    );
    assert_eq!(applied.results[1].1, StepResult::AlreadyInPlace);
    assert!(host.rules.is_empty());
    // The route in place before the run is not the run's: confirming writes nothing, undo keeps it.
    assert!(host.powershell.is_empty(), "{:?}", host.powershell);
    undo(&mut host, &dir).unwrap();
    assert_eq!(host.routes.get(&12), Some(&1));
}
