//! The provisioning URL fetched as a phone would fetch it: the name resolved as this host resolves it,
//! then an HTTP(S) GET (phone-like User-Agent that still names mcready, short timeouts, a redirect limit,
//! a size cap) or a TFTP read request. FTP is judged, not fetched.
//!
//! Only hosts on the PnP LAN or in private ranges are fetched unless the caller allows any host: the
//! fetch, like the probe, reaches the PBX's provisioning server, which may add the probe's MAC to its
//! list of phones (the README's Safety section says so). What was not fetched says why.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs as _, UdpSocket};
use std::time::{Duration, Instant};

use super::ms;
use crate::facts::IpNet;
use crate::observed::{FetchError, FetchErrorKind, FetchReport};
use crate::sip;

/// A phone gives up quickly; so does mcready.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(4);
const MAX_REDIRECTS: u32 = 4;
/// No provisioning file is this big; a server streaming more is not serving one.
const MAX_BYTES: u64 = 4 << 20;
/// Phone-like, so servers that answer by vendor answer it, yet saying what it is.
pub const USER_AGENT: &str = concat!(
    "Yealink SIP-T46U 108.86.0.20 (compatible; mcready/",
    env!("CARGO_PKG_VERSION"),
    " provisioning diagnostic)"
);

/// Which hosts may be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// `--no-fetch` (and `--no-probe`): resolve and judge only.
    None,
    /// Hosts on the PnP LAN or in private ranges (the default).
    Private,
    /// `--fetch-any`.
    Any,
}

/// The trust anchors for HTTPS: the built-in Mozilla roots, or given certificates (tests make their own
/// CA and check pass and fail offline).
#[derive(Debug, Clone, Default)]
pub enum Roots {
    #[default]
    WebPki,
    /// DER certificates.
    Specific(Vec<Vec<u8>>),
}

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub reach: Reach,
    /// The PnP interface's subnets: hosts there are on the phones' LAN.
    pub lan: Vec<IpNet>,
    pub roots: Roots,
}

/// The parts of a URL the judgement needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
    /// Path and query, as given (`/` when empty).
    pub path: String,
}

/// Splits `scheme://[user[:password]@]host[:port][/path]`; `None` when it is not such a URL.
#[must_use]
pub fn parse_url(url: &str) -> Option<UrlParts> {
    let (scheme, rest) = url.trim().split_once("://")?;
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    let port = match port {
        Some(text) => Some(text.parse::<u16>().ok().filter(|p| *p != 0)?),
        None => None,
    };
    if host.is_empty() {
        return None;
    }
    let path = if path.is_empty() { "/".to_owned() } else { path.to_owned() };
    Some(UrlParts { scheme: scheme.to_ascii_lowercase(), host: host.to_owned(), port, path })
}

