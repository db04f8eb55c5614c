//! `--output FILE`: putting a command's document where the admin asked, without ever replacing what
//! must not be replaced.
//!
//! A monitoring agent reads the file while mcready writes it, so a regular file is replaced atomically:
//! a new file created exclusively (`O_EXCL`) beside the target, written, given the old file's mode and
//! owner, synced, then renamed over the target — a reader sees the old document or the new one, never
//! half of either, and a failure leaves the old file as it was. Everything else is written in place,
//! because renaming over it would destroy it: a device (`/dev/null`), a FIFO, a socket, and the
//! process's own stdout or stderr (`/dev/stdout` is a link to whatever fd 1 is — a pipe, a terminal, a
//! journal socket, or a file the shell opened, which a rename would orphan). A symbolic link is
//! followed: its target is replaced in the target's directory and the link stays a link.
//!
//! On Windows a device name (`NUL`, `CON`, `COM1`, … with or without a directory or extension) is
//! written in place; a symbolic link or junction (a reparse point) is followed to its target like a
//! Unix link; and an existing file is replaced with `ReplaceFileW`, which keeps its ACL, attributes
//! and owner as the Unix path keeps mode and owner.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why the document could not be written, as one line: the file and the reason.
#[derive(Debug)]
pub struct OutputError {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write {}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for OutputError {}

/// One of this process's own standard streams, found behind a path.
// Windows has no path to a standard stream that this could find (`CON` is written as a device).
#[cfg_attr(not(unix), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

/// Writes `bytes` to `path` as `--output` promises (see the module documentation). `-` never reaches
/// here: the caller prints it as stdout, coloured like any stdout.
///
/// # Errors
/// When the path is a directory, a dangling link, a kernel file, or cannot be created or replaced; the
/// old file is then left as it was.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let fail = |reason: String| OutputError { path: path.to_path_buf(), reason };
    if let Some(stream) = standard_stream(path) {
        let result = match stream {
            Stream::Stdout => write_stream(&mut io::stdout().lock(), bytes),
            Stream::Stderr => write_stream(&mut io::stderr().lock(), bytes),
        };
        return result.map_err(|e| fail(e.to_string()));
    }
    if is_windows_device_name(path) {
        return write_in_place(path, bytes).map_err(|e| fail(e.to_string()));
    }
    if let Some(why) = kernel_file(path) {
        return Err(fail(why));
    }
    let link = match fs::symlink_metadata(path) {
        Ok(link) => link,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return replace_atomically(path, None, bytes).map_err(fail);
        }
        Err(error) => return Err(fail(error.to_string())),
    };
    let (target, metadata) = if link.file_type().is_symlink() {
        let metadata = fs::metadata(path).map_err(|error| {
            fail(format!(
                "it is a symbolic link whose target cannot be reached ({error}); give the target's own path"
            ))
        })?;
        (fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()), metadata)
    } else {
        (path.to_path_buf(), link)
    };
    if metadata.is_dir() {
        return Err(fail("it is a directory; give a file name inside it".into()));
    }
    if metadata.is_file() {
        // `path` itself was looked at above; a link may lead into /proc or /sys all the same.
        if let Some(why) = (target != path).then(|| kernel_file(&target)).flatten() {
            return Err(fail(why));
        }
        return replace_atomically(&target, Some(&metadata), bytes).map_err(fail);
    }
    // A device, FIFO or socket: writing in place is the only write that does not destroy it.
    write_in_place(path, bytes).map_err(|e| fail(e.to_string()))
}

fn write_stream(stream: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    match stream.write_all(bytes).and_then(|()| stream.flush()) {
        // A closed pipe (`… --output - | head -1`) is the reader's choice, as on stdout.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A device, FIFO or socket, opened and written as it is (no truncation, no rename).
fn write_in_place(path: &Path, bytes: &[u8]) -> io::Result<()> {
    #[cfg(unix)]
    if fs::metadata(path).is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type())) {
        return write_socket(path, bytes);
    }
    let mut file = OpenOptions::new().write(true).open(path)?;
    write_stream(&mut file, bytes)
}

