//! The peer test's client: `check --peer` against `mcready respond` on another LAN host, in three legs
//! (see [`crate::net::peer`] for the protocol). The legs' logic runs on the [`Endpoint`] and [`Clock`]
//! seams, so retransmission and the order of legs are unit-tested without a network.
//!
//! Every socket is this process's own: the unicast and multicast senders use ephemeral ports on the
//! interface address (never a PBX's port), and the `back` leg is heard by a group receiver bound to
//! `group:port` (it never takes unicast SIP) and, when the process may, by the passive capture too (it
//! sees the datagram even when a PBX holds the port exclusively or the host firewall drops it: this leg
//! is about the path across the switch). When the port cannot be shared, a receiver bound to the group
//! on an ephemeral port still holds the membership, so a snooping switch forwards the group here while
//! the capture listens.

use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use super::receive::{self, Flow, Received, Source};
use super::{Clock, Endpoint, SystemClock, ms};
use crate::net::peer::{PeerKind, PeerTag, control_uri, group_uri, is_answer, is_request, options_request};
use crate::net::{
    Capture, CaptureFilter, CaptureOptions, GroupReceiver, LocalInterface, MulticastSender, NetError,
    OwnActions, SenderOptions, UnicastSocket,
};
use crate::observed::{Leg, PeerReport};
use crate::sip;

/// When the client sends a request again if nothing came back (ms after the first send): UDP may drop
/// one datagram, and a retransmission with the same nonce costs nothing.
const RETRANSMIT_AT_MS: [u64; 3] = [500, 1_500, 3_500];

const NOT_OK: Leg = Leg { ok: false, rtt_ms: None };

/// Runs the peer test against `peer` through `iface`, waiting up to `timeout` for the unicast answer
/// and then up to `timeout` for the two multicast legs. Without a unicast answer the multicast legs are
/// not tried (the peer is down or firewalled, so their failure would prove nothing).
///
/// # Errors
/// Any socket that cannot be opened (a port held exclusively with no capture privilege to fall back
/// on: [`NetError::AddressInUse`]).
pub fn run(
    iface: &LocalInterface,
    peer: SocketAddrV4,
    group: Ipv4Addr,
    port: u16,
    timeout: Duration,
    actions: &OwnActions,
) -> Result<PeerReport, NetError> {
    let mut report = PeerReport {
        peer: peer.into(),
        unicast: NOT_OK,
        here_to_peer: NOT_OK,
        peer_to_here: NOT_OK,
        warnings: Vec::new(),
    };
    let socket = UnicastSocket::bind(SocketAddrV4::new(iface.address, 0), actions)?;
    report.unicast = control_leg(&socket, &SystemClock, peer, timeout)?;
    drop(socket);
    if !report.unicast.ok || SystemClock.interrupted() {
        return Ok(report);
    }
    // Listeners first, so the `back` cannot arrive before anything listens.
    let (capture, receiver) = back_listeners(iface, group, port, actions)?;
    let options = SenderOptions { group, port, local_port: 0, ttl: 1, loopback: false };
    let sender = MulticastSender::open(iface, options, actions)?;
    let deadline = Instant::now() + timeout;
    let mut backs: Vec<Source<'_, Heard>> = Vec::new();
    let peer_ip = *peer.ip();
    let tag = PeerTag::fresh(PeerKind::Out);
    let nonce = tag.nonce.clone();
    if receiver.bound().port() == port {
        let nonce = nonce.clone();
        let receiver = &receiver;
        backs.push(Source::new("the group socket", deadline, move |until| {
            while let Some(d) = receiver.recv_until(until)? {
                if *d.source.ip() == peer_ip && is_back(&d.payload, &nonce) {
                    return Ok(Some(Heard::Back(d.received_at)));
                }
            }
            Ok(None)
        }));
    }
    if let Some(mut capture) = capture {
        backs.push(Source::new("the capture", deadline, move |until| {
            while let Some(frame) = capture.next_until(until)? {
                let packet = &frame.packet;
                let to_group = packet.source == peer_ip && packet.destination == group;
                let back = packet
                    .udp()
                    .is_some_and(|(_, to_port, payload)| to_port == port && is_back(payload, &nonce));
                if to_group && back {
                    return Ok(Some(Heard::Back(frame.received_at)));
                }
            }
            Ok(None)
        }));
    }
    let (out, back, warnings) = multicast_legs(&sender, &SystemClock, &tag, peer_ip, group, deadline, backs)?;
    report.here_to_peer = out;
    report.peer_to_here = back;
    report.warnings = warnings;
    drop(receiver);
    Ok(report)
}

