//! LLDP (IEEE 802.1AB) as far as a PBX's port needs it: which switch and port it hangs on, the port's
//! native VLAN (802.1 Port VLAN ID, OUI 00-80-C2 subtype 1) and the LLDP-MED network policy for voice
//! (ANSI/TIA-1057 §10.2.3, OUI 00-12-BB subtype 2) that moves phones into a voice VLAN.
//! Reads the LLDPDU after the Ethernet header (`EtherType` 0x88cc).

/// The `EtherType` of LLDP.
pub const ETHERTYPE_LLDP: u16 = 0x88cc;
/// The nearest-bridge group address switches send LLDP to (IEEE 802.1AB §7.1).
pub const LLDP_MAC: [u8; 6] = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e];

const TLV_END: u8 = 0;
const TLV_CHASSIS_ID: u8 = 1;
const TLV_PORT_ID: u8 = 2;
const TLV_PORT_DESCRIPTION: u8 = 4;
const TLV_SYSTEM_NAME: u8 = 5;
const TLV_ORGANIZATIONAL: u8 = 127;
const OUI_IEEE_8021: [u8; 3] = [0x00, 0x80, 0xc2];
const OUI_TIA: [u8; 3] = [0x00, 0x12, 0xbb];
/// LLDP-MED network policy application type 1: voice.
pub const APPLICATION_VOICE: u8 = 1;

/// One LLDP-MED network policy (ANSI/TIA-1057 §10.2.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// 1 voice, 2 voice signaling, … .
    pub application: u8,
    /// U: the policy is unknown to the switch (phones then ignore the rest).
    pub unknown: bool,
    /// T: phones tag their frames with `vlan`.
    pub tagged: bool,
    pub vlan: u16,
    pub priority: u8,
    pub dscp: u8,
}

/// What one LLDPDU says about the switch port it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lldp {
    pub chassis_id: Option<String>,
    pub port_id: Option<String>,
    pub port_description: Option<String>,
    pub system_name: Option<String>,
    /// The port's untagged VLAN (802.1 Port VLAN ID).
    pub port_vlan: Option<u16>,
    pub policies: Vec<NetworkPolicy>,
}

impl Lldp {
    /// The voice application's policy, when the switch gives one.
    #[must_use]
    pub fn voice(&self) -> Option<&NetworkPolicy> {
        self.policies.iter().find(|p| p.application == APPLICATION_VOICE)
    }
}

/// Why bytes are not an LLDPDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LldpError {
    /// The mandatory chassis id and port id TLVs are not the first two (802.1AB §8.2).
    NoChassisOrPort,
}

/// Reads an LLDPDU; TLVs that run past the end end it.
///
/// # Errors
/// When it does not start with a chassis id and a port id.
pub fn parse_lldp(mut data: &[u8]) -> Result<Lldp, LldpError> {
    let mut lldp = Lldp::default();
    let mut index = 0;
    while let [high, low, rest @ ..] = data {
        let kind = high >> 1;
        let len = usize::from(u16::from(high & 1) << 8 | u16::from(*low));
        let Some(value) = rest.get(..len) else { break };
        data = &rest[len..];
        match (index, kind) {
            (0, TLV_CHASSIS_ID) => lldp.chassis_id = Some(identifier(value, CHASSIS_SUBTYPES)),
            (1, TLV_PORT_ID) => lldp.port_id = Some(identifier(value, PORT_SUBTYPES)),
            (0 | 1, _) => return Err(LldpError::NoChassisOrPort),
            (_, TLV_END) => break,
            (_, TLV_PORT_DESCRIPTION) => lldp.port_description = Some(super::label(value)),
            (_, TLV_SYSTEM_NAME) => lldp.system_name = Some(super::label(value)),
            (_, TLV_ORGANIZATIONAL) => organizational(value, &mut lldp),
            _ => {}
        }
        index += 1;
    }
    if lldp.chassis_id.is_none() || lldp.port_id.is_none() {
        return Err(LldpError::NoChassisOrPort);
    }
    Ok(lldp)
}

fn organizational(value: &[u8], lldp: &mut Lldp) {
    let [a, b, c, subtype, info @ ..] = value else { return };
    match ([*a, *b, *c], *subtype) {
        (OUI_IEEE_8021, 1) => {
            if let [high, low, ..] = info {
                lldp.port_vlan = Some(u16::from_be_bytes([*high, *low]));
            }
        }
        (OUI_TIA, 2) => {
            if let [application, x, y, z, ..] = info {
                let bits = u32::from_be_bytes([0, *x, *y, *z]);
                lldp.policies.push(NetworkPolicy {
                    application: *application,
                    unknown: bits & (1 << 23) != 0,
                    tagged: bits & (1 << 22) != 0,
                    vlan: u16::try_from((bits >> 9) & 0x0fff).unwrap_or_default(),
                    priority: u8::try_from((bits >> 6) & 0x07).unwrap_or_default(),
                    dscp: u8::try_from(bits & 0x3f).unwrap_or_default(),
                });
            }
        }
        _ => {}
    }
}

/// The subtypes (802.1AB §8.5.2, §8.5.3) of a chassis id and a port id that hold a MAC address and a
/// network address; the others (interface name, local, …) are text.
const CHASSIS_SUBTYPES: (u8, u8) = (4, 5);
const PORT_SUBTYPES: (u8, u8) = (3, 4);

