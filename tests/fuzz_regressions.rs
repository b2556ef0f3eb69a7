//! Inputs the fuzz targets (`fuzz/`) found wrong, with the behaviour they now have.

/// Applies every fix of `src`'s findings with code `code`, one at a time, and returns the texts.
fn each_fix(src: &str, code: &str) -> Vec<String> {
    let q = driftql::parse(src).unwrap();
    q.validate()
        .into_iter()
        .filter(|d| d.code == code)
        .filter_map(|d| d.fix)
        .map(|f| {
            let mut text = src.to_string();
            text.replace_range(f.span.range(), &f.replacement);
            text
        })
        .collect()
}

/// `fix()` leaves nothing fixable, its source parses to itself, and fixing again changes nothing.
fn assert_fixes_to(src: &str, fixed: &str) {
    let q = driftql::parse(src).unwrap();
    let f = q.fix();
    assert_eq!(f.source(), fixed, "fixing {src:?}");
    assert!(f.validate().iter().all(|d| d.fix.is_none()), "{src:?}");
    assert_eq!(driftql::parse(f.source()).unwrap(), f);
    assert_eq!(f.fix(), f);
}

#[test]
fn double_negation_fix_keeps_the_parentheses_balanced() {
    // The fix replaces the whole outer `not` (its parentheses included) with the operand as it
    // was written, once every `not not` pair of the chain is dropped.
    assert_eq!(
        each_fix("not(not(title:a))\n", "double-negation"),
        ["title:a\n"]
    );
    assert_fixes_to("not(not(title:a))\n", "title:a\n");
    assert_fixes_to("not ( not title:a )", "title:a");
    assert_fixes_to("title:x not (not title:b)", "title:x and title:b");
    assert_fixes_to("not (not (not (not title:a)))", "title:a");
    assert_fixes_to("title:x not not (not not title:a)", "title:x and title:a");
    assert_fixes_to(
        "not not (title:a or title:b) and title:c",
        "(title:a or title:b) and title:c",
    );
    assert_fixes_to("not not not (title:a)", "not (title:a)");
    // A chain of any length is fixed in one round.
    let deep = format!("{}title:a", "not ".repeat(40));
    assert_fixes_to(&deep, "title:a");
}

#[test]
fn double_negation_fix_reads_escapes_before_the_nots() {
    // An escaped `(` or space, or a value ending in `and`, is part of the value before: the
    // `not not` stands juxtaposed to it and carried the `and`.
    assert_fixes_to(r"title:foo\( not not title:b", r"title:foo\( and title:b");
    assert_fixes_to(r"title:a\ and not not title:b", r"title:a\ and and title:b");
    assert_fixes_to(r"title:a\(and not not title:b", r"title:a\(and and title:b");
    assert_fixes_to("title:a\\\tor not not title:b", "title:a\\\tor and title:b");
    // Real operators and parentheses still take no `and`.
    assert_fixes_to("title:a and not not title:b", "title:a and title:b");
    assert_fixes_to("title:a OR (not not title:b)", "title:a OR (title:b)");
    assert_fixes_to("(title:a)not not title:b", "(title:a)and title:b");
    assert_fixes_to(r#"title:"(" not not title:b"#, r#"title:"(" and title:b"#);
}
