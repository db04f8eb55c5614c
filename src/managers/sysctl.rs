//! `sysctl`: kernel settings. A setting's undo needs the value it replaces, so callers pass what the
//! host read; without it the step has no undo rather than a guessed one.

use crate::fix::{Manager, Os, Step};

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

/// Set `settings` at once; undone by setting every previous value back, when all were read.
#[must_use]
pub fn set(changes: impl Into<String>, settings: &[Setting]) -> Step {
    let command = write(settings.iter().map(|s| format!("{}={}", s.key, s.value)));
    let previous: Option<Vec<String>> =
        settings.iter().map(|s| s.previous.as_ref().map(|p| format!("{}={p}", s.key))).collect();
    let step = Step::new(Os::Linux, Manager::Sysctl, changes, command);
    match previous {
        Some(pairs) => step.undo(write(pairs.into_iter())),
        None => step,
    }
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
