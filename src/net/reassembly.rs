//! IP fragment reassembly for the capture: a phone whose SUBSCRIBE carries many headers (2.9 kB and
//! more) sends it in two or three fragments, and only the first holds the UDP ports. Without this, every
//! piece would be "not SIP" junk on port 0 and the phone blamed for a silence that was not.
//!
//! Pure and bounded, because fragments are untrusted input: at most [`MAX_PENDING`] datagrams are
//! pending at once (the oldest is dropped for a new one), each at most 65,535 bytes and
//! [`MAX_FRAGMENTS`] pieces, and each is forgotten [`TIMEOUT`] after its first piece (Linux's
//! `ipfrag_time`). Overlapping pieces discard the whole datagram, as Linux does: overlaps are how
//! fragment attacks rewrite what a filter saw, and a genuine sender never overlaps.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use super::packet::{Fragment, parse_header};

/// Datagrams being reassembled at most.
pub const MAX_PENDING: usize = 64;
/// Pieces of one datagram at most (a 65,535-byte datagram over a 1,500-byte MTU needs 45).
pub const MAX_FRAGMENTS: usize = 64;
/// How long a datagram may take to complete.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest IPv4 datagram: the total length field is 16 bits.
const MAX_DATAGRAM: usize = 65_535;

/// What one fragment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored; the datagram is not complete yet.
    Pending,
    /// The datagram is complete: its bytes, as if it had arrived whole (header of the first piece,
    /// total length set, fragment fields cleared).
    Complete(Vec<u8>),
    /// The datagram was discarded (overlap, too big, too many pieces, inconsistent ends).
    Discarded(&'static str),
    /// Not a fragment, or bytes that are not IPv4.
    NotAFragment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    source: Ipv4Addr,
    destination: Ipv4Addr,
    identification: u16,
    protocol: u8,
}

#[derive(Debug)]
struct Pending {
    key: Key,
    first_seen: Instant,
    /// The IP header of the piece at offset 0, once it arrived.
    header: Option<Vec<u8>>,
    /// (offset, data), kept sorted by offset.
    pieces: Vec<(usize, Vec<u8>)>,
    /// The payload length, known once the last piece (no "more fragments") arrived.
    total: Option<usize>,
}

/// The reassembly buffer of one capture.
#[derive(Debug, Default)]
pub struct Reassembler {
    pending: Vec<Pending>,
    discarded: u64,
}

impl Reassembler {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Datagrams discarded so far (overlaps, oversize, too many pieces, timeouts, evictions).
    #[must_use]
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// Datagrams pending now.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Takes one captured IPv4 packet (starting at its IP header) seen at `now`.
    pub fn push(&mut self, bytes: &[u8], now: Instant) -> Outcome {
        self.expire(now);
        let Ok(header) = parse_header(bytes) else { return Outcome::NotAFragment };
        let Some(Fragment { offset, more_fragments }) = header.fragment else { return Outcome::NotAFragment };
        let key = Key {
            source: header.source,
            destination: header.destination,
            identification: identification(bytes).unwrap_or_default(),
            protocol: header.protocol,
        };
        let data = header.payload;
        // A short capture of a piece leaves a hole that can never be filled: drop the datagram.
        if header.truncated {
            return self.discard(key, "a fragment arrived truncated");
        }
        let end = offset.saturating_add(data.len());
        if end.saturating_add(header.header_len) > MAX_DATAGRAM {
            return self.discard(key, "fragments beyond the largest IPv4 datagram");
        }
        // Every piece but the last carries a multiple of 8 bytes (RFC 791).
        if more_fragments && data.len() % 8 != 0 {
            return self.discard(key, "a middle fragment not a multiple of 8 bytes");
        }
        let index = if let Some(index) = self.pending.iter().position(|p| p.key == key) {
            index
        } else {
            if self.pending.len() >= MAX_PENDING {
                // The oldest goes: a flood of first pieces cannot pin memory or starve new phones.
                self.pending.remove(0);
                self.discarded += 1;
            }
            self.pending.push(Pending {
                key,
                first_seen: now,
                header: None,
                pieces: Vec::new(),
                total: None,
            });
            self.pending.len() - 1
        };
        let Some(entry) = self.pending.get_mut(index) else { return Outcome::NotAFragment };
        let problem = entry.add(offset, data, more_fragments, bytes.get(..header.header_len));
        if let Some(reason) = problem {
            return self.discard(key, reason);
        }
        let Some(entry) = self.pending.get(index) else { return Outcome::NotAFragment };
        match entry.assemble() {
            Some(datagram) => {
                self.pending.remove(index);
                Outcome::Complete(datagram)
            }
            None => Outcome::Pending,
        }
    }

