//! What macOS shows about its network, parsed by pure functions: the text of `networksetup`,
//! `netstat -gn`, `netstat -rn -f inet`, `route -n get`, `lsof`, `sw_vers` and `pfctl`, and the raw
//! bytes of the socket-address structures `getifaddrs` hands back (`sockaddr_in`, `sockaddr_in6`,
//! `sockaddr_dl`, `if_data`).
//!
//! The macOS gatherer (`platform::macos`) only runs the tools and copies the bytes; everything that
//! decides is here, so it is built and tested on every OS with output captured from macOS and structure
//! layouts from Apple's headers (`tests/fixtures/macos/README.md` says where each sample comes from).
//! Every line and byte is untrusted: a row that does not parse is skipped and counted, never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::procfs::Parsed;
use crate::facts::{
    FirewallSource, Interface, InterfaceFlags, InterfaceKind, IpNet, RouteType, SourceStatus,
};
use crate::ruleset::{FirewallTool, Netfilter};

// ---------------------------------------------------------------------------------------------------
// networksetup -listallhardwareports

/// One "Hardware Port" block: the name System Settings shows and the BSD device behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardwarePort {
    /// `Wi-Fi`, `Ethernet`, `Bluetooth PAN`, `Thunderbolt Bridge`, `USB 10/100/1000 LAN`, …
    pub port: String,
    /// `en0`, `bridge0`, …
    pub device: String,
    pub mac: Option<String>,
}

/// Parses `networksetup -listallhardwareports`: blocks of `Hardware Port:`, `Device:` and `Ethernet
/// Address:` lines. A block without a device (the trailing "VLAN Configurations" banner) is dropped.
#[must_use]
pub fn parse_hardware_ports(text: &str) -> Vec<HardwarePort> {
    let mut ports = Vec::new();
    let mut current: Option<HardwarePort> = None;
    for line in text.lines().map(str::trim) {
        if let Some(port) = line.strip_prefix("Hardware Port:") {
            ports.extend(current.take().filter(|p| !p.device.is_empty()));
            current = Some(HardwarePort { port: port.trim().to_owned(), device: String::new(), mac: None });
        } else if let (Some(block), Some(device)) = (current.as_mut(), line.strip_prefix("Device:")) {
            device.trim().clone_into(&mut block.device);
        } else if let (Some(block), Some(mac)) = (current.as_mut(), line.strip_prefix("Ethernet Address:")) {
            let mac = mac.trim();
            // Ports without hardware (a VPN's virtual port) print "N/A" here.
            block.mac = (mac.contains(':')).then(|| mac.to_owned());
        }
    }
    ports.extend(current.filter(|p| !p.device.is_empty()));
    ports
}

// ---------------------------------------------------------------------------------------------------
// Adapter kinds

/// `ifi_type`/`sdl_type` values of `<net/if_types.h>` that macOS uses.
pub mod ift {
    pub const OTHER: u8 = 0x01;
    pub const ETHER: u8 = 0x06;
    pub const PPP: u8 = 0x17;
    pub const LOOP: u8 = 0x18;
    pub const GIF: u8 = 0x37;
    pub const STF: u8 = 0x39;
    pub const L2VLAN: u8 = 0x87;
    pub const IEEE8023ADLAG: u8 = 0x88;
    pub const BRIDGE: u8 = 0xd1;
    pub const CELLULAR: u8 = 0xff;
}

/// What macOS shows about one link: the `sockaddr_dl` type, its flags and the hardware port (if any)
/// `networksetup` maps to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MacLink {
    pub name: String,
    pub link_type: Option<u8>,
    pub loopback: bool,
    pub point_to_point: bool,
    /// The `Hardware Port:` name of this device, when `networksetup` lists it.
    pub hardware_port: Option<String>,
}

/// Name prefixes of macOS's own software interfaces, checked before the link type: `awdl0` and
/// `llw0` are `IFT_ETHER` too, but they are peer-to-peer links (Apple Wireless Direct Link, low-latency WLAN),
/// never the LAN.
const NAME_PREFIXES: &[(&str, InterfaceKind, &str)] = &[
    ("utun", InterfaceKind::Tunnel, "utun"),
    ("ipsec", InterfaceKind::Tunnel, "ipsec"),
    ("ppp", InterfaceKind::Tunnel, "ppp"),
    ("gif", InterfaceKind::Tunnel, "gif"),
    ("stf", InterfaceKind::Tunnel, "stf"),
    ("tun", InterfaceKind::Tunnel, "tun"),
    ("tap", InterfaceKind::Tunnel, "tap"),
    ("feth", InterfaceKind::Virtual, "feth"),
    ("awdl", InterfaceKind::Virtual, "awdl"),
    ("llw", InterfaceKind::Virtual, "llw"),
    ("ap", InterfaceKind::Virtual, "personal-hotspot"),
    ("anpi", InterfaceKind::Virtual, "anpi"),
    ("vmenet", InterfaceKind::Virtual, "virtualization"),
    ("vmnet", InterfaceKind::Virtual, "vmware"),
    ("vboxnet", InterfaceKind::Virtual, "virtualbox"),
    ("pktap", InterfaceKind::Other, "pktap"),
    ("iptap", InterfaceKind::Other, "iptap"),
];

