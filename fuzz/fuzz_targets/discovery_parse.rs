//! Fuzzes the parsers of what else the phones hear (DHCP, LLDP, CDP, ARP): none may panic, whatever
//! the input, and what they return must be shown without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcready::net::discovery::{self, Discovered};

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = discovery::parse_dhcp(data) {
        for (_, value) in message.provisioning() {
            let _ = value.show(&|text| mcready::sip::pnp::redact_url(text));
        }
    }
    let _ = discovery::parse_lldp(data).map(|lldp| lldp.voice().copied());
    let _ = discovery::parse_cdp(data);
    let _ = discovery::parse_arp(data);
    for protocol in [0x0806, 0x88cc, 0x0004] {
        if let Some(Discovered::Arp(arp)) = Discovered::from_link(protocol, data) {
            let _ = discovery::phone_vendor(arp.sender_mac);
        }
    }
    let _ = Discovered::from_udp(std::net::Ipv4Addr::LOCALHOST, 67, 68, data);
});
