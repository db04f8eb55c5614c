//! `mcready check`: the four-requirement checklist, with a fix under every failure.
//!
//! Gather (host facts first, before mcready joins anything) → observe (probe, IGMP querier, peer test,
//! listening window — each degrading to `skip` with its reason) → evaluate ([`crate::checks`], pure) →
//! render (text checklist, Markdown block, `mcready.report/v1` JSON).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;

use super::Outcome;
use super::probe::{self, ProbeOptions};
use crate::checks::{self, InterfaceRule, OsFamily, Snapshot};
use crate::cli::{CheckArgs, Cli};
use crate::facts::HostFacts;
use crate::net::{LocalInterface, NetError, OwnAction, OwnActions, QuerierWatch};
use crate::observed::{Observed, QuerierReport, QueryHeard};
use crate::platform::{self, GatherOptions, HostInfo, Scope};
use crate::report::model::{Requirement, Status, Verdict};
use crate::report::text::{BAD, CAUTION, DIM, EMPHASIS, GOOD, HEADING, paint, status_style};
use crate::report::{Document, Tool, markdown, timestamp_now};

/// How long a querier has to answer the scratch group's leave (its last-member query interval is
/// 1 s by default).
const QUERIER_WAIT: Duration = Duration::from_millis(1100);
/// The settle time after the first answer: shorter than `probe`'s, so a healthy check stays quick; a
/// second server on the same LAN answers within a few milliseconds of the first.
const CHECK_SETTLE: Duration = Duration::from_millis(150);

/// `target` of the report: what was checked, and which rule chose the interface.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub group: Ipv4Addr,
    pub port: u16,
    pub interface: Option<String>,
    pub interface_rule: InterfaceRule,
}

/// `facts` of the report: what the checklist's decisions rest on.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFacts {
    pub interfaces: Vec<crate::facts::Interface>,
    pub routes: Vec<crate::facts::Route>,
    pub group_route: Option<crate::facts::GroupRoute>,
    pub memberships: Vec<crate::facts::Membership>,
    pub listeners: Vec<crate::facts::Listener>,
    pub firewall: crate::facts::FirewallFacts,
    pub querier: Observed<QuerierReport>,
    pub peer: Observed<crate::observed::PeerReport>,
    pub phones: Vec<crate::observed::Phone>,
    pub answers: Vec<crate::observed::Answer>,
    pub probe: Observed<crate::observed::ProbeReport>,
    pub listen: Observed<crate::observed::ListenReport>,
    pub notes: Vec<crate::facts::GatherNote>,
    pub own_actions: Vec<OwnAction>,
}

/// The `mcready.report/v1` document.
#[derive(Debug, Serialize)]
pub struct ReportDocument {
    pub schema: &'static str,
    pub tool: Tool,
    pub generated_at: String,
    pub host: HostInfo,
    pub target: Target,
    pub verdict: Verdict,
    pub requirements: Vec<Requirement>,
    pub facts: ReportFacts,
    #[serde(skip)]
    pub strict: bool,
    #[serde(skip)]
    pub quiet: bool,
}

