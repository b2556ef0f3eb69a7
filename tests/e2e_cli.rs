//! The command line end to end: `driftql serve` started as a program, then `driftql search`,
//! `summarize`, `quota`, `prioritize` and `filter` run against it, their output checked against
//! a direct evaluation of the same sample in this process.

#![cfg(all(feature = "cli", feature = "server"))]

mod server_support;

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::LazyLock;

use common::{assert_status, stderr, stdout};
use driftql::server::Dataset;
use driftql::{Item, MatchOptions, Report};
use serde_json::Value;
use server_support::get;

const TOKEN: &str = "cli-e2e-T0KEN";
/// The sample the servers serve: the same reports `Dataset::sample` builds here.
const SAMPLE: usize = 5000;

static DATA: LazyLock<Dataset> = LazyLock::new(|| Dataset::sample(SAMPLE));

use common::Serving;

/// Starts `driftql serve ARGS --addr 127.0.0.1:0 --token TOKEN` and reads the URL it prints.
fn serve(args: &[&str]) -> Serving {
    let mut with_token = args.to_vec();
    with_token.extend(["--token", TOKEN]);
    common::serve(&with_token)
}

fn serve_sample() -> Serving {
    serve(&["--sample", &SAMPLE.to_string()])
}

/// Runs `driftql ARGS` with `stdin`, the API variables removed from the environment.
fn driftql_with(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(args)
        .env_remove("DRIFTNET_API_TOKEN")
        .env_remove("DRIFTNET_API_URL")
        .env("DRIFTQL_CONFIG_DIR", common::no_config())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The command may exit without reading standard input.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().unwrap()
}

fn driftql(args: &[&str]) -> Output {
    driftql_with(args, b"")
}

/// `driftql COMMAND --api-url URL --token TOKEN ARGS`.
fn api(s: &Serving, command: &str, args: &[&str]) -> Output {
    let mut all = vec![command, "--api-url", &s.url, "--token", TOKEN];
    all.extend_from_slice(args);
    driftql(&all)
}

/// The reports of NDJSON output.
fn reports(o: &Output) -> Vec<Report> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Vec<String> {
    reports.into_iter().map(|r| r.id.clone()).collect()
}

/// The sample's reports matching `expr`, newest first, by direct evaluation.
fn direct(expr: &str, options: MatchOptions) -> Vec<&'static Report> {
    let m = driftql::parse(expr).unwrap().matcher(&options);
    DATA.reports().filter(|r| m.matches(r)).collect()
}

/// `api_usage` and `priority_usage`, as `driftql quota --output json` reports them.
fn usage(s: &Serving) -> (u64, u64) {
    let o = api(s, "quota", &["--output", "json"]);
    assert_status(&o, 0);
    let q: Value = serde_json::from_str(&stdout(&o)).unwrap();
    (
        q["quota"]["api_usage"].as_u64().unwrap(),
        q["quota"]["priority_usage"].as_u64().unwrap(),
    )
}

// ---------------------------------------------------------------------------------------------
// search

#[test]
fn search_prints_one_page_or_every_page_as_ndjson() {
    let s = serve_sample();
    let expr = "protocol=ssh";
    let want = direct(expr, MatchOptions::default());
    assert!(want.len() > 300, "{}", want.len());

    // The first page: the reports themselves, in the server's order.
    let o = api(&s, "search", &[expr]);
    assert_status(&o, 0);
    let got = reports(&o);
    let first: Vec<Report> = want[..100].iter().map(|r| (*r).clone()).collect();
    assert_eq!(got, first);
    assert_eq!(stderr(&o), "");

    // Another page.
    let o = api(&s, "search", &[expr, "--page", "2"]);
    assert_status(&o, 0);
    assert_eq!(ids(&reports(&o)), ids(want[200..300].iter().copied()));

    // Every page, nothing lost or repeated, nothing truncated.
    let o = api(&s, "search", &[expr, "--all"]);
    assert_status(&o, 0);
    assert_eq!(ids(&reports(&o)), ids(want.iter().copied()));
    assert_eq!(stderr(&o), "");

    // A budget: its pages, and a warning on standard error.
    let o = api(&s, "search", &[expr, "--max-pages", "2"]);
    assert_status(&o, 0);
    assert_eq!(ids(&reports(&o)), ids(want[..200].iter().copied()));
    assert_eq!(
        stderr(&o),
        format!(
            "warning: {} results match in {} pages; the page budget stops before page 2\n",
            want.len(),
            want.len().div_ceil(100)
        )
    );
}

