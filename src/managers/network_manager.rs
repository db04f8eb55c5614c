//! NetworkManager (`nmcli`): the one network manager that changes a connection's settings by command.
//! A change is kept in the connection profile and applied by `nmcli device reapply`.

use crate::fix::{Manager, Os, Step};

/// The connection active on `interface`, asked of NetworkManager when the command runs.
fn connection_of(interface: &str) -> String {
    format!("\"$(nmcli -g GENERAL.CONNECTION device show {interface})\"")
}

/// Keep a route for `destination` in the connection of `interface`; undone by removing it from it.
#[must_use]
pub fn keep_route(interface: &str, destination: &str) -> (String, Step) {
    let connection = connection_of(interface);
    let command = format!("sudo nmcli connection modify {connection} +ipv4.routes {destination}");
    let step = Step::new(
        Os::Linux,
        Manager::NetworkManager,
        format!("keep the {destination} route in {interface}'s connection"),
        command.clone(),
    )
    .persistent()
    .undo(format!("sudo nmcli connection modify {connection} -ipv4.routes {destination}"));
    (
        format!(
            "Make it persistent with NetworkManager, which manages {interface}: \
             `{command}` then `sudo nmcli device reapply {interface}`."
        ),
        step,
    )
}

/// How to take a device off under NetworkManager (it would bring it back up otherwise).
#[must_use]
pub fn disconnect_command(interface: &str) -> String {
    format!("nmcli device disconnect {interface}")
}
