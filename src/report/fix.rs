//! The `mcready.fix/v1` document: the plan (each step with its command, class, persistence, undo, the
//! checks it is for and what this run does with it), and for a run that changed something what became
//! of each step (already in place, verified, applied, rolled back and why, failed, not run), the checks
//! still failing afterwards and the journal with its pending confirmation and how the revert was armed.

use std::fmt::Write as _;

use serde::Serialize;

use super::text::{BAD, CAUTION, DIM, EMPHASIS, GOOD, HEADING, paint};
use super::{Document, Envelope};
use crate::fix::{Class, Edit, Keep, Persistence};
use crate::plan::journal::{Journal, RunState};
use crate::plan::{Action, Plan, StepResult};

/// What `mcready fix` was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The plan only: nothing changed.
    Plan,
    Apply,
    Confirm,
    Undo,
    Status,
}

/// What became of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub step: usize,
    #[serde(flatten)]
    pub result: StepResult,
}

/// The `mcready.fix/v1` document.
#[derive(Debug, Clone, Serialize)]
pub struct FixDocument {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub mode: Mode,
    pub plan: Option<Plan>,
    /// Each step's result (`apply`), or each change's undo (`undo`, a revert).
    pub results: Vec<Outcome>,
    /// The plan's checks that still fail or warn after the run.
    pub still_failing: Vec<String>,
    /// The run's journal (`apply`, `confirm`, `undo`, `status`), and where it is.
    pub journal: Option<Journal>,
    pub journal_path: Option<String>,
    /// Said to the reader: plan only here, nothing pending, …
    pub notes: Vec<String>,
}

impl FixDocument {
    #[must_use]
    pub fn new(envelope: Envelope, mode: Mode) -> Self {
        Self {
            envelope,
            mode,
            plan: None,
            results: Vec::new(),
            still_failing: Vec::new(),
            journal: None,
            journal_path: None,
            notes: Vec::new(),
        }
    }

