//! The pure tally of a listening window: what the capture and the group socket saw ([`Seen`]), turned
//! into phones (one per MAC, however often it subscribes), other SIP, junk, and the evidence of a host
//! drop (a SUBSCRIBE the capture saw that no socket got). No sockets and no clock: the listening engine
//! ([`super::listen`]) feeds it, and its tests feed it by hand. DHCP, vendor MACs and the switch's
//! LLDP/CDP go on to [`super::discovery`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use super::discovery::{DiscoveryTally, Found};
use super::stages::{self, Files, Heard, TcpSeen, Traffic, push_stage};
use crate::facts::Interface;
use crate::net::discovery::{Discovered, mac_string};
use crate::net::provision::{self, PROTOCOL_TCP, Tftp};
use crate::net::{self, CapturedFrame, Datagram, Direction, LinkFrame};
use crate::observed::{
    HeardBy, ListenEvent, ListenReport, OtherSip, Phone, PhoneAnswer, SETTLE_MS, Stage, StageKind,
    StageResult, Until,
};
use crate::sip::{self, pnp};

/// Distinct phones and senders kept at most: a flood of forged SUBSCRIBEs must not exhaust memory.
const MAX_ENTRIES: usize = 65_536;

impl From<Found> for ListenEvent {
    fn from(found: Found) -> Self {
        match found {
            Found::Dhcp(answer) => Self::DhcpAnswer { answer },
            Found::Device(device) => Self::VendorDevice { device },
            Found::Switch(port) => Self::SwitchPort { port },
        }
    }
}

/// What a receive thread saw, reduced to what the tally needs (a few hundred bytes, not the 64 KiB
/// buffer the datagram was read into: a burst queued between threads must stay small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub by_capture: bool,
    pub at: Instant,
    pub source: SocketAddrV4,
    pub destination: Ipv4Addr,
    pub destination_port: u16,
    pub ttl: Option<u8>,
    /// Sent by this host (capture only).
    pub outgoing: bool,
    /// Put back together from IP fragments by the capture.
    pub reassembled: bool,
    pub what: What,
}

/// The content of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    Subscribe {
        mac: Option<String>,
        vendor: Option<String>,
        model: Option<String>,
        firmware: Option<String>,
        user_agent: Option<String>,
        call_id: Option<String>,
        contact: Option<String>,
    },
    /// Other SIP: the method or `response NNN`, and the `CSeq` method of a response.
    OtherSip {
        kind: String,
        cseq_method: Option<String>,
        user_agent: Option<String>,
        call_id: Option<String>,
        /// A response's reason phrase.
        reason: Option<String>,
        /// A NOTIFY's provisioning URL, redacted.
        url: Option<String>,
    },
    /// UDP to the port that is not SIP (or a fragment that cannot be read).
    Junk,
    /// Not UDP to the port: IGMP, other traffic the filter let through.
    Other,
    /// A socket delivery when the capture counts: only the source matters.
    Delivered,
    /// DHCP, ARP, LLDP or CDP (capture only): how phones may provision besides PnP.
    Discovery(Box<Discovered>),
    /// A TCP segment to or from a file server's port (capture only), its bytes cut at the snap length.
    Tcp(Box<TcpSeen>),
    /// A TFTP packet (capture only).
    Tftp(Tftp),
}

impl What {
    /// Reads a UDP payload.
    #[must_use]
    pub fn of_payload(payload: &[u8]) -> Self {
        let Ok(message) = sip::parse(payload) else { return Self::Junk };
        // The peer test's OPTIONS (ours and `respond`'s) cross the window now that it spans the whole
        // run: they are mcready's own test traffic, not a phone's other SIP.
        if message.header("X-Mcready").is_some() {
            return Self::Other;
        }
        if pnp::is_pnp_subscribe(&message) {
            let phone = pnp::identify_phone(&message);
            return Self::Subscribe {
                mac: phone.mac.map(|mac| mac.to_string()),
                vendor: phone.vendor,
                model: phone.model,
                firmware: phone.firmware,
                user_agent: phone.user_agent,
                call_id: message.call_id().map(str::to_owned),
                contact: phone.contact,
            };
        }
        let kind = match (message.method(), message.status_code()) {
            (Some(method), _) => method.to_owned(),
            (None, Some(code)) => format!("response {code}"),
            (None, None) => return Self::Junk,
        };
        let reason = match message.start_line() {
            sip::StartLine::Response { reason, .. } => Some(reason.to_owned()).filter(|r| !r.is_empty()),
            sip::StartLine::Request { .. } => None,
        };
        let url = pnp::notify_info(&message).and_then(|n| n.provisioning_url).map(|u| sip::redact_url(&u));
        Self::OtherSip {
            kind,
            cseq_method: message.cseq().map(|(_, method)| method.to_ascii_uppercase()),
            user_agent: message.header("User-Agent").or_else(|| message.header("Server")).map(str::to_owned),
            call_id: message.call_id().map(str::to_owned),
            reason,
            url,
        }
    }
}

impl Seen {
    pub(super) fn from_frame(frame: &CapturedFrame, port: u16) -> Self {
        let packet = &frame.packet;
        // What the IP header says the transport carries: the capture may have kept less of it.
        let carried = packet.total_len.saturating_sub(packet.header_len);
        let (source_port, destination_port, what) = match (packet.udp(), &packet.transport) {
            (Some((from, to, payload)), _) if from == port || to == port => {
                (from, to, What::of_payload(payload))
            }
            (Some((from, to, payload)), _) => {
                let found = Discovered::from_udp(packet.source, from, to, payload)
                    .map(|d| What::Discovery(Box::new(d)));
                let tftp = || provision::parse_tftp(payload, carried.saturating_sub(8)).map(What::Tftp);
                (from, to, found.or_else(tftp).unwrap_or(What::Other))
            }
            (None, net::Transport::Other { payload }) if packet.protocol == PROTOCOL_TCP => {
                match provision::parse_tcp(payload, carried) {
                    Some(tcp) => (
                        tcp.source_port,
                        tcp.destination_port,
                        What::Tcp(Box::new(TcpSeen {
                            sequence: tcp.sequence,
                            flags: tcp.flags,
                            payload: tcp.payload.to_vec(),
                            payload_len: tcp.payload_len,
                        })),
                    ),
                    None => (0, 0, What::Other),
                }
            }
            (None, net::Transport::Fragment { .. } | net::Transport::MalformedUdp { .. }) => {
                (0, port, What::Junk)
            }
            (None, _) => (0, 0, What::Other),
        };
        Self {
            by_capture: true,
            at: frame.received_at,
            source: SocketAddrV4::new(packet.source, source_port),
            destination: packet.destination,
            destination_port,
            ttl: Some(packet.ttl),
            outgoing: frame.direction == Direction::Outgoing,
            reassembled: frame.reassembled,
            what,
        }
    }

