//! Replacing a file the way Windows' own tools do: `ReplaceFileW` moves the new file over the old one
//! and carries over what a rename would lose — the old file's ACL, owner, attributes and creation time.

use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;

use windows_sys::Win32::Storage::FileSystem::{REPLACEFILE_WRITE_THROUGH, ReplaceFileW};

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain(std::iter::once(0)).collect()
}

/// Replaces `target` (which exists) with `replacement`, keeping `target`'s security and attributes.
pub fn replace_existing(replacement: &Path, target: &Path) -> io::Result<()> {
    let (target, replacement) = (wide(target), wide(replacement));
    // SAFETY: both arguments are NUL-terminated UTF-16 buffers that outlive the call; the backup name,
    // exclude and reserved arguments are null as the API allows.
    let ok = unsafe {
        ReplaceFileW(
            target.as_ptr(),
            replacement.as_ptr(),
            std::ptr::null(),
            REPLACEFILE_WRITE_THROUGH,
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if ok == 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}
