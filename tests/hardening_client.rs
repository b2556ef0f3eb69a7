//! What a hostile user and a misbehaving server found in the client and `driftql search`, each
//! reproduced: secrets in messages, control characters, unbounded bodies, pages that stop early
//! or repeat, answers of the wrong shape, URLs too long, `Retry-After` dates, closed pipes.

mod common;
mod mock_api;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use driftql::client::{Client, ConfigError, Error, TruncationReason};
use futures::TryStreamExt;
use mock_api::{TOKEN, answering, calls, page_of};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRET: &str = "SECRET123-abcdefgh";

fn client_with(token: &str, server: &MockServer) -> Client {
    Client::builder()
        .token(token)
        .base_url(server.uri())
        .max_retries(1)
        .retry_delay(Duration::from_millis(1))
        .max_retry_delay(Duration::from_millis(2))
        .build()
        .unwrap()
}

fn query() -> driftql::Query {
    driftql::parse("port-tcp:443").unwrap()
}

// ---------------------------------------------------------------------------------------------
// Secrets

#[tokio::test]
async fn a_token_cut_by_the_message_bound_leaves_no_prefix() {
    // The message is cut at 500 characters, in the middle of the echoed token.
    let message = format!("{}Bearer {SECRET}", "x".repeat(485));
    let server =
        answering(ResponseTemplate::new(400).set_body_json(json!({"error": message}))).await;
    let e = client_with(SECRET, &server)
        .search(query())
        .send()
        .await
        .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(!text.contains("SECRET"), "{text}");
    assert!(matches!(e, Error::Api { status: 400, .. }));

    // The same in a body snippet (200 characters), of an answer that is not JSON.
    let body = format!("{}{SECRET}{}", "y".repeat(195), "z".repeat(50));
    let server = answering(ResponseTemplate::new(200).set_body_string(body)).await;
    let e = client_with(SECRET, &server)
        .search(query())
        .send()
        .await
        .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(!text.contains("SECRET") && !text.contains("SECR"), "{text}");
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
}

#[tokio::test]
async fn a_server_that_cut_its_own_message_inside_the_token_shows_none_of_it() {
    let server =
        answering(ResponseTemplate::new(403).set_body_json(json!({"error": "token SECRET123-ab"})))
            .await;
    let e = client_with(SECRET, &server).user().await.unwrap_err();
    assert!(!e.to_string().contains("SECRET"), "{e}");
    assert!(e.to_string().contains("token [redacted]"), "{e}");
}

#[tokio::test]
async fn redaction_replaces_the_token_not_letters() {
    let token = "expressi0n";
    let server = answering(ResponseTemplate::new(400).set_body_json(json!({
        "error": "the expression is bad, expressi0n"
    })))
    .await;
    let e = client_with(token, &server)
        .search(query())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the API answered HTTP 400: the expression is bad, [redacted]"
    );
}

