//! Renderer snapshots: made-up host facts (no network) rendered as text, Markdown and JSON.
//! Review changes with `cargo insta review`.

// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};

use mcready::facts::HostInfo;
use mcready::facts::{
    FirewallFacts, GroupRoute, HostFacts, Interface, InterfaceFlags, InterfaceKind, IpNet, Listener,
    LookupMethod, Membership, PNP_GROUP, Process, Route, RouteType,
};
use mcready::report::interfaces::InterfacesDocument;
use mcready::report::joins::JoinsDocument;
use mcready::report::{Document, Envelope};

/// A document head with a fixed time, so snapshots do not change with the clock.
fn envelope<D: Document>() -> Envelope {
    let mut envelope = Envelope::new(D::SCHEMA, host());
    envelope.generated_at = "2026-11-26T12:00:00Z".into();
    envelope
}

fn host() -> HostInfo {
    HostInfo {
        hostname: "pbx01".into(),
        os: "linux",
        os_version: Some("Debian GNU/Linux 12 (bookworm)".into()),
        kernel: Some("6.1.0-18-amd64".into()),
        privileged: true,
    }
}

fn net(addr: &str, prefix: u8) -> IpNet {
    IpNet::new(addr.parse().unwrap(), prefix)
}

fn interface(index: u32, name: &str, kind: InterfaceKind, detail: &str, ipv4: &[&str]) -> Interface {
    Interface {
        name: name.into(),
        index,
        id: None,
        kind,
        kind_detail: Some(detail.into()),
        description: None,
        flags: InterfaceFlags {
            up: true,
            running: true,
            multicast: kind != InterfaceKind::Loopback,
            loopback: kind == InterfaceKind::Loopback,
        },
        mac: (kind != InterfaceKind::Loopback).then(|| format!("02:00:00:00:00:{index:02x}")),
        mtu: Some(1500),
        ipv4: ipv4
            .iter()
            .map(|a| {
                let (addr, prefix) = a.split_once('/').unwrap();
                net(addr, prefix.parse().unwrap())
            })
            .collect(),
        ipv6: vec![net("fe80::1", 64)],
        metric: None,
        metric_automatic: None,
    }
}

fn default_route(via: &str, dev: &str, index: u32, metric: u32) -> Route {
    Route {
        destination: net("0.0.0.0", 0),
        gateway: Some(via.parse().unwrap()),
        interface: Some(dev.into()),
        interface_index: Some(index),
        metric,
        effective_metric: None,
        table: "main".into(),
        route_type: RouteType::Unicast,
        source: None,
    }
}

/// A PBX whose Wi-Fi has the lower-metric default route, so the group's traffic leaves by Wi-Fi, and
/// the PBX joined there instead of on the wired LAN.
fn wrong_nic_pbx() -> HostFacts {
    let mut eth0 = interface(2, "eth0", InterfaceKind::Ethernet, "e1000e", &["198.51.100.10/24"]);
    eth0.metric = Some(100);
    let mut wlan0 = interface(3, "wlan0", InterfaceKind::Wifi, "wireless", &["203.0.113.55/24"]);
    wlan0.metric = Some(50);
    HostFacts {
        interfaces: vec![
            interface(1, "lo", InterfaceKind::Loopback, "loopback", &["127.0.0.1/8"]),
            eth0,
            wlan0,
            interface(4, "docker0", InterfaceKind::Virtual, "docker", &["172.17.0.1/16"]),
        ],
        routes: vec![
            default_route("198.51.100.1", "eth0", 2, 100),
            default_route("203.0.113.1", "wlan0", 3, 50),
        ],
        group_route: Some(GroupRoute {
            group: PNP_GROUP,
            interface: Some("wlan0".into()),
            interface_index: Some(3),
            source: Some(Ipv4Addr::new(203, 0, 113, 55)),
            method: LookupMethod::KernelLookup,
            error: None,
        }),
        memberships: vec![
            Membership {
                interface: "lo".into(),
                interface_index: 1,
                group: "224.0.0.1".parse().unwrap(),
                users: Some(1),
            },
            Membership {
                interface: "eth0".into(),
                interface_index: 2,
                group: "224.0.0.1".parse().unwrap(),
                users: Some(1),
            },
            Membership {
                interface: "wlan0".into(),
                interface_index: 3,
                group: IpAddr::V4(PNP_GROUP),
                users: Some(1),
            },
            Membership {
                interface: "wlan0".into(),
                interface_index: 3,
                group: "224.0.0.251".parse().unwrap(),
                users: Some(2),
            },
        ],
        listeners: vec![Listener {
            protocol: "udp",
            local: "0.0.0.0:5060".parse().unwrap(),
            uid: Some(0),
            processes: vec![Process::new(812, "asterisk")],
        }],
        firewall: FirewallFacts::default(),
        notes: Vec::new(),
        ..HostFacts::default()
    }
}

