//! What the phones hear besides PnP, judged: DHCP provisioning options that phones take before or
//! instead of PnP (`phone.dhcp-provisioning`), phones seen by their vendor's MAC prefix that never
//! sent a PnP SUBSCRIBE (`phone.silent-vendor-phones`), and a switch port that moves phones into a
//! voice VLAN this host is not on (`subnet.voice-vlan`).
//!
//! The evidence is weak by nature — DHCP answers are often unicast, a phone seen by ARP in a short
//! window may have sent its SUBSCRIBE before it — so nothing here says `fail`: `warn` with how to
//! decide, or `skip` saying what could not be seen. The vendors' documented orders are in
//! `docs/phones.md` with their sources.

use std::fmt::Write as _;

use serde_json::json;

use super::{OsFamily, Snapshot, check};
use crate::fix::{Fix, Step};
use crate::observed::{DiscoveryReport, Observed, Phone, SwitchPort};
use crate::verdict::{Check, Status};

pub const DHCP_PROVISIONING: &str = "phone.dhcp-provisioning";
pub const SILENT_VENDOR_PHONES: &str = "phone.silent-vendor-phones";
pub const VOICE_VLAN: &str = "subnet.voice-vlan";

/// Where a vendor's phones look for their provisioning server first, as its manuals document it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// A DHCP option, when offered, wins over PnP.
    DhcpFirst,
    /// PnP first; DHCP options only when no PnP server answers.
    PnpFirst,
    /// The vendor's cloud redirection service first, then PnP, then DHCP.
    RedirectionThenPnp,
    /// The manuals we found do not say.
    Undocumented,
}

/// The documented order per vendor (names as the IEEE table and the PnP Event's `vendor` spell them).
#[must_use]
pub fn vendor_order(vendor: &str) -> Order {
    let vendor = vendor.to_ascii_lowercase();
    if vendor.contains("fanvil") {
        Order::DhcpFirst
    } else if vendor.contains("yealink") || vendor.contains("panasonic") {
        Order::PnpFirst
    } else if vendor.contains("gigaset") || vendor.contains("snom") {
        Order::RedirectionThenPnp
    } else {
        Order::Undocumented
    }
}

/// The window the discovery was heard in: `check --listen`'s, else the soak's (which counts phones but
/// does not keep them).
struct Window<'a> {
    duration_secs: f64,
    interrupted: bool,
    phones: &'a [Phone],
    phones_known: bool,
}

/// The listening window's discovery (else the soak's), or the `skip` that says why there is none.
fn discovery<'a>(
    snapshot: &'a Snapshot,
    id: &'static str,
    what: &str,
) -> Result<(Window<'a>, &'a DiscoveryReport), Box<Check>> {
    if let Observed::Done(listen) = &snapshot.listen
        && let Some(found) = &listen.discovery
    {
        let window = Window {
            duration_secs: listen.duration_secs,
            interrupted: listen.interrupted,
            phones: &listen.phones,
            phones_known: true,
        };
        return Ok((window, found));
    }
    if let Some(soak) = snapshot.soak.done()
        && let Some(found) = &soak.discovery
    {
        let window = Window {
            duration_secs: soak.duration_secs,
            interrupted: soak.interrupted,
            phones: &[],
            phones_known: false,
        };
        return Ok((window, found));
    }
    let mut chars = what.chars();
    let capitalized: String = chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(chars).collect();
    let summary = match &snapshot.listen {
        Observed::Skipped(reason) => format!("{capitalized} could not be seen: {reason}"),
        Observed::NotAsked if snapshot.soak.done().is_none() => {
            format!("No listening window to see {what} in: run with `--listen 120` and reboot a phone.")
        }
        _ => {
            // The window's own words say why there was no capture on this host (privilege, OS).
            let why = snapshot
                .listen
                .done()
                .and_then(|l| l.limits.iter().find(|limit| limit.starts_with("no passive capture")))
                .map_or_else(|| "no passive capture ran".to_owned(), Clone::clone);
            format!("{capitalized} could not be seen: {why}.")
        }
    };
    // A window without a capture: for lack of privilege when this run was refused one.
    let skip = check(id, Status::Skip, summary, None, json!({}));
    let skip = if snapshot.listen.done().is_some() {
        skip.lacking_evidence("a listening window with a passive capture").lacking_privilege(
            crate::verdict::Privilege::RawSockets,
            super::refused(snapshot, |p| &p.capture),
        )
    } else {
        skip.lacking_evidence(super::LISTEN_HOW)
    };
    Err(Box::new(skip))
}

