//! Keeping confirmed changes after a reboot: each verified change's `keep` made under a root directory
//! (`/` on a live host; a temporary tree in the tests, `MCREADY_FIX_ROOT`), written down in the journal
//! before the file is written or the command run, checked by the manager's own tool (a refused edit is
//! taken back at once), and taken back by `--undo` as `plan::keep` decides.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{Host, first_line, journal};
use crate::fix::{Edit, Keep};
use crate::plan::StepResult;
use crate::plan::journal::{EntryState, Journal, Kept, KeptState};
use crate::plan::keep::{added_lines, edited, taken_back};

/// Keeps every change of `record` that verified and is still applied, and has not been kept yet.
/// Returns each kept step's result.
///
/// # Errors
/// When the journal cannot be written.
pub fn keep_run(
    record: &mut Journal,
    host: &mut dyn Host,
    dir: &Path,
    root: &Path,
) -> Result<Vec<(usize, StepResult)>, String> {
    let _hold = crate::interrupt::hold();
    let root = if root.as_os_str().is_empty() { Path::new("/") } else { root };
    let mut results = Vec::new();
    for index in 0..record.entries.len() {
        let entry = &record.entries[index];
        let Some(keep) = entry.keep.clone() else { continue };
        if !entry.verified || entry.state != EntryState::Applied || entry.kept.is_some() {
            continue;
        }
        let step = entry.step;
        let result = match keep {
            Keep::Command { command, undo, .. } => {
                keep_by_command(record, index, host, dir, root, (&command, &undo))?
            }
            Keep::File { file, edit, check, reload, .. } => {
                let plan =
                    FileKeep { file: &file, edit: &edit, check: check.as_deref(), reload: reload.as_deref() };
                keep_in_file(record, index, host, dir, root, &plan)?
            }
        };
        results.push((step, result));
    }
    Ok(results)
}

fn live(root: &Path) -> bool {
    root == Path::new("/")
}

fn keep_by_command(
    record: &mut Journal,
    index: usize,
    host: &mut dyn Host,
    dir: &Path,
    root: &Path,
    (command, undo): (&str, &str),
) -> Result<StepResult, String> {
    if !live(root) {
        return Ok(StepResult::NotKept(format!(
            "`{command}` acts on the running manager, not on files under {}: keep it by hand",
            root.display()
        )));
    }
    let mut kept = Kept { command: Some(command.to_owned()), undo: Some(undo.to_owned()), ..Kept::new() };
    record.entries[index].kept = Some(kept.clone());
    journal::save(record, dir)?;
    let result = match host.run(command) {
        Ok(_) => {
            kept.state = KeptState::Kept;
            StepResult::Kept(format!("`{command}`"))
        }
        Err(error) => {
            kept.state = KeptState::Failed;
            StepResult::NotKept(format!("`{command}` failed: {}", first_line(&error)))
        }
    };
    record.entries[index].kept = Some(kept);
    journal::save(record, dir)?;
    Ok(result)
}

struct FileKeep<'a> {
    file: &'a str,
    edit: &'a Edit,
    check: Option<&'a str>,
    reload: Option<&'a str>,
}

/// `file` (a path on the host) under `root`.
#[must_use]
pub fn rooted(root: &Path, file: &str) -> PathBuf {
    root.join(file.trim_start_matches('/'))
}

