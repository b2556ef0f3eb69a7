//! Expressions compiled for the engines that hold scan data: ClickHouse and DuckDB SQL, and the
//! OpenSearch query DSL, with the evaluator's meaning.
//!
//! Each backend lowers the checked tree, term by term, from the same reading of the rules the
//! [`Matcher`](crate::Matcher) uses (what a term selects and how it compares, see
//! [`crate::eval`]); nothing is re-parsed. The storage each backend assumes is printed by
//! [`schema`]: the report's `date`, `id` and `items` (`type`, `context`, `value`,
//! `is_metadata`), as a Driftnet export holds them, and, per item, what the rules read from it —
//! the value lowercased and split into words, the address, the host, a URL's host — computed by
//! the engine when a report is loaded, by functions the schema defines from the evaluator's own
//! case and word tables. A query is then a plain test of those columns.
//!
//! Where a target cannot say a rule exactly, [`compile`] returns [`CompileError::Unsupported`]
//! naming the rule; it never returns a query that means something else.
//!
//! ```
//! use driftql::compile::{compile, CompileOptions, Target};
//!
//! let q = driftql::parse("port-tcp:443 and not geo-country=CN").unwrap();
//! let sql = compile(&q, Target::DuckDb, &CompileOptions::default()).unwrap();
//! assert!(sql.starts_with("SELECT date, id, items FROM reports WHERE "));
//! assert!(sql.contains("regexp_matches(i.value, '^0*443$')"));
//! ```
//!
//! Values reach a query only as string literals written by the target's quoting rules (and in
//! regular expressions only with every character that is not a letter or digit escaped), so no
//! value changes a query's structure.

use std::fmt;
use std::str::FromStr;

use crate::ast::{Expr, Term};
use crate::eval::{MatchOptions, TermMatcher};
use crate::models::Date;
use crate::query::Query;

mod opensearch;
mod sql;
mod unicode;

/// An engine to compile for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// ClickHouse SQL (also chDB, ClickHouse's engine in process).
    ClickHouse,
    /// DuckDB SQL.
    DuckDb,
    /// An OpenSearch `_search` request body.
    OpenSearch,
}

impl Target {
    /// Every target, in the order of their names.
    pub const ALL: [Target; 3] = [Target::ClickHouse, Target::DuckDb, Target::OpenSearch];

    /// The target's name on the command line: `clickhouse`, `duckdb`, `opensearch`.
    pub fn name(self) -> &'static str {
        match self {
            Target::ClickHouse => "clickhouse",
            Target::DuckDb => "duckdb",
            Target::OpenSearch => "opensearch",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no target.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown target `{0}`: expected clickhouse, duckdb or opensearch")]
pub struct UnknownTarget(pub String);

impl FromStr for Target {
    type Err = UnknownTarget;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownTarget(s.to_owned()))
    }
}

/// What a compiled query searches: the match options of a search, and its dates (inclusive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompileOptions {
    /// Slop and `host_in_url`, as for the [`Matcher`](crate::Matcher).
    pub matching: MatchOptions,
    /// The first date searched.
    pub from: Option<Date>,
    /// The last date searched.
    pub to: Option<Date>,
}

impl CompileOptions {
    /// These options with the match options set.
    #[must_use]
    pub fn with_matching(mut self, matching: MatchOptions) -> Self {
        self.matching = matching;
        self
    }

    /// These options searching from `from` to `to` (inclusive; either may be absent).
    #[must_use]
    pub fn with_dates(mut self, from: Option<Date>, to: Option<Date>) -> Self {
        self.from = from;
        self.to = to;
        self
    }
}

/// Why an expression could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The target cannot say this rule exactly.
    #[error("{target} cannot express {rule} exactly, needed by `{term}`")]
    Unsupported {
        /// The target.
        target: Target,
        /// The rule, as the evaluator's documentation names it.
        rule: &'static str,
        /// The term that needs it, in canonical form.
        term: String,
    },
}

/// Compiles `query` for `target`: a complete query against the tables of [`schema`] — for SQL,
/// `SELECT date, id, items FROM reports WHERE ...`, newest first; for OpenSearch, the body of a
/// `_search` request on the `reports` index.
pub fn compile(
    query: &Query,
    target: Target,
    options: &CompileOptions,
) -> Result<String, CompileError> {
    match target {
        Target::ClickHouse => sql::compile(query.expr(), sql::Dialect::ClickHouse, options),
        Target::DuckDb => sql::compile(query.expr(), sql::Dialect::DuckDb, options),
        Target::OpenSearch => opensearch::compile(query.expr(), options),
    }
}

