//! Made-up snapshots for the rule tests: a healthy PBX host, and helpers to break one thing at a time.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::{InterfaceRule, OsFamily, Snapshot};
use crate::facts::{
    GroupRoute, HostFacts, Interface, InterfaceFlags, InterfaceKind, IpNet, Listener, LookupMethod,
    Membership, PNP_GROUP, PNP_PORT, Process, Route, RouteType,
};
use crate::observed::{
    Answer, HeardBy, Leg, ListenReport, Loopback, Observed, PeerReport, Phone, ProbeReport, QuerierReport,
    QueryHeard,
};

pub fn interface(index: u32, name: &str, kind: InterfaceKind, cidr: &str) -> Interface {
    let (addr, prefix) = cidr.split_once('/').unwrap();
    Interface {
        name: name.into(),
        index,
        id: None,
        kind,
        kind_detail: None,
        description: None,
        flags: InterfaceFlags { up: true, running: true, multicast: true, loopback: false },
        mac: Some(format!("02:00:00:00:00:{index:02x}")),
        mtu: Some(1500),
        ipv4: vec![IpNet::new(addr.parse().unwrap(), prefix.parse().unwrap())],
        ipv6: Vec::new(),
        metric: None,
        metric_automatic: None,
    }
}

pub fn phone(ip: &str, mac: &str) -> Phone {
    Phone {
        mac: Some(mac.into()),
        vendor: Some("Yealink".into()),
        model: Some("T46U".into()),
        firmware: Some("108.86.0.20".into()),
        user_agent: Some("Yealink SIP-T46U 108.86.0.20".into()),
        source: SocketAddr::new(ip.parse().unwrap(), 5060),
        ttl: Some(1),
        interface: Some("eth0".into()),
        same_subnet: Some(true),
        subscribes: 2,
        contact: Some(format!("sip:{ip}:5060")),
        answered_by: Vec::new(),
        answers: Vec::new(),
        stages: Vec::new(),
    }
}

pub fn leg(ok: bool) -> Leg {
    Leg { ok, rtt_ms: ok.then_some(0.4) }
}

/// A PBX (asterisk on eth0, 198.51.100.10/24) that joined the group and answers; a querier serves the
/// LAN; nothing listened for and no peer.
pub fn healthy() -> Snapshot {
    let eth0 = interface(2, "eth0", InterfaceKind::Ethernet, "198.51.100.10/24");
    Snapshot {
        os: OsFamily::Linux,
        facts: HostFacts {
            interfaces: vec![eth0],
            routes: Vec::new(),
            group_route: Some(GroupRoute {
                group: PNP_GROUP,
                interface: Some("eth0".into()),
                interface_index: Some(2),
                source: Some(Ipv4Addr::new(198, 51, 100, 10)),
                method: LookupMethod::KernelLookup,
                error: None,
            }),
            memberships: vec![Membership {
                interface: "eth0".into(),
                interface_index: 2,
                group: IpAddr::V4(PNP_GROUP),
                users: Some(1),
            }],
            listeners: vec![Listener {
                protocol: "udp",
                local: "0.0.0.0:5060".parse().unwrap(),
                uid: Some(0),
                processes: vec![Process::new(812, "asterisk")],
            }],
            firewall: crate::facts::FirewallFacts::default(),
            notes: Vec::new(),
            memberships_unreadable: None,
            stacking: Vec::new(),
            environment: None,
            ..HostFacts::default()
        },
        pnp_interface: Some("eth0".into()),
        interface_rule: InterfaceRule::GroupRoute,
        group: PNP_GROUP,
        port: PNP_PORT,
        expected_phones: Vec::new(),
        peer: Observed::NotAsked,
        probe: Observed::Done(ProbeReport {
            sent: Vec::new(),
            loopback: Some(Loopback { arrived: true, after_ms: Some(0.2) }),
            answers: vec![Answer {
                responder: "198.51.100.10:5060".parse().unwrap(),
                user_agent: Some("Asterisk PBX 20.5.0".into()),
                status: Some(200),
                reason: Some("OK".into()),
                response_rtt_ms: Some(1.1),
                notify_rtt_ms: Some(1.9),
                provisioning_url: Some("http://198.51.100.10/prov/{mac}.cfg".into()),
                provisioning_url_unredacted: Some("http://198.51.100.10/prov/{mac}.cfg".into()),
                this_host: true,
                notify: Some(crate::observed::NotifySeen {
                    to_contact: true,
                    request_uri: "sip:MAC%3a020000000001@198.51.100.10:40002".into(),
                    content_type: Some("application/url".into()),
                    url_source: Some("body".into()),
                }),
                notify_waited_ms: Some(0.8),
            }],
            warnings: Vec::new(),
            waited_ms: Some(152.0),
            interrupted: false,
        }),
        listen: Observed::NotAsked,
        querier: Observed::Done(QuerierReport {
            queries: vec![QueryHeard {
                source: Ipv4Addr::new(198, 51, 100, 1),
                version: 2,
                max_response_ms: 1000,
                group: Some(Ipv4Addr::new(239, 255, 1, 2)),
            }],
            scratch_group: Some(Ipv4Addr::new(239, 255, 1, 2)),
            listened_secs: None,
        }),
        fetch: Observed::Done(fetched(Some(200))),
        soak: Observed::NotAsked,
        passive: false,
    }
}

