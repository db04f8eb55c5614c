//! What the host gave the gather, kept as it came for a support bundle (`check --bundle`): the text of
//! the `/proc` files, the firewall tools' listings (`nft -j`, `iptables-*-save`, `pfctl -sr`), Windows
//! Defender Firewall's records as its API gave them, and the owners of the PnP port's sockets. The
//! binary sources (netlink's links and routes, IP Helper's tables) have no text: the bundle keeps their
//! plain facts instead (docs/bundle.md).
//!
//! [`replay`] turns a recording back into host facts on any OS with the parsers of this build, which
//! is the point: a newer mcready re-reads an old host's sources with its own readers and rules. The
//! Linux and macOS gathers read through the same functions ([`memberships`], [`listeners`],
//! [`pf_facts`], [`super::netfilter::facts`]), so a replay and a live run cannot differ in how they read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::macos_text::{self as text, PfRead};
use super::netfilter::{self, Listings, RP_FILTER_DIR};
use super::procfs::{self, ByteOrder, Parsed};
use crate::facts::{
    FirewallFacts, FirewallSource, GatherNote, HostFacts, Listener, Membership, Process, SourceStatus,
};
use crate::firewall::windows::PolicyRecord;
use crate::ruleset::{FirewallTool, Ruleset};

pub const IGMP: &str = "/proc/net/igmp";
pub const IGMP6: &str = "/proc/net/igmp6";
pub const UDP: [(&str, &str); 2] = [("/proc/net/udp", "udp"), ("/proc/net/udp6", "udp6")];

/// The sources one gather read, as they came. Every part is optional: what a host (or an older
/// mcready) did not record is replayed from the recorded facts instead.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Recording {
    /// The byte order of the host whose kernel wrote the `/proc/net` tables (`little`, `big`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_order: Option<ByteOrder>,
    /// Files as read, by path: `/proc/net/igmp`, `/proc/net/udp`, `/proc/sys/net/ipv4/conf/eth0/rp_filter`…
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    /// The processes holding each socket on the PnP port, by the socket's inode (`/proc/PID/fd`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub socket_owners: Vec<SocketOwners>,
    /// A Linux host's firewall listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub netfilter: Option<Listings>,
    /// Windows Defender Firewall's policy as its COM API gave it, or why it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows_firewall: Option<Result<PolicyRecord, String>>,
    /// macOS's packet filter: `pfctl -sr` and `-si`, and the Application Firewall's state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pf: Option<PfListing>,
}

/// The processes holding one socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketOwners {
    pub inode: u64,
    pub processes: Vec<Process>,
}

/// What running `pfctl -sr` came to (as [`PfRead`], owned), with `pfctl -si` and the Application
/// Firewall's `--getglobalstate` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PfListing {
    pub rules: PfOutcome,
    pub info: Option<String>,
    pub application_firewall: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PfOutcome {
    Rules(String),
    Denied(String),
    NotInstalled,
    TimedOut(String),
    Failed(String),
}

/// pf's rules read into the firewall model, with pf's state and the Application Firewall's (not
/// judged) in the source's detail.
#[must_use]
pub fn pf_facts(listing: &PfListing) -> FirewallFacts {
    let read = match &listing.rules {
        PfOutcome::Rules(text) => PfRead::Rules(text),
        PfOutcome::Denied(why) => PfRead::Denied(why),
        PfOutcome::NotInstalled => PfRead::NotInstalled,
        PfOutcome::TimedOut(why) => PfRead::TimedOut(why),
        PfOutcome::Failed(why) => PfRead::Failed(why),
    };
    let (source, ruleset) =
        text::pf_source(read, listing.info.as_deref(), listing.application_firewall.as_deref());
    let mut facts = FirewallFacts::default();
    if source.skipped > 0 {
        facts.notes.push(GatherNote {
            source: source.command.clone(),
            message: format!("skipped {} line(s) that could not be read", source.skipped),
        });
    }
    facts.sources.push(source);
    facts.rulesets.extend(ruleset.map(Ruleset::Netfilter));
    facts
}

