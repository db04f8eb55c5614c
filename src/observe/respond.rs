//! The responder engine behind `mcready respond`: the far end of `check --peer`, and with `--url` a
//! minimal PnP server for the phones named with `--allow` (or every phone with `--any-phone`).
//!
//! The decisions are pure ([`Responder::handle`]: one datagram in, the datagrams to send and the events
//! to log out), so they are tested without a network; [`RespondSockets`] owns the sockets and serves
//! through the one receive loop until Ctrl-C (the normal stop) or the deadline.
//!
//! Sockets (DESIGN, peer protocol): a [`GroupReceiver`] bound to the group address (never
//! `0.0.0.0:PORT`), a [`UnicastSocket`] on the interface address and the PnP port **without**
//! `SO_REUSEADDR` (it can never share a running PBX's port), and a [`MulticastSender`] on an
//! ephemeral port for the `back` leg.
//!
//! When the unicast port is taken (a PBX on this host) the decision depends on the mode: a plain peer
//! responder fails clearly (exit 2), because `check --peer` would otherwise read the missing unicast
//! answer as "peer down"; a PnP server (`--url`) carries on, answering from an ephemeral port, and says
//! so. When the group port cannot be shared at all, nothing can be heard: exit 2.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Instant;

use anyhow::Result;

use super::Clock;
use super::receive::{self, Ended, Flow, Received, Source};
use crate::net::peer;
use crate::net::{
    GroupReceiver, LocalInterface, MulticastSender, NetError, OwnActions, SenderOptions, UnicastSocket,
};
use crate::observed::RespondEvent;
use crate::sip::build::{self, NotifyOptions};
use crate::sip::{self, MacAddr, Message, pnp, value};
/// Answers remembered for retransmissions; a flood of distinct SUBSCRIBEs must not grow memory
/// without bound, so the memory is cleared past this (a retransmission after that gets a fresh answer).
const REMEMBERED: usize = 4096;
/// `back` OPTIONS sent per nonce at most (the client retransmits `out` a few times).
const BACKS_PER_NONCE: u32 = 4;

/// Which phones `--url` provisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowList {
    Any,
    Only(Vec<MacAddr>),
}

impl AllowList {
    fn allows(&self, mac: Option<MacAddr>) -> bool {
        match self {
            Self::Any => true,
            Self::Only(macs) => mac.is_some_and(|mac| macs.contains(&mac)),
        }
    }
}

/// The PnP server part: the URL template and who gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PnpServer {
    pub url_template: String,
    pub allow: AllowList,
}

/// One datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Unicast { payload: Vec<u8>, to: SocketAddr, detail: &'static str },
    Group { payload: Vec<u8>, detail: &'static str },
}

/// The answer given to one SUBSCRIBE, kept to be sent again on a retransmission.
#[derive(Debug, Clone)]
struct Answered {
    sends: Vec<Outgoing>,
    mac: Option<String>,
}

/// The responder's state: what it answered, so retransmissions get the same answer.
#[derive(Debug)]
pub struct Responder {
    group: Ipv4Addr,
    pnp: Option<PnpServer>,
    /// The address unicast answers leave from (Via, Contact of what mcready sends).
    answer_from: SocketAddrV4,
    back_from: SocketAddrV4,
    answered: HashMap<(String, String), Answered>,
    /// Call-IDs of NOTIFYs sent, to recognise the phones' 200 OKs.
    notified: HashSet<String>,
    /// Call-IDs already logged as not answered (a phone retransmits; one line is enough).
    not_answered: HashSet<String>,
    backs: HashMap<String, u32>,
    /// The phones answered, by MAC (or source address without one): `respond` counts phones, not
    /// answers.
    provisioned: HashSet<String>,
    pub peer_requests: u32,
}

impl Responder {
    #[must_use]
    pub fn new(
        group: Ipv4Addr,
        pnp: Option<PnpServer>,
        answer_from: SocketAddrV4,
        back_from: SocketAddrV4,
    ) -> Self {
        Self {
            group,
            pnp,
            answer_from,
            back_from,
            answered: HashMap::new(),
            notified: HashSet::new(),
            not_answered: HashSet::new(),
            backs: HashMap::new(),
            provisioned: HashSet::new(),
            peer_requests: 0,
        }
    }

