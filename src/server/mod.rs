//! A local Driftnet-compatible API server over an in-memory dataset (feature `server`).
//!
//! It answers the Driftnet API's endpoints (the table below) over a [`Dataset`] read from a scan
//! export ([`Dataset::read`], every layout [`crate::export`] reads) or generated
//! ([`Dataset::sample`]), with the expression semantics of the evaluator ([`crate::eval`]). It is what `driftql serve` runs; tests and demos use it
//! as a stand-in for the real service.
//!
//! ```no_run
//! use std::sync::Arc;
//! use driftql::server::{Dataset, ServerOptions};
//!
//! let server = driftql::server::start(
//!     "127.0.0.1:0".parse().unwrap(),
//!     Arc::new(Dataset::sample(2000)),
//!     ServerOptions::default(),
//! )
//! .unwrap();
//! println!("searching {} at {}", 2000, server.url());
//! // ... send requests ...
//! server.stop();
//! ```
//!
//! # Endpoints
//!
//! | request | answer |
//! |---|---|
//! | `GET /v1/scan/protocols?...` | a results page, a summary, or 204 |
//! | `GET /v1/scan/domains?...` | the same, over the domain-centred reports only |
//! | `GET /v1/scan/favicons?sha1=…\|sha256=…\|md5=…\|murmur3=…\|field=url:…` | the same, over the reports with a favicon |
//! | `GET /v1/domain/rdns?ip=…\|host=…\|nameserver=…` | the same, over the reports with reverse DNS names or name servers |
//! | `GET /v1/ct/log?field=host:…` | the same, over the reports with certificate names |
//! | `GET /v1/scan/ports?ip=IP\|CIDR[&from&to]` | `{"other": N, "values": {"443": 10, ...}, "honeypot": true}` |
//! | `GET /v1/scan/ipports?ip=CIDR[&from&to]` | `{"other": 0, "values": {"ADDRESS": {ports as above}, ...}}` |
//! | `GET /v1/ip/summary?ip=IP[&restrict=whois\|bgp\|rwhois\|rdns]` | `{"domain": {...}, "entity": {...}}`, or 204 |
//! | `GET /v1/scan/protocols/prioritize?ip=IP&port=PORT` | `{"ip": IP, "port": PORT, "queued": true}` |
//! | `GET /v1/admin/user` | the account in the documented shape: `name`, `user_class`, `marketing`, `quota{api_limit, api_usage, lifetime_usage, priority_limit, priority_usage, reset, next_reset}`, and the caller's `token` echoed back, as the real API does |
//!
//! Any other path is a 404 and any other method a 405. With [`ServerOptions::token`] set, every
//! request needs `Authorization: Bearer TOKEN` (the scheme in any case), or gets a 401 with
//! `WWW-Authenticate: Bearer`; tokens are compared in constant time.
//!
//! # Searching
//!
//! A report is a result when it meets every condition given:
//!
//! - `expression` matches it ([`crate::eval`], with `slop` and `host_in_url`);
//! - `ip`: an `ip` item in the **empty** context (the scanned address) lies in the address or
//!   block; with `indirect=true`, an `ip` item in **any** context does (so a certificate's
//!   `cert-ip-address` counts). `indirect` without `ip` changes nothing;
//! - each `filter` is one term, and at least one of them matches it (filters are OR-ed, as the
//!   API's own integrations send them);
//! - the older parameters, each AND-ed: `field=T:V` matches as the term `T:V`, `keyword=T:V`
//!   as `T=V`, and `query=TEXT` as `search-term:"TEXT"`; each is checked like a filter (a bad
//!   one is a 400 naming it), and each may be repeated;
//! - on `scan/favicons`: it has a favicon (an `obj-*` item in the `favicon` context), and the
//!   hash given (`sha1` → `obj-sha1;favicon=HASH`, and so on; hex compared in any case) or
//!   each `field` (`url:…`) matches;
//! - on `domain/rdns`: it has a `host` item in the `dns-ptr` or `dns-ns` context; `host=NAME`
//!   means `host;dns-ptr:NAME` and `nameserver=NAME` means `host;dns-ns:NAME` (right-anchored,
//!   as `host:` is);
//! - on `ct/log`: it has a `host` item in the `cert-dns-name` context, and `field=host:NAME`
//!   means `host;cert-dns-name:NAME`;
//! - its date lies from `from` to `to`, both inclusive;
//! - `/v1/scan/domains` only: it has a `host` item in the empty context, i.e. a host that was
//!   scanned by its name (the collection of domain-centred reports);
//! - with `most_recent=true`: it is the newest of the reports that meet the conditions above for
//!   its `{ip, port}` pair. The pair is the first `ip` item in the empty context that is an
//!   address (IPv4-mapped IPv6 addresses count as IPv4) and the first `port-tcp` or `port-udp`
//!   item in the empty context that is a port number; TCP and UDP ports are different pairs.
//!   A report without such a pair is never left out by `most_recent`.
//!
//! Results are ordered newest first: by date descending, then by `id` ascending (byte order),
//! then in load order. A page holds 100 results; `page` counts from 0; `result_count` is the
//! number of matching reports, all of them, while `pages` is capped at 100 (10,000 results).
//! When nothing matches, or `page` is at or past the last page, the answer is
//! **204 No Content** with an empty body. A `page` of 100 or more is refused with a **400**
//! (`page-limit`): no search returns it, whatever matches.
//!
//! Each endpoint reads only the parameters it documents ([`Endpoint::takes`]); the others are
//! unknown parameters to it, and ignored. A search needs something to search by: an
//! `expression`, an `ip` or an older parameter on `scan/protocols` and `scan/domains`, a hash
//! or a `url` field on `scan/favicons`, `ip`, `host` or `nameserver` on `domain/rdns`, a `host`
//! field on `ct/log` (`nothing-to-search`).
//!
//! # Ports and addresses
//!
//! - `scan/ports` counts the port items (`port-tcp`, `port-udp`, empty context) of the reports
//!   whose scanned address lies in `ip`: each port counts the reports that have it, most first
//!   (then by port number); the first 100 are listed and the rest added up in `other`.
//!   `honeypot` is set when an address of the block answers on more than 50 distinct ports.
//!   Without `from`/`to`, the window is the 30 days up to the newest report of the dataset (the
//!   API's is the last 30 days; the dataset's may lie in the past).
//! - `scan/ipports` does the same for each address of a block of at most 1,024 addresses
//!   (`block-too-large` past it), in address order, each with its own `honeypot`.
//! - `ip/summary` takes the newest report scanned from the address: `domain` from its
//!   `dns-ptr` name (the last two labels, its block the address itself, context `rdns`) and
//!   `entity` from its `entity` item (its block the address's /24 or /48, context `bgpasn`);
//!   `restrict=rdns` keeps the domain, `bgp`, `whois` and `rwhois` the entity (named after
//!   them). 204 when nothing is known. Each of these answers costs one unit of quota.
//!
//! # Summaries
//!
//! With `summarize=TYPE` the answer is a summary of the matching reports (all of them; neither
//! `page` nor the 100-page cap applies), always 200, with empty `values` when nothing matches.
//! What is counted: each distinct value of an item of that type (types compared ASCII
//! case-insensitively, values exactly) counts once per report, so a count is a number of
//! reports; `summary_context` (repeatable) keeps only items of those contexts,
//! `summary_nocontext` (repeatable) drops items of those contexts (contexts compared exactly);
//! `summarize=protocol` and `summarize=http-header-name` count the contexts of `server-banner`
//! and `http-header` items, as those terms select them. Values are sorted by count (highest
//! first) then by value (byte order), written as a JSON object in that order; the first
//! `summary_limit` (default 100; 1 to 10,000, or to 1,000,000 with
//! [`ServerOptions::enterprise`]) are returned and the counts of the rest are summed into
//! `other`. `summary_cardinality=true` adds the number of distinct values (on every plan).
//!
//! # Parameters
//!
//! The parameters are read by [`SearchRequest::from_pairs`](crate::models::SearchRequest::from_pairs),
//! the same model the client writes them with:
//!
//! - The query string is decoded as a form (`+` is a space, `%XX` a byte); a name or value that
//!   is not UTF-8 once decoded is a 400 (`invalid-encoding`).
//! - An **empty** value counts as absent (`expression=&ip=8.8.8.8` searches by `ip`), except in
//!   `summary_context` and `summary_nocontext`, where it is the empty context (the items about
//!   the scanned address or host itself: `summary_context=` counts only those).
//! - **Unknown** parameters are ignored, as the real service may add some. Names are
//!   case-sensitive (`Page` is an unknown parameter).
//! - Every parameter except `filter`, `field`, `keyword`, `query`, `summary_context` and
//!   `summary_nocontext` may be given **once**; a repeated one is a 400 (`repeated-parameter`).
//! - Booleans (`indirect`, `most_recent`, `host_in_url`, `summary_cardinality`) are `true` or
//!   `false` in any case, or `1` or `0`; anything else is a 400 (`invalid-bool`).
//! - `summarize` must be a type name (`[A-Za-z0-9_.-]+`; `invalid-summarize`); an unknown type
//!   just has no values.
//! - A search needs an `expression` or an `ip` (`nothing-to-search`).
//! - An expression with a syntax error or a validation **error** is refused; warnings alone do
//!   not stop a search. `filter`, `from`, `to`, `slop`, `page`, `summary_limit` and `ip` are
//!   checked by their types in [`crate::models`]; `from` after `to` is `date-order`.
//!
//! # Errors
//!
//! Every error answer has the JSON body `{"error": MESSAGE, "code": CODE, "diagnostics": [...]}`.
//! A 400 lists **every** problem of the request at once: each diagnostic is a
//! [`Diagnostic`](crate::Diagnostic) (`severity`, `code`, `message`, `span`, `line`, `column`,
//! `help`, `fix`) with a `param` naming the parameter; spans are byte offsets into that
//! parameter's decoded value (a syntax or validation finding points into the expression or the
//! filter; other errors cover the whole value). `code` is the first error's code.
//! Other statuses: 401 `unauthorized`, 403 `quota-exceeded`, 404 `not-found`, 429
//! `too-many-requests` (with `Retry-After: 1`), 500 `internal` (a search that failed; it never
//! should). No input makes the server panic.
//!
//! # Quota
//!
//! - `api_usage` counts the search quota used: each results page (200 or 204) costs 1, each
//!   summary 1 per 10,000 values returned (at least 1). Requests refused with 4xx cost nothing.
//!   `lifetime_usage` equals it (the server never resets). When `api_usage` reaches
//!   [`ServerOptions::api_limit`], searches get 403.
//! - `priority_usage` counts the prioritize requests accepted; at
//!   [`ServerOptions::priority_limit`] they get 403. The requests are kept in memory, in order.
//! - `reset` and `next_reset` are the starts of the current and the next month (UTC), written
//!   `YYYY-MM-01T00:00:00.000Z`.
//! - With [`ServerOptions::max_concurrent`] set, a search beyond that many running at once gets
//!   429 (the real service allows 5 per token); by default there is no cap.
//!
//! # Limits
//!
//! No client can hold the server:
//!
//! - A search may take [`ServerOptions::search_timeout`] (10 s); past it, it stops and the
//!   answer is **422** (`search-timeout`). It also stops as soon as its client hangs up (the
//!   request's handler is dropped). [`ServerOptions::max_concurrent`] counts a search until its
//!   work has stopped, not until its answer was sent.
//! - A client has [`ServerOptions::header_timeout`] (10 s) to send a request head; the same time
//!   closes a kept-alive connection that stays idle.
//! - At most [`ServerOptions::max_connections`] (128) connections are open; more wait in the
//!   listen queue until one closes, so the server never runs out of file descriptors.
//! - A URL longer than [`MAX_URL_BYTES`](crate::models::MAX_URL_BYTES) (32 KiB, as the CDN in
//!   front of the real API) is answered **414** (`uri-too-long`) whatever its length: past the
//!   limit the connection loop answers it before the request line is held in memory. Two
//!   `Authorization` headers are a **400** (`repeated-header`).
//! - On shutdown the server stops accepting, lets the requests under way finish for at most
//!   [`ServerOptions::shutdown_timeout`] (10 s), and returns, even while a client has sent half
//!   a request head.
//!
//! # Performance
//!
//! The dataset is held in memory behind an [`Arc`], sorted newest first once at load, so a
//! date window is found by binary search and paging is one scan; the expression, `ip` and
//! `filter` are compiled into one [`Matcher`](crate::Matcher) per request. Searches run on
//! tokio's blocking pool, concurrently.

