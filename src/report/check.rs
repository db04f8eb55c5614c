//! The `mcready.report/v1` document: the checklist (`check`) as text, Markdown and JSON.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::text::{BAD, CAUTION, DIM, EMPHASIS, GOOD, HEADING, paint, status_style};
use super::untested::UntestedReport;
use super::{Document, Envelope, markdown};
use crate::checks::Evaluation;
use crate::observed::{ActionKind, Observed, OwnAction, QuerierReport};
use crate::snapshot::{InterfaceRule, Snapshot};
use crate::verdict::{Answer, Check, Requirement, Status, Verdict, exit_code};

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
    pub fetch: Observed<crate::observed::FetchReport>,
    pub soak: Observed<crate::observed::SoakReport>,
    pub notes: Vec<crate::facts::GatherNote>,
    pub own_actions: Vec<OwnAction>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stacking: Vec<crate::facts::Stacked>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<crate::facts::HostEnvironment>,
    /// Which tool configures each interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_manager: Option<crate::facts::NetworkManagement>,
    /// What this run could and could not do, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileges: Option<crate::facts::RunPrivileges>,
}

/// The support bundle a replayed report re-judges (`mcready replay`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplayOf {
    /// The bundle as named on the command line.
    pub bundle: String,
    /// When the bundle was recorded, and by which mcready version.
    pub recorded_at: String,
    pub recorded_by: String,
    /// Host names and MAC addresses in it are pseudonyms.
    pub anonymised: bool,
}

impl ReplayOf {
    fn line(&self) -> String {
        let anonymised = if self.anonymised { ", anonymised" } else { "" };
        format!(
            "Replay of {} (recorded {} by mcready {}{anonymised}), judged by mcready {}",
            self.bundle,
            self.recorded_at,
            self.recorded_by,
            super::Tool::THIS.version
        )
    }
}

/// The `mcready.report/v1` document.
#[derive(Debug, Serialize)]
pub struct ReportDocument {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub target: Target,
    pub verdict: Verdict,
    pub requirements: Vec<Requirement>,
    /// What lacked its deciding evidence or a privilege; absent when nothing did.
    #[serde(skip_serializing_if = "UntestedReport::is_empty")]
    pub untested: UntestedReport,
    pub facts: ReportFacts,
    /// Present only on `mcready replay`: the facts are a support bundle's, re-judged by this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplayOf>,
    #[serde(skip)]
    pub strict: bool,
    #[serde(skip)]
    pub quiet: bool,
    #[serde(skip)]
    pub verbose: bool,
    /// The terminal's width the text is wrapped to; `None` (a pipe, a file) never wraps.
    #[serde(skip)]
    pub width: Option<usize>,
}

impl ReportDocument {
    /// The exit code this report means in `format` (see [`exit_code`]).
    #[must_use]
    pub fn exit_code(&self, format: super::Format) -> u8 {
        let some_skip = self.requirements.iter().any(|r| r.status == Status::Skip);
        let unprivileged = self.untested.unprivileged().next().is_some();
        let answer = Answer::Checklist { verdict: self.verdict, some_skip, unprivileged };
        exit_code(answer, self.strict, self.envelope.interrupted, format)
    }