/// The vendors known on this LAN: phones heard sending PnP, and hosts by their MAC prefix.
fn vendors(listen: &Window<'_>, found: &DiscoveryReport) -> Vec<String> {
    let mut vendors: Vec<String> = Vec::new();
    let named = listen
        .phones
        .iter()
        .filter_map(|p| p.vendor.clone())
        .chain(found.vendor_devices.iter().map(|d| d.vendor.clone()));
    for vendor in named {
        if !vendors.iter().any(|v| v.eq_ignore_ascii_case(&vendor)) {
            vendors.push(vendor);
        }
    }
    vendors
}

pub fn dhcp_provisioning(snapshot: &Snapshot) -> Check {
    let (listen, found) = match discovery(snapshot, DHCP_PROVISIONING, "DHCP answers") {
        Ok(both) => both,
        Err(skip) => return *skip,
    };
    let evidence =
        json!({"dhcp_answers": found.dhcp_answers, "dhcp_server_messages": found.dhcp_server_messages});
    if found.dhcp_server_messages == 0 {
        return check(
            DHCP_PROVISIONING,
            Status::Skip,
            format!(
                "No DHCP offer or ack reached this host in {:.0} s: servers often answer a phone by unicast, so this says \
                 nothing about DHCP options. To see them, run mcready on the DHCP server, or on a switch mirror port of \
                 the phones' port, while a phone boots.",
                listen.duration_secs
            ),
            None,
            evidence,
        )
        .lacking_evidence("run on the DHCP server, or on a mirror port of the phones' port, while a phone boots");
    }
    let offering: Vec<String> = found
        .dhcp_answers
        .iter()
        .filter(|a| !a.options.is_empty())
        .map(|a| {
            let options: Vec<String> =
                a.options.iter().map(|o| format!("option {} {}", o.code, o.value)).collect();
            format!("{} ({})", a.server, options.join(", "))
        })
        .collect();
    if offering.is_empty() {
        let servers: Vec<String> = found.dhcp_answers.iter().map(|a| a.server.to_string()).collect();
        return check(
            DHCP_PROVISIONING,
            Status::Pass,
            format!(
                "DHCP from {} hands out no provisioning option (66, 43, 114, 150, 159, 160): phones are left to PnP.",
                dedup(servers).join(", ")
            ),
            None,
            evidence,
        );
    }
    let vendors = vendors(&listen, found);
    let mut summary = format!("DHCP hands out provisioning options: {}.", offering.join("; "));
    let (takes_dhcp, unknown) = weigh_vendors(&vendors, &mut summary);
    let taking: Vec<&str> = found
        .vendor_devices
        .iter()
        .filter(|d| takes_dhcp.iter().any(|v| v.eq_ignore_ascii_case(&d.vendor)))
        .map(|d| d.mac.as_str())
        .chain(
            listen
                .phones
                .iter()
                .filter(|p| {
                    p.vendor.as_ref().is_some_and(|v| takes_dhcp.iter().any(|t| t.eq_ignore_ascii_case(v)))
                })
                .filter_map(|p| p.mac.as_deref()),
        )
        .collect();
    if !taking.is_empty() {
        let _ = write!(
            summary,
            " Those seen here: {}.",
            dedup(taking.iter().map(|m| (*m).to_owned()).collect()).join(", ")
        );
    }
    let status = if takes_dhcp.is_empty() && unknown.is_empty() && !vendors.is_empty() {
        Status::Pass
    } else {
        Status::Warn
    };
    let remedy = (status == Status::Warn).then(|| {
        super::manual(
        "If the phones should provision from this PBX by PnP: remove the provisioning options from the phones' DHCP \
         scope (or give the phones a scope without them), or point the option at this PBX's provisioning URL; on the \
         phones, DHCP provisioning can also be turned off (Fanvil: Auto Provision → DHCP option). A used phone also \
         keeps the server it was last given: factory-reset it.",
            "take the provisioning options out of the phones' DHCP scope, or turn DHCP provisioning off on the phones",
        )
    });
    check(
        DHCP_PROVISIONING,
        status,
        summary,
        remedy,
        json!({"dhcp_answers": found.dhcp_answers, "vendors": vendors, "dhcp_first": takes_dhcp, "order_undocumented": unknown}),
    )
}