/// A chassis or port id: the MAC subtype as a MAC, the network-address subtype (IPv4) as an address,
/// the textual subtypes as text.
fn identifier(value: &[u8], (mac_subtype, address_subtype): (u8, u8)) -> String {
    match value {
        [subtype, mac @ ..] if *subtype == mac_subtype && mac.len() == 6 => super::mac_string(mac),
        [subtype, 1, a, b, c, d] if *subtype == address_subtype => {
            std::net::Ipv4Addr::new(*a, *b, *c, *d).to_string()
        }
        [_, rest @ ..] => super::label(rest),
        [] => String::new(),
    }
}

/// Builds an LLDPDU (for tests and the lab): chassis id as a MAC, port id as an interface name, TTL
/// 120, system name, and a voice policy when `voice` is `(vlan, tagged)`; `port_vlan` adds the 802.1
/// Port VLAN ID.
#[must_use]
pub fn build_lldp(
    chassis: [u8; 6],
    port: &str,
    system_name: &str,
    port_vlan: Option<u16>,
    voice: Option<(u16, bool)>,
) -> Vec<u8> {
    fn tlv(out: &mut Vec<u8>, kind: u8, value: &[u8]) {
        let len = u16::try_from(value.len()).unwrap_or(0x1ff) & 0x1ff;
        out.push(kind << 1 | u8::try_from(len >> 8).unwrap_or(0));
        out.push(u8::try_from(len & 0xff).unwrap_or(0));
        out.extend_from_slice(value);
    }
    let mut out = Vec::new();
    tlv(&mut out, TLV_CHASSIS_ID, &[[4].as_slice(), &chassis].concat());
    tlv(&mut out, TLV_PORT_ID, &[[5].as_slice(), port.as_bytes()].concat());
    tlv(&mut out, 3, &120u16.to_be_bytes());
    tlv(&mut out, TLV_SYSTEM_NAME, system_name.as_bytes());
    if let Some(vlan) = port_vlan {
        tlv(&mut out, TLV_ORGANIZATIONAL, &[&OUI_IEEE_8021[..], &[1], &vlan.to_be_bytes()].concat());
    }
    if let Some((vlan, tagged)) = voice {
        // LLDP-MED capabilities first: ANSI/TIA-1057 §10.2.2.1 wants it in any LLDPDU that carries MED TLVs.
        tlv(&mut out, TLV_ORGANIZATIONAL, &[&OUI_TIA[..], &[1, 0x00, 0x33, 4]].concat());
        let bits: u32 = u32::from(tagged) << 22 | u32::from(vlan & 0x0fff) << 9 | 5 << 6 | 0x2e;
        let [_, x, y, z] = bits.to_be_bytes();
        tlv(&mut out, TLV_ORGANIZATIONAL, &[&OUI_TIA[..], &[2, APPLICATION_VOICE, x, y, z]].concat());
    }
    tlv(&mut out, TLV_END, &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_port_with_a_tagged_voice_vlan() {
        let lldpdu = build_lldp([0x02, 0, 0, 0, 0, 0x01], "gi1/0/7", "sw-floor2", Some(1), Some((100, true)));
        let lldp = parse_lldp(&lldpdu).unwrap();
        assert_eq!(lldp.chassis_id.as_deref(), Some("02:00:00:00:00:01"));
        assert_eq!(lldp.port_id.as_deref(), Some("gi1/0/7"));
        assert_eq!(lldp.system_name.as_deref(), Some("sw-floor2"));
        assert_eq!(lldp.port_vlan, Some(1));
        let voice = lldp.voice().unwrap();
        assert_eq!(
            (voice.vlan, voice.tagged, voice.unknown, voice.priority, voice.dscp),
            (100, true, false, 5, 46)
        );
    }

    /// Written by hand from the ANSI/TIA-1057 network policy layout (U, T, X, 12-bit VLAN, 3-bit
    /// priority, 6-bit DSCP): voice, tagged, VLAN 10, priority 5, DSCP 46 is `01 40 15 6e`; the lab
    /// test has tshark decode the same fields from `build_lldp`'s frames.
    #[test]
    fn network_policy_bit_layout() {
        let mut lldp = Lldp::default();
        organizational(&[0x00, 0x12, 0xbb, 2, 0x01, 0x40, 0x15, 0x6e], &mut lldp);
        assert_eq!(
            lldp.policies[0],
            NetworkPolicy { application: 1, unknown: false, tagged: true, vlan: 10, priority: 5, dscp: 46 }
        );
    }

    /// A port id is a MAC under subtype 3 and an address under 4 (a chassis id: 4 and 5).
    #[test]
    fn identifier_subtypes_differ_for_chassis_and_port() {
        let mac = [3, 0x00, 0x04, 0xf2, 0, 0, 1];
        assert_eq!(identifier(&mac, PORT_SUBTYPES), "00:04:f2:00:00:01");
        assert_eq!(identifier(&[4, 1, 198, 51, 100, 2], PORT_SUBTYPES), "198.51.100.2");
        assert_eq!(identifier(&[5, 1, 198, 51, 100, 2], CHASSIS_SUBTYPES), "198.51.100.2");
        assert_eq!(identifier(&[7, b'1', b'2'], PORT_SUBTYPES), "12");
        assert_eq!(identifier(&[], PORT_SUBTYPES), "");
    }

    #[test]
    fn not_lldp_and_cut_lldp() {
        assert_eq!(parse_lldp(&[]), Err(LldpError::NoChassisOrPort));
        assert_eq!(parse_lldp(&[0x0a, 0x01, b'x']), Err(LldpError::NoChassisOrPort));
        let lldpdu = build_lldp([0x02, 0, 0, 0, 0, 0x01], "7", "sw", None, Some((100, true)));
        for len in 0..lldpdu.len() {
            let _ = parse_lldp(&lldpdu[..len]);
        }
    }
}
