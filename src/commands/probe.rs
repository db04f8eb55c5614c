//! `mcready probe`: one phone-shaped PnP SUBSCRIBE to the group, and every answer to it.
//!
//! The engine ([`observe`]) is shared with `check`. It listens for the looped-back copy on a receiver
//! bound to the group (the host's own multicast path), sends the SUBSCRIBE with TTL 1 and retransmits it
//! on RFC 3261 timer E, answers each NOTIFY with 200 OK as a phone would, and returns a short settle time
//! after the first answer instead of waiting out the whole window.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

use super::Outcome;
use crate::cli::{Cli, ProbeArgs};
use crate::facts::{HostFacts, Interface};
use crate::net::{
    GroupReceiver, LocalInterface, MulticastSender, NetError, OwnAction, OwnActions, SenderOptions,
};
use crate::observed::{Answer, Loopback, ProbeReport, Sent};
use crate::platform::{self, GatherOptions, HostInfo, Scope};
use crate::report::markdown;
use crate::report::text::{BAD, CAUTION, DIM, GOOD, paint};
use crate::report::{Document, Tool, timestamp_now};
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
    let mut subscribe = build::ProbeSubscribe::new(SocketAddr::V4(sender.local_addr()), probe_mac(interface));
    subscribe.group = IpAddr::V4(options.group);
    subscribe.port = options.port;

    let start = Instant::now();
    let deadline = start + options.timeout;
    let watcher =
        loopback_listener.map(|receiver| watch_loopback(receiver, subscribe.call_id.clone(), deadline));
    let mut exchange = Exchange {
        sender: &sender,
        call_id: subscribe.call_id.clone(),
        start,
        host_addresses,
        responders: BTreeMap::new(),
        first_answer: None,
    };
    let sent = exchange.run(&subscribe.render(), options, actions)?;

    let loopback = watcher.map(|handle| match handle.join() {
        Ok(Some(at)) => Loopback { arrived: true, after_ms: Some(ms(at.saturating_duration_since(start))) },
        _ => Loopback { arrived: false, after_ms: None },
    });
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
    Ok(ProbeReport { sent, loopback, answers, warnings })
}

/// Waits on the group for the probe's own copy; the receiver leaves the group when the thread ends.
fn watch_loopback(
    receiver: GroupReceiver,
    call_id: String,
    deadline: Instant,
) -> std::thread::JoinHandle<Option<Instant>> {
    std::thread::spawn(move || {
        while let Ok(Some(datagram)) = receiver.recv_until(deadline) {
            if sip::parse(&datagram.payload).is_ok_and(|m| m.call_id() == Some(call_id.as_str())) {
                return Some(datagram.received_at);
            }
        }
        None
    })
}

/// One SUBSCRIBE transaction and the answers to it, grouped per responding host.
struct Exchange<'a> {
    sender: &'a MulticastSender,
    call_id: String,
    start: Instant,
    host_addresses: &'a [IpAddr],
    responders: BTreeMap<IpAddr, Answer>,
    first_answer: Option<Instant>,
}

impl Exchange<'_> {
    /// Sends and retransmits (RFC 3261 timer E) until a server answers, then settles and returns.
    fn run(
        &mut self,
        datagram: &[u8],
        options: &ProbeOptions,
        actions: &OwnActions,
    ) -> Result<Vec<Sent>, NetError> {
        let local = self.sender.local_addr();
        let interface = self.sender.interface().name.clone();
        let deadline = self.start + options.timeout;
        let mut sent = Vec::new();
        let mut interval = T1;
        let mut next_send = self.start;
        loop {
            let now = Instant::now();
            let stop = self.settle_until(options.settle).map_or(deadline, |s| s.min(deadline));
            if now >= stop {
                return Ok(sent);
            }
            // A final response ends the client transaction: no retransmission after an answer.
            if self.first_answer.is_none() && now >= next_send {
                self.sender.send(datagram, "PnP SUBSCRIBE (probe)")?;
                sent.push(Sent {
                    from: SocketAddr::V4(local),
                    to: SocketAddr::V4(SocketAddrV4::new(options.group, options.port)),
                    interface: interface.clone(),
                    ttl: u32::from(options.ttl),
                    at_ms: actions.ms_since_start(now),
                });
                if next_send > self.start {
                    interval = (interval * 2).min(T2);
                }
                next_send = now + interval;
            }
            let wake = if self.first_answer.is_none() { stop.min(next_send) } else { stop };
            if let Some(datagram) = self.sender.recv_until(wake)? {
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
            let contact = format!("sip:{}", self.sender.local_addr());
            if let Ok(ok) = build::ok_response(&message, &build::new_tag(), &contact, sip::USER_AGENT)
                && let SocketAddr::V4(target) = pnp::reply_target(&message, source)
            {
                self.sender.send_to(&ok, target, "200 OK to the NOTIFY")?;
            }
        }
        Ok(())
    }
}

fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

/// The same locally administered MAC for the same host and interface on every run, so a PBX that lists
/// discovered phones gains one entry, not one per run.
fn probe_mac(interface: &LocalInterface) -> sip::MacAddr {
    let hostname = platform::host_info().hostname;
    build::local_probe_mac(format!("{hostname}/{}", interface.name).as_bytes())
}

/// The `mcready.probe/v1` document.
#[derive(Debug, Serialize)]
pub struct ProbeDocument {
    pub schema: &'static str,
    pub tool: Tool,
    pub generated_at: String,
    pub host: HostInfo,
    pub interface: String,
    pub group: Ipv4Addr,
    pub port: u16,
    #[serde(flatten)]
    pub report: ProbeReport,
    pub own_actions: Vec<OwnAction>,
    #[serde(skip)]
    pub quiet: bool,
}

impl ProbeDocument {
    fn answer_line(answer: &Answer) -> String {
        let mut line = answer.responder.to_string();
        if let Some(ua) = &answer.user_agent {
            let _ = write!(line, " ({ua})");
        }
        if answer.this_host {
            line.push_str(" [this host]");
        }
        match (answer.status, answer.response_rtt_ms) {
            (Some(code), Some(rtt)) => {
                let _ = write!(line, " answered {code} in {rtt:.1} ms");
            }
            _ => line.push_str(" sent no response"),
        }
        match (answer.notify_rtt_ms, &answer.provisioning_url) {
            (Some(rtt), Some(url)) => {
                let _ = write!(line, "; NOTIFY in {rtt:.1} ms with {url}");
            }
            (Some(rtt), None) => {
                let _ = write!(line, "; NOTIFY in {rtt:.1} ms without a URL");
            }
            (None, _) => line.push_str("; no NOTIFY"),
        }
        line
    }

    fn sent_line(&self) -> String {
        let times = self.report.sent.len();
        let from = self.report.sent.first().map_or_else(String::new, |s| format!(" from {}", s.from));
        let ttl = self.report.sent.first().map_or(1, |s| s.ttl);
        format!(
            "PnP SUBSCRIBE sent to {}:{}{from} on {} (TTL {ttl}){}.",
            self.group,
            self.port,
            self.interface,
            if times > 1 { format!(", {times} times (RFC 3261 retransmissions)") } else { String::new() }
        )
    }

    fn loopback_line(&self) -> (bool, String) {
        match &self.report.loopback {
            Some(Loopback { arrived: true, after_ms }) => {
                (true, format!("The looped-back copy arrived after {:.1} ms.", after_ms.unwrap_or_default()))
            }
            Some(_) => (false, "The looped-back copy never arrived: this host's input path drops it.".into()),
            None => (false, "The looped-back copy was not watched (see warnings).".into()),
        }
    }
}

impl Document for ProbeDocument {
    const SCHEMA: &'static str = "mcready.probe/v1";