    /// The TCP port of the HTTP or HTTPS URL in a NOTIFY this host sent: where the phone will ask for
    /// its file, for the capture to follow.
    #[must_use]
    pub fn notify_url_port(&self) -> Option<u16> {
        let What::OtherSip { kind, url: Some(url), .. } = &self.what else { return None };
        let (scheme, _, port) = stages::url_target(url)?;
        (self.outgoing && kind == "NOTIFY" && matches!(scheme.as_str(), "http" | "https")).then_some(port)
    }

    /// A link-layer frame (ARP, LLDP, CDP) the capture handed over, when it is one of them.
    pub(super) fn from_link(frame: &LinkFrame) -> Option<Self> {
        let found = Discovered::from_link(frame.protocol, &frame.payload)?;
        Some(Self {
            by_capture: true,
            at: frame.received_at,
            source: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
            destination: Ipv4Addr::UNSPECIFIED,
            destination_port: 0,
            ttl: None,
            outgoing: frame.direction == Direction::Outgoing,
            reassembled: false,
            what: What::Discovery(Box::new(found)),
        })
    }

    pub(super) fn from_datagram(datagram: &Datagram, group: Ipv4Addr, port: u16, parse: bool) -> Self {
        Self {
            by_capture: false,
            at: datagram.received_at,
            source: datagram.source,
            destination: datagram.destination.unwrap_or(group),
            destination_port: port,
            ttl: datagram.ttl,
            outgoing: false,
            reassembled: false,
            what: if parse { What::of_payload(&datagram.payload) } else { What::Delivered },
        }
    }
}

/// The pure tally: turns what was seen into phones, other SIP, junk and the delivery evidence.
#[derive(Debug)]
pub struct Tally {
    group: Ipv4Addr,
    port: u16,
    interface: Interface,
    local: HashSet<Ipv4Addr>,
    /// The capture is the counting source; the socket only proves delivery.
    capture_counts: bool,
    phones: Vec<Phone>,
    by_key: HashMap<String, usize>,
    by_call_id: HashMap<String, usize>,
    by_ip: HashMap<IpAddr, usize>,
    non_pnp: Vec<OtherSip>,
    non_pnp_index: HashMap<(SocketAddr, String), usize>,
    junk: u32,
    captured_subscribes: BTreeSet<SocketAddr>,
    delivered: HashSet<SocketAddr>,
    lan_multicast_heard: bool,
    reassembled: u32,
    /// DHCP, vendor MACs, LLDP and CDP: tallied only when a capture counts.
    discovery: Option<DiscoveryTally>,
    /// PnP answers from other hosts to this host's own SUBSCRIBEs (the probe's).
    answers_heard: Vec<PhoneAnswer>,
    /// When the window opened: stage times count from it.
    opened: Option<Instant>,
    /// Each phone's file requests and their answers.
    files: Files,
    /// The last DHCP message per client MAC, for the phone's first stage: when, and the line.
    dhcp: HashMap<String, (Instant, String)>,
    /// Per phone: its REGISTER seen, a challenge seen, a final answer recorded.
    registers: HashMap<usize, Registration>,
    /// When the newest phone was first heard (for `--until-all`).
    newest_phone: Option<Instant>,
}

/// How a phone's registration with this host went so far.
#[derive(Debug, Default, Clone, Copy)]
struct Registration {
    challenged: bool,
    answered: bool,
}

impl Tally {
    /// `local` are this host's own addresses (its traffic is not "the LAN").
    #[must_use]
    pub fn new(
        group: Ipv4Addr,
        port: u16,
        interface: &Interface,
        local: HashSet<Ipv4Addr>,
        capture_counts: bool,
    ) -> Self {
        Self {
            group,
            port,
            interface: interface.clone(),
            local,
            capture_counts,
            phones: Vec::new(),
            by_key: HashMap::new(),
            by_call_id: HashMap::new(),
            by_ip: HashMap::new(),
            non_pnp: Vec::new(),
            non_pnp_index: HashMap::new(),
            junk: 0,
            captured_subscribes: BTreeSet::new(),
            delivered: HashSet::new(),
            lan_multicast_heard: false,
            reassembled: 0,
            discovery: None,
            answers_heard: Vec::new(),
            opened: None,
            files: Files::default(),
            dhcp: HashMap::new(),
            registers: HashMap::new(),
            newest_phone: None,
        }
    }

    /// Stage times count from `at` (else from the first observation).
    pub fn opened_at(&mut self, at: Instant) {
        self.opened = Some(at);
    }

    fn at_ms(&mut self, at: Instant) -> u64 {
        let opened = *self.opened.get_or_insert(at);
        u64::try_from(at.saturating_duration_since(opened).as_millis()).unwrap_or(u64::MAX)
    }

    /// A DHCP message remembered by client MAC, for the phone's first stage when it SUBSCRIBEs.
    fn remember_dhcp(&mut self, found: &Discovered, at: Instant) {
        let Discovered::Dhcp { source, message } = found else { return };
        let Some(mac) = message.client_mac.map(|m| mac_string(&m)) else { return };
        if !self.dhcp.contains_key(&mac) && self.dhcp.len() >= MAX_ENTRIES {
            return;
        }
        let kind = message.message_type.map_or("message", |t| t.name());
        let line = if message.op == 2 {
            format!("DHCP {kind} from {source}: address {}", message.your_ip)
        } else {
            format!("DHCP {kind} from {mac}")
        };
        self.dhcp.insert(mac, (at, line));
    }

    /// Tallies DHCP, vendor MACs, LLDP and CDP too; `link_layer` says whether the capture can see the
    /// link-layer ones at all.
    pub fn hear_discovery(&mut self, link_layer: bool) {
        self.discovery = Some(DiscoveryTally::new(link_layer));
    }

    #[must_use]
    pub fn phone_count(&self) -> usize {
        self.phones.len()
    }

