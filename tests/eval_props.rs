//! Properties of the evaluator over random expressions and random reports drawn from one small
//! vocabulary (so that terms often do match): the canonical form keeps the meaning, `not`
//! follows De Morgan's laws, groups combine their operands, and no input makes it panic.

use driftql::eval::{MatchOptions, Matcher};
use driftql::{Expr, Item, Op, Report, Term};
use proptest::prelude::*;

/// A family of related types: the term types, term values, item types and item values that
/// meet each other, so that random terms often match random items.
#[derive(Debug)]
struct Family {
    types: &'static [&'static str],
    values: &'static [&'static str],
    item_types: &'static [&'static str],
    item_values: &'static [&'static str],
}

const FAMILIES: &[Family] = &[
    Family {
        types: &[
            "title",
            "Title",
            "x-unknown",
            "search-term",
            "server-banner",
        ],
        values: &[
            "foo",
            "foo bar",
            "Foo",
            "ba",
            "bar foo",
            "--",
            "",
            "a\"b\\c",
            "x*y",
            "not",
            "and (or)",
            "ΟΔΟΣ",
            "οδος bar",
        ],
        item_types: &["title", "TITLE", "x-unknown", "server-banner"],
        item_values: &[
            "foo",
            "Foo-Bar",
            "foo x bar",
            "bar foo",
            "food",
            "",
            "--",
            "a\"b\\c",
            "οδος bar",
        ],
    },
    Family {
        types: &["host", "url"],
        values: &[
            "example.com",
            "www.example.com",
            ".example.com",
            "Example.COM.",
            "exa",
            "",
            "https://www.example.com/foo",
            "foo",
        ],
        item_types: &["host", "url"],
        item_values: &[
            "example.com",
            "www.Example.com",
            "badexample.com",
            "example.com.",
            "https://www.example.com/foo?bar",
            "http://example.com:8080",
            "http://[2001:db8::1]/",
        ],
    },
    Family {
        types: &["ip"],
        values: &[
            "10.0.0.0/8",
            "10.1.2.3",
            "::ffff:10.1.2.3",
            "2001:db8::/32",
            "banana",
        ],
        item_types: &["ip"],
        item_values: &[
            "10.1.2.3",
            "10.200.0.1",
            "2001:db8::1",
            "::ffff:10.1.2.3",
            "11.0.0.1",
        ],
    },
    Family {
        types: &["port-tcp", "port-udp"],
        values: &["443", "0443", "80", "99999"],
        item_types: &["port-tcp", "port-udp"],
        item_values: &["443", "0443", "80", "8080"],
    },
    Family {
        types: &["geo-country"],
        values: &["GB", "gb", "G"],
        item_types: &["geo-country"],
        item_values: &["GB", "gb", "US"],
    },
    Family {
        types: &["protocol", "http-header-name"],
        values: &["http", "Server", "htt", "HTTP", ""],
        item_types: &["server-banner", "http-header", "protocol"],
        item_values: &["nginx", "http", "Server"],
    },
];

/// Contexts of items; terms use them too, or none.
const CONTEXTS: &[&str] = &["", "http", "Server"];

fn family() -> impl Strategy<Value = &'static Family> {
    (0..FAMILIES.len()).prop_map(|i| &FAMILIES[i])
}

fn term() -> impl Strategy<Value = Term> {
    (
        family(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        prop_oneof![3 => Just(None), 2 => prop::sample::select(CONTEXTS).prop_map(Some)],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(family, ty, value, context, keyword, prefix)| {
            let op = if keyword { Op::Keyword } else { Op::Match };
            let t = Term::try_new(ty.get::<&str>(family.types), op, *value.get(family.values))
                .expect("the vocabulary's types are valid");
            let t = match context {
                Some(c) => t.with_context(c),
                None => t,
            };
            t.with_prefix(prefix)
        })
}

fn expr() -> impl Strategy<Value = Expr> {
    term()
        .prop_map(Expr::from)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(|e| !e),
                prop::collection::vec(inner.clone(), 2..4)
                    .prop_map(|v| Expr::all(v).expect("non-empty")),
                prop::collection::vec(inner, 2..4).prop_map(|v| Expr::any(v).expect("non-empty")),
            ]
        })
}

