//! The PBX's answer judged as a phone would judge it (under `pbx-membership`): the NOTIFY after the
//! 200 OK, the provisioning URL it carries, and whether that URL can be fetched.
//!
//! The answer judged is the one phones take: the first 2xx to the probe. Each check is `skip` when
//! there is nothing to judge (no probe, no answer, no URL), saying why.

use std::net::IpAddr;

use serde_json::json;

use super::{Snapshot, check, remedy};
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

/// `membership.provisioning-url`: the URL that NOTIFY carries.
#[must_use]
pub fn url_check(snapshot: &Snapshot) -> Check {
    of_the_answer(snapshot, URL, "provisioning URL to read", url)
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
        // Each line names what its own check would have judged: three identical lines read as a stutter.
        let probed = matches!(snapshot.probe, Observed::Done(_));
        let cause = if probed { "No PnP server answered the probe with 200 OK" } else { "No probe was sent" };
        let skip = skip(id, &format!("{cause}, so there is no {what}."));
        // Without an answer there is nothing to judge (membership.pbx-answers says why); without a probe,
        // the run did not look.
        return if probed { skip } else { skip.lacking_evidence(super::PROBE_HOW) };
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
