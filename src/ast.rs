//! The typed syntax tree of an expression, and the builder API for programs.
//!
//! The tree keeps the invariants the canonical form relies on, by construction:
//!
//! - `and`/`or` groups are n-ary, hold at least two operands, and never hold a group of their own
//!   kind directly (`a and (b and c)` is the one group `a and b and c`). [`Group`] has no public
//!   constructor: groups are built by [`Expr::and`], [`Expr::or`], [`Expr::all`] and [`Expr::any`],
//!   which flatten.
//! - A [`Term`]'s type is in the type alphabet `[A-Za-z0-9_.-]+` and stored in lowercase; its context
//!   and value are raw (decoded) strings, so any string is a legal value and the printer does all the
//!   quoting. Building a query from untrusted strings can never change its structure.
//!
//! Byte spans ([`Span`]) record where a node came from in the source text; they take no part in
//! equality or hashing, so a parsed tree equals the tree built by hand or re-parsed from its
//! canonical form.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

/// A half-open byte range `start..end` into the source text.
///
/// Nodes built by the builder API (not parsed) carry the empty span `0..0`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The span as a range, for slicing the source.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// The number of bytes covered.
    pub const fn len(self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no bytes.
    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(r: std::ops::Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

/// How a term compares its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// `:` — match: for text types, the value's words are matched inside the item's text.
    Match,
    /// `=` — keyword: the item's whole value must equal the value.
    Keyword,
}

impl Op {
    /// The operator's character: `:` or `=`.
    pub const fn as_char(self) -> char {
        match self {
            Op::Match => ':',
            Op::Keyword => '=',
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Match => ":",
            Op::Keyword => "=",
        })
    }
}

/// Whether `c` may appear in a type name.
pub(crate) const fn is_type_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Lowercases a type name that is known to be in the type alphabet, borrowing the names of the
/// registry's types instead of allocating them.
pub(crate) fn intern_type(name: &str) -> Cow<'static, str> {
    match crate::types::lookup(name) {
        Some(t) => Cow::Borrowed(t.name),
        None => Cow::Owned(name.to_ascii_lowercase()),
    }
}

/// Why a [`Term`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The type name is empty or has a character outside `[A-Za-z0-9_.-]`.
    #[error(
        "invalid type name {name:?}: a type is one or more of the characters A-Z, a-z, 0-9, '_', '.' and '-'"
    )]
    InvalidType {
        /// The rejected name.
        name: String,
    },
}

/// One search term: `type[;context](:|=)value[*]`.
///
/// The value and the context are the decoded strings (escapes and quotes removed); the printer
/// quotes and escapes them as needed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "TermRepr", into = "TermRepr")]
pub struct Term {
    ty: Cow<'static, str>,
    context: Option<String>,
    op: Op,
    value: String,
    prefix: bool,
    span: Span,
    value_span: Span,
}

/// The serialised shape of a [`Term`]; deserialising goes through [`Term::try_new`]'s checks.
#[derive(Serialize, Deserialize)]
struct TermRepr {
    #[serde(rename = "type")]
    ty: String,
    context: Option<String>,
    op: Op,
    value: String,
    #[serde(default)]
    prefix: bool,
    #[serde(default)]
    span: Span,
    #[serde(default)]
    value_span: Span,
}

impl TryFrom<TermRepr> for Term {
    type Error = BuildError;

    fn try_from(r: TermRepr) -> Result<Self, BuildError> {
        let mut term = Term::try_new(&r.ty, r.op, r.value)?;
        term.context = r.context;
        term.prefix = r.prefix;
        term.span = r.span;
        term.value_span = r.value_span;
        Ok(term)
    }
}

impl From<Term> for TermRepr {
    fn from(t: Term) -> Self {
        TermRepr {
            ty: t.ty.into_owned(),
            context: t.context,
            op: t.op,
            value: t.value,
            prefix: t.prefix,
            span: t.span,
            value_span: t.value_span,
        }
    }
}

