//! The `mcready` binary: parse the command line, run the command, print its output, exit with its code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use mcready::cli::{Cli, ColorWhen};
use mcready::commands;
use mcready::report::{ErrorDocument, Format};
use mcready::verdict::{EXIT_COULD_NOT_RUN, EXIT_PLUGIN_UNKNOWN};

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
    let format = cli.global.output_format();
    if let Some(refusal) = commands::refused_format(&cli) {
        return could_not_run(&refusal, Format::Text);
    }
    // A first Ctrl-C ends the observation and keeps the report; without a handler it ends the process.
    let _ = mcready::interrupt::install();
    match commands::run(&cli) {
        Ok(outcome) => {
            if let Some(path) = &cli.global.output {
                // A file gets no colour: the text a terminal would show, with the styles stripped.
                let text = anstream::adapter::strip_str(&outcome.output).to_string();
                if let Err(error) = write_atomically(path, text.as_bytes()) {
                    return could_not_run(&format!("cannot write {}: {error}", path.display()), format);
                }
                return ExitCode::from(outcome.exit_code);
            }
            let mut stdout = anstream::AutoStream::auto(std::io::stdout().lock());
            // A closed pipe (`mcready joins | head -1`) is the reader's choice, not our failure.
            let _ = stdout.write_all(outcome.output.as_bytes()).and_then(|()| stdout.flush());
            ExitCode::from(outcome.exit_code)
        }
        Err(error) => could_not_run(&one_line(&error), format),
    }
}

/// Writes `bytes` to `path` so that a reader (the Node exporter's textfile collector, a monitoring agent)
/// sees the old file or the new one, never half of either: a temporary file beside it, synced, then
/// renamed over it.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| std::io::Error::other("not a file name"))?;
    let temporary = directory.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let result = std::fs::File::create(&temporary)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
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

/// Prints one line on stderr (and the error document when JSON was asked for) and exits 2 — or, for a
/// Nagios plugin, prints `MCREADY UNKNOWN - …` on stdout and exits 3, as the plugin guidelines ask.
fn could_not_run(message: &str, format: Format) -> ExitCode {
    let mut stderr = anstream::AutoStream::auto(std::io::stderr().lock());
    let style = anstyle::AnsiColor::Red.on_default().bold();
    let _ = writeln!(stderr, "{style}mcready:{style:#} {message}");
    match format {
        Format::Json => print!("{}", ErrorDocument::new(message.to_owned()).to_json()),
        Format::Nagios => {
            println!("MCREADY UNKNOWN - could not run: {}", message.replace('|', "/"));
            return ExitCode::from(EXIT_PLUGIN_UNKNOWN);
        }
        Format::Text | Format::Markdown | Format::Prometheus => {}
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
    // The parse failed, so the format is looked for in the raw arguments.
    let args: Vec<String> = std::env::args().collect();
    let asked = |name: &str| {
        args.iter().any(|a| *a == format!("--format={name}"))
            || args.windows(2).any(|pair| pair[0] == "--format" && pair[1] == name)
    };
    let format = if args.iter().any(|a| a == "--json") || asked("json") {
        Format::Json
    } else if asked("nagios") {
        Format::Nagios
    } else {
        Format::Text
    };
    // clap's message runs to the first blank line (a "required arguments" error lists them below its
    // first line); the usage and tip after it are left out: one line says it all.
    let text = error.render().to_string();
    let message: Vec<&str> = text.lines().take_while(|line| !line.trim().is_empty()).map(str::trim).collect();
    let message = message.join(" ");
    let message = message.trim_start_matches("error: ");
    could_not_run(if message.is_empty() { "invalid arguments" } else { message }, format)
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
