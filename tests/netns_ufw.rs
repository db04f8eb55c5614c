//! The ufw fix applied in the lab: ufw enabled with its default deny (incoming) inside a PBX namespace,
//! `check` fails `network-multicast` and prints the fix in ufw's own words; the test runs that exact
//! command and `check` passes.
//!
//! ufw keeps its state in /etc and /lib, outside any network namespace, so everything runs in a mount
//! namespace of its own whose /etc, /lib and /var are overlays on a private tmpfs: the host's ufw stays
//! as it was (disabled), and its sysctls and kernel modules are switched off in that private copy, so
//! ufw changes nothing outside the lab's network namespace.
#![cfg(target_os = "linux")]

mod common;

use common::{IPTABLES_LEGACY_RESTORE, Lab, PYTHON3, Program, mcready_bin, stdout};

const UFW: Program = Program { name: "ufw", package: "ufw" };
const UNSHARE: Program = Program { name: "unshare", package: "util-linux" };

/// The check as JSON, between markers so the script can print several.
fn reports(text: &str) -> Vec<serde_json::Value> {
    text.split("@@REPORT@@")
        .skip(1)
        .map(|chunk| {
            // The report, then whatever the script printed after it.
            let mut values = serde_json::Deserializer::from_str(chunk).into_iter::<serde_json::Value>();
            values.next().and_then(Result::ok).expect("a JSON report")
        })
        .collect()
}

fn check(report: &serde_json::Value, id: &str) -> serde_json::Value {
    report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["checks"].as_array().unwrap())
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no {id}: {report:#}"))
}

#[test]
fn the_printed_ufw_fix_turns_the_firewall_check_green() {
    let Some(mut lab) = Lab::with("ufw_fix", &[UFW, UNSHARE, PYTHON3, IPTABLES_LEGACY_RESTORE]) else {
        return;
    };
    let pbx = lab.host("pbx");
    let phone = lab.host("phone");
    lab.veth(&pbx, "eth0", &phone, "eth0");
    lab.addr(&pbx, "eth0", "198.51.100.10/24");
    lab.addr(&phone, "eth0", "198.51.100.20/24");
    lab.ip(&pbx, &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
    lab.start_pbx(&pbx, "198.51.100.10", "");
    let mcready = mcready_bin();
    let mcready = mcready.display();
    let run_check =
        format!("echo @@REPORT@@; {mcready} check --json --no-probe --phone 198.51.100.20 || true");
    let script = format!(
        r#"set -eu
scratch=$(mktemp -d)
mount -t tmpfs tmpfs "$scratch"
for dir in etc lib var; do
  mkdir -p "$scratch/$dir/upper" "$scratch/$dir/work"
  mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$scratch/$dir/upper,workdir=$scratch/$dir/work" "/$dir"
done
# In this private /etc only: no sysctls, no kernel modules, so ufw touches nothing but this namespace's netfilter.
: > /etc/ufw/sysctl.conf
sed -i 's/^IPT_MODULES=.*/IPT_MODULES=""/' /etc/default/ufw
ufw --force enable >/dev/null
{run_check}
fix=$({mcready} check --no-probe --phone 198.51.100.20 --color never | sed -n 's/.*`sudo \(ufw allow from [^`]*\)`.*/\1/p' | head -1)
echo "@@FIX@@ $fix"
[ -n "$fix" ] && $fix >/dev/null
{run_check}
"#
    );
    let out = lab.sh(
        &pbx,
        &format!("unshare --mount --propagation private bash -c '{}'", script.replace('\'', "'\\''")),
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let fix = text.lines().find_map(|l| l.strip_prefix("@@FIX@@ ")).unwrap_or_default().to_owned();
    assert_eq!(fix, "ufw allow from 198.51.100.0/24 to any port 5060 proto udp", "{text}");
    let [before, after] = <[serde_json::Value; 2]>::try_from(reports(&text)).expect("two reports");
    let before_check = check(&before, "multicast.host-firewall");
    assert_eq!(before_check["status"], "fail", "{before_check:#}");
    assert!(before_check["remedy"].as_str().unwrap().contains("ufw allow from 198.51.100.0/24"));
    assert_eq!(check(&after, "multicast.host-firewall")["status"], "pass", "{after:#}");
    // The host's own ufw configuration was never touched.
    let host = std::fs::read_to_string("/etc/ufw/ufw.conf").unwrap_or_default();
    assert!(!host.contains("ENABLED=yes"), "the host's ufw must stay as it was");
}
