//! The compiled SQL on the real engines: DuckDB and ClickHouse (chDB, ClickHouse's engine in
//! process) load an export with the schema `driftql schema` prints, run what `driftql compile`
//! writes, and must return the report ids the `Matcher` finds — for every semantic case of the
//! evaluator's tests, every conformance case, and more than a thousand generated queries with
//! slop, `host_in_url` and dates.
//!
//! The engines are Python packages (`duckdb`, `chdb`); `scripts/test.sh` installs them in its
//! virtual environment and names its Python in `DRIFTQL_ENGINES_PYTHON`. Without it the test
//! says so and passes, except under CI (`CI` set), where it fails.
#![cfg(all(feature = "compile", feature = "server"))]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use driftql::compile::{CompileError, CompileOptions, Target};
use driftql::models::Date;
use driftql::{Expr, Item, MatchOptions, Op, Query, Report, ReportRef, Term};

// ---------------------------------------------------------------------------------------------
// The data

/// Items chosen for the rules' edges: case outside ASCII, word separators, hosts and URLs in
/// their odd shapes, every way of writing an address, ports and system numbers with zeros,
/// contexts, quotes.
const EDGE_ITEMS: &[(&str, &str, &str)] = &[
    ("title", "", "ΟΔΟΣ Straße İstanbul"),
    ("title", "", "\u{212a}elvin scale"),
    ("title", "", "ǅemal ǆ"),
    ("title", "", "हिन्दी भाषा"),
    ("title", "", "日本語テキスト 東京"),
    ("title", "", "a-b_c.d e/f"),
    ("title", "", "don't stop me now"),
    ("title", "", "x\ny\tz"),
    ("title", "", "ÀÉÎ õ"),
    ("title", "", "İ"),
    ("title", "", "ς σ Σ"),
    ("title", "", "university of greater london"),
    ("title", "", "london university of"),
    ("title", "", "it's a 'quote' \\ back\\slash"),
    ("title", "", "'); DROP TABLE reports; --"),
    ("title", "", "%_*? [x] (y) {z} ^$ |"),
    ("title", "", "𐐀𐐁 deseret 𝔘𝔫𝔦 🦀crab"),
    ("title", "", "Ⱥ Ⱦ grows ȿ"),
    ("title", "", "cafe\u{301} déjà vu"),
    ("title", "", "one two three four five six seven"),
    ("title", "", "ctl\u{1}char\u{7f}end"),
    ("title", "", "nul\u{0}byte"),
    ("title", "Ünïcode", "context outside ascii"),
    ("title", "", ""),
    ("title", "cert-dns-name", "foo bar"),
    ("TITLE", "", "Upper Type"),
    ("Title", "x", "Mixed Case"),
    ("host", "", "Example.COM."),
    ("host", "", "a.b.example.com"),
    ("host", "", "badexample.com"),
    ("host", "", "example.com.."),
    ("host", "", "."),
    ("host", "", ""),
    ("host", "", "MAIL.GOOGLE.co.uk"),
    ("host", "", "googleusercontent.com"),
    ("host", "", "bücher.example"),
    ("host", "", "BÜCHER.Example"),
    ("url", "", "https://Example.com/a?b=c"),
    ("url", "", "http://user:pw@www.example.com:8080/x"),
    ("url", "", "http://[2001:db8::1]:443/"),
    ("url", "", "//cdn.example.com/lib.js"),
    ("url", "", "example.com/path"),
    ("url", "", "https://example.com\\@evil.org/"),
    ("url", "", "example.com/r?to=http://other.org/"),
    ("url", "", "https://"),
    ("url", "", "http://[::1"),
    ("url", "", "https://example.com.evil.org/"),
    ("url", "", "HTTPS://BÜCHER.example./x"),
    ("url", "", "\u{212a}http://x.org/"),
    ("url", "", "ftp://a@b@c.example.com/"),
    ("url", "", "1http://x.example/"),
    ("url", "ctx", "https://login.example.com/"),
    ("url", "", "http://evil\n@good.example.com/"),
    ("url", "", "http://[2001:DB8::2]/"),
    ("url", "", "https://EXAMPLE.com./"),
    ("ip", "", "10.1.2.3"),
    ("ip", "", "010.0.0.1"),
    ("ip", "", "::ffff:10.1.2.3"),
    ("ip", "", "::FFFF:10.1.2.3"),
    ("ip", "", "2001:db8::1"),
    ("ip", "", "2001:DB8:0:0:0:0:0:1"),
    ("ip", "", "2001:db8::"),
    ("ip", "", "::"),
    ("ip", "", "::1"),
    ("ip", "", "1::"),
    ("ip", "", "1:2:3:4:5:6:7::"),
    ("ip", "", "::2:3:4:5:6:7:8"),
    ("ip", "", "1:2:3:4:5:6:1.2.3.4"),
    ("ip", "", "::1.2.3.4"),
    ("ip", "", "1:2:3:4:5:6:7:1.2.3.4"),
    ("ip", "", "1:2::3:4:5:6:7:8"),
    ("ip", "", "10.0.0.0/8"),
    ("ip", "", "256.1.1.1"),
    ("ip", "", "1.2.3"),
    ("ip", "", "fe80::1%eth0"),
    ("ip", "", "0001:0002::3"),
    ("ip", "", "12345::1"),
    ("ip", "", " 10.1.2.3"),
    ("ip", "", "1:2:3:4:5:6:7:8:9"),
    ("ip", "", "::ffff:1.2.3.04"),
    ("ip", "", "1::1.2.3.4"),
    ("ip", "", "1:2:3:4:5::1.2.3.4"),
    ("ip", "", "1:2:3:4:5:6::1.2.3.4"),
    ("ip", "", "::ffff:255.255.255.255"),
    ("ip", "", "255.255.255.255"),
    ("ip", "", "0.0.0.0"),
    ("port-tcp", "", "443"),
    ("port-tcp", "", "0443"),
    ("port-tcp", "", "00000000000443"),
    ("port-tcp", "", "+443"),
    ("port-tcp", "", "65536"),
    ("port-tcp", "", "65535"),
    ("port-tcp", "", "0"),
    ("port-tcp", "", "000"),
    ("port-tcp", "", "443 "),
    ("port-udp", "", "53"),
    ("asn", "", "AS15169"),
    ("asn", "", "as015169"),
    ("asn", "", "15169"),
    ("asn", "", "AS"),
    ("asn", "", "4294967296"),
    ("asn", "", "0"),
    ("server-banner", "http", "HTTP/1.1 200 OK"),
    ("server-banner", "HTTP", "x"),
    ("server-banner", "https-alt", "y"),
    ("http-header", "Server", "nginx/1.2"),
    ("http-header", "server", "Apache"),
    ("protocol", "", "http"),
    ("http-header-name", "", "Server"),
    ("geo-country", "", "gb"),
    ("geo-country", "", "GB "),
    ("product-tag", "", "Hikvision DVR DS-7208"),
    ("search-term", "", "login page"),
];

