//! Fakes of the engines' seams for unit tests: a virtual clock, and an endpoint whose peer is a script
//! that answers what the engine sends after a chosen delay. Time only moves when the engine waits, so
//! timers are tested exactly and instantly.

use std::collections::VecDeque;
use std::net::SocketAddrV4;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Clock, Endpoint};
use crate::net::{Datagram, NetError};

/// One datagram the engine sent: when (since the start), to where (`None`: to the group), what.
#[derive(Debug, Clone)]
pub struct SentByEngine {
    pub at: Duration,
    pub to: Option<SocketAddrV4>,
    pub payload: Vec<u8>,
}

/// What the scripted network answers to one datagram the engine sent: `(delay, from, payload)` each.
pub type Script = Box<dyn Fn(&SentByEngine) -> Vec<(Duration, SocketAddrV4, Vec<u8>)> + Send + Sync>;

/// A virtual clock plus an endpoint on a scripted network.
pub struct FakeWire {
    start: Instant,
    now: Mutex<Instant>,
    local: SocketAddrV4,
    script: Script,
    pending: Mutex<VecDeque<(Instant, SocketAddrV4, Vec<u8>)>>,
    pub sent: Mutex<Vec<SentByEngine>>,
    interrupt_at: Option<Duration>,
}

impl FakeWire {
    pub fn new(local: SocketAddrV4, script: Script) -> Self {
        let start = Instant::now();
        Self {
            start,
            now: Mutex::new(start),
            local,
            script,
            pending: Mutex::new(VecDeque::new()),
            sent: Mutex::new(Vec::new()),
            interrupt_at: None,
        }
    }

    /// Ctrl-C arrives this long after the start.
    pub fn interrupted_after(mut self, after: Duration) -> Self {
        self.interrupt_at = Some(after);
        self
    }

    /// The virtual time the wire was made at.
    pub fn start(&self) -> Instant {
        self.start
    }

    pub fn sent(&self) -> Vec<SentByEngine> {
        self.sent.lock().unwrap().clone()
    }

    fn record(&self, to: Option<SocketAddrV4>, payload: &[u8]) {
        let now = *self.now.lock().unwrap();
        let sent = SentByEngine { at: now - self.start, to, payload: payload.to_vec() };
        let mut pending = self.pending.lock().unwrap();
        for (delay, from, bytes) in (self.script)(&sent) {
            pending.push_back((now + delay, from, bytes));
        }
        pending.make_contiguous().sort_by_key(|(at, _, _)| *at);
        self.sent.lock().unwrap().push(sent);
    }
}

impl Clock for FakeWire {
    fn now(&self) -> Instant {
        *self.now.lock().unwrap()
    }

    fn interrupted(&self) -> bool {
        self.interrupt_at.is_some_and(|after| self.now() >= self.start + after)
    }
}

impl Endpoint for FakeWire {
    fn local_addr(&self) -> SocketAddrV4 {
        self.local
    }

    fn send(&self, payload: &[u8], _detail: &str) -> Result<(), NetError> {
        self.record(None, payload);
        Ok(())
    }

    fn send_to(&self, payload: &[u8], to: SocketAddrV4, _detail: &str) -> Result<(), NetError> {
        self.record(Some(to), payload);
        Ok(())
    }

    fn recv_until(&self, deadline: Instant) -> Result<Option<Datagram>, NetError> {
        let deadline = match self.interrupt_at {
            Some(after) => deadline.min(self.start + after),
            None => deadline,
        };
        let mut pending = self.pending.lock().unwrap();
        let mut now = self.now.lock().unwrap();
        if let Some((at, _, _)) = pending.front()
            && *at <= deadline
        {
            let (at, source, payload) = pending.pop_front().unwrap();
            *now = (*now).max(at);
            return Ok(Some(Datagram {
                payload,
                source,
                destination: Some(*self.local.ip()),
                interface_index: Some(2),
                ttl: Some(64),
                received_at: *now,
                truncated: false,
            }));
        }
        *now = (*now).max(deadline);
        Ok(None)
    }
}
