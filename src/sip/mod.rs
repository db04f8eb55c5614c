//! SIP over UDP as phones and PBXs speak it for Plug-and-Play: a tolerant parser, the PnP meaning of a
//! message (phone identity, provisioning URL), and builders for what mcready sends.
//!
//! - [`parse`](mod@parse) owns framing: one datagram in, one borrowed [`Message`] or a typed
//!   [`ParseError`] out, never a panic.
//! - [`value`] owns the grammar inside header values (parameters, URIs, Via sent-by).
//! - [`pnp`] owns what a message means for PnP: is it a phone's `ua-profile` SUBSCRIBE, who is the phone,
//!   which URL did a NOTIFY carry, which request does a response answer, where must an answer go.
//! - [`build`] owns what mcready writes: the probe SUBSCRIBE, the 200 OK and NOTIFY of `respond`, and any
//!   other request (the peer protocol's OPTIONS).
//! - [`mac`] owns MAC addresses in the spellings phones use.
//!
//! ```
//! use mcready::sip;
//! let datagram = b"SUBSCRIBE sip:MAC%3a0015657322ff@224.0.1.75 SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK1;rport\r\n\
//!     Event: ua-profile;profile-type=\"device\";vendor=\"acme\";model=\"x1\";version=\"1.0\"\r\n\
//!     Content-Length: 0\r\n\r\n";
//! let message = sip::parse(datagram)?;
//! assert!(sip::pnp::is_pnp_subscribe(&message));
//! let phone = sip::pnp::identify_phone(&message);
//! assert_eq!(phone.mac.map(|mac| mac.to_string()).as_deref(), Some("00:15:65:73:22:ff"));
//! assert_eq!(phone.vendor.as_deref(), Some("acme"));
//! # Ok::<(), sip::ParseError>(())
//! ```
// Protocol words (PnP, CSeq, SUBSCRIBE) fill these docs; backticking each would hurt more than it helps.
#![allow(clippy::doc_markdown)]
// Untrusted bytes flow through every function here: indexing, unwrap and explicit panics are refused by
// the compiler rather than by review.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo
    )
)]

pub mod build;
pub mod mac;
pub mod parse;
pub mod pnp;
pub mod value;

pub use mac::{MacAddr, MacParseError};
pub use parse::{BodyFraming, Header, MAX_DATAGRAM_LEN, Message, ParseError, StartLine, parse};
pub use pnp::redact_url;

/// The `User-Agent` of everything mcready sends, so that a PBX administrator can tell the probe from a
/// phone.
pub const USER_AGENT: &str =
    concat!("mcready/", env!("CARGO_PKG_VERSION"), " (multicast readiness diagnostic)");

/// The SIP PnP multicast group (`sip.mcast.net`, RFC 6080 §4.1).
pub const PNP_GROUP: std::net::Ipv4Addr = std::net::Ipv4Addr::new(224, 0, 1, 75);

/// The SIP port phones send PnP SUBSCRIBEs to.
pub const SIP_PORT: u16 = 5060;
