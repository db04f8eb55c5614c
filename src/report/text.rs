//! Text rendering: styles and aligned tables.
//!
//! Renderers always write styled text (ANSI sequences from `anstyle`); the output stream (`anstream`)
//! strips them when colour is off. That keeps renderers free of terminal questions and lets one decision
//! — per stream, honouring `--color`, `NO_COLOR`, `CLICOLOR_FORCE` and `TERM=dumb` — govern them all.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::verdict::Status;

pub const HEADING: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();
pub const GOOD: Style = AnsiColor::Green.on_default();
pub const BAD: Style = AnsiColor::Red.on_default().bold();
pub const CAUTION: Style = AnsiColor::Yellow.on_default();
pub const EMPHASIS: Style = Style::new().bold();

/// `n` and the noun that agrees with it: `1 phone`, `2 phones`, `0 phones`.
#[must_use]
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `text` wrapped in `style`.
#[must_use]
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Gathering notes, dimmed, one line each.
pub fn write_notes(out: &mut String, notes: &[crate::facts::GatherNote]) {
    for note in notes {
        out.push_str(&paint(DIM, &format!("note: {}: {}", note.source, note.message)));
        out.push('\n');
    }
}

/// The style a status is shown in.
#[must_use]
pub fn status_style(status: Status) -> Style {
    match status {
        Status::Pass => GOOD,
        Status::Warn => CAUTION,
        Status::Fail => BAD,
        Status::Skip => DIM,
    }
}

/// One table cell: its text and the style to show it in.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    text: String,
    style: Style,
}

impl Cell {
    #[must_use]
    pub fn styled(text: impl Into<String>, style: Style) -> Self {
        Self { text: text.into(), style }
    }
}

impl<T: Into<String>> From<T> for Cell {
    fn from(text: T) -> Self {
        Self { text: text.into(), style: Style::new() }
    }
}

/// A table whose columns are padded to their widest cell. Widths count characters, not bytes, so the
/// columns stay aligned when names are not ASCII.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    #[must_use]
    pub fn new(header: Vec<&'static str>) -> Self {
        Self { header, rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the table indented by `indent` spaces; the last column is never padded.
    pub fn write(&self, out: &mut String, indent: usize) {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.text.chars().count());
            }
        }
        let pad = " ".repeat(indent);
        let mut line = pad.clone();
        for (i, (title, width)) in self.header.iter().zip(&widths).enumerate() {
            let title = paint(HEADING, title);
            if i + 1 == columns {
                line.push_str(&title);
            } else {
                let _ = write!(line, "{title}{}  ", " ".repeat(width - self.header[i].chars().count()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        for row in &self.rows {
            let mut line = pad.clone();
            for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
                line.push_str(&paint(cell.style, &cell.text));
                if i + 1 < row.len().min(columns) {
                    line.push_str(&" ".repeat(width - cell.text.chars().count() + 2));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_on_characters() {
        let mut table = Table::new(vec!["A", "NAME", "LAST"]);
        table.row(vec!["1".into(), "ëth0".into(), "x".into()]);
        table.row(vec!["10".into(), Cell::styled("lo", GOOD), "long last".into()]);
        let mut out = String::new();
        table.write(&mut out, 2);
        let plain = anstream::adapter::strip_str(&out).to_string();
        assert_eq!(plain, "  A   NAME  LAST\n  1   ëth0  x\n  10  lo    long last\n");
    }
}
