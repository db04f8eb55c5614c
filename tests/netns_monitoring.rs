//! `check` for monitoring, end to end in the namespace lab: the Nagios plugin line and its exit codes
//! (healthy → OK 0, broken → CRITICAL 2, usage error → UNKNOWN 3, another command → refused with 2),
//! the Prometheus exposition parsed by the Python client's own parser, and `--output` written
//! atomically (left as it was when mcready cannot run).
#![cfg(target_os = "linux")]

mod common;

use std::process::Command;

use common::{Lab, PYTHON3, stdout};

/// Debian's python3, which has python3-prometheus-client (the `python3` on PATH may be another one).
const DEBIAN_PYTHON: &str = "/usr/bin/python3";

/// pbx (198.51.100.10) and phone (198.51.100.20) behind a bridge that is an IGMP querier.
fn healthy_lan(test: &str, with_pbx: bool) -> Option<(Lab, String)> {
    let mut lab = Lab::with(test, &[PYTHON3])?;
    let (_switch, pbx, _phone) = lab.bridged_pbx_and_phone(&["mcast_snooping", "1", "mcast_querier", "1"]);
    if with_pbx {
        lab.start_pbx(&pbx, "198.51.100.10", "");
    }
    Some((lab, pbx))
}

fn check(lab: &Lab, ns: &str, format: &str, extra: &[&str]) -> (String, Option<i32>) {
    let mut args = vec!["check", "--format", format, "--phone", "198.51.100.20", "--timeout", "1"];
    args.extend_from_slice(extra);
    let out = lab.mcready(ns, &args);
    (stdout(&out), out.status.code())
}

lab_test!(nagios_states_and_exit_codes, healthy_lan(true), |(lab, pbx)| {
    let (text, code) = check(&lab, &pbx, "nagios", &[]);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "MCREADY OK - ready for PnP provisioning; untested: network-multicast, phone-pnp | 'verdict'=0;1;2;0;3"
        ),
        "{text}"
    );
    assert!(first.contains("'pbx-membership'=0;1;2;0;2") && first.contains("'phone-pnp'=U"), "{first}");
    assert!(first.contains("'answer_rtt'=0.") && first.contains("s;;;0"), "{first}");
    assert!(text.lines().skip(1).all(|l| l.starts_with("SKIP ")), "only skips are listed besides: {text}");
    assert_eq!(code, Some(0));
    // --strict changes nothing for a plugin.
    assert_eq!(check(&lab, &pbx, "nagios", &["--strict"]).1, Some(0));
    // Another command refuses the format: a usage error of that command, exit 2.
    let refused = lab.mcready(&pbx, &["joins", "--format", "nagios"]);
    assert_eq!(refused.status.code(), Some(2));
    // A usage error of `check` itself is UNKNOWN, on stdout, exit 3.
    let bad = lab.mcready(&pbx, &["check", "--format", "nagios", "--timeout", "-1"]);
    assert_eq!(bad.status.code(), Some(3));
    assert!(stdout(&bad).starts_with("MCREADY UNKNOWN - could not run:"), "{}", stdout(&bad));

    let Some((lab, pbx)) = healthy_lan("nagios_broken", false) else { return };
    let (text, code) = check(&lab, &pbx, "nagios", &[]);
    assert!(text.starts_with("MCREADY CRITICAL - not ready: pbx-membership"), "{text}");
    assert!(text.contains("\nFAIL membership.on-pnp-interface: "), "{text}");
    assert_eq!(code, Some(2));
});

#[test]
fn prometheus_parses_with_the_python_client_and_output_is_atomic() {
    if !std::path::Path::new(DEBIAN_PYTHON).exists()
        || !Command::new(DEBIAN_PYTHON)
            .args(["-c", "import prometheus_client.parser"])
            .status()
            .is_ok_and(|s| s.success())
    {
        assert!(
            std::env::var_os("MCREADY_REQUIRE_NETNS").is_none(),
            "needs Debian's python3-prometheus-client"
        );
        eprintln!("SKIP prometheus: needs /usr/bin/python3 with python3-prometheus-client");
        return;
    }
    let Some((lab, pbx)) = healthy_lan("prometheus", true) else { return };
    let dir = std::env::temp_dir().join(format!("mcready-prom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mcready.prom");
    let path = file.to_str().unwrap();
    let (text, code) = check(&lab, &pbx, "prometheus", &["--output", path]);
    assert_eq!((text.as_str(), code), ("", Some(0)), "with --output, stdout stays empty");
    let parsed = Command::new(DEBIAN_PYTHON)
        .args([
            "-c",
            "import sys\nfrom prometheus_client.parser import text_string_to_metric_families as parse\n\
             for family in parse(open(sys.argv[1]).read()):\n    for s in family.samples:\n        \
             print(s.name, sorted(s.labels.items()), s.value)",
            path,
        ])
        .output()
        .unwrap();
    let samples = String::from_utf8_lossy(&parsed.stdout).into_owned();
    assert!(parsed.status.success(), "{}", String::from_utf8_lossy(&parsed.stderr));
    assert!(
        samples.contains(
            "mcready_requirement_status [('requirement', 'pbx-membership'), ('status', 'pass')] 1.0"
        ),
        "{samples}"
    );
    assert!(
        samples.contains("mcready_verdict [] 0.0") && samples.contains("mcready_run_success [] 1.0"),
        "{samples}"
    );
    assert!(samples.contains("mcready_check_status [('check', 'membership.pbx-notify')"), "{samples}");
    assert!(
        samples.contains("mcready_last_run_timestamp_seconds")
            && samples.contains("mcready_answer_rtt_seconds")
    );
    // When mcready cannot run, the collector keeps reading the last good file.
    let before = std::fs::read(&file).unwrap();
    let failed = lab.mcready(&pbx, &["check", "--format", "prometheus", "-i", "nope0", "--output", path]);
    assert_eq!(failed.status.code(), Some(2));
    assert_eq!(std::fs::read(&file).unwrap(), before, "the old file stays");
    let leftovers: Vec<_> =
        std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind: {leftovers:?}");
    let _ = std::fs::remove_dir_all(dir);

    // A broken LAN (no PBX): the state sets say which requirement fails, the verdict is 2.
    let Some((lab, pbx)) = healthy_lan("prometheus_broken", false) else { return };
    let (text, code) = check(&lab, &pbx, "prometheus", &[]);
    assert_eq!(code, Some(1));
    assert!(
        text.contains("mcready_requirement_status{requirement=\"pbx-membership\",status=\"fail\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("\nmcready_verdict 2\n") && !text.contains("mcready_answer_rtt_seconds "),
        "{text}"
    );
}
