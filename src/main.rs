//! The `mcready` binary: parse the command line, run the command, print its output, exit with its code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use mcready::cli::{Cli, ColorWhen};
use mcready::commands;
use mcready::report::model::EXIT_COULD_NOT_RUN;
use mcready::report::{Document, ErrorDocument};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let choice = match cli.global.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    let wants_json = cli.global.output_format() == mcready::report::Format::Json;
    match commands::run(&cli) {
        Ok(outcome) => {
            let mut stdout = anstream::AutoStream::new(std::io::stdout().lock(), choice);
            // A closed pipe (`mcready joins | head -1`) is the reader's choice, not our failure.
            let _ = stdout.write_all(outcome.output.as_bytes()).and_then(|()| stdout.flush());
            ExitCode::from(outcome.exit_code)
        }
        Err(error) => could_not_run(&format!("{error:#}"), wants_json, choice),
    }
}

/// Prints one line on stderr (and the error document when JSON was asked for) and exits 2.
fn could_not_run(message: &str, wants_json: bool, choice: anstream::ColorChoice) -> ExitCode {
    let mut stderr = anstream::AutoStream::new(std::io::stderr().lock(), choice);
    let style = anstyle::AnsiColor::Red.on_default().bold();
    let _ = writeln!(stderr, "{style}mcready:{style:#} {message}");
    if wants_json {
        print!("{}", ErrorDocument::new(message.to_owned()).to_json());
    }
    ExitCode::from(EXIT_COULD_NOT_RUN)
}

/// Help and version go to stdout with exit 0; a usage error is "could not run".
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
    let _ = error.print();
    if wants_json {
        let text = error.render().to_string();
        let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
        print!("{}", ErrorDocument::new(first.to_owned()).to_json());
    }
    ExitCode::from(EXIT_COULD_NOT_RUN)
}
