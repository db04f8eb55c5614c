//! The firewall fix: for a rule that drops a PnP datagram, the steps that let it through, in the words
//! of the manager that owns the rule (ufw, firewalld, plain nftables, iptables of either backend, Windows
//! Defender Firewall, pf — each spelled by its module in `managers`), and how to keep the change after a
//! reboot. It owns two decisions:
//!
//! - **who owns a rule**: ufw's and firewalld's chains by their names, Docker's (`DOCKER*`) and
//!   kube-proxy's (`KUBE-*`) chains as theirs (they rewrite them, so they are never edited by hand),
//!   and otherwise the tool that listed it;
//! - **how narrow an opening is**: SIP is opened to the phones' subnet only, never to everyone (SIP
//!   open to the world invites toll fraud); IGMP only on the phones' interface (it never leaves the
//!   link anyway). An accept goes just before the rule that drops, in the same table and chain.

use crate::facts::{FirewallFinding, FirewallFlow, FirewallManager, FirewallVerdict};
use crate::fix::{FirewallRule, Step};
use crate::managers::{firewalld, iptables, nft, pf, ufw, windows_firewall};
use crate::ruleset::{Family, FirewallTool, Netfilter, Table};

/// Who owns the chain a finding is in.
#[must_use]
pub fn manager_of(
    ruleset: &Netfilter,
    table: &Table,
    chain: &str,
    present: &[FirewallManager],
) -> FirewallManager {
    let has_chain = |prefix: &str| table.chains.iter().any(|c| c.name.starts_with(prefix));
    if ruleset.tool == Some(FirewallTool::Pf) {
        return FirewallManager::Pf;
    }
    if chain.starts_with("ufw-") || chain.starts_with("ufw6-") {
        return FirewallManager::Ufw;
    }
    if table.name.contains("firewalld") || chain.starts_with("filter_IN_") || chain.starts_with("IN_") {
        return FirewallManager::Firewalld;
    }
    if chain.starts_with("DOCKER") {
        return FirewallManager::Docker;
    }
    if chain.starts_with("KUBE-") {
        return FirewallManager::KubeProxy;
    }
    // ufw sets the built-in chains' policies and hangs its own chains off them.
    if table.family == Family::Iptables && (has_chain("ufw-") || present.contains(&FirewallManager::Ufw)) {
        return FirewallManager::Ufw;
    }
    match ruleset.tool {
        Some(FirewallTool::IptablesNftSave) => FirewallManager::IptablesNft,
        Some(FirewallTool::IptablesLegacySave) => FirewallManager::IptablesLegacy,
        Some(FirewallTool::WindowsFirewall) => FirewallManager::WindowsFirewall,
        _ => FirewallManager::Nftables,
    }
}

/// What the fix needs to know besides the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixContext {
    /// The phones' subnet in CIDR form (`198.51.100.0/24`); `None` writes a placeholder.
    pub subnet: Option<String>,
    /// The PnP interface.
    pub interface: Option<String>,
    pub group: std::net::Ipv4Addr,
    pub port: u16,
    /// The provisioning URL's port and protocol (`tcp`, `udp` for TFTP), when it is served from this
    /// host's address on another interface than the PnP one (its requests are a flow of their own).
    pub provisioning: Option<(u16, &'static str)>,
}

/// A fix: the steps to run now, and how to keep the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub manager: FirewallManager,
    /// The changes to the running firewall, in the owning manager's words (each command with `sudo`).
    pub steps: Vec<Step>,
    /// How to make it survive a reboot.
    pub persist: String,
    /// Said before the commands (e.g. "this chain is Docker's").
    pub note: Option<String>,
}

impl Fix {
    /// The steps' commands, in order.
    #[must_use]
    pub fn commands(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.command.as_str()).collect()
    }

    /// One sentence: `Fix for `RULE` (manager): run `a` then `b`; to keep it after a reboot: …`.
    #[must_use]
    pub fn render(&self, finding: &FirewallFinding) -> String {
        let commands: Vec<String> = self.commands().iter().map(|c| format!("`{c}`")).collect();
        let note = self.note.as_ref().map_or_else(String::new, |n| format!("{n} "));
        format!(
            "Fix for `{}` in {} {} ({}): {note}run {}; to keep it after a reboot: {}.",
            finding.rule,
            finding.table,
            finding.chain,
            manager_name(self.manager),
            commands.join(" then "),
            self.persist
        )
    }
}

