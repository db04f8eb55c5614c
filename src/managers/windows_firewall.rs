//! Windows Defender Firewall, through PowerShell's `NetSecurity` cmdlets: allow rules scoped to the PnP
//! adapter, a block rule disabled by its display name, a profile's allow rules let apply. Windows keeps
//! every rule; each step's undo removes or restores exactly what it changed. Every name is a
//! PowerShell single-quoted string. A rule scoped to a known adapter also carries the typed rule
//! `mcready fix --apply` adds through `INetFwPolicy2`; its name starts with [`RULE_PREFIX`], so that an
//! undo removes mcready's own rule and no administrator's.

use std::fmt::Write as _;

use crate::fix::{FirewallRule, Manager, Native, Os, Step};
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

/// What every rule mcready writes is named with: the firewall lists it as mcready's.
pub const RULE_PREFIX: &str = "mcready ";

/// The protocol as `New-NetFirewallRule -Protocol` takes it.
fn protocol_word(protocol: u8) -> String {
    match protocol {
        6 => "TCP".into(),
        17 => "UDP".into(),
        other => other.to_string(),
    }
}

/// An allow rule written from its typed form: the cmdlet's options in one order, and the typed rule
/// itself for the executor. `on_adapter`: the rule belongs on the PnP adapter — when its alias is not
/// known the command has a placeholder, and the rule is the administrator's to place (no typed form).
/// `name` is the rule's name without [`RULE_PREFIX`].
#[must_use]
pub fn allow(name: &str, rule: FirewallRule, on_adapter: bool) -> Step {
    let mut what = format!(
        "-Direction {} -Protocol {}",
        if rule.inbound { "Inbound" } else { "Outbound" },
        protocol_word(rule.protocol)
    );
    if let Some(port) = rule.local_port {
        let _ = write!(what, " -LocalPort {port}");
    }
    if let Some(port) = rule.remote_port {
        let _ = write!(what, " -RemotePort {port}");
    }
    if on_adapter {
        what.push_str(&adapter_scope(rule.interface.as_deref()));
    }
    if rule.remote_addresses != "*" {
        let _ = write!(what, " -RemoteAddress {}", rule.remote_addresses);
    }
    if let Some(program) = &rule.program {
        let _ = write!(what, " -Program {}", powershell(program));
    }
    let full = format!("{RULE_PREFIX}{name}");
    let step = allow_rule(&full, &what);
    if on_adapter && rule.interface.is_none() {
        return step;
    }
    step.native(Native::AddFirewallRule(FirewallRule { name: full, ..rule }))
}

/// A rule of the phones' subnet (`LocalSubnet`) on the PnP adapter, filled in by `rule`'s caller.
#[must_use]
pub fn phones_rule(inbound: bool, protocol: u8, interface: Option<&str>) -> FirewallRule {
    FirewallRule {
        name: String::new(),
        inbound,
        protocol,
        local_port: None,
        remote_port: None,
        remote_addresses: "LocalSubnet".into(),
        interface: interface.map(str::to_owned),
        program: None,
    }
}

/// The scoped allow rule for the phones' SIP: UDP to `port` from `LocalSubnet`, on the PnP adapter only.
#[must_use]
pub fn allow_sip(port: u16, interface: Option<&str>) -> Step {
    allow("SIP PnP", FirewallRule { local_port: Some(port), ..phones_rule(true, 17, interface) }, true)
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
