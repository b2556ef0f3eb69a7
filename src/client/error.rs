//! What can go wrong talking to the API.

use std::time::Duration;

use crate::models::RequestError;
use crate::validate::ValidationError;

/// A call to the API failed, or was refused before it was made.
///
/// Nothing here ever holds the API token: messages and body snippets taken from the server have
/// any occurrence of it replaced by `[redacted]`.
///
/// The message of an error says everything, its causes included, so none of these errors
/// returns a [`source`](std::error::Error::source): printing the chain would say it twice.
/// The underlying values stay reachable as fields.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The expression has validation errors; nothing was sent. The diagnostics (errors and
    /// warnings) are in the [`ValidationError`], ready for
    /// [`diagnostic::render`](crate::diagnostic) against [`Query::source`](crate::Query::source).
    #[error("the query is invalid: {0}")]
    InvalidQuery(ValidationError),
    /// A search parameter was refused before sending (no expression and no `ip`, `from` after
    /// `to`, ...); nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(RequestError),
    /// HTTP 401: the token is missing, wrong or revoked. Never retried.
    #[error("the API refused the token (HTTP 401): {message}")]
    Unauthorized {
        /// The server's message.
        message: String,
    },
    /// HTTP 403 whose message speaks of a quota, a limit or usage: the token's quota is spent.
    /// Never retried.
    #[error("the token's quota is exhausted (HTTP 403): {message}")]
    QuotaExceeded {
        /// The server's message.
        message: String,
    },
    /// HTTP 403 for any other reason, e.g. a feature the plan does not include. Never retried.
    #[error("not permitted (HTTP 403): {message}")]
    Forbidden {
        /// The server's message.
        message: String,
    },
    /// HTTP 429 (too many concurrent queries) still, after every retry; or the server asked for
    /// a longer wait than the client is configured to accept.
    #[error("rate limited (HTTP 429){}", match retry_after {
        Some(d) => format!(": the API asks to retry after {} s", d.as_secs()),
        None => String::new(),
    })]
    RateLimited {
        /// The server's `Retry-After`, when it sent one (in seconds).
        retry_after: Option<Duration>,
    },
    /// Any other non-success status: 400/422 (the server refused the request), 5xx after every
    /// retry, or anything unexpected.
    #[error("the API answered HTTP {status}: {message}")]
    Api {
        /// The HTTP status code.
        status: u16,
        /// The server's message (or the start of its body).
        message: String,
    },
    /// The answer was larger than [`ClientBuilder::max_body`](super::ClientBuilder::max_body);
    /// it was not read further, and not retried.
    #[error(
        "the API's answer (HTTP {status}) is larger than the {limit} bytes this client reads; \
         narrow the request, or raise the limit"
    )]
    BodyTooLarge {
        /// The HTTP status code.
        status: u16,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The response body was not what the API documents.
    #[error(
        "could not decode the API's answer (HTTP {status}): {message}; the body starts {body_snippet:?}"
    )]
    Decode {
        /// The HTTP status code.
        status: u16,
        /// What the decoder said.
        message: String,
        /// The start of the body (at most 200 characters).
        body_snippet: String,
    },
    /// The API could not be reached, or the connection failed, after every retry.
    #[error("could not reach the API: {message}")]
    Transport {
        /// What failed, with its causes.
        message: String,
        /// The underlying error (its message, with the token redacted, is `message`).
        error: reqwest::Error,
    },
    /// The plan of [`Everything`](super::Everything) costs more quota than its budget allows:
    /// nothing was fetched beyond the probes the planning needed.
    #[error(
        "the search would cost {}{estimate} quota units, more than the budget of {budget}; \
         nothing more was fetched (the planning spent {spent})",
        if *complete { "" } else { "at least " }
    )]
    OverBudget {
        /// The units the plan costs (at least this many, when the planning stopped early).
        estimate: u64,
        /// Whether `estimate` is the whole plan's cost (the planning went to its end) or the
        /// least it could cost (the planning stopped as soon as that passed the budget).
        complete: bool,
        /// The budget.
        budget: u64,
        /// The units the planning spent.
        spent: u64,
    },
    /// A checkpoint could not be read or written, or belongs to another search.
    #[error(transparent)]
    Checkpoint(CheckpointError),
}