#[test]
fn search_json_output_is_one_document() {
    let s = serve_sample();
    let expr = "product-tag:hikvision* and geo-country=CN";
    let want = direct(expr, MatchOptions::default());
    assert!(!want.is_empty());
    let o = api(&s, "search", &[expr, "--all", "--output", "json"]);
    assert_status(&o, 0);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["result_count"], want.len());
    assert_eq!(doc["pages"], want.len().div_ceil(100));
    let got: Vec<Report> = serde_json::from_value(doc["results"].clone()).unwrap();
    assert_eq!(ids(&got), ids(want.iter().copied()));

    // Nothing matching: an empty document, exit 0.
    let o = api(
        &s,
        "search",
        &["title:zzzz-nothing-has-this", "--output", "json"],
    );
    assert_status(&o, 0);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["result_count"], 0);
    assert_eq!(doc["results"], serde_json::json!([]));
    let o = api(&s, "search", &["title:zzzz-nothing-has-this"]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "");
}

#[test]
fn search_passes_every_filter_on() {
    let s = serve_sample();
    let all = |args: &[&str]| {
        let mut v = args.to_vec();
        v.push("--all");
        let o = api(&s, "search", &v);
        assert_status(&o, 0);
        reports(&o)
    };

    // --filter: like an added term.
    let got = all(&["geo-country=US", "--filter", "port-tcp:443"]);
    let want = direct("geo-country=US and port-tcp:443", MatchOptions::default());
    assert!(!want.is_empty());
    assert_eq!(ids(&got), ids(want));

    // --ip with --indirect: certificates name private addresses no host is scanned at.
    let o = api(&s, "search", &["--ip", "10.0.0.0/8"]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "");
    let got = all(&["--ip", "10.0.0.0/8", "--indirect"]);
    let want = direct("ip:10.0.0.0/8", MatchOptions::default());
    assert!(!want.is_empty());
    assert_eq!(ids(&got), ids(want));

    // --from/--to: an inclusive window.
    let got = all(&["protocol=ssh", "--from", "2023-01-01", "--to", "2023-06-30"]);
    let want: Vec<&Report> = direct("protocol=ssh", MatchOptions::default())
        .into_iter()
        .filter(|r| r.date.as_str() >= "2023-01-01" && r.date.as_str() <= "2023-06-30")
        .collect();
    assert!(!want.is_empty());
    assert_eq!(ids(&got), ids(want));

    // --most-recent: one report for each address and port, the newest.
    let every = all(&["protocol=ssh"]);
    let newest = all(&["protocol=ssh", "--most-recent"]);
    assert!(newest.len() < every.len());
    let mut seen = BTreeSet::new();
    let want: Vec<&Report> = every
        .iter()
        .filter(|r| seen.insert((scanned(r, "ip"), scanned(r, "port-tcp"))))
        .collect();
    assert_eq!(ids(&newest), ids(want));

    // --slop and --host-in-url.
    let phrase = r#"entity:"university london""#;
    assert!(all(&[phrase]).is_empty());
    let got = all(&[phrase, "--slop", "1"]);
    let want = direct(phrase, MatchOptions::default().with_slop(1));
    assert!(!want.is_empty());
    assert_eq!(ids(&got), ids(want));
    assert!(all(&["host:code.jquery.com"]).is_empty());
    let got = all(&["host:code.jquery.com", "--host-in-url"]);
    let want = direct(
        "host:code.jquery.com",
        MatchOptions::default().with_host_in_url(true),
    );
    assert!(!want.is_empty());
    assert_eq!(ids(&got), ids(want));

    // --domains: the hosts scanned by name.
    let got = all(&["port-tcp:443", "--domains"]);
    let want: Vec<&Report> = direct("port-tcp:443", MatchOptions::default())
        .into_iter()
        .filter(|r| {
            r.items
                .iter()
                .any(|i| i.ty == "host" && i.context.is_empty())
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(ids(&got), ids(want));
}

/// The value of the first item of type `ty` in the empty context.
fn scanned(r: &Report, ty: &str) -> String {
    r.items
        .iter()
        .find(|i| i.ty == ty && i.context.is_empty())
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

#[test]
fn search_reads_the_expression_from_standard_input() {
    let s = serve_sample();
    let expr =
        r#"http-header;Content-Type="text/html; charset=UTF-8" and title:"Welcome to nginx!""#;
    let want = direct(expr, MatchOptions::default());
    assert!(!want.is_empty());
    let o = driftql_with(
        &[
            "search",
            "-",
            "--all",
            "--api-url",
            &s.url,
            "--token",
            TOKEN,
        ],
        expr.as_bytes(),
    );
    assert_status(&o, 0);
    assert_eq!(ids(&reports(&o)), ids(want));
}

/// 10,250 minimal reports in an NDJSON file, all matching `port-tcp:1`.
fn over_the_cap_file() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e_cli-over-the-cap.ndjson");
    let mut text = String::new();
    for i in 0..10_250 {
        let r = Report {
            date: format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
            id: format!("r{i:05}"),
            items: vec![Item::new("port-tcp", "", "1")],
        };
        text.push_str(&serde_json::to_string(&r).unwrap());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_page_budget_stops_at_the_page_cap_and_all_goes_past_it() {
    let path = over_the_cap_file();
    let s = serve(&["--data", path.to_str().unwrap()]);
    let o = api(&s, "search", &["port-tcp:1", "--max-pages", "100"]);
    assert_status(&o, 0);
    let got = reports(&o);
    assert_eq!(got.len(), 10_000);
    let unique: BTreeSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(unique.len(), 10_000);
    assert_eq!(
        stderr(&o),
        "warning: 10250 results match, but the API serves at most 100 pages (10000 results) of \
         a search; narrow it with a from/to date window to see the rest\n\
         note: --all fetches every result, past the cap\n"
    );
    // The window the warning suggests reaches the rest.
    let o = api(
        &s,
        "search",
        &[
            "port-tcp:1",
            "--max-pages",
            "100",
            "--from",
            "2024-12-01",
            "--to",
            "2024-12-31",
        ],
    );
    assert_status(&o, 0);
    assert_eq!(stderr(&o), "");
    assert_eq!(reports(&o).len(), 10_250 / 12);
    // And --all gets every one, each once, in windows of the dates.
    let o = api(&s, "search", &["port-tcp:1", "--all"]);
    assert_status(&o, 0);
    assert_eq!(stderr(&o), "");
    let got = reports(&o);
    let unique: BTreeSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!((got.len(), unique.len()), (10_250, 10_250));
}

// ---------------------------------------------------------------------------------------------
// summarize

/// Each distinct value of the items `keep` selects counted once per report, by count then
/// value.
fn direct_count(reports: &[&Report], keep: impl Fn(&Item) -> bool) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for r in reports {
        let distinct: BTreeSet<&str> = r
            .items
            .iter()
            .filter(|i| keep(i))
            .map(|i| i.value.as_str())
            .collect();
        for v in distinct {
            *counts.entry(v).or_insert(0) += 1;
        }
    }
    let mut ranked: Vec<(String, u64)> =
        counts.into_iter().map(|(v, n)| (v.to_owned(), n)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}

#[test]
fn summarize_prints_a_table_or_json_that_agree_with_a_direct_count() {
    let s = serve_sample();
    let expr = "geo-country=US or geo-country=DE";
    let matching = direct(expr, MatchOptions::default());
    let want = direct_count(&matching, |i| i.ty == "port-tcp");
    assert!(want.len() > 5);
    let other: u64 = want[5..].iter().map(|(_, n)| n).sum();

    let o = api(&s, "summarize", &["port-tcp", expr, "--limit", "5"]);
    assert_status(&o, 0);
    let rows: Vec<(String, String)> = stdout(&o)
        .lines()
        .map(|l| {
            let mut cells = l.split_whitespace();
            let row = (
                cells.next().unwrap().to_owned(),
                cells.next().unwrap().to_owned(),
            );
            assert!(cells.next().is_none(), "{l:?}");
            row
        })
        .collect();
    let mut expected = vec![("VALUE".to_owned(), "COUNT".to_owned())];
    expected.extend(want[..5].iter().map(|(v, n)| (v.clone(), n.to_string())));
    expected.push(("(other)".to_owned(), other.to_string()));
    assert_eq!(rows, expected);
    // Aligned: every line as long as the first, counts right-aligned.
    let text = stdout(&o);
    let widths: BTreeSet<usize> = text.lines().map(|l| l.chars().count()).collect();
    assert_eq!(widths.len(), 1, "{text}");

    let o = api(
        &s,
        "summarize",
        &[
            "port-tcp",
            expr,
            "--limit",
            "5",
            "--cardinality",
            "--output",
            "json",
        ],
    );
    assert_status(&o, 0);
    let text = stdout(&o);
    let listed: String = want[..5]
        .iter()
        .map(|(v, n)| format!("\"{v}\":{n}"))
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(
        text,
        format!(
            "{{\"other\":{other},\"values\":{{{listed}}},\"cardinality\":{}}}\n",
            want.len()
        )
    );
}

#[test]
fn summarize_contexts_select_and_drop_items() {
    let s = serve_sample();
    let expr = "port-tcp:443";
    let matching = direct(expr, MatchOptions::default());
    let json = |args: &[&str]| {
        let mut v = vec!["host", expr, "--limit", "10000", "--output", "json"];
        v.extend_from_slice(args);
        let o = api(&s, "summarize", &v);
        assert_status(&o, 0);
        let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
        let mut values: Vec<(String, u64)> = doc["values"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        values
    };
    let scanned = direct_count(&matching, |i| i.ty == "host" && i.context.is_empty());
    let not_cert = direct_count(&matching, |i| {
        i.ty == "host" && i.context != "cert-dns-name"
    });
    let everything = direct_count(&matching, |i| i.ty == "host");
    assert!(scanned.len() < not_cert.len() && not_cert.len() < everything.len());
    assert_eq!(json(&["--context", ""]), scanned);
    assert_eq!(json(&["--no-context", "cert-dns-name"]), not_cert);
    assert_eq!(json(&[]), everything);
}

// ---------------------------------------------------------------------------------------------
// quota and prioritize

#[test]
fn quota_and_prioritize_count_what_was_done() {
    let s = serve_sample();
    assert_eq!(usage(&s), (0, 0));

    let o = api(&s, "prioritize", &["--ip", "192.0.2.10", "--port", "8443"]);
    assert_status(&o, 0);
    let answer: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"ip": "192.0.2.10", "port": 8443, "queued": true})
    );
    assert_eq!(
        stderr(&o),
        "driftql: collection requested for 192.0.2.10:8443\n"
    );
    let o = api(&s, "prioritize", &["--ip", "2001:db8::1", "--port", "22"]);
    assert_status(&o, 0);

    // Three pages and a summary.
    assert_status(&api(&s, "search", &["protocol=ssh", "--max-pages", "3"]), 0);
    assert_status(&api(&s, "summarize", &["port-tcp", "protocol=ssh"]), 0);
    assert_eq!(usage(&s), (4, 2));

    let o = api(&s, "quota", &[]);
    assert_status(&o, 0);
    let text = stdout(&o);
    let rows: BTreeMap<&str, String> = text
        .lines()
        .map(|l| {
            let (k, v) = l.split_once("  ").unwrap();
            (k.trim(), v.trim().to_owned())
        })
        .collect();
    assert_eq!(rows["searches"], "4 / 100000", "{text}");
    assert_eq!(rows["prioritize"], "2 / 1000", "{text}");
    assert_eq!(rows["account"], "driftql serve (local)", "{text}");
    assert!(!rows.contains_key("saved sets"), "{text}");
    assert_eq!(rows["lifetime"], "4", "{text}");
    assert!(rows["reset"].ends_with("-01T00:00:00.000Z"), "{text}");
    assert!(rows["next reset"].ends_with("-01T00:00:00.000Z"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[test]
fn an_invalid_query_exits_1_before_any_request() {
    let s = serve_sample();
    for command in [
        vec!["search", "geo-country:cn and port-tcp:99999", "--all"],
        vec!["summarize", "port-tcp", "geo-country:cn"],
    ] {
        let o = api(&s, command[0], &command[1..]);
        assert_status(&o, 1);
        let err = stderr(&o);
        assert!(err.contains("error[keyword-only-type]"), "{err}");
        assert_eq!(stdout(&o), "");
    }
    // A parameter the command checks: `from` after `to`.
    let o = api(
        &s,
        "search",
        &["port-tcp:22", "--from", "2024-02-01", "--to", "2024-01-31"],
    );
    assert_status(&o, 1);
    // The server was not asked: nothing was counted, and where no server listens the refusal
    // is the same (a request would fail with status 4).
    assert_eq!(usage(&s), (0, 0));
    let o = driftql(&[
        "search",
        "geo-country:cn",
        "--api-url",
        "http://127.0.0.1:1",
        "--token",
        TOKEN,
        "--max-retries",
        "0",
    ]);
    assert_status(&o, 1);
    let o = driftql(&[
        "search",
        "geo-country=CN",
        "--api-url",
        "http://127.0.0.1:1",
        "--token",
        TOKEN,
        "--max-retries",
        "0",
    ]);
    assert_status(&o, 4);
}

#[test]
fn a_syntax_error_exits_2_and_what_the_server_refuses_4() {
    let s = serve_sample();
    let o = api(&s, "search", &["title:\"unclosed"]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("error["), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let o = api(&s, "summarize", &["port-tcp", "port-tcp:22 and"]);
    assert_status(&o, 2);

    let o = driftql(&[
        "search",
        "port-tcp:22",
        "--api-url",
        &s.url,
        "--token",
        "not-the-T0KEN",
    ]);
    assert_status(&o, 4);
    let err = stderr(&o);
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains("T0KEN"), "{err}");
    let o = driftql(&["quota", "--api-url", &s.url, "--token", "not-the-T0KEN"]);
    assert_status(&o, 4);

    // A page past the last is empty; page 100 is not a page the API serves.
    let o = api(&s, "search", &["port-tcp:22", "--page", "99"]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "");
    let o = api(&s, "search", &["port-tcp:22", "--page", "100"]);
    assert_status(&o, 2);

    // What only the server checks: a summary limit above the standard plan's.
    let o = api(
        &s,
        "summarize",
        &["port-tcp", "port-tcp:22", "--limit", "50000"],
    );
    assert_status(&o, 4);
    let err = stderr(&o);
    assert!(
        err.contains("400") && err.contains("summary_limit"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// search, then filter offline

#[test]
fn a_saved_search_filtered_offline_agrees_with_a_narrower_search() {
    let s = serve_sample();
    let saved = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e_cli-saved.ndjson");
    let o = api(
        &s,
        "search",
        &[
            "port-tcp:443 or protocol=ssh",
            "--all",
            "--output",
            "ndjson",
        ],
    );
    assert_status(&o, 0);
    std::fs::write(&saved, &o.stdout).unwrap();
    let file = saved.to_str().unwrap();

    for (offline, online) in [
        (
            "port-tcp:22",
            "(port-tcp:443 or protocol=ssh) and port-tcp:22",
        ),
        (
            "protocol=ssh and not port-tcp:22",
            "(port-tcp:443 or protocol=ssh) and protocol=ssh and not port-tcp:22",
        ),
        (
            "geo-country=CN",
            "(port-tcp:443 or protocol=ssh) and geo-country=CN",
        ),
    ] {
        let narrowed = api(&s, "search", &[online, "--all"]);
        assert_status(&narrowed, 0);
        assert!(!narrowed.stdout.is_empty(), "{online}");
        // The same lines, byte for byte, in the same order.
        let filtered = driftql(&["filter", offline, file]);
        assert_status(&filtered, 0);
        assert_eq!(stdout(&filtered), stdout(&narrowed), "{offline}");
        let count = driftql(&["filter", "--count", offline, file]);
        assert_status(&count, 0);
        assert_eq!(
            stdout(&count).trim(),
            stdout(&narrowed).lines().count().to_string()
        );
    }

    // The `filter` parameter and `--host-in-url`, offline and online.
    let narrowed = api(
        &s,
        "search",
        &[
            "host:code.jquery.com",
            "--filter",
            "port-tcp:443",
            "--host-in-url",
            "--all",
        ],
    );
    assert_status(&narrowed, 0);
    assert!(!narrowed.stdout.is_empty());
    let filtered = driftql(&["filter", "--host-in-url", "host:code.jquery.com", file]);
    let filtered = stdout(&filtered);
    let port_443: String = filtered
        .lines()
        .filter(|l| {
            serde_json::from_str::<Report>(l)
                .unwrap()
                .items
                .iter()
                .any(|i| i.ty == "port-tcp" && i.value == "443")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(port_443, stdout(&narrowed));

    // A summary's count agrees with the count of a filter.
    let o = api(
        &s,
        "summarize",
        &[
            "port-tcp",
            "port-tcp:443 or protocol=ssh",
            "--output",
            "json",
        ],
    );
    let summary: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let count = driftql(&["filter", "--count", "port-tcp:2222", file]);
    assert_eq!(stdout(&count).trim(), summary["values"]["2222"].to_string());
    std::fs::remove_file(&saved).ok();
}

// ---------------------------------------------------------------------------------------------
// The README's two-terminal demo

#[test]
fn the_readme_demo_answers_as_shown() {
    let readme = include_str!("../README.md");
    let s = common::serve(&["--sample", "20000"]);
    let line = s.line.clone();
    let port = s.url.rsplit(':').next().unwrap();
    let shown = line.replace(&format!(":{port} "), ":8080 ");
    assert!(
        readme.contains(&format!("$ driftql serve --sample 20000\n{shown}")),
        "{shown}"
    );
    let addr: std::net::SocketAddr = s.url.trim_start_matches("http://").parse().unwrap();

    // The search, from the command line and with curl.
    let expr = "product-tag:hikvision* and geo-country=CN";
    assert!(readme.contains(&format!("--token demo-token '{expr}'")));
    let o = driftql(&["search", "--api-url", &s.url, "--token", "demo-token", expr]);
    assert_status(&o, 0);
    let first = reports(&o);
    assert_eq!(first.len(), 100);
    let page = get(addr, "/v1/scan/protocols", &[("expression", expr)]);
    assert_eq!(page.status, 200);
    let j = page.json();
    let shown = format!(
        r#"{{"page":0,"pages":{},"result_count":{},"results":[{{"date":"{}","id":"{}","items":[...]}}, ...]}}"#,
        j["pages"], j["result_count"], first[0].date, first[0].id
    );
    assert!(readme.contains(&shown), "{shown}");
    assert_eq!(j["results"][0]["id"].as_str(), Some(first[0].id.as_str()));

    // The summary, byte for byte.
    let summary = get(
        addr,
        "/v1/scan/protocols",
        &[
            ("expression", "protocol=ssh and port-tcp:22"),
            ("summarize", "product-info"),
            ("summary_limit", "3"),
            ("summary_cardinality", "true"),
        ],
    );
    let body = String::from_utf8(summary.body).unwrap();
    assert!(readme.contains(&format!("\n{body}\n")), "{body}");

    // The refusal, as far as the README shows it.
    let refused = get(
        addr,
        "/v1/scan/protocols",
        &[("expression", "geo-country:cn")],
    );
    assert_eq!(refused.status, 400);
    let body = String::from_utf8(refused.body).unwrap();
    let shown = readme
        .lines()
        .find(|l| l.starts_with(r#"{"error":"expression: `geo-country`"#))
        .unwrap();
    for part in shown.split("...") {
        let part = part.trim_matches(',');
        assert!(body.contains(part), "{part:?} not in {body}");
    }
}
