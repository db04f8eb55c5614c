//! `mcready explain [ID]`: what a check or requirement means and how its fix works, from the
//! `docs/checks.md` built into the binary. Reads nothing of the host, sends nothing; always exit 0 for
//! a known id, 2 for an unknown one.

use anyhow::Result;

use super::{Outcome, envelope};
use crate::cli::{Cli, ExplainArgs, UsageError};
use crate::report::Document as _;
use crate::report::explain::ExplainDocument;

/// # Errors
/// A usage error when the id is neither a check nor a requirement.
pub fn run(cli: &Cli, args: &ExplainArgs) -> Result<Outcome> {
    let Some(document) = ExplainDocument::new(envelope(ExplainDocument::SCHEMA), args.id.as_deref()) else {
        let id = args.id.as_deref().unwrap_or_default();
        return Err(UsageError(format!(
            "no check or requirement is called `{id}`: `mcready explain` lists every id"
        ))
        .into());
    };
    Ok(Outcome::new(&document, cli, 0))
}
