//! Properties of the parsers of what follows a phone past PnP, over generated input: no bytes make the
//! parsers of TCP, HTTP heads, TFTP or TLS records panic or read past what they were given. (The flow
//! tracker's property, over generated segments, is in `observe::tally`'s tests.)

use mcready::net::provision::{self, HEAD_LIMIT};
use proptest::prelude::*;

proptest! {
    #[test]
    fn the_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000), claimed in 0usize..70_000) {
        if let Some(tcp) = provision::parse_tcp(&bytes, claimed) {
            prop_assert!(tcp.payload.len() <= bytes.len() && tcp.payload.len() <= tcp.payload_len);
        }
        if let Some(request) = provision::http_request(&bytes) {
            prop_assert!(request.method.len() <= 16 && request.target.len() < HEAD_LIMIT);
        }
        if let Some(response) = provision::http_response(&bytes) {
            prop_assert!((100..600).contains(&response.status));
        }
        let _ = provision::parse_tftp(&bytes, claimed);
        if let Some(record) = provision::tls_record(&bytes) {
            prop_assert!((20..=24).contains(&record.content_type));
        }
        let _ = provision::client_hello_server_name(&bytes);
        let _ = provision::server_hello_version(&bytes);
        let _ = provision::is_client_hello(&bytes);
    }

    /// Text-like heads, where the line parsers do their work.
    #[test]
    fn http_heads_of_any_text_never_panic(head in "[A-Z]{0,8} [ -~]{0,40}( HTTP/1\\.[01])?\r?\n([ -~]{0,30}\r?\n){0,4}") {
        let _ = provision::http_request(head.as_bytes());
        let _ = provision::http_response(head.as_bytes());
    }
}
