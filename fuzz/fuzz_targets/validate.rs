//! Validating and fixing never panic; every finding and every fix points into the source; each
//! fix on its own, and all of them together, give text that parses; the fixed query has nothing
//! fixable left, and fixing it again changes nothing.
#![no_main]

use driftql_fuzz::{check_diagnostic, text_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = text_of(data);
    let Ok(q) = driftql::parse(&src) else {
        return;
    };
    let findings = q.validate();
    for d in &findings {
        check_diagnostic(&src, d);
        if let Some(fix) = &d.fix {
            let mut fixed = src.to_string();
            fixed.replace_range(fix.span.range(), &fix.replacement);
            if let Err(e) = driftql::parse(&fixed) {
                panic!("the fix of {} turns {src:?} into {fixed:?}: {e}", d.code);
            }
        }
    }
    assert!(
        findings
            .windows(2)
            .all(|w| (w[0].span.start, w[0].span.end) <= (w[1].span.start, w[1].span.end)),
        "findings out of order"
    );
    assert_eq!(q.check().is_err(), findings.iter().any(|d| d.is_error()));

    let fixed = q.fix();
    let reparsed = driftql::parse(fixed.source())
        .unwrap_or_else(|e| panic!("{src:?} fixed to {:?}: {e}", fixed.source()));
    assert_eq!(reparsed, fixed);
    let left: Vec<_> = fixed
        .validate()
        .into_iter()
        .filter(|d| d.fix.is_some())
        .collect();
    assert!(
        left.is_empty(),
        "{src:?} fixed to {:?}, still fixable: {left:?}",
        fixed.source()
    );
    assert_eq!(fixed.fix(), fixed, "fixing {src:?} twice");
});
