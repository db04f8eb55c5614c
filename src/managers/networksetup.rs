//! macOS' `route` and `networksetup`: a route taking effect at once (lost at reboot), and the service
//! order and enabled services, which are what macOS keeps. Services are named by the administrator
//! (the hardware port list maps a BSD device to its service), so those steps are manual.

use crate::fix::{Manager, Os, Persistence, Step};

/// A route for `destination` out of `interface`; undone by deleting it.
#[must_use]
pub fn route_add(destination: &str, interface: &str) -> Step {
    Step::new(
        Os::Macos,
        Manager::Networksetup,
        format!("route {destination} out of {interface}"),
        format!("sudo route -n add -net {destination} -interface {interface}"),
    )
    .undo(format!("sudo route -n delete -net {destination} -interface {interface}"))
}

/// Put the service of `interface` first in the service order (the lasting fix for a join's interface).
#[must_use]
pub fn service_first(interface: &str) -> Step {
    Step {
        os: Os::Macos,
        manager: Manager::Networksetup,
        persistence: Persistence::Persistent,
        ..Step::manual(format!("put the service of {interface} first in the service order"))
    }
}

/// Disable the service of `interface`.
#[must_use]
pub fn disable_service(interface: &str) -> Step {
    Step {
        os: Os::Macos,
        manager: Manager::Networksetup,
        ..Step::manual(format!("disable the service of {interface}"))
    }
}

/// How to disable the service of `interface`, in words.
#[must_use]
pub fn disable_service_text(interface: &str) -> String {
    format!(
        "find the service of {interface} with `networksetup -listallhardwareports` and \
         `networksetup -listnetworkserviceorder`, then `sudo networksetup -setnetworkserviceenabled \"<service>\" off`"
    )
}
