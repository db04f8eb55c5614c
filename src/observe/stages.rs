//! A phone's provisioning past PnP, followed from the capture: its request for the file (HTTP, HTTPS,
//! TFTP) and the server's answer, flow by flow, turned into [`Stage`]s on the phone. Pure and bounded:
//! no sockets and no clock (the tally hands over each segment with its time); at most
//! [`MAX_FLOWS`] flows, and of each only the stream's first [`HEAD_LIMIT`] bytes and the headers of
//! its TLS records are read.
//!
//! What a stream shows, and how it is judged:
//! - HTTP: the request line (method, path redacted as URLs are) and the status line; the size is the
//!   `Content-Length`, else the bytes the server sent.
//! - HTTPS: the `ClientHello`'s server name, the `ServerHello`'s version, then how the handshake ended.
//!   Up to TLS 1.2 an alert is plaintext and named; TLS 1.3 encrypts alerts, so a phone that sends one
//!   encrypted record and closes abandoned the handshake without saying why (most often a certificate it
//!   does not trust). The phone's second encrypted record (TLS 1.3: its Finished, then its request;
//!   1.2: its first application data) proves it completed.
//! - TFTP: the read request's file name, then DATA (with the bytes carried) or ERROR with its code.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

use crate::net::provision::{
    self, HEAD_LIMIT, TCP_FIN, TCP_RST, TCP_SYN, TLS_ALERT, TLS_APPLICATION_DATA, TLS_CHANGE_CIPHER_SPEC,
    TLS_HANDSHAKE, Tftp, TlsRecord,
};
use crate::observed::{ListenEvent, Phone, Stage, StageKind, StageResult};
use crate::sip::redact_url;

/// Flows followed at most (TCP and TFTP each): a scan of the file server must not exhaust memory.
pub const MAX_FLOWS: usize = 4096;
/// Stages kept per phone: a phone retrying forever must not grow its report without bound.
const MAX_STAGES: usize = 48;

/// One TCP segment as the tally hands it over (the capture's bytes, bounded by its snap length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSeen {
    pub sequence: u32,
    pub flags: u8,
    pub payload: Vec<u8>,
    /// The payload's length on the wire (the capture may have kept less).
    pub payload_len: usize,
}

/// A key for a phone in events: its MAC, else its address.
#[must_use]
pub fn phone_key(phone: &Phone) -> String {
    phone.mac.clone().unwrap_or_else(|| phone.source.to_string())
}

/// Adds `stage` to `phone` and reports it; returns where it was put (to fill its size later).
pub fn push_stage(phone: &mut Phone, stage: Stage, emit: &mut dyn FnMut(ListenEvent)) -> Option<usize> {
    if phone.stages.len() >= MAX_STAGES {
        return None;
    }
    emit(ListenEvent::Stage { phone: phone_key(phone), stage: stage.clone() });
    phone.stages.push(stage);
    Some(phone.stages.len() - 1)
}

/// One direction of a TCP stream, read in order from its first byte.
#[derive(Debug, Default)]
struct Stream {
    next: Option<u32>,
    /// Bytes of the stream read in order so far.
    offset: u64,
    /// Its first bytes, up to [`HEAD_LIMIT`], while they arrive whole and in order.
    head: Vec<u8>,
    /// Where the next TLS record header starts; `None` once a gap or the capture's cut loses it.
    record_at: Option<u64>,
}

