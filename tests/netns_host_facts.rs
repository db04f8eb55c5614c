//! `interfaces` and `joins` against real kernels' views: hosts built in network namespaces.

#![cfg(target_os = "linux")]

mod common;

use common::{Lab, PYTHON3, json, stdout};

lab_test!(joins_shows_which_nic_joined, Lab::with(&[PYTHON3]), |mut lab| {
    let pbx = lab.two_nic_pbx();

    let before = lab.mcready(&pbx, &["joins", "--json"]);
    assert_eq!(before.status.code(), Some(1), "nothing joined yet: {}", stdout(&before));
    assert_eq!(json(&before)["joined"], false);

    lab.join(&pbx, "224.0.1.75", "203.0.113.10");
    let out = lab.mcready(&pbx, &["joins", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let doc = json(&out);
    assert_eq!(doc["schema"], "mcready.joins/v1");
    assert_eq!(doc["joined_on"], serde_json::json!(["wan"]));
    let rows = doc["interfaces"].as_array().unwrap();
    let joined = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap()["joined"].clone();
    assert_eq!(joined("wan"), true);
    assert_eq!(joined("lan"), false);

    // Limited to the NIC facing the phones, the answer is "not joined" and the exit code says so.
    let lan_only = lab.mcready(&pbx, &["joins", "-i", "lan", "--json"]);
    assert_eq!(lan_only.status.code(), Some(1));
    assert_eq!(json(&lan_only)["joined"], false);

    let text = stdout(&lab.mcready(&pbx, &["joins", "--color", "never"]));
    assert!(text.contains("224.0.1.75 (sip.mcast.net) is joined on wan."), "{text}");
});

lab_test!(joins_says_plainly_when_nobody_joined, Lab::new(), |mut lab| {
    let pbx = lab.two_nic_pbx();
    let out = lab.mcready(&pbx, &["joins", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("No interface has joined 224.0.1.75 (sip.mcast.net)"), "{}", stdout(&out));
});

lab_test!(joins_all_lists_every_group, Lab::with(&[PYTHON3]), |mut lab| {
    let pbx = lab.two_nic_pbx();
    lab.join(&pbx, "239.255.10.20", "198.51.100.10");
    let doc = json(&lab.mcready(&pbx, &["joins", "--all", "--json"]));
    let groups: Vec<(String, String)> = doc["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["interface"].as_str().unwrap().to_owned(), m["group"].as_str().unwrap().to_owned()))
        .collect();
    assert!(groups.contains(&("lan".into(), "239.255.10.20".into())), "{groups:?}");
    assert!(groups.contains(&("lan".into(), "224.0.0.1".into())), "{groups:?}");
    assert_eq!(doc["joined"], false);
});

lab_test!(group_route_follows_the_lowest_metric_default, Lab::new(), |mut lab| {
    let pbx = lab.two_nic_pbx();
    lab.ip(&pbx, &["route", "add", "default", "via", "198.51.100.1", "dev", "lan", "metric", "100"]);
    lab.ip(&pbx, &["route", "add", "default", "via", "203.0.113.1", "dev", "wan", "metric", "50"]);

    let doc = json(&lab.mcready(&pbx, &["interfaces", "--json"]));
    assert_eq!(doc["schema"], "mcready.interfaces/v1");
    assert_eq!(doc["group_route"]["interface"], "wan", "{doc:#}");
    assert_eq!(doc["group_route"]["source"], "203.0.113.10");
    let defaults = doc["default_routes"].as_array().unwrap();
    assert_eq!(defaults[0]["interface"], "wan");
    assert_eq!(defaults[0]["metric"], 50);
    assert_eq!(defaults[1]["interface"], "lan");
    let metric = |name: &str| {
        doc["interfaces"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap()["metric"].clone()
    };
    assert_eq!(metric("wan"), 50);
    assert_eq!(metric("lan"), 100);

    // A multicast route on the phones' NIC wins over any default route: the usual fix.
    lab.ip(&pbx, &["route", "add", "224.0.0.0/4", "dev", "lan"]);
    let doc = json(&lab.mcready(&pbx, &["interfaces", "--json"]));
    assert_eq!(doc["group_route"]["interface"], "lan");
    let text = stdout(&lab.mcready(&pbx, &["interfaces", "--color", "never"]));
    assert!(text.contains("224.0.1.75 (sip.mcast.net) leaves by lan, source 198.51.100.10"), "{text}");
});

lab_test!(no_route_for_the_group_is_reported, Lab::new(), |mut lab| {
    let pbx = lab.two_nic_pbx();
    let doc = json(&lab.mcready(&pbx, &["interfaces", "--json"]));
    assert_eq!(doc["group_route"]["interface"], serde_json::Value::Null, "{doc:#}");
    assert!(doc["group_route"]["error"].as_str().unwrap().contains("unreachable"), "{doc:#}");
});

lab_test!(kinds_of_bridge_veth_and_dummy, Lab::new(), |mut lab| {
    let pbx = lab.two_nic_pbx();
    lab.ip(&pbx, &["link", "add", "br0", "type", "bridge"]);
    let has_dummy = lab.try_ip(&pbx, &["link", "add", "dum0", "type", "dummy"]);
    if !has_dummy {
        eprintln!("note: this kernel has no dummy links; checking bridge, veth and loopback only");
    }
    lab.ip(&pbx, &["link", "add", "docker0", "type", "bridge"]);

    let doc = json(&lab.mcready(&pbx, &["interfaces", "--json"]));
    let interfaces = doc["interfaces"].as_array().unwrap();
    let kind = |name: &str| {
        let i = interfaces.iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("{name} missing"));
        (i["kind"].as_str().unwrap().to_owned(), i["kind_detail"].as_str().map(str::to_owned))
    };
    assert_eq!(kind("lo").0, "loopback");
    assert_eq!(kind("lan"), ("virtual".into(), Some("veth".into())));
    assert_eq!(kind("br0"), ("bridge".into(), Some("bridge".into())));
    assert_eq!(kind("docker0"), ("virtual".into(), Some("docker".into())));
    if has_dummy {
        assert_eq!(kind("dum0"), ("virtual".into(), Some("dummy".into())));
    }
    // Sorted by index, as people read them.
    let indexes: Vec<u64> = interfaces.iter().map(|i| i["index"].as_u64().unwrap()).collect();
    assert!(indexes.windows(2).all(|w| w[0] < w[1]), "{indexes:?}");
});

lab_test!(listeners_name_the_owning_process, Lab::with(&[PYTHON3]), |mut lab| {
    let pbx = lab.two_nic_pbx();
    lab.spawn(
        &pbx,
        "exec python3 -c 'import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind((\"0.0.0.0\",5060))\ntime.sleep(600)'",
    );
    // The lab cannot see inside mcready's gathering; poll until the socket is bound.
    for _ in 0..200 {
        if stdout(&lab.sh(&pbx, "cat /proc/net/udp")).contains(":13C4") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let doc = json(&lab.mcready(&pbx, &["joins", "--json"]));
    let listener = &doc["listeners"][0];
    assert_eq!(listener["local"], "0.0.0.0:5060", "{doc:#}");
    assert_eq!(listener["protocol"], "udp");
    assert_eq!(listener["processes"][0]["name"], "python3");
    assert!(listener["processes"][0]["pid"].as_u64().unwrap() > 1);
    let text = stdout(&lab.mcready(&pbx, &["joins", "--color", "never"]));
    assert!(text.contains("python3 (pid "), "{text}");
    assert!(text.contains(") holds udp 0.0.0.0:5060"), "{text}");
});