/// The kind of a macOS link and what decided it.
#[must_use]
pub fn classify_link(link: &MacLink) -> (InterfaceKind, Option<String>) {
    let found = |kind, detail: &str| (kind, Some(detail.to_owned()));
    if link.loopback || link.link_type == Some(ift::LOOP) {
        return (InterfaceKind::Loopback, None);
    }
    if let Some(port) = link.hardware_port.as_deref() {
        let lower = port.to_ascii_lowercase();
        // "AirPort" is the name before OS X 10.7.
        if lower.contains("wi-fi") || lower.contains("airport") {
            return found(InterfaceKind::Wifi, "wi-fi");
        }
        if lower.contains("bluetooth") {
            return found(InterfaceKind::Bluetooth, "bluetooth-pan");
        }
        if lower == "thunderbolt bridge" {
            return found(InterfaceKind::Bridge, "thunderbolt-bridge");
        }
    }
    if let Some(&(_, kind, detail)) = NAME_PREFIXES.iter().find(|(prefix, _, _)| {
        // `ap1` is the hotspot; `appletalk`-like names do not exist, but insist on a digit after `ap`.
        link.name.strip_prefix(prefix).is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    }) {
        return found(kind, detail);
    }
    match link.link_type {
        Some(ift::BRIDGE) => found(InterfaceKind::Bridge, "bridge"),
        Some(ift::L2VLAN) => found(InterfaceKind::Ethernet, "vlan"),
        Some(ift::IEEE8023ADLAG) => found(InterfaceKind::Ethernet, "bond"),
        Some(ift::PPP | ift::GIF | ift::STF) => found(InterfaceKind::Tunnel, "point-to-point"),
        Some(ift::CELLULAR) => found(InterfaceKind::Other, "cellular"),
        Some(ift::ETHER) => match link.hardware_port.as_deref() {
            Some(port) if port.to_ascii_lowercase().starts_with("thunderbolt") => {
                found(InterfaceKind::Ethernet, "thunderbolt")
            }
            Some(port) => found(InterfaceKind::Ethernet, port),
            // An `en` the system lists no port for is still a NIC (an iPhone's USB link is listed);
            // any other Ethernet-typed link without a port is software.
            None if link.name.starts_with("en") => found(InterfaceKind::Ethernet, "ethernet"),
            None => found(InterfaceKind::Virtual, "virtual"),
        },
        _ if link.name.starts_with("bridge") => found(InterfaceKind::Bridge, "bridge"),
        _ if link.point_to_point => found(InterfaceKind::Tunnel, "point-to-point"),
        _ => (InterfaceKind::Other, None),
    }
}

// ---------------------------------------------------------------------------------------------------
// getifaddrs structures

/// A link-level address (`struct sockaddr_dl` of `<net/if_dl.h>`): interface index, type, hardware
/// address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkAddress {
    pub index: u16,
    pub link_type: u8,
    /// The hardware address as `aa:bb:cc:dd:ee:ff`; `None` when empty or all zero.
    pub mac: Option<String>,
}

/// Address families as Darwin numbers them in `sa_family`.
pub const AF_INET: u8 = 2;
pub const AF_LINK: u8 = 18;
/// `AF_INET6` is 30 on Darwin (not 10 as on Linux).
pub const AF_INET6: u8 = 30;

/// Decodes the bytes of a `sockaddr_dl`: `sdl_len`, `sdl_family`, `sdl_index` (u16, host order),
/// `sdl_type`, `sdl_nlen`, `sdl_alen`, `sdl_slen`, then `sdl_data` holding the name and the address.
#[must_use]
pub fn decode_sockaddr_dl(bytes: &[u8]) -> Option<LinkAddress> {
    if bytes.len() < 8 || bytes[1] != AF_LINK {
        return None;
    }
    let index = u16::from_ne_bytes([bytes[2], bytes[3]]);
    let (link_type, name_len, addr_len) = (bytes[4], usize::from(bytes[5]), usize::from(bytes[6]));
    // `sdl_len` may be shorter than the buffer handed in, never trust it beyond the buffer.
    let data = bytes.get(8..usize::from(bytes[0]).min(bytes.len()).max(8))?;
    let address = data.get(name_len..name_len.checked_add(addr_len)?)?;
    let mac = (!address.is_empty() && address.iter().any(|b| *b != 0))
        .then(|| address.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"));
    Some(LinkAddress { index, link_type, mac })
}

/// Decodes a `sockaddr_in` (len, family, port, 4 address bytes) or `sockaddr_in6` (len, family, port,
/// flow info, 16 address bytes, scope id) into its address.
#[must_use]
pub fn decode_sockaddr_ip(bytes: &[u8]) -> Option<IpAddr> {
    match *bytes.get(1)? {
        AF_INET => {
            let octets: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(octets)))
        }
        AF_INET6 => {
            let mut octets: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
            // The KAME stack embeds a link-local address's interface index in its second 16-bit word
            // (fe80:4::1 for fe80::1%en0); the index is not part of the address.
            if octets[0] == 0xfe && octets[1] & 0xc0 == 0x80 {
                octets[2] = 0;
                octets[3] = 0;
            }
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

/// The prefix length of a netmask as `getifaddrs` gives it. macOS often shortens a mask's
/// `sockaddr` (`sa_len` 5 for 255.0.0.0, even 0 for /0): missing bytes are zero.
#[must_use]
pub fn netmask_prefix(bytes: &[u8], family_v6: bool) -> u8 {
    let (start, width) = if family_v6 { (8, 16) } else { (4, 4) };
    let mask = bytes.get(start..).unwrap_or_default();
    let ones: u32 = mask
        .iter()
        .take(width)
        .map(|b| b.leading_ones())
        .scan(true, |contiguous, ones| {
            // A non-contiguous mask counts its leading run only.
            if !*contiguous {
                return Some(0);
            }
            *contiguous = ones == 8;
            Some(ones)
        })
        .sum();
    u8::try_from(ones).unwrap_or(0)
}

/// The MTU from the leading bytes of `struct if_data` (`<net/if_var.h>`): eight one-byte fields, then
/// `ifi_mtu` as a u32 in host order.
#[must_use]
pub fn if_data_mtu(bytes: &[u8]) -> Option<u32> {
    let mtu: [u8; 4] = bytes.get(8..12)?.try_into().ok()?;
    Some(u32::from_ne_bytes(mtu)).filter(|mtu| *mtu > 0)
}

// ---------------------------------------------------------------------------------------------------
// getifaddrs entries → interfaces

/// One `struct ifaddrs` entry as copied out of the list: the name, the flags and the raw bytes of its
/// addresses (decoded here, so the whole path from bytes to [`Interface`] is tested).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IfaddrsEntry {
    pub name: String,
    pub flags: u32,
    /// The `sockaddr` of `ifa_addr`, `sa_len` bytes (empty when absent).
    pub address: Vec<u8>,
    /// The `sockaddr` of `ifa_netmask`; macOS shortens it, so it may be shorter than a `sockaddr_in`.
    pub netmask: Vec<u8>,
    /// For a link (`AF_LINK`) entry, the leading bytes of its `struct if_data` (type and MTU).
    pub if_data: Vec<u8>,
}

// `ifa_flags` bits of `<net/if.h>`.
const IFF_UP: u32 = 0x1;
const IFF_LOOPBACK: u32 = 0x8;
const IFF_POINTOPOINT: u32 = 0x10;
const IFF_RUNNING: u32 = 0x40;
const IFF_MULTICAST: u32 = 0x8000;

/// Folds `getifaddrs` entries (one per address, the link entry among them) into one [`Interface`]
/// each, in index order, its kind decided with the hardware ports `networksetup` listed.
#[must_use]
pub fn assemble_interfaces(entries: &[IfaddrsEntry], ports: &[HardwarePort]) -> Vec<Interface> {
    let mut interfaces: Vec<(Interface, MacLink)> = Vec::new();
    for entry in entries {
        let position = if let Some(position) = interfaces.iter().position(|(i, _)| i.name == entry.name) {
            position
        } else {
            interfaces.push(blank_interface(entry));
            interfaces.len() - 1
        };
        let (interface, link) = &mut interfaces[position];
        match entry.address.get(1).copied() {
            Some(AF_LINK) => {
                if let Some(address) = decode_sockaddr_dl(&entry.address) {
                    interface.index = u32::from(address.index);
                    interface.mac = address.mac;
                    link.link_type = Some(address.link_type);
                }
                interface.mtu = if_data_mtu(&entry.if_data);
            }
            Some(family @ (AF_INET | AF_INET6)) => {
                if let Some(addr) = decode_sockaddr_ip(&entry.address) {
                    let net = IpNet::new(addr, netmask_prefix(&entry.netmask, family == AF_INET6));
                    if addr.is_ipv4() { interface.ipv4.push(net) } else { interface.ipv6.push(net) }
                }
            }
            _ => {}
        }
    }
    let mut interfaces: Vec<Interface> = interfaces
        .into_iter()
        .map(|(mut interface, mut link)| {
            link.hardware_port = ports.iter().find(|p| p.device == interface.name).map(|p| p.port.clone());
            (interface.kind, interface.kind_detail) = classify_link(&link);
            // The hardware port is the name System Settings shows ("Wi-Fi", "USB 10/100/1000 LAN").
            interface.description = link.hardware_port;
            interface
        })
        .collect();
    interfaces.sort_by_key(|i| i.index);
    interfaces
}

/// An interface with the flags of its first entry; the link, addresses and kind are filled in later.
fn blank_interface(entry: &IfaddrsEntry) -> (Interface, MacLink) {
    let has = |bit: u32| entry.flags & bit != 0;
    let interface = Interface {
        name: entry.name.clone(),
        index: 0,
        id: None,
        kind: InterfaceKind::Other,
        kind_detail: None,
        description: None,
        flags: InterfaceFlags {
            up: has(IFF_UP),
            running: has(IFF_RUNNING),
            multicast: has(IFF_MULTICAST),
            loopback: has(IFF_LOOPBACK),
        },
        mac: None,
        mtu: None,
        ipv4: Vec::new(),
        ipv6: Vec::new(),
        // macOS ranks adapters by the order of their network services, not by a metric.
        metric: None,
        metric_automatic: None,
    };
    let link = MacLink {
        name: entry.name.clone(),
        loopback: has(IFF_LOOPBACK),
        point_to_point: has(IFF_POINTOPOINT),
        ..MacLink::default()
    };
    (interface, link)
}

// ---------------------------------------------------------------------------------------------------
// netstat -gn

/// One multicast group joined on one interface, as `netstat -gn` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub group: IpAddr,
    pub interface: String,
}