    fn chosen_by(&self) -> &'static str {
        match self.target.interface_rule {
            InterfaceRule::Interface => "named with --interface",
            InterfaceRule::PhoneSubnet => "its subnet holds the phones",
            InterfaceRule::GroupRoute => "the OS routes the group by it",
            InterfaceRule::None => "no interface could be chosen",
        }
    }

    /// The verdict, the requirements that made it, and the exit code with what decided it: a reader
    /// of `-q` or of a `--strict` exit 1 learns why without the checklist.
    fn verdict_line(&self) -> String {
        let meaning = match self.verdict {
            Verdict::Pass => "ready for PnP provisioning",
            Verdict::Warn => "ready, with warnings",
            Verdict::Fail => "not ready",
            Verdict::Incomplete => "nothing could be decided",
        };
        let with = |status: Status| -> Vec<&str> {
            self.requirements.iter().filter(|r| r.status == status).map(|r| r.id).collect()
        };
        let (failed, warned, skipped) = (with(Status::Fail), with(Status::Warn), with(Status::Skip));
        let mut because = Vec::new();
        if !failed.is_empty() {
            because.push(format!("{} failed", failed.join(", ")));
        }
        if !warned.is_empty() {
            because.push(format!("{} warned", warned.join(", ")));
        }
        let because = if because.is_empty() { String::new() } else { format!(" ({})", because.join("; ")) };
        let code = self.exit_code(super::Format::Text);
        // Exit 1 without a failure is --strict's doing, or an interruption's: say which.
        let exit = if code == 1 && self.verdict != Verdict::Fail {
            let mut strict = Vec::new();
            if self.envelope.interrupted {
                strict.push("the run was interrupted".to_owned());
            }
            if self.verdict == Verdict::Warn {
                strict.push("it warned".to_owned());
            }
            if !skipped.is_empty() {
                strict.push(format!("{} could not be decided", skipped.join(", ")));
            }
            format!("exit 1: --strict, and {}", strict.join(" and "))
        } else {
            format!("exit {code}")
        };
        // What lacked its deciding evidence is named with what would test it: a pass is only as good
        // as what was tested.
        let untested =
            self.untested.requirements_line().map_or_else(String::new, |line| format!("; untested: {line}"));
        format!("{}: {meaning}{because}{untested} ({exit})", self.verdict.as_str().to_uppercase())
    }

    /// A requirement's mark and whether it is untested: a pass whose deciding check lacked its evidence
    /// is shown as `–`, never `✔`.
    fn requirement_mark(&self, requirement: &Requirement) -> (Status, &'static str) {
        if !self.untested.requirement(requirement.id) {
            return (requirement.status, "");
        }
        let shown = if requirement.status == Status::Pass { Status::Skip } else { requirement.status };
        (shown, " — untested")
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

    /// The provisioning fetch and the soak's timeline, one line each when they ran.
    fn fetch_and_soak_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(fetch) = self.facts.fetch.done() {
            let outcome = match (&fetch.not_fetched, fetch.status, &fetch.error) {
                (Some(why), _, _) => format!("not fetched: {why}"),
                (None, _, Some(error)) => format!("failed: {}", error.detail),
                (None, Some(status), None) => format!(
                    "{status} {} {} bytes in {:.0} ms",
                    fetch.content_type.as_deref().unwrap_or(""),
                    fetch.bytes.unwrap_or_default(),
                    fetch.elapsed_ms
                ),
                (None, None, None) => "no answer".to_owned(),
            };
            lines.push(format!("provisioning URL {} — {outcome}", fetch.url));
        }
        if let Some(soak) = self.facts.soak.done() {
            let timeline: Vec<String> = soak
                .rounds
                .iter()
                .map(|r| {
                    let mark = |ok: bool| if ok { "✔" } else { "✘" };
                    let back = r.peer_to_here.map_or("–", mark);
                    format!("{:.0}s {}{}{back}", r.at_secs, mark(r.unicast), mark(r.here_to_peer))
                })
                .collect();
            lines.push(format!("soak (unicast, out, back per round): {}", timeline.join(" ")));
        }
        lines
    }

    /// The service the PBX runs as, when the port's owners name one.
    fn service_line(&self) -> Option<String> {
        crate::facts::service_holding(&self.facts.listeners)
            .map(|service| format!("the PBX holding the port runs as {}", service.label()))
    }

    /// The tool that configures the PnP interface, with what it was decided from.
    fn manager_line(&self) -> Option<String> {
        let interface = self.target.interface.as_deref()?;
        let managed =
            self.facts.network_manager.as_ref()?.interfaces.iter().find(|m| m.interface == interface)?;
        let mut detail: Vec<String> = Vec::new();
        if let Some(renderer) = managed.renderer {
            detail.push(format!("renderer {}", renderer.as_str()));
        }
        detail.extend(managed.file.clone());
        if managed.manager == crate::facts::NetworkManager::None {
            let why = managed.evidence.first().map(|e| format!(" ({e})")).unwrap_or_default();
            return Some(format!("no network manager was found for {interface}{why}"));
        }
        let detail = if detail.is_empty() { String::new() } else { format!(" ({})", detail.join(", ")) };
        Some(format!("{interface} is configured by {}{detail}", managed.manager.as_str()))
    }

    /// What this run could do, in one line.
    fn privileges_line(&self) -> Option<String> {
        let p = self.facts.privileges.as_ref()?;
        let mark = |a: &crate::facts::Allowance| if a.allowed { "yes" } else { "no" };
        let who = match (p.admin, p.capabilities.is_empty()) {
            (true, _) => "root".to_owned(),
            (false, true) => "unprivileged".to_owned(),
            (false, false) => format!("not root, with {}", p.capabilities.join(", ")),
        };
        Some(format!(
            "privileges ({who}): capture {}, raw IGMP socket {}, firewall rules {}, other users' socket owners {}",
            mark(&p.capture),
            mark(&p.raw_igmp),
            mark(&p.read_firewall),
            mark(&p.socket_owners)
        ))
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
        lines.extend(self.service_line());
        lines.extend(self.manager_line());
        for a in &self.facts.answers {
            let ua = a.user_agent.as_deref().unwrap_or("unknown server");
            let what = if a.refused() {
                format!("refused with {}", a.status_line())
            } else {
                a.provisioning_url.clone().unwrap_or_else(|| "no URL".into())
            };
            lines.push(format!("answer from {} ({ua}): {what}", a.responder));
        }
        lines.extend(self.fetch_and_soak_lines());
        for p in &self.facts.phones {
            let what = [p.vendor.as_deref(), p.model.as_deref(), p.firmware.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            lines.push(format!("phone {} {} {what}", p.source, p.mac.as_deref().unwrap_or("(no MAC)")));
        }
        // What else the phones hear: the listening window's, else the soak's.
        let discovery = self.facts.listen.done().and_then(|l| l.discovery.as_ref());
        if let Some(found) = discovery.or_else(|| self.facts.soak.done().and_then(|s| s.discovery.as_ref())) {
            lines.extend(found.switch_ports.iter().map(super::listen::switch_line));
            lines.extend(found.dhcp_answers.iter().map(super::listen::dhcp_line));
            lines.extend(found.vendor_devices.iter().map(super::listen::device_line));
        }
        lines.extend(self.privileges_line());
        let sent = self.facts.own_actions.iter().filter(|a| matches!(a.action, ActionKind::Sent)).count();
        let joined = self.facts.own_actions.iter().filter(|a| matches!(a.action, ActionKind::Joined)).count();
        let listed = if self.verbose { "listed below" } else { "`-v` lists them" };
        lines.push(if sent + joined == 0 {
            "mcready itself sent no datagram and made no join".to_owned()
        } else {
            format!(
                "mcready itself sent {} and made {} ({listed})",
                super::text::count(sent as u64, "datagram", "datagrams"),
                super::text::count(joined as u64, "join", "joins")
            )
        });
        if self.verbose {
            for route in &self.facts.routes {
                let via = route.gateway.map(|g| format!(" via {g}")).unwrap_or_default();
                let dev = route.interface.as_deref().map(|d| format!(" dev {d}")).unwrap_or_default();
                lines.push(format!(
                    "route {}{via}{dev} metric {} table {}",
                    route.destination, route.metric, route.table
                ));
            }
            lines.extend(self.facts.own_actions.iter().map(OwnAction::line));
        }
        lines
    }
}

