//! `pbx-membership`: the PBX host joined the group on the interface facing the phones, the OS routes
//! the group there, no stray adapter competes, something holds the PnP port, mcready's own probe comes
//! back, and a PBX answers it.
//!
//! Memberships are the ones read before mcready joined anything, so its own joins never count.

use std::net::IpAddr;

use serde_json::json;

use super::causes::Causes;
use super::firewall::{self, FirewallView};
use super::{InterfaceRule, Snapshot, check, fixed, manual, remedy};
use crate::facts::{Interface, InterfaceKind, group_label};
use crate::fix::{Fix, Step};
use crate::observed::{Answer, LATE_ANSWER_MS};
use crate::verdict::{Check, Status};

pub const ON_PNP_INTERFACE: &str = "membership.on-pnp-interface";
pub const GROUP_ROUTE: &str = "membership.group-route";
pub const OTHER_ADAPTERS: &str = "membership.other-adapters";
pub const PORT_HOLDER: &str = "membership.port-holder";
pub const LOOPBACK: &str = "membership.probe-loopback";
pub const PBX_ANSWERS: &str = "membership.pbx-answers";

/// The PnP interface is down or has no link: routes through it fail, so the link is the fix.
fn pnp_down(snapshot: &Snapshot) -> Option<&str> {
    snapshot.pnp_interface().filter(|i| !(i.flags.up && i.flags.running)).map(|i| i.name.as_str())
}

/// The other LAN adapters, when the PnP interface was only assumed and the group is joined on one of
/// them: then which adapter faces the phones is the open question, not a route.
fn joined_on_an_assumed_alternative(snapshot: &Snapshot) -> Option<Vec<&str>> {
    let others: Vec<&str> = assumed_other_lans(snapshot).iter().map(|i| i.name.as_str()).collect();
    let joined = snapshot.facts.members_of(IpAddr::V4(snapshot.group));
    joined.iter().any(|m| others.contains(&m.interface.as_str())).then_some(others)
}

/// The fix for a group joined elsewhere: the route, unless the link itself is down.
fn route_or_link(snapshot: &Snapshot, pnp: &str) -> Fix {
    if let Some(others) = joined_on_an_assumed_alternative(snapshot) {
        return remedy::name_the_phones_interface(snapshot.group, pnp, &others);
    }
    match pnp_down(snapshot) {
        Some(down) => Fix {
            text: format!(
                "Bring {down}'s link up first (see multicast.interface-flag): no route through it works while it is down. \
                 Then restart the PBX{} so it joins {} on {down}.",
                remedy::restart_pbx(&snapshot.facts),
                snapshot.group
            ),
            steps: vec![
                Step::manual(format!("bring {down}'s link up, as multicast.interface-flag says")),
                remedy::restart_step(&snapshot.facts),
            ],
        },
        None => remedy::route_group_via(snapshot.os, &snapshot.facts, snapshot.group, pnp),
    }
}

/// The fix when the OS already routes the group by the PnP interface: the PBX named the other
/// interface itself (its bind address or interface setting), so a route change moves nothing.
fn pbx_chose_itself(snapshot: &Snapshot, pnp: &str, joined_on: &[&str]) -> Fix {
    let address = snapshot
        .pnp_interface()
        .and_then(|i| i.ipv4.first())
        .map_or_else(String::new, |net| format!(" ({})", net.addr));
    Fix {
        text: format!(
            "The OS already sends {} out of {pnp}, so the PBX chose {} itself: set the PBX's SIP / PnP network \
             interface (or bind address) to {pnp}{address}, then restart it{} and check again.",
            snapshot.group,
            joined_on.join(", "),
            remedy::restart_pbx(&snapshot.facts)
        ),
        steps: vec![
            Step::manual(format!("set the PBX's SIP / PnP interface to {pnp}{address} in its settings")),
            remedy::restart_step(&snapshot.facts),
        ],
    }
}

