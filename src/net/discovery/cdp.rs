//! CDP (Cisco Discovery Protocol v2) as far as a PBX's port needs it: the switch's device id and port,
//! the port's native VLAN (TLV 0x000a) and the voice VLAN it offers phones (the `VoIP` VLAN Reply /
//! appliance TLV 0x000e). Reads the 802.2 LLC/SNAP payload after the 802.3 header, as a cooked
//! capture hands it (`EtherType` field `ETH_P_802_2`).

/// The multicast address CDP goes to.
pub const CDP_MAC: [u8; 6] = [0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc];
/// The LLC/SNAP header in front of CDP: DSAP/SSAP 0xaa, UI, Cisco's OUI, protocol id 0x2000.
pub const SNAP_HEADER: [u8; 8] = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00];

const TLV_DEVICE_ID: u16 = 0x0001;
const TLV_PORT_ID: u16 = 0x0003;
const TLV_PLATFORM: u16 = 0x0006;
const TLV_NATIVE_VLAN: u16 = 0x000a;
const TLV_VOICE_VLAN_REPLY: u16 = 0x000e;

/// What one CDP announcement says about the switch port it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cdp {
    pub device_id: Option<String>,
    pub port_id: Option<String>,
    pub platform: Option<String>,
    pub native_vlan: Option<u16>,
    pub voice_vlan: Option<u16>,
}

/// Why bytes are not CDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CdpError {
    NotSnapCdp,
    TooShort,
}

/// Reads CDP from an LLC/SNAP payload; TLVs that run past the end end it.
///
/// # Errors
/// When the payload is not SNAP with Cisco's CDP protocol id, or has no CDP header.
pub fn parse_cdp(payload: &[u8]) -> Result<Cdp, CdpError> {
    let body = payload.strip_prefix(&SNAP_HEADER[..]).ok_or(CdpError::NotSnapCdp)?;
    // version, TTL, checksum
    let mut tlvs = body.get(4..).ok_or(CdpError::TooShort)?;
    let mut cdp = Cdp::default();
    while let [t0, t1, l0, l1, rest @ ..] = tlvs {
        let kind = u16::from_be_bytes([*t0, *t1]);
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        let Some(value) = len.checked_sub(4).and_then(|n| rest.get(..n)) else { break };
        tlvs = &rest[value.len()..];
        match kind {
            TLV_DEVICE_ID => cdp.device_id = Some(super::label(value)),
            TLV_PORT_ID => cdp.port_id = Some(super::label(value)),
            TLV_PLATFORM => cdp.platform = Some(super::label(value)),
            TLV_NATIVE_VLAN => cdp.native_vlan = vlan(value),
            // One byte of data (1 = voice), then the VLAN.
            TLV_VOICE_VLAN_REPLY => cdp.voice_vlan = value.get(1..).and_then(vlan),
            _ => {}
        }
    }
    Ok(cdp)
}

fn vlan(value: &[u8]) -> Option<u16> {
    match value {
        [high, low, ..] => Some(u16::from_be_bytes([*high, *low])),
        _ => None,
    }
}

/// Builds a CDP v2 announcement with its LLC/SNAP header (for tests and the lab), checksum included.
#[must_use]
pub fn build_cdp(
    device_id: &str,
    port_id: &str,
    native_vlan: Option<u16>,
    voice_vlan: Option<u16>,
) -> Vec<u8> {
    fn tlv(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&u16::try_from(value.len() + 4).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(value);
    }
    let mut cdp = vec![2, 180, 0, 0];
    tlv(&mut cdp, TLV_DEVICE_ID, device_id.as_bytes());
    tlv(&mut cdp, TLV_PORT_ID, port_id.as_bytes());
    if let Some(vlan) = native_vlan {
        tlv(&mut cdp, TLV_NATIVE_VLAN, &vlan.to_be_bytes());
    }
    if let Some(vlan) = voice_vlan {
        tlv(&mut cdp, TLV_VOICE_VLAN_REPLY, &[&[1][..], &vlan.to_be_bytes()].concat());
    }
    let checksum = internet_checksum(&cdp);
    cdp[2..4].copy_from_slice(&checksum.to_be_bytes());
    [&SNAP_HEADER[..], &cdp].concat()
}

/// The RFC 1071 checksum CDP uses (an odd last byte padded with zero).
fn internet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !u16::try_from(sum).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_offering_a_voice_vlan() {
        let frame = build_cdp("sw-floor2.example", "GigabitEthernet1/0/7", Some(1), Some(100));
        let cdp = parse_cdp(&frame).unwrap();
        assert_eq!(cdp.device_id.as_deref(), Some("sw-floor2.example"));
        assert_eq!(cdp.port_id.as_deref(), Some("GigabitEthernet1/0/7"));
        assert_eq!((cdp.native_vlan, cdp.voice_vlan), (Some(1), Some(100)));
    }

    #[test]
    fn other_snap_and_cut_frames() {
        assert_eq!(parse_cdp(&[0x42, 0x42, 0x03, 0, 0]), Err(CdpError::NotSnapCdp));
        assert_eq!(parse_cdp(&SNAP_HEADER), Err(CdpError::TooShort));
        let frame = build_cdp("sw", "Gi1/0/7", Some(1), Some(100));
        for len in 0..frame.len() {
            let _ = parse_cdp(&frame[..len]);
        }
    }
}
