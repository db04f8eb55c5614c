//! Host facts on macOS: `getifaddrs` for the adapters and their addresses (the link type from
//! `sockaddr_dl`), `networksetup -listallhardwareports` for which `en` is Wi-Fi, Bluetooth PAN or a
//! Thunderbolt port, `netstat -rn -f inet` for routes, `route -n get` for the group's route,
//! `netstat -gn` for memberships, `lsof` for who holds the PnP port, `sw_vers` and `uname` for the
//! host, and `pfctl -sr`/`-si` for the pf firewall, read into the firewall model that the same judge as
//! on Linux judges (the Application Firewall's state is noted beside it, not judged).
//!
//! Only the tools are run here; their text is parsed by [`super::macos_text`], which is built and
//! tested on every OS. The libc calls live in [`sys`], the one module allowed `unsafe`.

#[allow(unsafe_code)]
mod sys;

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::path::Path;

use super::macos_text as text;
use super::privilege::Privileges;
use super::procfs::Parsed;
use super::recording::{PfListing, PfOutcome};
use super::tool::{self, ToolError, ToolOutput};
use super::{GatherError, GatherOptions, HostInfo, group_route_by_connect};
use crate::facts::{
    GatherNote, GroupRoute, HostFacts, Interface, Listener, LookupMethod, Membership, Process, Route,
};

/// Where macOS keeps the tools read here; `PATH` may lack the `sbin` ones for a plain user.
const TOOL_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];
const APPLICATION_FIREWALL: &str = "/usr/libexec/ApplicationFirewall/socketfilterfw";

pub fn gather(
    options: &GatherOptions,
    recording: &mut super::recording::Recording,
) -> Result<HostFacts, GatherError> {
    let mut notes = Vec::new();
    let interfaces = interfaces(&mut notes)?;
    let index_of: HashMap<String, u32> = interfaces.iter().map(|i| (i.name.clone(), i.index)).collect();

    let mut facts = HostFacts::default();
    if options.scope.routes {
        facts.routes = routes(&index_of, &mut notes);
    }
    if options.scope.group_route {
        facts.group_route = Some(group_route(options, &interfaces, &mut notes));
    }
    if options.scope.memberships {
        facts.memberships = memberships(&index_of, &mut notes)?;
    }
    if options.scope.listeners {
        facts.listeners = listeners(options.port, &mut notes);
    }
    if options.scope.firewall {
        let pf = firewall();
        facts.firewall = super::recording::pf_facts(&pf);
        recording.pf = Some(pf);
    }
    facts.interfaces = interfaces;
    facts.notes = notes;
    Ok(facts)
}

pub fn host_info() -> HostInfo {
    let line = |name: &str, args: &[&str]| {
        run_ok(name, args).map(|out| out.stdout.trim().to_owned()).filter(|s| !s.is_empty())
    };
    HostInfo {
        hostname: sys::hostname().or_else(|| line("uname", &["-n"])).unwrap_or_default(),
        os: "macos",
        os_version: run_ok("sw_vers", &[]).and_then(|out| text::parse_sw_vers(&out.stdout)),
        kernel: line("uname", &["-r"]),
        privileged: privileges().admin,
    }
}

/// macOS keeps no drop counter per socket (`netstat -s -p udp` has one for the whole host), and without
/// a capture nothing is compared with it: `None`, as on an OS that does not expose it.
pub fn udp_socket_drops(_port: u16) -> Option<Vec<(u64, u64)>> {
    None
}

/// Root may open BPF devices (`/dev/bpf*` are root's by default) and change the network.
pub fn privileges() -> Privileges {
    let root = sys::effective_uid_is_root();
    if root { Privileges::all() } else { Privileges::default() }
}

/// A tool's output when it ran and succeeded.
fn run_ok(name: &str, args: &[&str]) -> Option<ToolOutput> {
    tool::run(name, TOOL_DIRS, args).ok().filter(|out| out.success)
}

