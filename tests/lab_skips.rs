//! The rule every lab test follows for the programs it runs (`tests/common`): a missing program is a
//! printed skip that names its Debian package, and under `MCREADY_REQUIRE_NETNS=1` (CI) a failure with
//! the same reason, so CI can never pass by skipping — whether the test asks with `require` or builds
//! its lab through `lab_test!`, which names the test in the skip line.
//!
//! The environment variable is read by the helpers, so each case re-runs this binary with the
//! environment it needs (`--exact helper_…`) instead of changing this process's environment under other
//! tests.

// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Output};

use common::{Lab, Program, require};

const MISSING: Program = Program { name: "mcready-no-such-program", package: "mcready-no-such-package" };
const REASON: &str = "needs mcready-no-such-program (Debian package mcready-no-such-package)";
const HELPER: &str = "MCREADY_LAB_SKIPS_HELPER";
const RESULT: &str = "REQUIRE-RESULT ";

/// Not a test of its own: asks for a program that does not exist when re-run by [`run_helper`];
/// does nothing in a normal test run.
#[test]
fn helper_requires_a_missing_program() {
    if std::env::var_os(HELPER).is_none() {
        return;
    }
    let found = require("helper", &[MISSING]);
    println!("{RESULT}{found}");
}

/// A lab that needs a program that does not exist, built only when re-run by [`run_helper`].
fn lab_missing_a_program(test: &str) -> Option<Lab> {
    std::env::var_os(HELPER).and_then(|_| Lab::with(test, &[MISSING]))
}

// Not a test of its own either: a lab test whose lab cannot be built (not root, or a program missing).
lab_test!(helper_lab_test_without_its_lab, lab_missing_a_program(), |_lab| {
    println!("{RESULT}built");
});

/// This binary's `helper`, with `MCREADY_REQUIRE_NETNS` set or not; its stdout and stderr as one text.
fn run_helper(helper: &str, require_netns: bool) -> (Output, String) {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command.args(["--exact", helper, "--nocapture", "--test-threads=1"]).env(HELPER, "1");
    if require_netns {
        command.env("MCREADY_REQUIRE_NETNS", "1");
    } else {
        command.env_remove("MCREADY_REQUIRE_NETNS");
    }
    let out = command.output().expect("run the helper");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out, text)
}

#[test]
fn a_missing_program_is_a_skip_that_names_its_package() {
    let (out, text) = run_helper("helper_requires_a_missing_program", false);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&format!("{RESULT}false")), "{text}");
    assert!(text.contains(&format!("SKIP helper: {REASON}")), "{text}");
}

#[test]
fn under_require_netns_a_missing_program_fails_with_the_same_reason() {
    let (out, text) = run_helper("helper_requires_a_missing_program", true);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&format!("helper {REASON}, and MCREADY_REQUIRE_NETNS forbids skipping it")),
        "{text}"
    );
    assert!(!text.contains(RESULT), "the test must stop at the missing program: {text}");
}

#[test]
#[cfg(unix)]
fn a_program_on_path_is_found() {
    assert!(require("a_program_on_path_is_found", &[Program { name: "sh", package: "dash" }]));
}

#[test]
fn a_lab_test_that_cannot_build_its_lab_is_a_skip_that_names_the_test() {
    let (out, text) = run_helper("helper_lab_test_without_its_lab", false);
    assert!(out.status.success(), "{text}");
    // Not root: no namespaces; root: the program is missing.
    assert!(text.contains("SKIP helper_lab_test_without_its_lab: needs "), "{text}");
    assert!(!text.contains(RESULT), "the body must not run without its lab: {text}");
}

#[test]
fn under_require_netns_a_lab_test_without_its_lab_fails() {
    let (out, text) = run_helper("helper_lab_test_without_its_lab", true);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("helper_lab_test_without_its_lab needs "), "{text}");
    assert!(text.contains(", and MCREADY_REQUIRE_NETNS forbids skipping it"), "{text}");
    assert!(!text.contains(RESULT), "{text}");
}
