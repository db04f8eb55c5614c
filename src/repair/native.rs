//! A Windows step's typed operation: its state read through the OS's API before and after it, the
//! change made through that API in the active store, its undo derived from the state read before it
//! (`plan::native`); and once a run is confirmed, the persistent store written by the step's own
//! PowerShell command (IP Helper's calls reach the active store only), which an undo then takes back
//! too.

use std::path::Path;

use super::{Host, Results, first_line, journal, ran_as, started};
use crate::fix::Native;
use crate::plan::journal::{Entry, EntryState, Journal, RunState};
use crate::plan::{PlannedStep, StepResult, native};

/// As `make` for the shell: in place already (`Err` with the result), or journalled, run through the
/// API and read again.
pub(super) fn make(
    planned: &PlannedStep,
    op: &Native,
    host: &mut dyn Host,
    dir: &Path,
    record: &mut Journal,
) -> Result<Result<usize, StepResult>, String> {
    let step = &planned.step;
    let before = match host.read(op) {
        Ok(before) => before,
        // Without the state before it, the change could not be undone exactly: it is not made.
        Err(error) => {
            return Ok(Err(StepResult::Failed(format!("its state cannot be read: {}", first_line(&error)))));
        }
    };
    if native::in_place(op, &before) {
        return Ok(Err(StepResult::AlreadyInPlace));
    }
    let native_undo = native::undo(op, &before);
    let undo = native::persistent_undo(op, step.undo.as_deref(), &before).or_else(|| step.undo.clone());
    record.entries.push(Entry {
        undo: native_undo.as_ref().and(undo),
        reader: Some(reader_words(op).to_owned()),
        old: Some(before.to_string()),
        native: Some(op.clone()),
        native_undo,
        ..started(planned)
    });
    journal::save(record, dir)?;
    let ran = host.native(op);
    let new = host.read(op).map_or_else(|e| e, |r| r.to_string());
    ran_as(record, Some(new), ran, dir)
}

/// What reads the state a typed operation changes, for the journal's reader (the old and new values
/// are its readings): the entry's undo is then settled only when that state is back.
fn reader_words(op: &Native) -> &'static str {
    match op {
        Native::AddRoute { .. } | Native::DeleteRoute { .. } => {
            "GetIpForwardTable2: the route on that interface"
        }
        Native::SetInterfaceMetric { .. } => "GetIpInterfaceEntry: the interface's IPv4 metric",
        Native::AddFirewallRule(_) | Native::RemoveFirewallRule { .. } => {
            "INetFwRules::Item: the rule of that name"
        }
        Native::RestartService { .. } => "nothing: a restart has no state to give back",
    }
}

/// Takes one typed change back: the active store through the API, the persistent store through the
/// undo command when it was written; and whether the state read afterwards is the one read before.
pub(super) fn take_back(entry: &Entry, op: &Native, host: &mut dyn Host) -> (Result<(), String>, bool) {
    let mut outcome = match &entry.native_undo {
        Some(undo) => host.native(undo),
        None => Err("it has no undo".into()),
    };
    if entry.persisted
        && let Some(undo) = &entry.undo
        && let Err(error) = host.run(undo)
    {
        outcome = Err(format!("the persistent store: {}", first_line(&error)));
    }
    let back = entry.old.as_ref().is_some_and(|old| host.read(op).is_ok_and(|now| now.to_string() == *old));
    (outcome, back)
}

/// Once a run is confirmed (under the caller's lock): each of its typed changes that has a persistent
/// form written there by its step's PowerShell command, so that it survives a reboot. A failure is said
/// per step; the active store keeps the change.
///
/// # Errors
/// When the journal cannot be written.
pub fn persist_confirmed(record: &mut Journal, host: &mut dyn Host, dir: &Path) -> Result<Results, String> {
    let mut results = Vec::new();
    if record.state != RunState::Confirmed {
        return Ok(results);
    }
    for index in 0..record.entries.len() {
        let entry = &record.entries[index];
        // Only a change its checks proved, as on Linux (`keep`): a confirmed run keeps no guess.
        let due = entry.state == EntryState::Applied
            && entry.verified
            && !entry.persisted
            && entry.native.as_ref().is_some_and(native::persists_on_confirm);
        if !due {
            continue;
        }
        let step = entry.step;
        match host.run(&entry.command.clone()) {
            Ok(_) => {
                record.entries[index].persisted = true;
                journal::save(record, dir)?;
            }
            Err(error) => results.push((
                step,
                StepResult::Failed(format!(
                    "kept in the active store only (lost at reboot): the persistent store: {}",
                    first_line(&error)
                )),
            )),
        }
    }
    Ok(results)
}
