//! The parser: text → pest pairs → [`Expr`], with a nesting guard and error diagnosis.
//!
//! Parsing runs in three steps:
//!
//! 1. **Nesting guard.** A linear scan bounds the nesting of `(` and `not` before the grammar runs,
//!    so no input can exhaust the stack (parse, print or drop). Most inputs skip the scan: when
//!    the count of `(` plus the count of `n`/`N` bytes is at most [`MAX_DEPTH`], nothing can nest
//!    deeper.
//! 2. **The pest grammar** (`grammar/expression.pest`) decides whether the input is in the
//!    language; on success the tree is built straight from the pairs.
//! 3. **Diagnosis.** When the grammar rejects the input, a small scanner that follows the same
//!    grammar walks the input to the first problem and names it: an unterminated string, a
//!    missing operator, a space inside a term, and so on ([`SyntaxErrorKind`]), with a help text.
//!    Pest's own error (position and expected tokens) is the fallback, translated into the
//!    language's words.

use pest::Parser as _;
use pest::iterators::{Pair, Pairs};

use crate::ast::{Expr, GroupKind, Op, Span, Term, intern_type, is_type_char};
use crate::diagnostic::{Diagnostic, Severity};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/expression.pest"]
struct Grammar;

/// The deepest nesting of parentheses and `not` that parses; one more is a `too-deep` error.
pub const MAX_DEPTH: usize = 256;

/// What kind of syntax error a [`ParseError`] is. [`SyntaxErrorKind::code`] is its stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyntaxErrorKind {
    /// Any other syntax error (`syntax`).
    Syntax,
    /// A `"` with no closing `"` (`unterminated-string`).
    UnterminatedString,
    /// Two operands with no `and`/`or` between them (`missing-operator`).
    MissingOperator,
    /// A word or value with no `type:` in front of it (`missing-type`).
    MissingType,
    /// A `*` that is not at the end of a value (`misplaced-wildcard`).
    MisplacedWildcard,
    /// Whitespace inside a term, e.g. `title: foo` (`space-in-term`).
    SpaceInTerm,
    /// Nesting deeper than [`MAX_DEPTH`] (`too-deep`).
    TooDeep,
    /// Nothing but whitespace (`empty-expression`).
    EmptyExpression,
    /// A `(` never closed, or a `)` never opened (`unbalanced-parenthesis`).
    UnbalancedParenthesis,
    /// A `\` at the very end of the input (`dangling-escape`).
    DanglingEscape,
    /// An operator `:`/`=` with no value after it (`missing-value`).
    MissingValue,
    /// `and`, `or` or `not` with no operand where one is needed (`missing-operand`).
    MissingOperand,
    /// `()` with nothing inside (`empty-group`).
    EmptyGroup,
}

impl SyntaxErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [SyntaxErrorKind] = &[
        SyntaxErrorKind::Syntax,
        SyntaxErrorKind::UnterminatedString,
        SyntaxErrorKind::MissingOperator,
        SyntaxErrorKind::MissingType,
        SyntaxErrorKind::MisplacedWildcard,
        SyntaxErrorKind::SpaceInTerm,
        SyntaxErrorKind::TooDeep,
        SyntaxErrorKind::EmptyExpression,
        SyntaxErrorKind::UnbalancedParenthesis,
        SyntaxErrorKind::DanglingEscape,
        SyntaxErrorKind::MissingValue,
        SyntaxErrorKind::MissingOperand,
        SyntaxErrorKind::EmptyGroup,
    ];

    /// The stable kebab-case code.
    pub const fn code(self) -> &'static str {
        match self {
            SyntaxErrorKind::Syntax => "syntax",
            SyntaxErrorKind::UnterminatedString => "unterminated-string",
            SyntaxErrorKind::MissingOperator => "missing-operator",
            SyntaxErrorKind::MissingType => "missing-type",
            SyntaxErrorKind::MisplacedWildcard => "misplaced-wildcard",
            SyntaxErrorKind::SpaceInTerm => "space-in-term",
            SyntaxErrorKind::TooDeep => "too-deep",
            SyntaxErrorKind::EmptyExpression => "empty-expression",
            SyntaxErrorKind::UnbalancedParenthesis => "unbalanced-parenthesis",
            SyntaxErrorKind::DanglingEscape => "dangling-escape",
            SyntaxErrorKind::MissingValue => "missing-value",
            SyntaxErrorKind::MissingOperand => "missing-operand",
            SyntaxErrorKind::EmptyGroup => "empty-group",
        }
    }
}

/// A syntax error: its kind, where it is (byte span, 1-based line and column), what is wrong and
/// how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} (line {}, column {})", .diagnostic.message, .diagnostic.line, .diagnostic.column)]
pub struct ParseError {
    kind: SyntaxErrorKind,
    diagnostic: Box<Diagnostic>,
}

impl ParseError {
    pub(crate) fn new(
        kind: SyntaxErrorKind,
        source: &str,
        span: Span,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        let mut diagnostic = Diagnostic::new(Severity::Error, kind.code(), source, span, message);
        diagnostic.help = help;
        ParseError {
            kind,
            diagnostic: Box::new(diagnostic),
        }
    }

    pub(crate) fn too_deep(source: &str, span: Span) -> Self {
        ParseError::new(
            SyntaxErrorKind::TooDeep,
            source,
            span,
            format!("the expression nests deeper than {MAX_DEPTH} levels of parentheses and `not`"),
            Some(
                "simplify the expression: remove redundant parentheses and double negations".into(),
            ),
        )
    }

