//! The firewalld fixes applied in the lab: firewalld running (its own D-Bus) in a PBX namespace, its
//! public zone rejecting what it does not allow; `check` fails the SIP and IGMP firewall checks and
//! prints firewalld's own commands; the test runs exactly the steps of the JSON `fix` and `check`
//! passes both, then runs their undo and both fail again.
//!
//! firewalld and D-Bus keep state in /etc, /var and /run, outside any network namespace, so everything
//! runs in a mount namespace of its own whose /etc, /var and /run are overlays on a private tmpfs: the
//! host's firewall and bus are never touched.
#![cfg(target_os = "linux")]

mod common;

use common::{
    Lab, NFT, PYTHON3, Program, apply_and_undo_firewall_fixes, check_field, in_private_mounts,
    marked_reports, mcready_bin, pbx_with_lab_pbx, private_overlays, stdout,
};

const FIREWALLD: Program = Program { name: "firewalld", package: "firewalld" };
const DBUS: Program = Program { name: "dbus-daemon", package: "dbus" };
const UNSHARE: Program = Program { name: "unshare", package: "util-linux" };

lab_test!(
    the_printed_firewalld_fixes_turn_the_firewall_checks_green,
    Lab::with(&[FIREWALLD, DBUS, UNSHARE, NFT, PYTHON3]),
    |mut lab| {
        let (pbx, _phone) = pbx_with_lab_pbx(&mut lab);
        let mcready = mcready_bin();
        let mcready = mcready.display();
        let run_check =
            format!("echo @@REPORT@@; {mcready} check --json --no-probe --phone 198.51.100.20 || true");
        let apply_and_undo = apply_and_undo_firewall_fixes(&mcready.to_string(), &run_check);
        let script = private_overlays(&["etc", "var", "run"])
            + &format!(
                r#"mkdir -p /run/dbus
dbus-daemon --system --fork
firewalld --nofork --nopid > "$scratch/firewalld.log" 2>&1 &
for i in $(seq 1 200); do firewall-cmd --state >/dev/null 2>&1 && break; sleep 0.1; done
{run_check}
{apply_and_undo}
kill %1 2>/dev/null || true
"#
            );
        let out = in_private_mounts(&lab, &pbx, &script);
        let text = stdout(&out);
        assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
        let fixes: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("@@FIX@@ ")).collect();
        assert!(
        fixes.iter().any(|f| f.contains("--add-rich-rule='rule family=\"ipv4\" source address=\"198.51.100.0/24\" port port=\"5060\" protocol=\"udp\" accept'")),
        "SIP is opened to the phones' subnet only: {fixes:?}"
    );
        assert!(fixes.iter().any(|f| f.contains("--reload")), "{fixes:?}");
        let reports = marked_reports(&text);
        let [before, after, undone] = <[serde_json::Value; 3]>::try_from(reports).expect("three reports");
        let undos: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("@@UNDO@@ ")).collect();
        assert!(undos.iter().any(|u| u.contains("--remove-rich-rule")), "{undos:?}");
        for id in ["multicast.host-firewall", "multicast.host-firewall-igmp"] {
            assert_eq!(check_field(&before, id, "status"), "fail", "{id} before: {before:#}");
            assert_eq!(check_field(&after, id, "status"), "pass", "{id} after the fix's steps: {after:#}");
            assert_eq!(check_field(&undone, id, "status"), "fail", "{id} after their undo: {undone:#}");
        }
    }
);
