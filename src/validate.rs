//! The validator: the lints of [`Lint`], with stable codes, spans, help and fixes.
//!
//! The lints, with their codes, severities and fixes, are the rows of [`Lint`]; each is
//! checked below.
//!
//! Decisions where the reference is silent:
//! - An empty value gets `empty-value` only, and nothing else about its value.
//! - A term of an unknown type is checked as a text term (`unknown-type`, then the generic lints).
//! - `search-term=` gets no finding beyond `slow-search-term`: the reference lists none.
//! - `context-needs-keyword` is not reported on a term that already has `keyword-only-type`
//!   (both ask for the same `=`), nor on `search-term`, which takes only `:`.
//! - `case-sensitive-value` looks at `protocol` values whatever the operator.
//! - `host-with-scheme`'s fix turns the term into a `url` term with the same value.
//! - `not not not x` is one double negation (the outer two), then `not x`: pairs are taken from
//!   the outside in, so their fixes never overlap.
//! - A leading `+` or a sign is not a port; leading zeros are (`0443` is port 443).

use crate::ast::{Expr, Op, Span, Term};
use crate::diagnostic::Diagnostic;
use crate::lint::Lint;
use crate::print::write_value;
use crate::query::Query;
use crate::types::{self, KNOWN_PROTOCOLS, Selects, ValueSyntax};

/// A query has validation errors; they (and any warnings) are in [`ValidationError::diagnostics`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.diagnostics))]
#[non_exhaustive]
pub struct ValidationError {
    /// Every finding, errors and warnings, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl ValidationError {
    /// The code of the first error: the code of the refusal as a whole.
    pub fn first_code(&self) -> &'static str {
        self.diagnostics
            .iter()
            .find(|d| d.is_error())
            .map_or("invalid-query", |d| d.code)
    }
}

fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
    match errors.as_slice() {
        [] => "the query has no errors".to_string(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more errors)", rest.len()),
    }
}

impl Query {
    /// Every finding about the query, in source order. Spans are byte offsets into
    /// [`Query::source`].
    ///
    /// ```
    /// let q = driftql::parse("geo-country:gb and port-tcp:99999").unwrap();
    /// let codes: Vec<_> = q.validate().iter().map(|d| d.code).collect();
    /// assert_eq!(codes, ["keyword-only-type", "country-case", "invalid-port"]);
    /// ```
    pub fn validate(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut cx = Cx {
            src: self.source(),
            out: &mut out,
        };
        cx.expr(self.expr());
        out.sort_by_key(|d| (d.span.start, d.span.end));
        crate::diagnostic::locate_all(self.source(), &mut out);
        out
    }

    /// The warnings, or an error holding every finding when there is any error.
    ///
    /// ```
    /// let q = driftql::parse("ip=8.8.8.8").unwrap();
    /// let err = q.check().unwrap_err();
    /// assert_eq!(err.diagnostics[0].code, "ip-needs-match");
    /// ```
    pub fn check(&self) -> Result<Vec<Diagnostic>, ValidationError> {
        let diagnostics = self.validate();
        if diagnostics.iter().any(Diagnostic::is_error) {
            Err(ValidationError { diagnostics })
        } else {
            Ok(diagnostics)
        }
    }

    /// The query with every machine-applicable fix applied, parsed again.
    ///
    /// Fixes that overlap are applied in rounds (at most a few), so the result has no fixable
    /// finding left; fixing is idempotent.
    ///
    /// ```
    /// let q = driftql::parse("geo-country:gb or protocol=MODBUS or tilte:x").unwrap();
    /// assert_eq!(q.fix().to_string(), "(geo-country=GB or protocol=modbus or title:x)");
    /// ```
    #[must_use]
    pub fn fix(&self) -> Query {
        let mut current = self.clone();
        // Every round removes at least one fixable finding; overlapping ones wait a round.
        for _ in 0..8 {
            let mut fixes: Vec<_> = current
                .validate()
                .into_iter()
                .filter_map(|d| d.fix)
                .collect();
            if fixes.is_empty() {
                break;
            }
            fixes.sort_by_key(|f| (f.span.start, f.span.end));
            let src = current.source();
            let mut text = String::with_capacity(src.len());
            let mut at = 0;
            for f in &fixes {
                if f.span.start < at {
                    continue; // overlaps the previous fix: next round
                }
                text.push_str(&src[at..f.span.start]);
                text.push_str(&f.replacement);
                at = f.span.end;
            }
            text.push_str(&src[at..]);
            if text == current.source() {
                break;
            }
            match crate::parse(&text) {
                Ok(q) => current = q,
                // Every replacement is a well-formed operator, type or printed value, so this
                // cannot happen; keep what parses rather than fail.
                Err(_) => break,
            }
        }
        current
    }
}

