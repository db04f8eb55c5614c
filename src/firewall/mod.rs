//! The host firewall, judged whole: one reader per source into the OS-neutral ruleset model of
//! [`crate::ruleset`] ([`nft`] for `nft -j list ruleset`, [`iptables`] for `iptables-save` text of either
//! backend, [`pf`] for macOS's `pfctl -sr`, reordered into first-match chains), one [`judge`](mod@judge)
//! that follows each datagram PnP depends on through a ruleset, the address translations read as facts
//! ([`nat`]: a PBX container behind a DNAT of udp/5060), and the [`fix`] writer that says, in the
//! owning manager's words, how to let it through. The model itself is plain data one floor down, because
//! the host facts hold the rulesets read.
//!
//! Everything here is pure: readers take text, the judge takes the model. Running the tools (in
//! parallel) and finding which managers are present is the platform's job (`platform::linux`,
//! `platform::macos`), so this
//! module builds and is tested on every OS. See docs/firewall.md for what is judged and what is not.
//!
//! ```
//! use mcready::facts::{FindingCertainty, FirewallFlow};
//! use mcready::firewall::{iptables, judge};
//! use mcready::ruleset::Ruleset;
//! let save = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -m udp --dport 5060 -j DROP\nCOMMIT\n";
//! let rulesets = [Ruleset::Netfilter(iptables::read(save, None))];
//! let judged = judge::judge(&rulesets, &judge::Context::default());
//! assert!(judged.drops(FirewallFlow::SubscribeIn));
//! assert!(!judged.drops(FirewallFlow::IgmpIn));
//! ```

pub mod fix;
pub mod iptables;
pub mod judge;
pub mod nat;
pub mod nft;
pub mod pf;
pub mod windows;

pub use judge::{Context, Judgement, ProvisioningTarget, judge};

#[cfg(test)]
mod judge_props;
#[cfg(test)]
mod nat_tests;
#[cfg(test)]
mod pf_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod windows_tests;