impl Document for ReportDocument {
    const SCHEMA: &'static str = "mcready.report/v1";

    fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    fn to_monitoring(&self, format: super::Format) -> Option<String> {
        match format {
            super::Format::Nagios => Some(super::monitoring::nagios(self)),
            super::Format::Prometheus => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                Some(super::monitoring::prometheus(self, now))
            }
            _ => None,
        }
    }

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
        if let Some(replay) = &self.replay {
            let _ = writeln!(out, "{}\n", paint(DIM, &replay.line()));
        }
        // A fix already printed is referred to, not repeated: the checklist stays readable at a glance.
        let mut shown: Vec<(&str, &str)> = Vec::new();
        for requirement in &self.requirements {
            let (mark, untested) = self.requirement_mark(requirement);
            let _ = writeln!(
                out,
                "{} {}{}",
                paint(status_style(mark), &mark.mark().to_string()),
                paint(EMPHASIS, &requirement.title),
                paint(DIM, untested)
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
                    if let Some(first) = shown.iter().find(|(text, _)| *text == remedy.as_str()) {
                        let _ = writeln!(out, "      {} as above ({})", paint(HEADING, "fix:"), first.1);
                    } else {
                        let mut lines = Vec::new();
                        for piece in fix_pieces(remedy, &fix_commands(check)) {
                            match piece {
                                FixPiece::Prose(text) => wrap_into(&mut lines, &text, self.width),
                                FixPiece::Command(command) => lines.push(format!("  {command}")),
                            }
                        }
                        for (at, line) in lines.iter().enumerate() {
                            let label = if at == 0 { paint(HEADING, "fix:") } else { "    ".into() };
                            let _ = writeln!(out, "      {label} {line}");
                        }
                        shown.push((remedy, check.id));
                    }
                }
            }
        }
        let _ = writeln!(out, "\n{}", paint(verdict_style, &self.verdict_line()));
        if let Some(line) = self.untested.privilege_line() {
            let _ = writeln!(out, "{}", paint(CAUTION, &line));
        }
        if self.envelope.interrupted {
            let cut = self.envelope.cut_short.join(", ");
            let _ = writeln!(
                out,
                "{}",
                paint(
                    CAUTION,
                    &format!("Interrupted: cut short ({cut}); what those windows could not observe is skip.")
                )
            );
        }
        let _ = writeln!(out, "\n{}", paint(HEADING, "Facts"));
        for line in self.fact_lines() {
            let _ = writeln!(out, "  {}", paint(DIM, &line));
        }
        out
    }

    fn markdown_body(&self) -> String {
        let mut out = format!(
            "**{}** — {}\n\n",
            markdown::prose(&self.verdict_line()),
            markdown::escape(&self.target_line())
        );
        if let Some(replay) = &self.replay {
            let _ = writeln!(out, "_{}_\n", markdown::escape(&replay.line()));
        }
        if let Some(line) = self.untested.privilege_line() {
            let _ = writeln!(out, "{}\n", markdown::prose(&line));
        }
        let mut fixed: Vec<(&str, &str)> = Vec::new();
        for requirement in &self.requirements {
            let (shown, untested) = self.requirement_mark(requirement);
            let _ = writeln!(
                out,
                "- {} **{}**{untested} (`{}`: {})",
                shown.mark(),
                markdown::escape(&requirement.title),
                requirement.id,
                requirement.status.as_str()
            );
            for check in &requirement.checks {
                let _ = writeln!(
                    out,
                    "  - {} `{}` {}",
                    check.status.mark(),
                    check.id,
                    markdown::prose(&check.summary)
                );
                if let Some(remedy) = &check.remedy
                    && matches!(check.status, Status::Warn | Status::Fail)
                {
                    if let Some(first) = fixed.iter().find(|(text, _)| *text == remedy.as_str()) {
                        let _ = writeln!(out, "    - fix: as above (`{}`)", first.1);
                    } else {
                        out.push_str(&markdown_fix(remedy, &fix_commands(check)));
                        fixed.push((remedy, check.id));
                    }
                }
            }
        }
        let mut facts = format!(
            "- host: {} — {} {}\n",
            markdown::escape(&self.envelope.host.hostname),
            markdown::escape(self.envelope.host.os_version.as_deref().unwrap_or(self.envelope.host.os)),
            markdown::escape(self.envelope.host.kernel.as_deref().unwrap_or(""))
        );
        for line in self.fact_lines() {
            let _ = writeln!(facts, "- {}", markdown::prose(&line));
        }
        out.push_str(&markdown::details("Facts", &facts));
        out
    }
}

