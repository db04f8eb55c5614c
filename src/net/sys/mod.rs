//! The OS-specific half of `net`: socket options and calls that socket2 does not offer portably
//! (per-datagram metadata through `recvmsg`, `IP_MULTICAST_IF` by index, packet sockets).
//!
//! This is the only place in `net` that names an OS, and the only place in `net` allowed `unsafe`:
//! every block says why it is sound. Each OS module offers the same functions; an OS without an
//! implementation yet answers `io::ErrorKind::Unsupported`, which the layer above turns into
//! [`super::NetError::Unsupported`]. Linux and macOS share `unix` (BSD sockets, `cfg` only where
//! the kernels differ; macOS without BPF capture), Windows has `windows` (Winsock, with capture by a
//! `SIO_RCVALL` raw socket); other OSes get `unsupported`.
//!
//! The decisions behind the Windows code that need no Windows to test live here, pure and tested on
//! every OS: whether the group port may be bound ([`group_port_decision`]), the classic BPF programs run
//! in user space where the kernel has no socket filter ([`bpf`]), and the layout of Winsock's control
//! messages ([`wsa_control`]).

#[cfg(any(target_os = "linux", target_os = "macos"))]
mod unix;
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
mod unsupported;
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
pub(crate) use unsupported::*;

#[cfg(any(windows, test))]
pub(crate) mod bpf;
#[cfg(any(windows, test))]
pub(crate) mod wsa_control;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// Whether this OS's capture hands over link-layer frames (ARP, LLDP, CDP) besides IPv4: only
/// Linux's packet socket does (Windows' `SIO_RCVALL` sees IPv4 alone, macOS has no capture yet).
pub(crate) const LINK_LAYER_CAPTURE: bool = cfg!(target_os = "linux");

/// How an OS lets a socket hear a group without ever taking unicast meant for another process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupBind {
    /// Bound: the socket hears the group (on Linux and macOS sharing the port with a PBX; on Windows
    /// holding the port, which [`group_port_decision`] found free).
    #[cfg_attr(not(any(target_os = "linux", target_os = "macos", windows)), allow(dead_code))]
    Bound,
    /// This OS cannot keep the PBX's unicast away from such a socket: hear the group by capture instead.
    #[cfg_attr(any(target_os = "linux", target_os = "macos"), allow(dead_code))]
    UseCapture(&'static str),
}

/// Windows' rule for the group receiver, from the UDP table's sockets on the port with their owning
/// process (`None`: the table could not be read).
///
/// Windows cannot bind a group address, and a wildcard bind that shares the port with another
/// process's socket makes the delivery of unicast for the port between the two indeterminate
/// (Microsoft's "Using `SO_REUSEADDR` and `SO_EXCLUSIVEADDRUSE`"): mcready would take some of the
/// PBX's SIP. So the port is bound only when no other process holds it on any address or family (an
/// IPv6 socket may be dual-stack and hear IPv4; an owner Windows does not name, PID 0, counts as
/// another). mcready's own sockets on the port (`own_pid`) do not count: one `check` hears the group
/// from up to three receivers at once — the probe's looped-back copy, the peer test's answer, the
/// listening window. Port 0 asks for an ephemeral port, which no PBX holds.
///
/// `own_receivers` counts the group receivers this process holds open on `0.0.0.0:port`: wine names
/// no owner (PID 0) for some of mcready's own sockets, at random, so a row without an owner on the
/// wildcard address is taken for one of them while they are not all accounted for by PID
/// ([`others_on_port`]). A PBX's socket beside them is one row more, and still counts.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn group_port_decision(
    port: u16,
    own_pid: u32,
    own_receivers: usize,
    sockets_on_port: Option<&[(SocketAddr, u32)]>,
) -> GroupBind {
    if port == 0 {
        return GroupBind::Bound;
    }
    let Some(sockets) = sockets_on_port else {
        return GroupBind::UseCapture(
            "the UDP table (GetExtendedUdpTable) could not be read, so a PBX may hold the port; Windows cannot \
             bind the group address, and sharing the port would share the PBX's unicast",
        );
    };
    let mut others = others_on_port(port, own_pid, own_receivers, sockets).into_iter();
    match others.next() {
        None => GroupBind::Bound,
        Some((socket, _)) if socket.is_ipv6() => GroupBind::UseCapture(
            "another process's IPv6 socket (possibly dual-stack) holds the port on this host \
             (GetExtendedUdpTable); Windows cannot bind the group address, and sharing the port would share \
             the PBX's unicast",
        ),
        Some(_) => GroupBind::UseCapture(
            "another process holds the port on this host (GetExtendedUdpTable); Windows cannot bind the group \
             address, and sharing the port would share the PBX's unicast",
        ),
    }
}

/// Whether Windows' unicast leg on `port` must share it with mcready's own group receiver: on Windows
/// that receiver holds `0.0.0.0:port`, so `respond`'s socket on the interface's address and the same
/// port cannot be exclusive. True only when every socket on the port is this process's (`own_pid`);
/// a port free, held by anyone else, or unknown keeps the exclusive bind.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn shares_with_own_sockets(
    port: u16,
    own_pid: u32,
    own_receivers: usize,
    sockets_on_port: Option<&[(SocketAddr, u32)]>,
) -> bool {
    let Some(sockets) = sockets_on_port else { return false };
    let on_port = sockets.iter().any(|(socket, _)| socket.port() == port);
    port != 0 && on_port && others_on_port(port, own_pid, own_receivers, sockets).is_empty()
}

