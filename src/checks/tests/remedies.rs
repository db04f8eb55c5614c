//! The remedies each OS gets, from its own facts: Windows' route and interface metrics (never a sum it
//! could not compute), adapters never disabled under the PnP adapter, its firewall and memberships;
//! macOS's service order; a PBX told to bind the right interface.

use super::*;

#[test]
fn macos_remedies_use_the_service_order_and_spare_the_phones_interface() {
    let mut snapshot = wrong_nic();
    snapshot.os = OsFamily::Macos;
    let remedy_of = |id: &str| {
        evaluate(&snapshot).iter().flat_map(|r| &r.checks).find(|c| c.id == id).and_then(|c| c.remedy.clone())
    };
    let route = remedy_of(membership::GROUP_ROUTE).unwrap_or_default();
    assert!(route.contains("sudo route -n add -net 224.0.0.0/4 -interface eth0"), "{route}");
    assert!(route.contains("networksetup -ordernetworkservices"), "{route}");
    let adapters = remedy_of(membership::OTHER_ADAPTERS).unwrap_or_default();
    assert!(adapters.contains("-setnetworkserviceenabled"), "{adapters}");
    assert!(adapters.contains("service of wlan0"), "{adapters}");
    // Only the stray adapter is named for disabling, never the one facing the phones.
    assert!(!adapters.contains("service of eth0"), "{adapters}");
}

fn remedy_of(snapshot: &Snapshot, id: &str) -> String {
    evaluate(snapshot)
        .iter()
        .flat_map(|r| r.checks.clone())
        .find(|c| c.id == id)
        .unwrap()
        .remedy
        .unwrap_or_default()
}

#[test]
fn windows_wrong_nic_fix_is_computed_from_the_metrics_read() {
    use crate::checks::fixtures::windows_wrong_nic;
    let snapshot = windows_wrong_nic();
    assert_eq!(status_of(&snapshot, membership::ON_PNP_INTERFACE), Fail);
    assert_eq!(status_of(&snapshot, membership::GROUP_ROUTE), Warn);
    let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
    // Wi-Fi wins with 256 + 15; a route with metric 1 on Ethernet 2 makes 1 + 25; an interface metric of
    // 14 makes 256 + 14 < 271.
    for expected in [
        "now \"Wi-Fi\" (index 17) ranks first with a /4 route and effective metric 271",
        "`New-NetRoute -DestinationPrefix 224.0.0.0/4 -InterfaceIndex 12 -RouteMetric 1 -PolicyStore PersistentStore`",
        "its effective metric becomes 26.",
        "`Set-NetIPInterface -InterfaceIndex 12 -AddressFamily IPv4 -InterfaceMetric 14`",
        "restart the PBX service",
        "`netsh interface ipv4 show joins`",
        "to 1, then 10, 12, 15 and 20",
    ] {
        assert!(fix.contains(expected), "missing {expected:?} in {fix}");
    }
    assert!(!fix.contains("sudo"), "{fix}");
    // Wi-Fi carries a default route: never disabled; the route pinned to Ethernet 2 answers it.
    let adapters = check_of(&snapshot, membership::OTHER_ADAPTERS);
    assert!(adapters.summary.contains("Never take down Wi-Fi"), "{}", adapters.summary);
    let adapters = adapters.remedy.unwrap_or_default();
    assert!(!adapters.contains("Disable-NetAdapter"), "{adapters}");
    assert!(adapters.contains("-InterfaceIndex 12 -RouteMetric 1"), "{adapters}");
}

#[test]
fn windows_fix_when_the_interface_metric_has_no_room() {
    use crate::checks::fixtures::windows_wrong_nic;
    let mut snapshot = windows_wrong_nic();
    snapshot.facts.interfaces[2].metric = Some(1);
    let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
    assert!(fix.contains("effective metric 257"), "{fix}");
    assert!(fix.contains("cannot go low enough on its own: raise \"Wi-Fi\"'s instead"), "{fix}");
    // The route fix still wins: 1 + 25 < 257.
    assert!(fix.contains("its effective metric becomes 26."), "{fix}");
}

#[test]
fn windows_fix_without_metrics_asks_for_them() {
    use crate::checks::fixtures::windows_wrong_nic;
    let mut snapshot = windows_wrong_nic();
    for interface in &mut snapshot.facts.interfaces {
        interface.metric = None;
    }
    let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
    assert!(fix.contains("-InterfaceIndex 12 -RouteMetric 1"), "{fix}");
    assert!(fix.contains("`Get-NetIPInterface -AddressFamily IPv4` shows them"), "{fix}");
}

