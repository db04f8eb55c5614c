//! A Linux host's firewall assembled from what its listing tools printed: which tool's text judges
//! which table, the sources read and failed, the NAT rules listed, and the reverse-path filters. Pure
//! and built on every OS: the Linux gather hands it the listings as they come from `nft` and the
//! `iptables-*-save` tools, and a support bundle's replay hands it the same text recorded, so a newer
//! mcready re-reads an old host's rules with its own readers (docs/bundle.md).
//!
//! Which tool judges which rules, so that no rule is counted twice:
//! - nftables tables are judged from `nft -j list ruleset`;
//! - tables that iptables-nft manages also appear there, but with many matches as opaque `xt`
//!   expressions, so when `iptables-nft-save` prints them they are judged from its text instead and left
//!   out of the nft reading;
//! - `iptables-legacy-save` shows the legacy xtables rules, which nftables cannot see at all.

use serde::{Deserialize, Serialize};

use crate::facts::{FirewallFacts, FirewallManager, FirewallSource, GatherNote, RpFilter, SourceStatus};
use crate::firewall::{iptables, nat, nft};
use crate::ruleset::{FirewallTool, Netfilter, Ruleset};

/// What a listing printed (its stdout), or the source that says why it could not be read.
pub type Listing = Result<String, FirewallSource>;

/// The listings of one Linux host's firewall, as its tools printed them: what a support bundle keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listings {
    /// nftables' tables as `family name` (`Ok(None)`: neither netlink nor `nft` listed them).
    pub tables: Result<Option<Vec<String>>, FirewallSource>,
    /// `nft -j list ruleset`, when it was run (only when some table is not iptables-nft's).
    pub ruleset: Option<Listing>,
    pub iptables_nft_save: Listing,
    pub iptables_legacy_save: Listing,
    /// Firewall managers found on the host (ufw enabled, firewalld running).
    #[serde(default)]
    pub managers: Vec<FirewallManager>,
}

/// The firewall facts of `listings`. `full_listing` runs `nft -j list ruleset` when the table names
/// show it is needed and it was not run yet; what it gives is kept in `listings.ruleset`.
pub fn facts(listings: &mut Listings, full_listing: impl FnOnce() -> Listing) -> FirewallFacts {
    let mut facts = FirewallFacts::default();
    let nft_save_out = listings
        .iptables_nft_save
        .as_ref()
        .map(|text| (incompatible_tables(text), iptables::read(text, Some(FirewallTool::IptablesNftSave))));
    // Tables iptables-nft-save printed in full; "incompatible" ones it does not print stay with nft.
    let printed: Vec<String> = match &nft_save_out {
        Ok((incompatible, ruleset)) => ruleset
            .tables
            .iter()
            .filter(|t| !incompatible.contains(&t.name))
            .map(|t| format!("ip {}", t.name))
            .collect(),
        Err(_) => Vec::new(),
    };
    let listed = match &listings.tables {
        Ok(names) => names.clone(),
        Err(_) => None,
    };
    let nft_available = listings.tables.is_ok();
    if let Err(source) = &listings.tables {
        facts.sources.push(source.clone());
    }
    // The IPv4 tables nftables holds, and those of them read from iptables-nft-save instead.
    let ipv4: Option<Vec<String>> = listed
        .map(|names| names.into_iter().filter(|t| t.starts_with("ip ") || t.starts_with("inet ")).collect());
    let skip_in_nft: Vec<String> = match &ipv4 {
        Some(tables) => tables.iter().filter(|t| printed.contains(t)).cloned().collect(),
        // Table names unreadable: the full listing decides, with the same rule.
        None => printed.clone(),
    };
    // Without nft, iptables-nft-save is the only view of its tables, so it is used then too.
    if !skip_in_nft.is_empty() || !nft_available {
        match nft_save_out {
            Ok((incompatible, ruleset)) => {
                let mut source = source_read(FirewallTool::IptablesNftSave, "iptables-nft-save", &ruleset);
                if !incompatible.is_empty() {
                    source.detail =
                        Some("some tables are incompatible with iptables; nft judged them".into());
                }
                keep(&mut facts, source, ruleset);
            }
            Err(source) => facts.sources.push(source.clone()),
        }
    }
    let rest_in_nft = ipv4.as_ref().map(|tables| tables.iter().filter(|t| !skip_in_nft.contains(t)).count());
    if nft_available && rest_in_nft == Some(0) {
        // Every IPv4 table is iptables-nft's (or there is none): nothing left for the full listing.
        let detail = if skip_in_nft.is_empty() {
            "no ip or inet table".to_owned()
        } else {
            format!("every table read from iptables-nft-save: {}", skip_in_nft.join(", "))
        };
        facts.sources.push(FirewallSource {
            tool: FirewallTool::Nft,
            command: "nftables table list (netlink)".into(),
            status: SourceStatus::Read,
            detail: Some(detail),
            rules: 0,
            skipped: 0,
        });
    } else if nft_available {
        let listing = listings.ruleset.get_or_insert_with(full_listing);
        read_nft_ruleset(&mut facts, listing, &skip_in_nft);
    }

    match &listings.iptables_legacy_save {
        Ok(text) => {
            let ruleset = iptables::read(text, Some(FirewallTool::IptablesLegacySave));
            let source = source_read(FirewallTool::IptablesLegacySave, "iptables-legacy-save", &ruleset);
            keep(&mut facts, source, ruleset);
        }
        Err(source) => facts.sources.push(source.clone()),
    }

    facts.managers.clone_from(&listings.managers);
    let (listed, more) = nat::listed(&facts.rulesets);
    facts.nat = listed;
    if more > 0 {
        facts.notes.push(GatherNote {
            source: "NAT rules".into(),
            message: if more == 1 {
                "1 more NAT rule not listed among the NAT rules".to_owned()
            } else {
                format!("{more} more NAT rules not listed among the NAT rules")
            },
        });
    }
    facts
}

