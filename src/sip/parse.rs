//! Reading one SIP message from one UDP datagram.
//!
//! The parser owns framing only: start line, header lines (folded, repeated, compact or not) and where the
//! body starts and ends. It borrows every piece from the datagram and allocates once per message (the
//! header table, sized from the line count before it is filled), never per header. What the headers
//! *mean* for PnP lives in [`super::pnp`]; the grammar inside header values lives in [`super::value`].
//!
//! Tolerance is deliberate, because mcready diagnoses other people's equipment: bare LF line endings,
//! leading CRLF keep-alives, `Name:value` without a space, whitespace before the colon and a wrong
//! Content-Length are all accepted, and [`Message::body_framing`] says when the body was cut at the end of
//! the datagram rather than by Content-Length. What cannot be read is a [`ParseError`], never a panic.

use std::borrow::Cow;
use std::fmt;

use super::value;

/// The largest datagram accepted: the largest UDP payload an IPv4 length field can describe, rounded up to
/// the 16-bit limit so that no real datagram (jumbo or reassembled) is refused for its size alone.
pub const MAX_DATAGRAM_LEN: usize = 65_535;

/// Why a datagram is not a SIP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Nothing but CR and LF (an RFC 5626 keep-alive) or no bytes at all.
    Empty,
    /// Longer than [`MAX_DATAGRAM_LEN`].
    TooLarge { len: usize },
    /// A byte sequence in the start line or headers is not UTF-8; the body may be anything.
    NotUtf8 { offset: usize },
    /// A NUL byte in the start line or headers.
    NulByte { offset: usize },
    /// The datagram ends before the blank line that closes the headers.
    Truncated,
    /// The first line is neither `METHOD uri SIP/2.0` nor `SIP/2.0 code reason`.
    BadStartLine { reason: &'static str },
    /// A header line without a `name:`, or a folded line with no header before it (1-based line number,
    /// the start line being line 1).
    BadHeader { line: usize },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty datagram (no SIP message, at most a CRLF keep-alive)"),
            Self::TooLarge { len } => {
                write!(f, "datagram of {len} bytes is larger than the {MAX_DATAGRAM_LEN}-byte UDP limit")
            }
            Self::NotUtf8 { offset } => {
                write!(f, "SIP headers hold a byte that is not UTF-8 at offset {offset}")
            }
            Self::NulByte { offset } => write!(f, "SIP headers hold a NUL byte at offset {offset}"),
            Self::Truncated => f.write_str(
                "truncated SIP message: the datagram ends before the blank line after the headers",
            ),
            Self::BadStartLine { reason } => write!(f, "not a SIP start line: {reason}"),
            Self::BadHeader { line } => {
                write!(f, "line {line} is not a SIP header (expected `Name: value`)")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// The first line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    Request { method: &'a str, uri: &'a str, version: &'a str },
    Response { version: &'a str, code: u16, reason: &'a str },
}

/// How the body's end was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BodyFraming {
    /// Content-Length was present and equal to the bytes after the headers.
    ContentLength,
    /// The body runs to the end of the datagram, because Content-Length was absent, unreadable
    /// (`declared: None`) or disagreed with the `actual` byte count. RFC 3261 §18.3 would cut or reject;
    /// a diagnostic keeps every byte and says so.
    DatagramEnd { declared: Option<usize>, actual: usize },
}

/// One header line as written (name as sent, value trimmed; a folded value keeps its line breaks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: &'a str,
    pub value: &'a str,
    /// The value continued on following lines (RFC 3261 §7.3.1 line folding).
    pub folded: bool,
}

impl<'a> Header<'a> {
    /// The value with each line break and the whitespace around it replaced by one space, as RFC 3261
    /// says folded values mean. Borrows unless the value was folded.
    #[must_use]
    pub fn unfolded(&self) -> Cow<'a, str> {
        unfold(self.value)
    }
}

