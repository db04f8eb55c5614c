//! How a confirmed change's lasting form edits its file, and how that edit is taken back — pure text
//! in, text out; `repair` reads and writes the files.
//!
//! The rule of the undo: a file that still holds exactly what mcready wrote gets its prior bytes back
//! (or is deleted when mcready created it); a file someone changed since keeps their changes and loses
//! only the lines mcready added (each once), so an undo never throws away an administrator's edit.

use crate::fix::Edit;

/// The file's text once `edit` is made to `prior` (`None`: no file). `Filter` edits are the manager's
/// tool's to make: `None` for them.
///
/// # Errors
/// When the edit cannot be made: a file of mcready's own is there already, or the file the edit needs
/// is missing.
pub fn edited(edit: &Edit, prior: Option<&str>, file: &str) -> Result<Option<String>, String> {
    let text = match (edit, prior) {
        (Edit::Filter { .. }, _) => return Ok(None),
        (Edit::Create { .. }, Some(_)) => {
            return Err(format!("{file} exists already and is not mcready's: keep the change by hand"));
        }
        (Edit::Create { content, .. }, None) => content.clone(),
        (Edit::Append { lines, create }, prior) => {
            let mut text = base(prior, create.as_deref(), file)?;
            push_lines(&mut text, lines);
            text
        }
        (Edit::Insert { after, before, lines, create }, prior) => {
            let mut text = base(prior, create.as_deref(), file)?;
            let mut at = None;
            let mut offset = 0;
            let mut seen_after = false;
            for line in text.split_inclusive('\n') {
                seen_after |= line.trim_end().starts_with(after.as_str());
                if seen_after && line.trim_start().starts_with(before.as_str()) {
                    at = Some(offset);
                    break;
                }
                offset += line.len();
            }
            match (at, create) {
                (Some(at), _) => text.insert_str(at, &joined(lines)),
                // The file has no such section: the new file's text, with the lines in it, after it.
                (None, Some(section)) => {
                    let mut added = edited(
                        &Edit::Insert {
                            after: after.clone(),
                            before: before.clone(),
                            lines: lines.clone(),
                            create: None,
                        },
                        Some(section),
                        file,
                    )?
                    .unwrap_or_default();
                    if !text.is_empty() && !text.ends_with('\n') {
                        added.insert(0, '\n');
                    }
                    text.push_str(&added);
                }
                (None, None) => {
                    return Err(format!("{file} has no `{after}` … `{before}` to add the lines in"));
                }
            }
            text
        }
        (Edit::Under { after, lines }, Some(prior)) => {
            let mut text = prior.to_owned();
            let mut offset = 0;
            let found = prior.split_inclusive('\n').find_map(|line| {
                offset += line.len();
                line.trim_start().starts_with(after.as_str()).then_some(offset)
            });
            let at = found.ok_or_else(|| format!("{file} has no `{}` line", after.trim_end()))?;
            if text[..at].ends_with('\n') {
                text.insert_str(at, &joined(lines));
            } else {
                text.insert(at, '\n');
                text.insert_str(at + 1, &joined(lines));
            }
            text
        }
        (Edit::Under { .. }, None) => return Err(format!("{file} does not exist")),
    };
    Ok(Some(text))
}

fn base(prior: Option<&str>, create: Option<&str>, file: &str) -> Result<String, String> {
    prior
        .or(create)
        .map(str::to_owned)
        .ok_or_else(|| format!("{file} does not exist: keep the change by hand"))
}

fn joined(lines: &[String]) -> String {
    lines.iter().flat_map(|l| [l.as_str(), "\n"]).collect()
}

fn push_lines(text: &mut String, lines: &[String]) {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&joined(lines));
}

/// The lines of `written` that `prior` did not have, each as often as it was added.
#[must_use]
pub fn added_lines(prior: Option<&str>, written: &str) -> Vec<String> {
    let mut before: Vec<&str> = prior.unwrap_or_default().lines().collect();
    let mut added = Vec::new();
    for line in written.lines() {
        if let Some(at) = before.iter().position(|l| *l == line) {
            before.remove(at);
        } else {
            added.push(line.to_owned());
        }
    }
    added
}

