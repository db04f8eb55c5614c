//! `mcready respond`: being built.

use anyhow::{Result, bail};

use super::Outcome;
use crate::cli::{Cli, RespondArgs};

/// # Errors
/// Always, until the command lands.
pub fn run(_cli: &Cli, _args: &RespondArgs) -> Result<Outcome> {
    bail!("`mcready respond` is not available in this build yet")
}
