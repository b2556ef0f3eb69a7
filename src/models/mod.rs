//! The API's wire model, in one place: the request parameters and the answers, with serde,
//! shared by the client ([`crate::client`]), the local server ([`crate::server`]) and the
//! command-line tool.
//!
//! - **Parameter values** ([`params`]): each parameter's value is a type whose `FromStr` is its
//!   check — [`Date`], [`Filter`], [`IpParam`], [`Slop`], [`Page`], [`SummaryField`],
//!   [`SummaryLimit`] — and every way a request can be refused is a [`RequestError`] with one
//!   stable code.
//! - **Requests** ([`SearchRequest`], [`SearchParams`], [`SummaryParams`],
//!   [`PrioritizeParams`]): written as query parameters by the client and read back by a server
//!   with the same code.
//! - **Answers**: [`ResultsPage`], [`Summary`] (in [`SummaryAnswer`]), [`Account`] (with its
//!   [`Quota`]), [`Prioritized`], and the local server's [`ErrorBody`].
//! - **Limits**: [`PAGE_SIZE`], [`MAX_PAGES`], [`MAX_RESULTS`], and the search [`Endpoint`]s.
//!
//! This module needs only serde, so it is part of the parse-only core.

mod answers;
pub mod params;
mod search;

pub use answers::{
    Account, ErrorBody, ParamDiagnostic, Prioritized, Quota, ResultsPage, Summary, SummaryAnswer,
};
pub use params::{
    Date, Filter, IpParam, Page, RequestError, Slop, SummaryField, SummaryLimit, check_date_range,
};
pub use search::{Answer, Pairs, PrioritizeParams, SearchParams, SearchRequest, SummaryParams};

/// Reports on one page of results.
pub const PAGE_SIZE: u32 = 100;
/// The most pages the API serves of one search (pages 0 to 99).
pub const MAX_PAGES: u32 = 100;
/// The most results the API serves of one search: [`MAX_PAGES`] × [`PAGE_SIZE`].
pub const MAX_RESULTS: u64 = MAX_PAGES as u64 * PAGE_SIZE as u64;
/// The longest URL a request may have, in bytes: the CDN in front of the API answers 414 past
/// 32 KiB. The client refuses a longer request before sending it; the local server answers 414.
pub const MAX_URL_BYTES: usize = 32 * 1024;

/// A search endpoint: where reports are searched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `GET /v1/scan/protocols`: internet-scan reports.
    #[default]
    Protocols,
    /// `GET /v1/scan/domains`: domain-centred reports.
    Domains,
}

impl Endpoint {
    /// The path below the base URL, without a leading `/`, e.g. `v1/scan/protocols`.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Protocols => "v1/scan/protocols",
            Endpoint::Domains => "v1/scan/domains",
        }
    }
}

/// The path of the account endpoint, below the base URL.
pub const ACCOUNT_PATH: &str = "v1/admin/user";
/// The path of the prioritize endpoint, below the base URL.
pub const PRIORITIZE_PATH: &str = "v1/scan/protocols/prioritize";
