//! The probe engine: one phone-shaped PnP SUBSCRIBE to the group, and every answer to it. Shared by
//! `probe` and `check`.
//!
//! [`observe`] listens for the looped-back copy on a receiver
//! bound to the group (the host's own multicast path), sends the SUBSCRIBE with TTL 1 and retransmits it
//! on RFC 3261 timer E, answers each NOTIFY with 200 OK as a phone would, and returns a short settle time
//! after the first answer instead of waiting out the whole window.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use super::{Clock, Endpoint, SystemClock, ms};
use crate::net::{GroupReceiver, LocalInterface, MulticastSender, NetError, OwnActions, SenderOptions};
use crate::observed::{Answer, Loopback, ProbeReport, Sent};
use crate::sip::{self, build, pnp};

/// RFC 3261 timer T1: the first retransmission interval, doubling up to T2.
const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);
/// How long `probe` waits for other servers once one answered.
pub const SETTLE: Duration = Duration::from_millis(300);
/// How long a server that sent 200 OK is given to follow with its NOTIFY.
const NOTIFY_GRACE: Duration = Duration::from_secs(1);

/// What the probe needs to know.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub group: Ipv4Addr,
    pub port: u16,
    pub ttl: u8,
    pub timeout: Duration,
    /// How long to wait for other servers once one answered.
    pub settle: Duration,
}

/// Sends the probe out of `interface` and gathers the answers.
///
/// # Errors
/// When the sender socket cannot be opened or the OS refuses the send.
pub fn observe(
    interface: &LocalInterface,
    host_addresses: &[IpAddr],
    mac: sip::MacAddr,
    options: &ProbeOptions,
    actions: &OwnActions,
) -> Result<ProbeReport, NetError> {
    let mut warnings = Vec::new();
    // Listen for the looped-back copy first, so it cannot arrive before anyone listens.
    let loopback_listener =
        match GroupReceiver::open(options.group, options.port, std::slice::from_ref(interface), actions) {
            Ok(receiver) => Some(receiver),
            Err(error) => {
                warnings.push(format!("the looped-back copy could not be watched: {error}"));
                None
            }
        };
    let sender_options = SenderOptions {
        group: options.group,
        port: options.port,
        local_port: 0,
        ttl: options.ttl,
        loopback: true,
    };
    let sender = MulticastSender::open(interface, sender_options, actions)?;
    let mut subscribe = build::ProbeSubscribe::new(SocketAddr::V4(sender.local_addr()), mac);
    subscribe.group = IpAddr::V4(options.group);
    subscribe.port = options.port;

    let start = Instant::now();
    let deadline = start + options.timeout;
    let watcher =
        loopback_listener.map(|receiver| watch_loopback(receiver, subscribe.call_id.clone(), deadline));
    let mut report = exchange(&sender, &SystemClock, &subscribe, host_addresses, options, &interface.name)?;
    report.warnings.append(&mut warnings);
    report.loopback = match watcher.map(std::thread::JoinHandle::join) {
        Some(Ok(Ok(Some(at)))) => {
            Some(Loopback { arrived: true, after_ms: Some(ms(at.saturating_duration_since(start))) })
        }
        // Cut short, the wait proves nothing about the copy: not watched rather than "never arrived".
        Some(Ok(Ok(None))) if report.interrupted => None,
        Some(Ok(Ok(None))) => Some(Loopback { arrived: false, after_ms: None }),
        Some(Ok(Err(error))) => {
            report.warnings.push(format!("the looped-back copy's watch stopped early: {error}"));
            None
        }
        Some(Err(_)) => {
            report.warnings.push("the looped-back copy's watch failed unexpectedly".into());
            None
        }
        None => None,
    };
    Ok(report)
}

