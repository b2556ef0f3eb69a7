//! Request builders for `scan/protocols` and `scan/domains`: results, pages and summaries.

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::Url;

use super::paging::{Pages, Reports};
use super::plan::{Everything, Window};
use super::{Client, Error};
use crate::Query;
use crate::diagnostic::Diagnostic;
use crate::models::{
    Date, Endpoint, FaviconHash, Filter, IpParam, MAX_PAGES, MAX_URL_BYTES, Page, RequestError,
    ResultsPage, SearchParams, SearchRequest, Slop, Summary, SummaryAnswer, SummaryField,
    SummaryLimit, SummaryParams,
};

/// Checks the search's parameters: the expression's errors are [`Error::InvalidQuery`], the
/// others [`Error::InvalidRequest`].
fn check(params: &SearchParams, endpoint: Endpoint) -> Result<Vec<Diagnostic>, Error> {
    params.check(endpoint).map_err(|e| match e {
        RequestError::ExpressionInvalid(v) => Error::InvalidQuery(v),
        other => Error::InvalidRequest(other),
    })
}

/// The URL of `request` at `endpoint`.
fn request_url(client: &Client, endpoint: Endpoint, request: &SearchRequest) -> Url {
    let mut url = client.endpoint_url(endpoint.path());
    url.query_pairs_mut().extend_pairs(request.to_pairs());
    url
}

/// The identity of `request` at `endpoint`: the URL with its parameters in canonical order
/// (the expression is already canonical; repeated parameters are sorted, since their order
/// does not change the answer), leaving out `page` unless `with_page`.
fn request_key(
    client: &Client,
    endpoint: Endpoint,
    request: &SearchRequest,
    with_page: bool,
) -> String {
    let mut pairs = request.to_pairs();
    pairs.retain(|(name, _)| with_page || *name != "page");
    pairs.sort();
    let mut url = client.endpoint_url(endpoint.path());
    url.query_pairs_mut().extend_pairs(pairs);
    url.into()
}

/// One results page, and whether it cost quota (it did not when the cache answered).
#[derive(Debug)]
pub(crate) struct Fetched {
    pub page: ResultsPage,
    pub billed: bool,
}

/// Refuses a URL longer than the API accepts, before it is sent.
fn within_limit(url: Url) -> Result<Url, Error> {
    let length = url.as_str().len();
    if length > MAX_URL_BYTES {
        return Err(Error::InvalidRequest(RequestError::UrlTooLong {
            length,
            limit: MAX_URL_BYTES,
        }));
    }
    Ok(url)
}

/// A search of one of the search endpoints (`scan/protocols`, `scan/domains`, `scan/favicons`,
/// `domain/rdns`, `ct/log`), built up parameter by parameter. A parameter the endpoint does not
/// take ([`Endpoint::takes`]) is refused when the request is checked.
///
/// Unset parameters are not sent. Before anything is sent the request is checked: the
/// expression's validation errors give [`Error::InvalidQuery`] (warnings do not block; see
/// [`SearchBuilder::check`]), a search with neither expression nor `ip`, or with `from` after
/// `to`, gives [`Error::InvalidRequest`]. The expression goes out in its canonical form.
///
/// Finish with [`send`](Self::send) (one page), [`pages`](Self::pages) /
/// [`reports`](Self::reports) (a stream across pages) or [`summarize`](Self::summarize).
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct SearchBuilder {
    client: Client,
    endpoint: Endpoint,
    params: SearchParams,
    page: u32,
    max_pages: Option<u32>,
    prefetch: Option<usize>,
}

impl SearchBuilder {
    pub(super) fn new(client: Client, endpoint: Endpoint) -> SearchBuilder {
        SearchBuilder {
            client,
            endpoint,
            params: SearchParams::default(),
            page: 0,
            max_pages: None,
            prefetch: None,
        }
    }

    /// The endpoint (`scan/protocols` or `scan/domains`).
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// `ip`: search by the scanned address or block (or, with [`indirect`](Self::indirect), by an
    /// address seen in any context).
    pub fn ip(mut self, ip: impl Into<IpParam>) -> Self {
        self.params.ip = Some(ip.into());
        self
    }

    /// `indirect`: match [`ip`](Self::ip) in any context, e.g. inside a certificate.
    pub fn indirect(mut self, indirect: bool) -> Self {
        self.params.indirect = Some(indirect);
        self
    }