/// Sorts the vendors by their documented order and says what each will do; returns those that take the
/// DHCP option before PnP and those whose order is not documented.
fn weigh_vendors(vendors: &[String], summary: &mut String) -> (Vec<String>, Vec<String>) {
    let mut takes_dhcp = Vec::new();
    let mut pnp_first = Vec::new();
    let mut unknown = Vec::new();
    for vendor in vendors {
        match vendor_order(vendor) {
            Order::DhcpFirst => takes_dhcp.push(vendor.clone()),
            Order::PnpFirst | Order::RedirectionThenPnp => pnp_first.push(vendor.clone()),
            Order::Undocumented => unknown.push(vendor.clone()),
        }
    }
    if !takes_dhcp.is_empty() {
        let _ = write!(
            *summary,
            " {} phones try DHCP before PnP (their manuals: DHCP option, then PnP): they will provision from the DHCP \
             option, not from the PBX.",
            takes_dhcp.join(", ")
        );
    }
    if !pnp_first.is_empty() {
        let _ = write!(
            *summary,
            " {} phones try PnP first (Gigaset and Snom after their redirection service) and take the option only when no \
             PnP server answers.",
            pnp_first.join(", ")
        );
    }
    if !unknown.is_empty() {
        let _ = write!(
            *summary,
            " For {} the order is not documented: a phone may take the option instead of PnP.",
            unknown.join(", ")
        );
    }
    if vendors.is_empty() {
        summary.push_str(
            " No phone's vendor is known here: Fanvil phones take a DHCP option before PnP; Yealink and Panasonic try PnP \
             first; Gigaset and Snom ask their redirection service first.",
        );
    }
    (takes_dhcp, unknown)
}

fn dedup(mut items: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    items.retain(|item| {
        let fresh = !seen.contains(item);
        seen.push(item.clone());
        fresh
    });
    items
}

