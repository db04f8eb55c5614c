//! What a SIP message means for Plug-and-Play provisioning (RFC 6080 and what phones actually send).
//!
//! This module owns the interpretation: whether a message is a phone's `ua-profile` SUBSCRIBE, the
//! phone's identity (MAC, vendor, model, firmware), the provisioning URL of a NOTIFY, what a response
//! answers, and where a reply must be sent. Results are owned (`String`) so that they outlive the datagram
//! and go straight into the report; they derive `Serialize` for the JSON documents.

use std::net::SocketAddr;

use serde::Serialize;

use super::mac::MacAddr;
use super::parse::{Message, StartLine, names, unfold};
use super::value;

/// The event package of PnP (RFC 6080 §5).
pub const UA_PROFILE: &str = "ua-profile";

/// A phone's request for its provisioning URL: a `SUBSCRIBE` with `Event: ua-profile` (any parameters).
#[must_use]
pub fn is_pnp_subscribe(message: &Message<'_>) -> bool {
    message.is_request("SUBSCRIBE") && is_ua_profile_event(message)
}

/// The message carries `Event: ua-profile`, with or without parameters.
#[must_use]
pub fn is_ua_profile_event(message: &Message<'_>) -> bool {
    message
        .header_named(names::EVENT)
        .is_some_and(|event| value::split_params(event).0.eq_ignore_ascii_case(UA_PROFILE))
}

/// Where a phone's MAC was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MacSource {
    RequestUri,
    From,
    To,
    UserAgent,
}

/// The `rport` parameter of the topmost Via (RFC 3581).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "kind", content = "port", rename_all = "snake_case")]
pub enum RportParam {
    #[default]
    Absent,
    /// `;rport`: the sender asks to be answered at the source port it used.
    Requested,
    /// `;rport=5060`: filled in by a server on the way (or wrongly by a phone).
    Value(u16),
    /// `;rport=junk`.
    Invalid,
}

/// Who a phone says it is, from one SUBSCRIBE (or any request; fields it lacks are `None`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PhoneIdentity {
    pub mac: Option<MacAddr>,
    pub mac_source: Option<MacSource>,
    /// From the Event `vendor` parameter, else guessed from the User-Agent.
    pub vendor: Option<String>,
    /// From the Event `model` parameter, else guessed from the User-Agent.
    pub model: Option<String>,
    /// From the Event `version` parameter, else guessed from the User-Agent.
    pub firmware: Option<String>,
    pub user_agent: Option<String>,
    /// The Event `profile-type` parameter: `device`, `user`, `local-network` or `application`.
    pub profile_type: Option<String>,
    /// The Contact URI: where the NOTIFY must go.
    pub contact: Option<String>,
    /// The topmost Via's sent-by host and port.
    pub via_sent_by: Option<(String, Option<u16>)>,
    pub rport: RportParam,
}

/// Reads a phone's identity from a message. Any request works; a non-PnP one simply gives fewer fields.
#[must_use]
pub fn identify_phone(message: &Message<'_>) -> PhoneIdentity {
    // One pass over the Event parameters instead of one search per parameter.
    let mut from_event: [Option<&str>; 4] = [None; 4];
    let event_params = message.header_named(names::EVENT).map_or("", |event| value::split_params(event).1);
    for param in value::params(event_params) {
        let slot = ["vendor", "model", "version", "profile-type"]
            .iter()
            .position(|name| param.name.eq_ignore_ascii_case(name))
            .and_then(|index| from_event.get_mut(index));
        if let Some(slot @ None) = slot {
            *slot = param.value.map(str::trim_ascii).filter(|text| !text.is_empty());
        }
    }
    let [vendor, model, version, profile_type] = from_event.map(|text| text.map(owned_unfolded));
    let user_agent = message.header_named(names::USER_AGENT).map(owned_unfolded);
    let guessed = if vendor.is_none() || model.is_none() || version.is_none() {
        user_agent.as_deref().map(guess_from_user_agent).unwrap_or_default()
    } else {
        Guessed::default()
    };
    let (mac, mac_source) = find_mac(message, user_agent.as_deref()).unzip();
    let via = message.header_named(names::VIA).and_then(value::parse_via);

    PhoneIdentity {
        mac,
        mac_source,
        vendor: vendor.or(guessed.vendor),
        model: model.or(guessed.model),
        firmware: version.or(guessed.firmware),
        profile_type,
        contact: message
            .header_named(names::CONTACT)
            .map(value::name_addr_uri)
            .filter(|uri| !uri.is_empty())
            .map(owned_unfolded),
        via_sent_by: via.map(|via| (via.host.to_owned(), via.port)),
        rport: via.map_or(RportParam::Absent, |via| rport(via.params)),
        user_agent,
    }
}

