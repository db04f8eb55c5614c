//! Option values, parsed and checked once, for clap's `value_parser`: every value on the command line
//! is untrusted, and a bad one is one clear line naming the option, never a panic deep in a command.

use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::time::Duration;

/// The longest window any option accepts: a day. (A soak past the snooping timeout is minutes.)
pub const MAX_DURATION: Duration = Duration::from_secs(86_400);

/// A DURATION: `90` or `1.5` (seconds), or with a unit: `500ms`, `90s`, `2m`, `1h`, `1d`. More than
/// zero, at most a day.
///
/// # Errors
/// A sentence saying what is wrong and what is accepted.
pub fn duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    let (number, scale) = if let Some(n) = trimmed.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = trimmed.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = trimmed.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = trimmed.strip_suffix('h') {
        (n, 3600.0)
    } else if let Some(n) = trimmed.strip_suffix('d') {
        (n, 86_400.0)
    } else {
        (trimmed, 1.0)
    };
    let usage = "give seconds (`90`, `1.5`) or a number with a unit (`500ms`, `2m`, `1h`, `1d`)";
    // Digits and one dot only: `f64::from_str` would also take `inf`, `NaN` and `1e19`.
    let plain = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && number.bytes().filter(|&b| b == b'.').count() <= 1;
    let value: f64 = if plain {
        number.parse().map_err(|_| format!("`{text}` is not a duration: {usage}"))?
    } else {
        return Err(format!("`{text}` is not a duration: {usage}"));
    };
    if value <= 0.0 {
        return Err(format!("`{text}`: a duration must be more than zero"));
    }
    let seconds = value * scale;
    if seconds > MAX_DURATION.as_secs_f64() {
        return Err(format!("`{text}` is longer than a day, the most any window may last"));
    }
    // In range by the checks above, so `from_secs_f64` cannot panic.
    Ok(Duration::from_secs_f64(seconds))
}

/// The probe's MAC: locally administered and unicast only. A real phone's MAC (globally administered)
/// is refused: a PBX would hand the probe that phone's configuration, credentials included, and
/// mcready must never fetch it.
///
/// # Errors
/// When it is not a MAC, is a group address, or is globally administered.
pub fn probe_mac(text: &str) -> Result<crate::sip::MacAddr, String> {
    let mac: crate::sip::MacAddr = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a MAC address: give e.g. 02:00:00:5e:10:01"))?;
    if mac.is_multicast() {
        return Err(format!(
            "`{text}` is a group (multicast) MAC: give a unicast one, e.g. 02:00:00:5e:10:01"
        ));
    }
    if !mac.is_locally_administered() {
        return Err(format!(
            "`{text}` is a real device's MAC (globally administered): mcready probes only with a locally administered \
             MAC (second hex digit 2, 6, A or E, e.g. 02:00:00:5e:10:01), so that no PBX hands it a real phone's configuration"
        ));
    }
    Ok(mac)
}

/// A UDP port other than 0.
///
/// # Errors
/// When it is not a number from 1 to 65535.
pub fn port(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(0) => Err("port 0 is not a port: give 1 to 65535".into()),
        Ok(port) => Ok(port),
        Err(_) => Err(format!("`{text}` is not a port: give 1 to 65535")),
    }
}

/// How many phones `--until` waits for: 1 to 65,536 (the most a window keeps).
///
/// # Errors
/// When it is not a whole number in that range.
pub fn phone_count(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n @ 1..=65_536) => Ok(n),
        _ => Err(format!("`{text}` is not a number of phones: give a whole number from 1 to 65536")),
    }
}

/// The multicast group: an IPv4 address in 224.0.0.0/4.
///
/// # Errors
/// When it is not IPv4 multicast.
pub fn group(text: &str) -> Result<Ipv4Addr, String> {
    let group: Ipv4Addr = text.trim().parse().map_err(|_| format!("`{text}` is not an IPv4 address"))?;
    if group.is_multicast() {
        Ok(group)
    } else {
        Err(format!("{group} is not a multicast group (224.0.0.0/4)"))
    }
}

/// A host on the phones' LAN (`--phone`, the address of `--peer`): one IPv4 unicast address, since
/// SIP PnP is IPv4 multicast.
///
/// # Errors
/// When it is not IPv4, or is multicast, unspecified, loopback or broadcast — with the reason.
pub fn lan_host(text: &str) -> Result<Ipv4Addr, String> {
    let ip: IpAddr = text.trim().parse().map_err(|_| format!("`{text}` is not an IP address"))?;
    let IpAddr::V4(v4) = ip else {
        return Err(format!("{ip} is IPv6: SIP PnP runs over IPv4 multicast, give the host's IPv4 address"));
    };
    let why = if v4.is_multicast() {
        Some("a multicast group, not a host")
    } else if v4.is_unspecified() {
        Some("the unspecified address, not a host")
    } else if v4.is_loopback() {
        Some("a loopback address: it never leaves this host")
    } else if v4.is_broadcast() {
        Some("the broadcast address, not a host")
    } else {
        None
    };
    match why {
        Some(why) => Err(format!("{v4} is {why}")),
        None => Ok(v4),
    }
}

