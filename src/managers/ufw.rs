//! `ufw`: rules it keeps by itself (a `ufw allow` lasts), undone by `ufw delete` of the same rule.

use crate::fix::{Manager, Os, Step};

fn rule(changes: &str, words: &str) -> Step {
    Step::new(Os::Linux, Manager::Ufw, changes, format!("sudo ufw {words}"))
        .persistent()
        .undo(format!("sudo ufw delete {words}"))
        .reads(STATE)
}

/// What a ufw step changes, as ufw says it.
const STATE: &str = "ufw status verbose";

/// Allow UDP `port` from the phones' subnet.
#[must_use]
pub fn allow_sip(subnet: &str, port: u16) -> Step {
    allow_from(subnet, port, "udp")
}

/// Allow `proto` (`tcp`, `udp`) to `port` from the phones' subnet.
#[must_use]
pub fn allow_from(subnet: &str, port: u16, proto: &str) -> Step {
    rule("add a ufw rule", &format!("allow from {subnet} to any port {port} proto {proto}"))
}

/// Allow the PBX's answers out to the phones' subnet.
#[must_use]
pub fn allow_answers_out(subnet: &str, port: u16) -> Step {
    rule("add a ufw rule", &format!("allow out proto udp from any port {port} to {subnet}"))
}

/// Allow datagrams out to the group.
#[must_use]
pub fn allow_group_out(group: std::net::Ipv4Addr, port: u16) -> Step {
    rule("add a ufw rule", &format!("allow out proto udp to {group} port {port}"))
}

/// Load the rules files (after an edit of `/etc/ufw/before.rules`) into the running firewall.
#[must_use]
pub fn reload() -> Step {
    Step::new(Os::Linux, Manager::Ufw, "load the saved rules into the running firewall", "sudo ufw reload")
        .reads(STATE)
}

/// ufw has no command for IGMP: a line in its before-rules file, kept from then on.
#[must_use]
pub fn before_rules_hint(chain: &str, spec: &str) -> String {
    format!(
        "first add the line `-A {chain} {spec}` to /etc/ufw/before.rules (before its COMMIT line); ufw keeps it from then on"
    )
}

pub const PERSIST_HINT: &str = "ufw keeps its rules by itself";
