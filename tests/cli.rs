//! The command line as a user meets it: help, exit codes, errors without backtraces, colour rules.
//! Only commands that read host state and send nothing (`--help`, `interfaces`, `joins`, argument
//! errors) run here on the test host; anything that sends runs in the namespace lab.

// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn mcready() -> Command {
    let mut cmd = Command::cargo_bin("mcready").unwrap();
    cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE").env_remove("RUST_BACKTRACE");
    cmd
}

#[test]
fn help_lists_the_commands_and_exit_codes() {
    mcready()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("interfaces"))
        .stdout(predicate::str::contains("joins"))
        .stdout(predicate::str::contains("Exit codes: 0"));
}

#[test]
fn version_is_the_crate_version_and_the_commit_when_built_from_a_checkout() {
    let out = mcready().arg("--version").assert().success().get_output().clone();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.starts_with(&format!("mcready {}", env!("CARGO_PKG_VERSION"))), "{text}");
    let in_checkout = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".git").exists()
        && std::process::Command::new("git").arg("--version").output().is_ok();
    if in_checkout {
        assert!(text.trim_end().ends_with(')') && text.contains(" ("), "the commit is named: {text}");
    }
}

/// Every long option `--help` knows, of the top level and of each command.
fn long_options() -> Vec<String> {
    use clap::CommandFactory as _;
    let command = mcready::cli::Cli::command();
    let mut options: Vec<String> = Vec::new();
    for cmd in std::iter::once(&command).chain(command.get_subcommands()) {
        // A hidden option (`fix --revert-when-due`, run by mcready itself) is not one `--help` knows.
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                let option = format!("--{long}");
                if !options.contains(&option) {
                    options.push(option);
                }
            }
        }
    }
    options
}

#[test]
fn completions_and_the_man_page_know_every_option_of_help() {
    let options = long_options();
    assert!(options.len() > 15, "{options:?}");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = mcready().args(["completions", shell]).assert().success().get_output().clone();
        let script = String::from_utf8_lossy(&out.stdout).into_owned();
        for command in
            ["check", "fix", "probe", "listen", "respond", "interfaces", "joins", "completions", "manpage"]
        {
            assert!(script.contains(command), "{shell} completion lacks {command}");
        }
        for option in &options {
            let bare = option.trim_start_matches('-');
            assert!(script.contains(bare), "{shell} completion lacks {option}");
        }
    }
    let out = mcready().arg("manpage").assert().success().get_output().clone();
    let page = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        page.starts_with(".ie") || page.contains(".TH mcready 1"),
        "roff: {}",
        &page[..page.len().min(200)]
    );
    for option in &options {
        // roff escapes the dashes: `\-\-phone`.
        let roff = option.replace('-', "\\-");
        assert!(page.contains(&roff), "the man page lacks {option}");
    }
    mcready().args(["completions", "tcsh"]).assert().code(2);
}

// Running `mcready` with no command runs `check`, which sends a probe: that is tested only inside the
// namespace lab (tests/netns_check.rs), never here on the test host's own network.

