//! The support bundle: one JSON file (`mcready.bundle/v1`, docs/schemas/mcready.bundle.v1.json) that
//! holds what a `check` run read and heard — the host's sources as they came
//! ([`crate::platform::recording`]), the facts of the sources that have no text (netlink's and IP
//! Helper's tables), the observations, the options and mcready's version — so that `mcready replay`
//! re-judges it offline, on any OS, with the parsers and rules of the build that replays it
//! (docs/bundle.md). The whole-run tests build their fake hosts in the same format.
//!
//! Secrets are redacted as in reports (the engines keep only redacted URLs; [`Bundle::to_json`]
//! redacts every URL again); [`anonymise`] also replaces host names and MAC addresses.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::facts::{HostFacts, HostInfo, PNP_GROUP, PNP_PORT};
use crate::observed::{
    FetchReport, ListenReport, Observed, OwnAction, PeerReport, ProbeReport, QuerierReport, SoakReport,
};
use crate::platform::recording::{self, Recording};
use crate::snapshot::{InterfaceRule, NoInterface, OsFamily, Snapshot, choose_interface};

/// The schema of the bundles this build writes; it reads every `mcready.bundle/v1`.
pub const SCHEMA: &str = "mcready.bundle/v1";

/// A support bundle. Fields a bundle lacks (written by an older mcready, or by hand) take their
/// defaults, so an old bundle replays: what it did not record is simply not there to judge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    pub schema: String,
    pub tool: RecordedBy,
    /// When the run was recorded (RFC 3339).
    #[serde(default)]
    pub recorded_at: String,
    pub host: HostInfo,
    /// Host names and MAC addresses were replaced by pseudonyms (`--anonymise`).
    #[serde(default)]
    pub anonymised: bool,
    #[serde(default)]
    pub options: RunOptions,
    /// The sources as the host gave them, read again on replay.
    #[serde(default)]
    pub sources: Recording,
    /// The facts as gathered: the values of the sources without text, and every fact an older build
    /// recorded no source for.
    #[serde(default)]
    pub facts: HostFacts,
    #[serde(default)]
    pub observations: Observations,
    /// Observation windows Ctrl-C cut short.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cut_short: Vec<String>,
    /// What mcready itself did during the run (groups joined, datagrams sent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own_actions: Vec<OwnAction>,
}

/// The mcready that recorded a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedBy {
    pub name: String,
    pub version: String,
}

/// The options of the recorded run that the rules read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunOptions {
    pub group: Ipv4Addr,
    pub port: u16,
    /// `--interface`, as given.
    pub interface: Option<String>,
    /// `--phone`.
    pub phones: Vec<Ipv4Addr>,
    /// `--peer`, its port filled in.
    pub peer: Option<SocketAddrV4>,
    /// `--listen`, in seconds.
    pub listen_secs: Option<f64>,
    /// `--no-probe`.
    pub no_probe: bool,
    /// `--strict`.
    pub strict: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            group: PNP_GROUP,
            port: PNP_PORT,
            interface: None,
            phones: Vec::new(),
            peer: None,
            listen_secs: None,
            no_probe: false,
            strict: false,
        }
    }
}

/// What the run observed on the wire (each `not-asked` when absent).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Observations {
    pub peer: Observed<PeerReport>,
    pub probe: Observed<ProbeReport>,
    pub listen: Observed<ListenReport>,
    pub querier: Observed<QuerierReport>,
    pub fetch: Observed<FetchReport>,
    pub soak: Observed<SoakReport>,
}

/// Why a file is not a bundle this build can replay.
#[derive(Debug)]
pub struct NotABundle(pub String);

impl std::fmt::Display for NotABundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotABundle {}

