//! Fuzzes the capture's frame parser and IP fragment reassembly together: the input is read as a
//! stream of fragments (overlapping, out of order, oversized, endless, of many datagrams at once) fed to
//! one `Reassembler`. Nothing may panic; whatever completes must be a whole, parseable IPv4 datagram;
//! memory stays bounded.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mcready::net::reassembly::{MAX_PENDING, Outcome, Reassembler};

/// One fragment from 6 control bytes and up to 255 data bytes: identification (1 byte, so datagrams
/// collide), offset in 8-byte units (2 bytes, so it can reach past 65,535), flags, data length, and a
/// time step; the data follows.
fn next_fragment(data: &mut &[u8]) -> Option<(Vec<u8>, u64)> {
    let (control, rest) = data.split_first_chunk::<6>()?;
    let [id, offset_hi, offset_lo, flags, len, step] = *control;
    let len = usize::from(len).min(rest.len());
    let (payload, rest) = rest.split_at(len);
    *data = rest;
    let offset = u16::from_be_bytes([offset_hi, offset_lo]) & 0x1fff;
    let more = if flags & 1 != 0 { 0x2000 } else { 0 };
    let total = u16::try_from(20 + payload.len()).ok()?;
    let mut packet = vec![0x45, 0];
    packet.extend_from_slice(&total.to_be_bytes());
    packet.extend_from_slice(&[0, id]);
    packet.extend_from_slice(&(offset | more).to_be_bytes());
    packet.extend_from_slice(&[1, if flags & 2 != 0 { 2 } else { 17 }, 0, 0, 198, 51, 100, 20, 224, 0, 1, 75]);
    packet.extend_from_slice(payload);
    // Now and then a frame cut short, as a short capture would hand over.
    if flags & 4 != 0 {
        packet.truncate(packet.len().saturating_sub(3));
    }
    Some((packet, u64::from(step)))
}

fuzz_target!(|data: &[u8]| {
    // The raw bytes as one frame, through the parser the capture uses.
    let _ = mcready::net::parse_ipv4(data);
    let mut reassembler = Reassembler::new();
    let start = Instant::now();
    let mut at = start;
    let mut rest = data;
    while let Some((fragment, step)) = next_fragment(&mut rest) {
        at += Duration::from_millis(step * 250);
        if let Outcome::Complete(whole) = reassembler.push(&fragment, at) {
            let packet = mcready::net::parse_ipv4(&whole).expect("a reassembled datagram parses");
            assert!(packet.fragment.is_none(), "a reassembled datagram is not a fragment");
            assert_eq!(packet.total_len, whole.len(), "its total length is its size");
            assert!(whole.len() <= 65_535);
        }
        assert!(reassembler.pending() <= MAX_PENDING);
    }
});
