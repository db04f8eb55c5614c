//! `phone-pnp` past the SUBSCRIBE: each phone's stages (its file, its registration) as the PBX host's
//! capture saw them, judged. Only what the capture proves is blamed: a stage "not visible here" (a
//! file server or registrar on another host, SIP over TLS) is never a failure, and a window without a
//! capture says `skip` with the reason.
//!
//! - `phone.file-requested`: a phone given a URL on this host asked for its file (fail: it never did).
//! - `phone.file-fetched`: the file came (fail: 404, 401, 403, a TFTP error, a refused connection).
//! - `phone.tls-handshake`: the HTTPS handshake completed (fail: the phone abandoned it).
//! - `phone.registration`: the REGISTER to this host succeeded (warn: refused — provisioning worked,
//!   the account did not).

use serde_json::json;

use super::check;
use crate::fix::{Fix, Step};
use crate::observed::{ListenReport, Phone, Stage, StageKind, StageResult};
use crate::snapshot::Snapshot;
use crate::verdict::{Check, Status};

pub const FILE_REQUESTED: &str = "phone.file-requested";
pub const FILE_FETCHED: &str = "phone.file-fetched";
pub const TLS_HANDSHAKE: &str = "phone.tls-handshake";
pub const REGISTRATION: &str = "phone.registration";

/// The phone in a few words: `00:15:65:aa:bb:cc (yealink W52P) at 198.51.100.7`.
fn name(phone: &Phone) -> String {
    let model = [phone.vendor.as_deref(), phone.model.as_deref()].into_iter().flatten().collect::<Vec<_>>();
    let model = if model.is_empty() { String::new() } else { format!(" ({})", model.join(" ")) };
    match &phone.mac {
        Some(mac) => format!("{mac}{model} at {}", phone.source.ip()),
        None => format!("{}{model}", phone.source.ip()),
    }
}

/// The window with phones that have stages, or why there is nothing to judge (the `skip`'s summary).
fn window(snapshot: &Snapshot) -> Result<&ListenReport, String> {
    let listen = snapshot
        .listen
        .done()
        .ok_or_else(|| "No listening window: run with `--listen 120` and reboot a phone.".to_owned())?;
    if listen.phones.is_empty() {
        return Err("No phone was heard in the window.".into());
    }
    if listen.phones.iter().all(|p| p.stages.is_empty()) {
        return Err("The phones' stages need the passive capture (root or CAP_NET_RAW on this host); the window had none."
            .into());
    }
    Ok(listen)
}

/// Each phone's stages of `kinds` whose protocol passes `protocol`, with the phone.
fn stages_of<'a>(
    listen: &'a ListenReport,
    kinds: &[StageKind],
    protocol: fn(Option<&str>) -> bool,
) -> Vec<(&'a Phone, &'a Stage)> {
    let mut found = Vec::new();
    for phone in &listen.phones {
        for stage in &phone.stages {
            if kinds.contains(&stage.stage) && protocol(stage.protocol.as_deref()) {
                found.push((phone, stage));
            }
        }
    }
    found
}

fn evidence(found: &[(&Phone, &Stage)]) -> serde_json::Value {
    let stages: Vec<serde_json::Value> =
        found.iter().map(|(phone, stage)| json!({"phone": phone.mac.clone().unwrap_or_else(|| phone.source.to_string()), "stage": stage})).collect();
    json!({"stages": stages})
}

/// The verdict of a list of stages: the failures first (with their fix), then the unfinished, the
/// passes, and what this host cannot see.
fn judge(
    id: &'static str,
    found: &[(&Phone, &Stage)],
    (bad, unfinished_status): (Status, Status),
    fix: impl Fn(&[(&Phone, &Stage)]) -> Fix,
    none: &str,
) -> Check {
    let line = |(phone, stage): &(&Phone, &Stage)| format!("{}: {}", name(phone), stage.detail);
    let with =
        |result: StageResult| found.iter().filter(|(_, s)| s.result == result).copied().collect::<Vec<_>>();
    let failed: Vec<_> = found
        .iter()
        .filter(|(_, s)| matches!(s.result, StageResult::Failed | StageResult::NotSeen))
        .copied()
        .collect();
    if !failed.is_empty() {
        let lines: Vec<String> = failed.iter().map(line).collect();
        return check(id, bad, format!("{}.", lines.join("; ")), Some(fix(&failed)), evidence(found));
    }
    let unfinished = with(StageResult::Unfinished);
    if !unfinished.is_empty() {
        let lines: Vec<String> = unfinished.iter().map(line).collect();
        let fix = Fix::one(
            "Listen longer (`--listen 300`) and reboot the phone: the window ended before this stage did.",
            Step::manual("reboot the phone while mcready listens longer"),
        );
        let fix = (unfinished_status != Status::Skip).then_some(fix);
        return check(id, unfinished_status, format!("{}.", lines.join("; ")), fix, evidence(found));
    }
    let passed = with(StageResult::Ok);
    if !passed.is_empty() {
        let lines: Vec<String> = passed.iter().map(line).collect();
        return check(id, Status::Pass, format!("{}.", lines.join("; ")), None, evidence(found));
    }
    let hidden = with(StageResult::NotVisible);
    let summary = match hidden.first() {
        Some(first) => format!("{} (not visible here).", line(first)),
        None => none.to_owned(),
    };
    check(id, Status::Skip, summary, None, evidence(found))
}

