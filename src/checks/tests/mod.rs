//! Each scenario breaks one thing in a made-up snapshot and asserts the exact status of every
//! requirement — including that the innocent ones are not blamed. The host firewall's scenarios are in
//! `firewall`, the PBX's answer and its provisioning URL in `answers`, each OS's remedies in `remedies`.

use std::net::SocketAddr;

use super::fixtures::{healthy, listened, peer, phone, wrong_nic};
use super::*;
use crate::facts::{GroupRoute, LookupMethod, PNP_GROUP};
use crate::observed::{HeardBy, ListenReport, OtherSip, QuerierReport};
use crate::verdict::Verdict;
use Status::{Fail, Pass, Skip, Warn};

mod answers;
mod firewall;
mod remedies;

fn statuses(snapshot: &Snapshot) -> [Status; 4] {
    let requirements = evaluate(snapshot);
    let ids: Vec<&str> = requirements.iter().map(|r| r.id).collect();
    assert_eq!(ids, ["pbx-membership", "same-subnet", "network-multicast", "phone-pnp"]);
    for check in requirements.iter().flat_map(|r| &r.checks) {
        if matches!(check.status, Warn | Fail) {
            assert!(check.remedy.is_some(), "{} is {:?} without a remedy", check.id, check.status);
        }
        // Remedies are whole sentences: a capital (or a command) first, a full stop last.
        if let Some(remedy) = &check.remedy {
            let first = remedy.chars().next().unwrap_or(' ');
            assert!(
                first.is_uppercase() || first == '`' || first.is_lowercase() && remedy.starts_with("mcready"),
                "{remedy}"
            );
            assert!(remedy.trim_end().ends_with('.'), "{} remedy is not a sentence: {remedy}", check.id);
        }
    }
    [requirements[0].status, requirements[1].status, requirements[2].status, requirements[3].status]
}

fn status_of(snapshot: &Snapshot, id: &str) -> Status {
    evaluate(snapshot).iter().flat_map(|r| r.checks.clone()).find(|c| c.id == id).unwrap().status
}

#[test]
fn healthy_host_without_phones_passes_what_it_can() {
    let snapshot = healthy();
    assert_eq!(statuses(&snapshot), [Pass, Skip, Pass, Skip]);
    assert_eq!(Verdict::of(&evaluate(&snapshot)), Verdict::Pass);
}

#[test]
fn healthy_lan_with_peer_and_phone_passes_everything() {
    let mut snapshot = healthy();
    snapshot.peer = peer(true, true, true);
    snapshot.listen = listened(vec![phone("198.51.100.20", "00:15:65:73:22:ff")]);
    snapshot.expected_phones = vec!["198.51.100.20".parse().unwrap()];
    assert_eq!(statuses(&snapshot), [Pass, Pass, Pass, Pass]);
}

#[test]
fn nothing_joined() {
    let mut snapshot = healthy();
    snapshot.facts.memberships.clear();
    snapshot.facts.listeners.clear();
    if let Observed::Done(probe) = &mut snapshot.probe {
        probe.answers.clear();
    }
    assert_eq!(statuses(&snapshot), [Fail, Skip, Pass, Skip]);
    assert_eq!(status_of(&snapshot, membership::ON_PNP_INTERFACE), Fail);
    // One cause, one finding: the port and the silence are its consequences, pointing to it.
    assert_eq!(status_of(&snapshot, membership::PORT_HOLDER), Skip);
    assert_eq!(status_of(&snapshot, membership::PBX_ANSWERS), Skip);
    assert!(summary_of(&snapshot, membership::PBX_ANSWERS).contains("see membership.on-pnp-interface"));
}

