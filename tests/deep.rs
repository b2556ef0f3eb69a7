//! Resource bounds (LANGUAGE.md §2): nesting deeper than 256 levels is a `too-deep` error, never a
//! stack overflow, and a large flat expression parses and prints.
//!
//! Each test runs on a thread with a stack of known size. A stack overflow aborts the whole test
//! process, which fails loudly. Nothing here is timed: speed is measured by the benchmarks.

mod verified;
use verified::verified;

use driftql::{Expr, MAX_DEPTH, Op, Query, Span, SyntaxErrorKind, Term};

const SMALL_STACK: usize = 256 * 1024;
/// The stack a test thread gets by default.
const TEST_STACK: usize = 2 * 1024 * 1024;

/// Runs `f` on a new thread with a stack of `bytes`, passing on its panic.
fn on_stack<T: Send + 'static>(bytes: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(f)
        .expect("a thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// `n` levels of groups that do not flatten: `(t:0 and (t:1 or (t:2 and … z:1)))`, which is
/// its own canonical form and nests `n` levels.
fn nested_groups(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let op = if i % 2 == 0 { "and" } else { "or" };
        s.push_str(&format!("(t:{i} {op} "));
    }
    s.push_str("z:1");
    s.push_str(&")".repeat(n));
    s
}

/// The deepest nesting of parentheses in `s`, which holds no quoted string.
fn parenthesis_depth(s: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0);
    for b in s.bytes() {
        match b {
            b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' => depth -= 1,
            _ => {}
        }
    }
    max
}

fn term() -> Expr {
    Term::new("title", Op::Match, "x").into()
}

fn assert_too_deep(input: &str, span: Span) {
    let err = driftql::parse(input).expect_err("too deep");
    assert_eq!(err.kind(), SyntaxErrorKind::TooDeep, "{}", err.message());
    assert_eq!(err.span(), span);
    assert_eq!((err.line(), err.column()), (1, span.start + 1));
}

#[test]
fn a_hundred_thousand_open_parentheses_are_too_deep_on_a_small_stack() {
    on_stack(SMALL_STACK, || {
        let opens = "(".repeat(100_000);
        assert_too_deep(&opens, Span::new(MAX_DEPTH, MAX_DEPTH + 1));
        let balanced = format!("{opens}title:x{}", ")".repeat(100_000));
        assert_too_deep(&balanced, Span::new(MAX_DEPTH, MAX_DEPTH + 1));
    });
}

#[test]
fn a_hundred_thousand_nots_are_too_deep_on_a_small_stack() {
    on_stack(SMALL_STACK, || {
        let nots = format!("{}title:x", "not ".repeat(100_000));
        // The 257th `not`.
        let at = 4 * MAX_DEPTH;
        assert_too_deep(&nots, Span::new(at, at + 3));
        let mixed = format!("{}title:x", "not (".repeat(50_000));
        assert!(driftql::parse(&mixed).is_err_and(|e| e.kind() == SyntaxErrorKind::TooDeep));
    });
}

