//! The async client for the Driftnet HTTP API (feature `client`).
//!
//! ```no_run
//! use driftql::client::Client;
//! use futures::TryStreamExt;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_env()?; // DRIFTNET_API_TOKEN, and DRIFTNET_API_URL if set
//! let query = driftql::parse("product-tag:dahua and geo-country=RU")?;
//!
//! // One page.
//! let page = client.search(query.clone()).send().await?;
//! println!("{} results in {} pages", page.result_count, page.pages);
//!
//! // Every page, as a stream of reports (up to 5 pages fetched at once, in order).
//! let mut reports = client.search(query).max_pages(10).reports()?;
//! while let Some(report) = reports.try_next().await? {
//!     println!("{} {}", report.date, report.id);
//! }
//! if let Some(t) = reports.truncation() {
//!     eprintln!("warning: {t}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Requests are checked before they are sent (the expression's validation errors, and the
//! other parameters), and the expression goes out in its canonical form. Up to
//! [`ClientBuilder::concurrency`] requests run at once across everything the client does.
//! HTTP 429, 500, 502, 503, 504 and 524 and failed connections are retried with exponential
//! backoff and jitter, waiting `Retry-After` seconds when the server says so; other errors are
//! returned at once, typed ([`Error`]).
//!
//! Decisions where the API's documentation is silent:
//! - The client follows no redirects: a 3xx is an [`Error::Api`].
//! - A 403 whose message mentions a quota, a limit or usage is [`Error::QuotaExceeded`],
//!   any other 403 [`Error::Forbidden`].
//! - `Retry-After` is read in seconds or as an HTTP date (a date already past means "now"); one
//!   longer than [`ClientBuilder::max_retry_after`] (default 120 s) is not waited for: the error
//!   ([`Error::RateLimited`] for a 429) is returned with it. A value that is neither (a negative
//!   number, say) is ignored, and the backoff delay applies.
//! - Timeouts and connections that fail mid-response are retried like failed connections.
//! - A 200 with an empty body is treated like a 204.
//! - Searches always send `page` (0 unless set); unset parameters are not sent; booleans that
//!   are set go out as `true`/`false`. A request whose URL would be longer than the API accepts
//!   ([`MAX_URL_BYTES`](crate::models::MAX_URL_BYTES), 32 KiB) is refused before it is sent.
//!
//! Bounds and secrets:
//! - An answer is read up to [`ClientBuilder::max_body`] (default 64 MiB); past it,
//!   [`Error::BodyTooLarge`], not retried.
//! - The token is at least 8 characters, so that it can be told from ordinary text. Every text
//!   that comes from outside (a server's message, a body's start, an error of the HTTP stack)
//!   is shown with each occurrence of the token, and a part of it at either end, replaced by
//!   `[redacted]`, then with its control characters escaped, then cut short: in that order, so
//!   that no cut can expose a piece of the token.
//! - Paged searches drop a report whose `id` they delivered before and count it; when the
//!   pages held fewer reports than the server said match, the stream says so
//!   ([`TruncationReason::Incomplete`]).
//!
//! Past the API's cap of 100 pages a search, [`SearchBuilder::everything`] gets every result: it
//! plans the search in date windows of at most 10,000 results, says what the plan costs before
//! spending it, keeps to a budget, and goes on from a checkpoint ([`plan`]). With a
//! [`Cache`] ([`ClientBuilder::cache`]), a results page is paid for once.

mod cache;
pub mod config;
mod error;
mod lookups;
mod paging;
pub mod plan;
mod retry;
mod search;
mod secret;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

pub use cache::{CACHE_DIR_ENV, Cache, CacheStats, DEFAULT_CACHE_TTL, NoCacheDir};
pub use error::{CheckpointError, ConfigError, Error, PageError};
pub use lookups::{DEFAULT_MAX_IPPORTS_REQUESTS, IpSummaryBuilder, PortsBuilder};
pub use paging::{Pages, Reports, Truncation, TruncationReason};
pub use plan::{Everything, Harvest, Plan};
pub use search::{SearchBuilder, SummaryBuilder};

// The wire model the client speaks, from `crate::models`.
pub use crate::models::{
    Account, Endpoint, IpPorts, IpSummary, MAX_PAGES, PAGE_SIZE, Ports, Quota, ResultsPage, Summary,
};

