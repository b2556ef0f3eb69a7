//! Snapshot tests over the corpus in `tests/corpus/`, one input per file: adding a case is adding
//! a file (and reviewing its new snapshot in `tests/snapshots/`).
//!
//! - `ok/*.txt` must parse. Its snapshot holds the input, the canonical form and the tree as JSON
//!   (spans included); the test also checks that the canonical form is a fixed point that parses
//!   back to the same tree.
//! - `err/*.txt` must fail to parse. Its snapshot holds the error's code, span, line and column and
//!   the error as rendered for a terminal without colour.
//! - `err/*.txt` and `multi/*.txt` (inputs with several independent errors) again, parsed with
//!   recovery: every syntax error, what parsed, and its lints (`recovery` snapshots).
//!
//! A file's input is its text less exactly one trailing `\n`, the one editors add; any other
//! trailing whitespace (a second newline, spaces, a `\r`) is part of the input.

mod verified;
use verified::round_trips;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use driftql::SyntaxErrorKind;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
const PUBLIC_CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/spec/conformance/public.toml"
);

/// insta counts the failures of a `glob!` on one process-wide stack, so two globs running at once
/// can report each other's failures; the glob tests take this lock to run one at a time.
static ONE_GLOB_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The input a corpus file holds: its text less one trailing `\n`.
fn input_of(path: &Path) -> String {
    let mut text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    if text.ends_with('\n') {
        text.pop();
    }
    text
}

/// The `.txt` files of one corpus folder, sorted.
fn corpus_files(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(CORPUS).join(folder);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .txt file in {}", dir.display());
    files
}

/// `s` with control characters and white space other than the plain space written as `\u{..}`,
/// so that tabs, newlines, carriage returns and no-break spaces stay visible in a snapshot; every
/// other character is shown as itself.
fn visible(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_control() || (c.is_whitespace() && c != ' ') {
            write!(out, "{}", c.escape_unicode()).unwrap();
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks that the spans of a parsed tree point at the text they stand for: a term's span at the
/// whole term (type first, value and prefix last), its value span at the written value (which,
/// read as a value again, decodes to the same string), a `not`'s span from the keyword to the
/// end of its operand.
fn check_spans(input: &str, expr: &driftql::Expr) {
    use driftql::Expr;
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Term(t) => {
                let text = &input[t.span().range()];
                let value = &input[t.value_span().range()];
                assert!(
                    text.to_ascii_lowercase().starts_with(t.ty()),
                    "{input:?}: the span of {t} is {text:?}"
                );
                let star = if t.is_prefix() { "*" } else { "" };
                assert!(
                    text.ends_with(&format!("{value}{star}")),
                    "{input:?}: the value span of {t} is {value:?}, the term's {text:?}"
                );
                let reread = driftql::parse(&format!("x:{value}")).unwrap_or_else(|e| {
                    panic!("{input:?}: the value span of {t} is {value:?}, not a value: {e}")
                });
                let reread = reread.expr().as_term().expect("a term");
                assert_eq!(reread.value(), t.value(), "{input:?}: value span of {t}");
                assert!(!reread.is_prefix(), "{input:?}: value span of {t}");
            }
            Expr::Not { operand, span, .. } => {
                let text = &input[span.range()];
                assert!(
                    text.get(..3).is_some_and(|k| k.eq_ignore_ascii_case("not")),
                    "{input:?}: the span of {e} is {text:?}"
                );
                let last = operand.terms().last().expect("a term").span();
                assert!(
                    span.end == last.end || input[last.end..span.end].trim_start().starts_with(')'),
                    "{input:?}: the span of {e} is {text:?}"
                );
                stack.push(operand);
            }
            Expr::And(g) | Expr::Or(g) => {
                // A group's text is the group: its parentheses, or its first to last operand.
                let text = &input[g.span().range()];
                let alone = driftql::parse(text)
                    .unwrap_or_else(|err| panic!("{input:?}: group {e} spans {text:?}: {err}"));
                assert_eq!(alone.expr(), e, "{input:?}: group {e} spans {text:?}");
                stack.extend(g.iter());
            }
        }
    }
}

#[test]
fn ok() {
    let _one_at_a_time = ONE_GLOB_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    insta::glob!("corpus/ok/*.txt", |path| {
        let input = input_of(path);
        let query = round_trips(&input);
        let canonical = query.to_string();

        check_spans(&input, query.expr());

        let ast = serde_json::to_string_pretty(query.expr()).expect("a tree serialises");
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(format!(
                "input:     {}\ncanonical: {}\n\n{ast}",
                visible(&input),
                visible(&canonical)
            ));
        });
    });
}

