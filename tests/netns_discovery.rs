//! What else the phones hear, end to end: a lab LAN (a Linux bridge with `group_fwd_mask 0x4000`, so
//! it forwards LLDP) with the PBX host on one port and, on another, a host that plays the rest of the
//! LAN — a Fanvil phone's DHCP discover (vendor MAC 0c:38:3e:…), a DHCP server's broadcast ack with
//! option 66 (a URL with a password), a Poly phone's ARP, the switch's LLDP-MED (voice VLAN 100,
//! tagged) and CDP (voice VLAN 100) — all frames built by this test and sent from a raw packet
//! socket inside the namespace. `mcready listen` and `check --listen --no-probe` must see each one,
//! redact the password, and give the verdicts of `phone.dhcp-provisioning`,
//! `phone.silent-vendor-phones` and `subnet.voice-vlan`; tshark must decode every frame built here
//! without a malformed mark or an expert warning.
#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::frames::{EXPERT_WARN, ethernet, ieee_802_3, ipv4_udp, parse_severity, pcap};
use common::{Lab, PYTHON3, SETPRIV, TSHARK, check_field, json};
use mcready::net::discovery::{self, arp, cdp, dhcp, lldp};
use serde_json::Value;

const BROADCAST: [u8; 6] = [0xff; 6];
const FANVIL_PHONE: [u8; 6] = [0x0c, 0x38, 0x3e, 0x00, 0x00, 0x07];
const POLY_PHONE: [u8; 6] = [0x00, 0x04, 0xf2, 0x00, 0x00, 0x09];
const DHCP_SERVER: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const SWITCH: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0xfe];
const SERVER_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const PHONE_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 50);
const SECRET: &str = "s3cret-in-option-66";

/// Every frame the LAN side sends, with what tshark must find in it.
fn lan_frames() -> Vec<(Vec<u8>, &'static str)> {
    let discover = dhcp::build_dhcp(
        1,
        0x0bad_cafe,
        FANVIL_PHONE,
        Ipv4Addr::UNSPECIFIED,
        &[(53, &[1]), (60, b"Fanvil X4U"), (55, &[1, 3, 6, 66, 43, 160])],
    );
    let option_66 = format!("http://admin:{SECRET}@198.51.100.1/prov/");
    let ack = dhcp::build_dhcp(
        2,
        0x0bad_cafe,
        FANVIL_PHONE,
        PHONE_IP,
        &[
            (53, &[5]),
            (54, &SERVER_IP.octets()),
            (51, &3600u32.to_be_bytes()),
            (1, &[255, 255, 255, 0]),
            (66, option_66.as_bytes()),
        ],
    );
    let to_server = ipv4_udp((Ipv4Addr::UNSPECIFIED, 68), (Ipv4Addr::BROADCAST, 67), 64, &discover);
    let to_client = ipv4_udp((SERVER_IP, 67), (Ipv4Addr::BROADCAST, 68), 64, &ack);
    let lldpdu = lldp::build_lldp(SWITCH, "gi1/0/7", "sw-floor2", Some(1), Some((100, true)));
    let cdp = cdp::build_cdp("sw-floor2.example", "GigabitEthernet1/0/7", Some(1), Some(100));
    let arp = arp::build_arp_request(POLY_PHONE, Ipv4Addr::new(198, 51, 100, 9), SERVER_IP);
    vec![
        (ethernet(BROADCAST, FANVIL_PHONE, 0x0800, &to_server), "dhcp"),
        (ethernet(BROADCAST, DHCP_SERVER, 0x0800, &to_client), "dhcp"),
        (ethernet(BROADCAST, POLY_PHONE, 0x0806, &arp), "arp"),
        (ethernet(lldp::LLDP_MAC, SWITCH, lldp::ETHERTYPE_LLDP, &lldpdu), "lldp"),
        (ieee_802_3(cdp::CDP_MAC, SWITCH, &cdp), "cdp"),
    ]
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mcready-discovery-{}-{name}", std::process::id()))
}

