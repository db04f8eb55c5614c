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
    notify.content_type = Some("text/plain".into());
    let (status, summary) = membership_check(&snapshot, "membership.pbx-notify");
    assert_eq!(status, Warn);
    assert!(summary.contains("`Content-Type` is text/plain"), "{summary}");
}

/// A NOTIFY to the SUBSCRIBE's source port is blamed only on evidence: a phone heard whose Contact port
/// is not the port it sent from. Phones that listen where they send from (or no phone heard) pass, and
/// the evidence keeps the fact.
#[test]
fn a_notify_to_the_source_port_warns_only_when_a_phone_heard_listens_elsewhere() {
    use crate::checks::fixtures::{listened, phone};
    let mut snapshot = healthy();
    answer_mut(&mut snapshot).notify.as_mut().unwrap().to_contact = false;
    let (status, summary) = membership_check(&snapshot, "membership.pbx-notify");
    assert_eq!(status, Pass, "no phone heard: no evidence against it: {summary}");
    assert!(summary.contains("source port"), "{summary}");
    let same_port = phone("198.51.100.20", "00:15:65:aa:bb:cc");
    snapshot.listen = listened(vec![same_port.clone()]);
    assert_eq!(membership_check(&snapshot, "membership.pbx-notify").0, Pass);
    let mut elsewhere = same_port;
    elsewhere.contact = Some("sip:0015657322ff@198.51.100.20:5062;transport=udp".into());
    assert!(crate::checks::provisioning::listens_elsewhere(&elsewhere));
    snapshot.listen = listened(vec![elsewhere]);
    let (status, summary) = membership_check(&snapshot, "membership.pbx-notify");
    assert_eq!(status, Warn, "{summary}");
    assert!(
        summary.contains("`Contact`") && summary.contains("198.51.100.20:5060 (Contact sip:"),
        "{summary}"
    );
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

#[test]
fn a_final_error_from_the_pbx_is_no_answer_and_fails_naming_it() {
    let mut snapshot = healthy();
    let answer = answer_mut(&mut snapshot);
    *answer = crate::observed::Answer {
        status: Some(489),
        reason: Some("Bad Event".into()),
        notify: None,
        notify_rtt_ms: None,
        provisioning_url: None,
        provisioning_url_unredacted: None,
        notify_waited_ms: None,
        ..answer.clone()
    };
    let check =
        pbx_answers_says(&snapshot, Fail, "489 Bad Event from 198.51.100.10:5060 (Asterisk PBX 20.5.0)");
    assert!(check.remedy.as_deref().unwrap().contains("off or not supported"), "{:?}", check.remedy);
    assert_eq!(membership_check(&snapshot, "membership.pbx-notify").0, Skip, "no 200 OK to judge");
}

#[test]
fn two_services_on_this_host_warn_and_are_both_named() {
    let mut snapshot = healthy();
    let Observed::Done(probe) = &mut snapshot.probe else { panic!() };
    let mut second = probe.answers[0].clone();
    second.user_agent = Some("Other PnP".into());
    second.provisioning_url = Some("http://198.51.100.10:8080/other".into());
    probe.answers.push(second);
    let check = check_of(&snapshot, "membership.pbx-answers");
    assert_eq!(check.status, Warn, "{}", check.summary);
    assert!(check.summary.starts_with("2 PnP servers answered"), "{}", check.summary);
    assert!(check.summary.contains("URL http://198.51.100.10:8080/other"), "{}", check.summary);
}

#[test]
fn a_late_first_answer_warns_naming_the_delay() {
    let mut snapshot = healthy();
    answer_mut(&mut snapshot).response_rtt_ms = Some(3100.0);
    pbx_answers_says(&snapshot, Warn, "came 3.1 s after the SUBSCRIBE");
}

#[test]
fn a_pbx_that_ignores_the_probe_but_answers_real_phones_warns() {
    let mut snapshot = healthy();
    let Observed::Done(probe) = &mut snapshot.probe else { panic!() };
    probe.answers.clear();
    let mut answered = super::fixtures::phone("198.51.100.30", "00:15:65:aa:bb:cc");
    answered.answers.push(ok_from("198.51.100.10:5060", None));
    snapshot.listen = super::fixtures::listened(vec![answered]);
    let check = pbx_answers_says(&snapshot, Warn, "ignored mcready's probe but answered phones");
    assert!(check.summary.contains("00:15:65:aa:bb:cc (Yealink T46U)"), "{}", check.summary);
    assert!(check.remedy.as_deref().unwrap().contains("--as VENDOR"));
    // Without the phone, the same silence fails.
    snapshot.listen = super::fixtures::listened(Vec::new());
    assert_eq!(check_of(&snapshot, "membership.pbx-answers").status, Fail);
}

#[test]
fn an_answer_the_capture_heard_after_the_probes_window_still_counts() {
    let mut snapshot = healthy();
    let mut listen = super::fixtures::listened(Vec::new());
    if let Observed::Done(report) = &mut listen {
        report.answers_heard.push(ok_from("198.51.100.66:5060", Some("Rogue")));
    }
    snapshot.listen = listen;
    pbx_answers_says(&snapshot, Warn, "198.51.100.66:5060 (Rogue), heard only after the probe's window");
}

/// A 200 OK to a SUBSCRIBE from `responder`, as the capture saw it.
fn ok_from(responder: &str, software: Option<&str>) -> crate::observed::PhoneAnswer {
    crate::observed::PhoneAnswer {
        responder: responder.parse().unwrap(),
        message: "response".into(),
        status: Some(200),
        reason: Some("OK".into()),
        software: software.map(str::to_owned),
        url: None,
    }
}

/// `membership.pbx-answers`, asserted to have `status` and a summary containing `needle`.
fn pbx_answers_says(snapshot: &Snapshot, status: Status, needle: &str) -> Check {
    let check = check_of(snapshot, "membership.pbx-answers");
    assert_eq!(check.status, status, "{}", check.summary);
    assert!(check.summary.contains(needle), "{}", check.summary);
    check
}

#[test]
fn a_pbx_refusing_the_probe_but_answering_real_phones_warns_instead_of_failing() {
    let mut snapshot = healthy();
    let answer = answer_mut(&mut snapshot);
    answer.status = Some(403);
    answer.reason = Some("Forbidden".into());
    answer.notify = None;
    let mut answered = super::fixtures::phone("198.51.100.30", "00:15:65:aa:bb:cc");
    answered.answers.push(ok_from("198.51.100.10:5060", None));
    snapshot.listen = super::fixtures::listened(vec![answered]);
    pbx_answers_says(&snapshot, Warn, "refused mcready's probe (403 Forbidden from 198.51.100.10:5060");
}