impl Bundle {
    /// The bundle of a run: the snapshot `check` judged (before judging), the sources its gather read,
    /// the options, and what mcready itself did.
    #[must_use]
    pub fn record(
        snapshot: &Snapshot,
        sources: Recording,
        host: HostInfo,
        options: RunOptions,
        own_actions: Vec<OwnAction>,
    ) -> Self {
        Self {
            schema: SCHEMA.to_owned(),
            tool: RecordedBy { name: "mcready".into(), version: env!("CARGO_PKG_VERSION").into() },
            recorded_at: crate::report::timestamp_now(),
            host,
            anonymised: false,
            options,
            sources,
            facts: snapshot.facts.clone(),
            observations: Observations {
                peer: snapshot.peer.clone(),
                probe: snapshot.probe.clone(),
                listen: snapshot.listen.clone(),
                querier: snapshot.querier.clone(),
                fetch: snapshot.fetch.clone(),
                soak: snapshot.soak.clone(),
            },
            cut_short: Vec::new(),
            own_actions,
        }
    }

    /// Reads a bundle.
    ///
    /// # Errors
    /// When the text is not JSON, not a bundle, of a schema this build does not read, or malformed:
    /// one line that says which.
    pub fn parse(text: &str) -> Result<Self, NotABundle> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| NotABundle(format!("not a support bundle (not JSON: {e})")))?;
        let schema = value.get("schema").and_then(Value::as_str).unwrap_or_default();
        if schema != SCHEMA {
            let what = if schema.starts_with("mcready.bundle/") {
                format!(
                    "a bundle of schema {schema}, which this mcready cannot read: replay it with a newer mcready"
                )
            } else if schema.is_empty() {
                "not a support bundle (no \"schema\": write one with `mcready check --bundle FILE`)"
                    .to_owned()
            } else {
                format!(
                    "not a support bundle but a {schema} document (write one with `mcready check --bundle FILE`)"
                )
            };
            return Err(NotABundle(what));
        }
        serde_json::from_value(value).map_err(|e| NotABundle(format!("a malformed support bundle: {e}")))
    }

    /// The bundle as written: pretty JSON, every URL redacted once more, and anonymised when asked.
    #[must_use]
    pub fn to_json(&self, anonymised: bool) -> String {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        redact_urls(&mut value);
        if anonymised {
            anonymise(&mut value);
        }
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The OS family of the recorded host, which the rules judge for and write fixes for.
    #[must_use]
    pub fn os(&self) -> OsFamily {
        match self.host.os {
            "windows" => OsFamily::Windows,
            "macos" => OsFamily::Macos,
            _ => OsFamily::Linux,
        }
    }

    /// The snapshot the recorded run would give this build: the sources read again with its parsers,
    /// the PnP interface chosen again with its rule, and the observations as recorded.
    ///
    /// # Errors
    /// When the recorded `--interface` names no interface of the recorded host.
    pub fn snapshot(&self) -> Result<Snapshot, NoInterface> {
        let options = &self.options;
        let facts = recording::replay(self.facts.clone(), &self.sources, options.port);
        let mut hints: Vec<IpAddr> = options.phones.iter().copied().map(IpAddr::V4).collect();
        hints.extend(options.peer.map(|p| IpAddr::V4(*p.ip())));
        let (pnp_interface, interface_rule): (Option<String>, InterfaceRule) =
            choose_interface(&facts, options.interface.as_deref(), &hints)?;
        let observed = self.observations.clone();
        Ok(Snapshot {
            os: self.os(),
            facts,
            pnp_interface,
            interface_rule,
            group: options.group,
            port: options.port,
            expected_phones: options.phones.iter().copied().map(IpAddr::V4).collect(),
            peer: observed.peer,
            probe: observed.probe,
            listen: observed.listen,
            querier: observed.querier,
            fetch: observed.fetch,
            soak: observed.soak,
            passive: options.no_probe,
        })
    }
}

/// Keys whose values are URLs a secret may hide in (a provisioning URL's password or token).
const URL_KEYS: [&str; 3] = ["url", "provisioning_url", "value"];

/// Redacts every URL under [`URL_KEYS`] as reports do: what an engine kept is already redacted, and
/// a second pass costs nothing.
fn redact_urls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match item {
                    Value::String(text) if URL_KEYS.contains(&key.as_str()) && text.contains("://") => {
                        *text = crate::sip::redact_url(text);
                    }
                    _ => redact_urls(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_urls),
        _ => {}
    }
}

