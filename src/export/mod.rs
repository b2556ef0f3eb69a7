//! Reading scan exports: the one reader behind `driftql filter`, `driftql serve --data` and any
//! program that reads saved reports (feature `export`).
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
//! What a report is — its fields and their syntax — is defined once, in [`crate::report`].
//!
//! # What a reader is given
//!
//! Each report comes to the [`Sink`] as a [`Found`]: the report, borrowed, its position, and
//! the bytes to write it with. From line input those are the report's own bytes, unchanged
//! (unknown fields, key order, escapes, spacing and a `\r` before the line's end survive); from a
//! document spanning several lines the report is given without its insignificant whitespace,
//! otherwise unchanged (except that escapes in its top-level keys are written in serde_json's
//! way).
//!
//! A line (or a report of an array or page) that is not valid JSON or not a report comes as a
//! [`Bad`] with its 1-based line and byte column and what is wrong; the other lines are read as
//! usual. A syntax error inside a multi-line document ends the reading there (the document
//! cannot be resynchronised): that [`Bad`] is [`fatal`](Bad::fatal). Blank lines are skipped; a
//! UTF-8 byte order mark at the start is ignored. Messages escape the control characters of
//! what they quote from the input.
//!
//! # Bounds
//!
//! A line longer than [`ReadOptions::max_line`] (default [`DEFAULT_MAX_LINE`], 64 MiB) is a
//! [`Bad`] that gives its length; it is skipped without being held in memory. In document input
//! the same bound applies to each report (and to anything between reports): a longer one ends
//! the reading. So memory stays within about the bound plus 256 KiB, however large the input:
//! one line is held at a time in a reused buffer, and reports are borrowed from it.
//!
//! # The prefilter of [`Filter`]
//!
//! From the compiled query ([`Matcher`](crate::Matcher)) comes what the text of a matching report must hold
//! (literals, all or any of them). Of those, the prefilter keeps a **cover**: a set
//! of literals of which every matching line holds at least one (for `a and b`, the cover of
//! whichever operand's literals are longest; for `a or b`, both covers together; a `not`, an
//! `ip` block or a value outside plain ASCII has none, and then every line is read). A line is a
//! candidate when it holds a literal of the cover, compared ignoring ASCII case. (The searches
//! are SIMD scans over a chunk of lines at a time: for literals of at most three letters,
//! exactly, in every case of their letters; else in a copy of the chunk with its ASCII letters
//! lowercased, byte for byte, for the literals lowercased.)
//!
//! # Why it is sound
//!
//! Every rule the literals come from compares ASCII letters ignoring case, and words, hosts,
//! ports and keywords are contiguous text of the item's value (or context): so a value that
//! matches holds the literal, in some case. A rule that compares a whole value or context
//! (`=`) puts the quotes of its JSON string around the literal (a prefix, `=abc*`, only the
//! opening one): a string that is the value is written between them. Written in JSON, a value's characters appear as
//! they are, except escaped ones: `\"`, `\\` and control characters (which no literal holds),
//! and anything a writer chose to write as `\uXXXX` or `\/`. Two characters outside ASCII
//! lowercase to ASCII letters (`İ` and the Kelvin sign `K`), so a value holding them can match
//! a literal it does not spell. A line holding `\u`, `\/`, `İ` or `K` is therefore always a
//! candidate. The property tests and the `eval` fuzz target check that no line a full match
//! accepts is ever left out.
//!
//! ```
//! use driftql::export::{self, Bad, Found, ReadOptions, Sink};
//!
//! struct Ids(Vec<String>, Vec<String>);
//! impl Sink for Ids {
//!     fn report(&mut self, found: Found<'_>) -> std::io::Result<()> {
//!         self.0.push(found.report.id.to_string());
//!         Ok(())
//!     }
//!     fn bad(&mut self, bad: Bad) -> std::io::Result<()> {
//!         self.1.push(format!("{}: {}", bad.at, bad.message));
//!         Ok(())
//!     }
//! }
//!
//! let input = b"{\"date\":\"2024-01-02\",\"id\":\"a\",\"items\":[]}\n{\"summary\":{}}\n";
//! let mut ids = Ids(Vec::new(), Vec::new());
//! let counts = export::read(&input[..], &ReadOptions::default(), &mut ids).unwrap();
//! assert_eq!((counts.reports, counts.bad), (1, 1));
//! assert_eq!(ids.0, ["a"]);
//! assert!(ids.1[0].starts_with("2:") && ids.1[0].contains(": not a report"), "{}", ids.1[0]);
//! ```