    /// The exit code: 0 when nothing needs fixing or every planned check passes afterwards (a run
    /// waiting for its confirmation included), 1 when steps remain or a check still fails.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        let remains = match self.mode {
            Mode::Plan => self.plan.as_ref().is_some_and(Plan::has_steps),
            Mode::Apply => {
                !self.still_failing.is_empty()
                    || self.journal.as_ref().is_some_and(|j| j.state == RunState::Reverted)
            }
            Mode::Undo => self.results.iter().any(|o| o.result.remains()),
            Mode::Status => self.journal.as_ref().is_some_and(|j| j.state == RunState::Pending),
            Mode::Confirm => false,
        };
        u8::from(remains)
    }

    fn write_plan(&self, out: &mut String) {
        let Some(plan) = &self.plan else { return };
        if !plan.has_steps() {
            let _ = writeln!(out, "{}", paint(GOOD, "✔ Nothing to fix: no check fails or warns."));
            return;
        }
        for planned in &plan.steps {
            let step = &planned.step;
            let class = match step.class {
                Class::Safe => paint(GOOD, "safe"),
                Class::Disruptive => paint(CAUTION, "disruptive"),
                Class::Manual => paint(DIM, "manual"),
            };
            let lasting = match step.persistence {
                Persistence::Runtime => "runtime",
                Persistence::Persistent => "persistent",
            };
            let action = match planned.action {
                Action::Apply => "",
                Action::Ask => " · asks first",
                Action::Print => " · printed only",
                Action::Refuse => " · refused",
            };
            let _ = writeln!(out, "{:>3}. [{class}, {lasting}{action}] {}", planned.number, step.changes);
            if !step.command.is_empty() {
                let _ = writeln!(out, "       {}", paint(EMPHASIS, &step.command));
            }
            if let Some(undo) = &step.undo {
                let _ = writeln!(out, "       {}", paint(DIM, &format!("undo: {undo}")));
            }
            if let Some(keep) = &step.keep {
                let _ = writeln!(
                    out,
                    "       {}",
                    paint(DIM, &format!("kept on confirmation: {}", keep_words(keep)))
                );
            }
            let mut line = format!("for {}", planned.checks.join(", "));
            if !planned.verifies.is_empty() {
                let _ = write!(line, " · verified by {}", planned.verifies.join(", "));
            }
            let _ = writeln!(out, "       {}", paint(DIM, &line));
            if let Some(note) = &planned.note {
                let style = if planned.action == Action::Refuse { BAD } else { DIM };
                let _ = writeln!(out, "       {}", paint(style, note));
            }
        }
        if !plan.unfixed.is_empty() {
            let _ = writeln!(
                out,
                "  No steps for {}: their remedy in `mcready check` is words only.",
                plan.unfixed.join(", ")
            );
        }
    }

    fn write_results(&self, out: &mut String) {
        for outcome in &self.results {
            let (mark, style, what, why) = match &outcome.result {
                StepResult::AlreadyInPlace => ("=", DIM, "already in place, not run again", None),
                StepResult::Verified => ("✔", GOOD, "applied and verified", None),
                StepResult::Undone => ("✔", GOOD, "undone, the state before is back exactly", None),
                StepResult::Applied(why) => ("✔", CAUTION, "applied, not verified", Some(why)),
                StepResult::RolledBack(why) => ("↺", CAUTION, "rolled back", Some(why)),
                StepResult::Failed(why) => ("✘", BAD, "failed", Some(why)),
                StepResult::NotRun(why) => ("–", DIM, "not run", Some(why)),
                StepResult::Kept(where_) => ("✔", GOOD, "kept after a reboot", Some(where_)),
                StepResult::NotKept(why) => ("✘", BAD, "confirmed, but not kept after a reboot", Some(why)),
                StepResult::Unkept(what) => ("✔", GOOD, "its lasting form taken back", Some(what)),
            };
            let why = why.map_or_else(String::new, |w| format!(": {w}"));
            let _ = writeln!(out, "  {} step {}: {what}{why}", paint(style, mark), outcome.step);
        }
        if self.mode == Mode::Apply {
            if self.still_failing.is_empty() {
                let _ = writeln!(out, "{}", paint(GOOD, "✔ The checks the plan was for pass now."));
            } else {
                let _ = writeln!(
                    out,
                    "{}",
                    paint(BAD, &format!("✘ Still failing: {}", self.still_failing.join(", ")))
                );
            }
        }
    }

    fn write_journal(&self, out: &mut String) {
        let Some(journal) = &self.journal else { return };
        let path = self.journal_path.as_deref().unwrap_or_default();
        let _ = writeln!(out, "Journal {path}, run {}: {}", journal.run, state_words(journal));
        if let Some(revert) = &journal.revert
            && journal.state == RunState::Pending
        {
            let how = match (revert.by.as_str(), &revert.unit, revert.pid) {
                ("systemd-run", Some(unit), _) => format!("a transient systemd timer ({unit})"),
                (_, _, Some(pid)) => format!("a detached helper process (pid {pid})"),
                (by, ..) => by.to_owned(),
            };
            let _ = writeln!(
                out,
                "{}",
                paint(
                    CAUTION,
                    &format!(
                        "Confirm with `mcready fix --confirm` before {}, or the changes are taken back by {how}.",
                        clock(journal.confirm_by)
                    )
                )
            );
        }
        if self.mode == Mode::Status {
            for entry in &journal.entries {
                let _ = writeln!(out, "  step {} [{:?}] {}", entry.step, entry.state, entry.command);
                if let Some(kept) = &entry.kept {
                    let what = kept.file.as_deref().or(kept.command.as_deref()).unwrap_or_default();
                    let _ = writeln!(out, "    kept after a reboot [{:?}]: {what}", kept.state);
                }
            }
        }
    }
}

