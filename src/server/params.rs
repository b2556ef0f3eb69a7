//! Reading request parameters from a query string, with every problem reported at once.

use std::net::IpAddr;

use crate::ast::{Op, Span, Term};
use crate::diagnostic::{Diagnostic, Severity};
use crate::eval::MatchOptions;
use crate::request::{self, Date, Filter, IpParam, RequestError, SummaryLimit};

use super::search::{MAX_PAGES, SearchRequest, SummaryRequest};
use super::wire::{ApiError, ParamDiagnostic};

/// The decoded `name=value` pairs of a query string, in order.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes a raw query string (`application/x-www-form-urlencoded`: `+` is a space, `%XX` a
    /// byte). A pair whose name or value does not decode to UTF-8 is an `invalid-encoding` error.
    pub(crate) fn parse(raw: Option<&str>) -> Result<Params, ApiError> {
        let mut pairs = Vec::new();
        let mut errors = Vec::new();
        for piece in raw.unwrap_or("").split('&') {
            if piece.is_empty() {
                continue;
            }
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            match (decode(name), decode(value)) {
                (Some(n), Some(v)) => pairs.push((n, v)),
                (n, _) => {
                    let name =
                        n.unwrap_or_else(|| String::from_utf8_lossy(name.as_bytes()).into_owned());
                    errors.push(param_error(
                        Some(&name),
                        "invalid-encoding",
                        piece,
                        format!("the parameter `{piece}` is not UTF-8 text once its %-escapes are decoded"),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(Params { pairs })
        } else {
            Err(ApiError::bad_request(errors))
        }
    }

    /// Every non-empty value of `name`.
    fn all(&self, name: &str) -> impl Iterator<Item = &str> + '_ {
        let name = name.to_owned();
        self.pairs
            .iter()
            .filter(move |(n, v)| *n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, empty ones included.
    fn every(&self, name: &str) -> impl Iterator<Item = &str> + '_ {
        let name = name.to_owned();
        self.pairs
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a parameter given at most once; an empty value counts as absent.
    fn one(&self, name: &'static str, errors: &mut Vec<ParamDiagnostic>) -> Option<&str> {
        let mut values = self.all(name);
        let first = values.next()?;
        if values.next().is_some() {
            errors.push(param_error(
                Some(name),
                "repeated-parameter",
                "",
                format!("`{name}` may be given only once"),
            ));
            return None;
        }
        Some(first)
    }

    fn bool(&self, name: &'static str, errors: &mut Vec<ParamDiagnostic>) -> bool {
        match self.one(name, errors) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => true,
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => false,
            Some(v) => {
                errors.push(param_error(
                    Some(name),
                    "invalid-bool",
                    v,
                    format!("`{name}` must be `true` or `false`, not `{v}`"),
                ));
                false
            }
        }
    }

    /// The search parameters of `/v1/scan/protocols` and `/v1/scan/domains`.
    pub(crate) fn search(&self, enterprise: bool) -> Result<SearchRequest, ApiError> {
        let mut errors = Vec::new();
        let e = &mut errors;

        let expression = self
            .one("expression", e)
            .and_then(|src| match crate::parse(src) {
                Err(err) => {
                    e.push(ParamDiagnostic::new(
                        Some("expression"),
                        err.into_diagnostic(),
                    ));
                    None
                }
                Ok(q) => match q.check() {
                    Ok(_) => Some(q),
                    Err(invalid) => {
                        e.extend(
                            invalid
                                .diagnostics
                                .into_iter()
                                .map(|d| ParamDiagnostic::new(Some("expression"), d)),
                        );
                        None
                    }
                },
            });
        let ip = self
            .one("ip", e)
            .and_then(|v| request_result(v.parse::<IpParam>(), v, e));
        let indirect = self.bool("indirect", e);
        let filter = self
            .one("filter", e)
            .and_then(|v| request_result(v.parse::<Filter>(), v, e));
        let from = self
            .one("from", e)
            .and_then(|v| request_result(Date::parse_param("from", v), v, e));
        let to = self
            .one("to", e)
            .and_then(|v| request_result(Date::parse_param("to", v), v, e));
        if let Err(err) = request::check_date_range(from, to) {
            let v = format!(
                "{}..{}",
                from.map(|d| d.to_string()).unwrap_or_default(),
                to.map(|d| d.to_string()).unwrap_or_default()
            );
            request_result::<()>(Err(err), &v, e);
        }
        let most_recent = self.bool("most_recent", e);
        let host_in_url = self.bool("host_in_url", e);
        let slop = self
            .one("slop", e)
            .and_then(|v| request_result(request::parse_slop(v), v, e))
            .unwrap_or(0);
        let page = self
            .one("page", e)
            .and_then(|v| request_result(request::parse_page(v), v, e))
            .unwrap_or(0);
        if page >= MAX_PAGES {
            e.push(
                ParamDiagnostic::new(
                    Some("page"),
                    Diagnostic::new(
                        Severity::Error,
                        "page-limit",
                        "",
                        Span::default(),
                        format!("a search returns at most {MAX_PAGES} pages (pages 0 to {}), not page {page}", MAX_PAGES - 1),
                    )
                    .with_help("narrow the search, for example with a shorter `from`/`to` window"),
                ),
            );
        }

        let summarize = self.one("summarize", e).and_then(|ty| {
            if Term::try_new(ty, Op::Match, "").is_ok() {
                Some(ty.to_owned())
            } else {
                e.push(param_error(
                    Some("summarize"),
                    "invalid-summarize",
                    ty,
                    format!("`summarize` takes a type name such as `port-tcp`, not `{ty}`"),
                ));
                None
            }
        });
        let limit = self
            .one("summary_limit", e)
            .and_then(|v| request_result(SummaryLimit::parse(v, enterprise), v, e))
            .unwrap_or(SummaryLimit::DEFAULT);
        let cardinality = self.bool("summary_cardinality", e);
        // An empty context is a context (the scanned host's), not an absent parameter.
        let contexts: Vec<String> = self.every("summary_context").map(str::to_owned).collect();
        let nocontexts: Vec<String> = self.every("summary_nocontext").map(str::to_owned).collect();

        if expression.is_none()
            && ip.is_none()
            && self.all("expression").next().is_none()
            && self.all("ip").next().is_none()
        {
            let err = RequestError::NothingToSearch;
            e.push(param_error(None, err.code(), "", err.to_string()));
        }

        if !errors.is_empty() {
            return Err(ApiError::bad_request(errors));
        }
        Ok(SearchRequest {
            expression,
            ip,
            indirect,
            filter,
            from,
            to,
            most_recent,
            options: MatchOptions { slop, host_in_url },
            page,
            summary: summarize.map(|ty| SummaryRequest {
                ty,
                contexts,
                nocontexts,
                limit,
                cardinality,
            }),
        })
    }

    /// The parameters of `/v1/scan/protocols/prioritize`: one address and one port.
    pub(crate) fn prioritize(&self) -> Result<(IpAddr, u16), ApiError> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let ip = match self.one("ip", e) {
            None => {
                e.push(param_error(
                    Some("ip"),
                    "missing-parameter",
                    "",
                    "`ip` is required: the address to scan",
                ));
                None
            }
            Some(v) => match v.parse::<IpAddr>() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    e.push(param_error(
                        Some("ip"),
                        "invalid-ip-parameter",
                        v,
                        format!("`ip`: `{v}` is not one IP address (e.g. 8.8.8.8 or 2001:db8::1)"),
                    ));
                    None
                }
            },
        };
        let port = match self.one("port", e) {
            None => {
                e.push(param_error(
                    Some("port"),
                    "missing-parameter",
                    "",
                    "`port` is required: the port to scan",
                ));
                None
            }
            Some(v) => match crate::types::parse_port(v) {
                Some(p) => Some(p),
                None => {
                    e.push(param_error(
                        Some("port"),
                        "invalid-port-parameter",
                        v,
                        format!("`port` must be a whole number from 0 to 65535, not `{v}`"),
                    ));
                    None
                }
            },
        };
        match (ip, port) {
            (Some(ip), Some(port)) if errors.is_empty() => Ok((ip, port)),
            _ => Err(ApiError::bad_request(errors)),
        }
    }

    /// Whether the query string is empty.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// The value of a checked parameter, or `None` with its error recorded.
fn request_result<T>(
    r: Result<T, RequestError>,
    value: &str,
    errors: &mut Vec<ParamDiagnostic>,
) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(err) => {
            errors.extend(request_error(err, value));
            None
        }
    }
}

