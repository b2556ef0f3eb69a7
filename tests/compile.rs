//! `driftql::compile` without the engines: the OpenSearch DSL (snapshots, and a structural check
//! of every query it writes), values that never change a query's structure (SQL and JSON,
//! property-tested with arbitrary text), and the rules a target refuses by name.
//!
//! OpenSearch cannot run here; the SQL targets are proven on their engines in tests/engines.rs.
#![cfg(feature = "compile")]

use driftql::compile::{CompileError, CompileOptions, Target, compile, schema};
use driftql::{Expr, MatchOptions, Op, Query, Term};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

fn query(s: &str) -> Query {
    driftql::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn opensearch(s: &str, options: &CompileOptions) -> Value {
    let body = compile(&query(s), Target::OpenSearch, options).unwrap();
    serde_json::from_str(&body).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The structure of the DSL

/// The item fields a query inside `nested` may read.
const ITEM_FIELDS: &[&str] = &[
    "items.type",
    "items.context",
    "items.value",
    "items.value.lower",
    "items.value.words",
    "items.value.ip",
];

/// Checks that `q` is a leaf test of one item: only the item's fields, no `nested` and no
/// `must_not` inside (a `not` belongs outside the `nested` query).
fn check_item_query(q: &Value, path: &str) {
    let obj = q
        .as_object()
        .unwrap_or_else(|| panic!("{path}: not an object"));
    assert_eq!(obj.len(), 1, "{path}: one query per object: {q}");
    let (kind, body) = obj.iter().next().unwrap();
    match kind.as_str() {
        "bool" => {
            let b = body.as_object().unwrap();
            for (k, v) in b {
                match k.as_str() {
                    "filter" | "should" => {
                        for (n, c) in v.as_array().unwrap().iter().enumerate() {
                            check_item_query(c, &format!("{path}.{k}[{n}]"));
                        }
                    }
                    "minimum_should_match" => assert_eq!(v, 1),
                    other => panic!("{path}: `{other}` inside nested: {q}"),
                }
            }
        }
        "term" | "prefix" | "wildcard" | "regexp" => {
            let f = body.as_object().unwrap();
            assert_eq!(f.len(), 1);
            let (field, v) = f.iter().next().unwrap();
            assert!(
                ITEM_FIELDS.contains(&field.as_str()),
                "{path}: field {field}"
            );
            assert!(v["value"].is_string(), "{path}: {q}");
        }
        "span_near" => {
            assert_eq!(body["in_order"], true, "{path}: phrases are ordered");
            assert!(body["slop"].is_u64());
            let clauses = body["clauses"].as_array().unwrap();
            assert!(clauses.len() >= 2);
            for c in clauses {
                let field = c
                    .get("span_term")
                    .or_else(|| c["span_multi"]["match"].get("prefix"))
                    .unwrap_or_else(|| panic!("{path}: span clause {c}"));
                assert!(field.get("items.value.words").is_some(), "{path}: {c}");
            }
        }
        other => panic!("{path}: `{other}` inside nested"),
    }
}

/// Checks that `json` is the lowering of `expr`: a term is a `nested` query on `items` (or
/// `match_none`), `not` a `must_not` around its operand, `and` a `filter`, `or` a `should` of
/// at least one.
fn check_expr(expr: &Expr, json: &Value) {
    match expr {
        Expr::Term(_) => {
            if json.get("match_none").is_some() {
                return;
            }
            let nested = &json["nested"];
            assert_eq!(
                nested["path"], "items",
                "a term is one nested query: {json}"
            );
            assert_eq!(nested.as_object().unwrap().len(), 2);
            check_item_query(&nested["query"], "nested");
        }
        Expr::Not { operand, .. } => {
            let not = json["bool"]["must_not"]
                .as_array()
                .expect("not is must_not");
            assert_eq!(json["bool"].as_object().unwrap().len(), 1);
            assert_eq!(not.len(), 1);
            check_expr(operand, &not[0]);
        }
        Expr::And(g) => {
            let parts = json["bool"]["filter"].as_array().expect("and is filter");
            assert_eq!(parts.len(), g.len());
            g.iter().zip(parts).for_each(|(e, j)| check_expr(e, j));
        }
        Expr::Or(g) => {
            let parts = json["bool"]["should"].as_array().expect("or is should");
            assert_eq!(json["bool"]["minimum_should_match"], 1);
            assert_eq!(parts.len(), g.len());
            g.iter().zip(parts).for_each(|(e, j)| check_expr(e, j));
        }
    }
}

fn check_body(q: &Query, body: &Value) {
    let filter = body["query"]["bool"]["filter"].as_array().unwrap();
    check_expr(q.expr(), &filter[0]);
    assert_eq!(
        body["sort"],
        serde_json::json!([{"date": "desc"}, {"id": "asc"}])
    );
}

/// The rules the OpenSearch target refuses, by name.
const OPENSEARCH_REFUSES: &[&str] = &[
    "a slop over 2,147,483,647",
    "the host of a URL (url:)",
    "the host of a URL (host_in_url)",
    "a host prefix ending in a dot",
];

fn registry_term() -> impl Strategy<Value = Term> {
    let types: Vec<&'static str> = driftql::types::TYPES
        .iter()
        .map(|t| t.name)
        .chain(["foo", "TITLE"])
        .collect();
    let values = prop_oneof![
        "[a-z]{1,6}( [a-z]{1,6}){0,2}",
        prop::sample::select(vec![
            "10.0.0.0/8",
            "2001:db8::/32",
            "443",
            "0443",
            "AS15169",
            "example.com",
            ".example.com",
            "example.com.",
            "https://example.com/x",
            "GB",
            "http",
            "Server",
            "a*b?c\\d",
            "",
        ])
        .prop_map(String::from),
        ".{0,8}",
    ];
    (
        prop::sample::select(types),
        any::<bool>(),
        values,
        proptest::option::of("[a-z]{0,4}"),
        any::<bool>(),
    )
        .prop_map(|(ty, keyword, value, context, prefix)| {
            let op = if keyword { Op::Keyword } else { Op::Match };
            let t = Term::new(ty, op, value).with_prefix(prefix);
            match context {
                Some(c) => t.with_context(c),
                None => t,
            }
        })
}

fn registry_tree() -> impl Strategy<Value = Expr> {
    registry_term()
        .prop_map(Expr::from)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 2..4).prop_map(|v| Expr::all(v).unwrap()),
                vec(inner.clone(), 2..4).prop_map(|v| Expr::any(v).unwrap()),
                inner.prop_map(|e| !e),
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Every query the DSL backend writes has the structure of its expression, or is refused
    /// for one of the named rules.
    #[test]
    fn every_opensearch_query_has_the_structure_of_its_expression(
        tree in registry_tree(),
        slop in 0u32..4,
        host_in_url in any::<bool>(),
    ) {
        let q = Query::try_from(tree).unwrap();
        let options = CompileOptions::default()
            .with_matching(MatchOptions::default().with_slop(slop).with_host_in_url(host_in_url));
        match compile(&q, Target::OpenSearch, &options) {
            Ok(body) => check_body(&q, &serde_json::from_str(&body).unwrap()),
            Err(CompileError::Unsupported { rule, target, .. }) => {
                prop_assert_eq!(target, Target::OpenSearch);
                prop_assert!(OPENSEARCH_REFUSES.contains(&rule), "{}", rule);
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
        // The SQL targets express every rule.
        for target in [Target::ClickHouse, Target::DuckDb] {
            prop_assert!(compile(&q, target, &options).is_ok());
        }
    }
}

#[test]
fn the_conformance_cases_compile_to_well_formed_dsl() {
    let cases: toml::Value =
        toml::from_str(&std::fs::read_to_string("../shared/spec/conformance/public.toml").unwrap())
            .unwrap();
    let mut checked = 0;
    for case in cases["case"].as_array().unwrap() {
        let Ok(q) = driftql::parse(case["input"].as_str().unwrap()) else {
            continue;
        };
        match compile(&q, Target::OpenSearch, &CompileOptions::default()) {
            Ok(body) => {
                check_body(&q, &serde_json::from_str(&body).unwrap());
                checked += 1;
            }
            Err(CompileError::Unsupported { rule, .. }) => {
                assert!(OPENSEARCH_REFUSES.contains(&rule), "{rule}");
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(checked > 20, "{checked}");
}

/// One query per rule the backends lower differently, with the options it is compiled with.
fn rule_cases() -> Vec<(&'static str, &'static str, MatchOptions)> {
    vec![
        ("text", r#"title:"Hello World""#, MatchOptions::default()),
        (
            "phrase-slop-prefix",
            r#"entity:"university lon"*"#,
            MatchOptions::default().with_slop(2),
        ),
        ("keyword", "product-tag=Hikvision*", MatchOptions::default()),
        (
            "context",
            "http-header;Server:nginx",
            MatchOptions::default(),
        ),
        (
            "pseudo-types",
            "protocol=modbus or http-header-name=X-Clacks*",
            MatchOptions::default(),
        ),
        ("search-term", "search-term:login", MatchOptions::default()),
        (
            "ip",
            "ip:10.1.2.3/8 or ip:2001:db8::/32",
            MatchOptions::default(),
        ),
        (
            "port-asn",
            "port-tcp:443 and asn:AS15169",
            MatchOptions::default(),
        ),
        (
            "host",
            "host:example.com or host:.example.org or host=www.example.net",
            MatchOptions::default(),
        ),
        (
            "host-prefix",
            "host:google* and host=mail.*",
            MatchOptions::default(),
        ),
        (
            "host-dot-prefix",
            "host:.goog* or host=www*",
            MatchOptions::default(),
        ),
        (
            "not",
            "geo-country=GB and not (port-tcp:22 or port-tcp:2222)",
            MatchOptions::default(),
        ),
        (
            "host-trailing-dots",
            "host=a.com.. or host:.com.. or host:b.org..",
            MatchOptions::default(),
        ),
        (
            "ip-mapped",
            "ip:::ffff:1.2.3.0/120 or ip:::ffff:0:0/96 or ip:::/0",
            MatchOptions::default(),
        ),
        (
            "never",
            "ip:banana or title:\"--\"",
            MatchOptions::default(),
        ),
        (
            "url-host-in-url",
            "url:example.com or host:example.com",
            MatchOptions::default().with_host_in_url(true),
        ),
    ]
}

/// The DSL of each rule, as read and accepted (tests/snapshots/compile__opensearch@*.snap).
#[test]
fn opensearch_snapshots() {
    for (name, q, m) in rule_cases() {
        if name == "url-host-in-url" {
            continue; // refused by OpenSearch (see each_target_names_the_rule_it_cannot_express)
        }
        let options = CompileOptions::default().with_matching(m);
        let body = compile(&query(q), Target::OpenSearch, &options).unwrap();
        check_body(&query(q), &serde_json::from_str(&body).unwrap());
        insta::with_settings!({ snapshot_suffix => name, description => q, omit_expression => true }, {
            insta::assert_snapshot!("opensearch", body);
        });
    }
    let dated = CompileOptions::default().with_dates(
        Some("2024-01-01".parse().unwrap()),
        Some("2024-12-31".parse().unwrap()),
    );
    let body = opensearch("port-tcp:443", &dated);
    assert_eq!(
        body["query"]["bool"]["filter"][1],
        serde_json::json!({"range": {"date": {"gte": "2024-01-01", "lte": "2024-12-31"}}})
    );
    // Either end alone bounds the dates too; neither adds no range.
    let date = |s: &str| Some(s.parse().unwrap());
    let from = opensearch(
        "port-tcp:443",
        &CompileOptions::default().with_dates(date("2024-01-01"), None),
    );
    assert_eq!(
        from["query"]["bool"]["filter"][1],
        serde_json::json!({"range": {"date": {"gte": "2024-01-01"}}})
    );
    let to = opensearch(
        "port-tcp:443",
        &CompileOptions::default().with_dates(None, date("2024-12-31")),
    );
    assert_eq!(
        to["query"]["bool"]["filter"][1],
        serde_json::json!({"range": {"date": {"lte": "2024-12-31"}}})
    );
    let open = opensearch("port-tcp:443", &CompileOptions::default());
    assert_eq!(open["query"]["bool"]["filter"].as_array().unwrap().len(), 1);
}

/// The SQL of each rule for both dialects, as read and accepted
/// (tests/snapshots/compile__clickhouse@*.snap, compile__duckdb@*.snap); what it means is
/// proven against the engines by tests/engines.rs.
#[test]
fn sql_snapshots() {
    for (name, q, m) in rule_cases() {
        let options = CompileOptions::default().with_matching(m);
        for (target, snapshot) in [
            (Target::ClickHouse, "clickhouse"),
            (Target::DuckDb, "duckdb"),
        ] {
            let sql = compile(&query(q), target, &options).unwrap();
            insta::with_settings!({ snapshot_suffix => name, description => q, omit_expression => true }, {
                insta::assert_snapshot!(snapshot, sql);
            });
        }
    }
    let dated = CompileOptions::default().with_dates(
        Some("2024-01-01".parse().unwrap()),
        Some("2024-12-31".parse().unwrap()),
    );
    for (target, snapshot) in [
        (Target::ClickHouse, "clickhouse"),
        (Target::DuckDb, "duckdb"),
    ] {
        let sql = compile(&query("port-tcp:443"), target, &dated).unwrap();
        insta::with_settings!({ snapshot_suffix => "dates", description => "port-tcp:443 from 2024-01-01 to 2024-12-31", omit_expression => true }, {
            insta::assert_snapshot!(snapshot, sql);
        });
    }
}

#[test]
fn each_target_names_the_rule_it_cannot_express() {
    let refused = [
        (
            "url:example.com",
            MatchOptions::default(),
            "the host of a URL (url:)",
        ),
        (
            "host:example.com",
            MatchOptions::default().with_host_in_url(true),
            "the host of a URL (host_in_url)",
        ),
        (
            "host:example.*",
            MatchOptions::default(),
            "a host prefix ending in a dot",
        ),
        (
            r#"title:"a b""#,
            MatchOptions::default().with_slop(1 << 31),
            "a slop over 2,147,483,647",
        ),
    ];
    for (q, m, rule) in refused {
        let err = compile(
            &query(q),
            Target::OpenSearch,
            &CompileOptions::default().with_matching(m),
        )
        .unwrap_err();
        let CompileError::Unsupported {
            rule: got, term, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!((*got, term.as_str()), (rule, query(q).canonical().as_str()));
        assert!(
            err.to_string().starts_with("opensearch cannot express "),
            "{err}"
        );
        for sql in [Target::ClickHouse, Target::DuckDb] {
            assert!(compile(&query(q), sql, &CompileOptions::default().with_matching(m)).is_ok());
        }
    }
    // What is next to a refused rule compiles: one word needs no slop, a host prefix that
    // does not end in a dot is a prefix.
    let huge = CompileOptions::default().with_matching(MatchOptions::default().with_slop(u32::MAX));
    assert!(compile(&query("title:a"), Target::OpenSearch, &huge).is_ok());
    assert!(
        compile(
            &query("host:example*"),
            Target::OpenSearch,
            &CompileOptions::default()
        )
        .is_ok()
    );
}

#[test]
fn the_opensearch_mapping_nests_items_and_analyses_values_as_the_evaluator() {
    let mapping: Value = serde_json::from_str(&schema(Target::OpenSearch)).unwrap();
    let items = &mapping["mappings"]["properties"]["items"];
    assert_eq!(items["type"], "nested");
    let value = &items["properties"]["value"];
    assert_eq!(value["type"], "keyword");
    assert_eq!(value["fields"]["words"]["type"], "text");
    assert_eq!(value["fields"]["ip"]["type"], "ip");
    assert_eq!(value["fields"]["lower"]["normalizer"], "driftql_lowercase");
    let analysis = &mapping["settings"]["analysis"];
    let rules = analysis["char_filter"]["driftql_lowercase"]["mappings"]
        .as_array()
        .unwrap();
    // One rule per character that lowercasing changes, the final sigma and `İ` among them.
    assert!(rules.len() > 1000, "{}", rules.len());
    assert!(rules.iter().any(|r| r == "\\u03c2 => \\u03c3"));
    assert!(rules.iter().any(|r| r == "\\u0130 => \\u0069\\u0307"));
    assert!(rules.iter().any(|r| r == "\\u0041 => \\u0061"));
    let pattern = analysis["tokenizer"]["driftql_words"]["pattern"]
        .as_str()
        .unwrap();
    assert!(
        pattern.starts_with("[^\\x{30}-\\x{39}"),
        "{}",
        &pattern[..20]
    );
}

// ---------------------------------------------------------------------------------------------
// Values never change a query's structure

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Lit(String),
    Other(String),
}

/// The tokens of a query in `target`'s SQL: string literals decoded (a DuckDB literal with
/// control characters is a parenthesised `'…' || chr(n) || '…'`, one literal), and the rest.
fn sql_tokens(sql: &str, target: Target) -> Vec<Tok> {
    let b: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                let c = b[i];
                match (target, c) {
                    (Target::ClickHouse, '\\') => {
                        match b[i + 1] {
                            'x' => {
                                let hex: String = b[i + 2..i + 4].iter().collect();
                                s.push(char::from(u8::from_str_radix(&hex, 16).unwrap()));
                                i += 4;
                            }
                            e => {
                                s.push(e);
                                i += 2;
                            }
                        }
                        continue;
                    }
                    (_, '\'') if target == Target::DuckDb && b.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                        continue;
                    }
                    (_, '\'') => break,
                    _ => s.push(c),
                }
                i += 1;
            }
            i += 1;
            out.push(Tok::Lit(s));
        } else if target == Target::DuckDb
            && sql[sql.char_indices().nth(i).unwrap().0..].starts_with("chr(")
        {
            let rest: String = b[i + 4..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            out.push(Tok::Lit(
                char::from_u32(rest.parse().unwrap()).unwrap().to_string(),
            ));
            i += 4 + rest.len() + 1;
        } else if c.is_alphanumeric() || c == '_' {
            let w: String = b[i..]
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            i += w.chars().count();
            out.push(Tok::Other(w));
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '|' && b.get(i + 1) == Some(&'|') {
            out.push(Tok::Other("||".into()));
            i += 2;
        } else {
            out.push(Tok::Other(c.to_string()));
            i += 1;
        }
    }
    if target == Target::ClickHouse {
        // A tuple's element names are part of the structure.
        for n in 4..out.len() {
            if out[n - 4] == Tok::Other("tupleElement".into())
                && let Tok::Lit(name) = &out[n]
            {
                out[n] = Tok::Other(name.clone());
            }
        }
    }
    if target == Target::DuckDb {
        // Fold `( lit || lit ... )` into one literal.
        let mut folded: Vec<Tok> = Vec::new();
        let mut n = 0;
        while n < out.len() {
            if out[n] == Tok::Other("(".into()) {
                let mut m = n + 1;
                let mut s = String::new();
                let mut pieces = 0;
                while let Some(Tok::Lit(p)) = out.get(m) {
                    s.push_str(p);
                    pieces += 1;
                    if out.get(m + 1) == Some(&Tok::Other("||".into())) {
                        m += 2;
                    } else {
                        m += 1;
                        break;
                    }
                }
                if pieces > 1 && out.get(m) == Some(&Tok::Other(")".into())) {
                    folded.push(Tok::Lit(s));
                    n = m + 1;
                    continue;
                }
            }
            folded.push(out[n].clone());
            n += 1;
        }
        out = folded;
    }
    out
}

fn skeleton(tokens: &[Tok]) -> Vec<String> {
    tokens
        .iter()
        .map(|t| match t {
            Tok::Lit(_) => "?".to_owned(),
            Tok::Other(s) => s.clone(),
        })
        .collect()
}

fn literals(tokens: &[Tok]) -> Vec<String> {
    tokens
        .iter()
        .filter_map(|t| match t {
            Tok::Lit(s) => Some(s.clone()),
            Tok::Other(_) => None,
        })
        .collect()
}

fn sql(term: Term, target: Target) -> Vec<Tok> {
    sql_with_slop(term, target, 0)
}

fn sql_with_slop(term: Term, target: Target, slop: u32) -> Vec<Tok> {
    let q = Query::try_from(Expr::from(term)).unwrap();
    let options = CompileOptions::default().with_matching(MatchOptions::default().with_slop(slop));
    sql_tokens(&compile(&q, target, &options).unwrap(), target)
}

/// The lowercase form the evaluator compares: `char::to_lowercase`, the final sigma as `σ`.
fn lower(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

/// Text with the characters that quote, escape and end things in SQL and JSON.
fn hostile() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            3 => prop::sample::select(vec![
                "'", "''", "\\", "\\'", "\"", "\n", "\0", "\r", "\t", "\u{7f}", "--", "/*", "*/",
                ";", "%", "_", "*", "?", "(", ")", "||", "chr(39)", "\\x27", "') OR true --",
                "İ", "ς", "東", "🦀", " ", "$", "^",
            ])
            .prop_map(String::from),
            2 => "[a-zA-Z]{1,5}",
            1 => any::<char>().prop_map(String::from),
        ],
        0..8,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// A keyword value and a context are one literal each, holding exactly what the rules
    /// compare; the rest of the query is the same as for a plain value.
    #[test]
    fn keyword_values_and_contexts_are_literals(
        value in hostile(),
        context in hostile(),
        prefix in any::<bool>(),
    ) {
        for target in [Target::ClickHouse, Target::DuckDb] {
            let term = Term::new("title", Op::Keyword, value.clone()).with_prefix(prefix).with_context(context.clone());
            let plain = Term::new("title", Op::Keyword, "x").with_prefix(prefix).with_context("c");
            let got = sql(term, target);
            prop_assert_eq!(skeleton(&got), skeleton(&sql(plain, target)));
            prop_assert_eq!(literals(&got), vec!["title".to_owned(), context.clone(), lower(&value)]);
        }
        let term = Term::new("title", Op::Keyword, value.clone()).with_prefix(prefix).with_context(context.clone());
        let q = Query::try_from(Expr::from(term)).unwrap();
        let body: Value = serde_json::from_str(&compile(&q, Target::OpenSearch, &CompileOptions::default()).unwrap()).unwrap();
        let filter = &body["query"]["bool"]["filter"][0]["nested"]["query"]["bool"]["filter"];
        prop_assert_eq!(&filter[1]["term"]["items.context"]["value"], &Value::from(context));
        let key = if prefix { "prefix" } else { "term" };
        prop_assert_eq!(&filter[2][key]["items.value.lower"]["value"], &Value::from(lower(&value)));
    }

    /// Text values become words (letters and digits only) in literals and regular
    /// expressions; the structure depends only on how many words there are.
    #[test]
    fn text_values_change_only_literals(value in hostile(), prefix in any::<bool>()) {
        let words: Vec<String> = lower(&value)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect();
        prop_assume!(!words.is_empty());
        let plain = vec!["w"; words.len()].join(" ");
        for target in [Target::ClickHouse, Target::DuckDb] {
            for slop in [0, 2] {
                let got = sql_with_slop(Term::new("title", Op::Match, value.clone()).with_prefix(prefix), target, slop);
                let reference = sql_with_slop(Term::new("title", Op::Match, plain.clone()).with_prefix(prefix), target, slop);
                prop_assert_eq!(skeleton(&got), skeleton(&reference));
                // The words stand in the literals as they are (they hold no special character).
                let text = literals(&got).concat();
                prop_assert!(words.iter().all(|w| text.contains(w.as_str())));
            }
        }
    }

    /// Hosts and pseudo-type values too.
    #[test]
    fn hosts_and_pseudo_types_change_only_literals(value in hostile()) {
        let host = value.strip_suffix('.').unwrap_or(&value);
        prop_assume!(!host.is_empty());
        let plain = if host.starts_with('.') { ".a" } else { "a" };
        for target in [Target::ClickHouse, Target::DuckDb] {
            for ty in ["host", "protocol"] {
                let got = sql(Term::new(ty, Op::Match, value.clone()), target);
                let reference = sql(Term::new(ty, Op::Match, plain), target);
                prop_assert_eq!(skeleton(&got), skeleton(&reference));
            }
        }
    }
}

/// `Query::compile` is `compile` of that query, for every target.
#[test]
fn the_method_compiles_as_the_function() {
    let q = query("port-tcp:443 and not title:\"a b\"");
    let options = CompileOptions::default();
    for target in Target::ALL {
        assert_eq!(
            q.compile(target, &options).unwrap(),
            compile(&q, target, &options).unwrap(),
            "{target}"
        );
    }
}

/// Control characters in a value never reach the SQL text raw: it stays printable on a
/// terminal and in a log (ClickHouse writes them as `\xNN`, DuckDB as `chr(n)`).
#[test]
fn sql_text_holds_no_control_characters() {
    for value in ["a\nb", "tab\there", "nul\0", "esc\u{1b}[31m", "del\u{7f}"] {
        let term = Term::new("title", Op::Keyword, value);
        let q = Query::try_from(Expr::from(term)).unwrap();
        for target in [Target::ClickHouse, Target::DuckDb] {
            let sql = compile(&q, target, &CompileOptions::default()).unwrap();
            assert!(
                !sql.chars().any(|c| c.is_ascii_control()),
                "{target}: {sql:?}"
            );
        }
    }
}

/// The SQL schemas define the table and what each item's rules read, computed by the
/// evaluator's own lowercasing (a translate table, and replacements for the characters that
/// lowercase to more than one); tests/engines.rs loads them into the engines.
#[test]
fn the_sql_schemas_define_the_table_and_the_item_facts() {
    let ch = schema(Target::ClickHouse);
    let duck = schema(Target::DuckDb);
    for s in [&ch, &duck] {
        assert!(
            s.starts_with("-- The reports of a Driftnet export"),
            "{}",
            &s[..80]
        );
        assert!(s.contains("CREATE TABLE IF NOT EXISTS reports"));
        // 'İ' lowercases to two characters, 'Σ' to one: a replacement and the table.
        assert!(s.contains("'İ'") && s.contains('Σ') && s.contains('σ'));
    }
    for column in [
        "type_lower String",
        "value_lower String",
        "words Array(String)",
        "ip String",
        "host String",
        "url_host String",
    ] {
        assert!(ch.contains(column), "{column}");
    }
    assert!(
        ch.contains("MATERIALIZED arrayMap(")
            && ch.contains("translateUTF8(")
            && ch.contains("replaceAll(")
    );
    for def in [
        "MACRO driftql_lower(s)",
        "MACRO driftql_ip(s)",
        "MACRO driftql_url_host(s)",
        "MACRO driftql_load(path) AS TABLE",
        "words VARCHAR[]",
    ] {
        assert!(duck.contains(def), "{def}");
    }
    assert!(duck.contains("translate(") && duck.contains("replace("));
}
