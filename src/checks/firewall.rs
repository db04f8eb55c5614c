//! The host firewall as the checklist sees it: the rulesets the platform read, judged again with what
//! the snapshot knows — the PnP interface, the phones' addresses (`--phone`, `--peer`, phones heard),
//! this host's address on that interface — so that `iifname "eth0" jump voip` is certain for eth0 and
//! an accept of the phones' subnet before a drop keeps the drop off them. The checks of
//! `network-multicast` and `pbx-membership` read the result; the fixes come from
//! [`crate::firewall::fix`], scoped to the phones' subnet.

use std::net::{IpAddr, Ipv4Addr};

use super::Snapshot;
use crate::facts::{FindingCertainty, FirewallFinding, FirewallFlow, SourceStatus};
use crate::firewall::fix::{self, FixContext};
use crate::firewall::{Context, Judgement, ProvisioningTarget, judge};
use crate::ruleset::FirewallTool;

/// The judgement and what its fixes need.
#[derive(Debug, Clone)]
pub struct FirewallView {
    pub judgement: Judgement,
    pub fix_context: FixContext,
    /// The one manager whose words a generic opening uses, when known ([`manager_in_use`]).
    pub manager_in_use: Option<crate::fix::Manager>,
}

impl FirewallView {
    /// The generic allow rule for the phones' SIP (when no judged finding has its own fix), in `os`'s
    /// words, scoped to the phones' subnet and the PnP interface.
    #[must_use]
    pub fn open_fix(&self, os: super::OsFamily) -> crate::fix::Fix {
        let context = &self.fix_context;
        super::remedy::open_firewall(
            os,
            context.port,
            context.subnet.as_deref(),
            context.interface.as_deref(),
            self.manager_in_use,
        )
    }

