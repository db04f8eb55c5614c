//! Prints what mcready reads of this host's firewall and reverse-path filters, as JSON: the Linux
//! reader alone, without the rest of a report. The namespace tests run it inside each namespace
//! (`ip netns exec NS target/debug/examples/firewall_facts`), since `gather` reads the namespace it
//! runs in.
//!
//! ```text
//! cargo run --example firewall_facts
//! ```

use mcready::platform::{GatherOptions, Scope, gather};

fn main() -> anyhow::Result<()> {
    let scope =
        Scope { routes: false, group_route: false, memberships: false, listeners: false, firewall: true };
    let facts = gather(&GatherOptions { scope, ..GatherOptions::default() })?;
    println!("{}", serde_json::to_string_pretty(&facts.firewall)?);
    Ok(())
}
