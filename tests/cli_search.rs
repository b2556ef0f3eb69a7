//! `driftql search`, `summarize`, `prioritize` and `quota`, run as a program against a local
//! HTTP server (wiremock): the calls it makes, what it prints and its exit status.

mod common;
mod mock_api;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{assert_status, stderr, stdout};
use mock_api::{Paged, TOKEN, answering, assert_call, calls, ids, page_of, paged};
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Runs `driftql` with `args`, `stdin`, and the environment cleared of the API variables
/// except `env`.
async fn driftql(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let stdin = stdin.map(str::to_owned);
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftql"));
        cmd.args(&args)
            .env("DRIFTQL_CONFIG_DIR", common::no_config())
            .env_remove("DRIFTNET_API_TOKEN")
            .env_remove("DRIFTNET_API_URL")
            .env("NO_COLOR", "1")
            .envs(env)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn ndjson_ids(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn search_sends_every_parameter_and_prints_ndjson() {
    let server = paged(3, 250, 2).await;
    let uri = server.uri();
    let o = driftql(
        &[
            "search",
            "TITLE:x AND port-tcp:443",
            "--ip",
            "10.0.0.0/8",
            "--indirect",
            "--from",
            "2024-01-01",
            "--to",
            "2024-02-29",
            "--most-recent",
            "--filter",
            "port-tcp:443",
            "--slop",
            "2",
            "--host-in-url",
            "--page",
            "1",
            "--token",
            TOKEN,
            "--api-url",
            &uri,
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 0);
    assert_eq!(ndjson_ids(&o), ["p1-0", "p1-1"]);
    assert_eq!(stderr(&o), "");
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 1);
    assert_call(
        &calls[0],
        "/v1/scan/protocols",
        "ip=10.0.0.0%2F8&indirect=true&expression=%28title%3Ax+and+port-tcp%3A443%29&slop=2\
         &filter=port-tcp%3A443&from=2024-01-01&to=2024-02-29&most_recent=true\
         &host_in_url=true&page=1",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn search_all_streams_every_page_in_order() {
    let server = paged(7, 650, 3).await;
    let o = driftql(
        &["search", "title:x", "--all", "--api-url", &server.uri()],
        None,
        &[("DRIFTNET_API_TOKEN", TOKEN)],
    )
    .await;
    assert_status(&o, 0);
    assert_eq!(ndjson_ids(&o), ids(0..7, 3));
    // No progress bar when standard error is not a terminal, and nothing truncated.
    assert_eq!(stderr(&o), "");
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 7);
    let mut pages: Vec<u32> = calls.iter().map(page_of).collect();
    pages.sort_unstable();
    assert_eq!(pages, (0..7).collect::<Vec<_>>());
    for c in &calls {
        let page = page_of(c);
        assert_call(
            c,
            "/v1/scan/protocols",
            &format!("expression=title%3Ax&page={page}"),
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn search_max_pages_is_a_budget_with_a_warning() {
    let server = paged(5, 480, 1).await;
    let o = driftql(
        &[
            "search",
            "title:x",
            "--max-pages",
            "2",
            "--token",
            TOKEN,
            "--api-url",
            &server.uri(),
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 0);
    assert_eq!(ndjson_ids(&o), ["p0-0", "p1-0"]);
    assert_eq!(
        stderr(&o),
        "warning: 480 results match in 5 pages; the page budget stops before page 2\n"
    );
    assert_eq!(calls(&server).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_budget_stops_at_the_page_cap_and_warns() {
    let server = paged(180, 17_950, 1).await;
    let o = driftql(
        &[
            "search",
            "port-tcp:443",
            "--max-pages",
            "150",
            "--output",
            "json",
            "--token",
            TOKEN,
            "--api-url",
            &server.uri(),
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 0);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["result_count"], 17_950);
    assert_eq!(doc["pages"], 180);
    let got: Vec<&str> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids(0..100, 1));
    let err = stderr(&o);
    assert!(err.starts_with("warning: 17950 results match"), "{err}");
    assert!(err.contains("from/to"), "{err}");
    assert!(err.contains("note: --all fetches every result"), "{err}");
    assert_eq!(calls(&server).await.len(), 100);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_all_against_a_server_that_ignores_dates_stops_at_the_cap_and_warns() {
    // The mock answers every window with the same 17,950 results: the halves of the first cut
    // count twice as many as the whole, so the search is not split further.
    let server = paged(180, 17_950, 1).await;
    let o = driftql(
        &[
            "search",
            "port-tcp:443",
            "--all",
            "--token",
            TOKEN,
            "--api-url",
            &server.uri(),
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 0);
    assert_eq!(ndjson_ids(&o), ids(0..100, 1));
    assert_eq!(
        stderr(&o),
        "warning: all dates: 17950 results match, but the answers for its two halves (reports \
         dated outside them, or 35900 results together) show that the API does not honour \
         from/to here, so the search was not split, and 7950 were not fetched\n"
    );
    // The whole search's 100 pages, and the probes of the two halves.
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 102);
    let dated = |c: &&wiremock::Request| {
        let q = c.url.query().unwrap_or("");
        q.contains("from=") || q.contains("to=")
    };
    assert_eq!(calls.iter().filter(dated).count(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_reads_the_expression_from_standard_input() {
    let expr = r#"title:"say \"hi\"; a=b & c#d + ü""#;
    for arg in [None, Some("-")] {
        let server = answering(ResponseTemplate::new(204)).await;
        let uri = server.uri();
        let mut args = vec!["search", "--domains", "--token", TOKEN, "--api-url", &uri];
        args.extend(arg);
        let o = driftql(&args, Some(expr), &[]).await;
        assert_status(&o, 0);
        assert_eq!(stdout(&o), "");
        let calls = calls(&server).await;
        assert_call(
            &calls[0],
            "/v1/scan/domains",
            "expression=title%3A%22say+%5C%22hi%5C%22%3B+a%3Db+%26+c%23d+%2B+%C3%BC%22&page=0",
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn search_by_ip_alone_does_not_read_standard_input() {
    let server = answering(ResponseTemplate::new(204)).await;
    let o = driftql(
        &[
            "search",
            "--ip",
            "8.8.8.8",
            "--token",
            TOKEN,
            "--api-url",
            &server.uri(),
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 0);
    assert_call(
        &calls(&server).await[0],
        "/v1/scan/protocols",
        "ip=8.8.8.8&page=0",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_query_exits_1_with_its_diagnostics_and_sends_nothing() {
    let server = answering(ResponseTemplate::new(204)).await;
    let uri = server.uri();
    let o = driftql(
        &["search", "ip=8.8.8.8", "--token", TOKEN, "--api-url", &uri],
        None,
        &[],
    )
    .await;
    assert_status(&o, 1);
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("error[ip-needs-match]"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("ip=8.8.8.8"));

    // Without a token too: the query is checked first.
    let o = driftql(
        &["summarize", "port-tcp", "port-tcp:http", "--api-url", &uri],
        None,
        &[],
    )
    .await;
    assert_status(&o, 1);
    assert!(stderr(&o).contains("error[invalid-port]"), "{}", stderr(&o));

    // A syntax error exits 2, like `check`.
    let o = driftql(
        &[
            "search",
            "title:a title:b",
            "--token",
            TOKEN,
            "--api-url",
            &uri,
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 2);
    assert!(stderr(&o).contains("error[missing-operator]"));
    // So does a page past the API's cap (a usage error).
    let o = driftql(
        &[
            "search",
            "title:x",
            "--page",
            "100",
            "--token",
            TOKEN,
            "--api-url",
            &uri,
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 2);

    // Refused parameters exit 1 as well.
    for bad in [
        &["--from", "2024-02-30"][..],
        &["--from", "2024-02-02", "--to", "2024-02-01"],
        &["--filter", "port-tcp:443 or port-tcp:80"],
        &["--filter", "port-tcp:http"],
        &["--slop=-1"],
        &["--ip", "8.8.8.8/40"],
    ] {
        let mut args = vec!["search", "title:x", "--token", TOKEN, "--api-url", &uri];
        args.extend_from_slice(bad);
        let o = driftql(&args, None, &[]).await;
        assert_status(&o, 1);
        assert!(
            stderr(&o).starts_with("driftql: "),
            "{bad:?}: {}",
            stderr(&o)
        );
    }
    assert!(calls(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn warnings_are_shown_and_do_not_stop_the_search() {
    let server = answering(ResponseTemplate::new(204)).await;
    let o = driftql(
        &[
            "search",
            "tilte:x",
            "--token",
            TOKEN,
            "--api-url",
            &server.uri(),
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 0);
    assert!(stderr(&o).contains("warning[unknown-type]"));
    assert_eq!(calls(&server).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn api_failures_exit_4_and_never_show_the_token() {
    let server =
        answering(ResponseTemplate::new(401).set_body_string(format!("bad token {TOKEN}"))).await;
    let o = driftql(
        &["search", "title:x", "--api-url", &server.uri()],
        None,
        &[("DRIFTNET_API_TOKEN", TOKEN)],
    )
    .await;
    assert_status(&o, 4);
    let err = stderr(&o);
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(err.contains("bad token [redacted]"), "{err}");
    assert!(!err.contains(TOKEN) && !stdout(&o).contains(TOKEN));
    assert_eq!(calls(&server).await.len(), 1);

    // A 503 with retries turned off: one call.
    let server = answering(ResponseTemplate::new(503)).await;
    let o = driftql(
        &[
            "quota",
            "--max-retries",
            "0",
            "--token",
            TOKEN,
            "--api-url",
            &server.uri(),
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 4);
    assert!(stderr(&o).contains("HTTP 503"));
    assert_eq!(calls(&server).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_token_or_an_insecure_url_exits_1_before_any_call() {
    let o = driftql(&["quota", "--api-url", "http://127.0.0.1:9"], None, &[]).await;
    assert_status(&o, 1);
    assert!(stderr(&o).contains("DRIFTNET_API_TOKEN"));
    let o = driftql(
        &[
            "quota",
            "--token",
            TOKEN,
            "--api-url",
            "http://api.driftnet.io",
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 1);
    assert!(stderr(&o).contains("refusing"), "{}", stderr(&o));
    assert!(!stderr(&o).contains(TOKEN));
    // The environment's URL is used, and the command line's wins over it.
    let server = answering(ResponseTemplate::new(200).set_body_string("{}")).await;
    let o = driftql(
        &["quota", "--token", TOKEN],
        None,
        &[("DRIFTNET_API_URL", &server.uri())],
    )
    .await;
    assert_status(&o, 0);
    let o = driftql(
        &["quota", "--token", TOKEN, "--api-url", &server.uri()],
        None,
        &[("DRIFTNET_API_URL", "http://api.driftnet.io")],
    )
    .await;
    assert_status(&o, 0);
    assert_eq!(calls(&server).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_page_names_it_and_says_how_to_resume() {
    for all in [false, true] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(wiremock::matchers::query_param("page", "2"))
            .respond_with(ResponseTemplate::new(400).set_body_string(r#"{"error": "boom"}"#))
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(Paged::new(5, 5, 1))
            .mount(&server)
            .await;
        let uri = server.uri();
        let mut args = vec!["search", "title:x", "--token", TOKEN, "--api-url", &uri];
        args.extend(if all {
            ["--all", ""]
        } else {
            ["--max-pages", "5"]
        });
        args.retain(|a| !a.is_empty());
        let o = driftql(&args, None, &[]).await;
        assert_status(&o, 4);
        assert_eq!(ndjson_ids(&o), ["p0-0", "p1-0"]);
        let err = stderr(&o);
        if all {
            assert!(
                err.contains("page 2 (window: all dates) failed: the API answered HTTP 400: boom"),
                "{err}"
            );
            assert!(
                err.contains("2 pages were printed; with --checkpoint FILE, a run that stops can be continued"),
                "{err}"
            );
        } else {
            assert!(
                err.contains("page 2 failed: the API answered HTTP 400: boom"),
                "{err}"
            );
            assert!(err.contains("--page 2"), "{err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn summarize_prints_a_table_in_the_servers_order() {
    let server = answering(ResponseTemplate::new(200).set_body_string(
        r#"{"summary": {"other": 12, "values": {"8443": 5, "443": 1234, "": 2, "a\tb": 1}, "cardinality": 154}}"#,
    ))
    .await;
    let o = driftql(
        &[
            "summarize",
            "port-tcp",
            "geo-country=RU",
            "--context",
            "",
            "--context",
            "cert-dns-name",
            "--no-context",
            "http",
            "--limit",
            "250",
            "--cardinality",
            "--most-recent",
            "--token",
            TOKEN,
            "--api-url",
            &server.uri(),
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 0);
    assert_eq!(
        stdout(&o),
        "VALUE       COUNT\n\
         8443            5\n\
         443          1234\n\
         \"\"              2\n\
         a\\tb            1\n\
         (other)        12\n\
         (distinct)    154\n"
    );
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 1);
    assert_call(
        &calls[0],
        "/v1/scan/protocols",
        "expression=geo-country%3DRU&most_recent=true&summarize=port-tcp&summary_context=\
         &summary_context=cert-dns-name&summary_nocontext=http&summary_limit=250\
         &summary_cardinality=true",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn summarize_json_keeps_the_order() {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_string(r#"{"summary": {"values": {"z": 3, "a": 2, "m": 1}, "other": 0}}"#),
    )
    .await;
    let o = driftql(
        &[
            "summarize",
            "title",
            "--ip",
            "8.8.8.0/24",
            "--domains",
            "--output",
            "json",
            "--token",
            TOKEN,
            "--api-url",
            &server.uri(),
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 0);
    assert_eq!(
        stdout(&o),
        "{\"other\":0,\"values\":{\"z\":3,\"a\":2,\"m\":1}}\n"
    );
    assert_call(
        &calls(&server).await[0],
        "/v1/scan/domains",
        "ip=8.8.8.0%2F24&summarize=title",
    );

    // A bad field or limit is refused before any call.
    for bad in [
        &["port tcp", "title:x"][..],
        &["title", "title:x", "--limit", "0"],
    ] {
        let mut args = vec!["summarize"];
        args.extend_from_slice(bad);
        args.extend(["--token", TOKEN, "--api-url", "http://127.0.0.1:9"]);
        let o = driftql(&args, None, &[]).await;
        assert_status(&o, 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn prioritize_and_quota() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v1/scan/protocols/prioritize"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"queued": true}"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v1/admin/user"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"api_limit": 1000, "api_usage": 12, "priority_limit": 50, "priority_usage": 1,
                "lifetime_usage": 4321, "reset": "2024-05-01", "next_reset": "2024-06-01",
                "ws_limit": 2, "ws_usage": 0}"#,
        ))
        .mount(&server)
        .await;
    let uri = server.uri();
    let o = driftql(
        &[
            "prioritize",
            "--ip",
            "1.2.3.4",
            "--port",
            "8080",
            "--token",
            TOKEN,
            "--api-url",
            &uri,
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "{\"queued\":true}\n");
    assert_eq!(
        stderr(&o),
        "driftql: collection requested for 1.2.3.4:8080\n"
    );

    let o = driftql(&["quota", "--token", TOKEN, "--api-url", &uri], None, &[]).await;
    assert_status(&o, 0);
    assert_eq!(
        stdout(&o),
        "searches    12 / 1000\n\
         prioritize  1 / 50\n\
         saved sets  0 / 2\n\
         lifetime    4321\n\
         reset       2024-05-01\n\
         next reset  2024-06-01\n"
    );
    let o = driftql(
        &[
            "quota",
            "--output",
            "json",
            "--token",
            TOKEN,
            "--api-url",
            &uri,
        ],
        None,
        &[],
    )
    .await;
    assert_status(&o, 0);
    let q: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(q["quota"]["api_usage"], 12);
    assert_eq!(q["quota"]["next_reset"], "2024-06-01");

    let calls = calls(&server).await;
    assert_eq!(calls.len(), 3);
    assert_call(
        &calls[0],
        "/v1/scan/protocols/prioritize",
        "ip=1.2.3.4&port=8080",
    );
    assert_call(&calls[1], "/v1/admin/user", "");
    assert_call(&calls[2], "/v1/admin/user", "");
}
