//! `nft` (nftables): rules inserted into the table and chain that hold the rule they must come before.
//! A rule is lost at reboot unless it is also in `/etc/nftables.conf`, which [`persist_hint`] says.

use crate::fix::{Manager, Os, Step};

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
