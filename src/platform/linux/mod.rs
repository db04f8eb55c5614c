//! Host facts on Linux: netlink for the adapters, their addresses and routes and the group's route, sysfs
//! for what kind each adapter is, `/proc/net` for memberships and UDP sockets, `/proc/PID/fd`
//! for the owners of those sockets and `/proc/PID/cgroup` for their systemd unit or container, and
//! the firewall listings and `rp_filter` values in [`firewall`].

mod firewall;
mod netlink;

use std::collections::HashMap;
use std::fs;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::classify::{LinkObservation, classify};
use super::privilege::{self, Privileges};
use super::procfs::{self, ByteOrder};
use super::recording::{self, Recording, SocketOwners};
use super::{GatherError, GatherOptions, HostInfo, group_route_by_connect};
use crate::facts::{
    GatherNote, GroupRoute, HostEnvironment, HostFacts, Interface, InterfaceFlags, IpNet, Listener,
    LookupMethod, Membership, Process, Route, RouteType, Stacked,
};

pub fn gather(options: &GatherOptions, recording: &mut Recording) -> Result<HostFacts, GatherError> {
    recording.byte_order = Some(ByteOrder::NATIVE);
    let mut notes = Vec::new();
    let (mut interfaces, stacking) = interfaces(&mut notes)?;
    let names: HashMap<u32, String> = interfaces.iter().map(|i| (i.index, i.name.clone())).collect();

    let mut facts = HostFacts::default();
    if options.scope.routes {
        facts.routes = routes(&names, &mut notes)?;
        for interface in &mut interfaces {
            interface.metric = facts
                .routes
                .iter()
                .filter(|r| r.is_default() && r.interface_index == Some(interface.index))
                .map(|r| r.metric)
                .min();
        }
    }
    if options.scope.group_route {
        facts.group_route = Some(group_route(options, &interfaces, &names));
    }
    if options.scope.memberships {
        facts.memberships = memberships(recording, &mut notes)?;
    }
    if options.scope.listeners {
        facts.listeners = listeners(options.port, recording, &mut notes)?;
        facts.receive_buffers = receive_buffers();
    }
    if options.scope.firewall {
        facts.firewall = firewall::read(recording);
    }
    facts.interfaces = interfaces;
    facts.stacking = stacking;
    facts.environment = Some(environment());
    facts.notes = notes;
    Ok(facts)
}

/// The receive-buffer limits, when both can be read (a container may hide `/proc/sys/net/core`).
fn receive_buffers() -> Option<crate::facts::ReceiveBuffers> {
    let read =
        |name: &str| fs::read_to_string(format!("/proc/sys/net/core/{name}")).ok()?.trim().parse().ok();
    Some(crate::facts::ReceiveBuffers { max: read("rmem_max")?, default: read("rmem_default")? })
}

pub fn host_info() -> HostInfo {
    let read_trimmed = |path: &str| fs::read_to_string(path).ok().map(|s| s.trim().to_owned());
    let os_version = fs::read_to_string("/etc/os-release").ok().and_then(|text| {
        text.lines()
            .find_map(|line| line.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_owned())
    });
    HostInfo {
        hostname: read_trimmed("/proc/sys/kernel/hostname").unwrap_or_default(),
        os: "linux",
        os_version,
        kernel: read_trimmed("/proc/sys/kernel/osrelease"),
        privileged: privileges().admin,
    }
}

pub fn privileges() -> Privileges {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| privilege::from_proc_status(&text))
        .unwrap_or_default()
}

fn read(path: impl AsRef<Path>) -> Result<String, GatherError> {
    let path = path.as_ref();
    fs::read_to_string(path).map_err(|source| GatherError::Unreadable { path: path.to_path_buf(), source })
}

/// Kinds whose `IFLA_LINK` names the parent they ride on (a veth's names its peer instead).
const RIDES_ON_LINK: &[&str] = &["vlan", "macvlan", "macvtap", "ipvlan", "ipvtap", "vxlan"];

