//! `--output FILE` never replaces what it must not: `-` is stdout; devices, FIFOs and the process's
//! own stdout are written in place; a link's target is replaced and the link kept; a replaced file
//! keeps its mode and owner; on failure the old file stays and the exit is 2. `interfaces` is the
//! command used: it reads the host and sends nothing. The tests that replace `/dev` entries or need
//! another owner run as root only, inside a private mount namespace (`unshare -m`) of their own.
#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> PathBuf {
    common::mcready_bin()
}

/// A fresh directory of this test's own under the system's temporary directory.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mcready-output-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn interfaces_to(output: &Path, dir: &Path) -> Output {
    Command::new(bin())
        .args(["interfaces", "--color", "never", "--output"])
        .arg(output)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn sh(script: &str) -> Output {
    Command::new("sh").args(["-c", script]).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn dash_is_stdout_and_no_file_named_dash_appears() {
    let dir = scratch("dash");
    let out = interfaces_to(Path::new("-"), &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("IDX"), "{}", common::stdout(&out));
    assert!(!dir.join("-").exists(), "a file named - was written");
}

#[test]
fn a_link_is_followed_and_kept() {
    let dir = scratch("link");
    std::fs::write(dir.join("real.txt"), "old\n").unwrap();
    std::os::unix::fs::symlink("real.txt", dir.join("link")).unwrap();
    let out = interfaces_to(&dir.join("link"), &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let link = std::fs::symlink_metadata(dir.join("link")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced by a file");
    assert!(std::fs::read_to_string(dir.join("real.txt")).unwrap().starts_with("IDX"));
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no temporary file is left: {leftovers:?}");
}

#[test]
fn a_dangling_link_is_refused_and_left_alone() {
    let dir = scratch("dangling");
    std::os::unix::fs::symlink("missing/target.txt", dir.join("link")).unwrap();
    let out = interfaces_to(&dir.join("link"), &dir);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("symbolic link whose target cannot be reached"), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(std::fs::symlink_metadata(dir.join("link")).unwrap().file_type().is_symlink());
}

#[test]
fn a_replaced_file_keeps_its_mode_under_a_strict_umask() {
    let dir = scratch("mode");
    let file = dir.join("mcready.prom");
    std::fs::write(&file, "old\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let script = format!("umask 077; exec '{}' interfaces --output '{}'", bin().display(), file.display());
    let out = sh(&script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "a node_exporter textfile must stay readable");
    // A new file follows the umask, as any program's would.
    let fresh = dir.join("fresh.txt");
    let out = sh(&format!("umask 077; exec '{}' interfaces --output '{}'", bin().display(), fresh.display()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_fifo_is_written_in_place() {
    let dir = scratch("fifo");
    let fifo = dir.join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = interfaces_to(&fifo, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(reader.join().unwrap().starts_with("IDX"));
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced");
}

#[test]
fn what_cannot_be_written_is_one_line_and_exit_2() {
    let dir = scratch("refused");
    for (target, wanted) in [
        (dir.clone(), "is a directory"),
        (PathBuf::from("/proc/version"), "the kernel's proc file system"),
        (dir.join("no/such/dir/file"), "does not exist"),
    ] {
        let out = interfaces_to(&target, &dir);
        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{}: {message}", target.display());
        assert!(message.contains(wanted), "{}: {message}", target.display());
        assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    }
    let out =
        Command::new(bin()).args(["interfaces", "--json", "--output", "/proc/version"]).output().unwrap();
    let document = common::json(&out);
    assert_eq!(
        (document["schema"].as_str(), document["code"].as_str()),
        (Some("mcready.error/v1"), Some("output"))
    );
}

/// The process's own stdout, a shell's redirection to a regular file and a character device, each in a
/// private `/dev` (a tmpfs of this test's mount namespace); a replaced file keeps another owner; a
/// write that fails half-way (a full file system) leaves the old file and no temporary one.
#[test]
fn devices_stdout_and_owners_as_root_in_a_private_mount_namespace() {
    const TEST: &str = "devices_stdout_and_owners_as_root_in_a_private_mount_namespace";
    if !common::is_root() {
        common::skip(TEST, "needs root for a private mount namespace and another file owner");
        return;
    }
    if !common::require(TEST, &[common::UNSHARE]) {
        return;
    }
    let dir = scratch("root");
    let bin = bin();
    let bin = bin.display();
    let dir_shown = dir.display();
    let script = format!(
        r#"set -e
mount --make-rprivate /
mount -t tmpfs none /dev
mknod -m 666 /dev/null c 1 3
ln -s /proc/self/fd/1 /dev/stdout
'{bin}' interfaces --output /dev/stdout > {dir_shown}/redirected
'{bin}' interfaces --output /dev/stdout | cat > {dir_shown}/piped
'{bin}' interfaces --output /dev/null
test -c /dev/null && echo null-is-a-device
test -L /dev/stdout && echo stdout-is-a-link
echo old > {dir_shown}/owned && chown 1234:4321 {dir_shown}/owned && chmod 0640 {dir_shown}/owned
'{bin}' interfaces --output {dir_shown}/owned
stat -c 'owner %u:%g mode %a' {dir_shown}/owned
mkdir {dir_shown}/full && mount -t tmpfs -o size=4k none {dir_shown}/full
echo old > {dir_shown}/full/report
'{bin}' interfaces --output {dir_shown}/full/report 2> {dir_shown}/full-error || echo "full exit $?"
echo "full now $(cat {dir_shown}/full/report) in $(ls -A {dir_shown}/full | wc -l) file(s)"
"#
    );
    let out = Command::new("unshare").args(["-m", "sh", "-c", &script]).output().unwrap();
    let text = common::stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    for wanted in [
        "null-is-a-device",
        "stdout-is-a-link",
        "owner 1234:4321 mode 640",
        "full exit 2",
        "full now old in 1 file(s)",
    ] {
        assert!(text.contains(wanted), "{wanted}:\n{text}{}", stderr(&out));
    }
    for written in ["redirected", "piped"] {
        let content = std::fs::read_to_string(dir.join(written)).unwrap();
        assert!(content.starts_with("IDX"), "{written}: {content}");
    }
    let full_error = std::fs::read_to_string(dir.join("full-error")).unwrap();
    assert!(full_error.contains("No space left"), "{full_error}");
    // The host's own /dev was never touched: the namespace had its own.
    assert!(std::fs::symlink_metadata("/dev/stdout").map_or(true, |m| m.file_type().is_symlink()));
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    let _ = std::fs::remove_dir_all(&dir);
}
