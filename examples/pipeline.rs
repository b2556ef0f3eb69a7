//! The benches' realistic corpus (`benches/corpus`), for peers outside Rust (`python/bench.py`):
//!
//! - `pipeline print [N]` prints its N queries (default 1000), one per line;
//! - `pipeline time [N]` times driftql's whole pipeline on them — parse, validate, print, as
//!   the `stages/realistic/pipeline` bench does — and prints the best of 10 rounds, in
//!   nanoseconds per query.

#[path = "../benches/corpus/mod.rs"]
mod corpus;

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = match args.get(1).map(|n| n.parse::<usize>()) {
        None => 1000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("pipeline: N must be a whole number above 0");
            std::process::exit(2);
        }
    };
    let queries: Vec<String> = corpus::realistic(n)
        .into_iter()
        .map(|p| p.driftql)
        .collect();
    match args.first().map(String::as_str) {
        Some("print") => {
            for q in &queries {
                println!("{q}");
            }
        }
        Some("time") => {
            let mut best = f64::INFINITY;
            for _ in 0..10 {
                let start = Instant::now();
                for q in &queries {
                    let parsed = driftql::parse(black_box(q)).expect("the corpus parses");
                    black_box(parsed.validate());
                    black_box(parsed.canonical());
                }
                best = best.min(start.elapsed().as_nanos() as f64 / queries.len() as f64);
            }
            println!("{best:.0}");
        }
        _ => {
            eprintln!("usage: pipeline print|time [N]");
            std::process::exit(2);
        }
    }
}