/// `value` with every CR/LF run and the whitespace around it turned into one space.
#[must_use]
pub fn unfold(value: &str) -> Cow<'_, str> {
    // Folding always leaves a line feed; a lone CR is left as it is.
    if !value.contains('\n') {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    for (index, line) in value.split('\n').enumerate() {
        let line = line.trim_matches(|c: char| c == '\r' || c == ' ' || c == '\t');
        if line.is_empty() {
            continue;
        }
        if index > 0 && !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    Cow::Owned(out)
}

/// A parsed SIP message, borrowing from its datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    raw: &'a [u8],
    start_line: StartLine<'a>,
    headers: Vec<Header<'a>>,
    body: &'a [u8],
    body_framing: BodyFraming,
}

/// Long and compact header names (RFC 3261 §7.3.3, RFC 3265/6665, RFC 3515, RFC 3841, RFC 4028,
/// RFC 4474). Matching uses both, so `header("Via")` finds `v:` and `header("v")` finds `Via:`.
const COMPACT_FORMS: &[(&str, &str)] = &[
    ("Accept-Contact", "a"),
    ("Referred-By", "b"),
    ("Content-Type", "c"),
    ("Request-Disposition", "d"),
    ("Content-Encoding", "e"),
    ("From", "f"),
    ("Call-ID", "i"),
    ("Reject-Contact", "j"),
    ("Supported", "k"),
    ("Content-Length", "l"),
    ("Contact", "m"),
    ("Identity-Info", "n"),
    ("Event", "o"),
    ("Refer-To", "r"),
    ("Subject", "s"),
    ("To", "t"),
    ("Allow-Events", "u"),
    ("Via", "v"),
    ("Session-Expires", "x"),
    ("Identity", "y"),
];

/// The two spellings a header name may take on the wire.
#[derive(Clone, Copy)]
pub(crate) struct HeaderName<'n> {
    long: &'n str,
    compact: Option<&'static str>,
}

/// Names looked up on every message, resolved at compile time rather than per lookup.
pub(crate) mod names {
    use super::HeaderName;

    const fn name(long: &'static str, compact: Option<&'static str>) -> HeaderName<'static> {
        HeaderName { long, compact }
    }
    pub const CALL_ID: HeaderName<'static> = name("Call-ID", Some("i"));
    pub const CONTACT: HeaderName<'static> = name("Contact", Some("m"));
    pub const CONTENT_LENGTH: HeaderName<'static> = name("Content-Length", Some("l"));
    pub const CONTENT_TYPE: HeaderName<'static> = name("Content-Type", Some("c"));
    pub const CSEQ: HeaderName<'static> = name("CSeq", None);
    pub const EVENT: HeaderName<'static> = name("Event", Some("o"));
    pub const FROM: HeaderName<'static> = name("From", Some("f"));
    pub const TO: HeaderName<'static> = name("To", Some("t"));
    pub const USER_AGENT: HeaderName<'static> = name("User-Agent", None);
    pub const VIA: HeaderName<'static> = name("Via", Some("v"));
}

impl<'n> HeaderName<'n> {
    fn resolve(name: &'n str) -> Self {
        for &(long, compact) in COMPACT_FORMS {
            if name.eq_ignore_ascii_case(long) || name.eq_ignore_ascii_case(compact) {
                return HeaderName { long, compact: Some(compact) };
            }
        }
        HeaderName { long: name, compact: None }
    }

    fn matches(self, written: &str) -> bool {
        written.eq_ignore_ascii_case(self.long)
            || self.compact.is_some_and(|compact| written.eq_ignore_ascii_case(compact))
    }
}

