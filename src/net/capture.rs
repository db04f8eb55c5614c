//! Passive capture on one interface: sees SIP and IGMP on the wire without joining anything, even when
//! another process holds the SIP port exclusively or the host firewall drops the datagram before any
//! socket gets it (packet sockets tap frames before netfilter's INPUT hook).
//!
//! Linux: an `AF_PACKET` socket from socket2 (`SOCK_DGRAM`, so frames arrive without the link header
//! and one parser serves every link type), bound to the interface with `ETH_P_ALL` (only those sockets
//! also see this host's outgoing frames), with an optional classic BPF filter so the kernel drops the
//! rest. Needs `CAP_NET_RAW`; without it [`Capture::open`] returns [`NetError::NoPrivilege`].

use std::io;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::Socket;

use super::NetError;
use super::packet::{Ipv4Packet, PROTOCOL_IGMP, PROTOCOL_UDP, parse_ipv4};
use super::reassembly::{Outcome, Reassembler};
use super::sys::{self, BpfInstruction};

const ETHERTYPE_IPV4: u16 = 0x0800;
const MAX_FRAME: usize = 65_535;
const MIN_WAIT: Duration = Duration::from_millis(1);

/// Which way a frame went, as the packet socket says (`sll_pkttype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Addressed to this host (unicast).
    Host,
    Broadcast,
    /// Addressed to a multicast MAC: a phone's SUBSCRIBE, a querier's query.
    Multicast,
    /// Unicast to another host, seen only in promiscuous mode or on a hub.
    OtherHost,
    /// Sent by this host (mcready's own probe, a local PBX's answers).
    Outgoing,
    Other(u8),
}

impl Direction {
    /// From the Linux `PACKET_*` packet types (`linux/if_packet.h`).
    #[must_use]
    pub fn from_packet_type(packet_type: u8) -> Self {
        match packet_type {
            0 => Self::Host,
            1 => Self::Broadcast,
            2 => Self::Multicast,
            3 => Self::OtherHost,
            4 => Self::Outgoing,
            other => Self::Other(other),
        }
    }
}

/// What the kernel lets through to the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFilter {
    /// UDP to or from `port`, IGMP, and non-first fragments of UDP (reported, since their ports are
    /// unknown).
    SipAndIgmp {
        port: u16,
    },
    Igmp,
    /// Every IPv4 frame.
    AllIpv4,
}

/// Where and what to capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureOptions {
    pub interface_index: u32,
    pub filter: CaptureFilter,
    /// Groups whose multicast MACs the NIC must accept (`PACKET_ADD_MEMBERSHIP`): a real NIC's hardware
    /// filter drops frames for groups nobody joined, and a capture must not join.
    pub groups: Vec<Ipv4Addr>,
}

/// One IPv4 frame seen on the interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedFrame {
    pub direction: Direction,
    /// Put back together from IP fragments (the packet is the whole datagram).
    pub reassembled: bool,
    pub interface_index: u32,
    /// The link-layer source (a phone's MAC), when the link has one.
    pub source_mac: Option<[u8; 6]>,
    pub received_at: Instant,
    pub packet: Ipv4Packet,
}

/// An open capture on one interface.
#[derive(Debug)]
pub struct Capture {
    socket: Socket,
    interface_index: u32,
    malformed: u64,
    /// The frame buffer, allocated once and reused for every frame.
    buffer: Vec<u8>,
    /// Fragments of datagrams not yet whole: a long SUBSCRIBE arrives in pieces.
    reassembler: Reassembler,
}

/// The multicast MAC a group maps to (RFC 1112 §6.4): 01:00:5e and the group's low 23 bits.
#[must_use]
pub fn multicast_mac(group: Ipv4Addr) -> [u8; 6] {
    let [_, b, c, d] = group.octets();
    [0x01, 0x00, 0x5e, b & 0x7f, c, d]
}

// Classic BPF opcodes (`linux/filter.h`), kept here so the programs can be read and tested anywhere.
const LD_H_ABS: u16 = 0x28;
const LD_B_ABS: u16 = 0x30;
const LD_H_IND: u16 = 0x48;
const LDX_B_MSH: u16 = 0xb1;
const JEQ_K: u16 = 0x15;
const JSET_K: u16 = 0x45;
const RET_K: u16 = 0x06;
/// `SKF_AD_OFF + SKF_AD_PROTOCOL`: the frame's `EtherType`, which a cooked socket's data does not hold.
const ANCILLARY_PROTOCOL: u32 = 0xffff_f000;
const ACCEPT_ALL: u32 = 0x0004_0000;

