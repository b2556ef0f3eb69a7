//! # driftql
//!
//! A compiler for the Driftnet search expression language — a pest grammar, a typed syntax tree,
//! a validator with fixable findings and a canonical printer — with an evaluator of the search
//! semantics ([`eval`]), an async API client ([`client`]), a local API server ([`server`]) and
//! the `driftql` command-line tool.
//!
//! ```
//! let q = driftql::parse(r#"entity:"Tencent Cloud Computing" not port-tcp:22"#).unwrap();
//! assert_eq!(q.to_string(), r#"(entity:"Tencent Cloud Computing" and not port-tcp:22)"#);
//! assert!(q.validate().is_empty());
//! ```
//!
//! Data flows one way: text → pest pairs → [`Expr`] ([`parse`]) → findings
//! ([`Query::validate`], [`Query::fix`]) → canonical text (`Display`) → request ([`client`]).
//! The type registry is data, in [`types`], and so are the lints ([`Lint`]); the API's request
//! parameters and answers are one wire model, [`models`]; scan reports are [`Report`]s, matched
//! by a compiled [`Matcher`].
//!
//! ## The language
//!
//! A term is `type[;context](:|=)value[*]`; terms combine with `not`, `and`, `or` (in that order
//! of precedence) and parentheses. `a:1 not b:2` means `a:1 and not b:2`.
//!
//! - `type:value` matches the value's words inside the item's text; `type=value` matches the
//!   whole value. Types are case-insensitive; keywords (`and`, `or`, `not`) too.
//! - `type;context=value` restricts the term to items of that context; `type;=value` means the
//!   empty context (the directly scanned address or host), which differs from no context at all.
//! - A value is bare (no whitespace, `(`, `)`, `"`, `\` or `*`; `\c` stands for `c`) or quoted
//!   (`"..."`, with `\"` and `\\`); a `*` right after it makes it a prefix.
//!
//! ## Canonical form
//!
//! [`Query`]'s `Display` (and [`Query::canonical`]) prints the one canonical form: operators in
//! lowercase with one space on each side, every `and`/`or` group in parentheses (the outermost
//! too), chains of one operator flattened into one group, a lone term without parentheses,
//! lowercase types, and values bare when they can be, else quoted, escaping only `"` and `\`.
//! A value holding whitespace or a control character is always quoted, so it stays visibly one
//! value. Printing then parsing gives the same tree, whatever strings the tree holds.
//!
//! ## Decisions where the reference is silent
//!
//! - **Unicode whitespace.** Only space, tab, CR and LF separate tokens; any other character,
//!   a no-break space included, is an ordinary value character. The printer quotes a value or
//!   context holding any Unicode white space, so the canonical form shows it as one value.
//! - **Keyword boundaries.** `and`, `or` and `not` are keywords only when followed by whitespace,
//!   `(` or the end; so `not:x` and `and=1` are terms whose type is `not` or `and`. Nothing is
//!   required before a keyword but the end of the operand, so `(a:1)and(b:2)` parses.
//! - **Columns** in errors count characters (Unicode scalar values), not bytes; spans are bytes.
//! - **Nesting** is counted in parentheses and `not`s on the way to the deepest term; at most
//!   [`MAX_DEPTH`] levels parse. The bound holds both as written and as printed: in the canonical
//!   form every `and`/`or` group is parenthesised, so `a:1 or b:1 and (…)` nests two levels per
//!   `(`. [`Query::try_from`] applies the same bound to built trees. A tree built by hand is the
//!   program's own: printing, comparing and dropping it recurse once per level, so keep it
//!   within the bound too ([`Expr::depth`] tells; the evaluator and [`Expr::depth`] itself never
//!   recurse).
//! - **Building** a [`Term`] with a type outside `[A-Za-z0-9_.-]+` is refused
//!   ([`Term::try_new`]); values and contexts may hold any string.
//!
//! ## Features
//!
//! - `render` — compiler-style rendering of diagnostics ([`diagnostic::render`]).
//! - `client` — [`client`]: the async HTTP client for the Driftnet API (reqwest with rustls,
//!   tokio), with typed requests, responses, errors, retries and paging streams; every result
//!   past the 100-page cap, planned in date windows with its cost, a budget and checkpoints
//!   ([`client::plan`]); a cache of pages on disk ([`client::Cache`]: `directories`, `sha2`);
//!   the stored token ([`client::config`]: `toml`).
//! - `export` — [`export`]: reading scan exports in any layout with bounded lines, writing
//!   them as CSV/TSV with chosen fields (`csv`); [`diff`]: two exports compared service by
//!   service.
//! - `server` — [`server`]: a local Driftnet-compatible API server over an in-memory dataset
//!   (axum, tokio).
//! - `lsp` — [`lsp`]: the language server behind `driftql lsp` (lsp-server, lsp-types).
//! - `compile` — [`compile`]: expressions compiled to ClickHouse and DuckDB SQL and to the
//!   OpenSearch query DSL, with the storage each assumes (`serde_json`).
//! - `cli` (default) — the `driftql` binary; includes `render`, `client`, `server`, `export`,
//!   `lsp` and `compile`, and adds
//!   clap, indicatif, humantime, rpassword, clap_complete and clap_mangen.
//!
//! **The default is the command-line tool**, so that `cargo install driftql` installs it and
//! `cargo run` runs it. Cargo cannot tell a dependency from an installation, so a library that
//! depends on driftql should turn the default off and name what it uses:
//!
//! ```toml
//! [dependencies]
//! # parse, validate, print, evaluate, the wire model: pest, serde, thiserror, ipnet, strsim,
//! # time and stacker, nothing else
//! driftql = { version = "0.1", default-features = false }
//! # ... and the async client (reqwest, tokio), still without clap or axum
//! driftql = { version = "0.1", default-features = false, features = ["client"] }
//! ```

#![warn(missing_docs)]

// The generated parser names `alloc` (pest is built without its `std` feature; see Cargo.toml).
extern crate alloc;

pub mod ast;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "compile")]
pub mod compile;
pub mod diagnostic;
#[cfg(feature = "export")]
pub mod diff;
pub mod eval;
#[cfg(feature = "export")]
pub mod export;
mod lint;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod models;
mod parse;
mod print;
mod query;
mod recover;
pub mod report;
#[cfg(feature = "server")]
pub mod server;
pub mod text;
pub mod types;
mod validate;

pub use ast::{BuildError, Expr, Group, Op, Span, Term};
pub use diagnostic::{Diagnostic, Fix, Severity};
pub use eval::{MatchOptions, Matcher};
pub use lint::Lint;
pub use parse::{MAX_DEPTH, ParseError, SyntaxErrorKind};
pub use query::{Query, parse};
pub use recover::{MAX_ERRORS, Recovered, parse_recovering};
pub use report::{Item, ItemRef, Report, ReportRef, ScanItem, ScannedPort};
pub use validate::ValidationError;

/// The README's examples, run as doctests (they use the client too).
#[cfg(all(doctest, feature = "client"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
