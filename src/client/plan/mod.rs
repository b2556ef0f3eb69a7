//! Every result of a search, past the API's cap of 100 pages (10,000 results) a search:
//! [`SearchBuilder::everything`].
//!
//! ```no_run
//! use driftql::client::Client;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_env()?;
//! let query = driftql::parse("port-tcp:443 and geo-country=US")?;
//! let plan = client.search(query).everything().budget(2_000).plan().await?;
//! let cost = plan.estimate();
//! println!("{} windows, {} pages, {} quota units", cost.windows, cost.pages, cost.units);
//! let mut harvest = plan.fetch();
//! while let Some(batch) = harvest.next_batch().await {
//!     let batch = batch?;
//!     for report in &batch.reports {
//!         println!("{} {}", report.date, report.id);
//!     }
//!     harvest.commit(&batch, None)?;
//! }
//! for shortfall in harvest.shortfalls() {
//!     eprintln!("warning: {shortfall}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # The plan
//!
//! The search is split into date windows (`from`/`to`, both days included) of at most 10,000
//! results each, so that each can be paged to its end:
//!
//! 1. **Probe.** Page 0 of the search is fetched. Its `result_count` says how many reports
//!    match. At most 10,000: the search is one window, and that page is its first.
//! 2. **Bisect.** More: the window is cut in two ([`Window`]) and both halves are probed the
//!    same way, each probe costing one page; a half with more than 10,000 results is cut
//!    again. With a `from` date the cut halves the days from `from` to the newest report.
//!    Without one, the oldest window stays open-ended, so nothing older can be missed: the
//!    planner walks back from the newest report in steps that double (the first step is 50
//!    times the days the probe's page spans, about 5,000 results at that rate), until the
//!    window left behind holds at most 10,000 results. So there is no need to know the
//!    earliest date with results: the oldest window reaches it, whatever it is. Without a
//!    `to` date, the newest window stays open-ended as well.
//! 3. **Fetch.** The windows that need no further cut are the plan, newest first. Each
//!    window's probe is its page 0, so it is never fetched twice; its other pages follow.
//!    Every report is delivered once (a repeated `id` is dropped and counted).
//!
//! A single day with more than 10,000 results cannot be cut by date: it is fetched to the
//! cap, and named in a [`Shortfall::OverCap`] with its count. So is a search of an endpoint
//! that takes no dates. Halves whose probes show reports dated outside them, or whose counts
//! add up to far more than their window's (a server that ignores the dates), are not used:
//! the window is fetched to the cap, and named in a [`Shortfall::HalvesDisagree`]; so a plan
//! never grows past what the answers justify.
//!
//! # Cost
//!
//! Each page costs one quota unit, probes included ([`Estimate`]): the plan's cost is the
//! probes spent while planning (those answered from a [cache](super::Cache) cost nothing) plus
//! the pages still to fetch (less those the cache or the checkpoint already holds). A
//! [budget](Everything::budget) refuses a plan that costs more, and no run spends more than
//! it: a round of probes goes out only when the budget allows all of it that must be paid
//! for, and a page only when the budget allows it. Without a cache or a checkpoint, the
//! planning also stops as soon as the least the plan could cost passes the budget. The
//! budget is that of one run: a run that goes on from a checkpoint has its own.
//!
//! A page held by the cache or the checkpoint is read before it is counted as free; one that
//! cannot be read (damaged, or from another version) is fetched, and paid for, like any other.
//! Probes answered from the cache are as old as the cache allows (a day by default): the plan
//! is made on their counts.
//!
//! # Checkpoints
//!
//! With [`Everything::checkpoint`], the plan is kept in a file, and a line is added to it
//! each time a page is [committed](Harvest::commit): delivered, and written by the caller.
//! Pages are also kept as they arrive, beside the file (`FILE.pages/`), until committed. Run
//! the same search with the same file and it goes on where it stopped: no probe again, no page
//! delivered twice, no page that arrived paid for twice. At most the pages in flight at the
//! moment of the stop are lost (paid, and fetched again). A checkpoint of another search is
//! refused ([`CheckpointError::OtherSearch`](super::CheckpointError)); one whose plan was
//! delivered to its end delivers nothing more.

