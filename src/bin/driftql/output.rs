//! Where the reports of a search go: standard output, or a file (`--out FILE`).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

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

/// The reports' destination.
pub struct Output(Target);

impl Output {
    /// Standard output.
    pub fn stdout() -> Output {
        Output(Target::Stdout(BufWriter::new(io::stdout().lock())))
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
        Output(Target::File {
            file: Counted {
                inner: BufWriter::new(file),
                bytes: at,
            },
            path: path.to_path_buf(),
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match &mut self.0 {
            Target::Stdout(w) => w,
            Target::File { file, .. } => file,
        }
    }

    /// Writes `reports`, one JSON line each, and flushes them.
    pub fn reports(&mut self, reports: &[Report]) -> Result<(), Exit> {
        let w = self.writer();
        let written = reports
            .iter()
            .try_for_each(|r| api::json_line(w, r))
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

fn file_error(path: &Path, e: &io::Error) -> Exit {
    eprintln!("driftql: {}: {e}", path.display());
    Exit::Io
}
