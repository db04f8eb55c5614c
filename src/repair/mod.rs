//! `mcready fix`'s executor: the plan's steps applied one by one at runtime, each written to the journal
//! before it is made, tested first (a change already in place is not made twice), verified by running
//! the check again, and rolled back when its checks still fail; the automatic revert armed outside this
//! process before the first change; confirmation, `--undo` and the revert itself. The host is reached
//! through [`Host`] only (a shell and the check), so the engine is tested with a fake.

pub mod journal;
pub mod keep;
mod native;
pub mod prompt;
pub mod shell;

use std::path::Path;
use std::time::Duration;

use crate::fix::{Native, Reading};
use crate::plan::journal::{Entry, EntryState, Journal, KeptState, Revert, RunState};
use crate::plan::{Action, CheckFix, Plan, PlannedStep, StepResult, refusal, undo_of};

/// What the executor asks of the host.
pub trait Host {
    /// Runs a shell command (as root: `sudo` in it runs the command as it is): its stdout on success,
    /// its stderr (or why it could not start) on failure.
    ///
    /// # Errors
    /// When the command fails.
    fn run(&mut self, command: &str) -> Result<String, String>;

    /// Runs the check again and returns its checks.
    ///
    /// # Errors
    /// When the check could not run.
    fn check(&mut self) -> Result<Vec<CheckFix>, String>;

    /// Runs a typed operation through the OS's own API (Windows).
    ///
    /// # Errors
    /// When the call fails, or this host runs no typed operation.
    fn native(&mut self, op: &Native) -> Result<(), String> {
        Err(format!("this host runs no typed operation ({op:?})"))
    }

    /// Reads the state `op` changes, through the same API.
    ///
    /// # Errors
    /// When it cannot be read.
    fn read(&mut self, op: &Native) -> Result<Reading, String> {
        Err(format!("this host reads no typed state ({op:?})"))
    }
}

/// How a run applies its plan.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub confirm_within: Duration,
    /// `--yes`: every question answered yes, the final confirmation included.
    pub yes: bool,
    pub allow_disruptive: bool,
    /// A pause after each change (`MCREADY_FIX_STEP_PAUSE_MS`, for the lab test of a run killed midway).
    pub pause: Option<Duration>,
    /// Where the files that keep confirmed changes are written: `/`, or a test's tree
    /// (`MCREADY_FIX_ROOT`).
    pub root: std::path::PathBuf,
}

/// Each step's number and what became of it.
pub type Results = Vec<(usize, StepResult)>;

/// What a run did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub results: Vec<(usize, StepResult)>,
    pub journal: Journal,
    /// Checks of the plan that still fail or warn at the end.
    pub still_failing: Vec<String>,
}

/// The questions a run asks: a disruptive step, the final confirmation. `None` when nobody can answer
/// (no terminal).
pub trait Ask {
    fn ask(&mut self, question: &str, within: Option<Duration>) -> Option<bool>;
}

