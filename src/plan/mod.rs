//! `mcready fix`'s plan, pure: a check report's failing and warning checks → the steps of their typed
//! fixes in order, each once, with its class, what this run does with it (apply, ask, print, refuse) and
//! the checks that must turn green once it ran. Also the guard (steps that would take down what the
//! phones depend on are refused) and the undo of a step from the state read before it. What a step's
//! tool knows — the test that it is in place, the command that reads what it changes, how it is kept —
//! its writer in `managers` put on the step. Values in, values out: the executor (`repair`) runs them.

pub mod journal;
pub mod keep;
pub mod native;

use serde::{Deserialize, Serialize};

use crate::fix::{Class, Fix, Manager, Os, Persistence, Step};

/// One check of a `mcready.report/v1` document, as the plan reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckFix {
    pub id: String,
    /// `pass`, `warn`, `fail` or `skip`.
    pub status: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub remedy: Option<String>,
    #[serde(default)]
    pub fix: Option<Fix>,
}

impl CheckFix {
    /// Whether the check asks for a fix.
    #[must_use]
    pub fn failing(&self) -> bool {
        self.status == "fail" || self.status == "warn"
    }
}

/// What the plan needs of a check report: its checks in the report's order, and the interfaces the
/// guard protects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportRead {
    pub checks: Vec<CheckFix>,
    pub pnp_interface: Option<String>,
    /// Interfaces a default route leaves by.
    pub default_route: Vec<String>,
}

/// Reads a `check --json` document.
///
/// # Errors
/// When the text is no check report.
pub fn read_report(json: &str) -> Result<ReportRead, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("the check's report is not JSON: {e}"))?;
    let requirements = value["requirements"].as_array().ok_or("the check's report has no requirements")?;
    let mut checks = Vec::new();
    for check in requirements.iter().filter_map(|r| r["checks"].as_array()).flatten() {
        checks.push(
            CheckFix::deserialize(check).map_err(|e| format!("a check of the report cannot be read: {e}"))?,
        );
    }
    let default_route = value["facts"]["routes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["destination"] == "0.0.0.0/0")
        .filter_map(|r| r["interface"].as_str().map(str::to_owned))
        .collect();
    Ok(ReportRead {
        checks,
        pnp_interface: value["target"]["interface"].as_str().map(str::to_owned),
        default_route,
    })
}

/// What the guard protects on this host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protected {
    /// The PnP interface, and what it rides on (its VLAN parent, its bridge, its bond).
    pub pnp: Vec<String>,
    /// The adapters default routes leave by.
    pub default_route: Vec<String>,
    /// Bridges with a container's or a virtual machine's port (veth, tap, vnet).
    pub guest_bridges: Vec<String>,
}

/// Why this run does not apply a step, or that it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Safe (or disruptive and allowed): applied with `--apply`.
    Apply,
    /// Disruptive: applied only with `--allow-disruptive`, or a yes on a terminal.
    Ask,
    /// Manual, or written for another OS: printed only.
    Print,
    /// Refused by the guard: never applied.
    Refuse,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep {
    /// 1, 2, 3… in the order the steps run.
    pub number: usize,
    #[serde(flatten)]
    pub step: Step,
    /// The checks whose fix has this step.
    pub checks: Vec<String>,
    /// The checks that must pass once this step ran (it is their fix's last step this run applies); empty
    /// when no check can tell on its own (their fix waits for a step outside this run).
    pub verifies: Vec<String>,
    pub action: Action,
    /// Why the step is printed or refused, or what its checks still wait for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub steps: Vec<PlannedStep>,
    /// Failing or warning checks with no typed fix (their remedy is words only).
    pub unfixed: Vec<String>,
    /// What the guard protected when the plan was made; the executor holds every step to it again.
    #[serde(skip)]
    pub protected: Protected,
}

impl Plan {
    /// Whether the plan has anything for the administrator to do.
    #[must_use]
    pub fn has_steps(&self) -> bool {
        !self.steps.is_empty() || !self.unfixed.is_empty()
    }
}

/// What the plan is made for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--only CHECK_ID`: these checks alone (all when empty).
    pub only: Vec<String>,
    pub allow_disruptive: bool,
    /// The OS this host runs (steps for another are printed only).
    pub os: Option<Os>,
    pub protected: Protected,
}