impl<'a> Message<'a> {
    /// The whole datagram this message was read from.
    #[must_use]
    pub const fn raw(&self) -> &'a [u8] {
        self.raw
    }

    #[must_use]
    pub const fn start_line(&self) -> StartLine<'a> {
        self.start_line
    }

    /// Every header in the order received.
    #[must_use]
    pub fn all_headers(&self) -> &[Header<'a>] {
        &self.headers
    }

    /// The value of the first header called `name` (case-insensitive; compact and long forms match each
    /// other).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers(name).next()
    }

    /// Every value of the headers called `name`, in order. A value holding a comma-separated list is given
    /// whole; see [`super::value::first_element`].
    pub fn headers<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers_named(HeaderName::resolve(name))
    }

    /// [`Self::header`] for a name resolved in advance.
    pub(crate) fn header_named(&self, name: HeaderName<'_>) -> Option<&'a str> {
        self.headers_named(name).next()
    }

    fn headers_named<'s>(&'s self, wanted: HeaderName<'s>) -> impl Iterator<Item = &'a str> + 's {
        self.headers.iter().filter(move |header| wanted.matches(header.name)).map(|header| header.value)
    }

    /// The body, as far as [`Self::body_framing`] says it runs.
    #[must_use]
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    #[must_use]
    pub const fn body_framing(&self) -> BodyFraming {
        self.body_framing
    }

    /// `Some(method)` for a request.
    #[must_use]
    pub const fn method(&self) -> Option<&'a str> {
        match self.start_line {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// `Some(code)` for a response.
    #[must_use]
    pub const fn status_code(&self) -> Option<u16> {
        match self.start_line {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// A request with exactly this method (methods are case-sensitive, RFC 3261 §7.1).
    #[must_use]
    pub fn is_request(&self, method: &str) -> bool {
        self.method() == Some(method)
    }

    #[must_use]
    pub const fn is_response(&self) -> bool {
        matches!(self.start_line, StartLine::Response { .. })
    }

    #[must_use]
    pub fn call_id(&self) -> Option<&'a str> {
        self.header_named(names::CALL_ID).map(str::trim_ascii)
    }

    /// The CSeq number and method; `None` when absent or not `number METHOD`.
    #[must_use]
    pub fn cseq(&self) -> Option<(u32, &'a str)> {
        let mut words = self.header_named(names::CSEQ)?.split_ascii_whitespace();
        let number = value::parse_decimal(words.next()?)?;
        let method = words.next()?;
        words.next().is_none().then_some((number, method))
    }

    /// The `branch` parameter of the topmost Via.
    #[must_use]
    pub fn via_branch(&self) -> Option<&'a str> {
        let via = value::parse_via(self.header_named(names::VIA)?)?;
        value::param(via.params, "branch").flatten()
    }
}

/// Headers a PnP message usually has; the table is allocated once with room for them and grows only for
/// unusually long messages.
const USUAL_HEADER_COUNT: usize = 20;

/// Reads one SIP message from one datagram.
///
/// The datagram is read once, line by line, and the first problem met is the error returned (a NUL is
/// looked for once the header block is known).
///
/// # Errors
/// A [`ParseError`] saying what is wrong; any byte sequence gives either a message or an error.
pub fn parse(datagram: &[u8]) -> Result<Message<'_>, ParseError> {
    if datagram.len() > MAX_DATAGRAM_LEN {
        return Err(ParseError::TooLarge { len: datagram.len() });
    }
    // RFC 3261 §7.5: CRLFs before the start line are ignored (they are keep-alives on their own).
    let skipped =
        datagram.iter().position(|&byte| byte != b'\r' && byte != b'\n').ok_or(ParseError::Empty)?;
    let message = datagram.get(skipped..).unwrap_or_default();
    let text = utf8_prefix(message);
    // Running out of UTF-8 before the blank line means a bad byte in the headers; running out of bytes
    // means the datagram was cut.
    let ended_early = || {
        if text.len() < message.len() {
            ParseError::NotUtf8 { offset: skipped + text.len() }
        } else {
            ParseError::Truncated
        }
    };

    let mut lines = Lines { text, next: 0 };
    let first_line = lines.next_line().ok_or_else(ended_early)?;
    let start_line = parse_start_line(first_line)?;
    let headers = parse_headers(&mut lines).map_err(|error| error.unwrap_or_else(ended_early))?;
    let head = text.get(..lines.next).unwrap_or_default();
    if let Some(nul) = memchr::memchr(0, head.as_bytes()) {
        return Err(ParseError::NulByte { offset: skipped + nul });
    }

    let body = message.get(lines.next..).unwrap_or_default();
    let declared = headers
        .iter()
        .find(|header| names::CONTENT_LENGTH.matches(header.name))
        .and_then(|header| value::parse_decimal::<usize>(header.value));
    let body_framing = if declared == Some(body.len()) {
        BodyFraming::ContentLength
    } else {
        BodyFraming::DatagramEnd { declared, actual: body.len() }
    };
    Ok(Message { raw: datagram, start_line, headers, body, body_framing })
}

