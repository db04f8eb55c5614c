//! Rollout generator for `scripts/bench-rollout.sh`: PHONES phones, started evenly over SECS seconds,
//! each going through every stage a phone takes after a reboot — a PnP SUBSCRIBE to 224.0.1.75:5060
//! (TTL 1), the PBX's 200 OK and NOTIFY (answered 200), an HTTP GET of the URL in it, a REGISTER to the
//! PBX answered by a 401 challenge, the REGISTER again with credentials and its 200 — against the lab
//! PBX (`tests/fixtures/lab/pbx.py --fill-mac --register challenge`).
//!
//! Each phone has its own MAC (Yealink's prefix) and one of the ADDRESSES (ranges such as
//! `198.51.100.20-219`), taken in turn: with fewer addresses than phones an address is used again by a
//! later phone, long after the earlier one finished (a lease given again). Each phone's TCP port is its
//! own, so no two file fetches share an address and port.
//!
//! Run it only inside a lab namespace (the script does): it puts SIP multicast on whatever link the
//! group routes to. Prints `phones=… registered=… failed=… secs=…` on stdout, and each failure on
//! stderr.
//!
//! Usage: `rollout PBX_IP PHONES SECS ADDRESSES`

use std::error::Error;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

const GROUP: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(224, 0, 1, 75), 5060);
/// Phones under way at once: enough that a slow answer never delays the next phone's start.
const WORKERS: usize = 64;
/// How long a phone waits for each answer.
const PATIENCE: Duration = Duration::from_secs(5);

/// The addresses of ranges `198.51.100.20-219,203.0.113.20-219`.
fn addresses(text: &str) -> Result<Vec<Ipv4Addr>, String> {
    let mut all = Vec::new();
    for range in text.split(',') {
        let (first, last) = range.split_once('-').unwrap_or((range, ""));
        let first: Ipv4Addr = first.parse().map_err(|e| format!("{range}: {e}"))?;
        let [a, b, c, d] = first.octets();
        let last: u8 = if last.is_empty() { d } else { last.parse().map_err(|e| format!("{range}: {e}"))? };
        all.extend((d..=last).map(|host| Ipv4Addr::new(a, b, c, host)));
    }
    if all.is_empty() { Err("no address".into()) } else { Ok(all) }
}

/// The value of header `name` in a SIP message.
fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// One phone's boot, from its SUBSCRIBE to its registration.
fn boot(index: usize, ip: Ipv4Addr, pbx: Ipv4Addr) -> Result<(), String> {
    let mac = format!("001565{index:06x}");
    let sip = UdpSocket::bind(SocketAddrV4::new(ip, 5060)).map_err(|e| format!("bind {ip}:5060: {e}"))?;
    sip.set_multicast_ttl_v4(1).map_err(|e| e.to_string())?;
    sip.set_read_timeout(Some(PATIENCE)).map_err(|e| e.to_string())?;
    let call = format!("rollout{index}@{ip}");
    let subscribe = format!(
        "SUBSCRIBE sip:MAC%3a{mac}@224.0.1.75 SIP/2.0\r\nVia: SIP/2.0/UDP {ip}:5060;branch=z9hG4bKroll{index}\r\n\
         From: <sip:MAC%3a{mac}@224.0.1.75>;tag={index}\r\nTo: <sip:MAC%3a{mac}@224.0.1.75>\r\n\
         Call-ID: {call}\r\nCSeq: 1 SUBSCRIBE\r\nContact: <sip:MAC%3a{mac}@{ip}:5060>\r\nMax-Forwards: 70\r\n\
         User-Agent: Yealink SIP-T46S 66.86.0.15\r\nExpires: 0\r\n\
         Event: ua-profile;profile-type=\"device\";vendor=\"Yealink\";model=\"T46S\";version=\"66.86.0.15\"\r\n\
         Accept: application/url\r\nContent-Length: 0\r\n\r\n"
    );
    sip.send_to(subscribe.as_bytes(), GROUP).map_err(|e| format!("SUBSCRIBE: {e}"))?;
    let mut buffer = vec![0u8; 65_536];
    let (mut answered, mut url) = (false, None);
    while !answered || url.is_none() {
        let (n, from) = sip.recv_from(&mut buffer).map_err(|e| format!("waiting for PnP answers: {e}"))?;
        let message = String::from_utf8_lossy(&buffer[..n]).into_owned();
        if message.starts_with("SIP/2.0 200") {
            answered = true;
        } else if message.starts_with("NOTIFY ") {
            let ok = format!(
                "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
                header(&message, "Via").unwrap_or_default(),
                header(&message, "From").unwrap_or_default(),
                header(&message, "To").unwrap_or_default(),
                header(&message, "Call-ID").unwrap_or_default(),
                header(&message, "CSeq").unwrap_or_default(),
            );
            sip.send_to(ok.as_bytes(), from).map_err(|e| format!("200 to the NOTIFY: {e}"))?;
            url = message.split("\r\n\r\n").nth(1).map(|body| body.trim().to_owned());
        }
    }
    let url = url.unwrap_or_default();
    let path =
        url.strip_prefix(&format!("http://{pbx}")).ok_or_else(|| format!("an unexpected URL {url}"))?;
    fetch(index, ip, pbx, path)?;
    let register = |auth: &str| {
        format!(
            "REGISTER sip:{pbx} SIP/2.0\r\nVia: SIP/2.0/UDP {ip}:5060;branch=z9hG4bKreg{index}{}\r\n\
             From: <sip:{index}@{pbx}>;tag=r{index}\r\nTo: <sip:{index}@{pbx}>\r\nCall-ID: reg{call}\r\n\
             CSeq: {} REGISTER\r\nContact: <sip:{index}@{ip}:5060>\r\nMax-Forwards: 70\r\nExpires: 300\r\n{auth}\
             User-Agent: Yealink SIP-T46S 66.86.0.15\r\nContent-Length: 0\r\n\r\n",
            auth.len(),
            if auth.is_empty() { 1 } else { 2 }
        )
    };
    let to = SocketAddrV4::new(pbx, 5060);
    let mut auth = String::new();
    loop {
        sip.send_to(register(&auth).as_bytes(), to).map_err(|e| format!("REGISTER: {e}"))?;
        let (n, _) =
            sip.recv_from(&mut buffer).map_err(|e| format!("waiting for the REGISTER's answer: {e}"))?;
        let message = String::from_utf8_lossy(&buffer[..n]).into_owned();
        if message.starts_with("SIP/2.0 401") && auth.is_empty() {
            auth = format!(
                "Authorization: Digest username=\"{index}\", realm=\"lab\", nonce=\"0123abcd\", uri=\"sip:{pbx}\", \
                 response=\"00000000000000000000000000000000\", algorithm=MD5\r\n"
            );
        } else if message.starts_with("SIP/2.0 200") {
            return Ok(());
        } else {
            return Err(format!("REGISTER answered {}", message.lines().next().unwrap_or_default()));
        }
    }
}

