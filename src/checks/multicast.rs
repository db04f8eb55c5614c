//! `network-multicast`: the interface can do multicast, nothing on the host drops the phones'
//! datagrams, the LAN carries multicast both ways, and an IGMP querier keeps snooping switches honest.

use std::net::IpAddr;

use serde_json::json;

use super::causes::Causes;
use super::firewall::{FirewallView, describe};
use super::{Snapshot, check, fixed, manual, remedy};
use crate::facts::{FindingCertainty, FirewallFinding, FirewallFlow, InterfaceKind, SourceStatus};
use crate::verdict::{Check, Status};

pub const INTERFACE_FLAG: &str = "multicast.interface-flag";
pub const DELIVERED: &str = "multicast.delivered-to-sockets";
pub const LAN_PATH: &str = "multicast.lan-path";
pub const QUERIER: &str = "multicast.igmp-querier";
pub const HOST_FIREWALL: &str = "multicast.host-firewall";
pub const RP_FILTER: &str = "multicast.rp-filter";
pub const FIREWALL_OUTPUT: &str = "multicast.host-firewall-output";
pub const FIREWALL_IGMP: &str = "multicast.host-firewall-igmp";
pub const SIP_HELPER: &str = "multicast.sip-helper";
pub const WIFI: &str = "multicast.wifi-adapter";
pub const BEHIND_NAT: &str = "multicast.host-behind-nat";

/// RFC 2236/3376's default query interval: a passive listen shorter than this may miss the querier.
const DEFAULT_QUERY_INTERVAL_SECS: u64 = 125;

/// Access points often isolate Wi-Fi clients from each other, or turn multicast into unicast for the
/// clients that asked: the group joined (or the phones faced) on Wi-Fi may never hear a phone.
pub(super) fn wifi(snapshot: &Snapshot) -> Check {
    let is_wifi = |name: &str| snapshot.facts.interface(name).is_some_and(|i| i.kind == InterfaceKind::Wifi);
    let mut on_wifi: Vec<String> = snapshot
        .facts
        .members_of(IpAddr::V4(snapshot.group))
        .iter()
        .map(|m| m.interface.clone())
        .filter(|name| is_wifi(name))
        .collect();
    if let Some(pnp) = snapshot.pnp_interface.as_deref().filter(|name| is_wifi(name))
        && !on_wifi.iter().any(|n| n == pnp)
    {
        on_wifi.push(pnp.to_owned());
    }
    let evidence = json!({"wifi": on_wifi});
    let Some(first) = on_wifi.first() else {
        return check(
            WIFI,
            Status::Pass,
            "No Wi-Fi adapter faces the phones or joined the group.".into(),
            None,
            evidence,
        );
    };
    check(
        WIFI,
        Status::Warn,
        format!(
            "{} is heard through Wi-Fi ({}): access points often isolate clients from each other or convert \
             multicast to unicast, so phones' SUBSCRIBEs may never arrive.",
            snapshot.group,
            on_wifi.join(", ")
        ),
        Some(remedy::avoid_wifi(first)),
        evidence,
    )
}

