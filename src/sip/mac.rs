//! Ethernet MAC addresses as phones write them in SIP, and the locally administered MAC the probe uses.
//!
//! Phones spell their MAC in many ways (`001565f4f9e1`, `00:15:65:F4:F9:E1`, `00-15-…`, `0015.65f4.f9e1`);
//! [`MacAddr`] reads all of them and always prints the one form the report uses: `00:15:65:f4:f9:e1`.

use std::fmt;
use std::str::FromStr;

/// A 48-bit Ethernet MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

/// Why a string is not a MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacParseError;

impl fmt::Display for MacParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "not a MAC address: expected 12 hex digits, optionally grouped as 00:15:65:73:22:ff, \
             00-15-65-73-22-ff or 0015.6573.22ff",
        )
    }
}

impl std::error::Error for MacParseError {}

impl MacAddr {
    /// The U/L bit: set when the address was assigned locally rather than by a vendor (IEEE 802 §8.2.2).
    #[must_use]
    pub const fn is_locally_administered(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// The I/G bit: set for group (multicast) addresses, which no phone has.
    #[must_use]
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// The bare lowercase form phones put in SIP URIs: `001565f4f9e1`.
    #[must_use]
    pub fn to_compact_string(&self) -> String {
        use fmt::Write as _;
        let mut out = String::with_capacity(12);
        for byte in self.0 {
            let _ = write!(out, "{byte:02x}");
        }
        out
    }

    /// Reads a MAC at the very start of `text` and returns it with the number of bytes it used, so that a
    /// caller can check what follows (a MAC inside a SIP user part is followed by `@`, `;` or `>`).
    pub(crate) fn parse_prefix(text: &str) -> Option<(Self, usize)> {
        let bytes = text.as_bytes();
        // Grouped forms first: a colon or dash after two digits, or a dot after four.
        let separator = match (bytes.get(2), bytes.get(4)) {
            (Some(b':'), _) => Some((b':', 2)),
            (Some(b'-'), _) => Some((b'-', 2)),
            (_, Some(b'.')) => Some((b'.', 4)),
            _ => None,
        };
        let mut octets = [0u8; 6];
        let mut nibbles = 0usize;
        let mut pos = 0usize;
        let mut run = 0usize;
        while nibbles < 12 {
            let &byte = bytes.get(pos)?;
            if let Some(digit) = hex_value(byte) {
                let octet = octets.get_mut(nibbles / 2)?;
                *octet = (*octet << 4) | digit;
                nibbles += 1;
                run += 1;
                pos += 1;
            } else if let Some((sep, group)) = separator {
                if byte != sep || run != group {
                    return None;
                }
                run = 0;
                pos += 1;
            } else {
                return None;
            }
            if separator.is_some_and(|(_, group)| run > group) {
                return None;
            }
        }
        // A thirteenth hex digit means this was not a MAC but a longer hex string.
        if bytes.get(pos).copied().and_then(hex_value).is_some() {
            return None;
        }
        Some((Self(octets), pos))
    }
}

const fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [o0, o1, o2, o3, o4, o5] = self.0;
        write!(f, "{o0:02x}:{o1:02x}:{o2:02x}:{o3:02x}:{o4:02x}:{o5:02x}")
    }
}

impl FromStr for MacAddr {
    type Err = MacParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim_ascii();
        match Self::parse_prefix(text) {
            Some((mac, used)) if used == text.len() => Ok(mac),
            _ => Err(MacParseError),
        }
    }
}

impl serde::Serialize for MacAddr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_spelling_phones_use() {
        let expected = MacAddr([0x00, 0x15, 0x65, 0x73, 0x22, 0xff]);
        for text in
            ["0015657322ff", "00:15:65:73:22:FF", "00-15-65-73-22-ff", "0015.6573.22ff", " 0015657322FF "]
        {
            assert_eq!(text.parse::<MacAddr>(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_mac() {
        for text in [
            "",
            "00156573",
            "001565f4f9e1a",
            "00:15:65:73:22",
            "00:15:65:73:22:ff:",
            "00:1565:73:22:ff",
            "0:15:65:73:22:ff",
            "00-15:65-73-22-ff",
            "zz1565f4f9e1",
            "00:15:65:73:22:ffff",
            "ü01565f4f9e1",
        ] {
            assert_eq!(text.parse::<MacAddr>(), Err(MacParseError), "{text:?}");
        }
    }

    #[test]
    fn prints_lowercase_with_colons_and_serializes_the_same() {
        let mac = MacAddr([0x00, 0x15, 0x65, 0xF4, 0xF9, 0xE1]);
        assert_eq!(mac.to_string(), "00:15:65:f4:f9:e1");
        assert_eq!(mac.to_compact_string(), "001565f4f9e1");
        assert_eq!(serde_json::to_string(&mac).ok().as_deref(), Some("\"00:15:65:f4:f9:e1\""));
    }

    #[test]
    fn knows_the_locally_administered_bit() {
        assert!(!MacAddr([0x00, 0x15, 0x65, 0, 0, 0]).is_locally_administered());
        assert!(MacAddr([0x02, 0, 0, 0, 0, 0]).is_locally_administered());
        assert!(MacAddr([0x01, 0, 0, 0, 0, 0]).is_multicast());
    }

    #[test]
    fn prefix_reports_how_much_it_read() {
        assert_eq!(MacAddr::parse_prefix("001565f4f9e1@224.0.1.75").map(|(_, used)| used), Some(12));
        assert_eq!(MacAddr::parse_prefix("00:15:65:f4:f9:e1>").map(|(_, used)| used), Some(17));
    }
}