mod dataset;
mod listen;
mod lookups;
mod params;
pub mod sample;
mod search;
mod summary;
mod wire;

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

pub use dataset::{BadReport, Dataset, LoadError, Loaded};
pub use search::{SearchOutcome, Stop, Work, condition};
pub use wire::ApiError;

use crate::models::{
    self, Account, Endpoint, IpSummaryParams, PortsParams, PrioritizeParams, Prioritized,
    SearchRequest, SummaryAnswer,
};
use wire::{json_bytes, json_response, to_json};

/// How a server behaves: authentication, plan and quotas.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerOptions {
    /// When set, every request needs `Authorization: Bearer` with this token.
    pub token: Option<String>,
    /// Whether the token has an enterprise plan: `summary_limit` up to 1,000,000 instead of
    /// 10,000.
    pub enterprise: bool,
    /// The search quota (`api_limit`). Default 100,000.
    pub api_limit: u64,
    /// The prioritize quota (`priority_limit`). Default 1,000.
    pub priority_limit: u64,
    /// The most searches running at once before 429; `None` (the default) for no cap. A
    /// search counts from when it is accepted until its work stops.
    pub max_concurrent: Option<usize>,
    /// The time one search may take (default 10 s); past it, it stops and the answer is 422
    /// (`search-timeout`).
    pub search_timeout: Duration,
    /// The time a client has to send a request head, and that a kept-alive connection may stay
    /// idle (default 10 s); then the connection is closed.
    pub header_timeout: Duration,
    /// The most connections open at once (default 128); past it, new ones wait to be accepted.
    pub max_connections: usize,
    /// On shutdown, how long the requests under way may take to finish (default 10 s).
    pub shutdown_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            token: None,
            enterprise: false,
            api_limit: 100_000,
            priority_limit: 1_000,
            max_concurrent: None,
            search_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            max_connections: 128,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