/// Hosts behind NAT — a container on a bridge network, WSL 2 in NAT mode, a virtual machine on a NAT'd
/// adapter — never receive the LAN's multicast, whatever their own settings say.
pub(super) fn behind_nat(snapshot: &Snapshot) -> Check {
    let Some(environment) = &snapshot.facts.environment else {
        return check(
            BEHIND_NAT,
            Status::Skip,
            "Where mcready runs (container, WSL, virtual machine) is not read on this OS.".into(),
            None,
            json!({}),
        );
    };
    let evidence = json!({"environment": environment});
    let pnp = snapshot.pnp_interface();
    let name = pnp.map_or("eth0", |i| i.name.as_str());
    let veth = pnp.is_some_and(|i| i.kind_detail.as_deref() == Some("veth"));
    // The NAT networks hypervisors give by default: VirtualBox/QEMU user mode, libvirt's `default`.
    let nat_subnet = pnp.is_some_and(|i| {
        i.ipv4.iter().any(|net| match net.addr {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                (a, b, c) == (10, 0, 2) || (a, b, c) == (192, 168, 122)
            }
            IpAddr::V6(_) => false,
        })
    });
    let found = if let Some(runtime) = &environment.container {
        match environment.in_container_network {
            None => {
                return check(
                    BEHIND_NAT,
                    Status::Skip,
                    format!(
                        "mcready runs in a container ({runtime}), but whether it has a network of its own could not be \
                         read (/proc/1/ns/net needs root, and some sandboxes hide it even from root)."
                    ),
                    None,
                    evidence,
                );
            }
            Some(true) if veth => Some((
                remedy::Isolation::ContainerBridge,
                format!(
                    "mcready runs in a container ({runtime}) on a bridge network ({name} is a veth): the LAN's multicast \
                     does not cross the container bridge's NAT, so phones are never heard here."
                ),
            )),
            Some(_) => None,
        }
    } else if environment.wsl && !environment.wsl_mirrored {
        Some((
            remedy::Isolation::WslNat,
            "mcready runs in WSL 2 with NAT networking: the LAN's multicast does not reach the WSL virtual machine."
                .to_owned(),
        ))
    } else {
        environment.virtual_machine.as_deref().filter(|_| nat_subnet).map(|hypervisor| {
            (
                remedy::Isolation::VmNat,
                format!(
                    "mcready runs in a {hypervisor} virtual machine whose adapter {name} is on the hypervisor's NAT \
                     network: the LAN's multicast does not reach it."
                ),
            )
        })
    };
    match found {
        Some((isolation, summary)) => {
            check(BEHIND_NAT, Status::Warn, summary, Some(remedy::leave_nat(isolation, name)), evidence)
        }
        None => check(
            BEHIND_NAT,
            Status::Pass,
            "mcready runs on the LAN's own network: no container bridge, WSL NAT or NAT'd virtual adapter."
                .into(),
            None,
            evidence,
        ),
    }
}

/// Why the firewall cannot be judged, when no source could be read: a `skip` with the reason.
fn unreadable(snapshot: &Snapshot, id: &'static str, evidence: &serde_json::Value) -> Option<Check> {
    let firewall = &snapshot.facts.firewall;
    let read = firewall.sources.iter().any(|s| s.status == SourceStatus::Read);
    // On Windows the firewall is one source, read through its API: unread is unknown, never "no firewall".
    if snapshot.os == super::OsFamily::Windows && !read {
        let why = firewall
            .sources
            .iter()
            .find_map(|s| s.detail.clone())
            .unwrap_or_else(|| "the firewall was not read".into());
        return Some(check(
            id,
            Status::Skip,
            format!(
                "Windows Defender Firewall could not be read through its API ({why}). Check it by hand: \
                 `Get-NetFirewallProfile | Format-Table Name, Enabled, DefaultInboundAction` and \
                 `Get-NetFirewallRule -Enabled True -Direction Inbound | Get-NetFirewallPortFilter | \
                 Where-Object {{ $_.Protocol -eq 'UDP' -and $_.LocalPort -eq {} }}`.",
                snapshot.port
            ),
            None,
            evidence.clone(),
        ));
    }
    if !firewall.incomplete() || read {
        return None;
    }
    let why: Vec<String> = firewall
        .sources
        .iter()
        .filter(|s| !matches!(s.status, SourceStatus::Read | SourceStatus::NotInstalled))
        .map(|s| format!("{}: {}", s.command, s.detail.as_deref().unwrap_or("not readable")))
        .collect();
    Some(check(
        id,
        Status::Skip,
        format!("The host firewall could not be read ({}): run as root to read it.", why.join("; ")),
        None,
        evidence.clone(),
    ))
}

/// The commands that were read, for a `pass` summary. pf's carries its detail: whether pf is enabled,
/// and the Application Firewall beside it, which is not judged.
fn read_sources(snapshot: &Snapshot) -> Vec<String> {
    snapshot
        .facts
        .firewall
        .sources
        .iter()
        .filter(|s| s.status == SourceStatus::Read)
        .map(|s| match (&s.tool, &s.detail) {
            (
                crate::ruleset::FirewallTool::Pf | crate::ruleset::FirewallTool::WindowsFirewall,
                Some(detail),
            ) => {
                format!("{} ({detail})", s.command)
            }
            _ => s.command.clone(),
        })
        .collect()
}

