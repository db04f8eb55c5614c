//! The grammar inside header values: parameters (`;name=value`, quoted or not), name-addr URIs, Via
//! sent-by, comma-separated elements.
//!
//! Everything here borrows from the value it is given and never allocates. It is tolerant by design: a
//! value it cannot make sense of gives `None`, never an error, because one odd header must not hide the
//! rest of a phone's identity. Folded values (a CRLF and whitespace inside) read the same as unfolded ones,
//! since every piece is trimmed of whitespace, CR and LF.

/// The byte offset of the first `needle` in `text` that is outside a quoted string and outside `<…>`.
///
/// Quotes and angle brackets are what let `;`, `,` and `=` appear inside display names and URIs. Most
/// values have neither, and then a plain (vectorised) search answers.
pub(crate) fn find_unquoted(text: &str, needle: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let first = bytes.iter().position(|&byte| byte == needle || byte == b'"' || byte == b'<')?;
    if bytes.get(first) == Some(&needle) {
        return Some(first);
    }
    let mut quotes = Quotes::default();
    let mut in_angle = false;
    for (index, &byte) in bytes.iter().enumerate().skip(first) {
        if quotes.quoted(byte) {
            continue;
        }
        match byte {
            b'<' => in_angle = true,
            b'>' => in_angle = false,
            _ if !in_angle && byte == needle => return Some(index),
            _ => {}
        }
    }
    None
}

/// Follows quoted-strings (RFC 3261 §25.1: `"…"` with `\\` escapes) one byte at a time, so the
/// searches around here can skip what a display name or quoted parameter holds.
#[derive(Debug, Default)]
struct Quotes {
    inside: bool,
    escaped: bool,
}

impl Quotes {
    /// Feeds one byte; true when it belongs to a quoted-string, its quote marks included.
    fn quoted(&mut self, byte: u8) -> bool {
        if self.inside {
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.inside = false;
            }
            true
        } else {
            self.inside = byte == b'"';
            self.inside
        }
    }
}

/// Where `needle` first stands in `text`. SIP's pieces are a few bytes long, and for those a plain scan
/// beats `str::find`'s searcher set-up (measured: a third of the time of parsing a SUBSCRIBE went there).
pub(crate) fn byte_position(text: &str, needle: u8) -> Option<usize> {
    text.bytes().position(|byte| byte == needle)
}

/// Splits `text` at `index`, dropping the separator byte there.
fn split_around(text: &str, index: usize) -> (&str, &str) {
    let head = text.get(..index).unwrap_or(text);
    let tail = text.get(index + 1..).unwrap_or("");
    (head, tail)
}

/// The part of a header value before its parameters, and the parameters (without the first `;`).
///
/// `<sip:a;user=phone@h>;tag=1` gives `<sip:a;user=phone@h>` and `tag=1`.
#[must_use]
pub fn split_params(value: &str) -> (&str, &str) {
    match find_unquoted(value, b';') {
        Some(index) => {
            let (head, tail) = split_around(value, index);
            (head.trim_ascii(), tail)
        }
        None => (value.trim_ascii(), ""),
    }
}

/// One `name` or `name=value` parameter; a quoted value is given without its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    pub name: &'a str,
    /// `None` for a bare flag such as `rport` or `lr`; `Some("")` for `name=`.
    pub value: Option<&'a str>,
}

/// The parameters of a `;`-separated list, in order.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    rest: &'a str,
}

/// Iterates the parameters in `list` (the text after the first `;`, as [`split_params`] gives it).
#[must_use]
pub const fn params(list: &str) -> Params<'_> {
    Params { rest: list }
}

impl<'a> Iterator for Params<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let piece = match find_unquoted(self.rest, b';') {
                Some(index) => {
                    let (head, tail) = split_around(self.rest, index);
                    self.rest = tail;
                    head
                }
                None => std::mem::take(&mut self.rest),
            };
            let piece = piece.trim_ascii();
            if piece.is_empty() {
                continue;
            }
            return Some(match byte_position(piece, b'=') {
                Some(index) => {
                    let (name, value) = split_around(piece, index);
                    Param { name: name.trim_ascii(), value: Some(unquote(value.trim_ascii())) }
                }
                None => Param { name: piece, value: None },
            });
        }
    }
}

