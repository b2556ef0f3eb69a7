//! Trees built with the builder API from arbitrary types, contexts and values print to text that
//! parses back to the same tree, whatever the strings hold; a tree nested past the bound is
//! refused, never printed into something else.
#![no_main]

use driftql::{MAX_DEPTH, Query, SyntaxErrorKind};
use driftql_fuzz::{FExpr, Limits, check_flat, check_tree_spans};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: FExpr| {
    let expr = input.build(&mut Limits::default());
    check_flat(&expr);
    let printed = expr.to_string();
    match Query::try_from(expr.clone()) {
        Ok(q) => {
            assert!(
                expr.depth() <= MAX_DEPTH + 1,
                "depth {} accepted",
                expr.depth()
            );
            assert_eq!(q.expr(), &expr, "built {expr:?}, printed {printed:?}");
            assert_eq!(q.source(), printed);
            assert_eq!(q.to_string(), printed);
            check_tree_spans(&q);
        }
        Err(e) => {
            assert_eq!(e.kind(), SyntaxErrorKind::TooDeep, "{printed:?}: {e}");
            assert!(
                expr.depth() > MAX_DEPTH + 1,
                "depth {} refused: {e}",
                expr.depth()
            );
        }
    }
});
