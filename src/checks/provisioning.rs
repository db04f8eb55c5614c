//! The PBX's answer judged as a phone would judge it (under `pbx-membership`): the NOTIFY after the
//! 200 OK, the provisioning URL it carries, and whether that URL can be fetched.
//!
//! The answer judged is the one phones take: the first 2xx to the probe. Each check is `skip` when
//! there is nothing to judge (no probe, no answer, no URL), saying why.

use std::net::IpAddr;

use serde_json::json;

use super::firewall::FirewallView;
use super::{Snapshot, check, manual, remedy};
use crate::facts::{FindingCertainty, FirewallFinding, FirewallFlow};
use crate::fix::Fix;
use crate::observed::{Answer, FetchErrorKind, FetchReport, Observed};
use crate::verdict::{Check, Status};

pub const NOTIFY: &str = "membership.pbx-notify";
pub const URL: &str = "membership.provisioning-url";
pub const FETCH: &str = "membership.provisioning-fetch";

/// `membership.pbx-notify`: the NOTIFY of the answer phones take.
#[must_use]
pub fn notify_check(snapshot: &Snapshot) -> Check {
    of_the_answer(snapshot, NOTIFY, "NOTIFY to judge", notify)
}

/// `membership.provisioning-url`: the URL that NOTIFY carries; when it is served from another
/// interface of this host, also whether the host firewall lets the phones' requests in there.
#[must_use]
pub fn url_check(snapshot: &Snapshot, firewall: &FirewallView) -> Check {
    let judged = of_the_answer(snapshot, URL, "provisioning URL to read", url);
    if judged.status != Status::Pass {
        return judged;
    }
    let Some(elsewhere) = url_elsewhere(snapshot) else { return judged };
    let findings: Vec<&FirewallFinding> = firewall.findings(&[FirewallFlow::ProvisioningIn]).collect();
    if findings.is_empty() {
        return judged;
    }
    let certain = findings.iter().any(|f| f.certainty == FindingCertainty::Drops);
    let rules: Vec<String> = findings.iter().map(|f| super::firewall::describe(f)).collect();
    let summary = format!(
        "{} But the host firewall {} their requests ({} {}) on {}: {}.",
        judged.summary,
        if certain { "drops" } else { "may drop" },
        elsewhere.proto,
        elsewhere.port,
        elsewhere.interface,
        rules.join("; ")
    );
    let open = firewall.joined_fix(findings.iter().copied()).unwrap_or_else(|| {
        manual(
            format!(
                "Let the phones' subnet reach {} {} on {} with the tool that manages the firewall, before that rule.",
                elsewhere.proto, elsewhere.port, elsewhere.interface
            ),
            "let the phones reach the provisioning URL's port",
        )
    });
    let status = if certain { Status::Fail } else { Status::Warn };
    check(URL, status, summary, Some(open), judged.evidence)
}

/// `membership.provisioning-fetch`: that URL fetched as a phone would.
#[must_use]
pub fn fetch_check(snapshot: &Snapshot) -> Check {
    of_the_answer(snapshot, FETCH, "provisioning URL to fetch", fetched)
}

/// One check of the answer phones take, or the skip that says there is none.
fn of_the_answer(
    snapshot: &Snapshot,
    id: &'static str,
    what: &str,
    judge: fn(&Answer, &Snapshot) -> Check,
) -> Check {
    let Some(answer) = first_answer(snapshot) else {
        // Each line names what its own check would have judged, and points to the cause said once
        // (issue 26: consequences are short skips pointing to it).
        let probed = matches!(snapshot.probe, Observed::Done(_));
        // Without an answer there is nothing to judge (membership.pbx-answers says why); without a probe,
        // the run did not look.
        if probed {
            return skip(
                id,
                &format!("No {what}: no server accepted the probe (see {}).", super::membership::PBX_ANSWERS),
            );
        }
        return skip(id, &format!("No probe was sent, so there is no {what}."))
            .lacking_evidence(super::PROBE_HOW);
    };
    judge(answer, snapshot)
}

