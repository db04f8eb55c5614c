//! Running the OS's own read-only tools (`netstat`, `route`, `lsof`, `pfctl`, …) for the gatherers
//! that read their text: located in the administrators' directories, run without input and in the C
//! locale, their output collected, and stopped when they outlive a deadline, so that a hung tool never
//! hangs mcready. OS-neutral: it only spawns processes.
//! Linux's firewall reader runs its listings through it too.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long a listing may take. They are local and answer in milliseconds.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(5);

/// What a finished tool printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Why a tool gave no output.
#[derive(Debug)]
pub enum ToolError {
    /// Not found in any of the directories searched.
    NotInstalled,
    /// It could not be started.
    Spawn(std::io::Error),
    /// It ran past the deadline and was killed.
    TimedOut,
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotInstalled => f.write_str("not installed"),
            Self::Spawn(error) => write!(f, "cannot run it: {error}"),
            Self::TimedOut => write!(f, "no answer within {}s", TOOL_TIMEOUT.as_secs()),
        }
    }
}

/// The first of `dirs` holding an executable file named `name`.
#[must_use]
pub fn find(name: &str, dirs: &[&str]) -> Option<PathBuf> {
    dirs.iter().map(|dir| Path::new(dir).join(name)).find(|path| path.is_file())
}

/// Runs `name` found in `dirs` with `args`, within [`TOOL_TIMEOUT`].
///
/// # Errors
/// When the tool is missing, cannot start or outlives the deadline. A tool that exits with an error
/// is not an error here: its [`ToolOutput::success`] is false and its complaint is in `stderr`.
pub fn run(name: &str, dirs: &[&str], args: &[&str]) -> Result<ToolOutput, ToolError> {
    let path = find(name, dirs).ok_or(ToolError::NotInstalled)?;
    run_with_deadline(&path, args, TOOL_TIMEOUT)
}

/// Runs a program with no input, collecting its output, and kills it if it outlives `timeout`. The
/// pipes are drained by threads so that a long listing cannot fill a pipe and stall the tool.
///
/// # Errors
/// When the program cannot start or outlives `timeout`.
pub fn run_with_deadline(path: &Path, args: &[&str], timeout: Duration) -> Result<ToolOutput, ToolError> {
    let mut child = Command::new(path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // English messages and column titles, which the parsers and refusal checks expect.
        .env("LC_ALL", "C")
        .spawn()
        .map_err(ToolError::Spawn)?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    // A tool that left a child holding the pipes is not waited for: its threads finish on their own.
    let collect = |handle: thread::JoinHandle<Vec<u8>>| {
        let wait_until = Instant::now() + Duration::from_millis(500);
        while !handle.is_finished() && Instant::now() < wait_until {
            thread::sleep(Duration::from_millis(2));
        }
        let bytes = if handle.is_finished() { handle.join().unwrap_or_default() } else { Vec::new() };
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let (stdout, stderr) = (collect(stdout), collect(stderr));
    match status {
        Some(status) => Ok(ToolOutput { success: status.success(), stdout, stderr }),
        None => Err(ToolError::TimedOut),
    }
}

/// Whether a tool's complaint is the OS refusing an unprivileged reader.
#[must_use]
pub fn denied(stderr: &str) -> bool {
    ["Operation not permitted", "Permission denied", "must be root"].iter().any(|s| stderr.contains(s))
}

// The tests run `sh` from /usr/bin or /bin: a Unix shell. Under wine a Windows process can start that
// ELF but never hears it finish, so there "sh runs" would time out and "a hung tool is stopped" would
// pass for the wrong reason.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    const BIN: &[&str] = &["/usr/bin", "/bin"];

    #[test]
    fn runs_collects_and_reports_failure() {
        let out = run("sh", BIN, &["-c", "echo out; echo err >&2; exit 3"]).expect("sh runs");
        assert_eq!((out.success, out.stdout.as_str(), out.stderr.as_str()), (false, "out\n", "err\n"));
        assert!(matches!(run("no-such-tool-mcready", BIN, &[]), Err(ToolError::NotInstalled)));
    }

    #[test]
    fn a_hung_tool_is_stopped() {
        let sh = find("sh", BIN).expect("sh");
        let started = Instant::now();
        let result = run_with_deadline(&sh, &["-c", "sleep 5"], Duration::from_millis(100));
        assert!(matches!(result, Err(ToolError::TimedOut)));
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn refusals_are_recognised() {
        assert!(denied("pfctl: /dev/pf: Permission denied"));
        assert!(!denied("pfctl: Syntax error"));
    }
}
