//! `network-multicast`: the interface can do multicast, nothing on the host drops the phones'
//! datagrams, the LAN carries multicast both ways, and an IGMP querier keeps snooping switches honest.

use serde_json::json;

use super::{Snapshot, check, remedy};
use crate::facts::{FindingCertainty, SourceStatus};
use crate::report::model::{Check, Status};

pub const INTERFACE_FLAG: &str = "multicast.interface-flag";
pub const DELIVERED: &str = "multicast.delivered-to-sockets";
pub const LAN_PATH: &str = "multicast.lan-path";
pub const QUERIER: &str = "multicast.igmp-querier";
pub const HOST_FIREWALL: &str = "multicast.host-firewall";
pub const RP_FILTER: &str = "multicast.rp-filter";

/// Whether these checks found that the host itself drops PnP datagrams (firewall or `rp_filter`): the
/// cause that other requirements must not be blamed for.
pub fn host_drops(checks: &[Check]) -> bool {
    [DELIVERED, HOST_FIREWALL]
        .iter()
        .filter_map(|id| super::find(checks, id))
        .any(|c| c.status == Status::Fail)
}

pub fn checks(snapshot: &Snapshot) -> Vec<Check> {
    vec![
        interface_flag(snapshot),
        host_firewall(snapshot),
        rp_filter(snapshot),
        delivered(snapshot),
        lan_path(snapshot),
        querier(snapshot),
    ]
}

/// Rules of the host firewall that drop a PnP SUBSCRIBE on input, as read from nft/iptables.
fn host_firewall(snapshot: &Snapshot) -> Check {
    let firewall = &snapshot.facts.firewall;
    let evidence = json!({"sources": firewall.sources, "findings": firewall.findings});
    let describe = |f: &crate::facts::FirewallFinding| {
        let handle = f.handle.map_or_else(String::new, |h| format!(" (handle {h})"));
        format!("`{}` in {} {}{handle}", f.rule, f.table, f.chain)
    };
    let certain: Vec<String> =
        firewall.findings.iter().filter(|f| f.certainty == FindingCertainty::Drops).map(describe).collect();
    let possible: Vec<String> = firewall
        .findings
        .iter()
        .filter(|f| f.certainty == FindingCertainty::MayDrop)
        .map(|f| {
            let depends = if f.depends_on.is_empty() {
                String::new()
            } else {
                format!(" if {}", f.depends_on.join(", "))
            };
            format!("{}{depends}", describe(f))
        })
        .collect();
    let fix = || Some(remedy::open_firewall(snapshot.os, snapshot.port));
    if !certain.is_empty() {
        return check(
            HOST_FIREWALL,
            Status::Fail,
            format!("The host firewall drops PnP SUBSCRIBEs on input: {}.", certain.join("; ")),
            fix(),
            evidence,
        );
    }
    if !possible.is_empty() {
        return check(
            HOST_FIREWALL,
            Status::Warn,
            format!("The host firewall may drop PnP SUBSCRIBEs on input: {}.", possible.join("; ")),
            fix(),
            evidence,
        );
    }
    let read: Vec<String> = firewall
        .sources
        .iter()
        .filter(|s| s.status == SourceStatus::Read)
        .map(|s| s.command.clone())
        .collect();
    if firewall.incomplete() && read.is_empty() {
        let why: Vec<String> = firewall
            .sources
            .iter()
            .filter(|s| !matches!(s.status, SourceStatus::Read | SourceStatus::NotInstalled))
            .map(|s| format!("{}: {}", s.command, s.detail.as_deref().unwrap_or("not readable")))
            .collect();
        return check(
            HOST_FIREWALL,
            Status::Skip,
            format!("The host firewall could not be read ({}): run as root to read it.", why.join("; ")),
            None,
            evidence,
        );
    }
    // Until Windows Defender Firewall is read, nothing read means nothing known there, not "no firewall".
    if read.is_empty() && snapshot.os == super::OsFamily::Windows {
        return check(
            HOST_FIREWALL,
            Status::Skip,
            format!(
                "Windows Defender Firewall is not read by mcready yet. List its rules for UDP {0}: \
                 `Get-NetFirewallPortFilter | Where-Object {{ $_.Protocol -eq 'UDP' -and $_.LocalPort -eq {0} }} | Get-NetFirewallRule`.",
                snapshot.port
            ),
            None,
            evidence,
        );
    }
    let summary = if read.is_empty() {
        "No host firewall tool is installed (nft, iptables): nothing filters input here.".to_owned()
    } else {
        format!(
            "No host firewall rule drops UDP {} or 224.0.0.0/4 on input (read: {}).",
            snapshot.port,
            read.join(", ")
        )
    };
    check(HOST_FIREWALL, Status::Pass, summary, None, evidence)
}

/// A strict reverse-path filter drops datagrams whose source is not routed back by the interface they
/// came in on. Phones on the PnP subnet pass it, so strictness alone is no fault; with the proof of a
/// host drop (see [`delivered`]) and no firewall rule to explain it, it is the likely cause.
fn rp_filter(snapshot: &Snapshot) -> Check {
    let Some(interface) = snapshot.pnp_interface.as_deref() else {
        return check(RP_FILTER, Status::Skip, "No PnP interface was chosen.".into(), None, json!({}));
    };
    let Some(value) = snapshot.facts.firewall.effective_rp_filter(interface) else {
        return check(
            RP_FILTER,
            Status::Skip,
            format!("rp_filter of {interface} could not be read."),
            None,
            json!({}),
        );
    };
    let evidence = json!({"interface": interface, "effective_rp_filter": value});
    let unexplained_drop = snapshot.listen.done().is_some_and(|l| !l.captured_not_delivered.is_empty())
        && !snapshot.facts.firewall.findings.iter().any(|f| f.certainty == FindingCertainty::Drops);
    match value {
        1 if unexplained_drop => check(
            RP_FILTER,
            Status::Fail,
            format!(
                "Strict reverse-path filtering on {interface} (rp_filter=1) is the likely cause of the drop: no firewall \
                 rule explains it."
            ),
            Some(remedy::loosen_rp_filter(snapshot.os, interface)),
            evidence,
        ),
        1 => check(
            RP_FILTER,
            Status::Pass,
            format!(
                "{interface} filters reverse paths strictly (rp_filter=1); phones on its subnet pass it."
            ),
            None,
            evidence,
        ),
        _ => check(
            RP_FILTER,
            Status::Pass,
            format!(
                "{interface}'s reverse-path filter is {} (rp_filter={value}).",
                if value == 2 { "loose" } else { "off" }
            ),
            None,
            evidence,
        ),
    }
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
        let firewall_rule =
            snapshot.facts.firewall.findings.iter().any(|f| f.certainty == FindingCertainty::Drops);
        let strict = snapshot.facts.firewall.effective_rp_filter(interface) == Some(1);
        let likely = match (firewall_rule, strict) {
            (true, _) => "the host firewall dropped them (see its rule above)",
            (false, true) => {
                "no firewall rule explains it, so the strict reverse-path filter likely dropped them"
            }
            (false, false) => {
                "a host firewall rule mcready could not read, or a reverse-path filter, dropped them"
            }
        };
        return check(
            DELIVERED,
            Status::Fail,
            format!(
                "SUBSCRIBEs from {} reached {interface} (seen by capture) but no socket received them: {likely}.",
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
                "`--no-probe` sends nothing, and finding a querier fast needs an IGMP join and leave; add `--listen 130` \
                 to hear a querier's general query (sent every 125 s by default)."
                    .into()
            } else {
                "The IGMP querier was not looked for.".into()
            },
            None,
            json!({}),
        ),
    }
}
