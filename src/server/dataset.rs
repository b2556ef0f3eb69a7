//! The reports a server searches: loaded once, sorted newest first, shared read-only.

use std::io::{self, Read};
use std::net::IpAddr;

use crate::export::{Bad, Found, ReadError, ReadOptions, Sink};
use crate::models::Date;
use crate::report::Report;

/// A set of reports held in memory, sorted newest first (by date, then by id), with what the
/// searches need worked out once: each report's date, its `{ip, port}` pair and whether it is
/// domain-centred.
///
/// ```
/// use driftql::export::ReadOptions;
/// use driftql::server::Dataset;
/// let data = "{\"date\":\"2024-01-02\",\"id\":\"b\",\"items\":[]}\n\
///             not json\n\
///             {\"date\":\"2024-03-04\",\"id\":\"a\",\"items\":[]}\n";
/// let loaded = Dataset::read(data.as_bytes(), &ReadOptions::default()).unwrap();
/// assert_eq!(loaded.bad_count, 1);
/// assert_eq!(loaded.bad[0].at.line, 2);
/// let ids: Vec<_> = loaded.dataset.reports().map(|r| r.id.as_str()).collect();
/// assert_eq!(ids, ["a", "b"]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    entries: Vec<Entry>,
}

/// One report and what was worked out about it at load time.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) report: Report,
    pub(crate) date: Date,
    pub(crate) service: Option<Service>,
    /// The scanned address: the first `ip` item in the empty context that is an address.
    pub(crate) addr: Option<IpAddr>,
    /// Which search endpoints see the report.
    pub(crate) scopes: Scopes,
}

/// Which search endpoints see a report, worked out once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scopes {
    /// `scan/domains`: it has a `host` item in the empty context (a host scanned by name).
    pub(crate) domain: bool,
    /// `scan/favicons`: it has a favicon hash (an `obj-*` item in the `favicon` context).
    pub(crate) favicon: bool,
    /// `domain/rdns`: it has a `host` item in the `dns-ptr` or `dns-ns` context.
    pub(crate) rdns: bool,
    /// `ct/log`: it has a `host` item in the `cert-dns-name` context.
    pub(crate) cert: bool,
}

impl Scopes {
    fn of(report: &Report) -> Scopes {
        let mut s = Scopes::default();
        for i in &report.items {
            let host = i.ty.eq_ignore_ascii_case("host");
            match i.context.as_str() {
                "" if host => s.domain = true,
                "dns-ptr" | "dns-ns" if host => s.rdns = true,
                "cert-dns-name" if host => s.cert = true,
                "favicon" if i.ty.len() > 4 && i.ty[..4].eq_ignore_ascii_case("obj-") => {
                    s.favicon = true;
                }
                _ => {}
            }
        }
        s
    }
}

/// The `{ip, port}` pair a report is about, for `most_recent`.
pub(crate) type Service = crate::report::ScannedPort;

/// A report that could not be used, with where it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
#[non_exhaustive]
pub struct BadReport {
    /// The 1-based line of the input (for [`Dataset::new`], the 1-based position in the list).
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// The outcome of [`Dataset::read`]: the reports that loaded, and what did not.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Loaded {
    /// The valid reports.
    pub dataset: Dataset,
    /// The first lines or reports that were not valid reports, in input order.
    pub bad: Vec<Bad>,
    /// How many lines or reports were not valid reports.
    pub bad_count: u64,
}

impl Loaded {
    /// How many bad lines or reports [`Loaded::bad`] keeps.
    pub const MAX_KEPT: usize = 100;
}

/// Why a dataset could not be loaded at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Reading the input failed.
    #[error("reading the data failed: {0}")]
    Io(io::Error),
}

impl From<io::Error> for LoadError {
    fn from(e: io::Error) -> Self {
        LoadError::Io(e)
    }
}