const fn op(code: u16, jt: u8, jf: u8, k: u32) -> BpfInstruction {
    BpfInstruction { code, jt, jf, k }
}

/// The classic BPF program for `filter`, for a cooked packet socket (offset 0 is the IP header).
#[must_use]
pub fn bpf_program(filter: CaptureFilter) -> Vec<BpfInstruction> {
    match filter {
        CaptureFilter::AllIpv4 => vec![
            op(LD_H_ABS, 0, 0, ANCILLARY_PROTOCOL),
            op(JEQ_K, 0, 1, u32::from(ETHERTYPE_IPV4)),
            op(RET_K, 0, 0, ACCEPT_ALL),
            op(RET_K, 0, 0, 0),
        ],
        CaptureFilter::Igmp => vec![
            op(LD_H_ABS, 0, 0, ANCILLARY_PROTOCOL),
            op(JEQ_K, 0, 3, u32::from(ETHERTYPE_IPV4)),
            op(LD_B_ABS, 0, 0, 9),
            op(JEQ_K, 0, 1, u32::from(PROTOCOL_IGMP)),
            op(RET_K, 0, 0, ACCEPT_ALL),
            op(RET_K, 0, 0, 0),
        ],
        CaptureFilter::SipAndIgmp { port } => vec![
            /* 0 */ op(LD_H_ABS, 0, 0, ANCILLARY_PROTOCOL),
            /* 1 */ op(JEQ_K, 0, 11, u32::from(ETHERTYPE_IPV4)),
            /* 2 */ op(LD_B_ABS, 0, 0, 9),
            /* 3 */ op(JEQ_K, 8, 0, u32::from(PROTOCOL_IGMP)),
            /* 4 */ op(JEQ_K, 0, 8, u32::from(PROTOCOL_UDP)),
            /* 5 */ op(LD_H_ABS, 0, 0, 6),
            /* 6: a non-first fragment has no UDP header to match */ op(JSET_K, 5, 0, 0x1fff),
            /* 7: X = IHL × 4 */ op(LDX_B_MSH, 0, 0, 0),
            /* 8 */ op(LD_H_IND, 0, 0, 0),
            /* 9 */ op(JEQ_K, 2, 0, u32::from(port)),
            /* 10 */ op(LD_H_IND, 0, 0, 2),
            /* 11 */ op(JEQ_K, 0, 1, u32::from(port)),
            /* 12 */ op(RET_K, 0, 0, ACCEPT_ALL),
            /* 13 */ op(RET_K, 0, 0, 0),
        ],
    }
}

impl Capture {
    /// Opens the capture. Open it **before** joining or sending anything, so the observation starts
    /// from the network's state, not mcready's.
    ///
    /// # Errors
    /// [`NetError::NoPrivilege`] without `CAP_NET_RAW`; [`NetError::Unsupported`] on an OS without an
    /// implementation; [`NetError::Os`] when the interface does not exist or the filter is refused.
    pub fn open(options: &CaptureOptions) -> Result<Self, NetError> {
        let index = options.interface_index;
        let socket = sys::open_packet_socket(index, &bpf_program(options.filter))
            .map_err(|e| NetError::classify(format!("open a packet capture on interface {index}"), e))?;
        let mut capture = Self {
            socket,
            interface_index: index,
            malformed: 0,
            buffer: vec![0u8; MAX_FRAME],
            reassembler: Reassembler::new(),
        };
        for group in &options.groups {
            capture.add_group(*group)?;
        }
        Ok(capture)
    }

    /// Makes the NIC accept `group`'s multicast MAC for as long as the capture lives (no IGMP is sent).
    ///
    /// # Errors
    /// When the OS refuses the membership.
    pub fn add_group(&mut self, group: Ipv4Addr) -> Result<(), NetError> {
        sys::add_packet_membership(&self.socket, self.interface_index, multicast_mac(group)).map_err(|e| {
            NetError::classify(format!("accept {group}'s MAC on interface {}", self.interface_index), e)
        })
    }

    /// Raises the kernel's buffer for frames not yet read (a boot storm of phones fills the default in
    /// milliseconds); returns the size granted.
    ///
    /// # Errors
    /// When the OS refuses the option.
    pub fn set_receive_buffer(&self, bytes: usize) -> Result<usize, NetError> {
        sys::set_receive_buffer(&self.socket, bytes)
            .map_err(|e| NetError::os("raise the capture's receive buffer", e))
    }

