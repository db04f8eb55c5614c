//! Pure, bounded parsers of what a phone does after PnP, from the first bytes the capture keeps: a TCP
//! segment's header, the head of an HTTP request or response, a TFTP packet, and TLS records (the
//! `ClientHello`'s server name, the `ServerHello`'s version, alerts). None panics and none reads past
//! [`HEAD_LIMIT`], whatever the bytes; the stateful part (which flow, which phone, which stage) is
//! `observe::stages`.

/// IP protocol number of TCP.
pub const PROTOCOL_TCP: u8 = 6;
/// The most bytes of a stream's start any parser here looks at: a request line and a few headers, a
/// `ClientHello`. The capture keeps no more of a flow than this (see `observe::stages`).
pub const HEAD_LIMIT: usize = 2048;

/// TCP flags the stages use.
pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;

/// One TCP segment as captured: its payload may have been cut short by the capture's snap length;
/// `payload_len` is the length the IP header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    pub source_port: u16,
    pub destination_port: u16,
    pub sequence: u32,
    pub flags: u8,
    /// The bytes captured (possibly fewer than `payload_len`).
    pub payload: &'a [u8],
    pub payload_len: usize,
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at.checked_add(1)?)?]))
}

fn be24(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at.checked_add(3)?)?;
    Some(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
}

/// A TCP segment from an IP payload; `ip_payload_len` is the IP total length minus its header (the
/// capture may hold fewer bytes).
#[must_use]
pub fn parse_tcp(ip_payload: &[u8], ip_payload_len: usize) -> Option<TcpSegment<'_>> {
    let source_port = be16(ip_payload, 0)?;
    let destination_port = be16(ip_payload, 2)?;
    let sequence = u32::from_be_bytes(ip_payload.get(4..8)?.try_into().ok()?);
    let offset = usize::from(*ip_payload.get(12)? >> 4) * 4;
    let flags = *ip_payload.get(13)?;
    if offset < 20 || ip_payload.len() < offset {
        return None;
    }
    let payload_len = ip_payload_len.checked_sub(offset)?;
    let end = ip_payload.len().min(offset + payload_len);
    Some(TcpSegment {
        source_port,
        destination_port,
        sequence,
        flags,
        payload: ip_payload.get(offset..end)?,
        payload_len,
    })
}

/// The first line of an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    /// As sent (the caller redacts it).
    pub target: String,
}

/// The head of an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub reason: String,
    pub content_length: Option<u64>,
}

/// The first line of `head` when it is whole (ends in CRLF or LF) within [`HEAD_LIMIT`].
fn first_line(head: &[u8]) -> Option<&str> {
    let head = head.get(..head.len().min(HEAD_LIMIT))?;
    let end = head.iter().position(|b| *b == b'\n')?;
    let line = std::str::from_utf8(head.get(..end)?).ok()?;
    Some(line.strip_suffix('\r').unwrap_or(line))
}

/// The request line of an HTTP/1.x request: `GET /path HTTP/1.1`.
#[must_use]
pub fn http_request(head: &[u8]) -> Option<HttpRequest> {
    let mut parts = first_line(head)?.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let token = |s: &str| !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_uppercase());
    if parts.next().is_some() || !token(method) || target.is_empty() || !version.starts_with("HTTP/1.") {
        return None;
    }
    Some(HttpRequest { method: method.to_owned(), target: target.to_owned() })
}

/// The status line of an HTTP/1.x response, and its `Content-Length` when the header is within the
/// bytes given.
#[must_use]
pub fn http_response(head: &[u8]) -> Option<HttpResponse> {
    let line = first_line(head)?;
    let rest = line.strip_prefix("HTTP/1.")?;
    let mut parts = rest.splitn(3, ' ');
    let _minor = parts.next()?;
    let status = parts.next()?;
    if status.len() != 3 {
        return None;
    }
    let status: u16 = status.parse().ok()?;
    if !(100..600).contains(&status) {
        return None;
    }
    let reason = parts.next().unwrap_or("").trim().chars().take(64).collect();
    let head = head.get(..head.len().min(HEAD_LIMIT)).unwrap_or_default();
    let content_length =
        String::from_utf8_lossy(head).lines().skip(1).take_while(|l| !l.trim().is_empty()).find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
        });
    Some(HttpResponse { status, reason, content_length })
}

