//! The client against the local server, end to end: `driftql::client::Client` over HTTP to
//! `driftql::server` serving the built-in sample, every answer checked against a direct
//! evaluation of the same request over the same reports.

#![cfg(all(feature = "client", feature = "server"))]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

use driftql::client::{Client, Error, MAX_PAGES, TruncationReason};
use driftql::models::{Date, Filter, IpParam, SummaryField, SummaryLimit};
use driftql::server::{self, Dataset, RunningServer, ServerOptions};
use driftql::{Item, MatchOptions, Query, Report};
use futures::{StreamExt, TryStreamExt};
use ipnet::IpNet;

const TOKEN: &str = "e2e-T0KEN-5b7c";

/// Enough reports for searches of tens of pages, few enough for a debug build to page through
/// them quickly.
const SAMPLE: usize = 5000;

static DATA: LazyLock<Arc<Dataset>> = LazyLock::new(|| Arc::new(Dataset::sample(SAMPLE)));

/// One server, without a token, for the tests that need no options of their own.
static SERVER: LazyLock<RunningServer> =
    LazyLock::new(|| spawn(Arc::clone(&DATA), ServerOptions::default()));

fn spawn(data: Arc<Dataset>, options: ServerOptions) -> RunningServer {
    server::start("127.0.0.1:0".parse().unwrap(), data, options).unwrap()
}

fn client_for(server: &RunningServer, token: &str) -> Client {
    Client::builder()
        .token(token)
        .base_url(server.url())
        .max_retries(0)
        .build()
        .unwrap()
}

fn client() -> Client {
    client_for(&SERVER, TOKEN)
}

fn parse(expr: &str) -> Query {
    driftql::parse(expr).unwrap()
}

/// The reports of the sample matching `expr` with `options`, in the server's order (newest
/// first, ties by id), by evaluating the query directly.
fn direct(expr: &str, options: MatchOptions) -> Vec<&'static Report> {
    let m = parse(expr).matcher(&options);
    DATA.reports().filter(|r| m.matches(r)).collect()
}

fn ids<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Vec<String> {
    reports.into_iter().map(|r| r.id.clone()).collect()
}

/// Every report of a search, through the paging stream.
async fn all_reports(search: driftql::client::SearchBuilder) -> Vec<Report> {
    search.reports().unwrap().try_collect().await.unwrap()
}

fn assert_no_repeats(got: &[String], what: &str) {
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "{what}: a report came twice");
}

// ---------------------------------------------------------------------------------------------
// Results and paging

#[tokio::test]
async fn one_page_is_the_first_hundred_matches_newest_first() {
    let expr = "port-tcp:443";
    let want = direct(expr, MatchOptions::default());
    assert!(want.len() > 300, "{} matches", want.len());

    let page = client().search(parse(expr)).send().await.unwrap();
    assert_eq!(page.page, 0);
    assert_eq!(page.result_count, want.len() as u64);
    assert_eq!(page.pages as usize, want.len().div_ceil(100));
    // The reports themselves, every item, as the server holds them.
    let want_first: Vec<Report> = want[..100].iter().map(|r| (*r).clone()).collect();
    assert_eq!(page.results, want_first);

    let third = client().search(parse(expr)).page(2).send().await.unwrap();
    assert_eq!(third.page, 2);
    assert_eq!(ids(&third.results), ids(want[200..300].iter().copied()));
}

#[tokio::test]
async fn paging_with_prefetch_1_and_5_delivers_every_match_once_in_order() {
    for expr in [
        "protocol=ssh",
        "port-tcp:443",
        "geo-country=US or geo-country=CN",
        "not port-tcp:80",
        "product-tag:hikvision* and geo-country=CN",
    ] {
        let want = ids(direct(expr, MatchOptions::default()));
        assert!(!want.is_empty(), "{expr} matches nothing in the sample");
        let want_pages = want.len().div_ceil(100) as u32;
        for prefetch in [1, 5] {
            let mut reports = client()
                .search(parse(expr))
                .prefetch(prefetch)
                .reports()
                .unwrap();
            let mut got = Vec::new();
            while let Some(r) = reports.try_next().await.unwrap() {
                got.push(r.id);
            }
            let what = format!("{expr} (prefetch {prefetch})");
            assert_eq!(got, want, "{what}");
            assert_no_repeats(&got, &what);
            assert_eq!(reports.truncation(), None, "{what}");
            let pages = reports.pages();
            assert_eq!(pages.pages_delivered(), want_pages, "{what}");
            assert_eq!(pages.server_pages(), Some(want_pages), "{what}");
            assert_eq!(pages.result_count(), Some(want.len() as u64), "{what}");
        }
    }
}