/// A firewall check over some datagrams: `fail` for a certain drop, `warn` for a possible one, `pass`
/// when none, `skip` when the firewall could not be read. The remedy is the owning manager's fix for
/// each rule, scoped to the phones' subnet.
fn firewall_check(
    snapshot: &Snapshot,
    firewall: &FirewallView,
    id: &'static str,
    flows: &[FirewallFlow],
    what: &str,
    none: &str,
    scope: &str,
) -> Check {
    let findings: Vec<&FirewallFinding> = firewall.findings(flows).collect();
    let evidence = json!({
        "sources": snapshot.facts.firewall.sources,
        "findings": findings,
        "partial": firewall.judgement.partial,
    });
    let certain: Vec<&FirewallFinding> =
        findings.iter().copied().filter(|f| f.certainty == FindingCertainty::Drops).collect();
    let possible: Vec<&FirewallFinding> =
        findings.iter().copied().filter(|f| f.certainty == FindingCertainty::MayDrop).collect();
    // The remedy is the typed fix's text when the findings have one, else the generic opening.
    let judged = |status: Status, summary: String, list: &[&FirewallFinding], evidence| {
        let fix = firewall.joined_fix(list.iter().copied());
        fixed(id, status, summary, fix.unwrap_or_else(|| firewall.open_fix(snapshot.os)), evidence)
    };
    if !certain.is_empty() {
        let rules: Vec<String> = certain.iter().map(|f| describe(f)).collect();
        return judged(
            Status::Fail,
            format!("The host firewall drops {what}: {}.", rules.join("; ")),
            &certain,
            evidence,
        );
    }
    if !possible.is_empty() {
        let rules: Vec<String> = possible.iter().map(|f| describe(f)).collect();
        return judged(
            Status::Warn,
            format!("The host firewall may drop {what}: {}.", rules.join("; ")),
            &possible,
            evidence,
        );
    }
    if let Some(skip) = unreadable(snapshot, id, &evidence) {
        return skip;
    }
    let read = read_sources(snapshot);
    let summary = if read.is_empty() {
        format!("No host firewall tool is installed (nft, iptables): nothing filters {scope} here.")
    } else if firewall.judgement.partial {
        format!(
            "{none} as far as judged: the ruleset was too large to judge whole (read: {}).",
            read.join(", ")
        )
    } else {
        format!("{none} (read: {}).", read.join(", "))
    };
    let status = if firewall.judgement.partial { Status::Warn } else { Status::Pass };
    let fix = (status == Status::Warn).then(|| firewall.open_fix(snapshot.os));
    check(id, status, summary, fix, evidence)
}

/// Rules of the host firewall that drop a PnP SUBSCRIBE on input, as read from nft/iptables.
pub(super) fn host_firewall(snapshot: &Snapshot, firewall: &FirewallView) -> Check {
    let mut result = firewall_check(
        snapshot,
        firewall,
        HOST_FIREWALL,
        &[FirewallFlow::SubscribeIn],
        "PnP SUBSCRIBEs on input",
        &format!("No host firewall rule drops UDP {} or 224.0.0.0/4 on input", snapshot.port),
        "input",
    );
    // The phones pass but mcready's own looped-back probe does not (its source is this host): say so
    // here, where the loopback check points.
    if result.status == Status::Pass
        && let Some(drop) =
            firewall.findings(&[FirewallFlow::ProbeLoop]).find(|f| f.certainty == FindingCertainty::Drops)
    {
        result.status = Status::Warn;
        result.summary = format!(
            "The phones' SUBSCRIBEs pass, but the host firewall drops mcready's own looped-back probe: {}.",
            describe(drop)
        );
        result.fix = firewall.joined_fix(std::iter::once(drop));
        result.remedy = result.fix.as_ref().map(|f| f.text.clone());
    }
    result
}

