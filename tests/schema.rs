//! The JSON documents match their schemas in `docs/schemas/`: real output from this host, real output
//! from a namespace lab with joins and listeners present, and the error document.

mod common;

use std::process::Command;

use serde_json::Value;

fn validate(schema_file: &str, document: &Value) {
    let errors = schema_errors(schema_file, document);
    assert!(errors.is_empty(), "{schema_file}:\n{}\n{document:#}", errors.join("\n"));
}

fn schema_errors(schema_file: &str, document: &Value) -> Vec<String> {
    let path = format!("{}/docs/schemas/{schema_file}", env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator =
        jsonschema::options().should_validate_formats(true).build(&schema).expect("schema compiles");
    validator.iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path())).collect()
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

#[test]
#[cfg(target_os = "linux")]
fn lab_output_with_joins_routes_and_listeners_matches_the_schema() {
    let Some(mut lab) = common::Lab::with(
        "lab_output_with_joins_routes_and_listeners_matches_the_schema",
        &[common::PYTHON3],
    ) else {
        return;
    };
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

/// `probe` and `check` send, so their real output is produced inside a lab: a PBX host running the
/// stand-in PBX and a prober on one veth.
#[test]
#[cfg(target_os = "linux")]
fn probe_and_check_output_matches_the_schemas() {
    let Some(mut lab) = common::Lab::with("probe_and_check_output_matches_the_schemas", &[common::PYTHON3])
    else {
        return;
    };
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
    let passive = common::json(&lab.mcready(&here, &["check", "--json", "--no-probe"]));
    validate("mcready.report.v1.json", &passive);
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