/// The rows on `port` that are not this process's: a row is ours when it names our PID, or when it
/// names no owner (PID 0), sits on `0.0.0.0:port` and one of our `own_receivers` is not yet accounted
/// for by a row that names our PID.
fn others_on_port(
    port: u16,
    own_pid: u32,
    own_receivers: usize,
    sockets: &[(SocketAddr, u32)],
) -> Vec<&(SocketAddr, u32)> {
    let wildcard = |socket: &SocketAddr| socket.is_ipv4() && socket.ip().is_unspecified();
    let on_port = || sockets.iter().filter(|(socket, _)| socket.port() == port);
    let named_ours =
        on_port().filter(|(socket, pid)| *pid != 0 && *pid == own_pid && wildcard(socket)).count();
    let mut unclaimed = own_receivers.saturating_sub(named_ours);
    on_port()
        .filter(|(socket, pid)| {
            if *pid != 0 && *pid == own_pid {
                return false;
            }
            if *pid == 0 && unclaimed > 0 && wildcard(socket) {
                unclaimed -= 1;
                return false;
            }
            true
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: u32 = 4242;

    fn sockets(list: &[(&str, u32)]) -> Vec<(SocketAddr, u32)> {
        list.iter().map(|(s, pid)| (s.parse().unwrap(), *pid)).collect()
    }

    fn decide(port: u16, rows: &[(&str, u32)]) -> GroupBind {
        group_port_decision(port, OWN, 0, Some(&sockets(rows)))
    }

    #[test]
    fn the_group_port_is_bound_only_when_no_other_process_holds_it() {
        assert_eq!(decide(5060, &[]), GroupBind::Bound);
        // Other ports in the rows do not matter, nor mcready's own receivers on the port.
        assert_eq!(decide(5060, &[("0.0.0.0:5061", 7), ("[::]:5353", 7)]), GroupBind::Bound);
        assert_eq!(decide(5060, &[("0.0.0.0:5060", OWN), ("0.0.0.0:5060", OWN)]), GroupBind::Bound);
        // A PBX on the wildcard, on one address, or on IPv6 only; an owner Windows does not name: never
        // shared.
        for held in [
            &[("0.0.0.0:5060", 7)][..],
            &[("198.51.100.10:5060", 7)],
            &[("[::]:5060", 7)],
            &[("[::1]:5060", 7)],
            &[("0.0.0.0:5060", 0)],
            &[("0.0.0.0:5060", OWN), ("198.51.100.10:5060", 7)],
        ] {
            assert!(matches!(decide(5060, held), GroupBind::UseCapture(_)), "{held:?}");
        }
        let GroupBind::UseCapture(reason) = decide(5060, &[("[::]:5060", 7)]) else { panic!() };
        assert!(reason.contains("dual-stack"), "{reason}");
        // Unknown is not free.
        assert!(matches!(group_port_decision(5060, OWN, 0, None), GroupBind::UseCapture(_)));
        // An ephemeral port is free by definition, whatever the table says.
        assert_eq!(group_port_decision(0, OWN, 0, None), GroupBind::Bound);
    }

    /// wine names no owner for some of mcready's own sockets: with one receiver of ours open, one
    /// ownerless wildcard row is ours; a second is someone else's, and so is an ownerless row on an
    /// address or on IPv6.
    #[test]
    fn ownerless_rows_are_ours_only_up_to_our_open_receivers() {
        let with_own =
            |own: usize, rows: &[(&str, u32)]| group_port_decision(5060, OWN, own, Some(&sockets(rows)));
        assert_eq!(with_own(1, &[("0.0.0.0:5060", 0)]), GroupBind::Bound);
        assert_eq!(with_own(2, &[("0.0.0.0:5060", OWN), ("0.0.0.0:5060", 0)]), GroupBind::Bound);
        for held in [
            &[("0.0.0.0:5060", 0), ("0.0.0.0:5060", 0)][..],
            &[("0.0.0.0:5060", OWN), ("0.0.0.0:5060", 0)],
            &[("198.51.100.10:5060", 0)],
            &[("[::]:5060", 0)],
            &[("0.0.0.0:5060", 0), ("0.0.0.0:5060", 7)],
        ] {
            assert!(matches!(with_own(1, held), GroupBind::UseCapture(_)), "{held:?}");
        }
        assert!(shares_with_own_sockets(5060, OWN, 1, Some(&sockets(&[("0.0.0.0:5060", 0)]))));
        assert!(!shares_with_own_sockets(5060, OWN, 0, Some(&sockets(&[("0.0.0.0:5060", 0)]))));
    }

    #[test]
    fn the_unicast_leg_shares_only_with_mcready_itself() {
        let shares = |rows: &[(&str, u32)]| shares_with_own_sockets(5060, OWN, 0, Some(&sockets(rows)));
        assert!(shares(&[("0.0.0.0:5060", OWN)]));
        assert!(!shares(&[]), "a free port is bound exclusively");
        assert!(!shares(&[("0.0.0.0:5060", OWN), ("[::]:5060", 7)]));
        assert!(!shares(&[("0.0.0.0:5060", 0)]));
        assert!(!shares(&[("0.0.0.0:5061", OWN)]));
        assert!(!shares_with_own_sockets(5060, OWN, 0, None));
        assert!(!shares_with_own_sockets(0, OWN, 0, Some(&sockets(&[("0.0.0.0:0", OWN)]))));
    }
}
