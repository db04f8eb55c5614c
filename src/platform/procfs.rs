//! Parsers for the Linux `/proc/net` tables mcready reads: `igmp`, `igmp6`, `udp`, `udp6` and `route`.
//!
//! They are pure functions of the text (and of the byte order of the host that wrote it), so they are
//! built and tested on every OS. Each table is untrusted input: a line that does not parse is skipped and
//! counted in [`Parsed::skipped`], never a panic and never a failure of the whole table.
//!
//! The kernel prints IPv4 addresses in these tables as the hex of a `u32` that holds the network-order
//! bytes, printed in the host's own order: `4B0100E0` is 224.0.1.75 on a little-endian host and
//! `E000014B` on a big-endian one. The byte order is therefore a parameter, and the tests cover both.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The byte order of the host whose kernel wrote the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    /// The order of the host this code runs on: the one `/proc` on this machine is written in.
    pub const NATIVE: Self = if cfg!(target_endian = "big") { Self::Big } else { Self::Little };

    fn bytes(self, word: u32) -> [u8; 4] {
        match self {
            Self::Little => word.to_le_bytes(),
            Self::Big => word.to_be_bytes(),
        }
    }
}

/// Rows parsed from a table, and how many lines were skipped because they did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub rows: Vec<T>,
    pub skipped: usize,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Self { rows: Vec::new(), skipped: 0 }
    }
}

/// One group joined on one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub index: u32,
    pub device: String,
    pub group: IpAddr,
    pub users: u32,
}

impl From<GroupRow> for crate::facts::Membership {
    fn from(row: GroupRow) -> Self {
        Self { interface: row.device, interface_index: row.index, group: row.group, users: Some(row.users) }
    }
}

/// One UDP socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpRow {
    pub local: SocketAddr,
    pub uid: u32,
    pub inode: u64,
    /// Datagrams the kernel dropped for this socket (receive buffer full, checksum errors): the last
    /// column. A socket on the PnP port that drops explains a SUBSCRIBE captured but not delivered.
    /// `None` on kernels that do not print the column.
    pub drops: Option<u64>,
}

/// One IPv4 route of the main table, as `/proc/net/route` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    pub device: String,
    pub destination: Ipv4Addr,
    pub gateway: Ipv4Addr,
    pub flags: u16,
    pub metric: u32,
    pub prefix_len: u8,
}

/// Parses each non-blank line after `header_lines` with `row`, counting the lines it rejects.
fn parse_rows<T>(text: &str, header_lines: usize, row: impl Fn(&str) -> Option<T>) -> Parsed<T> {
    let mut parsed = Parsed::default();
    for line in text.lines().skip(header_lines).filter(|l| !l.trim().is_empty()) {
        match row(line) {
            Some(row) => parsed.rows.push(row),
            None => parsed.skipped += 1,
        }
    }
    parsed
}

/// An IPv4 address printed as the host-order hex of its network-order bytes.
#[must_use]
pub fn parse_ipv4_hex(hex: &str, order: ByteOrder) -> Option<Ipv4Addr> {
    if hex.len() != 8 {
        return None;
    }
    Some(Ipv4Addr::from(order.bytes(strict_hex(hex)?)))
}

/// An IPv6 address as `/proc/net/udp6` prints it: four such words, each in host order.
#[must_use]
pub fn parse_ipv6_words_hex(hex: &str, order: ByteOrder) -> Option<Ipv6Addr> {
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
        let word = strict_hex(hex.get(i * 8..i * 8 + 8)?)?;
        chunk.copy_from_slice(&order.bytes(word));
    }
    Some(Ipv6Addr::from(bytes))
}

/// An IPv6 address as `/proc/net/igmp6` prints it: its 16 bytes in network order.
fn parse_ipv6_plain_hex(hex: &str) -> Option<Ipv6Addr> {
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(hex, 16).ok().map(Ipv6Addr::from)
}

/// Hex digits only: `from_str_radix` would also take a leading `+`, which the kernel never prints.
fn strict_hex<T: TryFrom<u64>>(hex: &str) -> Option<T> {
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    T::try_from(u64::from_str_radix(hex, 16).ok()?).ok()
}

/// `/proc/net/igmp`: a header line per device (`2\teth0      :     2      V3`) followed by one indented
/// line per group (`\t\t\t\t4B0100E0     1 0:00000000\t\t0`).
#[must_use]
pub fn parse_igmp(text: &str, order: ByteOrder) -> Parsed<GroupRow> {
    let mut parsed = Parsed::default();
    let mut device: Option<(u32, String)> = None;
    for line in text.lines().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(['\t', ' ']) {
            let row = device.as_ref().and_then(|(index, name)| {
                let mut fields = line.split_whitespace();
                let group = parse_ipv4_hex(fields.next()?, order)?;
                let users = fields.next()?.parse().ok()?;
                Some(GroupRow { index: *index, device: name.clone(), group: IpAddr::V4(group), users })
            });
            match row {
                Some(row) => parsed.rows.push(row),
                None => parsed.skipped += 1,
            }
        } else {
            device = parse_igmp_device(line);
            if device.is_none() {
                parsed.skipped += 1;
            }
        }
    }
    parsed
}

