//! systemd-networkd: a `[Route]` section in the interface's `.network` file, loaded with
//! `networkctl reload`.

use crate::fix::{Manager, Step};

/// Keep a link-scope route for `destination` in `file` of `interface`.
#[must_use]
pub fn keep_route(interface: &str, destination: &str, file: &str) -> (String, Step) {
    (
        format!(
            "Make it persistent with systemd-networkd, which manages {interface}: add `[Route]` with \
             `Destination={destination}` and `Scope=link` to {file}, then `sudo networkctl reload`."
        ),
        super::netplan::kept_in(Manager::SystemdNetworkd, interface, destination, file),
    )
}