pub fn silent_vendor_phones(snapshot: &Snapshot) -> Check {
    let (listen, found) = match discovery(snapshot, SILENT_VENDOR_PHONES, "phones by their vendor's MAC") {
        Ok(both) => both,
        Err(skip) => return *skip,
    };
    let how =
        if found.link_layer { "DHCP requests or ARP" } else { "DHCP requests (this capture sees no ARP)" };
    if found.vendor_devices.is_empty() {
        return check(
            SILENT_VENDOR_PHONES,
            Status::Skip,
            format!(
                "No host with a phone vendor's MAC prefix was seen by {how} in {:.0} s.",
                listen.duration_secs
            ),
            None,
            json!({"link_layer": found.link_layer}),
        );
    }
    if !listen.phones_known {
        return check(
            SILENT_VENDOR_PHONES,
            Status::Skip,
            format!(
                "{} host(s) with a phone vendor's MAC prefix were seen during the soak, which counts phones but does not \
                 name them: add `--listen 120` to tell which never sent PnP.",
                found.vendor_devices.len()
            ),
            None,
            json!({"vendor_devices": found.vendor_devices}),
        )
        .lacking_evidence(super::LISTEN_HOW);
    }
    let silent: Vec<_> = found
        .vendor_devices
        .iter()
        .filter(|d| {
            !listen.phones.iter().any(|p| {
                p.mac.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(&d.mac))
                    || d.address.is_some_and(|a| p.source.ip() == std::net::IpAddr::V4(a))
            })
        })
        .collect();
    let evidence =
        json!({"vendor_devices": found.vendor_devices, "silent": silent, "link_layer": found.link_layer});
    if silent.is_empty() {
        return check(
            SILENT_VENDOR_PHONES,
            Status::Pass,
            format!(
                "Every host seen with a phone vendor's MAC prefix ({}) sent a PnP SUBSCRIBE.",
                found.vendor_devices.len()
            ),
            None,
            evidence,
        );
    }
    if listen.interrupted {
        return check(
            SILENT_VENDOR_PHONES,
            Status::Skip,
            "The listening window was interrupted: phones seen that sent no SUBSCRIBE may have sent it later.".into(),
            None,
            evidence,
        )
        .lacking_evidence("a listening window that is not interrupted");
    }
    let lines: Vec<String> = silent
        .iter()
        .map(|d| {
            let address = d.address.map_or_else(String::new, |a| format!(" at {a}"));
            let booted = if d.seen_by.iter().any(|s| s == "dhcp") {
                "asked DHCP for an address in the window"
            } else {
                "seen by ARP only"
            };
            format!("{} {}{address} ({booted})", d.vendor, d.mac)
        })
        .collect();
    check(
        SILENT_VENDOR_PHONES,
        Status::Warn,
        format!(
            "Sent no PnP SUBSCRIBE in {:.0} s: {}. Each is not factory-fresh (it keeps the provisioning server it was \
             given), has PnP disabled, or discovers its server another way (DHCP options; Sangoma/Digium phones use \
             mDNS). A phone seen only by ARP may simply have booted before the window: reboot it while mcready listens \
             to decide.",
            listen.duration_secs,
            lines.join("; ")
        ),
        Some(super::remedy::phone_pnp()),
        evidence,
    )
}

/// `same-subnet`: a voice VLAN on this host's switch port that the PBX is not on.
pub fn voice_vlan(snapshot: &Snapshot) -> Check {
    let (listen, found) = match discovery(snapshot, VOICE_VLAN, "the switch's LLDP and CDP") {
        Ok(both) => both,
        Err(skip) => return *skip,
    };
    if !found.link_layer {
        return check(
            VOICE_VLAN,
            Status::Skip,
            "This OS's capture sees IPv4 only (no link layer), so the switch's LLDP and CDP cannot be heard: look at the \
             switch port's voice VLAN and LLDP-MED policy in its configuration."
                .into(),
            None,
            json!({"link_layer": false}),
        );
    }
    let evidence = json!({"switch_ports": found.switch_ports});
    if found.switch_ports.is_empty() {
        return check(
            VOICE_VLAN,
            Status::Skip,
            format!(
                "No LLDP or CDP announcement was heard in {:.0} s: the switch sends none on this port, or the window was \
                 shorter than its interval (LLDP every 30 s, CDP every 60 s by default: `--listen 65`).",
                listen.duration_secs
            ),
            None,
            evidence,
        )
        .lacking_evidence("`--listen 65`");
    }
    let interface = snapshot.pnp_interface.as_deref().unwrap_or("this host's interface");
    let moved: Vec<&SwitchPort> = found.switch_ports.iter().filter(|p| moves_phones(p)).collect();
    let described: Vec<String> = found.switch_ports.iter().map(describe).collect();
    if moved.is_empty() {
        return check(
            VOICE_VLAN,
            Status::Pass,
            format!("{}: phones stay in this host's VLAN.", described.join("; ")),
            None,
            evidence,
        );
    }
    let vlans: Vec<u16> = moved.iter().filter_map(|p| p.voice_vlan.map(|v| v.vlan)).collect();
    let vlan = vlans.first().copied().unwrap_or_default();
    check(
        VOICE_VLAN,
        Status::Warn,
        format!(
            "{}; {interface} is untagged on that port, so it is not in VLAN {vlan}: phones that follow LLDP-MED or CDP \
             move to VLAN {vlan} and their PnP SUBSCRIBEs never reach this host.",
            described.join("; ")
        ),
        Some(voice_vlan_remedy(snapshot.os, interface, vlan)),
        evidence,
    )
}

