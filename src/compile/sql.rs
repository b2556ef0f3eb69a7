//! The SQL backends: ClickHouse and DuckDB, one lowering with each dialect's spelling.

use std::fmt::Write;

use super::unicode::{lowering, word_class};
use super::{Backend, CompileError, CompileOptions, Lowered, Target, ip_range, lower};
use crate::ast::Expr;
use crate::eval::{HostMode, HostPattern, Phrase, Select, Test};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    ClickHouse,
    DuckDb,
}

/// A value an item offers a term, as a column of the schema.
#[derive(Clone, Copy)]
enum Field {
    /// The type, ASCII lowercased.
    Type,
    Context,
    Value,
    /// The value lowercased.
    Lower,
    /// The words of the lowercased value.
    Words,
    /// The value as an address: 32 hexadecimal digits (IPv4 mapped), or empty.
    Ip,
    /// The lowercased value without one trailing dot.
    Host,
    /// A URL's host, lowercased, without one trailing dot; empty when it has none.
    UrlHost,
}

/// An IPv4 address as Rust reads one: four decimal octets of at most 255, without leading zeros.
pub(super) const IPV4: &str = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])){3}";

/// A URL scheme and its `://`.
const SCHEME: &str = "^[A-Za-z][A-Za-z0-9+.-]*://";

/// An IPv6 address as Rust reads one: eight groups of one to four hexadecimal digits, the last
/// two possibly an IPv4 address, and `::` standing for at least one group of zeros.
pub(super) fn ipv6() -> String {
    let h = "[0-9A-Fa-f]{1,4}";
    let mut alternatives = vec![format!("(?:{h}:){{7}}{h}"), format!("(?:{h}:){{6}}{IPV4}")];
    for head in 0..=7usize {
        let room = 7 - head; // groups the tail may hold
        let head_part = if head == 0 {
            String::new()
        } else {
            format!("{h}(?::{h}){{{}}}", head - 1)
        };
        let tail = match room {
            0 => String::new(),
            1 => format!("(?:{h})?"),
            _ => format!(
                "(?:(?:{h}(?::{h}){{0,{}}})?|(?:{h}:){{0,{}}}{IPV4})",
                room - 1,
                room - 2
            ),
        };
        alternatives.push(format!("{head_part}::{tail}"));
    }
    alternatives.join("|")
}

impl Dialect {
    fn target(self) -> Target {
        match self {
            Dialect::ClickHouse => Target::ClickHouse,
            Dialect::DuckDb => Target::DuckDb,
        }
    }

