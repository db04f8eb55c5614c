//! The probe engine: one phone-shaped PnP SUBSCRIBE to the group, and every answer to it. Shared by
//! `probe` and `check`.
//!
//! [`observe`] listens for the looped-back copy on a receiver bound to the group (the host's own
//! multicast path), sends the SUBSCRIBE with TTL 1 and retransmits it on RFC 3261 timer E. The one
//! waiting rule, stated in `--help` and docs/usage.md, is [`window_end`]: up to `timeout` (5 s, the
//! phones' window) for a first final answer; after it, [`SECOND_WINDOW`] for other servers; for each
//! 200 OK its NOTIFY, for up to [`NOTIFY_WINDOW`]; never past max(`timeout`, 5 s) + [`CAP_AFTER_TIMEOUT`]. Only a
//! final response (or a NOTIFY) is an answer: a 1xx is not. Each responder is keyed by its address,
//! port and dialog (the `To` tag of its response, the `From` tag of its NOTIFY; else its Server or
//! User-Agent), so two PnP services on one host are listed apart. Each NOTIFY gets a 200 OK as a phone
//! gives. The SUBSCRIBE's Contact names a second socket of its own, so a NOTIFY that goes to the
//! Contact is told from one sent back to the source port.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use super::{Clock, Endpoint, SystemClock, ms};
use crate::net::{
    GroupReceiver, LocalInterface, MulticastSender, NetError, OwnActions, SenderOptions, UnicastSocket,
};
use crate::observed::{Answer, LATE_ANSWER_MS, Loopback, NotifySeen, ProbeReport, Sent};
use crate::sip::{self, build, pnp};

/// RFC 3261 timer T1: the first retransmission interval, doubling up to T2.
const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);
/// The default wait for a first answer: phones retransmit their SUBSCRIBE and wait about 5 s for an
/// answer (Panasonic documents 5 s), so a PBX that answers within it provisions them.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How long other servers are given once the first answered: servers on one LAN hear the same
/// multicast datagram at once and answer within milliseconds of each other; 1 s covers a loaded one
/// (or one that answers only the first retransmission, 500 ms later).
pub const SECOND_WINDOW: Duration = Duration::from_secs(1);
/// How long a phone waits for the NOTIFY after the 200 OK: phones give up after about 5 s, so a PBX
/// whose NOTIFY comes later provisions nobody.
pub const NOTIFY_WINDOW: Duration = Duration::from_secs(5);
/// The probe never waits longer than `timeout` (at least [`TIMEOUT`]) plus this: 8 s unless
/// `--timeout` asks for more than 5 s, under a monitoring plugin's usual 10 s limit.
pub const CAP_AFTER_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the remaining datagrams already queued are read once the window closed: a 200 OK and its
/// NOTIFY that raced the end both count.
const DRAIN: Duration = Duration::from_millis(1);

/// What the probe needs to know.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub group: Ipv4Addr,
    pub port: u16,
    pub ttl: u8,
    /// How long to wait for a first answer ([`TIMEOUT`] by default).
    pub timeout: Duration,
    /// Whose SUBSCRIBE the probe imitates (`--as`).
    pub shape: build::Shape,
}