#[test]
fn a_token_too_short_to_be_a_secret_is_refused_at_set_up() {
    let e = Client::builder().token("x").build().unwrap_err();
    assert!(matches!(e, ConfigError::ShortToken { min: 8 }), "{e:?}");
    assert!(e.to_string().contains("shorter than 8 characters"), "{e}");
    let out = common::driftql(
        &["quota", "--token", "x", "--api-url", "http://127.0.0.1:1"],
        b"",
    );
    common::assert_status(&out, 1);
    assert!(
        common::stderr(&out).contains("the API token is shorter than 8 characters"),
        "{}",
        common::stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// Control characters

#[tokio::test]
async fn control_characters_from_a_server_are_escaped() {
    let server = answering(ResponseTemplate::new(400).set_body_json(json!({
        "error": "\u{1b}[2J\u{1b}]0;pwned\u{7}\rboom"
    })))
    .await;
    let e = client_with(TOKEN, &server)
        .search(query())
        .send()
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(
        text.ends_with(r"\u{1b}[2J\u{1b}]0;pwned\u{7}\rboom"),
        "{text}"
    );

    let uri = server.uri();
    let out = common::driftql(
        &[
            "search",
            "port-tcp:443",
            "--token",
            TOKEN,
            "--api-url",
            &uri,
        ],
        b"",
    );
    common::assert_status(&out, 4);
    assert!(
        !out.stderr.contains(&0x1b) && !out.stderr.contains(&0x07),
        "{:?}",
        common::stderr(&out)
    );
}

#[test]
fn the_canonical_form_quotes_a_value_with_control_characters() {
    let q = driftql::parse("title:a\u{1b}[31mb and host:x\u{7}y").unwrap();
    assert_eq!(
        q.to_string(),
        "(title:\"a\u{1b}[31mb\" and host:\"x\u{7}y\")"
    );
}

// ---------------------------------------------------------------------------------------------
// Bodies

#[tokio::test]
async fn a_body_past_the_bound_is_a_typed_error_and_is_not_retried() {
    let big = format!(
        r#"{{"page":0,"pages":1,"result_count":1,"results":[],"pad":"{}"}}"#,
        "x".repeat(2 << 20)
    );
    let server = answering(ResponseTemplate::new(200).set_body_string(big)).await;
    let c = Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .max_body(1 << 20)
        .retry_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let e = c.search(query()).send().await.unwrap_err();
    assert!(
        matches!(e, Error::BodyTooLarge { status: 200, limit } if limit == 1 << 20),
        "{e:?}"
    );
    assert_eq!(calls(&server).await.len(), 1, "not retried");
}

/// A server that answers every connection with a chunked body that never ends.
async fn endless_body() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = s.read(&mut head).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                    .await;
                let chunk = format!("10000\r\n{}\r\n", "a".repeat(0x10000));
                while s.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_endless_body_is_read_no_further_than_the_bound() {
    let url = endless_body().await;
    let c = Client::builder()
        .token(TOKEN)
        .base_url(url)
        .max_body(4 << 20)
        .build()
        .unwrap();
    let e = c.user().await.unwrap_err();
    assert!(matches!(e, Error::BodyTooLarge { .. }), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Answers of the wrong shape

#[tokio::test]
async fn a_page_without_results_and_a_summary_without_summary_are_decode_errors() {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_json(json!({"page": 0, "pages": 3, "result_count": 250})),
    )
    .await;
    let c = client_with(TOKEN, &server);
    let e = c.search(query()).send().await.unwrap_err();
    assert!(matches!(e, Error::Decode { status: 200, .. }), "{e:?}");
    let e = c
        .search(query())
        .reports()
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(e.error, Error::Decode { .. }), "{e:?}");
    let uri = server.uri();
    let out = common::driftql(
        &[
            "search",
            "--all",
            "port-tcp:443",
            "--token",
            TOKEN,
            "--api-url",
            &uri,
        ],
        b"",
    );
    common::assert_status(&out, 4);
    assert!(
        common::stderr(&out).contains("could not decode"),
        "{}",
        common::stderr(&out)
    );

    let server =
        answering(ResponseTemplate::new(200).set_body_json(json!({"other": 0, "values": {}})))
            .await;
    let e = client_with(TOKEN, &server)
        .search(query())
        .summarize("port-tcp".parse().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Pages that stop early or repeat

/// `pages` pages of 100 reports each, `result_count` in all; from page `stop` on, 204. Page N's
/// reports are ids `N-0` … `N-99`, except that `repeat` copies the first report of each page
/// onto the end of the next.
struct Paging {
    pages: u32,
    result_count: u64,
    stop: u32,
    repeat: bool,
}

impl Respond for Paging {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page = page_of(req);
        if page >= self.stop {
            return ResponseTemplate::new(204);
        }
        let report =
            |p: u32, i: u32| json!({"date": "2024-01-01", "id": format!("{p}-{i}"), "items": []});
        let mut results: Vec<_> = (0..100).map(|i| report(page, i)).collect();
        if self.repeat && page > 0 {
            results.pop();
            results.push(report(page - 1, 0));
        }
        ResponseTemplate::new(200).set_body_json(json!({
            "page": page, "pages": self.pages, "result_count": self.result_count, "results": results
        }))
    }
}

async fn paging(p: Paging) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(p)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn pages_that_stop_early_say_so() {
    let server = paging(Paging {
        pages: 5,
        result_count: 500,
        stop: 3,
        repeat: false,
    })
    .await;
    let mut pages = client_with(TOKEN, &server).search(query()).pages().unwrap();
    let mut n = 0;
    while let Some(p) = pages.try_next().await.unwrap() {
        n += p.results.len();
    }
    assert_eq!(n, 300);
    assert_eq!(
        pages.truncation().unwrap().reason,
        TruncationReason::Incomplete {
            expected: 500,
            delivered: 300
        }
    );

    let uri = server.uri();
    let out = common::driftql(
        &[
            "search",
            "--all",
            "port-tcp:443",
            "--token",
            TOKEN,
            "--api-url",
            &uri,
        ],
        b"",
    );
    common::assert_status(&out, 0);
    assert_eq!(common::stdout(&out).lines().count(), 300);
    let err = common::stderr(&out);
    assert!(
        err.contains("the pages should have held 500 results, and held 300 different ones"),
        "{err}"
    );

    // With a checkpoint, the pages in flight after the empty one are recorded too, and the
    // next run reads the checkpoint back: complete, nothing more to fetch.
    let dir = std::env::temp_dir().join(format!("driftql-early-end-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let checkpoint = dir.join("run.checkpoint");
    let ck = checkpoint.to_str().unwrap();
    let args = [
        "search",
        "--all",
        "port-tcp:443",
        "--token",
        TOKEN,
        "--api-url",
        &uri,
        "--checkpoint",
        ck,
    ];
    let first = common::driftql(&args, b"");
    common::assert_status(&first, 0);
    assert_eq!(common::stdout(&first).lines().count(), 300);
    let again = common::driftql(&args, b"");
    common::assert_status(&again, 0);
    assert_eq!(common::stdout(&again), "");
    assert!(
        common::stderr(&again).contains("records this search as complete"),
        "{}",
        common::stderr(&again)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_report_seen_on_an_earlier_page_is_dropped_and_counted() {
    let server = paging(Paging {
        pages: 3,
        result_count: 300,
        stop: 3,
        repeat: true,
    })
    .await;
    let mut reports = client_with(TOKEN, &server)
        .search(query())
        .reports()
        .unwrap();
    let mut ids = Vec::new();
    while let Some(r) = reports.try_next().await.unwrap() {
        ids.push(r.id);
    }
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "no report twice");
    assert_eq!(ids.len(), 298);
    assert_eq!(reports.pages().duplicates_dropped(), 2);
    assert_eq!(
        reports.truncation().unwrap().reason,
        TruncationReason::Incomplete {
            expected: 300,
            delivered: 298
        }
    );

    let uri = server.uri();
    let out = common::driftql(
        &[
            "search",
            "--all",
            "port-tcp:443",
            "--token",
            TOKEN,
            "--api-url",
            &uri,
        ],
        b"",
    );
    common::assert_status(&out, 0);
    assert_eq!(common::stdout(&out).lines().count(), 298);
    assert!(
        common::stderr(&out).contains("sent 2 reports a second time"),
        "{}",
        common::stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// URLs

#[tokio::test]
async fn an_expression_too_long_for_a_url_is_refused_before_sending() {
    let server = answering(ResponseTemplate::new(200)).await;
    let expr = vec!["title:abcdefgh"; 5_000].join(" or ");
    assert!(expr.len() > 64_000);
    let e = client_with(TOKEN, &server)
        .search(driftql::parse(&expr).unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(e.is_refused_before_sending(), "{e:?}");
    assert!(
        matches!(&e, Error::InvalidRequest(r) if r.code() == "uri-too-long"),
        "{e:?}"
    );

    let uri = server.uri();
    let out = common::driftql(
        &["search", "-", "--token", TOKEN, "--api-url", &uri],
        expr.as_bytes(),
    );
    common::assert_status(&out, 1);
    let err = common::stderr(&out);
    assert!(err.len() < 1000, "{} bytes on standard error", err.len());
    assert!(
        err.contains("more than the 32768 bytes the API accepts"),
        "{err}"
    );
    assert!(calls(&server).await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Retry-After

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured_and_a_negative_one_falls_back() {
    for (value, calls_expected, rate_limited) in [
        // A date now past: retried at once.
        (
            httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60)),
            2,
            false,
        ),
        // A date further off than the client waits: returned, not waited for.
        (
            httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600)),
            1,
            true,
        ),
        // A negative number: the backoff.
        ("-5".to_string(), 2, false),
    ] {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", value.as_str()))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(wiremock::matchers::method("GET"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"quota": {"api_limit": 1}})),
            )
            .mount(&server)
            .await;
        let r = client_with(TOKEN, &server).user().await;
        assert_eq!(r.is_err(), rate_limited, "{value}: {r:?}");
        assert_eq!(calls(&server).await.len(), calls_expected, "{value}");
    }
}

// ---------------------------------------------------------------------------------------------
// Closed pipes

#[test]
fn a_closed_pipe_ends_quietly_with_the_status_of_sigpipe() {
    let report = r#"{"date":"2024-01-01","id":"a","items":[{"type":"port-tcp","value":"443"}]}"#;
    let input = format!("{report}\n").repeat(200_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(["filter", "port-tcp:443"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take()); // `| head -c 64`
    let out = child.wait_with_output().unwrap();
    let _ = feeder.join();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