impl Stream {
    /// Takes a segment; returns the stream offset its payload starts at when it is the next in order
    /// (a retransmission or a segment after a gap returns `None`, and a gap loses the record walk).
    fn take(&mut self, segment: &TcpSeen) -> Option<u64> {
        let len = u32::try_from(segment.payload_len).unwrap_or(u32::MAX);
        if segment.flags & TCP_SYN != 0 {
            self.next = Some(segment.sequence.wrapping_add(1));
            self.record_at = Some(0);
            return None;
        }
        let next = *self.next.get_or_insert(segment.sequence);
        if self.offset == 0 && self.record_at.is_none() && self.head.is_empty() {
            // Joined after the SYN: the walk starts here.
            self.record_at = Some(0);
        }
        if len == 0 {
            return None;
        }
        let ahead = segment.sequence.wrapping_sub(next);
        if ahead != 0 {
            // Behind: a retransmission. Ahead: bytes were missed and records can no longer be found.
            if ahead < 1 << 31 {
                self.record_at = None;
                self.next = Some(segment.sequence.wrapping_add(len));
                self.offset += u64::from(ahead) + u64::from(len);
            }
            return None;
        }
        let at = self.offset;
        if self.head.len() as u64 == at && self.head.len() < HEAD_LIMIT {
            let room = HEAD_LIMIT - self.head.len();
            // A segment the capture cut ends the head: the offset runs past what it holds.
            self.head.extend_from_slice(&segment.payload[..segment.payload.len().min(room)]);
        }
        self.next = Some(segment.sequence.wrapping_add(len));
        self.offset += u64::from(len);
        Some(at)
    }

    /// The TLS records whose headers lie in the segment just taken at `at`: each header and the start
    /// of its body the capture kept.
    fn records<'a>(&mut self, at: u64, segment: &'a TcpSeen) -> Vec<(TlsRecord, &'a [u8])> {
        let mut found = Vec::new();
        let end = at + segment.payload_len as u64;
        while let Some(record_at) = self.record_at.filter(|r| *r < end) {
            let Some(relative) = record_at.checked_sub(at).and_then(|r| usize::try_from(r).ok()) else {
                self.record_at = None;
                break;
            };
            // A header cut by the capture or split across segments loses the walk.
            let Some(record) = segment.payload.get(relative..).and_then(provision::tls_record) else {
                self.record_at = None;
                break;
            };
            let body = segment.payload.get(relative + 5..).unwrap_or_default();
            found.push((record, body.get(..record.length.min(body.len())).unwrap_or_default()));
            self.record_at = Some(record_at + 5 + record.length as u64);
            if found.len() > 64 {
                break;
            }
        }
        found
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Http,
    Tls,
}

/// A TCP flow between a phone and a file server.
#[derive(Debug)]
struct TcpFlow {
    phone: usize,
    server: SocketAddrV4,
    up: Stream,
    down: Stream,
    kind: Option<Kind>,
    requested: bool,
    /// Where the answer stage sits on the phone, once recorded.
    answer: Option<usize>,
    content_length: Option<u64>,
    tls_version: Option<u16>,
    /// The phone changed cipher (TLS ≤ 1.2): its alerts after that are encrypted.
    client_cipher: bool,
    /// Encrypted records the phone sent.
    client_encrypted: u32,
    closed: bool,
}

/// A TFTP read request and its answer.
#[derive(Debug)]
struct TftpFlow {
    phone: usize,
    server: SocketAddrV4,
    answer: Option<usize>,
    last_block: u16,
    bytes: u64,
}

/// Every file flow of every phone heard.
#[derive(Debug, Default)]
pub struct Files {
    tcp: HashMap<(SocketAddrV4, SocketAddrV4), TcpFlow>,
    tftp: HashMap<SocketAddrV4, TftpFlow>,
}

fn stage(
    kind: StageKind,
    result: StageResult,
    at_ms: u64,
    protocol: &str,
    peer: SocketAddrV4,
    detail: String,
) -> Stage {
    let mut stage = Stage::new(kind, result, Some(at_ms), detail);
    stage.protocol = Some(protocol.to_owned());
    stage.peer = Some(SocketAddr::V4(peer));
    stage
}

/// What a file flow's packet is.
#[derive(Debug, Clone, Copy)]
pub enum Traffic<'a> {
    Tcp(&'a TcpSeen),
    Tftp(&'a Tftp),
}

/// The phones heard (found by address), the time of the packet, and where its stages are reported.
pub struct Heard<'a> {
    pub at_ms: u64,
    pub phones: &'a mut [Phone],
    pub by_ip: &'a HashMap<IpAddr, usize>,
    pub emit: &'a mut dyn FnMut(ListenEvent),
}

