//! Reads the host firewall and the reverse-path filters on Linux: runs `nft -j list ruleset` and the
//! `iptables-save` programs (read-only listings), hands their text to the pure analysers of
//! [`crate::platform::firewall`], and reads `/proc/sys/net/ipv4/conf/*/rp_filter`.
//!
//! Which tool judges which rules, so that no rule is counted twice:
//! - nftables tables are judged from `nft -j list ruleset`;
//! - tables that iptables-nft manages also appear there, but with many matches as opaque `xt`
//!   expressions, so when `iptables-nft-save` prints them they are judged from its text instead and left
//!   out of the nft analysis;
//! - `iptables-legacy-save` shows the legacy xtables rules, which nftables cannot see at all.
//!
//! Listing rules needs `CAP_NET_ADMIN`; without it each tool's source says `permission-denied` and the
//! gather goes on. A tool that hangs is stopped after [`TOOL_TIMEOUT`].

use std::fs;
use std::io::Read;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::facts::{FirewallFacts, FirewallSource, FirewallTool, GatherNote, RpFilter, SourceStatus};
use crate::platform::firewall::{self, Analysis};

/// How long a listing may take. They are local and answer in milliseconds; a huge ruleset on a slow
/// host still fits, while a hung tool cannot hang mcready.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(5);

/// Where administrators' tools live; `PATH` of an unprivileged user often lacks the `sbin` ones.
const TOOL_DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"];

pub fn read(group: Ipv4Addr, port: u16) -> FirewallFacts {
    let mut facts = FirewallFacts::default();

    let nft = run_tool(FirewallTool::Nft, "nft", &["-j", "list", "ruleset"]);
    let nft_json = match nft {
        Ok(text) => Some(text),
        Err(source) => {
            facts.sources.push(source);
            None
        }
    };

    // iptables-nft's own tables, judged from its full text rather than the JSON's `xt` stand-ins.
    let managed = nft_json.as_deref().map(firewall::iptables_nft_tables).unwrap_or_default();
    let mut skip_in_nft = Vec::new();
    // Without nft, iptables-nft-save is the only view of those tables, so read it then too.
    if !managed.is_empty() || nft_json.is_none() {
        match run_tool(FirewallTool::IptablesNftSave, "iptables-nft-save", &[]) {
            Ok(text) => {
                let analysis =
                    firewall::analyse_iptables_save(&text, group, port, Some(FirewallTool::IptablesNftSave));
                // Only tables it printed in full are taken from it; "incompatible" ones stay with nft.
                skip_in_nft = analysis.tables.iter().map(|t| format!("ip {t}")).collect();
                let mut source = source_read(FirewallTool::IptablesNftSave, "iptables-nft-save", &analysis);
                if text.contains("is incompatible") {
                    source.detail =
                        Some("some tables are incompatible with iptables; nft judged them".into());
                }
                keep(&mut facts, source, analysis);
            }
            Err(source) => facts.sources.push(source),
        }
    }
    if let Some(json) = nft_json {
        let analysis = firewall::analyse_nft_json(&json, group, port, &skip_in_nft);
        let mut source = source_read(FirewallTool::Nft, "nft -j list ruleset", &analysis);
        if let Some(error) = &analysis.error {
            source.status = SourceStatus::Failed;
            source.detail = Some(error.clone());
            facts.notes.push(GatherNote { source: "nft -j list ruleset".into(), message: error.clone() });
        } else if !skip_in_nft.is_empty() {
            source.detail = Some(format!("left to iptables-nft-save: {}", skip_in_nft.join(", ")));
        }
        keep(&mut facts, source, analysis);
    }

    match run_tool(FirewallTool::IptablesLegacySave, "iptables-legacy-save", &[]) {
        Ok(text) => {
            let analysis =
                firewall::analyse_iptables_save(&text, group, port, Some(FirewallTool::IptablesLegacySave));
            let source = source_read(FirewallTool::IptablesLegacySave, "iptables-legacy-save", &analysis);
            keep(&mut facts, source, analysis);
        }
        Err(source) => facts.sources.push(source),
    }

    facts.rp_filter = rp_filters(Path::new("/proc/sys/net/ipv4/conf"), &mut facts.notes);
    facts
}

fn source_read(tool: FirewallTool, command: &str, analysis: &Analysis) -> FirewallSource {
    FirewallSource {
        tool,
        command: command.to_owned(),
        status: SourceStatus::Read,
        detail: None,
        rules: analysis.rules,
        skipped: analysis.skipped,
    }
}

