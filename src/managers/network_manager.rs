//! NetworkManager (`nmcli`): the one network manager that changes a connection's settings by command.
//! A change is kept in the connection profile: its keyfile rewritten by `nmcli --offline` (which
//! writes it as the daemon would, and works on any root), then `nmcli connection reload`; or, when the
//! keyfile is not known, `nmcli connection modify` on the live daemon.

use crate::fix::{Edit, Keep, Manager};

/// The connection active on `interface`, asked of NetworkManager when the command runs.
fn connection_of(interface: &str) -> String {
    format!("\"$(nmcli -g GENERAL.CONNECTION device show {interface})\"")
}

/// Keep a route for `destination` in the connection of `interface` (its keyfile `keyfile`, when known).
#[must_use]
pub fn keep_route(interface: &str, destination: &str, keyfile: Option<&str>) -> (String, Keep) {
    let connection = connection_of(interface);
    let command = format!("sudo nmcli connection modify {connection} +ipv4.routes {destination}");
    let keep = match keyfile {
        Some(file) => Keep::File {
            manager: Manager::NetworkManager,
            file: file.to_owned(),
            edit: Edit::Filter {
                command: format!("nmcli --offline connection modify +ipv4.routes {destination}"),
            },
            check: None,
            reload: Some("nmcli connection reload".into()),
        },
        None => Keep::Command {
            manager: Manager::NetworkManager,
            command: command.clone(),
            undo: format!("sudo nmcli connection modify {connection} -ipv4.routes {destination}"),
        },
    };
    (
        format!(
            "Make it persistent with NetworkManager, which manages {interface}: \
             `{command}` then `sudo nmcli device reapply {interface}`."
        ),
        keep,
    )
}

/// How to take a device off under NetworkManager (it would bring it back up otherwise).
#[must_use]
pub fn disconnect_command(interface: &str) -> String {
    format!("nmcli device disconnect {interface}")
}
