//! mcready: is this LAN ready for SIP Plug-and-Play phone provisioning?
//!
//! The crate is laid out as **gather → observe → evaluate → render**, on floors that import only
//! downward (`docs/architecture.md`, kept by `tests/architecture.rs`):
//! - plain data at the bottom, importing nothing above it: [`verdict`] (statuses, checks, requirements,
//!   the verdict and its exit codes), [`fix`] (fixes as data: ordered steps, each with its manager,
//!   command, undo and class), [`ruleset`] (the firewall ruleset model), [`facts`] (what the
//!   platform gathers), [`observed`] (what the engines observe, what mcready itself did, the streamed
//!   events) and [`snapshot`] (what the checklist judges, and the one rule that chooses the PnP
//!   interface);
//! - pure logic: [`sip`] (the SIP PnP messages phones and PBXs exchange), [`firewall`] (one reader per
//!   source, one judge for every datagram PnP depends on, and the fix in the owning manager's words)
//!   and [`quote`] (a host's names kept one literal argument in the commands fixes print);
//! - [`checks`] turns a snapshot into the four requirements (pure functions);
//! - [`report`] holds every command's document and the renderers (text, JSON, Markdown, Nagios,
//!   Prometheus, streamed events);
//! - what touches the host and the wire: [`interrupt`] (Ctrl-C), [`platform`] (host facts; with
//!   `net::sys` the only OS-specific code), [`net`] (sockets, capture, IGMP, the peer protocol's
//!   messages) and [`observe`] (the engines: probe, listen, respond, the peer test's client, the querier
//!   search, watching the wire through small seams), and [`bundle`] (the support bundle `check
//!   --bundle` writes and `replay` re-judges);
//! - [`cli`] is the command line (clap definitions and checked option values), and [`commands`] only
//!   wires each command: options → gather → observe → evaluate → render → exit code.
//!
//! The binary (`src/main.rs`) only parses the command line and maps the outcome to an exit code.

pub mod bundle;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod facts;
pub mod firewall;
pub mod fix;
pub mod interrupt;
pub mod managers;
pub mod net;
pub mod observe;
pub mod observed;
pub mod plan;
pub mod platform;
pub mod quote;
pub mod repair;
pub mod report;
pub mod ruleset;
pub mod sip;
pub mod snapshot;
pub mod verdict;