/// The answer phones take: the first 2xx to the SUBSCRIBE.
fn first_answer(snapshot: &Snapshot) -> Option<&Answer> {
    snapshot
        .probe
        .done()?
        .answers
        .iter()
        .filter(|a| a.status.is_some_and(|s| (200..300).contains(&s)))
        .min_by(|a, b| a.response_rtt_ms.partial_cmp(&b.response_rtt_ms).unwrap_or(std::cmp::Ordering::Equal))
}

fn skip(id: &'static str, why: &str) -> Check {
    check(id, Status::Skip, why.to_owned(), None, json!({}))
}

fn notify(answer: &Answer, snapshot: &Snapshot) -> Check {
    let who = answer.responder;
    let waited = answer.notify_waited_ms.unwrap_or_default() / 1000.0;
    let mut evidence =
        json!({"responder": who, "notify": answer.notify, "notify_waited_ms": answer.notify_waited_ms});
    let interrupted = snapshot.probe.done().is_some_and(|p| p.interrupted);
    let Some(seen) = &answer.notify else {
        if interrupted {
            return check(
                NOTIFY,
                Status::Skip,
                format!(
                    "{who} answered 200 OK; the wait for its NOTIFY was interrupted after {waited:.1} s."
                ),
                None,
                evidence,
            )
            .lacking_evidence("a run that is not interrupted");
        }
        return check(
            NOTIFY,
            Status::Fail,
            format!(
                "{who} answered 200 OK but sent no NOTIFY in {waited:.1} s: it answers phones but does not provision them."
            ),
            Some(remedy::pbx_sends_no_notify()),
            evidence,
        );
    };
    let mut deviations = Vec::new();
    // A NOTIFY to the source port, not the Contact, misses only a phone that listens elsewhere than it
    // sends from: blamed on evidence — a phone heard whose Contact port differs — else kept as a fact.
    if !seen.to_contact {
        let elsewhere: Vec<String> = snapshot
            .listen
            .done()
            .map(|l| l.phones.iter().filter(|p| listens_elsewhere(p)).collect::<Vec<_>>())
            .unwrap_or_default()
            .iter()
            .map(|p| format!("{} (Contact {})", p.source, p.contact.as_deref().unwrap_or_default()))
            .collect();
        evidence["phones_with_another_contact_port"] = json!(elsewhere);
        if !elsewhere.is_empty() {
            deviations.push(format!(
                "the NOTIFY went to the SUBSCRIBE's source port, not to its `Contact`, and phones heard here listen \
                 on another port than they send from: {}",
                elsewhere.join(", ")
            ));
        }
    }
    if !seen.content_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("application/url")) {
        let given = seen.content_type.as_deref().unwrap_or("none");
        deviations.push(format!("its `Content-Type` is {given}, not application/url"));
    }
    if answer.provisioning_url.is_none() {
        deviations.push("its body carries no URL".to_owned());
    }
    if deviations.is_empty() {
        let whither = if seen.to_contact {
            "to the phone's Contact"
        } else {
            "to the SUBSCRIBE's source port (not its Contact; phones listen on the port they send from, and none \
             heard here names another)"
        };
        return check(
            NOTIFY,
            Status::Pass,
            format!(
                "{who} sent the NOTIFY {whither} after {:.1} ms, with an application/url body.",
                answer.notify_rtt_ms.unwrap_or_default()
            ),
            None,
            evidence,
        );
    }
    check(
        NOTIFY,
        Status::Warn,
        format!("{who} sent a NOTIFY that some phones reject: {}.", deviations.join("; ")),
        Some(remedy::pbx_notify_fields()),
        evidence,
    )
}

/// Whether `phone`'s Contact names another port than the one it sent from: a NOTIFY to the SUBSCRIBE's
/// source port then goes where the phone may not listen. `false` without a Contact.
pub(super) fn listens_elsewhere(phone: &crate::observed::Phone) -> bool {
    phone
        .contact
        .as_deref()
        .is_some_and(|uri| crate::sip::value::uri_port(uri).unwrap_or(5060) != phone.source.port())
}