impl Term {
    /// A term `ty` `op` `value`, with no context and no prefix.
    ///
    /// The value is the raw string to search for; it is quoted and escaped when printed.
    ///
    /// ```
    /// use driftql::{Op, Term};
    /// let t = Term::new("geo-country", Op::Keyword, "RU");
    /// assert_eq!(t.to_string(), "geo-country=RU");
    /// let t = Term::new("title", Op::Match, r#"say "hi" (twice)"#);
    /// assert_eq!(t.to_string(), r#"title:"say \"hi\" (twice)""#);
    /// ```
    ///
    /// # Panics
    /// When `ty` is not a valid type name (see [`Term::try_new`]). Type names are normally
    /// constants in the program; use [`Term::try_new`] for names that come from input.
    #[track_caller]
    pub fn new(ty: &str, op: Op, value: impl Into<String>) -> Self {
        match Term::try_new(ty, op, value) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`Term::new`], but returns an error for a type name that is empty or has a character
    /// outside `[A-Za-z0-9_.-]`. The name is stored in lowercase.
    pub fn try_new(ty: &str, op: Op, value: impl Into<String>) -> Result<Self, BuildError> {
        if ty.is_empty() || !ty.chars().all(is_type_char) {
            return Err(BuildError::InvalidType {
                name: ty.to_owned(),
            });
        }
        Ok(Term {
            ty: intern_type(ty),
            context: None,
            op,
            value: value.into(),
            prefix: false,
            span: Span::default(),
            value_span: Span::default(),
        })
    }

    /// Restricts the term to items with exactly this context (`type;context=value`).
    /// The empty string means the empty context (the directly scanned IP or host).
    #[must_use]
    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// Removes any context restriction.
    #[must_use]
    pub fn without_context(mut self) -> Self {
        self.context = None;
        self
    }

    /// Makes the value a prefix (`value*`), or not.
    #[must_use]
    pub fn with_prefix(mut self, prefix: bool) -> Self {
        self.prefix = prefix;
        self
    }

    /// Replaces the operator.
    #[must_use]
    pub fn with_op(mut self, op: Op) -> Self {
        self.op = op;
        self
    }

    /// Replaces the value.
    #[must_use]
    pub fn with_value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    pub(crate) fn from_parts(
        ty: Cow<'static, str>,
        context: Option<String>,
        op: Op,
        value: String,
        prefix: bool,
        span: Span,
        value_span: Span,
    ) -> Self {
        Term {
            ty,
            context,
            op,
            value,
            prefix,
            span,
            value_span,
        }
    }

    /// The type, in lowercase (`geo-country`).
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// The context restriction: `None` when absent (any context), `Some("")` for the empty
    /// context, `Some(name)` for a named one.
    pub fn context(&self) -> Option<&str> {
        self.context.as_deref()
    }

    /// The operator.
    pub fn op(&self) -> Op {
        self.op
    }

    /// The decoded value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether the value is a prefix (`value*`).
    pub fn is_prefix(&self) -> bool {
        self.prefix
    }

    /// Where the whole term stands in the source.
    pub fn span(&self) -> Span {
        self.span
    }

    /// Where the value stands in the source, quotes included, the prefix `*` excluded.
    pub fn value_span(&self) -> Span {
        self.value_span
    }

    /// Where the operator (`:` or `=`) stands in the source.
    pub fn op_span(&self) -> Span {
        let at = self.value_span.start.saturating_sub(1);
        if self.value_span == Span::default() {
            Span::default()
        } else {
            Span::new(at, at + 1)
        }
    }

    /// Where the type name stands in the source.
    pub fn type_span(&self) -> Span {
        if self.span == Span::default() {
            Span::default()
        } else {
            Span::new(self.span.start, self.span.start + self.ty.len())
        }
    }