/// A TFTP packet (RFC 1350, with RFC 2347's option acknowledgement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tftp {
    Read {
        file: String,
        mode: String,
    },
    Write {
        file: String,
        mode: String,
    },
    /// `len`: the data bytes, from the UDP length (the capture may hold fewer).
    Data {
        block: u16,
        len: usize,
    },
    Ack {
        block: u16,
    },
    Error {
        code: u16,
        message: String,
    },
    OptionAck,
}

/// The zero-terminated string at the start of `bytes`, at most 255 bytes, and what follows it.
fn c_string(bytes: &[u8]) -> Option<(String, &[u8])> {
    let end = bytes.iter().take(256).position(|b| *b == 0)?;
    let text = String::from_utf8_lossy(bytes.get(..end)?).chars().filter(|c| !c.is_control()).collect();
    Some((text, bytes.get(end + 1..)?))
}

/// A TFTP packet from a UDP payload; `udp_payload_len` is the length the UDP header says (a DATA
/// packet's size even when the capture kept only its start).
#[must_use]
pub fn parse_tftp(payload: &[u8], udp_payload_len: usize) -> Option<Tftp> {
    let opcode = be16(payload, 0)?;
    let rest = payload.get(2..)?;
    Some(match opcode {
        1 | 2 => {
            let (file, rest) = c_string(rest)?;
            let (mode, _) = c_string(rest)?;
            if file.is_empty() || !["netascii", "octet", "mail"].contains(&mode.to_ascii_lowercase().as_str())
            {
                return None;
            }
            if opcode == 1 { Tftp::Read { file, mode } } else { Tftp::Write { file, mode } }
        }
        3 => Tftp::Data { block: be16(payload, 2)?, len: udp_payload_len.checked_sub(4)? },
        4 => Tftp::Ack { block: be16(payload, 2)? },
        5 => {
            let code = be16(payload, 2)?;
            let message =
                payload.get(4..).and_then(|m| c_string(m).map(|(text, _)| text)).unwrap_or_default();
            Tftp::Error { code, message }
        }
        6 => Tftp::OptionAck,
        _ => return None,
    })
}

/// The meaning of a TFTP error code (RFC 1350, RFC 2347).
#[must_use]
pub fn tftp_error_name(code: u16) -> &'static str {
    match code {
        0 => "not defined",
        1 => "file not found",
        2 => "access violation",
        3 => "disk full",
        4 => "illegal operation",
        5 => "unknown transfer ID",
        6 => "file already exists",
        7 => "no such user",
        8 => "option negotiation refused",
        _ => "unknown error code",
    }
}

/// TLS record content types.
pub const TLS_CHANGE_CIPHER_SPEC: u8 = 20;
pub const TLS_ALERT: u8 = 21;
pub const TLS_HANDSHAKE: u8 = 22;
pub const TLS_APPLICATION_DATA: u8 = 23;

/// A TLS record header (RFC 8446 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsRecord {
    pub content_type: u8,
    pub version: u16,
    pub length: usize,
}

/// The record header at the start of `bytes`, when it looks like TLS (a known type, version 3.x, a
/// length within the 2^14 + 2048 the RFC allows).
#[must_use]
pub fn tls_record(bytes: &[u8]) -> Option<TlsRecord> {
    let content_type = *bytes.first()?;
    let version = be16(bytes, 1)?;
    let length = usize::from(be16(bytes, 3)?);
    ((20..=24).contains(&content_type) && version >> 8 == 3 && length <= (1 << 14) + 2048)
        .then_some(TlsRecord { content_type, version, length })
}

/// Walks the extensions of a hello message from `at` and returns the value of extension `wanted`.
fn extension(hello: &[u8], at: usize, wanted: u16) -> Option<&[u8]> {
    let total = usize::from(be16(hello, at)?);
    let mut at = at + 2;
    let end = at.checked_add(total)?.min(hello.len());
    while at + 4 <= end {
        let kind = be16(hello, at)?;
        let len = usize::from(be16(hello, at + 2)?);
        let value = hello.get(at + 4..at + 4 + len)?;
        if kind == wanted {
            return Some(value);
        }
        at += 4 + len;
    }
    None
}

/// Where a hello's session id ends (after the 4-byte handshake header, version and random).
fn after_session_id(hello: &[u8]) -> Option<usize> {
    let at = 4 + 2 + 32;
    Some(at + 1 + usize::from(*hello.get(at)?))
}

