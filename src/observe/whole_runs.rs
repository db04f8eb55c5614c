//! `check` run whole without root or a network: made-up host facts (the platform's part), the probe
//! engine on a scripted wire (a PBX that answers, or silence), the checklist, and the report rendered
//! as text and JSON, each snapshotted (`src/observe/snapshots/`, review with `cargo insta review`).
//! A change of a rule, of the probe's timing or of a renderer shows here before any namespace test
//! runs — bandwhich's whole program on fake OS inputs (`src/tests/cases/ui.rs`) is the model.
//!
//! What stays outside: the gather itself and the sockets, which the namespace tests cover.

use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use super::fake::{FakeWire, Script, SentByEngine};
use super::probe::{Endpoints, ProbeOptions, exchange};
use crate::bundle::{Bundle, RunOptions};
use crate::checks::fixtures;
use crate::observed::{Loopback, Observed};
use crate::platform::netfilter::Listings;
use crate::platform::recording::Recording;
use crate::report::check::{ReportDocument, build};
use crate::report::{Document as _, Envelope};
use crate::sip::{self, build as sip_build, pnp};
use crate::snapshot::Snapshot;

/// The probe's own address on the PnP interface (`eth0`, 198.51.100.10/24 in the fixtures).
const HERE: &str = "198.51.100.10:40000";

/// A PBX at `from` that answers a PnP SUBSCRIBE after `delay_ms` with 200 OK, then a NOTIFY with its
/// provisioning URL 1 ms later.
fn pbx(from: SocketAddrV4, delay_ms: u64) -> Script {
    Box::new(move |sent: &SentByEngine| {
        let Ok(message) = sip::parse(&sent.payload) else { return Vec::new() };
        if !pnp::is_pnp_subscribe(&message) {
            return Vec::new();
        }
        let tag = "0123456789abcdef";
        let Ok(ok) = sip_build::ok_response(&message, tag, &format!("sip:{from}"), "Asterisk PBX 20.5.0")
        else {
            return Vec::new();
        };
        let options = sip_build::NotifyOptions {
            local: SocketAddr::V4(from),
            our_tag: tag,
            cseq: 1,
            user_agent: "Asterisk PBX 20.5.0",
        };
        let mut out = vec![(Duration::from_millis(delay_ms), from, ok)];
        if let Ok(notify) = sip_build::notify_for(&message, "http://198.51.100.10/prov/{mac}.cfg", &options) {
            out.push((Duration::from_millis(delay_ms + 1), from, notify));
        }
        out
    })
}

fn silence() -> Script {
    Box::new(|_: &SentByEngine| Vec::new())
}

/// The probe as `check` runs it, on `script`'s wire; `looped` says whether the looped-back copy came
/// home (the group receiver is a socket the fake wire does not stand for).
fn probe(snapshot: &mut Snapshot, script: Script, looped: bool) {
    let here: SocketAddrV4 = HERE.parse().unwrap_or_else(|_| unreachable!());
    let wire = FakeWire::new(here, script);
    let options = ProbeOptions {
        group: snapshot.group,
        port: snapshot.port,
        ttl: 1,
        timeout: super::probe::TIMEOUT,
        shape: sip_build::Shape::Mcready,
    };
    let subscribe =
        sip_build::ProbeSubscribe::new(SocketAddr::V4(here), "02:00:00:00:00:01".parse().unwrap());
    let addresses: Vec<IpAddr> = snapshot.facts.addresses();
    let endpoints = Endpoints { source: &wire, contact: None };
    let mut report = exchange(endpoints, &wire, &subscribe, &addresses, &options, "eth0", &|_| {}).unwrap();
    report.loopback = Some(Loopback { arrived: looped, after_ms: looped.then_some(0.2) });
    snapshot.probe = Observed::Done(report);
}

/// The document `check` prints for `snapshot`, with a fixed head so snapshots do not move with the clock.
fn document(snapshot: Snapshot) -> ReportDocument {
    let host = fixtures::host_info();
    let mut envelope = Envelope::new(ReportDocument::SCHEMA, host).invoked_as("mcready check".into());
    envelope.generated_at = "2026-11-26T12:00:00Z".into();
    let evaluation = crate::checks::assess(&snapshot);
    build(envelope, snapshot, evaluation, Vec::new(), (false, false, false))
}

