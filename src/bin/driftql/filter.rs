//! `filter`: the reports of a scan export that match an expression, offline.
//!
//! # Input
//!
//! The input is read as lines. Each non-blank line holds one JSON value: a report, a results
//! page (`{"page": .., "results": [...]}`: any object with a `results` member) or an array of
//! reports. That covers NDJSON exports (one report per line), compact pages and compact arrays.
//!
//! When the first non-blank line is not a whole JSON value but the start of one (`{` or `[` of
//! a pretty-printed document), the input is instead read as a sequence of JSON documents in any
//! layout, each a report, a results page or an array of reports (so the output of `jq .` works
//! too).
//!
//! # Output
//!
//! Each matching report is written on its own line. From line input the report's bytes are
//! written unchanged (unknown fields, key order, escapes and spacing survive); from a document
//! spanning several lines the report is written without its insignificant whitespace, otherwise
//! unchanged (except that escapes in its top-level keys are written in serde_json's way).
//!
//! # Bad input
//!
//! A line (or a report of an array or page) that is not valid JSON or not a report is reported
//! on standard error as `driftql: NAME:LINE:COLUMN: message` (the column counts bytes), counted
//! and skipped; the other lines are filtered as usual. After the first 100 such messages the
//! rest are only counted. At the end a summary line gives the number of bad lines and reports,
//! and the exit status is 3 ([`Exit::BadInput`]). A syntax error inside a multi-line document ends
//! the reading there (the document cannot be resynchronised); it is reported and counted the
//! same way. Blank lines are skipped; a UTF-8 byte-order mark at the start is ignored.
//!
//! # Memory
//!
//! One line is held at a time, in a reused buffer, and reports are matched as borrowed
//! [`ReportRef`]s, so memory does not grow with the input (only with its longest line). Documents
//! are read value by value: an array's or a page's reports one at a time, so a pretty-printed
//! page of any length takes the memory of one report.

use std::cell::Cell;
use std::fmt::Display;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Write};
use std::path::PathBuf;
use std::rc::Rc;

use clap::Args;
use driftql::{Diagnostic, ItemRef, MatchOptions, Matcher, ReportRef};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;
use serde_json::value::RawValue;

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
}

