//! `mcready listen`: hears phones booting — their PnP SUBSCRIBEs to the group — for a while, and says
//! who they are, where they came from and whether this host answered them.
//!
//! Gather → evaluate → render: [`observe`] (the engine, also called by `check --listen`) fills an
//! [`crate::observed::ListenReport`] and reports each event through a callback without printing anything;
//! [`Tally`] is the pure part that turns what the sockets saw into phones (tested without a network);
//! [`ListenDocument`] renders `mcready.listen/v1` as text, JSON or Markdown.
//!
//! How it hears (DESIGN, "do not change what you measure"):
//! - the passive capture (`AF_PACKET`, SIP filter) is opened first when the process may: it sees phones
//!   even when a PBX holds the port exclusively or the host firewall drops udp/5060, and sees this
//!   host's own answers leave (`answered_by`);
//! - a [`GroupReceiver`] on `group:port` is opened too when the port can be shared: a SUBSCRIBE the
//!   capture saw but the socket never got proves a host firewall or `rp_filter` drop
//!   (`captured_not_delivered`). Its join is recorded in `own_actions` and left when the window ends.
//! - without `CAP_NET_RAW` the socket alone is used and `limits` says what that cannot see; with
//!   neither, listen cannot run (exit 2).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;

use super::Outcome;
use crate::cli::{Cli, ListenArgs};
use crate::facts::{HostFacts, Interface, InterfaceKind};
use crate::net::{
    self, Capture, CaptureFilter, CaptureOptions, CapturedFrame, Datagram, Direction, GroupReceiver,
    LocalInterface, NetError, OwnAction, OwnActions,
};
use crate::observed::{HeardBy, ListenReport, OtherSip, Phone};
use crate::platform::{self, GatherOptions, HostInfo, Scope};
use crate::report::markdown;
use crate::report::text::{BAD, CAUTION, Cell, DIM, EMPHASIS, GOOD, Table, paint};
use crate::report::{Document, Format, Tool, timestamp_now};
use crate::sip::{self, pnp};

/// How often receive loops look at the clock, Ctrl-C and the progress line.
const SLICE: Duration = Duration::from_millis(100);
/// After the window, the socket gets this long to hand over datagrams the capture already saw, so a
/// SUBSCRIBE on the wire at the last instant is not reported as "never delivered".
const GRACE: Duration = Duration::from_millis(300);
/// Kernel receive buffer asked for on the capture and the group socket (see the boot-storm figures in
/// `docs/listen.md`).
const RECEIVE_BUFFER: usize = 16 << 20;
/// Distinct phones and senders kept at most: a flood of forged SUBSCRIBEs must not exhaust memory.
const MAX_ENTRIES: usize = 65_536;

/// The interface that faces the phones: `--interface`, else the OS's route for the group, else the
/// first multicast-capable, up, non-loopback interface with an IPv4 address.
///
/// # Errors
/// When `--interface` names no interface of this host, or no interface qualifies.
pub fn pnp_interface<'f>(facts: &'f HostFacts, wanted: Option<&str>) -> Result<&'f Interface> {
    if let Some(name) = wanted {
        if let Some(interface) = facts.interface(name) {
            return Ok(interface);
        }
        let known: Vec<&str> = facts.interfaces.iter().map(|i| i.name.as_str()).collect();
        bail!("no interface named `{name}` (this host has: {})", known.join(", "));
    }
    let routed = facts.group_route.as_ref().and_then(|route| route.interface.as_deref());
    if let Some(interface) = routed.and_then(|name| facts.interface(name)) {
        return Ok(interface);
    }
    facts
        .interfaces
        .iter()
        .find(|i| i.kind != InterfaceKind::Loopback && i.flags.up && i.flags.multicast && !i.ipv4.is_empty())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no interface to listen on: the OS has no route for the group and no interface is up with \
                 IPv4 and multicast; name one with --interface"
            )
        })
}

