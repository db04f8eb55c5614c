//! Windows (Winsock): `WSARecvMsg` with `IP_PKTINFO`/`IP_RECVTTL` control messages, `IP_MULTICAST_IF`
//! by interface index, the group receiver's "bind only a port no other process holds" policy, and
//! passive capture through a raw socket with `SIO_RCVALL`.
//!
//! Port sharing on Windows, which decides the policy (Microsoft, "Using `SO_REUSEADDR` and
//! `SO_EXCLUSIVEADDRUSE`"):
//! - A socket cannot be bound to a multicast address; a group receiver binds `0.0.0.0:port`.
//! - With `SO_REUSEADDR` such a socket may be bound beside a PBX's, and which of the two then gets a
//!   unicast datagram for the port is indeterminate: mcready would take the PBX's SIP. So the receiver
//!   binds the port only when the UDP table (`GetExtendedUdpTable`, read through
//!   [`crate::platform::udp_sockets_on_port`]) shows no other process's socket on it. When a PBX
//!   holds the port the answer is "use the capture" ([`super::GroupBind::UseCapture`]).
//! - The receiver sets `SO_REUSEADDR`, not `SO_EXCLUSIVEADDRUSE`: one `check` runs up to three group
//!   receivers at once (the probe's looped-back copy, the peer test's answer, the listening window),
//!   and an exclusive first one would shut the others out. Multicast reaches every socket that joined.
//!   What this leaves open: a PBX started during mcready's seconds on the port could bind beside it
//!   with `SO_REUSEADDR` — only under the same account, since Windows refuses another account's reuse
//!   of a port (enhanced socket security, Windows Server 2003 on) — and lose unicast to it until
//!   mcready ends; a PBX binding without `SO_REUSEADDR` fails to bind either way.
//! - The unicast legs bind with `SO_EXCLUSIVEADDRUSE`: without it a later socket with `SO_REUSEADDR`
//!   could take the port over. Except beside mcready's own group receiver (`respond`), see
//!   [`bind_exclusive`].
//!
//! Capture: a raw `IPPROTO_IP` socket bound to the interface's IPv4 address, switched to
//! `SIO_RCVALL`/`RCVALL_ON`, receives every IPv4 packet through that interface, IP header first (no
//! link header, so no source MAC), and puts the NIC in promiscuous mode where it supports it — so the
//! NIC does not need the group's MAC added. Creating the socket needs an elevated token: without one
//! Windows answers `WSAEACCES`, which becomes [`super::super::NetError::NoPrivilege`]. Windows has no
//! kernel filter for such a socket: the capture's BPF program runs in user space ([`super::bpf`]).
//! Microsoft's page does not say whether packets this host sends are delivered too; a packet whose
//! source is the bound address is reported as outgoing when it is.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::windows::io::AsRawSocket;
use std::sync::{Mutex, OnceLock, PoisonError};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use windows_sys::Win32::Foundation::{ERROR_INSUFFICIENT_BUFFER, NO_ERROR};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    ConvertInterfaceAliasToLuid, ConvertInterfaceLuidToIndex, GetIpAddrTable, MIB_IPADDRROW_XP,
    if_nametoindex,
};
use windows_sys::Win32::NetworkManagement::Ndis::NET_LUID_LH;
use windows_sys::Win32::Networking::WinSock::{
    IP_PKTINFO, IP_RECVTTL, IPPROTO_IP, LPFN_WSARECVMSG, MSG_TRUNC, RCVALL_ON,
    SIO_GET_EXTENSION_FUNCTION_POINTER, SIO_RCVALL, SO_EXCLUSIVEADDRUSE, SOCKET, SOL_SOCKET, WSABUF,
    WSAEACCES, WSAECONNRESET, WSAEINVAL, WSAEMSGSIZE, WSAEOPNOTSUPP, WSAEPROTONOSUPPORT, WSAESOCKTNOSUPPORT,
    WSAGetLastError, WSAID_WSARECVMSG, WSAIoctl, WSAMSG, setsockopt as ws_setsockopt,
};

use super::{BpfInstruction, DatagramMeta, FrameMeta, bpf, wsa_control};

