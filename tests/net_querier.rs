//! The IGMP querier watch against a Linux bridge in its own namespace ("the switch"), with host A
//! (198.51.100.10) on one of its ports: with the bridge's querier on, queries are heard and a leave is
//! answered at once; with it off, nothing is heard and the fast detection reports no answer.
#![cfg(target_os = "linux")]
// Helpers outside `#[test]` functions unwrap too: a panic there is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use common::Lab;
use mcready::net::{IgmpVersion, LocalInterface, OwnActions, QuerierWatch, QueryScope, scratch_group};
use mcready::observed::ActionKind;

const A: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);

/// A switch namespace with bridge `br0` (snooping on, the querier on or off, queries every second)
/// and host A on port `pa`.
fn switched_host(test: &str, querier: bool) -> Option<(Lab, String, LocalInterface)> {
    let mut lab = Lab::new(test)?;
    let switch = lab.host("sw");
    let a = lab.host("a");
    let querier = if querier { "1" } else { "0" };
    // Intervals are in centiseconds: 100 is one second, the kernel's minimum. The startup interval
    // needs setting too: it defaults to 31.25 s, and periodic queries begin after the startup ones.
    let options = [
        "mcast_snooping",
        "1",
        "mcast_querier",
        querier,
        "mcast_query_interval",
        "100",
        "mcast_startup_query_interval",
        "100",
    ];
    lab.bridge(&switch, "br0", &options);
    lab.veth(&switch, "pa", &a, "eth0");
    lab.bridge_port(&switch, "br0", "pa");
    lab.addr(&a, "eth0", "198.51.100.10/24");
    let eth0 = lab.in_netns(&a, || LocalInterface::lookup("eth0", A)).expect("eth0");
    Some((lab, a, eth0))
}

lab_test!(a_bridge_querier_is_heard_and_answers_a_leave, switched_host(true), |(lab, a, eth0)| {
    let actions = OwnActions::default();
    let mut watch = lab.in_netns(&a, || QuerierWatch::open(&eth0, &actions)).expect("open the watch");

    let deadline = Instant::now() + Duration::from_secs(8);
    while watch.heard().iter().all(|q| q.scope != QueryScope::General) && Instant::now() < deadline {
        watch.listen_until(Instant::now() + Duration::from_millis(200)).expect("listen");
    }
    let general = watch.heard().iter().find(|q| q.scope == QueryScope::General).expect("a general query");
    assert_eq!(general.source, Ipv4Addr::UNSPECIFIED, "a bridge without an address queries from 0.0.0.0");
    assert_eq!(general.version, IgmpVersion::V2);
    assert_eq!(general.group, None);
    assert!(general.max_response_ms > 0);

    let scratch = scratch_group(std::process::id());
    let detection = watch.detect_fast(scratch, Duration::from_millis(1500)).expect("fast detection");
    assert!(detection.report_seen, "the join report went out");
    let answer = detection.answer.expect("the querier answered the leave");
    assert_eq!((answer.scope, answer.group), (QueryScope::GroupSpecific, Some(scratch)));

    let done: Vec<_> = actions.snapshot().iter().map(|a| (a.action, a.group)).collect();
    assert_eq!(done, vec![(ActionKind::Joined, scratch), (ActionKind::Left, scratch)]);
});

lab_test!(without_a_querier_nothing_is_heard_and_no_leave_is_answered, switched_host(false), |(
    lab,
    a,
    eth0,
)| {
    let actions = OwnActions::default();
    let mut watch = lab.in_netns(&a, || QuerierWatch::open(&eth0, &actions)).expect("open the watch");

    // Three query intervals of the bridge's (disabled) querier.
    watch.listen_until(Instant::now() + Duration::from_secs(3)).expect("listen");
    assert_eq!(watch.heard(), &[]);

    let detection =
        watch.detect_fast(scratch_group(std::process::id()), Duration::from_millis(1500)).unwrap();
    assert!(detection.report_seen);
    assert_eq!(detection.answer, None);
    assert_eq!(watch.heard(), &[]);
    assert_eq!(actions.snapshot().len(), 2, "the scratch join and leave are recorded");
});
