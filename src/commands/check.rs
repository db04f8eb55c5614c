//! `mcready check`: gather (host facts first, before mcready joins anything) → observe
//! ([`crate::observe::checklist`]) → with `--bundle`, write what was read and heard
//! ([`crate::bundle`]) → evaluate ([`crate::checks`], pure) → render ([`crate::report::check`]) → exit
//! code.

use std::net::IpAddr;
use std::time::Instant;

use anyhow::Result;

use super::{Outcome, envelope, gather_recorded};
use crate::bundle::{Bundle, RunOptions};
use crate::checks;
use crate::cli::{CheckArgs, Cli, UsageError};
use crate::facts::HostFacts;
use crate::net::OwnActions;
use crate::observe::checklist::{self, Plan};
use crate::observe::fetch::{Reach, Roots};
use crate::observe::probe::probe_mac;
use crate::observe::soak::{self, SoakOptions};
use crate::observed::Observed;
use crate::platform::output::write_output;
use crate::platform::{Scope, terminal_size};
use crate::report::Document as _;
use crate::report::check::{ReportDocument, build};
use crate::report::live::Watch;
use crate::report::stream::Progress;
use crate::snapshot::{OsFamily, Snapshot, choose_interface};

/// # Errors
/// When an option contradicts the host (`--phone` is this host), the host facts cannot be gathered, or
/// `--interface` is unknown.
pub fn run(cli: &Cli, args: &CheckArgs) -> Result<Outcome> {
    if args.bundle.as_ref().is_some_and(|path| path.as_os_str() == "-") {
        return Err(
            UsageError("`--bundle -` would mix the bundle into the report: name a file".into()).into()
        );
    }
    let (facts, sources) = gather_recorded(cli, Scope::ALL)?;
    let peer = args.peer.map(|p| p.with_default_port(cli.global.port));
    let mut hints: Vec<IpAddr> = args.phone.iter().copied().map(IpAddr::V4).collect();
    hints.extend(peer.map(|p| IpAddr::V4(*p.ip())));
    let (pnp_interface, interface_rule) = choose_interface(&facts, cli.global.interface.as_deref(), &hints)?;
    refuse_own_addresses(&facts, args)?;
    let interface = pnp_interface.as_deref().and_then(|name| facts.interface(name));
    let mut envelope = envelope(ReportDocument::SCHEMA);

    let actions = OwnActions::new(Instant::now());
    let plan = Plan {
        group: cli.global.group,
        port: cli.global.port,
        timeout: args.timeout.unwrap_or(CheckArgs::PEER_TIMEOUT),
        probe_timeout: args.timeout.unwrap_or(crate::observe::probe::TIMEOUT),
        peer,
        listen: args.listen,
        until: crate::cli::until(args.until, args.until_all),
        passive: args.no_probe,
        join: args.join,
        probe_mac: args.mac.unwrap_or_else(|| {
            probe_mac(&envelope.host.hostname, pnp_interface.as_deref().unwrap_or_default())
        }),
        shape: args.shape.unwrap_or_default().into(),
        fetch: match (args.no_fetch, args.fetch_any) {
            (true, _) => Reach::None,
            (false, true) => Reach::Any,
            (false, false) => Reach::Private,
        },
        roots: Roots::WebPki,
    };
    // A terminal watching a listening window is told to reboot a phone, and how long is left (stderr,
    // text only: nothing of it reaches a pipe, a file or a JSON reader). Each phone's stages stream as
    // lines in text, as `listen` prints them, or fill the live table on a terminal; JSON carries them at
    // the end.
    let listening_on = interface.map_or("", |i| i.name.as_str());
    let window = args.listen.map_or(0, |w| w.as_secs());
    let quiet = cli.global.quiet || window == 0 || listening_on.is_empty();
    let watch = Watch::open(
        (cli.global.output_format(), quiet),
        listening_on,
        terminal_size,
        false,
        move |left, n| {
            format!(
                "Listening {window} s on {listening_on} — reboot a phone now: {left:>4} s left, {n} phone(s) heard"
            )
        },
    );
    let observations = checklist::observe(&facts, interface, &plan, &actions, &|event| watch.event(event));
    watch.finish(observations.listen.done());
    drop(watch);
    let soak = soak(&facts, interface, &plan, args, &actions);
    let mut cut = observations.cut_short();
    if soak.done().is_some_and(|s| s.interrupted) {
        cut.push("soak");
    }
    envelope.cut(cut);

    let snapshot = Snapshot {
        os: OsFamily::current(),
        facts,
        pnp_interface,
        interface_rule,
        group: cli.global.group,
        port: cli.global.port,
        expected_phones: hints.iter().take(args.phone.len()).copied().collect(),
        peer: observations.peer,
        probe: observations.probe,
        listen: observations.listen,
        querier: observations.querier,
        fetch: observations.fetch,
        soak,
        passive: args.no_probe,
    };
    if let Some(path) = &args.bundle {
        let options = RunOptions {
            group: plan.group,
            port: plan.port,
            interface: cli.global.interface.clone(),
            phones: args.phone.clone(),
            peer,
            listen_secs: args.listen.map(|d| d.as_secs_f64()),
            no_probe: args.no_probe,
            strict: args.strict,
        };
        let mut bundle =
            Bundle::record(&snapshot, sources, envelope.host.clone(), options, actions.snapshot());
        bundle.cut_short = envelope.cut_short.iter().map(ToString::to_string).collect();
        write_output(path, bundle.to_json(args.anonymise).as_bytes())?;
    }
    let evaluation = checks::assess(&snapshot);
    let flags = (args.strict, cli.global.quiet, cli.global.verbose > 0);
    let mut document = build(envelope, snapshot, evaluation, actions.snapshot(), flags);
    // Wrapped to the terminal only when the text goes there.
    document.width = crate::platform::terminal_width().filter(|_| cli.global.output.is_none());
    let code = document.exit_code(cli.global.output_format());
    Ok(Outcome::new(&document, cli, code))
}