/// Replaces host names and MAC addresses everywhere in a bundle — values, sources' text, observations —
/// by pseudonyms: the same name or MAC gets the same pseudonym throughout the bundle, so the facts still
/// agree with each other. A MAC keeps its first three bytes (the vendor's prefix, which the rules read)
/// and gets a counter for the rest; host names become `host-1`, switch names `switch-1`.
pub fn anonymise(bundle: &mut Value) {
    let mut names: Vec<(String, String)> = Vec::new();
    if let Some(host) = bundle.pointer("/host/hostname").and_then(Value::as_str).filter(|h| !h.is_empty()) {
        names.push((host.to_owned(), "host-1".to_owned()));
    }
    let switches = bundle
        .pointer("/observations/listen/value/discovery/switch_ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|port| port.get("switch").and_then(Value::as_str))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>();
    for name in switches {
        if !names.iter().any(|(known, _)| *known == name) {
            let pseudonym = format!("switch-{}", names.len());
            names.push((name, pseudonym));
        }
    }
    // Longest first, so that a name containing another is replaced whole.
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    let mut macs = HashMap::new();
    walk_strings(bundle, &mut |text| {
        let mut out = replace_macs(text, &mut macs);
        for (name, pseudonym) in &names {
            out = replace_word(&out, name, pseudonym);
        }
        out
    });
    if let Some(flag) = bundle.get_mut("anonymised") {
        *flag = Value::Bool(true);
    }
}

/// `text` with every `word` that stands alone (no letter or digit either side) replaced.
fn replace_word(text: &str, word: &str, by: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        let alone = !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..at]);
        out.push_str(if alone { by } else { word });
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

fn walk_strings(value: &mut Value, change: &mut impl FnMut(&str) -> String) {
    match value {
        Value::String(text) => *text = change(text),
        Value::Array(items) => items.iter_mut().for_each(|item| walk_strings(item, change)),
        Value::Object(map) => map.values_mut().for_each(|item| walk_strings(item, change)),
        _ => {}
    }
}