/// What passive capture needs here, in the words an admin acts on.
pub(crate) const CAPTURE_PRIVILEGE: &str =
    "run from an elevated prompt (right-click the terminal, Run as administrator)";

/// The `EtherType` of IPv4: all a `SIO_RCVALL` IPv4 socket ever receives.
const ETHERTYPE_IPV4: u16 = 0x0800;
/// Linux's `PACKET_*` types, which [`FrameMeta::packet_type`] speaks.
const PACKET_HOST: u8 = 0;
const PACKET_BROADCAST: u8 = 1;
const PACKET_MULTICAST: u8 = 2;
const PACKET_OUTGOING: u8 = 4;

fn raw(socket: &Socket) -> SOCKET {
    // A SOCKET is a pointer-sized handle; the std handle is its value.
    SOCKET::try_from(socket.as_raw_socket()).unwrap_or(SOCKET::MAX)
}

fn last_error() -> io::Error {
    // SAFETY: reads the calling thread's last Winsock error; no arguments.
    io::Error::from_raw_os_error(unsafe { WSAGetLastError() })
}

fn setsockopt<T>(socket: &Socket, level: i32, name: i32, value: &T) -> io::Result<()> {
    let len = i32::try_from(size_of::<T>()).unwrap_or(i32::MAX);
    // SAFETY: `value` is a live, initialised `T` and the length passed is exactly its size.
    let rc = unsafe { ws_setsockopt(raw(socket), level, name, std::ptr::from_ref(value).cast(), len) };
    if rc == 0 { Ok(()) } else { Err(last_error()) }
}

/// The index of the adapter whose alias (what `Get-NetAdapter` shows as Name, and mcready as the
/// interface name) is `name`; else `name` read as an NDIS interface name (`if_nametoindex`).
pub(crate) fn interface_index(name: &str) -> io::Result<u32> {
    let wide: Vec<u16> = name.encode_utf16().chain(std::iter::once(0)).collect();
    let mut luid = NET_LUID_LH::default();
    // SAFETY: `wide` is NUL-terminated and outlives the call; `luid` is written on success.
    if unsafe { ConvertInterfaceAliasToLuid(wide.as_ptr(), &raw mut luid) } == NO_ERROR {
        let mut index = 0u32;
        // SAFETY: `luid` was filled in by the call above; `index` is written on success.
        if unsafe { ConvertInterfaceLuidToIndex(&raw const luid, &raw mut index) } == NO_ERROR {
            return Ok(index);
        }
    }
    let c_name = std::ffi::CString::new(name).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("interface name {name:?} contains a NUL byte"))
    })?;
    // SAFETY: `c_name` is a valid NUL-terminated string that outlives the call.
    match unsafe { if_nametoindex(c_name.as_ptr().cast()) } {
        0 => Err(io::Error::new(io::ErrorKind::NotFound, format!("no adapter is called {name:?}"))),
        index => Ok(index),
    }
}

/// `IP_MULTICAST_IF` with the interface index (Windows reads an address in 0.0.0.0/8 as an index),
/// which picks the adapter even when another has the same address; by address where the index form is
/// refused (wine passes the value on to Linux, which takes only addresses).
pub(crate) fn set_multicast_interface(socket: &Socket, index: u32, address: Ipv4Addr) -> io::Result<()> {
    match socket.set_multicast_if_v4(&Ipv4Addr::from(index)) {
        Err(by_index) if !address.is_unspecified() => {
            socket.set_multicast_if_v4(&address).map_err(|_| by_index)
        }
        result => result,
    }
}

pub(crate) fn enable_datagram_metadata(socket: &Socket) -> io::Result<()> {
    let on: u32 = 1;
    setsockopt(socket, IPPROTO_IP, IP_PKTINFO, &on)?;
    // Windows before 10 lacks IP_RECVTTL: the TTL is then unknown, which the report says, rather than
    // the socket being unusable.
    let _ = setsockopt(socket, IPPROTO_IP, IP_RECVTTL, &on);
    Ok(())
}