    /// `s` as a string literal.
    fn string(self, s: &str) -> String {
        match self {
            Dialect::ClickHouse => {
                let mut out = String::with_capacity(s.len() + 2);
                out.push('\'');
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\'' => out.push_str("\\'"),
                        c if c.is_ascii_control() => {
                            let _ = write!(out, "\\x{:02x}", u32::from(c));
                        }
                        c => out.push(c),
                    }
                }
                out.push('\'');
                out
            }
            Dialect::DuckDb => {
                // Standard strings: only `'` is special. Control characters go in as `chr(n)`.
                let mut parts: Vec<String> = Vec::new();
                let mut run = String::new();
                for c in s.chars() {
                    if c.is_ascii_control() {
                        if !run.is_empty() || parts.is_empty() {
                            parts.push(format!(
                                "'{}'",
                                std::mem::take(&mut run).replace('\'', "''")
                            ));
                        }
                        parts.push(format!("chr({})", u32::from(c)));
                    } else {
                        run.push(c);
                    }
                }
                if !run.is_empty() || parts.is_empty() {
                    parts.push(format!("'{}'", run.replace('\'', "''")));
                }
                if parts.len() == 1 {
                    parts.remove(0)
                } else {
                    format!("({})", parts.join(" || "))
                }
            }
        }
    }

    fn field(self, f: Field) -> &'static str {
        match self {
            Dialect::ClickHouse => match f {
                Field::Type => "tupleElement(f, 'type_lower')",
                Field::Context => "tupleElement(i, 'context')",
                Field::Value => "tupleElement(i, 'value')",
                Field::Lower => "tupleElement(f, 'value_lower')",
                Field::Words => "tupleElement(f, 'words')",
                Field::Ip => "tupleElement(f, 'ip')",
                Field::Host => "tupleElement(f, 'host')",
                Field::UrlHost => "tupleElement(f, 'url_host')",
            },
            Dialect::DuckDb => match f {
                Field::Type => "i.type_lower",
                Field::Context => "i.context",
                Field::Value => "i.value",
                Field::Lower => "i.value_lower",
                Field::Words => "i.words",
                Field::Ip => "i.ip",
                Field::Host => "i.host",
                Field::UrlHost => "i.url_host",
            },
        }
    }

    fn eq(self, f: Field, value: &str) -> String {
        format!("{} = {}", self.field(f), self.string(value))
    }

    fn starts_with(self, f: Field, value: &str) -> String {
        let name = match self {
            Dialect::ClickHouse => "startsWith",
            Dialect::DuckDb => "starts_with",
        };
        format!("{name}({}, {})", self.field(f), self.string(value))
    }

    fn ends_with(self, f: Field, value: &str) -> String {
        let name = match self {
            Dialect::ClickHouse => "endsWith",
            Dialect::DuckDb => "suffix",
        };
        format!("{name}({}, {})", self.field(f), self.string(value))
    }

    fn contains(self, f: Field, value: &str) -> String {
        match self {
            Dialect::ClickHouse => {
                format!("position({}, {}) > 0", self.field(f), self.string(value))
            }
            Dialect::DuckDb => format!("contains({}, {})", self.field(f), self.string(value)),
        }
    }

    /// Whether the text `expr` matches the regular expression `re` somewhere.
    fn regex_on(self, expr: &str, re: &str) -> String {
        match self {
            Dialect::ClickHouse => format!("match({expr}, {})", self.string(re)),
            Dialect::DuckDb => format!("regexp_matches({expr}, {})", self.string(re)),
        }
    }

    /// Whether some item of the report satisfies `pred`.
    fn any_item(self, pred: &str) -> String {
        match self {
            Dialect::ClickHouse => format!("arrayExists((i, f) -> {pred}, items, item_facts)"),
            Dialect::DuckDb => format!("len(list_filter(items, lambda i: {pred})) > 0"),
        }
    }

    /// Whether the words of the item hold the phrase, with `slop` extra words in total.
    fn phrase(self, phrase: &Phrase, slop: u32) -> String {
        let words = self.field(Field::Words);
        let k = phrase.words.len();
        let first = &phrase.words[0];
        if k == 1 {
            return match (self, phrase.prefix) {
                (Dialect::ClickHouse, false) => format!("has({words}, {})", self.string(first)),
                (Dialect::ClickHouse, true) => format!(
                    "arrayExists(x -> startsWith(x, {}), {words})",
                    self.string(first)
                ),
                (Dialect::DuckDb, false) => {
                    format!("list_contains({words}, {})", self.string(first))
                }
                (Dialect::DuckDb, true) => format!(
                    "len(list_filter({words}, lambda x: starts_with(x, {}))) > 0",
                    self.string(first)
                ),
            };
        }
        // The words joined by spaces (no word holds one), with a space before and after.
        let joined = |list: &str| match self {
            Dialect::ClickHouse => format!("concat(' ', arrayStringConcat({list}, ' '), ' ')"),
            Dialect::DuckDb => format!("(' ' || array_to_string({list}, ' ') || ' ')"),
        };
        // The phrase's words in order, each a whole word (the last perhaps a prefix), with
        // `gap` between them.
        let pattern = |gap: &str| {
            let mut re = String::new();
            for (n, w) in phrase.words.iter().enumerate() {
                if n > 0 {
                    re.push_str(gap);
                }
                push_regex_literal(&mut re, w);
                if phrase.prefix && n + 1 == k {
                    re.push_str("[^ ]*");
                }
                re.push(' ');
            }
            re
        };
        if slop == 0 {
            // Consecutive words: one search of all the words.
            return self.regex_on(&joined(words), &format!(" {}", pattern("")));
        }
        // With slop: from each place the first word stands, the next `k + slop` words (the
        // longest an occurrence may be) must hold the others in order; the window bounds the
        // extra words in total, the expression their order.
        let window = u64::try_from(k)
            .unwrap_or(u64::MAX)
            .saturating_add(u64::from(slop));
        let re = format!("^ {}", pattern("(?:[^ ]+ )*"));
        // Each word (but a prefix) must be among the item's words: a cheap test first.
        let mut all_there: Vec<String> = phrase.words[1..]
            .iter()
            .take(k - 1 - usize::from(phrase.prefix))
            .map(|w| match self {
                Dialect::ClickHouse => format!("has({words}, {})", self.string(w)),
                Dialect::DuckDb => format!("list_contains({words}, {})", self.string(w)),
            })
            .collect();
        let window_test = match self {
            Dialect::ClickHouse => format!(
                "arrayExists((x, s) -> x = {} AND {}, {words}, arrayEnumerate({words}))",
                self.string(first),
                self.regex_on(&joined(&format!("arraySlice({words}, s, {window})")), &re)
            ),
            // `CASE` runs the window's search only where the first word stands.
            Dialect::DuckDb => format!(
                "len(list_filter({words}, lambda x, s: CASE WHEN x = {} THEN {} ELSE false END)) > 0",
                self.string(first),
                self.regex_on(&joined(&format!("{words}[s:s + {}]", window - 1)), &re)
            ),
        };
        all_there.push(window_test);
        format!("({})", all_there.join(" AND "))
    }

    /// The test of a host pattern on the host column `f`.
    fn host(self, f: Field, p: &HostPattern) -> String {
        let q = &*p.host;
        let dot_led = q.starts_with('.');
        match (p.mode, p.prefix) {
            (HostMode::Exact, false) => self.eq(f, q),
            (HostMode::Exact, true) => self.starts_with(f, q),
            (HostMode::Suffix, false) if dot_led => self.ends_with(f, q),
            (HostMode::Suffix, false) => {
                format!(
                    "({} OR {})",
                    self.eq(f, q),
                    self.ends_with(f, &format!(".{q}"))
                )
            }
            (HostMode::Suffix, true) if dot_led => self.contains(f, q),
            (HostMode::Suffix, true) => format!(
                "({} OR {})",
                self.starts_with(f, q),
                self.contains(f, &format!(".{q}"))
            ),
        }
    }

    /// `term`'s test of one item, or `None` when it matches nothing.
    fn test(self, term: &Lowered<'_>, slop: u32) -> Result<Option<String>, CompileError> {
        let plan = &term.plan;
        Ok(Some(match &plan.test {
            Test::Never => return Ok(None),
            Test::Text(phrase) => self.phrase(phrase, slop),
            Test::Keyword { value, prefix } => {
                if *prefix {
                    self.starts_with(Field::Lower, value)
                } else {
                    self.eq(Field::Lower, value)
                }
            }
            Test::Context { value, prefix } => {
                if *prefix {
                    self.starts_with(Field::Context, value)
                } else {
                    self.eq(Field::Context, value)
                }
            }
            Test::ContextIgnoringCase { .. } => {
                return Err(term.unsupported(self.target(), "a context compared ignoring case"));
            }
            Test::Ip(net) => {
                let (lo, hi) = ip_range(net);
                format!(
                    "{} BETWEEN {} AND {}",
                    self.field(Field::Ip),
                    self.string(&lo),
                    self.string(&hi)
                )
            }
            Test::Port(port) => self.regex_on(self.field(Field::Value), &number_regex("", *port)),
            Test::Asn(asn) => self.regex_on(
                self.field(Field::Value),
                &number_regex("(?:[Aa][Ss])?", *asn),
            ),
            Test::Host(pattern) => {
                if matches!(plan.select, Select::HostOrUrl) {
                    format!(
                        "(({} AND {}) OR ({} AND {}))",
                        self.eq(Field::Type, "host"),
                        self.host(Field::Host, pattern),
                        self.eq(Field::Type, "url"),
                        self.host(Field::UrlHost, pattern)
                    )
                } else {
                    self.host(Field::Host, pattern)
                }
            }
            Test::Url { host, words } => {
                let mut either = Vec::new();
                if let Some(h) = host {
                    either.push(self.host(Field::UrlHost, h));
                }
                if !words.words.is_empty() {
                    either.push(self.phrase(words, slop));
                }
                format!("({})", either.join(" OR "))
            }
        }))
    }
}

