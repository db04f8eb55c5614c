//! Host facts, gathered from the operating system into the plain data of [`crate::facts`].
//!
//! This is the only layer (with `net::sys`) that knows which OS it runs on. Each OS has one module
//! behind the same three functions — [`gather`], [`host_info`] and the privilege discovery in
//! [`privilege`] — so the layers above never branch on the OS. The text and data formats an OS
//! exposes are parsed by pure functions ([`procfs`], [`cgroup`], [`classify`], [`macos_text`]) that
//! build and test everywhere, and the network manager of each interface is decided from files under a
//! root directory ([`netconfig`]), tested on fixture trees.
//!
//! ```no_run
//! let facts = mcready::platform::gather(&mcready::platform::GatherOptions::default())?;
//! for interface in &facts.interfaces {
//!     println!("{} is {:?}", interface.name, interface.kind);
//! }
//! # Ok::<(), mcready::platform::GatherError>(())
//! ```

pub mod cgroup;
pub mod classify;
pub mod iphelper;
pub mod macos_text;
pub mod mib;
#[cfg(test)]
mod mib_tests;
pub mod native;
pub mod netconfig;
pub mod netfilter;
pub mod output;
pub mod privilege;
pub mod process;
pub mod procfs;
pub mod recording;
pub mod tool;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as os;

// The Windows module calls the OS's C API; its `unsafe` stays in small functions that each say why
// they are sound, as `net::sys` does.
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows;
#[cfg(windows)]
use windows as os;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as os;

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
mod unsupported;
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
use unsupported as os;

use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};

pub use crate::facts::HostInfo;
use crate::facts::{
    GroupRoute, HostFacts, Interface, LookupMethod, ManagedInterface, NetworkManagement, NetworkManager,
    PNP_GROUP, PNP_PORT,
};
use crate::snapshot::OsFamily;

/// What to gather: each command asks only for what it shows, so `joins` stays as quick as `ip maddr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// Every route of every table (and with them each interface's default-route metric).
    pub routes: bool,
    /// The OS's route for the group alone.
    pub group_route: bool,
    pub memberships: bool,
    pub listeners: bool,
    /// Host firewall rules and reverse-path filters in front of the PnP port (runs `nft`, `iptables-save`).
    pub firewall: bool,
}

impl Scope {
    pub const ALL: Self =
        Self { routes: true, group_route: true, memberships: true, listeners: true, firewall: true };
}

/// The group and port the facts are about, and how much to gather.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatherOptions {
    pub group: Ipv4Addr,
    pub port: u16,
    pub scope: Scope,
}

impl Default for GatherOptions {
    fn default() -> Self {
        Self { group: PNP_GROUP, port: PNP_PORT, scope: Scope::ALL }
    }
}

/// Why the host's facts could not be gathered. Each names the thing that failed.
#[derive(Debug)]
pub enum GatherError {
    /// A file the OS must provide could not be read.
    Unreadable { path: PathBuf, source: io::Error },
    /// The OS refused a request (netlink, an API call).
    Os { what: &'static str, source: io::Error },
    /// Gathering host facts is not implemented for this OS yet.
    Unsupported { os: &'static str },
}

impl std::fmt::Display for GatherError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The OS error is the `source()`, which callers print after this (`{:#}` in anyhow).
            Self::Unreadable { path, .. } => write!(f, "cannot read {}", path.display()),
            Self::Os { what, .. } => write!(f, "cannot {what}"),
            Self::Unsupported { os } => {
                write!(f, "reading host facts on {os} is not supported yet (Linux, macOS and Windows are)")
            }
        }
    }
}

impl std::error::Error for GatherError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unreadable { source, .. } | Self::Os { source, .. } => Some(source),
            Self::Unsupported { .. } => None,
        }
    }
}

/// Gathers the host's interfaces, routes, memberships and PnP-port listeners.
///
/// # Errors
/// When a source the OS must provide cannot be read at all. Lines of a source that do not parse are not
/// errors: they are skipped and recorded in [`HostFacts::notes`].
pub fn gather(options: &GatherOptions) -> Result<HostFacts, GatherError> {
    gather_recorded(options).map(|(facts, _)| facts)
}

/// [`gather`], and the sources it read as they came, for a support bundle ([`recording`]).
///
/// # Errors
/// As [`gather`].
pub fn gather_recorded(options: &GatherOptions) -> Result<(HostFacts, recording::Recording), GatherError> {
    let mut recording = recording::Recording::default();
    let mut facts = os::gather(options, &mut recording)?;
    // Who configures the interfaces decides how a route is made to last: gathered with the routes.
    if options.scope.routes {
        facts.network_manager = Some(network_managers(&facts.interfaces));
    }
    facts.privileges =
        Some(privilege::told(privilege::Privileges::discover(), OsFamily::current(), &facts.firewall));
    Ok((facts, recording))
}