/// `WSARecvMsg` is an extension function: its address is asked of the socket's provider once (the
/// one IPv4 UDP provider serves every socket mcready opens).
fn wsa_recv_msg(socket: &Socket) -> io::Result<LPFN_WSARECVMSG> {
    static FUNCTION: OnceLock<LPFN_WSARECVMSG> = OnceLock::new();
    if let Some(function) = FUNCTION.get() {
        return Ok(*function);
    }
    let mut function: LPFN_WSARECVMSG = None;
    let mut returned = 0u32;
    // SAFETY: the input is the GUID and the output a function-pointer slot, each with its exact size.
    let rc = unsafe {
        WSAIoctl(
            raw(socket),
            SIO_GET_EXTENSION_FUNCTION_POINTER,
            std::ptr::from_ref(&WSAID_WSARECVMSG).cast(),
            u32::try_from(size_of_val(&WSAID_WSARECVMSG)).unwrap_or(0),
            std::ptr::from_mut(&mut function).cast(),
            u32::try_from(size_of::<LPFN_WSARECVMSG>()).unwrap_or(0),
            &raw mut returned,
            std::ptr::null_mut(),
            None,
        )
    };
    if rc != 0 {
        return Err(last_error());
    }
    if function.is_none() {
        return Err(io::Error::new(io::ErrorKind::Unsupported, "the socket provider has no WSARecvMsg"));
    }
    Ok(*FUNCTION.get_or_init(|| function))
}

/// Room for `IN_PKTINFO` and `IP_TTL` control messages, aligned as `WSACMSGHDR` needs.
#[repr(C, align(8))]
struct ControlBuffer([u8; 128]);

pub(crate) fn recv_datagram(socket: &Socket, buf: &mut [u8]) -> io::Result<DatagramMeta> {
    let Some(recv_msg) = wsa_recv_msg(socket)? else {
        return Err(io::Error::new(io::ErrorKind::Unsupported, "WSARecvMsg is not available"));
    };
    let mut control = ControlBuffer([0; 128]);
    let mut data = WSABUF { len: u32::try_from(buf.len()).unwrap_or(u32::MAX), buf: buf.as_mut_ptr() };
    let mut received = 0u32;
    let mut message_flags = 0u32;
    let mut control_len = 0usize;
    // SAFETY: `try_init` hands a zeroed address storage and its length; every pointer in `message`
    // refers to a live buffer of the length declared beside it (`buf` through `data`, the storage,
    // `control`), all outliving the call, which is synchronous (no OVERLAPPED).
    let outcome = unsafe {
        SockAddr::try_init(|storage, storage_len| {
            let mut message = WSAMSG {
                name: storage.cast(),
                namelen: *storage_len,
                lpBuffers: &raw mut data,
                dwBufferCount: 1,
                Control: WSABUF { len: 128, buf: control.0.as_mut_ptr() },
                dwFlags: 0,
            };
            let rc = recv_msg(raw(socket), &raw mut message, &raw mut received, std::ptr::null_mut(), None);
            *storage_len = message.namelen;
            message_flags = message.dwFlags;
            control_len = usize::try_from(message.Control.len).unwrap_or(0);
            if rc == 0 { Ok(()) } else { Err(last_error()) }
        })
    };
    let (truncated, source) = match outcome {
        Ok(((), source)) => (message_flags & MSG_TRUNC != 0, source.as_socket_ipv4()),
        // A datagram longer than the buffer fills it and fails with WSAEMSGSIZE.
        Err(error) if error.raw_os_error() == Some(WSAEMSGSIZE) => (true, None),
        // Windows reports an ICMP port unreachable for an earlier send as WSAECONNRESET on the next
        // receive (Linux: ECONNREFUSED); the caller skips it either way.
        Err(error) if error.raw_os_error() == Some(WSAECONNRESET) => {
            return Err(io::Error::new(io::ErrorKind::ConnectionRefused, error));
        }
        Err(error) => return Err(error),
    };
    let parsed = wsa_control::parse(control.0.get(..control_len).unwrap_or_default());
    let len = if truncated && received == 0 { buf.len() } else { usize::try_from(received).unwrap_or(0) };
    Ok(DatagramMeta {
        len: len.min(buf.len()),
        truncated,
        source,
        interface_index: parsed.interface_index,
        destination: parsed.destination,
        ttl: parsed.ttl,
    })
}

