//! The executor against a fake host: a set of "rules" changed by `add X` / `del X`, read by `read`,
//! and a check that passes `c.X` when rule X is there (or, for `c.never`, never).

use std::collections::BTreeSet;
use std::time::Duration;

use std::path::Path;

use super::*;
use crate::fix::{Fix, Manager, Os, Step};
use crate::plan::journal::{Entry, EntryState};
use crate::plan::{Options, plan};

#[derive(Default)]
struct Fake {
    rules: BTreeSet<String>,
    ran: Vec<String>,
    checks: usize,
    fail_on: Option<String>,
}

impl Host for Fake {
    fn run(&mut self, command: &str) -> Result<String, String> {
        self.ran.push(command.to_owned());
        if self.fail_on.as_deref() == Some(command) {
            return Err("boom".into());
        }
        let words: Vec<&str> = command.split(' ').collect();
        match words.as_slice() {
            ["add", x] => {
                self.rules.insert((*x).to_owned());
            }
            ["del", x] => {
                self.rules.remove(*x);
            }
            ["read"] | ["ufw", "status", "verbose"] => {
                return Ok(self.rules.iter().cloned().collect::<Vec<_>>().join("\n"));
            }
            ["restart"] => {}
            _ => return Err(format!("unknown {command}")),
        }
        Ok(String::new())
    }

    fn check(&mut self) -> Result<Vec<CheckFix>, String> {
        self.checks += 1;
        let status = |x: &str| if self.rules.contains(x) { "pass" } else { "fail" };
        Ok(["a", "b", "never", "maybe"]
            .iter()
            .map(|x| CheckFix {
                id: format!("c.{x}"),
                status: match *x {
                    "never" => "fail",
                    "maybe" => "skip",
                    _ => status(x),
                }
                .into(),
                summary: String::new(),
                remedy: None,
                fix: None,
            })
            .collect())
    }
}

/// A step of the fake's words, as ufw's: its state is read with `ufw status verbose`, which the fake
/// answers with its rules.
fn add(x: &str) -> Step {
    Step::new(Os::Linux, Manager::Ufw, format!("add {x}"), format!("add {x}"))
        .undo(format!("del {x}"))
        .reads("ufw status verbose")
}

pub(super) fn failing(id: &str, steps: Vec<Step>) -> CheckFix {
    CheckFix {
        id: id.into(),
        status: "fail".into(),
        summary: String::new(),
        remedy: None,
        fix: Some(Fix { text: String::new(), steps }),
    }
}

struct Never;
impl Ask for Never {
    fn ask(&mut self, _: &str, _: Option<Duration>) -> Option<bool> {
        None
    }
}

/// Whether this OS can tell that pid 999999 is gone (Linux's /proc, Windows' exit codes); elsewhere
/// (macOS, where `fix --apply` is plan only) every pid is said alive, so the tests of a dead owner skip.
fn dead_pids_are_known(test: &str) -> bool {
    let known = crate::platform::process::liveness_known();
    if !known {
        eprintln!(
            "SKIP {test}: this OS cannot tell a dead process here (mcready fix --apply is plan only here)"
        );
    }
    known
}

pub(super) fn dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mcready-repair-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[allow(clippy::unnecessary_wraps)] // The arming's signature.
pub(super) fn armed(_: &Journal) -> Result<Revert, String> {
    Ok(Revert { by: "test".into(), unit: None, pid: None })
}

#[test]
fn a_step_is_verified_or_rolled_back_and_the_run_confirmed_or_left_pending() {
    let dir = dir("verify");
    let checks = [failing("c.a", vec![add("a")]), failing("c.never", vec![add("z")])];
    let plan = plan(&checks, &Options { os: Some(Os::Linux), ..Options::default() });
    let mut host = Fake::default();
    let settings = Settings { confirm_within: Duration::from_secs(60), ..Settings::default() };
    let applied = apply(&plan, &mut host, &dir, &settings, &mut armed, &mut Never).unwrap();
    assert_eq!(applied.results[0].1, StepResult::Verified);
    assert!(
        matches!(&applied.results[1].1, StepResult::RolledBack(why) if why.contains("c.never still fail"))
    );
    assert_eq!(host.rules, BTreeSet::from(["a".to_owned()]));
    assert_eq!(applied.still_failing, ["c.never"]);
    // Nobody confirmed: pending, and a second run is refused until it is settled.
    assert_eq!(applied.journal.state, RunState::Pending);
    let again = apply(&plan, &mut Fake::default(), &dir, &settings, &mut armed, &mut Never);
    assert!(again.unwrap_err().contains("not confirmed yet"));
    assert_eq!(
        confirm_run(&dir, "", &mut host, Path::new("/nonexistent")).unwrap().0.state,
        RunState::Confirmed
    );
    // --undo takes it back to the state before, exactly.
    let (record, results) = undo(&mut host, &dir).unwrap().unwrap();
    assert_eq!(record.state, RunState::Undone);
    assert_eq!(results, [(1, StepResult::Undone)]);
    assert!(host.rules.is_empty());
}

