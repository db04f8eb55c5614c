//! The parsers and decoders on text captured from macOS (`tests/fixtures/macos/`) and on structures laid
//! out as Apple's headers say, and on arbitrary bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::interfaces::{IFF_LOOPBACK, IFF_MULTICAST, IFF_RUNNING, IFF_UP};
use super::*;
use crate::facts::{InterfaceKind, IpNet, RouteType, SourceStatus};
use crate::ruleset::FirewallTool;

const PORTS: &str = include_str!("../../../tests/fixtures/macos/networksetup-listallhardwareports.txt");

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
    assert_eq!(link, LinkAddress { index: 4, link_type: ift::ETHER, mac: Some("3c:07:54:12:34:56".into()) });
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
    let parsed = parse_netstat_groups(include_str!("../../../tests/fixtures/macos/netstat-gn.txt"));
    assert_eq!(parsed.skipped, 0);
    assert_eq!(parsed.rows.len(), 11);
    assert_eq!(parsed.rows[0], GroupRow { group: "224.0.1.75".parse().unwrap(), interface: "en0".into() });
    assert!(
        parsed.rows.iter().any(|r| r.group == "ff02::fb".parse::<IpAddr>().unwrap() && r.interface == "en0")
    );
    let junk = parse_netstat_groups("10.0.0.1 <none> en0\nnot a row at all here\n");
    assert_eq!((junk.rows.len(), junk.skipped), (0, 2));
}

#[test]
fn netstat_routes_modern_and_with_refs() {
    let modern = parse_netstat_routes(include_str!("../../../tests/fixtures/macos/netstat-rn-f-inet.txt"));
    assert_eq!(modern.skipped, 0);
    let find = |rows: &[RouteRow], dest: &str| {
        rows.iter().find(|r| r.destination.to_string() == dest).cloned().unwrap_or_else(|| panic!("{dest}"))
    };
    let default = find(&modern.rows, "0.0.0.0/0");
    assert_eq!((default.gateway, default.interface.as_str()), (Some("192.168.1.1".parse().unwrap()), "en0"));
    assert_eq!(modern.rows.iter().filter(|r| r.destination.prefix_len == 0).count(), 2);
    assert_eq!(find(&modern.rows, "224.0.0.0/4").interface, "en0");
    assert_eq!(find(&modern.rows, "192.168.1.0/24").gateway, None);
    assert_eq!(find(&modern.rows, "127.0.0.0/8").interface, "lo0");
    assert_eq!(find(&modern.rows, "127.0.0.1/32").interface, "lo0");
    assert_eq!(find(&modern.rows, "10.8.0.0/24").interface, "utun4");
    // ARP entries and resolved multicast MACs are not routes.
    assert!(!modern.rows.iter().any(|r| r.destination.to_string() == "224.0.0.251/32"));

    let old = parse_netstat_routes(include_str!("../../../tests/fixtures/macos/netstat-rn-refs.txt"));
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
    let group = parse_route_get(include_str!("../../../tests/fixtures/macos/route-get-group.txt")).unwrap();
    assert_eq!(group.interface.as_deref(), Some("en0"));
    assert_eq!(group.gateway, None);
    let default =
        parse_route_get(include_str!("../../../tests/fixtures/macos/route-get-default.txt")).unwrap();
    assert_eq!(default.gateway, Some("192.168.1.1".parse().unwrap()));
    assert_eq!(default.interface.as_deref(), Some("en1"));
    assert_eq!(parse_route_get("route: writing to routing socket: not in table\n"), None);
    assert_eq!(parse_route_get("  interface:   \n"), None);
}

#[test]
fn lsof_rows() {
    let parsed = parse_lsof_udp(include_str!("../../../tests/fixtures/macos/lsof-udp-5060.txt"));
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
        parse_sw_vers(include_str!("../../../tests/fixtures/macos/sw_vers.txt")).as_deref(),
        Some("macOS 14.4.1 (23E224)")
    );
    assert_eq!(parse_sw_vers("ProductName: Mac OS X\n"), None);
    assert_eq!(parse_pf_enabled(include_str!("../../../tests/fixtures/macos/pfctl-si.txt")), Some(true));
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
    let rules = include_str!("../../../tests/fixtures/macos/pfctl-sr.txt");
    let info = include_str!("../../../tests/fixtures/macos/pfctl-si.txt");
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
