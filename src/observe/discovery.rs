//! The pure tally of what the capture heard besides PnP while listening: DHCP servers and the
//! provisioning options they hand out, hosts with a phone vendor's MAC prefix (by their DHCP requests
//! and ARP), and the switch's LLDP and CDP announcements. Fed by the listening engine; tested without
//! a network.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use crate::net::discovery::{self, DhcpMessage, Discovered, dhcp};
use crate::observed::{DhcpAnswer, DhcpOptionSeen, DiscoveryReport, SwitchPort, VendorDevice, VoiceVlan};
use crate::sip::pnp::redact_url;

/// Bounds, so a flood of forged frames cannot exhaust memory.
const MAX_DEVICES: usize = 4096;
const MAX_ANSWERS: usize = 256;
const MAX_SWITCH_PORTS: usize = 16;
const MAX_CLIENTS_SHOWN: usize = 8;

/// Something worth a line while listening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A DHCP server's first answer of a kind with its provisioning options.
    Dhcp(DhcpAnswer),
    /// A host with a phone vendor's MAC prefix, first seen.
    Device(VendorDevice),
    /// A switch's first announcement of a port.
    Switch(SwitchPort),
}

#[derive(Debug, Default)]
pub struct DiscoveryTally {
    report: DiscoveryReport,
    answers: HashMap<(Ipv4Addr, String, Vec<DhcpOptionSeen>), usize>,
    devices: HashMap<String, usize>,
}

impl DiscoveryTally {
    #[must_use]
    pub fn new(link_layer: bool) -> Self {
        Self { report: DiscoveryReport { link_layer, ..DiscoveryReport::default() }, ..Self::default() }
    }

    /// Takes one frame the capture heard; `outgoing` frames (this host's own) are not the LAN's.
    pub fn take(&mut self, found: Discovered, outgoing: bool, emit: &mut dyn FnMut(Found)) {
        match found {
            Discovered::Dhcp { source, message } => self.dhcp(source, &message, outgoing, emit),
            Discovered::Arp(arp) if !outgoing => {
                let address = (!arp.sender_ip.is_unspecified()).then_some(arp.sender_ip);
                self.device(arp.sender_mac, address, "arp", None, emit);
            }
            Discovered::Lldp(lldp) if !outgoing => {
                let voice = lldp.voice().filter(|p| !p.unknown).map(|p| VoiceVlan {
                    vlan: p.vlan,
                    tagged: p.tagged,
                    priority: Some(p.priority),
                    dscp: Some(p.dscp),
                });
                self.switch_port(
                    SwitchPort {
                        protocol: "lldp".into(),
                        switch: lldp.system_name.clone(),
                        chassis_id: lldp.chassis_id.clone(),
                        port: lldp.port_id.clone(),
                        port_description: lldp.port_description.clone(),
                        native_vlan: lldp.port_vlan,
                        voice_vlan: voice,
                    },
                    emit,
                );
            }
            Discovered::Cdp(cdp) if !outgoing => {
                let voice =
                    cdp.voice_vlan.map(|vlan| VoiceVlan { vlan, tagged: true, priority: None, dscp: None });
                self.switch_port(
                    SwitchPort {
                        protocol: "cdp".into(),
                        switch: cdp.device_id.clone(),
                        chassis_id: None,
                        port: cdp.port_id.clone(),
                        port_description: cdp.platform.clone(),
                        native_vlan: cdp.native_vlan,
                        voice_vlan: voice,
                    },
                    emit,
                );
            }
            Discovered::Arp(_) | Discovered::Lldp(_) | Discovered::Cdp(_) => {}
        }
    }

