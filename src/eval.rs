//! The evaluator: whether a scan [`Report`] matches an expression, by the search semantics
//! of the Driftnet API (the rules below).
//!
//! A [`Matcher`] is compiled once from an [`Expr`] and [`MatchOptions`] and then applied to any
//! number of reports: query words are lowercased and split, IP blocks and port numbers parsed and
//! hosts lowercased at compile time, so matching a report re-parses nothing of the query and, for
//! ASCII data and phrases of up to 16 words, allocates nothing (non-ASCII values are lowercased
//! into a reused per-thread buffer; a longer phrase keeps its search state on the heap). Items
//! held in another shape, for example borrowed from an input buffer, are matched through the
//! [`ScanItem`] trait and [`Matcher::matches_items`].
//!
//! ```
//! use driftql::eval::{MatchOptions, Matcher};
//! use driftql::{Item, Report};
//!
//! let query = driftql::parse("product-tag:dahua and (geo-country=RU or geo-country=IR)").unwrap();
//! let matcher = query.matcher(&MatchOptions::default());
//!
//! let report = Report {
//!     items: vec![
//!         Item::new("product-tag", "", "Dahua DVR"),
//!         Item::new("geo-country", "", "RU"),
//!     ],
//!     ..Report::default()
//! };
//! assert!(matcher.matches(&report));
//!
//! let elsewhere = Report {
//!     items: vec![Item::new("product-tag", "", "dahua"), Item::new("geo-country", "", "GB")],
//!     ..Report::default()
//! };
//! assert!(!matcher.matches(&elsewhere));
//!
//! // Slop lets extra words stand between the words of a phrase.
//! let q = driftql::parse(r#"entity:"university london""#).unwrap();
//! let r = Report { items: vec![Item::new("entity", "", "University of London")], ..Report::default() };
//! assert!(!q.matches(&r, &MatchOptions::default()));
//! assert!(q.matches(&r, &MatchOptions::default().with_slop(1)));
//! ```
//!
//! # The rules
//!
//! - **Any item.** A term holds when at least one item of the report satisfies it; `not t` holds
//!   when none does; `and` and `or` combine as usual (evaluated left to right, short-circuiting).
//!   An empty report satisfies no term.
//! - **Selection.** An item is a candidate for a term when its type equals the term's type,
//!   compared ASCII-case-insensitively (`TITLE` items are `title` items), and, when the term has a
//!   context restriction, its context equals the restriction exactly (case-sensitively): absent
//!   means any context, `type;=v` means exactly the empty context. Metadata items
//!   (`is_metadata`) are candidates like any other item.
//! - **Pseudo-types.** `protocol=X` selects `server-banner` items whose context is `X`;
//!   `http-header-name=X` selects `http-header` items whose context is `X`. Both compare
//!   case-sensitively, as their rows of the registry say (`case_sensitive`: `protocol=HTTP` does
//!   not match the context `http`); with `*` the context only has to start with `X`. The item's
//!   value plays no part.
//! - **`search-term`** selects items of every type and matches their values as text.
//! - **Text match** (`:` on text types, on `search-term` and on types the crate does not know):
//!   both sides are lowercased and split into words at every character that is not
//!   alphanumeric (`char::is_alphanumeric`, so Unicode letters and digits are word characters).
//!   The query's words must occur in the item's words in order; with slop `N` at most `N` extra
//!   words may stand between them in total. With `*` the last query word only needs to be a
//!   prefix of its item word (slop applies as usual).
//! - **Keyword match** (`=` on text types, `search-term` and unknown types, and any operator on
//!   `geo-country`): the whole item value equals the value, case-insensitively; with `*` the item
//!   value starts with it.
//! - **`ip`**: the item value is one IPv4 or IPv6 address inside the query's address or CIDR block.
//! - **`host:`** is right-anchored on label boundaries: `host:example.com` matches `example.com`
//!   and `a.b.example.com`, not `badexample.com`. **`host=`** is whole-host equality. Both ignore
//!   case. With [`MatchOptions::host_in_url`] they also match `url` items whose host matches.
//! - **`url:`** matches when the URL's host matches the value as for `host:`, or the value's words
//!   match the URL's words as a text match.
//! - **`port-tcp`, `port-udp`**: numeric equality.
//! - **`asn`**: numeric equality of the system's number, written `AS15169` or `15169` on either
//!   side (`AS` in any case); a `*` prefix matches nothing, as for ports.
//!
//! # Decisions where the reference is silent
//!
//! - **Case.** "Lowercase" is [`char::to_lowercase`] applied to each character, on both sides, with
//!   the final sigma `ς` treated as `σ` (so `ΟΔΟΣ` and `οδος` are equal). Types compare ASCII
//!   case-insensitively; contexts always compare exactly.
//! - **Words.** A text match whose value has no word at all (`title:"--"`, `title:""`) matches
//!   nothing. A `*` applies to the last word even when the value ends in a separator
//!   (`title:"foo-"*` is `title:foo*`).
//! - **Empty values.** Keyword comparisons (`=`, `geo-country`, the pseudo-types) compare the empty
//!   value literally: `title=""` matches items whose value is empty and `title=""*` every `title`
//!   item. For `ip`, ports, `host` and the host part of `url` an empty value matches nothing.
//!   (The validator rejects empty values before a query is sent.)
//! - **`:` on keyword-only types** (`geo-country:GB`, `protocol:http`, `http-header-name:Server`)
//!   behaves exactly like `=` (the validator reports it as an error).
//! - **`ip=`** behaves exactly like `ip:` (the validator reports it as an error).
//! - **Invalid `ip` values** match nothing: anything that is not an address or `address/length`
//!   as [`types::parse_ip_or_cidr`] reads them (`ip:banana`, `ip:10.0.0.0/33`, octets with leading zeros
//!   such as `010.0.0.1`, which are ambiguous), and any `ip` term with `*` (`ip:10.*`). The
//!   host bits of a block are ignored (`10.1.2.3/8` is `10.0.0.0/8`). Item values are parsed the
//!   same way; an item value that is not a single address (a block, a name, extra spaces) never
//!   matches an `ip` term.
//! - **IPv4-mapped IPv6.** An IPv4 address and its mapped form `::ffff:a.b.c.d` are the same
//!   address: an item matches when either form is inside the block, so `ip:1.2.3.0/24` matches
//!   the item `::ffff:1.2.3.4` and `ip:::ffff:0:0/96` matches the item `1.2.3.4`.
//! - **Ports.** A port is one or more ASCII digits with a value of at most 65535; leading zeros are
//!   allowed on both sides (`port-tcp:0443` matches `443`). Signs, spaces, and any port term
//!   with `*` match nothing. `=` behaves like `:`.
//! - **Hosts.** One trailing dot is ignored on both sides (`example.com.` is `example.com`);
//!   internationalised names are compared as given (no punycode conversion). A value starting with
//!   a dot matches strict subdomains only: `host:.example.com` matches `www.example.com`, not
//!   `example.com`. With `*`, `host:` matches when some label-aligned suffix of the item starts
//!   with the value (`host:google*` matches `mail.google.co.uk` and `googleusercontent.com`), and
//!   `host=` when the whole host starts with it.
//! - **URL hosts** (for `url:` and `host_in_url`) are read without a URL library: after
//!   `scheme://` (or `//`, or from the start when there is neither), up to the first `/`, `?`, `#`
//!   or `\`, after the last `@`, without a `:port`; an IPv6 literal's brackets are removed. A
//!   `url` item with no host only matches by words. The host part of `url:` uses the value as a
//!   host, so `url:https://example.com/a` matches by words, and `url:example.com` also matches
//!   `https://example.com.evil.org/` by words, as the rule says.
//! - **`url=`** is a keyword match: the whole URL equals the value, case-insensitively, with no
//!   normalisation (a trailing `/`, a default port or percent-escapes make URLs differ).
//! - **Context restrictions** apply on top of every rule, pseudo-types included:
//!   `protocol;x=http` needs an item whose context is both `x` and `http`, so it matches nothing
//!   unless `x` is `http`. With `host_in_url`, `host;c:v` needs `url` items to have context `c` too.
//! - **Unknown types** (`foo:bar`) select items of that type and use the text rules.
//! - **Items named like pseudo-types.** An item whose own type is `protocol` or
//!   `http-header-name` is not selected by those terms, which look only at `server-banner` and
//!   `http-header` contexts; `search-term` still sees its value.
//!
//! # Type classes
//!
//! How a term selects and compares items comes from the type registry ([`crate::types`]): its
//! kind (text, keyword, IP, host, URL, port) and what it selects (its own items, every item, or
//! the contexts of another type's items). A type not in the registry is text. Addresses, blocks
//! and ports are read by [`types::parse_ip_or_cidr`] and [`types::parse_port`], as the validator
//! reads them.

