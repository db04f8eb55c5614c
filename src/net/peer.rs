//! The peer protocol (v1): `check --peer` on this host against `mcready respond` on another LAN host,
//! so that "multicast is blocked" can be told from "the other host is down".
//!
//! This module owns both halves: the messages (builders and recognisers of the `X-Mcready` header),
//! the client ([`run_peer_test`], called by `check`) and the responder's decisions ([`serve`], whose
//! replies `respond` sends). Every message carries `X-Mcready: <kind>;v=1;nonce=<16 hex>`:
//!
//! 1. **control** — `OPTIONS sip:mcready@PEER` unicast to PEER:PORT, answered `200 OK` with the same
//!    header. No answer: the peer is down or firewalled, and the multicast legs are not judged.
//! 2. **out** — `OPTIONS sip:<group>` multicast to the group; the peer answers it by unicast `200 OK`
//!    (same nonce). OPTIONS rather than a `ua-profile` SUBSCRIBE, so no PBX provisions it.
//! 3. **back** — on receiving `out`, the peer also multicasts an `OPTIONS` with kind `back` and the same
//!    nonce; the client hears it on the group (a [`GroupReceiver`] and, when privileged, the capture).
//!
//! ```no_run
//! use std::time::{Duration, Instant};
//! use mcready::net::{LocalInterface, OwnActions, peer};
//!
//! let actions = OwnActions::new(Instant::now());
//! let eth0 = LocalInterface::lookup("eth0", "198.51.100.10".parse()?)?;
//! let report = peer::run_peer_test(
//!     &eth0,
//!     "198.51.100.20:5060".parse()?,
//!     mcready::facts::PNP_GROUP,
//!     5060,
//!     Duration::from_secs(2),
//!     &actions,
//! )?;
//! println!("unicast {} out {} back {}", report.unicast.ok, report.here_to_peer.ok, report.peer_to_here.ok);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::capture::{Capture, CaptureFilter, CaptureOptions};
use super::socket::{GroupReceiver, MulticastSender, SenderOptions, UnicastSocket};
use super::{LocalInterface, NetError, OwnActions};
use crate::observed::{Leg, PeerReport};
use crate::sip::build::{self, BuildError, RequestBuilder};
use crate::sip::{self, Message, pnp, value};

/// The header every peer-protocol message carries.
pub const HEADER: &str = "X-Mcready";
/// The protocol version this build speaks (`v=1`).
pub const VERSION: &str = "1";

/// When the client sends a request again if nothing came back (ms after the first send): UDP may drop
/// one datagram, and a retransmission with the same nonce costs nothing.
const RETRANSMIT_AT_MS: [u64; 3] = [500, 1_500, 3_500];
/// How often receive threads look at the stop flag.
const SLICE: Duration = Duration::from_millis(100);

/// Which message of the protocol this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerKind {
    /// Unicast reachability: is `respond` up on the peer?
    Control,
    /// Here → peer over the group.
    Out,
    /// Peer → here over the group.
    Back,
}

impl PeerKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Control => "control",
            Self::Out => "out",
            Self::Back => "back",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        [Self::Control, Self::Out, Self::Back]
            .into_iter()
            .find(|kind| word.eq_ignore_ascii_case(kind.as_str()))
    }
}

/// The value of an `X-Mcready` header: kind and nonce (the version is always [`VERSION`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerTag {
    pub kind: PeerKind,
    /// 16 lowercase hex digits.
    pub nonce: String,
}

impl PeerTag {
    #[must_use]
    pub fn new(kind: PeerKind, nonce: &str) -> Self {
        Self { kind, nonce: nonce.to_ascii_lowercase() }
    }

    /// A tag with a fresh nonce.
    #[must_use]
    pub fn fresh(kind: PeerKind) -> Self {
        Self::new(kind, &build::new_nonce())
    }

    /// The same nonce under another kind (an `out`'s `back`).
    #[must_use]
    pub fn with_kind(&self, kind: PeerKind) -> Self {
        Self { kind, nonce: self.nonce.clone() }
    }

    /// `out;v=1;nonce=0123456789abcdef`.
    #[must_use]
    pub fn header_value(&self) -> String {
        format!("{};v={VERSION};nonce={}", self.kind.as_str(), self.nonce)
    }

    /// Reads a header value; `None` unless the kind is known, `v` is 1 and the nonce is 16 hex digits.
    /// Another version is not understood, so it is ignored like any foreign message.
    #[must_use]
    pub fn parse(header_value: &str) -> Option<Self> {
        let (kind, params) = value::split_params(header_value);
        let kind = PeerKind::from_word(kind.trim_ascii())?;
        let version = value::param(params, "v").flatten()?;
        let nonce = value::param(params, "nonce").flatten()?;
        let is_nonce = nonce.len() == 16 && nonce.bytes().all(|b| b.is_ascii_hexdigit());
        (version.trim_ascii() == VERSION && is_nonce).then(|| Self::new(kind, nonce))
    }