    fn dhcp(&mut self, source: Ipv4Addr, message: &DhcpMessage, outgoing: bool, emit: &mut dyn FnMut(Found)) {
        let Some(kind) = message.message_type else { return };
        let client = message.client_mac.map(|mac| discovery::mac_string(&mac));
        if !kind.from_server() {
            if outgoing {
                return;
            }
            self.report.dhcp_client_messages = self.report.dhcp_client_messages.saturating_add(1);
            if let Some(mac) = message.client_mac {
                let address = [message.client_ip, message.requested_ip.unwrap_or(Ipv4Addr::UNSPECIFIED)]
                    .into_iter()
                    .find(|a| !a.is_unspecified());
                self.device(mac, address, "dhcp", Some(message), emit);
            }
            return;
        }
        // A DHCP server on this host answers the LAN too: its answers count.
        self.report.dhcp_server_messages = self.report.dhcp_server_messages.saturating_add(1);
        let server = message.server_id.unwrap_or(source);
        let options: Vec<DhcpOptionSeen> = message
            .provisioning()
            .into_iter()
            .map(|(code, value)| DhcpOptionSeen {
                code,
                name: option_name(code).into(),
                value: value.show(&|text| redact_url(text)),
            })
            .collect();
        let key = (server, kind.name().to_owned(), options.clone());
        if let Some(&index) = self.answers.get(&key) {
            if let Some(answer) = self.report.dhcp_answers.get_mut(index) {
                answer.count = answer.count.saturating_add(1);
                if let Some(client) = client
                    && answer.clients.len() < MAX_CLIENTS_SHOWN
                    && !answer.clients.contains(&client)
                {
                    answer.clients.push(client);
                }
            }
            return;
        }
        if self.report.dhcp_answers.len() >= MAX_ANSWERS {
            return;
        }
        let answer = DhcpAnswer {
            server,
            message: kind.name().into(),
            options,
            clients: client.into_iter().collect(),
            count: 1,
        };
        self.answers.insert(key, self.report.dhcp_answers.len());
        self.report.dhcp_answers.push(answer.clone());
        emit(Found::Dhcp(answer));
    }

    fn device(
        &mut self,
        mac: [u8; 6],
        address: Option<Ipv4Addr>,
        seen_by: &str,
        dhcp: Option<&DhcpMessage>,
        emit: &mut dyn FnMut(Found),
    ) {
        let Some(vendor) = discovery::phone_vendor(mac) else { return };
        let mac = discovery::mac_string(&mac);
        if let Some(&index) = self.devices.get(&mac) {
            if let Some(device) = self.report.vendor_devices.get_mut(index) {
                if device.address.is_none() {
                    device.address = address;
                }
                if !device.seen_by.iter().any(|s| s == seen_by) {
                    device.seen_by.push(seen_by.into());
                }
                if let Some(message) = dhcp {
                    device.vendor_class = device.vendor_class.take().or_else(|| message.vendor_class.clone());
                    if device.requested_options.is_empty() {
                        device.requested_options.clone_from(&message.requested);
                    }
                }
            }
            return;
        }
        if self.report.vendor_devices.len() >= MAX_DEVICES {
            return;
        }
        let device = VendorDevice {
            mac: mac.clone(),
            vendor: vendor.into(),
            address,
            seen_by: vec![seen_by.into()],
            vendor_class: dhcp.and_then(|m| m.vendor_class.clone()),
            requested_options: dhcp.map(|m| m.requested.clone()).unwrap_or_default(),
        };
        self.devices.insert(mac, self.report.vendor_devices.len());
        self.report.vendor_devices.push(device.clone());
        emit(Found::Device(device));
    }

    fn switch_port(&mut self, port: SwitchPort, emit: &mut dyn FnMut(Found)) {
        if self.report.switch_ports.contains(&port) || self.report.switch_ports.len() >= MAX_SWITCH_PORTS {
            return;
        }
        self.report.switch_ports.push(port.clone());
        emit(Found::Switch(port));
    }

    #[must_use]
    pub fn finish(self) -> DiscoveryReport {
        self.report
    }
}

