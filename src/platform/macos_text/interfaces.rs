//! What macOS tells about each interface: the hardware ports `networksetup -listallhardwareports`
//! names, the raw socket-address structures `getifaddrs` hands back (`sockaddr_in`, `sockaddr_in6`,
//! `sockaddr_dl`, `if_data`), and the adapter kind from the two, folded into [`Interface`]s.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::facts::{Interface, InterfaceFlags, InterfaceKind, IpNet};

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
pub(super) const IFF_UP: u32 = 0x1;
pub(super) const IFF_LOOPBACK: u32 = 0x8;
const IFF_POINTOPOINT: u32 = 0x10;
pub(super) const IFF_RUNNING: u32 = 0x40;
pub(super) const IFF_MULTICAST: u32 = 0x8000;

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