use retry::{Failure, RETRIED_STATUSES, RetryPolicy};
use secret::{REDACTED, Token};

use crate::Query;
use crate::models::IpParam;

/// The API's address.
pub const DEFAULT_BASE_URL: &str = "https://api.driftnet.io";
/// The environment variable holding the API token.
pub const TOKEN_ENV: &str = "DRIFTNET_API_TOKEN";
/// The environment variable that overrides the base URL.
pub const URL_ENV: &str = "DRIFTNET_API_URL";
/// The most queries a token may run at once; the client's default concurrency.
pub const MAX_CONCURRENT_QUERIES: usize = 5;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest answer read by default: 64 MiB.
pub const DEFAULT_MAX_BODY: usize = 64 << 20;
const SNIPPET_CHARS: usize = 200;
const MESSAGE_CHARS: usize = 500;

/// A client for the Driftnet API. Cheap to clone: clones share the connection pool and the
/// concurrency limit.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    token: Token,
    auth: HeaderValue,
    max_body: usize,
    retry: RetryPolicy,
    limiter: Semaphore,
    concurrency: usize,
    timeout: Duration,
    cache: Option<Cache>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &i.base.as_str())
            .field("token", &REDACTED)
            .field("timeout", &i.timeout)
            .field("max_retries", &i.retry.max_retries)
            .field("concurrency", &i.concurrency)
            .field("cache", &i.cache.as_ref().map(Cache::dir))
            .finish()
    }
}

impl Client {
    /// A builder, to set the token, base URL, timeout, retries and concurrency.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client with `token` and every other setting at its default.
    pub fn new(token: impl Into<String>) -> Result<Client, ConfigError> {
        Client::builder().token(token).build()
    }