/// A checkpoint file of [`Everything`](super::Everything) could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The file could not be read or written.
    #[error("checkpoint {path}: {error}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// The file is not a checkpoint, or is damaged.
    #[error("checkpoint {path} cannot be used: {reason}")]
    Damaged {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, and where.
        reason: String,
    },
    /// Another run is using the checkpoint.
    #[error("checkpoint {path} is in use by another run of driftql")]
    InUse {
        /// The file.
        path: std::path::PathBuf,
    },
    /// The file is the checkpoint of another search.
    #[error(
        "checkpoint {path} belongs to another search ({found}), not this one ({wanted}); \
         give another file, or delete it to start this search anew"
    )]
    OtherSearch {
        /// The file.
        path: std::path::PathBuf,
        /// The search it records.
        found: String,
        /// This search.
        wanted: String,
    },
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Self {
        Error::InvalidRequest(e)
    }
}

impl Error {
    /// The HTTP status the server answered, for errors that come from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { .. } => Some(401),
            Error::QuotaExceeded { .. } | Error::Forbidden { .. } => Some(403),
            Error::RateLimited { .. } => Some(429),
            Error::Api { status, .. }
            | Error::Decode { status, .. }
            | Error::BodyTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the request was refused by the client itself, before sending anything (more):
    /// the query or a parameter, a budget too small, a checkpoint of another search.
    pub fn is_refused_before_sending(&self) -> bool {
        matches!(
            self,
            Error::InvalidQuery(_)
                | Error::InvalidRequest(_)
                | Error::OverBudget { .. }
                | Error::Checkpoint(
                    CheckpointError::OtherSearch { .. } | CheckpointError::InUse { .. }
                )
        )
    }
}

/// A page of a paged search failed (after every retry). Pages before it were delivered and stay
/// valid; to go on, start a new stream at [`PageError::page`] with
/// [`SearchBuilder::page`](super::SearchBuilder::page).
///
/// In the fetching of a plan ([`Harvest`](super::Harvest)), the page is one of a date window's,
/// named by [`PageError::window`].
#[derive(Debug, thiserror::Error)]
#[error("page {page}{} failed: {error}", match window {
    Some(w) => format!(" (window: {w})"),
    None => String::new(),
})]
#[non_exhaustive]
pub struct PageError {
    /// The page that failed: where to resume.
    pub page: u32,
    /// The date window the page is of, in the fetching of a plan.
    pub window: Option<super::plan::Window>,
    /// Why.
    pub error: Error,
}

impl PageError {
    /// The underlying error.
    pub fn into_error(self) -> Error {
        self.error
    }
}

/// A [`Client`](super::Client) could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No token was given (nor found in `DRIFTNET_API_TOKEN`).
    #[error("no API token: set DRIFTNET_API_TOKEN or pass a token")]
    MissingToken,
    /// The token holds characters that cannot go in an HTTP header. (The token is not shown.)
    #[error("the API token holds characters that cannot be sent in an HTTP header")]
    InvalidToken,
    /// The token is too short to be a secret: it could not be kept out of messages.
    #[error(
        "the API token is shorter than {min} characters; a token that short cannot be told \
         apart from ordinary text, so it could not be kept out of messages"
    )]
    ShortToken {
        /// The shortest token accepted.
        min: usize,
    },
    /// The base URL does not parse, or is not an `http(s)` URL without credentials, query or
    /// fragment.
    #[error("invalid API base URL: {reason}")]
    InvalidBaseUrl {
        /// What is wrong.
        reason: String,
    },
    /// A plain `http://` base URL whose host is not a loopback address: the token would travel
    /// in clear text.
    #[error(
        "refusing to send the API token over plain http:// to `{host}`: use https:// (plain http is allowed only for loopback hosts)"
    )]
    InsecureBaseUrl {
        /// The host.
        host: String,
    },
    /// A setting is out of range (e.g. a concurrency of 0).
    #[error("invalid client setting `{name}`: {reason}")]
    InvalidSetting {
        /// The setting.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The HTTP client could not be built (e.g. TLS set-up failed).
    #[error("could not set up the HTTP client: {0}")]
    Http(reqwest::Error),
}
