//! Made-up snapshots for the rule tests: a healthy PBX host, and helpers to break one thing at a time.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::{InterfaceRule, OsFamily, Snapshot};
use crate::facts::{
    GroupRoute, HostFacts, Interface, InterfaceFlags, InterfaceKind, IpNet, Listener, LookupMethod,
    Membership, PNP_GROUP, PNP_PORT, Process,
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
        kind,
        kind_detail: None,
        description: None,
        flags: InterfaceFlags { up: true, running: true, multicast: true, loopback: false },
        mac: Some(format!("02:00:00:00:00:{index:02x}")),
        mtu: Some(1500),
        ipv4: vec![IpNet::new(addr.parse().unwrap(), prefix.parse().unwrap())],
        ipv6: Vec::new(),
        metric: None,
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
        answered_by: Vec::new(),
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
                processes: vec![Process { pid: 812, name: "asterisk".into() }],
            }],
            firewall: crate::facts::FirewallFacts::default(),
            notes: Vec::new(),
            stacking: Vec::new(),
            environment: None,
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