#[test]
fn a_failed_command_that_changed_nothing_leaves_nothing_to_undo() {
    let dir = dir("twice");
    let checks = [failing("c.a", vec![add("a")]), failing("c.b", vec![add("b")])];
    let plan = plan(&checks, &Options { os: Some(Os::Linux), ..Options::default() });
    let mut host = Fake { fail_on: Some("add b".into()), ..Fake::default() };
    let settings = Settings { yes: true, confirm_within: Duration::from_secs(60), ..Settings::default() };
    let applied = apply(&plan, &mut host, &dir, &settings, &mut armed, &mut Never).unwrap();
    assert_eq!(applied.results[1].1, StepResult::Failed("boom".into()));
    assert_eq!(applied.journal.state, RunState::Confirmed);
    assert_eq!(applied.journal.entries[1].state, crate::plan::journal::EntryState::RolledBack);
}

#[test]
fn a_run_killed_midway_is_completed_by_undo() {
    if !dead_pids_are_known("a_run_killed_midway_is_completed_by_undo") {
        return;
    }
    let dir = dir("killed");
    let mut host = Fake::default();
    host.rules.insert("a".into());
    host.rules.insert("b".into());
    let mut record = Journal::new(1, 999_999, 2);
    for (step, x, state) in [(1, "a", EntryState::Applied), (2, "b", EntryState::Started)] {
        record.entries.push(Entry {
            step,
            checks: vec![],
            manager: Manager::None,
            changes: String::new(),
            command: format!("add {x}"),
            undo: Some(format!("del {x}")),
            reader: Some("read".into()),
            old: Some(if x == "a" { String::new() } else { "a".into() }),
            new: None,
            state,
            native: None,
            native_undo: None,
            persisted: false,
            verified: true,
            keep: None,
            kept: None,
        });
    }
    journal::save(&record, &dir).unwrap();
    // The revert notices the run is gone (pid 999999 is not alive) and takes it back at once.
    let reverted = revert_when_due(&mut host, &dir, &record.run).unwrap().unwrap();
    assert_eq!(reverted.state, RunState::Reverted);
    assert!(host.rules.is_empty());
    assert_eq!(host.ran[..2], ["del b".to_owned(), "read".to_owned()]);
}

#[test]
fn the_lock_refuses_a_second_run_and_a_dead_owners_lock_is_taken_over() {
    let dir = dir("lock");
    let held = journal::Lock::take(&dir).unwrap();
    assert!(journal::Lock::take(&dir).unwrap_err().contains("is running"));
    drop(held);
    if !dead_pids_are_known("the_lock_refuses_a_second_run_and_a_dead_owners_lock_is_taken_over") {
        return;
    }
    std::fs::write(dir.join("lock"), "999999").unwrap();
    assert!(journal::Lock::take(&dir).is_ok());
}

#[test]
fn a_step_whose_check_cannot_decide_is_kept_and_said_unverified() {
    let dir = dir("undecided");
    let plan =
        plan(&[failing("c.maybe", vec![add("m")])], &Options { os: Some(Os::Linux), ..Options::default() });
    let mut host = Fake::default();
    let settings = Settings { yes: true, confirm_within: Duration::from_secs(60), ..Settings::default() };
    let applied = apply(&plan, &mut host, &dir, &settings, &mut armed, &mut Never).unwrap();
    assert!(
        matches!(&applied.results[0].1, StepResult::Applied(why) if why.contains("c.maybe could not decide (skip)")),
        "{:?}",
        applied.results
    );
    assert!(host.rules.contains("m"));
}

/// A step of the fake's words kept in `file` by appending `x = 1` (checked with `ok`, or `bad`, which
/// the fake refuses).
fn kept(x: &str, file: &str, check: &str) -> Step {
    add(x).keep(Some(crate::fix::Keep::File {
        manager: Manager::Sysctl,
        file: file.into(),
        edit: crate::fix::Edit::Append { lines: vec![format!("{x} = 1")], create: Some("# new\n".into()) },
        check: Some(check.into()),
        reload: None,
    }))
}

