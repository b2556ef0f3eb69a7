//! `diff OLD NEW`: what changed between two scans, service by service. The reading and
//! comparing are [`driftql::diff`]'s; this prints the events, a table or NDJSON, and a summary.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use driftql::diff::{self, Event, Snapshot, Tally};
use driftql::export::{DEFAULT_MAX_LINE, ReadError, ReadOptions};

use crate::api;
use crate::filter::{BadLines, open};

/// The exit statuses of `diff`, as `diff(1)` has them.
pub const SAME: u8 = 0;
/// Some service is new, gone or changed.
pub const DIFFERENT: u8 = 1;
/// An input could not be read, or held bad lines or reports (the comparison may miss them).
pub const TROUBLE: u8 = 2;

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The older export (NDJSON, results pages, arrays of reports or pretty-printed JSON, as
    /// `filter` reads them); `-` for standard input.
    old: PathBuf,
    /// The newer export; `-` for standard input (not both).
    new: PathBuf,
    /// How to print the changes.
    #[arg(long, value_enum, default_value_t = DiffOutput::Table)]
    output: DiffOutput,
    /// The longest line read, in bytes; a longer one is reported and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE)]
    max_line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DiffOutput {
    /// One row per changed field: the change, the service, the field, before and after.
    Table,
    /// One JSON event per service: `{"service", "change", "old", "new", "fields"}`.
    Ndjson,
}

/// Runs the diff; returns its exit status (0 same, 1 different, 2 trouble).
pub fn diff(args: DiffArgs) -> u8 {
    if args.old.as_os_str() == "-" && args.new.as_os_str() == "-" {
        eprintln!("driftql: only one of OLD and NEW can be standard input");
        return TROUBLE;
    }
    let options = ReadOptions::default().with_max_line(args.max_line);
    let Some(old) = read(&args.old, &options) else {
        return TROUBLE;
    };
    let Some(new) = read(&args.new, &options) else {
        return TROUBLE;
    };
    let events = diff::diff(&old, &new);
    let tally = Tally::of(&events, &old, &new);
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = match args.output {
        DiffOutput::Ndjson => events.iter().try_for_each(|e| api::json_line(&mut out, e)),
        DiffOutput::Table => out.write_all(table(&events).as_bytes()),
    }
    .and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return TROUBLE;
        }
        eprintln!("driftql: cannot write the output: {e}");
        return TROUBLE;
    }
    eprintln!(
        "driftql: {} new, {} gone, {} changed, {} unchanged services ({} reports in {} services \
         before, {} in {} after)",
        tally.new,
        tally.gone,
        tally.changed,
        tally.unchanged,
        old.reports(),
        old.services(),
        new.reports(),
        new.services()
    );
    let unplaced = old.unplaced() + new.unplaced();
    if unplaced > 0 {
        eprintln!(
            "driftql: {unplaced} reports scanned neither an address and port nor a host, and were \
             not compared"
        );
    }
    if old.bad() + new.bad() > 0 {
        TROUBLE
    } else if tally.any() {
        DIFFERENT
    } else {
        SAME
    }
}

/// One side, read; `None` when it could not be (the reason is reported).
fn read(path: &std::path::Path, options: &ReadOptions) -> Option<Snapshot> {
    let (name, bar, reader) = open(Some(path), true).ok()?;
    let mut bad_lines = BadLines::new(&name);
    let read = Snapshot::read(reader, options, |bad| bar.suspend(|| bad_lines.report(bad)));
    drop(bar);
    match read {
        Ok(s) => {
            if s.bad() > 0 {
                eprintln!("driftql: {name}: skipped {} bad lines or reports", s.bad());
            }
            Some(s)
        }
        Err(ReadError::Read(e) | ReadError::Stopped(e)) => {
            eprintln!("driftql: cannot read {name}: {e}");
            None
        }
        Err(e) => {
            eprintln!("driftql: cannot read {name}: {e}");
            None
        }
    }
}

/// The most characters of the values shown in one cell of the table.
const CELL: usize = 60;

/// Two values as table cells: control characters escaped and cut to [`CELL`] characters; when
/// they agree further than a cell shows, both start a little before where they differ (with
/// `…`), so the cells do not look the same.
fn around_difference(before: &str, after: &str) -> (String, String) {
    let (b, a) = (
        driftql::text::escape_control(before),
        driftql::text::escape_control(after),
    );
    let same = b.chars().zip(a.chars()).take_while(|(x, y)| x == y).count();
    if same + 10 < CELL {
        return (
            driftql::text::excerpt(before, CELL),
            driftql::text::excerpt(after, CELL),
        );
    }
    let from = same - 10;
    let cell = |s: &str| {
        let rest: String = s.chars().skip(from).collect();
        let cut: String = rest.chars().take(CELL - 1).collect();
        let more = rest.chars().count() > CELL - 1;
        format!("…{cut}{}", if more { "…" } else { "" })
    };
    (cell(&b), cell(&a))
}

/// The events as aligned rows: `CHANGE SERVICE FIELD BEFORE AFTER`, a row per changed field.
fn table(events: &[Event]) -> String {
    let mut rows: Vec<[String; 5]> = vec![[
        "CHANGE".into(),
        "SERVICE".into(),
        "FIELD".into(),
        "BEFORE".into(),
        "AFTER".into(),
    ]];
    let values = |v: &[String]| v.join(" | ");
    for e in events {
        let change = e.change.as_str();
        let service = driftql::text::escape_control(&e.service.to_string()).into_owned();
        if e.fields.is_empty() {
            rows.push([
                change.into(),
                service,
                String::new(),
                String::new(),
                String::new(),
            ]);
            continue;
        }
        for (i, f) in e.fields.iter().enumerate() {
            let (c, s) = if i == 0 {
                (change.to_owned(), service.clone())
            } else {
                (String::new(), String::new())
            };
            let field = driftql::text::escape_control(&f.field).into_owned();
            let (before, after) = around_difference(&values(&f.before), &values(&f.after));
            rows.push([c, s, field, before, after]);
        }
    }
    if rows.len() == 1 {
        return String::new();
    }
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..5).map(width).collect();
    let mut t = String::new();
    for r in &rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < r.len() {
                line.extend(std::iter::repeat_n(
                    ' ',
                    widths[c] - cell.chars().count() + 2,
                ));
            }
        }
        t.push_str(line.trim_end());
        t.push('\n');
    }
    t
}
