//! The concrete fixes, per OS, as data: each writer returns a [`Fix`] whose steps carry the exact command,
//! its manager, whether it lasts, its undo and its class, and whose text is the remedy an administrator
//! reads, in mcready's own words. Every `warn` and `fail` carries one; `docs/checks.md` lists them by
//! check id and, per manager, the command forms and their undo.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use crate::facts::{HostFacts, Interface, NetworkManager, effective_metric};
use crate::fix::{Fix, Keep, Manager, Os, Step};
use crate::managers::{self, iphelper};
use crate::snapshot::OsFamily;

/// The whole multicast range: the route that carries the group (and any other) out of one interface.
const MULTICAST: &str = "224.0.0.0/4";

/// Joins the group on the right interface: the route for the group, then a PBX restart so it joins again.
/// On Windows the values come from the metrics read (see [`windows_route_fix`]).
#[must_use]
pub fn route_group_via(os: OsFamily, facts: &HostFacts, group: Ipv4Addr, interface: &str) -> Fix {
    match os {
        OsFamily::Linux => {
            let (persist_text, keep, persist_step) = persist_group_route(facts, interface);
            let route = managers::ip::route_add(MULTICAST, interface).keep(keep);
            let text = format!(
                "Route multicast out of the phones' interface: `{}`. \
                 {persist_text} Restart the PBX{} so it joins {group} again. Confirm with `mcready joins`.",
                route.command,
                restart_pbx(facts)
            );
            let steps = std::iter::once(route).chain(persist_step).chain([restart_step(facts)]).collect();
            Fix { text, steps }
        }
        OsFamily::Windows => {
            let text = windows_route_fix(facts, group, interface);
            let mut steps = match facts.interface(interface) {
                Some(target) => {
                    let mut steps =
                        vec![managers::iphelper::new_route(MULTICAST, target.index, ROUTE_METRIC)];
                    // The route alone does not rank first: the adapter's metric goes below the rival's.
                    if let Some(metric) = windows_interface_metric(facts, group, target) {
                        steps.push(managers::iphelper::set_interface_metric(target.index, metric));
                    }
                    steps
                }
                // Without the adapter's index the command has a placeholder: the administrator fills it in.
                None => vec![Step {
                    os: Os::Windows,
                    manager: Manager::IpHelper,
                    ..Step::manual("route 224.0.0.0/4 out of the phones' adapter with metric 1")
                }],
            };
            steps.push(restart_step(facts));
            Fix { text, steps }
        }
        // macOS picks the interface for a join without one from the service order, so putting the
        // phones' service first is the lasting fix; the route takes effect at once but is lost at reboot.
        OsFamily::Macos => Fix {
            steps: vec![
                managers::networksetup::route_add(MULTICAST, interface),
                managers::networksetup::service_first(interface),
                restart_step(facts),
            ],
            text: format!(
                "Route multicast out of the phones' interface: `sudo route -n add -net 224.0.0.0/4 -interface {interface}` \
             (lost at reboot), and make its service the first one: list them with `networksetup -listnetworkserviceorder`, \
             then `sudo networksetup -ordernetworkservices \"<service of {interface}>\" \"<the others, in order>\"`. \
             Then restart the PBX{} so it joins {group} again, and confirm with `netstat -gn`.",
                restart_pbx(facts)
            ),
        },
    }
}

/// The step that restarts the PBX: the service manager's command when the service is known, else a
/// step for the administrator.
#[must_use]
pub fn restart_step(facts: &HostFacts) -> Step {
    managers::service::restart_step(facts.pbx_service())
}