fn note(notes: &mut Vec<GatherNote>, source: &str, message: impl Into<String>) {
    notes.push(GatherNote { source: source.to_owned(), message: message.into() });
}

fn keep_rows<T>(parsed: Parsed<T>, source: &str, notes: &mut Vec<GatherNote>) -> Vec<T> {
    if parsed.skipped > 0 {
        note(notes, source, format!("skipped {} line(s) that did not parse", parsed.skipped));
    }
    parsed.rows
}

/// What a tool run came to when it did not print a usable listing, for notes and errors.
fn failure(result: &Result<ToolOutput, ToolError>) -> String {
    match result {
        Ok(out) if out.stderr.trim().is_empty() => "exited with an error and said nothing".into(),
        Ok(out) => out.stderr.trim().to_owned(),
        Err(error) => error.to_string(),
    }
}

fn interfaces(notes: &mut Vec<GatherNote>) -> Result<Vec<Interface>, GatherError> {
    let entries = sys::interface_entries()
        .map_err(|source| GatherError::Os { what: "list interfaces (getifaddrs)", source })?;
    let ports = match tool::run("networksetup", TOOL_DIRS, &["-listallhardwareports"]) {
        Ok(out) if out.success => text::parse_hardware_ports(&out.stdout),
        other => {
            note(
                notes,
                "networksetup -listallhardwareports",
                format!("{}; Wi-Fi and Bluetooth adapters are told apart by name only", failure(&other)),
            );
            Vec::new()
        }
    };

    let interfaces = text::assemble_interfaces(&entries, &ports);
    if interfaces.iter().any(|i| i.index == 0) {
        note(notes, "getifaddrs", "an interface had no link-level entry, so no index");
    }
    Ok(interfaces)
}

fn routes(index_of: &HashMap<String, u32>, notes: &mut Vec<GatherNote>) -> Vec<Route> {
    const SOURCE: &str = "netstat -rn -f inet";
    let result = tool::run("netstat", TOOL_DIRS, &["-rn", "-f", "inet"]);
    let listing = match &result {
        Ok(out) if out.success => text::parse_netstat_routes(&out.stdout),
        _ => {
            note(notes, SOURCE, failure(&result));
            return Vec::new();
        }
    };
    keep_rows(listing, SOURCE, notes)
        .into_iter()
        .map(|row| Route {
            route_type: row.route_type(),
            destination: row.destination,
            gateway: row.gateway,
            interface_index: index_of.get(&row.interface).copied(),
            interface: Some(row.interface),
            metric: 0,
            effective_metric: None,
            table: "main".into(),
            source: None,
        })
        .collect()
}

/// `route -n get GROUP` asks the kernel's routing table the way `ip route get` does on Linux.
fn group_route(options: &GatherOptions, interfaces: &[Interface], notes: &mut Vec<GatherNote>) -> GroupRoute {
    let group = options.group.to_string();
    let result = tool::run("route", TOOL_DIRS, &["-n", "get", &group]);
    let answer = result.as_ref().ok().map(|out| (out, text::parse_route_get(&out.stdout)));
    match answer {
        Some((_, Some(found))) => {
            let interface = interfaces.iter().find(|i| Some(&i.name) == found.interface.as_ref());
            // `route get` names no source address; the kernel's choice comes from a connected UDP
            // socket (which sends nothing), kept when it agrees on the interface.
            let connected = group_route_by_connect(options.group, options.port, interfaces);
            let source = connected.source.filter(|_| connected.interface == found.interface).or_else(|| {
                interface.and_then(|i| {
                    i.ipv4.iter().find_map(|net| match net.addr {
                        IpAddr::V4(v4) => Some(v4),
                        IpAddr::V6(_) => None,
                    })
                })
            });
            GroupRoute {
                group: options.group,
                interface: found.interface.clone(),
                interface_index: interface.map(|i| i.index),
                source,
                method: LookupMethod::KernelLookup,
                error: None,
            }
        }
        // "not in table" is the kernel's answer, not a failure to ask: there is no route.
        Some((out, None)) if out.stderr.contains("not in table") => GroupRoute {
            group: options.group,
            interface: None,
            interface_index: None,
            source: None,
            method: LookupMethod::KernelLookup,
            error: Some(out.stderr.trim().to_owned()),
        },
        _ => {
            note(
                notes,
                "route -n get",
                format!("{}; asked a connected UDP socket instead", failure(&result)),
            );
            group_route_by_connect(options.group, options.port, interfaces)
        }
    }
}