impl Files {
    /// A packet between `source` and `destination` of a phone's file flow.
    pub fn take(&mut self, ends: (SocketAddrV4, SocketAddrV4), traffic: Traffic<'_>, heard: &mut Heard<'_>) {
        match traffic {
            Traffic::Tcp(segment) => self.tcp(ends, segment, heard),
            Traffic::Tftp(packet) => self.tftp(ends, packet, heard),
        }
    }

    fn tcp(
        &mut self,
        (source, destination): (SocketAddrV4, SocketAddrV4),
        segment: &TcpSeen,
        heard: &mut Heard<'_>,
    ) {
        let (at_ms, phones, by_ip) = (heard.at_ms, &mut *heard.phones, heard.by_ip);
        let emit = &mut *heard.emit;
        let phone_at = |ip: &Ipv4Addr| by_ip.get(&IpAddr::V4(*ip)).copied();
        let (client, server, upward, phone) = match (phone_at(source.ip()), phone_at(destination.ip())) {
            (Some(phone), _) => (source, destination, true, phone),
            (None, Some(phone)) => (destination, source, false, phone),
            (None, None) => return,
        };
        let key = (client, server);
        if !self.tcp.contains_key(&key) {
            // A flow is followed from the phone's SYN or its first bytes, never from the server's side.
            if !upward || self.tcp.len() >= MAX_FLOWS {
                return;
            }
            self.tcp.insert(
                key,
                TcpFlow {
                    phone,
                    server,
                    up: Stream::default(),
                    down: Stream::default(),
                    kind: None,
                    requested: false,
                    answer: None,
                    content_length: None,
                    tls_version: None,
                    client_cipher: false,
                    client_encrypted: 0,
                    closed: false,
                },
            );
        }
        let Some(flow) = self.tcp.get_mut(&key) else { return };
        let Some(phone) = phones.get_mut(flow.phone) else { return };
        let stream = if upward { &mut flow.up } else { &mut flow.down };
        if let Some(at) = stream.take(segment) {
            if upward && flow.kind.is_none() && at == 0 {
                flow.kind = match segment.payload.first() {
                    Some(&TLS_HANDSHAKE) => Some(Kind::Tls),
                    Some(_) => Some(Kind::Http),
                    None => None,
                };
            }
            match flow.kind {
                Some(Kind::Http) => http(flow, upward, at_ms, phone, emit),
                Some(Kind::Tls) => {
                    let stream = if upward { &mut flow.up } else { &mut flow.down };
                    let records = stream.records(at, segment);
                    for (record, body) in records {
                        if flow.answer.is_none() {
                            tls(flow, (upward, record, body), at_ms, phone, emit);
                        }
                    }
                }
                None => {}
            }
        }
        if segment.flags & (TCP_FIN | TCP_RST) != 0 && !flow.closed && flow.answer.is_none() {
            flow.closed = true;
            closed(flow, upward, segment.flags & TCP_RST != 0, at_ms, phone, emit);
        }
    }

