//! systemd-networkd: a `[Route]` section in a drop-in of the interface's `.network` file
//! (`NAME.network.d/*.conf`, read after the file itself), loaded with `networkctl reload`.

use crate::fix::{Edit, Keep, Manager};

/// Keep a link-scope route for `destination` in a drop-in of `interface`'s `.network` file, when the
/// file is known.
#[must_use]
pub fn keep_route(interface: &str, destination: &str, file: Option<&str>) -> (String, Option<Keep>) {
    let shown = file.unwrap_or("its .network file");
    let text = format!(
        "Make it persistent with systemd-networkd, which manages {interface}: add `[Route]` with \
         `Destination={destination}` and `Scope=link` to {shown}, then `sudo networkctl reload`."
    );
    let keep = file.and_then(|f| f.rsplit('/').next()).filter(|name| name.ends_with(".network")).map(|name| {
        Keep::File {
            manager: Manager::SystemdNetworkd,
            file: format!("/etc/systemd/network/{name}.d/90-mcready.conf"),
            edit: Edit::Create {
                content: format!(
                    "# Written by `mcready fix`: the {destination} route of {interface}.\n[Route]\nDestination={destination}\nScope=link\n"
                ),
                private: false,
            },
            check: None,
            reload: None,
        }
    });
    (text, keep)
}
