//! `driftql::export::Filter` against the plain reader: on inputs of every line shape, large
//! enough to be cut into many chunks, the parallel, prefiltered filter writes exactly what
//! reading each report and matching it writes, in the same order, bad lines included, on any
//! number of threads.

#![cfg(feature = "export")]

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use driftql::export::{
    self, Bad, Emit, Fields, Filter, FilterCounts, Found, ReadOptions, Sink, Table, TableFormat,
};
use driftql::{MatchOptions, Matcher};

/// A writer into a log shared with the bad-line callback, so that the log shows how output
/// and bad lines interleave.
#[derive(Clone, Default)]
struct Log(Rc<RefCell<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn bad(&self, bad: &Bad) {
        writeln!(self.0.borrow_mut(), "BAD {} {}", bad.at, bad.message).unwrap();
    }
    fn text(&self) -> String {
        String::from_utf8(self.0.borrow().clone()).unwrap()
    }
}

/// The reference: each report read by the plain reader and matched, its bytes written as read
/// (or its row), each bad line logged where it comes.
struct Reference<'a> {
    matcher: &'a Matcher,
    table: Option<Table>,
    log: Log,
    matched: u64,
}

impl Sink for Reference<'_> {
    fn report(&mut self, found: Found<'_>) -> io::Result<()> {
        if self.matcher.matches_items(&found.report.items) {
            self.matched += 1;
            let mut out = self.log.clone();
            match &mut self.table {
                Some(t) => t.row(
                    &found.report.date,
                    &found.report.id,
                    &found.report.items,
                    &mut out,
                )?,
                None => {
                    out.write_all(found.raw)?;
                    out.write_all(b"\n")?;
                }
            }
        }
        Ok(())
    }
    fn bad(&mut self, bad: Bad) -> io::Result<()> {
        self.log.bad(&bad);
        Ok(())
    }
}

fn matcher(q: &str) -> Matcher {
    Matcher::new(driftql::parse(q).unwrap().expr(), &MatchOptions::default())
}

fn table() -> Table {
    Table::new(
        TableFormat::Csv,
        "date,id,port-tcp,title".parse::<Fields>().unwrap(),
        "|",
    )
}

