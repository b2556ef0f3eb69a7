//! `filter`: the reports of a scan export that match an expression, offline. The reading and
//! matching are [`driftql::export`]'s; this prints them and what was wrong with the input.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use clap::Args;
use driftql::export::{Bad, DEFAULT_MAX_LINE, Filter, ReadError, ReadOptions};
use driftql::{Diagnostic, MatchOptions, Matcher};

use crate::Exit;
use crate::Status;
use crate::input;

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
    #[arg(long)]
    count: bool,
    /// The longest line read, in bytes; a longer one is reported and skipped without being
    /// held in memory.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE)]
    max_line: usize,
}

pub fn filter(args: FilterArgs) -> Status {
    let matcher = compile(&args)?;
    let (name, reader) = open(args.file.as_deref())?;
    let out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut shown = 0u64;
    let on_bad = |bad: &Bad| -> io::Result<()> {
        shown += 1;
        let mut err = io::stderr().lock();
        if shown <= MAX_MESSAGES {
            writeln!(err, "driftql: {name}:{}: {}", bad.at, bad.message)?;
        } else if shown == MAX_MESSAGES + 1 {
            writeln!(
                err,
                "driftql: more bad lines or reports follow; only their number is reported"
            )?;
        }
        Ok(())
    };
    let options = ReadOptions::default().with_max_line(args.max_line);
    let counts = match Filter::new(matcher, out, args.count, on_bad).run(reader, &options) {
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
    eprintln!(
        "driftql: skipped {} bad {} ({} reports read, {} matched)",
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

/// The input: the named file, or standard input. The name is what messages call it.
fn open(path: Option<&std::path::Path>) -> Result<(String, Box<dyn Read>), Exit> {
    match path {
        None => Ok(("<stdin>".into(), Box::new(io::stdin().lock()))),
        Some(p) if p.as_os_str() == "-" => Ok(("<stdin>".into(), Box::new(io::stdin().lock()))),
        Some(p) => {
            let name = driftql::text::escape_control(&p.display().to_string()).into_owned();
            match File::open(p) {
                Ok(f) => Ok((name, Box::new(f))),
                Err(e) => {
                    eprintln!("driftql: cannot open {name}: {e}");
                    Err(Exit::Io)
                }
            }
        }
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
