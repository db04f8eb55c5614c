//! The UDP sockets: [`MulticastSender`] (the probe's socket: sends to the group, hears unicast answers),
//! [`GroupReceiver`] (hears the group, bound to the group address so it never takes unicast SIP meant
//! for a PBX) and [`UnicastSocket`] (the peer protocol's socket, never shared with another process).
//!
//! All three report each datagram with where it came in, to which address, and with which TTL
//! ([`Datagram`]): the evidence behind "same subnet", "which NIC hears phones" and "routed or not".

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, Socket, Type};

use super::actions::OwnActions;
use super::{LocalInterface, NetError, sys};
use crate::facts::{PNP_GROUP, PNP_PORT};
use crate::observed::ActionKind;

/// The largest UDP payload IPv4 can carry.
const MAX_DATAGRAM: usize = 65_535;
/// Shortest read timeout handed to the OS: a zero timeout means "block forever" to `SO_RCVTIMEO`.
const MIN_WAIT: Duration = Duration::from_millis(1);

/// One datagram received, with what the kernel said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    pub payload: Vec<u8>,
    pub source: SocketAddrV4,
    /// The destination address in the IP header (the group for multicast).
    pub destination: Option<Ipv4Addr>,
    /// The interface it arrived on.
    pub interface_index: Option<u32>,
    /// The IP TTL it arrived with.
    pub ttl: Option<u8>,
    pub received_at: Instant,
    /// The datagram was longer than the buffer and was cut.
    pub truncated: bool,
}

fn udp_socket(what: &str) -> Result<Socket, NetError> {
    Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(|e| NetError::os(what, e))
}

fn bind(socket: &Socket, address: SocketAddrV4) -> Result<(), NetError> {
    socket.bind(&SockAddr::from(address)).map_err(|e| NetError::bind(address, e))
}

fn local_address(socket: &Socket) -> Result<SocketAddrV4, NetError> {
    let address = socket.local_addr().map_err(|e| NetError::os("read the local address", e))?;
    address.as_socket_ipv4().ok_or_else(|| {
        NetError::os(
            "read the local address",
            io::Error::new(io::ErrorKind::InvalidData, "the socket is not bound to an IPv4 address"),
        )
    })
}

/// Waits for one datagram until `deadline`; `None` when none came. With `only_to`, a datagram whose IP
/// destination is known and is another address is passed over: on Windows the group receiver is bound
/// to `0.0.0.0` (a group address cannot be bound there) and would also hear unicast and broadcast.
///
/// The datagram is read into the socket's own scratch buffer (allocated once, 64 KiB) and copied out at
/// its own length: a boot storm costs one small allocation per datagram, not a 64 KiB one.
fn receive(
    socket: &Socket,
    scratch: &Scratch,
    deadline: Instant,
    only_to: Option<Ipv4Addr>,
    what: &str,
) -> Result<Option<Datagram>, NetError> {
    // A poisoned lock only means another reader panicked mid-read; the bytes are overwritten anyway.
    let mut buf = scratch.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if buf.len() < MAX_DATAGRAM {
        buf.resize(MAX_DATAGRAM, 0);
    }
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        socket
            .set_read_timeout(Some((deadline - now).max(MIN_WAIT)))
            .map_err(|e| NetError::os(format!("set a receive timeout on {what}"), e))?;
        match sys::recv_datagram(socket, &mut buf) {
            Ok(meta) => {
                let Some(source) = meta.source else { continue };
                if only_to.zip(meta.destination).is_some_and(|(wanted, to)| wanted != to) {
                    continue;
                }
                let payload = buf.get(..meta.len).unwrap_or_default().to_vec();
                return Ok(Some(Datagram {
                    payload,
                    source,
                    destination: meta.destination,
                    interface_index: meta.interface_index,
                    ttl: meta.ttl,
                    received_at: Instant::now(),
                    truncated: meta.truncated,
                }));
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) => {}
            // An ICMP error from an earlier send (port unreachable) surfaces on the next receive; it
            // is not a failure of this socket.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
            Err(e) => return Err(NetError::os(format!("receive on {what}"), e)),
        }
    }
}

