//! Reads the host firewall and the reverse-path filters on Linux: runs `nft -j list ruleset`,
//! `iptables-nft-save` and `iptables-legacy-save` (read-only listings) in parallel, hands their text to
//! the pure readers of [`crate::firewall`], finds which firewall managers are present, and reads
//! `/proc/sys/net/ipv4/conf/*/rp_filter`. It judges nothing: the checklist judges the rulesets once,
//! with the PnP interface and the phones' addresses, and that one judgement fills the report's
//! `facts.firewall` too.
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
use std::path::{Path, PathBuf};

use std::thread;
use std::time::Duration;

use crate::facts::{FirewallFacts, FirewallManager, FirewallSource, GatherNote, RpFilter, SourceStatus};
use crate::firewall::{iptables, nat, nft};
use crate::platform::tool::{self, ToolError};
use crate::ruleset::{FirewallTool, Netfilter, Ruleset};

/// How long a listing may take. They are local and answer in milliseconds; a huge ruleset on a slow
/// host still fits, while a hung tool cannot hang mcready.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(5);

/// Where administrators' tools live; `PATH` of an unprivileged user often lacks the `sbin` ones.
const TOOL_DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"];

pub fn read() -> FirewallFacts {
    let mut facts = FirewallFacts::default();

    let (tables_out, nft_save_out, legacy_out) = run_listings();

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
    let (listed, early_listing) = match tables_out {
        Ok((names, full)) => (Ok(names), full),
        Err(source) => (Err(source), None),
    };
    let tables_out = listed;
    let listed = match &tables_out {
        Ok(names) => names.clone(),
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
            command: "nftables table list (netlink)".into(),
            status: SourceStatus::Read,
            detail: Some(detail),
            rules: 0,
            skipped: 0,
        });
    } else if nft_available {
        let listing =
            early_listing.unwrap_or_else(|| run_tool(FirewallTool::Nft, "nft", &["-j", "list", "ruleset"]));
        read_nft_ruleset(&mut facts, listing, &skip_in_nft);
    }

    match legacy_out {
        Ok(ruleset) => {
            let source = source_read(FirewallTool::IptablesLegacySave, "iptables-legacy-save", &ruleset);
            keep(&mut facts, source, ruleset);
        }
        Err(source) => facts.sources.push(source),
    }

    facts.managers = managers(Path::new("/"));
    let (listed, more) = nat::listed(&facts.rulesets);
    facts.nat = listed;
    if more > 0 {
        facts.notes.push(GatherNote {
            source: "NAT rules".into(),
            message: if more == 1 {
                "1 more NAT rule not listed among the NAT rules".to_owned()
            } else {
                format!("{more} more NAT rules not listed among the NAT rules")
            },
        });
    }

    facts.rp_filter = rp_filters(Path::new("/proc/sys/net/ipv4/conf"), &mut facts.notes);
    facts
}

/// The nftables tables of this network namespace as `family name`: one `NFT_MSG_GETTABLE` dump, else
/// `nft -j list tables`; `Ok(None)` when neither gave a list (the full listing then decides).
fn nft_table_names() -> Result<Option<Vec<String>>, FirewallSource> {
    match nft_tables_by_netlink() {
        Ok(names) => Ok(Some(names)),
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => Err(FirewallSource {
            tool: FirewallTool::Nft,
            command: "nft -j list ruleset".into(),
            status: SourceStatus::PermissionDenied,
            detail: Some(format!("listing nftables tables: {error}")),
            rules: 0,
            skipped: 0,
        }),
        Err(_) => {
            run_tool(FirewallTool::Nft, "nft", &["-j", "list", "tables"]).map(|text| nft::table_names(&text))
        }
    }
}

