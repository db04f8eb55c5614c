//! Reads the host firewall and the reverse-path filters on Linux: runs `nft -j list ruleset`,
//! `iptables-nft-save` and `iptables-legacy-save` (read-only listings) in parallel, hands their text to
//! the pure readers of [`crate::firewall`], judges the rulesets once with what is known at gather time
//! (no PnP interface, no phones: the checklist judges them again with both), finds which firewall
//! managers are present, and reads `/proc/sys/net/ipv4/conf/*/rp_filter`.
//!
//! Which tool judges which rules, so that no rule is counted twice:
//! - nftables tables are judged from `nft -j list ruleset`;
//! - tables that iptables-nft manages also appear there, but with many matches as opaque `xt`
//!   expressions, so when `iptables-nft-save` prints them they are judged from its text instead and left
//!   out of the nft reading;
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

use crate::facts::{
    FirewallFacts, FirewallManager, FirewallSource, FirewallTool, GatherNote, RpFilter, SourceStatus,
};
use crate::firewall::model::{Netfilter, Ruleset};
use crate::firewall::{iptables, judge, nft};

/// How long a listing may take. They are local and answer in milliseconds; a huge ruleset on a slow
/// host still fits, while a hung tool cannot hang mcready.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(5);

/// Where administrators' tools live; `PATH` of an unprivileged user often lacks the `sbin` ones.
const TOOL_DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"];

pub fn read(group: Ipv4Addr, port: u16) -> FirewallFacts {
    let mut facts = FirewallFacts::default();

    // The listings are independent: run them at once, so that the gather takes as long as the slowest,
    // not their sum. The iptables texts are read in their own threads. nftables is asked for its table
    // names first (cheap): the full `nft -j list ruleset` (the slowest listing by far: 190 ms for 4,000
    // rules) is run only when some table is not already read from iptables-nft-save.
    let (tables_out, nft_save_out, legacy_out) = thread::scope(|scope| {
        let tables = scope.spawn(|| run_tool(FirewallTool::Nft, "nft", &["-j", "list", "tables"]));
        let nft_save = scope.spawn(|| {
            run_tool(FirewallTool::IptablesNftSave, "iptables-nft-save", &[]).map(|text| {
                let ruleset = iptables::read(&text, Some(FirewallTool::IptablesNftSave));
                (incompatible_tables(&text), ruleset)
            })
        });
        let legacy = run_tool(FirewallTool::IptablesLegacySave, "iptables-legacy-save", &[])
            .map(|text| iptables::read(&text, Some(FirewallTool::IptablesLegacySave)));
        let lost = |tool, command: &str| FirewallSource {
            tool,
            command: command.to_owned(),
            status: SourceStatus::Failed,
            detail: Some("the reader thread failed".into()),
            rules: 0,
            skipped: 0,
        };
        (
            tables.join().unwrap_or_else(|_| Err(lost(FirewallTool::Nft, "nft -j list tables"))),
            nft_save.join().unwrap_or_else(|_| Err(lost(FirewallTool::IptablesNftSave, "iptables-nft-save"))),
            legacy,
        )
    });

    // Tables iptables-nft-save printed in full; "incompatible" ones it does not print stay with nft.
    let printed: Vec<String> = match &nft_save_out {
        Ok((incompatible, ruleset)) => ruleset
            .tables
            .iter()
            .filter(|t| !incompatible.contains(&t.name))
            .map(|t| format!("ip {}", t.name))
            .collect(),
        Err(_) => Vec::new(),
    };
    let listed = match &tables_out {
        Ok(text) => nft::table_names(text),
        Err(_) => None,
    };
    let nft_available = tables_out.is_ok();
    if let Err(source) = tables_out {
        facts.sources.push(source);
    }
    // The IPv4 tables nftables holds, and those of them read from iptables-nft-save instead.
    let ipv4: Option<Vec<String>> = listed
        .map(|names| names.into_iter().filter(|t| t.starts_with("ip ") || t.starts_with("inet ")).collect());
    let skip_in_nft: Vec<String> = match &ipv4 {
        Some(tables) => tables.iter().filter(|t| printed.contains(t)).cloned().collect(),
        // Table names unreadable: the full listing decides, with the same rule.
        None => printed.clone(),
    };
    // Without nft, iptables-nft-save is the only view of its tables, so it is used then too.
    if !skip_in_nft.is_empty() || !nft_available {
        match nft_save_out {
            Ok((incompatible, ruleset)) => {
                let mut source = source_read(FirewallTool::IptablesNftSave, "iptables-nft-save", &ruleset);
                if !incompatible.is_empty() {
                    source.detail =
                        Some("some tables are incompatible with iptables; nft judged them".into());
                }
                keep(&mut facts, source, ruleset);
            }
            Err(source) => facts.sources.push(source),
        }
    }
    let rest_in_nft = ipv4.as_ref().map(|tables| tables.iter().filter(|t| !skip_in_nft.contains(t)).count());
    if nft_available && rest_in_nft == Some(0) {
        // Every IPv4 table is iptables-nft's (or there is none): nothing left for the full listing.
        let detail = if skip_in_nft.is_empty() {
            "no ip or inet table".to_owned()
        } else {
            format!("every table read from iptables-nft-save: {}", skip_in_nft.join(", "))
        };
        facts.sources.push(FirewallSource {
            tool: FirewallTool::Nft,
            command: "nft -j list tables".into(),
            status: SourceStatus::Read,
            detail: Some(detail),
            rules: 0,
            skipped: 0,
        });
    } else if nft_available {
        read_nft_ruleset(&mut facts, &skip_in_nft);
    }

    match legacy_out {
        Ok(ruleset) => {
            let source = source_read(FirewallTool::IptablesLegacySave, "iptables-legacy-save", &ruleset);
            keep(&mut facts, source, ruleset);
        }
        Err(source) => facts.sources.push(source),
    }

    facts.managers = managers(Path::new("/"));
    let context = judge::Context {
        group: Some(group),
        port: Some(port),
        managers: facts.managers.clone(),
        ..judge::Context::default()
    };
    let judged = judge::judge(&facts.rulesets, &context);
    facts.findings = judged.findings;
    facts.helpers = judged.helpers;
    facts.partial = judged.partial;

    facts.rp_filter = rp_filters(Path::new("/proc/sys/net/ipv4/conf"), &mut facts.notes);
    facts
}

