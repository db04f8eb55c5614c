//! The command line, as clap definitions only: what each command and option means is documented here
//! because this text *is* `--help`.

use std::net::Ipv4Addr;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::facts::{PNP_GROUP, PNP_PORT};
use crate::report::Format;

const AFTER_HELP: &str = "\
Exit codes: 0 ready (or the command's positive answer), 1 not ready (or its negative answer), 2 could not run.
Documentation: docs/usage.md, docs/checks.md, docs/schemas/.";

/// Is this LAN ready for SIP Plug-and-Play phone provisioning?
///
/// Phones find their PBX by multicasting a SIP SUBSCRIBE (Event: ua-profile) to 224.0.1.75:5060
/// (sip.mcast.net). Run on the PBX host, `mcready` (that is, `mcready check`) says which of the four
/// requirements fails — PBX membership, same subnet, network multicast, phone PnP — and how to fix it.
/// The other commands show the pieces: adapters, joins, a probe, phones heard, and a responder for tests.
#[derive(Debug, Parser)]
#[command(name = "mcready", version, about, long_about, after_help = AFTER_HELP)]
#[command(propagate_version = true, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// `check`'s options, so that `mcready --phone IP` runs the default command.
    #[command(flatten)]
    pub check: CheckArgs,

    /// The command; `check` when none is given.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The interface that faces the phones (default: chosen from the OS's route for the group).
    #[arg(short = 'i', long, global = true, value_name = "NAME")]
    pub interface: Option<String>,

    /// The PnP multicast group.
    #[arg(long, global = true, value_name = "IPV4", default_value_t = PNP_GROUP, value_parser = parse_group)]
    pub group: Ipv4Addr,

    /// The PnP port.
    #[arg(long, global = true, value_name = "PORT", default_value_t = PNP_PORT)]
    pub port: u16,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Shorthand for `--format json`.
    #[arg(long, global = true)]
    pub json: bool,

    /// When to colour text output (`NO_COLOR` in the environment also turns colour off).
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// Print only the answer, not the facts behind it.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Show more facts (every route, every address).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl GlobalArgs {
    /// The format asked for, `--json` winning over `--format`.
    #[must_use]
    pub fn output_format(&self) -> Format {
        if self.json { Format::Json } else { self.format }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when writing to a terminal that supports it.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The four-requirement checklist, with a fix under every failure (the default command). Exits 0
    /// on pass or warn, 1 on fail (with --strict also on warn, skip and incomplete), 2 when it cannot
    /// run. Sends one PnP probe and an IGMP join/leave unless --no-probe.
    Check(CheckArgs),
    /// Send one phone-shaped PnP SUBSCRIBE to the group (TTL 1) and report every answer: 200 OK, NOTIFY
    /// and its provisioning URL, who, and how fast. Exits 0 when a server answered, 1 when none did.
    /// Puts SIP on the LAN.
    Probe(ProbeArgs),
    /// Hear phones' PnP SUBSCRIBEs for a while: MAC, vendor, model, firmware, source, TTL, interface,
    /// same subnet or not. Exits 0 when a phone was heard, 1 when none was. Sends nothing but IGMP joins.
    Listen(ListenArgs),
    /// Answer `mcready check --peer` from another host, and with `--url` act as a minimal PnP server
    /// for the phones given with `--allow`. Runs until Ctrl-C or `--duration`. Puts SIP on the LAN.
    Respond(RespondArgs),
    /// List adapters: kind, flags, addresses, metrics, default routes, and the interface the OS uses
    /// for the PnP group. Always exits 0.
    Interfaces(InterfacesArgs),
    /// Show which interfaces joined the PnP group (like `ip maddr` or `netsh interface ipv4 show
    /// joins`). Exits 0 when some interface joined it, 1 when none did.
    Joins(JoinsArgs),
}

#[derive(Debug, Args, Default)]
pub struct CheckArgs {
    /// A phone expected on the LAN (repeatable); also chooses the PnP interface by subnet.
    #[arg(long, value_name = "IP")]
    pub phone: Vec<std::net::IpAddr>,

    /// A host on the phones' LAN running `mcready respond`: tests the multicast path both ways.
    #[arg(long, value_name = "IP[:PORT]")]
    pub peer: Option<String>,

    /// Listen this many seconds for phones booting (reboot a phone meanwhile).
    #[arg(long, value_name = "SECS")]
    pub listen: Option<f64>,

    /// How long to wait for answers to the probe, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub timeout: f64,

    /// Passive: send nothing at all (no probe, no IGMP join, no peer test); what needs sending is `skip`.
    #[arg(long)]
    pub no_probe: bool,

    /// Exit 1 on warn, skip and incomplete too (the JSON verdict is unchanged).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct InterfacesArgs {}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// How long to wait for answers, in seconds (the SUBSCRIBE is retransmitted on RFC 3261 timer E).
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub timeout: f64,

    /// Multicast TTL of the probe; 1 keeps it on the local link.
    #[arg(long, value_name = "HOPS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..))]
    pub ttl: u8,
}

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// How long to listen, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub duration: f64,
}

#[derive(Debug, Args)]
pub struct RespondArgs {
    /// Provision phones with this URL (template: {mac}, {ip}, {vendor}, {model}). Without it, mcready
    /// never provisions a phone and only answers `check --peer`.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Answer only this phone (MAC, any common notation); repeatable.
    #[arg(long = "allow", value_name = "MAC")]
    pub allow: Vec<String>,

    /// Answer every phone. Any host that answers first can take a phone over: use on a lab LAN only.
    #[arg(long, conflicts_with = "allow")]
    pub any_phone: bool,

    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
}

#[derive(Debug, Args)]
pub struct JoinsArgs {
    /// Show every group joined on every interface, not only the PnP group.
    #[arg(long)]
    pub all: bool,
}

fn parse_group(text: &str) -> Result<Ipv4Addr, String> {
    let group: Ipv4Addr = text.parse().map_err(|_| format!("`{text}` is not an IPv4 address"))?;
    if group.is_multicast() {
        Ok(group)
    } else {
        Err(format!("{group} is not a multicast group (224.0.0.0/4)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn group_must_be_multicast() {
        assert_eq!(parse_group("224.0.1.75"), Ok(PNP_GROUP));
        assert!(parse_group("198.51.100.1").unwrap_err().contains("not a multicast group"));
        assert!(parse_group("sip.mcast.net").unwrap_err().contains("not an IPv4 address"));
    }
}
