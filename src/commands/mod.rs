//! One module per command, each only wiring: options → gather → observe → evaluate → render → exit
//! code. Engines live in [`crate::observe`], rules in [`crate::checks`], documents and renderers in
//! [`crate::report`]; no command imports another.

pub mod check;
pub mod completions;
pub mod explain;
pub mod fix;
pub mod interfaces;
pub mod joins;
pub mod listen;
pub mod manpage;
pub mod probe;
pub mod replay;
pub mod respond;

use anyhow::Result;

use crate::cli::{Cli, Command, UsageError};
use crate::platform::{self, GatherOptions, Scope};
use crate::report::{Document, Envelope};

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
/// When the command could not run: bad options, host facts unreadable, an unknown interface, an OS
/// error. The caller prints the error and exits 2.
pub fn run(cli: &Cli) -> Result<Outcome> {
    let takes_check_options = matches!(cli.command, None | Some(Command::Check(_) | Command::Fix(_)));
    if let Some(refusal) = refused_format(cli) {
        return Err(UsageError(refusal).into());
    }
    if cli.check.any() && !takes_check_options {
        return Err(UsageError(
            "`--phone`, `--peer`, `--listen`, `--timeout`, `--as`, `--mac`, `--no-probe`, `--strict`, `--bundle` and \
             `--anonymise` are `check` options (`probe` takes `--timeout`, `--as` and `--mac` after its name)"
                .into(),
        )
        .into());
    }
    match &cli.command {
        None => check::run(cli, &cli.check),
        Some(Command::Check(args)) => {
            let args = cli.check.merged(args);
            if let Some(contradiction) = args.contradiction() {
                return Err(UsageError(contradiction).into());
            }
            check::run(cli, &args)
        }
        Some(Command::Interfaces(args)) => interfaces::run(cli, args),
        Some(Command::Joins(args)) => joins::run(cli, args),
        Some(Command::Probe(args)) => probe::run(cli, args),
        Some(Command::Listen(args)) => listen::run(cli, args),
        Some(Command::Respond(args)) => respond::run(cli, args),
        Some(Command::Fix(args)) => fix::run(cli, args),
        Some(Command::Explain(args)) => explain::run(cli, args),
        Some(Command::Completions(args)) => Ok(completions::run(args.shell)),
        Some(Command::Manpage) => manpage::run(),
        Some(Command::Replay(args)) => replay::run(cli, args),
    }
}

/// Why the command line's format is not this command's: the monitoring formats are `check`'s alone.
/// (A usage error, so exit 2 even under `--format nagios`: the command is not a plugin.)
#[must_use]
pub fn refused_format(cli: &Cli) -> Option<String> {
    let is_check = matches!(cli.command, None | Some(Command::Check(_)));
    (cli.global.output_format().is_monitoring() && !is_check)
        .then(|| "`--format nagios` and `--format prometheus` are for `check` only".to_owned())
}

/// Host facts within `scope`, for the group and port of the command line.
fn gather(cli: &Cli, scope: Scope) -> Result<crate::facts::HostFacts> {
    Ok(gather_recorded(cli, scope)?.0)
}

/// [`gather`], with the sources as read (for a support bundle).
fn gather_recorded(
    cli: &Cli,
    scope: Scope,
) -> Result<(crate::facts::HostFacts, platform::recording::Recording)> {
    Ok(platform::gather_recorded(&GatherOptions { group: cli.global.group, port: cli.global.port, scope })?)
}

/// A document head stamped now, with the command line as given (values of `--url` redacted).
fn envelope(schema: &'static str) -> Envelope {
    Envelope::new(schema, platform::host_info()).invoked_as(invocation(std::env::args()))
}

/// The command line for the Markdown block: program name `mcready`, secrets in URLs redacted.
fn invocation(args: impl Iterator<Item = String>) -> String {
    let mut words = vec!["mcready".to_owned()];
    let mut redact_next = false;
    for arg in args.skip(1) {
        let word =
            if redact_next || arg.starts_with("--url=") { crate::sip::redact_url(&arg) } else { arg.clone() };
        redact_next = arg == "--url";
        words.push(if word.contains(' ') { format!("'{word}'") } else { word });
    }
    words.join(" ")
}

/// Resolves `--interface`, when given, to the name of an interface of this host: `-i` takes the name
/// (the alias on Windows), the adapter GUID or the index, and everything after this works with the name.
fn require_interface(facts: &crate::facts::HostFacts, wanted: Option<&str>) -> Result<Option<String>> {
    Ok(wanted
        .map(|name| crate::snapshot::named_interface(facts, name).map(|i| i.name.clone()))
        .transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_shown_with_secrets_redacted() {
        let args = [
            "/usr/bin/mcready",
            "respond",
            "--url",
            "http://admin:s3cret@pbx/p/{mac}?token=abc",
            "-i",
            "Ethernet 2",
        ];
        let shown = invocation(args.iter().map(ToString::to_string));
        assert!(!shown.contains("s3cret") && !shown.contains("abc"), "{shown}");
        assert!(shown.starts_with("mcready respond --url http://"), "{shown}");
        assert!(shown.ends_with("-i 'Ethernet 2'"), "{shown}");
    }
}