fn owned_unfolded(text: &str) -> String {
    unfold(text.trim_ascii()).into_owned()
}

fn rport(via_params: &str) -> RportParam {
    match value::param(via_params, "rport") {
        None => RportParam::Absent,
        Some(None | Some("")) => RportParam::Requested,
        Some(Some(port)) => value::parse_decimal(port).map_or(RportParam::Invalid, RportParam::Value),
    }
}

/// The MAC from the Request-URI, From, To, then User-Agent: the first place that holds one wins.
fn find_mac(message: &Message<'_>, user_agent: Option<&str>) -> Option<(MacAddr, MacSource)> {
    let request_uri = match message.start_line() {
        StartLine::Request { uri, .. } => Some(uri),
        StartLine::Response { .. } => None,
    };
    let in_uri = |uri: Option<&str>| mac_in_user_part(value::uri_user_or_host(uri?));
    let in_header = |name| in_uri(message.header_named(name).map(value::name_addr_uri));
    // Lazily, in order: most phones put the MAC in the Request-URI and the rest is never read.
    in_uri(request_uri)
        .map(|mac| (mac, MacSource::RequestUri))
        .or_else(|| in_header(names::FROM).map(|mac| (mac, MacSource::From)))
        .or_else(|| in_header(names::TO).map(|mac| (mac, MacSource::To)))
        .or_else(|| Some((mac_in_user_agent(user_agent?)?, MacSource::UserAgent)))
}

/// `MAC%3a…`, `MAC%3A…`, `MAC:…`, `MAC=…`, `MAC-…` or `MAC…` (prefix in any case), followed by a MAC in any
/// of [`MacAddr`]'s spellings and nothing else. A user part without the `MAC` prefix is an extension
/// number, not a MAC, even when it is twelve digits long.
fn mac_in_user_part(user: &str) -> Option<MacAddr> {
    let rest = value::strip_prefix_ignore_case(user, "MAC")?;
    let rest = ["%3a", ":", "=", "-"]
        .iter()
        .find_map(|separator| value::strip_prefix_ignore_case(rest, separator))
        .unwrap_or(rest);
    rest.parse().ok()
}

/// A MAC inside a User-Agent: a word that is `MAC…` as in a user part, or a MAC written with separators
/// (`00:15:65:f4:f9:e1`, `00-15-…`). A bare twelve-hex-digit word is taken only after `MAC`, because
/// build numbers look just like it.
fn mac_in_user_agent(user_agent: &str) -> Option<MacAddr> {
    user_agent
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ';' | ',' | '/' | '[' | ']'))
        .filter(|word| !word.is_empty())
        .find_map(|word| {
            mac_in_user_part(word).or_else(|| {
                let word = word.trim_matches(|c: char| !c.is_ascii_hexdigit());
                (word.len() == 17 || word.len() == 14).then(|| word.parse().ok()).flatten()
            })
        })
}

/// Vendor, model and firmware guessed from a User-Agent, for phones whose Event lacks them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Guessed {
    vendor: Option<String>,
    model: Option<String>,
    firmware: Option<String>,
}

/// User-Agent prefixes whose vendor name is not the prefix itself.
const VENDOR_ALIASES: &[(&str, &str)] = &[
    ("AUDC", "AudioCodes"),
    ("PolycomVVX", "Polycom"),
    ("PolycomSoundPoint", "Polycom"),
    ("Poly", "Poly"),
    ("snom", "snom"),
    ("Cisco", "Cisco"),
    ("Gigaset", "Gigaset"),
];

/// Two shapes cover the phones seen: `Vendor Model Firmware …` (Yealink, Grandstream, Fanvil) and
/// `Product/Firmware` (AudioCodes, Snom, Polycom). Anything else gives the first word as vendor only.
fn guess_from_user_agent(user_agent: &str) -> Guessed {
    let mut words = user_agent.split_whitespace();
    let Some(first) = words.next() else {
        return Guessed::default();
    };
    let looks_like_version = |word: &&str| word.starts_with(|c: char| c.is_ascii_digit());
    if let Some((product, version)) = first.split_once('/') {
        let vendor = VENDOR_ALIASES
            .iter()
            .find(|(prefix, _)| value::strip_prefix_ignore_case(product, prefix).is_some())
            .map_or(product, |&(_, vendor)| vendor);
        return Guessed {
            vendor: non_empty(vendor),
            model: (product != vendor).then(|| non_empty(product)).flatten(),
            firmware: non_empty(version),
        };
    }
    let second = words.next();
    let model = second.filter(|word| !looks_like_version(word));
    let firmware = if model.is_some() { words.next() } else { second }.filter(looks_like_version);
    Guessed {
        vendor: non_empty(first),
        model: model.and_then(non_empty),
        firmware: firmware.and_then(non_empty),
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Where a NOTIFY's provisioning URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UrlSource {
    /// The body, with `Content-Type: application/url` (what phones accept).
    Body,
    /// The `URL` parameter of `Content-Type: message/external-body` (RFC 4483 content indirection).
    ExternalBody,
    /// A body that looks like a URL under another or no Content-Type.
    UntypedBody,
}

impl UrlSource {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Body => "body",
            Self::ExternalBody => "external-body",
            Self::UntypedBody => "untyped-body",
        }
    }
}

