//! The client against a local HTTP server (wiremock): every call's method, path, query string
//! and `Authorization` header; paging, retries, typed errors and the token's secrecy.

mod mock_api;
use mock_api::{Paged, TOKEN, assert_call, calls, ids, page_of, query_param, serve};

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use driftql::client::{Client, ConfigError, Endpoint, Error, MAX_PAGES, TruncationReason};
use driftql::models::{Date, Filter, IpParam, SummaryField, SummaryLimit};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A client for `server` whose retries wait milliseconds, not seconds.
fn client(server: &MockServer) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry_delay(Duration::from_millis(1))
        .max_retry_delay(Duration::from_millis(5))
        .max_retries(3)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Encoding

#[tokio::test]
async fn every_search_parameter_is_sent_in_order_and_encoded() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"page": 3, "pages": 4, "result_count": 301, "results": []})),
    )
    .await;
    let c = client(&server);
    let page = c
        .protocols()
        .ip("10.0.0.0/8".parse::<IpParam>().unwrap())
        .indirect(true)
        .expression(driftql::parse("TITLE:x AND port-tcp:443").unwrap())
        .slop(2)
        .filter("port-tcp:443".parse::<Filter>().unwrap())
        .from("2024-01-01".parse::<Date>().unwrap())
        .to("2024-02-29".parse::<Date>().unwrap())
        .most_recent(true)
        .host_in_url(false)
        .page(3)
        .send()
        .await
        .unwrap();
    assert_eq!((page.page, page.pages, page.result_count), (3, 4, 301));
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 1);
    assert_call(
        &calls[0],
        "/v1/scan/protocols",
        "ip=10.0.0.0%2F8&indirect=true&expression=%28title%3Ax+and+port-tcp%3A443%29&slop=2\
         &filter=port-tcp%3A443&from=2024-01-01&to=2024-02-29&most_recent=true\
         &host_in_url=false&page=3",
    );
    // The expression goes out in canonical form.
    assert_eq!(
        query_param(&calls[0], "expression"),
        ["(title:x and port-tcp:443)"]
    );
}

#[tokio::test]
async fn unset_parameters_are_left_out_and_domains_has_its_own_path() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"page": 0, "pages": 1, "result_count": 0, "results": []})),
    )
    .await;
    let c = client(&server);
    c.domains()
        .ip("2001:db8::1".parse::<IpAddr>().unwrap())
        .send()
        .await
        .unwrap();
    c.protocols()
        .endpoint(Endpoint::Domains)
        .expression(driftql::parse("host:example.com").unwrap())
        .send()
        .await
        .unwrap();
    let calls = calls(&server).await;
    assert_call(&calls[0], "/v1/scan/domains", "ip=2001%3Adb8%3A%3A1&page=0");
    assert_call(
        &calls[1],
        "/v1/scan/domains",
        "expression=host%3Aexample.com&page=0",
    );
}

#[tokio::test]
async fn an_expression_with_quotes_separators_and_unicode_survives_the_trip() {
    let server = MockServer::start().await;
    serve(&server, ResponseTemplate::new(204)).await;
    let source = r#"title:"say \"hi\"; a=b & c#d + e/f? ü 日本" or http-header;x-a="1=2;3""#;
    let q = driftql::parse(source).unwrap();
    let canonical = q.to_string();
    assert_eq!(
        canonical,
        r#"(title:"say \"hi\"; a=b & c#d + e/f? ü 日本" or http-header;x-a=1=2;3)"#
    );
    client(&server).search(q).send().await.unwrap();
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 1);
    assert_call(
        &calls[0],
        "/v1/scan/protocols",
        "expression=%28title%3A%22say+%5C%22hi%5C%22%3B+a%3Db+%26+c%23d+%2B+e%2Ff%3F+%C3%BC+\
         %E6%97%A5%E6%9C%AC%22+or+http-header%3Bx-a%3D1%3D2%3B3%29&page=0",
    );
    assert_eq!(query_param(&calls[0], "expression"), [canonical]);
    assert_eq!(query_param(&calls[0], "page"), ["0"]);
}