/// The plan for `checks`: the steps of every failing or warning check's fix, in the report's order, each
/// step once (the same command in two fixes runs once and counts for both).
#[must_use]
pub fn plan(checks: &[CheckFix], options: &Options) -> Plan {
    let mut plan = Plan { protected: options.protected.clone(), ..Plan::default() };
    let wanted = |c: &&CheckFix| c.failing() && (options.only.is_empty() || options.only.contains(&c.id));
    for check in checks.iter().filter(wanted) {
        let Some(fix) = check.fix.as_ref().filter(|f| !f.steps.is_empty()) else {
            plan.unfixed.push(check.id.clone());
            continue;
        };
        for step in &fix.steps {
            let same = |p: &&mut PlannedStep| {
                if step.command.is_empty() {
                    p.step.command.is_empty() && p.step.changes == step.changes
                } else {
                    p.step.command == step.command
                }
            };
            if let Some(at) = plan.steps.iter_mut().position(|p| same(&p)) {
                let known = &mut plan.steps[at];
                if !known.checks.contains(&check.id) {
                    known.checks.push(check.id.clone());
                }
                // A step with nothing to undo that comes again (`firewall-cmd --reload`, a restart)
                // acts on what the steps before it did: it runs once, after the last of them.
                if known.step.undo.is_none() && known.step.class != Class::Manual {
                    let moved = plan.steps.remove(at);
                    plan.steps.push(moved);
                }
                continue;
            }
            let (action, note) = decide(step, options);
            plan.steps.push(PlannedStep {
                number: plan.steps.len() + 1,
                step: step.clone(),
                checks: vec![check.id.clone()],
                verifies: Vec::new(),
                action,
                note,
            });
        }
    }
    for (i, step) in plan.steps.iter_mut().enumerate() {
        step.number = i + 1;
    }
    assign_verification(&mut plan, checks);
    plan
}

/// The note of every macOS step: mcready plans there, and neither applies nor keeps.
pub const MACOS: &str = "macOS: plan only — mcready neither applies nor keeps a fix on macOS; run the command \
                         yourself, and make it last as the check's remedy says";

/// A step's action, and why when it is not applied.
fn decide(step: &Step, options: &Options) -> (Action, Option<String>) {
    if step.class == Class::Manual || step.command.is_empty() {
        return (Action::Print, Some("manual: done by a person, outside what mcready runs".into()));
    }
    if step.os == Os::Macos {
        return (Action::Print, Some(MACOS.into()));
    }
    if options.os.is_some_and(|os| os != step.os) {
        return (Action::Print, Some("written for another OS".into()));
    }
    // Windows: the executor runs typed operations only (IP Helper, the firewall's COM policy, the
    // service manager), never a PowerShell line; a step without one is the administrator's to run.
    if step.os == Os::Windows && step.native.is_none() {
        return (Action::Print, Some("no typed operation: run its PowerShell command by hand".into()));
    }
    if let Some(why) = refusal(step, &options.protected) {
        return (Action::Refuse, Some(why));
    }
    if step.class == Class::Disruptive && !options.allow_disruptive {
        return (
            Action::Ask,
            Some("disruptive: applied with --allow-disruptive, or a yes on a terminal".into()),
        );
    }
    (Action::Apply, None)
}

/// The checks that judge the PBX's own join: a PBX joins only when it starts, so these pass only after
/// its restart; every other check judges the host, and a PBX restart in its fix does not hold it back.
const PBX_JOIN_CHECKS: [&str; 3] =
    ["membership.on-pnp-interface", "membership.pbx-answers", "membership.other-adapters"];