    /// The same error about `span` of `source` (its line and column computed there).
    pub(crate) fn relocated(&self, source: &str, span: Span) -> ParseError {
        ParseError::new(
            self.kind,
            source,
            span,
            self.diagnostic.message.clone(),
            self.diagnostic.help.clone(),
        )
    }

    /// The kind of error.
    pub fn kind(&self) -> SyntaxErrorKind {
        self.kind
    }

    /// The stable code, e.g. `unterminated-string`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The bytes of the input the error is about (always on character boundaries).
    pub fn span(&self) -> Span {
        self.diagnostic.span
    }

    /// 1-based line of the error.
    pub fn line(&self) -> usize {
        self.diagnostic.line
    }

    /// 1-based column of the error, in characters.
    pub fn column(&self) -> usize {
        self.diagnostic.column
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.diagnostic.message
    }

    /// How to fix it.
    pub fn help(&self) -> Option<&str> {
        self.diagnostic.help.as_deref()
    }

    /// The error as a [`Diagnostic`] (severity error), for rendering beside validation findings.
    pub fn diagnostic(&self) -> &Diagnostic {
        &self.diagnostic
    }

    /// The error as an owned [`Diagnostic`].
    pub fn into_diagnostic(self) -> Diagnostic {
        *self.diagnostic
    }
}

/// Parses an expression into a bare tree.
pub(crate) fn parse_expr(input: &str) -> Result<Expr, ParseError> {
    let bound = nesting_bound(input);
    check_depth(input, bound)?;
    match run_grammar(input, bound) {
        Ok(mut pairs) => {
            let expression = pairs.next().expect("the expression rule");
            let or_expr = expression
                .into_inner()
                .find(|p| p.as_rule() == Rule::or_expr)
                .expect("an or_expr inside the expression");
            let expr = build_or(input, or_expr);
            check_tree_depth(input, &expr)?;
            Ok(expr)
        }
        Err(e) => Err(diagnose(input).unwrap_or_else(|| from_pest(input, &e))),
    }
}

// ---------------------------------------------------------------------------------------------
// Pairs → tree

/// Builds the tree of an `or_expr`.
///
/// An `or_expr`'s children are its operands — each a `term` or a parenthesised `or_expr`, with
/// the `not_kw`s that negate it just before it — and an `or_kw` between one `and` chain and the
/// next: operands are gathered into the current `and` chain, and an `or` (or the end) closes it
/// as one operand of the `or` group, which gives `and` its precedence over `or`. The walk keeps
/// its own stack of open groups instead of recursing, so the Rust stack it uses does not grow
/// with the nesting of the input.
fn build_or(src: &str, pair: Pair<'_, Rule>) -> Expr {
    /// An `or_expr` whose operands are being built.
    struct Open<'i> {
        /// The `or` operands finished so far, flattened.
        ors: Vec<Expr>,
        /// Where the first `or` operand starts and the last one ends.
        ors_span: Option<Span>,
        /// The operands of the `and` chain being read, flattened.
        ands: Vec<Expr>,
        /// Where the chain's first operand starts and its last one ends.
        ands_span: Option<Span>,
        /// Where the `not`s before the operand being read start, and whether each stands right
        /// after an operand (a juxtaposed `not`, which carries the `and`).
        nots: Vec<(usize, bool)>,
        /// Where the last operand of the chain ended, to tell a juxtaposed `not`.
        last_end: Option<usize>,
        /// The children still to read.
        rest: Pairs<'i, Rule>,
        /// Where the group's text starts and ends (inside its parentheses).
        span: Span,
    }

    impl<'i> Open<'i> {
        fn new(pair: Pair<'i, Rule>) -> Self {
            let span = span_of(&pair);
            Open {
                ors: Vec::new(),
                ors_span: None,
                ands: Vec::new(),
                ands_span: None,
                nots: Vec::new(),
                last_end: None,
                rest: pair.into_inner(),
                span,
            }
        }

        /// A `not` at `start`: juxtaposed when only whitespace separates it from the operand
        /// before it (an `and` between them leaves no pair, but it is text).
        fn not(&mut self, src: &str, start: usize) {
            let juxtaposed = self.nots.is_empty()
                && self
                    .last_end
                    .is_some_and(|end| src.as_bytes()[end..start].iter().all(|&b| is_ws(b)));
            self.nots.push((start, juxtaposed));
        }

        /// Adds an operand spanning `span` to the `and` chain, under the `not`s before it.
        fn push(&mut self, mut e: Expr, span: Span) {
            let start = self.nots.first().map_or(span.start, |&(at, _)| at);
            for (at, juxtaposed) in self.nots.drain(..).rev() {
                e = Expr::Not {
                    operand: Box::new(e),
                    span: Span::new(at, span.end),
                    juxtaposed,
                };
            }
            self.ands_span = Some(widen(self.ands_span, Span::new(start, span.end)));
            self.last_end = Some(span.end);
            match e {
                Expr::And(g) => self.ands.extend(g.into_operands()),
                e => self.ands.push(e),
            }
        }

        /// Ends the `and` chain: it becomes one operand of the `or`. A chain of one operand
        /// leaves its vector behind for the next chain, so `a or b or c` allocates none.
        fn end_chain(&mut self) {
            let span = self.ands_span.take().expect("a chain has an operand");
            let chain = if self.ands.len() == 1 {
                self.ands.pop().expect("one operand")
            } else {
                let chain = std::mem::take(&mut self.ands);
                Expr::from_flat(GroupKind::And, chain, span).expect("an operand")
            };
            self.ors_span = Some(widen(self.ors_span, span));
            self.last_end = None;
            match chain {
                Expr::Or(g) => self.ors.extend(g.into_operands()),
                e => self.ors.push(e),
            }
        }
    }

    /// `span` extended to the end of `next`, or `next` when there is nothing yet.
    fn widen(span: Option<Span>, next: Span) -> Span {
        span.map_or(next, |s| Span::new(s.start, next.end))
    }

    let mut open = vec![Open::new(pair)];
    loop {
        let top = open.last_mut().expect("an open group");
        match top.rest.next() {
            Some(p) => match p.as_rule() {
                Rule::term => {
                    let term = build_term(p);
                    let span = term.span();
                    top.push(Expr::Term(term), span);
                }
                Rule::not_kw => top.not(src, p.as_span().start()),
                Rule::or_kw => top.end_chain(),
                Rule::or_expr => open.push(Open::new(p)),
                r => unreachable!("unexpected {r:?} in an expression"),
            },
            None => {
                let mut done = open.pop().expect("an open group");
                done.end_chain();
                let span = done.ors_span.unwrap_or(done.span);
                let mut expr = Expr::from_flat(GroupKind::Or, done.ors, span).expect("an operand");
                let Some(parent) = open.last_mut() else {
                    return expr;
                };
                // A nested `or_expr` was parenthesised: as an operand, it runs from its `(` to
                // its `)`, which only whitespace separates from its text.
                let start = src[..done.span.start].rfind('(').unwrap_or(done.span.start);
                let end = src[done.span.end..]
                    .find(')')
                    .map_or(done.span.end, |i| done.span.end + i + 1);
                let parens = Span::new(start, end);
                expr.set_group_span(parens);
                parent.push(expr, parens);
            }
        }
    }
}

