//! `mcready completions SHELL`: a completion script generated from the same clap definitions as
//! `--help`, so the two can never disagree.

use clap::CommandFactory as _;

use super::Outcome;
use crate::cli::Cli;

/// The script for `shell` (always exit 0).
#[must_use]
pub fn run(shell: clap_complete::Shell) -> Outcome {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "mcready", &mut script);
    Outcome { output: String::from_utf8_lossy(&script).into_owned(), exit_code: 0 }
}
