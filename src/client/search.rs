//! Request builders for `scan/protocols` and `scan/domains`: results, pages and summaries.

use futures::FutureExt;
use reqwest::Url;

use super::paging::{Pages, Reports};
use super::response::{ResultsPage, Summary, SummaryEnvelope};
use super::{Client, Error};
use crate::Query;
use crate::diagnostic::Diagnostic;
use crate::request::{
    Date, Filter, IpParam, RequestError, SummaryField, SummaryLimit, check_date_range,
};

/// Which search endpoint a request goes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /v1/scan/protocols`: internet-scan reports.
    #[default]
    Protocols,
    /// `GET /v1/scan/domains`: domain-centred reports.
    Domains,
}

impl Endpoint {
    /// The path below the base URL, e.g. `v1/scan/protocols`.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Protocols => "v1/scan/protocols",
            Endpoint::Domains => "v1/scan/domains",
        }
    }
}

/// The search parameters shared by results and summaries (API.md, in its order).
#[derive(Clone, Debug, Default)]
struct Params {
    ip: Option<IpParam>,
    indirect: Option<bool>,
    expression: Option<Query>,
    slop: Option<u32>,
    filter: Option<Filter>,
    from: Option<Date>,
    to: Option<Date>,
    most_recent: Option<bool>,
    host_in_url: Option<bool>,
}

impl Params {
    /// Validates the parameters: the expression's errors block (warnings are returned), a search
    /// needs an expression or an `ip`, and `from` may not be after `to`.
    fn check(&self) -> Result<Vec<Diagnostic>, Error> {
        let warnings = match &self.expression {
            Some(q) => q.check().map_err(Error::InvalidQuery)?,
            None if self.ip.is_none() => {
                return Err(RequestError::NothingToSearch.into());
            }
            None => Vec::new(),
        };
        check_date_range(self.from, self.to)?;
        Ok(warnings)
    }

    /// Appends the set parameters, in API.md's order; unset ones are left out.
    fn append(&self, url: &mut Url) {
        let mut q = url.query_pairs_mut();
        if let Some(ip) = &self.ip {
            q.append_pair("ip", &ip.to_string());
        }
        if let Some(b) = self.indirect {
            q.append_pair("indirect", bool_str(b));
        }
        if let Some(e) = &self.expression {
            q.append_pair("expression", &e.canonical());
        }
        if let Some(n) = self.slop {
            q.append_pair("slop", &n.to_string());
        }
        if let Some(f) = &self.filter {
            q.append_pair("filter", &f.to_string());
        }
        if let Some(d) = self.from {
            q.append_pair("from", &d.to_string());
        }
        if let Some(d) = self.to {
            q.append_pair("to", &d.to_string());
        }
        if let Some(b) = self.most_recent {
            q.append_pair("most_recent", bool_str(b));
        }
        if let Some(b) = self.host_in_url {
            q.append_pair("host_in_url", bool_str(b));
        }
    }
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// A search of `scan/protocols` or `scan/domains`, built up parameter by parameter.
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
    params: Params,
    page: u32,
    max_pages: Option<u32>,
    prefetch: Option<usize>,
}

impl SearchBuilder {
    pub(super) fn new(client: Client, endpoint: Endpoint) -> SearchBuilder {
        SearchBuilder {
            client,
            endpoint,
            params: Params::default(),
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
        self.params.slop = Some(slop);
        self
    }

    /// `filter`: one more term that results must match.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.params.filter = Some(filter);
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
    /// resume a stream. Default 0.
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
        self.params.check()
    }

    /// The URL of the search without `page`, after checking the parameters.
    fn base_url(&self) -> Result<Url, Error> {
        self.params.check()?;
        let mut url = self.client.endpoint_url(self.endpoint.path());
        self.params.append(&mut url);
        Ok(url)
    }

    /// The full URL [`send`](Self::send) would request (the token is never part of it).
    pub fn url(&self) -> Result<Url, Error> {
        Ok(with_page(self.base_url()?, self.page))
    }

    /// Fetches one page (the one set with [`page`](Self::page), else 0). HTTP 204 gives an empty
    /// page.
    pub async fn send(self) -> Result<ResultsPage, Error> {
        let url = self.url()?;
        fetch_page(&self.client, url, self.page).await
    }

    /// A stream of pages from [`page`](Self::page) on, fetched as they are consumed (with up to
    /// [`prefetch`](Self::prefetch) in flight), in order, stopping at the last page, the
    /// 100-page cap or the page budget. See [`Pages`].
    pub fn pages(self) -> Result<Pages, Error> {
        let base = self.base_url()?;
        let prefetch = self.prefetch.unwrap_or(self.client.concurrency());
        let client = self.client.clone();
        let fetch = move |page: u32| {
            let client = client.clone();
            let url = with_page(base.clone(), page);
            async move { fetch_page(&client, url, page).await }.boxed()
        };
        Ok(Pages::new(
            Box::new(fetch),
            self.page,
            self.max_pages,
            prefetch,
        ))
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
            field,
            contexts: Vec::new(),
            no_contexts: Vec::new(),
            limit: None,
            cardinality: None,
        }
    }
}

fn with_page(mut url: Url, page: u32) -> Url {
    url.query_pairs_mut().append_pair("page", &page.to_string());
    url
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
    params: Params,
    field: SummaryField,
    contexts: Vec<String>,
    no_contexts: Vec<String>,
    limit: Option<SummaryLimit>,
    cardinality: Option<bool>,
}

impl SummaryBuilder {
    /// `summary_context` (repeatable): count only items of this context.
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.contexts.push(context.into());
        self
    }

    /// `summary_nocontext` (repeatable): leave out items of this context.
    pub fn no_context(mut self, context: impl Into<String>) -> Self {
        self.no_contexts.push(context.into());
        self
    }

    /// `summary_limit`: the most values returned (the server's default is 100).
    pub fn limit(mut self, limit: SummaryLimit) -> Self {
        self.limit = Some(limit);
        self
    }

    /// `summary_cardinality`: also count the distinct values (enterprise plans).
    pub fn cardinality(mut self, cardinality: bool) -> Self {
        self.cardinality = Some(cardinality);
        self
    }

    /// Checks the request without sending it; see [`SearchBuilder::check`].
    pub fn check(&self) -> Result<Vec<Diagnostic>, Error> {
        self.params.check()
    }

    /// The full URL [`send`](Self::send) would request.
    pub fn url(&self) -> Result<Url, Error> {
        self.params.check()?;
        let mut url = self.client.endpoint_url(self.endpoint.path());
        self.params.append(&mut url);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("summarize", self.field.as_str());
            for c in &self.contexts {
                q.append_pair("summary_context", c);
            }
            for c in &self.no_contexts {
                q.append_pair("summary_nocontext", c);
            }
            if let Some(l) = self.limit {
                q.append_pair("summary_limit", &l.to_string());
            }
            if let Some(b) = self.cardinality {
                q.append_pair("summary_cardinality", bool_str(b));
            }
        }
        Ok(url)
    }

    /// Fetches the summary. HTTP 204 gives an empty summary.
    pub async fn send(self) -> Result<Summary, Error> {
        let url = self.url()?;
        Ok(self
            .client
            .get_json::<SummaryEnvelope>(url)
            .await?
            .map(|e| e.summary)
            .unwrap_or_default())
    }
}