/// A phone given a URL on this host asked for its file.
pub fn file_requested(snapshot: &Snapshot) -> Check {
    let listen = match window(snapshot) {
        Ok(listen) => listen,
        Err(why) => return check(FILE_REQUESTED, Status::Skip, why, None, json!({})),
    };
    let found: Vec<_> = stages_of(listen, &[StageKind::FileRequest], |_| true);
    judge(
        FILE_REQUESTED,
        &found,
        (Status::Fail, Status::Skip),
        |failed| {
            let phones: Vec<String> = failed.iter().map(|(p, _)| p.source.ip().to_string()).collect();
            Fix::one(
                format!(
                    "Make the provisioning URL reachable from the phones ({}): the file server must listen on the URL's \
                     address and port on the interface facing them, this host's firewall must accept that port (tcp/80, \
                     tcp/443, udp/69 for TFTP) from their subnet, and the URL must name an address they can reach; then \
                     reboot a phone while mcready listens.",
                    phones.join(", ")
                ),
                Step::manual("open the file server to the phones, then reboot a phone"),
            )
        },
        "No phone was given a provisioning URL by this host in the window.",
    )
}

/// The file came: HTTP 2xx or 3xx, TFTP DATA. HTTPS is judged by [`tls_handshake`].
pub fn file_fetched(snapshot: &Snapshot) -> Check {
    let listen = match window(snapshot) {
        Ok(listen) => listen,
        Err(why) => return check(FILE_FETCHED, Status::Skip, why, None, json!({})),
    };
    let found: Vec<_> = stages_of(listen, &[StageKind::FileAnswer], |p| p != Some("https"));
    judge(
        FILE_FETCHED,
        &found,
        (Status::Fail, Status::Warn),
        |failed| {
            let mut advice = Vec::new();
            for (_, stage) in failed {
                let said = match (stage.protocol.as_deref(), stage.status) {
                    (Some("http"), Some(404)) | (Some("tftp"), Some(1)) => {
                        "no file at that path: put the phone's file there (named as the URL says, often by its MAC in \
                         lower case) or correct the URL's path on the PBX"
                    }
                    (Some("http"), Some(401 | 403)) | (Some("tftp"), Some(2)) => {
                        "the server refuses the phone: put the credentials in the URL the PBX sends (user:password@host), \
                         or let the phones' subnet fetch without them"
                    }
                    (Some("tcp" | "http"), None) => {
                        "nothing answers on the URL's port: start the file server, or correct the URL's port"
                    }
                    _ => "make the file server answer the URL with the file (see the status above)",
                };
                if !advice.contains(&said) {
                    advice.push(said);
                }
            }
            Fix::one(
                format!("{}; then reboot a phone while mcready listens.", advice.join("; ")),
                Step::manual("serve the phone's file at the URL, then reboot a phone"),
            )
        },
        "No phone asked for its file over HTTP or TFTP in the window.",
    )
}

/// The phones completed their TLS handshake with the file server.
pub fn tls_handshake(snapshot: &Snapshot) -> Check {
    let listen = match window(snapshot) {
        Ok(listen) => listen,
        Err(why) => return check(TLS_HANDSHAKE, Status::Skip, why, None, json!({})),
    };
    let found: Vec<_> = stages_of(listen, &[StageKind::FileAnswer], |p| p == Some("https"));
    judge(
        TLS_HANDSHAKE,
        &found,
        (Status::Fail, Status::Warn),
        |_| {
            Fix::one(
                "Give the file server a certificate the phones trust: one issued by a CA their firmware knows, or load \
                 your CA into the phones (most provision a custom CA certificate), valid for the URL's host name and not \
                 expired; or serve the file over plain HTTP on a trusted network. Then reboot a phone while mcready \
                 listens.",
                Step::manual("install a certificate the phones trust on the file server"),
            )
        },
        "No phone fetched its file over HTTPS in the window.",
    )
}