mod checkpoint;
mod harvest;
mod window;

use std::fmt;
use std::path::PathBuf;

use futures::future::join_all;
use serde::{Deserialize, Serialize};

pub use checkpoint::Resumed;
pub use harvest::{Batch, Harvest, Progress};
pub use window::Window;

use super::search::{Fetched, SearchBuilder};
use super::{Error, Url};
use crate::models::{MAX_PAGES, MAX_RESULTS, PAGE_SIZE, ResultsPage};
use checkpoint::{Checkpoint, Header, Spool};
use window::{Probed, split};

/// One window of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedWindow {
    /// Its dates.
    #[serde(flatten)]
    pub window: Window,
    /// How many reports match in it (as its probe counted them).
    pub result_count: u64,
    /// How many pages it is fetched in, its probe (page 0) included: at most 100.
    pub pages: u32,
    /// How many reports a full page holds, as its probe showed (the API's pages hold 100).
    pub page_size: u32,
    /// Whether it has more results than one search serves and is not cut: a single day, an
    /// endpoint that takes no dates, or halves that did not add up (`halves_count`). It is
    /// fetched to the cap.
    pub over_cap: bool,
    /// When it was cut and its halves' answers showed that the API did not honour the dates
    /// (reports dated outside them, or far more results together than it had), their count;
    /// the halves were not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halves_count: Option<u64>,
}

impl PlannedWindow {
    /// How many reports it delivers: its count, up to what its pages hold (10,000).
    pub fn reports(&self) -> u64 {
        self.result_count
            .min(u64::from(self.pages) * u64::from(self.page_size))
    }
}

/// What a plan costs, in pages and quota units ([`Plan::estimate`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Estimate {
    /// Reports that match, over every window.
    pub result_count: u64,
    /// Reports the plan delivers: all but those of days over the cap.
    pub reports: u64,
    /// Reports it cannot reach: beyond the first 10,000 of a window over the cap.
    pub unreachable: u64,
    /// Windows in the plan.
    pub windows: u64,
    /// Probes this run made to plan (none when the plan came from a checkpoint).
    pub probes: u64,
    /// How many of them cost quota (the others came from the cache or the checkpoint).
    pub probes_billed: u64,
    /// Pages of the plan, every window's, probes included.
    pub pages: u64,
    /// Pages delivered by earlier runs (from the checkpoint).
    pub pages_done: u64,
    /// Pages fetched already as probes, and not delivered yet.
    pub pages_in_hand: u64,
    /// Pages still to fetch.
    pub pages_to_fetch: u64,
    /// Of those, how many the cache or the checkpoint holds (they cost nothing).
    pub pages_held: u64,
    /// The quota units of this run: the probes billed, plus the pages to fetch that neither
    /// the cache nor the checkpoint holds.
    pub units: u64,
    /// Units spent by earlier runs of the same checkpoint.
    pub spent_before: u64,
}