/// Parses `netstat -gn`: per address family a title line, a `Group … Netif` header, then rows of
/// group, link-layer address (or `<none>`) and interface. IPv6 groups carry their scope (`ff02::fb%en0`).
#[must_use]
pub fn parse_netstat_groups(text: &str) -> Parsed<GroupRow> {
    let mut parsed = Parsed::default();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.ends_with("Memberships") || line.starts_with("Group") {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let row = match fields.as_slice() {
            [group, _, interface] | [group, interface] => {
                let address = group.split('%').next().unwrap_or_default();
                address
                    .parse::<IpAddr>()
                    .ok()
                    .filter(IpAddr::is_multicast)
                    .map(|group| GroupRow { group, interface: (*interface).to_owned() })
            }
            _ => None,
        };
        match row {
            Some(row) => parsed.rows.push(row),
            None => parsed.skipped += 1,
        }
    }
    parsed
}

// ---------------------------------------------------------------------------------------------------
// netstat -rn -f inet

/// One IPv4 route as `netstat -rn -f inet` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    pub destination: IpNet,
    pub gateway: Option<IpAddr>,
    pub flags: String,
    pub interface: String,
}

impl RouteRow {
    /// The kernel's kind of route, from the flags: `B` blackhole, `R` reject, `b` broadcast.
    #[must_use]
    pub fn route_type(&self) -> RouteType {
        if self.flags.contains('B') {
            RouteType::Blackhole
        } else if self.flags.contains('R') {
            RouteType::Unreachable
        } else if self.flags.contains('b') {
            RouteType::Broadcast
        } else {
            RouteType::Unicast
        }
    }
}