/// The diagnostics of a refused parameter: a `filter`'s own findings keep their spans into the
/// filter; any other error covers the whole value.
pub(crate) fn request_error(err: RequestError, value: &str) -> Vec<ParamDiagnostic> {
    let param = err.param();
    match err {
        RequestError::FilterSyntax(e) => vec![ParamDiagnostic::new(param, e.into_diagnostic())],
        RequestError::FilterInvalid(v) => v
            .diagnostics
            .into_iter()
            .map(|d| ParamDiagnostic::new(param, d))
            .collect(),
        other => vec![param_error(param, other.code(), value, other.to_string())],
    }
}

/// An error about a parameter, its span covering the whole value.
pub(crate) fn param_error(
    param: Option<&str>,
    code: &'static str,
    value: &str,
    message: impl Into<String>,
) -> ParamDiagnostic {
    ParamDiagnostic::new(
        param,
        Diagnostic::new(
            Severity::Error,
            code,
            value,
            Span::new(0, value.len()),
            message,
        ),
    )
}

/// Percent-decodes one name or value of a query string; `None` when the bytes are not UTF-8.
/// A `%` not followed by two hex digits stands for itself.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|&c| (c as char).to_digit(16));
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                if let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A query string parsed for tests.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(decode("a+b%20c%2B").as_deref(), Some("a b c+"));
        assert_eq!(decode("100%").as_deref(), Some("100%"));
        assert_eq!(decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(decode("%FF"), None);
        assert!(Params::parse(Some("&&")).unwrap().is_empty());
        assert!(Params::parse(Some("x=%FF")).is_err());
    }
}
