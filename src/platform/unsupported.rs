//! Host facts on operating systems mcready does not read yet: every call says so plainly.

use super::privilege::Privileges;
use super::{GatherError, GatherOptions, HostInfo};
use crate::facts::HostFacts;

pub fn gather(
    _options: &GatherOptions,
    _recording: &mut super::recording::Recording,
) -> Result<HostFacts, GatherError> {
    Err(GatherError::Unsupported { os: std::env::consts::OS })
}

pub fn host_info() -> HostInfo {
    HostInfo {
        hostname: String::new(),
        os: std::env::consts::OS,
        os_version: None,
        kernel: None,
        privileged: false,
    }
}

pub fn privileges() -> Privileges {
    Privileges::default()
}

pub fn udp_socket_drops(_port: u16) -> Option<Vec<(u64, u64)>> {
    None
}
