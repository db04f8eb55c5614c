//! The plain data that the platform gathers about a host: interfaces, routes, group memberships, the
//! sockets bound to the PnP port, and the host firewall and reverse-path filter in front of them.
//!
//! Everything here is owned, comparable and serialisable, and nothing here does I/O: a snapshot can be
//! built by hand in a test and fed to the evaluation layer exactly like one read from a live host. The
//! field order of each struct is the key order of the JSON documents, so it is part of the contract.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::ruleset::{FirewallTool, NatKind, Ruleset};

/// The well-known SIP multicast group phones send PnP SUBSCRIBEs to (`sip.mcast.net`).
pub const PNP_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 1, 75);
/// The port phones send PnP SUBSCRIBEs to.
pub const PNP_PORT: u16 = 5060;

/// What an administrator would call the adapter; decides what advice applies to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InterfaceKind {
    Ethernet,
    Wifi,
    Bluetooth,
    Loopback,
    Bridge,
    /// Virtual machines' and containers' adapters: veth, docker, libvirt, VMware, VirtualBox, Hyper-V, WSL.
    Virtual,
    /// Tunnels and VPNs: tun/tap, WireGuard, Tailscale, GRE, `IPsec`.
    Tunnel,
    Other,
}

impl InterfaceKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ethernet => "ethernet",
            Self::Wifi => "wifi",
            Self::Bluetooth => "bluetooth",
            Self::Loopback => "loopback",
            Self::Bridge => "bridge",
            Self::Virtual => "virtual",
            Self::Tunnel => "tunnel",
            Self::Other => "other",
        }
    }
}

/// The interface flags that matter for multicast.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceFlags {
    pub up: bool,
    pub running: bool,
    pub multicast: bool,
    pub loopback: bool,
}

/// An address with its prefix length, as `198.51.100.10/24`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix_len: u8,
}

impl IpNet {
    #[must_use]
    pub fn new(addr: IpAddr, prefix_len: u8) -> Self {
        Self { addr, prefix_len }
    }

    /// Whether `other` lies inside this address's subnet.
    #[must_use]
    pub fn contains(&self, other: IpAddr) -> bool {
        match (self.addr, other) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = prefix_mask::<32>(self.prefix_len);
                (u128::from(u32::from(net)) & mask) == (u128::from(u32::from(ip)) & mask)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = prefix_mask::<128>(self.prefix_len);
                (u128::from(net) & mask) == (u128::from(ip) & mask)
            }
            _ => false,
        }
    }

    /// The subnet's directed broadcast address (IPv4 with a prefix shorter than /31), else `None`.
    #[must_use]
    pub fn broadcast(&self) -> Option<IpAddr> {
        let IpAddr::V4(v4) = self.addr else { return None };
        if self.prefix_len >= 31 {
            return None;
        }
        let host_bits = u32::MAX.checked_shr(u32::from(self.prefix_len)).unwrap_or(0);
        Some(IpAddr::V4((u32::from(v4) | host_bits).into()))
    }

    /// The subnet's own address (all host bits zero), which names the subnet, not a host; none for /31
    /// and /32, whose every address is a host (RFC 3021).
    #[must_use]
    pub fn network_address(&self) -> Option<IpAddr> {
        let IpAddr::V4(v4) = self.addr else { return None };
        if self.prefix_len >= 31 {
            return None;
        }
        let host_bits = u32::MAX.checked_shr(u32::from(self.prefix_len)).unwrap_or(0);
        Some(IpAddr::V4((u32::from(v4) & !host_bits).into()))
    }
}

/// The netmask of a prefix within a `BITS`-wide address, in the low bits of a u128.
fn prefix_mask<const BITS: u32>(prefix_len: u8) -> u128 {
    let prefix = u32::from(prefix_len).min(BITS);
    let all = if BITS == 128 { u128::MAX } else { (1u128 << BITS) - 1 };
    if prefix == 0 { 0 } else { all & !((1u128 << (BITS - prefix)) - 1) }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

impl Serialize for IpNet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::str::FromStr for IpNet {
    type Err = String;

    /// `198.51.100.10/24`, as [`IpNet`] prints itself (a support bundle reads it back).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = text.split_once('/').ok_or_else(|| format!("{text:?} has no /prefix"))?;
        let addr: IpAddr = addr.parse().map_err(|_| format!("{addr:?} is not an IP address"))?;
        let prefix_len: u8 = prefix.parse().map_err(|_| format!("{prefix:?} is not a prefix length"))?;
        Ok(Self::new(addr, prefix_len))
    }
}