/// The PBX's SIP answers to the phones (and mcready's probe) on their way out.
pub(super) fn firewall_output(snapshot: &Snapshot, firewall: &FirewallView) -> Check {
    firewall_check(
        snapshot,
        firewall,
        FIREWALL_OUTPUT,
        &[FirewallFlow::AnswerOut, FirewallFlow::ProbeOut],
        "SIP going out to the phones or the group (the PBX's answers, mcready's probe)",
        &format!(
            "No host firewall rule drops SIP from port {} to the phones or the group on output",
            snapshot.port
        ),
        "output",
    )
}

/// IGMP both ways: a host that cannot send reports is pruned by snooping switches; one that cannot
/// hear queries never answers them.
pub(super) fn firewall_igmp(snapshot: &Snapshot, firewall: &FirewallView) -> Check {
    firewall_check(
        snapshot,
        firewall,
        FIREWALL_IGMP,
        &[FirewallFlow::IgmpOut, FirewallFlow::IgmpIn],
        "IGMP (reports going out or queries coming in, so snooping switches stop forwarding the group to this host)",
        "No host firewall rule drops IGMP reports going out or queries coming in",
        "IGMP",
    )
}

/// A conntrack helper assigned to the PnP traffic: the kernel's SIP helper rewrites or drops SIP.
pub(super) fn sip_helper(snapshot: &Snapshot, firewall: &FirewallView) -> Check {
    // Conntrack helpers are Linux netfilter's; neither Windows Defender Firewall nor pf has a SIP helper
    // (a SIP ALG lives on routers, which no host-side reading can see), so a pass would claim too much.
    if snapshot.os != super::OsFamily::Linux {
        return check(
            SIP_HELPER,
            Status::Skip,
            "Not applicable: conntrack SIP helpers are a Linux firewall feature; this OS's host firewall has none."
                .into(),
            None,
            json!({}),
        );
    }
    let helpers = &firewall.judgement.helpers;
    let evidence = json!({"helpers": helpers});
    if helpers.is_empty() {
        if let Some(skip) = unreadable(snapshot, SIP_HELPER, &evidence) {
            return skip;
        }
        return check(
            SIP_HELPER,
            Status::Pass,
            "No firewall rule assigns a conntrack helper to SIP.".into(),
            None,
            evidence,
        );
    }
    let rules: Vec<String> = helpers
        .iter()
        .map(|h| {
            let handle = h.handle.map_or_else(String::new, |n| format!(" (handle {n})"));
            format!("`{}` in {} {}{handle} assigns helper {}", h.rule, h.table, h.chain, h.helper)
        })
        .collect();
    check(
        SIP_HELPER,
        Status::Warn,
        format!(
            "The kernel's conntrack helper may rewrite or drop SIP on port {}: {}.",
            snapshot.port,
            rules.join("; ")
        ),
        Some(manual(
            "Remove the rule that assigns the SIP helper (`ct helper set`, `-j CT --helper sip`) unless something \
             needs it; PnP and a SIP-aware PBX do not.",
            "remove the rule that assigns the SIP conntrack helper",
        )),
        evidence,
    )
}

