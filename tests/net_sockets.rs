//! The UDP sockets of `net` between two lab hosts joined by a veth pair: A (198.51.100.10) and
//! B (198.51.100.20). Everything is sent inside the lab's namespaces.
#![cfg(target_os = "linux")]

mod common;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use common::{PYTHON3, eth0, two_hosts};
use mcready::facts::{PNP_GROUP, PNP_PORT};
use mcready::net::{GroupReceiver, MulticastSender, NetError, OwnActions, SenderOptions, UnicastSocket};
use mcready::observed::ActionKind;

const A: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
const B: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 20);
const WAIT: Duration = Duration::from_secs(3);

lab_test!(group_datagram_crosses_the_link_with_ttl_1_and_loops_back_to_the_sender, two_hosts(&[]), |(
    lab,
    a,
    b,
)| {
    let (a_eth0, b_eth0) = (eth0(&lab, &a, A), eth0(&lab, &b, B));
    let actions_a = OwnActions::default();
    let actions_b = OwnActions::default();

    let receiver_b = lab
        .in_netns(&b, || GroupReceiver::open(PNP_GROUP, PNP_PORT, std::slice::from_ref(&b_eth0), &actions_b))
        .expect("receiver on B");
    let receiver_a = lab
        .in_netns(&a, || GroupReceiver::open(PNP_GROUP, PNP_PORT, std::slice::from_ref(&a_eth0), &actions_a))
        .expect("receiver on A");
    let sender = lab
        .in_netns(&a, || MulticastSender::open(&a_eth0, SenderOptions::default(), &actions_a))
        .expect("sender on A");
    assert_eq!(*sender.local_addr().ip(), A);
    sender
        .send(b"SUBSCRIBE sip:MAC%3a02005e000001@224.0.1.75 SIP/2.0\r\n\r\n", "test SUBSCRIBE")
        .expect("send");

    let heard =
        receiver_b.recv_until(Instant::now() + WAIT).expect("receive on B").expect("B heard the group");
    assert!(heard.payload.starts_with(b"SUBSCRIBE sip:"));
    assert_eq!(heard.source, sender.local_addr());
    assert_eq!(heard.interface_index, Some(b_eth0.index));
    assert_eq!(heard.destination, Some(PNP_GROUP));
    assert_eq!(heard.ttl, Some(1), "the sender's default multicast TTL is 1");
    assert!(!heard.truncated);

    let looped =
        receiver_a.recv_until(Instant::now() + WAIT).expect("receive on A").expect("looped-back copy");
    assert_eq!(looped.payload, heard.payload);
    assert_eq!(looped.source, sender.local_addr());
    assert_eq!(looped.destination, Some(PNP_GROUP));

    // The PBX's unicast answer reaches the sender's port, with its own metadata.
    let pbx = lab
        .in_netns(&b, || UnicastSocket::bind(SocketAddrV4::new(B, 5070), &actions_b))
        .expect("unicast socket on B");
    pbx.send_to(b"SIP/2.0 200 OK\r\n\r\n", sender.local_addr(), "test 200 OK").expect("answer");
    let answer = sender.recv_until(Instant::now() + WAIT).expect("receive answer").expect("answer arrived");
    assert_eq!(answer.source, SocketAddrV4::new(B, 5070));
    assert_eq!(answer.destination, Some(A));
    assert_eq!(answer.interface_index, Some(a_eth0.index));
    assert_eq!(answer.ttl, Some(64));

    drop(receiver_a);
    let kinds: Vec<_> =
        actions_a.snapshot().iter().map(|a| (a.action, a.group, a.interface.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            (ActionKind::Joined, PNP_GROUP, "eth0".to_owned()),
            (ActionKind::Sent, PNP_GROUP, "eth0".to_owned()),
            (ActionKind::Left, PNP_GROUP, "eth0".to_owned()),
        ]
    );
    let at: Vec<u64> = actions_a.snapshot().iter().map(|a| a.at_ms).collect();
    assert!(at.windows(2).all(|w| w[0] <= w[1]), "actions are in time order: {at:?}");
});