/// `--peer IP[:PORT]`; the port defaults to the PnP port later, so it is `None` here when not given.
///
/// # Errors
/// As [`lan_host`], and for port 0 or a port that is not a number.
pub fn peer(text: &str) -> Result<PeerAddr, String> {
    let text = text.trim();
    if let Ok(address) = text.parse::<SocketAddrV4>() {
        if address.port() == 0 {
            return Err(format!("`{text}`: port 0 is not a port: give 1 to 65535, or leave the port out"));
        }
        return Ok(PeerAddr { ip: lan_host(&address.ip().to_string())?, port: Some(address.port()) });
    }
    if let Ok(address) = text.parse::<std::net::SocketAddrV6>() {
        return Err(format!("{} is IPv6: the peer test runs over IPv4", address.ip()));
    }
    // An IPv4 address with a port that is no port: name the port, not the address.
    if let Some((ip, port_text)) = text.rsplit_once(':')
        && ip.parse::<Ipv4Addr>().is_ok()
    {
        return Err(format!(
            "`{port_text}` in `{text}` is not a port: give 1 to 65535, or leave the port out"
        ));
    }
    Ok(PeerAddr { ip: lan_host(text)?, port: None })
}

/// The address of `--peer`: its IP and, when given, its port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr {
    pub ip: Ipv4Addr,
    pub port: Option<u16>,
}

impl PeerAddr {
    #[must_use]
    pub fn with_default_port(self, port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(self.ip, self.port.unwrap_or(port))
    }
}

/// `respond --url`: a provisioning URL template a phone can fetch — `http`, `https`, `tftp` or `ftp`,
/// with a host. `{mac}`, `{ip}`, `{vendor}` and `{model}` are filled in per phone.
///
/// # Errors
/// When the scheme is missing or not one a phone fetches, or there is no host.
pub fn provisioning_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!("`{text}` is not a URL: give e.g. http://198.51.100.10/provision/{{mac}}.cfg"));
    };
    if !["http", "https", "tftp", "ftp"].iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return Err(format!("`{scheme}` URLs cannot be fetched by phones: use http, https, tftp or ftp"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("`{text}` has no host: a phone needs to know where to fetch it from"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{text}` contains spaces or control characters"));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_spelling_and_never_a_panic() {
        assert_eq!(duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(duration("24h"), Ok(MAX_DURATION));
        assert_eq!(duration("1d"), Ok(MAX_DURATION));
        assert_eq!(duration("0.5d"), Ok(Duration::from_secs(43_200)));
        assert!(duration("2d").unwrap_err().contains("longer than a day"));
        for bad in [
            "0",
            "-5",
            "-0.5",
            "1e19",
            "inf",
            "NaN",
            "",
            "2x",
            "25h",
            "86401",
            "1.2.3",
            "ms",
            "99999999999999999999",
        ] {
            assert!(duration(bad).is_err(), "{bad}");
        }
        assert!(duration("-5").unwrap_err().contains("more than zero"));
        assert!(duration("1e19").unwrap_err().contains("not a duration"));
        assert!(duration("86401").unwrap_err().contains("longer than a day"));
    }

    #[test]
    fn ports_and_groups() {
        assert_eq!(port("5060"), Ok(5060));
        assert!(port("0").unwrap_err().contains("port 0"));
        assert!(port("70000").is_err());
        assert!(port("-1").unwrap_err().contains("`-1` is not a port"));
        assert_eq!(group("224.0.1.75"), Ok(Ipv4Addr::new(224, 0, 1, 75)));
        assert!(group("198.51.100.1").unwrap_err().contains("not a multicast group"));
        assert!(group("sip.mcast.net").unwrap_err().contains("not an IPv4 address"));
    }

    #[test]
    fn hosts_must_be_ipv4_unicast_and_say_why_not() {
        assert_eq!(lan_host("198.51.100.20"), Ok(Ipv4Addr::new(198, 51, 100, 20)));
        for (bad, why) in [
            ("2001:db8::1", "IPv6"),
            ("224.0.1.75", "multicast"),
            ("0.0.0.0", "unspecified"),
            ("127.0.0.1", "loopback"),
            ("255.255.255.255", "broadcast"),
            ("phone1", "not an IP address"),
        ] {
            assert!(lan_host(bad).unwrap_err().contains(why), "{bad}");
        }
        assert_eq!(peer("198.51.100.20:5070").unwrap().with_default_port(5060).port(), 5070);
        assert_eq!(peer("198.51.100.20").unwrap().with_default_port(5060).port(), 5060);
        assert!(peer("198.51.100.20:0").unwrap_err().contains("port 0"));
        let error = peer("198.51.100.20:70000").unwrap_err();
        assert!(error.starts_with("`70000` in `198.51.100.20:70000` is not a port"), "{error}");
        assert!(peer("198.51.100.20:x").unwrap_err().contains("`x`"));
        assert!(peer("[2001:db8::1]:5060").unwrap_err().contains("IPv6"));
        assert!(peer("127.0.0.1:5060").unwrap_err().contains("loopback"));
    }

    #[test]
    fn provisioning_urls_a_phone_can_fetch() {
        assert!(provisioning_url("http://198.51.100.10/p/{mac}.cfg").is_ok());
        assert!(provisioning_url("tftp://pbx.example/{mac}").is_ok());
        assert!(provisioning_url("HTTPS://user:pw@pbx.example:8443/x").is_ok());
        assert!(provisioning_url("198.51.100.10/p").unwrap_err().contains("not a URL"));
        assert!(provisioning_url("file:///etc/passwd").unwrap_err().contains("cannot be fetched"));
        assert!(provisioning_url("http:///x").unwrap_err().contains("no host"));
        assert!(provisioning_url("http://h/a b").unwrap_err().contains("spaces"));
    }
}
