//! Which tool configures each interface of a Linux host — NetworkManager, systemd-networkd, netplan
//! over either, ifupdown, or none — decided from files alone, under a root directory (`/` on a live
//! host, a fixture tree in tests), without asking a daemon over D-Bus: a lasting fix (the route for
//! the group) must be written in the words of the tool that rewrites the configuration at the next
//! boot, and only that tool.
//!
//! The evidence, in the order it decides:
//! - netplan: `/etc/netplan`, `/run/netplan`, `/lib/netplan` `*.yaml` that define the interface (by
//!   id, `set-name` or `match: name:`), and its `renderer:` (per device, per type, global; networkd by
//!   default); or a systemd-networkd link whose `.network` file netplan generated;
//! - systemd-networkd: the daemon runs (a `systemd-network` process) and `/run/systemd/netif/links/N`
//!   says the link is configured by it;
//! - NetworkManager: the daemon runs and `/run/NetworkManager/devices/N` says `managed=true`;
//! - ifupdown: `/run/network/ifstate*` lists the interface as brought up by `ifup`, or
//!   `/etc/network/interfaces` (and what it `source`s) has an `iface` stanza for it.
//!
//! ```
//! let found = mcready::platform::netconfig::detect(std::path::Path::new("/nonexistent"), &[(2, "eth0")]);
//! assert_eq!(found.interfaces[0].manager, mcready::facts::NetworkManager::None);
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use crate::facts::{ManagedInterface, NetworkManagement, NetworkManager};

/// netplan's device types: the keys under `network:` whose children are device ids.
const NETPLAN_TYPES: &[&str] = &[
    "ethernets",
    "wifis",
    "bridges",
    "bonds",
    "vlans",
    "tunnels",
    "vrfs",
    "modems",
    "dummy-devices",
    "virtual-ethernets",
    "nm-devices",
];

/// How much of a file is read: configuration files are small; a huge one is not configuration.
const MAX_FILE: u64 = 1 << 20;

/// Decides the manager of each `(index, name)` interface from the files under `root`.
#[must_use]
pub fn detect(root: &Path, interfaces: &[(u32, &str)]) -> NetworkManagement {
    let running = running_daemons(root);
    let netplan = netplan_devices(root);
    let ifupdown = Ifupdown::read(root);
    let mut present = Vec::new();
    if running.networkd {
        present.push(NetworkManager::SystemdNetworkd);
    }
    if running.network_manager {
        present.push(NetworkManager::NetworkManager);
    }
    if !netplan.is_empty() {
        present.push(NetworkManager::Netplan);
    }
    if !ifupdown.stanzas.is_empty() || !ifupdown.up.is_empty() {
        present.push(NetworkManager::Ifupdown);
    }
    let interfaces = interfaces
        .iter()
        .map(|&(index, name)| decide(root, index, name, &running, &netplan, &ifupdown))
        .collect();
    NetworkManagement { present, interfaces }
}

