//! The ufw fix applied in the lab: ufw enabled with its default deny (incoming) inside a PBX namespace,
//! `check` fails `network-multicast` and prints the fix in ufw's own words; the test runs the steps of
//! the JSON `fix` and `check` passes, then runs their undo and it fails again.
//!
//! ufw keeps its state in /etc and /lib, outside any network namespace, so everything runs in a mount
//! namespace of its own whose /etc, /lib and /var are overlays on a private tmpfs: the host's ufw stays
//! as it was (disabled), and its sysctls and kernel modules are switched off in that private copy, so
//! ufw changes nothing outside the lab's network namespace.
#![cfg(target_os = "linux")]

mod common;

use common::{
    IPTABLES_LEGACY_RESTORE, Lab, PYTHON3, Program, apply_and_undo_firewall_fixes, check_field,
    in_private_mounts, marked_reports, mcready_bin, pbx_with_lab_pbx, private_overlays, stdout,
};

const UFW: Program = Program { name: "ufw", package: "ufw" };
const UNSHARE: Program = Program { name: "unshare", package: "util-linux" };

lab_test!(
    the_printed_ufw_fix_turns_the_firewall_check_green,
    Lab::with(&[UFW, UNSHARE, PYTHON3, IPTABLES_LEGACY_RESTORE]),
    |mut lab| {
        let (pbx, _phone) = pbx_with_lab_pbx(&mut lab);
        let mcready = mcready_bin();
        let mcready = mcready.display();
        let run_check =
            format!("echo @@REPORT@@; {mcready} check --json --no-probe --phone 198.51.100.20 || true");
        let apply_and_undo = apply_and_undo_firewall_fixes(&mcready.to_string(), &run_check);
        let script = private_overlays(&["etc", "lib", "var"])
            + &format!(
                r#"# In this private /etc only: no sysctls, no kernel modules, so ufw touches nothing but this namespace's netfilter.
: > /etc/ufw/sysctl.conf
sed -i 's/^IPT_MODULES=.*/IPT_MODULES=""/' /etc/default/ufw
ufw --force enable >/dev/null
{run_check}
{apply_and_undo}
"#
            );
        let out = in_private_mounts(&lab, &pbx, &script);
        let text = stdout(&out);
        assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
        let fix = text.lines().find_map(|l| l.strip_prefix("@@FIX@@ ")).unwrap_or_default().to_owned();
        assert_eq!(fix, "ufw allow from 198.51.100.0/24 to any port 5060 proto udp", "{text}");
        let undo = text.lines().find_map(|l| l.strip_prefix("@@UNDO@@ ")).unwrap_or_default().to_owned();
        assert_eq!(undo, "ufw delete allow from 198.51.100.0/24 to any port 5060 proto udp", "{text}");
        let [before, after, undone] =
            <[serde_json::Value; 3]>::try_from(marked_reports(&text)).expect("three reports");
        assert_eq!(check_field(&before, "multicast.host-firewall", "status"), "fail", "{before:#}");
        assert!(
            check_field(&before, "multicast.host-firewall", "remedy")
                .contains("ufw allow from 198.51.100.0/24")
        );
        assert_eq!(check_field(&after, "multicast.host-firewall", "status"), "pass", "{after:#}");
        assert_eq!(check_field(&undone, "multicast.host-firewall", "status"), "fail", "{undone:#}");
        // The host's own ufw configuration was never touched.
        let host = std::fs::read_to_string("/etc/ufw/ufw.conf").unwrap_or_default();
        assert!(!host.contains("ENABLED=yes"), "the host's ufw must stay as it was");
    }
);