/// Something worth a line while listening.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum ListenEvent {
    /// The first SUBSCRIBE of a phone.
    Phone { phone: Phone },
    /// Another SUBSCRIBE from a phone already heard (a retransmission or a reboot).
    Again { phone: String, subscribes: u32 },
    /// This host answered a phone (seen leaving by the capture).
    Answered { phone: String, by: String },
    /// The first SIP message of a kind from a sender that is not a PnP SUBSCRIBE.
    NonPnp { source: SocketAddr, kind: String },
    /// A datagram to the group port that is not SIP.
    Junk { source: SocketAddr, total: u32 },
    /// A part of the observation that cannot be made.
    Limit { message: String },
    /// About once a second, for a progress line.
    Tick { remaining_secs: u64, phones: usize },
}

/// Why listening could not start.
#[derive(Debug)]
pub enum ListenError {
    /// The interface has no IPv4 address to listen with.
    NoAddress { interface: String },
    /// Neither the capture nor the group socket could be opened.
    NothingToListenWith { capture: NetError, socket: NetError },
    /// Joining was forbidden (a passive run) and the capture could not be opened.
    CaptureOnly { capture: NetError },
}

/// What to listen for, for how long, and whether joining is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenOptions {
    pub group: Ipv4Addr,
    pub port: u16,
    pub duration: Duration,
    pub join: Joining,
}

/// Whether listening may join the group: a join sends an IGMP report, which a passive run
/// (`check --no-probe`) must not do — it then hears by capture alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joining {
    Allowed,
    Forbidden,
}

impl std::fmt::Display for ListenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoAddress { interface } => {
                write!(f, "interface {interface} has no IPv4 address to listen on")
            }
            Self::NothingToListenWith { capture, socket } => {
                write!(f, "cannot listen at all: {capture}; and {socket}")
            }
            Self::CaptureOnly { capture } => {
                write!(f, "a passive run listens by capture alone (a join would send IGMP), and {capture}")
            }
        }
    }
}

impl std::error::Error for ListenError {}

/// What a receive thread saw, reduced to what the tally needs (a few hundred bytes, not the 64 KiB
/// buffer the datagram was read into: a burst queued between threads must stay small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub by_capture: bool,
    pub at: Instant,
    pub source: SocketAddrV4,
    pub destination: Ipv4Addr,
    pub destination_port: u16,
    pub ttl: Option<u8>,
    /// Sent by this host (capture only).
    pub outgoing: bool,
    pub what: What,
}

/// The content of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    Subscribe {
        mac: Option<String>,
        vendor: Option<String>,
        model: Option<String>,
        firmware: Option<String>,
        user_agent: Option<String>,
        call_id: Option<String>,
    },
    /// Other SIP: the method or `response NNN`, and the `CSeq` method of a response.
    OtherSip {
        kind: String,
        cseq_method: Option<String>,
        user_agent: Option<String>,
        call_id: Option<String>,
    },
    /// UDP to the port that is not SIP (or a fragment that cannot be read).
    Junk,
    /// Not UDP to the port: IGMP, other traffic the filter let through.
    Other,
    /// A socket delivery when the capture counts: only the source matters.
    Delivered,
}

impl What {
    /// Reads a UDP payload.
    #[must_use]
    pub fn of_payload(payload: &[u8]) -> Self {
        let Ok(message) = sip::parse(payload) else { return Self::Junk };
        if pnp::is_pnp_subscribe(&message) {
            let phone = pnp::identify_phone(&message);
            return Self::Subscribe {
                mac: phone.mac.map(|mac| mac.to_string()),
                vendor: phone.vendor,
                model: phone.model,
                firmware: phone.firmware,
                user_agent: phone.user_agent,
                call_id: message.call_id().map(str::to_owned),
            };
        }
        let kind = match (message.method(), message.status_code()) {
            (Some(method), _) => method.to_owned(),
            (None, Some(code)) => format!("response {code}"),
            (None, None) => return Self::Junk,
        };
        Self::OtherSip {
            kind,
            cseq_method: message.cseq().map(|(_, method)| method.to_ascii_uppercase()),
            user_agent: message.header("User-Agent").or_else(|| message.header("Server")).map(str::to_owned),
            call_id: message.call_id().map(str::to_owned),
        }
    }
}

