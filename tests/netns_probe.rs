//! `mcready probe` in network namespaces: against one stand-in PBX, two (a rogue), and none; the probe
//! itself as a phone's would look on the wire (TTL 1, locally administered MAC, diagnostic User-Agent).

#![cfg(target_os = "linux")]

mod common;

use common::{Lab, PYTHON3, json, stdout};

const PBX_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lab/pbx.py");

/// Host `probe` (198.51.100.10) and `count` PBX hosts (198.51.100.2x) on one bridge.
fn lan(lab: &mut Lab, pbx_count: u8) -> String {
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
        lab.spawn(&host, &format!("exec python3 {PBX_SCRIPT} {address}"));
        for _ in 0..300 {
            if stdout(&lab.sh(&host, "cat /proc/net/igmp")).contains("4B0100E0") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
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
    let responders: Vec<&str> =
        doc["answers"].as_array().unwrap().iter().map(|a| a["responder"].as_str().unwrap()).collect();
    assert_eq!(responders, ["198.51.100.21:5060", "198.51.100.22:5060"], "{doc:#}");
    let warning = doc["warnings"][0].as_str().unwrap();
    assert!(warning.starts_with("2 servers answered (198.51.100.21, 198.51.100.22)"), "{warning}");
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
    lab.spawn(
        &prober,
        "exec python3 -c 'import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind((\"224.0.1.75\",5060))\ns.setsockopt(socket.IPPROTO_IP,socket.IP_ADD_MEMBERSHIP,socket.inet_aton(\"224.0.1.75\")+socket.inet_aton(\"198.51.100.10\"))\nd,a=s.recvfrom(65535)\nopen(\"/tmp/mcready-probe-capture.txt\",\"wb\").write(d)'",
    );
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
        captured = std::fs::read_to_string("/tmp/mcready-probe-capture.txt").unwrap_or_default();
        if !captured.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = std::fs::remove_file("/tmp/mcready-probe-capture.txt");
    let message = mcready::sip::parse(captured.as_bytes()).expect("the probe parses");
    assert!(mcready::sip::pnp::is_pnp_subscribe(&message));
    let identity = mcready::sip::pnp::identify_phone(&message);
    let mac = identity.mac.expect("the probe carries a MAC");
    assert!(mac.0[0] & 0x02 != 0 && mac.0[0] & 0x01 == 0, "locally administered unicast: {mac}");
    assert_eq!(identity.vendor.as_deref(), Some("mcready"));
    assert!(message.header("User-Agent").unwrap().contains("multicast readiness diagnostic"));
});
