//! What mcready observed on the wire: phones heard, answers to its probe, IGMP queriers, the peer
//! test, and everything mcready itself did ([`OwnAction`]); the events `listen` and `respond` stream
//! ([`ListenEvent`], [`RespondEvent`]). Plain data, like [`crate::facts`]: the engines fill it, the
//! checklist reads it, the renderers print it, and tests build it by hand.
//!
//! An observation that was not made carries the reason ([`Observed::Skipped`]) so a check can say
//! `skip` with it; one that was not asked for is [`Observed::NotAsked`].

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use serde::{Deserialize, Serialize};

/// An observation: made, not asked for, or impossible here (with the reason and how to make it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", content = "value", rename_all = "kebab-case")]
pub enum Observed<T> {
    Done(T),
    NotAsked,
    Skipped(String),
}

impl<T> Default for Observed<T> {
    /// What a support bundle that did not record an observation holds.
    fn default() -> Self {
        Self::NotAsked
    }
}

impl<T> Observed<T> {
    #[must_use]
    pub fn done(&self) -> Option<&T> {
        match self {
            Self::Done(value) => Some(value),
            Self::NotAsked | Self::Skipped(_) => None,
        }
    }
}

/// One phone heard sending PnP SUBSCRIBEs: `listen`'s `phones` entries and `check`'s `facts.phones`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// Normalised `00:15:65:73:22:ff`, when the phone says it.
    pub mac: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub user_agent: Option<String>,
    pub source: SocketAddr,
    /// The IP TTL on arrival (1 from a phone on the same link; the initial value is not known).
    pub ttl: Option<u8>,
    /// The interface it arrived on.
    pub interface: Option<String>,
    /// Whether the source address lies inside that interface's subnet.
    pub same_subnet: Option<bool>,
    /// How many SUBSCRIBEs (retransmissions included) it sent.
    pub subscribes: u32,
    /// The Contact URI of its SUBSCRIBE: where RFC 6665 sends the NOTIFY. A phone whose Contact port
    /// differs from its source port is the evidence that a NOTIFY sent to the source port may miss it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Who answered it, when visible from here: this host's answers (others' unicast answers do not
    /// reach this port of a switch).
    pub answered_by: Vec<String>,
    /// The same answers as structured values: each responder's response (status, reason, software)
    /// and NOTIFY (URL), so two services on one address are told apart. Absent when none was seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<PhoneAnswer>,
    /// How far its provisioning went, as this host saw it: DHCP, SUBSCRIBE, the answer, the NOTIFY, the
    /// request for its file and the answer, its REGISTER and the answer, in the order they happened.
    /// Empty without a capture (the group socket sees only the SUBSCRIBE); absent from an older bundle.
    #[serde(default)]
    pub stages: Vec<Stage>,
}

/// A phone that showed nothing new for this long has gone where this host cannot see it (another
/// server answered it, its file or its registrar is another host) or stopped: phones take each next
/// step within seconds.
pub const SETTLE_MS: u64 = 10_000;

impl Phone {
    /// Whether the phone has reached its last visible stage `now_ms` after the window opened
    /// (docs/listen.md, "When a phone is done"): its REGISTER got this host's final answer, or a stage
    /// failed (a phone goes no further than a failure), or nothing new came for [`SETTLE_MS`]. Without a
    /// capture a phone has no stages: being heard is all this host sees of it.
    #[must_use]
    pub fn settled(&self, now_ms: u64) -> bool {
        let ended = |s: &Stage| s.stage == StageKind::RegisterAnswer || s.result == StageResult::Failed;
        if self.stages.is_empty() || self.stages.iter().any(ended) {
            return true;
        }
        let last = self.stages.iter().filter_map(|s| s.at_ms).max().unwrap_or(0);
        now_ms.saturating_sub(last) >= SETTLE_MS
    }
}

/// When a listening window may end before its duration (`--until N`, `--until-all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// This many phones reached their last visible stage.
    Phones(usize),
    /// Every phone heard did (one at least), and no new phone came for [`SETTLE_MS`]: phones rebooted
    /// together arrive over seconds, and the first one done must not cut the others off.
    All,
}

