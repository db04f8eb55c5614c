//! The verdict vocabulary, plain data on the ground floor: a check's status, requirements that take the
//! worst of their checks, the verdict, and the tables that map a verdict to an exit code and to a
//! monitoring plugin's state.
//!
//! The rules are DESIGN's: a requirement takes its worst non-skip check (fail > warn > pass) and is
//! `skip` only when all its checks are; the verdict takes the worst non-skip requirement and is
//! `incomplete` when all are `skip`. [`exit_code`] is the one function that turns an answer into an exit
//! code. The rules build these values and the renderers print them, so they live below both and import
//! nothing of the crate.

use serde::Serialize;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// Could not be decided; the summary says why and how to decide it.
    Skip,
}

impl Status {
    /// How bad a decided status is; `None` for `skip`, which never outweighs a decision.
    fn severity(self) -> Option<u8> {
        match self {
            Self::Pass => Some(0),
            Self::Warn => Some(1),
            Self::Fail => Some(2),
            Self::Skip => None,
        }
    }

    /// The worst decided status of `statuses`, or `skip` when none is decided.
    pub fn worst(statuses: impl IntoIterator<Item = Self>) -> Self {
        statuses
            .into_iter()
            .filter_map(|s| s.severity().map(|rank| (rank, s)))
            .max_by_key(|(rank, _)| *rank)
            .map_or(Self::Skip, |(_, s)| s)
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Skip => "skip",
        }
    }

    /// The mark a person scans for: ✔ ! ✘ –.
    #[must_use]
    pub fn mark(self) -> char {
        match self {
            Self::Pass => '✔',
            Self::Warn => '!',
            Self::Fail => '✘',
            Self::Skip => '–',
        }
    }
}

/// One decided (or undecidable) fact about readiness.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable id, listed in `docs/checks.md`, e.g. `membership.on-pnp-interface`.
    pub id: &'static str,
    pub status: Status,
    pub summary: String,
    /// The concrete fix for this OS; present on every `warn` and `fail`.
    pub remedy: Option<String>,
    /// The remedy as data: ordered steps with their commands and undo. Present where a rule has a typed
    /// fix; absent from the JSON otherwise (an optional field of `mcready.report/v1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<crate::fix::Fix>,
    /// The facts the decision rests on.
    pub evidence: serde_json::Value,
    /// Why a `skip` was not decided, when the run lacked something a reader can supply (evidence, a
    /// privilege); `None` on a decided check, and on a skip with nothing to decide (not applicable on
    /// this OS, or its cause judged by another check). The report lists these under `untested`.
    #[serde(skip)]
    pub untested: Option<Untested>,
}

/// What a run lacked to decide a check: the report's `untested` lists it, and a monitoring state
/// counts the privileges (DESIGN, "No green without evidence").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untested {
    /// The run gathered no evidence for it; `how` is what would (`--peer IP`, `--listen 120`, …).
    Evidence { how: String },
    /// The run lacked a privilege the observation needs.
    Privilege { needs: Privilege },
}

/// A privilege an observation needs, named per OS by the report (`report::untested`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Privilege {
    /// Root (an elevated prompt on Windows): reading the host firewall, another process's namespace.
    Admin,
    /// Raw and packet sockets (`CAP_NET_RAW` on Linux; root on macOS, elevated on Windows): the passive
    /// capture and the IGMP querier search.
    RawSockets,
}

impl Check {
    /// This `skip` lacked evidence the run did not gather; `how` gathers it.
    #[must_use]
    pub fn lacking_evidence(mut self, how: impl Into<String>) -> Self {
        if self.status == Status::Skip {
            self.untested = Some(Untested::Evidence { how: how.into() });
        }
        self
    }

    /// This `skip` lacked `needs`, when `lacked` (else it stays as it was).
    #[must_use]
    pub fn lacking_privilege(mut self, needs: Privilege, lacked: bool) -> Self {
        if self.status == Status::Skip && lacked {
            self.untested = Some(Untested::Privilege { needs });
        }
        self
    }

    /// Skipped for lack of a privilege.
    #[must_use]
    pub fn unprivileged(&self) -> Option<Privilege> {
        match &self.untested {
            Some(Untested::Privilege { needs }) => Some(*needs),
            _ => None,
        }
    }
}

/// One of the four requirements, with its checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    pub id: &'static str,
    pub title: String,
    pub status: Status,
    pub checks: Vec<Check>,
}

