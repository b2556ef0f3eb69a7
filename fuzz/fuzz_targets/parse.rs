//! Any bytes: parsing never panics; an error's span lies within the input on character
//! boundaries, with the line and column of its start; a parsed tree's spans say what stands there.
#![no_main]

use driftql_fuzz::{check_parse_error, check_tree_spans, text_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = text_of(data);
    match driftql::parse(&src) {
        Ok(q) => {
            assert_eq!(q.source(), src);
            check_tree_spans(&q);
        }
        Err(e) => check_parse_error(&src, &e),
    }
});
