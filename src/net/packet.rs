//! A pure parser of the IPv4 packets a capture hands over: header (honouring IHL, so options such as
//! IGMP's Router Alert are skipped), then UDP or IGMP. It never panics, whatever the bytes; a fragment
//! is reported as such here, and put back together with its siblings by [`super::reassembly`].
//!
//! The capture socket is "cooked" (no link header), so the input starts at the IP header. Bytes past
//! the IP total length (Ethernet padding of short frames) are ignored.

use std::net::Ipv4Addr;

use super::igmp::{self, IgmpError, IgmpMessage};

pub const PROTOCOL_IGMP: u8 = 2;
pub const PROTOCOL_UDP: u8 = 17;

const MIN_HEADER: usize = 20;
const UDP_HEADER: usize = 8;

/// Why bytes are not an IPv4 packet this parser can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketError {
    /// Fewer bytes than the header (or the header length field) needs.
    Truncated { needed: usize, available: usize },
    /// The version nibble is not 4.
    NotIpv4 { version: u8 },
    /// IHL below 5 words, or a total length shorter than the header.
    BadLength { header_len: usize, total_len: usize },
}

impl std::fmt::Display for PacketError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Truncated { needed, available } => {
                write!(f, "truncated IPv4 packet: needs {needed} bytes, has {available}")
            }
            Self::NotIpv4 { version } => write!(f, "not an IPv4 packet (version {version})"),
            Self::BadLength { header_len, total_len } => {
                write!(f, "bad IPv4 lengths: header {header_len} bytes, total {total_len} bytes")
            }
        }
    }
}

impl std::error::Error for PacketError {}

/// Where a fragment sits in its datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Offset of this fragment's data in the original datagram, in bytes.
    pub offset: usize,
    pub more_fragments: bool,
}

/// What the IP packet carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Udp {
        source_port: u16,
        destination_port: u16,
        payload: Vec<u8>,
    },
    Igmp(IgmpMessage),
    /// An IGMP message that does not parse.
    MalformedIgmp(IgmpError),
    /// A UDP header that does not fit, or a UDP length shorter than its header.
    MalformedUdp {
        payload: Vec<u8>,
    },
    /// Part of a fragmented datagram (see [`super::reassembly`]).
    Fragment {
        payload: Vec<u8>,
    },
    Other {
        payload: Vec<u8>,
    },
}

/// One parsed IPv4 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Packet {
    pub source: Ipv4Addr,
    pub destination: Ipv4Addr,
    pub ttl: u8,
    pub protocol: u8,
    /// IHL × 4: where the payload starts.
    pub header_len: usize,
    /// The total length field.
    pub total_len: usize,
    /// Set for any fragment (first, middle or last).
    pub fragment: Option<Fragment>,
    /// Fewer bytes arrived than the total length says (a short capture).
    pub truncated: bool,
    pub transport: Transport,
}

impl Ipv4Packet {
    /// The UDP ports and payload, when this is a whole UDP datagram.
    #[must_use]
    pub fn udp(&self) -> Option<(u16, u16, &[u8])> {
        match &self.transport {
            Transport::Udp { source_port, destination_port, payload } => {
                Some((*source_port, *destination_port, payload))
            }
            _ => None,
        }
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

fn address(bytes: &[u8], at: usize) -> Option<Ipv4Addr> {
    let octets: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(octets))
}

/// The validated header fields shared by [`parse_ipv4`] and [`igmp::parse_igmp`].
pub(crate) struct IpHeader<'a> {
    pub source: Ipv4Addr,
    pub destination: Ipv4Addr,
    pub ttl: u8,
    pub protocol: u8,
    pub header_len: usize,
    pub total_len: usize,
    pub fragment: Option<Fragment>,
    pub truncated: bool,
    /// The payload: from IHL × 4 to the total length (or the end of the bytes, if shorter).
    pub payload: &'a [u8],
}