/// Export lines in the shapes a reader must take: other fields, a null or absent context, a
/// null `is_metadata`, a number as a value, an empty report.
const RAW_LINES: &[&str] = &[
    r#"{"id": "raw-1", "date": "2024-05-05", "extra": {"a": 1}, "items": [{"type": "port-tcp", "value": "8443", "context": null, "is_metadata": null, "more": [1]}]}"#,
    r#"{"id": "raw-2", "date": "2024-05-06", "items": [{"type": "title", "value": "Raw Title"}, {"type": "ip", "value": "192.168.0.1", "is_metadata": true}]}"#,
    r#"{"id": "raw-3", "date": "2024-05-07", "items": []}"#,
];

/// Every string literal of a Rust source file, and which of them stand in a tuple of three
/// (`("type", "context", "value")`, the items of the evaluator's tests).
fn rust_strings(src: &str) -> (Vec<String>, Vec<(String, String, String)>) {
    #[derive(Debug)]
    enum Tok {
        Str(String),
        P(char),
    }
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == 'r'
            && matches!(chars.get(i + 1), Some('"' | '#'))
            && (i == 0 || !chars[i - 1].is_alphanumeric())
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                i += 1;
                continue;
            }
            j += 1;
            let start = j;
            loop {
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    break;
                }
                j += 1;
            }
            toks.push(Tok::Str(chars[start..j].iter().collect()));
            i = j + 1 + hashes;
        } else if c == '"' {
            let mut s = String::new();
            let mut j = i + 1;
            while chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                    match chars[j] {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        '0' => s.push('\0'),
                        'u' => {
                            let end = j + chars[j..].iter().position(|&c| c == '}').unwrap();
                            let hex: String = chars[j + 2..end].iter().collect();
                            s.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                            j = end;
                        }
                        '\n' => {
                            while chars[j + 1].is_whitespace() {
                                j += 1;
                            }
                        }
                        other => s.push(other),
                    }
                } else {
                    s.push(chars[j]);
                }
                j += 1;
            }
            toks.push(Tok::Str(s));
            i = j + 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3; // a character literal such as '"'
        } else {
            if !c.is_whitespace() {
                toks.push(Tok::P(c));
            }
            i += 1;
        }
    }
    let mut strings = Vec::new();
    let mut tuples = Vec::new();
    for (n, t) in toks.iter().enumerate() {
        if let Tok::Str(s) = t {
            strings.push(s.clone());
        }
        if let [
            Tok::P('('),
            Tok::Str(a),
            Tok::P(','),
            Tok::Str(b),
            Tok::P(','),
            Tok::Str(c),
            rest @ ..,
        ] = &toks[n..]
            && matches!(rest, [Tok::P(')'), ..] | [Tok::P(','), Tok::P(')'), ..])
        {
            tuples.push((a.clone(), b.clone(), c.clone()));
        }
    }
    (strings, tuples)
}