use std::cell::Cell;
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

use crate::ast::{Expr, Op, Term};
use crate::query::Query;
use crate::report::{Report, ScanItem};
use crate::types::{self, Kind, Selects};

/// Options of a search that change what matches (the API's `slop` and `host_in_url`).
///
/// Built from the default with [`with_slop`](Self::with_slop) and
/// [`with_host_in_url`](Self::with_host_in_url).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MatchOptions {
    /// How many extra words, in total, may stand between the words of a text match
    /// (`university london` with slop 1 matches `university of london`). Default 0.
    pub slop: u32,
    /// Whether `host` terms also match the host inside `url` items. Default false.
    pub host_in_url: bool,
}

impl MatchOptions {
    /// These options with `slop` set.
    #[must_use]
    pub const fn with_slop(mut self, slop: u32) -> Self {
        self.slop = slop;
        self
    }

    /// These options with `host_in_url` set.
    #[must_use]
    pub const fn with_host_in_url(mut self, host_in_url: bool) -> Self {
        self.host_in_url = host_in_url;
        self
    }
}

/// A compiled expression: decides whether reports match, without re-parsing anything.
///
/// Build it once with [`Matcher::new`] or [`Query::matcher`], then call [`Matcher::matches`] for
/// each report. A matcher is `Send + Sync` and cheap to clone (clones share the compiled code);
/// evaluation is iterative, so a tree
/// nested to any depth neither overflows the stack here nor when the matcher is dropped.
#[derive(Clone, Debug)]
pub struct Matcher {
    code: Arc<[Instr]>,
    terms: Arc<[TermMatcher]>,
    options: MatchOptions,
    #[cfg(feature = "export")]
    needs: Arc<Needs>,
}

