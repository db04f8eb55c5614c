//! What `check` observes, all at once: the probe, the IGMP querier, the peer test and the listening
//! window, each on its own thread and each degrading to `skip` with its reason.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use super::fetch::{self, FetchOptions, Reach, Roots};
use super::listen::{self, Joining, ListenOptions, SharedRun};
use super::probe::{self, ProbeOptions};
use super::querier::{self, QuerierSearch};
use crate::facts::{HostFacts, Interface};
use crate::net::{LocalInterface, OwnActions};
use crate::observed::{
    Answer, FetchReport, ListenEvent, ListenReport, Observed, PeerReport, ProbeReport, QuerierReport,
};

/// What `check` asked to observe.
#[derive(Debug, Clone)]
pub struct Plan {
    pub group: Ipv4Addr,
    pub port: u16,
    /// The wait for the peer's answer (`--timeout`, else 2 s).
    pub timeout: Duration,
    /// The wait for a first answer to the probe (`--timeout`, else the phones' 5 s).
    pub probe_timeout: Duration,
    pub peer: Option<SocketAddrV4>,
    pub listen: Option<Duration>,
    /// `--until N` or `--until-all`: the listening window may end sooner, once the rest of the run is done.
    pub until: Option<crate::observed::Until>,
    /// `--no-probe`: send nothing at all.
    pub passive: bool,
    /// `--join`: the listening window joins the group even where nothing on this host had.
    pub join: bool,
    /// The probe's MAC (stable per host and interface, or `--mac`: locally administered either way).
    pub probe_mac: crate::sip::MacAddr,
    /// Whose SUBSCRIBE the probe imitates (`--as`).
    pub shape: crate::sip::build::Shape,
    /// Which provisioning servers the fetch may reach (`--no-probe` implies none).
    pub fetch: Reach,
    /// The trust anchors for an HTTPS provisioning URL.
    pub roots: Roots,
}

/// The observations, each made, not asked for, or skipped with the reason.
#[derive(Debug)]
pub struct Observations {
    pub probe: Observed<ProbeReport>,
    pub querier: Observed<QuerierReport>,
    pub peer: Observed<PeerReport>,
    pub listen: Observed<ListenReport>,
    /// The first answer's provisioning URL, resolved and fetched as a phone would.
    pub fetch: Observed<FetchReport>,
}

impl Observations {
    /// The windows Ctrl-C cut short, for the report's `cut_short`.
    #[must_use]
    pub fn cut_short(&self) -> Vec<&'static str> {
        let mut cut = Vec::new();
        if self.probe.done().is_some_and(|p| p.interrupted) {
            cut.push("probe");
        }
        if self.listen.done().is_some_and(|l| l.interrupted) {
            cut.push("listen");
        }
        let interrupted = |reason: &str| reason.starts_with("interrupted");
        if matches!(&self.querier, Observed::Skipped(reason) if interrupted(reason)) {
            cut.push("querier");
        }
        if matches!(&self.peer, Observed::Skipped(reason) if interrupted(reason)) {
            cut.push("peer");
        }
        cut
    }
}

/// Called about once a second while the listening window is open with a `Tick` (the seconds left and
/// the phones heard so far, so a watching admin knows when to reboot a phone and how long is left), and
/// with each new `Phone` and each phone's `Stage` as it happens.
pub type ListenTicks<'a> = dyn Fn(&crate::observed::ListenEvent) + Sync + 'a;

