//! The report's `untested` (DESIGN, "No green without evidence"): the requirements and checks that
//! lacked their deciding evidence, each with what would test it, and the checks a run without
//! privileges had to skip, with the privilege named as this OS names it and how to grant it.
//!
//! A requirement is untested when the check its claim rests on ([`registry::RequirementDef::decided_by`])
//! is, even when its other checks passed: host-side passes say nothing of the path across the switch.
//! The lists are built once, with the OS's wording, so every renderer prints the same words.

use serde::Serialize;

use crate::checks::registry;
use crate::snapshot::OsFamily;
use crate::verdict::{Privilege, Requirement, Untested};

/// `untested` of `mcready.report/v1`; absent from the JSON when a run lacked nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UntestedReport {
    pub requirements: Vec<UntestedRequirement>,
    pub checks: Vec<UntestedCheck>,
}

/// A requirement whose deciding check lacked its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UntestedRequirement {
    pub id: &'static str,
    /// The check it rests on.
    pub check: &'static str,
    /// What would test it (`--peer IP`, `--listen 120`, root…).
    pub how: String,
}

/// A check that was `skip` for lack of evidence or of a privilege.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UntestedCheck {
    pub id: &'static str,
    pub requirement: &'static str,
    /// `evidence` or `privilege`.
    pub lacked: &'static str,
    /// The privilege, as this OS names it (`root`, `root or CAP_NET_RAW`, `an elevated prompt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<&'static str>,
    pub how: String,
}

impl UntestedReport {
    /// What `requirements` lacked, in the OS's words.
    #[must_use]
    pub fn of(requirements: &[Requirement], os: OsFamily) -> Self {
        let mut report = Self::default();
        for requirement in requirements {
            for check in &requirement.checks {
                let Some(untested) = &check.untested else { continue };
                let (lacked, needs, how) = match untested {
                    Untested::Evidence { how } => ("evidence", None, how.clone()),
                    Untested::Privilege { needs } => {
                        ("privilege", Some(privilege_name(*needs, os)), grant(*needs, os).to_owned())
                    }
                };
                report.checks.push(UntestedCheck {
                    id: check.id,
                    requirement: requirement.id,
                    lacked,
                    needs,
                    how,
                });
            }
            let decided_by =
                registry::REQUIREMENTS.iter().find(|def| def.id == requirement.id).map(|def| def.decided_by);
            if let Some(deciding) = report.checks.iter().find(|c| Some(c.id) == decided_by) {
                report.requirements.push(UntestedRequirement {
                    id: requirement.id,
                    check: deciding.id,
                    how: deciding.how.clone(),
                });
            }
        }
        report
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty() && self.checks.is_empty()
    }

    /// Whether requirement `id` is untested.
    #[must_use]
    pub fn requirement(&self, id: &str) -> bool {
        self.requirements.iter().any(|r| r.id == id)
    }

    /// The checks skipped for lack of privilege.
    pub fn unprivileged(&self) -> impl Iterator<Item = &UntestedCheck> {
        self.checks.iter().filter(|c| c.needs.is_some())
    }

