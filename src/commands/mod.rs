//! One module per command, each wiring gather → evaluate → render: it asks the platform for the facts
//! it needs, turns them into its document, and says which exit code the document means.

pub mod check;
pub mod interfaces;
pub mod joins;
pub mod listen;
pub mod probe;
pub mod respond;

use anyhow::{Result, bail};

use crate::cli::{Cli, Command};
use crate::facts::HostFacts;
use crate::report::Document;

/// What a command produced: its rendered output and the exit code it maps to.
#[derive(Debug)]
pub struct Outcome {
    pub output: String,
    pub exit_code: u8,
}

impl Outcome {
    fn new(document: &impl Document, cli: &Cli, exit_code: u8) -> Self {
        Self { output: document.render(cli.global.output_format()), exit_code }
    }
}

/// Runs the command the command line names.
///
/// # Errors
/// When the command could not run: host facts unreadable, an unknown interface, an OS error. The
/// caller prints the error and exits 2.
pub fn run(cli: &Cli) -> Result<Outcome> {
    match &cli.command {
        None => check::run(cli, &cli.check),
        Some(Command::Check(args)) => check::run(cli, args),
        Some(Command::Interfaces(args)) => interfaces::run(cli, args),
        Some(Command::Joins(args)) => joins::run(cli, args),
        Some(Command::Probe(args)) => probe::run(cli, args),
        Some(Command::Listen(args)) => listen::run(cli, args),
        Some(Command::Respond(args)) => respond::run(cli, args),
    }
}

/// Checks that `--interface`, when given, names an interface of this host.
fn require_interface(facts: &HostFacts, wanted: Option<&str>) -> Result<()> {
    if let Some(name) = wanted
        && facts.interface(name).is_none()
    {
        let known: Vec<&str> = facts.interfaces.iter().map(|i| i.name.as_str()).collect();
        bail!("no interface named `{name}` (this host has: {})", known.join(", "));
    }
    Ok(())
}