impl ServerOptions {
    /// These options with a token required.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// These options with the enterprise plan on or off.
    #[must_use]
    pub fn with_enterprise(mut self, enterprise: bool) -> Self {
        self.enterprise = enterprise;
        self
    }

    /// These options with the search quota set.
    #[must_use]
    pub fn with_api_limit(mut self, limit: u64) -> Self {
        self.api_limit = limit;
        self
    }

    /// These options with the prioritize quota set.
    #[must_use]
    pub fn with_priority_limit(mut self, limit: u64) -> Self {
        self.priority_limit = limit;
        self
    }

    /// These options with a cap on concurrent searches.
    #[must_use]
    pub fn with_max_concurrent(mut self, max: Option<usize>) -> Self {
        self.max_concurrent = max;
        self
    }

    /// These options with the time one search may take.
    #[must_use]
    pub fn with_search_timeout(mut self, timeout: Duration) -> Self {
        self.search_timeout = timeout;
        self
    }

    /// These options with the time a request head may take, and a connection stay idle.
    #[must_use]
    pub fn with_header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// These options with a cap on open connections (at least 1).
    #[must_use]
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// These options with the time the requests under way have to finish on shutdown.
    #[must_use]
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    fn limits(&self) -> listen::Limits {
        listen::Limits {
            header_timeout: self.header_timeout,
            max_connections: self.max_connections,
            shutdown_timeout: self.shutdown_timeout,
        }
    }
}