    fn tftp(&mut self, ends: (SocketAddrV4, SocketAddrV4), packet: &Tftp, heard: &mut Heard<'_>) {
        let (source, destination) = ends;
        let Heard { at_ms, phones, by_ip, emit } = heard;
        let at_ms = *at_ms;
        match packet {
            Tftp::Read { file, mode } => {
                let Some(&index) = by_ip.get(&IpAddr::V4(*source.ip())) else { return };
                let Some(phone) = phones.get_mut(index) else { return };
                if self.tftp.contains_key(&source) || self.tftp.len() >= MAX_FLOWS {
                    return;
                }
                let mut request = stage(
                    StageKind::FileRequest,
                    StageResult::Ok,
                    at_ms,
                    "tftp",
                    destination,
                    format!("TFTP read request for {} ({mode}) to {destination}", redact_url(file)),
                );
                request.path = Some(redact_url(file));
                push_stage(phone, request, emit);
                self.tftp.insert(
                    source,
                    TftpFlow { phone: index, server: destination, answer: None, last_block: 0, bytes: 0 },
                );
            }
            Tftp::Data { block, len } => {
                let Some(flow) = self.tftp.get_mut(&destination) else { return };
                let Some(phone) = phones.get_mut(flow.phone) else { return };
                if *block == flow.last_block.wrapping_add(1) {
                    flow.last_block = *block;
                    flow.bytes += *len as u64;
                }
                match flow.answer {
                    None => {
                        let mut data = stage(
                            StageKind::FileAnswer,
                            StageResult::Ok,
                            at_ms,
                            "tftp",
                            source,
                            format!("TFTP DATA from {source}: the transfer started"),
                        );
                        data.bytes = Some(flow.bytes);
                        flow.answer = push_stage(phone, data, emit);
                    }
                    Some(at) => {
                        if let Some(answer) = phone.stages.get_mut(at) {
                            answer.bytes = Some(flow.bytes);
                        }
                    }
                }
                flow.server = source;
            }
            Tftp::Error { code, message } => {
                let Some(flow) = self.tftp.get_mut(&destination).filter(|f| f.answer.is_none()) else {
                    return;
                };
                let Some(phone) = phones.get_mut(flow.phone) else { return };
                let mut error = stage(
                    StageKind::FileAnswer,
                    StageResult::Failed,
                    at_ms,
                    "tftp",
                    source,
                    format!(
                        "TFTP ERROR {code} ({}) from {source}: \"{message}\"",
                        provision::tftp_error_name(*code)
                    ),
                );
                error.status = Some(*code);
                flow.answer = push_stage(phone, error, emit);
            }
            Tftp::Write { .. } | Tftp::Ack { .. } | Tftp::OptionAck => {}
        }
    }

    /// At the window's end: requests still waiting for their answer are unfinished, and a size known
    /// only from the bytes sent is filled in.
    pub fn finish(&self, phones: &mut [Phone]) {
        let mut flows: Vec<&TcpFlow> = self.tcp.values().collect();
        flows.sort_by_key(|f| (f.phone, f.server));
        for flow in flows {
            let Some(phone) = phones.get_mut(flow.phone) else { continue };
            let server = flow.server;
            match flow.answer {
                Some(at) if flow.kind == Some(Kind::Http) && flow.content_length.is_none() => {
                    if let Some(answer) = phone.stages.get_mut(at) {
                        answer.bytes = Some(flow.down.offset);
                    }
                }
                None if !flow.requested && flow.kind.is_none() && !flow.closed => {
                    // Only the phone's SYN: the capture saw it reach this host, and no answer left.
                    let (result, detail) = if flow.down.next.is_none() {
                        let port = server.port();
                        let detail = format!(
                            "{server} never answered the phone's connection: nothing listens on port {port}, or a \
                             firewall on this host drops it"
                        );
                        (StageResult::Failed, detail)
                    } else {
                        (
                            StageResult::Unfinished,
                            format!("the phone connected to {server} but had sent no request"),
                        )
                    };
                    let request = format!("TCP connection from the phone to {server}");
                    late(phone, (StageKind::FileRequest, StageResult::Ok), "tcp", server, request);
                    late(phone, (StageKind::FileAnswer, result), "tcp", server, detail);
                }
                None if flow.requested => {
                    let (protocol, detail) = if flow.kind == Some(Kind::Tls) {
                        (
                            "https",
                            format!("the TLS handshake with {server} had not ended when the window did"),
                        )
                    } else {
                        ("http", format!("{server} had not answered when the window ended"))
                    };
                    late(phone, (StageKind::FileAnswer, StageResult::Unfinished), protocol, server, detail);
                }
                _ => {}
            }
        }
        for flow in self.tftp.values().filter(|f| f.answer.is_none()) {
            let Some(phone) = phones.get_mut(flow.phone) else { continue };
            let detail =
                format!("{} had not answered the TFTP read request when the window ended", flow.server);
            late(phone, (StageKind::FileAnswer, StageResult::Unfinished), "tftp", flow.server, detail);
        }
    }
}

