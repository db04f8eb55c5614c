//! The fix writer: for a rule that drops a PnP datagram, the exact commands that let it through, in the
//! words of the manager that owns the rule (ufw, firewalld, plain nftables, iptables of either backend),
//! and how to keep the change after a reboot. It owns two decisions:
//!
//! - **who owns a rule**: ufw's and firewalld's chains by their names, Docker's (`DOCKER*`) and
//!   kube-proxy's (`KUBE-*`) chains as theirs (they rewrite them, so they are never edited by hand),
//!   and otherwise the tool that listed it;
//! - **how narrow an opening is**: SIP is opened to the phones' subnet only, never to everyone (SIP
//!   open to the world invites toll fraud); IGMP only on the phones' interface (it never leaves the
//!   link anyway). An accept goes just before the rule that drops, in the same table and chain.

use crate::facts::{FirewallFinding, FirewallFlow, FirewallManager, FirewallVerdict};
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

/// A fix: commands to run now, and how to keep the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub manager: FirewallManager,
    /// Shell commands that change the running firewall (prefixed with `sudo`).
    pub apply: Vec<String>,
    /// How to make it survive a reboot.
    pub persist: String,
    /// Said before the commands (e.g. "this chain is Docker's").
    pub note: Option<String>,
}

impl Fix {
    /// One sentence: `Fix for `RULE` (manager): run `a` then `b`; to keep it after a reboot: …`.
    #[must_use]
    pub fn render(&self, finding: &FirewallFinding) -> String {
        let commands: Vec<String> = self.apply.iter().map(|c| format!("`{c}`")).collect();
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
            (nft_accept_sip(&subnet, port), iptables_accept_sip(&subnet, port))
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
    let iptables = |program: &str, chain: &str, position: Option<usize>| {
        let table = if finding.table == "filter" { String::new() } else { format!("-t {} ", finding.table) };
        match position {
            Some(n) if !policy => format!("sudo {program} {table}-I {chain} {n} {ipt_words}"),
            _ => format!("sudo {program} {table}-A {chain} {ipt_words}"),
        }
    };
    let nft = |chain: &str| match finding.handle {
        Some(handle) if !policy => {
            format!("sudo nft insert rule {} {chain} position {handle} {nft_words}", finding.table)
        }
        _ => format!("sudo nft add rule {} {chain} {nft_words}", finding.table),
    };
    match manager {
        FirewallManager::Ufw => {
            let (apply, persist) = match flow {
                FirewallFlow::SubscribeIn | FirewallFlow::ProbeLoop => {
                    (vec![ufw_allow_sip(&subnet, port)], "ufw keeps its rules by itself".to_owned())
                }
                FirewallFlow::AnswerOut => (
                    vec![format!("sudo ufw allow out proto udp from any port {port} to {subnet}")],
                    "ufw keeps its rules by itself".to_owned(),
                ),
                FirewallFlow::ProbeOut => (
                    vec![format!("sudo ufw allow out proto udp to {} port {port}", context.group)],
                    "ufw keeps its rules by itself".to_owned(),
                ),
                FirewallFlow::ProvisioningIn => {
                    let (port, proto) = context.provisioning.unwrap_or((80, "tcp"));
                    (
                        vec![format!("sudo ufw allow from {subnet} to any port {port} proto {proto}")],
                        "ufw keeps its rules by itself".to_owned(),
                    )
                }
                FirewallFlow::IgmpIn | FirewallFlow::IgmpOut => {
                    let chain =
                        if flow == FirewallFlow::IgmpIn { "ufw-before-input" } else { "ufw-before-output" };
                    (
                        vec!["sudo ufw reload".to_owned()],
                        format!(
                            "first add the line `-A {chain} {ipt_words}` to /etc/ufw/before.rules (before its COMMIT line); \
                             ufw keeps it from then on"
                        ),
                    )
                }
            };
            Fix { manager, apply, persist, note: None }
        }
        FirewallManager::Firewalld => {
            let zone = firewalld_zone(&finding.chain).map_or_else(
                || match &context.interface {
                    Some(name) => format!("$(firewall-cmd --get-zone-of-interface={name})"),
                    None => "public".to_owned(),
                },
                str::to_owned,
            );
            let apply = match flow {
                FirewallFlow::SubscribeIn | FirewallFlow::ProbeLoop => {
                    vec![firewalld_allow_sip(Some(&zone), &subnet, port)]
                }
                FirewallFlow::IgmpIn => vec![format!(
                    "sudo firewall-cmd --permanent --zone={zone} --add-rich-rule='rule family=\"ipv4\" protocol value=\"igmp\" accept'"
                )],
                FirewallFlow::ProvisioningIn => {
                    let (port, proto) = context.provisioning.unwrap_or((80, "tcp"));
                    vec![format!(
                        "sudo firewall-cmd --permanent --add-rich-rule='rule family=\"ipv4\" source address=\"{subnet}\" port port=\"{port}\" protocol=\"{proto}\" accept'"
                    )]
                }
                FirewallFlow::AnswerOut | FirewallFlow::ProbeOut | FirewallFlow::IgmpOut => vec![format!(
                    "sudo firewall-cmd --permanent --direct --add-rule ipv4 filter OUTPUT 0 {ipt_words}"
                )],
            };
            let mut apply = apply;
            apply.push("sudo firewall-cmd --reload".into());
            Fix { manager, apply, persist: "`--permanent` already keeps it".into(), note: None }
        }
        FirewallManager::Docker | FirewallManager::KubeProxy => {
            let owner = if manager == FirewallManager::Docker { "Docker" } else { "kube-proxy" };
            let base = finding.hook.to_ascii_uppercase();
            let (apply, persist) = match finding.tool {
                FirewallTool::Nft => (
                    vec![format!("sudo nft insert rule {} {} {nft_words}", finding.table, finding.chain)],
                    "add it to /etc/nftables.conf in a table of your own".to_owned(),
                ),
                FirewallTool::IptablesLegacySave => (
                    vec![iptables("iptables-legacy", &base, Some(1))],
                    "`sudo netfilter-persistent save`".to_owned(),
                ),
                _ => (
                    vec![iptables("iptables-nft", &base, Some(1))],
                    "`sudo netfilter-persistent save`".to_owned(),
                ),
            };
            Fix {
                manager,
                apply,
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
            apply: vec![nft(&finding.chain)],
            persist: if policy {
                format!(
                    "add `{nft_words}` at the end of chain {} of table {} in /etc/nftables.conf",
                    finding.chain, finding.table
                )
            } else {
                format!(
                    "add `{nft_words}` just before `{}` in chain {} of table {} in /etc/nftables.conf",
                    finding.rule, finding.chain, finding.table
                )
            },
            note: None,
        },
        FirewallManager::IptablesNft | FirewallManager::IptablesLegacy => {
            let program =
                if manager == FirewallManager::IptablesNft { "iptables-nft" } else { "iptables-legacy" };
            Fix {
                manager,
                apply: vec![iptables(program, &finding.chain, finding.position)],
                persist: "`sudo netfilter-persistent save` (package iptables-persistent)".into(),
                note: None,
            }
        }
    }
}

/// pf evaluates the last matching rule unless one is `quick`: a `quick` pass for the phones' subnet wins
/// over any later block. For good it belongs in an anchor of mcready's own that `/etc/pf.conf` loads.
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
        // Stock pf.conf evaluates `anchor "com.apple/*"`, so a sub-anchor there takes effect at once.
        apply: vec![format!("echo '{rule}' | sudo pfctl -a com.apple/mcready -f -")],
        persist: format!(
            "add `anchor \"mcready\"` and `load anchor \"mcready\" from \"/etc/pf.anchors/mcready\"` to /etc/pf.conf, put `{rule}` in /etc/pf.anchors/mcready, then `sudo pfctl -f /etc/pf.conf`"
        ),
        note: None,
    }
}

