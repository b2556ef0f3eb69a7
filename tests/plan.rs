//! The library's plan past the cap ([`SearchBuilder::everything`]) against a real server on
//! loopback, over made-up exports whose every count is known: the windows, their cost, what is
//! delivered and paid, budgets, the cache, checkpoints, and servers that misbehave (a proxy in
//! front of the real one that cuts off, ignores the dates, or shifts the results).
//!
//! [`SearchBuilder::everything`]: driftql::client::SearchBuilder::everything

#![cfg(all(feature = "client", feature = "server"))]

mod server_support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use driftql::client::plan::{Batch, PlannedWindow, Shortfall, Window};
use driftql::client::{Cache, CheckpointError, Client, Error, Harvest, SearchBuilder};
use driftql::models::Date;
use driftql::report::Report;
use driftql::server::{Dataset, RunningServer};
use serde_json::{Value, json};

const TOKEN: &str = "plan-lib-T0KEN-5ecret";

/// A made-up report: its id, day, address and port, as the tests read them back.
#[derive(Clone, Debug)]
struct Made {
    id: String,
    day: Date,
    ip: String,
    port: u16,
}

impl Made {
    fn new(id: String, day: Date, ip: String, port: u16) -> Made {
        Made { id, day, ip, port }
    }
}

fn day(s: &str) -> Date {
    s.parse().unwrap()
}

fn report(m: &Made) -> Report {
    serde_json::from_value(json!({
        "date": m.day.to_string(),
        "id": m.id,
        "items": [
            {"type": "ip", "context": "", "value": m.ip, "is_metadata": true},
            {"type": "port-tcp", "context": "", "value": m.port.to_string(), "is_metadata": true},
        ]
    }))
    .unwrap()
}

/// An export and the server's dataset of it.
struct Export {
    made: Vec<Made>,
    data: Arc<Dataset>,
}

impl Export {
    fn new(made: Vec<Made>) -> Export {
        let data = Arc::new(Dataset::new(made.iter().map(report).collect()).unwrap());
        Export { made, data }
    }

    /// The ids of the reports on `port` within `window`.
    fn ids(&self, port: u16, window: Window) -> BTreeSet<String> {
        self.made
            .iter()
            .filter(|m| m.port == port && window.contains(m.day))
            .map(|m| m.id.clone())
            .collect()
    }
}

/// 13,000 reports on port 443 from 2019 to 2025, about five a day (past the cap: the plan
/// has several windows), their addresses repeating (8,000 services; 10,500 with the 22s), and
/// 1,500 on port 22 (below the cap: one window). The newest report is on 2025-12-31.
static EXPORT: LazyLock<Export> = LazyLock::new(|| {
    let first = day("2019-01-01");
    let days = first.days_until(day("2025-12-31"));
    let mut made = Vec::new();
    for i in 0..13_000i64 {
        made.push(Made::new(
            format!("https-{i:05}"),
            first.plus_days(days - i * days / 12_999).unwrap(),
            format!("10.0.{}.{}", (i % 8000) / 256, (i % 8000) % 256),
            443,
        ));
    }
    for i in 0..1500i64 {
        made.push(Made::new(
            format!("ssh-{i:04}"),
            first.plus_days(i % days).unwrap(),
            format!("10.1.{}.{}", i / 256, i % 256),
            22,
        ));
    }
    Export::new(made)
});

fn all_dates() -> Window {
    Window::new(None, None)
}

/// A server of its own (its own usage counter) over `data`.
fn start(data: &Arc<Dataset>) -> RunningServer {
    server_support::start(data, TOKEN)
}

/// The search quota the server has counted.
fn usage(s: &RunningServer) -> u64 {
    server_support::usage(s, TOKEN)
}

fn builder(url: &str) -> driftql::client::ClientBuilder {
    Client::builder()
        .token(TOKEN)
        .base_url(url)
        .retry_delay(Duration::from_millis(1))
        .max_retry_delay(Duration::from_millis(5))
        .max_retries(0)
}

fn client(url: &str) -> Client {
    builder(url).build().unwrap()
}

fn search(c: &Client, query: &str) -> SearchBuilder {
    c.search(driftql::parse(query).unwrap())
}

/// A directory of its own for one test, empty.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("driftql-plan-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every batch of a harvest, to its end; panics on a failed page.
async fn fetch_all(harvest: &mut Harvest) -> Vec<Batch> {
    let mut batches = Vec::new();
    while let Some(batch) = harvest.next_batch().await {
        let batch = batch.unwrap();
        harvest.commit(&batch, None).unwrap();
        batches.push(batch);
    }
    assert!(
        harvest.next_batch().await.is_none(),
        "an ended harvest stays ended"
    );
    batches
}

/// The ids delivered, each once.
#[track_caller]
fn delivered(batches: &[Batch]) -> BTreeSet<String> {
    let ids: Vec<&String> = batches
        .iter()
        .flat_map(|b| &b.reports)
        .map(|r| &r.id)
        .collect();
    let set: BTreeSet<String> = ids.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        set.len(),
        ids.len(),
        "{} delivered twice",
        ids.len() - set.len()
    );
    set
}

/// Asserts that the windows, newest first, cover `expected` exactly: the newest ends where it
/// ends, the oldest starts where it starts, and each starts the day after the next one ends.
#[track_caller]
fn assert_covers(windows: &[PlannedWindow], expected: Window) {
    assert_eq!(windows[0].window.to, expected.to, "{windows:?}");
    assert_eq!(windows[windows.len() - 1].window.from, expected.from);
    for pair in windows.windows(2) {
        let (newer, older) = (pair[0].window, pair[1].window);
        assert_eq!(
            newer.from,
            older.to.unwrap().plus_days(1),
            "{newer:?} {older:?}"
        );
    }
}

/// Asserts that the batches come in plan order (window after window, each one's pages in
/// order, none left out) and that each report is of its window's dates.
#[track_caller]
fn assert_in_plan_order(batches: &[Batch], windows: &[PlannedWindow]) {
    let order: Vec<(usize, u32)> = batches.iter().map(|b| (b.window, b.page)).collect();
    assert_eq!(order, plan_order(windows));
    for b in batches {
        let w = windows[b.window].window;
        for r in &b.reports {
            assert!(w.contains(r.date.parse().unwrap()), "{} in {w}", r.date);
        }
    }
}