/// Builds a term from its pairs: the context when there is one, and the value. The type is the
/// text up to the first `;`, `:` or `=`; the operator is the character before the value; a `*` is
/// whatever the term holds after the value.
fn build_term(pair: Pair<'_, Rule>) -> Term {
    let span = span_of(&pair);
    let text = pair.as_str();
    let type_len = text
        .bytes()
        .position(|b| matches!(b, b';' | b':' | b'='))
        .expect("a term has an operator");
    let ty = intern_type(&text[..type_len]);
    let mut inner = pair.into_inner();
    let first = inner.next().expect("a value");
    let (context, value) = match inner.next() {
        Some(value) => (Some(decode_text(&first)), value),
        None => (None, first),
    };
    let value_span = span_of(&value);
    let op = match text.as_bytes()[value_span.start - span.start - 1] {
        b':' => Op::Match,
        _ => Op::Keyword,
    };
    let prefix = span.end > value_span.end;
    Term::from_parts(
        ty,
        context,
        op,
        decode_text(&value),
        prefix,
        span,
        value_span,
    )
}

/// Decodes a bare value or context, or a quoted string.
fn decode_text(pair: &Pair<'_, Rule>) -> String {
    let text = pair.as_str();
    if pair.as_rule() == Rule::quoted {
        unescape(&text[1..text.len() - 1])
    } else {
        unescape(text)
    }
}

/// `\x` stands for `x`; everything else stands for itself.
fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // The grammar guarantees a character after every `\`.
            if let Some(escaped) = chars.next() {
                out.push(escaped);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

// ---------------------------------------------------------------------------------------------
// A token scanner shared by the nesting guard and the diagnosis.

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The byte offset just past the character at `at`.
fn char_end(s: &str, at: usize) -> usize {
    s[at..].chars().next().map_or(at, |c| at + c.len_utf8())
}

fn char_at(s: &str, at: usize) -> Option<char> {
    s.get(at..).and_then(|r| r.chars().next())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keyword {
    And,
    Or,
    Not,
}

impl Keyword {
    fn name(self) -> &'static str {
        match self {
            Keyword::And => "and",
            Keyword::Or => "or",
            Keyword::Not => "not",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Keyword(Keyword),
    /// A run of characters up to whitespace, a parenthesis or the end, with quoted strings and
    /// escapes inside it skipped as units: a term, or something that should have been one.
    Word,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    tok: Tok,
    span: Span,
}

/// Splits the input into tokens. Stops with an error at an unterminated string or a dangling
/// escape.
struct Scanner<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn new(src: &'a str) -> Self {
        Scanner { src, pos: 0 }
    }

    /// The offset of the next non-whitespace byte at or after `at`.
    fn skip_ws(&self, mut at: usize) -> usize {
        let b = self.src.as_bytes();
        while at < b.len() && is_ws(b[at]) {
            at += 1;
        }
        at
    }

    fn next_token(&mut self) -> Option<Result<Token, ParseError>> {
        let src = self.src;
        let b = src.as_bytes();
        let start = self.skip_ws(self.pos);
        if start >= b.len() {
            self.pos = start;
            return None;
        }
        let simple = |tok, len| Token {
            tok,
            span: Span::new(start, start + len),
        };
        let token = match b[start] {
            b'(' => simple(Tok::Open, 1),
            b')' => simple(Tok::Close, 1),
            _ => {
                let end = match scan_word(src, start) {
                    Ok(end) => end,
                    Err(e) => {
                        self.pos = b.len();
                        return Some(Err(e));
                    }
                };
                let word = &src[start..end];
                // A keyword is a whole word followed by whitespace, `(` or the end. Only the
                // diagnosis reads `)` after a keyword, where it is a clearer error as a keyword.
                let kw = [Keyword::And, Keyword::Or, Keyword::Not]
                    .into_iter()
                    .find(|k| k.name().eq_ignore_ascii_case(word));
                simple(kw.map_or(Tok::Word, Tok::Keyword), end - start)
            }
        };
        self.pos = token.span.end;
        Some(Ok(token))
    }
}

/// The end of the word starting at `start`: the first whitespace, `(` or `)` outside a quoted
/// string and not escaped.
///
/// As in the grammar, a `"` opens a string only where a value or context may start: at the start
/// of the word or right after an unescaped `:`, `=` or `;`. Anywhere else it is an ordinary
/// character here, and the term check reports it.
fn scan_word(src: &str, start: usize) -> Result<usize, ParseError> {
    let b = src.as_bytes();
    let mut i = start;
    let mut string_may_open = true;
    while i < b.len() {
        let c = b[i];
        if is_ws(c) || c == b'(' || c == b')' {
            break;
        }
        let next = match c {
            b'"' if string_may_open => scan_string(src, i)?,
            b'\\' => scan_escape(src, i)?,
            _ => i + 1,
        };
        string_may_open = matches!(c, b':' | b'=' | b';');
        i = next;
    }
    Ok(i)
}

/// The offset just past the closing quote of the string opening at `open`.
fn scan_string(src: &str, open: usize) -> Result<usize, ParseError> {
    let b = src.as_bytes();
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(i + 1),
            b'\\' => i = scan_escape(src, i)?,
            _ => i += 1,
        }
    }
    Err(ParseError::new(
        SyntaxErrorKind::UnterminatedString,
        src,
        Span::new(open, src.len()),
        "this string is never closed",
        Some("add a closing `\"`; write a literal quote inside a string as `\\\"`".into()),
    ))
}