fn parse_igmp_device(line: &str) -> Option<(u32, String)> {
    let (head, _) = line.split_once(':')?;
    let mut fields = head.split_whitespace();
    let index = fields.next()?.parse().ok()?;
    let name = fields.next()?;
    Some((index, name.to_owned()))
}

/// `/proc/net/igmp6`: `2    eth0            ff020000000000000000000000000001     1 0000000C 0`.
#[must_use]
pub fn parse_igmp6(text: &str) -> Parsed<GroupRow> {
    parse_rows(text, 0, |line| {
        let mut fields = line.split_whitespace();
        let index = fields.next()?.parse().ok()?;
        let device = fields.next()?.to_owned();
        let group = parse_ipv6_plain_hex(fields.next()?)?;
        let users = fields.next()?.parse().ok()?;
        Some(GroupRow { index, device, group: IpAddr::V6(group), users })
    })
}

/// `/proc/net/udp` and `/proc/net/udp6`: `sl local_address rem_address st … uid timeout inode …`.
#[must_use]
pub fn parse_udp(text: &str, order: ByteOrder) -> Parsed<UdpRow> {
    parse_rows(text, 1, |line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (addr, port) = fields.get(1)?.split_once(':')?;
        let port = strict_hex(port)?;
        let ip = match addr.len() {
            8 => IpAddr::V4(parse_ipv4_hex(addr, order)?),
            32 => IpAddr::V6(parse_ipv6_words_hex(addr, order)?),
            _ => return None,
        };
        let uid = fields.get(7)?.parse().ok()?;
        let inode = fields.get(9)?.parse().ok()?;
        let drops = fields.get(12).and_then(|d| d.parse().ok());
        Some(UdpRow { local: SocketAddr::new(ip, port), uid, inode, drops })
    })
}

