//! `mcready check` scenarios in network namespaces: each breaks one thing and asserts the exact status
//! of every requirement, in JSON, and that text and Markdown say the same.
//!
//! The LAN is a Linux bridge in a "switch" namespace with the PBX host and a phone host on its ports.
//! The PBX is `tests/fixtures/lab/pbx.py` (joins the group, answers 200 OK + NOTIFY).

#![cfg(target_os = "linux")]

mod common;

use common::{
    Lab, NFT, NO_QUERIER, PYTHON3, Program, QUERIER, SETPRIV, SIPP, check_field, json, statuses, stdout,
};
use serde_json::Value;

struct Lan {
    lab: Lab,
    pbx: String,
    phone: String,
    switch: String,
}

/// pbx (eth0 198.51.100.10/24, default via .1) — switch (br0) — phone (eth0 198.51.100.20/24), for a
/// test that runs `programs` (the stand-in PBX is python3, a booting phone sipp).
fn lan(test: &str, bridge_options: &[&str], programs: &[Program]) -> Option<Lan> {
    let mut lab = Lab::with(test, programs)?;
    let switch = lab.host("switch");
    let pbx = lab.host("pbx");
    let phone = lab.host("phone");
    lab.bridge(&switch, "br0", bridge_options);
    lab.veth(&switch, "p-pbx", &pbx, "eth0");
    lab.veth(&switch, "p-phone", &phone, "eth0");
    lab.bridge_port(&switch, "br0", "p-pbx");
    lab.bridge_port(&switch, "br0", "p-phone");
    lab.addr(&pbx, "eth0", "198.51.100.10/24");
    lab.addr(&phone, "eth0", "198.51.100.20/24");
    lab.ip(&pbx, &["route", "add", "default", "via", "198.51.100.1"]);
    lab.ip(&phone, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    Some(Lan { lab, pbx, phone, switch })
}

impl Lan {
    /// Starts the stand-in PBX on the PBX host and waits until it has joined.
    fn start_pbx(&mut self, args: &str) {
        let pbx = self.pbx.clone();
        self.lab.start_pbx(&pbx, "198.51.100.10", args);
    }

    /// `mcready respond` on the phone host: the far end of `check --peer`.
    fn start_respond(&mut self) {
        let phone = self.phone.clone();
        let log = std::env::temp_dir().join(format!("mcready-respond-{}.log", std::process::id()));
        self.lab.spawn_mcready(&phone, &["respond", "-i", "eth0", "--duration", "60"], &log);
        assert!(self.lab.wait_udp_bound(&phone, 5060), "respond never bound its port");
    }

    /// `check` on the PBX host while the phone host runs `scenario` (sipp) every half second, as a
    /// booting phone retransmits: the listening window (which starts after the probe) hears it whenever
    /// it opens.
    fn check_while_phone_sends(&self, scenario: &str, args: &[&str]) -> (Value, i32) {
        let sipp = format!(
            "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do sipp -sf {}/tests/fixtures/sipp/{scenario} -m 1 \
             -i 198.51.100.20 -p 5080 -key mac 001565aabbcc -nostdin -timeout 10s 224.0.1.75:5060 >/dev/null 2>&1; \
             sleep 0.5; done",
            env!("CARGO_MANIFEST_DIR")
        );
        std::thread::scope(|scope| {
            let phone = scope.spawn(|| self.lab.sh(&self.phone, &sipp));
            let result = self.check(args);
            let _ = phone.join();
            result
        })
    }

    fn check(&self, args: &[&str]) -> (Value, i32) {
        let mut full = vec!["check", "--json", "--timeout", "1"];
        full.extend_from_slice(args);
        let out = self.lab.mcready(&self.pbx, &full);
        (json(&out), out.status.code().unwrap_or(-1))
    }
}

fn check_status(report: &Value, id: &str) -> String {
    check_field(report, id, "status")
}

fn assert_statuses(report: &Value, expected: [&str; 4]) {
    assert_eq!(statuses(report), expected, "{report:#}");
}

lab_test!(healthy, lan(QUERIER, &[PYTHON3]), |mut lan| {
    lan.start_pbx("");
    let (report, code) = lan.check(&["--phone", "198.51.100.20"]);
    assert_statuses(&report, ["pass", "pass", "pass", "skip"]);
    assert_eq!((report["verdict"].as_str(), code), (Some("pass"), 0));
    assert_eq!(report["target"]["interface"], "eth0");
    assert_eq!(report["target"]["interface_rule"], "phone-subnet");
    assert_eq!(check_status(&report, "membership.pbx-answers"), "pass");
    assert_eq!(check_status(&report, "multicast.igmp-querier"), "pass");
    assert_eq!(
        report["facts"]["answers"][0]["provisioning_url"],
        "http://198.51.100.10/provisioning/{mac}.cfg"
    );

    let text = stdout(&lan.lab.mcready(&lan.pbx, &["check", "--color", "never", "--phone", "198.51.100.20"]));
    // No peer and no window: the path across the switch and the phones are untested, and said to be.
    assert!(text.contains("PASS: ready for PnP provisioning; untested: network-multicast"), "{text}");
    assert!(text.contains("– The network passes multicast between phones and PBX — untested"), "{text}");
    assert!(text.contains("✔ The PBX host joined 224.0.1.75"), "{text}");
    let markdown =
        stdout(&lan.lab.mcready(&lan.pbx, &["check", "--format", "markdown", "--phone", "198.51.100.20"]));
    assert!(markdown.starts_with("### mcready check"), "{markdown}");
    assert!(markdown.contains("`pbx-membership`: pass"), "{markdown}");
    // `check` is the default command.
    let default = lan.lab.mcready(&lan.pbx, &["--json", "--timeout", "1"]);
    assert_eq!(json(&default)["schema"], "mcready.report/v1");
});

lab_test!(nothing_joined, lan(QUERIER, &[]), |lan| {
    let (report, code) = lan.check(&["--phone", "198.51.100.20"]);
    assert_statuses(&report, ["fail", "pass", "pass", "skip"]);
    assert_eq!(code, 1);
    assert_eq!(check_status(&report, "membership.on-pnp-interface"), "fail");
    let text = stdout(&lan.lab.mcready(&lan.pbx, &["check", "--color", "never", "--timeout", "1"]));
    assert!(text.contains("No interface has joined 224.0.1.75"), "{text}");
    assert!(text.contains("fix: Start the PBX"), "{text}");
});

lab_test!(joined_on_the_wrong_nic, lan(QUERIER, &[PYTHON3]), |mut lan| {
    // A second NIC whose default route the OS prefers: a PBX joining with INADDR_ANY lands there.
    let upstream = lan.lab.host("upstream");
    lan.lab.veth(&lan.pbx, "wan", &upstream, "eth0");
    lan.lab.addr(&lan.pbx, "wan", "203.0.113.10/24");
    lan.lab.addr(&upstream, "eth0", "203.0.113.1/24");
    lan.lab.ip(&lan.pbx, &["route", "del", "default"]);
    lan.lab.ip(&lan.pbx, &["route", "add", "default", "via", "203.0.113.1", "metric", "10"]);
    lan.lab.ip(&lan.pbx, &["route", "add", "default", "via", "198.51.100.1", "metric", "100"]);
    lan.start_pbx("--any");
    let (report, code) = lan.check(&["--phone", "198.51.100.20"]);
    assert_statuses(&report, ["fail", "pass", "pass", "skip"]);
    assert_eq!(code, 1);
    assert_eq!(check_status(&report, "membership.on-pnp-interface"), "fail");
    assert_eq!(check_status(&report, "membership.group-route"), "warn");
    let summary = report["requirements"][0]["checks"][0]["summary"].as_str().unwrap();
    assert!(summary.contains("joined on wan, not on eth0"), "{summary}");
});

lab_test!(phone_behind_a_router, lan(QUERIER, &[PYTHON3]), |mut lan| {
    lan.start_pbx("");
    let (report, code) = lan.check(&["--phone", "203.0.113.20"]);
    assert_statuses(&report, ["pass", "fail", "pass", "skip"]);
    assert_eq!(code, 1);
    assert_eq!(report["target"]["interface_rule"], "group-route");
});

lab_test!(host_firewall_dropping_sip, lan(QUERIER, &[PYTHON3, NFT]), |mut lan| {
    lan.start_pbx("");
    lan.lab.drop_udp_input(&lan.pbx, 5060);
    let (report, code) = lan.check(&["--phone", "198.51.100.20"]);
    // The drop is the network requirement's failure; membership is not blamed for what it causes.
    assert_statuses(&report, ["pass", "pass", "fail", "skip"]);
    assert_eq!(code, 1);
    assert_eq!(check_status(&report, "multicast.host-firewall"), "fail");
    assert_eq!(check_status(&report, "membership.probe-loopback"), "skip");
    assert_eq!(check_status(&report, "membership.pbx-answers"), "skip");
    let text = stdout(&lan.lab.mcready(&lan.pbx, &["check", "--color", "never", "--timeout", "1"]));
    assert!(text.contains("udp dport 5060 drop"), "{text}");
    // The fix names the rule's own table and chain and opens SIP to the phones' subnet only: the command
    // on a line of its own, whole (issue 26).
    assert!(
        text.lines().any(|l| l.trim()
            == "sudo nft insert rule inet t input position 2 ip saddr 198.51.100.0/24 udp dport 5060 accept"),
        "{text}"
    );
});

lab_test!(healthy_with_a_peer_and_a_phone_booting, lan(QUERIER, &[PYTHON3, SIPP]), |mut lan| {
    lan.start_pbx("");
    lan.start_respond();
    let (report, code) = lan.check_while_phone_sends(
        "pnp-subscribe.xml",
        &["--peer", "198.51.100.20", "--phone", "198.51.100.20", "--listen", "4"],
    );
    assert_statuses(&report, ["pass", "pass", "pass", "pass"]);
    assert_eq!(code, 0);
    assert_eq!(check_status(&report, "multicast.lan-path"), "pass");
    assert_eq!(check_status(&report, "phone.expected-phones"), "pass");
    let phone = &report["facts"]["phones"][0];
    assert_eq!(phone["mac"], "00:15:65:aa:bb:cc", "{report:#}");
    assert_eq!(phone["vendor"], "yealink");
    assert_eq!(phone["model"], "W52P");
});

lab_test!(switch_dropping_multicast_is_found_with_a_peer, lan(NO_QUERIER, &[PYTHON3]), |mut lan| {
    // A snooping switch that floods no unknown multicast: nothing crosses, not even to joined ports.
    lan.lab.bridge_port_mcast_flood(&lan.switch, "p-phone", false);
    lan.lab.bridge_port_mcast_flood(&lan.switch, "p-pbx", false);
    lan.start_pbx("");
    lan.start_respond();
    let (report, code) = lan.check(&["--peer", "198.51.100.20"]);
    assert_eq!(statuses(&report)[2], "fail", "{report:#}");
    assert_eq!(check_status(&report, "multicast.lan-path"), "fail");
    assert_eq!(report["facts"]["peer"]["value"]["unicast"]["ok"], true);
    assert_eq!(code, 1);
    // The PBX on this host is fine: membership is not blamed for the switch.
    assert_eq!(statuses(&report)[0], "pass");
});

lab_test!(peer_down_is_not_a_blocked_network, lan(QUERIER, &[PYTHON3]), |mut lan| {
    lan.start_pbx("");
    let (report, _) = lan.check(&["--peer", "198.51.100.20"]);
    assert_eq!(check_status(&report, "multicast.lan-path"), "skip", "{report:#}");
    assert_eq!(statuses(&report)[2], "pass");
});

lab_test!(phone_sending_only_non_pnp_sip, lan(QUERIER, &[PYTHON3, SIPP]), |mut lan| {
    lan.start_pbx("");
    let (report, code) =
        lan.check_while_phone_sends("non-pnp-register.xml", &["--phone", "198.51.100.20", "--listen", "4"]);
    assert_statuses(&report, ["pass", "pass", "pass", "fail"]);
    assert_eq!(code, 1);
    let summary = check_field(&report, "phone.expected-phones", "summary");
    assert!(summary.contains("no PnP SUBSCRIBE"), "{summary}");
});

lab_test!(snooping_bridge_without_querier_warns, lan(NO_QUERIER, &[PYTHON3]), |mut lan| {
    lan.lab.bridge_port_mcast_flood(&lan.switch, "p-phone", false);
    lan.lab.bridge_port_mcast_flood(&lan.switch, "p-pbx", false);
    lan.start_pbx("");
    let (report, code) = lan.check(&[]);
    assert_statuses(&report, ["pass", "skip", "warn", "skip"]);
    assert_eq!(check_status(&report, "multicast.igmp-querier"), "warn");
    assert_eq!((report["verdict"].as_str(), code), (Some("warn"), 0));
    // --strict turns the warning into exit 1; the verdict stays.
    let (strict, code) = lan.check(&["--strict"]);
    assert_eq!((strict["verdict"].as_str(), code), (Some("warn"), 1));
});

lab_test!(bridge_as_querier_passes, lan(QUERIER, &[PYTHON3]), |mut lan| {
    lan.lab.bridge_port_mcast_flood(&lan.switch, "p-phone", false);
    lan.start_pbx("");
    let (report, _) = lan.check(&[]);
    assert_statuses(&report, ["pass", "skip", "pass", "skip"]);
    assert!(report["facts"]["querier"]["value"]["queries"][0]["source"].is_string(), "{report:#}");
});

lab_test!(pbx_owning_the_port_exclusively, lan(QUERIER, &[PYTHON3]), |mut lan| {
    lan.start_pbx("--exclusive");
    let (report, code) = lan.check(&["--phone", "198.51.100.20"]);
    assert_statuses(&report, ["pass", "pass", "pass", "skip"]);
    assert_eq!(code, 0);
    // mcready could not share 5060, so its own copy went unwatched — said, not failed.
    assert_eq!(check_status(&report, "membership.probe-loopback"), "skip");
    assert_eq!(check_status(&report, "membership.pbx-answers"), "pass");
});

lab_test!(no_route_for_the_group, lan(QUERIER, &[PYTHON3]), |mut lan| {
    lan.lab.ip(&lan.pbx, &["route", "del", "default"]);
    lan.start_pbx("");
    let (report, code) = lan.check(&["--phone", "198.51.100.20"]);
    assert_eq!(check_status(&report, "membership.group-route"), "fail");
    assert_eq!(statuses(&report)[0], "fail");
    assert_eq!(code, 1);
});

lab_test!(passive_run_sends_nothing, lan(QUERIER, &[PYTHON3]), |mut lan| {
    lan.start_pbx("");
    let (report, code) = lan.check(&["--no-probe", "--phone", "198.51.100.20"]);
    assert_statuses(&report, ["pass", "pass", "pass", "skip"]);
    assert_eq!(code, 0);
    assert_eq!(report["facts"]["own_actions"], Value::Array(Vec::new()), "--no-probe must send nothing");
    assert_eq!(check_status(&report, "membership.pbx-answers"), "skip");
    assert_eq!(check_status(&report, "multicast.igmp-querier"), "skip");
});

lab_test!(passive_listen_hears_by_capture_and_sends_nothing, lan(QUERIER, &[PYTHON3, SIPP]), |mut lan| {
    lan.start_pbx("");
    let (report, code) = lan.check_while_phone_sends(
        "pnp-subscribe.xml",
        &["--no-probe", "--listen", "4", "--phone", "198.51.100.20"],
    );
    assert_eq!(
        report["facts"]["own_actions"],
        Value::Array(Vec::new()),
        "--no-probe must send nothing: {report:#}"
    );
    assert_eq!(report["facts"]["listen"]["value"]["heard_by"], "capture");
    assert_eq!(check_status(&report, "phone.expected-phones"), "pass");
    // The bridge's general queries (every second here) are heard without joining anything.
    assert_eq!(check_status(&report, "multicast.igmp-querier"), "pass");
    assert_statuses(&report, ["pass", "pass", "pass", "pass"]);
    assert_eq!(code, 0);
});

lab_test!(unprivileged_user_degrades_with_reasons, lan(QUERIER, &[PYTHON3, SETPRIV]), |mut lan| {
    lan.start_pbx("");
    let bin = common::mcready_bin();
    let script = format!(
        "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all {} check --json --timeout 1 --phone 198.51.100.20",
        bin.display()
    );
    let out = lan.lab.sh(&lan.pbx, &script);
    let report = json(&out);
    assert_statuses(&report, ["pass", "pass", "pass", "skip"]);
    assert_eq!(report["host"]["privileged"], false);
    assert_eq!(check_status(&report, "multicast.igmp-querier"), "skip");
    let summary = check_field(&report, "multicast.igmp-querier", "summary");
    assert!(summary.contains("CAP_NET_RAW"), "{summary}");
});
