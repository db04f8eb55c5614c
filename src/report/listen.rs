//! The `mcready.listen/v1` document (phones heard in a window) and how listening events stream.

use std::fmt::Write as _;

use serde::Serialize;

use super::stream::StreamEvent;
use super::text::{BAD, CAUTION, Cell, DIM, EMPHASIS, GOOD, Table, paint};
use super::{Document, Envelope, markdown};
use crate::observed::{
    DhcpAnswer, ListenEvent, ListenReport, OwnAction, Phone, Stage, StageResult, SwitchPort, VendorDevice,
    WindowEnd,
};

/// One DHCP server's answers in a line: `DHCP ack from 198.51.100.1: option 66 (TFTP server name) tftp://…`.
#[must_use]
pub fn dhcp_line(answer: &DhcpAnswer) -> String {
    let options = if answer.options.is_empty() {
        "no provisioning option".to_owned()
    } else {
        answer
            .options
            .iter()
            .map(|o| format!("option {} ({}) {}", o.code, o.name, o.value))
            .collect::<Vec<_>>()
            .join("; ")
    };
    format!("DHCP {} from {} ×{}: {options}", answer.message, answer.server, answer.count)
}

/// A host with a phone vendor's MAC prefix in a line.
#[must_use]
pub fn device_line(device: &VendorDevice) -> String {
    let address = device.address.map_or_else(String::new, |a| format!(" at {a}"));
    let class =
        device.vendor_class.as_deref().map_or_else(String::new, |c| format!(", DHCP vendor class \"{c}\""));
    format!("{} device {}{address} (by {}{class})", device.vendor, device.mac, device.seen_by.join(", "))
}

/// A switch's announcement of this port in a line.
#[must_use]
pub fn switch_line(port: &SwitchPort) -> String {
    let name = port.switch.as_deref().or(port.chassis_id.as_deref()).unwrap_or("a switch");
    let on = port.port.as_deref().map_or_else(String::new, |p| format!(" port {p}"));
    let native = port.native_vlan.map_or_else(String::new, |v| format!(", native VLAN {v}"));
    let voice = port.voice_vlan.map_or_else(
        || ", no voice VLAN".to_owned(),
        |v| format!(", voice VLAN {}{}", v.vlan, if v.tagged { " (tagged)" } else { " (untagged)" }),
    );
    format!("{} from {name}{on}{native}{voice}", port.protocol.to_uppercase())
}

/// A phone's stage in a line: `phone 00:15:65:aa:bb:cc file answer FAILED: HTTP 404 Not Found from …`
/// (the stream puts the time in front).
#[must_use]
pub fn stage_line(phone: &str, stage: &Stage) -> String {
    let mark = match stage.result {
        StageResult::Ok => "ok",
        StageResult::Failed => "FAILED",
        StageResult::Unfinished => "unfinished",
        StageResult::NotSeen => "NOT SEEN",
        StageResult::NotVisible => "not visible here",
    };
    format!("phone {phone} {} {mark}: {}", stage.stage.label(), stage.detail)
}

/// The `mcready.listen/v1` document.
#[derive(Debug, Serialize)]
pub struct ListenDocument {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub interface: String,
    #[serde(flatten)]
    pub report: ListenReport,
    pub own_actions: Vec<OwnAction>,
    #[serde(skip)]
    pub quiet: bool,
    #[serde(skip)]
    pub verbose: bool,
}

impl ListenDocument {
    fn answer(&self) -> String {
        let phones = self.report.phones.len();
        let secs = self.report.duration_secs;
        if phones == 0 && self.report.not_a_member && !self.report.lan_multicast_heard {
            // Nobody here joined, so a snooping switch may forward nothing: the silence is no answer.
            format!(
                "No phone was heard on {} in {secs} s, but nothing on this host is a member of the group: a snooping \
                 switch that prunes unregistered multicast forwards this host nothing, so hearing nothing proves \
                 nothing. Listen again with `--join` (mcready joins the group for the window) and reboot a phone.",
                self.interface
            )
        } else if phones == 0 {
            format!(
                "No phone was heard on {} in {secs} s. Reboot a phone while listening (PnP runs at boot).",
                self.interface
            )
        } else {
            format!(
                "{} heard on {} in {secs} s.",
                super::text::count(phones as u64, "phone", "phones"),
                self.interface
            )
        }
    }

