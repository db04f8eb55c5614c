//! The probe engine: one phone-shaped PnP SUBSCRIBE to the group, and every answer to it. Shared by
//! `probe` and `check`.
//!
//! [`observe`] listens for the looped-back copy on a receiver bound to the group (the host's own
//! multicast path), sends the SUBSCRIBE with TTL 1 and retransmits it on RFC 3261 timer E until a first
//! answer or `timeout`, then waits only as long as the answer calls for: a settle for a second server
//! (fixed for `probe`; for `check` in proportion to the first answer's round trip), and for each server
//! that sent 200 OK its NOTIFY, for up to the phone's 5 s window. Each NOTIFY gets a 200 OK as a phone
//! gives. The SUBSCRIBE's Contact names a second socket of its own, so a NOTIFY that goes to the
//! Contact is told from one sent back to the source port.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use super::{Clock, Endpoint, SystemClock, ms};
use crate::net::{
    GroupReceiver, LocalInterface, MulticastSender, NetError, OwnActions, SenderOptions, UnicastSocket,
};
use crate::observed::{Answer, Loopback, NotifySeen, ProbeReport, Sent};
use crate::sip::{self, build, pnp};

/// RFC 3261 timer T1: the first retransmission interval, doubling up to T2.
const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);
/// How long `probe` waits for other servers once one answered: long enough for a slow one.
pub const SETTLE: Settle = Settle::Fixed(Duration::from_millis(300));
/// How long a phone waits for the NOTIFY after the 200 OK: phones give up after about 5 s, so a PBX
/// whose NOTIFY comes later provisions nobody.
pub const NOTIFY_WINDOW: Duration = Duration::from_secs(5);

/// How long to wait for other servers once the first answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    Fixed(Duration),
    /// `factor` × the first answer's round trip, within `min..=max`: a second server on the same LAN
    /// answers within a few round trips of the first, and phones take the first anyway.
    RoundTrips {
        factor: u32,
        min: Duration,
        max: Duration,
    },
}

impl Settle {
    fn after(self, round_trip: Duration) -> Duration {
        match self {
            Self::Fixed(settle) => settle,
            Self::RoundTrips { factor, min, max } => round_trip.saturating_mul(factor).clamp(min, max),
        }
    }
}

/// What the probe needs to know.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub group: Ipv4Addr,
    pub port: u16,
    pub ttl: u8,
    /// How long to wait for a first answer.
    pub timeout: Duration,
    /// How long to wait for other servers once one answered.
    pub settle: Settle,
    /// How long a server that sent 200 OK is given for its NOTIFY.
    pub notify_window: Duration,
}

/// Sends the probe out of `interface` and gathers the answers.
///
/// # Errors
/// When the sender socket cannot be opened or the OS refuses the send.
///
/// `on_url` is called once, as soon as the server phones take (the first 2xx) has sent its provisioning
/// URL, so that fetching it can overlap the rest of the wait.
pub fn observe(
    interface: &LocalInterface,
    host_addresses: &[IpAddr],
    mac: sip::MacAddr,
    options: &ProbeOptions,
    actions: &OwnActions,
    on_url: &dyn Fn(&str),
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
    let contact = match UnicastSocket::bind(SocketAddrV4::new(interface.address, 0), actions) {
        Ok(socket) => Some(socket),
        Err(error) => {
            warnings.push(format!(
                "the Contact's own socket could not be opened ({error}): the Contact is the source port"
            ));
            None
        }
    };
    let mut subscribe = build::ProbeSubscribe::new(SocketAddr::V4(sender.local_addr()), mac);
    subscribe.group = IpAddr::V4(options.group);
    subscribe.port = options.port;
    subscribe.contact_port = contact.as_ref().map(|socket| socket.local_addr().port());

    let start = Instant::now();
    let deadline = start + options.timeout;
    let watcher =
        loopback_listener.map(|receiver| watch_loopback(receiver, subscribe.call_id.clone(), deadline));
    let endpoints = Endpoints { source: &sender, contact: contact.as_ref().map(|c| c as &dyn Endpoint) };
    let mut report =
        exchange(endpoints, &SystemClock, &subscribe, host_addresses, options, &interface.name, on_url)?;
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

/// The probe's two endpoints: the source of the SUBSCRIBE (Via), and the socket its Contact names (the
/// same socket when `None`).
#[derive(Clone, Copy)]
pub struct Endpoints<'a> {
    pub source: &'a dyn Endpoint,
    pub contact: Option<&'a dyn Endpoint>,
}