    /// The tag of a message; `None` without a (valid) `X-Mcready` header.
    #[must_use]
    pub fn of(message: &Message<'_>) -> Option<Self> {
        message.header(HEADER).and_then(Self::parse)
    }
}

/// `sip:mcready@PEER`: the Request-URI of the unicast control OPTIONS.
#[must_use]
pub fn control_uri(peer: IpAddr) -> String {
    match peer {
        IpAddr::V4(v4) => format!("sip:mcready@{v4}"),
        IpAddr::V6(v6) => format!("sip:mcready@[{v6}]"),
    }
}

/// `sip:224.0.1.75`: the Request-URI of the multicast OPTIONS.
#[must_use]
pub fn group_uri(group: Ipv4Addr) -> String {
    format!("sip:{group}")
}

/// An `OPTIONS` carrying `tag`, sent from `local` (Via sent-by with `rport`, so the answer comes back
/// to the port it left from).
#[must_use]
pub fn options_request(tag: &PeerTag, uri: &str, local: SocketAddrV4) -> Vec<u8> {
    let from = format!("<sip:mcready@{local}>;tag={}", build::new_tag());
    RequestBuilder::new("OPTIONS", uri)
        .header("Via", &format!("SIP/2.0/UDP {local};branch={};rport", build::new_branch()))
        .header("Max-Forwards", "70")
        .header("From", &from)
        .header("To", &format!("<{uri}>"))
        .header("Call-ID", &build::new_call_id(IpAddr::V4(*local.ip())))
        .header("CSeq", "1 OPTIONS")
        .header("Contact", &format!("<sip:mcready@{local}>"))
        .header("User-Agent", sip::USER_AGENT)
        .header(HEADER, &tag.header_value())
        .render()
}

/// The `200 OK` to a peer-protocol request, carrying the request's `X-Mcready` header.
///
/// # Errors
/// [`BuildError`] when `request` is not a request with a valid tag and the headers an answer copies.
pub fn answer(request: &Message<'_>, local: SocketAddrV4) -> Result<Vec<u8>, BuildError> {
    let tag = PeerTag::of(request).ok_or(BuildError::MissingHeader(HEADER))?;
    let contact = format!("<sip:mcready@{local}>");
    build::response(
        request,
        200,
        "OK",
        &build::new_tag(),
        &[("Contact", &contact), ("Server", sip::USER_AGENT), (HEADER, &tag.header_value())],
    )
}

/// A peer-protocol answer: a `200 OK` whose tag is `kind` with `nonce`.
#[must_use]
pub fn is_answer(message: &Message<'_>, kind: PeerKind, nonce: &str) -> bool {
    message.status_code() == Some(200)
        && PeerTag::of(message).is_some_and(|tag| tag.kind == kind && tag.nonce.eq_ignore_ascii_case(nonce))
}

/// A peer-protocol request: an `OPTIONS` whose tag is `kind` with `nonce`.
#[must_use]
pub fn is_request(message: &Message<'_>, kind: PeerKind, nonce: &str) -> bool {
    message.is_request("OPTIONS")
        && PeerTag::of(message).is_some_and(|tag| tag.kind == kind && tag.nonce.eq_ignore_ascii_case(nonce))
}

/// What `respond` must send for one peer-protocol request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerReplies {
    /// The request's tag.
    pub tag: PeerTag,
    /// The unicast `200 OK` and where it goes (RFC 3261 §18.2.2 with `rport`).
    pub answer: Vec<u8>,
    pub answer_to: SocketAddr,
    /// For `out`: the `back` OPTIONS to multicast to the group.
    pub back: Option<Vec<u8>>,
}

/// The responder's decision for one datagram: `None` for anything that is not a peer-protocol request
/// it answers (no header, another version, a response, a `back`, a request without the headers an
/// answer copies). `answer_from` is the address the `200 OK` leaves from; `back_from` the multicast
/// sender's.
#[must_use]
pub fn serve(
    message: &Message<'_>,
    source: SocketAddr,
    answer_from: SocketAddrV4,
    group: Ipv4Addr,
    back_from: SocketAddrV4,
) -> Option<PeerReplies> {
    if !message.is_request("OPTIONS") {
        return None;
    }
    let tag = PeerTag::of(message)?;
    if tag.kind == PeerKind::Back {
        return None;
    }
    let answer = answer(message, answer_from).ok()?;
    let back = (tag.kind == PeerKind::Out)
        .then(|| options_request(&tag.with_kind(PeerKind::Back), &group_uri(group), back_from));
    Some(PeerReplies { tag, answer, answer_to: pnp::reply_target(message, source), back })
}

