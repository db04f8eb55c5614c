//! The words the executor needs for a Windows step's typed operation, as plain functions of the
//! operation and the state read before it: whether the change is in place already, the operation that
//! takes it back in the active store, and the PowerShell command that takes back its persistent form
//! (run once a confirmed run is undone). Values in, values out: `repair` runs them.

use crate::fix::{Native, Reading};
use crate::managers::iphelper;

/// Whether `op`'s change is in place already, from the state read before it: the route on that
/// interface at that metric, the metric set, a rule of that name (mcready's prefix: a rule of that
/// name is its own from an earlier run). A restart is meant to act every time.
#[must_use]
pub fn in_place(op: &Native, before: &Reading) -> bool {
    match (op, before) {
        (Native::AddRoute { metric, .. }, Reading::Route { metric: Some(now) }) => now == metric,
        (
            Native::SetInterfaceMetric { metric: Some(metric), .. },
            Reading::InterfaceMetric { metric: now, automatic },
        ) => !automatic && now == metric,
        (Native::AddFirewallRule(_), Reading::FirewallRule { present }) => *present,
        _ => false,
    }
}

/// The operation that takes `op` back, from the state read before it; `None` for a restart. A route
/// that was absent is deleted; one that was there at another metric (Windows' own on-link route for
/// the range, which the executor's add sets the metric of) gets its metric back.
#[must_use]
pub fn undo(op: &Native, before: &Reading) -> Option<Native> {
    match (op, before) {
        (Native::AddRoute { destination, interface_index, .. }, Reading::Route { metric: Some(metric) }) => {
            Some(Native::AddRoute {
                destination: destination.clone(),
                interface_index: *interface_index,
                metric: *metric,
            })
        }
        (Native::AddRoute { destination, interface_index, .. }, _) => {
            Some(Native::DeleteRoute { destination: destination.clone(), interface_index: *interface_index })
        }
        (
            Native::SetInterfaceMetric { interface_index, .. },
            Reading::InterfaceMetric { metric, automatic },
        ) => Some(Native::SetInterfaceMetric {
            interface_index: *interface_index,
            metric: (!automatic).then_some(*metric),
        }),
        (Native::AddFirewallRule(rule), _) => Some(Native::RemoveFirewallRule { name: rule.name.clone() }),
        _ => None,
    }
}

/// The PowerShell command that takes back the persistent form of `op` written once its run was
/// confirmed: the step's own undo for a route, the metric read before it for an interface metric.
/// `None` when the operation has no persistent form of its own (a firewall rule is persistent as
/// added; a restart).
#[must_use]
pub fn persistent_undo(op: &Native, step_undo: Option<&str>, before: &Reading) -> Option<String> {
    match (op, before) {
        (Native::AddRoute { .. }, _) => step_undo.map(str::to_owned),
        (
            Native::SetInterfaceMetric { interface_index, .. },
            Reading::InterfaceMetric { metric, automatic },
        ) => Some(iphelper::restore_metric_command(*interface_index, (!automatic).then_some(*metric))),
        _ => None,
    }
}

/// Whether `op` is written to the persistent store once its run is confirmed (through its step's
/// PowerShell command): IP Helper's calls reach the active store only.
#[must_use]
pub fn persists_on_confirm(op: &Native) -> bool {
    matches!(op, Native::AddRoute { .. } | Native::SetInterfaceMetric { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::managers::{iphelper, windows_firewall};

    #[test]
    fn a_route_is_in_place_at_its_metric_and_undone_by_deleting_it() {
        let step = iphelper::new_route("224.0.0.0/4", 12, 1);
        let op = step.native.clone().unwrap();
        assert!(in_place(&op, &Reading::Route { metric: Some(1) }));
        assert!(!in_place(&op, &Reading::Route { metric: Some(256) }));
        assert!(!in_place(&op, &Reading::Route { metric: None }));
        assert_eq!(
            undo(&op, &Reading::Route { metric: None }),
            Some(Native::DeleteRoute { destination: "224.0.0.0/4".into(), interface_index: 12 })
        );
        // Windows' own on-link route at 256 gets its metric back, and stays.
        assert_eq!(
            undo(&op, &Reading::Route { metric: Some(256) }),
            Some(Native::AddRoute { destination: "224.0.0.0/4".into(), interface_index: 12, metric: 256 })
        );
        assert!(persists_on_confirm(&op));
        assert_eq!(
            persistent_undo(&op, step.undo.as_deref(), &Reading::Route { metric: None }).as_deref(),
            Some(
                "Remove-NetRoute -DestinationPrefix 224.0.0.0/4 -InterfaceIndex 12 -PolicyStore PersistentStore -Confirm:$false"
            )
        );
    }

    #[test]
    fn an_interface_metric_is_set_back_to_the_value_read_before_it() {
        let op = iphelper::set_interface_metric(12, 269).native.unwrap();
        let automatic = Reading::InterfaceMetric { metric: 25, automatic: true };
        let manual = Reading::InterfaceMetric { metric: 40, automatic: false };
        assert!(!in_place(&op, &automatic));
        assert!(in_place(&op, &Reading::InterfaceMetric { metric: 269, automatic: false }));
        // An automatic metric goes back to automatic, not to the number Windows chose.
        assert_eq!(
            undo(&op, &automatic),
            Some(Native::SetInterfaceMetric { interface_index: 12, metric: None })
        );
        assert_eq!(
            undo(&op, &manual),
            Some(Native::SetInterfaceMetric { interface_index: 12, metric: Some(40) })
        );
        assert_eq!(
            persistent_undo(&op, None, &automatic).as_deref(),
            Some("Set-NetIPInterface -InterfaceIndex 12 -AddressFamily IPv4 -AutomaticMetric Enabled")
        );
        assert_eq!(
            persistent_undo(&op, None, &manual).as_deref(),
            Some("Set-NetIPInterface -InterfaceIndex 12 -AddressFamily IPv4 -InterfaceMetric 40")
        );
    }

    #[test]
    fn a_firewall_rule_is_removed_by_its_own_name_and_a_restart_has_no_undo() {
        let op = windows_firewall::allow_sip(5060, Some("Ethernet 2")).native.unwrap();
        let Native::AddFirewallRule(rule) = &op else { panic!("{op:?}") };
        assert_eq!(rule.name, "mcready SIP PnP");
        assert_eq!(
            (rule.protocol, rule.local_port, rule.interface.as_deref()),
            (17, Some(5060), Some("Ethernet 2"))
        );
        assert_eq!(rule.remote_addresses, "LocalSubnet");
        assert!(in_place(&op, &Reading::FirewallRule { present: true }));
        assert_eq!(
            undo(&op, &Reading::FirewallRule { present: false }),
            Some(Native::RemoveFirewallRule { name: "mcready SIP PnP".into() })
        );
        assert!(!persists_on_confirm(&op));
        // Without the adapter's alias the rule is the administrator's to place: no typed form.
        assert!(windows_firewall::allow_sip(5060, None).native.is_none());
        let restart = Native::RestartService { name: "3CXPhoneSystem01".into() };
        assert!(!in_place(&restart, &Reading::Nothing));
        assert_eq!(undo(&restart, &Reading::Nothing), None);
    }
}
