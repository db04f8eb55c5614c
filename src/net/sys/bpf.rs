//! Classic BPF run in user space, for an OS whose capture socket takes no kernel filter (Windows'
//! `SIO_RCVALL` raw socket): the same programs `capture::bpf_program` attaches on Linux decide which
//! packets the capture hands over, so every OS filters alike.
//!
//! The packet starts at the IP header, as on Linux's cooked packet socket; the one ancillary load the
//! programs use, the frame's `EtherType` (`SKF_AD_PROTOCOL`), is given by the caller. The Linux kernel's
//! rules apply: a load outside the packet rejects it, and jumps only go forward, so a program ends
//! within its own length. An instruction this interpreter does not know accepts the packet — the
//! consumers read every packet's addresses and ports themselves, so a missing filter costs time, while
//! a wrong one would hide evidence.

use super::BpfInstruction;

/// `SKF_AD_OFF + SKF_AD_PROTOCOL`.
const ANCILLARY_PROTOCOL: u32 = 0xffff_f000;

/// Whether `program` accepts `packet` (an IPv4 packet from its header on) of link type `ethertype`.
/// An empty program accepts everything, as a socket without a filter does.
#[must_use]
pub(crate) fn accepts(program: &[BpfInstruction], packet: &[u8], ethertype: u16) -> bool {
    let load = |offset: u32, size: usize| -> Option<u32> {
        if offset == ANCILLARY_PROTOCOL {
            return Some(u32::from(ethertype));
        }
        let start = usize::try_from(offset).ok()?;
        let bytes = packet.get(start..start.checked_add(size)?)?;
        Some(bytes.iter().fold(0u32, |value, byte| value << 8 | u32::from(*byte)))
    };
    let (mut a, mut x) = (0u32, 0u32);
    let mut pc = 0usize;
    while let Some(op) = program.get(pc) {
        pc += 1;
        let size = match op.code & 0x18 {
            0x00 => 4,
            0x08 => 2,
            _ => 1,
        };
        match op.code & 0x07 {
            // LD: absolute, indexed, immediate, length.
            0x00 => {
                let loaded = match op.code & 0xe0 {
                    0x20 => load(op.k, size),
                    0x40 => x.checked_add(op.k).and_then(|at| load(at, size)),
                    0x00 => Some(op.k),
                    0x80 => u32::try_from(packet.len()).ok(),
                    _ => return true,
                };
                let Some(value) = loaded else { return false };
                a = value;
            }
            // LDX: immediate, length, and MSH (4 × the low nibble of a byte: an IP header's length).
            0x01 => {
                x = match op.code & 0xe0 {
                    0x00 => op.k,
                    0x80 => u32::try_from(packet.len()).unwrap_or(u32::MAX),
                    0xa0 => match load(op.k, 1) {
                        Some(byte) => (byte & 0x0f) * 4,
                        None => return false,
                    },
                    _ => return true,
                };
            }
            0x04 => {
                let operand = if op.code & 0x08 == 0 { op.k } else { x };
                a = match op.code & 0xf0 {
                    0x00 => a.wrapping_add(operand),
                    0x10 => a.wrapping_sub(operand),
                    0x20 => a.wrapping_mul(operand),
                    0x30 if operand != 0 => a / operand,
                    0x30 => return false,
                    0x40 => a | operand,
                    0x50 => a & operand,
                    0x60 => a.checked_shl(operand).unwrap_or(0),
                    0x70 => a.checked_shr(operand).unwrap_or(0),
                    0x80 => a.wrapping_neg(),
                    _ => return true,
                };
            }
            0x05 => {
                let operand = if op.code & 0x08 == 0 { op.k } else { x };
                let taken = match op.code & 0xf0 {
                    0x00 => {
                        pc = pc.saturating_add(usize::try_from(op.k).unwrap_or(usize::MAX));
                        continue;
                    }
                    0x10 => a == operand,
                    0x20 => a > operand,
                    0x30 => a >= operand,
                    0x40 => a & operand != 0,
                    _ => return true,
                };
                pc += usize::from(if taken { op.jt } else { op.jf });
            }
            0x06 => return (if op.code & 0x18 == 0x10 { a } else { op.k }) != 0,
            0x07 => match op.code & 0xf8 {
                0x00 => x = a,
                0x80 => a = x,
                _ => return true,
            },
            // ST/STX (scratch memory) are not used by mcready's programs.
            _ => return true,
        }
    }
    // Running off the end: the kernel refuses such a program; accept rather than hide a packet.
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::capture::{CaptureFilter, bpf_program};

    /// An IPv4 header (IHL `ihl` words) carrying `protocol`, then `payload`.
    fn ipv4(ihl: u8, protocol: u8, fragment: u16, payload: &[u8]) -> Vec<u8> {
        let header_len = usize::from(ihl) * 4;
        let total = u16::try_from(header_len + payload.len()).unwrap();
        let mut packet = vec![0u8; header_len];
        packet[0] = 0x40 | ihl;
        packet[2..4].copy_from_slice(&total.to_be_bytes());
        packet[6..8].copy_from_slice(&fragment.to_be_bytes());
        packet[8] = 1;
        packet[9] = protocol;
        packet[12..16].copy_from_slice(&[198, 51, 100, 20]);
        packet[16..20].copy_from_slice(&[224, 0, 1, 75]);
        packet.extend_from_slice(payload);
        packet
    }

    fn udp(from: u16, to: u16) -> Vec<u8> {
        let mut header = Vec::new();
        header.extend_from_slice(&from.to_be_bytes());
        header.extend_from_slice(&to.to_be_bytes());
        header.extend_from_slice(&[0, 12, 0, 0]);
        header.extend_from_slice(b"SUBS");
        header
    }

    #[test]
    fn sip_and_igmp_program_keeps_the_port_igmp_and_later_fragments() {
        let program = bpf_program(CaptureFilter::SipAndIgmp { port: 5060 });
        let accepts = |packet: &[u8]| accepts(&program, packet, 0x0800);
        assert!(accepts(&ipv4(5, 17, 0, &udp(40000, 5060))), "to the port");
        assert!(accepts(&ipv4(5, 17, 0, &udp(5060, 40000))), "from the port");
        // An IGMP membership report with the Router Alert option (IHL 6).
        assert!(accepts(&ipv4(6, 2, 0, &[0x16, 0, 0, 0, 224, 0, 1, 75])));
        // The options push the UDP header back: IHL is honoured.
        assert!(accepts(&ipv4(6, 17, 0, &udp(40000, 5060))));
        assert!(!accepts(&ipv4(5, 17, 0, &udp(40000, 5353))), "another port");
        assert!(!accepts(&ipv4(5, 6, 0, &udp(40000, 5060))), "TCP");
        // A non-first fragment has no ports: kept (offset 185 × 8).
        assert!(accepts(&ipv4(5, 17, 185, b"rest of a SUBSCRIBE")));
        assert!(!accepts(&ipv4(5, 17, 0, &udp(40000, 5060)[..2])), "ports cut off");
        assert!(!accepts(&[0x45]), "a packet shorter than its header");
        assert!(!super::accepts(&program, &ipv4(5, 17, 0, &udp(40000, 5060)), 0x86dd), "not IPv4");
    }

    /// Windows' capture is IPv4 alone, but the discovery program must still let DHCP through there.
    #[test]
    fn discovery_program_keeps_dhcp_and_sip_and_drops_other_udp() {
        let program = bpf_program(CaptureFilter::SipIgmpAndDiscovery { port: 5060 });
        let accepts = |packet: &[u8]| accepts(&program, packet, 0x0800);
        assert!(accepts(&ipv4(5, 17, 0, &udp(67, 68))), "a DHCP offer or ack");
        assert!(accepts(&ipv4(5, 17, 0, &udp(68, 67))), "a phone's DHCP discover");
        assert!(accepts(&ipv4(5, 17, 0, &udp(40000, 5060))), "a SUBSCRIBE");
        assert!(accepts(&ipv4(6, 2, 0, &[0x16, 0, 0, 0, 224, 0, 1, 75])), "IGMP");
        assert!(!accepts(&ipv4(5, 17, 0, &udp(40000, 5353))), "mDNS");
    }

    #[test]
    fn igmp_and_all_ipv4_programs() {
        let igmp = bpf_program(CaptureFilter::Igmp);
        assert!(accepts(&igmp, &ipv4(6, 2, 0, &[0x11, 0, 0, 0, 0, 0, 0, 0]), 0x0800));
        assert!(!accepts(&igmp, &ipv4(5, 17, 0, &udp(1, 2)), 0x0800));
        let all = bpf_program(CaptureFilter::AllIpv4);
        assert!(accepts(&all, &ipv4(5, 6, 0, b""), 0x0800));
        assert!(!accepts(&all, &ipv4(5, 6, 0, b""), 0x0806));
    }

    #[test]
    fn no_program_and_unknown_instructions_accept() {
        assert!(accepts(&[], b"", 0));
        let unknown = [BpfInstruction { code: 0x02, jt: 0, jf: 0, k: 0 }];
        assert!(accepts(&unknown, b"x", 0x0800));
        // A jump past the end is the end.
        let jump_out = [BpfInstruction { code: 0x05, jt: 0, jf: 0, k: u32::MAX }];
        assert!(accepts(&jump_out, b"x", 0x0800));
    }

    proptest::proptest! {
        /// Any program on any bytes ends without panicking.
        #[test]
        fn never_panics(
            program in proptest::collection::vec((0u16..256, 0u8..8, 0u8..8, proptest::prelude::any::<u32>()), 0..16),
            packet in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let program: Vec<BpfInstruction> =
                program.into_iter().map(|(code, jt, jf, k)| BpfInstruction { code, jt, jf, k }).collect();
            let _ = accepts(&program, &packet, 0x0800);
        }
    }
}