    #[must_use]
    pub fn interface_index(&self) -> u32 {
        self.interface_index
    }

    /// Datagrams whose fragments were discarded (overlapping, oversized, endless, timed out).
    #[must_use]
    pub fn discarded_fragments(&self) -> u64 {
        self.reassembler.discarded()
    }

    /// Frames seen that were not readable IPv4 (counted, never fatal).
    #[must_use]
    pub fn malformed_frames(&self) -> u64 {
        self.malformed
    }

    /// The next IPv4 frame before `deadline`; `None` when none came.
    ///
    /// # Errors
    /// When the OS fails the receive.
    pub fn next_until(&mut self, deadline: Instant) -> Result<Option<CapturedFrame>, NetError> {
        let mut buf = std::mem::take(&mut self.buffer);
        let next = self.next_into(&mut buf, deadline);
        self.buffer = buf;
        next
    }

    fn next_into(&mut self, buf: &mut [u8], deadline: Instant) -> Result<Option<CapturedFrame>, NetError> {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            self.socket
                .set_read_timeout(Some((deadline - now).max(MIN_WAIT)))
                .map_err(|e| NetError::os("set a receive timeout on the capture", e))?;
            let meta = match sys::recv_frame(&self.socket, buf) {
                Ok(meta) => meta,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(NetError::os("receive from the capture", e)),
            };
            // The bind already limits the socket to one interface; checking again costs nothing.
            if meta.protocol != ETHERTYPE_IPV4 || meta.interface_index != self.interface_index {
                continue;
            }
            let Some(bytes) = buf.get(..meta.len) else { continue };
            let received_at = Instant::now();
            let Ok(mut packet) = parse_ipv4(bytes) else {
                self.malformed += 1;
                continue;
            };
            packet.truncated |= meta.truncated;
            let mut reassembled = false;
            if packet.fragment.is_some() && !meta.truncated {
                match self.reassembler.push(bytes, received_at) {
                    // A piece of a datagram not yet whole: nothing to report until it is.
                    Outcome::Pending => continue,
                    Outcome::Complete(whole) => {
                        let Ok(whole) = parse_ipv4(&whole) else {
                            self.malformed += 1;
                            continue;
                        };
                        packet = whole;
                        reassembled = true;
                    }
                    // Discarded (overlap, oversize…): reported as the fragment it is, which the
                    // listener counts as junk, never as a phone.
                    Outcome::Discarded(_) | Outcome::NotAFragment => {}
                }
            }
            return Ok(Some(CapturedFrame {
                direction: Direction::from_packet_type(meta.packet_type),
                reassembled,
                interface_index: meta.interface_index,
                source_mac: meta.source_mac,
                received_at,
                packet,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_macs() {
        assert_eq!(multicast_mac(Ipv4Addr::new(224, 0, 1, 75)), [0x01, 0x00, 0x5e, 0x00, 0x01, 0x4b]);
        // The 24th bit does not fit: 224.128.1.75 shares 224.0.1.75's MAC.
        assert_eq!(multicast_mac(Ipv4Addr::new(224, 128, 1, 75)), [0x01, 0x00, 0x5e, 0x00, 0x01, 0x4b]);
        assert_eq!(multicast_mac(Ipv4Addr::new(239, 255, 12, 34)), [0x01, 0x00, 0x5e, 0x7f, 0x0c, 0x22]);
    }

    /// Every jump of every program lands inside it, and each program ends in returns.
    #[test]
    fn bpf_jumps_stay_inside_the_program() {
        for filter in [CaptureFilter::AllIpv4, CaptureFilter::Igmp, CaptureFilter::SipAndIgmp { port: 5060 }]
        {
            let program = bpf_program(filter);
            assert_eq!(program.last().map(|i| i.code), Some(RET_K));
            for (at, instruction) in program.iter().enumerate() {
                if instruction.code & 0x07 == 0x05 {
                    for offset in [instruction.jt, instruction.jf] {
                        assert!(at + 1 + usize::from(offset) < program.len(), "{filter:?} jump at {at}");
                    }
                }
            }
        }
    }

    #[test]
    fn directions() {
        assert_eq!(Direction::from_packet_type(2), Direction::Multicast);
        assert_eq!(Direction::from_packet_type(4), Direction::Outgoing);
        assert_eq!(Direction::from_packet_type(9), Direction::Other(9));
    }
}