impl Requirement {
    /// A requirement whose status is derived from its checks, never set by hand.
    #[must_use]
    pub fn new(id: &'static str, title: impl Into<String>, checks: Vec<Check>) -> Self {
        let status = Status::worst(checks.iter().map(|c| c.status));
        Self { id, title: title.into(), status, checks }
    }
}

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
    /// Every requirement was `skip`: nothing could be decided.
    Incomplete,
}

impl Verdict {
    #[must_use]
    pub fn of(requirements: &[Requirement]) -> Self {
        match Status::worst(requirements.iter().map(|r| r.status)) {
            Status::Pass => Self::Pass,
            Status::Warn => Self::Warn,
            Status::Fail => Self::Fail,
            Status::Skip => Self::Incomplete,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Incomplete => "incomplete",
        }
    }
}

/// The exit code of a command that could not run (bad arguments, no such interface, an OS error).
pub const EXIT_COULD_NOT_RUN: u8 = 2;
/// The exit code of a Nagios plugin that could not run or decide (UNKNOWN).
pub const EXIT_PLUGIN_UNKNOWN: u8 = 3;
/// The exit code of a second Ctrl-C: the conventional 128 + SIGINT.
pub const EXIT_INTERRUPTED_TWICE: u8 = 130;

/// Whose exit-code convention a run follows. The output format decides it (`--format nagios` is a
/// plugin's), which is why renderers' formats convert into it rather than this floor knowing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitConvention {
    /// mcready's own: 0 for the good answer, 1 for the bad one.
    Command,
    /// A Nagios/Icinga plugin's: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    Plugin,
}

/// The plugin state of a verdict: OK, WARNING, CRITICAL, or UNKNOWN when nothing could be decided or the
/// run was cut short. A run that skipped a check for lack of privilege (`unprivileged`) is WARNING at
/// least: it must never look healthier than a privileged run of the same host.
#[must_use]
pub fn nagios_state(verdict: Verdict, interrupted: bool, unprivileged: bool) -> (&'static str, u8) {
    match (verdict, interrupted) {
        (Verdict::Incomplete, _) | (_, true) => ("UNKNOWN", EXIT_PLUGIN_UNKNOWN),
        (Verdict::Pass, false) if !unprivileged => ("OK", 0),
        (Verdict::Pass | Verdict::Warn, false) => ("WARNING", 1),
        (Verdict::Fail, false) => ("CRITICAL", 2),
    }
}

/// What a command answered, as far as its exit code is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `check`: the verdict, whether some requirement could not be decided, and whether some check was
    /// skipped for lack of privilege.
    Checklist { verdict: Verdict, some_skip: bool, unprivileged: bool },
    /// `joins`, `probe`, `listen`: the positive answer (joined somewhere, a server answered, a phone
    /// was heard) or the negative one.
    Found(bool),
    /// `interfaces`, and `respond`'s stop (Ctrl-C is its normal end): always 0.
    Informational,
}

