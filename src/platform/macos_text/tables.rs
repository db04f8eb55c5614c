//! What macOS's tools print about the host beyond its interfaces: groups joined (`netstat -gn`), routes
//! (`netstat -rn -f inet`, `route -n get`), UDP sockets and their owners (`lsof`), the OS version
//! (`sw_vers`), and pf's state and rules (`pfctl`), handed to the firewall judge.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::facts::{FirewallSource, IpNet, RouteType, SourceStatus};
use crate::platform::procfs::Parsed;
use crate::ruleset::{FirewallTool, Netfilter};

// ---------------------------------------------------------------------------------------------------
// netstat -gn

/// One multicast group joined on one interface, as `netstat -gn` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub group: IpAddr,
    pub interface: String,
}

/// Parses `netstat -gn`: per address family a title line, a `Group … Netif` header, then rows of
/// group, link-layer address (or `<none>`) and interface. IPv6 groups carry their scope (`ff02::fb%en0`).
#[must_use]
pub fn parse_netstat_groups(text: &str) -> Parsed<GroupRow> {
    let mut parsed = Parsed::default();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.ends_with("Memberships") || line.starts_with("Group") {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let row = match fields.as_slice() {
            [group, _, interface] | [group, interface] => {
                let address = group.split('%').next().unwrap_or_default();
                address
                    .parse::<IpAddr>()
                    .ok()
                    .filter(IpAddr::is_multicast)
                    .map(|group| GroupRow { group, interface: (*interface).to_owned() })
            }
            _ => None,
        };
        match row {
            Some(row) => parsed.rows.push(row),
            None => parsed.skipped += 1,
        }
    }
    parsed
}

// ---------------------------------------------------------------------------------------------------
// netstat -rn -f inet

/// One IPv4 route as `netstat -rn -f inet` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    pub destination: IpNet,
    pub gateway: Option<IpAddr>,
    pub flags: String,
    pub interface: String,
}

impl RouteRow {
    /// The kernel's kind of route, from the flags: `B` blackhole, `R` reject, `b` broadcast.
    #[must_use]
    pub fn route_type(&self) -> RouteType {
        if self.flags.contains('B') {
            RouteType::Blackhole
        } else if self.flags.contains('R') {
            RouteType::Unreachable
        } else if self.flags.contains('b') {
            RouteType::Broadcast
        } else {
            RouteType::Unicast
        }
    }
}

/// Parses the `Internet:` table of `netstat -rn`. The columns are found from the header, since macOS
/// versions differ (`Refs` and `Use` were dropped in macOS 10.13). Link-layer entries (flag `L`: the
/// ARP cache and resolved multicast MACs) are neighbours, not routes, and are left out without counting.
#[must_use]
pub fn parse_netstat_routes(text: &str) -> Parsed<RouteRow> {
    let mut parsed = Parsed::default();
    let mut columns: Option<(usize, usize)> = None; // (flags, netif)
    let mut in_inet = false;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.ends_with(':') && !line.contains(' ') {
            in_inet = line == "Internet:";
            columns = None;
            continue;
        }
        if line.starts_with("Routing tables") || !in_inet {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.first() == Some(&"Destination") {
            let at = |name| fields.iter().position(|f| *f == name);
            columns = at("Flags").zip(at("Netif"));
            continue;
        }
        let Some((flags_at, netif_at)) = columns else {
            parsed.skipped += 1;
            continue;
        };
        let (Some(destination), Some(gateway), Some(flags), Some(interface)) =
            (fields.first(), fields.get(1), fields.get(flags_at), fields.get(netif_at))
        else {
            parsed.skipped += 1;
            continue;
        };
        if flags.contains('L') {
            continue;
        }
        match parse_destination(destination, flags.contains('H')) {
            Some(destination) => parsed.rows.push(RouteRow {
                destination,
                gateway: gateway.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
                flags: (*flags).to_owned(),
                interface: (*interface).to_owned(),
            }),
            None => parsed.skipped += 1,
        }
    }
    parsed
}

