//! The local server: paging, summaries, every parameter, errors, authentication, quota and
//! concurrency, each checked against a direct evaluation of the dataset with the evaluator. The
//! router is called in process, except where a test needs a real socket (raw bytes,
//! concurrent connections).

mod server_support;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use driftql::eval::{MatchOptions, Matcher};
use driftql::server::{self, Dataset, RunningServer, ServerOptions};
use driftql::{Item, Report};
use serde_json::Value;
use server_support::{Answer, InProcess, Target, get, get_with, raw};

const PROTOCOLS: &str = "/v1/scan/protocols";
const DOMAINS: &str = "/v1/scan/domains";

static DATA: LazyLock<Arc<Dataset>> = LazyLock::new(|| Arc::new(Dataset::sample(2000)));

/// One router for the tests that do not need options of their own.
static APP: LazyLock<InProcess> =
    LazyLock::new(|| InProcess::new(Arc::clone(&DATA), ServerOptions::default()));

/// One server on a socket, for the tests that need one.
static SERVER: LazyLock<RunningServer> = LazyLock::new(|| {
    server::start(
        "127.0.0.1:0".parse().unwrap(),
        Arc::clone(&DATA),
        ServerOptions::default(),
    )
    .unwrap()
});

/// The API with options of its own, in process.
fn spawn(data: Arc<Dataset>, options: ServerOptions) -> InProcess {
    InProcess::new(data, options)
}

fn app() -> &'static InProcess {
    &APP
}

fn socket() -> SocketAddr {
    SERVER.addr()
}

/// The reports matching `expr` with `options`, newest first, by direct evaluation.
fn direct(expr: &str, options: MatchOptions) -> Vec<&'static Report> {
    let q = driftql::parse(expr).unwrap();
    let m = Matcher::new(q.expr(), &options);
    DATA.reports().filter(|r| m.matches(r)).collect()
}

fn ids<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Vec<String> {
    reports.into_iter().map(|r| r.id.clone()).collect()
}

/// Every page of a search: the ids in order, and `(pages, result_count)` of page 0.
fn all_pages(
    addr: impl Target + Copy,
    path: &str,
    params: &[(&str, &str)],
) -> (Vec<String>, u64, u64) {
    let mut out = Vec::new();
    let first = get(addr, path, params);
    if first.status == 204 {
        assert!(first.body.is_empty());
        return (out, 0, 0);
    }
    assert_eq!(
        first.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&first.body)
    );
    let j = first.json();
    let pages = j["pages"].as_u64().unwrap();
    let count = j["result_count"].as_u64().unwrap();
    for page in 0..pages {
        let p = page.to_string();
        let mut with_page = params.to_vec();
        with_page.push(("page", &p));
        let a = get(addr, path, &with_page);
        assert_eq!(a.status, 200);
        let j = a.json();
        assert_eq!(j["page"].as_u64(), Some(page));
        assert_eq!(j["pages"].as_u64(), Some(pages));
        assert_eq!(j["result_count"].as_u64(), Some(count));
        let results = j["results"].as_array().unwrap();
        assert!(results.len() <= 100);
        if page + 1 < pages {
            assert_eq!(results.len(), 100, "only the last page may be short");
        }
        out.extend(results.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
    }
    // Past the last page: nothing.
    let past = pages.to_string();
    let mut with_page = params.to_vec();
    with_page.push(("page", &past));
    if pages < 100 {
        assert_eq!(get(addr, path, &with_page).status, 204);
    }
    (out, pages, count)
}

#[test]
fn paging_covers_every_matching_report_exactly_once_newest_first() {
    for expr in [
        "port-tcp:443",
        "protocol=ssh",
        "geo-country=US or geo-country=CN",
        "not port-tcp:80",
        "product-tag:hikvision* and geo-country=CN",
    ] {
        let (got, pages, count) = all_pages(app(), PROTOCOLS, &[("expression", expr)]);
        let want = ids(direct(expr, MatchOptions::default()));
        assert!(!want.is_empty(), "{expr} matches nothing in the sample");
        assert_eq!(got, want, "{expr}");
        assert_eq!(count, want.len() as u64);
        assert_eq!(pages, want.len().div_ceil(100) as u64);
        let unique: HashSet<_> = got.iter().collect();
        assert_eq!(unique.len(), got.len(), "{expr}: a report came twice");
    }
}

