//! What Windows' IP Helper API reports, interpreted: the pure half of the Windows platform module.
//!
//! `platform::windows` reads raw values (`IfType`, an adapter's description, metrics, table rows) with
//! `unsafe` calls; every decision about them lives here, so it builds and is tested on any OS with the
//! descriptions real Windows adapters carry. Nothing here calls the OS.
//!
//! ```
//! use mcready::facts::InterfaceKind;
//! use mcready::platform::iphelper::{AdapterObservation, classify_adapter};
//!
//! let wifi = AdapterObservation { if_type: 71, description: "Intel(R) Wi-Fi 6 AX201 160MHz".into(), ..Default::default() };
//! assert_eq!(classify_adapter(&wifi).0, InterfaceKind::Wifi);
//! ```

use std::net::{IpAddr, Ipv4Addr};

pub use crate::facts::effective_metric;
use crate::facts::{Interface, InterfaceKind, Membership, Route, Service, ServiceManager};

/// `IF_TYPE_ETHERNET_CSMACD`: wired LAN, and also every adapter that emulates one (Hyper-V, `VirtualBox`,
/// `VMware`, TAP, Bluetooth PAN) — which is why the description decides those.
pub const IF_TYPE_ETHERNET: u32 = 6;
/// `IF_TYPE_PPP`: dial-up and many VPN clients' WAN miniports.
pub const IF_TYPE_PPP: u32 = 23;
/// `IF_TYPE_SOFTWARE_LOOPBACK`: `Loopback Pseudo-Interface 1`.
pub const IF_TYPE_LOOPBACK: u32 = 24;
/// `IF_TYPE_PROP_VIRTUAL`: software adapters such as `WireGuard`'s.
pub const IF_TYPE_PROP_VIRTUAL: u32 = 53;
/// `IF_TYPE_IEEE80211`: Wi-Fi.
pub const IF_TYPE_WIFI: u32 = 71;
/// `IF_TYPE_TUNNEL`: 6to4, Teredo, ISATAP, IP-HTTPS.
pub const IF_TYPE_TUNNEL: u32 = 131;
/// `IF_TYPE_WWANPP` and `IF_TYPE_WWANPP2`: mobile broadband.
pub const IF_TYPE_WWAN: [u32; 2] = [243, 244];

/// What `GetAdaptersAddresses` says about one adapter that decides its kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdapterObservation {
    /// The alias people see in Network Connections, e.g. `Ethernet 2`, `vEthernet (WSL)`.
    pub friendly_name: String,
    /// The driver's product name, e.g. `Hyper-V Virtual Ethernet Adapter`.
    pub description: String,
    /// `IfType` (IANA ifType): 6 Ethernet, 71 Wi-Fi, 24 loopback, 53 virtual, 131 tunnel, …
    pub if_type: u32,
}

/// Products recognised by a word of the adapter's description (or alias), checked in order before
/// `IfType`: a Hyper-V switch port, a `VirtualBox` host-only adapter and a TAP driver all say `IfType` 6.
/// Matched case-insensitively.
const PRODUCTS: &[(&str, InterfaceKind, &str)] = &[
    ("bluetooth", InterfaceKind::Bluetooth, "bluetooth"),
    ("npcap loopback", InterfaceKind::Virtual, "npcap-loopback"),
    // A Hyper-V *guest's* NIC ("Microsoft Hyper-V Network Adapter") is the VM's real LAN: see
    // `HYPERV_GUEST` below, checked first.
    ("hyper-v virtual ethernet", InterfaceKind::Virtual, "hyper-v"),
    ("virtualbox", InterfaceKind::Virtual, "virtualbox"),
    ("vmware virtual ethernet", InterfaceKind::Virtual, "vmware"),
    ("vmnet", InterfaceKind::Virtual, "vmware"),
    ("docker", InterfaceKind::Virtual, "docker"),
    ("wireguard", InterfaceKind::Tunnel, "wireguard"),
    ("tailscale", InterfaceKind::Tunnel, "tailscale"),
    ("zerotier", InterfaceKind::Tunnel, "zerotier"),
    ("wintun", InterfaceKind::Tunnel, "wintun"),
    ("tap-windows", InterfaceKind::Tunnel, "tap-windows"),
    ("tap-win32", InterfaceKind::Tunnel, "tap-windows"),
    ("openvpn", InterfaceKind::Tunnel, "openvpn"),
    ("anyconnect", InterfaceKind::Tunnel, "vpn"),
    ("globalprotect", InterfaceKind::Tunnel, "vpn"),
    ("fortinet", InterfaceKind::Tunnel, "vpn"),
    ("forticlient", InterfaceKind::Tunnel, "vpn"),
    ("juniper", InterfaceKind::Tunnel, "vpn"),
    ("sonicwall", InterfaceKind::Tunnel, "vpn"),
    ("vpn", InterfaceKind::Tunnel, "vpn"),
    ("wan miniport", InterfaceKind::Tunnel, "wan-miniport"),
];