pub fn filter(args: FilterArgs) -> Status {
    let matcher = compile(&args)?;
    let (name, reader): (String, Box<dyn Read>) = match args.file.as_deref() {
        None => ("<stdin>".into(), Box::new(io::stdin().lock())),
        Some(p) if p.as_os_str() == "-" => ("<stdin>".into(), Box::new(io::stdin().lock())),
        Some(p) => match File::open(p) {
            Ok(f) => (p.display().to_string(), Box::new(f)),
            Err(e) => {
                let _ = writeln!(io::stderr(), "driftql: cannot open {}: {e}", p.display());
                return Err(Exit::Io);
            }
        },
    };
    let out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut f = Filter::new(matcher, out, args.count, name, Box::new(io::stderr()));
    let result = f.run(BufReader::with_capacity(1 << 18, reader));
    let result = result.and_then(|()| f.finish());
    match result {
        Ok(()) => {}
        // The reader of the output has gone (`| head`): not a failure of the filter.
        Err(Failure::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(Failure::Write(e)) => {
            let _ = writeln!(io::stderr(), "driftql: cannot write the output: {e}");
            return Err(Exit::Io);
        }
        Err(Failure::Read(e)) => {
            let _ = writeln!(io::stderr(), "driftql: cannot read {}: {e}", f.name);
            return Err(Exit::Io);
        }
    }
    if f.bad == 0 {
        return Ok(Exit::Ok);
    }
    let _ = writeln!(
        io::stderr(),
        "driftql: skipped {} bad {} ({} reports read, {} matched)",
        f.bad,
        if f.bad == 1 {
            "line or report"
        } else {
            "lines or reports"
        },
        f.read,
        f.matched,
    );
    Ok(Exit::BadInput)
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

/// Why filtering stopped early.
enum Failure {
    Read(io::Error),
    Write(io::Error),
}

/// The filter's state: what matches, where it goes, and the counts.
struct Filter<W: Write> {
    matcher: Matcher,
    out: W,
    count_only: bool,
    /// The input's name in messages.
    name: String,
    /// Where messages about bad input go (standard error).
    messages: Box<dyn Write>,
    /// Reports read (good ones).
    read: u64,
    matched: u64,
    /// Bad lines and reports.
    bad: u64,
    /// A write error met inside a document's visitor, to be returned as such.
    write_error: Option<io::Error>,
    /// Room to compact a report of a multi-line document.
    scratch: Vec<u8>,
}

/// Where a value starts: its line and, when known, its byte column.
#[derive(Clone, Copy)]
struct At {
    line: u64,
    column: Option<u64>,
}

impl<W: Write> Filter<W> {
    fn new(
        matcher: Matcher,
        out: W,
        count_only: bool,
        name: String,
        messages: Box<dyn Write>,
    ) -> Self {
        Filter {
            matcher,
            out,
            count_only,
            name,
            messages,
            read: 0,
            matched: 0,
            bad: 0,
            write_error: None,
            scratch: Vec::new(),
        }
    }

    /// Reads the whole input: lines, or documents when the first line starts one.
    fn run<R: Read>(&mut self, mut reader: BufReader<R>) -> Result<(), Failure> {
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        let mut buf = Vec::with_capacity(1 << 16);
        let mut line = 0u64;
        let mut first = true;
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf).map_err(Failure::Read)? == 0 {
                return Ok(());
            }
            line += 1;
            if line == 1 && buf.starts_with(BOM) {
                buf.drain(..BOM.len());
            }
            let text = buf.trim_ascii();
            if text.is_empty() {
                continue;
            }
            if std::mem::take(&mut first) && starts_document(text) {
                let head = Cursor::new(std::mem::take(&mut buf));
                return self.documents(head.chain(reader), line - 1);
            }
            self.line(line, text).map_err(Failure::Write)?;
            if buf.capacity() > 1 << 22 {
                // Do not keep the room of one very long line for the rest of the input.
                buf = Vec::with_capacity(1 << 16);
            }
        }
    }

    /// Writes what is left to write: the count, and whatever is buffered.
    fn finish(&mut self) -> Result<(), Failure> {
        if self.count_only {
            writeln!(self.out, "{}", self.matched).map_err(Failure::Write)?;
        }
        self.out.flush().map_err(Failure::Write)
    }

    /// One line of line input: a report, a results page or an array of reports.
    fn line(&mut self, line: u64, text: &[u8]) -> io::Result<()> {
        let at = At {
            line,
            column: Some(1),
        };
        if text.first() == Some(&b'[') {
            return match serde_json::from_slice::<Vec<&RawValue>>(text) {
                Ok(reports) => self.reports_of_line(&reports, text, line),
                Err(e) => self.bad(at, &e),
            };
        }
        match serde_json::from_slice::<LineValue>(text) {
            Ok(LineValue {
                results: Some(results),
                ..
            }) => match serde_json::from_str::<Option<Vec<&RawValue>>>(results.get()) {
                Ok(reports) => self.reports_of_line(&reports.unwrap_or_default(), text, line),
                Err(e) => {
                    let at = At {
                        line,
                        column: Some(offset_in(results.get(), text) + 1),
                    };
                    self.bad(at, &Prefixed("`results`: ", &e))
                }
            },
            Ok(LineValue { items, .. }) => {
                self.read += 1;
                self.emit(text, &items, false)
            }
            Err(e) => self.bad(at, &e),
        }
    }

    /// The reports of an array or page that is all on one line.
    fn reports_of_line(&mut self, reports: &[&RawValue], text: &[u8], line: u64) -> io::Result<()> {
        for raw in reports {
            let at = At {
                line,
                column: Some(offset_in(raw.get(), text) + 1),
            };
            self.report(raw.get(), at, false)?;
        }
        Ok(())
    }

    /// One report of an array or page; `compact` when it may span lines.
    fn report(&mut self, raw: &str, at: At, compact: bool) -> io::Result<()> {
        match serde_json::from_str::<ReportRef>(raw) {
            Ok(report) => {
                self.read += 1;
                self.emit(raw.as_bytes(), &report.items, compact)
            }
            Err(e) => self.bad(at, &e),
        }
    }

    /// Writes the report when it matches.
    fn emit(&mut self, raw: &[u8], items: &[ItemRef], compact: bool) -> io::Result<()> {
        if !self.matcher.matches_items(items) {
            return Ok(());
        }
        self.matched += 1;
        if self.count_only {
            return Ok(());
        }
        if compact {
            self.scratch.clear();
            compact_json(raw, &mut self.scratch);
            self.out.write_all(&self.scratch)?;
        } else {
            self.out.write_all(raw)?;
        }
        self.out.write_all(b"\n")
    }

    /// Reports and counts a bad line or report whose error is `e`, positioned relative to `at`.
    fn bad(&mut self, at: At, e: &dyn Located) -> io::Result<()> {
        self.bad += 1;
        if self.bad > MAX_MESSAGES {
            if self.bad == MAX_MESSAGES + 1 {
                self.out.flush()?;
                let _ = writeln!(
                    self.messages,
                    "driftql: more bad lines or reports follow; only their number is reported"
                );
            }
            return Ok(());
        }
        let at = e.position().map_or(at, |(line, column)| {
            if line <= 1 {
                At {
                    line: at.line,
                    column: at.column.map(|c| c + column.saturating_sub(1)),
                }
            } else {
                At {
                    line: at.line + line - 1,
                    column: Some(column),
                }
            }
        });
        self.message(at, &e.message())
    }

    /// Writes a message about the input at `at` to standard error, after what is buffered for
    /// standard output, so that on one terminal they appear in order.
    fn message(&mut self, at: At, message: &dyn Display) -> io::Result<()> {
        self.out.flush()?;
        let (name, line) = (&self.name, at.line);
        let _ = match at.column {
            Some(c) => writeln!(self.messages, "driftql: {name}:{line}:{c}: {message}"),
            None => writeln!(self.messages, "driftql: {name}:{line}: {message}"),
        };
        Ok(())
    }

    /// Reads the input as a sequence of JSON documents; `skipped` lines came before it.
    fn documents<R: Read>(&mut self, reader: R, skipped: u64) -> Result<(), Failure> {
        let newlines = Rc::new(Cell::new(skipped));
        let mut de = serde_json::Deserializer::from_reader(CountLines {
            inner: reader,
            newlines: Rc::clone(&newlines),
        });
        loop {
            match de.end() {
                Ok(()) => return Ok(()),
                Err(e) if e.is_io() => return Err(Failure::Read(e.into())),
                Err(_) => {} // another value follows
            }
            let top = Document {
                filter: self,
                newlines: &newlines,
            };
            let Err(e) = top.deserialize(&mut de) else {
                continue;
            };
            if let Some(w) = self.write_error.take() {
                return Err(Failure::Write(w));
            }
            if e.is_io() {
                return Err(Failure::Read(e.into()));
            }
            self.bad += 1;
            let at = At {
                line: skipped + e.line() as u64,
                column: Some(e.column() as u64).filter(|&c| c > 0),
            };
            let message = format!("{}; the rest of the input is not read", e.message());
            return self.message(at, &message).map_err(Failure::Write);
        }
    }
}

