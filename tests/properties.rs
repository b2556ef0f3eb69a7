//! The laws of LANGUAGE.md §3, and the parser's robustness, as property tests.
//!
//! - (a) any tree built with the public builder prints to text that parses back to the same tree,
//!   whatever its types, contexts and values hold (no injection);
//! - (b) print∘parse is a fixed point on every input that parses;
//! - (c) parsing never panics, and every error's span and position describe the input.

mod verified;
use verified::verify;

use std::sync::atomic::{AtomicUsize, Ordering};

use driftql::{BuildError, Expr, Op, Query, SyntaxErrorKind, Term};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

// ---------------------------------------------------------------------------------------------
// Trees built with the public API

/// A type name in the type alphabet, in any case.
fn type_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.-]{1,12}"
}

/// A piece of a value or context, chosen to collide with the syntax.
fn tricky_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9]{1,6}",
        3 => prop::sample::select(vec![
            "\"", "\\", "*", "(", ")", " ", "\t", "\n", "\r", ":", "=", ";", "\\\"", "\\\\",
            "\u{a0}", "\u{3000}", "\u{85}", "\u{b}", "\u{c}", "é", "東", "🦀",
            "\" or title:\"", ") or (", " not ", "*)",
        ])
        .prop_map(String::from),
        2 => "(?i:and|or|not)",
        1 => any::<char>().prop_map(String::from),
        1 => ".{0,4}",
    ]
}

/// A value or context: a few tricky pieces, possibly none (the empty string).
fn text() -> impl Strategy<Value = String> {
    vec(tricky_piece(), 0..5).prop_map(|pieces| pieces.concat())
}

fn term() -> impl Strategy<Value = Term> {
    (
        type_name(),
        any::<bool>(),
        text(),
        proptest::option::of(text()),
        any::<bool>(),
    )
        .prop_map(|(ty, keyword, value, context, prefix)| {
            let op = if keyword { Op::Keyword } else { Op::Match };
            let term = Term::try_new(&ty, op, value)
                .expect("a name in the type alphabet")
                .with_prefix(prefix);
            match context {
                Some(c) => term.with_context(c),
                None => term,
            }
        })
}

fn tree() -> impl Strategy<Value = Expr> {
    term()
        .prop_map(Expr::from)
        .prop_recursive(6, 48, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 2..5).prop_map(|v| Expr::all(v).expect("operands")),
                vec(inner.clone(), 2..5).prop_map(|v| Expr::any(v).expect("operands")),
                inner.clone().prop_map(|e| !e),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| a.and(b)),
                (inner.clone(), inner).prop_map(|(a, b)| a.or(b)),
            ]
        })
}

// ---------------------------------------------------------------------------------------------
// Source text: mostly well-formed expressions written sloppily, plus token soup and mutations

/// `word` with each letter in a random case.
fn any_case(word: &'static str) -> impl Strategy<Value = String> {
    vec(any::<bool>(), word.len()).prop_map(move |upper| {
        word.chars()
            .zip(upper)
            .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

fn space() -> impl Strategy<Value = &'static str> {
    prop_oneof![8 => Just(" "), 1 => Just("  "), 1 => Just("\t"), 1 => Just("\n"), 1 => Just("\r\n")]
}

fn maybe_space() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), space()]
}

