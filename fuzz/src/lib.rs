//! What the fuzz targets share: the checks on spans and positions, and structure-aware inputs
//! (expressions and reports) drawn with `arbitrary` from vocabularies that collide with the
//! syntax and with each other, so that built terms often match built items.

use arbitrary::Arbitrary;
use driftql::{Diagnostic, Expr, Item, MAX_DEPTH, Op, ParseError, Query, Report, Span, Term};

// ---------------------------------------------------------------------------------------------
// Spans and positions

/// The 1-based line and column (in characters) of the byte offset `at`, which is a character
/// boundary of `src`: counted here independently of the crate.
pub fn line_column(src: &str, at: usize) -> (usize, usize) {
    let before = &src[..at];
    let line = 1 + before.matches('\n').count();
    let column = 1 + before.chars().rev().take_while(|&c| c != '\n').count();
    (line, column)
}

/// `span` lies within `src`, starts no later than it ends, and both ends are character
/// boundaries.
#[track_caller]
pub fn check_span(src: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end && span.end <= src.len(),
        "{what}: span {span:?} outside the input of {} bytes: {src:?}",
        src.len()
    );
    assert!(
        src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
        "{what}: span {span:?} not on character boundaries: {src:?}"
    );
}

/// A diagnostic's span (and its fix's span) lie within `src` on character boundaries, and its
/// line and column are those of the span's start.
#[track_caller]
pub fn check_diagnostic(src: &str, d: &Diagnostic) {
    check_span(src, d.span, d.code);
    assert_eq!(
        (d.line, d.column),
        line_column(src, d.span.start),
        "{}: line and column of {:?} in {src:?}",
        d.code,
        d.span
    );
    assert!(!d.message.is_empty(), "{}: no message", d.code);
    if let Some(fix) = &d.fix {
        check_span(src, fix.span, d.code);
    }
}

/// A syntax error describes the input: its span, line, column and code.
#[track_caller]
pub fn check_parse_error(src: &str, e: &ParseError) {
    let d = e.diagnostic();
    assert_eq!(e.span(), d.span);
    assert_eq!((e.line(), e.column()), (d.line, d.column));
    assert_eq!(e.code(), d.code);
    assert_eq!(e.code(), e.kind().code());
    check_diagnostic(src, d);
    assert!(d.is_error());
    assert!(d.fix.is_none(), "a syntax error with a fix: {e:?}");
    let _ = e.to_string();
}

/// Every span in a parsed tree lies within its source, and says what stands there: a term's
/// text parses to the term, a `not`'s text to the negation, the operator and type are where the
/// term says they are.
#[track_caller]
pub fn check_tree_spans(q: &Query) {
    let src = q.source();
    // Re-parsing the text of every node would be quadratic: a budget of bytes bounds it.
    let mut budget = 2 * src.len() + 64;
    let mut affordable = |span: Span| {
        let ok = span.len() <= budget;
        if ok {
            budget -= span.len();
        }
        ok
    };
    let mut stack = vec![q.expr()];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Term(t) => {
                check_term_spans(src, t);
                if affordable(t.span()) {
                    let alone = driftql::parse(&src[t.span().range()]).unwrap_or_else(|err| {
                        panic!("term {t} at {:?} of {src:?}: {err}", t.span())
                    });
                    assert_eq!(alone.expr(), e, "the text of term {t} in {src:?}");
                }
            }
            Expr::Not { operand, span, .. } => {
                check_span(src, *span, "not");
                if affordable(*span) {
                    let text = &src[span.range()];
                    assert!(
                        text.get(..3).is_some_and(|k| k.eq_ignore_ascii_case("not")),
                        "a `not` span {span:?} of {src:?} starts with {text:?}"
                    );
                    let alone = driftql::parse(text)
                        .unwrap_or_else(|err| panic!("`not` at {span:?} of {src:?}: {err}"));
                    assert_eq!(alone.expr(), e, "the text {text:?} of a `not` in {src:?}");
                }
                stack.push(operand);
            }
            Expr::And(g) | Expr::Or(g) => {
                let span = g.span();
                check_span(src, span, "group");
                if affordable(span) {
                    let text = &src[span.range()];
                    let alone = driftql::parse(text)
                        .unwrap_or_else(|err| panic!("group at {span:?} of {src:?}: {err}"));
                    assert_eq!(alone.expr(), e, "the text {text:?} of a group in {src:?}");
                }
                stack.extend(g.iter());
            }
        }
    }
}

