//! The prefilter of [`Filter`](super::Filter): which lines of an export may match a query,
//! told from their raw bytes; what it does, and why it is sound, is in the
//! [module docs](super).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};

use crate::eval::{Matcher, Needs};

/// What always makes a line a candidate, as it may hide a literal: escapes that can stand for
/// any character, and the two characters outside ASCII that lowercase to ASCII letters.
const HIDERS: &[&[u8]] = &[b"\\u", b"\\/", "\u{130}".as_bytes(), "\u{212a}".as_bytes()];

/// Which lines may match (see the [module docs](self)).
#[derive(Clone, Debug)]
pub(crate) struct Prefilter {
    /// `None` when every line is a candidate.
    search: Option<Search>,
}

/// The searches: exactly, the hiders and the literals of at most three letters, each of those
/// in all its cases; and ignoring case, the literals of more letters. Two automata, so that
/// each keeps its fast scan: folding case where no letter needs it costs the exact one its
/// SIMD prefilter, and a search ignoring case scans for a rare byte of a literal, which in
/// JSON (a quote, a digit) may be anything but rare.
#[derive(Clone, Debug)]
struct Search {
    exact: AhoCorasick,
    folded: Option<AhoCorasick>,
}

/// Where each search of a [`Search`] found its next mark, so that a scan from line to line
/// searches each part of the text once.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Marks {
    exact: Option<Option<usize>>,
    folded: Option<Option<usize>>,
}

impl Prefilter {
    /// The prefilter of `matcher`.
    pub fn new(matcher: &Matcher) -> Prefilter {
        let Some(cover) = cover(matcher.needs()) else {
            return Prefilter { search: None };
        };
        // A literal with few letters is looked for in each of its cases, exactly: the exact
        // search's SIMD scan, which looks at a literal's first bytes, stays fast even when
        // those are common (a quote); the others are looked for ignoring case.
        let (mut letters, mut plain): (Vec<&[u8]>, Vec<Vec<u8>>) = (Vec::new(), Vec::new());
        for literal in &cover {
            match cases(literal) {
                Some(all) if plain.len() + all.len() <= MAX_EXACT => plain.extend(all),
                _ => letters.push(&literal[..]),
            }
        }
        let build = |patterns: Vec<&[u8]>, fold: bool| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(fold)
                .match_kind(MatchKind::LeftmostFirst)
                .build(patterns)
                .ok()
        };
        let exact = build(
            plain
                .iter()
                .map(Vec::as_slice)
                .chain(HIDERS.iter().copied())
                .collect(),
            false,
        );
        let folded = if letters.is_empty() {
            Some(None)
        } else {
            build(letters, true).map(Some)
        };
        let search = match (exact, folded) {
            (Some(exact), Some(folded)) => Some(Search { exact, folded }),
            // An automaton that cannot be built (never, for so few patterns): read every line.
            _ => None,
        };
        Prefilter { search }
    }

    /// The prefilter that lets every line through.
    pub fn everything() -> Prefilter {
        Prefilter { search: None }
    }

    /// Whether every line is a candidate (the query gives no literal to look for).
    pub fn reads_everything(&self) -> bool {
        self.search.is_none()
    }

    /// The start of the first candidate mark in `text` at or after `from`: a literal of the
    /// cover or a hider. A line holds one if, and only if, a search from its start finds one
    /// before its end (no pattern spans a line break). `marks` remembers what the searches
    /// found, for the next call on the same text with a `from` at least as far.
    pub fn next_mark(&self, text: &[u8], from: usize, marks: &mut Marks) -> Option<usize> {
        let search = self.search.as_ref()?;
        let find = |ac: &AhoCorasick, known: &mut Option<Option<usize>>| -> Option<usize> {
            match *known {
                Some(None) => return None,
                Some(Some(at)) if at >= from => return Some(at),
                _ => {}
            }
            let found = if from >= text.len() {
                None
            } else {
                ac.find(Input::new(text).range(from..)).map(|m| m.start())
            };
            *known = Some(found);
            found
        };
        let exact = find(&search.exact, &mut marks.exact);
        let folded = match &search.folded {
            Some(ac) => find(ac, &mut marks.folded),
            None => None,
        };
        match (exact, folded) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether `line` may match.
    #[cfg(test)]
    pub fn is_candidate(&self, line: &[u8]) -> bool {
        self.search.is_none() || self.next_mark(line, 0, &mut Marks::default()).is_some()
    }
}