    /// `expression`: the query, sent in canonical form.
    pub fn expression(mut self, query: Query) -> Self {
        self.params.expression = Some(query);
        self
    }

    /// `slop`: words allowed between the words of a phrase.
    pub fn slop(mut self, slop: u32) -> Self {
        self.params.slop = Some(Slop(slop));
        self
    }

    /// `filter`: a term results must match; each call adds one more, and results must match
    /// at least one of them (the API OR-s filters).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.params.filters.push(filter);
        self
    }

    /// `field` (an older parameter): a term results must match; each call adds one more, and
    /// results must match all of them. Prefer [`expression`](Self::expression), which says
    /// the same and more; this is for scripts that still send `field`, and for the favicons
    /// (`url:`) and certificate log (`host:`) endpoints, which search by it.
    pub fn field(mut self, term: Filter) -> Self {
        self.params.fields.push(term);
        self
    }

    /// `keyword` (an older parameter): `T:V`, meaning the term `T=V`; see
    /// [`Filter::keyword`]. Each call adds one more, AND-ed. Prefer
    /// [`expression`](Self::expression).
    pub fn keyword(mut self, term: Filter) -> Self {
        self.params.keywords.push(term);
        self
    }

    /// `query` (an older parameter): text, meaning `search-term:"TEXT"`; see
    /// [`Filter::query`]. Each call adds one more, AND-ed. Prefer
    /// [`expression`](Self::expression).
    pub fn query(mut self, term: Filter) -> Self {
        self.params.queries.push(term);
        self
    }

    /// `sha1`, `sha256`, `md5` or `murmur3` (favicons): the hash of the favicon.
    pub fn favicon(mut self, hash: FaviconHash) -> Self {
        self.params.favicon = Some(hash);
        self
    }

    /// `host` (rdns): reports whose reverse DNS name is this host or below it.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.params.host = Some(host.into());
        self
    }

    /// `nameserver` (rdns): reports whose domain has this name server (or one below it).
    pub fn nameserver(mut self, host: impl Into<String>) -> Self {
        self.params.nameserver = Some(host.into());
        self
    }

    /// `from`: the first day of the date window (inclusive).
    pub fn from(mut self, date: Date) -> Self {
        self.params.from = Some(date);
        self
    }

    /// `to`: the last day of the date window (inclusive).
    pub fn to(mut self, date: Date) -> Self {
        self.params.to = Some(date);
        self
    }

    /// `most_recent`: only the newest report per {ip, port} pair.
    pub fn most_recent(mut self, most_recent: bool) -> Self {
        self.params.most_recent = Some(most_recent);
        self
    }

    /// `host_in_url`: `host` terms also match hosts inside URLs.
    pub fn host_in_url(mut self, host_in_url: bool) -> Self {
        self.params.host_in_url = Some(host_in_url);
        self
    }

    /// `page`: the page [`send`](Self::send) fetches, and the first page of
    /// [`pages`](Self::pages)/[`reports`](Self::reports) — set it to a failed page's number to
    /// resume a stream. Default 0. Pages 0 to 99 exist; a higher one is refused when the
    /// request is checked (`page-limit`), before anything is sent.
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    /// The page budget of [`pages`](Self::pages)/[`reports`](Self::reports): fetch at most this
    /// many pages. Default: no budget beyond the API's 100-page cap.
    pub fn max_pages(mut self, max_pages: u32) -> Self {
        self.max_pages = Some(max_pages);
        self
    }

    /// How many pages [`pages`](Self::pages)/[`reports`](Self::reports) may fetch at once, ahead
    /// of what has been consumed; 1 fetches each page only when it is asked for. Default: the
    /// client's concurrency (5, the API's per-token cap on concurrent queries).
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = Some(pages.max(1));
        self
    }

    /// Checks the request without sending it: the expression's warnings, or the error
    /// [`send`](Self::send) would give before sending.
    pub fn check(&self) -> Result<Vec<Diagnostic>, Error> {
        Page::new(self.page)?;
        check(&self.params, self.endpoint)
    }

    /// Sets every parameter at once, replacing those set before: for a search read from
    /// name/value pairs ([`SearchRequest::from_pairs`]).
    pub fn with_params(mut self, params: SearchParams) -> Self {
        self.params = params;
        self
    }

    /// The parameters as they stand.
    pub fn params(&self) -> &SearchParams {
        &self.params
    }

    /// The full URL [`send`](Self::send) would request (the token is never part of it). A URL
    /// longer than the API accepts ([`MAX_URL_BYTES`]) is refused (`uri-too-long`).
    pub fn url(&self) -> Result<Url, Error> {
        self.check()?;
        within_limit(self.page_url(self.page))
    }

    /// The request for page `page`, for parameters already checked.
    fn request(&self, page: u32) -> SearchRequest {
        // Pages past the cap are never asked for: the builder refuses them, and streams stop.
        let page = Page::new(page).unwrap_or_default();
        SearchRequest::results(self.params.clone(), page)
    }

    /// The URL of page `page`, for parameters already checked.
    fn page_url(&self, page: u32) -> Url {
        request_url(&self.client, self.endpoint, &self.request(page))
    }

    /// The identity of the search (`page: None`) or of one of its pages: what the cache and
    /// checkpoints key on.
    pub(crate) fn key(&self, page: Option<u32>) -> String {
        request_key(
            &self.client,
            self.endpoint,
            &self.request(page.unwrap_or(0)),
            page.is_some(),
        )
    }

    /// The URL of the endpoint, and the parameters of the search in the order they are sent,
    /// less `from`, `to` and `page` (each window and page sets its own).
    pub(crate) fn request_parts(&self) -> (String, Vec<(&'static str, String)>) {
        let mut pairs = self.request(0).to_pairs();
        pairs.retain(|(name, _)| !matches!(*name, "from" | "to" | "page"));
        (self.client.endpoint_url(self.endpoint.path()).into(), pairs)
    }

    /// The identity of the search wherever it is sent: the endpoint's path and the parameters
    /// in canonical order, without `page` (what a checkpoint keys on).
    pub(crate) fn identity(&self) -> String {
        let key = self.key(None);
        let base = self.client.base_url().as_str();
        key.strip_prefix(base).unwrap_or(&key).to_owned()
    }

    /// Page `page` from the client's cache, when it holds it fresh.
    pub(crate) fn cached_page(&self, page: u32) -> Option<ResultsPage> {
        self.client.cache()?.get(&self.key(Some(page)))
    }

    /// Whether the client's cache holds page `page`, fresh (as far as its file tells, without
    /// reading it).
    pub(crate) fn cached(&self, page: u32) -> bool {
        self.client
            .cache()
            .is_some_and(|c| c.has(&self.key(Some(page))))
    }

    /// Fetches page `page` (of parameters already checked), from the client's cache when it
    /// holds it.
    pub(crate) fn fetch(&self, page: u32) -> BoxFuture<'static, Result<Fetched, Error>> {
        let client = self.client.clone();
        let url = self.page_url(page);
        let key = client.cache().map(|_| self.key(Some(page)));
        async move {
            let cache = client.cache();
            if let (Some(cache), Some(key)) = (cache, &key)
                && let Some(page) = cache.get(key)
            {
                return Ok(Fetched {
                    page,
                    billed: false,
                });
            }
            let fetched = fetch_page(&client, url, page).await?;
            if let (Some(cache), Some(key)) = (cache, &key) {
                cache.put(key, &fetched);
            }
            Ok(Fetched {
                page: fetched,
                billed: true,
            })
        }
        .boxed()
    }

    /// The same search, in the date window `window` (its `from` and `to` replace the search's).
    pub(crate) fn in_window(&self, window: Window) -> SearchBuilder {
        let mut b = self.clone();
        b.params.from = window.from;
        b.params.to = window.to;
        b
    }

    /// Whether the endpoint takes a date window.
    pub(crate) fn takes_dates(&self) -> bool {
        self.endpoint.takes("from") && self.endpoint.takes("to")
    }

    /// The client the search goes through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Refuses the search when the URL of its longest page (page 99, in a window with both
    /// dates) would be longer than the API accepts.
    pub(crate) fn check_length(&self) -> Result<(), Error> {
        let longest = self.in_window(Window::new(
            Some(crate::models::Date::MAX),
            Some(crate::models::Date::MAX),
        ));
        within_limit(longest.page_url(MAX_PAGES - 1)).map(drop)
    }

    /// Every matching report, past the API's 100-page cap: the search split into date
    /// windows of at most 10,000 results each. See [`Everything`].
    pub fn everything(self) -> Everything {
        Everything::new(self)
    }

    /// Fetches one page (the one set with [`page`](Self::page), else 0), or takes it from the
    /// client's [cache](super::ClientBuilder::cache). HTTP 204 gives an empty page.
    pub async fn send(self) -> Result<ResultsPage, Error> {
        self.url()?;
        self.fetch(self.page).await.map(|f| f.page)
    }

    /// A stream of pages from [`page`](Self::page) on, fetched as they are consumed (with up to
    /// [`prefetch`](Self::prefetch) in flight), in order, stopping at the last page, the
    /// 100-page cap or the page budget. See [`Pages`].
    pub fn pages(self) -> Result<Pages, Error> {
        self.check()?;
        // The longest URL the stream may ask for is that of its last page.
        within_limit(self.page_url(MAX_PAGES - 1))?;
        let prefetch = self.prefetch.unwrap_or(self.client.concurrency());
        let start = self.page;
        let budget = self.max_pages;
        let fetch = move |page: u32| {
            let fetching = self.fetch(page);
            async move { fetching.await.map(|f| f.page) }.boxed()
        };
        Ok(Pages::new(Box::new(fetch), start, budget, prefetch))
    }

    /// A stream of reports across pages, in the server's order; see [`pages`](Self::pages) and
    /// [`Reports`].
    pub fn reports(self) -> Result<Reports, Error> {
        self.pages().map(Reports::new)
    }

    /// Turns the search into a summary of `field`'s values.
    pub fn summarize(self, field: SummaryField) -> SummaryBuilder {
        SummaryBuilder {
            client: self.client,
            endpoint: self.endpoint,
            params: self.params,
            summary: SummaryParams::new(field),
        }
    }
}