/// Windows Defender Firewall. A default block needs an allow rule, scoped to the phones: UDP to the PnP
/// port from `LocalSubnet` on the PnP adapter only (the phones share its subnet: that is a PnP
/// requirement), IGMP (protocol 2) on that adapter only. The rule applies in every profile
/// (`New-NetFirewallRule`'s default), so the network's category is never changed. A block rule beats
/// every allow rule, so that rule itself must go: only it, by its display name, after looking at what
/// else it blocks. Every name is a PowerShell single-quoted string.
fn windows_fix(finding: &FirewallFinding, flow: FirewallFlow, context: &FixContext) -> Fix {
    use crate::quote::powershell as powershell_quote;
    let port = context.port;
    let on_adapter = windows_adapter_scope(context.interface.as_deref());
    let manager = FirewallManager::WindowsFirewall;
    let persist = "Windows keeps firewall rules".to_owned();
    if finding.verdict == FirewallVerdict::Drop {
        let name = powershell_quote(&finding.rule);
        return Fix {
            manager,
            apply: vec![
                format!("Get-NetFirewallRule -DisplayName {name} | Get-NetFirewallPortFilter"),
                format!("Disable-NetFirewallRule -DisplayName {name}"),
            ],
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
            apply: vec![format!("Set-NetFirewallProfile -Profile {profile} -AllowInboundRules True")],
            persist,
            note: Some(format!(
                "the {profile} profile blocks all incoming connections, whatever the allow rules say; let its allow \
                 rules apply again (this changes no network's category):"
            )),
        };
    }
    let (name, what) = match flow {
        FirewallFlow::IgmpIn => ("SIP PnP IGMP", format!("-Direction Inbound -Protocol 2{on_adapter}")),
        FirewallFlow::IgmpOut => ("SIP PnP IGMP out", format!("-Direction Outbound -Protocol 2{on_adapter}")),
        FirewallFlow::AnswerOut => (
            "SIP PnP answers",
            format!(
                "-Direction Outbound -Protocol UDP -LocalPort {port}{on_adapter} -RemoteAddress LocalSubnet"
            ),
        ),
        FirewallFlow::ProbeOut => (
            "SIP PnP probe",
            format!(
                "-Direction Outbound -Protocol UDP -RemotePort {port}{on_adapter} -RemoteAddress {}",
                context.group
            ),
        ),
        FirewallFlow::ProvisioningIn => {
            let (port, proto) = context.provisioning.unwrap_or((80, "tcp"));
            let proto = proto.to_ascii_uppercase();
            (
                "SIP PnP provisioning",
                format!("-Direction Inbound -Protocol {proto} -LocalPort {port} -RemoteAddress LocalSubnet"),
            )
        }
        FirewallFlow::SubscribeIn | FirewallFlow::ProbeLoop => {
            return Fix {
                manager,
                apply: vec![windows_allow_sip(port, context.interface.as_deref())],
                persist,
                note: None,
            };
        }
    };
    Fix { manager, apply: vec![windows_allow_rule(name, &what)], persist, note: None }
}

