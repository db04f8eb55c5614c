//! The engines that watch the wire: [`probe`], [`listen`], [`respond`], the peer test's client
//! ([`peer`]), the IGMP querier search ([`querier`]) and the checklist's orchestration of them all
//! ([`checklist`]). `check` and the single commands share them; none prints anything.
//!
//! Each engine reaches the network only through two small seams, so its logic — retransmission timers,
//! the wait for a second server, the per-phone tally, the peer legs — is unit-tested with fakes and no
//! root or network (as trippy's tracer takes its sockets through traits):
//! - [`Endpoint`]: one UDP endpoint (send to its group, send to an address, receive until a deadline),
//!   implemented by the sockets of [`crate::net`];
//! - [`Clock`]: the time and whether Ctrl-C asked to stop ([`SystemClock`] in production).
//!
//! Receiving goes through one loop ([`receive`]): a thread per source, a bounded channel, a stop flag,
//! and a socket error turned into a warning for the report rather than a silent end.

pub mod checklist;
pub mod discovery;
#[cfg(test)]
pub(crate) mod fake;
pub mod fetch;
pub mod listen;
pub mod peer;
pub mod probe;
pub mod querier;
pub mod receive;
pub mod respond;
pub mod soak;
pub mod stages;
pub mod tally;
#[cfg(test)]
mod whole_runs;

use std::net::SocketAddrV4;
use std::time::Instant;

use crate::net::{Datagram, MulticastSender, NetError, UnicastSocket};

/// One UDP endpoint as the engines see it.
pub trait Endpoint: Sync {
    /// The address answers come back to.
    fn local_addr(&self) -> SocketAddrV4;
    /// Sends to the endpoint's group (a multicast sender's destination).
    ///
    /// # Errors
    /// When the OS refuses the send; an endpoint without a group refuses every call.
    fn send(&self, payload: &[u8], detail: &str) -> Result<(), NetError>;
    /// Sends by unicast to `to`.
    ///
    /// # Errors
    /// When the OS refuses the send.
    fn send_to(&self, payload: &[u8], to: SocketAddrV4, detail: &str) -> Result<(), NetError>;
    /// The next datagram before `deadline`; `None` when none came.
    ///
    /// # Errors
    /// When the OS fails the receive.
    fn recv_until(&self, deadline: Instant) -> Result<Option<Datagram>, NetError>;
}

/// The time, and whether the run was asked to stop.
pub trait Clock: Sync {
    fn now(&self) -> Instant;
    /// Ctrl-C or SIGTERM arrived: windows end now and report what they saw.
    fn interrupted(&self) -> bool;
}

/// The real clock and the process's interrupt flag.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn interrupted(&self) -> bool {
        crate::interrupt::interrupted()
    }
}

impl Endpoint for MulticastSender {
    fn local_addr(&self) -> SocketAddrV4 {
        MulticastSender::local_addr(self)
    }
    fn send(&self, payload: &[u8], detail: &str) -> Result<(), NetError> {
        MulticastSender::send(self, payload, detail)
    }
    fn send_to(&self, payload: &[u8], to: SocketAddrV4, detail: &str) -> Result<(), NetError> {
        MulticastSender::send_to(self, payload, to, detail)
    }
    fn recv_until(&self, deadline: Instant) -> Result<Option<Datagram>, NetError> {
        MulticastSender::recv_until(self, deadline)
    }
}

impl Endpoint for UnicastSocket {
    fn local_addr(&self) -> SocketAddrV4 {
        UnicastSocket::local_addr(self)
    }
    fn send(&self, _payload: &[u8], detail: &str) -> Result<(), NetError> {
        Err(NetError::Unsupported {
            what: format!("send {detail} to a group from a unicast socket"),
            source: std::io::Error::new(std::io::ErrorKind::Unsupported, "a unicast socket has no group"),
        })
    }
    fn send_to(&self, payload: &[u8], to: SocketAddrV4, detail: &str) -> Result<(), NetError> {
        UnicastSocket::send_to(self, payload, to, detail)
    }
    fn recv_until(&self, deadline: Instant) -> Result<Option<Datagram>, NetError> {
        UnicastSocket::recv_until(self, deadline)
    }
}

/// Milliseconds, to a tenth, as reports show round trips.
#[must_use]
pub fn ms(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}
