//! What this process may do, discovered rather than assumed, so callers degrade instead of failing: a
//! passive capture needs raw sockets, and without them a check says `skip` with the reason. A binary
//! given `cap_net_raw` by `setcap` captures as root does, and [`told`] says so in the report's
//! `privileges`, beside `host.privileged` (root or elevated, unchanged).

use serde::Serialize;

use crate::facts::{Allowance, FirewallFacts, RunPrivileges, SourceStatus};
use crate::snapshot::OsFamily;

/// The privileges that change what mcready can observe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Privileges {
    /// Effective user id 0 (Unix) or an elevated token (Windows).
    pub admin: bool,
    /// May open raw and packet sockets (`CAP_NET_RAW` on Linux).
    pub raw_sockets: bool,
    /// May change network configuration (`CAP_NET_ADMIN` on Linux).
    pub net_admin: bool,
    /// May inspect other users' processes (`CAP_SYS_PTRACE` on Linux): their `/proc/PID/fd`.
    pub inspect_processes: bool,
    /// May read any directory (`CAP_DAC_READ_SEARCH` or `CAP_DAC_OVERRIDE` on Linux).
    pub read_any_file: bool,
}

impl Privileges {
    /// Discovers the current process's privileges.
    #[must_use]
    pub fn discover() -> Self {
        super::os::privileges()
    }

    /// Every privilege, as root with a full capability set (and an elevated token) has.
    #[must_use]
    pub fn all() -> Self {
        Self { admin: true, raw_sockets: true, net_admin: true, inspect_processes: true, read_any_file: true }
    }

    /// The Linux capabilities in effect that matter to mcready, as the report names them.
    #[must_use]
    pub fn capability_names(self) -> Vec<&'static str> {
        [
            (self.raw_sockets, "net_raw"),
            (self.net_admin, "net_admin"),
            (self.inspect_processes, "sys_ptrace"),
            (self.read_any_file, "dac_read_search"),
        ]
        .into_iter()
        .filter_map(|(has, name)| has.then_some(name))
        .collect()
    }
}

const CAP_DAC_OVERRIDE: u32 = 1;
const CAP_DAC_READ_SEARCH: u32 = 2;
const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;
const CAP_SYS_PTRACE: u32 = 19;

/// Reads `Uid:` and `CapEff:` from the text of Linux's `/proc/self/status`.
#[must_use]
pub fn from_proc_status(text: &str) -> Option<Privileges> {
    let field = |name: &str| text.lines().find_map(|line| line.strip_prefix(name)).map(str::split_whitespace);
    // `Uid:` lists real, effective, saved and filesystem ids; the effective one decides.
    let effective_uid: u32 = field("Uid:")?.nth(1)?.parse().ok()?;
    let capabilities = u64::from_str_radix(field("CapEff:")?.next()?, 16).ok()?;
    let has = |bit: u32| capabilities & (1u64 << bit) != 0;
    Some(Privileges {
        admin: effective_uid == 0,
        raw_sockets: has(CAP_NET_RAW),
        net_admin: has(CAP_NET_ADMIN),
        inspect_processes: has(CAP_SYS_PTRACE),
        read_any_file: has(CAP_DAC_READ_SEARCH) || has(CAP_DAC_OVERRIDE),
    })
}

fn allowance(allowed: bool, reason: impl Into<String>) -> Allowance {
    Allowance { allowed, reason: reason.into() }
}

/// What a run with `privileges` on `os` could and could not do, each with the reason. The firewall's
/// answer comes from the tools' own outcome when they ran (`firewall.sources`), since a tool the
/// kernel refuses says so better than a capability bit predicts it.
#[must_use]
pub fn told(privileges: Privileges, os: OsFamily, firewall: &FirewallFacts) -> RunPrivileges {
    let (capture, raw_igmp, socket_owners, firewall_guess) = match os {
        OsFamily::Linux => linux(privileges),
        OsFamily::Windows => windows(privileges),
        OsFamily::Macos => macos(privileges),
    };
    RunPrivileges {
        admin: privileges.admin,
        capabilities: if os == OsFamily::Linux { privileges.capability_names() } else { Vec::new() },
        capture,
        raw_igmp,
        read_firewall: firewall_as_read(firewall).unwrap_or(firewall_guess),
        socket_owners,
    }
}

fn linux(p: Privileges) -> (Allowance, Allowance, Allowance, Allowance) {
    let raw = |what: &str| match (p.raw_sockets, p.admin) {
        (true, true) => allowance(true, format!("root: {what} needs CAP_NET_RAW, which root has")),
        (true, false) => allowance(
            true,
            format!(
                "CAP_NET_RAW without root (a file capability, `setcap cap_net_raw+ep`, or an ambient one): enough for {what}"
            ),
        ),
        (false, _) => allowance(
            false,
            format!(
                "{what} needs CAP_NET_RAW: run as root, or `sudo setcap cap_net_raw+ep $(command -v mcready)`"
            ),
        ),
    };
    let owners = if p.inspect_processes && p.read_any_file {
        allowance(true, "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH: every process's /proc/PID/fd is readable")
    } else {
        allowance(
            false,
            "another user's /proc/PID/fd needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (root): such a socket is shown with its uid only",
        )
    };
    let firewall = if p.admin && p.net_admin {
        allowance(true, "root with CAP_NET_ADMIN: nft and iptables-save may list the rules")
    } else {
        allowance(
            false,
            "listing nftables and iptables rules needs root (CAP_NET_ADMIN in nft and iptables-save)",
        )
    };
    (
        raw("a packet socket (the passive capture)"),
        raw("a raw IGMP socket (the querier's queries)"),
        owners,
        firewall,
    )
}

