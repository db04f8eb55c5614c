//! `mcready respond` in a namespace lab: the peer protocol end to end against `observe::peer::run`
//! (run on a thread inside host A's namespace), through a plain link, through a bridge that drops
//! multicast, and against a host where respond is not running; and the PnP server answering sipp
//! phones. Everything is sent inside the lab.
#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

use common::{Lab, NFT, SIPP, two_hosts};
use mcready::facts::{PNP_GROUP, PNP_PORT};
use mcready::net::{LocalInterface, OwnActions};
use mcready::observe::peer;
use mcready::observed::PeerReport;

const A: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
const B: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 20);

/// A scratch file for a background process's output, unique per test.
fn log_file(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mcready-{}-{test}.log", std::process::id()))
}

fn read_log(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A and B as ports of a bridge in a third namespace (the switch), whose forwarding nftables filters.
fn switched_hosts(test: &str) -> Option<(Lab, String, String, String)> {
    let mut lab = Lab::with(test, &[NFT])?;
    let a = lab.host("a");
    let b = lab.host("b");
    let switch = lab.host("sw");
    lab.bridge(&switch, "br0", &["mcast_snooping", "0"]);
    lab.veth(&a, "eth0", &switch, "pa");
    lab.veth(&b, "eth0", &switch, "pb");
    lab.bridge_port(&switch, "br0", "pa");
    lab.bridge_port(&switch, "br0", "pb");
    lab.addr(&a, "eth0", "198.51.100.10/24");
    lab.addr(&b, "eth0", "198.51.100.20/24");
    Some((lab, a, b, switch))
}

/// Starts `respond` on B (peer protocol only) and waits until its unicast socket is bound.
fn start_respond(lab: &mut Lab, b: &str, log: &PathBuf) {
    lab.spawn_mcready(b, &["respond", "-i", "eth0", "--duration", "60"], log);
    assert!(lab.wait_udp_bound(b, PNP_PORT), "respond never bound its port:\n{}", read_log(log));
}

/// The peer test from A's namespace against B.
fn peer_test_from(lab: &Lab, a: &str, timeout: Duration) -> PeerReport {
    lab.in_netns(a, || {
        let eth0 = LocalInterface::lookup("eth0", A).expect("eth0 on A");
        let actions = OwnActions::default();
        let peer = SocketAddrV4::new(B, PNP_PORT);
        peer::run(&eth0, peer, PNP_GROUP, PNP_PORT, timeout, &actions).expect("peer test runs")
    })
}

lab_test!(peer_protocol_all_three_legs_pass_on_a_plain_link, two_hosts(&[]), |(mut lab, a, b)| {
    let log = log_file("peer_all_legs");
    start_respond(&mut lab, &b, &log);
    let report = peer_test_from(&lab, &a, Duration::from_secs(3));
    assert!(report.unicast.ok, "{report:?}\n{}", read_log(&log));
    assert!(report.here_to_peer.ok, "{report:?}\n{}", read_log(&log));
    assert!(report.peer_to_here.ok, "{report:?}\n{}", read_log(&log));
    assert!(report.unicast.rtt_ms.is_some_and(|ms| ms >= 0.0));
    let text = read_log(&log);
    assert!(text.contains("peer control from 198.51.100.10:"), "{text}");
    assert!(
        text.contains("peer out from 198.51.100.10:") && text.contains("back sent to the group"),
        "{text}"
    );
    let _ = std::fs::remove_file(&log);
});

lab_test!(peer_protocol_tells_blocked_multicast_from_a_dead_peer, switched_hosts(), |(
    mut lab,
    a,
    b,
    switch,
)| {
    // The switch forwards unicast (and ARP) but drops every IPv4 multicast frame between its ports.
    lab.nft(
        &switch,
        "table bridge sw {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n    meta protocol ip ip daddr 224.0.0.0/4 drop\n  }\n}\n",
    );
    let log = log_file("peer_blocked");
    start_respond(&mut lab, &b, &log);
    let report = peer_test_from(&lab, &a, Duration::from_secs(2));
    assert!(report.unicast.ok, "{report:?}\n{}", read_log(&log));
    assert!(!report.here_to_peer.ok && !report.peer_to_here.ok, "{report:?}");
    assert_eq!(report.here_to_peer.rtt_ms, None);
    let _ = std::fs::remove_file(&log);
});

lab_test!(peer_protocol_reports_a_host_without_respond_as_unreachable, two_hosts(&[]), |(lab, a, _b)| {
    let report = peer_test_from(&lab, &a, Duration::from_secs(1));
    assert!(!report.unicast.ok && !report.here_to_peer.ok && !report.peer_to_here.ok, "{report:?}");
});

#[test]
fn respond_refuses_url_without_allow_list() {
    let out = std::process::Command::new(common::mcready_bin())
        .args(["respond", "--url", "http://198.51.100.20/{mac}.cfg", "--duration", "1"])
        .output()
        .expect("run mcready");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--allow MAC") && stderr.contains("--any-phone"), "{stderr}");
}

/// The PBX (B, running respond --url) and a phone host (198.51.100.7) that routes the group out of
/// eth0, where sipp plays the phone.
fn pbx_and_phone(test: &str) -> Option<(Lab, String, String)> {
    let mut lab = Lab::with(test, &[SIPP])?;
    let pbx = lab.host("pbx");
    let phone = lab.host("phone");
    lab.veth(&pbx, "eth0", &phone, "eth0");
    lab.addr(&pbx, "eth0", "198.51.100.20/24");
    lab.addr(&phone, "eth0", "198.51.100.7/24");
    lab.ip(&phone, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    Some((lab, pbx, phone))
}

/// sipp's provisioning scenario for `mac`, expecting `url` in the NOTIFY; its exit code.
fn sipp_provision(lab: &Lab, phone: &str, mac: &str, url: &str) -> String {
    let scenario = format!("{}/tests/fixtures/sipp/pnp-provision.xml", env!("CARGO_MANIFEST_DIR"));
    let script = format!(
        "sipp -sf {scenario} -m 1 -i 198.51.100.7 -p 5060 -key mac {mac} -key url '{url}' -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; echo sipp-exit=$?"
    );
    common::stdout(&lab.sh(phone, &script))
}

lab_test!(respond_provisions_the_allowed_phone_and_ignores_another, pbx_and_phone(), |(
    mut lab,
    pbx,
    phone,
)| {
    let log = log_file("respond_provisions");
    lab.spawn_mcready(
        &pbx,
        &[
            "respond",
            // `-v` shows the phone's confirmation of the NOTIFY (and retransmissions).
            "-v",
            "-i",
            "eth0",
            "--url",
            "http://198.51.100.20/prov/{mac}.cfg",
            "--allow",
            "00:15:65:AA:BB:CC",
            "--duration",
            "60",
        ],
        &log,
    );
    assert!(lab.wait_udp_bound(&pbx, PNP_PORT), "respond never bound its port:\n{}", read_log(&log));
    let allowed = sipp_provision(&lab, &phone, "001565aabbcc", "http://198.51.100.20/prov/001565aabbcc.cfg");
    assert!(allowed.contains("sipp-exit=0"), "allowed phone not provisioned: {allowed}\n{}", read_log(&log));
    let other = sipp_provision(&lab, &phone, "001565000001", "http://198.51.100.20/prov/001565000001.cfg");
    assert!(!other.contains("sipp-exit=0"), "a phone outside --allow was answered: {other}");
    // Bounded polling: the log lines appear as the events happen.
    let mut text = String::new();
    for _ in 0..300 {
        text = read_log(&log);
        if text.contains("not answered (not in --allow)") && text.contains("confirmed the NOTIFY") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        text.contains("phone 00:15:65:aa:bb:cc (yealink W52P) at 198.51.100.7:5060: 200 OK, NOTIFY http://198.51.100.20/prov/001565aabbcc.cfg"),
        "{text}"
    );
    assert!(
        text.contains("phone 00:15:65:00:00:01") && text.contains("not answered (not in --allow)"),
        "{text}"
    );
    assert!(text.contains("confirmed the NOTIFY"), "{text}");
    let _ = std::fs::remove_file(&log);
});
