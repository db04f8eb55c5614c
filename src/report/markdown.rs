//! Markdown rendering helpers for output pasted into tickets: escaping of prose, code spans kept
//! exactly as typed, GitHub-flavoured tables, and the heading every block starts with.

use std::fmt::Write as _;

use super::Envelope;

/// Escapes the characters that would break a table cell or turn prose into markup.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '\\' => {
                escaped.push('\\');
                escaped.push(ch);
            }
            '\n' | '\r' => escaped.push(' '),
            _ => escaped.push(ch),
        }
    }
    escaped
}

/// Prose that may quote commands between backticks (as remedies do): the prose is escaped, each
/// `` `code span` `` is kept exactly as typed, so a command copied from the ticket runs as printed. A
/// lone backtick is escaped like any other character.
#[must_use]
pub fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        let (before, after_open) = rest.split_at(open);
        let Some(close) = after_open[1..].find('`') else { break };
        out.push_str(&escape(before));
        let code = &after_open[1..=close];
        out.push_str(&code_span(code));
        rest = &after_open[close + 2..];
    }
    out.push_str(&escape(rest));
    out
}

/// `text` as an inline code span, exactly as typed: the fence is one backtick longer than the longest
/// run inside, and padded with a space when the text starts or ends with a backtick (`CommonMark` 6.1).
#[must_use]
pub fn code_span(text: &str) -> String {
    let text: String = text.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// The heading of a command's block: which command, on which host and OS, when, by which version,
/// with which options, and whether the run was cut short.
#[must_use]
pub fn heading(envelope: &Envelope) -> String {
    let host = &envelope.host;
    let command = envelope.schema.trim_start_matches("mcready.").split('/').next().unwrap_or_default();
    let command = if command == "report" { "check" } else { command };
    let mut out = format!(
        "### mcready {command} — {} ({})\n\n",
        escape(&host.hostname),
        escape(host.os_version.as_deref().unwrap_or(host.os))
    );
    let _ = writeln!(out, "- run at {} by mcready {}", envelope.generated_at, envelope.tool.version);
    if !envelope.invocation.is_empty() {
        let _ = writeln!(out, "- command: {}", code_span(&envelope.invocation));
    }
    if envelope.interrupted {
        let _ = writeln!(
            out,
            "- **interrupted** (Ctrl-C or SIGTERM): cut short: {}",
            escape(&envelope.cut_short.join(", "))
        );
    }
    out.push('\n');
    out
}

/// A collapsible block (`<details>`) titled `summary`, holding `body` (Markdown).
#[must_use]
pub fn details(summary: &str, body: &str) -> String {
    format!("\n<details><summary>{}</summary>\n\n{body}\n</details>\n", escape(summary))
}

/// A table with a header row; every cell is escaped.
#[must_use]
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(&mut header.iter().map(|h| escape(h))));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for row in rows {
        out.push_str(&line(&mut row.iter().map(|c| escape(c))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(escape("a|b_c\nd"), "a\\|b\\_c d");
        let md = table(&["A", "B"], &[vec!["x|y".into(), "<z>".into()]]);
        assert_eq!(md, "| A | B |\n|---|---|\n| x\\|y | \\<z\\> |\n");
    }

    #[test]
    fn commands_stay_exactly_as_typed() {
        assert_eq!(
            prose("Run `sysctl -w net.ipv4.conf.eth0/100.rp_filter=2` then *reboot*."),
            "Run `sysctl -w net.ipv4.conf.eth0/100.rp_filter=2` then \\*reboot\\*."
        );
        assert_eq!(prose("a ` lone backtick_"), "a \\` lone backtick\\_");
        assert_eq!(code_span("echo `x`"), "`` echo `x` ``");
        assert_eq!(code_span("ip route add 224.0.0.0/4 dev eth0"), "`ip route add 224.0.0.0/4 dev eth0`");
    }
}
