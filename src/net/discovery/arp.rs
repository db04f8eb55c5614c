//! ARP (RFC 826) for Ethernet and IPv4: who is on the LAN, by MAC and address.

use std::net::Ipv4Addr;

pub const ETHERTYPE_ARP: u16 = 0x0806;

/// The sender of an ARP request or reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    /// 1 request, 2 reply.
    pub operation: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: Ipv4Addr,
    pub target_ip: Ipv4Addr,
}

/// Reads an ARP packet for Ethernet/IPv4; anything else is `None`.
#[must_use]
pub fn parse_arp(data: &[u8]) -> Option<Arp> {
    let [0, 1, 0x08, 0x00, 6, 4, op_high, op_low, rest @ ..] = data else { return None };
    let sender_mac: [u8; 6] = rest.get(..6)?.try_into().ok()?;
    let sender_ip: [u8; 4] = rest.get(6..10)?.try_into().ok()?;
    let target_ip: [u8; 4] = rest.get(16..20)?.try_into().ok()?;
    Some(Arp {
        operation: u16::from_be_bytes([*op_high, *op_low]),
        sender_mac,
        sender_ip: Ipv4Addr::from(sender_ip),
        target_ip: Ipv4Addr::from(target_ip),
    })
}

/// Builds an ARP request (for tests and the lab); a gratuitous one when `target == sender_ip`.
#[must_use]
pub fn build_arp_request(sender_mac: [u8; 6], sender_ip: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    [&[0, 1, 0x08, 0x00, 6, 4, 0, 1][..], &sender_mac, &sender_ip.octets(), &[0; 6], &target.octets()]
        .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_asking_for_its_gateway() {
        let mac = [0x80, 0x5e, 0xc0, 1, 2, 3];
        let request = build_arp_request(mac, Ipv4Addr::new(198, 51, 100, 50), Ipv4Addr::new(198, 51, 100, 1));
        let arp = parse_arp(&request).unwrap();
        assert_eq!((arp.operation, arp.sender_mac, arp.sender_ip), (1, mac, Ipv4Addr::new(198, 51, 100, 50)));
        assert_eq!(arp.target_ip, Ipv4Addr::new(198, 51, 100, 1));
        assert_eq!(parse_arp(&request[..27]), None);
        assert_eq!(parse_arp(&[0, 6, 0x08, 0x00, 6, 4]), None);
    }
}
