//! No green without evidence, end to end in the namespace lab: a run without `--peer` or a listening
//! window says the path across the switch and the phones are untested (and a peer test decides them);
//! a run without privileges is WARNING for a Nagios plugin where root's is OK, names what needs root or
//! `CAP_NET_RAW` and says the unreadable firewall once; and on a snooping switch that floods nothing
//! unregistered to the PBX's port, a window with no member on this host hears nothing and says that
//! proves nothing, while `--join` hears the booting phone.

#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Lab, PYTHON3, QUERIER, SETPRIV, SIPP, check_field, json, stdout};
use serde_json::Value;

/// A bridge (snooping, the querier) with the PBX host and a phone host on its ports; returns
/// (lab, switch, pbx, phone).
fn lan(test: &str, programs: &[common::Program]) -> Option<(Lab, String, String, String)> {
    let mut lab = Lab::with(test, programs)?;
    let (switch, pbx, phone) = lab.bridged_pbx_and_phone(QUERIER);
    Some((lab, switch, pbx, phone))
}

/// `args` on the PBX host while the phone host sends the PnP SUBSCRIBE fixture every half second (a
/// booting phone retransmits); returns what mcready printed and its exit code.
fn while_phone_boots(lab: &Lab, pbx: &str, phone: &str, args: &[&str]) -> (String, Option<i32>) {
    let sipp = format!(
        "for i in $(seq 14); do sipp -sf {}/tests/fixtures/sipp/pnp-subscribe.xml -m 1 -i 198.51.100.20 -p 5080 \
         -key mac 001565aabbcc -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; sleep 0.5; done",
        env!("CARGO_MANIFEST_DIR")
    );
    std::thread::scope(|scope| {
        let sender = scope.spawn(|| lab.sh(phone, &sipp));
        let out = lab.mcready(pbx, args);
        let _ = sender.join();
        (stdout(&out), out.status.code())
    })
}

