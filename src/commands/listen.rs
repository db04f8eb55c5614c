//! `mcready listen`: being built.

use anyhow::{Result, bail};

use super::Outcome;
use crate::cli::{Cli, ListenArgs};

/// # Errors
/// Always, until the command lands.
pub fn run(_cli: &Cli, _args: &ListenArgs) -> Result<Outcome> {
    bail!("`mcready listen` is not available in this build yet")
}