/// The name of a provisioning option, as the vendors' guides call it.
#[must_use]
pub fn option_name(code: u8) -> &'static str {
    match code {
        dhcp::OPTION_TFTP_SERVER_NAME => "TFTP server name",
        dhcp::OPTION_VENDOR_SPECIFIC => "vendor-specific",
        dhcp::OPTION_URL => "URL",
        dhcp::OPTION_TFTP_SERVERS => "TFTP server addresses",
        // RFC 7618 assigns 159 to port parameters; phones that read it take it as a provisioning URL.
        dhcp::OPTION_159 => "option 159",
        dhcp::OPTION_PROVISIONING_URL => "provisioning URL",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::discovery::{arp, cdp, lldp};

    const YEALINK: [u8; 6] = [0x80, 0x5e, 0xc0, 0x12, 0x34, 0x56];
    const SERVER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

    fn dhcp(op: u8, options: &[(u8, &[u8])]) -> Discovered {
        let bytes = dhcp::build_dhcp(op, 1, YEALINK, Ipv4Addr::new(198, 51, 100, 50), options);
        Discovered::from_udp(SERVER, if op == 2 { 67 } else { 68 }, if op == 2 { 68 } else { 67 }, &bytes)
            .unwrap()
    }

    #[test]
    fn dhcp_answers_with_their_options_redacted_and_the_phones_that_asked() {
        let mut tally = DiscoveryTally::new(true);
        let mut found = Vec::new();
        tally.take(dhcp(1, &[(53, &[1]), (60, b"yealink"), (55, &[66, 43])]), false, &mut |f| found.push(f));
        for _ in 0..2 {
            tally.take(
                dhcp(
                    2,
                    &[(53, &[5]), (54, &SERVER.octets()), (66, b"https://u:secret@198.51.100.9/p?token=t")],
                ),
                false,
                &mut |f| found.push(f),
            );
        }
        let report = tally.finish();
        assert_eq!((report.dhcp_client_messages, report.dhcp_server_messages), (1, 2));
        let answer = &report.dhcp_answers[0];
        assert_eq!((answer.server, answer.message.as_str(), answer.count), (SERVER, "ack", 2));
        assert_eq!(answer.options[0].value, "https://u:***@198.51.100.9/p?token=***");
        assert_eq!(answer.clients, vec!["80:5e:c0:12:34:56".to_owned()]);
        let device = &report.vendor_devices[0];
        assert_eq!((device.vendor.as_str(), device.vendor_class.as_deref()), ("Yealink", Some("yealink")));
        assert_eq!(device.requested_options, vec![66, 43]);
        assert_eq!(found.len(), 2, "one line per device and per kind of answer: {found:?}");
    }

    #[test]
    fn arp_from_vendors_only_and_switch_ports_once() {
        let mut tally = DiscoveryTally::new(true);
        let phone = arp::build_arp_request(YEALINK, Ipv4Addr::new(198, 51, 100, 50), SERVER);
        let pc = arp::build_arp_request([2, 0, 0, 0, 0, 9], Ipv4Addr::new(198, 51, 100, 60), SERVER);
        let lldp = lldp::build_lldp([2, 0, 0, 0, 0, 1], "gi1/0/7", "sw1", Some(1), Some((100, true)));
        let cdp = cdp::build_cdp("sw1", "Gi1/0/7", Some(1), Some(100));
        for (protocol, frame) in
            [(0x0806, &phone), (0x0806, &pc), (0x88cc, &lldp), (0x88cc, &lldp), (4, &cdp)]
        {
            tally.take(Discovered::from_link(protocol, frame).unwrap(), false, &mut |_| {});
        }
        let report = tally.finish();
        assert_eq!(report.vendor_devices.len(), 1);
        assert_eq!(report.vendor_devices[0].address, Some(Ipv4Addr::new(198, 51, 100, 50)));
        assert_eq!(report.switch_ports.len(), 2);
        let voice = report.switch_ports[0].voice_vlan.unwrap();
        assert_eq!((voice.vlan, voice.tagged), (100, true));
        assert_eq!(report.switch_ports[1].voice_vlan.map(|v| v.vlan), Some(100));
    }
}
