//! The concrete fixes, per OS: copy-paste commands an administrator runs, in mcready's own words.
//! Every `warn` and `fail` carries one of these; `docs/checks.md` lists them by check id.

use serde::Serialize;

/// The OS family a remedy is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OsFamily {
    Linux,
    Windows,
    Macos,
}

impl OsFamily {
    /// The family of the OS mcready was built for.
    #[must_use]
    pub fn current() -> Self {
        match std::env::consts::OS {
            "windows" => Self::Windows,
            "macos" => Self::Macos,
            _ => Self::Linux,
        }
    }
}

/// Joins the group on the right interface: the route for the group, then a PBX restart so it joins again.
#[must_use]
pub fn route_group_via(os: OsFamily, interface: &str) -> String {
    match os {
        OsFamily::Linux => format!(
            "Route multicast out of the phones' interface: `sudo ip route add 224.0.0.0/4 dev {interface}`. \
             Make the route persistent with netplan (`routes: [{{to: 224.0.0.0/4, scope: link}}]` under {interface}), \
             NetworkManager (`nmcli connection modify <conn> +ipv4.routes \"224.0.0.0/4\"`) or /etc/network/interfaces \
             (`up ip route add 224.0.0.0/4 dev {interface}`). Restart the PBX so it joins 224.0.1.75 again. \
             Confirm with `mcready joins`."
        ),
        OsFamily::Windows => format!(
            "Make \"{interface}\" the preferred adapter: give it the lowest metric \
             (`Set-NetIPInterface -InterfaceAlias \"{interface}\" -InterfaceMetric 1`, and raise the others), or set the \
             Default Gateway Metric of the other adapters higher (try 1 on \"{interface}\", then 10, 12, 15, 20 on the \
             others), rebooting after each change. Then restart the PBX and confirm with `netsh interface ipv4 show joins`."
        ),
        // macOS picks the interface for a join without one from the service order, so putting the
        // phones' service first is the lasting fix; the route takes effect at once but is lost at reboot.
        OsFamily::Macos => format!(
            "Route multicast out of the phones' interface: `sudo route -n add -net 224.0.0.0/4 -interface {interface}` \
             (lost at reboot), and make its service the first one: list them with `networksetup -listnetworkserviceorder`, \
             then `sudo networksetup -ordernetworkservices \"<service of {interface}>\" \"<the others, in order>\"`. \
             Then restart the PBX so it joins 224.0.1.75 again, and confirm with `netstat -gn`."
        ),
    }
}

/// Turning an adapter off.
#[must_use]
pub fn disable_adapter(os: OsFamily, interface: &str) -> String {
    match os {
        OsFamily::Linux => format!(
            "`sudo ip link set {interface} down` (NetworkManager: `nmcli device disconnect {interface}`; Wi-Fi: `nmcli radio wifi off`)"
        ),
        OsFamily::Windows => format!("`Disable-NetAdapter -Name \"{interface}\" -Confirm:$false`"),
        // The service, not the BSD device, is what macOS keeps disabled across reboots; the hardware
        // port list names the service's port for each device.
        OsFamily::Macos => format!(
            "find the service of {interface} with `networksetup -listallhardwareports` and \
             `networksetup -listnetworkserviceorder`, then `sudo networksetup -setnetworkserviceenabled \"<service>\" off`"
        ),
    }
}

/// Letting the phones' SIP to the port through the host firewall when no rule could be named (the
/// firewall could not be read, or the drop was seen but not explained). Scoped to the phones' subnet:
/// SIP open to the world invites toll fraud. `subnet` is `None` when no phone subnet is known.
#[must_use]
pub fn open_firewall(os: OsFamily, port: u16, subnet: Option<&str>) -> String {
    let subnet = subnet.unwrap_or("<phones' subnet>");
    match os {
        OsFamily::Linux => format!(
            "Allow SIP from the phones' subnet only, before the rule that drops it, with the tool that manages \
             the firewall: ufw `sudo ufw allow from {subnet} to any port {port} proto udp`; firewalld \
             `sudo firewall-cmd --permanent --add-rich-rule='rule family=\"ipv4\" source address=\"{subnet}\" port port=\"{port}\" protocol=\"udp\" accept' && sudo firewall-cmd --reload`; \
             nftables `sudo nft insert rule <family> <table> <chain> ip saddr {subnet} udp dport {port} accept` \
             (`sudo nft -a list ruleset` shows where the drop is; keep it in /etc/nftables.conf); iptables \
             `sudo iptables -I INPUT 1 -s {subnet} -p udp --dport {port} -j ACCEPT` then `sudo netfilter-persistent save`."
        ),
        OsFamily::Windows => format!(
            "`New-NetFirewallRule -DisplayName \"SIP PnP\" -Direction Inbound -Protocol UDP -LocalPort {port} -RemoteAddress {subnet} -Action Allow`"
        ),
        OsFamily::Macos => format!(
            "Allow the PBX in System Settings → Network → Firewall → Options (or \
             `sudo /usr/libexec/ApplicationFirewall/socketfilterfw --unblockapp <path of the PBX>`); if pf is enabled, \
             add `pass in quick proto udp from {subnet} to any port {port}` to an anchor loaded from \
             /etc/pf.conf and reload it with `sudo pfctl -f /etc/pf.conf`."
        ),
    }
}