    /// Where the phones stand, in a line, when the capture followed them past their SUBSCRIBE; with
    /// why the window ended when `--until` ended it.
    fn funnel(&self) -> Option<String> {
        let phones = &self.report.phones;
        if phones.iter().all(|p| p.stages.is_empty()) {
            return None;
        }
        let ended = match self.report.ended_by {
            Some(WindowEnd::Until) => " (the window ended at --until)",
            Some(WindowEnd::UntilAll) => " (the window ended at --until-all)",
            _ => "",
        };
        Some(format!("{}{ended}", super::live::funnel_line(phones)))
    }

    fn phone_row(phone: &Phone) -> Vec<String> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        vec![
            text(&phone.mac),
            text(&phone.vendor),
            text(&phone.model),
            text(&phone.firmware),
            phone.source.to_string(),
            phone.ttl.map_or_else(String::new, |ttl| ttl.to_string()),
            match phone.same_subnet {
                Some(true) => "yes".into(),
                Some(false) => "NO".into(),
                None => String::new(),
            },
            phone.subscribes.to_string(),
            phone.answered_by.join(", "),
        ]
    }

    fn findings(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.report.captured_not_delivered.is_empty() {
            let sources: Vec<String> =
                self.report.captured_not_delivered.iter().map(ToString::to_string).collect();
            lines.push(format!(
                "Seen on the wire but never delivered to a socket (a host firewall rule or a strict rp_filter drops them): {}",
                sources.join(", ")
            ));
        }
        for other in &self.report.non_pnp {
            lines.push(format!(
                "Other SIP on the group: {} from {} ×{}{}",
                other.kind,
                other.source,
                other.count,
                other.user_agent.as_deref().map(|ua| format!(" ({ua})")).unwrap_or_default()
            ));
        }
        for phone in &self.report.phones {
            let stopped =
                phone.stages.iter().find(|s| matches!(s.result, StageResult::Failed | StageResult::NotSeen));
            if let Some(stage) = stopped {
                let key = phone.mac.clone().unwrap_or_else(|| phone.source.to_string());
                lines.push(format!("Phone {key} stopped at its {}: {}", stage.stage.label(), stage.detail));
            }
        }
        if self.report.junk > 0 {
            let junk = super::text::count(self.report.junk, "datagram", "datagrams");
            lines.push(format!("{junk} to the port that were not SIP (ignored)."));
        }
        if let Some(drops) = self.report.socket_drops.filter(|d| *d > 0) {
            lines.push(format!(
                "The sockets on the port dropped {} in the window: their receive buffers were full.",
                super::text::count(drops, "datagram", "datagrams")
            ));
        }
        if self.report.reassembled > 0 {
            lines.push(format!(
                "{} put back together.",
                super::text::count(
                    self.report.reassembled,
                    "datagram arrived in IP fragments and was",
                    "datagrams arrived in IP fragments and were"
                )
            ));
        }
        lines.push(format!(
            "Datagrams to the PnP group and port from another LAN host {}reached this host (link-local groups such \
             as IGMP queries do not count).",
            if self.report.lan_multicast_heard { "" } else { "never " }
        ));
        if let Some(found) = &self.report.discovery {
            if !found.link_layer {
                lines.push(
                    "This capture sees IPv4 alone: ARP, LLDP and CDP (the switch's voice VLAN) cannot be heard here.".into(),
                );
            }
            lines.extend(found.dhcp_answers.iter().map(dhcp_line));
            lines.extend(found.switch_ports.iter().map(switch_line));
            let heard: Vec<&str> = self.report.phones.iter().filter_map(|p| p.mac.as_deref()).collect();
            for device in found.vendor_devices.iter().filter(|d| !heard.contains(&d.mac.as_str())) {
                lines.push(format!("{} sent no PnP SUBSCRIBE", device_line(device)));
            }
        }
        if self.report.interrupted {
            lines.push("Interrupted: the window was cut short, so silence in it proves nothing.".into());
        }
        lines
    }
}

const PHONE_COLUMNS: [&str; 9] =
    ["MAC", "VENDOR", "MODEL", "FIRMWARE", "SOURCE", "TTL", "SAME SUBNET", "SUBSCRIBES", "ANSWERED BY"];

impl Document for ListenDocument {
    const SCHEMA: &'static str = "mcready.listen/v1";

    fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        if !self.quiet && !self.report.phones.is_empty() {
            let mut table = Table::new(PHONE_COLUMNS.to_vec());
            for phone in &self.report.phones {
                let row = Self::phone_row(phone);
                let mut cells: Vec<Cell> = row.into_iter().map(Cell::from).collect();
                if let Some(cell) = cells.first_mut() {
                    *cell = Cell::styled(phone.mac.clone().unwrap_or_default(), EMPHASIS);
                }
                if phone.same_subnet == Some(false)
                    && let Some(cell) = cells.get_mut(6)
                {
                    *cell = Cell::styled("NO", BAD);
                }
                table.row(cells);
            }
            table.write(&mut out, 0);
            out.push('\n');
        }
        let mark = if self.report.phones.is_empty() { paint(BAD, "✘") } else { paint(GOOD, "✔") };
        let _ = writeln!(out, "{mark} {}", self.answer());
        if let Some(funnel) = self.funnel() {
            let _ = writeln!(out, "  {}", paint(EMPHASIS, &funnel));
        }
        if !self.quiet {
            for line in self.findings() {
                let _ = writeln!(out, "  {line}");
            }
            for limit in &self.report.limits {
                let _ = writeln!(out, "  {}", paint(CAUTION, &format!("limit: {limit}")));
            }
            if self.verbose {
                for action in &self.own_actions {
                    let _ = writeln!(out, "  {}", paint(DIM, &action.line()));
                }
            }
        }
        out
    }

    fn markdown_body(&self) -> String {
        let mut out = String::new();
        let mark = if self.report.phones.is_empty() { "✘" } else { "✔" };
        let _ = writeln!(out, "**{mark}** {}\n", markdown::escape(&self.answer()));
        if let Some(funnel) = self.funnel() {
            let _ = writeln!(out, "{}\n", markdown::escape(&funnel));
            let rows: Vec<Vec<String>> = super::live::funnel(&self.report.phones)
                .into_iter()
                .map(|(s, n)| vec![s.words, n.to_string()])
                .collect();
            out.push_str(&markdown::table(&["where the phones stand", "phones"], &rows));
            out.push('\n');
        }
        if !self.report.phones.is_empty() {
            let rows: Vec<Vec<String>> = self.report.phones.iter().map(Self::phone_row).collect();
            let header: Vec<String> = PHONE_COLUMNS.iter().map(|c| c.to_lowercase()).collect();
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            out.push_str(&markdown::table(&header, &rows));
            out.push('\n');
        }
        for line in self.findings() {
            let _ = writeln!(out, "- {}", markdown::prose(&line));
        }
        for limit in &self.report.limits {
            let _ = writeln!(out, "- limit: {}", markdown::prose(limit));
        }
        out
    }
}

/// How each listening event streams: one line each; a tick only feeds the progress line.
impl StreamEvent for ListenEvent {
    fn line(&self) -> Option<String> {
        let event = self;
        let or_unknown = |text: &Option<String>| text.clone().unwrap_or_else(|| "?".to_owned());
        let body = match event {
            ListenEvent::Phone { phone } => format!(
                "phone {} {} {} {} from {} (TTL {}, {})",
                phone.mac.clone().unwrap_or_else(|| "(no MAC)".into()),
                or_unknown(&phone.vendor),
                or_unknown(&phone.model),
                or_unknown(&phone.firmware),
                phone.source,
                phone.ttl.map_or_else(|| "?".to_owned(), |ttl| ttl.to_string()),
                if phone.same_subnet == Some(true) { "same subnet" } else { "NOT in the interface's subnet" }
            ),
            ListenEvent::Again { phone, subscribes } => {
                format!("phone {phone} again ({subscribes} SUBSCRIBEs)")
            }
            ListenEvent::Answered { phone, by } => format!("phone {phone} answered by this host: {by}"),
            ListenEvent::NonPnp { source, kind } => format!("other SIP on the group: {kind} from {source}"),
            ListenEvent::Junk { source, total } => {
                format!("not SIP: datagram from {source} ({total} so far)")
            }
            ListenEvent::Limit { message } => format!("limit: {message}"),
            ListenEvent::Tick { .. } => return None,
            ListenEvent::DhcpAnswer { answer } => dhcp_line(answer),
            ListenEvent::VendorDevice { device } => device_line(device),
            ListenEvent::SwitchPort { port } => switch_line(port),
            ListenEvent::Stage { phone, stage } => stage_line(phone, stage),
        };
        Some(body)
    }
}