/// The NIC of a Hyper-V virtual machine: for a PBX running in that VM it *is* the LAN.
const HYPERV_GUEST: &str = "microsoft hyper-v network adapter";

/// The kind of a Windows adapter and what decided it (`hyper-v`, `wsl`, `802.11`, `wireguard`, …).
#[must_use]
pub fn classify_adapter(adapter: &AdapterObservation) -> (InterfaceKind, Option<String>) {
    let found = |kind, detail: &str| (kind, Some(detail.to_owned()));
    let description = adapter.description.to_lowercase();
    let alias = adapter.friendly_name.to_lowercase();
    if adapter.if_type == IF_TYPE_LOOPBACK {
        return (InterfaceKind::Loopback, None);
    }
    if adapter.if_type == IF_TYPE_WIFI {
        let detail = if description.contains("wi-fi direct") { "wifi-direct" } else { "802.11" };
        return found(InterfaceKind::Wifi, detail);
    }
    if description.starts_with(HYPERV_GUEST) {
        return found(InterfaceKind::Ethernet, "hyper-v-guest");
    }
    // WSL's switch is a Hyper-V switch named "WSL" (or "WSL (Hyper-V firewall)"): its port's alias
    // says so, its description only says Hyper-V.
    if alias.starts_with("vethernet (wsl") {
        return found(InterfaceKind::Virtual, "wsl");
    }
    if let Some(&(_, kind, detail)) =
        PRODUCTS.iter().find(|(word, _, _)| description.contains(word) || alias.contains(word))
    {
        return found(kind, detail);
    }
    match adapter.if_type {
        IF_TYPE_ETHERNET => found(InterfaceKind::Ethernet, "ethernet"),
        IF_TYPE_PPP => found(InterfaceKind::Tunnel, "ppp"),
        IF_TYPE_TUNNEL => found(InterfaceKind::Tunnel, "ip-tunnel"),
        IF_TYPE_PROP_VIRTUAL => found(InterfaceKind::Virtual, "virtual"),
        t if IF_TYPE_WWAN.contains(&t) => found(InterfaceKind::Other, "mobile-broadband"),
        t => (InterfaceKind::Other, Some(format!("iftype-{t}"))),
    }
}

/// Sets each route's effective metric — its metric plus its interface's — where the interface's metric
/// is known; IPv6 routes take the IPv4 interface metric only when the OS reports no other (it does
/// not here), so they are left alone.
pub fn fill_effective_metrics(routes: &mut [Route], interfaces: &[Interface]) {
    for route in routes.iter_mut().filter(|r| r.destination.addr.is_ipv4()) {
        let metric =
            route.interface_index.and_then(|index| interfaces.iter().find(|i| i.index == index)?.metric);
        route.effective_metric = metric.map(|m| effective_metric(route.metric, Some(m)));
    }
}

/// Where Windows would send `group`, and so where a PBX's join with `INADDR_ANY` lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Landing {
    pub interface_index: u32,
    pub prefix_len: u8,
    /// Route metric plus interface metric.
    pub effective_metric: u32,
    /// Another interface has a route as specific and as cheap: Windows' pick between them is not
    /// predictable from the tables.
    pub tie: bool,
}

