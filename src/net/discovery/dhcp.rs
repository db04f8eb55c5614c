//! DHCP (RFC 2131/2132) as a passive listener needs it: who answered whom, and which provisioning
//! options the answer carried (66 TFTP server name, 43 vendor-specific, 114 URL (Gigaset), 150 TFTP
//! servers, 159, 160 provisioning URL). Reads the UDP payload only, so an IPv4-only capture can feed it as well as a
//! link-layer one. Tolerant: an option that runs past the end ends the options, never the message.

use std::net::Ipv4Addr;

/// The BOOTP header before the magic cookie (RFC 2131 §2).
const FIXED_LEN: usize = 236;
const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
const SNAME: std::ops::Range<usize> = 44..108;
const FILE: std::ops::Range<usize> = 108..236;

pub const OPTION_VENDOR_SPECIFIC: u8 = 43;
pub const OPTION_TFTP_SERVER_NAME: u8 = 66;
pub const OPTION_URL: u8 = 114;
pub const OPTION_TFTP_SERVERS: u8 = 150;
pub const OPTION_159: u8 = 159;
pub const OPTION_PROVISIONING_URL: u8 = 160;

/// The options that tell a phone where to provision, in the order they are reported.
pub const PROVISIONING_OPTIONS: [u8; 6] = [
    OPTION_TFTP_SERVER_NAME,
    OPTION_VENDOR_SPECIFIC,
    OPTION_URL,
    OPTION_TFTP_SERVERS,
    OPTION_159,
    OPTION_PROVISIONING_URL,
];

/// Option 53.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Discover,
    Offer,
    Request,
    Decline,
    Ack,
    Nak,
    Release,
    Inform,
    Other(u8),
}

impl MessageType {
    fn from_code(code: u8) -> Self {
        match code {
            1 => Self::Discover,
            2 => Self::Offer,
            3 => Self::Request,
            4 => Self::Decline,
            5 => Self::Ack,
            6 => Self::Nak,
            7 => Self::Release,
            8 => Self::Inform,
            other => Self::Other(other),
        }
    }

    /// Sent by a server (offer, ack, nak): the messages that carry configuration.
    #[must_use]
    pub fn from_server(self) -> bool {
        matches!(self, Self::Offer | Self::Ack | Self::Nak)
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Discover => "discover",
            Self::Offer => "offer",
            Self::Request => "request",
            Self::Decline => "decline",
            Self::Ack => "ack",
            Self::Nak => "nak",
            Self::Release => "release",
            Self::Inform => "inform",
            Self::Other(_) => "other",
        }
    }
}

/// One option as it came, its value unparsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOption {
    pub code: u8,
    pub value: Vec<u8>,
}

/// A DHCP message: the fields a listener reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpMessage {
    /// 1 request (client), 2 reply (server).
    pub op: u8,
    pub transaction: u32,
    /// `chaddr`, when the hardware is Ethernet (htype 1, hlen 6).
    pub client_mac: Option<[u8; 6]>,
    pub client_ip: Ipv4Addr,
    pub your_ip: Ipv4Addr,
    /// `siaddr`: the next server (TFTP) the reply names.
    pub next_server: Ipv4Addr,
    /// `sname`/`file` when they hold names, not options (RFC 2132 §9.3 overload).
    pub server_name: Option<String>,
    pub boot_file: Option<String>,
    pub message_type: Option<MessageType>,
    /// Option 54.
    pub server_id: Option<Ipv4Addr>,
    /// Option 60: Yealink, Fanvil, Polycom name themselves here.
    pub vendor_class: Option<String>,
    /// Option 55 of a client's message: the options it asks for.
    pub requested: Vec<u8>,
    /// Option 50.
    pub requested_ip: Option<Ipv4Addr>,
    /// Every option in the order it came (the concatenated value of an option split in pieces, RFC 3396).
    pub options: Vec<RawOption>,
}

/// Why a payload is not a DHCP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DhcpError {
    TooShort,
    NoMagicCookie,
}