/// Records a table's unparsable lines as a note, and hands back its rows.
pub fn keep_rows<T>(parsed: Parsed<T>, source: &str, notes: &mut Vec<GatherNote>) -> Vec<T> {
    if parsed.skipped > 0 {
        notes.push(GatherNote {
            source: source.to_owned(),
            message: format!("skipped {} line(s) that did not parse", parsed.skipped),
        });
    }
    parsed.rows
}

/// The group memberships of `/proc/net/igmp` and `/proc/net/igmp6` (absent on a kernel without IPv6).
pub fn memberships(
    igmp: &str,
    igmp6: Option<&str>,
    order: ByteOrder,
    notes: &mut Vec<GatherNote>,
) -> Vec<Membership> {
    let mut rows = keep_rows(procfs::parse_igmp(igmp, order), IGMP, notes);
    if let Some(text) = igmp6 {
        rows.extend(keep_rows(procfs::parse_igmp6(text), IGMP6, notes));
    }
    rows.into_iter().map(Membership::from).collect()
}

/// The sockets of `/proc/net/udp{,6}` (given as `(protocol, text)`) bound to `port`.
pub fn sockets_on_port(
    tables: &[(&'static str, &'static str, &str)],
    port: u16,
    order: ByteOrder,
    notes: &mut Vec<GatherNote>,
) -> Vec<(&'static str, procfs::UdpRow)> {
    let mut sockets = Vec::new();
    for (path, protocol, text) in tables {
        let rows = keep_rows(procfs::parse_udp(text, order), path, notes);
        sockets.extend(rows.into_iter().filter(|row| row.local.port() == port).map(|row| (*protocol, row)));
    }
    sockets
}

