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
    Account, ErrorBody, IpPorts, IpRecord, IpSummary, ParamDiagnostic, Ports, Prioritized, Quota,
    ResultsPage, Summary, SummaryAnswer,
};
pub use params::{
    Date, FaviconHash, Filter, HashKind, IpParam, Page, RequestError, Restrict, Slop, SummaryField,
    SummaryLimit, check_date_range,
};
pub use search::{
    Answer, IpSummaryParams, MAX_IPPORTS_ADDRESSES, Pairs, PortsParams, PrioritizeParams,
    SearchParams, SearchRequest, SummaryParams, addresses,
};

/// Reports on one page of results.
pub const PAGE_SIZE: u32 = 100;
/// The most pages the API serves of one search (pages 0 to 99).
pub const MAX_PAGES: u32 = 100;
/// The most results the API serves of one search: [`MAX_PAGES`] × [`PAGE_SIZE`].
pub const MAX_RESULTS: u64 = MAX_PAGES as u64 * PAGE_SIZE as u64;
/// The longest URL a request may have, in bytes: the CDN in front of the API answers 414 past
/// 32 KiB. The client refuses a longer request before sending it; the local server answers 414.
pub const MAX_URL_BYTES: usize = 32 * 1024;

/// A search endpoint: where reports are searched, page by page or as a summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `GET /v1/scan/protocols`: internet-scan reports.
    #[default]
    Protocols,
    /// `GET /v1/scan/domains`: domain-centred reports.
    Domains,
    /// `GET /v1/scan/favicons`: reports by the hash of their favicon.
    Favicons,
    /// `GET /v1/domain/rdns`: reports by reverse DNS names and name servers.
    Rdns,
    /// `GET /v1/ct/log`: reports by the names in their TLS certificates.
    CtLog,
}

/// The parameters of a page or a summary, which every search endpoint takes.
pub const PAGE_AND_SUMMARY: &[&str] = &[
    "page",
    "summarize",
    "summary_context",
    "summary_nocontext",
    "summary_limit",
    "summary_cardinality",
];

impl Endpoint {
    /// Every search endpoint.
    pub const ALL: [Endpoint; 5] = [
        Endpoint::Protocols,
        Endpoint::Domains,
        Endpoint::Favicons,
        Endpoint::Rdns,
        Endpoint::CtLog,
    ];

    /// The path below the base URL, without a leading `/`, e.g. `v1/scan/protocols`.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Protocols => "v1/scan/protocols",
            Endpoint::Domains => "v1/scan/domains",
            Endpoint::Favicons => "v1/scan/favicons",
            Endpoint::Rdns => "v1/domain/rdns",
            Endpoint::CtLog => "v1/ct/log",
        }
    }

    /// The parameters the endpoint takes besides those of a page and a summary.
    pub fn params(self) -> &'static [&'static str] {
        match self {
            Endpoint::Protocols | Endpoint::Domains => &[
                "ip",
                "indirect",
                "expression",
                "field",
                "keyword",
                "query",
                "slop",
                "filter",
                "from",
                "to",
                "most_recent",
                "host_in_url",
            ],
            Endpoint::Favicons => &[
                "sha1",
                "sha256",
                "md5",
                "murmur3",
                "field",
                "filter",
                "from",
                "to",
                "most_recent",
                "host_in_url",
            ],
            Endpoint::Rdns => &["ip", "host", "nameserver", "from", "to", "most_recent"],
            Endpoint::CtLog => &["field", "from", "to", "most_recent"],
        }
    }

    /// Whether the endpoint takes the parameter `name`.
    pub fn takes(self, name: &str) -> bool {
        self.params().contains(&name) || PAGE_AND_SUMMARY.contains(&name)
    }
}

/// The path of the account endpoint, below the base URL.
pub const ACCOUNT_PATH: &str = "v1/admin/user";
/// The path of the prioritize endpoint, below the base URL.
pub const PRIORITIZE_PATH: &str = "v1/scan/protocols/prioritize";
/// The path of the endpoint that counts an address's or a block's open ports.
pub const PORTS_PATH: &str = "v1/scan/ports";
/// The path of the endpoint that counts the open ports of each address of a block.
pub const IPPORTS_PATH: &str = "v1/scan/ipports";
/// The path of the endpoint that sums up what is known of an address.
pub const IP_SUMMARY_PATH: &str = "v1/ip/summary";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_the_documented_ones() {
        assert_eq!(MAX_RESULTS, 10_000);
        assert_eq!(MAX_URL_BYTES, 32_768);
    }

    #[test]
    fn each_endpoint_takes_its_own_parameters_and_a_page_or_summary() {
        let paths: Vec<_> = Endpoint::ALL.iter().map(|e| e.path()).collect();
        assert_eq!(
            paths,
            [
                "v1/scan/protocols",
                "v1/scan/domains",
                "v1/scan/favicons",
                "v1/domain/rdns",
                "v1/ct/log"
            ]
        );
        for e in Endpoint::ALL {
            for p in PAGE_AND_SUMMARY {
                assert!(e.takes(p), "{e:?} {p}");
            }
            assert!(e.takes("from") && e.takes("most_recent"), "{e:?}");
            assert!(!e.takes("timeout") && !e.takes("FROM"), "{e:?}");
        }
        assert!(Endpoint::Protocols.takes("expression") && Endpoint::Domains.takes("slop"));
        assert!(Endpoint::Favicons.takes("murmur3") && !Endpoint::Favicons.takes("expression"));
        assert!(Endpoint::Rdns.takes("nameserver") && !Endpoint::Rdns.takes("filter"));
        assert!(Endpoint::CtLog.takes("field") && !Endpoint::CtLog.takes("ip"));
    }
}
