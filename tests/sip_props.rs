//! Properties of the SIP parser and builders over generated input: no input makes the parser or any PnP
//! extraction panic, and whatever the builders write reads back as what they were given.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use mcready::sip::build::{self, NotifyOptions, ProbeSubscribe};
use mcready::sip::pnp;
use mcready::sip::{self, BodyFraming, MacAddr, Message};
use proptest::prelude::*;

/// Everything a caller may do with a message; used to look for panics, so the results are dropped.
fn exercise(message: &Message<'_>) {
    let _ = pnp::is_pnp_subscribe(message);
    let _ = pnp::identify_phone(message);
    let _ = pnp::notify_info(message);
    let _ = pnp::response_info(message);
    let _ = pnp::reply_target(message, SocketAddr::from(([198, 51, 100, 1], 5060)));
    let _ = (message.call_id(), message.cseq(), message.via_branch(), message.body_framing());
    for header in message.all_headers() {
        let _ = header.unfolded();
        let _ = sip::value::parse_via(header.value);
        let _ = sip::value::name_addr_uri(header.value);
        let _ = sip::value::params(sip::value::split_params(header.value).1).count();
    }
    let _ = build::ok_response(message, "t", "sip:198.51.100.1", "ua");
    let options = NotifyOptions {
        local: SocketAddr::from(([198, 51, 100, 1], 5060)),
        our_tag: "t",
        cseq: 1,
        user_agent: "ua",
    };
    let _ = build::notify_for(message, "http://198.51.100.1/", &options);
}

fn fixtures() -> &'static [Vec<u8>] {
    static FIXTURES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    FIXTURES.get_or_init(read_fixtures)
}

fn read_fixtures() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sip");
    let mut all = Vec::new();
    for sub in [dir.clone(), dir.join("variants")] {
        let mut paths: Vec<_> = std::fs::read_dir(&sub)
            .unwrap_or_else(|error| panic!("{}: {error}", sub.display()))
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
            .collect();
        paths.sort();
        all.extend(paths.iter().filter_map(|path| std::fs::read(path).ok()));
    }
    assert!(all.len() >= 18, "fixtures missing");
    all
}

/// A fixture with a few bytes overwritten, inserted or cut: near-valid input reaches deep code paths that
/// random bytes never do.
#[derive(Debug, Clone)]
enum Mutation {
    Overwrite(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Truncate(usize),
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for mutation in mutations {
        let len = bytes.len().max(1);
        match mutation {
            Mutation::Overwrite(at, byte) => {
                if let Some(slot) = bytes.get_mut(at % len) {
                    *slot = *byte;
                }
            }
            Mutation::Insert(at, inserted) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, inserted.iter().copied());
            }
            Mutation::Remove(at, count) => {
                let at = at % len;
                let end = (at + count).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Mutation::Truncate(at) => bytes.truncate(at % len),
        }
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that matter to the grammar, so that mutations hit separators, not just text.
    let interesting =
        prop_oneof![any::<u8>(), prop::sample::select(b"\r\n :;=,<>\"\\@%\t\x00\xff".to_vec()),];
    let snippet = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..8),
        prop::sample::select(vec![
            b"\r\n".to_vec(),
            b"\r\n\r\n".to_vec(),
            b"\r\n ".to_vec(),
            b";rport".to_vec(),
            b"MAC%3a".to_vec(),
            b"\"".to_vec(),
            b"<sip:".to_vec(),
            b"Content-Length: 99999999999999999999\r\n".to_vec(),
            b"\xc3".to_vec(),
        ]),
    ];
    prop_oneof![
        (any::<usize>(), interesting).prop_map(|(at, byte)| Mutation::Overwrite(at, byte)),
        (any::<usize>(), snippet).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 0usize..16).prop_map(|(at, count)| Mutation::Remove(at, count)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(message) = sip::parse(&bytes) {
            exercise(&message);
        }
    }

    #[test]
    fn sip_shaped_text_never_panics(text in "(SUBSCRIBE|NOTIFY|SIP/2.0) [ -~]{0,40}\r\n([A-Za-z-]{1,12}:[ -~\t]{0,60}\r\n){0,10}\r\n[ -~]{0,40}") {
        if let Ok(message) = sip::parse(text.as_bytes()) {
            exercise(&message);
        }
    }

    #[test]
    fn mutated_fixtures_never_panic(
        index in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let all = fixtures();
        let original = index.get(all).clone();
        let mutated = apply(original, &mutations);
        if let Ok(message) = sip::parse(&mutated) {
            exercise(&message);
        }
    }

}

