//! The peer protocol (v1): `check --peer` on this host against `mcready respond` on another LAN host,
//! so that "multicast is blocked" can be told from "the other host is down".
//!
//! This module owns the messages (builders and recognisers of the `X-Mcready` header) and the
//! responder's decisions ([`serve`], whose replies `respond` sends); the client that runs the three
//! legs is an engine, `observe::peer`. Every message carries `X-Mcready: <kind>;v=1;nonce=<16 hex>`:
//!
//! 1. **control** — `OPTIONS sip:mcready@PEER` unicast to PEER:PORT, answered `200 OK` with the same
//!    header. No answer: the peer is down or firewalled, and the multicast legs are not judged.
//! 2. **out** — `OPTIONS sip:<group>` multicast to the group; the peer answers it by unicast `200 OK`
//!    (same nonce). OPTIONS rather than a `ua-profile` SUBSCRIBE, so no PBX provisions it.
//! 3. **back** — on receiving `out`, the peer also multicasts an `OPTIONS` with kind `back` and the same
//!    nonce; the client hears it on the group.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

use crate::sip::build::{self, BuildError, RequestBuilder};
use crate::sip::{self, Message, pnp, value};

/// The header every peer-protocol message carries.
pub const HEADER: &str = "X-Mcready";
/// The protocol version this build speaks (`v=1`).
pub const VERSION: &str = "1";

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
