//! Boot-storm flooder for `scripts/bench-boot-storm.sh`: PHONES distinct phone-shaped PnP SUBSCRIBEs,
//! each sent twice in a row (the second is a retransmission: same Call-ID and branch), cycled at RATE
//! datagrams per second for SECS seconds, to 224.0.1.75:5060 with TTL 1.
//!
//! Run it only inside a lab namespace (the script does): it puts SIP multicast on whatever link the
//! group routes to. Prints the number of datagrams sent on stdout.
//!
//! Usage: `boot_storm SOURCE_IP PHONES RATE SECS`

use std::error::Error;
use std::fmt::Display;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::str::FromStr;
use std::time::{Duration, Instant};

fn subscribe(source: Ipv4Addr, port: u16, phone: u32) -> Vec<u8> {
    let mac = format!("02{phone:010x}");
    format!(
        "SUBSCRIBE sip:MAC%3a{mac}@224.0.1.75 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {source}:{port};branch=z9hG4bKstorm{phone};rport\r\n\
         From: <sip:MAC%3a{mac}@224.0.1.75>;tag={phone}\r\nTo: <sip:MAC%3a{mac}@224.0.1.75>\r\n\
         Call-ID: storm{phone}@{source}\r\nCSeq: 1 SUBSCRIBE\r\n\
         Contact: <sip:MAC%3a{mac}@{source}:{port}>\r\nMax-Forwards: 70\r\n\
         User-Agent: Yealink SIP-T46S 66.86.0.15\r\nExpires: 0\r\n\
         Event: ua-profile;profile-type=\"device\";vendor=\"Yealink\";model=\"T46S\";version=\"66.86.0.15\"\r\n\
         Accept: application/url\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// The `i`th argument (`default` when absent), parsed; the error names the argument and its text.
fn arg<T: FromStr>(args: &[String], i: usize, name: &str, default: &str) -> Result<T, String>
where
    T::Err: Display,
{
    let text = args.get(i).map_or(default, String::as_str);
    text.parse().map_err(|e| format!("{name} {text:?}: {e} (usage: boot_storm SOURCE_IP PHONES RATE SECS)"))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let source: Ipv4Addr = arg(&args, 1, "SOURCE_IP", "198.51.100.7")?;
    let phones: u32 = arg(&args, 2, "PHONES", "5000")?;
    let rate: u64 = arg(&args, 3, "RATE", "10000")?;
    let secs: u64 = arg(&args, 4, "SECS", "10")?;
    let socket = UdpSocket::bind(SocketAddrV4::new(source, 0))?;
    socket.set_multicast_ttl_v4(1)?;
    let port = socket.local_addr()?.port();
    let to = SocketAddrV4::new(Ipv4Addr::new(224, 0, 1, 75), 5060);
    let total = rate * secs;
    let start = Instant::now();
    let mut sent: u64 = 0;
    let mut errors: u64 = 0;
    // Paced per millisecond: at most rate/1000 datagrams are ahead of schedule at any time.
    while sent < total {
        let due = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX) * rate / 1_000_000;
        while sent < due.min(total) {
            let phone = u32::try_from((sent / 2) % u64::from(phones)).unwrap_or(0);
            if socket.send_to(&subscribe(source, port, phone), to).is_err() {
                errors += 1;
            }
            sent += 1;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    println!("sent={} errors={errors} secs={:.2}", sent - errors, start.elapsed().as_secs_f64());
    Ok(())
}
