//! Filtering an export: the reports that match a [`Matcher`], written one per line.

use std::io::{self, Read, Write};

use super::{Bad, Found, ReadError, ReadOptions, Sink, read};
use crate::eval::Matcher;

/// A [`Sink`] that writes the reports a matcher accepts, each on a line of its own as the
/// reader gave it (see the [module docs](super)), or only counts them; bad lines and reports go
/// to `on_bad`.
pub struct Filter<W, B> {
    matcher: Matcher,
    out: W,
    count_only: bool,
    on_bad: B,
    matched: u64,
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
    /// A filter writing to `out` (nothing but the count, with `count_only`), telling `on_bad`
    /// of each bad line or report.
    pub fn new(matcher: Matcher, out: W, count_only: bool, on_bad: B) -> Self {
        Filter {
            matcher,
            out,
            count_only,
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
        if self.count_only {
            return Ok(());
        }
        self.out.write_all(found.raw)?;
        self.out.write_all(b"\n")
    }

    fn bad(&mut self, bad: Bad) -> io::Result<()> {
        self.out.flush()?;
        (self.on_bad)(&bad)
    }
}