/// Why a plan does not deliver every matching report.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shortfall {
    /// A window with more results than one search serves that cannot be cut: a single day
    /// (`dated`), or a search of an endpoint that takes no dates. Its first 10,000 results are
    /// delivered.
    OverCap {
        /// The window.
        window: Window,
        /// How many reports match in it.
        result_count: u64,
        /// Whether the endpoint takes dates (so the window is one day).
        dated: bool,
    },
    /// A window's pages held fewer reports than its count said: pages came back short, or
    /// the results shifted while they were fetched (new data arrives newest first).
    Incomplete {
        /// The window.
        window: Window,
        /// How many its pages should have held.
        expected: u64,
        /// How many different reports they held.
        delivered: u64,
    },
    /// A window whose halves' answers showed reports dated outside them, or more results
    /// together than it had: the API did not seem to honour `from`/`to`, so the window was not
    /// cut, and was fetched to the cap.
    HalvesDisagree {
        /// The window.
        window: Window,
        /// How many reports match in it.
        result_count: u64,
        /// How many its halves counted together.
        halves_count: u64,
    },
    /// The budget stopped the fetching before the plan's end.
    Budget {
        /// The budget, in quota units.
        budget: u64,
        /// Pages of the plan not fetched.
        pages_left: u64,
    },
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shortfall::OverCap {
                window,
                result_count,
                dated: true,
            } if window.single_day().is_some() => write!(
                f,
                "{window}: {result_count} results in one day, and the API serves at most \
                 {MAX_RESULTS} of a search; a day cannot be split further, so {} were not \
                 fetched (narrow the query to reach them)",
                result_count.saturating_sub(MAX_RESULTS)
            ),
            Shortfall::OverCap {
                window,
                result_count,
                dated: true,
            } => write!(
                f,
                "{window}: {result_count} results, and the API serves at most {MAX_RESULTS} of \
                 a search; the window cannot be split further (its newest report is on its first \
                 day, or has no date), so {} were not fetched (narrow the query to reach them)",
                result_count.saturating_sub(MAX_RESULTS)
            ),
            Shortfall::OverCap { result_count, .. } => write!(
                f,
                "{result_count} results match, and the API serves at most {MAX_RESULTS} of a \
                 search; this endpoint takes no dates to split it by, so {} were not fetched \
                 (narrow the query to reach them)",
                result_count.saturating_sub(MAX_RESULTS)
            ),
            Shortfall::Incomplete {
                window,
                expected,
                delivered,
            } => write!(
                f,
                "{window}: the pages should have held {expected} results, and held {delivered} \
                 different ones (pages ended early, or the results shifted while they were \
                 fetched); search that window again"
            ),
            Shortfall::HalvesDisagree {
                window,
                result_count,
                halves_count,
            } => write!(
                f,
                "{window}: {result_count} results match, but the answers for its two halves \
                 (reports dated outside them, or {halves_count} results together) show that the \
                 API does not honour from/to here, so the search was not split, and {} were not \
                 fetched",
                result_count.saturating_sub(MAX_RESULTS)
            ),
            Shortfall::Budget { budget, pages_left } => write!(
                f,
                "the budget of {budget} quota units stopped the search with {pages_left} pages \
                 of the plan not fetched"
            ),
        }
    }
}

/// How far the planning is ([`Everything::plan_with`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Planning {
    /// Probes made.
    pub probes: u64,
    /// Of which cost quota.
    pub billed: u64,
    /// Windows found that need no further cut.
    pub windows: u64,
    /// Windows waiting for their probe.
    pub pending: u64,
}

/// Every matching report of a search, past the 100-page cap (from
/// [`SearchBuilder::everything`]); see the [module docs](self) for the plan, its cost and
/// checkpoints.
///
/// The search's `page`, page budget and prefetch settings do not apply: every page of every
/// window is fetched, up to the client's concurrency at once.
#[derive(Debug)]
#[must_use = "nothing is planned until `plan` is awaited"]
pub struct Everything {
    search: SearchBuilder,
    budget: Option<u64>,
    checkpoint: Option<PathBuf>,
}

impl Everything {
    pub(crate) fn new(search: SearchBuilder) -> Everything {
        Everything {
            search,
            budget: None,
            checkpoint: None,
        }
    }

    /// Refuses a plan that costs more than `units` quota units ([`Error::OverBudget`]), and
    /// never spends more than that in this run, planning included: a round of probes is sent
    /// only when the budget allows every probe of it that the cache or the checkpoint does not
    /// hold (so a budget of 0 sends nothing), and a page only when the budget allows it.
    pub fn budget(mut self, units: u64) -> Self {
        self.budget = Some(units);
        self
    }

