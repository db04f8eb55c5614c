//! `mcready listen`: gather the interface, listen (engine: [`crate::observe::listen`]) while streaming
//! each event through the sink, render the phones heard. Exits 0 when a phone was heard.

use std::time::Instant;

use anyhow::Result;

use super::{Outcome, envelope, gather};
use crate::cli::{Cli, ListenArgs};
use crate::net::OwnActions;
use crate::observe::listen::{self, Joining, ListenOptions};
use crate::platform::{Scope, terminal_size};
use crate::report::Document as _;
use crate::report::listen::ListenDocument;
use crate::report::live::Watch;
use crate::snapshot::observing_interface;
use crate::verdict::{Answer, exit_code};

/// # Errors
/// Host facts unreadable, no usable interface, or nothing to listen with: the caller prints the line
/// and exits 2.
pub fn run(cli: &Cli, args: &ListenArgs) -> Result<Outcome> {
    let (group, port) = (cli.global.group, cli.global.port);
    // Memberships too: read before listening joins anything.
    let scope =
        Scope { routes: false, group_route: true, memberships: true, listeners: false, firewall: false };
    let facts = gather(cli, scope)?;
    let interface = observing_interface(&facts, cli.global.interface.as_deref())?;
    let mut envelope = envelope(ListenDocument::SCHEMA);
    let format = cli.global.output_format();
    let start = Instant::now();
    let actions = OwnActions::new(start);
    // JSON and Markdown are one document at the end; text streams a line per event as it happens, or
    // draws the live table when a terminal watches.
    let name = interface.name.clone();
    let watch =
        Watch::open((format, cli.global.quiet), &interface.name, terminal_size, true, move |left, phones| {
            format!("listening on {name}: {left:>4} s left, {phones} phone(s) so far")
        });
    let join = if args.join { Joining::Explicit } else { Joining::Allowed };
    let until = crate::cli::until(args.until, args.until_all);
    let options = ListenOptions { group, port, duration: args.duration, join, until };
    let report = listen::observe(&facts, interface, options, &actions, &mut |event| watch.event(event))?;
    watch.finish(Some(&report));
    if report.interrupted {
        envelope.cut(vec!["listen"]);
    }
    let code = exit_code(Answer::Found(!report.phones.is_empty()), false, envelope.interrupted, format);
    let document = ListenDocument {
        envelope,
        interface: interface.name.clone(),
        report,
        own_actions: actions.snapshot(),
        quiet: cli.global.quiet,
        verbose: cli.global.verbose > 0,
    };
    Ok(Outcome::new(&document, cli, code))
}
