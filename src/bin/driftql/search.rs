//! `search` and `summarize`: the API's search endpoints from the command line.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use driftql::client::{Cache, Pages, SearchBuilder, Summary, SummaryBuilder, TruncationReason};
use driftql::export::{Table, TableFormat};

use driftql::models::{SummaryField, SummaryLimit};
use driftql::report::Report;
use futures::StreamExt;
use serde::Serialize;

use crate::Exit;
use crate::Status;
use crate::api::{self, ApiArgs, Filters};
use crate::everything;
use crate::output::{Columns, Output};

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
    /// The page to fetch (0 to 99: the API serves 100 pages of a search). With --max-pages:
    /// the first page to fetch, e.g. to resume after a failure.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(..100))]
    page: Option<u32>,
    /// Fetch every result, past the API's cap of 100 pages (10,000 results) a search: the
    /// search is split into date windows of at most 10,000 results each (see --explain).
    #[arg(long, conflicts_with_all = ["max_pages", "page"])]
    pub all: bool,
    /// Fetch at most N pages.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_pages: Option<u32>,
    /// With --all: plan the search and print the plan (the request, its windows and pages,
    /// the quota units it costs, the quota left), and fetch nothing more.
    #[arg(long, requires = "all", conflicts_with = "out")]
    pub explain: bool,
    /// With --all: refuse to start when the plan costs more than N quota units (a page is
    /// one), and never spend more.
    #[arg(long, value_name = "N", requires = "all")]
    pub budget: Option<u64>,
    /// With --all: keep the plan and each page printed in FILE; run the same command again
    /// and it goes on where it stopped, printing only what was not printed before.
    #[arg(long, value_name = "FILE", requires = "all")]
    pub checkpoint: Option<PathBuf>,
    /// Write the reports to FILE instead of standard output; with --checkpoint, a second run
    /// appends to it.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Keep each page fetched in the cache directory (DRIFTQL_CACHE_DIR, else the user's
    /// cache directory), and take from it the pages it holds: they cost no quota.
    #[arg(long)]
    cache: bool,
    /// With --cache: how long a page is used once fetched, e.g. 30m, 24h, 7d.
    #[arg(
        long,
        value_name = "DURATION",
        requires = "cache",
        default_value = "24h"
    )]
    cache_ttl: humantime::Duration,
    /// How to print the reports (with --summarize, where a command has it: `json` prints the
    /// summary as JSON, `csv`/`tsv` as CSV/TSV, otherwise as a table).
    #[arg(long, value_enum, default_value_t = SearchOutput::Ndjson)]
    pub output: SearchOutput,
    #[command(flatten)]
    pub columns: Columns,
}