/// Loosening a strict reverse-path filter.
#[must_use]
pub fn loosen_rp_filter(os: OsFamily, interface: &str) -> String {
    match os {
        OsFamily::Linux => format!(
            "Use loose reverse-path filtering on {interface}: `sudo sysctl -w net.ipv4.conf.all.rp_filter=2 \
             net.ipv4.conf.{key}.rp_filter=2`. Make it persistent with the same two settings in a file under \
             /etc/sysctl.d/.",
            key = sysctl_name(interface)
        ),
        OsFamily::Windows | OsFamily::Macos => {
            "Check the host's anti-spoofing settings for the phones' interface.".into()
        }
    }
}

/// An interface's name as a sysctl key segment: `sysctl` reads dots as separators, so a VLAN
/// interface `eth0.100` is written `eth0/100` (`net.ipv4.conf.eth0/100.rp_filter`).
#[must_use]
pub fn sysctl_name(interface: &str) -> String {
    interface.replace('.', "/")
}

/// Taking a stray adapter down, as a whole sentence.
#[must_use]
pub fn take_down(os: OsFamily, interface: &str) -> String {
    match os {
        OsFamily::Linux => format!(
            "Take {interface} down if the PBX does not need it: `sudo ip link set {interface} down` \
             (under NetworkManager: `nmcli device disconnect {interface}`)."
        ),
        OsFamily::Windows | OsFamily::Macos => {
            format!("Disable {interface} if the PBX does not need it: {}.", disable_adapter(os, interface))
        }
    }
}

/// Which interface mcready assumed, and how to name the right one instead of disabling anything.
#[must_use]
pub fn name_the_phones_interface(assumed: &str, others: &[&str]) -> String {
    let example = others.first().copied().unwrap_or("IFACE");
    format!(
        "mcready assumed {assumed} faces the phones because the OS routes 224.0.1.75 by it. If the phones are on \
         {}, run again with `--phone <a phone's IP>` or `-i {example}`.",
        others.join(" or ")
    )
}

/// Bringing the phones' interface up: one sentence per missing flag.
#[must_use]
pub fn bring_link_up(os: OsFamily, interface: &str, up: bool, running: bool, multicast: bool) -> String {
    let mut sentences = Vec::new();
    match os {
        OsFamily::Linux => {
            if !up {
                sentences.push(format!("Bring {interface} up: `sudo ip link set {interface} up`."));
            }
            if up && !running {
                sentences.push(format!(
                    "{interface} has no link: check its cable and the switch port it plugs into."
                ));
            }
            if !multicast {
                sentences.push(format!(
                    "Turn on {interface}'s multicast flag: `sudo ip link set {interface} multicast on`."
                ));
            }
        }
        OsFamily::Windows | OsFamily::Macos => sentences
            .push(format!("Enable {interface} and check its cable and the switch port it plugs into.")),
    }
    sentences.join(" ")
}

/// The receiving sockets' buffers overflowed: a bigger buffer for the PBX's socket.
#[must_use]
pub fn raise_receive_buffers(os: OsFamily) -> String {
    match os {
        OsFamily::Linux => {
            "Let the PBX's socket buffer a boot storm: `sudo sysctl -w net.core.rmem_max=16777216 \
             net.core.rmem_default=4194304`. Restart the PBX so its socket takes the new size."
                .into()
        }
        OsFamily::Windows | OsFamily::Macos => {
            "Raise the PBX's receive buffer in its SIP settings, then restart it.".into()
        }
    }
}