#[test]
fn joined_on_the_wrong_nic() {
    let mut snapshot = wrong_nic();
    let (interface, rule) =
        crate::snapshot::choose_interface(&snapshot.facts, None, &snapshot.expected_phones).unwrap();
    assert_eq!((interface.as_deref(), rule), (Some("eth0"), InterfaceRule::PhoneSubnet));
    if let Observed::Done(probe) = &mut snapshot.probe {
        probe.answers.clear();
    }
    // The group joined on Wi-Fi is a trap of its own, under network-multicast.
    assert_eq!(statuses(&snapshot), [Fail, Pass, Warn, Skip]);
    assert_eq!(status_of(&snapshot, multicast::WIFI), Warn);
    assert_eq!(status_of(&snapshot, membership::GROUP_ROUTE), Warn);
    assert_eq!(status_of(&snapshot, membership::OTHER_ADAPTERS), Warn);
    let summary = evaluate(&snapshot)[0].checks[0].summary.clone();
    assert!(summary.contains("joined on wlan0, not on eth0"), "{summary}");
}

#[test]
fn phone_behind_a_router_blames_only_the_subnet() {
    let mut snapshot = healthy();
    snapshot.expected_phones = vec!["203.0.113.20".parse().unwrap()];
    snapshot.listen = listened(Vec::new());
    assert_eq!(statuses(&snapshot), [Pass, Fail, Pass, Skip]);
}

#[test]
fn host_firewall_drop_blames_only_the_network() {
    let mut snapshot = healthy();
    snapshot.expected_phones = vec!["198.51.100.20".parse().unwrap()];
    if let Observed::Done(probe) = &mut snapshot.probe {
        probe.loopback = Some(crate::observed::Loopback { arrived: false, after_ms: None });
        probe.answers.clear();
    }
    let mut listen = listened(Vec::new());
    if let Observed::Done(report) = &mut listen {
        report.captured_not_delivered = vec!["198.51.100.20:5060".parse().unwrap()];
        report.heard_by = HeardBy::Both;
    }
    snapshot.listen = listen;
    assert_eq!(statuses(&snapshot), [Pass, Pass, Fail, Skip]);
    assert_eq!(status_of(&snapshot, membership::LOOPBACK), Skip);
    assert_eq!(status_of(&snapshot, membership::PBX_ANSWERS), Skip);
}

#[test]
fn switch_dropping_multicast_is_told_from_a_dead_peer() {
    let mut snapshot = healthy();
    snapshot.peer = peer(true, false, false);
    snapshot.expected_phones = vec!["198.51.100.20".parse().unwrap()];
    snapshot.listen = listened(Vec::new());
    assert_eq!(statuses(&snapshot), [Pass, Pass, Fail, Warn]);

    snapshot.peer = peer(false, false, false);
    assert_eq!(status_of(&snapshot, multicast::LAN_PATH), Skip);
}

#[test]
fn no_querier_warns() {
    let mut snapshot = healthy();
    snapshot.querier =
        Observed::Done(QuerierReport { queries: Vec::new(), scratch_group: None, listened_secs: None });
    assert_eq!(statuses(&snapshot), [Pass, Skip, Warn, Skip]);
    let requirements = evaluate(&snapshot);
    let answer = crate::verdict::Answer::Checklist {
        verdict: Verdict::of(&requirements),
        some_skip: requirements.iter().any(|r| r.status == Skip),
        unprivileged: false,
    };
    assert_eq!(crate::verdict::exit_code(answer, false, false, crate::verdict::ExitConvention::Command), 0);
    assert_eq!(crate::verdict::exit_code(answer, true, false, crate::verdict::ExitConvention::Command), 1);
}

#[test]
fn phone_sending_only_other_sip_fails_phone_pnp() {
    let mut snapshot = healthy();
    snapshot.peer = peer(true, true, true);
    snapshot.expected_phones = vec!["198.51.100.21".parse().unwrap()];
    let mut listen = listened(Vec::new());
    if let Observed::Done(report) = &mut listen {
        report.non_pnp.push(OtherSip {
            source: "198.51.100.21:5060".parse::<SocketAddr>().unwrap(),
            kind: "REGISTER".into(),
            user_agent: None,
            count: 1,
        });
    }
    snapshot.listen = listen;
    assert_eq!(statuses(&snapshot), [Pass, Pass, Pass, Fail]);
}

#[test]
fn silent_phone_fails_only_on_a_known_good_network() {
    let mut snapshot = healthy();
    snapshot.expected_phones = vec!["198.51.100.22".parse().unwrap()];
    snapshot.listen = listened(Vec::new());
    assert_eq!(status_of(&snapshot, phone::EXPECTED), Warn);
    snapshot.peer = peer(true, true, true);
    assert_eq!(status_of(&snapshot, phone::EXPECTED), Fail);
}