impl<'de> Deserialize<'de> for IpNet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Reading back the few words the gatherers write as `&'static str` (a protocol, an OS, a hook, a
/// capability): a known word is the program's own constant, anything else (a newer mcready's word in
/// a support bundle) is kept for the life of the process, which reads one bundle and exits.
pub mod interned {
    use serde::{Deserialize, Deserializer};

    /// A word of the program's own (serde's derive would borrow a field spelt `&'static str` from the
    /// input instead of calling `deserialize_with`).
    pub type Word = &'static str;

    const KNOWN: &[&str] = &[
        "udp",
        "udp6",
        "linux",
        "windows",
        "macos",
        "block",
        "allow",
        "prerouting",
        "input",
        "forward",
        "output",
        "postrouting",
        "net_raw",
        "net_admin",
        "sys_ptrace",
        "dac_read_search",
        "dac_override",
    ];

    #[must_use]
    pub fn intern(word: String) -> &'static str {
        KNOWN
            .iter()
            .find(|known| **known == word)
            .copied()
            .unwrap_or_else(|| Box::leak(word.into_boxed_str()))
    }

    /// # Errors
    /// When the value is not a string.
    pub fn one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
        String::deserialize(deserializer).map(intern)
    }

    /// # Errors
    /// When the value is neither a string nor null.
    pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'static str>, D::Error> {
        Ok(Option::<String>::deserialize(deserializer)?.map(intern))
    }

    /// # Errors
    /// When the value is not a list of strings.
    pub fn list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<&'static str>, D::Error> {
        Ok(Vec::<String>::deserialize(deserializer)?.into_iter().map(intern).collect())
    }
}

/// One network adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    pub name: String,
    pub index: u32,
    /// The OS's stable identifier for the adapter where it has one besides the name and index: the
    /// adapter GUID on Windows (`{4D36E972-…}`), which `-i` accepts too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub kind: InterfaceKind,
    /// What the kind was decided from, e.g. `veth`, `wireguard`, `docker`, `phy80211`: names the adapter
    /// in advice and lets a reader disagree with the classification.
    pub kind_detail: Option<String>,
    /// The adapter's own description where the OS has one (Windows; the hardware port on macOS, such as
    /// `Wi-Fi`), else `None`.
    pub description: Option<String>,
    pub flags: InterfaceFlags,
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    pub ipv4: Vec<IpNet>,
    pub ipv6: Vec<IpNet>,
    /// The metric the OS ranks this adapter by. Windows has an interface metric; Linux does not, so there
    /// this is the lowest metric of a default route leaving by the adapter.
    pub metric: Option<u32>,
    /// Whether Windows computes `metric` itself from the link speed (`Automatic metric` in the adapter's
    /// IPv4 settings); `None` where the OS has no such setting or it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_automatic: Option<bool>,
}

impl Interface {
    /// The IPv4 subnet(s) of this adapter that contain `ip`.
    #[must_use]
    pub fn subnet_containing(&self, ip: IpAddr) -> Option<IpNet> {
        self.ipv4.iter().chain(&self.ipv6).copied().find(|net| net.contains(ip))
    }
}

/// What a route is for, as the kernel types it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteType {
    Unicast,
    Local,
    Broadcast,
    Multicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Other,
}

/// One route of the host's routing tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub destination: IpNet,
    pub gateway: Option<IpAddr>,
    pub interface: Option<String>,
    pub interface_index: Option<u32>,
    pub metric: u32,
    /// What Windows ranks the route by: its metric plus its interface's metric (the figure `route print`
    /// shows). `None` on other OSes, and where the interface's metric was not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_metric: Option<u32>,
    /// The routing table: `main`, `local`, `default` or a number.
    pub table: String,
    pub route_type: RouteType,
    pub source: Option<IpAddr>,
}

impl Route {
    /// A default route: `0.0.0.0/0` or `::/0` of type unicast.
    #[must_use]
    pub fn is_default(&self) -> bool {
        self.destination.prefix_len == 0 && self.route_type == RouteType::Unicast
    }
}

/// How the OS route for the PnP group was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LookupMethod {
    /// The OS's own route lookup: netlink `RTM_GETROUTE` on Linux (as `ip route get`), `GetBestRoute2` or
    /// `GetBestInterfaceEx` on Windows.
    KernelLookup,
    /// A UDP socket connected to the group (sends nothing); its local address names the interface.
    UdpConnect,
}

/// The interface and source address the OS would send the PnP group's traffic from — and so the
/// interface a PBX lands on when it joins the group with `INADDR_ANY`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRoute {
    pub group: Ipv4Addr,
    /// `None` when the OS has no route for the group at all (a join with `INADDR_ANY` fails with ENODEV).
    pub interface: Option<String>,
    pub interface_index: Option<u32>,
    pub source: Option<Ipv4Addr>,
    pub method: LookupMethod,
    /// Why there is no route, in the OS's words.
    pub error: Option<String>,
}

/// One group joined on one interface, as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub interface: String,
    pub interface_index: u32,
    pub group: IpAddr,
    /// How many sockets (or kernel users) hold the membership, when the OS says.
    pub users: Option<u32>,
}

/// A process that owns a socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub pid: u32,
    pub name: String,
    /// The service the process runs as (its systemd unit from its cgroup, its Windows service), or
    /// the container it runs in: what "restart the PBX" names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
}

impl Process {
    /// A process whose service is not known.
    #[must_use]
    pub fn new(pid: u32, name: impl Into<String>) -> Self {
        Self { pid, name: name.into(), service: None }
    }
}