/// Why a listening window ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowEnd {
    /// Its duration ran out.
    Duration,
    /// `--until N` was met.
    Until,
    /// `--until-all` was met.
    UntilAll,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

/// One step of a phone's provisioning past PnP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub stage: StageKind,
    pub result: StageResult,
    /// Milliseconds after the window opened; absent for a stage that was not seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
    /// `http`, `https` or `tftp` for the file stages; `udp` for SIP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The other end: the server asked or answering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<SocketAddr>,
    /// The HTTP method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The HTTP path or TFTP file name, redacted as URLs are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The HTTP or SIP status, or the TFTP error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The file's size: `Content-Length`, or the bytes the transfer carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The `ClientHello`'s server name (SNI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// The TLS version the server chose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// The TLS alert that ended the handshake (readable up to TLS 1.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// One line for people: `GET /provisioning/… → 404 Not Found`.
    pub detail: String,
}

impl Stage {
    /// A stage with its kind, result, time and line; the other fields empty.
    #[must_use]
    pub fn new(stage: StageKind, result: StageResult, at_ms: Option<u64>, detail: String) -> Self {
        Self {
            stage,
            result,
            at_ms,
            protocol: None,
            peer: None,
            method: None,
            path: None,
            status: None,
            bytes: None,
            server_name: None,
            tls_version: None,
            alert: None,
            detail,
        }
    }
}

/// The steps of provisioning, in the order a phone takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageKind {
    /// Its DHCP exchange (by MAC).
    Dhcp,
    Subscribe,
    /// A final answer to its SUBSCRIBE, from this host.
    Answer,
    /// The NOTIFY with the provisioning URL.
    Notify,
    /// Its request for the file: an HTTP request line, a TLS `ClientHello`, a TFTP read request.
    FileRequest,
    /// The server's answer: the HTTP status, the TLS handshake's end, TFTP DATA or ERROR.
    FileAnswer,
    /// Its REGISTER to this host.
    Register,
    /// The registrar's final answer.
    RegisterAnswer,
}

impl StageKind {
    /// The words a line starts with: `file request`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Dhcp => "DHCP",
            Self::Subscribe => "SUBSCRIBE",
            Self::Answer => "answer",
            Self::Notify => "NOTIFY",
            Self::FileRequest => "file request",
            Self::FileAnswer => "file answer",
            Self::Register => "REGISTER",
            Self::RegisterAnswer => "REGISTER answer",
        }
    }
}

/// How a stage went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageResult {
    Ok,
    /// It happened and went wrong: a 404, a TFTP error, an abandoned TLS handshake, a 403.
    Failed,
    /// Under way when the window ended (a request not answered yet, a handshake unfinished).
    Unfinished,
    /// It should have reached this host and did not: the file on this host never asked for.
    NotSeen,
    /// This host cannot see it (SIP over TLS, a file server or registrar on another host): no verdict.
    NotVisible,
}

/// One answer this host sent a phone, as the capture saw it leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneAnswer {
    pub responder: SocketAddr,
    /// `response` (to its SUBSCRIBE) or `notify`.
    pub message: String,
    /// The response's status code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `Server` or `User-Agent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    /// The NOTIFY's provisioning URL, passwords and tokens redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl PhoneAnswer {
    /// A 2xx to the SUBSCRIBE, or a NOTIFY: the server took the phone on.
    #[must_use]
    pub fn accepted(&self) -> bool {
        self.message == "notify" || self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// SIP on the group that is not a PnP SUBSCRIBE, per sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherSip {
    pub source: SocketAddr,
    /// The method, or `response 200` for a response.
    pub kind: String,
    pub user_agent: Option<String>,
    pub count: u32,
}

/// How datagrams were heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeardBy {
    /// A socket bound to the group (needs the port to be shareable).
    Socket,
    /// Passive capture (`AF_PACKET`): sees what the firewall drops and what an exclusive PBX socket keeps.
    Capture,
    Both,
}