#[tokio::test]
async fn the_page_stream_gives_full_pages_then_a_short_last_one() {
    let expr = "protocol=ssh";
    let want = ids(direct(expr, MatchOptions::default()));
    let pages: Vec<_> = client()
        .search(parse(expr))
        .prefetch(3)
        .pages()
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), want.len().div_ceil(100));
    for (n, p) in pages.iter().enumerate() {
        assert_eq!(p.page as usize, n);
        let expected = &want[n * 100..((n + 1) * 100).min(want.len())];
        assert_eq!(ids(&p.results), expected, "page {n}");
    }
}

#[tokio::test]
async fn a_page_budget_stops_early_says_so_and_a_later_start_resumes() {
    let expr = "not port-tcp:80";
    let want = ids(direct(expr, MatchOptions::default()));
    assert!(want.len() > 1000);

    let mut reports = client().search(parse(expr)).max_pages(3).reports().unwrap();
    let mut got = Vec::new();
    while let Some(r) = reports.try_next().await.unwrap() {
        got.push(r.id);
    }
    assert_eq!(got, want[..300]);
    let t = reports
        .truncation()
        .expect("the budget truncates the search");
    assert_eq!(t.reason, TruncationReason::Budget);
    assert_eq!(t.result_count, want.len() as u64);
    assert_eq!(t.end_page, 3);
    assert_eq!(t.missing(), want.len() as u64 - 300);
    assert_eq!(reports.pages().pages_delivered(), 3);

    // Where the budget stopped, a new stream goes on.
    let rest = all_reports(client().search(parse(expr)).page(3).max_pages(2)).await;
    assert_eq!(ids(&rest), want[300..500]);
}

/// 10,250 minimal reports, all matching `port-tcp:1`: more than the API serves of one search.
fn over_the_cap() -> Arc<Dataset> {
    let reports = (0..10_250)
        .map(|i| Report {
            date: format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
            id: format!("r{i:05}"),
            items: vec![Item::new("port-tcp", "", "1")],
        })
        .collect();
    Arc::new(Dataset::new(reports).unwrap())
}

#[tokio::test]
async fn the_100_page_cap_ends_the_stream_with_a_typed_truncation() {
    let data = over_the_cap();
    let srv = spawn(Arc::clone(&data), ServerOptions::default());
    let c = client_for(&srv, TOKEN);
    let mut reports = c.search(parse("port-tcp:1")).reports().unwrap();
    let mut got = Vec::new();
    while let Some(r) = reports.try_next().await.unwrap() {
        got.push(r.id);
    }
    let want: Vec<String> = data.reports().take(10_000).map(|r| r.id.clone()).collect();
    assert_eq!(got, want);
    assert_no_repeats(&got, "over the cap");
    let t = reports.truncation().expect("the cap truncates the search");
    assert_eq!(t.reason, TruncationReason::PageCap);
    assert_eq!(t.result_count, 10_250);
    assert_eq!(t.pages, MAX_PAGES);
    assert_eq!(t.end_page, MAX_PAGES);
    assert_eq!(t.missing(), 250);
    assert!(t.to_string().contains("10250 results match"), "{t}");

    // A summary covers every match, past the cap.
    let s = c
        .search(parse("port-tcp:1"))
        .summarize("port-tcp".parse().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(s.values, [("1".to_owned(), 10_250)]);

    // A date window brings the rest within reach.
    let window = all_reports(
        c.search(parse("port-tcp:1"))
            .from(date("2024-12-01"))
            .to(date("2024-12-31")),
    )
    .await;
    let want: Vec<String> = data
        .reports()
        .filter(|r| r.date.starts_with("2024-12-"))
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids(&window), want);
}