/// tshark decodes each frame as the protocol it is, with no malformed mark and no expert warning or
/// error; the fields mcready reads say the same in tshark.
#[test]
fn tshark_decodes_every_frame_the_tests_build() {
    if !common::require("tshark_decodes_every_frame_the_tests_build", &[TSHARK]) {
        return;
    }
    let frames = lan_frames();
    let path = temp("frames.pcap");
    std::fs::write(&path, pcap(&frames.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>()))
        .expect("write pcap");
    let fields = [
        "frame.protocols",
        "_ws.malformed",
        "_ws.expert.severity",
        "_ws.expert.message",
        "dhcp.option.tftp_server_name",
        "lldp.tlv.system.name",
        "lldp.media.vlan_id",
        "lldp.media.tag_flag",
        "lldp.media.dscp",
        "lldp.ieee.802_1.port_vlan.id",
        "cdp.deviceid",
        "cdp.voice_vlan",
        "arp.src.hw_mac",
    ];
    let out = tshark(&path, &fields);
    let _ = std::fs::remove_file(&path);
    let rows: Vec<Vec<&str>> = out.lines().map(|line| line.split('\t').collect()).collect();
    assert_eq!(rows.len(), frames.len(), "one row per frame:\n{out}");
    for ((_, protocol), row) in frames.iter().zip(&rows) {
        let field =
            |name: &str| row.get(fields.iter().position(|f| *f == name).unwrap_or(99)).copied().unwrap_or("");
        assert!(field("frame.protocols").split(':').any(|p| p == *protocol), "not {protocol}:\n{out}");
        assert_eq!(field("_ws.malformed"), "", "malformed {protocol}:\n{out}");
        for severity in field("_ws.expert.severity").split(',').filter(|s| !s.is_empty()) {
            assert!(
                parse_severity(severity) < EXPERT_WARN,
                "{protocol}: expert {severity}: {}\n{out}",
                field("_ws.expert.message")
            );
        }
    }
    // tshark reads the LLDP-MED voice policy as mcready builds and parses it (ANSI/TIA-1057 bit layout).
    let lldp = &rows[3];
    let field = |name: &str| lldp[fields.iter().position(|f| *f == name).unwrap_or(0)];
    let policy =
        ["lldp.media.vlan_id", "lldp.media.tag_flag", "lldp.media.dscp", "lldp.ieee.802_1.port_vlan.id"]
            .map(field);
    assert_eq!(policy, ["100", "1", "46", "1"], "{out}");
    let all = out.replace('\t', " ");
    for expected in [
        format!("http://admin:{SECRET}@198.51.100.1/prov/"),
        "sw-floor2".into(),
        "100".into(),
        "sw-floor2.example".into(),
        "00:04:f2:00:00:09".into(),
    ] {
        assert!(all.contains(&expected), "tshark did not decode {expected}:\n{out}");
    }
}

fn tshark(path: &Path, fields: &[&str]) -> String {
    let mut command = Command::new("tshark");
    command.args(["-n", "-r"]).arg(path).args([
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
    ]);
    command.args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]);
    for field in fields {
        command.args(["-e", field]);
    }
    let output = command.output().expect("run tshark");
    assert!(output.status.success(), "tshark: {}", String::from_utf8_lossy(&output.stderr));
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("tshark ({}):\n{out}", fields.join(", "));
    out
}

/// The PBX host and the LAN host on one bridge that forwards LLDP.
fn lab(test: &str) -> Option<(Lab, String, String)> {
    lab_with(test, &[PYTHON3])
}

fn lab_with(test: &str, programs: &[common::Program]) -> Option<(Lab, String, String)> {
    let mut lab = Lab::with(test, programs)?;
    let switch = lab.host("switch");
    let pbx = lab.host("pbx");
    let lan = lab.host("lan");
    lab.bridge(&switch, "br0", &["group_fwd_mask", "0x4000"]);
    lab.veth(&switch, "p-pbx", &pbx, "eth0");
    lab.veth(&switch, "p-lan", &lan, "eth0");
    lab.bridge_port(&switch, "br0", "p-pbx");
    lab.bridge_port(&switch, "br0", "p-lan");
    lab.addr(&pbx, "eth0", "198.51.100.10/24");
    lab.addr(&lan, "eth0", "198.51.100.20/24");
    Some((lab, pbx, lan))
}

/// Sends the LAN's frames from a raw packet socket in `lan`, every 300 ms for `secs` seconds (the
/// window opens at some point in between; resending is how a real LAN looks anyway).
fn start_lan(lab: &mut Lab, lan: &str, frames: &[Vec<u8>], secs: u32) {
    let hex: Vec<String> = frames.iter().map(|frame| discovery::hex(frame)).collect();
    let file = temp(&format!("{lan}.hex"));
    std::fs::write(&file, hex.join("\n")).expect("write frames");
    let script = format!(
        "import os, socket, sys, time\n\
         s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n\
         s.bind(('eth0', 0))\n\
         frames = [bytes.fromhex(l) for l in open('{0}').read().split()]\n\
         os.remove('{0}'); os.remove(sys.argv[0])\n\
         end = time.time() + {secs}\n\
         while time.time() < end:\n\
         \x20   for f in frames: s.send(f)\n\
         \x20   time.sleep(0.3)\n",
        file.display()
    );
    let script_file = temp(&format!("{lan}.py"));
    std::fs::write(&script_file, script).expect("write script");
    lab.spawn(lan, &format!("python3 {}", script_file.display()));
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "mcready failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains(SECRET), "the password of option 66 leaked:\n{all}");
}