/// How the 224.0.0.0/4 route is made to last on Linux: in the words of the tool that configures the
/// interface when it is known (`facts.network_manager`), kept by `mcready fix` on confirmation when
/// that tool's file is known (the route step's `keep`); else every usual way, as a step for a person.
fn persist_group_route(facts: &HostFacts, interface: &str) -> (String, Option<Keep>, Option<Step>) {
    let managed = facts.network_manager.as_ref().and_then(|m| m.of(interface));
    let file = managed.and_then(|m| m.file.as_deref());
    let (text, keep, tool) = match managed.map(|m| m.manager) {
        Some(NetworkManager::Netplan) => {
            let (text, keep) = managers::netplan::keep_route(
                interface,
                MULTICAST,
                file.unwrap_or("its file in /etc/netplan"),
                managed.and_then(|m| m.netplan_definition.as_deref()),
            );
            (text, keep, Manager::Netplan)
        }
        Some(NetworkManager::NetworkManager) => {
            let (text, keep) = managers::network_manager::keep_route(interface, MULTICAST, file);
            (text, Some(keep), Manager::NetworkManager)
        }
        Some(NetworkManager::SystemdNetworkd) => {
            let (text, keep) = managers::networkd::keep_route(interface, MULTICAST, file);
            (text, keep, Manager::SystemdNetworkd)
        }
        Some(NetworkManager::Ifupdown) => {
            let (text, keep) = managers::ifupdown::keep_route(interface, MULTICAST, file);
            (text, keep, Manager::Ifupdown)
        }
        _ => (
            format!(
                "Make the route persistent with netplan (`routes: [{{to: 224.0.0.0/4, scope: link}}]` under {interface}), \
                 NetworkManager (`nmcli connection modify <conn> +ipv4.routes \"224.0.0.0/4\"`) or /etc/network/interfaces \
                 (`up ip route add 224.0.0.0/4 dev {interface}`)."
            ),
            None,
            Manager::None,
        ),
    };
    let manual = keep.is_none().then(|| {
        let shown = file.unwrap_or("the configuration of the tool that manages it");
        managers::netplan::kept_in(tool, interface, MULTICAST, shown)
    });
    (text, keep, manual)
}

/// As [`restart_pbx`], with `placeholder` for the command when no service is known.
fn restart_pbx_or(facts: &HostFacts, placeholder: &str) -> String {
    Some(restart_pbx(facts))
        .filter(|known| !known.is_empty())
        .unwrap_or_else(|| format!(" (`{placeholder}`)"))
}

/// The command that restarts the PBX holding the port, as ` (`command`)` to follow "restart the PBX";
/// empty when no single service or container holds it (or the owners could not be seen).
#[must_use]
pub fn restart_pbx(facts: &HostFacts) -> String {
    use managers::service::Restart;
    match facts.pbx_service().map(managers::service::restart) {
        None => String::new(),
        Some(Restart::Command(command)) => format!(" (`{command}`)"),
        Some(Restart::AsUser { command, uid }) => {
            let owner = uid.map(|uid| format!(" as uid {uid}")).unwrap_or_default();
            format!(" (`{command}`{owner})")
        }
        Some(Restart::Unnamed(label)) => format!(" ({label})"),
    }
}

/// The adapter that wins Windows' route lookup for `group` against `target` now: among the other
/// connected adapters with IPv4 and a route holding the group, the most specific route first, then the
/// lowest effective metric. With its prefix length, effective metric and route metric.
fn best_rival<'a>(
    facts: &'a HostFacts,
    group: Ipv4Addr,
    target: &Interface,
) -> Option<(&'a Interface, u8, u32, u32)> {
    facts
        .interfaces
        .iter()
        .filter(|i| i.index != target.index && i.flags.running && !i.flags.loopback && !i.ipv4.is_empty())
        .filter_map(|i| {
            let (prefix, route_metric) = group_route_on(facts, group, i)?;
            Some((i, prefix, effective_metric(route_metric, i.metric), route_metric))
        })
        .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))
}

/// The route metric of the 224.0.0.0/4 route the fix adds on the phones' adapter.
const ROUTE_METRIC: u32 = 1;

/// The IPv4 interface metric the phones' adapter needs so that its new 224.0.0.0/4 route (metric
/// [`ROUTE_METRIC`]) ranks first for `group`: `None` when the route wins on its own, when a rival's
/// route is more specific (no metric wins then), when a metric was not read (the sum is unknown), or
/// when even the lowest metric cannot win. Effective metric = route metric + interface metric; a tie
/// is no win.
#[must_use]
pub fn windows_interface_metric(facts: &HostFacts, group: Ipv4Addr, target: &Interface) -> Option<u32> {
    let (rival, prefix, effective, _) = best_rival(facts, group, target)?;
    rival.metric?;
    let own = target.metric?;
    if prefix > 4 || effective_metric(ROUTE_METRIC, Some(own)) < effective {
        return None;
    }
    // ROUTE_METRIC + wanted < effective, and Windows takes no metric below 1.
    let wanted = effective.checked_sub(ROUTE_METRIC + 1)?;
    (wanted >= 1).then_some(wanted)
}

