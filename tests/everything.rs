//! `--all`: every result past the API's cap, its plan and cost (`--explain`, `--budget`),
//! checkpoints and the cache — the command line against a real server on loopback, over the
//! built-in sample (where `port-tcp:443` matches about 16,000 reports across seven years),
//! its usage counter read back after each run.

#![cfg(feature = "cli")]

mod common;
mod server_support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use common::{assert_status, stderr, stdout};
use driftql::report::Report;
use driftql::server::sample::DEFAULT_SAMPLE;
use driftql::server::{Dataset, RunningServer};
use serde_json::{Value, json};

const TOKEN: &str = "plan-T0KEN-5ecret";
const QUERY: &str = "port-tcp:443";

/// The sample `driftql serve` serves by default.
static SAMPLE: LazyLock<Arc<Dataset>> = LazyLock::new(|| Arc::new(Dataset::sample(DEFAULT_SAMPLE)));

/// The same sample as an NDJSON export, written once.
static EXPORT: LazyLock<PathBuf> = LazyLock::new(|| {
    let path = scratch("sample").join("sample.ndjson");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for r in SAMPLE.reports() {
        serde_json::to_writer(&mut out, r).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
    path
});

/// The ids `driftql filter QUERY` finds in the export of the sample.
static FILTERED: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let o = common::driftql(&["filter", QUERY, EXPORT.to_str().unwrap()], "");
    assert_status(&o, 0);
    let ids = ids(&stdout(&o));
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(set.len(), ids.len());
    assert!(
        set.len() > 15_000,
        "{} reports: too few to pass the cap",
        set.len()
    );
    set
});

/// A directory of its own for one test, empty.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("driftql-everything-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A server of its own (its own usage counter) over `data`.
fn start(data: &Arc<Dataset>) -> RunningServer {
    server_support::start(data, TOKEN)
}

/// The search quota the server has counted.
fn usage(s: &RunningServer) -> u64 {
    server_support::usage(s, TOKEN)
}

/// `driftql search --api-url URL --token TOKEN ARGS`, with the cache directory `cache`.
fn search_at(url: &str, cache: &Path, args: &[&str]) -> Output {
    let mut all = vec!["search", "--api-url", url, "--token", TOKEN];
    all.extend_from_slice(args);
    Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(&all)
        .env_remove("DRIFTNET_API_TOKEN")
        .env_remove("DRIFTNET_API_URL")
        .env("DRIFTQL_CONFIG_DIR", common::no_config())
        .env("DRIFTQL_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn search(s: &RunningServer, cache: &Path, args: &[&str]) -> Output {
    search_at(&s.url(), cache, args)
}

/// The ids of NDJSON reports, in order.
fn ids(ndjson: &str) -> Vec<String> {
    ndjson
        .lines()
        .map(|l| serde_json::from_str::<Report>(l).unwrap().id)
        .collect()
}

/// Asserts that `ids` holds each id once, and exactly the set `want`.
#[track_caller]
fn assert_each_once(ids: &[String], want: &BTreeSet<String>) {
    let got: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(got.len(), ids.len(), "{} repeated", ids.len() - got.len());
    assert_eq!(got.len(), want.len());
    assert!(got == *want, "the reports differ from the expected set");
}

/// `--explain --output json` of `args`: the plan, and what the planning spent.
fn explain(s: &RunningServer, cache: &Path, args: &[&str]) -> (Value, u64) {
    let before = usage(s);
    let mut all = vec!["--all", "--explain", "--output", "json"];
    all.extend_from_slice(args);
    let o = search(s, cache, &all);
    assert_status(&o, 0);
    let plan: Value = serde_json::from_str(&stdout(&o)).unwrap();
    (plan, usage(s) - before)
}

fn estimate(plan: &Value, field: &str) -> u64 {
    plan["estimate"][field].as_u64().unwrap()
}

fn day(d: &Value) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    d.as_str().map(|s| time::Date::parse(s, format).unwrap())
}

/// Asserts that the windows (newest first) cover `from` to `to` exactly: each starts the day
/// after the next one ends, the newest ends at `to`, the oldest starts at `from`.
#[track_caller]
fn assert_covers(windows: &[Value], from: Option<&str>, to: Option<&str>) {
    let date = |s: Option<&str>| day(&s.map_or(Value::Null, |s| json!(s)));
    assert_eq!(day(&windows[0]["to"]), date(to));
    assert_eq!(day(&windows[windows.len() - 1]["from"]), date(from));
    for pair in windows.windows(2) {
        let (newer, older) = (&pair[0], &pair[1]);
        let older_to = day(&older["to"]).unwrap();
        assert_eq!(day(&newer["from"]), older_to.next_day(), "{pair:?}");
    }
}

