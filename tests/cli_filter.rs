//! `driftql filter`: input shapes, output bytes, bad lines, options, exit status.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{driftql, text};

fn filter(expr: &str, stdin: &str) -> Output {
    driftql(&["filter", expr], stdin.as_bytes())
}

/// A file under the test's scratch directory holding `contents`.
fn file(name: &str, contents: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli_filter-{name}"));
    std::fs::write(&path, contents).unwrap();
    path
}

const HTTPS: &str = r#"{"date":"2020-01-01","id":"a","items":[{"type":"port-tcp","context":"","value":"443","is_metadata":false},{"type":"title","value":"University of London"}]}"#;
const SSH: &str = r#"{"date":"2020-01-02","id":"b","items":[{"type":"port-tcp","value":"22"},{"type":"server-banner","context":"ssh","value":"SSH-2.0-OpenSSH_8.9"}]}"#;
const ODD_SSH: &str = r#"{"id":"c","date":"2020-01-03","items":[{"type":"port-tcp","value":"2222"},{"type":"server-banner","context":"ssh","value":"SSH-2.0-ROSSSH"}]}"#;

fn ndjson(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn ndjson_matches_are_written_unchanged() {
    let out = filter("port-tcp:443", &ndjson(&[HTTPS, SSH, ODD_SSH]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), ndjson(&[HTTPS]));
    assert_eq!(text(&out.stderr), "");

    let out = filter(
        "protocol=ssh and not port-tcp:22",
        &ndjson(&[HTTPS, SSH, ODD_SSH]),
    );
    assert_eq!(text(&out.stdout), ndjson(&[ODD_SSH]));
}

#[test]
fn unknown_fields_spacing_and_escapes_survive() {
    let line = r#"{ "id" : "x", "date":"2024-02-29", "extra": {"nested": [1, 2.50, null]}, "items": [{"type": "title", "value": "caf\u00e9 \"quoted\"", "confidence": 0.9}] , "z": true }"#;
    let out = filter(r#"title:"café quoted""#, &ndjson(&[line]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), ndjson(&[line]));
}

#[test]
fn crlf_blank_lines_and_a_byte_order_mark() {
    let input = format!("\u{feff}{HTTPS}\r\n\r\n   \n{SSH}\r\n{HTTPS}");
    let out = filter("port-tcp:443", &input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Each matching line as it was, its `\r` included; the byte order mark is not part of it.
    assert_eq!(text(&out.stdout), format!("{HTTPS}\r\n{HTTPS}\n"));
}

#[test]
fn a_results_page_on_one_line() {
    let page =
        format!(r#"{{"page":0,"pages":1,"result_count":3,"results":[{HTTPS}, {SSH},{ODD_SSH}]}}"#);
    let out = filter("server-banner:ssh", &ndjson(&[&page]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), ndjson(&[SSH, ODD_SSH]));
    // A page is never a report itself, even for a query that matches an empty report.
    let out = filter(
        "not port-tcp:22",
        &ndjson(&[&page, r#"{"page":1,"results":null}"#]),
    );
    assert_eq!(text(&out.stdout), ndjson(&[HTTPS, ODD_SSH]));
}

#[test]
fn a_pretty_printed_results_page() {
    let page = format!(
        "{{\n  \"page\": 0,\n  \"results\": [\n    {},\n    {SSH}\n  ],\n  \"pages\": 1\n}}\n",
        pretty(HTTPS)
    );
    let out = filter("port-tcp:443", &page);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), ndjson(&[&compact(HTTPS)]));
}

/// `json` as `jq -cS` would print it (serde_json sorts the keys).
fn compact(json: &str) -> String {
    serde_json::to_string(&serde_json::from_str::<serde_json::Value>(json).unwrap()).unwrap()
}

/// `json` spread over lines, as `jq -S .` would.
fn pretty(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn an_array_of_reports_compact_or_pretty() {
    let one_line = format!("[{HTTPS},{SSH},{ODD_SSH}]");
    let out = filter("port-tcp:22 or port-tcp:443", &one_line);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), ndjson(&[HTTPS, SSH]));

    let pretty_array = format!("[\n{},\n{}\n]\n", pretty(HTTPS), pretty(ODD_SSH));
    let out = filter("port-tcp:443 or port-tcp:2222", &pretty_array);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Compacted; serde_json's pretty printer sorted the keys, which stay in that order.
    assert_eq!(
        text(&out.stdout),
        ndjson(&[&compact(HTTPS), &compact(ODD_SSH)])
    );
}

#[test]
fn a_stream_of_pretty_documents() {
    // `jq . scan.ndjson`: reports, then a page and an array, all pretty-printed.
    let input = format!(
        "{}\n{}\n{{\"results\": [\n{}\n]}}\n[\n{}\n]\n",
        pretty(HTTPS),
        pretty(SSH),
        pretty(HTTPS),
        pretty(SSH)
    );
    let out = filter("port-tcp:22", &input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ssh =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(SSH).unwrap()).unwrap();
    assert_eq!(text(&out.stdout), ndjson(&[&ssh, &ssh]));
}

#[test]
fn a_pretty_report_keeps_its_fields_in_order() {
    let input = "{\n  \"z\": [1,\n 2],\n  \"items\": [{\"type\": \"port-tcp\", \"value\": \"443\"}],\n  \"id\": \"r\", \"date\": \"2024-02-29\",\n  \"a\": \"x  y\"\n}\n";
    let out = filter("port-tcp:443", input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"z\":[1,2],\"items\":[{\"type\":\"port-tcp\",\"value\":\"443\"}],\"id\":\"r\",\"date\":\"2024-02-29\",\"a\":\"x  y\"}\n"
    );
}

#[test]
fn bad_lines_are_reported_counted_and_skipped() {
    let input = ndjson(&[
        HTTPS,
        "not json",
        r#"{"id":"i","date":"2024-01-01","items":[{"type":"title","value":{"a":1}}]}"#,
        "",
        r#"{"id":"i","date":"2024-01-01","items": 5}"#,
        "[1]",
        r#"{"id": "truncated", "items": [{"type": "port-tcp", "val"#,
        HTTPS,
    ]);
    // By default, the lines that look like whole JSON and cannot match are skipped unread; the
    // cut ones are reported all the same.
    let out = filter("port-tcp:443", &input);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), ndjson(&[HTTPS, HTTPS]));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines[0].starts_with("driftql: <stdin>:2:2: "), "{err}");
    assert!(lines[1].starts_with("driftql: <stdin>:7:"), "{err}");
    assert_eq!(
        lines[2],
        "driftql: skipped 2 bad lines or reports (2 reports read, 2 matched; 3 lines that cannot \
         match were not read in full, and are not checked: --strict reads every line)"
    );
    // With --strict, every line is read and every bad one reported.
    let out = driftql(&["filter", "port-tcp:443", "--strict"], input.as_bytes());
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), ndjson(&[HTTPS, HTTPS]));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 6, "{err}");
    assert!(lines[0].starts_with("driftql: <stdin>:2:2: "), "{err}");
    assert_eq!(
        lines[1],
        "driftql: <stdin>:3:64: an item's `value` must be a string, not an object"
    );
    assert!(lines[2].starts_with("driftql: <stdin>:5:"), "{err}");
    assert!(
        lines[2].contains("expected a report's `items` as an array of item objects"),
        "{err}"
    );
    assert_eq!(
        lines[3],
        "driftql: <stdin>:6:2: invalid type: integer `1`, expected a report object {date, id, items}"
    );
    assert!(lines[4].starts_with("driftql: <stdin>:7:"), "{err}");
    assert!(lines[4].contains("EOF while parsing"), "{err}");
    assert_eq!(
        lines[5],
        "driftql: skipped 5 bad lines or reports (2 reports read, 2 matched)"
    );
}