/// `document` against `docs/schemas/<schema>`: the new fields are in the contract.
fn validate(schema: &str, document: &Value) {
    let path = format!("{}/docs/schemas/{schema}", env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("JSON");
    let validator =
        jsonschema::options().should_validate_formats(true).build(&schema).expect("schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(document).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{}\n{document:#}", errors.join("\n"));
}

fn untested_requirements(report: &Value) -> Vec<&str> {
    report["untested"]["requirements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str())
        .collect()
}

lab_test!(without_a_peer_the_path_is_untested_and_a_peer_decides_it, lan(&[PYTHON3]), |(
    mut lab,
    _switch,
    pbx,
    phone,
)| {
    lab.start_pbx(&pbx, "198.51.100.10", "");
    let report = json(&lab.mcready(&pbx, &["check", "--json", "--timeout", "1", "--phone", "198.51.100.20"]));
    // Host-side checks pass, so the requirement's status is pass; what it rests on was not tested.
    assert_eq!(report["requirements"][2]["status"], "pass", "{report:#}");
    assert_eq!(check_field(&report, "multicast.lan-path", "status"), "skip");
    assert_eq!(untested_requirements(&report), ["network-multicast", "phone-pnp"], "{report:#}");
    validate("mcready.report.v1.json", &report);
    let text = stdout(
        &lab.mcready(&pbx, &["check", "--color", "never", "--timeout", "1", "--phone", "198.51.100.20"]),
    );
    assert!(text.contains("\n– The network passes multicast between phones and PBX — untested\n"), "{text}");
    assert!(!text.contains("✔ The network passes multicast"), "{text}");
    let verdict = text.lines().find(|l| l.starts_with("PASS: ")).unwrap_or_default();
    assert!(
        verdict.contains("; untested: network-multicast — test with `--peer IP`")
            && verdict.contains("`--listen 120`")
            && verdict.ends_with("(exit 0)"),
        "{verdict}"
    );

    // A peer on the phones' LAN tests the path: it is no longer untested.
    let log = std::env::temp_dir().join(format!("mcready-evidence-respond-{}.log", std::process::id()));
    lab.spawn_mcready(&phone, &["respond", "-i", "eth0", "--duration", "60"], &log);
    assert!(lab.wait_udp_bound(&phone, 5060), "respond never bound its port");
    let report = json(&lab.mcready(&pbx, &["check", "--json", "--timeout", "1", "--peer", "198.51.100.20"]));
    assert_eq!(check_field(&report, "multicast.lan-path", "status"), "pass", "{report:#}");
    assert_eq!(untested_requirements(&report), ["phone-pnp"], "{report:#}");
});

lab_test!(a_run_without_privileges_is_a_warning_that_names_them, lan(&[PYTHON3, SETPRIV]), |(
    mut lab,
    _switch,
    pbx,
    _phone,
)| {
    lab.start_pbx(&pbx, "198.51.100.10", "");
    let bin = common::mcready_bin();
    let nobody =
        format!("setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all {}", bin.display());
    let check = |prefix: &str, format: &str| {
        let out =
            lab.sh(&pbx, &format!("{prefix} check --format {format} --timeout 1 --phone 198.51.100.20"));
        (stdout(&out), out.status.code())
    };
    let root = bin.display().to_string();
    // Root on this host: OK.
    let (text, code) = check(&root, "nagios");
    assert!(text.starts_with("MCREADY OK - ready for PnP provisioning"), "{text}");
    assert_eq!(code, Some(0), "{text}");
    // The same host unprivileged: never healthier — WARNING, exit 1, naming what needs what.
    let (text, code) = check(&nobody, "nagios");
    let status = text.lines().next().unwrap_or_default();
    assert!(
        status.starts_with("MCREADY WARNING - ready for PnP provisioning; skipped for lack of privilege: "),
        "{text}"
    );
    assert!(status.contains("multicast.host-firewall") && status.contains("need root"), "{status}");
    assert!(status.contains("multicast.igmp-querier") && status.contains("root or CAP_NET_RAW"), "{status}");
    assert_eq!(code, Some(1), "{text}");
    // Prometheus counts the privileged skips; root's run has none.
    let (metrics, _) = check(&nobody, "prometheus");
    let privileged_skips = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("mcready_checks_untested{lacked=\"privilege\"} "))
            .and_then(|n| n.parse::<u32>().ok())
    };
    assert!(privileged_skips(&metrics).is_some_and(|n| n >= 5), "{metrics}");
    assert_eq!(privileged_skips(&check(&root, "prometheus").0), Some(0));
    // The checklist says how to grant them, and why the firewall is unread, once.
    let (text, _) = check(&nobody, "text --color never");
    assert!(text.contains("Skipped for lack of privilege: "), "{text}");
    assert!(text.contains("run mcready with sudo"), "{text}");
    assert!(text.contains("`sudo setcap cap_net_raw+ep $(command -v mcready)`"), "{text}");
    assert_eq!(text.matches("run as root to read it").count(), 1, "{text}");
    assert!(text.contains("The host firewall could not be read (see multicast.host-firewall)."), "{text}");
    let report: Value = serde_json::from_str(&check(&nobody, "json").0).expect("JSON");
    let firewall = report["untested"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == "multicast.host-firewall")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (firewall["lacked"].as_str(), firewall["needs"].as_str()),
        (Some("privilege"), Some("root")),
        "{report:#}"
    );
    validate("mcready.report.v1.json", &report);
});

/// The snooping switch of DESIGN's "Observed on Linux": no unregistered multicast flooded to the PBX's
/// port, so the phone's SUBSCRIBE reaches the PBX host only once something there has joined.
fn pruning_switch(test: &str, programs: &[common::Program]) -> Option<(Lab, String, String)> {
    let (lab, switch, pbx, phone) = lan(test, programs)?;
    lab.bridge_port_mcast_flood(&switch, "p-pbx", false);
    Some((lab, pbx, phone))
}

