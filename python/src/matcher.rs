//! `Matcher`: the search semantics on reports given as dicts or read from an export file.
//!
//! A file is read by the crate's export reader, the one behind `driftql filter` (every layout
//! it reads, its prefilter and its threads), on a thread of its own; the matching reports come
//! to Python in blocks of lines through a bounded channel, and each becomes a dict by
//! `json.loads`. So memory stays bounded, the GIL is free while the file is read (a wait looks
//! for Ctrl-C every 100 ms), and a dropped iterator stops the reading at the next block it
//! would have sent.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::Duration;

use driftql::export::{Bad, Emit, Filter, ReadOptions};
use driftql::{MatchOptions, Report};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyBytes;

use crate::errors;
use crate::query::Query;

/// How many bytes of matching lines go to Python at once.
const BLOCK: usize = 256 << 10;
/// How many blocks may wait between the reading thread and Python.
const BLOCKS_IN_FLIGHT: usize = 4;

/// A compiled query: decides whether reports match, by the documented search semantics.
#[pyclass(frozen, module = "driftql")]
pub struct Matcher {
    matcher: driftql::Matcher,
    query: driftql::Query,
}

/// The query of `query`: a `Query`, or text to parse. Validation errors refuse it.
pub fn checked_query(py: Python<'_>, query: &Bound<'_, PyAny>) -> PyResult<driftql::Query> {
    let query = match query.cast::<Query>() {
        Ok(q) => q.get().inner.clone(),
        Err(_) => {
            let text: String = query.extract().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err("the query must be a driftql.Query or a str")
            })?;
            driftql::parse(&text).map_err(|e| errors::syntax_error(py, &text, &e))?
        }
    };
    let findings = query.validate();
    if findings.iter().any(driftql::Diagnostic::is_error) {
        return Err(errors::invalid_query(py, &query, &findings));
    }
    Ok(query)
}