/// A strict reverse-path filter drops datagrams whose source is not routed back by the interface they
/// came in on. Phones on the PnP subnet pass it, so strictness alone is no fault; with the proof of a
/// host drop (see [`delivered`]) and no firewall rule to explain it, it is the likely cause.
pub(super) fn rp_filter(snapshot: &Snapshot, causes: &Causes) -> Check {
    let Some(interface) = snapshot.pnp_interface.as_deref() else {
        return check(RP_FILTER, Status::Skip, "No PnP interface was chosen.".into(), None, json!({}));
    };
    // rp_filter is Linux's (net.ipv4.conf.*.rp_filter): Windows and macOS have no such setting to read.
    if snapshot.os != super::OsFamily::Linux {
        return check(
            RP_FILTER,
            Status::Skip,
            "Not applicable: the reverse-path filter (rp_filter) is a Linux setting; this OS has none to read."
                .into(),
            None,
            json!({}),
        );
    }
    let Some(value) = snapshot.facts.firewall.effective_rp_filter(interface) else {
        return check(
            RP_FILTER,
            Status::Skip,
            format!("rp_filter of {interface} could not be read."),
            None,
            json!({}),
        );
    };
    let suspects = &causes.rp_filter_suspects;
    let evidence = json!({"interface": interface, "effective_rp_filter": value, "could_drop": suspects});
    let unexplained_drop =
        !suspects.is_empty() && causes.socket_drops == 0 && !causes.firewall_drops_subscribe;
    match value {
        1 | 2 if unexplained_drop => {
            let sources: Vec<String> = suspects.iter().map(|s| s.ip().to_string()).collect();
            fixed(
                RP_FILTER,
                Status::Fail,
                format!(
                    "The reverse-path filter on {interface} (rp_filter={value}) is the likely cause of the drop: the route \
                     back to {} does not leave by {interface}, and no firewall rule explains it.",
                    sources.join(", ")
                ),
                remedy::loosen_rp_filter(snapshot.os, interface, rp_filter_read(snapshot, interface)),
                evidence,
            )
        }
        1 => check(
            RP_FILTER,
            Status::Pass,
            format!(
                "{interface} filters reverse paths strictly (rp_filter=1); phones on its subnet pass it."
            ),
            None,
            evidence,
        ),
        _ => check(
            RP_FILTER,
            Status::Pass,
            format!(
                "{interface}'s reverse-path filter is {} (rp_filter={value}).",
                if value == 2 { "loose" } else { "off" }
            ),
            None,
            evidence,
        ),
    }
}

pub(super) fn interface_flag(snapshot: &Snapshot) -> Check {
    let Some(interface) = snapshot.pnp_interface() else {
        return check(INTERFACE_FLAG, Status::Skip, "No PnP interface was chosen.".into(), None, json!({}));
    };
    let flags = interface.flags;
    let evidence = json!({"interface": interface.name, "flags": flags});
    if flags.up && flags.running && flags.multicast {
        check(
            INTERFACE_FLAG,
            Status::Pass,
            format!("{} is up, running and multicast-capable.", interface.name),
            None,
            evidence,
        )
    } else {
        let missing: Vec<&str> =
            [(flags.up, "up"), (flags.running, "running (link)"), (flags.multicast, "multicast")]
                .iter()
                .filter(|(on, _)| !on)
                .map(|(_, name)| *name)
                .collect();
        fixed(
            INTERFACE_FLAG,
            Status::Fail,
            format!("{} is not {}.", interface.name, missing.join(", not ")),
            remedy::bring_link_up(snapshot.os, &interface.name, flags.up, flags.running, flags.multicast),
            evidence,
        )
    }
}

/// The proof of a host-side drop: the capture saw a phone's SUBSCRIBE arrive, no socket received it.
/// Why only a socket heard the window, and what would add the capture, in the OS's words.
fn socket_alone(os: super::OsFamily) -> &'static str {
    match os {
        super::OsFamily::Windows => {
            "heard by a socket alone (no passive capture: run from an elevated prompt)"
        }
        super::OsFamily::Macos => "heard by a socket alone (mcready has no passive capture on macOS yet)",
        super::OsFamily::Linux => {
            "heard by a socket alone (no passive capture: run as root or with CAP_NET_RAW)"
        }
    }
}

