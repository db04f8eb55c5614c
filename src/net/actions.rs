//! What mcready itself did to the network — groups joined and left, datagrams sent — so a report can
//! tell its own traffic from the PBX's and the phones' (DESIGN: "do not change what you measure").
//!
//! The actions themselves are plain data of [`crate::observed`], which the reports print; [`OwnActions`]
//! is the recorder the sockets share: a cheap, cloneable handle: every socket keeps one and records into the same list,
//! including from `Drop` (a receiver leaving its groups), which is why it is shared rather than passed
//! as `&mut`.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde::Serialize;

use crate::observed::{ActionKind, OwnAction};

/// The shared record of [`OwnAction`]s.
#[derive(Debug, Clone)]
pub struct OwnActions {
    start: Instant,
    log: Arc<Mutex<Vec<OwnAction>>>,
}

impl Default for OwnActions {
    fn default() -> Self {
        Self::new(Instant::now())
    }
}

impl OwnActions {
    /// An empty record whose `at_ms` counts from `start` (the run's start, shared with other
    /// observations so their times line up).
    #[must_use]
    pub fn new(start: Instant) -> Self {
        Self { start, log: Arc::new(Mutex::new(Vec::new())) }
    }

    #[must_use]
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Milliseconds from the start to `at` (0 for an earlier instant).
    #[must_use]
    pub fn ms_since_start(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX)
    }

    pub fn record(&self, action: ActionKind, group: Ipv4Addr, interface: &str, detail: impl Into<String>) {
        let entry = OwnAction {
            action,
            group,
            interface: interface.to_owned(),
            detail: detail.into(),
            at_ms: self.ms_since_start(Instant::now()),
        };
        // A panic elsewhere while holding the lock leaves a usable list; recording must not panic too.
        self.log.lock().unwrap_or_else(PoisonError::into_inner).push(entry);
    }

    /// A copy of the actions so far, in the order they happened.
    #[must_use]
    pub fn snapshot(&self) -> Vec<OwnAction> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Serialize for OwnActions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.snapshot().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_serialise_in_order_with_lowercase_actions() {
        let actions = OwnActions::default();
        let shared = actions.clone();
        actions.record(ActionKind::Joined, Ipv4Addr::new(224, 0, 1, 75), "eth0", "receiver");
        shared.record(ActionKind::Sent, Ipv4Addr::new(224, 0, 1, 75), "eth0", "SUBSCRIBE");
        let json = serde_json::to_value(&actions).unwrap();
        assert_eq!(json[0]["action"], "joined");
        assert_eq!(json[1]["action"], "sent");
        assert_eq!(json[1]["group"], "224.0.1.75");
        assert_eq!(json[1]["interface"], "eth0");
        assert!(json[1]["at_ms"].is_u64());
        assert_eq!(actions.snapshot().len(), 2);
    }
}
