//! Deciding what kind of adapter an interface is — the distinction an administrator acts on (“disable
//! the Wi-Fi, the Bluetooth PAN and Docker's bridge”) and that neither netdev nor the kernel's link type
//! makes on its own: a veth, a Bluetooth PAN and a real NIC are all `ARPHRD_ETHER`.
//!
//! The OS layer observes plain facts ([`LinkObservation`]) and this pure function weighs them, so every
//! rule is tested without the adapters existing.

use crate::facts::InterfaceKind;

/// What the OS shows about a link, from sysfs and the netlink link kind on Linux.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkObservation {
    pub name: String,
    /// `ARPHRD_*` from `/sys/class/net/NAME/type` (1 Ethernet, 772 loopback, 65534 none, …).
    pub link_type: Option<u16>,
    pub loopback_flag: bool,
    /// `wireless/` or `phy80211` exists, or the uevent says `DEVTYPE=wlan`.
    pub wireless: bool,
    /// `DEVTYPE=` of the uevent (`bridge`, `wlan`, `bluetooth`, `vlan`, `wireguard`, …).
    pub devtype: Option<String>,
    /// `bridge/` exists: the interface is a bridge master.
    pub bridge_master: bool,
    /// `tun_flags` exists: a tun or tap device (`Some(true)` for tap).
    pub tun_tap: Option<bool>,
    /// The `device` link exists: a bus device backs the interface (PCI, USB, SDIO, `VMBus`…).
    pub has_device: bool,
    /// The driver of the backing device (`e1000e`, `vboxnetadp`, `btusb`…).
    pub driver: Option<String>,
    /// The netlink link kind (`IFLA_INFO_KIND`): `veth`, `bridge`, `dummy`, `wireguard`, `tun`, …
    pub link_kind: Option<String>,
}

const ARPHRD_ETHER: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;
const ARPHRD_NONE: u16 = 65534;
const ARPHRD_TUNNELS: [u16; 6] = [768, 769, 776, 778, 823, 824]; // ipip, ip6ip6, sit, gre, ip6gre…

/// Names products give the adapters they create, checked before the generic rules: an admin knows
/// `docker0` as Docker's, not as "a bridge".
const PRODUCT_PREFIXES: &[(&str, InterfaceKind, &str)] = &[
    ("docker", InterfaceKind::Virtual, "docker"),
    ("br-", InterfaceKind::Virtual, "docker"),
    ("virbr", InterfaceKind::Virtual, "libvirt"),
    ("vnet", InterfaceKind::Virtual, "libvirt"),
    ("vboxnet", InterfaceKind::Virtual, "virtualbox"),
    ("vmnet", InterfaceKind::Virtual, "vmware"),
    ("lxcbr", InterfaceKind::Virtual, "lxc"),
    ("lxdbr", InterfaceKind::Virtual, "lxd"),
    ("cni", InterfaceKind::Virtual, "cni"),
    ("flannel", InterfaceKind::Virtual, "flannel"),
    ("cali", InterfaceKind::Virtual, "calico"),
    ("podman", InterfaceKind::Virtual, "podman"),
    ("tailscale", InterfaceKind::Tunnel, "tailscale"),
    ("zt", InterfaceKind::Tunnel, "zerotier"),
    ("wg", InterfaceKind::Tunnel, "wireguard"),
    ("tun", InterfaceKind::Tunnel, "tun"),
    ("tap", InterfaceKind::Tunnel, "tap"),
    ("ppp", InterfaceKind::Tunnel, "ppp"),
    ("bnep", InterfaceKind::Bluetooth, "bnep"),
];

/// Drivers of host-side virtual adapters that still have a `device` link.
const VIRTUAL_DRIVERS: &[(&str, &str)] =
    &[("vboxnetadp", "virtualbox"), ("vmnet", "vmware"), ("vmw_vmci", "vmware")];

