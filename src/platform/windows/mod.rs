//! Host facts on Windows, from the IP Helper API: adapters with their addresses, metrics and multicast
//! lists ([`adapters`]), routes and the route Windows picks for the group ([`routes`]), the group
//! memberships `netsh interface ipv4 show joins` shows and the owners of UDP sockets on the PnP port
//! ([`tables`]) with the service each owner runs ([`services`]), Windows Defender Firewall and the
//! networks' categories ([`firewall`]), and who runs mcready where ([`system`]).
//!
//! Every value Windows hands back is treated as untrusted: lengths are bounded, families checked,
//! and what cannot be read becomes a [`GatherNote`] or `memberships_unreadable` — never a guess. The
//! decisions about the values (adapter kinds, effective metrics, where a join lands) are pure functions
//! in [`super::iphelper`], tested on every OS; so are the readings of the MIB tables' bytes (memberships,
//! routes, interface metrics), in [`super::mib`]. wine 8 lacks some of these calls (`GetIpInterfaceEntry`
//! among them); each is looked up or checked so that mcready degrades there instead of aborting.

mod adapters;
pub(super) mod apply;
mod ffi;
pub(super) mod files;
mod firewall;
mod routes;
mod services;
mod system;
mod tables;

use std::collections::HashMap;
use std::net::IpAddr;

use super::iphelper::{self, multicast_lists_plausible};
use super::privilege::Privileges;
use super::procfs;
use super::recording::Recording;
use super::{GatherError, GatherOptions, HostInfo, group_route_by_connect};
use crate::facts::{
    GatherNote, GroupRoute, HostFacts, Interface, Listener, LookupMethod, Membership, Process,
};

pub fn gather(options: &GatherOptions, recording: &mut Recording) -> Result<HostFacts, GatherError> {
    let mut notes = Vec::new();
    let adapters = adapters::read()
        .map_err(|source| GatherError::Os { what: "list network adapters (GetAdaptersAddresses)", source })?;
    let mut interfaces: Vec<Interface> = adapters.iter().map(|a| a.interface.clone()).collect();
    interface_metrics(&mut interfaces, &mut notes);
    for name in iphelper::apipa_only(&interfaces) {
        notes.push(note(
            "addresses",
            format!(
                "{name} has only a 169.254.x.x (APIPA) IPv4 address: DHCP did not answer on that adapter"
            ),
        ));
    }
    interfaces.sort_by_key(|i| i.index);
    let names: HashMap<u32, String> = interfaces.iter().map(|i| (i.index, i.name.clone())).collect();

    let mut facts = HostFacts::default();
    // The group's route is judged from the route table too, so read it whenever either is asked for.
    if options.scope.routes || options.scope.group_route {
        match routes::forward_table(&names) {
            Ok(mut rows) => {
                iphelper::fill_effective_metrics(&mut rows, &interfaces);
                facts.routes = rows;
            }
            Err(error) => notes.push(note("GetIpForwardTable2", format!("routes not read: {error}"))),
        }
    }
    if options.scope.group_route {
        facts.group_route = Some(group_route(options, &interfaces, &facts.routes, &names, &mut notes));
    }
    if !options.scope.routes {
        facts.routes.clear();
    }
    if options.scope.memberships {
        match memberships(&adapters, &interfaces, &names, &mut notes) {
            Ok(rows) => facts.memberships = rows,
            Err(reason) => facts.memberships_unreadable = Some(reason),
        }
    }
    if options.scope.listeners {
        facts.listeners = listeners(options.port, &mut notes);
    }
    if options.scope.firewall {
        let policy = firewall::read();
        let adapters = crate::firewall::windows::adapters(&interfaces);
        facts.firewall = crate::firewall::windows::facts(policy.clone(), &adapters);
        recording.windows_firewall = Some(policy);
    }
    facts.interfaces = interfaces;
    facts.notes = notes;
    Ok(facts)
}

pub fn host_info() -> HostInfo {
    let release = system::release();
    let wine = system::wine_version();
    let os_version = match (
        iphelper::windows_version(
            release.product.as_deref(),
            release.display_version.as_deref(),
            release.build,
        ),
        wine,
    ) {
        (Some(name), Some(wine)) => Some(format!("{name} under wine {wine}")),
        (None, Some(wine)) => Some(format!("wine {wine}")),
        (name, None) => name,
    };
    HostInfo {
        hostname: system::hostname().unwrap_or_default(),
        os: "windows",
        os_version,
        kernel: release.kernel(),
        privileged: privileges().admin,
    }
}

