//! `pbx-membership`: the PBX host joined the group on the interface facing the phones, the OS routes
//! the group there, no stray adapter competes, something holds the PnP port, mcready's own probe comes
//! back, and a PBX answers it.
//!
//! Memberships are the ones read before mcready joined anything, so its own joins never count.

use std::net::IpAddr;

use serde_json::json;

use super::firewall::{self, FirewallView};
use super::multicast::host_drops;
use super::{Snapshot, check, remedy};
use crate::facts::{Interface, InterfaceKind};
use crate::report::model::{Check, Status};

pub const ON_PNP_INTERFACE: &str = "membership.on-pnp-interface";
pub const GROUP_ROUTE: &str = "membership.group-route";
pub const OTHER_ADAPTERS: &str = "membership.other-adapters";
pub const PORT_HOLDER: &str = "membership.port-holder";
pub const LOOPBACK: &str = "membership.probe-loopback";
pub const PBX_ANSWERS: &str = "membership.pbx-answers";

pub fn checks(snapshot: &Snapshot, multicast: &[Check], firewall: &FirewallView) -> Vec<Check> {
    vec![
        on_pnp_interface(snapshot),
        group_route(snapshot),
        other_adapters(snapshot),
        port_holder(snapshot),
        loopback(snapshot, multicast, firewall),
        pbx_answers(snapshot, multicast, firewall),
    ]
}

fn on_pnp_interface(snapshot: &Snapshot) -> Check {
    let joined_on: Vec<&str> =
        snapshot.facts.members_of(IpAddr::V4(snapshot.group)).iter().map(|m| m.interface.as_str()).collect();
    let evidence = json!({"pnp_interface": snapshot.pnp_interface, "joined_on": joined_on});
    let Some(pnp) = snapshot.pnp_interface.as_deref() else {
        return check(
            ON_PNP_INTERFACE,
            Status::Skip,
            "No PnP interface could be chosen (no route for the group, no `--interface`, `--phone` or `--peer`).".into(),
            None,
            evidence,
        );
    };
    if joined_on.contains(&pnp) {
        let others: Vec<&str> = joined_on.iter().copied().filter(|name| *name != pnp).collect();
        let also =
            if others.is_empty() { String::new() } else { format!(" (also on {})", others.join(", ")) };
        return check(
            ON_PNP_INTERFACE,
            Status::Pass,
            format!("{} is joined on {pnp}{also}.", snapshot.group),
            None,
            evidence,
        );
    }
    if joined_on.is_empty()
        && let Some(reason) = &snapshot.facts.memberships_unreadable
    {
        return check(
            ON_PNP_INTERFACE,
            Status::Skip,
            format!(
                "The group memberships could not be read ({reason}), so whether {pnp} joined is unknown."
            ),
            None,
            json!({"pnp_interface": snapshot.pnp_interface, "memberships_unreadable": reason}),
        );
    }
    if joined_on.is_empty() {
        return check(
            ON_PNP_INTERFACE,
            Status::Fail,
            format!("No interface has joined {} (sip.mcast.net): is the PBX running, with PnP enabled?", snapshot.group),
            Some(
                "Start the PBX and enable its PnP / auto-provisioning service, then check again. Before the PBX is \
                 installed, `mcready respond --url URL --allow MAC` can stand in for it."
                    .into(),
            ),
            evidence,
        );
    }
    // When the OS already routes the group by the PnP interface, a route change moves nothing: the PBX
    // named the other interface itself (its bind address or interface setting).
    let routed_here = snapshot.facts.group_route.as_ref().and_then(|r| r.interface.as_deref()) == Some(pnp);
    let fix = if routed_here {
        let address = snapshot
            .pnp_interface()
            .and_then(|i| i.ipv4.first())
            .map_or_else(String::new, |net| format!(" ({})", net.addr));
        format!(
            "The OS already sends {} out of {pnp}, so the PBX chose {} itself: set the PBX's SIP / PnP network \
             interface (or bind address) to {pnp}{address}, then restart it and check again.",
            snapshot.group,
            joined_on.join(", ")
        )
    } else {
        remedy::route_group_via(snapshot.os, &snapshot.facts, snapshot.group, pnp)
    };
    check(
        ON_PNP_INTERFACE,
        Status::Fail,
        format!(
            "{} is joined on {}, not on {pnp} where the phones are: the PBX hears no phone.",
            snapshot.group,
            joined_on.join(", ")
        ),
        Some(fix),
        evidence,
    )
}