/// `NFT_MSG_GETTABLE` over `NETLINK_NETFILTER`: what `nft list tables` asks, without `nft` fetching its
/// cache. The kernel refuses it without `CAP_NET_ADMIN` (`EPERM`).
fn nft_tables_by_netlink() -> std::io::Result<Vec<String>> {
    use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_NETFILTER};
    // nfnetlink: subsystem nf_tables (10) in the high byte of the message type.
    const GET_TABLE: u16 = (10 << 8) | 1;
    const NEW_TABLE: u16 = 10 << 8;
    const NLMSG_ERROR: u16 = 2;
    const NLMSG_DONE: u16 = 3;
    const NLM_F_REQUEST_DUMP: u16 = 0x1 | 0x300;
    const NFTA_TABLE_NAME: u16 = 1;
    let mut socket = Socket::new(NETLINK_NETFILTER)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    // nlmsghdr (16 bytes) and nfgenmsg (family AF_UNSPEC for all, version 0, resource id 0).
    let mut request = Vec::with_capacity(20);
    request.extend_from_slice(&20u32.to_ne_bytes());
    request.extend_from_slice(&GET_TABLE.to_ne_bytes());
    request.extend_from_slice(&NLM_F_REQUEST_DUMP.to_ne_bytes());
    request.extend_from_slice(&1u32.to_ne_bytes());
    request.extend_from_slice(&0u32.to_ne_bytes());
    request.extend_from_slice(&[0, 0, 0, 0]);
    socket.send(&request, 0)?;
    let u16_at =
        |b: &[u8], at: usize| b.get(at..at + 2).and_then(|x| x.try_into().ok()).map(u16::from_ne_bytes);
    let u32_at =
        |b: &[u8], at: usize| b.get(at..at + 4).and_then(|x| x.try_into().ok()).map(u32::from_ne_bytes);
    let mut names = Vec::new();
    loop {
        let (bytes, _) = socket.recv_from_full()?;
        let mut offset = 0;
        while let Some(length) = u32_at(&bytes, offset) {
            let length = usize::try_from(length).unwrap_or(usize::MAX);
            let Some(message) = bytes.get(offset..offset.saturating_add(length)).filter(|_| length >= 16)
            else {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "truncated netlink message",
                ));
            };
            offset += length.next_multiple_of(4);
            match u16_at(message, 4) {
                Some(NLMSG_DONE) => return Ok(names),
                Some(NLMSG_ERROR) => {
                    let code = u32_at(message, 16).map_or(0, u32::cast_signed);
                    if code != 0 {
                        return Err(std::io::Error::from_raw_os_error(-code));
                    }
                }
                Some(NEW_TABLE) => {
                    let family = match message.get(16) {
                        Some(1) => "inet",
                        Some(2) => "ip",
                        Some(3) => "arp",
                        Some(5) => "netdev",
                        Some(7) => "bridge",
                        Some(10) => "ip6",
                        _ => "unknown",
                    };
                    // Attributes after nlmsghdr and nfgenmsg: length, type, value padded to 4 bytes.
                    let mut at = 20;
                    while let (Some(len), Some(kind)) = (u16_at(message, at), u16_at(message, at + 2)) {
                        let len = usize::from(len);
                        if len < 4 {
                            break;
                        }
                        if kind & 0x3fff == NFTA_TABLE_NAME
                            && let Some(value) = message.get(at + 4..at + len)
                        {
                            let name = value.split(|b| *b == 0).next().unwrap_or_default();
                            names.push(format!("{family} {}", String::from_utf8_lossy(name)));
                        }
                        at += len.next_multiple_of(4);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Whether a table (`family name`) is IPv4 and can never be printed by iptables-nft-save.
fn nft_only_table(table: &str) -> bool {
    (table.starts_with("inet ") || table.starts_with("ip ")) && !iptables_table_name(table)
}

/// Whether a table (`family name`) could be one iptables-nft manages: family `ip` and an iptables table
/// name.
fn iptables_table_name(table: &str) -> bool {
    table
        .strip_prefix("ip ")
        .is_some_and(|name| matches!(name, "filter" | "nat" | "raw" | "mangle" | "security"))
}

/// Reads the full `nft -j list ruleset`, leaving out the tables in `skip_in_nft`.
fn read_nft_ruleset(
    facts: &mut FirewallFacts,
    listing: Result<String, FirewallSource>,
    skip_in_nft: &[String],
) {
    match listing {
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

/// What the three listings gave: nftables' table names (and the full listing when it was surely
/// needed), iptables-nft-save's tables that it calls incompatible and its ruleset, iptables-legacy-save's.
type Listings = (
    Result<(Option<Vec<String>>, Option<Result<String, FirewallSource>>), FirewallSource>,
    Result<(Vec<String>, Netfilter), FirewallSource>,
    Result<Netfilter, FirewallSource>,
);

// The listings are independent: run them at once, so that the gather takes as long as the slowest,
// not their sum. The iptables texts are read in their own threads. nftables is asked for its table
// names first, by one netlink dump (a millisecond; `nft list tables` would fetch much more): the full
// `nft -j list ruleset` (the slowest listing by far: 190 ms for 4,000 rules) is run only when some
// table is not already read from iptables-nft-save.
fn run_listings() -> Listings {
    thread::scope(|scope| {
        // A table iptables can never print (any `inet` table, an `ip` table of another name) needs the
        // full listing for sure: start it at once, alongside the iptables listings.
        let tables = scope.spawn(|| {
            let names = nft_table_names();
            let needs_nft = matches!(&names, Ok(Some(list)) if list.iter().any(|t| nft_only_table(t)));
            let full = needs_nft.then(|| run_tool(FirewallTool::Nft, "nft", &["-j", "list", "ruleset"]));
            names.map(|names| (names, full))
        });
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
    })
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
    let output = match tool::run_with_deadline(&path, args, TOOL_TIMEOUT) {
        Ok(output) => output,
        Err(ToolError::TimedOut | ToolError::NotInstalled) => {
            return Err(failed(
                SourceStatus::TimedOut,
                format!("no answer within {}s", TOOL_TIMEOUT.as_secs()),
            ));
        }
        Err(ToolError::Spawn(error)) if error.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(failed(
                SourceStatus::PermissionDenied,
                format!("cannot run {}: {error}", path.display()),
            ));
        }
        Err(ToolError::Spawn(error)) => {
            return Err(failed(SourceStatus::Failed, format!("cannot run {}: {error}", path.display())));
        }
    };
    let stderr = output.stderr.trim().to_owned();
    if !output.success {
        let status =
            if tool::denied(&stderr) { SourceStatus::PermissionDenied } else { SourceStatus::Failed };
        let detail = if stderr.is_empty() { "exited with an error and said nothing".into() } else { stderr };
        return Err(failed(status, detail));
    }
    Ok(output.stdout)
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