/// The route Windows ranks first for `group` on one interface: the most specific route holding the
/// group, cheapest first; its metric and the interface's, as read.
fn group_route_on(facts: &HostFacts, group: Ipv4Addr, interface: &Interface) -> Option<(u8, u32)> {
    facts
        .routes
        .iter()
        .filter(|r| r.interface_index == Some(interface.index) && r.destination.contains(IpAddr::V4(group)))
        .map(|r| (r.destination.prefix_len, r.metric))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
}

/// Windows' fix, with values computed from the metrics read: the phones' adapter must win the route
/// lookup for the group — the most specific route first, then the lowest effective metric (route
/// metric plus interface metric). A persistent 224.0.0.0/4 route with metric 1 on it wins against every
/// adapter's automatic on-link 224.0.0.0/4 route (metric 256); a lower interface metric works too when
/// there is room below the best competitor. The PBX keeps the interface it joined on until it restarts.
/// The vendor's trial of gateway metrics is the fallback.
#[must_use]
pub fn windows_route_fix(facts: &HostFacts, group: Ipv4Addr, interface: &str) -> String {
    let Some(target) = facts.interface(interface) else {
        return format!(
            "Give the phones' adapter a persistent route for multicast with the lowest metric: `{}` \
             (`Get-NetIPInterface -AddressFamily IPv4` lists each adapter's index and metric), then restart the PBX service{} \
             or reboot, and confirm with `netsh interface ipv4 show joins`. {}",
            iphelper::new_route_command(MULTICAST, "<index>", 1),
            restart_pbx(facts),
            gateway_metric_trial("the phones' adapter", "<index>")
        );
    };
    let n = target.index;
    let alias = &target.name;
    let best_rival = best_rival(facts, group, target);
    let mut fix = format!("Make \"{alias}\" (interface index {n}) win Windows' route lookup for {group}");
    match best_rival {
        Some((rival, prefix, effective, route_metric)) => {
            let _ = write!(
                fix,
                ": now \"{}\" (index {}) ranks first with a /{prefix} route",
                rival.name, rival.index
            );
            let _ = match rival.metric {
                Some(metric) => write!(
                    fix,
                    " and effective metric {effective} (route metric {route_metric} + interface metric {metric})."
                ),
                // Without its interface metric the sum is unknown: say so rather than print the route's alone.
                None => write!(fix, " (route metric {route_metric}; its interface metric was not read)."),
            };
        }
        None => fix.push('.'),
    }
    let own_route = group_route_on(facts, group, target);
    let route_fix = format!(
        "`{}` (kept across reboots and applied at the next boot; the same with `-PolicyStore ActiveStore` applies it now)",
        iphelper::new_route_command(MULTICAST, &n.to_string(), 1)
    );
    let _ = write!(fix, " Add a persistent multicast route on it: {route_fix}");
    if let Some(metric) = target.metric {
        let _ = write!(fix, "; its effective metric becomes {}", effective_metric(1, Some(metric)));
        if let Some((rival, _, effective, _)) = best_rival
            && rival.metric.is_some()
            && effective_metric(1, Some(metric)) >= effective
        {
            let _ = write!(fix, ", still not below {effective}: lower its interface metric as well");
            if let Some(wanted) = windows_interface_metric(facts, group, target) {
                let _ = write!(
                    fix,
                    " (`{}`: {ROUTE_METRIC} + {wanted} < {effective})",
                    iphelper::set_interface_metric_command(&n.to_string(), &wanted.to_string())
                );
            }
        }
    }
    fix.push('.');
    // The interface-metric alternative: room below the best rival with the target's own group route —
    // computable only when both interface metrics were read.
    let metrics_known =
        target.metric.is_some() && best_rival.is_none_or(|(rival, ..)| rival.metric.is_some());
    match (metrics_known, own_route, best_rival) {
        (true, Some((own_prefix, own_route_metric)), Some((rival, prefix, effective, _)))
            if own_prefix >= prefix =>
        {
            let room = effective.saturating_sub(own_route_metric);
            if room > 1 {
                let wanted = room - 1;
                let _ = write!(
                    fix,
                    " Or lower its interface metric: `{}` \
                     ({own_route_metric} + {wanted} < {effective}; this turns its automatic metric off).",
                    iphelper::set_interface_metric_command(&n.to_string(), &wanted.to_string())
                );
            } else {
                let _ = write!(
                    fix,
                    " Its interface metric cannot go low enough on its own: raise \"{}\"'s instead (`{}`).",
                    rival.name,
                    iphelper::set_interface_metric_command(&rival.index.to_string(), "<higher>")
                );
            }
        }
        (false, _, _) => {
            let _ = write!(
                fix,
                " Or lower its interface metric below the others' (`Get-NetIPInterface -AddressFamily IPv4` shows them; `{}`).",
                iphelper::set_interface_metric_command(&n.to_string(), "<lower>")
            );
        }
        _ => {}
    }
    let restart = restart_pbx_or(facts, "Restart-Service <PBX service>");
    let _ = write!(
        fix,
        " Then restart the PBX service{restart} or reboot: a running PBX keeps the adapter it \
         joined on. Confirm with `netsh interface ipv4 show joins` that {group} is listed under \"{alias}\". {}",
        gateway_metric_trial(&format!("\"{alias}\""), &n.to_string())
    );
    fix
}