/// The scoped Windows allow rule for the phones' SIP: UDP to `port` from `LocalSubnet`, on the PnP
/// adapter only. Also the generic firewall remedy's Windows command, so both say the same rule.
#[must_use]
pub fn windows_allow_sip(port: u16, interface: Option<&str>) -> String {
    let on_adapter = windows_adapter_scope(interface);
    windows_allow_rule(
        "SIP PnP",
        &format!("-Direction Inbound -Protocol UDP -LocalPort {port}{on_adapter} -RemoteAddress LocalSubnet"),
    )
}

fn windows_allow_rule(name: &str, what: &str) -> String {
    format!("New-NetFirewallRule -DisplayName {} {what} -Action Allow", crate::quote::powershell(name))
}

/// ` -InterfaceAlias '<alias>'`, or a placeholder when the PnP adapter is not known.
fn windows_adapter_scope(interface: Option<&str>) -> String {
    interface.map_or_else(
        || " -InterfaceAlias '<PnP adapter>'".to_owned(),
        |alias| format!(" -InterfaceAlias {}", crate::quote::powershell(alias)),
    )
}

/// The firewalld zone a chain belongs to: `filter_IN_public_deny` and `IN_public` are zone `public`.
#[must_use]
pub fn firewalld_zone(chain: &str) -> Option<&str> {
    let rest = chain.strip_prefix("filter_IN_").or_else(|| chain.strip_prefix("IN_"))?;
    let zone =
        ["_allow", "_deny", "_log", "_pre", "_post"].iter().fold(rest, |z, s| z.strip_suffix(s).unwrap_or(z));
    (!zone.is_empty() && zone != "ZONES").then_some(zone)
}

/// The typed form of a judged fix: each command of `fix` as a step of `manager`, with its undo.
/// The prose is [`Fix::render`]'s, so the remedy and the steps come from the same writer.
#[must_use]
pub fn typed(finding: &FirewallFinding, context: &FixContext) -> crate::fix::Fix {
    let fix = fix(finding, context);
    let steps = fix.apply.iter().map(|command| step(fix.manager, finding.tool, command)).collect();
    crate::fix::Fix { text: fix.render(finding), steps }
}