/// Whether `line` is the start of a JSON value that goes on over the next lines.
fn starts_document(line: &[u8]) -> bool {
    serde_json::from_slice::<IgnoredAny>(line).is_err_and(|e| e.classify() == Category::Eof)
}

/// The byte offset of `part` in `whole`, which holds it (0 when it does not).
fn offset_in(part: &str, whole: &[u8]) -> u64 {
    (part.as_ptr() as usize)
        .checked_sub(whole.as_ptr() as usize)
        .filter(|&o| o <= whole.len())
        .map_or(0, |o| o as u64)
}

/// Appends `json`, a valid JSON text, without the whitespace outside its strings.
fn compact_json(json: &[u8], out: &mut Vec<u8>) {
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            in_string = b == b'"';
            out.push(b);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors with positions

/// An error with an optional position (1-based line and byte column) relative to the value read.
trait Located {
    fn position(&self) -> Option<(u64, u64)>;
    fn message(&self) -> String;
}

impl Located for serde_json::Error {
    fn position(&self) -> Option<(u64, u64)> {
        (self.line() > 0).then(|| (self.line() as u64, self.column() as u64))
    }

    /// The message without serde_json's " at line L column C", which is relative to the value.
    fn message(&self) -> String {
        let text = self.to_string();
        let suffix = format!(" at line {} column {}", self.line(), self.column());
        match text.strip_suffix(&suffix) {
            Some(m) if self.line() > 0 => m.to_owned(),
            _ => text,
        }
    }
}

/// An error with a prefix on its message.
struct Prefixed<'a>(&'static str, &'a serde_json::Error);

impl Located for Prefixed<'_> {
    fn position(&self) -> Option<(u64, u64)> {
        self.1.position()
    }
    fn message(&self) -> String {
        format!("{}{}", self.0, self.1.message())
    }
}