/// Windows' route choice for `group` from the IPv4 routes read: the most specific route wins, then
/// the lowest effective metric. Only interfaces that are connected (`running`) take part; an interface
/// missing from `interfaces` counts with no interface metric.
#[must_use]
pub fn join_lands_on(group: Ipv4Addr, routes: &[Route], interfaces: &[Interface]) -> Option<Landing> {
    let metric_of = |index: u32| interfaces.iter().find(|i| i.index == index).and_then(|i| i.metric);
    let usable = |index: u32| interfaces.iter().find(|i| i.index == index).is_none_or(|i| i.flags.running);
    let mut candidates: Vec<(u8, u32, u32)> = routes
        .iter()
        .filter(|r| r.destination.contains(IpAddr::V4(group)))
        .filter_map(|r| {
            let index = r.interface_index?;
            usable(index)
                .then(|| (r.destination.prefix_len, effective_metric(r.metric, metric_of(index)), index))
        })
        .collect();
    // Most specific first, then cheapest, then the lower index for a stable answer.
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let &(prefix_len, effective_metric, interface_index) = candidates.first()?;
    let tie = candidates
        .iter()
        .skip(1)
        .any(|c| c.0 == prefix_len && c.1 == effective_metric && c.2 != interface_index);
    Some(Landing { interface_index, prefix_len, effective_metric, tie })
}

/// The port of a `MIB_UDPROW_OWNER_PID`: `dwLocalPort` holds it in network byte order in its low 16
/// bits, as the raw memory of the row; the upper bits are undefined.
#[must_use]
pub fn port_from_row(dw_local_port: u32) -> u16 {
    let bytes = dw_local_port.to_ne_bytes();
    u16::from_be_bytes([bytes[0], bytes[1]])
}

/// The executable's file name from a full image path (`C:\Program Files\PortSIP\PBX.exe` → `PBX.exe`).
#[must_use]
pub fn image_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// A Windows product name from the registry's `CurrentVersion` values. Windows 11 still says
/// "Windows 10" in `ProductName`; its build number (22000 and later) tells them apart.
#[must_use]
pub fn windows_version(
    product: Option<&str>,
    display_version: Option<&str>,
    build: Option<u32>,
) -> Option<String> {
    let mut name = product?.trim().to_owned();
    if build.is_some_and(|b| b >= 22_000)
        && let Some(rest) = name.strip_prefix("Windows 10")
    {
        name = format!("Windows 11{rest}");
    }
    if let Some(version) = display_version.map(str::trim).filter(|v| !v.is_empty()) {
        name = format!("{name} {version}");
    }
    if let Some(build) = build {
        name = format!("{name} (build {build})");
    }
    Some(name)
}

/// Whether a list of memberships taken from the adapters' multicast lists can be believed. Windows
/// joins 224.0.0.1 (all hosts) on every adapter with IPv4 and multicast; when not one such adapter lists
/// it, the source did not deliver the lists (wine leaves them empty), and an empty list must not be read
/// as "nothing joined".
#[must_use]
pub fn multicast_lists_plausible(interfaces: &[Interface], memberships: &[Membership]) -> bool {
    let all_hosts = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 1));
    let expecting: Vec<u32> = interfaces
        .iter()
        .filter(|i| i.flags.running && i.flags.multicast && !i.flags.loopback && !i.ipv4.is_empty())
        .map(|i| i.index)
        .collect();
    expecting.is_empty()
        || memberships.iter().any(|m| m.group == all_hosts && expecting.contains(&m.interface_index))
}

/// An APIPA address (169.254.0.0/16): Windows gave itself one because DHCP did not answer — the
/// adapter is up but not really on the LAN it was meant for.
#[must_use]
pub fn is_apipa(addr: IpAddr) -> bool {
    matches!(addr, IpAddr::V4(v4) if v4.is_link_local())
}

/// Connected adapters whose only IPv4 addresses are APIPA ones, by name: worth a note, since phones
/// on that LAN (given addresses by DHCP) are not on the adapter's subnet.
#[must_use]
pub fn apipa_only(interfaces: &[Interface]) -> Vec<&str> {
    interfaces
        .iter()
        .filter(|i| i.flags.running && !i.ipv4.is_empty() && i.ipv4.iter().all(|net| is_apipa(net.addr)))
        .map(|i| i.name.as_str())
        .collect()
}