/// What the text of a report must hold for the report to match: the basis of the export
/// reader's prefilter, which skips lines that cannot match without reading them.
///
/// A literal is ASCII, lowercase, and free of `\` and control characters, and of `"` but for
/// the quotes of a JSON string (when a rule compares a whole value), so that wherever a value
/// holding it (compared as the rules say, ASCII case aside) is written in JSON without `\u` or
/// `\/` escapes, the literal's bytes appear as they are, in some case.
/// (Characters outside ASCII whose lowercase form holds ASCII letters, such as the Kelvin sign,
/// break this; the prefilter treats text holding them as it treats escapes.)
#[cfg(feature = "export")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Nothing can be said: any text may match.
    Anything,
    /// No text matches (a term that matches nothing).
    Nothing,
    /// The text holds this literal.
    Literal(Box<[u8]>),
    /// The text meets all of these.
    All(Vec<Needs>),
    /// The text meets at least one of these.
    Any(Vec<Needs>),
}

/// The deepest expression [`Needs`] looks into; a deeper one may match anything.
#[cfg(feature = "export")]
const NEEDS_DEPTH: usize = 64;

#[cfg(feature = "export")]
impl Needs {
    /// A literal for `text` (already lowercased by the caller where the rule ignores case),
    /// or [`Needs::Anything`] when it is empty or not a plain ASCII literal.
    fn literal(text: &str) -> Needs {
        let plain = !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii() && !b.is_ascii_control() && b != b'"' && b != b'\\');
        if plain {
            Needs::Literal(text.to_ascii_lowercase().into_bytes().into())
        } else {
            Needs::Anything
        }
    }

    /// A literal for a JSON string that is `text` (or, with `prefix`, starts with it), ASCII
    /// case aside: the text after the string's opening quote and, unless `prefix`, before its
    /// closing one. Written without `\u` or `\/` escapes, such a string holds it as it is.
    fn whole(text: &str, prefix: bool) -> Needs {
        match Needs::literal(text) {
            Needs::Literal(literal) => {
                let mut quoted = Vec::with_capacity(literal.len() + 2);
                quoted.push(b'"');
                quoted.extend_from_slice(&literal);
                if !prefix {
                    quoted.push(b'"');
                }
                Needs::Literal(quoted.into())
            }
            other => other,
        }
    }

    /// What `expr` needs, its terms compiled into `terms` in the matcher's order. It recurses
    /// once per level: the caller keeps `expr` within [`NEEDS_DEPTH`].
    fn of(expr: &Expr, terms: &[TermMatcher], next: &mut usize) -> Needs {
        match expr {
            Expr::Term(_) => {
                let n = *next;
                *next += 1;
                terms.get(n).map_or(Needs::Anything, TermMatcher::needs)
            }
            Expr::Not { operand, .. } => {
                // The terms inside are numbered all the same.
                let _ = Needs::of(operand, terms, next);
                Needs::Anything
            }
            Expr::And(g) => Needs::All(g.iter().map(|e| Needs::of(e, terms, next)).collect()),
            Expr::Or(g) => Needs::Any(g.iter().map(|e| Needs::of(e, terms, next)).collect()),
        }
    }
}

/// One step of the compiled expression. A single boolean register holds the last result.
#[derive(Clone, Copy, Debug)]
enum Instr {
    /// Evaluate term `n` into the register.
    Test(usize),
    /// Negate the register.
    Not,
    /// Jump to `to` when the register equals `when` (short-circuit of `and`/`or`).
    Jump { when: bool, to: usize },
}

/// Compilation work, so that compiling is iterative too.
enum Work<'a> {
    Visit(&'a Expr),
    Not,
    Jump { group: usize, when: bool },
    Patch(usize),
}

impl Matcher {
    /// Compiles `expr` with `options`.
    pub fn new(expr: &Expr, options: &MatchOptions) -> Self {
        let mut code = Vec::new();
        let mut terms = Vec::new();
        let mut pending: Vec<Vec<usize>> = Vec::new();
        let mut work = vec![Work::Visit(expr)];
        while let Some(w) = work.pop() {
            match w {
                Work::Visit(Expr::Term(t)) => {
                    code.push(Instr::Test(terms.len()));
                    terms.push(TermMatcher::new(t, options));
                }
                Work::Visit(Expr::Not { operand, .. }) => {
                    work.push(Work::Not);
                    work.push(Work::Visit(operand));
                }
                Work::Visit(e @ (Expr::And(g) | Expr::Or(g))) => {
                    // `and` stops at the first false operand, `or` at the first true one.
                    let when = matches!(e, Expr::Or(_));
                    let group = pending.len();
                    pending.push(Vec::new());
                    work.push(Work::Patch(group));
                    for (i, operand) in g.iter().enumerate().rev() {
                        work.push(Work::Visit(operand));
                        if i > 0 {
                            work.push(Work::Jump { group, when });
                        }
                    }
                }
                Work::Not => code.push(Instr::Not),
                Work::Jump { group, when } => {
                    if let Some(p) = pending.get_mut(group) {
                        p.push(code.len());
                    }
                    code.push(Instr::Jump { when, to: 0 });
                }
                Work::Patch(group) => {
                    let end = code.len();
                    for at in pending
                        .get_mut(group)
                        .map(std::mem::take)
                        .unwrap_or_default()
                    {
                        if let Some(Instr::Jump { to, .. }) = code.get_mut(at) {
                            *to = end;
                        }
                    }
                }
            }
        }
        #[cfg(feature = "export")]
        let needs = if expr.depth() <= NEEDS_DEPTH {
            Needs::of(expr, &terms, &mut 0)
        } else {
            Needs::Anything
        };
        Matcher {
            code: code.into(),
            terms: terms.into(),
            options: *options,
            #[cfg(feature = "export")]
            needs: Arc::new(needs),
        }
    }

