//! Linux and macOS: one BSD-socket implementation, with `cfg` only where the two kernels differ.
//!
//! Shared: `recvmsg` with `IP_PKTINFO` and a TTL control message, and the walk over the control
//! messages; `if_nametoindex`; binding the group address with `SO_REUSEADDR` for the group receiver and
//! without it for the unicast leg. Where they differ:
//! - the TTL arrives as an `int` under `IP_TTL` on Linux, as one byte under `IP_RECVTTL` on Darwin;
//! - `IP_MULTICAST_IF` takes an `ip_mreqn` (the interface by index) on Linux, an address on BSD;
//! - Linux turns `IP_MULTICAST_ALL` off, which BSD does not have (a BSD socket hears only the groups it
//!   joined itself); macOS also turns `SO_REUSEPORT` off on the unicast leg;
//! - `SO_RCVBUFFORCE` exists on Linux only;
//! - passive capture is Linux's `AF_PACKET` socket bound to one interface. macOS would need BPF
//!   (`/dev/bpf*`), which is not implemented: those calls answer `Unsupported`, and the layer above
//!   reports `skip` with the reason.
//!
//! The macOS half was written from the BSD sources and Apple's headers (`netinet/in.h`, `ip(4)`); it
//! compiles for both macOS targets in CI but has not run on a Mac.
//!
//! Port sharing on BSD, which decides macOS's policy:
//! - `SO_REUSEADDR` on a socket bound to a *multicast* address is treated as `SO_REUSEPORT`
//!   (`in_pcbbind`): any number of such sockets may share the group and port, and a socket bound to
//!   the group address matches only datagrams sent to the group, never the PBX's unicast.
//! - `SO_REUSEPORT` lets two sockets share a port outright, and the later one then receives unicast
//!   too: it is never set on the unicast leg, which binds without either flag and so fails with
//!   `EADDRINUSE` while a PBX holds the port (BSD checks a specific address against the wildcard).

use std::ffi::CString;
use std::io;
use std::mem::size_of;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;

use socket2::Socket;

use super::{BpfInstruction, DatagramMeta, FrameMeta};

/// What passive capture needs here, in the words an admin acts on.
#[cfg(target_os = "linux")]
pub(crate) const CAPTURE_PRIVILEGE: &str = "run as root or with CAP_NET_RAW";
/// What passive capture (BPF) would need here.
#[cfg(target_os = "macos")]
pub(crate) const CAPTURE_PRIVILEGE: &str = "run as root";

/// The control message that carries a datagram's TTL once `IP_RECVTTL` is on, and its payload: Linux
/// writes an `int` under `IP_TTL`, Darwin one byte under `IP_RECVTTL`.
#[cfg(target_os = "linux")]
const TTL_MESSAGE: (libc::c_int, libc::c_int) = (libc::IPPROTO_IP, libc::IP_TTL);
#[cfg(target_os = "linux")]
type TtlPayload = libc::c_int;
#[cfg(target_os = "macos")]
const TTL_MESSAGE: (libc::c_int, libc::c_int) = (libc::IPPROTO_IP, libc::IP_RECVTTL);
#[cfg(target_os = "macos")]
type TtlPayload = u8;

/// Room for `IP_PKTINFO` and TTL control messages with headers and padding. 8-byte words: Linux's
/// `cmsghdr` starts with a `size_t`, Darwin aligns control messages to 4 bytes.
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
    let c_name = CString::new(name).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("interface name {name:?} contains a NUL byte"))
    })?;
    // SAFETY: `c_name` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(c_name.as_ptr()) };
    if index == 0 { Err(io::Error::last_os_error()) } else { Ok(index) }
}

/// `IP_MULTICAST_IF` with an `ip_mreqn`: the index picks the interface even when several share an
/// address (or it has several), and the address is the source the kernel puts on the datagrams.
#[cfg(target_os = "linux")]
pub(crate) fn set_multicast_interface(socket: &Socket, index: u32, address: Ipv4Addr) -> io::Result<()> {
    let in_addr = |address: Ipv4Addr| libc::in_addr { s_addr: u32::from_ne_bytes(address.octets()) };
    let request = libc::ip_mreqn {
        imr_multiaddr: in_addr(Ipv4Addr::UNSPECIFIED),
        imr_address: in_addr(address),
        imr_ifindex: linux::to_c_int(index, "interface index")?,
    };
    setsockopt(socket, libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &request)
}