#[tokio::test]
async fn nothing_matching_is_an_empty_page_and_an_empty_stream() {
    let q = || parse("title:zzzz-nothing-has-this");
    let page = client().search(q()).send().await.unwrap();
    assert!(page.results.is_empty());
    assert_eq!((page.pages, page.result_count), (0, 0));
    let mut reports = client().search(q()).reports().unwrap();
    assert!(reports.next().await.is_none());
    assert_eq!(reports.truncation(), None);
    // A page past the last is 204 too.
    let past = client()
        .search(parse("protocol=ssh"))
        .page(99)
        .send()
        .await
        .unwrap();
    assert!(past.results.is_empty());
}

#[tokio::test]
async fn quoting_and_separators_survive_the_trip() {
    for expr in [
        r#"http-header;Content-Type="text/html; charset=UTF-8""#,
        r#"title:"Welcome to nginx!""#,
        r#"product-info="Apache httpd 2.4.41" or subject:"O=Hetzner Online GmbH""#,
        "issuer:\"Let's Encrypt\" and not issuer:R3",
    ] {
        let want = ids(direct(expr, MatchOptions::default()));
        assert!(!want.is_empty(), "{expr} matches nothing in the sample");
        let got = all_reports(client().search(parse(expr))).await;
        assert_eq!(ids(&got), want, "{expr}");
    }
}

// ---------------------------------------------------------------------------------------------
// Summaries

/// Counts each distinct value of the items `keep` selects once per report.
fn direct_count(
    reports: &[&Report],
    keep: impl Fn(&Item) -> bool,
    value: impl Fn(&Item) -> &str,
) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for r in reports {
        let distinct: BTreeSet<&str> = r.items.iter().filter(|i| keep(i)).map(&value).collect();
        for v in distinct {
            *counts.entry(v.to_owned()).or_insert(0) += 1;
        }
    }
    let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}

fn field(s: &str) -> SummaryField {
    s.parse().unwrap()
}

fn limit(n: u64) -> SummaryLimit {
    SummaryLimit::new(n, false).unwrap()
}

#[tokio::test]
async fn summaries_agree_with_a_direct_count_in_the_servers_order() {
    let expr = "geo-country=US or geo-country=DE";
    let matching = direct(expr, MatchOptions::default());
    let want = direct_count(&matching, |i| i.ty == "port-tcp", |i| &i.value);
    assert!(want.len() > 8, "{want:?}");

    // Every value, in order: by count, then value.
    let s = client()
        .search(parse(expr))
        .summarize(field("port-tcp"))
        .send()
        .await
        .unwrap();
    assert_eq!(s.values, want);
    assert_eq!((s.other, s.cardinality), (0, None));
    assert_eq!(
        s.get("443"),
        want.iter().find(|(v, _)| v == "443").map(|v| v.1)
    );

    // A limit: the rest summed into `other`; the number of distinct values.
    let s = client()
        .search(parse(expr))
        .summarize(field("port-tcp"))
        .limit(limit(5))
        .cardinality(true)
        .send()
        .await
        .unwrap();
    assert_eq!(s.values, want[..5]);
    assert_eq!(s.other, want[5..].iter().map(|(_, n)| n).sum::<u64>());
    assert_eq!(s.cardinality, Some(want.len() as u64));
    let listed: Vec<(&str, u64)> = s.iter().collect();
    assert_eq!(listed.len(), 5);
    assert!(listed.windows(2).all(|w| w[0].1 >= w[1].1), "{listed:?}");
}