/// Whether a phone on the LAN reaches `ip` without a public route: RFC 1918, CGNAT 100.64/10, IPv6
/// unique local, or the PnP LAN itself.
#[must_use]
pub fn is_private_or_lan(ip: IpAddr, lan: &[IpNet]) -> bool {
    if lan.iter().any(|net| net.contains(ip)) {
        return true;
    }
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Resolves and (where allowed) fetches `url` (unredacted; the report keeps it redacted).
#[must_use]
pub fn fetch(url: &str, options: &FetchOptions) -> FetchReport {
    let started = Instant::now();
    let mut report = FetchReport {
        url: sip::redact_url(url),
        scheme: String::new(),
        host: String::new(),
        addresses: Vec::new(),
        resolve_error: None,
        not_fetched: None,
        status: None,
        content_type: None,
        bytes: None,
        challenge: None,
        error: None,
        elapsed_ms: 0.0,
    };
    let Some(parts) = parse_url(url) else {
        report.not_fetched = Some("it is not a URL a phone can parse".into());
        return report;
    };
    report.scheme.clone_from(&parts.scheme);
    report.host.clone_from(&parts.host);
    let default_port = match parts.scheme.as_str() {
        "http" => 80,
        "https" => 443,
        "tftp" => 69,
        "ftp" => 21,
        _ => {
            report.not_fetched = Some(format!("phones do not fetch `{}` URLs", parts.scheme));
            return report;
        }
    };
    let port = parts.port.unwrap_or(default_port);
    match (parts.host.as_str(), port).to_socket_addrs() {
        Ok(addresses) => {
            for address in addresses {
                if !report.addresses.contains(&address.ip()) {
                    report.addresses.push(address.ip());
                }
            }
        }
        Err(error) => report.resolve_error = Some(error.to_string()),
    }
    report.not_fetched = why_not_fetched(&parts, &report.addresses, options);
    if report.not_fetched.is_none()
        && let Some(&ip) = report.addresses.first()
    {
        match parts.scheme.as_str() {
            "tftp" => tftp_get(SocketAddr::new(ip, port), &parts.path, &mut report),
            _ => http_get(url, options, &mut report),
        }
    }
    report.elapsed_ms = ms(started.elapsed());
    report
}

fn why_not_fetched(parts: &UrlParts, addresses: &[IpAddr], options: &FetchOptions) -> Option<String> {
    if parts.scheme == "ftp" {
        return Some("FTP is judged, not fetched".into());
    }
    if parts.scheme == "https" && !cfg!(feature = "tls") {
        return Some("this mcready was built without TLS (the `tls` feature)".into());
    }
    let ip = addresses.first()?;
    if ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() {
        return Some("no phone can reach that address".into());
    }
    match options.reach {
        Reach::None => Some("`--no-fetch` (or `--no-probe`)".into()),
        Reach::Private if !is_private_or_lan(*ip, &options.lan) => Some(format!(
            "{ip} is neither on the phones' LAN nor in a private range: add `--fetch-any` to fetch it"
        )),
        Reach::Private | Reach::Any => None,
    }
}

/// Characters a phone's URL may carry unescaped but an HTTP request line may not (a PBX that left
/// `{mac}` in its template): escaped, the rest kept as given.
fn request_safe(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' | '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}' => {
                let mut bytes = [0u8; 4];
                for byte in c.encode_utf8(&mut bytes).bytes() {
                    let _ = write!(out, "%{byte:02X}");
                }
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn agent(options: &FetchOptions) -> ureq::Agent {
    let builder = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(TOTAL_TIMEOUT))
        .max_redirects(MAX_REDIRECTS)
        .http_status_as_error(false)
        .user_agent(USER_AGENT);
    #[cfg_attr(not(feature = "tls"), allow(unused_mut))]
    let mut builder = builder;
    #[cfg(feature = "tls")]
    {
        use ureq::tls::{Certificate, RootCerts, TlsConfig};
        let roots = match &options.roots {
            Roots::WebPki => RootCerts::WebPki,
            Roots::Specific(ders) => RootCerts::Specific(std::sync::Arc::new(
                ders.iter().map(|der| Certificate::from_der(der).to_owned()).collect(),
            )),
        };
        builder = builder.tls_config(TlsConfig::builder().root_certs(roots).build());
    }
    let _ = options;
    builder.build().into()
}

fn http_get(url: &str, options: &FetchOptions, report: &mut FetchReport) {
    let request = request_safe(url);
    match agent(options).get(&request).call() {
        Ok(mut response) => {
            let status = response.status().as_u16();
            report.status = Some(status);
            report.content_type =
                response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
            if status == 401 || status == 407 {
                report.challenge = response
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split_whitespace().next())
                    .map(str::to_owned);
            }
            match response.body_mut().with_config().limit(MAX_BYTES).read_to_vec() {
                Ok(body) => report.bytes = Some(u64::try_from(body.len()).unwrap_or(u64::MAX)),
                Err(error) => report.error = Some(classify(&error)),
            }
        }
        Err(error) => report.error = Some(classify(&error)),
    }
}

fn classify(error: &ureq::Error) -> FetchError {
    let kind = match error {
        ureq::Error::Timeout(_) => FetchErrorKind::Timeout,
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => FetchErrorKind::TooManyRedirects,
        ureq::Error::BodyExceedsLimit(_) => FetchErrorKind::TooLarge,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => FetchErrorKind::Unreachable,
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => FetchErrorKind::Timeout,
            std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::HostUnreachable
            | std::io::ErrorKind::NetworkUnreachable => FetchErrorKind::Unreachable,
            // rustls reports a certificate it cannot verify as InvalidData carrying its own error
            // ("invalid peer certificate: UnknownIssuer"); ureq passes it on as I/O.
            std::io::ErrorKind::InvalidData if io.to_string().contains("certificate") => {
                FetchErrorKind::TlsUnverified
            }
            _ => FetchErrorKind::Protocol,
        },
        ureq::Error::Tls(_) => FetchErrorKind::TlsUnverified,
        #[cfg(feature = "tls")]
        ureq::Error::Rustls(_) => FetchErrorKind::TlsUnverified,
        _ => FetchErrorKind::Protocol,
    };
    FetchError { kind, detail: error.to_string() }
}