fn decide(
    root: &Path,
    index: u32,
    name: &str,
    running: &Running,
    netplan: &[NetplanDevice],
    ifupdown: &Ifupdown,
) -> ManagedInterface {
    let mut found = ManagedInterface {
        interface: name.to_owned(),
        manager: NetworkManager::None,
        renderer: None,
        file: None,
        netplan_definition: None,
        evidence: Vec::new(),
    };
    let link_file = format!("run/systemd/netif/links/{index}");
    let link = read_small(&root.join(&link_file)).map(|text| key_values(&text, '='));
    let link_value = |key: &str| link.as_ref().and_then(|kv| value_of(kv, key));
    let network_file = link_value("NETWORK_FILE");
    let networkd_configures = running.networkd
        && link_value("ADMIN_STATE").is_some_and(|s| matches!(s, "configured" | "configuring" | "failed"));

    // The last definition wins, as netplan merges its files in order.
    if let Some(device) = netplan.iter().rev().find(|d| d.matches(name)) {
        found.manager = NetworkManager::Netplan;
        found.renderer = Some(device.renderer);
        found.file = Some(device.file.clone());
        found.netplan_definition = Some(format!("{}/{}", device.kind, device.id));
        found.evidence.push(format!(
            "{} defines {} as `{}` (renderer {})",
            device.file,
            name,
            device.id,
            device.renderer.as_str()
        ));
        return found;
    }
    if networkd_configures && network_file.is_some_and(|f| f.contains("netplan")) {
        found.manager = NetworkManager::Netplan;
        found.renderer = Some(NetworkManager::SystemdNetworkd);
        found.file = network_file.map(str::to_owned);
        found.evidence.push(format!("/{link_file}: NETWORK_FILE={}", network_file.unwrap_or_default()));
        return found;
    }
    if networkd_configures {
        found.manager = NetworkManager::SystemdNetworkd;
        found.file = network_file.map(str::to_owned);
        found.evidence.push(format!(
            "systemd-networkd runs; /{link_file}: ADMIN_STATE={}",
            link_value("ADMIN_STATE").unwrap_or_default()
        ));
        return found;
    }
    let device_file = format!("run/NetworkManager/devices/{index}");
    let nm_managed = read_small(&root.join(&device_file))
        .map(|text| key_values(&text, '='))
        .is_some_and(|kv| value_of(&kv, "managed") == Some("true"));
    if running.network_manager && nm_managed {
        found.manager = NetworkManager::NetworkManager;
        found.file = keyfile_of(root, name);
        found.evidence.push(format!("NetworkManager runs; /{device_file}: managed=true"));
        return found;
    }
    if ifupdown.up.iter().any(|n| n == name) {
        found.manager = NetworkManager::Ifupdown;
        found.file = ifupdown.stanza_file(name).map(str::to_owned);
        found.evidence.push(format!("/run/network/ifstate: {name} was brought up by ifup"));
        return found;
    }
    if let Some(file) = ifupdown.stanza_file(name) {
        found.manager = NetworkManager::Ifupdown;
        found.file = Some(file.to_owned());
        found.evidence.push(format!("{file} has an `iface {name}` stanza"));
        return found;
    }
    found.evidence.push(if running.network_manager || running.networkd {
        format!("no netplan definition, and neither running daemon manages {name}")
    } else {
        format!("no netplan definition, no network daemon running, no ifupdown stanza for {name}")
    });
    found
}

/// NetworkManager's keyfile for `interface`: the one profile under `/etc/NetworkManager/system-connections`
/// bound to it by `interface-name=`; `None` when there is none, or more than one (which of them is
/// active only the daemon knows).
fn keyfile_of(root: &Path, interface: &str) -> Option<String> {
    const DIR: &str = "etc/NetworkManager/system-connections";
    let entries = fs::read_dir(root.join(DIR)).ok()?;
    let mut bound = entries.flatten().filter_map(|entry| {
        let text = read_small(&entry.path())?;
        let binds = key_values(&text, '=').iter().any(|(k, v)| k == "interface-name" && v == interface);
        binds.then(|| format!("/{DIR}/{}", entry.file_name().to_string_lossy()))
    });
    let first = bound.next()?;
    bound.next().is_none().then_some(first)
}

/// The network daemons running, by the names the kernel keeps for them (`comm`, 15 characters at
/// most: `systemd-networkd` is `systemd-network`).
#[derive(Debug, Default)]
struct Running {
    network_manager: bool,
    networkd: bool,
}

fn running_daemons(root: &Path) -> Running {
    let mut running = Running::default();
    let Ok(entries) = fs::read_dir(root.join("proc")) else { return running };
    for entry in entries.flatten() {
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            continue;
        }
        let Ok(comm) = fs::read_to_string(entry.path().join("comm")) else { continue };
        match comm.trim() {
            "NetworkManager" => running.network_manager = true,
            "systemd-network" | "systemd-networkd" => running.networkd = true,
            _ => {}
        }
    }
    running
}

fn read_small(path: &Path) -> Option<String> {
    let metadata = fs::metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_FILE {
        return None;
    }
    fs::read_to_string(path).ok()
}

fn key_values(text: &str, separator: char) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once(separator))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn value_of<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The `*.yaml` files of a directory, in name order.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "yaml")).collect();
    files.sort();
    files
}

/// One netplan device definition.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NetplanDevice {
    /// The file, as a path on the host (`/etc/netplan/01-netcfg.yaml`).
    file: String,
    id: String,
    /// Its type key (`ethernets`, `vlans`…).
    kind: String,
    set_name: Option<String>,
    match_name: Option<String>,
    renderer: NetworkManager,
}

