//! The Windows services running in each process, from the Service Control Manager
//! (`EnumServicesStatusExW`, `SERVICE_WIN32`, running ones only): the process holding the PnP port is
//! named as the service `Restart-Service` restarts. Which service a process runs is decided by
//! [`crate::platform::iphelper::service_of`], tested everywhere.

use std::io;

use windows_sys::Win32::Foundation::ERROR_MORE_DATA;
use windows_sys::Win32::System::Services::{
    CloseServiceHandle, ENUM_SERVICE_STATUS_PROCESSW, EnumServicesStatusExW, OpenSCManagerW,
    SC_ENUM_PROCESS_INFO, SC_HANDLE, SC_MANAGER_ENUMERATE_SERVICE, SERVICE_ACTIVE, SERVICE_WIN32,
};

/// The buffer each call fills: large enough for a few hundred services, and bounded when the
/// manager asks for more.
const CHUNK: usize = 64 * 1024;
const MAX_CHUNK: usize = 4 * 1024 * 1024;

/// Closes the Service Control Manager's handle when dropped.
struct Manager(SC_HANDLE);

impl Drop for Manager {
    fn drop(&mut self) {
        // SAFETY: a handle OpenSCManagerW returned (never null here), closed once.
        unsafe { CloseServiceHandle(self.0) };
    }
}

/// (process id, service name, display name) of every running Win32 service.
pub(super) fn running() -> io::Result<Vec<(u32, String, String)>> {
    // SAFETY: null machine and database names are the local computer's active database.
    let handle = unsafe { OpenSCManagerW(std::ptr::null(), std::ptr::null(), SC_MANAGER_ENUMERATE_SERVICE) };
    if handle.is_null() {
        return Err(io::Error::last_os_error());
    }
    let manager = Manager(handle);
    let mut found = Vec::new();
    let mut resume: u32 = 0;
    // u64 elements: the records hold pointers, so the buffer is aligned for them.
    let mut buffer = vec![0u64; CHUNK / 8];
    // Each call returns what fits and a resume handle; a few hundred services take one or two calls.
    for _ in 0..64 {
        let size = u32::try_from(size_of_val(buffer.as_slice())).unwrap_or(u32::MAX);
        let (mut needed, mut returned) = (0u32, 0u32);
        // SAFETY: the buffer is writable for `size` bytes and aligned for the records; the out
        // parameters are live locals; a null group name means every group.
        let ok = unsafe {
            EnumServicesStatusExW(
                manager.0,
                SC_ENUM_PROCESS_INFO,
                SERVICE_WIN32,
                SERVICE_ACTIVE,
                buffer.as_mut_ptr().cast(),
                size,
                &raw mut needed,
                &raw mut returned,
                &raw mut resume,
                std::ptr::null(),
            )
        };
        let more = ok == 0;
        if more {
            let error = io::Error::last_os_error();
            if error.raw_os_error() != i32::try_from(ERROR_MORE_DATA).ok() {
                return Err(error);
            }
        }
        found.extend(records(&buffer, returned));
        if !more {
            return Ok(found);
        }
        if returned == 0 {
            // Not even one record fitted: grow to what the manager asks, within bounds.
            let wanted = usize::try_from(needed).unwrap_or(usize::MAX);
            if wanted > MAX_CHUNK || wanted <= size_of_val(buffer.as_slice()) {
                return Err(io::Error::other(format!("the service list asks for {wanted} bytes")));
            }
            buffer = vec![0u64; wanted.div_ceil(8)];
        }
    }
    Err(io::Error::other("the service list kept growing"))
}

/// The first `returned` records of `buffer`, their strings copied out; a string that does not lie
/// inside the buffer is left empty.
fn records(buffer: &[u64], returned: u32) -> Vec<(u32, String, String)> {
    let bytes = size_of_val(buffer);
    let fits = bytes / size_of::<ENUM_SERVICE_STATUS_PROCESSW>();
    let count = usize::try_from(returned).unwrap_or(usize::MAX).min(fits);
    let start = buffer.as_ptr().cast::<u8>();
    (0..count)
        .map(|i| {
            // SAFETY: record i lies inside the buffer (count ≤ fits), which is aligned for it.
            let record = unsafe { *buffer.as_ptr().cast::<ENUM_SERVICE_STATUS_PROCESSW>().add(i) };
            (
                record.ServiceStatusProcess.dwProcessId,
                wide_in(start, bytes, record.lpServiceName),
                wide_in(start, bytes, record.lpDisplayName),
            )
        })
        .collect()
}

/// The NUL-terminated UTF-16 string at `text`, read only within the `len` bytes from `start`.
fn wide_in(start: *const u8, len: usize, text: *const u16) -> String {
    let offset = (text as usize).wrapping_sub(start as usize);
    if text.is_null() || offset >= len || !offset.is_multiple_of(2) {
        return String::new();
    }
    let units = (len - offset) / 2;
    // SAFETY: `text` points `offset` bytes into the live buffer, which holds `units` whole u16s after it.
    let slice = unsafe { std::slice::from_raw_parts(text, units) };
    let end = slice.iter().position(|c| *c == 0).unwrap_or(slice.len());
    String::from_utf16_lossy(&slice[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_read_only_inside_the_buffer() {
        let buffer: Vec<u16> = "PBX\0rest".encode_utf16().collect();
        let (start, len) = (buffer.as_ptr().cast::<u8>(), size_of_val(buffer.as_slice()));
        assert_eq!(wide_in(start, len, buffer.as_ptr()), "PBX");
        // No NUL before the end: the string stops at the buffer's end.
        assert_eq!(wide_in(start, len, buffer[4..].as_ptr()), "rest");
        let elsewhere = [0x41u16, 0];
        assert_eq!(wide_in(start, len, elsewhere.as_ptr()), "");
        assert_eq!(wide_in(start, len, std::ptr::null()), "");
        assert!(records(&[0u64; 4], 1000).len() <= 1);
    }

    #[test]
    fn the_service_list_is_read_or_says_why() {
        // Windows lists its running services; wine runs a few of its own, or refuses with an error.
        match running() {
            Ok(services) => {
                eprintln!("{} running service(s)", services.len());
                assert!(services.iter().all(|(_, name, _)| !name.is_empty()), "{services:?}");
            }
            Err(error) => assert!(!error.to_string().is_empty()),
        }
    }
}