#[must_use]
pub fn manager_name(manager: FirewallManager) -> &'static str {
    match manager {
        FirewallManager::Ufw => "ufw",
        FirewallManager::Firewalld => "firewalld",
        FirewallManager::Docker => "Docker's own chain",
        FirewallManager::KubeProxy => "kube-proxy's own chain",
        FirewallManager::Nftables => "nftables",
        FirewallManager::IptablesNft => "iptables-nft",
        FirewallManager::IptablesLegacy => "iptables-legacy",
        FirewallManager::WindowsFirewall => "Windows Defender Firewall",
        FirewallManager::Pf => "pf",
    }
}

/// The accept each datagram needs, as nft words and as iptables options.
fn accept_for(flow: FirewallFlow, context: &FixContext) -> (String, String) {
    let subnet = context.subnet.clone().unwrap_or_else(|| "<phones' subnet>".into());
    let port = context.port;
    let group = context.group;
    match flow {
        // The looped-back probe comes from this host's own address, which is in the phones' subnet.
        FirewallFlow::SubscribeIn | FirewallFlow::ProbeLoop => {
            (nft::accept_sip_words(&subnet, port), iptables::accept_sip_spec(&subnet, port))
        }
        FirewallFlow::ProbeOut => (
            format!("ip daddr {group} udp dport {port} accept"),
            format!("-d {group} -p udp --dport {port} -j ACCEPT"),
        ),
        FirewallFlow::AnswerOut => (
            format!("ip daddr {subnet} udp sport {port} accept"),
            format!("-d {subnet} -p udp --sport {port} -j ACCEPT"),
        ),
        FirewallFlow::ProvisioningIn => {
            let (port, proto) = context.provisioning.unwrap_or((80, "tcp"));
            (
                format!("ip saddr {subnet} {proto} dport {port} accept"),
                format!("-s {subnet} -p {proto} --dport {port} -j ACCEPT"),
            )
        }
        FirewallFlow::IgmpIn | FirewallFlow::IgmpOut => {
            let inbound = flow == FirewallFlow::IgmpIn;
            if let Some(name) = &context.interface {
                let (nft, ipt) = if inbound { ("iifname", "-i") } else { ("oifname", "-o") };
                (format!("{nft} {name} ip protocol igmp accept"), format!("{ipt} {name} -p igmp -j ACCEPT"))
            } else {
                // No interface known: IGMP to multicast addresses only (it never leaves the link).
                (
                    "ip daddr 224.0.0.0/4 ip protocol igmp accept".to_owned(),
                    "-d 224.0.0.0/4 -p igmp -j ACCEPT".to_owned(),
                )
            }
        }
    }
}