#[test]
fn pbx_owning_the_port_exclusively_is_still_judged() {
    let mut snapshot = healthy();
    let mut listen = listened(vec![phone("198.51.100.20", "00:15:65:73:22:ff")]);
    if let Observed::Done(report) = &mut listen {
        report.heard_by = HeardBy::Capture;
        report
            .limits
            .push("UDP 5060 is held exclusively by asterisk (pid 812): heard by capture only".into());
    }
    snapshot.listen = listen;
    assert_eq!(statuses(&snapshot), [Pass, Pass, Pass, Pass]);
}

#[test]
fn no_route_for_the_group() {
    let mut snapshot = healthy();
    snapshot.facts.group_route = Some(GroupRoute {
        group: PNP_GROUP,
        interface: None,
        interface_index: None,
        source: None,
        method: LookupMethod::KernelLookup,
        error: Some("Network is unreachable (os error 101)".into()),
    });
    snapshot.facts.memberships.clear();
    let (interface, rule) = crate::snapshot::choose_interface(&snapshot.facts, None, &[]).unwrap();
    assert_eq!((interface, rule), (None, InterfaceRule::None));
    snapshot.pnp_interface = None;
    if let Observed::Done(probe) = &mut snapshot.probe {
        probe.answers.clear();
    }
    assert_eq!(status_of(&snapshot, membership::GROUP_ROUTE), Fail);
    assert_eq!(statuses(&snapshot)[0], Fail);
}

#[test]
fn passive_run_skips_what_needs_sending() {
    let mut snapshot = healthy();
    snapshot.passive = true;
    snapshot.probe = Observed::NotAsked;
    snapshot.querier = Observed::NotAsked;
    assert_eq!(statuses(&snapshot), [Pass, Skip, Pass, Skip]);
    assert_eq!(status_of(&snapshot, membership::PBX_ANSWERS), Skip);
    assert_eq!(status_of(&snapshot, multicast::QUERIER), Skip);
}

#[test]
fn two_servers_answering_warn() {
    let mut snapshot = healthy();
    if let Observed::Done(probe) = &mut snapshot.probe {
        let mut rogue = probe.answers[0].clone();
        rogue.responder = "198.51.100.66:5060".parse().unwrap();
        rogue.this_host = false;
        probe.answers.push(rogue);
    }
    assert_eq!(status_of(&snapshot, membership::PBX_ANSWERS), Warn);
}

#[test]
fn nothing_decided_is_incomplete() {
    let mut snapshot = healthy();
    snapshot.pnp_interface = None;
    snapshot.facts.group_route = None;
    snapshot.facts.listeners.clear();
    snapshot.probe = Observed::Skipped("no PnP interface".into());
    snapshot.querier = Observed::Skipped("no PnP interface".into());
    snapshot.facts.interfaces.clear();
    let requirements = evaluate(&snapshot);
    // The port holder still warns: nothing listens on 5060.
    assert_eq!(requirements[0].status, Warn);
}

fn summary_of(snapshot: &Snapshot, id: &str) -> String {
    evaluate(snapshot).iter().flat_map(|r| &r.checks).find(|c| c.id == id).unwrap().summary.clone()
}

fn check_of(snapshot: &Snapshot, id: &str) -> Check {
    evaluate(snapshot).into_iter().flat_map(|r| r.checks).find(|c| c.id == id).unwrap()
}

fn captured_not_delivered(source: &str, socket_drops: u64) -> Observed<ListenReport> {
    let mut listen = listened(Vec::new());
    if let Observed::Done(report) = &mut listen {
        report.captured_not_delivered = vec![source.parse().unwrap()];
        report.socket_drops = Some(socket_drops);
    }
    listen
}