/// One command as a step: the manager it speaks for, whether it lasts, and the command that undoes it.
fn step(manager: FirewallManager, tool: FirewallTool, command: &str) -> crate::fix::Step {
    use crate::fix::{Manager, Os, Persistence, Step};
    let typed_manager = match manager {
        FirewallManager::Ufw => Manager::Ufw,
        FirewallManager::Firewalld => Manager::Firewalld,
        FirewallManager::Docker | FirewallManager::KubeProxy => match tool {
            FirewallTool::Nft => Manager::Nft,
            FirewallTool::IptablesLegacySave => Manager::IptablesLegacy,
            _ => Manager::IptablesNft,
        },
        FirewallManager::Nftables => Manager::Nft,
        FirewallManager::IptablesNft => Manager::IptablesNft,
        FirewallManager::IptablesLegacy => Manager::IptablesLegacy,
        FirewallManager::WindowsFirewall => Manager::WindowsFirewall,
        FirewallManager::Pf => Manager::Pf,
    };
    let os = match typed_manager {
        Manager::WindowsFirewall => Os::Windows,
        Manager::Pf => Os::Macos,
        _ => Os::Linux,
    };
    // ufw, firewalld's `--permanent` and Windows keep their rules; nft, iptables and a pf anchor loaded
    // by hand are lost at reboot (the prose says how to keep them).
    let persistence = match typed_manager {
        Manager::Ufw | Manager::Firewalld | Manager::WindowsFirewall => Persistence::Persistent,
        _ => Persistence::Runtime,
    };
    let (changes, undo, class) = undo_of(command);
    Step { changes, os, manager: typed_manager, command: command.to_owned(), persistence, undo, class }
}

/// What a firewall command changes, its undo and its class, from the command's own words: each
/// manager's undo is the same rule with the verb turned round.
fn undo_of(command: &str) -> (String, Option<String>, crate::fix::Class) {
    use crate::fix::Class;
    let swap = |from: &str, to: &str| Some(command.replacen(from, to, 1));
    // firewalld's rules here are `--permanent`: the fix reloads to apply them, so their undo does too.
    let reloaded = |undo: Option<String>| undo.map(|u| format!("{u} && sudo firewall-cmd --reload"));
    if command.starts_with("sudo ufw allow ") {
        return ("add a ufw rule".into(), swap("sudo ufw allow ", "sudo ufw delete allow "), Class::Safe);
    }
    if command.contains("firewall-cmd") && command.contains("--add-rich-rule") {
        return (
            "add a firewalld rich rule".into(),
            reloaded(swap("--add-rich-rule", "--remove-rich-rule")),
            Class::Safe,
        );
    }
    if command.contains("firewall-cmd") && command.contains("--direct --add-rule") {
        return (
            "add a firewalld direct rule".into(),
            reloaded(swap("--add-rule", "--remove-rule")),
            Class::Safe,
        );
    }
    if command.ends_with("--reload") || command == "sudo ufw reload" {
        return ("load the saved rules into the running firewall".into(), None, Class::Safe);
    }
    if let Some(rest) =
        command.strip_prefix("sudo nft insert rule ").or_else(|| command.strip_prefix("sudo nft add rule "))
    {
        // `[FAMILY] TABLE CHAIN [position H] WORDS`: the undo deletes the rule by the handle nft gave
        // it, found by its words (nft lists a rule as written, names quoted, with ` # handle N` after it).
        let mut words = rest.split(' ').peekable();
        let mut table = words.next().unwrap_or_default().to_owned();
        if ["ip", "ip6", "inet", "arp", "bridge", "netdev"].contains(&table.as_str()) {
            table = format!("{table} {}", words.next().unwrap_or_default());
        }
        let chain = words.next().unwrap_or_default().to_owned();
        if words.peek() == Some(&"position") {
            words.next();
            words.next();
        }
        let rule = words.collect::<Vec<_>>().join(" ");
        let undo = format!(
            "sudo nft delete rule {table} {chain} handle $(sudo nft -a list chain {table} {chain} | tr -d '\"' | grep -F '{rule} # handle' | head -n 1 | sed 's/.* # handle //')"
        );
        return (format!("accept `{rule}` in chain {chain} of table {table}"), Some(undo), Class::Safe);
    }
    if let Some(found) = iptables_undo(command) {
        return found;
    }
    if command.starts_with("New-NetFirewallRule -DisplayName ") {
        let name = command.trim_start_matches("New-NetFirewallRule -DisplayName ");
        let name = name.split(" -").next().unwrap_or(name);
        return (
            "add a Windows Defender Firewall allow rule".into(),
            Some(format!("Remove-NetFirewallRule -DisplayName {name}")),
            Class::Safe,
        );
    }
    if let Some(name) = command.strip_prefix("Disable-NetFirewallRule -DisplayName ") {
        // Disabling a block rule lets through whatever else it blocked.
        return (
            "disable a Windows Defender Firewall block rule".into(),
            Some(format!("Enable-NetFirewallRule -DisplayName {name}")),
            Class::Disruptive,
        );
    }
    if command.contains("Get-NetFirewallRule") {
        return ("nothing: show what the rule blocks".into(), None, Class::Safe);
    }
    if let Some(profile) = command.strip_prefix("Set-NetFirewallProfile -Profile ") {
        let profile = profile.trim_end_matches(" -AllowInboundRules True");
        return (
            format!("let the {profile} profile's allow rules apply"),
            Some(format!("Set-NetFirewallProfile -Profile {profile} -AllowInboundRules False")),
            Class::Disruptive,
        );
    }
    if command.contains("pfctl -a com.apple/mcready") {
        return (
            "load a pass rule into pf anchor com.apple/mcready".into(),
            Some("sudo pfctl -a com.apple/mcready -F rules".into()),
            Class::Safe,
        );
    }
    ("change the firewall".into(), None, Class::Manual)
}