/// Parses the `Internet:` table of `netstat -rn`. The columns are found from the header, since macOS
/// versions differ (`Refs` and `Use` were dropped in macOS 10.13). Link-layer entries (flag `L`: the
/// ARP cache and resolved multicast MACs) are neighbours, not routes, and are left out without counting.
#[must_use]
pub fn parse_netstat_routes(text: &str) -> Parsed<RouteRow> {
    let mut parsed = Parsed::default();
    let mut columns: Option<(usize, usize)> = None; // (flags, netif)
    let mut in_inet = false;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.ends_with(':') && !line.contains(' ') {
            in_inet = line == "Internet:";
            columns = None;
            continue;
        }
        if line.starts_with("Routing tables") || !in_inet {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.first() == Some(&"Destination") {
            let at = |name| fields.iter().position(|f| *f == name);
            columns = at("Flags").zip(at("Netif"));
            continue;
        }
        let Some((flags_at, netif_at)) = columns else {
            parsed.skipped += 1;
            continue;
        };
        let (Some(destination), Some(gateway), Some(flags), Some(interface)) =
            (fields.first(), fields.get(1), fields.get(flags_at), fields.get(netif_at))
        else {
            parsed.skipped += 1;
            continue;
        };
        if flags.contains('L') {
            continue;
        }
        match parse_destination(destination, flags.contains('H')) {
            Some(destination) => parsed.rows.push(RouteRow {
                destination,
                gateway: gateway.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
                flags: (*flags).to_owned(),
                interface: (*interface).to_owned(),
            }),
            None => parsed.skipped += 1,
        }
    }
    parsed
}

/// A destination as BSD `netstat` abbreviates it: `default`, `10.10.10/24`, or `192.168.220` and `127`
/// (trailing zero octets dropped, and with them a mask as long as the octets printed), or a host.
fn parse_destination(text: &str, host: bool) -> Option<IpNet> {
    if text == "default" {
        return Some(IpNet::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
    }
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok().filter(|p| *p <= 32)?)),
        None => (text, None),
    };
    let octets: Vec<u8> = address.split('.').map(|o| o.parse::<u8>().ok()).collect::<Option<_>>()?;
    if octets.is_empty() || octets.len() > 4 {
        return None;
    }
    let mut full = [0u8; 4];
    full[..octets.len()].copy_from_slice(&octets);
    let implied = if host { 32 } else { u8::try_from(octets.len() * 8).ok()? };
    Some(IpNet::new(IpAddr::V4(Ipv4Addr::from(full)), prefix.unwrap_or(implied)))
}

// ---------------------------------------------------------------------------------------------------
// route -n get

/// What `route -n get GROUP` answered: the interface and, for a gateway route, the next hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteGet {
    pub destination: Option<String>,
    pub gateway: Option<IpAddr>,
    pub interface: Option<String>,
}

/// Parses `route -n get`: `key: value` lines (`route to`, `destination`, `gateway`, `interface`, …).
/// `None` when the text has no `interface:` line, as when the route is "not in table".
#[must_use]
pub fn parse_route_get(text: &str) -> Option<RouteGet> {
    let value = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_owned()).filter(|v| !v.is_empty())
        })
    };
    let interface = value("interface")?;
    Some(RouteGet {
        destination: value("destination"),
        gateway: value("gateway").and_then(|g| g.parse().ok()),
        interface: Some(interface),
    })
}

// ---------------------------------------------------------------------------------------------------
// lsof -nP -iUDP:PORT

/// One UDP socket on the port, and its owner, as `lsof` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LsofRow {
    pub command: String,
    pub pid: u32,
    /// The `USER` column when it is numeric (`lsof -l`, or a user without a name).
    pub uid: Option<u32>,
    pub protocol: &'static str,
    pub local: SocketAddr,
}

/// Parses `lsof +c 0 -nP -iUDP:PORT`: `COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME`. A command
/// name may hold spaces (`+c 0` prints it whole), so the columns are counted back from `TYPE`; the
/// address is what follows `UDP`; `*` is the wildcard address, IPv6 addresses are in brackets.
#[must_use]
pub fn parse_lsof_udp(text: &str) -> Parsed<LsofRow> {
    let mut parsed = Parsed::default();
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("COMMAND")) {
        match lsof_row(line) {
            Some(row) => parsed.rows.push(row),
            None => parsed.skipped += 1,
        }
    }
    parsed
}

fn lsof_row(line: &str) -> Option<LsofRow> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    // COMMAND may hold spaces and digits (`Bria 6`): count back from TYPE, which is FD's neighbour,
    // USER's second and PID's third.
    let type_at = fields.iter().position(|f| *f == "IPv4" || *f == "IPv6")?;
    let pid_at = type_at.checked_sub(3).filter(|at| *at > 0)?;
    let pid = fields.get(pid_at)?.parse().ok()?;
    let uid = fields.get(pid_at + 1).and_then(|u| u.parse().ok());
    let ip_version = fields.get(type_at)?;
    let udp_at = fields.iter().rposition(|f| *f == "UDP")?;
    let name = fields.get(udp_at + 1)?;
    let local = name.split("->").next()?;
    let (host, port) = local.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let v6 = *ip_version == "IPv6";
    let ip = match host {
        "*" if v6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        "*" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        bracketed if bracketed.starts_with('[') => {
            let inner = bracketed.strip_prefix('[')?.strip_suffix(']')?;
            IpAddr::V6(inner.split('%').next()?.parse().ok()?)
        }
        plain => plain.parse().ok()?,
    };
    Some(LsofRow {
        command: fields.get(..pid_at)?.join(" "),
        pid,
        uid,
        protocol: if v6 { "udp6" } else { "udp" },
        local: SocketAddr::new(ip, port),
    })
}

// ---------------------------------------------------------------------------------------------------
// sw_vers, pfctl

/// `sw_vers` as one line: `macOS 14.4.1 (23E224)`.
#[must_use]
pub fn parse_sw_vers(text: &str) -> Option<String> {
    let value = |key: &str| {
        text.lines().find_map(|line| line.trim().strip_prefix(key)).map(str::trim).filter(|v| !v.is_empty())
    };
    let version = value("ProductVersion:")?;
    let name = value("ProductName:").unwrap_or("macOS");
    Some(match value("BuildVersion:") {
        Some(build) => format!("{name} {version} ({build})"),
        None => format!("{name} {version}"),
    })
}

/// Whether pf is enabled, from the `Status:` line of `pfctl -si`.
#[must_use]
pub fn parse_pf_enabled(text: &str) -> Option<bool> {
    let status = text.lines().find_map(|line| line.trim().strip_prefix("Status:"))?;
    let word = status.split_whitespace().next()?;
    match word {
        "Enabled" => Some(true),
        "Disabled" => Some(false),
        _ => None,
    }
}

