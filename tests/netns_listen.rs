//! `mcready listen` in a namespace lab: a PBX host (198.51.100.10) and a phone host (198.51.100.7)
//! on one veth link; the phone is sipp sending a PnP SUBSCRIBE shaped like the fixtures to
//! 224.0.1.75:5060 (a multicast route in the phone's namespace sends it out of eth0). Listen must hear
//! it plainly, past a process holding 5060 exclusively, past an nftables drop (reporting
//! `captured_not_delivered`), among junk, as one phone across retransmissions, and without
//! `CAP_NET_RAW` (socket only, said in `limits`). Real output is validated against the schema.
#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Output, Stdio};

use common::{Lab, NFT, PYTHON3, Program, SETPRIV, SIPP, json, stdout};
use serde_json::Value;

const PHONE_MAC: &str = "001565aabbcc";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/sipp/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The PBX host and the phone host on one link; the phone routes the group out of eth0. The test runs
/// `programs` (a phone is sipp).
fn pbx_and_phone(test: &str, programs: &[Program]) -> Option<(Lab, String, String)> {
    let mut lab = Lab::with(test, programs)?;
    let pbx = lab.host("pbx");
    let phone = lab.host("phone");
    lab.veth(&pbx, "eth0", &phone, "eth0");
    lab.addr(&pbx, "eth0", "198.51.100.10/24");
    lab.addr(&phone, "eth0", "198.51.100.7/24");
    lab.ip(&phone, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    Some((lab, pbx, phone))
}

/// Starts `mcready listen --json` in `ns` (through `prefix`, e.g. setpriv) and waits until it listens:
/// a packet socket (the capture) or, with `socket_only`, a UDP socket on 5060 exists in `ns`.
fn start_listen(lab: &Lab, ns: &str, prefix: &[&str], secs: &str, socket_only: bool) -> Child {
    let child = Command::new("ip")
        .args(["netns", "exec", ns])
        .args(prefix)
        .arg(common::mcready_bin())
        .args(["listen", "-i", "eth0", "--duration", secs, "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mcready listen");
    let ready = if socket_only {
        lab.wait_udp_bound(ns, 5060)
    } else {
        (0..500).any(|_| {
            let packet = stdout(&lab.sh(ns, "cat /proc/net/packet"));
            std::thread::sleep(std::time::Duration::from_millis(10));
            packet.lines().count() > 1
        })
    };
    assert!(ready, "listen never opened its socket in {ns}");
    // Where a PBX had joined, the group receiver joins right after the capture opens; give the join a
    // moment to be in place by polling the kernel's membership list — bounded in time, not in rounds, so
    // a loaded machine (each poll is a process) does not eat the window of a capture-only run.
    let until = std::time::Instant::now() + std::time::Duration::from_millis(500);
    while !socket_only && std::time::Instant::now() < until {
        if stdout(&lab.sh(ns, "cat /proc/net/igmp")).contains("4B0100E0") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child
}

/// sipp in the phone's namespace: one call of `scenario` to the group; returns its exit status.
fn sipp(lab: &Lab, phone: &str, scenario: &str, mac: &str) -> Output {
    let script = format!(
        "sipp -sf {} -m 1 -i 198.51.100.7 -p 5060 -key mac {mac} -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; echo sipp-exit=$?",
        fixture(scenario)
    );
    lab.sh(phone, &script)
}

/// Datagrams from python in the phone's namespace to the group port (junk).
fn send_junk(lab: &Lab, phone: &str, count: u32) {
    let script = format!(
        "python3 -c 'import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind((\"198.51.100.7\",0))\nfor i in range({count}): s.sendto(b\"\\x00\\x01junk \"+bytes([i]),(\"224.0.1.75\",5060))'"
    );
    let out = lab.sh(phone, &script);
    assert!(out.status.success(), "python sender: {}", String::from_utf8_lossy(&out.stderr));
}

fn finish(child: Child) -> (Option<i32>, Value) {
    let out = child.wait_with_output().expect("wait for listen");
    (out.status.code(), json(&out))
}

fn validate(document: &Value) {
    let path = format!("{}/docs/schemas/mcready.listen.v1.json", env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator =
        jsonschema::options().should_validate_formats(true).build(&schema).expect("schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(document).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{}\n{document:#}", errors.join("\n"));
}

/// A 5 s `listen` while the phone sends one PnP SUBSCRIBE: the document, checked against the schema,
/// of a run that heard a phone (exit 0).
fn one_phone_heard(lab: &Lab, pbx: &str, phone: &str) -> Value {
    let child = start_listen(lab, pbx, &[], "5", false);
    sipp(lab, phone, "pnp-subscribe.xml", PHONE_MAC);
    let (code, document) = finish(child);
    validate(&document);
    assert_eq!(code, Some(0), "{document:#}");
    document
}

fn phones(document: &Value) -> &Vec<Value> {
    document["phones"].as_array().expect("phones array")
}

lab_test!(listen_hears_a_sipp_phone_and_matches_the_schema, pbx_and_phone(&[PYTHON3, SIPP]), |(
    mut lab,
    pbx,
    phone,
)| {
    // A PBX joined the group here, so mcready's own join changes nothing and its socket proves delivery.
    lab.join(&pbx, "224.0.1.75", "198.51.100.10");
    let child = start_listen(&lab, &pbx, &[], "3", false);
    let sent = sipp(&lab, &phone, "pnp-subscribe.xml", PHONE_MAC);
    assert!(stdout(&sent).contains("sipp-exit=0"), "sipp: {}", stdout(&sent));
    let (code, document) = finish(child);
    validate(&document);
    assert_eq!(code, Some(0), "{document:#}");
    assert_eq!(document["heard_by"], "both");
    let found = phones(&document);
    assert_eq!(found.len(), 1, "{document:#}");
    let p = &found[0];
    assert_eq!(p["mac"], "00:15:65:aa:bb:cc");
    assert_eq!(p["vendor"], "yealink");
    assert_eq!(p["model"], "W52P");
    assert_eq!(p["firmware"], "25.81.0.10");
    assert_eq!(p["source"], "198.51.100.7:5060");
    assert_eq!(p["ttl"], 1);
    assert_eq!(p["interface"], "eth0");
    assert_eq!(p["same_subnet"], true);
    assert_eq!(p["subscribes"], 1);
    assert_eq!(document["lan_multicast_heard"], true);
    assert_eq!(document["captured_not_delivered"], serde_json::json!([]));
    let actions = document["own_actions"].as_array().unwrap();
    assert!(actions.iter().any(|a| a["action"] == "joined") && actions.iter().any(|a| a["action"] == "left"));
});

// Never change what is measured: nothing on this host joined the group, so `listen` does not either
// (a join would let a socket bound elsewhere hear phones): it hears by capture alone, and says so.
lab_test!(listen_does_not_join_where_nothing_had, pbx_and_phone(&[SIPP]), |(lab, pbx, phone)| {
    let document = one_phone_heard(&lab, &pbx, &phone);
    assert_eq!(document["heard_by"], "capture");
    assert_eq!(phones(&document).len(), 1);
    assert_eq!(document["own_actions"], serde_json::json!([]), "{document:#}");
    assert!(document["limits"].to_string().contains("did not join 224.0.1.75 on eth0"), "{document:#}");
});

lab_test!(listen_hears_past_a_process_holding_the_port_exclusively, pbx_and_phone(&[PYTHON3, SIPP]), |(
    mut lab,
    pbx,
    phone,
)| {
    lab.hold_udp_port(&pbx, "0.0.0.0", 5060, false);
    lab.join(&pbx, "224.0.1.75", "198.51.100.10");
    let document = one_phone_heard(&lab, &pbx, &phone);
    assert_eq!(document["heard_by"], "capture");
    assert_eq!(phones(&document).len(), 1);
    let limits = document["limits"].to_string();
    assert!(limits.contains("EADDRINUSE"), "{limits}");
});

lab_test!(
    listen_reports_a_firewall_drop_as_captured_not_delivered,
    pbx_and_phone(&[NFT, PYTHON3, SIPP]),
    |(mut lab, pbx, phone)| {
        // A PBX joined the group: delivery is proved by mcready's socket beside it.
        lab.join(&pbx, "224.0.1.75", "198.51.100.10");
        lab.drop_udp_input(&pbx, 5060);
        let document = one_phone_heard(&lab, &pbx, &phone);
        assert_eq!(phones(&document).len(), 1);
        assert_eq!(document["captured_not_delivered"], serde_json::json!(["198.51.100.7:5060"]));
    }
);

lab_test!(listen_counts_junk_and_still_lists_phones, pbx_and_phone(&[PYTHON3, SIPP]), |(lab, pbx, phone)| {
    let child = start_listen(&lab, &pbx, &[], "5", false);
    send_junk(&lab, &phone, 2);
    sipp(&lab, &phone, "pnp-subscribe.xml", PHONE_MAC);
    send_junk(&lab, &phone, 1);
    let (code, document) = finish(child);
    validate(&document);
    assert_eq!(code, Some(0));
    assert_eq!(document["junk"], 3, "{document:#}");
    assert_eq!(phones(&document).len(), 1);
});

lab_test!(retransmissions_are_one_phone_with_two_subscribes, pbx_and_phone(&[SIPP]), |(lab, pbx, phone)| {
    let child = start_listen(&lab, &pbx, &[], "3", false);
    sipp(&lab, &phone, "pnp-retransmit.xml", PHONE_MAC);
    let (_, document) = finish(child);
    let found = phones(&document);
    assert_eq!(found.len(), 1, "{document:#}");
    assert_eq!(found[0]["subscribes"], 2);
});

lab_test!(unprivileged_listen_falls_back_to_the_socket_and_says_so, pbx_and_phone(&[SETPRIV, SIPP]), |(
    lab,
    pbx,
    phone,
)| {
    let nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--"];
    let child = start_listen(&lab, &pbx, &nobody, "3", true);
    sipp(&lab, &phone, "pnp-subscribe.xml", PHONE_MAC);
    let (code, document) = finish(child);
    validate(&document);
    assert_eq!(code, Some(0), "{document:#}");
    assert_eq!(document["heard_by"], "socket");
    assert_eq!(phones(&document).len(), 1);
    assert!(document["limits"].to_string().contains("CAP_NET_RAW"), "{document:#}");
});

lab_test!(listen_without_phones_exits_1_and_text_says_so, pbx_and_phone(&[]), |(lab, pbx, _phone)| {
    let out = lab.mcready(&pbx, &["listen", "-i", "eth0", "--duration", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("No phone was heard on eth0"), "{}", stdout(&out));
    let out = lab.mcready(&pbx, &["listen", "-i", "eth0", "--duration", "0.5", "--format", "markdown"]);
    assert!(stdout(&out).starts_with("### mcready listen"), "{}", stdout(&out));
});

lab_test!(listen_sees_this_hosts_own_answers_to_a_phone, pbx_and_phone(&[SIPP]), |(mut lab, pbx, phone)| {
    let log = std::env::temp_dir().join(format!("mcready-{}-answered.log", std::process::id()));
    let url = "http://198.51.100.10/prov/{mac}.cfg";
    lab.spawn_mcready(
        &pbx,
        &["respond", "-i", "eth0", "--url", url, "--any-phone", "--duration", "30"],
        &log,
    );
    assert!(lab.wait_udp_bound(&pbx, 5060), "respond never bound");
    let child = start_listen(&lab, &pbx, &[], "3", false);
    let script = format!(
        "sipp -sf {} -m 1 -i 198.51.100.7 -p 5060 -key mac {PHONE_MAC} -key url http://198.51.100.10/prov/{PHONE_MAC}.cfg -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; echo sipp-exit=$?",
        fixture("pnp-provision.xml")
    );
    let sent = stdout(&lab.sh(&phone, &script));
    assert!(sent.contains("sipp-exit=0"), "{sent}\n{}", std::fs::read_to_string(&log).unwrap_or_default());
    let (_, document) = finish(child);
    let answered = phones(&document)[0]["answered_by"].to_string();
    assert!(
        answered.contains("198.51.100.10:5060 response 200") && answered.contains("NOTIFY"),
        "{document:#}"
    );
    let _ = std::fs::remove_file(&log);
});

lab_test!(two_pnp_services_answering_a_phone_are_listed_apart, pbx_and_phone(&[PYTHON3, SIPP]), |(
    mut lab,
    pbx,
    phone,
)| {
    lab.start_pbx(
        &pbx,
        "198.51.100.10",
        "--second-url http://198.51.100.10:8080/other/{mac} --second-delay 20",
    );
    let child = start_listen(&lab, &pbx, &[], "3", false);
    let sent = stdout(&sipp(&lab, &phone, "pnp-subscribe.xml", PHONE_MAC));
    assert!(sent.contains("sipp-exit=0"), "{sent}");
    let (_, document) = finish(child);
    validate(&document);
    let phone = &phones(&document)[0];
    // `answered_by` stays as it was: one line per address and message.
    let answered_by = phone["answered_by"].to_string();
    assert!(answered_by.contains("198.51.100.10:5060 response 200"), "{document:#}");
    let software: Vec<&str> = phone["answers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["message"] == "response")
        .map(|a| a["software"].as_str().unwrap())
        .collect();
    assert_eq!(software, ["LabPBX/1.0", "LabPBX-second/1.0"], "{document:#}");
    let urls: Vec<&str> =
        phone["answers"].as_array().unwrap().iter().filter_map(|a| a["url"].as_str()).collect();
    assert_eq!(
        urls,
        ["http://198.51.100.10/provisioning/{mac}.cfg", "http://198.51.100.10:8080/other/{mac}"],
        "{document:#}"
    );
});

/// The stages of the one phone a document lists, as `stage:result` pairs in order.
fn stage_results(document: &Value) -> Vec<String> {
    phones(document)[0]["stages"]
        .as_array()
        .expect("stages array")
        .iter()
        .map(|s| format!("{}:{}", s["stage"].as_str().unwrap(), s["result"].as_str().unwrap()))
        .collect()
}

/// The stage of `kind` (the first one) of the one phone a document lists.
fn stage<'a>(document: &'a Value, kind: &str) -> &'a Value {
    phones(document)[0]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == kind)
        .unwrap_or_else(|| panic!("no {kind} stage: {document:#}"))
}

/// A phone's whole provisioning against the lab PBX (started with `pbx_args`), while `listen` runs on
/// the PBX host: PnP by sipp (expecting the NOTIFY to carry `url`), the file by `fetch` (a shell command
/// in the phone's namespace: curl for HTTP, HTTPS and TFTP), then, with `register`, a REGISTER by sipp
/// with the account 1001/secret. The listen document, checked against the schema.
fn provision(test: &str, pbx_args: &str, url: &str, fetch: &str, register: bool) -> Option<Value> {
    let (lab, pbx, phone) = pbx_and_phone(test, &[PYTHON3, SIPP])?;
    Some(provision_in(lab, (&pbx, &phone), pbx_args, (url, fetch, register), ("5", None)))
}

/// [`provision`] in a lab already built, listening `secs`; with `pcap`, tshark records the PBX host's
/// link meanwhile.
fn provision_in(
    mut lab: Lab,
    (pbx, phone): (&str, &str),
    pbx_args: &str,
    (url, fetch, register): (&str, &str, bool),
    (secs, pcap): (&str, Option<&std::path::Path>),
) -> Value {
    let (pbx, phone) = (pbx.to_owned(), phone.to_owned());
    let recorder = pcap.map(|path| {
        let recorder = Command::new("ip")
            .args(["netns", "exec", &pbx, "tshark", "-q", "-i", "eth0", "-w"])
            .arg(path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tshark");
        // tshark creates its file once it captures.
        for _ in 0..500 {
            if path.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        recorder
    });
    lab.start_pbx(&pbx, "198.51.100.10", &format!("--fill-mac {pbx_args}"));
    let child = start_listen(&lab, &pbx, &[], secs, false);
    phone_provisions(&lab, &phone, fetch, register);
    let (_, document) = finish(child);
    validate(&document);
    if let Some(mut recorder) = recorder {
        // `ip netns exec` became tshark: SIGINT makes it close the file whole.
        Command::new("kill").args(["-INT", &recorder.id().to_string()]).status().expect("kill");
        recorder.wait().expect("wait for tshark");
    }
    let urls: Vec<&str> = phones(&document)[0]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["url"].as_str())
        .collect();
    assert_eq!(urls, [url], "the NOTIFY's URL: {document:#}");
    document
}

/// The phone's part of a provisioning: PnP by sipp (the NOTIFY must carry a URL), the file by
/// `fetch`, then with `register` a REGISTER by sipp with the account 1001/secret.
fn phone_provisions(lab: &Lab, phone: &str, fetch: &str, register: bool) {
    let script = format!(
        "sipp -sf {} -m 1 -i 198.51.100.7 -p 5060 -key mac {PHONE_MAC} -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; echo sipp-exit=$?",
        fixture("pnp-provision.xml")
    );
    let sent = stdout(&lab.sh(phone, &script));
    assert!(sent.contains("sipp-exit=0"), "the phone was not provisioned: {sent}");
    lab.sh(phone, &format!("{fetch} >/dev/null 2>&1"));
    if register {
        let script = format!(
            "sipp -sf {} -m 1 -i 198.51.100.7 -p 5060 -au 1001 -ap secret -nostdin -timeout 5s 198.51.100.10:5060 >/dev/null 2>&1",
            fixture("register.xml")
        );
        lab.sh(phone, &script);
    }
}

const FILE_URL: &str = "http://198.51.100.10/provisioning/001565aabbcc.cfg";

fn curl(url: &str) -> String {
    format!("curl -s -o /dev/null --max-time 3 {url}")
}

const THROUGH: [&str; 7] = [
    "subscribe:ok",
    "answer:ok",
    "notify:ok",
    "file-request:ok",
    "file-answer:ok",
    "register:ok",
    "register-answer:ok",
];

lab_test!(
    stages_follow_a_phone_through_its_file_and_registration,
    provision("--register challenge", FILE_URL, &curl(FILE_URL), true),
    |document| {
        assert_eq!(stage_results(&document), THROUGH, "{document:#}");
        let request = stage(&document, "file-request");
        assert_eq!(
            (request["method"].as_str(), request["path"].as_str()),
            (Some("GET"), Some("/provisioning/001565aabbcc.cfg"))
        );
        assert_eq!(request["peer"], "198.51.100.10:80");
        let answer = stage(&document, "file-answer");
        assert_eq!(answer["status"], 200);
        assert!(answer["bytes"].as_u64().unwrap() > 0, "{answer:#}");
        let registered = stage(&document, "register-answer");
        assert_eq!(registered["status"], 200);
        assert!(
            registered["detail"].as_str().unwrap().contains("after a digest challenge"),
            "{registered:#}"
        );
        let stages = phones(&document)[0]["stages"].as_array().unwrap();
        let times: Vec<u64> = stages.iter().map(|s| s["at_ms"].as_u64().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "stages in time order: {times:?}");
    }
);

/// A file refused: `failed` at the file's answer with the status, and nothing judged past it.
fn file_refused(document: &Value, status: u64) {
    let answer = stage(document, "file-answer");
    assert_eq!(
        (answer["result"].as_str(), answer["status"].as_u64()),
        (Some("failed"), Some(status)),
        "{document:#}"
    );
    assert!(!stage_results(document).iter().any(|s| s.starts_with("register")), "{document:#}");
}

lab_test!(
    a_file_not_found_fails_at_its_stage,
    provision("--http notfound", FILE_URL, &curl(FILE_URL), false),
    |document| {
        file_refused(&document, 404);
    }
);

lab_test!(
    a_file_behind_credentials_fails_at_its_stage,
    provision("--http digest", FILE_URL, &curl(FILE_URL), false),
    |document| {
        file_refused(&document, 401);
    }
);

// A phone asks within seconds of the NOTIFY: 10 s of silence after it is "not seen"; less is unfinished.
lab_test!(a_url_never_fetched_is_not_seen_at_the_file_request, pbx_and_phone(&[PYTHON3, SIPP]), |(
    lab,
    pbx,
    phone,
)| {
    let document = provision_in(lab, (&pbx, &phone), "", (FILE_URL, "true", false), ("12", None));
    let request = stage(&document, "file-request");
    assert_eq!(request["result"], "not-seen", "{document:#}");
    assert!(request["detail"].as_str().unwrap().contains("unreachable from the phones"), "{request:#}");
});

lab_test!(a_url_not_fetched_yet_is_unfinished, provision("", FILE_URL, "true", false), |document| {
    let request = stage(&document, "file-request");
    assert_eq!(request["result"], "unfinished", "{document:#}");
    assert!(request["detail"].as_str().unwrap().contains("listen longer"), "{request:#}");
});

lab_test!(
    a_file_on_another_host_is_not_visible_here,
    provision(
        "--url http://198.51.100.99/p/001565aabbcc.cfg",
        "http://198.51.100.99/p/001565aabbcc.cfg",
        "true",
        false
    ),
    |document| {
        assert_eq!(stage(&document, "file-request")["result"], "not-visible", "{document:#}");
        // The registrar is then unknown too: not visible, never "stopped".
        assert_eq!(stage(&document, "register")["result"], "not-visible", "{document:#}");
    }
);

const TFTP_URL: &str = "tftp://198.51.100.10/001565aabbcc.cfg";

lab_test!(
    a_tftp_file_is_followed_to_its_data,
    provision("--tftp serve", TFTP_URL, &curl(TFTP_URL), false),
    |document| {
        let request = stage(&document, "file-request");
        assert_eq!(
            (request["protocol"].as_str(), request["path"].as_str()),
            (Some("tftp"), Some("001565aabbcc.cfg"))
        );
        let answer = stage(&document, "file-answer");
        assert_eq!(answer["result"], "ok", "{document:#}");
        assert!(answer["bytes"].as_u64().unwrap() > 0, "{answer:#}");
        assert_eq!(stage(&document, "register")["result"], "not-visible", "{document:#}");
    }
);

lab_test!(
    a_tftp_error_fails_at_the_file_answer,
    provision("--tftp refuse", TFTP_URL, &curl(TFTP_URL), false),
    |document| {
        let answer = stage(&document, "file-answer");
        assert_eq!(
            (answer["result"].as_str(), answer["status"].as_u64()),
            (Some("failed"), Some(1)),
            "{document:#}"
        );
        assert!(answer["detail"].as_str().unwrap().contains("file not found"), "{answer:#}");
    }
);

/// A self-signed certificate for `pbx.lab` and 198.51.100.10 (PEM files in a fresh directory): the
/// phone trusts it only when given it (`--cacert`).
fn self_signed(test: &str) -> std::path::PathBuf {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["pbx.lab".to_owned(), "198.51.100.10".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("mcready-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), signing_key.serialize_pem()).unwrap();
    dir
}

/// A phone fetching its file over HTTPS by the name `pbx.lab` (so its `ClientHello` carries it), with
/// curl's `options`.
fn https(test: &str, options: &str) -> Option<Value> {
    let dir = self_signed(test);
    let pbx_args = format!("--https {} {}", dir.join("cert.pem").display(), dir.join("key.pem").display());
    let url = "https://198.51.100.10/provisioning/001565aabbcc.cfg";
    let fetch = format!(
        "curl -s -o /dev/null --max-time 3 --resolve pbx.lab:443:198.51.100.10 {} https://pbx.lab/provisioning/001565aabbcc.cfg",
        options.replace("CERT", &dir.join("cert.pem").display().to_string())
    );
    let document = provision(test, &pbx_args, url, &fetch, false);
    let _ = std::fs::remove_dir_all(&dir);
    document
}

lab_test!(a_trusted_certificate_completes_the_handshake, https("--cacert CERT"), |document| {
    let request = stage(&document, "file-request");
    assert_eq!(
        (request["protocol"].as_str(), request["server_name"].as_str()),
        (Some("https"), Some("pbx.lab"))
    );
    let answer = stage(&document, "file-answer");
    assert_eq!(
        (answer["result"].as_str(), answer["tls_version"].as_str()),
        (Some("ok"), Some("TLS 1.3")),
        "{document:#}"
    );
});

// OpenSSL (curl's) sends its alert before it switches its own writes to the handshake keys, so even
// over TLS 1.3 this phone's refusal is readable; a phone that encrypts it is unit-tested
// (`observe::stages`).
lab_test!(an_untrusted_certificate_over_tls_1_3_fails_at_the_handshake, https(""), |document| {
    let answer = stage(&document, "file-answer");
    assert_eq!(
        (answer["result"].as_str(), answer["tls_version"].as_str()),
        (Some("failed"), Some("TLS 1.3")),
        "{document:#}"
    );
    assert_eq!(answer["alert"], "fatal unknown_ca (48)", "{answer:#}");
});

lab_test!(an_untrusted_certificate_over_tls_1_2_names_the_alert, https("--tls-max 1.2"), |document| {
    let answer = stage(&document, "file-answer");
    assert_eq!(
        (answer["result"].as_str(), answer["tls_version"].as_str()),
        (Some("failed"), Some("TLS 1.2")),
        "{document:#}"
    );
    assert_eq!(answer["alert"], "fatal unknown_ca (48)", "{answer:#}");
    assert!(answer["detail"].as_str().unwrap().contains("does not trust"), "{answer:#}");
});

lab_test!(
    a_register_refused_fails_at_its_answer,
    provision("--register forbidden", FILE_URL, &curl(FILE_URL), true),
    |document| {
        let answer = stage(&document, "register-answer");
        assert_eq!(
            (answer["result"].as_str(), answer["status"].as_u64()),
            (Some("failed"), Some(403)),
            "{document:#}"
        );
    }
);

lab_test!(
    a_challenge_never_met_fails_at_the_register_answer,
    provision("--register challenge-only", FILE_URL, &curl(FILE_URL), true),
    |document| {
        let answer = stage(&document, "register-answer");
        assert_eq!(
            (answer["result"].as_str(), answer["status"].as_u64()),
            (Some("failed"), Some(401)),
            "{document:#}"
        );
        assert!(answer["detail"].as_str().unwrap().contains("never followed by success"), "{answer:#}");
    }
);

lab_test!(no_register_is_not_visible_here, provision("", FILE_URL, &curl(FILE_URL), false), |document| {
    assert_eq!(stage(&document, "file-answer")["result"], "ok", "{document:#}");
    let register = stage(&document, "register");
    assert_eq!(register["result"], "not-visible", "{document:#}");
    assert!(register["detail"].as_str().unwrap().contains("another host"), "{register:#}");
});

/// tshark's fields of every frame of a pcap (tab-separated, one line a frame).
fn tshark_fields(path: &std::path::Path, fields: &[&str]) -> Vec<Vec<String>> {
    let mut command = Command::new("tshark");
    command.args(["-n", "-r"]).arg(path).args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a"]);
    for field in fields {
        command.args(["-e", field]);
    }
    let out = command.output().expect("run tshark");
    assert!(out.status.success(), "tshark: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split('\t').map(str::to_owned).collect()).collect()
}

/// Every frame of three whole provisionings (HTTP with a challenged REGISTER, TFTP, HTTPS refused over
/// TLS 1.2), recorded by tshark on the PBX host: tshark decodes each with no malformed mark and no
/// expert error, and reads what the stages say — method and path, status, TFTP file, server name, alert.
#[test]
fn tshark_decodes_every_frame_of_a_provisioning_as_the_stages_read_it() {
    let test = "tshark_decodes_every_frame_of_a_provisioning_as_the_stages_read_it";
    let dir = self_signed(test);
    let https_args = format!("--https {} {}", dir.join("cert.pem").display(), dir.join("key.pem").display());
    let https_url = "https://198.51.100.10/provisioning/001565aabbcc.cfg";
    let https_fetch = "curl -s -o /dev/null --max-time 3 --tls-max 1.2 --resolve pbx.lab:443:198.51.100.10 https://pbx.lab/provisioning/001565aabbcc.cfg";
    let scenarios = [
        ("http", "--register challenge".to_owned(), FILE_URL, curl(FILE_URL), true),
        ("tftp", "--tftp refuse".to_owned(), TFTP_URL, curl(TFTP_URL), false),
        ("https", https_args, https_url, https_fetch.to_owned(), false),
    ];
    let mut protocols = String::new();
    for (name, pbx_args, url, fetch, register) in scenarios {
        let Some((lab, pbx, phone)) = pbx_and_phone(test, &[PYTHON3, SIPP, common::TSHARK]) else { return };
        let pcap = dir.join(format!("{name}.pcap"));
        let document =
            provision_in(lab, (&pbx, &phone), &pbx_args, (url, &fetch, register), ("5", Some(&pcap)));
        let fields = [
            "frame.protocols",
            "_ws.malformed",
            "_ws.expert.severity",
            "http.request.method",
            "http.request.uri",
            "http.response.code",
            "tftp.source_file",
            "tftp.error.code",
            "tls.handshake.extensions_server_name",
            "tls.alert_message.desc",
            "sip.Method",
            "sip.Status-Code",
        ];
        let rows = tshark_fields(&pcap, &fields);
        assert!(!rows.is_empty(), "{name}: nothing recorded");
        let column = |at: usize| -> Vec<String> {
            rows.iter().filter_map(|r| r.get(at)).filter(|v| !v.is_empty()).cloned().collect()
        };
        assert_eq!(column(1), Vec::<String>::new(), "{name}: malformed frames");
        // 8388608 (0x800000) is an expert error; notes and chats (a SYN, a FIN, a 404) are fine.
        assert!(!column(2).iter().any(|s| s.split(',').any(|v| v == "8388608")), "{name}: {:?}", column(2));
        protocols.push_str(&column(0).join(" "));
        let request = stage(&document, "file-request");
        let answer = stage(&document, "file-answer");
        match name {
            "http" => {
                assert_eq!(column(3), ["GET"]);
                assert_eq!(column(4), [request["path"].as_str().unwrap()]);
                assert_eq!(column(5), [answer["status"].to_string()]);
                assert!(column(10).contains(&"REGISTER".to_owned()), "{:?}", column(10));
                let statuses = column(11).join(",");
                assert!(statuses.contains("401") && statuses.contains("200"), "{statuses}");
            }
            "tftp" => {
                assert_eq!(column(6), [request["path"].as_str().unwrap()]);
                assert_eq!(column(7), [answer["status"].to_string()]);
            }
            _ => {
                assert_eq!(column(8), [request["server_name"].as_str().unwrap()]);
                // tshark names the alert by its number: 48 is unknown_ca.
                assert_eq!(column(9), ["48"]);
                assert_eq!(answer["alert"], "fatal unknown_ca (48)");
            }
        }
    }
    for protocol in ["sip", "http", "tftp", "tls"] {
        assert!(protocols.split([' ', ':']).any(|p| p == protocol), "tshark never decoded {protocol}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `check --listen` on the PBX host (with `format`: `--json`, or `-v` for text) while the phone
/// provisions; its output.
fn check_while_provisioning_as(
    lab: &Lab,
    (pbx, phone): (&str, &str),
    format: &str,
    register: bool,
) -> Output {
    let child = Command::new("ip")
        .args(["netns", "exec", pbx])
        .arg(common::mcready_bin())
        .args(["check", "-i", "eth0", format, "--listen", "3", "--timeout", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mcready check");
    // The window is open once the capture's packet socket exists.
    let open = (0..500).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        stdout(&lab.sh(pbx, "cat /proc/net/packet")).lines().count() > 1
    });
    assert!(open, "check never opened its capture");
    phone_provisions(lab, phone, &curl(FILE_URL), register);
    child.wait_with_output().expect("wait for check")
}

/// `check --listen --json` while the phone provisions; the report.
fn check_while_provisioning(lab: &Lab, ends: (&str, &str), register: bool) -> Value {
    json(&check_while_provisioning_as(lab, ends, "--json", register))
}

/// Ends the lab PBX in `ns` (found by its command line among the namespace's processes, ended by id).
fn stop_pbx(lab: &Lab, ns: &str) {
    let pids = Command::new("ip").args(["netns", "pids", ns]).output().expect("ip netns pids");
    for pid in String::from_utf8_lossy(&pids.stdout).split_whitespace() {
        let command = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&command).contains("pbx.py") {
            Command::new("kill").arg(pid).status().expect("kill");
        }
    }
    let stopped = (0..300).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        !lab.udp_bound(ns, 5060)
    });
    assert!(stopped, "the lab PBX did not stop");
}

// The fixes, applied: the file served at its path and the account accepted turn both checks green.
lab_test!(
    check_judges_the_file_and_the_registration_and_turns_green_when_fixed,
    pbx_and_phone(&[PYTHON3, SIPP]),
    |(mut lab, pbx, phone)| {
        lab.start_pbx(&pbx, "198.51.100.10", "--fill-mac --http notfound");
        let report = check_while_provisioning(&lab, (&pbx, &phone), false);
        assert_eq!(common::check_field(&report, "phone.file-requested", "status"), "pass", "{report:#}");
        assert_eq!(common::check_field(&report, "phone.file-fetched", "status"), "fail", "{report:#}");
        let summary = common::check_field(&report, "phone.file-fetched", "summary");
        assert!(summary.contains("00:15:65:aa:bb:cc") && summary.contains("HTTP 404"), "{summary}");
        assert!(
            common::check_field(&report, "phone.file-fetched", "remedy").contains("no file at that path")
        );
        let stages =
            report["facts"]["listen"]["value"]["phones"][0]["stages"].as_array().expect("stages in facts");
        assert!(stages.iter().any(|s| s["stage"] == "file-answer" && s["status"] == 404), "{report:#}");
        // The file now at its path; the registrar refuses the account.
        stop_pbx(&lab, &pbx);
        lab.start_pbx(&pbx, "198.51.100.10", "--fill-mac --register forbidden");
        let report = check_while_provisioning(&lab, (&pbx, &phone), true);
        assert_eq!(common::check_field(&report, "phone.file-fetched", "status"), "pass", "{report:#}");
        assert_eq!(common::check_field(&report, "phone.registration", "status"), "warn", "{report:#}");
        assert!(common::check_field(&report, "phone.registration", "summary").contains("403"));
        // The account accepted.
        stop_pbx(&lab, &pbx);
        lab.start_pbx(&pbx, "198.51.100.10", "--fill-mac --register ok");
        let report = check_while_provisioning(&lab, (&pbx, &phone), true);
        assert_eq!(common::check_field(&report, "phone.registration", "status"), "pass", "{report:#}");
        assert_eq!(common::check_field(&report, "phone.tls-handshake", "status"), "skip", "{report:#}");
    }
);

// A URL on a port the capture does not follow by default: the NOTIFY names it, the kernel filter grows
// to it, and the phone's request is followed there (python's http.server answers 404 for the path).
lab_test!(the_capture_follows_the_port_a_notify_names, pbx_and_phone(&[PYTHON3, SIPP]), |(
    mut lab,
    pbx,
    phone,
)| {
    let url = "http://198.51.100.10:8081/p/001565aabbcc.cfg";
    lab.spawn(&pbx, "cd / && exec python3 -m http.server 8081 --bind 198.51.100.10");
    assert!(
        (0..300).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            stdout(&lab.sh(&pbx, "cat /proc/net/tcp")).contains(":1F91 00000000:0000 0A")
        }),
        "http.server never listened"
    );
    let document =
        provision_in(lab, (&pbx, &phone), &format!("--url {url}"), (url, &curl(url), false), ("5", None));
    let answer = stage(&document, "file-answer");
    assert_eq!(
        (answer["status"].as_u64(), answer["peer"].as_str()),
        (Some(404), Some("198.51.100.10:8081")),
        "{document:#}"
    );
});

// `check --listen` in text streams each phone's stages as they happen, as `listen` does.
lab_test!(check_text_streams_the_stages_as_they_happen, pbx_and_phone(&[PYTHON3, SIPP]), |(
    mut lab,
    pbx,
    phone,
)| {
    lab.start_pbx(&pbx, "198.51.100.10", "--fill-mac");
    let text = stdout(&check_while_provisioning_as(&lab, (&pbx, &phone), "-v", false));
    for line in [
        "phone 00:15:65:aa:bb:cc SUBSCRIBE ok",
        "phone 00:15:65:aa:bb:cc file request ok: HTTP GET /provisioning/001565aabbcc.cfg to 198.51.100.10:80",
        "phone 00:15:65:aa:bb:cc file answer ok: HTTP 200 OK",
    ] {
        assert!(text.contains(line), "no line {line:?} in:\n{text}");
    }
});

/// Runs `command` (a program and its arguments) in `ns` and waits until mcready's capture is open
/// there (a packet socket exists).
fn start_capturing(lab: &Lab, ns: &str, command: &[&str]) -> Child {
    let child = Command::new("ip")
        .args(["netns", "exec", ns])
        .args(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mcready");
    let open = (0..500).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        stdout(&lab.sh(ns, "cat /proc/net/packet")).lines().count() > 1
    });
    assert!(open, "mcready never opened its capture in {ns}: {command:?}");
    child
}

// Rollout day: `--until 1` ends a 40 s window as soon as the phone has registered (its last visible
// stage), and the document says why it ended.
lab_test!(until_ends_the_window_once_enough_phones_registered, pbx_and_phone(&[PYTHON3, SIPP]), |(
    mut lab,
    pbx,
    phone,
)| {
    lab.start_pbx(&pbx, "198.51.100.10", "--fill-mac --register challenge");
    let bin = common::mcready_bin();
    let child = start_capturing(
        &lab,
        &pbx,
        &[bin.to_str().unwrap(), "listen", "-i", "eth0", "--duration", "40", "--until", "1", "--json"],
    );
    phone_provisions(&lab, &phone, &curl(FILE_URL), true);
    let (code, document) = finish(child);
    validate(&document);
    assert_eq!(code, Some(0), "{document:#}");
    assert_eq!(document["ended_by"], "until", "{document:#}");
    assert!(document["duration_secs"].as_f64().unwrap() < 30.0, "the window ran on: {document:#}");
    assert_eq!(stage(&document, "register-answer")["result"], "ok", "{document:#}");
});

// `--until-all`: a phone whose file is refused (404) goes no further; once no new phone came for 10 s
// the window ends, well before its 60 s. Without it, the window runs its duration (`ended_by`).
lab_test!(until_all_ends_the_window_once_every_phone_heard_is_done, pbx_and_phone(&[PYTHON3, SIPP]), |(
    mut lab,
    pbx,
    phone,
)| {
    lab.start_pbx(&pbx, "198.51.100.10", "--fill-mac --http notfound");
    let bin = common::mcready_bin();
    let child = start_capturing(
        &lab,
        &pbx,
        &[bin.to_str().unwrap(), "listen", "-i", "eth0", "--duration", "60", "--until-all", "--json"],
    );
    phone_provisions(&lab, &phone, &curl(FILE_URL), false);
    let (_, document) = finish(child);
    validate(&document);
    assert_eq!(document["ended_by"], "until-all", "{document:#}");
    let lasted = document["duration_secs"].as_f64().unwrap();
    assert!((10.0..40.0).contains(&lasted), "the window lasted {lasted} s: {document:#}");
    assert_eq!(stage(&document, "file-answer")["status"], 404, "{document:#}");
    let child = start_listen(&lab, &pbx, &[], "1", false);
    let (_, plain) = finish(child);
    assert_eq!(plain["ended_by"], "duration", "{plain:#}");
});

// `check --listen --until 1`: the window ends once the phone registered and the rest of the run is
// done; the listening facts say why.
lab_test!(check_listen_until_ends_its_window_early, pbx_and_phone(&[PYTHON3, SIPP]), |(
    mut lab,
    pbx,
    phone,
)| {
    lab.start_pbx(&pbx, "198.51.100.10", "--fill-mac --register ok");
    let bin = common::mcready_bin();
    let child = start_capturing(
        &lab,
        &pbx,
        &[
            bin.to_str().unwrap(),
            "check",
            "-i",
            "eth0",
            "--json",
            "--listen",
            "40",
            "--until",
            "1",
            "--timeout",
            "1",
        ],
    );
    phone_provisions(&lab, &phone, &curl(FILE_URL), true);
    let report = json(&child.wait_with_output().expect("wait for check"));
    let listened = &report["facts"]["listen"]["value"];
    assert_eq!(listened["ended_by"], "until", "{report:#}");
    assert!(listened["duration_secs"].as_f64().unwrap() < 30.0, "{report:#}");
    assert_eq!(common::check_field(&report, "phone.registration", "status"), "pass", "{report:#}");
});

/// What a terminal shows last: everything after the last "erase below", colours off.
fn last_frame(screen: &str) -> String {
    anstream::adapter::strip_str(screen.rsplit("\x1b[J").next().unwrap_or_default()).to_string()
}

/// `mcready listen` on a pseudo-terminal (`script`) of 100×30 in the PBX's namespace while the phone
/// provisions and registers, with `env` before it; everything the terminal received.
fn listen_on_a_terminal(lab: &Lab, ends: (&str, &str), env: &str) -> String {
    on_a_terminal(lab, ends, &format!("{env} MCREADY listen -i eth0 --duration 40 --until 1"), false)
}

/// `command` (MCREADY standing for the binary) on a pseudo-terminal (`script`) of 100×30 in the PBX's
/// namespace while the phone provisions and registers; with `interrupt`, then Ctrl-C (SIGINT) to
/// mcready. Everything the terminal received.
fn on_a_terminal(lab: &Lab, (pbx, phone): (&str, &str), command: &str, interrupt: bool) -> String {
    let bin = common::mcready_bin().display().to_string();
    let command = format!("stty cols 100 rows 30; {}", command.replace("MCREADY", &bin));
    let child = start_capturing(lab, pbx, &["script", "-qec", &command, "/dev/null"]);
    phone_provisions(lab, phone, &curl(FILE_URL), true);
    if interrupt {
        // The capture's last frames reach the window first.
        std::thread::sleep(std::time::Duration::from_millis(500));
        // mcready itself, found among the namespace's processes by its command line, ended by id.
        let pids = stdout(&Command::new("ip").args(["netns", "pids", pbx]).output().expect("ip netns pids"));
        let mcready = pids.split_whitespace().find(|pid| {
            let command = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            command.split(|b| *b == 0).next() == Some(bin.as_bytes())
        });
        Command::new("kill").args(["-INT", mcready.expect("mcready runs")]).status().expect("kill");
    }
    stdout(&child.wait_with_output().expect("wait for script"))
}

// On a terminal the phones are a table redrawn in place (cursor up, erase below), whose last frame
// shows the phone registered, then the funnel summary; NO_COLOR keeps the table without colours;
// TERM=dumb (no cursor to move) gets the line per event, as a pipe does.
lab_test!(a_terminal_watches_a_live_table_of_the_phones, pbx_and_phone(&[PYTHON3, SIPP]), |(
    mut lab,
    pbx,
    phone,
)| {
    lab.start_pbx(&pbx, "198.51.100.10", "--fill-mac --register challenge");
    let screen = listen_on_a_terminal(&lab, (&pbx, &phone), "TERM=xterm");
    assert!(screen.contains("\x1b[J"), "no redraw in place:\n{screen}");
    let plain = last_frame(&screen);
    assert!(plain.contains("eth0: ended: --until met"), "{plain}");
    assert!(plain.contains("MAC                VENDOR   MODEL  IP"), "{plain}");
    let row = plain.lines().find(|l| l.starts_with("00:15:65:aa:bb:cc")).unwrap_or_else(|| panic!("{plain}"));
    assert!(row.contains("yealink") && row.contains("198.51.100.7") && row.contains("registered"), "{row}");
    assert!(plain.contains("1 phone: 1 registered (the window ended at --until)"), "{plain}");
    assert!(!plain.contains("SUBSCRIBE ok:"), "event lines on a live table:\n{plain}");
    std::fs::write(
        format!("{}/target/live-table-final-frame.txt", env!("CARGO_MANIFEST_DIR")),
        plain.replace("\r\n", "\n"),
    )
    .ok();

    let uncoloured = listen_on_a_terminal(&lab, (&pbx, &phone), "TERM=xterm NO_COLOR=1");
    assert!(uncoloured.contains("\x1b[J") && !uncoloured.contains("\x1b[32m"), "{uncoloured}");

    let dumb = listen_on_a_terminal(&lab, (&pbx, &phone), "TERM=dumb");
    assert!(!dumb.contains("\x1b[J"), "TERM=dumb got a redrawn table:\n{dumb}");
    assert!(dumb.contains("phone 00:15:65:aa:bb:cc SUBSCRIBE ok"), "{dumb}");
});

// Ctrl-C ends a live window: the last frame says so, and the summary still prints, marked interrupted.
// `check --listen` draws the same table.
lab_test!(ctrl_c_keeps_the_live_tables_last_frame_and_its_summary, pbx_and_phone(&[PYTHON3, SIPP]), |(
    mut lab,
    pbx,
    phone,
)| {
    lab.start_pbx(&pbx, "198.51.100.10", "--fill-mac --register challenge");
    let screen = on_a_terminal(&lab, (&pbx, &phone), "TERM=xterm MCREADY listen -i eth0 --duration 40", true);
    let last = last_frame(&screen);
    assert!(last.contains("eth0: interrupted"), "{last}");
    assert!(last.contains("1 phone: 1 registered"), "{last}");
    assert!(last.contains("Interrupted: the window was cut short"), "{last}");

    let command = "TERM=xterm MCREADY check -i eth0 --listen 40 --until 1 --timeout 1";
    let screen = on_a_terminal(&lab, (&pbx, &phone), command, false);
    let last = last_frame(&screen);
    assert!(last.contains("eth0: ended: --until met"), "{last}");
    assert!(last.lines().any(|l| l.starts_with("00:15:65:aa:bb:cc") && l.contains("registered")), "{last}");
});
