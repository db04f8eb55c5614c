//! Fixes as data: the ordered steps that make a failing check pass, each with what it changes, the OS
//! and the manager it is written for, the exact command, whether it lasts, its undo and how risky it is.
//!
//! Plain data on the ground floor, so that the rules (`checks`, `firewall`) build fixes, the renderers
//! print them and `mcready fix` plans and executes them (read back from a check report: hence
//! `Deserialize`), all from the same values. The prose `remedy`
//! a check carries is [`Fix::text`] of its fix, so the two can never say different things.

use serde::{Deserialize, Serialize};

/// A fix: steps to run in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// The prose remedy, as the check's `remedy` says it: written by the same writer as the steps.
    /// Left out of the JSON: the check's `remedy` beside the fix is this text.
    #[serde(skip)]
    pub text: String,
    pub steps: Vec<Step>,
}

/// One step of a fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// What `mcready fix --apply` runs natively for this step (Windows: IP Helper, the firewall's COM
    /// policy, the service manager), beside the `command` an administrator can run by hand. Absent
    /// for a step run through its command (Linux) or printed only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native: Option<Native>,
    /// A shell command that succeeds when the change is in place already (applying it again would
    /// change nothing more); absent when the tool itself skips a change it has, or the step must act
    /// every time (a restart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_place: Option<String>,
    /// A shell command that prints the state the step changes: read before and after it (the journal's
    /// old and new value) and after its undo, which must give the old value back exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<String>,
    /// The step restarts the PBX (by its service manager, or by a person): only the checks of the
    /// PBX's own join wait for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rejoins: bool,
    /// How a runtime change is kept after a reboot, in the words of the manager the host uses: written
    /// by `mcready fix` once the step verified and the run is confirmed. Absent when the step lasts by
    /// itself (ufw, firewalld `--permanent`) or no manager was found to keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<Keep>,
}

/// An operation the executor performs through the OS's own API instead of a shell: typed, so that
/// nothing is parsed back out of a PowerShell command. Its undo is derived from the state read before
/// it (`plan::native_undo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Native {
    /// A route in the active store (`CreateIpForwardEntry2`), on-link on the interface.
    AddRoute { destination: String, interface_index: u32, metric: u32 },
    /// The route [`Native::AddRoute`] adds, deleted from the active store (`DeleteIpForwardEntry2`).
    DeleteRoute { destination: String, interface_index: u32 },
    /// An interface's IPv4 metric (`SetIpInterfaceEntry`); `None` gives it back its automatic metric.
    SetInterfaceMetric { interface_index: u32, metric: Option<u32> },
    /// A Windows Defender Firewall rule added through `INetFwPolicy2` (`INetFwRules::Add`).
    AddFirewallRule(FirewallRule),
    /// The rule of that name removed (`INetFwRules::Remove`): only a rule mcready added is removed.
    RemoveFirewallRule { name: String },
    /// A service restarted through the service manager (`ControlService` stop, `StartService`).
    RestartService { name: String },
}

/// An allow rule, scoped as check's fixes are: the phones' addresses, one protocol and port, the PnP
/// adapter, the PBX's program when it is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRule {
    /// The rule's name: mcready's own prefix, so that an undo removes exactly its own rule.
    pub name: String,
    pub inbound: bool,
    /// The IP protocol number (17 UDP, 6 TCP, 2 IGMP).
    pub protocol: u8,
    pub local_port: Option<u16>,
    pub remote_port: Option<u16>,
    /// The firewall's own words: `LocalSubnet`, an address, a prefix; `*` for any.
    pub remote_addresses: String,
    /// The adapter's alias (friendly name); `None` for every adapter.
    pub interface: Option<String>,
    /// The PBX's program path; `None` for any program.
    pub program: Option<String>,
}

/// The state a native operation changes, as read before and after it (the journal's old and new).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Reading {
    /// The route on that interface: its metric, or `None` when there is none.
    Route { metric: Option<u32> },
    /// The interface's IPv4 metric and whether Windows chose it.
    InterfaceMetric { metric: u32, automatic: bool },
    /// Whether a rule of that name exists.
    FirewallRule { present: bool },
    /// Nothing to read (a restart).
    Nothing,
}

impl std::fmt::Display for Reading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Route { metric: Some(metric) } => write!(f, "route present, metric {metric}"),
            Self::Route { metric: None } => f.write_str("no route"),
            Self::InterfaceMetric { metric, automatic: true } => {
                write!(f, "interface metric {metric} (automatic)")
            }
            Self::InterfaceMetric { metric, automatic: false } => write!(f, "interface metric {metric}"),
            Self::FirewallRule { present: true } => f.write_str("rule present"),
            Self::FirewallRule { present: false } => f.write_str("no rule"),
            Self::Nothing => f.write_str("nothing read"),
        }
    }
}

