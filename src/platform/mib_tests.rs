//! The IP Helper decoders on rows built byte by byte from Microsoft's documented layouts, as
//! `GetMulticastIpAddressTable`, `GetIpForwardTable2` and `GetIpInterfaceEntry` fill them; on Windows
//! (and under wine), the layouts checked against the `windows-sys` structures those calls fill.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::iphelper::{fill_effective_metrics, join_lands_on};
use super::mib::{
    self, AF_INET, AF_INET6, SOCKADDR_INET_SIZE, TABLE_ROWS_OFFSET, forward_row, ip_interface_row,
    multicast_row,
};
use crate::checks::fixtures;
use crate::facts::{Interface, InterfaceKind, IpNet, RouteType};

fn put(buffer: &mut [u8], at: usize, bytes: &[u8]) {
    buffer[at..at + bytes.len()].copy_from_slice(bytes);
}

/// A `SOCKADDR_INET` as Windows writes it: family (little-endian), port (network order), then the
/// IPv4 address at 4, or the flow info at 4 and the IPv6 address at 8 and the scope id at 24.
fn sockaddr(address: Option<IpAddr>) -> [u8; SOCKADDR_INET_SIZE] {
    let mut bytes = [0u8; SOCKADDR_INET_SIZE];
    put(&mut bytes, 2, &5060u16.to_be_bytes());
    match address {
        Some(IpAddr::V4(v4)) => {
            put(&mut bytes, 0, &AF_INET.to_le_bytes());
            put(&mut bytes, 4, &v4.octets());
            // sin_zero: whatever the stack left there is not an address.
            put(&mut bytes, 8, &[0xAA; 8]);
        }
        Some(IpAddr::V6(v6)) => {
            put(&mut bytes, 0, &AF_INET6.to_le_bytes());
            put(&mut bytes, 4, &7u32.to_le_bytes());
            put(&mut bytes, 8, &v6.octets());
            put(&mut bytes, 24, &3u32.to_le_bytes());
        }
        // AF_UNSPEC
        None => {}
    }
    bytes
}

/// A table: `NumEntries`, four bytes of padding (0xEE: never read), then the rows.
fn table(count: u32, rows: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = count.to_le_bytes().to_vec();
    bytes.extend([0xEE; TABLE_ROWS_OFFSET - 4]);
    bytes.extend(rows.iter().flatten());
    bytes
}

fn multicast(index: u32, group: Option<IpAddr>) -> Vec<u8> {
    let mut row = vec![0u8; multicast_row::SIZE];
    put(&mut row, multicast_row::ADDRESS, &sockaddr(group));
    put(&mut row, multicast_row::INTERFACE_INDEX, &index.to_le_bytes());
    // NET_LUID: IfType 6 (Ethernet) in bits 48..64, a NetLuidIndex below it.
    put(&mut row, multicast_row::INTERFACE_LUID, &(6u64 << 48 | 1).to_le_bytes());
    put(&mut row, multicast_row::SCOPE_ID, &index.to_le_bytes());
    row
}

