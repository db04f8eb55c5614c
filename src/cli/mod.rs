//! The command line, as clap definitions: what each command and option means is documented here
//! because this text *is* `--help`. Values are parsed and checked by [`value`].

pub mod value;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::facts::{PNP_GROUP, PNP_PORT};
use crate::report::Format;

pub use value::PeerAddr;

/// What a bare `mcready` prints (on stderr, exit 2): the common invocations, and where the rest is.
/// Like nmap, iperf3 and sipsak, it does nothing without being told what: `check` puts SIP and IGMP on
/// the LAN, which nobody should get by typing a program's name.
pub const SHORT_USAGE: &str = "\
mcready: is this LAN ready for SIP Plug-and-Play phone provisioning? Name a command:

  mcready check --phone IP        the checklist, run on the PBX host (sends a PnP probe and IGMP, TTL 1)
  mcready check --no-probe        the checklist, sending nothing at all
  mcready check --listen 120      also hear phones boot meanwhile (reboot one)
  mcready interfaces              adapters, metrics, and where the group's route leaves (sends nothing)
  mcready joins                   which interface joined 224.0.1.75, like `ip maddr` (sends nothing)
  mcready explain CHECK-ID        what a check means and how its fix works

`mcready --help` lists every command and option; `man mcready` has examples.
";

/// A command line that parsed but cannot run as given: an option that contradicts another or the host
/// (`--phone` naming this host). Exit 2 with the `usage` error code, like a parse error.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// `--version`: the crate version, and the git commit when built from a checkout (`build.rs`).
pub const VERSION: &str = env!("MCREADY_VERSION");

const AFTER_HELP: &str = "\
Exit codes: 0 ready (or the command's positive answer), 1 not ready (or its negative answer), 2 could not run,
130 a second Ctrl-C. A first Ctrl-C ends the observation and prints the report so far.
A DURATION is seconds (`90`, `1.5`) or a number with a unit (`500ms`, `2m`, `1h`, `1d`), at most a day.
`mcready` alone prints a short usage and sends nothing; options without a command run `check`.
Every check id is explained by `mcready explain ID`; the man page (`man mcready`) has examples.";

/// Is this LAN ready for SIP Plug-and-Play phone provisioning?
///
/// Phones find their PBX by multicasting a SIP SUBSCRIBE (Event: ua-profile) to 224.0.1.75:5060
/// (sip.mcast.net). Run on the PBX host, `mcready check` says which of the four requirements fails —
/// PBX membership, same subnet, network multicast, phone PnP — and how to fix it. The other commands
/// show the pieces: adapters, joins, a probe, phones heard, a responder for tests, and what each check
/// means (`explain`).
#[derive(Debug, Parser)]
#[command(name = "mcready", version = VERSION, about, long_about, after_help = AFTER_HELP)]
#[command(propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// `check`'s options, so that `mcready --phone IP` runs `check` (with a note to name it) and `mcready
    /// --no-probe check` means what it says.
    #[command(flatten, next_help_heading = "Check options (also before the command)")]
    pub check: CheckArgs,

    /// The command; `check` when only options are given, a short usage when nothing is.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes, before or after the command's name.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The interface that faces the phones, by name (on Windows the alias, e.g. "Ethernet 2"), index or
    /// adapter GUID (default: chosen from the phones' subnet or the OS's route for the group).
    #[arg(short = 'i', long, global = true, value_name = "NAME")]
    pub interface: Option<String>,

    /// The PnP multicast group.
    #[arg(long, global = true, value_name = "IPV4", default_value_t = PNP_GROUP, value_parser = value::group, allow_hyphen_values = true)]
    pub group: Ipv4Addr,

    /// The PnP port.
    #[arg(long, global = true, value_name = "PORT", default_value_t = PNP_PORT, value_parser = value::port, allow_hyphen_values = true)]
    pub port: u16,

    /// Output format.
    #[arg(long, global = true, value_enum, value_name = "FORMAT", default_value_t = FormatArg::Text)]
    pub format: FormatArg,

    /// Shorthand for `--format json`.
    #[arg(long, global = true)]
    pub json: bool,

    /// Write the document to FILE instead of stdout (`-` is stdout). A regular file is replaced
    /// atomically (a new file beside it, then a rename; a link's target is replaced and the link kept)
    /// with its mode and owner kept, so a reader never sees half of it; a device, FIFO or socket is
    /// written in place. When mcready cannot run, FILE is left as it was.
    #[arg(long, global = true, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// When to colour text output (`NO_COLOR` in the environment also turns colour off).
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// Print only the answer, not the facts behind it.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Show more: `interfaces` every route and link-local address; `joins` the gathering notes and
    /// every socket on the port; `check` every route and each of mcready's own actions; `probe` each
    /// datagram sent; `listen` retransmissions and mcready's own joins; `respond` retransmissions and
    /// NOTIFY confirmations.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl GlobalArgs {
    /// The format asked for, `--json` winning over `--format`.
    #[must_use]
    pub fn output_format(&self) -> Format {
        if self.json { Format::Json } else { self.format.into() }
    }
}