/// How a change is kept after a reboot: a file edited the way its manager reads it (then checked by
/// the manager's own tool), or a command of the manager's that stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Keep {
    /// An edit of one file. `{root}` in `check` and `reload` is the root the files are written under
    /// (`/` on a live host), `{file}` the file's path under it.
    File {
        /// The manager that reads the file at boot.
        manager: Manager,
        /// The file, as a path on the host (`/etc/sysctl.d/90-mcready.conf`).
        file: String,
        edit: Edit,
        /// The manager's own test of the edited file; the edit is taken back when it fails.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        check: Option<String>,
        /// Loads the edited file into the running manager after the edit and after its undo: on the
        /// live host only (root `/`), unless it names `{root}` (a rendering of the files alone).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reload: Option<String>,
    },
    /// A command of the manager that stores the change in its own configuration (live host only).
    Command { manager: Manager, command: String, undo: String },
}

/// How a file is edited to keep a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "how")]
pub enum Edit {
    /// A file of mcready's own: created with `content` (refused when a file is there already);
    /// `private`: readable by root alone (netplan warns about a file others can read).
    Create { content: String, private: bool },
    /// `lines` added at the end of the file; `create` is the file's text when it does not exist yet
    /// (`None`: the edit needs the file, and fails without it).
    Append { lines: Vec<String>, create: Option<String> },
    /// `lines` added just before the first line, at or after the first line starting with `after`,
    /// that starts with `before` (rules.v4: before `COMMIT` of `*filter`); `create` as for `Append`.
    Insert { after: String, before: String, lines: Vec<String>, create: Option<String> },
    /// `lines` added just after the first line that starts with `after` (an ifupdown stanza).
    Under { after: String, lines: Vec<String> },
    /// The file rewritten by the manager's own tool: `command` reads it on stdin and prints the new
    /// file (`nmcli --offline connection modify …`).
    Filter { command: String },
}

/// The OS a step is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Linux,
    Windows,
    Macos,
    /// A step outside this host (a switch, a phone).
    Any,
}

/// The tool whose words the command uses: the one that owns what the step changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Persistence {
    Runtime,
    Persistent,
}

/// How risky a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

    /// Advice with no step of its own (which adapter to name, what to read first): text only. A fix
    /// made only of such parts is no typed fix, and the check carries its text alone.
    #[must_use]
    pub fn prose(text: impl Into<String>) -> Self {
        Self { text: text.into(), steps: Vec::new() }
    }

    /// One step with the sentence that says it: the command stands in the text as written.
    #[must_use]
    pub fn one(text: impl Into<String>, step: Step) -> Self {
        Self { text: text.into(), steps: vec![step] }
    }

    /// Parts said one after the other: their texts joined with a space, their steps in order.
    #[must_use]
    pub fn join(parts: impl IntoIterator<Item = Self>) -> Self {
        let mut joined = Self::prose(String::new());
        for part in parts {
            if !part.text.is_empty() {
                if !joined.text.is_empty() {
                    joined.text.push(' ');
                }
                joined.text.push_str(&part.text);
            }
            joined.steps.extend(part.steps);
        }
        joined
    }

    /// The fix when it has a step to take; `None` for advice in words only.
    #[must_use]
    pub fn typed(self) -> Option<Self> {
        (!self.steps.is_empty()).then_some(self)
    }
}

impl Step {
    /// A step run on this host.
    #[must_use]
    pub fn new(os: Os, manager: Manager, changes: impl Into<String>, command: impl Into<String>) -> Self {
        Self {
            changes: changes.into(),
            os,
            manager,
            command: command.into(),
            persistence: Persistence::Runtime,
            undo: None,
            class: Class::Safe,
            native: None,
            in_place: None,
            reads: None,
            rejoins: false,
            keep: None,
        }
    }

    /// A step done outside this host (a switch, a phone, the cable): no command.
    #[must_use]
    pub fn manual(changes: impl Into<String>) -> Self {
        Self { class: Class::Manual, ..Self::new(Os::Any, Manager::None, changes, "") }
    }

    #[must_use]
    pub fn undo(self, undo: impl Into<String>) -> Self {
        Self { undo: Some(undo.into()), ..self }
    }

    /// What the executor runs natively for this step.
    #[must_use]
    pub fn native(self, native: Native) -> Self {
        Self { native: Some(native), ..self }
    }

    #[must_use]
    pub fn persistent(self) -> Self {
        Self { persistence: Persistence::Persistent, ..self }
    }

    #[must_use]
    pub fn disruptive(self) -> Self {
        Self { class: Class::Disruptive, ..self }
    }

    /// The test that the change is in place already.
    #[must_use]
    pub fn in_place(self, test: impl Into<String>) -> Self {
        Self { in_place: Some(test.into()), ..self }
    }

    /// The command that reads the state the step changes.
    #[must_use]
    pub fn reads(self, reader: impl Into<String>) -> Self {
        Self { reads: Some(reader.into()), ..self }
    }

    /// A restart of the PBX.
    #[must_use]
    pub fn rejoins(self) -> Self {
        Self { rejoins: true, ..self }
    }

    /// How the change is kept after a reboot.
    #[must_use]
    pub fn keep(self, keep: Option<Keep>) -> Self {
        Self { keep, ..self }
    }
}
