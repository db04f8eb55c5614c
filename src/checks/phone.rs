//! `phone-pnp`: phones really send the PnP SUBSCRIBE. Judged only from a listening window, and a
//! silent phone is blamed only when the network is known good and no other requirement explains it.

use std::net::IpAddr;

use serde_json::json;

use super::causes::Causes;
use super::{Snapshot, check, remedy};
use crate::observed::Phone;
use crate::verdict::{Check, Status};

pub const HEARD: &str = "phone.pnp-subscribe";
pub const EXPECTED: &str = "phone.expected-phones";

pub fn pnp_subscribe(snapshot: &Snapshot) -> Check {
    let Some(listen) = snapshot.listen.done() else {
        let summary = match &snapshot.listen {
            crate::observed::Observed::Skipped(reason) => format!("Could not listen for phones: {reason}"),
            _ => "No listening window: run with `--listen 120` and reboot a phone.".into(),
        };
        return check(HEARD, Status::Skip, summary, None, json!({})).lacking_evidence(super::LISTEN_HOW);
    };
    heard(listen)
}

/// Judged only with a listening window and `--phone` addresses to hold it against.
pub fn expected_phones(snapshot: &Snapshot, causes: &Causes) -> Option<Check> {
    (snapshot.listen.done().is_some() && !snapshot.expected_phones.is_empty())
        .then(|| expected(snapshot, causes))
}

fn describe(phone: &Phone) -> String {
    let name =
        [phone.vendor.as_deref(), phone.model.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let name =
        if name.is_empty() { phone.user_agent.clone().unwrap_or_else(|| "a phone".into()) } else { name };
    let firmware = phone.firmware.as_deref().map_or_else(String::new, |f| format!(" firmware {f}"));
    let mac = phone.mac.as_deref().map_or_else(String::new, |m| format!(", MAC {m}"));
    format!("{name}{firmware} at {}{mac}", phone.source.ip())
}

fn heard(listen: &crate::observed::ListenReport) -> Check {
    let (phones, duration) = (&listen.phones, listen.duration_secs);
    let evidence = json!({"phones": phones});
    if phones.is_empty() {
        let summary = if listen.interrupted {
            format!(
                "The listening window was interrupted after {duration:.0} s, before any phone was heard: run it again and let it finish."
            )
        } else if listen.not_a_member && !listen.lan_multicast_heard {
            format!(
                "No phone sent a PnP SUBSCRIBE in {duration:.0} s, but nothing on this host was a member of the group: \
                 a snooping switch may have forwarded nothing here, so hearing nothing proves nothing. Listen again \
                 with `--join` and reboot a phone."
            )
        } else {
            format!("No phone sent a PnP SUBSCRIBE in {duration:.0} s: reboot a phone while mcready listens.")
        };
        let how = if listen.not_a_member { super::multicast::JOIN_HOW } else { super::LISTEN_HOW };
        return check(HEARD, Status::Skip, summary, None, evidence).lacking_evidence(how);
    }
    let list: Vec<String> = phones.iter().map(describe).collect();
    check(HEARD, Status::Pass, format!("PnP SUBSCRIBE heard from {}.", list.join("; ")), None, evidence)
}

/// Each `--phone`: sent PnP (pass), only other SIP (fail), or nothing — a failure only when the network
/// is known good and neither the subnet nor the host explains the silence.
fn expected(snapshot: &Snapshot, causes: &Causes) -> Check {
    let Some(listen) = snapshot.listen.done() else {
        return check(EXPECTED, Status::Skip, "No listening window.".into(), None, json!({}))
            .lacking_evidence(super::LISTEN_HOW);
    };
    let known_good = causes.network_known_good;
    let mut statuses = Vec::new();
    let mut lines = Vec::new();
    let mut judged = Vec::new();
    for ip in &snapshot.expected_phones {
        let (status, line) = judge(*ip, causes, listen);
        statuses.push(status);
        judged.push(json!({"address": ip, "status": status}));
        lines.push(line);
    }
    let worst = Status::worst(statuses);
    let remedy = matches!(worst, Status::Warn | Status::Fail).then(remedy::phone_pnp);
    check(
        EXPECTED,
        worst,
        lines.join(" "),
        remedy,
        json!({"phones": judged, "network_known_good": known_good}),
    )
}

fn judge(ip: IpAddr, causes: &Causes, listen: &crate::observed::ListenReport) -> (Status, String) {
    if let Some(phone) = listen.phones.iter().find(|p| p.source.ip() == ip) {
        return (Status::Pass, format!("{ip} sent PnP ({}).", describe(phone)));
    }
    if let Some(other) = listen.non_pnp.iter().find(|o| o.source.ip() == ip) {
        return (
            Status::Fail,
            format!(
                "{ip} sent SIP ({}) but no PnP SUBSCRIBE: its firmware lacks PnP or PnP is disabled.",
                other.kind
            ),
        );
    }
    // Silence explained by another requirement is not this requirement's failure.
    if causes.outside_subnet(ip) {
        return (
            Status::Skip,
            format!("{ip} was not heard; it is outside the PnP subnet (see same-subnet)."),
        );
    }
    if causes.host_drops() {
        return (
            Status::Skip,
            format!("{ip} was not heard; this host drops PnP datagrams (see network-multicast)."),
        );
    }
    // A window cut short proves nothing by its silence.
    if listen.interrupted {
        return (
            Status::Skip,
            format!(
                "{ip} was not heard before the window was interrupted ({:.0} s): run it again and let it finish.",
                listen.duration_secs
            ),
        );
    }
    if causes.network_known_good {
        (
            Status::Fail,
            format!(
                "{ip} sent nothing in {:.0} s although multicast reaches this host: it did not boot in the window, or its \
                 PnP is off.",
                listen.duration_secs
            ),
        )
    } else {
        (
            Status::Warn,
            format!(
                "{ip} sent nothing in {:.0} s, and the network path is unproven, so the phone cannot be blamed yet \
                 (add `--peer`).",
                listen.duration_secs
            ),
        )
    }
}