/// The first IPv4 address Windows lists for adapter `index` (`GetIpAddrTable`).
fn ipv4_address_of(index: u32) -> io::Result<Ipv4Addr> {
    let mut size = 0u32;
    for _ in 0..4 {
        // u32 words: the table's rows are 4-byte aligned.
        let mut buffer = vec![0u32; usize::try_from(size).unwrap_or(0).div_ceil(4).max(1)];
        size = u32::try_from(size_of_val(buffer.as_slice())).unwrap_or(u32::MAX);
        // SAFETY: the buffer is writable for `size` bytes; the call writes at most that.
        match unsafe { GetIpAddrTable(buffer.as_mut_ptr().cast(), &raw mut size, 0) } {
            NO_ERROR => {
                let count = usize::try_from(buffer[0]).unwrap_or(0);
                let row_words = size_of::<MIB_IPADDRROW_XP>() / 4;
                let rows = buffer.get(1..).unwrap_or_default().chunks_exact(row_words).take(count);
                // dwAddr is in network byte order: its bytes in memory are the address's octets.
                return rows
                    .filter(|row| row[1] == index)
                    .map(|row| Ipv4Addr::from(row[0].to_ne_bytes()))
                    .find(|address| !address.is_unspecified())
                    .ok_or_else(|| {
                        io::Error::new(
                            io::ErrorKind::NotFound,
                            format!("interface {index} has no IPv4 address"),
                        )
                    });
            }
            ERROR_INSUFFICIENT_BUFFER => {}
            error => return Err(io::Error::from_raw_os_error(i32::try_from(error).unwrap_or(i32::MAX))),
        }
    }
    Err(io::Error::other("the IPv4 address table kept growing"))
}

/// What a capture socket needs besides itself: Windows keeps no filter or interface for it.
struct CaptureState {
    socket: SOCKET,
    interface_index: u32,
    address: Ipv4Addr,
    filter: Vec<BpfInstruction>,
}

/// The open captures, by socket handle. An entry outlives its socket until the handle is reused by
/// the next capture, which replaces it: a few bytes per capture ever opened, at most.
static CAPTURES: Mutex<Vec<CaptureState>> = Mutex::new(Vec::new());

/// A raw socket on the interface's IPv4 address with `SIO_RCVALL` on (see the module docs). Needs an
/// elevated token: `WSAEACCES` (permission denied) otherwise.
pub(crate) fn open_packet_socket(interface_index: u32, filter: &[BpfInstruction]) -> io::Result<Socket> {
    let address = ipv4_address_of(interface_index)?;
    let socket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(IPPROTO_IP)))
        .map_err(|e| no_raw_capture(e, "raw IPv4 sockets"))?;
    socket.bind(&SockAddr::from(SocketAddrV4::new(address, 0)))?;
    let on = u32::try_from(RCVALL_ON).unwrap_or(1);
    let mut returned = 0u32;
    // SAFETY: the input is one u32 of the size passed; no output buffer.
    let rc = unsafe {
        WSAIoctl(
            raw(&socket),
            SIO_RCVALL,
            std::ptr::from_ref(&on).cast(),
            4,
            std::ptr::null_mut(),
            0,
            &raw mut returned,
            std::ptr::null_mut(),
            None,
        )
    };
    if rc != 0 {
        return Err(no_raw_capture(last_error(), "SIO_RCVALL on raw IPv4 sockets"));
    }
    let state = CaptureState { socket: raw(&socket), interface_index, address, filter: filter.to_vec() };
    let mut captures = CAPTURES.lock().unwrap_or_else(PoisonError::into_inner);
    captures.retain(|known| known.socket != state.socket);
    captures.push(state);
    Ok(socket)
}

/// Replaces the program the capture's packets are run through (in user space, as at the open).
#[allow(clippy::unnecessary_wraps)]
pub(crate) fn set_packet_filter(socket: &Socket, filter: &[BpfInstruction]) -> io::Result<()> {
    let mut captures = CAPTURES.lock().unwrap_or_else(PoisonError::into_inner);
    for state in captures.iter_mut().filter(|known| known.socket == raw(socket)) {
        state.filter = filter.to_vec();
    }
    Ok(())
}

