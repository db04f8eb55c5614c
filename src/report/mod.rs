//! The report model every command shares, and its three renderings.
//!
//! A command builds a *document* — plain data that serialises to its `mcready.<command>/v1` JSON — and
//! implements [`Document`] to say how it reads as text and as Markdown. The model of the checklist
//! (statuses, checks, requirements, the verdict and its exit code) lives in [`model`]; the text
//! renderer's styling and table layout in [`text`]; Markdown helpers in [`markdown`].

pub mod markdown;
pub mod model;
pub mod text;

use std::time::SystemTime;

use serde::Serialize;

pub use model::{Check, Requirement, Status, Verdict};

/// The output formats every command speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned, coloured when the terminal allows it.
    #[default]
    Text,
    /// One JSON document, stable key order.
    Json,
    /// A block to paste into a ticket.
    Markdown,
}

/// Who made a document: `{"name":"mcready","version":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub const THIS: Self = Self { name: "mcready", version: env!("CARGO_PKG_VERSION") };
}

/// The current time as RFC 3339 UTC, whole seconds: `2026-11-26T04:28:07Z`.
#[must_use]
pub fn timestamp_now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// A command's result, renderable in every [`Format`].
pub trait Document: Serialize {
    /// The `schema` value of the JSON document, e.g. `mcready.joins/v1`.
    const SCHEMA: &'static str;

    /// The text rendering. Styles are embedded as ANSI sequences; the output stream strips them when
    /// colour is off (`--color never`, `NO_COLOR`, `TERM=dumb`, not a terminal).
    fn to_text(&self) -> String;

    /// The Markdown rendering: no colour codes, safe to paste into a ticket.
    fn to_markdown(&self) -> String;

    /// The JSON rendering, pretty-printed, with a trailing newline.
    fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail; say so loudly rather than print nothing.
        let mut json = serde_json::to_string_pretty(self)
            .unwrap_or_else(|error| format!("{{\"schema\":\"mcready.error/v1\",\"error\":\"{error}\"}}"));
        json.push('\n');
        json
    }

    fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.to_text(),
            Format::Json => self.to_json(),
            Format::Markdown => self.to_markdown(),
        }
    }
}

/// The document printed with `--json` when the command could not run (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDocument {
    pub schema: &'static str,
    pub tool: Tool,
    pub error: String,
}

impl ErrorDocument {
    #[must_use]
    pub fn new(error: String) -> Self {
        Self { schema: Self::SCHEMA, tool: Tool::THIS, error }
    }
}

impl Document for ErrorDocument {
    const SCHEMA: &'static str = "mcready.error/v1";

    fn to_text(&self) -> String {
        format!("mcready: {}\n", self.error)
    }

    fn to_markdown(&self) -> String {
        format!("**mcready could not run:** {}\n", markdown::escape(&self.error))
    }
}