    /// What the text of a report must hold for it to match (see [`Needs`]).
    #[cfg(feature = "export")]
    pub(crate) fn needs(&self) -> &Needs {
        &self.needs
    }

    /// The options the matcher was compiled with.
    pub fn options(&self) -> &MatchOptions {
        &self.options
    }

    /// Whether `report` matches.
    pub fn matches(&self, report: &Report) -> bool {
        self.matches_items(&report.items)
    }

    /// Whether a report made of `items` matches.
    pub fn matches_items<I: ScanItem>(&self, items: &[I]) -> bool {
        let slop = self.options.slop;
        let mut reg = false;
        let mut pc = 0;
        while let Some(&instr) = self.code.get(pc) {
            pc += 1;
            match instr {
                Instr::Test(n) => reg = self.terms.get(n).is_some_and(|t| t.holds(items, slop)),
                Instr::Not => reg = !reg,
                Instr::Jump { when, to } => {
                    if reg == when {
                        pc = to;
                    }
                }
            }
        }
        reg
    }
}

impl Query {
    /// Compiles the query into a [`Matcher`], to match many reports.
    pub fn matcher(&self, options: &MatchOptions) -> Matcher {
        Matcher::new(self.expr(), options)
    }

    /// Whether `report` matches the query (by the rules of [`crate::eval`]).
    ///
    /// This compiles the query on every call; to match many reports, compile it once with
    /// [`Query::matcher`].
    pub fn matches(&self, report: &Report, options: &MatchOptions) -> bool {
        self.matcher(options).matches(report)
    }
}

// ---------------------------------------------------------------------------------------------
// Types

/// How the evaluator treats a term's type, read off the type registry ([`types::TYPES`]); a type
/// not in the registry is text.
#[derive(Clone, Copy)]
enum Class {
    Ip,
    Host,
    Url,
    Port,
    /// An autonomous system number, compared as a number.
    Asn,
    /// A case-insensitive keyword type (`geo-country`).
    Keyword,
    /// A pseudo-type: compares the context of items of the given type, case-sensitively when
    /// the registry says so (`protocol`, `http-header-name`), else ignoring case.
    Pseudo {
        of: &'static str,
        case_sensitive: bool,
    },
    /// `search-term`: text over items of every type.
    Any,
    /// Text types, and every type not listed.
    Text,
}

fn classify(ty: &str) -> Class {
    let Some(info) = types::lookup(ty) else {
        return Class::Text;
    };
    match (info.selects, info.kind) {
        (Selects::ContextOf(of), _) => Class::Pseudo {
            of,
            case_sensitive: info.case_sensitive,
        },
        (Selects::Every, _) => Class::Any,
        (_, Kind::Ip) => Class::Ip,
        (_, Kind::Host) => Class::Host,
        (_, Kind::Url) => Class::Url,
        (_, Kind::Port) => Class::Port,
        (_, Kind::Asn) => Class::Asn,
        (_, Kind::Keyword) => Class::Keyword,
        (_, _) => Class::Text,
    }
}

// ---------------------------------------------------------------------------------------------
// Terms

/// One compiled term: which items it looks at, and the test on each.
#[derive(Clone, Debug)]
pub(crate) struct TermMatcher {
    pub(crate) select: Select,
    pub(crate) context: Option<Box<str>>,
    pub(crate) test: Test,
}

/// Which item types a term looks at.
#[derive(Clone, Debug)]
pub(crate) enum Select {
    /// Items of this (lowercase, ASCII) type.
    Type(Box<str>),
    /// `host` and `url` items (a host term with `host_in_url`).
    HostOrUrl,
    /// Items of every type.
    All,
}

