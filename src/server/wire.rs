//! The JSON shapes the server sends (API.md "Responses").

use serde::{Serialize, Serializer};

use crate::diagnostic::Diagnostic;
use crate::report::Report;

/// A page of results: `{"page": 0, "pages": 22, "result_count": 2174, "results": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResultsPage<'a> {
    /// The page number, from 0.
    pub page: u32,
    /// How many pages can be fetched (at most [`MAX_PAGES`](super::search::MAX_PAGES)).
    pub pages: u32,
    /// How many reports match in all (this may exceed what the pages hold).
    pub result_count: u64,
    /// The page's reports, newest first.
    pub results: Vec<&'a Report>,
}

/// A summary of one type's values over the matching reports:
/// `{"summary": {"other": 0, "values": {"443": 64, "993": 10}, "cardinality": 154}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryResponse {
    /// The summary.
    pub summary: Summary,
}

/// The counted values of a summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The counts of the values left out by the limit, added up.
    pub other: u64,
    /// The most frequent values with their counts, by count (highest first) then value; written
    /// as a JSON object in that order.
    #[serde(serialize_with = "ordered_map")]
    pub values: Vec<(String, u64)>,
    /// The number of distinct values, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cardinality: Option<u64>,
}

fn ordered_map<S: Serializer>(values: &[(String, u64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(values.iter().map(|(k, v)| (k, v)))
}

/// A token's quota, as `GET /v1/admin/user` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserQuota {
    /// Search quota per period.
    pub api_limit: u64,
    /// Search quota used this period.
    pub api_usage: u64,
    /// Prioritize requests allowed per period.
    pub priority_limit: u64,
    /// Prioritize requests made this period.
    pub priority_usage: u64,
    /// Search quota used since the token was issued.
    pub lifetime_usage: u64,
    /// When the current period started (`YYYY-MM-DD`).
    pub reset: String,
    /// When the next period starts (`YYYY-MM-DD`).
    pub next_reset: String,
    /// Websocket connections allowed (the local server offers none).
    pub ws_limit: u64,
    /// Websocket connections in use.
    pub ws_usage: u64,
}

/// The answer to a prioritize request: `{"ip": "1.2.3.4", "port": 443, "queued": true}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Prioritized {
    /// The address to scan.
    pub ip: String,
    /// The port to scan.
    pub port: u16,
    /// Always true: the request was recorded.
    pub queued: bool,
}

/// One finding about a request: a [`Diagnostic`] (its spans are into the parameter's value)
/// and the parameter it is about, when there is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParamDiagnostic {
    /// The parameter, e.g. `expression` or `page`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// The finding.
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
}

impl ParamDiagnostic {
    /// A finding about `param`.
    pub fn new(param: Option<&str>, diagnostic: Diagnostic) -> Self {
        ParamDiagnostic {
            param: param.map(str::to_owned),
            diagnostic,
        }
    }
}

/// An error answer: its HTTP status and the JSON body
/// `{"error": "message", "code": "...", "diagnostics": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// The HTTP status.
    #[serde(skip)]
    pub status: u16,
    /// A one-line message.
    pub error: String,
    /// A stable code: the first diagnostic's code for a 400, else e.g. `unauthorized`.
    pub code: &'static str,
    /// Every finding (for a 400), errors and warnings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<ParamDiagnostic>,
    /// Seconds to wait before trying again (for a 429), sent as `Retry-After` too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// A 400 carrying `diagnostics` (at least one should be an error).
    pub fn bad_request(diagnostics: Vec<ParamDiagnostic>) -> ApiError {
        let errors: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.diagnostic.is_error())
            .collect();
        let (error, code) = match errors.as_slice() {
            [] => ("the request was refused".to_owned(), "bad-request"),
            [one] => (describe(one), one.diagnostic.code),
            [first, rest @ ..] => (
                format!("{} (and {} more errors)", describe(first), rest.len()),
                first.diagnostic.code,
            ),
        };
        ApiError {
            status: 400,
            error,
            code,
            diagnostics,
            retry_after: None,
        }
    }

    /// An error with no diagnostics.
    pub fn new(status: u16, code: &'static str, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error: error.into(),
            code,
            diagnostics: Vec::new(),
            retry_after: None,
        }
    }
}

fn describe(d: &ParamDiagnostic) -> String {
    match &d.param {
        Some(p) if !d.diagnostic.message.contains(&format!("`{p}`")) => {
            format!("{p}: {}", d.diagnostic.message)
        }
        _ => d.diagnostic.message.clone(),
    }
}