/// An iptables insert or append and the delete that undoes it: `-I CHAIN N SPEC` and `-A CHAIN SPEC`
/// are both undone by `-D CHAIN SPEC`.
fn iptables_undo(command: &str) -> Option<(String, Option<String>, crate::fix::Class)> {
    for program in ["iptables-nft", "iptables-legacy", "iptables"] {
        let prefix = format!("sudo {program} ");
        if let Some(rest) = command.strip_prefix(&prefix) {
            let words: Vec<&str> = rest.split(' ').collect();
            let at = words.iter().position(|w| *w == "-I" || *w == "-A").unwrap_or(0);
            let mut undo: Vec<&str> = words[..at].to_vec();
            undo.push("-D");
            if let Some(chain) = words.get(at + 1) {
                undo.push(chain);
            }
            let spec = if words.get(at) == Some(&"-I")
                && words.get(at + 2).is_some_and(|w| w.parse::<usize>().is_ok())
            {
                at + 3
            } else {
                at + 2
            };
            undo.extend(words.iter().skip(spec));
            return Some((
                format!(
                    "accept `{}` in chain {}",
                    words.get(spec..).map(|w| w.join(" ")).unwrap_or_default(),
                    words.get(at + 1).unwrap_or(&"")
                ),
                Some(format!("{prefix}{}", undo.join(" "))),
                crate::fix::Class::Safe,
            ));
        }
    }
    None
}

// The phones' SIP let in, in each manager's words: one writer per manager, used by the judged fixes
// above and by the generic opening a check offers when the rule could not be named
// (`checks::remedy::open_firewall`), so the two never say the same rule differently.

/// ufw: allow UDP `port` from the phones' subnet.
#[must_use]
pub fn ufw_allow_sip(subnet: &str, port: u16) -> String {
    format!("sudo ufw allow from {subnet} to any port {port} proto udp")
}

/// firewalld: a permanent rich rule for UDP `port` from the phones' subnet, in `zone` or the default one.
#[must_use]
pub fn firewalld_allow_sip(zone: Option<&str>, subnet: &str, port: u16) -> String {
    let zone = zone.map_or_else(String::new, |z| format!(" --zone={z}"));
    format!(
        "sudo firewall-cmd --permanent{zone} --add-rich-rule='rule family=\"ipv4\" source address=\"{subnet}\" port port=\"{port}\" protocol=\"udp\" accept'"
    )
}

/// nftables: the accept's words, to follow `insert rule <table> <chain>`.
#[must_use]
pub fn nft_accept_sip(subnet: &str, port: u16) -> String {
    format!("ip saddr {subnet} udp dport {port} accept")
}

/// iptables (either backend): the accept's rule spec, to follow `-I <chain> <n>`.
#[must_use]
pub fn iptables_accept_sip(subnet: &str, port: u16) -> String {
    format!("-s {subnet} -p udp --dport {port} -j ACCEPT")
}