impl DhcpMessage {
    #[must_use]
    pub fn option(&self, code: u8) -> Option<&[u8]> {
        self.options.iter().find(|o| o.code == code).map(|o| o.value.as_slice())
    }

    /// The provisioning options it carries, in [`PROVISIONING_OPTIONS`] order.
    #[must_use]
    pub fn provisioning(&self) -> Vec<(u8, OptionValue)> {
        PROVISIONING_OPTIONS
            .iter()
            .filter_map(|code| self.option(*code).map(|value| (*code, OptionValue::decode(*code, value))))
            .collect()
    }
}

/// A provisioning option's value, decoded as far as its shape allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    Text(String),
    Addresses(Vec<Ipv4Addr>),
    /// Option 43 that parses as encapsulated sub-options (RFC 2132 §8.4).
    SubOptions(Vec<(u8, OptionValue)>),
    Bytes(Vec<u8>),
}

impl OptionValue {
    #[must_use]
    pub fn decode(code: u8, value: &[u8]) -> Self {
        if code == OPTION_TFTP_SERVERS && !value.is_empty() && value.len().is_multiple_of(4) {
            return Self::Addresses(
                value.chunks_exact(4).map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3])).collect(),
            );
        }
        if code == OPTION_VENDOR_SPECIFIC
            && let Some(subs) = sub_options(value)
        {
            return Self::SubOptions(subs.into_iter().map(|(sub, v)| (sub, Self::decode(0, v))).collect());
        }
        text(value).map_or_else(|| Self::Bytes(value.to_vec()), Self::Text)
    }

    /// The value for a report: text through `redact` (URLs lose passwords and tokens), addresses
    /// listed, sub-options as `1=…`, other bytes in hex.
    #[must_use]
    pub fn show(&self, redact: &dyn Fn(&str) -> String) -> String {
        match self {
            Self::Text(text) => redact(text),
            Self::Addresses(addresses) => {
                addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            }
            Self::SubOptions(subs) => subs
                .iter()
                .map(|(code, value)| format!("{code}={}", value.show(redact)))
                .collect::<Vec<_>>()
                .join(" "),
            Self::Bytes(bytes) => super::hex(bytes),
        }
    }
}

/// Printable ASCII (a trailing NUL, which some servers add, dropped).
fn text(value: &[u8]) -> Option<String> {
    let value = value.strip_suffix(&[0]).unwrap_or(value);
    (!value.is_empty() && value.iter().all(|b| (0x20..0x7f).contains(b)))
        .then(|| String::from_utf8_lossy(value).into_owned())
}

/// Option 43 as code-length-value sub-options, when it is exactly that and every value is text.
fn sub_options(value: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut subs = Vec::new();
    let mut rest = value;
    while let [code, tail @ ..] = rest {
        match *code {
            0 => rest = tail,
            255 => break,
            _ => {
                let (&len, tail) = tail.split_first()?;
                let sub = tail.get(..usize::from(len))?;
                text(sub)?;
                subs.push((*code, sub));
                rest = &tail[usize::from(len)..];
            }
        }
    }
    (!subs.is_empty()).then_some(subs)
}

