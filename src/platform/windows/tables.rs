//! The multicast address table (what `netsh interface ipv4 show joins` lists), the UDP table with each
//! socket's owning process, and process names.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_INSUFFICIENT_BUFFER, HANDLE, INVALID_HANDLE_VALUE, NO_ERROR,
};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetExtendedUdpTable, GetMulticastIpAddressTable, MIB_MULTICASTIPADDRESS_TABLE, MIB_UDP6ROW_OWNER_PID,
    MIB_UDPROW_OWNER_PID, UDP_TABLE_OWNER_PID,
};
use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_INET6, AF_UNSPEC};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::Threading::{
    OpenProcess, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION, QueryFullProcessImageNameW,
};

use super::ffi::{MAX_TABLE_BYTES, MibTable};
use crate::platform::iphelper::{image_name, port_from_row};
use crate::platform::mib;

fn os_error(code: u32) -> io::Error {
    io::Error::from_raw_os_error(i32::try_from(code).unwrap_or(i32::MAX))
}

/// Every (interface index, group) the IP stack has joined, IPv4 and IPv6.
pub(super) fn multicast_table() -> io::Result<Vec<(u32, IpAddr)>> {
    // wine 8 exports this function as a stub that aborts the process when called (GetProcAddress
    // finds the stub, so it cannot tell): do not call it there.
    if super::system::wine_version().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "not called under wine, which implements it only as a stub that aborts the process",
        ));
    }
    let mut table: *mut MIB_MULTICASTIPADDRESS_TABLE = std::ptr::null_mut();
    // SAFETY: the call stores a table pointer (or nothing) into `table`.
    let rc = unsafe { GetMulticastIpAddressTable(AF_UNSPEC, &raw mut table) };
    let table = MibTable(table);
    if rc != NO_ERROR {
        return Err(os_error(rc));
    }
    // SAFETY: the call succeeded: a count and that many MIB_MULTICASTIPADDRESS_ROWs.
    Ok(mib::multicast_table(unsafe { table.bytes(mib::multicast_row::SIZE) }))
}

/// The rows of `GetExtendedUdpTable` for one family, with the buffer grown to what the call asks.
fn udp_table(family: u16) -> io::Result<Vec<u8>> {
    let mut size: u32 = 16 * 1024;
    for _ in 0..4 {
        if size > MAX_TABLE_BYTES {
            return Err(io::Error::other(format!("the UDP table asks for {size} bytes")));
        }
        // u32 elements: the table's rows are 4-byte aligned.
        let mut buffer = vec![0u32; usize::try_from(size).unwrap_or(0).div_ceil(4) + 1];
        size = u32::try_from(size_of_val(buffer.as_slice())).unwrap_or(u32::MAX);
        // SAFETY: the buffer is writable for `size` bytes; the call writes at most that.
        let rc = unsafe {
            GetExtendedUdpTable(
                buffer.as_mut_ptr().cast(),
                &raw mut size,
                0,
                u32::from(family),
                UDP_TABLE_OWNER_PID,
                0,
            )
        };
        match rc {
            NO_ERROR => return Ok(buffer.iter().flat_map(|w| w.to_ne_bytes()).collect()),
            ERROR_INSUFFICIENT_BUFFER => {}
            error => return Err(os_error(error)),
        }
    }
    Err(io::Error::other("the UDP table kept growing"))
}

/// Rows of type `R` after the table's leading count, bounded by the bytes the buffer holds.
fn rows<R: Copy>(bytes: &[u8]) -> Vec<R> {
    let Some(count) = bytes.get(..4).map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]])) else {
        return Vec::new();
    };
    let body = &bytes[4..];
    let fits = body.len() / size_of::<R>();
    let count = usize::try_from(count).unwrap_or(usize::MAX).min(fits);
    (0..count)
        .map(|i| {
            // SAFETY: row i lies inside `body` (count ≤ fits); R is plain data, read unaligned.
            unsafe { std::ptr::read_unaligned(body.as_ptr().add(i * size_of::<R>()).cast::<R>()) }
        })
        .collect()
}