impl Seen {
    fn from_frame(frame: &CapturedFrame, port: u16) -> Self {
        let packet = &frame.packet;
        let (source_port, destination_port, what) = match packet.udp() {
            Some((from, to, payload)) if from == port || to == port => (from, to, What::of_payload(payload)),
            Some((from, to, _)) => (from, to, What::Other),
            None => match packet.transport {
                net::Transport::Fragment { .. } | net::Transport::MalformedUdp { .. } => {
                    (0, port, What::Junk)
                }
                _ => (0, 0, What::Other),
            },
        };
        Self {
            by_capture: true,
            at: frame.received_at,
            source: SocketAddrV4::new(packet.source, source_port),
            destination: packet.destination,
            destination_port,
            ttl: Some(packet.ttl),
            outgoing: frame.direction == Direction::Outgoing,
            what,
        }
    }

    fn from_datagram(datagram: &Datagram, group: Ipv4Addr, port: u16, parse: bool) -> Self {
        Self {
            by_capture: false,
            at: datagram.received_at,
            source: datagram.source,
            destination: datagram.destination.unwrap_or(group),
            destination_port: port,
            ttl: datagram.ttl,
            outgoing: false,
            what: if parse { What::of_payload(&datagram.payload) } else { What::Delivered },
        }
    }
}

/// The pure tally: turns what was seen into phones, other SIP, junk and the delivery evidence.
#[derive(Debug)]
pub struct Tally {
    group: Ipv4Addr,
    port: u16,
    interface: Interface,
    local: HashSet<Ipv4Addr>,
    /// The capture is the counting source; the socket only proves delivery.
    capture_counts: bool,
    phones: Vec<Phone>,
    by_key: HashMap<String, usize>,
    by_call_id: HashMap<String, usize>,
    by_ip: HashMap<IpAddr, usize>,
    non_pnp: Vec<OtherSip>,
    non_pnp_index: HashMap<(SocketAddr, String), usize>,
    junk: u32,
    captured_subscribes: BTreeSet<SocketAddr>,
    delivered: HashSet<SocketAddr>,
    lan_multicast_heard: bool,
}

impl Tally {
    /// `local` are this host's own addresses (its traffic is not "the LAN").
    #[must_use]
    pub fn new(
        group: Ipv4Addr,
        port: u16,
        interface: &Interface,
        local: HashSet<Ipv4Addr>,
        capture_counts: bool,
    ) -> Self {
        Self {
            group,
            port,
            interface: interface.clone(),
            local,
            capture_counts,
            phones: Vec::new(),
            by_key: HashMap::new(),
            by_call_id: HashMap::new(),
            by_ip: HashMap::new(),
            non_pnp: Vec::new(),
            non_pnp_index: HashMap::new(),
            junk: 0,
            captured_subscribes: BTreeSet::new(),
            delivered: HashSet::new(),
            lan_multicast_heard: false,
        }
    }

    #[must_use]
    pub fn phone_count(&self) -> usize {
        self.phones.len()
    }