/// A TFTP read request (RFC 1350, octet mode): every block acknowledged, the size capped.
fn tftp_get(server: SocketAddr, path: &str, report: &mut FetchReport) {
    let result = (|| -> Result<u64, FetchError> {
        let os = |what: &str, e: std::io::Error| FetchError {
            kind: if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
                FetchErrorKind::Timeout
            } else {
                FetchErrorKind::Unreachable
            },
            detail: format!("{what}: {e}"),
        };
        let local: SocketAddr =
            if server.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
        let socket = UdpSocket::bind(local).map_err(|e| os("bind", e))?;
        socket.set_read_timeout(Some(CONNECT_TIMEOUT)).map_err(|e| os("set a timeout", e))?;
        let file = path.trim_start_matches('/');
        let mut request = vec![0, 1];
        request.extend_from_slice(file.as_bytes());
        request.push(0);
        request.extend_from_slice(b"octet\0");
        socket.send_to(&request, server).map_err(|e| os("send the read request", e))?;
        let mut total = 0u64;
        let mut expected = 1u16;
        let mut buf = [0u8; 516];
        loop {
            let (len, from) = socket.recv_from(&mut buf).map_err(|e| os("wait for data", e))?;
            let packet = buf.get(..len).unwrap_or_default();
            match packet {
                [0, 3, hi, lo, data @ ..] if u16::from_be_bytes([*hi, *lo]) == expected => {
                    total += u64::try_from(data.len()).unwrap_or(u64::MAX);
                    socket.send_to(&[0, 4, *hi, *lo], from).map_err(|e| os("acknowledge", e))?;
                    if data.len() < 512 {
                        return Ok(total);
                    }
                    if total > MAX_BYTES {
                        return Err(FetchError {
                            kind: FetchErrorKind::TooLarge,
                            detail: format!("more than {MAX_BYTES} bytes"),
                        });
                    }
                    expected = expected.wrapping_add(1);
                }
                [0, 5, _, _, message @ ..] => {
                    let text = String::from_utf8_lossy(message).trim_end_matches('\0').to_owned();
                    return Err(FetchError { kind: FetchErrorKind::Refused, detail: text });
                }
                [0, 3, ..] => {}
                _ => {
                    return Err(FetchError {
                        kind: FetchErrorKind::Protocol,
                        detail: "not a TFTP answer".into(),
                    });
                }
            }
        }
    })();
    match result {
        Ok(bytes) => {
            report.status = Some(200);
            report.bytes = Some(bytes);
        }
        Err(error) => report.error = Some(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_as_phones_read_them() {
        let parts = parse_url("HTTP://admin:pw@pbx.example:8080/p/{mac}.cfg?x=1").unwrap();
        assert_eq!(
            (parts.scheme.as_str(), parts.host.as_str(), parts.port),
            ("http", "pbx.example", Some(8080))
        );
        assert_eq!(parts.path, "/p/{mac}.cfg?x=1");
        let v6 = parse_url("tftp://[2001:db8::1]:69").unwrap();
        assert_eq!((v6.host.as_str(), v6.port, v6.path.as_str()), ("2001:db8::1", Some(69), "/"));
        for bad in ["", "pbx/p", "http://", "http://:80/", "http://h:0/", "http://h:99999/", "ht tp://h/"] {
            assert_eq!(parse_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn private_and_lan_hosts_are_fetched_by_default_others_are_not() {
        let lan = vec![IpNet::new("198.51.100.10".parse().unwrap(), 24)];
        for ip in ["10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "198.51.100.77", "fd00::1"] {
            assert!(is_private_or_lan(ip.parse().unwrap(), &lan), "{ip}");
        }
        for ip in ["203.0.113.5", "8.8.8.8", "2001:db8::1"] {
            assert!(!is_private_or_lan(ip.parse().unwrap(), &lan), "{ip}");
        }
        let options = FetchOptions { reach: Reach::Private, lan: lan.clone(), roots: Roots::WebPki };
        let public = fetch("http://203.0.113.5/p.cfg", &options);
        assert!(public.not_fetched.unwrap().contains("--fetch-any"));
        assert_eq!(public.addresses, ["203.0.113.5".parse::<IpAddr>().unwrap()]);
        let none = FetchOptions { reach: Reach::None, lan, roots: Roots::WebPki };
        assert!(fetch("http://198.51.100.10/p.cfg", &none).not_fetched.unwrap().contains("--no-fetch"));
        assert!(fetch("ftp://198.51.100.10/p.cfg", &options).not_fetched.unwrap().contains("FTP"));
        assert!(fetch("http://127.0.0.1/p.cfg", &options).not_fetched.unwrap().contains("no phone"));
    }

    #[test]
    fn a_name_is_resolved_as_this_host_resolves_it() {
        let options = FetchOptions { reach: Reach::None, lan: Vec::new(), roots: Roots::WebPki };
        let report = fetch("http://localhost:8080/p.cfg", &options);
        assert!(report.addresses.iter().any(IpAddr::is_loopback), "{report:?}");
        assert!(report.not_fetched.unwrap().contains("no phone can reach"));
    }

    #[test]
    fn secrets_never_reach_the_report_and_templates_are_escaped() {
        let options = FetchOptions { reach: Reach::None, lan: Vec::new(), roots: Roots::WebPki };
        let report = fetch("http://admin:s3cret@198.51.100.10/p/{mac}.cfg?token=abc", &options);
        assert!(!report.url.contains("s3cret") && !report.url.contains("abc"), "{}", report.url);
        assert_eq!(request_safe("http://h/p/{mac}.cfg"), "http://h/p/%7Bmac%7D.cfg");
    }
}
