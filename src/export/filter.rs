//! Filtering an export: the reports that match a [`Matcher`], written one per line.

use std::io::{self, Read, Write};

use super::{Bad, Found, ReadError, ReadOptions, Sink, Table, read};
use crate::eval::Matcher;

/// A [`Sink`] that writes the reports a matcher accepts, as [`Emit`] says; bad lines and
/// reports go to `on_bad`.
pub struct Filter<W, B> {
    matcher: Matcher,
    out: W,
    emit: Emit,
    on_bad: B,
    matched: u64,
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
        }
    }

    /// Reads `input` through the filter. The output is flushed before each bad line is told
    /// of, so that on one terminal the two streams stay in order, and at the end.
    pub fn run(
        mut self,
        input: impl Read,
        options: &ReadOptions,
    ) -> Result<FilterCounts, ReadError> {
        if let Emit::Table(table) = &mut self.emit {
            table.header(&mut self.out).map_err(ReadError::Stopped)?;
        }
        let counts = read(input, options, &mut self)?;
        self.out.flush().map_err(ReadError::Stopped)?;
        Ok(FilterCounts {
            read: counts.reports,
            matched: self.matched,
            bad: counts.bad,
        })
    }
}

impl<W: Write, B: FnMut(&Bad) -> io::Result<()>> Sink for Filter<W, B> {
    fn report(&mut self, found: Found<'_>) -> io::Result<()> {
        if !self.matcher.matches_items(&found.report.items) {
            return Ok(());
        }
        self.matched += 1;
        match &mut self.emit {
            Emit::Lines => {
                self.out.write_all(found.raw)?;
                self.out.write_all(b"\n")
            }
            Emit::Count => Ok(()),
            Emit::Table(table) => {
                let r = &found.report;
                table.row(&r.date, &r.id, &r.items, &mut self.out)
            }
        }
    }

    fn bad(&mut self, bad: Bad) -> io::Result<()> {
        self.out.flush()?;
        (self.on_bad)(&bad)
    }
}