lab_test!(listen_hears_dhcp_options_vendor_phones_and_the_switchs_voice_vlan, lab(), |(
    mut lab,
    pbx,
    lan,
)| {
    start_lan(&mut lab, &lan, &lan_frames().into_iter().map(|(f, _)| f).collect::<Vec<_>>(), 8);
    let out = lab.mcready(&pbx, &["listen", "-i", "eth0", "--duration", "3", "--json"]);
    assert_ok(&out);
    let report = json(&out);
    let found = &report["discovery"];
    assert_eq!(found["link_layer"], true, "{report:#}");
    let answer = &found["dhcp_answers"][0];
    assert_eq!(
        (answer["server"].as_str(), answer["message"].as_str()),
        (Some("198.51.100.1"), Some("ack")),
        "{report:#}"
    );
    assert_eq!(answer["options"][0]["code"], 66);
    assert_eq!(answer["options"][0]["value"], "http://admin:***@198.51.100.1/prov/");
    let devices: Vec<(&str, &str)> = found["vendor_devices"]
        .as_array()
        .expect("vendor_devices")
        .iter()
        .map(|d| (d["mac"].as_str().unwrap_or(""), d["vendor"].as_str().unwrap_or("")))
        .collect();
    assert!(devices.contains(&("0c:38:3e:00:00:07", "Fanvil")), "{devices:?}");
    assert!(devices.contains(&("00:04:f2:00:00:09", "Poly")), "{devices:?}");
    let fanvil =
        found["vendor_devices"].as_array().unwrap().iter().find(|d| d["vendor"] == "Fanvil").unwrap();
    assert_eq!(fanvil["vendor_class"], "Fanvil X4U");
    let ports = found["switch_ports"].as_array().expect("switch_ports");
    let lldp =
        ports.iter().find(|p| p["protocol"] == "lldp").unwrap_or_else(|| panic!("no LLDP: {report:#}"));
    assert_eq!((lldp["switch"].as_str(), lldp["port"].as_str()), (Some("sw-floor2"), Some("gi1/0/7")));
    assert_eq!(
        (lldp["voice_vlan"]["vlan"].as_u64(), lldp["voice_vlan"]["tagged"].as_bool()),
        (Some(100), Some(true))
    );
    assert_eq!(lldp["native_vlan"], 1);
    let cdp = ports.iter().find(|p| p["protocol"] == "cdp").unwrap_or_else(|| panic!("no CDP: {report:#}"));
    assert_eq!(
        (cdp["switch"].as_str(), cdp["voice_vlan"]["vlan"].as_u64()),
        (Some("sw-floor2.example"), Some(100))
    );
    validate("mcready.listen.v1.json", &report);
    // The text stream names each in a line, the password redacted there too.
    let running = Command::new("ip")
        .args(["netns", "exec", &pbx])
        .arg(common::mcready_bin())
        .args(["listen", "-i", "eth0", "--duration", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start listen");
    // While it listens, the NIC accepts LLDP's and CDP's addresses (a real NIC drops them otherwise).
    let accepted = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        let maddr = common::stdout(&lab.sh(&pbx, "ip maddr show dev eth0"));
        maddr.contains("01:80:c2:00:00:0e") && maddr.contains("01:00:0c:cc:cc:cc")
    });
    let text = running.wait_with_output().expect("listen");
    assert!(accepted, "the capture never added LLDP's and CDP's addresses to eth0");
    assert_ok(&text);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("option 66 (TFTP server name) http://admin:***@198.51.100.1/prov/"), "{text}");
    assert!(text.contains("voice VLAN 100 (tagged)"), "{text}");
});