// ---------------------------------------------------------------------------------------------
// One line's value

/// What a line's object holds for the filter: its items, or the reports of a results page.
/// Read by hand like [`ReportRef`], so that the last of duplicate keys counts.
struct LineValue<'a> {
    items: Vec<ItemRef<'a>>,
    results: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum LineField {
    Items,
    Results,
    #[serde(other)]
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for LineValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LineValue<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a report, a results page or an array of reports")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut value = LineValue {
                    items: Vec::new(),
                    results: None,
                };
                while let Some(field) = map.next_key()? {
                    match field {
                        LineField::Items => value.items = map.next_value_seed(ItemsSeed)?,
                        LineField::Results => value.results = Some(map.next_value()?),
                        LineField::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(value)
            }
        }
        d.deserialize_map(V)
    }
}

/// A report's items, read as [`ReportRef`] reads them.
struct ItemsSeed;

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = Vec<ItemRef<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        driftql::report::deserialize_items(d)
    }
}

// ---------------------------------------------------------------------------------------------
// Documents

/// Counts the newlines read through it, to place the reports of a document.
struct CountLines<R> {
    inner: R,
    newlines: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let seen = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        self.newlines.set(self.newlines.get() + seen);
        Ok(n)
    }
}

/// One top-level JSON document: a report, a results page or an array of reports.
struct Document<'f, W: Write> {
    filter: &'f mut Filter<W>,
    newlines: &'f Cell<u64>,
}

/// The line a value just read started on, from the newlines read so far and those inside it.
/// (serde_json reads a document a byte at a time and stops right after an object's `}`.)
fn start_line(newlines: &Cell<u64>, raw: &str) -> u64 {
    let inside = raw.bytes().filter(|&b| b == b'\n').count() as u64;
    (newlines.get() + 1).saturating_sub(inside)
}

impl<'de, W: Write> DeserializeSeed<'de> for Document<'_, W> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<W: Write> Document<'_, W> {
    /// Matches one report of the document, keeping a write error for the caller.
    fn report<E: de::Error>(&mut self, raw: &str, at: At) -> Result<(), E> {
        self.filter.report(raw, at, true).map_err(|e| {
            self.filter.write_error = Some(e);
            E::custom("cannot write the output")
        })
    }

    /// The reports of an array.
    fn reports<'de, A: SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            let at = At {
                line: start_line(self.newlines, raw.get()),
                column: None,
            };
            self.report(raw.get(), at)?;
        }
        Ok(())
    }
}

impl<'de, W: Write> Visitor<'de> for Document<'_, W> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a report, a results page or an array of reports")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, seq: A) -> Result<(), A::Error> {
        self.reports(seq)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let line = self.newlines.get() + 1;
        let mut fields: Vec<(String, Box<RawValue>)> = Vec::new();
        let mut page = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "results" {
                map.next_value_seed(Results(&mut self))?;
                page = true;
            } else {
                fields.push((key, map.next_value()?));
            }
        }
        if page {
            return Ok(());
        }
        // A report: put it back together, its values compacted.
        let mut json = Vec::with_capacity(
            fields
                .iter()
                .map(|(k, v)| k.len() + v.get().len() + 4)
                .sum(),
        );
        json.push(b'{');
        for (i, (key, value)) in fields.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            serde_json::to_writer(&mut json, key).map_err(de::Error::custom)?;
            json.push(b':');
            compact_json(value.get().as_bytes(), &mut json);
        }
        json.push(b'}');
        let json = String::from_utf8(json).map_err(de::Error::custom)?;
        self.report(&json, At { line, column: None })
    }
}

/// The `results` of a results page in a document: an array of reports, or null.
struct Results<'d, 'f, W: Write>(&'d mut Document<'f, W>);

