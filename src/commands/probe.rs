//! `mcready probe`: being built.

use anyhow::{Result, bail};

use super::Outcome;
use crate::cli::{Cli, ProbeArgs};

/// # Errors
/// Always, until the command lands.
pub fn run(_cli: &Cli, _args: &ProbeArgs) -> Result<Outcome> {
    bail!("`mcready probe` is not available in this build yet")
}