pub(crate) fn parse_header(packet: &[u8]) -> Result<IpHeader<'_>, PacketError> {
    let truncated = |needed: usize| PacketError::Truncated { needed, available: packet.len() };
    let first = *packet.first().ok_or(truncated(MIN_HEADER))?;
    let version = first >> 4;
    if version != 4 {
        return Err(PacketError::NotIpv4 { version });
    }
    if packet.len() < MIN_HEADER {
        return Err(truncated(MIN_HEADER));
    }
    let header_len = usize::from(first & 0x0f) * 4;
    let total_len = usize::from(be16(packet, 2).ok_or(truncated(MIN_HEADER))?);
    if header_len < MIN_HEADER || total_len < header_len {
        return Err(PacketError::BadLength { header_len, total_len });
    }
    if packet.len() < header_len {
        return Err(truncated(header_len));
    }
    let flags_offset = be16(packet, 6).ok_or(truncated(MIN_HEADER))?;
    let more_fragments = flags_offset & 0x2000 != 0;
    let offset = usize::from(flags_offset & 0x1fff) * 8;
    let end = total_len.min(packet.len());
    Ok(IpHeader {
        source: address(packet, 12).ok_or(truncated(MIN_HEADER))?,
        destination: address(packet, 16).ok_or(truncated(MIN_HEADER))?,
        ttl: packet[8],
        protocol: packet[9],
        header_len,
        total_len,
        fragment: (more_fragments || offset > 0).then_some(Fragment { offset, more_fragments }),
        truncated: packet.len() < total_len,
        payload: packet.get(header_len..end).unwrap_or_default(),
    })
}

/// Parses an IPv4 packet and, when it is a whole UDP or IGMP message, its transport header.
///
/// # Errors
/// When the bytes are not a readable IPv4 header; a readable header with an unreadable payload is
/// `Ok` with a `Malformed…` or `Other` [`Transport`].
pub fn parse_ipv4(packet: &[u8]) -> Result<Ipv4Packet, PacketError> {
    let header = parse_header(packet)?;
    let payload = header.payload;
    let transport = if header.fragment.is_some() {
        Transport::Fragment { payload: payload.to_vec() }
    } else {
        match header.protocol {
            PROTOCOL_UDP => parse_udp(payload),
            PROTOCOL_IGMP => match igmp::parse_igmp_message(payload) {
                Ok(message) => Transport::Igmp(message),
                Err(error) => Transport::MalformedIgmp(error),
            },
            _ => Transport::Other { payload: payload.to_vec() },
        }
    };
    Ok(Ipv4Packet {
        source: header.source,
        destination: header.destination,
        ttl: header.ttl,
        protocol: header.protocol,
        header_len: header.header_len,
        total_len: header.total_len,
        fragment: header.fragment,
        truncated: header.truncated,
        transport,
    })
}

