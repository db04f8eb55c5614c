//! `network-multicast`: the interface can do multicast, nothing on the host drops the phones'
//! datagrams, the LAN carries multicast both ways, and an IGMP querier keeps snooping switches honest.

use serde_json::json;

use super::{Snapshot, check, remedy};
use crate::report::model::{Check, Status};

pub const INTERFACE_FLAG: &str = "multicast.interface-flag";
pub const DELIVERED: &str = "multicast.delivered-to-sockets";
pub const LAN_PATH: &str = "multicast.lan-path";
pub const QUERIER: &str = "multicast.igmp-querier";
pub const HOST_FIREWALL: &str = "multicast.host-firewall";

/// Whether these checks found that the host itself drops PnP datagrams (firewall or `rp_filter`): the
/// cause that other requirements must not be blamed for.
pub fn host_drops(checks: &[Check]) -> bool {
    [DELIVERED, HOST_FIREWALL]
        .iter()
        .filter_map(|id| super::find(checks, id))
        .any(|c| c.status == Status::Fail)
}

pub fn checks(snapshot: &Snapshot) -> Vec<Check> {
    vec![interface_flag(snapshot), delivered(snapshot), lan_path(snapshot), querier(snapshot)]
}

fn interface_flag(snapshot: &Snapshot) -> Check {
    let Some(interface) = snapshot.pnp_interface() else {
        return check(INTERFACE_FLAG, Status::Skip, "No PnP interface was chosen.".into(), None, json!({}));
    };
    let flags = interface.flags;
    let evidence = json!({"interface": interface.name, "flags": flags});
    if flags.up && flags.running && flags.multicast {
        check(
            INTERFACE_FLAG,
            Status::Pass,
            format!("{} is up, running and multicast-capable.", interface.name),
            None,
            evidence,
        )
    } else {
        let missing: Vec<&str> =
            [(flags.up, "up"), (flags.running, "running (link)"), (flags.multicast, "multicast")]
                .iter()
                .filter(|(on, _)| !on)
                .map(|(_, name)| *name)
                .collect();
        check(
            INTERFACE_FLAG,
            Status::Fail,
            format!("{} is not {}.", interface.name, missing.join(", not ")),
            Some(format!(
                "Bring the interface up with its multicast flag: `sudo ip link set {0} up multicast on`, and check its cable or Wi-Fi link.",
                interface.name
            )),
            evidence,
        )
    }
}

/// The proof of a host-side drop: the capture saw a phone's SUBSCRIBE arrive, no socket received it.
fn delivered(snapshot: &Snapshot) -> Check {
    let Some(listen) = snapshot.listen.done() else {
        return check(
            DELIVERED,
            Status::Skip,
            "Not observed: run with `--listen 120` and reboot a phone to see whether its datagrams reach the PBX's sockets."
                .into(),
            None,
            json!({}),
        );
    };
    let evidence =
        json!({"captured_not_delivered": listen.captured_not_delivered, "heard_by": listen.heard_by});
    if !listen.captured_not_delivered.is_empty() {
        let sources: Vec<String> = listen.captured_not_delivered.iter().map(ToString::to_string).collect();
        let interface = snapshot.pnp_interface.as_deref().unwrap_or("the PnP interface");
        return check(
            DELIVERED,
            Status::Fail,
            format!(
                "SUBSCRIBEs from {} reached {interface} (seen by capture) but no socket received them: a host firewall \
                 rule or a strict reverse-path filter dropped them.",
                sources.join(", ")
            ),
            Some(format!(
                "{} If no rule matches, {}",
                remedy::open_firewall(snapshot.os, snapshot.port),
                remedy::loosen_rp_filter(snapshot.os, interface)
            )),
            evidence,
        );
    }
    if listen.phones.is_empty() {
        return check(
            DELIVERED,
            Status::Skip,
            "No phone's SUBSCRIBE arrived in the window, so delivery could not be judged.".into(),
            None,
            evidence,
        );
    }
    check(
        DELIVERED,
        Status::Pass,
        "Every SUBSCRIBE that arrived was delivered to a socket.".into(),
        None,
        evidence,
    )
}

fn lan_path(snapshot: &Snapshot) -> Check {
    if let Some(peer) = snapshot.peer.done() {
        let evidence = json!({"peer": peer});
        if !peer.unicast.ok {
            return check(
                LAN_PATH,
                Status::Skip,
                format!(
                    "The peer {} did not answer unicast: it is down, not running `mcready respond`, or firewalled — so the \
                     multicast path was not judged.",
                    peer.peer
                ),
                None,
                evidence,
            );
        }
        return match (peer.here_to_peer.ok, peer.peer_to_here.ok) {
            (true, true) => check(
                LAN_PATH,
                Status::Pass,
                format!("Multicast crosses the LAN both ways between this host and {}.", peer.peer.ip()),
                None,
                evidence,
            ),
            (out, back) => {
                let blocked = match (out, back) {
                    (false, false) => "in both directions",
                    (false, true) => "from this host to the peer",
                    _ => "from the peer to this host",
                };
                check(
                    LAN_PATH,
                    Status::Fail,
                    format!(
                        "The peer {} answers unicast, but multicast is blocked {blocked}: a switch, IGMP snooping or a \
                         firewall between them drops it.",
                        peer.peer.ip()
                    ),
                    Some(format!(
                        "Let multicast for 224.0.1.75 through the switches between the hosts: {} Check the peer's own \
                         firewall for UDP {} too.",
                        remedy::enable_querier(),
                        snapshot.port
                    )),
                    evidence,
                )
            }
        };
    }
    if let Some(listen) = snapshot.listen.done()
        && (listen.lan_multicast_heard || !listen.phones.is_empty())
    {
        return check(
            LAN_PATH,
            Status::Pass,
            "Multicast from the LAN reached this host while listening.".into(),
            None,
            json!({"phones_heard": listen.phones.len()}),
        );
    }
    check(
        LAN_PATH,
        Status::Skip,
        "The path across the switch is untested: run `mcready respond` on a host on the phones' LAN and pass \
         `--peer IP`, or run with `--listen 120` and reboot a phone."
            .into(),
        None,
        json!({}),
    )
}

fn querier(snapshot: &Snapshot) -> Check {
    match &snapshot.querier {
        crate::observed::Observed::Done(report) => {
            let evidence = json!({"querier": report});
            match report.querier() {
                Some(source) => check(
                    QUERIER,
                    Status::Pass,
                    format!("An IGMP querier ({source}) serves the LAN: snooping switches keep the group's ports open."),
                    None,
                    evidence,
                ),
                None => check(
                    QUERIER,
                    Status::Warn,
                    "No IGMP querier answered. Switches with IGMP snooping then forget the PBX's membership after about \
                     260 s: PnP works right after a PBX restart, then stops."
                        .into(),
                    Some(remedy::enable_querier()),
                    evidence,
                ),
            }
        }
        crate::observed::Observed::Skipped(reason) => check(
            QUERIER,
            Status::Skip,
            format!("The IGMP querier was not looked for: {reason}"),
            None,
            json!({}),
        ),
        crate::observed::Observed::NotAsked => check(
            QUERIER,
            Status::Skip,
            if snapshot.passive {
                "`--no-probe` sends nothing, and finding a querier fast needs an IGMP join and leave; a general query \
                 (every 125 s) may be heard with `--listen 130`."
                    .into()
            } else {
                "The IGMP querier was not looked for.".into()
            },
            None,
            json!({}),
        ),
    }
}
