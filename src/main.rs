//! The `mcready` binary: parse the command line, run the command, print its output, exit with its code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use mcready::cli::{Cli, ColorWhen};
use mcready::commands;
use mcready::report::model::EXIT_COULD_NOT_RUN;
use mcready::report::{ErrorDocument, Format};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    // One decision for every stream this process writes: documents, streamed events, errors.
    match cli.global.color {
        ColorWhen::Auto => {}
        ColorWhen::Always => anstream::ColorChoice::Always.write_global(),
        ColorWhen::Never => anstream::ColorChoice::Never.write_global(),
    }
    let wants_json = cli.global.output_format() == Format::Json;
    // A first Ctrl-C ends the observation and keeps the report; without a handler it ends the process.
    let _ = mcready::interrupt::install();
    match commands::run(&cli) {
        Ok(outcome) => {
            let mut stdout = anstream::AutoStream::auto(std::io::stdout().lock());
            // A closed pipe (`mcready joins | head -1`) is the reader's choice, not our failure.
            let _ = stdout.write_all(outcome.output.as_bytes()).and_then(|()| stdout.flush());
            ExitCode::from(outcome.exit_code)
        }
        Err(error) => could_not_run(&one_line(&error), wants_json),
    }
}

/// The error and its causes in one line, each said once: an OS error that both a message and its
/// source carry is not printed twice.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', " ")
}

/// Prints one line on stderr (and the error document when JSON was asked for) and exits 2.
fn could_not_run(message: &str, wants_json: bool) -> ExitCode {
    let mut stderr = anstream::AutoStream::auto(std::io::stderr().lock());
    let style = anstyle::AnsiColor::Red.on_default().bold();
    let _ = writeln!(stderr, "{style}mcready:{style:#} {message}");
    if wants_json {
        print!("{}", ErrorDocument::new(message.to_owned()).to_json());
    }
    ExitCode::from(EXIT_COULD_NOT_RUN)
}

/// Help and version go to stdout with exit 0; a usage error is one line and "could not run".
fn usage_error(error: &clap::Error) -> ExitCode {
    if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = error.print();
        return ExitCode::from(EXIT_COULD_NOT_RUN);
    }
    // The parse failed, so `--json` is looked for in the raw arguments.
    let args: Vec<String> = std::env::args().collect();
    let wants_json = args.iter().any(|a| a == "--json" || a == "--format=json")
        || args.windows(2).any(|pair| pair[0] == "--format" && pair[1] == "json");
    // clap's message runs to the first blank line (a "required arguments" error lists them below its
    // first line); the usage and tip after it are left out: one line says it all.
    let text = error.render().to_string();
    let message: Vec<&str> = text.lines().take_while(|line| !line.trim().is_empty()).map(str::trim).collect();
    let message = message.join(" ");
    let message = message.trim_start_matches("error: ");
    could_not_run(if message.is_empty() { "invalid arguments" } else { message }, wants_json)
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn an_os_error_is_said_once() {
        let os = std::io::Error::from_raw_os_error(22);
        let text = os.to_string();
        let error = anyhow::Error::new(os).context(format!("cannot bind 224.0.1.75:5060: {text}"));
        assert_eq!(one_line(&error), format!("cannot bind 224.0.1.75:5060: {text}"));
        let chained = anyhow::anyhow!("inner").context("outer");
        assert_eq!(one_line(&chained), "outer: inner");
    }
}