/// `IP_MULTICAST_IF` takes an address on BSD (there is no `ip_mreqn`): the interface that owns it
/// sends, and the address is the datagrams' source.
#[cfg(target_os = "macos")]
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
    // SAFETY: `sockaddr_in` is plain data (Darwin's has a `sin_len` Linux's lacks, hence no struct
    // literal); all zeroes is a valid empty address for recvmsg to fill.
    let mut source: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut control = [0u64; CONTROL_WORDS];
    // `msg_controllen` is a `size_t` on glibc, a `socklen_t` on musl and Darwin; 128 fits either.
    #[allow(clippy::useless_conversion)]
    let control_len = (CONTROL_WORDS * size_of::<u64>()).try_into().unwrap_or_default();
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: `msghdr` is plain data (some libcs add private padding fields, hence no struct literal);
    // all zeroes is a valid empty header, filled in below.
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
        // control buffer; the buffer is 8-byte aligned, as `cmsghdr` needs.
        let cmsg = unsafe { &*header };
        // `size_t` on glibc, `socklen_t` on musl and Darwin.
        #[allow(clippy::useless_conversion)]
        let data_len = usize::try_from(cmsg.cmsg_len).unwrap_or(0);
        let fits = |payload: usize| data_len >= control_message_len(payload);
        // SAFETY: `header` is a valid control message header (see above).
        let data = unsafe { libc::CMSG_DATA(header) };
        match (cmsg.cmsg_level, cmsg.cmsg_type) {
            (libc::IPPROTO_IP, libc::IP_PKTINFO) if fits(size_of::<libc::in_pktinfo>()) => {
                // SAFETY: the kernel wrote an `in_pktinfo` here and `fits` checked its length; the
                // data may be unaligned for the struct, hence `read_unaligned`.
                let info = unsafe { data.cast::<libc::in_pktinfo>().read_unaligned() };
                // A signed `int` on Linux, unsigned on Darwin.
                meta.interface_index = u32::try_from(i64::from(info.ipi_ifindex)).ok();
                meta.destination = Some(from_in_addr(info.ipi_addr));
            }
            TTL_MESSAGE if fits(size_of::<TtlPayload>()) => {
                // SAFETY: the kernel wrote a `TtlPayload` here and `fits` checked its length; the data
                // may be unaligned for an `int`, hence `read_unaligned`.
                let ttl = unsafe { data.cast::<TtlPayload>().read_unaligned() };
                meta.ttl = u8::try_from(i64::from(ttl)).ok();
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

/// Socket policy "hear the group, never the PBX's unicast": `SO_REUSEADDR` so a PBX that shares the
/// port keeps working, and the **group** address bound. Never 0.0.0.0: with `SO_REUSEADDR` on both,
/// Linux hands unicast for the port to the most recent wildcard bind; BSD treats `SO_REUSEADDR` on a
/// multicast address as `SO_REUSEPORT`, and only datagrams to the group arrive. Linux also turns
/// `IP_MULTICAST_ALL` off so the socket hears only the groups it joined itself, as a BSD socket does.
pub(crate) fn bind_group_receiver(socket: &Socket, group: SocketAddrV4) -> io::Result<super::GroupBind> {
    socket.set_reuse_address(true)?;
    #[cfg(target_os = "linux")]
    socket.set_multicast_all_v4(false)?;
    socket.bind(&socket2::SockAddr::from(group))?;
    Ok(super::GroupBind::Bound)
}

/// Nothing to account for: these OSes name the owner of every socket.
pub(crate) fn group_receiver_closed(_port: u16) {}

/// Socket policy "own this address outright": no `SO_REUSEADDR` (nor, on macOS, `SO_REUSEPORT`), so a
/// port a PBX holds (even on the wildcard address) fails with `EADDRINUSE` rather than being shared —
/// and a later PBX cannot share it with mcready either.
pub(crate) fn bind_exclusive(socket: &Socket, local: SocketAddrV4) -> io::Result<()> {
    socket.set_reuse_address(false)?;
    #[cfg(target_os = "macos")]
    socket.set_reuse_port(false)?;
    socket.bind(&socket2::SockAddr::from(local))
}

/// Asks for a receive buffer of `bytes` and returns what the kernel granted. On Linux
/// `SO_RCVBUFFORCE` first (with `CAP_NET_ADMIN` it may exceed `net.core.rmem_max`, which a burst of
/// small datagrams fills in milliseconds), else `SO_RCVBUF` (capped by the kernel).
pub(crate) fn set_receive_buffer(socket: &Socket, bytes: usize) -> io::Result<usize> {
    #[cfg(target_os = "linux")]
    {
        let wanted = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        if setsockopt(socket, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &wanted).is_ok() {
            return socket.recv_buffer_size();
        }
    }
    socket.set_recv_buffer_size(bytes)?;
    socket.recv_buffer_size()
}

#[cfg(target_os = "linux")]
pub(crate) use linux::{add_packet_membership, open_packet_socket, recv_frame, set_packet_filter};
#[cfg(target_os = "macos")]
pub(crate) use macos::{add_packet_membership, open_packet_socket, recv_frame, set_packet_filter};

/// Passive capture on Linux: `AF_PACKET` sockets bound to one interface.
#[cfg(target_os = "linux")]
mod linux {
    use std::io;
    use std::os::fd::AsRawFd;

    use socket2::{Domain, SockFilter, Socket, Type};

    use super::{BpfInstruction, FrameMeta, setsockopt, socklen_of};

    pub(super) fn to_c_int(value: u32, what: &str) -> io::Result<libc::c_int> {
        libc::c_int::try_from(value).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{what} {value} is out of range"))
        })
    }

    fn packet_address(interface_index: u32) -> io::Result<libc::sockaddr_ll> {
        Ok(libc::sockaddr_ll {
            sll_family: u16::try_from(libc::AF_PACKET).unwrap_or_default(),
            sll_protocol: u16::try_from(libc::ETH_P_ALL).unwrap_or_default().to_be(),
            sll_ifindex: to_c_int(interface_index, "interface index")?,
            sll_hatype: 0,
            sll_pkttype: 0,
            sll_halen: 0,
            sll_addr: [0; 8],
        })
    }

    /// A cooked (`SOCK_DGRAM`) packet socket: frames arrive without their link header, so the same
    /// parser serves Ethernet, Wi-Fi and tunnels. `ETH_P_ALL`, because only those sockets see outgoing
    /// frames.
    pub(crate) fn open_packet_socket(interface_index: u32, filter: &[BpfInstruction]) -> io::Result<Socket> {
        // Protocol 0 at creation: the socket receives nothing until `bind` names the interface, so no
        // frame from another interface slips in between.
        let socket = Socket::new(Domain::PACKET, Type::DGRAM, None)?;
        if !filter.is_empty() {
            let program: Vec<SockFilter> =
                filter.iter().map(|i| SockFilter::new(i.code, i.jt, i.jf, i.k)).collect();
            socket.attach_filter(&program)?;
        }
        let address = packet_address(interface_index)?;
        // SAFETY: `address` is an initialised `sockaddr_ll` and the length passed is its size.
        let rc = unsafe {
            libc::bind(
                socket.as_raw_fd(),
                std::ptr::from_ref(&address).cast::<libc::sockaddr>(),
                socklen_of::<libc::sockaddr_ll>(),
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(socket)
    }

    /// Replaces the socket's filter (`SO_ATTACH_FILTER` again): the kernel swaps programs atomically.
    pub(crate) fn set_packet_filter(socket: &Socket, filter: &[BpfInstruction]) -> io::Result<()> {
        let program: Vec<SockFilter> =
            filter.iter().map(|i| SockFilter::new(i.code, i.jt, i.jf, i.k)).collect();
        socket.attach_filter(&program)
    }

    /// `PACKET_ADD_MEMBERSHIP` of a multicast MAC: keeps it in the NIC's hardware filter for as long as
    /// the socket lives, without an IP-level join (so no IGMP report goes out).
    pub(crate) fn add_packet_membership(
        socket: &Socket,
        interface_index: u32,
        mac: [u8; 6],
    ) -> io::Result<()> {
        let mut address = [0u8; 8];
        address[..6].copy_from_slice(&mac);
        let request = libc::packet_mreq {
            mr_ifindex: to_c_int(interface_index, "interface index")?,
            mr_type: u16::try_from(libc::PACKET_MR_MULTICAST).unwrap_or_default(),
            mr_alen: 6,
            mr_address: address,
        };
        setsockopt(socket, libc::SOL_PACKET, libc::PACKET_ADD_MEMBERSHIP, &request)
    }

    pub(crate) fn recv_frame(socket: &Socket, buf: &mut [u8]) -> io::Result<FrameMeta> {
        let mut from = packet_address(0)?;
        let mut from_len = socklen_of::<libc::sockaddr_ll>();
        // SAFETY: `buf` and `from` are live buffers of the lengths passed; MSG_TRUNC makes the kernel
        // return the frame's full length while still writing at most `buf.len()` bytes.
        let received = unsafe {
            libc::recvfrom(
                socket.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_TRUNC,
                std::ptr::from_mut(&mut from).cast::<libc::sockaddr>(),
                &raw mut from_len,
            )
        };
        let len = usize::try_from(received).map_err(|_| io::Error::last_os_error())?;
        let source_mac = (from.sll_halen == 6).then(|| {
            let mut mac = [0u8; 6];
            mac.copy_from_slice(&from.sll_addr[..6]);
            mac
        });
        Ok(FrameMeta {
            len: len.min(buf.len()),
            truncated: len > buf.len(),
            interface_index: u32::try_from(from.sll_ifindex).unwrap_or(0),
            packet_type: from.sll_pkttype,
            protocol: u16::from_be(from.sll_protocol),
            source_mac,
        })
    }
}

/// Passive capture on macOS would read BPF, which is not implemented: every call says so.
#[cfg(target_os = "macos")]
mod macos {
    use std::io;

    use socket2::Socket;

    use super::{BpfInstruction, FrameMeta};

    fn no_bpf<T>() -> io::Result<T> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "passive capture on macOS would read BPF (/dev/bpf*), which mcready does not implement yet",
        ))
    }

    pub(crate) fn open_packet_socket(
        _interface_index: u32,
        _filter: &[BpfInstruction],
    ) -> io::Result<Socket> {
        no_bpf()
    }

    pub(crate) fn add_packet_membership(
        _socket: &Socket,
        _interface_index: u32,
        _mac: [u8; 6],
    ) -> io::Result<()> {
        no_bpf()
    }

    pub(crate) fn set_packet_filter(_socket: &Socket, _filter: &[BpfInstruction]) -> io::Result<()> {
        no_bpf()
    }

    pub(crate) fn recv_frame(_socket: &Socket, _buf: &mut [u8]) -> io::Result<FrameMeta> {
        no_bpf()
    }
}