/// The offset just past the escape `\x` at `at`.
fn scan_escape(src: &str, at: usize) -> Result<usize, ParseError> {
    if at + 1 >= src.len() {
        return Err(ParseError::new(
            SyntaxErrorKind::DanglingEscape,
            src,
            Span::new(at, at + 1),
            "a `\\` at the end of the input escapes nothing",
            Some("remove it, or write `\\\\` for a literal backslash".into()),
        ));
    }
    Ok(char_end(src, at + 1))
}

// ---------------------------------------------------------------------------------------------
// Nesting guard

/// An upper bound on the nesting of `input`: every level needs a `(` or a `not`, and every `not`
/// an `n`.
fn nesting_bound(input: &str) -> usize {
    input
        .bytes()
        .filter(|&b| matches!(b, b'(' | b'n' | b'N'))
        .count()
}

/// Nesting up to which the grammar runs on the caller's stack without a check.
const SHALLOW: usize = 16;
/// Native stack the grammar may need per level of parentheses: generous (an unoptimised build
/// needs 2 to 4 KiB), so that the levels' share, at least `SHALLOW + 1` of them, also holds what
/// the parse needs besides them.
const STACK_PER_LEVEL: usize = 16 * 1024;

/// Runs the grammar. Only `(` makes it recurse, and [`check_depth`] has bounded the nesting; for
/// a deep input the grammar runs on a larger stack segment when the caller's thread has too little
/// left, so even a small thread stack cannot overflow.
fn run_grammar(input: &str, bound: usize) -> Result<Pairs<'_, Rule>, pest::error::Error<Rule>> {
    let parse = || Grammar::parse(Rule::expression, input);
    if bound <= SHALLOW {
        return parse();
    }
    // `check_depth` has let through at most `MAX_DEPTH` levels, whatever `bound` counted.
    let need = bound.min(MAX_DEPTH) * STACK_PER_LEVEL;
    stacker::maybe_grow(need, need, parse)
}

fn check_depth(input: &str, bound: usize) -> Result<(), ParseError> {
    // With few `(` and `n` bytes, the scan below cannot find anything.
    if bound <= MAX_DEPTH {
        return Ok(());
    }
    #[derive(PartialEq)]
    enum Level {
        Paren,
        Not,
    }
    let mut stack: Vec<Level> = Vec::new();
    let pop_nots = |stack: &mut Vec<Level>| {
        while stack.last() == Some(&Level::Not) {
            stack.pop();
        }
    };
    let mut scanner = Scanner::new(input);
    // A token the scanner cannot read is a syntax error the grammar reports; the grammar never
    // reads past it, so the nesting up to it is all that matters.
    while let Some(Ok(token)) = scanner.next_token() {
        match token.tok {
            Tok::Open => stack.push(Level::Paren),
            Tok::Keyword(Keyword::Not) if !followed_by_close(input, token.span.end) => {
                stack.push(Level::Not)
            }
            Tok::Close => {
                pop_nots(&mut stack);
                stack.pop();
                pop_nots(&mut stack);
            }
            Tok::Word => pop_nots(&mut stack),
            Tok::Keyword(_) => {}
        }
        if stack.len() > MAX_DEPTH {
            return Err(ParseError::too_deep(input, token.span));
        }
    }
    Ok(())
}

/// Bounds the nesting of the tree the way it is printed: in the canonical form every `and`/`or`
/// group is parenthesised, so precedence can nest the tree deeper than the parentheses written
/// (`a:1 or b:1 and (…)` is two groups for one `(`). Without this bound such an input would
/// parse while its canonical form, and [`Query::try_from`] on its tree, report `too-deep`.
fn check_tree_depth(input: &str, expr: &Expr) -> Result<(), ParseError> {
    // Every level of the tree takes at least one byte of input.
    if input.len() <= MAX_DEPTH {
        return Ok(());
    }
    // Each node with the number of groups and `not`s around it.
    let mut stack = vec![(expr, 0usize)];
    while let Some((e, around)) = stack.pop() {
        if around > MAX_DEPTH {
            let term = e.terms().next().expect("every expression holds a term");
            return Err(ParseError::new(
                SyntaxErrorKind::TooDeep,
                input,
                term.span(),
                format!(
                    "the expression nests deeper than {MAX_DEPTH} levels once every `and`/`or` group is parenthesised"
                ),
                Some(
                    "simplify the expression; note that `and` binds tighter than `or`, so `a:1 or b:1 and c:1` is the two groups `(a:1 or (b:1 and c:1))`".into(),
                ),
            ));
        }
        match e {
            Expr::And(g) | Expr::Or(g) => stack.extend(g.iter().rev().map(|c| (c, around + 1))),
            Expr::Not { operand, .. } => stack.push((operand, around + 1)),
            Expr::Term(_) => {}
        }
    }
    Ok(())
}