    /// How many distinct phones were provisioned.
    #[must_use]
    pub fn phones_provisioned(&self) -> u32 {
        u32::try_from(self.provisioned.len()).unwrap_or(u32::MAX)
    }

    /// Decides what one datagram from `source` calls for. Never panics: anything unreadable or foreign
    /// is ignored silently.
    pub fn handle(&mut self, payload: &[u8], source: SocketAddr) -> (Vec<Outgoing>, Vec<RespondEvent>) {
        let Ok(message) = sip::parse(payload) else { return (Vec::new(), Vec::new()) };
        if pnp::is_pnp_subscribe(&message) {
            return self.subscribe(&message, source);
        }
        if message.is_response() {
            let confirms = message.cseq().is_some_and(|(_, method)| method.eq_ignore_ascii_case("NOTIFY"))
                && message.call_id().is_some_and(|id| self.notified.contains(id));
            let events = if confirms { vec![RespondEvent::NotifyConfirmed { source }] } else { Vec::new() };
            return (Vec::new(), events);
        }
        let Some(replies) = peer::serve(&message, source, self.answer_from, self.group, self.back_from)
        else {
            return (Vec::new(), Vec::new());
        };
        self.peer_requests += 1;
        let mut sends = vec![Outgoing::Unicast {
            payload: replies.answer,
            to: replies.answer_to,
            detail: "peer protocol: 200 OK",
        }];
        let mut back_sent = false;
        if let Some(back) = replies.back {
            if self.backs.len() > REMEMBERED {
                self.backs.clear();
            }
            let count = self.backs.entry(replies.tag.nonce.clone()).or_default();
            if *count < BACKS_PER_NONCE {
                *count += 1;
                back_sent = true;
                sends.push(Outgoing::Group {
                    payload: back,
                    detail: "peer protocol: multicast OPTIONS (back)",
                });
            }
        }
        let event = RespondEvent::Peer {
            kind: replies.tag.kind.as_str(),
            nonce: replies.tag.nonce,
            from: source,
            back_sent,
        };
        (sends, vec![event])
    }

    fn subscribe(&mut self, message: &Message<'_>, source: SocketAddr) -> (Vec<Outgoing>, Vec<RespondEvent>) {
        let call_id = message.call_id().unwrap_or_default().to_owned();
        let key = (call_id.clone(), message.via_branch().unwrap_or_default().to_owned());
        if let Some(answered) = self.answered.get(&key) {
            let event = RespondEvent::Retransmission { mac: answered.mac.clone(), source };
            return (answered.sends.clone(), vec![event]);
        }
        let phone = pnp::identify_phone(message);
        let mac = phone.mac.map(|mac| mac.to_string());
        let refuse = |this: &mut Self, reason: String| {
            if this.not_answered.len() > REMEMBERED {
                this.not_answered.clear();
            }
            let first = this.not_answered.insert(call_id.clone());
            let events = if first {
                vec![RespondEvent::NotAnswered { mac: mac.clone(), source, reason }]
            } else {
                Vec::new()
            };
            (Vec::new(), events)
        };
        let Some(server) = &self.pnp else {
            return refuse(self, "no --url: respond never provisions a phone without one".into());
        };
        // mcready's own probe is answered too: a stand-in that ignored it could never make `check` pass,
        // though it provisions the phones. It is no phone, so it is not counted as one.
        let own_probe = is_mcready_probe(&phone);
        if !own_probe && !server.allow.allows(phone.mac) {
            let reason = if phone.mac.is_some() {
                "not in --allow".to_owned()
            } else {
                "no MAC in the SUBSCRIBE, so --allow cannot match it".to_owned()
            };
            return refuse(self, reason);
        }
        let url = fill_template(&server.url_template, &phone, source.ip());
        let our_tag = build::new_tag();
        let contact = format!("sip:{}", self.answer_from);
        let ok = match build::ok_response(message, &our_tag, &contact, sip::USER_AGENT) {
            Ok(ok) => ok,
            Err(error) => return refuse(self, format!("cannot answer it: {error}")),
        };
        let mut sends = vec![Outgoing::Unicast {
            payload: ok,
            to: pnp::reply_target(message, source),
            detail: "PnP: 200 OK to SUBSCRIBE",
        }];
        let options = NotifyOptions {
            local: SocketAddr::V4(self.answer_from),
            our_tag: &our_tag,
            cseq: 1,
            user_agent: sip::USER_AGENT,
        };
        let notify_to = notify_target(phone.contact.as_deref(), source);
        let mut events = Vec::new();
        match build::notify_for(message, &url, &options) {
            Ok(notify) => {
                sends.push(Outgoing::Unicast {
                    payload: notify,
                    to: notify_to,
                    detail: "PnP: NOTIFY with URL",
                });
                if self.notified.len() > REMEMBERED {
                    self.notified.clear();
                }
                self.notified.insert(call_id.clone());
            }
            Err(error) => events.push(RespondEvent::Warning {
                message: format!("answered {source} but cannot send its NOTIFY: {error}"),
            }),
        }
        let notified = sends.len() > 1;
        if self.answered.len() > REMEMBERED {
            self.answered.clear();
        }
        self.answered.insert(key, Answered { sends: sends.clone(), mac: mac.clone() });
        if !own_probe && self.provisioned.len() < REMEMBERED {
            self.provisioned.insert(mac.clone().unwrap_or_else(|| source.ip().to_string()));
        }
        events.push(RespondEvent::Provisioned {
            mac,
            vendor: phone.vendor,
            model: phone.model,
            source,
            url,
            notify_to: notified.then_some(notify_to),
        });
        (sends, events)
    }
}