/// Where the text of a fix starts, after `      fix: `.
const FIX_INDENT: usize = 11;

/// A piece of a fix's text: prose, or a command of one of its steps that stands on its own.
#[derive(Debug, PartialEq, Eq)]
enum FixPiece {
    Prose(String),
    Command(String),
}

/// The commands of a check's fix that this host runs (a manual step is done elsewhere).
fn fix_commands(check: &Check) -> Vec<&str> {
    check
        .fix
        .iter()
        .flat_map(|f| &f.steps)
        .filter(|s| s.class != crate::fix::Class::Manual && !s.command.is_empty())
        .map(|s| s.command.as_str())
        .collect()
}

/// A fix's text split so that each command of a step stands apart from the prose (a line of its own in
/// text, a code block in Markdown: copied whole, never wrapped). A command in parentheses stays in its
/// sentence.
fn fix_pieces(remedy: &str, commands: &[&str]) -> Vec<FixPiece> {
    let mut pieces = Vec::new();
    let mut prose = String::new();
    let parts: Vec<&str> = remedy.split('`').collect();
    let mut after_command = false;
    for (at, part) in parts.iter().enumerate() {
        let code = at % 2 == 1;
        let own_line = code
            && commands.contains(part)
            && !prose.ends_with('(')
            && !parts.get(at + 1).is_some_and(|next| next.starts_with(')'));
        if own_line {
            if !prose.trim().is_empty() {
                pieces.push(FixPiece::Prose(prose.trim().to_owned()));
            }
            prose.clear();
            pieces.push(FixPiece::Command((*part).to_owned()));
            after_command = true;
        } else if code {
            prose.push('`');
            prose.push_str(part);
            prose.push('`');
        } else if after_command {
            // The sentence's punctuation after the command has nothing left to close.
            prose.push_str(part.trim_start_matches(['.', ',', ';']).trim_start());
            after_command = false;
        } else {
            prose.push_str(part);
        }
    }
    if !prose.trim().is_empty() {
        pieces.push(FixPiece::Prose(prose.trim().to_owned()));
    }
    pieces
}

