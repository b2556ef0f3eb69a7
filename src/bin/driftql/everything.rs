//! `--all`: every result of a search, past the API's cap: the plan and its cost (`--explain`),
//! the budget, the checkpoint, the progress bar.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use driftql::client::plan::{PlannedWindow, Planning, Progress};
use driftql::client::{Error, Harvest, Plan, SearchBuilder};
use driftql::export::{self, Bad, Found, ReadOptions, Sink, TableFormat};
use driftql::models::Account;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::Exit;
use crate::Status;
use crate::api;
use crate::output::Output;
use crate::search::{JsonResults, Paging, SearchOutput};

/// Plans the search, then prints the plan (`--explain`) or fetches it.
pub fn run(builder: SearchBuilder, paging: &Paging) -> Status {
    if paging.checkpoint.is_some() && paging.output == SearchOutput::Json && !paging.explain {
        eprintln!(
            "driftql: --checkpoint needs --output ndjson, csv or tsv: a JSON document cannot be \
             added to by a second run"
        );
        return Err(Exit::Syntax);
    }
    let client = builder.client().clone();
    let mut everything = builder.everything();
    if let Some(b) = paging.budget {
        everything = everything.budget(b);
    }
    if let Some(c) = &paging.checkpoint {
        everything = everything.checkpoint(c);
    }
    let rt = api::runtime()?;
    let bar = Bar::new();
    let plan = rt
        .block_on(everything.plan_with(|p| bar.planning(p)))
        .map_err(|e| {
            bar.clear();
            api::error(&e)
        })?;
    if paging.explain {
        bar.clear();
        let account = rt.block_on(client.user());
        return explain(&plan, account, paging.output);
    }
    let resumed = plan.resumed().cloned();
    if let (Some(r), Some(path)) = (&resumed, &paging.checkpoint) {
        if r.complete {
            bar.clear();
            eprintln!(
                "driftql: {} records this search as complete: nothing more to fetch (delete it \
                 to search again)",
                path.display()
            );
            return Ok(Exit::Ok);
        }
        if let Some(api) = &r.other_api {
            bar.println(format!(
                "note: {} was started against {api}; going on against {}",
                path.display(),
                client.base_url()
            ));
        }
        if r.reports > 0 || r.pages_done.iter().any(|&d| d > 0) {
            bar.println(format!(
                "driftql: going on from {}: {} of {} pages done, {} reports printed before",
                path.display(),
                r.pages_done.iter().map(|&d| u64::from(d)).sum::<u64>(),
                plan.estimate().pages,
                r.reports
            ));
        }
    }
    let done_before = resumed
        .as_ref()
        .is_some_and(|r| r.pages_done.iter().any(|&d| d > 0));
    let recorded = resumed.as_ref().and_then(|r| r.output_path.clone());
    let given = paging.out.as_ref().map(|p| p.display().to_string());
    let format = paging.columns.describe(paging.output.table());
    if let Some(recorded) = &recorded
        && given.as_ref() != Some(recorded)
    {
        bar.clear();
        eprintln!(
            "driftql: the checkpoint's reports were written to {recorded}: give the same -o FILE \
             to go on (or start anew with another checkpoint)"
        );
        return Err(Exit::Invalid);
    }
    if let Some(was) = resumed.as_ref().and_then(|r| r.output_format.as_ref())
        && *was != format
    {
        bar.clear();
        eprintln!(
            "driftql: the checkpoint's reports were written as {was}, not {format}: give the \
             same --output, --fields and --join to go on"
        );
        return Err(Exit::Invalid);
    }
    let table = paging.columns.table(paging.output.table())?;
    let mut out = match &paging.out {
        None => Output::stdout(),
        Some(path) => match resumed.as_ref().and_then(|r| r.output_bytes) {
            Some(at) => Output::resume(path, at)?,
            None if done_before => Output::append(path)?,
            None => Output::create(path)?,
        },
    }
    .with_table(table, !done_before)?;
    let estimate = plan.estimate();
    let mut harvest = plan.fetch();
    if let Some(path) = &given
        && recorded.is_none()
        && paging.checkpoint.is_some()
    {
        harvest
            .record_output(path, &format)
            .map_err(|e| api::error(&e))?;
    }
    // What the earlier runs wrote to the file is not delivered again, even where the results
    // shifted between the runs.
    if done_before && let Some(path) = &paging.out {
        remember(&mut harvest, path, paging.output.table())?;
    }
    bar.fetching(&harvest.progress());
    let mut collected = Vec::new();
    let mut status = Exit::Ok;
    while let Some(next) = rt.block_on(harvest.next_batch()) {
        let batch = match next {
            Ok(b) => b,
            Err(e) => {
                out.flush();
                bar.clear();
                eprintln!("driftql: {e}");
                let done = harvest.progress().pages_done;
                match &paging.checkpoint {
                    Some(path) => eprintln!(
                        "driftql: {done} pages were printed and recorded in {}; run the same \
                         command again to go on",
                        path.display()
                    ),
                    None if done > 0 => eprintln!(
                        "driftql: {done} pages were printed; with --checkpoint FILE, a run that \
                         stops can be continued"
                    ),
                    None => {}
                }
                status = if e.error.is_refused_before_sending() {
                    Exit::Invalid
                } else {
                    Exit::Api
                };
                break;
            }
        };
        if paging.output == SearchOutput::Json {
            harvest.commit(&batch, None).map_err(|e| api::error(&e))?;
            collected.extend(batch.reports);
        } else {
            out.reports(&batch.reports)?;
            harvest
                .commit(&batch, out.position())
                .map_err(|e| api::error(&e))?;
        }
        bar.fetching(&harvest.progress());
    }
    bar.clear();
    if status == Exit::Ok && paging.output == SearchOutput::Json {
        out.document(&JsonResults {
            result_count: estimate.result_count,
            pages: u32::try_from(estimate.pages).unwrap_or(u32::MAX),
            results: &collected,
        })?;
    }
    for s in harvest.shortfalls() {
        eprintln!("warning: {s}");
    }
    if harvest.duplicates_dropped() > 0 {
        eprintln!(
            "warning: the API sent {} reports a second time; each was printed once",
            harvest.duplicates_dropped()
        );
    }
    if harvest.older_of_a_pair_dropped() > 0 {
        eprintln!(
            "note: with --most-recent, {} older reports of {{ip, port}} pairs printed from a newer \
             date window were left out",
            harvest.older_of_a_pair_dropped()
        );
    }
    if let Some(e) = harvest.write_error() {
        eprintln!("warning: a page could not be kept on disk (the search went on): {e}");
    }
    if bar.shown() && status == Exit::Ok {
        let p = harvest.progress();
        eprintln!(
            "driftql: {} reports from {} windows, {} pages; {} quota units spent",
            p.reports, p.windows, p.pages_done, p.units
        );
    }
    Ok(status)
}