/// Whether the Application Firewall is on, from `socketfilterfw --getglobalstate`: `Firewall is
/// enabled. (State = 1)`, `… (State = 2)` when it blocks all incoming, `Firewall is disabled. (State = 0)`.
#[must_use]
pub fn parse_application_firewall(text: &str) -> Option<bool> {
    let state = text.split_once("State =")?.1.trim_start();
    let digits: String = state.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<u8>().ok().map(|state| state > 0)
}

/// What running `pfctl -sr` came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PfRead<'a> {
    /// It printed the ruleset.
    Rules(&'a str),
    /// The OS refused (reading `/dev/pf` needs root): its complaint.
    Denied(&'a str),
    NotInstalled,
    TimedOut(&'a str),
    /// Any other failure, in the tool's or the OS's words.
    Failed(&'a str),
}

/// The firewall source the report shows for pf, and the ruleset to judge when pf filters: `read` with
/// pf's state (`pfctl -si`) and the Application Firewall's (`socketfilterfw --getglobalstate`, which
/// filters per application and is not judged) when the rules were readable, else why not. A disabled
/// pf filters nothing, so its rules are not judged; an unknown state is judged as enabled.
#[must_use]
pub fn pf_source(
    read: PfRead<'_>,
    info: Option<&str>,
    application_firewall: Option<&str>,
) -> (FirewallSource, Option<Netfilter>) {
    let app_state = match application_firewall.and_then(parse_application_firewall) {
        Some(true) => "the Application Firewall is on (it filters per application; not judged)",
        Some(false) => "the Application Firewall is off",
        None => "the Application Firewall's state is unknown",
    };
    let mut ruleset = None;
    let (status, detail, rules, skipped) = match read {
        PfRead::Rules(text) => {
            let netfilter = crate::firewall::pf::read(text);
            let (rules, skipped) = (netfilter.rules, netfilter.skipped);
            let state = match info.and_then(parse_pf_enabled) {
                Some(false) => "pf is disabled: its rules filter nothing",
                enabled => {
                    ruleset = Some(netfilter);
                    if enabled.is_some() {
                        "pf is enabled"
                    } else {
                        "pf's state is unknown: judged as enabled"
                    }
                }
            };
            (SourceStatus::Read, format!("{state}; {app_state}"), rules, skipped)
        }
        PfRead::Denied(why) => (
            SourceStatus::PermissionDenied,
            format!("{} (reading pf needs root); {app_state}", why.trim()),
            0,
            0,
        ),
        PfRead::NotInstalled => {
            (SourceStatus::NotInstalled, format!("pfctl is not installed; {app_state}"), 0, 0)
        }
        PfRead::TimedOut(why) => (SourceStatus::TimedOut, why.to_owned(), 0, 0),
        PfRead::Failed(why) => (SourceStatus::Failed, format!("{}; {app_state}", why.trim()), 0, 0),
    };
    let source = FirewallSource {
        tool: FirewallTool::Pf,
        command: "pfctl -sr".into(),
        status,
        detail: Some(detail),
        rules,
        skipped,
    };
    (source, ruleset)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORTS: &str = include_str!("../../tests/fixtures/macos/networksetup-listallhardwareports.txt");

    #[test]
    fn hardware_ports_map_devices() {
        let ports = parse_hardware_ports(PORTS);
        let names: Vec<(&str, &str)> = ports.iter().map(|p| (p.port.as_str(), p.device.as_str())).collect();
        assert_eq!(
            names,
            [
                ("Ethernet", "en0"),
                ("Wi-Fi", "en1"),
                ("Bluetooth PAN", "en3"),
                ("Thunderbolt 1", "en2"),
                ("Thunderbolt Bridge", "bridge0"),
                ("USB 10/100/1000 LAN", "en7"),
            ]
        );
        assert_eq!(ports[1].mac.as_deref(), Some("a4:83:e7:12:34:57"));
        assert!(parse_hardware_ports("Device: en0\nHardware Port: \n").is_empty());
        let vpn = parse_hardware_ports("Hardware Port: VPN\nDevice: utun3\nEthernet Address: N/A\n");
        assert_eq!(vpn[0].mac, None);
    }

    fn link(name: &str, link_type: u8, port: Option<&str>) -> MacLink {
        MacLink {
            name: name.into(),
            link_type: Some(link_type),
            hardware_port: port.map(str::to_owned),
            ..MacLink::default()
        }
    }

    #[test]
    fn kinds_from_ports_names_and_types() {
        let kind = |l: &MacLink| classify_link(l);
        assert_eq!(kind(&link("en1", ift::ETHER, Some("Wi-Fi"))).0, InterfaceKind::Wifi);
        assert_eq!(kind(&link("en1", ift::ETHER, Some("AirPort"))).0, InterfaceKind::Wifi);
        assert_eq!(kind(&link("en3", ift::ETHER, Some("Bluetooth PAN"))).0, InterfaceKind::Bluetooth);
        assert_eq!(
            kind(&link("bridge0", ift::BRIDGE, Some("Thunderbolt Bridge"))),
            (InterfaceKind::Bridge, Some("thunderbolt-bridge".into()))
        );
        assert_eq!(
            kind(&link("en2", ift::ETHER, Some("Thunderbolt 1"))),
            (InterfaceKind::Ethernet, Some("thunderbolt".into()))
        );
        assert_eq!(
            kind(&link("en0", ift::ETHER, Some("Ethernet"))),
            (InterfaceKind::Ethernet, Some("Ethernet".into()))
        );
        assert_eq!(kind(&link("utun3", ift::OTHER, None)).0, InterfaceKind::Tunnel);
        assert_eq!(kind(&link("ipsec0", ift::OTHER, None)).0, InterfaceKind::Tunnel);
        assert_eq!(kind(&link("awdl0", ift::ETHER, None)), (InterfaceKind::Virtual, Some("awdl".into())));
        assert_eq!(kind(&link("llw0", ift::ETHER, None)).0, InterfaceKind::Virtual);
        assert_eq!(kind(&link("ap1", ift::ETHER, None)).0, InterfaceKind::Virtual);
        assert_eq!(kind(&link("bridge100", ift::BRIDGE, None)).0, InterfaceKind::Bridge);
        assert_eq!(kind(&link("gif0", ift::GIF, None)).0, InterfaceKind::Tunnel);
        assert_eq!(kind(&link("en5", ift::ETHER, None)).0, InterfaceKind::Ethernet);
        assert_eq!(kind(&link("vlan0", ift::L2VLAN, None)).0, InterfaceKind::Ethernet);
        let lo = MacLink { loopback: true, ..link("lo0", ift::LOOP, None) };
        assert_eq!(kind(&lo), (InterfaceKind::Loopback, None));
        assert_eq!(kind(&MacLink { name: "x".into(), ..MacLink::default() }).0, InterfaceKind::Other);
    }

    /// A `sockaddr_dl` for `en0` with MAC 3c:07:54:12:34:56, laid out as `<net/if_dl.h>` declares it
    /// (index 4, `IFT_ETHER`, name length 3, address length 6).
    fn en0_sockaddr_dl() -> Vec<u8> {
        let mut bytes = vec![20, AF_LINK];
        bytes.extend_from_slice(&4u16.to_ne_bytes());
        bytes.extend_from_slice(&[ift::ETHER, 3, 6, 0]);
        bytes.extend_from_slice(b"en0");
        bytes.extend_from_slice(&[0x3c, 0x07, 0x54, 0x12, 0x34, 0x56]);
        bytes.extend_from_slice(&[0, 0, 0]);
        bytes
    }

    #[test]
    fn sockaddr_dl_gives_index_type_and_mac() {
        let link = decode_sockaddr_dl(&en0_sockaddr_dl()).expect("decodes");
        assert_eq!(
            link,
            LinkAddress { index: 4, link_type: ift::ETHER, mac: Some("3c:07:54:12:34:56".into()) }
        );
        // utun: no hardware address.
        let mut utun = vec![20, AF_LINK, 12, 0, ift::OTHER, 5, 0, 0];
        utun.extend_from_slice(b"utun3");
        utun.resize(20, 0);
        assert_eq!(decode_sockaddr_dl(&utun).and_then(|l| l.mac), None);
    }

    #[test]
    fn sockaddr_dl_never_reads_past_its_bytes() {
        let mut lying = en0_sockaddr_dl();
        lying[6] = 200; // sdl_alen far beyond the buffer
        assert_eq!(decode_sockaddr_dl(&lying), None);
        lying[0] = 255;
        assert_eq!(decode_sockaddr_dl(&lying), None);
        assert_eq!(decode_sockaddr_dl(&[]), None);
        assert_eq!(decode_sockaddr_dl(&[8, AF_INET, 0, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn sockaddr_in_and_in6_and_masks() {
        let v4 = [16, AF_INET, 0x13, 0xc4, 192, 168, 1, 44, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(decode_sockaddr_ip(&v4), Some(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 44))));
        let mut v6 = vec![28, AF_INET6, 0, 0, 0, 0, 0, 0];
        v6.extend_from_slice(&"fe80::1".parse::<Ipv6Addr>().unwrap().octets());
        v6.extend_from_slice(&[0, 0, 0, 4]);
        assert_eq!(decode_sockaddr_ip(&v6), Some("fe80::1".parse().unwrap()));
        assert_eq!(decode_sockaddr_ip(&v6[..10]), None);
        // The embedded scope of a KAME link-local address is dropped.
        let mut kame = vec![28, AF_INET6, 0, 0, 0, 0, 0, 0];
        kame.extend_from_slice(&"fe80:4::1".parse::<Ipv6Addr>().unwrap().octets());
        kame.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(decode_sockaddr_ip(&kame), Some("fe80::1".parse().unwrap()));
        assert_eq!(decode_sockaddr_ip(&[16, 99]), None);

        assert_eq!(netmask_prefix(&[16, AF_INET, 0, 0, 255, 255, 255, 0], false), 24);
        // A shortened mask sockaddr, as macOS gives for 255.0.0.0.
        assert_eq!(netmask_prefix(&[5, AF_INET, 0, 0, 255], false), 8);
        assert_eq!(netmask_prefix(&[], false), 0);
        let mut mask6 = vec![28, AF_INET6, 0, 0, 0, 0, 0, 0];
        mask6.extend_from_slice(&[0xff; 8]);
        mask6.extend_from_slice(&[0; 8]);
        assert_eq!(netmask_prefix(&mask6, true), 64);
        assert_eq!(netmask_prefix(&[16, AF_INET, 0, 0, 255, 0, 255, 0], false), 8);
    }

    #[test]
    fn entries_fold_into_classified_interfaces() {
        let mut if_data = vec![ift::ETHER, 0, 0, 6, 14, 0, 0, 0];
        if_data.extend_from_slice(&1500u32.to_ne_bytes());
        let mut wifi_link = en0_sockaddr_dl();
        wifi_link[2..4].copy_from_slice(&6u16.to_ne_bytes());
        wifi_link[10] = b'1'; // en1
        let up = IFF_UP | IFF_RUNNING | IFF_MULTICAST;
        let entry = |name: &str, flags, address: Vec<u8>, netmask: Vec<u8>, if_data: Vec<u8>| IfaddrsEntry {
            name: name.into(),
            flags,
            address,
            netmask,
            if_data,
        };
        let mut lo_link = vec![20, AF_LINK];
        lo_link.extend_from_slice(&1u16.to_ne_bytes());
        lo_link.extend_from_slice(&[ift::LOOP, 3, 0, 0]);
        lo_link.extend_from_slice(b"lo0");
        lo_link.resize(20, 0);
        let entries = vec![
            entry("lo0", IFF_UP | IFF_LOOPBACK, lo_link, vec![], vec![]),
            entry(
                "lo0",
                IFF_UP | IFF_LOOPBACK,
                vec![16, AF_INET, 0, 0, 127, 0, 0, 1],
                vec![5, AF_INET, 0, 0, 255],
                vec![],
            ),
            entry("en1", up, wifi_link, vec![], if_data.clone()),
            entry(
                "en1",
                up,
                vec![16, AF_INET, 0, 0, 192, 168, 1, 44],
                vec![16, AF_INET, 0, 0, 255, 255, 255, 0],
                vec![],
            ),
            entry("en0", up, en0_sockaddr_dl(), vec![], if_data),
            // An entry of a family mcready does not read is ignored.
            entry("en0", up, vec![16, 99, 0, 0], vec![], vec![]),
        ];
        let ports = parse_hardware_ports(PORTS);
        let interfaces = assemble_interfaces(&entries, &ports);
        let names: Vec<&str> = interfaces.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["lo0", "en0", "en1"]);
        assert_eq!(interfaces[0].kind, InterfaceKind::Loopback);
        assert_eq!(interfaces[0].ipv4, [IpNet::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8)]);
        let en0 = &interfaces[1];
        assert_eq!((en0.index, en0.kind, en0.mtu), (4, InterfaceKind::Ethernet, Some(1500)));
        assert_eq!(en0.description.as_deref(), Some("Ethernet"));
        assert_eq!(en0.mac.as_deref(), Some("3c:07:54:12:34:56"));
        let en1 = &interfaces[2];
        assert_eq!((en1.index, en1.kind), (6, InterfaceKind::Wifi));
        assert!(en1.flags.up && en1.flags.running && en1.flags.multicast && !en1.flags.loopback);
        assert_eq!(en1.ipv4[0].to_string(), "192.168.1.44/24");
        // Without networksetup the Wi-Fi is not recognised: an `en` with no port is Ethernet.
        assert_eq!(assemble_interfaces(&entries, &[])[2].kind, InterfaceKind::Ethernet);
        assert!(assemble_interfaces(&[], &ports).is_empty());
    }

    #[test]
    fn if_data_mtu_reads_ifi_mtu() {
        let mut data = vec![ift::ETHER, 0, 0, 6, 14, 0, 0, 0];
        data.extend_from_slice(&1500u32.to_ne_bytes());
        assert_eq!(if_data_mtu(&data), Some(1500));
        assert_eq!(if_data_mtu(&data[..9]), None);
    }

    #[test]
    fn netstat_groups() {
        let parsed = parse_netstat_groups(include_str!("../../tests/fixtures/macos/netstat-gn.txt"));
        assert_eq!(parsed.skipped, 0);
        assert_eq!(parsed.rows.len(), 11);
        assert_eq!(
            parsed.rows[0],
            GroupRow { group: "224.0.1.75".parse().unwrap(), interface: "en0".into() }
        );
        assert!(
            parsed
                .rows
                .iter()
                .any(|r| r.group == "ff02::fb".parse::<IpAddr>().unwrap() && r.interface == "en0")
        );
        let junk = parse_netstat_groups("10.0.0.1 <none> en0\nnot a row at all here\n");
        assert_eq!((junk.rows.len(), junk.skipped), (0, 2));
    }

    #[test]
    fn netstat_routes_modern_and_with_refs() {
        let modern = parse_netstat_routes(include_str!("../../tests/fixtures/macos/netstat-rn-f-inet.txt"));
        assert_eq!(modern.skipped, 0);
        let find = |rows: &[RouteRow], dest: &str| {
            rows.iter()
                .find(|r| r.destination.to_string() == dest)
                .cloned()
                .unwrap_or_else(|| panic!("{dest}"))
        };
        let default = find(&modern.rows, "0.0.0.0/0");
        assert_eq!(
            (default.gateway, default.interface.as_str()),
            (Some("192.168.1.1".parse().unwrap()), "en0")
        );
        assert_eq!(modern.rows.iter().filter(|r| r.destination.prefix_len == 0).count(), 2);
        assert_eq!(find(&modern.rows, "224.0.0.0/4").interface, "en0");
        assert_eq!(find(&modern.rows, "192.168.1.0/24").gateway, None);
        assert_eq!(find(&modern.rows, "127.0.0.0/8").interface, "lo0");
        assert_eq!(find(&modern.rows, "127.0.0.1/32").interface, "lo0");
        assert_eq!(find(&modern.rows, "10.8.0.0/24").interface, "utun4");
        // ARP entries and resolved multicast MACs are not routes.
        assert!(!modern.rows.iter().any(|r| r.destination.to_string() == "224.0.0.251/32"));

        let old = parse_netstat_routes(include_str!("../../tests/fixtures/macos/netstat-rn-refs.txt"));
        assert_eq!(old.skipped, 0);
        assert_eq!(find(&old.rows, "192.168.220.0/24").interface, "vmnet8");
        assert_eq!(find(&old.rows, "224.0.0.0/4").interface, "en0");
        assert_eq!(find(&old.rows, "0.0.0.0/0").route_type(), RouteType::Unicast);
    }

    #[test]
    fn netstat_routes_skip_nonsense() {
        let text = "Internet:\nDestination Gateway Flags Netif Expire\n999.1 link#1 UC en0\n1.2.3.4.5 x UC en0\nshort\n\
                    Internet6:\nDestination Gateway Flags Netif Expire\n::1 ::1 UHL lo0\n";
        let parsed = parse_netstat_routes(text);
        assert_eq!((parsed.rows.len(), parsed.skipped), (0, 3));
        assert_eq!(parse_netstat_routes("Internet:\ndefault 1.1.1.1 UG en0\n").skipped, 1);
    }

    #[test]
    fn route_get() {
        let group = parse_route_get(include_str!("../../tests/fixtures/macos/route-get-group.txt")).unwrap();
        assert_eq!(group.interface.as_deref(), Some("en0"));
        assert_eq!(group.gateway, None);
        let default =
            parse_route_get(include_str!("../../tests/fixtures/macos/route-get-default.txt")).unwrap();
        assert_eq!(default.gateway, Some("192.168.1.1".parse().unwrap()));
        assert_eq!(default.interface.as_deref(), Some("en1"));
        assert_eq!(parse_route_get("route: writing to routing socket: not in table\n"), None);
        assert_eq!(parse_route_get("  interface:   \n"), None);
    }

    #[test]
    fn lsof_rows() {
        let parsed = parse_lsof_udp(include_str!("../../tests/fixtures/macos/lsof-udp-5060.txt"));
        assert_eq!(parsed.skipped, 0);
        let rows = parsed.rows;
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].command, "asterisk");
        assert_eq!(rows[0].pid, 4711);
        assert_eq!(rows[0].local, "0.0.0.0:5060".parse().unwrap());
        assert_eq!(rows[1].local, "[::1]:5060".parse().unwrap());
        assert_eq!(rows[1].protocol, "udp6");
        assert_eq!(rows[2].command, "Bria 6");
        assert_eq!(rows[2].local, "192.168.1.44:5060".parse().unwrap());
        assert_eq!(rows[2].uid, None);
        assert_eq!(rows[3].uid, Some(501));
        let junk = parse_lsof_udp("x y z\nasterisk 1 root 3u IPv4 0x1 0t0 UDP nowhere\n");
        assert_eq!((junk.rows.len(), junk.skipped), (0, 2));
    }

    #[test]
    fn sw_vers_and_pf() {
        assert_eq!(
            parse_sw_vers(include_str!("../../tests/fixtures/macos/sw_vers.txt")).as_deref(),
            Some("macOS 14.4.1 (23E224)")
        );
        assert_eq!(parse_sw_vers("ProductName: Mac OS X\n"), None);
        assert_eq!(parse_pf_enabled(include_str!("../../tests/fixtures/macos/pfctl-si.txt")), Some(true));
        assert_eq!(
            parse_pf_enabled("Status: Disabled                              Debug: Urgent\n"),
            Some(false)
        );
        assert_eq!(parse_pf_enabled("nothing"), None);
        assert_eq!(parse_application_firewall("Firewall is enabled. (State = 1)\n"), Some(true));
        assert_eq!(
            parse_application_firewall(
                "Firewall is blocking all non-essential incoming connections. (State = 2)"
            ),
            Some(true)
        );
        assert_eq!(parse_application_firewall("Firewall is disabled. (State = 0)\n"), Some(false));
        assert_eq!(parse_application_firewall("State = x"), None);
    }

    #[test]
    fn pf_source_reads_and_hands_over_the_ruleset_when_pf_filters() {
        let rules = include_str!("../../tests/fixtures/macos/pfctl-sr.txt");
        let info = include_str!("../../tests/fixtures/macos/pfctl-si.txt");
        let (read, ruleset) =
            pf_source(PfRead::Rules(rules), Some(info), Some("Firewall is enabled. (State = 1)"));
        assert_eq!(
            (read.tool, read.status, read.rules, read.skipped),
            (FirewallTool::Pf, SourceStatus::Read, 4, 0)
        );
        assert_eq!(
            read.detail.as_deref(),
            Some("pf is enabled; the Application Firewall is on (it filters per application; not judged)")
        );
        assert!(ruleset.is_some());
        let (disabled, none) = pf_source(PfRead::Rules(rules), Some("Status: Disabled"), Some("(State = 0)"));
        assert_eq!(
            disabled.detail.as_deref(),
            Some("pf is disabled: its rules filter nothing; the Application Firewall is off")
        );
        assert!(none.is_none());
        let (unknown, judged) = pf_source(PfRead::Rules(rules), None, None);
        assert!(unknown.detail.unwrap_or_default().starts_with("pf's state is unknown: judged as enabled"));
        assert!(judged.is_some());

        let (denied, none) = pf_source(PfRead::Denied("pfctl: /dev/pf: Permission denied\n"), None, None);
        assert_eq!(denied.status, SourceStatus::PermissionDenied);
        assert_eq!(
            denied.detail.as_deref(),
            Some(
                "pfctl: /dev/pf: Permission denied (reading pf needs root); the Application Firewall's state is unknown"
            )
        );
        assert!(none.is_none());
        assert_eq!(pf_source(PfRead::NotInstalled, None, None).0.status, SourceStatus::NotInstalled);
        assert_eq!(
            pf_source(PfRead::TimedOut("no answer within 5s"), None, None).0.status,
            SourceStatus::TimedOut
        );
    }

    proptest::proptest! {
        #[test]
        fn no_parser_panics_on_any_text(text in "\\PC{0,400}", bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = parse_hardware_ports(&text);
            let _ = parse_netstat_groups(&text);
            let _ = parse_netstat_routes(&text);
            let _ = parse_route_get(&text);
            let _ = parse_lsof_udp(&text);
            let _ = parse_sw_vers(&text);
            let _ = parse_pf_enabled(&text);
            let _ = parse_application_firewall(&text);
            let _ = pf_source(PfRead::Rules(&text), Some(&text), Some(&text));
            let _ = decode_sockaddr_dl(&bytes);
            let _ = decode_sockaddr_ip(&bytes);
            let _ = netmask_prefix(&bytes, bytes.len() % 2 == 0);
            let _ = if_data_mtu(&bytes);
            let entry = IfaddrsEntry { name: text.clone(), flags: 0xffff, address: bytes.clone(), netmask: bytes.clone(), if_data: bytes.clone() };
            let _ = assemble_interfaces(&[entry], &[]);
        }

        #[test]
        fn netstat_rows_with_any_destination_never_panic(dest in "[0-9./a-z%]{0,24}", flags in "[A-Za-z]{0,8}") {
            let text = format!("Internet:\nDestination Gateway Flags Netif Expire\n{dest} link#4 {flags} en0 !\n");
            let parsed = parse_netstat_routes(&text);
            proptest::prop_assert!(parsed.rows.len() + parsed.skipped <= 1);
        }
    }

    #[test]
    fn parsers_survive_arbitrary_bytes() {
        for text in [
            "",
            ":",
            "\0\u{feff}::::",
            "Internet:\nDestination Flags Netif\n/ / /",
            "[:",
            "COMMAND\n1 2 3 UDP [::1",
        ] {
            let _ = parse_hardware_ports(text);
            let _ = parse_netstat_groups(text);
            let _ = parse_netstat_routes(text);
            let _ = parse_route_get(text);
            let _ = parse_lsof_udp(text);
            let _ = parse_sw_vers(text);
            let _ = decode_sockaddr_dl(text.as_bytes());
            let _ = decode_sockaddr_ip(text.as_bytes());
            let _ = netmask_prefix(text.as_bytes(), true);
        }
    }
}