/// The PBX in a container behind NAT, the one finding of that cause: the forward named, the fix.
fn pbx_behind_nat(
    snapshot: &Snapshot,
    pnp: &str,
    forward: &super::causes::NatForward,
    evidence: serde_json::Value,
) -> Check {
    let subnet = snapshot
        .pnp_interface()
        .and_then(|i| i.ipv4.first())
        .and_then(|net| net.network_address().map(|address| format!("{address}/{}", net.prefix_len)));
    fixed(
        ON_PNP_INTERFACE,
        Status::Fail,
        format!(
            "The PBX runs in a container behind NAT: {}. Nothing on this host's own network joined {}, and \
             multicast never crosses that NAT (a port forward carries unicast to this host's addresses only), \
             so the phones' SUBSCRIBEs never reach the PBX.",
            forward.describe(snapshot.port),
            snapshot.group
        ),
        remedy::pbx_container_on_the_lan(pnp, subnet.as_deref()),
        evidence,
    )
}

pub(super) fn on_pnp_interface(snapshot: &Snapshot, causes: &Causes) -> Check {
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
        )
        .lacking_evidence(super::INTERFACE_HOW);
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
        )
        .lacking_evidence("read the memberships by hand (`ip maddr`, `netsh interface ipv4 show joins`)");
    }
    if joined_on.is_empty()
        && let Some(forward) = &causes.pbx_behind_nat
    {
        return pbx_behind_nat(snapshot, pnp, forward, evidence);
    }
    if joined_on.is_empty() {
        return check(
            ON_PNP_INTERFACE,
            Status::Fail,
            format!(
                "No interface has joined {}: is the PBX running, with PnP enabled?",
                group_label(IpAddr::V4(snapshot.group))
            ),
            Some(manual(
                "Start the PBX and enable its PnP / auto-provisioning service, then check again. Before the PBX is \
                 installed, `mcready respond --url URL --allow MAC` can stand in for it.",
                "start the PBX with its PnP service on",
            )),
            evidence,
        );
    }
    // The phones' interface was only assumed, and the PBX joined on another LAN adapter: that one may
    // well be the phones'. Routing the group away from it could cut the phones off: ask instead.
    if let Some(other_lans) = joined_on_an_assumed_alternative(snapshot) {
        return fixed(
            ON_PNP_INTERFACE,
            Status::Warn,
            format!(
                "{} is joined on {}, not on {pnp}, which mcready only assumed faces the phones.",
                snapshot.group,
                joined_on.join(", ")
            ),
            remedy::name_the_phones_interface(snapshot.group, pnp, &other_lans),
            evidence,
        );
    }
    let through_us = if causes.answered_through_our_join {
        " Its answers during this run came only through mcready's own join on that interface."
    } else {
        ""
    };
    // When the OS already routes the group by the PnP interface, a route change moves nothing: the PBX
    // named the other interface itself (its bind address or interface setting).
    let routed_here = snapshot.facts.group_route.as_ref().and_then(|r| r.interface.as_deref()) == Some(pnp);
    let fix =
        if routed_here { pbx_chose_itself(snapshot, pnp, &joined_on) } else { route_or_link(snapshot, pnp) };
    fixed(
        ON_PNP_INTERFACE,
        Status::Fail,
        format!(
            "{} is joined on {}, not on {pnp} where the phones are: the PBX hears no phone.{through_us}",
            snapshot.group,
            joined_on.join(", ")
        ),
        fix,
        evidence,
    )
}