impl ReportDocument {
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        self.verdict.exit_code(self.strict)
    }

    fn chosen_by(&self) -> &'static str {
        match self.target.interface_rule {
            InterfaceRule::Interface => "named with --interface",
            InterfaceRule::PhoneSubnet => "its subnet holds the phones",
            InterfaceRule::GroupRoute => "the OS routes the group by it",
            InterfaceRule::None => "no interface could be chosen",
        }
    }

    fn verdict_line(&self) -> String {
        let meaning = match self.verdict {
            Verdict::Pass => "ready for PnP provisioning",
            Verdict::Warn => "ready, with warnings",
            Verdict::Fail => "not ready",
            Verdict::Incomplete => "nothing could be decided",
        };
        format!("{}: {meaning} (exit {})", self.verdict.as_str().to_uppercase(), self.exit_code())
    }

    fn target_line(&self) -> String {
        match &self.target.interface {
            Some(name) => {
                let addresses = self
                    .facts
                    .interfaces
                    .iter()
                    .find(|i| &i.name == name)
                    .map(|i| i.ipv4.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                format!(
                    "{}:{} on {name} ({addresses}) — {}",
                    self.target.group,
                    self.target.port,
                    self.chosen_by()
                )
            }
            None => format!("{}:{} — {}", self.target.group, self.target.port, self.chosen_by()),
        }
    }

    /// The facts a support engineer wants beside the checklist, one line each.
    fn fact_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for i in &self.facts.interfaces {
            let addresses: Vec<String> = i.ipv4.iter().map(ToString::to_string).collect();
            let state = if i.flags.up && i.flags.running { "up" } else { "down" };
            let metric = i.metric.map_or_else(String::new, |m| format!(", metric {m}"));
            lines.push(format!(
                "interface {} ({}, {state}{metric}) {}",
                i.name,
                i.kind.as_str(),
                addresses.join(" ")
            ));
        }
        let group = IpAddr::V4(self.target.group);
        let joined: Vec<&str> = self
            .facts
            .memberships
            .iter()
            .filter(|m| m.group == group)
            .map(|m| m.interface.as_str())
            .collect();
        lines.push(if joined.is_empty() {
            format!("{} joined on no interface", self.target.group)
        } else {
            format!("{} joined on {}", self.target.group, joined.join(", "))
        });
        if let Some(route) = &self.facts.group_route {
            lines.push(match &route.interface {
                Some(name) => format!("the OS routes {} by {name}", self.target.group),
                None => format!("the OS has no route for {}", self.target.group),
            });
        }
        for l in &self.facts.listeners {
            let owners: Vec<String> =
                l.processes.iter().map(|p| format!("{} (pid {})", p.name, p.pid)).collect();
            lines.push(format!(
                "{} {} held by {}",
                l.protocol,
                l.local,
                if owners.is_empty() { "?".into() } else { owners.join(", ") }
            ));
        }
        for a in &self.facts.answers {
            let url = a.provisioning_url.as_deref().unwrap_or("no URL");
            let ua = a.user_agent.as_deref().unwrap_or("unknown server");
            lines.push(format!("answer from {} ({ua}): {url}", a.responder));
        }
        for p in &self.facts.phones {
            let what = [p.vendor.as_deref(), p.model.as_deref(), p.firmware.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            lines.push(format!("phone {} {} {what}", p.source, p.mac.as_deref().unwrap_or("(no MAC)")));
        }
        let sent = self
            .facts
            .own_actions
            .iter()
            .filter(|a| matches!(a.action, crate::net::ActionKind::Sent))
            .count();
        let joined = self
            .facts
            .own_actions
            .iter()
            .filter(|a| matches!(a.action, crate::net::ActionKind::Joined))
            .count();
        lines.push(format!(
            "mcready itself sent {sent} datagram(s) and made {joined} join(s) (see own_actions)"
        ));
        lines
    }
}

impl Document for ReportDocument {
    const SCHEMA: &'static str = "mcready.report/v1";

    fn to_text(&self) -> String {
        let mut out = String::new();
        let verdict_style = match self.verdict {
            Verdict::Pass => GOOD,
            Verdict::Warn => CAUTION,
            Verdict::Fail => BAD,
            Verdict::Incomplete => DIM,
        };
        if self.quiet {
            let _ = writeln!(out, "{}", paint(verdict_style, &self.verdict_line()));
            return out;
        }
        let _ = writeln!(out, "{} {}\n", paint(HEADING, "mcready check"), self.target_line());
        // A fix already printed is referred to, not repeated: the checklist stays readable at a glance.
        let mut shown: Vec<&str> = Vec::new();
        for requirement in &self.requirements {
            let style = status_style(requirement.status);
            let _ = writeln!(
                out,
                "{} {}",
                paint(style, &requirement.status.mark().to_string()),
                paint(EMPHASIS, requirement.title)
            );
            for check in &requirement.checks {
                let _ = writeln!(
                    out,
                    "    {} {}",
                    paint(status_style(check.status), &check.status.mark().to_string()),
                    check.summary
                );
                if let Some(remedy) = &check.remedy
                    && matches!(check.status, Status::Warn | Status::Fail)
                {
                    if shown.contains(&remedy.as_str()) {
                        let _ = writeln!(out, "      {} as above", paint(HEADING, "fix:"));
                    } else {
                        let _ = writeln!(out, "      {} {remedy}", paint(HEADING, "fix:"));
                        shown.push(remedy);
                    }
                }
            }
        }
        let _ = writeln!(out, "\n{}", paint(verdict_style, &self.verdict_line()));
        let _ = writeln!(out, "\n{}", paint(HEADING, "Facts"));
        for line in self.fact_lines() {
            let _ = writeln!(out, "  {}", paint(DIM, &line));
        }
        out
    }