fn keep(facts: &mut FirewallFacts, source: FirewallSource, analysis: Analysis) {
    if analysis.skipped > 0 {
        facts.notes.push(GatherNote {
            source: source.command.clone(),
            message: format!("skipped {} rule(s) or line(s) that could not be read", analysis.skipped),
        });
    }
    facts.sources.push(source);
    facts.findings.extend(analysis.findings);
}

/// Finds `name` in `PATH` or the usual administrator directories.
fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(TOOL_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Runs a listing tool and returns its stdout, or the source that says why it could not be read.
fn run_tool(tool: FirewallTool, program: &str, args: &[&str]) -> Result<String, FirewallSource> {
    let command = std::iter::once(program).chain(args.iter().copied()).collect::<Vec<_>>().join(" ");
    let failed = |status, detail: String| FirewallSource {
        tool,
        command: command.clone(),
        status,
        detail: Some(detail),
        rules: 0,
        skipped: 0,
    };
    let Some(path) = find_tool(program) else {
        return Err(failed(SourceStatus::NotInstalled, format!("{program} is not installed")));
    };
    let output = match run_with_deadline(&path, args, TOOL_TIMEOUT) {
        Ok(output) => output,
        Err(RunError::TimedOut) => {
            return Err(failed(
                SourceStatus::TimedOut,
                format!("no answer within {}s", TOOL_TIMEOUT.as_secs()),
            ));
        }
        Err(RunError::Spawn(error)) if error.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(failed(
                SourceStatus::PermissionDenied,
                format!("cannot run {}: {error}", path.display()),
            ));
        }
        Err(RunError::Spawn(error)) => {
            return Err(failed(SourceStatus::Failed, format!("cannot run {}: {error}", path.display())));
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if !output.success {
        let status = if denied(&stderr) { SourceStatus::PermissionDenied } else { SourceStatus::Failed };
        let detail = if stderr.is_empty() { "exited with an error and said nothing".into() } else { stderr };
        return Err(failed(status, detail));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether a tool's complaint is the kernel refusing an unprivileged listing.
fn denied(stderr: &str) -> bool {
    ["Operation not permitted", "Permission denied", "you must be root"].iter().any(|s| stderr.contains(s))
}

struct RunOutput {
    success: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

enum RunError {
    Spawn(std::io::Error),
    TimedOut,
}

/// Runs a program with no input, collecting its output, and kills it if it outlives `timeout`. The
/// pipes are drained by threads so that a large ruleset cannot fill a pipe and stall the tool.
fn run_with_deadline(path: &Path, args: &[&str], timeout: Duration) -> Result<RunOutput, RunError> {
    let mut child = Command::new(path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Messages in English, so that a refusal can be recognised.
        .env("LC_ALL", "C")
        .spawn()
        .map_err(RunError::Spawn)?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    // After exit or kill the pipes close (unless the tool left a child holding them; then the threads
    // are left to finish on their own rather than block here).
    let collect = |handle: thread::JoinHandle<Vec<u8>>| {
        let wait_until = Instant::now() + Duration::from_millis(500);
        while !handle.is_finished() && Instant::now() < wait_until {
            thread::sleep(Duration::from_millis(2));
        }
        if handle.is_finished() { handle.join().unwrap_or_default() } else { Vec::new() }
    };
    let stdout = collect(stdout);
    let stderr = collect(stderr);
    match status {
        Some(status) => Ok(RunOutput { success: status.success(), stdout, stderr }),
        None => Err(RunError::TimedOut),
    }
}

/// `rp_filter` of `all`, `default` and every interface, in that order (interfaces by name).
fn rp_filters(dir: &Path, notes: &mut Vec<GatherNote>) -> Vec<RpFilter> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            notes.push(GatherNote { source: dir.display().to_string(), message: error.to_string() });
            return Vec::new();
        }
    };
    let mut names: Vec<String> =
        entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort_by_key(|name| (name != "all", name != "default", name.clone()));
    let mut filters = Vec::new();
    for name in names {
        let path = dir.join(&name).join("rp_filter");
        match fs::read_to_string(&path).map(|text| text.trim().parse::<u8>()) {
            Ok(Ok(value)) => filters.push(RpFilter { interface: name, value }),
            Ok(Err(_)) => {
                notes.push(GatherNote { source: path.display().to_string(), message: "not a number".into() });
            }
            Err(error) => {
                notes.push(GatherNote { source: path.display().to_string(), message: error.to_string() });
            }
        }
    }
    filters
}
