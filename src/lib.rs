//! mcready: is this LAN ready for SIP Plug-and-Play phone provisioning?
//!
//! The crate is laid out as **gather → evaluate → render**:
//! - [`platform`] gathers host facts (interfaces, routes, memberships, listeners, firewall) into the
//!   plain data of [`facts`]; it is the only place with OS-specific code besides `net::sys`.
//! - [`firewall`] judges the host firewall's rulesets: an OS-neutral model, one reader per source, one
//!   judge for every datagram PnP depends on, and the fix in the words of the manager that owns the rule.
//! - [`net`] and [`sip`] observe the wire: sockets, capture, IGMP, the peer protocol, and the SIP PnP
//!   messages phones and PBXs exchange; what they see becomes the plain data of [`observed`].
//! - [`checks`] turns a snapshot of facts and observations into the four requirements (pure functions).
//! - [`report`] holds the report model (statuses, checks, verdicts, exit codes) and its renderers.
//! - [`commands`] wires each command's gathering, observing, evaluation and rendering together.
//!
//! The binary (`src/main.rs`) only parses the command line and maps the outcome to an exit code.

pub mod checks;
pub mod cli;
pub mod commands;
pub mod facts;
pub mod firewall;
pub mod net;
pub mod observed;
pub mod platform;
pub mod report;
pub mod sip;
