//! `driftql compile` and `driftql schema` as a user runs them: what the library writes, on
//! standard output; refusals on standard error with their exit status.
#![cfg(feature = "cli")]

mod common;

use common::{assert_status, driftql, stderr, stdout};
use driftql::MatchOptions;
use driftql::compile::{CompileOptions, Target, compile, schema};

#[test]
fn compile_prints_the_library_s_query_for_each_target() {
    let q = driftql::parse("entity:\"university london\" and host:example.com").unwrap();
    let options = CompileOptions::default()
        .with_matching(MatchOptions::default().with_slop(2).with_host_in_url(true))
        .with_dates(
            Some("2024-01-01".parse().unwrap()),
            Some("2024-06-30".parse().unwrap()),
        );
    for (name, target) in [
        ("clickhouse", Target::ClickHouse),
        ("duckdb", Target::DuckDb),
    ] {
        let out = driftql(
            &[
                "compile",
                "--target",
                name,
                "--slop",
                "2",
                "--host-in-url",
                "--from",
                "2024-01-01",
                "--to",
                "2024-06-30",
                "-",
            ],
            "entity:\"university london\" and host:example.com",
        );
        assert_status(&out, 0);
        assert_eq!(stdout(&out), compile(&q, target, &options).unwrap() + "\n");
        assert_eq!(stderr(&out), "");
        assert!(stdout(&out).contains("2024-06-30"));
    }
    let out = driftql(&["compile", "--target", "opensearch", "port-tcp:443"], "");
    assert_status(&out, 0);
    let body: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        body["query"]["bool"]["filter"][0]["nested"]["path"],
        "items"
    );
}

#[test]
fn schema_prints_the_library_s_schema() {
    for (name, target) in [
        ("clickhouse", Target::ClickHouse),
        ("duckdb", Target::DuckDb),
        ("opensearch", Target::OpenSearch),
    ] {
        let out = driftql(&["schema", "--target", name], "");
        assert_status(&out, 0);
        assert_eq!(stdout(&out), schema(target) + "\n");
    }
    let out = driftql(&["schema", "--target", "postgres"], "");
    assert_status(&out, 2);
    assert!(
        stderr(&out).contains("possible values: clickhouse, duckdb, opensearch"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn compile_refuses_what_search_refuses_and_what_a_target_cannot_say() {
    // A syntax error: 2, rendered.
    let out = driftql(&["compile", "--target", "duckdb", "title:(("], "");
    assert_status(&out, 2);
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("error"), "{}", stderr(&out));
    // A validation error: 1, with its code, and nothing compiled.
    let out = driftql(&["compile", "--target", "clickhouse", "ip:banana"], "");
    assert_status(&out, 1);
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("invalid-ip"), "{}", stderr(&out));
    // Dates: malformed, and out of order.
    let out = driftql(
        &[
            "compile",
            "--target",
            "duckdb",
            "--from",
            "2024-02-30",
            "port-tcp:443",
        ],
        "",
    );
    assert_status(&out, 1);
    assert!(stderr(&out).contains("from"), "{}", stderr(&out));
    let out = driftql(
        &[
            "compile",
            "--target",
            "duckdb",
            "--from",
            "2024-03-01",
            "--to",
            "2024-02-01",
            "port-tcp:443",
        ],
        "",
    );
    assert_status(&out, 1);
    assert!(stderr(&out).contains("is after"), "{}", stderr(&out));
    // A rule the target cannot express exactly: 1, naming the rule and the term.
    let out = driftql(
        &["compile", "--target", "opensearch", "url:example.com"],
        "",
    );
    assert_status(&out, 1);
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        "driftql: opensearch cannot express the host of a URL (url:) exactly, needed by `url:example.com`\n"
    );
}