/// Milliseconds between two instants, as a report's RTT.
fn rtt_ms(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64() * 1000.0
}

const NOT_OK: Leg = Leg { ok: false, rtt_ms: None };

/// Runs the peer test against `mcready respond` at `peer` through `iface`, waiting up to `timeout` for
/// the unicast answer and then up to `timeout` for the two multicast legs.
///
/// Every socket is this process's own: the unicast and multicast senders use ephemeral ports on the
/// interface address (never a PBX's port), and the `back` leg is heard by a [`GroupReceiver`] bound
/// to `group:port` with `SO_REUSEADDR` (it never takes unicast SIP) and, when the process may, by the
/// passive capture too (it sees the datagram even when a PBX holds the port exclusively or the host
/// firewall drops it: this leg is about the path across the switch). When the port cannot be shared,
/// a receiver bound to the group on an ephemeral port still holds the membership, so a snooping switch
/// forwards the group to this port while the capture listens.
///
/// Without a unicast answer the multicast legs are not tried (the peer is down or firewalled, so their
/// failure would prove nothing); they are reported not ok.
///
/// # Errors
/// [`NetError::Unsupported`] for an IPv6 peer; any socket that cannot be opened (a port held
/// exclusively with no capture privilege to fall back on: [`NetError::AddressInUse`]).
pub fn run_peer_test(
    iface: &LocalInterface,
    peer: SocketAddr,
    group: Ipv4Addr,
    port: u16,
    timeout: Duration,
    actions: &OwnActions,
) -> Result<PeerReport, NetError> {
    let SocketAddr::V4(peer_v4) = peer else {
        return Err(NetError::Unsupported {
            what: format!("test peer {peer}"),
            source: std::io::Error::new(std::io::ErrorKind::Unsupported, "the peer protocol is IPv4 only"),
        });
    };
    let mut report = PeerReport { peer, unicast: NOT_OK, here_to_peer: NOT_OK, peer_to_here: NOT_OK };
    report.unicast = control_leg(iface, peer_v4, timeout, actions)?;
    if !report.unicast.ok {
        return Ok(report);
    }
    let (out, back) = multicast_legs(iface, *peer_v4.ip(), group, port, timeout, actions)?;
    report.here_to_peer = out;
    report.peer_to_here = back;
    Ok(report)
}

/// Leg 1: `OPTIONS sip:mcready@PEER` to PEER:PORT from an ephemeral port.
fn control_leg(
    iface: &LocalInterface,
    peer: SocketAddrV4,
    timeout: Duration,
    actions: &OwnActions,
) -> Result<Leg, NetError> {
    let socket = UnicastSocket::bind(SocketAddrV4::new(iface.address, 0), actions)?;
    let tag = PeerTag::fresh(PeerKind::Control);
    let request = options_request(&tag, &control_uri(IpAddr::V4(*peer.ip())), socket.local_addr());
    let started = Instant::now();
    let deadline = started + timeout;
    let mut retransmits = RETRANSMIT_AT_MS.iter().map(|&ms| started + Duration::from_millis(ms));
    let mut next_send = Some(started);
    while Instant::now() < deadline {
        if next_send.is_some_and(|at| Instant::now() >= at) {
            socket.send_to(&request, peer, "peer test: unicast control OPTIONS")?;
            next_send = retransmits.next();
        }
        let until = next_send.map_or(deadline, |at| at.min(deadline));
        let Some(datagram) = socket.recv_until(until)? else { continue };
        if datagram.source.ip() != peer.ip() {
            continue;
        }
        if sip::parse(&datagram.payload).is_ok_and(|m| is_answer(&m, PeerKind::Control, &tag.nonce)) {
            return Ok(Leg { ok: true, rtt_ms: Some(rtt_ms(started, datagram.received_at)) });
        }
    }
    Ok(NOT_OK)
}

/// What a receive thread saw that matters to the multicast legs.
enum Heard {
    OutAnswered(Instant),
    Back(Instant),
}