#[tokio::test]
async fn summary_contexts_select_and_drop_items() {
    let expr = "port-tcp:443";
    let matching = direct(expr, MatchOptions::default());
    let summarize = |f: &str| client().search(parse(expr)).summarize(field(f));

    // `host` items: the scanned name (empty context), certificate names, reverse DNS.
    let all = direct_count(&matching, |i| i.ty == "host", |i| &i.value);
    let scanned = direct_count(
        &matching,
        |i| i.ty == "host" && i.context.is_empty(),
        |i| &i.value,
    );
    let not_cert = direct_count(
        &matching,
        |i| i.ty == "host" && i.context != "cert-dns-name",
        |i| &i.value,
    );
    let cert_or_rdns = direct_count(
        &matching,
        |i| i.ty == "host" && (i.context == "cert-dns-name" || i.context == "dns-ptr"),
        |i| &i.value,
    );
    assert!(scanned.len() < not_cert.len() && not_cert.len() < all.len());

    let big = limit(10_000);
    let s = summarize("host").limit(big).send().await.unwrap();
    assert_eq!(s.values, all);
    let s = summarize("host")
        .context("")
        .limit(big)
        .send()
        .await
        .unwrap();
    assert_eq!(s.values, scanned);
    let s = summarize("host")
        .no_context("cert-dns-name")
        .limit(big)
        .send()
        .await
        .unwrap();
    assert_eq!(s.values, not_cert);
    let s = summarize("host")
        .context("cert-dns-name")
        .context("dns-ptr")
        .limit(big)
        .send()
        .await
        .unwrap();
    assert_eq!(s.values, cert_or_rdns);

    // `protocol` counts the contexts of `server-banner` items.
    let expr = "geo-country=DE";
    let matching = direct(expr, MatchOptions::default());
    let protocols = direct_count(&matching, |i| i.ty == "server-banner", |i| &i.context);
    assert!(protocols.len() > 5, "{protocols:?}");
    let s = client()
        .search(parse(expr))
        .summarize(field("protocol"))
        .send()
        .await
        .unwrap();
    assert_eq!(s.values, protocols);
}

#[tokio::test]
async fn a_summary_of_nothing_is_empty() {
    let s = client()
        .search(parse("title:zzzz-nothing-has-this"))
        .summarize(field("port-tcp"))
        .cardinality(true)
        .send()
        .await
        .unwrap();
    assert!(s.values.is_empty());
    assert_eq!((s.other, s.cardinality), (0, Some(0)));
    // A type no report has.
    let s = client()
        .search(parse("protocol=ssh"))
        .summarize(field("no-such-type"))
        .send()
        .await
        .unwrap();
    assert!(s.values.is_empty());
}

// ---------------------------------------------------------------------------------------------
// The other parameters

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// The scanned `{ip, port}` pair of a report, as the server documents it.
fn service(r: &Report) -> Option<(IpAddr, u16, bool)> {
    let ip = r
        .items
        .iter()
        .filter(|i| i.ty == "ip" && i.context.is_empty())
        .find_map(|i| i.value.parse::<IpAddr>().ok())?;
    let (port, udp) = r
        .items
        .iter()
        .filter(|i| i.context.is_empty())
        .find_map(|i| {
            let udp = match i.ty.as_str() {
                "port-tcp" => false,
                "port-udp" => true,
                _ => return None,
            };
            i.value.parse::<u16>().ok().map(|p| (p, udp))
        })?;
    Some((ip.to_canonical(), port, udp))
}

#[tokio::test]
async fn most_recent_keeps_the_newest_report_of_each_address_and_port() {
    let expr = "protocol=ssh or protocol=http";
    let matching = direct(expr, MatchOptions::default());
    let mut seen = HashSet::new();
    let want: Vec<String> = matching
        .iter()
        .filter(|r| service(r).is_none_or(|s| seen.insert(s)))
        .map(|r| r.id.clone())
        .collect();
    assert!(
        want.len() < matching.len() / 2,
        "the sample rescans its hosts: {} of {}",
        want.len(),
        matching.len()
    );
    let got = all_reports(client().search(parse(expr)).most_recent(true)).await;
    assert_eq!(ids(&got), want);
    let services: HashSet<_> = got.iter().filter_map(service).collect();
    assert_eq!(services.len(), got.len(), "one report per pair");
    // `false` is no restriction.
    let got = all_reports(client().search(parse(expr)).most_recent(false)).await;
    assert_eq!(ids(&got), ids(matching));
}