    /// Whether `until` is met at `now`: enough phones have reached their last visible stage
    /// ([`Phone::settled`]), or, for [`Until::All`], every phone heard has and none came for
    /// [`SETTLE_MS`].
    pub fn until_met(&mut self, until: Until, now: Instant) -> bool {
        let now_ms = self.at_ms(now);
        let settled = || self.phones.iter().filter(|p| p.settled(now_ms));
        match until {
            Until::Phones(wanted) => settled().take(wanted).count() >= wanted,
            Until::All => {
                let quiet = self
                    .newest_phone
                    .is_some_and(|at| now.saturating_duration_since(at) >= Duration::from_millis(SETTLE_MS));
                quiet && settled().count() == self.phones.len()
            }
        }
    }

    /// Takes one observation; `emit` gets the events it causes.
    pub fn take(&mut self, seen: Seen, emit: &mut dyn FnMut(ListenEvent)) {
        if let What::Discovery(found) = seen.what {
            if seen.by_capture && self.discovery.is_some() {
                self.remember_dhcp(&found, seen.at);
            }
            if let Some(discovery) = self.discovery.as_mut().filter(|_| seen.by_capture) {
                discovery.take(*found, seen.outgoing, &mut |found| emit(found.into()));
            }
            return;
        }
        if seen.by_capture && matches!(seen.what, What::Tcp(_) | What::Tftp(_)) {
            let at_ms = self.at_ms(seen.at);
            let ends = (seen.source, SocketAddrV4::new(seen.destination, seen.destination_port));
            let traffic = match &seen.what {
                What::Tcp(segment) => Traffic::Tcp(segment),
                What::Tftp(packet) => Traffic::Tftp(packet),
                _ => return,
            };
            let mut heard = Heard { at_ms, phones: &mut self.phones, by_ip: &self.by_ip, emit };
            self.files.take(ends, traffic, &mut heard);
            return;
        }
        let source = SocketAddr::V4(seen.source);
        let from_lan = !seen.outgoing && !self.local.contains(seen.source.ip());
        // Only the PnP group and port prove the path from the phones: link-local groups (IGMP queries,
        // mDNS) are flooded by every snooping switch (RFC 4541), whatever it does with 224.0.1.75.
        if from_lan && seen.destination == self.group && seen.destination_port == self.port {
            self.lan_multicast_heard = true;
        }
        if seen.reassembled && seen.by_capture {
            self.reassembled = self.reassembled.saturating_add(1);
        }
        if !seen.by_capture {
            self.delivered.insert(source);
        }
        if seen.by_capture != self.capture_counts {
            return;
        }
        if seen.outgoing {
            self.answer_seen(&seen, emit);
            return;
        }
        if from_lan && self.local.contains(&seen.destination) {
            if matches!(&seen.what, What::OtherSip { kind, .. } if kind == "REGISTER") {
                self.register(&seen, emit);
            }
            self.answer_to_here(&seen);
            return;
        }
        if seen.destination != self.group || seen.destination_port != self.port || !from_lan {
            return;
        }
        match seen.what {
            What::Subscribe { .. } => self.subscribe(seen, emit),
            What::OtherSip { kind, user_agent, .. } => {
                if let Some(&index) = self.non_pnp_index.get(&(source, kind.clone())) {
                    if let Some(entry) = self.non_pnp.get_mut(index) {
                        entry.count = entry.count.saturating_add(1);
                    }
                } else if self.non_pnp.len() < MAX_ENTRIES {
                    self.non_pnp_index.insert((source, kind.clone()), self.non_pnp.len());
                    self.non_pnp.push(OtherSip { source, kind: kind.clone(), user_agent, count: 1 });
                    emit(ListenEvent::NonPnp { source, kind });
                }
            }
            What::Junk => {
                self.junk = self.junk.saturating_add(1);
                emit(ListenEvent::Junk { source, total: self.junk });
            }
            What::Other | What::Delivered | What::Discovery(_) | What::Tcp(_) | What::Tftp(_) => {}
        }
    }

    fn subscribe(&mut self, seen: Seen, emit: &mut dyn FnMut(ListenEvent)) {
        let What::Subscribe { mac, vendor, model, firmware, user_agent, call_id, contact } = seen.what else {
            return;
        };
        let source = SocketAddr::V4(seen.source);
        if seen.by_capture {
            self.captured_subscribes.insert(source);
        }
        let key = mac.clone().unwrap_or_else(|| source.to_string());
        if let Some(&index) = self.by_key.get(&key) {
            if let Some(phone) = self.phones.get_mut(index) {
                phone.subscribes = phone.subscribes.saturating_add(1);
                emit(ListenEvent::Again { phone: key, subscribes: phone.subscribes });
            }
            if let Some(call_id) = call_id {
                self.by_call_id.entry(call_id).or_insert(index);
            }
            return;
        }
        if self.phones.len() >= MAX_ENTRIES {
            return;
        }
        self.newest_phone = Some(seen.at);
        let index = self.phones.len();
        let same_subnet = Some(self.interface.subnet_containing(source.ip()).is_some());
        let phone = Phone {
            mac,
            vendor,
            model,
            firmware,
            user_agent,
            source,
            ttl: seen.ttl,
            interface: Some(self.interface.name.clone()),
            same_subnet,
            subscribes: 1,
            contact,
            answered_by: Vec::new(),
            answers: Vec::new(),
            stages: Vec::new(),
        };
        emit(ListenEvent::Phone { phone: phone.clone() });
        let mut phone = phone;
        if self.capture_counts {
            let dhcp = phone.mac.as_ref().and_then(|mac| self.dhcp.get(mac)).cloned();
            if let Some((at, line)) = dhcp {
                let at_ms = self.at_ms(at);
                push_stage(&mut phone, Stage::new(StageKind::Dhcp, StageResult::Ok, Some(at_ms), line), emit);
            }
            let at_ms = self.at_ms(seen.at);
            let line = format!("PnP SUBSCRIBE from {source} to {}:{}", self.group, self.port);
            let mut subscribe = Stage::new(StageKind::Subscribe, StageResult::Ok, Some(at_ms), line);
            subscribe.protocol = Some("udp".into());
            push_stage(&mut phone, subscribe, emit);
        }
        self.phones.push(phone);
        self.by_key.insert(key, index);
        self.by_ip.insert(source.ip(), index);
        if let Some(call_id) = call_id {
            self.by_call_id.insert(call_id, index);
        }
    }