/// The manager of each interface but loopback: found from files on Linux ([`netconfig`]); Windows and
/// macOS each have one way to configure an adapter.
fn network_managers(interfaces: &[Interface]) -> NetworkManagement {
    let named: Vec<(u32, &str)> =
        interfaces.iter().filter(|i| !i.flags.loopback).map(|i| (i.index, i.name.as_str())).collect();
    let (manager, evidence) = match OsFamily::current() {
        OsFamily::Linux => return netconfig::detect(Path::new("/"), &named),
        OsFamily::Windows => (
            NetworkManager::IpHelper,
            "Windows keeps each adapter's settings itself (IP Helper; PowerShell's NetTCPIP cmdlets change them)",
        ),
        OsFamily::Macos => (
            NetworkManager::Networksetup,
            "macOS keeps each network service's settings (networksetup changes them)",
        ),
    };
    NetworkManagement {
        present: vec![manager],
        interfaces: named
            .iter()
            .map(|(_, name)| ManagedInterface {
                interface: (*name).to_owned(),
                manager,
                renderer: None,
                file: None,
                netplan_definition: None,
                evidence: vec![evidence.to_owned()],
            })
            .collect(),
    }
}

/// The width of the terminal standard output writes to, in columns; `None` when it is no terminal
/// (a pipe, a file): text is then never wrapped.
#[must_use]
pub fn terminal_width() -> Option<usize> {
    terminal_size::terminal_size_of(io::stdout()).map(|(width, _)| usize::from(width.0))
}

/// The columns and rows of the terminal stdout writes to, if it is one (the live table of `listen`).
#[must_use]
pub fn terminal_size() -> Option<(usize, usize)> {
    terminal_size::terminal_size_of(io::stdout())
        .map(|(width, height)| (usize::from(width.0), usize::from(height.0)))
}

/// Hostname, OS, versions and whether mcready runs privileged.
#[must_use]
pub fn host_info() -> HostInfo {
    os::host_info()
}

/// The drops counter of every UDP socket bound to `port`, by socket identity (inode on Linux): read
/// before and after a listening window, the difference says whether the receiving sockets themselves
/// dropped datagrams (a full receive buffer) — which a firewall or `rp_filter` must not be blamed for.
/// `None` where the OS does not expose it.
#[must_use]
pub fn udp_socket_drops(port: u16) -> Option<Vec<(u64, u64)>> {
    os::udp_socket_drops(port)
}

/// The UDP sockets (IPv4 and IPv6) bound to `port` on this host, with their owning process id (0 when
/// Windows does not name it), from `GetExtendedUdpTable`: what Windows' group-receiver policy in
/// `net::sys` decides by, since Windows cannot bind a group address and must not share the port with
/// a PBX.
///
/// # Errors
/// When the IPv4 UDP table cannot be read.
#[cfg(windows)]
pub fn udp_sockets_on_port(port: u16) -> io::Result<Vec<(SocketAddr, u32)>> {
    os::udp_sockets_on_port(port)
}

/// How many datagrams the sockets on the port dropped between two readings of [`udp_socket_drops`]: a
/// socket new since `before` counts all its drops. `None` when either reading is missing.
#[must_use]
pub fn drops_between(before: Option<&[(u64, u64)]>, after: Option<&[(u64, u64)]>) -> Option<u64> {
    let (before, after) = (before?, after?);
    Some(after.iter().fold(0u64, |sum, (socket, drops)| {
        let earlier = before.iter().find(|(known, _)| known == socket).map_or(0, |(_, d)| *d);
        sum.saturating_add(drops.saturating_sub(earlier))
    }))
}

/// The OS's route for `group` found the portable way: a UDP socket "connected" to the group sends
/// nothing, but the OS picks the source address it would use, and that address names the interface.
#[must_use]
pub fn group_route_by_connect(group: Ipv4Addr, port: u16, interfaces: &[Interface]) -> GroupRoute {
    let lookup = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|socket| socket.connect((group, port)).map(|()| socket))
        .and_then(|socket| socket.local_addr());
    match lookup {
        Ok(SocketAddr::V4(local)) if !local.ip().is_unspecified() => {
            let source = *local.ip();
            let interface =
                interfaces.iter().find(|i| i.ipv4.iter().any(|net| net.addr == std::net::IpAddr::V4(source)));
            GroupRoute {
                group,
                interface: interface.map(|i| i.name.clone()),
                interface_index: interface.map(|i| i.index),
                source: Some(source),
                method: LookupMethod::UdpConnect,
                error: None,
            }
        }
        Ok(_) => no_route(group, LookupMethod::UdpConnect, "no source address for the group".into()),
        Err(error) => no_route(group, LookupMethod::UdpConnect, error.to_string()),
    }
}

fn no_route(group: Ipv4Addr, method: LookupMethod, error: String) -> GroupRoute {
    GroupRoute { group, interface: None, interface_index: None, source: None, method, error: Some(error) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn drops_between_two_readings_per_socket() {
        // Socket 7 dropped 3 more, socket 9 is new with 2, socket 8 is gone.
        let before = [(7, 10), (8, 5)];
        let after = [(7, 13), (9, 2)];
        assert_eq!(super::drops_between(Some(&before), Some(&after)), Some(5));
        assert_eq!(super::drops_between(None, Some(&after)), None);
        // A counter that went down (a reused inode) never underflows.
        assert_eq!(super::drops_between(Some(&[(7, 10)]), Some(&[(7, 1)])), Some(0));
    }
}
