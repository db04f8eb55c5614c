//! macOS (Darwin's BSD sockets): `recvmsg` with `IP_PKTINFO` and `IP_RECVTTL` control messages,
//! `IP_MULTICAST_IF` by address, and the same group-socket policy as Linux. Passive capture would need
//! BPF (`/dev/bpf*`), which is not implemented: those calls answer `Unsupported`, and the layer above
//! reports `skip` with the reason.
//!
//! Written from the BSD sources and Apple's headers (`netinet/in.h`, `ip(4)`); it compiles for both
//! macOS targets in CI but has not run on a Mac.
//!
//! Port sharing on BSD, which decides the policy:
//! - `SO_REUSEADDR` on a socket bound to a *multicast* address is treated as `SO_REUSEPORT`
//!   (`in_pcbbind`): any number of such sockets may share the group and port, and a socket bound to
//!   the group address matches only datagrams sent to the group, never the PBX's unicast.
//! - `SO_REUSEPORT` lets two sockets share a port outright, and the later one then receives unicast
//!   too: it is never set on the unicast leg, which binds without either flag and so fails with
//!   `EADDRINUSE` while a PBX holds the port (BSD checks a specific address against the wildcard).
//! - There is no `IP_MULTICAST_ALL`: a BSD socket hears only the groups it joined itself.

use std::io;
use std::mem::size_of;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;

use socket2::Socket;

use super::{BpfInstruction, DatagramMeta, FrameMeta};

/// What passive capture (BPF) would need here.
pub(crate) const CAPTURE_PRIVILEGE: &str = "run as root";

/// Room for `IP_PKTINFO` and `IP_RECVTTL` control messages with headers and padding (Darwin aligns
/// control messages to 4 bytes; 8-byte words are aligned for both).
const CONTROL_WORDS: usize = 16;

fn socklen_of<T>() -> libc::socklen_t {
    // The structs passed here are a few dozen bytes; the conversion cannot fail.
    libc::socklen_t::try_from(size_of::<T>()).unwrap_or(libc::socklen_t::MAX)
}

fn from_in_addr(address: libc::in_addr) -> Ipv4Addr {
    Ipv4Addr::from(address.s_addr.to_ne_bytes())
}