/// The test applied to a selected item.
#[derive(Clone, Debug)]
pub(crate) enum Test {
    /// Nothing matches (an invalid or empty value).
    Never,
    /// Text match of the value's words.
    Text(Phrase),
    /// Case-insensitive equality (or prefix) of the whole value; holds the lowercased value.
    Keyword { value: Box<str>, prefix: bool },
    /// Case-sensitive equality (or prefix) of the item's context.
    Context { value: Box<str>, prefix: bool },
    /// Case-insensitive equality (or prefix) of the item's context; holds the lowercased value.
    ContextIgnoringCase { value: Box<str>, prefix: bool },
    /// The value is an address inside the block.
    Ip(IpNet),
    /// The value is this port number.
    Port(u16),
    /// The value is this autonomous system number (`AS15169` or `15169`).
    Asn(u32),
    /// The value (or a `url` item's host) matches.
    Host(HostPattern),
    /// The URL's host matches, or its words do.
    Url {
        host: Option<HostPattern>,
        words: Phrase,
    },
}

impl TermMatcher {
    /// How `term` selects and tests items under `options`: the one reading of the rules, which
    /// the backends of [`crate::compile`] lower too.
    pub(crate) fn new(term: &Term, options: &MatchOptions) -> Self {
        let ty = term.ty();
        let value = term.value();
        let prefix = term.is_prefix();
        let context = term.context().map(Box::from);
        let own_type = || Select::Type(ty.into());
        let (select, test) = match classify(ty) {
            Class::Ip => {
                let test = match types::parse_ip_or_cidr(value).map(|n| n.trunc()) {
                    Some(net) if !prefix => Test::Ip(net),
                    _ => Test::Never,
                };
                (own_type(), test)
            }
            Class::Port => {
                let test = match types::parse_port(value) {
                    Some(port) if !prefix => Test::Port(port),
                    _ => Test::Never,
                };
                (own_type(), test)
            }
            Class::Asn => {
                let test = match types::parse_asn(value) {
                    Some(asn) if !prefix => Test::Asn(asn),
                    _ => Test::Never,
                };
                (own_type(), test)
            }
            Class::Host => {
                let select = if options.host_in_url {
                    Select::HostOrUrl
                } else {
                    own_type()
                };
                let mode = match term.op() {
                    Op::Match => HostMode::Suffix,
                    Op::Keyword => HostMode::Exact,
                };
                let test = HostPattern::new(value, mode, prefix).map_or(Test::Never, Test::Host);
                (select, test)
            }
            Class::Url => {
                let test = match term.op() {
                    Op::Keyword => Test::Keyword {
                        value: lowercase(value).into(),
                        prefix,
                    },
                    Op::Match => {
                        let host = HostPattern::new(value, HostMode::Suffix, prefix);
                        let words = Phrase::new(value, prefix);
                        if host.is_none() && words.words.is_empty() {
                            Test::Never
                        } else {
                            Test::Url { host, words }
                        }
                    }
                };
                (own_type(), test)
            }
            Class::Keyword => (
                own_type(),
                Test::Keyword {
                    value: lowercase(value).into(),
                    prefix,
                },
            ),
            Class::Pseudo { of, case_sensitive } => (
                Select::Type(of.into()),
                if case_sensitive {
                    Test::Context {
                        value: value.into(),
                        prefix,
                    }
                } else {
                    Test::ContextIgnoringCase {
                        value: lowercase(value).into(),
                        prefix,
                    }
                },
            ),
            class @ (Class::Any | Class::Text) => {
                let select = match class {
                    Class::Any => Select::All,
                    _ => own_type(),
                };
                let test = match term.op() {
                    Op::Keyword => Test::Keyword {
                        value: lowercase(value).into(),
                        prefix,
                    },
                    Op::Match => {
                        let phrase = Phrase::new(value, prefix);
                        if phrase.words.is_empty() {
                            Test::Never
                        } else {
                            Test::Text(phrase)
                        }
                    }
                };
                (select, test)
            }
        };
        TermMatcher {
            select,
            context,
            test,
        }
    }

    /// What the text of a report must hold for some item to satisfy the term.
    #[cfg(feature = "export")]
    fn needs(&self) -> Needs {
        let words = |p: &Phrase| {
            Needs::All(
                p.words
                    .iter()
                    .filter(|w| w.is_ascii())
                    .map(|w| Needs::literal(w))
                    .collect(),
            )
        };
        match &self.test {
            Test::Never => Needs::Nothing,
            Test::Text(p) => words(p),
            Test::Keyword { value, prefix }
            | Test::Context { value, prefix }
            | Test::ContextIgnoringCase { value, prefix } => Needs::whole(value, *prefix),
            Test::Ip(_) => Needs::Anything,
            Test::Port(port) => Needs::literal(&port.to_string()),
            Test::Asn(asn) => Needs::literal(&asn.to_string()),
            Test::Host(pattern) => Needs::literal(&pattern.host),
            Test::Url { host, words: w } => Needs::Any(vec![
                host.as_ref()
                    .map_or(Needs::Nothing, |h| Needs::literal(&h.host)),
                if w.words.is_empty() {
                    Needs::Nothing
                } else {
                    words(w)
                },
            ]),
        }
    }

    /// Whether some item satisfies the term.
    #[inline]
    fn holds<I: ScanItem>(&self, items: &[I], slop: u32) -> bool {
        if matches!(self.test, Test::Never) {
            return false;
        }
        items
            .iter()
            .any(|item| self.selects(item) && self.test_item(item, slop))
    }

