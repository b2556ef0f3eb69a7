//! Where the reports of a search go: standard output, or a file (`--out FILE`).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use driftql::export::{Fields, Table, TableFormat};
use driftql::report::Report;

use crate::Exit;
use crate::api;

/// A writer that counts the bytes written through it.
struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

enum Target {
    Stdout(BufWriter<io::StdoutLock<'static>>),
    File {
        file: Counted<BufWriter<File>>,
        path: PathBuf,
    },
}

/// The reports' destination, and how they are written there: one JSON line each, or a row
/// of a table.
pub struct Output(Target, Option<Table>);

impl Output {
    /// Standard output.
    pub fn stdout() -> Output {
        Output(Target::Stdout(BufWriter::new(io::stdout().lock())), None)
    }

    /// `path`, made empty (created when it does not exist), as `>` would.
    pub fn create(path: &Path) -> Result<Output, Exit> {
        let file = File::create(path).map_err(|e| file_error(path, &e))?;
        Ok(Output::file(path, file, 0))
    }

    /// `path`, cut back to its first `at` bytes (what the checkpoint recorded: a page being
    /// written when the run stopped goes away), to be appended to.
    pub fn resume(path: &Path, at: u64) -> Result<Output, Exit> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| file_error(path, &e))?;
        let len = file.metadata().map_err(|e| file_error(path, &e))?.len();
        if len < at {
            eprintln!(
                "driftql: {} holds {len} bytes, and the checkpoint recorded {at} written to it: \
                 it is not this search's output (give the file the first run wrote, or start \
                 anew with another checkpoint)",
                path.display()
            );
            return Err(Exit::Invalid);
        }
        file.set_len(at)
            .and_then(|()| file.seek(SeekFrom::End(0)).map(drop))
            .map_err(|e| file_error(path, &e))?;
        Ok(Output::file(path, file, at))
    }

    /// `path`, appended to (created when it does not exist).
    pub fn append(path: &Path) -> Result<Output, Exit> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| file_error(path, &e))?;
        let at = file.metadata().map_err(|e| file_error(path, &e))?.len();
        Ok(Output::file(path, file, at))
    }

    fn file(path: &Path, file: File, at: u64) -> Output {
        Output(
            Target::File {
                file: Counted {
                    inner: BufWriter::new(file),
                    bytes: at,
                },
                path: path.to_path_buf(),
            },
            None,
        )
    }

    fn writer(&mut self) -> &mut dyn Write {
        match &mut self.0 {
            Target::Stdout(w) => w,
            Target::File { file, .. } => file,
        }
    }

    /// Writes the reports as rows of `table` from here on; with `header`, its header row
    /// first (not when the output goes on from an earlier run).
    pub fn with_table(mut self, table: Option<Table>, header: bool) -> Result<Output, Exit> {
        self.1 = table;
        if header && let Some(t) = &mut self.1 {
            let w = match &mut self.0 {
                Target::Stdout(w) => w as &mut dyn Write,
                Target::File { file, .. } => file,
            };
            let written = t.header(&mut &mut *w);
            written.map_err(|e| self.error(&e))?;
        }
        Ok(self)
    }

    /// Writes `reports`, one JSON line (or table row) each, and flushes them.
    pub fn reports(&mut self, reports: &[Report]) -> Result<(), Exit> {
        let (w, table): (&mut dyn Write, _) = match &mut self.0 {
            Target::Stdout(w) => (w, &mut self.1),
            Target::File { file, .. } => (file, &mut self.1),
        };
        let written = match table {
            None => reports.iter().try_for_each(|r| api::json_line(w, r)),
            Some(t) => reports
                .iter()
                .try_for_each(|r| t.row(&r.date, &r.id, &r.items, &mut &mut *w)),
        }
        .and_then(|()| w.flush());
        written.map_err(|e| self.error(&e))
    }

    /// Writes `value` as pretty JSON and a newline, and flushes.
    pub fn document(&mut self, value: &impl serde::Serialize) -> Result<(), Exit> {
        let w = self.writer();
        let written = serde_json::to_writer_pretty(&mut *w, value)
            .map_err(io::Error::other)
            .and_then(|()| writeln!(w))
            .and_then(|()| w.flush());
        written.map_err(|e| self.error(&e))
    }

    /// Flushes what is buffered (before a message on standard error).
    pub fn flush(&mut self) {
        let _ = self.writer().flush();
    }

    /// The bytes in the file so far (`None` for standard output).
    pub fn position(&self) -> Option<u64> {
        match &self.0 {
            Target::Stdout(_) => None,
            Target::File { file, .. } => Some(file.bytes),
        }
    }

    /// A failed write: a closed pipe ends the command quietly (status 0), any other failure
    /// is reported (status 5).
    fn error(&self, e: &io::Error) -> Exit {
        match &self.0 {
            Target::Stdout(_) => api::write_error(e),
            Target::File { path, .. } => file_error(path, e),
        }
    }
}

/// The columns of a table: `--fields` and `--join`, what `search`, `filter` and the other
/// commands that print reports take with `--output csv|tsv`.
#[derive(clap::Args, Debug)]
pub struct Columns {
    /// With --output csv or tsv: the columns, as `type[;context]` names of the language, plus
    /// `date` and `id`; e.g. `date,ip,port-tcp,host;cert-dns-name,title`. `ip` and `host` are
    /// the scanned address and host; `type;*` takes every context. Default:
    /// date,id,ip,port-tcp,port-udp,host,title.
    #[arg(long, value_name = "LIST")]
    fields: Option<Fields>,
    /// With --output csv or tsv: what joins a report's several values of one column (a value
    /// that holds it is written as it is). Default: `|`.
    #[arg(long, value_name = "SEP")]
    join: Option<String>,
}

impl Columns {
    /// The table for `format`, or none; --fields or --join without a table format is a usage
    /// error.
    pub fn table(&self, format: Option<TableFormat>) -> Result<Option<Table>, Exit> {
        match format {
            Some(f) => Ok(Some(Table::new(
                f,
                self.fields.clone().unwrap_or_default(),
                self.join
                    .as_deref()
                    .unwrap_or(driftql::export::DEFAULT_JOIN),
            ))),
            None => {
                self.unused("go with --output csv or --output tsv")?;
                Ok(None)
            }
        }
    }

    /// Refuses --fields and --join where no report is printed as a table (`why` says what
    /// they go with).
    pub fn unused(&self, why: &str) -> Result<(), Exit> {
        if self.fields.is_some() || self.join.is_some() {
            eprintln!("driftql: --fields and --join {why}");
            return Err(Exit::Syntax);
        }
        Ok(())
    }

    /// How the reports are written, for a checkpoint to compare with the next run's:
    /// `ndjson`, or `csv`/`tsv` with the fields and the separator.
    pub fn describe(&self, format: Option<TableFormat>) -> String {
        match format {
            None => "ndjson".to_owned(),
            Some(f) => format!(
                "{} --fields {} --join {:?}",
                match f {
                    TableFormat::Tsv => "tsv",
                    _ => "csv",
                },
                self.fields.clone().unwrap_or_default(),
                self.join
                    .as_deref()
                    .unwrap_or(driftql::export::DEFAULT_JOIN)
            ),
        }
    }
}

fn file_error(path: &Path, e: &io::Error) -> Exit {
    eprintln!("driftql: {}: {e}", path.display());
    Exit::Io
}
