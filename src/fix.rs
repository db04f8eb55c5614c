//! Fixes as data: the ordered steps that make a failing check pass, each with what it changes, the OS
//! and the manager it is written for, the exact command, whether it lasts, its undo and how risky it is.
//!
//! Plain data on the ground floor, so that the rules (`checks`, `firewall`) build fixes, the renderers
//! print them and a future `mcready fix` executes them, all from the same values. The prose `remedy`
//! a check carries is [`Fix::text`] of its fix, so the two can never say different things.

use serde::Serialize;

/// A fix: steps to run in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// The prose remedy, as the check's `remedy` says it: written by the same writer as the steps.
    /// Left out of the JSON: the check's `remedy` beside the fix is this text.
    #[serde(skip)]
    pub text: String,
    pub steps: Vec<Step>,
}

/// One step of a fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What the step changes, in a few words ("accept SIP from 198.51.100.0/24 in chain input").
    pub changes: String,
    pub os: Os,
    pub manager: Manager,
    /// The exact command; empty only for a `manual` step, which is done outside this host.
    pub command: String,
    pub persistence: Persistence,
    /// The command that restores the state before the step; `None` when there is nothing to undo
    /// (a restart, a step outside this host).
    pub undo: Option<String>,
    pub class: Class,
}

/// The OS a step is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Linux,
    Windows,
    Macos,
    /// A step outside this host (a switch, a phone).
    Any,
}

/// The tool whose words the command uses: the one that owns what the step changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Manager {
    /// `ip` (netlink).
    Ip,
    Nft,
    IptablesNft,
    IptablesLegacy,
    Ufw,
    Firewalld,
    Sysctl,
    NetworkManager,
    SystemdNetworkd,
    Netplan,
    Ifupdown,
    /// Windows' IP Helper, through PowerShell's `NetTCPIP` cmdlets.
    IpHelper,
    WindowsFirewall,
    Pf,
    /// macOS' `route` and `networksetup`.
    Networksetup,
    /// systemd, a Windows service, a container runtime: what restarts the PBX.
    ServiceManager,
    /// Docker's or kube-proxy's chains, accepted before theirs.
    ContainerFirewall,
    /// Nothing on this host: a switch, a phone, the PBX's own settings.
    None,
}

/// Whether a step's change survives a reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Persistence {
    Runtime,
    Persistent,
}

/// How risky a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Changes nothing but what the check needs.
    Safe,
    /// Restarts the PBX or moves other traffic.
    Disruptive,
    /// Done outside this host (a switch, a phone), or needs a person's judgement.
    Manual,
}

impl Fix {
    /// The prose remedy: every `remedy` string that has a typed fix is this text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }
}