fn read(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| format!("{} is not text: mcready does not edit it", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn keep_in_file(
    record: &mut Journal,
    index: usize,
    host: &mut dyn Host,
    dir: &Path,
    root: &Path,
    keep: &FileKeep,
) -> Result<StepResult, String> {
    let path = rooted(root, keep.file);
    let shown = path.display().to_string();
    let prior = match read(&path) {
        Ok(prior) => prior,
        Err(why) => return Ok(StepResult::NotKept(why)),
    };
    let written = match (keep.edit, &prior) {
        (Edit::Filter { command }, Some(_)) => {
            match host.run(&format!("{command} < {}", crate::quote::posix(&shown))) {
                Ok(text) => text,
                Err(error) => return Ok(StepResult::NotKept(format!("`{command}`: {}", first_line(&error)))),
            }
        }
        (Edit::Filter { .. }, None) => return Ok(StepResult::NotKept(format!("{shown} does not exist"))),
        (edit, prior) => match edited(edit, prior.as_deref(), &shown) {
            Ok(text) => text.unwrap_or_default(),
            Err(why) => return Ok(StepResult::NotKept(why)),
        },
    };
    if prior.as_deref() == Some(written.as_str()) {
        return Ok(StepResult::Kept(format!("{shown} holds it already")));
    }
    let created_dirs = missing_dirs(&path);
    // Only a file of mcready's own gets directories made for it: a manager's file whose directory is
    // missing (no /etc/iptables: iptables-persistent is not installed) would be read by nothing at boot.
    if let (Some(dir), false) = (created_dirs.first(), matches!(keep.edit, Edit::Create { .. })) {
        return Ok(StepResult::NotKept(format!(
            "{} does not exist: the manager that would read {shown} at boot does not seem installed; keep it by hand",
            dir.display()
        )));
    }
    let resolve = |command: &str| {
        command
            .replace("{file}", &crate::quote::posix(&shown))
            .replace("{root}", &crate::quote::posix(&root.display().to_string()))
    };
    // A reload that names the root acts on the files alone (netplan's rendering); one that does not
    // acts on the running manager, which only the live host has.
    let reload = keep.reload.filter(|r| live(root) || r.contains("{root}")).map(resolve);
    let check = keep.check.map(resolve);
    let mut kept = Kept {
        file: Some(shown.clone()),
        added: added_lines(prior.as_deref(), &written),
        prior: prior.clone(),
        written: Some(written.clone()),
        created_dirs: created_dirs.iter().map(|d| d.display().to_string()).collect(),
        reload: reload.clone(),
        ..Kept::new()
    };
    record.entries[index].kept = Some(kept.clone());
    journal::save(record, dir)?;
    let private = matches!(keep.edit, Edit::Create { private: true, .. });
    let outcome = write_file(&path, &written, private).and_then(|()| match &check {
        Some(command) => {
            host.run(command).map(|_| ()).map_err(|e| format!("`{command}` refused it: {}", first_line(&e)))
        }
        None => Ok(()),
    });
    let result = match outcome {
        Ok(()) => {
            kept.state = KeptState::Kept;
            if let Some(reload) = reload.filter(|r| Some(r) != check.as_ref()) {
                let _ = host.run(&reload);
            }
            StepResult::Kept(shown)
        }
        Err(why) => {
            // Refused by the manager's own tool: the file as it was, and rendered again as it was.
            let back = restore(&path, prior.as_deref(), &created_dirs);
            if let Some(reload) = &reload {
                let _ = host.run(reload);
            }
            kept.state = if back.is_ok() { KeptState::Failed } else { KeptState::UndoFailed };
            StepResult::NotKept(match back {
                Ok(()) => format!("{why}; {shown} is as it was"),
                Err(error) => format!("{why}; and {shown} could not be put back: {error}"),
            })
        }
    };
    record.entries[index].kept = Some(kept);
    journal::save(record, dir)?;
    Ok(result)
}

/// The directories above `path` that do not exist yet, outermost first.
fn missing_dirs(path: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = path
        .ancestors()
        .skip(1)
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

/// Writes `text` to `path`: a new file beside it, synced, renamed over it, so that a crash leaves the
/// old file or the new one. A file replaced keeps its permissions; a new one is 0644, or 0600 when
/// `private`.
fn write_file(path: &Path, text: &str, private: bool) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let temporary = path.with_file_name(format!(
        ".{}.mcready-{}",
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    let permissions = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut file = std::fs::File::create(&temporary).map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)?;
    match permissions {
        Some(permissions) => std::fs::set_permissions(&temporary, permissions).map_err(fail)?,
        None => crate::platform::process::set_mode(&temporary, if private { 0o600 } else { 0o644 })
            .map_err(fail)?,
    }
    file.sync_all().map_err(fail)?;
    std::fs::rename(&temporary, path).map_err(fail)
}

/// Puts `path` back: `prior`'s bytes, or no file (and no directory mcready created for it).
fn restore(path: &Path, prior: Option<&str>, created_dirs: &[PathBuf]) -> Result<(), String> {
    if let Some(text) = prior {
        return write_file(path, text, false);
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot remove {}: {e}", path.display())),
    }
    for dir in created_dirs.iter().rev() {
        let _ = std::fs::remove_dir(dir);
    }
    Ok(())
}

/// Takes a change's lasting form back (`--undo`): a file as `plan::keep::taken_back` decides, a
/// command by its undo.
///
/// # Errors
/// When the file cannot be read or written, or the undo command fails.
pub fn take_back(kept: &mut Kept, host: &mut dyn Host) -> Result<(), String> {
    if !matches!(kept.state, KeptState::Started | KeptState::Kept | KeptState::UndoFailed) {
        return Ok(());
    }
    let outcome = match (&kept.file, &kept.undo) {
        (Some(file), _) => {
            let path = PathBuf::from(file);
            let written = kept.written.clone().unwrap_or_default();
            read(&path).and_then(|now| {
                let back = taken_back(kept.prior.as_deref(), &written, &kept.added, now.as_deref());
                match (now, back) {
                    (None, _) => Ok(()),
                    (Some(_), Some(text)) => write_file(&path, &text, false),
                    (Some(_), None) => {
                        let dirs: Vec<PathBuf> = kept.created_dirs.iter().map(PathBuf::from).collect();
                        restore(&path, None, &dirs)
                    }
                }
            })
        }
        (None, Some(undo)) => host.run(undo).map(|_| ()).map_err(|e| first_line(&e)),
        (None, None) => Ok(()),
    };
    if outcome.is_ok()
        && let Some(reload) = &kept.reload
    {
        let _ = host.run(reload);
    }
    kept.state = if outcome.is_ok() { KeptState::Undone } else { KeptState::UndoFailed };
    outcome
}