/// What supervises a process, so that a fix can restart it by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceManager {
    /// A unit of the system's systemd (`systemctl restart NAME`).
    Systemd,
    /// A unit of a user's systemd instance (`systemctl --user restart NAME`, as that user).
    SystemdUser,
    /// A scope: processes started from a login session or by `systemd-run --scope`; systemd cannot
    /// restart a scope, so the fix does not name it.
    SystemdScope,
    /// A container; `runtime` names its engine and `name` its id.
    Container,
    /// A Windows service (the Service Control Manager's name, `Restart-Service -Name NAME`).
    WindowsService,
}

/// The service (or container) a process belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub manager: ServiceManager,
    /// The unit (`asterisk.service`), the Windows service's name (`3CXPhoneSystem01`), or the
    /// container's id as its engine shortens it (12 hex digits).
    pub name: String,
    /// A container's engine: `docker`, `podman`, `containerd`, `cri-o`, `lxc`, `systemd-nspawn`,
    /// `kubernetes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// The uid of a user unit's systemd instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<u32>,
    /// A Windows service's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl Service {
    /// The service as a person reads it: `systemd unit asterisk.service`, `docker container 3f2a9c41d07b`.
    #[must_use]
    pub fn label(&self) -> String {
        match self.manager {
            ServiceManager::Systemd => format!("systemd unit {}", self.name),
            ServiceManager::SystemdUser => match self.user {
                Some(uid) => format!("systemd user unit {} of uid {uid}", self.name),
                None => format!("systemd user unit {}", self.name),
            },
            ServiceManager::SystemdScope => format!("{} (a scope, not a service)", self.name),
            ServiceManager::Container => {
                format!("{} container {}", self.runtime.as_deref().unwrap_or("a"), self.name)
            }
            ServiceManager::WindowsService => match &self.display_name {
                Some(display) if *display != self.name => {
                    format!("Windows service {} ({display})", self.name)
                }
                _ => format!("Windows service {}", self.name),
            },
        }
    }
}

/// The tool that keeps a host's network configuration, so that a lasting fix is written in its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkManager {
    #[serde(rename = "networkmanager")]
    NetworkManager,
    SystemdNetworkd,
    /// netplan's YAML, rendered for systemd-networkd or NetworkManager (see `renderer`).
    Netplan,
    /// Debian's `/etc/network/interfaces` (`ifup`, `ifdown`).
    Ifupdown,
    /// Windows keeps adapters' settings itself: IP Helper, and PowerShell's NetTCPIP cmdlets.
    IpHelper,
    /// macOS: the network services `networksetup` changes.
    Networksetup,
    /// Nothing found that configures the interface (set by hand, or by a tool mcready does not know).
    None,
}

impl NetworkManager {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NetworkManager => "NetworkManager",
            Self::SystemdNetworkd => "systemd-networkd",
            Self::Netplan => "netplan",
            Self::Ifupdown => "ifupdown",
            Self::IpHelper => "IP Helper (PowerShell)",
            Self::Networksetup => "networksetup",
            Self::None => "none",
        }
    }
}

/// Which tool configures one interface, and what that was decided from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedInterface {
    pub interface: String,
    pub manager: NetworkManager,
    /// netplan's renderer for this interface: `systemd-networkd` (netplan's default) or `networkmanager`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renderer: Option<NetworkManager>,
    /// The file that configures it: a netplan YAML, a `.network` file, `/etc/network/interfaces`,
    /// NetworkManager's keyfile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// netplan's definition of it, `TYPE/ID` (`ethernets/eth0`): a lasting route is added under the
    /// same definition, which netplan merges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netplan_definition: Option<String>,
    /// What the decision rests on, e.g. `/run/systemd/netif/links/2: ADMIN_STATE=configured`.
    pub evidence: Vec<String>,
}

/// The network managers of the host: which run, and which configures each interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkManagement {
    /// Managers running or configured on the host (a daemon running, netplan files present).
    pub present: Vec<NetworkManager>,
    /// Per interface (loopback left out).
    pub interfaces: Vec<ManagedInterface>,
}

impl NetworkManagement {
    /// The manager of `interface`, when one was found (`none` is not a manager).
    #[must_use]
    pub fn of(&self, interface: &str) -> Option<&ManagedInterface> {
        self.interfaces.iter().find(|m| m.interface == interface && m.manager != NetworkManager::None)
    }
}

/// One thing this run may or may not do, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowance {
    pub allowed: bool,
    pub reason: String,
}

/// What this run could and could not do with the privileges it has: the truth behind every `skip`
/// "for lack of privilege". (`host.privileged` stays "root or elevated".)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPrivileges {
    /// Root (effective uid 0) or an elevated token, as `host.privileged`.
    pub admin: bool,
    /// The Linux capabilities in effect that matter here, lower case without `CAP_`: `net_raw`,
    /// `net_admin`, `sys_ptrace`, `dac_read_search`, `dac_override`.
    #[serde(deserialize_with = "interned::list")]
    pub capabilities: Vec<&'static str>,
    /// A passive capture of the PnP interface (a packet socket; `SIO_RCVALL` on Windows).
    pub capture: Allowance,
    /// A raw IGMP socket, to hear the querier's queries.
    pub raw_igmp: Allowance,
    /// Reading the host firewall's rules.
    pub read_firewall: Allowance,
    /// Seeing which process of another user holds a socket on the PnP port.
    pub socket_owners: Allowance,
}