mod documents;
mod filter;
mod line;
mod lines;
mod parallel;
mod prefilter;
mod table;

use std::fmt;
use std::io::{self, Read};

pub use filter::{Emit, Filter, FilterCounts};
pub use table::{DEFAULT_FIELDS, DEFAULT_JOIN, Fields, FieldsError, Table, TableFormat};

use crate::report::ReportRef;
use lines::{Line, LineReader};

/// The longest line read by default: 64 MiB.
pub const DEFAULT_MAX_LINE: usize = 64 << 20;

/// How an export is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// The longest line (or, in document input, report) read, in bytes; a longer one is
    /// reported and skipped.
    pub max_line: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_line: DEFAULT_MAX_LINE,
        }
    }
}

impl ReadOptions {
    /// These options with `max_line` set (at least 1).
    #[must_use]
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line.max(1);
        self
    }
}

/// Where something stands in the input: its 1-based line and, when known, its 1-based byte
/// column. Displays as `LINE:COLUMN` or `LINE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct Position {
    /// The line.
    pub line: u64,
    /// The byte column, when known.
    pub column: Option<u64>,
}

impl Position {
    pub(crate) fn new(line: u64, column: Option<u64>) -> Self {
        Position { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "{}:{c}", self.line),
            None => write!(f, "{}", self.line),
        }
    }
}

/// A report read from the input.
#[derive(Debug)]
#[non_exhaustive]
pub struct Found<'a> {
    /// The report.
    pub report: ReportRef<'a>,
    /// The bytes to write it with, on a line of its own (see the [module docs](self)).
    pub raw: &'a [u8],
    /// Where it starts.
    pub at: Position,
}

/// A line or report that is not one: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bad {
    /// Where it is.
    pub at: Position,
    /// What is wrong, with what it quotes from the input escaped and cut short.
    pub message: String,
    /// Whether the reading stopped here (a syntax error inside a multi-line document).
    pub fatal: bool,
}

/// What reads an export: told of each report and each bad line or report, in input order.
pub trait Sink {
    /// A report. An error stops the reading ([`ReadError::Stopped`]).
    fn report(&mut self, found: Found<'_>) -> io::Result<()>;
    /// A bad line or report. An error stops the reading ([`ReadError::Stopped`]).
    fn bad(&mut self, bad: Bad) -> io::Result<()>;
}

/// How many reports and bad lines or reports were read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Reports given to the sink.
    pub reports: u64,
    /// Bad lines and reports given to the sink.
    pub bad: u64,
}

/// Why reading an export stopped before its end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The input could not be read.
    #[error("{0}")]
    Read(io::Error),
    /// The sink failed (e.g. writing its output).
    #[error("{0}")]
    Stopped(io::Error),
}

/// Reads an export, giving each report and each bad line or report to `sink` in input order.
pub fn read<R: Read>(
    reader: R,
    options: &ReadOptions,
    sink: &mut impl Sink,
) -> Result<Counts, ReadError> {
    let mut counting = Counting {
        sink,
        counts: Counts::default(),
    };
    if let Some(mut lines) = start(reader, options, &mut counting)? {
        while let Some((number, line)) = lines.next_line().map_err(ReadError::Read)? {
            match line {
                Line::TooLong(length) => counting.bad(too_long(number, length, options)),
                Line::Text(text) if text.trim_ascii().is_empty() => Ok(()),
                Line::Text(text) => line::read(number, text, &mut counting),
            }
            .map_err(ReadError::Stopped)?;
        }
    }
    Ok(counting.counts)
}

/// Reads the input up to its first line that is not blank, which tells line input from
/// document input. Document input is read to its end here (`None`); of line input, that first
/// line is given to `sink`, and the reader returned for the rest.
pub(crate) fn start<R: Read>(
    reader: R,
    options: &ReadOptions,
    sink: &mut impl Sink,
) -> Result<Option<LineReader<R>>, ReadError> {
    let mut lines = LineReader::new(reader, options.max_line);
    let mut first = true;
    loop {
        let Some((number, line)) = lines.next_line().map_err(ReadError::Read)? else {
            return Ok(None);
        };
        let text = match line {
            Line::TooLong(length) => {
                first = false;
                sink.bad(too_long(number, length, options))
                    .map_err(ReadError::Stopped)?;
                continue;
            }
            Line::Text(text) => text,
        };
        if text.trim_ascii().is_empty() {
            continue;
        }
        if std::mem::take(&mut first) && line::starts_document(text.trim_ascii()) {
            let rest = lines.rest_from_last_line();
            documents::read(rest, number - 1, options.max_line, sink)?;
            return Ok(None);
        }
        line::read(number, text, sink).map_err(ReadError::Stopped)?;
        return Ok(Some(lines));
    }
}

