//! `mcready joins`: which interfaces joined the PnP group — the first thing to look at when phones are
//! not provisioned — like `ip maddr` on Linux or `netsh interface ipv4 show joins` on Windows.
//!
//! By default it shows the PnP group on every interface, joined or not, and says plainly when no
//! interface joined it; `--all` lists every group on every interface.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::text::{BAD, CAUTION, Cell, DIM, EMPHASIS, GOOD, Table, paint, write_notes};
use super::{Document, Envelope, markdown};
use crate::facts::{
    GatherNote, GroupRoute, HostFacts, InterfaceKind, IpNet, Listener, PNP_GROUP, ServiceManager,
    group_label, group_name,
};

/// The PnP group on one interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceJoin {
    pub name: String,
    pub index: u32,
    pub kind: InterfaceKind,
    pub ipv4: Vec<IpNet>,
    pub joined: bool,
    /// How many sockets hold the membership (`None` when not joined).
    pub users: Option<u32>,
}

/// One membership, with the group's well-known name when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipRow {
    pub interface: String,
    pub interface_index: u32,
    pub group: IpAddr,
    pub group_name: Option<&'static str>,
    pub users: Option<u32>,
}

/// The `mcready.joins/v1` document.
#[derive(Debug, Serialize)]
pub struct JoinsDocument {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub group: Ipv4Addr,
    pub group_name: Option<&'static str>,
    /// Whether `memberships` lists every group (`--all`) or only `group`.
    pub all: bool,
    /// Whether any (listed) interface joined `group`.
    pub joined: bool,
    pub joined_on: Vec<String>,
    /// Where a join with `INADDR_ANY` lands: the OS's route for the group.
    pub group_route: Option<GroupRoute>,
    pub interfaces: Vec<InterfaceJoin>,
    pub memberships: Vec<MembershipRow>,
    /// UDP sockets bound to the PnP port and their owners: the process that hears phones, if any.
    pub listeners: Vec<Listener>,
    pub notes: Vec<GatherNote>,
    #[serde(skip)]
    pub quiet: bool,
    /// `-v`: the other groups each listed interface joined, `interface → groups`.
    #[serde(skip)]
    pub other_groups: Vec<(String, Vec<IpAddr>)>,
    #[serde(skip)]
    pub verbose: bool,
}

impl JoinsDocument {
    /// Evaluates the memberships of `facts` for `group`, limited to `only` when an interface is named.
    #[must_use]
    pub fn new(envelope: Envelope, group: Ipv4Addr, facts: HostFacts, only: Option<&str>, all: bool) -> Self {
        let group_ip = IpAddr::V4(group);
        let mut other_groups: Vec<(String, Vec<IpAddr>)> = Vec::new();
        for m in
            facts.memberships.iter().filter(|m| m.group != group_ip && only.is_none_or(|o| o == m.interface))
        {
            match other_groups.iter_mut().find(|(name, _)| *name == m.interface) {
                Some((_, groups)) => groups.push(m.group),
                None => other_groups.push((m.interface.clone(), vec![m.group])),
            }
        }
        let keep = |name: &str| only.is_none_or(|wanted| wanted == name);
        let interfaces: Vec<InterfaceJoin> = facts
            .interfaces
            .iter()
            .filter(|i| keep(&i.name))
            .map(|i| {
                let membership =
                    facts.memberships.iter().find(|m| m.group == group_ip && m.interface == i.name);
                InterfaceJoin {
                    name: i.name.clone(),
                    index: i.index,
                    kind: i.kind,
                    ipv4: i.ipv4.clone(),
                    joined: membership.is_some(),
                    users: membership.and_then(|m| m.users),
                }
            })
            .collect();
        let memberships: Vec<MembershipRow> = facts
            .memberships
            .iter()
            .filter(|m| keep(&m.interface) && (all || m.group == group_ip))
            .map(|m| MembershipRow {
                interface: m.interface.clone(),
                interface_index: m.interface_index,
                group: m.group,
                group_name: group_name(m.group),
                users: m.users,
            })
            .collect();
        let mut joined_on: Vec<String> = facts
            .memberships
            .iter()
            .filter(|m| m.group == group_ip && keep(&m.interface))
            .map(|m| m.interface.clone())
            .collect();
        joined_on.dedup();
        Self {
            envelope,
            group,
            group_name: group_name(group_ip),
            all,
            joined: !joined_on.is_empty(),
            joined_on,
            group_route: facts.group_route,
            interfaces,
            memberships,
            listeners: facts.listeners,
            notes: facts.notes,
            quiet: false,
            other_groups,
            verbose: false,
        }
    }

    fn group_label(&self) -> String {
        group_label(IpAddr::V4(self.group))
    }

    /// The answer, in one sentence: where the group is joined, or that it is joined nowhere.
    fn answer(&self) -> String {
        if self.joined {
            format!("{} is joined on {}.", self.group_label(), self.joined_on.join(", "))
        } else if self.group == IpAddr::V4(PNP_GROUP) {
            format!(
                "No interface has joined {}. Is the PBX running, with PnP enabled? (Joins appear here once it listens for phones.)",
                self.group_label()
            )
        } else {
            // Another group (`--group`): who should have joined it is the admin's knowledge, not ours.
            format!(
                "No interface has joined {}: no program on this host listens to that group now.",
                self.group_label()
            )
        }
    }