/// The port announces a tagged voice VLAN other than its own untagged one.
fn moves_phones(port: &SwitchPort) -> bool {
    port.voice_vlan
        .is_some_and(|voice| voice.tagged && voice.vlan != 0 && Some(voice.vlan) != port.native_vlan)
}

fn describe(port: &SwitchPort) -> String {
    let name = port.switch.as_deref().or(port.chassis_id.as_deref()).unwrap_or("the switch");
    let on = port.port.as_deref().map_or_else(String::new, |p| format!(" port {p}"));
    let native = port.native_vlan.map_or_else(String::new, |v| format!(", untagged VLAN {v}"));
    let voice = match port.voice_vlan {
        Some(v) if v.tagged => format!(", voice VLAN {} (tagged)", v.vlan),
        Some(_) => ", voice untagged".to_owned(),
        None => ", no voice VLAN".to_owned(),
    };
    format!("{} from {name}{on}{native}{voice}", port.protocol.to_uppercase())
}

fn voice_vlan_remedy(os: OsFamily, interface: &str, vlan: u16) -> Fix {
    let (add, step) = match os {
        OsFamily::Linux => {
            let step = crate::managers::ip::vlan_add(interface, vlan);
            (
                format!(
                    "`{}` with an address in the voice subnet (persist it in the network configuration), and let \
                     the PBX serve PnP there",
                    step.command
                ),
                step,
            )
        }
        OsFamily::Windows => (
            format!(
                "a tagged adapter for VLAN {vlan} (the NIC's VLAN ID, or a Hyper-V/teaming VLAN interface) with an address \
                 in the voice subnet, and let the PBX serve PnP there"
            ),
            Step::manual(format!("give the PBX a tagged adapter for VLAN {vlan}")),
        ),
        OsFamily::Macos => (
            format!(
                "a VLAN interface for VLAN {vlan} on {interface} (System Settings → Network → Manage Virtual Interfaces) \
                 with an address in the voice subnet, and let the PBX serve PnP there"
            ),
            Step::manual(format!("give the PBX a VLAN interface for VLAN {vlan}")),
        ),
    };
    let text = format!(
        "Either give the PBX an interface on the voice VLAN: {add}; or, if phones should stay in this host's VLAN, \
         remove the voice VLAN from the port's LLDP-MED network policy / `switchport voice vlan`; or provision those \
         phones by DHCP option 66/160 in the voice VLAN."
    );
    // The rest of the step is an address and the PBX's PnP setting: an administrator's to choose.
    Fix {
        text,
        steps: vec![
            step,
            Step::manual("give the VLAN interface an address in the voice subnet and serve PnP there"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{healthy, listened, phone};
    use crate::observed::{DhcpAnswer, DhcpOptionSeen, VendorDevice, VoiceVlan};

    fn phone_checks(snapshot: &Snapshot) -> Vec<Check> {
        vec![dhcp_provisioning(snapshot), silent_vendor_phones(snapshot)]
    }

    fn with_discovery(phones: Vec<crate::observed::Phone>, found: DiscoveryReport) -> Snapshot {
        let mut snapshot = healthy();
        let mut listen = listened(phones);
        if let Observed::Done(report) = &mut listen {
            report.discovery = Some(found);
        }
        snapshot.listen = listen;
        snapshot
    }

    fn device(mac: &str, vendor: &str, seen_by: &str) -> VendorDevice {
        VendorDevice {
            mac: mac.into(),
            vendor: vendor.into(),
            address: Some("198.51.100.50".parse().unwrap()),
            seen_by: vec![seen_by.into()],
            vendor_class: None,
            requested_options: Vec::new(),
        }
    }

    fn ack(options: Vec<DhcpOptionSeen>) -> DhcpAnswer {
        DhcpAnswer {
            server: "198.51.100.1".parse().unwrap(),
            message: "ack".into(),
            options,
            clients: Vec::new(),
            count: 1,
        }
    }

    fn option_66() -> DhcpOptionSeen {
        DhcpOptionSeen {
            code: 66,
            name: "TFTP server name".into(),
            value: "http://198.51.100.9/prov/".into(),
        }
    }

    fn status(checks: &[Check], id: &str) -> Status {
        checks.iter().find(|c| c.id == id).map_or_else(|| panic!("no {id}"), |c| c.status)
    }

    #[test]
    fn no_dhcp_answer_heard_is_skip_never_no_option() {
        let snapshot =
            with_discovery(Vec::new(), DiscoveryReport { link_layer: true, ..DiscoveryReport::default() });
        let checks = phone_checks(&snapshot);
        let dhcp = checks.iter().find(|c| c.id == DHCP_PROVISIONING).unwrap();
        assert_eq!(dhcp.status, Status::Skip);
        assert!(dhcp.summary.contains("unicast"), "{}", dhcp.summary);
    }

    #[test]
    fn fanvil_takes_the_dhcp_option_yealink_tries_pnp_first() {
        let found = |vendor: &str| DiscoveryReport {
            link_layer: true,
            dhcp_server_messages: 1,
            dhcp_answers: vec![ack(vec![option_66()])],
            vendor_devices: vec![device("0c:38:3e:00:00:01", vendor, "dhcp")],
            ..DiscoveryReport::default()
        };
        let fanvil = phone_checks(&with_discovery(Vec::new(), found("Fanvil")));
        let check = fanvil.iter().find(|c| c.id == DHCP_PROVISIONING).unwrap();
        assert_eq!(check.status, Status::Warn);
        assert!(check.summary.contains("Fanvil phones try DHCP before PnP"), "{}", check.summary);
        assert!(check.summary.contains("Those seen here: 0c:38:3e:00:00:01."), "{}", check.summary);
        assert!(check.summary.contains("http://198.51.100.9/prov/"));
        assert!(check.remedy.is_some());
        let yealink = phone_checks(&with_discovery(Vec::new(), found("Yealink")));
        assert_eq!(status(&yealink, DHCP_PROVISIONING), Status::Pass);
        let poly = phone_checks(&with_discovery(Vec::new(), found("Poly")));
        assert_eq!(status(&poly, DHCP_PROVISIONING), Status::Warn, "order not documented: neutral warning");
        let no_options = DiscoveryReport { dhcp_answers: vec![ack(Vec::new())], ..found("Fanvil") };
        assert_eq!(
            status(&phone_checks(&with_discovery(Vec::new(), no_options)), DHCP_PROVISIONING),
            Status::Pass
        );
    }

    #[test]
    fn vendor_phones_that_sent_no_subscribe_are_named_at_most_warn() {
        let heard = phone("198.51.100.7", "00:15:65:73:22:ff");
        let found = DiscoveryReport {
            link_layer: true,
            vendor_devices: vec![
                device("00:15:65:73:22:ff", "Yealink", "dhcp"),
                device("00:04:f2:00:00:02", "Poly", "arp"),
            ],
            ..DiscoveryReport::default()
        };
        let checks = phone_checks(&with_discovery(vec![heard.clone()], found.clone()));
        let silent = checks.iter().find(|c| c.id == SILENT_VENDOR_PHONES).unwrap();
        assert_eq!(silent.status, Status::Warn);
        assert!(silent.summary.contains("Poly 00:04:f2:00:00:02"), "{}", silent.summary);
        assert!(silent.summary.contains("seen by ARP only"));
        assert!(!silent.summary.contains("00:15:65:73:22:ff"), "the Yealink sent PnP: {}", silent.summary);
        let all_heard =
            DiscoveryReport { vendor_devices: found.vendor_devices[..1].to_vec(), ..found.clone() };
        assert_eq!(
            status(&phone_checks(&with_discovery(vec![heard], all_heard)), SILENT_VENDOR_PHONES),
            Status::Pass
        );
        let none = DiscoveryReport { vendor_devices: Vec::new(), ..found };
        assert_eq!(
            status(&phone_checks(&with_discovery(Vec::new(), none)), SILENT_VENDOR_PHONES),
            Status::Skip
        );
    }

    fn port(native: Option<u16>, voice: Option<(u16, bool)>) -> SwitchPort {
        SwitchPort {
            protocol: "lldp".into(),
            switch: Some("sw-floor2".into()),
            chassis_id: None,
            port: Some("gi1/0/7".into()),
            port_description: None,
            native_vlan: native,
            voice_vlan: voice.map(|(vlan, tagged)| VoiceVlan {
                vlan,
                tagged,
                priority: Some(5),
                dscp: Some(46),
            }),
        }
    }

    #[test]
    fn a_tagged_voice_vlan_the_pbx_is_not_on_warns() {
        let judged = |ports: Vec<SwitchPort>, link_layer: bool| {
            voice_vlan(&with_discovery(
                Vec::new(),
                DiscoveryReport { link_layer, switch_ports: ports, ..DiscoveryReport::default() },
            ))
        };
        let moved = judged(vec![port(Some(1), Some((100, true)))], true);
        assert_eq!(moved.status, Status::Warn);
        assert!(
            moved.summary.contains("sw-floor2 port gi1/0/7") && moved.summary.contains("VLAN 100"),
            "{}",
            moved.summary
        );
        assert!(moved.remedy.as_deref().is_some_and(|r| r.contains("type vlan id 100")));
        assert_eq!(judged(vec![port(Some(1), None)], true).status, Status::Pass);
        assert_eq!(judged(vec![port(Some(100), Some((100, true)))], true).status, Status::Pass);
        assert_eq!(judged(vec![port(None, Some((100, false)))], true).status, Status::Pass);
        assert_eq!(judged(Vec::new(), true).status, Status::Skip);
        let windows = judged(Vec::new(), false);
        assert_eq!(windows.status, Status::Skip);
        assert!(windows.summary.contains("no link layer"), "{}", windows.summary);
    }

    #[test]
    fn without_a_capture_every_discovery_check_says_so() {
        let mut snapshot = healthy();
        snapshot.listen = listened(Vec::new());
        for check in phone_checks(&snapshot).iter().chain([voice_vlan(&snapshot)].iter()) {
            assert_eq!(check.status, Status::Skip, "{check:?}");
            assert!(check.summary.contains("no passive capture ran"), "{}", check.summary);
        }
    }

    /// `--soak` without `--listen`: the soak's capture is the window; it names no phones, so silent
    /// phones cannot be told.
    #[test]
    fn the_soak_is_a_window_too() {
        let mut snapshot = healthy();
        snapshot.listen = Observed::NotAsked;
        let found = DiscoveryReport {
            link_layer: true,
            dhcp_server_messages: 1,
            dhcp_answers: vec![ack(vec![option_66()])],
            vendor_devices: vec![device("0c:38:3e:00:00:01", "Fanvil", "dhcp")],
            switch_ports: vec![port(Some(1), Some((100, true)))],
            ..DiscoveryReport::default()
        };
        snapshot.soak = Observed::Done(crate::observed::SoakReport {
            duration_secs: 300.0,
            interval_secs: 15.0,
            rounds: Vec::new(),
            phones_heard: Some(0),
            limits: Vec::new(),
            interrupted: false,
            discovery: Some(found),
        });
        let checks = phone_checks(&snapshot);
        assert_eq!(status(&checks, DHCP_PROVISIONING), Status::Warn);
        assert_eq!(status(&checks, SILENT_VENDOR_PHONES), Status::Skip);
        assert_eq!(voice_vlan(&snapshot).status, Status::Warn);
        let requirements = crate::checks::evaluate(&snapshot);
        assert!(requirements.iter().flat_map(|r| &r.checks).any(|c| c.id == VOICE_VLAN));
    }
}
