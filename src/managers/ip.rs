//! `ip` (iproute2, netlink): routes and link flags. Every change here is runtime only: it is lost at
//! reboot unless the network manager in use keeps it (see the manager modules beside this one).

use crate::fix::{Manager, Os, Step};

/// What an `ip` step changes: the IPv4 routes of every table and the links (their queue lengths left
/// out, which nothing here sets).
const ROUTES_AND_LINKS: &str = "ip -4 route show table all; ip -o link show | sed 's/ qlen [0-9]*//'";

fn step(changes: String, command: String, undo: String) -> Step {
    Step::new(Os::Linux, Manager::Ip, changes, command).undo(undo).reads(ROUTES_AND_LINKS)
}

/// A link-scope route for `destination` out of `interface`.
#[must_use]
pub fn route_add(destination: &str, interface: &str) -> Step {
    step(
        format!("route {destination} out of {interface}"),
        format!("sudo ip route add {destination} dev {interface}"),
        format!("sudo ip route del {destination} dev {interface}"),
    )
    .in_place(format!("ip route show exact {destination} dev {interface} | grep -q ."))
}

/// Bring a link up (or take it down: `up` false). Taking a link down moves whatever else uses it, so
/// that direction is disruptive.
#[must_use]
pub fn link_up(interface: &str, up: bool) -> Step {
    let (now, then) = if up { ("up", "down") } else { ("down", "up") };
    let changes = if up { format!("bring {interface} up") } else { format!("take {interface} down") };
    let step = step(
        changes,
        format!("sudo ip link set {interface} {now}"),
        format!("sudo ip link set {interface} {then}"),
    );
    if up { step } else { step.disruptive() }
}

/// Turn a link's multicast flag on.
#[must_use]
pub fn multicast_on(interface: &str) -> Step {
    step(
        format!("turn on {interface}'s multicast flag"),
        format!("sudo ip link set {interface} multicast on"),
        format!("sudo ip link set {interface} multicast off"),
    )
}

/// Make a Linux bridge this host owns the IGMP querier of its LAN.
#[must_use]
pub fn bridge_querier(bridge: &str) -> Step {
    let file = format!("/sys/class/net/{bridge}/bridge/multicast_querier");
    step(
        format!("make bridge {bridge} the IGMP querier"),
        format!("sudo ip link set {bridge} type bridge mcast_querier 1"),
        format!("sudo ip link set {bridge} type bridge mcast_querier 0"),
    )
    .in_place(format!("[ \"$(cat {file})\" = '1' ]"))
    .reads(format!("cat {file}"))
}

/// A VLAN interface `IFACE.VLAN` on `interface`, tagged `vlan`; undone by deleting it.
#[must_use]
pub fn vlan_add(interface: &str, vlan: u16) -> Step {
    step(
        format!("add VLAN interface {interface}.{vlan}"),
        format!("sudo ip link add link {interface} name {interface}.{vlan} type vlan id {vlan}"),
        format!("sudo ip link del {interface}.{vlan}"),
    )
}