    fn to_markdown(&self) -> String {
        let mut out = markdown::heading("check", &self.host);
        let _ = writeln!(
            out,
            "**{}** — {}\n",
            markdown::escape(&self.verdict_line()),
            markdown::escape(&self.target_line())
        );
        for requirement in &self.requirements {
            let _ = writeln!(
                out,
                "- {} **{}** (`{}`: {})",
                requirement.status.mark(),
                markdown::escape(requirement.title),
                requirement.id,
                requirement.status.as_str()
            );
            for check in &requirement.checks {
                let _ = writeln!(
                    out,
                    "  - {} `{}` {}",
                    check.status.mark(),
                    check.id,
                    markdown::escape(&check.summary)
                );
                if let Some(remedy) = &check.remedy
                    && matches!(check.status, Status::Warn | Status::Fail)
                {
                    let _ = writeln!(out, "    - fix: {}", markdown::escape(remedy));
                }
            }
        }
        out.push_str("\n<details><summary>Facts</summary>\n\n");
        let _ = writeln!(
            out,
            "- host: {} — {} {}\n- mcready {}",
            markdown::escape(&self.host.hostname),
            markdown::escape(self.host.os_version.as_deref().unwrap_or(self.host.os)),
            markdown::escape(self.host.kernel.as_deref().unwrap_or("")),
            self.tool.version
        );
        for line in self.fact_lines() {
            let _ = writeln!(out, "- {}", markdown::escape(&line));
        }
        out.push_str("\n</details>\n");
        out
    }
}

/// `--peer IP[:PORT]`.
fn parse_peer(text: &str, default_port: u16) -> Result<SocketAddr> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    match text.parse::<IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, default_port)),
        Err(_) => bail!("--peer `{text}` is not an IP address or IP:PORT"),
    }
}

/// How to look for an IGMP querier.
#[derive(Debug, Clone, Copy)]
enum QuerierSearch {
    /// Join and leave a scratch group: a querier answers the leave at once (sends IGMP).
    Fast,
    /// Listen through the window for general queries (every 125 s by default); sends nothing.
    Passive(Duration),
}

fn querier_observation(
    interface: &LocalInterface,
    search: QuerierSearch,
    actions: &OwnActions,
) -> Observed<QuerierReport> {
    let mut watch = match QuerierWatch::open(interface, actions) {
        Ok(watch) => watch,
        Err(NetError::NoPrivilege { .. }) => {
            return Observed::Skipped(
                "listening for IGMP needs CAP_NET_RAW: run as root to look for a querier".into(),
            );
        }
        Err(error) => return Observed::Skipped(error.to_string()),
    };
    let outcome = match search {
        QuerierSearch::Fast => {
            let scratch = crate::net::querier::scratch_group(std::process::id());
            watch.detect_fast(scratch, QUERIER_WAIT).map(|_| Some(scratch))
        }
        QuerierSearch::Passive(window) => watch.listen_until(Instant::now() + window).map(|_| None),
    };
    match outcome {
        Ok(scratch_group) => Observed::Done(QuerierReport { queries: heard_queries(&watch), scratch_group }),
        Err(error) => Observed::Skipped(error.to_string()),
    }
}

fn heard_queries(watch: &QuerierWatch) -> Vec<QueryHeard> {
    watch
        .heard()
        .iter()
        .map(|q| QueryHeard {
            source: q.source,
            version: match q.version {
                crate::net::IgmpVersion::V1 => 1,
                crate::net::IgmpVersion::V2 => 2,
                crate::net::IgmpVersion::V3 => 3,
            },
            max_response_ms: u32::try_from(q.max_response_ms).unwrap_or(u32::MAX),
            group: q.group,
        })
        .collect()
}

/// Runs the active observations; each one that cannot run says why.
struct Observations {
    probe: Observed<crate::observed::ProbeReport>,
    querier: Observed<QuerierReport>,
    peer: Observed<crate::observed::PeerReport>,
    listen: Observed<crate::observed::ListenReport>,
}