/// What the handlers share.
struct AppState {
    dataset: Arc<Dataset>,
    options: ServerOptions,
    api_usage: AtomicU64,
    priority_usage: AtomicU64,
    in_flight: AtomicUsize,
    prioritized: Mutex<Vec<(IpAddr, u16)>>,
    reset: String,
    next_reset: String,
}

type Shared = Arc<AppState>;

/// The API as an axum [`Router`], to serve or to nest in another application.
pub fn router(dataset: Arc<Dataset>, options: ServerOptions) -> Router {
    let (reset, next_reset) = quota_period();
    let state = Arc::new(AppState {
        dataset,
        options,
        api_usage: AtomicU64::new(0),
        priority_usage: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
        prioritized: Mutex::new(Vec::new()),
        reset,
        next_reset,
    });
    let search_at =
        |endpoint: Endpoint| get(move |s: State<Shared>, u: Uri| search(s, u, endpoint));
    let mut app = Router::new();
    for endpoint in Endpoint::ALL {
        app = app.route(&format!("/{}", endpoint.path()), search_at(endpoint));
    }
    app.route(
        &format!("/{}", models::PORTS_PATH),
        get(|s, u| ports(s, u, false)),
    )
    .route(
        &format!("/{}", models::IPPORTS_PATH),
        get(|s, u| ports(s, u, true)),
    )
    .route(&format!("/{}", models::IP_SUMMARY_PATH), get(ip_summary))
    .route(&format!("/{}", models::PRIORITIZE_PATH), get(prioritize))
    .route(&format!("/{}", models::ACCOUNT_PATH), get(user))
    .fallback(not_found)
    .layer(middleware::from_fn_with_state(
        Arc::clone(&state),
        authenticate,
    ))
    .layer(middleware::from_fn(check_head))
    .with_state(state)
}