/// Runs the observations `plan` asks for on `interface`; `ticks` hears the listening window's countdown.
#[must_use]
pub fn observe(
    facts: &HostFacts,
    interface: Option<&Interface>,
    plan: &Plan,
    actions: &OwnActions,
    ticks: &ListenTicks<'_>,
) -> Observations {
    let Some(local) = interface.and_then(LocalInterface::from_facts) else {
        return Observations {
            probe: no_interface(!plan.passive),
            querier: no_interface(!plan.passive),
            peer: no_interface(plan.peer.is_some() && !plan.passive),
            listen: no_interface(plan.listen.is_some()),
            fetch: Observed::NotAsked,
        };
    };
    let host_addresses = facts.addresses();
    let local = &local;
    let fetch_options = FetchOptions {
        reach: if plan.passive { Reach::None } else { plan.fetch },
        lan: interface.map(|i| i.ipv4.clone()).unwrap_or_default(),
        roots: plan.roots.clone(),
    };
    let run = SharedRun::default();
    let run = &run;
    std::thread::scope(|scope| {
        let fetching = std::sync::Mutex::new(None);
        let listening = start_listening(scope, facts, interface, plan, run, actions, ticks);
        // Finding a querier fast means a join and a leave; passive, a general query is only heard by
        // listening through the window.
        let querier = match (plan.passive, plan.listen) {
            (false, _) => Some(scope.spawn(move || querier::observe(local, QuerierSearch::Fast, actions))),
            (true, Some(window)) => {
                Some(scope.spawn(move || querier::observe(local, QuerierSearch::Passive(window), actions)))
            }
            (true, None) => None,
        };
        let peer_test = match (plan.peer, plan.passive) {
            (Some(peer), false) => Some(scope.spawn(move || {
                match super::peer::run(local, peer, plan.group, plan.port, plan.timeout, actions) {
                    Ok(report) if report.unicast.ok || !crate::interrupt::interrupted() => {
                        Observed::Done(report)
                    }
                    Ok(_) => Observed::Skipped("interrupted (Ctrl-C) before the peer answered".into()),
                    Err(error) => Observed::Skipped(format!("the peer test could not run: {error}")),
                }
            })),
            _ => None,
        };
        let probe = if plan.passive {
            Observed::NotAsked
        } else {
            let options = ProbeOptions {
                group: plan.group,
                port: plan.port,
                ttl: 1,
                timeout: plan.probe_timeout,
                shape: plan.shape,
            };
            // The fetch starts as soon as the URL phones would take is known, beside the rest of the wait.
            let on_url = |url: &str| {
                let url = url.to_owned();
                let options = fetch_options.clone();
                if let Ok(mut slot) = fetching.lock() {
                    *slot = Some(scope.spawn(move || fetch::fetch(&url, &options)));
                }
            };
            match probe::observe(local, &host_addresses, plan.probe_mac, &options, actions, &on_url) {
                Ok(report) => Observed::Done(report),
                Err(error) => Observed::Skipped(error.to_string()),
            }
        };
        let started = fetching.lock().ok().and_then(|mut slot| slot.take());
        let fetch = match (started, probe.done().and_then(|p| first_answer(&p.answers))) {
            (Some(handle), _) => handle
                .join()
                .map_or_else(|_| Observed::Skipped("the fetch failed unexpectedly".into()), Observed::Done),
            // A URL that came without a 2xx first (a NOTIFY before its 200 OK): fetched now.
            (None, Some(url)) if !crate::interrupt::interrupted() => {
                Observed::Done(fetch::fetch(url, &fetch_options))
            }
            (None, _) => Observed::NotAsked,
        };
        let peer = joined(peer_test);
        // A passive querier search listens for the window itself; it is not "the rest of the run".
        let querier_passive = plan.passive;
        let querier = if querier_passive {
            run.others_done(std::time::Instant::now());
            joined(querier)
        } else {
            let querier = joined(querier);
            run.others_done(std::time::Instant::now());
            querier
        };
        let listen = match (plan.listen, interface) {
            (Some(_), None) => no_interface(true),
            (None, _) => Observed::NotAsked,
            (Some(_), Some(_)) => joined(listening),
        };
        Observations { probe, querier, peer, listen, fetch }
    })
}

/// The URL of the answer phones take: the first 2xx with a NOTIFY that carried one.
fn first_answer(answers: &[Answer]) -> Option<&str> {
    answers
        .iter()
        .filter(|a| a.status.is_some_and(|s| (200..300).contains(&s)))
        .min_by(|a, b| a.response_rtt_ms.partial_cmp(&b.response_rtt_ms).unwrap_or(std::cmp::Ordering::Equal))
        .and_then(|a| a.provisioning_url_unredacted.as_deref())
}

/// Opens the listening window first, on its own thread, and returns once it is open: it lasts to the
/// end of the run (and `--listen` longer), so a phone that boots while the probe waits is heard and the
/// capture sees the probe's answers.
fn start_listening<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    facts: &'env HostFacts,
    interface: Option<&'env Interface>,
    plan: &'env Plan,
    run: &'env SharedRun,
    actions: &'env OwnActions,
    ticks: &'env ListenTicks<'env>,
) -> Option<std::thread::ScopedJoinHandle<'scope, Observed<ListenReport>>> {
    let (Some(window), Some(interface)) = (plan.listen, interface) else { return None };
    let join = match (plan.passive, plan.join) {
        (true, _) => Joining::Forbidden,
        (false, true) => Joining::Explicit,
        (false, false) => Joining::Allowed,
    };
    let options =
        ListenOptions { group: plan.group, port: plan.port, duration: window, join, until: plan.until };
    let handle = scope.spawn(move || {
        let mut on_event = |event: &ListenEvent| {
            if matches!(
                event,
                ListenEvent::Tick { .. } | ListenEvent::Stage { .. } | ListenEvent::Phone { .. }
            ) {
                ticks(event);
            }
        };
        match listen::observe_run(facts, interface, options, run, actions, &mut on_event) {
            Ok(report) => Observed::Done(report),
            Err(error) => Observed::Skipped(format!("could not listen: {error}")),
        }
    });
    // The window marks itself opened (or gave up) within milliseconds; the bound only guards against a
    // thread that died before it could say so.
    let give_up = std::time::Instant::now() + Duration::from_secs(5);
    while !run.opened() && !handle.is_finished() && std::time::Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(2));
    }
    Some(handle)
}

/// What an observation that was asked for says when there is no interface to make it on.
fn no_interface<T>(asked: bool) -> Observed<T> {
    if asked {
        Observed::Skipped(
            "no PnP interface with an IPv4 address: name the phones' interface with `-i`".into(),
        )
    } else {
        Observed::NotAsked
    }
}

/// The result of an observation run on its own thread; a thread that died is a skip, never a crash.
fn joined<T>(handle: Option<std::thread::ScopedJoinHandle<'_, Observed<T>>>) -> Observed<T> {
    handle.map_or(Observed::NotAsked, |h| {
        h.join().unwrap_or_else(|_| Observed::Skipped("the observation failed unexpectedly".into()))
    })
}
