//! Fetching a plan: its pages, window after window, newest first.

use std::collections::{HashSet, VecDeque};
use std::fmt;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesOrdered;

use super::checkpoint::{Checkpoint, Spool};
use super::{Plan, PlannedWindow, Shortfall, fetch_page, held};
use crate::client::search::{Fetched, SearchBuilder};
use crate::client::{Error, PageError};
use crate::models::ResultsPage;
use crate::report::{Report, ScanItem, ScannedPort};

/// The reports of one page of a plan (from [`Harvest::next_batch`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Batch {
    /// The window (its index in [`Plan::windows`]).
    pub window: usize,
    /// The page of that window.
    pub page: u32,
    /// Its reports not delivered before, in the server's order.
    pub reports: Vec<Report>,
    /// Whether fetching it cost quota (not when it was a probe, or came from the cache or
    /// the checkpoint).
    pub billed: bool,
    /// Whether the page came back empty: its window has nothing after it (a run that goes on
    /// from the checkpoint asks for none of its later pages).
    pub(super) ends_window: bool,
}

/// How far a [`Harvest`] is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Windows of the plan.
    pub windows: u64,
    /// Windows delivered to their end.
    pub windows_done: u64,
    /// Pages this run delivers.
    pub pages: u64,
    /// Pages it has delivered.
    pub pages_done: u64,
    /// Reports delivered by this run.
    pub reports: u64,
    /// Quota units this run spent: the planning's probes and the pages fetched since.
    pub units: u64,
}

/// A page on its way: which one, whether it may cost quota, and the answer.
struct Arrival {
    window: usize,
    page: u32,
    billable: bool,
    result: Result<Fetched, Error>,
}

/// The fetching of a [`Plan`] (from [`Plan::fetch`]): its pages in order, window after window,
/// newest first, up to the client's concurrency in flight at once.
///
/// - [`next_batch`](Self::next_batch) gives each page's reports that were not delivered before
///   (a repeated `id` is dropped and counted).
/// - [`commit`](Self::commit) says a batch was written: with a checkpoint, it is recorded then.
///   Without a checkpoint it does nothing.
/// - A page that fails after every retry ends the fetching with a [`PageError`] naming it and
///   its window; with a checkpoint, the pages in flight are let arrive first (they are paid
///   for, and kept for the next run), and the next run goes on from there.
/// - The budget, when set, is never passed: a page that could cost more is not fetched, and
///   [`shortfalls`](Self::shortfalls) says so.
pub struct Harvest {
    search: SearchBuilder,
    windows: Vec<PlannedWindow>,
    in_hand: Vec<Option<ResultsPage>>,
    queue: VecDeque<(usize, u32)>,
    in_flight: FuturesOrdered<BoxFuture<'static, Arrival>>,
    billable_in_flight: u64,
    prefetch: usize,
    seen: HashSet<String>,
    checkpoint: Option<Checkpoint>,
    spool: Option<Spool>,
    budget_left: Option<u64>,
    budget: Option<u64>,
    window_reports: Vec<u64>,
    window_pages_left: Vec<u32>,
    progress: Progress,
    committed: u64,
    duplicates: u64,
    /// With `most_recent` and more than one window: one report per `{ip, port}` pair.
    one_per_pair: bool,
    pairs: HashSet<ScannedPort>,
    older_of_a_pair: u64,
    shortfalls: Vec<Shortfall>,
    ended: bool,
    /// Why the checkpoint could not be marked complete, when it could not.
    checkpoint_error: Option<String>,
}

impl fmt::Debug for Harvest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Harvest")
            .field("windows", &self.windows.len())
            .field("queued", &self.queue.len())
            .field("in_flight", &self.in_flight.len())
            .field("progress", &self.progress)
            .field("checkpoint", &self.checkpoint)
            .finish_non_exhaustive()
    }
}