/// Runs the full `nft -j list ruleset` and reads it, leaving out the tables in `skip_in_nft`.
fn read_nft_ruleset(facts: &mut FirewallFacts, skip_in_nft: &[String]) {
    match run_tool(FirewallTool::Nft, "nft", &["-j", "list", "ruleset"]) {
        Ok(json) => {
            // The JSON is split once and read lazily: iptables-nft's rules in it are never built.
            let ruleset = match nft::Document::parse(&json) {
                Ok(document) => nft::read_document(&document, skip_in_nft),
                Err(error) => {
                    Netfilter { tool: Some(FirewallTool::Nft), error: Some(error), ..Netfilter::default() }
                }
            };
            let mut source = source_read(FirewallTool::Nft, "nft -j list ruleset", &ruleset);
            if let Some(error) = &ruleset.error {
                source.status = SourceStatus::Failed;
                source.detail = Some(error.clone());
                facts.notes.push(GatherNote { source: "nft -j list ruleset".into(), message: error.clone() });
            } else if !skip_in_nft.is_empty() {
                source.detail = Some(format!("left to iptables-nft-save: {}", skip_in_nft.join(", ")));
            }
            keep(facts, source, ruleset);
        }
        Err(source) => facts.sources.push(source),
    }
}

/// Tables iptables-nft-save could not print in full: it says so in a comment (``# Table `filter' is
/// incompatible``, or ``… contains incompatible base-chains …``) and may still print the table's empty
/// built-in chains, so such a table must stay with nft.
fn incompatible_tables(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("# Table `") && l.contains("incompatible"))
        .filter_map(|l| l.strip_prefix("# Table `")?.split_once('\'').map(|(name, _)| name.to_owned()))
        .collect()
}

/// Firewall managers present on the host: ufw when its configuration says it is enabled, firewalld
/// when its process runs. (Their rules are also recognised by their chain and table names.)
fn managers(root: &Path) -> Vec<FirewallManager> {
    let mut found = Vec::new();
    let ufw = fs::read_to_string(root.join("etc/ufw/ufw.conf")).unwrap_or_default();
    if ufw.lines().any(|l| l.trim().replace(' ', "").eq_ignore_ascii_case("ENABLED=yes")) {
        found.push(FirewallManager::Ufw);
    }
    let running = fs::read_dir(root.join("proc")).into_iter().flatten().flatten().any(|entry| {
        entry.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit())
            && fs::read_to_string(entry.path().join("comm")).is_ok_and(|c| c.trim() == "firewalld")
    });
    if running {
        found.push(FirewallManager::Firewalld);
    }
    found
}

fn source_read(tool: FirewallTool, command: &str, ruleset: &Netfilter) -> FirewallSource {
    FirewallSource {
        tool,
        command: command.to_owned(),
        status: SourceStatus::Read,
        detail: None,
        rules: ruleset.rules,
        skipped: ruleset.skipped,
    }
}

fn keep(facts: &mut FirewallFacts, source: FirewallSource, ruleset: Netfilter) {
    if ruleset.skipped > 0 {
        facts.notes.push(GatherNote {
            source: source.command.clone(),
            message: format!("skipped {} rule(s) or line(s) that could not be read", ruleset.skipped),
        });
    }
    facts.sources.push(source);
    if ruleset.error.is_none() {
        facts.rulesets.push(Ruleset::Netfilter(ruleset));
    }
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
