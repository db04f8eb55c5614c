//! The two facts a lasting fix needs, end to end in a lab: which tool configures the phones'
//! interface (netplan's YAML, then an ifupdown stanza, written into a private overlay of `/etc` so
//! the machine's own files never change), and which service runs the PBX (the lab PBX put into a
//! cgroup named like a systemd unit, as systemd does for a unit). The PBX joined the wrong NIC, so
//! the route's fix must name the manager in use alone, and "restart the PBX" the unit.

#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};

use common::{Lab, PYTHON3, in_private_mounts, marked_reports, private_overlays, stdout};

/// pbx with `lan` (198.51.100.10/24, to the phone) and `wan` (203.0.113.10/24, default route); the lab
/// PBX joined on `wan`, the wrong NIC.
fn wrong_nic(test: &str) -> Option<(Lab, String)> {
    let mut lab = Lab::with(test, &[PYTHON3, common::UNSHARE])?;
    let pbx = lab.two_nic_pbx();
    lab.ip(&pbx, &["route", "add", "default", "via", "203.0.113.1"]);
    lab.start_pbx(&pbx, "203.0.113.10", "");
    Some((lab, pbx))
}

/// A process moved into a cgroup named like a systemd unit at the root of a writable hierarchy
/// (cgroup v2, else v1's `name=systemd`), and moved back when dropped.
struct FakeUnit {
    root: PathBuf,
    dir: PathBuf,
    pid: String,
}

impl FakeUnit {
    fn new(pid: &str, unit: &str) -> Option<Self> {
        let pure_v2 = Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
        let roots: &[&str] =
            if pure_v2 { &["/sys/fs/cgroup"] } else { &["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"] };
        roots.iter().find_map(|root| {
            let dir = Path::new(root).join(unit);
            std::fs::create_dir_all(&dir).ok()?;
            let unit = Self { root: PathBuf::from(root), dir, pid: pid.to_owned() };
            std::fs::write(unit.dir.join("cgroup.procs"), pid).ok().map(|()| unit)
        })
    }
}

impl Drop for FakeUnit {
    fn drop(&mut self) {
        let _ = std::fs::write(self.root.join("cgroup.procs"), &self.pid);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

lab_test!(the_fix_names_the_manager_in_use_and_the_pbx_unit, wrong_nic(), |(lab, pbx)| {
    let pids = stdout(&std::process::Command::new("ip").args(["netns", "pids", &pbx]).output().unwrap());
    let pid = pids.lines().next().expect("the lab PBX runs").trim().to_owned();
    let unit = format!("mcready-lab-{}.service", std::process::id());
    let Some(_unit) = FakeUnit::new(&pid, &unit) else {
        common::skip("the_fix_names_the_manager_in_use_and_the_pbx_unit", "no writable cgroup hierarchy");
        return;
    };
    let bin = common::mcready_bin();
    let check = format!("{} check --no-probe --phone 198.51.100.20", bin.display());
    let joins = format!("{} joins", bin.display());
    let script = private_overlays(&["etc", "run"])
        + &format!(
            r"findmnt -n -o FSTYPE /etc | grep -qx overlay
mkdir -p /etc/netplan /etc/network
printf 'network:\n  version: 2\n  ethernets:\n    lan:\n      addresses: [198.51.100.10/24]\n' > /etc/netplan/60-lab.yaml
echo @@REPORT@@; {check} --json || true
{check} --color never || true
{joins} --color never || true
rm /etc/netplan/60-lab.yaml
printf 'source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n' > /etc/network/interfaces
mkdir -p /etc/network/interfaces.d
printf 'auto lan\niface lan inet static\n    address 198.51.100.10/24\n' > /etc/network/interfaces.d/lan
echo @@REPORT@@; {check} --json || true
"
        );
    let out = in_private_mounts(&lab, &pbx, &script);
    let text = stdout(&out);
    let reports = marked_reports(&text);
    assert_eq!(reports.len(), 2, "{text}\n{}", String::from_utf8_lossy(&out.stderr));

    let netplan = &reports[0];
    let lan = netplan["facts"]["network_manager"]["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["interface"] == "lan")
        .unwrap_or_else(|| panic!("{netplan:#}"))
        .clone();
    assert_eq!(
        (lan["manager"].as_str(), lan["renderer"].as_str(), lan["file"].as_str()),
        (Some("netplan"), Some("systemd-networkd"), Some("/etc/netplan/60-lab.yaml")),
        "{lan:#}"
    );
    let service = &netplan["facts"]["listeners"][0]["processes"][0]["service"];
    assert_eq!(
        (service["manager"].as_str(), service["name"].as_str()),
        (Some("systemd"), Some(unit.as_str())),
        "{netplan:#}"
    );
    let fix = common::check_field(netplan, "membership.on-pnp-interface", "remedy");
    assert!(fix.contains("in /etc/netplan/60-lab.yaml, then `sudo netplan apply`"), "{fix}");
    assert!(!fix.contains("nmcli") && !fix.contains("/etc/network/interfaces"), "only netplan: {fix}");
    assert!(fix.contains(&format!("Restart the PBX (`sudo systemctl restart {unit}`)")), "{fix}");
    // The text facts say each in one line.
    assert!(
        text.contains("lan is configured by netplan (renderer systemd-networkd, /etc/netplan/60-lab.yaml)"),
        "{text}"
    );
    assert!(text.contains(&format!("the PBX holding the port runs as systemd unit {unit}")), "{text}");
    // `joins` names it beside the process.
    assert!(text.contains(&format!("(pid {pid}, systemd unit {unit}) holds udp")), "{text}");

    let ifupdown = &reports[1];
    let fix = common::check_field(ifupdown, "membership.on-pnp-interface", "remedy");
    assert!(fix.contains("under `iface lan` in /etc/network/interfaces.d/lan"), "{fix}");
    assert!(!fix.contains("netplan") && !fix.contains("nmcli"), "only ifupdown: {fix}");
});