/// An error that says this system has no such capture at all becomes `Unsupported` with the reason;
/// `WSAEACCES` stays "permission denied" (not elevated), and anything else stays as it is.
fn no_raw_capture(error: io::Error, what: &str) -> io::Error {
    match error.raw_os_error() {
        Some(code @ (WSAEPROTONOSUPPORT | WSAESOCKTNOSUPPORT | WSAEOPNOTSUPP | WSAEINVAL)) => io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "this system offers no {what} (Winsock error {code}), so no passive capture: wine, whose \
                 sockets are Linux sockets, has none"
            ),
        ),
        _ => error,
    }
}

/// `RCVALL_ON` already puts the NIC in promiscuous mode: no multicast MAC to add. The `Result` keeps
/// the signature every OS module shares.
#[allow(clippy::unnecessary_wraps)]
pub(crate) fn add_packet_membership(
    _socket: &Socket,
    _interface_index: u32,
    _mac: [u8; 6],
) -> io::Result<()> {
    Ok(())
}

/// The packet type Linux would give a packet: outgoing when this interface's address sent it, else by
/// its destination.
fn packet_type(packet: &[u8], own_address: Ipv4Addr) -> u8 {
    let address = |at: usize| packet.get(at..at + 4).map(|b| Ipv4Addr::new(b[0], b[1], b[2], b[3]));
    match (address(12), address(16)) {
        (Some(source), _) if source == own_address => PACKET_OUTGOING,
        (_, Some(destination)) if destination.is_multicast() => PACKET_MULTICAST,
        (_, Some(destination)) if destination.is_broadcast() => PACKET_BROADCAST,
        _ => PACKET_HOST,
    }
}

/// One packet from a capture socket. A packet the capture's filter rejects comes back with `protocol`
/// 0, which the capture skips (so its deadline still holds while other traffic flows).
pub(crate) fn recv_frame(socket: &Socket, buf: &mut [u8]) -> io::Result<FrameMeta> {
    let (len, truncated) = match std::io::Read::read(&mut &*socket, buf) {
        Ok(len) => (len, false),
        Err(error) if error.raw_os_error() == Some(WSAEMSGSIZE) => (buf.len(), true),
        Err(error) => return Err(error),
    };
    let packet = buf.get(..len).unwrap_or_default();
    let captures = CAPTURES.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(state) = captures.iter().find(|state| state.socket == raw(socket)) else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a capture socket"));
    };
    let wanted = bpf::accepts(&state.filter, packet, ETHERTYPE_IPV4);
    Ok(FrameMeta {
        len,
        truncated,
        interface_index: state.interface_index,
        packet_type: packet_type(packet, state.address),
        protocol: if wanted { ETHERTYPE_IPV4 } else { 0 },
        source_mac: None,
    })
}

/// Windows cannot bind the group address: binds `0.0.0.0:port`, and only when no other process holds
/// the port ([`super::group_port_decision`]); with `SO_REUSEADDR`, so that mcready's own receivers
/// running at once share it (see the module docs). Else: use the capture.
pub(crate) fn bind_group_receiver(socket: &Socket, group: SocketAddrV4) -> io::Result<super::GroupBind> {
    let port = group.port();
    let sockets = if port == 0 { Ok(Vec::new()) } else { crate::platform::udp_sockets_on_port(port) };
    let decision =
        super::group_port_decision(port, std::process::id(), own_receivers(port), sockets.as_deref().ok());
    if decision == super::GroupBind::Bound {
        socket.set_reuse_address(true)?;
        bind(socket, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))?;
        OWN_RECEIVERS.lock().unwrap_or_else(PoisonError::into_inner).push(port);
    }
    Ok(decision)
}

/// The ports of the group receivers this process holds open on `0.0.0.0` (one entry each): the UDP
/// table does not always name their owner under wine ([`super::group_port_decision`]).
static OWN_RECEIVERS: Mutex<Vec<u16>> = Mutex::new(Vec::new());

fn own_receivers(port: u16) -> usize {
    OWN_RECEIVERS.lock().unwrap_or_else(PoisonError::into_inner).iter().filter(|p| **p == port).count()
}