/// A value as a user writes it: bare, bare with escapes, quoted with escapes, or Unicode.
fn written_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9.:/=;?&#_-]{1,8}",
        2 => vec(prop_oneof!["[a-z0-9]{1,3}", r#"\\[ ()*\\"a:]"#], 1..4)
            .prop_map(|v| v.concat()),
        2 => vec(prop_oneof!["[a-z ()*:;=]{1,4}", Just(r#"\""#.to_string()), Just(r"\\".to_string()), Just(r"\x".to_string())], 0..4)
            .prop_map(|v| format!("\"{}\"", v.concat())),
        1 => "[é東🦀\u{a0}a-z]{1,4}",
    ]
}

/// A term as a user writes it.
fn written_term() -> impl Strategy<Value = String> {
    let context = prop_oneof![
        3 => Just(None),
        1 => Just(Some(String::new())),
        1 => "[A-Za-z-]{1,6}".prop_map(Some),
        1 => "\"[a-z ;:=]{0,5}\"".prop_map(Some),
    ];
    (
        "[A-Za-z0-9_.-]{1,8}",
        context,
        prop_oneof![Just(':'), Just('=')],
        written_value(),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(ty, context, op, value, prefix)| {
            let context = context.map(|c| format!(";{c}")).unwrap_or_default();
            let star = if prefix { "*" } else { "" };
            format!("{ty}{context}{op}{value}{star}")
        })
}

/// A well-formed expression, written with random keyword case, spacing and parentheses.
fn written_expr() -> impl Strategy<Value = String> {
    written_term().prop_recursive(5, 32, 4, |inner| {
        prop_oneof![
            (
                inner.clone(),
                vec(
                    (
                        space(),
                        prop_oneof![any_case("and"), any_case("or")],
                        space(),
                        inner.clone()
                    ),
                    1..4
                )
            )
                .prop_map(|(first, rest)| {
                    let mut s = first;
                    for (a, op, b, operand) in rest {
                        s.push_str(&format!("{a}{op}{b}{operand}"));
                    }
                    s
                }),
            (any_case("not"), space(), inner.clone()).prop_map(|(k, s, e)| format!("{k}{s}{e}")),
            (any_case("not"), inner.clone()).prop_map(|(k, e)| format!("{k}({e})")),
            (maybe_space(), inner.clone(), maybe_space())
                .prop_map(|(a, e, b)| format!("({a}{e}{b})")),
            (inner.clone(), space(), any_case("not"), space(), inner)
                .prop_map(|(a, s, k, t, b)| format!("{a}{s}{k}{t}{b}")),
        ]
    })
}

/// Something that may or may not belong in an expression.
fn noise() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "(", ")", "\"", "\\", "*", ":", "=", ";", " ", "and", "OR", "not", "()", "title:",
            "\u{a0}", "é",
        ])
        .prop_map(String::from),
        1 => any::<char>().prop_map(String::from),
    ]
}

/// Keywords, parentheses, terms and noise in any order.
fn token_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        4 => written_term(),
        2 => prop_oneof![any_case("and"), any_case("or"), any_case("not")],
        1 => Just("(".to_string()),
        1 => Just(")".to_string()),
        1 => noise(),
    ];
    vec((token, maybe_space()), 1..10)
        .prop_map(|tokens| tokens.into_iter().map(|(t, s)| format!("{t}{s}")).collect())
}

/// A well-formed expression with a piece of noise inserted somewhere.
fn mutated_expr() -> impl Strategy<Value = String> {
    (written_expr(), noise(), any::<prop::sample::Index>()).prop_map(|(mut s, noise, at)| {
        let boundaries: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
        s.insert_str(*at.get(&boundaries), &noise);
        s
    })
}

fn source() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => written_expr(),
        2 => token_soup(),
        2 => mutated_expr(),
    ]
}