    /// Keeps the plan and the progress in the file `path`, and goes on from it when it exists;
    /// see [Checkpoints](self#checkpoints).
    pub fn checkpoint(mut self, path: impl Into<PathBuf>) -> Self {
        self.checkpoint = Some(path.into());
        self
    }

    /// Plans the search: probes and cuts it into windows (or reads the plan from the
    /// checkpoint). Fetches nothing more.
    pub async fn plan(self) -> Result<Plan, Error> {
        self.plan_with(|_| {}).await
    }

    /// [`plan`](Self::plan), calling `progress` after each round of probes.
    pub async fn plan_with(
        self,
        mut progress: impl FnMut(&Planning) + Send,
    ) -> Result<Plan, Error> {
        let search = self.search;
        search.check()?;
        search.check_length()?;
        let identity = search.identity();
        if let Some(path) = &self.checkpoint
            && let Some((checkpoint, header, resumed)) =
                Checkpoint::load(path, &identity, search.client().base_url().as_str())
                    .map_err(Error::Checkpoint)?
        {
            let spool = checkpoint.spool().clone();
            let plan = Plan {
                search,
                identity,
                in_hand: vec![None; header.windows.len()],
                windows: header.windows,
                probes: 0,
                probes_billed: 0,
                resumed: Some(resumed),
                checkpoint: Some(checkpoint),
                spool: Some(spool),
                budget: self.budget,
            };
            plan.within_budget()?;
            return Ok(plan);
        }
        let spool = self.checkpoint.as_deref().map(|p| Spool::of(p, &identity));
        let probed = probe_all(&search, spool.as_ref(), self.budget, &mut progress).await?;
        let mut plan = Plan {
            search,
            identity,
            windows: probed.windows,
            in_hand: probed.pages.into_iter().map(Some).collect(),
            probes: probed.probes,
            probes_billed: probed.billed,
            resumed: None,
            checkpoint: None,
            spool,
            budget: self.budget,
        };
        if let Some(path) = &self.checkpoint {
            let header = Header {
                driftql_checkpoint: 1,
                search: plan.identity.clone(),
                api: plan.search.client().base_url().to_string(),
                windows: plan.windows.clone(),
                probes: plan.probes,
                probes_billed: plan.probes_billed,
            };
            plan.checkpoint = Some(Checkpoint::create(path, &header).map_err(Error::Checkpoint)?);
            plan.resumed = Some(Resumed {
                pages_done: vec![0; plan.windows.len()],
                window_reports: vec![0; plan.windows.len()],
                spent: plan.probes_billed,
                ..Resumed::default()
            });
        }
        plan.within_budget()?;
        Ok(plan)
    }
}

/// What the probes found: the windows, newest first, with their first pages.
struct Probes {
    windows: Vec<PlannedWindow>,
    pages: Vec<ResultsPage>,
    probes: u64,
    billed: u64,
}

/// A window waiting for its probe: its dates, the step to cut it by when it has no lower
/// bound, and the window it is a half of (an index into the windows cut).
struct Pending {
    window: Window,
    step: Option<i64>,
    parent: Option<usize>,
}

/// How many more results two halves may count than the window they were cut from, before
/// the planner judges that the API does not honour the dates: results arrive while the
/// planning runs (a tenth more, and 100), but halves that each count as many as the whole do
/// not add up.
fn halves_agree(whole: u64, halves: u64) -> bool {
    halves <= whole + whole / 10 + 100
}