/// `--format`'s values (the renderers' [`Format`] knows nothing of clap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Aligned, coloured when the terminal allows it.
    Text,
    /// One JSON document, stable key order.
    Json,
    /// A block to paste into a ticket.
    Markdown,
    /// A Nagios/Icinga plugin's status line and performance data; exits 0 OK, 1 WARNING, 2
    /// CRITICAL, 3 UNKNOWN (`check` only).
    Nagios,
    /// The Prometheus text exposition format, for the Node exporter's textfile collector (`check` only).
    Prometheus,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Text => Self::Text,
            FormatArg::Json => Self::Json,
            FormatArg::Markdown => Self::Markdown,
            FormatArg::Nagios => Self::Nagios,
            FormatArg::Prometheus => Self::Prometheus,
        }
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
    /// The four-requirement checklist, with a fix under every failure. Exits 0 on pass or warn, 1 on
    /// fail (with --strict also on warn, skip and incomplete), 2 when it cannot run. Unless --no-probe it
    /// sends, all with TTL 1: the PnP SUBSCRIBE probe (retransmitted on timer E until a server answers:
    /// up to 4 in the default 5 s), up to four IGMP joins and their leaves (the group, when no PBX holds the port, and one or
    /// two scratch groups 239.255.x.y that find the querier), a 200 OK to each NOTIFY, one GET of the
    /// provisioning URL (LAN or private addresses only, unless --fetch-any), and with --peer the peer
    /// test's OPTIONS.
    Check(CheckArgs),
    /// Send one phone-shaped PnP SUBSCRIBE to the group (TTL 1) and report every answer: 200 OK, NOTIFY
    /// and its provisioning URL, who, and how fast; a final error (489 Bad Event) as a refusal. Exits 0
    /// when a server accepted it, 1 when none did. Puts SIP on the LAN.
    Probe(ProbeArgs),
    /// Hear phones' PnP SUBSCRIBEs for a while: MAC, vendor, model, firmware, source, TTL, interface,
    /// same subnet or not; with a capture also each phone's stages past PnP (its file over HTTP, HTTPS
    /// or TFTP, its REGISTER, each answer), DHCP provisioning options, phones by their vendor's MAC and
    /// the switch's LLDP/CDP voice VLAN. On a terminal, a live table of where each phone stands, and
    /// where they all stand at the end. Exits 0 when a phone was heard, 1 when none was. Sends nothing
    /// but IGMP joins.
    Listen(ListenArgs),
    /// Answer `mcready check --peer` from another host, and with `--url` act as a minimal PnP server
    /// for the phones given with `--allow`. Runs until Ctrl-C or `--duration`. Puts SIP on the LAN.
    Respond(RespondArgs),
    /// List adapters: kind, flags, addresses, metrics, default and multicast routes, and the interface
    /// the OS uses for the PnP group. Always exits 0.
    Interfaces(InterfacesArgs),
    /// Show which interfaces joined the PnP group (like `ip maddr` or `netsh interface ipv4 show
    /// joins`). Exits 0 when some interface joined it, 1 when none did.
    Joins(JoinsArgs),
    /// Plan the fixes of every failing or warning check, and with --apply make them on this host
    /// (Linux): each step at runtime, verified by the check, rolled back when it does not help,
    /// taken back by itself unless confirmed within --confirm-within, and once confirmed kept after a
    /// reboot in the files of the manager the host uses (netplan, NetworkManager, systemd-networkd,
    /// ifupdown, /etc/nftables.conf, /etc/iptables/rules.v4, /etc/sysctl.d). Takes check's options. Exits 0
    /// when nothing needs fixing (or every check the plan was for passes afterwards), 1 when steps
    /// remain or a check still fails, 2 when it could not run. The plan alone changes nothing.
    Fix(FixArgs),
    /// Explain a check or requirement id (`membership.group-route`, `network-multicast`): what passes,
    /// what warns or fails, and the fix — the text of docs/checks.md, built in, so it reads offline.
    /// Without an id, list every check. Sends nothing.
    Explain(ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish), generated from these
    /// definitions. For example: `mcready completions bash > /etc/bash_completion.d/mcready`.
    Completions(CompletionsArgs),
    /// Print the man page (roff), generated from these definitions: `mcready manpage | man -l -`.
    Manpage,
    /// Re-judge a support bundle (written by `check --bundle FILE`) with this version's parsers and
    /// rules, offline and on any OS (a Windows host's bundle replays on Linux); prints the report,
    /// marked as a replay. The group, port and check options are the recorded run's; `-i` names
    /// another interface of the recorded host. Exits as `check` would have. Sends nothing.
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The bundle (`-` reads it from stdin).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A check id (as in the report, e.g. `multicast.igmp-querier`) or a requirement id.
    #[arg(value_name = "ID")]
    pub id: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args, Default, Clone, PartialEq)]