/// A `MIB_IPFORWARD_ROW2`: `destination/prefix` by `index`, through `next_hop` (on-link without one).
fn forward(
    index: u32,
    destination: &str,
    prefix: u8,
    next_hop: Option<&str>,
    metric: u32,
    loopback: bool,
) -> Vec<u8> {
    let destination: IpAddr = destination.parse().expect("an address");
    let unspecified = if destination.is_ipv4() { "0.0.0.0" } else { "::" };
    let next_hop: IpAddr = next_hop.unwrap_or(unspecified).parse().expect("an address");
    let mut row = vec![0u8; forward_row::SIZE];
    put(&mut row, forward_row::INTERFACE_LUID, &(6u64 << 48 | u64::from(index)).to_le_bytes());
    put(&mut row, forward_row::INTERFACE_INDEX, &index.to_le_bytes());
    put(&mut row, forward_row::DESTINATION_PREFIX, &sockaddr(Some(destination)));
    row[forward_row::PREFIX_LENGTH] = prefix;
    put(&mut row, forward_row::NEXT_HOP, &sockaddr(Some(next_hop)));
    // SitePrefixLength, ValidLifetime, PreferredLifetime: set, and not read.
    put(&mut row, 72, &[64, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    put(&mut row, forward_row::METRIC, &metric.to_le_bytes());
    // NL_ROUTE_PROTOCOL: 2 (MIB_IPPROTO_LOCAL), 3 (MIB_IPPROTO_NETMGMT).
    put(&mut row, forward_row::PROTOCOL, &(if next_hop.is_unspecified() { 2u32 } else { 3 }).to_le_bytes());
    row[forward_row::LOOPBACK] = u8::from(loopback);
    row
}

fn v4(text: &str) -> IpAddr {
    IpAddr::V4(text.parse().expect("an IPv4 address"))
}

#[test]
fn multicast_table_rows_are_the_joins_netsh_shows() {
    let rows = [
        multicast(3, Some(v4("224.0.0.1"))),
        multicast(3, Some(v4("224.0.1.75"))),
        multicast(3, Some(IpAddr::V6("ff02::1".parse().expect("IPv6")))),
        // A row of another family is no membership.
        multicast(2, None),
        multicast(2, Some(v4("239.255.255.250"))),
    ];
    assert_eq!(
        mib::multicast_table(&table(5, &rows)),
        [
            (3, v4("224.0.0.1")),
            (3, v4("224.0.1.75")),
            (3, IpAddr::V6("ff02::1".parse().expect("IPv6"))),
            (2, v4("239.255.255.250")),
        ]
    );
}

#[test]
fn a_table_is_read_no_further_than_its_count_or_its_bytes() {
    let rows = [multicast(3, Some(v4("224.0.0.1"))), multicast(3, Some(v4("224.0.1.75")))];
    // NumEntries says fewer rows than there are bytes for: only those.
    assert_eq!(mib::multicast_table(&table(1, &rows)), [(3, v4("224.0.0.1"))]);
    // NumEntries says more than the bytes hold: the whole rows that are there.
    assert_eq!(mib::multicast_table(&table(u32::MAX, &rows)).len(), 2);
    let mut cut = table(2, &rows);
    cut.truncate(cut.len() - 1);
    assert_eq!(mib::multicast_table(&cut), [(3, v4("224.0.0.1"))]);
    for short in [&[][..], &[2, 0][..], &table(2, &[])[..]] {
        assert!(mib::multicast_table(short).is_empty());
    }
    assert_eq!(mib::table_len(2, multicast_row::SIZE), Some(TABLE_ROWS_OFFSET + 96));
    assert_eq!(mib::table_len(u32::MAX, usize::MAX), None);
}

#[test]
fn forward_table_rows_become_routes() {
    let rows = [
        forward(3, "0.0.0.0", 0, Some("198.51.100.1"), 0, false),
        forward(2, "224.0.0.0", 4, None, 256, false),
        forward(3, "224.0.0.0", 4, None, 256, false),
        // A prefix length beyond the family's is read as the whole address.
        forward(3, "198.51.100.10", 40, None, 256, true),
        forward(3, "::", 0, Some("fe80::1"), 16, false),
    ];
    let names = HashMap::from([(2, "Wi-Fi".to_owned()), (3, "Ethernet 2".to_owned())]);
    let read = mib::forward_table(&table(5, &rows), &names);
    assert_eq!(read.len(), 5);
    let default = &read[0];
    assert_eq!(default.destination, IpNet::new(v4("0.0.0.0"), 0));
    assert_eq!(default.gateway, Some(v4("198.51.100.1")));
    assert_eq!((default.interface.as_deref(), default.interface_index), (Some("Ethernet 2"), Some(3)));
    assert_eq!((default.metric, default.effective_metric, default.table.as_str()), (0, None, "main"));
    assert_eq!(default.route_type, RouteType::Unicast);
    let group = &read[1];
    assert_eq!((group.destination, group.gateway, group.metric), (IpNet::new(v4("224.0.0.0"), 4), None, 256));
    assert_eq!(group.interface.as_deref(), Some("Wi-Fi"));
    assert_eq!(read[3].destination, IpNet::new(v4("198.51.100.10"), 32));
    assert_eq!(read[3].route_type, RouteType::Local);
    let v6 = &read[4];
    assert_eq!(v6.destination, IpNet::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0));
    assert_eq!(v6.gateway, Some(IpAddr::V6("fe80::1".parse().expect("IPv6"))));
    // An index no adapter has keeps its number and no name.
    let unnamed = mib::forward_table(&table(1, &rows[..1]), &HashMap::new());
    assert_eq!((unnamed[0].interface.as_deref(), unnamed[0].interface_index), (None, Some(3)));
}

fn ip_interface(index: u32, metric: u32, automatic: bool) -> Vec<u8> {
    let mut row = vec![0u8; ip_interface_row::SIZE];
    put(&mut row, ip_interface_row::FAMILY, &AF_INET.to_le_bytes());
    put(&mut row, ip_interface_row::INTERFACE_LUID, &(6u64 << 48 | u64::from(index)).to_le_bytes());
    put(&mut row, ip_interface_row::INTERFACE_INDEX, &index.to_le_bytes());
    // AdvertisingEnabled … AdvertiseDefaultRoute, the booleans around UseAutomaticMetric: set, not read.
    put(&mut row, 40, &[1, 1, 1, 1]);
    row[ip_interface_row::USE_AUTOMATIC_METRIC] = u8::from(automatic);
    put(&mut row, 45, &[1, 1, 1, 1]);
    // ZoneIndices and SitePrefixLength, just before the metric.
    put(&mut row, 80, &[0xFF; 68]);
    put(&mut row, ip_interface_row::METRIC, &metric.to_le_bytes());
    put(&mut row, ip_interface_row::NL_MTU, &1500u32.to_le_bytes());
    row[ip_interface_row::CONNECTED] = 1;
    row
}

#[test]
fn ip_interface_row_gives_the_metric_and_whether_it_is_automatic() {
    assert_eq!(mib::ip_interface_metric(&ip_interface(3, 25, true)), Some((25, true)));
    assert_eq!(mib::ip_interface_metric(&ip_interface(2, 5, false)), Some((5, false)));
    assert_eq!(mib::ip_interface_metric(&ip_interface(2, 5, false)[..150]), None);
}

fn adapter(name: &str, index: u32, metric: u32) -> Interface {
    let cidr = format!("198.51.100.{index}/24");
    Interface { metric: Some(metric), ..fixtures::interface(index, name, InterfaceKind::Ethernet, &cidr) }
}

/// The three readers together, as `platform::windows` runs them: two adapters with a 224.0.0.0/4
/// route each, the interface metrics deciding where a join with `INADDR_ANY` lands.
#[test]
fn decoded_routes_and_metrics_decide_where_a_join_lands() {
    let routes = [forward(2, "224.0.0.0", 4, None, 256, false), forward(3, "224.0.0.0", 4, None, 256, false)];
    let names = HashMap::from([(2, "Wi-Fi".to_owned()), (3, "Ethernet 2".to_owned())]);
    let mut read = mib::forward_table(&table(2, &routes), &names);
    let metric = |row: Vec<u8>| mib::ip_interface_metric(&row).expect("a whole row").0;
    let interfaces = [
        adapter("Wi-Fi", 2, metric(ip_interface(2, 50, true))),
        adapter("Ethernet 2", 3, metric(ip_interface(3, 25, true))),
    ];
    fill_effective_metrics(&mut read, &interfaces);
    assert_eq!(read.iter().map(|r| r.effective_metric).collect::<Vec<_>>(), [Some(306), Some(281)]);
    let landing = join_lands_on(Ipv4Addr::new(224, 0, 1, 75), &read, &interfaces).expect("a route");
    assert_eq!((landing.interface_index, landing.effective_metric, landing.tie), (3, 281, false));
}

#[test]
fn sockaddr_inet_of_another_family_or_too_short_is_no_address() {
    assert_eq!(mib::sockaddr_inet(&sockaddr(Some(v4("198.51.100.7")))), Some(v4("198.51.100.7")));
    assert_eq!(mib::sockaddr_inet(&sockaddr(None)), None);
    assert_eq!(mib::sockaddr_inet(&sockaddr(Some(v4("198.51.100.7")))[..6]), None);
    let v6 = sockaddr(Some(IpAddr::V6("2001:db8::7".parse().expect("IPv6"))));
    assert_eq!(mib::sockaddr_inet(&v6[..20]), None);
    assert_eq!(mib::sockaddr_inet(&v6), Some(IpAddr::V6("2001:db8::7".parse().expect("IPv6"))));
}

/// The documented layouts are the ones the calls fill: `windows-sys`'s structures, as compiled for
/// this target (run under wine by scripts/wine-test.sh).
#[cfg(windows)]
#[test]
fn documented_layouts_match_the_structures_the_calls_fill() {
    use std::mem::{offset_of, size_of};
    use windows_sys::Win32::NetworkManagement::IpHelper::{
        IP_ADDRESS_PREFIX, MIB_IPFORWARD_ROW2, MIB_IPFORWARD_TABLE2, MIB_IPINTERFACE_ROW,
        MIB_MULTICASTIPADDRESS_ROW, MIB_MULTICASTIPADDRESS_TABLE,
    };
    use windows_sys::Win32::Networking::WinSock::SOCKADDR_INET;

    assert_eq!(size_of::<SOCKADDR_INET>(), SOCKADDR_INET_SIZE);
    assert_eq!(offset_of!(MIB_MULTICASTIPADDRESS_TABLE, Table), TABLE_ROWS_OFFSET);
    assert_eq!(offset_of!(MIB_IPFORWARD_TABLE2, Table), TABLE_ROWS_OFFSET);
    assert_eq!(size_of::<MIB_MULTICASTIPADDRESS_ROW>(), multicast_row::SIZE);
    assert_eq!(offset_of!(MIB_MULTICASTIPADDRESS_ROW, Address), multicast_row::ADDRESS);
    assert_eq!(offset_of!(MIB_MULTICASTIPADDRESS_ROW, InterfaceIndex), multicast_row::INTERFACE_INDEX);
    assert_eq!(offset_of!(MIB_MULTICASTIPADDRESS_ROW, InterfaceLuid), multicast_row::INTERFACE_LUID);
    assert_eq!(offset_of!(MIB_MULTICASTIPADDRESS_ROW, ScopeId), multicast_row::SCOPE_ID);
    assert_eq!(size_of::<MIB_IPFORWARD_ROW2>(), forward_row::SIZE);
    assert_eq!(offset_of!(MIB_IPFORWARD_ROW2, InterfaceLuid), forward_row::INTERFACE_LUID);
    assert_eq!(offset_of!(MIB_IPFORWARD_ROW2, InterfaceIndex), forward_row::INTERFACE_INDEX);
    assert_eq!(offset_of!(MIB_IPFORWARD_ROW2, DestinationPrefix), forward_row::DESTINATION_PREFIX);
    assert_eq!(
        offset_of!(MIB_IPFORWARD_ROW2, DestinationPrefix) + offset_of!(IP_ADDRESS_PREFIX, PrefixLength),
        forward_row::PREFIX_LENGTH
    );
    assert_eq!(offset_of!(MIB_IPFORWARD_ROW2, NextHop), forward_row::NEXT_HOP);
    assert_eq!(offset_of!(MIB_IPFORWARD_ROW2, Metric), forward_row::METRIC);
    assert_eq!(offset_of!(MIB_IPFORWARD_ROW2, Protocol), forward_row::PROTOCOL);
    assert_eq!(offset_of!(MIB_IPFORWARD_ROW2, Loopback), forward_row::LOOPBACK);
    assert_eq!(size_of::<MIB_IPINTERFACE_ROW>(), ip_interface_row::SIZE);
    assert_eq!(offset_of!(MIB_IPINTERFACE_ROW, Family), ip_interface_row::FAMILY);
    assert_eq!(offset_of!(MIB_IPINTERFACE_ROW, InterfaceLuid), ip_interface_row::INTERFACE_LUID);
    assert_eq!(offset_of!(MIB_IPINTERFACE_ROW, InterfaceIndex), ip_interface_row::INTERFACE_INDEX);
    assert_eq!(offset_of!(MIB_IPINTERFACE_ROW, UseAutomaticMetric), ip_interface_row::USE_AUTOMATIC_METRIC);
    assert_eq!(offset_of!(MIB_IPINTERFACE_ROW, Metric), ip_interface_row::METRIC);
    assert_eq!(offset_of!(MIB_IPINTERFACE_ROW, NlMtu), ip_interface_row::NL_MTU);
    assert_eq!(offset_of!(MIB_IPINTERFACE_ROW, Connected), ip_interface_row::CONNECTED);
    assert_eq!(windows_sys::Win32::Networking::WinSock::AF_INET, AF_INET);
    assert_eq!(windows_sys::Win32::Networking::WinSock::AF_INET6, AF_INET6);
}