/// Why no phone can fetch from `ip`, when none can.
fn unreachable_address(ip: IpAddr) -> Option<&'static str> {
    if ip.is_loopback() {
        return Some("a loopback address: each phone would ask itself");
    }
    if ip.is_unspecified() {
        return Some("the unspecified address");
    }
    if ip.is_multicast() {
        return Some("a multicast address");
    }
    let link_local = match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_unicast_link_local(),
    };
    link_local.then_some(
        "a link-local address: it is not routed, and a phone that took a DHCP address does not share it",
    )
}

fn url(answer: &Answer, snapshot: &Snapshot) -> Check {
    let Some(url) = &answer.provisioning_url else {
        return skip(URL, "The NOTIFY carried no URL to judge.");
    };
    let Observed::Done(fetch) = &snapshot.fetch else {
        return skip(URL, "The URL was not resolved.");
    };
    let evidence = json!({"url": url, "host": fetch.host, "addresses": fetch.addresses, "resolve_error": fetch.resolve_error});
    if !["http", "https", "tftp", "ftp"].contains(&fetch.scheme.as_str()) {
        return check(
            URL,
            Status::Fail,
            format!("Phones cannot fetch {url}: not an http, https, tftp or ftp URL."),
            Some(remedy::provisioning_url()),
            evidence,
        );
    }
    if let Some(error) = &fetch.resolve_error {
        return check(
            URL,
            Status::Warn,
            format!(
                "This host cannot resolve {} ({error}); phones that use the same DNS cannot either.",
                fetch.host
            ),
            Some(remedy::provisioning_url()),
            evidence,
        );
    }
    let bad: Vec<String> = fetch
        .addresses
        .iter()
        .filter_map(|ip| unreachable_address(*ip).map(|why| format!("{ip} is {why}")))
        .collect();
    if !bad.is_empty() {
        return check(
            URL,
            Status::Fail,
            format!("No phone can fetch {url}: {}.", bad.join("; ")),
            Some(remedy::provisioning_url()),
            evidence,
        );
    }
    if let Some(judged) = on_another_interface(snapshot, fetch, url, &evidence) {
        return judged;
    }
    let lan = snapshot.pnp_interface().map(|i| i.ipv4.clone()).unwrap_or_default();
    let outside: Vec<String> = fetch
        .addresses
        .iter()
        .filter(|ip| !lan.iter().any(|net| net.contains(**ip)))
        .map(ToString::to_string)
        .collect();
    let summary = if outside.is_empty() {
        format!("The provisioning URL {url} points into the phones' subnet.")
    } else {
        format!(
            "The provisioning URL {url} points outside the phones' subnet ({}): phones reach it through their gateway.",
            outside.join(", ")
        )
    };
    check(URL, Status::Pass, summary, None, evidence)
}

/// The provisioning URL served from this host's own address on another interface than the PnP one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UrlElsewhere<'s> {
    pub address: IpAddr,
    pub interface: &'s str,
    pub port: u16,
    /// `tcp`, or `udp` for TFTP.
    pub proto: &'static str,
}

/// Where the provisioning URL is served when that is this host's address on another interface than
/// the PnP one: its address, interface, port and protocol. `None` otherwise, or before a fetch.
pub(super) fn url_elsewhere(snapshot: &Snapshot) -> Option<UrlElsewhere<'_>> {
    url_elsewhere_in(snapshot, snapshot.fetch.done()?)
}

