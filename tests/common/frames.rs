//! Frames built by tests, byte by byte: Ethernet II and 802.3 headers, IPv4/UDP with real checksums,
//! and a classic pcap file of them for tshark to read. Nothing here sends anything.

/// The ones' complement sum of 16-bit words (RFC 1071), folded.
pub fn internet_checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in chunks {
        let mut words = chunk.chunks_exact(2);
        for word in &mut words {
            sum += u32::from(u16::from_be_bytes([word[0], word[1]]));
        }
        if let [last] = words.remainder() {
            sum += u32::from(u16::from_be_bytes([*last, 0]));
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !u16::try_from(sum).unwrap_or(0xffff)
}

/// An Ethernet II frame.
pub fn ethernet(destination: [u8; 6], source: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    [&destination[..], &source, &ethertype.to_be_bytes(), payload].concat()
}

/// An 802.3 frame (a length where the `EtherType` would be), as CDP goes.
pub fn ieee_802_3(destination: [u8; 6], source: [u8; 6], payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len()).expect("an 802.3 payload fits 1500 bytes");
    [&destination[..], &source, &len.to_be_bytes(), payload].concat()
}

/// An IPv4 header and UDP datagram (checksums computed), without a link header.
pub fn ipv4_udp(
    (source, source_port): (std::net::Ipv4Addr, u16),
    (destination, destination_port): (std::net::Ipv4Addr, u16),
    ttl: u8,
    payload: &[u8],
) -> Vec<u8> {
    let udp_len = u16::try_from(8 + payload.len()).expect("payload too long");
    let mut ip = vec![0x45, 0x00];
    ip.extend_from_slice(&(20 + udp_len).to_be_bytes());
    ip.extend_from_slice(&[0x12, 0x34, 0x00, 0x00, ttl, 17, 0x00, 0x00]);
    ip.extend_from_slice(&source.octets());
    ip.extend_from_slice(&destination.octets());
    let checksum = internet_checksum(&[&ip]);
    ip[10..12].copy_from_slice(&checksum.to_be_bytes());
    let mut udp = Vec::with_capacity(usize::from(udp_len));
    udp.extend_from_slice(&source_port.to_be_bytes());
    udp.extend_from_slice(&destination_port.to_be_bytes());
    udp.extend_from_slice(&udp_len.to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let pseudo = [&source.octets()[..], &destination.octets(), &[0, 17], &udp_len.to_be_bytes()].concat();
    let checksum = match internet_checksum(&[&pseudo, &udp]) {
        0 => 0xffff,
        sum => sum,
    };
    udp[6..8].copy_from_slice(&checksum.to_be_bytes());
    [ip, udp].concat()
}

/// A classic libpcap file (microsecond timestamps, `LINKTYPE_ETHERNET`) of whole Ethernet frames.
pub fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4_u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65_535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (index, frame) in frames.iter().enumerate() {
        let len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        out.extend_from_slice(&(u32::try_from(index).unwrap_or(0) * 1000).to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(frame);
    }
    out
}

/// tshark prints expert severities in decimal or as `0x…` depending on its version.
pub fn parse_severity(text: &str) -> u32 {
    let text = text.trim();
    text.strip_prefix("0x")
        .map_or_else(|| text.parse().ok(), |hex| u32::from_str_radix(hex, 16).ok())
        .unwrap_or_else(|| panic!("unreadable expert severity {text:?}"))
}

/// Wireshark's expert severity for warnings (`PI_WARN`); errors are `0x00800000`.
pub const EXPERT_WARN: u32 = 0x0060_0000;