// ---------------------------------------------------------------------------------------------
// (a) trees survive printing

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn a_built_tree_prints_as_text_that_parses_back_to_it(tree in tree()) {
        let printed = tree.to_string();
        let parsed = verify(&printed, &printed).map_err(TestCaseError::fail)?;
        prop_assert_eq!(parsed.expr(), &tree, "printed as {:?}", printed);

        let query = Query::try_from(tree.clone())
            .map_err(|e| TestCaseError::fail(format!("{printed:?}: {e}")))?;
        prop_assert_eq!(query.expr(), &tree);
        prop_assert_eq!(query.source(), printed.as_str());
    }

    #[test]
    fn the_builder_stores_types_in_lowercase(ty in type_name(), value in text()) {
        let term = Term::try_new(&ty, Op::Match, value.clone()).expect("a name in the alphabet");
        prop_assert_eq!(term.ty(), ty.to_ascii_lowercase());
        prop_assert_eq!(term.value(), value.as_str());
        prop_assert_eq!(term.context(), None);
    }

    #[test]
    fn the_builder_refuses_types_outside_the_alphabet(
        before in "[a-z]{0,3}",
        bad in any::<char>().prop_filter("outside the type alphabet", |c| {
            !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        }),
        after in "[a-z]{0,3}",
    ) {
        let name = format!("{before}{bad}{after}");
        prop_assert_eq!(
            Term::try_new(&name, Op::Match, "x"),
            Err(BuildError::InvalidType { name: name.clone() })
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_tree_survives_json(tree in tree()) {
        let json = serde_json::to_string(&tree).expect("a tree serialises");
        let back: Expr = serde_json::from_str(&json)
            .map_err(|e| TestCaseError::fail(format!("{json}: {e}")))?;
        prop_assert_eq!(back, tree);
    }
}

#[test]
fn the_builder_refuses_an_empty_type() {
    assert_eq!(
        Term::try_new("", Op::Keyword, "x"),
        Err(BuildError::InvalidType {
            name: String::new()
        })
    );
}

// ---------------------------------------------------------------------------------------------
// (b) the canonical form is a fixed point

#[test]
fn print_after_parse_is_a_fixed_point() {
    const CASES: u32 = 2000;
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        ..Config::default()
    });
    let parsed = AtomicUsize::new(0);
    let result = runner.run(&source(), |s| {
        let Ok(query) = driftql::parse(&s) else {
            return Ok(());
        };
        parsed.fetch_add(1, Ordering::Relaxed);
        verify(&s, &query.to_string()).map_err(TestCaseError::fail)?;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The generator aims at well-formed input most of the time; if hardly anything parses, the
    // law above was not tested.
    let parsed = parsed.load(Ordering::Relaxed);
    assert!(
        parsed >= CASES as usize / 4,
        "only {parsed} of {CASES} generated inputs parsed"
    );
}

// ---------------------------------------------------------------------------------------------
// (c) parsing never panics, and errors describe the input

/// Names of grammar rules that must never reach a user.
/// The grammar's rule names that no message may show: those written with an underscore (the
/// others are ordinary words, like `term`), and pest's `SOI`/`EOI`. Read from the grammar
/// itself, so a renamed rule is still covered.
fn rule_names() -> Vec<&'static str> {
    let grammar = include_str!("../grammar/expression.pest");
    let mut names: Vec<&str> = grammar
        .lines()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.trim()))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .filter(|n| n.contains('_'))
        .collect();
    assert!(
        names.contains(&"or_expr") && names.contains(&"bare_value"),
        "{names:?}"
    );
    names.extend(["SOI", "EOI"]);
    names
}

fn check_parse(input: &str) -> Result<(), TestCaseError> {
    let Err(err) = driftql::parse(input) else {
        return Ok(());
    };
    let span = err.span();
    prop_assert!(
        span.start <= span.end && span.end <= input.len(),
        "{input:?}: span {span:?} out of bounds"
    );
    prop_assert!(
        input.is_char_boundary(span.start) && input.is_char_boundary(span.end),
        "{input:?}: span {span:?} not on character boundaries"
    );
    let before = &input[..span.start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    prop_assert_eq!(
        (err.line(), err.column()),
        (line, column),
        "{:?}: span {:?}",
        input,
        span
    );
    prop_assert!(
        SyntaxErrorKind::ALL.contains(&err.kind()),
        "{input:?}: unlisted kind {:?}",
        err.kind()
    );
    let d = err.diagnostic();
    prop_assert_eq!(d.code, err.code());
    prop_assert_eq!(d.span, span);
    prop_assert!(d.is_error());
    prop_assert!(!err.message().is_empty(), "{input:?}: no message");
    let help = err.help().unwrap_or_default();
    prop_assert!(!help.is_empty(), "{input:?}: no help");
    for rule in rule_names() {
        prop_assert!(
            !err.message().contains(rule) && !help.contains(rule),
            "{input:?}: the error names the rule {rule}: {} / {help}",
            err.message()
        );
    }
    #[cfg(feature = "render")]
    {
        let rendered = driftql::diagnostic::render(input, std::slice::from_ref(d), false);
        prop_assert!(
            rendered.contains(&format!("error[{}]", err.code())),
            "{rendered}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_string_parses_or_fails_with_a_well_placed_error(s in any::<String>()) {
        check_parse(&s)?;
    }

    #[test]
    fn expression_like_text_parses_or_fails_with_a_well_placed_error(s in source()) {
        check_parse(&s)?;
    }
}
