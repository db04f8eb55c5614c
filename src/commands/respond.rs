//! `mcready respond`: gather the interface, open the sockets, serve (engine:
//! [`crate::observe::respond`]) while streaming each event, stop on Ctrl-C (its normal end) or
//! `--duration`.

use std::time::Instant;

use anyhow::{Context as _, Result};

use super::{Outcome, gather};
use crate::cli::{Cli, RespondArgs, UsageError};
use crate::net::{LocalInterface, OwnActions};
use crate::observe::SystemClock;
use crate::observe::respond::{AllowList, PnpServer, RespondSockets, Responder};
use crate::observed::RespondEvent;
use crate::platform::Scope;
use crate::report::stream::EventSink;
use crate::sip::MacAddr;
use crate::snapshot::observing_interface;
use crate::verdict::{Answer, exit_code};

/// # Errors
/// A MAC that does not parse, `--url` without `--allow`/`--any-phone`, no usable interface, or a socket
/// that cannot be opened: the caller prints the line and exits 2.
pub fn run(cli: &Cli, args: &RespondArgs) -> Result<Outcome> {
    let server = pnp_server(args)?;
    let (group, port) = (cli.global.group, cli.global.port);
    let scope =
        Scope { routes: false, group_route: true, memberships: false, listeners: false, firewall: false };
    let facts = gather(cli, scope)?;
    let interface = observing_interface(&facts, cli.global.interface.as_deref())?;
    let iface = LocalInterface::from_facts(interface)
        .with_context(|| format!("interface {} has no IPv4 address", interface.name))?;
    let start = Instant::now();
    let actions = OwnActions::new(start);
    let mut early = Vec::new();
    let sockets = RespondSockets::open(&iface, group, port, server.is_some(), &actions, &mut early)?;
    let mut responder = Responder::new(group, server.clone(), sockets.unicast_addr(), sockets.sender_addr());
    let sink = EventSink::new(cli.global.output_format(), cli.global.quiet, start);
    // Without `-v`, retransmissions and NOTIFY confirmations are not shown; warnings always are.
    let verbose = cli.global.verbose > 0;
    let emit = |event: &RespondEvent| {
        let detail =
            matches!(event, RespondEvent::Retransmission { .. } | RespondEvent::NotifyConfirmed { .. });
        if verbose || !detail {
            sink.emit(event, matches!(event, RespondEvent::Warning { .. }));
        }
    };
    emit(&RespondEvent::Started {
        interface: iface.name.clone(),
        group,
        port,
        unicast: sockets.unicast_addr(),
        provisions: server.is_some(),
    });
    early.iter().for_each(emit);
    let reason = sockets.serve(&mut responder, args.duration.map(|d| start + d), &SystemClock, &emit);
    // Leave the group now, before the last line, so the stop is clean when the line appears.
    drop(sockets);
    let stopped = RespondEvent::Stopped {
        after_secs: (start.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        reason,
        peer_requests: responder.peer_requests,
        phones_provisioned: responder.phones_provisioned(),
    };
    let output = sink.render(&stopped, start.elapsed()).unwrap_or_default();
    Ok(Outcome {
        output,
        exit_code: exit_code(Answer::Informational, false, false, cli.global.output_format()),
    })
}

/// The options into a PnP server (or none); clap already refused `--allow` without `--url`.
fn pnp_server(args: &RespondArgs) -> Result<Option<PnpServer>> {
    let Some(url) = &args.url else { return Ok(None) };
    let mut macs = Vec::new();
    for text in &args.allow {
        let mac: MacAddr = text
            .parse()
            .map_err(|_| UsageError(format!("--allow {text}: not a MAC address (e.g. 00:15:65:73:22:ff)")))?;
        macs.push(mac);
    }
    if macs.is_empty() && !args.any_phone {
        return Err(UsageError(
            "--url needs --allow MAC (repeatable) or --any-phone: whichever host answers a phone first \
             provisions it, so respond answers only the phones you name"
                .into(),
        )
        .into());
    }
    let allow = if args.any_phone { AllowList::Any } else { AllowList::Only(macs) };
    Ok(Some(PnpServer { url_template: url.clone(), allow }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_needs_an_allow_list_or_any_phone() {
        let args = |url: bool, allow: &[&str], any: bool| RespondArgs {
            url: url.then(|| "http://h/{mac}".into()),
            allow: allow.iter().map(|s| (*s).to_owned()).collect(),
            any_phone: any,
            duration: None,
        };
        assert!(pnp_server(&args(true, &[], false)).unwrap_err().to_string().contains("--allow MAC"));
        assert!(pnp_server(&args(true, &["nonsense"], false)).is_err());
        assert_eq!(pnp_server(&args(false, &[], false)).unwrap(), None);
        assert!(matches!(
            pnp_server(&args(true, &[], true)).unwrap(),
            Some(PnpServer { allow: AllowList::Any, .. })
        ));
        assert!(pnp_server(&args(true, &["00:15:65:aa:bb:cc"], false)).unwrap().is_some());
    }
}
