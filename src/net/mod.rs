//! The sockets mcready observes and talks through: a multicast sender, a group receiver, a unicast
//! socket for the peer protocol, a passive capture, and the IGMP querier watch — plus the pure parsers
//! of what they read ([`packet`], [`igmp`]).
//!
//! Two rules shape everything here (see `docs/net.md`):
//! - **Never steal the PBX's traffic.** The receiver binds the group address, never `0.0.0.0:5060`,
//!   and the unicast socket never sets `SO_REUSEADDR`: when a port cannot be shared, the caller gets a
//!   typed [`NetError::AddressInUse`] and falls back to [`capture`].
//! - **Do not change what you measure.** Every join, leave and send is recorded in [`OwnActions`], so a
//!   report can tell mcready's own traffic from the network's.
//!
//! OS-specific calls live in `sys` (the only module with `cfg(target_os)` and `unsafe`).
//!
//! ```no_run
//! use std::time::{Duration, Instant};
//! use mcready::net::{LocalInterface, MulticastSender, OwnActions, SenderOptions};
//!
//! let actions = OwnActions::new(Instant::now());
//! let eth0 = LocalInterface::lookup("eth0", "198.51.100.10".parse()?)?;
//! let sender = MulticastSender::open(&eth0, SenderOptions::default(), &actions)?;
//! sender.send(b"SUBSCRIBE ...", "PnP SUBSCRIBE")?;
//! if let Some(answer) = sender.recv_until(Instant::now() + Duration::from_secs(2))? {
//!     println!("{} answered", answer.source);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod actions;
pub mod capture;
pub mod discovery;
pub mod igmp;
pub mod packet;
pub mod peer;
pub mod provision;
pub mod querier;
pub mod reassembly;
pub mod socket;
#[allow(unsafe_code)]
mod sys;

pub use actions::OwnActions;
pub use capture::{
    Capture, CaptureFilter, CaptureOptions, CapturedFrame, Direction, Frame, LINK_LAYER_CAPTURE, LinkFrame,
    file_ports, multicast_mac,
};
pub use igmp::{IgmpMessage, IgmpPacket, IgmpQuery, IgmpVersion, QueryScope, parse_igmp};
pub use packet::{Ipv4Packet, PacketError, Transport, parse_ipv4};
pub use querier::{FastDetection, HeardQuery, QuerierWatch, scratch_group};
pub use socket::{Datagram, GroupReceiver, MulticastSender, SenderOptions, UnicastSocket};
pub use sys::BpfInstruction;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};

use crate::facts::Interface;

/// How to run so that passive capture works on this OS, in the words an admin acts on ("run as root or
/// with `CAP_NET_RAW`", "run from an elevated prompt"): for the `skip` that says so.
pub const CAPTURE_PRIVILEGE: &str = sys::CAPTURE_PRIVILEGE;

/// Why a socket could not be opened or used. Each variant names the thing and carries the OS error.
#[derive(Debug)]
pub enum NetError {
    /// Another socket holds the address and does not share it: the caller should fall back to
    /// passive capture (for the group port) or report who holds it.
    AddressInUse { address: SocketAddrV4, source: io::Error },
    /// This OS cannot open a socket on the group's port that is sure never to take the PBX's unicast
    /// (the socket policy of `sys`): hear the group by passive capture instead.
    NeedsCapture { address: SocketAddrV4, reason: &'static str },
    /// The operation needs a privilege this process lacks (raw or packet sockets need `CAP_NET_RAW`
    /// on Linux, an elevated token on Windows: [`CAPTURE_PRIVILEGE`]): the check that needed it is
    /// `skip`.
    NoPrivilege { what: String, source: io::Error },
    /// This OS has no implementation of the operation yet.
    Unsupported { what: String, source: io::Error },
    /// Any other OS refusal.
    Os { what: String, source: io::Error },
}

impl NetError {
    /// Sorts an OS error from `what` into the variant a caller can act on.
    fn classify(what: impl Into<String>, source: io::Error) -> Self {
        let what = what.into();
        match source.kind() {
            io::ErrorKind::PermissionDenied => Self::NoPrivilege { what, source },
            io::ErrorKind::Unsupported => Self::Unsupported { what, source },
            _ => Self::Os { what, source },
        }
    }

    fn os(what: impl Into<String>, source: io::Error) -> Self {
        match source.kind() {
            io::ErrorKind::Unsupported => Self::Unsupported { what: what.into(), source },
            _ => Self::Os { what: what.into(), source },
        }
    }

    /// A bind failure: `EADDRINUSE` becomes [`NetError::AddressInUse`].
    fn bind(address: SocketAddrV4, source: io::Error) -> Self {
        if source.kind() == io::ErrorKind::AddrInUse {
            Self::AddressInUse { address, source }
        } else {
            Self::os(format!("bind {address}"), source)
        }
    }
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AddressInUse { address, .. } => {
                write!(f, "cannot bind {address}: another process holds the port exclusively (EADDRINUSE)")
            }
            Self::NeedsCapture { address, reason } => {
                write!(f, "will not bind {address}: {reason}")
            }
            Self::NoPrivilege { what, source } => {
                write!(f, "cannot {what}: needs raw-socket privilege ({CAPTURE_PRIVILEGE}): {source}")
            }
            Self::Unsupported { what, source } | Self::Os { what, source } => {
                write!(f, "cannot {what}: {source}")
            }
        }
    }
}

impl std::error::Error for NetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NeedsCapture { .. } => None,
            Self::AddressInUse { source, .. }
            | Self::NoPrivilege { source, .. }
            | Self::Unsupported { source, .. }
            | Self::Os { source, .. } => Some(source),
        }
    }
}

/// The interface a socket works through: its name (for records and messages), index (what the kernel
/// keys joins and `IP_MULTICAST_IF` by) and the IPv4 address used as source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalInterface {
    pub name: String,
    pub index: u32,
    pub address: Ipv4Addr,
}

impl LocalInterface {
    #[must_use]
    pub fn new(name: impl Into<String>, index: u32, address: Ipv4Addr) -> Self {
        Self { name: name.into(), index, address }
    }

    /// The interface as the platform gathered it, with its first IPv4 address; `None` without one.
    #[must_use]
    pub fn from_facts(interface: &Interface) -> Option<Self> {
        let address = interface.ipv4.iter().find_map(|net| match net.addr {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })?;
        Some(Self::new(interface.name.clone(), interface.index, address))
    }

    /// Looks the index of `name` up in the calling thread's network namespace.
    ///
    /// # Errors
    /// When there is no such interface.
    pub fn lookup(name: &str, address: Ipv4Addr) -> Result<Self, NetError> {
        let index =
            sys::interface_index(name).map_err(|e| NetError::os(format!("find interface {name}"), e))?;
        Ok(Self::new(name, index, address))
    }
}