/// Each check's last applied step verifies it, unless its fix also needs a step this run does not take
/// at runtime (a restart left to a person, a disruptive step not allowed): then no step of it can be
/// judged by the check, and the step says what it waits for. A lasting step (keep the route in a file)
/// changes nothing the check sees now, and a PBX restart holds back only the checks of its join.
fn assign_verification(plan: &mut Plan, checks: &[CheckFix]) {
    for check in checks {
        let joins = PBX_JOIN_CHECKS.contains(&check.id.as_str());
        let mine: Vec<usize> = plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.checks.contains(&check.id) && (joins || !s.step.rejoins))
            .map(|(i, _)| i)
            .collect();
        let runs = |i: &usize| plan.steps[*i].action == Action::Apply;
        let blocks = |i: &usize| !runs(i) && plan.steps[*i].step.persistence == Persistence::Runtime;
        let blocking: Vec<usize> = mine.iter().copied().filter(blocks).collect();
        let Some(&last) = mine.iter().rfind(|i| runs(i)) else { continue };
        if let Some(&first_blocking) = blocking.first() {
            let waits = &plan.steps[first_blocking];
            let note =
                format!("{} passes only after step {} ({})", check.id, waits.number, waits.step.changes);
            let step = &mut plan.steps[last];
            step.note = Some(step.note.take().map_or_else(|| note.clone(), |n| format!("{n}; {note}")));
        } else {
            plan.steps[last].verifies.push(check.id.clone());
        }
    }
}

/// Why the guard refuses a step: one that takes down the PnP interface or what it rides on, the
/// default-route adapter or a bridge carrying containers or virtual machines, or that changes a
/// network's profile or zone assignment. `None` for every other step.
#[must_use]
pub fn refusal(step: &Step, protected: &Protected) -> Option<String> {
    let command = step.command.as_str();
    let words: Vec<&str> = command.split_whitespace().filter(|w| *w != "sudo").collect();
    let zone_change = ["--change-interface", "--change-zone", "--set-default-zone", "--remove-interface"];
    if words.iter().any(|w| zone_change.iter().any(|z| w.starts_with(z)))
        || command.contains("connection.zone")
        || command.contains("Set-NetConnectionProfile")
    {
        return Some("it changes a network's zone or profile assignment: mcready never does".into());
    }
    let target = taken_down(&words)?;
    let why = if protected.pnp.contains(&target) {
        "the PnP interface, or what it rides on"
    } else if protected.default_route.contains(&target) {
        "the adapter of the default route"
    } else if protected.guest_bridges.contains(&target) {
        "a bridge carrying containers or virtual machines"
    } else {
        return None;
    };
    Some(format!("it takes down {target}, {why}: mcready never does"))
}

/// The interface a command takes down (`ip link set X down`, `ip link del X`, `nmcli device disconnect
/// X`, `ip addr flush dev X`, `Disable-NetAdapter -Name X`).
fn taken_down(words: &[&str]) -> Option<String> {
    let clean = |w: &str| w.trim_matches(|c| c == '\'' || c == '"').to_owned();
    match words {
        ["ip", "link", "set", "dev", name, rest @ ..] | ["ip", "link", "set", name, rest @ ..]
            if rest.contains(&"down") || rest.contains(&"nomulticast") || rest == ["multicast", "off"] =>
        {
            Some(clean(name))
        }
        ["ip", "link", "del" | "delete", "dev", name, ..]
        | ["ip", "link", "del" | "delete", name, ..]
        | ["ip", "addr" | "address", "flush", "dev", name, ..]
        | ["nmcli", "device", "disconnect", name, ..]
        | ["Disable-NetAdapter", "-Name", name, ..] => Some(clean(name)),
        _ => None,
    }
}

/// The undo of a step: its own, or for a `sysctl -w` written without the values it replaces, the same
/// keys set back to the values its reader printed before it ran (`before`).
#[must_use]
pub fn undo_of(step: &Step, before: &str) -> Option<String> {
    if step.undo.is_some() {
        return step.undo.clone();
    }
    if step.manager != Manager::Sysctl {
        return None;
    }
    crate::managers::sysctl::undo_from_read(step.reads.as_deref()?, before)
}