fn followed_by_close(input: &str, at: usize) -> bool {
    input.as_bytes().get(at) == Some(&b')')
}

// ---------------------------------------------------------------------------------------------
// Diagnosis: find the first problem and name it.

/// Where the diagnosis is in the grammar.
#[derive(Clone, Copy)]
enum Expect {
    /// An operand must come next; `after` is what came before it.
    Operand { after: Option<Token> },
    /// An operand was just read: an operator, `)` or the end may come next.
    Operator,
}

fn diagnose(src: &str) -> Option<ParseError> {
    let mut scanner = Scanner::new(src);
    let mut opens: Vec<Span> = Vec::new();
    let mut state = Expect::Operand { after: None };
    // The last term read, for the help of a missing operator.
    let mut last_term: Option<Span> = None;
    loop {
        let token = match scanner.next_token() {
            None => return diagnose_end(src, state, &opens),
            Some(Err(e)) => return Some(e),
            Some(Ok(t)) => t,
        };
        state = match (state, token.tok) {
            (Expect::Operand { .. }, Tok::Word) => {
                if let Err(e) = check_term(src, token.span) {
                    return Some(e);
                }
                last_term = Some(token.span);
                Expect::Operator
            }
            (Expect::Operand { .. }, Tok::Keyword(Keyword::Not)) => {
                Expect::Operand { after: Some(token) }
            }
            (Expect::Operand { .. }, Tok::Open) => {
                opens.push(token.span);
                Expect::Operand { after: Some(token) }
            }
            (Expect::Operand { after }, Tok::Close) => {
                return Some(match after {
                    Some(prev) if prev.tok == Tok::Open => ParseError::new(
                        SyntaxErrorKind::EmptyGroup,
                        src,
                        Span::new(prev.span.start, token.span.end),
                        "empty parentheses",
                        Some("put an expression inside the parentheses, or remove them".into()),
                    ),
                    Some(prev) => missing_right_operand(src, prev),
                    None => unmatched_close(src, token.span),
                });
            }
            (Expect::Operand { after }, Tok::Keyword(k)) => {
                return Some(match after {
                    Some(
                        prev @ Token {
                            tok: Tok::Keyword(_),
                            ..
                        },
                    ) => missing_right_operand(src, prev),
                    _ => ParseError::new(
                        SyntaxErrorKind::MissingOperand,
                        src,
                        token.span,
                        format!("`{}` needs an operand on its left", k.name()),
                        Some(format!(
                            "remove `{}`, or put a term before it",
                            &src[token.span.range()]
                        )),
                    ),
                });
            }
            (Expect::Operator, Tok::Keyword(_)) => Expect::Operand { after: Some(token) },
            (Expect::Operator, Tok::Close) => {
                if opens.pop().is_none() {
                    return Some(unmatched_close(src, token.span));
                }
                Expect::Operator
            }
            (Expect::Operator, Tok::Word | Tok::Open) => {
                return Some(missing_operator(src, last_term, token));
            }
        };
    }
}

/// Two operands side by side. When the second is a bare word after a term with a bare value
/// (`title:foo bar`), the likelier intent is one value of several words: the help says how to
/// quote it.
fn missing_operator(src: &str, last_term: Option<Span>, token: Token) -> ParseError {
    let plain = |s: &str| !s.is_empty() && !s.contains(['"', '\\', '*', ':', '=']);
    // The bare words that follow, up to anything else.
    let mut words = Vec::new();
    let mut scanner = Scanner {
        src,
        pos: token.span.start,
    };
    while let Some(Ok(Token {
        tok: Tok::Word,
        span,
    })) = scanner.next_token()
    {
        if !plain(&src[span.range()]) {
            break;
        }
        words.push(&src[span.range()]);
    }
    let phrase = last_term.filter(|_| !words.is_empty()).and_then(|t| {
        let term = &src[t.range()];
        let op = term.find([':', '='])?;
        let value = &term[op + 1..];
        plain(value).then(|| format!("{}\"{value} {}\"", &term[..=op], words.join(" ")))
    });
    let help = match phrase {
        Some(p) => format!(
            "to search for the words together, quote them: `{p}`; to combine two terms, join them with `and` or `or`"
        ),
        None => "join the two with `and` or `or`".to_string(),
    };
    ParseError::new(
        SyntaxErrorKind::MissingOperator,
        src,
        token.span,
        "missing operator between terms",
        Some(help),
    )
}

fn diagnose_end(src: &str, state: Expect, opens: &[Span]) -> Option<ParseError> {
    match state {
        Expect::Operand { after: None } => Some(ParseError::new(
            SyntaxErrorKind::EmptyExpression,
            src,
            Span::new(0, src.len()),
            "the expression is empty",
            Some("write a term such as `host:example.com`".into()),
        )),
        Expect::Operand {
            after: Some(Token { tok: Tok::Open, .. }),
        }
        | Expect::Operator
            if !opens.is_empty() =>
        {
            let open = *opens.last().expect("an open parenthesis");
            Some(ParseError::new(
                SyntaxErrorKind::UnbalancedParenthesis,
                src,
                open,
                "this `(` is never closed",
                Some("add a `)` where the group ends, or remove this `(`".into()),
            ))
        }
        Expect::Operand { after: Some(prev) } => Some(missing_right_operand(src, prev)),
        Expect::Operator => None,
    }
}

