//! The few raw-memory readings every Windows table needs, each small and bounded: strings the OS
//! returns, socket addresses, linked lists, and the tables `FreeMibTable` must release.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use windows_sys::Win32::NetworkManagement::IpHelper::FreeMibTable;

use crate::platform::mib;
use windows_sys::Win32::Networking::WinSock::{
    AF_INET, AF_INET6, SOCKADDR, SOCKADDR_IN, SOCKADDR_IN6, SOCKADDR_INET, SOCKET_ADDRESS,
};

/// Longest string read from a pointer the OS returned: adapter names and descriptions are at most 256
/// characters, so a missing terminator cannot run away.
const MAX_CHARS: usize = 4096;
/// Largest buffer a table may ask for: a size the OS reports beyond this is not believed (a host with
/// thousands of adapters or sockets needs a few MiB).
pub(super) const MAX_TABLE_BYTES: u32 = 64 << 20;
/// Most elements walked in one linked list: a list that loops (it never should) ends here.
const MAX_ITEMS: usize = 65_536;

/// A NUL-terminated UTF-16 string the OS returned, lossily decoded.
///
/// # Safety
/// `ptr` is null or points to readable UTF-16 that is NUL-terminated or at least `MAX_CHARS` long.
pub(super) unsafe fn wide(ptr: *const u16) -> String {
    if ptr.is_null() {
        return String::new();
    }
    let mut len = 0;
    // SAFETY: the caller vouches that every unit up to the terminator (or MAX_CHARS) is readable.
    while len < MAX_CHARS && unsafe { *ptr.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: the `len` units just read are initialised and readable.
    String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A NUL-terminated 8-bit string the OS returned (adapter GUIDs are ASCII).
///
/// # Safety
/// As [`wide`], for bytes.
pub(super) unsafe fn narrow(ptr: *const u8) -> String {
    if ptr.is_null() {
        return String::new();
    }
    let mut len = 0;
    // SAFETY: the caller vouches that every byte up to the terminator (or MAX_CHARS) is readable.
    while len < MAX_CHARS && unsafe { *ptr.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: the `len` bytes just read are initialised and readable.
    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(ptr, len) }).into_owned()
}

/// The elements of a linked list the OS built, following `next` from `first`.
///
/// # Safety
/// `first` and every pointer `next` returns are null or point to a valid `T` that lives for `'a`.
pub(super) unsafe fn list<'a, T>(first: *const T, next: impl Fn(&T) -> *const T) -> Vec<&'a T> {
    let mut items = Vec::new();
    let mut current = first;
    while !current.is_null() && items.len() < MAX_ITEMS {
        // SAFETY: non-null, and valid for 'a by the caller's promise.
        let item: &'a T = unsafe { &*current };
        current = next(item);
        items.push(item);
    }
    items
}

/// The address in a `SOCKET_ADDRESS` (adapter address lists), when it is IPv4 or IPv6.
///
/// # Safety
/// `address.lpSockaddr` is null or points to at least `address.iSockaddrLength` readable bytes.
pub(super) unsafe fn socket_address(address: &SOCKET_ADDRESS) -> Option<IpAddr> {
    let len = usize::try_from(address.iSockaddrLength).ok()?;
    let sockaddr = address.lpSockaddr.cast_const();
    if sockaddr.is_null() || len < size_of::<SOCKADDR>() {
        return None;
    }
    // SAFETY: at least a SOCKADDR's bytes are readable; read unaligned since the OS does not promise more.
    let family = unsafe { std::ptr::read_unaligned(sockaddr) }.sa_family;
    match family {
        AF_INET if len >= size_of::<SOCKADDR_IN>() => {
            // SAFETY: the length covers a SOCKADDR_IN, and the family says it is one.
            let v4 = unsafe { std::ptr::read_unaligned(sockaddr.cast::<SOCKADDR_IN>()) };
            Some(IpAddr::V4(ipv4(&v4)))
        }
        AF_INET6 if len >= size_of::<SOCKADDR_IN6>() => {
            // SAFETY: the length covers a SOCKADDR_IN6, and the family says it is one.
            let v6 = unsafe { std::ptr::read_unaligned(sockaddr.cast::<SOCKADDR_IN6>()) };
            Some(IpAddr::V6(ipv6(&v6)))
        }
        _ => None,
    }
}

/// The address in a `SOCKADDR_INET` (`GetBestRoute2`'s source), when it is IPv4 or IPv6: read by the
/// same decoder as the MIB tables' rows ([`mib::sockaddr_inet`]).
pub(super) fn inet_address(address: &SOCKADDR_INET) -> Option<IpAddr> {
    // SAFETY: the union's bytes, as many as it has: every byte of it was written, zeroed by the caller
    // or filled by the OS.
    let bytes =
        unsafe { std::slice::from_raw_parts((&raw const *address).cast::<u8>(), size_of::<SOCKADDR_INET>()) };
    mib::sockaddr_inet(bytes)
}

/// A `SOCKADDR_INET` for an IPv4 address, as `GetBestRoute2` takes it.
pub(super) fn inet_v4(addr: Ipv4Addr) -> SOCKADDR_INET {
    // SAFETY: SOCKADDR_INET is plain data; all zeroes is a valid (AF_UNSPEC) value.
    let mut inet: SOCKADDR_INET = unsafe { std::mem::zeroed() };
    inet.Ipv4.sin_family = AF_INET;
    inet.Ipv4.sin_addr.S_un.S_addr = u32::from_ne_bytes(addr.octets());
    inet
}

fn ipv4(v4: &SOCKADDR_IN) -> Ipv4Addr {
    // SAFETY: IN_ADDR's union variants are all views of the same four bytes.
    Ipv4Addr::from(unsafe { v4.sin_addr.S_un.S_addr }.to_ne_bytes())
}

fn ipv6(v6: &SOCKADDR_IN6) -> Ipv6Addr {
    // SAFETY: IN6_ADDR's union variants are all views of the same sixteen bytes.
    Ipv6Addr::from(unsafe { v6.sin6_addr.u.Byte })
}

/// A table that the IP Helper allocated and `FreeMibTable` releases: one owner, freed once.
pub(super) struct MibTable<T>(pub *mut T);

impl<T> MibTable<T> {
    /// The table's bytes: its count, then as many rows of `row_size` bytes as that says, at the offset
    /// every `MIB_*_TABLE2` puts them ([`mib::table_rows`] reads them). Empty when the count would take
    /// more than [`MAX_TABLE_BYTES`].
    ///
    /// # Safety
    /// The pointer is null or a table the OS filled: a `ULONG` count, and that many rows of `row_size`
    /// bytes from [`mib::TABLE_ROWS_OFFSET`], inside the table's allocation.
    pub(super) unsafe fn bytes(&self, row_size: usize) -> &[u8] {
        if self.0.is_null() {
            return &[];
        }
        // SAFETY: the table starts with its count, a ULONG, and the OS aligned it.
        let count = unsafe { self.0.cast::<u32>().read() };
        let limit = usize::try_from(MAX_TABLE_BYTES).unwrap_or(usize::MAX);
        let Some(len) = mib::table_len(count, row_size).filter(|len| *len <= limit) else { return &[] };
        // SAFETY: the count and its rows lie inside the allocation, by the caller's promise, and the OS
        // wrote every byte of them.
        unsafe { std::slice::from_raw_parts(self.0.cast_const().cast::<u8>(), len) }
    }
}

impl<T> Drop for MibTable<T> {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from an IP Helper call that documents FreeMibTable, and is freed once.
            unsafe { FreeMibTable(self.0.cast_const().cast()) };
        }
    }
}

/// A NUL-terminated UTF-16 copy of `text`, for `PCWSTR` parameters.
pub(super) fn to_wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}