pub struct CheckArgs {
    /// A phone expected on the LAN (IPv4, repeatable); also chooses the PnP interface by subnet.
    #[arg(long, value_name = "IP", value_parser = value::lan_host, allow_hyphen_values = true)]
    pub phone: Vec<Ipv4Addr>,

    /// A host on the phones' LAN running `mcready respond`: tests the multicast path both ways.
    #[arg(long, value_name = "IP[:PORT]", value_parser = value::peer, allow_hyphen_values = true)]
    pub peer: Option<PeerAddr>,

    /// Listen this long for phones booting (reboot a phone meanwhile), how far each gets (its file, its
    /// registration), DHCP provisioning options and the switch's voice VLAN; extends the run.
    #[arg(long, value_name = "DURATION", value_parser = value::duration, allow_hyphen_values = true)]
    pub listen: Option<Duration>,

    /// How long to wait for a first answer to the probe [default: 5, the phones' own window] and to
    /// the peer test [default: 2]. After the probe's first answer mcready waits 1 s more for other
    /// servers, and up to 5 s after a 200 OK for its NOTIFY, but never more than 8 s in all
    /// (DURATION + 3 s when DURATION is over 5 s); an answer after 2 s is reported as late.
    #[arg(long, value_name = "DURATION", value_parser = value::duration, allow_hyphen_values = true)]
    pub timeout: Option<Duration>,

    /// Shape the probe like this vendor's real PnP SUBSCRIBE (Event vendor and model, User-Agent,
    /// header order), for a PBX that answers only phones it supports; still with mcready's own MAC.
    #[arg(long = "as", value_name = "VENDOR", value_enum)]
    pub shape: Option<ProbeShape>,

    /// The probe's MAC: only a locally administered one (02:…, x6:…, xA:…, xE:…), so mcready can never
    /// fetch a real phone's configuration [default: one derived from the host and interface].
    #[arg(long, value_name = "MAC", value_parser = value::probe_mac)]
    pub mac: Option<crate::sip::MacAddr>,

