//! The control messages `WSARecvMsg` writes (`WSACMSGHDR`, `ws2def.h`), read from plain bytes so the
//! layout is tested on every OS, not only where Winsock runs.
//!
//! Each message is a header — `cmsg_len` (a `SIZE_T`), `cmsg_level`, `cmsg_type` (two `INT`s) — then
//! its data, at the header's size rounded up to the pointer size (`WSA_CMSG_DATA`); the next header
//! follows at `cmsg_len` rounded up the same way (`WSA_CMSG_NXTHDR`). The constants are Windows' own
//! values, which differ from Linux's.

use std::net::Ipv4Addr;

/// `IPPROTO_IP`.
const LEVEL_IP: i32 = 0;
/// `IP_PKTINFO` on Windows (8 on Linux): an `IN_PKTINFO`, the destination address and interface index.
const IP_PKTINFO: i32 = 19;
/// `IP_TTL` on Windows (2 on Linux): the type of the message `IP_RECVTTL` asks for.
const IP_TTL: i32 = 4;

const WORD: usize = size_of::<usize>();
const HEADER: usize = WORD + 8;

const fn align(len: usize) -> usize {
    len.div_ceil(WORD).saturating_mul(WORD)
}

/// What the control messages of one datagram said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Control {
    pub destination: Option<Ipv4Addr>,
    pub interface_index: Option<u32>,
    pub ttl: Option<u8>,
}

/// Reads the control buffer's first `len` bytes (what `WSAMSG.Control.len` says after the call).
/// Messages that do not fit, or that Windows would not write, are ignored: never a panic.
#[must_use]
pub(crate) fn parse(control: &[u8]) -> Control {
    let mut found = Control::default();
    let mut at = 0usize;
    while let Some(header) = control.get(at..at.saturating_add(HEADER)) {
        let (len_bytes, rest) = header.split_at(WORD);
        let len = usize::from_ne_bytes(len_bytes.try_into().unwrap_or([0; WORD]));
        let level = i32::from_ne_bytes(rest[..4].try_into().unwrap_or_default());
        let kind = i32::from_ne_bytes(rest[4..8].try_into().unwrap_or_default());
        if len < HEADER {
            break;
        }
        let data_start = at + align(HEADER);
        let data = control.get(data_start..at.saturating_add(len)).unwrap_or_default();
        match (level, kind) {
            (LEVEL_IP, IP_PKTINFO) if data.len() >= 8 => {
                found.destination = Some(Ipv4Addr::new(data[0], data[1], data[2], data[3]));
                found.interface_index = Some(u32::from_ne_bytes([data[4], data[5], data[6], data[7]]));
            }
            (LEVEL_IP, IP_TTL) if data.len() >= 4 => {
                found.ttl = u8::try_from(i32::from_ne_bytes([data[0], data[1], data[2], data[3]])).ok();
            }
            (LEVEL_IP, IP_TTL) if !data.is_empty() => found.ttl = Some(data[0]),
            _ => {}
        }
        at = at.saturating_add(align(len));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(level: i32, kind: i32, data: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&(align(HEADER) + data.len()).to_ne_bytes());
        bytes.extend_from_slice(&level.to_ne_bytes());
        bytes.extend_from_slice(&kind.to_ne_bytes());
        bytes.resize(align(HEADER), 0);
        bytes.extend_from_slice(data);
        bytes.resize(align(bytes.len()), 0);
        bytes
    }

    fn pktinfo(address: [u8; 4], index: u32) -> Vec<u8> {
        let mut data = address.to_vec();
        data.extend_from_slice(&index.to_ne_bytes());
        message(LEVEL_IP, IP_PKTINFO, &data)
    }

    #[test]
    fn destination_interface_and_ttl() {
        let mut control = pktinfo([224, 0, 1, 75], 7);
        control.extend(message(LEVEL_IP, IP_TTL, &64i32.to_ne_bytes()));
        assert_eq!(
            parse(&control),
            Control {
                destination: Some(Ipv4Addr::new(224, 0, 1, 75)),
                interface_index: Some(7),
                ttl: Some(64)
            }
        );
        // In either order, and a one-byte TTL too.
        let mut control = message(LEVEL_IP, IP_TTL, &[1]);
        control.extend(pktinfo([198, 51, 100, 10], 3));
        let parsed = parse(&control);
        assert_eq!((parsed.ttl, parsed.interface_index), (Some(1), Some(3)));
    }

    #[test]
    fn other_levels_short_and_broken_messages_are_ignored() {
        // IPv6's IPV6_PKTINFO (level 41) is not this.
        assert_eq!(parse(&message(41, IP_PKTINFO, &[0; 20])), Control::default());
        // An IN_PKTINFO cut short by the buffer.
        let cut = pktinfo([224, 0, 1, 75], 7);
        assert_eq!(parse(&cut[..cut.len() - 6]), Control::default());
        // A zero length would loop forever: the parse stops.
        assert_eq!(parse(&[0u8; 64]), Control::default());
        assert_eq!(parse(&[]), Control::default());
        // A length beyond the buffer: the message does not fit.
        let mut huge = pktinfo([224, 0, 1, 75], 7);
        huge[..WORD].copy_from_slice(&usize::MAX.to_ne_bytes());
        assert_eq!(parse(&huge), Control::default());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..128)) {
            let _ = parse(&bytes);
        }
    }
}