fn interfaces(notes: &mut Vec<GatherNote>) -> Result<(Vec<Interface>, Vec<Stacked>), GatherError> {
    let links = netlink::links()
        .map_err(|source| GatherError::Os { what: "list network links (netlink)", source })?;
    note_undecodable(links.undecodable, "netlink links", notes);
    let addresses = match netlink::addresses() {
        Ok(replies) => replies.items,
        Err(error) => {
            notes.push(GatherNote { source: "netlink addresses".into(), message: error.to_string() });
            Vec::new()
        }
    };
    let name_of: HashMap<u32, String> = links.items.iter().map(|l| (l.index, l.name.clone())).collect();
    let mut stacking = Vec::new();
    for link in &links.items {
        // A port rides under its master: the bridge or bond needs the port.
        if let Some(master) = link.master.and_then(|m| name_of.get(&m)) {
            stacking.push(Stacked { interface: master.clone(), rides_on: link.name.clone() });
        }
        let rides = link.kind.as_deref().is_some_and(|k| RIDES_ON_LINK.contains(&k));
        if rides
            && !link.link_elsewhere
            && let Some(parent) = link.link.filter(|l| *l != link.index).and_then(|l| name_of.get(&l))
        {
            stacking.push(Stacked { interface: link.name.clone(), rides_on: parent.clone() });
        }
    }
    let mut interfaces: Vec<Interface> = links
        .items
        .into_iter()
        .map(|link| {
            let observation = observe_link(&link);
            let (kind, kind_detail) = classify(&observation);
            let own = addresses.iter().filter(|(index, _)| *index == link.index).map(|(_, net)| *net);
            Interface {
                index: link.index,
                id: None,
                kind,
                kind_detail,
                description: None,
                flags: InterfaceFlags {
                    up: link.up,
                    running: link.running,
                    multicast: link.multicast,
                    loopback: link.loopback,
                },
                // Loopback and tunnels report an all-zero or empty hardware address: that is no MAC.
                mac: link
                    .mac
                    .filter(|mac| mac.iter().any(|b| *b != 0))
                    .map(|mac| mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")),
                mtu: link.mtu,
                ipv4: own.clone().filter(|net| net.addr.is_ipv4()).collect(),
                ipv6: own.filter(|net| net.addr.is_ipv6()).collect(),
                metric: None,
                metric_automatic: None,
                name: link.name,
            }
        })
        .collect();
    // A dump comes in index order today; sort anyway, since people read interfaces in index order.
    interfaces.sort_by_key(|i| i.index);
    Ok((interfaces, stacking))
}

fn note_undecodable(count: usize, source: &str, notes: &mut Vec<GatherNote>) {
    if count > 0 {
        notes.push(GatherNote {
            source: source.to_owned(),
            message: format!("skipped {count} message(s) that did not decode"),
        });
    }
}

/// The sysfs facts that tell adapters apart; the netlink dump already gave the type and link kind.
fn observe_link(link: &netlink::LinkRow) -> LinkObservation {
    let netlink_only = LinkObservation {
        name: link.name.clone(),
        link_type: Some(link.link_type),
        loopback_flag: link.loopback,
        bridge_master: link.kind.as_deref() == Some("bridge"),
        link_kind: link.kind.clone(),
        ..LinkObservation::default()
    };
    // Loopback and links with a netlink kind (veth, bridge, tun, wireguard…) are software links:
    // sysfs has nothing to add, and a host with many containers has many of them.
    if link.loopback || (link.kind.is_some() && link.kind.as_deref() != Some("tun")) {
        return netlink_only;
    }
    let dir = PathBuf::from("/sys/class/net").join(&link.name);
    let uevent = fs::read_to_string(dir.join("uevent")).unwrap_or_default();
    let devtype = uevent.lines().find_map(|l| l.strip_prefix("DEVTYPE=")).map(str::to_owned);
    // Only tun/tap devices have tun_flags; skip the read for every other kind.
    let tun_tap = (link.kind.as_deref() == Some("tun")).then(|| {
        fs::read_to_string(dir.join("tun_flags")).ok().is_some_and(|flags| {
            // IFF_TAP is 0x0002 in the tun device's flags.
            u32::from_str_radix(flags.trim().trim_start_matches("0x"), 16).is_ok_and(|f| f & 0x0002 != 0)
        })
    });
    let driver = fs::read_link(dir.join("device/driver"))
        .ok()
        .and_then(|target| target.file_name().map(|n| n.to_string_lossy().into_owned()));
    LinkObservation {
        name: link.name.clone(),
        link_type: Some(link.link_type),
        loopback_flag: link.loopback,
        wireless: devtype.as_deref() == Some("wlan")
            || dir.join("phy80211").exists()
            || dir.join("wireless").exists(),
        devtype,
        bridge_master: link.kind.as_deref() == Some("bridge"),
        tun_tap,
        has_device: driver.is_some() || dir.join("device").exists(),
        driver,
        link_kind: link.kind.clone(),
    }
}

fn routes(names: &HashMap<u32, String>, notes: &mut Vec<GatherNote>) -> Result<Vec<Route>, GatherError> {
    match netlink::routes(names) {
        Ok(replies) => {
            if replies.undecodable > 0 {
                notes.push(GatherNote {
                    source: "netlink routes".into(),
                    message: format!("skipped {} route message(s) that did not decode", replies.undecodable),
                });
            }
            Ok(replies.items)
        }
        Err(error) => {
            notes.push(GatherNote {
                source: "netlink routes".into(),
                message: format!("{error}; read /proc/net/route instead (IPv4 main table only)"),
            });
            let parsed = procfs::parse_route(&read("/proc/net/route")?, ByteOrder::NATIVE);
            let index_of: HashMap<&str, u32> = names.iter().map(|(i, n)| (n.as_str(), *i)).collect();
            Ok(recording::keep_rows(parsed, "/proc/net/route", notes)
                .into_iter()
                .map(|row| Route {
                    destination: IpNet::new(IpAddr::V4(row.destination), row.prefix_len),
                    gateway: Some(row.gateway).filter(|g| !g.is_unspecified()).map(IpAddr::V4),
                    interface_index: index_of.get(row.device.as_str()).copied(),
                    interface: Some(row.device),
                    metric: row.metric,
                    effective_metric: None,
                    table: "main".into(),
                    route_type: RouteType::Unicast,
                    source: None,
                })
                .collect())
        }
    }
}

fn group_route(
    options: &GatherOptions,
    interfaces: &[Interface],
    names: &HashMap<u32, String>,
) -> GroupRoute {
    match netlink::route_get(options.group) {
        Ok((index, source)) => GroupRoute {
            group: options.group,
            interface: index.and_then(|i| names.get(&i).cloned()),
            interface_index: index,
            source,
            method: LookupMethod::KernelLookup,
            error: None,
        },
        // "Network is unreachable" is the kernel's answer, not a failure to ask: there is no route.
        Err(error) if error.raw_os_error() == Some(libc::ENETUNREACH) => GroupRoute {
            group: options.group,
            interface: None,
            interface_index: None,
            source: None,
            method: LookupMethod::KernelLookup,
            error: Some(error.to_string()),
        },
        Err(_) => group_route_by_connect(options.group, options.port, interfaces),
    }
}

fn memberships(
    recording: &mut Recording,
    notes: &mut Vec<GatherNote>,
) -> Result<Vec<Membership>, GatherError> {
    let igmp = read(recording::IGMP)?;
    // A kernel without IPv6 has no igmp6 table: that is no memberships, not an error.
    let igmp6 = match fs::read_to_string(recording::IGMP6) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(source) => return Err(GatherError::Unreadable { path: recording::IGMP6.into(), source }),
    };
    let rows = recording::memberships(&igmp, igmp6.as_deref(), ByteOrder::NATIVE, notes);
    recording.files.insert(recording::IGMP.into(), igmp);
    recording.files.extend(igmp6.map(|text| (recording::IGMP6.to_owned(), text)));
    Ok(rows)
}