/// The longest prefix of `bytes` that is UTF-8: the headers must lie inside it, the body need not.
fn utf8_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => bytes
            .get(..error.valid_up_to())
            .and_then(|valid| std::str::from_utf8(valid).ok())
            .unwrap_or_default(),
    }
}

/// Complete lines of `text` (ended by LF, an optional CR before it removed), with the offset of each.
struct Lines<'a> {
    text: &'a str,
    /// Where the next line starts; after the blank line, where the body starts.
    next: usize,
}

impl<'a> Lines<'a> {
    /// The next complete line, or `None` when `text` ends without a line feed.
    fn next_line(&mut self) -> Option<&'a str> {
        self.next_line_at().map(|(line, _)| line)
    }

    /// The next complete line and its offset in `text`.
    fn next_line_at(&mut self) -> Option<(&'a str, usize)> {
        let start = self.next;
        let rest = self.text.get(start..)?;
        // The memchr crate's search (already in the tree through serde_json) costs less per short line
        // than `str::find`'s searcher; measured with callgrind on the Yealink SUBSCRIBE.
        let newline = memchr::memchr(b'\n', rest.as_bytes())?;
        let line = rest.get(..newline)?;
        self.next = start + newline + 1;
        Some((line.strip_suffix('\r').unwrap_or(line), start))
    }
}

fn parse_start_line(line: &str) -> Result<StartLine<'_>, ParseError> {
    let bad = |reason| Err(ParseError::BadStartLine { reason });
    if line.is_empty() {
        return bad("the first line is empty");
    }
    if value::strip_prefix_ignore_case(line, "SIP/").is_some() {
        let (version, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim_ascii_start();
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if code.len() != 3 {
            return bad("a status code must have three digits");
        }
        let Some(code) = value::parse_decimal::<u16>(code).filter(|code| (100..=699).contains(code)) else {
            return bad("the status code is not a number from 100 to 699");
        };
        return Ok(StartLine::Response { version, code, reason: reason.trim_ascii() });
    }
    let mut words = line.split_ascii_whitespace();
    let (Some(method), Some(uri), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return bad("a request line is `METHOD uri SIP/2.0`");
    };
    if !method.bytes().all(is_token_byte) {
        return bad("the method is not a SIP token");
    }
    if value::strip_prefix_ignore_case(version, "SIP/").is_none() {
        return bad("the request line does not end with a SIP version");
    }
    Ok(StartLine::Request { method, uri, version })
}

/// RFC 3261 §25.1 `token` characters.
const fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(byte, b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~')
}

