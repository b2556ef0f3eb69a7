//! Running a search over a [`Dataset`]: what matches, in which order, page by page.

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::ast::{Expr, Op, Term};
use crate::eval::Matcher;
use crate::models::{
    Answer, Endpoint, MAX_PAGES, PAGE_SIZE, ResultsPage, SearchParams, SearchRequest, Summary,
};
use crate::report::Report;

use super::dataset::{Dataset, Entry};
use super::summary;

/// What a search found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SearchOutcome<'a> {
    /// A page of results.
    Page(ResultsPage<&'a Report>),
    /// Nothing matched, or the page is past the last one (HTTP 204).
    NoResults,
    /// The summary asked for.
    Summary(Summary),
    /// The search stopped before its end.
    Stopped(Stop),
}

/// Why a search stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stop {
    /// It ran past its deadline.
    Timeout,
    /// It was cancelled (its client went away).
    Cancelled,
}

/// What bounds a search's work: a deadline, and a flag that cancels it. The search looks at
/// both every few reports.
#[derive(Clone, Debug)]
pub struct Work {
    deadline: Option<Instant>,
    cancelled: Arc<AtomicBool>,
    stopped: Cell<Option<Stop>>,
}

impl Work {
    /// Work that stops at `deadline`, or as soon as `cancelled` is set.
    pub fn new(deadline: Instant, cancelled: Arc<AtomicBool>) -> Self {
        Work {
            deadline: Some(deadline),
            cancelled,
            stopped: Cell::new(None),
        }
    }

    /// Work with no bound.
    pub fn unbounded() -> Self {
        Work {
            deadline: None,
            cancelled: Arc::new(AtomicBool::new(false)),
            stopped: Cell::new(None),
        }
    }

    /// Whether to go on; once it says no, it keeps saying no and [`Work::stopped`] says why.
    fn go_on(&self) -> bool {
        if self.stopped.get().is_some() {
            return false;
        }
        let stop = if self.cancelled.load(Ordering::Relaxed) {
            Some(Stop::Cancelled)
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Stop::Timeout)
        } else {
            None
        };
        self.stopped.set(stop);
        stop.is_none()
    }

    /// Why the work stopped, if it did.
    pub fn stopped(&self) -> Option<Stop> {
        self.stopped.get()
    }
}

/// How many reports are looked at between two looks at the clock and the cancel flag.
const CHECK_EVERY: usize = 64;

/// The whole condition a report of `endpoint` must meet, as one expression, its parts joined by
/// `and`:
///
/// - the expression;
/// - `ip`: the term `ip;:BLOCK` (the scanned address), or `ip:BLOCK` when indirect;
/// - each `field` as written — on `ct/log` a `host` field looks at certificate names
///   (`host;cert-dns-name:…`) — each `keyword` as `T=V` and each `query` as `search-term:"…"`;
/// - the filters, OR-ed with each other;
/// - a favicon hash: `obj-sha1;favicon=HASH` (and so on for the others);
/// - rdns `host`: `host;dns-ptr:NAME`, `nameserver`: `host;dns-ns:NAME`.
pub fn condition(endpoint: Endpoint, params: &SearchParams) -> Option<Expr> {
    let term = |t: &crate::ast::Term| Expr::Term(t.clone());
    let mut parts: Vec<Expr> = params.expression.iter().map(|q| q.expr().clone()).collect();
    if let Some(ip) = params.ip {
        let t = Term::new("ip", Op::Match, ip.to_string());
        parts.push(Expr::Term(if params.indirect.unwrap_or(false) {
            t
        } else {
            t.with_context("")
        }));
    }
    for f in &params.fields {
        let t = f.term();
        parts.push(if endpoint == Endpoint::CtLog && t.ty() == "host" {
            Expr::Term(t.clone().with_context("cert-dns-name"))
        } else {
            term(t)
        });
    }
    parts.extend(params.keywords.iter().map(|k| term(k.term())));
    parts.extend(params.queries.iter().map(|q| term(q.term())));
    if let Some(any) = Expr::any(params.filters.iter().map(|f| term(f.term()))) {
        parts.push(any);
    }
    if let Some(h) = &params.favicon {
        let t = Term::new(h.kind().item_type(), Op::Keyword, h.value()).with_context("favicon");
        parts.push(Expr::Term(t));
    }
    if let Some(name) = &params.host {
        parts.push(Expr::Term(
            Term::new("host", Op::Match, name.as_str()).with_context("dns-ptr"),
        ));
    }
    if let Some(name) = &params.nameserver {
        parts.push(Expr::Term(
            Term::new("host", Op::Match, name.as_str()).with_context("dns-ns"),
        ));
    }
    Expr::all(parts)
}