struct Cx<'a> {
    src: &'a str,
    out: &'a mut Vec<Diagnostic>,
}

impl Cx<'_> {
    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Term(t) => self.term(t),
            Expr::And(g) | Expr::Or(g) => g.iter().for_each(|c| self.expr(c)),
            Expr::Not {
                operand,
                span,
                juxtaposed,
            } => match &**operand {
                Expr::Not {
                    operand: inner,
                    span: inner_span,
                    ..
                } => {
                    self.double_negation(*span, *juxtaposed, *inner_span, inner);
                    self.expr(inner);
                }
                other => self.expr(other),
            },
        }
    }

    fn push(&mut self, lint: Lint, span: Span, message: String) -> &mut Diagnostic {
        // Lines and columns are set for all findings at once, at the end.
        self.out.push(Diagnostic::unlocated(
            lint.severity(),
            lint.code(),
            span,
            message,
        ));
        self.out.last_mut().expect("just pushed")
    }

    /// `not not x`: the finding covers the two `not`s (and whatever stands between them); the
    /// fix replaces the whole outer `not` with what remains once every `not not` pair in the
    /// chain is dropped, as it was written (a parenthesised group keeps its parentheses), so
    /// the fixes of a chain of pairs never need more than one round. A `not` that carried an
    /// `and` (`a:1 not not b:2`) leaves the `and` behind.
    fn double_negation(&mut self, outer: Span, juxtaposed: bool, inner: Span, operand: &Expr) {
        let mut rest = operand;
        while let Expr::Not { operand: o, .. } = rest
            && let Expr::Not {
                operand: deeper, ..
            } = &**o
        {
            rest = deeper;
        }
        let span = Span::new(outer.start, operand.span().start.max(inner.start));
        // A query's spans are real (a built tree is printed and parsed again), so there is
        // always text to keep.
        let mut replacement = String::from(if juxtaposed { "and " } else { "" });
        replacement.push_str(&self.src[rest.span().range()]);
        let fix = Some(crate::Fix {
            span: outer,
            replacement,
        });
        let d = self.push(Lint::DoubleNegation, span, "`not not` cancels out".into());
        d.help = Some(format!("drop both: `{operand}` means the same"));
        d.fix = fix;
    }

    fn term(&mut self, t: &Term) {
        let info = types::lookup(t.ty()).unwrap_or_else(|| {
            self.unknown_type(t);
            &types::UNKNOWN
        });
        let mut wrong_op = false;
        if t.op() == Op::Match && !info.allows_match {
            wrong_op = true;
            let d = self.push(
                Lint::KeywordOnlyType,
                t.op_span(),
                format!("`{}` only takes `=` (an exact keyword)", info.name),
            );
            d.help = Some(format!("write `{}=`", info.name));
            d.fix = op_fix(t, Op::Keyword);
        }
        if t.op() == Op::Keyword && !info.allows_keyword && info.name == "ip" {
            wrong_op = true;
            let d = self.push(
                Lint::IpNeedsMatch,
                t.op_span(),
                "`ip` takes `:` (an address or a CIDR block to look in), not `=`".into(),
            );
            d.help = Some("write `ip:`".into());
            d.fix = op_fix(t, Op::Match);
        }
        if t.context().is_some()
            && t.op() == Op::Match
            && !info.context_with_match
            && !wrong_op
            && info.allows_keyword
        {
            let d = self.push(
                Lint::ContextNeedsKeyword,
                t.op_span(),
                format!(
                    "a context restriction on `{}` is meant for exact values, with `=`",
                    info.name
                ),
            );
            d.help = Some("use `=`; with `:` the value's words are matched in that context".into());
            d.fix = op_fix(t, Op::Keyword);
        }
        if info.slow {
            let d = self.push(
                Lint::SlowSearchTerm,
                t.type_span(),
                "`search-term` searches every type and is slow".into(),
            );
            d.help = Some(
                "use a specific type when you know it, e.g. `title:` or `server-banner:`".into(),
            );
        }
        if t.value().is_empty() {
            self.empty_value(t);
            return;
        }
        match info.value_syntax {
            ValueSyntax::IpOrCidr => self.ip_value(t),
            ValueSyntax::Port => self.port_value(t),
            ValueSyntax::CountryCode => self.country_value(t),
            ValueSyntax::Hex(_) | ValueSyntax::Murmur3 => self.hash_value(t, info.value_syntax),
            ValueSyntax::Cve => self.cve_value(t),
            ValueSyntax::Asn => self.asn_value(t),
            ValueSyntax::Any => {}
        }
        if matches!(info.selects, Selects::ContextOf("server-banner")) {
            self.protocol_value(t);
        }
        if info.name == "host" && (t.value().contains("://") || t.value().contains('/')) {
            let d = self.push(
                Lint::HostWithScheme,
                t.value_span(),
                "a host name has no scheme or path".into(),
            );
            d.help = Some(
                "to search URLs, use `url:`; a host is written without `://` or `/`, e.g. `host:example.com`"
                    .into(),
            );
            if !t.span().is_empty() {
                d.fix = Some(crate::Fix {
                    span: t.type_span(),
                    replacement: "url".into(),
                });
            }
        }
    }

    fn unknown_type(&mut self, t: &Term) {
        let close = types::similar(t.ty());
        let d = self.push(
            Lint::UnknownType,
            t.type_span(),
            format!("`{}` is not a known type", t.ty()),
        );
        d.help = Some(match close.as_slice() {
            [] => format!(
                "known types: {}",
                types::TYPES
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            [(one, _)] => format!("did you mean `{one}`?"),
            many => format!(
                "did you mean one of: {}?",
                many.iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
        if let Some(best) = types::closest(t.ty())
            && !t.span().is_empty()
        {
            d.fix = Some(crate::Fix {
                span: t.type_span(),
                replacement: best.to_string(),
            });
        }
    }

    fn empty_value(&mut self, t: &Term) {
        let d = self.push(
            Lint::EmptyValue,
            t.value_span(),
            "the value is empty".into(),
        );
        d.help = Some("write the value to search for between the quotes".into());
    }

    /// The span of the value with its prefix `*`, if any.
    fn value_and_prefix(t: &Term) -> Span {
        if t.is_prefix() {
            Span::new(t.value_span().start, t.span().end)
        } else {
            t.value_span()
        }
    }

    fn ip_value(&mut self, t: &Term) {
        let v = t.value();
        let valid = types::parse_ip_or_cidr(v).is_some();
        let (message, help) = if !valid {
            (
                format!("`{v}` is not an IP address or CIDR block"),
                "write an IPv4 or IPv6 address (`8.8.8.8`, `2001:db8::1`) or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`)".to_string(),
            )
        } else if t.is_prefix() {
            (
                "an IP address cannot be a prefix (`*`)".to_string(),
                "use a CIDR block for a range of addresses, e.g. `ip:10.0.0.0/8`".to_string(),
            )
        } else {
            return;
        };
        let d = self.push(Lint::InvalidIp, Self::value_and_prefix(t), message);
        d.help = Some(help);
    }

    fn port_value(&mut self, t: &Term) {
        let v = t.value();
        let valid = types::parse_port(v).is_some();
        let message = if !valid {
            format!("`{v}` is not a port number (0 to 65535)")
        } else if t.is_prefix() {
            "a port number cannot be a prefix (`*`)".to_string()
        } else {
            return;
        };
        let d = self.push(Lint::InvalidPort, Self::value_and_prefix(t), message);
        d.help = Some(format!(
            "write one port as a whole number, e.g. `{}:443`",
            t.ty()
        ));
    }

    /// A hash: so many hex digits, or a signed 32-bit integer. A prefix (`*`) only has to start
    /// one: hex digits, no more than the hash holds.
    fn hash_value(&mut self, t: &Term, syntax: ValueSyntax) {
        let v = t.value();
        let (ok, what) = match syntax {
            ValueSyntax::Hex(n) => {
                let hex = v.bytes().all(|b| b.is_ascii_hexdigit());
                let ok = hex
                    && if t.is_prefix() {
                        v.len() <= n
                    } else {
                        v.len() == n
                    };
                (ok, format!("{n} hex digits"))
            }
            _ => {
                let ok = types::parse_murmur3(v).is_some();
                (
                    ok,
                    "a signed 32-bit integer, e.g. `-2057558656`".to_string(),
                )
            }
        };
        if ok {
            return;
        }
        let d = self.push(
            Lint::InvalidHash,
            Self::value_and_prefix(t),
            format!("`{v}` is not an `{}` hash", t.ty()),
        );
        d.help = Some(format!("an `{}` hash is {what}", t.ty()));
    }

    fn cve_value(&mut self, t: &Term) {
        let v = t.value();
        // A prefix only has to start an identifier: `CVE-2021-*`.
        let ok = types::is_cve(v) || (t.is_prefix() && types::is_cve(&cve_completion(v)));
        if ok {
            return;
        }
        let d = self.push(
            Lint::InvalidCve,
            Self::value_and_prefix(t),
            format!("`{v}` is not a CVE identifier"),
        );
        d.help = Some("write it as `CVE-YYYY-NNNN`, e.g. `cve=CVE-2021-44228`".into());
    }

    fn asn_value(&mut self, t: &Term) {
        let v = t.value();
        let message = if types::parse_asn(v).is_none() {
            format!("`{v}` is not an autonomous system number")
        } else if t.is_prefix() {
            "an autonomous system number cannot be a prefix (`*`)".to_string()
        } else {
            return;
        };
        let d = self.push(Lint::InvalidAsn, Self::value_and_prefix(t), message);
        d.help = Some("write `AS` and its number, or the number alone: `asn:AS15169`".into());
    }

    fn country_value(&mut self, t: &Term) {
        let v = t.value();
        if v.len() != 2 || !v.bytes().all(|b| b.is_ascii_alphabetic()) {
            let d = self.push(
                Lint::InvalidCountry,
                t.value_span(),
                format!("`{v}` is not a two-letter country code"),
            );
            d.help =
                Some("write an ISO 3166-1 alpha-2 code in capitals, e.g. `geo-country=GB`".into());
        } else if v.bytes().any(|b| b.is_ascii_lowercase()) {
            let upper = v.to_ascii_uppercase();
            let d = self.push(
                Lint::CountryCase,
                t.value_span(),
                format!("country codes are uppercase: `{upper}`"),
            );
            d.help = Some(format!("write `{upper}`"));
            d.fix = value_fix(t, &upper);
        }
    }

    fn protocol_value(&mut self, t: &Term) {
        let v = t.value();
        if KNOWN_PROTOCOLS.contains(&v) {
            return;
        }
        if let Some(known) = KNOWN_PROTOCOLS.iter().find(|p| p.eq_ignore_ascii_case(v)) {
            let d = self.push(
                Lint::CaseSensitiveValue,
                t.value_span(),
                format!("protocol names are case-sensitive: `{v}` is not `{known}`"),
            );
            d.help = Some(format!("write `{known}`"));
            d.fix = value_fix(t, known);
        }
    }
}

/// The shortest CVE identifier `prefix` starts, to judge a prefix: its digits and dashes
/// completed with zeros (`CVE-2021-` → `CVE-2021-0000`).
fn cve_completion(prefix: &str) -> String {
    const SHAPE: &str = "CVE-0000-0000";
    let mut out = prefix.to_owned();
    out.push_str(SHAPE.get(prefix.len()..).unwrap_or_default());
    out
}

/// A fix replacing the term's operator.
fn op_fix(t: &Term, op: Op) -> Option<crate::Fix> {
    (!t.span().is_empty()).then(|| crate::Fix {
        span: t.op_span(),
        replacement: op.to_string(),
    })
}

/// A fix replacing the term's value (quotes included) with `value`, printed canonically.
fn value_fix(t: &Term, value: &str) -> Option<crate::Fix> {
    (!t.span().is_empty()).then(|| {
        let mut replacement = String::new();
        write_value(&mut replacement, value).expect("writing to a String");
        crate::Fix {
            span: t.value_span(),
            replacement,
        }
    })
}