    /// This term combined with `other` by `and`.
    #[must_use]
    pub fn and(self, other: impl Into<Expr>) -> Expr {
        Expr::from(self).and(other)
    }

    /// This term combined with `other` by `or`.
    #[must_use]
    pub fn or(self, other: impl Into<Expr>) -> Expr {
        Expr::from(self).or(other)
    }
}

impl PartialEq for Term {
    fn eq(&self, other: &Self) -> bool {
        self.ty == other.ty
            && self.context == other.context
            && self.op == other.op
            && self.value == other.value
            && self.prefix == other.prefix
    }
}

impl Eq for Term {}

impl Hash for Term {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.ty.hash(state);
        self.context.hash(state);
        self.op.hash(state);
        self.value.hash(state);
        self.prefix.hash(state);
    }
}

/// The operands of an `and` or `or` group: at least two, none of them a group of the same kind.
///
/// Built only by [`Expr::and`], [`Expr::or`], [`Expr::all`], [`Expr::any`] and the parser.
/// Like a term's, a group's [`span`](Group::span) takes no part in equality or hashing; it is not
/// serialised either (a group is written as the list of its operands).
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct Group {
    operands: Vec<Expr>,
    #[serde(skip)]
    span: Span,
}

impl PartialEq for Group {
    fn eq(&self, other: &Self) -> bool {
        self.operands == other.operands
    }
}

impl Eq for Group {}

impl Hash for Group {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.operands.hash(state);
    }
}

impl Group {
    /// Where the group stands in the source: from its `(` to its `)` when it was written in
    /// parentheses, else from the start of its first operand to the end of its last. A group
    /// that `and`/`or` flattened into one spans all of it. Built groups have `0..0`.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The operands, in order.
    pub fn operands(&self) -> &[Expr] {
        &self.operands
    }

    /// The operands, by value.
    pub fn into_operands(self) -> Vec<Expr> {
        self.operands
    }

    /// An iterator over the operands.
    pub fn iter(&self) -> std::slice::Iter<'_, Expr> {
        self.operands.iter()
    }

    /// The number of operands (always ≥ 2).
    pub fn len(&self) -> usize {
        self.operands.len()
    }

    /// Always false: a group has at least two operands.
    pub fn is_empty(&self) -> bool {
        self.operands.is_empty()
    }
}

impl<'a> IntoIterator for &'a Group {
    type Item = &'a Expr;
    type IntoIter = std::slice::Iter<'a, Expr>;
    fn into_iter(self) -> Self::IntoIter {
        self.operands.iter()
    }
}

/// An expression node.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "ExprRepr")]
pub enum Expr {
    /// All operands hold.
    And(Group),
    /// At least one operand holds.
    Or(Group),
    /// The operand does not hold.
    Not {
        /// The negated expression.
        operand: Box<Expr>,
        /// From the `not` keyword to the end of the operand.
        #[serde(default)]
        span: Span,
        /// Whether the `not` was written right after an operand, with no `and` before it
        /// (`a:1 not b:2`, which means `a:1 and not b:2`). Like the span, it records how the
        /// source was written and takes no part in equality.
        #[serde(default, skip_serializing_if = "is_false")]
        juxtaposed: bool,
    },
    /// A single term.
    Term(Term),
}

