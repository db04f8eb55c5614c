//! The one registry of the checklist: every requirement and every check id, in report order, with
//! its title, what it means and the function that decides it. The report's order, `docs/checks.md`
//! (tested against this table, id for id and in the same order) and the Prometheus labels all come
//! from here, as ripgrep's flags all come from its `defs.rs`. Adding a check is adding a row.
//!
//! Check ids stay a pattern in the JSON schema, not an enum: the schema lets a newer mcready add ids,
//! and this table is where they are added.

use super::causes::Causes;
use super::firewall::FirewallView;
use super::{discovery, membership, multicast, phone, provisioning, soak, stages, subnet};
use crate::observed::Observed;
use crate::snapshot::Snapshot;
use crate::verdict::Check;

/// What every check may read: the snapshot, the one firewall judgement, and the shared causes. Never
/// another check's result.
pub struct Inputs<'a> {
    pub snapshot: &'a Snapshot,
    pub firewall: &'a FirewallView,
    pub causes: &'a Causes,
}

/// One requirement of the contract.
pub struct RequirementDef {
    pub id: &'static str,
    /// `{group}` stands for the PnP group.
    pub title: &'static str,
    /// The check whose evidence the requirement's claim rests on: while it is untested, so is the
    /// requirement, whatever its other checks passed (the report's `untested`).
    pub decided_by: &'static str,
}