/// What a listening window heard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListenReport {
    pub duration_secs: f64,
    pub heard_by: HeardBy,
    pub phones: Vec<Phone>,
    pub non_pnp: Vec<OtherSip>,
    /// Datagrams to the port that were not SIP at all.
    pub junk: u32,
    /// Sources whose SUBSCRIBE the capture saw arrive but no socket received: a host firewall or a
    /// strict reverse-path filter dropped it.
    pub captured_not_delivered: Vec<SocketAddr>,
    /// Datagrams to the PnP group and port from another LAN host reached this host in the window: the
    /// path from the phones is known good. Link-local groups (IGMP queries, mDNS) do not count: every
    /// snooping switch floods them (RFC 4541), so they prove nothing about 224.0.1.75.
    pub lan_multicast_heard: bool,
    /// Why a part of the observation could not be made (no capture privilege, port held exclusively,
    /// a socket that failed mid-window…).
    pub limits: Vec<String>,
    /// Ctrl-C or SIGTERM cut the window short: silence in it proves nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Datagrams the sockets bound to the port (the PBX's, mcready's) dropped during the window, from
    /// the `drops` column of `/proc/net/udp`: a full receive buffer, not a firewall, then explains a
    /// SUBSCRIBE captured but not delivered. Absent where it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_drops: Option<u64>,
    /// IP fragments that were put back together into whole datagrams (a long SUBSCRIBE arrives in
    /// pieces); fragments that never completed are counted as junk.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reassembled: u32,
    /// What the link said besides PnP (DHCP answers, phones by their vendor's MAC, the switch's LLDP and
    /// CDP), as the capture heard it; absent without a capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryReport>,
    /// Answers from other hosts to this host's own SUBSCRIBEs (mcready's probe) the capture heard
    /// arrive during the window: an answer that came after the probe stopped waiting still counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers_heard: Vec<PhoneAnswer>,
    /// Nothing on this host was a member of the group on the interface during the window (no process
    /// had joined, and mcready joined nothing): a snooping switch that prunes unregistered multicast
    /// forwards this host nothing, so silence proves nothing. `--join` makes mcready a member.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_a_member: bool,
    /// Why the window ended: its duration, `--until N`, `--until-all`, or an interruption. Absent from
    /// an older bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<WindowEnd>,
}

/// What the capture heard besides PnP during a listening window: how phones may provision instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DiscoveryReport {
    /// The capture hands over link-layer frames (ARP, LLDP, CDP); false where it sees IPv4 alone
    /// (Windows' `SIO_RCVALL`), so their absence proves nothing there.
    pub link_layer: bool,
    /// DHCP offers, acks and naks that reached this host (often unicast to the phone: zero proves nothing).
    pub dhcp_server_messages: u32,
    /// DHCP discovers, requests and informs heard.
    pub dhcp_client_messages: u32,
    /// Per server and message kind: the provisioning options it hands out (values redacted like URLs).
    pub dhcp_answers: Vec<DhcpAnswer>,
    /// Hosts whose MAC carries a phone vendor's IEEE prefix, seen by DHCP or ARP.
    pub vendor_devices: Vec<VendorDevice>,
    /// What the switch announced on this port (LLDP, CDP).
    pub switch_ports: Vec<SwitchPort>,
}

/// A DHCP server's offers or acks, and the provisioning options in them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DhcpAnswer {
    /// Option 54, else the IP source.
    pub server: Ipv4Addr,
    /// `offer`, `ack` or `nak`.
    pub message: String,
    /// Options 66, 43, 114, 150, 159, 160 in that order; empty when it hands out none.
    pub options: Vec<DhcpOptionSeen>,
    /// The clients it answered (their MACs), at most a few.
    pub clients: Vec<String>,
    pub count: u32,
}

/// One provisioning option as a server hands it out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DhcpOptionSeen {
    pub code: u8,
    pub name: String,
    /// Passwords and tokens of URLs redacted (as provisioning URLs are); addresses listed; other
    /// bytes in hex.
    pub value: String,
}

/// A host with a phone vendor's MAC prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorDevice {
    pub mac: String,
    pub vendor: String,
    pub address: Option<Ipv4Addr>,
    /// `dhcp` (its own request), `arp`.
    pub seen_by: Vec<String>,
    /// DHCP option 60, when it sent one.
    pub vendor_class: Option<String>,
    /// DHCP option 55: the options it asks its server for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requested_options: Vec<u8>,
}

