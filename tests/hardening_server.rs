//! What a hostile client found in the local server, each reproduced: searches with no time
//! bound, work that outlives its client, connections held open, a shutdown that never came,
//! over-long URLs, doubled headers, and sample sizes that crash.

mod common;
mod server_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use driftql::server::{self, Dataset, RunningServer, ServerOptions};
use server_support::{Target, get, get_with, query, raw};

static DATA: LazyLock<Arc<Dataset>> = LazyLock::new(|| Arc::new(Dataset::sample(20_000)));

fn spawn(options: ServerOptions) -> RunningServer {
    server::start("127.0.0.1:0".parse().unwrap(), Arc::clone(&DATA), options).unwrap()
}

/// An expression that costs the evaluator a great deal on every report: many prefix terms
/// that match nothing, across every type.
fn slow_expression() -> String {
    (0..900)
        .map(|i| format!("search-term:zq{i}*"))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[test]
fn a_search_past_its_time_budget_stops_with_a_422() {
    let srv = spawn(ServerOptions::default().with_search_timeout(Duration::from_millis(200)));
    let started = Instant::now();
    let a = get(
        srv.addr(),
        "/v1/scan/protocols",
        &[("expression", &slow_expression())],
    );
    assert_eq!(a.status, 422, "{:?}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["code"], "search-timeout");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A search that fits the budget is not affected.
    assert_eq!(
        get(
            srv.addr(),
            "/v1/scan/protocols",
            &[("expression", "port-tcp:22")]
        )
        .status,
        200
    );
}

#[test]
fn a_search_whose_client_went_away_stops_and_frees_its_place() {
    let srv = spawn(
        ServerOptions::default()
            .with_max_concurrent(Some(1))
            .with_search_timeout(Duration::from_secs(60)),
    );
    let target = format!(
        "/v1/scan/protocols?{}",
        query(&[("expression", &slow_expression())])
    );
    // Start the slow search, then hang up.
    let mut s = TcpStream::connect(srv.addr()).unwrap();
    write!(s, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let busy = get(
        srv.addr(),
        "/v1/scan/protocols",
        &[("expression", "port-tcp:22")],
    );
    assert_eq!(busy.status, 429, "the slow search holds the only place");
    drop(s);
    // Its work stops within moments, and the place is free again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let a = get(
            srv.addr(),
            "/v1/scan/protocols",
            &[("expression", "port-tcp:22")],
        );
        if a.status == 200 {
            break;
        }
        assert_eq!(a.status, 429);
        assert!(Instant::now() < deadline, "the abandoned search still runs");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_half_sent_head_and_an_idle_connection_are_closed_after_the_header_timeout() {
    let srv = spawn(ServerOptions::default().with_header_timeout(Duration::from_millis(500)));
    let mut half = TcpStream::connect(srv.addr()).unwrap();
    half.write_all(b"GET /v1/admin/user HTTP/1.1\r\nHost:")
        .unwrap();
    half.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = half.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Kept alive after one answer, then idle: closed too.
    let mut idle = TcpStream::connect(srv.addr()).unwrap();
    idle.write_all(b"GET /v1/admin/user HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut all = Vec::new();
    let _ = idle.read_to_end(&mut all);
    assert!(String::from_utf8_lossy(&all).starts_with("HTTP/1.1 200"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn connections_past_the_cap_wait_their_turn() {
    let srv = spawn(
        ServerOptions::default()
            .with_max_connections(2)
            .with_header_timeout(Duration::from_millis(800)),
    );
    // Two idle connections take every place...
    let idle: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(srv.addr()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    // ...so a third waits until the header timeout closes one of them, then is answered.
    let started = Instant::now();
    let a = get_with(srv.addr(), "/v1/admin/user", &[]);
    assert_eq!(a.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "answered at once: {:?}",
        started.elapsed()
    );
    drop(idle);
}

#[test]
fn a_url_past_the_limit_gets_414_whatever_its_size() {
    let srv = spawn(ServerOptions::default());
    for size in [40_000, 100_000, 1_000_000, 5_000_000] {
        let target = format!("/v1/scan/protocols?expression=title:{}", "a".repeat(size));
        let a = get_with(srv.addr(), &target, &[]);
        assert_eq!(a.status, 414, "{size}");
        assert_eq!(a.json()["code"], "uri-too-long", "{size}");
    }
    // In process too, where no socket is involved.
    let app = server_support::InProcess::new(Arc::clone(&DATA), ServerOptions::default());
    let target = format!("/v1/scan/protocols?expression=title:{}", "a".repeat(40_000));
    assert_eq!((&app).get(&target, &[]).status, 414);
    // Just within the limit: searched.
    let target = format!("/v1/scan/protocols?expression=title:{}", "a".repeat(32_000));
    assert_eq!(get_with(srv.addr(), &target, &[]).status, 204);
}

#[test]
fn two_authorization_headers_are_a_400() {
    let srv = spawn(ServerOptions::default().with_token("s3cret-token"));
    let a = get_with(
        srv.addr(),
        "/v1/admin/user",
        &[
            ("Authorization", "Bearer s3cret-token"),
            ("Authorization", "Bearer other-token"),
        ],
    );
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["code"], "repeated-header");
    let a = get_with(
        srv.addr(),
        "/v1/admin/user",
        &[("Authorization", "Bearer s3cret-token")],
    );
    assert_eq!(a.status, 200);
}

#[test]
fn sigterm_ends_the_server_within_its_deadline_even_with_a_half_sent_head() {
    let mut serving = common::serve(&[
        "--sample",
        "1000",
        "--header-timeout",
        "60",
        "--shutdown-timeout",
        "1",
    ]);
    let addr = serving.addr;
    let mut half = TcpStream::connect(addr).unwrap();
    half.write_all(b"GET /v1/admin/user HTTP/1.1\r\nHo")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    // SAFETY: sending a signal to a child process of this test.
    unsafe {
        libc::kill(serving.child.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = serving.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(half);
}

#[test]
fn sample_sizes_past_the_bound_are_refused_with_a_clear_error() {
    for n in ["18446744073709551615", "100000000", "0"] {
        let out = Command::new(env!("CARGO_BIN_EXE_driftql"))
            .args(["serve", "--sample", n, "--addr", "127.0.0.1:0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{n}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not in 1..=1000000"), "{n}: {err}");
    }
}

#[test]
fn the_server_still_answers_after_all_that() {
    let srv = spawn(ServerOptions::default());
    let a = raw(
        srv.addr(),
        b"GET /v1/scan/protocols?expression=port-tcp%3A22 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(a.status, 200);
}
