//! Routes (`GetIpForwardTable2`), interface metrics (`GetIpInterfaceEntry`, looked up at run time since
//! wine 8 lacks it) and the route Windows picks for the group (`GetBestRoute2`, `GetBestInterfaceEx`).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr};

use windows_sys::Win32::Foundation::{ERROR_SUCCESS, NO_ERROR, WIN32_ERROR};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetBestInterfaceEx, GetBestRoute2, GetIpForwardTable2, MIB_IPFORWARD_ROW2, MIB_IPFORWARD_TABLE2,
    MIB_IPINTERFACE_ROW,
};
use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_UNSPEC, SOCKADDR, SOCKADDR_IN, SOCKADDR_INET};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};

use super::ffi::{MibTable, inet_address, inet_v4, to_wide};
use crate::facts::Route;
use crate::platform::mib;

fn os_error(code: WIN32_ERROR) -> io::Error {
    io::Error::from_raw_os_error(i32::try_from(code).unwrap_or(i32::MAX))
}

/// Every IPv4 and IPv6 route, with its own metric (the effective metric adds the interface's).
pub(super) fn forward_table(names: &HashMap<u32, String>) -> io::Result<Vec<Route>> {
    let mut table: *mut MIB_IPFORWARD_TABLE2 = std::ptr::null_mut();
    // SAFETY: the call stores a table pointer (or nothing) into `table`.
    let rc = unsafe { GetIpForwardTable2(AF_UNSPEC, &raw mut table) };
    let table = MibTable(table);
    if rc != NO_ERROR {
        return Err(os_error(rc));
    }
    // SAFETY: the call succeeded: a count and that many MIB_IPFORWARD_ROW2s.
    Ok(mib::forward_table(unsafe { table.bytes(mib::forward_row::SIZE) }, names))
}

type GetIpInterfaceEntryFn = unsafe extern "system" fn(*mut MIB_IPINTERFACE_ROW) -> WIN32_ERROR;
type InitializeIpInterfaceEntryFn = unsafe extern "system" fn(*mut MIB_IPINTERFACE_ROW);

/// `GetIpInterfaceEntry`, found at run time: linking it would make the program abort under wine 8,
/// which lists the export but does not implement it.
pub(super) struct IpInterfaceApi {
    get: GetIpInterfaceEntryFn,
    initialize: Option<InitializeIpInterfaceEntryFn>,
}

impl IpInterfaceApi {
    pub(super) fn load() -> Option<Self> {
        let module_name = to_wide("iphlpapi.dll");
        // SAFETY: a NUL-terminated name; iphlpapi is loaded, since this program imports from it.
        let module = unsafe { GetModuleHandleW(module_name.as_ptr()) };
        if module.is_null() {
            return None;
        }
        // SAFETY: a valid module handle and a NUL-terminated export name.
        let get = unsafe { GetProcAddress(module, c"GetIpInterfaceEntry".as_ptr().cast()) }?;
        // SAFETY: as above.
        let initialize = unsafe { GetProcAddress(module, c"InitializeIpInterfaceEntry".as_ptr().cast()) };
        Some(Self {
            // SAFETY: Microsoft documents this export with exactly this signature.
            get: unsafe {
                std::mem::transmute::<unsafe extern "system" fn() -> isize, GetIpInterfaceEntryFn>(get)
            },
            // SAFETY: as above.
            initialize: initialize.map(|f| unsafe {
                std::mem::transmute::<unsafe extern "system" fn() -> isize, InitializeIpInterfaceEntryFn>(f)
            }),
        })
    }

    /// The IPv4 interface metric of `index` and whether Windows computes it automatically.
    pub(super) fn ipv4_metric(&self, index: u32) -> io::Result<(u32, bool)> {
        let mut row = IpInterfaceRow([0; mib::ip_interface_row::SIZE]);
        let pointer = (&raw mut row).cast::<MIB_IPINTERFACE_ROW>();
        if let Some(initialize) = self.initialize {
            // SAFETY: the function fills the row it is given: `row` has the row's size and alignment.
            unsafe { initialize(pointer) };
        }
        row.0[mib::ip_interface_row::FAMILY..][..2].copy_from_slice(&AF_INET.to_le_bytes());
        row.0[mib::ip_interface_row::INTERFACE_INDEX..][..4].copy_from_slice(&index.to_le_bytes());
        // SAFETY: a row with the family and index set, as the function requires.
        let rc = unsafe { (self.get)(pointer) };
        if rc != NO_ERROR {
            return Err(os_error(rc));
        }
        mib::ip_interface_metric(&row.0).ok_or_else(|| io::Error::other("MIB_IPINTERFACE_ROW too short"))
    }
}

/// A `MIB_IPINTERFACE_ROW` as bytes, aligned as the structure (its `NET_LUID` is 8-byte aligned): filled
/// by the OS, read by [`mib::ip_interface_metric`].
#[repr(C, align(8))]
struct IpInterfaceRow([u8; mib::ip_interface_row::SIZE]);

const _: () = assert!(size_of::<IpInterfaceRow>() == size_of::<MIB_IPINTERFACE_ROW>());

/// `GetBestRoute2` for the group: the interface index and the source address Windows would use.
pub(super) fn best_route(group: Ipv4Addr) -> io::Result<(u32, Option<Ipv4Addr>)> {
    let destination = inet_v4(group);
    // SAFETY: plain data, filled by the call.
    let mut best: MIB_IPFORWARD_ROW2 = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut source: SOCKADDR_INET = unsafe { std::mem::zeroed() };
    // SAFETY: no LUID, index 0 and no source mean "any"; the outputs are writable rows of the right type.
    let rc = unsafe {
        GetBestRoute2(
            std::ptr::null(),
            0,
            std::ptr::null(),
            &raw const destination,
            0,
            &raw mut best,
            &raw mut source,
        )
    };
    if rc != NO_ERROR {
        return Err(os_error(rc));
    }
    let source = match inet_address(&source) {
        Some(IpAddr::V4(v4)) if !v4.is_unspecified() => Some(v4),
        _ => None,
    };
    Ok((best.InterfaceIndex, source))
}

/// `GetBestInterfaceEx` for the group: the interface index only.
pub(super) fn best_interface(group: Ipv4Addr) -> io::Result<u32> {
    // SAFETY: plain data; a zeroed SOCKADDR_IN with the family and address set is a valid destination.
    let mut destination: SOCKADDR_IN = unsafe { std::mem::zeroed() };
    destination.sin_family = AF_INET;
    destination.sin_addr.S_un.S_addr = u32::from_ne_bytes(group.octets());
    let mut index = 0u32;
    // SAFETY: a SOCKADDR_IN may be passed as a SOCKADDR; the index is writable.
    let rc = unsafe { GetBestInterfaceEx((&raw const destination).cast::<SOCKADDR>(), &raw mut index) };
    if rc == ERROR_SUCCESS { Ok(index) } else { Err(os_error(rc)) }
}
