//! The journal on disk and the lock: one JSON file under the state directory, replaced atomically (a
//! new file, synced, renamed over the old one), written before every change; and the lock file that
//! refuses a second concurrent run.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::plan::journal::Journal;

/// Where the journal and lock live unless `--state-dir` or `MCREADY_STATE_DIR` says otherwise:
/// `/var/lib/mcready`, or `%ProgramData%\mcready` on Windows.
#[must_use]
pub fn state_dir() -> PathBuf {
    crate::platform::process::state_dir()
}

/// Seconds since 1970.
#[must_use]
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[must_use]
pub fn path(dir: &Path) -> PathBuf {
    dir.join("journal.json")
}

/// The journal in `dir`; `None` when there is none.
///
/// # Errors
/// When it exists but cannot be read.
pub fn load(dir: &Path) -> Result<Option<Journal>, String> {
    let path = path(dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{} cannot be read: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes the journal: a new file beside it, synced, renamed over it, the directory synced.
///
/// # Errors
/// When it cannot be written: no change may be made then.
pub fn save(journal: &Journal, dir: &Path) -> Result<(), String> {
    let path = path(dir);
    let temporary = dir.join(format!(".journal.json.{}", std::process::id()));
    let text = serde_json::to_string_pretty(journal).map_err(|e| e.to_string())?;
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)?;
        if let Ok(directory) = std::fs::File::open(dir) {
            let _ = directory.sync_all();
        }
        Ok::<(), std::io::Error>(())
    })();
    written.map_err(|e| format!("cannot write the journal {}: {e}", path.display()))
}

/// Keeps a finished run's journal beside the next one's, as `journal-RUN.json`.
pub fn archive(journal: &Journal, dir: &Path) {
    let _ = std::fs::rename(path(dir), dir.join(format!("journal-{}.json", journal.run)));
}

/// The lock of `mcready fix` runs in a directory: a file created exclusively, holding the owner's pid;
/// removed when dropped. A lock whose owner is gone is taken over.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Takes the lock.
    ///
    /// # Errors
    /// When another live run holds it (its pid is said), or the directory cannot be written.
    pub fn take(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join("lock");
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let _ = write!(file, "{}", std::process::id());
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let owner =
                        std::fs::read_to_string(&path).ok().and_then(|p| p.trim().parse::<u32>().ok());
                    match owner {
                        Some(pid) if crate::platform::process::alive(pid) => {
                            return Err(format!(
                                "another `mcready fix` (pid {pid}) is running: wait for it, or see `mcready fix --status`"
                            ));
                        }
                        // Its owner died: the lock is stale.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(format!("cannot create the lock {}: {e}", path.display())),
            }
        }
        Err(format!("cannot take the lock {}", path.display()))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
