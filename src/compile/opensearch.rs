//! The OpenSearch backend: a `_search` body over a `reports` index whose items are `nested`.
//!
//! A term is one `nested` query on `items`, so type, context and value are tested on the same
//! item; `not` is a `must_not` outside the `nested` query ("no item matches"). The index's
//! analysis does the evaluator's lowercasing (a `mapping` character filter generated from its
//! table, not Lucene's own lowercasing) and word splitting (a `pattern` tokenizer on the
//! evaluator's separator class); phrases are ordered `span_near` queries, whose slop counts the
//! extra positions in total, as the evaluator does.

use serde_json::{Value, json};

use super::unicode::{lowering, word_class};
use super::{Backend, CompileError, CompileOptions, Lowered, Target, lower};
use crate::ast::Expr;
use crate::eval::{HostMode, HostPattern, Phrase, Select, Test};

struct Dsl {
    slop: u32,
}

fn field(name: &str) -> String {
    format!("items.{name}")
}

fn term_query(f: &str, value: &str) -> Value {
    json!({ "term": { field(f): { "value": value } } })
}

fn prefix_query(f: &str, value: &str) -> Value {
    json!({ "prefix": { field(f): { "value": value } } })
}

fn wildcard_query(f: &str, pattern: String) -> Value {
    json!({ "wildcard": { field(f): { "value": pattern } } })
}

fn any_of(queries: Vec<Value>) -> Value {
    if queries.len() == 1 {
        return queries.into_iter().next().unwrap_or(Value::Null);
    }
    json!({ "bool": { "should": queries, "minimum_should_match": 1 } })
}

/// `s` with the wildcard query's special characters escaped.
fn wildcard_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn phrase(p: &Phrase, slop: u32) -> Value {
    let f = "value.words";
    let k = p.words.len();
    if k == 1 {
        return if p.prefix {
            prefix_query(f, &p.words[0])
        } else {
            term_query(f, &p.words[0])
        };
    }
    let clauses: Vec<Value> = p
        .words
        .iter()
        .enumerate()
        .map(|(n, w)| {
            if p.prefix && n + 1 == k {
                json!({ "span_multi": { "match": { "prefix": { field(f): { "value": &**w } } } } })
            } else {
                json!({ "span_term": { field(f): { "value": &**w } } })
            }
        })
        .collect();
    json!({ "span_near": { "clauses": clauses, "slop": slop, "in_order": true } })
}

/// A host pattern on `value.lower` (the value lowercased, a trailing dot kept): the evaluator
/// removes one trailing dot from the item's host first, so each test allows for one.
fn host(term: &Lowered<'_>, p: &HostPattern) -> Result<Value, CompileError> {
    let f = "value.lower";
    let q = &*p.host;
    let w = wildcard_literal(q);
    // The item's host without one trailing dot is `x`: the lowercased value is `x.`, or `x`
    // itself when `x` does not end in a dot (a value that ends in one loses it).
    let stripped_is = |x: &str, test: &dyn Fn(&str) -> Value| -> Vec<Value> {
        if x.ends_with('.') {
            vec![test(&format!("{x}."))]
        } else {
            vec![test(x), test(&format!("{x}."))]
        }
    };
    Ok(match (p.mode, p.prefix) {
        (HostMode::Exact, false) => any_of(stripped_is(q, &|x| term_query(f, x))),
        // The host without its trailing dot starts with `q`: when `q` ends with a dot, the host
        // `q` itself loses it.
        (HostMode::Exact, true) if q.ends_with('.') => wildcard_query(f, format!("{w}?*")),
        (HostMode::Exact, true) => prefix_query(f, q),
        (HostMode::Suffix, false) if q.starts_with('.') => {
            any_of(stripped_is(&w, &|x| wildcard_query(f, format!("*{x}"))))
        }
        (HostMode::Suffix, false) => {
            let mut either = stripped_is(q, &|x| term_query(f, x));
            either.extend(stripped_is(&w, &|x| wildcard_query(f, format!("*.{x}"))));
            any_of(either)
        }
        (HostMode::Suffix, true) if q.ends_with('.') => {
            return Err(term.unsupported(Target::OpenSearch, "a host prefix ending in a dot"));
        }
        (HostMode::Suffix, true) if q.starts_with('.') => wildcard_query(f, format!("*{w}*")),
        (HostMode::Suffix, true) => any_of(vec![
            prefix_query(f, q),
            wildcard_query(f, format!("*.{w}*")),
        ]),
    })
}

