//! The listening engine: hears phones booting — their PnP SUBSCRIBEs to the group — for a while, and
//! says who they are, where they came from and whether this host answered them. Shared by `listen` and
//! `check --listen`.
//!
//! [`observe`] fills an [`crate::observed::ListenReport`] and reports each event through a callback
//! without printing anything; the pure part that turns what the sockets saw into phones is
//! [`super::tally`] (tested without a network).
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

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::receive::{self, Ended, Flow, Received, Source};
use super::tally::{Seen, Tally};
use super::{Clock, SystemClock};
use crate::facts::{HostFacts, Interface};
use crate::net::discovery;
use crate::net::{
    self, Capture, CaptureFilter, CaptureOptions, Frame, GroupReceiver, LocalInterface, NetError, OwnActions,
};
use crate::observed::{HeardBy, ListenEvent, ListenReport, Until, WindowEnd};

/// After the window, the socket gets this long to hand over datagrams the capture already saw, so a
/// SUBSCRIBE on the wire at the last instant is not reported as "never delivered".
const GRACE: Duration = Duration::from_millis(300);
/// Kernel receive buffer asked for on the capture and the group socket (see the boot-storm figures in
/// `docs/listen.md`).
const RECEIVE_BUFFER: usize = 16 << 20;

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
    /// End sooner once enough phones are done (`--until N`, `--until-all`); `duration` still bounds it.
    pub until: Option<Until>,
}

/// Whether listening may join the group: a join sends an IGMP report, which a passive run
/// (`check --no-probe`) must not do — it then hears by capture alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joining {
    /// Only where it changes nothing measured: the host had joined already, or there is no capture.
    Allowed,
    Forbidden,
    /// `--join`: join for the window even where nothing on this host had, so a snooping switch that
    /// prunes unregistered multicast forwards the group here; recorded in `own_actions`, left at the end.
    Explicit,
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

/// How a listening window shares a longer run (`check`): it says when its sources are open, so the rest
/// of the run can start only then (a phone booting during the probe is heard), and it ends `duration`
/// after the rest of the run says it is done.
#[derive(Debug, Default)]
pub struct SharedRun {
    opened: OnceLock<()>,
    others_done: OnceLock<Instant>,
}

impl SharedRun {
    /// A run of which the window is the only part: it ends `duration` after it opens.
    fn alone(now: Instant) -> Self {
        let run = Self::default();
        let _ = run.others_done.set(now);
        run
    }

    /// Whether the window's sources are open (or it gave up opening them).
    #[must_use]
    pub fn opened(&self) -> bool {
        self.opened.get().is_some()
    }

    /// The rest of the run is done: the window now lasts its own duration more.
    pub fn others_done(&self, at: Instant) {
        let _ = self.others_done.set(at);
    }

    fn mark_opened(&self) {
        let _ = self.opened.set(());
    }

    fn end(&self, duration: Duration) -> Option<Instant> {
        self.others_done.get().map(|done| *done + duration)
    }
}

/// Marks the run opened when dropped, so a window that fails to open never keeps the run waiting.
struct OpenedOnDrop<'a>(&'a SharedRun);

impl Drop for OpenedOnDrop<'_> {
    fn drop(&mut self) {
        self.0.mark_opened();
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
    observe_run(facts, interface, options, &SharedRun::alone(Instant::now()), actions, on_event)
}