/// A stage said when the window ends (no time of its own), while the phone has room for it.
fn late(
    phone: &mut Phone,
    (kind, result): (StageKind, StageResult),
    protocol: &str,
    peer: SocketAddrV4,
    detail: String,
) {
    let mut stage = Stage::new(kind, result, None, detail);
    stage.protocol = Some(protocol.to_owned());
    stage.peer = Some(SocketAddr::V4(peer));
    if phone.stages.len() < MAX_STAGES {
        phone.stages.push(stage);
    }
}

/// The HTTP request line once the phone's head holds it, the status line once the server's does.
fn http(flow: &mut TcpFlow, upward: bool, at_ms: u64, phone: &mut Phone, emit: &mut dyn FnMut(ListenEvent)) {
    if upward && !flow.requested {
        let Some(request) = provision::http_request(&flow.up.head) else { return };
        flow.requested = true;
        let path = redact_url(&request.target);
        let mut line = stage(
            StageKind::FileRequest,
            StageResult::Ok,
            at_ms,
            "http",
            flow.server,
            format!("HTTP {} {path} to {}", request.method, flow.server),
        );
        line.method = Some(request.method);
        line.path = Some(path);
        push_stage(phone, line, emit);
    } else if !upward && flow.requested && flow.answer.is_none() {
        let Some(response) = provision::http_response(&flow.down.head) else { return };
        if response.status < 200 {
            return;
        }
        let result = if response.status < 400 { StageResult::Ok } else { StageResult::Failed };
        let size = response.content_length.map_or_else(String::new, |n| format!(", {n} bytes"));
        let mut answer = stage(
            StageKind::FileAnswer,
            result,
            at_ms,
            "http",
            flow.server,
            format!("HTTP {} {} from {}{size}", response.status, response.reason, flow.server),
        );
        answer.status = Some(response.status);
        answer.bytes = response.content_length;
        flow.content_length = response.content_length;
        flow.answer = push_stage(phone, answer, emit);
    }
}

/// One TLS record of the handshake, before its end is known.
fn tls(
    flow: &mut TcpFlow,
    (upward, record, body): (bool, TlsRecord, &[u8]),
    at_ms: u64,
    phone: &mut Phone,
    emit: &mut dyn FnMut(ListenEvent),
) {
    let server = flow.server;
    match (upward, record.content_type) {
        (true, TLS_HANDSHAKE) if !flow.requested && provision::is_client_hello(body) => {
            flow.requested = true;
            let name = provision::client_hello_server_name(body);
            let named =
                name.as_deref().map_or_else(|| "no server name".to_owned(), |n| format!("server name {n}"));
            let mut hello = stage(
                StageKind::FileRequest,
                StageResult::Ok,
                at_ms,
                "https",
                server,
                format!("TLS ClientHello to {server} ({named})"),
            );
            hello.server_name = name;
            push_stage(phone, hello, emit);
        }
        (false, TLS_HANDSHAKE) if flow.tls_version.is_none() => {
            flow.tls_version = provision::server_hello_version(body);
        }
        (true, TLS_CHANGE_CIPHER_SPEC) => {
            // TLS 1.3 sends it for compatibility only: its records are encrypted from the `ServerHello` on.
            flow.client_cipher = true;
        }
        (true, TLS_APPLICATION_DATA) => {
            flow.client_encrypted += 1;
            let needed = if flow.tls_version.is_some_and(|v| v < 0x0304) { 1 } else { 2 };
            if flow.client_encrypted >= needed {
                let version = flow.tls_version.map(provision::tls_version_name);
                let over = version.as_deref().map_or_else(String::new, |v| format!(" ({v})"));
                let mut done = stage(
                    StageKind::FileAnswer,
                    StageResult::Ok,
                    at_ms,
                    "https",
                    server,
                    format!(
                        "TLS handshake with {server} completed{over}; the request and its answer are encrypted"
                    ),
                );
                done.tls_version = version;
                flow.answer = push_stage(phone, done, emit);
            }
        }
        (_, TLS_ALERT) => {
            let by = if upward { "the phone" } else { "the server" };
            let readable = !(upward && flow.client_cipher && flow.tls_version.is_some_and(|v| v < 0x0304));
            let (alert, why) = match (body, readable) {
                ([level, description], true) => {
                    let name = provision::tls_alert_name(*description);
                    let fatal = if *level == 2 { "fatal" } else { "warning" };
                    let why = if upward && provision::alert_refuses_certificate(*description) {
                        ": it does not trust the server's certificate"
                    } else {
                        ""
                    };
                    (Some(format!("{fatal} {name} ({description})")), why)
                }
                _ => (None, ""),
            };
            let named =
                alert.as_deref().map_or_else(|| "an encrypted alert".to_owned(), |a| format!("alert {a}"));
            let mut failed = stage(
                StageKind::FileAnswer,
                StageResult::Failed,
                at_ms,
                "https",
                server,
                format!("{by} ended the TLS handshake with {server}: {named}{why}"),
            );
            failed.alert = alert;
            failed.tls_version = flow.tls_version.map(provision::tls_version_name);
            flow.answer = push_stage(phone, failed, emit);
        }
        _ => {}
    }
}

