//! `cache stats` and `cache clear`: the cache of results pages that `--cache` keeps.

use std::io::{self, Write};

use clap::{Args, Subcommand, ValueEnum};
use driftql::client::{Cache, CacheStats};
use serde::Serialize;

use crate::Exit;
use crate::Status;
use crate::api;

#[derive(Args, Debug)]
pub struct CacheArgs {
    #[command(subcommand)]
    action: CacheAction,
}

#[derive(Subcommand, Debug)]
enum CacheAction {
    /// Show where the cache is, how many pages it holds, their size, and how many are expired.
    Stats(StatsArgs),
    /// Remove the cached pages (all, or with --expired those past the time to live).
    Clear(ClearArgs),
}

#[derive(Args, Debug)]
struct StatsArgs {
    /// The time to live pages are judged by, as with `search --cache-ttl`.
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    cache_ttl: humantime::Duration,
    /// How to print the figures.
    #[arg(long, value_enum, default_value_t = StatsOutput::Table)]
    output: StatsOutput,
}

#[derive(Args, Debug)]
struct ClearArgs {
    /// Remove only the pages older than the time to live.
    #[arg(long)]
    expired: bool,
    /// With --expired: the time to live, as with `search --cache-ttl`.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "24h",
        requires = "expired"
    )]
    cache_ttl: humantime::Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StatsOutput {
    /// One figure per line.
    Table,
    /// `{"directory", "pages", "bytes", "expired"}`.
    Json,
}

#[derive(Serialize)]
struct StatsJson {
    directory: String,
    #[serde(flatten)]
    stats: CacheStats,
}

pub fn cache(args: CacheArgs) -> Status {
    let (ttl, run): (humantime::Duration, fn(&Cache, &CacheAction) -> Status) = match &args.action {
        CacheAction::Stats(a) => (a.cache_ttl, stats),
        CacheAction::Clear(a) => (a.cache_ttl, clear),
    };
    let cache = Cache::at_default_dir().map_err(|e| {
        eprintln!("driftql: {e}");
        Exit::Invalid
    })?;
    run(&cache.ttl(*ttl), &args.action)
}

fn failed(cache: &Cache, e: &io::Error) -> Exit {
    eprintln!("driftql: {}: {e}", cache.dir().display());
    Exit::Io
}

fn stats(cache: &Cache, action: &CacheAction) -> Status {
    let s = cache.stats().map_err(|e| failed(cache, &e))?;
    let mut out = io::stdout().lock();
    let json = matches!(action, CacheAction::Stats(a) if a.output == StatsOutput::Json);
    let written = if json {
        api::json_line(
            &mut out,
            &StatsJson {
                directory: cache.dir().display().to_string(),
                stats: s,
            },
        )
    } else {
        write!(
            out,
            "directory  {}\npages      {}\nsize       {}\nexpired    {} (older than {})\n",
            cache.dir().display(),
            s.pages,
            size(s.bytes),
            s.expired,
            humantime::format_duration(cache.time_to_live())
        )
    };
    Ok(written.map_or_else(|e| api::write_error(&e), |()| Exit::Ok))
}

fn clear(cache: &Cache, action: &CacheAction) -> Status {
    let expired = matches!(action, CacheAction::Clear(a) if a.expired);
    let removed = cache.clear(expired).map_err(|e| failed(cache, &e))?;
    eprintln!(
        "driftql: removed {} {}pages ({}) from {}",
        removed.pages,
        if expired { "expired " } else { "" },
        size(removed.bytes),
        cache.dir().display()
    );
    Ok(Exit::Ok)
}

/// A size in bytes, as people read it.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}
