//! `same-subnet`: every known phone-side host is inside the PnP interface's subnet. Judged by address,
//! never by TTL: a phone's initial TTL is unknown, and the probe's TTL 1 is never routed anyway.

use serde_json::json;

use super::causes::Causes;
use super::{Snapshot, check, remedy};
use crate::verdict::{Check, Status};

pub const PHONES_ON_LAN: &str = "subnet.phones-on-pnp-lan";

pub fn phones_on_lan(snapshot: &Snapshot, causes: &Causes) -> Check {
    let hosts = snapshot.known_hosts();
    if hosts.is_empty() {
        return check(
            PHONES_ON_LAN,
            Status::Skip,
            "No phone is known: give one with `--phone IP`, a peer with `--peer IP`, or listen with `--listen 120` \
             and reboot a phone."
                .into(),
            None,
            json!({}),
        )
        .lacking_evidence("`--phone IP`, `--peer IP`, or `--listen 120` and reboot a phone");
    }
    let (Some(interface), Some(placed)) = (snapshot.pnp_interface(), causes.hosts.as_ref()) else {
        return check(
            PHONES_ON_LAN,
            Status::Skip,
            "No PnP interface could be chosen, so phones cannot be placed: name it with `--interface`."
                .into(),
            None,
            json!({"hosts": hosts.iter().map(|(ip, from)| json!({"address": ip, "from": from})).collect::<Vec<_>>()}),
        )
        .lacking_evidence(super::INTERFACE_HOW);
    };
    let outside: Vec<String> = placed.iter().filter(|h| !h.inside).map(|h| h.address.to_string()).collect();
    let subnets: Vec<String> = interface.ipv4.iter().map(ToString::to_string).collect();
    let evidence = json!({
        "interface": interface.name,
        "subnets": subnets,
        "hosts": placed.iter().map(|h| json!({
            "address": h.address, "from": h.from, "inside": h.inside,
        })).collect::<Vec<_>>(),
    });
    if outside.is_empty() {
        check(
            PHONES_ON_LAN,
            Status::Pass,
            format!(
                "{} inside {} ({}).",
                if placed.len() == 1 {
                    "1 known phone-side host".to_owned()
                } else {
                    format!("{} known phone-side hosts", placed.len())
                },
                interface.name,
                subnets.join(", ")
            ),
            None,
            evidence,
        )
    } else {
        check(
            PHONES_ON_LAN,
            Status::Fail,
            format!(
                "{} outside {}'s subnet ({}): a router, VLAN or NAT lies between them and this host, and multicast does not cross it.",
                outside.join(", "),
                interface.name,
                if subnets.is_empty() { "no IPv4 address".to_owned() } else { subnets.join(", ") }
            ),
            Some(remedy::same_subnet(&interface.name)),
            evidence,
        )
    }
}