/// Probes the search and cuts it into windows, a round of probes at a time (each round's
/// probes run at once, up to the client's concurrency).
///
/// Halves whose probes show reports dated outside them, or whose counts do not add up to their
/// window's (a server that ignores `from` and `to`), are not used: the window is kept whole,
/// over the cap, and named in a [`Shortfall::HalvesDisagree`]. So a plan never grows past what
/// the answers justify.
async fn probe_all(
    search: &SearchBuilder,
    spool: Option<&Spool>,
    budget: Option<u64>,
    progress: &mut (impl FnMut(&Planning) + Send),
) -> Result<Probes, Error> {
    let params = search.params();
    let mut pending = vec![Pending {
        window: Window::new(params.from, params.to),
        step: None,
        parent: None,
    }];
    let mut leaves: Vec<(PlannedWindow, ResultsPage)> = Vec::new();
    // The windows cut in two, with their probes until both halves are judged.
    let mut cut: Vec<Option<(Window, ResultsPage)>> = Vec::new();
    let mut planning = Planning::default();
    // The least the plan can still cost can be told only when no page may come free.
    let may_be_free = spool.is_some() || search.client().cache().is_some();
    let most_recent = params.most_recent == Some(true);
    while !pending.is_empty() {
        planning.pending = pending.len() as u64;
        // The probes the spool or the cache holds are read now: they cost nothing. The others
        // are paid for, so the budget must allow them all before any is sent.
        let round: Vec<(Pending, Option<ResultsPage>)> = pending
            .drain(..)
            .map(|p| {
                let page = held(search, spool, p.window, 0);
                (p, page)
            })
            .collect();
        let to_pay = round.iter().filter(|(_, page)| page.is_none()).count() as u64;
        if let Some(budget) = budget
            && planning.billed + to_pay > budget
        {
            return Err(Error::OverBudget {
                estimate: planning.billed + to_pay,
                complete: false,
                budget,
                spent: planning.billed,
            });
        }
        let fetches = round
            .iter()
            .filter(|(_, page)| page.is_none())
            .map(|(p, _)| fetch_page(search, p.window, 0, spool));
        let mut fetched = join_all(fetches).await.into_iter();
        let mut probed_round = Vec::with_capacity(round.len());
        // Every probe of the round is let finish (and kept in the spool) before an error
        // stops the planning.
        let mut failed = None;
        for (p, page) in round {
            planning.probes += 1;
            let page = match page {
                Some(page) => page,
                None => match fetched.next() {
                    Some(Ok(f)) => {
                        planning.billed += u64::from(f.billed);
                        f.page
                    }
                    Some(Err(e)) => {
                        failed.get_or_insert(e);
                        continue;
                    }
                    None => continue,
                },
            };
            probed_round.push((p, page));
        }
        if let Some(e) = failed {
            return Err(e);
        }
        let mut splits = 0u64;
        // The halves of a window are probed in the same round, one after the other.
        let mut rest = probed_round.as_slice();
        while let Some((first, _)) = rest.first() {
            let n = rest
                .iter()
                .take_while(|(p, _)| p.parent.is_some() && p.parent == first.parent)
                .count()
                .max(1);
            let (group, after) = rest.split_at(n);
            rest = after;
            if let Some(parent) = first.parent
                && let Some((window, page)) = cut[parent].take()
            {
                let halves: u64 = group.iter().map(|(_, pg)| pg.result_count).sum();
                // Each half's reports are dated within it; and their counts add up to the
                // whole's (with most_recent, each half keeps the newest report of a pair within
                // its own dates, so each counts at most as many as the whole).
                let outside = group.iter().any(|(p, pg)| {
                    pg.results
                        .iter()
                        .any(|r| r.date.parse().is_ok_and(|d| !p.window.contains(d)))
                });
                let counts_agree = if most_recent {
                    group
                        .iter()
                        .all(|(_, pg)| halves_agree(page.result_count, pg.result_count))
                } else {
                    halves_agree(page.result_count, halves)
                };
                if outside || !counts_agree {
                    let mut w = planned(window, &page, true);
                    w.halves_count = Some(halves);
                    leaves.push((w, page));
                    continue;
                }
            }
            for (p, page) in group {
                let over = page.result_count > MAX_RESULTS;
                let halves = if over && search.takes_dates() {
                    probed(page).and_then(|d| split(p.window, d, p.step))
                } else {
                    None
                };
                match halves {
                    Some(h) => {
                        let parent = Some(cut.len());
                        cut.push(Some((p.window, page.clone())));
                        pending.push(Pending {
                            window: h.newer,
                            step: None,
                            parent,
                        });
                        pending.push(Pending {
                            window: h.older,
                            step: h.older_step,
                            parent,
                        });
                        splits += 1;
                    }
                    None => leaves.push((planned(p.window, page, over), page.clone())),
                }
            }
        }
        planning.windows = leaves.len() as u64;
        planning.pending = pending.len() as u64;
        progress(&planning);
        if let Some(budget) = budget
            && !may_be_free
            && splits > 0
        {
            // Each window still to cut delivers at least 10,000 reports: 100 pages.
            let least = planning.billed
                + leaves
                    .iter()
                    .map(|(w, _)| u64::from(w.pages) - 1)
                    .sum::<u64>()
                + splits * u64::from(MAX_PAGES);
            if least > budget {
                return Err(Error::OverBudget {
                    estimate: least,
                    complete: false,
                    budget,
                    spent: planning.billed,
                });
            }
        }
    }
    // Newest first: the windows do not overlap, so their last days order them.
    leaves.sort_by(|(a, _), (b, _)| {
        let end = |w: &PlannedWindow| w.window.to.unwrap_or(crate::models::Date::MAX);
        end(b).cmp(&end(a)).then(b.window.from.cmp(&a.window.from))
    });
    let (windows, pages) = leaves.into_iter().unzip();
    Ok(Probes {
        windows,
        pages,
        probes: planning.probes,
        billed: planning.billed,
    })
}

