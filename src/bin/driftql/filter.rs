//! `filter`: the reports of a scan export that match an expression, offline. The reading and
//! matching are [`driftql::export`]'s; this prints them and what was wrong with the input.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use driftql::export::{Bad, DEFAULT_MAX_LINE, Emit, Filter, ReadError, ReadOptions, TableFormat};
use driftql::{Diagnostic, MatchOptions, Matcher};

use crate::Exit;
use crate::Status;
use crate::input;
use crate::output::Columns;
use crate::progress::Reading;

/// How many bad lines are reported one by one; the rest are only counted.
const MAX_MESSAGES: u64 = 100;

#[derive(Args, Debug)]
pub struct FilterArgs {
    /// The expression the reports must match.
    expression: String,
    /// The reports: NDJSON (one per line), a results page or an array of reports, in JSON;
    /// standard input when absent or `-`.
    file: Option<PathBuf>,
    /// How many extra words, in total, may stand between the words of a phrase.
    #[arg(long, value_name = "N", default_value_t = 0)]
    slop: u32,
    /// Let `host` terms also match the host of `url` items.
    #[arg(long)]
    host_in_url: bool,
    /// Print only the number of matching reports.
    #[arg(long, conflicts_with = "output")]
    count: bool,
    /// How to print the reports: each as read (one per line), or as the rows of a CSV or TSV
    /// table (see --fields).
    #[arg(long, value_enum, default_value_t = FilterOutput::Ndjson)]
    output: FilterOutput,
    #[command(flatten)]
    columns: Columns,
    /// The longest line read, in bytes; a longer one is reported and skipped without being
    /// held in memory.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE)]
    max_line: usize,
    /// Read every line in full, even one the prefilter shows cannot match, so that every bad
    /// line is reported (by default a line that looks like a whole JSON object or array and
    /// cannot match is skipped unread).
    #[arg(long)]
    strict: bool,
    /// How many threads match lines. Default: one per core.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    threads: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FilterOutput {
    /// Each report as it was read, on a line of its own.
    Ndjson,
    /// CSV: a header row, then a row per report.
    Csv,
    /// TSV: the same, separated by tabs.
    Tsv,
}

pub fn filter(args: FilterArgs) -> Status {
    let format = match args.output {
        FilterOutput::Ndjson => None,
        FilterOutput::Csv => Some(TableFormat::Csv),
        FilterOutput::Tsv => Some(TableFormat::Tsv),
    };
    let emit = match (args.columns.table(format)?, args.count) {
        (_, true) => Emit::Count,
        (Some(table), false) => Emit::Table(Box::new(table)),
        (None, false) => Emit::Lines,
    };
    let matcher = compile(&args)?;
    // No bar over reports printed to the same terminal.
    let progress = args.count || !io::stdout().is_terminal();
    let (name, bar, reader) = open(args.file.as_deref(), progress)?;
    let out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut bad_lines = BadLines::new(&name);
    let on_bad = |bad: &Bad| bar.suspend(|| bad_lines.report(bad));
    let options = ReadOptions::default().with_max_line(args.max_line);
    let mut filter = Filter::new(matcher, out, emit, on_bad).strict(args.strict);
    if let Some(n) = args.threads {
        filter = filter.threads(n as usize);
    }
    let result = filter.run(reader, &options);
    drop(bar);
    let counts = match result {
        Ok(c) => c,
        Err(ReadError::Read(e)) => {
            eprintln!("driftql: cannot read {name}: {e}");
            return Err(Exit::Io);
        }
        // The reader of the output has gone (`| head`): not a failure of the filter.
        Err(ReadError::Stopped(e)) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Exit::Ok),
        Err(e) => {
            eprintln!("driftql: cannot write the output: {e}");
            return Err(Exit::Io);
        }
    };
    if args.count {
        let written = writeln!(io::stdout().lock(), "{}", counts.matched);
        if let Err(e) = written {
            return Err(crate::api::write_error(&e));
        }
    }
    if counts.bad == 0 {
        return Ok(Exit::Ok);
    }
    let unread = if counts.skipped > 0 {
        format!(
            "; {} lines that cannot match were not read in full, and are not checked: --strict \
             reads every line",
            counts.skipped
        )
    } else {
        String::new()
    };
    eprintln!(
        "driftql: skipped {} bad {} ({} reports read, {} matched{unread})",
        counts.bad,
        if counts.bad == 1 {
            "line or report"
        } else {
            "lines or reports"
        },
        counts.read,
        counts.matched,
    );
    Ok(Exit::BadInput)
}

/// The input: the named file (with a progress bar on a terminal, when `progress`), or
/// standard input. The name is what messages call it.
pub fn open(
    path: Option<&std::path::Path>,
    progress: bool,
) -> Result<(String, Reading, Box<dyn Read + Send>), Exit> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            let name = driftql::text::escape_control(&p.display().to_string()).into_owned();
            match File::open(p) {
                Ok(f) => {
                    let (bar, reader) = Reading::file(f, &name, progress);
                    Ok((name, bar, reader))
                }
                Err(e) => {
                    eprintln!("driftql: cannot open {name}: {e}");
                    Err(Exit::Io)
                }
            }
        }
        _ => Ok((
            "<stdin>".into(),
            Reading::none(),
            // Not locked: the input is read on a thread of its own.
            Box::new(io::stdin()),
        )),
    }
}

/// Reports bad lines and reports on standard error: the first hundred one by one, then only
/// their number.
pub struct BadLines<'a> {
    name: &'a str,
    shown: u64,
}

impl<'a> BadLines<'a> {
    /// For the input called `name`.
    pub fn new(name: &'a str) -> Self {
        BadLines { name, shown: 0 }
    }

    /// Reports one.
    pub fn report(&mut self, bad: &Bad) -> io::Result<()> {
        self.shown += 1;
        let mut err = io::stderr().lock();
        if self.shown <= MAX_MESSAGES {
            writeln!(err, "driftql: {}:{}: {}", self.name, bad.at, bad.message)?;
        } else if self.shown == MAX_MESSAGES + 1 {
            writeln!(
                err,
                "driftql: more bad lines or reports follow; only their number is reported"
            )?;
        }
        Ok(())
    }
}

/// Parses and validates the expression: its findings go to standard error, and errors stop.
fn compile(args: &FilterArgs) -> Result<Matcher, Exit> {
    let source = &args.expression;
    let mut stdout = io::stdout();
    let query = driftql::parse(source).map_err(|e| {
        input::report(&mut stdout, source, &[e.into_diagnostic()], None);
        Exit::Syntax
    })?;
    let diagnostics = query.validate();
    input::report(&mut stdout, source, &diagnostics, None);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Exit::Invalid);
    }
    let options = MatchOptions::default()
        .with_slop(args.slop)
        .with_host_in_url(args.host_in_url);
    Ok(query.matcher(&options))
}