/// A fix as a Markdown list item under its check: the prose as text, each run of commands as a fenced
/// shell block, so a support engineer copies them from the ticket as they are.
fn markdown_fix(remedy: &str, commands: &[&str]) -> String {
    let mut out = String::from("    - fix:");
    let mut in_block = false;
    for piece in fix_pieces(remedy, commands) {
        match piece {
            FixPiece::Command(command) => {
                if !in_block {
                    out.push_str("\n\n      ```sh");
                    in_block = true;
                }
                let _ = write!(out, "\n      {}", command.replace(['\n', '\r'], " "));
            }
            FixPiece::Prose(text) => {
                if in_block {
                    out.push_str("\n      ```\n\n     ");
                    in_block = false;
                }
                let _ = write!(out, " {}", markdown::prose(&text));
            }
        }
    }
    if in_block {
        out.push_str("\n      ```");
    }
    out.push('\n');
    out
}

/// `text` wrapped at word boundaries to `width` (less the fix's indent), appended to `lines`.
fn wrap_into(lines: &mut Vec<String>, text: &str, width: Option<usize>) {
    if text.is_empty() {
        return;
    }
    let Some(room) = width.map(|w| w.saturating_sub(FIX_INDENT).max(40)) else {
        lines.push(text.to_owned());
        return;
    };
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
}