/// Applies `plan`: the lock taken, the previous run settled, the journal started and the revert armed
/// (`arm`) before the first change; then each step.
///
/// # Errors
/// When the lock is held, a previous run still waits for its confirmation, or the journal cannot be
/// written.
pub fn apply(
    plan: &Plan,
    host: &mut dyn Host,
    dir: &Path,
    settings: &Settings,
    arm: &mut dyn FnMut(&Journal) -> Result<Revert, String>,
    asker: &mut dyn Ask,
) -> Result<Applied, String> {
    let lock = journal::Lock::take(dir)?;
    if let Some(previous) = journal::load(dir)? {
        if previous.holds_changes() && matches!(previous.state, RunState::Applying | RunState::Pending) {
            return Err(format!(
                "run {} is not confirmed yet: `mcready fix --confirm` keeps it, `mcready fix --undo` takes it back",
                previous.run
            ));
        }
        journal::archive(&previous, dir);
    }
    let within = settings.confirm_within.as_secs().max(1);
    let mut record = Journal::new(journal::now(), std::process::id(), journal::now() + within);
    let mut results = Vec::new();
    let runs = plan.steps.iter().any(|s| matches!(s.action, Action::Apply | Action::Ask));
    if runs {
        journal::save(&record, dir)?;
        record.revert = Some(arm(&record)?);
        journal::save(&record, dir)?;
    }
    for planned in &plan.steps {
        let result = match planned.action {
            Action::Print | Action::Refuse => StepResult::NotRun(planned.note.clone().unwrap_or_default()),
            Action::Ask
                if !settings.allow_disruptive
                    && !settings.yes
                    && asker.ask(
                        &format!("Apply step {} ({})? [y/N]", planned.number, planned.step.command),
                        None,
                    ) != Some(true) =>
            {
                StepResult::NotRun(
                    "disruptive: not allowed (--allow-disruptive, or yes on a terminal)".into(),
                )
            }
            Action::Apply | Action::Ask => apply_step(planned, &plan.protected, host, dir, &mut record)?,
        };
        if let (Some(pause), true) = (settings.pause, record.entries.iter().any(|e| e.step == planned.number))
        {
            std::thread::sleep(pause);
        }
        results.push((planned.number, result));
    }
    let still_failing = still_failing(plan, host);
    if record.holds_changes() {
        record.state = RunState::Pending;
        record.confirm_by = journal::now() + within;
        journal::save(&record, dir)?;
        drop(lock);
        let keep = if settings.yes {
            Some(true)
        } else {
            asker.ask(
                &format!("Keep these changes? Without a yes they are taken back in {within} s [y/N]"),
                Some(settings.confirm_within),
            )
        };
        match keep {
            Some(true) => {
                let (_, kept) = confirm_run(dir, &record.run, host, &settings.root)?;
                results.extend(kept);
            }
            Some(false) => {
                let lock = journal::Lock::take(dir)?;
                revert_run(&mut record, host, dir, RunState::Reverted)?;
                drop(lock);
            }
            // Nobody to ask: the armed revert waits for `mcready fix --confirm`.
            None => {}
        }
        record = journal::load(dir)?.unwrap_or(record);
    } else if runs {
        record.state = RunState::Confirmed;
        journal::save(&record, dir)?;
    }
    Ok(Applied { results, journal: record, still_failing })
}

/// The checks of the plan that still fail or warn, by one more check; all of them when it cannot run.
fn still_failing(plan: &Plan, host: &mut dyn Host) -> Vec<String> {
    let mut ids: Vec<String> = plan.steps.iter().flat_map(|s| s.checks.clone()).collect();
    ids.extend(plan.unfixed.clone());
    ids.sort();
    ids.dedup();
    match host.check() {
        Ok(checks) => {
            ids.into_iter().filter(|id| checks.iter().any(|c| c.id == *id && c.failing())).collect()
        }
        Err(_) => ids,
    }
}

/// One step: in place already, or journalled, run, read again, verified (or rolled back).
fn apply_step(
    planned: &PlannedStep,
    protected: &crate::plan::Protected,
    host: &mut dyn Host,
    dir: &Path,
    record: &mut Journal,
) -> Result<StepResult, String> {
    let step = &planned.step;
    // The executor's own guard: the planner refused these, and a plan from elsewhere is held to it too.
    if let Some(why) = refusal(step, protected) {
        return Ok(StepResult::NotRun(why));
    }
    let index = match &step.native {
        Some(op) => native::make(planned, op, host, dir, record)?,
        None => make(planned, host, dir, record)?,
    };
    let index = match index {
        Ok(index) => index,
        Err(result) => return Ok(result),
    };
    if planned.verifies.is_empty() {
        let waits = planned.note.clone().unwrap_or_else(|| "no check judges it on its own".into());
        return Ok(StepResult::Applied(waits));
    }
    let (failing, undecided) = match host.check() {
        Ok(checks) => judge(&planned.verifies, &checks),
        Err(error) => (vec![format!("the check could not run again: {error}")], Vec::new()),
    };
    if failing.is_empty() && undecided.is_empty() {
        // The steps before it in the same checks' fixes (which no check could judge alone) are proved
        // with it.
        for entry in &mut record.entries {
            if entry.state == EntryState::Applied && entry.checks.iter().any(|c| planned.verifies.contains(c))
            {
                entry.verified = true;
            }
        }
        journal::save(record, dir)?;
        return Ok(StepResult::Verified);
    }
    if failing.is_empty() {
        return Ok(StepResult::Applied(undecided.join("; ")));
    }
    if record.entries[index].undo.is_none() && record.entries[index].native_undo.is_none() {
        return Ok(StepResult::Failed(format!("{}; it has nothing to undo", failing.join("; "))));
    }
    let _hold = crate::interrupt::hold();
    let undone = undo_entry(&mut record.entries[index], host, EntryState::RolledBack);
    journal::save(record, dir)?;
    Ok(StepResult::RolledBack(match undone {
        Ok(()) => failing.join("; "),
        Err(error) => format!("{}; and its undo failed: {error}", failing.join("; ")),
    }))
}