/// The deserialised shape of an [`Expr`], rebuilt through the flattening constructors so a
/// deserialised tree keeps the invariants.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum ExprRepr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not {
        operand: Box<Expr>,
        #[serde(default)]
        span: Span,
        #[serde(default)]
        juxtaposed: bool,
    },
    Term(Term),
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl TryFrom<ExprRepr> for Expr {
    type Error = String;

    fn try_from(r: ExprRepr) -> Result<Self, String> {
        Ok(match r {
            ExprRepr::And(v) => Expr::all(v).ok_or("an `and` group needs at least one operand")?,
            ExprRepr::Or(v) => Expr::any(v).ok_or("an `or` group needs at least one operand")?,
            ExprRepr::Not {
                operand,
                span,
                juxtaposed,
            } => Expr::Not {
                operand,
                span,
                juxtaposed,
            },
            ExprRepr::Term(t) => Expr::Term(t),
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupKind {
    And,
    Or,
}

impl Expr {
    /// Combines `self` and `other` by `and`, flattening `and` groups on either side.
    ///
    /// ```
    /// use driftql::{Op, Term};
    /// let q = Term::new("product-tag", Op::Match, "dahua")
    ///     .and(Term::new("geo-country", Op::Keyword, "RU").or(Term::new("geo-country", Op::Keyword, "IR")));
    /// assert_eq!(q.to_string(), "(product-tag:dahua and (geo-country=RU or geo-country=IR))");
    /// ```
    #[must_use]
    pub fn and(self, other: impl Into<Expr>) -> Expr {
        Expr::build(GroupKind::And, [self, other.into()])
    }

    /// Combines `self` and `other` by `or`, flattening `or` groups on either side.
    #[must_use]
    pub fn or(self, other: impl Into<Expr>) -> Expr {
        Expr::build(GroupKind::Or, [self, other.into()])
    }

    /// The conjunction of all operands, flattened; `None` when there are none, the operand itself
    /// when there is one.
    pub fn all<I>(operands: I) -> Option<Expr>
    where
        I: IntoIterator,
        I::Item: Into<Expr>,
    {
        Expr::build_opt(GroupKind::And, operands)
    }

    /// The disjunction of all operands, flattened; `None` when there are none, the operand itself
    /// when there is one.
    pub fn any<I>(operands: I) -> Option<Expr>
    where
        I: IntoIterator,
        I::Item: Into<Expr>,
    {
        Expr::build_opt(GroupKind::Or, operands)
    }

    /// The negation of `self` (also available as `!expr`).
    #[must_use]
    pub fn negate(self) -> Expr {
        Expr::Not {
            operand: Box::new(self),
            span: Span::default(),
            juxtaposed: false,
        }
    }

    fn build<const N: usize>(kind: GroupKind, operands: [Expr; N]) -> Expr {
        Expr::build_opt(kind, operands).expect("at least one operand")
    }

    fn build_opt<I>(kind: GroupKind, operands: I) -> Option<Expr>
    where
        I: IntoIterator,
        I::Item: Into<Expr>,
    {
        let mut flat = Vec::new();
        for e in operands {
            match (kind, e.into()) {
                (GroupKind::And, Expr::And(g)) | (GroupKind::Or, Expr::Or(g)) => {
                    flat.extend(g.operands)
                }
                (_, e) => flat.push(e),
            }
        }
        Expr::from_flat(kind, flat, Span::default())
    }

    /// Builds a group spanning `span` from operands that are already flat (the parser's path);
    /// `None` when empty.
    pub(crate) fn from_flat(kind: GroupKind, mut operands: Vec<Expr>, span: Span) -> Option<Expr> {
        match operands.len() {
            0 => None,
            1 => operands.pop(),
            _ => {
                let g = Group { operands, span };
                Some(match kind {
                    GroupKind::And => Expr::And(g),
                    GroupKind::Or => Expr::Or(g),
                })
            }
        }
    }

    /// Where the expression stands in the source: the term's, the group's or the `not`'s span.
    pub fn span(&self) -> Span {
        match self {
            Expr::Term(t) => t.span(),
            Expr::Not { span, .. } => *span,
            Expr::And(g) | Expr::Or(g) => g.span,
        }
    }

    /// The tree with every span moved by `f` (a map of spans from one text to another).
    pub(crate) fn map_spans(&mut self, f: &impl Fn(Span) -> Span) {
        let span = |s: &mut Span| *s = f(*s);
        match self {
            Expr::Term(t) => {
                span(&mut t.span);
                span(&mut t.value_span);
            }
            Expr::Not {
                operand, span: s, ..
            } => {
                span(s);
                operand.map_spans(f);
            }
            Expr::And(g) | Expr::Or(g) => {
                span(&mut g.span);
                for e in &mut g.operands {
                    e.map_spans(f);
                }
            }
        }
    }

    /// The tree without the terms `drop` says to drop; `None` when nothing is left. Groups left
    /// with one operand become that operand; a `not` of nothing goes with it.
    pub(crate) fn without_terms(self, drop: &impl Fn(&Term) -> bool) -> Option<Expr> {
        match self {
            Expr::Term(t) => (!drop(&t)).then_some(Expr::Term(t)),
            Expr::Not {
                operand,
                span,
                juxtaposed,
            } => operand.without_terms(drop).map(|e| Expr::Not {
                operand: Box::new(e),
                span,
                juxtaposed,
            }),
            e @ (Expr::And(_) | Expr::Or(_)) => {
                let (kind, g) = match e {
                    Expr::And(g) => (GroupKind::And, g),
                    Expr::Or(g) => (GroupKind::Or, g),
                    _ => unreachable!("a group"),
                };
                let span = g.span;
                let mut kept = Vec::with_capacity(g.operands.len());
                for operand in g.operands {
                    // An operand left as a group of the same kind is flattened into this one.
                    match (kind, operand.without_terms(drop)) {
                        (GroupKind::And, Some(Expr::And(inner)))
                        | (GroupKind::Or, Some(Expr::Or(inner))) => kept.extend(inner.operands),
                        (_, Some(other)) => kept.push(other),
                        (_, None) => {}
                    }
                }
                Expr::from_flat(kind, kept, span)
            }
        }
    }

    /// Widens a group's span to `span` (its parentheses); other nodes keep theirs.
    pub(crate) fn set_group_span(&mut self, span: Span) {
        if let Expr::And(g) | Expr::Or(g) = self {
            g.span = span;
        }
    }

    /// The term, when this expression is a single term.
    pub fn as_term(&self) -> Option<&Term> {
        match self {
            Expr::Term(t) => Some(t),
            _ => None,
        }
    }

    /// Every term in the expression, left to right.
    pub fn terms(&self) -> Terms<'_> {
        Terms { stack: vec![self] }
    }

    /// The nesting depth: a term is 1; `not` and groups add one level each.
    pub fn depth(&self) -> usize {
        // Iterative, so that it is safe on trees built by hand to any depth.
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((e, d)) = stack.pop() {
            max = max.max(d);
            match e {
                Expr::And(g) | Expr::Or(g) => stack.extend(g.iter().map(|c| (c, d + 1))),
                Expr::Not { operand, .. } => stack.push((operand, d + 1)),
                Expr::Term(_) => {}
            }
        }
        max
    }
}

/// Iterator over the terms of an expression, left to right; see [`Expr::terms`].
#[derive(Debug)]
pub struct Terms<'a> {
    stack: Vec<&'a Expr>,
}

impl<'a> Iterator for Terms<'a> {
    type Item = &'a Term;

    fn next(&mut self) -> Option<&'a Term> {
        while let Some(e) = self.stack.pop() {
            match e {
                Expr::Term(t) => return Some(t),
                Expr::Not { operand, .. } => self.stack.push(operand),
                Expr::And(g) | Expr::Or(g) => self.stack.extend(g.iter().rev()),
            }
        }
        None
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Expr::And(a), Expr::And(b)) | (Expr::Or(a), Expr::Or(b)) => a == b,
            (Expr::Not { operand: a, .. }, Expr::Not { operand: b, .. }) => a == b,
            (Expr::Term(a), Expr::Term(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Expr {}

impl Hash for Expr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Expr::And(g) | Expr::Or(g) => g.hash(state),
            Expr::Not { operand, .. } => operand.hash(state),
            Expr::Term(t) => t.hash(state),
        }
    }
}

impl From<Term> for Expr {
    fn from(t: Term) -> Self {
        Expr::Term(t)
    }
}

impl std::ops::Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        self.negate()
    }
}

