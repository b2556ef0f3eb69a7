//! Running a search over a [`Dataset`]: what matches, in which order, page by page.

use std::collections::HashSet;

use crate::ast::{Expr, Op, Term};
use crate::eval::{MatchOptions, Matcher};
use crate::query::Query;
use crate::request::{Date, Filter, IpParam, SummaryLimit};

use super::dataset::{Dataset, Entry};
use super::summary;
use super::wire::{ResultsPage, Summary};

/// Results on one page.
pub const PAGE_SIZE: usize = 100;
/// The most pages a search returns (so at most 10,000 results).
pub const MAX_PAGES: u32 = 100;

/// Which collection a search looks in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/v1/scan/protocols`: every report.
    Protocols,
    /// `/v1/scan/domains`: the reports with a `host` item in the empty context.
    Domains,
}

/// A checked search request: the parameters of `/v1/scan/protocols` and `/v1/scan/domains`.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    /// The expression, parsed and free of validation errors.
    pub expression: Option<Query>,
    /// The `ip` parameter.
    pub ip: Option<IpParam>,
    /// Whether `ip` matches an `ip` item in any context, not only the scanned address.
    pub indirect: bool,
    /// The `filter` term.
    pub filter: Option<Filter>,
    /// The first date, inclusive.
    pub from: Option<Date>,
    /// The last date, inclusive.
    pub to: Option<Date>,
    /// Only the newest matching report of each `{ip, port}` pair.
    pub most_recent: bool,
    /// `slop` and `host_in_url`.
    pub options: MatchOptions,
    /// The page, from 0 (below [`MAX_PAGES`]).
    pub page: u32,
    /// A summary instead of results (`summarize` and its companions).
    pub summary: Option<SummaryRequest>,
}

/// What to summarise: `summarize`, `summary_context`, `summary_nocontext`, `summary_limit` and
/// `summary_cardinality`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRequest {
    /// The type whose values are counted.
    pub ty: String,
    /// When not empty, only items whose context is one of these count.
    pub contexts: Vec<String>,
    /// Items whose context is one of these do not count.
    pub nocontexts: Vec<String>,
    /// How many values to return.
    pub limit: SummaryLimit,
    /// Whether to add the number of distinct values.
    pub cardinality: bool,
}

/// What a search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchOutcome<'a> {
    /// A page of results.
    Page(ResultsPage<'a>),
    /// Nothing matched, or the page is past the last one (HTTP 204).
    NoResults,
    /// The summary asked for.
    Summary(Summary),
}

impl SearchRequest {
    /// The whole condition a report must meet, as one expression: the expression, the `ip`
    /// term (`ip;:BLOCK`, or `ip:BLOCK` when indirect) and the filter, joined by `and`.
    pub fn condition(&self) -> Option<Expr> {
        let ip = self.ip.map(|ip| {
            let term = Term::new("ip", Op::Match, ip.to_string());
            if self.indirect {
                term
            } else {
                term.with_context("")
            }
        });
        let parts = self
            .expression
            .iter()
            .map(|q| q.expr().clone())
            .chain(ip.map(Expr::Term))
            .chain(self.filter.iter().map(|f| Expr::Term(f.term().clone())));
        Expr::all(parts)
    }
}

impl Dataset {
    /// Runs a search: the reports of `endpoint` dated within `from`/`to` that meet the request's
    /// [condition](SearchRequest::condition), newest first, reduced to the newest of each
    /// `{ip, port}` pair with `most_recent`; then either the page asked for or the summary.
    pub fn search(&self, endpoint: Endpoint, request: &SearchRequest) -> SearchOutcome<'_> {
        let matcher = request
            .condition()
            .map(|c| Matcher::new(&c, &request.options));
        let matching = self.matching(endpoint, request, matcher.as_ref());
        if let Some(s) = &request.summary {
            return SearchOutcome::Summary(summary::summarize(matching.map(|e| &e.report), s));
        }
        let skip = (request.page as usize).saturating_mul(PAGE_SIZE);
        let mut results = Vec::with_capacity(PAGE_SIZE);
        let mut count: u64 = 0;
        for (i, e) in matching.enumerate() {
            if i >= skip && i - skip < PAGE_SIZE {
                results.push(&e.report);
            }
            count += 1;
        }
        if results.is_empty() {
            return SearchOutcome::NoResults;
        }
        let pages = count.div_ceil(PAGE_SIZE as u64).min(u64::from(MAX_PAGES)) as u32;
        SearchOutcome::Page(ResultsPage {
            page: request.page,
            pages,
            result_count: count,
            results,
        })
    }

    /// The matching entries, newest first.
    fn matching<'d: 'r, 'r>(
        &'d self,
        endpoint: Endpoint,
        request: &'r SearchRequest,
        matcher: Option<&'r Matcher>,
    ) -> impl Iterator<Item = &'d Entry> + 'r {
        let mut seen = HashSet::new();
        self.window(request.from, request.to)
            .iter()
            .filter(move |e| endpoint == Endpoint::Protocols || e.domain)
            .filter(move |e| matcher.is_none_or(|m| m.matches(&e.report)))
            .filter(move |e| match (request.most_recent, e.service) {
                (true, Some(s)) => seen.insert(s),
                _ => true,
            })
    }
}