    /// Takes one observation; `emit` gets the events it causes.
    pub fn take(&mut self, seen: Seen, emit: &mut dyn FnMut(ListenEvent)) {
        let source = SocketAddr::V4(seen.source);
        let from_lan = !seen.outgoing && !self.local.contains(seen.source.ip());
        if from_lan && seen.destination.is_multicast() {
            self.lan_multicast_heard = true;
        }
        if !seen.by_capture {
            self.delivered.insert(source);
        }
        if seen.by_capture != self.capture_counts {
            return;
        }
        if seen.outgoing {
            self.answer_seen(&seen, emit);
            return;
        }
        if seen.destination != self.group || seen.destination_port != self.port || !from_lan {
            return;
        }
        match seen.what {
            What::Subscribe { .. } => self.subscribe(seen, emit),
            What::OtherSip { kind, user_agent, .. } => {
                if let Some(&index) = self.non_pnp_index.get(&(source, kind.clone())) {
                    if let Some(entry) = self.non_pnp.get_mut(index) {
                        entry.count = entry.count.saturating_add(1);
                    }
                } else if self.non_pnp.len() < MAX_ENTRIES {
                    self.non_pnp_index.insert((source, kind.clone()), self.non_pnp.len());
                    self.non_pnp.push(OtherSip { source, kind: kind.clone(), user_agent, count: 1 });
                    emit(ListenEvent::NonPnp { source, kind });
                }
            }
            What::Junk => {
                self.junk = self.junk.saturating_add(1);
                emit(ListenEvent::Junk { source, total: self.junk });
            }
            What::Other | What::Delivered => {}
        }
    }

    fn subscribe(&mut self, seen: Seen, emit: &mut dyn FnMut(ListenEvent)) {
        let What::Subscribe { mac, vendor, model, firmware, user_agent, call_id } = seen.what else { return };
        let source = SocketAddr::V4(seen.source);
        if seen.by_capture {
            self.captured_subscribes.insert(source);
        }
        let key = mac.clone().unwrap_or_else(|| source.to_string());
        if let Some(&index) = self.by_key.get(&key) {
            if let Some(phone) = self.phones.get_mut(index) {
                phone.subscribes = phone.subscribes.saturating_add(1);
                emit(ListenEvent::Again { phone: key, subscribes: phone.subscribes });
            }
            if let Some(call_id) = call_id {
                self.by_call_id.entry(call_id).or_insert(index);
            }
            return;
        }
        if self.phones.len() >= MAX_ENTRIES {
            return;
        }
        let index = self.phones.len();
        let same_subnet = Some(self.interface.subnet_containing(source.ip()).is_some());
        let phone = Phone {
            mac,
            vendor,
            model,
            firmware,
            user_agent,
            source,
            ttl: seen.ttl,
            interface: Some(self.interface.name.clone()),
            same_subnet,
            subscribes: 1,
            answered_by: Vec::new(),
        };
        emit(ListenEvent::Phone { phone: phone.clone() });
        self.phones.push(phone);
        self.by_key.insert(key, index);
        self.by_ip.insert(source.ip(), index);
        if let Some(call_id) = call_id {
            self.by_call_id.insert(call_id, index);
        }
    }

    /// A 200 OK to a SUBSCRIBE or a NOTIFY leaving this host for a phone heard.
    fn answer_seen(&mut self, seen: &Seen, emit: &mut dyn FnMut(ListenEvent)) {
        let What::OtherSip { kind, cseq_method, call_id, .. } = &seen.what else { return };
        let label = if kind == "NOTIFY" {
            "NOTIFY"
        } else if kind.starts_with("response ") && cseq_method.as_deref() == Some("SUBSCRIBE") {
            kind.as_str()
        } else {
            return;
        };
        let index = call_id
            .as_ref()
            .and_then(|id| self.by_call_id.get(id))
            .or_else(|| self.by_ip.get(&IpAddr::V4(seen.destination)))
            .copied();
        let Some(phone) = index.and_then(|index| self.phones.get_mut(index)) else { return };
        let by = format!("{} {label}", seen.source);
        if !phone.answered_by.contains(&by) {
            phone.answered_by.push(by.clone());
            let key = phone.mac.clone().unwrap_or_else(|| phone.source.to_string());
            emit(ListenEvent::Answered { phone: key, by });
        }
    }

