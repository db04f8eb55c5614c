//! mcready: is this LAN ready for SIP Plug-and-Play phone provisioning?
//!
//! The crate is laid out as **gather → observe → evaluate → render**:
//! - [`platform`] gathers host facts (interfaces, routes, memberships, listeners, firewall) into the
//!   plain data of [`facts`]; it is the only place with OS-specific code besides `net::sys`.
//! - [`firewall`] judges the host firewall's rulesets: an OS-neutral model, one reader per source, one
//!   judge for every datagram PnP depends on, and the fix in the words of the manager that owns the rule.
//! - [`net`] and [`sip`] are the wire: sockets (with the socket policy per OS in `net::sys`), capture,
//!   IGMP, the peer protocol's messages, and the SIP PnP messages phones and PBXs exchange.
//! - [`observe`] holds the engines (probe, listen, respond, the peer test's client, the querier search)
//!   that watch the wire through small seams and fill the plain data of [`observed`].
//! - [`checks`] turns a snapshot of facts and observations into the four requirements (pure functions).
//! - [`report`] holds the report model (statuses, checks, verdicts, the one exit-code function), every
//!   command's document, and the renderers (text, JSON, Markdown, streamed events).
//! - [`commands`] only wires each command: options → gather → observe → evaluate → render → exit code.
//! - [`cli`] is the command line (clap definitions and checked option values); [`interrupt`] is Ctrl-C.
//!
//! The binary (`src/main.rs`) only parses the command line and maps the outcome to an exit code.

pub mod checks;
pub mod cli;
pub mod commands;
pub mod facts;
pub mod firewall;
pub mod interrupt;
pub mod net;
pub mod observe;
pub mod observed;
pub mod platform;
pub mod report;
pub mod ruleset;
pub mod sip;
pub mod snapshot;
pub mod verdict;
