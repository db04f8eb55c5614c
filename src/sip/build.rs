//! What mcready writes on the wire: the probe SUBSCRIBE, the 200 OK and NOTIFY of `respond`, and any other
//! request (the peer protocol's `OPTIONS` with its `X-Mcready` header).
//!
//! Everything renders to a `Vec<u8>` ready for one `send_to`. The probe is shaped like a real phone's
//! SUBSCRIBE (the Yealink and Grandstream fixtures) so that a PBX treats it as one, but says who it is: a
//! locally administered MAC, `vendor="mcready"` and an mcready User-Agent.
//!
//! Identifiers (branch, tag, Call-ID, nonce) need to be unique, not secret. They hash the time, the
//! process id and a counter with std's `RandomState`, whose keys std seeds from the OS once per process:
//! OS randomness without a new dependency (`getrandom` is not in the dependency tree).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use super::mac::MacAddr;
use super::parse::{Message, StartLine, unfold};
use super::value;
use super::{PNP_GROUP, SIP_PORT, USER_AGENT};

/// The magic cookie every RFC 3261 branch starts with (§8.1.1.7).
pub const BRANCH_COOKIE: &str = "z9hG4bK";

/// 64 bits that differ on every call, in this process and from other processes.
#[must_use]
pub fn fresh_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    if let Ok(since_epoch) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(since_epoch.as_nanos());
    }
    hasher.finish()
}

fn fresh_hex() -> String {
    format!("{:016x}", fresh_u64())
}

/// A new Via branch: `z9hG4bK` and 16 hex digits.
#[must_use]
pub fn new_branch() -> String {
    format!("{BRANCH_COOKIE}{}", fresh_hex())
}

/// A new From/To tag: 16 hex digits.
#[must_use]
pub fn new_tag() -> String {
    fresh_hex()
}

/// A new Call-ID: 32 hex digits `@` the host, as phones write it.
#[must_use]
pub fn new_call_id(host: IpAddr) -> String {
    format!("{}{}@{host}", fresh_hex(), fresh_hex())
}

/// A new peer-protocol nonce: 16 hex digits.
#[must_use]
pub fn new_nonce() -> String {
    fresh_hex()
}

/// A locally administered unicast MAC derived from `seed` (e.g. the interface's own MAC or the host
/// name): the same host presents the same probe MAC on every run, so a PBX that lists discovered phones
/// gains one entry, not one per run.
#[must_use]
pub fn local_probe_mac(seed: &[u8]) -> MacAddr {
    // FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in seed {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let [b0, b1, b2, b3, b4, b5, ..] = hash.to_be_bytes();
    MacAddr([(b0 | 0x02) & !0x01, b1, b2, b3, b4, b5])
}

/// `ip:port`, with brackets for IPv6.
fn host_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// `ip`, with brackets for IPv6 (a URI host).
fn uri_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// A header value made safe to write: folded values become one line, and CR, LF and NUL (which would end
/// the header or the message early) become spaces.
fn one_line(text: &str) -> Cow<'_, str> {
    let unfolded = unfold(text.trim_ascii());
    if unfolded.contains(['\r', '\n', '\0']) {
        Cow::Owned(unfolded.replace(['\r', '\n', '\0'], " "))
    } else {
        unfolded
    }
}

/// A SIP request of any method; Content-Length is always written and always exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBuilder {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
}

impl RequestBuilder {
    #[must_use]
    pub fn new(method: &str, uri: &str) -> Self {
        Self { method: method.to_owned(), uri: uri.to_owned(), headers: Vec::with_capacity(16), body: None }
    }

    /// Adds a header line, in the order given.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body and its Content-Type.
    #[must_use]
    pub fn body(mut self, content_type: &str, body: &[u8]) -> Self {
        self.body = Some((content_type.to_owned(), body.to_vec()));
        self
    }

    #[must_use]
    pub fn render(&self) -> Vec<u8> {
        // The request line is split on whitespace: none may remain inside the method or the URI.
        let squeeze = |text: &str| -> String {
            text.chars().filter(|c| !c.is_ascii_whitespace() && *c != '\0').collect()
        };
        let start = format!("{} {} SIP/2.0", squeeze(&self.method), squeeze(&self.uri));
        render_message(&start, &self.headers, self.body.as_ref())
    }
}