fn url_elsewhere_in<'s>(snapshot: &'s Snapshot, fetch: &FetchReport) -> Option<UrlElsewhere<'s>> {
    let pnp = snapshot.pnp_interface()?;
    let (address, interface) = fetch.addresses.iter().find_map(|ip| {
        snapshot
            .facts
            .interfaces
            .iter()
            .find(|i| i.name != pnp.name && i.ipv4.iter().chain(&i.ipv6).any(|net| net.addr == *ip))
            .map(|i| (*ip, i.name.as_str()))
    })?;
    let (default_port, proto) = match fetch.scheme.as_str() {
        "https" => (443, "tcp"),
        "tftp" => (69, "udp"),
        "ftp" => (21, "tcp"),
        _ => (80, "tcp"),
    };
    Some(UrlElsewhere { address, interface, port: url_port(&fetch.url).unwrap_or(default_port), proto })
}

/// The port a URL names (`http://host:8080/…`, `http://[2001:db8::1]:8080/`), if it names one.
fn url_port(url: &str) -> Option<u16> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let port = match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once("]:")?.1,
        None => host_port.rsplit_once(':')?.1,
    };
    port.parse().ok()
}

/// The URL's host is this host's own address on another interface than the phones' (`eth1` of a
/// dual-homed PBX): this host's own fetch went over its loopback and proves nothing, and phones reach
/// that address only through a router into that interface. Judged as their requests would be there:
/// a route back to them must exist, and where it leaves by another interface a strict reverse-path
/// filter on that one drops them. `None` when the URL is not on another interface of this host.
fn on_another_interface(
    snapshot: &Snapshot,
    fetch: &FetchReport,
    url: &str,
    evidence: &serde_json::Value,
) -> Option<Check> {
    let facts = &snapshot.facts;
    let pnp = snapshot.pnp_interface()?;
    let UrlElsewhere { address, interface: other, .. } = url_elsewhere_in(snapshot, fetch)?;
    // A phone's address: a known one on the phones' subnet, else the subnet itself.
    let phone = snapshot
        .known_hosts()
        .into_iter()
        .map(|(ip, _)| ip)
        .find(|ip| pnp.subnet_containing(*ip).is_some())
        .or_else(|| pnp.ipv4.first().map(|net| net.addr))?;
    let back =
        if facts.routes.is_empty() { Some(pnp.name.as_str()) } else { facts.route_interface_for(phone) };
    let rp_filter = facts.firewall.effective_rp_filter(other);
    let mut evidence = evidence.clone();
    if let Some(fields) = evidence.as_object_mut() {
        fields.insert("on_interface".into(), json!(other));
        fields.insert("route_back_by".into(), json!(back));
        fields.insert("rp_filter".into(), json!(rp_filter));
    }
    let crossing = format!(
        "The provisioning URL {url} is {address}, this host's address on {other}, not on {} where the phones are:          phones reach it only through a router into {other}",
        pnp.name
    );
    let to_lan = pnp.ipv4.first().map_or_else(String::new, |net| format!(" ({})", net.addr));
    let point_at_lan = manual(
        format!(
            "Point the PBX's provisioning URL at {}'s address{to_lan}, which the phones reach directly.",
            pnp.name
        ),
        "point the provisioning URL at the phones' interface",
    );
    match back {
        None => Some(check(
            URL,
            Status::Fail,
            format!("{crossing}, and this host has no route back to them ({phone})."),
            Some(point_at_lan),
            evidence,
        )),
        Some(back) if back != other && rp_filter == Some(1) => Some(check(
            URL,
            Status::Fail,
            format!(
                "{crossing}, and the route back to them leaves by {back}: {other}'s strict reverse-path filter \
                 (rp_filter=1) drops their requests."
            ),
            Some(Fix::join([
                point_at_lan,
                Fix::prose("Or, to keep the URL:"),
                remedy::loosen_rp_filter(
                    snapshot.os,
                    other,
                    super::multicast::rp_filter_read(snapshot, other),
                ),
            ])),
            evidence,
        )),
        Some(back) => Some(check(
            URL,
            Status::Pass,
            format!(
                "{crossing}; the route back to them leaves by {back} and {other}'s reverse-path filter lets them in{}.",
                rp_filter.map_or_else(String::new, |v| format!(" (rp_filter={v})"))
            ),
            None,
            evidence,
        )),
    }
}