fn route(cidr: &str, interface: &str) -> crate::facts::Route {
    let (addr, prefix) = cidr.split_once('/').unwrap();
    crate::facts::Route {
        destination: crate::facts::IpNet::new(addr.parse().unwrap(), prefix.parse().unwrap()),
        gateway: None,
        interface: Some(interface.into()),
        interface_index: None,
        metric: 0,
        effective_metric: None,
        table: "main".into(),
        route_type: crate::facts::RouteType::Unicast,
        source: None,
    }
}

#[test]
fn strict_rp_filter_is_blamed_only_where_it_can_be_the_cause() {
    let mut snapshot = healthy();
    snapshot.facts.firewall.rp_filter = vec![
        crate::facts::RpFilter { interface: "all".into(), value: 1 },
        crate::facts::RpFilter { interface: "eth0".into(), value: 0 },
    ];
    assert_eq!(status_of(&snapshot, multicast::RP_FILTER), Pass);
    // A phone on eth0's own subnet passes a strict filter: something else dropped it.
    snapshot.listen = captured_not_delivered("198.51.100.20:5060", 0);
    assert_eq!(status_of(&snapshot, multicast::RP_FILTER), Pass);
    let delivered = check_of(&snapshot, multicast::DELIVERED);
    assert_eq!(delivered.status, Fail);
    assert!(delivered.summary.contains("could not read"), "{}", delivered.summary);
    assert!(
        !delivered.remedy.unwrap().contains("rp_filter"),
        "no rp_filter advice where it cannot be the cause"
    );
    // The route back to the phone leaves by another interface: now strict filtering is the cause.
    snapshot.facts.routes = vec![route("198.51.100.0/24", "eth0"), route("198.51.100.16/28", "eth1")];
    assert_eq!(status_of(&snapshot, multicast::RP_FILTER), Fail);
    let delivered = check_of(&snapshot, multicast::DELIVERED);
    assert!(delivered.summary.contains("reverse-path filter likely"), "{}", delivered.summary);
    assert!(delivered.remedy.unwrap().contains("net.ipv4.conf.eth0.rp_filter=2"));
}

#[test]
fn loose_rp_filter_is_blamed_only_when_no_route_leads_back() {
    let mut snapshot = healthy();
    snapshot.facts.firewall.rp_filter = vec![
        crate::facts::RpFilter { interface: "all".into(), value: 2 },
        crate::facts::RpFilter { interface: "eth0".into(), value: 2 },
    ];
    snapshot.listen = captured_not_delivered("192.0.2.7:5060", 0);
    // A default route leads back to anything: loose filtering lets it pass.
    snapshot.facts.routes = vec![route("0.0.0.0/0", "eth0")];
    assert_eq!(status_of(&snapshot, multicast::RP_FILTER), Pass);
    // No route back at all: loose filtering drops it.
    snapshot.facts.routes = vec![route("198.51.100.0/24", "eth0")];
    assert_eq!(status_of(&snapshot, multicast::RP_FILTER), Fail);
}

#[test]
fn the_rp_filter_key_of_a_vlan_interface_uses_a_slash() {
    assert_eq!(crate::managers::sysctl::key_segment("eth0.100"), "eth0/100");
    let fix = remedy::loosen_rp_filter(OsFamily::Linux, "eth0.100", Some((1, 1))).text;
    assert!(fix.contains("net.ipv4.conf.all.rp_filter=2"), "{fix}");
    assert!(fix.contains("net.ipv4.conf.eth0/100.rp_filter=2"), "{fix}");
}

#[test]
fn sockets_that_dropped_explain_the_loss_before_any_firewall() {
    let mut snapshot = healthy();
    snapshot.facts.firewall.rp_filter = vec![
        crate::facts::RpFilter { interface: "all".into(), value: 1 },
        crate::facts::RpFilter { interface: "eth0".into(), value: 1 },
    ];
    snapshot.facts.routes = vec![route("198.51.100.16/28", "eth1")];
    snapshot.listen = captured_not_delivered("198.51.100.20:5060", 12);
    let delivered = check_of(&snapshot, multicast::DELIVERED);
    assert_eq!(delivered.status, Warn);
    assert!(delivered.summary.contains("dropped 12 datagrams"), "{}", delivered.summary);
    assert!(delivered.remedy.unwrap().contains("rmem_max"));
    assert_eq!(status_of(&snapshot, multicast::RP_FILTER), Pass);
    assert_eq!(statuses(&snapshot), [Pass, Skip, Warn, Skip]);
}