/// The most literals looked for exactly, in all their cases.
const MAX_EXACT: usize = 32;

/// `literal` in every case of its ASCII letters, when it has at most three (with more, the
/// search ignoring case is as fast).
fn cases(literal: &[u8]) -> Option<Vec<Vec<u8>>> {
    let letters: Vec<usize> = (0..literal.len())
        .filter(|&i| literal[i].is_ascii_alphabetic())
        .collect();
    if letters.len() > 3 {
        return None;
    }
    Some(
        (0..1u32 << letters.len())
            .map(|bits| {
                let mut case = literal.to_vec();
                for (k, &i) in letters.iter().enumerate() {
                    if bits & (1 << k) != 0 {
                        case[i] = case[i].to_ascii_uppercase();
                    }
                }
                case
            })
            .collect(),
    )
}

/// A cover of `needs`: literals of which every text meeting it holds one (`Some(empty)`: no
/// text meets it); `None` when there is none.
fn cover(needs: &Needs) -> Option<Vec<Box<[u8]>>> {
    match needs {
        Needs::Anything => None,
        Needs::Nothing => Some(Vec::new()),
        Needs::Literal(l) => Some(vec![l.clone()]),
        Needs::All(all) => all
            .iter()
            .filter_map(cover)
            // The most selective: no literal (nothing meets it), else the longest shortest one.
            .max_by_key(|c| c.iter().map(|l| l.len()).min().unwrap_or(usize::MAX)),
        Needs::Any(any) => {
            let mut union = Vec::new();
            for n in any {
                union.extend(cover(n)?);
            }
            Some(union)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::MatchOptions;

    fn prefilter(query: &str) -> Prefilter {
        Prefilter::new(
            &crate::parse(query)
                .unwrap()
                .matcher(&MatchOptions::default()),
        )
    }

    #[test]
    fn covers_follow_the_operators() {
        let lines: &[&[u8]] = &[
            br#"{"items":[{"type":"port-tcp","value":"443"}]}"#,
            br#"{"items":[{"type":"title","value":"HikVision Login"}]}"#,
            br#"{"items":[{"type":"title","value":"nothing to see"}]}"#,
            br#"{"items":[{"type":"geo-country","value":"US"},{"type":"title","value":"USA"}]}"#,
            br#"{"items":[{"type":"title","value":"status: us"}]}"#,
        ];
        let candidates = |q: &str| -> Vec<usize> {
            let p = prefilter(q);
            (0..lines.len())
                .filter(|&i| p.is_candidate(lines[i]))
                .collect()
        };
        assert_eq!(candidates("port-tcp:443"), [0]);
        assert_eq!(candidates("title:hikvision"), [1]);
        assert_eq!(candidates("product-tag:hik* or port-tcp:443"), [0, 1]);
        // `and`: one operand's literals are enough (the longest).
        assert_eq!(candidates("title:login and geo-country=CN"), [1]);
        // No literal: every line.
        assert_eq!(candidates("not port-tcp:443"), [0, 1, 2, 3, 4]);
        assert_eq!(candidates("ip:10.0.0.0/8"), [0, 1, 2, 3, 4]);
        assert!(prefilter("title:日本").reads_everything());
        // A term that matches nothing: no line, unless something may hide a literal.
        assert_eq!(candidates("port-tcp:http"), Vec::<usize>::new());
        // A whole value (`=`) is looked for with its string's quotes; a prefix with the first.
        assert_eq!(candidates("geo-country=us"), [3]);
        assert_eq!(candidates("geo-country=U*"), [3]);
        assert_eq!(candidates("title:us"), [3, 4]);
    }

    #[test]
    fn a_literal_of_few_letters_is_looked_for_in_all_its_cases() {
        let all = cases(b"\"s1h").unwrap();
        assert_eq!(all, [&b"\"s1h"[..], b"\"S1h", b"\"s1H", b"\"S1H"]);
        assert_eq!(cases(b"443").unwrap(), [b"443"]);
        assert_eq!(cases(b"abc").unwrap().len(), 8);
        assert!(cases(b"abcd").is_none());
        let p = prefilter("protocol=ssh");
        for line in [&br#"["sSh"]"#[..], br#"["SSH"]"#, br#"["ssh"]"#] {
            assert!(p.is_candidate(line));
        }
        assert!(!p.is_candidate(br#"["ssh-2"]"#));
    }

    #[test]
    fn marks_are_found_in_order_from_where_the_search_goes_on() {
        let p = prefilter("port-tcp:443 or title:login");
        assert!(!p.reads_everything());
        let text = b"a 443 b LOGIN c 443\nd";
        let mut marks = Marks::default();
        // Each search from further on finds the next mark, of either kind (exact or folded).
        assert_eq!(p.next_mark(text, 0, &mut marks), Some(2));
        assert_eq!(p.next_mark(text, 3, &mut marks), Some(8));
        assert_eq!(p.next_mark(text, 9, &mut marks), Some(16));
        assert_eq!(p.next_mark(text, 17, &mut marks), None);
        assert_eq!(p.next_mark(text, 19, &mut marks), None);
        assert_eq!(p.next_mark(text, text.len(), &mut marks), None);
        assert_eq!(Prefilter::everything().next_mark(text, 0, &mut marks), None);
        assert!(Prefilter::everything().reads_everything());
    }

    #[test]
    fn escapes_and_the_two_odd_characters_make_a_candidate() {
        let p = prefilter("title:login");
        assert!(!p.is_candidate(br#"{"value":"log in"}"#));
        assert!(p.is_candidate(br#"{"value":"\u006cogin"}"#));
        assert!(p.is_candidate(br#"{"value":"a\/b"}"#));
        assert!(p.is_candidate("{\"value\":\"\u{130}\"}".as_bytes()));
        assert!(p.is_candidate("{\"value\":\"\u{212a}\"}".as_bytes()));
        assert!(p.is_candidate(br#"{"value":"LOGIN"}"#));
        // Ordinary escapes hide no literal.
        assert!(!p.is_candidate(br#"{"value":"a\r\nb \"c\" \\"}"#));
    }

    #[test]
    fn a_literal_is_only_text_json_writes_as_it_is() {
        use crate::report::{Item, Report};
        // Each value is written in JSON with an escape (`\"`, `\\`, `\t`) or, in another
        // case, with other bytes (`É` is not `é` ignoring ASCII case): none gives a literal.
        for (q, value) in [
            (r#"title="a\"b""#, r#"a"b"#),
            (r#"title="a\\b""#, r"a\b"),
            ("title=\"tab\there\"", "tab\there"),
            ("title=café", "CAFÉ"),
        ] {
            let report = Report {
                date: "2024-01-01".into(),
                id: "r".into(),
                items: vec![Item::new("title", "", value)],
            };
            let matcher = crate::parse(q).unwrap().matcher(&MatchOptions::default());
            assert!(matcher.matches(&report), "{q} matches {value:?}");
            let json = serde_json::to_string(&report).unwrap();
            assert!(
                Prefilter::new(&matcher).is_candidate(json.as_bytes()),
                "{q} on {json}"
            );
        }
    }

    mod sound {
        use super::*;
        use crate::report::{Item, Report};
        use proptest::prelude::*;

        /// Values that stress the rules: case, prefixes, the two characters outside ASCII that
        /// lowercase to ASCII letters, escapes, hosts with a root dot, ports with zeros.
        const VALUES: &[&str] = &[
            "Login",
            "LOGIN page",
            "log in",
            "hikvision-DS",
            "H\u{130}KVISION",
            "\u{212a}ey",
            "443",
            "0443",
            "8443",
            "AS15169",
            "15169",
            "Example.COM.",
            "www.example.com",
            "https://www.Example.com/x?y",
            "a/b \"q\" \\ z",
            "\u{65e5}\u{672c} login",
            "stra\u{df}e",
            "CN",
            "cn",
            "",
            "ssh",
            "sSH",
            "Server",
        ];
        const TYPES: &[(&str, &[&str])] = &[
            ("title", &["", "html"]),
            ("product-tag", &[""]),
            ("host", &["", "cert-dns-name"]),
            ("url", &[""]),
            ("port-tcp", &[""]),
            ("asn", &[""]),
            ("geo-country", &[""]),
            ("server-banner", &["ssh", "http"]),
            ("http-header", &["Server", "X-Key"]),
        ];
        const TERMS: &[&str] = &[
            "title:login",
            "title:\"login page\"",
            "title:log*",
            "product-tag:hik*",
            "product-tag:hikvision",
            "host:example.com",
            "host=www.example.com",
            "host:.example.com",
            "url:example.com",
            "url=https://www.example.com/x?y",
            "port-tcp:443",
            "asn:15169",
            "asn:AS15169",
            "geo-country=CN",
            "protocol=ssh",
            "protocol=ht*",
            "http-header-name=Server",
            "search-term:key",
            "title:key",
            "title:strasse",
            "search-term:\"a b\"",
            "title=\"log in\"",
            "ip:10.0.0.0/8",
            "title:日本",
        ];

        fn item() -> impl Strategy<Value = Item> {
            (
                0..TYPES.len(),
                any::<prop::sample::Index>(),
                0..VALUES.len(),
            )
                .prop_map(|(t, c, v)| {
                    let (ty, contexts) = TYPES[t];
                    Item::new(ty, *c.get(contexts), VALUES[v])
                })
        }

        fn query() -> impl Strategy<Value = String> {
            let term = prop::sample::select(TERMS).prop_map(str::to_owned);
            term.prop_recursive(3, 12, 3, |inner| {
                prop_oneof![
                    (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
                    (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
                    inner.prop_map(|a| format!("(not {a})")),
                ]
            })
        }

        /// `json` with characters inside strings written as escapes where `choice` says: ASCII
        /// letters and digits, and any other character, as `\uXXXX`; `/` as `\/`.
        fn escaped(json: &str, choice: &[bool]) -> String {
            let mut out = String::new();
            let mut in_string = false;
            let mut backslash = false;
            for (i, c) in json.chars().enumerate() {
                let pick = choice
                    .get(i % choice.len().max(1))
                    .copied()
                    .unwrap_or(false);
                if in_string && !backslash && c != '"' && c != '\\' && pick {
                    if c == '/' {
                        out.push_str("\\/");
                    } else {
                        for unit in c.encode_utf16(&mut [0; 2]) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                    continue;
                }
                if c == '"' && !backslash {
                    in_string = !in_string;
                }
                backslash = c == '\\' && !backslash;
                out.push(c);
            }
            out
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn no_line_that_matches_is_left_out(
                items in prop::collection::vec(item(), 0..6),
                q in query(),
                choice in prop::collection::vec(any::<bool>(), 0..40),
            ) {
                let report = Report { date: "2024-01-01".into(), id: "r".into(), items };
                let Ok(query) = crate::parse(&q) else { return Ok(()) };
                for options in [MatchOptions::default(), MatchOptions::default().with_host_in_url(true).with_slop(2)] {
                    let matcher = query.matcher(&options);
                    if !matcher.matches(&report) {
                        continue;
                    }
                    let prefilter = Prefilter::new(&matcher);
                    let json = serde_json::to_string(&report).unwrap();
                    let written = escaped(&json, &choice);
                    // Still the same report.
                    prop_assert_eq!(serde_json::from_str::<Report>(&written).unwrap(), report.clone());
                    prop_assert!(prefilter.is_candidate(json.as_bytes()), "{q} on {json}");
                    prop_assert!(prefilter.is_candidate(written.as_bytes()), "{q} on {written}");
                }
            }
        }
    }
}