/// The server name (SNI) of a `ClientHello`: `fragment` is the record's body from its start (the
/// handshake header), possibly cut short.
#[must_use]
pub fn client_hello_server_name(fragment: &[u8]) -> Option<String> {
    if *fragment.first()? != 1 {
        return None;
    }
    let at = after_session_id(fragment)?;
    let suites = usize::from(be16(fragment, at)?);
    let at = at + 2 + suites;
    let methods = usize::from(*fragment.get(at)?);
    let names = extension(fragment, at + 1 + methods, 0)?;
    // server_name_list: length, then entries of type (0 = host_name), length, name.
    let mut at = 2;
    while at + 3 <= names.len() {
        let kind = *names.get(at)?;
        let len = usize::from(be16(names, at + 1)?);
        let name = names.get(at + 3..at + 3 + len)?;
        if kind == 0 {
            let name: String = String::from_utf8_lossy(name).chars().take(253).collect();
            return name.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)).then_some(name);
        }
        at += 3 + len;
    }
    None
}

/// Whether `fragment` starts a `ClientHello`.
#[must_use]
pub fn is_client_hello(fragment: &[u8]) -> bool {
    fragment.first() == Some(&1) && be24(fragment, 1).is_some()
}

/// The version a `ServerHello` chose: its `supported_versions` extension (TLS 1.3) or its legacy
/// version field. `None` when `fragment` is not a `ServerHello`.
#[must_use]
pub fn server_hello_version(fragment: &[u8]) -> Option<u16> {
    if *fragment.first()? != 2 {
        return None;
    }
    let legacy = be16(fragment, 4)?;
    let at = after_session_id(fragment)?;
    // cipher suite (2) and compression method (1), then the extensions.
    let chosen = extension(fragment, at + 3, 43).and_then(|value| be16(value, 0));
    Some(chosen.unwrap_or(legacy))
}

/// `TLS 1.2` for 0x0303.
#[must_use]
pub fn tls_version_name(version: u16) -> String {
    match version {
        0x0300 => "SSL 3.0".to_owned(),
        0x0301..=0x0304 => format!("TLS 1.{}", version - 0x0301),
        other => format!("version {other:#06x}"),
    }
}

/// The name of a TLS alert description (RFC 8446 §6).
#[must_use]
pub fn tls_alert_name(description: u8) -> &'static str {
    match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown alert",
    }
}