#[tokio::test]
async fn summaries_send_their_parameters_and_keep_the_server_order() {
    let server = MockServer::start().await;
    // Deliberately neither sorted by value nor by count.
    serve(
        &server,
        ResponseTemplate::new(200).set_body_string(
            r#"{"summary": {"other": 7, "values": {"993": 10, "443": 64, "22": 10, "80": 3}, "cardinality": 154, "x": true}, "took": 1}"#,
        ),
    )
    .await;
    let summary = client(&server)
        .search(driftql::parse("geo-country=RU").unwrap())
        .most_recent(true)
        .summarize("Port-TCP".parse::<SummaryField>().unwrap())
        .context("")
        .context("cert-dns-name")
        .no_context("http; a")
        .no_context("b")
        .limit(SummaryLimit::new(250, false).unwrap())
        .cardinality(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        summary.values,
        [
            ("993".to_string(), 10),
            ("443".to_string(), 64),
            ("22".to_string(), 10),
            ("80".to_string(), 3)
        ]
    );
    assert_eq!(summary.other, 7);
    assert_eq!(summary.cardinality, Some(154));
    assert_eq!(summary.get("443"), Some(64));
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 1);
    assert_call(
        &calls[0],
        "/v1/scan/protocols",
        "expression=geo-country%3DRU&most_recent=true&summarize=port-tcp&summary_context=\
         &summary_context=cert-dns-name&summary_nocontext=http%3B+a&summary_nocontext=b\
         &summary_limit=250&summary_cardinality=true",
    );
}

#[tokio::test]
async fn a_summary_without_cardinality_or_values() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(200).set_body_string(r#"{"summary": {"other": 0, "values": {}}}"#),
    )
    .await;
    let s = client(&server)
        .domains()
        .ip("8.8.8.8".parse::<IpParam>().unwrap())
        .summarize("title".parse().unwrap())
        .send()
        .await
        .unwrap();
    assert!(s.values.is_empty());
    assert_eq!(s.cardinality, None);
    assert_call(
        &calls(&server).await[0],
        "/v1/scan/domains",
        "ip=8.8.8.8&summarize=title",
    );
}

#[tokio::test]
async fn prioritize_and_user() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v1/scan/protocols/prioritize"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "queued"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v1/admin/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "api_limit": 1000, "api_usage": 12, "priority_limit": 50, "priority_usage": 1,
            "lifetime_usage": 4321, "reset": "2024-05-01", "next_reset": "2024-06-01",
            "ws_limit": 2, "ws_usage": 0, "additional_quota": [{"amount": 500}], "plan": "pro"
        })))
        .mount(&server)
        .await;
    let c = client(&server);
    let answer = c
        .prioritize("2001:db8::7".parse().unwrap(), 8443)
        .await
        .unwrap();
    assert_eq!(answer, json!({"status": "queued"}));
    let account = c.user().await.unwrap();
    let q = &account.quota;
    assert_eq!((q.api_limit, q.api_usage), (Some(1000), Some(12)));
    assert_eq!((q.priority_limit, q.priority_usage), (Some(50), Some(1)));
    assert_eq!(q.lifetime_usage, Some(4321));
    assert_eq!(q.reset.as_deref(), Some("2024-05-01"));
    assert_eq!(q.next_reset.as_deref(), Some("2024-06-01"));
    assert_eq!((q.ws_limit, q.ws_usage), (Some(2), Some(0)));
    assert_eq!(account.additional_quota.len(), 1);
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 2);
    assert_call(
        &calls[0],
        "/v1/scan/protocols/prioritize",
        "ip=2001%3Adb8%3A%3A7&port=8443",
    );
    assert_call(&calls[1], "/v1/admin/user", "");
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix() {
    let server = MockServer::start().await;
    serve(&server, ResponseTemplate::new(204)).await;
    let c = Client::builder()
        .token(TOKEN)
        .base_url(format!("{}/driftnet", server.uri()))
        .build()
        .unwrap();
    c.user().await.unwrap();
    assert_call(&calls(&server).await[0], "/driftnet/v1/admin/user", "");
}

