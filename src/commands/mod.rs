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

/// Resolves `--interface`, when given, to the name of an interface of this host: `-i` takes the name
/// (the alias on Windows), the adapter GUID or the index, and everything after this works with the name.
fn require_interface(facts: &HostFacts, wanted: Option<&str>) -> Result<Option<String>> {
    let Some(wanted) = wanted else { return Ok(None) };
    if let Some(interface) = facts.interface(wanted) {
        return Ok(Some(interface.name.clone()));
    }
    let known: Vec<String> = facts.interfaces.iter().map(|i| format!("{} ({})", i.name, i.index)).collect();
    bail!("no interface named `{wanted}` (this host has: {})", known.join(", "))
}