fn observe(
    cli: &Cli,
    args: &CheckArgs,
    facts: &HostFacts,
    interface: Option<&crate::facts::Interface>,
    peer: Option<SocketAddr>,
    actions: &OwnActions,
) -> Observations {
    let Some(local) = interface.and_then(LocalInterface::from_facts) else {
        return Observations {
            probe: no_interface(!args.no_probe),
            querier: no_interface(!args.no_probe),
            peer: no_interface(peer.is_some() && !args.no_probe),
            listen: no_interface(args.listen.is_some()),
        };
    };
    let timeout = Duration::from_secs_f64(args.timeout);
    let host_addresses = probe::host_addresses(facts);
    let local = &local;
    std::thread::scope(|scope| {
        let listen_for = args.listen.map(Duration::from_secs_f64);
        // Finding a querier fast means a join and a leave; passive, a general query is only heard by
        // listening through the window.
        let querier = match (args.no_probe, listen_for) {
            (false, _) => Some(scope.spawn(move || querier_observation(local, QuerierSearch::Fast, actions))),
            (true, Some(window)) => {
                Some(scope.spawn(move || querier_observation(local, QuerierSearch::Passive(window), actions)))
            }
            (true, None) => None,
        };
        let peer_test = match (peer, args.no_probe) {
            (Some(peer), false) => {
                Some(scope.spawn(move || peer_observation(local, peer, cli, timeout, actions)))
            }
            _ => None,
        };
        let probe = if args.no_probe {
            Observed::NotAsked
        } else {
            let options = ProbeOptions {
                group: cli.global.group,
                port: cli.global.port,
                ttl: 1,
                timeout,
                settle: CHECK_SETTLE,
            };
            match probe::observe(local, &host_addresses, &options, actions) {
                Ok(report) => Observed::Done(report),
                Err(error) => Observed::Skipped(error.to_string()),
            }
        };
        let peer = joined(peer_test);
        let listen = match listen_for {
            Some(window) => listen_observation(facts, interface, cli, window, args.no_probe, actions),
            None => Observed::NotAsked,
        };
        let querier = joined(querier);
        Observations { probe, querier, peer, listen }
    })
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

/// # Errors
/// When the arguments are invalid, the host facts cannot be gathered, or `--interface` is unknown.
pub fn run(cli: &Cli, args: &CheckArgs) -> Result<Outcome> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        bail!("--timeout must be a number of seconds between 0 and 3600, not {}", args.timeout);
    }
    if let Some(seconds) = args.listen
        && !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0)
    {
        bail!("--listen must be a number of seconds between 0 and 86400, not {seconds}");
    }
    let peer = args.peer.as_deref().map(|p| parse_peer(p, cli.global.port)).transpose()?;
    // Facts first: memberships are read before mcready joins anything.
    let facts = platform::gather(&GatherOptions {
        group: cli.global.group,
        port: cli.global.port,
        scope: Scope::ALL,
    })?;
    let named = super::require_interface(&facts, cli.global.interface.as_deref())?;
    let mut hints: Vec<IpAddr> = args.phone.clone();
    hints.extend(peer.map(|p| p.ip()));
    let (pnp_interface, interface_rule) = checks::choose_interface(&facts, named.as_deref(), &hints);
    let interface = pnp_interface.as_deref().and_then(|name| facts.interface(name));

    let actions = OwnActions::new(Instant::now());
    let observations = observe(cli, args, &facts, interface, peer, &actions);

    let snapshot = Snapshot {
        os: OsFamily::current(),
        facts,
        pnp_interface,
        interface_rule,
        group: cli.global.group,
        port: cli.global.port,
        expected_phones: args.phone.clone(),
        peer: observations.peer,
        probe: observations.probe,
        listen: observations.listen,
        querier: observations.querier,
        passive: args.no_probe,
    };
    let requirements = checks::evaluate(&snapshot);
    let verdict = Verdict::of(&requirements);
    let document =
        build_document(snapshot, requirements, verdict, actions.snapshot(), args.strict, cli.global.quiet);
    let exit_code = document.exit_code();
    Ok(Outcome::new(&document, cli, exit_code))
}