#[test]
fn windows_never_offers_to_disable_what_the_pnp_adapter_rides_on() {
    use crate::checks::fixtures::windows_hyperv_external;
    let snapshot = windows_hyperv_external();
    assert_eq!(status_of(&snapshot, membership::ON_PNP_INTERFACE), Pass);
    assert_eq!(status_of(&snapshot, membership::OTHER_ADAPTERS), Warn);
    let fix = remedy_of(&snapshot, membership::OTHER_ADAPTERS);
    assert!(fix.contains("-Name 'Wi-Fi'") && fix.contains("-Name 'vEthernet (WSL)'"), "{fix}");
    assert!(!fix.contains("-Name 'Ethernet'") && !fix.contains("'vEthernet (External)'"), "{fix}");
}

#[test]
fn unreadable_memberships_are_skip_never_not_joined() {
    use crate::checks::fixtures::windows_wrong_nic;
    let mut snapshot = windows_wrong_nic();
    snapshot.facts.memberships.clear();
    snapshot.facts.memberships_unreadable = Some("GetMulticastIpAddressTable: not supported".into());
    assert_eq!(status_of(&snapshot, membership::ON_PNP_INTERFACE), Skip);
    let summary = evaluate(&snapshot)[0].checks[0].summary.clone();
    assert!(
        summary.contains("could not be read") && !summary.contains("No interface has joined"),
        "{summary}"
    );
}

#[test]
fn powershell_names_are_quoted_literally() {
    assert_eq!(
        remedy::disable_adapter(OsFamily::Windows, "Bob's $Wi-Fi"),
        "`Disable-NetAdapter -Name 'Bob''s $Wi-Fi' -Confirm:$false`"
    );
    // A typographic quote ends a PowerShell string too: doubled like the ASCII one.
    assert_eq!(
        remedy::disable_adapter(OsFamily::Windows, "Bob\u{2019}s Wi-Fi"),
        "`Disable-NetAdapter -Name 'Bob\u{2019}\u{2019}s Wi-Fi' -Confirm:$false`"
    );
}

#[test]
fn a_pbx_that_names_the_wrong_interface_itself_is_told_to_bind_the_right_one() {
    let mut snapshot = healthy();
    let wlan0 =
        crate::checks::fixtures::interface(3, "wlan0", crate::facts::InterfaceKind::Wifi, "203.0.113.55/24");
    snapshot.facts.interfaces.push(wlan0);
    snapshot.facts.memberships[0].interface = "wlan0".into();
    // The group's route already leaves by eth0: no route change would move the PBX.
    assert_eq!(status_of(&snapshot, membership::ON_PNP_INTERFACE), Fail);
    let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
    assert!(fix.contains("so the PBX chose wlan0 itself") && fix.contains("eth0 (198.51.100.10)"), "{fix}");
    assert!(!fix.contains("ip route add"), "{fix}");
}

#[test]
fn windows_fix_never_prints_a_sum_it_could_not_compute() {
    use crate::checks::fixtures::windows_wrong_nic;
    let mut snapshot = windows_wrong_nic();
    snapshot.facts.interfaces[2].metric = None;
    let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
    assert!(fix.contains("(route metric 256; its interface metric was not read)"), "{fix}");
    assert!(!fix.contains("effective metric 256"), "{fix}");
    assert!(fix.contains("`Get-NetIPInterface -AddressFamily IPv4` shows them"), "{fix}");
    // Its own effective metric with the new route is known: 1 + 25.
    assert!(fix.contains("its effective metric becomes 26."), "{fix}");
}

#[test]
fn an_unread_windows_firewall_is_skip_not_pass() {
    let snapshot = crate::checks::fixtures::windows_wrong_nic();
    assert_eq!(status_of(&snapshot, multicast::HOST_FIREWALL), Skip);
    // The same empty facts on Linux mean no firewall tool is installed.
    assert_eq!(status_of(&healthy(), multicast::HOST_FIREWALL), Pass);
}

#[test]
fn windows_has_no_conntrack_helper_and_its_firewall_fix_is_scoped_to_the_pnp_adapter() {
    let mut snapshot = healthy();
    snapshot.os = OsFamily::Windows;
    assert_eq!(status_of(&snapshot, multicast::SIP_HELPER), Skip);
    snapshot.listen = captured_not_delivered("198.51.100.20:5060", 0);
    let delivered = check_of(&snapshot, multicast::DELIVERED);
    assert_eq!(delivered.status, Fail);
    let remedy = delivered.remedy.unwrap_or_default();
    assert!(
        remedy.contains("-LocalPort 5060 -InterfaceAlias 'eth0' -RemoteAddress LocalSubnet -Action Allow"),
        "{remedy}"
    );
}