    /// A 200 OK to a SUBSCRIBE or a NOTIFY leaving this host for a phone heard.
    fn answer_seen(&mut self, seen: &Seen, emit: &mut dyn FnMut(ListenEvent)) {
        let What::OtherSip { kind, cseq_method, call_id, user_agent, reason, url } = &seen.what else {
            return;
        };
        if kind.starts_with("response ") && cseq_method.as_deref() == Some("REGISTER") {
            self.register_answer(seen, emit);
            return;
        }
        let at_ms = self.at_ms(seen.at);
        let label = if kind == "NOTIFY" {
            "NOTIFY"
        } else if kind.starts_with("response ") && cseq_method.as_deref() == Some("SUBSCRIBE") {
            kind.as_str()
        } else {
            return;
        };
        let index = call_id
            .as_ref()
            .and_then(|id| self.by_call_id.get(id))
            .or_else(|| self.by_ip.get(&IpAddr::V4(seen.destination)))
            .copied();
        let Some(phone) = index.and_then(|index| self.phones.get_mut(index)) else { return };
        let by = format!("{} {label}", seen.source);
        let answer = PhoneAnswer {
            responder: SocketAddr::V4(seen.source),
            message: if label == "NOTIFY" { "notify" } else { "response" }.to_owned(),
            status: kind.strip_prefix("response ").and_then(|code| code.parse().ok()),
            reason: reason.clone(),
            software: user_agent.clone(),
            url: url.clone(),
        };
        // Two services on one address differ in software or URL: each is listed.
        if !phone.answers.contains(&answer) && phone.answers.len() < 16 {
            let stage = answer_stage(&answer, at_ms);
            phone.answers.push(answer);
            if let Some(stage) = stage {
                push_stage(phone, stage, emit);
            }
        }
        if !phone.answered_by.contains(&by) {
            phone.answered_by.push(by.clone());
            let key = phone.mac.clone().unwrap_or_else(|| phone.source.to_string());
            emit(ListenEvent::Answered { phone: key, by });
        }
    }

    /// A PnP answer from another host arriving at this host: the answer to mcready's own probe, heard
    /// however long after the probe stopped waiting. A response to a SUBSCRIBE, or a NOTIFY with a URL.
    fn answer_to_here(&mut self, seen: &Seen) {
        let What::OtherSip { kind, cseq_method, user_agent, reason, url, .. } = &seen.what else { return };
        let status = kind.strip_prefix("response ").and_then(|code| code.parse::<u16>().ok());
        let answer = match (status, kind.as_str()) {
            // A 1xx is no answer.
            (Some(code), _) if code >= 200 && cseq_method.as_deref() == Some("SUBSCRIBE") => PhoneAnswer {
                responder: SocketAddr::V4(seen.source),
                message: "response".into(),
                status,
                reason: reason.clone(),
                software: user_agent.clone(),
                url: None,
            },
            (None, "NOTIFY") if url.is_some() => PhoneAnswer {
                responder: SocketAddr::V4(seen.source),
                message: "notify".into(),
                status: None,
                reason: None,
                software: user_agent.clone(),
                url: url.clone(),
            },
            _ => return,
        };
        if !self.answers_heard.contains(&answer) && self.answers_heard.len() < 64 {
            self.answers_heard.push(answer);
        }
    }

    /// A phone's REGISTER to this host: its first one is a stage.
    fn register(&mut self, seen: &Seen, emit: &mut dyn FnMut(ListenEvent)) {
        let Some(&index) = self.by_ip.get(&IpAddr::V4(*seen.source.ip())) else { return };
        if self.registers.contains_key(&index) {
            return;
        }
        self.registers.insert(index, Registration::default());
        let at_ms = self.at_ms(seen.at);
        let Some(phone) = self.phones.get_mut(index) else { return };
        let to = SocketAddrV4::new(seen.destination, seen.destination_port);
        let mut stage =
            Stage::new(StageKind::Register, StageResult::Ok, Some(at_ms), format!("REGISTER to {to}"));
        stage.protocol = Some("udp".into());
        stage.peer = Some(SocketAddr::V4(to));
        push_stage(phone, stage, emit);
    }

    /// This host's answer to a phone's REGISTER: a 2xx or a refusal is the final answer; a challenge
    /// (401, 407) is normal and waits for the phone's next REGISTER.
    fn register_answer(&mut self, seen: &Seen, emit: &mut dyn FnMut(ListenEvent)) {
        let What::OtherSip { kind, reason, .. } = &seen.what else { return };
        let Some(status) = kind.strip_prefix("response ").and_then(|code| code.parse::<u16>().ok()) else {
            return;
        };
        let Some(&index) = self.by_ip.get(&IpAddr::V4(seen.destination)) else { return };
        let Some(registration) = self.registers.get_mut(&index).filter(|r| !r.answered) else { return };
        if status < 200 {
            return;
        }
        if matches!(status, 401 | 407) {
            registration.challenged = true;
            return;
        }
        registration.answered = true;
        let challenged = registration.challenged;
        let at_ms = self.at_ms(seen.at);
        let Some(phone) = self.phones.get_mut(index) else { return };
        let reason = reason.as_deref().unwrap_or("");
        let after = if challenged { " (after a digest challenge, as usual)" } else { "" };
        let (result, detail) = if (200..300).contains(&status) {
            (StageResult::Ok, format!("{status} {reason} from {}: registered{after}", seen.source))
        } else {
            (
                StageResult::Failed,
                format!("{status} {reason} from {}: the registration was refused{after}", seen.source),
            )
        };
        let mut stage = Stage::new(StageKind::RegisterAnswer, result, Some(at_ms), detail);
        stage.protocol = Some("udp".into());
        stage.peer = Some(SocketAddr::V4(seen.source));
        stage.status = Some(status);
        push_stage(phone, stage, emit);
    }