/// The SUBSCRIBE transaction on `endpoint`: sends, retransmits, gathers the answers per responder, and
/// warns when more than one server answered. `loopback` is left for the caller to fill.
///
/// # Errors
/// When the OS refuses a send.
pub fn exchange(
    endpoint: &dyn Endpoint,
    clock: &dyn Clock,
    subscribe: &build::ProbeSubscribe,
    host_addresses: &[IpAddr],
    options: &ProbeOptions,
    interface: &str,
) -> Result<ProbeReport, NetError> {
    let mut warnings = Vec::new();
    let start = clock.now();
    let mut exchange = Exchange {
        endpoint,
        clock,
        call_id: subscribe.call_id.clone(),
        start,
        host_addresses,
        responders: BTreeMap::new(),
        first_answer: None,
    };
    let sent = exchange.run(&subscribe.render(), options, interface)?;
    let interrupted = clock.interrupted();
    let waited_ms = ms(clock.now().saturating_duration_since(start));
    let answers: Vec<Answer> = exchange
        .responders
        .into_values()
        .filter(|a| a.status.is_some() || a.notify_rtt_ms.is_some())
        .collect();
    if answers.len() > 1 {
        let who: Vec<String> = answers.iter().map(|a| a.responder.ip().to_string()).collect();
        warnings.push(format!(
            "{} servers answered ({}): phones take whichever answers first, so a second or rogue PnP server can take them over",
            answers.len(),
            who.join(", ")
        ));
    }
    Ok(ProbeReport { sent, loopback: None, answers, warnings, waited_ms: Some(waited_ms), interrupted })
}

/// Waits on the group for the probe's own copy; the receiver leaves the group when the thread ends.
/// A receive error is returned (the report says the watch stopped, never "the copy did not arrive").
fn watch_loopback(
    receiver: GroupReceiver,
    call_id: String,
    deadline: Instant,
) -> std::thread::JoinHandle<Result<Option<Instant>, NetError>> {
    std::thread::spawn(move || {
        while Instant::now() < deadline && !SystemClock.interrupted() {
            let slice = (Instant::now() + super::receive::SLICE).min(deadline);
            if let Some(datagram) = receiver.recv_until(slice)?
                && sip::parse(&datagram.payload).is_ok_and(|m| m.call_id() == Some(call_id.as_str()))
            {
                return Ok(Some(datagram.received_at));
            }
        }
        Ok(None)
    })
}

/// One SUBSCRIBE transaction and the answers to it, grouped per responding host.
struct Exchange<'a> {
    endpoint: &'a dyn Endpoint,
    clock: &'a dyn Clock,
    call_id: String,
    start: Instant,
    host_addresses: &'a [IpAddr],
    responders: BTreeMap<IpAddr, Answer>,
    first_answer: Option<Instant>,
}

