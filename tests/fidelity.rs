//! Fidelity to the real Driftnet API: its documented answers (`tests/fixtures/api/`) decoded by
//! the client and printed by the CLI, the echoed token never shown; the requests Driftnet's own
//! integrations send, answered by the local server as their `expression` equivalents are; the
//! other endpoints, against the client and the server; and what is not a report, refused.

mod common;
mod mock_api;
mod server_support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use driftql::eval::MatchOptions;
use driftql::models::{Account, IpPorts, IpSummary, Ports, ResultsPage, SummaryAnswer};
use driftql::server::{Dataset, ServerOptions};
use driftql::{Report, ScanItem};
use mock_api::{TOKEN, assert_call, calls, query_param};
use server_support::{InProcess, get};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/api")
        .join(name)
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

/// A mock API answering `route` with the fixture `name`.
async fn mock(route: &str, name: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(fixture_text(name))
                .insert_header("content-type", "application/json"),
        )
        .mount(&server)
        .await;
    server
}

/// `driftql ARGS --token TOKEN --api-url URL`, off the async runtime.
async fn cli(args: &[&str], server: &MockServer) -> std::process::Output {
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend([
        "--token".into(),
        TOKEN.into(),
        "--api-url".into(),
        server.uri(),
    ]);
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        common::driftql(&refs, b"")
    })
    .await
    .unwrap()
}

/// Neither stream holds the token, nor a piece of it.
#[track_caller]
fn no_token(o: &std::process::Output) {
    for stream in [&o.stdout, &o.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains("S3CRET"), "{text}");
    }
}

