//! Pure: the service a Linux process runs as, from the text of its `/proc/PID/cgroup` — the systemd
//! unit (`0::/system.slice/asterisk.service` is `asterisk.service`), a user's unit, a scope (a login
//! session: nothing to restart), or the container it runs in (`docker-<id>.scope` is a container, not
//! a unit). Builds and is tested on every OS.
//!
//! ```
//! use mcready::facts::ServiceManager;
//! let service = mcready::platform::cgroup::service("0::/system.slice/asterisk.service\n").unwrap();
//! assert_eq!((service.manager, service.name.as_str()), (ServiceManager::Systemd, "asterisk.service"));
//! ```
//!
//! The names found here end up in commands a person pastes (`systemctl restart NAME`), so a unit name
//! is kept only when it uses the characters systemd allows in one, and a container id only when hex.

use crate::facts::{Service, ServiceManager};

/// The service of the process whose `/proc/PID/cgroup` is `text`; `None` for the root cgroup (a
/// process outside any unit, or a cgroup namespace that hides the host's tree) and for text that
/// names nothing known.
#[must_use]
pub fn service(text: &str) -> Option<Service> {
    // cgroup v2 (`0::PATH`) is systemd's own tree on a unified host; on a v1 or hybrid host the
    // `name=systemd` hierarchy is; the other v1 controllers still show Docker's `/docker/<id>` when
    // Docker manages cgroups itself (cgroupfs driver).
    let mut v2 = None;
    let mut named = None;
    let mut others = Vec::new();
    for line in text.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            v2 = Some(path);
        } else if controllers == "name=systemd" {
            named = Some(path);
        } else {
            others.push(path);
        }
    }
    v2.into_iter().chain(named).chain(others).find_map(from_path)
}

/// The service a cgroup path names.
fn from_path(path: &str) -> Option<Service> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if let Some(container) = container(&parts) {
        return Some(container);
    }
    // A user's units live under `user@UID.service`: the unit that matters is the one below it.
    let user_at = parts.iter().rposition(|p| p.starts_with("user@") && p.ends_with(".service"));
    let (below, user) = match user_at {
        Some(at) => {
            let uid = parts[at].strip_prefix("user@")?.strip_suffix(".service")?.parse().ok();
            (&parts[at + 1..], uid)
        }
        None => (&parts[..], None),
    };
    let unit = |suffix: &str| below.iter().rev().find(|p| p.ends_with(suffix) && unit_name(p)).copied();
    let (manager, name) = match (unit(".service"), user) {
        (Some(name), Some(_)) => (ServiceManager::SystemdUser, name),
        (Some(name), None) => (ServiceManager::Systemd, name),
        (None, _) => (ServiceManager::SystemdScope, unit(".scope")?),
    };
    Some(Service { manager, name: name.to_owned(), runtime: None, user, display_name: None })
}

/// A scope's prefix, and the runtime it means. conmon (`libpod-conmon-<id>`) is podman's monitor, not
/// the container, and its pid holds no socket of the PBX.
const SCOPES: &[(&str, &str)] =
    &[("docker-", "docker"), ("libpod-", "podman"), ("cri-containerd-", "containerd"), ("crio-", "cri-o")];

/// A container the path runs in: the engines' own scope names under systemd, and the paths they make
/// when they manage cgroups themselves.
fn container(parts: &[&str]) -> Option<Service> {
    let found = |runtime: &str, name: &str| Service {
        manager: ServiceManager::Container,
        name: name.to_owned(),
        runtime: Some(runtime.to_owned()),
        user: None,
        display_name: None,
    };
    for part in parts {
        let Some(scope) = part.strip_suffix(".scope") else { continue };
        for (prefix, runtime) in SCOPES {
            if let Some(id) = scope.strip_prefix(prefix).filter(|id| is_hex_id(id)) {
                return Some(found(runtime, short_id(id)));
            }
        }
    }
    for (at, part) in parts.iter().enumerate() {
        let next = parts.get(at + 1).copied();
        match (*part, next) {
            ("docker", Some(id)) if is_hex_id(id) => return Some(found("docker", short_id(id))),
            ("lxc", Some(name)) if plain_name(name) => return Some(found("lxc", name)),
            _ => {}
        }
        if let Some(name) = part.strip_prefix("lxc.payload.").filter(|n| plain_name(n)) {
            return Some(found("lxc", name));
        }
        if let Some(name) = part
            .strip_prefix("systemd-nspawn@")
            .and_then(|p| p.strip_suffix(".service"))
            .filter(|n| plain_name(n))
        {
            return Some(found("systemd-nspawn", name));
        }
    }
    // Kubernetes with its own cgroup driver: `/kubepods/<class>/pod<uid>/<container id>`.
    if parts.iter().any(|p| p.starts_with("kubepods")) {
        let id = parts.iter().rev().find(|p| is_hex_id(p))?;
        return Some(found("kubernetes", short_id(id)));
    }
    None
}

/// A container id as engines print it: 64 hex digits (some tests and engines use fewer; at least 12).
fn is_hex_id(id: &str) -> bool {
    (12..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The 12 digits `docker ps` and `podman ps` show.
fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// The characters systemd allows in a unit name (`\x2d` escapes included); anything else is not a
/// unit, or not one to paste into a shell.
fn unit_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b":-_.\\@".contains(&b))
}