/// The document from what was gathered, observed and evaluated.
#[must_use]
pub fn build(
    envelope: Envelope,
    snapshot: Snapshot,
    evaluation: Evaluation,
    own_actions: Vec<OwnAction>,
    (strict, quiet, verbose): (bool, bool, bool),
) -> ReportDocument {
    let Evaluation { requirements, firewall: judged } = evaluation;
    let verdict = Verdict::of(&requirements);
    let untested = UntestedReport::of(&requirements, snapshot.os);
    let answers = snapshot.probe.done().map(|p| p.answers.clone()).unwrap_or_default();
    let phones = snapshot.listen.done().map(|l| l.phones.clone()).unwrap_or_default();
    let mut facts = snapshot.facts;
    // The facts show the judgement the checks rest on, so the two can never disagree.
    facts.firewall.findings = judged.findings;
    facts.firewall.helpers = judged.helpers;
    facts.firewall.partial = judged.partial;
    ReportDocument {
        envelope,
        target: Target {
            group: snapshot.group,
            port: snapshot.port,
            interface: snapshot.pnp_interface,
            interface_rule: snapshot.interface_rule,
        },
        verdict,
        requirements,
        untested,
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
            fetch: snapshot.fetch,
            soak: snapshot.soak,
            notes: facts.notes,
            own_actions,
            stacking: facts.stacking,
            environment: facts.environment,
            network_manager: facts.network_manager,
            privileges: facts.privileges,
        },
        replay: None,
        strict,
        quiet,
        verbose,
        width: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{healthy, wrong_nic};

    fn document(snapshot: Snapshot) -> ReportDocument {
        let evaluation = crate::checks::assess(&snapshot);
        let host = crate::checks::fixtures::host_info();
        let mut envelope = Envelope::new(ReportDocument::SCHEMA, host)
            .invoked_as("mcready check --phone 198.51.100.20 --format markdown".into());
        envelope.generated_at = "2026-11-26T12:00:00Z".into();
        build(envelope, snapshot, evaluation, Vec::new(), (false, false, false))
    }

    #[test]
    fn checklist_text_and_markdown() {
        let document = document(wrong_nic());
        assert_eq!(document.exit_code(crate::report::Format::Text), 1);
        insta::assert_snapshot!(
            "check_wrong_nic_text",
            anstream::adapter::strip_str(&document.to_text()).to_string()
        );
        insta::assert_snapshot!("check_wrong_nic_markdown", document.to_markdown());
    }

    /// Issue 26: on a terminal a fix's prose wraps to its width, and each command stands on a line of
    /// its own, whole, whatever the width.
    #[test]
    fn fixes_wrap_to_the_terminal_with_one_command_a_line() {
        let mut document = document(wrong_nic());
        document.width = Some(60);
        let text = anstream::adapter::strip_str(&document.to_text()).to_string();
        let fix: Vec<&str> =
            text.lines().skip_while(|l| !l.trim_start().starts_with("fix:")).take(8).collect();
        assert_eq!(fix[0], "      fix: Route multicast out of the phones' interface:", "{text}");
        assert_eq!(fix[1], "             sudo ip route add 224.0.0.0/4 dev eth0", "{text}");
        for line in text.lines().filter(|l| !l.starts_with("             sudo") && l.starts_with("      ")) {
            assert!(line.chars().count() <= 60 || !line.contains(' '), "too wide: {line:?}");
        }
    }

    #[test]
    fn facts_name_the_manager_the_service_and_the_privileges_in_one_line_each() {
        use crate::facts::{
            Allowance, ManagedInterface, NetworkManagement, NetworkManager, RunPrivileges, Service,
            ServiceManager,
        };
        let mut snapshot = wrong_nic();
        snapshot.facts.listeners[0].processes[0].service = Some(Service {
            manager: ServiceManager::Systemd,
            name: "asterisk.service".into(),
            runtime: None,
            user: None,
            display_name: None,
        });
        snapshot.facts.network_manager = Some(NetworkManagement {
            present: vec![NetworkManager::SystemdNetworkd, NetworkManager::Netplan],
            interfaces: vec![ManagedInterface {
                interface: "eth0".into(),
                manager: NetworkManager::Netplan,
                renderer: Some(NetworkManager::SystemdNetworkd),
                file: Some("/etc/netplan/50-cloud-init.yaml".into()),
                netplan_definition: Some("ethernets/eth0".into()),
                evidence: vec!["/etc/netplan/50-cloud-init.yaml defines eth0".into()],
            }],
        });
        let allowed = |allowed| Allowance { allowed, reason: "why".into() };
        snapshot.facts.privileges = Some(RunPrivileges {
            admin: false,
            capabilities: vec!["net_raw"],
            capture: allowed(true),
            raw_igmp: allowed(true),
            read_firewall: allowed(false),
            socket_owners: allowed(false),
        });
        let document = document(snapshot);
        let text = anstream::adapter::strip_str(&document.to_text()).to_string();
        for line in [
            "  eth0 is configured by netplan (renderer systemd-networkd, /etc/netplan/50-cloud-init.yaml)\n",
            "  the PBX holding the port runs as systemd unit asterisk.service\n",
            "  privileges (not root, with net_raw): capture yes, raw IGMP socket yes, firewall rules no, other users' socket owners no\n",
        ] {
            assert!(text.contains(line), "{line:?} in {text}");
        }
        let markdown = document.to_markdown();
        assert!(
            markdown.contains("- the PBX holding the port runs as systemd unit asterisk.service\n"),
            "{markdown}"
        );
        let json: serde_json::Value = serde_json::from_str(&document.to_json()).unwrap();
        assert_eq!(json["facts"]["network_manager"]["interfaces"][0]["renderer"], "systemd-networkd");
        assert_eq!(json["facts"]["privileges"]["capture"]["allowed"], true);
        assert_eq!(json["facts"]["listeners"][0]["processes"][0]["service"]["manager"], "systemd");
        // The fix restarts the unit by name.
        assert!(document.to_text().contains("`sudo systemctl restart asterisk.service`"));
    }

    /// The healthy host with every requirement's evidence: a peer test that crossed both ways, and a
    /// listening window that heard the expected phone.
    fn tested() -> Snapshot {
        let mut snapshot = healthy();
        snapshot.peer = crate::checks::fixtures::peer(true, true, true);
        snapshot.listen = crate::checks::fixtures::listened(vec![crate::checks::fixtures::phone(
            "198.51.100.20",
            "00:15:65:aa:bb:cc",
        )]);
        snapshot
    }

    #[test]
    fn quiet_is_the_verdict_alone() {
        let mut document = document(tested());
        document.quiet = true;
        let text = anstream::adapter::strip_str(&document.to_text()).to_string();
        assert_eq!(text, "PASS: ready for PnP provisioning (exit 0)\n");
        let mut failing = self::document(wrong_nic());
        failing.quiet = true;
        let text = anstream::adapter::strip_str(&failing.to_text()).to_string();
        assert!(text.starts_with("FAIL: not ready (pbx-membership failed"), "{text}");
        assert!(text.ends_with("(exit 1)\n"), "{text}");
    }

    /// The Prometheus HELP lines point at what the package installs (`mcready explain`), not at a page
    /// of the source tree a monitored host does not have.
    #[test]
    fn prometheus_help_points_at_what_is_installed() {
        let text = crate::report::monitoring::prometheus(&self::document(healthy()), 0.0);
        let help: Vec<&str> = text.lines().filter(|l| l.starts_with("# HELP")).collect();
        assert!(
            help.iter()
                .any(|l| l.starts_with("# HELP mcready_check_status") && l.contains("`mcready explain ID`")),
            "{help:?}"
        );
        assert!(help.iter().all(|l| !l.contains("docs/")), "{help:?}");
    }

    /// Without a peer or a window the path and the phones are untested: the requirement line says so
    /// instead of `✔`, the verdict line names what is untested and how to test it, and the JSON lists it.
    #[test]
    fn untested_is_said_where_nothing_decided_it() {
        let mut snapshot = healthy();
        snapshot.peer = Observed::NotAsked;
        snapshot.listen = Observed::NotAsked;
        let document = document(snapshot);
        let text = anstream::adapter::strip_str(&document.to_text()).to_string();
        assert!(
            text.contains("\n– The network passes multicast between phones and PBX — untested\n"),
            "{text}"
        );
        assert!(!text.contains("✔ The network passes multicast"), "{text}");
        let verdict = text.lines().find(|l| l.starts_with("PASS:")).unwrap();
        assert!(
            verdict.contains("untested: ")
                && verdict.contains("network-multicast — test with `--peer IP`")
                && verdict.contains("--listen 120")
                && verdict.ends_with("(exit 0)"),
            "{verdict}"
        );
        let markdown = document.to_markdown();
        assert!(
            markdown.contains("- – **The network passes multicast between phones and PBX** — untested"),
            "{markdown}"
        );
        let json: serde_json::Value = serde_json::from_str(&document.to_json()).unwrap();
        let ids: Vec<&str> = json["untested"]["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["id"].as_str())
            .collect();
        assert_eq!(ids, ["same-subnet", "network-multicast", "phone-pnp"]);
        assert!(
            json["untested"]["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == "multicast.lan-path" && c["lacked"] == "evidence")
        );
        // The requirement's status stays what its checks decided (DESIGN's rule); `untested` says the rest.
        assert_eq!(json["requirements"][2]["status"], "pass");
        // With a peer and a window every requirement was tested.
        let json: serde_json::Value = serde_json::from_str(&self::document(tested()).to_json()).unwrap();
        assert_eq!(json["untested"]["requirements"], serde_json::json!([]), "{:#}", json["untested"]);
    }

    /// A run refused the firewall's rules and the capture: the plugin state is WARNING (exit 1) where a
    /// privileged run of the same host is OK, the status line names what needs root or `CAP_NET_RAW`, the
    /// checklist says how to grant them, and the unreadable firewall is explained once.
    #[test]
    fn a_run_without_privileges_never_looks_healthier() {
        use crate::facts::{Allowance, FirewallSource, RunPrivileges, SourceStatus};
        let privileged = document(tested());
        assert_eq!(privileged.exit_code(crate::report::Format::Nagios), 0);
        let mut snapshot = tested();
        let refused = |allowed| Allowance { allowed, reason: "why".into() };
        snapshot.facts.privileges = Some(RunPrivileges {
            admin: false,
            capabilities: Vec::new(),
            capture: refused(false),
            raw_igmp: refused(false),
            read_firewall: refused(false),
            socket_owners: refused(false),
        });
        snapshot.facts.firewall.rulesets.clear();
        snapshot.facts.firewall.sources = vec![FirewallSource {
            tool: crate::ruleset::FirewallTool::Nft,
            command: "nft -j list ruleset".into(),
            status: SourceStatus::PermissionDenied,
            detail: Some("Operation not permitted".into()),
            rules: 0,
            skipped: 0,
        }];
        snapshot.querier = Observed::Skipped("listening for IGMP needs passive capture".into());
        let document = document(snapshot);
        assert_eq!(document.verdict, Verdict::Pass);
        assert_eq!(
            document.exit_code(crate::report::Format::Text),
            0,
            "mcready's own convention is unchanged"
        );
        assert_eq!(document.exit_code(crate::report::Format::Nagios), 1);
        let nagios = crate::report::monitoring::nagios(&document);
        let status = nagios.lines().next().unwrap();
        assert!(
            status
                .starts_with("MCREADY WARNING - ready for PnP provisioning; skipped for lack of privilege: "),
            "{status}"
        );
        assert!(
            status.contains("multicast.igmp-querier, ") && status.contains(" need root or CAP_NET_RAW;"),
            "{status}"
        );
        assert!(
            status.contains("multicast.host-firewall, ")
                && status.contains("multicast.sip-helper need root |"),
            "{status}"
        );
        let text = anstream::adapter::strip_str(&document.to_text()).to_string();
        assert!(text.contains("`sudo setcap cap_net_raw+ep $(command -v mcready)`"), "{text}");
        assert!(text.contains("run mcready with sudo"), "{text}");
        assert_eq!(text.matches("could not be read (nft").count(), 1, "{text}");
        assert!(
            text.contains("The host firewall could not be read (see multicast.host-firewall)."),
            "{text}"
        );
        let prometheus = crate::report::monitoring::prometheus(&document, 0.0);
        assert!(prometheus.contains("mcready_checks_untested{lacked=\"privilege\"} 8\n"), "{prometheus}");
    }

    #[test]
    fn strict_names_what_made_exit_1() {
        let mut document = document(tested());
        document.strict = true;
        document.requirements[1].status = Status::Pass;
        document.requirements[3].status = Status::Skip;
        document.quiet = true;
        let text = anstream::adapter::strip_str(&document.to_text()).to_string();
        assert_eq!(
            text,
            "PASS: ready for PnP provisioning (exit 1: --strict, and phone-pnp could not be decided)\n"
        );
        document.requirements[2].status = Status::Warn;
        document.verdict = Verdict::Warn;
        let text = anstream::adapter::strip_str(&document.to_text()).to_string();
        assert_eq!(
            text,
            "WARN: ready, with warnings (network-multicast warned) (exit 1: --strict, and it warned and phone-pnp could not be decided)\n"
        );
    }

    #[test]
    fn an_interrupted_run_says_so_and_strict_exits_1() {
        let mut document = document(healthy());
        document.envelope.cut(vec!["listen"]);
        let json: serde_json::Value = serde_json::from_str(&document.to_json()).unwrap();
        assert_eq!(
            (json["interrupted"].as_bool(), json["cut_short"][0].as_str()),
            (Some(true), Some("listen"))
        );
        assert!(document.to_markdown().contains("**interrupted**"));
        document.strict = true;
        assert_eq!(document.exit_code(crate::report::Format::Text), 1);
    }

    #[test]
    fn markdown_keeps_commands_as_typed_and_folds_the_facts() {
        let markdown = document(wrong_nic()).to_markdown();
        assert!(
            markdown.contains("- command: `mcready check --phone 198.51.100.20 --format markdown`"),
            "{markdown}"
        );
        assert!(markdown.contains("<details><summary>Facts</summary>"));
        assert!(!markdown.contains("\\`"), "no escaped backticks: {markdown}");
    }

    /// One judgement per run: the checks and `facts.firewall` show the same walk of the ruleset.
    #[test]
    fn the_firewall_is_walked_once_and_the_facts_agree_with_the_check() {
        let mut snapshot = healthy();
        let save = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -m udp --dport 5060 -j DROP\nCOMMIT\n";
        snapshot.facts.firewall.rulesets =
            vec![crate::ruleset::Ruleset::Netfilter(crate::firewall::iptables::read(save, None))];
        let before = crate::firewall::judge::walks();
        let document = document(snapshot);
        assert_eq!(crate::firewall::judge::walks() - before, 1);
        let json: serde_json::Value = serde_json::from_str(&document.to_json()).unwrap();
        let check = json["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["checks"].as_array().unwrap())
            .find(|c| c["id"] == "multicast.host-firewall")
            .unwrap();
        assert_eq!(check["status"], "fail");
        let facts = &json["facts"]["firewall"]["findings"];
        assert_eq!(facts[0], check["evidence"]["findings"][0]);
    }

    /// Prometheus labels every decided check by the registry's id and requirement, in its order.
    #[test]
    fn prometheus_labels_come_from_the_registry() {
        let document = document(wrong_nic());
        let text = super::super::monitoring::prometheus(&document, 0.0);
        let labelled: Vec<(String, String)> = text
            .lines()
            .filter(|l| l.starts_with("mcready_check_status{") && l.contains("status=\"pass\""))
            .map(|l| {
                let value = |key: &str| {
                    l.split(&format!("{key}=\"")).nth(1).unwrap().split('"').next().unwrap().to_owned()
                };
                (value("check"), value("requirement"))
            })
            .collect();
        let decided: Vec<(String, String)> = document
            .requirements
            .iter()
            .flat_map(|r| r.checks.iter().map(move |c| (c.id.to_owned(), r.id.to_owned())))
            .collect();
        assert_eq!(labelled, decided);
        assert!(labelled.iter().all(|(id, _)| crate::checks::registry::find(id).is_some()));
    }

    #[test]
    fn a_markdown_fix_fences_its_commands_and_closes_every_fence() {
        let remedy = "Open the port: `sudo nft add rule inet filter input udp dport 5060 accept`. \
                      Or reboot (`sudo reboot`). Last: `sudo systemctl restart asterisk`";
        let commands = [
            "sudo nft add rule inet filter input udp dport 5060 accept",
            "sudo reboot",
            "sudo systemctl restart asterisk",
        ];
        let markdown = markdown_fix(remedy, &commands);
        assert_eq!(markdown.matches("```").count() % 2, 0, "{markdown}");
        assert!(markdown.contains("      ```sh\n      sudo nft add rule"), "{markdown}");
        // A command in parentheses stays in its sentence, as a code span.
        assert!(markdown.contains("(`sudo reboot`)"), "{markdown}");
        assert!(markdown.ends_with("      sudo systemctl restart asterisk\n      ```\n"), "{markdown}");
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