/// The vendor's fallback: try the adapter's gateway metric at 1, 10, 12, 15 and 20, rebooting after each.
fn gateway_metric_trial(adapter: &str, index: &str) -> String {
    format!(
        "If the PBX still joins elsewhere: set the Default Gateway Metric of {adapter} (IPv4 properties → Advanced, or `{}`) \
         to 1, then 10, 12, 15 and 20, rebooting and checking `netsh interface ipv4 show joins` after each.",
        iphelper::set_gateway_metric_command(index)
    )
}

/// Turning an adapter off.
#[must_use]
pub fn disable_adapter(os: OsFamily, interface: &str) -> String {
    match os {
        OsFamily::Linux => format!(
            "`{}` (NetworkManager: `{}`; Wi-Fi: `nmcli radio wifi off`)",
            managers::ip::link_up(interface, false).command,
            managers::network_manager::disconnect_command(interface)
        ),
        OsFamily::Windows => format!("`{}`", iphelper::disable_adapter_command(interface)),
        // The service, not the BSD device, is what macOS keeps disabled across reboots; the hardware
        // port list names the service's port for each device.
        OsFamily::Macos => managers::networksetup::disable_service_text(interface),
    }
}

/// Letting the phones' SIP to the port through the host firewall when no rule could be named (the
/// firewall could not be read, or the drop was seen but not explained). Scoped to the phones' subnet:
/// SIP open to the world invites toll fraud. `subnet` is `None` when no phone subnet is known.
#[must_use]
pub fn open_firewall(
    os: OsFamily,
    port: u16,
    subnet: Option<&str>,
    interface: Option<&str>,
    in_use: Option<Manager>,
) -> Fix {
    let subnet = subnet.unwrap_or("<phones' subnet>");
    // The manager is not known here (the rule was not read or not explained): the text names each
    // one's command, and the step is the administrator's choice among them.
    let choose = || {
        Step::manual(format!("allow SIP from {subnet} to UDP {port} with the tool that manages the firewall"))
    };
    let text = match os {
        OsFamily::Linux => {
            use managers::{firewalld, iptables, nft, ufw};
            if let Some(fix) = open_firewall_with(in_use, port, subnet) {
                return fix;
            }
            format!(
                "Allow SIP from the phones' subnet only, before the rule that drops it, with the tool that manages \
                 the firewall: ufw `{}`; firewalld `{} && sudo firewall-cmd --reload`; \
                 nftables `sudo nft insert rule <family> <table> <chain> {}` \
                 (`sudo nft -a list ruleset` shows where the drop is; keep it in /etc/nftables.conf); iptables \
                 `sudo iptables -I INPUT 1 {}` then `sudo netfilter-persistent save`.",
                ufw::allow_sip(subnet, port).command,
                firewalld::allow_sip(None, subnet, port).command,
                nft::accept_sip_words(subnet, port),
                iptables::accept_sip_spec(subnet, port)
            )
        }
        // The same scoped rule as the judged fix in firewall::fix.
        OsFamily::Windows => {
            let step = managers::windows_firewall::allow_sip(port, interface);
            return Fix::one(format!("`{}`", step.command), step);
        }
        OsFamily::Macos => format!(
            "Allow the PBX in System Settings → Network → Firewall → Options (or \
             `sudo /usr/libexec/ApplicationFirewall/socketfilterfw --unblockapp <path of the PBX>`); if pf is enabled, \
             add `pass in quick proto udp from {subnet} to any port {port}` to an anchor loaded from \
             /etc/pf.conf and reload it with `sudo pfctl -f /etc/pf.conf`."
        ),
    };
    Fix::one(text, choose())
}

