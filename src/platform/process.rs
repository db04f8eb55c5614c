//! Processes `mcready fix` starts: a change's command in a process group of its own (a Ctrl-C at the
//! terminal reaches mcready, which decides, never a half-run `nft` or a rollback), and the helper that
//! reverts an unconfirmed run, detached so that it outlives mcready (a process group of its own: the
//! terminal's Ctrl-C does not reach it). Whether systemd runs the host, for the transient timer instead.
//! On Windows: commands through PowerShell (the persistent store's form of a confirmed change), the
//! helper detached (`DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP`), a process's liveness from its exit
//! code, the token's elevation, and the journal under `%ProgramData%\mcready`.

use std::process::{Child, Command, Stdio};

/// Puts `command` in a process group of its own, so the terminal's Ctrl-C does not reach it.
pub fn own_group(command: &mut Command) -> &mut Command {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt as _;
        command.creation_flags(CREATE_NEW_PROCESS_GROUP);
    }
    command
}

#[cfg(windows)]
const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
#[cfg(windows)]
const DETACHED_PROCESS: u32 = 0x0000_0008;

/// The command that runs a fix's command line on this host: `sh -c` with `sudo` run as it is (mcready
/// applies as root), or on Windows PowerShell, whose words the Windows steps use.
#[must_use]
pub fn shell(command: &str) -> Command {
    if cfg!(windows) {
        let mut powershell = Command::new("powershell.exe");
        powershell.args(["-NoProfile", "-NonInteractive", "-Command", command]);
        return powershell;
    }
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(format!("sudo() {{ \"$@\"; }}\n{command}"));
    sh
}

/// Where `mcready fix` keeps its journal and lock: `%ProgramData%\mcready` on Windows (the machine's
/// own data, writable from an elevated prompt), `/var/lib/mcready` elsewhere.
#[must_use]
pub fn state_dir() -> std::path::PathBuf {
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData").unwrap_or_else(|| "C:\\ProgramData".into());
        return std::path::PathBuf::from(base).join("mcready");
    }
    std::path::PathBuf::from("/var/lib/mcready")
}

/// Sets a new file's permission bits (Unix; elsewhere the file keeps what it was created with).
///
/// # Errors
/// When the permissions cannot be set.
pub fn set_mode(path: &std::path::Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Starts `command` detached: a process group of its own (Unix: the terminal's Ctrl-C and hang-up go
/// to the foreground group, not to it), no standard streams, never waited for. Returns its pid.
///
/// # Errors
/// When the program cannot be started.
pub fn spawn_detached(command: &mut Command) -> std::io::Result<u32> {
    own_group(command).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    // Windows: no console of its own or of this one (closing the prompt does not end it), and a process
    // group of its own (the prompt's Ctrl-C does not reach it).
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt as _;
        command.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
    }
    let child: Child = command.spawn()?;
    // The helper is not waited for: it outlives this process, and init reaps it.
    Ok(child.id())
}

/// Whether systemd is the init process (PID 1) here and this process shares its network namespace:
/// only then may `systemd-run` arm the revert, since PID 1 runs the timer's job in its own namespace,
/// and a revert must act on the network the run changed (inside `ip netns exec`, a container or the
/// test lab, the detached helper does instead). An unreadable namespace link counts as another one.
#[must_use]
pub fn systemd_runs_the_host() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let net = |pid: &str| std::fs::read_link(format!("/proc/{pid}/ns/net")).ok();
    std::path::Path::new("/run/systemd/system").is_dir()
        && std::fs::read_to_string("/proc/1/comm").is_ok_and(|comm| comm.trim() == "systemd")
        && net("1").is_some_and(|init| net("self").is_some_and(|own| own == init))
}

/// Whether [`alive`] can tell a dead process from a live one here (Linux, Windows). Elsewhere every
/// pid is said alive, so a lock is never taken over and a revert waits for its run: the safe side.
#[must_use]
pub fn liveness_known() -> bool {
    cfg!(any(target_os = "linux", windows))
}

/// Whether a process with this pid is alive (Linux: its `/proc` entry; Windows: it opens and has no
/// exit code yet; elsewhere unknown, said alive).
#[must_use]
pub fn alive(pid: u32) -> bool {
    #[cfg(windows)]
    {
        return super::windows::apply::alive(pid);
    }
    #[allow(unreachable_code)]
    if !cfg!(target_os = "linux") {
        return true;
    }
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

/// Whether this process may change the host: root on Linux, an elevated token on Windows (an
/// administrator's prompt opened with "Run as administrator").
#[must_use]
pub fn may_change_host() -> bool {
    #[cfg(windows)]
    {
        return super::windows::apply::elevated();
    }
    #[allow(unreachable_code)]
    is_root()
}

/// Whether this process runs as root (Unix), the precondition of applying a change.
#[must_use]
pub fn is_root() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
    })
}

/// What an interface rides on: its VLAN parent or other lower devices, its bridge or bond master
/// (Linux /sys; empty elsewhere).
#[must_use]
pub fn lower_devices(interface: &str) -> Vec<String> {
    let base = std::path::Path::new("/sys/class/net").join(interface);
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(lower) = name.strip_prefix("lower_") {
                found.push(lower.to_owned());
            }
        }
    }
    if let Ok(master) = std::fs::read_link(base.join("master"))
        && let Some(name) = master.file_name()
    {
        found.push(name.to_string_lossy().into_owned());
    }
    found
}

/// Bridges with a port of a container or a virtual machine (veth, tap, vnet, vif), from /sys.
#[must_use]
pub fn guest_bridges() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/sys/class/net") else { return Vec::new() };
    let guest = |port: &str| ["veth", "tap", "vnet", "vif", "docker"].iter().any(|p| port.starts_with(p));
    entries
        .flatten()
        .filter_map(|entry| {
            let bridge = entry.file_name().to_string_lossy().into_owned();
            let ports = std::fs::read_dir(entry.path().join("brif")).ok()?;
            ports.flatten().any(|p| guest(&p.file_name().to_string_lossy())).then_some(bridge)
        })
        .collect()
}

/// The interfaces IPv4 default routes leave by, from /proc/net/route (Linux; empty elsewhere): the
/// guard's own reading, beside the check report's.
#[must_use]
pub fn default_route_interfaces() -> Vec<String> {
    let Ok(table) = std::fs::read_to_string("/proc/net/route") else { return Vec::new() };
    let mut found: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(1) == Some(&"00000000") && fields.get(7) == Some(&"00000000"))
                .then(|| fields[0].to_owned())
        })
        .collect();
    found.dedup();
    found
}
