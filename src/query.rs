//! [`Query`]: a parsed expression together with the text it was parsed from.

use std::fmt;

use serde::Serialize;

use crate::ast::{Expr, Span};
use crate::parse::{MAX_DEPTH, ParseError, parse_expr};

/// Parses an expression.
///
/// ```
/// let q = driftql::parse("product-tag:dahua and (geo-country=RU or geo-country=IR)").unwrap();
/// assert_eq!(q.to_string(), "(product-tag:dahua and (geo-country=RU or geo-country=IR))");
///
/// let err = driftql::parse("title: foo").unwrap_err();
/// assert_eq!(err.code(), "space-in-term");
/// assert_eq!((err.line(), err.column()), (1, 7));
/// ```
pub fn parse(input: &str) -> Result<Query, ParseError> {
    parse_expr(input).map(|expr| Query::from_parts(input.to_owned(), expr))
}

/// A parsed expression and its source text.
///
/// Spans in the tree (and in diagnostics about it) are byte offsets into [`Query::source`].
/// Two queries are equal (and hash alike) when their trees are equal, however they were written:
/// `parse("a:1 AND b:2") == parse("(a:1 and b:2)")`.
/// `Display` renders the canonical form. A query built with the builder API is converted with
/// [`Query::try_from`]: its source is its canonical form, parsed again so that every span is real.
///
/// ```
/// use driftql::{Op, Query, Term};
/// let expr = Term::new("port-tcp", Op::Match, "443").and(!Term::new("geo-country", Op::Keyword, "CN"));
/// let q = Query::try_from(expr).unwrap();
/// assert_eq!(q.source(), "(port-tcp:443 and not geo-country=CN)");
/// ```
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct Query {
    #[serde(skip)]
    source: String,
    expr: Expr,
}

impl Query {
    pub(crate) fn from_parts(source: String, expr: Expr) -> Self {
        Query { source, expr }
    }

    /// The text the query was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The syntax tree.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The syntax tree, by value.
    pub fn into_expr(self) -> Expr {
        self.expr
    }

    /// The canonical form: the same text as `to_string()`, printed without the formatting
    /// machinery.
    pub fn canonical(&self) -> String {
        self.expr.canonical(self.source.len())
    }
}

impl PartialEq for Query {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

impl Eq for Query {}

impl std::hash::Hash for Query {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.expr.hash(state);
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl std::str::FromStr for Query {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s)
    }
}

impl TryFrom<Expr> for Query {
    type Error = ParseError;

    /// Prints the tree and parses the canonical text back, so the query's spans point into its
    /// source. Fails only for a tree nested deeper than [`MAX_DEPTH`] (`too-deep`): such a tree
    /// is neither printed nor sent.
    fn try_from(expr: Expr) -> Result<Self, ParseError> {
        // A term is one level; every `not` and group around it adds one, as in the source.
        if expr.depth() > MAX_DEPTH + 1 {
            return Err(ParseError::too_deep("", Span::default()));
        }
        let source = expr.canonical(0);
        let expr = parse_expr(&source)?;
        Ok(Query { source, expr })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn queries_are_equal_when_their_trees_are() {
        let a = crate::parse("a:1 AND b:2").unwrap();
        let b = crate::parse("(a:1 and (b:2))").unwrap();
        assert_eq!(a, b);
        assert_ne!(a.source(), b.source());
        assert_ne!(a, crate::parse("a:1 or b:2").unwrap());
    }

    #[test]
    fn equal_queries_hash_alike_and_different_ones_apart() {
        use std::collections::HashSet;
        use std::hash::{BuildHasher, RandomState};
        let state = RandomState::new();
        let hash = |q: &str| state.hash_one(crate::parse(q).unwrap());
        assert_eq!(hash("a:1 AND b:2"), hash("(a:1 and (b:2))"));
        // Different trees almost never collide under one hasher; a hash of nothing would give
        // every query the same one.
        let distinct: HashSet<u64> = ["a:1", "a:2", "b:1", "(a:1 and b:1)", "not a:1"]
            .into_iter()
            .map(hash)
            .collect();
        assert_eq!(distinct.len(), 5);
    }
}
