//! `mcready explain`: what each check id means and how its fix works, readable offline on the PBX host.
//!
//! The text is `docs/checks.md` itself, compiled into the binary: one source for the web, the package's
//! docs and the terminal, so the three cannot drift apart. The catalogue is read from that page's
//! requirement sections (headed `## N.`, the requirement id and its title), their tables (one row per check id: what passes,
//! what warns or fails and the fix) and the paragraphs after each table (the fixes in full).

use std::fmt::Write as _;

use serde::Serialize;

use super::text::{EMPHASIS, HEADING, paint};
use super::{Document, Envelope, markdown};

/// `docs/checks.md`, as built into this binary.
pub const CHECKS_PAGE: &str = include_str!("../../docs/checks.md");

/// One check id's row of `docs/checks.md`, with its requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: String,
    pub requirement: String,
    pub requirement_title: String,
    /// When the check runs at all, if not always (`only with --listen or --soak`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<String>,
    /// When the check passes.
    pub pass: String,
    /// When it warns, fails or skips, and the fix.
    pub otherwise: String,
}

/// A requirement's section: its checks and the paragraphs that follow its table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub requirement: String,
    pub title: String,
    pub checks: Vec<Entry>,
    pub notes: Vec<String>,
}

/// The catalogue of `page`: every requirement section with its rows, in the page's order.
#[must_use]
pub fn catalogue(page: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut paragraph = String::new();
    let flush = |sections: &mut Vec<Section>, paragraph: &mut String| {
        if let Some(section) = sections.last_mut()
            && !paragraph.trim().is_empty()
        {
            section.notes.push(paragraph.trim().to_owned());
        }
        paragraph.clear();
    };
    for line in page.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            flush(&mut sections, &mut paragraph);
            if let Some((requirement, title)) = requirement_heading(heading) {
                sections.push(Section { requirement, title, checks: Vec::new(), notes: Vec::new() });
            } else {
                // A section that is no requirement ends the last one.
                sections.push(Section {
                    requirement: String::new(),
                    title: String::new(),
                    checks: Vec::new(),
                    notes: Vec::new(),
                });
            }
            continue;
        }
        let Some(section) = sections.last_mut() else { continue };
        if line.starts_with('|') {
            flush(&mut sections, &mut paragraph);
            let Some(section) = sections.last_mut() else { continue };
            let cells = table_cells(line);
            // The id is the first cell's code span; what follows it says when the check runs.
            if let [first, pass, otherwise, ..] = cells.as_slice()
                && let Some((id, runs)) = first.strip_prefix('`').and_then(|rest| rest.split_once('`'))
                && id.contains('.')
            {
                let runs = runs.trim().trim_start_matches('(').trim_end_matches(')').trim();
                section.checks.push(Entry {
                    id: id.to_owned(),
                    requirement: section.requirement.clone(),
                    requirement_title: section.title.clone(),
                    runs: (!runs.is_empty()).then(|| runs.to_owned()),
                    pass: (*pass).to_owned(),
                    otherwise: (*otherwise).to_owned(),
                });
            }
        } else if line.trim().is_empty() || line.starts_with('#') {
            flush(&mut sections, &mut paragraph);
        } else if !section.checks.is_empty() {
            paragraph.push_str(line.trim());
            paragraph.push(' ');
        }
    }
    flush(&mut sections, &mut paragraph);
    sections.retain(|s| !s.requirement.is_empty());
    sections
}

/// `` 1. `pbx-membership` — the PBX host joined … `` → (`pbx-membership`, the title).
fn requirement_heading(heading: &str) -> Option<(String, String)> {
    let rest = heading.split_once(". `")?.1;
    let (id, title) = rest.split_once('`')?;
    let title = title.trim_start_matches([' ', '—', '-']).trim();
    Some((id.to_owned(), title.to_owned()))
}

/// The cells of a Markdown table row; a `|` inside a code span belongs to the cell.
fn table_cells(line: &str) -> Vec<&str> {
    let mut cells = Vec::new();
    let mut in_code = false;
    let mut start = None;
    for (at, c) in line.char_indices() {
        match c {
            '`' => in_code = !in_code,
            '|' if !in_code => {
                if let Some(begin) = start {
                    cells.push(line[begin..at].trim());
                }
                start = Some(at + 1);
            }
            _ => {}
        }
    }
    cells
}

/// What `mcready explain [ID]` shows: one check, one requirement's checks, or the list of all.
#[derive(Debug, Serialize)]
pub struct ExplainDocument {
    #[serde(flatten)]
    pub envelope: Envelope,
    /// The id asked about (a check or a requirement); absent for the list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked: Option<String>,
    pub checks: Vec<Entry>,
    /// The paragraphs after the requirement's table (fixes in full), when one id was asked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ExplainDocument {
    /// The document for `asked` (a check or requirement id; `None` lists every check), from the page
    /// built into this binary. `None` when the id is unknown.
    #[must_use]
    pub fn new(envelope: Envelope, asked: Option<&str>) -> Option<Self> {
        let sections = catalogue(CHECKS_PAGE);
        let Some(id) = asked else {
            let checks = sections.into_iter().flat_map(|s| s.checks).collect();
            return Some(Self { envelope, asked: None, checks, notes: Vec::new() });
        };
        let id = id.trim().to_ascii_lowercase();
        let section =
            sections.into_iter().find(|s| s.requirement == id || s.checks.iter().any(|c| c.id == id))?;
        let checks = if section.requirement == id {
            section.checks
        } else {
            section.checks.into_iter().filter(|c| c.id == id).collect()
        };
        Some(Self { envelope, asked: Some(id), checks, notes: section.notes })
    }
}

