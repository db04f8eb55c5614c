//! The journal of a `mcready fix` run, as data: every change written down before it is made — what,
//! the old value, the new value, how to undo it — so that `mcready fix --undo` (or the armed revert)
//! restores the previous state exactly, even after a run killed midway. `repair::journal` writes and
//! reads it; the fix document shows it.

use serde::{Deserialize, Serialize};

use crate::fix::{Keep, Manager, Native};

pub const SCHEMA: &str = "mcready.fix-journal/v1";

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    /// Steps are being applied (a run killed now leaves this state: `--undo` completes it).
    Applying,
    /// Applied, waiting for a confirmation; reverted by itself at `confirm_by`.
    Pending,
    Confirmed,
    /// Taken back by `--undo`.
    Undone,
    /// Taken back by itself: not confirmed in time, or the run died.
    Reverted,
}

/// The state of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryState {
    /// Written before the command ran: it may or may not have taken effect.
    Started,
    Applied,
    /// Its checks did not pass: undone during the run.
    RolledBack,
    /// Undone by `--undo` or the revert.
    Undone,
    /// Its undo failed, or did not give back the old value: said, for a person to look at.
    UndoFailed,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The plan's step number.
    pub step: usize,
    pub checks: Vec<String>,
    pub manager: Manager,
    pub changes: String,
    pub command: String,
    /// The command that takes it back.
    pub undo: Option<String>,
    /// The command that reads the state it changes, and what it printed before and after.
    pub reader: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub state: EntryState,
    /// Windows: the typed operation run through the OS's API (then `reader`, `old` and `new` are its
    /// state as read through that API, and `command` and `undo` are the persistent store's PowerShell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native: Option<Native>,
    /// The typed operation that takes it back in the active store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_undo: Option<Native>,
    /// Whether `command` wrote the change to the persistent store once the run was confirmed: an undo
    /// then runs `undo` as well.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub persisted: bool,
    /// Its checks passed once it ran: only such a change is kept after a reboot on confirmation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verified: bool,
    /// How it is kept after a reboot once confirmed (the step's `keep`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<Keep>,
    /// What keeping it wrote, written down before it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<Kept>,
}

/// The state of a change's lasting form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeptState {
    /// Written down before the file was written or the command run: it may or may not be.
    Started,
    Kept,
    /// The manager's check refused it (the file was given its prior bytes back), or the command failed.
    Failed,
    Undone,
    UndoFailed,
}

/// A change's lasting form, as written: the file with its bytes before and after (`prior` `None`: mcready
/// created it), or the manager's command and its undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// The file, as written (under the root the run kept it in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// The lines the edit added: what an undo removes when the file changed since.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    /// Directories created for the file, outermost first (removed again by the undo when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_dirs: Vec<String>,
    /// The manager's command that kept it, and the one that takes it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<String>,
    /// Loads the file into the running manager again after the undo (live host only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reload: Option<String>,
    pub state: KeptState,
}

/// How the automatic revert of an unconfirmed run was armed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revert {
    /// `systemd-run` (a transient timer) or `helper` (a detached `mcready fix --revert-when-due`).
    pub by: String,
    /// The systemd unit, or the helper's pid.
    pub unit: Option<String>,
    pub pid: Option<u32>,
}

/// A run's journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub schema: String,
    /// `<seconds since 1970>-<pid>`: names the run (the revert acts on its own run only).
    pub run: String,
    pub pid: u32,
    pub state: RunState,
    /// Seconds since 1970 by which the run must be confirmed.
    pub confirm_by: u64,
    pub revert: Option<Revert>,
    pub entries: Vec<Entry>,
}

impl Kept {
    /// Nothing written yet: the state written down before the write.
    #[must_use]
    pub fn new() -> Self {
        Self {
            file: None,
            prior: None,
            written: None,
            added: Vec::new(),
            created_dirs: Vec::new(),
            command: None,
            undo: None,
            reload: None,
            state: KeptState::Started,
        }
    }
}

impl Default for Kept {
    fn default() -> Self {
        Self::new()
    }
}

impl Journal {
    /// A run starting now (`now`: seconds since 1970), to be confirmed by `confirm_by`.
    #[must_use]
    pub fn new(now: u64, pid: u32, confirm_by: u64) -> Self {
        Self {
            schema: SCHEMA.to_owned(),
            run: format!("{now}-{pid}"),
            pid,
            state: RunState::Applying,
            confirm_by,
            revert: None,
            entries: Vec::new(),
        }
    }

    /// Whether a change of this run is still in effect (or may be) and can be taken back (a restart
    /// has nothing to take back).
    #[must_use]
    pub fn holds_changes(&self) -> bool {
        self.entries.iter().any(|e| {
            (e.undo.is_some() && matches!(e.state, EntryState::Started | EntryState::Applied))
                || e.kept.as_ref().is_some_and(|k| matches!(k.state, KeptState::Started | KeptState::Kept))
        })
    }
}
