//! `driftql serve` end to end: the real binary, its printed address, a request, its dataset
//! loading and its refusals.

mod common;
mod server_support;

use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

use server_support::{get, get_with};

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("driftql-serve-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn serve_a_sample_on_a_free_port() {
    let serving = common::serve(&["--sample", "2000"]);
    let addr = serving.addr;
    let a = get(
        addr,
        "/v1/scan/protocols",
        &[("expression", "protocol=ssh and port-tcp:22")],
    );
    assert_eq!(a.status, 200);
    assert!(a.json()["result_count"].as_u64().unwrap() > 0);
    let a = get(
        addr,
        "/v1/scan/protocols",
        &[("expression", "product-tag:hikvision* and geo-country=CN")],
    );
    assert_eq!(a.status, 200);
    let total = get(
        addr,
        "/v1/scan/protocols",
        &[
            ("expression", "port-tcp:0 or not port-tcp:0"),
            ("summarize", "geo-country"),
        ],
    )
    .json();
    let n: u64 = total["summary"]["values"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(n, 2000, "every report has one country");
}

#[test]
fn serve_an_ndjson_file_reporting_bad_lines() {
    let path = temp_file(
        "mixed.ndjson",
        concat!(
            r#"{"date":"2024-05-01","id":"a","items":[{"type":"port-tcp","context":"","value":"443"}]}"#,
            "\n",
            "not json\n",
            "\n",
            r#"{"date":"2024-02-30","id":"b","items":[]}"#,
            "\n",
            r#"{"date":"2024-05-02","id":"c","items":[{"type":"port-tcp","value":"443"}],"extra":1}"#,
            "\n",
        ),
    );
    let mut serving = common::serve(&["--data", path.to_str().unwrap(), "--token", "t0k"]);
    let addr = serving.addr;
    let a = get_with(
        addr,
        "/v1/scan/protocols?expression=port-tcp%3A443",
        &[("Authorization", "Bearer t0k")],
    );
    let ids: Vec<_> = a.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["c", "a"]);
    assert_eq!(
        get(
            addr,
            "/v1/scan/protocols",
            &[("expression", "port-tcp:443")]
        )
        .status,
        401
    );
    let _ = serving.child.kill();
    let mut stderr = String::new();
    serving
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("mixed.ndjson:2:2: "), "{stderr}");
    assert!(
        stderr.contains("mixed.ndjson:4:") && stderr.contains("2024-02-30"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped 2 bad line(s) or report(s), loaded 2 report(s)"),
        "{stderr}"
    );
    std::fs::remove_file(path).ok();
}

#[test]
fn serve_refuses_a_file_without_a_valid_report() {
    let path = temp_file("bad.ndjson", "nope\n{\"id\":\"x\"}\n");
    let out = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args([
            "serve",
            "--data",
            path.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.ndjson:1:2: ")
            && stderr.contains("bad.ndjson:2:")
            && stderr.contains("no valid report"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    std::fs::remove_file(path).ok();

    let out = Command::new(env!("CARGO_BIN_EXE_driftql"))
        .args(["serve", "--data", "/nonexistent/driftql.ndjson"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn serve_reads_every_layout_filter_reads_with_the_same_bound_on_a_line() {
    // A pretty-printed array, as `jq .` writes it.
    let pretty = serde_json::to_string_pretty(&serde_json::json!([
        {"date": "2024-05-01", "id": "p1", "items": [{"type": "port-tcp", "value": "443"}]},
        {"date": "2024-05-02", "id": "p2", "items": [{"type": "port-tcp", "value": "22"}]}
    ]))
    .unwrap();
    let path = temp_file("pretty.json", &pretty);
    let serving = common::serve(&["--data", path.to_str().unwrap()]);
    let addr = serving.addr;
    let a = get(
        addr,
        "/v1/scan/protocols",
        &[("expression", "port-tcp:443")],
    );
    assert_eq!(a.json()["results"][0]["id"], "p1");
    std::fs::remove_file(path).ok();

    // A line past --max-line is reported and skipped; the others are served.
    let long = format!(
        r#"{{"date":"2024-05-03","id":"{}","items":[]}}"#,
        "x".repeat(5000)
    );
    let data = format!(
        "{long}\n{}\n",
        r#"{"date":"2024-05-04","id":"short","items":[{"type":"port-tcp","value":"443"}]}"#
    );
    let path = temp_file("long.ndjson", &data);
    let mut serving = common::serve(&["--data", path.to_str().unwrap(), "--max-line", "1000"]);
    let addr = serving.addr;
    let a = get(
        addr,
        "/v1/scan/protocols",
        &[("expression", "port-tcp:443")],
    );
    assert_eq!(a.json()["result_count"], 1);
    let _ = serving.child.kill();
    let mut stderr = String::new();
    serving
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains(&format!(
            ":1: the line is {} bytes long, longer than the limit of 1000 bytes",
            long.len()
        )),
        "{stderr}"
    );
    std::fs::remove_file(path).ok();
}
