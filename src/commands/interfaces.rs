//! `mcready interfaces`: gather adapters and routes, render them. Always exits 0.

use anyhow::Result;

use super::{Outcome, envelope, gather, require_interface};
use crate::cli::{Cli, InterfacesArgs};
use crate::platform::Scope;
use crate::report::Document as _;
use crate::report::interfaces::InterfacesDocument;
use crate::verdict::{Answer, exit_code};

/// # Errors
/// When the host facts cannot be gathered or `--interface` names no interface of this host.
pub fn run(cli: &Cli, _args: &InterfacesArgs) -> Result<Outcome> {
    let scope =
        Scope { routes: true, group_route: true, memberships: false, listeners: false, firewall: false };
    let facts = gather(cli, scope)?;
    // `-i` may name the adapter by alias, index or GUID: the document keeps the one it names.
    let wanted = require_interface(&facts, cli.global.interface.as_deref())?;
    let mut document = InterfacesDocument::new(
        envelope(InterfacesDocument::SCHEMA),
        cli.global.group,
        facts,
        wanted.as_deref(),
        cli.global.verbose > 0,
    );
    document.quiet = cli.global.quiet;
    Ok(Outcome::new(
        &document,
        cli,
        exit_code(Answer::Informational, false, false, cli.global.output_format()),
    ))
}
