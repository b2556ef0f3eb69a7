//! `serve`: a local Driftnet-compatible API server over a dataset.

use std::fs::File;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use driftql::export::{DEFAULT_MAX_LINE, ReadOptions};
use driftql::server::sample::{DEFAULT_SAMPLE, MAX_SAMPLE};
use driftql::server::{Dataset, Server, ServerOptions};

use crate::Exit;
use crate::Status;

/// The address `serve` listens on unless told otherwise.
const DEFAULT_ADDR: &str = "127.0.0.1:8080";

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Serve the reports of this scan export (NDJSON, results pages, arrays of reports, or
    /// pretty-printed JSON, as `filter` reads them). Bad lines are reported with their position
    /// and skipped; a file with no valid report is refused.
    #[arg(long, value_name = "FILE", conflicts_with = "sample")]
    data: Option<PathBuf>,
    /// With --data: the longest line read, in bytes; a longer one is reported and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE, requires = "data")]
    max_line: usize,
    /// Serve N synthetic reports from the built-in generator (the same N reports on every run),
    /// 1 to 1000000 (a million take about 2 GB of memory). The default when `--data` is absent:
    /// 100000 (dated 2019 to 2025; `port-tcp:443` matches about 16,000 of them).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_SAMPLE as u64))]
    sample: Option<u64>,
    /// The address to listen on; port 0 picks a free port (the address is printed).
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_ADDR)]
    addr: SocketAddr,
    /// Require `Authorization: Bearer TOKEN` on every request.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Act as an enterprise plan: `summary_limit` up to 1,000,000.
    #[arg(long)]
    enterprise: bool,
    /// Answer 429 when more than N searches run at once (the real service allows 5).
    #[arg(long, value_name = "N")]
    max_concurrent: Option<usize>,
    /// The seconds one search may take; past it, it stops and the answer is 422.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    search_timeout: f64,
    /// The seconds a client has to send a request head, and a kept-alive connection may stay
    /// idle.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    header_timeout: f64,
    /// The most connections open at once; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 128)]
    max_connections: usize,
    /// On Ctrl-C or SIGTERM, the seconds the requests under way have to finish.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    shutdown_timeout: f64,
}

/// Seconds as a duration, refusing what is not a positive number.
fn seconds(name: &str, value: f64) -> Result<Duration, Exit> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            eprintln!("driftql: --{name} takes a number of seconds above 0, not {value}");
            Exit::Syntax
        })
}

pub fn serve(args: ServeArgs) -> Status {
    let shutdown_timeout = seconds("shutdown-timeout", args.shutdown_timeout)?;
    let options = ServerOptions::default()
        .with_enterprise(args.enterprise)
        .with_max_concurrent(args.max_concurrent)
        .with_search_timeout(seconds("search-timeout", args.search_timeout)?)
        .with_header_timeout(seconds("header-timeout", args.header_timeout)?)
        .with_max_connections(args.max_connections)
        .with_shutdown_timeout(shutdown_timeout);
    let dataset = Arc::new(load(&args)?);
    let options = match args.token {
        Some(t) => options.with_token(t),
        None => options,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("driftql: cannot start the server: {e}");
            return Err(Exit::Io);
        }
    };
    let reports = dataset.len();
    let result = runtime.block_on(async move {
        let server = Server::bind(args.addr, dataset, options).await?;
        let addr = server.local_addr()?;
        let noun = if reports == 1 { "report" } else { "reports" };
        let mut out = io::stdout().lock();
        writeln!(
            out,
            "driftql: serving {reports} {noun} on http://{addr} (Ctrl-C to stop)"
        )?;
        out.flush()?;
        drop(out);
        server.run().await
    });
    // Searches still running when the deadline passed are cancelled with their connections;
    // do not wait for them longer than that either.
    runtime.shutdown_timeout(shutdown_timeout);
    match result {
        Ok(()) => {
            eprintln!("driftql: stopped");
            Ok(Exit::Ok)
        }
        Err(e) => {
            eprintln!("driftql: the server failed on {}: {e}", args.addr);
            Err(Exit::Io)
        }
    }
}

/// Loads the dataset, reporting bad lines on standard error.
fn load(args: &ServeArgs) -> Result<Dataset, Exit> {
    let Some(path) = &args.data else {
        let n = args.sample.unwrap_or(DEFAULT_SAMPLE as u64);
        return Ok(Dataset::sample(usize::try_from(n).unwrap_or(MAX_SAMPLE)));
    };
    let shown = driftql::text::escape_control(&path.display().to_string()).into_owned();
    let file = File::open(path).map_err(|e| {
        eprintln!("driftql: cannot open {shown}: {e}");
        Exit::Io
    })?;
    let options = ReadOptions::default().with_max_line(args.max_line);
    let loaded = Dataset::read(file, &options).map_err(|e| {
        eprintln!("driftql: cannot read {shown}: {e}");
        Exit::Io
    })?;
    for bad in &loaded.bad {
        eprintln!("driftql: {shown}:{}: {}", bad.at, bad.message);
    }
    let unshown = loaded.bad_count - loaded.bad.len() as u64;
    if unshown > 0 {
        eprintln!("driftql: {shown}: {unshown} more bad lines or reports");
    }
    if loaded.dataset.is_empty() {
        eprintln!("driftql: {shown} holds no valid report; not starting");
        return Err(Exit::BadInput);
    }
    if loaded.bad_count > 0 {
        eprintln!(
            "driftql: {shown}: skipped {} bad line(s) or report(s), loaded {} report(s)",
            loaded.bad_count,
            loaded.dataset.len()
        );
    }
    Ok(loaded.dataset)
}
