//! Paging: a search as a [`futures::Stream`] of pages or of reports.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{FuturesOrdered, Stream, StreamExt};

use super::{Error, PageError};
use crate::models::{MAX_PAGES, MAX_RESULTS, PAGE_SIZE, ResultsPage};
use crate::report::Report;

/// Fetches one page by number.
pub(crate) type FetchPage =
    Box<dyn Fn(u32) -> BoxFuture<'static, Result<ResultsPage, Error>> + Send + Sync>;

/// Why a stream stops before the last page of the result set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TruncationReason {
    /// The API serves at most 100 pages (10,000 results) of a search; narrow it, e.g. with a
    /// `from`/`to` date window, to reach the rest.
    PageCap,
    /// The stream's page budget ([`SearchBuilder::max_pages`](super::SearchBuilder::max_pages))
    /// stops it first.
    Budget,
    /// The server sent fewer reports than it said match on the pages fetched: a page came
    /// back empty early, or reports were repeated (the result set shifted while it was paged,
    /// as new data arrives newest first) and the repeats were dropped.
    Incomplete {
        /// How many reports the pages fetched should have held.
        expected: u64,
        /// How many different reports they held.
        delivered: u64,
    },
}

/// The typed signal that a stream will not deliver every matching report.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Truncation {
    /// Why.
    pub reason: TruncationReason,
    /// How many reports match, as the server counts them.
    pub result_count: u64,
    /// How many pages the server says the result set has.
    pub pages: u32,
    /// The first page past the stream's end: pages from here on are not fetched.
    pub end_page: u32,
}

impl Truncation {
    /// How many of the matching reports are beyond the stream's end (at least).
    pub fn missing(&self) -> u64 {
        self.result_count
            .saturating_sub(u64::from(self.end_page) * u64::from(PAGE_SIZE))
    }
}

impl fmt::Display for Truncation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            TruncationReason::PageCap => write!(
                f,
                "{} results match, but the API serves at most {MAX_PAGES} pages ({} results) of a \
                 search; narrow it with a from/to date window to see the rest",
                self.result_count, MAX_RESULTS
            ),
            TruncationReason::Budget => write!(
                f,
                "{} results match in {} pages; the page budget stops before page {}",
                self.result_count, self.pages, self.end_page
            ),
            TruncationReason::Incomplete {
                expected,
                delivered,
            } => write!(
                f,
                "the API said {} results match, so these pages should have held {expected}, but \
                 they held {delivered} different ones (pages ended early, or the results shifted \
                 while they were fetched); search again, or narrow the search with from/to",
                self.result_count
            ),
        }
    }
}

/// The pages of a search, in order, as a [`Stream`] (from [`SearchBuilder::pages`]).
///
/// - The first page is fetched alone, when the stream is first polled; it tells how many pages
///   there are. The stream then stops at the last page, at the API's 100-page cap (pages 0–99),
///   or at the page budget, whichever comes first, and never fetches past it.
/// - With a prefetch of N, up to N pages are in flight at once, always the next ones in order;
///   they are delivered in page order. A prefetch of 1 fetches each page only when asked for.
///   An empty page stops further fetching.
/// - [`Pages::truncation`] says, once the first page is in, whether the stream will stop before
///   the end of the result set, and why.
/// - A page that fails after every retry ends the stream with a [`PageError`] naming it; the
///   pages before it were delivered, and `.page(n)` on a new request resumes there.
/// - A report whose `id` was delivered on an earlier page is dropped (results are newest first,
///   so data that arrives while the search is paged pushes reports onto later pages), and
///   counted ([`Pages::duplicates_dropped`]). When the stream ends with fewer reports than the
///   server said its pages hold, [`Pages::truncation`] says so.
///
/// [`SearchBuilder::pages`]: super::SearchBuilder::pages
pub struct Pages {
    fetch: FetchPage,
    start: u32,
    budget: Option<u32>,
    prefetch: usize,
    /// The next page to request.
    next: u32,
    /// One past the last page to request, once the first page has told how many there are.
    end: Option<u32>,
    in_flight: FuturesOrdered<BoxFuture<'static, (u32, Result<ResultsPage, Error>)>>,
    done: bool,
    fetched: u32,
    result_count: Option<u64>,
    server_pages: Option<u32>,
    truncation: Option<Truncation>,
    /// The ids delivered so far, to drop a report delivered before.
    seen: HashSet<String>,
    /// Reports delivered, and reports dropped as repeats.
    delivered: u64,
    duplicates: u64,
    /// Whether a page failed (then nothing is judged at the end).
    failed: bool,
    /// Reports a full page holds, as the first page showed it (the API's is 100).
    page_size: u64,
}