    /// The report: `heard_by` and `limits` come from the caller, who knows what was opened.
    #[must_use]
    pub fn finish(
        self,
        duration: Duration,
        heard_by: HeardBy,
        with_socket: bool,
        limits: Vec<String>,
        interrupted: bool,
    ) -> ListenReport {
        let mut phones = self.phones;
        if self.capture_counts {
            self.files.finish(&mut phones);
            for (index, phone) in phones.iter_mut().enumerate() {
                let window_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
                unseen_stages(phone, &self.local, self.registers.get(&index).copied(), window_ms);
            }
        }
        let captured_not_delivered = if self.capture_counts && with_socket {
            self.captured_subscribes
                .iter()
                .filter(|source| !self.delivered.contains(source))
                .copied()
                .collect()
        } else {
            Vec::new()
        };
        ListenReport {
            answers_heard: self.answers_heard,
            duration_secs: (duration.as_secs_f64() * 10.0).round() / 10.0,
            heard_by,
            phones,
            non_pnp: self.non_pnp,
            junk: self.junk,
            captured_not_delivered,
            lan_multicast_heard: self.lan_multicast_heard,
            limits,
            interrupted,
            socket_drops: None,
            reassembled: self.reassembled,
            discovery: self.discovery.map(DiscoveryTally::finish),
            not_a_member: false,
            ended_by: None,
        }
    }
}

/// The stage an answer to a phone's SUBSCRIBE makes: the final response, or the NOTIFY and its URL.
fn answer_stage(answer: &PhoneAnswer, at_ms: u64) -> Option<Stage> {
    let from = answer.responder;
    let software = answer.software.as_deref().map_or_else(String::new, |s| format!(" ({s})"));
    let mut stage = if answer.message == "notify" {
        match &answer.url {
            Some(url) => Stage::new(
                StageKind::Notify,
                StageResult::Ok,
                Some(at_ms),
                format!("NOTIFY from {from}{software} with the URL {url}"),
            ),
            None => Stage::new(
                StageKind::Notify,
                StageResult::Failed,
                Some(at_ms),
                format!("NOTIFY from {from}{software} without a URL the phone can read"),
            ),
        }
    } else {
        let status = answer.status.filter(|s| *s >= 200)?;
        let reason = answer.reason.as_deref().unwrap_or("");
        let result = if answer.accepted() { StageResult::Ok } else { StageResult::Failed };
        let mut stage = Stage::new(
            StageKind::Answer,
            result,
            Some(at_ms),
            format!("{status} {reason} from {from}{software}"),
        );
        stage.status = Some(status);
        stage
    };
    stage.protocol = Some("udp".into());
    stage.peer = Some(from);
    Some(stage)
}

/// How long after the NOTIFY a phone that has not asked for its file is judged not to ask: phones
/// fetch within a second or two of it.
const ASK_WITHIN_MS: u64 = 10_000;

