//! netplan: the YAML under `/etc/netplan` that renders NetworkManager's or systemd-networkd's
//! configuration. A lasting route is a file of mcready's own beside the administrator's, under the same
//! definition (netplan merges the files in name order and appends their routes), checked by
//! `netplan generate`, which renders it as the boot will.

use crate::fix::{Edit, Keep, Manager, Os, Persistence, Step};

/// netplan renders its files into systemd-networkd's or NetworkManager's configuration under `/run`,
/// as the boot does: the check of an edit, and its reload.
const GENERATE: &str = "netplan generate --root-dir {root}";

/// Keep a link-scope route for `destination` under `interface` in `file`; written by mcready when the
/// interface's definition (`TYPE/ID`, as netplan's files name it) is known.
#[must_use]
pub fn keep_route(
    interface: &str,
    destination: &str,
    file: &str,
    definition: Option<&str>,
) -> (String, Option<Keep>) {
    let text = format!(
        "Make it persistent with netplan, which configures {interface}: add `routes: [{{to: {destination}, scope: link}}]` \
         under {interface} in {file}, then `sudo netplan apply`."
    );
    let keep = definition.and_then(|d| d.split_once('/')).map(|(kind, id)| Keep::File {
        manager: Manager::Netplan,
        file: format!("/etc/netplan/90-mcready-{interface}.yaml"),
        edit: Edit::Create {
            content: format!(
                "# Written by `mcready fix`: the {destination} route of {interface}, merged by netplan into {file}'s \
                 definition.\nnetwork:\n  version: 2\n  {kind}:\n    {id}:\n      routes:\n        - to: {destination}\n          scope: link\n"
            ),
            private: true,
        },
        check: Some(GENERATE.into()),
        // Rendered again after an undo too, so that /run holds what the files say.
        reload: Some(GENERATE.into()),
    });
    (text, keep)
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
