//! The adapters from `GetAdaptersAddresses`: alias, description, GUID, index, `IfType`, status, MAC,
//! MTU, unicast addresses with their prefixes, the IPv4 interface metric, and each adapter's multicast
//! list (one of the two sources of memberships).

use std::io;
use std::net::IpAddr;

use windows_sys::Win32::Foundation::{ERROR_BUFFER_OVERFLOW, ERROR_NO_DATA, ERROR_SUCCESS};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GAA_FLAG_INCLUDE_PREFIX, GAA_FLAG_SKIP_ANYCAST, GAA_FLAG_SKIP_DNS_SERVER, GetAdaptersAddresses,
    IP_ADAPTER_ADDRESSES_LH, IP_ADAPTER_MULTICAST_ADDRESS_XP, IP_ADAPTER_NO_MULTICAST,
    IP_ADAPTER_UNICAST_ADDRESS_LH,
};
use windows_sys::Win32::NetworkManagement::Ndis::{IfOperStatusNotPresent, IfOperStatusUp};
use windows_sys::Win32::Networking::WinSock::AF_UNSPEC;

use super::ffi::{MAX_TABLE_BYTES, list, narrow, socket_address, wide};
use crate::facts::{Interface, InterfaceFlags, IpNet};
use crate::platform::iphelper::{AdapterObservation, IF_TYPE_LOOPBACK, classify_adapter};

/// One adapter: its facts, and the groups in its multicast list.
pub(super) struct Adapter {
    pub interface: Interface,
    pub multicast: Vec<IpAddr>,
}

/// Every adapter Windows lists (enabled ones; disabled adapters are not in the list).
pub(super) fn read() -> io::Result<Vec<Adapter>> {
    // Microsoft's advice: start with 15 KB and grow to what the call asks for; the list can grow between
    // calls, so try a few times.
    let mut size: u32 = 15 * 1024;
    for _ in 0..4 {
        if size > MAX_TABLE_BYTES {
            return Err(io::Error::other(format!("the adapter list asks for {size} bytes")));
        }
        // u64 elements: the list's structures need 8-byte alignment.
        let mut buffer = vec![0u64; usize::try_from(size).unwrap_or(0).div_ceil(8) + 1];
        let rc = call(&mut buffer, &mut size);
        match rc {
            ERROR_SUCCESS => {
                // SAFETY: the call succeeded, so the buffer holds a list the OS built inside it.
                return Ok(unsafe { adapters(&buffer) });
            }
            ERROR_BUFFER_OVERFLOW => {}
            ERROR_NO_DATA => return Ok(Vec::new()),
            error => return Err(io::Error::from_raw_os_error(i32::try_from(error).unwrap_or(i32::MAX))),
        }
    }
    Err(io::Error::other("the adapter list kept growing"))
}

fn call(buffer: &mut [u64], size: &mut u32) -> u32 {
    let flags = GAA_FLAG_INCLUDE_PREFIX | GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_DNS_SERVER;
    // The size given is the buffer's, never more.
    *size = u32::try_from(size_of_val(buffer)).unwrap_or(u32::MAX).min(*size);
    // SAFETY: the buffer is writable for `*size` bytes and 8-byte aligned; the call writes at most that.
    unsafe {
        GetAdaptersAddresses(
            u32::from(AF_UNSPEC),
            flags,
            std::ptr::null(),
            buffer.as_mut_ptr().cast::<IP_ADAPTER_ADDRESSES_LH>(),
            size,
        )
    }
}

/// # Safety
/// `buffer` holds the list a successful `GetAdaptersAddresses` built in it.
unsafe fn adapters(buffer: &[u64]) -> Vec<Adapter> {
    let first = buffer.as_ptr().cast::<IP_ADAPTER_ADDRESSES_LH>();
    // SAFETY: the OS built the list inside the buffer, which outlives this function's use of it.
    let rows = unsafe { list(first, |a| a.Next.cast_const()) };
    rows.into_iter().map(adapter).collect()
}

fn adapter(a: &IP_ADAPTER_ADDRESSES_LH) -> Adapter {
    // SAFETY: the union's variants are plain integers, so every bit pattern is a valid `IfIndex`; the
    // OS fills that view.
    let if_index = unsafe { a.Anonymous1.Anonymous.IfIndex };
    // SAFETY: as above, Flags is the u32 view of the flag bits.
    let flags = unsafe { a.Anonymous2.Flags };
    // An adapter with IPv6 only has IfIndex 0 and its index in Ipv6IfIndex.
    let index = if if_index == 0 { a.Ipv6IfIndex } else { if_index };
    // SAFETY: the OS's strings in the list are NUL-terminated and live as long as the buffer.
    let (name, description, guid) =
        unsafe { (wide(a.FriendlyName), wide(a.Description), narrow(a.AdapterName.cast_const())) };
    let observation = AdapterObservation {
        friendly_name: name.clone(),
        description: description.clone(),
        if_type: a.IfType,
    };
    let (kind, kind_detail) = classify_adapter(&observation);

    let mut ipv4 = Vec::new();
    let mut ipv6 = Vec::new();
    // SAFETY: the address list is part of the OS's list in the buffer.
    for unicast in unsafe {
        list(a.FirstUnicastAddress.cast_const(), |u: &IP_ADAPTER_UNICAST_ADDRESS_LH| u.Next.cast_const())
    } {
        // SAFETY: the OS's SOCKET_ADDRESS names its own length.
        match unsafe { socket_address(&unicast.Address) } {
            Some(addr @ IpAddr::V4(_)) => ipv4.push(IpNet::new(addr, unicast.OnLinkPrefixLength.min(32))),
            Some(addr @ IpAddr::V6(_)) => ipv6.push(IpNet::new(addr, unicast.OnLinkPrefixLength.min(128))),
            None => {}
        }
    }
    // SAFETY: as above, for the multicast list.
    let multicast = unsafe {
        list(a.FirstMulticastAddress.cast_const(), |m: &IP_ADAPTER_MULTICAST_ADDRESS_XP| m.Next.cast_const())
    }
    .into_iter()
    // SAFETY: as above.
    .filter_map(|m| unsafe { socket_address(&m.Address) })
    .collect();

    let mac_len = usize::try_from(a.PhysicalAddressLength).unwrap_or(0).min(a.PhysicalAddress.len());
    let mac_bytes = &a.PhysicalAddress[..mac_len];
    let loopback = a.IfType == IF_TYPE_LOOPBACK;
    let interface = Interface {
        name,
        index,
        id: Some(guid).filter(|g| !g.is_empty()),
        kind,
        kind_detail,
        description: Some(description).filter(|d| !d.is_empty()),
        flags: InterfaceFlags {
            // Disabled adapters are not listed at all; "not present" is a removed device.
            up: a.OperStatus != IfOperStatusNotPresent,
            running: a.OperStatus == IfOperStatusUp,
            multicast: flags & IP_ADAPTER_NO_MULTICAST == 0,
            loopback,
        },
        // Loopback and tunnels report no or an all-zero hardware address: that is no MAC.
        mac: mac_bytes
            .iter()
            .any(|b| *b != 0)
            .then(|| mac_bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")),
        // The loopback pseudo-interface reports u32::MAX: no MTU to speak of.
        mtu: Some(a.Mtu).filter(|mtu| *mtu != 0 && *mtu != u32::MAX),
        ipv4,
        ipv6,
        // The IPv4 interface metric; 0 is what a system that does not track it (wine) reports.
        metric: Some(a.Ipv4Metric).filter(|m| *m != 0),
        metric_automatic: None,
    };
    Adapter { interface, multicast }
}