lab_test!(check_judges_dhcp_before_pnp_silent_phones_and_the_voice_vlan, lab(), |(mut lab, pbx, lan)| {
    start_lan(&mut lab, &lan, &lan_frames().into_iter().map(|(f, _)| f).collect::<Vec<_>>(), 20);
    // Passive: mcready sends nothing at all.
    let out = lab.mcready(&pbx, &["check", "-i", "eth0", "--no-probe", "--listen", "3", "--json"]);
    assert_ok(&out);
    let report = json(&out);
    let status = |id: &str| check_field(&report, id, "status");
    let summary = |id: &str| check_field(&report, id, "summary");
    assert_eq!(status("phone.dhcp-provisioning"), "warn", "{report:#}");
    assert!(summary("phone.dhcp-provisioning").contains("Fanvil phones try DHCP before PnP"), "{report:#}");
    assert!(summary("phone.dhcp-provisioning").contains("http://admin:***@198.51.100.1/prov/"));
    assert_eq!(status("phone.silent-vendor-phones"), "warn");
    assert!(summary("phone.silent-vendor-phones").contains("Fanvil 0c:38:3e:00:00:07"), "{report:#}");
    assert!(summary("phone.silent-vendor-phones").contains("Poly 00:04:f2:00:00:09"));
    assert_eq!(status("subnet.voice-vlan"), "warn");
    assert!(summary("subnet.voice-vlan").contains("VLAN 100"), "{report:#}");
    assert!(
        check_field(&report, "subnet.voice-vlan", "remedy")
            .contains("ip link add link eth0 name eth0.100 type vlan id 100")
    );
    assert!(
        report["facts"]["listen"]["value"]["discovery"]["switch_ports"]
            .as_array()
            .is_some_and(|p| p.len() == 2)
    );
    validate("mcready.report.v1.json", &report);
    // The ticket block says the same, the password redacted there too.
    let markdown =
        lab.mcready(&pbx, &["check", "-i", "eth0", "--no-probe", "--listen", "3", "--format", "markdown"]);
    assert_ok(&markdown);
    let markdown = String::from_utf8_lossy(&markdown.stdout);
    println!("{markdown}");
    for expected in
        ["subnet.voice-vlan", "VLAN 100", "Fanvil 0c:38:3e:00:00:07", "admin:\\*\\*\\*@198.51.100.1"]
    {
        assert!(markdown.contains(expected), "{expected} missing:\n{markdown}");
    }
});

// No DHCP answer reaching this host is `skip` saying why, never "no option"; a switch port without a
// voice VLAN passes.
lab_test!(
    no_dhcp_answer_heard_is_skip_and_a_port_without_voice_vlan_passes,
    Lab::with(&[PYTHON3]),
    |mut lab| {
        let pbx = lab.host("pbx");
        let lan = lab.host("lan");
        lab.veth(&pbx, "eth0", &lan, "eth0");
        lab.addr(&pbx, "eth0", "198.51.100.10/24");
        let lldpdu = lldp::build_lldp(SWITCH, "gi1/0/8", "sw-floor2", Some(1), None);
        let frame = ethernet(lldp::LLDP_MAC, SWITCH, lldp::ETHERTYPE_LLDP, &lldpdu);
        start_lan(&mut lab, &lan, &[frame], 10);
        let out = lab.mcready(&pbx, &["check", "-i", "eth0", "--no-probe", "--listen", "3", "--json"]);
        assert_ok(&out);
        let report = json(&out);
        assert_eq!(check_field(&report, "phone.dhcp-provisioning", "status"), "skip", "{report:#}");
        assert!(check_field(&report, "phone.dhcp-provisioning", "summary").contains("unicast"));
        assert_eq!(check_field(&report, "phone.silent-vendor-phones", "status"), "skip");
        assert_eq!(check_field(&report, "subnet.voice-vlan", "status"), "pass", "{report:#}");
        assert!(check_field(&report, "subnet.voice-vlan", "summary").contains("no voice VLAN"));
    }
);

fn validate(schema_file: &str, document: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas").join(schema_file);
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read schema")).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("compile schema");
    let errors: Vec<String> =
        validator.iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:?}\n{document:#}");
}

// Without `CAP_NET_RAW` there is no capture (and a passive run no window at all): each discovery check
// is `skip`, saying why.
lab_test!(without_capture_privilege_each_discovery_check_says_why, lab_with(&[PYTHON3, SETPRIV]), |(
    mut lab,
    pbx,
    lan,
)| {
    start_lan(&mut lab, &lan, &lan_frames().into_iter().map(|(f, _)| f).collect::<Vec<_>>(), 8);
    let out = lab.sh(
        &pbx,
        &format!(
            "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all {} check -i eth0 --no-probe --listen 2 --json",
            common::mcready_bin().display()
        ),
    );
    assert_ok(&out);
    let report = json(&out);
    for id in ["phone.dhcp-provisioning", "phone.silent-vendor-phones", "subnet.voice-vlan"] {
        assert_eq!(check_field(&report, id, "status"), "skip", "{report:#}");
        assert!(check_field(&report, id, "summary").contains("CAP_NET_RAW"), "{report:#}");
    }
});
