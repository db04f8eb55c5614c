//! The Linux firewall reader and judge against real rulesets: each test loads nftables or iptables rules
//! into a namespace of its own and reads them back there, through the reader and the pure readers; the
//! end-to-end tests run `mcready check` in the namespace, apply the exact fix it printed there, and
//! check again: the verdict for that requirement must turn green.
//!
//! `gather` reads the namespace it runs in, so the reader must run inside the test's namespace. This
//! binary re-runs itself there (`ip netns exec NS <this test binary> --exact firewall_facts_helper`),
//! where the helper test prints the facts as JSON: no other binary has to be built first, so
//! `cargo test --test netns_firewall` alone is enough. (`examples/firewall_facts.rs` prints the same
//! for a person.)

#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::{
    IPTABLES_LEGACY_RESTORE, IPTABLES_LEGACY_SAVE, IPTABLES_NFT_RESTORE, IPTABLES_NFT_SAVE, Lab, NFT,
    SETPRIV, stdout, two_hosts,
};
use mcready::facts::{FirewallFlow, PNP_GROUP, PNP_PORT};
use mcready::firewall::{Context, iptables, judge, nft};
use mcready::platform::{GatherOptions, Scope, gather};
use mcready::ruleset::Ruleset;
use serde_json::Value;

/// What the end-to-end firewall scenarios run: both firewall front ends and the stand-in PBX.
const FIREWALL_TOOLS: &[common::Program] = &[
    NFT,
    IPTABLES_NFT_RESTORE,
    IPTABLES_NFT_SAVE,
    IPTABLES_LEGACY_RESTORE,
    IPTABLES_LEGACY_SAVE,
    common::PYTHON3,
];

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
    let mut firewall = gather(&GatherOptions { scope, ..GatherOptions::default() }).expect("gather").firewall;
    // The gather only reads; judge what it read as `check` would with nothing known of the interface
    // or the phones.
    let context = Context { managers: firewall.managers.clone(), ..gather_context() };
    let judged = judge(&firewall.rulesets, &context);
    (firewall.findings, firewall.helpers, firewall.partial) =
        (judged.findings, judged.helpers, judged.partial);
    println!("{MARK}{}", serde_json::to_string(&firewall).expect("JSON"));
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

/// The findings about a phone's SUBSCRIBE coming in.
fn findings(facts: &Value) -> Vec<&Value> {
    facts["findings"].as_array().expect("findings").iter().filter(|f| f["flow"] == "subscribe-in").collect()
}

/// The context the gather judges with: the group and port, nothing known of interface or phones.
fn gather_context() -> Context {
    Context { group: Some(PNP_GROUP), port: Some(PNP_PORT), ..Context::default() }
}

/// What the pure judge says of `ruleset` about a phone's SUBSCRIBE, as JSON.
fn judged_subscribe(ruleset: Ruleset) -> Value {
    let judged = judge(&[ruleset], &gather_context());
    serde_json::to_value(judged.of(FirewallFlow::SubscribeIn).collect::<Vec<_>>()).expect("JSON")
}

lab_test!(nft_drop_of_the_port_is_found, Lab::with(&[NFT]), |mut lab| {
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

    // The same text through the pure reader and judge gives the same finding.
    let json = capture(&lab, &pbx, "nft -j list ruleset");
    let ruleset = Ruleset::Netfilter(nft::read(&json, &[]));
    assert_eq!(judged_subscribe(ruleset), Value::Array(found.into_iter().cloned().collect()));
});

lab_test!(nft_policy_drop_is_found_unless_the_port_is_accepted, Lab::with(&[NFT]), |mut lab| {
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
});

