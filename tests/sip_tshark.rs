//! Wireshark agrees with mcready's builders: the probe SUBSCRIBE, the 200 OK and NOTIFY that `respond`
//! sends, and the peer OPTIONS are written into a pcap (Ethernet, IPv4 and UDP headers made here, nothing
//! sent on any interface), and `tshark` must decode each as the right SIP method or status with no
//! malformed-packet mark and no error-level expert info.
//!
//! Skipped, with the reason printed, when `tshark` is not installed (a failure under
//! `MCREADY_REQUIRE_NETNS=1`); CI installs it.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Command;

use common::frames::{self, parse_severity};
use mcready::sip::build::{self, NotifyOptions, ProbeSubscribe, RequestBuilder};
use mcready::sip::{self, MacAddr};

const PHONE_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
const PBX_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
/// 224.0.1.75 mapped to Ethernet (RFC 1112 §6.4): 01:00:5e and the low 23 bits of the group.
const GROUP_MAC: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x01, 0x4b];
const PBX_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0a];

/// Wireshark's expert severity for errors (`PI_ERROR`); notes, chats and warnings are allowed.
const EXPERT_ERROR: u32 = 0x0080_0000;

struct Frame {
    src: (Ipv4Addr, u16, [u8; 6]),
    dst: (Ipv4Addr, u16, [u8; 6]),
    ttl: u8,
    payload: Vec<u8>,
}

/// The frame as Ethernet, IPv4 and UDP, built by the lab's own frame builders.
fn ethernet_ipv4_udp(frame: &Frame) -> Vec<u8> {
    let (src_ip, src_port, src_mac) = frame.src;
    let (dst_ip, dst_port, dst_mac) = frame.dst;
    let datagram = frames::ipv4_udp((src_ip, src_port), (dst_ip, dst_port), frame.ttl, &frame.payload);
    frames::ethernet(dst_mac, src_mac, 0x0800, &datagram)
}

/// The four datagrams of a PnP exchange plus a peer OPTIONS, as frames.
fn exchange() -> Vec<(Frame, &'static str)> {
    let phone_mac = build::local_probe_mac(b"tshark-test");
    let phone = SocketAddr::from((PHONE_IP, 5060));
    let pbx = SocketAddr::from((PBX_IP, 5060));
    let probe = ProbeSubscribe::new(phone, phone_mac);
    let subscribe_bytes = probe.render();
    let subscribe = sip::parse(&subscribe_bytes).unwrap_or_else(|error| panic!("{error}"));
    let ok = build::ok_response(&subscribe, &build::new_tag(), "sip:198.51.100.10:5060", sip::USER_AGENT)
        .unwrap_or_else(|error| panic!("{error}"));
    let options = NotifyOptions { local: pbx, our_tag: "mc7e1", cseq: 1, user_agent: sip::USER_AGENT };
    let notify = build::notify_for(&subscribe, "http://198.51.100.10/prov/{mac}.cfg", &options)
        .unwrap_or_else(|error| panic!("{error}"));
    let peer = RequestBuilder::new("OPTIONS", "sip:224.0.1.75")
        .header("Via", &format!("SIP/2.0/UDP 198.51.100.7:5060;branch={};rport", build::new_branch()))
        .header("From", &format!("<sip:mcready@198.51.100.7>;tag={}", build::new_tag()))
        .header("To", "<sip:224.0.1.75>")
        .header("Call-ID", &build::new_call_id(PHONE_IP.into()))
        .header("CSeq", "1 OPTIONS")
        .header("Max-Forwards", "70")
        .header("User-Agent", sip::USER_AGENT)
        .header("X-Mcready", &format!("out;v=1;nonce={}", build::new_nonce()))
        .render();

    let phone_end = (PHONE_IP, 5060, phone_mac.0);
    let pbx_end = (PBX_IP, 5060, PBX_MAC);
    let group_end = (Ipv4Addr::new(224, 0, 1, 75), 5060, GROUP_MAC);
    let to_group = |payload| Frame { src: phone_end, dst: group_end, ttl: 1, payload };
    vec![
        (to_group(subscribe_bytes.clone()), "SUBSCRIBE"),
        (Frame { src: pbx_end, dst: phone_end, ttl: 64, payload: ok }, "200"),
        (Frame { src: pbx_end, dst: phone_end, ttl: 64, payload: notify }, "NOTIFY"),
        (to_group(peer), "OPTIONS"),
    ]
}

#[test]
fn tshark_decodes_what_mcready_builds() {
    if !common::require("tshark_decodes_what_mcready_builds", &[common::TSHARK]) {
        return;
    }
    let exchange = exchange();
    let expected: Vec<&str> = exchange.iter().map(|(_, what)| *what).collect();
    let packets: Vec<Vec<u8>> = exchange.iter().map(|(frame, _)| ethernet_ipv4_udp(frame)).collect();
    let path: PathBuf = std::env::temp_dir().join(format!("mcready-sip-tshark-{}.pcap", std::process::id()));
    std::fs::write(&path, frames::pcap(&packets))
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));

    let stdout = run_tshark(&path);
    let _ = std::fs::remove_file(&path);
    let rows: Vec<Vec<&str>> = stdout.lines().map(|line| line.split('\t').collect()).collect();
    assert_eq!(rows.len(), expected.len(), "one row per frame:\n{stdout}");
    for (row, what) in rows.iter().zip(expected) {
        let field = |index: usize| row.get(index).copied().unwrap_or_default();
        let decoded = if what.starts_with(|c: char| c.is_ascii_digit()) { field(2) } else { field(1) };
        assert_eq!(decoded, what, "frame {} decoded as something else:\n{stdout}", field(0));
        assert_eq!(field(3), "", "frame {} is malformed:\n{stdout}", field(0));
        for severity in field(4).split(',').filter(|s| !s.is_empty()) {
            let value = parse_severity(severity);
            assert!(
                value < EXPERT_ERROR,
                "frame {} has expert error {severity} ({}):\n{stdout}",
                field(0),
                field(5)
            );
        }
        assert!(!field(6).is_empty(), "frame {} has no Call-ID:\n{stdout}", field(0));
    }
}

/// One tab-separated row per frame: number, method, status, malformed, expert severities and messages,
/// Call-ID, IP and UDP checksum status.
fn run_tshark(path: &std::path::Path) -> String {
    let output = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"])
        .args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"])
        .args(["-e", "frame.number", "-e", "sip.Method", "-e", "sip.Status-Code"])
        .args(["-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "_ws.expert.message"])
        .args(["-e", "sip.Call-ID", "-e", "ip.checksum.status", "-e", "udp.checksum.status"])
        .output()
        .unwrap_or_else(|error| panic!("running tshark: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "tshark failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = stdout.into_owned();
    println!(
        "tshark fields (frame, method, status, malformed, severities, messages, call-id, ip/udp checksum status):\n{stdout}"
    );

    stdout
}

#[test]
fn checksum_matches_rfc_1071_example() {
    // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2, whose complement is 220d.
    assert_eq!(frames::internet_checksum(&[&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]]), 0x220d);
    let mac: MacAddr = build::local_probe_mac(b"x");
    assert!(mac.is_locally_administered());
}