/// The connection closed (FIN or RST): a handshake or request that had not ended is judged now.
fn closed(
    flow: &mut TcpFlow,
    upward: bool,
    reset: bool,
    at_ms: u64,
    phone: &mut Phone,
    emit: &mut dyn FnMut(ListenEvent),
) {
    let server = flow.server;
    let by = if upward { "the phone" } else { "the server" };
    let how = if reset { "reset" } else { "closed" };
    let (protocol, detail) = match (flow.kind, flow.requested) {
        (None | Some(Kind::Http), false) if !upward && reset && flow.up.offset == 0 => {
            // Nothing listens: the phone asked and the server's host refused the connection.
            let refused = stage(
                StageKind::FileRequest,
                StageResult::Ok,
                at_ms,
                "tcp",
                server,
                format!("TCP connection to {server}"),
            );
            push_stage(phone, refused, emit);
            ("tcp", format!("{server} refused the connection: nothing listens on port {}", server.port()))
        }
        (Some(Kind::Tls), true) => {
            let version = flow.tls_version.map(provision::tls_version_name);
            let detail = match (upward, flow.tls_version, flow.client_encrypted) {
                (true, Some(0x0304) | None, 1) => format!(
                    "the phone abandoned the TLS handshake with {server} after the server's certificate ({how} \
                     the connection): TLS 1.3 encrypts alerts, so which one is not visible — most often a \
                     certificate the phone does not trust"
                ),
                (true, _, _) => {
                    format!("the phone {how} the connection before the TLS handshake with {server} ended")
                }
                (false, _, _) => format!("{server} {how} the connection before the TLS handshake ended"),
            };
            let mut failed =
                stage(StageKind::FileAnswer, StageResult::Failed, at_ms, "https", server, detail);
            failed.tls_version = version;
            flow.answer = push_stage(phone, failed, emit);
            return;
        }
        (Some(Kind::Http), true) => {
            ("http", format!("{by} {how} the connection to {server} before an HTTP answer"))
        }
        _ => return,
    };
    let failed = stage(StageKind::FileAnswer, StageResult::Failed, at_ms, protocol, server, detail);
    flow.answer = push_stage(phone, failed, emit);
}

/// The scheme, host and port of a provisioning URL (`http://198.51.100.10/p/{mac}.cfg`).
#[must_use]
pub fn url_target(url: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        "tftp" => 69,
        "ftp" => 21,
        _ => 0,
    };
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if !host.contains(']') || host.ends_with(']') => (host, port.parse().ok()?),
        _ => (host_port, default),
    };
    (!host.is_empty()).then(|| (scheme, host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_targets() {
        assert_eq!(
            url_target("http://198.51.100.10/provisioning/{mac}.cfg"),
            Some(("http".into(), "198.51.100.10".into(), 80))
        );
        assert_eq!(
            url_target("https://u:***@pbx.example:8443/x"),
            Some(("https".into(), "pbx.example".into(), 8443))
        );
        assert_eq!(
            url_target("tftp://198.51.100.10/{mac}.cfg"),
            Some(("tftp".into(), "198.51.100.10".into(), 69))
        );
        assert_eq!(url_target("nonsense"), None);
    }
}