/// `eth0` configured by `manager` (with `file`), as the platform's detector records it.
fn managed_by(
    snapshot: &mut Snapshot,
    manager: crate::facts::NetworkManager,
    renderer: Option<crate::facts::NetworkManager>,
    file: Option<&str>,
) {
    snapshot.facts.network_manager = Some(crate::facts::NetworkManagement {
        present: vec![manager],
        interfaces: vec![crate::facts::ManagedInterface {
            interface: "eth0".into(),
            manager,
            renderer,
            file: file.map(str::to_owned),
            netplan_definition: None,
            evidence: Vec::new(),
        }],
    });
}

#[test]
fn the_route_is_made_to_last_by_the_manager_in_use_only() {
    use crate::facts::NetworkManager as M;
    let mut snapshot = wrong_nic();
    // Unknown: every usual way.
    let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
    for every in ["netplan", "nmcli connection modify", "/etc/network/interfaces"] {
        assert!(fix.contains(every), "{every} in {fix}");
    }
    let cases = [
        (
            M::Netplan,
            Some(M::SystemdNetworkd),
            Some("/etc/netplan/50-cloud-init.yaml"),
            "in /etc/netplan/50-cloud-init.yaml, then `sudo netplan apply`",
        ),
        (M::NetworkManager, None, None, "`sudo nmcli device reapply eth0`"),
        (
            M::SystemdNetworkd,
            None,
            Some("/etc/systemd/network/20-wired.network"),
            "to /etc/systemd/network/20-wired.network, then `sudo networkctl reload`",
        ),
        (
            M::Ifupdown,
            None,
            Some("/etc/network/interfaces.d/eth0"),
            "under `iface eth0` in /etc/network/interfaces.d/eth0",
        ),
    ];
    for (manager, renderer, file, expected) in cases {
        managed_by(&mut snapshot, manager, renderer, file);
        let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
        assert!(fix.contains(expected), "{manager:?}: {fix}");
        assert!(fix.contains("`sudo ip route add 224.0.0.0/4 dev eth0`"), "{fix}");
        let others = ["netplan", "nmcli", "networkctl", "/etc/network/interfaces"];
        let named = others.iter().filter(|o| fix.contains(*o)).count();
        assert_eq!(named, 1, "only the manager in use: {fix}");
    }
    // `none` found is not a manager: every way again.
    managed_by(&mut snapshot, M::None, None, None);
    assert!(remedy_of(&snapshot, membership::ON_PNP_INTERFACE).contains("nmcli connection modify <conn>"));
}

fn served_by(
    snapshot: &mut Snapshot,
    manager: crate::facts::ServiceManager,
    name: &str,
    runtime: Option<&str>,
) {
    snapshot.facts.listeners[0].processes[0].service = Some(crate::facts::Service {
        manager,
        name: name.into(),
        runtime: runtime.map(str::to_owned),
        user: None,
        display_name: None,
    });
}

#[test]
fn restarting_the_pbx_names_its_service() {
    use crate::facts::ServiceManager as S;
    let mut snapshot = wrong_nic();
    let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
    assert!(fix.contains("Restart the PBX so it joins"), "{fix}");
    served_by(&mut snapshot, S::Systemd, "asterisk.service", None);
    let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
    assert!(fix.contains("Restart the PBX (`sudo systemctl restart asterisk.service`) so it joins"), "{fix}");
    let adapters = remedy_of(&snapshot, membership::OTHER_ADAPTERS);
    assert!(adapters.contains("(`sudo systemctl restart asterisk.service`)"), "{adapters}");
    served_by(&mut snapshot, S::Container, "3f2a9c41d07b", Some("docker"));
    let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
    assert!(fix.contains("(`sudo docker restart 3f2a9c41d07b`)"), "{fix}");
    // A login session's scope cannot be restarted: nothing is named.
    served_by(&mut snapshot, S::SystemdScope, "session-3.scope", None);
    assert!(remedy_of(&snapshot, membership::ON_PNP_INTERFACE).contains("Restart the PBX so it joins"));
    // Two different services on the port: which one is the PBX is a guess, so none is named.
    served_by(&mut snapshot, S::Systemd, "asterisk.service", None);
    let mut other = snapshot.facts.listeners[0].clone();
    other.processes[0].service.as_mut().unwrap().name = "kamailio.service".into();
    snapshot.facts.listeners.push(other);
    assert!(remedy_of(&snapshot, membership::ON_PNP_INTERFACE).contains("Restart the PBX so it joins"));
}

#[test]
fn windows_restart_names_the_service_quoted() {
    use crate::checks::fixtures::windows_wrong_nic;
    let mut snapshot = windows_wrong_nic();
    assert!(remedy_of(&snapshot, membership::ON_PNP_INTERFACE).contains("(`Restart-Service <PBX service>`)"));
    served_by(&mut snapshot, crate::facts::ServiceManager::WindowsService, "PortSIP PBX's", None);
    let fix = remedy_of(&snapshot, membership::ON_PNP_INTERFACE);
    assert!(
        fix.contains("restart the PBX service (`Restart-Service -Name 'PortSIP PBX''s'`) or reboot"),
        "{fix}"
    );
}

