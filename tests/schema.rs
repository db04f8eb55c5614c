//! The JSON documents match their schemas in `docs/schemas/`: real output from this host, real output
//! from a namespace lab with joins and listeners present, and the error document. And the schemas are
//! open where DESIGN lets the contract grow (`facts.*`, each check, answer, phone and listener accept
//! extra keys) and closed at the top level of every document.

// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use serde_json::Value;

fn validate(schema_file: &str, document: &Value) {
    let errors = schema_errors(schema_file, document);
    assert!(errors.is_empty(), "{schema_file}:\n{}\n{document:#}", errors.join("\n"));
}

fn schema_errors(schema_file: &str, document: &Value) -> Vec<String> {
    errors_against(&schema(schema_file), document)
}

fn schema(schema_file: &str) -> Value {
    let path = format!("{}/docs/schemas/{schema_file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn errors_against(schema: &Value, document: &Value) -> Vec<String> {
    let validator =
        jsonschema::options().should_validate_formats(true).build(schema).expect("schema compiles");
    validator.iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// The errors of `instance` against one part of a schema file (`/$defs/check`, `/properties/facts`),
/// with the file's `$defs` in reach of its references.
fn part_errors(schema_file: &str, pointer: &str, instance: &Value) -> Vec<String> {
    let whole = schema(schema_file);
    let part = whole.pointer(pointer).unwrap_or_else(|| panic!("{schema_file} has no {pointer}"));
    let mut schema = part.clone();
    schema["$schema"] = whole["$schema"].clone();
    schema["$defs"] = whole["$defs"].clone();
    errors_against(&schema, instance)
}

/// `interfaces` and `joins` only read host state and send nothing, so they may run on this host as is.
fn run_here(args: &[&str]) -> Value {
    let out = Command::new(common::mcready_bin()).args(args).output().unwrap();
    common::json(&out)
}

#[test]
fn interfaces_of_this_host_match_the_schema() {
    let mut document = run_here(&["interfaces", "--json"]);
    validate("mcready.interfaces.v1.json", &document);
    // The schema is strict enough to notice a change of contract.
    document["interfaces"][0]["kind"] = "toaster".into();
    document["surprise"] = true.into();
    assert_eq!(schema_errors("mcready.interfaces.v1.json", &document).len(), 2);
}

#[test]
fn joins_of_this_host_match_the_schema() {
    for args in [&["joins", "--json"][..], &["joins", "--all", "--format", "json"]] {
        let document = run_here(args);
        // A system that reports no memberships at all (wine) makes joins say it cannot tell: the error
        // document, never a joins document claiming "not joined".
        if cfg!(windows) && document["schema"] == "mcready.error/v1" {
            assert!(
                document["error"].as_str().is_some_and(|e| e.contains("cannot read the group memberships"))
            );
            validate("mcready.error.v1.json", &document);
        } else {
            validate("mcready.joins.v1.json", &document);
        }
    }
}

#[test]
fn errors_match_the_schema() {
    let out =
        Command::new(common::mcready_bin()).args(["joins", "-i", "no-such-nic0", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    validate("mcready.error.v1.json", &common::json(&out));
    let out = Command::new(common::mcready_bin())
        .args(["joins", "--group", "10.0.0.1", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    validate("mcready.error.v1.json", &common::json(&out));
}

#[cfg(target_os = "linux")]
lab_test!(
    lab_output_with_joins_routes_and_listeners_matches_the_schema,
    common::Lab::with(&[common::PYTHON3]),
    |mut lab| {
        let pbx = lab.host("pbx");
        let phone = lab.host("phone");
        lab.veth(&pbx, "eth0", &phone, "eth0");
        lab.addr(&pbx, "eth0", "198.51.100.10/24");
        lab.ip(&pbx, &["-6", "addr", "add", "2001:db8::10/64", "dev", "eth0", "nodad"]);
        lab.ip(&pbx, &["route", "add", "default", "via", "198.51.100.1", "metric", "100"]);
        lab.join(&pbx, "224.0.1.75", "198.51.100.10");
        lab.spawn(
        &pbx,
        "exec python3 -c 'import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind((\"0.0.0.0\",5060))\ntime.sleep(600)'",
    );
        let interfaces = common::json(&lab.mcready(&pbx, &["interfaces", "--json"]));
        validate("mcready.interfaces.v1.json", &interfaces);
        assert!(!interfaces["routes"].as_array().unwrap().is_empty());
        let joins = common::json(&lab.mcready(&pbx, &["joins", "--all", "--json"]));
        validate("mcready.joins.v1.json", &joins);
        assert_eq!(joins["joined"], true);
    }
);

// `probe` and `check` send, so their real output is produced inside a lab: a PBX host running the
// stand-in PBX and a prober on one veth.
#[cfg(target_os = "linux")]
lab_test!(probe_and_check_output_matches_the_schemas, common::Lab::with(&[common::PYTHON3]), |mut lab| {
    let here = lab.host("here");
    let pbx = lab.host("pbx");
    lab.veth(&here, "eth0", &pbx, "eth0");
    lab.addr(&here, "eth0", "198.51.100.10/24");
    lab.addr(&pbx, "eth0", "198.51.100.20/24");
    lab.ip(&here, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lab/pbx.py");
    lab.spawn(&pbx, &format!("exec python3 {script} 198.51.100.20"));
    for _ in 0..300 {
        if common::stdout(&lab.sh(&pbx, "cat /proc/net/igmp")).contains("4B0100E0") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let probe = common::json(&lab.mcready(&here, &["probe", "--json"]));
    assert_eq!(probe["answers"].as_array().map(Vec::len), Some(1), "{probe:#}");
    validate("mcready.probe.v1.json", &probe);
    let report =
        common::json(&lab.mcready(&here, &["check", "--json", "--timeout", "1", "--phone", "198.51.100.20"]));
    validate("mcready.report.v1.json", &report);
    assert!(report["facts"]["privileges"]["capture"]["allowed"].is_boolean(), "{report:#}");
    assert!(report["facts"]["network_manager"]["interfaces"].is_array(), "{report:#}");
    // A listener's process with its service, as a host running the PBX under systemd shows it.
    let mut served = report.clone();
    served["facts"]["listeners"] = serde_json::json!([{"protocol": "udp", "local": "0.0.0.0:5060", "uid": 0,
        "processes": [{"pid": 812, "name": "asterisk",
                       "service": {"manager": "systemd", "name": "asterisk.service"}}]}]);
    validate("mcready.report.v1.json", &served);
    served["facts"]["listeners"][0]["processes"][0]["service"]["manager"] = "init.d".into();
    assert_eq!(schema_errors("mcready.report.v1.json", &served).len(), 1);
    // Real output grown as a later v1 may grow it validates; a new key at the top level does not.
    let mut grown = report.clone();
    grown["requirements"][0]["checks"][0]["runbook"] = serde_json::json!({"steps": []});
    grown["facts"]["untested"] = serde_json::json!([]);
    grown["facts"]["interfaces"][0]["stages"] = serde_json::json!([]);
    validate("mcready.report.v1.json", &grown);
    grown["bundle"] = "report.tar".into();
    assert_eq!(schema_errors("mcready.report.v1.json", &grown).len(), 1);
    // A check's typed fix: described fully, so a step missing its undo or a fix without steps is caught.
    let mut fixed = report.clone();
    fixed["requirements"][0]["checks"][0]["fix"] = serde_json::json!({"steps": [{
        "changes": "accept SIP from the phones", "os": "linux", "manager": "nft",
        "command": "sudo nft add rule inet filter input ip saddr 198.51.100.0/24 udp dport 5060 accept",
        "persistence": "runtime", "undo": null, "class": "safe"}]});
    validate("mcready.report.v1.json", &fixed);
    fixed["requirements"][0]["checks"][0]["fix"]["steps"][0].as_object_mut().unwrap().remove("undo");
    assert_eq!(schema_errors("mcready.report.v1.json", &fixed).len(), 1);
    fixed["requirements"][0]["checks"][0]["fix"] = serde_json::json!({"steps": []});
    assert_eq!(schema_errors("mcready.report.v1.json", &fixed).len(), 1);
    let passive = common::json(&lab.mcready(&here, &["check", "--json", "--no-probe"]));
    validate("mcready.report.v1.json", &passive);
});

/// Every schema file's name, as `docs/schemas/` holds them.
fn schema_files() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas");
    let files: Vec<String> = common::json_files(&dir)
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(files.len() >= 6, "{files:?}");
    files
}

/// Where DESIGN lets the contract grow, in the schema files that define it.
const OPEN_DEFS: [&str; 4] = ["check", "answer", "phone", "listener"];

/// Each object schema reachable from `node` (through `$ref`s into the file's `$defs`) whose
/// `additionalProperties` is `false`, by its path.
fn closed_objects(whole: &Value, node: &Value, path: &str, seen: &mut Vec<String>, closed: &mut Vec<String>) {
    if let Some(reference) = node.get("$ref").and_then(Value::as_str)
        && !seen.iter().any(|s| s == reference)
    {
        seen.push(reference.to_owned());
        let target = whole.pointer(reference.trim_start_matches('#')).expect("a reference that resolves");
        closed_objects(whole, target, reference, seen, closed);
    }
    if node.get("additionalProperties") == Some(&Value::Bool(false)) {
        closed.push(path.to_owned());
    }
    if let Some(Value::Object(children)) = node.get("properties") {
        for (name, child) in children {
            closed_objects(whole, child, &format!("{path}/{name}"), seen, closed);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child @ Value::Object(_)) = node.get(key) {
            closed_objects(whole, child, &format!("{path}[{key}]"), seen, closed);
        }
    }
    for key in ["prefixItems", "anyOf", "oneOf", "allOf"] {
        for (at, child) in node.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
            closed_objects(whole, child, &format!("{path}[{key} {at}]"), seen, closed);
        }
    }
}

#[test]
fn every_document_is_closed_at_its_top_and_open_where_the_contract_grows() {
    for file in schema_files() {
        let file = file.as_str();
        let whole = schema(file);
        assert_eq!(whole["additionalProperties"], false, "{file}: its top level must be closed");
        for name in OPEN_DEFS {
            if let Some(def) = whole["$defs"].get(name) {
                assert_ne!(def["additionalProperties"], false, "{file}: $defs/{name} must accept extra keys");
            }
        }
    }
    // `facts.*`: nothing under the report's facts is closed.
    let report = schema("mcready.report.v1.json");
    let mut closed = Vec::new();
    closed_objects(&report, &report["properties"]["facts"], "facts", &mut Vec::new(), &mut closed);
    assert!(closed.is_empty(), "closed under facts: {closed:?}");
}

#[test]
fn extra_keys_validate_where_the_contract_grows_and_not_at_the_top() {
    let check = serde_json::json!({
        "id": "membership.on-pnp-interface", "status": "fail", "summary": "Not joined.",
        "remedy": "Restart the PBX.", "evidence": {}
    });
    let phone = serde_json::json!({
        "mac": "00:15:65:12:34:56", "vendor": "Yealink", "model": "T46S", "firmware": "66.86.0.15",
        "user_agent": "Yealink SIP-T46S 66.86.0.15", "source": "198.51.100.20:5060", "ttl": 1,
        "interface": "eth0", "same_subnet": true, "subscribes": 1, "answered_by": []
    });
    let listener = serde_json::json!({
        "protocol": "udp", "local": "0.0.0.0:5060", "uid": 0, "processes": [{"pid": 42, "name": "asterisk"}]
    });
    let not_asked = serde_json::json!({"status": "not-asked"});
    let facts = serde_json::json!({
        "interfaces": [], "routes": [], "group_route": null, "memberships": [], "listeners": [listener],
        "firewall": {}, "querier": not_asked, "peer": not_asked, "phones": [phone], "answers": [],
        "probe": not_asked, "listen": not_asked, "notes": [], "own_actions": []
    });
    let grown = |value: &Value| {
        let mut value = value.clone();
        value["a_key_of_a_later_version"] = serde_json::json!({"steps": []});
        value
    };
    let report = "mcready.report.v1.json";
    for (file, pointer, instance) in [
        (report, "/$defs/check", &check),
        ("mcready.probe.v1.json", "/$defs/check", &check),
        (report, "/$defs/phone", &phone),
        ("mcready.listen.v1.json", "/$defs/phone", &phone),
        (report, "/$defs/listener", &listener),
        ("mcready.joins.v1.json", "/$defs/listener", &listener),
        (report, "/properties/facts", &facts),
    ] {
        assert_eq!(part_errors(file, pointer, instance), Vec::<String>::new(), "{file}{pointer}");
        assert_eq!(part_errors(file, pointer, &grown(instance)), Vec::<String>::new(), "{file}{pointer}");
    }
    // A check still says what it is: the extra key does not excuse a missing one.
    let mut no_status = grown(&check);
    no_status.as_object_mut().map(|c| c.remove("status"));
    assert_eq!(part_errors(report, "/$defs/check", &no_status).len(), 1);
    // The top level of a document stays closed.
    let error = serde_json::json!({
        "schema": "mcready.error/v1", "tool": {"name": "mcready", "version": "0.1.0"},
        "error": "no such interface"
    });
    validate("mcready.error.v1.json", &error);
    assert_eq!(schema_errors("mcready.error.v1.json", &grown(&error)).len(), 1);
}

#[test]
fn explain_matches_the_schema() {
    for args in [
        &["explain", "--json"][..],
        &["explain", "pbx-membership", "--json"],
        &["explain", "subnet.voice-vlan", "--json"],
    ] {
        validate("mcready.explain.v1.json", &run_here(args));
    }
}

/// Every support bundle of the regression suite matches the bundle schema, and its replay the report
/// schema (with the `replay` field a replay adds).
#[test]
fn bundles_and_their_replays_match_the_schemas() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundles");
    let mut seen = 0;
    for path in common::json_files(&dir) {
        let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        validate("mcready.bundle.v1.json", &bundle);
        let replayed = run_here(&["replay", path.to_str().unwrap(), "--json"]);
        assert!(replayed["replay"].is_object(), "{}", path.display());
        validate("mcready.report.v1.json", &replayed);
        seen += 1;
    }
    assert!(seen >= 8, "{seen} bundles in {}", dir.display());
    // The top level is closed: a key of a later version is not a v1 bundle.
    let mut grown = serde_json::json!({"schema": "mcready.bundle/v1", "tool": {"name": "mcready", "version": "0.1.0"},
        "host": {"hostname": "h", "os": "linux"}});
    validate("mcready.bundle.v1.json", &grown);
    grown["surprise"] = true.into();
    assert_eq!(schema_errors("mcready.bundle.v1.json", &grown).len(), 1);
}

/// `fix --status` reads only its journal directory (here a temporary one): safe to run on this host.
/// With no run and with a pending run's journal, the document matches `mcready.fix/v1`.
#[test]
fn fix_status_matches_the_schema() {
    let dir = std::env::temp_dir().join(format!("mcready-schema-fix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.display().to_string();
    let out = Command::new(common::mcready_bin())
        .args(["fix", "--status", "--json", "--state-dir", &state])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let empty = common::json(&out);
    validate("mcready.fix.v1.json", &empty);
    assert_eq!((empty["mode"].as_str(), &empty["journal"]), (Some("status"), &Value::Null));
    let journal = serde_json::json!({
        "schema": "mcready.fix-journal/v1", "run": "1-2", "pid": 2, "state": "pending", "confirm_by": 100,
        "revert": {"by": "helper", "unit": null, "pid": 3},
        "entries": [{"step": 1, "checks": ["membership.group-route"], "manager": "ip", "changes": "route",
            "command": "sudo ip route add 224.0.0.0/4 dev eth0", "undo": "sudo ip route del 224.0.0.0/4 dev eth0",
            "reader": "ip -4 route show table all", "old": "", "new": "224.0.0.0/4 dev eth0", "state": "applied"}]
    });
    std::fs::write(dir.join("journal.json"), journal.to_string()).unwrap();
    let out = Command::new(common::mcready_bin())
        .args(["fix", "--status", "--json", "--state-dir", &state])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a pending run");
    let pending = common::json(&out);
    validate("mcready.fix.v1.json", &pending);
    assert_eq!(pending["journal"], journal);
    let _ = std::fs::remove_dir_all(&dir);
}