    /// Passive: send nothing at all (no probe, no IGMP join, no peer test, no fetch); what needs
    /// sending is `skip`.
    #[arg(long)]
    pub no_probe: bool,

    /// Join the group on the PnP interface for the listening window, even where nothing on this host
    /// has: a snooping switch that prunes unregistered multicast then forwards it here. Recorded in
    /// `own_actions` and left at the end (needs --listen; sends an IGMP report, so not with --no-probe).
    #[arg(long, requires = "listen", conflicts_with = "no_probe")]
    pub join: bool,

    /// End the listening window once N phones have reached their last visible stage (registered, or
    /// stopped, or gone where this host cannot see: docs/listen.md), once the rest of the run is done;
    /// --listen still bounds it (needs --listen).
    #[arg(long, value_name = "N", value_parser = value::phone_count, allow_hyphen_values = true, requires = "listen", conflicts_with = "until_all")]
    pub until: Option<usize>,

    /// End the listening window once every phone heard has reached its last visible stage and no new
    /// phone came for 10 s; --listen still bounds it (needs --listen).
    #[arg(long, requires = "listen")]
    pub until_all: bool,

    /// Judge the provisioning URL in the PBX's NOTIFY, but do not fetch it.
    #[arg(long, conflicts_with = "fetch_any")]
    pub no_fetch: bool,

    /// Fetch the provisioning URL wherever it points (by default only hosts on the phones' LAN or in
    /// private ranges are fetched).
    #[arg(long)]
    pub fetch_any: bool,

    /// Exit 1 unless the verdict is pass and no requirement is skip (the JSON verdict is unchanged).
    #[arg(long)]
    pub strict: bool,

    /// After the checklist, repeat the peer test and count phones for this long, joining nothing, to
    /// catch a snooping switch that forgets the PBX after about 260 s (e.g. `5m`; needs --peer).
    #[arg(long, value_name = "DURATION", value_parser = value::duration, allow_hyphen_values = true, requires = "peer", conflicts_with = "no_probe")]
    pub soak: Option<Duration>,

    /// How often the soak repeats the peer test [default: 15s].
    #[arg(long, value_name = "DURATION", value_parser = value::duration, allow_hyphen_values = true, requires = "soak")]
    pub soak_interval: Option<Duration>,

    /// Also write a support bundle to FILE: what the run read and heard (the raw /proc files and
    /// firewall listings, the observations, the options), secrets redacted, for `mcready replay`
    /// (docs/bundle.md). Attach it to a support ticket.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,

    /// Replace host names and MAC addresses in the bundle by pseudonyms, the same one for the same
    /// name within a bundle (addresses stay: the rules judge subnets by them).
    #[arg(long, requires = "bundle")]
    pub anonymise: bool,
}

impl CheckArgs {
    /// The default wait for the peer test's answers (the probe's is `observe::probe::TIMEOUT`).
    pub const PEER_TIMEOUT: Duration = Duration::from_secs(2);
    /// The default pause between soak rounds.
    pub const SOAK_INTERVAL: Duration = Duration::from_secs(15);

    /// Options given before `check` and after it, taken together (`mcready --no-probe check -q`).
    #[must_use]
    pub fn merged(&self, after: &Self) -> Self {
        let mut phone = self.phone.clone();
        phone.extend(after.phone.iter().filter(|ip| !self.phone.contains(ip)));
        Self {
            phone,
            peer: after.peer.or(self.peer),
            listen: after.listen.or(self.listen),
            timeout: after.timeout.or(self.timeout),
            shape: after.shape.or(self.shape),
            mac: after.mac.or(self.mac),
            no_probe: self.no_probe || after.no_probe,
            join: self.join || after.join,
            until: after.until.or(self.until),
            until_all: self.until_all || after.until_all,
            no_fetch: self.no_fetch || after.no_fetch,
            fetch_any: self.fetch_any || after.fetch_any,
            soak: after.soak.or(self.soak),
            soak_interval: after.soak_interval.or(self.soak_interval),
            strict: self.strict || after.strict,
            bundle: after.bundle.clone().or_else(|| self.bundle.clone()),
            anonymise: self.anonymise || after.anonymise,
        }
    }

