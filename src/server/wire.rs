//! The server's error answers: an HTTP status and the JSON [`ErrorBody`], as an axum response.

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::models::{ErrorBody, ParamDiagnostic};

/// An error answer: its HTTP status, the JSON body `{"error": ..., "code": ..., "diagnostics":
/// [...]}` and, for a 429, `Retry-After`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorBody,
    /// Seconds to wait before trying again (for a 429), sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// A 400 carrying `diagnostics` (at least one should be an error).
    pub fn refused(diagnostics: Vec<ParamDiagnostic>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: ErrorBody::refusal(diagnostics),
            retry_after: None,
        }
    }

    /// An error with no diagnostics.
    pub fn new(status: StatusCode, code: &'static str, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody::new(code, error),
            retry_after: None,
        }
    }

    /// This error with `Retry-After: secs`.
    #[must_use]
    pub fn with_retry_after(mut self, secs: u64) -> ApiError {
        self.retry_after = Some(secs);
        self
    }
}

impl From<Vec<ParamDiagnostic>> for ApiError {
    fn from(diagnostics: Vec<ParamDiagnostic>) -> Self {
        ApiError::refused(diagnostics)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status, &self.body);
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// `value` as JSON with `status`.
pub(crate) fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    json_bytes(status, to_json(value))
}

/// A JSON body already written.
pub(crate) fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

pub(crate) fn to_json(value: &impl Serialize) -> Vec<u8> {
    // The wire types hold strings and numbers only, which always serialise.
    serde_json::to_vec(value).unwrap_or_default()
}