/// The kind of an interface and the observation that decided it.
#[must_use]
pub fn classify(link: &LinkObservation) -> (InterfaceKind, Option<String>) {
    let found = |kind, detail: &str| (kind, Some(detail.to_owned()));
    let devtype = link.devtype.as_deref();
    let link_kind = link.link_kind.as_deref();

    if link.loopback_flag || link.link_type == Some(ARPHRD_LOOPBACK) {
        return (InterfaceKind::Loopback, None);
    }
    if link.wireless || devtype == Some("wlan") {
        return found(InterfaceKind::Wifi, "wireless");
    }
    if devtype == Some("bluetooth") || link.driver.as_deref().is_some_and(|d| d.starts_with("bt")) {
        return found(InterfaceKind::Bluetooth, "bluetooth");
    }
    if let Some(&(_, kind, detail)) = PRODUCT_PREFIXES.iter().find(|(prefix, _, _)| {
        link.name.starts_with(prefix) && (*prefix != "br-" || is_docker_network_bridge(&link.name))
    }) {
        return found(kind, detail);
    }
    if let Some(&(_, detail)) =
        VIRTUAL_DRIVERS.iter().find(|(driver, _)| link.driver.as_deref() == Some(*driver))
    {
        return found(InterfaceKind::Virtual, detail);
    }
    if let Some(kind) = link_kind {
        match kind {
            "bridge" => return found(InterfaceKind::Bridge, kind),
            "veth" | "dummy" | "macvlan" | "macvtap" | "ipvlan" | "ipvtap" | "netkit" | "vrf" | "ifb"
            | "nlmon" | "netdevsim" | "virt_wifi" => {
                return found(InterfaceKind::Virtual, kind);
            }
            "tun" | "wireguard" | "vxlan" | "geneve" | "gre" | "gretap" | "ip6gre" | "ip6gretap" | "ipip"
            | "ip6tnl" | "sit" | "vti" | "vti6" | "xfrm" | "bareudp" | "amt" => {
                return found(InterfaceKind::Tunnel, kind);
            }
            // A VLAN, bond or team carries the LAN of the NICs beneath it.
            "vlan" | "bond" | "team" => return found(InterfaceKind::Ethernet, kind),
            _ => {}
        }
    }
    if let Some(tap) = link.tun_tap {
        return found(InterfaceKind::Tunnel, if tap { "tap" } else { "tun" });
    }
    if link.bridge_master || devtype == Some("bridge") {
        return found(InterfaceKind::Bridge, "bridge");
    }
    if let Some(devtype @ ("wireguard" | "vxlan" | "gre")) = devtype {
        return found(InterfaceKind::Tunnel, devtype);
    }
    match link.link_type {
        Some(ARPHRD_ETHER) if link.has_device => {
            (InterfaceKind::Ethernet, link.driver.clone().or_else(|| Some("ethernet".into())))
        }
        Some(ARPHRD_ETHER) => found(InterfaceKind::Virtual, link_kind.unwrap_or("virtual")),
        Some(ARPHRD_NONE) => found(InterfaceKind::Tunnel, link_kind.unwrap_or("point-to-point")),
        Some(t) if ARPHRD_TUNNELS.contains(&t) => found(InterfaceKind::Tunnel, "ip-tunnel"),
        _ => (InterfaceKind::Other, link_kind.map(str::to_owned)),
    }
}