impl Harvest {
    pub(super) fn new(plan: Plan) -> Harvest {
        let estimate = plan.estimate();
        let mut queue = VecDeque::new();
        let mut window_pages_left = Vec::with_capacity(plan.windows.len());
        let mut windows_done = 0;
        for (i, w) in plan.windows.iter().enumerate() {
            let done = plan.pages_done(i);
            queue.extend((done..w.pages).map(|p| (i, p)));
            window_pages_left.push(w.pages - done);
            windows_done += u64::from(done == w.pages);
        }
        let window_reports = plan
            .resumed
            .as_ref()
            .map_or_else(|| vec![0; plan.windows.len()], |r| r.window_reports.clone());
        let prefetch = plan.search.client().concurrency().max(1);
        let shortfalls = plan.shortfalls();
        let one_per_pair = plan.search.params().most_recent == Some(true) && plan.windows.len() > 1;
        let complete = plan.resumed.as_ref().is_some_and(|r| r.complete);
        let mut harvest = Harvest {
            prefetch,
            windows: plan.windows,
            in_hand: plan.in_hand,
            queue,
            in_flight: FuturesOrdered::new(),
            billable_in_flight: 0,
            seen: HashSet::new(),
            checkpoint: plan.checkpoint,
            spool: plan.spool,
            budget_left: plan.budget.map(|b| b.saturating_sub(plan.probes_billed)),
            budget: plan.budget,
            window_reports,
            window_pages_left,
            progress: Progress {
                windows: estimate.windows,
                windows_done,
                pages: estimate.pages - estimate.pages_done,
                pages_done: 0,
                reports: 0,
                units: plan.probes_billed,
            },
            committed: 0,
            duplicates: 0,
            one_per_pair,
            pairs: HashSet::new(),
            older_of_a_pair: 0,
            shortfalls,
            ended: false,
            checkpoint_error: None,
            search: plan.search,
        };
        if harvest.queue.is_empty() {
            harvest.ended = true;
            // Every page was delivered, and the run that delivered the last one stopped before
            // it could say so: say it now.
            if !complete && let Some(c) = &mut harvest.checkpoint {
                harvest.checkpoint_error = c.complete().err().map(|e| e.to_string());
            }
        }
        harvest
    }

    /// The plan's windows, newest first.
    pub fn windows(&self) -> &[PlannedWindow] {
        &self.windows
    }

    /// How far it is.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// How many reports were dropped because one with the same `id` had been delivered.
    pub fn duplicates_dropped(&self) -> u64 {
        self.duplicates
    }

    /// What the fetching does not deliver: windows over the cap, windows whose pages came
    /// back short (known once they are delivered), the budget.
    pub fn shortfalls(&self) -> &[Shortfall] {
        &self.shortfalls
    }

