//! netplan: the YAML under `/etc/netplan` that renders NetworkManager's or systemd-networkd's
//! configuration. Its files are edited by hand and applied with `netplan apply`, so a step here is the
//! administrator's edit, named with the file.

use crate::fix::{Manager, Os, Persistence, Step};

/// Keep a link-scope route for `destination` under `interface` in `file`.
#[must_use]
pub fn keep_route(interface: &str, destination: &str, file: &str) -> (String, Step) {
    (
        format!(
            "Make it persistent with netplan, which configures {interface}: add `routes: [{{to: {destination}, scope: link}}]` \
             under {interface} in {file}, then `sudo netplan apply`."
        ),
        kept_in(Manager::Netplan, interface, destination, file),
    )
}

/// A route kept in a configuration file the administrator edits: a manual, persistent step.
#[must_use]
pub fn kept_in(manager: Manager, interface: &str, destination: &str, file: &str) -> Step {
    Step {
        manager,
        os: Os::Linux,
        persistence: Persistence::Persistent,
        ..Step::manual(format!("keep the {destination} route of {interface} in {file}"))
    }
}