lab_test!(
    iptables_nft_rules_are_judged_once_from_iptables_save,
    Lab::with(&[IPTABLES_NFT_RESTORE, IPTABLES_NFT_SAVE, NFT]),
    |mut lab| {
        let pbx = lab.host("pbx");
        lab.feed(&pbx, &["iptables-nft-restore"], include_str!("fixtures/firewall/iptables-mixed.rules"));

        let facts = reader_in(&pbx, None, &[]);
        assert_eq!(source(&facts, "nft")["status"], "read");
        assert_eq!(source(&facts, "iptables-nft-save")["status"], "read");
        let found = findings(&facts);
        assert!(found.iter().all(|f| f["tool"] == "iptables-nft-save"), "{facts:#}");
        let save = capture(&lab, &pbx, "iptables-nft-save");
        let judged = judged_subscribe(Ruleset::Netfilter(iptables::read(&save, None)));
        assert_eq!(Some(found.len()), judged.as_array().map(Vec::len));
        assert_eq!(found[0]["rule"], "-A PREROUTING -d 224.0.0.0/4 -p udp -m udp --dport 5060 -j DROP");
    }
);

lab_test!(
    iptables_legacy_rules_are_read,
    Lab::with(&[IPTABLES_LEGACY_RESTORE, IPTABLES_LEGACY_SAVE]),
    |mut lab| {
        let pbx = lab.host("pbx");
        lab.feed(
            &pbx,
            &["iptables-legacy-restore"],
            include_str!("fixtures/firewall/iptables-ufw-like.rules"),
        );

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
);

lab_test!(strict_rp_filter_on_an_interface_is_seen, Lab::new(), |mut lab| {
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
});

lab_test!(
    unprivileged_reader_says_permission_denied,
    Lab::with(&[NFT, IPTABLES_LEGACY_SAVE, SETPRIV]),
    |mut lab| {
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
);

lab_test!(a_broken_or_hung_tool_is_a_source_status_not_a_failure, Lab::new(), |mut lab| {
    let pbx = lab.host("pbx");
    // A table, so that the full nft listing is needed (an empty ruleset never runs it).
    lab.nft(&pbx, include_str!("fixtures/firewall/nft-drop-udp-5060.nft"));
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
});

// ---------------------------------------------------------------------------------------------------
// End to end: `mcready check` in the namespace, the fix it printed applied there, `check` again.

/// `mcready check --json ARGS` inside `ns`, as JSON.
fn check_in(lab: &Lab, ns: &str, args: &[&str]) -> Value {
    let mut full = vec!["check", "--json"];
    full.extend_from_slice(args);
    common::json(&lab.mcready(ns, &full))
}

/// One check of a report, by id.
fn check_of<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["requirements"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["checks"].as_array().into_iter().flatten())
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// The steps of a check's typed fix as `(command, undo)`, with `sudo` dropped (the lab runs as root).
/// Each command is also in the remedy text: the two come from the same writer.
fn fix_steps(check: &Value) -> Vec<(String, Option<String>)> {
    let remedy = check["remedy"].as_str().unwrap_or_default();
    let steps = check["fix"]["steps"].as_array().cloned().unwrap_or_default();
    assert!(!steps.is_empty(), "no typed fix: {check:#}");
    steps
        .iter()
        .map(|step| {
            let command = step["command"].as_str().unwrap_or_default();
            assert!(remedy.contains(command), "`{command}` is not in the remedy: {remedy}");
            let bare = |c: &str| c.replace("sudo ", "");
            (bare(command), step["undo"].as_str().map(bare))
        })
        .collect()
}

/// Runs `check`, expects `id` to be `status`, applies the steps of its typed fix, expects `id` to pass,
/// runs the steps' undo (last first) and expects `id` to be `status` again. Returns the first report.
fn fix_turns_green(lab: &Lab, ns: &str, args: &[&str], id: &str, status: &str) -> Value {
    let before = check_in(lab, ns, args);
    let check = check_of(&before, id);
    assert_eq!(check["status"], status, "{check:#}");
    let steps = fix_steps(check);
    for (command, _) in &steps {
        capture(lab, ns, command);
    }
    let commands: Vec<&str> = steps.iter().map(|(c, _)| c.as_str()).collect();
    let after = check_in(lab, ns, args);
    let fixed = check_of(&after, id);
    assert_eq!(fixed["status"], "pass", "after `{}`: {fixed:#}", commands.join("; "));
    for (_, undo) in steps.iter().rev() {
        if let Some(undo) = undo {
            capture(lab, ns, undo);
        }
    }
    let undone = check_in(lab, ns, args);
    let undone = check_of(&undone, id);
    assert_eq!(undone["status"], status, "after undoing `{}`: {undone:#}", commands.join("; "));
    before
}

const PHONE: [&str; 3] = ["--no-probe", "--phone", "198.51.100.20"];

lab_test!(a_drop_of_the_answers_on_output_fails_and_its_fix_turns_it_green, two_hosts(FIREWALL_TOOLS), |(
    lab,
    pbx,
    _phone,
)| {
    lab.nft(
        &pbx,
        "table inet t {\n chain output {\n  type filter hook output priority 0; policy accept;\n  udp sport 5060 counter drop\n }\n}\n",
    );
    let report = fix_turns_green(&lab, &pbx, &PHONE, "multicast.host-firewall-output", "fail");
    let remedy =
        check_of(&report, "multicast.host-firewall-output")["remedy"].as_str().unwrap_or_default().to_owned();
    assert!(remedy.contains("ip daddr 198.51.100.0/24 udp sport 5060 accept"), "{remedy}");
    // Input was never the problem.
    assert_eq!(check_of(&report, "multicast.host-firewall")["status"], "pass");
    let requirement =
        report["requirements"].as_array().and_then(|r| r.iter().find(|r| r["id"] == "network-multicast"));
    assert_eq!(requirement.map(|r| &r["status"]), Some(&Value::from("fail")));
});

lab_test!(igmp_dropped_both_ways_fails_and_its_fix_turns_it_green, two_hosts(FIREWALL_TOOLS), |(
    lab,
    pbx,
    _phone,
)| {
    lab.nft(
        &pbx,
        "table inet t {\n chain input {\n  type filter hook input priority 0; policy accept;\n  meta l4proto igmp drop\n }\n \
         chain output {\n  type filter hook output priority 0; policy accept;\n  ip protocol igmp drop\n }\n}\n",
    );
    let report = fix_turns_green(&lab, &pbx, &PHONE, "multicast.host-firewall-igmp", "fail");
    let summary =
        check_of(&report, "multicast.host-firewall-igmp")["summary"].as_str().unwrap_or_default().to_owned();
    assert!(
        summary.contains("meta l4proto igmp drop") && summary.contains("ip protocol igmp drop"),
        "{summary}"
    );
});

lab_test!(
    a_reject_in_a_jumped_to_chain_for_the_pnp_interface_is_certain_and_skips_the_loopback,
    two_hosts(FIREWALL_TOOLS),
    |(lab, pbx, _phone)| {
        lab.nft(
        &pbx,
        "table inet t {\n chain input {\n  type filter hook input priority 0; policy accept;\n  iifname \"eth0\" jump voip\n }\n \
         chain voip {\n  udp dport 5060 reject\n }\n}\n",
    );
        // The probe's looped-back copy meets the reject: the loopback and answer checks point at the
        // firewall instead of failing membership.
        let active = check_in(&lab, &pbx, &["--timeout", "1", "--phone", "198.51.100.20"]);
        let loopback = check_of(&active, "membership.probe-loopback");
        assert_eq!(loopback["status"], "skip", "{loopback:#}");
        assert!(
            loopback["summary"].as_str().unwrap_or_default().contains("firewall drops it"),
            "{loopback:#}"
        );
        assert_eq!(check_of(&active, "membership.pbx-answers")["status"], "skip");

        let report = fix_turns_green(&lab, &pbx, &PHONE, "multicast.host-firewall", "fail");
        let check = check_of(&report, "multicast.host-firewall");
        assert!(check["summary"].as_str().unwrap_or_default().contains("in inet t voip"), "{check:#}");
        assert!(
            check["remedy"].as_str().unwrap_or_default().contains("nft insert rule inet t voip position"),
            "{check:#}"
        );
    }
);

lab_test!(
    an_accept_of_the_phones_subnet_before_a_drop_keeps_it_off_the_phones,
    two_hosts(FIREWALL_TOOLS),
    |(lab, pbx, _phone)| {
        lab.nft(
            &pbx,
            "table inet t {\n chain input {\n  type filter hook input priority 0; policy accept;\n  \
         ip saddr 198.51.100.0/24 udp dport 5060 accept\n  udp dport 5060 drop\n }\n}\n",
        );
        // With the phones known (inside that subnet), the drop does not hit them.
        let report = check_in(&lab, &pbx, &PHONE);
        assert_eq!(check_of(&report, "multicast.host-firewall")["status"], "pass");
        // With no phone known, it may, unless they come from that subnet.
        let report = check_in(&lab, &pbx, &["--no-probe", "-i", "eth0"]);
        let check = check_of(&report, "multicast.host-firewall");
        assert_eq!(check["status"], "warn", "{check:#}");
        assert!(
            check["summary"].as_str().unwrap_or_default().contains("unless it comes from 198.51.100.0/24"),
            "{check:#}"
        );
    }
);

lab_test!(
    a_policy_drop_fails_sip_and_igmp_and_the_nft_fixes_turn_them_green,
    two_hosts(FIREWALL_TOOLS),
    |(lab, pbx, _phone)| {
        lab.nft(
            &pbx,
            "table inet filter {\n chain input {\n  type filter hook input priority 0; policy drop;\n  \
         ct state established,related accept\n  iif lo accept\n }\n}\n",
        );
        fix_turns_green(&lab, &pbx, &PHONE, "multicast.host-firewall", "fail");
        fix_turns_green(&lab, &pbx, &PHONE, "multicast.host-firewall-igmp", "fail");
    }
);

#[test]
fn iptables_fixes_turn_green_with_either_backend() {
    for program in ["iptables-legacy", "iptables-nft"] {
        let Some((lab, pbx, _phone)) =
            two_hosts("iptables_fixes_turn_green_with_either_backend", FIREWALL_TOOLS)
        else {
            return;
        };
        lab.feed(
            &pbx,
            &[&format!("{program}-restore")],
            "*filter\n:INPUT ACCEPT [0:0]\n:sip - [0:0]\n-A INPUT -i lo -j ACCEPT\n\
             -A INPUT -p udp -m udp --dport 5060 -j sip\n-A sip -j REJECT\nCOMMIT\n",
        );
        let report = fix_turns_green(&lab, &pbx, &PHONE, "multicast.host-firewall", "fail");
        let remedy =
            check_of(&report, "multicast.host-firewall")["remedy"].as_str().unwrap_or_default().to_owned();
        assert!(
            remedy.contains(&format!("{program} -I sip 1 -s 198.51.100.0/24 -p udp --dport 5060 -j ACCEPT")),
            "{remedy}"
        );
    }
}

lab_test!(a_hand_written_ip_filter_table_stays_with_nft, Lab::new(), |mut lab| {
    let pbx = lab.host("pbx");
    // iptables-nft-save prints this table's empty built-in chains with an "incompatible" comment.
    lab.nft(&pbx, "table ip filter {\n chain input {\n  type filter hook input priority 0; policy accept;\n  udp dport 5060 drop\n }\n}\n");
    let facts = reader_in(&pbx, None, &[]);
    let found = findings(&facts);
    assert_eq!(found.len(), 1, "{facts:#}");
    assert_eq!((&found[0]["tool"], &found[0]["table"]), (&"nft".into(), &"ip filter".into()), "{facts:#}");
});

lab_test!(iptables_nft_tables_alone_spare_the_full_nft_listing, Lab::new(), |mut lab| {
    let pbx = lab.host("pbx");
    lab.feed(&pbx, &["iptables-nft-restore"], include_str!("fixtures/firewall/iptables-kube-proxy.rules"));
    let facts = reader_in(&pbx, None, &[]);
    let nft = source(&facts, "nft");
    assert_eq!(nft["status"], "read", "{facts:#}");
    let detail = nft["detail"].as_str().unwrap_or_default();
    assert_eq!(detail, "every table read from iptables-nft-save: ip filter, ip nat", "{facts:#}");
    assert!(source(&facts, "iptables-nft-save")["rules"].as_u64().unwrap_or(0) > 20, "{facts:#}");
});

lab_test!(a_sip_conntrack_helper_on_the_port_is_reported, two_hosts(FIREWALL_TOOLS), |(lab, pbx, _phone)| {
    lab.nft(
        &pbx,
        "table inet t {\n ct helper sip-5060 {\n  type \"sip\" protocol udp;\n }\n chain pre {\n  \
         type filter hook prerouting priority 0; policy accept;\n  udp dport 5060 ct helper set \"sip-5060\"\n }\n}\n",
    );
    let report = check_in(&lab, &pbx, &PHONE);
    let check = check_of(&report, "multicast.sip-helper");
    assert_eq!(check["status"], "warn", "{check:#}");
    assert!(check["summary"].as_str().unwrap_or_default().contains("assigns helper sip-5060"), "{check:#}");
    // A helper drops nothing by itself.
    assert_eq!(check_of(&report, "multicast.host-firewall")["status"], "pass");
});

lab_test!(
    a_drop_in_kube_proxys_chain_is_named_as_theirs_and_fixed_before_it,
    two_hosts(FIREWALL_TOOLS),
    |(lab, pbx, _phone)| {
        lab.feed(
            &pbx,
            &["iptables-nft-restore"],
            "*filter\n:INPUT ACCEPT [0:0]\n:KUBE-FIREWALL - [0:0]\n-A INPUT -j KUBE-FIREWALL\n\
         -A KUBE-FIREWALL -p udp -m udp --dport 5060 -j DROP\nCOMMIT\n",
        );
        let report = fix_turns_green(&lab, &pbx, &PHONE, "multicast.host-firewall", "fail");
        let remedy =
            check_of(&report, "multicast.host-firewall")["remedy"].as_str().unwrap_or_default().to_owned();
        assert!(remedy.contains("KUBE-FIREWALL is kube-proxy's own"), "{remedy}");
        assert!(remedy.contains("iptables-nft -I INPUT 1 -s 198.51.100.0/24"), "{remedy}");
    }
);

lab_test!(
    an_iptables_output_policy_drop_fails_answers_and_igmp_and_the_fixes_turn_them_green,
    two_hosts(FIREWALL_TOOLS),
    |(lab, pbx, _phone)| {
        lab.feed(
            &pbx,
            &["iptables-legacy-restore"],
            "*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n-A OUTPUT -o lo -j ACCEPT\nCOMMIT\n",
        );
        let report = fix_turns_green(&lab, &pbx, &PHONE, "multicast.host-firewall-output", "fail");
        let remedy = check_of(&report, "multicast.host-firewall-output")["remedy"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            remedy.contains("iptables-legacy -A OUTPUT -d 198.51.100.0/24 -p udp --sport 5060 -j ACCEPT"),
            "{remedy}"
        );
        fix_turns_green(&lab, &pbx, &PHONE, "multicast.host-firewall-igmp", "fail");
    }
);

// A port forward to a PBX container, loaded for real, reaches `facts.firewall.nat` through the
// platform's reading — from nft's JSON for an nft table, from iptables-nft-save for iptables-nft's.
lab_test!(
    dnat_to_a_pbx_container_is_in_the_facts,
    Lab::with(&[NFT, IPTABLES_NFT_RESTORE, IPTABLES_NFT_SAVE]),
    |mut lab| {
        let nft_host = lab.host("nftnat");
        let ipt_host = lab.host("iptnat");
        lab.nft(&nft_host, include_str!("fixtures/firewall/nft-dnat-pbx-container.nft"));
        lab.feed(
            &ipt_host,
            &["iptables-nft-restore"],
            include_str!("fixtures/firewall/iptables-dnat-pbx-container.rules"),
        );
        for (ns, chain, tool) in
            [(&nft_host, "prerouting", "nft"), (&ipt_host, "DOCKER", "iptables-nft-save")]
        {
            let facts = reader_in(ns, None, &[]);
            let nat = facts["nat"].as_array().unwrap_or_else(|| panic!("no nat in {facts:#}"));
            let forward = nat
                .iter()
                .find(|n| n["kind"] == "dnat" && n["ports"][0] == "5060")
                .unwrap_or_else(|| panic!("no DNAT of 5060 in {facts:#}"));
            assert_eq!(forward["chain"], chain);
            assert_eq!(forward["tool"], tool);
            assert_eq!(forward["protocol"], "udp");
            assert_eq!(forward["to_address"], "203.0.113.10");
            assert_eq!(forward["to_ports"], "5060");
            assert!(nat.iter().any(|n| n["kind"] == "masquerade"), "{facts:#}");
        }
    }
);