/// What a switch announced about the port this host hangs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchPort {
    /// `lldp` or `cdp`.
    pub protocol: String,
    /// LLDP system name, or CDP device id.
    pub switch: Option<String>,
    pub chassis_id: Option<String>,
    pub port: Option<String>,
    pub port_description: Option<String>,
    /// The port's untagged VLAN (802.1 Port VLAN ID, CDP native VLAN), when announced.
    pub native_vlan: Option<u16>,
    /// The voice VLAN it tells phones to use (LLDP-MED network policy for voice, CDP voice VLAN).
    pub voice_vlan: Option<VoiceVlan>,
}

/// The voice VLAN a switch offers phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceVlan {
    pub vlan: u16,
    /// Phones tag their frames with it (LLDP-MED T flag; CDP's voice VLAN is always tagged).
    pub tagged: bool,
    pub priority: Option<u8>,
    pub dscp: Option<u8>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One server that answered the probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub responder: SocketAddr,
    /// `Server` or `User-Agent` of its answers.
    pub user_agent: Option<String>,
    /// The final status code of its response to the SUBSCRIBE (a provisional 1xx is no answer and is
    /// not kept).
    pub status: Option<u16>,
    /// The reason phrase of that response (`Bad Event` of a 489).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub response_rtt_ms: Option<f64>,
    pub notify_rtt_ms: Option<f64>,
    /// The URL of its NOTIFY, passwords and tokens redacted.
    pub provisioning_url: Option<String>,
    /// The URL as sent, for the fetch alone: never serialised, so no format shows its secrets.
    #[serde(skip)]
    pub provisioning_url_unredacted: Option<String>,
    /// The responder is one of this host's own addresses (a PBX on this host).
    pub this_host: bool,
    /// How its NOTIFY looked, when one came: where it was sent and what it carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifySeen>,
    /// How long the probe waited for this server's NOTIFY after its 200 OK (the phone's window is 5 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_waited_ms: Option<f64>,
}

/// A first answer later than this (ms after the first SUBSCRIBE) is late: phones retransmit on timer
/// E and wait about 5 s in all, but some give up sooner.
pub const LATE_ANSWER_MS: f64 = 2000.0;

impl Answer {
    /// It accepted the subscription: a 2xx, or a NOTIFY (which only an accepted subscription gets).
    #[must_use]
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s)) || self.notify.is_some()
    }

    /// A final answer other than 2xx, and no NOTIFY: the server heard the SUBSCRIBE and refused it.
    #[must_use]
    pub fn refused(&self) -> bool {
        !self.accepted() && self.status.is_some_and(|s| s >= 300)
    }

    /// `489 Bad Event`, or the bare code.
    #[must_use]
    pub fn status_line(&self) -> String {
        match (self.status, &self.reason) {
            (Some(code), Some(reason)) => format!("{code} {reason}"),
            (Some(code), None) => code.to_string(),
            (None, _) => "no response".into(),
        }
    }

    /// `198.51.100.10:5060 (LabPBX/1.0), URL http://…`: who answered, as a person tells two apart.
    #[must_use]
    pub fn describe(&self) -> String {
        let software = self.user_agent.as_deref().map_or_else(String::new, |ua| format!(" ({ua})"));
        let url = self.provisioning_url.as_deref().map_or_else(String::new, |u| format!(", URL {u}"));
        format!("{}{software}{url}", self.responder)
    }
}

/// A NOTIFY as a phone receives it: the fields a phone depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifySeen {
    /// It arrived at the SUBSCRIBE's Contact (where RFC 6665 says it goes), not only at its source port.
    pub to_contact: bool,
    pub request_uri: String,
    pub content_type: Option<String>,
    /// Where the URL was found: `body` (application/url), `external-body`, `untyped-body`.
    pub url_source: Option<String>,
}