/// A socket's receive buffer, reused across receives.
#[derive(Debug, Default)]
struct Scratch(std::sync::Mutex<Vec<u8>>);

/// Sends one unicast datagram and records it in the own actions under `label` (an interface name, or
/// the local address for sockets that are not tied to one).
fn send_unicast(
    socket: &Socket,
    local: SocketAddrV4,
    payload: &[u8],
    to: SocketAddrV4,
    actions: &OwnActions,
    label: &str,
    recorded: String,
) -> Result<(), NetError> {
    socket
        .send_to(payload, &SockAddr::from(to))
        .map_err(|e| NetError::os(format!("send to {to} from {local}"), e))?;
    actions.record(ActionKind::Sent, *to.ip(), label, recorded);
    Ok(())
}

/// How a [`MulticastSender`] sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderOptions {
    pub group: Ipv4Addr,
    pub port: u16,
    /// The local port to send from; 0 lets the OS pick one.
    pub local_port: u16,
    /// The multicast TTL: 1 (the default) keeps the datagram on the local link.
    pub ttl: u8,
    /// Deliver a copy to this host's own group members (the looped-back probe is evidence too).
    pub loopback: bool,
}

impl Default for SenderOptions {
    fn default() -> Self {
        Self { group: PNP_GROUP, port: PNP_PORT, local_port: 0, ttl: 1, loopback: true }
    }
}

/// Sends datagrams to a group out of one interface and hears the unicast answers that come back to its
/// source port (a PBX answers a PnP SUBSCRIBE with a unicast 200 OK and NOTIFY).
#[derive(Debug)]
pub struct MulticastSender {
    socket: Socket,
    scratch: Scratch,
    interface: LocalInterface,
    options: SenderOptions,
    local: SocketAddrV4,
    actions: OwnActions,
}

impl MulticastSender {
    /// Opens the socket, bound to the interface's address and `options.local_port`.
    ///
    /// No `SO_REUSEADDR`: asking for a port a PBX holds fails with [`NetError::AddressInUse`] instead of
    /// sharing it.
    ///
    /// # Errors
    /// When the socket cannot be created, bound or configured.
    pub fn open(
        interface: &LocalInterface,
        options: SenderOptions,
        actions: &OwnActions,
    ) -> Result<Self, NetError> {
        let socket = udp_socket("create the multicast sender socket")?;
        let on = &interface.name;
        socket.set_reuse_address(false).map_err(|e| NetError::os("clear SO_REUSEADDR", e))?;
        sys::set_multicast_interface(&socket, interface.index, interface.address)
            .map_err(|e| NetError::os(format!("send multicast out of {on} (IP_MULTICAST_IF)"), e))?;
        socket
            .set_multicast_ttl_v4(u32::from(options.ttl))
            .map_err(|e| NetError::os(format!("set the multicast TTL to {}", options.ttl), e))?;
        socket
            .set_multicast_loop_v4(options.loopback)
            .map_err(|e| NetError::os("set IP_MULTICAST_LOOP", e))?;
        sys::enable_datagram_metadata(&socket)
            .map_err(|e| NetError::os("ask for per-datagram metadata (IP_PKTINFO, IP_RECVTTL)", e))?;
        bind(&socket, SocketAddrV4::new(interface.address, options.local_port))?;
        let local = local_address(&socket)?;
        Ok(Self {
            socket,
            scratch: Scratch::default(),
            interface: interface.clone(),
            options,
            local,
            actions: actions.clone(),
        })
    }

