//! The `mcready.probe/v1` document: the probe sent, its looped-back copy, and every answer.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use serde::Serialize;

use super::text::{BAD, CAUTION, DIM, GOOD, paint};
use super::{Document, Envelope, markdown};
use crate::observed::{Answer, Loopback, OwnAction, ProbeReport};

/// The `mcready.probe/v1` document.
#[derive(Debug, Serialize)]
pub struct ProbeDocument {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub interface: String,
    pub group: Ipv4Addr,
    pub port: u16,
    #[serde(flatten)]
    pub report: ProbeReport,
    pub own_actions: Vec<OwnAction>,
    #[serde(skip)]
    pub quiet: bool,
    #[serde(skip)]
    pub verbose: bool,
}

impl ProbeDocument {
    fn answer_line(answer: &Answer) -> String {
        let mut line = answer.responder.to_string();
        if let Some(ua) = &answer.user_agent {
            let _ = write!(line, " ({ua})");
        }
        if answer.this_host {
            line.push_str(" [this host]");
        }
        match (answer.status, answer.response_rtt_ms) {
            (Some(code), Some(rtt)) => {
                let reason = answer.reason.as_deref().map_or_else(String::new, |r| format!(" {r}"));
                let _ = write!(line, " answered {code}{reason} in {rtt:.1} ms");
            }
            _ => line.push_str(" sent no response"),
        }
        if answer.refused() {
            line.push_str(": refused, PnP is off or not supported there");
            return line;
        }
        match (answer.notify_rtt_ms, &answer.provisioning_url) {
            (Some(rtt), Some(url)) => {
                let _ = write!(line, "; NOTIFY in {rtt:.1} ms with {url}");
            }
            (Some(rtt), None) => {
                let _ = write!(line, "; NOTIFY in {rtt:.1} ms without a URL");
            }
            (None, _) => line.push_str("; no NOTIFY"),
        }
        line
    }

    fn sent_line(&self) -> String {
        let times = self.report.sent.len();
        let from = self.report.sent.first().map_or_else(String::new, |s| format!(" from {}", s.from));
        let ttl = self.report.sent.first().map_or(1, |s| s.ttl);
        format!(
            "PnP SUBSCRIBE sent to {}:{}{from} on {} (TTL {ttl}){}.",
            self.group,
            self.port,
            self.interface,
            if times > 1 { format!(", {times} times (RFC 3261 retransmissions)") } else { String::new() }
        )
    }

    fn loopback_line(&self) -> (bool, String) {
        match &self.report.loopback {
            Some(Loopback { arrived: true, after_ms }) => {
                (true, format!("The looped-back copy arrived after {:.1} ms.", after_ms.unwrap_or_default()))
            }
            Some(_) => (false, "The looped-back copy never arrived: this host's input path drops it.".into()),
            None => (false, "The looped-back copy was not watched (see warnings).".into()),
        }
    }
}

impl Document for ProbeDocument {
    const SCHEMA: &'static str = "mcready.probe/v1";

    fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    fn to_text(&self) -> String {
        if self.quiet {
            let lines: Vec<String> = self.report.answers.iter().map(Self::answer_line).collect();
            return if lines.is_empty() {
                "No PnP server answered.\n".into()
            } else {
                lines.join("\n") + "\n"
            };
        }
        let mut out = format!("{} {}\n", paint(DIM, "→"), self.sent_line());
        let (arrived, line) = self.loopback_line();
        let _ = writeln!(out, "{} {line}", if arrived { paint(GOOD, "✔") } else { paint(CAUTION, "!") });
        if !self.report.answers.iter().any(Answer::accepted) {
            let _ = writeln!(out, "{} No PnP server answered.", paint(BAD, "✘"));
        }
        for answer in &self.report.answers {
            let mark = if answer.accepted() { paint(GOOD, "✔") } else { paint(BAD, "✘") };
            let _ = writeln!(out, "{mark} {}", Self::answer_line(answer));
        }
        for warning in &self.report.warnings {
            let _ = writeln!(out, "{} {warning}", paint(CAUTION, "!"));
        }
        if self.report.interrupted {
            let _ = writeln!(
                out,
                "{} Interrupted: the wait was cut short, so a missing answer proves nothing.",
                paint(CAUTION, "!")
            );
        }
        if self.verbose {
            for sent in &self.report.sent {
                let _ = writeln!(
                    out,
                    "  {}",
                    paint(
                        DIM,
                        &format!("sent at {} ms: {} → {} (TTL {})", sent.at_ms, sent.from, sent.to, sent.ttl)
                    )
                );
            }
            for action in &self.own_actions {
                let _ = writeln!(out, "  {}", paint(DIM, &action.line()));
            }
        }
        if let Some(waited) = self.report.waited_ms {
            let _ = writeln!(out, "  {}", paint(DIM, &format!("waited {waited:.0} ms for answers")));
        }
        out
    }

    fn markdown_body(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "- {}", markdown::escape(&self.sent_line()));
        let _ = writeln!(out, "- {}", markdown::escape(&self.loopback_line().1));
        if self.report.answers.is_empty() {
            out.push_str("- **No PnP server answered.**\n");
        }
        for answer in &self.report.answers {
            let _ = writeln!(out, "- answer: {}", markdown::escape(&Self::answer_line(answer)));
        }
        for warning in &self.report.warnings {
            let _ = writeln!(out, "- **warning:** {}", markdown::prose(warning));
        }
        if let Some(waited) = self.report.waited_ms {
            let _ = writeln!(out, "- waited {waited:.0} ms for answers");
        }
        out
    }
}
