//! The link's other talk that decides how phones provision, read passively: DHCP answers carrying
//! provisioning options ([`dhcp`]), the switch's LLDP and CDP announcements with their voice VLAN
//! ([`lldp`], [`cdp`]), ARP ([`arp`]), and the phone vendors' MAC prefixes ([`phone_vendor`]).
//!
//! Pure parsers of untrusted bytes: no I/O, no panics (fuzzed by `fuzz/fuzz_targets/discovery_parse.rs`).
//! [`Discovered::from_link`] and [`Discovered::from_udp`] say what a captured frame is.

pub mod arp;
pub mod cdp;
pub mod dhcp;
pub mod lldp;

use std::net::Ipv4Addr;

pub use arp::{Arp, parse_arp};
pub use cdp::{CDP_MAC, Cdp, parse_cdp};
pub use dhcp::{DhcpMessage, MessageType, OptionValue, parse_dhcp};
pub use lldp::{LLDP_MAC, Lldp, NetworkPolicy, parse_lldp};

/// The `EtherType` (as a cooked capture reports it) of 802.3 frames carrying 802.2 LLC, CDP among them.
pub const ETH_P_802_2: u16 = 0x0004;
pub const DHCP_SERVER_PORT: u16 = 67;
pub const DHCP_CLIENT_PORT: u16 = 68;

/// One frame that says something about how phones provision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovered {
    /// A DHCP message, with the IPv4 source it came from.
    Dhcp {
        source: Ipv4Addr,
        message: Box<DhcpMessage>,
    },
    Lldp(Box<Lldp>),
    Cdp(Box<Cdp>),
    Arp(Arp),
}

impl Discovered {
    /// A non-IP frame by its `EtherType` and payload (the link header already stripped).
    #[must_use]
    pub fn from_link(protocol: u16, payload: &[u8]) -> Option<Self> {
        match protocol {
            lldp::ETHERTYPE_LLDP => parse_lldp(payload).ok().map(|l| Self::Lldp(Box::new(l))),
            ETH_P_802_2 => parse_cdp(payload).ok().map(|c| Self::Cdp(Box::new(c))),
            arp::ETHERTYPE_ARP => parse_arp(payload).map(Self::Arp),
            _ => None,
        }
    }

    /// A UDP datagram between the DHCP ports.
    #[must_use]
    pub fn from_udp(
        source: Ipv4Addr,
        source_port: u16,
        destination_port: u16,
        payload: &[u8],
    ) -> Option<Self> {
        let ports = [source_port, destination_port];
        if !ports.contains(&DHCP_SERVER_PORT)
            || !ports.iter().all(|p| [DHCP_SERVER_PORT, DHCP_CLIENT_PORT].contains(p))
        {
            return None;
        }
        parse_dhcp(payload).ok().map(|message| Self::Dhcp { source, message: Box::new(message) })
    }
}

/// A name a switch announces, fit to print: lossy UTF-8, control characters and trailing NULs dropped.
fn label(value: &[u8]) -> String {
    String::from_utf8_lossy(value).trim_end_matches('\0').chars().filter(|c| !c.is_control()).collect()
}

/// Bytes as lowercase hex, no separators.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// `00:15:65:73:22:ff`, the form `Phone::mac` uses.
#[must_use]
pub fn mac_string(mac: &[u8]) -> String {
    mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// The phone vendors' MA-L prefixes, extracted from the IEEE registry by `scripts/phone-ouis.py`.
const PHONE_OUIS: &str = include_str!("phone-ouis.csv");

/// The phone vendor whose IEEE MA-L prefix `mac` carries (Yealink, Poly, Snom, …), if any.
#[must_use]
pub fn phone_vendor(mac: [u8; 6]) -> Option<&'static str> {
    let prefix = format!("{:02X}{:02X}{:02X}", mac[0], mac[1], mac[2]);
    phone_ouis().find(|(p, _, _)| *p == prefix).map(|(_, vendor, _)| vendor)
}

/// `(prefix, vendor, organization)` rows of the table.
pub fn phone_ouis() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    PHONE_OUIS.lines().skip(2).filter_map(|line| {
        let mut fields = line.splitn(3, ',');
        Some((fields.next()?, fields.next()?, fields.next()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors_by_prefix() {
        assert_eq!(phone_vendor([0x80, 0x5e, 0xc0, 1, 2, 3]), Some("Yealink"));
        assert_eq!(phone_vendor([0x00, 0x04, 0xf2, 1, 2, 3]), Some("Poly"));
        assert_eq!(phone_vendor([0x00, 0x0f, 0xd3, 1, 2, 3]), Some("Sangoma"));
        assert_eq!(phone_vendor([0x02, 0x00, 0x00, 1, 2, 3]), None);
        assert!(phone_ouis().count() >= 20);
        assert!(phone_ouis().all(|(p, v, o)| p.len() == 6 && !v.is_empty() && !o.is_empty()));
    }

    /// Every row matches the IEEE registry as Debian's `ieee-data` ships it (when installed): the
    /// prefix is assigned (MA-L) to the organization the row names.
    #[test]
    fn every_prefix_matches_the_ieee_registry() {
        let Ok(registry) = std::fs::read_to_string("/usr/share/ieee-data/oui.csv") else {
            eprintln!("skipped: /usr/share/ieee-data/oui.csv is absent (apt-get install ieee-data)");
            return;
        };
        for (prefix, _, organization) in phone_ouis() {
            let row = registry.lines().find(|line| line.starts_with(&format!("MA-L,{prefix},")));
            let row = row.unwrap_or_else(|| panic!("{prefix} is not an MA-L assignment in oui.csv"));
            assert!(row.contains(organization), "{prefix}: {row} does not name {organization}");
        }
    }

    #[test]
    fn frames_by_kind() {
        let lldp = lldp::build_lldp([2, 0, 0, 0, 0, 1], "7", "sw", None, Some((100, true)));
        assert!(matches!(Discovered::from_link(0x88cc, &lldp), Some(Discovered::Lldp(_))));
        let cdp = cdp::build_cdp("sw", "Gi1/0/7", None, Some(100));
        assert!(matches!(Discovered::from_link(ETH_P_802_2, &cdp), Some(Discovered::Cdp(_))));
        assert_eq!(Discovered::from_link(0x0800, &cdp), None);
        let ack = dhcp::build_dhcp(2, 1, [0x80, 0x5e, 0xc0, 1, 2, 3], Ipv4Addr::UNSPECIFIED, &[(53, &[5])]);
        let server = Ipv4Addr::new(198, 51, 100, 1);
        assert!(matches!(Discovered::from_udp(server, 67, 68, &ack), Some(Discovered::Dhcp { .. })));
        assert_eq!(Discovered::from_udp(server, 5060, 68, &ack), None);
        assert_eq!(Discovered::from_udp(server, 68, 68, &ack), None);
    }
}