/// Docker names its user-defined networks' bridges `br-` and 12 hex digits; other `br-` names are
/// ordinary bridges an admin made.
fn is_docker_network_bridge(name: &str) -> bool {
    name.strip_prefix("br-").is_some_and(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The hypervisor a firmware's vendor and product name (`/sys/class/dmi/id/sys_vendor`,
/// `product_name`) reveal, if any.
#[must_use]
pub fn hypervisor(firmware: &str) -> Option<String> {
    let text = firmware.to_ascii_lowercase();
    let known: &[(&str, &str)] = &[
        ("qemu", "QEMU/KVM"),
        ("kvm", "QEMU/KVM"),
        ("vmware", "VMware"),
        ("virtualbox", "VirtualBox"),
        ("innotek", "VirtualBox"),
        ("parallels", "Parallels"),
        ("xen", "Xen"),
        ("bochs", "QEMU/KVM"),
    ];
    if let Some((_, name)) = known.iter().find(|(needle, _)| text.contains(needle)) {
        return Some((*name).to_owned());
    }
    // Hyper-V: "Microsoft Corporation Virtual Machine" (a Surface is "Microsoft Corporation Surface…").
    (text.contains("microsoft") && text.contains("virtual machine")).then(|| "Hyper-V".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(name: &str) -> LinkObservation {
        LinkObservation { name: name.into(), link_type: Some(ARPHRD_ETHER), ..Default::default() }
    }

    fn kind(obs: &LinkObservation) -> InterfaceKind {
        classify(obs).0
    }

    #[test]
    fn physical_nic_is_ethernet_named_by_driver() {
        let nic = LinkObservation { has_device: true, driver: Some("e1000e".into()), ..link("enp3s0") };
        assert_eq!(classify(&nic), (InterfaceKind::Ethernet, Some("e1000e".into())));
    }

    #[test]
    fn wifi_by_wireless_dir_or_devtype() {
        let wlan = LinkObservation { has_device: true, wireless: true, ..link("wlp2s0") };
        assert_eq!(kind(&wlan), InterfaceKind::Wifi);
        let by_devtype = LinkObservation { devtype: Some("wlan".into()), ..link("wlan0") };
        assert_eq!(kind(&by_devtype), InterfaceKind::Wifi);
    }

    #[test]
    fn bluetooth_pan_is_not_ethernet() {
        let pan = LinkObservation { has_device: true, devtype: Some("bluetooth".into()), ..link("bnep0") };
        assert_eq!(kind(&pan), InterfaceKind::Bluetooth);
        assert_eq!(kind(&link("bnep1")), InterfaceKind::Bluetooth);
    }

    #[test]
    fn loopback() {
        let lo = LinkObservation { link_type: Some(ARPHRD_LOOPBACK), loopback_flag: true, ..link("lo") };
        assert_eq!(kind(&lo), InterfaceKind::Loopback);
    }

    #[test]
    fn netlink_kinds() {
        for (k, expected) in [
            ("veth", InterfaceKind::Virtual),
            ("dummy", InterfaceKind::Virtual),
            ("bridge", InterfaceKind::Bridge),
            ("wireguard", InterfaceKind::Tunnel),
            ("vxlan", InterfaceKind::Tunnel),
            ("vlan", InterfaceKind::Ethernet),
            ("bond", InterfaceKind::Ethernet),
        ] {
            let obs = LinkObservation { link_kind: Some(k.into()), ..link("x0") };
            assert_eq!(classify(&obs), (expected, Some(k.into())), "{k}");
        }
    }

    #[test]
    fn products_by_name() {
        let docker =
            LinkObservation { link_kind: Some("bridge".into()), bridge_master: true, ..link("docker0") };
        assert_eq!(classify(&docker), (InterfaceKind::Virtual, Some("docker".into())));
        assert_eq!(kind(&link("br-3f2a9c1d0e4b")), InterfaceKind::Virtual);
        let lan_bridge = LinkObservation { bridge_master: true, ..link("br-lan") };
        assert_eq!(kind(&lan_bridge), InterfaceKind::Bridge);
        assert_eq!(classify(&link("virbr0")).1.as_deref(), Some("libvirt"));
        let ts = LinkObservation { link_type: Some(ARPHRD_NONE), ..link("tailscale0") };
        assert_eq!(classify(&ts), (InterfaceKind::Tunnel, Some("tailscale".into())));
        let vbox = LinkObservation { has_device: true, driver: Some("vboxnetadp".into()), ..link("eth9") };
        assert_eq!(kind(&vbox), InterfaceKind::Virtual);
    }

    #[test]
    fn tun_tap_and_point_to_point() {
        let tap = LinkObservation { tun_tap: Some(true), ..link("myvpn") };
        assert_eq!(classify(&tap), (InterfaceKind::Tunnel, Some("tap".into())));
        let none = LinkObservation { link_type: Some(ARPHRD_NONE), ..link("ipsec0") };
        assert_eq!(kind(&none), InterfaceKind::Tunnel);
        let sit = LinkObservation { link_type: Some(776), ..link("sit0") };
        assert_eq!(kind(&sit), InterfaceKind::Tunnel);
    }

    #[test]
    fn ether_without_device_is_virtual_and_unknown_is_other() {
        assert_eq!(kind(&link("mystery0")), InterfaceKind::Virtual);
        let can = LinkObservation { link_type: Some(280), ..link("can0") };
        assert_eq!(kind(&can), InterfaceKind::Other);
    }

    #[test]
    fn hypervisors_from_firmware_strings() {
        assert_eq!(hypervisor("QEMU\nStandard PC (Q35 + ICH9, 2009)\n").as_deref(), Some("QEMU/KVM"));
        assert_eq!(hypervisor("innotek GmbH\n VirtualBox\n").as_deref(), Some("VirtualBox"));
        assert_eq!(hypervisor("Microsoft Corporation\n Virtual Machine\n").as_deref(), Some("Hyper-V"));
        assert_eq!(hypervisor("Microsoft Corporation\n Surface Laptop 5\n"), None);
        assert_eq!(hypervisor("Dell Inc.\n OptiPlex 7090\n"), None);
        assert_eq!(hypervisor(""), None);
    }
}