// ---------------------------------------------------------------------------------------------
// Checks before sending

#[tokio::test]
async fn an_invalid_query_is_refused_with_its_diagnostics_and_never_sent() {
    let server = MockServer::start().await;
    serve(&server, ResponseTemplate::new(204)).await;
    let c = client(&server);
    let err = c
        .search(driftql::parse("ip=8.8.8.8 and geo-country:gb").unwrap())
        .send()
        .await
        .unwrap_err();
    let Error::InvalidQuery(v) = &err else {
        panic!("{err:?}")
    };
    let codes: Vec<_> = v.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["ip-needs-match", "keyword-only-type", "country-case"]
    );
    assert!(err.is_refused_before_sending());

    // Streams and summaries are checked the same way.
    assert!(matches!(
        c.search(driftql::parse("port-tcp:http").unwrap()).reports(),
        Err(Error::InvalidQuery(_))
    ));
    assert!(matches!(
        c.search(driftql::parse("port-tcp:http").unwrap())
            .summarize("title".parse().unwrap())
            .send()
            .await,
        Err(Error::InvalidQuery(_))
    ));
    // Neither an expression nor an ip; `from` after `to`.
    let e = c.protocols().send().await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest(r) if r.code() == "nothing-to-search"),
        "{e:?}"
    );
    let e = c
        .protocols()
        .ip("8.8.8.8".parse::<IpParam>().unwrap())
        .from("2024-02-01".parse().unwrap())
        .to("2024-01-01".parse().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest(r) if r.code() == "date-order"),
        "{e:?}"
    );
    assert!(calls(&server).await.is_empty());
}

