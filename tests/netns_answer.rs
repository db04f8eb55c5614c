//! The PBX's answer judged as a phone would, end to end in the namespace lab: `check` against the lab
//! PBX (`tests/fixtures/lab/pbx.py`) when it answers without a NOTIFY, sends it to the wrong place, puts
//! a loopback URL in it, or serves the URL with 200, 404, a redirect loop, a Digest challenge, a
//! self-signed certificate, silence, or TFTP that serves and refuses; and a second PnP server answering
//! 10 ms after the first. HTTPS pass and fail are also tested offline with an injected root store.
#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Lab, check_field as field, json, statuses, stdout};
use mcready::facts::IpNet;
use mcready::observe::fetch::{self, FetchOptions, Reach, Roots};
use mcready::observed::FetchErrorKind;
use serde_json::Value;

/// pbx (198.51.100.10, the group routed by eth0) and phone (198.51.100.20) on one link.
fn lab(test: &str) -> Option<(Lab, String, String)> {
    lab_with(test, &[common::PYTHON3])
}

/// [`lab`] for a test that also runs `programs`.
fn lab_with(test: &str, programs: &[common::Program]) -> Option<(Lab, String, String)> {
    let (lab, pbx, phone) = common::two_hosts(test, programs)?;
    lab.ip(&pbx, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    Some((lab, pbx, phone))
}

fn check(lab: &Lab, ns: &str, extra: &[&str]) -> Value {
    let mut args = vec!["check", "--json", "--phone", "198.51.100.20", "--timeout", "1"];
    args.extend_from_slice(extra);
    json(&lab.mcready(ns, &args))
}

/// The requirement statuses with a PBX that provisions well but no querier on this bare link.
const PROVISIONS: [&str; 4] = ["pass", "pass", "warn", "skip"];

/// Starts a PBX with `args` and runs check; returns the report.
fn scenario(test: &str, args: &str) -> Option<Value> {
    let (mut lab, pbx, _phone) = lab(test)?;
    lab.start_pbx(&pbx, "198.51.100.10", args);
    Some(check(&lab, &pbx, &[]))
}

lab_test!(a_pbx_that_serves_its_url_passes_all_three, scenario("--fill-mac"), |report| {
    assert_eq!(statuses(&report), PROVISIONS, "{report:#}");
    for id in ["membership.pbx-notify", "membership.provisioning-url", "membership.provisioning-fetch"] {
        assert_eq!(field(&report, id, "status"), "pass", "{id}: {report:#}");
    }
    let answer = &report["facts"]["answers"][0];
    assert_eq!(answer["notify"]["to_contact"], true, "{answer}");
    assert_eq!(report["facts"]["fetch"]["value"]["status"], 200);
    assert!(field(&report, "membership.provisioning-fetch", "summary").contains("200, text/plain"));
});

lab_test!(a_200_without_notify_fails_after_the_phones_window, scenario("--no-notify"), |report| {
    assert_eq!(statuses(&report), ["fail", "pass", "warn", "skip"], "{report:#}");
    assert_eq!(field(&report, "membership.pbx-notify", "status"), "fail");
    let summary = field(&report, "membership.pbx-notify", "summary");
    assert!(summary.contains("no NOTIFY in 5.0 s") && summary.contains("does not provision"), "{summary}");
    assert_eq!(report["facts"]["answers"][0]["notify_waited_ms"], 5000.0);
    // The 200 OK still counts as an answer; the URL and the fetch have nothing to judge.
    assert_eq!(field(&report, "membership.pbx-answers", "status"), "pass");
    assert_eq!(field(&report, "membership.provisioning-url", "status"), "skip");
});

lab_test!(
    a_notify_of_another_type_is_a_warning_naming_the_field,
    scenario("--content-type text/plain"),
    |report| {
        assert_eq!(statuses(&report), ["warn", "pass", "warn", "skip"], "{report:#}");
        let summary = field(&report, "membership.pbx-notify", "summary");
        assert!(summary.contains("`Content-Type` is text/plain"), "{summary}");
    }
);

// A NOTIFY to the SUBSCRIBE's source port rather than its Contact: phones listen on the port they send
// from, so with no phone heard that says otherwise it passes, the fact kept in the evidence.
lab_test!(
    a_notify_to_the_source_port_passes_without_evidence_against_it,
    scenario("--notify-to-source"),
    |report| {
        assert_eq!(statuses(&report), PROVISIONS, "{report:#}");
        assert_eq!(field(&report, "membership.pbx-notify", "status"), "pass");
        assert!(field(&report, "membership.pbx-notify", "summary").contains("source port"), "{report:#}");
        assert_eq!(report["facts"]["answers"][0]["notify"]["to_contact"], false, "{report:#}");
    }
);

// …and warns when a phone heard in the window names another Contact port than it sends from (the
// sipp fixture sends from 5080 with a Contact on 5090).
lab_test!(
    a_notify_to_the_source_port_warns_when_a_phone_listens_elsewhere,
    lab_with(&[common::PYTHON3, common::SIPP]),
    |(mut lab, pbx, phone)| {
        lab.start_pbx(&pbx, "198.51.100.10", "--notify-to-source");
        let sipp = format!(
            "for i in $(seq 12); do sipp -sf {}/tests/fixtures/sipp/pnp-subscribe-contact-port.xml -m 1 -i 198.51.100.20 \
         -p 5080 -key mac 001565aabbcc -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; sleep 0.5; done",
            env!("CARGO_MANIFEST_DIR")
        );
        let report = std::thread::scope(|scope| {
            let sender = scope.spawn(|| lab.sh(&phone, &sipp));
            let report = check(&lab, &pbx, &["--listen", "4"]);
            let _ = sender.join();
            report
        });
        assert_eq!(
            report["facts"]["phones"][0]["contact"], "sip:MAC001565aabbcc@198.51.100.20:5090",
            "{report:#}"
        );
        assert_eq!(field(&report, "membership.pbx-notify", "status"), "warn", "{report:#}");
        let summary = field(&report, "membership.pbx-notify", "summary");
        assert!(
            summary.contains("`Contact`") && summary.contains("198.51.100.20:5080 (Contact sip:"),
            "{summary}"
        );
    }
);

lab_test!(a_url_on_loopback_fails, scenario("--url http://127.0.0.1/p/{mac}.cfg"), |report| {
    assert_eq!(statuses(&report), ["fail", "pass", "warn", "skip"], "{report:#}");
    assert_eq!(field(&report, "membership.provisioning-url", "status"), "fail");
    assert!(field(&report, "membership.provisioning-url", "summary").contains("loopback"));
    assert_eq!(field(&report, "membership.provisioning-fetch", "status"), "skip");
});

#[test]
fn each_http_answer_is_judged_as_a_phone_would() {
    for (mode, status, words) in [
        ("notfound", "pass", "no configuration for the probe's MAC"),
        ("loop", "fail", "redirects in a loop"),
        ("digest", "warn", "needs credentials (401, Digest"),
        ("silent", "fail", "did not answer in time"),
        ("none", "fail", "Nothing answers at"),
    ] {
        let Some(report) = scenario(&format!("answer_http_{mode}"), &format!("--http {mode}")) else {
            return;
        };
        assert_eq!(field(&report, "membership.provisioning-fetch", "status"), status, "{mode}: {report:#}");
        let summary = field(&report, "membership.provisioning-fetch", "summary");
        assert!(summary.contains(words), "{mode}: {summary}");
    }
}

#[test]
fn tftp_that_serves_passes_and_tftp_that_refuses_fails() {
    for (mode, status) in [("serve", "pass"), ("refuse", "fail")] {
        let Some(report) = scenario(&format!("answer_tftp_{mode}"), &format!("--tftp {mode}")) else {
            return;
        };
        assert_eq!(field(&report, "membership.provisioning-fetch", "status"), status, "{mode}: {report:#}");
    }
}

lab_test!(no_fetch_judges_without_fetching, lab(), |(mut lab, pbx, _phone)| {
    lab.start_pbx(&pbx, "198.51.100.10", "--http silent");
    let report = check(&lab, &pbx, &["--no-fetch"]);
    assert_eq!(field(&report, "membership.provisioning-url", "status"), "pass");
    assert_eq!(field(&report, "membership.provisioning-fetch", "status"), "skip");
    assert!(field(&report, "membership.provisioning-fetch", "summary").contains("--no-fetch"));
});

/// A CA, and a certificate for 198.51.100.10 it signed; PEM files in a fresh directory.
fn certificates(test: &str) -> (std::path::PathBuf, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert =
        CertificateParams::new(vec!["198.51.100.10".to_owned()]).unwrap().signed_by(&key, &*ca).unwrap();
    let dir = std::env::temp_dir().join(format!("mcready-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem() + &ca.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    (dir, ca.der().to_vec())
}

lab_test!(https_verifies_against_the_roots_given_and_warns_when_it_cannot, lab(), |(
    mut lab,
    pbx,
    _phone,
)| {
    let (dir, ca) = certificates("answer_https");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    lab.start_pbx(&pbx, "198.51.100.10", &format!("--https {} {}", cert.display(), key.display()));
    // With the built-in roots the lab's CA is unknown: a warning, as a phone that checks would refuse it.
    let report = check(&lab, &pbx, &[]);
    assert_eq!(field(&report, "membership.provisioning-fetch", "status"), "warn", "{report:#}");
    assert!(field(&report, "membership.provisioning-fetch", "summary").contains("does not verify"));
    // With the lab's CA as the root store, the same server verifies: offline, inside the namespace.
    let lan = vec![IpNet::new("198.51.100.10".parse().unwrap(), 24)];
    let url = "https://198.51.100.10/provisioning/001565aabbcc.cfg";
    let trusted = lab.in_netns(&pbx, || {
        fetch::fetch(
            url,
            &FetchOptions { reach: Reach::Private, lan: lan.clone(), roots: Roots::Specific(vec![ca]) },
        )
    });
    assert_eq!((trusted.status, trusted.error.as_ref().map(|e| e.kind)), (Some(200), None), "{trusted:?}");
    let untrusted = lab.in_netns(&pbx, || {
        fetch::fetch(url, &FetchOptions { reach: Reach::Private, lan, roots: Roots::Specific(Vec::new()) })
    });
    assert_eq!(untrusted.error.map(|e| e.kind), Some(FetchErrorKind::TlsUnverified));
    let _ = std::fs::remove_dir_all(dir);
});

/// The lab PBX on the PBX host and a second PnP server on the phone host answering `delay_ms` late;
/// `check` with `extra` on the PBX host.
fn second_server(test: &str, delay_ms: u32, extra: &'static [&'static str]) -> Option<Value> {
    let (mut lab, pbx, phone) = lab(test)?;
    lab.ip(&phone, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    lab.start_pbx(&pbx, "198.51.100.10", "");
    lab.start_pbx(&phone, "198.51.100.20", &format!("--delay {delay_ms} --http none"));
    Some(check(&lab, &pbx, extra))
}

lab_test!(
    a_second_server_10_ms_after_the_first_is_caught_and_warned_about,
    second_server(10, &[]),
    |report| {
        assert_eq!(report["facts"]["answers"].as_array().unwrap().len(), 2, "{report:#}");
        assert_eq!(field(&report, "membership.pbx-answers", "status"), "warn");
        // Phones take the first answer: its URL is the one judged and fetched.
        assert_eq!(field(&report, "membership.provisioning-fetch", "status"), "pass");
        let waited = report["facts"]["probe"]["value"]["waited_ms"].as_f64().unwrap();
        // The stated window: 1 s after the first answer (the NOTIFYs came), whatever `--timeout` is.
        assert!((1000.0..1500.0).contains(&waited), "{waited}");
    }
);

lab_test!(passwords_and_tokens_in_the_url_reach_no_format, lab(), |(mut lab, pbx, _phone)| {
    lab.start_pbx(&pbx, "198.51.100.10", "--url http://admin:s3cret@198.51.100.10/p/{mac}.cfg?token=t0ken");
    for format in ["json", "text", "markdown"] {
        let out =
            lab.mcready(&pbx, &["check", "--format", format, "--phone", "198.51.100.20", "--timeout", "1"]);
        let text = stdout(&out);
        // Markdown escapes the stars of the redaction (`\*\*\*`): they render as `***`.
        let shown =
            if format == "markdown" { "admin:\\*\\*\\*@198.51.100.10" } else { "admin:***@198.51.100.10" };
        assert!(text.contains(shown), "{format}: the URL is shown, redacted: {text}");
        assert!(!text.contains("s3cret") && !text.contains("t0ken"), "{format} leaks a secret: {text}");
    }
});

lab_test!(
    a_sip_server_refusing_pnp_fails_membership_naming_status_reason_and_server,
    scenario("--status '489 Bad Event'"),
    |report| {
        assert_eq!(statuses(&report)[0], "fail", "{report:#}");
        assert_eq!(field(&report, "membership.pbx-answers", "status"), "fail");
        let summary = field(&report, "membership.pbx-answers", "summary");
        assert!(summary.contains("489 Bad Event from 198.51.100.10:5060 (LabPBX/1.0)"), "{summary}");
        assert!(
            field(&report, "membership.pbx-answers", "remedy").contains("off or not supported"),
            "{report:#}"
        );
        assert_eq!(field(&report, "membership.pbx-notify", "status"), "skip");
    }
);

/// `check --listen` on the PBX host, running while `during` plays on the phone host; its report.
fn check_while(lab: &Lab, pbx: &str, args: &[&str], during: impl FnOnce()) -> Value {
    let child = std::process::Command::new("ip")
        .args(["netns", "exec", pbx])
        .arg(common::mcready_bin())
        .args(["check", "--json", "--phone", "198.51.100.20"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The window is open once the capture's packet socket exists.
    let open = (0..500).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        stdout(&lab.sh(pbx, "cat /proc/net/packet")).lines().count() > 1
    });
    assert!(open, "check never opened its capture");
    during();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

lab_test!(
    a_pbx_answering_only_phones_it_supports_is_credited_with_the_phone_it_answered,
    common::two_hosts(&[common::PYTHON3, common::SIPP]),
    |(mut lab, pbx, phone)| {
        lab.ip(&pbx, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
        lab.ip(&phone, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
        lab.start_pbx(&pbx, "198.51.100.10", "--vendors yealink");
        let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sipp/pnp-subscribe.xml");
        let report = check_while(&lab, &pbx, &["--listen", "2"], || {
            let boot = format!(
                "sipp -sf {scenario} -m 1 -i 198.51.100.20 -p 5060 -key mac 001565aabbcc -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; echo sipp-exit=$?"
            );
            assert!(stdout(&lab.sh(&phone, &boot)).contains("sipp-exit=0"));
        });
        let status = field(&report, "membership.pbx-answers", "status");
        let summary = field(&report, "membership.pbx-answers", "summary");
        assert_eq!(status, "warn", "{summary}\n{report:#}");
        assert!(
            summary.contains(
                "ignored mcready's probe but answered phones heard in the window: 00:15:65:aa:bb:cc"
            ),
            "{summary}"
        );
        let phone_answers = &report["facts"]["listen"]["value"]["phones"][0]["answers"];
        assert_eq!(phone_answers[0]["status"], 200, "{phone_answers:#}");
        assert_eq!(
            phone_answers[1]["url"], "http://198.51.100.10/provisioning/{mac}.cfg",
            "{phone_answers:#}"
        );
        // Probing as the vendor it supports, the PBX answers and is judged as phones get it.
        let report = check(&lab, &pbx, &["--as", "yealink"]);
        assert_eq!(field(&report, "membership.pbx-answers", "status"), "pass", "{report:#}");
        assert_eq!(field(&report, "membership.pbx-notify", "status"), "pass", "{report:#}");
    }
);

lab_test!(two_pnp_services_on_the_pbx_host_warn_naming_both, lab(), |(mut lab, pbx, _phone)| {
    lab.start_pbx(
        &pbx,
        "198.51.100.10",
        "--second-url http://198.51.100.10:8080/other/{mac} --second-delay 50",
    );
    let report = check(&lab, &pbx, &[]);
    assert_eq!(field(&report, "membership.pbx-answers", "status"), "warn", "{report:#}");
    let summary = field(&report, "membership.pbx-answers", "summary");
    assert!(
        summary.starts_with("2 PnP servers answered")
            && summary.contains("(LabPBX/1.0), URL http://198.51.100.10/provisioning/{mac}.cfg")
            && summary.contains("(LabPBX-second/1.0), URL http://198.51.100.10:8080/other/{mac}"),
        "{summary}"
    );
});

lab_test!(
    a_server_answering_after_the_probes_window_is_still_counted_by_the_capture,
    second_server(2000, &["--listen", "2"]),
    |report| {
        let answers = report["facts"]["answers"].as_array().unwrap();
        assert_eq!(answers.len(), 1, "the probe stopped 1 s after the first answer: {report:#}");
        assert_eq!(field(&report, "membership.pbx-answers", "status"), "warn", "{report:#}");
        let summary = field(&report, "membership.pbx-answers", "summary");
        assert!(
            summary.contains("198.51.100.20:5060 (LabPBX/1.0), heard only after the probe's window"),
            "{summary}"
        );
    }
);

lab_test!(
    a_real_sip_server_without_pnp_refusing_fails_membership,
    common::two_hosts(&[common::PYTHON3, common::KAMAILIO]),
    |(mut lab, pbx, _phone)| {
        lab.ip(&pbx, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
        let dir = std::env::temp_dir().join(format!("mcready-kamailio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let template = include_str!("fixtures/lab/kamailio-no-pnp.cfg");
        let config = dir.join("kamailio.cfg");
        std::fs::write(&config, template.replace("LAB_ADDRESS", "198.51.100.10")).unwrap();
        let run = dir.display();
        // In the foreground (-DD), its runtime files in the test's own directory; the lab kills it.
        lab.spawn(
            &pbx,
            &format!(
                "exec kamailio -f {run}/kamailio.cfg -DD -E -m 32 -M 8 -Y {run} -P {run}/k.pid -w {run}"
            ),
        );
        let ready = (0..500).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            stdout(&lab.sh(&pbx, "cat /proc/net/igmp")).contains("4B0100E0") && lab.udp_bound(&pbx, 5060)
        });
        assert!(ready, "kamailio did not start");
        let report = check(&lab, &pbx, &[]);
        assert_eq!(statuses(&report)[0], "fail", "{report:#}");
        assert_eq!(field(&report, "membership.on-pnp-interface", "status"), "pass", "it joined: {report:#}");
        let summary = field(&report, "membership.pbx-answers", "summary");
        assert!(summary.contains("489 Bad Event from 198.51.100.10:5060 (kamailio"), "{summary}");
        let _ = std::fs::remove_dir_all(&dir);
    }
);
