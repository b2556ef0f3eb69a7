//! Filtering an export: the reports that match a [`Matcher`], written one per line.

use std::io::{self, Read, Write};

use super::parallel::{self, Work};
use super::prefilter::Prefilter;
use super::{Bad, Found, ReadError, ReadOptions, Sink, Table, start};
use crate::eval::Matcher;

/// A [`Sink`] that writes the reports a matcher accepts, as [`Emit`] says; bad lines and
/// reports go to `on_bad`.
///
/// # Speed
///
/// Line input is read on a thread of its own and matched on as many threads as the machine
/// has cores, while the output is written, in input order, on the calling thread; memory stays
/// within a few chunks of 1 MiB per thread, however large the input. Before any JSON is read,
/// a prefilter derived from the query picks the lines that may match (those that hold one of
/// the query's literals; see [the prefilter](super#the-prefilter-of-filter) for why no
/// matching line is left out). A line that cannot match is skipped without being read in full
/// — unless it does not look like a whole JSON object or array (`{…}` or `[…]`), which is
/// read, so that a cut or broken line is still reported. So a line that looks whole but is
/// broken inside, and cannot match, is not reported: [`Filter::strict`] reads every line in
/// full. A line read in full is read by a fast reader when it holds a report in the plain
/// shape most are written in, and by serde otherwise; the fast reader reads only what serde
/// reads the same (a property test and the `eval` fuzz target compare the two). Document input
/// (pretty-printed JSON) is read on one thread, in full.
pub struct Filter<W, B> {
    matcher: Matcher,
    out: W,
    emit: Emit,
    on_bad: B,
    matched: u64,
    threads: Option<usize>,
    strict: bool,
}

/// What a [`Filter`] writes of each report that matches.
#[derive(Debug)]
#[non_exhaustive]
pub enum Emit {
    /// The report, on a line of its own, as the reader gave it (see the [module docs](super)).
    Lines,
    /// Nothing: the reports are only counted.
    Count,
    /// A row of the table (the header row first).
    Table(Box<Table>),
}

/// What a filter read and wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilterCounts {
    /// Reports read.
    pub read: u64,
    /// Reports that matched.
    pub matched: u64,
    /// Bad lines and reports.
    pub bad: u64,
    /// Lines not read in full: the prefilter showed they could not match (they are not
    /// counted in `read`).
    pub skipped: u64,
}

impl<W: Write, B: FnMut(&Bad) -> io::Result<()>> Filter<W, B> {
    /// A filter writing to `out` what `emit` says, telling `on_bad` of each bad line or
    /// report.
    pub fn new(matcher: Matcher, out: W, emit: Emit, on_bad: B) -> Self {
        Filter {
            matcher,
            out,
            emit,
            on_bad,
            matched: 0,
            threads: None,
            strict: false,
        }
    }

    /// How many threads match lines (default: as many as the machine has cores).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads.max(1));
        self
    }

    /// Reads every line in full, even those the prefilter says cannot match, so that every
    /// bad line is reported, and reads each with serde, not with the fast reader of reports in
    /// the plain shape (it reads the same reports, faster) (default: off; see
    /// [Speed](Filter#speed)).
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Reads `input` through the filter. Line input is read on a thread of its own (so
    /// `input` is `Send`), while the output is written on this one. The output is flushed
    /// before each bad line is told of, so that on one terminal the two streams stay in order,
    /// and at the end.
    pub fn run(
        mut self,
        input: impl Read + Send,
        options: &ReadOptions,
    ) -> Result<FilterCounts, ReadError> {
        if let Emit::Table(table) = &mut self.emit {
            table.header(&mut self.out).map_err(ReadError::Stopped)?;
        }
        let mut first = Counted {
            filter: &mut self,
            reports: 0,
            bad: 0,
        };
        let rest = start(input, options, &mut first)?;
        let mut counts = FilterCounts {
            read: first.reports,
            matched: 0,
            bad: first.bad,
            skipped: 0,
        };
        if let Some(lines) = rest {
            let prefilter = if self.strict {
                Prefilter::everything()
            } else {
                Prefilter::new(&self.matcher)
            };
            let threads = self.threads.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            });
            let emits = (0..threads).map(|_| self.emit.for_worker()).collect();
            let work = Work {
                matcher: &self.matcher,
                prefilter: &prefilter,
                options,
                fast: !self.strict,
            };
            let tally = parallel::run(lines, &work, emits, &mut self.out, &mut self.on_bad)?;
            counts.read += tally.reports;
            counts.bad += tally.bad;
            counts.skipped = tally.skipped;
            self.matched += tally.matched;
        }
        counts.matched = self.matched;
        self.out.flush().map_err(ReadError::Stopped)?;
        Ok(counts)
    }
}

/// The filter as the sink of the input's first line (or of all of document input), counting.
struct Counted<'f, W, B> {
    filter: &'f mut Filter<W, B>,
    reports: u64,
    bad: u64,
}

impl<W: Write, B: FnMut(&Bad) -> io::Result<()>> Sink for Counted<'_, W, B> {
    fn report(&mut self, found: Found<'_>) -> io::Result<()> {
        self.reports += 1;
        let f = &mut *self.filter;
        if !f.matcher.matches_items(&found.report.items) {
            return Ok(());
        }
        f.matched += 1;
        emit(&mut f.emit, &found, &mut f.out)
    }

    fn bad(&mut self, bad: Bad) -> io::Result<()> {
        self.bad += 1;
        self.filter.out.flush()?;
        (self.filter.on_bad)(&bad)
    }
}

impl Emit {
    /// The same, for a worker of its own (a table with its own buffer).
    fn for_worker(&self) -> Emit {
        match self {
            Emit::Lines => Emit::Lines,
            Emit::Count => Emit::Count,
            Emit::Table(t) => Emit::Table(Box::new(t.fresh())),
        }
    }
}

/// Writes what `emit` says of a report that matched.
pub(super) fn emit(emit: &mut Emit, found: &Found<'_>, out: &mut impl Write) -> io::Result<()> {
    match emit {
        Emit::Lines => {
            out.write_all(found.raw)?;
            out.write_all(b"\n")
        }
        Emit::Count => Ok(()),
        Emit::Table(table) => {
            let r = &found.report;
            table.row(&r.date, &r.id, &r.items, out)
        }
    }
}