#[tokio::test]
async fn warnings_do_not_block() {
    let server = MockServer::start().await;
    serve(&server, ResponseTemplate::new(204)).await;
    let b = client(&server).search(driftql::parse("tilte:x").unwrap());
    let warnings = b.check().unwrap();
    assert_eq!(warnings[0].code, "unknown-type");
    b.send().await.unwrap();
    assert_eq!(calls(&server).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Responses

#[tokio::test]
async fn no_content_is_an_empty_page_an_empty_summary_and_an_empty_stream() {
    let server = MockServer::start().await;
    serve(&server, ResponseTemplate::new(204)).await;
    let c = client(&server);
    let q = || driftql::parse("title:nothing").unwrap();
    let p = c.search(q()).page(4).send().await.unwrap();
    assert_eq!((p.page, p.pages, p.result_count), (4, 0, 0));
    assert!(p.results.is_empty());
    let s = c
        .search(q())
        .summarize("title".parse().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(s, Default::default());
    let mut reports = c.search(q()).reports().unwrap();
    assert!(reports.next().await.is_none());
    assert!(reports.truncation().is_none());
    assert_eq!(reports.pages().pages_delivered(), 1);
    assert_eq!(calls(&server).await.len(), 3);
}

#[tokio::test]
async fn decode_errors_carry_a_body_snippet_and_never_the_token() {
    let server = MockServer::start().await;
    let body = format!(
        "<html>upstream said Bearer {TOKEN} {}</html>",
        "x".repeat(400)
    );
    serve(&server, ResponseTemplate::new(200).set_body_string(body)).await;
    let err = client(&server)
        .search(driftql::parse("title:x").unwrap())
        .send()
        .await
        .unwrap_err();
    let Error::Decode {
        status,
        body_snippet,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 200);
    assert!(body_snippet.starts_with("<html>upstream said Bearer [redacted] xxx"));
    assert!(body_snippet.chars().count() <= 201);
    assert!(!err.to_string().contains(TOKEN));
    assert!(!format!("{err:?}").contains(TOKEN));
    // A decode error is not retried.
    assert_eq!(calls(&server).await.len(), 1);
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_a_decode_error() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(200).set_body_string(r#"{"page": 0, "results": "none"}"#),
    )
    .await;
    let err = client(&server)
        .search(driftql::parse("title:x").unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { body_snippet, .. } if body_snippet == r#"{"page": 0, "results": "none"}"#),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Paging

#[tokio::test]
async fn paging_one_page_at_a_time_fetches_only_what_is_consumed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Paged::new(4, 350, 100))
        .mount(&server)
        .await;
    let c = client(&server);
    let q = || driftql::parse("title:x").unwrap();

    // Take 150 reports: pages 0 and 1, and nothing more.
    let first: Vec<_> = c
        .search(q())
        .prefetch(1)
        .reports()
        .unwrap()
        .take(150)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first.len(), 150);
    let pages: Vec<_> = calls(&server).await.iter().map(page_of).collect();
    assert_eq!(pages, [0, 1]);

    // All of it: each page once, in order.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(Paged::new(4, 350, 100))
        .mount(&server)
        .await;
    let mut reports = c.search(q()).prefetch(1).reports().unwrap();
    let mut got = Vec::new();
    while let Some(r) = reports.try_next().await.unwrap() {
        got.push(r.id);
    }
    assert_eq!(got, ids(0..4, 100));
    assert!(reports.truncation().is_none());
    assert_eq!(reports.pages().planned_pages(), Some(4));
    assert_eq!(reports.pages().result_count(), Some(350));
    let calls = calls(&server).await;
    for (i, call) in calls.iter().enumerate() {
        assert_call(
            call,
            "/v1/scan/protocols",
            &format!("expression=title%3Ax&page={i}"),
        );
    }
    assert_eq!(calls.len(), 4);
}

#[tokio::test]
async fn prefetching_keeps_the_order_and_fetches_each_page_once() {
    let server = MockServer::start().await;
    let mut paged = Paged::new(12, 1_180, 5);
    // Early pages answer last.
    paged.slow = vec![1, 2, 6];
    Mock::given(method("GET"))
        .respond_with(paged)
        .mount(&server)
        .await;
    let pages = client(&server)
        .search(driftql::parse("title:x").unwrap())
        .prefetch(5)
        .pages()
        .unwrap();
    let got: Vec<_> = pages.try_collect().await.unwrap();
    let got_ids: Vec<String> = got
        .iter()
        .flat_map(|p| p.results.iter().map(|r| r.id.clone()))
        .collect();
    assert_eq!(got_ids, ids(0..12, 5));
    assert_eq!(
        got.iter().map(|p| p.page).collect::<Vec<_>>(),
        (0..12).collect::<Vec<_>>()
    );
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 12);
    let mut requested: Vec<u32> = calls.iter().map(page_of).collect();
    assert_eq!(requested[0], 0, "the first page is fetched alone");
    requested.sort_unstable();
    assert_eq!(requested, (0..12).collect::<Vec<_>>());
}

#[tokio::test]
async fn the_default_prefetch_fetches_ahead_but_never_past_the_last_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Paged::new(3, 250, 2))
        .mount(&server)
        .await;
    let c = client(&server);
    let all: Vec<_> = c
        .search(driftql::parse("title:x").unwrap())
        .reports()
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        ids(0..3, 2)
    );
    assert_eq!(calls(&server).await.len(), 3);
}

