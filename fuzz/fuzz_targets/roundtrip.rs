//! Whatever parses prints to a canonical form that parses back to the same tree, and printing
//! that again gives the same text.
#![no_main]

use driftql::Query;
use driftql_fuzz::text_of;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = text_of(data);
    let Ok(q) = driftql::parse(&src) else {
        return;
    };
    let printed = q.to_string();
    let again = driftql::parse(&printed).unwrap_or_else(|e| {
        panic!("the canonical form {printed:?} of {src:?} does not parse: {e}")
    });
    assert_eq!(again.expr(), q.expr(), "{src:?} printed as {printed:?}");
    assert_eq!(
        again.to_string(),
        printed,
        "printing {src:?} is not idempotent"
    );
    // The builder's path to a query prints and parses the same way.
    let built = Query::try_from(q.expr().clone())
        .unwrap_or_else(|e| panic!("the tree of {src:?} is refused: {e}"));
    assert_eq!(built.source(), printed);
    assert_eq!(built.expr(), q.expr());
});