/// An address as the rules read one (IPv4 or IPv6, as Rust parses them), in Lucene's regular
/// expression syntax: the SQL schemas' expression without its non-capturing groups.
fn lucene_address() -> String {
    format!("{}|{}", super::sql::IPV4, super::sql::ipv6()).replace("(?:", "(")
}
/// A block as OpenSearch reads one: an IPv4-mapped block as its IPv4 block.
fn opensearch_block(net: &ipnet::IpNet) -> String {
    if let ipnet::IpNet::V6(v6) = net
        && let (Some(v4), Some(len)) = (
            v6.network().to_ipv4_mapped(),
            v6.prefix_len().checked_sub(96),
        )
        && let Ok(block) = ipnet::Ipv4Net::new(v4, len)
    {
        return block.to_string();
    }
    net.to_string()
}

/// A number's text with any leading zeros, as a Lucene regular expression on the raw value.
fn number(head: &str, n: u64) -> Value {
    let re = match n {
        0 => format!("{head}0+"),
        n => format!("{head}0*{n}"),
    };
    json!({ "regexp": { field("value"): { "value": re } } })
}

impl Backend for Dsl {
    type Out = Value;

    fn term(&mut self, term: &Lowered<'_>) -> Result<Value, CompileError> {
        let plan = &term.plan;
        let test = match &plan.test {
            Test::Never => return Ok(json!({ "match_none": {} })),
            Test::Text(p) if p.words.len() > 1 && i32::try_from(self.slop).is_err() => {
                return Err(term.unsupported(Target::OpenSearch, "a slop over 2,147,483,647"));
            }
            Test::Text(p) => phrase(p, self.slop),
            Test::Keyword {
                value,
                prefix: false,
            } => term_query("value.lower", value),
            Test::Keyword {
                value,
                prefix: true,
            } => prefix_query("value.lower", value),
            Test::Context {
                value,
                prefix: false,
            } => term_query("context", value),
            Test::Context {
                value,
                prefix: true,
            } => prefix_query("context", value),
            Test::ContextIgnoringCase { .. } => {
                return Err(
                    term.unsupported(Target::OpenSearch, "a context compared ignoring case")
                );
            }
            Test::Ip(net) => {
                // OpenSearch keeps an IPv4-mapped address as the IPv4 address and takes no
                // mapped block: such a block is asked for as the IPv4 block it is. Its address
                // parser takes more than the rules do (a `%zone`, long groups, digits outside
                // ASCII), so the value must also be written as the rules read an address.
                json!({ "bool": { "filter": [
                    term_query("value.ip", &opensearch_block(net)),
                    json!({ "regexp": { field("value"): {
                        "value": lucene_address(),
                        // The address's automaton is larger than the default bound allows.
                        "max_determinized_states": 100_000,
                    } } }),
                ] } })
            }
            Test::Port(port) => number("", u64::from(*port)),
            Test::Asn(asn) => number("([aA][sS])?", u64::from(*asn)),
            Test::Host(pattern) => {
                if matches!(plan.select, Select::HostOrUrl) {
                    return Err(
                        term.unsupported(Target::OpenSearch, "the host of a URL (host_in_url)")
                    );
                }
                host(term, pattern)?
            }
            Test::Url { .. } => {
                return Err(term.unsupported(Target::OpenSearch, "the host of a URL (url:)"));
            }
        };
        let mut filter = Vec::new();
        if let Select::Type(t) = &plan.select {
            filter.push(term_query("type", &t.to_ascii_lowercase()));
        }
        if let Some(c) = &plan.context {
            filter.push(term_query("context", c));
        }
        filter.push(test);
        Ok(json!({ "nested": { "path": "items", "query": { "bool": { "filter": filter } } } }))
    }

    fn not(&mut self, operand: Value) -> Value {
        json!({ "bool": { "must_not": [operand] } })
    }

