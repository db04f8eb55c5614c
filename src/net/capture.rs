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
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_LLDP: u16 = 0x88cc;
/// What a cooked socket reports for an 802.3 frame carrying LLC (CDP).
const ETH_P_802_2: u16 = 0x0004;
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
    /// As [`Self::SipAndIgmp`], plus what tells how phones provision besides PnP: DHCP (UDP 67/68),
    /// ARP, LLDP and CDP (802.2 LLC/SNAP with Cisco's protocol id; not spanning tree's BPDUs).
    SipIgmpAndDiscovery {
        port: u16,
    },
    /// As [`Self::SipIgmpAndDiscovery`], plus what a phone does after PnP: TCP to or from the file
    /// servers' ports (`file_ports`, 0 for none: [`FILE_PORTS`], then the ports of URLs seen in NOTIFYs,
    /// set with [`Capture::set_filter`]), cut at [`TCP_SNAP`] bytes, and TFTP (UDP to or from port 69,
    /// and DATA, ERROR and OACK from the server's own port, known only by their opcode), cut at
    /// [`TFTP_SNAP`]. A REGISTER to this host is SIP on `port`, already let through.
    Provisioning {
        port: u16,
        file_ports: [u16; 6],
    },
}

/// What the capture keeps of a TCP segment to a file server (from its IP header): a request's head,
/// a TLS hello, the record headers of a segment — never a whole file.
pub const TCP_SNAP: u32 = 4096;
/// What the capture keeps of a TFTP packet: the opcode, block or error code and message.
pub const TFTP_SNAP: u32 = 256;
/// The file servers' ports the capture follows when nothing else is known: HTTP, HTTPS and their
/// usual alternatives.
pub const FILE_PORTS: [u16; 4] = [80, 443, 8080, 8443];

/// [`FILE_PORTS`] and room for two more, as [`CaptureFilter::Provisioning`] takes them.
#[must_use]
pub fn file_ports(learned: &[u16]) -> [u16; 6] {
    let mut ports = [0; 6];
    for (slot, port) in ports.iter_mut().zip(FILE_PORTS.iter().chain(learned.iter().take(2))) {
        *slot = *port;
    }
    ports
}

/// Whether this OS's capture hands over link-layer frames (ARP, LLDP, CDP) besides IPv4: plain data
/// for the checks, which say `skip` with the reason where it does not.
pub const LINK_LAYER_CAPTURE: bool = sys::LINK_LAYER_CAPTURE;

/// A frame that is not IPv4, with its link header stripped: ARP, LLDP, CDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkFrame {
    pub direction: Direction,
    pub interface_index: u32,
    pub source_mac: Option<[u8; 6]>,
    pub received_at: Instant,
    /// The `EtherType` (`ETH_P_802_2`, 4, for 802.3 frames carrying LLC).
    pub protocol: u16,
    pub payload: Vec<u8>,
}