/// How long one read may block while two sockets are watched in turn: the error it adds to a round
/// trip is at most this.
const POLL: Duration = Duration::from_millis(2);

/// The SUBSCRIBE transaction on `endpoints`: sends, retransmits, gathers the answers per responder, and
/// warns when more than one server answered. `loopback` is left for the caller to fill.
///
/// # Errors
/// When the OS refuses a send.
pub fn exchange(
    endpoints: Endpoints<'_>,
    clock: &dyn Clock,
    subscribe: &build::ProbeSubscribe,
    host_addresses: &[IpAddr],
    options: &ProbeOptions,
    interface: &str,
    on_url: &dyn Fn(&str),
) -> Result<ProbeReport, NetError> {
    let mut warnings = Vec::new();
    let start = clock.now();
    let mut exchange = Exchange {
        endpoints,
        clock,
        call_id: subscribe.call_id.clone(),
        start,
        host_addresses,
        responders: BTreeMap::new(),
        first_answer: None,
        last_send: start,
        ok_at: BTreeMap::new(),
        on_url,
        url_reported: false,
    };
    let sent = exchange.run(&subscribe.render(), options, interface)?;
    let interrupted = clock.interrupted();
    let end = clock.now();
    let waited_ms = ms(end.saturating_duration_since(start));
    for (ip, answer) in &mut exchange.responders {
        let Some(ok_at) = exchange.ok_at.get(ip) else { continue };
        let until = end.min(*ok_at + options.notify_window);
        let waited = answer.notify_rtt_ms.zip(answer.response_rtt_ms).map_or_else(
            || ms(until.saturating_duration_since(*ok_at)),
            |(notify, ok)| (notify - ok).max(0.0),
        );
        answer.notify_waited_ms = Some((waited * 10.0).round() / 10.0);
    }
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
    endpoints: Endpoints<'a>,
    clock: &'a dyn Clock,
    call_id: String,
    start: Instant,
    host_addresses: &'a [IpAddr],
    responders: BTreeMap<IpAddr, Answer>,
    first_answer: Option<Instant>,
    /// The last (re)transmission: the first answer's round trip is measured from it.
    last_send: Instant,
    /// When each responder's final 200-class answer came: its NOTIFY window starts there.
    ok_at: BTreeMap<IpAddr, Instant>,
    on_url: &'a dyn Fn(&str),
    url_reported: bool,
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
        let local = self.endpoints.source.local_addr();
        let deadline = self.start + options.timeout;
        let mut sent = Vec::new();
        let mut interval = T1;
        let mut next_send = self.start;
        loop {
            let now = self.clock.now();
            // `timeout` bounds the wait for a first answer; after it, the settle and the NOTIFY window
            // decide, whatever `timeout` is.
            let stop = self.settle_until(options).unwrap_or(deadline);
            if now >= stop || self.clock.interrupted() {
                return Ok(sent);
            }
            // A final response ends the client transaction: no retransmission after an answer.
            if self.first_answer.is_none() && now >= next_send {
                self.endpoints.source.send(datagram, "PnP SUBSCRIBE (probe)")?;
                self.last_send = now;
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
            match self.endpoints.contact {
                None => {
                    if let Some(datagram) = self.endpoints.source.recv_until(wake)? {
                        self.record(&datagram, false)?;
                    }
                }
                Some(contact) => {
                    let slice = wake.min(self.clock.now() + POLL);
                    if let Some(datagram) = self.endpoints.source.recv_until(slice)? {
                        self.record(&datagram, false)?;
                    }
                    let slice = wake.min(self.clock.now() + POLL);
                    if let Some(datagram) = contact.recv_until(slice)? {
                        self.record(&datagram, true)?;
                    }
                }
            }
        }
    }

    /// Once a server answered: the settle for other servers, and for each 200 OK still awaiting its
    /// NOTIFY, the rest of its window.
    fn settle_until(&self, options: &ProbeOptions) -> Option<Instant> {
        let first = self.first_answer?;
        let round_trip = first.saturating_duration_since(self.last_send);
        let mut until = first + options.settle.after(round_trip);
        for (ip, answer) in &self.responders {
            if let Some(ok_at) = self.ok_at.get(ip)
                && answer.notify_rtt_ms.is_none()
            {
                until = until.max(*ok_at + options.notify_window);
            }
        }
        Some(until)
    }

    /// Hands the URL of the server phones take (the first 2xx) to `on_url`, once, as soon as it is known.
    fn report_url(&mut self) {
        if self.url_reported {
            return;
        }
        let first_ok = self.ok_at.iter().min_by_key(|(_, at)| **at).map(|(ip, _)| *ip);
        if let Some(url) = first_ok
            .and_then(|ip| self.responders.get(&ip))
            .and_then(|a| a.provisioning_url_unredacted.as_deref())
        {
            (self.on_url)(url);
            self.url_reported = true;
        }
    }

    /// Takes one datagram; `at_contact` when it came to the Contact's own socket.
    fn record(&mut self, datagram: &crate::net::Datagram, at_contact: bool) -> Result<(), NetError> {
        self.take(datagram, at_contact)?;
        self.report_url();
        Ok(())
    }

    fn take(&mut self, datagram: &crate::net::Datagram, at_contact: bool) -> Result<(), NetError> {
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
            provisioning_url_unredacted: None,
            this_host,
            notify: None,
            notify_waited_ms: None,
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
                if (200..300).contains(&response.code) {
                    self.ok_at.entry(source.ip()).or_insert(datagram.received_at);
                }
            }
        } else if let Some(notify) = pnp::notify_info(&message) {
            entry.notify_rtt_ms.get_or_insert(rtt);
            // The first NOTIFY is what a phone acts on; a retransmission changes nothing.
            if entry.notify.is_none() {
                let single_socket = self.endpoints.contact.is_none();
                entry.notify = Some(NotifySeen {
                    to_contact: at_contact || single_socket,
                    request_uri: match message.start_line() {
                        sip::StartLine::Request { uri, .. } => uri.to_owned(),
                        sip::StartLine::Response { .. } => String::new(),
                    },
                    content_type: notify.content_type.clone(),
                    url_source: notify.url_source.map(|s| s.as_str().to_owned()),
                });
            }
            if entry.provisioning_url_unredacted.is_none() {
                entry.provisioning_url = notify.provisioning_url.as_deref().map(sip::redact_url);
                entry.provisioning_url_unredacted = notify.provisioning_url;
            }
            entry.user_agent =
                entry.user_agent.take().or_else(|| message.header("User-Agent").map(str::to_owned));
            self.first_answer.get_or_insert(datagram.received_at);
            // A phone acknowledges the NOTIFY; without it the server retransmits and logs a failure.
            let receiver = match (at_contact, self.endpoints.contact) {
                (true, Some(contact)) => contact,
                _ => self.endpoints.source,
            };
            let contact = format!("sip:{}", receiver.local_addr());
            if let Ok(ok) = build::ok_response(&message, &build::new_tag(), &contact, sip::USER_AGENT)
                && let SocketAddr::V4(target) = pnp::reply_target(&message, source)
            {
                receiver.send_to(&ok, target, "200 OK to the NOTIFY")?;
            }
        }
        Ok(())
    }
}

