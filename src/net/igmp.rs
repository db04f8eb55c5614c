//! A pure IGMP parser (RFC 1112, RFC 2236, RFC 3376): queries with their version, scope and maximum
//! response time, v1/v2/v3 reports and v2 leaves. It never panics on any input.
//!
//! IGMP messages carry the IP Router Alert option, so the IGMP header starts at IHL × 4 (usually 24),
//! not at byte 20; [`parse_igmp`] takes the whole IP packet and honours IHL.
//!
//! The query version follows RFC 3376 §7.1: 8 bytes with a zero max-response code is v1, 8 bytes
//! otherwise v2, 12 bytes or more v3; other lengths are not queries.

use std::net::Ipv4Addr;
use std::time::Duration;

use serde::Serialize;

use super::packet::{PROTOCOL_IGMP, PacketError, parse_header};

const TYPE_QUERY: u8 = 0x11;
const TYPE_V1_REPORT: u8 = 0x12;
const TYPE_V2_REPORT: u8 = 0x16;
const TYPE_V2_LEAVE: u8 = 0x17;
const TYPE_V3_REPORT: u8 = 0x22;

/// Why bytes are not an IGMP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgmpError {
    /// The IP header does not parse.
    Ip(PacketError),
    /// The IP packet carries another protocol.
    NotIgmp { protocol: u8 },
    /// Too few bytes for the message type (or for the sources and records it announces).
    Truncated { type_code: u8, needed: usize, available: usize },
    /// A query of a length RFC 3376 says to ignore (9 to 11 bytes).
    BadQueryLength { len: usize },
}

impl std::fmt::Display for IgmpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ip(error) => write!(f, "not a readable IGMP packet: {error}"),
            Self::NotIgmp { protocol } => write!(f, "not IGMP (IP protocol {protocol})"),
            Self::Truncated { type_code, needed, available } => write!(
                f,
                "truncated IGMP message of type {type_code:#04x}: needs {needed} bytes, has {available}"
            ),
            Self::BadQueryLength { len } => write!(f, "IGMP query of invalid length {len}"),
        }
    }
}

impl std::error::Error for IgmpError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IgmpVersion {
    V1,
    V2,
    V3,
}

impl IgmpVersion {
    #[must_use]
    pub fn number(self) -> u8 {
        match self {
            Self::V1 => 1,
            Self::V2 => 2,
            Self::V3 => 3,
        }
    }
}

/// Whom a query asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueryScope {
    /// Every group (group field 0.0.0.0): the periodic query.
    General,
    /// One group: the querier's answer to a leave.
    GroupSpecific,
    /// One group, some sources (IGMPv3 only).
    GroupAndSourceSpecific,
}

/// A membership query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgmpQuery {
    pub version: IgmpVersion,
    /// `None` for a general query.
    pub group: Option<Ipv4Addr>,
    /// How long members may wait before answering (0 for version 1, which has no such field).
    pub max_response: Duration,
    /// IGMPv3: the querier's robustness variable (0 when it exceeds 7).
    pub robustness: Option<u8>,
    /// IGMPv3: the querier's query interval.
    pub query_interval: Option<Duration>,
    pub sources: Vec<Ipv4Addr>,
}

impl IgmpQuery {
    #[must_use]
    pub fn scope(&self) -> QueryScope {
        match (self.group, self.sources.is_empty()) {
            (None, _) => QueryScope::General,
            (Some(_), true) => QueryScope::GroupSpecific,
            (Some(_), false) => QueryScope::GroupAndSourceSpecific,
        }
    }
}

/// One group record of an IGMPv3 report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// 1–6: `MODE_IS_INCLUDE` … `BLOCK_OLD_SOURCES` (RFC 3376 §4.2.12).
    pub record_type: u8,
    pub group: Ipv4Addr,
    pub sources: Vec<Ipv4Addr>,
}

impl GroupRecord {
    /// A record that means "I no longer want this group" (`CHANGE_TO_INCLUDE_MODE` with no sources):
    /// how IGMPv3 hosts leave.
    #[must_use]
    pub fn is_leave(&self) -> bool {
        self.record_type == 3 && self.sources.is_empty()
    }
}

/// One IGMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgmpMessage {
    Query(IgmpQuery),
    /// A version 1 or 2 membership report.
    Report {
        version: IgmpVersion,
        group: Ipv4Addr,
    },
    V3Report {
        records: Vec<GroupRecord>,
    },
    /// An IGMPv2 leave group.
    Leave {
        group: Ipv4Addr,
    },
    /// A type this parser does not know (multicast router discovery, DVMRP, …).
    Unknown {
        type_code: u8,
    },
}