/// What happened to one step this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "result", content = "why")]
pub enum StepResult {
    /// Its change was in place before: nothing run.
    AlreadyInPlace,
    /// Run, and its checks passed afterwards.
    Verified,
    /// Taken back (`--undo`, the revert), and the state read before it is back exactly.
    Undone,
    /// Run and kept, not verified: no check can judge it on its own (it waits for another step), or its
    /// check could not decide (`skip`). Says which.
    Applied(String),
    /// Run, its checks still failed, and it was undone.
    RolledBack(String),
    /// Its command failed.
    Failed(String),
    /// Not run: manual, refused, disruptive without a yes, or another OS's.
    NotRun(String),
    /// Confirmed and kept after a reboot: where (the file, or the manager's command).
    Kept(String),
    /// Confirmed, but not kept after a reboot: why (the manager's check refused it, no file to edit…).
    NotKept(String),
    /// Its lasting form taken back (`--undo`): the file as before, or the manager's undo run.
    Unkept(String),
}

impl StepResult {
    /// Whether the step leaves something for the administrator to do.
    #[must_use]
    pub fn remains(&self) -> bool {
        !matches!(
            self,
            Self::AlreadyInPlace
                | Self::Verified
                | Self::Applied(_)
                | Self::Undone
                | Self::Kept(_)
                | Self::Unkept(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failing(id: &str, steps: Vec<Step>) -> CheckFix {
        CheckFix {
            id: id.into(),
            status: "fail".into(),
            summary: String::new(),
            remedy: None,
            fix: Some(Fix { text: String::new(), steps }),
        }
    }

    fn route() -> Step {
        crate::managers::ip::route_add("224.0.0.0/4", "eth0")
    }

    fn restart() -> Step {
        Step::new(
            Os::Linux,
            Manager::ServiceManager,
            "restart the PBX so it joins again",
            "sudo systemctl restart pbx",
        )
        .disruptive()
        .rejoins()
    }

    fn linux() -> Options {
        Options { os: Some(Os::Linux), ..Options::default() }
    }

    #[test]
    fn a_step_in_two_fixes_runs_once_and_counts_for_both() {
        let checks = [
            failing("membership.group-route", vec![route(), restart()]),
            failing("membership.on-pnp-interface", vec![route(), restart()]),
            CheckFix { status: "pass".into(), ..failing("multicast.rp-filter", vec![route()]) },
        ];
        let plan = plan(&checks, &linux());
        assert_eq!(plan.steps.len(), 2, "{plan:#?}");
        assert_eq!(plan.steps[0].checks, ["membership.group-route", "membership.on-pnp-interface"]);
        // The route is judged by the route's check; the join's check waits for the restart.
        assert_eq!(plan.steps[0].verifies, ["membership.group-route"]);
        assert!(plan.steps[0].note.as_deref().unwrap_or_default().contains("only after step 2"), "{plan:#?}");
        assert_eq!(plan.steps[1].action, Action::Ask);
        let allowed = super::plan(&checks, &Options { allow_disruptive: true, ..linux() });
        assert_eq!(allowed.steps[1].action, Action::Apply);
        assert_eq!(allowed.steps[1].verifies, ["membership.on-pnp-interface"]);
    }

    #[test]
    fn a_reload_two_fixes_need_runs_once_after_both() {
        let rich = |what: &str| {
            Step::new(
                Os::Linux,
                Manager::Firewalld,
                what,
                format!("sudo firewall-cmd --permanent --add-rich-rule='{what}'"),
            )
            .undo("x")
        };
        let reload = || Step::new(Os::Linux, Manager::Firewalld, "reload", "sudo firewall-cmd --reload");
        let checks = [
            failing("multicast.host-firewall", vec![rich("sip"), reload()]),
            failing("multicast.host-firewall-igmp", vec![rich("igmp"), reload()]),
        ];
        let plan = plan(&checks, &linux());
        let commands: Vec<&str> = plan.steps.iter().map(|s| s.step.changes.as_str()).collect();
        assert_eq!(commands, ["sip", "igmp", "reload"]);
        assert_eq!(plan.steps.iter().map(|s| s.number).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(plan.steps[2].verifies, ["multicast.host-firewall", "multicast.host-firewall-igmp"]);
    }

    #[test]
    fn only_manual_and_other_os_steps_are_printed() {
        let checks = [
            failing("multicast.igmp-querier", vec![Step::manual("enable a querier")]),
            failing("x.windows", vec![Step::new(Os::Windows, Manager::IpHelper, "route", "New-NetRoute")]),
            CheckFix { fix: None, ..failing("phone.expected-phones", vec![]) },
        ];
        let plan = plan(&checks, &Options { only: vec![], ..linux() });
        assert!(plan.steps.iter().all(|s| s.action == Action::Print), "{plan:#?}");
        assert_eq!(plan.unfixed, ["phone.expected-phones"]);
        let only = super::plan(&checks, &Options { only: vec!["multicast.igmp-querier".into()], ..linux() });
        assert_eq!(only.steps.len(), 1);
        assert!(only.unfixed.is_empty());
    }

    #[test]
    fn macos_steps_are_plan_only_and_say_so_on_every_host() {
        let route = crate::managers::networksetup::route_add("224.0.0.0/4", "en0");
        let checks = [failing("membership.group-route", vec![route])];
        for os in [Os::Macos, Os::Linux] {
            let plan = plan(&checks, &Options { os: Some(os), ..Options::default() });
            assert_eq!(plan.steps[0].action, Action::Print, "{plan:#?}");
            assert!(plan.steps[0].note.as_deref().is_some_and(|n| n.starts_with("macOS: plan only")));
        }
    }

    #[test]
    fn the_guard_refuses_what_the_phones_or_the_host_depend_on() {
        let protected = Protected {
            pnp: vec!["eth0".into(), "eth0.100".into()],
            default_route: vec!["wan".into()],
            guest_bridges: vec!["docker0".into()],
        };
        let down =
            |name: &str| Step::new(Os::Linux, Manager::Ip, "down", format!("sudo ip link set {name} down"));
        for name in ["eth0", "eth0.100", "wan", "docker0"] {
            assert!(refusal(&down(name), &protected).is_some(), "{name}");
        }
        assert!(refusal(&down("wlan0"), &protected).is_none());
        let zone = Step::new(
            Os::Linux,
            Manager::Firewalld,
            "zone",
            "sudo firewall-cmd --zone=trusted --change-interface=eth0",
        );
        assert!(refusal(&zone, &Protected::default()).is_some());
        let nm = Step::new(Os::Linux, Manager::NetworkManager, "x", "sudo nmcli device disconnect eth0");
        assert!(refusal(&nm, &protected).is_some());
        let checks = [failing("membership.other-adapters", vec![down("wan").disruptive()])];
        let plan = plan(&checks, &Options { protected, allow_disruptive: true, ..linux() });
        assert_eq!(plan.steps[0].action, Action::Refuse, "{plan:#?}");
    }

    #[test]
    fn a_sysctl_without_previous_values_is_set_back_to_the_values_read_before_it() {
        let sysctl = crate::managers::sysctl::set(
            "loose",
            &[
                crate::managers::sysctl::Setting::new("net.ipv4.conf.all.rp_filter", 2, None),
                crate::managers::sysctl::Setting::new("net.ipv4.conf.lan/100.rp_filter", 2, None),
            ],
        );
        assert!(sysctl.undo.is_none());
        let before = "net.ipv4.conf.all.rp_filter = 1\nnet.ipv4.conf.lan.100.rp_filter = 1\n";
        assert_eq!(
            undo_of(&sysctl, before).as_deref(),
            Some("sudo sysctl -w net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.lan/100.rp_filter=1")
        );
        assert_eq!(undo_of(&route(), "").as_deref(), Some("sudo ip route del 224.0.0.0/4 dev eth0"));
    }

    #[test]
    fn a_check_report_is_read_with_its_guarded_interfaces() {
        let json = r#"{"target":{"interface":"eth0"},"facts":{"routes":[
            {"destination":"0.0.0.0/0","interface":"wan"},
            {"destination":"224.0.0.0/4","interface":"eth0"}]},
            "requirements":[{"checks":[{"id":"a.b","status":"fail","summary":"s","remedy":"r","evidence":{},
            "fix":{"steps":[{"changes":"c","os":"linux","manager":"ip","command":"x","persistence":"runtime","undo":null,"class":"safe"}]}}]}]}"#;
        let read = read_report(json).unwrap();
        assert_eq!(read.pnp_interface.as_deref(), Some("eth0"));
        assert_eq!(read.default_route, ["wan"]);
        assert_eq!(read.checks[0].fix.as_ref().unwrap().steps[0].manager, Manager::Ip);
        assert!(read_report("{}").is_err());
    }
}