fn render_message(
    start_line: &str,
    headers: &[(String, String)],
    body: Option<&(String, Vec<u8>)>,
) -> Vec<u8> {
    let mut text = String::with_capacity(512);
    text.push_str(start_line);
    text.push_str("\r\n");
    for (name, value) in headers {
        let _ = write!(text, "{}: {}\r\n", one_line(name), one_line(value));
    }
    let body_bytes: &[u8] = body.map_or(&[], |(_, bytes)| bytes.as_slice());
    if let Some((content_type, _)) = body {
        let _ = write!(text, "Content-Type: {}\r\n", one_line(content_type));
    }
    let _ = write!(text, "Content-Length: {}\r\n\r\n", body_bytes.len());
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(body_bytes);
    bytes
}

/// The phone-shaped PnP SUBSCRIBE mcready multicasts to find a PnP server.
///
/// The identifiers are public so that the caller can match answers: a 200 OK carries the same `branch`
/// and `call_id`, a NOTIFY the same `call_id` and `from_tag` (as its To tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSubscribe {
    /// The address the probe is sent from (Via, Contact, Call-ID host).
    pub local_ip: IpAddr,
    pub local_port: u16,
    /// Should be locally administered; see [`local_probe_mac`].
    pub mac: MacAddr,
    pub group: IpAddr,
    pub port: u16,
    /// Written into the Event `version` parameter.
    pub version: String,
    pub branch: String,
    pub from_tag: String,
    pub call_id: String,
    pub cseq: u32,
    /// The port of the Contact, when it differs from the source port: a PBX that follows the Contact
    /// (as RFC 6665 asks) sends its NOTIFY there, one that answers the source port does not.
    pub contact_port: Option<u16>,
    /// Whose SUBSCRIBE it imitates.
    pub shape: Shape,
}

/// Whose PnP SUBSCRIBE the probe imitates (`--as`): a PBX that answers only the phones it supports
/// (by the Event's vendor and model, or the User-Agent) answers a probe shaped like one of them. Each
/// shape copies a real phone's SUBSCRIBE in `tests/fixtures/sip/` — its Request-URI and MAC notation,
/// header order, Event parameters and User-Agent — and keeps what makes it mcready's: the locally
/// administered MAC (never a real phone's, so no real phone's configuration is ever handed out), fresh
/// identifiers, and "mcready" in the User-Agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    /// mcready's own: `vendor="mcready"`, `model="probe"`.
    #[default]
    Mcready,
    /// Snom firmware 7.1.19 (`vendor="OEM"`, `MAC%3a`, no User-Agent in the sample).
    Snom,
    /// Yealink W52P 25.81.0.10 (`MAC` without `%3a`).
    Yealink,
    /// Grandstream GRP2612W 1.0.5.67 (`MAC%3A`, CSeq 20000).
    Grandstream,
    /// AudioCodes 420HD 1.2.1 (the group as Request-URI, no MAC, `profile-type="application"`).
    Audiocodes,
}

impl Shape {
    /// Every shape, for `--as`'s list and for tests.
    pub const ALL: [Self; 5] =
        [Self::Mcready, Self::Snom, Self::Yealink, Self::Grandstream, Self::Audiocodes];

    /// The name `--as` takes.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Mcready => "mcready",
            Self::Snom => "snom",
            Self::Yealink => "yealink",
            Self::Grandstream => "grandstream",
            Self::Audiocodes => "audiocodes",
        }
    }

    /// What `--as NAME` imitates, for `--help`.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Mcready => "mcready's own (vendor=\"mcready\", model=\"probe\")",
            Self::Snom => "a Snom phone (firmware 7.1.19)",
            Self::Yealink => "a Yealink phone (W52P)",
            Self::Grandstream => "a Grandstream phone (GRP2612W)",
            Self::Audiocodes => "an AudioCodes phone (420HD)",
        }
    }

    /// The vendor's own User-Agent, when its sample has one, with mcready's name kept in a comment.
    fn user_agent(self) -> Option<String> {
        let vendor = match self {
            Self::Mcready => return Some(USER_AGENT.to_owned()),
            Self::Snom => return None,
            Self::Yealink => "Yealink W52P 25.81.0.10",
            Self::Grandstream => "Grandstream GRP2612W 1.0.5.67",
            Self::Audiocodes => "AUDC-IPPhone/1.2.1_build_6",
        };
        Some(format!("{vendor} (mcready/{} diagnostic probe)", env!("CARGO_PKG_VERSION")))
    }
}