/// The dates a probe's page shows, when it holds reports.
fn probed(page: &ResultsPage) -> Option<Probed> {
    let date = |r: &crate::report::Report| r.date.parse().ok();
    Some(Probed {
        newest: date(page.results.first()?)?,
        oldest_on_page: date(page.results.last()?)?,
    })
}

/// A window that needs no further cut, from its probe.
fn planned(window: Window, page: &ResultsPage, over_cap: bool) -> PlannedWindow {
    let pages = if page.results.is_empty() {
        1
    } else if page.pages > 0 {
        page.pages.min(MAX_PAGES)
    } else {
        u32::try_from(page.result_count.div_ceil(u64::from(PAGE_SIZE)))
            .unwrap_or(MAX_PAGES)
            .min(MAX_PAGES)
    };
    // A first page followed by others is full: it tells how many reports a page holds.
    let page_size = if pages > 1 {
        u32::try_from(page.results.len()).unwrap_or(PAGE_SIZE)
    } else {
        PAGE_SIZE
    };
    PlannedWindow {
        window,
        result_count: page.result_count,
        pages: pages.max(1),
        page_size,
        over_cap,
        halves_count: None,
    }
}

/// Page `page` of `search` in `window`, when the spool or the client's cache holds it: read
/// now, so that it is known to cost nothing.
fn held(
    search: &SearchBuilder,
    spool: Option<&Spool>,
    window: Window,
    page: u32,
) -> Option<ResultsPage> {
    spool
        .and_then(|s| s.get(window, page))
        .or_else(|| search.in_window(window).cached_page(page))
}

/// Fetches page `page` of `search` in `window`: from the spool when it holds it, else from
/// the client (and its cache), keeping it in the spool.
fn fetch_page(
    search: &SearchBuilder,
    window: Window,
    page: u32,
    spool: Option<&Spool>,
) -> impl Future<Output = Result<Fetched, Error>> + Send + 'static {
    let spool = spool.cloned();
    let fetch = search.in_window(window).fetch(page);
    async move {
        if let Some(held) = spool.as_ref().and_then(|s| s.get(window, page)) {
            return Ok(Fetched {
                page: held,
                billed: false,
            });
        }
        let fetched = fetch.await?;
        if let Some(s) = &spool {
            s.put(window, page, &fetched.page);
        }
        Ok(fetched)
    }
}