/// What a NOTIFY says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifyInfo {
    pub provisioning_url: Option<String>,
    pub url_source: Option<UrlSource>,
    /// The Subscription-State value before its parameters (`active`, `pending`, `terminated`).
    pub subscription_state: Option<String>,
    /// The Subscription-State `reason` parameter (`timeout`, `noresource`, …).
    pub reason: Option<String>,
    /// The Content-Type without parameters.
    pub content_type: Option<String>,
}

/// The PnP content of a NOTIFY; `None` when the message is not a NOTIFY request.
#[must_use]
pub fn notify_info(message: &Message<'_>) -> Option<NotifyInfo> {
    if !message.is_request("NOTIFY") {
        return None;
    }
    let (content_type, content_params) =
        message.header_named(names::CONTENT_TYPE).map_or(("", ""), value::split_params);
    let body = String::from_utf8_lossy(message.body());
    let body_url = body.trim_ascii();
    let (provisioning_url, url_source) = if content_type.eq_ignore_ascii_case("application/url") {
        (non_empty(body_url), Some(UrlSource::Body))
    } else if content_type.eq_ignore_ascii_case("message/external-body") {
        let url = value::param(content_params, "URL").flatten().map(str::trim_ascii).and_then(non_empty);
        (url, Some(UrlSource::ExternalBody))
    } else if body_url.contains("://") && !body_url.contains(char::is_whitespace) {
        (non_empty(body_url), Some(UrlSource::UntypedBody))
    } else {
        (None, None)
    };
    let (state, state_params) = message.header("Subscription-State").map_or(("", ""), value::split_params);
    Some(NotifyInfo {
        url_source: url_source.filter(|_| provisioning_url.is_some()),
        provisioning_url,
        subscription_state: non_empty(state),
        reason: value::param(state_params, "reason").flatten().and_then(non_empty),
        content_type: non_empty(content_type),
    })
}

/// What a response is and which request it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseInfo {
    pub code: u16,
    pub reason: String,
    pub call_id: Option<String>,
    pub cseq: Option<(u32, String)>,
    /// The topmost Via branch: equal to the request's for the response to match it (RFC 3261 §17.1.3).
    pub branch: Option<String>,
    /// The `To` tag the answering server chose: the other half of the dialog a NOTIFY will use.
    pub to_tag: Option<String>,
    /// `Server`, else `User-Agent`: which software answered.
    pub server_or_user_agent: Option<String>,
}

/// The facts of a response; `None` when the message is a request.
#[must_use]
pub fn response_info(message: &Message<'_>) -> Option<ResponseInfo> {
    let StartLine::Response { code, reason, .. } = message.start_line() else {
        return None;
    };
    Some(ResponseInfo {
        code,
        reason: reason.to_owned(),
        call_id: message.call_id().map(owned_unfolded),
        cseq: message.cseq().map(|(number, method)| (number, method.to_owned())),
        branch: message.via_branch().map(str::to_owned),
        to_tag: message.header_named(names::TO).and_then(value::tag).map(str::to_owned),
        server_or_user_agent: message
            .header("Server")
            .or_else(|| message.header_named(names::USER_AGENT))
            .map(owned_unfolded),
    })
}