/// A report from a dict in the API's shape, read the way the export reader reads a line: the
/// dict written as JSON (`json.dumps`, which refuses what JSON cannot hold, and nesting too
/// deep for Python's recursion limit) and the text read by the crate (whose JSON reader stops
/// at 128 levels). `Err` says why it is no report.
fn report_of(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Result<Report, String>> {
    let dumps = JSON_DUMPS.get_or_try_init(py, || {
        py.import("json")?.getattr("dumps").map(Bound::unbind)
    })?;
    let text = match dumps.bind(py).call1((value,)) {
        Ok(text) => text.extract::<String>()?,
        Err(e) => return Ok(Err(format!("not a report: {}", e.value(py)))),
    };
    Ok(serde_json::from_str::<Report>(&text).map_err(|e| format!("not a report: {e}")))
}

/// [`report_of`], or `driftql.ReportError` (a `ValueError`) saying why it is no report.
fn report(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Report> {
    report_of(py, value)?.map_err(|message| errors::plain(py, "ReportError", message))
}

/// How long a wait on the reading thread lasts before it looks for a signal (Ctrl-C).
const TICK: Duration = Duration::from_millis(100);

/// The next message of `slot`'s receiver, waited for with the GIL released, looking for
/// signals (Ctrl-C) every [`TICK`]; `None` once the sending side is gone. Interrupted, the
/// receiver stays in `slot`.
fn receive<T: Send>(py: Python<'_>, slot: &mut Option<Receiver<T>>) -> PyResult<Option<T>> {
    loop {
        let Some(rx) = slot.take() else {
            return Ok(None);
        };
        let (rx, got) = py.detach(move || {
            let got = rx.recv_timeout(TICK);
            (rx, got)
        });
        match got {
            Ok(message) => {
                *slot = Some(rx);
                return Ok(Some(message));
            }
            Err(RecvTimeoutError::Timeout) => {
                *slot = Some(rx);
                py.check_signals()?;
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(None),
        }
    }
}

/// What to do with a line or dict that is not a report.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnBad {
    Warn,
    Raise,
    Ignore,
}

impl OnBad {
    fn parse(errors: &str) -> PyResult<OnBad> {
        match errors {
            "warn" => Ok(OnBad::Warn),
            "raise" => Ok(OnBad::Raise),
            "ignore" => Ok(OnBad::Ignore),
            other => Err(PyValueError::new_err(format!(
                "errors must be \"warn\", \"raise\" or \"ignore\", not {other:?}"
            ))),
        }
    }
}

#[pymethods]
impl Matcher {
    /// Compiles `query` (a `Query` or text); raises `SyntaxError` or `InvalidQuery` when it has
    /// errors. `slop` and `host_in_url` are the API's parameters of the same names.
    #[new]
    #[pyo3(signature = (query, slop = 0, host_in_url = false))]
    fn new(
        py: Python<'_>,
        query: &Bound<'_, PyAny>,
        slop: u32,
        host_in_url: bool,
    ) -> PyResult<Self> {
        let query = checked_query(py, query)?;
        let options = MatchOptions::default()
            .with_slop(slop)
            .with_host_in_url(host_in_url);
        Ok(Matcher {
            matcher: query.matcher(&options),
            query,
        })
    }

    /// The query, as compiled.
    #[getter]
    fn query(&self) -> Query {
        Query {
            inner: self.query.clone(),
        }
    }

    /// `slop`, as given.
    #[getter]
    fn slop(&self) -> u32 {
        self.matcher.options().slop
    }

    /// `host_in_url`, as given.
    #[getter]
    fn host_in_url(&self) -> bool {
        self.matcher.options().host_in_url
    }

    /// Whether `report` (a dict in the API's shape) matches; raises `ReportError` when it is
    /// not a report.
    fn matches(&self, py: Python<'_>, report: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.matcher.matches(&self::report(py, report)?))
    }

    /// The matching reports of `source`, as dicts, in input order, streaming. `source` is the
    /// path of an export (any layout `driftql filter` reads: NDJSON, pages, arrays, pretty
    /// JSON) or an iterable of report dicts (which are yielded as given). A line or dict that
    /// is not a report is, as `errors` says, a `BadReportWarning` (`"warn"`), a `ReportError`
    /// that ends the iteration (`"raise"`), or skipped (`"ignore"`). `strict` reads every line
    /// of a file in full, so that every broken line is told of (as `driftql filter --strict`).
    /// `raw` yields each matching report of a file as the bytes of its JSON line (what
    /// `driftql filter` prints) instead of a dict: for writing matches elsewhere, without
    /// the cost of building dicts.
    #[pyo3(signature = (source, *, errors = "warn", strict = false, raw = false))]
    fn filter(
        &self,
        source: &Bound<'_, PyAny>,
        errors: &str,
        strict: bool,
        raw: bool,
    ) -> PyResult<Matches> {
        let on_bad = OnBad::parse(errors)?;
        let state = match path_of(source)? {
            Some(path) => State::File(FileState::start(
                source,
                self.matcher.clone(),
                &path,
                strict,
            )?),
            None if raw => {
                return Err(PyValueError::new_err(
                    "raw=True reads a file: an iterable of dicts has no JSON lines",
                ));
            }
            None => State::Objects(source.try_iter()?.into_any().unbind()),
        };
        Ok(Matches {
            matcher: self.matcher.clone(),
            on_bad,
            raw,
            state: Mutex::new(state),
        })
    }

    /// How many reports of the export at `path` match (as `driftql filter --count`). Ctrl-C
    /// interrupts the wait; the reading, on a thread of its own, then runs to its end unseen.
    #[pyo3(signature = (path, *, strict = false))]
    fn count(&self, py: Python<'_>, path: &Bound<'_, PyAny>, strict: bool) -> PyResult<u64> {
        let given = path;
        let path: PathBuf = given.extract()?;
        let file = open(py, &path, given)?;
        let matcher = self.matcher.clone();
        let (tx, rx) = sync_channel(1);
        std::thread::Builder::new()
            .name("driftql-count".into())
            .spawn(move || {
                let counted = Filter::new(matcher, io::sink(), Emit::Count, |_: &Bad| Ok(()))
                    .strict(strict)
                    .run(file, &ReadOptions::default());
                let _ = tx.send(counted.map(|c| c.matched).map_err(|e| e.to_string()));
            })
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        match receive(py, &mut Some(rx))? {
            Some(Ok(matched)) => Ok(matched),
            Some(Err(e)) => Err(read_error(&path, &e)),
            None => Err(read_error(&path, "the reading stopped")),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Matcher({}, slop={}, host_in_url={})",
            crate::query::py_repr(py, &self.query.canonical())?,
            self.slop(),
            if self.host_in_url() { "True" } else { "False" }
        ))
    }
}

/// The path `source` names, when it is a `str` or an `os.PathLike`.
fn path_of(source: &Bound<'_, PyAny>) -> PyResult<Option<PathBuf>> {
    let os = source.py().import("os")?;
    if source.is_instance_of::<pyo3::types::PyString>()
        || source.is_instance(&os.getattr("PathLike")?)?
    {
        return source.extract::<PathBuf>().map(Some);
    }
    Ok(None)
}

/// Opens `path` (`given` is how the caller named it), or raises the `OSError` subclass its
/// error calls for, as `open()` would.
fn open(py: Python<'_>, path: &PathBuf, given: &Bound<'_, PyAny>) -> PyResult<File> {
    File::open(path).map_err(|e| {
        let built = (|| match e.raw_os_error() {
            Some(errno) => {
                let message = py.import("os")?.call_method1("strerror", (errno,))?;
                py.import("builtins")?
                    .getattr("OSError")?
                    .call1((errno, message, given))
            }
            None => py
                .import("builtins")?
                .getattr("OSError")?
                .call1((e.to_string(), given)),
        })();
        match built {
            Ok(instance) => PyErr::from_value(instance),
            Err(err) => err,
        }
    })
}

/// A failure to read the export at `path`.
fn read_error(path: &std::path::Path, message: &str) -> PyErr {
    pyo3::exceptions::PyOSError::new_err(format!("{}: {message}", path.display()))
}

/// What the reading thread sends.
enum Msg {
    /// Whole lines, each a matching report.
    Lines(Vec<u8>),
    /// A line or report that is not one.
    Bad(Bad),
    /// The end: `Err` when the file could not be read.
    Done(Result<(), String>),
}

/// The reading thread's output: matching lines, sent in blocks of whole lines.
struct Blocks {
    tx: SyncSender<Msg>,
    buffer: Vec<u8>,
}

impl Blocks {
    /// Sends the whole lines of the buffer (all of it, when `all`).
    fn send(&mut self, all: bool) -> io::Result<()> {
        let end = if all {
            self.buffer.len()
        } else {
            match self.buffer.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => return Ok(()),
            }
        };
        if end == 0 {
            return Ok(());
        }
        let rest = self.buffer.split_off(end);
        let block = std::mem::replace(&mut self.buffer, rest);
        self.buffer.reserve(BLOCK);
        self.tx
            .send(Msg::Lines(block))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the iterator was dropped"))
    }
}