/// The healthy PBX's provisioning URL, fetched with `status` (or failing to connect with `None`).
pub fn fetched(status: Option<u16>) -> crate::observed::FetchReport {
    crate::observed::FetchReport {
        url: "http://198.51.100.10/prov/{mac}.cfg".into(),
        scheme: "http".into(),
        host: "198.51.100.10".into(),
        addresses: vec!["198.51.100.10".parse().unwrap()],
        resolve_error: None,
        not_fetched: None,
        status,
        content_type: status.map(|_| "text/plain".into()),
        bytes: status.map(|_| 812),
        challenge: None,
        error: status.is_none().then(|| crate::observed::FetchError {
            kind: crate::observed::FetchErrorKind::Unreachable,
            detail: "Connection refused (os error 111)".into(),
        }),
        elapsed_ms: 2.0,
    }
}

/// The PBX joined on Wi-Fi, which has the preferred default route; the phone (198.51.100.20) is on eth0.
pub fn wrong_nic() -> Snapshot {
    let mut snapshot = healthy();
    let mut wlan0 = interface(3, "wlan0", InterfaceKind::Wifi, "203.0.113.55/24");
    wlan0.metric = Some(50);
    snapshot.facts.interfaces[0].metric = Some(100);
    snapshot.facts.interfaces.push(wlan0);
    snapshot.facts.memberships[0].interface = "wlan0".into();
    snapshot.facts.group_route.as_mut().unwrap().interface = Some("wlan0".into());
    snapshot.expected_phones = vec!["198.51.100.20".parse().unwrap()];
    snapshot.interface_rule = InterfaceRule::PhoneSubnet;
    snapshot
}

/// A listening window that heard `phones` by socket.
pub fn listened(phones: Vec<Phone>) -> Observed<ListenReport> {
    Observed::Done(ListenReport {
        answers_heard: Vec::new(),
        duration_secs: 120.0,
        heard_by: HeardBy::Both,
        lan_multicast_heard: !phones.is_empty(),
        phones,
        non_pnp: Vec::new(),
        junk: 0,
        captured_not_delivered: Vec::new(),
        limits: Vec::new(),
        interrupted: false,
        socket_drops: Some(0),
        reassembled: 0,
        discovery: None,
        not_a_member: false,
        ended_by: None,
    })
}

pub fn peer(unicast: bool, out: bool, back: bool) -> Observed<PeerReport> {
    Observed::Done(PeerReport {
        peer: "198.51.100.30:5060".parse().unwrap(),
        unicast: leg(unicast),
        here_to_peer: leg(out),
        peer_to_here: leg(back),
        warnings: Vec::new(),
    })
}

/// A Windows route for `dest/prefix` on interface `index` with route metric `metric`.
pub fn win_route(
    dest: &str,
    prefix: u8,
    gateway: Option<&str>,
    index: u32,
    name: &str,
    metric: u32,
) -> Route {
    Route {
        destination: IpNet::new(dest.parse().unwrap(), prefix),
        gateway: gateway.map(|g| g.parse().unwrap()),
        interface: Some(name.into()),
        interface_index: Some(index),
        metric,
        effective_metric: None,
        table: "main".into(),
        route_type: RouteType::Unicast,
        source: None,
    }
}