/// Whether an alert description says the peer's certificate was not accepted.
#[must_use]
pub fn alert_refuses_certificate(description: u8) -> bool {
    matches!(description, 42..=46 | 48)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal `ClientHello` for `name`, built by hand: one extension before `server_name`, as clients send.
    fn client_hello(name: &str) -> Vec<u8> {
        let mut sni = vec![0, 0];
        let entry_len = u16::try_from(name.len() + 3).unwrap();
        let mut ext = entry_len.to_be_bytes().to_vec();
        ext.push(0);
        ext.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
        ext.extend_from_slice(name.as_bytes());
        sni.extend_from_slice(&u16::try_from(ext.len()).unwrap().to_be_bytes());
        sni.extend_from_slice(&ext);
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.push(0);
        body.extend_from_slice(&[0, 4, 0x13, 0x01, 0xc0, 0x2f]);
        body.extend_from_slice(&[1, 0]);
        // A first extension (ec_point_formats) before the server name, as clients send them.
        let mut exts = vec![0, 11, 0, 2, 1, 0];
        exts.extend_from_slice(&sni);
        body.extend_from_slice(&u16::try_from(exts.len()).unwrap().to_be_bytes());
        body.extend_from_slice(&exts);
        let mut hello = vec![1, 0, 0, u8::try_from(body.len()).unwrap()];
        hello.extend_from_slice(&body);
        hello
    }

    #[test]
    fn tcp_header_and_payload_cut_by_the_capture() {
        let mut segment = vec![0x9c, 0x40, 0, 80, 0, 0, 0, 7, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0];
        segment.extend_from_slice(b"GET / HTTP/1.1\r\n");
        let tcp = parse_tcp(&segment, 20 + 1000).unwrap();
        assert_eq!((tcp.source_port, tcp.destination_port, tcp.sequence), (40000, 80, 7));
        assert_eq!((tcp.payload.len(), tcp.payload_len), (16, 1000));
        assert_eq!(tcp.flags & TCP_SYN, 0);
        assert_eq!(parse_tcp(&segment[..12], 20), None);
        let mut bad = segment.clone();
        bad[12] = 0x10;
        assert_eq!(parse_tcp(&bad, 40), None, "a data offset below 5 words");
    }

    #[test]
    fn http_heads() {
        let request =
            http_request(b"GET /provisioning/001565aabbcc.cfg HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(
            (request.method.as_str(), request.target.as_str()),
            ("GET", "/provisioning/001565aabbcc.cfg")
        );
        assert_eq!(http_request(b"GET /a HTTP/1.1"), None, "no line end yet");
        assert_eq!(http_request(b"\x16\x03\x01\x02\x00\n"), None);
        assert_eq!(http_request(b"get / HTTP/1.1\r\n"), None);
        let response =
            http_response(b"HTTP/1.0 404 Not Found\r\nServer: x\r\nContent-Length: 12\r\n\r\nbody").unwrap();
        assert_eq!(
            (response.status, response.reason.as_str(), response.content_length),
            (404, "Not Found", Some(12))
        );
        let bare = http_response(b"HTTP/1.1 200\r\n\r\n").unwrap();
        assert_eq!((bare.status, bare.reason.as_str(), bare.content_length), (200, "", None));
        assert_eq!(http_response(b"HTTP/1.1 2000 OK\r\n"), None);
        assert_eq!(http_response(b"SIP/2.0 200 OK\r\n"), None);
    }

    #[test]
    fn tftp_packets() {
        assert_eq!(
            parse_tftp(b"\x00\x01001565aabbcc.cfg\x00octet\x00", 24),
            Some(Tftp::Read { file: "001565aabbcc.cfg".into(), mode: "octet".into() })
        );
        assert_eq!(parse_tftp(b"\x00\x03\x00\x01# tf", 516), Some(Tftp::Data { block: 1, len: 512 }));
        assert_eq!(
            parse_tftp(b"\x00\x05\x00\x01File not found\x00", 19),
            Some(Tftp::Error { code: 1, message: "File not found".into() })
        );
        assert_eq!(parse_tftp(b"\x00\x04\x00\x02", 4), Some(Tftp::Ack { block: 2 }));
        assert_eq!(parse_tftp(b"\x00\x01name\x00bogus\x00", 13), None);
        assert_eq!(parse_tftp(b"\x00\x03\x00", 3), None);
        assert_eq!(parse_tftp(b"\x00\x09", 2), None);
        assert_eq!(tftp_error_name(1), "file not found");
    }

    #[test]
    fn tls_hellos_and_alerts() {
        let hello = client_hello("pbx.example");
        assert!(is_client_hello(&hello));
        assert_eq!(client_hello_server_name(&hello).as_deref(), Some("pbx.example"));
        // Cut anywhere, it never panics; cut before the name, there is none.
        for cut in 0..hello.len() {
            assert_eq!(client_hello_server_name(&hello[..cut]), None);
        }
        let mut record = vec![22, 3, 1];
        record.extend_from_slice(&u16::try_from(hello.len()).unwrap().to_be_bytes());
        assert_eq!(
            tls_record(&record),
            Some(TlsRecord { content_type: 22, version: 0x0301, length: hello.len() })
        );
        assert_eq!(tls_record(b"GET /"), None);
        assert_eq!(tls_record(&[21, 3, 3, 0xff, 0xff]), None, "longer than a record may be");
        // A TLS 1.3 `ServerHello`: legacy version 1.2, supported_versions 1.3.
        let mut server = vec![2, 0, 0, 0, 3, 3];
        server.extend_from_slice(&[9; 32]);
        server.extend_from_slice(&[0, 0x13, 0x01, 0]);
        server.extend_from_slice(&[0, 6, 0, 43, 0, 2, 3, 4]);
        assert_eq!(server_hello_version(&server), Some(0x0304));
        assert_eq!(server_hello_version(&server[..server.len() - 8]), Some(0x0303));
        assert_eq!(server_hello_version(&hello), None);
        assert_eq!(tls_version_name(0x0304), "TLS 1.3");
        assert_eq!(tls_alert_name(48), "unknown_ca");
        assert!(alert_refuses_certificate(48) && !alert_refuses_certificate(0));
    }
}
