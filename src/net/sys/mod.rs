//! The OS-specific half of `net`: socket options and calls that socket2 does not offer portably
//! (per-datagram metadata through `recvmsg`, `IP_MULTICAST_IF` by index, packet sockets).
//!
//! This is the only place in `net` that names an OS, and the only place in `net` allowed `unsafe`:
//! every block says why it is sound. Each OS module offers the same functions; an OS without an
//! implementation yet answers `io::ErrorKind::Unsupported`, which the layer above turns into
//! [`super::NetError::Unsupported`]. Linux and macOS (`macos`, without BPF capture) are implemented;
//! other OSes get `unsupported`.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub(crate) use macos::*;

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod unsupported;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) use unsupported::*;

use std::net::{Ipv4Addr, SocketAddrV4};

/// Whether this OS's capture hands over link-layer frames (ARP, LLDP, CDP) besides IPv4: only
/// Linux's packet socket does (Windows' `SIO_RCVALL` sees IPv4 alone, macOS has no capture yet).
pub(crate) const LINK_LAYER_CAPTURE: bool = cfg!(target_os = "linux");

/// How an OS lets a socket hear a group without ever taking unicast meant for another process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupBind {
    /// Bound as asked: the socket hears only the group (and shares the port with a PBX).
    #[cfg_attr(not(any(target_os = "linux", target_os = "macos")), allow(dead_code))]
    Bound,
    /// This OS cannot keep the PBX's unicast away from such a socket: hear the group by capture instead.
    #[cfg_attr(any(target_os = "linux", target_os = "macos"), allow(dead_code))]
    UseCapture(&'static str),
}

/// What `recvmsg` told about one datagram besides its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DatagramMeta {
    /// Bytes written into the buffer.
    pub len: usize,
    /// The datagram was longer than the buffer.
    pub truncated: bool,
    pub source: Option<SocketAddrV4>,
    /// From `IP_PKTINFO`: the interface it arrived on and the destination address in its IP header.
    pub interface_index: Option<u32>,
    pub destination: Option<Ipv4Addr>,
    /// From `IP_RECVTTL`.
    pub ttl: Option<u8>,
}

/// What a packet socket told about one frame besides its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameMeta {
    pub len: usize,
    pub truncated: bool,
    pub interface_index: u32,
    /// `sll_pkttype`: host, broadcast, multicast, other host, outgoing.
    pub packet_type: u8,
    /// The `EtherType`, host order.
    pub protocol: u16,
    pub source_mac: Option<[u8; 6]>,
}

/// One classic BPF instruction, as `struct sock_filter` lays it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BpfInstruction {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}