impl std::ops::Not for Term {
    type Output = Expr;
    fn not(self) -> Expr {
        Expr::from(self).negate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{DefaultHasher, Hash, Hasher};

    fn hash_of(x: &impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        x.hash(&mut h);
        h.finish()
    }

    fn t(ty: &str, value: &str) -> Term {
        Term::new(ty, Op::Match, value)
    }

    #[test]
    fn spans_measure_and_slice() {
        let s = Span::new(2, 5);
        assert_eq!((s.range(), s.len(), s.is_empty()), (2..5, 3, false));
        assert!(Span::new(4, 4).is_empty());
        assert_eq!(Span::from(1..3), Span::new(1, 3));
        assert_eq!(&"abcdef"[s.range()], "cde");
    }

    #[test]
    fn operators_print_as_their_character() {
        assert_eq!((Op::Match.as_char(), Op::Keyword.as_char()), (':', '='));
        assert_eq!(
            (Op::Match.to_string(), Op::Keyword.to_string()),
            (":".into(), "=".into())
        );
        for c in ['a', 'Z', '0', '_', '.', '-'] {
            assert!(is_type_char(c), "{c}");
        }
        for c in [' ', ':', '=', ';', '*', 'é', '"'] {
            assert!(!is_type_char(c), "{c}");
        }
    }

    #[test]
    fn a_term_is_built_with_a_checked_lowercase_type() {
        assert_eq!(
            Term::try_new("", Op::Match, "x").unwrap_err(),
            BuildError::InvalidType {
                name: String::new()
            }
        );
        assert!(Term::try_new("a b", Op::Match, "x").is_err());
        assert!(Term::try_new("a:b", Op::Match, "x").is_err());
        let known = t("Port-TCP", "443");
        assert_eq!(known.ty(), "port-tcp");
        assert!(
            matches!(known.ty, Cow::Borrowed(_)),
            "a registry type is not allocated"
        );
        let unknown = t("My-Type", "x");
        assert_eq!(unknown.ty(), "my-type");
        let built = t("title", "a")
            .with_context("ctx")
            .with_prefix(true)
            .with_op(Op::Keyword)
            .with_value("b");
        assert_eq!(
            (
                built.context(),
                built.op(),
                built.value(),
                built.is_prefix()
            ),
            (Some("ctx"), Op::Keyword, "b", true)
        );
        assert_eq!(built.to_string(), "title;ctx=b*");
        assert_eq!(built.clone().without_context().context(), None);
        assert_eq!(t("title", "a").with_context("").context(), Some(""));
    }

    #[test]
    fn a_parsed_term_knows_where_each_part_stands() {
        let q = crate::parse("x:1 and title;c=\"v w\"").unwrap();
        let term = q.expr().terms().nth(1).unwrap().clone();
        assert_eq!(term.span(), Span::new(8, 21));
        assert_eq!(term.value_span(), Span::new(16, 21));
        assert_eq!(term.op_span(), Span::new(15, 16));
        assert_eq!(term.type_span(), Span::new(8, 13));
        // A built term stands nowhere.
        let built = t("title", "x");
        assert_eq!(
            (built.span(), built.op_span(), built.type_span()),
            Default::default()
        );
    }

    /// Equality and hashing read what a term means, never where it was written.
    #[test]
    fn equality_and_hashing_ignore_spans_and_read_every_part() {
        let parsed = crate::parse("title;c=v*").unwrap().into_expr();
        let built = Expr::from(
            t("title", "v")
                .with_context("c")
                .with_op(Op::Keyword)
                .with_prefix(true),
        );
        assert_eq!(parsed, built);
        assert_eq!(hash_of(&parsed), hash_of(&built));
        let base = t("title", "v").with_context("c");
        let variants = [
            t("host", "v").with_context("c"),
            t("title", "v").with_context("d"),
            t("title", "v"),
            t("title", "v").with_context("c").with_op(Op::Keyword),
            t("title", "w").with_context("c"),
            t("title", "v").with_context("c").with_prefix(true),
        ];
        for v in &variants {
            assert_ne!(&base, v);
            assert_ne!(hash_of(&base), hash_of(v), "{v}");
        }
        let (a, b) = (Expr::from(t("a", "1")), Expr::from(t("b", "2")));
        let and = a.clone().and(b.clone());
        let or = a.clone().or(b.clone());
        assert_ne!(and, or);
        assert_ne!(hash_of(&and), hash_of(&or));
        assert_ne!(and, b.clone().and(a.clone()), "operand order counts");
        assert_ne!(hash_of(&and), hash_of(&b.clone().and(a.clone())));
        assert_ne!(!a.clone(), !b.clone());
        assert_ne!(hash_of(&!a.clone()), hash_of(&!b.clone()));
        assert_eq!(!a.clone(), !a.clone());
        assert_ne!(!a.clone(), a.clone());
        assert_ne!(Expr::from(t("a", "1")), Expr::from(t("a", "2")));
    }

    #[test]
    fn groups_are_flat_and_read_in_order() {
        let (a, b, c) = (t("a", "1"), t("b", "2"), t("c", "3"));
        let e = a.clone().and(b.clone()).and(c.clone().and(t("d", "4")));
        let Expr::And(g) = &e else { panic!("{e:?}") };
        assert_eq!((g.len(), g.is_empty()), (4, false));
        assert_eq!(g.operands()[2], Expr::from(c.clone()));
        assert_eq!(g.iter().count(), 4);
        assert_eq!(g.into_iter().nth(1), Some(&Expr::from(b.clone())));
        assert_eq!(g.clone().into_operands().len(), 4);
        let tys: Vec<_> = e.terms().map(Term::ty).collect();
        assert_eq!(tys, ["a", "b", "c", "d"]);
        // `or` inside `and` stays a group of its own.
        let mixed = a.clone().and(b.clone().or(c.clone()));
        let Expr::And(g) = &mixed else { panic!() };
        assert_eq!(g.len(), 2);
        assert_eq!(Expr::all(Vec::<Expr>::new()), None);
        assert_eq!(Expr::any([a.clone()]), Some(Expr::from(a.clone())));
        assert_eq!(
            Expr::all([a.clone(), b.clone()]),
            Some(a.clone().and(b.clone()))
        );
        assert_eq!(
            Expr::any([a.clone(), b.clone()]),
            Some(a.clone().or(b.clone()))
        );
        assert_eq!(
            Expr::any([a.clone().or(b.clone()), c.clone().into()])
                .unwrap()
                .to_string(),
            "(a:1 or b:2 or c:3)"
        );
        assert_eq!(a.clone().or(b.clone()).to_string(), "(a:1 or b:2)");
        assert_eq!((!a.clone()).to_string(), "not a:1");
        assert_eq!(Expr::from(a.clone()).negate(), !a.clone());
        assert_eq!(Expr::from(a.clone()).as_term(), Some(&a));
        assert_eq!((!a.clone()).as_term(), None);
        assert_eq!(mixed.as_term(), None);
    }

    #[test]
    fn depth_counts_every_level() {
        let a = || Expr::from(t("a", "1"));
        assert_eq!(a().depth(), 1);
        assert_eq!((!a()).depth(), 2);
        assert_eq!((!!a()).depth(), 3);
        assert_eq!(a().and(a()).depth(), 2);
        assert_eq!(a().and(a().or(!a())).depth(), 4);
        assert_eq!((!(a().and(a()))).and(a().or(a())).depth(), 4);
    }

    #[test]
    fn dropping_terms_keeps_the_rest_flat() {
        let q = crate::parse("a:1 and (b:2 or (c:3 and d:4)) and not e:5")
            .unwrap()
            .into_expr();
        let drop = |ty: &'static str| move |t: &Term| t.ty() == ty;
        assert_eq!(
            q.clone().without_terms(&drop("b")).unwrap().to_string(),
            "(a:1 and c:3 and d:4 and not e:5)"
        );
        assert_eq!(
            q.clone().without_terms(&drop("e")).unwrap().to_string(),
            "(a:1 and (b:2 or (c:3 and d:4)))"
        );
        assert_eq!(q.clone().without_terms(&drop("zz")), Some(q.clone()));
        assert_eq!(q.clone().without_terms(&|_| true), None);
        let or = crate::parse("(a:1 or (b:2 and c:3)) or d:4")
            .unwrap()
            .into_expr();
        assert_eq!(
            or.without_terms(&drop("b")).unwrap().to_string(),
            "(a:1 or c:3 or d:4)"
        );
        let not = crate::parse("not a:1").unwrap().into_expr();
        assert_eq!(not.clone().without_terms(&drop("a")), None);
        let Some(Expr::Not { span, .. }) = not.without_terms(&drop("b")) else {
            panic!()
        };
        assert_eq!(span, Span::new(0, 7));
    }

    #[test]
    fn spans_move_together() {
        let mut q = crate::parse("(a:1 or b:2) and not c:3")
            .unwrap()
            .into_expr();
        q.map_spans(&|s| Span::new(s.start + 10, s.end + 10));
        let Expr::And(g) = &q else { panic!() };
        assert_eq!(g.span(), Span::new(10, 34));
        assert_eq!(g.operands()[0].span(), Span::new(10, 22));
        let Expr::Or(inner) = &g.operands()[0] else {
            panic!()
        };
        let term = inner.operands()[1].as_term().unwrap();
        assert_eq!(
            (term.span(), term.value_span()),
            (Span::new(18, 21), Span::new(20, 21))
        );
        assert_eq!(g.operands()[1].span(), Span::new(27, 34));
        let Expr::Not { operand, .. } = &g.operands()[1] else {
            panic!()
        };
        assert_eq!(operand.span(), Span::new(31, 34));
        let mut e = Expr::from(t("a", "1"));
        e.set_group_span(Span::new(1, 2));
        assert_eq!(e.span(), Span::default());
        let mut g = t("a", "1").or(t("b", "2"));
        g.set_group_span(Span::new(1, 9));
        assert_eq!(g.span(), Span::new(1, 9));
    }

    #[test]
    fn the_serialised_tree_reads_back_through_the_constructors() {
        let q = crate::parse("a:1 not b:2").unwrap().into_expr();
        let json = serde_json::to_value(&q).unwrap();
        assert!(json.to_string().contains(r#""juxtaposed":true"#), "{json}");
        assert_eq!(serde_json::from_value::<Expr>(json).unwrap(), q);
        let plain = serde_json::to_string(&!Expr::from(t("a", "1"))).unwrap();
        assert!(!plain.contains("juxtaposed"), "{plain}");
        let one: Expr = serde_json::from_str(
            r#"{"and": [{"term": {"type": "a", "op": "match", "value": "1"}}]}"#,
        )
        .unwrap();
        assert_eq!(one, Expr::from(t("a", "1")));
        let nested: Expr = serde_json::from_str(
            r#"{"or": [{"or": [{"term": {"type": "a", "op": "match", "value": "1"}}, {"term": {"type": "b", "op": "match", "value": "2"}}]}, {"term": {"type": "c", "op": "match", "value": "3"}}]}"#,
        )
        .unwrap();
        assert_eq!(nested.to_string(), "(a:1 or b:2 or c:3)");
        assert!(serde_json::from_str::<Expr>(r#"{"or": []}"#).is_err());
        assert!(
            serde_json::from_str::<Expr>(
                r#"{"term": {"type": "a b", "op": "match", "value": "1"}}"#
            )
            .is_err()
        );
    }
}
