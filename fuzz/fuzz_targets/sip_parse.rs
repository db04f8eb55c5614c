//! Any datagram through `sip::parse` and every PnP extraction and answer builder: none may panic, and
//! what parses must keep its invariants (the body lies inside the datagram; a Content-Length framing is
//! exact; an answer built from a parsed request parses again).
#![no_main]

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use mcready::sip::build::{self, NotifyOptions};
use mcready::sip::{self, BodyFraming, pnp, value};

fuzz_target!(|data: &[u8]| {
    let Ok(message) = sip::parse(data) else {
        return;
    };
    let body = message.body();
    assert!(body.len() <= data.len());
    match message.body_framing() {
        BodyFraming::ContentLength => {
            let declared = message.header("Content-Length").map(str::trim);
            assert_eq!(
                declared.and_then(|text| text.parse::<usize>().ok()),
                Some(body.len())
            );
        }
        BodyFraming::DatagramEnd { actual, .. } => assert_eq!(actual, body.len()),
    }

    let _ = pnp::is_pnp_subscribe(&message);
    let phone = pnp::identify_phone(&message);
    if let Some(mac) = phone.mac {
        assert_eq!(mac.to_string().parse::<sip::MacAddr>(), Ok(mac));
    }
    let _ = pnp::notify_info(&message);
    let _ = pnp::response_info(&message);
    let _ = pnp::reply_target(&message, SocketAddr::from(([198, 51, 100, 1], 5060)));
    let _ = (message.call_id(), message.cseq(), message.via_branch());
    for header in message.all_headers() {
        let _ = header.unfolded();
        let _ = value::parse_via(header.value);
        let _ = value::name_addr_uri(header.value);
        let _ = value::tag(header.value);
        let _ = value::params(value::split_params(header.value).1).count();
    }

    // Answers built from a parsed request must themselves parse: the builders may not turn odd input
    // into a malformed message.
    if let Ok(ok) = build::ok_response(&message, "fuzz", "sip:198.51.100.1:5060", sip::USER_AGENT) {
        assert!(
            sip::parse(&ok).is_ok(),
            "unparsable 200 OK: {:?}",
            String::from_utf8_lossy(&ok)
        );
    }
    let options = NotifyOptions {
        local: SocketAddr::from(([198, 51, 100, 1], 5060)),
        our_tag: "fuzz",
        cseq: 1,
        user_agent: sip::USER_AGENT,
    };
    if let Ok(notify) = build::notify_for(&message, "http://198.51.100.1/p", &options) {
        assert!(
            sip::parse(&notify).is_ok(),
            "unparsable NOTIFY: {:?}",
            String::from_utf8_lossy(&notify)
        );
    }
});