/// The fix for one finding.
#[must_use]
#[allow(clippy::too_many_lines)] // One arm per manager, each in its own words: apart, they would hide the choice.
pub fn fix(finding: &FirewallFinding, context: &FixContext) -> Fix {
    let flow = finding.flow.unwrap_or(FirewallFlow::SubscribeIn);
    let manager = finding.manager.unwrap_or(match finding.tool {
        FirewallTool::Nft => FirewallManager::Nftables,
        FirewallTool::IptablesNftSave => FirewallManager::IptablesNft,
        FirewallTool::IptablesLegacySave => FirewallManager::IptablesLegacy,
        FirewallTool::WindowsFirewall => FirewallManager::WindowsFirewall,
        FirewallTool::Pf => FirewallManager::Pf,
    });
    let (nft_words, ipt_words) = accept_for(flow, context);
    let subnet = context.subnet.clone().unwrap_or_else(|| "<phones' subnet>".into());
    let port = context.port;
    let policy = finding.verdict == FirewallVerdict::PolicyDrop;
    // Just before the rule that drops; after every rule when the chain's policy drops.
    let iptables_rule = |program: iptables::Program, chain: &str, position: Option<usize>| {
        iptables::add_rule(program, &finding.table, chain, position.filter(|_| !policy), &ipt_words)
    };
    let nft_place = match finding.handle {
        Some(handle) if !policy => nft::Place::Before(handle),
        _ => nft::Place::End,
    };
    match manager {
        FirewallManager::Ufw => {
            let persist = ufw::PERSIST_HINT.to_owned();
            let (steps, persist) = match flow {
                FirewallFlow::SubscribeIn | FirewallFlow::ProbeLoop => {
                    (vec![ufw::allow_sip(&subnet, port)], persist)
                }
                FirewallFlow::AnswerOut => (vec![ufw::allow_answers_out(&subnet, port)], persist),
                FirewallFlow::ProbeOut => (vec![ufw::allow_group_out(context.group, port)], persist),
                FirewallFlow::ProvisioningIn => {
                    let (port, proto) = context.provisioning.unwrap_or((80, "tcp"));
                    (vec![ufw::allow_from(&subnet, port, proto)], persist)
                }
                FirewallFlow::IgmpIn | FirewallFlow::IgmpOut => {
                    let chain =
                        if flow == FirewallFlow::IgmpIn { "ufw-before-input" } else { "ufw-before-output" };
                    (vec![ufw::reload()], ufw::before_rules_hint(chain, &ipt_words))
                }
            };
            Fix { manager, steps, persist, note: None }
        }
        FirewallManager::Firewalld => {
            let zone = firewalld::zone_of_chain(&finding.chain).map_or_else(
                || match &context.interface {
                    Some(name) => firewalld::zone_of_interface(name),
                    None => "public".to_owned(),
                },
                str::to_owned,
            );
            let rule = match flow {
                FirewallFlow::SubscribeIn | FirewallFlow::ProbeLoop => {
                    firewalld::allow_sip(Some(&zone), &subnet, port)
                }
                FirewallFlow::IgmpIn => firewalld::allow_igmp(&zone),
                FirewallFlow::AnswerOut | FirewallFlow::ProbeOut | FirewallFlow::IgmpOut => {
                    firewalld::allow_output(&ipt_words)
                }
                FirewallFlow::ProvisioningIn => {
                    let (port, proto) = context.provisioning.unwrap_or((80, "tcp"));
                    firewalld::allow_from(Some(&zone), &subnet, port, proto)
                }
            };
            Fix {
                manager,
                steps: vec![rule, firewalld::reload()],
                persist: firewalld::PERSIST_HINT.into(),
                note: None,
            }
        }
        FirewallManager::Docker | FirewallManager::KubeProxy => {
            let owner = if manager == FirewallManager::Docker { "Docker" } else { "kube-proxy" };
            let base = finding.hook.to_ascii_uppercase();
            let (step, persist) = match finding.tool {
                FirewallTool::Nft => (
                    nft::add_rule(&finding.table, &finding.chain, nft::Place::Top, &nft_words),
                    "add it to /etc/nftables.conf in a table of your own".to_owned(),
                ),
                FirewallTool::IptablesLegacySave => (
                    iptables_rule(iptables::Program::Legacy, &base, Some(1)),
                    "`sudo netfilter-persistent save`".to_owned(),
                ),
                _ => (
                    iptables_rule(iptables::Program::Nft, &base, Some(1)),
                    "`sudo netfilter-persistent save`".to_owned(),
                ),
            };
            Fix {
                manager,
                steps: vec![step],
                persist,
                note: Some(format!(
                    "chain {} is {owner}'s own and {owner} rewrites it, so do not edit it; accept the traffic before \
                     {owner}'s rules instead:",
                    finding.chain
                )),
            }
        }
        FirewallManager::WindowsFirewall => windows_fix(finding, flow, context),
        FirewallManager::Pf => {
            let port = match (flow, context.provisioning) {
                (FirewallFlow::ProvisioningIn, Some((port, _))) => port,
                _ => port,
            };
            pf_fix(flow, &subnet, port)
        }
        FirewallManager::Nftables => Fix {
            manager,
            steps: vec![nft::add_rule(&finding.table, &finding.chain, nft_place, &nft_words)],
            persist: nft::persist_hint(
                &nft_words,
                &finding.table,
                &finding.chain,
                (!policy).then_some(finding.rule.as_str()),
            ),
            note: None,
        },
        FirewallManager::IptablesNft | FirewallManager::IptablesLegacy => {
            let program = if manager == FirewallManager::IptablesNft {
                iptables::Program::Nft
            } else {
                iptables::Program::Legacy
            };
            Fix {
                manager,
                steps: vec![iptables_rule(program, &finding.chain, finding.position)],
                persist: iptables::PERSIST_HINT.into(),
                note: None,
            }
        }
    }
}