fn group_route(snapshot: &Snapshot) -> Check {
    let route = snapshot.facts.group_route.as_ref();
    let evidence = json!({"group_route": route});
    let Some(route) = route else {
        return check(
            GROUP_ROUTE,
            Status::Skip,
            "The OS's route for the group was not read.".into(),
            None,
            evidence,
        );
    };
    let target = snapshot.pnp_interface.as_deref().unwrap_or("the phones' interface");
    match route.interface.as_deref() {
        None => check(
            GROUP_ROUTE,
            Status::Fail,
            format!(
                "The OS has no route for {} (neither 224.0.0.0/4 nor a default route): a PBX that joins without naming \
                 an interface fails with ENODEV.",
                snapshot.group
            ),
            Some(remedy::route_group_via(snapshot.os, &snapshot.facts, snapshot.group, target)),
            evidence,
        ),
        Some(interface) if Some(interface) == snapshot.pnp_interface.as_deref() => check(
            GROUP_ROUTE,
            Status::Pass,
            format!(
                "The OS sends {} out of {interface}, so a join without an interface lands there.",
                snapshot.group
            ),
            None,
            evidence,
        ),
        Some(interface) => check(
            GROUP_ROUTE,
            Status::Warn,
            format!(
                "The OS sends {} out of {interface}, not {target}: a PBX that joins without naming an interface lands on {interface}.",
                snapshot.group
            ),
            Some(remedy::route_group_via(snapshot.os, &snapshot.facts, snapshot.group, target)),
            evidence,
        ),
    }
}

/// Adapters the PortSIP-style guidance says to disable on a PBX host: they attract the group's route
/// or the PBX's join.
fn other_adapters(snapshot: &Snapshot) -> Check {
    let pnp = snapshot.pnp_interface();
    let pnp_metric = pnp.and_then(|i| i.metric);
    let suspicious = |i: &&Interface| {
        let active = i.flags.up && i.flags.running && !i.flags.loopback;
        let other = pnp.is_none_or(|p| p.name != i.name);
        let kind_to_disable = matches!(
            i.kind,
            InterfaceKind::Wifi | InterfaceKind::Bluetooth | InterfaceKind::Virtual | InterfaceKind::Tunnel
        );
        // A second wired LAN matters when it outranks the phones' interface.
        let outranks =
            i.kind == InterfaceKind::Ethernet && i.metric.is_some_and(|m| pnp_metric.is_none_or(|p| m < p));
        // An adapter without an IPv4 address can take neither the group's route nor an IPv4 join — and it
        // may be what the PnP interface rides on (a bridge port; the NIC under a Hyper-V external switch,
        // whose IP bindings Windows turns off): never offer to disable it.
        let addressed = !i.ipv4.is_empty();
        active && other && addressed && (kind_to_disable || outranks)
    };
    let found: Vec<&Interface> = snapshot.facts.interfaces.iter().filter(suspicious).collect();
    let evidence = json!({
        "adapters": found.iter().map(|i| json!({"name": i.name, "kind": i.kind, "kind_detail": i.kind_detail, "metric": i.metric})).collect::<Vec<_>>()
    });
    if found.is_empty() {
        return check(
            OTHER_ADAPTERS,
            Status::Pass,
            "No Wi-Fi, Bluetooth, virtual, VPN or competing LAN adapter is active.".into(),
            None,
            evidence,
        );
    }
    let names: Vec<String> = found
        .iter()
        .map(|i| {
            let metric = i.metric.map_or_else(String::new, |m| format!(", metric {m}"));
            format!("{} ({}{metric})", i.name, i.kind.as_str())
        })
        .collect();
    let fixes: Vec<String> = found.iter().map(|i| remedy::disable_adapter(snapshot.os, &i.name)).collect();
    check(
        OTHER_ADAPTERS,
        Status::Warn,
        format!("Other active adapters can take the group's route or the PBX's join: {}.", names.join(", ")),
        Some(format!(
            "Disable the adapters the PBX does not need — {} — or make the phones' interface the preferred one. \
             Restart the PBX afterwards.",
            fixes.join("; ")
        )),
        evidence,
    )
}

