//! rtnetlink requests: the link kinds, every route of every table, and the kernel's own route lookup
//! for the PnP group (what `ip -d link`, `ip route show table all` and `ip route get` ask).
//!
//! A blocking socket is enough: the kernel answers a dump at once and always ends it with `NLMSG_DONE`
//! or an error. Messages are untrusted all the same: one that does not decode is skipped and counted.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr};

use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteType as NlRouteType};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use crate::facts::{IpNet, Route, RouteType};

/// Replies of one request, plus how many messages could not be decoded.
pub struct Replies<T> {
    pub items: Vec<T>,
    pub undecodable: usize,
}

fn request(message: RouteNetlinkMessage, flags: u16) -> io::Result<Replies<RouteNetlinkMessage>> {
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;

    let mut packet = NetlinkMessage::from(message);
    packet.header.flags = NLM_F_REQUEST | flags;
    packet.header.sequence_number = 1;
    packet.finalize();
    let mut buffer = vec![0; packet.buffer_len()];
    packet.serialize(&mut buffer);
    socket.send(&buffer, 0)?;

    let is_dump = flags & NLM_F_DUMP != 0;
    let mut replies = Replies { items: Vec::new(), undecodable: 0 };
    loop {
        // `recv_from_full` peeks at the datagram's size first, so a large dump is never truncated.
        let (receive, _) = socket.recv_from_full()?;
        let size = receive.len();
        let mut offset = 0;
        while offset < size {
            let Some(bytes) = receive.get(offset..size) else { break };
            let Some(length) = bytes.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_ne_bytes) else {
                break;
            };
            let length = usize::try_from(length).unwrap_or(usize::MAX);
            let Some(one) = bytes.get(..length).filter(|_| length >= 16) else {
                replies.undecodable += 1;
                break;
            };
            offset += length.next_multiple_of(4);
            match NetlinkMessage::<RouteNetlinkMessage>::deserialize(one) {
                Ok(message) => match message.payload {
                    NetlinkPayload::Done(_) => return Ok(replies),
                    NetlinkPayload::Error(error) if error.code.is_some() => return Err(error.to_io()),
                    NetlinkPayload::InnerMessage(inner) => {
                        replies.items.push(inner);
                        if !is_dump {
                            return Ok(replies);
                        }
                    }
                    _ => {}
                },
                Err(_) => replies.undecodable += 1,
            }
        }
    }
}

/// One link as `RTM_GETLINK` describes it.
pub struct LinkRow {
    pub index: u32,
    pub name: String,
    pub up: bool,
    pub running: bool,
    pub multicast: bool,
    pub loopback: bool,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    /// `ARPHRD_*`.
    pub link_type: u16,
    /// `IFLA_INFO_KIND`: `veth`, `bridge`, `wireguard`…
    pub kind: Option<String>,
    /// `IFLA_MASTER`: the bridge or bond this link is a port or member of.
    pub master: Option<u32>,
    /// `IFLA_LINK`: the parent of a VLAN or macvlan (a veth's names its peer, maybe in another
    /// namespace: see `link_elsewhere`).
    pub link: Option<u32>,
    /// `IFLA_LINK_NETNSID` is present: `link` is an index in another namespace.
    pub link_elsewhere: bool,
}

/// Every link: one dump instead of netdev's per-interface sysfs reads, and it carries the link kind,
/// which netdev does not expose.
pub fn links() -> io::Result<Replies<LinkRow>> {
    let replies = request(RouteNetlinkMessage::GetLink(LinkMessage::default()), NLM_F_DUMP)?;
    let mut links = Vec::new();
    let mut undecodable = replies.undecodable;
    for message in replies.items {
        let RouteNetlinkMessage::NewLink(link) = message else { continue };
        let flags = link.header.flags;
        let mut row = LinkRow {
            index: link.header.index,
            name: String::new(),
            up: flags.contains(LinkFlags::Up),
            running: flags.contains(LinkFlags::Running),
            multicast: flags.contains(LinkFlags::Multicast),
            loopback: flags.contains(LinkFlags::Loopback),
            mtu: None,
            mac: None,
            link_type: u16::from(link.header.link_layer_type),
            kind: None,
            master: None,
            link: None,
            link_elsewhere: false,
        };
        for attribute in &link.attributes {
            match attribute {
                LinkAttribute::IfName(name) => row.name.clone_from(name),
                LinkAttribute::Mtu(mtu) => row.mtu = Some(*mtu),
                LinkAttribute::Address(bytes) => row.mac = bytes.as_slice().try_into().ok(),
                LinkAttribute::Controller(index) => row.master = Some(*index),
                LinkAttribute::Link(index) => row.link = Some(*index),
                LinkAttribute::LinkNetNsId(_) => row.link_elsewhere = true,
                LinkAttribute::LinkInfo(infos) => {
                    row.kind = infos.iter().find_map(|info| match info {
                        LinkInfo::Kind(kind) => Some(kind.to_string()),
                        _ => None,
                    });
                }
                _ => {}
            }
        }
        if row.name.is_empty() {
            undecodable += 1;
        } else {
            links.push(row);
        }
    }
    Ok(Replies { items: links, undecodable })
}