/// The provisioning URL fetched as a phone would fetch it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchReport {
    /// The URL, passwords and tokens redacted.
    pub url: String,
    pub scheme: String,
    pub host: String,
    /// The host's addresses as this host resolves it (the literal address when it is one).
    pub addresses: Vec<std::net::IpAddr>,
    /// Why the name did not resolve.
    pub resolve_error: Option<String>,
    /// Why it was not fetched (judged only): `--no-fetch`, a public host without `--fetch-any`, FTP…
    pub not_fetched: Option<String>,
    /// HTTP status, or 200 for a TFTP transfer that completed.
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub bytes: Option<u64>,
    /// The scheme of a `WWW-Authenticate` challenge (`Digest`, `Basic`): the server needs credentials.
    pub challenge: Option<String>,
    pub error: Option<FetchError>,
    pub elapsed_ms: f64,
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchError {
    pub kind: FetchErrorKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FetchErrorKind {
    /// No answer in time.
    Timeout,
    /// Nothing listens there, or no route to it.
    Unreachable,
    /// The TLS certificate does not verify (self-signed, expired, wrong name).
    TlsUnverified,
    TooManyRedirects,
    /// The file is larger than a provisioning file can sensibly be.
    TooLarge,
    /// A TFTP server's error packet (file not found, access violation).
    Refused,
    /// Anything else the server or the client did wrong.
    Protocol,
}

/// The probe's looped-back copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Loopback {
    pub arrived: bool,
    pub after_ms: Option<f64>,
}

/// One datagram mcready sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub interface: String,
    pub ttl: u32,
    pub at_ms: u64,
}

/// What `probe` saw: `mcready.probe/v1` without its envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub sent: Vec<Sent>,
    /// `None` when the copy could not be watched (the group's port could not be shared).
    pub loopback: Option<Loopback>,
    pub answers: Vec<Answer>,
    pub warnings: Vec<String>,
    /// How long the probe waited for answers, in total (the first answer, then other servers and the
    /// NOTIFY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_ms: Option<f64>,
    /// Ctrl-C or SIGTERM cut the wait short: a missing answer proves nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

/// An IGMP membership query heard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryHeard {
    pub source: Ipv4Addr,
    /// IGMP version 1, 2 or 3.
    pub version: u8,
    pub max_response_ms: u32,
    /// `None` for a general query; the group for a group-specific one.
    pub group: Option<Ipv4Addr>,
}

/// Whether an IGMP querier serves the PnP interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuerierReport {
    pub queries: Vec<QueryHeard>,
    /// The scratch group joined and left to provoke a group-specific query, when that was done.
    pub scratch_group: Option<Ipv4Addr>,
    /// How long a passive search listened for general queries (none for the fast search): shorter
    /// than the querier's interval (125 s by default), silence proves nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listened_secs: Option<u64>,
}

impl QuerierReport {
    #[must_use]
    pub fn querier(&self) -> Option<Ipv4Addr> {
        self.queries.first().map(|q| q.source)
    }
}

/// One leg of the peer test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    pub ok: bool,
    pub rtt_ms: Option<f64>,
}

/// The peer test against `mcready respond` on another LAN host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerReport {
    pub peer: SocketAddr,
    /// OPTIONS to the peer's address answered: the peer is up and reachable.
    pub unicast: Leg,
    /// Our multicast OPTIONS reached the peer (it answered by unicast).
    pub here_to_peer: Leg,
    /// The peer's multicast OPTIONS reached us.
    pub peer_to_here: Leg,
    /// A listener that failed mid-test (its interface gone): the legs it would have heard are not proof.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The soak: the peer test repeated past the snooping timeout, joining nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoakReport {
    pub duration_secs: f64,
    pub interval_secs: f64,
    /// One entry per round, in order: the timeline.
    pub rounds: Vec<SoakRound>,
    /// Phones heard by capture during the soak (`None` when they could not be counted).
    pub phones_heard: Option<u32>,
    pub limits: Vec<String>,
    /// Ctrl-C or SIGTERM ended the soak early.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// What the soak's capture heard besides PnP (DHCP answers, phones by vendor MAC, LLDP/CDP);
    /// absent without a capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryReport>,
}