impl IgmpMessage {
    #[must_use]
    pub fn as_query(&self) -> Option<&IgmpQuery> {
        match self {
            Self::Query(query) => Some(query),
            _ => None,
        }
    }

    /// Whether this report (of any version) announces membership of `group`.
    #[must_use]
    pub fn reports_group(&self, group: Ipv4Addr) -> bool {
        match self {
            Self::Report { group: reported, .. } => *reported == group,
            Self::V3Report { records } => records.iter().any(|r| r.group == group && !r.is_leave()),
            _ => false,
        }
    }
}

/// An IGMP message with the IP header fields that matter for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgmpPacket {
    pub source: Ipv4Addr,
    pub destination: Ipv4Addr,
    pub ttl: u8,
    /// The Internet checksum over the IGMP message holds.
    pub checksum_ok: bool,
    pub message: IgmpMessage,
}

/// Parses a whole IPv4 packet carrying IGMP.
///
/// # Errors
/// When the IP header does not parse, the protocol is not IGMP, or the message is too short.
pub fn parse_igmp(ip_packet: &[u8]) -> Result<IgmpPacket, IgmpError> {
    let header = parse_header(ip_packet).map_err(IgmpError::Ip)?;
    if header.protocol != PROTOCOL_IGMP {
        return Err(IgmpError::NotIgmp { protocol: header.protocol });
    }
    Ok(IgmpPacket {
        source: header.source,
        destination: header.destination,
        ttl: header.ttl,
        checksum_ok: internet_checksum(header.payload) == 0,
        message: parse_igmp_message(header.payload)?,
    })
}

/// Parses the IGMP message alone (the bytes from IHL × 4 on).
///
/// # Errors
/// When the message is too short for its type, or is a query of an invalid length.
pub fn parse_igmp_message(igmp: &[u8]) -> Result<IgmpMessage, IgmpError> {
    let Some(&type_code) = igmp.first() else {
        return Err(IgmpError::Truncated { type_code: 0, needed: 8, available: 0 });
    };
    let truncated = |needed: usize| IgmpError::Truncated { type_code, needed, available: igmp.len() };
    let group = Reader(igmp).address(4);
    match type_code {
        TYPE_QUERY => parse_query(igmp).map(IgmpMessage::Query),
        TYPE_V1_REPORT => {
            Ok(IgmpMessage::Report { version: IgmpVersion::V1, group: group.ok_or(truncated(8))? })
        }
        TYPE_V2_REPORT => {
            Ok(IgmpMessage::Report { version: IgmpVersion::V2, group: group.ok_or(truncated(8))? })
        }
        TYPE_V2_LEAVE => Ok(IgmpMessage::Leave { group: group.ok_or(truncated(8))? }),
        TYPE_V3_REPORT => parse_v3_report(igmp),
        _ => Ok(IgmpMessage::Unknown { type_code }),
    }
}

/// Bounds-checked big-endian reads.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.0.get(at).copied()
    }
    fn be16(&self, at: usize) -> Option<u16> {
        Some(u16::from_be_bytes([self.byte(at)?, self.byte(at + 1)?]))
    }
    fn address(&self, at: usize) -> Option<Ipv4Addr> {
        let octets: [u8; 4] = self.0.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(Ipv4Addr::from(octets))
    }
    fn addresses(&self, at: usize, count: usize) -> Option<Vec<Ipv4Addr>> {
        let end = at.checked_add(count.checked_mul(4)?)?;
        let bytes = self.0.get(at..end)?;
        Some(bytes.chunks_exact(4).map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3])).collect())
    }
}