fn client(server: &MockServer) -> driftql::client::Client {
    driftql::client::Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .max_retries(0)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The documented answers

#[tokio::test(flavor = "multi_thread")]
async fn the_documented_account_is_decoded_and_shown_without_its_token() {
    let server = mock("/v1/admin/user", "account.json").await;
    let account = client(&server).user().await.unwrap();
    assert_eq!(account.name.as_deref(), Some("John Doe"));
    assert_eq!(account.quota.api_usage, Some(37));
    assert_eq!(account.additional_quota[0].name.as_deref(), Some("ci"));
    assert!(!format!("{account:?}").contains("S3CRET"));

    let o = cli(&["quota"], &server).await;
    common::assert_status(&o, 0);
    no_token(&o);
    assert_eq!(
        common::stdout(&o),
        "account     John Doe (network_admin)\n\
         searches    37 / 500\n\
         prioritize  2 / 10\n\
         lifetime    1210\n\
         reset       2019-05-13T11:16:52.000Z\n\
         next reset  2019-06-13T11:16:52.000Z\n\
         extra ci    searches 9 / 100, prioritize 0 / 0\n"
    );
    let o = cli(&["quota", "--output", "json"], &server).await;
    common::assert_status(&o, 0);
    no_token(&o);
    let back: Account = serde_json::from_str(&common::stdout(&o)).unwrap();
    assert_eq!(back, account);
    assert!(!common::stdout(&o).contains("token"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_older_flat_account_reads_the_same_way() {
    let server = mock("/v1/admin/user", "account_flat.json").await;
    let o = cli(&["quota"], &server).await;
    common::assert_status(&o, 0);
    no_token(&o);
    assert_eq!(
        common::stdout(&o),
        "searches    12 / 1000\n\
         prioritize  1 / 50\n\
         saved sets  0 / 2\n\
         lifetime    4321\n\
         reset       2024-05-01\n\
         next reset  2024-06-01\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ports_ipports_and_the_ip_summary_are_decoded_and_printed() {
    let server = mock("/v1/scan/ports", "ports.json").await;
    let ports: Ports = client(&server)
        .ports("8.8.8.8".parse::<std::net::IpAddr>().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(ports.values, [("443".into(), 10), ("53".into(), 4)]);
    assert!(ports.honeypot);
    let o = cli(&["ports", "8.8.8.8"], &server).await;
    common::assert_status(&o, 0);
    no_token(&o);
    assert_eq!(
        common::stdout(&o),
        "PORT        COUNT\n443         10\n53          4\n(other)     0\n(honeypot)  yes\n"
    );
    assert_call(&calls(&server).await[1], "/v1/scan/ports", "ip=8.8.8.8");

    let server = mock("/v1/scan/ipports", "ipports.json").await;
    let o = cli(
        &["ipports", "162.216.149.0/24", "--output", "json"],
        &server,
    )
    .await;
    common::assert_status(&o, 0);
    let back: IpPorts = serde_json::from_str(&common::stdout(&o)).unwrap();
    assert_eq!(
        back,
        serde_json::from_str::<IpPorts>(&fixture_text("ipports.json")).unwrap()
    );
    let o = cli(&["ipports", "162.216.149.0/24"], &server).await;
    assert_eq!(
        common::stdout(&o),
        "ADDRESS          PORT     COUNT  NOTE\n\
         162.216.149.102  9100     1      honeypot\n\
         162.216.149.103  443      3\n\
         162.216.149.103  80       1\n\
         162.216.149.103  (other)  2\n"
    );

    let server = mock("/v1/ip/summary", "ip_summary.json").await;
    let o = cli(&["ip-summary", "8.8.8.8", "--restrict", "bgp"], &server).await;
    common::assert_status(&o, 0);
    assert_eq!(
        common::stdout(&o),
        "SECTION  NAME        BLOCK       FROM\n\
         domain   dns.google  8.8.8.8/32  rdns\n\
         entity   Google LLC  8.8.8.0/24  bgpasn\n"
    );
    assert_call(
        &calls(&server).await[0],
        "/v1/ip/summary",
        "ip=8.8.8.8&restrict=bgp",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_documented_page_and_summary_are_decoded() {
    let page: ResultsPage = serde_json::from_str(&fixture_text("page.json")).unwrap();
    assert_eq!((page.pages, page.result_count), (22, 2174));
    let summary: SummaryAnswer = serde_json::from_str(&fixture_text("summary.json")).unwrap();
    assert_eq!(summary.summary.cardinality, Some(154));

    let server = mock("/v1/scan/protocols", "page.json").await;
    let o = cli(&["search", "ip:8.8.8.8"], &server).await;
    common::assert_status(&o, 0);
    no_token(&o);
    let report: Report = serde_json::from_str(common::stdout(&o).trim()).unwrap();
    assert_eq!(report.id, "hJgzWy25TfuNfhvgMzs8Tw");
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_filters_and_the_older_parameters_are_sent() {
    let server = mock("/v1/scan/protocols", "page.json").await;
    let o = cli(
        &[
            "search",
            "--ip",
            "8.8.8.8",
            "--filter",
            "port-tcp:80",
            "--filter",
            "port-tcp:443",
            "--field",
            "server-banner:nginx",
            "--keyword",
            "product-tag:jira",
            "--query",
            "admin panel",
        ],
        &server,
    )
    .await;
    common::assert_status(&o, 0);
    let call = &calls(&server).await[0];
    assert_eq!(query_param(call, "filter"), ["port-tcp:80", "port-tcp:443"]);
    assert_eq!(query_param(call, "field"), ["server-banner:nginx"]);
    assert_eq!(query_param(call, "keyword"), ["product-tag:jira"]);
    assert_eq!(query_param(call, "query"), ["admin panel"]);
}

#[tokio::test]
async fn a_block_of_more_than_1024_addresses_is_asked_for_1024_at_a_time() {
    let server = mock("/v1/scan/ipports", "ipports.json").await;
    let c = client(&server);
    let block: ipnet::IpNet = "162.216.148.0/21".parse().unwrap();
    let merged = c.ipports(block).send_per_address().await.unwrap();
    let asked: Vec<String> = calls(&server)
        .await
        .iter()
        .map(|r| query_param(r, "ip")[0].clone())
        .collect();
    assert_eq!(asked, ["162.216.144.0/22", "162.216.148.0/22"]);
    assert_eq!(
        merged.values.len(),
        4,
        "two answers of two addresses, merged"
    );
    // A block past the bound is refused before anything is sent.
    let e = c
        .ipports("10.0.0.0/8".parse::<ipnet::IpNet>().unwrap())
        .send_per_address()
        .await
        .unwrap_err();
    assert!(e.is_refused_before_sending(), "{e}");
    assert_eq!(calls(&server).await.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// What is not a report

#[test]
fn the_answers_that_are_not_reports_are_bad_input_for_filter_and_serve() {
    for name in [
        "account.json",
        "account_flat.json",
        "summary.json",
        "error.json",
        "ports.json",
        "ip_summary.json",
    ] {
        let file = fixture(name);
        let o = common::driftql(&["filter", "not port-tcp:1", file.to_str().unwrap()], b"");
        common::assert_status(&o, 3);
        assert_eq!(common::stdout(&o), "", "{name}");
        assert!(
            common::stderr(&o).contains("skipped 1 bad"),
            "{name}: {}",
            common::stderr(&o)
        );
        no_token(&o);

        let o = common::driftql(
            &[
                "serve",
                "--data",
                file.to_str().unwrap(),
                "--addr",
                "127.0.0.1:0",
            ],
            b"",
        );
        common::assert_status(&o, 3);
        assert!(
            common::stderr(&o).contains("holds no valid report"),
            "{name}"
        );
        no_token(&o);
    }
    // The documented page holds one report, which is read.
    let o = common::driftql(
        &[
            "filter",
            "ip:8.8.8.8",
            fixture("page.json").to_str().unwrap(),
        ],
        b"",
    );
    common::assert_status(&o, 0);
    assert_eq!(common::stdout(&o).lines().count(), 1);
}

// ---------------------------------------------------------------------------------------------
// The requests Driftnet's integrations send, against the local server

static DATA: LazyLock<Arc<Dataset>> = LazyLock::new(|| Arc::new(Dataset::sample(20_000)));
static APP: LazyLock<InProcess> =
    LazyLock::new(|| InProcess::new(Arc::clone(&DATA), ServerOptions::default()));

fn ids(a: &server_support::Answer) -> Vec<String> {
    if a.status == 204 {
        return Vec::new();
    }
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    a.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A value of the sample: the `ty` item (in `context`) of the newest report that has one.
fn sample_value(ty: &str, context: &str) -> String {
    DATA.reports()
        .flat_map(|r| r.items.iter())
        .find(|i| i.item_type() == ty && i.item_context() == context)
        .map(|i| i.value.clone())
        .unwrap_or_else(|| panic!("no {ty};{context} in the sample"))
}

#[test]
fn the_requests_of_uncover_and_subfinder_are_answered_as_their_expressions() {
    let app = &*APP;
    // uncover: the older `field`, with a date and most_recent.
    let a = get(
        app,
        "/v1/scan/protocols",
        &[
            ("from", "2022-06-01"),
            ("most_recent", "true"),
            ("field", "product-tag:jira"),
        ],
    );
    let b = get(
        app,
        "/v1/scan/protocols",
        &[
            ("from", "2022-06-01"),
            ("most_recent", "true"),
            ("expression", "product-tag:jira"),
        ],
    );
    assert_eq!(ids(&a), ids(&b));
    let jenkins = get(
        app,
        "/v1/scan/protocols",
        &[("field", "product-tag:jenkins")],
    );
    assert!(!ids(&jenkins).is_empty(), "the sample has Jenkins");

    // uncover's comment: repeated filters are OR-ed.
    let ip = sample_value("ip", "");
    let a = get(
        app,
        "/v1/scan/protocols",
        &[
            ("ip", &ip),
            ("filter", "port-tcp:80"),
            ("filter", "port-tcp:443"),
            ("timeout", "30"),
        ],
    );
    let b = get(
        app,
        "/v1/scan/protocols",
        &[("ip", &ip), ("expression", "port-tcp:80 or port-tcp:443")],
    );
    assert_eq!(a.status, b.status);
    assert_eq!(ids(&a), ids(&b));

    // subfinder: summaries of hosts by certificate name and by reverse DNS.
    let name = sample_value("host", "cert-dns-name");
    let domain: String = name
        .rsplitn(3, '.')
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join(".");
    let summary =
        |pairs: &[(&str, &str)]| get(app, "/v1/scan/protocols", pairs).json()["summary"].clone();
    let a = summary(&[
        ("field", &format!("host:{domain}")),
        ("summarize", "host"),
        ("summary_context", "cert-dns-name"),
        ("summary_limit", "10000"),
    ]);
    let b = summary(&[
        ("expression", &format!("host:{domain}")),
        ("summarize", "host"),
        ("summary_context", "cert-dns-name"),
        ("summary_limit", "10000"),
    ]);
    assert_eq!(a, b);
    assert!(a["values"].as_object().unwrap().contains_key(&name), "{a}");

    let ptr_host_ip = DATA
        .reports()
        .find(|r| r.items.iter().any(|i| i.context == "dns-ptr"))
        .and_then(|r| {
            r.items
                .iter()
                .find(|i| i.ty == "ip" && i.context.is_empty())
        })
        .map(|i| i.value.clone())
        .unwrap();
    let a = summary(&[
        ("ip", &ptr_host_ip),
        ("summarize", "host"),
        ("summary_context", "dns-ptr"),
        ("summary_limit", "10000"),
    ]);
    assert!(!a["values"].as_object().unwrap().is_empty(), "{a}");
}

#[test]
fn the_older_parameters_mean_what_the_documentation_decides() {
    let app = &*APP;
    let same = |older: (&str, &str), expression: &str| {
        let a = get(app, "/v1/scan/protocols", &[older]);
        let b = get(app, "/v1/scan/protocols", &[("expression", expression)]);
        assert_eq!(ids(&a), ids(&b), "{older:?} and {expression}");
    };
    same(("keyword", "product-tag:jenkins"), "product-tag=jenkins");
    same(("query", "Jenkins"), r#"search-term:"Jenkins""#);
    same(("field", "title:jenkins"), "title:jenkins");
    // Each is AND-ed with the rest.
    let a = get(
        app,
        "/v1/scan/protocols",
        &[
            ("field", "product-tag:jenkins"),
            ("expression", "geo-country=US"),
        ],
    );
    let b = get(
        app,
        "/v1/scan/protocols",
        &[("expression", "product-tag:jenkins and geo-country=US")],
    );
    assert_eq!(ids(&a), ids(&b));
    // A bad value is a 400 naming its parameter.
    let a = get(app, "/v1/scan/protocols", &[("keyword", "geo-country:usa")]);
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["diagnostics"][0]["param"], "keyword");
}

// ---------------------------------------------------------------------------------------------
// The other endpoints, against the local server

fn matching(expr: &str) -> Vec<&'static Report> {
    let m = driftql::parse(expr)
        .unwrap()
        .matcher(&MatchOptions::default());
    DATA.reports().filter(|r| m.matches(r)).collect()
}

fn all_ids(reports: &[&Report]) -> Vec<String> {
    reports.iter().map(|r| r.id.clone()).collect()
}

#[test]
fn favicons_rdns_and_ct_search_what_their_parameters_say() {
    let app = &*APP;
    let murmur = sample_value("obj-murmur3", "favicon");
    let a = get(app, "/v1/scan/favicons", &[("murmur3", &murmur)]);
    let expected = matching(&format!("obj-murmur3;favicon={murmur}"));
    assert!(!expected.is_empty());
    let first_page: Vec<String> = all_ids(&expected).into_iter().take(100).collect();
    assert_eq!(ids(&a), first_page);
    // A hash of the wrong shape names its parameter.
    let a = get(app, "/v1/scan/favicons", &[("sha1", "abc")]);
    assert_eq!(
        (a.status, a.json()["code"].as_str()),
        (400, Some("invalid-hash"))
    );

    let ns = sample_value("host", "dns-ns");
    let a = get(app, "/v1/domain/rdns", &[("nameserver", &ns)]);
    let expected = matching(&format!("host;dns-ns:{ns}"));
    assert_eq!(
        ids(&a),
        all_ids(&expected).into_iter().take(100).collect::<Vec<_>>()
    );

    let name = sample_value("host", "cert-dns-name");
    let a = get(app, "/v1/ct/log", &[("field", &format!("host:{name}"))]);
    let expected = matching(&format!("host;cert-dns-name:{name}"));
    assert_eq!(
        ids(&a),
        all_ids(&expected).into_iter().take(100).collect::<Vec<_>>()
    );
    // Each needs what it searches by.
    for path in ["/v1/scan/favicons", "/v1/domain/rdns", "/v1/ct/log"] {
        let a = get(app, path, &[("expression", "port-tcp:443")]);
        assert_eq!(a.status, 400, "{path}");
        assert_eq!(a.json()["code"], "nothing-to-search", "{path}");
    }
}

#[test]
fn ports_ipports_and_the_ip_summary_come_from_the_reports() {
    let app = &*APP;
    let ip = sample_value("ip", "");
    let reports = matching(&format!("ip;:{ip}"));
    let a = get(
        app,
        "/v1/scan/ports",
        &[("ip", &ip), ("from", "2019-01-01")],
    );
    let ports: Ports = serde_json::from_slice(&a.body).unwrap();
    let counted: u64 = ports.values.iter().map(|(_, n)| n).sum();
    assert_eq!(counted, reports.len() as u64, "each report has one port");

    let block = format!("{}/24", ip.rsplit_once('.').unwrap().0.to_owned() + ".0");
    let a = get(
        app,
        "/v1/scan/ipports",
        &[("ip", &block), ("from", "2019-01-01")],
    );
    let per_address: IpPorts = serde_json::from_slice(&a.body).unwrap();
    assert!(per_address.values.iter().any(|(addr, _)| *addr == ip));
    let a = get(app, "/v1/scan/ipports", &[("ip", "10.0.0.0/16")]);
    assert_eq!(
        (a.status, a.json()["code"].as_str()),
        (400, Some("block-too-large"))
    );

    let a = get(app, "/v1/ip/summary", &[("ip", &ip)]);
    let summary: IpSummary = serde_json::from_slice(&a.body).unwrap();
    let entity = reports[0].items.iter().find(|i| i.ty == "entity").unwrap();
    assert_eq!(
        summary.entity.unwrap().name.as_deref(),
        Some(entity.value.as_str())
    );
    assert_eq!(
        get(app, "/v1/ip/summary", &[("ip", "192.0.2.255")]).status,
        204
    );
}