fn missing_right_operand(src: &str, prev: Token) -> ParseError {
    let written = &src[prev.span.range()];
    let (message, help) = match prev.tok {
        Tok::Keyword(Keyword::Not) => (
            "`not` needs an operand after it".to_string(),
            format!("put a term after `{written}`, or remove it"),
        ),
        Tok::Keyword(k) => (
            format!("`{}` needs an operand on its right", k.name()),
            format!("put a term after `{written}`, or remove it"),
        ),
        _ => (
            "expected a term here".to_string(),
            "put a term here".to_string(),
        ),
    };
    ParseError::new(
        SyntaxErrorKind::MissingOperand,
        src,
        prev.span,
        message,
        Some(help),
    )
}

fn unmatched_close(src: &str, span: Span) -> ParseError {
    ParseError::new(
        SyntaxErrorKind::UnbalancedParenthesis,
        src,
        span,
        "this `)` has no matching `(`",
        Some("remove it, or add the `(` that opens the group".into()),
    )
}

/// Checks one word that stands where a term must: `type[;context](:|=)value[*]`, part by part.
fn check_term(src: &str, word: Span) -> Result<(), ParseError> {
    let at_op = check_type(src, word)?;
    let at_op = if src.as_bytes()[at_op] == b';' {
        check_context(src, word, at_op)?
    } else {
        at_op
    };
    check_value(src, word, at_op)
}

/// A syntax error with its help.
fn term_error(
    src: &str,
    kind: SyntaxErrorKind,
    span: Span,
    message: String,
    help: String,
) -> ParseError {
    ParseError::new(kind, src, span, message, Some(help))
}

/// The type: a run of type characters followed by `;`, `:` or `=`. Returns where that follows.
fn check_type(src: &str, word: Span) -> Result<usize, ParseError> {
    let b = src.as_bytes();
    let text = &src[word.range()];
    let type_len = text
        .bytes()
        .take_while(|&c| is_type_char(c as char))
        .count();
    let i = word.start + type_len;
    if type_len == 0 {
        return Err(no_type(src, word, i));
    }
    let has_op = text.contains([':', '=']);
    if i == word.end || (!has_op && b[i] != b';') {
        // A word with no operator: `cherrypy`, or `title` followed by ` :foo`.
        if i == word.end
            && let Some(space) = space_before(src, word.end, starts_like_operator)
        {
            return Err(term_error(
                src,
                SyntaxErrorKind::SpaceInTerm,
                space,
                "whitespace inside a term".into(),
                "remove the space: a term is written `type:value` with nothing in between".into(),
            ));
        }
        return Err(term_error(
            src,
            SyntaxErrorKind::MissingType,
            word,
            format!("`{text}` is not a term: a term is written `type:value`"),
            format!(
                "to search every type for it, write `search-term:{text}` (slow), or use a specific type such as `title:{text}`"
            ),
        ));
    }
    if !matches!(b[i], b';' | b':' | b'=') {
        let c = char_at(src, i).expect("inside the word");
        return Err(term_error(
            src,
            SyntaxErrorKind::Syntax,
            Span::new(i, char_end(src, i)),
            format!("unexpected `{c}` in the type name"),
            "a type is made of the characters A-Z, a-z, 0-9, `_`, `.` and `-`, followed by `:` or `=`"
                .into(),
        ));
    }
    Ok(i)
}

/// A word that starts with something other than a type character, at `at`.
fn no_type(src: &str, word: Span, at: usize) -> ParseError {
    let text = &src[word.range()];
    let c = char_at(src, at).expect("a word is not empty");
    let span = Span::new(at, char_end(src, at));
    let suggestion = match c {
        ':' | '=' | ';' => Some(format!("search-term{text}")),
        '"' => Some(format!("search-term:{text}")),
        _ => None,
    };
    match suggestion {
        Some(s) => term_error(
            src,
            SyntaxErrorKind::MissingType,
            span,
            "this term has no type".into(),
            format!(
                "put a type in front, e.g. `{s}` (slow: searches every type) or a specific one such as `title`"
            ),
        ),
        None => term_error(
            src,
            SyntaxErrorKind::MissingType,
            span,
            format!("a term cannot start with `{c}`: a term is written `type:value`"),
            "a type is made of the characters A-Z, a-z, 0-9, `_`, `.` and `-`".into(),
        ),
    }
}

/// The context after the `;` at `semicolon`: quoted, or bare with escapes, then `:` or `=`.
/// Returns where the operator stands.
fn check_context(src: &str, word: Span, semicolon: usize) -> Result<usize, ParseError> {
    let b = src.as_bytes();
    let mut i = semicolon + 1;
    if i < word.end && b[i] == b'"' {
        i = scan_string(src, i)?;
    } else {
        while i < word.end && !matches!(b[i], b':' | b'=' | b';' | b'"') {
            i = if b[i] == b'\\' {
                scan_escape(src, i)?
            } else {
                i + 1
            };
        }
    }
    if i == word.end {
        if let Some(space) = space_before(src, word.end, starts_like_operator) {
            return Err(term_error(
                src,
                SyntaxErrorKind::SpaceInTerm,
                space,
                "whitespace inside a term".into(),
                "remove the space, or quote a context that holds spaces: `type;\"a context\"=value`"
                    .into(),
            ));
        }
        return Err(term_error(
            src,
            SyntaxErrorKind::Syntax,
            word,
            "expected `:` or `=` after the context".into(),
            "a term with a context is written `type;context=value`".into(),
        ));
    }
    if !matches!(b[i], b':' | b'=') {
        let c = char_at(src, i).expect("inside the word");
        return Err(term_error(
            src,
            SyntaxErrorKind::Syntax,
            Span::new(i, char_end(src, i)),
            format!("unexpected `{c}` in the context"),
            "quote a context that holds `;`, `\"` or spaces: `type;\"a;context\"=value`, and write a literal quote as `\\\"`".into(),
        ));
    }
    Ok(i)
}