/// A Unix socket file: connect as a stream (a log collector), else send one datagram (syslog-style).
#[cfg(unix)]
fn write_socket(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::net::{UnixDatagram, UnixStream};
    match UnixStream::connect(path) {
        Ok(mut stream) => write_stream(&mut stream, bytes),
        Err(stream_error) => {
            let datagram = UnixDatagram::unbound()?;
            datagram.send_to(bytes, path).map(|_| ()).map_err(|_| stream_error)
        }
    }
}

/// Whether `path` is this process's own stdout or stderr (the same file, by device and inode), so that
/// `--output /dev/stdout` writes to fd 1 whatever it is — even a regular file the shell opened, which
/// a rename would leave the shell writing to an unlinked inode.
#[cfg(unix)]
fn standard_stream(path: &Path) -> Option<Stream> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let wanted = fs::metadata(path).ok()?;
    let same = |fd: std::os::fd::BorrowedFd<'_>| {
        fd.try_clone_to_owned()
            .ok()
            .and_then(|owned| File::from(owned).metadata().ok())
            .is_some_and(|m| m.dev() == wanted.dev() && m.ino() == wanted.ino())
    };
    if same(io::stdout().as_fd()) {
        Some(Stream::Stdout)
    } else if same(io::stderr().as_fd()) {
        Some(Stream::Stderr)
    } else {
        None
    }
}

#[cfg(not(unix))]
fn standard_stream(_path: &Path) -> Option<Stream> {
    None
}

/// Files of the kernel's own file systems look regular but cannot be replaced, and a document written
/// into one would not be kept: say so instead of a bare "No such file or directory".
fn kernel_file(path: &Path) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let absolute =
        if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    for (root, what) in [("/proc", "proc"), ("/sys", "sysfs")] {
        if absolute.starts_with(root) {
            return Some(format!(
                "it is in {root}, the kernel's {what} file system: its files are the kernel's, not documents; \
                 give a path on a disk"
            ));
        }
    }
    None
}

/// Whether `path` names one of Windows' reserved device names (`NUL`, `CON`, `PRN`, `AUX`, `COM1`–`COM9`,
/// `LPT1`–`LPT9`, and the superscript-digit forms), which exist in every directory and with any
/// extension. Only on Windows: elsewhere `NUL` is an ordinary name.
fn is_windows_device_name(path: &Path) -> bool {
    cfg!(windows) && path.file_name().and_then(|n| n.to_str()).is_some_and(reserved_device_name)
}

/// The rule of [`is_windows_device_name`] on a file name, pure so that it is tested everywhere.
#[must_use]
pub fn reserved_device_name(name: &str) -> bool {
    // Windows ignores the extension and trailing spaces and dots: `nul.txt` and `NUL ` are the device.
    let stem = name.split('.').next().unwrap_or_default().trim_end_matches([' ', '.']).to_ascii_uppercase();
    if matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$") {
        return true;
    }
    let Some(number) = stem.strip_prefix("COM").or_else(|| stem.strip_prefix("LPT")) else { return false };
    matches!(number, "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³")
}

/// Creates (or replaces) the regular file `target` through an exclusive temporary file beside it.
fn replace_atomically(target: &Path, old: Option<&Metadata>, bytes: &[u8]) -> Result<(), String> {
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = target.file_name().ok_or_else(|| "it does not name a file".to_owned())?;
    let (temporary, mut file) = create_exclusive(directory, &name.to_string_lossy())?;
    let written = file
        .write_all(bytes)
        .map_err(|e| format!("writing the new file failed: {e}"))
        .and_then(|()| old.map_or(Ok(()), |old| keep_mode_and_owner(&file, old)))
        .and_then(|()| file.sync_all().map_err(|e| format!("syncing the new file failed: {e}")));
    drop(file);
    let result = written.and_then(|()| {
        replace_file(&temporary, target, old.is_some())
            .map_err(|e| format!("replacing it with the new file failed: {e}"))
    });
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
        return result;
    }
    sync_directory(directory);
    Ok(())
}

