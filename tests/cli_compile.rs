//! The `driftql fmt` and `driftql ast` commands, run as a user runs them: standard output holds
//! the result, standard error the rendered errors, and the exit status is 0 or 2.
//!
//! Every run has `NO_COLOR=1` and piped standard error, so no colour codes are expected.

mod common;

use std::process::Output;

use common::driftql;

use driftql::Expr;

fn stdout(out: &Output) -> &str {
    std::str::from_utf8(&out.stdout).expect("UTF-8 on standard output")
}

fn stderr(out: &Output) -> &str {
    std::str::from_utf8(&out.stderr).expect("UTF-8 on standard error")
}

#[track_caller]
fn assert_success(out: &Output, expected_stdout: &str) {
    assert_eq!(stderr(out), "", "nothing on standard error");
    assert_eq!(stdout(out), expected_stdout);
    assert_eq!(out.status.code(), Some(0));
}

/// The error as the library renders it without colour: what `fmt` and `ast` must print.
fn rendered_error(source: &str) -> String {
    let err = driftql::parse(source).expect_err("a syntax error");
    driftql::diagnostic::render(source, &[err.diagnostic().clone()], false)
}

#[track_caller]
fn assert_syntax_error(out: &Output, source: &str) {
    assert_eq!(stdout(out), "", "nothing on standard output");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(out);
    assert!(!err.contains('\x1b'), "colour codes in {err:?}");
    assert_eq!(err, rendered_error(source));
}

#[test]
fn fmt_prints_the_canonical_form_and_a_newline() {
    let out = driftql(
        &[
            "fmt",
            "product-tag:dahua and geo-country=RU or geo-country=IR",
        ],
        "",
    );
    assert_success(
        &out,
        "((product-tag:dahua and geo-country=RU) or geo-country=IR)\n",
    );

    let out = driftql(&["fmt", r"product-info=\(Fedora\) "], "");
    assert_success(&out, "product-info=\"(Fedora)\"\n");
}

#[test]
fn fmt_reads_standard_input_without_an_expression_or_with_a_dash() {
    let input = "http-header:\"inline; filename=\\\"index.html\\\"\" not PORT-TCP:22\n";
    let expected = "(http-header:\"inline; filename=\\\"index.html\\\"\" and not port-tcp:22)\n";
    assert_success(&driftql(&["fmt"], input), expected);
    assert_success(&driftql(&["fmt", "-"], input), expected);
}

#[test]
fn fmt_reports_a_syntax_error_on_standard_error_with_status_2() {
    let out = driftql(&["fmt", "title: foo"], "");
    assert_syntax_error(&out, "title: foo");
    let err = stderr(&out);
    assert!(err.contains("error[space-in-term]"), "{err}");
    assert!(err.contains("1 | title: foo"), "the source line in {err}");
    assert!(
        err.lines().any(|l| l == "  |       ^"),
        "a caret under the space in {err}"
    );
    assert!(err.contains("help: remove the space"), "{err}");
}

#[test]
fn fmt_reports_a_syntax_error_read_from_standard_input() {
    let input = "(host:example.com\n";
    let out = driftql(&["fmt"], input);
    assert_syntax_error(&out, input);
    assert!(stderr(&out).contains("error[unbalanced-parenthesis]"));

    let out = driftql(&["fmt", "-"], "");
    assert_syntax_error(&out, "");
    assert!(stderr(&out).contains("error[empty-expression]"));
}

#[test]
fn fmt_lines_prints_good_lines_and_reports_bad_ones_by_line_number() {
    let out = driftql(
        &["fmt", "--lines"],
        "a:1 AND b:2\ntitle: foo\nnot  c:3\n\"unterminated\r\nd:4",
    );
    assert_eq!(stdout(&out), "(a:1 and b:2)\nnot c:3\nd:4\n");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(!err.contains('\x1b'), "colour codes in {err:?}");
    assert!(err.contains("error[space-in-term]"), "{err}");
    assert!(err.contains("<stdin>:2:7"), "line 2 named in {err}");
    assert!(err.contains("2 | title: foo"), "{err}");
    assert!(err.contains("error[unterminated-string]"), "{err}");
    assert!(err.contains("<stdin>:4:1"), "line 4 named in {err}");
    assert!(
        !err.contains("<stdin>:1:") && !err.contains("<stdin>:3:") && !err.contains("<stdin>:5:")
    );
}

#[test]
fn fmt_lines_with_only_good_lines_succeeds() {
    let out = driftql(
        &["fmt", "--lines"],
        "host:driftnet.io and port-tcp:443\r\nip;:8.8.8.8\n((title:a))\n",
    );
    assert_success(
        &out,
        "(host:driftnet.io and port-tcp:443)\nip;:8.8.8.8\ntitle:a\n",
    );
}

#[test]
fn ast_prints_json_that_reads_back_as_the_parsed_tree() {
    for source in [
        "product-tag:dahua and (geo-country=RU or geo-country=IR)",
        r#"entity:"Tencent Cloud Computing" not port-tcp:22"#,
        r#"http-header;"Content Type"=text* or ip;:::1 or host;=example.com"#,
        "not not TITLE:héllo\\ 🦀",
    ] {
        let out = driftql(&["ast", source], "");
        assert_eq!(stderr(&out), "", "{source}");
        assert_eq!(out.status.code(), Some(0), "{source}");
        let printed: Expr = serde_json::from_str(stdout(&out))
            .unwrap_or_else(|e| panic!("{source}: not a tree: {e}\n{}", stdout(&out)));
        let parsed = driftql::parse(source).unwrap();
        assert_eq!(&printed, parsed.expr(), "{source}");
        // Spans take no part in equality: compare them through the JSON itself.
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(stdout(&out)).unwrap(),
            serde_json::to_value(parsed.expr()).unwrap(),
            "{source}"
        );
    }
}

#[test]
fn ast_reads_standard_input_and_reports_syntax_errors() {
    let out = driftql(&["ast"], "port-tcp:443\n");
    assert_eq!(out.status.code(), Some(0));
    let printed: Expr = serde_json::from_str(stdout(&out)).expect("a tree");
    assert_eq!(printed.to_string(), "port-tcp:443");

    let out = driftql(&["ast", "a:1 or"], "");
    assert_syntax_error(&out, "a:1 or");
    assert!(stderr(&out).contains("error[missing-operand]"));
}

#[test]
fn fmt_lines_reports_a_line_that_is_not_utf8_and_goes_on() {
    let out = driftql(
        &["fmt", "--lines"],
        b"title:a\n\xff\xfe\r\ntitle:B AND x:1\r\n",
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stdout(&out), "title:a\n(title:B and x:1)\n");
    assert!(
        stderr(&out).contains("<stdin>:2: not UTF-8 text (byte 1 is invalid)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_and_the_readme_give_the_same_exit_statuses() {
    let out = driftql(&["--help"], b"");
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    let table = help
        .split_once("Exit status:\n")
        .expect("--help lists the exit statuses")
        .1;
    let in_help: Vec<&str> = table
        .lines()
        .map_while(|l| l.trim_start().split_once("  "))
        .map(|(code, _)| code)
        .collect();
    let readme = include_str!("../README.md");
    let rows = readme
        .split_once("| status | meaning |\n|---|---|\n")
        .expect("the README's exit status table")
        .1;
    let in_readme: Vec<&str> = rows
        .lines()
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_start_matches("| ").split(' ').next().unwrap())
        .collect();
    assert_eq!(in_help, ["0", "1", "2", "3", "4", "5"]);
    assert_eq!(in_readme, in_help);
}