impl ProbeSubscribe {
    /// A probe from `local` to 224.0.1.75:5060 with fresh identifiers and the crate version.
    #[must_use]
    pub fn new(local: SocketAddr, mac: MacAddr) -> Self {
        Self {
            local_ip: local.ip(),
            local_port: local.port(),
            mac,
            group: IpAddr::V4(PNP_GROUP),
            port: SIP_PORT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            branch: new_branch(),
            from_tag: new_tag(),
            call_id: new_call_id(local.ip()),
            cseq: 1,
            contact_port: None,
            shape: Shape::Mcready,
        }
    }

    /// `sip:MAC%3a<mac>@<group>`, with `:port` when the port is not 5060.
    #[must_use]
    pub fn request_uri(&self) -> String {
        let mut uri = format!("sip:MAC%3a{}@{}", self.mac.to_compact_string(), uri_host(self.group));
        if self.port != SIP_PORT {
            let _ = write!(uri, ":{}", self.port);
        }
        uri
    }

    /// The datagram, in the header order of the phone its [`Shape`] imitates (mcready's own: a
    /// Yealink's).
    #[must_use]
    pub fn render(&self) -> Vec<u8> {
        match self.shape {
            Shape::Mcready | Shape::Yealink => self.render_yealink_like(),
            Shape::Snom => self.render_snom(),
            Shape::Grandstream => self.render_grandstream(),
            Shape::Audiocodes => self.render_audiocodes(),
        }
    }

    fn contact_host(&self) -> String {
        host_port(self.local_ip, self.contact_port.unwrap_or(self.local_port))
    }

    fn user_agent(&self, request: RequestBuilder) -> RequestBuilder {
        match self.shape.user_agent() {
            Some(ua) => request.header("User-Agent", &ua),
            None => request,
        }
    }

    fn render_yealink_like(&self) -> Vec<u8> {
        let mac = self.mac.to_compact_string();
        let (uri, user, event) = if self.shape == Shape::Yealink {
            let user = format!("MAC{mac}");
            (
                self.uri_for(&user),
                user,
                "ua-profile;profile-type=\"device\";vendor=\"yealink\";model=\"W52P\";version=\"25.81.0.10\""
                    .to_owned(),
            )
        } else {
            (
                self.request_uri(),
                format!("MAC%3a{mac}"),
                format!(
                    "ua-profile;profile-type=\"device\";vendor=\"mcready\";model=\"probe\";version=\"{}\"",
                    self.version.replace(['"', '\\'], "")
                ),
            )
        };
        let request = self
            .dialog(&uri, self.cseq)
            .header("Contact", &format!("<sip:{user}@{}>", self.contact_host()))
            .header("Max-Forwards", "70");
        self.user_agent(request)
            .header("Expires", "0")
            .header("Event", &event)
            .header("Accept", "application/url")
            .render()
    }