/// The PnP group is heard through Wi-Fi.
#[must_use]
pub fn avoid_wifi(interface: &str) -> String {
    format!(
        "Serve the phones from a wired adapter rather than {interface}. If Wi-Fi must stay, turn off client \
         isolation and multicast-to-unicast conversion for this SSID on the access point."
    )
}

/// How the host sits behind NAT, for the fix of `multicast.host-behind-nat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// A container on a bridge network (Docker's default).
    ContainerBridge,
    /// WSL 2 in its default NAT networking mode.
    WslNat,
    /// A virtual machine whose adapter is NAT'd by the hypervisor.
    VmNat,
}

/// Getting LAN multicast to a host behind NAT.
#[must_use]
pub fn leave_nat(isolation: Isolation, interface: &str) -> String {
    match isolation {
        Isolation::ContainerBridge => format!(
            "Run the container with host networking (`docker run --network host`, compose `network_mode: host`). \
             Or give it a macvlan network on the phones' LAN, and route multicast by it inside the container: \
             `ip route add 224.0.0.0/4 dev {interface}`."
        ),
        Isolation::WslNat => "Switch WSL to mirrored networking: `networkingMode=mirrored` under [wsl2] in \
             %UserProfile%\\.wslconfig, then `wsl --shutdown`. Open the Hyper-V firewall for SIP in an \
             elevated PowerShell: `Set-NetFirewallHyperVVMSetting -Name '{40E0AC32-46A5-438A-A0B2-2B479E8F2E90}' \
             -DefaultInboundAction Allow`."
            .into(),
        Isolation::VmNat => "Attach the virtual machine's adapter to the phones' LAN in bridged mode, not NAT \
             (VirtualBox \"Bridged Adapter\", VMware \"Bridged\", libvirt a bridge or macvtap, Hyper-V an \
             external switch)."
            .into(),
    }
}

/// Enabling an IGMP querier on the LAN.
#[must_use]
pub fn enable_querier() -> String {
    "Enable an IGMP snooping querier on the phones' VLAN (on the core switch or the router: e.g. \
     `ip igmp snooping querier` on Cisco-like switches; on a Linux bridge `ip link set br0 type bridge mcast_querier 1`), \
     or turn IGMP snooping off on that VLAN."
        .into()
}

/// Putting phones and PBX on one subnet.
#[must_use]
pub fn same_subnet(interface: &str) -> String {
    format!(
        "Put the phones on the same subnet/VLAN as {interface} (multicast with TTL 1 is never routed), or give the \
         PBX host an interface on the phones' VLAN; otherwise provision those phones with DHCP option 66/160 instead of PnP."
    )
}

/// What to do about a phone that does not send PnP.
#[must_use]
pub fn phone_pnp() -> String {
    "On the phone: enable PnP (often \"Plug and Play\" or \"PnP Config\" under auto-provisioning), upgrade its \
     firmware, or factory-reset it (PnP runs at first boot); then reboot it while mcready listens (`--listen 120`)."
        .into()
}

/// A PBX that answers 200 OK but never sends the NOTIFY: the PnP service answers, the provisioning
/// part is not set up.
#[must_use]
pub fn pbx_sends_no_notify() -> String {
    "Set up the PBX's provisioning for PnP (a provisioning URL or template for the phone models), so that its \
     200 OK is followed by a NOTIFY with the URL. Then look for mcready's SUBSCRIBE in the PBX's log."
        .into()
}

/// A NOTIFY whose fields some phones reject.
#[must_use]
pub fn pbx_notify_fields() -> String {
    "Update the PBX, or report the fields above to its vendor: phones expect the NOTIFY at their Contact, \
     with `Content-Type: application/url` and the URL as the body."
        .into()
}

/// A provisioning URL no phone can fetch.
#[must_use]
pub fn provisioning_url() -> String {
    "Set the PBX's provisioning URL to an address the phones can reach: the PBX's address on the phones' LAN, \
     or a name their DNS resolves to it — never localhost, 127.0.0.1 or a link-local address."
        .into()
}

/// A provisioning server that phones cannot fetch from.
#[must_use]
pub fn provisioning_server() -> String {
    "Make the provisioning server answer the URL in the NOTIFY: check that it runs and listens on that port, \
     that the host firewall lets the phones' subnet reach it, and that it serves the phones' files without \
     credentials they do not have (or with a certificate they trust)."
        .into()
}