impl fmt::Debug for Pages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("start", &self.start)
            .field("budget", &self.budget)
            .field("prefetch", &self.prefetch)
            .field("next", &self.next)
            .field("end", &self.end)
            .field("in_flight", &self.in_flight.len())
            .field("done", &self.done)
            .field("fetched", &self.fetched)
            .field("truncation", &self.truncation)
            .finish()
    }
}

impl Pages {
    pub(crate) fn new(fetch: FetchPage, start: u32, budget: Option<u32>, prefetch: usize) -> Pages {
        let done = start >= MAX_PAGES || budget == Some(0);
        Pages {
            fetch,
            start,
            budget,
            prefetch: prefetch.max(1),
            next: start,
            end: None,
            in_flight: FuturesOrdered::new(),
            done,
            fetched: 0,
            result_count: None,
            server_pages: None,
            truncation: None,
            seen: HashSet::new(),
            delivered: 0,
            duplicates: 0,
            failed: false,
            page_size: u64::from(PAGE_SIZE),
        }
    }

    /// How many different reports have been delivered.
    pub fn reports_delivered(&self) -> u64 {
        self.delivered
    }

    /// How many reports were dropped because a report with the same `id` had been delivered.
    pub fn duplicates_dropped(&self) -> u64 {
        self.duplicates
    }

    /// Drops from `page` the reports delivered before, counting them.
    fn dedupe(&mut self, page: &mut ResultsPage) {
        let before = page.results.len();
        let seen = &mut self.seen;
        page.results.retain(|r| seen.insert(r.id.clone()));
        let kept = page.results.len();
        self.duplicates += (before - kept) as u64;
        self.delivered += kept as u64;
    }

    /// At the end of the stream: whether the pages held fewer reports than promised.
    fn judge(&mut self) {
        let (Some(end), Some(count)) = (self.end, self.result_count) else {
            return;
        };
        if self.failed {
            return;
        }
        let planned = u64::from(end - self.start) * self.page_size;
        let available = count.saturating_sub(u64::from(self.start) * self.page_size);
        let expected = planned.min(available);
        if self.delivered < expected {
            self.truncation = Some(Truncation {
                reason: TruncationReason::Incomplete {
                    expected,
                    delivered: self.delivered,
                },
                result_count: count,
                pages: self.server_pages.unwrap_or(0),
                end_page: end,
            });
        }
    }

    /// Whether the stream will stop before the end of the result set (known once the first
    /// page has been delivered), and, once the stream has ended, whether its pages held fewer
    /// reports than the server promised ([`TruncationReason::Incomplete`]).
    pub fn truncation(&self) -> Option<&Truncation> {
        self.truncation.as_ref()
    }

    /// How many reports match, as the server counts them (known once the first page is in).
    pub fn result_count(&self) -> Option<u64> {
        self.result_count
    }

    /// How many pages the server says the result set has (known once the first page is in).
    pub fn server_pages(&self) -> Option<u32> {
        self.server_pages
    }

    /// How many pages this stream will deliver in all (known once the first page is in).
    pub fn planned_pages(&self) -> Option<u32> {
        self.end.map(|end| end - self.start)
    }

    /// How many pages have been delivered.
    pub fn pages_delivered(&self) -> u32 {
        self.fetched
    }

    /// The page the stream starts at.
    pub fn start_page(&self) -> u32 {
        self.start
    }

    fn push(&mut self, page: u32) {
        let fut = (self.fetch)(page);
        self.in_flight
            .push_back(Box::pin(async move { (page, fut.await) }));
        self.next = page + 1;
    }