fn memberships(
    index_of: &HashMap<String, u32>,
    notes: &mut Vec<GatherNote>,
) -> Result<Vec<Membership>, GatherError> {
    const SOURCE: &str = "netstat -gn";
    let result = tool::run("netstat", TOOL_DIRS, &["-gn"]);
    let out = match &result {
        Ok(out) if out.success => out,
        _ => {
            return Err(GatherError::Os {
                what: "list multicast memberships (netstat -gn)",
                source: io::Error::other(failure(&result)),
            });
        }
    };
    Ok(keep_rows(text::parse_netstat_groups(&out.stdout), SOURCE, notes)
        .into_iter()
        .map(|row| Membership {
            interface_index: index_of.get(&row.interface).copied().unwrap_or(0),
            interface: row.interface,
            group: row.group,
            // netstat does not say how many sockets hold a membership.
            users: None,
        })
        .collect())
}

/// Who holds UDP `port`, from `lsof`. Without root, lsof sees only this user's processes: said in a note.
fn listeners(port: u16, notes: &mut Vec<GatherNote>) -> Vec<Listener> {
    const SOURCE: &str = "lsof -nP -iUDP";
    let selector = format!("-iUDP:{port}");
    // `+c 0`: whole command names, not the first nine characters.
    let result = tool::run("lsof", TOOL_DIRS, &["+c", "0", "-nP", &selector]);
    let Ok(out) = &result else {
        note(notes, SOURCE, format!("{}: who holds UDP {port} is unknown", failure(&result)));
        return Vec::new();
    };
    // lsof exits 1 with nothing printed when no file matches: no listener, not a failure.
    if !out.success && !out.stdout.trim().is_empty() {
        note(notes, SOURCE, failure(&result));
    }
    if !sys::effective_uid_is_root() {
        note(notes, SOURCE, "not root: other users' sockets on the port are not listed");
    }
    keep_rows(text::parse_lsof_udp(&out.stdout), SOURCE, notes)
        .into_iter()
        // `-iUDP:5060` also matches sockets whose remote end is port 5060.
        .filter(|row| row.local.port() == port)
        .map(|row| Listener {
            protocol: row.protocol,
            local: row.local,
            uid: row.uid,
            processes: vec![Process::new(row.pid, row.command)],
        })
        .collect()
}

/// What `pfctl -sr` (and, when it printed the rules, `pfctl -si`) and the Application Firewall's state
/// query gave: read into the firewall model by [`super::recording::pf_facts`].
fn firewall() -> PfListing {
    let application_firewall =
        tool::run_with_deadline(Path::new(APPLICATION_FIREWALL), &["--getglobalstate"], tool::TOOL_TIMEOUT)
            .ok()
            .map(|out| out.stdout);
    let result = tool::run("pfctl", TOOL_DIRS, &["-sr"]);
    let why = failure(&result);
    let info = match &result {
        Ok(out) if out.success => run_ok("pfctl", &["-si"]).map(|info| info.stdout),
        _ => None,
    };
    let rules = match result {
        Ok(out) if out.success => PfOutcome::Rules(out.stdout),
        Ok(out) if tool::denied(&out.stderr) => PfOutcome::Denied(out.stderr),
        Err(ToolError::NotInstalled) => PfOutcome::NotInstalled,
        Err(ToolError::TimedOut) => PfOutcome::TimedOut(why),
        _ => PfOutcome::Failed(why),
    };
    PfListing { rules, info, application_firewall }
}
