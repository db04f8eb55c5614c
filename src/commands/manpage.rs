//! `mcready manpage`: the man page (roff) generated from the same clap definitions as `--help`, with
//! every command as a section of its own.

use anyhow::Result;
use clap::CommandFactory as _;

use super::Outcome;
use crate::cli::Cli;

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
    man.render_subcommands_section(&mut page)?;
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
    man.render_version_section(&mut page)?;
    Ok(Outcome { output: String::from_utf8_lossy(&page).into_owned(), exit_code: 0 })
}