#[test]
fn bad_reports_inside_a_document_are_placed_on_their_line() {
    let input = format!(
        "[\n{},\n  {{\"id\": \"bad\",\n   \"items\": \"x\", \"date\": \"2024-01-01\"}},\n{}\n]\n",
        pretty(HTTPS),
        pretty(HTTPS)
    );
    // The bad report starts on the line after the first report, its error is on the next one.
    let error_line = 3 + pretty(HTTPS).lines().count();
    let out = filter("port-tcp:443", &input);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "driftql: <stdin>:{error_line}:15: invalid type: string \"x\", expected a report's `items`"
        )),
        "{err}"
    );
}

#[test]
fn a_syntax_error_in_a_document_stops_there() {
    let input = format!(
        "[\n{},\n{{\"id\": oops}},\n{}\n]\n",
        pretty(HTTPS),
        pretty(HTTPS)
    );
    let line = 2 + pretty(HTTPS).lines().count();
    let out = filter("port-tcp:443", &input);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "the report before the error"
    );
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("driftql: <stdin>:{line}:8: ")),
        "{err}"
    );
    assert!(err.contains("the rest of the input is not read"), "{err}");
    assert!(
        err.ends_with("driftql: skipped 1 bad line or report (1 reports read, 1 matched)\n"),
        "{err}"
    );
}

#[test]
fn many_bad_lines_are_counted_beyond_the_messages() {
    let input = "x\n".repeat(250) + HTTPS + "\n";
    let out = filter("port-tcp:443", &input);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), ndjson(&[HTTPS]));
    let err = text(&out.stderr);
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("driftql: <stdin>:"))
            .count(),
        100
    );
    assert!(err.contains("driftql: <stdin>:100:1: "), "{err}");
    assert!(!err.contains("driftql: <stdin>:101:"), "{err}");
    assert!(err.contains("more bad lines or reports follow"), "{err}");
    assert!(
        err.ends_with("driftql: skipped 250 bad lines or reports (1 reports read, 1 matched)\n"),
        "{err}"
    );
}