/// A UDP socket bound to the PnP port, and who holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    #[serde(deserialize_with = "interned::one")]
    pub protocol: interned::Word,
    pub local: SocketAddr,
    pub uid: Option<u32>,
    /// Empty when the owner could not be seen (another user's process, without privileges).
    pub processes: Vec<Process>,
}

/// Input the platform read but could not use: never fatal, always counted, so a reader knows the
/// snapshot may be incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatherNote {
    pub source: String,
    pub message: String,
}

/// Everything gathered about the host in one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    pub interfaces: Vec<Interface>,
    pub routes: Vec<Route>,
    pub group_route: Option<GroupRoute>,
    pub memberships: Vec<Membership>,
    pub listeners: Vec<Listener>,
    pub firewall: FirewallFacts,
    pub notes: Vec<GatherNote>,
    /// Why the group memberships could not be read, when they were asked for and could not be: then an
    /// empty `memberships` means "unknown", never "nothing joined".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memberships_unreadable: Option<String>,
    /// Which interface rides on which (a bridge on its ports, a VLAN on its parent, a bond on its
    /// members): advice must never take down what the phones' interface rides on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stacking: Vec<Stacked>,
    /// Where mcready runs (container, WSL, virtual machine), when that is known: multicast from the LAN
    /// may never reach a host behind NAT, whatever its own settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<HostEnvironment>,
    /// Which tool configures each interface (gathered with the routes: it decides how a route is made
    /// to last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_manager: Option<NetworkManagement>,
    /// What this run may do, discovered (capabilities, elevation) and, for the firewall, as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileges: Option<RunPrivileges>,
    /// The kernel's receive-buffer limits for sockets (Linux), read with the listeners: the fix that
    /// raises them sets these values back on undo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive_buffers: Option<ReceiveBuffers>,
}

/// `net.core.rmem_max` and `net.core.rmem_default`, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiveBuffers {
    pub max: u64,
    pub default: u64,
}

/// One interface riding on another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stacked {
    /// The bridge, bond, VLAN or macvlan.
    pub interface: String,
    /// A port, member or parent it needs.
    pub rides_on: String,
}

/// The kind of host mcready runs on, as far as it can tell.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostEnvironment {
    /// A container runtime (`docker`, `podman`, `lxc`, `kubernetes`, `container`), when inside one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// mcready runs in the network namespace of the container's pid 1 (its own network, not one a test
    /// or tool made beside it); `None` when that could not be read (needs root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_container_network: Option<bool>,
    /// Inside WSL 2.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wsl: bool,
    /// WSL's networking mode is mirrored (the Windows adapters appear here), not NAT.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wsl_mirrored: bool,
    /// A hypervisor named by the firmware (`QEMU`, `VMware`, `VirtualBox`, `Hyper-V`, `Xen`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_machine: Option<String>,
}

impl HostFacts {
    /// `interface` and everything it rides on, transitively: a VLAN's parent, a bridge's ports, a
    /// bond's members (and theirs).
    #[must_use]
    pub fn carriers_of(&self, interface: &str) -> Vec<String> {
        let mut found = vec![interface.to_owned()];
        let mut at = 0;
        while let Some(name) = found.get(at).cloned() {
            for stacked in self.stacking.iter().filter(|s| s.interface == name) {
                if !found.contains(&stacked.rides_on) {
                    found.push(stacked.rides_on.clone());
                }
            }
            at += 1;
        }
        found
    }

    /// The interfaces that ride on `interface` (a bridge above a port, a VLAN above its parent):
    /// taking them down would not harm it, but the phones may be served through them.
    #[must_use]
    pub fn riders_of(&self, interface: &str) -> Vec<String> {
        self.stacking.iter().filter(|s| s.rides_on == interface).map(|s| s.interface.clone()).collect()
    }

    /// The interface the main table's most specific unicast route for `ip` leaves by.
    #[must_use]
    pub fn route_interface_for(&self, ip: IpAddr) -> Option<&str> {
        self.routes
            .iter()
            .filter(|r| r.table == "main" && r.route_type == RouteType::Unicast && r.destination.contains(ip))
            .max_by_key(|r| (r.destination.prefix_len, std::cmp::Reverse(r.metric)))
            .and_then(|r| r.interface.as_deref())
    }
}

impl HostFacts {
    /// The interface `wanted` names, as `-i` takes it: the name (on Windows the alias, such as
    /// `Ethernet 2`), then the name in any case when only one interface matches so (Windows aliases are
    /// case-insensitive), then the adapter GUID with or without braces, then the index.
    #[must_use]
    pub fn interface(&self, wanted: &str) -> Option<&Interface> {
        if let Some(exact) = self.interfaces.iter().find(|i| i.name == wanted) {
            return Some(exact);
        }
        let folded = wanted.to_lowercase();
        let mut any_case = self.interfaces.iter().filter(|i| i.name.to_lowercase() == folded);
        if let (Some(only), None) = (any_case.next(), any_case.next()) {
            return Some(only);
        }
        if let Some(by_id) =
            self.interfaces.iter().find(|i| i.id.as_deref().is_some_and(|id| same_guid(id, wanted)))
        {
            return Some(by_id);
        }
        let index: u32 = wanted.trim().parse().ok()?;
        self.interfaces.iter().find(|i| i.index == index)
    }