/// A destination as BSD `netstat` abbreviates it: `default`, `10.10.10/24`, or `192.168.220` and `127`
/// (trailing zero octets dropped, and with them a mask as long as the octets printed), or a host.
fn parse_destination(text: &str, host: bool) -> Option<IpNet> {
    if text == "default" {
        return Some(IpNet::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
    }
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok().filter(|p| *p <= 32)?)),
        None => (text, None),
    };
    let octets: Vec<u8> = address.split('.').map(|o| o.parse::<u8>().ok()).collect::<Option<_>>()?;
    if octets.is_empty() || octets.len() > 4 {
        return None;
    }
    let mut full = [0u8; 4];
    full[..octets.len()].copy_from_slice(&octets);
    let implied = if host { 32 } else { u8::try_from(octets.len() * 8).ok()? };
    Some(IpNet::new(IpAddr::V4(Ipv4Addr::from(full)), prefix.unwrap_or(implied)))
}

// ---------------------------------------------------------------------------------------------------
// route -n get

/// What `route -n get GROUP` answered: the interface and, for a gateway route, the next hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteGet {
    pub destination: Option<String>,
    pub gateway: Option<IpAddr>,
    pub interface: Option<String>,
}

/// Parses `route -n get`: `key: value` lines (`route to`, `destination`, `gateway`, `interface`, …).
/// `None` when the text has no `interface:` line, as when the route is "not in table".
#[must_use]
pub fn parse_route_get(text: &str) -> Option<RouteGet> {
    let value = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_owned()).filter(|v| !v.is_empty())
        })
    };
    let interface = value("interface")?;
    Some(RouteGet {
        destination: value("destination"),
        gateway: value("gateway").and_then(|g| g.parse().ok()),
        interface: Some(interface),
    })
}

// ---------------------------------------------------------------------------------------------------
// lsof -nP -iUDP:PORT

/// One UDP socket on the port, and its owner, as `lsof` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LsofRow {
    pub command: String,
    pub pid: u32,
    /// The `USER` column when it is numeric (`lsof -l`, or a user without a name).
    pub uid: Option<u32>,
    pub protocol: &'static str,
    pub local: SocketAddr,
}

/// Parses `lsof +c 0 -nP -iUDP:PORT`: `COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME`. A command
/// name may hold spaces (`+c 0` prints it whole), so the columns are counted back from `TYPE`; the
/// address is what follows `UDP`; `*` is the wildcard address, IPv6 addresses are in brackets.
#[must_use]
pub fn parse_lsof_udp(text: &str) -> Parsed<LsofRow> {
    let mut parsed = Parsed::default();
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("COMMAND")) {
        match lsof_row(line) {
            Some(row) => parsed.rows.push(row),
            None => parsed.skipped += 1,
        }
    }
    parsed
}

fn lsof_row(line: &str) -> Option<LsofRow> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    // COMMAND may hold spaces and digits (`Bria 6`): count back from TYPE, which is FD's neighbour,
    // USER's second and PID's third.
    let type_at = fields.iter().position(|f| *f == "IPv4" || *f == "IPv6")?;
    let pid_at = type_at.checked_sub(3).filter(|at| *at > 0)?;
    let pid = fields.get(pid_at)?.parse().ok()?;
    let uid = fields.get(pid_at + 1).and_then(|u| u.parse().ok());
    let ip_version = fields.get(type_at)?;
    let udp_at = fields.iter().rposition(|f| *f == "UDP")?;
    let name = fields.get(udp_at + 1)?;
    let local = name.split("->").next()?;
    let (host, port) = local.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let v6 = *ip_version == "IPv6";
    let ip = match host {
        "*" if v6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        "*" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        bracketed if bracketed.starts_with('[') => {
            let inner = bracketed.strip_prefix('[')?.strip_suffix(']')?;
            IpAddr::V6(inner.split('%').next()?.parse().ok()?)
        }
        plain => plain.parse().ok()?,
    };
    Some(LsofRow {
        command: fields.get(..pid_at)?.join(" "),
        pid,
        uid,
        protocol: if v6 { "udp6" } else { "udp" },
        local: SocketAddr::new(ip, port),
    })
}

// ---------------------------------------------------------------------------------------------------
// sw_vers, pfctl

