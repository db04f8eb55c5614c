//! `sysctl`: kernel settings. A setting's undo needs the value it replaces, so callers pass what the
//! host read; without it the step has no undo rather than a guessed one.

use crate::fix::{Edit, Keep, Manager, Os, Step};

/// The drop-in that keeps mcready's settings: read at boot by `systemd-sysctl` (or procps' init
/// script), after the distribution's own files (`90-` sorts late, before the admin's `99-`).
pub const DROP_IN: &str = "/etc/sysctl.d/90-mcready.conf";

/// One kernel setting: its key, the value to set, and the value read before (for the undo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub previous: Option<String>,
}

impl Setting {
    #[must_use]
    pub fn new<T: std::fmt::Display>(key: impl Into<String>, value: T, previous: Option<T>) -> Self {
        Self { key: key.into(), value: value.to_string(), previous: previous.map(|p| p.to_string()) }
    }
}

fn write(pairs: impl Iterator<Item = String>) -> String {
    format!("sudo sysctl -w {}", pairs.collect::<Vec<_>>().join(" "))
}

/// Set `settings` at once; undone by setting every previous value back, when all were read (else by
/// [`undo_from_read`] of the values read just before the step runs). Kept in [`DROP_IN`].
#[must_use]
pub fn set(changes: impl Into<String>, settings: &[Setting]) -> Step {
    let changes = changes.into();
    let command = write(settings.iter().map(|s| format!("{}={}", s.key, s.value)));
    let previous: Option<Vec<String>> =
        settings.iter().map(|s| s.previous.as_ref().map(|p| format!("{}={p}", s.key))).collect();
    let keys: Vec<&str> = settings.iter().map(|s| s.key.as_str()).collect();
    let in_place = settings
        .iter()
        .map(|s| format!("[ \"$(sysctl -n {})\" = '{}' ]", s.key, s.value))
        .collect::<Vec<_>>()
        .join(" && ");
    let mut lines = vec![format!("# mcready fix: {changes}")];
    lines.extend(settings.iter().map(|s| format!("{} = {}", s.key, s.value)));
    let keep = Keep::File {
        manager: Manager::Sysctl,
        file: DROP_IN.into(),
        edit: Edit::Append {
            lines,
            create: Some("# Written by `mcready fix`: `mcready fix --undo` takes its lines back.\n".into()),
        },
        check: Some("sysctl -q -p {file}".into()),
        reload: None,
    };
    let step = Step::new(Os::Linux, Manager::Sysctl, changes, command)
        .in_place(in_place)
        .reads(format!("sysctl {}", keys.join(" ")))
        .keep(Some(keep));
    match previous {
        Some(pairs) => step.undo(write(pairs.into_iter())),
        None => step,
    }
}

/// The undo of a step of [`set`] without previous values: its keys (named by its reader, `sysctl
/// KEY…`) set back to the values `before` read (`key = value` lines, `sysctl` printing a `/` of a key
/// as `.`).
#[must_use]
pub fn undo_from_read(reader: &str, before: &str) -> Option<String> {
    let keys = reader.strip_prefix("sysctl ")?.split_whitespace();
    let old: Vec<String> = keys
        .map(|key| {
            before.lines().find_map(|line| {
                let (k, v) = line.split_once(" = ")?;
                (k.trim() == key.replace('/', ".") || k.trim() == key).then(|| format!("{key}={}", v.trim()))
            })
        })
        .collect::<Option<_>>()?;
    Some(write(old.into_iter()))
}

/// An interface's name as a sysctl key segment: `sysctl` reads dots as separators, so a VLAN
/// interface `eth0.100` is written `eth0/100` (`net.ipv4.conf.eth0/100.rp_filter`).
#[must_use]
pub fn key_segment(interface: &str) -> String {
    interface.replace('.', "/")
}

/// The `rp_filter` key of an interface (`all`, `default` or a name).
#[must_use]
pub fn rp_filter_key(interface: &str) -> String {
    format!("net.ipv4.conf.{}.rp_filter", key_segment(interface))
}