/// `/proc/net/route`: `Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT`. Only
/// the main IPv4 table: the fallback when netlink cannot be used.
#[must_use]
pub fn parse_route(text: &str, order: ByteOrder) -> Parsed<RouteRow> {
    parse_rows(text, 1, |line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let device = (*fields.first()?).to_owned();
        let destination = parse_ipv4_hex(fields.get(1)?, order)?;
        let gateway = parse_ipv4_hex(fields.get(2)?, order)?;
        let flags = strict_hex(fields.get(3)?)?;
        let metric = fields.get(6)?.parse().ok()?;
        let mask = u32::from(parse_ipv4_hex(fields.get(7)?, order)?);
        // A netmask is contiguous ones; anything else is not a mask the kernel would print.
        if mask.leading_ones() + mask.trailing_zeros() != 32 {
            return None;
        }
        let prefix_len = u8::try_from(mask.leading_ones()).ok()?;
        Some(RouteRow { device, destination, gateway, flags, metric, prefix_len })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IGMP: &str = include_str!("../../tests/fixtures/proc/igmp-two-nics.txt");
    const IGMP_BIG_ENDIAN: &str = include_str!("../../tests/fixtures/proc/igmp-big-endian.txt");
    const IGMP_MALFORMED: &str = include_str!("../../tests/fixtures/proc/igmp-malformed.txt");
    const IGMP6: &str = include_str!("../../tests/fixtures/proc/igmp6.txt");
    const UDP: &str = include_str!("../../tests/fixtures/proc/udp.txt");
    const UDP6: &str = include_str!("../../tests/fixtures/proc/udp6.txt");
    const ROUTE: &str = include_str!("../../tests/fixtures/proc/route.txt");

    fn v4(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn pnp_group_hex_depends_on_host_order() {
        assert_eq!(parse_ipv4_hex("4B0100E0", ByteOrder::Little), Some(Ipv4Addr::new(224, 0, 1, 75)));
        assert_eq!(parse_ipv4_hex("E000014B", ByteOrder::Big), Some(Ipv4Addr::new(224, 0, 1, 75)));
        assert_eq!(parse_ipv4_hex("4B0100E", ByteOrder::Little), None);
        assert_eq!(parse_ipv4_hex("4B0100EZ", ByteOrder::Little), None);
        assert_eq!(parse_ipv4_hex("+B0100E0", ByteOrder::Little), None);
    }

    #[test]
    fn igmp_lists_each_group_under_its_device() {
        let parsed = parse_igmp(IGMP, ByteOrder::Little);
        assert_eq!(parsed.skipped, 0);
        let eth0: Vec<_> = parsed.rows.iter().filter(|r| r.device == "eth0").collect();
        assert_eq!(eth0.len(), 2);
        assert_eq!(eth0[0].group, v4("224.0.1.75"));
        assert_eq!(eth0[0].users, 2);
        assert_eq!(eth0[0].index, 2);
        let br0: Vec<_> = parsed.rows.iter().filter(|r| r.device == "br0").map(|r| r.group).collect();
        assert_eq!(br0, [v4("239.255.1.2"), v4("224.0.0.1"), v4("224.0.0.106")]);
        assert_eq!(parsed.rows.len(), 6);
    }

    #[test]
    fn igmp_from_a_big_endian_host() {
        let parsed = parse_igmp(IGMP_BIG_ENDIAN, ByteOrder::Big);
        assert_eq!(parsed.skipped, 0);
        assert!(parsed.rows.iter().any(|r| r.device == "eth0" && r.group == v4("224.0.1.75")));
        // The same text read with the wrong order names other groups: the order really matters.
        let wrong = parse_igmp(IGMP_BIG_ENDIAN, ByteOrder::Little);
        assert!(!wrong.rows.iter().any(|r| r.group == v4("224.0.1.75")));
    }

    #[test]
    fn igmp_skips_and_counts_what_does_not_parse() {
        let parsed = parse_igmp(IGMP_MALFORMED, ByteOrder::Little);
        assert!(parsed.skipped >= 3, "skipped {}", parsed.skipped);
        assert!(parsed.rows.iter().any(|r| r.device == "eth0" && r.group == v4("224.0.1.75")));
    }

    #[test]
    fn igmp6_groups() {
        let parsed = parse_igmp6(IGMP6);
        assert_eq!(parsed.skipped, 0);
        assert_eq!(parsed.rows.len(), 9);
        assert_eq!(parsed.rows[2].device, "eth0");
        assert_eq!(parsed.rows[2].group, "ff02::1:ff00:10".parse::<IpAddr>().unwrap());
        assert_eq!(parsed.rows[3].group, "ff02::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn udp_sockets_with_inodes() {
        let parsed = parse_udp(UDP, ByteOrder::Little);
        assert_eq!(parsed.skipped, 0);
        assert_eq!(parsed.rows[0].local, "224.0.1.75:5060".parse().unwrap());
        assert_eq!(parsed.rows[0].inode, 8205);
        assert_eq!(parsed.rows[0].drops, Some(0));
        assert_eq!(parsed.rows[1].drops, Some(17), "the drops column of a socket whose buffer overflowed");
        assert_eq!(parsed.rows[1].local, "198.51.100.10:5062".parse().unwrap());
        let parsed6 = parse_udp(UDP6, ByteOrder::Little);
        assert_eq!(parsed6.rows[0].local, "[::]:5060".parse().unwrap());
        assert_eq!(parsed6.rows[0].uid, 0);
    }

    #[test]
    fn udp6_words_are_host_order() {
        // ::ffff:198.51.100.10 as a little-endian kernel prints it.
        let ip = parse_ipv6_words_hex("0000000000000000FFFF00000A6433C6", ByteOrder::Little).unwrap();
        assert_eq!(ip, "::ffff:198.51.100.10".parse::<Ipv6Addr>().unwrap());
    }

    #[test]
    fn route_table_with_masks_and_metrics() {
        let parsed = parse_route(ROUTE, ByteOrder::Little);
        assert_eq!(parsed.skipped, 0);
        let default = &parsed.rows[0];
        assert_eq!((default.destination, default.prefix_len), (Ipv4Addr::UNSPECIFIED, 0));
        assert_eq!(default.gateway, Ipv4Addr::new(198, 51, 100, 1));
        assert_eq!(default.metric, 100);
        let mcast = parsed.rows.iter().find(|r| r.destination == Ipv4Addr::new(224, 0, 0, 0)).unwrap();
        assert_eq!((mcast.prefix_len, mcast.metric, mcast.device.as_str()), (4, 10, "eth0"));
    }

    #[test]
    fn garbage_never_panics() {
        for text in ["", "\n\n", ":", "\t\t", "x\n\tzz", "h\n1 : \n\t4B0100E0", "h\n 1: zz:zz"] {
            let _ = parse_igmp(text, ByteOrder::Little);
            let _ = parse_igmp6(text);
            let _ = parse_udp(text, ByteOrder::Big);
            let _ = parse_route(text, ByteOrder::Big);
        }
        let nonascii = "h\n 1: 0000000000000000FFFF00000A6433é:13C4 x x x x x 0 0 1";
        assert_eq!(parse_udp(nonascii, ByteOrder::Little).skipped, 1);
    }
}
