//! The IGMP fuzz seeds (`tests/fixtures/igmp/`, IPv4 packets with the Router Alert option, as hosts and
//! queriers send them) parse to what they are: a guard that the fuzzer starts from real messages.

// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::Ipv4Addr;
use std::time::Duration;

use mcready::net::{IgmpMessage, IgmpVersion, parse_igmp};

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/igmp/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn queries() {
    let general = parse_igmp(&read("v2-general-query.bin")).unwrap();
    assert!(general.checksum_ok);
    let IgmpMessage::Query(query) = general.message else { panic!("{:?}", general.message) };
    assert_eq!(
        (query.version, query.group, query.max_response),
        (IgmpVersion::V2, None, Duration::from_secs(10))
    );

    let specific = parse_igmp(&read("v2-group-query.bin")).unwrap();
    let IgmpMessage::Query(query) = specific.message else { panic!() };
    assert_eq!(query.group, Some(Ipv4Addr::new(239, 255, 1, 2)));

    let v3 = parse_igmp(&read("v3-general-query.bin")).unwrap();
    let IgmpMessage::Query(query) = v3.message else { panic!() };
    assert_eq!(query.version, IgmpVersion::V3);
    assert_eq!(query.query_interval, Some(Duration::from_secs(125)));
}

#[test]
fn reports_and_leave() {
    let report = parse_igmp(&read("v2-report.bin")).unwrap();
    assert_eq!(
        report.message,
        IgmpMessage::Report { version: IgmpVersion::V2, group: Ipv4Addr::new(224, 0, 1, 75) }
    );
    let leave = parse_igmp(&read("v2-leave.bin")).unwrap();
    assert_eq!(leave.message, IgmpMessage::Leave { group: Ipv4Addr::new(239, 255, 1, 2) });
    let v3 = parse_igmp(&read("v3-report.bin")).unwrap();
    let IgmpMessage::V3Report { records } = v3.message else { panic!() };
    assert_eq!(records.len(), 1);
}