/// Never change what is measured: when nothing on this host had joined the group on the probe's
/// interface, the probe's own join (to watch its looped-back copy) is what let a PBX on this host —
/// joined on another NIC, or nowhere — hear the probe; phones get no such help. Says so in `warnings`.
pub fn note_answers_through_own_join(
    report: &mut ProbeReport,
    joined_before: bool,
    group: Ipv4Addr,
    interface: &str,
) {
    if joined_before || !report.answers.iter().any(|a| a.this_host) {
        return;
    }
    report.warnings.push(format!(
        "the answer from this host came only because mcready itself joined {group} on {interface} to watch its probe: \
         nothing on this host had joined it there, so phones on {interface} get no answer (see `mcready joins`)"
    ));
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
            settle: Settle::Fixed(Duration::from_millis(150)),
            notify_window: NOTIFY_WINDOW,
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
        run_with(wire, &options(timeout_ms))
    }

    /// The exchange on `wire`, one socket for Via and Contact, no URL callback.
    fn run_with(wire: &FakeWire, options: &ProbeOptions) -> ProbeReport {
        exchange(Endpoints { source: wire, contact: None }, wire, &subscribe(), &[], options, "eth0", &|_| {})
            .unwrap()
    }

    /// The lab PBX answering after 5 ms and a second server after 15 ms, both with a NOTIFY.
    fn two_servers() -> FakeWire {
        let first = pbx(PBX, 5, true);
        let second = pbx(ROGUE, 15, true);
        let script: Script = Box::new(move |sent| {
            let mut both = first(sent);
            both.extend(second(sent));
            both
        });
        FakeWire::new(HERE.parse().unwrap(), script)
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
    fn the_url_phones_take_is_handed_over_as_soon_as_it_arrives() {
        let wire = FakeWire::new(HERE.parse().unwrap(), Box::new(pbx(PBX, 10, true)) as Script);
        let seen = std::sync::Mutex::new(Vec::new());
        let on_url = |url: &str| seen.lock().unwrap().push((url.to_owned(), wire.now() - wire.start()));
        exchange(
            Endpoints { source: &wire, contact: None },
            &wire,
            &subscribe(),
            &[],
            &options(2000),
            "eth0",
            &on_url,
        )
        .unwrap();
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.len(), 1, "once");
        assert_eq!(
            seen[0],
            ("http://198.51.100.10/p/{mac}.cfg".to_owned(), Duration::from_millis(12)),
            "at the NOTIFY, not after the settle"
        );
    }

    #[test]
    fn a_second_server_within_the_settle_time_is_caught_and_warned_about() {
        let wire = two_servers();
        let report = run(&wire, 2000);
        assert_eq!(report.answers.len(), 2);
        assert!(report.warnings.iter().any(|w| w.contains("2 servers answered")), "{:?}", report.warnings);
    }

    #[test]
    fn a_200_without_notify_is_given_the_phones_notify_window_whatever_the_timeout() {
        let wire = FakeWire::new(HERE.parse().unwrap(), Box::new(pbx(PBX, 10, false)) as Script);
        let report = run(&wire, 2000);
        assert_eq!(report.answers[0].notify_rtt_ms, None);
        assert_eq!(report.waited_ms, Some(5010.0), "5 s after the 200 OK, though --timeout is 2 s");
        assert_eq!(report.answers[0].notify_waited_ms, Some(5000.0));
    }

    #[test]
    fn check_waits_for_a_second_server_in_proportion_to_the_first_round_trip() {
        let wire = two_servers();
        let mut options = options(2000);
        options.settle = crate::observe::checklist::CHECK_SETTLE;
        let report = run_with(&wire, &options);
        assert_eq!(report.answers.len(), 2, "a second server 10 ms after the first is caught");
        // 5 ms round trip: max(4 × 5 ms, 20 ms) = 20 ms after the first answer, then done.
        assert_eq!(report.waited_ms, Some(25.0));
        let lone = FakeWire::new(HERE.parse().unwrap(), Box::new(pbx(PBX, 60, true)) as Script);
        let report = run_with(&lone, &options);
        assert_eq!(report.waited_ms, Some(210.0), "a slow first answer: at most 150 ms more");
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