fn is_back(payload: &[u8], nonce: &str) -> bool {
    sip::parse(payload).is_ok_and(|m| is_request(&m, PeerKind::Back, nonce))
}

/// Leg 1: `OPTIONS sip:mcready@PEER` to PEER:PORT, retransmitted until answered or `timeout`.
///
/// # Errors
/// When the OS refuses a send or a receive.
pub fn control_leg(
    socket: &dyn Endpoint,
    clock: &dyn Clock,
    peer: SocketAddrV4,
    timeout: Duration,
) -> Result<Leg, NetError> {
    let tag = PeerTag::fresh(PeerKind::Control);
    let request = options_request(&tag, &control_uri(IpAddr::V4(*peer.ip())), socket.local_addr());
    let started = clock.now();
    let deadline = started + timeout;
    let mut retransmits = RETRANSMIT_AT_MS.iter().map(|&ms| started + Duration::from_millis(ms));
    let mut next_send = Some(started);
    while clock.now() < deadline && !clock.interrupted() {
        if next_send.is_some_and(|at| clock.now() >= at) {
            socket.send_to(&request, peer, "peer test: unicast control OPTIONS")?;
            next_send = retransmits.next();
        }
        let until = next_send.map_or(deadline, |at| at.min(deadline));
        let Some(datagram) = socket.recv_until(until)? else { continue };
        if datagram.source.ip() != peer.ip() {
            continue;
        }
        if sip::parse(&datagram.payload).is_ok_and(|m| is_answer(&m, PeerKind::Control, &tag.nonce)) {
            return Ok(Leg {
                ok: true,
                rtt_ms: Some(ms(datagram.received_at.saturating_duration_since(started))),
            });
        }
    }
    Ok(NOT_OK)
}

/// What the multicast legs hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// The peer's unicast answer to `out`.
    OutAnswered(Instant),
    /// The peer's `back` on the group.
    Back(Instant),
}

/// Legs 2 and 3: `out` to the group from `sender` (retransmitted until the peer answers it), its
/// unicast answer (read from `sender` on a thread of its own, so its arrival time is exact), and the
/// peer's `back` on the group, heard by `backs`. A listener that fails is a warning, not the end of
/// the test.
///
/// # Errors
/// When the OS refuses a send.
pub fn multicast_legs<'a>(
    sender: &'a dyn Endpoint,
    clock: &dyn Clock,
    tag: &'a PeerTag,
    peer: Ipv4Addr,
    group: Ipv4Addr,
    deadline: Instant,
    mut sources: Vec<Source<'a, Heard>>,
) -> Result<(Leg, Leg, Vec<String>), NetError> {
    let request = options_request(tag, &group_uri(group), sender.local_addr());
    sources.push(Source::new("the multicast sender", deadline, move |until| {
        while let Some(d) = sender.recv_until(until)? {
            if *d.source.ip() == peer
                && sip::parse(&d.payload).is_ok_and(|m| is_answer(&m, PeerKind::Out, &tag.nonce))
            {
                return Ok(Some(Heard::OutAnswered(d.received_at)));
            }
        }
        Ok(None)
    }));
    let started = clock.now();
    let (mut out, mut back, mut warnings) = (None, None, Vec::new());
    let mut retransmits = RETRANSMIT_AT_MS.iter().map(|&ms| started + Duration::from_millis(ms));
    let mut next_send = Some(started);
    let mut send_error = None;
    let mut send_due = |out: Option<Instant>| -> Result<(), NetError> {
        if out.is_none() && next_send.is_some_and(|at| clock.now() >= at) {
            sender.send(&request, "peer test: multicast OPTIONS (out)")?;
            next_send = retransmits.next();
        }
        Ok(())
    };
    send_due(None)?;
    receive::run(sources, clock, |received| {
        match received {
            Received::Item(Heard::OutAnswered(at)) => out = out.or(Some(at)),
            Received::Item(Heard::Back(at)) => back = back.or(Some(at)),
            Received::Failed(message) => warnings.push(message),
            Received::Idle => {}
        }
        if let Err(error) = send_due(out) {
            send_error = Some(error);
            return Flow::Stop;
        }
        if (out.is_some() && back.is_some()) || clock.now() >= deadline { Flow::Stop } else { Flow::Continue }
    });
    if let Some(error) = send_error {
        return Err(error);
    }
    let leg = |at: Option<Instant>| Leg {
        ok: at.is_some(),
        rtt_ms: at.map(|at| ms(at.saturating_duration_since(started))),
    };
    Ok((leg(out), leg(back), warnings))
}