    /// The report: `heard_by` and `limits` come from the caller, who knows what was opened.
    #[must_use]
    pub fn finish(
        self,
        duration: Duration,
        heard_by: HeardBy,
        with_socket: bool,
        limits: Vec<String>,
    ) -> ListenReport {
        let captured_not_delivered = if self.capture_counts && with_socket {
            self.captured_subscribes
                .iter()
                .filter(|source| !self.delivered.contains(source))
                .copied()
                .collect()
        } else {
            Vec::new()
        };
        ListenReport {
            duration_secs: (duration.as_secs_f64() * 10.0).round() / 10.0,
            heard_by,
            phones: self.phones,
            non_pnp: self.non_pnp,
            junk: self.junk,
            captured_not_delivered,
            lan_multicast_heard: self.lan_multicast_heard,
            limits,
        }
    }
}

/// Listens on `interface` for `duration` (or until Ctrl-C, when the caller catches it) and returns what
/// was heard; `on_event` gets each event as it happens, and nothing is printed.
///
/// `facts` must have been gathered before this call (so its memberships show the host as it was
/// before mcready joined anything); its addresses tell this host's traffic from the LAN's.
///
/// # Errors
/// [`ListenError`] when the interface has no IPv4 address, or neither the capture nor the group socket
/// can be opened.
pub fn observe(
    facts: &HostFacts,
    interface: &Interface,
    options: ListenOptions,
    actions: &OwnActions,
    on_event: &mut dyn FnMut(&ListenEvent),
) -> Result<ListenReport, ListenError> {
    let ListenOptions { group, port, duration, join } = options;
    let iface = LocalInterface::from_facts(interface)
        .ok_or_else(|| ListenError::NoAddress { interface: interface.name.clone() })?;
    let mut limits = Vec::new();
    // The capture first: the observation starts before mcready's own join changes anything.
    let capture = Capture::open(&CaptureOptions {
        interface_index: iface.index,
        filter: CaptureFilter::SipAndIgmp { port },
        groups: vec![group],
    });
    let receiver = match join {
        Joining::Allowed => Some(GroupReceiver::open(group, port, std::slice::from_ref(&iface), actions)),
        Joining::Forbidden => None,
    };
    let (capture, receiver) = match (capture, receiver) {
        (Err(capture), Some(Err(socket))) => {
            return Err(ListenError::NothingToListenWith { capture, socket });
        }
        (Err(capture), None) => return Err(ListenError::CaptureOnly { capture }),
        (capture, receiver) => (
            capture.map_err(|e| capture_limit(&e, &mut limits)).ok(),
            receiver.and_then(|r| r.map_err(|e| socket_limit(&e, &mut limits)).ok()),
        ),
    };
    // A boot storm (hundreds of phones after a power cut) arrives faster than a thread is scheduled:
    // big kernel buffers absorb it. Refusal only means the defaults stay.
    if let Some(capture) = &capture {
        let _ = capture.set_receive_buffer(RECEIVE_BUFFER);
    }
    if let Some(receiver) = &receiver {
        let _ = receiver.set_receive_buffer(RECEIVE_BUFFER);
    }
    for message in &limits {
        on_event(&ListenEvent::Limit { message: message.clone() });
    }
    let heard_by = match (capture.is_some(), receiver.is_some()) {
        (true, true) => HeardBy::Both,
        (true, false) => HeardBy::Capture,
        _ => HeardBy::Socket,
    };
    let local: HashSet<Ipv4Addr> = facts
        .interfaces
        .iter()
        .flat_map(|i| &i.ipv4)
        .filter_map(|net| match net.addr {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
        .collect();
    let mut tally = Tally::new(group, port, interface, local, capture.is_some());
    let with_socket = receiver.is_some();
    let started = Instant::now();
    let end = started + duration;
    let elapsed = run_window(capture, receiver.as_ref(), (group, port), end, &mut tally, on_event);
    drop(receiver);
    Ok(tally.finish(elapsed.min(duration), heard_by, with_socket, limits))
}

fn capture_limit(error: &NetError, limits: &mut Vec<String>) {
    limits.push(match error {
        NetError::NoPrivilege { .. } => "no passive capture (needs root or CAP_NET_RAW): heard through the group socket \
             only, so a SUBSCRIBE the host firewall drops, or that a PBX holding the port exclusively keeps, is not seen, \
             and this host's own answers are not seen leaving"
            .to_owned(),
        other => format!("no passive capture ({other}): heard through the group socket only"),
    });
}

fn socket_limit(error: &NetError, limits: &mut Vec<String>) {
    limits.push(match error {
        NetError::AddressInUse { .. } => format!(
            "{error}: heard by passive capture only, so a firewall drop cannot be told from a delivery"
        ),
        other => format!("no group socket ({other}): heard by passive capture only"),
    });
}

/// Runs the receive threads until `end` (plus the socket's grace) and feeds the tally; returns how long
/// the window lasted (shorter on Ctrl-C).
fn run_window(
    capture: Option<Capture>,
    receiver: Option<&GroupReceiver>,
    (group, port): (Ipv4Addr, u16),
    end: Instant,
    tally: &mut Tally,
    on_event: &mut dyn FnMut(&ListenEvent),
) -> Duration {
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Seen>();
    let capture_counts = capture.is_some();
    std::thread::scope(|scope| {
        let stop = &stop;
        if let Some(mut capture) = capture {
            let tx = tx.clone();
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                    match capture.next_until((Instant::now() + SLICE).min(end)) {
                        Ok(Some(frame)) => {
                            if tx.send(Seen::from_frame(&frame, port)).is_err() {
                                break;
                            }
                        }
                        Ok(None) => {}
                        Err(_) => break,
                    }
                }
            });
        }
        if let Some(receiver) = receiver {
            let tx = tx.clone();
            scope.spawn(move || {
                let until = end + GRACE;
                while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                    match receiver.recv_until((Instant::now() + SLICE).min(until)) {
                        Ok(Some(d)) => {
                            if tx.send(Seen::from_datagram(&d, group, port, !capture_counts)).is_err() {
                                break;
                            }
                        }
                        Ok(None) => {}
                        Err(_) => break,
                    }
                }
            });
        }
        drop(tx);
        let mut next_tick = started;
        let mut stopped_at = None;
        loop {
            let now = Instant::now();
            if stopped_at.is_none() && (now >= end || net::interrupted()) {
                stopped_at = Some(now.min(end));
                stop.store(net::interrupted(), Ordering::Relaxed);
            }
            if now >= next_tick && stopped_at.is_none() {
                let remaining_secs = end.saturating_duration_since(now).as_secs();
                on_event(&ListenEvent::Tick { remaining_secs, phones: tally.phone_count() });
                next_tick += Duration::from_secs(1);
            }
            match rx.recv_timeout(SLICE) {
                Ok(seen) => {
                    // Captures after the window are not counted; socket deliveries in the grace are.
                    if seen.by_capture && seen.at > end {
                        continue;
                    }
                    tally.take(seen, &mut |event| on_event(&event));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        stopped_at.unwrap_or(end).saturating_duration_since(started)
    })
}

/// The `mcready.listen/v1` document.
#[derive(Debug, Serialize)]
pub struct ListenDocument {
    pub schema: &'static str,
    pub tool: Tool,
    pub generated_at: String,
    pub host: HostInfo,
    pub interface: String,
    #[serde(flatten)]
    pub report: ListenReport,
    pub own_actions: Vec<OwnAction>,
    #[serde(skip)]
    pub quiet: bool,
}

impl ListenDocument {
    fn answer(&self) -> String {
        let phones = self.report.phones.len();
        let secs = self.report.duration_secs;
        if phones == 0 {
            format!(
                "No phone was heard on {} in {secs} s. Reboot a phone while listening (PnP runs at boot).",
                self.interface
            )
        } else {
            format!("{phones} phone(s) heard on {} in {secs} s.", self.interface)
        }
    }

    fn phone_row(phone: &Phone) -> Vec<String> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        vec![
            text(&phone.mac),
            text(&phone.vendor),
            text(&phone.model),
            text(&phone.firmware),
            phone.source.to_string(),
            phone.ttl.map_or_else(String::new, |ttl| ttl.to_string()),
            match phone.same_subnet {
                Some(true) => "yes".into(),
                Some(false) => "NO".into(),
                None => String::new(),
            },
            phone.subscribes.to_string(),
            phone.answered_by.join(", "),
        ]
    }

    fn findings(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.report.captured_not_delivered.is_empty() {
            let sources: Vec<String> =
                self.report.captured_not_delivered.iter().map(ToString::to_string).collect();
            lines.push(format!(
                "Seen on the wire but never delivered to a socket (a host firewall rule or a strict rp_filter drops them): {}",
                sources.join(", ")
            ));
        }
        for other in &self.report.non_pnp {
            lines.push(format!(
                "Other SIP on the group: {} from {} ×{}{}",
                other.kind,
                other.source,
                other.count,
                other.user_agent.as_deref().map(|ua| format!(" ({ua})")).unwrap_or_default()
            ));
        }
        if self.report.junk > 0 {
            lines.push(format!("{} datagram(s) to the port that were not SIP (ignored).", self.report.junk));
        }
        lines.push(format!(
            "Multicast from another LAN host {}reached this host.",
            if self.report.lan_multicast_heard { "" } else { "never " }
        ));
        lines
    }
}

