//! `mcready fix` (issue 27) in the namespace lab: for each host fault the lab builds, `fix --apply
//! --yes` turns the check green, `fix --undo` gives back `ip route`, the sysctls, `nft list ruleset` and
//! `iptables-save` byte for byte, an unconfirmed run is taken back by itself, and a run killed between
//! its steps is completed by `--undo`. Every run names its own journal directory (`--state-dir`, a
//! temporary directory of the test): the real /var/lib/mcready is never touched, and everything `fix`
//! changes is inside the lab's namespaces.
#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{
    IPTABLES_LEGACY_RESTORE, IPTABLES_NFT_RESTORE, Lab, NFT, PYTHON3, QUERIER, SIPP, check_field, json,
    mcready_bin, pbx_with_lab_pbx, stdout, two_hosts,
};
use serde_json::Value;

const SIPP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sipp");

/// A journal directory of the test's own, removed when dropped.
struct StateDir(PathBuf);

impl StateDir {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("mcready-fix-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }

    fn arg(&self) -> String {
        self.0.display().to_string()
    }

    fn journal(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.0.join("journal.json")).unwrap()).unwrap()
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `mcready fix ARGS --json --state-dir DIR` in `ns`: the document and the exit code. Every document
/// is held to its schema.
fn fix(lab: &Lab, ns: &str, state: &StateDir, args: &[&str]) -> (Value, i32) {
    fix_with(lab, ns, state, &[], args)
}

/// `mcready fix` as [`fix`], keeping confirmed changes under `root` (`MCREADY_FIX_ROOT`).
fn fix_in(lab: &Lab, ns: &str, state: &StateDir, root: &StateDir, args: &[&str]) -> (Value, i32) {
    fix_with(lab, ns, state, &[("MCREADY_FIX_ROOT", &root.arg())], args)
}

fn fix_with(lab: &Lab, ns: &str, state: &StateDir, env: &[(&str, &str)], args: &[&str]) -> (Value, i32) {
    let dir = state.arg();
    let mut full = vec!["fix", "--json", "--state-dir", &dir];
    full.extend_from_slice(args);
    let out = lab.mcready_with(ns, env, &full);
    let document = json(&out);
    assert_eq!(document["schema"], "mcready.fix/v1", "{document:#}");
    assert_schema(&document);
    (document, out.status.code().unwrap_or(-1))
}

/// Every file under `dir` with its mode and bytes, in name order: what an undo must give back exactly.
fn tree(dir: &std::path::Path) -> Vec<(String, u32, Vec<u8>)> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).unwrap().flatten() {
            let path = entry.path();
            let mode = entry.metadata().unwrap().permissions().mode();
            if path.is_dir() {
                found.push((path.display().to_string(), mode, Vec::new()));
                pending.push(path);
            } else {
                found.push((path.display().to_string(), mode, std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// The `kept` results of a run: (step command, where it was kept).
fn kept(document: &Value) -> Vec<(String, String)> {
    outcomes(document).into_iter().filter(|(_, r, _)| r == "kept").map(|(c, _, why)| (c, why)).collect()
}

/// Each result of a run with its step's command: (command, result, why).
fn outcomes(document: &Value) -> Vec<(String, String, String)> {
    let steps = document["plan"]["steps"].as_array().cloned().unwrap_or_default();
    document["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let step = steps.iter().find(|s| s["number"] == r["step"]).unwrap();
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (text(&step["command"]), text(&r["result"]), text(&r["why"]))
        })
        .collect()
}

fn assert_schema(document: &Value) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schemas/mcready.fix.v1.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(document).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{}\n{document:#}", errors.join("\n"));
}

fn check(lab: &Lab, ns: &str, args: &[&str]) -> Value {
    let mut full = vec!["check", "--json"];
    full.extend_from_slice(args);
    json(&lab.mcready(ns, &full))
}

/// The results of an apply, by step command: `command → result`.
fn results(document: &Value) -> Vec<(String, String)> {
    outcomes(document).into_iter().map(|(c, r, _)| (c, r)).collect()
}

fn state_of(lab: &Lab, ns: &str, command: &str) -> String {
    let out = lab.sh(ns, command);
    assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
    stdout(&out)
}

/// The IPv4 routes, every table (IPv6 link-local routes come and go by themselves in a fresh lab).
const ROUTES: &str = "ip -4 route show table all";

// No route for the group: the plan has the route (safe, runtime, with its undo); applied it is verified
// by membership.group-route; applied again it changes nothing; undone, `ip route` is as before exactly.
lab_test!(a_missing_multicast_route_is_added_verified_and_undone_exactly, two_hosts(&[]), |lab| {
    let (lab, pbx, _phone) = lab;
    let state = StateDir::new("route");
    let only = ["--timeout", "1", "--phone", "198.51.100.20", "--only", "membership.group-route"];
    let before = state_of(&lab, &pbx, ROUTES);

    let (plan, code) = fix(&lab, &pbx, &state, &only);
    assert_eq!((plan["mode"].as_str(), code), (Some("plan"), 1), "{plan:#}");
    let step = &plan["plan"]["steps"][0];
    assert_eq!(step["command"], "sudo ip route add 224.0.0.0/4 dev eth0", "{plan:#}");
    assert_eq!((step["class"].as_str(), step["action"].as_str()), (Some("safe"), Some("apply")));
    assert_eq!(step["verifies"][0], "membership.group-route");
    assert_eq!(state_of(&lab, &pbx, ROUTES), before, "the plan alone changed the routes");

    let mut apply = only.to_vec();
    apply.extend(["--apply", "--yes"]);
    let (applied, code) = fix(&lab, &pbx, &state, &apply);
    assert_eq!(code, 0, "{applied:#}");
    assert!(
        results(&applied).contains(&("sudo ip route add 224.0.0.0/4 dev eth0".into(), "verified".into()))
    );
    assert_eq!(applied["journal"]["state"], "confirmed", "{applied:#}");
    let fixed = check(&lab, &pbx, &["--timeout", "1", "--phone", "198.51.100.20"]);
    assert_eq!(check_field(&fixed, "membership.group-route", "status"), "pass", "{fixed:#}");

    // Idempotent: a second run finds nothing to do, and changes nothing.
    let after = state_of(&lab, &pbx, ROUTES);
    let (again, code) = fix(&lab, &pbx, &state, &apply);
    assert_eq!(code, 0, "{again:#}");
    assert_eq!(state_of(&lab, &pbx, ROUTES), after);

    let (undone, code) = fix(&lab, &pbx, &state, &["--undo"]);
    assert_eq!(code, 0, "{undone:#}");
    assert_eq!(undone["results"][0]["result"], "undone", "{undone:#}");
    assert_eq!(state_of(&lab, &pbx, ROUTES), before);
});

// The group routed by the wrong NIC (the default route's, where a PBX joining without naming an
// interface lands): the route by the phones' NIC is added and verified; the step that would take the
// default route's adapter down is refused; the PBX's join moves only when it joins again — the plan says
// so, and after the lab restarts the PBX the check passes. Undone, the routes are as before.
lab_test!(
    the_group_routed_by_the_wrong_nic_is_moved_and_the_default_route_adapter_kept,
    Lab::with(&[PYTHON3]),
    |mut lab| {
        let pbx = lab.two_nic_pbx();
        lab.ip(&pbx, &["route", "add", "default", "via", "203.0.113.1"]);
        lab.start_pbx(&pbx, "198.51.100.10", "--any");
        let state = StateDir::new("wrong-nic");
        let before = state_of(&lab, &pbx, ROUTES);
        let args = ["--timeout", "1", "--phone", "198.51.100.20", "--apply", "--yes", "--allow-disruptive"];
        let (applied, code) = fix(&lab, &pbx, &state, &args);
        assert_eq!(code, 1, "the PBX has not joined again yet: {applied:#}");
        let results = results(&applied);
        assert!(
            results.contains(&("sudo ip route add 224.0.0.0/4 dev lan".into(), "verified".into())),
            "{applied:#}"
        );
        for step in applied["plan"]["steps"].as_array().unwrap() {
            if step["command"].as_str().is_some_and(|c| c.contains("wan down")) {
                assert_eq!(step["action"], "refuse", "{step:#}");
            }
        }
        let waits = applied["plan"]["steps"].to_string();
        assert!(waits.contains("membership.on-pnp-interface passes only after step"), "{applied:#}");
        assert_eq!(
            state_of(&lab, &pbx, "ip -o link show wan | grep -c ',UP'").trim(),
            "1",
            "wan was taken down"
        );

        // The guide's "reboot and re-run", done here by the lab: the PBX joins again, on lan now.
        let _ = lab.sh(&pbx, "pkill -f 'pbx.py 198.51.100.10'");
        lab.start_pbx(&pbx, "198.51.100.10", "--any");
        let fixed = check(&lab, &pbx, &["--timeout", "1", "--phone", "198.51.100.20"]);
        assert_eq!(check_field(&fixed, "membership.on-pnp-interface", "status"), "pass", "{fixed:#}");
        assert_eq!(check_field(&fixed, "membership.group-route", "status"), "pass", "{fixed:#}");

        let (_, code) = fix(&lab, &pbx, &state, &["--undo"]);
        assert_eq!(code, 0);
        assert_eq!(state_of(&lab, &pbx, ROUTES), before);
    }
);

// Strict reverse-path filtering where the route back to the phones leaves by another interface: the
// sysctl is loosened and verified with a phone booting meanwhile; undone, both keys read as before.
lab_test!(strict_rp_filter_is_loosened_verified_and_set_back, Lab::with(&[PYTHON3, SIPP]), |mut lab| {
    let (_switch, pbx, phone) = lab.bridged_pbx_and_phone(QUERIER);
    lab.ip(&pbx, &["route", "add", "198.51.100.16/28", "dev", "lo"]);
    let _ = lab.sh(&pbx, "sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1");
    lab.start_pbx(&pbx, "198.51.100.10", "");
    // A phone that boots again and again while fix runs the check.
    lab.spawn(
        &phone,
        &format!(
            "while true; do sipp -sf {SIPP_DIR}/pnp-subscribe.xml -m 1 -i 198.51.100.20 -p 5080 -key mac 001565aabbcc \
             -nostdin -timeout 5s 224.0.1.75:5060 >/dev/null 2>&1; sleep 0.5; done"
        ),
    );
    let sysctls = "sysctl net.ipv4.conf.all.rp_filter net.ipv4.conf.eth0.rp_filter";
    let before = state_of(&lab, &pbx, sysctls);
    let state = StateDir::new("rp-filter");
    // The files kept on confirmation go to a tree of the test's own, which has /etc/sysctl.d already.
    let root = StateDir::new("rp-filter-root");
    std::fs::create_dir_all(root.0.join("etc/sysctl.d")).unwrap();
    let files = tree(&root.0);
    let args = ["-i", "eth0", "--phone", "198.51.100.20", "--listen", "3", "--only", "multicast.rp-filter"];
    let mut apply = args.to_vec();
    apply.extend(["--apply", "--yes"]);
    let (applied, code) = fix_in(&lab, &pbx, &state, &root, &apply);
    assert_eq!(code, 0, "{applied:#}");
    let (command, result) = &results(&applied)[0];
    assert!(command.contains("net.ipv4.conf.eth0.rp_filter=2"), "{applied:#}");
    assert_eq!(result, "verified", "{applied:#}");
    // Kept in a sysctl.d drop-in that `sysctl -p` (run by the executor in this namespace) accepted.
    let drop_in = root.0.join("etc/sysctl.d/90-mcready.conf");
    assert_eq!(kept(&applied), [(command.clone(), drop_in.display().to_string())], "{applied:#}");
    let text = std::fs::read_to_string(&drop_in).unwrap();
    assert!(text.ends_with("net.ipv4.conf.all.rp_filter = 2\nnet.ipv4.conf.eth0.rp_filter = 2\n"), "{text}");
    eprintln!("{}:\n{text}", drop_in.display());
    // What a boot does with it: strict again, then the drop-in loaded, and the check passes.
    state_of(&lab, &pbx, "sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1");
    state_of(&lab, &pbx, &format!("sysctl -q -p {}", drop_in.display()));
    let booted = check(&lab, &pbx, &args[..6]);
    assert_eq!(check_field(&booted, "multicast.rp-filter", "status"), "pass", "{booted:#}");
    let (undone, code) = fix(&lab, &pbx, &state, &["--undo"]);
    assert_eq!(code, 0, "{undone:#}");
    assert_eq!(state_of(&lab, &pbx, sysctls), before);
    assert_eq!(tree(&root.0), files, "the drop-in is gone, and only it");
});

/// A firewall fault built by `build` on a PBX host with the lab PBX: `fix --apply --yes` turns every
/// `multicast.host-firewall*` check green and keeps the accept in `file` under a tree of the test's
/// own (holding `prior` beforehand, when given), checked there by the firewall's own tool; `boot` loads
/// the kept file as a boot would (and restores the ruleset `dump` printed afterwards); `--undo`
/// gives back what `dump` prints, exactly (`iptables-save` without its date lines and with its packet
/// counters zeroed: they are traffic, not rules), and the tree byte for byte. Returns the kept file's
/// text.
fn firewall_round_trip(
    lab: &mut Lab,
    test: &str,
    build: &str,
    dump: &str,
    (file, prior): (&str, Option<&str>),
    boot: Option<(&str, &str)>,
) -> String {
    let (pbx, _phone) = pbx_with_lab_pbx(lab);
    state_of(lab, &pbx, build);
    let before = state_of(lab, &pbx, dump);
    let state = StateDir::new(test);
    let root = StateDir::new(&format!("{test}-root"));
    let path = root.0.join(file.trim_start_matches('/'));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    if let Some(prior) = prior {
        std::fs::write(&path, prior).unwrap();
    }
    let files = tree(&root.0);
    let args = ["--no-probe", "--phone", "198.51.100.20"];
    let firewall_checks = |report: &Value| -> Vec<(String, String)> {
        report["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["checks"].as_array().unwrap().clone())
            .filter(|c| c["id"].as_str().unwrap().starts_with("multicast.host-firewall"))
            .map(|c| (c["id"].as_str().unwrap().to_owned(), c["status"].as_str().unwrap().to_owned()))
            .collect()
    };
    let broken = check(lab, &pbx, &args);
    assert!(firewall_checks(&broken).iter().any(|(_, s)| s == "fail"), "{broken:#}");
    let mut apply = args.to_vec();
    apply.extend(["--apply", "--yes"]);
    let (applied, _) = fix_in(lab, &pbx, &state, &root, &apply);
    assert!(results(&applied).iter().any(|(_, r)| r == "verified"), "{applied:#}");
    assert!(kept(&applied).iter().any(|(_, at)| *at == path.display().to_string()), "{applied:#}");
    let written = std::fs::read_to_string(&path).unwrap();
    eprintln!("{}:\n{written}", path.display());
    let fixed = check(lab, &pbx, &args);
    for (id, status) in firewall_checks(&fixed) {
        assert_eq!(status, "pass", "{id} after fix: {fixed:#}");
    }
    if let Some((load, restore)) = boot {
        // What the boot does: the runtime ruleset replaced by the kept file, and the check still passes.
        // Then the runtime ruleset as the run left it, which the undo's exact comparison holds it to.
        let running = root.0.with_extension("running");
        std::fs::write(&running, state_of(lab, &pbx, dump)).unwrap();
        state_of(lab, &pbx, &load.replace("{file}", &path.display().to_string()));
        let booted = check(lab, &pbx, &args);
        for (id, status) in firewall_checks(&booted) {
            assert_eq!(status, "pass", "{id} after the kept file was loaded: {booted:#}");
        }
        state_of(lab, &pbx, &restore.replace("{file}", &running.display().to_string()));
        let _ = std::fs::remove_file(&running);
    }
    let (undone, code) = fix(lab, &pbx, &state, &["--undo"]);
    assert_eq!(code, 0, "{undone:#}");
    assert_eq!(state_of(lab, &pbx, dump), before, "{undone:#}");
    assert_eq!(tree(&root.0), files, "{undone:#}");
    written
}

/// A boot with nftables.service: the kept file loaded (it flushes the ruleset first); and the ruleset
/// put back as `nft list ruleset` printed it.
const NFT_BOOT: (&str, &str) = ("nft -f {file}", "nft flush ruleset && nft -f {file}");

/// The lab's nft fault: SIP dropped in an input chain of a table `t`.
const NFT_DROP: &str = "table inet t {\n chain input {\n  type filter hook input priority 0; policy accept;\n  udp dport 5060 drop\n }\n}\n";

lab_test!(
    an_nft_input_drop_is_opened_and_the_ruleset_restored_exactly,
    Lab::with(&[PYTHON3, NFT]),
    |mut lab| {
        // Debian's /etc/nftables.conf holding the same table: the accept is added after it, and a boot
        // (the ruleset flushed, the file loaded) keeps the phones' SIP open.
        let conf = format!("#!/usr/sbin/nft -f\n\nflush ruleset\n\n{NFT_DROP}");
        let written = firewall_round_trip(
            &mut lab,
            "nft",
            &format!("printf '{}' | nft -f -", NFT_DROP.replace('\n', "\\n")),
            "nft list ruleset",
            ("/etc/nftables.conf", Some(&conf)),
            Some(NFT_BOOT),
        );
        assert_eq!(
            written,
            format!(
                "{conf}# mcready fix: accept `ip saddr 198.51.100.0/24 udp dport 5060 accept`\n\
                 insert rule inet t input ip saddr 198.51.100.0/24 udp dport 5060 accept\n"
            )
        );
    }
);

lab_test!(
    an_iptables_nft_drop_is_opened_and_iptables_save_restored_exactly,
    Lab::with(&[PYTHON3, IPTABLES_NFT_RESTORE]),
    |mut lab| {
        // No rules.v4 yet: mcready's own `*filter` section, which iptables-nft-restore --test accepted.
        let written = firewall_round_trip(
            &mut lab,
            "iptables-nft",
            "iptables-nft -A INPUT -p udp --dport 5060 -j DROP",
            "iptables-nft-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]/[0:0]/'",
            ("/etc/iptables/rules.v4", None),
            None,
        );
        assert_eq!(
            written,
            "*filter\n# mcready fix: accept `-s 198.51.100.0/24 -p udp --dport 5060 -j ACCEPT`\n\
             -I INPUT -s 198.51.100.0/24 -p udp --dport 5060 -j ACCEPT\nCOMMIT\n"
        );
    }
);

lab_test!(
    an_iptables_legacy_drop_is_opened_and_iptables_save_restored_exactly,
    Lab::with(&[PYTHON3, IPTABLES_LEGACY_RESTORE]),
    |mut lab| {
        // The admin's rules.v4 (as `netfilter-persistent save` writes it): the accept goes before the
        // COMMIT of its `*filter`, as the first rule of INPUT once restored; a boot restores it.
        let prior = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
                     -A INPUT -p udp -m udp --dport 5060 -j DROP\nCOMMIT\n";
        let written = firewall_round_trip(
            &mut lab,
            "iptables-legacy",
            "iptables-legacy -A INPUT -p udp --dport 5060 -j DROP",
            "iptables-legacy-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]/[0:0]/'",
            ("/etc/iptables/rules.v4", Some(prior)),
            Some(("iptables-legacy-restore < {file}", "iptables-legacy-restore < {file}")),
        );
        assert!(
            written.ends_with(
                "-A INPUT -p udp -m udp --dport 5060 -j DROP\n# mcready fix: accept `-s 198.51.100.0/24 -p udp --dport 5060 -j ACCEPT`\n\
                 -I INPUT -s 198.51.100.0/24 -p udp --dport 5060 -j ACCEPT\nCOMMIT\n"
            ),
            "{written}"
        );
    }
);

/// Polls `done` every 100 ms for at most `limit`.
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

// Nobody confirms (no terminal, no --yes): the run waits, says how the revert was armed, and the
// detached helper takes it back when --confirm-within is over — `ip route` as before, exactly.
lab_test!(an_unconfirmed_run_is_taken_back_by_itself, two_hosts(&[]), |lab| {
    let (lab, pbx, _phone) = lab;
    let state = StateDir::new("unconfirmed");
    let before = state_of(&lab, &pbx, ROUTES);
    let args = [
        "--timeout",
        "1",
        "--phone",
        "198.51.100.20",
        "--only",
        "membership.group-route",
        "--apply",
        "--confirm-within",
        "2",
    ];
    let (applied, code) = fix(&lab, &pbx, &state, &args);
    assert_eq!(code, 0, "{applied:#}");
    assert_eq!(applied["journal"]["state"], "pending", "{applied:#}");
    assert_eq!(applied["journal"]["revert"]["by"], "helper", "{applied:#}");
    assert_ne!(state_of(&lab, &pbx, ROUTES), before, "the route was not added");
    let (status, code) = fix(&lab, &pbx, &state, &["--status"]);
    assert_eq!((status["journal"]["state"].as_str(), code), (Some("pending"), 1), "{status:#}");
    assert!(
        wait_until(Duration::from_secs(10), || state.journal()["state"] == "reverted"),
        "not taken back: {:#}",
        state.journal()
    );
    assert_eq!(state_of(&lab, &pbx, ROUTES), before);
    // A confirmation after the revert is too late, and says so.
    let out = lab.mcready(&pbx, &["fix", "--confirm", "--state-dir", &state.arg()]);
    assert_eq!(out.status.code(), Some(2));
});

// A confirmed run before its deadline: `fix --confirm` from another shell keeps it.
lab_test!(a_run_confirmed_from_another_shell_is_kept, two_hosts(&[]), |lab| {
    let (lab, pbx, _phone) = lab;
    let state = StateDir::new("confirmed");
    let args = [
        "--timeout",
        "1",
        "--phone",
        "198.51.100.20",
        "--only",
        "membership.group-route",
        "--apply",
        "--confirm-within",
        "3",
    ];
    let (applied, _) = fix(&lab, &pbx, &state, &args);
    assert_eq!(applied["journal"]["state"], "pending", "{applied:#}");
    let (confirmed, code) = fix(&lab, &pbx, &state, &["--confirm"]);
    assert_eq!((confirmed["journal"]["state"].as_str(), code), (Some("confirmed"), 0), "{confirmed:#}");
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(state.journal()["state"], "confirmed");
    assert!(state_of(&lab, &pbx, ROUTES).contains("224.0.0.0/4 dev eth0"));
});

// A run killed between its steps (and its armed revert killed too, as a power cut would): the journal
// it left says what was changed, and `fix --undo` takes all of it back — routes and ruleset exactly.
lab_test!(a_run_killed_between_steps_is_completed_by_undo, Lab::with(&[PYTHON3, NFT]), |mut lab| {
    let pbx = lab.host("pbx");
    let phone = lab.host("phone");
    lab.veth(&pbx, "eth0", &phone, "eth0");
    lab.addr(&pbx, "eth0", "198.51.100.10/24");
    lab.addr(&phone, "eth0", "198.51.100.20/24");
    lab.drop_udp_input(&pbx, 5060);
    let state = StateDir::new("killed");
    let before = (state_of(&lab, &pbx, ROUTES), state_of(&lab, &pbx, "nft list ruleset"));
    let script = format!(
        "MCREADY_FIX_STEP_PAUSE_MS=30000 exec '{}' fix --state-dir '{}' --timeout 1 --phone 198.51.100.20 \
         --only membership.group-route --only multicast.host-firewall --apply --yes >/dev/null 2>&1",
        mcready_bin().display(),
        state.arg()
    );
    lab.spawn(&pbx, &script);
    let journal_path = state.0.join("journal.json");
    let one_applied = || {
        std::fs::read_to_string(&journal_path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .is_some_and(|j| {
                j["entries"].as_array().is_some_and(|e| e.iter().any(|e| e["state"] == "applied"))
            })
    };
    assert!(wait_until(Duration::from_secs(20), one_applied), "no step was applied");
    let journal = state.journal();
    for pid in [journal["pid"].as_u64(), journal["revert"]["pid"].as_u64()].into_iter().flatten() {
        let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).output();
    }
    assert_eq!(state.journal()["state"], "applying");
    assert_ne!((state_of(&lab, &pbx, ROUTES), state_of(&lab, &pbx, "nft list ruleset")), before);
    let (undone, code) = fix(&lab, &pbx, &state, &["--undo"]);
    assert_eq!(code, 0, "{undone:#}");
    assert_eq!(undone["journal"]["state"], "undone");
    assert_eq!((state_of(&lab, &pbx, ROUTES), state_of(&lab, &pbx, "nft list ruleset")), before);
});

/// Runs `script` (which starts with [`common::private_overlays`]) in `ns` in a mount namespace of its
/// own, and returns what it printed after each `@@DUMP@@` line (up to the next `@@`) and the JSON
/// document after each `@@JSON@@` line. The script must end with `echo @@END@@`.
fn marked_run(lab: &Lab, ns: &str, script: &str) -> (Vec<String>, Vec<Value>) {
    marked(&common::in_private_mounts(lab, ns, script))
}

/// What a marked script printed: see [`marked_run`].
fn marked(out: &std::process::Output) -> (Vec<String>, Vec<Value>) {
    let text = stdout(out);
    assert!(text.contains("@@END@@"), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let dumps = text
        .split("@@DUMP@@")
        .skip(1)
        .map(|chunk| chunk.split("@@").next().unwrap_or_default().to_owned())
        .collect();
    let documents = text
        .split("@@JSON@@")
        .skip(1)
        .map(|chunk| {
            let mut values = serde_json::Deserializer::from_str(chunk).into_iter::<Value>();
            values.next().and_then(Result::ok).unwrap_or_else(|| panic!("no JSON in {chunk}"))
        })
        .collect();
    (dumps, documents)
}

/// In a private mount namespace (`setup` starts the manager there), with the lab PBX: `dump`, then
/// `fix --apply --yes`, the check, `fix --undo` and `dump` again. Returns (dump before, the apply's
/// document, the check after it, the undo's document, dump after the undo).
fn managed_round_trip(
    lab: &mut Lab,
    overlays: &[&str],
    setup: &str,
    dump: &str,
) -> (String, Value, Value, Value, String) {
    let (pbx, _phone) = pbx_with_lab_pbx(lab);
    let mcready = mcready_bin();
    let mcready = mcready.display();
    let args = "--no-probe --phone 198.51.100.20";
    let script = common::private_overlays(overlays)
        + &format!(
            r#"{setup}
echo @@DUMP@@; {{ {dump}; }} 2>&1
echo @@JSON@@; {mcready} fix --json --state-dir "$scratch/state" {args} --apply --yes || true
echo @@JSON@@; {mcready} check --json {args} || true
echo @@JSON@@; {mcready} fix --json --state-dir "$scratch/state" --undo || true
echo @@DUMP@@; {{ {dump}; }} 2>&1
echo @@END@@
"#
        );
    let (dumps, documents) = marked_run(lab, &pbx, &script);
    let [apply, after, undo] = <[Value; 3]>::try_from(documents).expect("three documents");
    assert_schema(&apply);
    assert_schema(&undo);
    (dumps[0].clone(), apply, after, undo, dumps[1].clone())
}

/// Every file under `$root` with its mode, then its text, in name order (as a shell prints it).
const ROOT_FILES: &str = r#"cd "$root" && find . -type f | sort | while read -r f; do echo "== $f $(stat -c %a "$f")"; cat "$f"; done"#;

/// The group's route fixed and confirmed on a host where a network manager configures eth0: `setup`
/// writes the manager's files on the host (in a private overlay of /etc and /run, and a PID namespace
/// of its own, so that a stand-in daemon — `daemon NAME` starts a process of that name, which is how
/// mcready sees a manager run — is seen by this run alone) and copies what mcready will edit to
/// `$root`; `validate` runs the manager's own tool on the kept tree. The check is green after the apply,
/// and `--undo` gives the tree back byte for byte. Returns the tree kept (as [`ROOT_FILES`] prints it)
/// and the apply's document.
fn route_kept_round_trip(lab: &Lab, ns: &str, setup: &str, validate: &str) -> (String, Value) {
    let mcready = mcready_bin();
    let mcready = mcready.display();
    let args = "--timeout 1 --phone 198.51.100.20";
    let only = "--only membership.group-route";
    let script = common::private_overlays(&["etc", "run"])
        + &format!(
            r#"daemon() {{ cp /bin/sleep "$scratch/$1" && "$scratch/$1" 600 & }}
index=$(cat /sys/class/net/eth0/ifindex)
root="$scratch/root"
mkdir -p "$root"
{setup}
export MCREADY_FIX_ROOT="$root"
echo @@DUMP@@; ( {ROOT_FILES} )
echo @@JSON@@; {mcready} fix --json --state-dir "$scratch/state" {args} {only} --apply --yes || true
echo @@DUMP@@; ( {ROOT_FILES} )
echo @@DUMP@@; ( {validate} ) 2>&1
echo @@JSON@@; {mcready} check --json {args} || true
echo @@JSON@@; {mcready} fix --json --state-dir "$scratch/state" --undo || true
echo @@DUMP@@; ( {ROOT_FILES} )
echo @@END@@
"#
        );
    let script = format!(
        "unshare --mount --propagation private --pid --fork --mount-proc bash -c '{}'",
        script.replace('\'', "'\\''")
    );
    let out = lab.sh(ns, &script);
    let (dumps, documents) = marked(&out);
    let [apply, after, undo] = <[Value; 3]>::try_from(documents).expect("three documents");
    assert_schema(&apply);
    assert_schema(&undo);
    assert_eq!(kept(&apply).len(), 1, "{apply:#}");
    eprintln!("the tree kept:\n{}\nchecked by the manager's tool:\n{}", dumps[1], dumps[2]);
    assert!(!dumps[2].contains("@@FAILED@@"), "the manager's tool refused it: {}", dumps[2]);
    assert_eq!(check_field(&after, "membership.group-route", "status"), "pass", "{after:#}");
    assert_eq!(undo["journal"]["state"], "undone", "{undo:#}");
    assert_eq!(dumps[3], dumps[0], "{undo:#}");
    (dumps[1].clone(), apply)
}

// netplan configures eth0 under an id of its own (`lab0`, matched by name): the route is kept in a
// netplan file of mcready's own under the same definition, which `netplan generate` renders into
// systemd-networkd's `[Route]` as the boot will.
lab_test!(
    a_confirmed_route_is_kept_in_netplan_and_undone_exactly,
    two_hosts(&[common::UNSHARE, common::NETPLAN]),
    |lab| {
        let (lab, pbx, _phone) = lab;
        let setup = r"mkdir -p /etc/netplan
printf 'network:\n  version: 2\n  ethernets:\n    lab0:\n      match:\n        name: eth0\n      addresses: [198.51.100.10/24]\n' > /etc/netplan/01-lab.yaml
chmod 600 /etc/netplan/01-lab.yaml
mkdir -p $root/etc/netplan && cp -p /etc/netplan/01-lab.yaml $root/etc/netplan/
netplan generate --root-dir $root";
        let (tree, _) =
            route_kept_round_trip(&lab, &pbx, setup, "netplan generate --root-dir $root || echo @@FAILED@@");
        assert!(
            tree.contains(
                "== ./etc/netplan/90-mcready-eth0.yaml 600\n# Written by `mcready fix`: the 224.0.0.0/4 route of eth0, \
                 merged by netplan into /etc/netplan/01-lab.yaml's definition.\nnetwork:\n  version: 2\n  ethernets:\n    lab0:\n      \
                 routes:\n        - to: 224.0.0.0/4\n          scope: link\n"
            ),
            "{tree}"
        );
        assert!(tree.contains("[Route]\nDestination=224.0.0.0/4\nScope=link\n"), "{tree}");
    }
);

// NetworkManager manages eth0 (its daemon stands in; its device state and keyfile are real): the route
// is kept in the connection's keyfile, rewritten by `nmcli --offline`, which reads it back.
lab_test!(
    a_confirmed_route_is_kept_in_the_networkmanager_keyfile_and_undone_exactly,
    two_hosts(&[common::UNSHARE, common::NMCLI]),
    |lab| {
        let (lab, pbx, _phone) = lab;
        let setup = r"daemon NetworkManager
mkdir -p /run/NetworkManager/devices /etc/NetworkManager/system-connections
printf '[device]\nmanaged=true\n' > /run/NetworkManager/devices/$index
printf '[connection]\nid=lab\nuuid=5a3e6b9c-1f43-4c6e-9d5f-0c0a3b6a7e11\ntype=ethernet\ninterface-name=eth0\n\n[ipv4]\naddress1=198.51.100.10/24\nmethod=manual\n' \
  > /etc/NetworkManager/system-connections/lab.nmconnection
chmod 600 /etc/NetworkManager/system-connections/lab.nmconnection
mkdir -p $root/etc/NetworkManager/system-connections
cp -p /etc/NetworkManager/system-connections/lab.nmconnection $root/etc/NetworkManager/system-connections/";
        let validate = "nmcli --offline connection modify connection.id lab < $root/etc/NetworkManager/system-connections/lab.nmconnection \
                        || echo @@FAILED@@";
        let (tree, _) = route_kept_round_trip(&lab, &pbx, setup, validate);
        assert!(tree.contains("== ./etc/NetworkManager/system-connections/lab.nmconnection 600\n"), "{tree}");
        assert!(tree.contains("route1=224.0.0.0/4\n"), "{tree}");
        assert!(tree.contains("uuid=5a3e6b9c-1f43-4c6e-9d5f-0c0a3b6a7e11\n"), "{tree}");
    }
);

// systemd-networkd manages eth0 (its daemon stands in; its link state and .network file are real): the
// route is kept in a drop-in of that .network file.
lab_test!(
    a_confirmed_route_is_kept_in_a_networkd_drop_in_and_undone_exactly,
    two_hosts(&[common::UNSHARE]),
    |lab| {
        let (lab, pbx, _phone) = lab;
        let setup = r"daemon systemd-networkd
mkdir -p /run/systemd/netif/links /etc/systemd/network
printf 'ADMIN_STATE=configured\nNETWORK_FILE=/etc/systemd/network/10-lab.network\n' > /run/systemd/netif/links/$index
printf '[Match]\nName=eth0\n\n[Network]\nAddress=198.51.100.10/24\n' > /etc/systemd/network/10-lab.network
mkdir -p $root/etc/systemd/network && cp -p /etc/systemd/network/10-lab.network $root/etc/systemd/network/";
        let (tree, _) = route_kept_round_trip(&lab, &pbx, setup, "true");
        assert!(
            tree.contains(
                "== ./etc/systemd/network/10-lab.network.d/90-mcready.conf 644\n# Written by `mcready fix`: the 224.0.0.0/4 \
                 route of eth0.\n[Route]\nDestination=224.0.0.0/4\nScope=link\n"
            ),
            "{tree}"
        );
    }
);

// ifupdown configures eth0 (an `iface` stanza): the route is kept by an `up` line under it.
lab_test!(
    a_confirmed_route_is_kept_under_the_ifupdown_stanza_and_undone_exactly,
    two_hosts(&[common::UNSHARE]),
    |lab| {
        let (lab, pbx, _phone) = lab;
        let setup = r"mkdir -p /etc/network
printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n    address 198.51.100.10/24\n' > /etc/network/interfaces
mkdir -p $root/etc/network && cp -p /etc/network/interfaces $root/etc/network/";
        let (tree, _) = route_kept_round_trip(&lab, &pbx, setup, "true");
        assert!(
            tree.contains(
                "auto eth0\niface eth0 inet static\n    up ip route replace 224.0.0.0/4 dev eth0\n    address 198.51.100.10/24\n"
            ),
            "{tree}"
        );
    }
);

lab_test!(
    a_ufw_deny_is_opened_with_ufw_and_undone_exactly,
    Lab::with(&[common::UFW, common::UNSHARE, PYTHON3, IPTABLES_LEGACY_RESTORE]),
    |mut lab| {
        let setup = ": > /etc/ufw/sysctl.conf\nsed -i 's/^IPT_MODULES=.*/IPT_MODULES=\"\"/' /etc/default/ufw\nufw --force enable >/dev/null";
        // ufw keeps its rules by itself, in user.rules: the file the rule lasts in is as before too.
        let dump = "ufw status verbose; iptables-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]/[0:0]/'; \
                    cat /etc/ufw/user.rules";
        let (before, apply, after, undo, undone) =
            managed_round_trip(&mut lab, &["etc", "lib", "var"], setup, dump);
        assert!(
            results(&apply).contains(&(
                "sudo ufw allow from 198.51.100.0/24 to any port 5060 proto udp".into(),
                "verified".into()
            )),
            "{apply:#}"
        );
        assert_eq!(check_field(&after, "multicast.host-firewall", "status"), "pass", "{after:#}");
        assert_eq!(undo["journal"]["state"], "undone", "{undo:#}");
        assert_eq!(undone, before);
        let host = std::fs::read_to_string("/etc/ufw/ufw.conf").unwrap_or_default();
        assert!(!host.contains("ENABLED=yes"), "the host's ufw must stay as it was");
    }
);

lab_test!(
    a_firewalld_zone_is_opened_and_undone_exactly,
    Lab::with(&[common::FIREWALLD, common::DBUS, common::UNSHARE, NFT, PYTHON3]),
    |mut lab| {
        let setup = "mkdir -p /run/dbus\ndbus-daemon --system --fork\nfirewalld --nofork --nopid > \"$scratch/firewalld.log\" 2>&1 &\n\
                     for i in $(seq 1 200); do firewall-cmd --state >/dev/null 2>&1 && break; sleep 0.1; done";
        let dump =
            "firewall-cmd --list-all-zones; firewall-cmd --permanent --list-all-zones; nft list ruleset";
        let (before, apply, after, undo, undone) =
            managed_round_trip(&mut lab, &["etc", "var", "run"], setup, dump);
        assert!(
            results(&apply).iter().any(|(c, r)| c.contains("--add-rich-rule") && r != "failed"),
            "{apply:#}"
        );
        for id in ["multicast.host-firewall", "multicast.host-firewall-igmp"] {
            assert_eq!(check_field(&after, id, "status"), "pass", "{id}: {after:#}");
        }
        assert_eq!(undo["journal"]["state"], "undone", "{undo:#}");
        assert_eq!(undone, before);
    }
);

/// The lab PBX put into a cgroup named like a systemd unit (as systemd does for a unit), so that the
/// check names its unit and the fix restarts it; every process still in it is moved back to the root
/// when dropped, and the cgroup removed.
struct FakeUnit {
    root: PathBuf,
    dir: PathBuf,
}

impl FakeUnit {
    fn new(pid: &str, unit: &str) -> Option<Self> {
        let pure_v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
        let roots: &[&str] =
            if pure_v2 { &["/sys/fs/cgroup"] } else { &["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"] };
        roots.iter().find_map(|root| {
            let dir = std::path::Path::new(root).join(unit);
            std::fs::create_dir_all(&dir).ok()?;
            let unit = Self { root: PathBuf::from(root), dir };
            std::fs::write(unit.dir.join("cgroup.procs"), pid).ok().map(|()| unit)
        })
    }
}

impl Drop for FakeUnit {
    fn drop(&mut self) {
        let procs = std::fs::read_to_string(self.dir.join("cgroup.procs")).unwrap_or_default();
        for pid in procs.split_whitespace() {
            let _ = std::fs::write(self.root.join("cgroup.procs"), pid);
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

// The PBX's join moves only when it joins again: with --allow-disruptive, fix restarts its service
// (the unit the check names, restarted here by a stand-in `systemctl`: the lab has no systemd) and
// confirms the join moved — the guide's "reboot and re-run", done for the admin. The step that would
// take the default route's adapter down is refused all the same.
lab_test!(the_pbx_service_is_restarted_and_its_join_confirmed_moved, Lab::with(&[PYTHON3]), |mut lab| {
    let pbx = lab.two_nic_pbx();
    lab.ip(&pbx, &["route", "add", "default", "via", "203.0.113.1"]);
    lab.start_pbx(&pbx, "198.51.100.10", "--any");
    let pids = stdout(&std::process::Command::new("ip").args(["netns", "pids", &pbx]).output().unwrap());
    let pid = pids.lines().next().expect("the lab PBX runs").trim().to_owned();
    let unit = format!("mcready-fix-lab-{}.service", std::process::id());
    let Some(fake) = FakeUnit::new(&pid, &unit) else {
        common::skip(
            "the_pbx_service_is_restarted_and_its_join_confirmed_moved",
            "no writable cgroup hierarchy",
        );
        return;
    };
    let state = StateDir::new("restart");
    let bin = std::env::temp_dir().join(format!("mcready-fix-systemctl-{}", std::process::id()));
    std::fs::create_dir_all(&bin).unwrap();
    // `ip netns exec` mounts a /sys of its own, without the cgroups: the stand-in knows the PBX by a
    // pid file.
    let pidfile = bin.join("pbx.pid");
    std::fs::write(&pidfile, &pid).unwrap();
    let standin = format!(
        r#"#!/bin/sh
# A stand-in for `systemctl restart UNIT`: stops the unit's PBX and starts the lab PBX again.
[ "$1" = restart ] && [ "$2" = "{unit}" ] || exit 1
kill "$(cat '{pidfile}')"
for i in $(seq 200); do grep -q ':13C4 ' /proc/net/udp || break; sleep 0.05; done
python3 {pbx_script} 198.51.100.10 --any >/dev/null 2>&1 </dev/null &
echo $! > '{pidfile}'
for i in $(seq 200); do grep -q 4B0100E0 /proc/net/igmp && grep -q ':13C4 ' /proc/net/udp && exit 0; sleep 0.05; done
exit 1
"#,
        pidfile = pidfile.display(),
        pbx_script = common::PBX_SCRIPT,
    );
    let systemctl = bin.join("systemctl");
    std::fs::write(&systemctl, standin).unwrap();
    let _ = std::process::Command::new("chmod").arg("+x").arg(&systemctl).output();
    // The probe waits up to 3 s: the PBX just restarted, and a loaded test machine answers late.
    let out = lab.sh(
        &pbx,
        &format!(
            "PATH='{}':$PATH exec '{}' fix --json --state-dir '{}' --timeout 3 --phone 198.51.100.20 --apply --yes --allow-disruptive",
            bin.display(),
            mcready_bin().display(),
            state.arg()
        ),
    );
    let applied = json(&out);
    assert_schema(&applied);
    let results = results(&applied);
    assert!(
        results.contains(&("sudo ip route add 224.0.0.0/4 dev lan".into(), "verified".into())),
        "{applied:#}"
    );
    assert!(results.contains(&(format!("sudo systemctl restart {unit}"), "verified".into())), "{applied:#}");
    for step in applied["plan"]["steps"].as_array().unwrap() {
        if step["command"].as_str().is_some_and(|c| c.contains("wan down")) {
            assert_eq!(step["action"], "refuse", "{step:#}");
        }
    }
    let joined = stdout(&lab.sh(&pbx, "ip maddr show dev lan"));
    assert!(joined.contains("224.0.1.75"), "the PBX did not join on lan: {joined}");
    let _ = std::fs::remove_dir_all(&bin);
    // The lab reaps the old PBX (a zombie in the unit's cgroup until then) before the cgroup goes.
    drop(lab);
    drop(fake);
});

// A host bridge without a querier, the phones on its ports: the check warns, the fix turns on the
// bridge's own querier (a typed step where the PnP interface is this host's bridge), the check passes;
// undone, the bridge's option reads as before.
lab_test!(a_host_bridge_without_a_querier_gets_its_own_and_loses_it_on_undo, Lab::new(), |mut lab| {
    let pbx = lab.host("pbx");
    let phone = lab.host("phone");
    lab.bridge(&pbx, "br0", common::NO_QUERIER);
    lab.veth(&pbx, "p-phone", &phone, "eth0");
    lab.bridge_port(&pbx, "br0", "p-phone");
    lab.addr(&pbx, "br0", "198.51.100.10/24");
    lab.addr(&phone, "eth0", "198.51.100.20/24");
    lab.ip(&pbx, &["route", "add", "224.0.0.0/4", "dev", "br0"]);
    let querier = "cat /sys/class/net/br0/bridge/multicast_querier";
    let before = state_of(&lab, &pbx, querier);
    let state = StateDir::new("querier");
    let args = ["--timeout", "1", "--phone", "198.51.100.20", "--only", "multicast.igmp-querier"];
    let (plan, _) = fix(&lab, &pbx, &state, &args);
    assert_eq!(
        plan["plan"]["steps"][0]["command"], "sudo ip link set br0 type bridge mcast_querier 1",
        "{plan:#}"
    );
    let mut apply = args.to_vec();
    apply.extend(["--apply", "--yes"]);
    let (applied, code) = fix(&lab, &pbx, &state, &apply);
    assert_eq!(code, 0, "{applied:#}");
    assert_eq!(applied["results"][0]["result"], "verified", "{applied:#}");
    let fixed = check(&lab, &pbx, &["--timeout", "1", "--phone", "198.51.100.20"]);
    assert_eq!(check_field(&fixed, "multicast.igmp-querier", "status"), "pass", "{fixed:#}");
    let (_, code) = fix(&lab, &pbx, &state, &["--undo"]);
    assert_eq!(code, 0);
    assert_eq!(state_of(&lab, &pbx, querier), before);
});

// On a terminal (a pseudo-terminal from `script`), fix asks "Keep these changes?": a `y` keeps the run,
// an `n` takes it back at once.
lab_test!(
    on_a_terminal_the_final_question_keeps_or_takes_back_the_run,
    two_hosts(&[common::SCRIPT]),
    |lab| {
        let (lab, pbx, _phone) = lab;
        let state = StateDir::new("terminal");
        let before = state_of(&lab, &pbx, ROUTES);
        let run = |answer: &str| {
            let command = format!(
                "'{}' fix --state-dir '{}' --timeout 1 --phone 198.51.100.20 --only membership.group-route --apply \
             --confirm-within 60 --color never",
                mcready_bin().display(),
                state.arg()
            );
            stdout(&lab.sh(&pbx, &format!("printf '{answer}\\n' | script -qec \"{command}\" /dev/null")))
        };
        let kept = run("y");
        assert!(kept.contains("Keep these changes?"), "{kept}");
        assert_eq!(state.journal()["state"], "confirmed", "{kept}");
        assert_ne!(state_of(&lab, &pbx, ROUTES), before);
        let (_, code) = fix(&lab, &pbx, &state, &["--undo"]);
        assert_eq!(code, 0);
        let refused = run("n");
        assert!(refused.contains("Keep these changes?"), "{refused}");
        assert_eq!(state.journal()["state"], "reverted", "{refused}");
        assert_eq!(state_of(&lab, &pbx, ROUTES), before);
    }
);

// Ctrl-C twice while an undo runs does not cut it short: the change is taken back, the journal says so,
// and mcready exits as the undo's result says (not 130). The journal is written here by hand, with an
// undo that takes two seconds.
lab_test!(ctrl_c_does_not_cut_an_undo_short, two_hosts(&[]), |lab| {
    let (lab, pbx, _phone) = lab;
    let state = StateDir::new("ctrl-c");
    let before = state_of(&lab, &pbx, ROUTES);
    lab.ip(&pbx, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    std::fs::create_dir_all(&state.0).unwrap();
    let journal = serde_json::json!({
        "schema": "mcready.fix-journal/v1", "run": "1-1", "pid": 1, "state": "confirmed", "confirm_by": 1,
        "revert": null,
        "entries": [{"step": 1, "checks": ["membership.group-route"], "manager": "ip", "changes": "route",
            "command": "sudo ip route add 224.0.0.0/4 dev eth0",
            "undo": "sleep 2; sudo ip route del 224.0.0.0/4 dev eth0",
            "reader": ROUTES, "old": before, "new": null, "state": "applied"}]
    });
    std::fs::write(state.0.join("journal.json"), journal.to_string()).unwrap();
    let child = std::process::Command::new("ip")
        .args(["netns", "exec", &pbx])
        .arg(mcready_bin())
        .args(["fix", "--undo", "--json", "--state-dir", &state.arg()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    for _ in 0..2 {
        let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).output();
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(state.journal()["state"], "undone");
    assert_eq!(state_of(&lab, &pbx, ROUTES), before);
});

// A step that does not help is rolled back: a /32 route sends the group out of the wrong NIC, so the
// 224.0.0.0/4 route the fix adds changes nothing the check sees; it is taken back, the output says why,
// and `ip route` is as before.
lab_test!(a_step_that_does_not_help_is_rolled_back_and_says_why, Lab::new(), |mut lab| {
    let pbx = lab.two_nic_pbx();
    lab.ip(&pbx, &["route", "add", "224.0.1.75/32", "dev", "wan"]);
    let state = StateDir::new("rollback");
    let before = state_of(&lab, &pbx, ROUTES);
    let args = [
        "--timeout",
        "1",
        "--phone",
        "198.51.100.20",
        "--only",
        "membership.group-route",
        "--apply",
        "--yes",
    ];
    let (applied, code) = fix(&lab, &pbx, &state, &args);
    assert_eq!(code, 1, "{applied:#}");
    let result = &applied["results"][0];
    assert_eq!(result["result"], "rolled-back", "{applied:#}");
    assert!(result["why"].as_str().unwrap().contains("membership.group-route still"), "{result:#}");
    assert_eq!(applied["journal"]["entries"][0]["state"], "rolled-back", "{applied:#}");
    assert_eq!(state_of(&lab, &pbx, ROUTES), before);
});

lab_test!(
    nft_drops_of_igmp_and_on_output_are_opened_and_restored_exactly,
    Lab::with(&[PYTHON3, NFT]),
    |mut lab| {
        let ruleset = "table inet t {\n chain input {\n  type filter hook input priority 0; policy accept;\n  ip protocol igmp drop\n }\n \
                       chain output {\n  type filter hook output priority 0; policy accept;\n  udp sport 5060 drop\n  ip protocol igmp drop\n }\n}\n";
        let conf = format!("flush ruleset\n{ruleset}");
        let written = firewall_round_trip(
            &mut lab,
            "nft-igmp-output",
            &format!("printf '{}' | nft -f -", ruleset.replace('\n', "\\n")),
            "nft list ruleset",
            ("/etc/nftables.conf", Some(&conf)),
            Some(NFT_BOOT),
        );
        assert_eq!(written.matches("\ninsert rule inet t ").count(), 3, "{written}");
    }
);

lab_test!(
    iptables_legacy_drops_of_igmp_and_on_output_are_opened_and_restored_exactly,
    Lab::with(&[PYTHON3, IPTABLES_LEGACY_RESTORE]),
    |mut lab| {
        firewall_round_trip(
            &mut lab,
            "iptables-legacy-igmp-output",
            "iptables-legacy -A INPUT -p igmp -j DROP && iptables-legacy -A OUTPUT -p udp --sport 5060 -j DROP \
             && iptables-legacy -A OUTPUT -p igmp -j DROP",
            "iptables-legacy-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]/[0:0]/'",
            ("/etc/iptables/rules.v4", None),
            None,
        );
    }
);

// On a terminal, a disruptive step is asked about on its own (without --allow-disruptive or --yes): an
// `n` leaves it unrun and the host untouched; a `y` runs and verifies it, and after the run is kept,
// `--undo` brings the adapter back as it was. The step: taking a stray adapter (wan, no default route)
// down, which moves whatever else uses it.
lab_test!(on_a_terminal_a_disruptive_step_is_asked_about_on_its_own, two_hosts(&[common::SCRIPT]), |lab| {
    let (mut lab, pbx, _phone) = lab;
    let upstream = lab.host("upstream");
    lab.veth(&pbx, "wan", &upstream, "eth0");
    lab.addr(&pbx, "wan", "203.0.113.10/24");
    lab.addr(&upstream, "eth0", "203.0.113.1/24");
    let link = "ip -br link show wan; ip -br addr show wan; ip route";
    let before = state_of(&lab, &pbx, link);
    let state = StateDir::new("per-step");
    let run = |answers: &str| {
        let command = format!(
            "'{}' fix --state-dir '{}' --timeout 1 -i eth0 --phone 198.51.100.20 --only membership.other-adapters \
             --apply --confirm-within 60 --color never",
            mcready_bin().display(),
            state.arg()
        );
        stdout(&lab.sh(&pbx, &format!("printf '{answers}' | script -qec \"{command}\" /dev/null")))
    };
    let declined = run("n\\n");
    assert!(declined.contains("Apply step 1 (sudo ip link set wan down)? [y/N]"), "{declined}");
    assert!(!declined.contains("Keep these changes?"), "nothing changed, nothing to keep: {declined}");
    assert_eq!(state_of(&lab, &pbx, link), before);
    let accepted = run("y\\ny\\n");
    assert!(accepted.contains("Apply step 1"), "{accepted}");
    assert!(accepted.contains("Keep these changes?"), "{accepted}");
    assert_eq!(state.journal()["state"], "confirmed", "{accepted}");
    assert!(state_of(&lab, &pbx, "ip -br link show wan").contains("DOWN"), "{accepted}");
    let (_, code) = fix(&lab, &pbx, &state, &["--undo"]);
    assert_eq!(code, 0);
    assert_eq!(state_of(&lab, &pbx, link), before);
});