#[test]
fn bad_group_is_one_clear_line_and_exit_2() {
    mcready()
        .args(["joins", "--group", "198.51.100.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("198.51.100.1 is not a multicast group"))
        .stderr(predicate::str::contains("panicked").not())
        .stderr(predicate::str::contains("backtrace").not());
}

#[test]
fn bad_group_with_json_prints_the_error_document() {
    let out =
        mcready().args(["joins", "--group", "nonsense", "--json"]).assert().code(2).get_output().clone();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "mcready.error/v1");
    assert!(doc["error"].as_str().unwrap().contains("not an IPv4 address"), "{doc}");
}

#[test]
fn unknown_interface_names_the_known_ones() {
    mcready()
        .args(["interfaces", "-i", "no-such-nic0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no interface named `no-such-nic0` (this host has: lo"))
        .stdout("");
    let out = mcready()
        .args(["joins", "-i", "no-such-nic0", "--format", "json"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "mcready.error/v1");
}

#[test]
fn interfaces_always_exits_0_and_json_keys_keep_their_order() {
    let out = mcready().args(["interfaces", "--json"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let keys: Vec<usize> =
        ["\"schema\"", "\"tool\"", "\"generated_at\"", "\"host\"", "\"group\"", "\"interfaces\""]
            .iter()
            .map(|k| text.find(k).unwrap_or_else(|| panic!("{k} missing")))
            .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "key order changed: {text}");
}

#[test]
fn joins_exit_code_says_joined_or_not() {
    let out = mcready().args(["joins", "--json"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = i32::from(doc["joined"] != true);
    assert_eq!(out.status.code(), Some(expected));
}

#[test]
fn colour_follows_flag_and_no_color() {
    let styled = |args: &[&str], no_color: bool| {
        let mut cmd = mcready();
        cmd.args(args);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap().contains('\u{1b}')
    };
    assert!(styled(&["joins", "--color", "always"], false));
    assert!(!styled(&["joins", "--color", "never"], false));
    // Not a terminal: plain by default.
    assert!(!styled(&["joins"], false));
    assert!(!styled(&["joins", "--color", "auto"], true));
    // Markdown never carries colour, even when forced.
    assert!(!styled(&["joins", "--format", "markdown", "--color", "always"], false));
}

#[test]
fn markdown_is_a_pasteable_block() {
    mcready()
        .args(["interfaces", "--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("### mcready interfaces"))
        .stdout(predicate::str::contains("| idx | name | kind |"));
}

#[test]
fn quiet_joins_prints_only_the_answer() {
    let out = mcready().args(["joins", "-q", "--color", "never"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("224.0.1.75"), "{text}");
}

/// An unreadable `/proc` table is one clear line and exit 2. A private mount namespace puts an empty
/// tmpfs over `/proc` (with a directory where `/proc/net/igmp` should be) for mcready alone.
#[test]
#[cfg(target_os = "linux")]
fn unreadable_proc_file_is_one_line_and_exit_2() {
    const TEST: &str = "unreadable_proc_file_is_one_line_and_exit_2";
    if !common::is_root() {
        common::skip(TEST, "needs root for a mount namespace");
        return;
    }
    if !common::require(TEST, &[common::UNSHARE]) {
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("mcready");
    let script =
        format!("mount -t tmpfs none /proc && mkdir -p /proc/net/igmp && exec {} joins", bin.display());
    let out = std::process::Command::new("unshare").args(["-m", "sh", "-c", &script]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim(), "mcready: cannot read /proc/net/igmp: Is a directory (os error 21)");
}

#[test]
fn global_options_work_before_the_command() {
    let out = mcready().args(["--json", "interfaces"]).assert().success().get_output().clone();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "mcready.interfaces/v1");
    // `-i lo joins`: lo exists everywhere; joined or not, it ran (exit 0 or 1, never 2).
    let code = mcready().args(["-i", "lo", "joins"]).output().unwrap().status.code();
    assert!(matches!(code, Some(0 | 1)), "{code:?}");
    mcready()
        .args(["--color", "never", "-q", "interfaces", "--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("### mcready interfaces"));
}

#[test]
fn check_options_belong_to_check() {
    mcready()
        .args(["--phone", "198.51.100.20", "joins"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("are `check` options"));
}

/// Every bad value is refused before anything is opened or sent: one line, exit 2, no backtrace.
#[test]
fn bad_option_values_are_one_line_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["listen", "--duration", "1e19"], "not a duration"),
        (&["listen", "--duration", "-5"], "more than zero"),
        (&["listen", "--duration", "0"], "more than zero"),
        (&["listen", "--duration", "2d"], "longer than a day"),
        (&["listen", "--duration", "2w"], "not a duration"),
        (&["check", "--peer", "198.51.100.20:70000"], "`70000` in `198.51.100.20:70000` is not a port"),
        (&["--port", "-1", "joins"], "`-1` is not a port"),
        (&["--format", "markdown", "--json", "interfaces"], "contradict each other"),
        (&["interfaces", "--json", "--format=text"], "contradict each other"),
        (&["explain", "no.such-check"], "no check or requirement is called"),
        (&["check", "--listen", "25h"], "longer than a day"),
        (&["check", "--timeout", "-1"], "more than zero"),
        (&["probe", "--timeout", "NaN"], "not a duration"),
        (&["probe", "--ttl", "-3"], "-3"),
        (&["--port", "0", "joins"], "port 0"),
        (&["joins", "--port", "65536"], "not a port"),
        (&["check", "--phone", "2001:db8::1"], "IPv6"),
        (&["check", "--phone", "224.0.1.75"], "multicast group"),
        (&["check", "--phone", "0.0.0.0"], "unspecified"),
        (&["check", "--phone", "127.0.0.1"], "loopback"),
        (&["check", "--phone", "255.255.255.255"], "broadcast"),
        (&["check", "--peer", "198.51.100.20:0"], "port 0"),
        (&["respond", "--url", "198.51.100.10/p"], "not a URL"),
        (&["respond", "--url", "file:///etc/passwd"], "cannot be fetched"),
        (&["respond", "--allow", "00:15:65:aa:bb:cc"], "--url"),
        (&["respond", "--any-phone"], "--url"),
    ];
    for (args, wanted) in cases {
        let out = mcready().args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(wanted), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: one line, not {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing ran");
    }
}

#[test]
fn check_help_shows_its_options_apart_from_the_global_ones() {
    let out = mcready().args(["check", "--help"]).assert().success().get_output().clone();
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let (own, global) = help.split_once("Global options:").expect("a Global options heading");
    assert!(own.contains("--phone") && own.contains("--strict"), "{help}");
    assert!(
        global.contains("--interface") && global.contains("--json") && !global.contains("--phone"),
        "{help}"
    );
}

/// A bare `mcready` is a question, not a command: it prints the common invocations and exits 2, and
/// nothing runs (before 2026-12 it ran `check`, which sends a probe and IGMP joins).
#[test]
fn bare_mcready_prints_usage_and_runs_nothing() {
    let out = mcready().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing ran: {}", String::from_utf8_lossy(&out.stdout));
    for wanted in ["Name a command", "mcready check --phone IP", "--no-probe", "mcready explain"] {
        assert!(stderr.contains(wanted), "{wanted}: {stderr}");
    }
}

/// Options without a command still mean `check`, with a note to name it; `--no-probe` keeps it passive.
#[test]
fn options_without_a_command_run_check_and_say_so() {
    let out = mcready().args(["--no-probe", "--json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no command named, so running `check`"), "{stderr}");
    let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(document["schema"], "mcready.report/v1");
}

/// `mcready.error/v1` carries a code a program can branch on.
#[test]
fn errors_carry_a_stable_code() {
    for (args, code) in [
        (&["--json", "--port", "0", "joins"][..], "usage"),
        (&["--json", "--phone", "198.51.100.20", "joins"], "usage"),
        (&["--json", "-i", "no-such-nic0", "joins"], "no-interface"),
        (&["--json", "interfaces", "--output", "/proc/version"], "output"),
        (&["--json", "explain", "no.such-check"], "usage"),
    ] {
        let out = mcready().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(document["code"], code, "{args:?}: {document}");
    }
}

/// The group named with `--group` is the group every line talks about; `sip.mcast.net` is 224.0.1.75's
/// name alone, and `joins` of another group does not ask about a PBX.
#[test]
fn labels_follow_the_group() {
    let out =
        mcready().args(["--group", "239.255.255.250", "joins", "-q", "--color", "never"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("239.255.255.250") && !text.contains("PBX") && !text.contains("sip.mcast.net"),
        "{text}"
    );
    let out = mcready().args(["check", "--no-probe", "--group", "239.1.1.1", "--json"]).output().unwrap();
    let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let title = document["requirements"][0]["title"].as_str().unwrap_or_default();
    assert!(title.contains("239.1.1.1"), "{title}");
    let requirements = document["requirements"].to_string();
    assert!(
        !requirements.contains("224.0.1.75") && !requirements.contains("sip.mcast.net"),
        "{requirements}"
    );
}

/// Every check id is explained offline, from the docs/checks.md built into the binary.
#[test]
fn explain_reads_every_check_id_offline() {
    let out = mcready().args(["explain", "--color", "never"]).assert().success().get_output().clone();
    let list = String::from_utf8_lossy(&out.stdout).into_owned();
    let documented = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/checks.md")).unwrap();
    let ids: Vec<&str> = documented
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(id, _)| id))
        .filter(|id| id.contains('.'))
        .collect();
    assert!(ids.len() > 20, "{ids:?}");
    for id in &ids {
        assert!(list.lines().any(|line| line.starts_with(id)), "{id} not listed:\n{list}");
    }
    let out = mcready().args(["explain", "multicast.igmp-querier", "--color", "never"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("network-multicast")
            && text.contains("querier")
            && text.contains("otherwise, and the fix"),
        "{text}"
    );
    let out = mcready().args(["explain", "same-subnet", "--json"]).assert().success();
    let document: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(document["schema"], "mcready.explain/v1");
    assert!(
        document["checks"].as_array().unwrap().iter().all(|c| c["requirement"] == "same-subnet"),
        "{document}"
    );
}

/// The man page points at nothing that does not exist and shows how mcready is run.
#[test]
fn man_page_has_examples_and_no_missing_pages() {
    let out = mcready().arg("manpage").assert().success();
    let page = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(page.contains(".SH EXAMPLES") && page.contains("mcready explain"), "{page}");
    assert!(!page.contains("(1)"), "a reference to a page that does not exist: {page}");
}