/// The capture (when this process may open one) and a group receiver: on `group:port` when the port
/// can be shared, else (with a capture to listen) on an ephemeral port, only to hold the membership.
fn back_listeners(
    iface: &LocalInterface,
    group: Ipv4Addr,
    port: u16,
    actions: &OwnActions,
) -> Result<(Option<Capture>, GroupReceiver), NetError> {
    let capture = Capture::open(&CaptureOptions {
        interface_index: iface.index,
        filter: CaptureFilter::SipAndIgmp { port },
        groups: vec![group],
    })
    .ok();
    let receiver = match GroupReceiver::open(group, port, std::slice::from_ref(iface), actions) {
        Ok(receiver) => receiver,
        Err(NetError::AddressInUse { .. } | NetError::NeedsCapture { .. }) if capture.is_some() => {
            GroupReceiver::open(group, 0, std::slice::from_ref(iface), actions)?
        }
        Err(error) => return Err(error),
    };
    Ok((capture, receiver))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::peer::serve;
    use crate::observe::fake::{FakeWire, SentByEngine};

    const PEER: &str = "198.51.100.20:5060";
    const HERE: &str = "198.51.100.10:40000";

    /// A `respond` at PEER that answers after `delay_ms`, or not at all when `None`.
    fn responder(delay_ms: Option<u64>) -> impl Fn(&SentByEngine) -> Vec<(Duration, SocketAddrV4, Vec<u8>)> {
        move |sent| {
            let (Some(delay), Ok(message)) = (delay_ms, sip::parse(&sent.payload)) else { return Vec::new() };
            let peer: SocketAddrV4 = PEER.parse().unwrap();
            let Some(replies) = serve(&message, HERE.parse().unwrap(), peer, sip::PNP_GROUP, peer) else {
                return Vec::new();
            };
            vec![(Duration::from_millis(delay), peer, replies.answer)]
        }
    }

    #[test]
    fn control_leg_retransmits_until_answered_or_given_up() {
        let wire = FakeWire::new(HERE.parse().unwrap(), Box::new(responder(None)));
        let leg = control_leg(&wire, &wire, PEER.parse().unwrap(), Duration::from_secs(2)).unwrap();
        assert!(!leg.ok);
        let sends: Vec<u128> = wire.sent().iter().map(|s| s.at.as_millis()).collect();
        assert_eq!(sends, [0, 500, 1500]);

        let wire = FakeWire::new(HERE.parse().unwrap(), Box::new(responder(Some(3))));
        let leg = control_leg(&wire, &wire, PEER.parse().unwrap(), Duration::from_secs(2)).unwrap();
        assert_eq!((leg.ok, leg.rtt_ms), (true, Some(3.0)));
        assert_eq!(wire.sent().len(), 1);
    }

    /// A sender on a real clock whose peer answers each `out` after `delay` (never with `None`).
    struct StubSender {
        delay: Option<Duration>,
        sends: std::sync::Mutex<Vec<Instant>>,
        answer: std::sync::Mutex<Option<(Instant, Vec<u8>)>>,
    }

    impl Endpoint for StubSender {
        fn local_addr(&self) -> SocketAddrV4 {
            HERE.parse().unwrap()
        }
        fn send(&self, payload: &[u8], _: &str) -> Result<(), NetError> {
            self.sends.lock().unwrap().push(Instant::now());
            if let (Some(delay), Ok(message)) = (self.delay, sip::parse(payload)) {
                let peer: SocketAddrV4 = PEER.parse().unwrap();
                let replies = serve(&message, HERE.parse().unwrap(), peer, sip::PNP_GROUP, peer).unwrap();
                *self.answer.lock().unwrap() = Some((Instant::now() + delay, replies.answer));
            }
            Ok(())
        }
        fn send_to(&self, _: &[u8], _: SocketAddrV4, _: &str) -> Result<(), NetError> {
            Ok(())
        }
        fn recv_until(&self, deadline: Instant) -> Result<Option<crate::net::Datagram>, NetError> {
            let due = self.answer.lock().unwrap().as_ref().map(|(at, _)| *at);
            match due {
                Some(at) if at <= deadline => {
                    std::thread::sleep(at.saturating_duration_since(Instant::now()));
                    let (_, payload) = self.answer.lock().unwrap().take().unwrap();
                    Ok(Some(crate::net::Datagram {
                        payload,
                        source: PEER.parse().unwrap(),
                        destination: None,
                        interface_index: None,
                        ttl: None,
                        received_at: Instant::now(),
                        truncated: false,
                    }))
                }
                _ => {
                    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                    Ok(None)
                }
            }
        }
    }

    fn stub(delay_ms: Option<u64>) -> StubSender {
        StubSender {
            delay: delay_ms.map(Duration::from_millis),
            sends: std::sync::Mutex::default(),
            answer: std::sync::Mutex::default(),
        }
    }

    #[test]
    fn out_is_answered_and_back_heard_by_a_listener() {
        let sender = stub(Some(5));
        let tag = PeerTag::fresh(PeerKind::Out);
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut once = Some(Heard::Back(Instant::now()));
        let back = Source::new("fake group socket", deadline, move |until| {
            std::thread::sleep(
                until.saturating_duration_since(Instant::now()).min(Duration::from_millis(10)),
            );
            Ok(once.take())
        });
        let peer = *PEER.parse::<SocketAddrV4>().unwrap().ip();
        let (out, back, warnings) =
            multicast_legs(&sender, &SystemClock, &tag, peer, sip::PNP_GROUP, deadline, vec![back]).unwrap();
        assert!(out.ok && back.ok && warnings.is_empty());
        assert!(out.rtt_ms.unwrap() >= 5.0);
        assert_eq!(sender.sends.lock().unwrap().len(), 1, "no retransmission once answered");
    }

    #[test]
    fn a_failing_listener_is_a_warning_and_a_silent_peer_is_retransmitted_to() {
        let sender = stub(None);
        let tag = PeerTag::fresh(PeerKind::Out);
        let deadline = Instant::now() + Duration::from_millis(700);
        let failing = Source::new("the group socket", deadline, |_| {
            Err::<Option<Heard>, _>(NetError::Os {
                what: "receive".into(),
                source: std::io::Error::other("interface gone"),
            })
        });
        let peer = *PEER.parse::<SocketAddrV4>().unwrap().ip();
        let (out, back, warnings) =
            multicast_legs(&sender, &SystemClock, &tag, peer, sip::PNP_GROUP, deadline, vec![failing])
                .unwrap();
        assert!(!out.ok && !back.ok);
        assert_eq!(warnings, ["the group socket stopped early: cannot receive: interface gone"]);
        assert_eq!(sender.sends.lock().unwrap().len(), 2, "sent at 0 and retransmitted at 500 ms");
    }
}
