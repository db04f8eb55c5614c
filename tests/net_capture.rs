//! Passive capture between two lab hosts: A (198.51.100.10) sends, B (198.51.100.20) captures — past a
//! process that holds the port, past a firewall that drops the datagram, and with the BPF filter.
#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Lab, NFT, PYTHON3, SETPRIV, eth0, stdout, two_hosts};
use mcready::facts::{PNP_GROUP, PNP_PORT};
use mcready::net::{
    Capture, CaptureFilter, CaptureOptions, CapturedFrame, Direction, GroupReceiver, LocalInterface,
    MulticastSender, NetError, OwnActions, SenderOptions,
};

const A: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
const B: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 20);
const WAIT: Duration = Duration::from_secs(3);
const HELPER: &str = "MCREADY_NET_CAPTURE_HELPER";

fn sip_capture(lab: &Lab, ns: &str, interface: &LocalInterface) -> Capture {
    let options = CaptureOptions {
        interface_index: interface.index,
        filter: CaptureFilter::SipAndIgmp { port: PNP_PORT },
        groups: vec![PNP_GROUP],
    };
    lab.in_netns(ns, || Capture::open(&options)).expect("open capture")
}

/// The first UDP frame the capture sees before the deadline (IGMP the hosts send on their own is
/// skipped).
fn next_udp(capture: &mut Capture) -> CapturedFrame {
    let deadline = Instant::now() + WAIT;
    while let Some(frame) = capture.next_until(deadline).expect("capture") {
        if frame.packet.udp().is_some() {
            return frame;
        }
    }
    panic!("no UDP frame captured");
}

lab_test!(capture_sees_the_datagram_when_another_process_holds_the_port, two_hosts(&[PYTHON3]), |(
    mut lab,
    a,
    b,
)| {
    let (a_eth0, b_eth0) = (eth0(&lab, &a, A), eth0(&lab, &b, B));
    lab.hold_udp_port(&b, "0.0.0.0", PNP_PORT, false);
    let actions = OwnActions::default();
    let refused = lab
        .in_netns(&b, || GroupReceiver::open(PNP_GROUP, PNP_PORT, std::slice::from_ref(&b_eth0), &actions));
    assert!(matches!(refused, Err(NetError::AddressInUse { .. })), "{refused:?}");

    let mut capture = sip_capture(&lab, &b, &b_eth0);
    let sender =
        lab.in_netns(&a, || MulticastSender::open(&a_eth0, SenderOptions::default(), &actions)).unwrap();
    sender.send(b"SUBSCRIBE sip:pnp", "test").unwrap();

    let frame = next_udp(&mut capture);
    assert_eq!(frame.direction, Direction::Multicast);
    assert_eq!(frame.interface_index, b_eth0.index);
    assert_eq!((frame.packet.source, frame.packet.destination, frame.packet.ttl), (A, PNP_GROUP, 1));
    assert_eq!(frame.packet.udp(), Some((sender.local_addr().port(), PNP_PORT, &b"SUBSCRIBE sip:pnp"[..])));
    assert!(frame.source_mac.is_some());
});

lab_test!(capture_sees_what_the_firewall_drops_before_any_socket, two_hosts(&[NFT]), |(lab, a, b)| {
    let (a_eth0, b_eth0) = (eth0(&lab, &a, A), eth0(&lab, &b, B));
    lab.drop_udp_input(&b, PNP_PORT);
    let actions = OwnActions::default();
    let receiver = lab
        .in_netns(&b, || GroupReceiver::open(PNP_GROUP, PNP_PORT, std::slice::from_ref(&b_eth0), &actions))
        .unwrap();
    let mut capture = sip_capture(&lab, &b, &b_eth0);
    let sender =
        lab.in_netns(&a, || MulticastSender::open(&a_eth0, SenderOptions::default(), &actions)).unwrap();
    sender.send(b"SUBSCRIBE sip:pnp", "test").unwrap();

    let frame = next_udp(&mut capture);
    assert_eq!(frame.packet.source, A);
    assert_eq!(frame.packet.udp().map(|(_, port, _)| port), Some(PNP_PORT));
    // The frame has passed the tap; the INPUT hook that follows drops it, so the socket never gets it.
    let delivered = receiver.recv_until(Instant::now() + Duration::from_millis(500)).unwrap();
    assert!(delivered.is_none(), "the firewall should have dropped {delivered:?}");
});