    fn schedule(&mut self) {
        match self.end {
            None => {
                if self.next == self.start && self.in_flight.is_empty() {
                    self.push(self.start);
                }
            }
            Some(end) => {
                while self.in_flight.len() < self.prefetch && self.next < end {
                    self.push(self.next);
                }
            }
        }
    }

    /// Learns the extent of the result set from the first page.
    fn learn(&mut self, first: &ResultsPage) {
        let by_count = first.result_count.div_ceil(u64::from(PAGE_SIZE));
        let server_pages = if first.pages > 0 {
            first.pages
        } else {
            u32::try_from(by_count).unwrap_or(u32::MAX)
        };
        let available = server_pages.min(MAX_PAGES);
        let budget_end = self
            .budget
            .map_or(u32::MAX, |b| self.start.saturating_add(b));
        // The first page is in, whatever the server says.
        let end = available.min(budget_end).max(self.start + 1);
        let reaches_cap = server_pages > MAX_PAGES || first.result_count > MAX_RESULTS;
        let reason = if first.results.is_empty() {
            None
        } else if budget_end < available {
            Some(TruncationReason::Budget)
        } else if reaches_cap {
            Some(TruncationReason::PageCap)
        } else {
            None
        };
        self.truncation = reason.map(|reason| Truncation {
            reason,
            result_count: first.result_count,
            pages: server_pages,
            end_page: end,
        });
        self.result_count = Some(first.result_count);
        self.server_pages = Some(server_pages);
        // A first page followed by others is full: it tells how many reports a page holds.
        if available > self.start + 1 && !first.results.is_empty() {
            self.page_size = first.results.len() as u64;
        }
        self.end = Some(if first.results.is_empty() {
            self.start + 1
        } else {
            end
        });
    }
}

impl Stream for Pages {
    type Item = Result<ResultsPage, PageError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        this.schedule();
        match this.in_flight.poll_next_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                this.done = true;
                this.judge();
                Poll::Ready(None)
            }
            Poll::Ready(Some((_, Ok(mut p)))) => {
                this.fetched += 1;
                if this.end.is_none() {
                    this.learn(&p);
                } else if p.results.is_empty() {
                    // Nothing more to come: stop asking for further pages.
                    this.end = Some(this.next);
                }
                this.dedupe(&mut p);
                this.schedule();
                Poll::Ready(Some(Ok(p)))
            }
            Poll::Ready(Some((page, Err(error)))) => {
                this.done = true;
                this.failed = true;
                // Dropping the pages in flight cancels their requests.
                this.in_flight = FuturesOrdered::new();
                Poll::Ready(Some(Err(PageError {
                    page,
                    window: None,
                    error,
                })))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        match self.end {
            Some(end) => {
                let left = end.saturating_sub(self.start + self.fetched) as usize;
                (0, Some(left))
            }
            None => (0, Some((MAX_PAGES - self.start) as usize)),
        }
    }
}

/// The reports of a search across pages, in the server's order (from
/// [`SearchBuilder::reports`](super::SearchBuilder::reports)); a thin layer over [`Pages`],
/// with the same rules for prefetch, budget, cap, truncation and failures.
#[derive(Debug)]
pub struct Reports {
    pages: Pages,
    buffer: VecDeque<Report>,
    current_page: Option<u32>,
}

impl Reports {
    pub(crate) fn new(pages: Pages) -> Reports {
        Reports {
            pages,
            buffer: VecDeque::new(),
            current_page: None,
        }
    }

    /// The underlying pages: their counts and [`Pages::truncation`].
    pub fn pages(&self) -> &Pages {
        &self.pages
    }

    /// Whether the stream will stop before the end of the result set; see
    /// [`Pages::truncation`].
    pub fn truncation(&self) -> Option<&Truncation> {
        self.pages.truncation()
    }

    /// The page the reports being delivered come from.
    pub fn current_page(&self) -> Option<u32> {
        self.current_page
    }
}

impl Stream for Reports {
    type Item = Result<Report, PageError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(r) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(r)));
            }
            match this.pages.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(p))) => {
                    this.current_page = Some(this.pages.start + this.pages.fetched - 1);
                    this.buffer.extend(p.results);
                }
            }
        }
    }
}