fn check_term_spans(src: &str, t: &Term) {
    let span = t.span();
    let value = t.value_span();
    check_span(src, span, "term");
    check_span(src, value, "value");
    check_span(src, t.type_span(), "type");
    check_span(src, t.op_span(), "operator");
    assert!(span.start <= value.start && value.end <= span.end);
    assert!(
        src[t.type_span().range()].eq_ignore_ascii_case(t.ty()),
        "type span of {t} in {src:?}"
    );
    assert_eq!(
        &src[t.op_span().range()],
        t.op().to_string(),
        "operator span of {t} in {src:?}"
    );
    let tail = &src[value.end..span.end];
    assert_eq!(tail, if t.is_prefix() { "*" } else { "" }, "{t} in {src:?}");
}

/// The builder's invariants: groups hold at least two operands, none of them a group of their
/// own kind.
#[track_caller]
pub fn check_flat(e: &Expr) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::And(g) => {
                assert!(g.len() >= 2, "a group of {} operand(s)", g.len());
                assert!(!g.iter().any(|c| matches!(c, Expr::And(_))), "{e}");
                stack.extend(g.iter());
            }
            Expr::Or(g) => {
                assert!(g.len() >= 2, "a group of {} operand(s)", g.len());
                assert!(!g.iter().any(|c| matches!(c, Expr::Or(_))), "{e}");
                stack.extend(g.iter());
            }
            Expr::Not { operand, .. } => stack.push(operand),
            Expr::Term(_) => {}
        }
    }
}

/// The text of `data`: itself when it is UTF-8, else with every invalid sequence replaced.
pub fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// `json` with characters inside its strings written as escapes where `choice` says (cycling
/// through it): `/` as `\/`, any other character as `\uXXXX` (surrogate pairs beyond the
/// basic plane). The JSON means the same.
pub fn escaped(json: &str, choice: &[u8]) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut in_string = false;
    let mut backslash = false;
    for (i, c) in json.chars().enumerate() {
        let pick = !choice.is_empty() && choice[i % choice.len()] & 1 == 1;
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

// ---------------------------------------------------------------------------------------------
// Vocabularies

/// Types beyond the registry that reports hold, and names that look like keywords.
const EXTRA_TYPES: &[&str] = &[
    "cert-dns-name",
    "and",
    "or",
    "not",
    "AND",
    "Not",
    "x-unknown",
    "TITLE",
    "Host",
    "_",
    ".",
    "-",
    "0",
];

/// Words that values and contexts are made of: what items hold, and what each type reads.
const WORDS: &[&str] = &[
    "dahua",
    "hikvision",
    "nginx",
    "Apache",
    "foo",
    "bar",
    "foo bar",
    "RU",
    "gb",
    "GB",
    "http",
    "MODBUS",
    "ssh",
    "Server",
    "443",
    "0443",
    "65535",
    "65536",
    "8.8.8.8",
    "10.0.0.0/8",
    "10.1.2.3",
    "::ffff:10.1.2.3",
    "2001:db8::/32",
    "2001:db8::1",
    "010.0.0.1",
    "example.com",
    "www.example.com",
    ".example.com",
    "example.com.",
    "https://user@a.example.com:8080/x?y#z",
    "//cdn.example.com/",
    "http://[2001:db8::1]:443/",
    "cert-dns-name",
    "ΟΔΟΣ",
    "οδος",
    "İ",
    "ß",
    "東京",
    "🦀",
];

/// Pieces that collide with the syntax.
const TRICKY: &[&str] = &[
    "\"",
    "\\",
    "*",
    "(",
    ")",
    " ",
    "\t",
    "\n",
    "\r",
    ":",
    "=",
    ";",
    "\\\"",
    "\\\\",
    "\u{a0}",
    "\u{3000}",
    "\u{85}",
    "\u{b}",
    "\u{c}",
    "\u{0}",
    "é",
    "\" or title:\"",
    ") or (",
    " not ",
    "*)",
    "and",
    "OR",
    "not",
    "--",
    "/",
    "://",
    ".",
    "@",
    "[",
    "]",
    "#",
    "?",
];

fn pick<'a>(xs: &[&'a str], i: u8) -> &'a str {
    xs[usize::from(i) % xs.len()]
}

