//! `multicast.soak` (under `network-multicast`): whether multicast kept flowing between this host and
//! the peer for the whole soak — the check that catches IGMP snooping without a querier, which lets PnP
//! work after a PBX restart and stop about 260 s later. Present only when `--soak` was asked.

use serde_json::json;

use super::{Snapshot, check, remedy};
use crate::observed::{Observed, SoakReport, SoakRound};
use crate::verdict::{Check, Status};

pub const SOAK: &str = "multicast.soak";

/// A switch's default IGMP membership timeout (RFC 2236 and 3376 defaults: 2 × 125 s + 10 s).
const SNOOPING_TIMEOUT_SECS: f64 = 260.0;

/// The soak's check, when a soak was asked for.
#[must_use]
pub fn check_soak(snapshot: &Snapshot) -> Option<Check> {
    match &snapshot.soak {
        Observed::NotAsked => None,
        Observed::Skipped(reason) => Some(
            check(SOAK, Status::Skip, format!("The soak could not run: {reason}"), None, json!({}))
                .lacking_evidence("a soak that runs: `--soak 5m --peer IP`"),
        ),
        Observed::Done(soak) => Some(judge(soak, snapshot)),
    }
}

/// Multicast crossed both ways in this round (a leg not observable counts as crossed).
fn flowed(round: &SoakRound) -> bool {
    round.here_to_peer && round.peer_to_here.unwrap_or(true)
}

fn judge(soak: &SoakReport, snapshot: &Snapshot) -> Check {
    let evidence = json!({"soak": soak});
    let judged: Vec<&SoakRound> = soak.rounds.iter().filter(|r| r.unicast).collect();
    if judged.is_empty() {
        let why =
            if soak.rounds.is_empty() { "no round ran" } else { "the peer never answered unicast during it" };
        return check(SOAK, Status::Skip, format!("The soak proves nothing: {why}."), None, evidence)
            .lacking_evidence("a peer that answers for the whole soak (`mcready respond` on it)");
    }
    let first_failure = judged.iter().position(|r| !flowed(r));
    let Some(failed_at) = first_failure else {
        let last = judged.last().map_or(0.0, |r| r.at_secs);
        let short = if soak.interrupted {
            " (interrupted: a longer soak may still show a timeout)".to_owned()
        } else if last < SNOOPING_TIMEOUT_SECS {
            format!(
                " — shorter than a switch's default {SNOOPING_TIMEOUT_SECS:.0} s membership timeout: run `--soak 5m` to be sure"
            )
        } else {
            String::new()
        };
        return check(
            SOAK,
            Status::Pass,
            format!("Multicast kept flowing both ways for {last:.0} s ({} rounds){short}.", judged.len()),
            None,
            evidence,
        );
    };
    let failed = judged[failed_at];
    let Some(last_good) = failed_at.checked_sub(1).map(|i| judged[i]) else {
        return check(
            SOAK,
            Status::Fail,
            "Multicast did not cross between this host and the peer at the soak's start (see `multicast.lan-path`); \
             the peer answered unicast."
                .into(),
            Some(remedy::enable_querier(super::own_bridge(snapshot))),
            evidence,
        );
    };
    let which = match (failed.here_to_peer, failed.peer_to_here) {
        (false, Some(false)) => "both ways",
        (false, _) => "from this host to the peer",
        (true, _) => "from the peer to this host",
    };
    let when = format!("between {:.0} s and {:.0} s into the soak", last_good.at_secs, failed.at_secs);
    let no_querier = snapshot.querier.done().is_some_and(|q| q.querier().is_none());
    let cause = if no_querier {
        "no IGMP querier answers on this LAN, so a snooping switch aged out the memberships (about 260 s after the \
         last join): PnP works right after a PBX restart, then stops"
    } else {
        "the peer still answered unicast, so a switch or firewall between them stopped forwarding the group"
    };
    check(
        SOAK,
        Status::Fail,
        format!("Multicast stopped flowing {which} {when}, while unicast kept working: {cause}."),
        Some(remedy::enable_querier(super::own_bridge(snapshot))),
        evidence,
    )
}
