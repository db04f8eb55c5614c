//! ifupdown: an `up` line under the interface's stanza in `/etc/network/interfaces` (or a file it
//! sources), run each time the interface comes up.

use crate::fix::{Edit, Keep, Manager};

/// Keep a route for `destination` out of `interface`: an `up` line under its stanza in `file`.
/// `replace`, not `add`: a route already there must not make `ifup` fail.
#[must_use]
pub fn keep_route(interface: &str, destination: &str, file: Option<&str>) -> (String, Option<Keep>) {
    let line = format!("up ip route replace {destination} dev {interface}");
    let text = format!(
        "Make it persistent with ifupdown, which configures {interface}: add `{line}` under `iface {interface}` in {}.",
        file.unwrap_or("/etc/network/interfaces")
    );
    let keep = file.map(|file| Keep::File {
        manager: Manager::Ifupdown,
        file: file.to_owned(),
        edit: Edit::Under { after: format!("iface {interface} "), lines: vec![format!("    {line}")] },
        check: None,
        reload: None,
    });
    (text, keep)
}