/// One piece of a value or context.
#[derive(Arbitrary, Debug, Clone)]
pub enum Piece {
    Word(u8),
    Tricky(u8),
    Raw(String),
}

/// A value or a context: a few pieces, possibly none (the empty string).
#[derive(Arbitrary, Debug, Clone)]
pub struct FText(pub Vec<Piece>);

impl FText {
    /// The text, of at most 8 pieces.
    pub fn build(&self) -> String {
        let mut s = String::new();
        for p in self.0.iter().take(8) {
            match p {
                Piece::Word(i) => s.push_str(pick(WORDS, *i)),
                Piece::Tricky(i) => s.push_str(pick(TRICKY, *i)),
                Piece::Raw(r) => s.extend(r.chars().take(16)),
            }
        }
        s
    }
}

/// A type name: from the registry, a name reports hold, one made of the type alphabet, or any
/// string (which the builder may refuse).
#[derive(Arbitrary, Debug, Clone)]
pub enum FType {
    Known(u8),
    KnownUpper(u8),
    Extra(u8),
    Alphabet(Vec<u8>),
    Raw(String),
}

impl FType {
    pub fn build(&self) -> String {
        let types = driftql::types::TYPES;
        match self {
            FType::Known(i) => types[usize::from(*i) % types.len()].name.to_string(),
            FType::KnownUpper(i) => types[usize::from(*i) % types.len()]
                .name
                .to_ascii_uppercase(),
            FType::Extra(i) => pick(EXTRA_TYPES, *i).to_string(),
            FType::Alphabet(bytes) => {
                const ALPHABET: &[u8] =
                    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
                let name: String = bytes
                    .iter()
                    .take(16)
                    .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
                    .collect();
                if name.is_empty() { "t".into() } else { name }
            }
            FType::Raw(s) => s.chars().take(16).collect(),
        }
    }
}

/// A term, as the builder API takes it.
#[derive(Arbitrary, Debug, Clone)]
pub struct FTerm {
    pub ty: FType,
    pub ctx: Option<FText>,
    pub keyword: bool,
    pub value: FText,
    pub prefix: bool,
}

/// An expression, as the builder API builds it.
#[derive(Arbitrary, Debug, Clone)]
pub enum FExpr {
    Term(FTerm),
    Not(Box<FExpr>),
    /// `Expr::all`.
    And(Vec<FExpr>),
    /// `Expr::any`.
    Or(Vec<FExpr>),
    /// `Expr::and` or `Expr::or` of two operands.
    Pair {
        or: bool,
        left: Box<FExpr>,
        right: Box<FExpr>,
    },
    /// Nested `not`s, or groups that do not flatten, around `inner`: a few levels, or (when
    /// `levels` is 248 or more) enough to bring the tree near and past the depth bound.
    Nest {
        levels: u8,
        groups: bool,
        inner: Box<FExpr>,
    },
}

/// How much of an [`FExpr`] is built.
pub struct Limits {
    /// Tree levels below which nodes are built (deeper ones become a term).
    pub depth: usize,
    /// Terms left to build.
    pub terms: usize,
    /// Whether a `Nest` may still be built (one per tree).
    pub nest: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth: 16,
            terms: 64,
            nest: true,
        }
    }
}

fn filler(i: usize) -> Expr {
    Term::new("t", Op::Match, i.to_string()).into()
}