#[test]
fn results_are_newest_first_with_ties_broken_by_id() {
    let a = get(app(), PROTOCOLS, &[("expression", "port-tcp:22")]);
    let results = a.json()["results"].as_array().unwrap().clone();
    let keys: Vec<(String, String)> = results
        .iter()
        .map(|r| {
            (
                r["date"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for w in keys.windows(2) {
        assert!(
            w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1),
            "{w:?}"
        );
    }
    // A result is the report itself, as loaded.
    let first: Report = serde_json::from_value(results[0].clone()).unwrap();
    let want = DATA.reports().find(|r| r.id == first.id).unwrap();
    assert_eq!(&first, want);
    assert_eq!(a.header("content-type"), Some("application/json"));
}

#[test]
fn nothing_matching_is_204_with_no_body() {
    let a = get(app(), PROTOCOLS, &[("expression", "title:zzzz-not-there")]);
    assert_eq!(a.status, 204);
    assert!(a.body.is_empty());
    // A page past the last is 204 too.
    let a = get(
        app(),
        PROTOCOLS,
        &[("expression", "port-udp:53"), ("page", "50")],
    );
    assert_eq!(a.status, 204);
}

/// A dataset with 10,250 minimal reports, all matching `port-tcp:1`.
fn big() -> Arc<Dataset> {
    let reports = (0..10_250)
        .map(|i| Report {
            date: format!("2024-01-{:02}", 1 + i % 28),
            id: format!("r{i:05}"),
            items: vec![Item::new("port-tcp", "", "1")],
        })
        .collect();
    Arc::new(Dataset::new(reports).unwrap())
}

#[test]
fn a_search_returns_at_most_100_pages_and_page_100_is_refused() {
    let srv = spawn(big(), ServerOptions::default());
    let a = get(&srv, PROTOCOLS, &[("expression", "port-tcp:1")]);
    let j = a.json();
    assert_eq!(j["pages"], 100);
    assert_eq!(
        j["result_count"], 10_250,
        "the count is the true number of matches"
    );
    let last = get(
        &srv,
        PROTOCOLS,
        &[("expression", "port-tcp:1"), ("page", "99")],
    );
    assert_eq!(last.json()["results"].as_array().unwrap().len(), 100);
    for page in ["100", "101", "4294967295"] {
        let a = get(
            &srv,
            PROTOCOLS,
            &[("expression", "port-tcp:1"), ("page", page)],
        );
        assert_eq!(a.status, 400);
        assert_eq!(a.codes(), ["page-limit"]);
        assert_eq!(a.json()["diagnostics"][0]["param"], "page");
    }
    // Even when nothing would match.
    let a = get(
        &srv,
        PROTOCOLS,
        &[("expression", "port-tcp:2"), ("page", "100")],
    );
    assert_eq!(a.status, 400);
    // A summary is over every match, not just 100 pages.
    let a = get(
        &srv,
        PROTOCOLS,
        &[("expression", "port-tcp:1"), ("summarize", "port-tcp")],
    );
    assert_eq!(a.json()["summary"]["values"]["1"], 10_250);
}

/// Counts each distinct value of `ty` (contexts filtered) once per report.
fn direct_summary(
    reports: &[&Report],
    ty: &str,
    keep: impl Fn(&Item) -> bool,
    value: impl Fn(&Item) -> String,
) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for r in reports {
        let distinct: BTreeSet<String> = r
            .items
            .iter()
            .filter(|i| i.ty == ty && keep(i))
            .map(&value)
            .collect();
        for v in distinct {
            *counts.entry(v).or_insert(0) += 1;
        }
    }
    counts
}

fn summary_of(a: &Answer) -> (Vec<(String, u64)>, u64, Option<u64>) {
    assert_eq!(a.status, 200, "{:?}", String::from_utf8_lossy(&a.body));
    let j = a.json();
    let s = &j["summary"];
    let mut values: Vec<(String, u64)> = s["values"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    // In the order the server wrote them (the parsed object is sorted by key).
    let text = String::from_utf8_lossy(&a.body).into_owned();
    let values_at = text.find("\"values\":").unwrap();
    values.sort_by_key(|(k, _)| {
        let key = format!("{}:", serde_json::to_string(k).unwrap());
        values_at + text[values_at..].find(&key).unwrap()
    });
    (
        values,
        s["other"].as_u64().unwrap(),
        s.get("cardinality").and_then(Value::as_u64),
    )
}

/// Sorted by count descending, then value.
fn ranked(counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<_> = counts.iter().map(|(k, n)| (k.clone(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

#[test]
fn summary_counts_agree_with_a_direct_count() {
    let expr = "port-tcp:443 or port-tcp:80 or port-tcp:22";
    let matching = direct(expr, MatchOptions::default());
    let plain = |ty: &str| direct_summary(&matching, ty, |_| true, |i| i.value.clone());

    for ty in ["geo-country", "port-tcp", "product-tag", "issuer"] {
        let a = get(
            app(),
            PROTOCOLS,
            &[
                ("expression", expr),
                ("summarize", ty),
                ("summary_limit", "10000"),
            ],
        );
        let (values, other, cardinality) = summary_of(&a);
        assert_eq!(values, ranked(&plain(ty)), "{ty}");
        assert_eq!(other, 0);
        assert_eq!(cardinality, None, "only when asked for");
    }

    // A limit: the rest are summed into `other`; cardinality counts every distinct value.
    let all = ranked(&plain("product-tag"));
    let a = get(
        app(),
        PROTOCOLS,
        &[
            ("expression", expr),
            ("summarize", "product-tag"),
            ("summary_limit", "3"),
            ("summary_cardinality", "true"),
        ],
    );
    let (values, other, cardinality) = summary_of(&a);
    assert_eq!(values, all[..3]);
    assert_eq!(other, all[3..].iter().map(|(_, n)| n).sum::<u64>());
    assert_eq!(cardinality, Some(all.len() as u64));
    // The JSON object keeps the ranking order.
    let text = String::from_utf8(a.body.clone()).unwrap();
    let at = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
    assert!(at(&values[0].0) < at(&values[1].0) && at(&values[1].0) < at(&values[2].0));

    // The default limit is 100.
    let a = get(
        app(),
        PROTOCOLS,
        &[("expression", "port-tcp:443"), ("summarize", "subject")],
    );
    let (values, other, _) = summary_of(&a);
    assert_eq!(values.len(), 100);
    assert!(other > 0);

    // Contexts: only, and except.
    let hosts = |keep: &dyn Fn(&Item) -> bool| {
        ranked(&direct_summary(&matching, "host", keep, |i| {
            i.value.clone()
        }))
    };
    let a = get(
        app(),
        PROTOCOLS,
        &[
            ("expression", expr),
            ("summarize", "host"),
            ("summary_context", "cert-dns-name"),
            ("summary_limit", "10000"),
        ],
    );
    assert_eq!(summary_of(&a).0, hosts(&|i| i.context == "cert-dns-name"));
    let a = get(
        app(),
        PROTOCOLS,
        &[
            ("expression", expr),
            ("summarize", "host"),
            ("summary_nocontext", "cert-dns-name"),
            ("summary_nocontext", "dns-ptr"),
            ("summary_nocontext", "dns-ns"),
            ("summary_limit", "10000"),
        ],
    );
    assert_eq!(summary_of(&a).0, hosts(&|i| i.context.is_empty()));
    let a = get(
        app(),
        PROTOCOLS,
        &[
            ("expression", expr),
            ("summarize", "host"),
            ("summary_context", "cert-dns-name"),
            ("summary_context", "dns-ptr"),
            ("summary_limit", "10000"),
        ],
    );
    assert_eq!(
        summary_of(&a).0,
        hosts(&|i| i.context == "cert-dns-name" || i.context == "dns-ptr")
    );

    // Pseudo-types count contexts.
    let a = get(
        app(),
        PROTOCOLS,
        &[("expression", expr), ("summarize", "protocol")],
    );
    let want = ranked(&direct_summary(
        &matching,
        "server-banner",
        |_| true,
        |i| i.context.clone(),
    ));
    assert_eq!(summary_of(&a).0, want);
    assert!(want.iter().any(|(p, _)| p == "ssh"));
    let a = get(
        app(),
        PROTOCOLS,
        &[("expression", expr), ("summarize", "http-header-name")],
    );
    let want = ranked(&direct_summary(
        &matching,
        "http-header",
        |_| true,
        |i| i.context.clone(),
    ));
    assert_eq!(summary_of(&a).0, want);

    // Nothing matching: an empty summary, still 200.
    let a = get(
        app(),
        PROTOCOLS,
        &[
            ("expression", "title:zzzz-not-there"),
            ("summarize", "port-tcp"),
            ("summary_cardinality", "1"),
        ],
    );
    assert_eq!(
        a.json(),
        serde_json::json!({"summary": {"other": 0, "values": {}, "cardinality": 0}})
    );
}

#[test]
fn summary_limit_goes_to_a_million_on_an_enterprise_plan() {
    let a = get(
        app(),
        PROTOCOLS,
        &[
            ("expression", "port-tcp:22"),
            ("summarize", "ip"),
            ("summary_limit", "1000000"),
        ],
    );
    assert_eq!(a.status, 400);
    assert_eq!(a.codes(), ["invalid-summary-limit"]);
    let srv = spawn(
        Arc::clone(&DATA),
        ServerOptions::default().with_enterprise(true),
    );
    let a = get(
        &srv,
        PROTOCOLS,
        &[
            ("expression", "port-tcp:22"),
            ("summarize", "ip"),
            ("summary_limit", "1000000"),
        ],
    );
    assert_eq!(a.status, 200);
    let a = get(
        &srv,
        PROTOCOLS,
        &[
            ("expression", "port-tcp:22"),
            ("summarize", "ip"),
            ("summary_limit", "1000001"),
        ],
    );
    assert_eq!(a.status, 400);
}

#[test]
fn bad_requests_are_400_with_every_diagnostic_and_its_code() {
    /// The parameters, the codes expected, the parameter the first one is about.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], Option<&'a str>);
    let cases: &[Case] = &[
        (
            &[("expression", "title:\"abc")],
            &["unterminated-string"],
            Some("expression"),
        ),
        (
            &[("expression", "title:a title:b")],
            &["missing-operator"],
            Some("expression"),
        ),
        (
            &[("expression", "geo-country:GB")],
            &["keyword-only-type"],
            Some("expression"),
        ),
        (
            &[("expression", "geo-country:gb")],
            &["keyword-only-type", "country-case"],
            Some("expression"),
        ),
        (
            &[("expression", "port-tcp:1"), ("page", "-1")],
            &["invalid-page"],
            Some("page"),
        ),
        (
            &[
                ("expression", "port-tcp:1"),
                ("page", "99999999999999999999"),
            ],
            &["invalid-page"],
            Some("page"),
        ),
        (
            &[("expression", "port-tcp:1"), ("page", "1.5")],
            &["invalid-page"],
            Some("page"),
        ),
        (
            &[("expression", "port-tcp:1"), ("from", "2023-02-29")],
            &["invalid-date"],
            Some("from"),
        ),
        (
            &[("expression", "port-tcp:1"), ("to", "2024-13-01")],
            &["invalid-date"],
            Some("to"),
        ),
        (
            &[
                ("expression", "port-tcp:1"),
                ("from", "2024-02-02"),
                ("to", "2024-02-01"),
            ],
            &["date-order"],
            Some("from"),
        ),
        (
            &[
                ("expression", "port-tcp:1"),
                ("summarize", "port-tcp"),
                ("summary_limit", "0"),
            ],
            &["invalid-summary-limit"],
            Some("summary_limit"),
        ),
        (
            &[
                ("expression", "port-tcp:1"),
                ("summarize", "port-tcp"),
                ("summary_limit", "10001"),
            ],
            &["invalid-summary-limit"],
            Some("summary_limit"),
        ),
        (
            &[
                ("expression", "port-tcp:1"),
                ("summarize", "port-tcp"),
                ("summary_limit", "-5"),
            ],
            &["invalid-summary-limit"],
            Some("summary_limit"),
        ),
        (&[("ip", "8.8.8")], &["invalid-ip-parameter"], Some("ip")),
        (
            &[("ip", "10.0.0.0/33")],
            &["invalid-ip-parameter"],
            Some("ip"),
        ),
        (&[], &["nothing-to-search"], None),
        (
            &[("expression", ""), ("ip", "")],
            &["nothing-to-search"],
            None,
        ),
        (&[("page", "1")], &["nothing-to-search"], None),
        (
            &[("expression", "port-tcp:1"), ("slop", "x")],
            &["invalid-slop"],
            Some("slop"),
        ),
        (
            &[("expression", "port-tcp:1"), ("filter", "a:1 or b:2")],
            &["not-one-term"],
            Some("filter"),
        ),
        (
            &[("expression", "port-tcp:1"), ("filter", "port-tcp:http")],
            &["invalid-port"],
            Some("filter"),
        ),
        (
            &[("expression", "port-tcp:1"), ("filter", "title:\"x")],
            &["unterminated-string"],
            Some("filter"),
        ),
        (
            &[("expression", "port-tcp:1"), ("most_recent", "yes")],
            &["invalid-bool"],
            Some("most_recent"),
        ),
        (
            &[("expression", "port-tcp:1"), ("expression", "port-tcp:2")],
            &["repeated-parameter"],
            Some("expression"),
        ),
        (
            &[("expression", "port-tcp:1"), ("summarize", "a b")],
            &["invalid-summarize"],
            Some("summarize"),
        ),
    ];
    for (params, codes, param) in cases {
        for path in [PROTOCOLS, DOMAINS] {
            let a = get(app(), path, params);
            assert_eq!(a.status, 400, "{params:?}");
            assert_eq!(a.header("content-type"), Some("application/json"));
            assert_eq!(a.codes(), *codes, "{params:?}");
            let j = a.json();
            assert_eq!(j["code"], codes[0]);
            assert!(j["error"].as_str().is_some_and(|e| !e.is_empty()));
            let d = &j["diagnostics"][0];
            assert_eq!(d["param"].as_str(), *param, "{params:?}");
            assert_eq!(d["severity"], "error");
            for field in ["message", "span", "line", "column"] {
                assert!(d.get(field).is_some(), "{field} missing in {d}");
            }
        }
    }
}

#[test]
fn a_400_lists_every_problem_with_spans_into_its_parameter() {
    let a = get(
        app(),
        PROTOCOLS,
        &[
            ("expression", "port-tcp:1 and geo-country:GB"),
            ("page", "-1"),
            ("from", "2023-02-29"),
            ("most_recent", "maybe"),
        ],
    );
    assert_eq!(
        a.codes(),
        [
            "keyword-only-type",
            "invalid-date",
            "invalid-bool",
            "invalid-page"
        ]
    );
    let d = &a.json()["diagnostics"][0];
    assert_eq!(d["span"], serde_json::json!({"start": 26, "end": 27}));
    assert_eq!(d["column"], 27);
    assert_eq!(d["fix"]["replacement"], "=");
    assert!(
        a.json()["error"]
            .as_str()
            .unwrap()
            .contains("3 more errors")
    );
}

#[test]
fn percent_escapes_that_are_not_utf8_are_a_400() {
    for target in [
        "/v1/scan/protocols?expression=%FF",
        "/v1/scan/protocols?%C3=title:x",
        "/v1/scan/protocols/prioritize?ip=%80",
    ] {
        let a = get_with(app(), target, &[]);
        assert_eq!(a.status, 400, "{target}");
        assert_eq!(a.codes(), ["invalid-encoding"]);
    }
}

#[test]
fn warnings_alone_do_not_stop_a_search_and_unknown_parameters_are_ignored() {
    // `search-term` draws a warning.
    let a = get(app(), PROTOCOLS, &[("expression", "search-term:openssh")]);
    assert_eq!(a.status, 200);
    let a = get(
        app(),
        PROTOCOLS,
        &[
            ("expression", "port-tcp:22"),
            ("colour", "blue"),
            ("Page", "x"),
        ],
    );
    assert_eq!(a.status, 200);
    // `+` is a space, as in a form.
    let a = get_with(
        app(),
        "/v1/scan/protocols?expression=protocol%3Dssh+and+port-tcp%3A22",
        &[],
    );
    assert_eq!(
        a.json()["result_count"].as_u64().unwrap(),
        direct("protocol=ssh and port-tcp:22", MatchOptions::default()).len() as u64
    );
    // Booleans in any case, or 1/0.
    for v in ["true", "True", "TRUE", "1"] {
        let a = get(
            app(),
            PROTOCOLS,
            &[("expression", "port-tcp:22"), ("most_recent", v)],
        );
        assert_eq!(a.status, 200, "{v}");
    }
}

#[test]
fn ip_searches_the_scanned_address_and_indirect_any_context() {
    // The sample puts private addresses only in certificates.
    let scanned = direct("ip;:10.0.0.0/8", MatchOptions::default());
    let anywhere = direct("ip:10.0.0.0/8", MatchOptions::default());
    assert!(scanned.is_empty());
    assert!(!anywhere.is_empty());
    assert_eq!(get(app(), PROTOCOLS, &[("ip", "10.0.0.0/8")]).status, 204);
    let (got, _, _) = all_pages(
        app(),
        PROTOCOLS,
        &[("ip", "10.0.0.0/8"), ("indirect", "true")],
    );
    assert_eq!(got, ids(anywhere));

    // One address: that host's reports only; with an expression, both must hold.
    let host = DATA.reports().next().unwrap();
    let ip = &host
        .items
        .iter()
        .find(|i| i.ty == "ip" && i.context.is_empty())
        .unwrap()
        .value;
    let (got, _, _) = all_pages(app(), PROTOCOLS, &[("ip", ip)]);
    assert_eq!(
        got,
        ids(direct(&format!("ip;:\"{ip}\""), MatchOptions::default()))
    );
    assert!(got.contains(&host.id));
    let (got, _, _) = all_pages(
        app(),
        PROTOCOLS,
        &[("ip", ip), ("expression", "port-tcp:9")],
    );
    assert!(got.is_empty());

    // IPv6 blocks.
    let (got, _, _) = all_pages(app(), PROTOCOLS, &[("ip", "2000::/3")]);
    assert_eq!(got, ids(direct("ip;:2000::/3", MatchOptions::default())));
    assert!(!got.is_empty());
}

#[test]
fn from_and_to_are_an_inclusive_window() {
    let expr = "port-tcp:22";
    let all = direct(expr, MatchOptions::default());
    let day = all[all.len() / 2].date.clone();
    let within = |from: &str, to: &str| -> Vec<String> {
        ids(all
            .iter()
            .copied()
            .filter(|r| r.date.as_str() >= from && r.date.as_str() <= to))
    };
    let (got, _, _) = all_pages(
        app(),
        PROTOCOLS,
        &[("expression", expr), ("from", &day), ("to", &day)],
    );
    assert_eq!(got, within(&day, &day));
    assert!(!got.is_empty(), "the day of a matching report");
    let (got, _, _) = all_pages(
        app(),
        PROTOCOLS,
        &[
            ("expression", expr),
            ("from", "2021-01-01"),
            ("to", "2022-06-30"),
        ],
    );
    assert_eq!(got, within("2021-01-01", "2022-06-30"));
    let (got, _, _) = all_pages(
        app(),
        PROTOCOLS,
        &[("expression", expr), ("from", "2024-03-01")],
    );
    assert_eq!(got, within("2024-03-01", "9999-12-31"));
    let (got, _, _) = all_pages(
        app(),
        PROTOCOLS,
        &[("expression", expr), ("to", "2019-12-31")],
    );
    assert_eq!(got, within("0000-01-01", "2019-12-31"));
    assert_eq!(
        get(
            app(),
            PROTOCOLS,
            &[("expression", expr), ("from", "2030-01-01")]
        )
        .status,
        204
    );
}

#[test]
fn most_recent_keeps_the_newest_report_of_each_ip_port_pair() {
    let expr = "port-tcp:22 or port-udp:53 or port-tcp:443";
    let all = direct(expr, MatchOptions::default());
    let mut seen = HashSet::new();
    let newest: Vec<&Report> = all
        .iter()
        .copied()
        .filter(|r| {
            let ip = r
                .items
                .iter()
                .find(|i| i.ty == "ip" && i.context.is_empty())
                .unwrap();
            let port = r.items.iter().find(|i| i.ty.starts_with("port-")).unwrap();
            seen.insert((ip.value.clone(), port.ty.clone(), port.value.clone()))
        })
        .collect();
    assert!(
        newest.len() < all.len(),
        "the sample scans hosts more than once"
    );
    let (got, _, count) = all_pages(
        app(),
        PROTOCOLS,
        &[("expression", expr), ("most_recent", "true")],
    );
    assert_eq!(got, ids(newest.iter().copied()));
    assert_eq!(count, newest.len() as u64);

    // Applied after the date window: the newest within it.
    let (got, _, _) = all_pages(
        app(),
        PROTOCOLS,
        &[
            ("expression", expr),
            ("most_recent", "true"),
            ("to", "2020-12-31"),
        ],
    );
    let mut seen = HashSet::new();
    let want: Vec<String> = all
        .iter()
        .filter(|r| r.date.as_str() <= "2020-12-31")
        .filter(|r| {
            let ip = r
                .items
                .iter()
                .find(|i| i.ty == "ip" && i.context.is_empty())
                .unwrap();
            let port = r.items.iter().find(|i| i.ty.starts_with("port-")).unwrap();
            seen.insert((ip.value.clone(), port.ty.clone(), port.value.clone()))
        })
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn most_recent_tells_tcp_from_udp_and_keeps_reports_without_a_pair() {
    let r = |date: &str, id: &str, items: Vec<Item>| Report {
        date: date.into(),
        id: id.into(),
        items,
    };
    let data = Dataset::new(vec![
        r(
            "2024-01-01",
            "old-tcp",
            vec![
                Item::new("ip", "", "1.2.3.4"),
                Item::new("port-tcp", "", "53"),
            ],
        ),
        r(
            "2024-02-01",
            "new-tcp",
            vec![
                Item::new("ip", "", "1.2.3.4"),
                Item::new("port-tcp", "", "53"),
            ],
        ),
        r(
            "2024-01-15",
            "udp",
            vec![
                Item::new("ip", "", "1.2.3.4"),
                Item::new("port-udp", "", "53"),
            ],
        ),
        r(
            "2024-01-20",
            "mapped",
            vec![
                Item::new("ip", "", "::ffff:1.2.3.4"),
                Item::new("port-udp", "", "53"),
            ],
        ),
        r(
            "2024-01-10",
            "no-port-1",
            vec![Item::new("ip", "", "1.2.3.4")],
        ),
        r(
            "2024-01-11",
            "no-port-2",
            vec![Item::new("ip", "", "1.2.3.4")],
        ),
    ])
    .unwrap();
    let srv = spawn(Arc::new(data), ServerOptions::default());
    // `::ffff:1.2.3.4` is 1.2.3.4 (as in the evaluator), so the two UDP reports are one pair.
    let (got, _, _) = all_pages(
        &srv,
        PROTOCOLS,
        &[("ip", "1.2.3.4"), ("most_recent", "true")],
    );
    assert_eq!(got, ["new-tcp", "mapped", "no-port-2", "no-port-1"]);
    let (got, _, _) = all_pages(&srv, PROTOCOLS, &[("ip", "1.2.3.4")]);
    assert_eq!(got.len(), 6);
    let (got, _, _) = all_pages(
        &srv,
        PROTOCOLS,
        &[("expression", "port-udp:53"), ("most_recent", "true")],
    );
    assert_eq!(got, ["mapped"]);
    let (got, _, _) = all_pages(&srv, PROTOCOLS, &[("expression", "port-tcp:53")]);
    assert_eq!(got, ["new-tcp", "old-tcp"]);
}

#[test]
fn filter_restricts_like_an_added_term() {
    let (got, _, _) = all_pages(
        app(),
        PROTOCOLS,
        &[("expression", "geo-country=US"), ("filter", "port-tcp:443")],
    );
    let want = ids(direct(
        "geo-country=US and port-tcp:443",
        MatchOptions::default(),
    ));
    assert_eq!(got, want);
    assert!(!got.is_empty());
    assert!(got.len() < direct("geo-country=US", MatchOptions::default()).len());
}

#[test]
fn slop_lets_words_stand_between_phrase_words() {
    let expr = "entity:\"university london\"";
    assert_eq!(get(app(), PROTOCOLS, &[("expression", expr)]).status, 204);
    let (got, _, _) = all_pages(app(), PROTOCOLS, &[("expression", expr), ("slop", "1")]);
    let want = ids(direct(expr, MatchOptions::default().with_slop(1)));
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn host_in_url_makes_host_terms_match_hosts_inside_urls() {
    let expr = "host:jquery.com";
    assert_eq!(get(app(), PROTOCOLS, &[("expression", expr)]).status, 204);
    let (got, _, _) = all_pages(
        app(),
        PROTOCOLS,
        &[("expression", expr), ("host_in_url", "true")],
    );
    let want = ids(direct(expr, MatchOptions::default().with_host_in_url(true)));
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn domains_are_the_reports_of_hosts_scanned_by_name() {
    let expr = "port-tcp:443 or port-tcp:80";
    let want: Vec<String> = direct(expr, MatchOptions::default())
        .into_iter()
        .filter(|r| {
            r.items
                .iter()
                .any(|i| i.ty == "host" && i.context.is_empty())
        })
        .map(|r| r.id.clone())
        .collect();
    let (got, _, _) = all_pages(app(), DOMAINS, &[("expression", expr)]);
    assert_eq!(got, want);
    assert!(!got.is_empty());
    assert_eq!(
        ids(DATA.domain_reports()).len(),
        DATA.reports()
            .filter(|r| r
                .items
                .iter()
                .any(|i| i.ty == "host" && i.context.is_empty()))
            .count()
    );
    // Industrial devices are scanned by address only.
    assert_eq!(
        get(app(), DOMAINS, &[("expression", "protocol=modbus")]).status,
        204
    );
    assert_eq!(
        get(app(), PROTOCOLS, &[("expression", "protocol=modbus")]).status,
        200
    );
}

#[test]
fn a_token_is_required_when_set() {
    let srv = spawn(
        Arc::clone(&DATA),
        ServerOptions::default().with_token("s3cret"),
    );
    let target = "/v1/scan/protocols?expression=port-tcp%3A22";
    for headers in [
        vec![],
        vec![("Authorization", "Bearer wrong")],
        vec![("Authorization", "Bearer s3cret2")],
        vec![("Authorization", "Basic s3cret")],
        vec![("Authorization", "s3cret")],
    ] {
        let a = get_with(&srv, target, &headers);
        assert_eq!(a.status, 401, "{headers:?}");
        assert_eq!(a.json()["code"], "unauthorized");
        assert_eq!(a.header("www-authenticate"), Some("Bearer"));
        assert!(
            !String::from_utf8_lossy(&a.body).contains("s3cret"),
            "the token is never echoed"
        );
    }
    for auth in ["Bearer s3cret", "bearer s3cret"] {
        assert_eq!(
            get_with(&srv, target, &[("Authorization", auth)]).status,
            200
        );
    }
    for path in [
        "/v1/admin/user",
        "/v1/scan/protocols/prioritize?ip=1.2.3.4&port=22",
        "/v1/scan/domains?expression=port-tcp%3A443",
    ] {
        assert_eq!(get_with(&srv, path, &[]).status, 401, "{path}");
        assert_eq!(
            get_with(&srv, path, &[("Authorization", "Bearer s3cret")]).status,
            200,
            "{path}"
        );
    }
    // Authentication comes before parameter checks.
    assert_eq!(
        get_with(&srv, "/v1/scan/protocols?page=-1", &[]).status,
        401
    );
    // Without a token set, any or no authorization passes.
    assert_eq!(
        get_with(app(), target, &[("Authorization", "Bearer anything")]).status,
        200
    );
}

#[test]
fn prioritize_is_recorded_and_searches_are_counted() {
    let srv = spawn(
        Arc::clone(&DATA),
        ServerOptions::default()
            .with_priority_limit(2)
            .with_api_limit(3),
    );
    let user = || get_with(&srv, "/v1/admin/user", &[]).json()["quota"].clone();
    let u = user();
    for field in [
        "api_limit",
        "api_usage",
        "priority_limit",
        "priority_usage",
        "lifetime_usage",
        "reset",
        "next_reset",
    ] {
        assert!(u.get(field).is_some(), "{field}");
    }
    assert_eq!(
        (u["api_usage"].as_u64(), u["priority_usage"].as_u64()),
        (Some(0), Some(0))
    );

    let p = get(
        &srv,
        "/v1/scan/protocols/prioritize",
        &[("ip", "1.2.3.4"), ("port", "443")],
    );
    assert_eq!(
        p.json(),
        serde_json::json!({"ip": "1.2.3.4", "port": 443, "queued": true})
    );
    for (params, code) in [
        (
            vec![("ip", "1.2.3.0/24"), ("port", "443")],
            "invalid-ip-parameter",
        ),
        (
            vec![("ip", "1.2.3.4"), ("port", "65536")],
            "invalid-port-parameter",
        ),
        (
            vec![("ip", "1.2.3.4"), ("port", "+1")],
            "invalid-port-parameter",
        ),
        (vec![("ip", "1.2.3.4")], "missing-parameter"),
    ] {
        let a = get(&srv, "/v1/scan/protocols/prioritize", &params);
        assert_eq!(
            (a.status, a.json()["code"].as_str()),
            (400, Some(code)),
            "{params:?}"
        );
    }
    assert_eq!(user()["priority_usage"], 1, "refused requests do not count");
    assert_eq!(
        get(
            &srv,
            "/v1/scan/protocols/prioritize",
            &[("ip", "2001:db8::1"), ("port", "22")]
        )
        .status,
        200
    );
    let a = get(
        &srv,
        "/v1/scan/protocols/prioritize",
        &[("ip", "1.2.3.5"), ("port", "22")],
    );
    assert_eq!(
        (a.status, a.json()["code"].as_str()),
        (403, Some("quota-exceeded"))
    );
    assert_eq!(user()["priority_usage"], 2);

    // A page costs 1, even when empty; a refused request nothing.
    assert_eq!(
        get(&srv, PROTOCOLS, &[("expression", "port-tcp:22")]).status,
        200
    );
    assert_eq!(
        get(&srv, PROTOCOLS, &[("expression", "title:zzzz-nothing")]).status,
        204
    );
    assert_eq!(
        get(&srv, PROTOCOLS, &[("expression", "geo-country:x")]).status,
        400
    );
    assert_eq!(user()["api_usage"], 2);
    assert_eq!(
        get(
            &srv,
            DOMAINS,
            &[("expression", "port-tcp:443"), ("summarize", "host")]
        )
        .status,
        200
    );
    let u = user();
    assert_eq!(
        (u["api_usage"].as_u64(), u["lifetime_usage"].as_u64()),
        (Some(3), Some(3))
    );
    let a = get(&srv, PROTOCOLS, &[("expression", "port-tcp:22")]);
    assert_eq!(
        (a.status, a.json()["code"].as_str()),
        (403, Some("quota-exceeded"))
    );
}

#[test]
fn searches_beyond_the_concurrency_cap_get_429() {
    let srv = spawn(
        Arc::clone(&DATA),
        ServerOptions::default().with_max_concurrent(Some(0)),
    );
    let a = get(&srv, PROTOCOLS, &[("expression", "port-tcp:22")]);
    assert_eq!(a.status, 429);
    assert_eq!(a.header("retry-after"), Some("1"));
    assert_eq!(a.json()["code"], "too-many-requests");
}

#[test]
fn eight_concurrent_clients_get_the_answers_one_gets() {
    let requests: Vec<Vec<(&str, &str)>> = vec![
        vec![("expression", "port-tcp:443")],
        vec![("expression", "port-tcp:443"), ("page", "3")],
        vec![("expression", "protocol=ssh"), ("most_recent", "true")],
        vec![("expression", "not port-tcp:80"), ("page", "7")],
        vec![
            ("expression", "port-tcp:443"),
            ("summarize", "issuer"),
            ("summary_cardinality", "true"),
        ],
        vec![
            ("ip", "0.0.0.0/0"),
            ("from", "2022-01-01"),
            ("to", "2022-12-31"),
            ("page", "2"),
        ],
        vec![("expression", "title:zzzz")],
        vec![("expression", "geo-country:x")],
    ];
    let answer = |r: &[(&str, &str)]| {
        let a = get(socket(), PROTOCOLS, r);
        (a.status, a.body)
    };
    let one: Vec<_> = requests.iter().map(|r| answer(r)).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|k| {
                let requests = &requests;
                s.spawn(move || {
                    // Each client goes through the requests from a different start.
                    (0..requests.len())
                        .map(|i| {
                            let at = (i + k) % requests.len();
                            (at, answer(&requests[at]))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (at, got) in h.join().unwrap() {
                assert_eq!(got, one[at], "request {at}");
            }
        }
    });
}

#[test]
fn no_input_makes_the_server_fail() {
    let targets = [
        "/v1/scan/protocols?expression=((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
        "/v1/scan/protocols?expression",
        "/v1/scan/protocols?=&&=x&expression==",
        "/v1/scan/protocols?expression=%",
        "/v1/scan/protocols?expression=%%%%",
        "/v1/scan/protocols?summary_limit=18446744073709551616&expression=port-tcp:1&summarize=x",
        "/v1/scan/protocols?slop=4294967296&expression=port-tcp:1",
        "/v1/scan/protocols?slop=4294967295&expression=title:a",
        "/v1/scan/protocols?ip=::&indirect=true&summarize=ip&summary_limit=10000",
        "/v1/scan/protocols?expression=ip:0.0.0.0/0&summarize=ip&summary_context=&summary_nocontext=",
        "/v1/scan/protocols?expression=search-term:%00",
        "/v1/scan/protocols?expression=title:%E2%80%AE",
        "/v1/scan/protocols/prioritize",
        "/v1/scan/protocols/prioritize?port=99999999999999999999999&ip=x",
        "/v1/scan/protocols/nope",
        "/",
        "/v1/admin/user?x=%FF",
    ];
    for t in targets {
        let a = get_with(socket(), t, &[]);
        assert!(
            [200, 204, 400, 404].contains(&a.status),
            "{t}: {}",
            a.status
        );
        if a.status != 204 {
            a.json();
        }
    }
    let deep = format!(
        "/v1/scan/protocols?expression={}title:x",
        "not%20".repeat(5_000)
    );
    assert_eq!(get_with(socket(), &deep, &[]).status, 400);
    // Bytes that are not even a valid request.
    for junk in [&b"GET /v1/scan/protocols?expression=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..], b"\x00\x01\x02\r\n\r\n"] {
        let mut s = std::net::TcpStream::connect(socket()).unwrap();
        use std::io::{Read, Write};
        s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let _ = s.write_all(junk);
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
    }
    let a = get_with(socket(), "/nope", &[]);
    assert_eq!(
        (a.status, a.json()["code"].as_str()),
        (404, Some("not-found"))
    );
    let a = raw(socket(), b"POST /v1/scan/protocols HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assert_eq!(a.status, 405);
    // Still serving.
    assert_eq!(
        get(socket(), PROTOCOLS, &[("expression", "port-tcp:22")]).status,
        200
    );
}

#[test]
fn the_sample_is_deterministic_and_realistic() {
    let a = driftql::server::sample::sample(300);
    assert_eq!(a, driftql::server::sample::sample(300));
    let d = Dataset::sample(300);
    assert_eq!(d.len(), 300);
    let mut want: Vec<_> = ids(&a);
    want.sort();
    let mut got = ids(d.reports());
    got.sort();
    assert_eq!(got, want);

    let ips: HashSet<&str> = DATA
        .reports()
        .flat_map(|r| r.items.iter())
        .filter(|i| i.ty == "ip" && i.context.is_empty())
        .map(|i| i.value.as_str())
        .collect();
    assert!(
        ips.iter().any(|i| i.contains(':')) && ips.iter().any(|i| i.contains('.')),
        "v4 and v6"
    );
    let years: BTreeSet<&str> = DATA.reports().map(|r| &r.date[..4]).collect();
    assert!(years.len() >= 5, "{years:?}");
    let counts: HashMap<&str, usize> = [
        "product-tag:hikvision* and geo-country=CN",
        "protocol=ssh and port-tcp:22",
        "protocol=http or protocol=https",
        "http-header-name=X-Powered-By",
        "http-header;Server:nginx",
        "http-header;Content-Type=\"text/html\"",
        "title:\"welcome to nginx\"",
        "issuer:\"let's encrypt\"",
        "subject:cn",
        "host;cert-dns-name:com",
        "host;dns-ptr:amazonaws.com",
        "url:wp-login.php",
        "port-udp:53 and protocol=dns",
        "protocol=modbus or protocol=s7 or protocol=bacnet",
        "product-info:openssh",
        "entity:hetzner",
        "ip:2000::/3",
        "ip;cert-ip-address:0.0.0.0/0",
        "product-tag:openssh and not geo-country=US",
    ]
    .into_iter()
    .map(|q| (q, direct(q, MatchOptions::default()).len()))
    .collect();
    for (q, n) in &counts {
        assert!(*n > 0, "{q} finds nothing");
    }
}

#[test]
fn loading_reports_bad_lines_by_number() {
    let data = concat!(
        "\u{feff}{\"date\":\"2024-01-01\",\"id\":\"a\",\"items\":[]}\n",
        "{\"date\":1}\n",
        "   \n",
        "{\"date\":\"2024-01-02\",\"id\":\"b\",\"items\":[]\n",
        "[1, 2]\n",
        "{\"date\":\"2024-02-30\",\"id\":\"c\",\"items\":[]}\n",
        "{\"date\":\"2024-01-03\",\"id\":\"d\",\"unknown\":true,\"items\":[]}",
    );
    let mut bytes = data.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n{\"date\":\"2024-01-04\",\"id\":\"\xff\",\"items\":[]}\n");
    let loaded = Dataset::read(&bytes[..], &driftql::export::ReadOptions::default()).unwrap();
    let lines: Vec<u64> = loaded.bad.iter().map(|e| e.at.line).collect();
    // An array's elements are each told of: line 5 twice.
    assert_eq!(lines, [2, 4, 5, 5, 6, 8]);
    assert_eq!(loaded.bad_count, 6);
    let message = |i: usize| loaded.bad[i].message.as_str();
    assert!(
        message(0).contains("a report's `date` must be a string, not a number"),
        "{}",
        message(0)
    );
    assert!(message(1).contains("EOF"), "{}", message(1));
    assert!(message(4).contains("2024-02-30"), "{}", message(4));
    assert_eq!(ids(loaded.dataset.reports()), ["d", "a"]);
    let bad = Dataset::new(vec![Report {
        date: "yesterday".into(),
        ..Report::default()
    }])
    .unwrap_err();
    assert_eq!(bad.line, 1);
}