impl Dataset {
    /// Runs a search: the reports of `endpoint` dated within `from`/`to` that meet the request's
    /// [`condition`], newest first, reduced to the newest of each `{ip, port}` pair with
    /// `most_recent`; then either the page asked for or the summary.
    pub fn search(&self, endpoint: Endpoint, request: &SearchRequest) -> SearchOutcome<'_> {
        self.search_within(endpoint, request, &Work::unbounded())
    }

    /// [`Dataset::search`], stopping when `work` says so ([`SearchOutcome::Stopped`]).
    pub fn search_within(
        &self,
        endpoint: Endpoint,
        request: &SearchRequest,
        work: &Work,
    ) -> SearchOutcome<'_> {
        let params = &request.params;
        let matcher =
            condition(endpoint, params).map(|c| Matcher::new(&c, &params.match_options()));
        let matching = self.matching(endpoint, params, matcher.as_ref(), work);
        let page = match &request.answer {
            Answer::Summary(s) => {
                let summary = summary::summarize(matching.map(|e| &e.report), s);
                return match work.stopped() {
                    Some(stop) => SearchOutcome::Stopped(stop),
                    None => SearchOutcome::Summary(summary),
                };
            }
            Answer::Results(page) => page.get(),
        };
        let page_size = PAGE_SIZE as usize;
        let skip = (page as usize).saturating_mul(page_size);
        let mut results = Vec::with_capacity(page_size);
        let mut count: u64 = 0;
        for (i, e) in matching.enumerate() {
            if i >= skip && i - skip < page_size {
                results.push(&e.report);
            }
            count += 1;
        }
        if let Some(stop) = work.stopped() {
            return SearchOutcome::Stopped(stop);
        }
        if results.is_empty() {
            return SearchOutcome::NoResults;
        }
        let pages = count
            .div_ceil(u64::from(PAGE_SIZE))
            .min(u64::from(MAX_PAGES)) as u32;
        SearchOutcome::Page(ResultsPage::new(page, pages, count, results))
    }

    /// The matching entries, newest first, until `work` says to stop.
    fn matching<'d: 'r, 'r>(
        &'d self,
        endpoint: Endpoint,
        params: &'r SearchParams,
        matcher: Option<&'r Matcher>,
        work: &'r Work,
    ) -> impl Iterator<Item = &'d Entry> + 'r {
        let mut seen = HashSet::new();
        let most_recent = params.most_recent.unwrap_or(false);
        self.window(params.from, params.to)
            .iter()
            .enumerate()
            .take_while(move |(i, _)| i % CHECK_EVERY != 0 || work.go_on())
            .map(|(_, e)| e)
            .filter(move |e| match endpoint {
                Endpoint::Domains => e.scopes.domain,
                Endpoint::Favicons => e.scopes.favicon,
                Endpoint::Rdns => e.scopes.rdns,
                Endpoint::CtLog => e.scopes.cert,
                _ => true,
            })
            .filter(move |e| matcher.is_none_or(|m| m.matches(&e.report)))
            .filter(move |e| match (most_recent, e.service) {
                (true, Some(s)) => seen.insert(s),
                _ => true,
            })
    }
}