/// The REGISTER to this host succeeded; a refusal is a warning: the provisioning worked, the account
/// did not.
pub fn registration(snapshot: &Snapshot) -> Check {
    let listen = match window(snapshot) {
        Ok(listen) => listen,
        Err(why) => return check(REGISTRATION, Status::Skip, why, None, json!({})),
    };
    let found: Vec<_> = stages_of(listen, &[StageKind::Register, StageKind::RegisterAnswer], |_| true)
        .into_iter()
        .filter(|(_, s)| s.stage == StageKind::RegisterAnswer || s.result == StageResult::NotVisible)
        .collect();
    judge(
        REGISTRATION,
        &found,
        (Status::Warn, Status::Warn),
        |_| {
            Fix::one(
                "Check the phone's account on the PBX: the extension exists and is enabled, and the user name and \
                 password the provisioning file gives the phone are the PBX's (a 403 or 404 refuses the account, a 401 \
                 never followed by success refuses the credentials); then reboot the phone.",
                Step::manual("correct the phone's account in the PBX or in its provisioning file"),
            )
        },
        "No phone sent a REGISTER to this host in the window.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{listened, phone};
    use crate::observed::Observed;

    fn stage(
        kind: StageKind,
        result: StageResult,
        protocol: &str,
        status: Option<u16>,
        detail: &str,
    ) -> Stage {
        let mut stage = Stage::new(kind, result, Some(1200), detail.into());
        stage.protocol = Some(protocol.into());
        stage.status = status;
        stage
    }

    fn snapshot(stages: Vec<Stage>) -> Snapshot {
        let mut snapshot = crate::checks::fixtures::healthy();
        let mut heard = phone("198.51.100.7", "00:15:65:aa:bb:cc");
        heard.stages = stages;
        snapshot.listen = listened(vec![heard]);
        snapshot
    }

    #[test]
    fn a_file_never_asked_for_fails_and_one_on_another_host_is_not_judged() {
        let never = stage(StageKind::FileRequest, StageResult::NotSeen, "http", None, "never asked");
        let check = file_requested(&snapshot(vec![never]));
        assert_eq!(check.status, Status::Fail);
        assert!(
            check.summary.contains("00:15:65:aa:bb:cc") && check.summary.contains("never asked"),
            "{}",
            check.summary
        );
        assert!(check.remedy.unwrap().contains("198.51.100.7"));
        let elsewhere = stage(StageKind::FileRequest, StageResult::NotVisible, "http", None, "another host");
        assert_eq!(file_requested(&snapshot(vec![elsewhere])).status, Status::Skip);
        // A window that ended soon after the NOTIFY proves nothing.
        let soon = stage(StageKind::FileRequest, StageResult::Unfinished, "http", None, "listen longer");
        assert_eq!(file_requested(&snapshot(vec![soon])).status, Status::Skip);
        let asked = stage(StageKind::FileRequest, StageResult::Ok, "http", None, "GET");
        assert_eq!(file_requested(&snapshot(vec![asked])).status, Status::Pass);
    }

    #[test]
    fn refused_files_fail_with_the_fix_for_their_status() {
        for (protocol, code, says) in [
            ("http", 404, "no file at that path"),
            ("http", 401, "credentials"),
            ("tftp", 1, "no file at that path"),
        ] {
            let refused = stage(StageKind::FileAnswer, StageResult::Failed, protocol, Some(code), "refused");
            let check = file_fetched(&snapshot(vec![refused]));
            assert_eq!(check.status, Status::Fail, "{protocol} {code}");
            assert!(check.remedy.unwrap().contains(says), "{protocol} {code}");
        }
        let served = stage(StageKind::FileAnswer, StageResult::Ok, "http", Some(200), "200");
        assert_eq!(file_fetched(&snapshot(vec![served])).status, Status::Pass);
        // An HTTPS answer is the handshake check's to judge.
        let abandoned = stage(StageKind::FileAnswer, StageResult::Failed, "https", None, "abandoned");
        assert_eq!(file_fetched(&snapshot(vec![abandoned.clone()])).status, Status::Skip);
        assert_eq!(tls_handshake(&snapshot(vec![abandoned])).status, Status::Fail);
        let unfinished = stage(StageKind::FileAnswer, StageResult::Unfinished, "http", None, "no answer yet");
        assert_eq!(file_fetched(&snapshot(vec![unfinished])).status, Status::Warn);
    }

    #[test]
    fn a_refused_registration_warns_and_a_hidden_one_is_skipped() {
        let refused =
            stage(StageKind::RegisterAnswer, StageResult::Failed, "udp", Some(403), "403 Forbidden");
        let check = registration(&snapshot(vec![refused]));
        assert_eq!(check.status, Status::Warn);
        assert!(check.summary.contains("403"));
        let registered = stage(StageKind::RegisterAnswer, StageResult::Ok, "udp", Some(200), "200 OK");
        let sent = stage(StageKind::Register, StageResult::Ok, "udp", None, "REGISTER");
        assert_eq!(registration(&snapshot(vec![sent, registered])).status, Status::Pass);
        let hidden = stage(StageKind::Register, StageResult::NotVisible, "udp", None, "another host");
        assert_eq!(registration(&snapshot(vec![hidden])).status, Status::Skip);
    }

    #[test]
    fn without_a_capture_or_a_window_nothing_is_judged() {
        let check = file_fetched(&snapshot(Vec::new()));
        assert_eq!(check.status, Status::Skip);
        assert!(check.summary.contains("CAP_NET_RAW"));
        let mut none = snapshot(Vec::new());
        none.listen = Observed::NotAsked;
        assert_eq!(registration(&none).status, Status::Skip);
    }
}