impl NetplanDevice {
    /// Whether the definition configures the interface `name`: `set-name` renames what it matched,
    /// `match: name:` is a glob, else the id is the name.
    fn matches(&self, name: &str) -> bool {
        match (&self.set_name, &self.match_name) {
            (Some(set), _) => set == name,
            (None, Some(pattern)) => glob(pattern, name),
            (None, None) => self.id == name,
        }
    }
}

/// netplan's files merged in netplan's order: by file name across `/lib`, `/etc` and `/run`, where
/// a file in `/run` hides one of the same name in `/etc`, and `/etc` one in `/lib`.
fn netplan_devices(root: &Path) -> Vec<NetplanDevice> {
    let mut by_name: Vec<(String, PathBuf, String)> = Vec::new();
    for dir in ["lib/netplan", "etc/netplan", "run/netplan"] {
        for path in yaml_files(&root.join(dir)) {
            let Some(file_name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            let shown = format!("/{dir}/{file_name}");
            by_name.retain(|(name, _, _)| *name != file_name);
            by_name.push((file_name, path, shown));
        }
    }
    by_name.sort_by(|a, b| a.0.cmp(&b.0));
    by_name
        .iter()
        .filter_map(|(_, path, shown)| Some(parse_netplan(&read_small(path)?, shown)))
        .flatten()
        .collect()
}

fn renderer_named(value: &str) -> Option<NetworkManager> {
    match value.trim_matches(|c| c == '"' || c == '\'') {
        "networkd" => Some(NetworkManager::SystemdNetworkd),
        "NetworkManager" => Some(NetworkManager::NetworkManager),
        _ => None,
    }
}

/// The devices one netplan YAML defines. netplan files are block-style YAML; this reads keys by their
/// indentation and ignores what it does not need (lists, flow style, values).
fn parse_netplan(text: &str, file: &str) -> Vec<NetplanDevice> {
    struct Pending {
        kind: String,
        device: NetplanDevice,
        own_renderer: Option<NetworkManager>,
    }
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut global = None;
    let mut per_type: Vec<(String, NetworkManager)> = Vec::new();
    let mut devices: Vec<Pending> = Vec::new();
    for raw in text.lines() {
        let line = raw.split(" #").next().unwrap_or_default();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('-') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let Some((key, value)) = trimmed.split_once(':') else { continue };
        let key = key.trim().trim_matches(|c| c == '"' || c == '\'').to_owned();
        let value = value.trim();
        while path.last().is_some_and(|(at, _)| *at >= indent) {
            path.pop();
        }
        let keys: Vec<&str> = path.iter().map(|(_, k)| k.as_str()).collect();
        match (keys.as_slice(), key.as_str()) {
            (["network"], "renderer") => global = renderer_named(value).or(global),
            ([_, kind], "renderer") if NETPLAN_TYPES.contains(kind) => {
                if let Some(renderer) = renderer_named(value) {
                    per_type.push(((*kind).to_owned(), renderer));
                }
            }
            (["network", kind], id) if NETPLAN_TYPES.contains(kind) && value.is_empty() => {
                devices.push(Pending {
                    kind: (*kind).to_owned(),
                    device: NetplanDevice {
                        file: file.to_owned(),
                        id: id.to_owned(),
                        kind: (*kind).to_owned(),
                        set_name: None,
                        match_name: None,
                        renderer: NetworkManager::SystemdNetworkd,
                    },
                    own_renderer: None,
                });
            }
            (["network", _, id], field) => {
                if let Some(pending) = devices.iter_mut().rev().find(|p| p.device.id == *id) {
                    let value = value.trim_matches(|c| c == '"' || c == '\'');
                    match field {
                        "renderer" => pending.own_renderer = renderer_named(value),
                        "set-name" if !value.is_empty() => pending.device.set_name = Some(value.to_owned()),
                        _ => {}
                    }
                }
            }
            (["network", _, id, "match"], "name") => {
                if let Some(pending) = devices.iter_mut().rev().find(|p| p.device.id == *id) {
                    let value = value.trim_matches(|c| c == '"' || c == '\'');
                    pending.device.match_name = Some(value.to_owned()).filter(|v| !v.is_empty());
                }
            }
            _ => {}
        }
        path.push((indent, key));
    }
    devices
        .into_iter()
        .map(|mut p| {
            let of_type = per_type.iter().rev().find(|(kind, _)| *kind == p.kind).map(|(_, r)| *r);
            p.device.renderer =
                p.own_renderer.or(of_type).or(global).unwrap_or(NetworkManager::SystemdNetworkd);
            p.device
        })
        .collect()
}

/// A shell glob with `*` and `?`, as netplan's `match: name:` takes. Backtracks only to the last `*`,
/// so a pattern of many stars costs pattern × name steps, never an exponential search.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    if p.len() > 64 || n.len() > 64 {
        return false;
    }
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = n.get(ni) {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&want) if want == b'?' || want == c => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                // Let the last `*` take one more character, and try again after it.
                Some((at, taken)) => {
                    star = Some((at, taken + 1));
                    pi = at + 1;
                    ni = taken + 1;
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// What ifupdown knows: the `iface` stanzas of `/etc/network/interfaces` (and the files it
/// `source`s), and the interfaces `ifup` brought up.
#[derive(Debug, Default)]
struct Ifupdown {
    /// (interface, file) for every `iface` stanza but loopback's.
    stanzas: Vec<(String, String)>,
    up: Vec<String>,
}

impl Ifupdown {
    fn read(root: &Path) -> Self {
        let mut found = Self::default();
        found.read_interfaces(root, "/etc/network/interfaces", 0);
        // ifupdown 0.8 writes one `/run/network/ifstate` (`eth0=eth0` lines); later versions one
        // `ifstate.IFACE` per interface holding its name.
        if let Some(text) = read_small(&root.join("run/network/ifstate")) {
            found.up.extend(text.lines().filter_map(|l| l.split_once('=')).map(|(k, _)| k.trim().to_owned()));
        }
        if let Ok(entries) = fs::read_dir(root.join("run/network")) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(interface) = name.to_str().and_then(|n| n.strip_prefix("ifstate.")) else {
                    continue;
                };
                let text = read_small(&entry.path()).unwrap_or_default();
                if !text.trim().is_empty() && !interface.is_empty() {
                    found.up.push(interface.to_owned());
                }
            }
        }
        found.up.retain(|n| n != "lo");
        found
    }

    fn read_interfaces(&mut self, root: &Path, file: &str, depth: u8) {
        // `source` may include what includes it: a few levels are every real configuration.
        if depth > 4 {
            return;
        }
        let Some(text) = read_small(&root.join(file.trim_start_matches('/'))) else { return };
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["iface", name, ..] if *name != "lo" => {
                    self.stanzas.push(((*name).to_owned(), file.to_owned()));
                }
                ["source", pattern] => {
                    for included in expand(root, pattern, file) {
                        self.read_interfaces(root, &included, depth + 1);
                    }
                }
                ["source-directory", dir] => {
                    let dir = absolute(dir, file);
                    let Ok(entries) = fs::read_dir(root.join(dir.trim_start_matches('/'))) else { continue };
                    let mut names: Vec<String> = entries
                        .flatten()
                        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                        // run-parts' names: letters, digits, `_` and `-`.
                        .filter(|n| n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
                        .collect();
                    names.sort();
                    for name in names {
                        self.read_interfaces(
                            root,
                            &format!("{}/{name}", dir.trim_end_matches('/')),
                            depth + 1,
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn stanza_file(&self, name: &str) -> Option<&str> {
        self.stanzas.iter().find(|(n, _)| n == name).map(|(_, f)| f.as_str())
    }
}

/// A path as `/etc/network/interfaces` gives it: relative to the file's directory.
fn absolute(path: &str, including: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        let dir = including.rsplit_once('/').map_or("", |(d, _)| d);
        format!("{dir}/{path}")
    }
}

/// `source PATTERN`: the pattern's last component may hold a `*` glob (`interfaces.d/*`).
fn expand(root: &Path, pattern: &str, including: &str) -> Vec<String> {
    let pattern = absolute(pattern, including);
    let Some((dir, leaf)) = pattern.rsplit_once('/') else { return Vec::new() };
    if !leaf.contains(['*', '?']) {
        return vec![pattern.clone()];
    }
    let Ok(entries) = fs::read_dir(root.join(dir.trim_start_matches('/'))) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| glob(leaf, n))
        .collect();
    names.sort();
    names.into_iter().map(|n| format!("{dir}/{n}")).collect()
}

#[cfg(test)]
mod tests;
