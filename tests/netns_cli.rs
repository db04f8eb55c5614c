//! The command line of the active commands, in the namespace lab: global and `check` options before
//! the command (`mcready -q --no-probe check`), and `--phone`/`--peer` values that contradict the host.
#![cfg(target_os = "linux")]

mod common;

use common::{stdout, two_hosts};

lab_test!(options_before_the_command_reach_check, two_hosts(&[]), |(lab, a, _b)| {
    let out = lab.mcready(&a, &["-q", "--no-probe", "-i", "eth0", "check"]);
    let text = stdout(&out);
    assert_ne!(out.status.code(), Some(2), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.lines().count(), 1, "-q prints the verdict alone: {text}");
    let doc = common::json(&lab.mcready(&a, &["--json", "--no-probe", "check", "-i", "eth0"]));
    assert_eq!(doc["schema"], "mcready.report/v1");
    assert!(doc["facts"]["own_actions"].as_array().unwrap().is_empty(), "--no-probe sends nothing: {doc}");
});

lab_test!(the_hosts_own_address_is_not_a_phone, two_hosts(&[]), |(lab, a, _b)| {
    for args in [
        &["check", "--no-probe", "--phone", "198.51.100.10"][..],
        &["check", "--no-probe", "--peer", "198.51.100.10:5060"],
        &["check", "--no-probe", "--phone", "198.51.100.255"],
        &["check", "--no-probe", "--phone", "198.51.100.0"],
    ] {
        let out = lab.mcready(&a, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            ["own address", "broadcast address", "network address"].iter().any(|w| stderr.contains(w)),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
});

// `check --listen N` on a terminal says it listens, where, and for how long, counting down on stderr;
// piped, nothing of it appears. (`script` gives the run a terminal.)
lab_test!(check_listen_counts_down_on_a_terminal_only, two_hosts(&[]), |(lab, a, _b)| {
    let bin = common::mcready_bin();
    let on_terminal = lab.sh(
        &a,
        &format!("script -qec \"'{}' check --no-probe -i eth0 --listen 2 -q\" /dev/null", bin.display()),
    );
    let text = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(text.contains("Listening 2 s on eth0") && text.contains("reboot a phone now"), "{text}");
    let piped = lab.mcready(&a, &["check", "--no-probe", "-i", "eth0", "--listen", "1", "-q"]);
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains("Listening") && !stdout(&piped).contains("Listening"), "{stderr}");
});