/// mcready's own probe (`check`, `probe`): its locally administered test MAC and its diagnostic
/// User-Agent, both — a phone has a vendor's MAC, and a User-Agent alone is easily copied.
fn is_mcready_probe(phone: &pnp::PhoneIdentity) -> bool {
    phone.mac.is_some_and(|mac| mac.is_locally_administered())
        && phone.user_agent.as_deref().is_some_and(|ua| ua.starts_with("mcready/"))
}

/// Where the NOTIFY goes: the Contact's port, but always the phone's own source address. Following a
/// Contact host from an untrusted datagram would let anyone aim mcready's NOTIFYs at a third host.
fn notify_target(contact: Option<&str>, source: SocketAddr) -> SocketAddr {
    let port = contact
        .map(|uri| {
            let without_scheme = ["sip:", "sips:"]
                .iter()
                .find_map(|scheme| value::strip_prefix_ignore_case(uri.trim_ascii(), scheme))
                .unwrap_or(uri);
            let host_part = without_scheme.rsplit_once('@').map_or(without_scheme, |(_, host)| host);
            let end = host_part.find([';', '?', '>']).unwrap_or(host_part.len());
            host_part.get(..end).unwrap_or(host_part)
        })
        .and_then(value::split_host_port)
        .and_then(|(_, port)| port);
    SocketAddr::new(source.ip(), port.unwrap_or(sip::SIP_PORT))
}

/// Fills `{mac}` (12 lowercase hex digits), `{ip}`, `{vendor}` and `{model}`. Values from the datagram
/// are percent-encoded: a phone cannot put a `/`, `?` or space into another phone's URL.
#[must_use]
pub fn fill_template(template: &str, phone: &pnp::PhoneIdentity, ip: IpAddr) -> String {
    let encode = |text: Option<&str>| {
        let mut out = String::new();
        for byte in text.unwrap_or_default().bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(byte));
            } else {
                let _ = write!(out, "%{byte:02X}");
            }
        }
        out
    };
    template
        .replace("{mac}", &phone.mac.map(|mac| mac.to_compact_string()).unwrap_or_default())
        .replace("{ip}", &ip.to_string())
        .replace("{vendor}", &encode(phone.vendor.as_deref()))
        .replace("{model}", &encode(phone.model.as_deref()))
}

/// The three sockets of `respond`.
pub struct RespondSockets {
    group: GroupReceiver,
    unicast: UnicastSocket,
    sender: MulticastSender,
}