/// The storage `target`'s queries run against, with how to load a Driftnet NDJSON export into
/// it: SQL statements (each ending with `;`) for ClickHouse and DuckDB, the index's settings and
/// mappings as JSON for OpenSearch.
pub fn schema(target: Target) -> String {
    match target {
        Target::ClickHouse => sql::schema(sql::Dialect::ClickHouse),
        Target::DuckDb => sql::schema(sql::Dialect::DuckDb),
        Target::OpenSearch => opensearch::schema(),
    }
}

impl Query {
    /// Compiles the query for `target` (see [`compile`]).
    pub fn compile(
        &self,
        target: Target,
        options: &CompileOptions,
    ) -> Result<String, CompileError> {
        compile(self, target, options)
    }
}

/// A term as the evaluator reads it, with its canonical form for errors.
pub(crate) struct Lowered<'a> {
    pub(crate) term: &'a Term,
    pub(crate) plan: TermMatcher,
}

impl Lowered<'_> {
    fn new<'a>(term: &'a Term, options: &MatchOptions) -> Lowered<'a> {
        Lowered {
            term,
            plan: TermMatcher::new(term, options),
        }
    }

    pub(crate) fn unsupported(&self, target: Target, rule: &'static str) -> CompileError {
        CompileError::Unsupported {
            target,
            rule,
            term: Expr::Term(self.term.clone()).to_string(),
        }
    }
}

/// How a backend writes the boolean structure around its terms.
pub(crate) trait Backend {
    type Out;
    fn term(&mut self, term: &Lowered<'_>) -> Result<Self::Out, CompileError>;
    fn not(&mut self, operand: Self::Out) -> Self::Out;
    fn and(&mut self, operands: Vec<Self::Out>) -> Self::Out;
    fn or(&mut self, operands: Vec<Self::Out>) -> Self::Out;
}

/// Lowers `expr` with `backend`. It recurses once per level: a [`Query`]'s tree is at most
/// [`crate::MAX_DEPTH`] deep.
pub(crate) fn lower<B: Backend>(
    expr: &Expr,
    backend: &mut B,
    options: &MatchOptions,
) -> Result<B::Out, CompileError> {
    Ok(match expr {
        Expr::Term(t) => backend.term(&Lowered::new(t, options))?,
        Expr::Not { operand, .. } => {
            let inner = lower(operand, backend, options)?;
            backend.not(inner)
        }
        Expr::And(g) => {
            let parts = g
                .iter()
                .map(|e| lower(e, backend, options))
                .collect::<Result<_, _>>()?;
            backend.and(parts)
        }
        Expr::Or(g) => {
            let parts = g
                .iter()
                .map(|e| lower(e, backend, options))
                .collect::<Result<_, _>>()?;
            backend.or(parts)
        }
    })
}

/// The 128-bit range of a block, IPv4 blocks as their IPv4-mapped IPv6 range, as 32 lowercase
/// hexadecimal digits each: how both SQL schemas store an address.
pub(crate) fn ip_range(net: &ipnet::IpNet) -> (String, String) {
    let mapped = |a: std::net::IpAddr| match a {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        std::net::IpAddr::V6(v6) => v6,
    };
    let hex = |a: std::net::IpAddr| format!("{:032x}", u128::from(mapped(a)));
    (hex(net.network()), hex(net.broadcast()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_named_as_on_the_command_line() {
        for t in Target::ALL {
            assert_eq!(t.name().parse::<Target>(), Ok(t));
            assert_eq!(t.to_string(), t.name());
        }
        let err = "ClickHouse".parse::<Target>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown target `ClickHouse`: expected clickhouse, duckdb or opensearch"
        );
    }

    #[test]
    fn an_ipv4_block_is_its_ipv4_mapped_range() {
        let net: ipnet::IpNet = "10.0.0.0/8".parse().unwrap();
        assert_eq!(
            ip_range(&net),
            (
                "00000000000000000000ffff0a000000".to_owned(),
                "00000000000000000000ffff0affffff".to_owned()
            )
        );
        let net: ipnet::IpNet = "2001:db8::/32".parse().unwrap();
        assert_eq!(
            ip_range(&net),
            (
                "20010db8000000000000000000000000".to_owned(),
                "20010db8ffffffffffffffffffffffff".to_owned()
            )
        );
    }
}
