//! `mcready listen`: being built.

use anyhow::{Result, bail};

use super::Outcome;
use crate::cli::{Cli, ListenArgs};
use crate::facts::{HostFacts, Interface, InterfaceKind};

/// The interface that faces the phones: `--interface`, else the OS's route for the group, else the
/// first multicast-capable, up, non-loopback interface with an IPv4 address.
///
/// # Errors
/// When `--interface` names no interface of this host, or no interface qualifies.
pub fn pnp_interface<'f>(facts: &'f HostFacts, wanted: Option<&str>) -> Result<&'f Interface> {
    if let Some(name) = wanted {
        if let Some(interface) = facts.interface(name) {
            return Ok(interface);
        }
        let known: Vec<&str> = facts.interfaces.iter().map(|i| i.name.as_str()).collect();
        bail!("no interface named `{name}` (this host has: {})", known.join(", "));
    }
    let routed = facts.group_route.as_ref().and_then(|route| route.interface.as_deref());
    if let Some(interface) = routed.and_then(|name| facts.interface(name)) {
        return Ok(interface);
    }
    facts
        .interfaces
        .iter()
        .find(|i| i.kind != InterfaceKind::Loopback && i.flags.up && i.flags.multicast && !i.ipv4.is_empty())
        .ok_or_else(|| {
            anyhow::anyhow!("no interface to listen on: the OS has no route for the group and no interface is up with IPv4 and multicast; name one with --interface")
        })
}

/// # Errors
/// Always, until the command lands.
pub fn run(_cli: &Cli, _args: &ListenArgs) -> Result<Outcome> {
    bail!("`mcready listen` is not available in this build yet")
}