    /// Options that contradict each other once those before the command and after it are taken
    /// together (clap sees each side alone): sending with `--no-probe`, in clap's own words.
    #[must_use]
    pub fn contradiction(&self) -> Option<String> {
        let sends = [(self.join, "--join"), (self.soak.is_some(), "--soak <DURATION>")];
        let (_, option) = sends.into_iter().find(|(given, _)| *given && self.no_probe)?;
        Some(format!("the argument '{option}' cannot be used with '--no-probe'"))
    }

    /// Whether any of `check`'s options was given.
    #[must_use]
    pub fn any(&self) -> bool {
        *self != Self::default()
    }
}

#[derive(Debug, Args)]
pub struct InterfacesArgs {}

#[derive(Debug, Args, Default, Clone, PartialEq)]
pub struct FixArgs {
    #[command(flatten)]
    pub check: CheckArgs,

    /// Apply the plan's safe steps (Linux as root, Windows from an elevated prompt; macOS: the plan only). Each is journalled, verified
    /// by the check and rolled back when its checks still fail.
    #[arg(long)]
    pub apply: bool,

    /// Also apply the disruptive steps (a PBX restart) without asking.
    #[arg(long, requires = "apply")]
    pub allow_disruptive: bool,

    /// Answer every question yes, a disruptive step's and the final confirmation included (for scripts).
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Only the fix of this check (repeatable).
    #[arg(long, value_name = "CHECK_ID")]
    pub only: Vec<String>,

    /// Take the changes back by themselves unless confirmed within this time (a key on the terminal,
    /// or `mcready fix --confirm` from another shell) [default: 120s].
    #[arg(long, value_name = "DURATION", value_parser = value::duration, allow_hyphen_values = true)]
    pub confirm_within: Option<Duration>,

    /// Keep the changes of the run waiting for its confirmation, and keep those that verified after a
    /// reboot too (the manager's files, journalled first; `--undo` takes them back).
    #[arg(long, conflicts_with_all = ["apply", "undo", "status"])]
    pub confirm: bool,

    /// Take the last run's changes back, restoring the state before them exactly (also a run that was
    /// killed midway), and the files that kept them: their bytes before, or only mcready's lines when
    /// a file was changed since.
    #[arg(long, conflicts_with_all = ["apply", "status"])]
    pub undo: bool,

    /// Show the last run: its changes, and whether it waits for a confirmation.
    #[arg(long, conflicts_with = "apply")]
    pub status: bool,

    /// Where the journal and the lock are kept [default: `$MCREADY_STATE_DIR`, else /var/lib/mcready; Windows: `%ProgramData%\\mcready`].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<std::path::PathBuf>,

    /// The armed revert of run RUN: wait, and take the run back unless it is confirmed in time.
    #[arg(long, value_name = "RUN", hide = true)]
    pub revert_when_due: Option<String>,
}

impl FixArgs {
    /// The default time to confirm a run.
    pub const CONFIRM_WITHIN: Duration = Duration::from_secs(120);
}

impl CheckArgs {
    /// These options as a command line `check` parses back to the same values (what `fix` runs the
    /// check with).
    #[must_use]
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let millis = |d: Duration| format!("{}ms", d.as_millis());
        for phone in &self.phone {
            args.extend(["--phone".to_owned(), phone.to_string()]);
        }
        if let Some(peer) = self.peer {
            let port = peer.port.map_or_else(String::new, |p| format!(":{p}"));
            args.extend(["--peer".to_owned(), format!("{}{port}", peer.ip)]);
        }
        for (name, value) in [
            ("--listen", self.listen),
            ("--timeout", self.timeout),
            ("--soak", self.soak),
            ("--soak-interval", self.soak_interval),
        ] {
            if let Some(value) = value {
                args.extend([name.to_owned(), millis(value)]);
            }
        }
        if let Some(shape) = self.shape.and_then(|s| s.to_possible_value()) {
            args.extend(["--as".to_owned(), shape.get_name().to_owned()]);
        }
        if let Some(mac) = self.mac {
            args.extend(["--mac".to_owned(), mac.to_string()]);
        }
        if let Some(until) = self.until {
            args.extend(["--until".to_owned(), until.to_string()]);
        }
        for (flag, on) in [
            ("--no-probe", self.no_probe),
            ("--no-fetch", self.no_fetch),
            ("--fetch-any", self.fetch_any),
            ("--until-all", self.until_all),
        ] {
            if on {
                args.push(flag.to_owned());
            }
        }
        args
    }
}

