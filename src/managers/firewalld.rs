//! `firewall-cmd` (firewalld): `--permanent` rules in the zone that holds the phones' interface, made
//! live with `--reload`; each undone by the matching `--remove-…` and a reload.

use crate::fix::{Manager, Os, Step};

fn permanent(changes: &str, add: &str, remove: &str) -> Step {
    Step::new(Os::Linux, Manager::Firewalld, changes, format!("sudo firewall-cmd --permanent {add}"))
        .persistent()
        .undo(format!("sudo firewall-cmd --permanent {remove} && sudo firewall-cmd --reload"))
        .reads(STATE)
}

/// What a firewalld step changes: the zones running and permanent, and the direct rules.
const STATE: &str = "firewall-cmd --list-all-zones; firewall-cmd --permanent --list-all-zones; firewall-cmd --direct --get-all-rules";

fn zone_option(zone: Option<&str>) -> String {
    zone.map_or_else(String::new, |z| format!("--zone={z} "))
}

fn rich_rule(zone: Option<&str>, rule: &str) -> Step {
    let zone = zone_option(zone);
    permanent(
        "add a firewalld rich rule",
        &format!("{zone}--add-rich-rule='{rule}'"),
        &format!("{zone}--remove-rich-rule='{rule}'"),
    )
}

/// A rich rule accepting UDP `port` from the phones' subnet, in `zone` or the default one.
#[must_use]
pub fn allow_sip(zone: Option<&str>, subnet: &str, port: u16) -> Step {
    allow_from(zone, subnet, port, "udp")
}

/// A rich rule accepting `proto` (`tcp`, `udp`) to `port` from the phones' subnet, in `zone` or the
/// default one.
#[must_use]
pub fn allow_from(zone: Option<&str>, subnet: &str, port: u16, proto: &str) -> Step {
    rich_rule(
        zone,
        &format!(
            "rule family=\"ipv4\" source address=\"{subnet}\" port port=\"{port}\" protocol=\"{proto}\" accept"
        ),
    )
}

/// A rich rule accepting IGMP in `zone`.
#[must_use]
pub fn allow_igmp(zone: &str) -> Step {
    rich_rule(Some(zone), "rule family=\"ipv4\" protocol value=\"igmp\" accept")
}

/// A direct rule at the top of the filter table's OUTPUT chain (zones only filter what comes in).
#[must_use]
pub fn allow_output(spec: &str) -> Step {
    permanent(
        "add a firewalld direct rule",
        &format!("--direct --add-rule ipv4 filter OUTPUT 0 {spec}"),
        &format!("--direct --remove-rule ipv4 filter OUTPUT 0 {spec}"),
    )
}

/// Make the permanent configuration the running one.
#[must_use]
pub fn reload() -> Step {
    Step::new(
        Os::Linux,
        Manager::Firewalld,
        "load the saved rules into the running firewall",
        "sudo firewall-cmd --reload",
    )
    .reads(STATE)
}

/// The zone a chain belongs to: `filter_IN_public_deny` and `IN_public` are zone `public`.
#[must_use]
pub fn zone_of_chain(chain: &str) -> Option<&str> {
    let rest = chain.strip_prefix("filter_IN_").or_else(|| chain.strip_prefix("IN_"))?;
    let zone =
        ["_allow", "_deny", "_log", "_pre", "_post"].iter().fold(rest, |z, s| z.strip_suffix(s).unwrap_or(z));
    (!zone.is_empty() && zone != "ZONES").then_some(zone)
}

/// The zone of an interface, asked of firewalld when the command runs.
#[must_use]
pub fn zone_of_interface(interface: &str) -> String {
    format!("$(firewall-cmd --get-zone-of-interface={interface})")
}

pub const PERSIST_HINT: &str = "`--permanent` already keeps it";