fn report(id: String, date: &str, items: Vec<Item>) -> Report {
    Report {
        date: date.into(),
        id,
        items,
    }
}

/// The export the engines load, written to `path`, and the reports as the crate reads them.
fn dataset(path: &Path, eval_tuples: &[(String, String, String)]) -> Vec<Report> {
    let mut lines: Vec<String> = Vec::new();
    let mut reports = driftql::server::sample::sample(2500);
    let dates = ["2024-01-01", "2024-03-15", "2025-06-30"];
    for (n, (t, c, v)) in eval_tuples.iter().enumerate() {
        reports.push(report(
            format!("eval-{n}"),
            dates[n % 3],
            vec![Item::new(t, c, v)],
        ));
    }
    for (n, (t, c, v)) in EDGE_ITEMS.iter().enumerate() {
        reports.push(report(
            format!("edge-{n}"),
            dates[n % 3],
            vec![Item::new(*t, *c, *v)],
        ));
    }
    // Reports of several edge items, so that terms meet in one report and not in one item.
    for n in 0..60 {
        let items = (0..3)
            .map(|k| {
                let (t, c, v) = EDGE_ITEMS[(n * 7 + k * 13) % EDGE_ITEMS.len()];
                Item::new(t, c, v)
            })
            .collect();
        reports.push(report(format!("mix-{n}"), dates[n % 3], items));
    }
    for r in &reports {
        lines.push(serde_json::to_string(r).unwrap());
    }
    lines.extend(RAW_LINES.iter().map(|l| (*l).to_owned()));
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
    // Read back as `driftql filter` reads an export.
    lines
        .iter()
        .map(|l| serde_json::from_str::<ReportRef>(l).unwrap().into_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The queries

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A term made from an item of the data, so that generated queries match some reports and not
/// others: its words, a prefix, a label suffix, a block around its address, its number with
/// zeros, its context.
fn term_from(item: &Item, rng: &mut Rng) -> Term {
    let words: Vec<&str> = item
        .value
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut ty = item.ty.clone();
    if rng.chance(10) {
        ty = ty.to_ascii_uppercase();
    }
    let value: String;
    let mut op = Op::Match;
    let mut prefix = false;
    match item.ty.to_ascii_lowercase().as_str() {
        "ip" => {
            let base = item.value.split('/').next().unwrap_or("");
            let v6 = base.contains(':');
            let len = if v6 { rng.below(129) } else { rng.below(33) };
            value = if rng.chance(30) {
                base.to_owned()
            } else {
                format!("{base}/{len}")
            };
        }
        "port-tcp" | "port-udp" | "asn" => {
            value = if rng.chance(30) {
                format!("0{}", item.value)
            } else {
                item.value.clone()
            };
        }
        "host" => {
            let labels: Vec<&str> = item.value.split('.').collect();
            let from = rng.below(labels.len().max(1));
            let suffix = labels[from.min(labels.len().saturating_sub(1))..].join(".");
            value = if rng.chance(20) {
                format!(".{suffix}")
            } else {
                suffix
            };
            if rng.chance(30) {
                op = Op::Keyword;
            }
            prefix = rng.chance(20);
        }
        _ => {
            if rng.chance(25) || words.is_empty() {
                op = Op::Keyword;
                let v = &item.value;
                value = if rng.chance(30) {
                    prefix = true;
                    v.chars().take(rng.below(v.chars().count() + 1)).collect()
                } else {
                    v.clone()
                };
            } else {
                let start = rng.below(words.len());
                let len = 1 + rng.below(3.min(words.len() - start));
                let mut picked: Vec<String> = words[start..start + len]
                    .iter()
                    .map(|w| (*w).to_owned())
                    .collect();
                if rng.chance(20) && picked.len() > 1 {
                    picked.remove(rng.below(picked.len() - 1) + 1); // a gap for the slop
                }
                if rng.chance(25) {
                    let last = picked.last_mut().unwrap();
                    let keep = 1 + rng.below(last.chars().count());
                    *last = last.chars().take(keep).collect();
                    prefix = true;
                }
                value = picked.join(if rng.chance(50) { " " } else { "-" });
            }
        }
    }
    if rng.chance(8) {
        ty = "search-term".into();
    }
    let mut term = Term::new(&ty, op, value).with_prefix(prefix);
    if rng.chance(15) {
        term = term.with_context(item.context.clone());
    }
    term
}

fn expression(items: &[&Item], rng: &mut Rng, depth: u32) -> Expr {
    if depth == 0 || rng.chance(35) {
        let item = *rng.pick(items);
        let e = Expr::Term(term_from(item, rng));
        return if rng.chance(20) { !e } else { e };
    }
    let n = 2 + rng.below(2);
    let parts: Vec<Expr> = (0..n).map(|_| expression(items, rng, depth - 1)).collect();
    let e = if rng.chance(50) {
        Expr::all(parts)
    } else {
        Expr::any(parts)
    }
    .unwrap();
    if rng.chance(15) { !e } else { e }
}

/// Queries written by hand: values that quote, escape and comment in SQL, on the engines
/// themselves, and the rules' corners the generator rarely meets.
const HAND_WRITTEN: &[&str] = &[
    r#"title:"it's a 'quote'""#,
    r#"title="it's a 'quote' \\ back\\slash""#,
    r#"title="'); DROP TABLE reports; --""#,
    r#"title:"'); DROP TABLE reports; --""#,
    r#"title="%_*? [x] (y) {z} ^$ |""#,
    r#"title:"x\\'y" or title:"\\""#,
    r#"title;"it's"=x"#,
    "title:\"ctl\u{1}char\"",
    "title=\"ctl\u{1}char\u{7f}end\" or title=\"x\ny\tz\"",
    "title=\"nul\u{0}byte\"",
    r#"title:"one two three four five six seven""#,
    r#"title:"one three five seven""#,
    r#"title:"two four six se"*"#,
    r#"title:"𐐀𐐁 deseret" or title:𝔲𝔫𝔦 or title:crab"#,
    r#"title:ⱥ or title="ⱥ ⱦ grows ȿ""#,
    r#"title:cafe or title:"déjà vu""#,
    r#"title;Ünïcode:context"#,
    "ip:1.2.3.4 or ip:::ffff:1.2.3.0/120",
    "ip:::/0",
    "ip:0.0.0.0/0",
    "url:good.example.com or url:evil",
    "host:example.com.. or host=example.com.. or host:.com..",
    "url:2001:db8::2",
];

struct Case {
    query: Query,
    options: CompileOptions,
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

fn cases(reports: &[Report], eval_strings: &[String]) -> Vec<Case> {
    let mut out = Vec::new();
    let option_sets = [
        MatchOptions::default(),
        MatchOptions::default().with_slop(1),
        MatchOptions::default().with_slop(3),
        MatchOptions::default().with_host_in_url(true),
    ];
    // The conformance cases and every query of the evaluator's tests, under each option set.
    let conformance: toml::Value =
        toml::from_str(&std::fs::read_to_string("../shared/spec/conformance/public.toml").unwrap())
            .unwrap();
    let inputs = conformance["case"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["input"].as_str().unwrap().to_owned())
        .chain(eval_strings.iter().cloned());
    let mut seen = BTreeSet::new();
    for input in inputs {
        let Ok(query) = driftql::parse(&input) else {
            continue;
        };
        if !seen.insert(query.canonical()) {
            continue;
        }
        for m in option_sets {
            out.push(Case {
                query: query.clone(),
                options: CompileOptions::default().with_matching(m),
            });
        }
    }
    for input in HAND_WRITTEN {
        let query = driftql::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        for m in option_sets {
            out.push(Case {
                query: query.clone(),
                options: CompileOptions::default().with_matching(m),
            });
        }
    }
    // Generated queries over the data's own items.
    let items: Vec<&Item> = reports.iter().flat_map(|r| &r.items).collect();
    let dates = ["2019-06-01", "2024-01-01", "2024-03-15", "2025-06-30"];
    let mut rng = Rng(0x656e_6769_6e65);
    for _ in 0..1200 {
        let expr = expression(&items, &mut rng, 3);
        let Ok(query) = Query::try_from(expr) else {
            continue;
        };
        let matching = MatchOptions::default()
            .with_slop(*rng.pick(&[0, 0, 1, 2, 5]))
            .with_host_in_url(rng.chance(30));
        let from = rng.chance(15).then(|| date(dates[rng.below(dates.len())]));
        let to = rng.chance(15).then(|| date(dates[rng.below(dates.len())]));
        out.push(Case {
            query,
            options: CompileOptions::default()
                .with_matching(matching)
                .with_dates(from, to),
        });
    }
    out
}

fn expected(case: &Case, reports: &[Report]) -> BTreeSet<String> {
    let m = case.query.matcher(&case.options.matching);
    let from = case.options.from.map(|d| d.to_string());
    let to = case.options.to.map(|d| d.to_string());
    reports
        .iter()
        .filter(|r| {
            from.as_ref().is_none_or(|f| r.date >= *f) && to.as_ref().is_none_or(|t| r.date <= *t)
        })
        .filter(|r| m.matches(r))
        .map(|r| r.id.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The run

fn engines_python() -> Option<String> {
    match std::env::var("DRIFTQL_ENGINES_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "DRIFTQL_ENGINES_PYTHON is not set: under CI the engines must run (scripts/test.sh sets it)"
            );
            eprintln!(
                "DRIFTQL_ENGINES_PYTHON is not set: the engines were not run (bash scripts/test.sh runs them)"
            );
            None
        }
    }
}

fn differential(target: Target, engine: &str) {
    let Some(python) = engines_python() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("driftql-engines-{engine}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (strings, tuples) = rust_strings(&std::fs::read_to_string("tests/eval.rs").unwrap());
    assert!(
        tuples.len() > 100,
        "the evaluator's items were read: {}",
        tuples.len()
    );
    let data = dir.join("export.ndjson");
    let reports = dataset(&data, &tuples);
    let cases = cases(&reports, &strings);
    assert!(cases.len() > 1500, "{} cases", cases.len());
    let compiled: Vec<String> = cases
        .iter()
        .map(|c| match c.query.compile(target, &c.options) {
            Ok(sql) => sql,
            Err(e @ CompileError::Unsupported { .. }) => panic!("{}: {e}", c.query),
            Err(e) => panic!("{e}"),
        })
        .collect();
    let job = serde_json::json!({
        "schema": driftql::compile::schema(target),
        "data": data,
        "queries": compiled,
    });
    let job_path = dir.join("job.json");
    std::fs::write(&job_path, job.to_string()).unwrap();
    let out = Command::new(&python)
        .args(["tests/engines/run.py", engine])
        .arg(&job_path)
        .output()
        .expect("the engines' Python runs");
    assert!(
        out.status.success(),
        "tests/engines/run.py {engine} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), cases.len());
    let mut failures = Vec::new();
    let mut matched = 0;
    for ((case, sql), result) in cases.iter().zip(&compiled).zip(results) {
        let want = expected(case, &reports);
        matched += usize::from(!want.is_empty());
        let got: BTreeSet<String> = match result.get("ids") {
            Some(ids) => ids
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect(),
            None => {
                failures.push(format!(
                    "{}  ({:?})\n  {sql}\n  error: {}",
                    case.query, case.options, result["error"]
                ));
                continue;
            }
        };
        if got != want {
            let extra: Vec<_> = got.difference(&want).take(5).collect();
            let missing: Vec<_> = want.difference(&got).take(5).collect();
            failures.push(format!(
                "{}  ({:?})\n  {sql}\n  only the engine: {extra:?}\n  only the matcher: {missing:?}",
                case.query, case.options
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let mut report = String::new();
    for f in failures.iter().take(8) {
        let _ = writeln!(report, "{f}\n");
    }
    assert!(
        failures.is_empty(),
        "{engine}: {} of {} queries disagree with the matcher:\n{report}",
        failures.len(),
        cases.len()
    );
    eprintln!(
        "{engine}: {} queries over {} reports agree with the matcher; {matched} of them match some report",
        cases.len(),
        reports.len()
    );
    // The data makes the comparison worth something: most queries match some reports.
    assert!(
        matched * 2 > cases.len(),
        "only {matched} of {} queries match anything",
        cases.len()
    );
}

#[test]
fn duckdb_returns_the_reports_the_matcher_finds() {
    differential(Target::DuckDb, "duckdb");
}

#[test]
fn clickhouse_returns_the_reports_the_matcher_finds() {
    differential(Target::ClickHouse, "clickhouse");
}
