//! `mcready fix`: run the check (as `mcready check --json`, with the same options) → plan
//! ([`crate::plan`], pure) → with `--apply`, the executor ([`crate::repair`]) → render
//! ([`crate::report::fix`]) → exit code. `--confirm`, `--undo`, `--status` and the armed revert act on
//! the journal alone.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, anyhow};

use super::{Outcome, envelope};
use crate::cli::{Cli, FixArgs, UsageError};
use crate::fix::Os;
use crate::plan::{self, Options, Protected};
use crate::repair::shell::{ShellHost, arm};
use crate::repair::{self, Settings, journal, prompt::Terminal};
use crate::report::Document as _;
use crate::report::fix::{FixDocument, Mode, Outcome as StepOutcome};
use crate::snapshot::OsFamily;

/// # Errors
/// When the check cannot run, the lock is held, the journal cannot be written, or `--apply` is asked
/// where mcready cannot apply (not Linux, not root).
pub fn run(cli: &Cli, args: &FixArgs) -> Result<Outcome> {
    let dir = state_dir(args);
    let exe = std::env::current_exe()?;
    let mut host = ShellHost { exe: exe.clone(), check_args: check_args(cli, args) };
    let with_journal = |mode: Mode, journal: Option<crate::plan::journal::Journal>| {
        let mut document = FixDocument::new(envelope(FixDocument::SCHEMA), mode);
        document.journal_path = Some(journal::path(&dir).display().to_string());
        document.journal = journal;
        document
    };
    if let Some(run) = &args.revert_when_due {
        repair::revert_when_due(&mut host, &dir, run).map_err(|e| anyhow!(e))?;
        return Ok(Outcome { output: String::new(), exit_code: 0 });
    }
    if args.status {
        let found = journal::load(&dir).map_err(|e| anyhow!(e))?;
        let mut document = with_journal(Mode::Status, found);
        if document.journal.is_none() {
            document.notes.push("No `mcready fix --apply` run is recorded here.".into());
        }
        return Ok(done(&document, cli));
    }
    if args.confirm {
        let (record, kept) = repair::confirm_run(&dir, "", &mut host, &root()).map_err(|e| anyhow!(e))?;
        let mut document = with_journal(Mode::Confirm, Some(record));
        document.results = outcomes(kept);
        return Ok(done(&document, cli));
    }
    if args.undo {
        refuse_unless_allowed("--undo")?;
        let undone = repair::undo(&mut host, &dir).map_err(|e| anyhow!(e))?;
        let mut document = with_journal(Mode::Undo, None);
        match undone {
            Some((record, results)) => {
                if results.is_empty() {
                    document.notes.push(format!("Run {}: nothing left to take back.", record.run));
                }
                document.results = outcomes(results);
                document.journal = Some(record);
            }
            None => {
                document.notes.push("No `mcready fix --apply` run is recorded here: nothing to undo.".into());
            }
        }
        return Ok(done(&document, cli));
    }
    let report = host.report().map_err(|e| anyhow!("the check could not run: {e}"))?;
    let options = Options {
        only: args.only.clone(),
        // `--yes` answers the question a disruptive step asks, too.
        allow_disruptive: args.allow_disruptive || (args.apply && args.yes),
        os: Some(this_os()),
        protected: protected(&report),
    };
    if let Some(unknown) = args.only.iter().find(|id| !report.checks.iter().any(|c| c.id == **id)) {
        return Err(UsageError(format!(
            "--only {unknown}: no check has this id (`mcready explain` lists them)"
        ))
        .into());
    }
    let plan = plan::plan(&report.checks, &options);
    if !args.apply
        || !plan.steps.iter().any(|s| s.action != plan::Action::Print && s.action != plan::Action::Refuse)
    {
        let mut document = FixDocument::new(envelope(FixDocument::SCHEMA), Mode::Plan);
        document.plan = Some(plan);
        if args.apply {
            document.notes.push("Nothing for mcready to apply: every step is manual or refused.".into());
        }
        return Ok(done(&document, cli));
    }
    refuse_unless_allowed("--apply")?;
    let settings = Settings {
        confirm_within: args.confirm_within.unwrap_or(FixArgs::CONFIRM_WITHIN),
        yes: args.yes,
        allow_disruptive: args.allow_disruptive,
        pause: std::env::var("MCREADY_FIX_STEP_PAUSE_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map(Duration::from_millis),
        root: root(),
    };
    let mut arming = |record: &crate::plan::journal::Journal| arm(&exe, &dir, record);
    let applied = repair::apply(&plan, &mut host, &dir, &settings, &mut arming, &mut Terminal)
        .map_err(|e| anyhow!(e))?;
    let mut document = with_journal(Mode::Apply, Some(applied.journal));
    document.plan = Some(plan);
    document.results = outcomes(applied.results);
    document.still_failing = applied.still_failing;
    Ok(done(&document, cli))
}

fn done(document: &FixDocument, cli: &Cli) -> Outcome {
    Outcome::new(document, cli, document.exit_code())
}

fn outcomes(results: Vec<(usize, plan::StepResult)>) -> Vec<StepOutcome> {
    results.into_iter().map(|(step, result)| StepOutcome { step, result }).collect()
}

/// Where confirmed changes are kept: `MCREADY_FIX_ROOT` (a test's tree), else `/`.
fn root() -> PathBuf {
    std::env::var_os("MCREADY_FIX_ROOT").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// `--state-dir`, else `MCREADY_STATE_DIR`, else /var/lib/mcready (`%ProgramData%\mcready` on Windows).
fn state_dir(args: &FixArgs) -> PathBuf {
    args.state_dir
        .clone()
        .or_else(|| std::env::var_os("MCREADY_STATE_DIR").map(PathBuf::from))
        .unwrap_or_else(journal::state_dir)
}

/// `check --json` with the fix's check options and the global ones that shape the check.
fn check_args(cli: &Cli, args: &FixArgs) -> Vec<String> {
    let mut full = vec!["check".to_owned(), "--json".to_owned()];
    if let Some(interface) = &cli.global.interface {
        full.extend(["--interface".to_owned(), interface.clone()]);
    }
    full.extend([
        "--group".to_owned(),
        cli.global.group.to_string(),
        "--port".to_owned(),
        cli.global.port.to_string(),
    ]);
    full.extend(cli.check.merged(&args.check).to_args());
    full
}

fn this_os() -> Os {
    match OsFamily::current() {
        OsFamily::Linux => Os::Linux,
        OsFamily::Windows => Os::Windows,
        OsFamily::Macos => Os::Macos,
    }
}

/// Applying is Linux's, as root, and Windows', from an elevated prompt: elsewhere the plan only, said
/// plainly.
fn refuse_unless_allowed(option: &str) -> Result<()> {
    let why = match OsFamily::current() {
        OsFamily::Macos => {
            return Err(UsageError(format!(
                "{option}: plan only here — mcready applies fixes on Linux and Windows; run `mcready fix` for the plan and its commands"
            ))
            .into());
        }
        OsFamily::Linux => format!("run it as root (sudo mcready fix {option})"),
        OsFamily::Windows => {
            format!("run it from an elevated prompt (Run as administrator), then `mcready fix {option}`")
        }
    };
    if !crate::platform::process::may_change_host() {
        return Err(UsageError(format!("{option} changes the host: {why}")).into());
    }
    Ok(())
}

/// What the guard protects: the PnP interface and what it rides on, the default route's adapters, and
/// bridges with a container's or virtual machine's port (read from /sys).
fn protected(report: &plan::ReportRead) -> Protected {
    let mut pnp: Vec<String> = report.pnp_interface.iter().cloned().collect();
    if let Some(name) = &report.pnp_interface {
        pnp.extend(crate::platform::process::lower_devices(name));
    }
    let mut default_route = report.default_route.clone();
    default_route.extend(crate::platform::process::default_route_interfaces());
    Protected { pnp, default_route, guest_bridges: crate::platform::process::guest_bridges() }
}