/// Reads with `next` until `deadline` or until `stop` is set, handing each item to `on`; a receive
/// error ends the loop (the leg then simply is not heard).
pub(crate) fn read_until<T>(
    stop: &AtomicBool,
    deadline: Instant,
    mut next: impl FnMut(Instant) -> Result<Option<T>, NetError>,
    mut on: impl FnMut(T),
) {
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        match next((Instant::now() + SLICE).min(deadline)) {
            Ok(Some(item)) => on(item),
            Ok(None) => {}
            Err(_) => break,
        }
    }
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
        Err(NetError::AddressInUse { .. }) if capture.is_some() => {
            GroupReceiver::open(group, 0, std::slice::from_ref(iface), actions)?
        }
        Err(error) => return Err(error),
    };
    Ok((capture, receiver))
}

/// Legs 2 and 3: `out` to the group, then its unicast answer and the peer's `back` on the group.
fn multicast_legs(
    iface: &LocalInterface,
    peer: Ipv4Addr,
    group: Ipv4Addr,
    port: u16,
    timeout: Duration,
    actions: &OwnActions,
) -> Result<(Leg, Leg), NetError> {
    // Listeners first, so the `back` cannot arrive before anything listens.
    let (capture, receiver) = back_listeners(iface, group, port, actions)?;
    let listens_on_port = receiver.bound().port() == port;
    let options = SenderOptions { group, port, local_port: 0, ttl: 1, loopback: false };
    let sender = MulticastSender::open(iface, options, actions)?;
    let tag = PeerTag::fresh(PeerKind::Out);
    let request = options_request(&tag, &group_uri(group), sender.local_addr());

    let (stop, (tx, rx)) = (AtomicBool::new(false), mpsc::channel::<Heard>());
    let (started, nonce) = (Instant::now(), tag.nonce.as_str());
    let deadline = started + timeout;
    let result = std::thread::scope(|scope| -> Result<(Leg, Leg), NetError> {
        let stop = &stop;
        let sender = &sender;
        let answers = tx.clone();
        scope.spawn(move || {
            read_until(
                stop,
                deadline,
                |until| sender.recv_until(until),
                |d| {
                    let answered = *d.source.ip() == peer
                        && sip::parse(&d.payload).is_ok_and(|m| is_answer(&m, PeerKind::Out, nonce));
                    if answered {
                        let _ = answers.send(Heard::OutAnswered(d.received_at));
                    }
                },
            );
        });
        if listens_on_port {
            let backs = tx.clone();
            let receiver = &receiver;
            scope.spawn(move || {
                read_until(
                    stop,
                    deadline,
                    |until| receiver.recv_until(until),
                    |d| {
                        let is_back = *d.source.ip() == peer
                            && sip::parse(&d.payload).is_ok_and(|m| is_request(&m, PeerKind::Back, nonce));
                        if is_back {
                            let _ = backs.send(Heard::Back(d.received_at));
                        }
                    },
                );
            });
        }
        if let Some(mut capture) = capture {
            let backs = tx.clone();
            scope.spawn(move || {
                read_until(
                    stop,
                    deadline,
                    |until| capture.next_until(until),
                    |frame| {
                        let packet = &frame.packet;
                        let is_back = packet.source == peer
                            && packet.destination == group
                            && packet.udp().is_some_and(|(_, to_port, payload)| {
                                to_port == port
                                    && sip::parse(payload)
                                        .is_ok_and(|m| is_request(&m, PeerKind::Back, nonce))
                            });
                        if is_back {
                            let _ = backs.send(Heard::Back(frame.received_at));
                        }
                    },
                );
            });
        }
        drop(tx);

        let mut out = None;
        let mut back = None;
        let mut retransmits = RETRANSMIT_AT_MS.iter().map(|&ms| started + Duration::from_millis(ms));
        let mut next_send = Some(started);
        let outcome = loop {
            let now = Instant::now();
            if (out.is_some() && back.is_some()) || now >= deadline {
                break Ok(());
            }
            if next_send.is_some_and(|at| now >= at) && out.is_none() {
                if let Err(error) = sender.send(&request, "peer test: multicast OPTIONS (out)") {
                    break Err(error);
                }
                next_send = retransmits.next();
            }
            let until = next_send.filter(|_| out.is_none()).map_or(deadline, |at| at.min(deadline));
            match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(Heard::OutAnswered(at)) => out = out.or(Some(at)),
                Ok(Heard::Back(at)) => back = back.or(Some(at)),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break Ok(()),
            }
        };
        stop.store(true, Ordering::Relaxed);
        outcome?;
        let leg = |at: Option<Instant>| Leg { ok: at.is_some(), rtt_ms: at.map(|at| rtt_ms(started, at)) };
        Ok((leg(out), leg(back)))
    });
    drop(receiver);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> SocketAddrV4 {
        "198.51.100.10:40000".parse().unwrap()
    }

    #[test]
    fn tag_round_trip_and_strictness() {
        let tag = PeerTag::new(PeerKind::Out, "0123456789ABCDEF");
        assert_eq!(tag.header_value(), "out;v=1;nonce=0123456789abcdef");
        assert_eq!(PeerTag::parse(&tag.header_value()), Some(tag.clone()));
        assert_eq!(PeerTag::parse(" OUT ; nonce=0123456789abcdef ; v=1"), Some(tag));
        for bad in [
            "out;v=2;nonce=0123456789abcdef",
            "out;nonce=0123456789abcdef",
            "out;v=1;nonce=0123",
            "out;v=1;nonce=0123456789abcdeg",
            "sideways;v=1;nonce=0123456789abcdef",
            "",
            "out;v=1;nonce",
        ] {
            assert_eq!(PeerTag::parse(bad), None, "{bad}");
        }
        assert_eq!(PeerTag::fresh(PeerKind::Back).nonce.len(), 16);
    }

    #[test]
    fn control_request_and_answer_round_trip() {
        let tag = PeerTag::fresh(PeerKind::Control);
        let bytes = options_request(&tag, &control_uri("198.51.100.20".parse().unwrap()), local());
        let request = sip::parse(&bytes).unwrap();
        assert!(request.is_request("OPTIONS"));
        assert!(is_request(&request, PeerKind::Control, &tag.nonce));
        assert!(!is_request(&request, PeerKind::Out, &tag.nonce));
        let server: SocketAddrV4 = "198.51.100.20:5060".parse().unwrap();
        let replies = serve(&request, SocketAddr::V4(local()), server, sip::PNP_GROUP, server).unwrap();
        assert_eq!(replies.answer_to, SocketAddr::V4(local()), "rport: back to the source");
        assert_eq!(replies.back, None);
        let answer = sip::parse(&replies.answer).unwrap();
        assert!(is_answer(&answer, PeerKind::Control, &tag.nonce));
        assert!(!is_answer(&answer, PeerKind::Control, "ffffffffffffffff"));
        assert_eq!(answer.call_id(), request.call_id());
        // A response is never served, and neither is its own kind of answer.
        assert_eq!(serve(&answer, SocketAddr::V4(local()), server, sip::PNP_GROUP, server), None);
    }

    #[test]
    fn out_brings_an_answer_and_a_back_with_the_same_nonce() {
        let tag = PeerTag::fresh(PeerKind::Out);
        let request = options_request(&tag, &group_uri(sip::PNP_GROUP), local());
        let message = sip::parse(&request).unwrap();
        let server: SocketAddrV4 = "198.51.100.20:5060".parse().unwrap();
        let back_from: SocketAddrV4 = "198.51.100.20:41000".parse().unwrap();
        let replies = serve(&message, SocketAddr::V4(local()), server, sip::PNP_GROUP, back_from).unwrap();
        assert!(is_answer(&sip::parse(&replies.answer).unwrap(), PeerKind::Out, &tag.nonce));
        let back_bytes = replies.back.unwrap();
        let back = sip::parse(&back_bytes).unwrap();
        assert!(is_request(&back, PeerKind::Back, &tag.nonce));
        assert!(String::from_utf8_lossy(&back_bytes).starts_with("OPTIONS sip:224.0.1.75 SIP/2.0\r\n"));
        // A `back` is heard, never answered: two responders cannot ping-pong.
        assert_eq!(serve(&back, SocketAddr::V4(back_from), server, sip::PNP_GROUP, back_from), None);
    }

    #[test]
    fn foreign_messages_are_ignored() {
        let server: SocketAddrV4 = "198.51.100.20:5060".parse().unwrap();
        let source = SocketAddr::V4(local());
        for text in [
            "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a>\r\nTo: <sip:b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n",
            "OPTIONS sip:x SIP/2.0\r\nX-Mcready: out;v=2;nonce=0123456789abcdef\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a>\r\nTo: <sip:b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n",
            // A valid tag without the headers an answer copies: no answer rather than a broken one.
            "OPTIONS sip:x SIP/2.0\r\nX-Mcready: control;v=1;nonce=0123456789abcdef\r\n\r\n",
            "SUBSCRIBE sip:x SIP/2.0\r\nX-Mcready: out;v=1;nonce=0123456789abcdef\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a>\r\nTo: <sip:b>\r\nCall-ID: c\r\nCSeq: 1 SUBSCRIBE\r\n\r\n",
        ] {
            let message = sip::parse(text.as_bytes()).unwrap();
            assert_eq!(serve(&message, source, server, sip::PNP_GROUP, server), None, "{text}");
        }
    }
}