/// Makes a step's change through the shell: in place already (`Err` with the result), or journalled,
/// run and read again; `Ok` with its journal entry's index once it ran.
fn make(
    planned: &PlannedStep,
    host: &mut dyn Host,
    dir: &Path,
    record: &mut Journal,
) -> Result<Result<usize, StepResult>, String> {
    let step = &planned.step;
    if let Some(test) = &step.in_place
        && host.run(test).is_ok()
    {
        return Ok(Err(StepResult::AlreadyInPlace));
    }
    let reader = step.reads.clone();
    let old = reader.as_ref().map(|r| host.run(r).unwrap_or_else(|e| e));
    let undo = undo_of(step, old.as_deref().unwrap_or_default());
    record.entries.push(Entry { undo, reader: reader.clone(), old: old.clone(), ..started(planned) });
    journal::save(record, dir)?;
    let ran = host.run(&step.command);
    let new = reader.as_ref().map(|r| host.run(r).unwrap_or_else(|e| e));
    ran_as(record, new, ran.map(|_| ()), dir)
}

/// A journal entry for `planned`, written before its change is made: nothing read, nothing to undo yet.
fn started(planned: &PlannedStep) -> Entry {
    let step = &planned.step;
    Entry {
        step: planned.number,
        checks: planned.checks.clone(),
        manager: step.manager,
        changes: step.changes.clone(),
        command: step.command.clone(),
        undo: None,
        reader: None,
        old: None,
        new: None,
        state: EntryState::Started,
        native: None,
        native_undo: None,
        persisted: false,
        verified: false,
        keep: step.keep.clone(),
        kept: None,
    }
}

/// The last entry of `record` after its command ran: its new state, and `Applied`, or `RolledBack`
/// when a failed command left the state as it was (nothing to undo). `Err` with the result when the
/// command failed.
fn ran_as(
    record: &mut Journal,
    new: Option<String>,
    ran: Result<(), String>,
    dir: &Path,
) -> Result<Result<usize, StepResult>, String> {
    let index = record.entries.len() - 1;
    let entry = &mut record.entries[index];
    let unchanged = new.is_some() && new == entry.old;
    entry.new = new;
    entry.state = match &ran {
        Err(_) if unchanged => EntryState::RolledBack,
        _ => EntryState::Applied,
    };
    journal::save(record, dir)?;
    Ok(match ran {
        Ok(()) => Ok(index),
        Err(error) => Err(StepResult::Failed(first_line(&error))),
    })
}

/// The checks of `verifies` that still fail or warn, and those that could not decide (`skip`, or absent
/// from the report), each with its summary.
fn judge(verifies: &[String], checks: &[CheckFix]) -> (Vec<String>, Vec<String>) {
    let (mut failing, mut undecided) = (Vec::new(), Vec::new());
    for id in verifies {
        match checks.iter().find(|c| c.id == *id) {
            Some(c) if c.failing() => failing.push(format!("{id} still {}: {}", c.status, c.summary)),
            Some(c) if c.status == "pass" => {}
            Some(c) => undecided.push(format!("{id} could not decide ({}): {}", c.status, c.summary)),
            None => undecided.push(format!("{id} is not in the check's report")),
        }
    }
    (failing, undecided)
}

fn first_line(text: &str) -> String {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("failed").trim().to_owned()
}

/// Takes one change back and checks that the state read before it is back exactly.
fn undo_entry(entry: &mut Entry, host: &mut dyn Host, done: EntryState) -> Result<(), String> {
    let started = entry.state == EntryState::Started;
    let (outcome, back) = if let Some(op) = &entry.native {
        native::take_back(entry, op, host)
    } else {
        let outcome = match &entry.undo {
            Some(undo) => host.run(undo).map(|_| ()),
            None => Err("it has no undo".into()),
        };
        let back = match (&entry.reader, &entry.old) {
            (Some(reader), Some(old)) => host.run(reader).is_ok_and(|now| now == *old),
            _ => outcome.is_ok(),
        };
        (outcome, back)
    };
    // A change that may never have been made is settled when the state is as before.
    if back || (outcome.is_ok() && entry.reader.is_none()) {
        entry.state = done;
        return Ok(());
    }
    if started && outcome.is_err() && entry.reader.is_none() {
        entry.state = done;
        return Ok(());
    }
    entry.state = EntryState::UndoFailed;
    Err(match outcome {
        Err(error) => first_line(&error),
        Ok(()) => "the state read afterwards differs from the state before the change".into(),
    })
}