#[test]
fn exactly_256_levels_of_parentheses_parse_print_and_drop() {
    on_stack(TEST_STACK, || {
        let input = nested_groups(MAX_DEPTH);
        let query = verified(&input, &input);
        assert_eq!(query.expr().depth(), MAX_DEPTH + 1);
        let built = Query::try_from(query.expr().clone()).expect("the tree is within the bound");
        assert_eq!(built.source(), input);
        drop((query, built));

        let redundant = format!("{}title:x{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(driftql::parse(&redundant).unwrap().to_string(), "title:x");
    });
}

#[test]
fn the_257th_level_of_parentheses_is_too_deep() {
    on_stack(TEST_STACK, || {
        let input = nested_groups(MAX_DEPTH + 1);
        let at = input
            .match_indices('(')
            .nth(MAX_DEPTH)
            .expect("257 parentheses")
            .0;
        assert_too_deep(&input, Span::new(at, at + 1));

        let redundant = format!(
            "{}title:x{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert_too_deep(&redundant, Span::new(MAX_DEPTH, MAX_DEPTH + 1));
    });
}

#[test]
fn exactly_256_nots_parse_and_the_257th_is_too_deep() {
    on_stack(TEST_STACK, || {
        let input = format!("{}title:x", "not ".repeat(MAX_DEPTH));
        let query = driftql::parse(&input).expect("256 nots parse");
        assert_eq!(query.expr().depth(), MAX_DEPTH + 1);
        assert_eq!(query.to_string(), input);
        drop(query);

        let input = format!("{}title:x", "not ".repeat(MAX_DEPTH + 1));
        assert_too_deep(&input, Span::new(4 * MAX_DEPTH, 4 * MAX_DEPTH + 3));
    });
}

#[test]
fn parentheses_and_nots_count_together() {
    on_stack(TEST_STACK, || {
        // `not (` is two levels.
        let half = MAX_DEPTH / 2;
        let input = format!("{}title:x{}", "not (".repeat(half), ")".repeat(half));
        let query = driftql::parse(&input).expect("256 levels parse");
        assert_eq!(query.to_string(), format!("{}title:x", "not ".repeat(half)));

        // One more `not` in front: the last `(` is the 257th level.
        let input = format!("not {input}");
        let at = input.rfind('(').unwrap();
        assert_eq!(at, 4 + 5 * (half - 1) + 4);
        assert_too_deep(&input, Span::new(at, at + 1));
    });
}

/// `and` binds tighter than `or`, so `x:1 or y:1 and (…)` nests two groups per parenthesis once
/// printed. The bound applies to that nesting too, so that the canonical form of anything that
/// parses parses again.
#[test]
fn nesting_implied_by_precedence_counts_as_printed() {
    on_stack(TEST_STACK, || {
        let nested = |n: usize| format!("{}z:1{}", "x:1 or y:1 and (".repeat(n), ")".repeat(n));
        let query = driftql::parse(&nested(MAX_DEPTH / 2)).expect("256 levels once printed");
        assert_eq!(query.expr().depth(), MAX_DEPTH + 1);
        let canonical = query.to_string();
        assert_eq!(parenthesis_depth(&canonical), MAX_DEPTH);
        let again = driftql::parse(&canonical).expect("the canonical form parses");
        assert!(
            again.expr() == query.expr(),
            "the canonical form parses to another tree"
        );

        let input = nested(MAX_DEPTH / 2 + 1);
        let err = driftql::parse(&input).expect_err("258 levels once printed");
        assert_eq!(err.kind(), SyntaxErrorKind::TooDeep);
        // The first term that stands too deep: the `x:1` of the 129th repetition.
        let at = input.match_indices("x:1").nth(MAX_DEPTH / 2).unwrap().0;
        assert_eq!(err.span(), Span::new(at, at + 3));
    });
}

#[test]
fn a_megabyte_flat_expression_parses_and_prints() {
    on_stack(TEST_STACK, || {
        // Values full of `n`, so the nesting scan cannot be skipped.
        let mut operands = Vec::new();
        let mut len = 0;
        while len < 1_000_000 {
            let operand = format!("title:n{}", operands.len());
            len += operand.len() + 4;
            operands.push(operand);
        }
        let input = operands.join(" or ");
        let query = driftql::parse(&input).expect("a flat expression parses");
        match query.expr() {
            Expr::Or(group) => assert_eq!(group.len(), operands.len()),
            other => panic!("expected one `or` group, got {:?}", other.depth()),
        }
        assert_eq!(query.to_string(), format!("({input})"));

        // The same with `and` and juxtaposed `not`s.
        let input = operands.join(" not ");
        let query = driftql::parse(&input).expect("a flat expression parses");
        let expected: Vec<String> = operands
            .iter()
            .enumerate()
            .map(|(i, o)| {
                if i == 0 {
                    o.clone()
                } else {
                    format!("not {o}")
                }
            })
            .collect();
        assert_eq!(query.to_string(), format!("({})", expected.join(" and ")));
    });
}

#[test]
fn a_built_tree_at_the_bound_converts_and_one_level_more_is_too_deep() {
    on_stack(TEST_STACK, || {
        let mut nots = term();
        let mut groups = term();
        for i in 0..MAX_DEPTH {
            nots = !nots;
            let other = Term::new("t", Op::Match, i.to_string());
            groups = if i % 2 == 0 {
                Expr::from(other).and(groups)
            } else {
                Expr::from(other).or(groups)
            };
        }
        for tree in [nots, groups] {
            let query = Query::try_from(tree.clone()).expect("256 levels convert");
            assert_eq!(query.expr(), &tree);
            let deeper = !tree;
            let err = Query::try_from(deeper).expect_err("257 levels do not");
            assert_eq!(err.kind(), SyntaxErrorKind::TooDeep);
        }
    });
}

/// Dropping a tree recurses once per level, so a tree built by hand to 100,000 levels overflows
/// a 2 MiB stack in a debug build when it is dropped. Converting it must fail without printing
/// it; the depth here is one that its drop survives.
#[test]
fn a_deep_built_tree_is_too_deep_for_a_query() {
    on_stack(TEST_STACK, || {
        let mut tree = term();
        for _ in 0..10_000 {
            tree = !tree;
        }
        assert_eq!(tree.depth(), 10_001);
        let err = Query::try_from(tree).expect_err("too deep");
        assert_eq!(err.kind(), SyntaxErrorKind::TooDeep);
        assert_eq!(err.code(), "too-deep");
    });
}

/// On a stack too small for pest to reach 256 levels, a valid expression fails with `too-deep`
/// (pest's own guard), not with an error that blames a character, and nothing overflows.
#[test]
fn a_thread_with_little_stack_gets_too_deep_or_the_tree() {
    on_stack(SMALL_STACK / 2, || {
        let input = nested_groups(MAX_DEPTH);
        match driftql::parse(&input) {
            Ok(query) => assert_eq!(query.to_string(), input),
            Err(err) => assert_eq!(err.kind(), SyntaxErrorKind::TooDeep, "{}", err.message()),
        }
    });
}

/// The parser grows the stack it runs on for deep input: however little the caller's thread
/// has, 256 levels parse (the growth is sized for them, about 16 KiB a level).
#[test]
fn every_level_parses_on_a_thread_with_little_stack() {
    for stack in [SMALL_STACK / 2, 64 * 1024] {
        on_stack(stack, || {
            let input = nested_groups(MAX_DEPTH);
            let query = driftql::parse(&input).expect("256 levels parse on a grown stack");
            assert_eq!(query.expr().depth(), MAX_DEPTH + 1);
            std::mem::forget(query); // dropping 256 levels is not the parser's business here
        });
    }
}

/// A `not` right before `)` has no operand: it adds no level (the grammar reports it), so an
/// input 256 parentheses deep with one is a syntax error of its own, not `too-deep`.
#[test]
fn a_not_before_a_closing_parenthesis_adds_no_level() {
    on_stack(TEST_STACK, || {
        let input = format!(
            "{}a:1 and not{}",
            "(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        let err = driftql::parse(&input).expect_err("a `not` without its operand");
        assert_ne!(err.kind(), SyntaxErrorKind::TooDeep, "{}", err.message());
    });
}

/// A `not` counts as a level of the printed tree too: under 256 groups that precedence makes,
/// `not z:1` is one level more than the bound, though only 128 parentheses are written.
#[test]
fn a_not_under_precedence_groups_counts_as_printed() {
    on_stack(TEST_STACK, || {
        let nested = |inner: &str| {
            let n = MAX_DEPTH / 2;
            format!("{}{inner}{}", "x:1 or y:1 and (".repeat(n), ")".repeat(n))
        };
        assert!(driftql::parse(&nested("z:1")).is_ok());
        let input = nested("not z:1");
        let err = driftql::parse(&input).expect_err("257 levels once printed");
        assert_eq!(err.kind(), SyntaxErrorKind::TooDeep);
        assert_eq!(
            err.span().range(),
            input.rfind("z:1").map(|at| at..at + 3).unwrap()
        );
    });
}

/// An escaped parenthesis belongs to its value: it opens no level.
#[test]
fn an_escaped_parenthesis_in_a_value_adds_no_level() {
    on_stack(TEST_STACK, || {
        let input = format!(r"{}a:x\({}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        let query = driftql::parse(&input).expect("256 levels and a value holding `(`");
        assert_eq!(query.to_string(), r#"a:"x(""#);
    });
}