fn parse_udp(segment: &[u8]) -> Transport {
    let (Some(source_port), Some(destination_port), Some(length)) =
        (be16(segment, 0), be16(segment, 2), be16(segment, 4))
    else {
        return Transport::MalformedUdp { payload: segment.to_vec() };
    };
    let length = usize::from(length);
    if length < UDP_HEADER {
        return Transport::MalformedUdp { payload: segment.to_vec() };
    }
    // A UDP length beyond the bytes we have is a short capture: keep what arrived.
    let end = length.min(segment.len());
    let payload = segment.get(UDP_HEADER..end).unwrap_or_default().to_vec();
    Transport::Udp { source_port, destination_port, payload }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UDP/IPv4 packet as a phone sends a PnP SUBSCRIBE: 198.51.100.20:5060 → 224.0.1.75:5060, TTL 1.
    pub(crate) fn udp_packet(payload: &[u8]) -> Vec<u8> {
        let total = u16::try_from(20 + 8 + payload.len()).unwrap();
        let udp_len = u16::try_from(8 + payload.len()).unwrap();
        let mut p = vec![0x45, 0x00];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 1, PROTOCOL_UDP, 0, 0]);
        p.extend_from_slice(&[198, 51, 100, 20, 224, 0, 1, 75]);
        p.extend_from_slice(&5060u16.to_be_bytes());
        p.extend_from_slice(&5060u16.to_be_bytes());
        p.extend_from_slice(&udp_len.to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn udp_to_the_group() {
        let packet = parse_ipv4(&udp_packet(b"SUBSCRIBE sip:mcast")).unwrap();
        assert_eq!(packet.source, Ipv4Addr::new(198, 51, 100, 20));
        assert_eq!(packet.destination, Ipv4Addr::new(224, 0, 1, 75));
        assert_eq!(packet.ttl, 1);
        assert_eq!(packet.fragment, None);
        assert!(!packet.truncated);
        assert_eq!(packet.udp(), Some((5060, 5060, &b"SUBSCRIBE sip:mcast"[..])));
    }

    #[test]
    fn ethernet_padding_past_total_length_is_ignored() {
        let mut bytes = udp_packet(b"x");
        bytes.extend_from_slice(&[0xee; 17]);
        assert_eq!(parse_ipv4(&bytes).unwrap().udp(), Some((5060, 5060, &b"x"[..])));
    }

    #[test]
    fn header_options_are_skipped_by_ihl() {
        // IHL 6 with a Router Alert option before the UDP header.
        let plain = udp_packet(b"hello");
        let mut with_option = plain[..20].to_vec();
        with_option[0] = 0x46;
        with_option[3] += 4;
        with_option.extend_from_slice(&[0x94, 0x04, 0x00, 0x00]);
        with_option.extend_from_slice(&plain[20..]);
        let packet = parse_ipv4(&with_option).unwrap();
        assert_eq!(packet.header_len, 24);
        assert_eq!(packet.udp(), Some((5060, 5060, &b"hello"[..])));
    }

    #[test]
    fn fragments_are_reported_not_reassembled() {
        let mut first = udp_packet(b"part one");
        first[6] = 0x20; // MF, offset 0
        let packet = parse_ipv4(&first).unwrap();
        assert_eq!(packet.fragment, Some(Fragment { offset: 0, more_fragments: true }));
        assert!(matches!(packet.transport, Transport::Fragment { .. }));

        let mut later = udp_packet(b"part two");
        later[6] = 0x00;
        later[7] = 0x03; // offset 3 × 8 bytes, last fragment
        assert_eq!(
            parse_ipv4(&later).unwrap().fragment,
            Some(Fragment { offset: 24, more_fragments: false })
        );
    }

    #[test]
    fn short_capture_keeps_what_arrived() {
        let bytes = udp_packet(b"a longer SIP message");
        let packet = parse_ipv4(&bytes[..bytes.len() - 6]).unwrap();
        assert!(packet.truncated);
        assert_eq!(packet.udp().unwrap().2, b"a longer SIP m");
    }

    #[test]
    fn garbage_and_truncation_are_errors_not_panics() {
        assert_eq!(parse_ipv4(&[]), Err(PacketError::Truncated { needed: 20, available: 0 }));
        assert_eq!(parse_ipv4(&[0x60; 40]), Err(PacketError::NotIpv4 { version: 6 }));
        assert_eq!(parse_ipv4(&[0x45; 10]), Err(PacketError::Truncated { needed: 20, available: 10 }));
        // IHL 4 (too short), IHL 15 with only 20 bytes, total length below the header.
        let mut bytes = udp_packet(b"");
        bytes[0] = 0x44;
        assert!(matches!(parse_ipv4(&bytes), Err(PacketError::BadLength { .. })));
        bytes[0] = 0x4f;
        bytes[2] = 0;
        bytes[3] = 60;
        assert_eq!(parse_ipv4(&bytes[..20]), Err(PacketError::Truncated { needed: 60, available: 20 }));
        let mut bytes = udp_packet(b"");
        bytes[3] = 10;
        assert!(matches!(parse_ipv4(&bytes), Err(PacketError::BadLength { .. })));
        // A UDP length below 8 and a UDP header cut short.
        let mut bytes = udp_packet(b"abc");
        bytes[25] = 3;
        assert!(matches!(parse_ipv4(&bytes).unwrap().transport, Transport::MalformedUdp { .. }));
        let bytes = udp_packet(b"");
        assert!(matches!(parse_ipv4(&bytes[..24]).unwrap().transport, Transport::MalformedUdp { .. }));
        // Every prefix and every single-byte corruption of a real packet parses or errors cleanly.
        let real = udp_packet(b"SUBSCRIBE");
        for len in 0..=real.len() {
            let _ = parse_ipv4(&real[..len]);
        }
        for at in 0..real.len() {
            for value in [0x00, 0x0f, 0x4f, 0xff] {
                let mut corrupt = real.clone();
                corrupt[at] = value;
                let _ = parse_ipv4(&corrupt);
            }
        }
    }
}
