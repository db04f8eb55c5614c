//! The IP Helper's MIB tables and rows as bytes, in the layouts Microsoft documents for 64-bit Windows
//! (netioapi.h, ws2ipdef.h): `MIB_MULTICASTIPADDRESS_TABLE` (what `netsh interface ipv4 show joins`
//! lists), `MIB_IPFORWARD_TABLE2` (the routes), `MIB_IPINTERFACE_ROW` (an interface's metric) and the
//! `SOCKADDR_INET` inside them. `platform::windows` hands over the bytes the OS filled; every reading of
//! them is here, bounds-checked and without `unsafe`, so the decoders are tested on every OS with rows
//! built byte by byte from the documented layouts (and, on Windows, the layouts are checked against the
//! `windows-sys` structures the calls fill).

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::facts::{IpNet, Route, RouteType};

/// `AF_INET` and `AF_INET6` as Windows numbers them (`ws2def.h`).
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 23;

/// `SOCKADDR_INET`: a union of `SOCKADDR_IN` (family, port, four address bytes at 4) and
/// `SOCKADDR_IN6` (family, port, flow info, sixteen address bytes at 8, scope id); 28 bytes.
pub const SOCKADDR_INET_SIZE: usize = 28;

/// Where the rows of a `MIB_*_TABLE2`-style table start: after the `ULONG NumEntries`, padded to the
/// 8-byte alignment the rows' `NET_LUID` needs.
pub const TABLE_ROWS_OFFSET: usize = 8;

/// `MIB_MULTICASTIPADDRESS_ROW`: `Address` (a `SOCKADDR_INET`) at 0, `InterfaceIndex` at 28,
/// `InterfaceLuid` at 32, `ScopeId` at 40; 48 bytes.
pub mod multicast_row {
    pub const ADDRESS: usize = 0;
    pub const INTERFACE_INDEX: usize = 28;
    pub const INTERFACE_LUID: usize = 32;
    pub const SCOPE_ID: usize = 40;
    pub const SIZE: usize = 48;
}

/// `MIB_IPFORWARD_ROW2`: `InterfaceLuid` at 0, `InterfaceIndex` at 8, `DestinationPrefix` (a
/// `SOCKADDR_INET` and its `PrefixLength` byte) at 12 and 40, `NextHop` at 44, `Metric` at 84,
/// `Protocol` at 88, `Loopback` at 92; 104 bytes.
pub mod forward_row {
    pub const INTERFACE_LUID: usize = 0;
    pub const INTERFACE_INDEX: usize = 8;
    pub const DESTINATION_PREFIX: usize = 12;
    pub const PREFIX_LENGTH: usize = 40;
    pub const NEXT_HOP: usize = 44;
    pub const METRIC: usize = 84;
    pub const PROTOCOL: usize = 88;
    pub const LOOPBACK: usize = 92;
    pub const SIZE: usize = 104;
}

/// `MIB_IPINTERFACE_ROW`: `Family` at 0, `InterfaceLuid` at 8, `InterfaceIndex` at 16,
/// `UseAutomaticMetric` at 44, `Metric` at 148, `NlMtu` at 152, `Connected` at 156; 168 bytes.
pub mod ip_interface_row {
    pub const FAMILY: usize = 0;
    pub const INTERFACE_LUID: usize = 8;
    pub const INTERFACE_INDEX: usize = 16;
    pub const USE_AUTOMATIC_METRIC: usize = 44;
    pub const METRIC: usize = 148;
    pub const NL_MTU: usize = 152;
    pub const CONNECTED: usize = 156;
    pub const SIZE: usize = 168;
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The address in a `SOCKADDR_INET`, when its family is IPv4 or IPv6 (the port, flow and scope are
/// not needed). The address bytes are in network order, as in the structure.
#[must_use]
pub fn sockaddr_inet(bytes: &[u8]) -> Option<IpAddr> {
    match u16_at(bytes, 0)? {
        AF_INET => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes.get(4..8)?).ok()?))),
        AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes.get(8..24)?).ok()?))),
        _ => None,
    }
}

/// The rows of a table: `NumEntries`, then that many rows of `size` bytes from [`TABLE_ROWS_OFFSET`] —
/// as many as `bytes` holds, never more.
pub fn table_rows(bytes: &[u8], size: usize) -> impl Iterator<Item = &[u8]> {
    let count = u32_at(bytes, 0).map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    bytes.get(TABLE_ROWS_OFFSET..).unwrap_or_default().chunks_exact(size).take(count)
}

/// How many bytes a table of `count` rows of `size` bytes takes: what to read of a table the OS
/// filled. `None` when it would overflow.
#[must_use]
pub fn table_len(count: u32, size: usize) -> Option<usize> {
    usize::try_from(count).ok()?.checked_mul(size)?.checked_add(TABLE_ROWS_OFFSET)
}

/// Every (interface index, group) of a `MIB_MULTICASTIPADDRESS_TABLE`; rows of another family are
/// left out.
#[must_use]
pub fn multicast_table(bytes: &[u8]) -> Vec<(u32, IpAddr)> {
    table_rows(bytes, multicast_row::SIZE)
        .filter_map(|row| {
            let address = sockaddr_inet(row.get(multicast_row::ADDRESS..)?)?;
            Some((u32_at(row, multicast_row::INTERFACE_INDEX)?, address))
        })
        .collect()
}

/// Every IPv4 and IPv6 route of a `MIB_IPFORWARD_TABLE2`, its interface named from `names` (index →
/// alias), with its own metric: the effective metric adds the interface's, once known.
#[must_use]
pub fn forward_table<S: BuildHasher>(bytes: &[u8], names: &HashMap<u32, String, S>) -> Vec<Route> {
    table_rows(bytes, forward_row::SIZE).filter_map(|row| forward_route(row, names)).collect()
}

fn forward_route<S: BuildHasher>(row: &[u8], names: &HashMap<u32, String, S>) -> Option<Route> {
    let destination = sockaddr_inet(row.get(forward_row::DESTINATION_PREFIX..forward_row::PREFIX_LENGTH)?)?;
    let max = if destination.is_ipv4() { 32 } else { 128 };
    let next_hop = row.get(forward_row::NEXT_HOP..forward_row::NEXT_HOP + SOCKADDR_INET_SIZE)?;
    let index = u32_at(row, forward_row::INTERFACE_INDEX)?;
    Some(Route {
        destination: IpNet::new(destination, (*row.get(forward_row::PREFIX_LENGTH)?).min(max)),
        // On-link routes carry an unspecified next hop.
        gateway: sockaddr_inet(next_hop).filter(|gateway| !gateway.is_unspecified()),
        interface: names.get(&index).cloned(),
        interface_index: Some(index),
        metric: u32_at(row, forward_row::METRIC)?,
        // Filled in once the interface metrics are known (`iphelper::fill_effective_metrics`).
        effective_metric: None,
        // Windows has one routing table per compartment; mcready reads the default compartment.
        table: "main".into(),
        // Routes to this host's own addresses are marked loopback.
        route_type: if *row.get(forward_row::LOOPBACK)? != 0 { RouteType::Local } else { RouteType::Unicast },
        source: None,
    })
}

/// The interface metric of a `MIB_IPINTERFACE_ROW` that `GetIpInterfaceEntry` filled, and whether
/// Windows computes it automatically (`UseAutomaticMetric`).
#[must_use]
pub fn ip_interface_metric(row: &[u8]) -> Option<(u32, bool)> {
    let automatic = *row.get(ip_interface_row::USE_AUTOMATIC_METRIC)? != 0;
    Some((u32_at(row, ip_interface_row::METRIC)?, automatic))
}