    fn and(&mut self, operands: Vec<Value>) -> Value {
        json!({ "bool": { "filter": operands } })
    }

    fn or(&mut self, operands: Vec<Value>) -> Value {
        json!({ "bool": { "should": operands, "minimum_should_match": 1 } })
    }
}

pub(crate) fn compile(expr: &Expr, options: &CompileOptions) -> Result<String, CompileError> {
    let mut backend = Dsl {
        slop: options.matching.slop,
    };
    let condition = lower(expr, &mut backend, &options.matching)?;
    let mut filter = vec![condition];
    if options.from.is_some() || options.to.is_some() {
        let mut range = serde_json::Map::new();
        if let Some(from) = options.from {
            range.insert("gte".into(), from.to_string().into());
        }
        if let Some(to) = options.to {
            range.insert("lte".into(), to.to_string().into());
        }
        filter.push(json!({ "range": { "date": range } }));
    }
    let body = json!({
        "query": { "bool": { "filter": filter } },
        "sort": [{ "date": "desc" }, { "id": "asc" }],
        // The first 10,000 (OpenSearch's default result window), counted exactly; past them,
        // the sort (newest first, then by the unique id) pages with `search_after`.
        "size": 10_000,
        "track_total_hits": true,
    });
    Ok(serde_json::to_string_pretty(&body).unwrap_or_default())
}

/// A `mapping` character filter's rule for one character: Java escapes for the characters its
/// rule syntax reads.
fn mapping_rule(from: char, to: &str) -> String {
    let esc = |s: &str| {
        s.chars()
            .map(|c| format!("\\u{:04x}", u32::from(c)))
            .collect::<String>()
    };
    let from_s = from.to_string();
    // Characters outside the Basic Multilingual Plane are written as themselves.
    let side = |s: &str| {
        if s.chars().all(|c| u32::from(c) <= 0xFFFF) {
            esc(s)
        } else {
            s.to_owned()
        }
    };
    format!("{} => {}", side(&from_s), side(to))
}

pub(crate) fn schema() -> String {
    let table = lowering();
    let mut rules: Vec<String> = table
        .from
        .chars()
        .zip(table.to.chars())
        .map(|(f, t)| mapping_rule(f, &t.to_string()))
        .collect();
    rules.extend(table.expansions.iter().map(|(c, e)| mapping_rule(*c, e)));
    let ascii: Vec<String> = ('A'..='Z')
        .map(|c| mapping_rule(c, &c.to_ascii_lowercase().to_string()))
        .collect();
    let body = json!({
        "settings": {
            "analysis": {
                "char_filter": {
                    "driftql_lowercase": { "type": "mapping", "mappings": rules },
                    "driftql_ascii_lowercase": { "type": "mapping", "mappings": ascii },
                },
                "normalizer": {
                    "driftql_lowercase": { "type": "custom", "char_filter": ["driftql_lowercase"] },
                    "driftql_type": { "type": "custom", "char_filter": ["driftql_ascii_lowercase"] },
                },
                "tokenizer": {
                    "driftql_words": { "type": "pattern", "pattern": format!("{}+", word_class(true)) },
                },
                "analyzer": {
                    "driftql_words": {
                        "type": "custom",
                        "char_filter": ["driftql_lowercase"],
                        "tokenizer": "driftql_words",
                    },
                },
            },
        },
        "mappings": {
            "properties": {
                "date": { "type": "date", "format": "yyyy-MM-dd" },
                "id": { "type": "keyword" },
                "items": {
                    "type": "nested",
                    "properties": {
                        "type": { "type": "keyword", "normalizer": "driftql_type" },
                        "context": { "type": "keyword" },
                        "is_metadata": { "type": "boolean" },
                        "value": {
                            "type": "keyword",
                            "ignore_above": 8191,
                            "fields": {
                                "lower": { "type": "keyword", "normalizer": "driftql_lowercase", "ignore_above": 8191 },
                                "words": { "type": "text", "analyzer": "driftql_words" },
                                "ip": { "type": "ip", "ignore_malformed": true },
                            },
                        },
                    },
                },
            },
        },
    });
    serde_json::to_string_pretty(&body).unwrap_or_default()
}