/// One check: `build` decides it, or returns `None` when the run did not ask for it (a window-only
/// check without a window, the soak without `--soak`).
pub struct CheckDef {
    pub id: &'static str,
    pub requirement: &'static str,
    pub title: &'static str,
    /// What a pass means, in one sentence (docs/checks.md says the rest).
    pub meaning: &'static str,
    pub build: fn(&Inputs<'_>) -> Option<Check>,
}

pub const PBX_MEMBERSHIP: &str = "pbx-membership";
pub const SAME_SUBNET: &str = "same-subnet";
pub const NETWORK_MULTICAST: &str = "network-multicast";
pub const PHONE_PNP: &str = "phone-pnp";

/// The four requirements, in contract order.
pub const REQUIREMENTS: [RequirementDef; 4] = [
    RequirementDef {
        id: PBX_MEMBERSHIP,
        title: "The PBX host joined {group} on the interface facing the phones",
        decided_by: membership::ON_PNP_INTERFACE,
    },
    RequirementDef {
        id: SAME_SUBNET,
        title: "Phones and PBX share one subnet",
        decided_by: subnet::PHONES_ON_LAN,
    },
    RequirementDef {
        id: NETWORK_MULTICAST,
        title: "The network passes multicast between phones and PBX",
        decided_by: multicast::LAN_PATH,
    },
    RequirementDef { id: PHONE_PNP, title: "Phones send the PnP SUBSCRIBE", decided_by: phone::HEARD },
];

/// The discovery checks judge a listening window (`--listen`, or the soak's): without one,
/// `phone.pnp-subscribe` already says to listen.
fn listened(snapshot: &Snapshot) -> bool {
    !matches!(snapshot.listen, Observed::NotAsked) || snapshot.soak.done().is_some()
}

/// Every check, grouped by requirement in contract order; within one, the order of the report.
pub const CHECKS: &[CheckDef] = &[
    CheckDef {
        id: membership::ON_PNP_INTERFACE,
        requirement: PBX_MEMBERSHIP,
        title: "Joined on the PnP interface",
        meaning: "The PnP interface joined the group before mcready joined anything.",
        build: |i| Some(membership::on_pnp_interface(i.snapshot, i.causes)),
    },
    CheckDef {
        id: membership::GROUP_ROUTE,
        requirement: PBX_MEMBERSHIP,
        title: "Route for the group",
        meaning: "The OS routes the group by the PnP interface, so an INADDR_ANY join lands there.",
        build: |i| Some(membership::group_route(i.snapshot)),
    },
    CheckDef {
        id: membership::OTHER_ADAPTERS,
        requirement: PBX_MEMBERSHIP,
        title: "No competing adapter",
        meaning: "No Wi-Fi, Bluetooth, virtual or tunnel adapter is active and no other LAN outranks the PnP interface, or the group's route is pinned to it.",
        build: |i| Some(membership::other_adapters(i.snapshot)),
    },
    CheckDef {
        id: membership::PORT_HOLDER,
        requirement: PBX_MEMBERSHIP,
        title: "Something holds the PnP port",
        meaning: "A process (the PBX) holds UDP 5060.",
        build: |i| Some(membership::port_holder(i.snapshot, i.causes)),
    },
    CheckDef {
        id: membership::LOOPBACK,
        requirement: PBX_MEMBERSHIP,
        title: "The probe comes back",
        meaning: "mcready's probe came back to this host through its own multicast path.",
        build: |i| Some(membership::loopback(i.snapshot, i.firewall, i.causes)),
    },
    CheckDef {
        id: membership::PBX_ANSWERS,
        requirement: PBX_MEMBERSHIP,
        title: "A PBX answers",
        meaning: "A PBX on this host answered the probe, or exactly one other host did.",
        build: |i| Some(membership::pbx_answers(i.snapshot, i.causes)),
    },
    CheckDef {
        id: provisioning::NOTIFY,
        requirement: PBX_MEMBERSHIP,
        title: "The PBX sends its NOTIFY",
        meaning: "The server phones take sent a NOTIFY with a provisioning URL within the phone's 5 s window.",
        build: |i| Some(provisioning::notify_check(i.snapshot)),
    },
    CheckDef {
        id: provisioning::URL,
        requirement: PBX_MEMBERSHIP,
        title: "Provisioning URL",
        meaning: "The URL's scheme is one phones fetch and its host an address phones can reach.",
        build: |i| Some(provisioning::url_check(i.snapshot, i.firewall)),
    },
    CheckDef {
        id: provisioning::FETCH,
        requirement: PBX_MEMBERSHIP,
        title: "Provisioning URL fetched",
        meaning: "The URL fetched as a phone would fetch it.",
        build: |i| Some(provisioning::fetch_check(i.snapshot)),
    },
    CheckDef {
        id: subnet::PHONES_ON_LAN,
        requirement: SAME_SUBNET,
        title: "Phones on the PnP subnet",
        meaning: "Every known phone-side host is inside the PnP interface's subnet.",
        build: |i| Some(subnet::phones_on_lan(i.snapshot, i.causes)),
    },
    CheckDef {
        id: discovery::VOICE_VLAN,
        requirement: SAME_SUBNET,
        title: "No voice VLAN elsewhere",
        meaning: "The switch's LLDP-MED or CDP moves no phone to a voice VLAN this host is not on.",
        build: |i| listened(i.snapshot).then(|| discovery::voice_vlan(i.snapshot)),
    },
    CheckDef {
        id: multicast::INTERFACE_FLAG,
        requirement: NETWORK_MULTICAST,
        title: "Interface up, with multicast",
        meaning: "The PnP interface is up, running and has the multicast flag.",
        build: |i| Some(multicast::interface_flag(i.snapshot)),
    },
    CheckDef {
        id: multicast::HOST_FIREWALL,
        requirement: NETWORK_MULTICAST,
        title: "Host firewall, inbound",
        meaning: "No host firewall rule drops a phone's PnP SUBSCRIBE coming in.",
        build: |i| Some(multicast::host_firewall(i.snapshot, i.firewall)),
    },
    CheckDef {
        id: multicast::RP_FILTER,
        requirement: NETWORK_MULTICAST,
        title: "Reverse-path filter",
        meaning: "The PnP interface's reverse-path filter drops no phone's datagrams.",
        build: |i| Some(multicast::rp_filter(i.snapshot, i.causes)),
    },
    CheckDef {
        id: multicast::DELIVERED,
        requirement: NETWORK_MULTICAST,
        title: "Delivered to sockets",
        meaning: "Every phone SUBSCRIBE the capture saw arrive was delivered to a socket.",
        build: |i| Some(multicast::delivered(i.snapshot, i.firewall, i.causes)),
    },
    CheckDef {
        id: multicast::LAN_PATH,
        requirement: NETWORK_MULTICAST,
        title: "LAN path",
        meaning: "Multicast crosses the LAN both ways (a peer test, or the group's datagrams heard from the LAN).",
        build: |i| Some(multicast::lan_path(i.snapshot)),
    },
    CheckDef {
        id: multicast::QUERIER,
        requirement: NETWORK_MULTICAST,
        title: "IGMP querier",
        meaning: "An IGMP querier answers, so snooping switches keep the group flowing.",
        build: |i| Some(multicast::querier(i.snapshot)),
    },
    CheckDef {
        id: multicast::FIREWALL_OUTPUT,
        requirement: NETWORK_MULTICAST,
        title: "Host firewall, outbound",
        meaning: "No host firewall rule drops the PBX's SIP to the phones or mcready's probe going out.",
        build: |i| Some(multicast::firewall_output(i.snapshot, i.firewall)),
    },
    CheckDef {
        id: multicast::FIREWALL_IGMP,
        requirement: NETWORK_MULTICAST,
        title: "Host firewall, IGMP",
        meaning: "No host firewall rule drops IGMP reports going out or queries coming in.",
        build: |i| Some(multicast::firewall_igmp(i.snapshot, i.firewall)),
    },
    CheckDef {
        id: multicast::SIP_HELPER,
        requirement: NETWORK_MULTICAST,
        title: "No SIP helper",
        meaning: "No firewall rule assigns a conntrack helper to the PnP traffic.",
        build: |i| Some(multicast::sip_helper(i.snapshot, i.firewall)),
    },
    CheckDef {
        id: multicast::WIFI,
        requirement: NETWORK_MULTICAST,
        title: "No Wi-Fi",
        meaning: "No Wi-Fi adapter faces the phones or joined the group.",
        build: |i| Some(multicast::wifi(i.snapshot)),
    },
    CheckDef {
        id: multicast::BEHIND_NAT,
        requirement: NETWORK_MULTICAST,
        title: "On the LAN itself",
        meaning: "mcready runs on the LAN's own network, not behind a container, WSL or VM NAT.",
        build: |i| Some(multicast::behind_nat(i.snapshot)),
    },
    CheckDef {
        id: soak::SOAK,
        requirement: NETWORK_MULTICAST,
        title: "Soak",
        meaning: "Multicast kept flowing both ways with the peer for the whole soak.",
        build: |i| soak::check_soak(i.snapshot),
    },
    CheckDef {
        id: phone::HEARD,
        requirement: PHONE_PNP,
        title: "PnP SUBSCRIBE heard",
        meaning: "Phones were heard sending a well-formed PnP SUBSCRIBE.",
        build: |i| Some(phone::pnp_subscribe(i.snapshot)),
    },
    CheckDef {
        id: phone::EXPECTED,
        requirement: PHONE_PNP,
        title: "Expected phones",
        meaning: "Each `--phone` sent a PnP SUBSCRIBE.",
        build: |i| phone::expected_phones(i.snapshot, i.causes),
    },
    CheckDef {
        id: discovery::DHCP_PROVISIONING,
        requirement: PHONE_PNP,
        title: "DHCP provisioning options",
        meaning: "No DHCP provisioning option sends a phone elsewhere before it tries PnP.",
        build: |i| listened(i.snapshot).then(|| discovery::dhcp_provisioning(i.snapshot)),
    },
    CheckDef {
        id: discovery::SILENT_VENDOR_PHONES,
        requirement: PHONE_PNP,
        title: "No silent phones",
        meaning: "Every host with a phone vendor's MAC prefix sent a PnP SUBSCRIBE.",
        build: |i| listened(i.snapshot).then(|| discovery::silent_vendor_phones(i.snapshot)),
    },
    CheckDef {
        id: stages::FILE_REQUESTED,
        requirement: PHONE_PNP,
        title: "File requested",
        meaning: "Each phone given a provisioning URL on this host asked this host for its file.",
        build: |i| listened(i.snapshot).then(|| stages::file_requested(i.snapshot)),
    },
    CheckDef {
        id: stages::FILE_FETCHED,
        requirement: PHONE_PNP,
        title: "File fetched",
        meaning: "Each phone's request for its file over HTTP or TFTP was answered with the file.",
        build: |i| listened(i.snapshot).then(|| stages::file_fetched(i.snapshot)),
    },
    CheckDef {
        id: stages::TLS_HANDSHAKE,
        requirement: PHONE_PNP,
        title: "TLS handshake",
        meaning: "Each phone fetching its file over HTTPS completed the TLS handshake (it trusts the certificate).",
        build: |i| listened(i.snapshot).then(|| stages::tls_handshake(i.snapshot)),
    },
    CheckDef {
        id: stages::REGISTRATION,
        requirement: PHONE_PNP,
        title: "Registration",
        meaning: "Each provisioned phone's REGISTER to this host was accepted.",
        build: |i| listened(i.snapshot).then(|| stages::registration(i.snapshot)),
    },
];

/// The registered check with this id.
#[must_use]
pub fn find(id: &str) -> Option<&'static CheckDef> {
    CHECKS.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::{CHECKS, REQUIREMENTS};