const PHONE_COLUMNS: [&str; 9] =
    ["MAC", "VENDOR", "MODEL", "FIRMWARE", "SOURCE", "TTL", "SAME SUBNET", "SUBSCRIBES", "ANSWERED BY"];

impl Document for ListenDocument {
    const SCHEMA: &'static str = "mcready.listen/v1";

    fn to_text(&self) -> String {
        let mut out = String::new();
        if !self.quiet && !self.report.phones.is_empty() {
            let mut table = Table::new(PHONE_COLUMNS.to_vec());
            for phone in &self.report.phones {
                let row = Self::phone_row(phone);
                let mut cells: Vec<Cell> = row.into_iter().map(Cell::from).collect();
                if let Some(cell) = cells.first_mut() {
                    *cell = Cell::styled(phone.mac.clone().unwrap_or_default(), EMPHASIS);
                }
                if phone.same_subnet == Some(false)
                    && let Some(cell) = cells.get_mut(6)
                {
                    *cell = Cell::styled("NO", BAD);
                }
                table.row(cells);
            }
            table.write(&mut out, 0);
            out.push('\n');
        }
        let mark = if self.report.phones.is_empty() { paint(BAD, "✘") } else { paint(GOOD, "✔") };
        let _ = writeln!(out, "{mark} {}", self.answer());
        if !self.quiet {
            for line in self.findings() {
                let _ = writeln!(out, "  {line}");
            }
            for limit in &self.report.limits {
                let _ = writeln!(out, "  {}", paint(CAUTION, &format!("limit: {limit}")));
            }
            for action in &self.own_actions {
                let line = format!(
                    "mcready {:?} {} on {}: {}",
                    action.action, action.group, action.interface, action.detail
                );
                let _ = writeln!(out, "  {}", paint(DIM, &line.to_lowercase()));
            }
        }
        out
    }

