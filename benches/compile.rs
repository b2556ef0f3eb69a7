//! Compiling expressions for the engines, per target, on the realistic corpus of the parse
//! bench, beside printing the canonical form of the same trees (the compiler's cheapest
//! output, as the yardstick).
//!
//! Run with `cargo bench --bench compile`; the figures in the README come from here.

mod corpus;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use driftql::compile::{CompileOptions, Target, compile};

const QUERIES: usize = 1000;

fn targets(c: &mut Criterion) {
    let parsed: Vec<driftql::Query> = corpus::realistic(QUERIES)
        .into_iter()
        .map(|p| driftql::parse(&p.driftql).unwrap())
        .collect();
    let options = CompileOptions::default();
    let mut g = c.benchmark_group("compile/realistic");
    g.throughput(Throughput::Elements(parsed.len() as u64));
    g.bench_function("print", |b| {
        b.iter(|| {
            for q in &parsed {
                black_box(black_box(q).canonical());
            }
        })
    });
    for target in Target::ALL {
        g.bench_function(target.name(), |b| {
            b.iter(|| {
                for q in &parsed {
                    // OpenSearch refuses a few rules; a refusal is work done too.
                    let _ = black_box(compile(black_box(q), target, &options));
                }
            })
        });
    }
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
    targets = targets
}
criterion_main!(benches);