/// A planned search: its windows and what they cost; [`fetch`](Self::fetch) them.
#[derive(Debug)]
pub struct Plan {
    search: SearchBuilder,
    identity: String,
    windows: Vec<PlannedWindow>,
    /// Each window's page 0, when its probe was made by this run.
    in_hand: Vec<Option<ResultsPage>>,
    probes: u64,
    probes_billed: u64,
    resumed: Option<Resumed>,
    checkpoint: Option<Checkpoint>,
    spool: Option<Spool>,
    budget: Option<u64>,
}

impl Plan {
    /// The search's identity: the endpoint's path and the parameters in canonical order,
    /// without `page` (what a checkpoint keys on). The token is never part of it.
    pub fn search(&self) -> &str {
        &self.identity
    }

    /// The windows, newest first.
    pub fn windows(&self) -> &[PlannedWindow] {
        &self.windows
    }

    /// The URL of the endpoint searched.
    pub fn endpoint_url(&self) -> String {
        self.search.request_parts().0
    }

    /// The parameters every request of the plan sends, in the order they are sent (the
    /// expression in canonical form), less `from`, `to` and `page`: each window sets its own
    /// dates, and each request its page.
    pub fn parameters(&self) -> Vec<(&'static str, String)> {
        self.search.request_parts().1
    }

    /// The URL of page `page` of window `index`.
    pub fn url(&self, index: usize, page: u32) -> Option<Url> {
        let w = self.windows.get(index)?;
        let mut b = self.search.in_window(w.window);
        b = b.page(page);
        b.url().ok()
    }

    /// What the runs before this one did, when the plan came from a checkpoint (or was just
    /// written to one).
    pub fn resumed(&self) -> Option<&Resumed> {
        self.resumed.as_ref()
    }

    fn pages_done(&self, index: usize) -> u32 {
        self.resumed
            .as_ref()
            .and_then(|r| r.pages_done.get(index).copied())
            .unwrap_or(0)
    }

    /// Whether page `page` of window `index` costs nothing to fetch: the spool or the cache
    /// holds it.
    fn held(&self, index: usize, page: u32) -> bool {
        let w = self.windows[index].window;
        self.spool.as_ref().is_some_and(|s| s.has(w, page)) || self.search.in_window(w).cached(page)
    }

    /// What the plan costs, from here.
    pub fn estimate(&self) -> Estimate {
        let mut e = Estimate {
            windows: self.windows.len() as u64,
            probes: self.probes,
            probes_billed: self.probes_billed,
            spent_before: self
                .resumed
                .as_ref()
                .map_or(0, |r| r.spent.saturating_sub(self.probes_billed)),
            ..Estimate::default()
        };
        for (i, w) in self.windows.iter().enumerate() {
            e.result_count += w.result_count;
            e.reports += w.reports();
            e.unreachable += w.result_count - w.reports();
            e.pages += u64::from(w.pages);
            let done = self.pages_done(i);
            e.pages_done += u64::from(done);
            for page in done..w.pages {
                if page == 0 && self.in_hand[i].is_some() {
                    e.pages_in_hand += 1;
                } else {
                    e.pages_to_fetch += 1;
                    e.pages_held += u64::from(self.held(i, page));
                }
            }
        }
        e.units = e.probes_billed + e.pages_to_fetch - e.pages_held;
        e
    }

    /// The windows over the cap: what the plan cannot deliver.
    pub fn shortfalls(&self) -> Vec<Shortfall> {
        let dated = self.search.takes_dates();
        self.windows
            .iter()
            .filter(|w| w.over_cap)
            .map(|w| match w.halves_count {
                Some(halves_count) => Shortfall::HalvesDisagree {
                    window: w.window,
                    result_count: w.result_count,
                    halves_count,
                },
                None => Shortfall::OverCap {
                    window: w.window,
                    result_count: w.result_count,
                    dated,
                },
            })
            .collect()
    }