    /// A client with the token from `DRIFTNET_API_TOKEN` and, when it is set, the base URL from
    /// `DRIFTNET_API_URL`.
    pub fn from_env() -> Result<Client, ConfigError> {
        Client::builder().with_env().build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// How many requests may run at once.
    pub fn concurrency(&self) -> usize {
        self.inner.concurrency
    }

    /// The cache of results pages, when one is set.
    pub fn cache(&self) -> Option<&Cache> {
        self.inner.cache.as_ref()
    }

    /// A search of `scan/protocols`.
    pub fn protocols(&self) -> SearchBuilder {
        SearchBuilder::new(self.clone(), Endpoint::Protocols)
    }

    /// A search of `scan/domains`.
    pub fn domains(&self) -> SearchBuilder {
        SearchBuilder::new(self.clone(), Endpoint::Domains)
    }

    /// A search of `scan/favicons`: reports by their favicon, with
    /// [`favicon`](SearchBuilder::favicon) (a hash) or a `url:` [`field`](SearchBuilder::field).
    pub fn favicons(&self) -> SearchBuilder {
        SearchBuilder::new(self.clone(), Endpoint::Favicons)
    }

    /// A search of `domain/rdns`: reports by reverse DNS name or name server, with
    /// [`ip`](SearchBuilder::ip), [`host`](SearchBuilder::host) or
    /// [`nameserver`](SearchBuilder::nameserver).
    pub fn rdns(&self) -> SearchBuilder {
        SearchBuilder::new(self.clone(), Endpoint::Rdns)
    }

    /// A search of `ct/log`, the certificate log: reports whose certificates name a host, with
    /// a `host:` [`field`](SearchBuilder::field).
    pub fn ct_log(&self) -> SearchBuilder {
        SearchBuilder::new(self.clone(), Endpoint::CtLog)
    }

    /// The open ports of an address or block, counted over the last 30 days by default
    /// (`GET /v1/scan/ports`).
    pub fn ports(&self, ip: impl Into<IpParam>) -> lookups::PortsBuilder {
        lookups::PortsBuilder::new(self.clone(), ip.into(), false)
    }

    /// The open ports of each address of a block (`GET /v1/scan/ipports`). A block of more
    /// than 1,024 addresses is asked for in requests of 1,024 each, and the answers merged.
    pub fn ipports(&self, block: impl Into<IpParam>) -> lookups::PortsBuilder {
        lookups::PortsBuilder::new(self.clone(), block.into(), true)
    }

    /// What is known of an address: its domain and its entity (`GET /v1/ip/summary`).
    pub fn ip_summary(&self, ip: IpAddr) -> lookups::IpSummaryBuilder {
        lookups::IpSummaryBuilder::new(self.clone(), ip)
    }

    /// A search of `scan/protocols` for `query`: `client.protocols().expression(query)`.
    pub fn search(&self, query: Query) -> SearchBuilder {
        self.protocols().expression(query)
    }

    /// Asks for protocol collection on one address and port
    /// (`GET /v1/scan/protocols/prioritize`). The API documents no body: whatever JSON it
    /// answers is returned as it is (`null` for an empty answer).
    ///
    /// The API allows about 5 of these a second, averaged over 10 minutes.
    pub async fn prioritize(&self, ip: IpAddr, port: u16) -> Result<serde_json::Value, Error> {
        let mut url = self.endpoint_url(crate::models::PRIORITIZE_PATH);
        let params = crate::models::PrioritizeParams { ip, port };
        url.query_pairs_mut().extend_pairs(params.to_pairs());
        Ok(self
            .get_json::<serde_json::Value>(url)
            .await?
            .unwrap_or(serde_json::Value::Null))
    }

    /// The account behind the token and its quota (`GET /v1/admin/user`). The token the API
    /// echoes in its answer is dropped while decoding ([`Account`]).
    #[doc(alias = "quota")]
    pub async fn user(&self) -> Result<Account, Error> {
        let url = self.endpoint_url(crate::models::ACCOUNT_PATH);
        Ok(self.get_json::<Account>(url).await?.unwrap_or_default())
    }

    /// The URL of `path` below the base URL.
    pub(crate) fn endpoint_url(&self, path: &str) -> Url {
        self.inner
            .base
            .join(path)
            .unwrap_or_else(|_| self.inner.base.clone())
    }

    /// GETs `url` with retries and decodes the JSON answer; `None` for 204 or an empty body.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<Option<T>, Error> {
        let answer = self.inner.retry.run(|| self.attempt(url.clone())).await?;
        let Some((status, body)) = answer else {
            return Ok(None);
        };
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| Error::Decode {
                status,
                message: self.shown(&e.to_string(), MESSAGE_CHARS),
                body_snippet: self.shown(&String::from_utf8_lossy(&body), SNIPPET_CHARS),
            })
    }

    /// One request: the status and body of a success (`None` when there is no body), or why it
    /// failed and whether that is worth a retry.
    async fn attempt(&self, url: Url) -> Result<Option<(u16, Vec<u8>)>, Failure> {
        // The semaphore is never closed, so this always gets a permit.
        let _permit = self.inner.limiter.acquire().await.ok();
        let mut response = self
            .inner
            .http
            .get(url)
            .header(AUTHORIZATION, self.inner.auth.clone())
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers(), std::time::SystemTime::now());
        // The body is read a chunk at a time, and no further than the bound.
        let limit = self.inner.max_body;
        let too_large = || Failure {
            error: Error::BodyTooLarge { status, limit },
            retryable: false,
            retry_after: None,
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        if (200..300).contains(&status) {
            if status == 204 || body.iter().all(u8::is_ascii_whitespace) {
                return Ok(None);
            }
            return Ok(Some((status, body)));
        }
        Err(self.status_failure(status, retry_after, &body))
    }

    fn status_failure(&self, status: u16, retry_after: Option<Duration>, body: &[u8]) -> Failure {
        let raw = server_message(status, body);
        let message = self.shown(&raw, MESSAGE_CHARS);
        let error = match status {
            401 => Error::Unauthorized { message },
            403 => {
                // Judged on the server's own words: the token, redacted in `message`, may be
                // part of one of them.
                let m = raw.to_ascii_lowercase();
                if ["quota", "limit", "usage", "exhaust", "exceed"]
                    .iter()
                    .any(|w| m.contains(w))
                {
                    Error::QuotaExceeded { message }
                } else {
                    Error::Forbidden { message }
                }
            }
            429 => Error::RateLimited { retry_after },
            _ => Error::Api { status, message },
        };
        Failure {
            error,
            retryable: RETRIED_STATUSES.contains(&status),
            retry_after,
        }
    }

    fn transport(&self, e: reqwest::Error) -> Failure {
        let mut message = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            let text = c.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            cause = c.source();
        }
        Failure {
            retryable: !e.is_builder(),
            retry_after: None,
            error: Error::Transport {
                message: self.shown(&message, MESSAGE_CHARS),
                error: e,
            },
        }
    }

    /// Text from outside as the client shows it: the token redacted, then control characters
    /// escaped, then cut to `max_chars`.
    fn shown(&self, text: &str, max_chars: usize) -> String {
        self.inner.token.shown(text, max_chars)
    }
}

