//! What this process may do, discovered rather than assumed, so callers degrade instead of failing: a
//! passive capture needs raw sockets, and without them a check says `skip` with the reason.

use serde::Serialize;

/// The privileges that change what mcready can observe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Privileges {
    /// Effective user id 0 (Unix) or an elevated token (Windows).
    pub admin: bool,
    /// May open raw and packet sockets (`CAP_NET_RAW` on Linux).
    pub raw_sockets: bool,
    /// May change network configuration (`CAP_NET_ADMIN` on Linux).
    pub net_admin: bool,
}

impl Privileges {
    /// Discovers the current process's privileges.
    #[must_use]
    pub fn discover() -> Self {
        super::os::privileges()
    }
}

const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;

/// Reads `Uid:` and `CapEff:` from the text of Linux's `/proc/self/status`.
#[must_use]
pub fn from_proc_status(text: &str) -> Option<Privileges> {
    let field = |name: &str| text.lines().find_map(|line| line.strip_prefix(name)).map(str::split_whitespace);
    // `Uid:` lists real, effective, saved and filesystem ids; the effective one decides.
    let effective_uid: u32 = field("Uid:")?.nth(1)?.parse().ok()?;
    let capabilities = u64::from_str_radix(field("CapEff:")?.next()?, 16).ok()?;
    let has = |bit: u32| capabilities & (1u64 << bit) != 0;
    Some(Privileges {
        admin: effective_uid == 0,
        raw_sockets: has(CAP_NET_RAW),
        net_admin: has(CAP_NET_ADMIN),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_with_full_capabilities() {
        let status = "Name:\tmcready\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n";
        assert_eq!(
            from_proc_status(status),
            Some(Privileges { admin: true, raw_sockets: true, net_admin: true })
        );
    }

    #[test]
    fn user_with_only_net_raw() {
        let status = "Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000002000\n";
        assert_eq!(
            from_proc_status(status),
            Some(Privileges { admin: false, raw_sockets: true, net_admin: false })
        );
    }

    #[test]
    fn unreadable_status_is_none() {
        assert_eq!(from_proc_status(""), None);
        assert_eq!(from_proc_status("Uid:\tx\nCapEff:\t0\n"), None);
        assert_eq!(from_proc_status("Uid:\t0 0\nCapEff:\tzz\n"), None);
    }
}
