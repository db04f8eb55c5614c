//! Placeholders for OSes without a `net` implementation yet: every call answers `Unsupported`, so
//! callers report `skip` with the reason instead of failing to build or crashing.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};

use socket2::Socket;

use super::{BpfInstruction, DatagramMeta, FrameMeta};

pub(crate) const CAPTURE_PRIVILEGE: &str = "run as root";

fn unsupported<T>(what: &str) -> io::Result<T> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{what} is implemented for Linux, macOS and Windows only so far"),
    ))
}

pub(crate) fn interface_index(_name: &str) -> io::Result<u32> {
    unsupported("looking up an interface index")
}

pub(crate) fn set_multicast_interface(_socket: &Socket, _index: u32, _address: Ipv4Addr) -> io::Result<()> {
    unsupported("choosing the multicast interface by index")
}

pub(crate) fn enable_datagram_metadata(_socket: &Socket) -> io::Result<()> {
    unsupported("per-datagram metadata (IP_PKTINFO, IP_RECVTTL)")
}

pub(crate) fn recv_datagram(_socket: &Socket, _buf: &mut [u8]) -> io::Result<DatagramMeta> {
    unsupported("receiving with per-datagram metadata")
}

pub(crate) fn open_packet_socket(_interface_index: u32, _filter: &[BpfInstruction]) -> io::Result<Socket> {
    unsupported("passive capture")
}

pub(crate) fn set_packet_filter(_socket: &Socket, _filter: &[BpfInstruction]) -> io::Result<()> {
    unsupported("passive capture")
}

pub(crate) fn add_packet_membership(
    _socket: &Socket,
    _interface_index: u32,
    _mac: [u8; 6],
) -> io::Result<()> {
    unsupported("passive capture")
}

pub(crate) fn recv_frame(_socket: &Socket, _buf: &mut [u8]) -> io::Result<FrameMeta> {
    unsupported("passive capture")
}

/// No policy is known for this OS yet: its port-sharing rules are not verified, so the group is heard by
/// capture (where there is one) rather than risk taking a PBX's unicast. The `Result` keeps the
/// signature every OS module shares.
#[allow(clippy::unnecessary_wraps)]
pub(crate) fn bind_group_receiver(_socket: &Socket, _group: SocketAddrV4) -> io::Result<super::GroupBind> {
    Ok(super::GroupBind::UseCapture("this OS's port-sharing rules are not verified yet"))
}

/// Nothing to account for: these OSes name the owner of every socket.
pub(crate) fn group_receiver_closed(_port: u16) {}

/// Without `SO_REUSEADDR` a bind to a taken port fails on every BSD-socket OS.
pub(crate) fn bind_exclusive(socket: &Socket, local: SocketAddrV4) -> io::Result<()> {
    socket.set_reuse_address(false)?;
    socket.bind(&socket2::SockAddr::from(local))
}

pub(crate) fn set_receive_buffer(socket: &Socket, bytes: usize) -> io::Result<usize> {
    socket.set_recv_buffer_size(bytes)?;
    socket.recv_buffer_size()
}