    #[inline]
    fn selects<I: ScanItem>(&self, item: &I) -> bool {
        let type_ok = match &self.select {
            Select::Type(t) => item.item_type().eq_ignore_ascii_case(t),
            Select::HostOrUrl => {
                let ty = item.item_type();
                ty.eq_ignore_ascii_case("host") || ty.eq_ignore_ascii_case("url")
            }
            Select::All => true,
        };
        type_ok
            && self
                .context
                .as_deref()
                .is_none_or(|c| c == item.item_context())
    }

    fn test_item<I: ScanItem>(&self, item: &I, slop: u32) -> bool {
        let value = item.item_value();
        match &self.test {
            Test::Never => false,
            Test::Text(phrase) => phrase.matches(value, slop),
            Test::Keyword { value: q, prefix } => {
                if *prefix {
                    ci_starts_with(value, q)
                } else {
                    ci_eq(value, q)
                }
            }
            Test::Context { value: q, prefix } => {
                let ctx = item.item_context();
                if *prefix {
                    ctx.starts_with(&**q)
                } else {
                    ctx == &**q
                }
            }
            Test::ContextIgnoringCase { value: q, prefix } => {
                let ctx = item.item_context();
                if *prefix {
                    ci_starts_with(ctx, q)
                } else {
                    ci_eq(ctx, q)
                }
            }
            Test::Ip(net) => ip_in(net, value),
            Test::Port(port) => types::parse_port(value) == Some(*port),
            Test::Asn(asn) => types::parse_asn(value) == Some(*asn),
            Test::Host(pattern) => {
                if matches!(self.select, Select::HostOrUrl)
                    && item.item_type().eq_ignore_ascii_case("url")
                {
                    url_host(value).is_some_and(|h| pattern.matches(h))
                } else {
                    pattern.matches(value)
                }
            }
            Test::Url { host, words } => {
                host.as_ref()
                    .is_some_and(|p| url_host(value).is_some_and(|h| p.matches(h)))
                    || (!words.words.is_empty() && words.matches(value, slop))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Case and words

/// The lowercase form of `c` for matching: `char::to_lowercase`, with the final sigma as `σ`.
pub(crate) fn lower_char(c: char) -> impl DoubleEndedIterator<Item = char> {
    c.to_lowercase().map(|l| if l == 'ς' { 'σ' } else { l })
}

/// The characters of `s`, lowercased for matching.
fn lower_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(lower_char)
}

/// Appends the lowercase form of `s` to `out`.
fn push_lowercase(out: &mut String, s: &str) {
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        out.extend(lower_chars(s));
    }
}

/// The lowercase form of `s`.
pub(crate) fn lowercase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_lowercase(&mut out, s);
    out
}

/// The words of an already lowercased string.
fn words_of_lowered(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The words of an ASCII string, in their original case.
fn words_of_ascii(s: &str) -> impl Iterator<Item = &[u8]> {
    s.as_bytes()
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

thread_local! {
    /// A reusable buffer for lowercasing non-ASCII item values.
    static SCRATCH: Cell<String> = const { Cell::new(String::new()) };
}

/// Calls `f` with the lowercase form of `s`, reusing a per-thread buffer.
fn with_lowercase<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = SCRATCH.try_with(Cell::take).unwrap_or_default();
    buf.clear();
    push_lowercase(&mut buf, s);
    let result = f(&buf);
    if buf.capacity() <= 1 << 16 {
        // Fails only while the thread is being torn down; the buffer is then simply dropped.
        let _ = SCRATCH.try_with(|cell| cell.set(buf));
    }
    result
}

/// ASCII-case-insensitive `h.starts_with(q)` on bytes.
fn starts_with_ci(h: &[u8], q: &[u8]) -> bool {
    h.get(..q.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(q))
}

/// ASCII-case-insensitive `h.ends_with(q)` on bytes.
fn ends_with_ci(h: &[u8], q: &[u8]) -> bool {
    h.len()
        .checked_sub(q.len())
        .is_some_and(|at| h[at..].eq_ignore_ascii_case(q))
}

/// Whether `item` equals the lowercased `q`, ignoring case.
fn ci_eq(item: &str, q: &str) -> bool {
    if item.is_ascii() {
        item.eq_ignore_ascii_case(q)
    } else {
        lower_chars(item).eq(q.chars())
    }
}

/// Whether `item` starts with the lowercased `q`, ignoring case.
fn ci_starts_with(item: &str, q: &str) -> bool {
    if item.is_ascii() {
        starts_with_ci(item.as_bytes(), q.as_bytes())
    } else {
        let mut it = lower_chars(item);
        q.chars().all(|c| it.next() == Some(c))
    }
}

/// The lowercased words of a text-match value, and whether the last one is a prefix.
#[derive(Clone, Debug)]
pub(crate) struct Phrase {
    pub(crate) words: Box<[Box<str>]>,
    pub(crate) prefix: bool,
}

/// Phrases of up to this many words keep their search state on the stack.
const STACK_WORDS: usize = 16;

impl Phrase {
    fn new(value: &str, prefix: bool) -> Self {
        let lowered = lowercase(value);
        Phrase {
            words: words_of_lowered(&lowered).map(Box::from).collect(),
            prefix,
        }
    }

    /// Whether the words occur in `text` (see the module docs). Never called with no words.
    fn matches(&self, text: &str, slop: u32) -> bool {
        if text.is_ascii() {
            self.search(words_of_ascii(text), slop)
        } else {
            with_lowercase(text, |lowered| {
                self.search(words_of_lowered(lowered).map(str::as_bytes), slop)
            })
        }
    }

    /// Whether item word `w` satisfies query word `m`.
    #[inline]
    fn word_matches(&self, m: usize, w: &[u8]) -> bool {
        let q = self.words[m].as_bytes();
        if self.prefix && m + 1 == self.words.len() {
            starts_with_ci(w, q)
        } else {
            w.eq_ignore_ascii_case(q)
        }
    }

    fn search<'t>(&self, words: impl Iterator<Item = &'t [u8]>, slop: u32) -> bool {
        let k = self.words.len();
        if k == 0 {
            return false;
        }
        if k == 1 {
            let mut words = words;
            return words.any(|w| self.word_matches(0, w));
        }
        if k <= STACK_WORDS {
            let mut starts = [usize::MAX; STACK_WORDS];
            self.search_with(words, slop, &mut starts[..k - 1])
        } else {
            let mut starts = vec![usize::MAX; k - 1];
            self.search_with(words, slop, &mut starts)
        }
    }

    /// The phrase search proper, in one pass over the item's words.
    ///
    /// `starts[m]` is the latest start position of an occurrence of query words `0..=m` (in
    /// order, at increasing positions) that ends before the current word, or `usize::MAX`.
    /// The latest start gives the shortest occurrence ending at each position, so checking every
    /// end position against the slop is exact.
    fn search_with<'t>(
        &self,
        words: impl Iterator<Item = &'t [u8]>,
        slop: u32,
        starts: &mut [usize],
    ) -> bool {
        let last = starts.len(); // index of the last query word
        let slop = usize::try_from(slop).unwrap_or(usize::MAX);
        for (j, w) in words.enumerate() {
            // From the last query word down, so that one item word serves one query word only.
            for m in (0..=last).rev() {
                if !self.word_matches(m, w) {
                    continue;
                }
                let start = if m == 0 { j } else { starts[m - 1] };
                if start == usize::MAX {
                    continue;
                }
                if m == last {
                    // `last + 1` words at positions start..=j: the rest are extra words.
                    if (j - start).saturating_sub(last) <= slop {
                        return true;
                    }
                } else {
                    starts[m] = start;
                }
            }
        }
        false
    }
}