/// A group receiver on `port` is closing: it no longer accounts for an ownerless row.
pub(crate) fn group_receiver_closed(port: u16) {
    let mut own = OWN_RECEIVERS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(at) = own.iter().position(|p| *p == port) {
        own.swap_remove(at);
    }
}

/// `SO_EXCLUSIVEADDRUSE`: a port in use fails with `WSAEADDRINUSE`, and no later socket can share
/// the port with `SO_REUSEADDR` while this one holds it. Except beside mcready's own group receiver
/// (`respond` hears the group on `0.0.0.0:5060` and answers from its address's 5060): when the UDP
/// table shows only this process on the port, `SO_REUSEADDR`, and the more specific address gets the
/// unicast ([`super::shares_with_own_sockets`]).
pub(crate) fn bind_exclusive(socket: &Socket, local: SocketAddrV4) -> io::Result<()> {
    let port = local.port();
    let sockets = if port == 0 { Ok(Vec::new()) } else { crate::platform::udp_sockets_on_port(port) };
    if super::shares_with_own_sockets(port, std::process::id(), own_receivers(port), sockets.as_deref().ok())
    {
        socket.set_reuse_address(true)?;
    } else {
        let on: u32 = 1;
        setsockopt(socket, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, &on)?;
    }
    bind(socket, local)
}

/// Binds; a port another socket holds with `SO_EXCLUSIVEADDRUSE` refuses `SO_REUSEADDR` with
/// `WSAEACCES`, which is "address in use" for the caller, not a missing privilege.
fn bind(socket: &Socket, local: SocketAddrV4) -> io::Result<()> {
    socket.bind(&SockAddr::from(local)).map_err(|error| {
        if error.raw_os_error() == Some(WSAEACCES) {
            io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("{local} is held exclusively by another socket ({error})"),
            )
        } else {
            error
        }
    })
}

pub(crate) fn set_receive_buffer(socket: &Socket, bytes: usize) -> io::Result<usize> {
    socket.set_recv_buffer_size(bytes)?;
    socket.recv_buffer_size()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_types_from_addresses() {
        let own = Ipv4Addr::new(198, 51, 100, 10);
        let mut packet = vec![0x45u8; 20];
        packet[12..16].copy_from_slice(&[198, 51, 100, 10]);
        packet[16..20].copy_from_slice(&[224, 0, 1, 75]);
        assert_eq!(packet_type(&packet, own), PACKET_OUTGOING);
        packet[12..16].copy_from_slice(&[198, 51, 100, 20]);
        assert_eq!(packet_type(&packet, own), PACKET_MULTICAST);
        packet[16..20].copy_from_slice(&[255, 255, 255, 255]);
        assert_eq!(packet_type(&packet, own), PACKET_BROADCAST);
        packet[16..20].copy_from_slice(&[198, 51, 100, 10]);
        assert_eq!(packet_type(&packet, own), PACKET_HOST);
        assert_eq!(packet_type(&[0x45], own), PACKET_HOST);
    }

    /// On loopback only (the wine harness runs it inside its namespace): `WSARecvMsg` hands back the
    /// bytes, the source and, from `IP_PKTINFO`, the destination and interface.
    #[test]
    fn a_datagram_comes_with_its_destination() {
        let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        enable_datagram_metadata(&socket).unwrap();
        bind_exclusive(&socket, SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).unwrap();
        let local = socket.local_addr().unwrap().as_socket_ipv4().unwrap();
        socket.send_to(b"mcready", &SockAddr::from(local)).unwrap();
        socket.set_read_timeout(Some(std::time::Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 64];
        let meta = recv_datagram(&socket, &mut buf).unwrap();
        assert_eq!(&buf[..meta.len], b"mcready");
        assert!(!meta.truncated);
        assert_eq!(meta.source, Some(local));
        assert_eq!(meta.destination, Some(Ipv4Addr::LOCALHOST));
        assert!(meta.interface_index.is_some(), "{meta:?}");

        // The port is this socket's alone: even mcready's own second socket, which asks to share it
        // (the UDP table shows only this process on the port), is refused, as "address in use".
        let second = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        let error = bind_exclusive(&second, local).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse, "{error}");
    }
}
