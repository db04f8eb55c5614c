//! One module per manager: the exact commands of each tool that owns a piece of the host's
//! configuration, each returned as a [`Step`](crate::fix::Step) with its undo, its persistence and its
//! class. The rules (`checks`, `firewall`) decide *what* must change and compose these steps into a fix;
//! only these modules know how a tool spells it. So the same change is never written twice in
//! different words, and an undo is written beside its command instead of being parsed back out of it.
//!
//! Pure: values in, steps out. Nothing here runs a command; `mcready fix` executes the steps.

pub mod firewalld;
pub mod ifupdown;
pub mod ip;
pub mod iphelper;
pub mod iptables;
pub mod netplan;
pub mod network_manager;
pub mod networkd;
pub mod networksetup;
pub mod nft;
pub mod pf;
pub mod service;
pub mod sysctl;
pub mod ufw;
pub mod windows_firewall;

#[cfg(test)]
mod tests;