pub(super) fn group_route(snapshot: &Snapshot) -> Check {
    let route = snapshot.facts.group_route.as_ref();
    let evidence = json!({"group_route": route});
    let Some(route) = route else {
        return check(
            GROUP_ROUTE,
            Status::Skip,
            "The OS's route for the group was not read.".into(),
            None,
            evidence,
        )
        .lacking_evidence("read the route by hand (`ip route get 224.0.1.75`, `route print`)");
    };
    let target = snapshot.pnp_interface.as_deref().unwrap_or("the phones' interface");
    // A down link loses its routes: that is the link's failure (multicast.interface-flag), and a route
    // through a down interface cannot even be added.
    if let Some(down) = pnp_down(snapshot)
        && route.interface.as_deref() != Some(down)
    {
        return check(
            GROUP_ROUTE,
            Status::Skip,
            format!(
                "{down} is down, so the OS cannot route {} by it: the link is the cause (see multicast.interface-flag).",
                snapshot.group
            ),
            None,
            evidence,
        );
    }
    match route.interface.as_deref() {
        None => fixed(
            GROUP_ROUTE,
            Status::Fail,
            format!(
                "The OS has no route for {} (neither 224.0.0.0/4 nor a default route): a PBX that joins without naming \
                 an interface fails with ENODEV.",
                snapshot.group
            ),
            route_or_link(snapshot, target),
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
        Some(interface) => fixed(
            GROUP_ROUTE,
            Status::Warn,
            format!(
                "The OS sends {} out of {interface}, not {target}: a PBX that joins without naming an interface lands on {interface}.",
                snapshot.group
            ),
            route_or_link(snapshot, target),
            evidence,
        ),
    }
}

/// When the PnP interface was only assumed (the OS's route for the group, no `--phone`, `--peer` or
/// `-i`): the other active adapters that could just as well face the phones — a wired LAN, a bridge, or
/// a software link such as a veth or VLAN (not a named product's adapter such as docker0), with an IPv4
/// subnet. Never the assumed interface's own carriers.
fn assumed_other_lans(snapshot: &Snapshot) -> Vec<&Interface> {
    if matches!(snapshot.interface_rule, InterfaceRule::Interface | InterfaceRule::PhoneSubnet) {
        return Vec::new();
    }
    let protected = snapshot.pnp_interface.as_deref().map_or_else(Vec::new, |p| {
        let mut protected = snapshot.facts.carriers_of(p);
        protected.extend(snapshot.facts.riders_of(p));
        protected
    });
    snapshot
        .facts
        .interfaces
        .iter()
        .filter(|i| i.flags.up && i.flags.running && !i.flags.loopback && !protected.contains(&i.name))
        .filter(|i| {
            !i.ipv4.is_empty()
                && match i.kind {
                    InterfaceKind::Ethernet | InterfaceKind::Bridge => true,
                    InterfaceKind::Virtual => matches!(
                        i.kind_detail.as_deref(),
                        Some("veth" | "vlan" | "macvlan" | "ipvlan" | "bond")
                    ),
                    _ => false,
                }
        })
        .collect()
}

/// Why `interface` must never be taken down, whatever competes with the phones' interface: it
/// carries the default route (the uplink: trunks, SSH, updates), it serves the provisioning URL, it
/// is a bridge that carries containers or virtual machines (ports attached, or a runtime's or
/// hypervisor's own bridge: `docker0`, `br-…`, `virbr…`, `vmbr…`, `lxcbr…`), or it is a loopback.
/// `None` when taking it down harms nothing but itself.
pub(super) fn must_stay_up(snapshot: &Snapshot, interface: &Interface) -> Option<String> {
    let facts = &snapshot.facts;
    if interface.flags.loopback || interface.kind == InterfaceKind::Loopback {
        return Some("it is a loopback".into());
    }
    if facts.default_routes().iter().any(|r| r.interface.as_deref() == Some(interface.name.as_str())) {
        return Some("it carries the default route".into());
    }
    // The provisioning URL the PBX hands out is served from it.
    if let crate::observed::Observed::Done(fetch) = &snapshot.fetch
        && fetch
            .addresses
            .iter()
            .any(|ip| interface.ipv4.iter().chain(&interface.ipv6).any(|net| net.addr == *ip))
    {
        return Some(format!("it serves the provisioning URL, {}", fetch.host));
    }
    let ports = facts.stacking.iter().filter(|s| s.interface == interface.name).count();
    let runtime_bridge = ["docker", "br-", "virbr", "vmbr", "lxcbr", "lxdbr", "podman", "cni"]
        .iter()
        .any(|prefix| interface.name.starts_with(prefix))
        && matches!(interface.kind, InterfaceKind::Bridge | InterfaceKind::Virtual);
    let bridge = interface.kind == InterfaceKind::Bridge || runtime_bridge;
    match ports {
        _ if !bridge => None,
        0 => runtime_bridge.then(|| "it is a container or virtual-machine bridge".into()),
        1 => Some("it is a bridge with 1 port (a container, a virtual machine or a NIC)".into()),
        n => Some(format!("it is a bridge with {n} ports (containers, virtual machines or NICs)")),
    }
}

/// The group's route is pinned to the PnP interface: the most specific multicast route for the
/// group leaves by it (`ip route add 224.0.0.0/4 dev IFACE`, the fix this check and
/// `membership.group-route` give), and the OS sends the group there. No default route nor another
/// adapter can then take the group's route or a join without an interface.
fn route_pinned(snapshot: &Snapshot, pnp: &str) -> bool {
    let facts = &snapshot.facts;
    let routed = facts.group_route.as_ref().and_then(|r| r.interface.as_deref()) == Some(pnp);
    let group = IpAddr::V4(snapshot.group);
    let covering: Vec<_> =
        facts.multicast_routes().into_iter().filter(|r| r.destination.contains(group)).collect();
    let Some(prefix) = covering.iter().map(|r| r.destination.prefix_len).max() else { return false };
    // Windows puts a 224.0.0.0/4 route on every adapter: pinned only when the phones' ranks strictly first.
    let rank = |r: &crate::facts::Route| r.effective_metric.unwrap_or(r.metric);
    let (ours, others): (Vec<_>, Vec<_>) = covering
        .into_iter()
        .filter(|r| r.destination.prefix_len == prefix)
        .partition(|r| r.interface.as_deref() == Some(pnp));
    routed && ours.iter().map(|r| rank(r)).min().is_some_and(|best| others.iter().all(|r| rank(r) > best))
}

/// Adapters the PortSIP-style guidance says to disable on a PBX host: they attract the group's route
/// or the PBX's join. Never the phones' interface nor what it rides on (a bridge's ports, a VLAN's
/// parent, a bond's members), nor what must stay up ([`must_stay_up`]: the default route's adapter, a
/// bridge carrying containers or VMs): those are answered by pinning the group's route to the phones'
/// interface instead. Once the route is pinned there and the PBX joined there, nothing competes: pass.
/// When the phones' interface was only assumed (the group's route), a second LAN adapter may be the
/// phones' own: mcready asks for `--phone` or `-i` instead.
pub(super) fn other_adapters(snapshot: &Snapshot) -> Check {
    let pnp = snapshot.pnp_interface();
    let pnp_metric = pnp.and_then(|i| i.metric);
    let protected: Vec<String> = pnp.map_or_else(Vec::new, |p| {
        let mut protected = snapshot.facts.carriers_of(&p.name);
        protected.extend(snapshot.facts.riders_of(&p.name));
        protected
    });
    let active =
        |i: &&Interface| i.flags.up && i.flags.running && !i.flags.loopback && !protected.contains(&i.name);
    let other_lans = assumed_other_lans(snapshot);
    let suspicious = |i: &&Interface| {
        if other_lans.iter().any(|l| l.name == i.name) {
            return false;
        }
        let kind_to_disable = matches!(
            i.kind,
            InterfaceKind::Wifi | InterfaceKind::Bluetooth | InterfaceKind::Virtual | InterfaceKind::Tunnel
        );
        // A second wired LAN matters when it outranks the phones' interface.
        let outranks =
            i.kind == InterfaceKind::Ethernet && i.metric.is_some_and(|m| pnp_metric.is_none_or(|p| m < p));
        // An adapter without an IPv4 address can take neither the group's route nor an IPv4 join — and it
        // may be what the PnP interface rides on where the OS does not say so (the NIC under a Hyper-V
        // external switch, whose IP bindings Windows turns off): never offer to disable it.
        let addressed = !i.ipv4.is_empty();
        addressed && (kind_to_disable || outranks)
    };
    let found: Vec<&Interface> = snapshot.facts.interfaces.iter().filter(active).filter(suspicious).collect();
    let describe = |i: &&Interface| json!({"name": i.name, "kind": i.kind, "kind_detail": i.kind_detail, "metric": i.metric});
    let pinned = pnp.is_some_and(|p| {
        route_pinned(snapshot, &p.name)
            && snapshot.facts.members_of(IpAddr::V4(snapshot.group)).iter().any(|m| m.interface == p.name)
    });
    let evidence = json!({
        "adapters": found.iter().map(describe).collect::<Vec<_>>(),
        "other_lans": other_lans.iter().map(describe).collect::<Vec<_>>(),
        "protected": protected,
    });
    if found.is_empty() && other_lans.is_empty() {
        return check(
            OTHER_ADAPTERS,
            Status::Pass,
            "No Wi-Fi, Bluetooth, virtual, VPN or competing LAN adapter is active.".into(),
            None,
            evidence,
        );
    }
    let label = |i: &&Interface| {
        let metric = i.metric.map_or_else(String::new, |m| format!(", metric {m}"));
        format!("{} ({}{metric})", i.name, i.kind.as_str())
    };
    // The route is pinned to the phones' interface and the PBX joined there: the other adapters can
    // take neither, whatever their metric. A dual-homed or Docker host is then green.
    if pinned && other_lans.is_empty() {
        let pnp = pnp.map_or("", |p| p.name.as_str());
        return check(
            OTHER_ADAPTERS,
            Status::Pass,
            format!(
                "The group's route is pinned to {pnp} and the PBX joined there: {} cannot take it.",
                found.iter().map(label).collect::<Vec<_>>().join(", ")
            ),
            None,
            evidence,
        );
    }
    let mut summary = Vec::new();
    let mut fixes = Vec::new();
    if !other_lans.is_empty() {
        let names: Vec<&str> = other_lans.iter().map(|i| i.name.as_str()).collect();
        let assumed_name = pnp.map_or("no interface", |p| p.name.as_str());
        summary.push(format!(
            "More than one LAN adapter could face the phones ({}), and none was named.",
            other_lans.iter().map(label).collect::<Vec<_>>().join(", ")
        ));
        fixes.push(remedy::name_the_phones_interface(snapshot.group, assumed_name, &names));
    }
    if !found.is_empty() {
        summary.push(format!(
            "Other active adapters can take the group's route or the PBX's join: {}.",
            found.iter().map(label).collect::<Vec<_>>().join(", ")
        ));
        let (kept, removable): (Vec<&Interface>, Vec<&Interface>) =
            found.iter().copied().partition(|i| must_stay_up(snapshot, i).is_some());
        fixes.extend(removable.iter().map(|i| remedy::take_down(snapshot.os, &snapshot.facts, &i.name)));
        // What must stay up is answered by pinning the group's route to the phones' interface, which
        // also restarts the PBX.
        match pnp.filter(|_| !kept.is_empty() && other_lans.is_empty()) {
            Some(pnp) => {
                let (said, fix) = pin_instead(snapshot, &kept, &pnp.name);
                summary.push(said);
                fixes.push(fix);
            }
            None => fixes.push(Fix::one(
                format!(
                    "Restart the PBX afterwards{}, so it joins again.",
                    remedy::restart_pbx(&snapshot.facts)
                ),
                remedy::restart_step(&snapshot.facts),
            )),
        }
    }
    fixed(OTHER_ADAPTERS, Status::Warn, summary.join(" "), Fix::join(fixes), evidence)
}

/// What must stay up among the competing adapters, said with why, and the fix that answers them
/// instead: the group's route pinned to the phones' interface (`pnp`).
fn pin_instead(snapshot: &Snapshot, kept: &[&Interface], pnp: &str) -> (String, Fix) {
    let why: Vec<String> = kept
        .iter()
        .map(|i| format!("{} ({})", i.name, must_stay_up(snapshot, i).unwrap_or_default()))
        .collect();
    let said = format!("Never take down {}: pin the group's route to {pnp} instead.", why.join(" or "));
    (said, route_or_link(snapshot, pnp))
}

pub(super) fn port_holder(snapshot: &Snapshot, causes: &Causes) -> Check {
    let listeners = &snapshot.facts.listeners;
    let evidence = json!({"listeners": listeners});
    // One cause, said once under membership.on-pnp-interface: here only a pointer to it.
    if let Some(forward) = &causes.pbx_behind_nat {
        return check(
            PORT_HOLDER,
            Status::Skip,
            format!(
                "No PBX holds UDP {} on this host's own network: {} (see {ON_PNP_INTERFACE}).",
                snapshot.port,
                forward.describe(snapshot.port)
            ),
            None,
            evidence,
        );
    }
    if causes.no_pbx_here {
        return check(
            PORT_HOLDER,
            Status::Skip,
            format!("Nothing listens on UDP {}: no PBX runs here (see {ON_PNP_INTERFACE}).", snapshot.port),
            None,
            evidence,
        );
    }
    if listeners.is_empty() {
        return check(
            PORT_HOLDER,
            Status::Warn,
            format!("Nothing on this host listens on UDP {}: no PBX is running here.", snapshot.port),
            Some(manual(
                "Start the PBX (or check that its SIP port is the one given with `--port`).",
                "start the PBX",
            )),
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

pub(super) fn loopback(snapshot: &Snapshot, firewall: &FirewallView, causes: &Causes) -> Check {
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
        )
        .lacking_evidence("run while the PBX shares the port (or is stopped)");
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
    if let Some(drop) = &causes.probe_drop {
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
    if causes.host_drops() {
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
        Some(Fix::join([
            firewall.open_fix(snapshot.os),
            manual(
                format!(
                    "Check that the interface has the multicast flag and that nothing drops UDP {} on input.",
                    snapshot.port
                ),
                "check the interface's multicast flag and the input rules",
            ),
        ])),
        evidence,
    )
}

/// Phones heard in the listening window that a server on this host took on (a 2xx or a NOTIFY seen
/// leaving for them): `MAC (vendor model)` each.
fn phones_answered_here(snapshot: &Snapshot) -> Vec<String> {
    let local = snapshot.facts.addresses();
    let Some(listen) = snapshot.listen.done() else { return Vec::new() };
    listen
        .phones
        .iter()
        .filter(|p| p.answers.iter().any(|a| a.accepted() && local.contains(&a.responder.ip())))
        .map(|p| {
            let who = p.mac.clone().unwrap_or_else(|| p.source.to_string());
            let what: Vec<&str> = [p.vendor.as_deref(), p.model.as_deref()].into_iter().flatten().collect();
            if what.is_empty() { who } else { format!("{who} ({})", what.join(" ")) }
        })
        .collect()
}

/// `489 Bad Event from 198.51.100.10:5060 (Asterisk PBX 20)`.
fn refusal(answer: &Answer) -> String {
    let software = answer.user_agent.as_deref().map_or_else(String::new, |ua| format!(" ({ua})"));
    format!("{} from {}{software}", answer.status_line(), answer.responder)
}

pub(super) fn pbx_answers(snapshot: &Snapshot, causes: &Causes) -> Check {
    let Some(probe) = snapshot.probe.done() else {
        return skip_probe(PBX_ANSWERS, snapshot);
    };
    let answered_phones = phones_answered_here(snapshot);
    let evidence = if answered_phones.is_empty() {
        json!({"answers": probe.answers})
    } else {
        json!({"answers": probe.answers, "phones_answered_here": answered_phones})
    };
    let accepted: Vec<&Answer> = probe.answers.iter().filter(|a| a.accepted()).collect();
    let refused: Vec<&Answer> = probe.answers.iter().filter(|a| a.refused()).collect();
    if accepted.is_empty() && !answered_phones.is_empty() {
        return probe_ignored(&answered_phones, &refused, evidence);
    }
    if probe.answers.is_empty()
        && let Some(drop) = &causes.probe_drop
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
    if probe.answers.is_empty() && causes.host_drops() {
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
    if probe.answers.is_empty() && (causes.no_pbx_here || causes.pbx_behind_nat.is_some()) {
        let why =
            if causes.no_pbx_here { "no PBX runs on this host" } else { "this host's PBX sits behind NAT" };
        return check(
            PBX_ANSWERS,
            Status::Skip,
            format!(
                "No PnP server answered the probe: {why} (see {ON_PNP_INTERFACE}), and no other host answered."
            ),
            None,
            evidence,
        );
    }
    // A final error is no answer a phone can use: the server heard the SUBSCRIBE and does no PnP.
    if accepted.is_empty() && !refused.is_empty() {
        return refused_only(&refused, evidence);
    }
    let local: Vec<String> = accepted.iter().filter(|a| a.this_host).map(|a| a.describe()).collect();
    let remote: Vec<String> = accepted.iter().filter(|a| !a.this_host).map(|a| a.describe()).collect();
    // Never change what is measured: an answer that only mcready's own join let through is no answer
    // a phone would get.
    if !local.is_empty() && causes.answered_through_our_join {
        let pnp = snapshot.pnp_interface.as_deref().unwrap_or("the PnP interface");
        // When the phones' interface was only assumed, the PBX may be right and the assumption wrong.
        let status =
            if joined_on_an_assumed_alternative(snapshot).is_some() { Status::Warn } else { Status::Fail };
        return fixed(
            PBX_ANSWERS,
            status,
            format!(
                "The PBX on this host answered ({}) only because mcready itself joined {} on {pnp} for the probe: \
                 nothing had joined it there before, so phones on {pnp} get no answer.",
                local.join("; "),
                snapshot.group
            ),
            route_or_link(snapshot, pnp),
            evidence,
        );
    }
    judged(probe, &heard_after_the_window(snapshot), &local, &remote, evidence)
}

/// Responders the listening window's capture heard answer this host's probe that the probe itself did
/// not list (they came after it stopped waiting): each still counts, as phones would meet it.
fn heard_after_the_window(snapshot: &Snapshot) -> Vec<String> {
    let (Some(probe), Some(listen)) = (snapshot.probe.done(), snapshot.listen.done()) else {
        return Vec::new();
    };
    let mut late: Vec<String> = listen
        .answers_heard
        .iter()
        .filter(|heard| !probe.answers.iter().any(|a| a.responder == heard.responder))
        .map(|heard| {
            let software = heard.software.as_deref().map_or_else(String::new, |s| format!(" ({s})"));
            format!("{}{software}, heard only after the probe's window", heard.responder)
        })
        .collect();
    late.dedup();
    late
}

/// No probe answer, but phones heard in the window were answered here: the PBX answers only phones it
/// supports.
fn probe_ignored(answered_phones: &[String], refused: &[&Answer], evidence: serde_json::Value) -> Check {
    // Phones get what the probe did not: the PBX answers only the phones it supports.
    let ignored = if refused.is_empty() {
        "ignored mcready's probe".to_owned()
    } else {
        format!(
            "refused mcready's probe ({})",
            refused.iter().map(|a| refusal(a)).collect::<Vec<_>>().join("; ")
        )
    };
    check(
        PBX_ANSWERS,
        Status::Warn,
        format!(
            "The PBX on this host {ignored} but answered phones heard in the window: {}. It answers only phones it \
             supports, so the probe could not judge its answer.",
            answered_phones.join(", ")
        ),
        Some(manual(
            "Nothing to fix for those phones. To judge the PBX's NOTIFY and provisioning URL too, probe as one of \
             them: `mcready check --as VENDOR` (snom, yealink, grandstream, audiocodes), or add mcready's probe MAC \
             to the PBX's allowed phones for the test.",
            "probe as one of the phones, or allow mcready's probe MAC in the PBX",
        )),
        evidence,
    )
}

/// Only final errors came: the servers heard the SUBSCRIBE and do no PnP.
fn refused_only(refused: &[&Answer], evidence: serde_json::Value) -> Check {
    let here = refused.iter().any(|a| a.this_host);
    let who = if here { "The SIP server on this host" } else { "Another host's SIP server" };
    check(
        PBX_ANSWERS,
        Status::Fail,
        format!(
            "{who} refused the PnP SUBSCRIBE: {}. A final error is no answer: phones get no provisioning URL.",
            refused.iter().map(|a| refusal(a)).collect::<Vec<_>>().join("; ")
        ),
        Some(remedy::pnp_refused(here)),
        evidence,
    )
}

/// The accepting answers (`local` on this host, `remote` elsewhere) judged: none, several, late, or one.
fn judged(
    probe: &crate::observed::ProbeReport,
    heard_late: &[String],
    local: &[String],
    remote: &[String],
    evidence: serde_json::Value,
) -> Check {
    // Every responder but the one that answered first, refusals included: a phone takes the first final
    // answer, an error too.
    let others = (probe.answers.len() + heard_late.len()).saturating_sub(1);
    let first_ms =
        probe.answers.iter().filter_map(|a| a.response_rtt_ms.or(a.notify_rtt_ms)).reduce(f64::min);
    let late = first_ms.filter(|ms| *ms > LATE_ANSWER_MS).map(|ms| {
        format!(
            " The first answer came {:.1} s after the SUBSCRIBE: phones that give up sooner get none.",
            ms / 1000.0
        )
    });
    let late_fix = "Find out why the PBX answers late (load, a slow PnP module, name lookups) and make it answer at once: \
                    phones wait about 5 s, some less.";
    match (remote.is_empty(), local.is_empty() && remote.is_empty()) {
        (_, true) => check(
            PBX_ANSWERS,
            Status::Fail,
            if heard_late.is_empty() {
                "No PnP server answered the probe.".into()
            } else {
                format!(
                    "No PnP server answered the probe in time: {}. Phones have stopped waiting by then.",
                    heard_late.join("; ")
                )
            },
            Some(manual(
                "Enable PnP (auto-provisioning by multicast) in the PBX and restart it; check its log for the SUBSCRIBE \
                 from mcready (User-Agent `mcready/…`). A PBX that answers only phones it supports ignores mcready's \
                 own probe: run with `--listen 120` and reboot a phone, or probe as a phone with `--as VENDOR`.",
                "enable PnP in the PBX and restart it",
            )),
            evidence,
        ),
        _ if others > 0 => {
            let listed: Vec<String> = probe
                .answers
                .iter()
                .map(|a| if a.accepted() { a.describe() } else { refusal(a) })
                .chain(heard_late.iter().cloned())
                .collect();
            check(
                PBX_ANSWERS,
                Status::Warn,
                format!(
                    "{} PnP servers answered ({}): phones take whichever answers first.{}",
                    listed.len(),
                    listed.join("; "),
                    late.unwrap_or_default()
                ),
                Some(manual(
                    "Turn PnP off on every server but one: a second or rogue server can take phones over.",
                    "turn PnP off on every server but one",
                )),
                evidence,
            )
        }
        (local_only, _) => {
            let summary = if local_only {
                format!("The PBX on this host answered: {}.", local.join("; "))
            } else {
                format!("Another host answers PnP: {}.", remote.join("; "))
            };
            match late {
                Some(late) => check(
                    PBX_ANSWERS,
                    Status::Warn,
                    summary + &late,
                    Some(manual(late_fix, "look into the late answer")),
                    evidence,
                ),
                None => check(PBX_ANSWERS, Status::Pass, summary, None, evidence),
            }
        }
    }
}

fn skip_probe(id: &'static str, snapshot: &Snapshot) -> Check {
    let summary = match &snapshot.probe {
        crate::observed::Observed::Skipped(reason) => format!("No probe was sent: {reason}"),
        _ if snapshot.passive => "`--no-probe`: nothing was sent, so this was not tested.".into(),
        _ => "No probe was sent.".into(),
    };
    check(id, Status::Skip, summary, None, json!({})).lacking_evidence(super::PROBE_HOW)
}