/// `Retry-After`, as seconds or as an HTTP date (a date in the past means now); `None` when it
/// is absent or neither (a negative number, say), so the backoff applies.
fn retry_after(headers: &HeaderMap, now: std::time::SystemTime) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The server's message in an error body, whole: a JSON `message`/`error`/`detail`/
/// `description` string when there is one, else the body, else the status's reason. (It is
/// redacted and cut when it is shown.)
fn server_message(status: u16, body: &[u8]) -> String {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        for key in ["message", "error", "detail", "description", "msg"] {
            match map.get(key) {
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                    return s.trim().to_owned();
                }
                Some(serde_json::Value::Object(inner)) => {
                    if let Some(serde_json::Value::String(s)) = inner.get("message") {
                        return s.trim().to_owned();
                    }
                }
                _ => {}
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no message")
            .to_owned()
    } else {
        text.to_owned()
    }
}

/// Settings for a [`Client`]. Every setting has a default except the token.
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    token: Option<String>,
    base_url: Option<String>,
    timeout: Duration,
    concurrency: usize,
    retry: RetryPolicy,
    max_body: usize,
    cache: Option<Cache>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            token: None,
            base_url: None,
            timeout: DEFAULT_TIMEOUT,
            concurrency: MAX_CONCURRENT_QUERIES,
            retry: RetryPolicy::default(),
            max_body: DEFAULT_MAX_BODY,
            cache: None,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token.as_ref().map(|_| REDACTED))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("concurrency", &self.concurrency)
            .field("retry", &self.retry)
            .field("max_body", &self.max_body)
            .field("cache", &self.cache.as_ref().map(Cache::dir))
            .finish()
    }
}

impl ClientBuilder {
    /// The API token, sent as `Authorization: Bearer <token>`. Surrounding whitespace is
    /// dropped. A token shorter than 8 characters is refused when the client is built: one so
    /// short could not be kept out of messages.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The base URL (default `https://api.driftnet.io`). Plain `http://` is accepted only for a
    /// loopback host (127.0.0.0/8, `::1`, `localhost`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Takes the token from `DRIFTNET_API_TOKEN` and the base URL from `DRIFTNET_API_URL`, for
    /// each that is set and not empty. Later calls to [`token`](Self::token) and
    /// [`base_url`](Self::base_url) override them.
    pub fn with_env(mut self) -> Self {
        if let Some(t) = std::env::var(TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
        {
            self.token = Some(t);
        }
        if let Some(u) = std::env::var(URL_ENV).ok().filter(|u| !u.trim().is_empty()) {
            self.base_url = Some(u);
        }
        self
    }

    /// The time one request may take, from connecting to the end of the body (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a failed request is retried (default 4); 0 turns retries off.
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// How many requests may run at once, across every call on the client (default 5, the
    /// API's per-token cap). It is also the default prefetch of paged searches.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// The first retry's backoff delay (default 500 ms); each further retry doubles it, up to
    /// [`max_retry_delay`](Self::max_retry_delay), and a random jitter of up to the delay
    /// again is added.
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry.base_delay = delay;
        self
    }

    /// The longest backoff delay (default 30 s).
    pub fn max_retry_delay(mut self, delay: Duration) -> Self {
        self.retry.max_delay = delay;
        self
    }