/// The opening in the words of the one Linux manager in use (ufw, firewalld), or of the one tool whose
/// rules were read (nft, iptables), when it is known: one command, not every manager's. `None` for
/// another manager or when none is known.
fn open_firewall_with(in_use: Option<Manager>, port: u16, subnet: &str) -> Option<Fix> {
    use managers::{firewalld, iptables, nft, ufw};
    let fix = match in_use? {
        Manager::Ufw => {
            let step = ufw::allow_sip(subnet, port);
            Fix::one(
                format!(
                    "Allow SIP from the phones' subnet with ufw, which manages the firewall: `{}`.",
                    step.command
                ),
                step,
            )
        }
        Manager::Firewalld => {
            let (rule, reload) = (firewalld::allow_sip(None, subnet, port), firewalld::reload());
            Fix {
                text: format!(
                    "Allow SIP from the phones' subnet with firewalld, which manages the firewall: `{}`, then `{}`.",
                    rule.command, reload.command
                ),
                steps: vec![rule, reload],
            }
        }
        // Where the drop is was not read: the chain is the administrator's to name.
        Manager::Nft => Fix::one(
            format!(
                "Allow SIP from the phones' subnet before the rule that drops it, with nftables: `sudo nft insert \
                 rule <family> <table> <chain> {}` (`sudo nft -a list ruleset` shows where the drop is; keep it in \
                 /etc/nftables.conf).",
                nft::accept_sip_words(subnet, port)
            ),
            Step {
                manager: Manager::Nft,
                ..Step::manual(format!(
                    "allow SIP from {subnet} to UDP {port} before the drop, in its nft chain"
                ))
            },
        ),
        manager @ (Manager::IptablesNft | Manager::IptablesLegacy) => {
            let program = if manager == Manager::IptablesNft {
                iptables::Program::Nft
            } else {
                iptables::Program::Legacy
            };
            let step = iptables::add_rule(
                program,
                "filter",
                "INPUT",
                Some(1),
                &iptables::accept_sip_spec(subnet, port),
            );
            Fix::one(
                format!(
                    "Allow SIP from the phones' subnet before the rule that drops it, with iptables: `{}`, then \
                     `{}` to keep it.",
                    step.command,
                    iptables::SAVE
                ),
                step,
            )
        }
        _ => return None,
    };
    Some(fix)
}

/// Loosening a strict reverse-path filter. `previous` is the values read for `all` and the interface,
/// which the undo sets back.
#[must_use]
pub fn loosen_rp_filter(os: OsFamily, interface: &str, previous: Option<(u8, u8)>) -> Fix {
    match os {
        OsFamily::Linux => {
            use managers::sysctl::{Setting, rp_filter_key, set};
            let step = set(
                format!("loose reverse-path filtering on {interface}"),
                &[
                    Setting::new(rp_filter_key("all"), 2, previous.map(|(all, _)| all)),
                    Setting::new(rp_filter_key(interface), 2, previous.map(|(_, own)| own)),
                ],
            );
            Fix::one(
                format!(
                    "Use loose reverse-path filtering on {interface}: `{}`. Make it persistent with the same two \
                     settings in a file under /etc/sysctl.d/.",
                    step.command
                ),
                step,
            )
        }
        OsFamily::Windows | OsFamily::Macos => Fix::one(
            "Check the host's anti-spoofing settings for the phones' interface.",
            Step::manual("check the anti-spoofing settings of the phones' interface"),
        ),
    }
}