impl RespondSockets {
    /// Opens them, deciding what a taken port means (see the module docs); warnings go to `early`.
    ///
    /// # Errors
    /// When the group cannot be heard on this host, or the unicast leg is needed and its port is taken.
    pub fn open(
        iface: &LocalInterface,
        group: Ipv4Addr,
        port: u16,
        provisions: bool,
        actions: &OwnActions,
        early: &mut Vec<RespondEvent>,
    ) -> Result<Self> {
        let receiver =
            GroupReceiver::open(group, port, std::slice::from_ref(iface), actions).map_err(|e| match e {
                NetError::AddressInUse { .. } | NetError::NeedsCapture { .. } => {
                    let why = format!(
                        "{e}: respond cannot hear the group on this host; stop that process or run respond on another host"
                    );
                    anyhow::Error::new(e).context(why)
                }
                other => anyhow::Error::new(other),
            })?;
        let unicast = match UnicastSocket::bind(SocketAddrV4::new(iface.address, port), actions) {
            Ok(socket) => socket,
            Err(error @ NetError::AddressInUse { .. }) if provisions => {
                early.push(RespondEvent::Warning {
                    message: format!(
                        "{error}; answering phones from an ephemeral port instead, and `check --peer` will see no unicast answer"
                    ),
                });
                UnicastSocket::bind(SocketAddrV4::new(iface.address, 0), actions)?
            }
            Err(error @ NetError::AddressInUse { .. }) => {
                let why = format!(
                    "{error}: without the unicast leg `check --peer` would report this host as down; stop the \
                     process holding the port (a PBX?) or run respond on another host"
                );
                return Err(anyhow::Error::new(error).context(why));
            }
            Err(error) => return Err(error.into()),
        };
        let options = SenderOptions { group, port, local_port: 0, ttl: 1, loopback: false };
        let sender = MulticastSender::open(iface, options, actions)?;
        Ok(Self { group: receiver, unicast, sender })
    }

    /// Where unicast answers leave from.
    #[must_use]
    pub fn unicast_addr(&self) -> SocketAddrV4 {
        self.unicast.local_addr()
    }

    /// Where the `back` leg leaves from.
    #[must_use]
    pub fn sender_addr(&self) -> SocketAddrV4 {
        self.sender.local_addr()
    }