fn item() -> impl Strategy<Value = Item> {
    (
        family(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        prop::sample::select(CONTEXTS),
    )
        .prop_map(|(family, ty, value, context)| {
            Item::new(
                *ty.get(family.item_types),
                context,
                *value.get(family.item_values),
            )
        })
}

fn report() -> impl Strategy<Value = Report> {
    prop::collection::vec(item(), 0..8).prop_map(|items| Report {
        items,
        ..Report::default()
    })
}

fn options() -> impl Strategy<Value = MatchOptions> {
    (0u32..3, any::<bool>()).prop_map(|(slop, host_in_url)| {
        MatchOptions::default()
            .with_slop(slop)
            .with_host_in_url(host_in_url)
    })
}

fn eval(e: &Expr, o: &MatchOptions, r: &Report) -> bool {
    Matcher::new(e, o).matches(r)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_canonical_form_keeps_the_meaning(e in expr(), o in options(), r in report()) {
        let printed = e.to_string();
        let reparsed = driftql::parse(&printed)
            .unwrap_or_else(|err| panic!("{printed:?} does not parse: {err}"));
        prop_assert_eq!(eval(&e, &o, &r), eval(reparsed.expr(), &o, &r), "{}", printed);
        prop_assert_eq!(eval(&e, &o, &r), reparsed.matches(&r, &o));
    }

    #[test]
    fn de_morgan_for_and(a in expr(), b in expr(), o in options(), r in report()) {
        let lhs = !(a.clone().and(b.clone()));
        let rhs = (!a).or(!b);
        prop_assert_eq!(eval(&lhs, &o, &r), eval(&rhs, &o, &r));
    }

    #[test]
    fn de_morgan_for_or(a in expr(), b in expr(), o in options(), r in report()) {
        let lhs = !(a.clone().or(b.clone()));
        let rhs = (!a).and(!b);
        prop_assert_eq!(eval(&lhs, &o, &r), eval(&rhs, &o, &r));
    }

    #[test]
    fn double_negation_cancels(a in expr(), o in options(), r in report()) {
        prop_assert_eq!(eval(&!!a.clone(), &o, &r), eval(&a, &o, &r));
        prop_assert_eq!(eval(&!a.clone(), &o, &r), !eval(&a, &o, &r));
    }

    #[test]
    fn groups_combine_their_operands(a in expr(), b in expr(), o in options(), r in report()) {
        let (x, y) = (eval(&a, &o, &r), eval(&b, &o, &r));
        prop_assert_eq!(eval(&a.clone().and(b.clone()), &o, &r), x && y);
        prop_assert_eq!(eval(&a.clone().or(b.clone()), &o, &r), x || y);
        prop_assert_eq!(eval(&b.clone().and(a.clone()), &o, &r), x && y);
        prop_assert_eq!(eval(&b.or(a), &o, &r), x || y);
    }

    #[test]
    fn a_term_holds_exactly_when_some_single_item_report_matches(
        t in term(), o in options(), r in report(),
    ) {
        let e = Expr::from(t);
        let any_item = r.items.iter().any(|item| {
            eval(&e, &o, &Report { items: vec![item.clone()], ..Report::default() })
        });
        prop_assert_eq!(eval(&e, &o, &r), any_item);
    }

    #[test]
    fn slop_only_widens(e in term(), r in report(), host_in_url in any::<bool>(), slop in 0u32..3) {
        // A term (not under `not`) that matches with some slop matches with more.
        let e = Expr::from(e);
        let o = MatchOptions::default().with_slop(slop).with_host_in_url(host_in_url);
        if eval(&e, &o, &r) {
            prop_assert!(eval(&e, &o.with_slop(slop + 1), &r));
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(
        ty in "[A-Za-z0-9_.-]{1,12}",
        known in family().prop_flat_map(|f| prop::sample::select(f.types)),
        use_known in any::<bool>(),
        context in prop::option::of(".{0,6}"),
        value in ".{0,24}",
        keyword in any::<bool>(),
        prefix in any::<bool>(),
        items in prop::collection::vec((".{0,12}", ".{0,6}", ".{0,40}"), 0..5),
        o in options(),
    ) {
        let ty = if use_known { known.to_owned() } else { ty };
        let op = if keyword { Op::Keyword } else { Op::Match };
        let mut t = Term::try_new(&ty, op, value).expect("valid type").with_prefix(prefix);
        if let Some(c) = context {
            t = t.with_context(c);
        }
        let report = Report {
            items: items
                .into_iter()
                .map(|(ty, ctx, value)| {
                    // About half of the items get the term's type and context, so that they
                    // are tested.
                    let ty = if ty.len() % 2 == 0 { t.ty().to_uppercase() } else { ty };
                    let ctx = match t.context() {
                        Some(c) if ctx.len() % 2 == 0 => c.to_owned(),
                        _ => ctx,
                    };
                    Item::new(ty, ctx, value)
                })
                .collect(),
            ..Report::default()
        };
        let e = Expr::from(t);
        let _ = eval(&e, &o, &report);
        let _ = eval(&!e, &o, &report);
    }
}