/// Taking a stray adapter down, as a whole sentence. NetworkManager's own words are added only where
/// it runs or manages the adapter: a fix speaks the manager in use.
#[must_use]
pub fn take_down(os: OsFamily, facts: &HostFacts, interface: &str) -> Fix {
    match os {
        OsFamily::Linux => {
            let step = managers::ip::link_up(interface, false);
            let networkmanager = facts.network_manager.as_ref().is_some_and(|m| {
                m.present.contains(&NetworkManager::NetworkManager)
                    || m.of(interface).is_some_and(|i| i.manager == NetworkManager::NetworkManager)
            });
            let also = if networkmanager {
                format!(
                    " (NetworkManager manages it: `{}` keeps it down)",
                    managers::network_manager::disconnect_command(interface)
                )
            } else {
                String::new()
            };
            Fix::one(
                format!("Take {interface} down if the PBX does not need it: `{}`{also}.", step.command),
                step,
            )
        }
        OsFamily::Windows => Fix::one(
            format!("Disable {interface} if the PBX does not need it: {}.", disable_adapter(os, interface)),
            iphelper::disable_adapter(interface),
        ),
        OsFamily::Macos => Fix::one(
            format!("Disable {interface} if the PBX does not need it: {}.", disable_adapter(os, interface)),
            managers::networksetup::disable_service(interface),
        ),
    }
}

/// Which interface mcready assumed, and how to name the right one instead of disabling anything.
#[must_use]
pub fn name_the_phones_interface(group: Ipv4Addr, assumed: &str, others: &[&str]) -> Fix {
    let example = others.first().copied().unwrap_or("IFACE");
    Fix::one(
        format!(
            "mcready assumed {assumed} faces the phones because the OS routes {group} by it. If the phones are on \
             {}, run again with `--phone <a phone's IP>` or `-i {example}`.",
            others.join(" or ")
        ),
        // Which adapter faces the phones is the administrator's knowledge, not this host's.
        Step::manual(format!("tell mcready which interface faces the phones (`--phone` or `-i {example}`)")),
    )
}

/// Bringing the phones' interface up: one sentence per missing flag.
#[must_use]
pub fn bring_link_up(os: OsFamily, interface: &str, up: bool, running: bool, multicast: bool) -> Fix {
    let mut parts = Vec::new();
    match os {
        OsFamily::Linux => {
            if !up {
                let step = managers::ip::link_up(interface, true);
                parts.push(Fix::one(format!("Bring {interface} up: `{}`.", step.command), step));
            }
            if up && !running {
                parts.push(Fix::one(
                    format!("{interface} has no link: check its cable and the switch port it plugs into."),
                    Step::manual(format!("check {interface}'s cable and switch port")),
                ));
            }
            if !multicast {
                let step = managers::ip::multicast_on(interface);
                parts.push(Fix::one(
                    format!("Turn on {interface}'s multicast flag: `{}`.", step.command),
                    step,
                ));
            }
        }
        OsFamily::Windows | OsFamily::Macos => parts.push(Fix::one(
            format!("Enable {interface} and check its cable and the switch port it plugs into."),
            Step::manual(format!("enable {interface} and check its cable and switch port")),
        )),
    }
    Fix::join(parts)
}

/// The receiving sockets' buffers overflowed: a bigger buffer for the PBX's socket. The limits read
/// (`facts.receive_buffers`) are never lowered, and the undo sets them back.
#[must_use]
pub fn raise_receive_buffers(os: OsFamily, facts: &HostFacts) -> Fix {
    const MAX: u64 = 16 * 1024 * 1024;
    const DEFAULT: u64 = 4 * 1024 * 1024;
    match os {
        OsFamily::Linux => {
            use managers::sysctl::{Setting, set};
            let read = facts.receive_buffers;
            let step = set(
                "raise the sockets' receive buffers",
                &[
                    Setting::new(
                        "net.core.rmem_max",
                        read.map_or(MAX, |r| r.max.max(MAX)),
                        read.map(|r| r.max),
                    ),
                    Setting::new(
                        "net.core.rmem_default",
                        read.map_or(DEFAULT, |r| r.default.max(DEFAULT)),
                        read.map(|r| r.default),
                    ),
                ],
            );
            Fix {
                text: format!(
                    "Let the PBX's socket buffer a boot storm: `{}`. Restart the PBX{} so its socket takes the new size.",
                    step.command,
                    restart_pbx(facts)
                ),
                steps: vec![step, restart_step(facts)],
            }
        }
        OsFamily::Windows | OsFamily::Macos => Fix::one(
            "Raise the PBX's receive buffer in its SIP settings, then restart it.",
            Step::manual("raise the PBX's receive buffer in its SIP settings, then restart it"),
        ),
    }
}

