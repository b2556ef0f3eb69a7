//! `driftql check`: human and JSON output, `--fix`, `--deny-warnings`, `--lines`, exit status.

mod common;

use common::{driftql, text};

use serde_json::Value;

#[test]
fn clean_query_exits_0_and_prints_the_canonical_form() {
    let out = driftql(&["check", "host:driftnet.io AND port-tcp:443"], "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "(host:driftnet.io and port-tcp:443)\n");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn errors_exit_1_with_rendered_findings_on_stderr() {
    let out = driftql(&["check", "geo-country:GB"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "geo-country:GB\n");
    let err = text(&out.stderr);
    assert!(err.contains("error[keyword-only-type]"), "{err}");
    assert!(err.contains("1 | geo-country:GB"), "{err}");
    assert!(err.contains("  |            ^"), "{err}");
    assert!(err.contains("help: write `geo-country=`"), "{err}");
    assert!(err.contains("1 + geo-country=GB"), "{err}");
    assert!(!err.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn warnings_pass_unless_denied() {
    let out = driftql(&["check", "search-term:cherrypy"], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("warning[slow-search-term]"));
    let out = driftql(&["check", "--deny-warnings", "search-term:cherrypy"], "");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn syntax_errors_exit_2_with_nothing_on_stdout() {
    let out = driftql(&["check", "title: foo"], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("error[space-in-term]"));
}

#[test]
fn fix_prints_the_fixed_form_and_judges_it() {
    let out = driftql(&["check", "--fix", "geo-country:gb or protocol=SSH"], "");
    assert_eq!(text(&out.stdout), "(geo-country=GB or protocol=ssh)\n");
    assert_eq!(out.status.code(), Some(0), "nothing is left after the fix");
    // The findings shown are those of the input.
    assert!(text(&out.stderr).contains("keyword-only-type"));
    // An unfixable error still fails.
    let out = driftql(&["check", "--fix", "port-tcp:http"], "");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn json_has_exactly_the_documented_shape() {
    let out = driftql(&["check", "--format", "json", "-"], "ip=8.8.8.8 or tilte:x");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["canonical", "diagnostics"]);
    assert_eq!(v["canonical"], "(ip=8.8.8.8 or tilte:x)");
    let d = &v["diagnostics"][0];
    let mut keys: Vec<_> = d.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "code", "column", "fix", "help", "line", "message", "severity", "span"
        ]
    );
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "ip-needs-match");
    assert_eq!(d["span"], serde_json::json!({"start": 2, "end": 3}));
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(
        d["fix"],
        serde_json::json!({"span": {"start": 2, "end": 3}, "replacement": ":"})
    );
    let w = &v["diagnostics"][1];
    assert_eq!(w["severity"], "warning");
    assert_eq!(w["code"], "unknown-type");
}

#[test]
fn json_reports_syntax_errors_with_a_null_canonical_form() {
    let out = driftql(&["check", "--format", "json", "title:\"open"], "");
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["canonical"], Value::Null);
    assert_eq!(v["diagnostics"][0]["code"], "unterminated-string");
    assert_eq!(v["diagnostics"][0]["fix"], Value::Null);
    assert!(v["diagnostics"][0]["help"].is_string());
}

#[test]
fn lines_give_one_json_object_per_line_and_the_worst_status() {
    let input = "port-tcp:443\ngeo-country:GB\ntitle:(\nsearch-term:x\n";
    let out = driftql(&["check", "--lines", "--format", "json"], input);
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["canonical"], "port-tcp:443");
    assert_eq!(lines[0]["diagnostics"], serde_json::json!([]));
    assert_eq!(lines[1]["diagnostics"][0]["code"], "keyword-only-type");
    assert_eq!(lines[2]["canonical"], Value::Null);
    assert_eq!(lines[3]["diagnostics"][0]["code"], "slow-search-term");

    let out = driftql(&["check", "--lines"], "port-tcp:443\ngeo-country:GB\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "port-tcp:443\ngeo-country:GB\n");
    let err = text(&out.stderr);
    assert!(
        err.contains("<stdin>:2:12"),
        "the error names its line: {err}"
    );
}

#[test]
fn every_syntax_error_is_reported_with_the_lints_of_what_parsed() {
    let out = driftql(
        &[
            "check",
            "--format",
            "json",
            "geo-country:ru and title: x or (port-tcp:443 ip=8.8.8.8",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(report["canonical"], Value::Null);
    let found: Vec<(String, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["span"]["start"].as_u64().unwrap(),
            )
        })
        .collect();
    let codes: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        codes,
        [
            "keyword-only-type",
            "country-case",
            "space-in-term",
            "unbalanced-parenthesis",
            "missing-operator",
            "ip-needs-match",
        ],
        "{found:?}"
    );
    // In the order of the input.
    assert!(found.windows(2).all(|w| w[0].1 <= w[1].1), "{found:?}");
}

#[test]
fn the_readme_shows_what_check_reports_of_several_errors() {
    let query = "title: login and port-tcp:44*3 or ip=8.8.8.8";
    let out = driftql(&["check", query], "");
    assert_eq!(out.status.code(), Some(2));
    let headlines: String = text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
        .map(|l| format!("{l}\n"))
        .collect();
    let readme = include_str!("../README.md");
    let shown = format!("$ driftql check '{query}' 2>&1 | grep '^[a-z]*\\['\n{headlines}```");
    assert!(readme.contains(&shown), "{shown}");
}