    /// docs/checks.md as (requirement, its check ids), in the doc's order: the code span of each
    /// numbered heading, and the first code span of each table row.
    fn documented() -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for line in include_str!("../../docs/checks.md").lines() {
            let code = |text: &str| text.split('`').nth(1).map(str::to_owned);
            if line.starts_with("## ") {
                if let Some(id) = code(line) {
                    out.push((id, Vec::new()));
                }
            } else if line.starts_with("| `")
                && let (Some(id), Some((_, checks))) = (code(line), out.last_mut())
            {
                checks.push(id);
            }
        }
        out
    }

    #[test]
    fn docs_list_the_registry_in_its_order() {
        let registry: Vec<(String, Vec<String>)> = REQUIREMENTS
            .iter()
            .map(|r| {
                let checks = CHECKS.iter().filter(|c| c.requirement == r.id).map(|c| c.id.to_owned());
                (r.id.to_owned(), checks.collect())
            })
            .collect();
        assert_eq!(documented(), registry);
    }

    #[test]
    fn each_requirement_is_decided_by_one_of_its_own_checks() {
        for requirement in REQUIREMENTS {
            let def = super::find(requirement.decided_by).expect("a registered check");
            assert_eq!(def.requirement, requirement.id, "{}", requirement.decided_by);
        }
    }

    #[test]
    fn the_table_is_grouped_by_requirement_in_contract_order() {
        let order: Vec<usize> = CHECKS
            .iter()
            .map(|c| REQUIREMENTS.iter().position(|r| r.id == c.requirement).unwrap_or(usize::MAX))
            .collect();
        assert!(order.iter().all(|&o| o < REQUIREMENTS.len()), "a check of no requirement");
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "checks of one requirement stand together");
        let mut ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len(), "an id registered twice");
    }

    /// Each row's function decides its own id, on every made-up snapshot.
    #[test]
    fn every_function_decides_its_own_id() {
        use super::super::{causes::Causes, firewall::FirewallView, fixtures};
        for snapshot in [fixtures::healthy(), fixtures::wrong_nic(), fixtures::windows_wrong_nic()] {
            let firewall = FirewallView::new(&snapshot);
            let causes = Causes::new(&snapshot, &firewall);
            let inputs = super::Inputs { snapshot: &snapshot, firewall: &firewall, causes: &causes };
            for def in CHECKS {
                if let Some(check) = (def.build)(&inputs) {
                    assert_eq!(check.id, def.id);
                }
            }
        }
    }
}