/// The phone's HTTP GET of its file, from its own address and port.
fn fetch(index: usize, ip: Ipv4Addr, pbx: Ipv4Addr, path: &str) -> Result<(), String> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).map_err(|e| e.to_string())?;
    socket.set_reuse_address(true).map_err(|e| e.to_string())?;
    let port = u16::try_from(20_000 + index % 40_000).unwrap_or(20_000);
    socket
        .bind(&SocketAddr::V4(SocketAddrV4::new(ip, port)).into())
        .map_err(|e| format!("bind {ip}:{port}: {e}"))?;
    let server = SocketAddr::V4(SocketAddrV4::new(pbx, 80));
    socket.connect_timeout(&server.into(), PATIENCE).map_err(|e| format!("connect to {server}: {e}"))?;
    let mut stream: std::net::TcpStream = socket.into();
    stream.set_read_timeout(Some(PATIENCE)).map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {pbx}\r\nUser-Agent: Yealink SIP-T46S\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).map_err(|e| format!("GET: {e}"))?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(|e| format!("the file: {e}"))?;
    if answer.starts_with(b"HTTP/1.0 200") || answer.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!(
            "GET {path}: {}",
            String::from_utf8_lossy(answer.split(|b| *b == b'\r').next().unwrap_or_default())
        ))
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: rollout PBX_IP PHONES SECS ADDRESSES (e.g. 198.51.100.10 1000 45 198.51.100.20-219)";
    let [_, pbx, phones, secs, ranges] = args.as_slice() else { return Err(usage.into()) };
    let pbx: Ipv4Addr = pbx.parse()?;
    let phones: usize = phones.parse()?;
    let secs: f64 = secs.parse()?;
    let addresses = addresses(ranges)?;
    let spacing =
        Duration::from_secs_f64(secs).checked_div(u32::try_from(phones.max(1))?).unwrap_or_default();
    let next = AtomicUsize::new(0);
    let registered = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= phones {
                        return;
                    }
                    let due = start + spacing * u32::try_from(index).unwrap_or(u32::MAX);
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    let ip = addresses[index % addresses.len()];
                    match boot(index, ip, pbx) {
                        Ok(()) => {
                            registered.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(error) => eprintln!("phone {index} at {ip}: {error}"),
                    }
                }
            });
        }
    });
    let registered = registered.into_inner();
    println!(
        "phones={phones} registered={registered} failed={} secs={:.2}",
        phones - registered,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