fn setsockopt<T>(socket: &Socket, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` is a live, initialised `T` and the length passed is exactly its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(value).cast::<libc::c_void>(),
            socklen_of::<T>(),
        )
    };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

pub(crate) fn interface_index(name: &str) -> io::Result<u32> {
    let c_name = std::ffi::CString::new(name).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("interface name {name:?} contains a NUL byte"))
    })?;
    // SAFETY: `c_name` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(c_name.as_ptr()) };
    if index == 0 { Err(io::Error::last_os_error()) } else { Ok(index) }
}

/// `IP_MULTICAST_IF` takes an address on BSD (there is no `ip_mreqn`): the interface that owns it
/// sends, and the address is the datagrams' source.
pub(crate) fn set_multicast_interface(socket: &Socket, index: u32, address: Ipv4Addr) -> io::Result<()> {
    if address.is_unspecified() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "macOS chooses the multicast interface by its IPv4 address, and interface {index} has none"
            ),
        ));
    }
    socket.set_multicast_if_v4(&address)
}

pub(crate) fn enable_datagram_metadata(socket: &Socket) -> io::Result<()> {
    let on: libc::c_int = 1;
    setsockopt(socket, libc::IPPROTO_IP, libc::IP_PKTINFO, &on)?;
    setsockopt(socket, libc::IPPROTO_IP, libc::IP_RECVTTL, &on)
}

pub(crate) fn recv_datagram(socket: &Socket, buf: &mut [u8]) -> io::Result<DatagramMeta> {
    // SAFETY: `sockaddr_in` is plain data; all zeroes is a valid empty address for recvmsg to fill.
    let mut source: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut control = [0u64; CONTROL_WORDS];
    let control_len = libc::socklen_t::try_from(CONTROL_WORDS * size_of::<u64>()).unwrap_or_default();
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: `msghdr` is plain data; all zeroes is a valid empty header, filled in below.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_name = std::ptr::from_mut(&mut source).cast();
    message.msg_namelen = socklen_of::<libc::sockaddr_in>();
    message.msg_iov = &raw mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = control_len;
    // SAFETY: every pointer in `message` refers to a live buffer of the length declared beside it
    // (`buf` through `iov`, `source`, `control`), all outliving the call.
    let received = unsafe { libc::recvmsg(socket.as_raw_fd(), &raw mut message, 0) };
    let len = usize::try_from(received).map_err(|_| io::Error::last_os_error())?;

    let mut meta = DatagramMeta {
        len: len.min(buf.len()),
        truncated: message.msg_flags & libc::MSG_TRUNC != 0,
        source: None,
        interface_index: None,
        destination: None,
        ttl: None,
    };
    if message.msg_namelen >= socklen_of::<libc::sockaddr_in>()
        && libc::c_int::from(source.sin_family) == libc::AF_INET
    {
        meta.source = Some(SocketAddrV4::new(from_in_addr(source.sin_addr), u16::from_be(source.sin_port)));
    }

    // SAFETY: `message` was filled in by a successful `recvmsg`, so its control pointer and length
    // describe the control messages the kernel wrote into `control`.
    let mut header = unsafe { libc::CMSG_FIRSTHDR(&raw const message) };
    while !header.is_null() {
        // SAFETY: CMSG_FIRSTHDR/CMSG_NXTHDR return either null or a header lying wholly inside the
        // control buffer, which is 8-byte aligned.
        let cmsg = unsafe { &*header };
        let data_len = usize::try_from(cmsg.cmsg_len).unwrap_or(0);
        let fits = |payload: usize| data_len >= control_message_len(payload);
        // SAFETY: `header` is a valid control message header (see above).
        let data = unsafe { libc::CMSG_DATA(header) };
        match (cmsg.cmsg_level, cmsg.cmsg_type) {
            (libc::IPPROTO_IP, libc::IP_PKTINFO) if fits(size_of::<libc::in_pktinfo>()) => {
                // SAFETY: the kernel wrote an `in_pktinfo` here and `fits` checked its length; the
                // data may be unaligned for the struct, hence `read_unaligned`.
                let info = unsafe { data.cast::<libc::in_pktinfo>().read_unaligned() };
                meta.interface_index = Some(info.ipi_ifindex);
                meta.destination = Some(from_in_addr(info.ipi_addr));
            }
            // Darwin reports the TTL as one byte under `IP_RECVTTL` (Linux: an int under `IP_TTL`).
            (libc::IPPROTO_IP, libc::IP_RECVTTL) if fits(size_of::<u8>()) => {
                // SAFETY: the kernel wrote one byte here and `fits` checked the length.
                meta.ttl = Some(unsafe { data.read() });
            }
            _ => {}
        }
        // SAFETY: `header` came from CMSG_FIRSTHDR/CMSG_NXTHDR on this same `message`.
        header = unsafe { libc::CMSG_NXTHDR(&raw const message, header) };
    }
    Ok(meta)
}

/// The `cmsg_len` of a control message carrying `payload` bytes.
fn control_message_len(payload: usize) -> usize {
    let payload = u32::try_from(payload).unwrap_or(u32::MAX);
    // SAFETY: CMSG_LEN only does arithmetic on its argument; it touches no memory.
    let len = unsafe { libc::CMSG_LEN(payload) };
    usize::try_from(len).unwrap_or(usize::MAX)
}

fn no_bpf<T>() -> io::Result<T> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "passive capture on macOS would read BPF (/dev/bpf*), which mcready does not implement yet",
    ))
}

pub(crate) fn open_packet_socket(_interface_index: u32, _filter: &[BpfInstruction]) -> io::Result<Socket> {
    no_bpf()
}

pub(crate) fn add_packet_membership(
    _socket: &Socket,
    _interface_index: u32,
    _mac: [u8; 6],
) -> io::Result<()> {
    no_bpf()
}

pub(crate) fn recv_frame(_socket: &Socket, _buf: &mut [u8]) -> io::Result<FrameMeta> {
    no_bpf()
}

/// Binds the group address with `SO_REUSEADDR`, which BSD treats as `SO_REUSEPORT` for a multicast
/// address: the port is shared with a PBX and other listeners, and only datagrams to the group arrive.
pub(crate) fn bind_group_receiver(socket: &Socket, group: SocketAddrV4) -> io::Result<super::GroupBind> {
    socket.set_reuse_address(true)?;
    socket.bind(&socket2::SockAddr::from(group))?;
    Ok(super::GroupBind::Bound)
}

/// Neither `SO_REUSEADDR` nor `SO_REUSEPORT`: a port a PBX holds (even on the wildcard address) makes
/// this bind fail rather than take its unicast.
pub(crate) fn bind_exclusive(socket: &Socket, local: SocketAddrV4) -> io::Result<()> {
    socket.set_reuse_address(false)?;
    socket.set_reuse_port(false)?;
    socket.bind(&socket2::SockAddr::from(local))
}

pub(crate) fn set_receive_buffer(socket: &Socket, bytes: usize) -> io::Result<usize> {
    socket.set_recv_buffer_size(bytes)?;
    socket.recv_buffer_size()
}