/// `--soak`: the peer test repeated, joining nothing, with a progress bar while a terminal watches.
fn soak(
    facts: &HostFacts,
    interface: Option<&crate::facts::Interface>,
    plan: &Plan,
    args: &CheckArgs,
    actions: &OwnActions,
) -> Observed<crate::observed::SoakReport> {
    let (Some(duration), Some(peer)) = (args.soak, plan.peer) else { return Observed::NotAsked };
    let Some(interface) = interface else {
        return Observed::Skipped(
            "no PnP interface with an IPv4 address: name the phones' interface with `-i`".into(),
        );
    };
    let options = SoakOptions {
        group: plan.group,
        port: plan.port,
        peer,
        duration,
        interval: args.soak_interval.unwrap_or(CheckArgs::SOAK_INTERVAL),
        timeout: plan.timeout,
    };
    let progress = Progress::new(duration, "soak");
    let report = soak::observe(facts, interface, options, actions, &mut |round, at| {
        let state = if round.here_to_peer && round.peer_to_here != Some(false) {
            "multicast flows"
        } else {
            "multicast STOPPED"
        };
        progress.at(at, &format!("soak: {state}"));
    });
    progress.finish();
    Observed::Done(report)
}

/// A `--phone` or `--peer` that is this host's own address, or a subnet's broadcast or network address, cannot be
/// a phone-side host: say so rather than judge the LAN by it.
fn refuse_own_addresses(facts: &HostFacts, args: &CheckArgs) -> Result<()> {
    let given = args.phone.iter().map(|ip| ("--phone", *ip)).chain(args.peer.map(|p| ("--peer", p.ip)));
    for (option, ip) in given {
        if facts.addresses().contains(&IpAddr::V4(ip)) {
            return Err(UsageError(format!(
                "{option} {ip} is this host's own address: give the address of a phone (or of the host running `mcready respond`)"
            ))
            .into());
        }
        let subnets = || facts.interfaces.iter().flat_map(|i| &i.ipv4);
        let address = Some(IpAddr::V4(ip));
        let what = if subnets().any(|net| net.broadcast() == address) {
            "the broadcast address"
        } else if subnets().any(|net| net.network_address() == address) {
            "the network address"
        } else {
            continue;
        };
        return Err(
            UsageError(format!("{option} {ip} is {what} of one of this host's subnets, not a host")).into()
        );
    }
    Ok(())
}