impl Exchange<'_> {
    /// Sends and retransmits (RFC 3261 timer E) until a server answers, then settles and returns;
    /// Ctrl-C ends it at once with what it heard.
    fn run(
        &mut self,
        datagram: &[u8],
        options: &ProbeOptions,
        interface: &str,
    ) -> Result<Vec<Sent>, NetError> {
        let local = self.endpoint.local_addr();
        let deadline = self.start + options.timeout;
        let mut sent = Vec::new();
        let mut interval = T1;
        let mut next_send = self.start;
        loop {
            let now = self.clock.now();
            let stop = self.settle_until(options.settle).map_or(deadline, |s| s.min(deadline));
            if now >= stop || self.clock.interrupted() {
                return Ok(sent);
            }
            // A final response ends the client transaction: no retransmission after an answer.
            if self.first_answer.is_none() && now >= next_send {
                self.endpoint.send(datagram, "PnP SUBSCRIBE (probe)")?;
                sent.push(Sent {
                    from: SocketAddr::V4(local),
                    to: SocketAddr::V4(SocketAddrV4::new(options.group, options.port)),
                    interface: interface.to_owned(),
                    ttl: u32::from(options.ttl),
                    at_ms: u64::try_from(now.saturating_duration_since(self.start).as_millis())
                        .unwrap_or(u64::MAX),
                });
                if next_send > self.start {
                    interval = (interval * 2).min(T2);
                }
                next_send = now + interval;
            }
            let wake = if self.first_answer.is_none() { stop.min(next_send) } else { stop };
            if let Some(datagram) = self.endpoint.recv_until(wake)? {
                self.record(&datagram)?;
            }
        }
    }

    /// Once a server answered: a short settle for others, longer while a 200 OK awaits its NOTIFY.
    fn settle_until(&self, settle: Duration) -> Option<Instant> {
        let first = self.first_answer?;
        let awaiting_notify =
            self.responders.values().any(|a| a.status.is_some() && a.notify_rtt_ms.is_none());
        Some(first + if awaiting_notify { NOTIFY_GRACE } else { settle })
    }

    fn record(&mut self, datagram: &crate::net::Datagram) -> Result<(), NetError> {
        let Ok(message) = sip::parse(&datagram.payload) else { return Ok(()) };
        if message.call_id() != Some(self.call_id.as_str()) {
            return Ok(());
        }
        let rtt = ms(datagram.received_at.saturating_duration_since(self.start));
        let source = SocketAddr::V4(datagram.source);
        let this_host = self.host_addresses.contains(&source.ip());
        let entry = self.responders.entry(source.ip()).or_insert_with(|| Answer {
            responder: source,
            user_agent: None,
            status: None,
            response_rtt_ms: None,
            notify_rtt_ms: None,
            provisioning_url: None,
            this_host,
        });
        if let Some(response) = pnp::response_info(&message) {
            let answers_subscribe =
                response.cseq.as_ref().is_some_and(|(_, method)| method.eq_ignore_ascii_case("SUBSCRIBE"));
            if answers_subscribe {
                entry.responder = source;
                entry.status = Some(response.code);
                entry.response_rtt_ms.get_or_insert(rtt);
                entry.user_agent = entry.user_agent.take().or(response.server_or_user_agent);
                if response.code >= 200 {
                    self.first_answer.get_or_insert(datagram.received_at);
                }
            }
        } else if let Some(notify) = pnp::notify_info(&message) {
            entry.notify_rtt_ms.get_or_insert(rtt);
            entry.provisioning_url = entry.provisioning_url.take().or(notify.provisioning_url);
            entry.user_agent =
                entry.user_agent.take().or_else(|| message.header("User-Agent").map(str::to_owned));
            self.first_answer.get_or_insert(datagram.received_at);
            // A phone acknowledges the NOTIFY; without it the server retransmits and logs a failure.
            let contact = format!("sip:{}", self.endpoint.local_addr());
            if let Ok(ok) = build::ok_response(&message, &build::new_tag(), &contact, sip::USER_AGENT)
                && let SocketAddr::V4(target) = pnp::reply_target(&message, source)
            {
                self.endpoint.send_to(&ok, target, "200 OK to the NOTIFY")?;
            }
        }
        Ok(())
    }
}