#[tokio::test]
async fn from_and_to_are_an_inclusive_date_window() {
    let expr = "protocol=ssh";
    let matching = direct(expr, MatchOptions::default());
    // Bounds that are dates of matching reports, to see both ends are included.
    let to = matching[matching.len() / 4].date.clone();
    let from = matching[matching.len() / 2].date.clone();
    let within = |r: &&Report| r.date >= from && r.date <= to;
    let want = ids(matching.iter().copied().filter(within));
    assert!(
        want.iter()
            .any(|id| matching.iter().any(|r| &r.id == id && r.date == to))
    );
    assert!(
        want.iter()
            .any(|id| matching.iter().any(|r| &r.id == id && r.date == from))
    );

    let got = all_reports(client().search(parse(expr)).from(date(&from)).to(date(&to))).await;
    assert_eq!(ids(&got), want);

    let got = all_reports(client().search(parse(expr)).from(date(&from))).await;
    assert_eq!(
        ids(&got),
        ids(matching.iter().filter(|r| r.date >= from).copied())
    );
    let got = all_reports(client().search(parse(expr)).to(date(&to))).await;
    assert_eq!(
        ids(&got),
        ids(matching.iter().filter(|r| r.date <= to).copied())
    );

    // One day.
    let got = all_reports(client().search(parse(expr)).from(date(&to)).to(date(&to))).await;
    assert!(!got.is_empty());
    assert!(got.iter().all(|r| r.date == to));
}

/// The reports with an `ip` item in `net`, in the empty context only or in any.
fn with_ip_in(net: IpNet, any_context: bool) -> Vec<String> {
    ids(DATA.reports().filter(|r| {
        r.items.iter().any(|i| {
            i.ty == "ip"
                && (any_context || i.context.is_empty())
                && i.value.parse::<IpAddr>().is_ok_and(|a| net.contains(&a))
        })
    }))
}

#[tokio::test]
async fn ip_searches_the_scanned_address_and_indirect_any_context() {
    // Certificates name private addresses; no host is scanned at one.
    let private: IpParam = "10.0.0.0/8".parse().unwrap();
    let c = client();
    let got = c.protocols().ip(private).send().await.unwrap();
    assert!(got.results.is_empty());
    let want = with_ip_in(private.net(), true);
    assert!(!want.is_empty());
    let got = all_reports(c.protocols().ip(private).indirect(true)).await;
    assert_eq!(ids(&got), want);
    assert!(
        got.iter()
            .all(|r| r.items.iter().any(|i| i.context == "cert-ip-address"))
    );

    // A block around a scanned address, v4 and v6.
    for family_v6 in [false, true] {
        let scanned: IpAddr = DATA
            .reports()
            .flat_map(|r| &r.items)
            .filter(|i| i.ty == "ip" && i.context.is_empty())
            .filter_map(|i| i.value.parse::<IpAddr>().ok())
            .find(|a| a.is_ipv6() == family_v6)
            .unwrap();
        let prefix = if family_v6 { 32 } else { 16 };
        let net = IpNet::new(scanned, prefix).unwrap().trunc();
        let want = with_ip_in(net, false);
        assert!(!want.is_empty());
        let got = all_reports(c.protocols().ip(net)).await;
        assert_eq!(ids(&got), want, "{net}");
        // One address: its reports (the host's rescans).
        let got = all_reports(c.protocols().ip(scanned)).await;
        assert_eq!(
            ids(&got),
            with_ip_in(IpNet::from(scanned), false),
            "{scanned}"
        );

        // With an expression, both must hold.
        let expr = "not protocol=ssh";
        let not_ssh: HashSet<String> = ids(direct(expr, MatchOptions::default()))
            .into_iter()
            .collect();
        let got = all_reports(c.search(parse(expr)).ip(net)).await;
        let want: Vec<String> = want.into_iter().filter(|id| not_ssh.contains(id)).collect();
        assert_eq!(ids(&got), want, "{net} and {expr}");
    }
}