lab_test!(listen_on_a_pruning_switch_hears_only_with_join, pruning_switch(&[SIPP]), |(lab, pbx, phone)| {
    let (out, code) = while_phone_boots(&lab, &pbx, &phone, &["listen", "--json", "--duration", "4"]);
    let report: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["phones"], Value::Array(Vec::new()), "nothing forwarded: {report:#}");
    assert_eq!(report["not_a_member"], true, "{report:#}");
    validate("mcready.listen.v1.json", &report);
    assert_eq!(code, Some(1));
    let (text, _) = while_phone_boots(&lab, &pbx, &phone, &["listen", "--color", "never", "--duration", "3"]);
    assert!(text.contains("hearing nothing proves nothing") && text.contains("`--join`"), "{text}");

    let (out, code) =
        while_phone_boots(&lab, &pbx, &phone, &["listen", "--json", "--duration", "4", "--join"]);
    let report: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["phones"][0]["mac"], "00:15:65:aa:bb:cc", "{report:#}");
    assert!(report.get("not_a_member").is_none(), "{report:#}");
    validate("mcready.listen.v1.json", &report);
    let actions: Vec<(&str, &str, &str)> = report["own_actions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["action"].as_str().unwrap_or(""),
                a["group"].as_str().unwrap_or(""),
                a["interface"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(actions, [("joined", "224.0.1.75", "eth0"), ("left", "224.0.1.75", "eth0")], "{report:#}");
    assert_eq!(code, Some(0));
    // Left at the end: nothing on the PBX host is a member any more.
    assert!(!stdout(&lab.sh(&pbx, "cat /proc/net/igmp")).contains("4B0100E0"));
});

lab_test!(check_listen_on_a_pruning_switch_says_silence_proves_nothing, pruning_switch(&[SIPP]), |(
    lab,
    pbx,
    phone,
)| {
    let base = ["check", "--json", "--timeout", "1", "--listen", "4", "--phone", "198.51.100.20"];
    let passive: Vec<&str> = base.iter().copied().chain(["--no-probe"]).collect();
    let (out, _) = while_phone_boots(&lab, &pbx, &phone, &passive);
    let report: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["facts"]["phones"], Value::Array(Vec::new()), "{report:#}");
    assert_eq!(
        check_field(&report, "multicast.lan-path", "status"),
        "skip",
        "the path is not passed: {report:#}"
    );
    let summary = check_field(&report, "multicast.lan-path", "summary");
    assert!(summary.contains("proves nothing") && summary.contains("`--join`"), "{summary}");
    let network = report["untested"]["requirements"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["id"] == "network-multicast")
        .cloned()
        .unwrap_or_default();
    assert!(network["how"].as_str().is_some_and(|h| h.contains("--join")), "{report:#}");

    let joined: Vec<&str> = base.iter().copied().chain(["--join"]).collect();
    let (out, code) = while_phone_boots(&lab, &pbx, &phone, &joined);
    let report: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["facts"]["phones"][0]["mac"], "00:15:65:aa:bb:cc", "{report:#}");
    assert_eq!(check_field(&report, "multicast.lan-path", "status"), "pass", "{report:#}");
    assert_eq!(check_field(&report, "phone.pnp-subscribe", "status"), "pass");
    let receiver = |action: &str| {
        report["facts"]["own_actions"].as_array().into_iter().flatten().any(|a| {
            a["action"] == action
                && a["group"] == "224.0.1.75"
                && a["interface"] == "eth0"
                && a["detail"].as_str().is_some_and(|d| d.starts_with("group receiver on port 5060"))
        })
    };
    assert!(receiver("joined") && receiver("left"), "the window's join, recorded and left: {report:#}");
    // No PBX here: pbx-membership fails, whatever the window heard.
    assert_eq!(code, Some(1));
});

lab_test!(join_is_refused_with_no_probe, lan(&[]), |(lab, _switch, pbx, _phone)| {
    for args in [
        &["check", "--listen", "2", "--join", "--no-probe"][..],
        &["--no-probe", "check", "--listen", "2", "--join"][..],
    ] {
        let out = lab.mcready(&pbx, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("--join") && stderr.contains("--no-probe"), "{stderr}");
        assert!(stdout(&out).is_empty(), "nothing ran: {}", stdout(&out));
    }
});