lab_test!(capture_sees_this_hosts_own_probe_as_outgoing, two_hosts(&[]), |(lab, a, _b)| {
    let a_eth0 = eth0(&lab, &a, A);
    let mut capture = sip_capture(&lab, &a, &a_eth0);
    let actions = OwnActions::default();
    let sender =
        lab.in_netns(&a, || MulticastSender::open(&a_eth0, SenderOptions::default(), &actions)).unwrap();
    sender.send(b"SUBSCRIBE own", "test").unwrap();
    let frame = next_udp(&mut capture);
    assert_eq!(frame.direction, Direction::Outgoing);
    assert_eq!(frame.packet.source, A);
});

lab_test!(the_filter_keeps_sip_and_drops_other_udp, two_hosts(&[]), |(lab, a, b)| {
    let (a_eth0, b_eth0) = (eth0(&lab, &a, A), eth0(&lab, &b, B));
    let mut capture = sip_capture(&lab, &b, &b_eth0);
    let actions = OwnActions::default();
    let other_port = SenderOptions { port: 9999, ..SenderOptions::default() };
    let other = lab.in_netns(&a, || MulticastSender::open(&a_eth0, other_port, &actions)).unwrap();
    let sip =
        lab.in_netns(&a, || MulticastSender::open(&a_eth0, SenderOptions::default(), &actions)).unwrap();
    // Sent in this order over one link: without the filter the 9999 datagram would be captured first.
    other.send(b"not SIP", "test").unwrap();
    sip.send(b"SIP", "test").unwrap();
    let frame = next_udp(&mut capture);
    assert_eq!(frame.packet.udp(), Some((sip.local_addr().port(), PNP_PORT, &b"SIP"[..])));
});

/// Not a test on its own: run by `capture_without_cap_net_raw_is_no_privilege` in a subprocess that
/// lacks `CAP_NET_RAW`; prints what opening a capture gave.
#[test]
fn subprocess_helper_open_capture() {
    if std::env::var_os(HELPER).is_none() {
        return;
    }
    let lo = LocalInterface::lookup("lo", Ipv4Addr::LOCALHOST).expect("lo");
    let options =
        CaptureOptions { interface_index: lo.index, filter: CaptureFilter::Igmp, groups: Vec::new() };
    match Capture::open(&options) {
        Err(error @ NetError::NoPrivilege { .. }) => println!("OUTCOME no-privilege: {error}"),
        Err(error) => println!("OUTCOME other error: {error}"),
        Ok(_) => println!("OUTCOME opened"),
    }
}

lab_test!(capture_without_cap_net_raw_is_no_privilege, Lab::with(&[SETPRIV]), |mut lab| {
    let host = lab.host("unprivileged");
    let this_test_binary = std::env::current_exe().expect("test binary path");
    // Still root, but with CAP_NET_RAW out of the bounding set, so the exec'd binary never has it.
    let out = Command::new("ip")
        .args(["netns", "exec", &host, "setpriv", "--inh-caps=-all", "--bounding-set=-net_raw", "--"])
        .arg(this_test_binary)
        .args(["--exact", "subprocess_helper_open_capture", "--nocapture", "--test-threads=1"])
        .env(HELPER, "1")
        .output()
        .expect("run setpriv");
    let text = stdout(&out);
    assert!(
        text.contains(
            "OUTCOME no-privilege: cannot open a packet capture on interface 1: needs raw-socket privilege"
        ),
        "stdout: {text}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
});