    /// `network-multicast — test with `--peer IP` …; phone-pnp — …`: each untested requirement with what
    /// tests it, those tested the same way together. `None` when every requirement was tested.
    #[must_use]
    pub fn requirements_line(&self) -> Option<String> {
        let mut groups: Vec<(Vec<&str>, &str)> = Vec::new();
        for requirement in &self.requirements {
            match groups.iter_mut().find(|(_, how)| *how == requirement.how) {
                Some((ids, _)) => ids.push(requirement.id),
                None => groups.push((vec![requirement.id], &requirement.how)),
            }
        }
        let parts: Vec<String> =
            groups.iter().map(|(ids, how)| format!("{} — test with {how}", ids.join(", "))).collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// `Skipped for lack of privilege: …`: the checks skipped for lack of privilege, what each needs, and
    /// how to grant it; `None` when the run lacked none.
    #[must_use]
    pub fn privilege_line(&self) -> Option<String> {
        self.privileges(true).map(|list| format!("Skipped for lack of privilege: {list}"))
    }

    /// The untested requirements by id alone, for a one-line status.
    #[must_use]
    pub fn requirement_ids(&self) -> Option<String> {
        let ids: Vec<&str> = self.requirements.iter().map(|r| r.id).collect();
        (!ids.is_empty()).then(|| ids.join(", "))
    }

    /// The checks skipped for lack of privilege grouped by what they need (`A, B need root; C needs root or
    /// CAP_NET_RAW`), with how to grant each or without (a plugin's status line names what needs root;
    /// the checklist also says how to grant it).
    #[must_use]
    pub fn privileges(&self, with_grant: bool) -> Option<String> {
        let mut needs: Vec<(&str, Vec<&str>, &str)> = Vec::new();
        for check in self.unprivileged() {
            let name = check.needs.unwrap_or_default();
            match needs.iter_mut().find(|(n, _, _)| *n == name) {
                Some((_, ids, _)) => ids.push(check.id),
                None => needs.push((name, vec![check.id], &check.how)),
            }
        }
        if needs.is_empty() {
            return None;
        }
        let parts: Vec<String> = needs
            .iter()
            .map(|(name, ids, how)| {
                let verb = if ids.len() == 1 { "needs" } else { "need" };
                let grant = if with_grant { format!(": {how}") } else { String::new() };
                format!("{} {verb} {name}{grant}", ids.join(", "))
            })
            .collect();
        Some(parts.join("; "))
    }
}

/// The privilege as `os` names it.
#[must_use]
pub fn privilege_name(privilege: Privilege, os: OsFamily) -> &'static str {
    match (os, privilege) {
        (OsFamily::Linux, Privilege::Admin) | (OsFamily::Macos, _) => "root",
        (OsFamily::Linux, Privilege::RawSockets) => "root or CAP_NET_RAW",
        (OsFamily::Windows, _) => "an elevated prompt",
    }
}

/// How to grant `privilege` on `os`.
fn grant(privilege: Privilege, os: OsFamily) -> &'static str {
    match (os, privilege) {
        (OsFamily::Linux, Privilege::Admin) | (OsFamily::Macos, _) => "run mcready with sudo",
        (OsFamily::Linux, Privilege::RawSockets) => {
            "run mcready with sudo, or give the binary the capability once: `sudo setcap cap_net_raw+ep $(command -v mcready)`"
        }
        (OsFamily::Windows, _) => "run mcready from an elevated prompt (Run as administrator)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::healthy;
    use crate::observed::Observed;

    #[test]
    fn a_run_without_peer_or_window_leaves_the_path_and_the_phones_untested() {
        let mut snapshot = healthy();
        snapshot.peer = Observed::NotAsked;
        snapshot.listen = Observed::NotAsked;
        let requirements = crate::checks::evaluate(&snapshot);
        let network = requirements.iter().find(|r| r.id == registry::NETWORK_MULTICAST).unwrap();
        assert_eq!(network.status, crate::verdict::Status::Pass, "host-side checks pass: {network:#?}");
        let untested = UntestedReport::of(&requirements, OsFamily::Linux);
        assert!(untested.requirement(registry::NETWORK_MULTICAST), "{untested:#?}");
        assert!(untested.requirement(registry::PHONE_PNP), "{untested:#?}");
        assert!(!untested.requirement(registry::PBX_MEMBERSHIP), "{untested:#?}");
        let line = untested.requirements_line().unwrap();
        assert!(line.contains("--peer IP") && line.contains("--listen 120"), "{line}");
        assert_eq!(untested.privilege_line(), None);
    }

    #[test]
    fn privileges_are_named_per_os() {
        assert_eq!(privilege_name(Privilege::RawSockets, OsFamily::Linux), "root or CAP_NET_RAW");
        assert_eq!(privilege_name(Privilege::Admin, OsFamily::Windows), "an elevated prompt");
        assert!(grant(Privilege::RawSockets, OsFamily::Linux).contains("setcap cap_net_raw+ep"));
        assert!(grant(Privilege::Admin, OsFamily::Windows).contains("elevated"));
    }
}
