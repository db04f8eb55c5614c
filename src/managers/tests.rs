//! Each manager's command beside its undo: the undo names the same object the command changed, in the
//! same tool's words (the namespace lab runs both: `tests/netns_firewall.rs`, `netns_verdicts.rs`,
//! `netns_ufw.rs`, `netns_firewalld.rs`).

use super::*;
use crate::fix::{Class, Manager, Persistence};

#[test]
fn ip_steps_undo_what_they_set() {
    let route = ip::route_add("224.0.0.0/4", "eth0.100");
    assert_eq!(route.command, "sudo ip route add 224.0.0.0/4 dev eth0.100");
    assert_eq!(route.undo.as_deref(), Some("sudo ip route del 224.0.0.0/4 dev eth0.100"));
    let up = ip::link_up("eth0", true);
    assert_eq!(
        (up.command.as_str(), up.undo.as_deref()),
        ("sudo ip link set eth0 up", Some("sudo ip link set eth0 down"))
    );
    assert_eq!(up.class, Class::Safe);
    // Down moves whatever else uses the link.
    assert_eq!(ip::link_up("wlan0", false).class, Class::Disruptive);
    assert_eq!(ip::multicast_on("eth0").undo.as_deref(), Some("sudo ip link set eth0 multicast off"));
    let querier = ip::bridge_querier("br0");
    assert_eq!(querier.undo.as_deref(), Some("sudo ip link set br0 type bridge mcast_querier 0"));
    assert!(
        [route, querier].iter().all(|s| s.manager == Manager::Ip && s.persistence == Persistence::Runtime)
    );
}

#[test]
fn a_sysctl_undo_needs_every_previous_value() {
    use sysctl::{Setting, rp_filter_key, set};
    assert_eq!(rp_filter_key("eth0.100"), "net.ipv4.conf.eth0/100.rp_filter");
    let known = set(
        "loose",
        &[Setting::new(rp_filter_key("all"), 2, Some(1)), Setting::new(rp_filter_key("eth0"), 2, Some(0))],
    );
    assert_eq!(known.command, "sudo sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2");
    assert_eq!(
        known.undo.as_deref(),
        Some("sudo sysctl -w net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=0")
    );
    // One value unread: no guessed undo.
    let partial = set(
        "loose",
        &[Setting::new(rp_filter_key("all"), 2, Some(1)), Setting::new(rp_filter_key("eth0"), 2, None::<u8>)],
    );
    assert_eq!(partial.undo, None);
}