/// A container or machine name that is safe to print in a command.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Found = Option<(ServiceManager, String, Option<String>, Option<u32>)>;

    fn unit(text: &str) -> Found {
        service(text).map(|s| (s.manager, s.name, s.runtime, s.user))
    }

    #[allow(clippy::unnecessary_wraps)] // compared with what `unit` returns
    fn system(name: &str) -> Found {
        Some((ServiceManager::Systemd, name.into(), None, None))
    }

    #[allow(clippy::unnecessary_wraps)] // compared with what `unit` returns
    fn container(runtime: &str, id: &str) -> Found {
        Some((ServiceManager::Container, id.into(), Some(runtime.into()), None))
    }

    const ID: &str = "3f2a9c41d07be5a1c0ffee0123456789abcdef0123456789abcdef0123456789";

    #[test]
    fn a_system_unit_on_a_unified_host() {
        // Debian 12, asterisk from its package.
        assert_eq!(unit("0::/system.slice/asterisk.service\n"), system("asterisk.service"));
        // A service that delegates sub-cgroups (freeswitch under a payload group).
        assert_eq!(unit("0::/system.slice/freeswitch.service/payload\n"), system("freeswitch.service"));
        // A templated unit keeps its instance.
        assert_eq!(
            unit("0::/system.slice/system-kamailio.slice/kamailio@lan.service\n"),
            system("kamailio@lan.service")
        );
    }

    #[test]
    fn a_system_unit_on_a_hybrid_or_v1_host() {
        let hybrid = "12:memory:/system.slice/asterisk.service\n11:devices:/system.slice/asterisk.service\n\
                      1:name=systemd:/system.slice/asterisk.service\n0::/system.slice/asterisk.service\n";
        assert_eq!(unit(hybrid), system("asterisk.service"));
        // CentOS 7: v1 only, no `0::` line.
        let v1 =
            "11:cpuset:/\n4:memory:/system.slice/yate.service\n1:name=systemd:/system.slice/yate.service\n";
        assert_eq!(unit(v1), system("yate.service"));
    }

    #[test]
    fn a_user_unit_and_a_login_session() {
        let user = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/baresip.service\n";
        assert_eq!(
            unit(user),
            Some((ServiceManager::SystemdUser, "baresip.service".into(), None, Some(1000)))
        );
        // Started by hand from a shell: a scope, which systemd cannot restart.
        let session = "0::/user.slice/user-1000.slice/session-3.scope\n";
        assert_eq!(unit(session), Some((ServiceManager::SystemdScope, "session-3.scope".into(), None, None)));
        // systemd-run --scope, and a user manager's own processes.
        assert_eq!(
            unit("0::/system.slice/run-r5c1e.scope\n").map(|u| u.0),
            Some(ServiceManager::SystemdScope)
        );
        let manager = "0::/user.slice/user-1000.slice/user@1000.service/init.scope\n";
        assert_eq!(unit(manager).map(|u| (u.0, u.3)), Some((ServiceManager::SystemdScope, Some(1000))));
    }

    #[test]
    fn containers_are_named_as_containers() {
        let short = &ID[..12];
        assert_eq!(unit(&format!("0::/system.slice/docker-{ID}.scope\n")), container("docker", short));
        // Docker's cgroupfs driver on a v1 host.
        let v1 = format!("12:pids:/docker/{ID}\n1:name=systemd:/docker/{ID}\n0::/\n");
        assert_eq!(unit(&v1), container("docker", short));
        assert_eq!(unit(&format!("0::/docker/{ID}\n")), container("docker", short));
        assert_eq!(
            unit(&format!("0::/machine.slice/libpod-{ID}.scope/container\n")),
            container("podman", short)
        );
        let rootless =
            format!("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope\n");
        assert_eq!(unit(&rootless), container("podman", short));
        let k8s = format!(
            "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0c1d.slice/cri-containerd-{ID}.scope\n"
        );
        assert_eq!(unit(&k8s), container("containerd", short));
        assert_eq!(
            unit(&format!("0::/kubepods/besteffort/pod0c1d-22/{ID}\n")),
            container("kubernetes", short)
        );
        assert_eq!(unit("0::/lxc.payload.pbx1/system.slice/asterisk.service\n"), container("lxc", "pbx1"));
        assert_eq!(
            unit("0::/machine.slice/systemd-nspawn@voip.service/payload/system.slice/asterisk.service\n"),
            container("systemd-nspawn", "voip")
        );
    }

    #[test]
    fn nothing_known_is_none() {
        // Outside any unit, or inside a cgroup namespace (a container's own view).
        assert_eq!(unit("0::/\n"), None);
        assert_eq!(unit("0::/init.scope\n").map(|u| u.0), Some(ServiceManager::SystemdScope));
        assert_eq!(unit("0::/user.slice\n"), None);
        assert_eq!(unit(""), None);
        assert_eq!(unit("garbage\n::\n0:\n"), None);
        // A name that is no unit (a space, a quote) is never handed on to a command.
        assert_eq!(unit("0::/system.slice/evil'name.service\n"), None);
        assert_eq!(unit("0::/system.slice/a b.service\n"), None);
        assert_eq!(
            unit("0::/system.slice/docker-xyz.scope\n").map(|u| u.0),
            Some(ServiceManager::SystemdScope)
        );
    }
}