/// Each page of the windows, in the order a plan delivers them.
fn plan_order(windows: &[PlannedWindow]) -> Vec<(usize, u32)> {
    windows
        .iter()
        .enumerate()
        .flat_map(|(i, w)| (0..w.pages).map(move |p| (i, p)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn below_the_cap_the_plan_is_one_window_and_its_probe_its_first_page() {
    let s = start(&EXPORT.data);
    let c = client(&s.url());
    let plan = plan_of(&c, "port-tcp:22").await;
    assert_eq!(usage(&s), 1, "one probe");
    let w = plan.windows();
    assert_eq!(w.len(), 1);
    assert_eq!(
        (w[0].window, w[0].result_count, w[0].pages, w[0].page_size),
        (all_dates(), 1500, 15, 100)
    );
    assert!(!w[0].over_cap && w[0].halves_count.is_none());
    let e = plan.estimate();
    assert_eq!(
        (e.result_count, e.reports, e.unreachable, e.windows),
        (1500, 1500, 0, 1)
    );
    assert_eq!((e.probes, e.probes_billed), (1, 1));
    assert_eq!(
        (e.pages, e.pages_done, e.pages_in_hand, e.pages_to_fetch),
        (15, 0, 1, 14)
    );
    assert_eq!((e.pages_held, e.units, e.spent_before), (0, 15, 0));
    assert!(plan.shortfalls().is_empty());
    assert!(plan.resumed().is_none());
    // What every request sends: no token, no dates, no page.
    assert!(
        plan.search().contains("expression=port-tcp%3A22"),
        "{}",
        plan.search()
    );
    assert!(!plan.search().contains(TOKEN) && !plan.search().contains("page"));
    assert_eq!(
        plan.parameters(),
        [("expression", "port-tcp:22".to_owned())]
    );
    assert!(plan.endpoint_url().ends_with("/v1/scan/protocols"));
    let url = plan.url(0, 3).unwrap();
    assert!(url.as_str().contains("page=3"), "{url}");
    assert!(plan.url(1, 0).is_none());

    let mut h = plan.fetch();
    assert_eq!(h.windows().len(), 1);
    let batches = fetch_all(&mut h).await;
    assert_in_plan_order(&batches, h.windows());
    assert_eq!(delivered(&batches), EXPORT.ids(22, all_dates()));
    // The probe cost nothing more; every other page one unit.
    assert!(!batches[0].billed && batches[1..].iter().all(|b| b.billed));
    assert_eq!(usage(&s), 15);
    let p = h.progress();
    assert_eq!(
        (
            p.windows,
            p.windows_done,
            p.pages,
            p.pages_done,
            p.reports,
            p.units
        ),
        (1, 1, 15, 15, 1500, 15)
    );
    assert!(h.shortfalls().is_empty());
    assert_eq!(
        (h.duplicates_dropped(), h.older_of_a_pair_dropped()),
        (0, 0)
    );
    assert_eq!(h.write_error(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_cap_the_windows_cover_every_date_once_at_the_cost_planned() {
    let s = start(&EXPORT.data);
    let c = client(&s.url());
    let mut rounds = Vec::new();
    let plan = search(&c, "port-tcp:443")
        .everything()
        .plan_with(|p| rounds.push(*p))
        .await
        .unwrap();
    let w = plan.windows().to_vec();
    assert!(w.len() > 1, "{w:?}");
    assert_covers(&w, all_dates());
    for pw in &w {
        assert!(pw.result_count <= 10_000 && !pw.over_cap, "{pw:?}");
        assert_eq!(u64::from(pw.pages), pw.result_count.div_ceil(100).max(1));
        assert_eq!(EXPORT.ids(443, pw.window).len() as u64, pw.result_count);
    }
    let e = plan.estimate();
    assert_eq!(
        (e.result_count, e.reports, e.unreachable),
        (13_000, 13_000, 0)
    );
    assert_eq!(e.windows, w.len() as u64);
    let pages: u64 = w.iter().map(|pw| u64::from(pw.pages)).sum();
    assert_eq!((e.pages, e.pages_in_hand), (pages, w.len() as u64));
    assert_eq!(e.pages_to_fetch, pages - w.len() as u64);
    assert_eq!(e.probes, e.probes_billed);
    assert_eq!(e.units, e.probes + pages - w.len() as u64);
    // A probe for the whole and two for each cut.
    assert_eq!(e.probes, 2 * w.len() as u64 - 1);
    assert_eq!(usage(&s), e.probes, "the planning paid its probes");
    // Each round of probes was told of; the last leaves nothing pending.
    assert!(rounds.len() > 1);
    assert!(rounds.windows(2).all(|r| r[0].probes < r[1].probes));
    let last = rounds.last().unwrap();
    assert_eq!((last.probes, last.billed), (e.probes, e.probes));
    assert_eq!((last.windows, last.pending), (w.len() as u64, 0));

    let mut h = plan.fetch();
    let batches = fetch_all(&mut h).await;
    assert_in_plan_order(&batches, &w);
    assert_eq!(delivered(&batches), EXPORT.ids(443, all_dates()));
    assert_eq!(usage(&s), e.units);
    let p = h.progress();
    assert_eq!((p.units, p.pages_done, p.reports), (e.units, pages, 13_000));
    assert_eq!(p.windows_done, w.len() as u64);
    assert!(h.shortfalls().is_empty(), "{:?}", h.shortfalls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_date_range_is_covered_exactly() {
    let s = start(&EXPORT.data);
    let c = client(&s.url());
    let ranges = [
        Window::new(Some(day("2020-03-01")), Some(day("2025-10-31"))),
        Window::new(Some(day("2019-06-01")), None),
        Window::new(None, Some(day("2025-06-30"))),
    ];
    for range in ranges {
        let mut b = search(&c, "port-tcp:443");
        if let Some(from) = range.from {
            b = b.from(from);
        }
        if let Some(to) = range.to {
            b = b.to(to);
        }
        let plan = b.everything().plan().await.unwrap();
        let w = plan.windows();
        assert!(w.len() > 1, "{range}: {w:?}");
        assert_covers(w, range);
        let want = EXPORT.ids(443, range);
        assert_eq!(plan.estimate().result_count, want.len() as u64, "{range}");
        assert!(plan.parameters().iter().all(|(p, _)| *p == "expression"));
        if range.to.is_some() && range.from.is_some() {
            let windows = w.to_vec();
            let mut h = plan.fetch();
            let batches = fetch_all(&mut h).await;
            assert_in_plan_order(&batches, &windows);
            assert_eq!(delivered(&batches), want);
        }
    }
}

/// 30 reports on 2024-05-06, 10,050 on 2024-05-05, 120 on 2024-05-04.
static CROWDED_DAY: LazyLock<Export> = LazyLock::new(|| {
    on_days(
        &[
            ("2024-05-06", 30),
            ("2024-05-05", 10_050),
            ("2024-05-04", 120),
        ],
        "192.0",
    )
});

/// So many reports on port 443 on each day, their addresses counting up in `net` (its first
/// two bytes) afresh each day.
fn on_days(days: &[(&str, u32)], net: &str) -> Export {
    let mut made = Vec::new();
    for &(d, n) in days {
        made.extend((0..n).map(|i| {
            let ip = format!("{net}.{}.{}", i / 256, i % 256);
            Made::new(format!("{d}-{i:05}"), day(d), ip, 443)
        }));
    }
    Export::new(made)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_over_the_cap_is_fetched_to_the_cap_and_named() {
    let s = start(&CROWDED_DAY.data);
    let c = client(&s.url());
    let plan = plan_of(&c, "port-tcp:443").await;
    let the_day = Window::new(Some(day("2024-05-05")), Some(day("2024-05-05")));
    let over: Vec<&PlannedWindow> = plan.windows().iter().filter(|w| w.over_cap).collect();
    assert_eq!(over.len(), 1, "{:?}", plan.windows());
    assert_eq!(
        (over[0].window, over[0].result_count, over[0].pages),
        (the_day, 10_050, 100)
    );
    assert_eq!(over[0].reports(), 10_000);
    let e = plan.estimate();
    assert_eq!(
        (e.result_count, e.reports, e.unreachable),
        (10_200, 10_150, 50)
    );
    let shortfalls = plan.shortfalls();
    assert_eq!(shortfalls.len(), 1);
    assert!(matches!(
        shortfalls[0],
        Shortfall::OverCap { window, result_count: 10_050, dated: true } if window == the_day
    ));
    assert_eq!(
        shortfalls[0].to_string(),
        "2024-05-05: 10050 results in one day, and the API serves at most 10000 of a search; \
         a day cannot be split further, so 50 were not fetched (narrow the query to reach them)"
    );
    let mut h = plan.fetch();
    let batches = fetch_all(&mut h).await;
    let got = delivered(&batches);
    assert_eq!(got.len(), 30 + 10_000 + 120);
    assert!(got.is_subset(&CROWDED_DAY.ids(443, all_dates())));
    // Only the cap is short: no window came back with fewer reports than it could hold.
    assert_eq!(h.shortfalls(), shortfalls.as_slice());
}

/// The plan of `query` through `c`.
async fn plan_of(c: &Client, query: &str) -> driftql::client::Plan {
    search(c, query).everything().plan().await.unwrap()
}

/// The plan of `port-tcp:443` through `c`, with a budget.
async fn within(c: &Client, budget: u64) -> Result<driftql::client::Plan, Error> {
    search(c, "port-tcp:443")
        .everything()
        .budget(budget)
        .plan()
        .await
}

/// What an over-budget error says: (estimate, complete, budget, spent).
fn over_budget(e: Error) -> (u64, bool, u64, u64) {
    match e {
        Error::OverBudget {
            estimate,
            complete,
            budget,
            spent,
        } => (estimate, complete, budget, spent),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_budget_is_passed_while_planning_or_fetching() {
    let s = start(&EXPORT.data);
    let c = client(&s.url());
    let plan = |budget| within(&c, budget);
    // Nothing is sent past a budget of 0.
    assert_eq!(over_budget(plan(0).await.unwrap_err()), (1, false, 0, 0));
    assert_eq!(usage(&s), 0);
    // The first probe shows a search past the cap: at least 100 pages more.
    assert_eq!(over_budget(plan(1).await.unwrap_err()), (101, false, 1, 1));
    assert_eq!(
        over_budget(plan(100).await.unwrap_err()),
        (101, false, 100, 1)
    );
    assert_eq!(usage(&s), 2);
    // A budget below the whole plan's cost: the planning runs to its end and is refused.
    let units = plan_of(&c, "port-tcp:443").await.estimate().units;
    let before = usage(&s);
    let (estimate, complete, budget, spent) = over_budget(plan(units - 1).await.unwrap_err());
    assert_eq!((estimate, complete, budget), (units, true, units - 1));
    assert_eq!(usage(&s) - before, spent);
    assert!(spent > 1 && spent < units, "{spent}");
    // The plan's cost exactly: spent to the unit.
    let before = usage(&s);
    let mut h = plan(units).await.unwrap().fetch();
    let batches = fetch_all(&mut h).await;
    assert_eq!(delivered(&batches).len(), 13_000);
    assert_eq!(usage(&s) - before, units);
    assert!(h.shortfalls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_cache_the_probes_count_the_halves_before_they_are_paid() {
    // With a cache a page may come free: the planning goes on past the least the plan could
    // cost, and stops at the first round the budget does not allow (one probe, then two).
    let s = start(&EXPORT.data);
    let cache = scratch("budget-cache");
    let c = builder(&s.url()).cache(Cache::new(&cache)).build().unwrap();
    let plan = |budget| within(&c, budget);
    assert_eq!(over_budget(plan(2).await.unwrap_err()), (3, false, 2, 1));
    assert_eq!(usage(&s), 1);
    // The first probe is cached now: the same budget pays for the two halves, which need no
    // cut, and the whole plan, which costs far more, is refused.
    let (estimate, complete, _, spent) = over_budget(plan(2).await.unwrap_err());
    assert!(complete && estimate > 100, "{estimate}");
    assert_eq!((spent, usage(&s)), (2, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_with_the_cache_costs_nothing_and_delivers_the_same() {
    let s = start(&EXPORT.data);
    let cache = scratch("cache");
    let c = builder(&s.url()).cache(Cache::new(&cache)).build().unwrap();
    let first = plan_of(&c, "port-tcp:443").await;
    let units = first.estimate().units;
    let windows = first.windows().to_vec();
    let mut h = first.fetch();
    let want = delivered(&fetch_all(&mut h).await);
    assert_eq!(usage(&s), units);
    assert_eq!(h.write_error(), None);

    let second = plan_of(&c, "port-tcp:443").await;
    assert_eq!(second.windows(), windows.as_slice());
    let e = second.estimate();
    assert_eq!(
        (e.probes, e.probes_billed, e.units),
        (windows.len() as u64 * 2 - 1, 0, 0)
    );
    assert_eq!(e.pages_held, e.pages_to_fetch);
    // A budget of 0 allows what costs nothing.
    let mut h = search(&c, "port-tcp:443")
        .everything()
        .budget(0)
        .plan()
        .await
        .unwrap()
        .fetch();
    let batches = fetch_all(&mut h).await;
    assert!(batches.iter().all(|b| !b.billed));
    assert_eq!(delivered(&batches), want);
    assert_eq!(h.progress().units, 0);
    assert_eq!(usage(&s), units, "nothing more paid");

    // A page the plan counted as held, that cannot be read when it is fetched, is paid for
    // within the budget: with 5 units, five are, and the fetching stops there and says so.
    let plan = search(&c, "port-tcp:443")
        .everything()
        .budget(5)
        .plan()
        .await
        .unwrap();
    assert_eq!(plan.estimate().units, 0);
    let pages = plan.estimate().pages;
    damage(&cache, |page| page > 0);
    let mut h = plan.fetch();
    let batches = fetch_all(&mut h).await;
    assert_eq!(usage(&s), units + 5);
    // The first window's probe (in hand), then five pages paid for.
    let order: Vec<(usize, u32, bool)> = batches
        .iter()
        .map(|b| (b.window, b.page, b.billed))
        .collect();
    assert_eq!(order, (0..6).map(|p| (0, p, p > 0)).collect::<Vec<_>>());
    assert_eq!(
        h.shortfalls(),
        [Shortfall::Budget {
            budget: 5,
            pages_left: pages - 6
        }]
    );
    assert_eq!(
        h.shortfalls()[0].to_string(),
        format!(
            "the budget of 5 quota units stopped the search with {} pages of the plan not fetched",
            pages - 6
        )
    );
    assert_eq!(h.progress().units, 5);
}

/// Overwrites each page of the cache in `dir` whose number `which` picks with something that
/// is not a page.
fn damage(dir: &std::path::Path, which: impl Fn(u64) -> bool) {
    for file in walk(dir) {
        let Ok(entry) = serde_json::from_slice::<Value>(&std::fs::read(&file).unwrap()) else {
            continue;
        };
        if which(entry["page"]["page"].as_u64().unwrap_or(0)) {
            std::fs::write(file, b"{\"damaged").unwrap();
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// 10,100 services scanned in 2025, and 2,020 of them in 2023 too: with `most_recent`, one
/// search counts 10,100 (past the cap), and each window keeps the newest report of a pair
/// within its own dates. So the halves of a cut between the years count 12,120 together, more
/// than their whole and a tenth.
static RESCANNED: LazyLock<Export> = LazyLock::new(|| {
    let mut made = Vec::new();
    for i in 0..10_100u32 {
        let years: &[_] = if i % 5 == 0 {
            &[("2025", "new"), ("2023", "old")]
        } else {
            &[("2025", "new")]
        };
        for (year, tag) in years {
            let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            let d = day(&format!("{year}-06-{:02}", 1 + i % 28));
            made.push(Made::new(format!("{tag}-{i:05}"), d, ip, 443));
        }
    }
    Export::new(made)
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn most_recent_keeps_the_newest_report_of_each_pair_across_windows() {
    let s = start(&RESCANNED.data);
    let c = client(&s.url());
    let plan = search(&c, "port-tcp:443")
        .most_recent(true)
        .everything()
        .plan()
        .await
        .unwrap();
    let windows = plan.windows().to_vec();
    assert!(windows.len() > 1, "{windows:?}");
    assert_covers(&windows, all_dates());
    // The halves of a cut each count up to the whole (a pair scanned on both sides of the cut
    // counts in both): that is not a server ignoring the dates.
    assert!(windows.iter().all(|w| !w.over_cap), "{windows:?}");
    let mut h = plan.fetch();
    let batches = fetch_all(&mut h).await;
    let got = delivered(&batches);
    let want: BTreeSet<String> = (0..10_100).map(|i| format!("new-{i:05}")).collect();
    assert_eq!(got, want);
    assert_eq!(h.older_of_a_pair_dropped(), 2020);
    assert_eq!(h.duplicates_dropped(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_seen_before_are_not_delivered_again() {
    let s = start(&EXPORT.data);
    let c = client(&s.url());
    let mut h = plan_of(&c, "port-tcp:22").await.fetch();
    let all = EXPORT.ids(22, all_dates());
    let told: Vec<&String> = all.iter().step_by(7).collect();
    for id in &told {
        h.seen_before(id, &[] as &[driftql::report::Item]);
    }
    let got = delivered(&fetch_all(&mut h).await);
    assert_eq!(got.len() + told.len(), all.len());
    assert!(told.iter().all(|id| !got.contains(*id)));
    assert_eq!(h.duplicates_dropped(), told.len() as u64);
    assert_eq!(h.progress().reports, got.len() as u64);
}

/// How a proxy in front of the real server misbehaves.
#[derive(Clone, Copy, Debug)]
enum Misbehave {
    /// Forwards the first so many search requests, then answers 503 to every other one
    /// (after a pause, so that the pages forwarded arrive first).
    CutOffAfter(u64),
    /// Forwards search requests without their dates.
    IgnoreDates,
    /// Answers each search with its own count, and the results of the search of all dates.
    ResultsOfAllDates,
    /// Answers each search with its own results, and the count of the search of all dates.
    CountOfAllDates,
    /// Answers the pages from this one on with no results.
    EmptyFrom(u32),
    /// Answers 503 to the request for this page, and forwards the others.
    FailPage(u32),
}

/// The target without its `from` and `to` parameters.
fn undated(target: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("from=") && !p.starts_with("to="))
        .collect();
    format!("{path}?{}", kept.join("&"))
}

/// A proxy in front of `upstream` that misbehaves as `how` says; its URL.
fn proxy(upstream: String, how: Misbehave) -> String {
    if let Misbehave::CutOffAfter(pages) = how {
        return server_support::cut_off_after(upstream, pages);
    }
    server_support::proxy(move |asked: server_support::Asked| {
        let upstream = upstream.clone();
        async move {
            let target = &asked.target;
            if !asked.is_search() {
                return asked.forward(&upstream, target).await;
            }
            if let Misbehave::FailPage(page) = how
                && target
                    .split(['?', '&'])
                    .any(|p| p == format!("page={page}"))
            {
                return (503, b"\"failed\"".to_vec());
            }
            let own = || asked.forward_json(&upstream, target);
            let undated = undated(target);
            let all_dates = || asked.forward_json(&upstream, &undated);
            let answer = match how {
                Misbehave::CutOffAfter(_) => unreachable!(),
                Misbehave::FailPage(_) => own().await,
                Misbehave::IgnoreDates => all_dates().await,
                Misbehave::ResultsOfAllDates => {
                    let mut page = own().await;
                    page["results"] = all_dates().await["results"].take();
                    page
                }
                Misbehave::CountOfAllDates => {
                    let mut page = own().await;
                    page["result_count"] = all_dates().await["result_count"].take();
                    page
                }
                Misbehave::EmptyFrom(from) => {
                    let mut page = own().await;
                    if page["page"].as_u64().unwrap() >= u64::from(from) {
                        page["results"] = json!([]);
                    }
                    page
                }
            };
            (200, answer.to_string().into_bytes())
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halves_that_show_the_dates_ignored_are_not_used() {
    // Halves that each count the whole; reports dated outside a half; both. Each time the
    // search is one window, fetched to the cap, and named.
    // (How, what the halves count, requests the proxy sends for each.)
    for (how, halves, each) in [
        (Misbehave::IgnoreDates, 26_000, 1),
        (Misbehave::ResultsOfAllDates, 13_000, 2),
        (Misbehave::CountOfAllDates, 26_000, 2),
    ] {
        let s = start(&EXPORT.data);
        let c = client(&proxy(s.url(), how));
        let plan = plan_of(&c, "port-tcp:443").await;
        let w = plan.windows();
        assert_eq!(w.len(), 1, "{how:?}: {w:?}");
        assert_eq!(
            (w[0].window, w[0].result_count, w[0].pages, w[0].over_cap),
            (all_dates(), 13_000, 100, true),
            "{how:?}"
        );
        assert_eq!(w[0].halves_count, Some(halves), "{how:?}");
        let e = plan.estimate();
        assert_eq!((e.probes, e.reports, e.unreachable), (3, 10_000, 3000));
        assert_eq!(usage(&s), 3 * each, "{how:?}");
        let shortfalls = plan.shortfalls();
        assert_eq!(
            shortfalls,
            [Shortfall::HalvesDisagree {
                window: all_dates(),
                result_count: 13_000,
                halves_count: halves
            }]
        );
        assert_eq!(
            shortfalls[0].to_string(),
            format!(
                "all dates: 13000 results match, but the answers for its two halves (reports \
                 dated outside them, or {halves} results together) show that the API does not \
                 honour from/to here, so the search was not split, and 3000 were not fetched"
            )
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halves_that_add_up_within_a_tenth_and_a_hundred_more_are_used() {
    // Results arriving while the planning runs make the halves count a little more than the
    // whole: the EXPORT's 13,000, and 1,400 more on the newest day (a tenth and 100 of
    // 13,000 is 1,400).
    let late = |n: u32| {
        let mut made = EXPORT.made.clone();
        for i in 0..n {
            let ip = format!("10.2.{}.{}", i / 256, i % 256);
            made.push(Made::new(
                format!("late-{i:04}"),
                day("2025-12-31"),
                ip,
                443,
            ));
        }
        Export::new(made)
    };
    for (extra, agree) in [(1400, true), (1401, false)] {
        // The first probe is answered by the server without the late reports, the halves by
        // the one with them.
        let before = start(&EXPORT.data);
        let after = start(&late(extra).data);
        let url = switch_after(before.url(), after.url(), 1);
        let c = client(&url);
        let plan = plan_of(&c, "port-tcp:443").await;
        let w = plan.windows();
        assert_eq!(w.len() > 1, agree, "{extra}: {w:?}");
        assert_eq!(w[0].halves_count.is_none(), agree, "{extra}: {w:?}");
    }
}

/// A proxy that forwards the first `n` search requests to `first`, and the others to `then`.
fn switch_after(first: String, then: String, n: u64) -> String {
    let forwarded = Arc::new(AtomicU64::new(0));
    server_support::proxy(move |asked: server_support::Asked| {
        let before = forwarded.fetch_add(u64::from(asked.is_search()), Ordering::SeqCst) < n;
        let up = if before { first.clone() } else { then.clone() };
        async move { asked.forward(&up, &asked.target).await }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_whose_pages_end_early_is_named_and_its_later_pages_not_asked_for() {
    let s = start(&EXPORT.data);
    let c = client(&proxy(s.url(), Misbehave::EmptyFrom(5)));
    let plan = plan_of(&c, "port-tcp:22").await;
    let mut h = plan.fetch();
    let batches = fetch_all(&mut h).await;
    let got = delivered(&batches);
    assert_eq!(got.len(), 500);
    // Page 5 came back empty; the pages already in flight were delivered, empty; no other was
    // asked for.
    let pages: Vec<u32> = batches.iter().map(|b| b.page).collect();
    assert_eq!(pages, (0..pages.len() as u32).collect::<Vec<_>>());
    assert!(pages.len() > 5 && pages.len() < 15, "{pages:?}");
    assert!(batches[5..].iter().all(|b| b.reports.is_empty()));
    assert_eq!(usage(&s), pages.len() as u64);
    let p = h.progress();
    assert_eq!(
        (p.pages, p.pages_done, p.windows_done),
        (pages.len() as u64, pages.len() as u64, 1)
    );
    assert_eq!(
        h.shortfalls(),
        [Shortfall::Incomplete {
            window: all_dates(),
            expected: 1500,
            delivered: 500
        }]
    );
    assert_eq!(
        h.shortfalls()[0].to_string(),
        "all dates: the pages should have held 1500 results, and held 500 different ones \
         (pages ended early, or the results shifted while they were fetched); search that \
         window again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_page_ends_the_fetching_and_names_itself() {
    let s = start(&EXPORT.data);
    let c = client(&proxy(s.url(), Misbehave::CutOffAfter(4)));
    let mut h = plan_of(&c, "port-tcp:22").await.fetch();
    let mut ok = 0;
    let failed = loop {
        match h.next_batch().await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => break e,
        }
    };
    // The probe, then the pages in order up to the first one cut off (the requests in flight
    // reach the proxy in any order).
    assert!((1..=4).contains(&ok), "{ok}");
    assert_eq!((failed.page, failed.window), (ok, Some(all_dates())));
    assert!(failed.to_string().contains("page"), "{failed}");
    assert!(h.next_batch().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_goes_on_where_a_run_stopped_and_delivers_each_page_once() {
    let s = start(&EXPORT.data);
    let c = client(&s.url());
    let dir = scratch("checkpoint");
    let file = dir.join("run.checkpoint");
    let everything = || search(&c, "port-tcp:443").everything().checkpoint(&file);

    // The first run: its plan is kept, and 40 pages are delivered before it stops.
    let plan = everything().plan().await.unwrap();
    let first = plan.estimate();
    let r = plan.resumed().unwrap();
    assert_eq!(r.pages_done, vec![0; plan.windows().len()]);
    assert_eq!(
        (r.spent, r.reports, r.complete),
        (first.probes_billed, 0, false)
    );
    let mut h = plan.fetch();
    h.record_output("out.ndjson", "ndjson").unwrap();
    let mut before = BTreeSet::new();
    for i in 0..40u64 {
        let b = h.next_batch().await.unwrap().unwrap();
        assert_eq!((b.window, b.page), (0, i as u32));
        h.commit(&b, Some(i * 10)).unwrap();
        before.extend(b.reports.iter().map(|r| r.id.clone()));
    }
    drop(h);
    let paid_first = usage(&s);

    // Another run of this search cannot use it while the second holds it; another search
    // never can.
    let plan = everything().plan().await.unwrap();
    match search(&c, "port-tcp:443")
        .everything()
        .checkpoint(&file)
        .plan()
        .await
    {
        Err(Error::Checkpoint(CheckpointError::InUse { path })) => assert_eq!(path, file),
        other => panic!("{other:?}"),
    }
    let e = plan.estimate();
    assert_eq!((e.probes, e.probes_billed, e.pages_in_hand), (0, 0, 0));
    assert_eq!((e.pages, e.pages_done), (first.pages, 40));
    // Spent before: the probes, and the 39 pages after the first (the probe) delivered.
    assert_eq!(e.spent_before, first.probes_billed + 39);
    assert_eq!(e.pages_to_fetch, first.pages - 40);
    assert_eq!(e.units, e.pages_to_fetch - e.pages_held);
    let r = plan.resumed().unwrap().clone();
    assert_eq!(r.pages_done.iter().sum::<u32>(), 40);
    assert_eq!(r.pages_done[0], 40);
    assert_eq!(r.reports, before.len() as u64);
    assert_eq!(r.window_reports[0], before.len() as u64);
    assert_eq!(r.output_bytes, Some(390));
    assert_eq!(r.output_path.as_deref(), Some("out.ndjson"));
    assert_eq!(r.output_format.as_deref(), Some("ndjson"));
    assert_eq!((r.complete, r.other_api), (false, None));
    let mut h = plan.fetch();
    let p = h.progress();
    assert_eq!((p.pages, p.windows_done), (first.pages - 40, 0));
    let batches = fetch_all(&mut h).await;
    assert!(batches.iter().all(|b| b.window > 0 || b.page >= 40));
    let after = delivered(&batches);
    assert!(before.is_disjoint(&after));
    let all: BTreeSet<String> = before.union(&after).cloned().collect();
    assert_eq!(all, EXPORT.ids(443, all_dates()));
    // Each page was paid for once, but for those in flight when the first run stopped (up to
    // the client's concurrency): they may have been paid and not kept.
    let paid = usage(&s);
    assert!(
        paid >= first.units && paid <= first.units + c.concurrency() as u64,
        "{paid}"
    );
    assert_eq!(
        paid - paid_first,
        e.units,
        "the second run paid what it planned"
    );
    assert!(
        !dir.join("run.checkpoint.pages").exists(),
        "the spool is gone"
    );
    drop(h);

    // Delivered to its end: a third run delivers nothing, and pays nothing.
    let plan = everything().plan().await.unwrap();
    assert!(plan.resumed().unwrap().complete);
    let e = plan.estimate();
    assert_eq!(
        (e.pages_done, e.pages_to_fetch, e.units),
        (first.pages, 0, 0)
    );
    let mut h = plan.fetch();
    assert!(h.next_batch().await.is_none());
    assert_eq!(h.progress().windows_done, h.progress().windows);
    drop(h);
    assert_eq!(usage(&s), paid);

    match search(&c, "port-tcp:22")
        .everything()
        .checkpoint(&file)
        .plan()
        .await
    {
        Err(Error::Checkpoint(CheckpointError::OtherSearch {
            path,
            found,
            wanted,
        })) => {
            assert_eq!(path, file);
            assert!(
                found.contains("443") && wanted.contains("22"),
                "{found} {wanted}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(usage(&s), paid, "nothing is sent for a refused checkpoint");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cut_off_goes_on_from_its_checkpoint_paying_each_page_once() {
    let s = start(&EXPORT.data);
    let dir = scratch("cut-off");
    let file = dir.join("run.checkpoint");
    let units = search(&client(&s.url()), "port-tcp:443")
        .everything()
        .plan()
        .await
        .unwrap()
        .estimate()
        .units;
    let before = usage(&s);
    // The connection gives out after the three probes and 30 pages.
    let cut = client(&proxy(s.url(), Misbehave::CutOffAfter(33)));
    let plan = search(&cut, "port-tcp:443")
        .everything()
        .checkpoint(&file)
        .plan()
        .await
        .unwrap();
    let windows = plan.windows().to_vec();
    let mut h = plan.fetch();
    let mut first = Vec::new();
    let failed = loop {
        match h.next_batch().await.unwrap() {
            Ok(b) => {
                h.commit(&b, None).unwrap();
                first.push(b);
            }
            Err(e) => break e,
        }
    };
    assert!(h.next_batch().await.is_none());
    drop(h);
    let (w, page) = plan_order(&windows)[first.len()];
    assert_eq!(
        (failed.window, failed.page),
        (Some(windows[w].window), page)
    );
    assert_eq!(usage(&s) - before, 33);
    // The pages forwarded and not delivered were kept: the next run pays for the rest only.
    let c = client(&s.url());
    let plan = search(&c, "port-tcp:443")
        .everything()
        .checkpoint(&file)
        .plan()
        .await
        .unwrap();
    let e = plan.estimate();
    assert_eq!(e.pages_done, first.len() as u64);
    // Held: the second window's probe, kept since the planning, and those of the 30 pages
    // forwarded that were not delivered (the first window's probe was).
    assert_eq!(e.pages_held, 1 + 30 - (first.len() as u64 - 1), "{e:?}");
    let mut h = plan.fetch();
    let rest = fetch_all(&mut h).await;
    let mut all = delivered(&first);
    let later = delivered(&rest);
    assert!(all.is_disjoint(&later));
    all.extend(later);
    assert_eq!(all, EXPORT.ids(443, all_dates()));
    assert_eq!(usage(&s) - before, units, "each page paid for once");
}

/// Why the checkpoint `file`, holding `text`, cannot be used for `port-tcp:22`.
async fn refused(c: &Client, file: &std::path::Path, text: Vec<u8>) -> String {
    std::fs::write(file, text).unwrap();
    match search(c, "port-tcp:22")
        .everything()
        .checkpoint(file)
        .plan()
        .await
    {
        Err(Error::Checkpoint(CheckpointError::Damaged { reason, .. })) => reason,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_that_cannot_be_read_is_refused_and_a_cut_last_line_dropped() {
    let s = start(&EXPORT.data);
    let c = client(&s.url());
    let dir = scratch("damaged");
    let file = dir.join("run.checkpoint");
    let everything = || search(&c, "port-tcp:22").everything().checkpoint(&file);
    let damaged = |text: &[u8]| refused(&c, &file, text.to_vec());
    assert_eq!(damaged(b"").await, "it is empty");
    assert!(
        damaged(b"{\"x\": 1}\n")
            .await
            .starts_with("line 1 is not a driftql checkpoint")
    );
    std::fs::remove_file(&file).unwrap();

    let mut h = everything().plan().await.unwrap().fetch();
    for _ in 0..3 {
        let b = h.next_batch().await.unwrap().unwrap();
        h.commit(&b, None).unwrap();
    }
    drop(h);
    let good = std::fs::read(&file).unwrap();
    let lines: Vec<&[u8]> = good.split(|&b| b == b'\n').collect();
    let header = lines[0];
    // A run stopped while writing a line leaves it cut: it is dropped, and the rest read.
    let mut cut = good.clone();
    cut.extend_from_slice(b"{\"done\":{\"window\":0,\"pa");
    std::fs::write(&file, &cut).unwrap();
    let plan = everything().plan().await.unwrap();
    assert_eq!(plan.resumed().unwrap().pages_done, [3]);
    drop(plan);
    assert_eq!(std::fs::read(&file).unwrap(), good);

    let with = |extra: &str| {
        let mut t = good.clone();
        t.extend_from_slice(extra.as_bytes());
        t
    };
    let mut newer = serde_json::from_slice::<Value>(header).unwrap();
    newer["driftql_checkpoint"] = json!(2);
    assert_eq!(
        damaged(format!("{newer}\n").as_bytes()).await,
        "it is in format 2, and this driftql reads format 1"
    );
    assert!(damaged(&with("not json\n")).await.starts_with("line 5: "));
    assert_eq!(
        damaged(&with(
            "{\"done\":{\"window\":1,\"page\":0,\"reports\":1,\"billed\":true}}\n"
        ))
        .await,
        "line 5: window 1 has no page 0 in the plan"
    );
    assert_eq!(
        damaged(&with(
            "{\"done\":{\"window\":0,\"page\":15,\"reports\":1,\"billed\":true}}\n"
        ))
        .await,
        "line 5: window 0 has no page 15 in the plan"
    );
    assert_eq!(
        damaged(&with(
            "{\"done\":{\"window\":0,\"page\":4,\"reports\":1,\"billed\":true}}\n"
        ))
        .await,
        "line 5: page 4 of window 0 is not the next page of the plan"
    );
    // Blank lines are nothing; a page after one that ended its window early is one of those
    // that were in flight.
    std::fs::write(
        &file,
        with("\n{\"done\":{\"window\":0,\"page\":3,\"reports\":0,\"billed\":true,\"last\":true}}\n{\"done\":{\"window\":0,\"page\":7,\"reports\":0,\"billed\":true}}\n"),
    )
    .unwrap();
    let plan = everything().plan().await.unwrap();
    let r = plan.resumed().unwrap();
    assert_eq!((r.pages_done.as_slice(), r.complete), (&[15][..], false));
    assert_eq!(
        r.spent,
        1 + 2 + 2,
        "the probe, two pages, and the two lines added"
    );
    assert_eq!(plan.estimate().pages_to_fetch, 0);
    drop(plan);

    // Started against another server: said, and used.
    std::fs::write(&file, &good).unwrap();
    let other = start(&EXPORT.data);
    let plan = search(&client(&other.url()), "port-tcp:22")
        .everything()
        .checkpoint(&file)
        .plan()
        .await
        .unwrap();
    assert_eq!(
        plan.resumed().unwrap().other_api.as_deref(),
        Some(format!("{}/", s.url()).as_str())
    );
    assert_eq!(usage(&other), 0);
}

/// Reports on days of 2024 in known numbers, so that each cut of a plan over them is known: 50
/// on 01-01; 5,000 on each of 01-04 and 01-05; 6,000 on each of 01-06 and 01-07; 5,000 on
/// each of 01-08 and 01-09 (32,050 in all).
static CUTS: LazyLock<Export> = LazyLock::new(|| {
    on_days(
        &[
            ("2024-01-01", 50),
            ("2024-01-04", 5_000),
            ("2024-01-05", 5_000),
            ("2024-01-06", 6_000),
            ("2024-01-07", 6_000),
            ("2024-01-08", 5_000),
            ("2024-01-09", 5_000),
        ],
        "198.51",
    )
});

/// The days from `from` to `to`.
fn days(from: &str, to: &str) -> Window {
    Window::new(Some(day(from)), Some(day(to)))
}

/// `port-tcp:443` in `range` (of closed ends) through `c`.
fn dated(c: &Client, range: Window) -> SearchBuilder {
    search(c, "port-tcp:443")
        .from(range.from.unwrap())
        .to(range.to.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_of_exactly_the_cap_is_not_cut() {
    let s = start(&CUTS.data);
    let c = client(&s.url());
    let two_days = days("2024-01-08", "2024-01-09");
    let plan = dated(&c, two_days).everything().plan().await.unwrap();
    let w = plan.windows();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(
        (w[0].window, w[0].result_count, w[0].pages, w[0].over_cap),
        (two_days, 10_000, 100, false)
    );
    assert_eq!(plan.estimate().probes, 1);
    assert!(plan.shortfalls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_planning_the_budget_is_held_against_the_windows_done_and_those_to_cut() {
    let s = start(&CUTS.data);
    let c = client(&s.url());
    // 01-06 to 01-09: the newer half (01-08 and 01-09) holds 10,000, 100 pages with its probe;
    // the older one 12,000, to cut again. At least: the 3 probes, 99 pages, and 100 for the
    // cut.
    let four_days = days("2024-01-06", "2024-01-09");
    let within = |budget| dated(&c, four_days).everything().budget(budget).plan();
    assert_eq!(
        over_budget(within(201).await.unwrap_err()),
        (202, false, 201, 3)
    );
    // That least exactly: the planning goes on (the cut's two halves are leaves, 60 pages
    // each), to the whole plan's cost.
    let units = dated(&c, four_days)
        .everything()
        .plan()
        .await
        .unwrap()
        .estimate()
        .units;
    assert_eq!(units, 5 + 99 + 59 + 59);
    assert_eq!(
        over_budget(within(202).await.unwrap_err()),
        (units, true, 202, 5)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_cut_in_the_same_round_are_each_checked_against_their_own_halves() {
    let s = start(&CUTS.data);
    let c = client(&s.url());
    // Both halves of 01-01 to 01-09 are past the cap (10,050 and 22,000): their halves are
    // probed in the same round.
    let nine_days = days("2024-01-01", "2024-01-09");
    let plan = dated(&c, nine_days).everything().plan().await.unwrap();
    let w = plan.windows();
    assert_covers(w, nine_days);
    assert!(
        w.iter()
            .all(|w| !w.over_cap && w.halves_count.is_none() && w.result_count <= 10_000),
        "{w:?}"
    );
    assert_eq!(w.len(), 5, "{w:?}");
    assert_eq!(plan.estimate().result_count, 32_050);
    assert!(plan.shortfalls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_goes_on_takes_the_spooled_probes_within_a_budget_of_nothing() {
    let s = start(&CUTS.data);
    let c = client(&s.url());
    let dir = scratch("held-probe");
    let file = dir.join("run.checkpoint");
    // 01-01 to 01-05: 10,000 on 01-04 and 01-05, and 50 on 01-01, a window of one page (its
    // probe, spooled since the planning).
    let five_days = days("2024-01-01", "2024-01-05");
    let everything = || dated(&c, five_days).everything().checkpoint(&file);
    let plan = everything().plan().await.unwrap();
    let pages: Vec<u32> = plan.windows().iter().map(|w| w.pages).collect();
    assert_eq!(pages, [100, 1]);
    let mut h = plan.fetch();
    let shown = format!("{h:?}");
    assert!(shown.starts_with("Harvest { windows: 2, "), "{shown}");
    for page in 0..100 {
        let b = h.next_batch().await.unwrap().unwrap();
        assert_eq!((b.window, b.page), (0, page));
        h.commit(&b, None).unwrap();
    }
    assert_eq!(h.write_error(), None);
    drop(h);
    let paid = usage(&s);

    let plan = everything().budget(0).plan().await.unwrap();
    let e = plan.estimate();
    assert_eq!((e.pages_to_fetch, e.pages_held, e.units), (1, 1, 0));
    let mut h = plan.fetch();
    let rest = fetch_all(&mut h).await;
    assert_eq!(
        rest.iter()
            .map(|b| (b.window, b.page, b.reports.len(), b.billed))
            .collect::<Vec<_>>(),
        [(1, 0, 50, false)]
    );
    assert!(h.shortfalls().is_empty(), "{:?}", h.shortfalls());
    assert_eq!(usage(&s), paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spool_that_cannot_be_written_stops_nothing_and_is_told() {
    let s = start(&EXPORT.data);
    let c = client(&s.url());
    let dir = scratch("unwritable-spool");
    let file = dir.join("run.checkpoint");
    std::fs::write(dir.join("run.checkpoint.pages"), "where the spool would be").unwrap();
    let plan = search(&c, "port-tcp:22")
        .everything()
        .checkpoint(&file)
        .plan()
        .await
        .unwrap();
    let mut h = plan.fetch();
    let batches = fetch_all(&mut h).await;
    assert_eq!(delivered(&batches).len(), 1500);
    let error = h.write_error().expect("no page could be spooled");
    assert!(error.contains("run.checkpoint.pages"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_failed_page_the_pages_in_flight_arrive_and_are_kept() {
    let s = start(&EXPORT.data);
    let failing = proxy(s.url(), Misbehave::FailPage(3));
    // Pages 1 and 2, then page 3 fails while the pages after it are in flight: as many in
    // all as the client's concurrency.
    async fn to_the_failure(h: &mut Harvest) {
        for page in 0..3 {
            let b = h.next_batch().await.unwrap().unwrap();
            assert_eq!(b.page, page);
            h.commit(&b, None).unwrap();
        }
        assert_eq!(h.next_batch().await.unwrap().unwrap_err().page, 3);
        assert!(h.next_batch().await.is_none());
    }

    // With a cache, they are cached.
    let cache = Cache::new(scratch("failed-cache"));
    let c = builder(&failing).cache(cache.clone()).build().unwrap();
    let after_it = c.concurrency() as u64 - 1;
    assert!(after_it > 0);
    let mut h = plan_of(&c, "port-tcp:22").await.fetch();
    to_the_failure(&mut h).await;
    drop(h);
    // Paid: the probe, pages 1 and 2, and those in flight after 3.
    assert_eq!(usage(&s), 3 + after_it);
    assert_eq!(cache.stats().unwrap().pages, 3 + after_it);

    // With a checkpoint, they are spooled: the next run holds them.
    let before = usage(&s);
    let dir = scratch("failed-spool");
    let file = dir.join("run.checkpoint");
    let c = client(&failing);
    let plan = search(&c, "port-tcp:22")
        .everything()
        .checkpoint(&file)
        .plan()
        .await
        .unwrap();
    let mut h = plan.fetch();
    to_the_failure(&mut h).await;
    drop(h);
    assert_eq!(usage(&s) - before, 3 + after_it);
    let plan = search(&client(&s.url()), "port-tcp:22")
        .everything()
        .checkpoint(&file)
        .plan()
        .await
        .unwrap();
    let e = plan.estimate();
    assert_eq!((e.pages_done, e.pages_held), (3, after_it));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_that_ended_early_stays_ended_for_the_next_run() {
    let s = start(&EXPORT.data);
    let c = client(&proxy(s.url(), Misbehave::EmptyFrom(5)));
    let dir = scratch("ended-early");
    let file = dir.join("run.checkpoint");
    let everything = || search(&c, "port-tcp:22").everything().checkpoint(&file);
    let mut h = everything().plan().await.unwrap().fetch();
    for page in 0..=5 {
        let b = h.next_batch().await.unwrap().unwrap();
        assert_eq!(b.page, page);
        h.commit(&b, None).unwrap();
    }
    drop(h);
    let paid = usage(&s);
    // Page 5 came back empty: the window has nothing more.
    let plan = everything().plan().await.unwrap();
    let r = plan.resumed().unwrap();
    assert_eq!(
        (r.pages_done.as_slice(), r.reports, r.complete),
        (&[15][..], 500, false)
    );
    assert_eq!(plan.estimate().pages_to_fetch, 0);
    let mut h = plan.fetch();
    assert!(h.next_batch().await.is_none());
    drop(h);
    assert_eq!(usage(&s), paid);
}