    /// The request line and the headers every phone sends first, in this order: Via, From, To,
    /// Call-ID, CSeq.
    fn dialog(&self, uri: &str, cseq: u32) -> RequestBuilder {
        let local = host_port(self.local_ip, self.local_port);
        RequestBuilder::new("SUBSCRIBE", uri)
            .header("Via", &format!("SIP/2.0/UDP {local};branch={};rport", self.branch))
            .header("From", &format!("<{uri}>;tag={}", self.from_tag))
            .header("To", &format!("<{uri}>"))
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("{cseq} SUBSCRIBE"))
    }

    fn render_snom(&self) -> Vec<u8> {
        let request = self
            .dialog(&self.request_uri(), self.cseq)
            .header(
                "Event",
                "ua-profile;profile-type=\"device\";vendor=\"OEM\";model=\"OEM\";version=\"7.1.19\"",
            )
            .header("Expires", "0")
            .header("Accept", "application/url")
            .header("Contact", &format!("<sip:{}>", self.contact_host()));
        self.user_agent(request).render()
    }

    fn render_grandstream(&self) -> Vec<u8> {
        let user = format!("MAC%3A{}", self.mac.to_compact_string().to_ascii_uppercase());
        let request = self
            .dialog(&self.uri_for(&user), self.cseq.saturating_add(19_999))
            .header("Contact", &format!("<sip:{}>", self.contact_host()))
            .header("Max-Forwards", "70");
        self.user_agent(request)
            .header("Expires", "0")
            .header("Supported", "replaces, path")
            .header(
                "Event",
                "ua-profile;profile-type=\"device\";vendor=\"Grandstream\";model=\"GRP2612W\";version=\"1.0.5.67\"",
            )
            .header("Accept", "application/url")
            .header("Allow", "INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE, MESSAGE")
            .render()
    }

    fn render_audiocodes(&self) -> Vec<u8> {
        let local = host_port(self.local_ip, self.local_port);
        let group = format!("sip:{}", host_port(self.group, self.port));
        let request = RequestBuilder::new("SUBSCRIBE", &group)
            .header("From", &format!("<sip:00000001@{local}>;tag={}", self.from_tag))
            .header("To", &format!("<{group}>"))
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("{} SUBSCRIBE", self.cseq))
            .header("Via", &format!("SIP/2.0/UDP {local};rport;branch={}", self.branch))
            .header("Expires", "0")
            .header(
                "Event",
                "ua-profile;profile-type=\"application\";model=\"420HD\";version=\"1.2.1_build_6\"",
            )
            .header("Max-Forwards", "70")
            .header("Supported", "replaces,100rel")
            .header("Accept", "application/url")
            .header("Contact", &format!("<sip:00000001@{}>", self.contact_host()));
        self.user_agent(request).render()
    }

    /// `sip:<user>@<group>`, with `:port` when the port is not 5060.
    fn uri_for(&self, user: &str) -> String {
        let mut uri = format!("sip:{user}@{}", uri_host(self.group));
        if self.port != SIP_PORT {
            let _ = write!(uri, ":{}", self.port);
        }
        uri
    }
}

/// Why an answer could not be built from a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildError {
    /// Responses answer requests; this was a response.
    NotARequest,
    /// The request lacks a header the answer must copy or use.
    MissingHeader(&'static str),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotARequest => f.write_str("cannot answer a SIP response, only a request"),
            Self::MissingHeader(name) => {
                write!(f, "cannot answer a SIP request without a {name} header")
            }
        }
    }
}

impl std::error::Error for BuildError {}

/// `value` (a From or To) with `;tag=tag` added unless it already has a tag.
fn with_tag(value: &str, tag: &str) -> String {
    let value = one_line(value);
    if value::tag(&value).is_some() { value.into_owned() } else { format!("{value};tag={}", one_line(tag)) }
}

/// `<uri>` unless already in angle brackets.
fn angle(uri: &str) -> String {
    let uri = one_line(uri);
    if uri.starts_with('<') { uri.into_owned() } else { format!("<{uri}>") }
}

fn required<'a>(request: &Message<'a>, name: &'static str) -> Result<&'a str, BuildError> {
    request.header(name).ok_or(BuildError::MissingHeader(name))
}

/// A response to `request` per RFC 3261 §8.2.6.2: every Via in order, From, To (with `to_tag` added when
/// it has none), Call-ID and CSeq copied, then `extra` headers, and an empty body.
///
/// # Errors
/// [`BuildError`] when `request` is a response or lacks Via, From, To, Call-ID or CSeq.
pub fn response(
    request: &Message<'_>,
    code: u16,
    reason: &str,
    to_tag: &str,
    extra: &[(&str, &str)],
) -> Result<Vec<u8>, BuildError> {
    if !matches!(request.start_line(), StartLine::Request { .. }) {
        return Err(BuildError::NotARequest);
    }
    required(request, "Via")?;
    let from = required(request, "From")?;
    let to = required(request, "To")?;
    let call_id = required(request, "Call-ID")?;
    let cseq = required(request, "CSeq")?;

    let mut headers: Vec<(String, String)> =
        request.headers("Via").map(|via| ("Via".to_owned(), one_line(via).into_owned())).collect();
    headers.push(("From".to_owned(), one_line(from).into_owned()));
    headers.push(("To".to_owned(), with_tag(to, to_tag)));
    headers.push(("Call-ID".to_owned(), one_line(call_id).into_owned()));
    headers.push(("CSeq".to_owned(), one_line(cseq).into_owned()));
    headers.extend(extra.iter().map(|&(name, value)| (name.to_owned(), value.to_owned())));
    let start = format!("SIP/2.0 {code} {}", one_line(reason));
    Ok(render_message(&start, &headers, None))
}