/// The PnP group is heard through Wi-Fi.
#[must_use]
pub fn avoid_wifi(interface: &str) -> Fix {
    Fix::one(
        format!(
            "Serve the phones from a wired adapter rather than {interface}. If Wi-Fi must stay, turn off client \
         isolation and multicast-to-unicast conversion for this SSID on the access point."
        ),
        Step::manual("serve the phones from a wired adapter, or set the access point up for multicast"),
    )
}

/// How the host sits behind NAT, for the fix of `multicast.host-behind-nat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// A container on a bridge network (Docker's default).
    ContainerBridge,
    /// WSL 2 in its default NAT networking mode.
    WslNat,
    /// A virtual machine whose adapter is NAT'd by the hypervisor.
    VmNat,
}

/// Getting LAN multicast to a host behind NAT.
#[must_use]
pub fn leave_nat(isolation: Isolation, interface: &str) -> Fix {
    Fix::one(
            match isolation {
        Isolation::ContainerBridge => format!(
            "Run the container with host networking (`docker run --network host`, compose `network_mode: host`). \
             Or give it a macvlan network on the phones' LAN, and route multicast by it inside the container: \
             `ip route add 224.0.0.0/4 dev {interface}`."
        ),
        Isolation::WslNat => "Switch WSL to mirrored networking: `networkingMode=mirrored` under [wsl2] in \
             %UserProfile%\\.wslconfig, then `wsl --shutdown`. Open the Hyper-V firewall for SIP in an \
             elevated PowerShell: `Set-NetFirewallHyperVVMSetting -Name '{40E0AC32-46A5-438A-A0B2-2B479E8F2E90}' \
             -DefaultInboundAction Allow`."
            .to_owned(),
        Isolation::VmNat => "Attach the virtual machine's adapter to the phones' LAN in bridged mode, not NAT \
             (VirtualBox \"Bridged Adapter\", VMware \"Bridged\", libvirt a bridge or macvtap, Hyper-V an \
             external switch)."
            .to_owned(),
    },
        Step::manual("put the host on the phones' LAN instead of behind NAT"),
    )
}

/// A PBX in a container behind NAT (a bridge network with the SIP port forwarded): multicast never
/// crosses the NAT, so the container must sit on the phones' LAN itself. Recreating a container is
/// the administrator's to do (its image, volumes and options are not known here): manual steps.
#[must_use]
pub fn pbx_container_on_the_lan(interface: &str, subnet: Option<&str>) -> Fix {
    let subnet = subnet.unwrap_or("<the phones' subnet>");
    Fix {
        text: format!(
            "Run the PBX's container with host networking (`docker run --network host …`, compose \
             `network_mode: host`), so that it joins 224.0.1.75 on {interface} itself; or give it an address on the \
             phones' LAN with a macvlan network on {interface} (`docker network create -d macvlan --subnet {subnet} \
             -o parent={interface} pnp-lan`, then `docker run --network pnp-lan --ip <a free address> …`). Drop the \
             udp/5060 port forward then, and check again."
        ),
        steps: vec![
            Step::manual(format!(
                "recreate the PBX's container with host networking, or on a macvlan network on {interface}"
            )),
            Step::manual("drop the udp/5060 port forward to the container"),
        ],
    }
}

