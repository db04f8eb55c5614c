//! Fuzzes the pure parsers that read bytes off the wire: neither may panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mcready::net::parse_igmp(data);
    let _ = mcready::net::igmp::parse_igmp_message(data);
    if let Ok(packet) = mcready::net::parse_ipv4(data) {
        // The header fields must describe the bytes they came from.
        assert!(packet.header_len >= 20 && packet.header_len <= 60);
        assert!(packet.header_len <= packet.total_len);
    }
});