#[test]
fn err() {
    let _one_at_a_time = ONE_GLOB_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    insta::glob!("corpus/err/*.txt", |path| {
        let input = input_of(path);
        let err = match driftql::parse(&input) {
            Ok(q) => panic!("{}: {input:?} parses as {q}", path.display()),
            Err(e) => e,
        };
        let span = err.span();
        assert!(
            span.start <= span.end
                && span.end <= input.len()
                && input.is_char_boundary(span.start)
                && input.is_char_boundary(span.end),
            "{}: span {span:?} does not lie on character boundaries of the input",
            path.display()
        );
        assert_eq!(err.diagnostic().code, err.code());

        let rendered = driftql::diagnostic::render(&input, &[err.diagnostic().clone()], false);
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(format!(
            "input:  {}\ncode:   {}\nspan:   {}..{} {}\nline:   {}\ncolumn: {}\n\n{rendered}",
            visible(&input),
            err.code(),
            span.start,
            span.end,
            format!("{:?}", &input[span.range()]),
            err.line(),
            err.column(),
        ));
        });
    });
}

#[test]
fn recovery() {
    let _one_at_a_time = ONE_GLOB_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    insta::glob!("corpus/{err,multi}/*.txt", |path| {
        let input = input_of(path);
        let r = driftql::parse_recovering(&input);
        let strict = driftql::parse(&input).expect_err("the input has an error");
        assert!(
            r.errors
                .iter()
                .any(|e| e.code() == strict.code() && e.span() == strict.span()),
            "{}: the strict parse's error is among recovery's",
            path.display()
        );
        let mut text = format!(
            "input:  {}
",
            visible(&input)
        );
        for e in &r.errors {
            let s = e.span();
            assert!(
                s.end <= input.len()
                    && input.is_char_boundary(s.start)
                    && input.is_char_boundary(s.end),
                "{}: span {s:?}",
                path.display()
            );
            writeln!(
                text,
                "error:  {} {}..{} {:?}",
                e.code(),
                s.start,
                s.end,
                &input[s.range()]
            )
            .unwrap();
        }
        let mut diagnostics: Vec<driftql::Diagnostic> =
            r.errors.iter().map(|e| e.diagnostic().clone()).collect();
        match &r.query {
            None => text.push_str("parsed: nothing\n"),
            Some(q) => {
                assert_eq!(q.source(), input);
                // Every term kept stands where it was written, and reads back the same there.
                for t in q.expr().terms() {
                    let written = &input[t.span().range()];
                    let alone = driftql::parse(written)
                        .unwrap_or_else(|e| panic!("{}: {written:?}: {e}", path.display()));
                    assert_eq!(alone.expr().as_term(), Some(t), "{}", path.display());
                }
                writeln!(text, "parsed: {}", visible(&q.to_string())).unwrap();
                let lints = q.validate();
                for d in &lints {
                    writeln!(text, "lint:   {} {}..{}", d.code, d.span.start, d.span.end).unwrap();
                }
                diagnostics.extend(lints);
            }
        }
        diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        let rendered = driftql::diagnostic::render(&input, &diagnostics, false);
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(format!("{text}\n{rendered}"));
        });
    });
}

#[test]
fn every_syntax_error_code_has_an_err_case() {
    let exercised: BTreeSet<&str> = corpus_files("err")
        .iter()
        .filter_map(|path| driftql::parse(&input_of(path)).err())
        .map(|e| e.code())
        .collect();
    let missing: Vec<&str> = SyntaxErrorKind::ALL
        .iter()
        .map(|k| k.code())
        .filter(|code| !exercised.contains(code))
        .collect();
    assert!(
        missing.is_empty(),
        "no file in {CORPUS}/err gives these codes: {missing:?}"
    );
}

#[test]
fn every_documentation_example_has_an_ok_case() {
    let text = fs::read_to_string(PUBLIC_CASES)
        .unwrap_or_else(|e| panic!("cannot read {PUBLIC_CASES}: {e}"));
    let doc: toml::Table = toml::from_str(&text).expect("public.toml is TOML");
    let cases = doc["case"].as_array().expect("[[case]] entries");
    let corpus: BTreeSet<String> = corpus_files("ok").iter().map(|p| input_of(p)).collect();
    let missing: Vec<&str> = cases
        .iter()
        .filter(|c| c.get("syntax_error").and_then(|v| v.as_bool()) != Some(true))
        .map(|c| c["input"].as_str().expect("a string input"))
        .filter(|input| !corpus.contains(*input))
        .collect();
    assert!(
        missing.is_empty(),
        "these valid inputs of public.toml have no file in {CORPUS}/ok: {missing:?}"
    );
}