#[test]
fn a_down_interface_is_blamed_on_the_link_and_no_route_is_offered_through_it() {
    let mut snapshot = healthy();
    snapshot.facts.interfaces[0].flags.running = false;
    snapshot.facts.interfaces[0].flags.up = false;
    // A down link loses its routes: the OS has none for the group.
    snapshot.facts.group_route.as_mut().unwrap().interface = None;
    snapshot.interface_rule = InterfaceRule::Interface;
    assert_eq!(status_of(&snapshot, membership::GROUP_ROUTE), Skip);
    let flag = check_of(&snapshot, multicast::INTERFACE_FLAG);
    assert_eq!(flag.status, Fail);
    assert!(flag.remedy.as_deref().unwrap().contains("`sudo ip link set eth0 up`"));
    for check in evaluate(&snapshot).iter().flat_map(|r| &r.checks) {
        assert!(
            !check.remedy.as_deref().unwrap_or("").contains("ip route add"),
            "{}: {:?}",
            check.id,
            check.remedy
        );
    }
    // Up but without carrier: the cable, not `ip link set up`.
    snapshot.facts.interfaces[0].flags.up = true;
    let flag = check_of(&snapshot, multicast::INTERFACE_FLAG);
    assert!(flag.remedy.as_deref().unwrap().contains("no link: check its cable"), "{:?}", flag.remedy);
}

#[test]
fn two_lan_adapters_without_a_phone_ask_instead_of_taking_one_down() {
    let mut snapshot = healthy();
    // The OS routes the group by wan (lower metric); the phones are on eth0, but nobody said so.
    let mut wan = crate::checks::fixtures::interface(
        3,
        "wan",
        crate::facts::InterfaceKind::Ethernet,
        "203.0.113.10/24",
    );
    wan.metric = Some(10);
    snapshot.facts.interfaces[0].metric = Some(100);
    snapshot.facts.interfaces.push(wan);
    snapshot.pnp_interface = Some("wan".into());
    snapshot.interface_rule = InterfaceRule::GroupRoute;
    snapshot.facts.group_route.as_mut().unwrap().interface = Some("wan".into());
    let adapters = check_of(&snapshot, membership::OTHER_ADAPTERS);
    assert_eq!(adapters.status, Warn);
    let fix = adapters.remedy.unwrap();
    assert!(!fix.contains("down"), "never take an adapter the phones may be on down: {fix}");
    assert!(fix.contains("mcready assumed wan") && fix.contains("`-i eth0`"), "{fix}");
    // The PBX joined on eth0 (the fixture's membership): no fix may route the group away from it, nor
    // take eth0 down; membership asks which adapter faces the phones.
    for check in evaluate(&snapshot).iter().flat_map(|r| &r.checks) {
        let remedy = check.remedy.as_deref().unwrap_or("");
        assert!(!remedy.contains("dev wan") && !remedy.contains("eth0 down"), "{}: {remedy}", check.id);
    }
    assert_eq!(status_of(&snapshot, membership::ON_PNP_INTERFACE), Warn);
    assert_eq!(status_of(&snapshot, membership::PBX_ANSWERS), Warn);
    assert_eq!(statuses(&snapshot), [Warn, Skip, Pass, Skip]);
}

#[test]
fn what_the_phones_interface_rides_on_is_never_taken_down() {
    let mut snapshot = healthy();
    // br0 serves the phones; eth1 is its port and a VLAN eth0.100 rides on eth0.
    let mut br0 =
        crate::checks::fixtures::interface(5, "br0", crate::facts::InterfaceKind::Bridge, "198.51.100.10/24");
    br0.metric = Some(100);
    let mut eth1 =
        crate::checks::fixtures::interface(6, "eth1", crate::facts::InterfaceKind::Ethernet, "192.0.2.1/24");
    eth1.metric = Some(5);
    eth1.ipv4.clear();
    snapshot.facts.interfaces = vec![br0, eth1];
    snapshot.facts.stacking =
        vec![crate::facts::Stacked { interface: "br0".into(), rides_on: "eth1".into() }];
    snapshot.pnp_interface = Some("br0".into());
    snapshot.interface_rule = InterfaceRule::PhoneSubnet;
    let adapters = check_of(&snapshot, membership::OTHER_ADAPTERS);
    assert_eq!(adapters.status, Pass, "{adapters:?}");
}