impl Write for Blocks {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= BLOCK {
            self.send(false)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send(true)
    }
}

/// An export being read on a thread of its own.
struct FileState {
    path: PathBuf,
    /// `None` once the end was seen (or the iteration ended by an error).
    rx: Option<Receiver<Msg>>,
    block: Vec<u8>,
    at: usize,
}

impl FileState {
    fn start(
        given: &Bound<'_, PyAny>,
        matcher: driftql::Matcher,
        path: &PathBuf,
        strict: bool,
    ) -> PyResult<FileState> {
        let file = open(given.py(), path, given)?;
        let (tx, rx) = sync_channel(BLOCKS_IN_FLIGHT);
        std::thread::Builder::new()
            .name("driftql-filter".into())
            .spawn(move || {
                let out = Blocks {
                    tx: tx.clone(),
                    buffer: Vec::with_capacity(BLOCK),
                };
                let bad_tx = tx.clone();
                let on_bad = move |bad: &Bad| {
                    bad_tx.send(Msg::Bad(bad.clone())).map_err(|_| {
                        io::Error::new(io::ErrorKind::BrokenPipe, "the iterator was dropped")
                    })
                };
                let result = Filter::new(matcher, out, Emit::Lines, on_bad)
                    .strict(strict)
                    .run(file, &ReadOptions::default());
                let _ = tx.send(Msg::Done(result.map(drop).map_err(|e| e.to_string())));
            })
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        Ok(FileState {
            path: path.clone(),
            rx: Some(rx),
            block: Vec::new(),
            at: 0,
        })
    }

