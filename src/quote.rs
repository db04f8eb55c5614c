//! Quoting for the commands mcready prints as fixes: a name from the host (an adapter alias, a rule's
//! display name) goes into a command the admin will paste, so it must stay one literal argument
//! whatever characters it holds. One function per shell, used by every fix that writes for that shell.

/// A PowerShell single-quoted string: nothing inside is expanded, and every character PowerShell takes
/// as a single quote — `'` and the typographic ‘ ’ ‚ ‛ (U+2018–U+201B), which it accepts as quotes too —
/// is doubled, so no name can end the string early (`Wi‑Fi ’; Remove-Item …` stays a name).
#[must_use]
pub fn powershell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A POSIX shell single-quoted word: nothing inside is expanded, and a `'` ends the quote, is escaped
/// and opens it again.
#[must_use]
pub fn posix(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::{posix, powershell};

    #[test]
    fn a_posix_word_stays_one_literal_word() {
        assert_eq!(posix("/etc/a b"), "'/etc/a b'");
        assert_eq!(posix("it's $(x)"), "'it'\\''s $(x)'");
    }

    #[test]
    fn plain_names_are_only_wrapped() {
        assert_eq!(powershell("Ethernet 2"), "'Ethernet 2'");
        assert_eq!(powershell("$(evil) `n \"x\""), "'$(evil) `n \"x\"'");
        assert_eq!(powershell(""), "''");
    }

    #[test]
    fn every_quote_powershell_knows_is_doubled() {
        for quote in ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'] {
            let name = format!("Bob{quote}s LAN{quote}; Remove-Item x");
            assert_eq!(
                powershell(&name),
                format!("'Bob{quote}{quote}s LAN{quote}{quote}; Remove-Item x'"),
                "U+{:04X}",
                u32::from(quote)
            );
        }
    }

    #[test]
    fn double_quotes_are_not_single_quotes() {
        // “ ” („) are PowerShell's double quotes: inside single quotes they are literal.
        assert_eq!(powershell("a\u{201C}b\u{201D}"), "'a\u{201C}b\u{201D}'");
    }
}