proptest! {
    // Round trips build and parse whole messages per case; fewer cases cover them.
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn probe_round_trips(
        octets in any::<[u8; 6]>(),
        ip in any::<[u8; 4]>(),
        port in 1u16..,
        group_port in 1u16..,
        version in "[0-9A-Za-z.+-]{1,20}",
    ) {
        let mac = build::local_probe_mac(&octets);
        let local = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port);
        let probe = ProbeSubscribe { port: group_port, version: version.clone(), ..ProbeSubscribe::new(local, mac) };
        let bytes = probe.render();
        let message = sip::parse(&bytes).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert!(pnp::is_pnp_subscribe(&message));
        prop_assert_eq!(message.body_framing(), BodyFraming::ContentLength);
        prop_assert_eq!(message.call_id(), Some(probe.call_id.as_str()));
        prop_assert_eq!(message.via_branch(), Some(probe.branch.as_str()));
        let phone = pnp::identify_phone(&message);
        prop_assert_eq!(phone.mac, Some(mac));
        prop_assert_eq!(phone.firmware, Some(version));
        prop_assert_eq!(phone.via_sent_by, Some((local.ip().to_string(), Some(port))));
    }

    #[test]
    fn mac_display_parses_back(octets in any::<[u8; 6]>()) {
        let mac = MacAddr(octets);
        prop_assert_eq!(mac.to_string().parse::<MacAddr>(), Ok(mac));
        prop_assert_eq!(mac.to_compact_string().parse::<MacAddr>(), Ok(mac));
        prop_assert_eq!(mac.to_string().replace(':', "-").to_uppercase().parse::<MacAddr>(), Ok(mac));
    }

    #[test]
    fn answers_round_trip(
        tag in "[0-9a-z]{1,16}",
        url in "(http|https|tftp)://[a-z0-9.]{1,20}(/[A-Za-z0-9._{}?=-]{0,40})?",
        cseq in any::<u32>(),
        index in any::<prop::sample::Index>(),
    ) {
        let subscribes: Vec<&Vec<u8>> = fixtures()
            .iter()
            .filter(|bytes| sip::parse(bytes).is_ok_and(|m| pnp::is_pnp_subscribe(&m)))
            .collect();
        let bytes = index.get(&subscribes);
        let subscribe = sip::parse(bytes).map_err(|error| TestCaseError::fail(error.to_string()))?;
        let ok = build::ok_response(&subscribe, &tag, "sip:198.51.100.1", sip::USER_AGENT)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let ok = sip::parse(&ok).map_err(|error| TestCaseError::fail(error.to_string()))?;
        let info = pnp::response_info(&ok).ok_or_else(|| TestCaseError::fail("not a response"))?;
        prop_assert_eq!(info.to_tag.as_deref(), Some(tag.as_str()));
        prop_assert_eq!(info.call_id.as_deref(), subscribe.call_id());
        let options = NotifyOptions {
            local: SocketAddr::from(([198, 51, 100, 1], 5060)),
            our_tag: &tag,
            cseq,
            user_agent: sip::USER_AGENT,
        };
        let notify = build::notify_for(&subscribe, &url, &options)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let notify = sip::parse(&notify).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(notify.body_framing(), BodyFraming::ContentLength);
        prop_assert_eq!(notify.cseq(), Some((cseq, "NOTIFY")));
        let info = pnp::notify_info(&notify).ok_or_else(|| TestCaseError::fail("not a NOTIFY"))?;
        prop_assert_eq!(info.provisioning_url, Some(url));
    }
}

#[test]
fn every_truncation_of_every_fixture_is_an_error_or_a_message() {
    for bytes in fixtures() {
        for end in 0..=bytes.len() {
            if let Ok(message) = sip::parse(bytes.get(..end).unwrap_or_default()) {
                exercise(&message);
            }
        }
    }
}