#[test]
fn firewall_rules_are_removed_by_the_same_words() {
    let nft = nft::add_rule(
        "inet filter",
        "input",
        nft::Place::Before(7),
        "ip saddr 198.51.100.0/24 udp dport 5060 accept",
    );
    assert_eq!(
        nft.command,
        "sudo nft insert rule inet filter input position 7 ip saddr 198.51.100.0/24 udp dport 5060 accept"
    );
    assert!(
        nft.undo
            .as_deref()
            .is_some_and(|u| u.starts_with("sudo nft delete rule inet filter input handle $(")
                && u.contains("grep -F 'ip saddr 198.51.100.0/24 udp dport 5060 accept # handle'"))
    );
    assert!(
        nft::add_rule("filter", "INPUT", nft::Place::End, "accept")
            .command
            .starts_with("sudo nft add rule filter INPUT")
    );

    let spec = iptables::accept_sip_spec("198.51.100.0/24", 5060);
    let inserted = iptables::add_rule(iptables::Program::Legacy, "filter", "INPUT", Some(3), &spec);
    assert_eq!(inserted.command, format!("sudo iptables-legacy -I INPUT 3 {spec}"));
    assert_eq!(inserted.undo, Some(format!("sudo iptables-legacy -D INPUT {spec}")));
    assert_eq!(inserted.manager, Manager::IptablesLegacy);
    let appended = iptables::add_rule(iptables::Program::Nft, "mangle", "PREROUTING", None, &spec);
    assert_eq!(appended.command, format!("sudo iptables-nft -t mangle -A PREROUTING {spec}"));
    assert_eq!(appended.undo, Some(format!("sudo iptables-nft -t mangle -D PREROUTING {spec}")));

    let ufw = ufw::allow_sip("198.51.100.0/24", 5060);
    assert_eq!(
        ufw.undo.as_deref(),
        Some("sudo ufw delete allow from 198.51.100.0/24 to any port 5060 proto udp")
    );
    assert_eq!(ufw.persistence, Persistence::Persistent);

    let zone = firewalld::allow_sip(Some("public"), "198.51.100.0/24", 5060);
    assert!(
        zone.command.starts_with("sudo firewall-cmd --permanent --zone=public --add-rich-rule='rule family")
    );
    assert_eq!(
        zone.undo,
        Some(format!(
            "{} && sudo firewall-cmd --reload",
            zone.command.replace("--add-rich-rule", "--remove-rich-rule")
        ))
    );
    assert_eq!(firewalld::zone_of_chain("filter_IN_public_allow"), Some("public"));
    assert_eq!(firewalld::zone_of_chain("filter_INPUT_ZONES"), None);

    let windows = windows_firewall::allow_sip(5060, Some("Ethernet 2"));
    assert_eq!(windows.undo.as_deref(), Some("Remove-NetFirewallRule -DisplayName 'mcready SIP PnP'"));
    assert!(
        windows.command.contains("-InterfaceAlias 'Ethernet 2' -RemoteAddress LocalSubnet -Action Allow")
    );
    let block = windows_firewall::disable_rule("It's blocked");
    assert_eq!(block.undo.as_deref(), Some("Enable-NetFirewallRule -DisplayName 'It''s blocked'"));
    assert_eq!(block.class, Class::Disruptive);

    assert_eq!(
        pf::load_anchor("pass in quick").undo.as_deref(),
        Some("sudo pfctl -a com.apple/mcready -F rules")
    );
}

#[test]
fn windows_routes_and_adapters() {
    let route = iphelper::new_route("224.0.0.0/4", 12, 1);
    assert_eq!(
        route.command,
        "New-NetRoute -DestinationPrefix 224.0.0.0/4 -InterfaceIndex 12 -RouteMetric 1 -PolicyStore PersistentStore"
    );
    assert!(
        route.undo.as_deref().is_some_and(
            |u| u.starts_with("Remove-NetRoute -DestinationPrefix 224.0.0.0/4 -InterfaceIndex 12")
        )
    );
    let off = iphelper::disable_adapter("Wi-Fi");
    assert_eq!(off.command, "Disable-NetAdapter -Name 'Wi-Fi' -Confirm:$false");
    assert_eq!(
        (off.undo.as_deref(), off.class),
        (Some("Enable-NetAdapter -Name 'Wi-Fi'"), Class::Disruptive)
    );
}

#[test]
fn persistence_is_written_by_the_manager_in_use() {
    use crate::fix::{Edit, Keep};
    // NetworkManager: its keyfile rewritten by nmcli itself, or, without one, its command on the daemon.
    let (text, keep) = network_manager::keep_route("eth1", "224.0.0.0/4", None);
    let Keep::Command { command, undo, .. } = keep else { panic!("{keep:?}") };
    assert!(text.contains(&command) && undo.contains("-ipv4.routes 224.0.0.0/4"), "{text}");
    let (_, keep) = network_manager::keep_route(
        "eth1",
        "224.0.0.0/4",
        Some("/etc/NetworkManager/system-connections/lan.nmconnection"),
    );
    assert!(
        matches!(&keep, Keep::File { edit: Edit::Filter { command }, .. } if command.starts_with("nmcli --offline")),
        "{keep:?}"
    );
    let (_, keep) = netplan::keep_route("eth1", "224.0.0.0/4", "/etc/netplan/01.yaml", Some("ethernets/lan"));
    let Some(Keep::File { file, edit: Edit::Create { content, private: true }, check, .. }) = keep else {
        panic!("{keep:?}")
    };
    assert_eq!(file, "/etc/netplan/90-mcready-eth1.yaml");
    assert!(
        content.contains("  ethernets:\n    lan:\n      routes:\n        - to: 224.0.0.0/4\n"),
        "{content}"
    );
    assert_eq!(check.as_deref(), Some("netplan generate --root-dir {root}"));
    let (_, keep) = networkd::keep_route("eth1", "224.0.0.0/4", Some("/run/systemd/network/10-eth1.network"));
    assert!(
        matches!(&keep, Some(Keep::File { file, .. }) if file == "/etc/systemd/network/10-eth1.network.d/90-mcready.conf"),
        "{keep:?}"
    );
    let (text, keep) = ifupdown::keep_route("eth1", "224.0.0.0/4", Some("/etc/network/interfaces"));
    assert!(text.contains("up ip route replace 224.0.0.0/4 dev eth1"), "{text}");
    assert!(matches!(keep, Some(Keep::File { edit: Edit::Under { .. }, .. })));
    // Without the file (or netplan's definition) nothing is written: the text tells a person.
    assert!(netplan::keep_route("eth1", "224.0.0.0/4", "/etc/netplan/01.yaml", None).1.is_none());
    assert!(networkd::keep_route("eth1", "224.0.0.0/4", None).1.is_none());
    assert!(ifupdown::keep_route("eth1", "224.0.0.0/4", None).1.is_none());
}