/// When the probe stops listening, by the one rule: `timeout` after the start while nothing answered;
/// once a first final answer came at `first`, [`SECOND_WINDOW`] after it, and for each 200 OK still
/// awaiting its NOTIFY (`pending_ok`) the rest of its [`NOTIFY_WINDOW`]; never past `timeout` +
/// [`CAP_AFTER_TIMEOUT`] (counted from [`TIMEOUT`] when `timeout` is shorter, so a short timeout never
/// cuts a NOTIFY's window).
#[must_use]
pub fn window_end(
    start: Instant,
    timeout: Duration,
    first: Option<Instant>,
    pending_ok: impl IntoIterator<Item = Instant>,
) -> Instant {
    let Some(first) = first else { return start + timeout };
    let until = pending_ok.into_iter().map(|ok| ok + NOTIFY_WINDOW).fold(first + SECOND_WINDOW, Instant::max);
    until.min(start + timeout.max(TIMEOUT) + CAP_AFTER_TIMEOUT)
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
    subscribe.shape = options.shape;
    subscribe.group = IpAddr::V4(options.group);
    subscribe.port = options.port;
    subscribe.contact_port = contact.as_ref().map(|socket| socket.local_addr().port());

    let start = Instant::now();
    // The copy comes back within milliseconds; the watch may last as long as the probe can.
    let deadline = start + options.timeout.max(TIMEOUT) + CAP_AFTER_TIMEOUT;
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
        ok_at: BTreeMap::new(),
        on_url,
        url_reported: false,
        closed_at: None,
    };
    let sent = exchange.run(&subscribe.render(), options, interface)?;
    let interrupted = clock.interrupted();
    let end = exchange.closed_at.unwrap_or_else(|| clock.now());
    let waited_ms = ms(end.saturating_duration_since(start));
    for (key, answer) in &mut exchange.responders {
        let Some(ok_at) = exchange.ok_at.get(key) else { continue };
        let until = end.min(*ok_at + NOTIFY_WINDOW);
        let waited = answer.notify_rtt_ms.zip(answer.response_rtt_ms).map_or_else(
            || ms(until.saturating_duration_since(*ok_at)),
            |(notify, ok)| (notify - ok).max(0.0),
        );
        answer.notify_waited_ms = Some((waited * 10.0).round() / 10.0);
    }
    let mut answers: Vec<Answer> = merge_tagless(exchange.responders.into_values().collect())
        .into_iter()
        .filter(|a| a.status.is_some() || a.notify_rtt_ms.is_some())
        .collect();
    answers.sort_by(|a, b| first_heard(a).total_cmp(&first_heard(b)));
    // A server that answers each retransmission in a new dialog is still one server: responders are
    // told apart by address, port, software and URL.
    let mut seen = std::collections::HashSet::new();
    answers.retain(|a| seen.insert((a.responder, a.user_agent.clone(), a.provisioning_url.clone())));
    if answers.len() > 1 {
        warnings.push(format!(
            "{} servers answered ({}): phones take whichever answers first, so a second or rogue PnP server can take them over",
            answers.len(),
            list_responders(&answers)
        ));
    }
    if let Some(first) = answers.first().map(first_heard).filter(|at| *at > LATE_ANSWER_MS) {
        warnings.push(format!(
            "the first answer came {:.1} s after the first SUBSCRIBE: phones that give up sooner than that get no answer",
            first / 1000.0
        ));
    }
    Ok(ProbeReport { sent, loopback: None, answers, warnings, waited_ms: Some(waited_ms), interrupted })
}

/// When an answer was first heard (its response, else its NOTIFY), in ms after the first SUBSCRIBE.
fn first_heard(answer: &Answer) -> f64 {
    answer.response_rtt_ms.or(answer.notify_rtt_ms).unwrap_or(f64::MAX)
}

/// The responders, each by address alone when all addresses differ; else by address, port, software
/// and URL, so two services on one host read as two.
fn list_responders(answers: &[Answer]) -> String {
    let mut ips: Vec<IpAddr> = answers.iter().map(|a| a.responder.ip()).collect();
    ips.sort_unstable();
    ips.dedup();
    if ips.len() == answers.len() {
        return answers.iter().map(|a| a.responder.ip().to_string()).collect::<Vec<_>>().join(", ");
    }
    answers.iter().map(Answer::describe).collect::<Vec<_>>().join("; ")
}

