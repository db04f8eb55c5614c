//! `nft` (nftables): rules inserted into the table and chain that hold the rule they must come before.
//! A rule is lost at reboot unless it is also in `/etc/nftables.conf`, which [`persist_hint`] says.

use crate::fix::{Edit, Keep, Manager, Os, Step};

/// The file Debian's `nftables.service` loads at boot (`nft -f`).
pub const CONF: &str = "/etc/nftables.conf";

/// Where a rule goes in its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Just before the rule with this handle (the one that drops).
    Before(u64),
    /// First in the chain.
    Top,
    /// Last in the chain (after a chain's rules, before its policy applies).
    End,
}

/// The accept for the phones' SIP, as nft words.
#[must_use]
pub fn accept_sip_words(subnet: &str, port: u16) -> String {
    format!("ip saddr {subnet} udp dport {port} accept")
}

/// Add the rule `words` to `chain` of `table` (`[FAMILY] NAME`). The undo deletes the rule by the
/// handle nft gave it, found by its words: nft lists a rule as written, names quoted, with
/// ` # handle N` after it.
#[must_use]
pub fn add_rule(table: &str, chain: &str, place: Place, words: &str) -> Step {
    let command = match place {
        Place::Before(handle) => format!("sudo nft insert rule {table} {chain} position {handle} {words}"),
        Place::Top => format!("sudo nft insert rule {table} {chain} {words}"),
        Place::End => format!("sudo nft add rule {table} {chain} {words}"),
    };
    let undo = format!(
        "sudo nft delete rule {table} {chain} handle $(sudo nft -a list chain {table} {chain} | tr -d '\"' | grep -F '{words} # handle' | head -n 1 | sed 's/.* # handle //')"
    );
    Step::new(Os::Linux, Manager::Nft, format!("accept `{words}` in chain {chain} of table {table}"), command)
        .undo(undo)
        .in_place(format!("nft list chain {table} {chain} | tr -d '\"' | grep -qF -- '{words}'"))
        .reads("nft list ruleset")
        .keep(Some(keep(table, chain, place, words)))
}

/// Kept in [`CONF`]: the rule added after the file's own tables, as a command of its own (`insert` at
/// the top of the chain, a handle being the running ruleset's; `add` at its end when the policy
/// drops). The file must define the table itself — `nft -f` loads a file whole or not at all, so a rule
/// for a table it lacks would leave the host without its firewall at boot — and `nft -c` must accept it.
fn keep(table: &str, chain: &str, place: Place, words: &str) -> Keep {
    let verb = if place == Place::End { "add" } else { "insert" };
    let (family, name) = table.split_once(' ').unwrap_or(("ip", table));
    let family =
        if family == "ip" { "(ip[[:space:]]+)?".to_owned() } else { format!("{family}[[:space:]]+") };
    Keep::File {
        manager: Manager::Nft,
        file: CONF.into(),
        edit: Edit::Append {
            lines: vec![
                format!("# mcready fix: accept `{words}`"),
                format!("{verb} rule {table} {chain} {words}"),
            ],
            create: None,
        },
        check: Some(format!(
            "grep -Eq '^[[:space:]]*table[[:space:]]+{family}{name}([[:space:]]|$)' {{file}} && nft -c -f {{file}}"
        )),
        reload: None,
    }
}

/// How to keep a rule after a reboot.
#[must_use]
pub fn persist_hint(words: &str, table: &str, chain: &str, before: Option<&str>) -> String {
    match before {
        Some(rule) => format!(
            "add `{words}` just before `{rule}` in chain {chain} of table {table} in /etc/nftables.conf"
        ),
        None => format!("add `{words}` at the end of chain {chain} of table {table} in /etc/nftables.conf"),
    }
}