/// The one place exit codes are decided (2, "could not run", is the caller's: no document exists then).
///
/// - `check`: 0 on pass or warn, 1 on fail; with `strict`, 1 unless the verdict is pass and no
///   requirement is `skip`. An interrupted run's cut windows are already `skip`, so `--strict` exits 1.
/// - The other commands: 0 for the positive answer, 1 for the negative one. `strict` and an
///   interruption do not change them: a cut-short `listen` that heard a phone still heard it.
///
/// - `--format nagios` (`check` only): the plugin convention instead — 0 OK (pass), 1 WARNING (warn,
///   or pass with a check skipped for lack of privilege), 2 CRITICAL (fail), 3 UNKNOWN (incomplete,
///   interrupted); `--strict` changes nothing there.
#[must_use]
pub fn exit_code(
    answer: Answer,
    strict: bool,
    interrupted: bool,
    convention: impl Into<ExitConvention>,
) -> u8 {
    if let (ExitConvention::Plugin, Answer::Checklist { verdict, unprivileged, .. }) =
        (convention.into(), answer)
    {
        return nagios_state(verdict, interrupted, unprivileged).1;
    }
    match answer {
        Answer::Checklist { verdict, some_skip, .. } => {
            let clean_pass = verdict == Verdict::Pass && !some_skip && !interrupted;
            match (verdict, strict) {
                (Verdict::Fail, _) => 1,
                (_, true) => u8::from(!clean_pass),
                (Verdict::Pass | Verdict::Warn | Verdict::Incomplete, false) => 0,
            }
        }
        Answer::Found(found) => u8::from(!found),
        Answer::Informational => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::{Fail, Pass, Skip, Warn};

    fn check(status: Status) -> Check {
        Check {
            id: "t.check",
            status,
            summary: String::new(),
            remedy: None,
            fix: None,
            evidence: serde_json::Value::Null,
            untested: None,
        }
    }

    fn requirement(statuses: &[Status]) -> Requirement {
        Requirement::new("t", "test", statuses.iter().copied().map(check).collect())
    }

    #[test]
    fn requirement_takes_worst_decided_check() {
        assert_eq!(requirement(&[Pass, Warn, Skip]).status, Warn);
        assert_eq!(requirement(&[Pass, Fail, Warn]).status, Fail);
        assert_eq!(requirement(&[Skip, Pass]).status, Pass);
        assert_eq!(requirement(&[Skip, Skip]).status, Skip);
        assert_eq!(requirement(&[]).status, Skip);
    }

    #[test]
    fn verdict_and_exit_codes() {
        let all = |s: Status| vec![requirement(&[s]), requirement(&[Skip])];
        assert_eq!(Verdict::of(&all(Pass)), Verdict::Pass);
        assert_eq!(Verdict::of(&all(Warn)), Verdict::Warn);
        assert_eq!(Verdict::of(&all(Fail)), Verdict::Fail);
        assert_eq!(Verdict::of(&all(Skip)), Verdict::Incomplete);
        // (verdict, some requirement skip, strict, interrupted) → exit code
        let table = [
            (Verdict::Pass, false, false, false, 0),
            (Verdict::Warn, false, false, false, 0),
            (Verdict::Fail, false, false, false, 1),
            (Verdict::Incomplete, true, false, false, 0),
            (Verdict::Pass, false, true, false, 0),
            (Verdict::Pass, true, true, false, 1),
            (Verdict::Pass, false, true, true, 1),
            (Verdict::Pass, false, false, true, 0),
            (Verdict::Warn, false, true, false, 1),
            (Verdict::Fail, false, true, false, 1),
            (Verdict::Incomplete, true, true, false, 1),
        ];
        for (verdict, some_skip, strict, interrupted, code) in table {
            let answer = Answer::Checklist { verdict, some_skip, unprivileged: false };
            assert_eq!(
                exit_code(answer, strict, interrupted, ExitConvention::Command),
                code,
                "{verdict:?} {some_skip} {strict} {interrupted}"
            );
        }
        for strict in [false, true] {
            assert_eq!(exit_code(Answer::Found(true), strict, false, ExitConvention::Command), 0);
            assert_eq!(exit_code(Answer::Found(false), strict, true, ExitConvention::Command), 1);
            assert_eq!(exit_code(Answer::Informational, strict, true, ExitConvention::Command), 0);
        }
        // Nagios: the plugin convention, whatever --strict says.
        let nagios = |verdict, interrupted, strict, unprivileged| {
            exit_code(
                Answer::Checklist { verdict, some_skip: true, unprivileged },
                strict,
                interrupted,
                ExitConvention::Plugin,
            )
        };
        for strict in [false, true] {
            assert_eq!(nagios(Verdict::Pass, false, strict, false), 0);
            assert_eq!(nagios(Verdict::Warn, false, strict, false), 1);
            assert_eq!(nagios(Verdict::Fail, false, strict, false), 2);
            assert_eq!(nagios(Verdict::Incomplete, false, strict, false), 3);
            assert_eq!(nagios(Verdict::Pass, true, strict, false), 3);
            // Without privileges a pass is WARNING at least; worse states stay as they are.
            assert_eq!(nagios(Verdict::Pass, false, strict, true), 1);
            assert_eq!(nagios(Verdict::Warn, false, strict, true), 1);
            assert_eq!(nagios(Verdict::Fail, false, strict, true), 2);
            assert_eq!(nagios(Verdict::Incomplete, false, strict, true), 3);
        }
        // The command convention is not the plugin's: an unprivileged pass still exits 0.
        let answer = Answer::Checklist { verdict: Verdict::Pass, some_skip: false, unprivileged: true };
        assert_eq!(exit_code(answer, false, false, ExitConvention::Command), 0);
    }

    #[test]
    fn statuses_serialise_lowercase() {
        assert_eq!(serde_json::to_string(&Warn).unwrap(), "\"warn\"");
        assert_eq!(serde_json::to_string(&Verdict::Incomplete).unwrap(), "\"incomplete\"");
    }
}