    fn to_text(&self) -> String {
        if self.quiet {
            let lines: Vec<String> = self.report.answers.iter().map(Self::answer_line).collect();
            return if lines.is_empty() {
                "No PnP server answered.\n".into()
            } else {
                lines.join("\n") + "\n"
            };
        }
        let mut out = format!("{} {}\n", paint(DIM, "→"), self.sent_line());
        let (arrived, line) = self.loopback_line();
        let _ = writeln!(out, "{} {line}", if arrived { paint(GOOD, "✔") } else { paint(CAUTION, "!") });
        if self.report.answers.is_empty() {
            let _ = writeln!(out, "{} No PnP server answered.", paint(BAD, "✘"));
        }
        for answer in &self.report.answers {
            let _ = writeln!(out, "{} {}", paint(GOOD, "✔"), Self::answer_line(answer));
        }
        for warning in &self.report.warnings {
            let _ = writeln!(out, "{} {warning}", paint(CAUTION, "!"));
        }
        out
    }

    fn to_markdown(&self) -> String {
        let mut out = markdown::heading("probe", &self.host);
        let _ = writeln!(out, "- {}", markdown::escape(&self.sent_line()));
        let _ = writeln!(out, "- {}", markdown::escape(&self.loopback_line().1));
        if self.report.answers.is_empty() {
            out.push_str("- **No PnP server answered.**\n");
        }
        for answer in &self.report.answers {
            let _ = writeln!(out, "- answer: {}", markdown::escape(&Self::answer_line(answer)));
        }
        for warning in &self.report.warnings {
            let _ = writeln!(out, "- **warning:** {}", markdown::escape(warning));
        }
        out
    }
}

/// The interface a command sends by: `--interface`, else the OS's route for the group.
///
/// # Errors
/// When neither names an interface, or the interface has no IPv4 address to send from.
pub fn sending_interface<'f>(facts: &'f HostFacts, explicit: Option<&str>) -> Result<&'f Interface> {
    let name = match explicit {
        Some(name) => name.to_owned(),
        None => facts
            .group_route
            .as_ref()
            .and_then(|r| r.interface.clone())
            .context("the OS has no route for the group and no `--interface` was given: name the phones' interface with `-i`")?,
    };
    let Some(interface) = facts.interface(&name) else {
        let known: Vec<&str> = facts.interfaces.iter().map(|i| i.name.as_str()).collect();
        bail!("no interface named `{name}` (this host has: {})", known.join(", "));
    };
    Ok(interface)
}

/// Every address of this host, to recognise answers from a PBX on this host.
#[must_use]
pub fn host_addresses(facts: &HostFacts) -> Vec<IpAddr> {
    facts.interfaces.iter().flat_map(|i| i.ipv4.iter().chain(&i.ipv6)).map(|net| net.addr).collect()
}

/// # Errors
/// When the facts cannot be gathered, the interface is unknown or has no IPv4 address, or the OS
/// refuses the socket or the send.
pub fn run(cli: &Cli, args: &ProbeArgs) -> Result<Outcome> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        bail!("--timeout must be a number of seconds between 0 and 3600, not {}", args.timeout);
    }
    // The probe needs the interfaces and the group's route, nothing else.
    let scope =
        Scope { routes: false, group_route: true, memberships: false, listeners: false, firewall: false };
    let options = GatherOptions { group: cli.global.group, port: cli.global.port, scope };
    let facts = platform::gather(&options)?;
    let interface = sending_interface(&facts, cli.global.interface.as_deref())?;
    let local = LocalInterface::from_facts(interface)
        .with_context(|| format!("{} has no IPv4 address to send the probe from", interface.name))?;
    let actions = OwnActions::new(Instant::now());
    let probe_options = ProbeOptions {
        group: cli.global.group,
        port: cli.global.port,
        ttl: args.ttl,
        timeout: Duration::from_secs_f64(args.timeout),
        settle: SETTLE,
    };
    let report = observe(&local, &host_addresses(&facts), &probe_options, &actions)?;
    let exit_code = u8::from(report.answers.is_empty());
    let document = ProbeDocument {
        schema: ProbeDocument::SCHEMA,
        tool: Tool::THIS,
        generated_at: timestamp_now(),
        host: platform::host_info(),
        interface: interface.name.clone(),
        group: cli.global.group,
        port: cli.global.port,
        report,
        own_actions: actions.snapshot(),
        quiet: cli.global.quiet,
    };
    Ok(Outcome::new(&document, cli, exit_code))
}
