//! The detector on fixture trees (tests/fixtures/netconfig/): each a host's files as the distribution
//! ships them, with `proc/PID/comm` for the daemons that run.

use std::path::PathBuf;

use super::*;

fn tree(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/netconfig").join(name)
}

/// (manager, renderer, file) per interface.
fn managers(
    name: &str,
    interfaces: &[(u32, &str)],
) -> Vec<(NetworkManager, Option<NetworkManager>, Option<String>)> {
    detect(&tree(name), interfaces).interfaces.into_iter().map(|m| (m.manager, m.renderer, m.file)).collect()
}

use NetworkManager::{Ifupdown, Netplan, None as Unmanaged, SystemdNetworkd};

#[test]
fn ubuntu_server_is_netplan_over_networkd() {
    let found = detect(&tree("ubuntu-server"), &[(2, "ens3"), (3, "ens4"), (4, "docker0")]);
    assert_eq!(found.present, [SystemdNetworkd, Netplan]);
    let yaml = Some("/etc/netplan/50-cloud-init.yaml".to_owned());
    let got: Vec<_> = found.interfaces.iter().map(|m| (m.manager, m.renderer, m.file.clone())).collect();
    assert_eq!(
        got,
        [
            (Netplan, Some(SystemdNetworkd), yaml.clone()),
            (Netplan, Some(SystemdNetworkd), yaml),
            (Unmanaged, None, None),
        ]
    );
    assert!(found.interfaces[0].evidence[0].contains("defines ens3"), "{:?}", found.interfaces[0].evidence);
    assert_eq!(found.of("docker0"), None);
}

#[test]
fn a_networkd_link_from_netplan_is_netplan_even_when_the_yaml_is_not_understood() {
    // ens9 is matched by a rule this reader does not follow; networkd's link names netplan's file.
    let found = detect(&tree("ubuntu-server"), &[(3, "ens9")]);
    assert_eq!(found.interfaces[0].manager, Netplan);
    assert_eq!(found.interfaces[0].file.as_deref(), Some("/run/systemd/network/10-netplan-ens4.network"));
}

#[test]
fn ubuntu_desktop_is_netplan_over_network_manager() {
    let got = managers("ubuntu-desktop", &[(2, "enp0s31f6"), (3, "wlp2s0")]);
    assert_eq!(
        got[0],
        (
            Netplan,
            Some(NetworkManager::NetworkManager),
            Some("/etc/netplan/90-NM-9c1b3f0e-5f6a-3c1e-8d1e-2a4b5c6d7e8f.yaml".into())
        )
    );
    // Not in netplan (yet): NetworkManager's own, as its device state says.
    assert_eq!(got[1], (NetworkManager::NetworkManager, None, None));
}

#[test]
fn plain_networkd_and_an_unmanaged_link() {
    let got = managers("networkd", &[(2, "eth0"), (3, "wlan0")]);
    assert_eq!(got[0], (SystemdNetworkd, None, Some("/etc/systemd/network/20-wired.network".into())));
    assert_eq!(got[1], (Unmanaged, None, None));
}

#[test]
fn debian_ifupdown_beside_network_manager() {
    let found = detect(&tree("debian-ifupdown"), &[(2, "eth0"), (3, "wlan0")]);
    assert_eq!(found.present, [NetworkManager::NetworkManager, Ifupdown]);
    let got: Vec<_> = found.interfaces.iter().map(|m| (m.manager, m.file.clone())).collect();
    assert_eq!(
        got,
        [(Ifupdown, Some("/etc/network/interfaces.d/eth0".into())), (NetworkManager::NetworkManager, None)]
    );
}

#[test]
fn stale_runtime_files_without_a_daemon_decide_nothing() {
    let found = detect(&tree("stale"), &[(2, "eth0")]);
    assert!(found.present.is_empty(), "{:?}", found.present);
    assert_eq!(found.interfaces[0].manager, Unmanaged);
    assert!(found.interfaces[0].evidence[0].contains("no network daemon running"));
}

#[test]
fn netplan_renderer_per_device_per_type_and_global() {
    let yaml = "network:\n  version: 2\n  renderer: NetworkManager\n  ethernets:\n    renderer: networkd\n    eth0: {}\n    \
                eth1:\n      dhcp4: true\n    lan:\n      renderer: NetworkManager\n      match:\n        name: en*\n      \
                set-name: lan0\n  wifis:\n    wlan0:\n      access-points: {}\n  bridges:\n    br0:\n      interfaces: [eth1]\n";
    let devices = parse_netplan(yaml, "/etc/netplan/x.yaml");
    let got: Vec<(&str, NetworkManager)> = devices.iter().map(|d| (d.id.as_str(), d.renderer)).collect();
    // `eth0: {}` is a flow-style value, not a block: not read as a device.
    assert_eq!(
        got,
        [
            ("eth1", SystemdNetworkd),
            ("lan", NetworkManager::NetworkManager),
            ("wlan0", NetworkManager::NetworkManager),
            ("br0", NetworkManager::NetworkManager)
        ]
    );
    assert!(devices[1].matches("lan0") && !devices[1].matches("lan") && !devices[1].matches("eno1"));
    assert!(devices[0].matches("eth1"));
}

#[test]
fn netplan_with_comments_quotes_and_tabs_of_junk_never_panics() {
    let yaml = "network: # top\n  \"ethernets\":\n    'eth0':   # the LAN\n      renderer: \"NetworkManager\"\n::\n:\n  -\n\t\tx: :\n";
    let devices = parse_netplan(yaml, "f");
    assert_eq!(devices.len(), 1);
    assert_eq!((devices[0].id.as_str(), devices[0].renderer), ("eth0", NetworkManager::NetworkManager));
    for text in ["", ":", "network:\n ethernets:\n  :\n", "\u{feff}network:\n", "network:\n\tethernets:\n"] {
        let _ = parse_netplan(text, "f");
    }
}

#[test]
fn globs_as_netplan_takes_them() {
    assert!(glob("en*", "enp0s3"));
    assert!(glob("eth?", "eth0"));
    assert!(!glob("eth?", "eth10"));
    assert!(glob("*", ""));
    assert!(!glob("wl*", "eth0"));
    assert!(glob("e*0", "eth0") && glob("*h*", "eth0") && !glob("e*1", "eth0"));
    // Many stars cost pattern × name steps; a pattern longer than any configuration's is refused.
    assert!(!glob(&"*a".repeat(30), &"a".repeat(15)));
    assert!(!glob(&"*".repeat(100), "eth0"));
}

#[test]
fn ifupdown_0_8_state_and_a_source_directory() {
    // ifupdown 0.8 keeps one ifstate file; `source-directory` reads run-parts names only, so a file
    // with a dot is not read (as ifup does not read it).
    let found = detect(&tree("debian-old"), &[(2, "eth1"), (3, "eth2")]);
    let got: Vec<_> = found.interfaces.iter().map(|m| (m.manager, m.file.clone())).collect();
    assert_eq!(got, [(Ifupdown, Some("/etc/network/interfaces.d/uplink".into())), (Unmanaged, None)]);
    assert!(
        found.interfaces[0].evidence[0].contains("brought up by ifup"),
        "{:?}",
        found.interfaces[0].evidence
    );
}