/// The [`Bad`] of a line longer than the bound.
pub(crate) fn too_long(number: u64, length: u64, options: &ReadOptions) -> Bad {
    Bad {
        at: Position::new(number, None),
        message: format!(
            "the line is {length} bytes long, longer than the limit of {} bytes; it is skipped",
            options.max_line
        ),
        fatal: false,
    }
}

/// A sink that counts what passes through it.
struct Counting<'s, S: Sink> {
    sink: &'s mut S,
    counts: Counts,
}

impl<S: Sink> Sink for Counting<'_, S> {
    fn report(&mut self, found: Found<'_>) -> io::Result<()> {
        self.counts.reports += 1;
        self.sink.report(found)
    }

    fn bad(&mut self, bad: Bad) -> io::Result<()> {
        self.counts.bad += 1;
        self.sink.bad(bad)
    }
}

/// serde_json's message without its " at line L column C" (which is relative to the value
/// read), with its position relative to the value, when it has one.
fn located(e: &serde_json::Error) -> (Option<(u64, u64)>, String) {
    let text = e.to_string();
    if e.line() == 0 {
        return (None, shown(&text));
    }
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    (Some((e.line() as u64, e.column() as u64)), shown(message))
}

/// A message as it is shown: serde_json quotes what it found, so control characters are escaped
/// and a long quote is cut.
fn shown(message: &str) -> String {
    crate::text::excerpt(message, MESSAGE_CHARS)
}

/// The longest message shown, in characters.
const MESSAGE_CHARS: usize = 300;

