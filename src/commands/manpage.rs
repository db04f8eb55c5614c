//! `mcready manpage`: the man page (roff) generated from the same clap definitions as `--help`, with
//! every command as a section of its own.

use anyhow::Result;
use clap::CommandFactory as _;

use super::Outcome;
use crate::cli::Cli;

/// Common runs, as an admin would type them; roff, so `-` is `\-`.
const EXAMPLES: &str = r".SH EXAMPLES
.TP
\fBmcready check \-\-phone 198.51.100.20\fR
On the PBX host: the checklist, choosing the interface whose subnet holds the phone. Sends a PnP probe and IGMP joins (TTL 1).
.TP
\fBmcready check \-\-no\-probe\fR
The checklist without sending anything at all; what needs sending is skip.
.TP
\fBmcready check \-\-listen 120\fR
Also listen two minutes while a phone reboots, to see its PnP SUBSCRIBE, DHCP options and the switch's voice VLAN.
.TP
\fBmcready check \-\-peer 198.51.100.20\fR
With \fBmcready respond\fR running on a host among the phones: test the multicast path across the switch both ways.
.TP
\fBmcready check \-\-format nagios\fR
As a Nagios or Icinga plugin: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
.TP
\fBmcready check \-\-format prometheus \-\-output /var/lib/prometheus/node\-exporter/mcready.prom\fR
For the Node exporter's textfile collector; the file is replaced atomically and keeps its mode and owner.
.TP
\fBmcready fix \-\-phone 198.51.100.20\fR
The plan: each failing check's fix as steps, with the exact command, its class (safe, disruptive, manual) and its undo. Changes nothing.
.TP
\fBsudo mcready fix \-\-phone 198.51.100.20 \-\-apply\fR
Apply the safe steps (Linux): each journalled in /var/lib/mcready, verified by the check and rolled back when it does not help; taken back by itself unless confirmed within 120 s (\fBmcready fix \-\-confirm\fR); once confirmed, kept after a reboot in the files of the manager the host uses. \fBmcready fix \-\-undo\fR takes the last run back exactly, its kept files too.
.TP
\fBmcready joins\fR
Which interface joined 224.0.1.75, like \fBip maddr\fR or \fBnetsh interface ipv4 show joins\fR.
.TP
\fBmcready explain multicast.igmp\-querier\fR
What a check id in a report means, and how its fix works.
";

/// Text for a roff paragraph: backslashes and hyphens escaped, and a line that would start with a
/// control character (`.` or `'`) guarded.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) { format!("\\&{escaped}") } else { escaped }
}

/// The page as roff (always exit 0).
///
/// # Errors
/// Only when writing into memory fails, which it does not.
pub fn run() -> Result<Outcome> {
    let command = Cli::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    // clap_mangen's list points at one page per command (`mcready-check(1)`), which do not exist:
    // every command is a section of this page instead.
    page.extend_from_slice(b".SH COMMANDS\n");
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        let entry = format!(
            ".TP\n\\fBmcready {}\\fR (section MCREADY {} below)\n{}\n",
            sub.get_name(),
            sub.get_name().to_uppercase(),
            roff_text(&about)
        );
        page.extend_from_slice(entry.as_bytes());
    }
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_name();
        let section = clap_mangen::Man::new(sub.clone().bin_name(format!("mcready {name}")));
        // Each command's own options under a heading of its own.
        page.extend_from_slice(format!(".SH \"MCREADY {}\"\n", name.to_uppercase()).as_bytes());
        let mut body = Vec::new();
        section.render_synopsis_section(&mut body)?;
        section.render_options_section(&mut body)?;
        // The sub-sections' own `.SH` headings become `.SS` under the command's heading.
        let body = String::from_utf8_lossy(&body).replace(".SH ", ".SS ");
        page.extend_from_slice(body.as_bytes());
    }
    // clap_mangen titles `after_help` "EXTRA"; it holds the exit codes, so it gets man(7)'s name for them.
    let mut extra = Vec::new();
    man.render_extra_section(&mut extra)?;
    page.extend_from_slice(
        String::from_utf8_lossy(&extra).replace(".SH EXTRA", ".SH \"EXIT STATUS\"").as_bytes(),
    );
    page.extend_from_slice(EXAMPLES.as_bytes());
    man.render_version_section(&mut page)?;
    Ok(Outcome { output: String::from_utf8_lossy(&page).into_owned(), exit_code: 0 })
}