#[tokio::test]
async fn paging_stops_at_the_100_page_cap_and_says_the_result_set_was_truncated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Paged::new(250, 24_987, 2))
        .mount(&server)
        .await;
    let mut reports = client(&server)
        .search(driftql::parse("port-tcp:443").unwrap())
        .reports()
        .unwrap();
    let mut n = 0;
    while let Some(r) = reports.try_next().await.unwrap() {
        if n == 0 {
            let t = reports.truncation().unwrap();
            assert_eq!(t.reason, TruncationReason::PageCap);
            assert_eq!((t.result_count, t.pages, t.end_page), (24_987, 250, 100));
            assert_eq!(t.missing(), 14_987);
            assert!(t.to_string().contains("from/to"));
        }
        assert_eq!(r.id, format!("p{}-{}", n / 2, n % 2));
        n += 1;
    }
    assert_eq!(n, 200);
    let calls = calls(&server).await;
    assert_eq!(calls.len(), MAX_PAGES as usize);
    let mut pages: Vec<u32> = calls.iter().map(page_of).collect();
    pages.sort_unstable();
    assert_eq!(pages, (0..100).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_result_count_over_10000_is_truncated_even_if_pages_says_100() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Paged::new(100, 10_001, 1))
        .mount(&server)
        .await;
    let mut pages = client(&server)
        .search(driftql::parse("port-tcp:443").unwrap())
        .max_pages(2)
        .pages()
        .unwrap();
    pages.next().await.unwrap().unwrap();
    // The budget stops it first.
    assert_eq!(pages.truncation().unwrap().reason, TruncationReason::Budget);
    let mut pages = client(&server)
        .search(driftql::parse("port-tcp:443").unwrap())
        .page(99)
        .pages()
        .unwrap();
    pages.next().await.unwrap().unwrap();
    assert_eq!(
        pages.truncation().unwrap().reason,
        TruncationReason::PageCap
    );
    assert!(pages.next().await.is_none());
    // A page past the cap is refused before anything is sent, by every way of sending.
    let past = client(&server)
        .search(driftql::parse("port-tcp:443").unwrap())
        .page(100);
    for err in [
        past.clone().pages().unwrap_err(),
        past.clone().reports().unwrap_err(),
        past.clone().send().await.unwrap_err(),
        past.url().unwrap_err(),
    ] {
        assert!(err.is_refused_before_sending(), "{err}");
        assert!(
            matches!(&err, Error::InvalidRequest(e) if e.code() == "page-limit"),
            "{err}"
        );
    }
    // One page each: nothing is fetched ahead unless the stream is polled.
    assert_eq!(calls(&server).await.len(), 2);
}

#[tokio::test]
async fn the_page_budget_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Paged::new(10, 1_000, 3))
        .mount(&server)
        .await;
    let c = client(&server);
    let mut reports = c
        .search(driftql::parse("title:x").unwrap())
        .page(2)
        .max_pages(3)
        .reports()
        .unwrap();
    let mut got = Vec::new();
    while let Some(r) = reports.try_next().await.unwrap() {
        got.push(r.id);
    }
    assert_eq!(got, ids(2..5, 3));
    let t = reports.truncation().unwrap();
    assert_eq!(t.reason, TruncationReason::Budget);
    assert_eq!(t.end_page, 5);
    let mut pages: Vec<u32> = calls(&server).await.iter().map(page_of).collect();
    pages.sort_unstable();
    assert_eq!(pages, [2, 3, 4]);
}