/// Reads one DHCP message from a UDP payload.
///
/// # Errors
/// When the payload is shorter than the BOOTP header or lacks the magic cookie (plain BOOTP).
pub fn parse_dhcp(payload: &[u8]) -> Result<DhcpMessage, DhcpError> {
    let fixed = payload.get(..FIXED_LEN).ok_or(DhcpError::TooShort)?;
    if payload.get(FIXED_LEN..FIXED_LEN + 4) != Some(&MAGIC_COOKIE[..]) {
        return Err(DhcpError::NoMagicCookie);
    }
    let address = |at: usize| Ipv4Addr::new(fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]);
    let client_mac = (fixed[1] == 1 && fixed[2] == 6).then(|| {
        let mut mac = [0u8; 6];
        mac.copy_from_slice(&fixed[28..34]);
        mac
    });
    let mut options = Vec::new();
    let overload = read_options(&payload[FIXED_LEN + 4..], &mut options);
    // RFC 2132 §9.3: 1 = `file` holds options, 2 = `sname`, 3 = both (file first).
    if matches!(overload, Some(1 | 3)) {
        read_options(&fixed[FILE], &mut options);
    }
    if matches!(overload, Some(2 | 3)) {
        read_options(&fixed[SNAME], &mut options);
    }
    let server_name = (!matches!(overload, Some(2 | 3))).then(|| c_string(&fixed[SNAME])).flatten();
    let boot_file = (!matches!(overload, Some(1 | 3))).then(|| c_string(&fixed[FILE])).flatten();
    let mut message = DhcpMessage {
        op: fixed[0],
        transaction: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
        client_mac,
        client_ip: address(12),
        your_ip: address(16),
        next_server: address(20),
        server_name,
        boot_file,
        message_type: None,
        server_id: None,
        vendor_class: None,
        requested: Vec::new(),
        requested_ip: None,
        options,
    };
    message.message_type = message.option(53).and_then(|v| v.first()).map(|c| MessageType::from_code(*c));
    message.server_id = message.option(54).and_then(ipv4);
    message.requested_ip = message.option(50).and_then(ipv4);
    message.vendor_class = message.option(60).map(|v| String::from_utf8_lossy(v).into_owned());
    message.requested = message.option(55).map(<[u8]>::to_vec).unwrap_or_default();
    Ok(message)
}

fn ipv4(value: &[u8]) -> Option<Ipv4Addr> {
    let octets: [u8; 4] = value.get(..4)?.try_into().ok()?;
    Some(Ipv4Addr::from(octets))
}

fn c_string(field: &[u8]) -> Option<String> {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    text(&field[..end])
}

/// Appends the options of one area; returns option 52 (overload) when present. An option split into
/// several of the same code is joined (RFC 3396).
fn read_options(mut area: &[u8], options: &mut Vec<RawOption>) -> Option<u8> {
    let mut overload = None;
    while let [code, tail @ ..] = area {
        match *code {
            0 => area = tail,
            255 => break,
            code => {
                let Some((&len, tail)) = tail.split_first() else { break };
                let Some(value) = tail.get(..usize::from(len)) else { break };
                if code == 52 {
                    overload = value.first().copied();
                }
                match options.iter_mut().find(|o| o.code == code) {
                    Some(existing) => existing.value.extend_from_slice(value),
                    None => options.push(RawOption { code, value: value.to_vec() }),
                }
                area = &tail[usize::from(len)..];
            }
        }
    }
    overload
}

