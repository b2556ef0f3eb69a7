//! Recovery never panics; every error it reports lies on character boundaries of the input,
//! the strict parse's error among them; on valid input it is the strict parse; and every term
//! it keeps stands where it was written, with lints whose spans lie in the input.
#![no_main]

use driftql_fuzz::text_of;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let r = driftql::parse_recovering(&text);
    let inside = |s: driftql::Span| {
        s.start <= s.end
            && s.end <= text.len()
            && text.is_char_boundary(s.start)
            && text.is_char_boundary(s.end)
    };
    for e in &r.errors {
        assert!(inside(e.span()), "{:?}: error span {:?}", text, e.span());
        assert!(e.line() >= 1 && e.column() >= 1);
    }
    match driftql::parse(&text) {
        Ok(q) => {
            assert!(r.is_ok(), "{text:?} parses, and recovery reports errors");
            assert_eq!(r.query.as_ref(), Some(&q));
        }
        Err(e) => {
            assert!(
                r.errors.iter().any(|x| x.code() == e.code() && x.span() == e.span()),
                "{text:?}: the strict error {} {:?} is not among recovery's",
                e.code(),
                e.span()
            );
        }
    }
    if let Some(q) = &r.query {
        assert_eq!(q.source(), &*text);
        for t in q.expr().terms() {
            assert!(inside(t.span()) && inside(t.value_span()), "{text:?}: {t}");
            let alone = driftql::parse(&text[t.span().range()]).expect("a kept term parses alone");
            assert_eq!(alone.expr().as_term(), Some(t), "{text:?}");
        }
        for d in q.validate() {
            assert!(inside(d.span), "{text:?}: lint {} at {:?}", d.code, d.span);
        }
    }
});