#[tokio::test]
async fn a_failed_page_ends_the_stream_naming_it_and_the_caller_resumes_there() {
    let server = MockServer::start().await;
    // Page 2 fails once with a 400 (never retried), then works.
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("page", "2"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "try later"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(Paged::new(5, 500, 2))
        .mount(&server)
        .await;
    let c = client(&server);
    let search = c.search(driftql::parse("title:x").unwrap()).prefetch(3);
    let mut reports = search.clone().reports().unwrap();
    let mut got = Vec::new();
    let failure = loop {
        match reports.next().await {
            Some(Ok(r)) => got.push(r.id),
            Some(Err(e)) => break e,
            None => panic!("the stream ended without the failure"),
        }
    };
    assert_eq!(
        got,
        ids(0..2, 2),
        "pages before the failed one are delivered"
    );
    assert_eq!(failure.page, 2);
    assert!(
        matches!(&failure.error, Error::Api { status: 400, message } if message == "try later")
    );
    assert!(failure.to_string().starts_with("page 2 failed: "));
    assert!(
        reports.next().await.is_none(),
        "the stream ends after a failure"
    );

    // Resume at the failed page.
    let rest: Vec<_> = search
        .page(failure.page)
        .reports()
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    got.extend(rest.into_iter().map(|r| r.id));
    assert_eq!(got, ids(0..5, 2));
    let page2_calls = calls(&server)
        .await
        .iter()
        .filter(|r| page_of(r) == 2)
        .count();
    assert_eq!(page2_calls, 2);
}

// ---------------------------------------------------------------------------------------------
// Retries

#[tokio::test]
async fn a_429_is_retried_after_the_servers_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    serve(&server, ResponseTemplate::new(204)).await;
    // The backoff delay is an hour: only honouring Retry-After lets this finish.
    let c = Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry_delay(Duration::from_secs(3600))
        .max_retry_delay(Duration::from_secs(3600))
        .build()
        .unwrap();
    let page = tokio::time::timeout(
        Duration::from_secs(30),
        c.search(driftql::parse("title:x").unwrap()).send(),
    )
    .await
    .expect("Retry-After was not honoured")
    .unwrap();
    assert!(page.results.is_empty());
    let calls = calls(&server).await;
    assert_eq!(calls.len(), 3);
    for call in &calls {
        assert_call(call, "/v1/scan/protocols", "expression=title%3Ax&page=0");
    }
}

#[tokio::test]
async fn a_429_that_persists_is_a_typed_rate_limit_error() {
    let server = MockServer::start().await;
    serve(&server, ResponseTemplate::new(429)).await;
    let err = client(&server).user().await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: None }),
        "{err:?}"
    );
    assert_eq!(calls(&server).await.len(), 4, "one try and three retries");
}

#[tokio::test]
async fn a_retry_after_longer_than_allowed_is_returned_not_waited_for() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(429).insert_header("retry-after", "600"),
    )
    .await;
    let err = client(&server).user().await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(600)),
        "{err:?}"
    );
    assert!(err.to_string().contains("600 s"));
    assert_eq!(calls(&server).await.len(), 1);
}

#[tokio::test]
async fn transient_statuses_are_retried_until_they_pass() {
    for status in [500, 502, 503, 504, 524] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status))
            .up_to_n_times(2)
            .with_priority(1)
            .mount(&server)
            .await;
        serve(
            &server,
            ResponseTemplate::new(200).set_body_json(json!({"api_limit": 5})),
        )
        .await;
        let q = client(&server).user().await.unwrap().quota;
        assert_eq!(q.api_limit, Some(5), "{status}");
        let calls = calls(&server).await;
        assert_eq!(calls.len(), 3, "{status}");
        for call in &calls {
            assert_call(call, "/v1/admin/user", "");
        }
    }
}

#[tokio::test]
async fn a_524_that_persists_is_an_api_error_after_the_last_retry() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(524).set_body_string("origin timeout"),
    )
    .await;
    let err = client(&server)
        .search(driftql::parse("title:x").unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 524, message } if message == "origin timeout"),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(524));
    assert_eq!(calls(&server).await.len(), 4);
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    type Expected = fn(&Error) -> bool;
    let cases: [(u16, &str, Expected); 6] = [
        (
            400,
            r#"{"error": "bad expression"}"#,
            |e| matches!(e, Error::Api { status: 400, message } if message == "bad expression"),
        ),
        (
            422,
            r#"{"detail": "unprocessable"}"#,
            |e| matches!(e, Error::Api { status: 422, message } if message == "unprocessable"),
        ),
        (
            401,
            r#"{"message": "invalid token"}"#,
            |e| matches!(e, Error::Unauthorized { message } if message == "invalid token"),
        ),
        (
            403,
            r#"{"error": "API quota exhausted"}"#,
            |e| matches!(e, Error::QuotaExceeded { message } if message == "API quota exhausted"),
        ),
        (403, "summary_cardinality needs an enterprise plan", |e| {
            matches!(e, Error::Forbidden { .. })
        }),
        (
            404,
            "",
            |e| matches!(e, Error::Api { status: 404, message } if message == "Not Found"),
        ),
    ];
    for (status, body, expected) in cases {
        let server = MockServer::start().await;
        serve(&server, ResponseTemplate::new(status).set_body_string(body)).await;
        let err = client(&server)
            .search(driftql::parse("title:x").unwrap())
            .send()
            .await
            .unwrap_err();
        assert!(expected(&err), "{status}: {err:?}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(calls(&server).await.len(), 1, "{status} was retried");
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(302).insert_header("location", "http://example.com/"),
    )
    .await;
    let err = client(&server).user().await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 302, .. }), "{err:?}");
    assert_eq!(calls(&server).await.len(), 1);
}