fn listeners(
    port: u16,
    recording: &mut Recording,
    notes: &mut Vec<GatherNote>,
) -> Result<Vec<Listener>, GatherError> {
    let mut texts = Vec::new();
    for (path, protocol) in recording::UDP {
        match fs::read_to_string(path) {
            Ok(text) => texts.push((path, protocol, text)),
            Err(error) if error.kind() == io::ErrorKind::NotFound && protocol == "udp6" => {}
            Err(source) => return Err(GatherError::Unreadable { path: path.into(), source }),
        }
    }
    let tables: Vec<(&'static str, &'static str, &str)> =
        texts.iter().map(|(p, k, t)| (*p, *k, t.as_str())).collect();
    let sockets = recording::sockets_on_port(&tables, port, ByteOrder::NATIVE, notes);
    recording.files.extend(texts.into_iter().map(|(path, _, text)| (path.to_owned(), text)));
    if sockets.is_empty() {
        return Ok(Vec::new());
    }
    let owners = socket_owners(&sockets.iter().map(|(_, row)| row.inode).collect::<Vec<_>>());
    recording.socket_owners =
        owners.into_iter().map(|(inode, processes)| SocketOwners { inode, processes }).collect();
    recording.socket_owners.sort_by_key(|o| o.inode);
    Ok(recording::listeners(sockets, &recording.socket_owners))
}