    /// Answers until Ctrl-C or `deadline`; returns why it stopped. A socket that fails is a warning,
    /// and respond carries on with the other.
    pub fn serve(
        &self,
        responder: &mut Responder,
        deadline: Option<Instant>,
        clock: &dyn Clock,
        emit: &dyn Fn(&RespondEvent),
    ) -> &'static str {
        // Without a deadline the readers run "forever": a century is as good as forever and cannot
        // overflow an `Instant`.
        let until = deadline
            .or_else(|| clock.now().checked_add(std::time::Duration::from_secs(100 * 365 * 86_400)))
            .unwrap_or_else(|| clock.now());
        let sources = vec![
            Source::new("the group socket", until, |at| self.group.recv_until(at)),
            Source::new("the unicast socket", until, |at| self.unicast.recv_until(at)),
        ];
        let ended = receive::run(sources, clock, |received| {
            match received {
                Received::Item(datagram) => {
                    let (sends, events) =
                        responder.handle(&datagram.payload, SocketAddr::V4(datagram.source));
                    for send in sends {
                        if let Err(error) = self.send(send) {
                            emit(&RespondEvent::Warning { message: error.to_string() });
                        }
                    }
                    for event in &events {
                        emit(event);
                    }
                }
                Received::Failed(message) => emit(&RespondEvent::Warning { message }),
                Received::Idle => {}
            }
            if deadline.is_some_and(|at| clock.now() >= at) { Flow::Stop } else { Flow::Continue }
        });
        match ended {
            Ended::Interrupted => "interrupted",
            Ended::Done if deadline.is_some() => "duration reached",
            Ended::Done => "every socket failed",
        }
    }

    fn send(&self, send: Outgoing) -> Result<(), NetError> {
        match send {
            Outgoing::Unicast { payload, to: SocketAddr::V4(to), detail } => {
                self.unicast.send_to(&payload, to, detail)
            }
            Outgoing::Unicast { .. } => Ok(()),
            Outgoing::Group { payload, detail } => self.sender.send(&payload, detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::peer::{PeerKind, PeerTag, options_request};

    const PHONE: &str = "198.51.100.7:5060";

    fn subscribe(mac: &str, call_id: &str, branch: &str) -> Vec<u8> {
        format!(
            "SUBSCRIBE sip:MAC%3a{mac}@224.0.1.75 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 198.51.100.7:5060;branch={branch};rport\r\n\
             From: <sip:MAC%3a{mac}@224.0.1.75>;tag=1\r\nTo: <sip:MAC%3a{mac}@224.0.1.75>\r\n\
             Call-ID: {call_id}\r\nCSeq: 1 SUBSCRIBE\r\nContact: <sip:MAC%3a{mac}@198.51.100.7:5062>\r\n\
             Event: ua-profile;profile-type=\"device\";vendor=\"Yealink\";model=\"W52P\";version=\"25.81\"\r\n\
             Expires: 0\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    }

    fn responder(pnp: Option<PnpServer>) -> Responder {
        let here: SocketAddrV4 = "198.51.100.20:5060".parse().unwrap();
        Responder::new(sip::PNP_GROUP, pnp, here, "198.51.100.20:41000".parse().unwrap())
    }

    fn allow(mac: &str) -> PnpServer {
        PnpServer {
            url_template: "http://198.51.100.20/p/{mac}.cfg?v={vendor}&m={model}&ip={ip}".into(),
            allow: AllowList::Only(vec![mac.parse().unwrap()]),
        }
    }

    #[test]
    fn allowed_phone_gets_200_then_notify_and_retransmission_gets_the_same() {
        let mut r = responder(Some(allow("001565aabbcc")));
        let source: SocketAddr = PHONE.parse().unwrap();
        let (sends, events) = r.handle(&subscribe("001565aabbcc", "c1", "z9hG4bK1"), source);
        assert_eq!(sends.len(), 2);
        let Outgoing::Unicast { payload, to, .. } = &sends[0] else { panic!() };
        assert_eq!(*to, source);
        assert!(payload.starts_with(b"SIP/2.0 200 OK\r\n"));
        let Outgoing::Unicast { payload, to, .. } = &sends[1] else { panic!() };
        assert_eq!(*to, "198.51.100.7:5062".parse().unwrap(), "Contact's port, source's address");
        let notify = sip::parse(payload).unwrap();
        let info = pnp::notify_info(&notify).unwrap();
        assert_eq!(
            info.provisioning_url.as_deref(),
            Some("http://198.51.100.20/p/001565aabbcc.cfg?v=Yealink&m=W52P&ip=198.51.100.7")
        );
        assert!(matches!(events[0], RespondEvent::Provisioned { .. }));
        let (again, events) = r.handle(&subscribe("001565aabbcc", "c1", "z9hG4bK1"), source);
        assert_eq!(again, sends);
        assert!(matches!(events[0], RespondEvent::Retransmission { .. }));
        assert_eq!(r.phones_provisioned(), 1);
        // The phone's 200 OK to the NOTIFY: no answer, one log line.
        let ok = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x\r\nCall-ID: c1\r\nCSeq: 1 NOTIFY\r\n\r\n";
        let (sends, events) = r.handle(ok, source);
        assert!(sends.is_empty());
        assert_eq!(events, vec![RespondEvent::NotifyConfirmed { source }]);
    }

    #[test]
    fn phones_are_counted_not_answers() {
        let mut r = responder(Some(allow("001565aabbcc")));
        let source: SocketAddr = PHONE.parse().unwrap();
        // A retransmission, then a reboot (new Call-ID): one phone, three answers.
        r.handle(&subscribe("001565aabbcc", "c1", "z9hG4bK1"), source);
        r.handle(&subscribe("001565aabbcc", "c1", "z9hG4bK1"), source);
        r.handle(&subscribe("001565aabbcc", "c9", "z9hG4bK9"), source);
        assert_eq!(r.phones_provisioned(), 1);
    }

    #[test]
    fn other_phones_and_no_url_are_never_answered() {
        let source: SocketAddr = PHONE.parse().unwrap();
        let mut r = responder(Some(allow("001565aabbcc")));
        let (sends, events) = r.handle(&subscribe("001565000001", "c2", "z9hG4bK2"), source);
        assert!(sends.is_empty());
        assert!(matches!(&events[0], RespondEvent::NotAnswered { reason, .. } if reason == "not in --allow"));
        // Its retransmission is not logged again.
        assert_eq!(r.handle(&subscribe("001565000001", "c2", "z9hG4bK2"), source), (vec![], vec![]));
        let mut r = responder(None);
        let (sends, events) = r.handle(&subscribe("001565aabbcc", "c3", "z9hG4bK3"), source);
        assert!(sends.is_empty());
        assert!(matches!(&events[0], RespondEvent::NotAnswered { .. }));
    }

    /// The stand-in `check` suggests (`respond --url URL --allow MAC`) must answer `check`'s own probe,
    /// else `check` fails while the phone is provisioned. A copied User-Agent with a vendor's MAC does
    /// not pass for the probe.
    #[test]
    fn mcreadys_own_probe_is_answered_but_not_counted_as_a_phone() {
        let source: SocketAddr = PHONE.parse().unwrap();
        let with_ua = |mac: &str, call_id: &str| {
            let text = String::from_utf8(subscribe(mac, call_id, "z9hG4bKp")).unwrap();
            text.replace("Expires: 0\r\n", &format!("User-Agent: {}\r\nExpires: 0\r\n", sip::USER_AGENT))
                .into_bytes()
        };
        let mut r = responder(Some(allow("001565aabbcc")));
        let (sends, events) = r.handle(&with_ua("0a1b2c3d4e5f", "probe1"), source);
        assert_eq!(sends.len(), 2, "{events:?}");
        assert!(matches!(events[0], RespondEvent::Provisioned { .. }));
        assert_eq!(r.phones_provisioned(), 0);
        let (sends, events) = r.handle(&with_ua("001565000001", "fake1"), source);
        assert!(sends.is_empty());
        assert!(matches!(&events[0], RespondEvent::NotAnswered { reason, .. } if reason == "not in --allow"));
    }

    #[test]
    fn peer_out_is_answered_and_backed_a_bounded_number_of_times() {
        let mut r = responder(None);
        let tag = PeerTag::fresh(PeerKind::Out);
        let client: SocketAddrV4 = "198.51.100.10:40000".parse().unwrap();
        let request = options_request(&tag, "sip:224.0.1.75", client);
        for round in 0..6 {
            let (sends, events) = r.handle(&request, SocketAddr::V4(client));
            assert!(matches!(sends[0], Outgoing::Unicast { to, .. } if to == SocketAddr::V4(client)));
            let backed = u32::try_from(round).unwrap() < BACKS_PER_NONCE;
            assert_eq!(sends.len(), if backed { 2 } else { 1 });
            assert!(matches!(events[0], RespondEvent::Peer { back_sent, .. } if back_sent == backed));
        }
    }

    #[test]
    fn junk_and_foreign_sip_are_ignored() {
        let mut r = responder(Some(allow("001565aabbcc")));
        let source: SocketAddr = PHONE.parse().unwrap();
        for junk in
            [&b""[..], b"\xff\xfe garbage", b"OPTIONS sip:x SIP/2.0\r\n\r\n", b"SIP/2.0 200 OK\r\n\r\n"]
        {
            assert_eq!(r.handle(junk, source), (vec![], vec![]));
        }
    }

    #[test]
    fn template_values_from_the_wire_are_encoded() {
        let phone = pnp::PhoneIdentity {
            mac: "00:15:65:aa:bb:cc".parse().ok(),
            vendor: Some("Ac me/../x?".into()),
            model: None,
            ..Default::default()
        };
        let url =
            fill_template("http://h/{vendor}/{model}/{mac}@{ip}", &phone, "198.51.100.7".parse().unwrap());
        assert_eq!(url, "http://h/Ac%20me%2F..%2Fx%3F//001565aabbcc@198.51.100.7");
    }

    #[test]
    fn notify_target_keeps_the_source_address() {
        let source: SocketAddr = PHONE.parse().unwrap();
        assert_eq!(
            notify_target(Some("sip:MAC%3a1@203.0.113.9:5070;transport=udp"), source),
            "198.51.100.7:5070".parse().unwrap()
        );
        assert_eq!(notify_target(Some("sip:host"), source), "198.51.100.7:5060".parse().unwrap());
        assert_eq!(notify_target(None, source), "198.51.100.7:5060".parse().unwrap());
    }
}