/// Where the answer to a request received from `source` must be sent (RFC 3261 §18.2.2 with RFC 3581).
///
/// - `rport` in the topmost Via (with or without a value): the source address and port, since the
///   sender asked to be answered where its datagram came from (through NAT, or from an ephemeral port).
/// - otherwise the source IP (the `received` address, which is the sent-by when they agree) and the
///   sent-by port, 5060 when absent.
/// - no readable Via: the source address.
///
/// `maddr` is ignored: PnP answers are unicast, and following a multicast `maddr` from an untrusted
/// datagram would let it aim mcready's answers anywhere.
#[must_use]
pub fn reply_target(request: &Message<'_>, source: SocketAddr) -> SocketAddr {
    let Some(via) = request.header_named(names::VIA).and_then(value::parse_via) else {
        return source;
    };
    if rport(via.params) != RportParam::Absent {
        return source;
    }
    SocketAddr::new(source.ip(), via.port.unwrap_or(super::SIP_PORT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::parse;

    fn identity(text: &str) -> PhoneIdentity {
        let message = parse(text.as_bytes()).unwrap_or_else(|error| panic!("{error}: {text}"));
        identify_phone(&message)
    }

    fn subscribe(uri: &str, extra: &str) -> String {
        format!(
            "SUBSCRIBE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5060\r\nEvent: ua-profile\r\n{extra}Content-Length: 0\r\n\r\n"
        )
    }

    #[test]
    fn mac_spellings_in_the_request_uri() {
        let expected = "00:15:65:73:22:ff".parse().ok();
        for user in [
            "MAC%3a0015657322ff",
            "MAC%3A0015657322FF",
            "MAC0015657322ff",
            "MAC=0015657322ff",
            "mac:00:15:65:73:22:ff",
            "MAC-0015657322ff",
        ] {
            let phone = identity(&subscribe(&format!("sip:{user}@224.0.1.75"), ""));
            assert_eq!(phone.mac, expected, "{user}");
            assert_eq!(phone.mac_source, Some(MacSource::RequestUri), "{user}");
        }
    }

    #[test]
    fn mac_in_from_to_or_user_agent_or_nowhere() {
        let from = identity(&subscribe("sip:224.0.1.75", "From: <sip:MAC=0015657322ff@h>\r\n"));
        assert_eq!(from.mac_source, Some(MacSource::From));
        let to = identity(&subscribe("sip:224.0.1.75", "From: <sip:201@h>\r\nTo: sip:MAC0015657322ff@h\r\n"));
        assert_eq!(to.mac_source, Some(MacSource::To));
        let ua = identity(&subscribe(
            "sip:224.0.1.75",
            "User-Agent: Yealink SIP-T46S 66.86.0.15 00:15:65:73:22:ff\r\n",
        ));
        assert_eq!(ua.mac_source, Some(MacSource::UserAgent));
        assert_eq!(ua.mac, "0015657322ff".parse().ok());
        let ua = identity(&subscribe("sip:224.0.1.75", "User-Agent: snom/8.7 (MAC=000413aabbcc)\r\n"));
        assert_eq!(ua.mac, "000413aabbcc".parse().ok());
        let none =
            identity(&subscribe("sip:001565f4f9e1@224.0.1.75", "User-Agent: Foo/1.0 build 202301011200\r\n"));
        assert_eq!((none.mac, none.mac_source), (None, None));
    }

    #[test]
    fn event_wins_and_user_agent_fills_in() {
        let phone = identity(&subscribe(
            "sip:224.0.1.75",
            "User-Agent: AUDC-IPPhone/1.2.1_build_6\r\no:ua-profile;model=\"420HD\"\r\n",
        ));
        // The compact Event comes second, so the long one above (no params) is what is read; the fallback
        // still names the vendor and firmware.
        assert_eq!(phone.vendor.as_deref(), Some("AudioCodes"));
        assert_eq!(phone.firmware.as_deref(), Some("1.2.1_build_6"));
        let phone = identity(
            "SUBSCRIBE sip:224.0.1.75 SIP/2.0\r\nEvent:ua-profile;profile-type=device;vendor=\"acme\";version=\"2\"\r\nUser-Agent: Yealink W52P 25.81.0.10\r\n\r\n",
        );
        assert_eq!(phone.vendor.as_deref(), Some("acme"));
        assert_eq!(phone.model.as_deref(), Some("W52P"));
        assert_eq!(phone.firmware.as_deref(), Some("2"));
        assert_eq!(phone.profile_type.as_deref(), Some("device"));
    }

    #[test]
    fn user_agent_guesses() {
        let guess = |ua| guess_from_user_agent(ua);
        assert_eq!(
            guess("Grandstream GRP2612W 1.0.5.67"),
            Guessed {
                vendor: Some("Grandstream".into()),
                model: Some("GRP2612W".into()),
                firmware: Some("1.0.5.67".into())
            }
        );
        assert_eq!(guess("snom720/8.7.3.25").model.as_deref(), Some("snom720"));
        assert_eq!(guess("Acme 1.0").firmware.as_deref(), Some("1.0"));
        assert_eq!(guess(""), Guessed::default());
    }

    #[test]
    fn rport_forms_and_reply_target() {
        let source: SocketAddr = "198.51.100.9:40000".parse().unwrap_or_else(|_| panic!());
        let with = |via: &str| format!("SUBSCRIBE sip:x SIP/2.0\r\nv: {via}\r\nEvent: ua-profile\r\n\r\n");
        let requested = with("SIP/2.0/UDP 198.51.100.7:5059;rport;branch=z9hG4bK1");
        let message = parse(requested.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(identify_phone(&message).rport, RportParam::Requested);
        assert_eq!(reply_target(&message, source), source);
        let plain = with("SIP/2.0/UDP 198.51.100.7:5059;branch=z9hG4bK1");
        let message = parse(plain.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reply_target(&message, source), "198.51.100.9:5059".parse().unwrap_or(source));
        let valued = with("SIP/2.0/UDP host;rport=5062");
        let message = parse(valued.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let phone = identify_phone(&message);
        assert_eq!(phone.rport, RportParam::Value(5062));
        assert_eq!(phone.via_sent_by, Some(("host".into(), None)));
        let junk = with("SIP/2.0/UDP host;rport=x");
        let message = parse(junk.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(identify_phone(&message).rport, RportParam::Invalid);
        let no_via = parse(b"OPTIONS sip:x SIP/2.0\r\n\r\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reply_target(&no_via, source), source);
    }

    #[test]
    fn pnp_subscribe_needs_the_event() {
        let yes = parse(b"SUBSCRIBE sip:x SIP/2.0\r\nEvent: UA-Profile ; vendor=x\r\n\r\n");
        assert!(yes.is_ok_and(|m| is_pnp_subscribe(&m)));
        let other = parse(b"SUBSCRIBE sip:x SIP/2.0\r\nEvent: presence\r\n\r\n");
        assert!(other.is_ok_and(|m| !is_pnp_subscribe(&m)));
        let notify = parse(b"NOTIFY sip:x SIP/2.0\r\nEvent: ua-profile\r\n\r\n");
        assert!(notify.is_ok_and(|m| !is_pnp_subscribe(&m)));
    }

    #[test]
    fn notify_without_type_or_url() {
        let untyped = parse(b"NOTIFY sip:x SIP/2.0\r\n\r\nhttp://198.51.100.1/p\r\n");
        let info = untyped.ok().as_ref().and_then(notify_info);
        assert_eq!(info.as_ref().and_then(|i| i.url_source), Some(UrlSource::UntypedBody));
        assert_eq!(info.and_then(|i| i.provisioning_url).as_deref(), Some("http://198.51.100.1/p"));
        let empty = parse(b"NOTIFY sip:x SIP/2.0\r\nc: application/url\r\nl: 0\r\n\r\n");
        let info = empty.ok().as_ref().and_then(notify_info);
        assert_eq!(info.map(|i| (i.provisioning_url, i.url_source)), Some((None, None)));
        let response = parse(b"SIP/2.0 200 OK\r\n\r\n");
        assert_eq!(response.ok().as_ref().and_then(notify_info), None);
    }
}

/// A provisioning URL fit to show in a report or a ticket: the password of `user:password@` and the
/// values of query parameters that carry secrets (`token`, `key`, `password`, `secret`, `auth`, `sig`,
/// `session` in their names) are replaced by `***`.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let (before_query, query) = url.split_once('?').map_or((url, None), |(a, q)| (a, Some(q)));
    let mut out = String::with_capacity(url.len());
    match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            out.push_str(scheme);
            out.push_str("://");
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
                    out.push_str(user);
                    if userinfo.contains(':') {
                        out.push_str(":***");
                    }
                    out.push('@');
                    out.push_str(host);
                }
                None => out.push_str(authority),
            }
            out.push_str(path);
        }
        None => out.push_str(before_query),
    }
    if let Some(query) = query {
        out.push('?');
        let secret = ["token", "key", "pass", "secret", "auth", "sig", "session"];
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if secret.iter().any(|s| name.to_ascii_lowercase().contains(s)) => {
                    format!("{name}=***")
                }
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

#[cfg(test)]
mod redact_tests {
    use super::redact_url;

    #[test]
    fn passwords_and_tokens_never_reach_a_report() {
        assert_eq!(
            redact_url("http://admin:s3cret@pbx.example:8080/p/{mac}.cfg?token=abc&model=T46"),
            "http://admin:***@pbx.example:8080/p/{mac}.cfg?token=***&model=T46"
        );
        assert_eq!(redact_url("tftp://198.51.100.10/{mac}"), "tftp://198.51.100.10/{mac}");
        assert_eq!(redact_url("https://u@h/?AccessKey=1&x"), "https://u@h/?AccessKey=***&x");
        assert_eq!(redact_url("not a url"), "not a url");
    }
}