/// Text (styles stripped) and JSON (the version, which moves with every release, masked).
fn rendered(snapshot: Snapshot) -> (String, String) {
    let document = document(snapshot);
    let text = anstream::adapter::strip_str(&document.to_text()).to_string();
    let mut json: serde_json::Value = serde_json::from_str(&document.to_json()).unwrap();
    json["tool"]["version"] = "[version]".into();
    (text, serde_json::to_string_pretty(&json).unwrap())
}

fn snapshot_both(name: &str, snapshot: Snapshot) {
    let (text, json) = rendered(snapshot);
    insta::assert_snapshot!(format!("{name}_text"), text);
    insta::assert_snapshot!(format!("{name}_json"), json);
}

/// `host` as a support bundle holds it (its facts, and the sources in `sources`), written and read
/// back, and replayed into the snapshot `check` would judge.
fn replayed(host: &Snapshot, sources: Recording) -> Snapshot {
    let phones = host.expected_phones.iter().filter_map(|ip| match ip {
        IpAddr::V4(v4) => Some(*v4),
        IpAddr::V6(_) => None,
    });
    let options =
        RunOptions { group: host.group, port: host.port, phones: phones.collect(), ..RunOptions::default() };
    let bundle = Bundle::record(host, sources, fixtures::host_info(), options, Vec::new());
    let read = Bundle::parse(&bundle.to_json(false)).unwrap_or_else(|e| panic!("{e}"));
    read.snapshot().unwrap_or_else(|e| panic!("{e}"))
}

/// A PBX on this host, joined on the phones' interface, answers the probe with 200 OK and a NOTIFY.
#[test]
fn healthy_host() {
    let mut snapshot = replayed(&fixtures::healthy(), Recording::default());
    probe(&mut snapshot, pbx("198.51.100.10:5060".parse().unwrap(), 1), true);
    snapshot_both("whole_healthy", snapshot);
}

/// The PBX joined the group on the wrong NIC; the probe still reaches it through mcready's own join.
#[test]
fn wrong_nic_joined() {
    let mut snapshot = replayed(&fixtures::wrong_nic(), Recording::default());
    probe(&mut snapshot, pbx("198.51.100.10:5060".parse().unwrap(), 1), true);
    snapshot_both("whole_wrong_nic", snapshot);
}

/// A host firewall rule drops udp/5060 on input: the probe's looped-back copy and every answer are
/// lost, and only `network-multicast` is blamed.
#[test]
fn firewall_drop() {
    let save = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -m udp --dport 5060 -j DROP\nCOMMIT\n";
    let not_installed = |tool, command: &str| crate::facts::FirewallSource {
        tool,
        command: command.into(),
        status: crate::facts::SourceStatus::NotInstalled,
        detail: Some(format!("{command} is not installed")),
        rules: 0,
        skipped: 0,
    };
    let sources = Recording {
        netfilter: Some(Listings {
            // A host with iptables-nft and without the nft tool: iptables-nft-save shows every table.
            tables: Err(not_installed(crate::ruleset::FirewallTool::Nft, "nft")),
            ruleset: None,
            iptables_nft_save: Ok(save.into()),
            iptables_legacy_save: Err(not_installed(
                crate::ruleset::FirewallTool::IptablesLegacySave,
                "iptables-legacy-save",
            )),
            managers: Vec::new(),
        }),
        ..Recording::default()
    };
    let mut snapshot = replayed(&fixtures::healthy(), sources);
    snapshot.fetch = Observed::NotAsked;
    probe(&mut snapshot, silence(), false);
    snapshot_both("whole_firewall_drop", snapshot);
}

/// Nothing holds the port and nothing answers: no PBX runs here.
#[test]
fn no_pbx() {
    let mut snapshot = replayed(&fixtures::healthy(), Recording::default());
    snapshot.facts.listeners.clear();
    snapshot.facts.memberships.clear();
    snapshot.fetch = Observed::NotAsked;
    probe(&mut snapshot, silence(), true);
    snapshot_both("whole_no_pbx", snapshot);
}