#[tokio::test]
async fn dropped_connections_are_retried_then_reported_as_transport_errors() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let acceptor = tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                break;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket); // close without answering
        }
    });
    let c = Client::builder()
        .token(TOKEN)
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_delay(Duration::from_millis(1))
        .max_retry_delay(Duration::from_millis(5))
        .max_retries(2)
        .build()
        .unwrap();
    let err = c.user().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    // The message says it all, causes included: no source to print a second time.
    assert!(std::error::Error::source(&err).is_none());
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        3,
        "one try and two retries"
    );
    assert!(!err.to_string().contains(TOKEN));
    acceptor.abort();
}

// ---------------------------------------------------------------------------------------------
// The token and the base URL

#[tokio::test]
async fn the_token_is_never_in_debug_output_or_error_text() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(401).set_body_string(format!("token {TOKEN} is revoked")),
    )
    .await;
    let c = client(&server);
    assert!(!format!("{c:?}").contains(TOKEN));
    assert!(format!("{c:?}").contains("[redacted]"));
    let b = Client::builder().token(TOKEN);
    assert!(!format!("{b:?}").contains(TOKEN));
    let err = c.user().await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized { message } if message == "token [redacted] is revoked")
    );
    assert!(!err.to_string().contains(TOKEN));
    assert!(!format!("{err:?}").contains(TOKEN));
    // Nor in the URL of any request.
    let calls = calls(&server).await;
    assert!(!calls[0].url.as_str().contains(TOKEN));

    // A token that cannot go in a header is refused without being shown.
    let bad = "abc\ndef-secret";
    let e = Client::builder().token(bad).build().unwrap_err();
    assert!(matches!(e, ConfigError::InvalidToken));
    assert!(!e.to_string().contains("secret") && !format!("{e:?}").contains("secret"));
    assert!(matches!(
        Client::builder().token("  ").build(),
        Err(ConfigError::MissingToken)
    ));
    assert!(matches!(
        Client::builder().build(),
        Err(ConfigError::MissingToken)
    ));
}

#[test]
fn plain_http_is_refused_unless_the_host_is_loopback() {
    let build = |url: &str| Client::builder().token(TOKEN).base_url(url).build();
    for refused in [
        "http://api.driftnet.io",
        "http://10.0.0.1:8080",
        "http://192.168.1.10",
        "http://[2001:db8::1]/",
        "http://localhost.attacker.example/",
    ] {
        let e = build(refused).unwrap_err();
        assert!(
            matches!(e, ConfigError::InsecureBaseUrl { .. }),
            "{refused}: {e:?}"
        );
        assert!(e.to_string().contains("https://"));
    }
    for allowed in [
        "https://api.driftnet.io",
        "https://10.0.0.1:8443",
        "http://127.0.0.1:8080",
        "http://127.1.2.3",
        "http://[::1]:9000",
        "http://localhost:3000/api",
    ] {
        let c = build(allowed).unwrap_or_else(|e| panic!("{allowed}: {e}"));
        assert!(c.base_url().as_str().ends_with('/'));
    }
    let e = build("https://user:pw-secret@api.driftnet.io").unwrap_err();
    assert!(matches!(e, ConfigError::InvalidBaseUrl { .. }));
    assert!(!e.to_string().contains("pw-secret"));
    assert!(matches!(
        Client::builder().token(TOKEN).concurrency(0).build(),
        Err(ConfigError::InvalidSetting {
            name: "concurrency",
            ..
        })
    ));
}