pub(super) fn delivered(snapshot: &Snapshot, firewall: &FirewallView, causes: &Causes) -> Check {
    let Some(listen) = snapshot.listen.done() else {
        return check(
            DELIVERED,
            Status::Skip,
            "Not observed: run with `--listen 120` and reboot a phone to see whether its datagrams reach the PBX's sockets."
                .into(),
            None,
            json!({}),
        );
    };
    let evidence = json!({
        "captured_not_delivered": listen.captured_not_delivered,
        "heard_by": listen.heard_by,
        "socket_drops": listen.socket_drops,
    });
    if !listen.captured_not_delivered.is_empty() {
        // Counted as hosts: a phone retransmitting from two ports is one phone.
        let mut sources: Vec<String> = Vec::new();
        for source in &listen.captured_not_delivered {
            let host = source.ip().to_string();
            if !sources.contains(&host) {
                sources.push(host);
            }
        }
        let interface = snapshot.pnp_interface.as_deref().unwrap_or("the PnP interface");
        let drops = causes.socket_drops;
        // Proof before blame: sockets that dropped datagrams themselves explain the loss.
        if drops > 0 {
            return check(
                DELIVERED,
                Status::Warn,
                format!(
                    "SUBSCRIBEs from {} reached {interface} (seen by capture) but no socket received them, and the sockets \
                     on UDP {} dropped {drops} datagram(s) in the window: their receive buffers were full.",
                    sources.join(", "),
                    snapshot.port
                ),
                Some(remedy::raise_receive_buffers(snapshot.os)),
                evidence,
            );
        }
        let firewall_rule = causes.firewall_drops_subscribe;
        let rp_cause = !causes.rp_filter_suspects.is_empty();
        let (likely, fix) = match (firewall_rule, rp_cause) {
            (true, _) => {
                ("the host firewall dropped them (see its rule above)", firewall.open_fix(snapshot.os))
            }
            (false, true) => (
                "no firewall rule explains it, and the route back to them leaves by another interface, so the \
                 reverse-path filter likely dropped them",
                remedy::loosen_rp_filter(snapshot.os, interface, rp_filter_read(snapshot, interface)),
            ),
            (false, false) => (
                "a host firewall rule mcready could not read dropped them (the reverse-path filter lets them pass)",
                firewall.open_fix(snapshot.os),
            ),
        };
        return check(
            DELIVERED,
            Status::Fail,
            format!(
                "SUBSCRIBEs from {} reached {interface} (seen by capture) but no socket received them: {likely}.",
                sources.join(", ")
            ),
            Some(fix),
            evidence,
        );
    }
    // Delivery is proved only by comparing the capture with a socket: with one of them alone it is
    // not judged (and "every SUBSCRIBE was delivered" would be a claim without proof).
    if listen.heard_by != crate::observed::HeardBy::Both {
        let why = match listen.heard_by {
            crate::observed::HeardBy::Capture => {
                "heard by passive capture alone (no socket of mcready's on the group)"
            }
            _ => socket_alone(snapshot.os),
        };
        return check(
            DELIVERED,
            Status::Skip,
            format!("Delivery to sockets was not judged: {why}."),
            None,
            evidence,
        );
    }
    if listen.phones.is_empty() {
        return check(
            DELIVERED,
            Status::Skip,
            "No phone's SUBSCRIBE arrived in the window, so delivery could not be judged.".into(),
            None,
            evidence,
        );
    }
    check(
        DELIVERED,
        Status::Pass,
        "Every SUBSCRIBE that arrived was delivered to a socket.".into(),
        None,
        evidence,
    )
}

pub(super) fn lan_path(snapshot: &Snapshot) -> Check {
    if let Some(peer) = snapshot.peer.done() {
        let evidence = json!({"peer": peer});
        if !peer.unicast.ok {
            return check(
                LAN_PATH,
                Status::Skip,
                format!(
                    "The peer {} did not answer unicast: it is down, not running `mcready respond`, or firewalled — so the \
                     multicast path was not judged.",
                    peer.peer
                ),
                None,
                evidence,
            );
        }
        return match (peer.here_to_peer.ok, peer.peer_to_here.ok) {
            (true, true) => check(
                LAN_PATH,
                Status::Pass,
                format!("Multicast crosses the LAN both ways between this host and {}.", peer.peer.ip()),
                None,
                evidence,
            ),
            (out, back) => {
                let blocked = match (out, back) {
                    (false, false) => "in both directions",
                    (false, true) => "from this host to the peer",
                    _ => "from the peer to this host",
                };
                check(
                    LAN_PATH,
                    Status::Fail,
                    format!(
                        "The peer {} answers unicast, but multicast is blocked {blocked}: a switch, IGMP snooping or a \
                         firewall between them drops it.",
                        peer.peer.ip()
                    ),
                    Some(manual(
                        format!(
                            "Let multicast for {} through the switches between the hosts: {} Check the peer's own \
                             firewall for UDP {} too.",
                            snapshot.group,
                            remedy::enable_querier().text,
                            snapshot.port
                        ),
                        "let multicast through the switches between the hosts",
                    )),
                    evidence,
                )
            }
        };
    }
    if let Some(listen) = snapshot.listen.done()
        && (listen.lan_multicast_heard || !listen.phones.is_empty())
    {
        return check(
            LAN_PATH,
            Status::Pass,
            format!(
                "Datagrams to {}:{} from the LAN reached this host while listening.",
                snapshot.group, snapshot.port
            ),
            None,
            json!({"phones_heard": listen.phones.len()}),
        );
    }
    check(
        LAN_PATH,
        Status::Skip,
        "The path across the switch is untested: run `mcready respond` on a host on the phones' LAN and pass \
         `--peer IP`, or run with `--listen 120` and reboot a phone."
            .into(),
        None,
        json!({}),
    )
}