fn plain(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}

fn fixed<T: Document>(mut json: serde_json::Value, _: &T) -> serde_json::Value {
    json["generated_at"] = "2026-11-26T12:00:00Z".into();
    json
}

#[test]
fn interfaces_text_markdown_json() {
    let doc =
        InterfacesDocument::new(envelope::<InterfacesDocument>(), PNP_GROUP, wrong_nic_pbx(), None, false);
    insta::assert_snapshot!("interfaces_text", plain(&doc.to_text()));
    insta::assert_snapshot!("interfaces_markdown", doc.to_markdown());
    let json: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
    insta::assert_json_snapshot!("interfaces_json", fixed(json, &doc));
}

#[test]
fn joins_text_markdown_json() {
    let doc = JoinsDocument::new(envelope::<JoinsDocument>(), PNP_GROUP, wrong_nic_pbx(), None, false);
    insta::assert_snapshot!("joins_text", plain(&doc.to_text()));
    insta::assert_snapshot!("joins_markdown", doc.to_markdown());
    let json: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
    insta::assert_json_snapshot!("joins_json", fixed(json, &doc));
}

#[test]
fn joins_all_and_nowhere() {
    let all = JoinsDocument::new(envelope::<JoinsDocument>(), PNP_GROUP, wrong_nic_pbx(), None, true);
    insta::assert_snapshot!("joins_all_text", plain(&all.to_text()));
    let mut nobody = wrong_nic_pbx();
    nobody.memberships.retain(|m| m.group != IpAddr::V4(PNP_GROUP));
    nobody.group_route = Some(GroupRoute {
        group: PNP_GROUP,
        interface: None,
        interface_index: None,
        source: None,
        method: LookupMethod::KernelLookup,
        error: Some("Network is unreachable (os error 101)".into()),
    });
    let doc = JoinsDocument::new(envelope::<JoinsDocument>(), PNP_GROUP, nobody, None, false);
    assert!(!doc.joined);
    insta::assert_snapshot!("joins_nowhere_text", plain(&doc.to_text()));
}

#[test]
fn text_is_coloured_only_in_styles_that_strip_cleanly() {
    let doc = JoinsDocument::new(envelope::<JoinsDocument>(), PNP_GROUP, wrong_nic_pbx(), None, false);
    let styled = doc.to_text();
    assert!(styled.contains("\u{1b}["), "text rendering carries styles for the stream to keep or strip");
    assert!(!doc.to_markdown().contains('\u{1b}'), "Markdown never carries colour codes");
    assert!(!doc.to_json().contains('\u{1b}'));
}

#[test]
fn interfaces_lists_the_multicast_routes_its_heading_promises() {
    let mut facts = wrong_nic_pbx();
    let mut multicast = default_route("198.51.100.1", "eth0", 2, 10);
    multicast.destination = net("224.0.0.0", 4);
    multicast.gateway = None;
    facts.routes.push(multicast);
    let doc = InterfacesDocument::new(envelope::<InterfacesDocument>(), PNP_GROUP, facts, None, false);
    let text = plain(&doc.to_text());
    let routes = text.split_once("Default and multicast routes").unwrap().1;
    assert!(routes.contains("224.0.0.0/4 dev eth0 metric 10"), "{text}");
    assert!(
        routes.find("224.0.0.0/4").unwrap() < routes.find("0.0.0.0/0").unwrap(),
        "most specific first: {text}"
    );
    assert!(doc.to_markdown().contains("`224.0.0.0/4 dev eth0 metric 10`"));
    let json: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
    assert_eq!(json["multicast_routes"][0]["destination"], "224.0.0.0/4");
}

#[test]
fn joins_verbose_names_the_other_groups() {
    let mut doc = JoinsDocument::new(envelope::<JoinsDocument>(), PNP_GROUP, wrong_nic_pbx(), None, false);
    assert!(!plain(&doc.to_text()).contains("also joined"));
    doc.verbose = true;
    assert!(plain(&doc.to_text()).contains("lo also joined 224.0.0.1"), "{}", plain(&doc.to_text()));
}