/// Tells `harvest` of the reports an earlier run wrote to `path`: every report of an NDJSON
/// file; the ids of a table's `id` column (a table without one cannot be read back, and says
/// so).
fn remember(
    harvest: &mut Harvest,
    path: &std::path::Path,
    table: Option<TableFormat>,
) -> Result<(), Exit> {
    struct Seen<'a>(&'a mut Harvest);
    impl Sink for Seen<'_> {
        fn report(&mut self, found: Found<'_>) -> io::Result<()> {
            self.0.seen_before(&found.report.id, &found.report.items);
            Ok(())
        }
        fn bad(&mut self, _: Bad) -> io::Result<()> {
            Ok(())
        }
    }
    let failed = |e: &dyn std::fmt::Display| {
        eprintln!("driftql: {}: {e}", path.display());
        Exit::Io
    };
    let file = std::fs::File::open(path).map_err(|e| failed(&e))?;
    let reader = io::BufReader::new(file);
    let Some(format) = table else {
        return export::read(reader, &ReadOptions::default(), &mut Seen(harvest))
            .map(drop)
            .map_err(|e| failed(&e));
    };
    let mut rows = csv::ReaderBuilder::new()
        .delimiter(if format == TableFormat::Tsv {
            b'\t'
        } else {
            b','
        })
        .from_reader(reader);
    let id = rows
        .headers()
        .map_err(|e| failed(&e))?
        .iter()
        .position(|h| h.eq_ignore_ascii_case("id"));
    let Some(id) = id else {
        eprintln!(
            "note: {} has no id column, so the reports the runs before wrote to it cannot be \
             read back: a report the results moved between runs may be written twice",
            path.display()
        );
        return Ok(());
    };
    let none: [driftql::Item; 0] = [];
    for row in rows.records() {
        let row = row.map_err(|e| failed(&e))?;
        if let Some(v) = row.get(id) {
            harvest.seen_before(v, &none);
        }
    }
    Ok(())
}

/// `--explain --output json`.
#[derive(Serialize)]
struct Explained<'a> {
    endpoint: String,
    parameters: Vec<(&'static str, String)>,
    windows: &'a [PlannedWindow],
    estimate: driftql::client::plan::Estimate,
    quota_left: Option<u64>,
    shortfalls: Vec<String>,
}

