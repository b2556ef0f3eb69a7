//! The prefilter of [`Filter`](super::Filter): which lines of an export may match a query,
//! told from their raw bytes; what it does, and why it is sound, is in the
//! [module docs](super).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use memchr::memmem::Finder;

use crate::eval::{Matcher, Needs};

/// What always makes a line a candidate, as it may hide a literal: escapes that can stand for
/// any character, and the two characters outside ASCII that lowercase to ASCII letters (`İ`,
/// U+0130, and the Kelvin sign, U+212A).
const HIDERS: &[&[u8]] = &[b"\\u", b"\\/", "\u{130}".as_bytes(), "\u{212a}".as_bytes()];

/// Which lines may match (see the [module docs](self)).
#[derive(Clone, Debug)]
pub(crate) struct Prefilter {
    /// `None` when every line is a candidate.
    search: Option<Search>,
}

/// The search for the cover's literals, which ignores ASCII case, and for the hiders. Each
/// way keeps a fast scan: a search that folds case as it goes scans for a rare byte of a
/// literal, which in JSON (a quote, a digit) may be anything but rare.
#[derive(Clone, Debug)]
enum Search {
    /// When no literal has more than three ASCII letters (and all their cases are at most
    /// [`MAX_EXACT`]): one automaton, of the hiders and of each literal in every case of its
    /// letters, looked for exactly (its SIMD scan stays fast even when a literal's first bytes
    /// are common).
    Exact(AhoCorasick),
    /// Otherwise: the text is searched in a copy with its letters lowercased, for the literals
    /// lowercased (which is what ignoring ASCII case means), each with `memmem`'s SIMD search
    /// (which scans for a pair of the literal's rarest bytes), or all with one automaton when
    /// there are many; and for the hiders.
    Folded(Literals),
}

#[derive(Clone, Debug)]
enum Literals {
    Few(Vec<Finder<'static>>),
    Many(AhoCorasick),
}

/// The most literals looked for exactly, in all their cases.
const MAX_EXACT: usize = 32;
/// The most literals looked for each on its own in a text with its letters lowercased.
const MAX_FEW: usize = 4;

/// A search for candidate marks in one text, from line to line: each search goes on from
/// where it found its last mark, so each part of the text is searched once.
pub(crate) struct Marks<'a> {
    search: &'a Search,
    /// The text searched (its letters lowercased for [`Search::Folded`]).
    text: &'a [u8],
    /// Where each search found its next mark: the automaton's, or each literal's (or the
    /// automaton's) and then the hiders'.
    next: Vec<Next>,
}

/// Where a search found its next mark.
#[derive(Clone, Copy, Debug)]
enum Next {
    NotYet,
    At(usize),
    Never,
}

impl Prefilter {
    /// The prefilter of `matcher`.
    pub fn new(matcher: &Matcher) -> Prefilter {
        let Some(cover) = cover(matcher.needs()) else {
            return Prefilter { search: None };
        };
        let automaton = |patterns: &[Vec<u8>]| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(patterns)
                .ok()
        };
        let mut exact = Some(Vec::new());
        for literal in &cover {
            exact = exact
                .zip(cases(literal))
                .map(|(mut all, cases)| {
                    all.extend(cases);
                    all
                })
                .filter(|all| all.len() <= MAX_EXACT);
        }
        let search = if let Some(mut exact) = exact {
            exact.extend(HIDERS.iter().map(|h| h.to_vec()));
            automaton(&exact).map(Search::Exact)
        } else {
            let lowered: Vec<Vec<u8>> = cover.iter().map(|l| l.to_ascii_lowercase()).collect();
            if lowered.len() <= MAX_FEW {
                let finders = lowered.iter().map(|l| Finder::new(l).into_owned());
                Some(Search::Folded(Literals::Few(finders.collect())))
            } else {
                automaton(&lowered).map(|ac| Search::Folded(Literals::Many(ac)))
            }
        };
        // An automaton that cannot be built (never, for so few patterns): every line is read.
        Prefilter { search }
    }

    /// The prefilter that lets every line through.
    pub fn everything() -> Prefilter {
        Prefilter { search: None }
    }

    /// Whether every line is a candidate (the query gives no literal to look for).
    #[cfg(test)]
    pub fn reads_everything(&self) -> bool {
        self.search.is_none()
    }

    /// The search of `text` for candidate marks, `None` when every line is a candidate;
    /// `room` holds the copy of the text searched with its letters lowercased, when it is.
    pub fn marks<'a>(&'a self, text: &'a [u8], room: &'a mut Vec<u8>) -> Option<Marks<'a>> {
        let search = self.search.as_ref()?;
        let (text, searches) = match search {
            Search::Exact(_) => (text, 1),
            Search::Folded(literals) => {
                room.clear();
                room.extend(text.iter().map(u8::to_ascii_lowercase));
                let searches = match literals {
                    Literals::Few(finders) => finders.len(),
                    Literals::Many(_) => 1,
                };
                (&room[..], searches + 1)
            }
        };
        Some(Marks {
            search,
            text,
            next: vec![Next::NotYet; searches],
        })
    }

    /// Whether `line` may match.
    #[cfg(test)]
    pub fn is_candidate(&self, line: &[u8]) -> bool {
        let mut room = Vec::new();
        self.marks(line, &mut room)
            .is_none_or(|mut marks| marks.next_mark(0).is_some())
    }
}