fn parse_query(igmp: &[u8]) -> Result<IgmpQuery, IgmpError> {
    let reader = Reader(igmp);
    let truncated =
        |needed: usize| IgmpError::Truncated { type_code: TYPE_QUERY, needed, available: igmp.len() };
    let code = reader.byte(1).ok_or(truncated(8))?;
    let group = reader.address(4).ok_or(truncated(8))?;
    let group = (!group.is_unspecified()).then_some(group);
    match igmp.len() {
        0..8 => Err(truncated(8)),
        8 => Ok(IgmpQuery {
            version: if code == 0 { IgmpVersion::V1 } else { IgmpVersion::V2 },
            group,
            max_response: Duration::from_millis(u64::from(code) * 100),
            robustness: None,
            query_interval: None,
            sources: Vec::new(),
        }),
        9..12 => Err(IgmpError::BadQueryLength { len: igmp.len() }),
        _ => {
            let flags = reader.byte(8).ok_or(truncated(12))?;
            let qqic = reader.byte(9).ok_or(truncated(12))?;
            let count = usize::from(reader.be16(10).ok_or(truncated(12))?);
            let sources = reader.addresses(12, count).ok_or(truncated(12 + count * 4))?;
            Ok(IgmpQuery {
                version: IgmpVersion::V3,
                group,
                max_response: Duration::from_millis(u64::from(decode_v3_code(code)) * 100),
                robustness: Some(flags & 0x07),
                query_interval: Some(Duration::from_secs(u64::from(decode_v3_code(qqic)))),
                sources,
            })
        }
    }
}

/// RFC 3376 §4.1.1/§4.1.7: values from 128 on are a floating-point mantissa and exponent.
fn decode_v3_code(code: u8) -> u32 {
    if code < 128 {
        u32::from(code)
    } else {
        let mantissa = u32::from(code & 0x0f);
        let exponent = u32::from((code >> 4) & 0x07);
        (mantissa | 0x10) << (exponent + 3)
    }
}

fn parse_v3_report(igmp: &[u8]) -> Result<IgmpMessage, IgmpError> {
    let reader = Reader(igmp);
    let truncated =
        |needed: usize| IgmpError::Truncated { type_code: TYPE_V3_REPORT, needed, available: igmp.len() };
    let count = reader.be16(6).ok_or(truncated(8))?;
    let mut records = Vec::new();
    let mut at = 8usize;
    for _ in 0..count {
        let record_type = reader.byte(at).ok_or(truncated(at + 8))?;
        let aux_words = usize::from(reader.byte(at + 1).ok_or(truncated(at + 8))?);
        let sources = usize::from(reader.be16(at + 2).ok_or(truncated(at + 8))?);
        let group = reader.address(at + 4).ok_or(truncated(at + 8))?;
        let sources = reader.addresses(at + 8, sources).ok_or(truncated(at + 8 + sources * 4))?;
        at += 8 + sources.len() * 4 + aux_words * 4;
        if at > igmp.len() {
            return Err(truncated(at));
        }
        records.push(GroupRecord { record_type, group, sources });
    }
    Ok(IgmpMessage::V3Report { records })
}

