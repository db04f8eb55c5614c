//! The Linux firewall reader against real rulesets: each test loads nftables or iptables rules into a
//! namespace of its own and reads them back there, through the reader and through the pure analysers.
//!
//! `gather` reads the namespace it runs in, so the reader must run inside the test's namespace. This
//! binary re-runs itself there (`ip netns exec NS <this test binary> --exact firewall_facts_helper`),
//! where the helper test prints the facts as JSON: no other binary has to be built first, so
//! `cargo test --test netns_firewall` alone is enough. (`examples/firewall_facts.rs` prints the same
//! for a person.)

#![cfg(target_os = "linux")]

mod common;

use std::process::Command;

use common::{
    IPTABLES_LEGACY_RESTORE, IPTABLES_LEGACY_SAVE, IPTABLES_NFT_RESTORE, IPTABLES_NFT_SAVE, Lab, NFT,
    SETPRIV, stdout,
};
use mcready::facts::{PNP_GROUP, PNP_PORT};
use mcready::platform::firewall::{analyse_iptables_save, analyse_nft_json};
use mcready::platform::{GatherOptions, Scope, gather};
use serde_json::Value;

const HELPER_ENV: &str = "MCREADY_FIREWALL_HELPER";
const MARK: &str = "FIREWALL-FACTS ";

/// Not a test of its own: prints the firewall facts of the namespace it runs in when re-run by
/// [`reader_in`]; does nothing in a normal test run.
#[test]
fn firewall_facts_helper() {
    if std::env::var_os(HELPER_ENV).is_none() {
        return;
    }
    let scope =
        Scope { routes: false, group_route: false, memberships: false, listeners: false, firewall: true };
    let facts = gather(&GatherOptions { scope, ..GatherOptions::default() }).expect("gather");
    println!("{MARK}{}", serde_json::to_string(&facts.firewall).expect("JSON"));
}

/// The reader's facts inside `ns`, run as `user` (`None`: root) with extra environment.
fn reader_in(ns: &str, user: Option<&str>, env: &[(&str, &str)]) -> Value {
    let exe = std::env::current_exe().expect("test binary");
    let mut command = Command::new("ip");
    command.args(["netns", "exec", ns]);
    if let Some(user) = user {
        command.args(["setpriv", &format!("--reuid={user}"), &format!("--regid={user}"), "--clear-groups"]);
    }
    let out = command
        .arg(exe)
        .args(["--exact", "firewall_facts_helper", "--nocapture", "--test-threads", "1"])
        .env(HELPER_ENV, "1")
        .envs(env.iter().copied())
        .output()
        .expect("run the helper");
    let text = stdout(&out);
    let line = text.lines().find_map(|l| l.split_once(MARK).map(|(_, facts)| facts)).unwrap_or_else(|| {
        panic!("no facts printed: {text}\nstderr: {}", String::from_utf8_lossy(&out.stderr))
    });
    serde_json::from_str(line).expect("facts JSON")
}

fn capture(lab: &Lab, ns: &str, command: &str) -> String {
    let out = lab.sh(ns, command);
    assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
    stdout(&out)
}

fn source<'a>(facts: &'a Value, tool: &str) -> &'a Value {
    facts["sources"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["tool"] == tool))
        .unwrap_or_else(|| panic!("no {tool} source in {facts:#}"))
}

fn findings(facts: &Value) -> Vec<&Value> {
    facts["findings"].as_array().expect("findings").iter().collect()
}