/// The parameter `name` (case-insensitive) in `list`: `None` when absent, `Some(None)` when present
/// without a value.
#[must_use]
pub fn param<'a>(list: &'a str, name: &str) -> Option<Option<&'a str>> {
    params(list).find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| p.value)
}

/// `"text"` without its quotes; anything else unchanged. Backslash escapes are left as written, which is
/// exact for every value PnP cares about (URLs, versions, model names).
#[must_use]
pub fn unquote(text: &str) -> &str {
    text.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')).unwrap_or(text)
}

/// The first element of a comma-separated header value (`Via: a, b` gives `a`).
#[must_use]
pub fn first_element(value: &str) -> &str {
    match find_unquoted(value, b',') {
        Some(index) => split_around(value, index).0.trim_ascii(),
        None => value.trim_ascii(),
    }
}

/// The URI of a `From`/`To`/`Contact` value: inside `<…>` when there are angle brackets, else the
/// addr-spec up to its header parameters.
#[must_use]
pub fn name_addr_uri(value: &str) -> &str {
    let value = first_element(value);
    // Only a `<` outside quotes opens the URI; a display name may hold one in quotes.
    let mut quotes = Quotes::default();
    let open = value.bytes().position(|byte| !quotes.quoted(byte) && byte == b'<');
    if let Some(open) = open {
        let inside = value.get(open + 1..).unwrap_or("");
        return inside
            .get(..byte_position(inside, b'>').unwrap_or(inside.len()))
            .unwrap_or(inside)
            .trim_ascii();
    }
    split_params(value).0
}

/// The `tag` parameter of a `From`/`To` value.
#[must_use]
pub fn tag(value: &str) -> Option<&str> {
    param(split_params(first_element(value)).1, "tag").flatten()
}

/// The user part of a SIP URI (`sip:user@host`), or its host when there is no `@`: phones put the MAC in
/// either place (`sip:MAC%3a00135E874B49` has no host at all).
#[must_use]
pub fn uri_user_or_host(uri: &str) -> &str {
    let uri = uri.trim_ascii();
    let without_scheme =
        ["sip:", "sips:"].iter().find_map(|scheme| strip_prefix_ignore_case(uri, scheme)).unwrap_or(uri);
    let end = without_scheme.find(['@', ';', '?', '>']).unwrap_or(without_scheme.len());
    without_scheme.get(..end).unwrap_or(without_scheme)
}

/// The port a SIP URI's host part names (`sip:user@host:port;params`), `None` when it names none (the
/// scheme's default then applies: 5060 for `sip:`).
#[must_use]
pub fn uri_port(uri: &str) -> Option<u16> {
    let uri = uri.trim_ascii();
    let rest =
        ["sip:", "sips:"].iter().find_map(|scheme| strip_prefix_ignore_case(uri, scheme)).unwrap_or(uri);
    let host_part = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let end = host_part.find([';', '?', '>']).unwrap_or(host_part.len());
    split_host_port(host_part.get(..end)?)?.1
}

/// `text` without `prefix`, compared ASCII case-insensitively.
#[must_use]
pub fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| text.get(prefix.len()..)).flatten()
}

/// The parts of one `Via` value that matter for answering: transport, sent-by and the parameter list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// `SIP/2.0/UDP`.
    pub protocol: &'a str,
    /// The sent-by host, without brackets for IPv6.
    pub host: &'a str,
    pub port: Option<u16>,
    /// The parameters, as [`params`] reads them (`branch`, `rport`, `received`, …).
    pub params: &'a str,
}