    fn schedule(&mut self) {
        while self.in_flight.len() < self.prefetch {
            let Some(&(index, page)) = self.queue.front() else {
                return;
            };
            let window = self.windows[index].window;
            // What costs nothing: a probe in hand, or a page the spool or the cache holds,
            // read now (one that cannot be read is paid for).
            let held = if page == 0 && self.in_hand[index].is_some() {
                self.in_hand[index].take()
            } else {
                held(&self.search, self.spool.as_ref(), window, page)
            };
            if held.is_none()
                && let Some(left) = self.budget_left
                && self.billable_in_flight >= left
            {
                if self.in_flight.is_empty() {
                    // Nothing more can be paid for: the fetching ends here.
                    self.shortfalls.push(Shortfall::Budget {
                        budget: self.budget.unwrap_or(0),
                        pages_left: self.queue.len() as u64,
                    });
                    self.queue.clear();
                }
                return;
            }
            self.queue.pop_front();
            let billable = held.is_none();
            self.billable_in_flight += u64::from(billable);
            let fut: BoxFuture<'static, Arrival> = match held {
                Some(held) => Box::pin(async move {
                    Arrival {
                        window: index,
                        page,
                        billable,
                        result: Ok(Fetched {
                            page: held,
                            billed: false,
                        }),
                    }
                }),
                None => {
                    let fetch = fetch_page(&self.search, window, page, self.spool.as_ref());
                    Box::pin(async move {
                        Arrival {
                            window: index,
                            page,
                            billable,
                            result: fetch.await,
                        }
                    })
                }
            };
            self.in_flight.push_back(fut);
        }
    }

    /// Tells the harvest of a report delivered by an earlier run (e.g. read back from its
    /// output), so that it is not delivered again: by `id`, and, with `most_recent`, by its
    /// `{ip, port}` pair.
    pub fn seen_before(&mut self, id: &str, items: &[impl ScanItem]) {
        self.seen.insert(id.to_owned());
        if self.one_per_pair
            && let Some(pair) = ScannedPort::of(items)
        {
            self.pairs.insert(pair);
        }
    }

    /// How many reports were dropped because, with `most_recent`, a newer window had
    /// delivered a report of the same `{ip, port}` pair (each window keeps the newest report of
    /// a pair within its own dates; the newest window that has the pair has its newest report).
    pub fn older_of_a_pair_dropped(&self) -> u64 {
        self.older_of_a_pair
    }

    /// Records that the caller writes what is delivered to the file `path`, as `format` (its
    /// own words), with a checkpoint: the next run can check that it appends to the same file
    /// in the same way ([`Resumed::output_path`](super::Resumed::output_path)).
    pub fn record_output(&mut self, path: &str, format: &str) -> Result<(), Error> {
        match &mut self.checkpoint {
            Some(c) => c.output(path, format).map_err(Error::Checkpoint),
            None => Ok(()),
        }
    }

    /// The next page's reports, in plan order; `None` at the end (or after a failure).
    pub async fn next_batch(&mut self) -> Option<Result<Batch, PageError>> {
        if self.ended {
            return None;
        }
        self.schedule();
        let Some(arrival) = self.in_flight.next().await else {
            self.ended = true;
            return None;
        };
        self.billable_in_flight -= u64::from(arrival.billable);
        let Arrival {
            window,
            page,
            result,
            ..
        } = arrival;
        let fetched = match result {
            Ok(f) => f,
            Err(error) => {
                self.ended = true;
                self.queue.clear();
                if self.spool.is_some() || self.search.client().cache().is_some() {
                    // The pages in flight are being paid for: let them arrive, so that the
                    // checkpoint's spool or the cache keeps them for the next run.
                    while self.in_flight.next().await.is_some() {}
                }
                // Without either, dropping the pages in flight cancels their requests.
                self.in_flight = FuturesOrdered::new();
                return Some(Err(PageError {
                    page,
                    window: Some(self.windows[window].window),
                    error,
                }));
            }
        };
        if fetched.billed {
            self.progress.units += 1;
            if let Some(left) = &mut self.budget_left {
                *left = left.saturating_sub(1);
            }
        }
        let mut reports = fetched.page.results;
        let before = reports.len();
        let seen = &mut self.seen;
        reports.retain(|r| seen.insert(r.id.clone()));
        self.duplicates += (before - reports.len()) as u64;
        if self.one_per_pair {
            let pairs = &mut self.pairs;
            let kept = reports.len();
            reports.retain(|r| ScannedPort::of(&r.items).is_none_or(|p| pairs.insert(p)));
            self.older_of_a_pair += (kept - reports.len()) as u64;
        }
        self.progress.reports += reports.len() as u64;
        self.progress.pages_done += 1;
        self.window_reports[window] += reports.len() as u64;
        self.window_pages_left[window] -= 1;
        // An empty page: the window has nothing more; its later pages are not asked for
        // (those in flight are delivered, empty, and end it too).
        let ends_window = before == 0;
        if ends_window {
            let skipped = self.queue.iter().filter(|(w, _)| *w == window).count();
            self.queue.retain(|(w, _)| *w != window);
            self.progress.pages -= skipped as u64;
            self.window_pages_left[window] -= skipped as u32;
        }
        if self.window_pages_left[window] == 0 {
            self.progress.windows_done += 1;
            let w = &self.windows[window];
            if self.window_reports[window] < w.reports() {
                self.shortfalls.push(Shortfall::Incomplete {
                    window: w.window,
                    expected: w.reports(),
                    delivered: self.window_reports[window],
                });
            }
        }
        self.schedule();
        Some(Ok(Batch {
            window,
            page,
            reports,
            billed: fetched.billed,
            ends_window,
        }))
    }

    /// Records that `batch` was written (with the caller's output position after it, when it
    /// keeps one, e.g. a file's length): with a checkpoint, a line is added to it, and the
    /// page's spooled copy let go; once every page of the plan is committed, the checkpoint
    /// says the plan is complete. Without a checkpoint it does nothing.
    pub fn commit(&mut self, batch: &Batch, output_bytes: Option<u64>) -> Result<(), Error> {
        self.committed += 1;
        let Some(checkpoint) = &mut self.checkpoint else {
            return Ok(());
        };
        let w = self.windows[batch.window].window;
        checkpoint
            .done(w, batch, output_bytes)
            .map_err(Error::Checkpoint)?;
        let all_done = self.window_pages_left.iter().all(|&l| l == 0);
        if all_done && self.committed == self.progress.pages_done {
            checkpoint.complete().map_err(Error::Checkpoint)?;
        }
        Ok(())
    }

    /// Why a page could not be kept in the checkpoint's spool or in the cache, the first time
    /// it happened (the fetching goes on without).
    pub fn write_error(&self) -> Option<String> {
        self.checkpoint_error
            .clone()
            .or_else(|| self.spool.as_ref().and_then(Spool::write_error))
            .or_else(|| self.search.client().cache().and_then(|c| c.write_error()))
    }
}