/// One line of each shape, chosen by `i`: reports in several spellings, pages and arrays of
/// reports, blank lines, JSON that is no report, cut lines, lines broken inside, escapes that
/// hide a literal, `\r\n` endings and a line longer than the bound.
fn line(i: usize) -> String {
    let port = ["443", "22", "8443", "4430"][i % 4];
    let title = ["hello world", "Hello, World!", "login page", "nothing here"][i / 4 % 4];
    let report = |id: usize| {
        format!(
            r#"{{"date":"2024-01-{:02}","id":"r{id}","items":[{{"type":"port-tcp","value":"{port}"}},{{"type":"title","value":"{title}"}},{{"type":"host","value":"h{id}.example.com"}}]}}"#,
            id % 28 + 1
        )
    };
    match i % 17 {
        0..=7 => report(i),
        8 => format!(
            r#"{{ "items" : [ {{"value": "{port}", "type": "port-tcp"}} ], "id": "s{i}", "date": "2023-12-31", "extra": [1, {{"a": null}}] }}"#
        ),
        9 => String::new(),
        10 => "   \t".into(),
        11 => format!(
            r#"{{"page":0,"results":[{},{}]}}"#,
            report(i),
            report(i + 1)
        ),
        12 => format!("[{},{}]", report(i), report(i + 2)),
        13 => r#"{"summary":{"other":0,"values":{"443":1}}}"#.into(),
        14 => match i % 3 {
            0 => format!(r#"{{"id":"cut{i}","date":"2024-01-01","items":[{{"type":"port-tcp","#),
            1 => format!(r#"{{"id":"broken{i}", "date": 2024-01-01, "items": [443]}}"#),
            _ => format!(r#"{{"id":"noitems{i}","date":"2024-01-01"}}"#),
        },
        15 => format!(
            r#"{{"date":"2024-02-01","id":"esc{i}","items":[{{"type":"port-tcp","value":"\u0034{}"}},{{"type":"title","value":"hello\u0020world"}}]}}"#,
            &port[1..]
        ),
        _ => format!(
            r#"{{"date":"2024-03-01","id":"long{i}","items":[{{"type":"title","value":"{} login"}},{{"type":"port-tcp","value":"{port}"}}]}}"#,
            "x".repeat(if i.is_multiple_of(2) { 5000 } else { 10 })
        ),
    }
}

/// `lines` lines of every shape; from 4,500 on, more than the parallel filter's chunk (1 MiB),
/// so that even under the default bound the lines go out in several chunks.
fn input(lines: usize) -> Vec<u8> {
    let mut s = String::from("\u{feff}");
    for i in 0..lines {
        s.push_str(&line(i));
        s.push_str(if i.is_multiple_of(5) { "\r\n" } else { "\n" });
    }
    assert!(lines < 4500 || s.len() > 1 << 20, "{} bytes", s.len());
    s.into_bytes()
}

/// Queries, and whether the prefilter has no literal for them (a `not`, an `ip` block; see the
/// export module's docs), so that every line is read.
const QUERIES: &[(&str, bool)] = &[
    ("port-tcp:443", false),
    ("title:\"hello world\"", false),
    ("host:example.com and port-tcp:22", false),
    ("port-tcp:8443 or title:login", false),
    ("not port-tcp:443", true),
    ("ip:10.0.0.0/8 or port-tcp:4430", true),
];

/// The bound of most runs, which the long lines of [`line`] pass, and the default, under
/// which the input is packed into chunks of many lines.
fn bounds() -> [ReadOptions; 2] {
    [
        ReadOptions::default().with_max_line(4096),
        ReadOptions::default(),
    ]
}

fn run_filter(
    q: &str,
    data: &[u8],
    options: &ReadOptions,
    threads: usize,
    strict: bool,
    emit: Emit,
) -> (String, FilterCounts) {
    let log = Log::default();
    let bad = log.clone();
    let counts = Filter::new(matcher(q), log.clone(), emit, move |b: &Bad| {
        bad.bad(b);
        Ok(())
    })
    .threads(threads)
    .strict(strict)
    .run(data, options)
    .unwrap();
    (log.text(), counts)
}

fn reference(
    q: &str,
    data: &[u8],
    options: &ReadOptions,
    table: Option<Table>,
) -> (String, export::Counts, u64) {
    let m = matcher(q);
    let mut r = Reference {
        matcher: &m,
        table,
        log: Log::default(),
        matched: 0,
    };
    if let Some(t) = &mut r.table {
        t.header(&mut r.log.clone()).unwrap();
    }
    let counts = export::read(data, options, &mut r).unwrap();
    (r.log.text(), counts, r.matched)
}

/// Reading in full (strict): the same bytes, the same bad lines at the same places, the same
/// counts.
#[test]
fn strict_filtering_is_reading_and_matching() {
    for (lines, threads, options) in [
        (40, 1, bounds()[0]),
        (40, 2, bounds()[0]),
        (4500, 2, bounds()[0]),
        (4500, 3, bounds()[0]),
        (4500, 2, bounds()[1]),
    ] {
        let data = input(lines);
        for &(q, _) in QUERIES {
            let (want, counts, matched) = reference(q, &data, &options, None);
            let (got, c) = run_filter(q, &data, &options, threads, true, Emit::Lines);
            assert!(
                got == want,
                "{q} on {lines} lines, {threads} threads:\n{}",
                first_difference(&got, &want)
            );
            assert_eq!(
                (c.read, c.matched, c.bad, c.skipped),
                (counts.reports, matched, counts.bad, 0),
                "{q}"
            );
            assert!(
                matched > 0 && counts.bad > 0,
                "{q}: the input exercises matches and bad lines"
            );
        }
    }
}

/// With the prefilter: the same matches in the same order; the bad lines it reports are the
/// reference's, less only lines that look whole and cannot match; a query with no literal to
/// look for reads every line.
#[test]
fn the_prefilter_leaves_out_only_lines_that_cannot_match() {
    let data = input(4500);
    for (&(q, reads_all), options) in QUERIES.iter().flat_map(|q| bounds().map(|b| (q, b))) {
        let (want, counts, matched) = reference(q, &data, &options, None);
        for threads in [1, 2, 3] {
            let (got, c) = run_filter(q, &data, &options, threads, false, Emit::Lines);
            let unbad = |s: &str| {
                s.lines()
                    .filter(|l| !l.starts_with("BAD "))
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            };
            assert_eq!(unbad(&got), unbad(&want), "{q}, {threads} threads");
            let bad_got: Vec<_> = got.lines().filter(|l| l.starts_with("BAD ")).collect();
            let bad_want: Vec<_> = want.lines().filter(|l| l.starts_with("BAD ")).collect();
            let mut rest = bad_want.iter();
            for b in &bad_got {
                assert!(
                    rest.any(|w| w == b),
                    "{q}: {b} is not among the reference's, in order"
                );
            }
            assert_eq!(c.matched, matched, "{q}");
            assert_eq!(c.bad, bad_got.len() as u64, "{q}");
            if reads_all {
                assert_eq!(got, want, "{q}: no literal, every line read");
                assert_eq!((c.skipped, c.read), (0, counts.reports), "{q}");
            } else {
                assert!(c.skipped > 0 && c.read < counts.reports, "{q}: {c:?}");
                // Lines that look whole, are broken inside and cannot match go unreported.
                assert!(bad_got.len() < bad_want.len(), "{q}: {c:?}");
                // Cut lines (they do not look whole) and lines too long are always reported.
                for b in &bad_want {
                    if b.contains("longer than the limit") || b.contains("EOF") {
                        assert!(bad_got.contains(b), "{q}: {b} is reported");
                    }
                }
            }
        }
    }
}

/// Counting writes nothing and counts the same; a table gets the header once and each match's
/// row, in order, from every worker.
#[test]
fn counts_and_tables_agree_with_the_lines() {
    let options = ReadOptions::default().with_max_line(4096);
    let data = input(4500);
    for q in ["port-tcp:443", "not port-tcp:22"] {
        let (lines, counted) = run_filter(q, &data, &options, 2, true, Emit::Lines);
        let (nothing, c) = run_filter(q, &data, &options, 2, true, Emit::Count);
        assert_eq!(
            nothing.lines().filter(|l| !l.starts_with("BAD ")).count(),
            0,
            "{q}"
        );
        assert_eq!(c, counted, "{q}");
        assert_eq!(
            lines.lines().filter(|l| !l.starts_with("BAD ")).count() as u64,
            c.matched
        );
        let (want, _, _) = reference(q, &data, &options, Some(table()));
        let (got, _) = run_filter(q, &data, &options, 3, true, Emit::Table(Box::new(table())));
        assert!(got == want, "{q}:\n{}", first_difference(&got, &want));
        assert!(
            got.starts_with("date,id,port-tcp,title\n"),
            "{:?}",
            got.lines().next()
        );
    }
}

/// An input whose first line starts a pretty-printed document is read as documents, on one
/// thread, with the same matches.
#[test]
fn document_input_filters_the_same() {
    let options = ReadOptions::default();
    let doc = "{\n  \"date\": \"2024-01-01\",\n  \"id\": \"d1\",\n  \"items\": [{\"type\": \"port-tcp\", \"value\": \"443\"}]\n}\n[\n  {\"date\": \"2024-01-02\", \"id\": \"d2\", \"items\": []}\n]\n";
    let (want, counts, matched) = reference("port-tcp:443", doc.as_bytes(), &options, None);
    let (got, c) = run_filter(
        "port-tcp:443",
        doc.as_bytes(),
        &options,
        2,
        false,
        Emit::Lines,
    );
    assert_eq!(got, want);
    assert_eq!((c.read, c.matched, c.bad), (counts.reports, matched, 0));
    assert_eq!((c.read, c.matched), (2, 1));
    assert!(got.contains("\"id\":\"d1\""), "{got}");
}

/// An output that fails stops the filter with that error.
#[test]
fn a_failing_output_stops_the_filter() {
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let data = input(3000);
    // The first line does not match: the failing write is of a worker's output.
    assert!(!line(0).contains("\"22\""));
    for threads in [1, 2] {
        let r = Filter::new(matcher("port-tcp:22"), Full, Emit::Lines, |_: &Bad| Ok(()))
            .threads(threads)
            .run(&data[..], &ReadOptions::default());
        match r {
            Err(export::ReadError::Stopped(e)) => assert_eq!(e.kind(), io::ErrorKind::StorageFull),
            other => panic!("{other:?}"),
        }
    }
}

/// An input that fails ends the filter with that error, after the output of what was read
/// before it.
#[test]
fn a_failing_input_ends_the_filter_after_what_was_read_before_it() {
    struct Failing<'a>(&'a [u8]);
    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let data = input(20_000);
    let mut all = Vec::new();
    Filter::new(matcher("port-tcp:22"), &mut all, Emit::Lines, |_: &Bad| {
        Ok(())
    })
    .run(&data[..], &ReadOptions::default())
    .unwrap();
    for threads in [1, 2] {
        let mut out = Vec::new();
        let r = Filter::new(matcher("port-tcp:22"), &mut out, Emit::Lines, |_: &Bad| {
            Ok(())
        })
        .threads(threads)
        .run(Failing(&data), &ReadOptions::default());
        match r {
            Err(export::ReadError::Read(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            other => panic!("{other:?}"),
        }
        // Whole lines, the first of all that match: the chunks read before the error.
        assert!(
            out.len() > all.len() / 2 && out.len() < all.len(),
            "{}",
            out.len()
        );
        assert!(all.starts_with(&out) && out.ends_with(b"\n"));
    }
}

fn first_difference(got: &str, want: &str) -> String {
    let (g, w): (Vec<_>, Vec<_>) = (got.lines().collect(), want.lines().collect());
    let at = g
        .iter()
        .zip(&w)
        .position(|(a, b)| a != b)
        .unwrap_or(g.len().min(w.len()));
    let cut = |s: Option<&&str>| s.map(|s| s.chars().take(160).collect::<String>());
    format!(
        "{} vs {} lines; first difference at line {at}:\n got: {:?}\nwant: {:?}",
        g.len(),
        w.len(),
        cut(g.get(at)),
        cut(w.get(at))
    )
}
