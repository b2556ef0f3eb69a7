//! `search` and `summarize`: the API's search endpoints from the command line.

use std::io::{self, BufWriter, IsTerminal, Write};

use clap::{Args, ValueEnum};
use driftql::client::{Pages, SearchBuilder, Summary, SummaryBuilder, TruncationReason};
use driftql::models::{SummaryField, SummaryLimit};
use driftql::report::Report;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::Exit;
use crate::Status;
use crate::api::{self, ApiArgs, Filters};

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The expression; read from standard input when it is `-`, or when it is absent and
    /// neither --ip nor an older parameter (--field, --keyword, --query) is given.
    expression: Option<String>,
    #[command(flatten)]
    filters: Filters,
    #[command(flatten)]
    paging: Paging,
    #[command(flatten)]
    api: ApiArgs,
}

/// Which pages of a search to fetch, and how to print them: what every search endpoint's
/// command takes.
#[derive(Args, Debug)]
pub struct Paging {
    /// The page to fetch (0 to 99: the API serves 100 pages of a search). With --all or
    /// --max-pages: the first page to fetch, e.g. to resume after a failure.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(..100))]
    page: Option<u32>,
    /// Fetch every page, up to the API's cap of 100 pages (10,000 results).
    #[arg(long, conflicts_with = "max_pages")]
    all: bool,
    /// Fetch at most N pages.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_pages: Option<u32>,
    /// How to print the reports (with --summarize, where a command has it: `json` prints the
    /// summary as JSON, otherwise as a table).
    #[arg(long, value_enum, default_value_t = SearchOutput::Ndjson)]
    pub output: SearchOutput,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SearchOutput {
    /// One report per line, printed as the pages arrive.
    Ndjson,
    /// One JSON object at the end: `{"result_count", "pages", "results": [...]}`.
    Json,
}

#[derive(Serialize)]
struct JsonResults<'a> {
    result_count: u64,
    pages: u32,
    results: &'a [Report],
}

pub fn search(args: SearchArgs) -> Status {
    let query = api::read_query(args.expression.clone(), args.filters.has_ip())?;
    let client = args.api.client()?;
    let builder = args.filters.search(&client, query)?;
    run_pages(builder, &args.paging)
}

/// Fetches the pages `paging` asks for and prints their reports.
pub fn run_pages(builder: SearchBuilder, paging: &Paging) -> Status {
    let mut builder = builder.page(paging.page.unwrap_or(0));
    let budget = if paging.all {
        None
    } else {
        Some(paging.max_pages.unwrap_or(1))
    };
    if let Some(b) = budget {
        builder = builder.max_pages(b);
    }
    let pages = match builder.pages() {
        Ok(p) => p,
        Err(e) => return Err(api::error(&e)),
    };
    let rt = api::runtime()?;
    let progress = paging.all && io::stderr().is_terminal();
    Ok(rt.block_on(stream(
        pages,
        paging.output,
        progress,
        paging.max_pages.is_some() || paging.all,
    )))
}

/// Prints the pages as they come; returns the exit status.
async fn stream(mut pages: Pages, output: SearchOutput, progress: bool, paging: bool) -> Exit {
    let mut out = BufWriter::new(io::stdout().lock());
    let bar = progress.then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} pages {pos}/{len} {wide_bar} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let mut collected = Vec::new();
    let mut status = Exit::Ok;
    while let Some(next) = pages.next().await {
        match next {
            Ok(page) => {
                if let (Some(bar), Some(n)) = (&bar, pages.planned_pages()) {
                    bar.set_length(u64::from(n));
                    bar.inc(1);
                }
                match output {
                    SearchOutput::Ndjson => {
                        let written = page
                            .results
                            .iter()
                            .try_for_each(|r| api::json_line(&mut out, r))
                            .and_then(|()| out.flush());
                        if let Err(e) = written {
                            return api::write_error(&e);
                        }
                    }
                    SearchOutput::Json => collected.extend(page.results),
                }
            }
            Err(e) => {
                if let Some(bar) = &bar {
                    bar.abandon();
                }
                let _ = out.flush();
                eprintln!("driftql: {e}");
                if pages.pages_delivered() > 0 {
                    eprintln!(
                        "driftql: the {} pages before it were printed; to go on, run the same \
                         command with --page {}",
                        pages.pages_delivered(),
                        e.page
                    );
                }
                status = if e.error.is_refused_before_sending() {
                    crate::Exit::Invalid
                } else {
                    Exit::Api
                };
                break;
            }
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if status == Exit::Ok && output == SearchOutput::Json {
        let doc = JsonResults {
            result_count: pages.result_count().unwrap_or(0),
            pages: pages.server_pages().unwrap_or(0),
            results: &collected,
        };
        let written = serde_json::to_writer_pretty(&mut out, &doc)
            .map_err(io::Error::other)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush());
        if let Err(e) = written {
            return api::write_error(&e);
        }
    }
    if let Some(t) = pages.truncation()
        && (paging || t.reason != TruncationReason::Budget)
    {
        eprintln!("warning: {t}");
    }
    if pages.duplicates_dropped() > 0 {
        eprintln!(
            "warning: the API sent {} reports a second time, on later pages; each was printed once",
            pages.duplicates_dropped()
        );
    }
    status
}