#[tokio::test]
async fn concurrency_is_the_default_prefetch() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Paged::new(6, 600, 1))
        .mount(&server)
        .await;
    let c = Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .concurrency(2)
        .build()
        .unwrap();
    assert_eq!(c.concurrency(), 2);
    let pages: Vec<_> = c
        .search(driftql::parse("title:x").unwrap())
        .pages()
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let order: BTreeMap<u32, usize> = pages.iter().enumerate().map(|(i, p)| (p.page, i)).collect();
    assert_eq!(order.len(), 6);
    assert!(order.iter().all(|(p, i)| *p as usize == *i));
    assert_eq!(calls(&server).await.len(), 6);
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_is_a_transport_error() {
    let server = MockServer::start().await;
    serve(
        &server,
        ResponseTemplate::new(204).set_delay(Duration::from_secs(5)),
    )
    .await;
    let c = Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .timeout(Duration::from_millis(200))
        .max_retries(1)
        .retry_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let err = c.user().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(calls(&server).await.len(), 2, "a timeout is retried");
}

#[test]
fn clients_streams_and_requests_can_move_between_threads() {
    fn send<T: Send + Sync>() {}
    fn send_unpin<T: Send + Unpin>() {}
    send::<Client>();
    send::<Error>();
    send::<driftql::client::PageError>();
    send_unpin::<driftql::client::Pages>();
    send_unpin::<driftql::client::Reports>();
    fn future_is_send<F: std::future::Future + Send>(_: F) {}
    let c = Client::new(TOKEN).unwrap();
    let q = driftql::parse("title:x").unwrap();
    future_is_send(c.search(q.clone()).send());
    future_is_send(c.search(q).summarize("title".parse().unwrap()).send());
    future_is_send(c.user());
    future_is_send(c.prioritize("127.0.0.1".parse().unwrap(), 80));
}

/// A bare HTTP/1.1 server answering `?page=N` of a 9-page result set. It records the most
/// requests it ever had in flight, and holds each answer until `hold_until` requests have been
/// in flight at once (or two seconds pass), so concurrency shows without relying on timing.
async fn counting_server(
    hold_until: usize,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let max_out = max.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let in_flight = in_flight.clone();
            let max = max.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf);
                let page: u32 = head
                    .split_once("page=")
                    .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                if page > 0 {
                    for _ in 0..200 {
                        if max.load(Ordering::SeqCst) >= hold_until {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                let body = json!({"page": page, "pages": 9, "result_count": 900,
                                  "results": [{"id": format!("p{page}-0"), "date": "2024-01-01", "items": []}]})
                .to_string();
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, max_out)
}

#[tokio::test]
async fn prefetch_runs_pages_concurrently_within_the_clients_concurrency() {
    use std::sync::atomic::Ordering;
    for (concurrency, prefetch, expected_max) in [(5, None, 5), (2, Some(5), 2), (5, Some(1), 1)] {
        let (url, max) = counting_server(expected_max).await;
        let c = Client::builder()
            .token(TOKEN)
            .base_url(url)
            .concurrency(concurrency)
            .build()
            .unwrap();
        let mut search = c.search(driftql::parse("title:x").unwrap());
        if let Some(p) = prefetch {
            search = search.prefetch(p);
        }
        let got: Vec<_> = search.reports().unwrap().try_collect().await.unwrap();
        assert_eq!(
            got.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            ids(0..9, 1)
        );
        assert_eq!(
            max.load(Ordering::SeqCst),
            expected_max,
            "concurrency {concurrency}, prefetch {prefetch:?}"
        );
    }
}