/// Enabling an IGMP querier on the LAN. When the phones' interface is a Linux bridge of this host
/// (`bridge`), the bridge itself can be the querier: a step this host can take (and undo).
#[must_use]
pub fn enable_querier(bridge: Option<&str>) -> Fix {
    if let Some(bridge) = bridge {
        let step = managers::ip::bridge_querier(bridge);
        return Fix::one(
            format!(
                "The phones' LAN runs through this host's bridge {bridge}: make it the IGMP querier with `{}` \
                 (or enable a querier on the switch or router of the phones' VLAN).",
                step.command
            ),
            step,
        );
    }
    Fix::one(
        "Enable an IGMP snooping querier on the phones' VLAN (on the core switch or the router: e.g. \
     `ip igmp snooping querier` on Cisco-like switches; on a Linux bridge `ip link set br0 type bridge mcast_querier 1`), \
     or turn IGMP snooping off on that VLAN."
            .to_owned(),
        Step::manual("enable an IGMP snooping querier on the phones' VLAN (a switch or router)"),
    )
}

/// Putting phones and PBX on one subnet.
#[must_use]
pub fn same_subnet(interface: &str) -> Fix {
    Fix::one(
        format!(
            "Put the phones on the same subnet/VLAN as {interface} (multicast with TTL 1 is never routed), or give the \
         PBX host an interface on the phones' VLAN; otherwise provision those phones with DHCP option 66/160 instead of PnP."
        ),
        Step::manual("put the phones and the PBX on one subnet / VLAN"),
    )
}

/// What to do about a phone that does not send PnP.
#[must_use]
pub fn phone_pnp() -> Fix {
    Fix::one(
            "On the phone: enable PnP (often \"Plug and Play\" or \"PnP Config\" under auto-provisioning), upgrade its \
     firmware, or factory-reset it (PnP runs at first boot); then reboot it while mcready listens (`--listen 120`)."
        .to_owned(),
        Step::manual("enable PnP on the phone, then reboot it"),
    )
}

/// A PBX that answers 200 OK but never sends the NOTIFY: the PnP service answers, the provisioning
/// part is not set up.
#[must_use]
pub fn pbx_sends_no_notify() -> Fix {
    Fix::one(
            "Set up the PBX's provisioning for PnP (a provisioning URL or template for the phone models), so that its \
     200 OK is followed by a NOTIFY with the URL. Then look for mcready's SUBSCRIBE in the PBX's log."
        .to_owned(),
        Step::manual("set up the PBX's PnP provisioning"),
    )
}

/// A SIP server that answers the PnP SUBSCRIBE with a final error: it hears the group but does no PnP.
#[must_use]
pub fn pnp_refused(this_host: bool) -> Fix {
    let which = if this_host { "the SIP server on this host" } else { "that server" };
    Fix::one(
        format!(
            "PnP (auto-provisioning by multicast) is off or not supported in {which}: enable its PnP / phone provisioning \
         service and restart it, or run the PBX or PnP service that does provision phones. If another service is \
         meant to answer, stop this one from joining {group} so that it cannot answer phones first.",
            group = crate::sip::PNP_GROUP
        ),
        Step::manual("enable PnP in the SIP server, or stop it from answering"),
    )
}

/// A NOTIFY whose fields some phones reject.
#[must_use]
pub fn pbx_notify_fields() -> Fix {
    Fix::one(
            "Update the PBX, or report the fields above to its vendor: phones expect the NOTIFY at their Contact, \
     with `Content-Type: application/url` and the URL as the body."
        .to_owned(),
        Step::manual("update the PBX, or report its NOTIFY to the vendor"),
    )
}

/// A provisioning URL no phone can fetch.
#[must_use]
pub fn provisioning_url() -> Fix {
    Fix::one(
            "Set the PBX's provisioning URL to an address the phones can reach: the PBX's address on the phones' LAN, \
     or a name their DNS resolves to it — never localhost, 127.0.0.1 or a link-local address."
        .to_owned(),
        Step::manual("set the PBX's provisioning URL to an address the phones reach"),
    )
}

/// A provisioning server that phones cannot fetch from.
#[must_use]
pub fn provisioning_server() -> Fix {
    Fix::one(
            "Make the provisioning server answer the URL in the NOTIFY: check that it runs and listens on that port, \
     that the host firewall lets the phones' subnet reach it, and that it serves the phones' files without \
     credentials they do not have (or with a certificate they trust)."
        .to_owned(),
        Step::manual("make the provisioning server answer the phones"),
    )
}