#[test]
fn receive_buffers_are_raised_never_lowered_and_set_back_on_undo() {
    use crate::facts::ReceiveBuffers;
    let mut facts = crate::facts::HostFacts {
        receive_buffers: Some(ReceiveBuffers { max: 212_992, default: 8_388_608 }),
        ..Default::default()
    };
    let fix = remedy::raise_receive_buffers(OsFamily::Linux, &facts);
    let step = &fix.steps[0];
    // rmem_default read above the target stays where it was.
    assert_eq!(step.command, "sudo sysctl -w net.core.rmem_max=16777216 net.core.rmem_default=8388608");
    assert_eq!(
        step.undo.as_deref(),
        Some("sudo sysctl -w net.core.rmem_max=212992 net.core.rmem_default=8388608")
    );
    assert!(fix.text.contains(&step.command), "{}", fix.text);
    // Unread limits: the usual targets, and no undo guessed.
    facts.receive_buffers = None;
    let fix = remedy::raise_receive_buffers(OsFamily::Linux, &facts);
    assert_eq!(
        fix.steps[0].command,
        "sudo sysctl -w net.core.rmem_max=16777216 net.core.rmem_default=4194304"
    );
    assert_eq!(fix.steps[0].undo, None);
}

/// Issue 26: the generic opening speaks the manager in use alone when it is known, one command.
#[test]
fn the_generic_firewall_opening_names_the_manager_in_use_only() {
    use crate::fix::Manager;
    let every = remedy::open_firewall(OsFamily::Linux, 5060, Some("198.51.100.0/24"), Some("eth0"), None);
    assert!(every.text.contains("ufw") && every.text.contains("firewalld"), "{}", every.text);
    for (manager, word) in [
        (Manager::Ufw, "sudo ufw allow from 198.51.100.0/24"),
        (Manager::Firewalld, "sudo firewall-cmd --permanent"),
        (Manager::Nft, "sudo nft insert rule"),
        (Manager::IptablesNft, "sudo iptables-nft -I INPUT 1 -s 198.51.100.0/24"),
    ] {
        let fix = remedy::open_firewall(
            OsFamily::Linux,
            5060,
            Some("198.51.100.0/24"),
            Some("eth0"),
            Some(manager),
        );
        assert!(fix.text.contains(word), "{manager:?}: {}", fix.text);
        let others =
            ["ufw", "firewall-cmd", "nft insert", "iptables"].iter().filter(|w| fix.text.contains(**w));
        assert_eq!(others.count(), 1, "{manager:?} names another manager: {}", fix.text);
        assert!(fix.text.len() < 300, "{}", fix.text);
    }
}

#[test]
fn windows_interface_metric_is_computed_only_when_the_route_alone_does_not_win() {
    use crate::checks::fixtures::windows_wrong_nic;
    use crate::checks::remedy::windows_interface_metric;
    use crate::fix::{Class, Native};
    let group = std::net::Ipv4Addr::new(224, 0, 1, 75);
    let mut snapshot = windows_wrong_nic();
    let target = |s: &Snapshot| s.facts.interfaces.iter().find(|i| i.index == 12).cloned().unwrap();
    // Wi-Fi ranks with 256 + 15 = 271; the new route makes 1 + 25 = 26: it wins alone.
    assert_eq!(windows_interface_metric(&snapshot.facts, group, &target(&snapshot)), None);
    // Ethernet 2 at metric 300: 1 + 300 is not below 271, so its metric goes to 269 (1 + 269 < 271).
    snapshot.facts.interfaces.iter_mut().find(|i| i.index == 12).unwrap().metric = Some(300);
    assert_eq!(windows_interface_metric(&snapshot.facts, group, &target(&snapshot)), Some(269));
    let fix = check_of(&snapshot, membership::ON_PNP_INTERFACE).fix.unwrap();
    let metric = fix
        .steps
        .iter()
        .find(|s| s.native.as_ref().is_some_and(|n| matches!(n, Native::SetInterfaceMetric { .. })));
    let metric = metric.expect("an interface-metric step");
    assert_eq!(metric.native, Some(Native::SetInterfaceMetric { interface_index: 12, metric: Some(269) }));
    // It moves every route of the adapter: asked first.
    assert_eq!(metric.class, Class::Disruptive);
    assert!(fix.text.contains("-InterfaceMetric 269`: 1 + 269 < 271"), "{}", fix.text);
    // Without the rival's metric the sum is unknown: no metric is computed.
    snapshot.facts.interfaces.iter_mut().find(|i| i.index == 17).unwrap().metric = None;
    assert_eq!(windows_interface_metric(&snapshot.facts, group, &target(&snapshot)), None);
}