/// What [`Capture::next_frame_until`] hands over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Ipv4(CapturedFrame),
    Link(LinkFrame),
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
const LD_W_ABS: u16 = 0x20;
const JA: u16 = 0x05;
const RET_K: u16 = 0x06;
const TFTP_PORT: u32 = 69;
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
        CaptureFilter::Provisioning { port, file_ports } => provisioning_program(port, file_ports),
        CaptureFilter::SipIgmpAndDiscovery { port } => {
            let [dhcp_server, dhcp_client] = [67u32, 68];
            vec![
                /* 0 */ op(LD_H_ABS, 0, 0, ANCILLARY_PROTOCOL),
                /* 1 */ op(JEQ_K, 21, 0, u32::from(ETHERTYPE_ARP)),
                /* 2 */ op(JEQ_K, 20, 0, u32::from(ETHERTYPE_LLDP)),
                /* 3 */ op(JEQ_K, 0, 4, u32::from(ETH_P_802_2)),
                /* 4: LLC/SNAP to Cisco's OUI with protocol id 0x2000 is CDP */
                op(LD_W_ABS, 0, 0, 0),
                /* 5 */ op(JEQ_K, 0, 18, 0xaaaa_0300),
                /* 6 */ op(LD_W_ABS, 0, 0, 4),
                /* 7 */ op(JEQ_K, 15, 16, 0x000c_2000),
                /* 8 */ op(JEQ_K, 0, 15, u32::from(ETHERTYPE_IPV4)),
                /* 9 */ op(LD_B_ABS, 0, 0, 9),
                /* 10 */ op(JEQ_K, 12, 0, u32::from(PROTOCOL_IGMP)),
                /* 11 */ op(JEQ_K, 0, 12, u32::from(PROTOCOL_UDP)),
                /* 12 */ op(LD_H_ABS, 0, 0, 6),
                /* 13: a non-first fragment has no UDP header to match */ op(JSET_K, 9, 0, 0x1fff),
                /* 14: X = IHL × 4 */ op(LDX_B_MSH, 0, 0, 0),
                /* 15 */ op(LD_H_IND, 0, 0, 0),
                /* 16 */ op(JEQ_K, 6, 0, u32::from(port)),
                /* 17 */ op(JEQ_K, 5, 0, dhcp_server),
                /* 18 */ op(JEQ_K, 4, 0, dhcp_client),
                /* 19 */ op(LD_H_IND, 0, 0, 2),
                /* 20 */ op(JEQ_K, 2, 0, u32::from(port)),
                /* 21 */ op(JEQ_K, 1, 0, dhcp_server),
                /* 22 */ op(JEQ_K, 0, 1, dhcp_client),
                /* 23 */ op(RET_K, 0, 0, ACCEPT_ALL),
                /* 24 */ op(RET_K, 0, 0, 0),
            ]
        }
    }
}

/// A jump target in [`provisioning_program`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Label {
    Next,
    Accept,
    Drop,
    Cdp,
    Ip,
    Udp,
    Tftp,
    Tcp,
    File,
}