/// Reads the first element of a `Via` header value.
#[must_use]
pub fn parse_via(value: &str) -> Option<Via<'_>> {
    let (head, params) = split_params(first_element(value));
    let mut words = head.split_ascii_whitespace();
    let protocol = words.next()?;
    // RFC 3261 allows LWS around the colon of host:port; joining is not worth an allocation here, so the
    // sent-by is the rest of the head, with that whitespace tolerated below.
    let sent_by = head.get(head.find(protocol)? + protocol.len()..)?.trim_ascii();
    let (host, port) = split_host_port(sent_by)?;
    Some(Via { protocol, host, port, params })
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`. A port that is not a number makes the whole thing `None`.
#[must_use]
pub fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    let text = text.trim_ascii();
    let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let close = byte_position(bracketed, b']')?;
        let host = bracketed.get(..close)?;
        let after = bracketed.get(close + 1..)?.trim_ascii_start();
        (host, after.strip_prefix(':'))
    } else {
        match text.bytes().rposition(|byte| byte == b':') {
            Some(colon) => {
                (text.get(..colon)?.trim_ascii_end(), text.get(colon + 1..).map(str::trim_ascii_start))
            }
            None => (text, None),
        }
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return None;
    }
    let port = match port {
        Some(digits) => Some(parse_decimal::<u16>(digits)?),
        None => None,
    };
    Some((host, port))
}

/// Digits only (no sign, no whitespace inside); `None` on overflow.
pub(crate) fn parse_decimal<T: std::str::FromStr>(text: &str) -> Option<T> {
    let text = text.trim_ascii();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_ports() {
        assert_eq!(uri_port("sip:0015657322ff@198.51.100.20:5080;transport=udp"), Some(5080));
        assert_eq!(uri_port("sip:198.51.100.20"), None);
        assert_eq!(uri_port("sips:user@[2001:db8::1]:5061"), Some(5061));
        assert_eq!(uri_port("sip:user@host?x=y"), None);
    }

    #[test]
    fn params_keep_quoted_separators() {
        let (main, list) = split_params(
            r#"message/external-body; access-type="URL"; expiration="Mon, 01 Jan 2035"; URL="http://h/a;b""#,
        );
        assert_eq!(main, "message/external-body");
        assert_eq!(param(list, "url"), Some(Some("http://h/a;b")));
        assert_eq!(param(list, "expiration"), Some(Some("Mon, 01 Jan 2035")));
        assert_eq!(param(list, "missing"), None);
    }

    #[test]
    fn flags_and_empty_values_differ() {
        let list = "rport;branch=z9hG4bK1;received=";
        assert_eq!(param(list, "RPORT"), Some(None));
        assert_eq!(param(list, "received"), Some(Some("")));
        assert_eq!(param(list, "branch"), Some(Some("z9hG4bK1")));
    }

    #[test]
    fn name_addr_uri_and_tag() {
        let value = r#""Desk; <1>" <sip:MAC%3a00135E874B49@h;transport=udp>;tag=65"#;
        assert_eq!(name_addr_uri(value), "sip:MAC%3a00135E874B49@h;transport=udp");
        assert_eq!(tag(value), Some("65"));
        assert_eq!(name_addr_uri("sip:201@h;tag=1"), "sip:201@h");
        assert_eq!(tag("sip:201@h"), None);
    }

    #[test]
    fn user_or_host() {
        assert_eq!(uri_user_or_host("sip:MAC001565f4f9e1@224.0.1.75"), "MAC001565f4f9e1");
        assert_eq!(uri_user_or_host("SIP:MAC%3a00135E874B49"), "MAC%3a00135E874B49");
        assert_eq!(uri_user_or_host("sip:224.0.1.75:5060"), "224.0.1.75:5060");
    }

    #[test]
    fn via_forms() {
        let via = parse_via("SIP/2.0/UDP 10.1.3.239:5059;branch=z9hG4bK1;rport").unwrap_or_else(|| {
            panic!("via did not parse");
        });
        assert_eq!((via.protocol, via.host, via.port), ("SIP/2.0/UDP", "10.1.3.239", Some(5059)));
        assert_eq!(param(via.params, "rport"), Some(None));
        let via = parse_via("SIP/2.0/UDP [2001:db8::1]:5060, SIP/2.0/UDP other");
        assert_eq!(via.map(|v| (v.host, v.port)), Some(("2001:db8::1", Some(5060))));
        let via = parse_via("SIP/2.0/UDP host.example");
        assert_eq!(via.map(|v| (v.host, v.port)), Some(("host.example", None)));
        assert_eq!(parse_via("SIP/2.0/UDP h:99999"), None);
        assert_eq!(parse_via(""), None);
    }
}