    /// "python3 (pid 812) holds udp 0.0.0.0:5060", one line per socket on the PnP port; with the
    /// service the process runs as when it is known ("asterisk (pid 812, systemd unit asterisk.service)").
    fn listener_lines(&self) -> Vec<String> {
        self.listeners
            .iter()
            .map(|l| {
                let owners: Vec<String> = l
                    .processes
                    .iter()
                    // A login session's scope says nothing a reader acts on: only services and
                    // containers are named.
                    .map(|p| match &p.service {
                        Some(service) if service.manager != ServiceManager::SystemdScope => {
                            format!("{} (pid {}, {})", p.name, p.pid, service.label())
                        }
                        _ => format!("{} (pid {})", p.name, p.pid),
                    })
                    .collect();
                let owner = if owners.is_empty() {
                    l.uid.map_or_else(
                        || "an unknown process".to_owned(),
                        |uid| format!("a process of uid {uid}"),
                    )
                } else {
                    owners.join(", ")
                };
                format!("{owner} holds {} {}", l.protocol, l.local)
            })
            .collect()
    }

    /// Where a PBX that joins without naming an interface would land, when that differs from the joins.
    fn route_hint(&self) -> Option<String> {
        let route = self.group_route.as_ref()?;
        Some(match &route.interface {
            Some(interface) => {
                format!("A join with INADDR_ANY lands on {interface} (the OS's route for the group).")
            }
            None => "The OS has no route for the group: a join with INADDR_ANY fails with ENODEV.".into(),
        })
    }
}

impl Document for JoinsDocument {
    const SCHEMA: &'static str = "mcready.joins/v1";

    fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        if !self.quiet {
            if self.all {
                let mut table = Table::new(vec!["IDX", "INTERFACE", "GROUP", "NAME", "USERS"]);
                for m in &self.memberships {
                    let is_pnp = m.group == IpAddr::V4(self.group);
                    table.row(vec![
                        m.interface_index.to_string().into(),
                        Cell::styled(m.interface.clone(), EMPHASIS),
                        Cell::styled(m.group.to_string(), if is_pnp { GOOD } else { anstyle::Style::new() }),
                        m.group_name.unwrap_or("").into(),
                        m.users.map_or_else(String::new, |u| u.to_string()).into(),
                    ]);
                }
                table.write(&mut out, 0);
            } else {
                let mut table = Table::new(vec!["IDX", "INTERFACE", "KIND", "IPV4", "JOINED", "USERS"]);
                for i in &self.interfaces {
                    table.row(vec![
                        i.index.to_string().into(),
                        Cell::styled(i.name.clone(), EMPHASIS),
                        i.kind.as_str().into(),
                        i.ipv4.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ").into(),
                        if i.joined { Cell::styled("yes", GOOD) } else { Cell::styled("no", DIM) },
                        i.users.map_or_else(String::new, |u| u.to_string()).into(),
                    ]);
                }
                table.write(&mut out, 0);
            }
            out.push('\n');
        }
        let mark = if self.joined { paint(GOOD, "✔") } else { paint(BAD, "✘") };
        let _ = writeln!(out, "{mark} {}", self.answer());
        if !self.quiet {
            if let Some(hint) = self.route_hint() {
                let _ = writeln!(
                    out,
                    "  {}",
                    paint(
                        if self.group_route.as_ref().is_some_and(|r| r.interface.is_some()) {
                            DIM
                        } else {
                            CAUTION
                        },
                        &hint
                    )
                );
            }
            for line in self.listener_lines() {
                let _ = writeln!(out, "  {line}");
            }
            if self.verbose && !self.all {
                for (interface, groups) in &self.other_groups {
                    let groups: Vec<String> = groups.iter().map(ToString::to_string).collect();
                    let _ = writeln!(
                        out,
                        "  {}",
                        paint(DIM, &format!("{interface} also joined {}", groups.join(", ")))
                    );
                }
            }
            write_notes(&mut out, &self.notes);
        }
        out
    }

    fn markdown_body(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "**{}** {}\n",
            if self.joined { "✔" } else { "✘" },
            markdown::escape(&self.answer())
        );
        if self.all {
            let rows: Vec<Vec<String>> = self
                .memberships
                .iter()
                .map(|m| {
                    vec![
                        m.interface_index.to_string(),
                        m.interface.clone(),
                        m.group.to_string(),
                        m.group_name.unwrap_or("").to_owned(),
                        m.users.map_or_else(String::new, |u| u.to_string()),
                    ]
                })
                .collect();
            out.push_str(&markdown::table(&["idx", "interface", "group", "name", "users"], &rows));
        } else {
            let rows: Vec<Vec<String>> = self
                .interfaces
                .iter()
                .map(|i| {
                    vec![
                        i.index.to_string(),
                        i.name.clone(),
                        i.kind.as_str().to_owned(),
                        i.ipv4.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
                        if i.joined { "yes" } else { "no" }.to_owned(),
                        i.users.map_or_else(String::new, |u| u.to_string()),
                    ]
                })
                .collect();
            out.push_str(&markdown::table(&["idx", "interface", "kind", "ipv4", "joined", "users"], &rows));
        }
        if let Some(hint) = self.route_hint() {
            let _ = writeln!(out, "\n{}", markdown::escape(&hint));
        }
        for line in self.listener_lines() {
            let _ = writeln!(out, "\n{}", markdown::escape(&line));
        }
        out
    }
}