/// [`observe`] as part of a longer run: the window opens at once, and lasts until `duration` after
/// `run` is told the rest is done.
///
/// # Errors
/// As [`observe`].
pub fn observe_run(
    facts: &HostFacts,
    interface: &Interface,
    options: ListenOptions,
    run: &SharedRun,
    actions: &OwnActions,
    on_event: &mut dyn FnMut(&ListenEvent),
) -> Result<ListenReport, ListenError> {
    let opened = OpenedOnDrop(run);
    let ListenOptions { group, port, duration, join, until } = options;
    let iface = LocalInterface::from_facts(interface)
        .ok_or_else(|| ListenError::NoAddress { interface: interface.name.clone() })?;
    let mut limits = Vec::new();
    // The capture first: the observation starts before mcready's own join changes anything.
    let capture = Capture::open(&CaptureOptions {
        interface_index: iface.index,
        filter: CaptureFilter::Provisioning { port, file_ports: net::file_ports(&[]) },
        groups: vec![group],
    });
    // LLDP and CDP go to link-local group addresses a real NIC's filter drops unless asked.
    let capture = capture.map(|mut capture| {
        for mac in [discovery::LLDP_MAC, discovery::CDP_MAC] {
            if let Err(error) = capture.accept_mac(mac) {
                limits.push(format!("the switch's LLDP/CDP may go unheard: {error}"));
            }
        }
        capture
    });
    // Never change what is measured: a join on an interface where nothing on this host joined the
    // group makes the kernel hand the phones' SUBSCRIBEs to every socket on the port — a PBX joined on
    // another NIC would hear and answer them only because mcready joined. The capture needs no join;
    // the socket (which proves delivery) joins only when the host already had, or as the last resort.
    let joined_before =
        facts.memberships.iter().any(|m| m.interface == interface.name && m.group == IpAddr::V4(group));
    // `--join` where nothing had joined: said once the join is made (below).
    let explicit = join == Joining::Explicit && !joined_before;
    let join = match join {
        Joining::Allowed if capture.is_ok() && !joined_before => {
            limits.push(format!(
                "mcready did not join {group} on {}: nothing on this host had, and a join would let a socket bound \
                 elsewhere hear phones it never hears otherwise; heard by passive capture only",
                interface.name
            ));
            Joining::Forbidden
        }
        other => other,
    };
    let receiver = match join {
        Joining::Allowed | Joining::Explicit => {
            Some(GroupReceiver::open(group, port, std::slice::from_ref(&iface), actions))
        }
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
    if explicit && receiver.is_some() {
        limits.push(format!(
            "--join: mcready joined {group} on {} for the window (nothing on this host had), so a snooping switch \
             forwards the group here; a socket bound elsewhere on this host may hear phones meanwhile",
            interface.name
        ));
    }
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
        .addresses()
        .into_iter()
        .filter_map(|addr| match addr {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
        .collect();
    let mut tally = Tally::new(group, port, interface, local, capture.is_some());
    tally.opened_at(Instant::now());
    if capture.is_some() {
        tally.hear_discovery(net::LINK_LAYER_CAPTURE);
    }
    let with_socket = receiver.is_some();
    // The drops of every socket on the port (the PBX's too), before and after: a SUBSCRIBE the
    // capture saw but no socket got is a firewall's or rp_filter's doing only if they dropped nothing.
    let drops_before = crate::platform::udp_socket_drops(port);
    drop(opened);
    let window =
        run_window(capture, receiver.as_ref(), (group, port), (duration, run, until), &mut tally, on_event);
    limits.extend(window.failures);
    let drops_after = crate::platform::udp_socket_drops(port);
    drop(receiver);
    let mut report = tally.finish(window.lasted, heard_by, with_socket, limits, window.interrupted);
    report.socket_drops = crate::platform::drops_between(drops_before.as_deref(), drops_after.as_deref());
    report.not_a_member = !joined_before && !with_socket;
    report.ended_by = Some(window.ended);
    Ok(report)
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

/// How a listening window went.
struct Window {
    lasted: Duration,
    interrupted: bool,
    ended: WindowEnd,
    /// Sources that failed mid-window (an interface gone), as sentences for `limits`.
    failures: Vec<String>,
}

/// The longest a shared run may keep the window open before its end is known: a bound, so a run
/// whose other parts never report done still ends.
const LONGEST_RUN: Duration = Duration::from_secs(600);

/// How often `--until` is weighed: each weighing walks every phone.
const UNTIL_EVERY: Duration = Duration::from_millis(100);

/// Reads the capture and the socket until the window ends (the socket a short grace longer) and feeds
/// the tally; Ctrl-C ends it early, and so does `until` once met (never before the rest of the run is
/// done). The end is `duration` after the rest of the run is done.
fn run_window(
    capture: Option<Capture>,
    receiver: Option<&GroupReceiver>,
    (group, port): (Ipv4Addr, u16),
    (duration, run, until): (Duration, &SharedRun, Option<Until>),
    tally: &mut Tally,
    on_event: &mut dyn FnMut(&ListenEvent),
) -> Window {
    let clock = SystemClock;
    let started = clock.now();
    let bound = started + duration + LONGEST_RUN;
    let capture_counts = capture.is_some();
    let mut sources: Vec<Source<'_, Seen>> = Vec::new();
    if let Some(mut capture) = capture {
        // The file servers' ports followed grow with the URLs this host's NOTIFYs carry, swapped in on
        // this thread as the NOTIFY leaves: before the phone can ask.
        let mut learned = Vec::new();
        sources.push(Source::new("the capture", bound, move |until| {
            loop {
                return Ok(match capture.next_frame_until(until)? {
                    Some(Frame::Ipv4(frame)) => {
                        let seen = Seen::from_frame(&frame, port);
                        if let Some(url_port) = seen.notify_url_port()
                            && !net::file_ports(&learned).contains(&url_port)
                            && learned.len() < 2
                        {
                            learned.push(url_port);
                            let file_ports = net::file_ports(&learned);
                            // Refused, the default ports are still followed.
                            let _ = capture.set_filter(CaptureFilter::Provisioning { port, file_ports });
                        }
                        Some(seen)
                    }
                    Some(Frame::Link(frame)) => match Seen::from_link(&frame) {
                        Some(seen) => Some(seen),
                        None => continue,
                    },
                    None => None,
                });
            }
        }));
    }
    if let Some(receiver) = receiver {
        sources.push(Source::new("the group socket", bound + GRACE, move |until| {
            Ok(receiver.recv_until(until)?.map(|d| Seen::from_datagram(&d, group, port, !capture_counts)))
        }));
    }
    let linger = if receiver.is_some() { GRACE } else { Duration::ZERO };
    let mut failures = Vec::new();
    let mut next_tick = started;
    let mut next_weighing = started;
    // When `until` was met: the window ends there (the socket still gets its grace).
    let mut met: Option<Instant> = None;
    let ended = receive::run(sources, &clock, |received| {
        let now = clock.now();
        if let Some(until) = until
            && met.is_none()
            && now >= next_weighing
            && run.end(duration).is_some()
        {
            next_weighing = now + UNTIL_EVERY;
            if tally.until_met(until, now) {
                met = Some(now);
            }
        }
        let end = run.end(duration).unwrap_or(bound).min(bound).min(met.unwrap_or(bound));
        if now >= end + linger {
            return Flow::Stop;
        }
        if now >= next_tick && now < end {
            let remaining_secs = end.saturating_duration_since(now).as_secs();
            on_event(&ListenEvent::Tick { remaining_secs, phones: tally.phone_count() });
            next_tick += Duration::from_secs(1);
        }
        match received {
            // Captures after the window are not counted; socket deliveries in the grace are.
            Received::Item(seen) if !(seen.by_capture && seen.at > end) => {
                tally.take(seen, &mut |event| on_event(&event));
            }
            Received::Failed(message) => {
                on_event(&ListenEvent::Limit { message: message.clone() });
                failures.push(message);
            }
            Received::Item(_) | Received::Idle => {}
        }
        Flow::Continue
    });
    let interrupted = ended == Ended::Interrupted;
    let end = run.end(duration).unwrap_or(bound).min(bound).min(met.unwrap_or(bound));
    let stopped = clock.now().min(end);
    let ended = match (interrupted, met, until) {
        (true, _, _) => WindowEnd::Interrupted,
        (false, Some(_), Some(Until::All)) => WindowEnd::UntilAll,
        (false, Some(_), _) => WindowEnd::Until,
        (false, None, _) => WindowEnd::Duration,
    };
    Window { lasted: stopped.saturating_duration_since(started), interrupted, ended, failures }
}