/// Whose PnP SUBSCRIBE the probe imitates (`--as`): [`Shape`](crate::sip::build::Shape), each from a
/// real phone's sample, offered to clap by its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProbeShape(pub crate::sip::build::Shape);

impl clap::ValueEnum for ProbeShape {
    fn value_variants<'a>() -> &'a [Self] {
        use crate::sip::build::Shape;
        &[
            Self(Shape::Mcready),
            Self(Shape::Snom),
            Self(Shape::Yealink),
            Self(Shape::Grandstream),
            Self(Shape::Audiocodes),
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.name()).help(self.0.describe()))
    }
}

impl From<ProbeShape> for crate::sip::build::Shape {
    fn from(shape: ProbeShape) -> Self {
        shape.0
    }
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// How long to wait for a first answer (the SUBSCRIBE is retransmitted on RFC 3261 timer E at 0,
    /// 0.5, 1.5 and 3.5 s). After the first answer mcready waits 1 s more for other servers, and up to
    /// 5 s after a 200 OK for its NOTIFY, but never more than 8 s in all (DURATION + 3 s when DURATION
    /// is over 5 s); an answer after 2 s is reported as late. The default is the phones' own window.
    #[arg(long, value_name = "DURATION", default_value = "5", value_parser = value::duration, allow_hyphen_values = true)]
    pub timeout: Duration,

    /// Shape the probe like this vendor's real PnP SUBSCRIBE (Event vendor and model, User-Agent,
    /// header order), for a PBX that answers only phones it supports; still with mcready's own MAC.
    #[arg(long = "as", value_name = "VENDOR", value_enum, default_value = "mcready")]
    pub shape: ProbeShape,

    /// The probe's MAC: only a locally administered one (02:…, x6:…, xA:…, xE:…), so mcready can never
    /// fetch a real phone's configuration [default: one derived from the host and interface].
    #[arg(long, value_name = "MAC", value_parser = value::probe_mac)]
    pub mac: Option<crate::sip::MacAddr>,

    /// Multicast TTL of the probe; 1 keeps it on the local link.
    #[arg(long, value_name = "HOPS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..), allow_hyphen_values = true)]
    pub ttl: u8,
}

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// How long to listen.
    #[arg(long, value_name = "DURATION", default_value = "60", value_parser = value::duration, allow_hyphen_values = true)]
    pub duration: Duration,

    /// Join the group on the interface for the window, even where nothing on this host has: a snooping
    /// switch that prunes unregistered multicast then forwards it here. Recorded in `own_actions` and
    /// left at the end.
    #[arg(long)]
    pub join: bool,

    /// End the window once N phones have reached their last visible stage (registered, or stopped, or
    /// gone where this host cannot see: docs/listen.md); --duration still bounds it.
    #[arg(long, value_name = "N", value_parser = value::phone_count, allow_hyphen_values = true, conflicts_with = "until_all")]
    pub until: Option<usize>,

    /// End the window once every phone heard has reached its last visible stage and no new phone came
    /// for 10 s; --duration still bounds it.
    #[arg(long)]
    pub until_all: bool,
}

/// `--until N` or `--until-all`, as the engines take it.
#[must_use]
pub fn until(count: Option<usize>, all: bool) -> Option<crate::observed::Until> {
    match (count, all) {
        (Some(n), _) => Some(crate::observed::Until::Phones(n)),
        (None, true) => Some(crate::observed::Until::All),
        (None, false) => None,
    }
}