/// Takes back every change of a run still in effect, last first, and marks the run `state`. Ctrl-C
/// does not stop it.
///
/// # Errors
/// When the journal cannot be written.
pub fn revert_run(
    record: &mut Journal,
    host: &mut dyn Host,
    dir: &Path,
    state: RunState,
) -> Result<Vec<(usize, StepResult)>, String> {
    let _hold = crate::interrupt::hold();
    let mut results = Vec::new();
    for index in (0..record.entries.len()).rev() {
        let entry = &mut record.entries[index];
        // The lasting form first: it was made after the change.
        if let Some(kept) = entry.kept.as_mut()
            && matches!(kept.state, KeptState::Started | KeptState::Kept | KeptState::UndoFailed)
        {
            let what = kept.file.clone().or_else(|| kept.undo.clone()).unwrap_or_default();
            let result = match keep::take_back(kept, host) {
                Ok(()) => StepResult::Unkept(what),
                Err(error) => StepResult::Failed(format!("{what}: {error}")),
            };
            let step = entry.step;
            journal::save(record, dir)?;
            results.push((step, result));
        }
        let entry = &mut record.entries[index];
        if entry.undo.is_none()
            || !matches!(entry.state, EntryState::Started | EntryState::Applied | EntryState::UndoFailed)
        {
            continue;
        }
        let step = entry.step;
        let result = match undo_entry(entry, host, EntryState::Undone) {
            Ok(()) => StepResult::Undone,
            Err(error) => StepResult::Failed(error),
        };
        journal::save(record, dir)?;
        results.push((step, result));
    }
    record.state = state;
    journal::save(record, dir)?;
    Ok(results)
}

/// `mcready fix --undo`: the last run's changes taken back.
///
/// # Errors
/// When the lock is held or the journal cannot be read or written.
pub fn undo(host: &mut dyn Host, dir: &Path) -> Result<Option<(Journal, Results)>, String> {
    let _lock = journal::Lock::take(dir)?;
    let Some(mut record) = journal::load(dir)? else { return Ok(None) };
    let results = revert_run(&mut record, host, dir, RunState::Undone)?;
    Ok(Some((record, results)))
}

/// `mcready fix --confirm`: the pending run `run` (or whichever is pending) confirmed, then each of its
/// verified changes kept after a reboot, in files under `root` (see [`keep`]), and on Windows in the
/// persistent store. A confirmed run is
/// confirmed again: what was not kept yet is kept then.
///
/// # Errors
/// When there is no pending run, the revert is under way, or the journal cannot be written.
pub fn confirm_run(
    dir: &Path,
    run: &str,
    host: &mut dyn Host,
    root: &Path,
) -> Result<(Journal, Results), String> {
    let _lock = journal::Lock::take(dir)?;
    let mut record = journal::load(dir)?.ok_or("no `mcready fix` run to confirm")?;
    if !run.is_empty() && record.run != run {
        return Err(format!("run {run} is no longer the last one ({} is)", record.run));
    }
    match record.state {
        RunState::Pending | RunState::Applying => {
            record.state = RunState::Confirmed;
            journal::save(&record, dir)?;
        }
        RunState::Confirmed => {}
        RunState::Undone | RunState::Reverted => {
            return Err(format!("run {} was already taken back", record.run));
        }
    }
    let mut kept = keep::keep_run(&mut record, host, dir, root)?;
    // Windows: the confirmed typed changes written to the persistent store as well.
    kept.extend(native::persist_confirmed(&mut record, host, dir)?);
    Ok((record, kept))
}

/// The armed revert's loop (`mcready fix --revert-when-due RUN`, detached or under a systemd timer):
/// waits while the run applies or waits for its confirmation, and takes the run back once it is due
/// unconfirmed, or at once when the run died while applying. Returns what it did.
///
/// # Errors
/// When the journal cannot be read or written.
pub fn revert_when_due(host: &mut dyn Host, dir: &Path, run: &str) -> Result<Option<Journal>, String> {
    loop {
        let Some(record) = journal::load(dir)? else { return Ok(None) };
        if record.run != run {
            return Ok(None);
        }
        let due = match record.state {
            RunState::Confirmed | RunState::Undone | RunState::Reverted => return Ok(Some(record)),
            RunState::Applying => !crate::platform::process::alive(record.pid),
            RunState::Pending => journal::now() >= record.confirm_by,
        };
        if due && let Ok(lock) = journal::Lock::take(dir) {
            // Read again under the lock: a confirmation may have come meanwhile.
            let Some(mut record) = journal::load(dir)? else { return Ok(None) };
            if record.run == run && matches!(record.state, RunState::Applying | RunState::Pending) {
                revert_run(&mut record, host, dir, RunState::Reverted)?;
            }
            drop(lock);
            return Ok(Some(record));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod windows_tests;
