//! Writes deterministic synthetic scan reports as NDJSON on standard output, for trying
//! `driftql filter` and for `benches/filter_vs_jq.sh`.
//!
//! ```sh
//! cargo run --release --example gen_reports -- 100 > scan.ndjson   # about 100 MB
//! cargo run --release --example gen_reports -- 5 7 > other.ndjson  # about 5 MB, seed 7
//! ```
//!
//! Arguments: the size in megabytes (10^6 bytes; default 100; fractions allowed) and the seed
//! (default 1). The count of reports and bytes goes to standard error.

#[path = "../benches/sample/mod.rs"]
mod sample;

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let megabytes = match args.first().map(|s| s.parse::<f64>()) {
        None => 100.0,
        Some(Ok(mb)) if mb.is_finite() && mb >= 0.0 => mb,
        Some(_) => return usage(),
    };
    let seed = match args.get(1).map(|s| s.parse::<u64>()) {
        None => 1,
        Some(Ok(seed)) => seed,
        Some(Err(_)) => return usage(),
    };
    if args.len() > 2 {
        return usage();
    }
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let bytes = (megabytes * 1e6) as u64;
    match sample::write_ndjson(&mut out, bytes, seed).and_then(|r| out.flush().map(|()| r)) {
        Ok((reports, bytes)) => {
            eprintln!("gen_reports: {reports} reports, {bytes} bytes");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_reports: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: gen_reports [MEGABYTES] [SEED]");
    ExitCode::from(2)
}
