//! `pfctl` (macOS' pf): a `quick` pass rule (pf otherwise takes the last matching rule) loaded into an
//! anchor of mcready's own. Stock pf.conf evaluates `anchor "com.apple/*"`, so a sub-anchor there takes
//! effect at once; for good it belongs in an anchor `/etc/pf.conf` loads ([`persist_hint`]).

use crate::fix::{Manager, Os, Step};

/// Load `rule` into the anchor `com.apple/mcready`; undone by flushing that anchor's rules.
#[must_use]
pub fn load_anchor(rule: &str) -> Step {
    Step::new(
        Os::Macos,
        Manager::Pf,
        "load a pass rule into pf anchor com.apple/mcready",
        format!("echo '{rule}' | sudo pfctl -a com.apple/mcready -f -"),
    )
    .undo("sudo pfctl -a com.apple/mcready -F rules")
}

#[must_use]
pub fn persist_hint(rule: &str) -> String {
    format!(
        "add `anchor \"mcready\"` and `load anchor \"mcready\" from \"/etc/pf.anchors/mcready\"` to /etc/pf.conf, put `{rule}` in /etc/pf.anchors/mcready, then `sudo pfctl -f /etc/pf.conf`"
    )
}