/// Reads header lines up to and including the blank line. `Err(None)` means the text ended first.
fn parse_headers<'a>(lines: &mut Lines<'a>) -> Result<Vec<Header<'a>>, Option<ParseError>> {
    let text = lines.text;
    let mut headers = Vec::with_capacity(USUAL_HEADER_COUNT);
    // The header being read: name, and the value's start and end offsets in `text`, so that folded
    // continuation lines extend one borrowed slice.
    let mut current: Option<(&str, usize, usize, bool)> = None;
    let mut line_number = 1;
    loop {
        let (line, line_start) = lines.next_line_at().ok_or(None)?;
        line_number += 1;
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            let Some((_, _, end, folded)) = current.as_mut() else {
                return Err(Some(ParseError::BadHeader { line: line_number }));
            };
            if !line.trim_ascii().is_empty() {
                *end = line_start + line.trim_ascii_end().len();
                *folded = true;
            }
            continue;
        }
        if let Some(header) = current.take() {
            headers.push(finish_header(text, header));
        }
        let bad = || Some(ParseError::BadHeader { line: line_number });
        let colon = value::byte_position(line, b':').ok_or_else(bad)?;
        let (name, rest) = (line.get(..colon).unwrap_or_default(), line.get(colon + 1..).unwrap_or_default());
        let name = name.trim_end_matches([' ', '\t']);
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(bad());
        }
        let value_start = line_start + line.len() - rest.trim_ascii_start().len();
        let value_end = line_start + line.trim_ascii_end().len();
        current = Some((name, value_start, value_end.max(value_start), false));
    }
    if let Some(header) = current {
        headers.push(finish_header(text, header));
    }
    Ok(headers)
}