/// Issue 26: the uplink (default route) and a bridge carrying a container are never taken down; once
/// the group's route is pinned to the phones' interface and the PBX joined there, nothing competes.
#[test]
fn the_uplink_and_a_container_bridge_stay_up_and_a_pinned_route_is_green() {
    use crate::checks::fixtures::{interface, win_route};
    use crate::facts::{InterfaceKind, Stacked};
    let mut snapshot = wrong_nic();
    snapshot.facts.interfaces.retain(|i| i.name != "wlan0");
    let mut wan = interface(3, "wan", InterfaceKind::Virtual, "203.0.113.10/24");
    wan.metric = Some(0);
    let docker0 = interface(4, "docker0", InterfaceKind::Virtual, "172.17.0.1/16");
    snapshot.facts.interfaces.extend([wan, docker0]);
    snapshot.facts.stacking = vec![Stacked { interface: "docker0".into(), rides_on: "veth1a2b3c".into() }];
    snapshot.facts.routes = vec![win_route("0.0.0.0", 0, Some("203.0.113.1"), 3, "wan", 0)];
    snapshot.facts.memberships[0].interface = "wan".into();
    snapshot.facts.group_route.as_mut().unwrap().interface = Some("wan".into());
    let adapters = check_of(&snapshot, membership::OTHER_ADAPTERS);
    assert_eq!(adapters.status, Warn);
    assert!(
        adapters
            .summary
            .contains("Never take down wan (it carries the default route) or docker0 (it is a bridge"),
        "{}",
        adapters.summary
    );
    for check in evaluate(&snapshot).iter().flat_map(|r| &r.checks) {
        let remedy = check.remedy.as_deref().unwrap_or("");
        assert!(!remedy.contains(" down"), "{}: {remedy}", check.id);
    }
    assert_eq!(adapters.remedy, check_of(&snapshot, membership::ON_PNP_INTERFACE).remedy);
    // The fix applied: 224.0.0.0/4 by eth0, the PBX joined again there.
    snapshot.facts.routes.push(win_route("224.0.0.0", 4, None, 2, "eth0", 0));
    snapshot.facts.memberships[0].interface = "eth0".into();
    snapshot.facts.group_route.as_mut().unwrap().interface = Some("eth0".into());
    let adapters = check_of(&snapshot, membership::OTHER_ADAPTERS);
    assert_eq!(adapters.status, Pass, "{adapters:?}");
    assert!(adapters.summary.contains("pinned to eth0"), "{}", adapters.summary);
}

/// Issue 26: hypervisor bridges (libvirt's virbr0 without a VM yet, Proxmox's vmbr1 with a VM's tap)
/// and a loopback are never offered to be taken down; a plain bridge with no port is.
#[test]
fn hypervisor_bridges_stay_up_and_a_bare_bridge_does_not_have_to() {
    use crate::checks::fixtures::interface;
    use crate::facts::{InterfaceKind, Stacked};
    let mut snapshot = wrong_nic();
    snapshot.facts.interfaces.retain(|i| i.name != "wlan0");
    let virbr0 = interface(5, "virbr0", InterfaceKind::Virtual, "192.168.122.1/24");
    let vmbr1 = interface(6, "vmbr1", InterfaceKind::Bridge, "10.10.10.1/24");
    let spare = interface(7, "brspare", InterfaceKind::Bridge, "10.20.20.1/24");
    snapshot.facts.interfaces.extend([virbr0, vmbr1, spare]);
    snapshot.facts.stacking = vec![Stacked { interface: "vmbr1".into(), rides_on: "tap100i0".into() }];
    let names: Vec<&crate::facts::Interface> = snapshot.facts.interfaces.iter().collect();
    let stays = |name: &str| {
        let found = names.iter().find(|i| i.name == name).unwrap();
        super::membership::must_stay_up(&snapshot, found)
    };
    assert!(stays("virbr0").is_some_and(|why| why.contains("virtual-machine bridge")));
    assert!(stays("vmbr1").is_some_and(|why| why.contains("1 port")));
    assert_eq!(stays("brspare"), None);
    let mut lo = interface(1, "lo", InterfaceKind::Loopback, "127.0.0.1/8");
    lo.flags.loopback = true;
    assert!(super::membership::must_stay_up(&snapshot, &lo).is_some());
    // Its remedies take down only the bare bridge.
    for check in evaluate(&snapshot).iter().flat_map(|r| &r.checks) {
        let remedy = check.remedy.as_deref().unwrap_or("");
        assert!(!remedy.contains("virbr0 down") && !remedy.contains("vmbr1 down"), "{}: {remedy}", check.id);
    }
}