/// A new file in `directory` that did not exist before (`O_EXCL`): never a file, link or device that
/// someone placed at a predictable name.
fn create_exclusive(directory: &Path, name: &str) -> Result<(PathBuf, File), String> {
    let stamp =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    for attempt in 0..16u32 {
        let candidate = directory.join(format!(".{name}.{}.{stamp:x}{attempt}.tmp", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&candidate) {
            Ok(file) => return Ok((candidate, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(cannot_create_in(directory, &error)),
        }
    }
    Err(format!("cannot create a new file in {}: 16 names in a row were taken", directory.display()))
}

fn cannot_create_in(directory: &Path, error: &io::Error) -> String {
    let shown = directory.display();
    match error.kind() {
        io::ErrorKind::PermissionDenied => format!(
            "this user may not create files in {shown} (--output replaces a file through a new file in its directory): {error}"
        ),
        io::ErrorKind::ReadOnlyFilesystem => format!("{shown} is on a read-only file system"),
        io::ErrorKind::NotFound => format!("the directory {shown} does not exist"),
        _ => format!("cannot create a new file in {shown}: {error}"),
    }
}

/// The replaced file keeps its mode and owner (a Node exporter textfile stays readable under umask
/// 077). Ownership is given before the mode, because changing the owner clears set-id bits.
#[cfg(unix)]
fn keep_mode_and_owner(file: &File, old: &Metadata) -> Result<(), String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let new = file.metadata().map_err(|e| e.to_string())?;
    if new.uid() != old.uid() || new.gid() != old.gid() {
        std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid())).map_err(|error| {
            format!(
                "the new file cannot be given the old one's owner (uid {}, gid {}): {error}; run as that user or as root",
                old.uid(),
                old.gid()
            )
        })?;
    }
    file.set_permissions(fs::Permissions::from_mode(old.mode() & 0o7777)).map_err(|e| {
        format!("the new file cannot be given the old one's mode {:o}: {e}", old.mode() & 0o7777)
    })
}

/// On Windows `ReplaceFileW` carries the ACL, owner and attributes over when the file is replaced.
#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)] // The Unix version's signature: the caller is the same on every OS.
fn keep_mode_and_owner(_file: &File, _old: &Metadata) -> Result<(), String> {
    Ok(())
}

/// Moves the finished temporary file over `target` in one step.
#[cfg(not(windows))]
fn replace_file(temporary: &Path, target: &Path, _exists: bool) -> io::Result<()> {
    fs::rename(temporary, target)
}

#[cfg(windows)]
fn replace_file(temporary: &Path, target: &Path, exists: bool) -> io::Result<()> {
    if exists { super::os::files::replace_existing(temporary, target) } else { fs::rename(temporary, target) }
}

/// Makes the rename itself durable; a failure here loses nothing already written, so it is not one.
fn sync_directory(directory: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(directory) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = directory;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_device_names_with_any_extension_or_case() {
        for name in [
            "NUL", "nul", "nul.txt", "NUL ", "CON", "con.log", "PRN", "AUX", "COM1", "com9.x", "LPT3",
            "COM²", "CONOUT$",
        ] {
            assert!(reserved_device_name(name), "{name}");
        }
        for name in ["NULL", "nul_", "report.json", "COM0", "COM10", "LPT", "CONSOLE", "mcready.prom", ""] {
            assert!(!reserved_device_name(name), "{name}");
        }
    }

    #[test]
    fn kernel_files_are_named_not_attempted() {
        if cfg!(target_os = "linux") {
            let why = kernel_file(Path::new("/proc/version")).unwrap_or_default();
            assert!(why.contains("proc file system"), "{why}");
            assert!(kernel_file(Path::new("/sys/kernel/x")).is_some());
            assert!(kernel_file(Path::new("/processes.json")).is_none());
        }
        assert!(kernel_file(Path::new("/var/lib/node_exporter/mcready.prom")).is_none());
    }
}