/// A Windows PBX host as `GetAdaptersAddresses` and `GetIpForwardTable2` describe it: the phones are on
/// "Ethernet 2" (index 12, interface metric 25), but Wi-Fi (index 17, metric 15 — it is faster by link
/// speed, so the automatic metric is lower) wins the lookup for 224.0.0.0/4, and the PBX joined there.
/// Each adapter has Windows' on-link 224.0.0.0/4 route with metric 256, as `route print` shows them.
pub fn windows_wrong_nic() -> Snapshot {
    let mut snapshot = healthy();
    snapshot.os = OsFamily::Windows;
    let mut ethernet = interface(12, "Ethernet 2", InterfaceKind::Ethernet, "198.51.100.10/24");
    ethernet.kind_detail = Some("ethernet".into());
    ethernet.description = Some("Realtek PCIe GbE Family Controller".into());
    ethernet.metric = Some(25);
    ethernet.metric_automatic = Some(true);
    let mut wifi = interface(17, "Wi-Fi", InterfaceKind::Wifi, "203.0.113.55/24");
    wifi.kind_detail = Some("802.11".into());
    wifi.description = Some("Intel(R) Wi-Fi 6 AX201 160MHz".into());
    wifi.metric = Some(15);
    wifi.metric_automatic = Some(true);
    let mut loopback = interface(1, "Loopback Pseudo-Interface 1", InterfaceKind::Loopback, "127.0.0.1/8");
    loopback.flags.loopback = true;
    loopback.metric = Some(75);
    snapshot.facts.interfaces = vec![loopback, ethernet, wifi];
    snapshot.facts.routes = vec![
        win_route("0.0.0.0", 0, Some("198.51.100.1"), 12, "Ethernet 2", 0),
        win_route("0.0.0.0", 0, Some("203.0.113.1"), 17, "Wi-Fi", 0),
        win_route("224.0.0.0", 4, None, 1, "Loopback Pseudo-Interface 1", 256),
        win_route("224.0.0.0", 4, None, 12, "Ethernet 2", 256),
        win_route("224.0.0.0", 4, None, 17, "Wi-Fi", 256),
    ];
    snapshot.facts.group_route = Some(GroupRoute {
        group: PNP_GROUP,
        interface: Some("Wi-Fi".into()),
        interface_index: Some(17),
        source: Some(Ipv4Addr::new(203, 0, 113, 55)),
        method: LookupMethod::KernelLookup,
        error: None,
    });
    snapshot.facts.memberships = vec![Membership {
        interface: "Wi-Fi".into(),
        interface_index: 17,
        group: IpAddr::V4(PNP_GROUP),
        users: None,
    }];
    snapshot.facts.listeners[0].uid = None;
    snapshot.facts.listeners[0].processes = vec![Process::new(4312, "PortSIP.PBX.exe")];
    snapshot.pnp_interface = Some("Ethernet 2".into());
    snapshot.expected_phones = vec!["198.51.100.20".parse().unwrap()];
    snapshot.interface_rule = InterfaceRule::PhoneSubnet;
    snapshot
}

/// A PBX in the host's Hyper-V external switch: its address is on "vEthernet (External)", which rides on
/// the physical "Ethernet" (bound to the switch, so it has no IP address); Wi-Fi and WSL's switch are up too.
pub fn windows_hyperv_external() -> Snapshot {
    let mut snapshot = windows_wrong_nic();
    let mut vswitch = interface(23, "vEthernet (External)", InterfaceKind::Virtual, "198.51.100.10/24");
    vswitch.kind_detail = Some("hyper-v".into());
    vswitch.metric = Some(15);
    let mut physical = interface(12, "Ethernet", InterfaceKind::Ethernet, "198.51.100.10/24");
    physical.ipv4.clear();
    physical.metric = None;
    let mut wsl = interface(31, "vEthernet (WSL)", InterfaceKind::Virtual, "172.20.48.1/20");
    wsl.kind_detail = Some("wsl".into());
    wsl.metric = Some(5000);
    let wifi = snapshot.facts.interfaces[2].clone();
    snapshot.facts.interfaces = vec![physical, wifi, vswitch, wsl];
    snapshot.facts.routes = vec![
        win_route("224.0.0.0", 4, None, 23, "vEthernet (External)", 256),
        win_route("224.0.0.0", 4, None, 17, "Wi-Fi", 256),
        win_route("224.0.0.0", 4, None, 31, "vEthernet (WSL)", 256),
    ];
    snapshot.facts.memberships[0].interface = "vEthernet (External)".into();
    snapshot.facts.memberships[0].interface_index = 23;
    let route = snapshot.facts.group_route.as_mut().unwrap();
    route.interface = Some("vEthernet (External)".into());
    route.interface_index = Some(23);
    snapshot.pnp_interface = Some("vEthernet (External)".into());
    snapshot
}

/// The host every made-up report runs on.
pub fn host_info() -> crate::facts::HostInfo {
    crate::facts::HostInfo {
        hostname: "pbx01".into(),
        os: "linux",
        os_version: Some("Debian GNU/Linux 12 (bookworm)".into()),
        kernel: Some("6.1.0-18-amd64".into()),
        privileged: true,
    }
}