fn build_document(
    snapshot: Snapshot,
    requirements: Vec<Requirement>,
    verdict: Verdict,
    own_actions: Vec<OwnAction>,
    strict: bool,
    quiet: bool,
) -> ReportDocument {
    let answers = snapshot.probe.done().map(|p| p.answers.clone()).unwrap_or_default();
    let phones = snapshot.listen.done().map(|l| l.phones.clone()).unwrap_or_default();
    let facts = snapshot.facts;
    ReportDocument {
        schema: ReportDocument::SCHEMA,
        tool: Tool::THIS,
        generated_at: timestamp_now(),
        host: platform::host_info(),
        target: Target {
            group: snapshot.group,
            port: snapshot.port,
            interface: snapshot.pnp_interface,
            interface_rule: snapshot.interface_rule,
        },
        verdict,
        requirements,
        facts: ReportFacts {
            interfaces: facts.interfaces,
            routes: facts.routes,
            group_route: facts.group_route,
            memberships: facts.memberships,
            listeners: facts.listeners,
            firewall: facts.firewall,
            querier: snapshot.querier,
            peer: snapshot.peer,
            phones,
            answers,
            probe: snapshot.probe,
            listen: snapshot.listen,
            notes: facts.notes,
            own_actions,
        },
        strict,
        quiet,
    }
}

fn peer_observation(
    local: &LocalInterface,
    peer: SocketAddr,
    cli: &Cli,
    timeout: Duration,
    actions: &OwnActions,
) -> Observed<crate::observed::PeerReport> {
    match crate::net::peer::run_peer_test(local, peer, cli.global.group, cli.global.port, timeout, actions) {
        Ok(report) => Observed::Done(report),
        Err(error) => Observed::Skipped(format!("the peer test could not run: {error}")),
    }
}

/// The listening window; its events are not printed (the checklist is the output), only counted.
fn listen_observation(
    facts: &HostFacts,
    interface: Option<&crate::facts::Interface>,
    cli: &Cli,
    duration: Duration,
    passive: bool,
    actions: &OwnActions,
) -> Observed<crate::observed::ListenReport> {
    let Some(interface) = interface else { return no_interface(true) };
    let mut ignore = |_: &super::listen::ListenEvent| {};
    let join = if passive { super::listen::Joining::Forbidden } else { super::listen::Joining::Allowed };
    let options =
        super::listen::ListenOptions { group: cli.global.group, port: cli.global.port, duration, join };
    match super::listen::observe(facts, interface, options, actions, &mut ignore) {
        Ok(report) => Observed::Done(report),
        Err(error) => Observed::Skipped(format!("could not listen: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{healthy, wrong_nic};

    fn document(snapshot: Snapshot) -> ReportDocument {
        let requirements = checks::evaluate(&snapshot);
        let verdict = Verdict::of(&requirements);
        let mut document = build_document(snapshot, requirements, verdict, Vec::new(), false, false);
        document.generated_at = "2026-11-26T12:00:00Z".into();
        document.host = HostInfo {
            hostname: "pbx01".into(),
            os: "linux",
            os_version: Some("Debian GNU/Linux 12 (bookworm)".into()),
            kernel: Some("6.1.0-18-amd64".into()),
            privileged: true,
        };
        document
    }

    #[test]
    fn checklist_text_and_markdown() {
        let document = document(wrong_nic());
        assert_eq!(document.exit_code(), 1);
        insta::assert_snapshot!(
            "check_wrong_nic_text",
            anstream::adapter::strip_str(&document.to_text()).to_string()
        );
        insta::assert_snapshot!("check_wrong_nic_markdown", document.to_markdown());
    }

    #[test]
    fn quiet_is_the_verdict_alone() {
        let mut document = document(healthy());
        document.quiet = true;
        let text = anstream::adapter::strip_str(&document.to_text()).to_string();
        assert_eq!(text, "PASS: ready for PnP provisioning (exit 0)\n");
    }

    #[test]
    fn json_keeps_the_contract_order() {
        let json = document(healthy()).to_json();
        let keys = [
            "\"schema\"",
            "\"tool\"",
            "\"generated_at\"",
            "\"host\"",
            "\"target\"",
            "\"verdict\"",
            "\"requirements\"",
            "\"facts\"",
        ];
        let positions: Vec<usize> = keys.iter().map(|k| json.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{json}");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let ids: Vec<&str> =
            value["requirements"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["pbx-membership", "same-subnet", "network-multicast", "phone-pnp"]);
    }
}
