//! Is there an IGMP querier on the LAN? Without one, snooping switches stop forwarding a group a few
//! minutes after the last report, so PnP works after a PBX restart and then silently stops.
//!
//! [`QuerierWatch`] listens through a passive [`Capture`] filtered to IGMP — not a raw `IPPROTO_IGMP`
//! socket: the capture also sees this host's own reports go out (which the fast detection waits for),
//! and with `PACKET_ADD_MEMBERSHIP` it hears group-specific queries on a real NIC after the host has
//! left the group (the NIC filter would otherwise drop them).
//!
//! General queries come every 125 s by default, too slowly for a check, so
//! [`QuerierWatch::detect_fast`] joins and leaves a scratch group: a querier answers a leave with a
//! group-specific query within its last-member query interval (1 s by default; RFC 2236 §3, RFC 3376
//! §6.4.2). A Linux bridge querier answers at once, and sends it to 224.0.0.1.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};

use super::actions::OwnActions;
use super::capture::{Capture, CaptureFilter, CaptureOptions, Direction};
use super::igmp::{IgmpMessage, IgmpVersion, QueryScope};
use super::packet::Transport;
use super::{LocalInterface, NetError};
use crate::observed::ActionKind;

/// How long to wait for this host's own join report to show on the wire before leaving anyway.
const REPORT_WAIT: Duration = Duration::from_millis(500);

/// One membership query heard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeardQuery {
    /// The querier's address (0.0.0.0 for a Linux bridge without an address).
    pub source: Ipv4Addr,
    pub version: IgmpVersion,
    pub scope: QueryScope,
    pub group: Option<Ipv4Addr>,
    pub max_response_ms: u64,
    /// Milliseconds since the run's start.
    pub at_ms: u64,
}

/// What the scratch-group join and leave showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FastDetection {
    pub scratch_group: Ipv4Addr,
    /// This host's join report was seen leaving the interface (if not, the leave may not have
    /// reached a querier either).
    pub report_seen: bool,
    /// The group-specific query that answered the leave, if any came within the wait.
    pub answer: Option<HeardQuery>,
}

/// A scratch group for the fast detection: 239.255.x.y (organisation-local scope) derived from `seed`
/// (the pid, say), never .0 or .255 in the last two octets.
#[must_use]
pub fn scratch_group(seed: u32) -> Ipv4Addr {
    let pick = |value: u32| u8::try_from(value % 254 + 1).unwrap_or(1);
    Ipv4Addr::new(239, 255, pick(seed >> 8), pick(seed))
}

/// Records the IGMP queries heard on one interface.
#[derive(Debug)]
pub struct QuerierWatch {
    capture: Capture,
    interface: LocalInterface,
    actions: OwnActions,
    /// The socket the fast detection joins and leaves its scratch group with. Created with the capture
    /// so that every socket of the watch lives in the network namespace `open` ran in.
    scratch_socket: Socket,
    heard: Vec<HeardQuery>,
}

impl QuerierWatch {
    /// Starts watching `interface`. Sends nothing.
    ///
    /// # Errors
    /// [`NetError::NoPrivilege`] without `CAP_NET_RAW` (the check is `skip`), or any capture error.
    pub fn open(interface: &LocalInterface, actions: &OwnActions) -> Result<Self, NetError> {
        let capture = Capture::open(&CaptureOptions {
            interface_index: interface.index,
            filter: CaptureFilter::Igmp,
            groups: Vec::new(),
        })?;
        let scratch_socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
            .map_err(|e| NetError::os("create the scratch-group socket", e))?;
        Ok(Self {
            capture,
            interface: interface.clone(),
            actions: actions.clone(),
            scratch_socket,
            heard: Vec::new(),
        })
    }

    /// Every query heard so far, in order.
    #[must_use]
    pub fn heard(&self) -> &[HeardQuery] {
        &self.heard
    }