#[test]
fn nft_drop_of_the_port_is_found() {
    let Some(mut lab) = Lab::with("nft_drop_of_the_port_is_found", &[NFT]) else { return };
    let pbx = lab.host("pbx");
    lab.nft(&pbx, include_str!("fixtures/firewall/nft-drop-udp-5060.nft"));

    let facts = reader_in(&pbx, None, &[]);
    assert_eq!(source(&facts, "nft")["status"], "read");
    assert_eq!(source(&facts, "nft")["rules"], 3);
    let found = findings(&facts);
    assert_eq!(found.len(), 1, "{facts:#}");
    assert_eq!(found[0]["certainty"], "drops");
    assert_eq!(found[0]["affects"], "udp-port");
    assert_eq!(found[0]["table"], "inet filter");
    assert_eq!(found[0]["rule"], "udp dport 5060 counter drop");

    // The same text through the pure analyser gives the same finding.
    let json = capture(&lab, &pbx, "nft -j list ruleset");
    let analysis = analyse_nft_json(&json, PNP_GROUP, PNP_PORT, &[]);
    assert_eq!(serde_json::to_value(&analysis.findings).unwrap(), facts["findings"]);
}

#[test]
fn nft_policy_drop_is_found_unless_the_port_is_accepted() {
    let Some(mut lab) = Lab::with("nft_policy_drop_is_found_unless_the_port_is_accepted", &[NFT]) else {
        return;
    };
    let closed = lab.host("closed");
    let open = lab.host("open");
    let may = lab.host("may");
    lab.nft(&closed, include_str!("fixtures/firewall/nft-policy-drop.nft"));
    lab.nft(&open, include_str!("fixtures/firewall/nft-policy-drop-accept-sip.nft"));
    lab.nft(&may, include_str!("fixtures/firewall/nft-saddr-may-drop.nft"));

    let facts = reader_in(&closed, None, &[]);
    let found = findings(&facts);
    assert_eq!(found.len(), 1, "{facts:#}");
    assert_eq!((&found[0]["verdict"], &found[0]["certainty"]), (&"policy-drop".into(), &"drops".into()));

    assert_eq!(findings(&reader_in(&open, None, &[])).len(), 0);

    let facts = reader_in(&may, None, &[]);
    assert_eq!(findings(&facts)[0]["certainty"], "may-drop");
    assert_eq!(findings(&facts)[0]["depends_on"][0], "ip saddr 10.0.0.0/8");
}

#[test]
fn iptables_nft_rules_are_judged_once_from_iptables_save() {
    let Some(mut lab) = Lab::with(
        "iptables_nft_rules_are_judged_once_from_iptables_save",
        &[IPTABLES_NFT_RESTORE, IPTABLES_NFT_SAVE, NFT],
    ) else {
        return;
    };
    let pbx = lab.host("pbx");
    lab.feed(&pbx, &["iptables-nft-restore"], include_str!("fixtures/firewall/iptables-mixed.rules"));

    let facts = reader_in(&pbx, None, &[]);
    assert_eq!(source(&facts, "nft")["status"], "read");
    assert_eq!(source(&facts, "iptables-nft-save")["status"], "read");
    let found = findings(&facts);
    assert!(found.iter().all(|f| f["tool"] == "iptables-nft-save"), "{facts:#}");
    let save = capture(&lab, &pbx, "iptables-nft-save");
    let analysis = analyse_iptables_save(&save, PNP_GROUP, PNP_PORT, None);
    assert_eq!(found.len(), analysis.findings.len());
    assert_eq!(found[0]["rule"], "-A PREROUTING -d 224.0.0.0/4 -p udp -m udp --dport 5060 -j DROP");
}

#[test]
fn iptables_legacy_rules_are_read() {
    let Some(mut lab) =
        Lab::with("iptables_legacy_rules_are_read", &[IPTABLES_LEGACY_RESTORE, IPTABLES_LEGACY_SAVE])
    else {
        return;
    };
    let pbx = lab.host("pbx");
    lab.feed(&pbx, &["iptables-legacy-restore"], include_str!("fixtures/firewall/iptables-ufw-like.rules"));

    let facts = reader_in(&pbx, None, &[]);
    let legacy = source(&facts, "iptables-legacy-save");
    assert_eq!(legacy["status"], "read");
    assert!(legacy["rules"].as_u64().unwrap_or(0) > 30, "{facts:#}");
    let found = findings(&facts);
    assert_eq!(found.len(), 1, "{facts:#}");
    assert_eq!(found[0]["tool"], "iptables-legacy-save");
    assert_eq!(found[0]["rule"], "policy drop");
    assert_eq!(found[0]["certainty"], "drops");
}