    /// Every address of this host, IPv4 and IPv6: to tell this host's own traffic and a PBX on this
    /// host from the LAN's, and to refuse a `--phone` that is this host.
    #[must_use]
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.interfaces.iter().flat_map(|i| i.ipv4.iter().chain(&i.ipv6)).map(|net| net.addr).collect()
    }

    /// Default routes, lowest metric first: the order the OS prefers them in.
    #[must_use]
    pub fn default_routes(&self) -> Vec<&Route> {
        let mut defaults: Vec<&Route> = self.routes.iter().filter(|r| r.is_default()).collect();
        defaults.sort_by_key(|r| (r.destination.addr.is_ipv6(), r.metric));
        defaults
    }

    /// Routes for IPv4 multicast destinations (a `224.0.0.0/4` route, or a narrower one inside it),
    /// which decide where a join without an interface lands; lowest metric first.
    #[must_use]
    pub fn multicast_routes(&self) -> Vec<&Route> {
        let mut routes: Vec<&Route> = self
            .routes
            .iter()
            .filter(|r| {
                matches!(r.destination.addr, IpAddr::V4(v4) if v4.is_multicast())
                    && r.destination.prefix_len >= 4
            })
            .collect();
        routes.sort_by_key(|r| (std::cmp::Reverse(r.destination.prefix_len), r.metric));
        routes
    }

    /// Memberships of `group`, in interface-index order.
    #[must_use]
    pub fn members_of(&self, group: IpAddr) -> Vec<&Membership> {
        self.memberships.iter().filter(|m| m.group == group).collect()
    }

    /// The one service (or container) that holds the PnP port, when the owners were seen and name
    /// exactly one: "restart the PBX" can then name it. A scope is no service, and two different
    /// services on the port make the name a guess.
    #[must_use]
    pub fn pbx_service(&self) -> Option<&Service> {
        service_holding(&self.listeners)
    }
}

/// The one service (or container) among the owners of `listeners`, as [`HostFacts::pbx_service`].
#[must_use]
pub fn service_holding(listeners: &[Listener]) -> Option<&Service> {
    let mut services = listeners
        .iter()
        .flat_map(|l| &l.processes)
        .filter_map(|p| p.service.as_ref())
        .filter(|s| s.manager != ServiceManager::SystemdScope);
    let first = services.next()?;
    services.all(|other| other == first).then_some(first)
}

/// Whether a firewall tool's view could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceStatus {
    /// Read and analysed.
    Read,
    /// The tool is not installed: the rules it shows (if any) were not read.
    NotInstalled,
    /// The kernel refused: listing rules needs `CAP_NET_ADMIN`.
    PermissionDenied,
    /// The tool ran but failed, or printed what could not be used.
    Failed,
    /// The tool did not finish in time and was stopped.
    TimedOut,
}

/// One firewall tool that was (or could not be) read, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallSource {
    pub tool: FirewallTool,
    /// The command line as run, e.g. `nft -j list ruleset`.
    pub command: String,
    pub status: SourceStatus,
    /// Why the status is not `read`, in the tool's or the OS's words; or what was left out of it.
    pub detail: Option<String>,
    /// Rules analysed from this source (0 when it was not read).
    pub rules: usize,
    /// Rules or lines that could not be understood and were skipped.
    pub skipped: usize,
}

/// What part of a PnP SUBSCRIBE a firewall finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallAffects {
    /// UDP to the PnP port (or all UDP).
    UdpPort,
    /// Multicast: 224.0.0.0/4, the PnP group, or packets of type multicast.
    Multicast,
    /// IGMP (`ip protocol igmp`, `-p igmp`).
    Igmp,
    /// Every inbound packet: an unconditional rule or a chain's drop policy.
    AllInput,
    /// Every outbound packet: an unconditional rule or an output chain's drop policy.
    AllOutput,
    /// TCP to the provisioning URL's port.
    TcpPort,
}

/// A datagram PnP depends on, judged on its own path through the host firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallFlow {
    /// A phone's PnP SUBSCRIBE to the group and port, coming in (prerouting, input).
    SubscribeIn,
    /// mcready's own probe coming back in through the multicast loop (input).
    ProbeLoop,
    /// mcready's probe going out to the group (output, postrouting).
    ProbeOut,
    /// The PBX's SIP answers to the phones, from the PnP port (output, postrouting).
    AnswerOut,
    /// IGMP membership reports this host sends (output, postrouting).
    IgmpOut,
    /// IGMP queries from the LAN's querier (prerouting, input).
    IgmpIn,
    /// Phones' requests to the provisioning URL, when it is this host's address on another interface
    /// than the PnP one (prerouting, input, on that interface).
    ProvisioningIn,
}

