//! Every SIP fixture parses, and means what the phone or server that sent it meant: identity for each
//! SUBSCRIBE, URL and state for each NOTIFY, the answered request for each response. Then what mcready
//! builds in answer to each fixture reads back as RFC 3261 says it must.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use mcready::sip::build::{self, NotifyOptions, ProbeSubscribe};
use mcready::sip::pnp::{self, MacSource, RportParam, UrlSource};
use mcready::sip::{self, BodyFraming, MacAddr, Message, StartLine};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sip")
}

fn read(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn parse(bytes: &[u8]) -> Message<'_> {
    sip::parse(bytes).unwrap_or_else(|error| panic!("{error}"))
}

fn mac(text: &str) -> MacAddr {
    text.parse().unwrap_or_else(|error| panic!("{text}: {error}"))
}

/// What a SUBSCRIBE fixture must yield.
struct Phone {
    file: &'static str,
    mac: Option<&'static str>,
    mac_source: Option<MacSource>,
    vendor: Option<&'static str>,
    model: Option<&'static str>,
    firmware: Option<&'static str>,
    profile_type: Option<&'static str>,
    contact: &'static str,
    via: (&'static str, Option<u16>),
    rport: RportParam,
}

const PHONES: &[Phone] = &[
    Phone {
        file: "snom-subscribe.txt",
        mac: Some("00:13:5e:87:4b:49"),
        mac_source: Some(MacSource::RequestUri),
        vendor: Some("OEM"),
        model: Some("OEM"),
        firmware: Some("7.1.19"),
        profile_type: Some("device"),
        contact: "sip:192.168.10.67:5060",
        via: ("192.168.10.67", Some(5060)),
        rport: RportParam::Requested,
    },
    Phone {
        file: "yealink-subscribe.txt",
        mac: Some("00:15:65:f4:f9:e1"),
        mac_source: Some(MacSource::RequestUri),
        vendor: Some("yealink"),
        model: Some("W52P"),
        firmware: Some("25.81.0.10"),
        profile_type: Some("device"),
        contact: "sip:MAC001565f4f9e1@10.1.3.239:5059",
        via: ("10.1.3.239", Some(5059)),
        rport: RportParam::Absent,
    },
    Phone {
        file: "grandstream-subscribe.txt",
        mac: Some("c0:74:ad:11:22:33"),
        mac_source: Some(MacSource::RequestUri),
        vendor: Some("Grandstream"),
        model: Some("GRP2612W"),
        firmware: Some("1.0.5.67"),
        profile_type: Some("device"),
        contact: "sip:192.168.1.2:5080",
        via: ("192.168.1.2", Some(5080)),
        rport: RportParam::Requested,
    },
    Phone {
        file: "audiocodes-subscribe.txt",
        mac: None,
        mac_source: None,
        // No `vendor` parameter: the User-Agent `AUDC-IPPhone/…` names it.
        vendor: Some("AudioCodes"),
        model: Some("420HD"),
        firmware: Some("1.2.1_build_6"),
        profile_type: Some("application"),
        contact: "sip:00000001@10.13.2.37:5060",
        via: ("10.13.2.37", Some(5060)),
        rport: RportParam::Requested,
    },
    Phone {
        file: "variants/mac-equals-no-space.txt",
        mac: Some("00:15:65:73:22:ff"),
        mac_source: Some(MacSource::RequestUri),
        vendor: Some("Fanvil"),
        model: Some("X4U"),
        firmware: Some("2.12.1"),
        profile_type: Some("device"),
        contact: "sip:198.51.100.21:49152",
        via: ("198.51.100.21", Some(49152)),
        rport: RportParam::Requested,
    },
    Phone {
        file: "variants/compact-headers.txt",
        mac: Some("00:04:f2:aa:bb:cc"),
        mac_source: Some(MacSource::From),
        vendor: Some("Polycom"),
        model: Some("VVX400"),
        firmware: Some("5.9.0"),
        profile_type: Some("device"),
        contact: "sip:201@198.51.100.22:5060;transport=udp",
        via: ("198.51.100.22", Some(5060)),
        rport: RportParam::Value(5060),
    },
    Phone {
        file: "variants/mac-in-user-agent.txt",
        mac: Some("00:15:65:aa:bb:cc"),
        mac_source: Some(MacSource::UserAgent),
        vendor: Some("Yealink"),
        model: Some("SIP-T46S"),
        firmware: Some("66.86.0.15"),
        profile_type: None,
        contact: "sip:198.51.100.23:5062",
        via: ("198.51.100.23", Some(5062)),
        rport: RportParam::Absent,
    },
];

#[test]
fn every_subscribe_fixture_identifies_its_phone() {
    for expected in PHONES {
        let bytes = read(expected.file);
        let message = parse(&bytes);
        let file = expected.file;
        assert!(pnp::is_pnp_subscribe(&message), "{file}");
        assert_eq!(message.body_framing(), BodyFraming::ContentLength, "{file}");
        let phone = pnp::identify_phone(&message);
        assert_eq!(phone.mac, expected.mac.map(mac), "{file}");
        assert_eq!(phone.mac_source, expected.mac_source, "{file}");
        assert_eq!(phone.vendor.as_deref(), expected.vendor, "{file}");
        assert_eq!(phone.model.as_deref(), expected.model, "{file}");
        assert_eq!(phone.firmware.as_deref(), expected.firmware, "{file}");
        assert_eq!(phone.profile_type.as_deref(), expected.profile_type, "{file}");
        assert_eq!(phone.contact.as_deref(), Some(expected.contact), "{file}");
        let via = phone.via_sent_by.as_ref().map(|(host, port)| (host.as_str(), *port));
        assert_eq!(via, Some(expected.via), "{file}");
        assert_eq!(phone.rport, expected.rport, "{file}");
    }
}

#[test]
fn user_agents_are_kept_whole() {
    let yealink = read("yealink-subscribe.txt");
    let phone = pnp::identify_phone(&parse(&yealink));
    assert_eq!(phone.user_agent.as_deref(), Some("Yealink W52P 25.81.0.10"));
    let folded = read("variants/mac-in-user-agent.txt");
    let phone = pnp::identify_phone(&parse(&folded));
    assert_eq!(phone.user_agent.as_deref(), Some("Yealink SIP-T46S 66.86.0.15 00:15:65:AA:BB:CC"));
    let snom = read("snom-subscribe.txt");
    assert_eq!(pnp::identify_phone(&parse(&snom)).user_agent, None);
}

#[test]
fn from_without_tag_is_accepted() {
    let bytes = read("variants/mac-equals-no-space.txt");
    let message = parse(&bytes);
    assert_eq!(message.header("From").and_then(sip::value::tag), None);
    assert_eq!(message.call_id(), Some("variant-1@198.51.100.21"));
    assert_eq!(message.cseq(), Some((1, "SUBSCRIBE")));
}

/// What a NOTIFY fixture must yield.
const NOTIFIES: &[(&str, &str, UrlSource, &str)] = &[
    ("audiocodes-notify.txt", "tftp://10.13.4.121", UrlSource::Body, "timeout"),
    (
        "autoprov-notify.txt",
        "http://prov.example.net/node1/yealink/w52p/10.1.3.239/001565f4f9e1/25.81.0.10",
        UrlSource::Body,
        "noresource",
    ),
    ("notify-url.txt", "http://172.16.18.5", UrlSource::Body, "timeout"),
    (
        "snom-pnpserv-notify.txt",
        "http://192.168.100.10/sipphone/sipphoneconfig.xml?mac={mac}",
        UrlSource::Body,
        "timeout",
    ),
    (
        "notify-external-body.txt",
        "http://10.1.3.10/prov/001565f4f9e1.cfg",
        UrlSource::ExternalBody,
        "timeout",
    ),
];

#[test]
fn every_notify_fixture_gives_its_url_and_state() {
    for &(file, url, source, reason) in NOTIFIES {
        let bytes = read(file);
        let message = parse(&bytes);
        assert_eq!(message.body_framing(), BodyFraming::ContentLength, "{file}");
        assert!(pnp::is_ua_profile_event(&message), "{file}");
        let info = pnp::notify_info(&message).unwrap_or_else(|| panic!("{file}: not a NOTIFY"));
        assert_eq!(info.provisioning_url.as_deref(), Some(url), "{file}");
        assert_eq!(info.url_source, Some(source), "{file}");
        assert_eq!(info.subscription_state.as_deref(), Some("terminated"), "{file}");
        assert_eq!(info.reason.as_deref(), Some(reason), "{file}");
    }
}

#[test]
fn a_wrong_content_length_keeps_the_whole_url_and_says_so() {
    let bytes = read("variants/notify-wrong-content-length.txt");
    let message = parse(&bytes);
    let url = "http://198.51.100.10/provisioning/0015657322ff.cfg";
    assert_eq!(message.body_framing(), BodyFraming::DatagramEnd { declared: Some(10), actual: url.len() });
    let info = pnp::notify_info(&message);
    assert_eq!(info.and_then(|info| info.provisioning_url).as_deref(), Some(url));
}

/// Response fixture, Call-ID, `CSeq` method, topmost Via branch, To tag.
type ExpectedResponse =
    (&'static str, &'static str, &'static str, Option<&'static str>, Option<&'static str>);

const RESPONSES: &[ExpectedResponse] = &[
    (
        "audiocodes-200ok.txt",
        "8884c8-25020d0a-13c4-50029-386d4398-3e2bcb8e-386d4398",
        "SUBSCRIBE",
        Some("z9hG4bK-386d4398-6ad00ca2-7ca3606e"),
        None,
    ),
    (
        "autoprov-200ok.txt",
        "1536537630@10.1.3.239",
        "SUBSCRIBE",
        Some("z9hG4bK1536537630"),
        Some("6f1c2a9e-3b7d-4c2e-9a51-0d8e4f7b2c11"),
    ),
    (
        "responder-200ok.txt",
        "1536537630@10.1.3.239",
        "SUBSCRIBE",
        Some("z9hG4bK1536537630"),
        Some("pnp7c41e0"),
    ),
    ("snom-pnpserv-200ok.txt", "1930770594@192.168.10.67", "SUBSCRIBE", None, None),
    ("snom-proxy-200ok.txt", "1930770594@192.168.10.67", "SUBSCRIBE", None, Some("91955270")),
];

#[test]
fn every_response_fixture_says_what_it_answers() {
    for &(file, call_id, method, branch, to_tag) in RESPONSES {
        let bytes = read(file);
        let message = parse(&bytes);
        let info = pnp::response_info(&message).unwrap_or_else(|| panic!("{file}: not a response"));
        assert_eq!((info.code, info.reason.as_str()), (200, "OK"), "{file}");
        assert_eq!(info.call_id.as_deref(), Some(call_id), "{file}");
        assert_eq!(info.cseq, Some((1, method.to_owned())), "{file}");
        assert_eq!(info.branch.as_deref(), branch, "{file}");
        assert_eq!(info.to_tag.as_deref(), to_tag, "{file}");
        assert_eq!(info.server_or_user_agent, None, "{file}");
    }
    let proxy = read("snom-proxy-200ok.txt");
    assert_eq!(parse(&proxy).headers("Record-Route").count(), 2);
}

#[test]
fn the_yealink_answers_match_its_subscribe() {
    let subscribe = read("yealink-subscribe.txt");
    let subscribe = parse(&subscribe);
    for file in ["autoprov-200ok.txt", "responder-200ok.txt"] {
        let bytes = read(file);
        let response = parse(&bytes);
        assert_eq!(response.call_id(), subscribe.call_id(), "{file}");
        assert_eq!(response.cseq(), subscribe.cseq(), "{file}");
        assert_eq!(response.via_branch(), subscribe.via_branch(), "{file}");
    }
}

fn local() -> SocketAddr {
    "198.51.100.10:5060".parse().unwrap_or_else(|error| panic!("{error}"))
}

fn subscribe_files() -> impl Iterator<Item = &'static str> {
    PHONES.iter().map(|phone| phone.file)
}

#[test]
fn ok_response_copies_what_rfc_3261_says() {
    for file in subscribe_files() {
        let bytes = read(file);
        let request = parse(&bytes);
        let built = build::ok_response(&request, "mc7e1", "sip:198.51.100.10:5060", sip::USER_AGENT)
            .unwrap_or_else(|error| panic!("{file}: {error}"));
        let response = parse(&built);
        assert_eq!(response.body_framing(), BodyFraming::ContentLength, "{file}");
        let info = pnp::response_info(&response).unwrap_or_else(|| panic!("{file}"));
        assert_eq!(info.code, 200, "{file}");
        assert_eq!(info.call_id.as_deref(), request.call_id(), "{file}");
        assert_eq!(info.cseq.as_ref().map(|(n, m)| (*n, m.as_str())), request.cseq(), "{file}");
        assert_eq!(info.branch.as_deref(), request.via_branch(), "{file}");
        assert_eq!(info.to_tag.as_deref(), Some("mc7e1"), "{file}");
        assert_eq!(info.server_or_user_agent.as_deref(), Some(sip::USER_AGENT), "{file}");
        assert_eq!(
            response.headers("Via").collect::<Vec<_>>(),
            request.headers("Via").collect::<Vec<_>>(),
            "{file}"
        );
        assert_eq!(response.header("From"), request.header("From"), "{file}");
        assert_eq!(response.header("Expires"), Some("0"), "{file}");
        assert_eq!(response.header("Contact"), Some("<sip:198.51.100.10:5060>"), "{file}");
    }
}

#[test]
fn ok_response_keeps_an_existing_to_tag() {
    let request = b"SUBSCRIBE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\n\
        To: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 2 SUBSCRIBE\r\n\r\n";
    let built = build::ok_response(&parse(request), "new", "sip:h", "ua");
    let built = built.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(parse(&built).header("To"), Some("<sip:b@h>;tag=2"));
}

#[test]
fn notify_for_every_subscribe_reads_back() {
    let url = "http://198.51.100.10/prov/{mac}.cfg";
    for file in subscribe_files() {
        let bytes = read(file);
        let subscribe = parse(&bytes);
        let options =
            NotifyOptions { local: local(), our_tag: "mc7e1", cseq: 1, user_agent: sip::USER_AGENT };
        let built =
            build::notify_for(&subscribe, url, &options).unwrap_or_else(|error| panic!("{file}: {error}"));
        let notify = parse(&built);
        let phone = pnp::identify_phone(&subscribe);
        let StartLine::Request { method, uri, .. } = notify.start_line() else {
            panic!("{file}: not a request");
        };
        assert_eq!((method, Some(uri)), ("NOTIFY", phone.contact.as_deref()), "{file}");
        assert_eq!(notify.body_framing(), BodyFraming::ContentLength, "{file}");
        let info = pnp::notify_info(&notify).unwrap_or_else(|| panic!("{file}"));
        assert_eq!(info.provisioning_url.as_deref(), Some(url), "{file}");
        assert_eq!(info.url_source, Some(UrlSource::Body), "{file}");
        assert_eq!(info.subscription_state.as_deref(), Some("terminated"), "{file}");
        assert_eq!(info.reason.as_deref(), Some("timeout"), "{file}");
        assert_eq!(notify.call_id(), subscribe.call_id(), "{file}");
        assert_eq!(notify.cseq(), Some((1, "NOTIFY")), "{file}");
        assert_eq!(notify.header("To"), subscribe.header("From"), "{file}");
        assert_eq!(notify.header("From").and_then(sip::value::tag), Some("mc7e1"), "{file}");
        assert!(pnp::is_ua_profile_event(&notify), "{file}");
        let branch = notify.via_branch().unwrap_or_default();
        assert!(branch.starts_with("z9hG4bK") && Some(branch) != subscribe.via_branch(), "{file}");
    }
}

#[test]
fn the_probe_reads_back_as_the_phone_it_pretends_to_be() {
    let mac = build::local_probe_mac(b"198.51.100.10");
    let probe = ProbeSubscribe::new(local(), mac);
    let bytes = probe.render();
    let message = parse(&bytes);
    assert!(pnp::is_pnp_subscribe(&message));
    assert_eq!(message.body_framing(), BodyFraming::ContentLength);
    assert_eq!(message.call_id(), Some(probe.call_id.as_str()));
    assert_eq!(message.via_branch(), Some(probe.branch.as_str()));
    assert_eq!(message.header("From").and_then(sip::value::tag), Some(probe.from_tag.as_str()));
    assert_eq!(message.cseq(), Some((1, "SUBSCRIBE")));
    assert_eq!(message.header("Expires"), Some("0"));
    assert_eq!(message.header("Accept"), Some("application/url"));
    let phone = pnp::identify_phone(&message);
    assert_eq!(phone.mac, Some(mac));
    assert!(mac.is_locally_administered());
    assert_eq!(phone.mac_source, Some(MacSource::RequestUri));
    assert_eq!(phone.vendor.as_deref(), Some("mcready"));
    assert_eq!(phone.model.as_deref(), Some("probe"));
    assert_eq!(phone.firmware.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(phone.profile_type.as_deref(), Some("device"));
    assert_eq!(phone.user_agent.as_deref(), Some(sip::USER_AGENT));
    assert_eq!(
        phone.user_agent.as_deref(),
        Some(concat!("mcready/", env!("CARGO_PKG_VERSION"), " (multicast readiness diagnostic)"))
    );
    assert_eq!(phone.via_sent_by, Some(("198.51.100.10".to_owned(), Some(5060))));
    assert_eq!(phone.rport, RportParam::Requested);
    assert_eq!(phone.contact, Some(format!("sip:MAC%3a{}@198.51.100.10:5060", mac.to_compact_string())));
    let StartLine::Request { uri, .. } = message.start_line() else { panic!("not a request") };
    assert_eq!(uri, format!("sip:MAC%3a{}@224.0.1.75", mac.to_compact_string()));
}

#[test]
fn the_peer_protocol_options_reads_back() {
    let nonce = build::new_nonce();
    let marker = format!("out;v=1;nonce={nonce}");
    let bytes = build::RequestBuilder::new("OPTIONS", "sip:224.0.1.75")
        .header("Via", &format!("SIP/2.0/UDP 198.51.100.10:5060;branch={};rport", build::new_branch()))
        .header("X-Mcready", &marker)
        .render();
    let message = parse(&bytes);
    assert!(message.is_request("OPTIONS"));
    assert_eq!(message.header("x-mcready"), Some(marker.as_str()));
    let (kind, params) = sip::value::split_params(message.header("X-Mcready").unwrap_or_default());
    assert_eq!(kind, "out");
    assert_eq!(sip::value::param(params, "nonce"), Some(Some(nonce.as_str())));
}