/// The listeners of `sockets`, each with the processes `owners` names for its inode.
#[must_use]
pub fn listeners(sockets: Vec<(&'static str, procfs::UdpRow)>, owners: &[SocketOwners]) -> Vec<Listener> {
    sockets
        .into_iter()
        .map(|(protocol, row)| Listener {
            protocol,
            local: row.local,
            uid: Some(row.uid),
            processes: owners
                .iter()
                .find(|o| o.inode == row.inode)
                .map(|o| o.processes.clone())
                .unwrap_or_default(),
        })
        .collect()
}

/// The host facts of a recorded run: `facts` as the recording host gathered them (the binary and API
/// sources' values), with every part the recording holds the source of read again by this build.
/// `port` is the PnP port the run was about. Rulesets the recording does not hold cannot be judged:
/// their sources say so, so that no finding is lost silently.
#[must_use]
pub fn replay(mut facts: HostFacts, recording: &Recording, port: u16) -> HostFacts {
    let order = recording.byte_order.unwrap_or(ByteOrder::Little);
    let mut notes = Vec::new();
    let mut reread: Vec<&str> = Vec::new();
    let file = |path: &str| recording.files.get(path).map(String::as_str);
    if let Some(igmp) = file(IGMP) {
        facts.memberships = memberships(igmp, file(IGMP6), order, &mut notes);
        facts.memberships_unreadable = None;
        reread.extend([IGMP, IGMP6]);
    }
    let tables: Vec<(&'static str, &'static str, &str)> =
        UDP.iter().filter_map(|(path, protocol)| Some((*path, *protocol, file(path)?))).collect();
    if !tables.is_empty() {
        facts.listeners =
            listeners(sockets_on_port(&tables, port, order, &mut notes), &recording.socket_owners);
        reread.extend(UDP.iter().map(|(path, _)| *path));
    }
    facts.notes.retain(|note| !reread.contains(&note.source.as_str()));
    facts.notes.extend(notes);
    facts.firewall = firewall(&facts, recording);
    facts
}

/// The firewall facts of a recording, read again from its listings; the recorded facts without their
/// rulesets when it holds none.
fn firewall(facts: &HostFacts, recording: &Recording) -> FirewallFacts {
    if let Some(listings) = &recording.netfilter {
        let mut listings = listings.clone();
        let mut firewall = netfilter::facts(&mut listings, || {
            Err(FirewallSource {
                tool: FirewallTool::Nft,
                command: "nft -j list ruleset".into(),
                status: SourceStatus::Failed,
                detail: Some("not in the bundle".into()),
                rules: 0,
                skipped: 0,
            })
        });
        let rp_files: Vec<(String, Result<String, String>)> = recording
            .files
            .iter()
            .filter_map(|(path, text)| {
                let name = path.strip_prefix(RP_FILTER_DIR)?.strip_prefix('/')?.strip_suffix("/rp_filter")?;
                Some((name.to_owned(), Ok(text.clone())))
            })
            .collect();
        firewall.rp_filter = if rp_files.is_empty() {
            facts.firewall.rp_filter.clone()
        } else {
            netfilter::rp_filters(rp_files, &mut firewall.notes)
        };
        return firewall;
    }
    if let Some(policy) = &recording.windows_firewall {
        return crate::firewall::windows::facts(
            policy.clone(),
            &crate::firewall::windows::adapters(&facts.interfaces),
        );
    }
    if let Some(pf) = &recording.pf {
        return pf_facts(pf);
    }
    // Only the facts were recorded (a bundle written by hand, or by a build that kept no listings):
    // a source read without its rules must not pass for a clean firewall.
    let mut firewall = facts.firewall.clone();
    for source in firewall.sources.iter_mut().filter(|s| s.status == SourceStatus::Read && s.rules > 0) {
        source.status = SourceStatus::Failed;
        source.detail = Some("its rules are not in the bundle: not judged".into());
    }
    firewall
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{PNP_GROUP, RpFilter};

    fn recording(files: &[(&str, &str)]) -> Recording {
        Recording {
            files: files.iter().map(|(path, text)| ((*path).to_owned(), (*text).to_owned())).collect(),
            ..Recording::default()
        }
    }

    #[test]
    fn a_big_endian_hosts_tables_replay_on_any_host() {
        let mut sources = recording(&[(IGMP, include_str!("../../tests/fixtures/proc/igmp-big-endian.txt"))]);
        sources.byte_order = Some(ByteOrder::Big);
        let facts = replay(HostFacts::default(), &sources, 5060);
        let joined: Vec<&str> =
            facts.members_of(PNP_GROUP.into()).iter().map(|m| m.interface.as_str()).collect();
        assert_eq!(joined, ["eth0"]);
    }

    #[test]
    fn listeners_come_from_the_tables_and_the_recorded_owners() {
        let mut sources = recording(&[("/proc/net/udp", include_str!("../../tests/fixtures/proc/udp.txt"))]);
        sources.socket_owners =
            vec![SocketOwners { inode: 8205, processes: vec![Process::new(42, "asterisk")] }];
        let facts = replay(HostFacts::default(), &sources, 5060);
        assert_eq!(facts.listeners.len(), 1, "{:?}", facts.listeners);
        assert_eq!(facts.listeners[0].local.to_string(), "224.0.1.75:5060");
        assert_eq!(facts.listeners[0].processes[0].name, "asterisk");
    }

    #[test]
    fn rp_filter_is_read_again_from_its_files() {
        let mut sources = recording(&[
            ("/proc/sys/net/ipv4/conf/eth0/rp_filter", "1\n"),
            ("/proc/sys/net/ipv4/conf/all/rp_filter", "0\n"),
            ("/proc/sys/net/ipv4/conf/lo/rp_filter", "x\n"),
        ]);
        sources.netfilter = Some(Listings {
            tables: Ok(Some(Vec::new())),
            ruleset: None,
            iptables_nft_save: Ok(String::new()),
            iptables_legacy_save: Ok(String::new()),
            managers: Vec::new(),
        });
        let facts = replay(HostFacts::default(), &sources, 5060);
        let rp = |interface: &str, value| RpFilter { interface: interface.into(), value };
        assert_eq!(facts.firewall.rp_filter, [rp("all", 0), rp("eth0", 1)]);
        assert!(
            facts.firewall.notes.iter().any(|n| n.source.contains("/lo/") && n.message == "not a number")
        );
    }

    #[test]
    fn rules_read_but_not_recorded_are_not_judged_rather_than_clean() {
        let mut facts = HostFacts::default();
        facts.firewall.sources.push(FirewallSource {
            tool: FirewallTool::IptablesNftSave,
            command: "iptables-nft-save".into(),
            status: SourceStatus::Read,
            detail: None,
            rules: 12,
            skipped: 0,
        });
        let replayed = replay(facts, &Recording::default(), 5060);
        assert_eq!(replayed.firewall.sources[0].status, SourceStatus::Failed);
        assert!(replayed.firewall.incomplete());
    }
}