/// The same locally administered MAC for the same host and interface on every run, so a PBX that lists
/// discovered phones gains one entry, not one per run.
#[must_use]
pub fn probe_mac(hostname: &str, interface: &str) -> sip::MacAddr {
    build::local_probe_mac(format!("{hostname}/{interface}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::fake::{FakeWire, Script, SentByEngine};

    const PBX: &str = "198.51.100.10:5060";
    const ROGUE: &str = "198.51.100.66:5060";
    const HERE: &str = "198.51.100.20:40000";

    fn options(timeout_ms: u64) -> ProbeOptions {
        ProbeOptions {
            group: sip::PNP_GROUP,
            port: 5060,
            ttl: 1,
            timeout: Duration::from_millis(timeout_ms),
            settle: Duration::from_millis(150),
        }
    }

    fn subscribe() -> build::ProbeSubscribe {
        build::ProbeSubscribe::new(HERE.parse().unwrap(), "02:00:00:00:00:01".parse().unwrap())
    }

    /// A PBX at `from` answering each SUBSCRIBE after `delay_ms` with 200 OK, and (when `notify`) a
    /// NOTIFY 2 ms later.
    fn pbx(
        from: &'static str,
        delay_ms: u64,
        notify: bool,
    ) -> impl Fn(&SentByEngine) -> Vec<(Duration, SocketAddrV4, Vec<u8>)> {
        move |sent| {
            let Ok(message) = sip::parse(&sent.payload) else { return Vec::new() };
            if !pnp::is_pnp_subscribe(&message) {
                return Vec::new();
            }
            let from: SocketAddrV4 = from.parse().unwrap();
            let tag = build::new_tag();
            let ok = build::ok_response(&message, &tag, &format!("sip:{from}"), "Test PBX").unwrap();
            let mut out = vec![(Duration::from_millis(delay_ms), from, ok)];
            if notify {
                let options = build::NotifyOptions {
                    local: SocketAddr::V4(from),
                    our_tag: &tag,
                    cseq: 1,
                    user_agent: "Test PBX",
                };
                let notify =
                    build::notify_for(&message, "http://198.51.100.10/p/{mac}.cfg", &options).unwrap();
                out.push((Duration::from_millis(delay_ms + 2), from, notify));
            }
            out
        }
    }

    fn run(wire: &FakeWire, timeout_ms: u64) -> ProbeReport {
        exchange(wire, wire, &subscribe(), &[], &options(timeout_ms), "eth0").unwrap()
    }

    fn group_sends(wire: &FakeWire) -> Vec<u128> {
        wire.sent().iter().filter(|s| s.to.is_none()).map(|s| s.at.as_millis()).collect()
    }

    #[test]
    fn silence_retransmits_on_timer_e_until_the_timeout() {
        let wire = FakeWire::new(HERE.parse().unwrap(), Box::new(|_: &SentByEngine| Vec::new()));
        let report = run(&wire, 4000);
        assert_eq!(group_sends(&wire), [0, 500, 1500, 3500], "T1 = 500 ms, doubling");
        assert!(report.answers.is_empty());
        assert_eq!(report.waited_ms, Some(4000.0));
        assert!(!report.interrupted);
    }

    #[test]
    fn an_answer_stops_retransmission_and_the_notify_is_acknowledged() {
        let wire = FakeWire::new(HERE.parse().unwrap(), Box::new(pbx(PBX, 10, true)) as Script);
        let report = run(&wire, 2000);
        assert_eq!(group_sends(&wire), [0]);
        let answer = &report.answers[0];
        assert_eq!(
            (answer.status, answer.response_rtt_ms, answer.notify_rtt_ms),
            (Some(200), Some(10.0), Some(12.0))
        );
        assert_eq!(answer.provisioning_url.as_deref(), Some("http://198.51.100.10/p/{mac}.cfg"));
        let acks: Vec<_> = wire.sent().into_iter().filter(|s| s.to.is_some()).collect();
        assert_eq!(acks.len(), 1, "the NOTIFY gets a 200 OK, as a phone gives");
        assert!(acks[0].payload.starts_with(b"SIP/2.0 200 OK"));
        // Settled 150 ms after the first answer, not at the 2 s timeout.
        assert_eq!(report.waited_ms, Some(160.0));
    }

    #[test]
    fn a_second_server_within_the_settle_time_is_caught_and_warned_about() {
        let first = pbx(PBX, 5, true);
        let second = pbx(ROGUE, 15, true);
        let script: Script = Box::new(move |sent| {
            let mut both = first(sent);
            both.extend(second(sent));
            both
        });
        let wire = FakeWire::new(HERE.parse().unwrap(), script);
        let report = run(&wire, 2000);
        assert_eq!(report.answers.len(), 2);
        assert!(report.warnings.iter().any(|w| w.contains("2 servers answered")), "{:?}", report.warnings);
    }

    #[test]
    fn a_200_without_notify_is_given_the_notify_grace() {
        let wire = FakeWire::new(HERE.parse().unwrap(), Box::new(pbx(PBX, 10, false)) as Script);
        let report = run(&wire, 5000);
        assert_eq!(report.answers[0].notify_rtt_ms, None);
        assert_eq!(report.waited_ms, Some(1010.0), "1 s grace after the 200 OK for its NOTIFY");
    }

    #[test]
    fn ctrl_c_ends_the_wait_and_says_so() {
        let wire = FakeWire::new(HERE.parse().unwrap(), Box::new(|_: &SentByEngine| Vec::new()))
            .interrupted_after(Duration::from_millis(700));
        let report = run(&wire, 4000);
        assert!(report.interrupted);
        assert_eq!(group_sends(&wire), [0, 500]);
        assert_eq!(report.waited_ms, Some(700.0));
    }
}
