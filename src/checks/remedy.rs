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
            "Route multicast out of the phones' interface: `sudo ip route add 224.0.0.0/4 dev {interface}` \
             (persistent: netplan `routes: [{{to: 224.0.0.0/4, scope: link}}]` under {interface}, \
             `nmcli connection modify <conn> +ipv4.routes \"224.0.0.0/4\"`, or `up ip route add 224.0.0.0/4 dev {interface}` \
             in /etc/network/interfaces). Then restart the PBX so it joins 224.0.1.75 again, and confirm with `mcready joins`."
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
            "Use loose reverse-path filtering: `sudo sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.{interface}.rp_filter=2` \
             (persistent: a file in /etc/sysctl.d/)."
        ),
        OsFamily::Windows | OsFamily::Macos => {
            "Check the host's anti-spoofing settings for the phones' interface.".into()
        }
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