/// A regular expression for the text of the number `n` after an optional `head`: any number of
/// leading zeros, as [`crate::types::parse_port`] and [`crate::types::parse_asn`] read them.
fn number_regex(head: &str, n: impl Into<u64>) -> String {
    match n.into() {
        0 => format!("^{head}0+$"),
        n => format!("^{head}0*{n}$"),
    }
}

/// Appends `s` to a regular expression, every character but a letter or digit escaped.
fn push_regex_literal(re: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_alphanumeric() {
            re.push(c);
        } else {
            let _ = write!(re, "\\x{{{:x}}}", u32::from(c));
        }
    }
}

struct Sql {
    dialect: Dialect,
    slop: u32,
}

impl Backend for Sql {
    type Out = String;

    fn term(&mut self, term: &Lowered<'_>) -> Result<String, CompileError> {
        let d = self.dialect;
        let Some(test) = d.test(term, self.slop)? else {
            return Ok("false".to_owned());
        };
        let mut conditions = Vec::new();
        if let Select::Type(t) = &term.plan.select {
            conditions.push(d.eq(Field::Type, &t.to_ascii_lowercase()));
        }
        if let Some(c) = &term.plan.context {
            conditions.push(d.eq(Field::Context, c));
        }
        conditions.push(test);
        Ok(d.any_item(&conditions.join(" AND ")))
    }

