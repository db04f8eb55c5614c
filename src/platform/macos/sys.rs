//! The few libc calls the macOS gatherer makes: `getifaddrs`, `geteuid` and `gethostname`. Each copies
//! what the OS hands back into owned bytes at once, so that no pointer outlives its call; decoding
//! those bytes is left to the pure functions of [`crate::platform::macos_text`].

use std::ffi::CStr;
use std::io;

use crate::platform::macos_text::IfaddrsEntry;

/// The bytes of `struct if_data` copied: its eight one-byte fields and `ifi_mtu` (`<net/if_var.h>`).
const IF_DATA_PREFIX: usize = 12;

/// Every interface address the kernel lists, as `getifaddrs(3)` returns them.
pub fn interface_entries() -> io::Result<Vec<IfaddrsEntry>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `head` is a valid place for the list pointer; on success the list is ours until
    // `freeifaddrs`.
    if unsafe { libc::getifaddrs(&raw mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut entries = Vec::new();
    let mut cursor = head;
    while !cursor.is_null() {
        // SAFETY: `cursor` is a non-null node of the list `getifaddrs` returned, alive until the
        // `freeifaddrs` below; only copies of its contents are kept.
        let entry = unsafe { &*cursor };
        entries.push(copy_entry(entry));
        cursor = entry.ifa_next;
    }
    // SAFETY: `head` came from a successful `getifaddrs`, is freed once, and nothing points into it now.
    unsafe { libc::freeifaddrs(head) };
    Ok(entries)
}

fn copy_entry(entry: &libc::ifaddrs) -> IfaddrsEntry {
    let name = if entry.ifa_name.is_null() {
        String::new()
    } else {
        // SAFETY: a non-null `ifa_name` is a NUL-terminated string owned by the list.
        unsafe { CStr::from_ptr(entry.ifa_name) }.to_string_lossy().into_owned()
    };
    let address = sockaddr_bytes(entry.ifa_addr);
    let is_link = address.get(1).is_some_and(|family| i32::from(*family) == libc::AF_LINK);
    let if_data = if is_link && !entry.ifa_data.is_null() {
        // SAFETY: for `AF_LINK` entries macOS points `ifa_data` at the link's `struct if_data`, which
        // is far longer than the prefix copied.
        unsafe { std::slice::from_raw_parts(entry.ifa_data.cast::<u8>(), IF_DATA_PREFIX) }.to_vec()
    } else {
        Vec::new()
    };
    IfaddrsEntry {
        name,
        flags: entry.ifa_flags,
        address,
        netmask: sockaddr_bytes(entry.ifa_netmask),
        if_data,
    }
}

/// The bytes of a BSD `sockaddr`, whose first byte (`sa_len`) is its own length.
fn sockaddr_bytes(address: *const libc::sockaddr) -> Vec<u8> {
    if address.is_null() {
        return Vec::new();
    }
    // SAFETY: a non-null `sockaddr` from the list has at least its `sa_len` byte.
    let len = usize::from(unsafe { (*address).sa_len });
    // SAFETY: the kernel allocated `sa_len` bytes for it (a shortened netmask says so by a smaller
    // `sa_len`, never a larger one).
    unsafe { std::slice::from_raw_parts(address.cast::<u8>(), len) }.to_vec()
}

/// Whether the effective user is root.
pub fn effective_uid_is_root() -> bool {
    // SAFETY: `geteuid` takes nothing, cannot fail and touches no memory of ours.
    unsafe { libc::geteuid() == 0 }
}

/// The host name, as `gethostname(3)` gives it.
pub fn hostname() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length, which is what is passed.
    let rc = unsafe { libc::gethostname(buffer.as_mut_ptr().cast::<libc::c_char>(), buffer.len()) };
    if rc != 0 {
        return None;
    }
    // Truncated names may lack the NUL: take up to the first NUL or the whole buffer.
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    Some(String::from_utf8_lossy(&buffer[..end]).into_owned()).filter(|name| !name.is_empty())
}