/// Prints the plan: the request, the windows and pages, the cost, the quota left.
fn explain(plan: &Plan, account: Result<Account, Error>, output: SearchOutput) -> Status {
    let e = plan.estimate();
    let quota_left = match &account {
        Ok(a) => a.quota.api_left(),
        Err(err) => {
            eprintln!("warning: the quota left could not be read: {err}");
            None
        }
    };
    let shortfalls: Vec<String> = plan.shortfalls().iter().map(ToString::to_string).collect();
    let mut out = Output::stdout();
    if output == SearchOutput::Json {
        out.document(&Explained {
            endpoint: plan.endpoint_url(),
            parameters: plan.parameters(),
            windows: plan.windows(),
            estimate: e,
            quota_left,
            shortfalls,
        })?;
        return Ok(Exit::Ok);
    }
    let mut t = String::new();
    t += &format!("request  GET {}\n", plan.endpoint_url());
    for (name, value) in plan.parameters() {
        t += &format!("         {name}={value}\n");
    }
    t += "         and, for each window, its from/to, and page=0 up to its last page\n";
    t += &format!(
        "matches  {}; the plan delivers {}, in {} (newest first):\n",
        plural(e.result_count, "report"),
        e.reports,
        plural(e.windows, "window")
    );
    t += &window_table(plan.windows());
    t += &format!("pages    {} in all", e.pages);
    let mut parts = Vec::new();
    if e.pages_done > 0 {
        parts.push(format!("{} done by an earlier run", e.pages_done));
    }
    if e.pages_in_hand > 0 {
        parts.push(format!(
            "{} fetched as probes while planning",
            e.pages_in_hand
        ));
    }
    if e.pages_held > 0 {
        parts.push(format!(
            "{} held by the cache or the checkpoint",
            e.pages_held
        ));
    }
    if !parts.is_empty() {
        t += &format!(": {}", parts.join(", "));
    }
    t += &format!("; {} to fetch\n", e.pages_to_fetch - e.pages_held);
    if e.unreachable > 0 {
        t += &format!(
            "         {} cannot be reached: beyond the first 10000 of a day over the cap\n",
            plural(e.unreachable, "report")
        );
    }
    let free_probes = e.probes - e.probes_billed;
    t += &format!(
        "cost     {}: {} spent planning{} + {} to fetch\n",
        plural(e.units, "quota unit"),
        plural(e.probes, "probe"),
        if free_probes > 0 {
            format!(" ({free_probes} of them free, from the cache or the checkpoint)")
        } else {
            String::new()
        },
        plural(e.pages_to_fetch - e.pages_held, "page"),
    );
    if e.spent_before > 0 {
        t += &format!(
            "         ({} units were spent by the runs before)\n",
            e.spent_before
        );
    }
    match quota_left {
        Some(left) => {
            t += &format!(
                "quota    {} left (after the probes)\n",
                plural(left, "unit")
            )
        }
        None => t += "quota    unknown\n",
    }
    for s in &shortfalls {
        t += &format!("warning  {s}\n");
    }
    let mut stdout = io::stdout().lock();
    let written = stdout.write_all(t.as_bytes()).and_then(|()| stdout.flush());
    Ok(written.map_or_else(|e| api::write_error(&e), |()| Exit::Ok))
}

/// `n thing` or `n things`.
fn plural(n: u64, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// The windows as aligned columns.
fn window_table(windows: &[PlannedWindow]) -> String {
    let date =
        |d: Option<driftql::models::Date>| d.map_or_else(|| "-".to_owned(), |d| d.to_string());
    let mut rows = vec![[
        "#".to_owned(),
        "from".to_owned(),
        "to".to_owned(),
        "results".to_owned(),
        "pages".to_owned(),
    ]];
    for (i, w) in windows.iter().enumerate() {
        let mut count = w.result_count.to_string();
        if w.over_cap {
            count.push_str(" (over the cap)");
        }
        rows.push([
            (i + 1).to_string(),
            date(w.window.from),
            date(w.window.to),
            count,
            w.pages.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut t = String::new();
    for r in rows {
        t += "  ";
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            // Numbers to the right, dates to the left.
            if c == 0 || c >= 3 {
                t += &" ".repeat(pad);
                t += cell;
            } else {
                t += cell;
                t += &" ".repeat(pad);
            }
            t += if c + 1 < r.len() { "  " } else { "\n" };
        }
    }
    t
}

/// The progress bar, on standard error when it is a terminal: a spinner while planning, then
/// one bar for the whole plan.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new() -> Bar {
        if !io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} planning: {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar(Some(bar))
    }

    fn shown(&self) -> bool {
        self.0.is_some()
    }

    fn planning(&self, p: &Planning) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!(
                "{} probes, {} windows found, {} to probe",
                p.probes, p.windows, p.pending
            ));
        }
    }

    fn fetching(&self, p: &Progress) {
        let Some(bar) = &self.0 else {
            return;
        };
        if bar.length().is_none() {
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {pos}/{len} pages {wide_bar} {msg} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        }
        bar.set_length(p.pages);
        bar.set_position(p.pages_done);
        bar.set_message(format!(
            "window {}/{}, {} reports, {} units",
            (p.windows_done + 1).min(p.windows),
            p.windows,
            p.reports,
            p.units
        ));
    }

    fn println(&self, line: String) {
        match &self.0 {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