    /// The next line of the block in hand, if any.
    fn next_line(&mut self) -> Option<&[u8]> {
        while self.at < self.block.len() {
            let rest = &self.block[self.at..];
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let start = self.at;
            self.at += end + 1;
            let line = &self.block[start..start + end];
            if !line.trim_ascii().is_empty() {
                return Some(line);
            }
        }
        None
    }
}

enum State {
    File(FileState),
    /// An iterator over report dicts.
    Objects(Py<PyAny>),
    /// Ended.
    Done,
}

/// The matching reports of `Matcher.filter`, an iterator of dicts.
#[pyclass(frozen, module = "driftql")]
pub struct Matches {
    matcher: driftql::Matcher,
    on_bad: OnBad,
    /// Lines as bytes, not dicts.
    raw: bool,
    state: Mutex<State>,
}

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static JSON_DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[pymethods]
impl Matches {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let mut state = errors::lock_iterator(&self.state)?;
        let result = match &mut *state {
            State::Done => Ok(None),
            State::Objects(iter) => self.next_object(py, iter.bind(py)),
            State::File(file) => self.next_line(py, file),
        };
        let ended = !matches!(result, Ok(Some(_)));
        if ended {
            *state = State::Done;
        }
        result
    }
}

impl Matches {
    fn told(&self, py: Python<'_>, message: String) -> PyResult<()> {
        match self.on_bad {
            OnBad::Ignore => Ok(()),
            OnBad::Warn => errors::warn(py, "BadReportWarning", &message),
            OnBad::Raise => Err(errors::plain(py, "ReportError", message)),
        }
    }

    fn next_object(&self, py: Python<'_>, iter: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        loop {
            let Some(item) = iter.call_method0("__next__").map(Some).or_else(|e| {
                if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(py) {
                    Ok(None)
                } else {
                    Err(e)
                }
            })?
            else {
                return Ok(None);
            };
            match report_of(py, &item)? {
                Ok(r) if self.matcher.matches(&r) => return Ok(Some(item.unbind())),
                Ok(_) => {}
                Err(message) => self.told(py, message)?,
            }
        }
    }

    fn next_line(&self, py: Python<'_>, file: &mut FileState) -> PyResult<Option<Py<PyAny>>> {
        let loads = JSON_LOADS.get_or_try_init(py, || {
            py.import("json")?.getattr("loads").map(Bound::unbind)
        })?;
        loop {
            if let Some(line) = file.next_line() {
                let bytes = PyBytes::new(py, line);
                if self.raw {
                    return Ok(Some(bytes.into_any().unbind()));
                }
                return loads.bind(py).call1((bytes,)).map(|d| Some(d.unbind()));
            }
            if file.rx.is_none() {
                return Ok(None);
            }
            match receive(py, &mut file.rx)? {
                Some(Msg::Lines(block)) => {
                    file.block = block;
                    file.at = 0;
                }
                Some(Msg::Bad(bad)) => {
                    let message = format!("{}:{}: {}", file.path.display(), bad.at, bad.message);
                    self.told(py, message)?;
                }
                Some(Msg::Done(Ok(()))) => {
                    file.rx = None;
                    return Ok(None);
                }
                Some(Msg::Done(Err(e))) => return Err(read_error(&file.path, &e)),
                None => return Err(read_error(&file.path, "the reading stopped")),
            }
        }
    }
}
