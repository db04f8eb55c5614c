//! The IGMP querier search: fast (join and leave a scratch group: a querier answers the leave within
//! its last-member query interval) or passive (hear general queries through a listening window).

use std::time::{Duration, Instant};

use crate::net::{LocalInterface, NetError, OwnActions, QuerierWatch};
use crate::observed::{Observed, QuerierReport, QueryHeard};

/// How long a querier has to answer the scratch group's leave (its last-member query interval is
/// 1 s by default).
pub const QUERIER_WAIT: Duration = Duration::from_millis(1100);

/// How to look for an IGMP querier.
#[derive(Debug, Clone, Copy)]
pub enum QuerierSearch {
    /// Join and leave a scratch group: a querier answers the leave at once (sends IGMP).
    Fast,
    /// Listen through the window for general queries (every 125 s by default); sends nothing.
    Passive(Duration),
}

/// Looks for a querier on `interface`; what cannot be observed is `Skipped` with the reason.
#[must_use]
pub fn observe(
    interface: &LocalInterface,
    search: QuerierSearch,
    actions: &OwnActions,
) -> Observed<QuerierReport> {
    let mut watch = match QuerierWatch::open(interface, actions) {
        Ok(watch) => watch,
        Err(NetError::NoPrivilege { .. }) => {
            return Observed::Skipped(format!(
                "listening for IGMP needs passive capture: {} to look for a querier",
                crate::net::CAPTURE_PRIVILEGE
            ));
        }
        Err(error) => return Observed::Skipped(error.to_string()),
    };
    let started = Instant::now();
    let outcome = match search {
        QuerierSearch::Fast => fast(&mut watch),
        QuerierSearch::Passive(window) => watch.listen_until(started + window).map(|_| None),
    };
    let listened_secs = matches!(search, QuerierSearch::Passive(_)).then(|| started.elapsed().as_secs());
    let queries = heard_queries(&watch);
    match outcome {
        Ok(_) if queries.is_empty() && crate::interrupt::interrupted() => {
            Observed::Skipped("interrupted (Ctrl-C) before a querier could be heard".into())
        }
        Ok(scratch_group) => Observed::Done(QuerierReport { queries, scratch_group, listened_secs }),
        Err(error) => Observed::Skipped(error.to_string()),
    }
}

/// Joins and leaves a scratch group; when nothing at all was heard, once more with another one. A
/// "no querier" warning is a claim: one leave a querier did not answer (a report or the leave lost, a
/// querier busy or just elected) is weaker evidence than two, and the second costs time only on a LAN
/// that has no querier. Answers the scratch group last used.
fn fast(watch: &mut QuerierWatch) -> Result<Option<std::net::Ipv4Addr>, NetError> {
    let pid = std::process::id();
    let first = crate::net::querier::scratch_group(pid);
    let detection = watch.detect_fast(first, QUERIER_WAIT)?;
    if detection.answer.is_some() || !watch.heard().is_empty() || crate::interrupt::interrupted() {
        return Ok(Some(first));
    }
    // Another group, so that the second leave is not taken for a retransmission of the first.
    let second = crate::net::querier::scratch_group(pid.rotate_left(16) ^ 0x5a5a);
    let second =
        if second == first { crate::net::querier::scratch_group(pid.wrapping_add(1)) } else { second };
    watch.detect_fast(second, QUERIER_WAIT)?;
    Ok(Some(second))
}

fn heard_queries(watch: &QuerierWatch) -> Vec<QueryHeard> {
    watch
        .heard()
        .iter()
        .map(|q| QueryHeard {
            source: q.source,
            version: match q.version {
                crate::net::IgmpVersion::V1 => 1,
                crate::net::IgmpVersion::V2 => 2,
                crate::net::IgmpVersion::V3 => 3,
            },
            max_response_ms: u32::try_from(q.max_response_ms).unwrap_or(u32::MAX),
            group: q.group,
        })
        .collect()
}