/// The [`CaptureFilter::Provisioning`] program, written with labels (its length depends on the ports
/// given) and resolved into forward jumps.
fn provisioning_program(port: u16, file_ports: [u16; 6]) -> Vec<BpfInstruction> {
    use Label::{Accept, Cdp, Drop, File, Ip, Next, Tcp, Tftp, Udp};
    let ports: Vec<u32> = file_ports.iter().filter(|p| **p != 0).map(|p| u32::from(*p)).collect();
    let sip = u32::from(port);
    let mut code: Vec<(Option<Label>, u16, Label, Label, u32)> = vec![
        (None, LD_H_ABS, Next, Next, ANCILLARY_PROTOCOL),
        (None, JEQ_K, Accept, Next, u32::from(ETHERTYPE_ARP)),
        (None, JEQ_K, Accept, Next, u32::from(ETHERTYPE_LLDP)),
        (None, JEQ_K, Cdp, Next, u32::from(ETH_P_802_2)),
        (None, JEQ_K, Ip, Drop, u32::from(ETHERTYPE_IPV4)),
        // LLC/SNAP to Cisco's OUI with protocol id 0x2000 is CDP.
        (Some(Cdp), LD_W_ABS, Next, Next, 0),
        (None, JEQ_K, Next, Drop, 0xaaaa_0300),
        (None, LD_W_ABS, Next, Next, 4),
        (None, JEQ_K, Accept, Drop, 0x000c_2000),
        (Some(Ip), LD_B_ABS, Next, Next, 9),
        (None, JEQ_K, Accept, Next, u32::from(PROTOCOL_IGMP)),
        (None, JEQ_K, Udp, Next, u32::from(PROTOCOL_UDP)),
        (None, JEQ_K, Tcp, Drop, u32::from(super::provision::PROTOCOL_TCP)),
        (Some(Udp), LD_H_ABS, Next, Next, 6),
        // A non-first fragment has no UDP header to match.
        (None, JSET_K, Accept, Next, 0x1fff),
        (None, LDX_B_MSH, Next, Next, 0),
    ];
    for at in [0, 2] {
        code.push((None, LD_H_IND, Next, Next, at));
        code.push((None, JEQ_K, Accept, Next, sip));
        code.push((None, JEQ_K, Accept, Next, 67));
        code.push((None, JEQ_K, Accept, Next, 68));
        code.push((None, JEQ_K, Tftp, Next, TFTP_PORT));
    }
    // The server answers a read request from a port of its own: DATA (3), ERROR (5), OACK (6).
    code.push((None, LD_H_IND, Next, Next, 8));
    code.push((None, JEQ_K, Tftp, Next, 3));
    code.push((None, JEQ_K, Tftp, Next, 5));
    code.push((None, JEQ_K, Tftp, Drop, 6));
    code.push((Some(Tftp), RET_K, Next, Next, TFTP_SNAP));
    code.push((Some(Tcp), LD_H_ABS, Next, Next, 6));
    code.push((None, JSET_K, Drop, Next, 0x1fff));
    code.push((None, LDX_B_MSH, Next, Next, 0));
    for at in [0, 2] {
        code.push((None, LD_H_IND, Next, Next, at));
        for port in &ports {
            code.push((None, JEQ_K, File, Next, *port));
        }
    }
    code.push((None, JA, Drop, Drop, 0));
    code.push((Some(File), RET_K, Next, Next, TCP_SNAP));
    code.push((Some(Accept), RET_K, Next, Next, ACCEPT_ALL));
    code.push((Some(Drop), RET_K, Next, Next, 0));
    let place = |label: Label| code.iter().position(|(l, ..)| *l == Some(label));
    let offset = |from: usize, to: Label| -> u32 {
        match to {
            Next => 0,
            label => place(label).map_or(0, |target| u32::try_from(target - from - 1).unwrap_or(0)),
        }
    };
    code.iter()
        .enumerate()
        .map(|(at, (_, opcode, jt, jf, k))| {
            let short = |label| u8::try_from(offset(at, label)).unwrap_or(u8::MAX);
            if *opcode == JA {
                op(JA, 0, 0, offset(at, *jt))
            } else if *opcode & 0x07 == 0x05 {
                op(*opcode, short(*jt), short(*jf), *k)
            } else {
                op(*opcode, 0, 0, *k)
            }
        })
        .collect()
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

    /// Replaces the filter of the open capture (frames already queued passed the old one).
    ///
    /// # Errors
    /// When the OS refuses the program.
    pub fn set_filter(&self, filter: CaptureFilter) -> Result<(), NetError> {
        sys::set_packet_filter(&self.socket, &bpf_program(filter))
            .map_err(|e| NetError::os("replace the capture's filter", e))
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

    /// Makes the NIC accept a link-layer multicast address (LLDP's 01:80:c2:00:00:0e, CDP's
    /// 01:00:0c:cc:cc:cc) for as long as the capture lives: real NICs drop them unless asked.
    ///
    /// # Errors
    /// When the OS refuses the membership.
    pub fn accept_mac(&mut self, mac: [u8; 6]) -> Result<(), NetError> {
        sys::add_packet_membership(&self.socket, self.interface_index, mac).map_err(|e| {
            let mac = crate::net::discovery::mac_string(&mac);
            NetError::classify(format!("accept {mac} on interface {}", self.interface_index), e)
        })
    }

    /// The next IPv4 frame before `deadline`; `None` when none came. Other frames are passed over.
    ///
    /// # Errors
    /// When the OS fails the receive.
    pub fn next_until(&mut self, deadline: Instant) -> Result<Option<CapturedFrame>, NetError> {
        loop {
            match self.next_frame_until(deadline)? {
                Some(Frame::Ipv4(frame)) => return Ok(Some(frame)),
                Some(Frame::Link(_)) => {}
                None => return Ok(None),
            }
        }
    }

    /// The next frame before `deadline`, IPv4 or another link-layer protocol the filter let through.
    ///
    /// # Errors
    /// When the OS fails the receive.
    pub fn next_frame_until(&mut self, deadline: Instant) -> Result<Option<Frame>, NetError> {
        let mut buf = std::mem::take(&mut self.buffer);
        let next = self.next_into(&mut buf, deadline);
        self.buffer = buf;
        next
    }

    fn next_into(&mut self, buf: &mut [u8], deadline: Instant) -> Result<Option<Frame>, NetError> {
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
            if meta.interface_index != self.interface_index {
                continue;
            }
            let Some(bytes) = buf.get(..meta.len) else { continue };
            let received_at = Instant::now();
            if meta.protocol != ETHERTYPE_IPV4 {
                if !matches!(meta.protocol, ETHERTYPE_ARP | ETHERTYPE_LLDP | ETH_P_802_2) {
                    continue;
                }
                return Ok(Some(Frame::Link(LinkFrame {
                    direction: Direction::from_packet_type(meta.packet_type),
                    interface_index: meta.interface_index,
                    source_mac: meta.source_mac,
                    received_at,
                    protocol: meta.protocol,
                    payload: bytes.to_vec(),
                })));
            }
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
            return Ok(Some(Frame::Ipv4(CapturedFrame {
                direction: Direction::from_packet_type(meta.packet_type),
                reassembled,
                interface_index: meta.interface_index,
                source_mac: meta.source_mac,
                received_at,
                packet,
            })));
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
        for filter in [
            CaptureFilter::AllIpv4,
            CaptureFilter::Igmp,
            CaptureFilter::SipAndIgmp { port: 5060 },
            CaptureFilter::SipIgmpAndDiscovery { port: 5060 },
            CaptureFilter::Provisioning { port: 5060, file_ports: file_ports(&[8081, 9000]) },
            CaptureFilter::Provisioning { port: 5060, file_ports: [0; 6] },
        ] {
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

    /// A classic BPF interpreter for the few opcodes the programs use, over a cooked frame.
    fn run(program: &[BpfInstruction], protocol: u16, frame: &[u8]) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let load = |at: u32, n: usize| -> Option<u32> {
            let at = usize::try_from(at).ok()?;
            Some(frame.get(at..at + n)?.iter().fold(0u32, |v, b| v << 8 | u32::from(*b)))
        };
        loop {
            let i = program[pc];
            pc += 1;
            let jump = |taken: bool| usize::from(if taken { i.jt } else { i.jf });
            match i.code {
                LD_H_ABS if i.k == ANCILLARY_PROTOCOL => a = u32::from(protocol),
                LD_H_ABS => match load(i.k, 2) {
                    Some(v) => a = v,
                    None => return 0,
                },
                LD_W_ABS => match load(i.k, 4) {
                    Some(v) => a = v,
                    None => return 0,
                },
                LD_B_ABS => match load(i.k, 1) {
                    Some(v) => a = v,
                    None => return 0,
                },
                LD_H_IND => match load(x + i.k, 2) {
                    Some(v) => a = v,
                    None => return 0,
                },
                LDX_B_MSH => match load(i.k, 1) {
                    Some(v) => x = (v & 0x0f) * 4,
                    None => return 0,
                },
                JEQ_K => pc += jump(a == i.k),
                JA => pc += usize::try_from(i.k).unwrap(),
                JSET_K => pc += jump(a & i.k != 0),
                RET_K => return i.k,
                other => panic!("opcode {other:#x} not interpreted"),
            }
        }
    }

    fn ipv4_udp(source_port: u16, destination_port: u16) -> Vec<u8> {
        let mut ip = vec![0x45, 0, 0, 28, 0, 0, 0, 0, 1, 17, 0, 0, 198, 51, 100, 7, 198, 51, 100, 10];
        ip.extend_from_slice(&source_port.to_be_bytes());
        ip.extend_from_slice(&destination_port.to_be_bytes());
        ip.extend_from_slice(&[0, 8, 0, 0]);
        ip
    }

    #[test]
    fn the_discovery_filter_passes_what_it_names_and_nothing_else() {
        let program = bpf_program(CaptureFilter::SipIgmpAndDiscovery { port: 5060 });
        let pass = |protocol, frame: &[u8]| run(&program, protocol, frame) != 0;
        assert!(pass(ETHERTYPE_IPV4, &ipv4_udp(5060, 5060)));
        assert!(pass(ETHERTYPE_IPV4, &ipv4_udp(67, 68)));
        assert!(pass(ETHERTYPE_IPV4, &ipv4_udp(68, 67)));
        assert!(!pass(ETHERTYPE_IPV4, &ipv4_udp(5353, 5353)));
        let mut igmp = ipv4_udp(0, 0);
        igmp[9] = 2;
        assert!(pass(ETHERTYPE_IPV4, &igmp));
        assert!(pass(ETHERTYPE_ARP, &[0, 1, 8, 0]));
        assert!(pass(ETHERTYPE_LLDP, &[2, 7]));
        let cdp = crate::net::discovery::cdp::build_cdp("sw", "Gi1/0/7", None, Some(100));
        assert!(pass(ETH_P_802_2, &cdp));
        // Spanning tree's BPDUs (LLC 42 42 03) come every 2 s and are not wanted.
        assert!(!pass(ETH_P_802_2, &[0x42, 0x42, 0x03, 0, 0, 0, 0, 0]));
        assert!(!pass(0x86dd, &ipv4_udp(67, 68)));
        // The SIP-only program lets none of the discovery frames through.
        let sip = bpf_program(CaptureFilter::SipAndIgmp { port: 5060 });
        assert_eq!(run(&sip, ETHERTYPE_IPV4, &ipv4_udp(67, 68)), 0);
        assert_eq!(run(&sip, ETHERTYPE_LLDP, &[2, 7]), 0);
        assert_ne!(run(&sip, ETHERTYPE_IPV4, &ipv4_udp(5060, 5060)), 0);
    }

    fn ipv4_tcp(source_port: u16, destination_port: u16) -> Vec<u8> {
        let mut ip = ipv4_udp(source_port, destination_port);
        ip[9] = 6;
        ip.extend_from_slice(&[0; 12]);
        ip
    }

    #[test]
    fn the_provisioning_filter_follows_files_and_registrations_cut_short() {
        let program =
            bpf_program(CaptureFilter::Provisioning { port: 5060, file_ports: [80, 443, 0, 0, 0, 0] });
        let run = |protocol, frame: &[u8]| run(&program, protocol, frame);
        // What the discovery filter passes, it passes whole.
        for (from, to) in [(5060, 5060), (40000, 5060), (67, 68), (68, 67)] {
            assert_eq!(run(ETHERTYPE_IPV4, &ipv4_udp(from, to)), ACCEPT_ALL, "{from}->{to}");
        }
        assert_eq!(run(ETHERTYPE_LLDP, &[2, 7]), ACCEPT_ALL);
        // HTTP and HTTPS both ways, cut at the snap length; other TCP is not read.
        for (from, to) in [(40000, 80), (80, 40000), (40000, 443), (443, 40000)] {
            assert_eq!(run(ETHERTYPE_IPV4, &ipv4_tcp(from, to)), TCP_SNAP, "{from}->{to}");
        }
        assert_eq!(run(ETHERTYPE_IPV4, &ipv4_tcp(40000, 22)), 0);
        assert_eq!(run(ETHERTYPE_IPV4, &ipv4_tcp(40000, 0)), 0, "an unused slot matches nothing");
        // A URL's port learned from a NOTIFY joins the defaults.
        let grown = bpf_program(CaptureFilter::Provisioning { port: 5060, file_ports: file_ports(&[8081]) });
        assert_eq!(super::tests::run(&grown, ETHERTYPE_IPV4, &ipv4_tcp(40000, 8081)), TCP_SNAP);
        assert_eq!(super::tests::run(&grown, ETHERTYPE_IPV4, &ipv4_tcp(8443, 40000)), TCP_SNAP);
        assert_eq!(file_ports(&[1, 2, 3]), [80, 443, 8080, 8443, 1, 2]);
        // TFTP: the read request to 69, and the server's DATA or ERROR from a port of its own.
        assert_eq!(run(ETHERTYPE_IPV4, &ipv4_udp(40000, 69)), TFTP_SNAP);
        let mut data = ipv4_udp(51000, 40000);
        data.extend_from_slice(&[0, 3, 0, 1]);
        assert_eq!(run(ETHERTYPE_IPV4, &data), TFTP_SNAP);
        let mut error = ipv4_udp(51000, 40000);
        error.extend_from_slice(&[0, 5, 0, 1]);
        assert_eq!(run(ETHERTYPE_IPV4, &error), TFTP_SNAP);
        let mut other = ipv4_udp(5353, 5353);
        other.extend_from_slice(&[0, 1, 0, 0]);
        assert_eq!(run(ETHERTYPE_IPV4, &other), 0, "mDNS is not TFTP");
        // Windows runs the same program in user space.
        let packet = ipv4_tcp(40000, 80);
        assert!(crate::net::sys::bpf::accepts(&program, &packet, ETHERTYPE_IPV4));
    }

    #[test]
    fn directions() {
        assert_eq!(Direction::from_packet_type(2), Direction::Multicast);
        assert_eq!(Direction::from_packet_type(4), Direction::Outgoing);
        assert_eq!(Direction::from_packet_type(9), Direction::Other(9));
    }
}