/// The operator at `op` and the value after it: present, quoted or bare, with at most one `*`
/// and only at its end.
fn check_value(src: &str, word: Span, op: usize) -> Result<(), ParseError> {
    let b = src.as_bytes();
    let text = &src[word.range()];
    let start = op + 1;
    if start == word.end {
        return Err(missing_value(src, word, op));
    }
    let ty = &text[..text.find([';', ':', '=']).unwrap_or(0)];
    if b[start] == b'"' {
        check_quoted_value(src, word, start, ty)
    } else {
        check_bare_value(src, word, start, ty)
    }
}

/// An operator with nothing after it, or with the value after a space.
fn missing_value(src: &str, word: Span, op: usize) -> ParseError {
    let text = &src[word.range()];
    let operator = &src[op..op + 1];
    if let Some(space) = space_before(src, word.end, starts_like_value) {
        return term_error(
            src,
            SyntaxErrorKind::SpaceInTerm,
            space,
            "whitespace between the operator and the value".into(),
            format!(
                "remove the space: `{text}{}`",
                first_word(&src[space.end..])
            ),
        );
    }
    term_error(
        src,
        SyntaxErrorKind::MissingValue,
        Span::new(op, op + 1),
        format!("`{operator}` has no value after it"),
        format!(
            "write the value right after `{operator}`, and quote it if it holds spaces: `{text}\"some words\"`"
        ),
    )
}

/// The help for a misplaced `*`.
fn wildcard_help(ty: &str, leading: bool) -> String {
    let mut h = String::from(
        "a `*` may only end a value, to search by prefix (`hikvision*`); write `\\*` for a literal `*`",
    );
    if leading && ty.eq_ignore_ascii_case("host") {
        h.push_str(
            "; a leading `*.` is not needed: `host:example.com` already matches every subdomain",
        );
    }
    h
}

/// A quoted value from `open`: closed, then at most one `*`, then the end of the word.
fn check_quoted_value(src: &str, word: Span, open: usize, ty: &str) -> Result<(), ParseError> {
    let b = src.as_bytes();
    let mut i = scan_string(src, open)?;
    if i < word.end && b[i] == b'*' {
        i += 1;
    }
    if i < word.end && b[i] == b'*' {
        return Err(term_error(
            src,
            SyntaxErrorKind::MisplacedWildcard,
            Span::new(i, i + 1),
            "a value can end in only one `*`".into(),
            wildcard_help(ty, false),
        ));
    }
    if i < word.end {
        return Err(term_error(
            src,
            SyntaxErrorKind::Syntax,
            Span::new(i, word.end),
            "unexpected text after the closing quote".into(),
            "put a space between terms, or put the whole value inside the quotes".into(),
        ));
    }
    Ok(())
}