pub fn privileges() -> Privileges {
    // Raw sockets (SIO_RCVALL) and network changes both need an elevated token on Windows.
    let elevated = system::elevated().unwrap_or(false);
    if elevated { Privileges::all() } else { Privileges::default() }
}

/// Windows has no per-socket drop counter (the UDP table carries none): the caller then judges without it.
pub fn udp_socket_drops(_port: u16) -> Option<Vec<(u64, u64)>> {
    None
}

/// The UDP sockets on `port` with their owning process (see [`super::udp_sockets_on_port`]).
pub fn udp_sockets_on_port(port: u16) -> std::io::Result<Vec<(std::net::SocketAddr, u32)>> {
    Ok(tables::udp_owners(port)?.into_iter().map(|(_, local, pid)| (local, pid)).collect())
}

fn note(source: &str, message: String) -> GatherNote {
    GatherNote { source: source.to_owned(), message }
}

/// Replaces the `Ipv4Metric` of `GetAdaptersAddresses` with `GetIpInterfaceEntry`'s metric and its
/// automatic flag where that call exists (wine 8 lacks it: the adapter list's metric stays, flag unknown).
fn interface_metrics(interfaces: &mut [Interface], notes: &mut Vec<GatherNote>) {
    let Some(api) = routes::IpInterfaceApi::load() else {
        notes.push(note(
            "GetIpInterfaceEntry",
            "not available on this system (wine lacks it): interface metrics come from GetAdaptersAddresses, \
             and whether they are automatic is unknown"
                .into(),
        ));
        return;
    };
    let mut failed = Vec::new();
    for interface in interfaces.iter_mut().filter(|i| !i.ipv4.is_empty() || i.flags.loopback) {
        match api.ipv4_metric(interface.index) {
            Ok((metric, automatic)) => {
                interface.metric = Some(metric);
                interface.metric_automatic = Some(automatic);
            }
            Err(error) => failed.push(format!("{} ({error})", interface.name)),
        }
    }
    if !failed.is_empty() {
        notes.push(note("GetIpInterfaceEntry", format!("metric not read for {}", failed.join(", "))));
    }
}

/// The route Windows picks for the group: its own lookup (`GetBestRoute2`, then `GetBestInterfaceEx`),
/// else a connected UDP socket. Where the route table says otherwise, a note says so.
fn group_route(
    options: &GatherOptions,
    interfaces: &[Interface],
    routes: &[crate::facts::Route],
    names: &HashMap<u32, String>,
    notes: &mut Vec<GatherNote>,
) -> GroupRoute {
    let looked_up = match routes::best_route(options.group) {
        Ok(found) => Some(found),
        Err(best_route_error) => match routes::best_interface(options.group) {
            Ok(index) => Some((index, None)),
            Err(error) => {
                notes.push(note(
                    "GetBestRoute2",
                    format!(
                        "{best_route_error}; GetBestInterfaceEx: {error}; asked a connected UDP socket instead"
                    ),
                ));
                None
            }
        },
    };
    let route = match looked_up {
        Some((index, source)) => GroupRoute {
            group: options.group,
            interface: names.get(&index).cloned(),
            interface_index: Some(index),
            source,
            method: LookupMethod::KernelLookup,
            error: None,
        },
        None => group_route_by_connect(options.group, options.port, interfaces),
    };
    if let (Some(chosen), Some(landing)) =
        (route.interface_index, iphelper::join_lands_on(options.group, routes, interfaces))
    {
        let name = |index: u32| names.get(&index).cloned().unwrap_or_else(|| format!("index {index}"));
        if landing.interface_index != chosen {
            notes.push(note(
                "route table",
                format!(
                    "the route table ranks {} first for {} (effective metric {}), but Windows chose {}",
                    name(landing.interface_index),
                    options.group,
                    landing.effective_metric,
                    name(chosen)
                ),
            ));
        } else if landing.tie {
            notes.push(note(
                "route table",
                format!(
                    "another adapter's route for {} has the same effective metric ({}) as {}'s: Windows' choice \
                     between them may change after a reboot",
                    options.group,
                    landing.effective_metric,
                    name(chosen)
                ),
            ));
        }
    }
    route
}

