//! A network lab for tests: hosts are network namespaces this test creates, wired with veth pairs,
//! Linux bridges and nftables, and removed when the [`Lab`] drops. Nothing leaves the namespaces.
//!
//! Only 198.51.100.0/24 and 203.0.113.0/24 are used inside. Without root (or without `ip`), a lab
//! cannot be built: [`Lab::new`] prints why and returns `None`, and the test returns early — unless
//! `MCREADY_REQUIRE_NETNS=1` is set (CI sets it), where that is a failure, so CI can never skip them.
//!
//! The same goes for every other program a test runs (sipp, python3, nft, setpriv, …): the test names
//! them with [`Lab::with`] (or [`require`] when it builds no lab), and a missing one is a printed
//! `SKIP <test>: needs sipp (Debian package sip-tester)` — or, under `MCREADY_REQUIRE_NETNS=1`, a
//! failure with that reason. `.ci/run` installs each package named here.

// Each test binary uses its own subset of the lab; methods take `&self` so tests read as "the lab does X".
// A lab step that fails panics with what failed: that is the test failing, as an unwrap in it would.
#![allow(dead_code, clippy::unused_self, clippy::unwrap_used, clippy::expect_used)]

pub mod frames;
mod macros;

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT_LAB: AtomicU32 = AtomicU32::new(0);

/// A set of namespaces owned by one test.
pub struct Lab {
    prefix: String,
    hosts: Vec<String>,
    children: Vec<Child>,
}

impl Lab {
    /// A new, empty lab; `None` (with the reason printed) when this process cannot build one.
    pub fn new(test: &str) -> Option<Self> {
        Self::with(test, &[])
    }

    /// A new, empty lab for a test that also runs `programs`; `None` (with the reason printed) when
    /// this process cannot build a lab or one of the programs is missing.
    pub fn with(test: &str, programs: &[Program]) -> Option<Self> {
        if !is_root() {
            skip(test, "needs root to create network namespaces");
            return None;
        }
        if !require(test, &[IP]) || !require(test, programs) {
            return None;
        }
        let id = NEXT_LAB.fetch_add(1, Ordering::SeqCst);
        Some(Self {
            prefix: format!("mcr{}-{id}", std::process::id()),
            hosts: Vec::new(),
            children: Vec::new(),
        })
    }

    /// Adds a host (a namespace with `lo` up) and returns its namespace name.
    pub fn host(&mut self, name: &str) -> String {
        let ns = format!("{}-{name}", self.prefix);
        run(&["ip", "netns", "add", &ns]);
        self.hosts.push(ns.clone());
        self.ip(&ns, &["link", "set", "lo", "up"]);
        ns
    }

    /// Runs `ip ARGS` inside `ns`, panicking with its stderr when it fails.
    pub fn ip(&self, ns: &str, args: &[&str]) {
        let mut full = vec!["ip", "-n", ns];
        full.extend_from_slice(args);
        run(&full);
    }

    /// Like [`Lab::ip`], but reports whether it worked (for kernel features that may be missing).
    pub fn try_ip(&self, ns: &str, args: &[&str]) -> bool {
        Command::new("ip").args(["-n", ns]).args(args).output().is_ok_and(|o| o.status.success())
    }

    /// A veth pair: `a_if` in `a`, `b_if` in `b`, both up.
    pub fn veth(&self, a: &str, a_if: &str, b: &str, b_if: &str) {
        run(&["ip", "link", "add", a_if, "netns", a, "type", "veth", "peer", "name", b_if, "netns", b]);
        self.ip(a, &["link", "set", a_if, "up"]);
        self.ip(b, &["link", "set", b_if, "up"]);
    }

    /// Gives `interface` in `ns` an address like `198.51.100.10/24`.
    pub fn addr(&self, ns: &str, interface: &str, cidr: &str) {
        self.ip(ns, &["addr", "add", cidr, "dev", interface]);
    }

    /// Runs a shell command inside `ns` and returns its output.
    pub fn sh(&self, ns: &str, script: &str) -> Output {
        self.exec(ns).args(["sh", "-c", script]).output().expect("ip netns exec")
    }

    /// `ip netns exec NS` with `MCREADY_FIX_ROOT` set to the lab's own tree: whatever `mcready fix`
    /// runs in the lab keeps its confirmed changes there, never in the machine's /etc (a test names
    /// its own tree to look at what was kept).
    fn exec(&self, ns: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", ns]).env("MCREADY_FIX_ROOT", self.fix_root());
        command
    }