#[test]
fn every_result_past_the_cap_is_delivered_once_at_the_cost_planned() {
    let s = start(&SAMPLE);
    let cache = scratch("all");
    let (plan, spent) = explain(&s, &cache, &[QUERY]);
    // The planning cost its probes, and nothing more.
    assert_eq!(spent, estimate(&plan, "probes"));
    assert_eq!(spent, estimate(&plan, "probes_billed"));
    let windows = plan["windows"].as_array().unwrap();
    assert!(windows.len() > 1, "{plan}");
    assert_covers(windows, None, None);
    for w in windows {
        let count = w["result_count"].as_u64().unwrap();
        assert!(count <= 10_000, "{w}");
        assert_eq!(w["pages"].as_u64().unwrap(), count.div_ceil(100).max(1));
        assert_eq!(w["over_cap"], json!(false));
    }
    let count: u64 = windows
        .iter()
        .map(|w| w["result_count"].as_u64().unwrap())
        .sum();
    assert_eq!(count as usize, FILTERED.len());
    assert_eq!(estimate(&plan, "result_count"), count);
    assert_eq!(estimate(&plan, "reports"), count);
    // Each window's probe is its first page: only the others are left to fetch.
    let pages: u64 = windows.iter().map(|w| w["pages"].as_u64().unwrap()).sum();
    assert_eq!(estimate(&plan, "pages"), pages);
    assert_eq!(estimate(&plan, "pages_in_hand"), windows.len() as u64);
    assert_eq!(
        estimate(&plan, "pages_to_fetch"),
        pages - windows.len() as u64
    );
    let units = estimate(&plan, "units");
    assert_eq!(units, spent + pages - windows.len() as u64);
    assert!(plan["quota_left"].as_u64().unwrap() > 0);

    // The run spends what the plan said, and delivers each matching report once.
    let before = usage(&s);
    let o = search(&s, &cache, &["--all", QUERY]);
    assert_status(&o, 0);
    assert_eq!(
        stderr(&o),
        "",
        "no warning, and no progress bar off a terminal"
    );
    assert_each_once(&ids(&stdout(&o)), &FILTERED);
    assert_eq!(usage(&s) - before, units);
}