    /// The address answers come back to.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.local
    }

    #[must_use]
    pub fn interface(&self) -> &LocalInterface {
        &self.interface
    }

    /// Sends `payload` to the group and records it (with `detail`) in the own actions.
    ///
    /// # Errors
    /// When the OS refuses the send (for example a host firewall's output rule: `EPERM`).
    pub fn send(&self, payload: &[u8], detail: &str) -> Result<(), NetError> {
        let to = SocketAddrV4::new(self.options.group, self.options.port);
        self.socket
            .send_to(payload, &SockAddr::from(to))
            .map_err(|e| NetError::os(format!("send to {to} from {}", self.local), e))?;
        self.actions.record(
            ActionKind::Sent,
            self.options.group,
            &self.interface.name,
            format!("{detail} ({} bytes, TTL {}, from {})", payload.len(), self.options.ttl, self.local),
        );
        Ok(())
    }

    /// Sends `payload` by unicast from the sender's port — how a phone answers a NOTIFY with 200 OK —
    /// and records it.
    ///
    /// # Errors
    /// When the OS refuses the send.
    pub fn send_to(&self, payload: &[u8], to: SocketAddrV4, detail: &str) -> Result<(), NetError> {
        let recorded = format!("{detail} ({} bytes to {to}, from {})", payload.len(), self.local);
        send_unicast(&self.socket, self.local, payload, to, &self.actions, &self.interface.name, recorded)
    }

    /// The next datagram that reaches the sender's port before `deadline`.
    ///
    /// # Errors
    /// When the OS fails the receive.
    pub fn recv_until(&self, deadline: Instant) -> Result<Option<Datagram>, NetError> {
        receive(&self.socket, &self.scratch, deadline, None, "the multicast sender socket")
    }
}

/// Hears one group on one port, on the interfaces it joined, and leaves them when dropped.
#[derive(Debug)]
pub struct GroupReceiver {
    socket: Socket,
    scratch: Scratch,
    group: Ipv4Addr,
    port: u16,
    joined: Vec<LocalInterface>,
    actions: OwnActions,
}

impl GroupReceiver {
    /// Binds `group:port` with `SO_REUSEADDR`, turns `IP_MULTICAST_ALL` off and joins `group` on each
    /// interface (by index), recording each join.
    ///
    /// Binding the group address, not `0.0.0.0`, matters: with `SO_REUSEADDR` on both sockets Linux
    /// hands unicast datagrams for the port to the most recent bind, so a wildcard bind would take the
    /// PBX's SIP. `IP_MULTICAST_ALL=0` keeps the socket to the groups it joined itself.
    ///
    /// # Errors
    /// [`NetError::AddressInUse`] when another process holds the port without sharing it (fall back to
    /// passive capture); [`NetError::Os`] for any other refusal.
    pub fn open(
        group: Ipv4Addr,
        port: u16,
        interfaces: &[LocalInterface],
        actions: &OwnActions,
    ) -> Result<Self, NetError> {
        let socket = udp_socket("create the group receiver socket")?;
        sys::enable_datagram_metadata(&socket)
            .map_err(|e| NetError::os("ask for per-datagram metadata (IP_PKTINFO, IP_RECVTTL)", e))?;
        let address = SocketAddrV4::new(group, port);
        match sys::bind_group_receiver(&socket, address) {
            Ok(sys::GroupBind::Bound) => {}
            Ok(sys::GroupBind::UseCapture(reason)) => {
                return Err(NetError::NeedsCapture { address, reason });
            }
            Err(e) => return Err(NetError::bind(address, e)),
        }
        let mut receiver = Self {
            socket,
            scratch: Scratch::default(),
            group,
            port,
            joined: Vec::new(),
            actions: actions.clone(),
        };
        for interface in interfaces {
            receiver.join(interface)?;
        }
        Ok(receiver)
    }

    /// Joins the group on one more interface.
    ///
    /// # Errors
    /// When the OS refuses the join (no such interface, not multicast-capable).
    pub fn join(&mut self, interface: &LocalInterface) -> Result<(), NetError> {
        membership(interface, |on| self.socket.join_multicast_v4_n(&self.group, on))
            .map_err(|e| NetError::os(format!("join {} on {}", self.group, interface.name), e))?;
        self.actions.record(
            ActionKind::Joined,
            self.group,
            &interface.name,
            format!("group receiver on port {}", self.port),
        );
        self.joined.push(interface.clone());
        Ok(())
    }