impl Dataset {
    /// A dataset of `reports`; fails on the first report whose date is not a `YYYY-MM-DD`
    /// calendar date.
    pub fn new(reports: Vec<Report>) -> Result<Dataset, BadReport> {
        let entries = reports
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                Entry::new(r).map_err(|message| BadReport {
                    line: i + 1,
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Dataset::from_entries(entries))
    }

    /// Reads the reports of a scan export, in any layout [`crate::export`] reads (NDJSON,
    /// results pages, arrays, pretty-printed documents), with its bound on a line's length.
    /// Lines and reports that are not reports are left out and told of in [`Loaded::bad`]
    /// (the first [`Loaded::MAX_KEPT`] of them) and counted in [`Loaded::bad_count`]. Only a
    /// failure to read is an error.
    pub fn read(reader: impl Read, options: &ReadOptions) -> Result<Loaded, LoadError> {
        struct Collect {
            entries: Vec<Entry>,
            bad: Vec<Bad>,
        }
        impl Sink for Collect {
            fn report(&mut self, found: Found<'_>) -> io::Result<()> {
                // The reader has checked the report, its date included.
                if let Ok(entry) = Entry::new(found.report.into_owned()) {
                    self.entries.push(entry);
                }
                Ok(())
            }
            fn bad(&mut self, bad: Bad) -> io::Result<()> {
                if self.bad.len() < Loaded::MAX_KEPT {
                    self.bad.push(bad);
                }
                Ok(())
            }
        }
        let mut sink = Collect {
            entries: Vec::new(),
            bad: Vec::new(),
        };
        let counts = crate::export::read(reader, options, &mut sink).map_err(|e| match e {
            ReadError::Read(e) | ReadError::Stopped(e) => LoadError::Io(e),
        })?;
        Ok(Loaded {
            dataset: Dataset::from_entries(sink.entries),
            bad: sink.bad,
            bad_count: counts.bad,
        })
    }

    /// The built-in sample of `n` synthetic reports ([`sample`](super::sample::sample)).
    pub fn sample(n: usize) -> Dataset {
        // The generator writes real dates only.
        let entries = super::sample::sample(n)
            .into_iter()
            .filter_map(|r| Entry::new(r).ok())
            .collect();
        Dataset::from_entries(entries)
    }

    fn from_entries(mut entries: Vec<Entry>) -> Dataset {
        entries.sort_by(|a, b| {
            b.date
                .cmp(&a.date)
                .then_with(|| a.report.id.cmp(&b.report.id))
        });
        Dataset { entries }
    }

    /// The number of reports.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no reports.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The reports, newest first (date descending, then id ascending).
    pub fn reports(&self) -> impl ExactSizeIterator<Item = &Report> + '_ {
        self.entries.iter().map(|e| &e.report)
    }

    /// The reports `/v1/scan/domains` searches: those with a `host` item in the empty context
    /// (reports of a host scanned by its name), newest first.
    pub fn domain_reports(&self) -> impl Iterator<Item = &Report> + '_ {
        self.entries
            .iter()
            .filter(|e| e.scopes.domain)
            .map(|e| &e.report)
    }

    /// The date of the newest report.
    pub(crate) fn newest(&self) -> Option<Date> {
        self.entries.first().map(|e| e.date)
    }

    /// Every entry, newest first.
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries dated from `from` to `to` (inclusive): a slice, since they are sorted.
    pub(crate) fn window(&self, from: Option<Date>, to: Option<Date>) -> &[Entry] {
        let start = match to {
            Some(to) => self.entries.partition_point(|e| e.date > to),
            None => 0,
        };
        let end = match from {
            Some(from) => self.entries.partition_point(|e| e.date >= from),
            None => self.entries.len(),
        };
        self.entries.get(start..end.max(start)).unwrap_or_default()
    }
}

impl Entry {
    fn new(report: Report) -> Result<Entry, String> {
        let date = Date::parse_param("date", &report.date).map_err(|_| {
            format!(
                "`date` must be a calendar date written YYYY-MM-DD, not {:?}",
                report.date
            )
        })?;
        let service = Service::of(&report.items);
        let addr = scanned_address(&report);
        let scopes = Scopes::of(&report);
        Ok(Entry {
            report,
            date,
            service,
            addr,
            scopes,
        })
    }
}

/// The scanned address of `report` ([`crate::report::scanned_address`]).
pub(crate) fn scanned_address(report: &Report) -> Option<IpAddr> {
    crate::report::scanned_address(&report.items)
}