/// What `netsh interface ipv4 show joins` shows: `GetMulticastIpAddressTable`, else the adapters'
/// multicast lists — believed only when they look filled (see [`multicast_lists_plausible`]).
fn memberships(
    adapters: &[adapters::Adapter],
    interfaces: &[Interface],
    names: &HashMap<u32, String>,
    notes: &mut Vec<GatherNote>,
) -> Result<Vec<Membership>, String> {
    let membership = |index: u32, group: IpAddr| Membership {
        interface: names.get(&index).cloned().unwrap_or_else(|| format!("index {index}")),
        interface_index: index,
        group,
        // Windows keeps a reference count per join but no API returns it.
        users: None,
    };
    let table_error = match tables::multicast_table() {
        Ok(rows) => {
            let rows: Vec<Membership> =
                rows.into_iter().map(|(index, group)| membership(index, group)).collect();
            if multicast_lists_plausible(interfaces, &rows) {
                return Ok(rows);
            }
            "GetMulticastIpAddressTable returned no all-hosts (224.0.0.1) membership on any adapter"
                .to_owned()
        }
        Err(error) => format!("GetMulticastIpAddressTable: {error}"),
    };
    let from_lists: Vec<Membership> = adapters
        .iter()
        .flat_map(|a| a.multicast.iter().map(|group| membership(a.interface.index, *group)))
        .collect();
    if multicast_lists_plausible(interfaces, &from_lists) {
        notes.push(note("memberships", format!("{table_error}; read the adapters' multicast lists instead")));
        return Ok(from_lists);
    }
    if let Some(rows) = wine_memberships() {
        notes.push(note(
            "memberships",
            format!(
                "{table_error}, and wine leaves the adapters' multicast lists empty: read the memberships of the \
                 Linux network stack wine runs on, /proc/net/igmp (Z:\\proc\\net\\igmp), whose interfaces are \
                 wine's adapters"
            ),
        ));
        return Ok(rows);
    }
    Err(format!(
        "{table_error}, and the adapters' multicast lists (GetAdaptersAddresses) are empty: this system does not \
         report group memberships"
    ))
}

/// Under wine, the joins are the Linux kernel's: wine's sockets join through it, and wine names its
/// adapters after the Linux interfaces with their indexes. `None` outside wine or when unreadable.
fn wine_memberships() -> Option<Vec<Membership>> {
    system::wine_version()?;
    let text = std::fs::read_to_string(r"Z:\proc\net\igmp").ok()?;
    let parsed = procfs::parse_igmp(&text, procfs::ByteOrder::NATIVE);
    Some(parsed.rows.into_iter().map(Membership::from).collect())
}

fn listeners(port: u16, notes: &mut Vec<GatherNote>) -> Vec<Listener> {
    let sockets = match tables::udp_owners(port) {
        Ok(sockets) => sockets,
        Err(error) => {
            notes.push(note("GetExtendedUdpTable", format!("UDP sockets on port {port} not read: {error}")));
            return Vec::new();
        }
    };
    // PID 0 is no owner: Windows never gives the idle process a socket, and wine reports 0 for sockets
    // of Linux processes. Such a socket is listed without an owner, which is the truth.
    let unowned = sockets.iter().filter(|(_, _, pid)| *pid == 0).count();
    if unowned > 0 {
        notes.push(note(
            "GetExtendedUdpTable",
            format!("{unowned} socket(s) on port {port} reported without an owning process (PID 0)"),
        ));
    }
    let mut names: HashMap<u32, Option<String>> = HashMap::new();
    // The services are listed only when a process holds the port; wine's Service Control Manager may
    // list none, which leaves the owners without a service, as is true of a PBX run by hand.
    let services = if sockets.iter().any(|(_, _, pid)| *pid != 0) {
        services::running().unwrap_or_else(|error| {
            notes.push(note("EnumServicesStatusExW", format!("the services were not listed: {error}")));
            Vec::new()
        })
    } else {
        Vec::new()
    };
    sockets
        .into_iter()
        .map(|(protocol, local, pid)| {
            let processes = if pid == 0 {
                Vec::new()
            } else {
                let name = names.entry(pid).or_insert_with(|| tables::process_name(pid)).clone();
                // The PID is known even when the name is not (a protected process, without elevation).
                let service = iphelper::service_of(pid, &services);
                vec![Process { service, ..Process::new(pid, name.unwrap_or_else(|| "?".into())) }]
            };
            Listener { protocol, local, uid: None, processes }
        })
        .collect()
}