/// `sw_vers` as one line: `macOS 14.4.1 (23E224)`.
#[must_use]
pub fn parse_sw_vers(text: &str) -> Option<String> {
    let value = |key: &str| {
        text.lines().find_map(|line| line.trim().strip_prefix(key)).map(str::trim).filter(|v| !v.is_empty())
    };
    let version = value("ProductVersion:")?;
    let name = value("ProductName:").unwrap_or("macOS");
    Some(match value("BuildVersion:") {
        Some(build) => format!("{name} {version} ({build})"),
        None => format!("{name} {version}"),
    })
}

/// Whether pf is enabled, from the `Status:` line of `pfctl -si`.
#[must_use]
pub fn parse_pf_enabled(text: &str) -> Option<bool> {
    let status = text.lines().find_map(|line| line.trim().strip_prefix("Status:"))?;
    let word = status.split_whitespace().next()?;
    match word {
        "Enabled" => Some(true),
        "Disabled" => Some(false),
        _ => None,
    }
}

/// Whether the Application Firewall is on, from `socketfilterfw --getglobalstate`: `Firewall is
/// enabled. (State = 1)`, `… (State = 2)` when it blocks all incoming, `Firewall is disabled. (State = 0)`.
#[must_use]
pub fn parse_application_firewall(text: &str) -> Option<bool> {
    let state = text.split_once("State =")?.1.trim_start();
    let digits: String = state.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<u8>().ok().map(|state| state > 0)
}

/// What running `pfctl -sr` came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PfRead<'a> {
    /// It printed the ruleset.
    Rules(&'a str),
    /// The OS refused (reading `/dev/pf` needs root): its complaint.
    Denied(&'a str),
    NotInstalled,
    TimedOut(&'a str),
    /// Any other failure, in the tool's or the OS's words.
    Failed(&'a str),
}

/// The firewall source the report shows for pf, and the ruleset to judge when pf filters: `read` with
/// pf's state (`pfctl -si`) and the Application Firewall's (`socketfilterfw --getglobalstate`, which
/// filters per application and is not judged) when the rules were readable, else why not. A disabled
/// pf filters nothing, so its rules are not judged; an unknown state is judged as enabled.
#[must_use]
pub fn pf_source(
    read: PfRead<'_>,
    info: Option<&str>,
    application_firewall: Option<&str>,
) -> (FirewallSource, Option<Netfilter>) {
    let app_state = match application_firewall.and_then(parse_application_firewall) {
        Some(true) => "the Application Firewall is on (it filters per application; not judged)",
        Some(false) => "the Application Firewall is off",
        None => "the Application Firewall's state is unknown",
    };
    let mut ruleset = None;
    let (status, detail, rules, skipped) = match read {
        PfRead::Rules(text) => {
            let netfilter = crate::firewall::pf::read(text);
            let (rules, skipped) = (netfilter.rules, netfilter.skipped);
            let state = match info.and_then(parse_pf_enabled) {
                Some(false) => "pf is disabled: its rules filter nothing",
                enabled => {
                    ruleset = Some(netfilter);
                    if enabled.is_some() {
                        "pf is enabled"
                    } else {
                        "pf's state is unknown: judged as enabled"
                    }
                }
            };
            (SourceStatus::Read, format!("{state}; {app_state}"), rules, skipped)
        }
        PfRead::Denied(why) => (
            SourceStatus::PermissionDenied,
            format!("{} (reading pf needs root); {app_state}", why.trim()),
            0,
            0,
        ),
        PfRead::NotInstalled => {
            (SourceStatus::NotInstalled, format!("pfctl is not installed; {app_state}"), 0, 0)
        }
        PfRead::TimedOut(why) => (SourceStatus::TimedOut, why.to_owned(), 0, 0),
        PfRead::Failed(why) => (SourceStatus::Failed, format!("{}; {app_state}", why.trim()), 0, 0),
    };
    let source = FirewallSource {
        tool: FirewallTool::Pf,
        command: "pfctl -sr".into(),
        status,
        detail: Some(detail),
        rules,
        skipped,
    };
    (source, ruleset)
}