/// What keeping a step writes, in one line.
fn keep_words(keep: &Keep) -> String {
    match keep {
        Keep::Command { command, .. } => format!("`{command}`"),
        Keep::File { file, edit, check, .. } => {
            let how = match edit {
                Edit::Create { .. } => "a file of its own",
                Edit::Append { .. } => "lines added at its end",
                Edit::Insert { .. } | Edit::Under { .. } => "lines added",
                Edit::Filter { command } => command.as_str(),
            };
            let checked = check.as_ref().map_or_else(String::new, |c| format!(", checked by `{c}`"));
            format!("{file} ({how}{checked})")
        }
    }
}

fn state_words(journal: &Journal) -> &'static str {
    match journal.state {
        RunState::Applying => "applying (or killed while applying: `mcready fix --undo` completes it)",
        RunState::Pending => "applied, waiting for a confirmation",
        RunState::Confirmed => "confirmed (`mcready fix --undo` still takes it back)",
        RunState::Undone => "undone",
        RunState::Reverted => "taken back (not confirmed in time)",
    }
}

/// Seconds since 1970 as a UTC time of day.
fn clock(seconds: u64) -> String {
    let day = seconds % 86_400;
    format!("{:02}:{:02}:{:02} UTC", day / 3600, day % 3600 / 60, day % 60)
}

impl Document for FixDocument {
    const SCHEMA: &'static str = "mcready.fix/v1";

    fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        let title = match self.mode {
            Mode::Plan => {
                "mcready fix — the plan (a dry run: nothing was changed; `--apply` runs the safe steps)"
            }
            Mode::Apply => "mcready fix --apply",
            Mode::Confirm => "mcready fix --confirm",
            Mode::Undo => "mcready fix --undo",
            Mode::Status => "mcready fix --status",
        };
        let _ = writeln!(out, "{}", paint(HEADING, title));
        self.write_plan(&mut out);
        self.write_results(&mut out);
        self.write_journal(&mut out);
        for note in &self.notes {
            let _ = writeln!(out, "{note}");
        }
        out
    }

    fn markdown_body(&self) -> String {
        let text = anstream::adapter::strip_str(&self.to_text()).to_string();
        format!("```\n{text}```\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{CheckFix, Options};

    #[test]
    fn the_plan_says_how_a_step_is_kept_and_the_results_where_it_was() {
        let step = crate::managers::sysctl::set(
            "loose",
            &[crate::managers::sysctl::Setting::new("net.ipv4.conf.all.rp_filter", 2, Some(1))],
        );
        let check = CheckFix {
            id: "multicast.rp-filter".into(),
            status: "fail".into(),
            summary: String::new(),
            remedy: None,
            fix: Some(crate::fix::Fix { text: String::new(), steps: vec![step] }),
        };
        let plan =
            crate::plan::plan(&[check], &Options { os: Some(crate::fix::Os::Linux), ..Options::default() });
        let envelope = Envelope::new(FixDocument::SCHEMA, crate::checks::fixtures::host_info());
        let mut document = FixDocument::new(envelope, Mode::Apply);
        document.plan = Some(plan);
        document.results = vec![
            Outcome { step: 1, result: StepResult::Verified },
            Outcome { step: 1, result: StepResult::Kept("/etc/sysctl.d/90-mcready.conf".into()) },
        ];
        let text = anstream::adapter::strip_str(&document.to_text()).to_string();
        assert!(
            text.contains(
                "kept on confirmation: /etc/sysctl.d/90-mcready.conf (lines added at its end, checked by `sysctl -q -p {file}`)"
            ),
            "{text}"
        );
        assert!(text.contains("step 1: kept after a reboot: /etc/sysctl.d/90-mcready.conf"), "{text}");
        let json = serde_json::to_value(&document).unwrap();
        assert_eq!(json["plan"]["steps"][0]["keep"]["file"], "/etc/sysctl.d/90-mcready.conf");
        assert_eq!(json["results"][1]["result"], "kept");
        assert_eq!(document.exit_code(), 0);
    }
}
