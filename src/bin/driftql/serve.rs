//! `serve`: a local Driftnet-compatible API server over a dataset.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use driftql::server::{Dataset, Server, ServerOptions};

use crate::Exit;
use crate::Status;

/// The address `serve` listens on unless told otherwise.
const DEFAULT_ADDR: &str = "127.0.0.1:8080";

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Serve the reports of this NDJSON file (one report object a line). Bad lines are reported
    /// with their line number and skipped; a file with no valid report is refused.
    #[arg(long, value_name = "FILE", conflicts_with = "sample")]
    data: Option<PathBuf>,
    /// Serve N synthetic reports from the built-in generator (the same N reports on every run).
    /// The default when `--data` is absent: 20000.
    #[arg(long, value_name = "N")]
    sample: Option<usize>,
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
}

pub fn serve(args: ServeArgs) -> Status {
    let dataset = Arc::new(load(&args)?);
    let options = ServerOptions::default()
        .with_enterprise(args.enterprise)
        .with_max_concurrent(args.max_concurrent);
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
        return Ok(Dataset::sample(args.sample.unwrap_or(20_000)));
    };
    let shown = path.display();
    let file = File::open(path).map_err(|e| {
        eprintln!("driftql: cannot open {shown}: {e}");
        Exit::Io
    })?;
    let loaded = Dataset::from_ndjson(BufReader::new(file)).map_err(|e| {
        eprintln!("driftql: {shown}: {e}");
        Exit::Io
    })?;
    for bad in &loaded.errors {
        eprintln!("driftql: {shown}:{}: {}", bad.line, bad.message);
    }
    if loaded.dataset.is_empty() {
        eprintln!("driftql: {shown} holds no valid report; not starting");
        return Err(Exit::BadInput);
    }
    if !loaded.errors.is_empty() {
        eprintln!(
            "driftql: {shown}: skipped {} bad line(s), loaded {} report(s)",
            loaded.errors.len(),
            loaded.dataset.len()
        );
    }
    Ok(loaded.dataset)
}
