//! How fast mcready reads a phone's PnP SUBSCRIBE: parse the Yealink fixture and extract the phone's
//! identity, as `listen` does for every datagram. Goal: at least 500,000 messages a second on one core.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mcready::sip;
use std::hint::black_box;

const YEALINK: &[u8] = include_bytes!("../tests/fixtures/sip/yealink-subscribe.txt");

fn parse_and_identify(c: &mut Criterion) {
    let mut group = c.benchmark_group("sip");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse yealink SUBSCRIBE", |b| {
        b.iter(|| sip::parse(black_box(YEALINK)).map(|message| message.all_headers().len()));
    });
    group.bench_function("parse + identify yealink SUBSCRIBE", |b| {
        b.iter(|| {
            sip::parse(black_box(YEALINK)).map(|message| {
                let is_pnp = sip::pnp::is_pnp_subscribe(&message);
                (is_pnp, sip::pnp::identify_phone(&message))
            })
        });
    });
    group.finish();
}

criterion_group!(benches, parse_and_identify);
criterion_main!(benches);