fn finish_header<'a>(text: &'a str, (name, start, end, folded): (&'a str, usize, usize, bool)) -> Header<'a> {
    Header { name, value: text.get(start..end).unwrap_or_default(), folded }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEALINK: &[u8] = include_bytes!("../../tests/fixtures/sip/yealink-subscribe.txt");

    fn parsed(bytes: &[u8]) -> Message<'_> {
        parse(bytes).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn request_line_headers_and_empty_body() {
        let message = parsed(YEALINK);
        assert_eq!(
            message.start_line(),
            StartLine::Request {
                method: "SUBSCRIBE",
                uri: "sip:MAC001565f4f9e1@224.0.1.75",
                version: "SIP/2.0"
            }
        );
        assert_eq!(message.all_headers().len(), 12);
        assert_eq!(message.call_id(), Some("1536537630@10.1.3.239"));
        assert_eq!(message.cseq(), Some((1, "SUBSCRIBE")));
        assert_eq!(message.via_branch(), Some("z9hG4bK1536537630"));
        assert_eq!(message.body(), b"");
        assert_eq!(message.body_framing(), BodyFraming::ContentLength);
        assert!(message.is_request("SUBSCRIBE"));
        assert!(!message.is_request("subscribe"));
    }

    #[test]
    fn compact_names_match_both_ways_and_repeats_are_kept() {
        let message = parsed(
            b"OPTIONS sip:x SIP/2.0\r\nv: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVIA:SIP/2.0/UDP b\r\ni:abc\r\nl:0\r\n\r\n",
        );
        assert_eq!(
            message.headers("via").collect::<Vec<_>>(),
            ["SIP/2.0/UDP a;branch=z9hG4bK1", "SIP/2.0/UDP b"]
        );
        assert_eq!(message.headers("v").count(), 2);
        assert_eq!(message.header("Call-id"), Some("abc"));
        assert_eq!(message.header("l"), Some("0"));
        assert_eq!(message.header("Content-Length"), Some("0"));
    }

    #[test]
    fn folded_lines_and_odd_spacing() {
        let message = parsed(b"SIP/2.0 200 OK\nSubject : first\n  second\n\tthird\nX-Empty:\nCall-ID:1\n\n");
        let subject = message.all_headers().first().copied();
        assert_eq!(subject.map(|h| h.folded), Some(true));
        assert_eq!(subject.map(|h| h.unfolded().into_owned()), Some("first second third".into()));
        assert_eq!(message.header("s").map(|v| v.starts_with("first")), Some(true));
        assert_eq!(message.header("x-empty"), Some(""));
        assert_eq!(message.call_id(), Some("1"));
    }

    #[test]
    fn response_line() {
        let message = parsed(b"SIP/2.0 404 Not  Found\r\n\r\n");
        assert_eq!(
            message.start_line(),
            StartLine::Response { version: "SIP/2.0", code: 404, reason: "Not  Found" }
        );
        assert_eq!(parsed(b"SIP/2.0 200\r\n\r\n").status_code(), Some(200));
    }

    #[test]
    fn body_framing_says_which() {
        let ok = parsed(b"NOTIFY sip:x SIP/2.0\r\nl: 3\r\n\r\nabc");
        assert_eq!((ok.body(), ok.body_framing()), (&b"abc"[..], BodyFraming::ContentLength));
        let short = parsed(b"NOTIFY sip:x SIP/2.0\r\nContent-Length: 2\r\n\r\nabc");
        assert_eq!(
            (short.body(), short.body_framing()),
            (&b"abc"[..], BodyFraming::DatagramEnd { declared: Some(2), actual: 3 })
        );
        let long = parsed(b"NOTIFY sip:x SIP/2.0\r\nContent-Length: 99\r\n\r\nabc");
        assert_eq!(long.body_framing(), BodyFraming::DatagramEnd { declared: Some(99), actual: 3 });
        let none = parsed(b"NOTIFY sip:x SIP/2.0\r\n\r\n\xff\x00");
        assert_eq!(none.body(), b"\xff\x00");
        assert_eq!(none.body_framing(), BodyFraming::DatagramEnd { declared: None, actual: 2 });
    }

    #[test]
    fn typed_errors() {
        assert_eq!(parse(b""), Err(ParseError::Empty));
        assert_eq!(parse(b"\r\n\r\n"), Err(ParseError::Empty));
        assert_eq!(parse(&vec![b'a'; 65_536]), Err(ParseError::TooLarge { len: 65_536 }));
        assert_eq!(parse(&vec![b'a'; 60_000]), Err(ParseError::Truncated));
        assert_eq!(parse(YEALINK.get(..100).unwrap_or_default()), Err(ParseError::Truncated));
        assert_eq!(parse(b"SUBSCRIBE sip:\xff SIP/2.0\r\n\r\n"), Err(ParseError::NotUtf8 { offset: 14 }));
        assert_eq!(parse(b"\r\nSIP/2.0 200 OK\r\nA: \0\r\n\r\n"), Err(ParseError::NulByte { offset: 21 }));
        assert!(matches!(parse(b"HELLO\r\n\r\n"), Err(ParseError::BadStartLine { .. })));
        assert!(matches!(parse(b"SIP/2.0 2000 OK\r\n\r\n"), Err(ParseError::BadStartLine { .. })));
        assert!(matches!(parse(b"SIP/2.0 099 OK\r\n\r\n"), Err(ParseError::BadStartLine { .. })));
        assert!(matches!(parse(b"INVITE sip:x HTTP/1.1\r\n\r\n"), Err(ParseError::BadStartLine { .. })));
        assert_eq!(
            parse(b"OPTIONS sip:x SIP/2.0\r\nno colon\r\n\r\n"),
            Err(ParseError::BadHeader { line: 2 })
        );
        assert_eq!(
            parse(b"OPTIONS sip:x SIP/2.0\r\n folded\r\n\r\n"),
            Err(ParseError::BadHeader { line: 2 })
        );
        assert_eq!(
            parse(b"OPTIONS sip:x SIP/2.0\r\nBad Name: x\r\n\r\n"),
            Err(ParseError::BadHeader { line: 2 })
        );
        for error in [ParseError::Empty, ParseError::Truncated, ParseError::BadHeader { line: 3 }] {
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn a_large_datagram_parses() {
        let mut datagram = b"NOTIFY sip:x SIP/2.0\r\n".to_vec();
        while datagram.len() < 60_000 {
            datagram.extend_from_slice(b"X-Filler: 0123456789abcdef\r\n");
        }
        datagram.extend_from_slice(b"\r\n");
        let message = parsed(&datagram);
        assert!(message.headers("x-filler").count() > 2000);
    }
}