/// pf evaluates the last matching rule unless one is `quick`: a `quick` pass for the phones' subnet wins
/// over any later block.
fn pf_fix(flow: FirewallFlow, subnet: &str, port: u16) -> Fix {
    let rule = match flow {
        FirewallFlow::IgmpIn => format!("pass in quick proto igmp from {subnet}"),
        FirewallFlow::IgmpOut => "pass out quick proto igmp to 224.0.0.0/4".to_owned(),
        FirewallFlow::AnswerOut => format!("pass out quick proto udp from any port {port} to {subnet}"),
        FirewallFlow::ProbeOut => format!("pass out quick proto udp to 224.0.0.0/4 port {port}"),
        FirewallFlow::SubscribeIn | FirewallFlow::ProbeLoop => {
            format!("pass in quick proto udp from {subnet} to any port {port}")
        }
        // `port` is the provisioning URL's here (see the caller).
        FirewallFlow::ProvisioningIn => format!("pass in quick proto tcp from {subnet} to any port {port}"),
    };
    Fix {
        manager: FirewallManager::Pf,
        steps: vec![pf::load_anchor(&rule)],
        persist: pf::persist_hint(&rule),
        note: None,
    }
}

/// Windows Defender Firewall. A default block needs an allow rule, scoped to the phones: UDP to the PnP
/// port from `LocalSubnet` on the PnP adapter only (the phones share its subnet: that is a PnP
/// requirement), IGMP (protocol 2) on that adapter only. The rule applies in every profile
/// (`New-NetFirewallRule`'s default), so the network's category is never changed. A block rule beats
/// every allow rule, so that rule itself must go: only it, by its display name, after looking at what
/// else it blocks.
fn windows_fix(finding: &FirewallFinding, flow: FirewallFlow, context: &FixContext) -> Fix {
    let port = context.port;
    let manager = FirewallManager::WindowsFirewall;
    let persist = windows_firewall::PERSIST_HINT.to_owned();
    if finding.verdict == FirewallVerdict::Drop {
        return Fix {
            manager,
            steps: vec![windows_firewall::show_rule(&finding.rule), windows_firewall::disable_rule(&finding.rule)],
            persist,
            note: Some(
                "a block rule beats every allow rule: see what else it blocks, then disable that rule alone (or \
                 narrow its ports or remote addresses so that it leaves the phones out):"
                    .into(),
            ),
        };
    }
    if finding.rule == "block all incoming connections" {
        let profile =
            finding.chain.split(", ").nth(1).and_then(|p| p.strip_suffix(" profile")).unwrap_or("<profile>");
        return Fix {
            manager,
            steps: vec![windows_firewall::allow_inbound_rules(profile)],
            persist,
            note: Some(format!(
                "the {profile} profile blocks all incoming connections, whatever the allow rules say; let its allow \
                 rules apply again (this changes no network's category):"
            )),
        };
    }
    let interface = context.interface.as_deref();
    let rule = windows_firewall::phones_rule;
    let step = match flow {
        FirewallFlow::IgmpIn => windows_firewall::allow(
            "SIP PnP IGMP",
            FirewallRule { remote_addresses: "*".into(), ..rule(true, 2, interface) },
            true,
        ),
        FirewallFlow::IgmpOut => windows_firewall::allow(
            "SIP PnP IGMP out",
            FirewallRule { remote_addresses: "*".into(), ..rule(false, 2, interface) },
            true,
        ),
        FirewallFlow::AnswerOut => windows_firewall::allow(
            "SIP PnP answers",
            FirewallRule { local_port: Some(port), ..rule(false, 17, interface) },
            true,
        ),
        FirewallFlow::ProbeOut => windows_firewall::allow(
            "SIP PnP probe",
            FirewallRule {
                remote_port: Some(port),
                remote_addresses: context.group.to_string(),
                ..rule(false, 17, interface)
            },
            true,
        ),
        FirewallFlow::ProvisioningIn => {
            let (port, proto) = context.provisioning.unwrap_or((80, "tcp"));
            // Served on another adapter than the PnP one: the rule names none.
            windows_firewall::allow(
                "SIP PnP provisioning",
                FirewallRule {
                    local_port: Some(port),
                    interface: None,
                    ..rule(true, if proto == "udp" { 17 } else { 6 }, interface)
                },
                false,
            )
        }
        FirewallFlow::SubscribeIn | FirewallFlow::ProbeLoop => windows_firewall::allow_sip(port, interface),
    };
    Fix { manager, steps: vec![step], persist, note: None }
}

/// The typed form of a judged fix: the prose is [`Fix::render`]'s, so the remedy and the steps come
/// from the same writer.
#[must_use]
pub fn typed(finding: &FirewallFinding, context: &FixContext) -> crate::fix::Fix {
    let fix = fix(finding, context);
    crate::fix::Fix { text: fix.render(finding), steps: fix.steps }
}