/// A bare value from `start`: escapes, no `"`, and a `*` only at the end of a non-empty value.
fn check_bare_value(src: &str, word: Span, start: usize, ty: &str) -> Result<(), ParseError> {
    let b = src.as_bytes();
    let mut i = start;
    while i < word.end {
        match b[i] {
            b'\\' => i = scan_escape(src, i)?,
            b'*' if i + 1 == word.end && i > start => i += 1,
            b'*' => {
                let message = if i + 1 == word.end {
                    "a value cannot be only `*`".to_string()
                } else {
                    "a `*` can only stand at the end of a value".to_string()
                };
                return Err(term_error(
                    src,
                    SyntaxErrorKind::MisplacedWildcard,
                    Span::new(i, i + 1),
                    message,
                    wildcard_help(ty, i == start),
                ));
            }
            b'"' => {
                return Err(term_error(
                    src,
                    SyntaxErrorKind::Syntax,
                    Span::new(i, i + 1),
                    "a `\"` inside an unquoted value".into(),
                    "quote the whole value (`title:\"a b\"`), or write a literal quote as `\\\"`"
                        .into(),
                ));
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// When whitespace at `at` is followed by a word that `continues` the term, the span of that
/// whitespace: `title :foo` (an operator after the type) or `title: foo` (a value after the
/// operator). Whitespace at the end of the input continues nothing: neither test accepts the
/// empty word.
fn space_before(src: &str, at: usize, continues: fn(&str) -> bool) -> Option<Span> {
    let b = src.as_bytes();
    if at >= b.len() || !is_ws(b[at]) {
        return None;
    }
    let next = Scanner::new(src).skip_ws(at);
    continues(first_word(&src[next..])).then_some(Span::new(at, next))
}

/// `:foo`, `=foo` or `;ctx=foo`: the rest of a term whose type stood before a space.
fn starts_like_operator(word: &str) -> bool {
    word.starts_with([':', '=', ';'])
}

/// A word that can be a value: not empty, not a keyword.
fn starts_like_value(word: &str) -> bool {
    !word.is_empty()
        && !["and", "or", "not"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(word))
}

/// The text up to the first whitespace or parenthesis.
fn first_word(s: &str) -> &str {
    let end = s
        .find(|c: char| c.is_ascii_whitespace() || c == '(' || c == ')')
        .unwrap_or(s.len());
    &s[..end]
}

/// Pest's error, in the language's words: the fallback when the diagnosis finds nothing.
fn from_pest(src: &str, e: &pest::error::Error<Rule>) -> ParseError {
    let at = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
    .min(src.len());
    if let pest::error::ErrorVariant::CustomError { message } = &e.variant {
        // The grammar raises no custom errors: this is pest stopping at its limit on native stack
        // space, on a thread whose stack is too small for the nesting at `at`.
        return ParseError::new(
            SyntaxErrorKind::TooDeep,
            src,
            Span::new(at, char_end(src, at)),
            format!("the expression nests too deeply for the stack of this thread ({message})"),
            Some("simplify the expression, or parse it on a thread with a larger stack".into()),
        );
    }
    let found = match char_at(src, at) {
        Some(c) => format!("unexpected `{c}`"),
        None => "unexpected end of the expression".to_string(),
    };
    ParseError::new(
        SyntaxErrorKind::Syntax,
        src,
        Span::new(at, char_end(src, at)),
        found,
        Some(
            "an expression is terms `type:value` joined by `and`, `or` and `not`, grouped with parentheses"
                .into(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_s_accessors_read_its_diagnostic() {
        let e = parse_expr("title:\"abc").unwrap_err();
        let d = e.diagnostic().clone();
        assert_eq!(e.code(), "unterminated-string");
        assert_eq!(e.message(), d.message);
        assert_eq!(e.help(), d.help.as_deref());
        assert_eq!(e.message(), "this string is never closed");
        assert!(
            e.help().is_some_and(|h| h.starts_with("add a closing")),
            "{:?}",
            e.help()
        );
        assert_eq!((e.line(), e.column()), (d.line, d.column));
        assert_eq!(e.into_diagnostic(), d);
    }

    /// The word after a space ends at a parenthesis as at whitespace: the fix names the value
    /// alone, and a keyword written against a parenthesis is still a keyword.
    #[test]
    fn the_word_after_a_space_ends_at_a_parenthesis() {
        let e = parse_expr("(title: foo)").unwrap_err();
        assert_eq!(e.code(), "space-in-term", "{}", e.message());
        assert_eq!(e.help(), Some("remove the space: `title:foo`"));
        let e = parse_expr("title: not(x)").unwrap_err();
        assert_eq!(e.code(), "missing-value", "{}", e.message());
        let e = parse_expr("title:   ").unwrap_err();
        assert_eq!(e.code(), "missing-value", "{}", e.message());
    }

    /// A quoted context may hold `:`, `=` and `;`: the diagnosis reads past it to the term's
    /// own mistake.
    #[test]
    fn the_diagnosis_reads_a_quoted_context_whole() {
        let src = r#"title;"a:b;c"=x*y"#;
        let e = parse_expr(src).unwrap_err();
        assert_eq!(e.code(), "misplaced-wildcard", "{}", e.message());
        assert_eq!(e.span(), Span::new(15, 16));
    }

    /// Escaped `*` and `"` belong to a bare value, and a quoted value may end the input: the
    /// diagnosis goes on to the real mistake.
    #[test]
    fn the_diagnosis_reads_escapes_and_a_last_quoted_value() {
        for src in [r#"(title:a\*b\"c"#, r#"(title:"x"*"#] {
            let e = parse_expr(src).unwrap_err();
            assert_eq!(e.code(), "unbalanced-parenthesis", "{src}: {}", e.message());
            assert_eq!(e.span(), Span::new(0, 1), "{src}");
        }
    }

    #[test]
    fn unescape_decodes_every_escape() {
        assert_eq!(unescape(r"a\ b\(c\)\\\*\x"), r"a b(c)\*x");
        assert_eq!(unescape("plain"), "plain");
    }

    /// Every input of the syntax-error corpus is named by the hand-written diagnosis, never by
    /// pest's fallback, with the specific code its file name starts with: `syntax` only where no
    /// better code fits (the `syntax-*` files).
    #[test]
    fn the_diagnosis_names_every_error_of_the_corpus_specifically() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/err");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("the error corpus") {
            let path = entry.expect("an entry").path();
            let name = path.file_stem().and_then(|n| n.to_str()).expect("a name");
            let text = std::fs::read_to_string(&path).expect("a case");
            let input = text.strip_suffix('\n').unwrap_or(&text);
            let expected = SyntaxErrorKind::ALL
                .iter()
                .map(|k| k.code())
                .filter(|c| name == *c || name.starts_with(&format!("{c}-")))
                .max_by_key(|c| c.len())
                .unwrap_or_else(|| panic!("{name} does not start with a code"));
            let found = match parse_expr(input) {
                Err(e) if e.kind() == SyntaxErrorKind::TooDeep => e,
                Err(_) => diagnose(input)
                    .unwrap_or_else(|| panic!("{name}: the diagnosis finds nothing in {input:?}")),
                Ok(_) => panic!("{name} parses"),
            };
            assert_eq!(found.code(), expected, "{name}: {input:?}");
            seen += 1;
        }
        assert!(seen > 40, "only {seen} cases in {}", dir.display());
    }

    #[test]
    fn the_depth_bound_skips_short_inputs_only() {
        let check_depth = |s: &str| super::check_depth(s, nesting_bound(s));
        assert!(check_depth(&"(".repeat(MAX_DEPTH)).is_ok());
        let err = check_depth(&"(".repeat(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(err.kind(), SyntaxErrorKind::TooDeep);
        assert_eq!(err.span(), Span::new(MAX_DEPTH, MAX_DEPTH + 1));
        // Many `n`s and parentheses that do not nest are fine.
        let flat = vec!["(title:n)"; 400].join(" or ");
        assert!(check_depth(&flat).is_ok());
    }
}