impl Marks<'_> {
    /// The start of the first candidate mark at or after `from`: a literal of the cover or a
    /// hider. A line holds one if, and only if, a search from its start finds one before its
    /// end (no literal or hider spans a line break). Calls go on with a `from` at least as
    /// far.
    pub fn next_mark(&mut self, from: usize) -> Option<usize> {
        let text = self.text;
        if from > text.len() {
            return None;
        }
        let automaton = |ac: &AhoCorasick, from: usize| {
            ac.find(Input::new(text).range(from..)).map(|m| m.start())
        };
        let literals = match self.search {
            Search::Exact(ac) => return next(&mut self.next[0], from, |f| automaton(ac, f)),
            Search::Folded(literals) => literals,
        };
        let (hiders, literal_next) = self.next.split_last_mut()?;
        let mut first = next(hiders, from, |from| hider(text, from));
        let mut take = |at: Option<usize>| {
            if let Some(at) = at {
                first = Some(first.map_or(at, |f| f.min(at)));
            }
        };
        match literals {
            Literals::Few(finders) => {
                for (finder, known) in finders.iter().zip(literal_next) {
                    take(next(known, from, |from| {
                        finder.find(&text[from..]).map(|at| from + at)
                    }));
                }
            }
            Literals::Many(ac) => take(next(&mut literal_next[0], from, |f| automaton(ac, f))),
        }
        first
    }
}

/// The next mark at or after `from` of a search, from what it found before or, when that is
/// behind, by searching on with `find`.
fn next(known: &mut Next, from: usize, find: impl FnOnce(usize) -> Option<usize>) -> Option<usize> {
    match *known {
        Next::Never => return None,
        Next::At(at) if at >= from => return Some(at),
        _ => {}
    }
    let found = find(from);
    *known = found.map_or(Next::Never, Next::At);
    found
}

/// The first of the [`HIDERS`] at or after `from` in a text with its letters lowercased
/// (where `\\U`, which is no escape, counts too: such a line is broken, and read in full).
fn hider(text: &[u8], mut from: usize) -> Option<usize> {
    while let Some(i) = memchr::memchr3(b'\\', 0xC4, 0xE2, text.get(from..)?) {
        let at = from + i;
        let after = &text[at + 1..];
        let hides = match text[at] {
            b'\\' => matches!(after.first(), Some(b'u' | b'/')),
            0xC4 => after.starts_with(&[0xB0]),
            _ => after.starts_with(&[0x84, 0xAA]),
        };
        if hides {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

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
    fn a_literal_is_found_in_any_case() {
        let p = prefilter("protocol=ssh");
        for line in [&br#"["sSh"]"#[..], br#"["SSH"]"#, br#"["ssh"]"#] {
            assert!(p.is_candidate(line));
        }
        assert!(!p.is_candidate(br#"["ssh-2"]"#));
        assert!(matches!(p.search, Some(Search::Exact(_))));
        let all = cases(b"\"s1h").unwrap();
        assert_eq!(all, [&b"\"s1h"[..], b"\"S1h", b"\"s1H", b"\"S1H"]);
        assert_eq!(cases(b"443").unwrap(), [b"443"]);
        assert_eq!(cases(b"abc").unwrap().len(), 8);
        assert!(cases(b"abcd").is_none());
        // A literal of more letters: in the text with its letters lowercased; so are the
        // others then.
        let p = prefilter("title:login or port-tcp:443");
        assert!(matches!(p.search, Some(Search::Folded(Literals::Few(_)))));
        assert!(p.is_candidate(br#"["LoGiN"]"#) && p.is_candidate(br#"["443"]"#));
        assert!(!p.is_candidate(br#"["logi"]"#));
        // Many literals: one automaton, the same marks.
        let p =
            prefilter("title:alpha or title:beta or title:gamma or title:delta or title:epsilon");
        assert!(matches!(p.search, Some(Search::Folded(Literals::Many(_)))));
        assert!(p.is_candidate(b"x GAMMA x") && p.is_candidate(b"x Epsilon"));
        assert!(!p.is_candidate(b"x zeta x"));
    }

    #[test]
    fn marks_are_found_in_order_from_where_the_search_goes_on() {
        let text = b"a 443 b LOGIN c 443 \\\\u\nd";
        for q in [
            "port-tcp:443 or title:log",
            "port-tcp:443 or title:login",
            "port-tcp:443 or title:login or title:x1 or title:y2 or title:z3",
        ] {
            let p = prefilter(q);
            assert!(!p.reads_everything());
            let mut room = Vec::new();
            // Past the end of the text, nothing is searched (and nothing found).
            let mut past = p.marks(text, &mut room).unwrap();
            assert_eq!(past.next_mark(text.len() + 1), None, "{q}");
            let mut marks = p.marks(text, &mut room).unwrap();
            // Each search from further on finds the next mark, of any kind (a literal, with or
            // without letters, or a hider: the second backslash of `\\u`), whichever way the
            // literals are looked for.
            assert_eq!(marks.next_mark(0), Some(2), "{q}");
            assert_eq!(marks.next_mark(3), Some(8));
            assert_eq!(marks.next_mark(9), Some(16));
            assert_eq!(marks.next_mark(17), Some(21));
            assert_eq!(marks.next_mark(22), None);
            assert_eq!(marks.next_mark(text.len()), None);
            assert_eq!(marks.next_mark(text.len() + 1), None);
        }
        let mut room = Vec::new();
        assert!(Prefilter::everything().marks(text, &mut room).is_none());
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