#[test]
fn each_step_carries_its_in_place_test_and_state_reader() {
    let nft = nft::add_rule(
        "inet t",
        "input",
        nft::Place::Before(2),
        "ip saddr 198.51.100.0/24 udp dport 5060 accept",
    );
    assert_eq!(
        nft.in_place.as_deref(),
        Some(
            "nft list chain inet t input | tr -d '\"' | grep -qF -- 'ip saddr 198.51.100.0/24 udp dport 5060 accept'"
        )
    );
    assert_eq!(nft.reads.as_deref(), Some("nft list ruleset"));
    let ipt = iptables::add_rule(
        iptables::Program::Legacy,
        "filter",
        "INPUT",
        Some(1),
        "-s 198.51.100.0/24 -p udp --dport 5060 -j ACCEPT",
    );
    assert_eq!(
        ipt.in_place.as_deref(),
        Some("iptables-legacy -C INPUT -s 198.51.100.0/24 -p udp --dport 5060 -j ACCEPT 2>/dev/null")
    );
    assert_eq!(
        ip::route_add("224.0.0.0/4", "eth0").in_place.as_deref(),
        Some("ip route show exact 224.0.0.0/4 dev eth0 | grep -q .")
    );
    let sysctl = sysctl::set(
        "loose",
        &[
            sysctl::Setting::new("net.ipv4.conf.all.rp_filter", 2, None),
            sysctl::Setting::new("net.ipv4.conf.lan/100.rp_filter", 2, None),
        ],
    );
    assert_eq!(
        sysctl.reads.as_deref(),
        Some("sysctl net.ipv4.conf.all.rp_filter net.ipv4.conf.lan/100.rp_filter")
    );
    let querier = ip::bridge_querier("br0");
    assert_eq!(
        querier.in_place.as_deref(),
        Some("[ \"$(cat /sys/class/net/br0/bridge/multicast_querier)\" = '1' ]")
    );
    assert_eq!(querier.reads.as_deref(), Some("cat /sys/class/net/br0/bridge/multicast_querier"));
    let restart = service::restart_step(None);
    assert!(restart.rejoins && restart.in_place.is_none());
}

#[test]
fn the_pbx_restarts_through_its_service_manager() {
    use crate::facts::{Service, ServiceManager};
    let service = |manager, name: &str, runtime: Option<&str>| Service {
        manager,
        name: name.into(),
        runtime: runtime.map(Into::into),
        user: None,
        display_name: None,
    };
    let unit = service(ServiceManager::Systemd, "asterisk.service", None);
    let step = service::restart_step(Some(&unit));
    assert_eq!(
        (step.command.as_str(), step.class),
        ("sudo systemctl restart asterisk.service", Class::Disruptive)
    );
    let windows = service(ServiceManager::WindowsService, "3CX PhoneSystem", None);
    assert_eq!(service::restart_step(Some(&windows)).command, "Restart-Service -Name '3CX PhoneSystem'");
    let pod = service(ServiceManager::Container, "0123456789ab", Some("kubernetes"));
    assert_eq!(service::restart_step(Some(&pod)).class, Class::Manual);
    assert_eq!(service::restart_step(None).class, Class::Manual);
}
