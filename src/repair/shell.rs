//! The real host: commands through `sh -c` (PowerShell on Windows) in a process group of their own (the terminal's Ctrl-C
//! reaches mcready, which decides; never a half-run command), `sudo` in a printed command run as it is
//! (mcready applies as root), the check run again as `mcready check --json` with the same options, and
//! the automatic revert armed outside this process; Windows' typed operations through the OS's API.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fix::{Native, Reading};
use crate::plan::journal::{Journal, Revert};
use crate::plan::{CheckFix, ReportRead, read_report};
use crate::platform::process::{own_group, shell, spawn_detached, systemd_runs_the_host};

/// Runs commands on this host, and the check.
#[derive(Debug, Clone)]
pub struct ShellHost {
    /// This program.
    pub exe: PathBuf,
    /// `check --json` and the options the check runs with.
    pub check_args: Vec<String>,
}

impl ShellHost {
    /// The check's whole report (checks and what the guard protects).
    ///
    /// # Errors
    /// When the check could not run.
    pub fn report(&self) -> Result<ReportRead, String> {
        let out = Command::new(&self.exe)
            .args(&self.check_args)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.exe.display()))?;
        // 0 and 1 are a verdict; 2 is a check that could not run, and it said why on stderr.
        if out.status.code() == Some(2) || out.stdout.is_empty() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(stderr.trim().trim_start_matches("mcready: ").to_owned());
        }
        read_report(&String::from_utf8_lossy(&out.stdout))
    }
}

impl super::Host for ShellHost {
    fn run(&mut self, command: &str) -> Result<String, String> {
        let out = own_group(&mut shell(command))
            .env("LC_ALL", "C")
            .output()
            .map_err(|e| format!("cannot run sh: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            Err(if stderr.is_empty() { format!("exited with {}", out.status) } else { stderr })
        }
    }

    fn check(&mut self) -> Result<Vec<CheckFix>, String> {
        self.report().map(|r| r.checks)
    }

    fn native(&mut self, op: &Native) -> Result<(), String> {
        crate::platform::native::run(op)
    }

    fn read(&mut self, op: &Native) -> Result<Reading, String> {
        crate::platform::native::read(op)
    }
}

/// Arms the revert of `journal`'s run: a transient systemd timer when systemd runs the host (it
/// survives this process, its session and its cgroup), else a detached helper process. Both run
/// `mcready fix --revert-when-due RUN`, which takes the run back unless it was confirmed in time.
///
/// # Errors
/// When neither could be started: then no change is made.
pub fn arm(exe: &Path, dir: &Path, journal: &Journal) -> Result<Revert, String> {
    let helper_args = |program: &Path| {
        vec![
            program.display().to_string(),
            "fix".into(),
            "--revert-when-due".into(),
            journal.run.clone(),
            "--state-dir".into(),
            dir.display().to_string(),
        ]
    };
    if systemd_runs_the_host() {
        let unit = format!("mcready-revert-{}", journal.run);
        let delay = journal.confirm_by.saturating_sub(super::journal::now()).max(1);
        let out =
            Command::new("systemd-run").args(systemd_run_args(&unit, delay)).args(helper_args(exe)).output();
        if let Ok(out) = out
            && out.status.success()
        {
            return Ok(Revert { by: "systemd-run".into(), unit: Some(unit), pid: None });
        }
    }
    let args = helper_args(exe);
    let pid = spawn_detached(Command::new(&args[0]).args(&args[1..]))
        .map_err(|e| format!("cannot start the revert helper: {e}"))?;
    Ok(Revert { by: "helper".into(), unit: None, pid: Some(pid) })
}

/// `systemd-run`'s options for the transient timer: a unit of its own, fired `delay` seconds from now
/// (the helper then waits for the run to end, and reverts only what is still unconfirmed).
#[must_use]
pub fn systemd_run_args(unit: &str, delay: u64) -> Vec<String> {
    vec![
        format!("--unit={unit}"),
        format!("--on-active={delay}s"),
        "--timer-property=AccuracySec=1s".into(),
        "--description=mcready fix: take back an unconfirmed run".into(),
        "--collect".into(),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_transient_timer_fires_once_in_a_unit_of_its_own() {
        let args = super::systemd_run_args("mcready-revert-1-2", 120);
        assert_eq!(
            args[..3],
            ["--unit=mcready-revert-1-2", "--on-active=120s", "--timer-property=AccuracySec=1s"]
        );
        assert!(args.contains(&"--collect".to_owned()));
    }
}