#[test]
fn an_answer_only_mcreadys_join_made_possible_fails_membership() {
    let mut snapshot = wrong_nic();
    // The PBX joined on wlan0 only; it answered the probe, which mcready sent with its own join on eth0.
    let answers = check_of(&snapshot, membership::PBX_ANSWERS);
    assert_eq!(answers.status, Fail);
    assert!(answers.summary.contains("only because mcready itself joined"), "{}", answers.summary);
    let on = check_of(&snapshot, membership::ON_PNP_INTERFACE);
    assert!(on.summary.contains("came only through mcready's own join"), "{}", on.summary);
    // Joined on eth0 before: the same answer is genuine.
    snapshot.facts.memberships[0].interface = "eth0".into();
    assert_eq!(status_of(&snapshot, membership::PBX_ANSWERS), Pass);
}

#[test]
fn hosts_behind_nat_warn_and_host_networking_does_not() {
    let env = |container: Option<&str>, own: Option<bool>| crate::facts::HostEnvironment {
        container: container.map(str::to_owned),
        in_container_network: own,
        ..Default::default()
    };
    let mut snapshot = healthy();
    snapshot.facts.interfaces[0].kind_detail = Some("veth".into());
    snapshot.facts.environment = Some(env(None, None));
    assert_eq!(status_of(&snapshot, multicast::BEHIND_NAT), Pass);
    // A container whose eth0 is a veth: a bridge network.
    snapshot.facts.environment = Some(env(Some("docker"), Some(true)));
    let nat = check_of(&snapshot, multicast::BEHIND_NAT);
    assert_eq!(nat.status, Warn);
    assert!(nat.remedy.unwrap().contains("--network host"));
    assert_eq!(statuses(&snapshot), [Pass, Skip, Warn, Skip]);
    // Host networking: the host's own NIC.
    snapshot.facts.interfaces[0].kind_detail = Some("e1000e".into());
    assert_eq!(status_of(&snapshot, multicast::BEHIND_NAT), Pass);
    // A namespace made beside the container's own (a lab) is not the container's network.
    snapshot.facts.interfaces[0].kind_detail = Some("veth".into());
    snapshot.facts.environment = Some(env(Some("docker"), Some(false)));
    assert_eq!(status_of(&snapshot, multicast::BEHIND_NAT), Pass);
    snapshot.facts.environment = Some(env(Some("docker"), None));
    assert_eq!(status_of(&snapshot, multicast::BEHIND_NAT), Skip);
    // WSL 2: NAT warns, mirrored does not.
    let mut wsl = env(None, None);
    wsl.wsl = true;
    snapshot.facts.environment = Some(wsl.clone());
    assert!(check_of(&snapshot, multicast::BEHIND_NAT).remedy.unwrap().contains("networkingMode=mirrored"));
    wsl.wsl_mirrored = true;
    snapshot.facts.environment = Some(wsl);
    assert_eq!(status_of(&snapshot, multicast::BEHIND_NAT), Pass);
    // A VirtualBox guest on its NAT network.
    let mut vm = env(None, None);
    vm.virtual_machine = Some("VirtualBox".into());
    snapshot.facts.environment = Some(vm);
    assert_eq!(status_of(&snapshot, multicast::BEHIND_NAT), Pass, "bridged: on the LAN's subnet");
    snapshot.facts.interfaces[0].ipv4 = vec![crate::facts::IpNet::new("10.0.2.15".parse().unwrap(), 24)];
    assert_eq!(status_of(&snapshot, multicast::BEHIND_NAT), Warn);
}

