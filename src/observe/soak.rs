//! The soak: the peer test repeated every `interval` for `duration`, past the 260 s after which a
//! snooping switch with no querier forgets a membership, while a capture counts the phones heard — and
//! nothing is joined meanwhile, since a join sends an IGMP report that refreshes the switch and hides
//! the very fault the soak looks for.
//!
//! The same capture hears what else the phones hear (DHCP answers, LLDP, CDP: `discovery`).
//!
//! Each round's legs are the peer test's (unicast control, `out` to the group, `back` from the peer),
//! with the `back` heard by the passive capture alone; without capture privilege the round has the
//! first two legs only, and says so.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use super::listen::{self, Joining, ListenOptions};
use super::peer::{self, Heard};
use super::receive::Source;
use super::{Clock, SystemClock};
use crate::facts::{HostFacts, Interface};
use crate::net::{
    Capture, CaptureFilter, CaptureOptions, LocalInterface, MulticastSender, OwnActions, SenderOptions,
    UnicastSocket,
};
use crate::observed::{SoakReport, SoakRound};
use crate::sip;

/// What a soak needs.
#[derive(Debug, Clone, Copy)]
pub struct SoakOptions {
    pub group: Ipv4Addr,
    pub port: u16,
    pub peer: SocketAddrV4,
    pub duration: Duration,
    pub interval: Duration,
    /// How long each leg waits for its answer.
    pub timeout: Duration,
}

/// Runs the soak on `interface`; `on_round` sees each round as it ends (for a progress line).
#[must_use]
pub fn observe(
    facts: &HostFacts,
    interface: &Interface,
    options: SoakOptions,
    actions: &OwnActions,
    on_round: &mut dyn FnMut(&SoakRound, Duration),
) -> SoakReport {
    let clock = SystemClock;
    let started = clock.now();
    let end = started + options.duration;
    let mut report = SoakReport {
        duration_secs: options.duration.as_secs_f64(),
        interval_secs: options.interval.as_secs_f64(),
        rounds: Vec::new(),
        phones_heard: None,
        limits: Vec::new(),
        interrupted: false,
        discovery: None,
    };
    let Some(local) = LocalInterface::from_facts(interface) else {
        report.limits.push(format!("{} has no IPv4 address", interface.name));
        return report;
    };
    std::thread::scope(|scope| {
        // Phones heard through the whole soak, by capture alone: joining is forbidden.
        let phones = scope.spawn(|| {
            let listen_options = ListenOptions {
                group: options.group,
                port: options.port,
                duration: options.duration,
                join: Joining::Forbidden,
                until: None,
            };
            listen::observe(facts, interface, listen_options, actions, &mut |_| {})
        });
        let mut next = started;
        while clock.now() < end && !clock.interrupted() {
            if clock.now() >= next {
                let at = clock.now().saturating_duration_since(started);
                let round = round(&local, &options, at, actions);
                on_round(&round, at);
                report.rounds.push(round);
                next += options.interval;
            }
            std::thread::sleep(
                next.min(end).saturating_duration_since(clock.now()).min(super::receive::SLICE),
            );
        }
        report.interrupted = clock.interrupted();
        match phones.join() {
            Ok(Ok(listened)) => {
                report.phones_heard = Some(u32::try_from(listened.phones.len()).unwrap_or(u32::MAX));
                report.discovery = listened.discovery;
            }
            Ok(Err(error)) => report.limits.push(format!("phones were not counted: {error}")),
            Err(_) => report.limits.push("phones were not counted: the capture failed".into()),
        }
    });
    if report.rounds.iter().any(|r| r.peer_to_here.is_none()) {
        report.limits.push(format!(
            "the peer's multicast toward this host is heard by passive capture only (a socket would have to join, \
             which refreshes the switch): without it that leg was not observed ({} for the capture)",
            crate::net::CAPTURE_PRIVILEGE
        ));
    }
    report
}

/// One round of the peer test that joins nothing.
fn round(local: &LocalInterface, options: &SoakOptions, at: Duration, actions: &OwnActions) -> SoakRound {
    let mut round = SoakRound {
        at_secs: (at.as_secs_f64() * 10.0).round() / 10.0,
        unicast: false,
        here_to_peer: false,
        peer_to_here: None,
        error: None,
    };
    let control = UnicastSocket::bind(SocketAddrV4::new(local.address, 0), actions)
        .and_then(|socket| peer::control_leg(&socket, &SystemClock, options.peer, options.timeout));
    match control {
        Ok(leg) => round.unicast = leg.ok,
        Err(error) => {
            round.error = Some(error.to_string());
            return round;
        }
    }
    if !round.unicast {
        return round;
    }
    let capture = Capture::open(&CaptureOptions {
        interface_index: local.index,
        filter: CaptureFilter::SipAndIgmp { port: options.port },
        groups: vec![options.group],
    })
    .ok();
    let sender_options =
        SenderOptions { group: options.group, port: options.port, local_port: 0, ttl: 1, loopback: false };
    let sender = match MulticastSender::open(local, sender_options, actions) {
        Ok(sender) => sender,
        Err(error) => {
            round.error = Some(error.to_string());
            return round;
        }
    };
    let tag = crate::net::peer::PeerTag::fresh(crate::net::peer::PeerKind::Out);
    let deadline = Instant::now() + options.timeout;
    let has_capture = capture.is_some();
    let peer_ip = *options.peer.ip();
    let nonce = tag.nonce.clone();
    let (group, port) = (options.group, options.port);
    let mut sources: Vec<Source<'_, Heard>> = Vec::new();
    if let Some(mut capture) = capture {
        sources.push(Source::new("the capture", deadline, move |until| {
            while let Some(frame) = capture.next_until(until)? {
                let packet = &frame.packet;
                let back = packet.source == peer_ip
                    && packet.destination == group
                    && packet.udp().is_some_and(|(_, to, payload)| {
                        to == port
                            && sip::parse(payload).is_ok_and(|m| {
                                crate::net::peer::is_request(&m, crate::net::peer::PeerKind::Back, &nonce)
                            })
                    });
                if back {
                    return Ok(Some(Heard::Back(frame.received_at)));
                }
            }
            Ok(None)
        }));
    }
    match peer::multicast_legs(&sender, &SystemClock, &tag, peer_ip, group, deadline, sources) {
        Ok((out, back, warnings)) => {
            round.here_to_peer = out.ok;
            round.peer_to_here = has_capture.then_some(back.ok);
            if let Some(warning) = warnings.first() {
                round.error = Some(warning.clone());
            }
        }
        Err(error) => round.error = Some(error.to_string()),
    }
    round
}