/// The Windows service process `pid` runs, from the Service Control Manager's (process id, name,
/// display name) list: only when exactly one service runs in it — a shared `svchost.exe` runs several,
/// and restarting one by a guess is no fix.
#[must_use]
pub fn service_of(pid: u32, services: &[(u32, String, String)]) -> Option<Service> {
    let mut in_process =
        services.iter().filter(|(owner, name, _)| *owner == pid && pid != 0 && !name.is_empty());
    let (_, name, display) = in_process.next()?;
    if in_process.next().is_some() {
        return None;
    }
    Some(Service {
        manager: ServiceManager::WindowsService,
        name: name.clone(),
        runtime: None,
        user: None,
        display_name: Some(display.clone()).filter(|d| !d.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{InterfaceFlags, IpNet, RouteType};

    #[test]
    fn a_process_names_its_service_only_when_it_runs_one() {
        let list = |rows: &[(u32, &str, &str)]| -> Vec<(u32, String, String)> {
            rows.iter()
                .map(|(pid, name, display)| (*pid, (*name).to_owned(), (*display).to_owned()))
                .collect()
        };
        let services = list(&[
            (4312, "3CXPhoneSystem01", "3CX PhoneSystem 01"),
            (1180, "Dnscache", "DNS Client"),
            (1180, "LanmanWorkstation", "Workstation"),
            (0, "Stopped", ""),
            (2044, "portsip", ""),
        ]);
        let found = service_of(4312, &services).unwrap();
        assert_eq!(
            (found.manager, found.name.as_str()),
            (ServiceManager::WindowsService, "3CXPhoneSystem01")
        );
        assert_eq!(found.display_name.as_deref(), Some("3CX PhoneSystem 01"));
        assert_eq!(found.label(), "Windows service 3CXPhoneSystem01 (3CX PhoneSystem 01)");
        // A shared svchost runs several: none is named.
        assert_eq!(service_of(1180, &services), None);
        assert_eq!(service_of(0, &services), None);
        assert_eq!(service_of(777, &services), None);
        assert_eq!(service_of(2044, &services).and_then(|s| s.display_name), None);
        // wine may list no service at all.
        assert_eq!(service_of(4312, &[]), None);
    }

    fn adapter(if_type: u32, alias: &str, description: &str) -> AdapterObservation {
        AdapterObservation { friendly_name: alias.into(), description: description.into(), if_type }
    }

    fn classified(if_type: u32, alias: &str, description: &str) -> (InterfaceKind, Option<String>) {
        classify_adapter(&adapter(if_type, alias, description))
    }

    /// Aliases and descriptions as `Get-NetAdapter` and `ipconfig /all` print them on Windows 10/11 and
    /// Server 2019/2022 hosts with these products installed (the driver INF's device names: Intel,
    /// Realtek, Microsoft's Hyper-V and Bluetooth PAN, Oracle `VirtualBox` 7, `VMware` Workstation 17,
    /// Npcap ≤ 0.9 loopback, `OpenVPN`'s TAP-Windows 9, `WireGuard` for Windows, Cisco `AnyConnect`,
    /// `FortiClient`, Tailscale, `ZeroTier`).
    #[test]
    fn real_adapters() {
        use InterfaceKind::{Bluetooth, Ethernet, Loopback, Other, Tunnel, Virtual, Wifi};
        let cases: &[(u32, &str, &str, InterfaceKind, Option<&str>)] = &[
            (6, "Ethernet", "Intel(R) Ethernet Connection (7) I219-LM", Ethernet, Some("ethernet")),
            (6, "Ethernet 2", "Realtek PCIe GbE Family Controller", Ethernet, Some("ethernet")),
            (71, "Wi-Fi", "Intel(R) Wi-Fi 6 AX201 160MHz", Wifi, Some("802.11")),
            (
                71,
                "Local Area Connection* 1",
                "Microsoft Wi-Fi Direct Virtual Adapter",
                Wifi,
                Some("wifi-direct"),
            ),
            (
                6,
                "Bluetooth Network Connection",
                "Bluetooth Device (Personal Area Network)",
                Bluetooth,
                Some("bluetooth"),
            ),
            (6, "vEthernet (Default Switch)", "Hyper-V Virtual Ethernet Adapter", Virtual, Some("hyper-v")),
            (6, "vEthernet (External)", "Hyper-V Virtual Ethernet Adapter #2", Virtual, Some("hyper-v")),
            (6, "vEthernet (WSL)", "Hyper-V Virtual Ethernet Adapter #3", Virtual, Some("wsl")),
            (
                6,
                "vEthernet (WSL (Hyper-V firewall))",
                "Hyper-V Virtual Ethernet Adapter",
                Virtual,
                Some("wsl"),
            ),
            (6, "Ethernet", "Microsoft Hyper-V Network Adapter", Ethernet, Some("hyper-v-guest")),
            (6, "Ethernet 3", "VirtualBox Host-Only Ethernet Adapter", Virtual, Some("virtualbox")),
            (
                6,
                "VMware Network Adapter VMnet8",
                "VMware Virtual Ethernet Adapter for VMnet8",
                Virtual,
                Some("vmware"),
            ),
            (6, "Npcap Loopback Adapter", "Npcap Loopback Adapter", Virtual, Some("npcap-loopback")),
            (6, "Ethernet 4", "TAP-Windows Adapter V9", Tunnel, Some("tap-windows")),
            (6, "OpenVPN Data Channel Offload", "OpenVPN Data Channel Offload", Tunnel, Some("openvpn")),
            (53, "wg0", "WireGuard Tunnel", Tunnel, Some("wireguard")),
            (53, "Tailscale", "Tailscale Tunnel", Tunnel, Some("tailscale")),
            (6, "ZeroTier One [8056c2e21c000001]", "ZeroTier Virtual Port", Tunnel, Some("zerotier")),
            (
                6,
                "Ethernet 5",
                "Cisco AnyConnect Secure Mobility Client Virtual Miniport Adapter for Windows x64",
                Tunnel,
                Some("vpn"),
            ),
            (6, "Ethernet 6", "Fortinet SSL VPN Virtual Ethernet Adapter", Tunnel, Some("vpn")),
            (24, "Loopback Pseudo-Interface 1", "Software Loopback Interface 1", Loopback, None),
            (
                131,
                "Teredo Tunneling Pseudo-Interface",
                "Teredo Tunneling Pseudo-Interface",
                Tunnel,
                Some("ip-tunnel"),
            ),
            (23, "Dial-up", "WAN Miniport (PPPOE)", Tunnel, Some("wan-miniport")),
            (243, "Cellular", "Generic Mobile Broadband Adapter", Other, Some("mobile-broadband")),
            // Under wine the description is the Linux interface name.
            (6, "veth-pbx", "veth-pbx", Ethernet, Some("ethernet")),
        ];
        for &(if_type, alias, description, kind, detail) in cases {
            assert_eq!(
                classified(if_type, alias, description),
                (kind, detail.map(str::to_owned)),
                "{alias} / {description}"
            );
        }
    }

    #[test]
    fn unknown_if_type_is_other_and_named() {
        assert_eq!(
            classified(144, "1394", "1394 Net Adapter"),
            (InterfaceKind::Other, Some("iftype-144".into()))
        );
        assert_eq!(classified(0, "", ""), (InterfaceKind::Other, Some("iftype-0".into())));
    }

    fn iface(index: u32, metric: Option<u32>, running: bool) -> Interface {
        Interface {
            name: format!("if{index}"),
            index,
            id: None,
            kind: InterfaceKind::Ethernet,
            kind_detail: None,
            description: None,
            flags: InterfaceFlags { up: true, running, multicast: true, loopback: false },
            mac: None,
            mtu: None,
            ipv4: vec![IpNet::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, u8::try_from(index).unwrap())), 24)],
            ipv6: Vec::new(),
            metric,
            metric_automatic: None,
        }
    }

    fn route(dest: &str, prefix: u8, index: u32, metric: u32) -> Route {
        Route {
            destination: IpNet::new(dest.parse().unwrap(), prefix),
            gateway: None,
            interface: None,
            interface_index: Some(index),
            metric,
            effective_metric: None,
            table: "main".into(),
            route_type: RouteType::Unicast,
            source: None,
        }
    }

    const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 1, 75);

    #[test]
    fn lowest_interface_metric_wins_among_on_link_multicast_routes() {
        // Each adapter has its own 224.0.0.0/4 on-link route with metric 256: the interface metric decides.
        let interfaces = [iface(12, Some(25), true), iface(17, Some(35), true)];
        let routes =
            [route("224.0.0.0", 4, 12, 256), route("224.0.0.0", 4, 17, 256), route("0.0.0.0", 0, 17, 0)];
        assert_eq!(
            join_lands_on(GROUP, &routes, &interfaces),
            Some(Landing { interface_index: 12, prefix_len: 4, effective_metric: 281, tie: false })
        );
    }

    #[test]
    fn a_route_metric_of_one_beats_a_lower_interface_metric() {
        let interfaces = [iface(12, Some(35), true), iface(17, Some(5), true)];
        let routes = [route("224.0.0.0", 4, 12, 1), route("224.0.0.0", 4, 17, 256)];
        assert_eq!(join_lands_on(GROUP, &routes, &interfaces).map(|l| l.interface_index), Some(12));
    }

    #[test]
    fn disconnected_adapters_do_not_take_part_and_ties_are_flagged() {
        let interfaces = [iface(3, Some(5), false), iface(12, Some(25), true), iface(17, Some(25), true)];
        let routes =
            [route("224.0.0.0", 4, 3, 256), route("224.0.0.0", 4, 12, 256), route("224.0.0.0", 4, 17, 256)];
        let landing = join_lands_on(GROUP, &routes, &interfaces).unwrap();
        assert_eq!((landing.interface_index, landing.tie), (12, true));
    }

    #[test]
    fn default_route_when_no_multicast_route_and_none_at_all() {
        let interfaces = [iface(12, Some(25), true)];
        let routes = [route("0.0.0.0", 0, 12, 0), route("198.51.100.0", 24, 12, 256)];
        assert_eq!(join_lands_on(GROUP, &routes, &interfaces).map(|l| l.prefix_len), Some(0));
        assert_eq!(join_lands_on(GROUP, &routes[1..], &interfaces), None);
        // Untrusted metrics never overflow.
        assert_eq!(effective_metric(u32::MAX, Some(7)), u32::MAX);
    }

    #[test]
    fn effective_metrics_only_where_the_interface_metric_is_known() {
        let interfaces = [iface(12, Some(25), true), iface(17, None, true)];
        let mut routes =
            [route("224.0.0.0", 4, 12, 256), route("224.0.0.0", 4, 17, 256), route("::", 0, 12, 256)];
        fill_effective_metrics(&mut routes, &interfaces);
        let effective: Vec<Option<u32>> = routes.iter().map(|r| r.effective_metric).collect();
        assert_eq!(effective, [Some(281), None, None]);
    }

    #[test]
    fn udp_row_port_is_network_order_in_the_low_bytes() {
        // 5060 is 0x13c4: Windows writes 13 c4 into the row's first two bytes; the other two are
        // undefined.
        let dw = u32::from_ne_bytes([0x13, 0xc4, 0xde, 0xad]);
        assert_eq!(port_from_row(dw), 5060);
        assert_eq!(port_from_row(0), 0);
    }

    #[test]
    fn image_names() {
        assert_eq!(image_name(r"C:\Program Files\PortSIP\PBX\PortSIP.PBX.exe"), "PortSIP.PBX.exe");
        assert_eq!(image_name("svchost.exe"), "svchost.exe");
        assert_eq!(image_name(""), "");
    }

    #[test]
    fn version_names() {
        assert_eq!(
            windows_version(Some("Windows 10 Pro"), Some("23H2"), Some(22631)).as_deref(),
            Some("Windows 11 Pro 23H2 (build 22631)")
        );
        assert_eq!(
            windows_version(Some("Windows Server 2022 Standard"), Some("21H2"), Some(20348)).as_deref(),
            Some("Windows Server 2022 Standard 21H2 (build 20348)")
        );
        assert_eq!(
            windows_version(Some("Windows 10 Pro"), None, Some(19045)).as_deref(),
            Some("Windows 10 Pro (build 19045)")
        );
        assert_eq!(windows_version(None, Some("23H2"), Some(22631)), None);
    }

    #[test]
    fn empty_multicast_lists_are_not_believed() {
        let interfaces = [iface(12, None, true)];
        assert!(!multicast_lists_plausible(&interfaces, &[]));
        let all_hosts = Membership {
            interface: "if12".into(),
            interface_index: 12,
            group: "224.0.0.1".parse().unwrap(),
            users: None,
        };
        assert!(multicast_lists_plausible(&interfaces, &[all_hosts]));
        // No adapter that would have joined anything: an empty list is the truth.
        assert!(multicast_lists_plausible(&[iface(12, None, false)], &[]));
    }

    #[test]
    fn apipa() {
        let mut dhcp_failed = iface(7, None, true);
        dhcp_failed.ipv4 = vec![IpNet::new("169.254.33.7".parse().unwrap(), 16)];
        let mut down = dhcp_failed.clone();
        down.flags.running = false;
        assert_eq!(apipa_only(&[iface(12, None, true), dhcp_failed, down]), ["if7"]);
        assert!(is_apipa("169.254.10.20".parse().unwrap()));
        assert!(!is_apipa("198.51.100.1".parse().unwrap()));
        assert!(!is_apipa("fe80::1".parse().unwrap()));
    }
}