#[test]
fn a_passive_window_shorter_than_the_query_interval_is_skip() {
    let mut snapshot = healthy();
    snapshot.querier =
        Observed::Done(QuerierReport { queries: Vec::new(), scratch_group: None, listened_secs: Some(30) });
    assert_eq!(status_of(&snapshot, multicast::QUERIER), Skip);
    snapshot.querier =
        Observed::Done(QuerierReport { queries: Vec::new(), scratch_group: None, listened_secs: Some(130) });
    assert_eq!(status_of(&snapshot, multicast::QUERIER), Warn);
}

#[test]
fn the_same_address_as_phone_and_peer_is_one_host() {
    let mut snapshot = healthy();
    let peer_report = peer(true, true, true);
    let peer_ip = peer_report.done().unwrap().peer.ip();
    snapshot.expected_phones = vec![peer_ip, peer_ip];
    snapshot.peer = peer_report;
    assert_eq!(snapshot.known_hosts(), vec![(peer_ip, "--phone")]);
    let requirements = evaluate(&snapshot);
    let subnet = &requirements[1].checks[0];
    assert!(subnet.summary.starts_with("1 known"), "{}", subnet.summary);
}

fn soak_report(rounds: &[(bool, bool, Option<bool>)]) -> crate::observed::SoakReport {
    crate::observed::SoakReport {
        duration_secs: 300.0,
        interval_secs: 15.0,
        rounds: rounds
            .iter()
            .enumerate()
            .map(|(i, &(unicast, here_to_peer, peer_to_here))| crate::observed::SoakRound {
                at_secs: 15.0 * f64::from(u32::try_from(i).unwrap()),
                unicast,
                here_to_peer,
                peer_to_here,
                error: None,
            })
            .collect(),
        phones_heard: Some(0),
        limits: Vec::new(),
        interrupted: false,
        discovery: None,
    }
}

fn soak_check(snapshot: &Snapshot) -> (Status, String) {
    let requirements = evaluate(snapshot);
    let check = requirements[2].checks.iter().find(|c| c.id == "multicast.soak").expect("a soak check");
    (check.status, check.summary.clone())
}

#[test]
fn a_soak_where_multicast_stops_blames_the_missing_querier_with_the_timeline() {
    let mut snapshot = healthy();
    snapshot.querier =
        Observed::Done(QuerierReport { queries: Vec::new(), scratch_group: None, listened_secs: None });
    let ok = (true, true, Some(true));
    let stopped = (true, false, Some(false));
    snapshot.soak =
        Observed::Done(soak_report(&[ok; 18].iter().copied().chain([stopped; 3]).collect::<Vec<_>>()));
    let (status, summary) = soak_check(&snapshot);
    assert_eq!(status, Fail);
    assert!(summary.contains("between 255 s and 270 s") && summary.contains("no IGMP querier"), "{summary}");
    assert_eq!(statuses(&snapshot)[2], Fail);
    // Not asked: no soak check at all.
    assert!(evaluate(&healthy())[2].checks.iter().all(|c| c.id != "multicast.soak"));
}

#[test]
fn a_soak_that_flows_passes_and_one_whose_peer_is_down_proves_nothing() {
    let mut snapshot = healthy();
    snapshot.soak = Observed::Done(soak_report(&[(true, true, None); 21]));
    let (status, summary) = soak_check(&snapshot);
    assert_eq!(status, Pass, "{summary}");
    assert!(summary.contains("kept flowing both ways for 300 s"), "{summary}");
    snapshot.soak = Observed::Done(soak_report(&[(false, false, None); 4]));
    assert_eq!(soak_check(&snapshot).0, Skip);
    snapshot.soak = Observed::Done(soak_report(&[(true, false, Some(false)); 4]));
    assert!(soak_check(&snapshot).1.contains("did not cross"));
}
