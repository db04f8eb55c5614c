//! What macOS shows about its network, parsed by pure functions: the text of `networksetup`,
//! `netstat -gn`, `netstat -rn -f inet`, `route -n get`, `lsof`, `sw_vers` and `pfctl`, and the raw
//! bytes of the socket-address structures `getifaddrs` hands back (`sockaddr_in`, `sockaddr_in6`,
//! `sockaddr_dl`, `if_data`).
//!
//! The macOS gatherer (`platform::macos`) only runs the tools and copies the bytes; everything that
//! decides is here, so it is built and tested on every OS with output captured from macOS and structure
//! layouts from Apple's headers (`tests/fixtures/macos/README.md` says where each sample comes from).
//! Every line and byte is untrusted: a row that does not parse is skipped and counted, never a panic.
//!
//! Two halves: `interfaces` (what `getifaddrs` and `networksetup` tell about each interface, folded
//! into [`Interface`](crate::facts::Interface)s with their kind) and `tables` (what the other tools
//! print about the host: groups, routes, UDP sockets, the OS version, pf).

mod interfaces;
mod tables;

pub use interfaces::*;
pub use tables::*;

#[cfg(test)]
mod tests;