    fn discard(&mut self, key: Key, reason: &'static str) -> Outcome {
        self.pending.retain(|p| p.key != key);
        self.discarded += 1;
        Outcome::Discarded(reason)
    }

    fn expire(&mut self, now: Instant) {
        let before = self.pending.len();
        self.pending.retain(|p| now.saturating_duration_since(p.first_seen) < TIMEOUT);
        self.discarded += u64::try_from(before - self.pending.len()).unwrap_or(u64::MAX);
    }
}

impl Pending {
    /// Adds a piece; `Some(reason)` when the datagram must be discarded.
    fn add(
        &mut self,
        offset: usize,
        data: &[u8],
        more_fragments: bool,
        header: Option<&[u8]>,
    ) -> Option<&'static str> {
        let end = offset + data.len();
        if !more_fragments {
            match self.total {
                Some(total) if total != end => return Some("two different last fragments"),
                _ => self.total = Some(end),
            }
        }
        if self.total.is_some_and(|total| end > total) {
            return Some("a fragment beyond the last one");
        }
        if data.is_empty() {
            return None;
        }
        // An exact repeat (a retransmitted frame) is harmless; anything else overlapping is not.
        for (start, existing) in &self.pieces {
            let existing_end = start + existing.len();
            if offset < existing_end && *start < end {
                return if *start == offset && existing.as_slice() == data {
                    None
                } else {
                    Some("overlapping fragments")
                };
            }
        }
        if self.pieces.len() >= MAX_FRAGMENTS {
            return Some("too many fragments");
        }
        if offset == 0 {
            self.header = header.map(<[u8]>::to_vec);
        }
        let at = self.pieces.partition_point(|(start, _)| *start < offset);
        self.pieces.insert(at, (offset, data.to_vec()));
        None
    }

    /// The whole datagram, once the first and last pieces arrived and nothing is missing between.
    fn assemble(&self) -> Option<Vec<u8>> {
        let total = self.total?;
        let header = self.header.as_ref()?;
        let mut covered = 0;
        for (start, data) in &self.pieces {
            if *start != covered {
                return None;
            }
            covered += data.len();
        }
        if covered != total {
            return None;
        }
        let length = u16::try_from(header.len() + total).ok()?;
        let mut datagram = Vec::with_capacity(header.len() + total);
        datagram.extend_from_slice(header);
        let length = length.to_be_bytes();
        // Total length, then flags and fragment offset cleared (keeping DF is meaningless here).
        *datagram.get_mut(2)? = length[0];
        *datagram.get_mut(3)? = length[1];
        *datagram.get_mut(6)? = 0;
        *datagram.get_mut(7)? = 0;
        for (_, data) in &self.pieces {
            datagram.extend_from_slice(data);
        }
        Some(datagram)
    }
}