/// Where mcready runs: a container (its runtime's marker files, or pid 1's environment and cgroup),
/// WSL 2 (the kernel's release string), a virtual machine (the firmware's vendor and product).
fn environment() -> HostEnvironment {
    let read = |path: &str| fs::read_to_string(path).unwrap_or_default();
    let pid1_environ = read("/proc/1/environ");
    let from_environ = pid1_environ
        .split('\0')
        .find_map(|v| v.strip_prefix("container="))
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let cgroup = read("/proc/1/cgroup");
    let container = if Path::new("/.dockerenv").exists() {
        Some("docker".to_owned())
    } else if Path::new("/run/.containerenv").exists() {
        Some("podman".to_owned())
    } else if from_environ.is_some() {
        from_environ
    } else if cgroup.contains("kubepods") {
        Some("kubernetes".to_owned())
    } else if cgroup.contains("/docker/") {
        Some("docker".to_owned())
    } else if cgroup.contains("/lxc/") {
        Some("lxc".to_owned())
    } else {
        None
    };
    let release = read("/proc/sys/kernel/osrelease").to_ascii_lowercase();
    let wsl = release.contains("microsoft") || release.contains("wsl");
    let firmware =
        format!("{} {}", read("/sys/class/dmi/id/sys_vendor"), read("/sys/class/dmi/id/product_name"));
    // A namespace made beside the container's own (a lab, `ip netns exec`) is not its network.
    let netns = |path: &str| fs::read_link(path).ok();
    let in_container_network = match (netns("/proc/self/ns/net"), netns("/proc/1/ns/net")) {
        (Some(own), Some(init)) => Some(own == init),
        _ => None,
    };
    HostEnvironment {
        in_container_network: container.is_some().then_some(in_container_network).flatten(),
        container,
        wsl,
        // Mirrored mode shows the Windows adapters, and its own loopback as `loopback0`.
        wsl_mirrored: wsl && Path::new("/sys/class/net/loopback0").exists(),
        virtual_machine: crate::platform::classify::hypervisor(&firmware),
    }
}

/// The drops column of `/proc/net/udp{,6}` for the sockets bound to `port`, by inode.
pub fn udp_socket_drops(port: u16) -> Option<Vec<(u64, u64)>> {
    let mut drops = Vec::new();
    for path in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(text) = fs::read_to_string(path) else { continue };
        let rows = procfs::parse_udp(&text, ByteOrder::NATIVE).rows;
        for row in rows.into_iter().filter(|row| row.local.port() == port) {
            drops.push((row.inode, row.drops?));
        }
    }
    Some(drops)
}

/// Walks `/proc/*/fd` for the processes holding the given socket inodes. Another user's processes are
/// unreadable without privileges; those sockets are listed without an owner, which is the truth.
fn socket_owners(inodes: &[u64]) -> HashMap<u64, Vec<Process>> {
    let mut owners: HashMap<u64, Vec<Process>> = HashMap::new();
    let Ok(processes) = fs::read_dir("/proc") else { return owners };
    for entry in processes.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else { continue };
        for fd in fds.flatten() {
            let Ok(target) = fs::read_link(fd.path()) else { continue };
            let Some(inode) = target
                .to_str()
                .and_then(|t| t.strip_prefix("socket:["))
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u64>().ok())
            else {
                continue;
            };
            if inodes.contains(&inode) {
                let name =
                    fs::read_to_string(entry.path().join("comm")).unwrap_or_default().trim().to_owned();
                let holders = owners.entry(inode).or_default();
                if !holders.iter().any(|p| p.pid == pid) {
                    // World-readable, unlike the fds: the unit is known whenever the owner is.
                    let service = fs::read_to_string(entry.path().join("cgroup"))
                        .ok()
                        .and_then(|text| super::cgroup::service(&text));
                    holders.push(Process { service, ..Process::new(pid, name) });
                }
            }
        }
    }
    owners
}
