//! `mcready probe` in network namespaces: against one stand-in PBX, two (a rogue), and none; the probe
//! itself as a phone's would look on the wire (TTL 1, locally administered MAC, diagnostic User-Agent).
//! Issue 24: a server refusing with 489 is no answer; two services on one host are two responders; a
//! PBX answering only the vendors it supports answers `--as` that vendor; a late server and a second
//! one 500 ms after the first are caught in the stated window; `--mac` takes only a local MAC.

#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Lab, PYTHON3, json, stdout};

/// Host `probe` (198.51.100.10) and `count` PBX hosts (198.51.100.2x) on one bridge.
fn lan(lab: &mut Lab, pbx_count: u8) -> String {
    lan_with(lab, &vec![""; usize::from(pbx_count)])
}

/// Host `probe` (198.51.100.10) and one PBX host (198.51.100.2x) per entry of `pbx_args`, each running
/// the lab PBX with those options.
fn lan_with(lab: &mut Lab, pbx_args: &[&str]) -> String {
    let pbx_count = u8::try_from(pbx_args.len()).unwrap();
    let switch = lab.host("switch");
    lab.bridge(&switch, "br0", &[]);
    let prober = lab.host("prober");
    lab.veth(&switch, "p0", &prober, "eth0");
    lab.bridge_port(&switch, "br0", "p0");
    lab.addr(&prober, "eth0", "198.51.100.10/24");
    lab.ip(&prober, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    for n in 1..=pbx_count {
        let host = lab.host(&format!("pbx{n}"));
        let port = format!("p{n}");
        lab.veth(&switch, &port, &host, "eth0");
        lab.bridge_port(&switch, "br0", &port);
        let address = format!("198.51.100.2{n}");
        lab.addr(&host, "eth0", &format!("{address}/24"));
        let extra = pbx_args[usize::from(n - 1)];
        lab.start_pbx(&host, &address, extra);
    }
    prober
}

lab_test!(one_server_answers_with_its_url, Lab::with(&[PYTHON3]), |mut lab| {
    let prober = lan(&mut lab, 1);
    let out = lab.mcready(&prober, &["probe", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc = json(&out);
    assert_eq!(doc["schema"], "mcready.probe/v1");
    let answers = doc["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 1, "{doc:#}");
    assert_eq!(answers[0]["responder"], "198.51.100.21:5060");
    assert_eq!(answers[0]["status"], 200);
    assert_eq!(answers[0]["user_agent"], "LabPBX/1.0");
    assert_eq!(answers[0]["provisioning_url"], "http://198.51.100.21/provisioning/{mac}.cfg");
    assert_eq!(answers[0]["this_host"], false);
    assert!(answers[0]["response_rtt_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(doc["loopback"]["arrived"], true);
    assert_eq!(doc["warnings"], serde_json::json!([]));
    // Once answered, no retransmission: a final response ends the transaction.
    assert_eq!(doc["sent"].as_array().unwrap().len(), 1, "{doc:#}");
    assert_eq!(doc["sent"][0]["ttl"], 1);
    let actions: Vec<&str> =
        doc["own_actions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert!(
        actions.contains(&"joined") && actions.contains(&"left") && actions.contains(&"sent"),
        "{actions:?}"
    );

    let text = stdout(&lab.mcready(&prober, &["probe", "--color", "never"]));
    assert!(text.contains("198.51.100.21:5060 (LabPBX/1.0) answered 200"), "{text}");
    assert!(text.contains("with http://198.51.100.21/provisioning/{mac}.cfg"), "{text}");
});

lab_test!(two_servers_answer_and_the_second_is_a_warning, Lab::with(&[PYTHON3]), |mut lab| {
    let prober = lan(&mut lab, 2);
    let doc = json(&lab.mcready(&prober, &["probe", "--json"]));
    // Listed in the order they answered, which the two hosts race for.
    let mut responders: Vec<&str> =
        doc["answers"].as_array().unwrap().iter().map(|a| a["responder"].as_str().unwrap()).collect();
    responders.sort_unstable();
    assert_eq!(responders, ["198.51.100.21:5060", "198.51.100.22:5060"], "{doc:#}");
    let warning = doc["warnings"][0].as_str().unwrap();
    assert!(
        warning.starts_with("2 servers answered (198.51.100.21, 198.51.100.22)")
            || warning.starts_with("2 servers answered (198.51.100.22, 198.51.100.21)"),
        "{warning}"
    );
    let text = stdout(&lab.mcready(&prober, &["probe", "--color", "never"]));
    assert!(text.contains("! 2 servers answered"), "{text}");
});

lab_test!(nobody_answers_and_the_probe_is_retransmitted, Lab::new(), |mut lab| {
    let prober = lan(&mut lab, 0);
    let out = lab.mcready(&prober, &["probe", "--json", "--timeout", "1.6"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["answers"], serde_json::json!([]));
    // Timer E: sent at 0, 0.5 s and 1.5 s within a 1.6 s window.
    assert_eq!(doc["sent"].as_array().unwrap().len(), 3, "{doc:#}");
    let md = stdout(&lab.mcready(&prober, &["probe", "--format", "markdown", "--timeout", "0.3"]));
    assert!(md.contains("**No PnP server answered.**"), "{md}");
});

lab_test!(the_probe_looks_like_a_phone_and_names_mcready, Lab::with(&[PYTHON3]), |mut lab| {
    let prober = lan(&mut lab, 0);
    // Capture what leaves the prober: a SUBSCRIBE a PnP server accepts, and an honest one.
    // A file of this process's own: another run of the suite beside this one must not share it.
    let capture_file = std::env::temp_dir().join(format!("mcready-probe-capture-{}.txt", std::process::id()));
    let script = "exec python3 -c 'import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind((\"224.0.1.75\",5060))\ns.setsockopt(socket.IPPROTO_IP,socket.IP_ADD_MEMBERSHIP,socket.inet_aton(\"224.0.1.75\")+socket.inet_aton(\"198.51.100.10\"))\nd,a=s.recvfrom(65535)\nopen(\"CAPTURE_FILE\",\"wb\").write(d)'";
    lab.spawn(&prober, &script.replace("CAPTURE_FILE", &capture_file.display().to_string()));
    // The listener is ready once the kernel lists its join.
    for _ in 0..300 {
        if stdout(&lab.sh(&prober, "cat /proc/net/igmp")).contains("4B0100E0") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = lab.mcready(&prober, &["probe", "--timeout", "0.3"]);
    let mut captured = String::new();
    for _ in 0..200 {
        captured = std::fs::read_to_string(&capture_file).unwrap_or_default();
        if !captured.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = std::fs::remove_file(&capture_file);
    let message = mcready::sip::parse(captured.as_bytes()).expect("the probe parses");
    assert!(mcready::sip::pnp::is_pnp_subscribe(&message));
    let identity = mcready::sip::pnp::identify_phone(&message);
    let mac = identity.mac.expect("the probe carries a MAC");
    assert!(mac.0[0] & 0x02 != 0 && mac.0[0] & 0x01 == 0, "locally administered unicast: {mac}");
    assert_eq!(identity.vendor.as_deref(), Some("mcready"));
    assert!(message.header("User-Agent").unwrap().contains("multicast readiness diagnostic"));
});

lab_test!(a_server_refusing_the_subscribe_is_no_answer, Lab::with(&[PYTHON3]), |mut lab| {
    let prober = lan_with(&mut lab, &["--status '489 Bad Event'"]);
    let out = lab.mcready(&prober, &["probe", "--json"]);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(1), "a refusal is no PnP answer: {doc:#}");
    let answer = &doc["answers"][0];
    assert_eq!(
        (answer["status"].as_u64(), answer["reason"].as_str()),
        (Some(489), Some("Bad Event")),
        "{doc:#}"
    );
    // A final response ends the transaction: no retransmission.
    assert_eq!(doc["sent"].as_array().unwrap().len(), 1, "{doc:#}");
    let text = stdout(&lab.mcready(&prober, &["probe", "--color", "never"]));
    assert!(text.contains("✘ No PnP server answered."), "{text}");
    assert!(
        text.contains("✘ 198.51.100.21:5060 (LabPBX/1.0) answered 489 Bad Event in")
            && text.contains("refused, PnP is off or not supported there"),
        "{text}"
    );
});

lab_test!(two_services_on_one_host_are_both_listed, Lab::with(&[PYTHON3]), |mut lab| {
    let prober =
        lan_with(&mut lab, &["--second-url http://198.51.100.21:8080/other/{mac} --second-delay 60"]);
    let doc = json(&lab.mcready(&prober, &["probe", "--json"]));
    let answers = doc["answers"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = answers
        .iter()
        .map(|a| {
            (
                a["responder"].as_str().unwrap(),
                a["user_agent"].as_str().unwrap(),
                a["provisioning_url"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("198.51.100.21:5060", "LabPBX/1.0", "http://198.51.100.21/provisioning/{mac}.cfg"),
            ("198.51.100.21:5060", "LabPBX-second/1.0", "http://198.51.100.21:8080/other/{mac}"),
        ],
        "{doc:#}"
    );
    let warning = doc["warnings"][0].as_str().unwrap();
    assert!(warning.starts_with("2 servers answered (198.51.100.21:5060 (LabPBX/1.0)"), "{warning}");
    assert!(warning.contains("phones take whichever answers first"), "{warning}");
});

lab_test!(a_pbx_answering_only_its_vendors_answers_the_probe_as_one, Lab::with(&[PYTHON3]), |mut lab| {
    let prober = lan_with(&mut lab, &["--vendors yealink,Grandstream"]);
    let out = lab.mcready(&prober, &["probe", "--json", "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(1), "mcready's own probe is ignored: {}", stdout(&out));
    for vendor in ["yealink", "grandstream"] {
        let out = lab.mcready(&prober, &["probe", "--json", "--as", vendor]);
        let doc = json(&out);
        assert_eq!(out.status.code(), Some(0), "{vendor}: {doc:#}");
        assert_eq!(doc["answers"][0]["status"], 200, "{vendor}: {doc:#}");
    }
    let out = lab.mcready(&prober, &["probe", "--json", "--as", "snom", "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(1), "snom is not on its list: {}", stdout(&out));
});

lab_test!(
    a_late_server_and_a_second_one_are_caught_in_the_stated_window,
    Lab::with(&[PYTHON3]),
    |mut lab| {
        // The first answers after 2.5 s (the old probe gave up at 2 s); the second 500 ms later (the old
        // settle waited at most 300 ms).
        let prober = lan_with(&mut lab, &["--delay 2500", "--delay 3000"]);
        let started = std::time::Instant::now();
        let doc = json(&lab.mcready(&prober, &["probe", "--json"]));
        let elapsed = started.elapsed();
        let responders: Vec<&str> =
            doc["answers"].as_array().unwrap().iter().map(|a| a["responder"].as_str().unwrap()).collect();
        assert_eq!(responders, ["198.51.100.21:5060", "198.51.100.22:5060"], "{doc:#}");
        let warnings = doc["warnings"].to_string();
        assert!(warnings.contains("the first answer came 2.5 s after the first SUBSCRIBE"), "{warnings}");
        // The window closes 1 s after the first answer.
        let waited = doc["waited_ms"].as_f64().unwrap();
        assert!((3400.0..3800.0).contains(&waited), "{waited}");
        assert!(elapsed < std::time::Duration::from_secs(8), "{elapsed:?}");
    }
);

lab_test!(only_a_locally_administered_mac_is_accepted, Lab::new(), |mut lab| {
    let prober = lan(&mut lab, 0);
    for command in ["probe", "check"] {
        let out = lab.mcready(&prober, &[command, "--mac", "00:15:65:aa:bb:cc"]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        let error = String::from_utf8_lossy(&out.stderr);
        assert!(error.contains("globally administered"), "{command}: {error}");
    }
    let out = lab.mcready(&prober, &["probe", "--json", "--mac", "02:00:00:5e:10:01", "--timeout", "0.3"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
});