    fn within_budget(&self) -> Result<(), Error> {
        let Some(budget) = self.budget else {
            return Ok(());
        };
        let e = self.estimate();
        if e.units > budget {
            return Err(Error::OverBudget {
                estimate: e.units,
                complete: true,
                budget,
                spent: e.probes_billed,
            });
        }
        Ok(())
    }

    /// Fetches the plan: see [`Harvest`].
    pub fn fetch(self) -> Harvest {
        Harvest::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> crate::models::Date {
        s.parse().unwrap()
    }

    #[test]
    fn each_shortfall_says_what_was_not_fetched_and_why() {
        let window = Window::new(Some(d("2024-05-05")), None);
        let over = |window, dated| Shortfall::OverCap {
            window,
            result_count: 12_345,
            dated,
        };
        assert_eq!(
            over(window, true).to_string(),
            "from 2024-05-05: 12345 results, and the API serves at most 10000 of a search; the \
             window cannot be split further (its newest report is on its first day, or has no \
             date), so 2345 were not fetched (narrow the query to reach them)"
        );
        assert_eq!(
            over(Window::new(None, None), false).to_string(),
            "12345 results match, and the API serves at most 10000 of a search; this endpoint \
             takes no dates to split it by, so 2345 were not fetched (narrow the query to reach \
             them)"
        );
        // A single day of an endpoint without dates is still a search without dates.
        let day = Window::new(Some(d("2024-05-05")), Some(d("2024-05-05")));
        assert!(
            over(day, false)
                .to_string()
                .starts_with("12345 results match")
        );
        assert!(
            over(day, true)
                .to_string()
                .starts_with("2024-05-05: 12345 results in one day")
        );
    }

    #[test]
    fn halves_may_count_a_tenth_and_a_hundred_more_than_their_whole() {
        assert!(halves_agree(0, 100) && !halves_agree(0, 101));
        assert!(halves_agree(13_000, 14_400) && !halves_agree(13_000, 14_401));
        assert!(halves_agree(u64::MAX / 2, u64::MAX / 2));
    }

    fn page(result_count: u64, pages: u32, results: usize) -> ResultsPage {
        let report = |i: usize| {
            serde_json::from_value(serde_json::json!({
                "date": "2024-01-01", "id": format!("r{i}"), "items": []
            }))
            .unwrap()
        };
        ResultsPage::new(0, pages, result_count, (0..results).map(report).collect())
    }

    #[test]
    fn a_window_is_planned_from_its_probe() {
        let w = Window::new(None, None);
        let planned = |p: &ResultsPage| {
            let pw = super::planned(w, p, false);
            (pw.pages, pw.page_size, pw.reports())
        };
        // The pages the server says, up to the cap; or, when it says none, the count's.
        assert_eq!(planned(&page(250, 3, 100)), (3, 100, 250));
        assert_eq!(planned(&page(250, 0, 100)), (3, 100, 250));
        assert_eq!(planned(&page(50_000, 500, 100)), (100, 100, 10_000));
        assert_eq!(planned(&page(50_000, 0, 100)), (100, 100, 10_000));
        assert_eq!(planned(&page(u64::MAX, 0, 100)), (100, 100, 10_000));
        // A full first page followed by others tells how many a page holds.
        assert_eq!(planned(&page(250, 5, 50)), (5, 50, 250));
        // One page: the API's size; no results: one page, whatever the count says.
        assert_eq!(planned(&page(7, 1, 7)), (1, 100, 7));
        assert_eq!(planned(&page(7, 0, 7)), (1, 100, 7));
        assert_eq!(planned(&page(300, 3, 0)), (1, 100, 100));
        assert_eq!(planned(&page(0, 0, 0)), (1, 100, 0));
    }
}