    fn not(&mut self, operand: String) -> String {
        format!("NOT ({operand})")
    }

    fn and(&mut self, operands: Vec<String>) -> String {
        format!("({})", operands.join(" AND "))
    }

    fn or(&mut self, operands: Vec<String>) -> String {
        format!("({})", operands.join(" OR "))
    }
}

pub(crate) fn compile(
    expr: &Expr,
    dialect: Dialect,
    options: &CompileOptions,
) -> Result<String, CompileError> {
    let mut backend = Sql {
        dialect,
        slop: options.matching.slop,
    };
    let condition = lower(expr, &mut backend, &options.matching)?;
    let mut sql = format!("SELECT date, id, items FROM reports WHERE {condition}");
    let date = |d: crate::models::Date| match dialect {
        Dialect::ClickHouse => format!("toDate32('{d}')"),
        Dialect::DuckDb => format!("DATE '{d}'"),
    };
    if let Some(from) = options.from {
        let _ = write!(sql, " AND date >= {}", date(from));
    }
    if let Some(to) = options.to {
        let _ = write!(sql, " AND date <= {}", date(to));
    }
    sql.push_str(" ORDER BY date DESC, id");
    Ok(sql)
}

// ---------------------------------------------------------------------------------------------
// Schemas

/// The evaluator's lowercasing of the text `expr`.
fn lowercase_sql(d: Dialect, expr: &str) -> String {
    let table = lowering();
    let mut out = expr.to_owned();
    let replace = match d {
        Dialect::ClickHouse => "replaceAll",
        Dialect::DuckDb => "replace",
    };
    for (c, expansion) in &table.expansions {
        out = format!(
            "{replace}({out}, {}, {})",
            d.string(&c.to_string()),
            d.string(expansion)
        );
    }
    let translate = match d {
        Dialect::ClickHouse => "translateUTF8",
        Dialect::DuckDb => "translate",
    };
    format!(
        "{translate}({out}, {}, {})",
        d.string(&table.from),
        d.string(&table.to)
    )
}

