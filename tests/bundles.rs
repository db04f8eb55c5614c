//! The regression suite of support bundles: every bundle in `tests/fixtures/bundles/` (recorded by
//! `scripts/record-bundles.sh` from namespace lab scenarios, or from a Windows host under wine) replays,
//! with no root and no network, to the verdict and requirement statuses its live run gave
//! (`expected.txt`). A bug report becomes a test by adding its bundle and the verdict it should get.

// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::{IPTABLES_LEGACY_SAVE, IPTABLES_NFT_SAVE, Lab, NFT, PYTHON3};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundles")
}

/// `NAME VERDICT S1,S2,S3,S4` per line; `#` starts a comment.
fn expectations() -> Vec<(String, String, Vec<String>)> {
    std::fs::read_to_string(dir().join("expected.txt"))
        .unwrap()
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words.len(), 3, "expected.txt: {line}");
            (words[0].to_owned(), words[1].to_owned(), words[2].split(',').map(str::to_owned).collect())
        })
        .collect()
}

fn bundles() -> Vec<String> {
    common::json_files(&dir())
        .iter()
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn replay(args: &[&str]) -> Output {
    Command::new(common::mcready_bin()).arg("replay").args(args).env("NO_COLOR", "1").output().unwrap()
}

#[test]
fn every_bundle_has_an_expected_verdict() {
    let mut expected: Vec<String> = expectations().into_iter().map(|(name, ..)| name).collect();
    let mut bundles = bundles();
    expected.sort();
    bundles.sort();
    assert!(bundles.len() >= 8, "{bundles:?}");
    assert_eq!(
        bundles, expected,
        "tests/fixtures/bundles/*.json and expected.txt must name the same bundles"
    );
}

#[test]
fn every_bundle_replays_to_its_expected_verdict() {
    for (name, verdict, statuses) in expectations() {
        let file = dir().join(format!("{name}.json"));
        let out = replay(&[file.to_str().unwrap(), "--json"]);
        let report = common::json(&out);
        let got: Vec<&str> = report["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            (report["verdict"].as_str().unwrap(), got),
            (verdict.as_str(), statuses.iter().map(String::as_str).collect()),
            "{name}"
        );
        let code = out.status.code();
        assert_eq!(code, Some(i32::from(verdict == "fail")), "{name}: exit as check's");
        assert_eq!(report["replay"]["bundle"], file.to_str().unwrap(), "{name}: marked as a replay");
        let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(report["host"], bundle["host"], "{name}: the recorded host, not this one");
        assert_eq!(report["replay"]["recorded_by"], bundle["tool"]["version"], "{name}");
    }
}

#[test]
fn a_replay_in_text_says_it_is_one_and_which_bundle() {
    let file = dir().join("nft-drop.json");
    let out = replay(&[file.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("Replay of {}", file.display())), "{text}");
    assert!(text.contains("udp dport 5060 drop"), "the recorded ruleset is read again: {text}");
    let markdown =
        String::from_utf8(replay(&[file.to_str().unwrap(), "--format", "markdown"]).stdout).unwrap();
    assert!(markdown.contains("_Replay of "), "{markdown}");
}

#[test]
fn an_anonymised_bundle_names_no_host_and_replays_alike() {
    let text = std::fs::read_to_string(dir().join("healthy-anonymised.json")).unwrap();
    let bundle: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(bundle["anonymised"], true);
    assert_eq!(bundle["host"]["hostname"], "host-1");
    assert!(!text.contains("lab-pbx"), "the host name is gone everywhere");
    let macs: Vec<&str> =
        bundle["facts"]["interfaces"].as_array().unwrap().iter().filter_map(|i| i["mac"].as_str()).collect();
    assert!(
        !macs.is_empty() && macs.iter().all(|mac| mac.ends_with(":00:00:01") || mac.ends_with(":00:00:02")),
        "{macs:?}"
    );
}

#[test]
fn what_is_not_a_bundle_is_one_line_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("mcready-bundles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text, says) in [
        (
            "report.json",
            r#"{"schema":"mcready.report/v1"}"#,
            "not a support bundle but a mcready.report/v1 document",
        ),
        ("newer.json", r#"{"schema":"mcready.bundle/v2"}"#, "replay it with a newer mcready"),
        ("garbage.json", "\u{0}\u{1}not json", "not a support bundle (not JSON"),
        ("broken.json", r#"{"schema":"mcready.bundle/v1","tool":{}}"#, "a malformed support bundle"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = replay(&[path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(says) && stderr.trim().lines().count() == 1, "{name}: {stderr}");
    }
    let missing = replay(&[dir.join("missing.json").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The report without what moves between two runs of the same facts: when it was made, and the mark
/// of a replay.
fn settled(mut report: Value) -> Value {
    let object = report.as_object_mut().unwrap();
    object.remove("generated_at");
    object.remove("replay");
    report
}

lab_test!(
    a_recorded_run_replays_to_the_same_report,
    Lab::with(&[PYTHON3, NFT, IPTABLES_NFT_SAVE, IPTABLES_LEGACY_SAVE]),
    |mut lab| {
        // Something in every source a bundle keeps: a PBX joined and holding the port (/proc/net/igmp,
        // /proc/net/udp and the owners), rules in nft, iptables-nft and iptables-legacy, a NAT rule,
        // strict rp_filter.
        let (pbx, _) = common::pbx_with_lab_pbx(&mut lab);
        let setup = lab.sh(
            &pbx,
            "nft add table inet t && nft add chain inet t input '{ type filter hook input priority 0; }' \
             && nft add rule inet t input udp dport 5060 drop \
             && iptables-nft -A INPUT -p udp -s 203.0.113.0/24 --dport 5060 -j DROP \
             && iptables-nft -t nat -A PREROUTING -p udp --dport 5070 -j DNAT --to-destination 198.51.100.30:5060 \
             && iptables-legacy -A INPUT -p igmp -j DROP \
             && sysctl -qw net.ipv4.conf.all.rp_filter=1",
        );
        assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));
        let file = std::env::temp_dir().join(format!("mcready-bundle-{}.json", std::process::id()));
        let path = file.to_str().unwrap();
        let live = lab
            .mcready(&pbx, &["check", "--json", "--no-probe", "--phone", "198.51.100.20", "--bundle", path]);
        let replayed = replay(&[path, "--json"]);
        let _ = std::fs::remove_file(&file);
        let (live, replayed) = (common::json(&live), common::json(&replayed));
        assert_eq!(replayed["replay"]["bundle"], path);
        assert!(live["facts"]["firewall"]["findings"].as_array().is_some_and(|f| f.len() >= 2), "{live:#}");
        assert!(live["facts"]["firewall"]["nat"].as_array().is_some_and(|n| !n.is_empty()), "{live:#}");
        assert_eq!(settled(replayed), settled(live));
    }
);

#[test]
fn bundle_options_are_refused_before_anything_runs() {
    // Both are refused while parsing the options, before `check` gathers or sends anything.
    for (args, says) in [
        (&["check", "--no-probe", "--bundle", "-"][..], "`--bundle -` would mix the bundle into the report"),
        (&["check", "--no-probe", "--anonymise"][..], "--bundle"),
    ] {
        let out = Command::new(common::mcready_bin()).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn a_windows_bundle_replays_here_with_windows_fixes() {
    let file = dir().join("windows-firewall-records.json");
    let report = common::json(&replay(&[file.to_str().unwrap(), "--json"]));
    assert_eq!(report["host"]["os"], "windows");
    let text = report.to_string();
    assert!(text.contains("New-NetFirewallRule"), "the fix is PowerShell's, not this host's: {report:#}");
    assert!(!text.contains("sudo nft"), "{report:#}");
}
