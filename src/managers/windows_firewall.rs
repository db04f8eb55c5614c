//! Windows Defender Firewall, through PowerShell's `NetSecurity` cmdlets: allow rules scoped to the PnP
//! adapter, a block rule disabled by its display name, a profile's allow rules let apply. Windows keeps
//! every rule; each step's undo removes or restores exactly what it changed. Every name is a
//! PowerShell single-quoted string.

use crate::fix::{Manager, Os, Step};
use crate::quote::powershell;

fn step(changes: impl Into<String>, command: String) -> Step {
    Step::new(Os::Windows, Manager::WindowsFirewall, changes, command).persistent()
}

/// ` -InterfaceAlias '<alias>'`, or a placeholder when the PnP adapter is not known.
#[must_use]
pub fn adapter_scope(interface: Option<&str>) -> String {
    interface.map_or_else(
        || " -InterfaceAlias '<PnP adapter>'".to_owned(),
        |alias| format!(" -InterfaceAlias {}", powershell(alias)),
    )
}

/// An allow rule named `name` with the match options `what`; undone by removing it by name.
#[must_use]
pub fn allow_rule(name: &str, what: &str) -> Step {
    let name = powershell(name);
    step(
        "add a Windows Defender Firewall allow rule",
        format!("New-NetFirewallRule -DisplayName {name} {what} -Action Allow"),
    )
    .undo(format!("Remove-NetFirewallRule -DisplayName {name}"))
}

/// The scoped allow rule for the phones' SIP: UDP to `port` from `LocalSubnet`, on the PnP adapter only.
#[must_use]
pub fn allow_sip(port: u16, interface: Option<&str>) -> Step {
    allow_rule(
        "SIP PnP",
        &format!(
            "-Direction Inbound -Protocol UDP -LocalPort {port}{} -RemoteAddress LocalSubnet",
            adapter_scope(interface)
        ),
    )
}

/// Show what a rule blocks: changes nothing.
#[must_use]
pub fn show_rule(rule: &str) -> Step {
    Step::new(
        Os::Windows,
        Manager::WindowsFirewall,
        "nothing: show what the rule blocks",
        format!("Get-NetFirewallRule -DisplayName {} | Get-NetFirewallPortFilter", powershell(rule)),
    )
}

/// Disable a block rule by its display name: it lets through whatever else it blocked, so disruptive.
#[must_use]
pub fn disable_rule(rule: &str) -> Step {
    let name = powershell(rule);
    step(
        "disable a Windows Defender Firewall block rule",
        format!("Disable-NetFirewallRule -DisplayName {name}"),
    )
    .undo(format!("Enable-NetFirewallRule -DisplayName {name}"))
    .disruptive()
}

/// Let a profile's allow rules apply again (it blocked all incoming connections): disruptive, it lets
/// in what every allow rule allows. No network's category changes.
#[must_use]
pub fn allow_inbound_rules(profile: &str) -> Step {
    step(
        format!("let the {profile} profile's allow rules apply"),
        format!("Set-NetFirewallProfile -Profile {profile} -AllowInboundRules True"),
    )
    .undo(format!("Set-NetFirewallProfile -Profile {profile} -AllowInboundRules False"))
    .disruptive()
}

pub const PERSIST_HINT: &str = "Windows keeps firewall rules";