#[test]
fn the_plain_text_plan_names_the_request_windows_cost_and_quota() {
    let s = start(&SAMPLE);
    let cache = scratch("text");
    let query = "PORT-TCP:443  AND  (geo-country=\"US\")";
    let (plan, _) = explain(&s, &cache, &[query]);
    let before = usage(&s);
    let o = search(&s, &cache, &["--all", "--explain", query]);
    assert_status(&o, 0);
    let text = stdout(&o);
    assert!(
        text.starts_with(&format!("request  GET {}/v1/scan/protocols\n", s.url())),
        "{text}"
    );
    assert!(
        text.contains("         expression=(port-tcp:443 and geo-country=US)\n"),
        "{text}"
    );
    assert_eq!(estimate(&plan, "windows"), 1);
    assert!(text.contains("in 1 window (newest first):"), "{text}");
    let pages = estimate(&plan, "pages");
    assert!(
        text.contains(&format!(
            "cost     {pages} quota units: 1 probe spent planning + {} pages to fetch",
            pages - 1
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("quota    {} units left", 100_000 - before - 1)),
        "{text}"
    );
    assert!(!text.contains(TOKEN));
}

#[test]
fn a_budget_below_the_plan_spends_nothing_beyond_the_planning() {
    let s = start(&SAMPLE);
    let cache = scratch("budget");
    let (plan, probes) = explain(&s, &cache, &[QUERY]);
    let units = estimate(&plan, "units");

    // Refused once planned: the probes were spent, nothing else.
    let before = usage(&s);
    let below = (units - 1).to_string();
    let o = search(&s, &cache, &["--all", "--budget", &below, QUERY]);
    assert_status(&o, 1);
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains(&format!(
            "the search would cost {units} quota units, more than the budget of {below}"
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(usage(&s) - before, probes);

    // A budget far too small stops the planning at its first probe.
    let before = usage(&s);
    let o = search(&s, &cache, &["--all", "--budget", "20", QUERY]);
    assert_status(&o, 1);
    assert!(stderr(&o).contains("would cost at least"), "{}", stderr(&o));
    assert_eq!(usage(&s) - before, 1);

    // The budget the plan needs is enough, and is what is spent.
    let before = usage(&s);
    let exact = units.to_string();
    let o = search(&s, &cache, &["--all", "--budget", &exact, QUERY]);
    assert_status(&o, 0);
    assert_eq!(usage(&s) - before, units);
    assert_each_once(&ids(&stdout(&o)), &FILTERED);
}

#[test]
fn the_cache_answers_a_second_run_and_the_same_query_written_differently() {
    let s = start(&SAMPLE);
    let cache = scratch("cache");
    let plain = "port-tcp:443 and geo-country=US";
    let respelled = "PORT-TCP:443  AND  (geo-country=\"US\")";

    // After --explain --cache, the probes are held: a budget below the pages left spends
    // nothing at all.
    let (plan, probes) = explain(&s, &cache, &["--cache", QUERY]);
    assert!(probes > 1);
    let (held, spent) = explain(&s, &cache, &["--cache", QUERY]);
    assert_eq!(spent, 0, "the second planning is answered from the cache");
    assert_eq!(estimate(&held, "probes_billed"), 0);
    let left = estimate(&held, "units");
    assert_eq!(left, estimate(&plan, "units") - probes);
    let before = usage(&s);
    let below = (left - 1).to_string();
    let o = search(&s, &cache, &["--all", "--cache", "--budget", &below, QUERY]);
    assert_status(&o, 1);
    assert_eq!(usage(&s), before);

    // A run with the cache, then the same again: the second costs nothing.
    let before = usage(&s);
    let first = search(&s, &cache, &["--all", "--cache", plain]);
    assert_status(&first, 0);
    let spent = usage(&s) - before;
    assert!(spent > 30, "{spent}");
    let again = search(&s, &cache, &["--all", "--cache", plain]);
    assert_status(&again, 0);
    let respelt = search(&s, &cache, &["--all", "--cache", respelled]);
    assert_status(&respelt, 0);
    assert_eq!(
        usage(&s) - before,
        spent,
        "both later runs were answered from the cache"
    );
    assert_eq!(stdout(&again), stdout(&first));
    assert_eq!(stdout(&respelt), stdout(&first));

    // Without --cache, the same search is paid for again.
    let before = usage(&s);
    assert_status(&search(&s, &cache, &["--all", plain]), 0);
    assert_eq!(usage(&s) - before, spent);

    // The cache's files hold pages, never the token.
    for entry in walk(&cache) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(!text.contains(TOKEN), "{}", entry.display());
    }
    let stats = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(["cache", "stats", "--output", "json"])
        .env("DRIFTQL_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert_status(&stats, 0);
    let stats: Value = serde_json::from_str(&stdout(&stats)).unwrap();
    assert_eq!(stats["expired"], json!(0));
    assert!(stats["pages"].as_u64().unwrap() >= spent + probes);
    let cleared = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(["cache", "clear"])
        .env("DRIFTQL_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert_status(&cleared, 0);
    assert!(stderr(&cleared).contains(&format!("removed {} pages", stats["pages"])));
    assert!(walk(&cache).is_empty());
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_checkpoint_goes_on_where_a_broken_run_stopped_and_pays_each_page_once() {
    let s = start(&SAMPLE);
    let dir = scratch("checkpoint");
    let (plan, _) = explain(&s, &dir, &[QUERY]);
    let units = estimate(&plan, "units");
    let checkpoint = dir.join("run.checkpoint");
    let out = dir.join("out.ndjson");
    let (ck, o) = (checkpoint.to_str().unwrap(), out.to_str().unwrap());
    let args = [
        "--all",
        "--checkpoint",
        ck,
        "-o",
        o,
        "--max-retries",
        "0",
        QUERY,
    ];

    // The first run loses its connection after 60 requests.
    let before = usage(&s);
    let proxy = server_support::cut_off_after(s.url(), 60);
    let first = search_at(&proxy, &dir, &args);
    assert_status(&first, 4);
    assert!(
        stderr(&first).contains("run the same command again to go on"),
        "{}",
        stderr(&first)
    );
    let printed = ids(&std::fs::read_to_string(&out).unwrap());
    assert!(printed.len() > 1000, "{}", printed.len());
    assert!(
        std::fs::metadata(format!("{ck}.pages")).is_ok(),
        "pages in flight are kept"
    );

    // The second goes on: every report once, each page paid for once.
    let second = search(&s, &dir, &args);
    assert_status(&second, 0);
    assert!(
        stderr(&second).contains(&format!("going on from {ck}")),
        "{}",
        stderr(&second)
    );
    assert!(
        stderr(&second).contains(&format!("was started against {proxy}/; going on against")),
        "{}",
        stderr(&second)
    );
    let all = ids(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(all[..printed.len()], printed[..]);
    assert_each_once(&all, &FILTERED);
    assert_eq!(usage(&s) - before, units);
    assert!(
        std::fs::metadata(format!("{ck}.pages")).is_err(),
        "the spool is gone"
    );

    // A third run has nothing left to do.
    let before = usage(&s);
    let third = search(&s, &dir, &args);
    assert_status(&third, 0);
    assert!(stderr(&third).contains("records this search as complete"));
    assert_eq!(usage(&s), before);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().lines().count(),
        all.len()
    );

    // The checkpoint of another search is refused, before anything is sent.
    let before = usage(&s);
    let other = search(&s, &dir, &["--all", "--checkpoint", ck, "port-tcp:80"]);
    assert_status(&other, 1);
    assert!(
        stderr(&other).contains("belongs to another search"),
        "{}",
        stderr(&other)
    );
    assert_eq!(usage(&s), before);
}

#[test]
fn a_checkpoint_survives_a_kill_at_any_moment() {
    let s = start(&SAMPLE);
    let dir = scratch("kill");
    let (plan, _) = explain(&s, &dir, &[QUERY]);
    let units = estimate(&plan, "units");
    let checkpoint = dir.join("run.checkpoint");
    let out = dir.join("out.ndjson");
    let (ck, o) = (checkpoint.to_str().unwrap(), out.to_str().unwrap());
    let url = s.url();
    let args = [
        "search",
        "--api-url",
        &url,
        "--token",
        TOKEN,
        "--all",
        "--checkpoint",
        ck,
        "-o",
        o,
        QUERY,
    ];

    let before = usage(&s);
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed (SIGKILL) once it has written some reports, in the middle of whatever it does.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let lines = std::fs::File::open(&out)
            .map(|f| BufReader::new(f).lines().count())
            .unwrap_or(0);
        if lines >= 4321 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the first run was killed before its end");
    let recorded = std::fs::read_to_string(&checkpoint).unwrap();
    assert!(!recorded.contains("\"complete\""), "{recorded}");

    let again = common::driftql(&args, "");
    assert_status(&again, 0);
    assert!(
        stderr(&again).contains("going on from"),
        "{}",
        stderr(&again)
    );
    let all = ids(&std::fs::read_to_string(&out).unwrap());
    assert_each_once(&all, &FILTERED);
    // At most the pages in flight when it was killed (the client's 5) were paid twice.
    let spent = usage(&s) - before;
    assert!(
        (units..=units + 5).contains(&spent),
        "{spent} for a plan of {units}"
    );
}

/// A report of `day` with an HTTPS port.
fn https_report(day: &str, id: String) -> Report {
    serde_json::from_value(json!({
        "date": day,
        "id": id,
        "items": [
            {"type": "ip", "context": "", "value": "192.0.2.1", "is_metadata": true},
            {"type": "port-tcp", "context": "", "value": "443", "is_metadata": true},
        ]
    }))
    .unwrap()
}

#[test]
fn a_day_over_the_cap_is_fetched_to_the_cap_and_named() {
    let mut reports = Vec::new();
    for (day, n) in [
        ("2024-05-06", 30),
        ("2024-05-05", 10_050),
        ("2024-05-04", 120),
    ] {
        reports.extend((0..n).map(|i| https_report(day, format!("{day}-{i:05}"))));
    }
    let data = Arc::new(Dataset::new(reports).unwrap());
    let s = start(&data);
    let dir = scratch("day");
    let (plan, _) = explain(&s, &dir, &[QUERY]);
    let over: Vec<&Value> = plan["windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["over_cap"] == json!(true))
        .collect();
    assert_eq!(over.len(), 1, "{plan}");
    assert_eq!(
        (&over[0]["from"], &over[0]["to"]),
        (&json!("2024-05-05"), &json!("2024-05-05"))
    );
    assert_eq!(estimate(&plan, "unreachable"), 50);

    let o = search(&s, &dir, &["--all", QUERY]);
    assert_status(&o, 0);
    let got = ids(&stdout(&o));
    assert_eq!(got.len(), 30 + 10_000 + 120);
    assert_eq!(got.iter().collect::<BTreeSet<_>>().len(), got.len());
    assert!(
        stderr(&o).contains(
            "warning: 2024-05-05: 10050 results in one day, and the API serves at most 10000 \
             of a search; a day cannot be split further, so 50 were not fetched"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_date_range_is_covered_exactly() {
    let s = start(&SAMPLE);
    let dir = scratch("range");
    let (plan, _) = explain(
        &s,
        &dir,
        &["--from", "2020-03-01", "--to", "2024-10-31", QUERY],
    );
    let windows = plan["windows"].as_array().unwrap();
    assert!(windows.len() > 1, "{plan}");
    assert_covers(windows, Some("2020-03-01"), Some("2024-10-31"));
    // As many as one search of the range counts.
    let auth = format!("Bearer {TOKEN}");
    let target = format!(
        "/v1/scan/protocols?{}",
        server_support::query(&[
            ("expression", QUERY),
            ("from", "2020-03-01"),
            ("to", "2024-10-31")
        ])
    );
    let page = server_support::get_with(s.addr(), &target, &[("Authorization", &auth)]);
    assert_eq!(
        estimate(&plan, "result_count"),
        page.json()["result_count"].as_u64().unwrap()
    );
}

#[test]
fn what_a_checkpoint_cannot_be_used_for_is_refused() {
    let s = start(&SAMPLE);
    let dir = scratch("refused");
    let checkpoint = dir.join("bad.checkpoint");
    let ck = checkpoint.to_str().unwrap();
    std::fs::write(&checkpoint, "{\"not\": \"a checkpoint\"}\n").unwrap();
    let o = search(&s, &dir, &["--all", "--checkpoint", ck, QUERY]);
    assert_status(&o, 1);
    assert!(
        stderr(&o).contains("is not a driftql checkpoint"),
        "{}",
        stderr(&o)
    );
    // A JSON document cannot be continued.
    let o = search(
        &s,
        &dir,
        &["--all", "--checkpoint", ck, "--output", "json", QUERY],
    );
    assert_status(&o, 2);
    // The flags of a plan need --all.
    for flag in [["--explain", ""], ["--budget", "5"], ["--checkpoint", ck]] {
        let args: Vec<&str> = flag
            .iter()
            .copied()
            .filter(|a| !a.is_empty())
            .chain([QUERY])
            .collect();
        assert_status(&search(&s, &dir, &args), 2);
    }
}

#[test]
fn the_readme_example_runs_as_shown() {
    let readme = include_str!("../README.md");
    let s = start(&SAMPLE);
    let dir = scratch("readme");
    let shown = |o: &Output| stdout(o).replace(&s.url(), "http://127.0.0.1:8080");
    let o = search(&s, &dir, &["--all", "--explain", QUERY]);
    assert_status(&o, 0);
    let explained = shown(&o);
    assert!(
        readme.contains(&format!(
            "$ driftql search --all --explain {QUERY}\n{explained}$ "
        )),
        "{explained}"
    );
    let o = search(&s, &dir, &["--all", QUERY]);
    assert_status(&o, 0);
    let lines = stdout(&o).lines().count();
    assert!(readme.contains(&format!("$ wc -l < all.ndjson\n{lines}\n")));
    let used = usage(&s);
    assert!(
        readme.contains(&format!("searches    {used} / 100000\n")),
        "{used}"
    );
    let o = search(&s, &dir, &["--all", "--budget", "100", QUERY]);
    assert_status(&o, 1);
    assert!(readme.contains(&format!("--budget 100 {QUERY}\n{}", stderr(&o))));
}

#[test]
fn a_summary_explained_costs_nothing_and_says_its_most() {
    let s = start(&SAMPLE);
    let url = s.url();
    let before = usage(&s);
    let summarize = |limit: &str| {
        common::driftql(
            &[
                "summarize",
                "port-tcp",
                QUERY,
                "--limit",
                limit,
                "--explain",
                "--output",
                "json",
                "--api-url",
                &url,
                "--token",
                TOKEN,
            ],
            "",
        )
    };
    for (limit, most) in [("100", 1), ("10000", 1), ("10001", 2), ("25000", 3)] {
        let o = summarize(limit);
        assert_status(&o, 0);
        let plan: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(plan["max_units"], json!(most), "{plan}");
        assert_eq!(plan["quota_left"], json!(100_000 - before));
    }
    assert_eq!(usage(&s), before);
}

#[test]
fn on_a_terminal_one_progress_bar_goes_to_standard_error() {
    // `script` (util-linux) runs the command on a pseudo-terminal, and copies what the
    // terminal shows to its own standard output.
    let s = start(&SAMPLE);
    let dir = scratch("terminal");
    let (plan, _) = explain(&s, &dir, &[QUERY]);
    let out = dir.join("out.ndjson");
    let command = format!(
        "{} search --api-url {} --token {TOKEN} --all {QUERY} > {}",
        env!("CARGO_BIN_EXE_driftql"),
        s.url(),
        out.display()
    );
    let o = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    assert_status(&o, 0);
    let terminal = String::from_utf8_lossy(&o.stdout);
    assert!(terminal.contains(" pages "), "{terminal}");
    assert!(terminal.contains("ETA"), "{terminal}");
    assert!(
        terminal.contains(&format!(
            "driftql: {} reports from {} windows, {} pages; {} quota units spent",
            FILTERED.len(),
            estimate(&plan, "windows"),
            estimate(&plan, "pages"),
            estimate(&plan, "units"),
        )),
        "{terminal}"
    );
    assert!(!terminal.contains("\"id\""), "no report on the terminal");
    // Standard output holds the reports, and nothing of the bar.
    assert_each_once(&ids(&std::fs::read_to_string(&out).unwrap()), &FILTERED);
}

#[test]
fn no_budget_is_passed_even_while_planning() {
    let s = start(&SAMPLE);
    let dir = scratch("budget-planning");
    // A budget of 0 sends nothing.
    let o = search(&s, &dir, &["--all", "--budget", "0", QUERY]);
    assert_status(&o, 1);
    assert_eq!(usage(&s), 0);
    // With a cache that holds nothing yet, a round of probes goes out only when the budget
    // allows all of it: the first probe (1), then not the two halves (1 + 2 > 2).
    let o = search(&s, &dir, &["--all", "--cache", "--budget", "2", QUERY]);
    assert_status(&o, 1);
    assert!(
        stderr(&o).contains("would cost at least 3"),
        "{}",
        stderr(&o)
    );
    assert_eq!(usage(&s), 1);
    // The same with a checkpoint (the probe above is in the cache, not in the checkpoint).
    let ck = dir.join("run.checkpoint");
    let ck = ck.to_str().unwrap();
    let o = search(
        &s,
        &dir,
        &["--all", "--checkpoint", ck, "--budget", "2", QUERY],
    );
    assert_status(&o, 1);
    assert_eq!(usage(&s), 2);
}

#[test]
fn a_cached_page_that_cannot_be_read_is_paid_for_within_the_budget() {
    let s = start(&SAMPLE);
    let cache = scratch("damaged-cache");
    let query = "port-tcp:443 and geo-country=US";
    let full = search(&s, &cache, &["--all", "--cache", query]);
    assert_status(&full, 0);
    // The file the cache holds page `n` in (pages count from 0).
    let cached_page = |n: u64| {
        walk(&cache)
            .into_iter()
            .find(|p| {
                let entry: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
                entry["page"]["page"] == json!(n)
            })
            .unwrap_or_else(|| panic!("page {n} is cached"))
    };
    // One page past the first is damaged: it looks held, but cannot be read. (Not the first
    // page: the plan counts with it, see below.)
    let victim = cached_page(5);
    std::fs::write(&victim, b"{\"key\": \"damaged").unwrap();
    let before = usage(&s);
    let o = search(&s, &cache, &["--all", "--cache", "--budget", "0", query]);
    assert_status(&o, 0);
    assert_eq!(usage(&s), before, "nothing is paid past a budget of 0");
    assert!(
        stderr(&o).contains("warning: the budget of 0 quota units stopped the search with"),
        "{}",
        stderr(&o)
    );
    assert!(ids(&stdout(&o)).len() < ids(&stdout(&full)).len());
    // With a budget of one, the damaged page is fetched (and cached again): every report.
    let o = search(&s, &cache, &["--all", "--cache", "--budget", "1", query]);
    assert_status(&o, 0);
    assert_eq!(usage(&s), before + 1);
    assert_eq!(stdout(&o), stdout(&full));
    // The first page damaged: the plan cannot count without paying for it, so a budget of 0
    // fetches nothing and says so.
    std::fs::write(cached_page(0), b"{\"key\": \"damaged").unwrap();
    let o = search(&s, &cache, &["--all", "--cache", "--budget", "0", query]);
    assert_status(&o, 1);
    assert_eq!(usage(&s), before + 1);
    assert!(
        stderr(&o).contains("would cost at least 1 quota units, more than the budget of 0"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn most_recent_keeps_one_report_per_pair_across_windows() {
    // 11,000 services, each scanned in 2023 and again in 2025: one search with most_recent
    // counts 11,000, past the cap, so the plan has several windows, each of which keeps the
    // newest report of a pair within its own dates.
    let mut reports = Vec::new();
    for i in 0..11_000u32 {
        let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
        for (year, tag) in [("2025", "new"), ("2023", "old")] {
            let day = format!("{year}-06-{:02}", 1 + i % 28);
            let mut r = https_report(&day, format!("{tag}-{i}"));
            r.items[0].value = ip.clone();
            reports.push(r);
        }
    }
    let data = Arc::new(Dataset::new(reports).unwrap());
    let s = start(&data);
    let dir = scratch("most-recent");
    let (plan, _) = explain(&s, &dir, &["--most-recent", QUERY]);
    assert!(plan["windows"].as_array().unwrap().len() > 1, "{plan}");
    let o = search(&s, &dir, &["--all", "--most-recent", QUERY]);
    assert_status(&o, 0);
    let got = ids(&stdout(&o));
    assert_eq!(got.len(), 11_000);
    assert!(
        got.iter().all(|id| id.starts_with("new-")),
        "the newest report of each pair"
    );
    assert!(
        stderr(&o).contains("older reports of {ip, port} pairs"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn probes_paid_for_before_a_failed_planning_are_not_paid_again() {
    let s = start(&SAMPLE);
    let dir = scratch("planning-failed");
    let (plan, _) = explain(&s, &dir, &[QUERY]);
    let units = estimate(&plan, "units");
    let checkpoint = dir.join("run.checkpoint");
    let out = dir.join("out.ndjson");
    let (ck, o) = (checkpoint.to_str().unwrap(), out.to_str().unwrap());
    let args = [
        "--all",
        "--checkpoint",
        ck,
        "-o",
        o,
        "--max-retries",
        "0",
        QUERY,
    ];
    let before = usage(&s);
    // The connection gives out after the first probe and one of the two halves.
    let proxy = server_support::cut_off_after(s.url(), 2);
    let first = search_at(&proxy, &dir, &args);
    assert_status(&first, 4);
    assert!(!checkpoint.exists(), "no plan was made");
    let second = search(&s, &dir, &args);
    assert_status(&second, 0);
    assert_each_once(&ids(&std::fs::read_to_string(&out).unwrap()), &FILTERED);
    assert_eq!(usage(&s) - before, units);
}

#[test]
fn a_checkpointed_csv_goes_on_in_the_same_shape_with_one_header() {
    let s = start(&SAMPLE);
    let dir = scratch("checkpoint-csv");
    let checkpoint = dir.join("run.checkpoint");
    let out = dir.join("out.csv");
    let (ck, o) = (checkpoint.to_str().unwrap(), out.to_str().unwrap());
    let args = [
        "--all",
        "--checkpoint",
        ck,
        "-o",
        o,
        "--output",
        "csv",
        "--fields",
        "id,date,ip",
        "--max-retries",
        "0",
        QUERY,
    ];
    let proxy = server_support::cut_off_after(s.url(), 40);
    assert_status(&search_at(&proxy, &dir, &args), 4);
    // Another shape is refused.
    for (flag, value) in [("--output", "ndjson"), ("--fields", "id,ip")] {
        let mut other = args.to_vec();
        let at = other.iter().position(|a| *a == flag).unwrap();
        other[at + 1] = value;
        let o = search(&s, &dir, &other);
        assert_status(&o, 1);
        assert!(
            stderr(&o).contains("were written as csv --fields id,date,ip"),
            "{}",
            stderr(&o)
        );
    }
    let second = search(&s, &dir, &args);
    assert_status(&second, 0);
    let text = std::fs::read_to_string(&out).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["id", "date", "ip"]);
    let ids: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    assert_each_once(&ids, &FILTERED);
    assert_eq!(text.matches("id,date,ip\n").count(), 1);
}