#[tokio::test]
async fn filter_narrows_like_an_added_term() {
    let got = all_reports(
        client()
            .search(parse("geo-country=US"))
            .filter("port-tcp:443".parse::<Filter>().unwrap()),
    )
    .await;
    let want = ids(direct(
        "geo-country=US and port-tcp:443",
        MatchOptions::default(),
    ));
    assert!(!want.is_empty());
    assert_eq!(ids(&got), want);
    assert!(want.len() < direct("geo-country=US", MatchOptions::default()).len());
}

#[tokio::test]
async fn slop_lets_words_stand_between_the_words_of_a_phrase() {
    let expr = r#"entity:"university london""#;
    let without = client().search(parse(expr)).send().await.unwrap();
    assert!(without.results.is_empty());
    let got = all_reports(client().search(parse(expr)).slop(1)).await;
    let want = ids(direct(expr, MatchOptions::default().with_slop(1)));
    assert!(!want.is_empty());
    assert_eq!(ids(&got), want);
    let got = all_reports(client().search(parse(expr)).slop(0)).await;
    assert!(got.is_empty());
}

#[tokio::test]
async fn host_in_url_lets_host_terms_match_hosts_inside_urls() {
    let expr = "host:code.jquery.com";
    let without = all_reports(client().search(parse(expr))).await;
    assert!(without.is_empty());
    let got = all_reports(client().search(parse(expr)).host_in_url(true)).await;
    let want = ids(direct(expr, MatchOptions::default().with_host_in_url(true)));
    assert!(!want.is_empty());
    assert_eq!(ids(&got), want);
    let got = all_reports(client().search(parse(expr)).host_in_url(false)).await;
    assert!(got.is_empty());
}

#[tokio::test]
async fn domains_are_the_reports_of_hosts_scanned_by_name() {
    let expr = "port-tcp:443 or port-tcp:80";
    let want = ids(direct(expr, MatchOptions::default())
        .into_iter()
        .filter(|r| {
            r.items
                .iter()
                .any(|i| i.ty == "host" && i.context.is_empty())
        }));
    assert!(!want.is_empty());
    let got = all_reports(client().domains().expression(parse(expr))).await;
    assert_eq!(ids(&got), want);
    let all = direct(expr, MatchOptions::default()).len();
    assert!(want.len() < all);
}

#[tokio::test]
async fn a_warning_does_not_stop_the_search() {
    // `geo-country=cn` draws a warning (country codes are uppercase) and is sent as it is.
    let q = parse("geo-country=cn or geo-country=VN");
    let warnings = client().search(q.clone()).check().unwrap();
    assert_eq!(
        warnings.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["country-case"]
    );
    let got = all_reports(client().search(q)).await;
    let want = ids(direct(
        "geo-country=cn or geo-country=VN",
        MatchOptions::default(),
    ));
    assert!(!want.is_empty());
    assert_eq!(ids(&got), want);
}

// ---------------------------------------------------------------------------------------------
// Errors