#[derive(Args, Debug)]
pub struct SummarizeArgs {
    /// The type whose values are counted, e.g. port-tcp.
    #[arg(value_name = "FIELD")]
    counted: String,
    /// The expression; read from standard input when it is `-`, or when it is absent and
    /// --ip is not given.
    expression: Option<String>,
    #[command(flatten)]
    filters: Filters,
    #[command(flatten)]
    summary: Counting,
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = SummaryOutput::Table)]
    output: SummaryOutput,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryOutput {
    /// Aligned value and count columns, then `(other)` (and `(distinct)`).
    Table,
    /// `{"other": N, "values": {...}, "cardinality": N}` with the values in the server's order.
    Json,
}

pub fn summarize(args: SummarizeArgs) -> Status {
    let field = summary_field(&args.counted)?;
    args.summary.checked_limit()?;
    let query = api::read_query(args.expression.clone(), args.filters.has_ip())?;
    let client = args.api.client()?;
    let builder = args.filters.search(&client, query)?;
    run_summary(builder, field, &args.summary, args.output)
}

/// The type a summary counts, checked.
pub fn summary_field(field: &str) -> Result<SummaryField, Exit> {
    field.parse().map_err(|e| api::request_error(&e, None))
}

/// What to count in a summary, and how to print it: what every command that summarises
/// takes.
#[derive(Args, Debug)]
pub struct Counting {
    /// The most values returned (1 to 10,000; enterprise plans up to 1,000,000).
    #[arg(long, value_name = "N")]
    limit: Option<String>,
    /// Count only items of this context (repeatable; "" is the empty context).
    #[arg(long = "context", value_name = "C")]
    context: Vec<String>,
    /// Leave out items of this context (repeatable).
    #[arg(long = "no-context", value_name = "C")]
    no_context: Vec<String>,
    /// Also count the distinct values (enterprise plans).
    #[arg(long)]
    cardinality: bool,
}

impl Counting {
    /// `--limit`, checked (to the enterprise bound: the server judges the plan).
    pub fn checked_limit(&self) -> Result<Option<SummaryLimit>, Exit> {
        self.limit
            .as_deref()
            .map(|l| SummaryLimit::parse(l, true))
            .transpose()
            .map_err(|e| api::request_error(&e, None))
    }
}

/// Summarises `field`'s values over `builder`'s search and prints them.
pub fn run_summary(
    builder: SearchBuilder,
    field: SummaryField,
    counting: &Counting,
    output: SummaryOutput,
) -> Status {
    let limit = counting.checked_limit()?;
    let mut builder: SummaryBuilder = builder.summarize(field);
    for c in &counting.context {
        builder = builder.context(c);
    }
    for c in &counting.no_context {
        builder = builder.no_context(c);
    }
    if let Some(l) = limit {
        builder = builder.limit(l);
    }
    if counting.cardinality {
        builder = builder.cardinality(true);
    }
    let rt = api::runtime()?;
    let summary = match rt.block_on(builder.send()) {
        Ok(s) => s,
        Err(e) => return Err(api::error(&e)),
    };
    let mut out = io::stdout().lock();
    let written = match output {
        SummaryOutput::Json => api::json_line(&mut out, &summary),
        SummaryOutput::Table => write!(out, "{}", table(&summary)),
    };
    Ok(written.map_or_else(|e| api::write_error(&e), |()| Exit::Ok))
}

/// Aligned `value count` rows, a header, then `(other)` and, when known, `(distinct)`.
fn table(summary: &Summary) -> String {
    let mut rows: Vec<(String, String)> = vec![("VALUE".into(), "COUNT".into())];
    rows.extend(
        summary
            .iter()
            .map(|(v, n)| (display_value(v), n.to_string())),
    );
    rows.push(("(other)".into(), summary.other.to_string()));
    if let Some(c) = summary.cardinality {
        rows.push(("(distinct)".into(), c.to_string()));
    }
    let width = |s: &str| s.chars().count();
    let vw = rows.iter().map(|(v, _)| width(v)).max().unwrap_or(0);
    let cw = rows.iter().map(|(_, c)| width(c)).max().unwrap_or(0);
    let mut s = String::new();
    for (v, c) in rows {
        let pad_v = vw - width(&v);
        let pad_c = cw - width(&c);
        s.push_str(&v);
        s.extend(std::iter::repeat_n(' ', pad_v + 2 + pad_c));
        s.push_str(&c);
        s.push('\n');
    }
    s
}

/// A value as one table cell: control characters escaped, the empty value as `""`.
fn display_value(v: &str) -> String {
    if v.is_empty() {
        return "\"\"".into();
    }
    v.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