lab_test!(a_configured_ttl_and_local_port_are_used, two_hosts(&[]), |(lab, a, b)| {
    let (a_eth0, b_eth0) = (eth0(&lab, &a, A), eth0(&lab, &b, B));
    let actions = OwnActions::default();
    let receiver = lab
        .in_netns(&b, || GroupReceiver::open(PNP_GROUP, PNP_PORT, &[b_eth0], &actions))
        .expect("receiver on B");
    let options = SenderOptions { ttl: 4, local_port: 5062, ..SenderOptions::default() };
    let sender = lab.in_netns(&a, || MulticastSender::open(&a_eth0, options, &actions)).expect("sender");
    assert_eq!(sender.local_addr(), SocketAddrV4::new(A, 5062));
    sender.send(b"ping", "test").expect("send");
    let heard = receiver.recv_until(Instant::now() + WAIT).expect("receive").expect("heard");
    assert_eq!((heard.ttl, heard.source), (Some(4), SocketAddrV4::new(A, 5062)));
});

lab_test!(
    receiver_bind_is_a_typed_error_when_another_process_holds_the_port_exclusively,
    two_hosts(&[PYTHON3]),
    |(mut lab, _a, b)| {
        let b_eth0 = eth0(&lab, &b, B);
        lab.hold_udp_port(&b, "0.0.0.0", PNP_PORT, false);
        let actions = OwnActions::default();

        let error = lab
            .in_netns(&b, || GroupReceiver::open(PNP_GROUP, PNP_PORT, &[b_eth0], &actions))
            .expect_err("the port is held exclusively");
        assert!(
            matches!(error, NetError::AddressInUse { address, .. } if address == SocketAddrV4::new(PNP_GROUP, PNP_PORT)),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "cannot bind 224.0.1.75:5060: another process holds the port exclusively (EADDRINUSE)"
        );
        assert!(actions.snapshot().is_empty(), "nothing was joined: {:?}", actions.snapshot());
    }
);

lab_test!(a_sharing_pbx_lets_the_receiver_in_but_never_the_unicast_socket, two_hosts(&[PYTHON3]), |(
    mut lab,
    _a,
    b,
)| {
    let b_eth0 = eth0(&lab, &b, B);
    // A PBX bound to 0.0.0.0:5060 with SO_REUSEADDR.
    lab.hold_udp_port(&b, "0.0.0.0", PNP_PORT, true);
    let actions = OwnActions::default();

    let receiver = lab.in_netns(&b, || GroupReceiver::open(PNP_GROUP, PNP_PORT, &[b_eth0], &actions));
    assert!(receiver.is_ok(), "bound to the group address, sharing is harmless: {receiver:?}");

    let unicast = lab.in_netns(&b, || UnicastSocket::bind(SocketAddrV4::new(B, PNP_PORT), &actions));
    assert!(matches!(unicast, Err(NetError::AddressInUse { .. })), "{unicast:?}");
});

/// The socket policy "hear the group, never the PBX's unicast", proved on the wire: a PBX that shares
/// port 5060 (`SO_REUSEADDR`, bound to the wildcard as Asterisk and `FreeSWITCH` do, or to its address)
/// keeps **every** unicast datagram sent to it while mcready's group receiver — opened after the PBX,
/// the worst case on Linux — is open, and the receiver gets none of them.
#[test]
fn the_group_receiver_never_takes_the_pbxs_unicast() {
    const SENT: usize = 200;
    for pbx_bind in [Ipv4Addr::UNSPECIFIED, A] {
        let Some((lab, a, b)) = two_hosts("group_receiver_never_takes_unicast", &[]) else { return };
        let a_eth0 = eth0(&lab, &a, A);
        let actions = OwnActions::default();
        let pbx = lab.in_netns(&a, || {
            let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
            socket.set_reuse_address(true).unwrap();
            socket.bind(&SocketAddrV4::new(pbx_bind, PNP_PORT).into()).unwrap();
            std::net::UdpSocket::from(socket)
        });
        let receiver = lab
            .in_netns(&a, || {
                GroupReceiver::open(PNP_GROUP, PNP_PORT, std::slice::from_ref(&a_eth0), &actions)
            })
            .expect("group receiver opened beside the PBX");
        lab.in_netns(&b, || {
            let phone = std::net::UdpSocket::bind((B, 0)).unwrap();
            for n in 0..SENT {
                phone.send_to(format!("OPTIONS {n}").as_bytes(), (A, PNP_PORT)).unwrap();
                if n % 50 == 49 {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        });
        pbx.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        let mut buf = [0u8; 64];
        let mut pbx_got = 0;
        while pbx.recv_from(&mut buf).is_ok() {
            pbx_got += 1;
        }
        let stolen = receiver.recv_until(Instant::now() + Duration::from_millis(200)).expect("receive");
        assert_eq!(pbx_got, SENT, "the PBX bound to {pbx_bind}:5060 lost unicast datagrams to mcready");
        assert!(stolen.is_none(), "mcready's group receiver took the PBX's unicast: {stolen:?}");
    }
}
