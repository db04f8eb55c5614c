//! ifupdown: an `up` line under the interface's stanza in `/etc/network/interfaces` (or a file it
//! sources), run each time the interface comes up.

use crate::fix::{Manager, Step};

/// Keep a route for `destination` out of `interface` in `file`.
#[must_use]
pub fn keep_route(interface: &str, destination: &str, file: &str) -> (String, Step) {
    (
        format!(
            "Make it persistent with ifupdown, which configures {interface}: add `up ip route add {destination} dev {interface}` \
             under `iface {interface}` in {file}."
        ),
        super::netplan::kept_in(Manager::Ifupdown, interface, destination, file),
    )
}