/// Builds a DHCP message (for tests and the lab): `op`, `chaddr` and options in order; the BOOTP
/// fields not given are zero. The payload of a UDP datagram between ports 67 and 68.
#[must_use]
pub fn build_dhcp(
    op: u8,
    transaction: u32,
    client_mac: [u8; 6],
    your_ip: Ipv4Addr,
    options: &[(u8, &[u8])],
) -> Vec<u8> {
    let mut message = vec![0u8; FIXED_LEN];
    message[0] = op;
    message[1] = 1;
    message[2] = 6;
    message[4..8].copy_from_slice(&transaction.to_be_bytes());
    message[16..20].copy_from_slice(&your_ip.octets());
    message[28..34].copy_from_slice(&client_mac);
    message.extend_from_slice(&MAGIC_COOKIE);
    for (code, value) in options {
        message.push(*code);
        message.push(u8::try_from(value.len()).unwrap_or(u8::MAX));
        message.extend_from_slice(&value[..value.len().min(255)]);
    }
    message.push(255);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHONE: [u8; 6] = [0x80, 0x5e, 0xc0, 0x12, 0x34, 0x56];

    fn ack_with_66() -> Vec<u8> {
        build_dhcp(
            2,
            0x1234_5678,
            PHONE,
            Ipv4Addr::new(198, 51, 100, 50),
            &[
                (53, &[5]),
                (54, &[198, 51, 100, 1]),
                (1, &[255, 255, 255, 0]),
                (66, b"http://admin:pw@198.51.100.9/prov/"),
                (150, &[198, 51, 100, 9, 198, 51, 100, 10]),
                (43, &[1, 4, b'a', b'b', b'c', b'd', 2, 2, b'x', b'y']),
            ],
        )
    }

    #[test]
    fn an_ack_with_provisioning_options() {
        let message = parse_dhcp(&ack_with_66()).unwrap();
        assert_eq!(message.message_type, Some(MessageType::Ack));
        assert_eq!(message.server_id, Some(Ipv4Addr::new(198, 51, 100, 1)));
        assert_eq!(message.client_mac, Some(PHONE));
        assert_eq!(message.your_ip, Ipv4Addr::new(198, 51, 100, 50));
        let provisioning = message.provisioning();
        let codes: Vec<u8> = provisioning.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, vec![66, 43, 150]);
        let redact = |s: &str| crate::sip::pnp::redact_url(s);
        assert_eq!(provisioning[0].1.show(&redact), "http://admin:***@198.51.100.9/prov/");
        assert_eq!(provisioning[1].1.show(&redact), "1=abcd 2=xy");
        assert_eq!(provisioning[2].1.show(&redact), "198.51.100.9, 198.51.100.10");
    }

    #[test]
    fn a_phones_discover_names_its_vendor_and_wants() {
        let discover = build_dhcp(
            1,
            7,
            PHONE,
            Ipv4Addr::UNSPECIFIED,
            &[(53, &[1]), (60, b"yealink"), (55, &[1, 3, 6, 66, 43, 160])],
        );
        let message = parse_dhcp(&discover).unwrap();
        assert_eq!(message.message_type, Some(MessageType::Discover));
        assert!(!MessageType::Discover.from_server());
        assert_eq!(message.vendor_class.as_deref(), Some("yealink"));
        assert_eq!(message.requested, vec![1, 3, 6, 66, 43, 160]);
        assert!(message.provisioning().is_empty());
    }

    #[test]
    fn overloaded_file_and_split_options() {
        let mut message = build_dhcp(
            2,
            1,
            PHONE,
            Ipv4Addr::UNSPECIFIED,
            &[(53, &[2]), (52, &[1]), (160, b"https://p"), (160, b"rov.example/")],
        );
        // Option 66 in the `file` field, as option 52 says.
        message[FILE.start..FILE.start + 7].copy_from_slice(&[66, 4, b't', b'f', b't', b'p', 255]);
        let parsed = parse_dhcp(&message).unwrap();
        assert_eq!(parsed.option(160), Some(&b"https://prov.example/"[..]));
        assert_eq!(parsed.option(66), Some(&b"tftp"[..]));
        assert_eq!(parsed.boot_file, None);
    }

    #[test]
    fn truncated_and_foreign_payloads_are_errors_or_partial_never_panics() {
        assert_eq!(parse_dhcp(&[0; 100]), Err(DhcpError::TooShort));
        assert_eq!(parse_dhcp(&[0; 240]), Err(DhcpError::NoMagicCookie));
        let mut cut = ack_with_66();
        cut.truncate(250);
        let message = parse_dhcp(&cut).unwrap();
        assert_eq!(message.message_type, Some(MessageType::Ack));
        assert!(message.option(66).is_none());
        for len in 0..cut.len() {
            let _ = parse_dhcp(&cut[..len]);
        }
    }

    #[test]
    fn option_43_that_is_not_sub_options_is_text_or_hex() {
        assert_eq!(
            OptionValue::decode(43, b"http://198.51.100.9/"),
            OptionValue::Text("http://198.51.100.9/".into())
        );
        assert_eq!(OptionValue::decode(43, &[1, 9, 0]), OptionValue::Bytes(vec![1, 9, 0]));
        assert_eq!(OptionValue::decode(150, &[1, 2, 3]), OptionValue::Bytes(vec![1, 2, 3]));
    }
}