/// A response and a NOTIFY from one source that no tag tied together (a server that omits or changes
/// its tag) are one answer when that source left exactly one of each.
fn merge_tagless(answers: Vec<Answer>) -> Vec<Answer> {
    let mut merged: Vec<Answer> = Vec::with_capacity(answers.len());
    for answer in answers {
        let same_source = |a: &&mut Answer| a.responder == answer.responder;
        let lone = merged.iter().filter(|a| a.responder == answer.responder).count() == 1;
        match merged.iter_mut().find(same_source) {
            Some(other)
                if lone
                    && other.status.is_some() != answer.status.is_some()
                    && other.notify.is_some() != answer.notify.is_some() =>
            {
                let (with_status, with_notify) =
                    if other.status.is_some() { (other.clone(), answer) } else { (answer, other.clone()) };
                *other = Answer {
                    notify_rtt_ms: with_notify.notify_rtt_ms,
                    provisioning_url: with_notify.provisioning_url,
                    provisioning_url_unredacted: with_notify.provisioning_url_unredacted,
                    notify: with_notify.notify,
                    user_agent: with_status.user_agent.clone().or(with_notify.user_agent),
                    notify_waited_ms: with_notify
                        .notify_rtt_ms
                        .zip(with_status.response_rtt_ms)
                        .map(|(notify, ok)| ((notify - ok).max(0.0) * 10.0).round() / 10.0),
                    ..with_status
                };
            }
            _ => merged.push(answer),
        }
    }
    merged
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

/// Who answered: the source, and the dialog its answers belong to (the `To` tag of its response, the
/// `From` tag of its NOTIFY; without a tag, its Server or User-Agent).
type Responder = (SocketAddr, String);

/// One SUBSCRIBE transaction and the answers to it, grouped per responder.
struct Exchange<'a> {
    endpoints: Endpoints<'a>,
    clock: &'a dyn Clock,
    call_id: String,
    start: Instant,
    host_addresses: &'a [IpAddr],
    responders: BTreeMap<Responder, Answer>,
    /// When the first final answer (or NOTIFY) came.
    first_answer: Option<Instant>,
    /// When each responder's final 200-class answer came: its NOTIFY window starts there.
    ok_at: BTreeMap<Responder, Instant>,
    on_url: &'a dyn Fn(&str),
    url_reported: bool,
    /// When the window closed (the drain after it reads only what had already come).
    closed_at: Option<Instant>,
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
        let mut sent = Vec::new();
        let mut interval = T1;
        let mut next_send = self.start;
        loop {
            let now = self.clock.now();
            let stop = self.window_end(options);
            if self.clock.interrupted() {
                return Ok(sent);
            }
            if now >= stop {
                self.closed_at = Some(now);
                self.drain()?;
                return Ok(sent);
            }
            // A final response ends the client transaction: no retransmission after an answer.
            if self.first_answer.is_none() && now >= next_send {
                self.endpoints.source.send(datagram, "PnP SUBSCRIBE (probe)")?;
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
            self.read_until(wake)?;
        }
    }

    /// Reads each socket once, in turn, until `wake` at the latest.
    fn read_until(&mut self, wake: Instant) -> Result<bool, NetError> {
        match self.endpoints.contact {
            None => match self.endpoints.source.recv_until(wake)? {
                Some(datagram) => self.record(&datagram, false).map(|()| true),
                None => Ok(false),
            },
            Some(contact) => {
                let mut any = false;
                let slice = wake.min(self.clock.now() + POLL);
                if let Some(datagram) = self.endpoints.source.recv_until(slice)? {
                    self.record(&datagram, false)?;
                    any = true;
                }
                let slice = wake.min(self.clock.now() + POLL);
                if let Some(datagram) = contact.recv_until(slice)? {
                    self.record(&datagram, true)?;
                    any = true;
                }
                Ok(any)
            }
        }
    }

    /// What already waits in the sockets when the window closes still counts: a 200 OK read after its
    /// NOTIFY (the two sockets are read in turn) must not make a server look as if it never answered.
    /// Bounded, so a flood cannot hold the probe open.
    fn drain(&mut self) -> Result<(), NetError> {
        for _ in 0..64 {
            if !self.read_until(self.clock.now() + DRAIN)? {
                break;
            }
        }
        Ok(())
    }

    /// The end of the window by the one rule ([`window_end`]), as far as the answers so far go.
    fn window_end(&self, options: &ProbeOptions) -> Instant {
        let pending = self
            .ok_at
            .iter()
            .filter(|(key, _)| self.responders.get(*key).is_some_and(|a| a.notify_rtt_ms.is_none()))
            .map(|(_, at)| *at);
        window_end(self.start, options.timeout, self.first_answer, pending)
    }

    /// Hands the URL of the server phones take (the first 2xx) to `on_url`, once, as soon as it is known.
    fn report_url(&mut self) {
        if self.url_reported {
            return;
        }
        let first_ok = self.ok_at.iter().min_by_key(|(_, at)| **at).map(|(key, _)| key.clone());
        if let Some(url) = first_ok
            .and_then(|key| self.responders.get(&key))
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
        let software = message.header("Server").or_else(|| message.header("User-Agent"));
        let response = pnp::response_info(&message);
        let tag = match &response {
            Some(response) => response.to_tag.clone(),
            None => message.header("From").and_then(sip::value::tag).map(str::to_owned),
        };
        // A provisional response ends nothing: the phone keeps waiting for a final one.
        if response.as_ref().is_some_and(|r| r.code < 200) {
            return Ok(());
        }
        let key: Responder = (
            source,
            tag.map_or_else(|| format!("ua:{}", software.unwrap_or_default()), |t| format!("tag:{t}")),
        );
        let entry = self.responders.entry(key.clone()).or_insert_with(|| Answer {
            responder: source,
            user_agent: None,
            status: None,
            reason: None,
            response_rtt_ms: None,
            notify_rtt_ms: None,
            provisioning_url: None,
            provisioning_url_unredacted: None,
            this_host,
            notify: None,
            notify_waited_ms: None,
        });
        if let Some(response) = response {
            let answers_subscribe =
                response.cseq.as_ref().is_some_and(|(_, method)| method.eq_ignore_ascii_case("SUBSCRIBE"));
            if answers_subscribe && entry.status.is_none() {
                entry.status = Some(response.code);
                entry.reason = Some(response.reason).filter(|r| !r.is_empty());
                entry.response_rtt_ms = Some(rtt);
                entry.user_agent = entry.user_agent.take().or(response.server_or_user_agent);
                self.first_answer.get_or_insert(datagram.received_at);
                if (200..300).contains(&response.code) {
                    self.ok_at.entry(key).or_insert(datagram.received_at);
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
    const URL: &str = "http://198.51.100.10/p/{mac}.cfg";

    fn options(timeout_ms: u64) -> ProbeOptions {
        ProbeOptions {
            group: sip::PNP_GROUP,
            port: 5060,
            ttl: 1,
            timeout: Duration::from_millis(timeout_ms),
            shape: build::Shape::Mcready,
        }
    }

    fn subscribe() -> build::ProbeSubscribe {
        build::ProbeSubscribe::new(HERE.parse().unwrap(), "02:00:00:00:00:01".parse().unwrap())
    }

    /// How a scripted server answers each PnP SUBSCRIBE.
    #[derive(Clone, Copy)]
    struct Server {
        from: &'static str,
        delay_ms: f64,
        code: u16,
        reason: &'static str,
        /// Its NOTIFY 2 ms after the response, with this URL.
        url: Option<&'static str>,
        software: &'static str,
    }

    const LAB_PBX: Server =
        Server { from: PBX, delay_ms: 10.0, code: 200, reason: "OK", url: Some(URL), software: "Test PBX" };

    impl Server {
        fn script(self) -> impl Fn(&SentByEngine) -> Vec<(Duration, SocketAddrV4, Vec<u8>)> {
            move |sent| {
                let Ok(message) = sip::parse(&sent.payload) else { return Vec::new() };
                if !pnp::is_pnp_subscribe(&message) {
                    return Vec::new();
                }
                let from: SocketAddrV4 = self.from.parse().unwrap();
                let tag = build::new_tag();
                let delay = Duration::from_secs_f64(self.delay_ms / 1000.0);
                let answer = if self.code == 200 {
                    build::ok_response(&message, &tag, &format!("sip:{from}"), self.software).unwrap()
                } else {
                    build::response(&message, self.code, self.reason, &tag, &[("Server", self.software)])
                        .unwrap()
                };
                let mut out = vec![(delay, from, answer)];
                if let Some(url) = self.url {
                    let options = build::NotifyOptions {
                        local: SocketAddr::V4(from),
                        our_tag: &tag,
                        cseq: 1,
                        user_agent: self.software,
                    };
                    let notify = build::notify_for(&message, url, &options).unwrap();
                    out.push((delay + Duration::from_millis(2), from, notify));
                }
                out
            }
        }
    }

    fn wire(servers: &[Server]) -> FakeWire {
        let servers = servers.to_vec();
        let script: Script =
            Box::new(move |sent| servers.iter().flat_map(|server| server.script()(sent)).collect());
        FakeWire::new(HERE.parse().unwrap(), script)
    }

    fn run(wire: &FakeWire, timeout_ms: u64) -> ProbeReport {
        exchange(
            Endpoints { source: wire, contact: None },
            wire,
            &subscribe(),
            &[],
            &options(timeout_ms),
            "eth0",
            &|_| {},
        )
        .unwrap()
    }

    fn group_sends(wire: &FakeWire) -> Vec<u128> {
        wire.sent().iter().filter(|s| s.to.is_none()).map(|s| s.at.as_millis()).collect()
    }

    #[test]
    fn silence_retransmits_on_timer_e_for_the_phones_five_seconds() {
        let wire = wire(&[]);
        let report = run(&wire, 5000);
        assert_eq!(group_sends(&wire), [0, 500, 1500, 3500], "T1 = 500 ms, doubling");
        assert!(report.answers.is_empty());
        assert_eq!(report.waited_ms, Some(5000.0));
        assert!(!report.interrupted);
    }

    #[test]
    fn an_answer_stops_retransmission_and_the_notify_is_acknowledged() {
        let wire = wire(&[LAB_PBX]);
        let report = run(&wire, 5000);
        assert_eq!(group_sends(&wire), [0]);
        let answer = &report.answers[0];
        assert_eq!(
            (answer.status, answer.reason.as_deref(), answer.response_rtt_ms, answer.notify_rtt_ms),
            (Some(200), Some("OK"), Some(10.0), Some(12.0))
        );
        assert_eq!(answer.provisioning_url.as_deref(), Some(URL));
        let acks: Vec<_> = wire.sent().into_iter().filter(|s| s.to.is_some()).collect();
        assert_eq!(acks.len(), 1, "the NOTIFY gets a 200 OK, as a phone gives");
        assert!(acks[0].payload.starts_with(b"SIP/2.0 200 OK"));
        // The second-answer window: 1 s after the first answer, not the 5 s timeout.
        assert_eq!(report.waited_ms, Some(1010.0));
        assert_eq!(report.warnings, Vec::<String>::new());
    }

    #[test]
    fn the_url_phones_take_is_handed_over_as_soon_as_it_arrives() {
        let wire = wire(&[LAB_PBX]);
        let seen = std::sync::Mutex::new(Vec::new());
        let on_url = |url: &str| seen.lock().unwrap().push((url.to_owned(), wire.now() - wire.start()));
        exchange(
            Endpoints { source: &wire, contact: None },
            &wire,
            &subscribe(),
            &[],
            &options(5000),
            "eth0",
            &on_url,
        )
        .unwrap();
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen, [(URL.to_owned(), Duration::from_millis(12))], "once, at the NOTIFY");
    }

    #[test]
    fn a_second_server_within_the_second_window_is_caught_and_one_after_it_is_not() {
        let late_rogue = |delay_ms| Server { from: ROGUE, delay_ms, ..LAB_PBX };
        // 100 ms and 900 ms after the first: both inside the 1 s window (the old settle missed both).
        for delay in [110.0, 910.0] {
            let report = run(&wire(&[LAB_PBX, late_rogue(delay)]), 5000);
            assert_eq!(report.answers.len(), 2, "{delay} ms");
            assert_eq!(report.answers[1].responder.to_string(), ROGUE);
            assert!(report.warnings[0].starts_with("2 servers answered (198.51.100.10, 198.51.100.66)"));
            assert_eq!(report.waited_ms, Some(1010.0), "the window is counted from the first answer");
        }
        let report = run(&wire(&[LAB_PBX, late_rogue(1020.0)]), 5000);
        assert_eq!(report.answers.len(), 1, "1.01 s after the first: outside the window");
    }

    #[test]
    fn what_already_arrived_when_the_window_closes_is_still_read() {
        let report = run(&wire(&[LAB_PBX, Server { from: ROGUE, delay_ms: 1010.5, ..LAB_PBX }]), 5000);
        assert_eq!(report.answers.len(), 2, "{report:?}");
        assert_eq!(report.answers[1].status, Some(200), "its 200 OK counts although it raced the close");
    }

    #[test]
    fn two_services_on_one_host_are_two_responders() {
        let second =
            Server { url: Some("http://198.51.100.10:8080/other/{mac}"), software: "Other PnP", ..LAB_PBX };
        let report = run(&wire(&[LAB_PBX, Server { delay_ms: 40.0, ..second }]), 5000);
        assert_eq!(report.answers.len(), 2, "{report:?}");
        let urls: Vec<_> = report.answers.iter().map(|a| a.provisioning_url.as_deref().unwrap()).collect();
        assert_eq!(urls, [URL, "http://198.51.100.10:8080/other/{mac}"]);
        let warning = &report.warnings[0];
        assert!(
            warning.starts_with("2 servers answered (198.51.100.10:5060 (Test PBX), URL http://198.51.100.10/p/{mac}.cfg; 198.51.100.10:5060 (Other PnP), URL http://198.51.100.10:8080/other/{mac})"),
            "{warning}"
        );
    }

    #[test]
    fn a_server_that_changes_its_tag_between_200_and_notify_is_one_answer() {
        let script: Script = Box::new(|sent: &SentByEngine| {
            let Ok(message) = sip::parse(&sent.payload) else { return Vec::new() };
            if !pnp::is_pnp_subscribe(&message) {
                return Vec::new();
            }
            let from: SocketAddrV4 = PBX.parse().unwrap();
            let ok = build::ok_response(&message, "one", &format!("sip:{from}"), "Test PBX").unwrap();
            let options = build::NotifyOptions {
                local: SocketAddr::V4(from),
                our_tag: "other",
                cseq: 1,
                user_agent: "Test PBX",
            };
            let notify = build::notify_for(&message, URL, &options).unwrap();
            vec![(Duration::from_millis(10), from, ok), (Duration::from_millis(12), from, notify)]
        });
        let report = run(&FakeWire::new(HERE.parse().unwrap(), script), 5000);
        assert_eq!(report.answers.len(), 1, "{report:?}");
        let answer = &report.answers[0];
        assert_eq!((answer.status, answer.provisioning_url.as_deref()), (Some(200), Some(URL)));
        assert_eq!(answer.notify_waited_ms, Some(2.0));
    }

    #[test]
    fn a_final_error_is_recorded_with_its_reason_and_is_no_acceptance() {
        let refusing =
            Server { code: 489, reason: "Bad Event", url: None, software: "Asterisk PBX 20", ..LAB_PBX };
        let wire = wire(&[refusing]);
        let report = run(&wire, 5000);
        assert_eq!(group_sends(&wire), [0], "a final response ends the transaction");
        let answer = &report.answers[0];
        assert_eq!((answer.status, answer.reason.as_deref()), (Some(489), Some("Bad Event")));
        assert!(answer.refused() && !answer.accepted());
        assert_eq!(answer.status_line(), "489 Bad Event");
        assert_eq!(report.waited_ms, Some(1010.0));
    }

    #[test]
    fn a_provisional_response_is_no_answer() {
        let trying = Server { code: 180, reason: "Ringing", url: None, ..LAB_PBX };
        let wire = wire(&[trying]);
        let report = run(&wire, 5000);
        assert!(report.answers.is_empty(), "{report:?}");
        assert_eq!(group_sends(&wire), [0, 500, 1500, 3500], "retransmitted as if nothing came");
        assert_eq!(report.waited_ms, Some(5000.0));
    }

    #[test]
    fn a_late_first_answer_is_caught_and_named() {
        let report = run(&wire(&[Server { delay_ms: 3100.0, ..LAB_PBX }]), 5000);
        // The retransmission at 1.5 s is answered 3.1 s later (the one at 0 s and 0.5 s too, but
        // only the first answer per dialog counts).
        assert_eq!(report.answers[0].response_rtt_ms, Some(3100.0));
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.starts_with("the first answer came 3.1 s after the first SUBSCRIBE")),
            "{:?}",
            report.warnings
        );
    }

    #[test]
    fn a_200_without_notify_is_given_the_phones_notify_window_within_the_cap() {
        let silent = Server { url: None, ..LAB_PBX };
        let report = run(&wire(&[silent]), 5000);
        assert_eq!(report.answers[0].notify_rtt_ms, None);
        assert_eq!(report.waited_ms, Some(5010.0), "5 s after the 200 OK");
        assert_eq!(report.answers[0].notify_waited_ms, Some(5000.0));
        let report = run(&wire(&[silent]), 1000);
        assert_eq!(report.waited_ms, Some(5010.0), "a short --timeout never cuts the NOTIFY's window");
        let report = run(&wire(&[Server { delay_ms: 4500.0, ..silent }]), 5000);
        assert_eq!(report.waited_ms, Some(8000.0), "never past the timeout + 3 s");
        assert_eq!(report.answers[0].notify_waited_ms, Some(3500.0));
    }

    #[test]
    fn the_window_rule_itself() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let timeout = Duration::from_secs(5);
        assert_eq!(window_end(start, timeout, None, []), at(5000));
        assert_eq!(window_end(start, timeout, Some(at(10)), []), at(1010));
        assert_eq!(window_end(start, timeout, Some(at(10)), [at(10)]), at(5010));
        assert_eq!(window_end(start, timeout, Some(at(4900)), []), at(5900));
        assert_eq!(window_end(start, timeout, Some(at(4900)), [at(4900)]), at(8000));
        assert_eq!(window_end(start, Duration::from_secs(1), Some(at(900)), [at(900)]), at(5900));
        assert_eq!(window_end(start, Duration::from_secs(7), Some(at(6900)), [at(6900)]), at(10_000));
    }

    #[test]
    fn ctrl_c_ends_the_wait_and_says_so() {
        let wire = wire(&[]).interrupted_after(Duration::from_millis(700));
        let report = run(&wire, 5000);
        assert!(report.interrupted);
        assert_eq!(group_sends(&wire), [0, 500]);
        assert_eq!(report.waited_ms, Some(700.0));
    }
}
