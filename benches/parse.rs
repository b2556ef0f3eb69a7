//! Throughput of the compiler's stages, side by side with a peer parser.
//!
//! - `peer/{realistic,nested}`: parse the same queries with driftql and with
//!   `tantivy-query-grammar` (Lucene-style translations), in queries per second.
//! - `stages/{realistic,nested}`: parse, validate, print and the whole pipeline, in expressions
//!   and bytes of driftql source per second.
//! - `depth/N`: one expression nested N levels deep: bytes per second should not fall with N.
//! - `flat_1mb`: one expression of about 1 MB.
//!
//! Run with `cargo bench --bench parse`; the figures in the README come from here.

mod corpus;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const QUERIES: usize = 1000;

fn bytes(qs: &[String]) -> u64 {
    qs.iter().map(|q| q.len() as u64).sum()
}

fn peer(c: &mut Criterion) {
    for (name, pairs) in [
        ("realistic", corpus::realistic(QUERIES)),
        ("nested", corpus::nested(QUERIES)),
    ] {
        let ours: Vec<String> = pairs.iter().map(|p| p.driftql.clone()).collect();
        let theirs: Vec<String> = pairs.iter().map(|p| p.lucene.clone()).collect();
        for (q, l) in ours.iter().zip(&theirs) {
            driftql::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
            tantivy_query_grammar::parse_query(l).unwrap_or_else(|_| panic!("tantivy: {l}"));
        }
        // Queries per second: the two syntaxes spell the same queries with different bytes.
        let mut g = c.benchmark_group(format!("peer/{name}"));
        g.throughput(Throughput::Elements(pairs.len() as u64));
        g.bench_function("driftql", |b| {
            b.iter(|| {
                for q in &ours {
                    black_box(driftql::parse(black_box(q)).unwrap());
                }
            })
        });
        g.bench_function("tantivy-query-grammar", |b| {
            b.iter(|| {
                for q in &theirs {
                    black_box(tantivy_query_grammar::parse_query(black_box(q)).unwrap());
                }
            })
        });
        g.finish();
    }
}

fn stages(c: &mut Criterion) {
    for (name, pairs) in [
        ("realistic", corpus::realistic(QUERIES)),
        ("nested", corpus::nested(QUERIES)),
    ] {
        let sources: Vec<String> = pairs.into_iter().map(|p| p.driftql).collect();
        let parsed: Vec<driftql::Query> =
            sources.iter().map(|s| driftql::parse(s).unwrap()).collect();
        let mut g = c.benchmark_group(format!("stages/{name}"));
        g.throughput(Throughput::ElementsAndBytes {
            elements: sources.len() as u64,
            bytes: bytes(&sources),
        });
        g.bench_function("parse", |b| {
            b.iter(|| {
                for s in &sources {
                    black_box(driftql::parse(black_box(s)).unwrap());
                }
            })
        });
        g.bench_function("validate", |b| {
            b.iter(|| {
                for q in &parsed {
                    black_box(black_box(q).validate());
                }
            })
        });
        g.bench_function("print", |b| {
            b.iter(|| {
                for q in &parsed {
                    black_box(black_box(q).canonical());
                }
            })
        });
        g.bench_function("pipeline", |b| {
            b.iter(|| {
                for s in &sources {
                    let q = driftql::parse(black_box(s)).unwrap();
                    black_box(q.validate());
                    black_box(q.canonical());
                }
            })
        });
        g.finish();
    }
}

fn depth(c: &mut Criterion) {
    let mut g = c.benchmark_group("depth");
    for d in [5, 20, 30, 200] {
        let s = corpus::deep(d);
        g.throughput(Throughput::Bytes(s.len() as u64));
        g.bench_function(format!("{d}"), |b| {
            b.iter(|| black_box(driftql::parse(black_box(&s)).unwrap()))
        });
    }
    g.finish();
}

fn flat_1mb(c: &mut Criterion) {
    let s = corpus::flat(1 << 20);
    let q = driftql::parse(&s).unwrap();
    let mut g = c.benchmark_group("flat_1mb");
    g.throughput(Throughput::Bytes(s.len() as u64));
    g.sample_size(10);
    g.bench_function("parse", |b| {
        b.iter(|| black_box(driftql::parse(black_box(&s)).unwrap()))
    });
    g.bench_function("print", |b| b.iter(|| black_box(black_box(&q).canonical())));
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = peer, stages, depth, flat_1mb
}
criterion_main!(benches);
