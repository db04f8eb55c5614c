//! Interrupted runs keep their report: Ctrl-C (SIGINT) or SIGTERM ends the observation window, and
//! the document printed says `"interrupted": true` and which window was cut short; a second Ctrl-C
//! exits 130 at once. Everything runs inside the namespace lab.
#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Lab, mcready_bin, two_hosts};

/// Starts `mcready ARGS` in `ns` with stdout captured; `ip netns exec` execs it, so the child's pid is
/// mcready's own.
fn start(ns: &str, args: &[&str]) -> Child {
    Command::new("ip")
        .args(["netns", "exec", ns])
        .arg(mcready_bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mcready")
}

/// Sends `signal` to the child, as Ctrl-C (SIGINT) or a service manager (SIGTERM) would.
#[allow(unsafe_code)]
fn signal(child: &Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    // SAFETY: `kill` has no memory effects; the pid is our own live child's.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill {pid}: {}", std::io::Error::last_os_error());
}

/// Waits (bounded) for the child to end; its exit code and stdout.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let until = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < until, "mcready did not stop after the signal");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn listening(lab: &Lab, ns: &str) {
    // Nothing here joined the group, so `listen` hears by capture alone (a join would change what is
    // measured): the window has opened once a packet socket exists in the namespace.
    let opened = (0..500).any(|_| {
        let packet = common::stdout(&lab.sh(ns, "cat /proc/net/packet"));
        let open = packet.lines().count() > 1 || lab.udp_bound(ns, 5060);
        if !open {
            std::thread::sleep(Duration::from_millis(10));
        }
        open
    });
    assert!(opened, "mcready never opened its capture or group socket");
    // Give the loop a slice to be in the window.
    std::thread::sleep(Duration::from_millis(300));
}

lab_test!(ctrl_c_ends_listen_and_keeps_its_report, two_hosts(&[]), |(lab, a, _b)| {
    let started = Instant::now();
    let child = start(&a, &["listen", "-i", "eth0", "--duration", "60", "--json"]);
    listening(&lab, &a);
    signal(&child, libc::SIGINT);
    let (code, stdout) = finish(child);
    assert!(started.elapsed() < Duration::from_secs(30), "the 60 s window was not cut short");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report after Ctrl-C");
    assert_eq!(doc["interrupted"], true, "{doc}");
    assert_eq!(doc["cut_short"], serde_json::json!(["listen"]));
    assert!(doc["duration_secs"].as_f64().unwrap() < 60.0);
    assert_eq!(code, Some(1), "no phone heard: the negative answer, not a crash");
});

lab_test!(a_second_ctrl_c_exits_130_at_once, two_hosts(&[]), |(lab, a, _b)| {
    let child = start(&a, &["listen", "-i", "eth0", "--duration", "60", "--json"]);
    listening(&lab, &a);
    // Two different signals: the kernel merges a second pending SIGINT into the first, a SIGTERM it
    // does not; mcready treats both as Ctrl-C.
    signal(&child, libc::SIGINT);
    signal(&child, libc::SIGTERM);
    let (code, _) = finish(child);
    assert_eq!(code, Some(130));
});

lab_test!(sigterm_cuts_checks_window_short_and_strict_exits_1, two_hosts(&[common::PYTHON3]), |(
    mut lab,
    a,
    _b,
)| {
    // A healthy PBX host: a route for the group, the group joined, the port held.
    lab.ip(&a, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    lab.join(&a, "224.0.1.75", "198.51.100.10");
    lab.hold_udp_port(&a, "198.51.100.10", 5060, true);
    for (strict, wanted) in [(false, 0), (true, 1)] {
        let mut args = vec!["check", "-i", "eth0", "--no-probe", "--listen", "60", "--json"];
        if strict {
            args.push("--strict");
        }
        let child = start(&a, &args);
        // `--no-probe` listens by capture alone: no socket to wait for; the capture opens at once.
        std::thread::sleep(Duration::from_millis(800));
        signal(&child, libc::SIGTERM);
        let (code, stdout) = finish(child);
        let doc: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report after SIGTERM");
        assert_eq!(doc["interrupted"], true, "{doc}");
        let cut = doc["cut_short"].as_array().unwrap();
        assert!(cut.contains(&serde_json::json!("listen")), "{doc}");
        assert_ne!(doc["verdict"], "fail", "{doc}");
        let phone_pnp = &doc["requirements"][3];
        assert_eq!(phone_pnp["status"], "skip", "a cut window blames nothing: {doc}");
        assert!(phone_pnp["checks"][0]["summary"].as_str().unwrap().contains("interrupted"), "{doc}");
        assert_eq!(code, Some(wanted), "strict={strict}: {doc}");
    }
    drop(lab);
});

// An interface that vanishes mid-window ends its reader with an error that the report carries as a
// limit: the window is never silently cut.
lab_test!(an_interface_gone_mid_window_is_a_limit_in_the_report, two_hosts(&[]), |(lab, a, _b)| {
    let child = start(&a, &["listen", "-i", "eth0", "--duration", "3", "--json"]);
    listening(&lab, &a);
    lab.ip(&a, &["link", "del", "eth0"]);
    let (_, stdout) = finish(child);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report");
    let limits = doc["limits"].as_array().unwrap();
    assert!(
        limits.iter().any(|l| l.as_str().unwrap().contains("stopped early")),
        "the failed reader is named: {doc}"
    );
    assert_ne!(doc["interrupted"], true);
});