const HEADER: &str = "\
-- The reports of a Driftnet export, as `driftql compile` queries them: one row a report, its
-- items as they are, and what the search rules read from each item (its type and value
-- lowercased, the value's words, its address, host and URL host), computed on loading by the
-- evaluator's own case and word tables. Generated by driftql; do not edit.
";

pub(crate) fn schema(d: Dialect) -> String {
    match d {
        Dialect::ClickHouse => clickhouse_schema(),
        Dialect::DuckDb => duckdb_schema(),
    }
}

fn clickhouse_schema() -> String {
    let d = Dialect::ClickHouse;
    let s = |x: &str| d.string(x);
    let value = "tupleElement(i, 'value')";
    let strip = |x: &str| format!("replaceRegexpOne({x}, {}, '')", s("\\.$"));
    let rest = format!(
        "multiIf(match({value}, {sch}), replaceRegexpOne({value}, {sch}, ''), startsWith({value}, '//'), substring({value}, 3), {value})",
        sch = s(SCHEME)
    );
    let host_port = format!(
        "replaceRegexpOne(extract({rest}, {}), {}, '')",
        s("^[^/?#\\\\]*"),
        s("(?s)^.*@")
    );
    let url_host = format!(
        "if(startsWith({host_port}, '['), extract({host_port}, {}), extract({host_port}, {}))",
        s("^\\[([^\\]]*)"),
        s("^[^:]*")
    );
    let ip = format!(
        "if(match({value}, {}), ifNull(lower(hex(toIPv6OrNull({value}))), ''), '')",
        s(&format!("^(?:{IPV4}|{})$", ipv6()))
    );
    let facts = format!(
        "arrayMap((i, v) -> (lower(tupleElement(i, 'type')), v, extractAll(v, {words}), {ip}, {host}, {url_host}), items, arrayMap(i -> {lower_value}, items))",
        words = s(&format!("{}+", word_class(false))),
        host = strip("v"),
        url_host = strip(&lowercase_sql(d, &url_host)),
        lower_value = lowercase_sql(d, value),
    );
    format!(
        "{HEADER}--
-- Load an export:  clickhouse-client --query 'INSERT INTO reports FORMAT JSONEachRow' < export.ndjson
-- (a report's other fields are skipped; a missing or null context is empty, is_metadata false).

CREATE TABLE IF NOT EXISTS reports
(
    date Date32,
    id String,
    items Array(Tuple(type String, context String, value String, is_metadata Bool)),
    item_facts Array(Tuple(type_lower String, value_lower String, words Array(String), ip String, host String, url_host String))
        MATERIALIZED {facts}
)
ENGINE = MergeTree
ORDER BY (date, id);
"
    )
}

fn duckdb_schema() -> String {
    let d = Dialect::DuckDb;
    let s = |x: &str| d.string(x);
    let ascii_lower = format!(
        "translate(i.type, {}, {})",
        s("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        s("abcdefghijklmnopqrstuvwxyz")
    );
    let macros = [
        // ASCII text (as many bytes as characters) takes the engine's `lower`, which is ASCII
        // lowercasing there; the table is for the rest.
        format!(
            "driftql_lower(s) AS CASE WHEN strlen(s) = length(s) THEN lower(s) ELSE {} END",
            lowercase_sql(d, "s")
        ),
        format!("driftql_strip_dot(s) AS regexp_replace(s, {}, '')", s("\\.$")),
        "driftql_ipv4_hex(s) AS array_to_string(list_transform(string_split(s, '.'), lambda o: printf('%02x', TRY_CAST(o AS INTEGER))), '')".to_owned(),
        "driftql_ipv6_half(s) AS CASE WHEN s = '' THEN []::VARCHAR[] ELSE string_split(s, ':') END".to_owned(),
        format!("driftql_ipv6_plain(s) AS CASE WHEN contains(s, '.') THEN left(s, length(s) - length(regexp_extract(s, {last}))) || substr(driftql_ipv4_hex(regexp_extract(s, {last})), 1, 4) || ':' || substr(driftql_ipv4_hex(regexp_extract(s, {last})), 5, 4) ELSE s END", last = s("[^:]*$")),
        "driftql_ipv6_groups(s) AS CASE WHEN contains(s, '::') THEN list_concat(list_concat(driftql_ipv6_half(split_part(s, '::', 1)), list_transform(range(8 - len(driftql_ipv6_half(split_part(s, '::', 1))) - len(driftql_ipv6_half(split_part(s, '::', 2)))), lambda z: '0')), driftql_ipv6_half(split_part(s, '::', 2))) ELSE string_split(s, ':') END".to_owned(),
        format!(
            "driftql_ip(s) AS CASE WHEN regexp_full_match(s, {v4}) THEN '00000000000000000000ffff' || driftql_ipv4_hex(s) WHEN regexp_full_match(s, {v6}) THEN array_to_string(list_transform(driftql_ipv6_groups(driftql_ipv6_plain(s)), lambda g: lpad(lower(g), 4, '0')), '') ELSE '' END",
            v4 = s(IPV4),
            v6 = s(&format!("(?:{})", ipv6()))
        ),
        format!(
            "driftql_url_rest(s) AS CASE WHEN regexp_matches(s, {sch}) THEN regexp_replace(s, {sch}, '') WHEN starts_with(s, '//') THEN substr(s, 3) ELSE s END",
            sch = s(SCHEME)
        ),
        format!(
            "driftql_url_authority(s) AS regexp_replace(regexp_extract(driftql_url_rest(s), {}), {}, '')",
            s("^[^/?#\\\\]*"),
            s("(?s)^.*@")
        ),
        format!(
            "driftql_url_host(s) AS CASE WHEN starts_with(driftql_url_authority(s), '[') THEN regexp_extract(driftql_url_authority(s), {}, 1) ELSE regexp_extract(driftql_url_authority(s), {}) END",
            s("^\\[([^\\]]*)"),
            s("^[^:]*")
        ),
    ];
    let mut out = format!(
        "{HEADER}--
-- Load an export:  INSERT INTO reports SELECT * FROM driftql_load('export.ndjson');
-- (a report's other fields are skipped; a missing or null context is empty, is_metadata false).

"
    );
    for m in &macros {
        let _ = writeln!(out, "CREATE OR REPLACE MACRO {m};");
    }
    let _ = write!(
        out,
        "
CREATE TABLE IF NOT EXISTS reports (
    date DATE,
    id VARCHAR,
    items STRUCT(type VARCHAR, context VARCHAR, value VARCHAR, is_metadata BOOLEAN, type_lower VARCHAR, value_lower VARCHAR, words VARCHAR[], ip VARCHAR, host VARCHAR, url_host VARCHAR)[]
);

CREATE OR REPLACE MACRO driftql_load(path) AS TABLE
SELECT date, id, list_transform(
    list_transform(coalesce(items, []), lambda i: {{type: i.type, context: coalesce(i.context, ''), value: i.value, is_metadata: coalesce(i.is_metadata, false), value_lower: driftql_lower(i.value)}}),
    lambda i: {{type: i.type, context: i.context, value: i.value, is_metadata: i.is_metadata, type_lower: {ascii_lower}, value_lower: i.value_lower, words: regexp_extract_all(i.value_lower, {words}), ip: driftql_ip(i.value), host: driftql_strip_dot(i.value_lower), url_host: driftql_strip_dot(driftql_lower(driftql_url_host(i.value)))}}
) AS items
FROM read_ndjson(path, columns = {{date: 'DATE', id: 'VARCHAR', items: 'STRUCT(type VARCHAR, context VARCHAR, value VARCHAR, is_metadata BOOLEAN)[]'}});
",
        words = s(&format!("{}+", word_class(false))),
    );
    out
}