/// One round of the soak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoakRound {
    /// Seconds since the soak began.
    pub at_secs: f64,
    /// The peer answered unicast: it is up, so the multicast legs mean something.
    pub unicast: bool,
    /// Our multicast reached the peer.
    pub here_to_peer: bool,
    /// The peer's multicast reached us (`None`: not observable without capture privilege).
    pub peer_to_here: Option<bool>,
    pub error: Option<String>,
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    Joined,
    Left,
    Sent,
}

/// One action, as it appears in a report's `own_actions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnAction {
    pub action: ActionKind,
    /// The group joined, left or sent to; for unicast sends, the peer's address.
    pub group: Ipv4Addr,
    /// The interface name (or, for unicast sends, the local address).
    pub interface: String,
    pub detail: String,
    /// Milliseconds since the start instant of the [`OwnActions`].
    pub at_ms: u64,
}

impl OwnAction {
    /// One readable line: `joined 224.0.1.75 on eth0 at 3 ms: group receiver on port 5060`.
    #[must_use]
    pub fn line(&self) -> String {
        let verb = match self.action {
            ActionKind::Joined => "joined",
            ActionKind::Left => "left",
            ActionKind::Sent => "sent to",
        };
        format!("mcready {verb} {} on {} at {} ms: {}", self.group, self.interface, self.at_ms, self.detail)
    }
}

/// Something worth a line while listening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum ListenEvent {
    /// The first SUBSCRIBE of a phone.
    Phone { phone: Phone },
    /// Another SUBSCRIBE from a phone already heard (a retransmission or a reboot).
    Again { phone: String, subscribes: u32 },
    /// This host answered a phone (seen leaving by the capture).
    Answered { phone: String, by: String },
    /// The first SIP message of a kind from a sender that is not a PnP SUBSCRIBE.
    NonPnp { source: SocketAddr, kind: String },
    /// A datagram to the group port that is not SIP.
    Junk { source: SocketAddr, total: u32 },
    /// A part of the observation that cannot be made.
    Limit { message: String },
    /// About once a second, for a progress line.
    Tick { remaining_secs: u64, phones: usize },
    /// A DHCP server's first answer of a kind, with the provisioning options it hands out.
    DhcpAnswer { answer: DhcpAnswer },
    /// A host with a phone vendor's MAC prefix, first seen (DHCP request, ARP).
    VendorDevice { device: VendorDevice },
    /// The switch's first LLDP or CDP announcement of this port.
    SwitchPort { port: SwitchPort },
    /// A phone reached a stage of its provisioning (its MAC, else its address).
    Stage { phone: String, stage: Stage },
}

/// What `respond` logs: a line each in text, one JSON object per line with `--json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum RespondEvent {
    Started {
        interface: String,
        group: Ipv4Addr,
        port: u16,
        /// Where unicast answers leave from.
        unicast: SocketAddrV4,
        provisions: bool,
    },
    Warning {
        message: String,
    },
    /// A peer-protocol request answered.
    Peer {
        kind: &'static str,
        nonce: String,
        from: SocketAddr,
        /// An `out` also brought a `back` to the group.
        back_sent: bool,
    },
    /// A phone got the 200 OK and the NOTIFY with its URL.
    Provisioned {
        mac: Option<String>,
        vendor: Option<String>,
        model: Option<String>,
        source: SocketAddr,
        url: String,
        notify_to: Option<SocketAddr>,
    },
    /// The same SUBSCRIBE again (same Call-ID and branch): the same answer was sent again.
    Retransmission {
        mac: Option<String>,
        source: SocketAddr,
    },
    /// A phone's SUBSCRIBE that was not answered, and why.
    NotAnswered {
        mac: Option<String>,
        source: SocketAddr,
        reason: String,
    },
    /// The phone's 200 OK to the NOTIFY.
    NotifyConfirmed {
        source: SocketAddr,
    },
    Stopped {
        after_secs: f64,
        reason: &'static str,
        peer_requests: u32,
        /// Distinct phones (by MAC, else by source address) that got an answer; retransmissions and
        /// reboots of the same phone count once.
        phones_provisioned: u32,
    },
}