/// What should have followed and was not seen, said once the window ends: the file on this host
/// never asked for, and what this host cannot see ("not visible here", never "stopped").
fn unseen_stages(
    phone: &mut Phone,
    local: &HashSet<Ipv4Addr>,
    registration: Option<Registration>,
    window_ms: u64,
) {
    let has = |phone: &Phone, kind: StageKind| phone.stages.iter().any(|s| s.stage == kind);
    let add = |phone: &mut Phone, kind: StageKind, result: StageResult, detail: String| {
        if phone.stages.len() < 64 {
            phone.stages.push(Stage::new(kind, result, None, detail));
        }
    };
    if !has(phone, StageKind::Answer) && !has(phone, StageKind::Notify) {
        add(
            phone,
            StageKind::Answer,
            StageResult::NotVisible,
            "no answer from this host; another PnP server's answer goes to the phone alone and is not visible here"
                .into(),
        );
        return;
    }
    let notified_at =
        phone.stages.iter().find(|s| s.stage == StageKind::Notify && s.result == StageResult::Ok);
    let notified_at = notified_at.and_then(|s| s.at_ms);
    let notified = notified_at.is_some();
    let url = phone.answers.iter().rev().find_map(|a| a.url.clone()).filter(|_| notified);
    let target = url.as_deref().and_then(stages::url_target);
    let on_this_host = target
        .as_ref()
        .and_then(|(_, host, _)| host.parse::<Ipv4Addr>().ok())
        .is_some_and(|ip| local.contains(&ip));
    if let (Some(url), Some((scheme, host, port))) = (url.as_deref(), target.as_ref())
        && !has(phone, StageKind::FileRequest)
    {
        let waited_ms = notified_at.map_or(0, |at| window_ms.saturating_sub(at));
        if on_this_host && waited_ms < ASK_WITHIN_MS {
            // Too short a wait proves nothing: phones ask within seconds, not always within this one.
            add(
                phone,
                StageKind::FileRequest,
                StageResult::Unfinished,
                format!(
                    "the window ended {:.1} s after the NOTIFY, before the phone asked this host for {url}: listen \
                     longer to decide",
                    Duration::from_millis(waited_ms).as_secs_f64()
                ),
            );
        } else if on_this_host {
            add(
                phone,
                StageKind::FileRequest,
                StageResult::NotSeen,
                format!(
                    "the phone never asked this host for {url}: {scheme} on {host}:{port} is unreachable from the phones \
                         (nothing listening, a firewall, a wrong address in the URL)"
                ),
            );
        } else {
            // A name may be this host or another: the capture cannot tell, so it blames nothing.
            let detail = if host.parse::<Ipv4Addr>().is_ok() {
                format!(
                    "the file server {host} is another host: the phone's request for {url} is not visible here"
                )
            } else {
                format!(
                    "no request reached this host's address for {url}; if {host} names another host, its traffic is \
                     not visible here (mcready does not resolve the name)"
                )
            };
            add(phone, StageKind::FileRequest, StageResult::NotVisible, detail);
        }
    }
    let fetched = phone.stages.iter().any(|s| {
        (s.stage == StageKind::FileAnswer && s.result == StageResult::Ok)
            || (s.stage == StageKind::FileRequest && s.result == StageResult::NotVisible)
    });
    match registration {
        None if fetched => add(
            phone,
            StageKind::Register,
            StageResult::NotVisible,
            "no REGISTER reached this host over UDP: the registrar in the file is another host, or the phone registers \
             over TCP or TLS, which is not visible here"
                .into(),
        ),
        Some(Registration { challenged: true, answered: false }) => {
            let mut stage = Stage::new(
                StageKind::RegisterAnswer,
                StageResult::Failed,
                None,
                "401 Unauthorized, never followed by success: the account's credentials in the file are not the ones the \
                 registrar expects"
                    .into(),
            );
            stage.status = Some(401);
            if phone.stages.len() < 64 {
                phone.stages.push(stage);
            }
        }
        Some(Registration { challenged: false, answered: false }) => add(
            phone,
            StageKind::RegisterAnswer,
            StageResult::Unfinished,
            "no final answer to the REGISTER before the window ended".into(),
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::interface;
    use crate::facts::InterfaceKind;

    const YEALINK: &[u8] = include_bytes!("../../tests/fixtures/sip/yealink-subscribe.txt");
    const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 1, 75);

    fn seen(by_capture: bool, source: &str, what: What) -> Seen {
        Seen {
            by_capture,
            at: Instant::now(),
            source: source.parse().unwrap(),
            destination: GROUP,
            destination_port: 5060,
            ttl: Some(1),
            outgoing: false,
            reassembled: false,
            what,
        }
    }

    fn tally(capture_counts: bool) -> Tally {
        let eth0 = interface(2, "eth0", InterfaceKind::Ethernet, "198.51.100.10/24");
        Tally::new(GROUP, 5060, &eth0, HashSet::from([Ipv4Addr::new(198, 51, 100, 10)]), capture_counts)
    }

    #[test]
    fn one_phone_per_mac_however_often_it_subscribes() {
        let mut t = tally(true);
        let mut events = Vec::new();
        for _ in 0..3 {
            t.take(seen(true, "198.51.100.7:5060", What::of_payload(YEALINK)), &mut |e| events.push(e));
        }
        let report = t.finish(Duration::from_secs(5), HeardBy::Capture, false, Vec::new(), false);
        assert_eq!(report.phones.len(), 1);
        assert_eq!(report.phones[0].subscribes, 3);
        assert_eq!(report.phones[0].same_subnet, Some(true));
        assert!(matches!(events[0], ListenEvent::Phone { .. }));
        assert!(
            matches!(&events[1], ListenEvent::Stage { stage, .. } if stage.stage == StageKind::Subscribe)
        );
        assert!(matches!(events[3], ListenEvent::Again { subscribes: 3, .. }));
        assert!(report.lan_multicast_heard);
    }

    #[test]
    fn captured_but_never_delivered_is_the_evidence_of_a_host_drop() {
        let mut t = tally(true);
        t.take(seen(true, "198.51.100.7:5060", What::of_payload(YEALINK)), &mut |_| {});
        t.take(seen(true, "198.51.100.8:5060", What::of_payload(YEALINK)), &mut |_| {});
        // Only the second phone's datagram reached the socket.
        t.take(seen(false, "198.51.100.8:5060", What::Delivered), &mut |_| {});
        let report = t.finish(Duration::from_secs(5), HeardBy::Both, true, Vec::new(), false);
        assert_eq!(report.captured_not_delivered, vec!["198.51.100.7:5060".parse::<SocketAddr>().unwrap()]);
    }

    #[test]
    fn this_hosts_own_traffic_is_not_the_lan_and_junk_is_counted() {
        let mut t = tally(true);
        t.take(seen(true, "198.51.100.10:5060", What::of_payload(YEALINK)), &mut |_| {});
        t.take(seen(true, "198.51.100.9:5060", What::of_payload(b"\x00\x01 not sip")), &mut |_| {});
        let report = t.finish(Duration::from_secs(5), HeardBy::Capture, false, Vec::new(), false);
        assert!(report.phones.is_empty(), "this host's own SUBSCRIBE is no phone");
        assert_eq!(report.junk, 1);
        assert!(report.lan_multicast_heard, "the junk came from another LAN host");
    }

    /// An IGMP query, mDNS or any link-local group is flooded by every snooping switch: hearing one
    /// proves nothing about the path of 224.0.1.75.
    #[test]
    fn link_local_groups_prove_nothing_about_the_pnp_path() {
        let mut t = tally(true);
        let mut query = seen(true, "198.51.100.1:0", What::Other);
        query.destination = Ipv4Addr::new(224, 0, 0, 1);
        query.destination_port = 0;
        t.take(query, &mut |_| {});
        let mut mdns = seen(true, "198.51.100.7:5353", What::Other);
        mdns.destination = Ipv4Addr::new(224, 0, 0, 251);
        mdns.destination_port = 5353;
        t.take(mdns, &mut |_| {});
        let report = t.finish(Duration::from_secs(5), HeardBy::Capture, false, Vec::new(), false);
        assert!(!report.lan_multicast_heard);
        // The peer test's OPTIONS to the group do prove it, and are no phone's "other SIP".
        let mut t = tally(true);
        let options = b"OPTIONS sip:224.0.1.75 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.20:5060\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nX-Mcready: back;v=1;nonce=0123456789abcdef\r\nContent-Length: 0\r\n\r\n";
        t.take(seen(true, "198.51.100.20:5060", What::of_payload(options)), &mut |_| {});
        let report = t.finish(Duration::from_secs(5), HeardBy::Capture, false, Vec::new(), false);
        assert!(report.lan_multicast_heard);
        assert!(report.non_pnp.is_empty(), "{:?}", report.non_pnp);
    }

    #[test]
    fn reassembled_datagrams_are_counted() {
        let mut t = tally(true);
        let mut long = seen(true, "198.51.100.7:5060", What::of_payload(YEALINK));
        long.reassembled = true;
        t.take(long, &mut |_| {});
        let report = t.finish(Duration::from_secs(5), HeardBy::Capture, false, Vec::new(), false);
        assert_eq!((report.phones.len(), report.reassembled), (1, 1));
    }

    /// DHCP from the IPv4 capture and LLDP from the link layer reach the discovery tally; they are no
    /// phone and no junk, and prove nothing about the PnP path.
    #[test]
    fn dhcp_and_lldp_frames_are_tallied_apart_from_phones() {
        use crate::net::discovery::{dhcp, lldp};
        let mut t = tally(true);
        t.hear_discovery(true);
        let ack = dhcp::build_dhcp(
            2,
            1,
            [0x0c, 0x38, 0x3e, 0, 0, 7],
            Ipv4Addr::new(198, 51, 100, 50),
            &[(53, &[5]), (66, b"tftp://198.51.100.1")],
        );
        let found = Discovered::from_udp(Ipv4Addr::new(198, 51, 100, 1), 67, 68, &ack).unwrap();
        let mut dhcp_seen = seen(true, "198.51.100.1:67", What::Discovery(Box::new(found)));
        dhcp_seen.destination = Ipv4Addr::BROADCAST;
        let lldpdu = lldp::build_lldp([2, 0, 0, 0, 0, 1], "gi1/0/7", "sw", Some(1), Some((100, true)));
        let frame = LinkFrame {
            direction: Direction::Multicast,
            interface_index: 2,
            source_mac: Some([2, 0, 0, 0, 0, 1]),
            received_at: Instant::now(),
            protocol: 0x88cc,
            payload: lldpdu,
        };
        let mut events = Vec::new();
        t.take(dhcp_seen, &mut |e| events.push(e));
        t.take(Seen::from_link(&frame).unwrap(), &mut |e| events.push(e));
        // A socket delivery never counts as discovery.
        let found = Discovered::from_udp(Ipv4Addr::new(198, 51, 100, 1), 67, 68, &ack).unwrap();
        t.take(seen(false, "198.51.100.1:67", What::Discovery(Box::new(found))), &mut |e| events.push(e));
        let report = t.finish(Duration::from_secs(5), HeardBy::Capture, false, Vec::new(), false);
        assert!(report.phones.is_empty() && report.junk == 0 && !report.lan_multicast_heard);
        let found = report.discovery.unwrap();
        assert_eq!((found.dhcp_server_messages, found.switch_ports.len()), (1, 1));
        assert!(matches!(events[0], ListenEvent::DhcpAnswer { .. }));
        assert!(matches!(events[1], ListenEvent::SwitchPort { .. }));
        assert_eq!(events.len(), 2);
        // Without a capture there is no discovery at all.
        let report = tally(false).finish(Duration::from_secs(5), HeardBy::Socket, true, Vec::new(), false);
        assert_eq!(report.discovery, None);
    }

    /// The port of the URL in a NOTIFY this host sends, for the capture to follow; none for TFTP, for a
    /// NOTIFY from elsewhere, or for other SIP.
    #[test]
    fn the_port_of_a_notify_url_leaving_this_host() {
        let notify = |url: &str| {
            format!(
                "NOTIFY sip:198.51.100.7:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKx\r\n\
                 From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 1 NOTIFY\r\nEvent: ua-profile\r\n\
                 Content-Type: application/url\r\nContent-Length: {}\r\n\r\n{url}",
                url.len()
            )
        };
        let leaving = |url: &str| {
            let mut s = seen(true, "198.51.100.10:5060", What::of_payload(notify(url).as_bytes()));
            s.outgoing = true;
            s
        };
        assert_eq!(leaving("http://198.51.100.10:8081/p/x.cfg").notify_url_port(), Some(8081));
        assert_eq!(leaving("https://pbx.example/p/x.cfg").notify_url_port(), Some(443));
        assert_eq!(leaving("tftp://198.51.100.10/x.cfg").notify_url_port(), None);
        let mut arriving = leaving("http://198.51.100.10:8081/p/x.cfg");
        arriving.outgoing = false;
        assert_eq!(arriving.notify_url_port(), None);
    }

    /// The phone's DHCP exchange, heard before its SUBSCRIBE, is its first stage (matched by MAC).
    #[test]
    fn a_phones_dhcp_ack_is_its_first_stage() {
        use crate::net::discovery::dhcp;
        let mut t = tally(true);
        t.hear_discovery(true);
        let ack = dhcp::build_dhcp(
            2,
            1,
            [0x00, 0x15, 0x65, 0xf4, 0xf9, 0xe1],
            Ipv4Addr::new(198, 51, 100, 7),
            &[(53, &[5])],
        );
        let found = Discovered::from_udp(Ipv4Addr::new(198, 51, 100, 1), 67, 68, &ack).unwrap();
        t.take(seen(true, "198.51.100.1:67", What::Discovery(Box::new(found))), &mut |_| {});
        t.take(seen(true, "198.51.100.7:5060", What::of_payload(YEALINK)), &mut |_| {});
        let report = t.finish(Duration::from_secs(5), HeardBy::Capture, false, Vec::new(), false);
        let stages = &report.phones[0].stages;
        assert_eq!((stages[0].stage, stages[1].stage), (StageKind::Dhcp, StageKind::Subscribe));
        assert_eq!(stages[0].detail, "DHCP ack from 198.51.100.1: address 198.51.100.7");
        // No answer from this host: whether another server answered is not visible here.
        assert_eq!((stages[2].stage, stages[2].result), (StageKind::Answer, StageResult::NotVisible));
    }

    /// The frames of a classic pcap recorded by tshark on the lab PBX host (198.51.100.10), as the
    /// capture hands them over: the IPv4 packet from its header on, outgoing when this host sent it.
    fn replay(pcap: &[u8]) -> Vec<Seen> {
        let start = Instant::now();
        let le32 = |at: usize| u32::from_le_bytes(pcap[at..at + 4].try_into().unwrap());
        let mut seen = Vec::new();
        let mut at = 24;
        while at + 16 <= pcap.len() {
            let (secs, micros, len) = (le32(at), le32(at + 4), le32(at + 8) as usize);
            let frame = &pcap[at + 16..at + 16 + len];
            at += 16 + len;
            if frame[12..14] != [0x08, 0x00] {
                continue;
            }
            let packet = net::parse_ipv4(&frame[14..]).unwrap();
            let outgoing = packet.source == Ipv4Addr::new(198, 51, 100, 10);
            let captured = CapturedFrame {
                direction: if outgoing { Direction::Outgoing } else { Direction::Host },
                reassembled: false,
                interface_index: 2,
                source_mac: frame[6..12].try_into().ok(),
                received_at: start + Duration::from_secs(secs.into()) + Duration::from_micros(micros.into()),
                packet,
            };
            seen.push(Seen::from_frame(&captured, 5060));
        }
        seen
    }

    /// The one phone's stages after `seen`, and the stage events streamed.
    fn stages_of(seen: Vec<Seen>) -> (Vec<Stage>, usize) {
        let mut t = tally(true);
        let mut streamed = 0;
        for one in seen {
            t.take(one, &mut |e| streamed += usize::from(matches!(e, ListenEvent::Stage { .. })));
        }
        let report = t.finish(Duration::from_secs(5), HeardBy::Capture, false, Vec::new(), false);
        assert_eq!(report.phones.len(), 1);
        (report.phones[0].stages.clone(), streamed)
    }

    fn results(stages: &[Stage]) -> Vec<(StageKind, StageResult)> {
        stages.iter().map(|s| (s.stage, s.result)).collect()
    }

    fn the(stages: &[Stage], kind: StageKind) -> &Stage {
        stages.iter().find(|s| s.stage == kind).unwrap()
    }

    #[test]
    fn a_recorded_http_provisioning_and_challenged_register_are_followed_to_the_end() {
        use StageKind::{Answer, FileAnswer, FileRequest, Notify, Register, RegisterAnswer, Subscribe};
        let (stages, streamed) =
            stages_of(replay(include_bytes!("../../tests/fixtures/provision/http.pcap")));
        let ok = StageResult::Ok;
        assert_eq!(
            results(&stages),
            [
                (Subscribe, ok),
                (Answer, ok),
                (Notify, ok),
                (FileRequest, ok),
                (FileAnswer, ok),
                (Register, ok),
                (RegisterAnswer, ok)
            ]
        );
        assert_eq!(streamed, 7, "every stage streamed as it happened");
        let request = the(&stages, FileRequest);
        assert_eq!(
            (request.method.as_deref(), request.path.as_deref()),
            (Some("GET"), Some("/provisioning/001565aabbcc.cfg"))
        );
        let answer = the(&stages, FileAnswer);
        assert_eq!((answer.status, answer.bytes), (Some(200), Some(76)));
        assert!(the(&stages, RegisterAnswer).detail.contains("after a digest challenge"));
        assert!(stages.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    }

    #[test]
    fn a_recorded_tftp_error_fails_the_file_answer() {
        let (stages, _) = stages_of(replay(include_bytes!("../../tests/fixtures/provision/tftp.pcap")));
        let request = the(&stages, StageKind::FileRequest);
        assert_eq!(
            (request.protocol.as_deref(), request.path.as_deref()),
            (Some("tftp"), Some("001565aabbcc.cfg"))
        );
        let answer = the(&stages, StageKind::FileAnswer);
        assert_eq!((answer.result, answer.status), (StageResult::Failed, Some(1)));
        assert!(answer.detail.contains("file not found"), "{}", answer.detail);
        // The file never came: the registration is not judged.
        assert!(!stages.iter().any(|s| s.stage == StageKind::Register));
    }

    #[test]
    fn recorded_tls_handshakes_refused_over_1_2_and_completed_over_1_3() {
        let (stages, _) = stages_of(replay(include_bytes!("../../tests/fixtures/provision/tls12.pcap")));
        assert_eq!(the(&stages, StageKind::FileRequest).server_name.as_deref(), Some("pbx.lab"));
        let refused = the(&stages, StageKind::FileAnswer);
        assert_eq!(refused.result, StageResult::Failed);
        assert_eq!(
            (refused.alert.as_deref(), refused.tls_version.as_deref()),
            (Some("fatal unknown_ca (48)"), Some("TLS 1.2"))
        );
        let (stages, _) = stages_of(replay(include_bytes!("../../tests/fixtures/provision/tls13ok.pcap")));
        let done = the(&stages, StageKind::FileAnswer);
        assert_eq!((done.result, done.tls_version.as_deref()), (StageResult::Ok, Some("TLS 1.3")));
    }

    /// A phone that refuses the certificate over TLS 1.3 with an encrypted alert: the same recorded
    /// handshake, cut after the phone's one encrypted record and closed by the phone.
    #[test]
    fn an_encrypted_tls_1_3_alert_is_an_abandoned_handshake_said_unnamed() {
        let mut seen = replay(include_bytes!("../../tests/fixtures/provision/tls13ok.pcap"));
        let from_phone = |s: &Seen| *s.source.ip() == Ipv4Addr::new(198, 51, 100, 7);
        let data = |s: &Seen| matches!(&s.what, What::Tcp(t) if t.payload_len > 0);
        let first_encrypted = seen
            .iter()
            .position(|s| from_phone(s) && data(s) && matches!(&s.what, What::Tcp(t) if t.payload[0] == 20))
            .unwrap();
        let next = seen.iter().skip(first_encrypted + 1).position(|s| from_phone(s) && data(s)).unwrap()
            + first_encrypted
            + 1;
        seen.truncate(next + 1);
        if let Some(Seen { what: What::Tcp(segment), .. }) = seen.last_mut() {
            segment.flags = provision::TCP_FIN | 0x10;
            segment.payload.clear();
            segment.payload_len = 0;
        }
        let (stages, _) = stages_of(seen);
        let abandoned = the(&stages, StageKind::FileAnswer);
        assert_eq!((abandoned.result, abandoned.alert.as_deref()), (StageResult::Failed, None));
        assert!(abandoned.detail.contains("TLS 1.3 encrypts alerts"), "{}", abandoned.detail);
    }

    use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest};

    proptest! {
        /// A phone heard, then any segments and TFTP packets between it and the server, either way, with
        /// any flags and sequence numbers: no panic, and the stages stay bounded.
        #[test]
        fn the_flow_tracker_never_panics_and_stays_bounded(
            packets in proptest::collection::vec(
                (any::<bool>(), 0u8..4, any::<u32>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..200), 0usize..3000),
                0..60,
            ),
        ) {
            let mut tally = tally(true);
            let start = Instant::now();
            tally.opened_at(start);
            let seen = |from: SocketAddrV4, to: SocketAddrV4, outgoing: bool, what: What| Seen {
                by_capture: true,
                at: start + Duration::from_millis(5),
                source: from,
                destination: *to.ip(),
                destination_port: to.port(),
                ttl: Some(64),
                outgoing,
                reassembled: false,
                what,
            };
            let group = SocketAddrV4::new(Ipv4Addr::new(224, 0, 1, 75), 5060);
            let mut events = 0usize;
            tally.take(seen(SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 7), 5060), group, false, What::of_payload(YEALINK)), &mut |_| events += 1);
            let phone = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 7), 40000);
            for (upward, kind, sequence, flags, payload, claimed) in packets {
                let server = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 10), [80, 443, 69, 51000][usize::from(kind)]);
                let (from, to) = if upward { (phone, server) } else { (server, phone) };
                let what = if kind >= 2 {
                    match provision::parse_tftp(&payload, claimed) {
                        Some(packet) => What::Tftp(packet),
                        None => What::Tftp(Tftp::Data { block: u16::from(flags), len: claimed }),
                    }
                } else {
                    let payload_len = claimed.max(payload.len());
                    What::Tcp(Box::new(TcpSeen { sequence, flags, payload, payload_len }))
                };
                tally.take(seen(from, to, !upward, what), &mut |_| events += 1);
            }
            let report = tally.finish(Duration::from_secs(5), HeardBy::Capture, false, Vec::new(), false);
            prop_assert_eq!(report.phones.len(), 1);
            prop_assert!(report.phones[0].stages.len() <= 64);
            prop_assert!(events <= 200);
        }
    }
}