fn windows(p: Privileges) -> (Allowance, Allowance, Allowance, Allowance) {
    let elevated = |what: &str| {
        if p.admin {
            allowance(true, format!("elevated: {what}"))
        } else {
            allowance(false, format!("{what} needs an elevated prompt (Run as administrator)"))
        }
    };
    (
        elevated("a raw socket with SIO_RCVALL (the passive capture)"),
        elevated("a raw IGMP socket"),
        elevated("the name of another user's or a service's process"),
        allowance(true, "Windows Defender Firewall's rules are readable without elevation"),
    )
}

fn macos(p: Privileges) -> (Allowance, Allowance, Allowance, Allowance) {
    let root = |what: &str| {
        if p.admin {
            allowance(true, format!("root: {what}"))
        } else {
            allowance(false, format!("{what} needs root (sudo)"))
        }
    };
    (
        allowance(false, "passive capture (BPF) is not implemented on macOS yet"),
        root("a raw IGMP socket"),
        root("other users' sockets in lsof"),
        root("pf's rules (pfctl reads /dev/pf)"),
    )
}

/// The firewall as the tools answered: read by one of them, or refused.
fn firewall_as_read(firewall: &FirewallFacts) -> Option<Allowance> {
    let read: Vec<&str> = firewall
        .sources
        .iter()
        .filter(|s| s.status == SourceStatus::Read)
        .map(|s| s.command.as_str())
        .collect();
    let denied: Vec<String> = firewall
        .sources
        .iter()
        .filter(|s| s.status == SourceStatus::PermissionDenied)
        .map(|s| match &s.detail {
            Some(detail) => format!("{}: {detail}", s.command),
            None => s.command.clone(),
        })
        .collect();
    if !denied.is_empty() {
        return Some(allowance(false, format!("refused: {}", denied.join("; "))));
    }
    (!read.is_empty()).then(|| allowance(true, format!("read with {}", read.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_with_full_capabilities() {
        let status = "Name:\tmcready\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n";
        assert_eq!(from_proc_status(status), Some(Privileges::all()));
    }

    #[test]
    fn user_with_only_net_raw() {
        let status = "Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000002000\n";
        assert_eq!(from_proc_status(status), Some(Privileges { raw_sockets: true, ..Privileges::default() }));
    }

    #[test]
    fn net_raw_alone_may_capture_and_the_report_says_why() {
        let only_raw = Privileges { raw_sockets: true, ..Privileges::default() };
        let told = told(only_raw, OsFamily::Linux, &FirewallFacts::default());
        assert!(!told.admin);
        assert_eq!(told.capabilities, ["net_raw"]);
        assert!(told.capture.allowed && told.raw_igmp.allowed, "{told:?}");
        assert!(told.capture.reason.contains("without root"), "{}", told.capture.reason);
        assert!(!told.read_firewall.allowed && !told.socket_owners.allowed);
        let nobody = told_for(Privileges::default());
        assert!(!nobody.capture.allowed);
        assert!(nobody.capture.reason.contains("setcap cap_net_raw+ep"), "{}", nobody.capture.reason);
        let root = told_for(Privileges::all());
        assert!(
            root.capture.allowed
                && root.raw_igmp.allowed
                && root.read_firewall.allowed
                && root.socket_owners.allowed
        );
        assert_eq!(root.capabilities, ["net_raw", "net_admin", "sys_ptrace", "dac_read_search"]);
    }

    fn told_for(privileges: Privileges) -> RunPrivileges {
        told(privileges, OsFamily::Linux, &FirewallFacts::default())
    }

    #[test]
    fn the_firewall_is_told_as_the_tools_answered() {
        use crate::facts::FirewallSource;
        use crate::ruleset::FirewallTool;
        let source = |status, detail: Option<&str>| FirewallSource {
            tool: FirewallTool::Nft,
            command: "nft -j list ruleset".into(),
            status,
            detail: detail.map(str::to_owned),
            rules: 0,
            skipped: 0,
        };
        let denied = FirewallFacts {
            sources: vec![source(SourceStatus::PermissionDenied, Some("Operation not permitted"))],
            ..FirewallFacts::default()
        };
        // Root without CAP_NET_ADMIN (a container): the guess would say yes, the tool said no.
        let told = told(Privileges { admin: true, ..Privileges::default() }, OsFamily::Linux, &denied);
        assert!(!told.read_firewall.allowed);
        assert_eq!(told.read_firewall.reason, "refused: nft -j list ruleset: Operation not permitted");
        let read =
            FirewallFacts { sources: vec![source(SourceStatus::Read, None)], ..FirewallFacts::default() };
        let told = super::told(Privileges::default(), OsFamily::Linux, &read);
        assert!(told.read_firewall.allowed);
    }

    #[test]
    fn windows_and_macos_name_their_own_terms() {
        let windows = told(Privileges::default(), OsFamily::Windows, &FirewallFacts::default());
        assert!(!windows.capture.allowed && windows.capture.reason.contains("elevated prompt"));
        assert!(windows.capabilities.is_empty());
        let macos = told(Privileges::all(), OsFamily::Macos, &FirewallFacts::default());
        assert!(!macos.capture.allowed, "no BPF capture on macOS yet");
        assert!(macos.raw_igmp.allowed);
    }

    #[test]
    fn unreadable_status_is_none() {
        assert_eq!(from_proc_status(""), None);
        assert_eq!(from_proc_status("Uid:\tx\nCapEff:\t0\n"), None);
        assert_eq!(from_proc_status("Uid:\t0 0\nCapEff:\tzz\n"), None);
    }
}