impl FirewallFlow {
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::SubscribeIn => "phones' PnP SUBSCRIBEs coming in",
            Self::ProbeLoop => "the probe's looped-back copy",
            Self::ProbeOut => "the probe going out to the group",
            Self::AnswerOut => "the PBX's SIP answers to the phones",
            Self::IgmpOut => "IGMP membership reports going out",
            Self::IgmpIn => "IGMP queries coming in",
            Self::ProvisioningIn => "phones' requests to the provisioning URL coming in",
        }
    }
}

/// Who owns a firewall rule: the tool whose own commands change it safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallManager {
    Ufw,
    Firewalld,
    /// Docker's own chains (`DOCKER*`): Docker rewrites them.
    Docker,
    /// kube-proxy's own chains (`KUBE-*`): kube-proxy rewrites them.
    KubeProxy,
    /// Plain nftables (`/etc/nftables.conf`).
    Nftables,
    /// iptables through the nftables backend (`iptables-nft`).
    IptablesNft,
    /// Legacy iptables (`iptables-legacy`).
    IptablesLegacy,
    WindowsFirewall,
    /// macOS's packet filter (`/etc/pf.conf` and its anchors). No pf reader yields findings yet; the
    /// fix is ready for one.
    Pf,
}

/// A rule that assigns a conntrack helper to the PnP traffic (`ct helper set "sip"`,
/// `-j CT --helper sip`): the kernel's SIP helper rewrites or drops SIP it cannot parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallHelper {
    pub tool: FirewallTool,
    pub table: String,
    pub chain: String,
    pub rule: String,
    pub handle: Option<u64>,
    /// The helper or `ct helper` object named.
    pub helper: String,
    /// Every such datagram reaches the rule.
    pub certain: bool,
}

/// How sure a finding is that a PnP SUBSCRIBE from a phone on the LAN is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingCertainty {
    /// Depends on what is not known here (the phone's address, the interface it arrives on, a rate
    /// limit, an expression mcready does not understand, an earlier rule that may accept it).
    MayDrop,
    /// Every condition of the rule matches such a datagram, and nothing before it lets it through.
    Drops,
}

/// What the firewall does to the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallVerdict {
    Drop,
    Reject,
    /// The chain's policy is drop and no earlier rule accepts UDP to the port.
    PolicyDrop,
}

/// A firewall rule (or policy) that drops, or may drop, a PnP SUBSCRIBE on its way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallFinding {
    pub tool: FirewallTool,
    pub affects: FirewallAffects,
    pub certainty: FindingCertainty,
    /// `inet filter` for nftables (family and name), `filter` or `raw` for iptables.
    pub table: String,
    /// The chain the rule is in (a user chain when it was reached by a jump).
    pub chain: String,
    /// The hook of the base chain the datagram met it from: `input` or `prerouting`.
    pub hook: String,
    pub verdict: FirewallVerdict,
    /// The rule as a person would write it: the `iptables-save` line, or nft syntax rebuilt from the
    /// JSON; for a policy, `policy drop`.
    pub rule: String,
    /// The nftables rule handle (`nft -a list ruleset` shows it), when there is one.
    pub handle: Option<u64>,
    /// What the `may-drop` depends on, e.g. `ip saddr 10.0.0.0/8` or `unless it comes from …`.
    pub depends_on: Vec<String>,
    /// Which datagram is dropped; absent means a phone's SUBSCRIBE coming in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<FirewallFlow>,
    /// The rule's 1-based position in its chain (what `iptables -I CHAIN N` takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// Who owns the rule, so that the fix uses that tool's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<FirewallManager>,
}

/// An interface's `net.ipv4.conf.<name>.rp_filter`: 0 off, 1 strict, 2 loose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpFilter {
    /// `all`, `default` or an interface name.
    pub interface: String,
    pub value: u8,
}

/// The host firewall and reverse-path filter, as far as they concern a PnP SUBSCRIBE coming in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallFacts {
    /// Each tool read, or why it could not be.
    pub sources: Vec<FirewallSource>,
    /// The checklist's one judgement of `rulesets`, with the PnP interface (empty as gathered: the
    /// platforms only read).
    pub findings: Vec<FirewallFinding>,
    pub rp_filter: Vec<RpFilter>,
    pub notes: Vec<GatherNote>,
    /// Rules assigning a conntrack helper (e.g. the kernel's SIP helper) to the PnP traffic.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub helpers: Vec<FirewallHelper>,
    /// Firewall managers found on the host (ufw enabled, firewalld running).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managers: Vec<FirewallManager>,
    /// The judge ran out of its step budget somewhere: findings may be missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// Windows Defender Firewall's profiles (Domain, Private, Public) and which adapters' networks
    /// select each; empty on other OSes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows_profiles: Vec<WindowsFirewallProfile>,
    /// Every address translation read (`dnat`, `snat`, `masquerade`, `redirect`; nft and iptables of
    /// either backend): a port forwarded from the LAN NIC to a PBX container is one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nat: Vec<NatRule>,
    /// The rulesets as read, so that the checklist can judge them once with what it knows (the PnP
    /// interface, the phones' addresses). Not part of the report: the findings are.
    #[serde(skip)]
    pub rulesets: Vec<Ruleset>,
}

