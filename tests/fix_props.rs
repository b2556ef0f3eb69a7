//! Properties of `Query::fix`: nothing fixable is left, and fixing twice changes nothing.

use proptest::prelude::*;

/// Terms chosen to trip every lint, and to sit next to each other in awkward ways.
fn term() -> impl Strategy<Value = String> {
    let ty = prop::sample::select(vec![
        "ip",
        "IP",
        "host",
        "url",
        "port-tcp",
        "port-udp",
        "geo-country",
        "geo-countr",
        "protocol",
        "protocl",
        "http-header-name",
        "http-header",
        "title",
        "tilte",
        "search-term",
        "banana",
        "hots",
    ]);
    let context = prop::sample::select(vec!["", ";", ";Server", ";\"a b\"", ";cert-dns-name"]);
    let op = prop::sample::select(vec![":", "="]);
    let value = prop::sample::select(vec![
        "GB",
        "gb",
        "G1",
        "MODBUS",
        "modbus",
        "Ssh",
        "8.8.8.8",
        "1.2.3.999",
        "10.0.0.0/8",
        "2001:db8::/33",
        "443",
        "99999",
        "\"\"",
        "\"a b\"",
        "https://x.com/a",
        "example.com",
    ]);
    let prefix = prop::sample::select(vec!["", "*"]);
    (ty, context, op, value, prefix).prop_map(|(t, c, o, v, p)| format!("{t}{c}{o}{v}{p}"))
}

fn expression() -> impl Strategy<Value = String> {
    let leaf = (0..4usize, term()).prop_map(|(nots, t)| format!("{}{t}", "not ".repeat(nots)));
    leaf.prop_recursive(3, 12, 4, |inner| {
        (
            prop::collection::vec(inner, 2..4),
            prop::sample::select(vec![" and ", " or ", " AND ", " not "]),
            0..3usize,
        )
            .prop_map(|(parts, op, nots)| format!("{}({})", "not ".repeat(nots), parts.join(op)))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fix_leaves_nothing_fixable_and_is_idempotent(src in expression()) {
        let q = driftql::parse(&src).expect("the generator writes valid syntax");
        let fixed = q.fix();
        let left: Vec<_> = fixed.validate().into_iter().filter(|d| d.fix.is_some()).collect();
        prop_assert!(left.is_empty(), "{src} fixed to {fixed}, still fixable: {left:?}");
        // The fixed query is what its own source says.
        prop_assert_eq!(&driftql::parse(fixed.source()).unwrap(), &fixed);
        prop_assert_eq!(fixed.fix(), fixed.clone());
    }
}