    #[must_use]
    pub fn new(snapshot: &Snapshot) -> Self {
        let firewall = &snapshot.facts.firewall;
        let interface = snapshot.pnp_interface();
        let phones: Vec<Ipv4Addr> = snapshot
            .known_hosts()
            .into_iter()
            .filter_map(|(ip, _)| match ip {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            })
            .collect();
        let nets: Vec<(Ipv4Addr, u8)> = interface
            .map(|i| {
                i.ipv4
                    .iter()
                    .filter_map(|n| match n.addr {
                        IpAddr::V4(v4) => Some((v4, n.prefix_len)),
                        IpAddr::V6(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        // The phones' subnet: the PnP interface's subnet that holds the first known phone, else its first.
        let holds = |(net, len): &(Ipv4Addr, u8), ip: Ipv4Addr| mask(*net, *len) == mask(ip, *len);
        let chosen = phones.iter().find_map(|p| nets.iter().find(|n| holds(n, *p))).or_else(|| nets.first());
        let subnet = chosen.map(|(addr, len)| format!("{}/{len}", mask(*addr, *len)));
        // The provisioning URL on another interface of this host: the phones' requests are judged too.
        let elsewhere = super::provisioning::url_elsewhere(snapshot);
        let fix_context = FixContext {
            subnet,
            interface: snapshot.pnp_interface.clone(),
            group: snapshot.group,
            port: snapshot.port,
            provisioning: elsewhere.as_ref().map(|url| (url.port, url.proto)),
        };
        if firewall.rulesets.is_empty() {
            // Made-up snapshots (and facts from an older gather) carry findings only.
            let judgement = Judgement {
                findings: firewall.findings.clone(),
                helpers: firewall.helpers.clone(),
                partial: firewall.partial,
                steps: 0,
            };
            return Self { judgement, fix_context, manager_in_use: manager_in_use(firewall) };
        }
        let context = Context {
            group: Some(snapshot.group),
            port: Some(snapshot.port),
            interface: snapshot.pnp_interface.clone(),
            phones,
            local: chosen.map(|(addr, _)| *addr),
            managers: firewall.managers.clone(),
            budget: 0,
            local_subnet: chosen.map(|(addr, len)| (mask(*addr, *len), *len)),
            programs: pnp_port_owners(snapshot),
            provisioning: elsewhere.and_then(|url| match url.address {
                IpAddr::V4(address) => Some(ProvisioningTarget {
                    address,
                    port: url.port,
                    proto: if url.proto == "udp" { 17 } else { 6 },
                    interface: url.interface.to_owned(),
                }),
                IpAddr::V6(_) => None,
            }),
        };
        Self {
            judgement: judge(&firewall.rulesets, &context),
            fix_context,
            manager_in_use: manager_in_use(firewall),
        }
    }

    /// Findings about any of `flows`.
    pub fn findings<'a>(&'a self, flows: &'a [FirewallFlow]) -> impl Iterator<Item = &'a FirewallFinding> {
        self.judgement
            .findings
            .iter()
            .filter(|f| flows.contains(&f.flow.unwrap_or(FirewallFlow::SubscribeIn)))
    }

    /// The rule that certainly drops mcready's probe (on its way out, or its looped-back copy).
    #[must_use]
    pub fn probe_drop(&self) -> Option<&FirewallFinding> {
        self.findings(&[FirewallFlow::ProbeOut, FirewallFlow::ProbeLoop])
            .find(|f| f.certainty == FindingCertainty::Drops)
    }

    /// Whether some rule certainly drops the phones' SUBSCRIBEs.
    #[must_use]
    pub fn subscribe_dropped(&self) -> bool {
        self.judgement.drops(FirewallFlow::SubscribeIn)
    }

    /// The typed fix of each finding, one per distinct remedy text, in the findings' order.
    #[must_use]
    pub fn typed_fixes<'a>(
        &self,
        findings: impl Iterator<Item = &'a FirewallFinding>,
    ) -> Vec<crate::fix::Fix> {
        let mut out: Vec<crate::fix::Fix> = Vec::new();
        for finding in findings {
            let typed = fix::typed(finding, &self.fix_context);
            if !out.iter().any(|f| f.text == typed.text) {
                out.push(typed);
            }
        }
        out
    }

    /// The findings' fixes as one: their texts joined as the remedy says them, their steps in order.
    #[must_use]
    pub fn joined_fix<'a>(
        &self,
        findings: impl Iterator<Item = &'a FirewallFinding>,
    ) -> Option<crate::fix::Fix> {
        let fixes = self.typed_fixes(findings);
        (!fixes.is_empty()).then(|| crate::fix::Fix::join(fixes))
    }
}

/// The image names of the processes that own a socket on the PnP port (the PBX, as a rule).
fn pnp_port_owners(snapshot: &Snapshot) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for listener in snapshot.facts.listeners.iter().filter(|l| l.local.port() == snapshot.port) {
        for process in &listener.processes {
            if process.name != "?" && !names.contains(&process.name) {
                names.push(process.name.clone());
            }
        }
    }
    names
}

fn mask(addr: Ipv4Addr, len: u8) -> Ipv4Addr {
    let len = u32::from(len.min(32));
    let bits = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Ipv4Addr::from(u32::from(addr) & bits)
}

/// A finding as a person reads it: the rule, where it is, and what a `may-drop` depends on.
#[must_use]
pub fn describe(finding: &FirewallFinding) -> String {
    let handle = finding.handle.map_or_else(String::new, |h| format!(" (handle {h})"));
    let mut text = format!("`{}` in {} {}{handle}", finding.rule, finding.table, finding.chain);
    if finding.certainty == FindingCertainty::MayDrop {
        let (unless, conditions): (Vec<&String>, Vec<&String>) =
            finding.depends_on.iter().partition(|d| d.starts_with("unless "));
        let join = |list: &[&String]| list.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        if !conditions.is_empty() {
            text = format!("{text} if {}", join(&conditions));
        }
        if !unless.is_empty() {
            text = format!("{text}, {}", join(&unless));
        }
    }
    text
}

/// The one manager an administrator changes the rules with, as found: ufw or firewalld when one of them
/// runs, else the one tool whose rules are there (nftables, iptables-nft, iptables-legacy); `None` when
/// none or several are found (then a generic opening names each one's command). Docker's and
/// kube-proxy's chains are rewritten by them, never the administrator's to change.
fn manager_in_use(firewall: &crate::facts::FirewallFacts) -> Option<crate::fix::Manager> {
    use crate::facts::FirewallManager as Found;
    use crate::fix::Manager;
    let pick = |wanted: &[(Found, Manager)]| {
        let found: Vec<Manager> =
            wanted.iter().filter(|(f, _)| firewall.managers.contains(f)).map(|(_, m)| *m).collect();
        match found.as_slice() {
            [one] => Some(Some(*one)),
            [] => None,
            _ => Some(None),
        }
    };
    if let Some(one) = pick(&[(Found::Ufw, Manager::Ufw), (Found::Firewalld, Manager::Firewalld)]) {
        return one;
    }
    // nft lists iptables-nft's tables too: they are iptables-nft's when iptables-nft-save shows rules.
    let with_rules = |tool: FirewallTool| {
        firewall.sources.iter().any(|s| s.tool == tool && s.status == SourceStatus::Read && s.rules > 0)
    };
    let iptables_nft = with_rules(FirewallTool::IptablesNftSave);
    let tools = [
        (with_rules(FirewallTool::Nft) && !iptables_nft, Manager::Nft),
        (iptables_nft, Manager::IptablesNft),
        (with_rules(FirewallTool::IptablesLegacySave), Manager::IptablesLegacy),
    ];
    let mut found = tools.iter().filter(|(has, _)| *has).map(|(_, m)| *m);
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::windows_wrong_nic;
    use super::super::multicast::{FIREWALL_IGMP, HOST_FIREWALL, RP_FILTER};
    use super::super::{Check, Snapshot, Status, evaluate};
    use crate::firewall::windows::{PolicyRecord, facts};

    fn policy() -> PolicyRecord {
        serde_json::from_str(include_str!("../../tests/fixtures/firewall/windows-pbx-host.json")).unwrap()
    }

    fn with_firewall(read: Result<PolicyRecord, String>) -> Snapshot {
        let mut snapshot = windows_wrong_nic();
        let adapters = [("{4F2A6C1E-8B3D-4E5F-9A0B-1C2D3E4F5A6B}".to_owned(), "Ethernet 2".to_owned())];
        snapshot.facts.firewall = facts(read, &adapters);
        snapshot
    }

    fn check(snapshot: &Snapshot, id: &str) -> Check {
        evaluate(snapshot).into_iter().flat_map(|r| r.checks).find(|c| c.id == id).unwrap()
    }

    #[test]
    fn windows_allow_rule_of_another_profile_fails_with_a_scoped_rule() {
        let snapshot = with_firewall(Ok(policy()));
        let result = check(&snapshot, HOST_FIREWALL);
        assert_eq!(result.status, Status::Fail, "{result:#?}");
        assert!(
            result.summary.contains(
                "`default inbound action: block` in Windows Defender Firewall inbound, Public profile"
            ),
            "{}",
            result.summary
        );
        let remedy = result.remedy.unwrap_or_default();
        assert!(
            remedy.contains("`New-NetFirewallRule -DisplayName 'mcready SIP PnP' -Direction Inbound -Protocol UDP -LocalPort 5060 -InterfaceAlias 'Ethernet 2' -RemoteAddress LocalSubnet -Action Allow`"),
            "{remedy}"
        );
        assert_eq!(check(&snapshot, FIREWALL_IGMP).status, Status::Pass);
    }

    #[test]
    fn windows_firewall_off_in_the_adapters_profile_passes_and_says_so() {
        let mut off = policy();
        off.profiles.iter_mut().for_each(|p| p.firewall_enabled = false);
        let result = check(&with_firewall(Ok(off)), HOST_FIREWALL);
        assert_eq!(result.status, Status::Pass);
        assert!(result.summary.contains("Public (in force) [Ethernet 2]: off"), "{}", result.summary);
    }

    #[test]
    fn windows_firewall_unreadable_skips_with_the_hresult_and_the_commands() {
        let snapshot = with_firewall(Err("CoCreateInstance(NetFwPolicy2): HRESULT 0x80040154".into()));
        let result = check(&snapshot, HOST_FIREWALL);
        assert_eq!(result.status, Status::Skip);
        assert!(result.summary.contains("0x80040154"), "{}", result.summary);
        assert!(result.summary.contains("Get-NetFirewallProfile"), "{}", result.summary);
    }

    #[test]
    fn rp_filter_is_not_applicable_off_linux() {
        let result = check(&with_firewall(Ok(policy())), RP_FILTER);
        assert_eq!(result.status, Status::Skip);
        assert!(result.summary.starts_with("Not applicable"), "{}", result.summary);
    }
}