/// The querier's fix: the switch's or router's querier; and when the PnP interface is a Linux bridge
/// of this host (the phones on its ports), that bridge's own querier as a typed step `mcready fix` runs.
fn querier_fix(snapshot: &Snapshot) -> crate::fix::Fix {
    use crate::fix::{Fix, Manager, Os, Step};
    let fix = remedy::enable_querier();
    match snapshot.pnp_interface() {
        Some(bridge)
            if snapshot.os == crate::snapshot::OsFamily::Linux && bridge.kind == InterfaceKind::Bridge =>
        {
            let name = &bridge.name;
            let command = format!("sudo ip link set {name} type bridge mcast_querier 1");
            let step = Step::new(
                Os::Linux,
                Manager::Ip,
                format!("turn on the IGMP querier of bridge {name}"),
                &command,
            )
            .undo(format!("sudo ip link set {name} type bridge mcast_querier 0"));
            Fix {
                text: format!(
                    "{} The phones' interface {name} is this host's own bridge: `{command}`.",
                    fix.text
                ),
                steps: vec![step],
            }
        }
        _ => fix,
    }
}

pub(super) fn querier(snapshot: &Snapshot) -> Check {
    match &snapshot.querier {
        crate::observed::Observed::Done(report) => {
            let evidence = json!({"querier": report});
            match report.querier() {
                Some(source) => check(
                    QUERIER,
                    Status::Pass,
                    format!("An IGMP querier ({source}) serves the LAN: snooping switches keep the group's ports open."),
                    None,
                    evidence,
                ),
                // A passive window shorter than the query interval may simply have missed it.
                None if report.listened_secs.is_some_and(|secs| secs < DEFAULT_QUERY_INTERVAL_SECS) => check(
                    QUERIER,
                    Status::Skip,
                    format!(
                        "No general query was heard in {} s of listening, shorter than a querier's default interval \
                         (125 s): add `--listen 130` to decide, or run without `--no-probe` for the fast search.",
                        report.listened_secs.unwrap_or_default()
                    ),
                    None,
                    evidence,
                ),
                None => check(
                    QUERIER,
                    Status::Warn,
                    "No IGMP querier answered. Switches with IGMP snooping then forget the PBX's membership after about \
                     260 s: PnP works right after a PBX restart, then stops."
                        .into(),
                    Some(querier_fix(snapshot)),
                    evidence,
                ),
            }
        }
        crate::observed::Observed::Skipped(reason) => check(
            QUERIER,
            Status::Skip,
            format!("The IGMP querier was not looked for: {reason}"),
            None,
            json!({}),
        ),
        crate::observed::Observed::NotAsked => check(
            QUERIER,
            Status::Skip,
            if snapshot.passive {
                "`--no-probe` sends nothing, and finding a querier fast needs an IGMP join and leave; add `--listen 130` \
                 to hear a querier's general query (sent every 125 s by default)."
                    .into()
            } else {
                "The IGMP querier was not looked for.".into()
            },
            None,
            json!({}),
        ),
    }
}

/// The `rp_filter` values read for `all` and `interface`, which undoing a loosening sets back.
fn rp_filter_read(snapshot: &Snapshot, interface: &str) -> Option<(u8, u8)> {
    let value =
        |name: &str| snapshot.facts.firewall.rp_filter.iter().find(|r| r.interface == name).map(|r| r.value);
    Some((value("all")?, value(interface)?))
}
