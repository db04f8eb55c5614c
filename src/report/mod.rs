//! Everything a command prints: each command's document and the renderers. What they print — the verdict
//! vocabulary, the facts, the observations — is plain data of the floor below ([`crate::verdict`],
//! [`crate::facts`], [`crate::observed`], [`crate::snapshot`]); nothing here reaches an engine or a socket.
//!
//! A command builds a *document* — plain data that serialises to its `mcready.<command>/v1` JSON — and
//! implements [`Document`] to say how it reads as text and as Markdown. Every document flattens one
//! [`Envelope`] (`schema`, `tool`, `generated_at`, `host`, and `interrupted` when a run was cut short)
//! in front of its own fields; `mcready.error/v1` keeps its own small shape ([`ErrorDocument`]).
//!
//! - [`check`], [`interfaces`], [`joins`], [`probe`], [`listen`]: the documents and their renderers;
//!   [`respond`]: how its events read;
//! - [`stream`]: the one sink for streamed events (`listen`, `respond`), honouring `--color`/`NO_COLOR`;
//! - [`text`] (styles, tables) and [`markdown`] (escaping, code spans, tables).

pub mod check;
pub mod explain;
pub mod fix;
pub mod interfaces;
pub mod joins;
pub mod listen;
pub mod live;
pub mod markdown;
pub mod monitoring;
pub mod probe;
pub mod respond;
pub mod stream;
pub mod text;
pub mod untested;

use std::time::SystemTime;

use serde::Serialize;

use crate::facts::HostInfo;
use crate::verdict::ExitConvention;

/// The output formats. Which ones a command offers is the command line's business; this is only
/// what the renderers know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Aligned, coloured when the terminal allows it.
    #[default]
    Text,
    /// One JSON document, stable key order.
    Json,
    /// A block to paste into a ticket.
    Markdown,
    /// A Nagios/Icinga plugin's output (`check` only).
    Nagios,
    /// The Prometheus text exposition format (`check` only).
    Prometheus,
}

impl From<Format> for ExitConvention {
    fn from(format: Format) -> Self {
        if format == Format::Nagios { Self::Plugin } else { Self::Command }
    }
}

impl Format {
    /// The monitoring formats, which only `check` offers.
    #[must_use]
    pub fn is_monitoring(self) -> bool {
        matches!(self, Self::Nagios | Self::Prometheus)
    }
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

/// The head every document shares, flattened into its JSON: what it is, who made it, when, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Envelope {
    pub schema: &'static str,
    pub tool: Tool,
    pub generated_at: String,
    pub host: HostInfo,
    /// Present (and `true`) only when Ctrl-C or SIGTERM cut the run short.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Which observation windows were cut short (`probe`, `listen`, `querier`, `peer`, `respond`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cut_short: Vec<&'static str>,
    /// The command line as given, for the Markdown block (secrets redacted); not part of the JSON.
    #[serde(skip)]
    pub invocation: String,
}

impl Envelope {
    /// An envelope stamped now.
    #[must_use]
    pub fn new(schema: &'static str, host: HostInfo) -> Self {
        Self {
            schema,
            tool: Tool::THIS,
            generated_at: timestamp_now(),
            host,
            interrupted: false,
            cut_short: Vec::new(),
            invocation: String::new(),
        }
    }

    /// Records the command line the document answers.
    #[must_use]
    pub fn invoked_as(mut self, invocation: String) -> Self {
        self.invocation = invocation;
        self
    }

    /// Marks the windows an interruption cut short (nothing when `cut` is empty).
    pub fn cut(&mut self, cut: Vec<&'static str>) {
        self.interrupted |= !cut.is_empty();
        self.cut_short = cut;
    }
}

/// A command's result, renderable in every [`Format`].
pub trait Document: Serialize {
    /// The `schema` value of the JSON document, e.g. `mcready.joins/v1`.
    const SCHEMA: &'static str;

    /// The shared head of the document.
    fn envelope(&self) -> &Envelope;

    /// The text rendering. Styles are embedded as ANSI sequences; the output stream strips them when
    /// colour is off (`--color never`, `NO_COLOR`, `TERM=dumb`, not a terminal).
    fn to_text(&self) -> String;

    /// The body of the Markdown rendering; [`Document::to_markdown`] puts the heading and the run's
    /// details around it.
    fn markdown_body(&self) -> String;

    /// The Markdown rendering: no colour codes, safe to paste into a ticket.
    fn to_markdown(&self) -> String {
        let envelope = self.envelope();
        let mut out = markdown::heading(envelope);
        out.push_str(&self.markdown_body());
        out
    }

    /// The JSON rendering, pretty-printed, with a trailing newline.
    fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail; say so loudly rather than print nothing.
        let mut json = serde_json::to_string_pretty(self)
            .unwrap_or_else(|error| format!("{{\"schema\":\"mcready.error/v1\",\"error\":\"{error}\"}}"));
        json.push('\n');
        json
    }

    /// The monitoring forms; only the checklist has them (the command line refuses them elsewhere, so
    /// the text form is what another document falls back to).
    fn to_monitoring(&self, _format: Format) -> Option<String> {
        None
    }

    fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.to_text(),
            Format::Json => self.to_json(),
            Format::Markdown => self.to_markdown(),
            Format::Nagios | Format::Prometheus => {
                self.to_monitoring(format).unwrap_or_else(|| self.to_text())
            }
        }
    }
}

/// The document printed with `--json` when the command could not run (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDocument {
    pub schema: &'static str,
    pub tool: Tool,
    /// What kind of failure, for a program to branch on; the sentence is for people and may change.
    pub code: ErrorCode,
    pub error: String,
}

/// Why a command could not run, as a stable value (`mcready.error/v1`'s `code`; listed in its schema
/// and in docs/usage.md). Values are appended, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The command line is wrong: an unknown option, a bad value, options that contradict each other.
    Usage,
    /// `--interface` names no interface of this host, or no interface can face the phones.
    NoInterface,
    /// The host's own facts (adapters, routes, memberships) could not be read.
    HostFacts,
    /// What the command needs a privilege for (a capture, a raw socket) and the privilege is missing.
    Privilege,
    /// A socket could not be opened, bound or used.
    Network,
    /// `--output` could not be written; the old file is as it was.
    Output,
    /// This OS lacks what the command needs.
    Unsupported,
    /// Anything else.
    Other,
}

impl ErrorCode {
    /// Every value, in the order of the schema's enum.
    pub const ALL: [Self; 8] = [
        Self::Usage,
        Self::NoInterface,
        Self::HostFacts,
        Self::Privilege,
        Self::Network,
        Self::Output,
        Self::Unsupported,
        Self::Other,
    ];

    /// The value as it is written in JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Usage => "usage",
            Self::NoInterface => "no-interface",
            Self::HostFacts => "host-facts",
            Self::Privilege => "privilege",
            Self::Network => "network",
            Self::Output => "output",
            Self::Unsupported => "unsupported",
            Self::Other => "other",
        }
    }
}

impl ErrorDocument {
    pub const SCHEMA: &'static str = "mcready.error/v1";

    #[must_use]
    pub fn new(code: ErrorCode, error: String) -> Self {
        Self { schema: Self::SCHEMA, tool: Tool::THIS, code, error }
    }

    /// The JSON rendering, pretty-printed, with a trailing newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }
}