/// Markdown emphasis read as plain text: `**fail**` → `fail`; code spans keep their backticks, which
/// mark what to type.
fn plain(text: &str) -> String {
    text.replace("**", "")
}

/// `text` wrapped at `width` columns, each line indented by `indent`.
fn wrapped(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.chars().count() + 1 + word.chars().count() > width {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

impl Document for ExplainDocument {
    const SCHEMA: &'static str = "mcready.explain/v1";

    fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        if self.asked.is_none() {
            let width = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
            for check in &self.checks {
                let _ = writeln!(out, "{:width$}  {}", check.id, check.requirement);
            }
            let _ = writeln!(
                out,
                "\n`mcready explain ID` shows what a check or requirement means and how its fix works."
            );
            return out;
        }
        let mut requirement_shown = false;
        for check in &self.checks {
            if !requirement_shown {
                let _ = writeln!(
                    out,
                    "{} {}\n",
                    paint(HEADING, &check.requirement),
                    paint(EMPHASIS, &format!("— {}", check.requirement_title))
                );
                requirement_shown = true;
            }
            match &check.runs {
                Some(runs) => {
                    let _ = writeln!(out, "{} ({})", paint(EMPHASIS, &check.id), plain(runs));
                }
                None => {
                    let _ = writeln!(out, "{}", paint(EMPHASIS, &check.id));
                }
            }
            let _ = writeln!(out, "  passes when:");
            out.push_str(&wrapped(&plain(&check.pass), "    ", 100));
            let _ = writeln!(out, "  otherwise, and the fix:");
            out.push_str(&wrapped(&plain(&check.otherwise), "    ", 100));
            out.push('\n');
        }
        for note in &self.notes {
            out.push_str(&wrapped(&plain(note), "", 100));
            out.push('\n');
        }
        let _ = writeln!(out, "(docs/checks.md of mcready {})", super::Tool::THIS.version);
        out
    }

    fn markdown_body(&self) -> String {
        let mut out = String::new();
        let _ =
            writeln!(out, "| check id | requirement | pass | warn / fail, and the fix |\n|---|---|---|---|");
        for check in &self.checks {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                markdown::code_span(&check.id),
                markdown::code_span(&check.requirement),
                check.pass,
                check.otherwise
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, "\n{note}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_requirement_and_check_of_the_page_is_in_the_catalogue() {
        let sections = catalogue(CHECKS_PAGE);
        let requirements: Vec<&str> = sections.iter().map(|s| s.requirement.as_str()).collect();
        assert_eq!(requirements, ["pbx-membership", "same-subnet", "network-multicast", "phone-pnp"]);
        let ids: Vec<&str> = sections.iter().flat_map(|s| &s.checks).map(|c| c.id.as_str()).collect();
        for id in [
            "membership.on-pnp-interface",
            "multicast.igmp-querier",
            "phone.pnp-subscribe",
            "subnet.voice-vlan",
        ] {
            assert!(ids.contains(&id), "{id}: {ids:?}");
        }
        let vlan = sections.iter().flat_map(|s| &s.checks).find(|c| c.id == "subnet.voice-vlan");
        assert_eq!(vlan.and_then(|c| c.runs.as_deref()), Some("only with `--listen` or `--soak`"));
        for check in sections.iter().flat_map(|s| &s.checks) {
            assert!(!check.pass.is_empty() && !check.otherwise.is_empty(), "{check:?}");
        }
        let membership = &sections[0];
        assert!(
            membership.notes.iter().any(|n| n.contains("sudo ip route add 224.0.0.0/4")),
            "{:?}",
            membership.notes
        );
    }

    #[test]
    fn a_pipe_inside_code_stays_in_its_cell() {
        let cells = table_cells("| `a.b` | run `x | y` | no |");
        assert_eq!(cells, ["`a.b`", "run `x | y`", "no"]);
    }

    #[test]
    fn a_made_up_page_parses_and_odd_lines_do_not_panic() {
        let page = "# t\n## 1. `req-a` — first\n| check id | pass | else |\n|---|---|---|\n| `a.one` | ok | **fail** fix |\n\nFix in full.\n## Other\n| `b.two` | x | y |\n|\n## 2. `broken\n";
        let sections = catalogue(page);
        assert_eq!(sections.len(), 1);
        assert_eq!(sections[0].checks[0].id, "a.one");
        assert_eq!(sections[0].notes, ["Fix in full."]);
        assert_eq!(plain(&sections[0].checks[0].otherwise), "fail fix");
    }

    #[test]
    fn text_wraps_at_the_width() {
        let text = wrapped(&"word ".repeat(60), "  ", 40);
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
    }
}