/// A server bound to its address, ready to run.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
    limits: listen::Limits,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port; see [`Server::local_addr`]). Must be called
    /// within a tokio runtime.
    pub async fn bind(
        addr: SocketAddr,
        dataset: Arc<Dataset>,
        options: ServerOptions,
    ) -> io::Result<Server> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let limits = options.limits();
        Ok(Server {
            listener,
            router: router(dataset, options),
            limits,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves requests until `shutdown` completes, then stops accepting and lets the requests
    /// under way finish, for at most [`ServerOptions::shutdown_timeout`].
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        listen::serve(self.listener, self.router, self.limits, shutdown).await
    }

    /// Serves requests until Ctrl-C (or, on Unix, SIGTERM).
    pub async fn run(self) -> io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// A server running on a thread of its own (with its own tokio runtime), for tests and tools
/// that are not async. Dropping it stops the server.
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Binds `addr` and serves on a background thread until [`RunningServer::stop`] or drop.
pub fn start(
    addr: SocketAddr,
    dataset: Arc<Dataset>,
    options: ServerOptions,
) -> io::Result<RunningServer> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = options.limits();
    let app = router(dataset, options);
    let thread = std::thread::Builder::new()
        .name("driftql-server".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let _ = listen::serve(listener, app, limits, async {
                    let _ = stopped.await;
                })
                .await;
            });
        })?;
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl RunningServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops it and waits for it to finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn search(
    State(state): State<Shared>,
    uri: Uri,
    endpoint: Endpoint,
) -> Result<Response, ApiError> {
    let pairs = params::decode_query(uri.query())?;
    let request = SearchRequest::from_pairs(&pairs, endpoint, state.options.enterprise)?;
    if state.api_usage.load(Ordering::Relaxed) >= state.options.api_limit {
        return Err(quota_spent());
    }
    let slot = Slot::take(&state)?;
    // Set when this handler is dropped: the client went away, so the work stops.
    let cancel = CancelOnDrop(Arc::new(AtomicBool::new(false)));
    let budget = state.options.search_timeout;
    let work = Work::new(Instant::now() + budget, Arc::clone(&cancel.0));
    let worker = Arc::clone(&state);
    let answer = tokio::task::spawn_blocking(move || {
        // The slot is held by the work itself: it is given back when the search stops.
        let _slot = slot;
        match worker.dataset.search_within(endpoint, &request, &work) {
            SearchOutcome::Page(page) => Ok((StatusCode::OK, to_json(&page), 1)),
            SearchOutcome::NoResults => Ok((StatusCode::NO_CONTENT, Vec::new(), 1)),
            SearchOutcome::Summary(summary) => {
                let cost = (summary.values.len() as u64).div_ceil(10_000).max(1);
                Ok((StatusCode::OK, to_json(&SummaryAnswer::new(summary)), cost))
            }
            SearchOutcome::Stopped(stop) => Err(stop),
        }
    })
    .await
    .map_err(|_| internal())?;
    let (status, body, cost) = answer.map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "search-timeout",
            format!(
                "the search took longer than this server allows ({} s); narrow it",
                budget.as_secs_f64()
            ),
        )
    })?;
    state.api_usage.fetch_add(cost, Ordering::Relaxed);
    Ok(if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else {
        json_bytes(status, body)
    })
}