/// The 200 OK `respond` sends to a SUBSCRIBE (or any request): [`response`] plus Contact, Expires (the
/// request's, `0` when absent, as RFC 6665 §4.2.1.1 requires one in a SUBSCRIBE's 2xx) and
/// `Server: user_agent` (a response names its software with Server, not User-Agent).
///
/// # Errors
/// As [`response`].
pub fn ok_response(
    request: &Message<'_>,
    to_tag: &str,
    contact: &str,
    user_agent: &str,
) -> Result<Vec<u8>, BuildError> {
    let contact = angle(contact);
    let expires = request.header("Expires").map_or("0", str::trim_ascii);
    let mut extra = vec![("Contact", contact.as_str())];
    if request.is_request("SUBSCRIBE") {
        extra.push(("Expires", expires));
    }
    extra.push(("Server", user_agent));
    response(request, 200, "OK", to_tag, &extra)
}

/// How `respond` fills the NOTIFY that carries a provisioning URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifyOptions<'s> {
    /// The address the NOTIFY is sent from (Via sent-by and Contact).
    pub local: SocketAddr,
    /// The tag the 200 OK put on To: the NOTIFY's From tag.
    pub our_tag: &'s str,
    pub cseq: u32,
    pub user_agent: &'s str,
}

/// The NOTIFY that hands a phone its provisioning URL after the 200 OK to its SUBSCRIBE (RFC 6080 §5.3):
/// sent to the SUBSCRIBE's Contact, From = the SUBSCRIBE's To with our tag, To = its From, same Call-ID,
/// a fresh Via branch, `Subscription-State: terminated;reason=timeout` (the subscription ends with this
/// one notification) and the URL as an `application/url` body.
///
/// # Errors
/// [`BuildError`] when `subscribe` is a response or lacks Contact, From, To or Call-ID.
pub fn notify_for(
    subscribe: &Message<'_>,
    url: &str,
    options: &NotifyOptions<'_>,
) -> Result<Vec<u8>, BuildError> {
    if !matches!(subscribe.start_line(), StartLine::Request { .. }) {
        return Err(BuildError::NotARequest);
    }
    let contact = required(subscribe, "Contact")?;
    let target = value::name_addr_uri(contact);
    if target.is_empty() {
        return Err(BuildError::MissingHeader("Contact"));
    }
    let from = required(subscribe, "From")?;
    let to = required(subscribe, "To")?;
    let call_id = required(subscribe, "Call-ID")?;
    // RFC 6665 §8.2.1: the NOTIFY's Event must match the SUBSCRIBE's; copy it when it is ua-profile.
    let event = subscribe
        .header("Event")
        .filter(|event| value::split_params(event).0.eq_ignore_ascii_case(super::pnp::UA_PROFILE))
        .map_or(Cow::Borrowed(super::pnp::UA_PROFILE), one_line);
    let local = host_port(options.local.ip(), options.local.port());
    Ok(RequestBuilder::new("NOTIFY", &one_line(target))
        .header("Via", &format!("SIP/2.0/UDP {local};branch={};rport", new_branch()))
        .header("Max-Forwards", "70")
        .header("From", &with_tag(to, options.our_tag))
        .header("To", from)
        .header("Call-ID", call_id)
        .header("CSeq", &format!("{} NOTIFY", options.cseq))
        .header("Contact", &format!("<sip:{local}>"))
        .header("Event", &event)
        .header("Subscription-State", "terminated;reason=timeout")
        .header("User-Agent", options.user_agent)
        .body("application/url", url.trim_ascii().as_bytes())
        .render())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::parse;

    fn probe() -> ProbeSubscribe {
        let local: SocketAddr = "198.51.100.7:5060".parse().unwrap_or_else(|_| panic!());
        ProbeSubscribe::new(local, local_probe_mac(b"test-host"))
    }

    #[test]
    fn probe_mac_is_local_unicast_and_stable() {
        for seed in [&b""[..], b"a", b"host", &[0xff; 64]] {
            let mac = local_probe_mac(seed);
            assert!(mac.is_locally_administered() && !mac.is_multicast(), "{mac}");
            assert_eq!(mac, local_probe_mac(seed));
        }
        assert_ne!(local_probe_mac(b"a"), local_probe_mac(b"b"));
    }

    #[test]
    fn identifiers_are_fresh() {
        let branches: std::collections::HashSet<_> = (0..1000).map(|_| new_branch()).collect();
        assert_eq!(branches.len(), 1000);
        assert!(branches.iter().all(|b| b.starts_with("z9hG4bK") && b.len() == 23));
        assert_ne!(new_tag(), new_tag());
        assert_eq!(new_nonce().len(), 16);
    }

    #[test]
    fn each_shape_copies_its_vendors_sample_and_keeps_mcreadys_marks() {
        let fixture = |name: &str| {
            std::fs::read(format!("{}/tests/fixtures/sip/{name}", env!("CARGO_MANIFEST_DIR")))
                .unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        for shape in Shape::ALL {
            let probe = ProbeSubscribe { shape, ..probe() };
            let bytes = probe.render();
            let message = crate::sip::parse(&bytes).unwrap_or_else(|e| panic!("{shape:?}: {e:?}"));
            assert!(crate::sip::pnp::is_pnp_subscribe(&message), "{shape:?}");
            let identity = crate::sip::pnp::identify_phone(&message);
            if shape != Shape::Audiocodes {
                assert_eq!(identity.mac, Some(probe.mac), "{shape:?}: mcready's own MAC, never a phone's");
            }
            if let Some(ua) = message.header("User-Agent") {
                assert!(ua.contains("mcready"), "{shape:?}: {ua}");
            }
            let sample = match shape {
                Shape::Mcready => continue,
                Shape::Snom => fixture("snom-subscribe.txt"),
                Shape::Yealink => fixture("yealink-subscribe.txt"),
                Shape::Grandstream => fixture("grandstream-subscribe.txt"),
                Shape::Audiocodes => fixture("audiocodes-subscribe.txt"),
            };
            let sample = crate::sip::parse(&sample).unwrap_or_else(|e| panic!("{e:?}"));
            let real = crate::sip::pnp::identify_phone(&sample);
            assert_eq!(
                (&identity.vendor, &identity.model, &identity.firmware, &identity.profile_type),
                (&real.vendor, &real.model, &real.firmware, &real.profile_type),
                "{shape:?}"
            );
            let names = |m: &crate::sip::Message<'_>| -> Vec<String> {
                m.all_headers()
                    .iter()
                    .map(|h| h.name.to_ascii_lowercase())
                    .filter(|n| n != "user-agent")
                    .collect()
            };
            assert_eq!(names(&message), names(&sample), "{shape:?}: the sample's header order");
        }
    }

    #[test]
    fn probe_looks_like_a_phone() {
        let probe = probe();
        let bytes = probe.render();
        let text = String::from_utf8_lossy(&bytes);
        let mac = probe.mac.to_compact_string();
        assert!(text.starts_with(&format!("SUBSCRIBE sip:MAC%3a{mac}@224.0.1.75 SIP/2.0\r\n")), "{text}");
        assert!(text.contains("\r\nUser-Agent: mcready/"));
        assert!(text.contains("\r\nAccept: application/url\r\n"));
        assert!(text.contains("\r\nExpires: 0\r\n"));
        assert!(text.ends_with("\r\nContent-Length: 0\r\n\r\n"));
        let other_port = ProbeSubscribe { port: 5070, ..probe };
        assert!(other_port.request_uri().ends_with("@224.0.1.75:5070"));
    }

    #[test]
    fn header_injection_is_neutralised() {
        let bytes =
            RequestBuilder::new("OPTIONS", "sip:x").header("X-Mcready", "out;v=1\r\nEvil: yes").render();
        let message = parse(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(message.header("Evil"), None);
        assert_eq!(message.header("X-Mcready"), Some("out;v=1 Evil: yes"));
    }

    #[test]
    fn answers_need_a_request_with_its_headers() {
        let response = parse(b"SIP/2.0 200 OK\r\n\r\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok_response(&response, "t", "sip:h", "ua"), Err(BuildError::NotARequest));
        let bare =
            parse(b"SUBSCRIBE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok_response(&bare, "t", "sip:h", "ua"), Err(BuildError::MissingHeader("From")));
        let options = NotifyOptions {
            local: "198.51.100.1:5060".parse().unwrap_or_else(|_| panic!()),
            our_tag: "t",
            cseq: 1,
            user_agent: "ua",
        };
        assert_eq!(notify_for(&bare, "http://x", &options), Err(BuildError::MissingHeader("Contact")));
        assert!(!BuildError::NotARequest.to_string().is_empty());
    }
}