fn port_holder(snapshot: &Snapshot) -> Check {
    let listeners = &snapshot.facts.listeners;
    let evidence = json!({"listeners": listeners});
    if listeners.is_empty() {
        return check(
            PORT_HOLDER,
            Status::Warn,
            format!("Nothing on this host listens on UDP {}: no PBX is running here.", snapshot.port),
            Some("Start the PBX (or check that its SIP port is the one given with `--port`).".into()),
            evidence,
        );
    }
    // One line per owner: a PBX usually holds several sockets on the port (the group and its address).
    let mut holders: Vec<(String, Vec<String>)> = Vec::new();
    for listener in listeners {
        let owner = if listener.processes.is_empty() {
            listener.uid.map_or_else(|| "an unknown process".into(), |uid| format!("a process of uid {uid}"))
        } else {
            listener
                .processes
                .iter()
                .map(|p| format!("{} (pid {})", p.name, p.pid))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let socket = format!("{} {}", listener.protocol, listener.local);
        match holders.iter_mut().find(|(known, _)| *known == owner) {
            Some((_, sockets)) => sockets.push(socket),
            None => holders.push((owner, vec![socket])),
        }
    }
    let holders: Vec<String> = holders
        .into_iter()
        .map(|(owner, sockets)| format!("{owner} holds {}", sockets.join(" and ")))
        .collect();
    check(PORT_HOLDER, Status::Pass, format!("{}.", holders.join("; ")), None, evidence)
}

fn loopback(snapshot: &Snapshot, multicast: &[Check], firewall: &FirewallView) -> Check {
    let Some(probe) = snapshot.probe.done() else {
        return skip_probe(LOOPBACK, snapshot);
    };
    let evidence = json!({"loopback": probe.loopback});
    let Some(loopback) = &probe.loopback else {
        return check(
            LOOPBACK,
            Status::Skip,
            "The looped-back copy could not be watched: the group's port could not be shared.".into(),
            None,
            evidence,
        );
    };
    if loopback.arrived {
        let after = loopback.after_ms.map_or_else(String::new, |ms| format!(" after {ms:.1} ms"));
        return check(
            LOOPBACK,
            Status::Pass,
            format!("The probe's looped-back copy arrived{after}."),
            None,
            evidence,
        );
    }
    // The looped-back copy crosses the host's firewall twice (output, then input): when a rule certainly
    // drops it, that is the cause, reported under network-multicast, not here.
    if let Some(drop) = firewall.probe_drop() {
        return check(
            LOOPBACK,
            Status::Skip,
            format!(
                "The probe's looped-back copy did not arrive: the host firewall drops it ({}; see network-multicast).",
                firewall::describe(drop)
            ),
            None,
            evidence,
        );
    }
    if host_drops(multicast) {
        return check(
            LOOPBACK,
            Status::Skip,
            "The probe's looped-back copy did not arrive: the host firewall drops it (see network-multicast).".into(),
            None,
            evidence,
        );
    }
    check(
        LOOPBACK,
        Status::Fail,
        "The probe's looped-back copy never arrived: this host does not receive its own multicast on the PnP interface."
            .into(),
        Some(format!(
            "{} Check that the interface has the multicast flag and that nothing drops UDP {} on input.",
            remedy::open_firewall(snapshot.os, snapshot.port, firewall.fix_context.subnet.as_deref()),
            snapshot.port
        )),
        evidence,
    )
}

fn pbx_answers(snapshot: &Snapshot, multicast: &[Check], firewall: &FirewallView) -> Check {
    let Some(probe) = snapshot.probe.done() else {
        return skip_probe(PBX_ANSWERS, snapshot);
    };
    let evidence = json!({"answers": probe.answers});
    let describe = |a: &crate::observed::Answer| {
        let ua = a.user_agent.as_deref().map_or_else(String::new, |ua| format!(" ({ua})"));
        let url = a.provisioning_url.as_deref().map_or_else(String::new, |u| format!(", URL {u}"));
        format!("{}{ua}{url}", a.responder)
    };
    if probe.answers.is_empty()
        && let Some(drop) = firewall.probe_drop()
    {
        return check(
            PBX_ANSWERS,
            Status::Skip,
            format!(
                "No PnP server answered, but this host's firewall drops the probe before any PBX here could hear it \
                 ({}; see network-multicast).",
                firewall::describe(drop)
            ),
            None,
            evidence,
        );
    }
    if probe.answers.is_empty() && host_drops(multicast) {
        return check(
            PBX_ANSWERS,
            Status::Skip,
            "No PnP server answered, but this host's firewall drops the probe before any PBX here could hear it \
             (see network-multicast)."
                .into(),
            None,
            evidence,
        );
    }
    let local: Vec<String> = probe.answers.iter().filter(|a| a.this_host).map(describe).collect();
    let remote: Vec<String> = probe.answers.iter().filter(|a| !a.this_host).map(describe).collect();
    match (local.is_empty(), remote.is_empty()) {
        (true, true) => check(
            PBX_ANSWERS,
            Status::Fail,
            "No PnP server answered the probe.".into(),
            Some(
                "Enable PnP (auto-provisioning by multicast) in the PBX and restart it; check its log for the SUBSCRIBE \
                 from mcready (User-Agent `mcready/…`)."
                    .into(),
            ),
            evidence,
        ),
        (false, true) => check(PBX_ANSWERS, Status::Pass, format!("The PBX on this host answered: {}.", local.join("; ")), None, evidence),
        (true, false) => check(
            PBX_ANSWERS,
            if remote.len() > 1 { Status::Warn } else { Status::Pass },
            format!("Another host answers PnP: {}.", remote.join("; ")),
            (remote.len() > 1).then(|| {
                "More than one PnP server answers: phones take the first answer, so a second or rogue server can take \
                 them over. Turn PnP off on every server but one."
                    .to_owned()
            }),
            evidence,
        ),
        (false, false) => check(
            PBX_ANSWERS,
            Status::Warn,
            format!(
                "The PBX on this host answered ({}), and so did another server ({}): phones take whichever answers first.",
                local.join("; "),
                remote.join("; ")
            ),
            Some("Turn PnP off on every server but one: a second or rogue server can take phones over.".into()),
            evidence,
        ),
    }
}

fn skip_probe(id: &'static str, snapshot: &Snapshot) -> Check {
    let summary = match &snapshot.probe {
        crate::observed::Observed::Skipped(reason) => format!("No probe was sent: {reason}"),
        _ if snapshot.passive => "`--no-probe`: nothing was sent, so this was not tested.".into(),
        _ => "No probe was sent.".into(),
    };
    check(id, Status::Skip, summary, None, json!({}))
}