/// Sets its flag when dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// `scan/ports` and `scan/ipports` (which takes a block of at most 1,024 addresses). Each answer
/// costs one unit of quota, as a search does.
async fn ports(State(state): State<Shared>, uri: Uri, ipports: bool) -> Result<Response, ApiError> {
    let pairs = params::decode_query(uri.query())?;
    let request = PortsParams::from_pairs(&pairs, ipports)?;
    spend_a_unit(&state)?;
    let worker = Arc::clone(&state);
    let body = tokio::task::spawn_blocking(move || {
        if ipports {
            to_json(&worker.dataset.ipports(&request))
        } else {
            to_json(&worker.dataset.ports(&request))
        }
    })
    .await
    .map_err(|_| internal())?;
    Ok(json_bytes(StatusCode::OK, body))
}

/// `ip/summary`: 204 when nothing is known of the address.
async fn ip_summary(State(state): State<Shared>, uri: Uri) -> Result<Response, ApiError> {
    let pairs = params::decode_query(uri.query())?;
    let request = IpSummaryParams::from_pairs(&pairs)?;
    spend_a_unit(&state)?;
    Ok(match state.dataset.ip_summary(&request) {
        Some(s) => json_response(StatusCode::OK, &s),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Counts one unit of search quota, or refuses when it is spent.
fn spend_a_unit(state: &AppState) -> Result<(), ApiError> {
    if state.api_usage.load(Ordering::Relaxed) >= state.options.api_limit {
        return Err(quota_spent());
    }
    state.api_usage.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

fn quota_spent() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "quota-exceeded",
        "api usage limit hit: the search quota (api_limit) is used up",
    )
}

fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the search failed",
    )
}

async fn prioritize(State(state): State<Shared>, uri: Uri) -> Result<Response, ApiError> {
    let pairs = params::decode_query(uri.query())?;
    let PrioritizeParams { ip, port, .. } = PrioritizeParams::from_pairs(&pairs)?;
    let mut list = state
        .prioritized
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if state.priority_usage.load(Ordering::Relaxed) >= state.options.priority_limit {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "quota-exceeded",
            "the prioritize quota (priority_limit) is used up",
        ));
    }
    list.push((ip, port));
    state.priority_usage.fetch_add(1, Ordering::Relaxed);
    Ok(json_response(
        StatusCode::OK,
        &Prioritized::queued(ip.to_string(), port),
    ))
}