/// The file's text once the edit is taken back: `None` to delete the file. `now` is the file as it is
/// (`None`: gone already — nothing to do, and `None` again).
#[must_use]
pub fn taken_back(prior: Option<&str>, written: &str, added: &[String], now: Option<&str>) -> Option<String> {
    let now = now?;
    if now == written {
        return prior.map(str::to_owned);
    }
    let mut left: Vec<&str> = now.split_inclusive('\n').collect();
    for line in added {
        if let Some(at) = left.iter().position(|l| l.trim_end_matches('\n') == line) {
            left.remove(at);
        }
    }
    Some(left.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert() -> Edit {
        Edit::Insert {
            after: "*filter".into(),
            before: "COMMIT".into(),
            lines: vec!["-I INPUT -s 198.51.100.0/24 -j ACCEPT".into()],
            create: Some("*filter\nCOMMIT\n".into()),
        }
    }

    #[test]
    fn lines_go_before_the_commit_of_their_table() {
        let prior =
            "*nat\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --dport 5060 -j DROP\nCOMMIT\n";
        let written = edited(&insert(), Some(prior), "rules.v4").unwrap().unwrap();
        assert_eq!(
            written,
            "*nat\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --dport 5060 -j DROP\n-I INPUT -s 198.51.100.0/24 -j ACCEPT\nCOMMIT\n"
        );
        // No file: the section of its own; a file without the table: the section added after it.
        assert_eq!(
            edited(&insert(), None, "f").unwrap().unwrap(),
            "*filter\n-I INPUT -s 198.51.100.0/24 -j ACCEPT\nCOMMIT\n"
        );
        assert_eq!(
            edited(&insert(), Some("*nat\nCOMMIT"), "f").unwrap().unwrap(),
            "*nat\nCOMMIT\n*filter\n-I INPUT -s 198.51.100.0/24 -j ACCEPT\nCOMMIT\n"
        );
    }

    #[test]
    fn an_up_line_goes_under_its_stanza() {
        let prior = "auto eth0\niface eth0 inet static\n    address 198.51.100.10/24\n";
        let edit =
            Edit::Under { after: "iface eth0 ".into(), lines: vec!["    up ip route replace x".into()] };
        assert_eq!(
            edited(&edit, Some(prior), "f").unwrap().unwrap(),
            "auto eth0\niface eth0 inet static\n    up ip route replace x\n    address 198.51.100.10/24\n"
        );
        assert!(edited(&edit, Some("iface eth1 inet dhcp\n"), "f").is_err());
        assert!(edited(&Edit::Create { content: "x".into(), private: false }, Some(""), "f").is_err());
        let append = Edit::Append { lines: vec!["a".into()], create: None };
        assert!(edited(&append, None, "f").is_err());
        assert_eq!(edited(&append, Some("z"), "f").unwrap().unwrap(), "z\na\n");
    }

    #[test]
    fn an_undo_gives_back_the_prior_bytes_or_removes_only_its_own_lines() {
        let prior = "k = 1\n";
        let written = "k = 1\nx = 2\n";
        let added = added_lines(Some(prior), written);
        assert_eq!(added, ["x = 2"]);
        assert_eq!(taken_back(Some(prior), written, &added, Some(written)).as_deref(), Some(prior));
        // Created by mcready and untouched since: deleted.
        assert_eq!(taken_back(None, written, &added, Some(written)), None);
        // Changed since: the admin's new line stays, mcready's goes.
        assert_eq!(
            taken_back(Some(prior), written, &added, Some("k = 1\nx = 2\ny = 3\n")).as_deref(),
            Some("k = 1\ny = 3\n")
        );
        assert_eq!(taken_back(Some(prior), written, &added, None), None);
    }
}