#[test]
fn count_prints_only_the_number() {
    let input = ndjson(&[HTTPS, SSH, HTTPS, "oops"]);
    let out = driftql(&["filter", "--count", "port-tcp:443"], input.as_bytes());
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), "2\n");
    let good = ndjson(&[HTTPS, SSH, HTTPS]);
    let out = driftql(&["filter", "port-tcp:8080", "--count"], good.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "0\n");
}

#[test]
fn slop_lets_words_stand_between() {
    let input = ndjson(&[HTTPS]);
    let out = filter(r#"title:"university london""#, &input);
    assert_eq!(text(&out.stdout), "");
    let out = driftql(
        &["filter", "--slop", "1", r#"title:"university london""#],
        input.as_bytes(),
    );
    assert_eq!(text(&out.stdout), input);
    let out = driftql(&["filter", "--slop", "x", "title:a"], b"");
    assert_eq!(out.status.code(), Some(2), "a bad option is a usage error");
}

#[test]
fn host_in_url_looks_inside_urls() {
    let report = r#"{"id":"u","date":"2024-01-01","items":[{"type":"url","value":"https://www.example.com/login"}]}"#;
    let input = ndjson(&[report]);
    assert_eq!(text(&filter("host:example.com", &input).stdout), "");
    let out = driftql(
        &["filter", "--host-in-url", "host:example.com"],
        input.as_bytes(),
    );
    assert_eq!(text(&out.stdout), input);
}

#[test]
fn a_number_where_text_is_due_is_not_a_report() {
    let report = r#"{"id":"n","date":"2024-01-01","items":[{"type":"port-tcp","value":443,"context":null}]}"#;
    let out = filter("port-tcp:443", &ndjson(&[report]));
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains("an item's `value` must be a string, not a number"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_invalid_expression_reads_nothing() {
    let out = filter("port-tcp:99999", HTTPS);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(err.contains("error[invalid-port]"), "{err}");
    assert!(err.contains("1 | port-tcp:99999"), "{err}");

    let out = filter("title:a title:b", HTTPS);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("error[missing-operator]"));
}

#[test]
fn warnings_are_shown_and_do_not_stop() {
    let out = filter("search-term:london", &ndjson(&[HTTPS, SSH]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), ndjson(&[HTTPS]));
    assert!(text(&out.stderr).contains("warning[slow-search-term]"));
}

#[test]
fn empty_input() {
    for input in ["", "\n\n", "  \r\n"] {
        let out = filter("port-tcp:443", input);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), "");
        assert_eq!(text(&out.stderr), "");
        let out = driftql(&["filter", "--count", "not port-tcp:443"], input.as_bytes());
        assert_eq!(text(&out.stdout), "0\n");
    }
}

#[test]
fn a_file_or_standard_input() {
    let input = ndjson(&[HTTPS, SSH]);
    let path = file("scan.ndjson", &input);
    let path = path.to_str().unwrap();
    let from_file = driftql(&["filter", "port-tcp:22", path], b"ignored");
    let from_dash = driftql(&["filter", "port-tcp:22", "-"], input.as_bytes());
    let from_stdin = driftql(&["filter", "port-tcp:22"], input.as_bytes());
    for out in [&from_file, &from_dash, &from_stdin] {
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), ndjson(&[SSH]));
    }
    // Messages name the file.
    let bad = file("bad.ndjson", "{\n");
    let out = driftql(&["filter", "port-tcp:22", bad.to_str().unwrap()], b"");
    assert!(text(&out.stderr).starts_with(&format!("driftql: {}:2:", bad.display())));
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = driftql(&["filter", "port-tcp:22", "/nonexistent/scan.ndjson"], b"");
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(
        err.starts_with("driftql: cannot open /nonexistent/scan.ndjson: No such file or directory"),
        "{err}"
    );
    let dir = env!("CARGO_TARGET_TMPDIR");
    let out = driftql(&["filter", "port-tcp:22", dir], b"");
    assert_eq!(out.status.code(), Some(5));
    assert!(text(&out.stderr).starts_with(&format!("driftql: cannot read {dir}: ")));
}

#[test]
fn no_panic_on_odd_input() {
    let inputs: &[&[u8]] = &[
        b"\xff\xfe\n",
        b"{\"items\":[{\"type\":\"title\",\"value\":\"\xff\"}]}\n",
        b"[",
        b"{",
        b"\"",
        b"42\n",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        b"{\"results\": 5}\n",
        b"{\n\"results\": {}}\n",
        b"\n[\n1, {\"items\": []}]\n",
        b"{\"a\":1}{\"b\":2}\n",
    ];
    for input in inputs {
        let out = driftql(&["filter", "not port-tcp:1"], input);
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{:?}: {:?} {}",
            String::from_utf8_lossy(input),
            out.status,
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("panicked"));
    }
}