    /// Where `mcready fix` keeps confirmed changes in this lab unless a test says otherwise; removed
    /// when the lab drops.
    pub fn fix_root(&self) -> PathBuf {
        std::env::temp_dir().join(format!("{}-fix-root", self.prefix))
    }

    /// Starts a shell command inside `ns` in the background; it is killed when the lab drops.
    pub fn spawn(&mut self, ns: &str, script: &str) {
        let child = self
            .exec(ns)
            .args(["sh", "-c", script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn in namespace");
        self.children.push(child);
    }

    /// Starts a process in `ns` that joins `group` on `interface_addr` and holds the membership until
    /// the lab drops (a PBX that joined the PnP group, as far as the kernel can tell).
    pub fn join(&mut self, ns: &str, group: &str, interface_addr: &str) {
        let script = format!(
            "exec python3 -c 'import socket,time\n\
             s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
             s.setsockopt(socket.IPPROTO_IP,socket.IP_ADD_MEMBERSHIP,socket.inet_aton(\"{group}\")+socket.inet_aton(\"{interface_addr}\"))\n\
             open(\"/dev/stdout\",\"w\").write(\"joined\\n\")\n\
             time.sleep(600)'"
        );
        self.spawn(ns, &script);
        // The join is done when the kernel lists it; poll rather than sleep a guessed time.
        let hex = group_hex(group);
        for _ in 0..200 {
            let igmp = self.sh(ns, "cat /proc/net/igmp");
            if String::from_utf8_lossy(&igmp.stdout).contains(&hex) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("{group} never appeared in {ns}'s /proc/net/igmp (is python3 installed?)");
    }

    /// Runs `f` on a thread that has entered `ns`, and returns its result. Sockets `f` creates belong
    /// to `ns` for their whole life, wherever they are used afterwards; interface lookups inside `f`
    /// see `ns`'s interfaces. Panics (so nothing is ever sent from the root namespace) if the thread
    /// cannot enter `ns`.
    #[cfg(target_os = "linux")]
    pub fn in_netns<T: Send>(&self, ns: &str, f: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    enter_netns(ns);
                    f()
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// A Linux bridge `name` in `ns`, up, created with extra `ip link` bridge options such as
    /// `["mcast_snooping", "1", "mcast_querier", "1", "mcast_query_interval", "100"]`.
    pub fn bridge(&self, ns: &str, name: &str, options: &[&str]) {
        let mut args = vec!["link", "add", name, "type", "bridge"];
        args.extend_from_slice(options);
        self.ip(ns, &args);
        self.ip(ns, &["link", "set", name, "up"]);
    }

    /// Makes `port` (an interface in `ns`) a port of `bridge`.
    pub fn bridge_port(&self, ns: &str, bridge: &str, port: &str) {
        self.ip(ns, &["link", "set", port, "master", bridge]);
        self.ip(ns, &["link", "set", port, "up"]);
    }

    /// Turns flooding of unknown multicast on or off for one bridge port.
    pub fn bridge_port_mcast_flood(&self, ns: &str, port: &str, on: bool) {
        self.ip(
            ns,
            &[
                "link",
                "set",
                "dev",
                port,
                "type",
                "bridge_slave",
                "mcast_flood",
                if on { "on" } else { "off" },
            ],
        );
    }

    /// Runs `PROGRAM ARGS` inside `ns` with `input` on its stdin, panicking with its stderr when it
    /// fails: a ruleset that does not load must fail the test, not leave an open firewall behind.
    pub fn feed(&self, ns: &str, program_and_args: &[&str], input: &str) {
        use std::io::Write;
        let mut child = self
            .exec(ns)
            .args(program_and_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ip netns exec");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "`{}` in {ns} failed: {}",
            program_and_args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Loads an nftables ruleset into `ns` with `nft -f -` (remember: `fwd` is a keyword, not a name).
    pub fn nft(&self, ns: &str, ruleset: &str) {
        self.feed(ns, &["nft", "-f", "-"], ruleset);
    }

    /// A host firewall in `ns` that drops inbound UDP to `port` (table `inet t`, chain `input`).
    pub fn drop_udp_input(&self, ns: &str, port: u16) {
        self.nft(
            ns,
            &format!(
                "table inet t {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n    udp dport {port} drop\n  }}\n}}\n"
            ),
        );
    }

    /// Starts a process in `ns` bound to `address:port` over UDP — with `SO_REUSEADDR` when `reuse`
    /// (a PBX that shares), without it otherwise (a PBX that holds the port exclusively) — and returns
    /// once the kernel lists the socket.
    pub fn hold_udp_port(&mut self, ns: &str, address: &str, port: u16, reuse: bool) {
        let reuse_line = if reuse { "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n" } else { "" };
        let script = format!(
            "exec python3 -c 'import socket,time\n\
             s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
             {reuse_line}\
             s.bind((\"{address}\",{port}))\n\
             time.sleep(600)'"
        );
        self.spawn(ns, &script);
        assert!(
            self.wait_udp_bound(ns, port),
            "no process in {ns} ever bound UDP {address}:{port} (is python3 installed?)"
        );
    }

    /// Whether some socket in `ns` is bound to UDP `port` right now.
    pub fn udp_bound(&self, ns: &str, port: u16) -> bool {
        let needle = format!(":{port:04X}");
        let udp = stdout(&self.sh(ns, "cat /proc/net/udp"));
        udp.lines().filter_map(|l| l.split_whitespace().nth(1)).any(|local| local.ends_with(&needle))
    }

    /// Polls `ns`'s `/proc/net/udp` (about 5 s at most) until some socket is bound to `port`; whether
    /// one was.
    pub fn wait_udp_bound(&self, ns: &str, port: u16) -> bool {
        for _ in 0..500 {
            if self.udp_bound(ns, port) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        false
    }

    /// Starts `mcready ARGS` in `ns` in the background with stdout and stderr appended to `log` (a
    /// file the test reads later); killed when the lab drops.
    pub fn spawn_mcready(&mut self, ns: &str, args: &[&str], log: &std::path::Path) {
        let quoted: Vec<String> = args.iter().map(|a| format!("'{}'", a.replace('\'', "'\\''"))).collect();
        let script =
            format!("exec '{}' {} >>'{}' 2>&1", mcready_bin().display(), quoted.join(" "), log.display());
        self.spawn(ns, &script);
    }

    /// `mcready ARGS` run inside `ns`.
    pub fn mcready(&self, ns: &str, args: &[&str]) -> Output {
        self.mcready_with(ns, &[], args)
    }

    /// [`Self::mcready`] with `env` set (`MCREADY_FIX_ROOT`, …).
    pub fn mcready_with(&self, ns: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
        self.exec(ns).arg(mcready_bin()).args(args).envs(env.iter().copied()).output().expect("run mcready")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in &self.hosts {
            // Processes still inside (started by scripts) die with a kill; then the namespace goes.
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").arg(pid).output();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
        let _ = std::fs::remove_dir_all(self.fix_root());
    }
}

/// Moves the calling thread into network namespace `ns` and proves it did, by comparing the
/// namespace inodes: a test must never fall back to the root namespace.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn enter_netns(ns: &str) {
    use std::os::fd::AsRawFd as _;
    use std::os::unix::fs::MetadataExt as _;
    let path = format!("/run/netns/{ns}");
    let target = std::fs::File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    // SAFETY: `target` is an open namespace file for the whole call; setns changes only this thread.
    let rc = unsafe { libc::setns(target.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns into {ns}: {}", std::io::Error::last_os_error());
    let wanted = target.metadata().expect("stat the namespace file").ino();
    let now_in = std::fs::metadata("/proc/thread-self/ns/net").expect("stat this thread's namespace").ino();
    assert_eq!(wanted, now_in, "this thread is not in {ns} after setns; refusing to go on");
}

/// Two hosts `a` (198.51.100.10/24) and `b` (198.51.100.20/24) on one veth link, each with `eth0`, for
/// a test that runs `programs`.
pub fn two_hosts(test: &str, programs: &[Program]) -> Option<(Lab, String, String)> {
    let mut lab = Lab::with(test, programs)?;
    let a = lab.host("a");
    let b = lab.host("b");
    lab.veth(&a, "eth0", &b, "eth0");
    lab.addr(&a, "eth0", "198.51.100.10/24");
    lab.addr(&b, "eth0", "198.51.100.20/24");
    Some((lab, a, b))
}

/// `eth0` of a lab host as the sockets see it, looked up from inside its namespace.
#[cfg(target_os = "linux")]
pub fn eth0(lab: &Lab, ns: &str, address: std::net::Ipv4Addr) -> mcready::net::LocalInterface {
    lab.in_netns(ns, || mcready::net::LocalInterface::lookup("eth0", address)).expect("eth0 in the lab host")
}

/// The binary under test.
pub fn mcready_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mcready"))
}

/// A program a test runs, and the Debian package that installs it (named when it is missing).
#[derive(Debug, Clone, Copy)]
pub struct Program {
    pub name: &'static str,
    pub package: &'static str,
}

pub const IP: Program = Program { name: "ip", package: "iproute2" };
/// Bridge options for a switch that snoops IGMP and is the querier, querying every second so a lab
/// test hears it quickly.
pub const QUERIER: &[&str] = &[
    "mcast_snooping",
    "1",
    "mcast_querier",
    "1",
    "mcast_query_interval",
    "100",
    "mcast_startup_query_interval",
    "100",
];
/// Bridge options for a switch that snoops IGMP with no querier on the LAN.
pub const NO_QUERIER: &[&str] = &["mcast_snooping", "1", "mcast_querier", "0"];

/// The lab's stand-in PBX sockets and joins ([`Lab::join`], [`Lab::hold_udp_port`], `fixtures/*.py`).
pub const PYTHON3: Program = Program { name: "python3", package: "python3" };
/// A phone that boots: sends the PnP SUBSCRIBE of `fixtures/sipp/*.xml`.
pub const SIPP: Program = Program { name: "sipp", package: "sip-tester" };
/// Host and switch firewalls ([`Lab::nft`], [`Lab::drop_udp_input`]); mcready's firewall reader runs it.
pub const NFT: Program = Program { name: "nft", package: "nftables" };
pub const IPTABLES_NFT_RESTORE: Program = Program { name: "iptables-nft-restore", package: "iptables" };
pub const IPTABLES_NFT_SAVE: Program = Program { name: "iptables-nft-save", package: "iptables" };
pub const IPTABLES_LEGACY_RESTORE: Program = Program { name: "iptables-legacy-restore", package: "iptables" };
pub const IPTABLES_LEGACY_SAVE: Program = Program { name: "iptables-legacy-save", package: "iptables" };
/// Runs a command as `nobody` or without capabilities.
pub const SETPRIV: Program = Program { name: "setpriv", package: "util-linux" };
pub const UNSHARE: Program = Program { name: "unshare", package: "util-linux" };
pub const SCRIPT: Program = Program { name: "script", package: "bsdutils" };
pub const UFW: Program = Program { name: "ufw", package: "ufw" };
/// netplan's own renderer, which checks the files `mcready fix` keeps a route in.
pub const NETPLAN: Program = Program { name: "netplan", package: "netplan.io" };
/// NetworkManager's client: `--offline` rewrites a keyfile as the daemon would.
pub const NMCLI: Program = Program { name: "nmcli", package: "network-manager" };
pub const FIREWALLD: Program = Program { name: "firewalld", package: "firewalld" };
pub const DBUS: Program = Program { name: "dbus-daemon", package: "dbus" };
pub const TSHARK: Program = Program { name: "tshark", package: "tshark" };
/// A real SIP server ([`fixtures/lab/kamailio-no-pnp.cfg`]): joins the group, does no PnP.
pub const KAMAILIO: Program = Program { name: "kamailio", package: "kamailio" };

/// Whether every one of `programs` is on `PATH`. For the first that is not, prints
/// `SKIP <test>: needs <program> (Debian package <package>)` and returns `false` — or panics with that
/// reason when `MCREADY_REQUIRE_NETNS` is set, so that CI never passes by skipping.
pub fn require(test: &str, programs: &[Program]) -> bool {
    match programs.iter().find(|program| !on_path(program.name)) {
        Some(missing) => {
            skip(test, &format!("needs {} (Debian package {})", missing.name, missing.package));
            false
        }
        None => true,
    }
}

/// Prints why `test` is skipped, or fails it when `MCREADY_REQUIRE_NETNS` forbids skipping.
pub fn skip(test: &str, reason: &str) {
    assert!(
        std::env::var_os("MCREADY_REQUIRE_NETNS").is_none(),
        "{test} {reason}, and MCREADY_REQUIRE_NETNS forbids skipping it"
    );
    eprintln!("SKIP {test}: {reason}");
}

/// Whether an executable file `name` is in a directory of `PATH` (the lookup `Command` does).
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .any(|dir| std::fs::metadata(dir.join(name)).is_ok_and(|m| m.is_file() && is_executable(&m)))
    })
}

#[cfg(unix)]
fn is_executable(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_metadata: &std::fs::Metadata) -> bool {
    true
}

/// Whether this process runs as root (user id 0).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|l| l.strip_prefix("Uid:").and_then(|ids| ids.split_whitespace().nth(1)) == Some("0"))
    })
}

fn run(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().expect("run command");
    assert!(out.status.success(), "`{}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// A group as `/proc/net/igmp` prints it on this (little- or big-endian) host.
fn group_hex(group: &str) -> String {
    let ip: std::net::Ipv4Addr = group.parse().expect("IPv4 group");
    format!("{:08X}", u32::from_ne_bytes(ip.octets()))
}

/// stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stdout parsed as JSON, with stderr shown when it is not.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}\nstderr: {}", stdout(out), String::from_utf8_lossy(&out.stderr))
    })
}

/// The lab's stand-in PBX (`tests/fixtures/lab/pbx.py`), as a path for `python3`.
pub const PBX_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lab/pbx.py");

impl Lab {
    /// Starts the stand-in PBX in `ns` on `address` with `args`, and waits until it joined the group
    /// and bound UDP 5060 (bounded polling, never a guessed sleep).
    pub fn start_pbx(&mut self, ns: &str, address: &str, args: &str) {
        self.spawn(ns, &format!("exec python3 {PBX_SCRIPT} {address} {args}"));
        // Up to 20 s: under a load of 6 to 12 the PBX once missed the earlier 3 s bound.
        for _ in 0..2000 {
            if stdout(&self.sh(ns, "cat /proc/net/igmp")).contains("4B0100E0") && self.udp_bound(ns, 5060) {
                // Its provisioning server thread starts beside the SIP socket.
                std::thread::sleep(std::time::Duration::from_millis(100));
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the lab PBX did not start in {ns} within 20 s");
    }

    /// A PBX host with two NICs, `lan` (198.51.100.10/24) to a phone (198.51.100.20/24) and `wan`
    /// (203.0.113.10/24) to an upstream host (203.0.113.1/24), one veth each. Returns the PBX host.
    pub fn two_nic_pbx(&mut self) -> String {
        let pbx = self.host("pbx");
        let phone = self.host("phone");
        let upstream = self.host("upstream");
        self.veth(&pbx, "lan", &phone, "eth0");
        self.veth(&pbx, "wan", &upstream, "eth0");
        self.addr(&pbx, "lan", "198.51.100.10/24");
        self.addr(&pbx, "wan", "203.0.113.10/24");
        self.addr(&phone, "eth0", "198.51.100.20/24");
        self.addr(&upstream, "eth0", "203.0.113.1/24");
        pbx
    }

    /// A switch namespace with bridge `br0` (`options`), and a pbx (198.51.100.10/24) and a phone
    /// (198.51.100.20/24) on its ports `p-pbx` and `p-phone`, each host routing 224.0.0.0/4 by eth0.
    /// Returns (switch, pbx, phone).
    pub fn bridged_pbx_and_phone(&mut self, options: &[&str]) -> (String, String, String) {
        let switch = self.host("switch");
        let pbx = self.host("pbx");
        let phone = self.host("phone");
        self.bridge(&switch, "br0", options);
        self.veth(&switch, "p-pbx", &pbx, "eth0");
        self.veth(&switch, "p-phone", &phone, "eth0");
        self.bridge_port(&switch, "br0", "p-pbx");
        self.bridge_port(&switch, "br0", "p-phone");
        self.addr(&pbx, "eth0", "198.51.100.10/24");
        self.addr(&phone, "eth0", "198.51.100.20/24");
        self.ip(&pbx, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
        self.ip(&phone, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
        (switch, pbx, phone)
    }
}

/// The `.json` files of `dir`, sorted (schemas, fixture bundles).
#[must_use]
pub fn json_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// A lab of two hosts on one link, the stand-in PBX running on the first: pbx (198.51.100.10/24,
/// 224.0.0.0/4 by eth0) and phone (198.51.100.20/24). Returns (pbx, phone).
pub fn pbx_with_lab_pbx(lab: &mut Lab) -> (String, String) {
    let pbx = lab.host("pbx");
    let phone = lab.host("phone");
    lab.veth(&pbx, "eth0", &phone, "eth0");
    lab.addr(&pbx, "eth0", "198.51.100.10/24");
    lab.addr(&phone, "eth0", "198.51.100.20/24");
    lab.ip(&pbx, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    lab.start_pbx(&pbx, "198.51.100.10", "");
    (pbx, phone)
}

/// The start of a shell script that runs in a mount namespace of its own (`unshare --mount`): `/DIR`
/// for each of `dirs` becomes an overlay on a private tmpfs (`$scratch`), so that a firewall manager's
/// files (ufw, firewalld, D-Bus) change only there, never on the machine itself.
#[must_use]
pub fn private_overlays(dirs: &[&str]) -> String {
    format!(
        r#"set -eu
scratch=$(mktemp -d)
mount -t tmpfs tmpfs "$scratch"
for dir in {}; do
  mkdir -p "$scratch/$dir/upper" "$scratch/$dir/work"
  mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$scratch/$dir/upper,workdir=$scratch/$dir/work" "/$dir"
done
"#,
        dirs.join(" ")
    )
}

/// Runs `script` (which starts with [`private_overlays`]) in `ns` inside a mount namespace of its own.
pub fn in_private_mounts(lab: &Lab, ns: &str, script: &str) -> Output {
    lab.sh(ns, &format!("unshare --mount --propagation private bash -c '{}'", script.replace('\'', "'\\''")))
}

/// The `check --json` reports a script printed, each after a line `@@REPORT@@` (and anything the
/// script printed after a report is left out).
pub fn marked_reports(text: &str) -> Vec<serde_json::Value> {
    text.split("@@REPORT@@")
        .skip(1)
        .map(|chunk| {
            let mut values = serde_json::Deserializer::from_str(chunk).into_iter::<serde_json::Value>();
            values.next().and_then(Result::ok).expect("a JSON report")
        })
        .collect()
}

/// The status of each requirement of a `check --json` report, in order.
pub fn statuses(report: &serde_json::Value) -> Vec<String> {
    report["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A field (`status`, `summary`, `remedy`…) of the check `id` in a `check --json` report; empty when
/// the check has no such field.
pub fn check_field(report: &serde_json::Value, id: &str, field: &str) -> String {
    report["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .flat_map(|r| r["checks"].as_array().into_iter().flatten())
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}: {report:#}"))[field]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A shell snippet for a lab script (with `$scratch` set): runs `check --json`, takes the steps of the
/// typed fixes of the failing `multicast.host-firewall*` checks from the JSON `fix` (each command must
/// stand in its remedy), runs every step that is not manual (`@@FIX@@` lines), runs `run_check`, runs
/// the steps' undo last first (`@@UNDO@@` lines), and runs `run_check` again. `sudo` is dropped: the
/// lab runs as root.
pub fn apply_and_undo_firewall_fixes(mcready: &str, run_check: &str) -> String {
    format!(
        r#"{mcready} check --json --no-probe --phone 198.51.100.20 > "$scratch/report.json" || true
python3 - "$scratch/report.json" "$scratch/apply" "$scratch/undo" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
apply, undo = [], []
for requirement in report["requirements"]:
    for check in requirement["checks"]:
        if check["status"] in ("warn", "fail") and check["id"].startswith("multicast.host-firewall"):
            for step in check["fix"]["steps"]:
                assert step["command"] in check["remedy"], (step, check["remedy"])
                if step["class"] == "manual":
                    continue
                apply.append(step["command"].replace("sudo ", ""))
                if step["undo"]:
                    undo.append(step["undo"].replace("sudo ", ""))
open(sys.argv[2], "w").write("".join(c + "\n" for c in apply))
open(sys.argv[3], "w").write("".join(c + "\n" for c in reversed(undo)))
PY
while IFS= read -r fix; do echo "@@FIX@@ $fix"; eval "$fix" >/dev/null; done < "$scratch/apply"
{run_check}
while IFS= read -r undo; do echo "@@UNDO@@ $undo"; eval "$undo" >/dev/null; done < "$scratch/undo"
{run_check}"#
    )
}
