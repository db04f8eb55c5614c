//! `check`'s report for the monitoring an operator already runs: a Nagios/Icinga plugin line
//! ([`nagios`], the monitoring-plugins guidelines) and the Prometheus text exposition format for
//! the Node exporter's textfile collector ([`prometheus`]).

use std::fmt::Write as _;

use super::check::ReportDocument;
use crate::verdict::{Status, Verdict, nagios_state};

/// 0 pass, 1 warn, 2 fail; `None` for skip (performance data `U`).
fn level(status: Status) -> Option<u8> {
    match status {
        Status::Pass => Some(0),
        Status::Warn => Some(1),
        Status::Fail => Some(2),
        Status::Skip => None,
    }
}

fn verdict_level(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Pass => 0,
        Verdict::Warn => 1,
        Verdict::Fail => 2,
        Verdict::Incomplete => 3,
    }
}

/// The first accepting answer's round trip to the probe, in seconds: a refusal (489) is no answer.
fn answer_rtt_seconds(report: &ReportDocument) -> Option<f64> {
    report
        .facts
        .answers
        .iter()
        .filter(|a| a.accepted())
        .filter_map(|a| a.response_rtt_ms)
        .min_by(f64::total_cmp)
        .map(|ms| ms / 1000.0)
}

/// `MCREADY <STATE> - <summary> | <perfdata>`, then one line per check that is not pass. A check skipped
/// for lack of privilege makes the state WARNING at least, and the summary names what needs root or
/// `CAP_NET_RAW`; requirements left untested are named too.
#[must_use]
pub fn nagios(report: &ReportDocument) -> String {
    let privilege =
        report.untested.privileges(false).map(|list| format!("skipped for lack of privilege: {list}"));
    let (state, _) = nagios_state(report.verdict, report.envelope.interrupted, privilege.is_some());
    let failing: Vec<&str> = report
        .requirements
        .iter()
        .filter(|r| matches!(r.status, Status::Warn | Status::Fail))
        .map(|r| r.id)
        .collect();
    let summary = match (report.verdict, report.envelope.interrupted) {
        (_, true) => format!(
            "interrupted before the checklist ended (cut short: {})",
            report.envelope.cut_short.join(", ")
        ),
        (Verdict::Pass, _) => "ready for PnP provisioning".to_owned(),
        (Verdict::Incomplete, _) => "nothing could be decided".to_owned(),
        (Verdict::Warn, _) => format!("ready, with warnings: {}", failing.join(", ")),
        (Verdict::Fail, _) => format!("not ready: {}", failing.join(", ")),
    };
    let summary =
        [Some(summary), privilege, report.untested.requirement_ids().map(|l| format!("untested: {l}"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
    let summary = one_line(&summary);
    // `'label'=value[UOM];[warn];[crit];[min];[max]`; labels are quoted, so the ids keep their dashes.
    let mut perf = vec![format!("'verdict'={};1;2;0;3", verdict_level(report.verdict))];
    for requirement in &report.requirements {
        match level(requirement.status) {
            Some(value) => perf.push(format!("'{}'={value};1;2;0;2", requirement.id)),
            None => perf.push(format!("'{}'=U", requirement.id)),
        }
    }
    perf.push(format!("'phones_heard'={};;;0", report.facts.phones.len()));
    match answer_rtt_seconds(report) {
        Some(rtt) => perf.push(format!("'answer_rtt'={rtt:.4}s;;;0")),
        None => perf.push("'answer_rtt'=U".to_owned()),
    }
    let mut out = format!("MCREADY {state} - {summary} | {}\n", perf.join(" "));
    for requirement in &report.requirements {
        for check in requirement.checks.iter().filter(|c| c.status != Status::Pass) {
            let _ = writeln!(
                out,
                "{} {}: {}",
                check.status.as_str().to_uppercase(),
                check.id,
                one_line(&check.summary)
            );
        }
    }
    out
}

/// Plugin output is line-based: a `|` would start performance data.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ").replace('|', "/")
}

/// A label value escaped for the exposition format.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// The Prometheus text exposition format, no timestamps: a state set per requirement and per check
/// (one sample per status, 1 for the current one), the verdict, phones heard, the answer's round
/// trip, the run's time and whether it completed. `now` is the run's end in Unix seconds.
#[must_use]
pub fn prometheus(report: &ReportDocument, now: f64) -> String {
    const STATUSES: [Status; 4] = [Status::Pass, Status::Warn, Status::Fail, Status::Skip];
    let mut out = String::new();
    family(
        &mut out,
        "mcready_requirement_status",
        "Each PnP readiness requirement's status: 1 for the current one.",
    );
    for requirement in &report.requirements {
        for status in STATUSES {
            let _ = writeln!(
                out,
                "mcready_requirement_status{{requirement=\"{}\",status=\"{}\"}} {}",
                label(requirement.id),
                status.as_str(),
                u8::from(requirement.status == status)
            );
        }
    }
    family(
        &mut out,
        "mcready_check_status",
        "Each check's status (`mcready explain ID` says what an id means): 1 for the current one.",
    );
    // The labels are the registry's: its ids, its requirement of each, its order; a check the run did
    // not ask for has no series.
    let decided = report.requirements.iter().flat_map(|r| &r.checks);
    for def in crate::checks::registry::CHECKS {
        let Some(check) = decided.clone().find(|c| c.id == def.id) else { continue };
        for status in STATUSES {
            let _ = writeln!(
                out,
                "mcready_check_status{{check=\"{}\",requirement=\"{}\",status=\"{}\"}} {}",
                label(def.id),
                label(def.requirement),
                status.as_str(),
                u8::from(check.status == status)
            );
        }
    }
    family(
        &mut out,
        "mcready_requirement_untested",
        "1 when the check a requirement rests on lacked its evidence (e.g. no --peer or --listen).",
    );
    for requirement in &report.requirements {
        let _ = writeln!(
            out,
            "mcready_requirement_untested{{requirement=\"{}\"}} {}",
            label(requirement.id),
            u8::from(report.untested.requirement(requirement.id))
        );
    }
    family(
        &mut out,
        "mcready_checks_untested",
        "Checks skipped for lack of evidence or of a privilege (root, CAP_NET_RAW), by what they lacked.",
    );
    for lacked in ["evidence", "privilege"] {
        let count = report.untested.checks.iter().filter(|c| c.lacked == lacked).count();
        let _ = writeln!(out, "mcready_checks_untested{{lacked=\"{lacked}\"}} {count}");
    }
    family(&mut out, "mcready_verdict", "The verdict: 0 pass, 1 warn, 2 fail, 3 incomplete.");
    let _ = writeln!(out, "mcready_verdict {}", verdict_level(report.verdict));
    family(&mut out, "mcready_phones_heard", "Phones heard sending a PnP SUBSCRIBE during the run.");
    let _ = writeln!(out, "mcready_phones_heard {}", report.facts.phones.len());
    if let Some(rtt) = answer_rtt_seconds(report) {
        family(
            &mut out,
            "mcready_answer_rtt_seconds",
            "Round trip of the first PnP server's answer to the probe.",
        );
        let _ = writeln!(out, "mcready_answer_rtt_seconds {rtt}");
    }
    family(
        &mut out,
        "mcready_last_run_timestamp_seconds",
        "When this run of mcready check ended (Unix time).",
    );
    let _ = writeln!(out, "mcready_last_run_timestamp_seconds {now:.3}");
    family(
        &mut out,
        "mcready_run_success",
        "1 when the run completed and decided something, 0 when it was interrupted or decided nothing.",
    );
    let success = !report.envelope.interrupted && report.verdict != Verdict::Incomplete;
    let _ = writeln!(out, "mcready_run_success {}", u8::from(success));
    out
}