impl<'de, W: Write> DeserializeSeed<'de> for Results<'_, '_, W> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, W: Write> Visitor<'de> for Results<'_, '_, W> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("`results` as an array of reports")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.reports(seq)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftql::{Item, Report};
    use proptest::prelude::*;

    const QUERIES: &[&str] = &[
        "port-tcp:443",
        "not title:admin",
        "title:a* or host:example.com",
        "search-term:b and not geo-country=CN",
    ];

    /// Runs the filter over `input`: (output, matched, read, bad).
    fn run(query: &str, input: &[u8]) -> (Vec<u8>, u64, u64, u64) {
        let matcher = driftql::parse(query)
            .unwrap()
            .matcher(&MatchOptions::default());
        let mut f = Filter::new(matcher, Vec::new(), false, "t".into(), Box::new(io::sink()));
        assert!(f.run(BufReader::new(input)).is_ok());
        (f.out, f.matched, f.read, f.bad)
    }

    fn item() -> impl Strategy<Value = Item> {
        (
            prop::sample::select(vec!["port-tcp", "title", "host", "geo-country", "TITLE"]),
            prop::sample::select(vec!["", "ssh", "cert-dns-name"]),
            prop::sample::select(vec![
                "443",
                "22",
                "admin panel",
                "a b",
                "www.example.com",
                "CN",
                "é\"\n",
                "",
            ]),
        )
            .prop_map(|(t, c, v)| Item::new(t, c, v))
    }

    fn report() -> impl Strategy<Value = Report> {
        prop::collection::vec(item(), 0..6).prop_map(|items| Report {
            id: "r".into(),
            items,
            ..Report::default()
        })
    }

    proptest! {
        #[test]
        fn lines_and_documents_agree_with_the_library(
            reports in prop::collection::vec(report(), 0..12),
            bad in prop::collection::vec(prop::sample::select(vec!["x", "[1]", "{\"items\":5}", "{"]), 0..4),
            q in prop::sample::select(QUERIES.to_vec()),
        ) {
            let matcher = driftql::parse(q).unwrap().matcher(&MatchOptions::default());
            let lines: Vec<String> = reports.iter().map(|r| serde_json::to_string(r).unwrap()).collect();
            let expected: String = reports
                .iter()
                .zip(&lines)
                .filter(|(r, _)| matcher.matches(r))
                .map(|(_, l)| format!("{l}\n"))
                .collect();
            let matched = reports.iter().filter(|r| matcher.matches(r)).count() as u64;

            // NDJSON with bad lines after the first good one, so that it stays line input.
            let mut input = String::new();
            for (i, l) in lines.iter().enumerate() {
                input += l;
                input += "\n";
                if i == 0 {
                    for b in &bad {
                        input += b;
                        input += "\n";
                    }
                }
            }
            let expected_bad = if lines.is_empty() { 0 } else { bad.len() as u64 };
            let (out, m, read, nbad) = run(q, input.as_bytes());
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected.clone());
            prop_assert_eq!((m, read, nbad), (matched, reports.len() as u64, expected_bad));

            // The same reports as one pretty-printed array: compacted, the same bytes.
            let pretty = serde_json::to_string_pretty(&reports).unwrap();
            let (out, m, read, nbad) = run(q, pretty.as_bytes());
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected.clone());
            prop_assert_eq!((m, read, nbad), (matched, reports.len() as u64, 0));

            // And as a results page on one line.
            let page = format!("{{\"page\":0,\"results\":[{}]}}\n", lines.join(","));
            let (out, m, _, _) = run(q, page.as_bytes());
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
            prop_assert_eq!(m, matched);
        }

        #[test]
        fn any_bytes_are_survived(input in prop::collection::vec(
            prop::sample::select(b"{}[],:\"\\ \n\rxa1-.e\xff".to_vec()), 0..200)
        ) {
            for q in QUERIES {
                let (_, matched, read, _) = run(q, &input);
                prop_assert!(matched <= read);
            }
        }
    }

    #[test]
    fn compacting_keeps_strings() {
        let mut out = Vec::new();
        compact_json(
            b"{ \"a b\" : [ 1 ,\n\t2 ],\r\n \"c\\\" d\\\\\": \" x \" }",
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a b":[1,2],"c\" d\\":" x "}"#
        );
    }

    #[test]
    fn documents_are_recognised_by_an_unfinished_first_line() {
        assert!(starts_document(b"{"));
        assert!(starts_document(b"["));
        assert!(starts_document(br#"{"page": 0, "results": ["#));
        assert!(!starts_document(br#"{"items": []}"#));
        assert!(!starts_document(b"[]"));
        assert!(!starts_document(b"{]"));
        assert!(!starts_document(b"garbage"));
    }
}