fn identification(bytes: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(4)?, *bytes.get(5)?]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::packet::parse_ipv4;

    /// A UDP datagram 198.51.100.20:5060 → 224.0.1.75:5060 with `payload`, cut into IP fragments whose
    /// payloads are `sizes` bytes (the last takes the rest); identification `id`.
    fn fragments(payload: &[u8], sizes: &[usize], id: u16) -> Vec<Vec<u8>> {
        let mut udp = Vec::new();
        udp.extend_from_slice(&5060u16.to_be_bytes());
        udp.extend_from_slice(&5060u16.to_be_bytes());
        udp.extend_from_slice(&u16::try_from(8 + payload.len()).unwrap().to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(payload);
        let mut out = Vec::new();
        let mut offset = 0;
        let mut sizes = sizes.iter();
        while offset < udp.len() {
            let size = sizes.next().copied().unwrap_or(udp.len() - offset).min(udp.len() - offset);
            let last = offset + size == udp.len();
            out.push(piece(&udp[offset..offset + size], offset, !last, id));
            offset += size;
        }
        out
    }

    fn piece(data: &[u8], offset: usize, more: bool, id: u16) -> Vec<u8> {
        let total = u16::try_from(20 + data.len()).unwrap();
        let flags = u16::try_from(offset / 8).unwrap() | if more { 0x2000 } else { 0 };
        let mut p = vec![0x45, 0x00];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&flags.to_be_bytes());
        p.extend_from_slice(&[1, 17, 0, 0, 198, 51, 100, 20, 224, 0, 1, 75]);
        p.extend_from_slice(data);
        p
    }

    fn subscribe(len: usize) -> Vec<u8> {
        let mut text = b"SUBSCRIBE sip:MAC%3a0015651234ab@224.0.1.75 SIP/2.0\r\n".to_vec();
        while text.len() < len {
            text.extend_from_slice(b"X-Padding: many headers from a phone with a long feature list\r\n");
        }
        text
    }

    fn run(pieces: &[Vec<u8>]) -> Vec<Outcome> {
        let mut r = Reassembler::new();
        let now = Instant::now();
        pieces.iter().map(|p| r.push(p, now)).collect()
    }

    #[test]
    fn two_fragments_of_a_long_subscribe_become_one_udp_datagram() {
        let payload = subscribe(2900);
        let pieces = fragments(&payload, &[1480], 7);
        assert_eq!(pieces.len(), 2);
        let outcomes = run(&pieces);
        assert_eq!(outcomes[0], Outcome::Pending);
        let Outcome::Complete(bytes) = &outcomes[1] else { panic!("{:?}", outcomes[1]) };
        let packet = parse_ipv4(bytes).unwrap();
        assert_eq!(packet.fragment, None);
        assert_eq!(packet.udp(), Some((5060, 5060, payload.as_slice())));
    }

    #[test]
    fn out_of_order_fragments_complete_too() {
        let payload = subscribe(4000);
        let mut pieces = fragments(&payload, &[1480, 1480], 9);
        pieces.reverse();
        let outcomes = run(&pieces);
        assert!(matches!(outcomes.last(), Some(Outcome::Complete(_))), "{outcomes:?}");
        let Some(Outcome::Complete(bytes)) = outcomes.last() else { unreachable!() };
        assert_eq!(parse_ipv4(bytes).unwrap().udp().unwrap().2, payload.as_slice());
    }

    #[test]
    fn overlapping_fragments_discard_the_datagram_and_repeats_do_not() {
        let payload = subscribe(2000);
        let pieces = fragments(&payload, &[1480], 3);
        // The same first piece twice (a retransmitted frame) is harmless.
        let outcomes = run(&[pieces[0].clone(), pieces[0].clone(), pieces[1].clone()]);
        assert!(matches!(outcomes[2], Outcome::Complete(_)), "{outcomes:?}");
        // A piece rewriting bytes already received discards everything.
        let udp_tail = &pieces[1][20..];
        let overlapping = piece(udp_tail, 1472, false, 3);
        let outcomes = run(&[pieces[0].clone(), overlapping]);
        assert_eq!(outcomes[1], Outcome::Discarded("overlapping fragments"));
    }

    #[test]
    fn oversized_and_endless_fragments_are_bounded() {
        // A piece reaching past 65,535 bytes.
        let far = piece(&[0u8; 16], 65_528, false, 4);
        assert_eq!(run(&[far]), [Outcome::Discarded("fragments beyond the largest IPv4 datagram")]);
        // Endless "more fragments" pieces of one datagram: discarded after MAX_FRAGMENTS.
        let mut r = Reassembler::new();
        let now = Instant::now();
        let mut last = Outcome::Pending;
        for i in 0..200 {
            last = r.push(&piece(&[0u8; 8], 8 + i * 8, true, 5), now);
            if last != Outcome::Pending {
                break;
            }
        }
        assert_eq!(last, Outcome::Discarded("too many fragments"));
        // First pieces of endless different datagrams: never more than MAX_PENDING kept.
        for id in 0..1000u16 {
            let _ = r.push(&piece(&[0u8; 8], 0, true, id), now);
        }
        assert!(r.pending() <= MAX_PENDING);
        // And they expire.
        let _ = r.push(&piece(&[0u8; 8], 0, true, 1), now + TIMEOUT + Duration::from_secs(1));
        assert_eq!(r.pending(), 1);
    }

    #[test]
    fn whole_datagrams_and_garbage_are_not_fragments() {
        let whole = piece(b"\x13\xc4\x13\xc4\x00\x09\x00\x00x", 0, false, 1);
        assert_eq!(
            run(&[whole, Vec::new(), vec![0x45; 3]]),
            [Outcome::NotAFragment, Outcome::NotAFragment, Outcome::NotAFragment]
        );
    }

    #[test]
    fn two_different_last_fragments_discard() {
        let a = piece(&[0u8; 16], 16, false, 6);
        let b = piece(&[0u8; 8], 40, false, 6);
        assert_eq!(run(&[a, b])[1], Outcome::Discarded("two different last fragments"));
    }
}