/// UDP sockets bound to `port`, with their owning process id.
pub(super) fn udp_owners(port: u16) -> io::Result<Vec<(&'static str, SocketAddr, u32)>> {
    let mut sockets = Vec::new();
    for row in rows::<MIB_UDPROW_OWNER_PID>(&udp_table(AF_INET)?) {
        if port_from_row(row.dwLocalPort) == port {
            let addr = Ipv4Addr::from(row.dwLocalAddr.to_ne_bytes());
            sockets.push(("udp", SocketAddr::new(IpAddr::V4(addr), port), row.dwOwningPid));
        }
    }
    // A host without IPv6 has no IPv6 table: that is no sockets, not an error.
    if let Ok(table) = udp_table(AF_INET6) {
        for row in rows::<MIB_UDP6ROW_OWNER_PID>(&table) {
            if port_from_row(row.dwLocalPort) == port {
                let addr = Ipv6Addr::from(row.ucLocalAddr);
                sockets.push(("udp6", SocketAddr::new(IpAddr::V6(addr), port), row.dwOwningPid));
            }
        }
    }
    Ok(sockets)
}

/// The executable name of process `pid`: from its image path, else from a process snapshot (which
/// also names processes that refuse to be opened without elevation).
pub(super) fn process_name(pid: u32) -> Option<String> {
    // The kernel's own sockets (NetBIOS, http.sys) belong to PID 4, which cannot be opened.
    if pid == 4 {
        return Some("System".into());
    }
    image_path(pid).map(|path| image_name(&path).to_owned()).or_else(|| snapshot_name(pid))
}

/// Closes a handle when dropped.
struct Handle(HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        if !self.0.is_null() && self.0 != INVALID_HANDLE_VALUE {
            // SAFETY: a handle this module opened, closed once.
            unsafe { CloseHandle(self.0) };
        }
    }
}

fn image_path(pid: u32) -> Option<String> {
    // SAFETY: opening a process by id; a failure is a null handle.
    let process = Handle(unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) });
    if process.0.is_null() {
        return None;
    }
    let mut buffer = [0u16; 1024];
    let mut len = u32::try_from(buffer.len()).unwrap_or(0);
    // SAFETY: the buffer holds `len` units; the call writes at most that and stores the length used.
    let ok = unsafe {
        QueryFullProcessImageNameW(process.0, PROCESS_NAME_WIN32, buffer.as_mut_ptr(), &raw mut len)
    };
    let len = usize::try_from(len).unwrap_or(0).min(buffer.len());
    (ok != 0).then(|| String::from_utf16_lossy(&buffer[..len]))
}

fn snapshot_name(pid: u32) -> Option<String> {
    // SAFETY: a snapshot of all processes; a failure is INVALID_HANDLE_VALUE.
    let snapshot = Handle(unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) });
    if snapshot.0 == INVALID_HANDLE_VALUE {
        return None;
    }
    let mut entry = PROCESSENTRY32W {
        dwSize: u32::try_from(size_of::<PROCESSENTRY32W>()).unwrap_or(0),
        ..PROCESSENTRY32W::default()
    };
    // SAFETY: a valid snapshot and an entry with dwSize set, as the call requires.
    let mut more = unsafe { Process32FirstW(snapshot.0, &raw mut entry) } != 0;
    while more {
        if entry.th32ProcessID == pid {
            let len = entry.szExeFile.iter().position(|c| *c == 0).unwrap_or(entry.szExeFile.len());
            return Some(String::from_utf16_lossy(&entry.szExeFile[..len]));
        }
        // SAFETY: as above.
        more = unsafe { Process32NextW(snapshot.0, &raw mut entry) } != 0;
    }
    None
}
