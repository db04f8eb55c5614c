//! How `respond`'s events stream: one line each in text and Markdown, one JSON object per line.

use super::stream::StreamEvent;
use crate::observed::RespondEvent;

/// One line per event; `Stopped` is the last line of a run.
impl StreamEvent for RespondEvent {
    fn line(&self) -> Option<String> {
        let event = self;
        let or_unknown = |text: &Option<String>| text.clone().unwrap_or_else(|| "?".to_owned());
        let body = match event {
            RespondEvent::Started { interface, group, port, unicast, provisions } => format!(
                "listening on {interface}: group {group}:{port}, unicast {unicast}{}",
                if *provisions { ", provisioning allowed phones" } else { ", peer protocol only (no --url)" }
            ),
            RespondEvent::Warning { message } => format!("warning: {message}"),
            RespondEvent::Peer { kind, nonce, from, back_sent } => format!(
                "peer {kind} from {from} (nonce {nonce}) answered{}",
                if *back_sent { ", back sent to the group" } else { "" }
            ),
            RespondEvent::Provisioned { mac, vendor, model, source, url, notify_to } => format!(
                "phone {} ({} {}) at {source}: 200 OK{}",
                or_unknown(mac),
                or_unknown(vendor),
                or_unknown(model),
                notify_to.map_or_else(|| " (no NOTIFY)".to_owned(), |to| format!(", NOTIFY {url} to {to}"))
            ),
            RespondEvent::Retransmission { mac, source } => {
                format!("phone {} at {source}: retransmission, same answer sent again", or_unknown(mac))
            }
            RespondEvent::NotAnswered { mac, source, reason } => {
                format!("phone {} at {source}: not answered ({reason})", or_unknown(mac))
            }
            RespondEvent::NotifyConfirmed { source } => format!("phone at {source} confirmed the NOTIFY"),
            RespondEvent::Stopped { after_secs, reason, peer_requests, phones_provisioned } => format!(
                "stopped ({reason}) after {after_secs:.1} s: {} answered, {} provisioned",
                super::text::count(*peer_requests, "peer request", "peer requests"),
                super::text::count(*phones_provisioned, "phone", "phones")
            ),
        };
        Some(body)
    }
}