/// The one's-complement sum of 16-bit words; 0 when a message with its checksum field adds up.
fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)])))
        .fold(0u32, u32::wrapping_add);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !u16::try_from(sum).unwrap_or(0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IP header with the Router Alert option (IHL 6) around `igmp`, checksum filled in.
    fn ip_with_router_alert(source: [u8; 4], destination: [u8; 4], igmp: &[u8]) -> Vec<u8> {
        let mut igmp = igmp.to_vec();
        if igmp.len() >= 4 {
            igmp[2] = 0;
            igmp[3] = 0;
            let sum = internet_checksum(&igmp).to_be_bytes();
            igmp[2] = sum[0];
            igmp[3] = sum[1];
        }
        let total = u16::try_from(24 + igmp.len()).unwrap().to_be_bytes();
        let mut p = vec![0x46, 0xc0, total[0], total[1], 0, 0, 0x40, 0, 1, PROTOCOL_IGMP, 0, 0];
        p.extend_from_slice(&source);
        p.extend_from_slice(&destination);
        p.extend_from_slice(&[0x94, 0x04, 0x00, 0x00]);
        p.extend_from_slice(&igmp);
        p
    }

    /// Captured with tshark in a lab namespace behind a Linux bridge with `mcast_querier 1` (no address
    /// on the bridge): its IGMPv2 general query from 0.0.0.0 to 224.0.0.1, max response 10 s.
    const BRIDGE_V2_GENERAL_QUERY: [u8; 32] = [
        0x46, 0xc0, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02, 0x04, 0x17, 0x00, 0x00, 0x00, 0x00, 0xe0,
        0x00, 0x00, 0x01, 0x94, 0x04, 0x00, 0x00, 0x11, 0x64, 0xee, 0x9b, 0x00, 0x00, 0x00, 0x00,
    ];
    /// Same capture: the bridge's answer to a leave of 239.255.1.2 — a group-specific query, sent to
    /// 224.0.0.1 (not to the group), max response 1 s.
    const BRIDGE_V2_GROUP_QUERY: [u8; 32] = [
        0x46, 0xc0, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02, 0x04, 0x17, 0x00, 0x00, 0x00, 0x00, 0xe0,
        0x00, 0x00, 0x01, 0x94, 0x04, 0x00, 0x00, 0x11, 0x0a, 0xfd, 0xf3, 0xef, 0xff, 0x01, 0x02,
    ];
    /// Same capture: the host's IGMPv2 leave of 239.255.1.2, from 198.51.100.10 to 224.0.0.2.
    const HOST_V2_LEAVE: [u8; 32] = [
        0x46, 0xc0, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02, 0xd9, 0xd7, 0xc6, 0x33, 0x64, 0x0a, 0xe0,
        0x00, 0x00, 0x02, 0x94, 0x04, 0x00, 0x00, 0x17, 0x00, 0xf7, 0xfd, 0xef, 0xff, 0x01, 0x02,
    ];

    #[test]
    fn captured_bridge_queries_and_host_leave() {
        let specific = parse_igmp(&BRIDGE_V2_GROUP_QUERY).unwrap();
        assert!(specific.checksum_ok);
        assert_eq!(specific.destination, Ipv4Addr::new(224, 0, 0, 1));
        let q = specific.message.as_query().unwrap();
        assert_eq!(q.version, IgmpVersion::V2);
        assert_eq!(q.scope(), QueryScope::GroupSpecific);
        assert_eq!(q.group, Some(Ipv4Addr::new(239, 255, 1, 2)));
        assert_eq!(q.max_response, Duration::from_secs(1));

        let leave = parse_igmp(&HOST_V2_LEAVE).unwrap();
        assert!(leave.checksum_ok);
        assert_eq!(leave.source, Ipv4Addr::new(198, 51, 100, 10));
        assert_eq!(leave.message, IgmpMessage::Leave { group: Ipv4Addr::new(239, 255, 1, 2) });
    }

    #[test]
    fn bridge_general_query_starts_after_the_router_alert() {
        let packet = parse_igmp(&BRIDGE_V2_GENERAL_QUERY).unwrap();
        assert_eq!(packet.source, Ipv4Addr::UNSPECIFIED);
        assert_eq!(packet.destination, Ipv4Addr::new(224, 0, 0, 1));
        assert!(packet.checksum_ok);
        let query = packet.message.as_query().unwrap();
        assert_eq!(query.version, IgmpVersion::V2);
        assert_eq!(query.scope(), QueryScope::General);
        assert_eq!(query.max_response, Duration::from_secs(10));
    }

    #[test]
    fn v2_group_specific_query_and_leave() {
        let query = parse_igmp(&ip_with_router_alert(
            [198, 51, 100, 1],
            [239, 255, 1, 2],
            &[0x11, 10, 0, 0, 239, 255, 1, 2],
        ))
        .unwrap();
        let q = query.message.as_query().unwrap();
        assert_eq!(
            (q.version, q.scope(), q.group),
            (IgmpVersion::V2, QueryScope::GroupSpecific, Some(Ipv4Addr::new(239, 255, 1, 2)))
        );
        assert_eq!(q.max_response, Duration::from_secs(1));
        assert!(query.checksum_ok);

        let leave = parse_igmp(&ip_with_router_alert(
            [198, 51, 100, 10],
            [224, 0, 0, 2],
            &[0x17, 0, 0, 0, 239, 255, 1, 2],
        ))
        .unwrap();
        assert_eq!(leave.message, IgmpMessage::Leave { group: Ipv4Addr::new(239, 255, 1, 2) });
    }

    #[test]
    fn v1_query_and_reports() {
        let v1 = parse_igmp_message(&[0x11, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(v1.as_query().unwrap().version, IgmpVersion::V1);
        assert_eq!(v1.as_query().unwrap().max_response, Duration::ZERO);
        let group = Ipv4Addr::new(224, 0, 1, 75);
        let r1 = parse_igmp_message(&[0x12, 0, 0, 0, 224, 0, 1, 75]).unwrap();
        assert_eq!(r1, IgmpMessage::Report { version: IgmpVersion::V1, group });
        let r2 = parse_igmp_message(&[0x16, 0, 0, 0, 224, 0, 1, 75]).unwrap();
        assert!(r2.reports_group(group));
    }

    #[test]
    fn v3_query_with_sources_and_exponential_codes() {
        // Max resp code 0x8c: mantissa 0xc, exponent 0 → (0x1c) << 3 = 224 tenths; QQIC 125 s; QRV 2.
        let igmp = [0x11, 0x8c, 0, 0, 239, 255, 1, 2, 0x02, 125, 0, 1, 198, 51, 100, 7];
        let q = parse_igmp_message(&igmp).unwrap();
        let q = q.as_query().unwrap();
        assert_eq!(q.version, IgmpVersion::V3);
        assert_eq!(q.scope(), QueryScope::GroupAndSourceSpecific);
        assert_eq!(q.max_response, Duration::from_millis(22_400));
        assert_eq!(q.robustness, Some(2));
        assert_eq!(q.query_interval, Some(Duration::from_secs(125)));
        assert_eq!(q.sources, vec![Ipv4Addr::new(198, 51, 100, 7)]);
        // A v3 general query from a host: 12 bytes, no sources.
        let general = parse_igmp_message(&[0x11, 100, 0, 0, 0, 0, 0, 0, 0x02, 125, 0, 0]).unwrap();
        assert_eq!(general.as_query().unwrap().scope(), QueryScope::General);
        assert_eq!(general.as_query().unwrap().max_response, Duration::from_secs(10));
    }

    #[test]
    fn v3_report_join_and_leave_records() {
        // CHANGE_TO_EXCLUDE (join) of 239.255.1.2, then CHANGE_TO_INCLUDE with no sources (leave) of
        // 224.0.1.75, as a Linux host sends them to 224.0.0.22.
        let igmp = [0x22, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0, 239, 255, 1, 2, 3, 0, 0, 0, 224, 0, 1, 75];
        let packet = parse_igmp(&ip_with_router_alert([198, 51, 100, 10], [224, 0, 0, 22], &igmp)).unwrap();
        assert!(packet.checksum_ok);
        let IgmpMessage::V3Report { records } = &packet.message else { panic!("{:?}", packet.message) };
        assert_eq!(records.len(), 2);
        assert!(!records[0].is_leave());
        assert!(records[1].is_leave());
        assert!(packet.message.reports_group(Ipv4Addr::new(239, 255, 1, 2)));
        assert!(!packet.message.reports_group(Ipv4Addr::new(224, 0, 1, 75)));
    }

    #[test]
    fn truncated_and_garbage_input() {
        assert!(matches!(parse_igmp_message(&[]), Err(IgmpError::Truncated { .. })));
        assert!(matches!(parse_igmp_message(&[0x11, 1, 0]), Err(IgmpError::Truncated { .. })));
        assert_eq!(parse_igmp_message(&[0x11; 10]), Err(IgmpError::BadQueryLength { len: 10 }));
        assert!(matches!(parse_igmp_message(&[0x16, 0, 0, 0, 224]), Err(IgmpError::Truncated { .. })));
        // A v3 query announcing more sources than it carries; a v3 report announcing 65535 records.
        assert!(matches!(
            parse_igmp_message(&[0x11, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]),
            Err(IgmpError::Truncated { .. })
        ));
        assert!(matches!(
            parse_igmp_message(&[0x22, 0, 0, 0, 0, 0, 0xff, 0xff]),
            Err(IgmpError::Truncated { .. })
        ));
        assert_eq!(parse_igmp_message(&[0x30, 0, 0, 0]), Ok(IgmpMessage::Unknown { type_code: 0x30 }));
        // The IP wrapper: not IPv4, not IGMP, IHL pointing past the end.
        assert!(matches!(parse_igmp(&[0x60; 28]), Err(IgmpError::Ip(_))));
        let mut udp = BRIDGE_V2_GENERAL_QUERY;
        udp[9] = 17;
        assert_eq!(parse_igmp(&udp), Err(IgmpError::NotIgmp { protocol: 17 }));
        let mut long_ihl = BRIDGE_V2_GENERAL_QUERY;
        long_ihl[0] = 0x4f;
        assert!(parse_igmp(&long_ihl).is_err());
        // A corrupted checksum is reported, not rejected.
        let mut corrupt = BRIDGE_V2_GENERAL_QUERY;
        corrupt[31] = 1;
        assert!(!parse_igmp(&corrupt).unwrap().checksum_ok);
        for len in 0..=BRIDGE_V2_GENERAL_QUERY.len() {
            let _ = parse_igmp(&BRIDGE_V2_GENERAL_QUERY[..len]);
        }
    }
}
