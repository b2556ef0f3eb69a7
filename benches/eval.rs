//! Throughput of the evaluator over synthetic scan reports: the sample `driftql serve` serves
//! ([`driftql::server::sample`]).
//!
//! - `match/*`: a compiled query over 100,000 in-memory [`Report`]s, in reports per second:
//!   a typical three-term query and other shapes (prefix, `search-term`, IP blocks, `not`,
//!   a phrase with slop, a host).
//! - `line/*`: what `driftql filter` does per NDJSON line without the I/O: read the line into a
//!   borrowed [`ReportRef`] and match it, in bytes (and reports) per second.
//!
//! Run with `cargo bench --bench eval`; the README's evaluator figures come from here.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use driftql::server::sample;
use driftql::{MatchOptions, Matcher, Report, ReportRef};

const REPORTS: usize = 100_000;

/// The queries: a name and the expression.
const QUERIES: &[(&str, &str)] = &[
    (
        "three_terms",
        "product-tag:nginx and port-tcp:443 and not geo-country=CN",
    ),
    ("prefix", "product-tag:hik* or http-header;Server=Apache*"),
    ("search_term", "search-term:login"),
    ("ip_cidr", "ip:10.0.0.0/8 or ip:2001:db8::/32"),
    ("not", "not port-tcp:443"),
    ("phrase_slop_1", r#"entity:"university london""#),
    ("host", "host:amazonaws.com"),
];

fn matcher(expr: &str) -> Matcher {
    let slop = if expr.contains("university") { 1 } else { 0 };
    driftql::parse(expr)
        .unwrap()
        .matcher(&MatchOptions::default().with_slop(slop))
}

fn count(m: &Matcher, reports: &[Report]) -> usize {
    reports.iter().filter(|r| m.matches(r)).count()
}

fn in_memory(c: &mut Criterion) {
    let reports = sample::sample(REPORTS);
    let mut g = c.benchmark_group("match");
    g.throughput(Throughput::Elements(REPORTS as u64));
    for (name, expr) in QUERIES {
        let m = matcher(expr);
        let hits = count(&m, &reports);
        assert!(
            hits > 0 && hits < REPORTS,
            "{name}: {hits} of {REPORTS} match"
        );
        g.bench_function(*name, |b| {
            b.iter(|| black_box(count(&m, black_box(&reports))))
        });
    }
    g.finish();
}

fn lines(c: &mut Criterion) {
    let mut ndjson = Vec::new();
    for r in sample::reports(REPORTS) {
        serde_json::to_writer(&mut ndjson, &r).unwrap();
        ndjson.push(b'\n');
    }
    let lines: Vec<&[u8]> = ndjson
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let filter = |m: &Matcher| {
        lines
            .iter()
            .filter(|l| {
                let r: ReportRef = serde_json::from_slice(l).unwrap();
                m.matches_items(&r.items)
            })
            .count()
    };
    let mut g = c.benchmark_group("line");
    g.throughput(Throughput::Bytes(ndjson.len() as u64));
    for (name, expr) in [QUERIES[0], ("port_443", "port-tcp:443")] {
        let m = matcher(expr);
        g.bench_function(name, |b| b.iter(|| black_box(filter(&m))));
    }
    g.finish();
    println!(
        "line: {} reports in {} bytes ({} bytes a report on average)",
        lines.len(),
        ndjson.len(),
        ndjson.len() / lines.len()
    );
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = in_memory, lines
}
criterion_main!(benches);