    /// The largest answer read, in bytes (default 64 MiB); a larger one is
    /// [`Error::BodyTooLarge`], not retried, and is not read further.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The longest `Retry-After` the client waits for (default 120 s); when the server asks for
    /// longer, the error is returned instead.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.retry.max_retry_after = wait;
        self
    }

    /// Keeps the results pages of searches in `cache`, and answers from it the pages it holds
    /// fresh: such a page costs no quota. See [`Cache`]. Default: no cache.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use driftql::client::{Cache, Client};
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let cache = Cache::at_default_dir()?.ttl(Duration::from_secs(6 * 3600));
    /// let client = Client::builder().with_env().cache(cache).build()?;
    /// # Ok(()) }
    /// ```
    pub fn cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Builds the client: checks the token and the base URL.
    pub fn build(self) -> Result<Client, ConfigError> {
        let token = Token::new(self.token.as_deref().unwrap_or(""))?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| ConfigError::InvalidToken)?;
        auth.set_sensitive(true);
        let base = parse_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        if self.concurrency == 0 {
            return Err(ConfigError::InvalidSetting {
                name: "concurrency",
                reason: "at least one request must be allowed at a time".into(),
            });
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::InvalidSetting {
                name: "timeout",
                reason: "must be longer than zero".into(),
            });
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("driftql/", env!("CARGO_PKG_VERSION")))
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ConfigError::Http)?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                token,
                auth,
                max_body: self.max_body,
                retry: self.retry,
                limiter: Semaphore::new(self.concurrency),
                concurrency: self.concurrency,
                timeout: self.timeout,
                cache: self.cache,
            }),
        })
    }
}

/// Parses and checks a base URL: `https`, or `http` to a loopback host; no credentials, query
/// or fragment. The path gets a trailing `/` so endpoint paths join below it.
fn parse_base_url(text: &str) -> Result<Url, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl { reason };
    let text = text.trim();
    let mut url = Url::parse(text).map_err(|e| {
        // A URL with credentials is not echoed.
        if text.contains('@') {
            invalid(e.to_string())
        } else {
            invalid(format!("`{text}`: {e}"))
        }
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "credentials in the URL are not allowed (the token goes in a header)".into(),
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| invalid(format!("`{url}` has no host")))?
        .to_owned();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err(ConfigError::InsecureBaseUrl { host }),
        other => return Err(invalid(format!("`{other}:` is not http(s)"))),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!(
            "`{url}` has a query or a fragment; give only the scheme, host, port and path"
        )));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Whether a URL host is a loopback address or `localhost`.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => a.is_loopback(),
        Ok(IpAddr::V6(a)) => {
            a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => {
            let name = bare.strip_suffix('.').unwrap_or(bare);
            name.eq_ignore_ascii_case("localhost")
        }
    }
}

/// A folder for one unit test of the client, `driftql-NAME-PID` in the system's temporary
/// folder, gone (whatever an earlier run left there is removed) and not yet created.
#[cfg(test)]
pub(crate) fn test_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("driftql-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for yes in [
            "127.0.0.1",
            "127.8.9.10",
            "[::1]",
            "localhost",
            "LOCALHOST",
            "localhost.",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "10.0.0.1",
            "[::2]",
            "localhost.example",
            "example.com",
            "0.0.0.0",
            "128.0.0.1",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn base_urls() {
        let ok = |s: &str| parse_base_url(s).unwrap().to_string();
        assert_eq!(ok("https://api.driftnet.io"), "https://api.driftnet.io/");
        assert_eq!(
            ok("http://127.0.0.1:8080/prefix"),
            "http://127.0.0.1:8080/prefix/"
        );
        assert_eq!(ok("http://[::1]:1/"), "http://[::1]:1/");
        assert!(matches!(
            parse_base_url("http://api.driftnet.io"),
            Err(ConfigError::InsecureBaseUrl { .. })
        ));
        assert!(matches!(
            parse_base_url("http://10.1.2.3:80"),
            Err(ConfigError::InsecureBaseUrl { .. })
        ));
        for bad in [
            "ftp://x",
            "not a url",
            "https://u:secret@x.io",
            "https://x.io/?a=1",
            "https://x.io/#f",
        ] {
            let e = parse_base_url(bad).unwrap_err();
            assert!(matches!(e, ConfigError::InvalidBaseUrl { .. }), "{bad}");
            assert!(!e.to_string().contains("secret"));
        }
    }

    #[test]
    fn server_messages() {
        assert_eq!(
            server_message(400, br#"{"error": "bad expression"}"#),
            "bad expression"
        );
        assert_eq!(
            server_message(400, br#"{"error": {"message": "nested"}}"#),
            "nested"
        );
        assert_eq!(
            server_message(502, b"  <html>gateway</html>\n"),
            "<html>gateway</html>"
        );
        assert_eq!(server_message(503, b""), "Service Unavailable");
        assert_eq!(server_message(524, b""), "no message");
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let headers = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
            h
        };
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:28:30 GMT"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("-5"), now), None);
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