/// Every MAC address in `text` — six hex pairs joined by `:` or `-`, or twelve hex digits standing
/// alone (as phones put theirs in a User-Agent or a SIP URI) — replaced by its pseudonym.
fn replace_macs(text: &str, pseudonyms: &mut HashMap<String, [u8; 3]>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut copied = 0;
    while at < bytes.len() {
        let boundary = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        if let Some((len, digits)) = boundary.then(|| mac_at(&bytes[at..])).flatten() {
            let key = digits.to_ascii_lowercase();
            let next = u32::try_from(pseudonyms.len() + 1).unwrap_or(u32::MAX);
            let tail = *pseudonyms.entry(key).or_insert_with(|| {
                let [_, a, b, c] = next.to_be_bytes();
                [a, b, c]
            });
            out.push_str(&text[copied..at]);
            out.push_str(&pseudonym(&text[at..at + len], tail));
            at += len;
            copied = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The length of a MAC address at the start of `bytes` (followed by no letter or digit), and its
/// twelve hex digits.
fn mac_at(bytes: &[u8]) -> Option<(usize, String)> {
    let hex = |b: &u8| b.is_ascii_hexdigit();
    let ends_here = |len: usize| bytes.get(len).is_none_or(|b| !b.is_ascii_alphanumeric());
    let separator = bytes.get(2).copied().filter(|b| *b == b':' || *b == b'-');
    let (len, digits): (usize, Vec<u8>) = if let Some(sep) = separator {
        let pairs: Vec<&[u8]> = bytes.get(..17)?.split(|b| *b == sep).collect();
        if pairs.len() != 6 || !pairs.iter().all(|p| p.len() == 2 && p.iter().all(hex)) {
            return None;
        }
        (17, pairs.concat())
    } else {
        let digits = bytes.get(..12)?;
        // Twelve bare digits are a MAC only with a letter among them or a vendor's layout; plain
        // numbers (counters, inodes) are left alone.
        if !digits.iter().all(hex) || digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        (12, digits.to_vec())
    };
    ends_here(len).then(|| (len, String::from_utf8_lossy(&digits).into_owned()))
}

/// `original` with its last three bytes replaced by `tail`, in its own separator and case.
fn pseudonym(original: &str, tail: [u8; 3]) -> String {
    let upper = original.chars().any(|c| c.is_ascii_uppercase());
    let separator = original.chars().nth(2).filter(|c| *c == ':' || *c == '-');
    let head: String = original.chars().filter(char::is_ascii_hexdigit).take(6).collect();
    let mut digits = head;
    for byte in tail {
        let _ = if upper { write!(digits, "{byte:02X}") } else { write!(digits, "{byte:02x}") };
    }
    match separator {
        Some(sep) => digits
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair).into_owned())
            .collect::<Vec<_>>()
            .join(&sep.to_string()),
        None => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_mac_gets_the_same_pseudonym_in_any_spelling() {
        let mut macs = HashMap::new();
        let text = "Yealink SIP-T46S 66.86.0.15 00:15:65:AA:BB:CC, again 001565aabbcc and 00-15-65-aa-bb-cc; \
                    other 80:5e:c0:11:22:33; not 123456789012 nor 00:15:65:aa:bb:ccdd";
        let out = replace_macs(text, &mut macs);
        assert_eq!(
            out,
            "Yealink SIP-T46S 66.86.0.15 00:15:65:00:00:01, again 001565000001 and 00-15-65-00-00-01; \
             other 80:5e:c0:00:00:02; not 123456789012 nor 00:15:65:aa:bb:ccdd"
        );
    }

    #[test]
    fn anonymising_replaces_host_names_and_macs_everywhere() {
        let mut bundle = serde_json::json!({
            "host": {"hostname": "pbx-berlin"},
            "anonymised": false,
            "facts": {"interfaces": [{"mac": "52:54:00:12:34:56"}]},
            "sources": {"files": {"/proc/sys/kernel/hostname": "pbx-berlin\n"}},
            "observations": {"listen": {"status": "done", "value": {
                "phones": [{"mac": "00:15:65:aa:bb:cc", "user_agent": "Yealink 001565AABBCC"}],
                "discovery": {"switch_ports": [{"switch": "core-sw1.example"}]}}}},
        });
        anonymise(&mut bundle);
        let text = bundle.to_string();
        for secret in ["pbx-berlin", "52:54:00:12:34:56", "aa:bb:cc", "AABBCC", "core-sw1"] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        assert_eq!(bundle["host"]["hostname"], "host-1");
        assert_eq!(bundle["observations"]["listen"]["value"]["phones"][0]["mac"], "00:15:65:00:00:02");
        assert_eq!(
            bundle["observations"]["listen"]["value"]["phones"][0]["user_agent"],
            "Yealink 001565000002"
        );
        assert_eq!(bundle["anonymised"], true);
    }

    #[test]
    fn urls_are_redacted_when_written() {
        let mut value =
            serde_json::json!({"answers": [{"provisioning_url": "http://admin:s3cret@pbx/p?token=abc"}]});
        redact_urls(&mut value);
        assert!(!value.to_string().contains("s3cret") && !value.to_string().contains("abc"), "{value}");
    }

    #[test]
    fn other_documents_and_newer_bundles_are_refused_in_one_line() {
        let refused = |text: &str| Bundle::parse(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused("{").starts_with("not a support bundle (not JSON"));
        assert!(refused(r#"{"schema":"mcready.report/v1"}"#).contains("mcready.report/v1 document"));
        assert!(refused(r#"{"schema":"mcready.bundle/v2"}"#).contains("newer mcready"));
        assert!(refused(r#"{"schema":"mcready.bundle/v1"}"#).starts_with("a malformed support bundle"));
    }
}
