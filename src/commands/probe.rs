//! `mcready probe`: gather the interface, send the probe (engine: [`crate::observe::probe`]), render
//! every answer. Exits 0 when a server answered.

use anyhow::{Context as _, Result};

use super::{Outcome, envelope, gather};
use crate::cli::{Cli, ProbeArgs};
use crate::net::{LocalInterface, OwnActions};
use crate::observe::probe;
use crate::platform::{self, Scope};
use crate::report::Document as _;
use crate::report::probe::ProbeDocument;
use crate::snapshot::observing_interface;
use crate::verdict::{Answer, exit_code};

/// # Errors
/// When the facts cannot be gathered, the interface is unknown or has no IPv4 address, or the OS
/// refuses the socket or the send.
pub fn run(cli: &Cli, args: &ProbeArgs) -> Result<Outcome> {
    // Memberships are read before the probe joins anything: its own join must not pass for the PBX's.
    let scope =
        Scope { routes: false, group_route: true, memberships: true, listeners: false, firewall: false };
    let facts = gather(cli, scope)?;
    let interface = observing_interface(&facts, cli.global.interface.as_deref())?;
    let local = LocalInterface::from_facts(interface)
        .with_context(|| format!("{} has no IPv4 address to send the probe from", interface.name))?;
    let mut envelope = envelope(ProbeDocument::SCHEMA);
    let actions = OwnActions::new(std::time::Instant::now());
    let options = probe::ProbeOptions {
        group: cli.global.group,
        port: cli.global.port,
        ttl: args.ttl,
        timeout: args.timeout,
        shape: args.shape.into(),
    };
    let mac = args.mac.unwrap_or_else(|| probe::probe_mac(&platform::host_info().hostname, &interface.name));
    let mut report = probe::observe(&local, &facts.addresses(), mac, &options, &actions, &|_| {})?;
    let joined_before = facts
        .members_of(std::net::IpAddr::V4(cli.global.group))
        .iter()
        .any(|m| m.interface == interface.name);
    probe::note_answers_through_own_join(&mut report, joined_before, cli.global.group, &interface.name);
    if report.interrupted {
        envelope.cut(vec!["probe"]);
    }
    let code = exit_code(
        Answer::Found(report.answers.iter().any(crate::observed::Answer::accepted)),
        false,
        envelope.interrupted,
        cli.global.output_format(),
    );
    let document = ProbeDocument {
        envelope,
        interface: interface.name.clone(),
        group: cli.global.group,
        port: cli.global.port,
        report,
        own_actions: actions.snapshot(),
        quiet: cli.global.quiet,
        verbose: cli.global.verbose > 0,
    };
    Ok(Outcome::new(&document, cli, code))
}
