//! `mcready joins`: gather memberships, render them. Exits 0 when the group is joined somewhere.

use anyhow::Result;

use super::{Outcome, envelope, gather, require_interface};
use crate::cli::{Cli, JoinsArgs};
use crate::platform::Scope;
use crate::report::Document as _;
use crate::report::joins::JoinsDocument;
use crate::verdict::{Answer, exit_code};

/// # Errors
/// When the host facts cannot be gathered or `--interface` names no interface of this host.
pub fn run(cli: &Cli, args: &JoinsArgs) -> Result<Outcome> {
    // `ip maddr` speed: no routes, no firewall; the group's route says where an INADDR_ANY join lands.
    let scope =
        Scope { routes: false, group_route: true, memberships: true, listeners: true, firewall: false };
    let facts = gather(cli, scope)?;
    // Without memberships there is no answer to give: saying "not joined" would be a guess.
    if let Some(reason) = &facts.memberships_unreadable {
        anyhow::bail!("cannot read the group memberships: {reason}");
    }
    // `-i` may name the adapter by alias, index or GUID: the document keeps the one it names.
    let wanted = require_interface(&facts, cli.global.interface.as_deref())?;
    let mut document = JoinsDocument::new(
        envelope(JoinsDocument::SCHEMA),
        cli.global.group,
        facts,
        wanted.as_deref(),
        args.all,
    );
    document.quiet = cli.global.quiet;
    document.verbose = cli.global.verbose > 0;
    let code = exit_code(Answer::Found(document.joined), false, false, cli.global.output_format());
    Ok(Outcome::new(&document, cli, code))
}