    fn to_markdown(&self) -> String {
        let mut out = markdown::heading("listen", &self.host);
        let mark = if self.report.phones.is_empty() { "✘" } else { "✔" };
        let _ = writeln!(out, "**{mark}** {}\n", markdown::escape(&self.answer()));
        if !self.report.phones.is_empty() {
            let rows: Vec<Vec<String>> = self.report.phones.iter().map(Self::phone_row).collect();
            let header: Vec<String> = PHONE_COLUMNS.iter().map(|c| c.to_lowercase()).collect();
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            out.push_str(&markdown::table(&header, &rows));
            out.push('\n');
        }
        for line in self.findings() {
            let _ = writeln!(out, "- {}", markdown::escape(&line));
        }
        for limit in &self.report.limits {
            let _ = writeln!(out, "- limit: {}", markdown::escape(limit));
        }
        out
    }
}

/// One streamed line for an event (text mode); `None` for events that are not lines.
fn event_line(event: &ListenEvent, at: Duration) -> Option<String> {
    let or_unknown = |text: &Option<String>| text.clone().unwrap_or_else(|| "?".to_owned());
    let body = match event {
        ListenEvent::Phone { phone } => format!(
            "phone {} {} {} {} from {} (TTL {}, {})",
            phone.mac.clone().unwrap_or_else(|| "(no MAC)".into()),
            or_unknown(&phone.vendor),
            or_unknown(&phone.model),
            or_unknown(&phone.firmware),
            phone.source,
            phone.ttl.map_or_else(|| "?".to_owned(), |ttl| ttl.to_string()),
            if phone.same_subnet == Some(true) { "same subnet" } else { "NOT in the interface's subnet" }
        ),
        ListenEvent::Again { phone, subscribes } => format!("phone {phone} again ({subscribes} SUBSCRIBEs)"),
        ListenEvent::Answered { phone, by } => format!("phone {phone} answered by this host: {by}"),
        ListenEvent::NonPnp { source, kind } => format!("other SIP on the group: {kind} from {source}"),
        ListenEvent::Junk { source, total } => format!("not SIP: datagram from {source} ({total} so far)"),
        ListenEvent::Limit { message } => format!("limit: {message}"),
        ListenEvent::Tick { .. } => return None,
    };
    Some(format!("{:7.1}s  {body}\n", at.as_secs_f64()))
}