impl FTerm {
    /// The term, through `Term::try_new`; a type the builder refuses is checked to be outside the
    /// type alphabet, and replaced.
    pub fn build(&self) -> Term {
        let ty = self.ty.build();
        let op = if self.keyword { Op::Keyword } else { Op::Match };
        let value = self.value.build();
        let valid = !ty.is_empty()
            && ty
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        let term = match Term::try_new(&ty, op, value.clone()) {
            Ok(t) => {
                assert!(valid, "the type {ty:?} was accepted");
                assert_eq!(t.ty(), ty.to_ascii_lowercase());
                t
            }
            Err(e) => {
                assert!(!valid, "the type {ty:?} was refused: {e}");
                Term::new("title", op, value)
            }
        };
        let term = match &self.ctx {
            Some(c) => term.with_context(c.build()),
            None => term,
        };
        term.with_prefix(self.prefix)
    }
}

impl FExpr {
    /// The expression, built with the builder API within `limits`.
    pub fn build(&self, limits: &mut Limits) -> Expr {
        if limits.terms == 0 {
            return filler(0);
        }
        if limits.depth == 0 {
            return match self {
                FExpr::Term(t) => {
                    limits.terms -= 1;
                    t.build().into()
                }
                _ => filler(1),
            };
        }
        limits.depth -= 1;
        let e = match self {
            FExpr::Term(t) => {
                limits.terms -= 1;
                t.build().into()
            }
            FExpr::Not(inner) => !inner.build(limits),
            FExpr::And(v) | FExpr::Or(v) => {
                let operands: Vec<Expr> = v.iter().take(8).map(|c| c.build(limits)).collect();
                let n = operands.len();
                let first = operands.first().cloned();
                let built = if matches!(self, FExpr::And(_)) {
                    Expr::all(operands)
                } else {
                    Expr::any(operands)
                };
                match (built, n) {
                    (None, 0) => filler(2),
                    (Some(e), 1) => {
                        assert_eq!(Some(&e), first.as_ref(), "a group of one is its operand");
                        e
                    }
                    (Some(e), _) => e,
                    (None, _) => panic!("no group from {n} operands"),
                }
            }
            FExpr::Pair { or, left, right } => {
                let (l, r) = (left.build(limits), right.build(limits));
                if *or { l.or(r) } else { l.and(r) }
            }
            FExpr::Nest {
                levels,
                groups,
                inner,
            } => {
                let mut e = inner.build(limits);
                let levels = match *levels {
                    l @ 248.. if std::mem::take(&mut limits.nest) => {
                        (MAX_DEPTH + usize::from(l) - 250).saturating_sub(e.depth())
                    }
                    l => usize::from(l % 4),
                };
                for i in 0..levels {
                    e = if !*groups {
                        !e
                    } else if i % 2 == 0 {
                        filler(i).and(e)
                    } else {
                        filler(i).or(e)
                    };
                }
                e
            }
        };
        limits.depth += 1;
        e
    }
}

// ---------------------------------------------------------------------------------------------
// Reports

/// Item values worth meeting: what the terms' vocabularies hold.
#[derive(Arbitrary, Debug, Clone)]
pub struct FItem {
    pub ty: FType,
    pub context: FText,
    pub value: FText,
    pub is_metadata: bool,
}

/// A report of at most 16 items.
#[derive(Arbitrary, Debug, Clone)]
pub struct FReport {
    pub id: String,
    pub items: Vec<FItem>,
}

impl FReport {
    /// A report as [`driftql::report`] defines one: its id is never empty.
    pub fn build(&self) -> Report {
        Report {
            date: "2024-01-02".into(),
            id: if self.id.is_empty() {
                "r".to_owned()
            } else {
                self.id.clone()
            },
            items: self
                .items
                .iter()
                .take(16)
                .map(|i| Item {
                    ty: i.ty.build(),
                    context: i.context.build(),
                    value: i.value.build(),
                    is_metadata: i.is_metadata,
                })
                .collect(),
        }
    }
}
