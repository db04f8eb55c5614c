//! `mcready replay FILE`: read a support bundle (`check --bundle`) → its sources re-read and the PnP
//! interface chosen again ([`crate::bundle`]) → evaluate ([`crate::checks`]) with this build's rules →
//! render the report, marked as a replay → exit code as `check`'s. Offline: nothing is gathered or sent.

use std::io::Read as _;
use std::path::Path;

use anyhow::{Context as _, Result};

use super::{Outcome, invocation};
use crate::bundle::Bundle;
use crate::checks;
use crate::cli::{Cli, ReplayArgs};
use crate::facts::interned;
use crate::report::check::{ReplayOf, ReportDocument, build};
use crate::report::{Document as _, Envelope};

/// # Errors
/// When the file cannot be read, is not a bundle this build reads, or its `--interface` (or `-i`) names
/// no interface of the recorded host.
pub fn run(cli: &Cli, args: &ReplayArgs) -> Result<Outcome> {
    let text = read(&args.file)?;
    let mut bundle = Bundle::parse(&text)?;
    // `-i` re-judges the host as if that interface had been named: "what if the phones are on eth1?"
    if let Some(interface) = &cli.global.interface {
        bundle.options.interface = Some(interface.clone());
    }
    let snapshot = bundle.snapshot().context("the recorded host")?;
    let mut envelope =
        Envelope::new(ReportDocument::SCHEMA, bundle.host.clone()).invoked_as(invocation(std::env::args()));
    envelope.cut(bundle.cut_short.iter().cloned().map(interned::intern).collect());
    let evaluation = checks::assess(&snapshot);
    let flags = (bundle.options.strict, cli.global.quiet, cli.global.verbose > 0);
    let mut document = build(envelope, snapshot, evaluation, bundle.own_actions.clone(), flags);
    document.replay = Some(ReplayOf {
        bundle: args.file.display().to_string(),
        recorded_at: bundle.recorded_at.clone(),
        recorded_by: bundle.tool.version.clone(),
        anonymised: bundle.anonymised,
    });
    let code = document.exit_code(cli.global.output_format());
    Ok(Outcome::new(&document, cli, code))
}

fn read(path: &Path) -> Result<String> {
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).context("cannot read the bundle from stdin")?;
    } else {
        text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(text)
}