#[tokio::test]
async fn an_invalid_query_is_refused_before_anything_is_sent() {
    let srv = spawn(Arc::clone(&DATA), ServerOptions::default());
    let c = client_for(&srv, TOKEN);
    let e = c
        .search(parse("geo-country:cn and port-tcp:99999"))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_refused_before_sending(), "{e}");
    let Error::InvalidQuery(v) = &e else {
        panic!("{e:?}")
    };
    let codes: Vec<_> = v.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"keyword-only-type") && codes.contains(&"invalid-port"));
    assert!(matches!(
        c.search(parse("geo-country:cn")).reports(),
        Err(Error::InvalidQuery(_))
    ));
    let e = c
        .search(parse("geo-country:cn"))
        .summarize(field("port-tcp"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidQuery(_)), "{e:?}");
    // Parameters the client checks: nothing to search, `from` after `to`.
    let e = c.protocols().send().await.unwrap_err();
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    let e = c
        .search(parse("port-tcp:22"))
        .from(date("2024-02-01"))
        .to(date("2024-01-31"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    // The server saw none of it.
    let q = c.user().await.unwrap().quota;
    assert_eq!(q.api_usage, Some(0));
}

#[tokio::test]
async fn what_only_the_server_checks_is_a_400_api_error() {
    // Page 100 and beyond: no search returns it, so the client refuses it before sending, with
    // the code the server gives it.
    let e = client()
        .search(parse("port-tcp:22"))
        .page(100)
        .send()
        .await
        .unwrap_err();
    match &e {
        Error::InvalidRequest(r) => {
            assert_eq!(r.code(), "page-limit");
            assert!(r.to_string().contains("at most 100 pages"), "{r}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_refused_before_sending());
    // A summary limit above the standard plan's.
    let e = client()
        .search(parse("port-tcp:22"))
        .summarize(field("port-tcp"))
        .limit(SummaryLimit::new(50_000, true).unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api { status: 400, .. }), "{e:?}");
    assert!(e.to_string().contains("summary_limit"), "{e}");
    // The same limit on an enterprise plan.
    let srv = spawn(
        Arc::clone(&DATA),
        ServerOptions::default().with_enterprise(true),
    );
    let s = client_for(&srv, TOKEN)
        .search(parse("port-tcp:22"))
        .summarize(field("port-tcp"))
        .limit(SummaryLimit::new(50_000, true).unwrap())
        .send()
        .await
        .unwrap();
    assert!(!s.values.is_empty());
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_never_shown() {
    let srv = spawn(
        Arc::clone(&DATA),
        ServerOptions::default().with_token("right-T0KEN"),
    );
    let wrong = client_for(&srv, "wrong-T0KEN");
    for e in [
        wrong.search(parse("port-tcp:22")).send().await.unwrap_err(),
        wrong.user().await.unwrap_err(),
        wrong
            .prioritize("192.0.2.1".parse().unwrap(), 22)
            .await
            .unwrap_err(),
        wrong
            .search(parse("port-tcp:22"))
            .summarize(field("port-tcp"))
            .send()
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
        assert_eq!(e.status(), Some(401));
        let text = format!("{e} {e:?}");
        assert!(!text.contains("T0KEN"), "{text}");
    }
    // The paging stream ends with the error, naming page 0.
    let mut reports = wrong.search(parse("port-tcp:22")).reports().unwrap();
    let e = reports.try_next().await.unwrap_err();
    assert_eq!(e.page, 0);
    assert!(matches!(e.error, Error::Unauthorized { .. }));
    assert!(reports.next().await.is_none());

    let right = client_for(&srv, "right-T0KEN");
    let page = right.search(parse("port-tcp:22")).send().await.unwrap();
    assert!(!page.results.is_empty());
    assert_eq!(right.user().await.unwrap().quota.api_usage, Some(1));
}

#[tokio::test]
async fn a_spent_quota_is_quota_exceeded() {
    let srv = spawn(
        Arc::clone(&DATA),
        ServerOptions::default()
            .with_api_limit(3)
            .with_priority_limit(1),
    );
    let c = client_for(&srv, TOKEN);
    // Three pages, then the stream fails on the fourth, naming it.
    let mut reports = c
        .search(parse("not port-tcp:80"))
        .prefetch(1)
        .reports()
        .unwrap();
    let mut got = 0;
    let e = loop {
        match reports.try_next().await {
            Ok(Some(_)) => got += 1,
            Ok(None) => panic!("the stream ended without the quota error"),
            Err(e) => break e,
        }
    };
    assert_eq!(got, 300);
    assert_eq!(e.page, 3);
    assert!(
        matches!(e.error, Error::QuotaExceeded { .. }),
        "{:?}",
        e.error
    );
    let e = c.search(parse("port-tcp:22")).send().await.unwrap_err();
    assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");

    c.prioritize("192.0.2.1".parse().unwrap(), 22)
        .await
        .unwrap();
    let e = c
        .prioritize("192.0.2.1".parse().unwrap(), 22)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");
    let q = c.user().await.unwrap().quota;
    assert_eq!((q.api_usage, q.api_limit), (Some(3), Some(3)));
    assert_eq!((q.priority_usage, q.priority_limit), (Some(1), Some(1)));

    // A token that happens to be one of the server's words is redacted from the message, but
    // the error is still told by those words.
    let wordy = client_for(&srv, "api_limit");
    let e = wordy.search(parse("port-tcp:22")).send().await.unwrap_err();
    let Error::QuotaExceeded { message } = &e else {
        panic!("{e:?}")
    };
    assert!(!message.contains("api_limit"), "{message}");
    assert!(message.contains("quota ([redacted])"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Prioritize and the quota

#[tokio::test]
async fn prioritize_and_searches_are_counted_in_the_quota() {
    let srv = spawn(Arc::clone(&DATA), ServerOptions::default());
    let c = client_for(&srv, TOKEN);
    let q = c.user().await.unwrap().quota;
    assert_eq!((q.api_usage, q.priority_usage), (Some(0), Some(0)));
    assert_eq!(
        (q.api_limit, q.priority_limit),
        (Some(100_000), Some(1_000))
    );
    assert_eq!(q.lifetime_usage, Some(0));
    assert!(
        q.reset
            .as_deref()
            .is_some_and(|r| r.ends_with("-01T00:00:00.000Z"))
    );

    let answer = c
        .prioritize("192.0.2.10".parse().unwrap(), 8443)
        .await
        .unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"ip": "192.0.2.10", "port": 8443, "queued": true})
    );
    c.prioritize("2001:db8::1".parse().unwrap(), 22)
        .await
        .unwrap();

    // Pages cost 1 each (an empty one too), a summary 1; refusals cost nothing.
    let pages = all_reports(c.search(parse("protocol=ssh")).max_pages(3)).await;
    assert_eq!(pages.len(), 300);
    c.search(parse("title:zzzz-nothing-has-this"))
        .send()
        .await
        .unwrap();
    c.search(parse("protocol=ssh"))
        .summarize(field("port-tcp"))
        .send()
        .await
        .unwrap();
    c.search(parse("protocol=ssh"))
        .page(100)
        .send()
        .await
        .unwrap_err();
    c.search(parse("geo-country:cn")).send().await.unwrap_err();

    let q = c.user().await.unwrap().quota;
    assert_eq!(q.api_usage, Some(5));
    assert_eq!(q.lifetime_usage, Some(5));
    assert_eq!(q.priority_usage, Some(2));
}

// ---------------------------------------------------------------------------------------------
// Concurrency

/// What one client sees of a few searches: every report of some, a summary, one page.
async fn survey(c: Client) -> (Vec<Vec<String>>, Vec<(String, u64)>, Vec<String>) {
    let mut lists = Vec::new();
    for expr in ["protocol=ssh", "geo-country=DE"] {
        lists.push(ids(&all_reports(c.search(parse(expr)).prefetch(5)).await));
    }
    let summary = c
        .search(parse("not port-tcp:22"))
        .summarize(field("product-tag"))
        .limit(limit(20))
        .send()
        .await
        .unwrap()
        .values;
    let page = c
        .search(parse("http-header;Server=nginx*"))
        .page(1)
        .send()
        .await
        .unwrap();
    (lists, summary, ids(&page.results))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_clients_at_once_get_the_answers_one_gets() {
    let alone = survey(client()).await;
    assert!(alone.0.iter().all(|l| !l.is_empty()) && !alone.1.is_empty() && !alone.2.is_empty());
    let tasks: Vec<_> = (0..8).map(|_| tokio::spawn(survey(client()))).collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), alone);
    }
    // One client shared by eight tasks: its concurrency limit is shared too.
    let shared = client();
    let tasks: Vec<_> = (0..8)
        .map(|_| tokio::spawn(survey(shared.clone())))
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), alone);
    }
}

#[tokio::test]
async fn the_clients_concurrency_keeps_it_within_a_servers_cap() {
    // The server answers 429 past 5 searches at once; the client runs at most 5 requests at
    // once, so a prefetch of 5 pages never meets a 429 (and this client does not retry).
    let srv = spawn(
        Arc::clone(&DATA),
        ServerOptions::default().with_max_concurrent(Some(5)),
    );
    let c = client_for(&srv, TOKEN);
    let want = ids(direct("not port-tcp:80", MatchOptions::default()));
    let got = all_reports(c.search(parse("not port-tcp:80")).prefetch(5)).await;
    assert_eq!(ids(&got), want);
}