async fn fetch_page(client: &Client, url: Url, page: u32) -> Result<ResultsPage, Error> {
    Ok(client
        .get_json::<ResultsPage>(url)
        .await?
        .unwrap_or_else(|| ResultsPage::empty(page)))
}

/// A summary request (`summarize=`): the counts of one type's values among the search's results.
///
/// Built with [`SearchBuilder::summarize`]; checked like a search before sending.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct SummaryBuilder {
    client: Client,
    endpoint: Endpoint,
    params: SearchParams,
    summary: SummaryParams,
}

impl SummaryBuilder {
    /// Sets every summary parameter at once, the summarised type included, replacing those set
    /// before: for a summary read from name/value pairs ([`SearchRequest::from_pairs`]).
    pub fn with_summary(mut self, summary: SummaryParams) -> Self {
        self.summary = summary;
        self
    }

    /// `summary_context` (repeatable): count only items of this context.
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.summary.contexts.push(context.into());
        self
    }

    /// `summary_nocontext` (repeatable): leave out items of this context.
    pub fn no_context(mut self, context: impl Into<String>) -> Self {
        self.summary.no_contexts.push(context.into());
        self
    }

    /// `summary_limit`: the most values returned (the server's default is 100).
    pub fn limit(mut self, limit: SummaryLimit) -> Self {
        self.summary.limit = Some(limit);
        self
    }

    /// `summary_cardinality`: also count the distinct values (enterprise plans).
    pub fn cardinality(mut self, cardinality: bool) -> Self {
        self.summary.cardinality = Some(cardinality);
        self
    }

    /// Checks the request without sending it; see [`SearchBuilder::check`].
    pub fn check(&self) -> Result<Vec<Diagnostic>, Error> {
        check(&self.params, self.endpoint)
    }

    /// The client the summary goes through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The most quota units the summary can cost: one per 10,000 values returned (at least
    /// one), so `ceil(limit / 10,000)` for its limit (the server's default is 100).
    pub fn max_cost(&self) -> u64 {
        u64::from(self.summary.limit_or_default().get())
            .div_ceil(10_000)
            .max(1)
    }

    /// The full URL [`send`](Self::send) would request; refused when it is longer than the API
    /// accepts, as for a search.
    pub fn url(&self) -> Result<Url, Error> {
        self.check()?;
        let request = SearchRequest::summary(self.params.clone(), self.summary.clone());
        within_limit(request_url(&self.client, self.endpoint, &request))
    }

    /// Fetches the summary. HTTP 204 gives an empty summary.
    pub async fn send(self) -> Result<Summary, Error> {
        let url = self.url()?;
        Ok(self
            .client
            .get_json::<SummaryAnswer>(url)
            .await?
            .map(|a| a.summary)
            .unwrap_or_default())
    }
}
