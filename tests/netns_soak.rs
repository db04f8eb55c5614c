//! `check --soak` in the namespace lab: the PBX host runs `check --peer`, the phone host `respond`, on a
//! bridge with no IGMP querier. In one LAN multicast stops mid-soak — the "switch" stops forwarding it,
//! as a snooping switch does once it forgets the memberships — and `network-multicast` fails with the
//! timeline, naming the missing querier; in the other it keeps flowing and the soak passes. Nothing is
//! joined during the soak.
#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Lab, stdout};
use serde_json::Value;

/// pbx (198.51.100.10) — switch br0 (no snooping, no querier: it floods multicast) — phone
/// (198.51.100.20, running `mcready respond`).
fn lan(test: &str) -> Option<(Lab, String, String)> {
    let mut lab = Lab::with(test, &[])?;
    let (switch, pbx, phone) = lab.bridged_pbx_and_phone(&["mcast_snooping", "0"]);
    let log = std::env::temp_dir().join(format!("mcready-soak-respond-{test}-{}.log", std::process::id()));
    lab.spawn_mcready(&phone, &["respond", "-i", "eth0", "--duration", "60"], &log);
    assert!(lab.wait_udp_bound(&phone, 5060), "respond never bound its port");
    Some((lab, pbx, switch))
}

fn soak(lab: &Lab, pbx: &str) -> (Value, Option<i32>) {
    let args = [
        "check",
        "--json",
        "--peer",
        "198.51.100.20",
        "--timeout",
        "1",
        "--soak",
        "9",
        "--soak-interval",
        "1",
    ];
    let out = lab.mcready(pbx, &args);
    (serde_json::from_str(&stdout(&out)).expect("a JSON report"), out.status.code())
}

fn soak_check(report: &Value) -> &Value {
    report["requirements"][2]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "multicast.soak")
        .unwrap_or_else(|| panic!("no soak check: {report:#}"))
}

lab_test!(multicast_that_stops_mid_soak_fails_with_the_timeline, lan(), |(lab, pbx, switch)| {
    let (report, code) = std::thread::scope(|scope| {
        // A few seconds into the soak the switch stops forwarding multicast on both ports, as a snooping
        // switch does when the memberships it learned time out; unicast goes on.
        scope.spawn(|| {
            std::thread::sleep(std::time::Duration::from_secs(5));
            for port in ["p-pbx", "p-phone"] {
                lab.bridge_port_mcast_flood(&switch, port, false);
            }
        });
        soak(&lab, &pbx)
    });
    let check = soak_check(&report);
    assert_eq!(check["status"], "fail", "{report:#}");
    let summary = check["summary"].as_str().unwrap();
    assert!(
        summary.contains("Multicast stopped flowing") && summary.contains("no IGMP querier"),
        "{summary}"
    );
    assert_eq!(report["requirements"][2]["status"], "fail");
    assert_eq!(code, Some(1));
    // The timeline: the first rounds crossed, the last did not, and the peer kept answering unicast.
    let rounds = report["facts"]["soak"]["value"]["rounds"].as_array().unwrap();
    assert!(rounds.len() >= 8, "{rounds:?}");
    assert_eq!(rounds[0]["here_to_peer"], true, "{rounds:?}");
    assert!(rounds.iter().all(|r| r["unicast"] == true), "{rounds:?}");
    assert_eq!(rounds.last().unwrap()["here_to_peer"], false, "{rounds:?}");
    // Nothing was joined after the checklist's own observations: no join during the soak.
    let soak_started = report["facts"]["own_actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "joined")
        .map(|a| a["at_ms"].as_u64().unwrap())
        .max()
        .unwrap_or(0);
    assert!(soak_started < 3000, "a join during the soak would refresh the switch: {soak_started} ms");
});

lab_test!(multicast_that_keeps_flowing_passes, lan(), |(lab, pbx, _switch)| {
    let (report, _) = soak(&lab, &pbx);
    let check = soak_check(&report);
    assert_eq!(check["status"], "pass", "{report:#}");
    assert!(check["summary"].as_str().unwrap().contains("kept flowing"), "{check}");
});

lab_test!(multicast_that_never_crosses_fails_from_the_start, lan(), |(lab, pbx, switch)| {
    for port in ["p-pbx", "p-phone"] {
        lab.bridge_port_mcast_flood(&switch, port, false);
    }
    let (report, code) = soak(&lab, &pbx);
    let check = soak_check(&report);
    assert_eq!(check["status"], "fail", "{report:#}");
    assert!(check["summary"].as_str().unwrap().contains("did not cross"), "{check}");
    assert_eq!(code, Some(1));
});