// ---------------------------------------------------------------------------------------------
// IP addresses

/// Whether the item value `v` is one address inside `net` (either form of an IPv4-mapped address).
fn ip_in(net: &IpNet, v: &str) -> bool {
    let Ok(addr) = v.parse::<IpAddr>() else {
        return false;
    };
    match (net, addr) {
        (IpNet::V4(n), IpAddr::V4(a)) => n.contains(&a),
        (IpNet::V4(n), IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|a| n.contains(&a)),
        (IpNet::V6(n), IpAddr::V6(a)) => n.contains(&a),
        (IpNet::V6(n), IpAddr::V4(a)) => n.contains(&a.to_ipv6_mapped()),
    }
}

// ---------------------------------------------------------------------------------------------
// Ports

// ---------------------------------------------------------------------------------------------
// Hosts and URLs

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostMode {
    /// `host:`: the host or a subdomain of it.
    Suffix,
    /// `host=`: the whole host.
    Exact,
}

/// A compiled host value: lowercased, one trailing dot removed.
#[derive(Clone, Debug)]
pub(crate) struct HostPattern {
    pub(crate) host: Box<str>,
    pub(crate) mode: HostMode,
    pub(crate) prefix: bool,
}

/// `s` without one trailing dot.
fn strip_root(s: &str) -> &str {
    s.strip_suffix('.').unwrap_or(s)
}

impl HostPattern {
    /// `None` when the value holds no host (empty, or only a dot).
    fn new(value: &str, mode: HostMode, prefix: bool) -> Option<Self> {
        let host = if prefix { value } else { strip_root(value) };
        (!host.is_empty()).then(|| HostPattern {
            host: lowercase(host).into(),
            mode,
            prefix,
        })
    }

    fn matches(&self, item_host: &str) -> bool {
        let h = strip_root(item_host);
        if h.is_ascii() {
            self.matches_bytes(h.as_bytes())
        } else {
            with_lowercase(h, |lowered| self.matches_bytes(lowered.as_bytes()))
        }
    }

    /// `h` is ASCII (any case) or already lowercased.
    fn matches_bytes(&self, h: &[u8]) -> bool {
        let q = self.host.as_bytes();
        let dot_led = q.first() == Some(&b'.');
        match (self.mode, self.prefix) {
            (HostMode::Exact, false) => h.eq_ignore_ascii_case(q),
            (HostMode::Exact, true) => starts_with_ci(h, q),
            (HostMode::Suffix, false) => {
                ends_with_ci(h, q)
                    && (dot_led || h.len() == q.len() || h[h.len() - q.len() - 1] == b'.')
            }
            (HostMode::Suffix, true) => {
                // Some label-aligned suffix of `h` starts with `q`.
                if !dot_led && starts_with_ci(h, q) {
                    return true;
                }
                h.iter().enumerate().any(|(i, &b)| {
                    b == b'.' && starts_with_ci(&h[if dot_led { i } else { i + 1 }..], q)
                })
            }
        }
    }
}