/// The account answer in the documented shape, which echoes the caller's token.
#[derive(Serialize)]
struct AccountAnswer<'a> {
    #[serde(flatten)]
    account: Account,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
}

async fn user(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let api_usage = state.api_usage.load(Ordering::Relaxed);
    let mut account = Account {
        name: Some("driftql serve".into()),
        user_class: Some("local".into()),
        marketing: Some(false),
        ..Account::default()
    };
    let q = &mut account.quota;
    q.api_limit = Some(state.options.api_limit);
    q.api_usage = Some(api_usage);
    q.lifetime_usage = Some(api_usage);
    q.priority_limit = Some(state.options.priority_limit);
    q.priority_usage = Some(state.priority_usage.load(Ordering::Relaxed));
    q.reset = Some(state.reset.clone());
    q.next_reset = Some(state.next_reset.clone());
    let answer = AccountAnswer {
        account,
        token: bearer_token(&headers),
    };
    json_response(StatusCode::OK, &answer)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no endpoint at `{}`", uri.path()),
    )
}

/// Refuses what no request may be, before anything else: a URL longer than the API accepts
/// (414, as the connection loop answers for longer ones), and two `Authorization` headers
/// (400).
async fn check_head(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if length > models::MAX_URL_BYTES {
        return ApiError {
            status: StatusCode::URI_TOO_LONG,
            body: listen::uri_too_long_body(),
            retry_after: None,
        }
        .into_response();
    }
    if request.headers().get_all(AUTHORIZATION).iter().count() > 1 {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "repeated-header",
            "the request has more than one `Authorization` header",
        )
        .into_response();
    }
    next.run(request).await
}

/// Checks the bearer token when one is required, before any handler runs.
async fn authenticate(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let Some(expected) = &state.options.token else {
        return next.run(request).await;
    };
    match bearer_token(request.headers()) {
        Some(token) if same_token(token.as_bytes(), expected.as_bytes()) => next.run(request).await,
        Some(_) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the token is not valid",
        )
        .into_response(),
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this server needs `Authorization: Bearer TOKEN`",
        )
        .into_response(),
    }
}

/// The token of an `Authorization: Bearer TOKEN` header (the scheme in any case).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A place among the searches running at once, given back on drop.
struct Slot(Shared);

impl Slot {
    fn take(state: &Shared) -> Result<Slot, ApiError> {
        let before = state.in_flight.fetch_add(1, Ordering::AcqRel);
        let slot = Slot(Arc::clone(state));
        match state.options.max_concurrent {
            Some(max) if before >= max => {
                drop(slot);
                Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-requests",
                    format!("at most {max} searches may run at once"),
                )
                .with_retry_after(1))
            }
            _ => Ok(slot),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Compares two tokens in time that depends on their lengths only.
fn same_token(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let diff = given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

/// The starts of this month and the next (UTC), written as the API writes times:
/// `YYYY-MM-01T00:00:00.000Z`.
fn quota_period() -> (String, String) {
    let today = time::OffsetDateTime::now_utc().date();
    let (y, m) = (today.year(), u8::from(today.month()));
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let at = |y: i32, m: u8| format!("{y:04}-{m:02}-01T00:00:00.000Z");
    (at(y, m), at(ny, nm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token(b"secret", b"secret"));
        assert!(!same_token(b"secreT", b"secret"));
        assert!(!same_token(b"secret2", b"secret"));
        assert!(!same_token(b"", b"secret"));
    }

    #[test]
    fn quota_period_is_two_first_days() {
        let (a, b) = quota_period();
        assert!(a.ends_with("-01T00:00:00.000Z") && b.ends_with("-01T00:00:00.000Z"));
        assert!(a < b);
    }
}
