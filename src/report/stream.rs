//! The one sink for streamed events (`listen` and `respond` print as things happen).
//!
//! Text lines carry `anstyle` styles and go through `anstream`, so `--color`, `NO_COLOR`,
//! `CLICOLOR_FORCE` and `TERM=dumb` govern them exactly as they govern documents; JSON is one compact
//! object per line with `at_ms`; Markdown is one list item per event. A progress line goes to stderr
//! only while a terminal watches, and is cleared with spaces — no raw escape sequences.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Format;

/// An event that can be streamed: its JSON is its serialisation, its text one line (or none).
pub trait StreamEvent: Serialize {
    /// The line shown in text and Markdown; `None` for events that only feed the progress line.
    fn line(&self) -> Option<String>;
}

/// Where streamed events go.
#[derive(Debug)]
pub struct EventSink {
    format: Format,
    quiet: bool,
    start: Instant,
    /// Width of the progress line on stderr, to blank it out; `None` when stderr is no terminal.
    progress: Option<Mutex<usize>>,
}

impl EventSink {
    /// A sink for `format`; with `quiet`, only warnings (`always`) are printed.
    #[must_use]
    pub fn new(format: Format, quiet: bool, start: Instant) -> Self {
        let progress = (format == Format::Text && std::io::stderr().is_terminal()).then(|| Mutex::new(0));
        Self { format, quiet, start, progress }
    }

    /// How an event renders at `at` after the start, in this sink's format.
    #[must_use]
    pub fn render(&self, event: &impl StreamEvent, at: Duration) -> Option<String> {
        match self.format {
            Format::Json => {
                let mut value = serde_json::to_value(event).unwrap_or_default();
                if let Some(object) = value.as_object_mut() {
                    object.insert("at_ms".into(), u64::try_from(at.as_millis()).unwrap_or(u64::MAX).into());
                }
                Some(format!("{value}\n"))
            }
            // Streaming commands refuse the monitoring formats; text is what they would get.
            Format::Text | Format::Nagios | Format::Prometheus => {
                event.line().map(|line| format!("{:7.1}s  {line}\n", at.as_secs_f64()))
            }
            Format::Markdown => event.line().map(|line| {
                let plain = anstream::adapter::strip_str(&line).to_string();
                format!("- {:.1} s: {}\n", at.as_secs_f64(), super::markdown::prose(&plain))
            }),
        }
    }

    /// How long since the sink's start.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Prints `event` now (unless quiet and not `always`).
    pub fn emit(&self, event: &impl StreamEvent, always: bool) {
        if self.quiet && !always {
            return;
        }
        let Some(text) = self.render(event, self.start.elapsed()) else { return };
        self.clear_progress();
        let mut stdout = anstream::AutoStream::auto(std::io::stdout().lock());
        // A closed pipe is the reader's choice; the observation carries on.
        let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
    }

    /// Shows `text` as the progress line on a terminal's stderr (nothing when piped).
    pub fn progress(&self, text: &str) {
        let Some(width) = &self.progress else { return };
        let Ok(mut width) = width.lock() else { return };
        let padding = width.saturating_sub(text.chars().count());
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r{text}{}", " ".repeat(padding));
        let _ = stderr.flush();
        *width = text.chars().count();
    }

    /// Blanks the progress line, so the next output starts on a clean line.
    pub fn clear_progress(&self) {
        let Some(width) = &self.progress else { return };
        let Ok(mut width) = width.lock() else { return };
        if *width > 0 {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r{}\r", " ".repeat(*width));
            let _ = stderr.flush();
            *width = 0;
        }
    }
}

/// A progress bar on stderr for a long, known window (the soak), drawn only while a terminal watches:
/// nothing at all when stderr is piped or redirected (indicatif's hidden target).
#[derive(Debug)]
pub struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    /// A bar of `total` seconds.
    #[must_use]
    pub fn new(total: Duration, what: &str) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(total.as_secs().max(1))
        } else {
            indicatif::ProgressBar::hidden()
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} s") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        Self { bar }
    }

    /// Moves the bar to `at` and shows `note` (the last round's outcome).
    pub fn at(&self, at: Duration, note: &str) {
        self.bar.set_position(at.as_secs());
        self.bar.set_message(note.to_owned());
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Heard {
        phone: &'static str,
    }

    impl StreamEvent for Heard {
        fn line(&self) -> Option<String> {
            Some(format!("phone {}", self.phone))
        }
    }

    #[test]
    fn each_format_renders_one_line() {
        let at = Duration::from_millis(1500);
        let event = Heard { phone: "00:15:65:aa:bb:cc" };
        let render = |format| EventSink::new(format, false, Instant::now()).render(&event, at).unwrap();
        assert_eq!(render(Format::Text), "    1.5s  phone 00:15:65:aa:bb:cc\n");
        assert_eq!(render(Format::Json), "{\"phone\":\"00:15:65:aa:bb:cc\",\"at_ms\":1500}\n");
        assert_eq!(render(Format::Markdown), "- 1.5 s: phone 00:15:65:aa:bb:cc\n");
    }
}
