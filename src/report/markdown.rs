//! Markdown rendering helpers: GitHub-flavoured tables and escaping, for output pasted into tickets.

use std::fmt::Write as _;

/// Escapes the characters that would break a table cell or turn text into markup.
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

/// The heading of a command's block: which command, on which host and OS.
#[must_use]
pub fn heading(command: &str, host: &crate::platform::HostInfo) -> String {
    format!(
        "### mcready {command} — {} ({})\n\n",
        escape(&host.hostname),
        escape(host.os_version.as_deref().unwrap_or(host.os))
    )
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
}
