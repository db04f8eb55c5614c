//! Privileges told truthfully: the same passive `check --listen` as nobody with nothing, as nobody with
//! `CAP_NET_RAW` alone (ambient, and as a file capability on a copy of the binary), each in a lab of
//! its own — the report's `privileges` says what the run could do, and with the capability alone the
//! capture hears a booting phone.

#![cfg(target_os = "linux")]

mod common;

use common::{Lab, Program, SETPRIV, SIPP, json, stdout};
use serde_json::Value;

const SETCAP: Program = Program { name: "setcap", package: "libcap2-bin" };

/// pbx (eth0 198.51.100.10/24) and phone (eth0 198.51.100.20/24) on one link, each routing the group by it.
fn link(test: &str, programs: &[Program]) -> Option<(Lab, String, String)> {
    let (lab, pbx, phone) = common::two_hosts(test, programs)?;
    for host in [&pbx, &phone] {
        lab.ip(host, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    }
    Some((lab, pbx, phone))
}

/// `check --json --no-probe --listen 3` run on the PBX host through `run_as` (a `setpriv …` prefix and
/// the binary), while the phone sends PnP SUBSCRIBEs every half second as a booting phone does.
fn passive_check(lab: &Lab, pbx: &str, phone: &str, run_as: &str) -> Value {
    let sipp = format!(
        "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sipp -sf {}/tests/fixtures/sipp/pnp-subscribe.xml -m 1 \
         -i 198.51.100.20 -p 5080 -key mac 001565aabbcc -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; \
         sleep 0.5; done",
        env!("CARGO_MANIFEST_DIR")
    );
    let script = format!("{run_as} check --json --no-probe --listen 3 --phone 198.51.100.20");
    std::thread::scope(|scope| {
        let sender = scope.spawn(|| lab.sh(phone, &sipp));
        let out = lab.sh(pbx, &script);
        let _ = sender.join();
        json(&out)
    })
}

fn nobody(caps: &str) -> String {
    format!("setpriv --reuid=65534 --regid=65534 --clear-groups {caps}")
}

/// The report's privileges, as (allowed) per ability.
fn abilities(report: &Value) -> [bool; 4] {
    let p = &report["facts"]["privileges"];
    ["capture", "raw_igmp", "read_firewall", "socket_owners"]
        .map(|what| p[what]["allowed"].as_bool().unwrap_or_else(|| panic!("no {what}: {report:#}")))
}

/// With `CAP_NET_RAW` alone the capture runs and hears the phone, and the report says so.
fn assert_captured_with_net_raw_alone(report: &Value) {
    assert_eq!(report["host"]["privileged"], false, "host.privileged keeps meaning root");
    let p = &report["facts"]["privileges"];
    assert_eq!(p["admin"], false);
    assert_eq!(p["capabilities"], serde_json::json!(["net_raw"]), "{p:#}");
    assert_eq!(abilities(report), [true, true, false, false], "{p:#}");
    assert!(p["capture"]["reason"].as_str().is_some_and(|r| r.contains("CAP_NET_RAW without root")), "{p:#}");
    let listen = &report["facts"]["listen"];
    assert_eq!(listen["status"], "done", "{listen:#}");
    assert_eq!(listen["value"]["heard_by"], "capture", "{listen:#}");
    let heard: Vec<&str> = report["facts"]["phones"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["source"].as_str())
        .collect();
    assert!(heard.iter().any(|s| s.starts_with("198.51.100.20")), "the capture heard the phone: {report:#}");
}

lab_test!(ambient_net_raw_alone_captures_and_says_so, link(&[SETPRIV, SIPP]), |(lab, pbx, phone)| {
    let run_as = format!(
        "{} {}",
        nobody("--inh-caps=+net_raw --ambient-caps=+net_raw"),
        common::mcready_bin().display()
    );
    assert_captured_with_net_raw_alone(&passive_check(&lab, &pbx, &phone, &run_as));
});

lab_test!(file_capability_net_raw_captures_and_says_so, link(&[SETPRIV, SIPP, SETCAP]), |(
    lab,
    pbx,
    phone,
)| {
    // A copy, so the build's own binary never carries a capability.
    let dir = std::env::temp_dir().join(format!("mcready-fcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("mcready");
    std::fs::copy(common::mcready_bin(), &copy).unwrap();
    let setup = format!(
        "chmod 755 {0} {1} && setcap cap_net_raw+ep {1} && getcap {1}",
        dir.display(),
        copy.display()
    );
    let out = std::process::Command::new("sh").args(["-c", &setup]).output().unwrap();
    assert!(stdout(&out).contains("cap_net_raw"), "setcap: {}", String::from_utf8_lossy(&out.stderr));
    let report =
        passive_check(&lab, &pbx, &phone, &format!("{} {}", nobody("--inh-caps=-all"), copy.display()));
    let _ = std::fs::remove_dir_all(&dir);
    assert_captured_with_net_raw_alone(&report);
});

lab_test!(unprivileged_run_says_what_it_could_not_do, link(&[SETPRIV, SIPP]), |(lab, pbx, phone)| {
    let bin = common::mcready_bin();
    let report =
        passive_check(&lab, &pbx, &phone, &format!("{} {}", nobody("--inh-caps=-all"), bin.display()));
    let p = &report["facts"]["privileges"];
    assert_eq!(
        (p["admin"].as_bool(), p["capabilities"].as_array().map(Vec::len)),
        (Some(false), Some(0)),
        "{p:#}"
    );
    assert_eq!(abilities(&report), [false, false, false, false], "{p:#}");
    assert!(p["capture"]["reason"].as_str().unwrap().contains("setcap cap_net_raw+ep"), "{p:#}");
    // The firewall's answer is the tools' own refusal, not a guess.
    assert!(p["read_firewall"]["reason"].as_str().unwrap().starts_with("refused: "), "{p:#}");
    let text = stdout(&lab.sh(
        &pbx,
        &format!("{} {} check --no-probe --color never", nobody("--inh-caps=-all"), bin.display()),
    ));
    assert!(
        text.contains("privileges (unprivileged): capture no, raw IGMP socket no, firewall rules no"),
        "{text}"
    );
});

lab_test!(root_may_do_everything, link(&[SIPP]), |(lab, pbx, phone)| {
    let report = passive_check(&lab, &pbx, &phone, &common::mcready_bin().display().to_string());
    assert_eq!(report["host"]["privileged"], true);
    let p = &report["facts"]["privileges"];
    assert_eq!(p["admin"], true);
    assert_eq!(abilities(&report)[..2], [true, true], "{p:#}");
    assert_eq!(report["facts"]["listen"]["value"]["heard_by"], "capture");
});
