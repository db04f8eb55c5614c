//! `iptables` of either backend (iptables-nft, iptables-legacy): a rule inserted or appended in a
//! chain, undone by deleting the same rule spec. Lost at reboot unless saved (`netfilter-persistent`).

use crate::fix::{Edit, Keep, Manager, Os, Step};

/// The file `netfilter-persistent` (package iptables-persistent) restores at boot.
pub const RULES_V4: &str = "/etc/iptables/rules.v4";

/// Which iptables program speaks: the backend that holds the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    Nft,
    Legacy,
    /// Plain `iptables`, whichever backend the host's alternatives point at.
    Default,
}

impl Program {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Nft => "iptables-nft",
            Self::Legacy => "iptables-legacy",
            Self::Default => "iptables",
        }
    }

    fn manager(self) -> Manager {
        match self {
            Self::Legacy => Manager::IptablesLegacy,
            Self::Nft | Self::Default => Manager::IptablesNft,
        }
    }
}

/// The accept for the phones' SIP, as an iptables rule spec.
#[must_use]
pub fn accept_sip_spec(subnet: &str, port: u16) -> String {
    format!("-s {subnet} -p udp --dport {port} -j ACCEPT")
}

/// `spec` in `chain` of `table` (`filter` is the default and left unsaid): inserted at `position`
/// (1-based), or appended when `None`.
#[must_use]
pub fn add_rule(program: Program, table: &str, chain: &str, position: Option<usize>, spec: &str) -> Step {
    let name = program.name();
    let section = table;
    let table = if table == "filter" { String::new() } else { format!("-t {table} ") };
    let command = match position {
        Some(n) => format!("sudo {name} {table}-I {chain} {n} {spec}"),
        None => format!("sudo {name} {table}-A {chain} {spec}"),
    };
    // In the saved file a rule inserted before the one that drops goes first in its chain: the
    // running rule's position means nothing to the rules restored at boot.
    let line = if position.is_some() { format!("-I {chain} {spec}") } else { format!("-A {chain} {spec}") };
    let keep = Keep::File {
        manager: program.manager(),
        file: RULES_V4.into(),
        edit: Edit::Insert {
            after: format!("*{section}"),
            before: "COMMIT".into(),
            lines: vec![format!("# mcready fix: accept `{spec}`"), line],
            create: Some(format!("*{section}\nCOMMIT\n")),
        },
        check: Some(format!("{name}-restore --test {{file}}")),
        reload: None,
    };
    Step::new(Os::Linux, program.manager(), format!("accept `{spec}` in chain {chain}"), command)
        .undo(format!("sudo {name} {table}-D {chain} {spec}"))
        .in_place(format!("{name} {table}-C {chain} {spec} 2>/dev/null"))
        .reads(format!("{name}-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]/[0:0]/'"))
        .keep(Some(keep))
}

/// The command that keeps the running rules after a reboot (package iptables-persistent).
pub const SAVE: &str = "sudo netfilter-persistent save";

/// How to keep the rules after a reboot.
pub const PERSIST_HINT: &str = "`sudo netfilter-persistent save` (package iptables-persistent)";
