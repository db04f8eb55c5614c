//! The PBX's answer to the probe: the NOTIFY and its deviations, the provisioning URL a phone must be
//! able to reach, and its fetch judged as a phone would.

use super::*;

/// The status of the check `id` in `pbx-membership`.
fn membership_check(snapshot: &Snapshot, id: &str) -> (Status, String) {
    let requirements = evaluate(snapshot);
    let check = requirements[0].checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no {id}"));
    (check.status, check.summary.clone())
}

fn answer_mut(snapshot: &mut Snapshot) -> &mut crate::observed::Answer {
    let Observed::Done(probe) = &mut snapshot.probe else { panic!("the fixture probes") };
    &mut probe.answers[0]
}

#[test]
fn a_200_without_notify_fails_membership_and_names_the_wait() {
    let mut snapshot = healthy();
    let answer = answer_mut(&mut snapshot);
    answer.notify = None;
    answer.notify_rtt_ms = None;
    answer.provisioning_url = None;
    answer.notify_waited_ms = Some(5000.0);
    let (status, summary) = membership_check(&snapshot, "membership.pbx-notify");
    assert_eq!(status, Fail, "{summary}");
    assert!(summary.contains("no NOTIFY in 5.0 s"), "{summary}");
    assert_eq!(statuses(&snapshot)[0], Fail);
    assert_eq!(membership_check(&snapshot, "membership.provisioning-url").0, Skip);
}

#[test]
fn notify_deviations_are_warnings_naming_the_field() {
    let mut snapshot = healthy();
    let notify = answer_mut(&mut snapshot).notify.as_mut().unwrap();
    notify.to_contact = false;
    notify.content_type = Some("text/plain".into());
    let (status, summary) = membership_check(&snapshot, "membership.pbx-notify");
    assert_eq!(status, Warn);
    assert!(summary.contains("`Contact`") && summary.contains("`Content-Type` is text/plain"), "{summary}");
}

#[test]
fn a_url_no_phone_can_reach_fails() {
    for (address, why) in
        [("127.0.0.1", "loopback"), ("169.254.1.1", "link-local"), ("0.0.0.0", "unspecified")]
    {
        let mut snapshot = healthy();
        let Observed::Done(fetch) = &mut snapshot.fetch else { panic!() };
        fetch.addresses = vec![address.parse().unwrap()];
        let (status, summary) = membership_check(&snapshot, "membership.provisioning-url");
        assert_eq!(status, Fail, "{address}: {summary}");
        assert!(summary.contains(why), "{summary}");
    }
    let mut snapshot = healthy();
    let Observed::Done(fetch) = &mut snapshot.fetch else { panic!() };
    fetch.addresses = vec!["203.0.113.80".parse().unwrap()];
    let (status, summary) = membership_check(&snapshot, "membership.provisioning-url");
    assert_eq!(status, Pass, "outside the subnet but routable is only noted: {summary}");
    assert!(summary.contains("through their gateway"));
}

#[test]
fn the_fetch_is_judged_as_a_phone_would() {
    use crate::observed::{FetchError, FetchErrorKind};
    type Case = (Option<u16>, Option<FetchErrorKind>, Option<&'static str>, Status, &'static str);
    let cases: [Case; 6] = [
        (Some(200), None, None, Pass, "Fetched as a phone would: 200"),
        (Some(404), None, None, Pass, "no configuration for the probe's MAC"),
        (Some(401), None, Some("Digest"), Warn, "needs credentials (401, Digest"),
        (None, Some(FetchErrorKind::TlsUnverified), None, Warn, "does not verify"),
        (None, Some(FetchErrorKind::Timeout), None, Fail, "did not answer in time"),
        (None, Some(FetchErrorKind::TooManyRedirects), None, Fail, "redirects in a loop"),
    ];
    for (code, error, challenge, want, words) in cases {
        let mut snapshot = healthy();
        let mut report = crate::checks::fixtures::fetched(code);
        report.error = error.map(|kind| FetchError { kind, detail: "detail".into() });
        report.challenge = challenge.map(str::to_owned);
        snapshot.fetch = Observed::Done(report);
        let (status, summary) = membership_check(&snapshot, "membership.provisioning-fetch");
        assert_eq!(status, want, "{summary}");
        assert!(summary.contains(words), "{summary}");
    }
    let mut snapshot = healthy();
    let mut report = crate::checks::fixtures::fetched(None);
    report.error = None;
    report.not_fetched = Some(
        "203.0.113.80 is neither on the phones' LAN nor in a private range: add `--fetch-any` to fetch it"
            .into(),
    );
    snapshot.fetch = Observed::Done(report);
    let (status, summary) = membership_check(&snapshot, "membership.provisioning-fetch");
    assert_eq!(status, Skip);
    assert!(summary.contains("--fetch-any"), "{summary}");
}