    /// Listens until `deadline` (or Ctrl-C, looked at every 100 ms), recording queries.
    ///
    /// # Errors
    /// When the capture fails.
    pub fn listen_until(&mut self, deadline: Instant) -> Result<&[HeardQuery], NetError> {
        loop {
            let now = Instant::now();
            if now >= deadline || crate::interrupt::interrupted() {
                return Ok(&self.heard);
            }
            let slice = (now + Duration::from_millis(100)).min(deadline);
            while self.next_igmp(slice)?.is_some() {}
        }
    }

    /// Joins and leaves `scratch` on the interface (both recorded in the own actions), then waits up to
    /// `wait` for a querier's group-specific query for it. Queries of other kinds heard meanwhile are
    /// recorded too (see [`QuerierWatch::heard`]).
    ///
    /// # Errors
    /// When the join or the capture fails.
    pub fn detect_fast(&mut self, scratch: Ipv4Addr, wait: Duration) -> Result<FastDetection, NetError> {
        // On a real NIC the group-specific query for the scratch group would be dropped by the hardware
        // filter once the host has left; keep its MAC accepted for the capture's lifetime.
        self.capture.add_group(scratch)?;
        let name = self.interface.name.clone();
        let on = InterfaceIndexOrAddress::Index(self.interface.index);
        self.scratch_socket
            .join_multicast_v4_n(&scratch, &on)
            .map_err(|e| NetError::os(format!("join scratch group {scratch} on {name}"), e))?;
        self.actions.record(ActionKind::Joined, scratch, &name, "scratch group for querier detection");

        let report_deadline = Instant::now() + REPORT_WAIT;
        let mut report_seen = false;
        while let Some((direction, message, _)) = self.next_igmp(report_deadline)? {
            if direction == Direction::Outgoing && message.reports_group(scratch) {
                report_seen = true;
                break;
            }
        }

        let detail = match self.scratch_socket.leave_multicast_v4_n(&scratch, &on) {
            Ok(()) => "scratch group for querier detection".to_owned(),
            // The membership then lasts until the watch drops and closes the socket.
            Err(e) => {
                format!("scratch group for querier detection (leave failed: {e}; left when the watch closes)")
            }
        };
        self.actions.record(ActionKind::Left, scratch, &name, detail);

        let deadline = Instant::now() + wait;
        let mut answer = None;
        while let Some((_, _, query)) = self.next_igmp(deadline)? {
            if let Some(query) =
                query.filter(|q| q.group == Some(scratch) && q.scope == QueryScope::GroupSpecific)
            {
                answer = Some(query);
                break;
            }
        }
        Ok(FastDetection { scratch_group: scratch, report_seen, answer })
    }

    /// The next IGMP message before `deadline`; a query that came in (not one this host sent) is
    /// recorded in [`QuerierWatch::heard`] and returned as well.
    fn next_igmp(
        &mut self,
        deadline: Instant,
    ) -> Result<Option<(Direction, IgmpMessage, Option<HeardQuery>)>, NetError> {
        while let Some(frame) = self.capture.next_until(deadline)? {
            let Transport::Igmp(message) = frame.packet.transport else { continue };
            let heard = message.as_query().filter(|_| frame.direction != Direction::Outgoing).map(|query| {
                HeardQuery {
                    source: frame.packet.source,
                    version: query.version,
                    scope: query.scope(),
                    group: query.group,
                    max_response_ms: u64::try_from(query.max_response.as_millis()).unwrap_or(u64::MAX),
                    at_ms: self.actions.ms_since_start(frame.received_at),
                }
            });
            if let Some(query) = &heard {
                self.heard.push(query.clone());
            }
            return Ok(Some((frame.direction, message, heard)));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_groups_stay_in_range() {
        for seed in [0, 1, 253, 254, 255, 256, 65_535, 4_194_304, u32::MAX] {
            let [a, b, c, d] = scratch_group(seed).octets();
            assert_eq!((a, b), (239, 255));
            assert!((1..=254).contains(&c) && (1..=254).contains(&d), "{seed}: {c}.{d}");
        }
        assert_ne!(scratch_group(1000), scratch_group(1001));
    }
}