    /// Raises the kernel's buffer for datagrams not yet read; returns the size granted.
    ///
    /// # Errors
    /// When the OS refuses the option.
    pub fn set_receive_buffer(&self, bytes: usize) -> Result<usize, NetError> {
        sys::set_receive_buffer(&self.socket, bytes)
            .map_err(|e| NetError::os("raise the group receiver's receive buffer", e))
    }

    /// The group and port this receiver is bound to.
    #[must_use]
    pub fn bound(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.group, self.port)
    }

    #[must_use]
    pub fn joined(&self) -> &[LocalInterface] {
        &self.joined
    }

    /// The next datagram for the group before `deadline`.
    ///
    /// # Errors
    /// When the OS fails the receive.
    pub fn recv_until(&self, deadline: Instant) -> Result<Option<Datagram>, NetError> {
        receive(&self.socket, &self.scratch, deadline, Some(self.group), "the group receiver socket")
    }
}

impl Drop for GroupReceiver {
    fn drop(&mut self) {
        for interface in self.joined.drain(..) {
            // Closing the socket would leave too; leaving explicitly makes the leave a recorded, ordered
            // action rather than a side effect of whenever the fd closes.
            let detail = match membership(&interface, |on| self.socket.leave_multicast_v4_n(&self.group, on))
            {
                Ok(()) => format!("group receiver on port {} closed", self.port),
                Err(e) => format!("group receiver on port {} closed (explicit leave failed: {e})", self.port),
            };
            self.actions.record(ActionKind::Left, self.group, &interface.name, detail);
        }
        sys::group_receiver_closed(self.port);
    }
}

/// Joins or leaves by interface index, which picks the interface even when another has the same
/// address; by the interface's address where the index is refused (wine hands Windows' index form,
/// 0.0.0.x, to Linux as an address).
fn membership(
    interface: &LocalInterface,
    change: impl Fn(&InterfaceIndexOrAddress) -> io::Result<()>,
) -> io::Result<()> {
    match change(&InterfaceIndexOrAddress::Index(interface.index)) {
        Err(by_index) if !interface.address.is_unspecified() => {
            change(&InterfaceIndexOrAddress::Address(interface.address)).map_err(|_| by_index)
        }
        result => result,
    }
}

/// A unicast UDP socket that owns its address outright, for the peer protocol (`respond` and
/// `check --peer`).
#[derive(Debug)]
pub struct UnicastSocket {
    socket: Socket,
    scratch: Scratch,
    local: SocketAddrV4,
    actions: OwnActions,
}

impl UnicastSocket {
    /// Binds `local` **without** `SO_REUSEADDR`, so a port a PBX holds fails with
    /// [`NetError::AddressInUse`] rather than being shared (and its SIP taken).
    ///
    /// # Errors
    /// [`NetError::AddressInUse`] when the port is taken; [`NetError::Os`] otherwise.
    pub fn bind(local: SocketAddrV4, actions: &OwnActions) -> Result<Self, NetError> {
        let socket = udp_socket("create the unicast socket")?;
        sys::enable_datagram_metadata(&socket)
            .map_err(|e| NetError::os("ask for per-datagram metadata (IP_PKTINFO, IP_RECVTTL)", e))?;
        sys::bind_exclusive(&socket, local).map_err(|e| NetError::bind(local, e))?;
        let local = local_address(&socket)?;
        Ok(Self { socket, scratch: Scratch::default(), local, actions: actions.clone() })
    }

    #[must_use]
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.local
    }

    /// Sends `payload` to `to` and records it.
    ///
    /// # Errors
    /// When the OS refuses the send.
    pub fn send_to(&self, payload: &[u8], to: SocketAddrV4, detail: &str) -> Result<(), NetError> {
        let recorded = format!("{detail} ({} bytes to port {})", payload.len(), to.port());
        send_unicast(&self.socket, self.local, payload, to, &self.actions, &self.local.to_string(), recorded)
    }

    /// The next datagram before `deadline`.
    ///
    /// # Errors
    /// When the OS fails the receive.
    pub fn recv_until(&self, deadline: Instant) -> Result<Option<Datagram>, NetError> {
        receive(&self.socket, &self.scratch, deadline, None, "the unicast socket")
    }
}
