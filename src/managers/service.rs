//! The service manager that runs the PBX: systemd (system or user unit), a Windows service, or a
//! container engine. Restarting the PBX is the one way to make it join the group again, and it drops
//! calls, so every step here is disruptive and has no undo.

use crate::facts::{Service, ServiceManager};
use crate::fix::{Manager, Native, Os, Step};

/// How the PBX's service is restarted: the command, or, when no command names it (a pod's container,
/// a scope), what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restart {
    /// Run by root (`sudo` included where the OS has it).
    Command(String),
    /// A user unit, restarted by that user.
    AsUser { command: String, uid: Option<u32> },
    /// No command restarts it; its label.
    Unnamed(String),
}

/// How to restart `service`.
#[must_use]
pub fn restart(service: &Service) -> Restart {
    let name = &service.name;
    let command = match (service.manager, service.runtime.as_deref()) {
        (ServiceManager::Systemd, _) => format!("sudo systemctl restart {name}"),
        (ServiceManager::SystemdUser, _) => {
            return Restart::AsUser {
                command: format!("systemctl --user restart {name}"),
                uid: service.user,
            };
        }
        (ServiceManager::WindowsService, _) => {
            format!("Restart-Service -Name {}", crate::quote::powershell(name))
        }
        (ServiceManager::Container, Some("docker")) => format!("sudo docker restart {name}"),
        (ServiceManager::Container, Some("podman")) => format!("podman restart {name}"),
        (ServiceManager::Container, Some("lxc")) => format!("sudo lxc-stop --reboot -n {name}"),
        (ServiceManager::Container, Some("systemd-nspawn")) => format!("sudo machinectl reboot {name}"),
        // A pod's container is restarted by deleting its pod, whose name the cgroup does not give.
        (ServiceManager::Container | ServiceManager::SystemdScope, _) => {
            return Restart::Unnamed(service.label());
        }
    };
    Restart::Command(command)
}

/// The step that restarts the PBX so that it joins again; manual when its service is not known.
#[must_use]
pub fn restart_step(service: Option<&Service>) -> Step {
    const CHANGES: &str = "restart the PBX so it joins again";
    let os = if service.is_some_and(|s| s.manager == ServiceManager::WindowsService) {
        Os::Windows
    } else {
        Os::Linux
    };
    match service.map(restart) {
        Some(Restart::Command(command) | Restart::AsUser { command, .. }) => {
            let step = Step::new(os, Manager::ServiceManager, CHANGES, command).disruptive().rejoins();
            // Windows' service manager restarts it natively (OpenSCManager, ControlService, StartService).
            match service {
                Some(s) if os == Os::Windows => step.native(Native::RestartService { name: s.name.clone() }),
                _ => step,
            }
        }
        Some(Restart::Unnamed(_)) | None => {
            Step::manual(format!("{CHANGES} (its service was not found)")).rejoins()
        }
    }
}