/// One NAT rule of the host firewall, as read: what it matches and where it sends the datagram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<FirewallTool>,
    /// As printed: `ip nat` for nftables, `nat` for iptables.
    pub table: String,
    pub chain: String,
    /// The hook of a base chain (`prerouting` for a port forward); none for a chain reached by a jump
    /// (Docker's `DOCKER`).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "interned::optional")]
    pub hook: Option<interned::Word>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<u64>,
    /// The rule as written.
    pub rule: String,
    pub kind: NatKind,
    /// `udp`, `tcp`, … when the rule names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The destination ports it matches (`5060`, `5070-5080`); empty is any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    /// The interface it matches coming in (`eth0`, `!docker0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_interface: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_interface: Option<String>,
    /// The new address (`203.0.113.10`, a range `a-b`); none when the kernel picks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_address: Option<String>,
    /// The new port or range; none keeps the port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ports: Option<String>,
}

/// One Windows Defender Firewall profile, as `Get-NetFirewallProfile` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowsFirewallProfile {
    /// `Domain`, `Private` or `Public`.
    pub profile: String,
    /// A connected network has this category (`CurrentProfileTypes`).
    pub in_force: bool,
    pub enabled: bool,
    /// `block` or `allow`.
    #[serde(deserialize_with = "interned::one")]
    pub default_inbound: interned::Word,
    #[serde(deserialize_with = "interned::one")]
    pub default_outbound: interned::Word,
    /// "Block all incoming connections, including those in the list of allowed apps".
    pub block_all_inbound: bool,
    /// Adapters whose network has this category, where the network list said it.
    pub adapters: Vec<String>,
}

impl FirewallFacts {
    /// The reverse-path filter the kernel applies on `interface`: the larger of `all` and the
    /// interface's own value (so `all = 1` makes every interface strict). `None` when the interface's
    /// value was not read.
    #[must_use]
    pub fn effective_rp_filter(&self, interface: &str) -> Option<u8> {
        let value = |name: &str| self.rp_filter.iter().find(|r| r.interface == name).map(|r| r.value);
        let own = value(interface)?;
        Some(own.max(value("all").unwrap_or(0)))
    }

    /// Whether any source could not be read, so that "no finding" is not "no firewall".
    #[must_use]
    pub fn incomplete(&self) -> bool {
        self.sources.iter().any(|s| s.status != SourceStatus::Read && s.status != SourceStatus::NotInstalled)
    }
}

/// The metric Windows ranks a route by: the route's own metric plus its interface's metric (what
/// `route print` shows). Saturating, since both are untrusted 32-bit values.
#[must_use]
pub fn effective_metric(route_metric: u32, interface_metric: Option<u32>) -> u32 {
    route_metric.saturating_add(interface_metric.unwrap_or(0))
}

/// Whether an identifier as typed (braces optional, any case) is the adapter GUID `id`.
fn same_guid(id: &str, typed: &str) -> bool {
    let bare = |s: &str| s.trim().trim_start_matches('{').trim_end_matches('}').to_ascii_lowercase();
    let id = bare(id);
    !id.is_empty() && id == bare(typed)
}

/// A group as people read it: the address, and its well-known name when it has one
/// (`224.0.1.75 (sip.mcast.net)`; a `--group` of the admin's own is the address alone).
#[must_use]
pub fn group_label(group: IpAddr) -> String {
    match group_name(group) {
        Some(name) => format!("{group} ({name})"),
        None => group.to_string(),
    }
}

/// The name people know a well-known group by, for display.
#[must_use]
pub fn group_name(group: IpAddr) -> Option<&'static str> {
    match group {
        IpAddr::V4(v4) if v4 == PNP_GROUP => Some("sip.mcast.net"),
        IpAddr::V4(v4) if v4 == Ipv4Addr::new(224, 0, 0, 1) => Some("all-hosts"),
        IpAddr::V4(v4) if v4 == Ipv4Addr::new(224, 0, 0, 2) => Some("all-routers"),
        IpAddr::V4(v4) if v4 == Ipv4Addr::new(224, 0, 0, 22) => Some("igmpv3-routers"),
        IpAddr::V4(v4) if v4 == Ipv4Addr::new(224, 0, 0, 251) => Some("mdns"),
        IpAddr::V4(v4) if v4 == Ipv4Addr::new(224, 0, 0, 252) => Some("llmnr"),
        IpAddr::V4(v4) if v4 == Ipv4Addr::new(239, 255, 255, 250) => Some("ssdp"),
        IpAddr::V6(v6) if v6.segments() == [0xff02, 0, 0, 0, 0, 0, 0, 1] => Some("all-nodes"),
        IpAddr::V6(v6) if v6.segments() == [0xff01, 0, 0, 0, 0, 0, 0, 1] => Some("all-nodes (node)"),
        IpAddr::V6(v6) if v6.segments() == [0xff02, 0, 0, 0, 0, 0, 0, 0xfb] => Some("mdns"),
        _ => None,
    }
}