/// # Errors
/// Bad `--duration`, host facts unreadable, no usable interface, or nothing to listen with: the caller
/// prints the line and exits 2.
pub fn run(cli: &Cli, args: &ListenArgs) -> Result<Outcome> {
    if !(args.duration.is_finite() && args.duration > 0.0) {
        bail!("--duration {}: give a positive number of seconds", args.duration);
    }
    let duration = Duration::from_secs_f64(args.duration);
    let (group, port) = (cli.global.group, cli.global.port);
    let scope =
        Scope { routes: false, group_route: true, memberships: true, listeners: false, firewall: false };
    let facts = platform::gather(&GatherOptions { group, port, scope })?;
    let interface = pnp_interface(&facts, cli.global.interface.as_deref())?;
    let format = cli.global.output_format();
    let stream = format == Format::Text && !cli.global.quiet;
    let progress = std::io::stderr().is_terminal();
    let start = Instant::now();
    let actions = OwnActions::new(start);
    // Without a handler Ctrl-C simply ends the process; the report is then lost, nothing else.
    let _ = net::catch_interrupts();
    let mut on_event = |event: &ListenEvent| {
        if let ListenEvent::Tick { remaining_secs, phones } = event {
            if progress {
                let mut stderr = std::io::stderr().lock();
                let _ = write!(
                    stderr,
                    "\rlistening on {}: {remaining_secs:>4} s left, {phones} phone(s) so far ",
                    interface.name
                );
                let _ = stderr.flush();
            }
            return;
        }
        if stream && let Some(line) = event_line(event, start.elapsed()) {
            let mut stdout = std::io::stdout().lock();
            if progress {
                // Clear the progress line first when both go to the same terminal.
                let _ = write!(std::io::stderr(), "\r\x1b[K");
            }
            let _ = stdout.write_all(line.as_bytes()).and_then(|()| stdout.flush());
        }
    };
    let options = ListenOptions { group, port, duration, join: Joining::Allowed };
    let report = observe(&facts, interface, options, &actions, &mut on_event)?;
    if progress {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    let exit_code = u8::from(report.phones.is_empty());
    let document = ListenDocument {
        schema: ListenDocument::SCHEMA,
        tool: Tool::THIS,
        generated_at: timestamp_now(),
        host: platform::host_info(),
        interface: interface.name.clone(),
        report,
        own_actions: actions.snapshot(),
        quiet: cli.global.quiet,
    };
    Ok(Outcome::new(&document, cli, exit_code))
}
