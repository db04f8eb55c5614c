//! The `mcready` binary: parse the command line, run the command, print its output, exit with its code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use mcready::cli::{Cli, ColorWhen, SHORT_USAGE, UsageError};
use mcready::commands;
use mcready::net::NetError;
use mcready::observe::listen::ListenError;
use mcready::platform::GatherError;
use mcready::platform::output::{OutputError, write_output};
use mcready::report::{ErrorCode, ErrorDocument, Format};
use mcready::snapshot::NoInterface;
use mcready::verdict::{EXIT_COULD_NOT_RUN, EXIT_PLUGIN_UNKNOWN};

fn main() -> ExitCode {
    // A bare `mcready` sends nothing: `check` puts SIP and IGMP on the LAN, so it must be asked for.
    if std::env::args_os().len() <= 1 {
        let _ = std::io::stderr().write_all(SHORT_USAGE.as_bytes());
        return ExitCode::from(EXIT_COULD_NOT_RUN);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    if let Some(contradiction) = format_contradiction(&std::env::args().collect::<Vec<_>>()) {
        return could_not_run(&contradiction, ErrorCode::Usage, Format::Text);
    }
    // One decision for every stream this process writes: documents, streamed events, errors.
    match cli.global.color {
        ColorWhen::Auto => {}
        ColorWhen::Always => anstream::ColorChoice::Always.write_global(),
        ColorWhen::Never => anstream::ColorChoice::Never.write_global(),
    }
    let format = cli.global.output_format();
    if let Some(refusal) = commands::refused_format(&cli) {
        return could_not_run(&refusal, ErrorCode::Usage, Format::Text);
    }
    if cli.command.is_none() {
        let _ = writeln!(
            std::io::stderr(),
            "mcready: no command named, so running `check`; name it (`mcready check …`) in scripts"
        );
    }
    // A first Ctrl-C ends the observation and keeps the report; without a handler it ends the process.
    let _ = mcready::interrupt::install();
    match commands::run(&cli) {
        Ok(outcome) => {
            // `--output -` is stdout, as for most tools.
            if let Some(path) = cli.global.output.as_ref().filter(|path| path.as_os_str() != "-") {
                // A file gets no colour: the text a terminal would show, with the styles stripped.
                let text = anstream::adapter::strip_str(&outcome.output).to_string();
                if let Err(error) = write_output(path, text.as_bytes()) {
                    return could_not_run(&error.to_string(), ErrorCode::Output, format);
                }
                return ExitCode::from(outcome.exit_code);
            }
            let mut stdout = anstream::AutoStream::auto(std::io::stdout().lock());
            // A closed pipe (`mcready joins | head -1`) is the reader's choice, not our failure.
            let _ = stdout.write_all(outcome.output.as_bytes()).and_then(|()| stdout.flush());
            ExitCode::from(outcome.exit_code)
        }
        Err(error) => could_not_run(&one_line(&error), error_code(&error), format),
    }
}

/// The stable code of an error, from the first cause whose type says what failed.
fn error_code(error: &anyhow::Error) -> ErrorCode {
    for cause in error.chain() {
        if cause.is::<UsageError>() {
            return ErrorCode::Usage;
        }
        if cause.is::<NoInterface>() {
            return ErrorCode::NoInterface;
        }
        if cause.is::<OutputError>() {
            return ErrorCode::Output;
        }
        if let Some(gather) = cause.downcast_ref::<GatherError>() {
            return match gather {
                GatherError::Unsupported { .. } => ErrorCode::Unsupported,
                _ => ErrorCode::HostFacts,
            };
        }
        if let Some(net) = cause.downcast_ref::<NetError>() {
            return net_code(net);
        }
        if let Some(listen) = cause.downcast_ref::<ListenError>() {
            return match listen {
                ListenError::NoAddress { .. } => ErrorCode::NoInterface,
                ListenError::CaptureOnly { capture } => net_code(capture),
                // Both ways failed: privilege only when neither could have worked without it.
                ListenError::NothingToListenWith { capture, socket } => {
                    match (net_code(capture), net_code(socket)) {
                        (ErrorCode::Privilege, ErrorCode::Privilege) => ErrorCode::Privilege,
                        _ => ErrorCode::Network,
                    }
                }
            };
        }
    }
    ErrorCode::Other
}

fn net_code(error: &NetError) -> ErrorCode {
    match error {
        NetError::NoPrivilege { .. } => ErrorCode::Privilege,
        NetError::Unsupported { .. } => ErrorCode::Unsupported,
        NetError::AddressInUse { .. } | NetError::NeedsCapture { .. } | NetError::Os { .. } => {
            ErrorCode::Network
        }
    }
}

/// `--json` is `--format json`: with another `--format` the command line contradicts itself, and
/// guessing which one was meant would hand a monitoring system the wrong document.
fn format_contradiction(args: &[String]) -> Option<String> {
    if !args.iter().skip(1).any(|a| a == "--json") {
        return None;
    }
    let formats = args.iter().skip(1).enumerate().filter_map(|(i, arg)| {
        arg.strip_prefix("--format=")
            .or_else(|| (arg == "--format").then(|| args.get(i + 2).map(String::as_str)).flatten())
    });
    formats.into_iter().find(|format| *format != "json").map(|format| {
        format!(
            "--json and --format {format} contradict each other: --json is short for --format json; give one"
        )
    })
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
fn could_not_run(message: &str, code: ErrorCode, format: Format) -> ExitCode {
    let mut stderr = anstream::AutoStream::auto(std::io::stderr().lock());
    let style = anstyle::AnsiColor::Red.on_default().bold();
    let _ = writeln!(stderr, "{style}mcready:{style:#} {message}");
    match format {
        Format::Json => print!("{}", ErrorDocument::new(code, message.to_owned()).to_json()),
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
    could_not_run(if message.is_empty() { "invalid arguments" } else { message }, ErrorCode::Usage, format)
}

#[cfg(test)]
mod tests {
    use super::{format_contradiction, one_line};

    #[test]
    fn json_and_another_format_contradict() {
        let args = |list: &[&str]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert!(format_contradiction(&args(&["mcready", "--format", "markdown", "--json"])).is_some());
        assert!(format_contradiction(&args(&["mcready", "check", "--json", "--format=nagios"])).is_some());
        assert!(format_contradiction(&args(&["mcready", "--json", "--format", "json"])).is_none());
        assert!(format_contradiction(&args(&["mcready", "--format", "markdown"])).is_none());
        assert!(format_contradiction(&args(&["mcready", "--json", "--format"])).is_none());
    }

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