/// Whether a table (`family name`) is IPv4 and can never be printed by iptables-nft-save.
#[must_use]
pub fn nft_only_table(table: &str) -> bool {
    (table.starts_with("inet ") || table.starts_with("ip ")) && !iptables_table_name(table)
}

/// Whether a table (`family name`) could be one iptables-nft manages: family `ip` and an iptables table
/// name.
fn iptables_table_name(table: &str) -> bool {
    table
        .strip_prefix("ip ")
        .is_some_and(|name| matches!(name, "filter" | "nat" | "raw" | "mangle" | "security"))
}

/// Reads the full `nft -j list ruleset`, leaving out the tables in `skip_in_nft`.
fn read_nft_ruleset(facts: &mut FirewallFacts, listing: &Listing, skip_in_nft: &[String]) {
    match listing {
        Ok(json) => {
            // The JSON is split once and read lazily: iptables-nft's rules in it are never built.
            let ruleset = match nft::Document::parse(json) {
                Ok(document) => nft::read_document(&document, skip_in_nft),
                Err(error) => {
                    Netfilter { tool: Some(FirewallTool::Nft), error: Some(error), ..Netfilter::default() }
                }
            };
            let mut source = source_read(FirewallTool::Nft, "nft -j list ruleset", &ruleset);
            if let Some(error) = &ruleset.error {
                source.status = SourceStatus::Failed;
                source.detail = Some(error.clone());
                facts.notes.push(GatherNote { source: "nft -j list ruleset".into(), message: error.clone() });
            } else if !skip_in_nft.is_empty() {
                source.detail = Some(format!("left to iptables-nft-save: {}", skip_in_nft.join(", ")));
            }
            keep(facts, source, ruleset);
        }
        Err(source) => facts.sources.push(source.clone()),
    }
}

/// Tables iptables-nft-save could not print in full: it says so in a comment (``# Table `filter' is
/// incompatible``, or ``… contains incompatible base-chains …``) and may still print the table's empty
/// built-in chains, so such a table must stay with nft.
#[must_use]
pub fn incompatible_tables(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("# Table `") && l.contains("incompatible"))
        .filter_map(|l| l.strip_prefix("# Table `")?.split_once('\'').map(|(name, _)| name.to_owned()))
        .collect()
}

fn source_read(tool: FirewallTool, command: &str, ruleset: &Netfilter) -> FirewallSource {
    FirewallSource {
        tool,
        command: command.to_owned(),
        status: SourceStatus::Read,
        detail: None,
        rules: ruleset.rules,
        skipped: ruleset.skipped,
    }
}

fn keep(facts: &mut FirewallFacts, source: FirewallSource, ruleset: Netfilter) {
    if ruleset.skipped > 0 {
        facts.notes.push(GatherNote {
            source: source.command.clone(),
            message: format!("skipped {} rule(s) or line(s) that could not be read", ruleset.skipped),
        });
    }
    facts.sources.push(source);
    if ruleset.error.is_none() {
        facts.rulesets.push(Ruleset::Netfilter(ruleset));
    }
}

/// Where the kernel shows each interface's reverse-path filter: `DIR/NAME/rp_filter`.
pub const RP_FILTER_DIR: &str = "/proc/sys/net/ipv4/conf";

/// `rp_filter` of `all`, `default` and every interface, in that order (interfaces by name), from the
/// text of each interface's file (or why it could not be read).
pub fn rp_filters(
    files: Vec<(String, Result<String, String>)>,
    notes: &mut Vec<GatherNote>,
) -> Vec<RpFilter> {
    let mut files = files;
    files.sort_by_key(|(name, _)| (name != "all", name != "default", name.clone()));
    let mut filters = Vec::new();
    for (name, text) in files {
        let path = format!("{RP_FILTER_DIR}/{name}/rp_filter");
        match text.map(|text| text.trim().parse::<u8>()) {
            Ok(Ok(value)) => filters.push(RpFilter { interface: name, value }),
            Ok(Err(_)) => notes.push(GatherNote { source: path, message: "not a number".into() }),
            Err(error) => notes.push(GatherNote { source: path, message: error }),
        }
    }
    filters
}