#[derive(Debug, Args)]
pub struct RespondArgs {
    /// Provision phones with this URL (http, https, tftp or ftp; template: {mac}, {ip}, {vendor},
    /// {model}). Without it, mcready never provisions a phone and only answers `check --peer`.
    #[arg(long, value_name = "URL", value_parser = value::provisioning_url)]
    pub url: Option<String>,

    /// Answer only this phone (MAC, any common notation); repeatable. Needs --url.
    #[arg(long = "allow", value_name = "MAC", requires = "url")]
    pub allow: Vec<String>,

    /// Answer every phone. Any host that answers first can take a phone over: use on a lab LAN only.
    /// Needs --url.
    #[arg(long, conflicts_with = "allow", requires = "url")]
    pub any_phone: bool,

    /// Stop after this long (default: run until Ctrl-C).
    #[arg(long, value_name = "DURATION", value_parser = value::duration, allow_hyphen_values = true)]
    pub duration: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct JoinsArgs {
    /// Show every group joined on every interface, not only the PnP group.
    #[arg(long)]
    pub all: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("mcready").chain(args.iter().copied()))
    }

    #[test]
    fn global_options_go_before_or_after_the_command() {
        for args in [
            &["--json", "interfaces"][..],
            &["interfaces", "--json"],
            &["-i", "eth0", "joins"],
            &["joins", "-i", "eth0"],
        ] {
            let cli = parse(args).unwrap();
            assert!(cli.command.is_some(), "{args:?}");
        }
        let cli = parse(&["-q", "--no-probe", "check", "--strict"]).unwrap();
        let Some(Command::Check(after)) = &cli.command else { panic!() };
        let merged = cli.check.merged(after);
        assert!(cli.global.quiet && merged.no_probe && merged.strict);
    }

    #[test]
    fn negative_and_absurd_values_get_the_options_own_message() {
        for (args, wanted) in [
            (&["listen", "--duration", "-5"][..], "more than zero"),
            (&["listen", "--duration", "1e19"], "not a duration"),
            (&["listen", "--until", "0"], "not a number of phones"),
            (&["listen", "--until", "-3"], "not a number of phones"),
            (&["listen", "--until", "many"], "not a number of phones"),
            (&["listen", "--until", "3", "--until-all"], "cannot be used with"),
            (&["check", "--until", "3"], "--listen"),
            (&["check", "--until-all"], "--listen"),
            (&["check", "--timeout", "0"], "more than zero"),
            (&["--port", "0", "joins"], "port 0"),
            (&["check", "--phone", "-1"], "not an IP address"),
            (&["check", "--peer", "198.51.100.20:0"], "port 0"),
            (&["respond", "--allow", "00:15:65:aa:bb:cc"], "--url"),
            (&["respond", "--url", "ftp//x"], "not a URL"),
        ] {
            let error = parse(args).unwrap_err().to_string();
            assert!(error.contains(wanted), "{args:?}: {error}");
        }
    }

    #[test]
    fn fix_runs_the_check_with_the_same_options() {
        let cli = parse(&[
            "fix",
            "--phone",
            "198.51.100.20",
            "--phone",
            "198.51.100.21",
            "--peer",
            "198.51.100.30:5070",
            "--listen",
            "2m",
            "--timeout",
            "1.5",
            "--as",
            "snom",
            "--mac",
            "02:00:00:aa:bb:cc",
            "--no-fetch",
            "--until",
            "40",
            "--apply",
        ])
        .unwrap();
        let Some(Command::Fix(fix)) = &cli.command else { panic!() };
        let mut again = vec!["check".to_owned()];
        again.extend(fix.check.to_args());
        let words: Vec<&str> = again.iter().map(String::as_str).collect();
        let reparsed = parse(&words).unwrap();
        let Some(Command::Check(check)) = &reparsed.command else { panic!() };
        assert_eq!(*check, fix.check, "{again:?}");
    }
}