fn fetched(answer: &Answer, snapshot: &Snapshot) -> Check {
    if answer.provisioning_url.is_none() {
        return skip(FETCH, "The NOTIFY carried no URL to fetch.");
    }
    let Observed::Done(fetch) = &snapshot.fetch else {
        return skip(FETCH, "The URL was not fetched.");
    };
    let evidence = json!({"fetch": fetch});
    if let Some(why) = &fetch.not_fetched {
        return check(FETCH, Status::Skip, format!("Not fetched: {why}."), None, evidence)
            .lacking_evidence("a fetch: without `--no-fetch` (`--fetch-any` for a host outside the LAN)");
    }
    if let Some(error) = &fetch.error {
        let (status, summary) = fetch_error(fetch, error.kind, &error.detail);
        let remedy = (status != Status::Pass).then(remedy::provisioning_server);
        return check(FETCH, status, summary, remedy, evidence);
    }
    let Some(code) = fetch.status else {
        return skip(FETCH, "The fetch gave no answer to judge.");
    };
    let size = fetch.bytes.map_or_else(String::new, |b| format!(", {b} bytes"));
    let kind = fetch.content_type.as_deref().map_or_else(String::new, |t| format!(", {t}"));
    let how = format!("{} ms", fetch.elapsed_ms.round());
    let (status, summary) = match code {
        200..=299 => (Status::Pass, format!("Fetched as a phone would: {code}{kind}{size} in {how}.")),
        404 => (
            Status::Pass,
            format!(
                "The provisioning server answers ({code} in {how}): it has no configuration for the probe's MAC, which is expected — the probe is not a real phone."
            ),
        ),
        401 | 407 => (
            Status::Warn,
            format!(
                "The provisioning server needs credentials ({code}, {} challenge): phones without them configured get no file.",
                fetch.challenge.as_deref().unwrap_or("an authentication")
            ),
        ),
        _ => (
            Status::Warn,
            format!("The provisioning server answered {code}{kind} in {how}: phones get no file."),
        ),
    };
    let remedy = (status != Status::Pass).then(remedy::provisioning_server);
    check(FETCH, status, summary, remedy, evidence)
}

fn fetch_error(fetch: &FetchReport, kind: FetchErrorKind, detail: &str) -> (Status, String) {
    let url = &fetch.url;
    match kind {
        FetchErrorKind::TlsUnverified => (
            Status::Warn,
            format!(
                "The certificate of {} does not verify ({detail}): phones that check certificates refuse it.",
                fetch.host
            ),
        ),
        FetchErrorKind::Refused => (Status::Fail, format!("The TFTP server refused {url}: {detail}.")),
        FetchErrorKind::Timeout => {
            (Status::Fail, format!("{url} did not answer in time ({detail}): phones give up the same way."))
        }
        FetchErrorKind::Unreachable => (
            Status::Fail,
            format!("Nothing answers at {url} ({detail}): phones cannot fetch their configuration."),
        ),
        FetchErrorKind::TooManyRedirects => {
            (Status::Fail, format!("{url} redirects in a loop or too often ({detail}): phones give up."))
        }
        FetchErrorKind::TooLarge => {
            (Status::Warn, format!("{url} sends more than a provisioning file should ({detail})."))
        }
        FetchErrorKind::Protocol => (Status::Fail, format!("Fetching {url} failed: {detail}.")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_urls_port_is_read_past_credentials_and_brackets() {
        assert_eq!(super::url_port("http://203.0.113.10:8080/p/{mac}.cfg"), Some(8080));
        assert_eq!(super::url_port("https://user:pw@prov.example:8443"), Some(8443));
        assert_eq!(super::url_port("http://[2001:db8::1]:8080/x"), Some(8080));
        assert_eq!(super::url_port("http://[2001:db8::1]/x"), None);
        assert_eq!(super::url_port("tftp://203.0.113.10/x.cfg"), None);
        assert_eq!(super::url_port("not a url"), None);
    }
}