/// Whether `s` is a URL scheme: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// The host of a URL, without brackets, port or user information; `None` when it is empty.
fn url_host(url: &str) -> Option<&str> {
    let rest = match url.find("://") {
        Some(i) if is_scheme(&url[..i]) => &url[i + 3..],
        _ => url.strip_prefix("//").unwrap_or(url),
    };
    let authority = rest
        .find(['/', '?', '#', '\\'])
        .map_or(rest, |end| &rest[..end]);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').map_or(bracketed, |(h, _)| h),
        None => host_port.split_once(':').map_or(host_port, |(h, _)| h),
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn url_hosts() {
        let cases = [
            ("https://Example.com/a?b=c", Some("Example.com")),
            (
                "http://user:pw@www.example.com:8080/x",
                Some("www.example.com"),
            ),
            ("http://[2001:db8::1]:443/", Some("2001:db8::1")),
            ("//cdn.example.com/lib.js", Some("cdn.example.com")),
            ("example.com/path", Some("example.com")),
            ("example.com:8080", Some("example.com")),
            ("https://example.com?q=1", Some("example.com")),
            ("https://example.com#top", Some("example.com")),
            ("https://example.com\\@evil.org/", Some("example.com")),
            ("example.com/r?to=http://other.org/", Some("example.com")),
            ("https://", None),
            ("https:///path", None),
            ("", None),
            ("http://[::1", Some("::1")),
        ];
        for (url, host) in cases {
            assert_eq!(url_host(url), host, "{url:?}");
        }
    }

    #[test]
    fn lowercasing_treats_final_sigma_as_sigma() {
        assert_eq!(lowercase("ΟΔΟΣ"), lowercase("οδος"));
        assert!(ci_eq("ΟΔΟΣ", &lowercase("οδος")));
        assert_eq!(lowercase("İ"), "i\u{307}");
    }

    /// The reference for the phrase search: every choice of positions.
    fn phrase_reference(words: &[&str], text: &[&str], prefix: bool, slop: usize) -> bool {
        fn go(
            words: &[&str],
            text: &[&str],
            prefix: bool,
            from: usize,
            gaps: usize,
            slop: usize,
            first: bool,
        ) -> bool {
            let Some((w, rest)) = words.split_first() else {
                return true;
            };
            for j in from..text.len() {
                let gap = if first { 0 } else { j - from };
                if gaps + gap > slop {
                    break;
                }
                let ok = if prefix && rest.is_empty() {
                    text[j].starts_with(w)
                } else {
                    text[j] == *w
                };
                if ok && go(rest, text, prefix, j + 1, gaps + gap, slop, false) {
                    return true;
                }
            }
            false
        }
        !words.is_empty() && go(words, text, prefix, 0, 0, slop, true)
    }

    proptest! {
        #[test]
        fn phrase_search_agrees_with_reference(
            words in prop::collection::vec(prop::sample::select(vec!["a", "b", "ab", "c"]), 0..5),
            text in prop::collection::vec(prop::sample::select(vec!["a", "b", "ab", "c", "abc"]), 0..10),
            prefix in any::<bool>(),
            slop in 0u32..4,
        ) {
            let phrase = Phrase::new(&words.join(" "), prefix);
            let expected = phrase_reference(&words, &text, prefix, slop as usize);
            prop_assert_eq!(!phrase.words.is_empty() && phrase.matches(&text.join(" "), slop), expected);
        }

        #[test]
        fn ascii_fast_paths_agree_with_unicode_rules(
            text in "[a-zA-Z0-9 .\\-_]{0,20}",
            query in "[a-zA-Z0-9 .\\-_]{0,8}",
            prefix in any::<bool>(),
            slop in 0u32..3,
        ) {
            // Lowercasing an ASCII string by the general rule gives its ASCII lowercase.
            let general: String = text.chars().flat_map(lower_char).collect();
            prop_assert_eq!(&general, &text.to_ascii_lowercase());
            let ascii: Vec<String> =
                words_of_ascii(&text).map(|w| String::from_utf8_lossy(w).to_lowercase()).collect();
            let unicode: Vec<&str> = words_of_lowered(&general).collect();
            prop_assert_eq!(ascii, unicode);
            let phrase = Phrase::new(&query, prefix);
            let via_ascii = phrase.search(words_of_ascii(&text), slop);
            let via_unicode = phrase.search(words_of_lowered(&general).map(str::as_bytes), slop);
            prop_assert_eq!(via_ascii, via_unicode);
            let q = lowercase(&query);
            prop_assert_eq!(ci_eq(&text, &q), general == q);
            prop_assert_eq!(ci_starts_with(&text, &q), general.starts_with(&q));
        }
    }
}