/// Who and where mcready runs: the header of every report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: String,
    #[serde(deserialize_with = "interned::one")]
    pub os: interned::Word,
    /// The distribution or product name and version, e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub os_version: Option<String>,
    /// The kernel release, e.g. `6.1.0-18-amd64`.
    pub kernel: Option<String>,
    pub privileged: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str, p: u8) -> IpNet {
        IpNet::new(s.parse().unwrap(), p)
    }

    #[test]
    fn host_addresses_are_every_address_of_every_interface() {
        let mut facts = crate::checks::fixtures::wrong_nic().facts;
        facts.interfaces[0].ipv6.push(net("2001:db8::10", 64));
        let addresses = facts.addresses();
        for ip in ["198.51.100.10", "2001:db8::10", "203.0.113.55"] {
            assert!(addresses.contains(&ip.parse().unwrap()), "{ip}");
        }
        assert_eq!(addresses.len(), 3);
    }

    #[test]
    fn subnet_membership_by_prefix() {
        let lan = net("198.51.100.10", 24);
        assert!(lan.contains("198.51.100.200".parse().unwrap()));
        assert!(!lan.contains("198.51.101.1".parse().unwrap()));
        assert!(!lan.contains("2001:db8::1".parse().unwrap()));
        assert!(net("0.0.0.0", 0).contains("203.0.113.9".parse().unwrap()));
        assert!(net("203.0.113.9", 32).contains("203.0.113.9".parse().unwrap()));
        assert!(!net("203.0.113.9", 32).contains("203.0.113.8".parse().unwrap()));
        assert!(net("2001:db8::10", 64).contains("2001:db8::ffff".parse().unwrap()));
        assert!(!net("2001:db8::10", 64).contains("2001:db9::1".parse().unwrap()));
        // A prefix longer than the address is clamped, never a shift overflow.
        assert!(net("198.51.100.1", 99).contains("198.51.100.1".parse().unwrap()));
    }

    #[test]
    fn rp_filter_takes_the_larger_of_all_and_the_interface() {
        let rp = |interface: &str, value| RpFilter { interface: interface.into(), value };
        let facts = FirewallFacts {
            rp_filter: vec![rp("all", 1), rp("default", 0), rp("eth0", 0), rp("eth1", 2)],
            ..FirewallFacts::default()
        };
        assert_eq!(facts.effective_rp_filter("eth0"), Some(1));
        assert_eq!(facts.effective_rp_filter("eth1"), Some(2));
        assert_eq!(facts.effective_rp_filter("wlan0"), None);
    }

    fn adapter(index: u32, name: &str, id: Option<&str>) -> Interface {
        Interface {
            name: name.into(),
            index,
            id: id.map(str::to_owned),
            kind: InterfaceKind::Ethernet,
            kind_detail: None,
            description: None,
            flags: InterfaceFlags::default(),
            mac: None,
            mtu: None,
            ipv4: Vec::new(),
            ipv6: Vec::new(),
            metric: None,
            metric_automatic: None,
        }
    }

    #[test]
    fn interface_by_alias_index_or_guid() {
        let facts = HostFacts {
            interfaces: vec![
                adapter(1, "Loopback Pseudo-Interface 1", None),
                adapter(12, "Ethernet 2", Some("{4D36E972-E325-11CE-BFC1-08002BE10318}")),
                adapter(17, "Wi-Fi", Some("{0B2E5F07-8E2A-4B43-9C55-6A1D0C3F2A11}")),
                adapter(2, "12", None),
            ],
            ..HostFacts::default()
        };
        let found = |wanted: &str| facts.interface(wanted).map(|i| i.index);
        assert_eq!(found("Ethernet 2"), Some(12));
        assert_eq!(found("ethernet 2"), Some(12));
        assert_eq!(found("WI-FI"), Some(17));
        assert_eq!(found("{4d36e972-e325-11ce-bfc1-08002be10318}"), Some(12));
        assert_eq!(found("0B2E5F07-8E2A-4B43-9C55-6A1D0C3F2A11"), Some(17));
        assert_eq!(found("17"), Some(17));
        // A name wins over an index: an interface literally named "12" is the one meant.
        assert_eq!(found("12"), Some(2));
        assert_eq!(found("99"), None);
        assert_eq!(found("{}"), None);
        assert_eq!(found(""), None);
        assert_eq!(found("Ethernet"), None);
    }

    #[test]
    fn interface_in_any_case_only_when_unambiguous() {
        let facts = HostFacts {
            interfaces: vec![adapter(3, "eth0", None), adapter(4, "ETH0", None)],
            ..HostFacts::default()
        };
        assert_eq!(facts.interface("ETH0").map(|i| i.index), Some(4));
        assert_eq!(facts.interface("Eth0"), None);
    }

    #[test]
    fn pnp_group_is_named() {
        assert_eq!(group_name(IpAddr::V4(PNP_GROUP)), Some("sip.mcast.net"));
        assert_eq!(group_name("239.1.1.1".parse().unwrap()), None);
    }
}