/// The position of something at `relative` (line, column) within a value that starts at `at`.
fn offset(at: Position, relative: Option<(u64, u64)>) -> Position {
    match relative {
        None => at,
        Some((line, column)) if line <= 1 => {
            Position::new(at.line, at.column.map(|c| c + column.saturating_sub(1)))
        }
        Some((line, column)) => Position::new(at.line + line - 1, Some(column)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::MatchOptions;
    use crate::{Item, Report};
    use proptest::prelude::*;

    /// What a reading gives the sink, one line each: `AT raw` for a report, `AT BAD message`
    /// (`BAD!` when fatal) for the rest.
    #[derive(Default)]
    pub(super) struct Seen(pub Vec<String>);

    impl Sink for Seen {
        fn report(&mut self, found: Found<'_>) -> io::Result<()> {
            let raw = String::from_utf8_lossy(found.raw);
            self.0.push(format!("{} {raw}", found.at));
            Ok(())
        }
        fn bad(&mut self, bad: Bad) -> io::Result<()> {
            let mark = if bad.fatal { "BAD!" } else { "BAD" };
            self.0.push(format!("{} {mark} {}", bad.at, bad.message));
            Ok(())
        }
    }

    pub(super) fn seen_in(input: impl Read, max: usize) -> Result<Vec<String>, ReadError> {
        let mut seen = Seen::default();
        read(input, &ReadOptions::default().with_max_line(max), &mut seen)?;
        Ok(seen.0)
    }

    const QUERIES: &[&str] = &[
        "port-tcp:443",
        "not title:admin",
        "title:a* or host:example.com",
        "search-term:b and not geo-country=CN",
    ];

    /// Runs a filter over `input`: (output, counts, the bad lines' messages).
    fn run_with(
        query: &str,
        input: &[u8],
        options: ReadOptions,
    ) -> (Vec<u8>, FilterCounts, Vec<String>) {
        run_strict(query, input, options, true)
    }

    /// A filter run, reading every line in full (`strict`) or with the prefilter.
    fn run_strict(
        query: &str,
        input: &[u8],
        options: ReadOptions,
        strict: bool,
    ) -> (Vec<u8>, FilterCounts, Vec<String>) {
        let matcher = crate::parse(query)
            .unwrap()
            .matcher(&MatchOptions::default());
        let mut out = Vec::new();
        let mut bad = Vec::new();
        let counts = Filter::new(matcher, &mut out, Emit::Lines, |b: &Bad| {
            bad.push(format!("{}: {}", b.at, b.message));
            Ok(())
        })
        .strict(strict)
        .threads(2)
        .run(input, &options)
        .unwrap();
        (out, counts, bad)
    }

    fn run(query: &str, input: &[u8]) -> (Vec<u8>, FilterCounts, Vec<String>) {
        run_with(query, input, ReadOptions::default())
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
        (prop::collection::vec(item(), 0..6), 0u32..1000).prop_map(|(items, n)| Report {
            id: format!("r{n}"),
            date: "2024-02-29".into(),
            items,
        })
    }

    proptest! {
        #[test]
        fn lines_and_documents_agree_with_the_matcher(
            reports in prop::collection::vec(report(), 0..12),
            bad in prop::collection::vec(prop::sample::select(vec!["x", "[1]", "{\"items\":5}", "{", "{}"]), 0..4),
            q in prop::sample::select(QUERIES.to_vec()),
        ) {
            let matcher = crate::parse(q).unwrap().matcher(&MatchOptions::default());
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
            let (out, c, _) = run(q, input.as_bytes());
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected.clone());
            prop_assert_eq!((c.matched, c.read, c.bad), (matched, reports.len() as u64, expected_bad));
            // With the prefilter: the same output; lines that cannot match and look whole
            // (`{}`, `[1]`, `{"items":5}`) are skipped, the cut ones (`x`, `{`) still reported.
            let (fast, f, _) = run_strict(q, input.as_bytes(), ReadOptions::default(), false);
            prop_assert_eq!(String::from_utf8(fast).unwrap(), expected.clone());
            prop_assert_eq!(f.matched, matched);
            prop_assert_eq!(f.read + f.skipped, reports.len() as u64 + (expected_bad - f.bad));
            let cut = if lines.is_empty() { 0 } else { bad.iter().filter(|b| **b == "x" || **b == "{").count() as u64 };
            prop_assert!(f.bad >= cut && f.bad <= expected_bad);

            // The same reports as one pretty-printed array: compacted, the same bytes.
            let pretty = serde_json::to_string_pretty(&reports).unwrap();
            let (out, c, _) = run(q, pretty.as_bytes());
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected.clone());
            prop_assert_eq!((c.matched, c.read, c.bad), (matched, reports.len() as u64, 0));

            // And as a results page on one line.
            let page = format!("{{\"page\":0,\"results\":[{}]}}\n", lines.join(","));
            let (out, c, _) = run(q, page.as_bytes());
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
            prop_assert_eq!(c.matched, matched);
        }

        #[test]
        fn any_bytes_are_survived(input in prop::collection::vec(
            prop::sample::select(b"{}[],:\"\\ \n\rxa1-.e\xff".to_vec()), 0..200)
        ) {
            for q in QUERIES {
                let (_, c, _) = run_with(q, &input, ReadOptions::default().with_max_line(16));
                prop_assert!(c.matched <= c.read);
            }
        }
    }

    const R1: &str =
        r#"{"date":"2024-01-02","id":"a","items":[{"type":"port-tcp","value":"443"}]}"#;

    #[test]
    fn lines_are_written_as_they_were_read_carriage_returns_included() {
        let input = format!("  {R1}  \r\n{R1}\n\n{R1}");
        let (out, c, bad) = run("port-tcp:443", input.as_bytes());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("  {R1}  \r\n{R1}\n{R1}\n")
        );
        assert_eq!((c.read, c.matched, c.bad), (3, 3, 0), "{bad:?}");
    }

    #[test]
    fn bad_lines_are_told_of_between_the_right_lines_of_the_output() {
        use std::cell::RefCell;
        use std::rc::Rc;
        /// One stream for the output and the messages, as a terminal shows them.
        #[derive(Clone, Default)]
        struct Screen(Rc<RefCell<Vec<u8>>>);
        impl io::Write for Screen {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let good = |n: usize| {
            format!(
                "{{\"date\":\"2024-01-01\",\"id\":\"r{n}\",\"items\":[{{\"type\":\"port-tcp\",\"value\":\"443\"}}]}}"
            )
        };
        // Enough lines for several chunks, with a cut line now and then.
        let mut input = String::new();
        let mut expected = String::new();
        for n in 0..6000 {
            if n % 997 == 5 {
                input += "{\"cut\n";
                expected += &format!("BAD {}\n", n + 1);
            } else {
                let line = good(n) + &" ".repeat(300);
                expected += &line;
                expected += "\n";
                input += &line;
                input += "\n";
            }
        }
        let screen = Screen::default();
        let messages = screen.clone();
        let matcher = crate::parse("port-tcp:443")
            .unwrap()
            .matcher(&MatchOptions::default());
        Filter::new(matcher, screen.clone(), Emit::Lines, move |b: &Bad| {
            messages
                .0
                .borrow_mut()
                .extend_from_slice(format!("BAD {}\n", b.at.line).as_bytes());
            Ok(())
        })
        .threads(2)
        .run(input.as_bytes(), &ReadOptions::default())
        .unwrap();
        let shown = String::from_utf8(screen.0.borrow().clone()).unwrap();
        assert!(
            shown == expected,
            "the output and the messages are out of order"
        );
    }

    #[test]
    fn what_is_not_a_report_is_counted_and_never_written() {
        let input = [
            r#"{"summary": {"other": 0, "values": {"443": 64}}}"#,
            r#"{"name": "John Doe", "quota": {"api_limit": 500}, "token": "SECRET123"}"#,
            r#"{"error": "bad", "code": "syntax"}"#,
            "{}",
            r#"{"date":"2024-01-02","id":"a","items":[{"type":"port-tcp","value":443}]}"#,
            r#"{"date":"2024-13-02","id":"a","items":[]}"#,
            r#"{"date":"2024-01-02","id":"a","id":"b","items":[]}"#,
            R1,
        ]
        .join("\n");
        let (out, c, bad) = run("not port-tcp:1", input.as_bytes());
        assert_eq!(String::from_utf8(out).unwrap(), format!("{R1}\n"));
        assert_eq!((c.read, c.matched, c.bad), (1, 1, 7), "{bad:?}");
        assert!(
            bad[0].starts_with("1:") && bad[0].contains(": not a report"),
            "{bad:?}"
        );
        assert!(
            bad[4].contains("`value` must be a string, not a number"),
            "{bad:?}"
        );
        assert!(bad[6].contains("the key `id` appears twice"), "{bad:?}");
        assert!(bad.iter().all(|b| !b.contains("SECRET123")), "{bad:?}");
    }

    #[test]
    fn a_line_past_the_bound_is_reported_with_its_number_and_the_rest_is_read() {
        let long = format!(
            "{{\"date\":\"2024-01-02\",\"id\":\"{}\",\"items\":[]}}",
            "x".repeat(500)
        );
        let input = format!("{R1}\n{long}\n{R1}\n");
        let (out, c, bad) = run_with(
            "port-tcp:443",
            input.as_bytes(),
            ReadOptions::default().with_max_line(200),
        );
        assert_eq!(String::from_utf8(out).unwrap(), format!("{R1}\n{R1}\n"));
        assert_eq!((c.read, c.bad), (2, 1));
        assert!(
            bad[0].starts_with(&format!(
                "2: the line is {} bytes long, longer than the limit of 200 bytes",
                long.len()
            )),
            "{bad:?}"
        );
    }

    #[test]
    fn a_report_past_the_bound_in_a_document_ends_the_reading() {
        let long = format!(
            "{{\"date\":\"2024-01-02\",\"id\":\"{}\",\"items\":[]}}",
            "x".repeat(500)
        );
        let input = format!("[\n{R1},\n{long},\n{R1}\n]\n");
        let (out, c, bad) = run_with(
            "port-tcp:443",
            input.as_bytes(),
            ReadOptions::default().with_max_line(300),
        );
        assert_eq!(String::from_utf8(out).unwrap(), format!("{R1}\n"));
        assert_eq!((c.read, c.bad), (1, 1));
        assert!(bad[0].contains("longer than the line limit"), "{bad:?}");
        assert!(
            bad[0].ends_with("the rest of the input is not read"),
            "{bad:?}"
        );
    }

    #[test]
    fn control_characters_from_the_input_are_escaped_in_messages() {
        let input = r#"{"date":"\u001b[2J2024","id":"a","items":[]}"#;
        let (_, _, bad) = run("port-tcp:1", input.as_bytes());
        assert!(bad[0].contains(r"\u{1b}[2J2024"), "{bad:?}");
        assert!(!bad[0].contains('\u{1b}'));
    }

    #[test]
    fn documents_are_recognised_by_an_unfinished_first_line() {
        use line::starts_document;
        assert!(starts_document(b"{"));
        assert!(starts_document(b"["));
        assert!(starts_document(br#"{"page": 0, "results": ["#));
        assert!(!starts_document(br#"{"items": []}"#));
        assert!(!starts_document(b"[]"));
        assert!(!starts_document(b"{]"));
        assert!(!starts_document(b"garbage"));
    }
}