/// Every address: `(interface index, address with prefix)`.
pub fn addresses() -> io::Result<Replies<(u32, IpNet)>> {
    let replies = request(RouteNetlinkMessage::GetAddress(AddressMessage::default()), NLM_F_DUMP)?;
    let mut addresses = Vec::new();
    for message in replies.items {
        let RouteNetlinkMessage::NewAddress(address) = message else { continue };
        // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is always this host's own.
        let local = address.attributes.iter().find_map(|a| match a {
            AddressAttribute::Local(ip) => Some(*ip),
            _ => None,
        });
        let any = address.attributes.iter().find_map(|a| match a {
            AddressAttribute::Address(ip) => Some(*ip),
            _ => None,
        });
        if let Some(ip) = local.or(any) {
            addresses.push((address.header.index, IpNet::new(ip, address.header.prefix_len)));
        }
    }
    Ok(Replies { items: addresses, undecodable: replies.undecodable })
}

/// Every IPv4 and IPv6 route of every table.
pub fn routes(names: &HashMap<u32, String>) -> io::Result<Replies<Route>> {
    let replies = request(RouteNetlinkMessage::GetRoute(RouteMessage::default()), NLM_F_DUMP)?;
    let mut routes = Vec::new();
    let mut undecodable = replies.undecodable;
    for message in replies.items {
        let RouteNetlinkMessage::NewRoute(route) = message else { continue };
        match convert_route(&route, names) {
            Some(route) => routes.push(route),
            None => undecodable += 1,
        }
    }
    Ok(Replies { items: routes, undecodable })
}

/// The kernel's route for traffic to `group`: `(interface index, preferred source)`.
pub fn route_get(group: Ipv4Addr) -> io::Result<(Option<u32>, Option<Ipv4Addr>)> {
    let mut message = RouteMessage::default();
    message.header.address_family = AddressFamily::Inet;
    message.header.destination_prefix_length = 32;
    message.attributes.push(RouteAttribute::Destination(RouteAddress::Inet(group)));
    let replies = request(RouteNetlinkMessage::GetRoute(message), 0)?;
    let Some(RouteNetlinkMessage::NewRoute(route)) = replies.items.into_iter().next() else {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "the kernel answered no route"));
    };
    let mut found = (None, None);
    for attribute in &route.attributes {
        match attribute {
            RouteAttribute::Oif(index) => found.0 = Some(*index),
            RouteAttribute::PrefSource(RouteAddress::Inet(source)) => found.1 = Some(*source),
            _ => {}
        }
    }
    Ok(found)
}

fn convert_route(route: &RouteMessage, names: &HashMap<u32, String>) -> Option<Route> {
    let unspecified = match route.header.address_family {
        AddressFamily::Inet => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        AddressFamily::Inet6 => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        _ => return None,
    };
    let ip = |address: &RouteAddress| match address {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    };
    let mut destination = unspecified;
    let (mut gateway, mut interface_index, mut source, mut metric) = (None, None, None, 0);
    let mut table = u32::from(route.header.table);
    for attribute in &route.attributes {
        match attribute {
            RouteAttribute::Destination(address) => destination = ip(address)?,
            RouteAttribute::Gateway(address) => gateway = ip(address),
            RouteAttribute::PrefSource(address) => source = ip(address),
            RouteAttribute::Oif(index) => interface_index = Some(*index),
            RouteAttribute::Priority(priority) => metric = *priority,
            RouteAttribute::Table(id) => table = *id,
            _ => {}
        }
    }
    Some(Route {
        destination: IpNet::new(destination, route.header.destination_prefix_length),
        gateway,
        interface: interface_index.and_then(|index| names.get(&index).cloned()),
        interface_index,
        metric,
        effective_metric: None,
        table: table_name(table),
        route_type: route_type(route.header.kind),
        source,
    })
}

fn table_name(id: u32) -> String {
    match id {
        253 => "default".into(),
        254 => "main".into(),
        255 => "local".into(),
        other => other.to_string(),
    }
}

fn route_type(kind: NlRouteType) -> RouteType {
    match kind {
        NlRouteType::Unicast => RouteType::Unicast,
        NlRouteType::Local => RouteType::Local,
        NlRouteType::Broadcast => RouteType::Broadcast,
        NlRouteType::Multicast => RouteType::Multicast,
        NlRouteType::BlackHole => RouteType::Blackhole,
        NlRouteType::Unreachable => RouteType::Unreachable,
        NlRouteType::Prohibit => RouteType::Prohibit,
        _ => RouteType::Other,
    }
}