#[test]
fn strict_rp_filter_on_an_interface_is_seen() {
    let Some(mut lab) = Lab::new("strict_rp_filter_on_an_interface_is_seen") else { return };
    let pbx = lab.host("pbx");
    let phone = lab.host("phone");
    lab.veth(&pbx, "lan", &phone, "eth0");
    capture(
        &lab,
        &pbx,
        "echo 1 > /proc/sys/net/ipv4/conf/lan/rp_filter; echo 2 > /proc/sys/net/ipv4/conf/lo/rp_filter",
    );

    let facts = reader_in(&pbx, None, &[]);
    let rp = facts["rp_filter"].as_array().expect("rp_filter");
    assert_eq!(rp[0]["interface"], "all");
    assert_eq!(rp[1]["interface"], "default");
    let value = |name: &str| rp.iter().find(|r| r["interface"] == name).map(|r| r["value"].clone());
    assert_eq!(value("lan"), Some(1.into()));
    assert_eq!(value("lo"), Some(2.into()));
}

#[test]
fn unprivileged_reader_says_permission_denied() {
    let Some(mut lab) =
        Lab::with("unprivileged_reader_says_permission_denied", &[NFT, IPTABLES_LEGACY_SAVE, SETPRIV])
    else {
        return;
    };
    let pbx = lab.host("pbx");
    lab.nft(&pbx, include_str!("fixtures/firewall/nft-drop-udp-5060.nft"));

    // The gather itself succeeds; each tool says why it could not list the rules.
    let facts = reader_in(&pbx, Some("65534"), &[]);
    let nft = source(&facts, "nft");
    assert_eq!(nft["status"], "permission-denied", "{facts:#}");
    assert!(nft["detail"].as_str().unwrap_or_default().contains("Operation not permitted"), "{facts:#}");
    assert_eq!(source(&facts, "iptables-legacy-save")["status"], "permission-denied", "{facts:#}");
    assert_eq!(findings(&facts).len(), 0);
    // rp_filter is world-readable.
    assert!(!facts["rp_filter"].as_array().expect("rp_filter").is_empty());
}

#[test]
fn a_broken_or_hung_tool_is_a_source_status_not_a_failure() {
    let Some(mut lab) = Lab::new("a_broken_or_hung_tool_is_a_source_status_not_a_failure") else { return };
    let pbx = lab.host("pbx");
    // Stand-in tools found first on PATH: one prints garbage, one never answers.
    let dir = std::env::temp_dir().join(format!("mcready-fake-tools-{}", std::process::id()));
    let garbage = dir.join("garbage");
    let hung = dir.join("hung");
    for (folder, script) in
        [(&garbage, "#!/bin/sh\necho '{\"nftables\": [ oops'\n"), (&hung, "#!/bin/sh\nexec sleep 600\n")]
    {
        std::fs::create_dir_all(folder).expect("tool dir");
        let tool = folder.join("nft");
        std::fs::write(&tool, script).expect("fake tool");
        Command::new("chmod").arg("755").arg(&tool).status().expect("chmod");
    }
    let path_with = |folder: &std::path::Path| format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", folder.display());

    let facts = reader_in(&pbx, None, &[("PATH", &path_with(&garbage))]);
    let nft = source(&facts, "nft");
    assert_eq!(nft["status"], "failed", "{facts:#}");
    assert!(nft["detail"].as_str().unwrap_or_default().starts_with("not JSON"), "{facts:#}");
    assert_eq!(facts["notes"][0]["source"], "nft -j list ruleset");

    let facts = reader_in(&pbx, None, &[("PATH", &path_with(&hung))]);
    assert_eq!(source(&facts, "nft")["status"], "timed-out", "{facts:#}");
    let _ = std::fs::remove_dir_all(&dir);
}