impl Paging {
    /// The cache, with --cache.
    pub fn cache(&self) -> Result<Option<Cache>, Exit> {
        if !self.cache {
            return Ok(None);
        }
        match Cache::at_default_dir() {
            Ok(c) => Ok(Some(c.ttl(*self.cache_ttl))),
            Err(e) => {
                eprintln!("driftql: {e}");
                Err(Exit::Invalid)
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SearchOutput {
    /// One report per line, printed as the pages arrive.
    Ndjson,
    /// One JSON object at the end: `{"result_count", "pages", "results": [...]}`.
    Json,
    /// CSV: a header row, then a row per report as the pages arrive (see --fields).
    Csv,
    /// TSV: the same, separated by tabs.
    Tsv,
}

impl SearchOutput {
    /// The table format, for csv and tsv.
    pub fn table(self) -> Option<TableFormat> {
        match self {
            SearchOutput::Csv => Some(TableFormat::Csv),
            SearchOutput::Tsv => Some(TableFormat::Tsv),
            SearchOutput::Ndjson | SearchOutput::Json => None,
        }
    }
}

/// `--output json`: the whole result set as one document.
#[derive(Serialize)]
pub struct JsonResults<'a> {
    pub result_count: u64,
    pub pages: u32,
    pub results: &'a [Report],
}

pub fn search(args: SearchArgs) -> Status {
    let query = api::read_query(args.expression.clone(), args.filters.has_ip())?;
    let client = args.api.client_with(args.paging.cache()?)?;
    let builder = args.filters.search(&client, query)?;
    run_pages(builder, &args.paging)
}

/// Fetches the pages `paging` asks for and prints their reports.
pub fn run_pages(builder: SearchBuilder, paging: &Paging) -> Status {
    if paging.all {
        return everything::run(builder, paging);
    }
    let builder = builder
        .page(paging.page.unwrap_or(0))
        .max_pages(paging.max_pages.unwrap_or(1));
    let pages = match builder.pages() {
        Ok(p) => p,
        Err(e) => return Err(api::error(&e)),
    };
    let table = paging.columns.table(paging.output.table())?;
    let out = match &paging.out {
        Some(path) => Output::create(path)?,
        None => Output::stdout(),
    }
    .with_table(table, true)?;
    let rt = api::runtime()?;
    rt.block_on(stream(
        pages,
        out,
        paging.output,
        paging.max_pages.is_some(),
    ))
}

/// Prints the pages as they come.
async fn stream(mut pages: Pages, mut out: Output, output: SearchOutput, paging: bool) -> Status {
    let mut collected = Vec::new();
    let mut status = Exit::Ok;
    while let Some(next) = pages.next().await {
        match next {
            Ok(page) => match output {
                SearchOutput::Json => collected.extend(page.results),
                _ => out.reports(&page.results)?,
            },
            Err(e) => {
                out.flush();
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
    if status == Exit::Ok && output == SearchOutput::Json {
        out.document(&JsonResults {
            result_count: pages.result_count().unwrap_or(0),
            pages: pages.server_pages().unwrap_or(0),
            results: &collected,
        })?;
    }
    if let Some(t) = pages.truncation()
        && (paging || t.reason != TruncationReason::Budget)
    {
        eprintln!("warning: {t}");
        if t.reason == TruncationReason::PageCap {
            eprintln!("note: --all fetches every result, past the cap");
        }
    }
    if pages.duplicates_dropped() > 0 {
        eprintln!(
            "warning: the API sent {} reports a second time, on later pages; each was printed once",
            pages.duplicates_dropped()
        );
    }
    Ok(status)
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
    /// Print the request, the most quota units it can cost (1 per 10,000 values returned, at
    /// least 1) and the quota left, and send nothing else.
    #[arg(long)]
    explain: bool,
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
    /// CSV: `kind,value,count`, a row per value (kind `value`), then `other,,N` (and
    /// `distinct,,N`).
    Csv,
    /// TSV: the same, separated by tabs.
    Tsv,
}

pub fn summarize(args: SummarizeArgs) -> Status {
    let field = summary_field(&args.counted)?;
    args.summary.checked_limit()?;
    let query = api::read_query(args.expression.clone(), args.filters.has_ip())?;
    let client = args.api.client()?;
    let builder = args.filters.search(&client, query)?;
    if args.explain {
        return explain_summary(summary_builder(builder, field, &args.summary)?, args.output);
    }
    run_summary(builder, field, &args.summary, args.output)
}

/// `summarize --explain`: the request, its most cost and the quota left.
fn explain_summary(builder: SummaryBuilder, output: SummaryOutput) -> Status {
    let url = builder.url().map_err(|e| api::error(&e))?;
    let max_units = builder.max_cost();
    let rt = api::runtime()?;
    let quota_left = match rt.block_on(builder.client().user()) {
        Ok(a) => a.quota.api_left(),
        Err(e) => {
            eprintln!("warning: the quota left could not be read: {e}");
            None
        }
    };
    let mut endpoint = url.clone();
    endpoint.set_query(None);
    let mut out = io::stdout().lock();
    let written = if output == SummaryOutput::Json {
        let parameters: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        api::json_line(
            &mut out,
            &serde_json::json!({
                "endpoint": endpoint.as_str(),
                "parameters": parameters,
                "max_units": max_units,
                "quota_left": quota_left,
            }),
        )
    } else {
        let mut t = format!("request  GET {endpoint}\n");
        for (name, value) in url.query_pairs() {
            t += &format!("         {name}={value}\n");
        }
        t += &format!(
            "cost     at most {max_units} quota unit{} (1 per 10,000 values returned, at least 1)\n",
            if max_units == 1 { "" } else { "s" }
        );
        t += &match quota_left {
            Some(left) => format!("quota    {left} units left\n"),
            None => "quota    unknown\n".to_owned(),
        };
        out.write_all(t.as_bytes())
    };
    Ok(written.map_or_else(|e| api::write_error(&e), |()| Exit::Ok))
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

/// The summary of `field`'s values over `builder`'s search that `counting` asks for.
fn summary_builder(
    builder: SearchBuilder,
    field: SummaryField,
    counting: &Counting,
) -> Result<SummaryBuilder, Exit> {
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
    Ok(builder)
}

/// Summarises `field`'s values over `builder`'s search and prints them.
pub fn run_summary(
    builder: SearchBuilder,
    field: SummaryField,
    counting: &Counting,
    output: SummaryOutput,
) -> Status {
    let builder = summary_builder(builder, field, counting)?;
    let rt = api::runtime()?;
    let summary = match rt.block_on(builder.send()) {
        Ok(s) => s,
        Err(e) => return Err(api::error(&e)),
    };
    let mut out = io::stdout().lock();
    let written = match output {
        SummaryOutput::Json => api::json_line(&mut out, &summary),
        SummaryOutput::Table => write!(out, "{}", table(&summary)),
        SummaryOutput::Csv => summary_rows(&summary, TableFormat::Csv, &mut out),
        SummaryOutput::Tsv => summary_rows(&summary, TableFormat::Tsv, &mut out),
    };
    Ok(written.map_or_else(|e| api::write_error(&e), |()| Exit::Ok))
}

/// A summary as CSV or TSV: `kind,value,count`.
fn summary_rows(summary: &Summary, format: TableFormat, out: &mut dyn Write) -> io::Result<()> {
    let mut t = Table::new(format, driftql::export::Fields::default(), "");
    let mut out = out;
    t.record(["kind", "value", "count"], &mut out)?;
    for (value, count) in summary.iter() {
        t.record(["value", value, &count.to_string()], &mut out)?;
    }
    t.record(["other", "", &summary.other.to_string()], &mut out)?;
    if let Some(c) = summary.cardinality {
        t.record(["distinct", "", &c.to_string()], &mut out)?;
    }
    out.flush()
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
