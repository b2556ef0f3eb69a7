//! Writes synthetic scan reports as NDJSON on standard output, for trying `driftql filter` and
//! for `benches/filter_vs_jq.sh`: the reports of `driftql serve --sample`
//! ([`driftql::server::sample`]), the same on every run.
//!
//! ```sh
//! cargo run --release --example gen_reports -- 100 > scan.ndjson   # at least 100 MB
//! cargo run --release --example gen_reports -- 0.5 > small.ndjson  # at least 500 kB
//! ```
//!
//! The argument is the size in megabytes (10^6 bytes; default 100; fractions allowed): reports
//! are written until at least that many bytes are. The count of reports and bytes goes to
//! standard error.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use driftql::server::sample;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let megabytes = match args.first().map(|s| s.parse::<f64>()) {
        None => 100.0,
        Some(Ok(mb)) if mb.is_finite() && mb >= 0.0 => mb,
        Some(_) => return usage(),
    };
    if args.len() > 1 {
        return usage();
    }
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let bytes = (megabytes * 1e6) as u64;
    match write_ndjson(&mut out, bytes).and_then(|r| out.flush().map(|()| r)) {
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

/// Writes the reports of a sample large enough for `bytes` bytes, one a line, until at least
/// `bytes` are written; returns the number of reports and of bytes.
fn write_ndjson(out: &mut impl Write, bytes: u64) -> io::Result<(u64, u64)> {
    // A sample's reports average out to a steady size: size the sample from a small one, with
    // room to spare, and stop once enough is written.
    let probe = 2000;
    let probe_bytes: usize = sample::reports(probe)
        .map(|r| serde_json::to_vec(&r).map_or(0, |v| v.len() + 1))
        .sum();
    let n = (bytes as f64 / (probe_bytes as f64 / probe as f64) * 1.2) as usize + probe;
    let mut line = Vec::with_capacity(4096);
    let (mut count, mut written) = (0u64, 0u64);
    for report in sample::reports(n) {
        if written >= bytes {
            break;
        }
        line.clear();
        serde_json::to_writer(&mut line, &report)?;
        line.push(b'\n');
        out.write_all(&line)?;
        written += line.len() as u64;
        count += 1;
    }
    if written < bytes {
        return Err(io::Error::other(format!(
            "the sample of {n} reports holds only {written} bytes"
        )));
    }
    Ok((count, written))
}

fn usage() -> ExitCode {
    eprintln!("usage: gen_reports [MEGABYTES]");
    ExitCode::from(2)
}
