//! Who and where mcready runs on Windows: the host name, the Windows version from the registry, whether
//! the process token is elevated, and whether this is wine.

use std::ffi::CStr;

use windows_sys::Win32::Foundation::{CloseHandle, ERROR_SUCCESS, HANDLE};
use windows_sys::Win32::Security::{GetTokenInformation, TOKEN_ELEVATION, TOKEN_QUERY, TokenElevation};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::Win32::System::Registry::{
    HKEY_LOCAL_MACHINE, RRF_RT_REG_DWORD, RRF_RT_REG_SZ, RegGetValueW,
};
use windows_sys::Win32::System::SystemInformation::{ComputerNamePhysicalDnsHostname, GetComputerNameExW};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

use super::ffi::to_wide;

pub(super) fn hostname() -> Option<String> {
    let mut buffer = [0u16; 256];
    let mut len = u32::try_from(buffer.len()).unwrap_or(0);
    // SAFETY: the buffer holds `len` units; the call writes at most that and stores the length used.
    let ok =
        unsafe { GetComputerNameExW(ComputerNamePhysicalDnsHostname, buffer.as_mut_ptr(), &raw mut len) };
    let len = usize::try_from(len).unwrap_or(0).min(buffer.len());
    (ok != 0).then(|| String::from_utf16_lossy(&buffer[..len]))
}

const CURRENT_VERSION: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";

fn registry_string(value: &str) -> Option<String> {
    let (key, value) = (to_wide(CURRENT_VERSION), to_wide(value));
    let mut buffer = [0u16; 256];
    let mut size = u32::try_from(size_of_val(&buffer)).unwrap_or(0);
    // SAFETY: NUL-terminated key and value names; the buffer holds `size` bytes and the call writes at
    // most that (RRF_RT_REG_SZ makes it NUL-terminate the string).
    let rc = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            value.as_ptr(),
            RRF_RT_REG_SZ,
            std::ptr::null_mut(),
            buffer.as_mut_ptr().cast(),
            &raw mut size,
        )
    };
    if rc != ERROR_SUCCESS {
        return None;
    }
    let len = buffer.iter().position(|c| *c == 0).unwrap_or(buffer.len());
    Some(String::from_utf16_lossy(&buffer[..len]))
}

fn registry_dword(value: &str) -> Option<u32> {
    let (key, value) = (to_wide(CURRENT_VERSION), to_wide(value));
    let mut data = 0u32;
    let mut size = u32::try_from(size_of::<u32>()).unwrap_or(0);
    // SAFETY: NUL-terminated names; `data` holds the four bytes a DWORD needs.
    let rc = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            value.as_ptr(),
            RRF_RT_REG_DWORD,
            std::ptr::null_mut(),
            (&raw mut data).cast(),
            &raw mut size,
        )
    };
    (rc == ERROR_SUCCESS).then_some(data)
}

/// The registry's account of the Windows version.
pub(super) struct Release {
    pub product: Option<String>,
    pub display_version: Option<String>,
    pub build: Option<u32>,
    major: Option<u32>,
    minor: Option<u32>,
    update: Option<u32>,
}

impl Release {
    /// `10.0.22631.3007`: the kernel's version as `winver` shows it.
    pub(super) fn kernel(&self) -> Option<String> {
        let (major, minor, build) = (self.major?, self.minor?, self.build?);
        Some(match self.update {
            Some(update) => format!("{major}.{minor}.{build}.{update}"),
            None => format!("{major}.{minor}.{build}"),
        })
    }
}

pub(super) fn release() -> Release {
    Release {
        product: registry_string("ProductName"),
        // 20H2 and later; older releases only have ReleaseId.
        display_version: registry_string("DisplayVersion").or_else(|| registry_string("ReleaseId")),
        build: registry_string("CurrentBuildNumber").and_then(|b| b.trim().parse().ok()),
        major: registry_dword("CurrentMajorVersionNumber"),
        minor: registry_dword("CurrentMinorVersionNumber"),
        update: registry_dword("UBR"),
    }
}

/// wine's version when running under wine (ntdll exports `wine_get_version` there, never on Windows).
pub(super) fn wine_version() -> Option<String> {
    let ntdll = to_wide("ntdll.dll");
    // SAFETY: a NUL-terminated name; ntdll is loaded in every process.
    let module = unsafe { GetModuleHandleW(ntdll.as_ptr()) };
    if module.is_null() {
        return None;
    }
    // SAFETY: a valid module handle and a NUL-terminated export name.
    let export = unsafe { GetProcAddress(module, c"wine_get_version".as_ptr().cast()) }?;
    // SAFETY: wine documents `const char *wine_get_version(void)`.
    let get: unsafe extern "C" fn() -> *const std::ffi::c_char = unsafe { std::mem::transmute(export) };
    // SAFETY: as above; it returns a static NUL-terminated string.
    let version = unsafe { get() };
    if version.is_null() {
        return Some(String::new());
    }
    // SAFETY: non-null, static and NUL-terminated.
    Some(unsafe { CStr::from_ptr(version) }.to_string_lossy().into_owned())
}

/// Whether the process token is elevated ("Run as administrator"); `None` when it cannot be asked.
pub(super) fn elevated() -> Option<bool> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of this process; the token handle is written on success.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &raw mut token) } == 0 {
        return None;
    }
    let mut elevation = TOKEN_ELEVATION { TokenIsElevated: 0 };
    let mut returned = 0u32;
    let size = u32::try_from(size_of::<TOKEN_ELEVATION>()).unwrap_or(0);
    // SAFETY: a token opened for query, and a TOKEN_ELEVATION-sized output.
    let ok = unsafe {
        GetTokenInformation(token, TokenElevation, (&raw mut elevation).cast(), size, &raw mut returned)
    };
    // SAFETY: the token handle opened above, closed once.
    unsafe { CloseHandle(token) };
    (ok != 0).then_some(elevation.TokenIsElevated != 0)
}