#[test]
fn only_verified_confirmed_changes_are_kept_and_an_undo_gives_the_files_back() {
    let dir = dir("keep");
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/admin.conf"), "mine = 0\n").unwrap();
    let checks = [
        failing("c.a", vec![kept("a", "/etc/admin.conf", "read")]),
        failing("c.b", vec![kept("b", "/etc/new.conf", "read")]),
        failing("c.never", vec![kept("z", "/etc/never.conf", "read")]),
    ];
    let plan = plan(&checks, &Options { os: Some(Os::Linux), ..Options::default() });
    let mut host = Fake::default();
    let settings =
        Settings { confirm_within: Duration::from_secs(60), root: root.clone(), ..Settings::default() };
    // Not confirmed yet: nothing written.
    let applied = apply(&plan, &mut host, &dir, &settings, &mut armed, &mut Never).unwrap();
    assert_eq!(applied.journal.state, RunState::Pending);
    assert_eq!(std::fs::read_to_string(root.join("etc/admin.conf")).unwrap(), "mine = 0\n");
    assert!(!root.join("etc/new.conf").exists());
    let (record, kept) = confirm_run(&dir, "", &mut host, &root).unwrap();
    assert_eq!(record.state, RunState::Confirmed);
    let shown = |file: &str| root.join(file).display().to_string();
    // The step rolled back (c.never) is not kept; the missing file is created.
    assert_eq!(
        kept,
        [(1, StepResult::Kept(shown("etc/admin.conf"))), (2, StepResult::Kept(shown("etc/new.conf")))]
    );
    assert_eq!(std::fs::read_to_string(root.join("etc/admin.conf")).unwrap(), "mine = 0\na = 1\n");
    assert_eq!(std::fs::read_to_string(root.join("etc/new.conf")).unwrap(), "# new\nb = 1\n");
    assert!(!root.join("etc/never.conf").exists());
    // The admin edits the file meanwhile: the undo removes mcready's line only.
    std::fs::write(root.join("etc/admin.conf"), "mine = 0\na = 1\nlater = 2\n").unwrap();
    let (_, results) = undo(&mut host, &dir).unwrap().unwrap();
    assert!(results.contains(&(2, StepResult::Unkept(shown("etc/new.conf")))), "{results:?}");
    assert_eq!(std::fs::read_to_string(root.join("etc/admin.conf")).unwrap(), "mine = 0\nlater = 2\n");
    assert!(!root.join("etc/new.conf").exists(), "the file mcready made is gone");
    assert!(host.rules.is_empty());
}

#[test]
fn a_managers_file_is_not_made_where_its_directory_is_missing() {
    let dir = dir("keep-no-dir");
    let root = dir.join("root");
    let checks = [failing("c.a", vec![kept("a", "/etc/iptables/rules.v4", "read")])];
    let plan = plan(&checks, &Options { os: Some(Os::Linux), ..Options::default() });
    let settings = Settings { yes: true, root: root.clone(), ..Settings::default() };
    let applied = apply(&plan, &mut Fake::default(), &dir, &settings, &mut armed, &mut Never).unwrap();
    assert!(
        applied
            .results
            .iter()
            .any(|(_, r)| matches!(r, StepResult::NotKept(why) if why.contains("does not seem installed"))),
        "{:?}",
        applied.results
    );
    assert!(!root.exists());
}

#[test]
fn an_edit_the_managers_check_refuses_is_taken_back_at_once() {
    let dir = dir("keep-refused");
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/admin.conf"), "mine = 0\n").unwrap();
    let checks = [failing("c.a", vec![kept("a", "/etc/admin.conf", "refuse {file}")])];
    let plan = plan(&checks, &Options { os: Some(Os::Linux), ..Options::default() });
    let mut host = Fake::default();
    let settings = Settings { yes: true, root: root.clone(), ..Settings::default() };
    let applied = apply(&plan, &mut host, &dir, &settings, &mut armed, &mut Never).unwrap();
    let refused = applied.results.iter().find(|(_, r)| matches!(r, StepResult::NotKept(_)));
    assert!(
        refused.is_some_and(|(_, r)| matches!(r, StepResult::NotKept(why) if why.contains("refused it"))),
        "{:?}",
        applied.results
    );
    assert_eq!(std::fs::read_to_string(root.join("etc/admin.conf")).unwrap(), "mine = 0\n");
}
