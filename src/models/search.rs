//! The requests of the search endpoints, both ways: built by the client and written as query
//! parameters ([`SearchRequest::to_pairs`]), read back from query parameters by a server
//! ([`SearchRequest::from_pairs`]). One definition, so the two cannot drift apart.

use crate::ast::Span;
use crate::diagnostic::{Diagnostic, Severity};
use crate::eval::MatchOptions;
use crate::query::Query;

use super::Endpoint;
use super::answers::ParamDiagnostic;
use super::params::{
    Date, FaviconHash, Filter, HashKind, IpParam, Page, RequestError, Slop, SummaryField,
    SummaryLimit, check_date_range,
};

/// The parameters of a search shared by results and summaries (the API's documented search
/// parameters but `page` and the summary ones), in the order they are sent. Unset parameters
/// are not sent. Which endpoint takes which is [`Endpoint::takes`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchParams {
    /// `ip`: the scanned address or block.
    pub ip: Option<IpParam>,
    /// `indirect`: match `ip` in any context, e.g. inside a certificate.
    pub indirect: Option<bool>,
    /// `expression`: the query, sent in its canonical form.
    pub expression: Option<Query>,
    /// `field` (repeatable, an older parameter): terms the results must match, each AND-ed.
    pub fields: Vec<Filter>,
    /// `keyword` (repeatable, an older parameter): `T:V` as the term `T=V`, each AND-ed.
    pub keywords: Vec<Filter>,
    /// `query` (repeatable, an older parameter): `TEXT` as `search-term:"TEXT"`, each AND-ed.
    pub queries: Vec<Filter>,
    /// `sha1`, `sha256`, `md5` or `murmur3` (favicons): the favicon's hash.
    pub favicon: Option<FaviconHash>,
    /// `host` (rdns): a reverse DNS name, right-anchored like `host:`.
    pub host: Option<String>,
    /// `nameserver` (rdns): a name server, right-anchored like `host:`.
    pub nameserver: Option<String>,
    /// `slop`: words allowed between the words of a phrase.
    pub slop: Option<Slop>,
    /// `filter` (repeatable): terms the results must match, OR-ed with each other.
    pub filters: Vec<Filter>,
    /// `from`: the first day, inclusive.
    pub from: Option<Date>,
    /// `to`: the last day, inclusive.
    pub to: Option<Date>,
    /// `most_recent`: only the newest report per {ip, port} pair.
    pub most_recent: Option<bool>,
    /// `host_in_url`: `host` terms also match hosts inside URLs.
    pub host_in_url: Option<bool>,
}

/// The summary parameters: `summarize` and its companions.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SummaryParams {
    /// `summarize`: the type whose values are counted.
    pub field: SummaryField,
    /// `summary_context` (repeatable): when any is given, only items of these contexts count.
    pub contexts: Vec<String>,
    /// `summary_nocontext` (repeatable): items of these contexts do not count.
    pub no_contexts: Vec<String>,
    /// `summary_limit`: the most values returned (the server's default is 100).
    pub limit: Option<SummaryLimit>,
    /// `summary_cardinality`: also count the distinct values.
    pub cardinality: Option<bool>,
}

impl SummaryParams {
    /// A summary of `field`'s values, every other parameter unset.
    pub fn new(field: SummaryField) -> Self {
        SummaryParams {
            field,
            contexts: Vec::new(),
            no_contexts: Vec::new(),
            limit: None,
            cardinality: None,
        }
    }

    /// The limit, or the server's default.
    pub fn limit_or_default(&self) -> SummaryLimit {
        self.limit.unwrap_or(SummaryLimit::DEFAULT)
    }
}

/// What a search asks for: a page of results, or a summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A page of results.
    Results(Page),
    /// A summary.
    Summary(SummaryParams),
}

/// A whole request to a search endpoint: its parameters and what it asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchRequest {
    /// The search.
    pub params: SearchParams,
    /// A page of results or a summary.
    pub answer: Answer,
}

/// The parameters of `GET /v1/scan/ports` and `GET /v1/scan/ipports`: an address or block,
/// and a date window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PortsParams {
    /// The address or block (for `ipports`, a block of at most [`MAX_IPPORTS_ADDRESSES`]).
    pub ip: IpParam,
    /// `from`: the first day, inclusive.
    pub from: Option<Date>,
    /// `to`: the last day, inclusive.
    pub to: Option<Date>,
}

/// The most addresses one `ipports` request covers.
pub const MAX_IPPORTS_ADDRESSES: u64 = 1024;

/// The parameters of `GET /v1/ip/summary`: one address, and the sections wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct IpSummaryParams {
    /// The address.
    pub ip: std::net::IpAddr,
    /// `restrict`: only this section.
    pub restrict: Option<super::Restrict>,
}

/// The parameters of `/v1/scan/protocols/prioritize`: one address and one port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PrioritizeParams {
    /// The address to scan.
    pub ip: std::net::IpAddr,
    /// The port to scan.
    pub port: u16,
}

/// `name=value` pairs, decoded, in order.
pub type Pairs<'a> = &'a [(String, String)];

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

impl SearchParams {
    /// Checks the parameters as a whole, for `endpoint`: every parameter set is one it takes,
    /// a search has what it needs to search by (an expression, an `ip` or an older parameter;
    /// for favicons a hash or a `url` field; for rdns an `ip`, `host` or `nameserver`; for the
    /// certificate log a `host` field), `from` is not after `to`, and the expression has no
    /// validation errors. The expression's warnings are returned.
    pub fn check(&self, endpoint: Endpoint) -> Result<Vec<Diagnostic>, RequestError> {
        if let Some(param) = self.set().find(|p| !endpoint.takes(p)) {
            return Err(RequestError::NotForEndpoint {
                param,
                endpoint: endpoint.path(),
            });
        }
        let warnings = match &self.expression {
            Some(q) => q.check().map_err(RequestError::ExpressionInvalid)?,
            None => Vec::new(),
        };
        if !self.has_something_to_search(endpoint) {
            return Err(RequestError::NothingToSearch);
        }
        check_date_range(self.from, self.to)?;
        Ok(warnings)
    }

    /// Whether the endpoint has something to search by (see [`SearchParams::check`]).
    fn has_something_to_search(&self, endpoint: Endpoint) -> bool {
        let field_of = |ty: &str| self.fields.iter().any(|f| f.term().ty() == ty);
        match endpoint {
            Endpoint::Favicons => self.favicon.is_some() || field_of("url"),
            Endpoint::Rdns => self.ip.is_some() || self.host.is_some() || self.nameserver.is_some(),
            Endpoint::CtLog => field_of("host"),
            Endpoint::Protocols | Endpoint::Domains => {
                self.expression.is_some()
                    || self.ip.is_some()
                    || !self.fields.is_empty()
                    || !self.keywords.is_empty()
                    || !self.queries.is_empty()
            }
        }
    }

    /// The names of the parameters that are set.
    fn set(&self) -> impl Iterator<Item = &'static str> + '_ {
        let mut pairs = Vec::new();
        self.write_pairs(&mut pairs);
        pairs.into_iter().map(|(name, _)| name)
    }

    /// `slop` and `host_in_url`, as the evaluator takes them.
    pub fn match_options(&self) -> MatchOptions {
        MatchOptions::default()
            .with_slop(self.slop.unwrap_or_default().get())
            .with_host_in_url(self.host_in_url.unwrap_or(false))
    }

    /// Appends the set parameters in the order of the API's documentation; the expression goes
    /// in canonical form.
    pub fn write_pairs(&self, out: &mut Vec<(&'static str, String)>) {
        let mut push = |name, value: Option<String>| {
            if let Some(v) = value {
                out.push((name, v));
            }
        };
        push("ip", self.ip.map(|ip| ip.to_string()));
        push("indirect", self.indirect.map(|b| bool_str(b).into()));
        push("expression", self.expression.as_ref().map(Query::canonical));
        if let Some(h) = &self.favicon {
            push(h.kind().param(), Some(h.value().to_owned()));
        }
        push("host", self.host.clone());
        push("nameserver", self.nameserver.clone());
        for f in &self.fields {
            push("field", Some(f.to_string()));
        }
        for k in &self.keywords {
            // `keyword=T:V`, as the older integrations write it.
            let t = k.term();
            push(
                "keyword",
                Some(t.clone().with_op(crate::Op::Match).to_string()),
            );
        }
        for q in &self.queries {
            push("query", Some(q.term().value().to_owned()));
        }
        push("slop", self.slop.map(|s| s.to_string()));
        for f in &self.filters {
            push("filter", Some(f.to_string()));
        }
        push("from", self.from.map(|d| d.to_string()));
        push("to", self.to.map(|d| d.to_string()));
        push("most_recent", self.most_recent.map(|b| bool_str(b).into()));
        push("host_in_url", self.host_in_url.map(|b| bool_str(b).into()));
    }
}

impl SummaryParams {
    /// Appends the summary parameters in the order of the API's documentation.
    pub fn write_pairs(&self, out: &mut Vec<(&'static str, String)>) {
        out.push(("summarize", self.field.to_string()));
        out.extend(self.contexts.iter().map(|c| ("summary_context", c.clone())));
        out.extend(
            self.no_contexts
                .iter()
                .map(|c| ("summary_nocontext", c.clone())),
        );
        if let Some(l) = self.limit {
            out.push(("summary_limit", l.to_string()));
        }
        if let Some(b) = self.cardinality {
            out.push(("summary_cardinality", bool_str(b).into()));
        }
    }
}

impl SearchRequest {
    /// A request for a page of results.
    pub fn results(params: SearchParams, page: Page) -> Self {
        SearchRequest {
            params,
            answer: Answer::Results(page),
        }
    }

    /// A request for a summary.
    pub fn summary(params: SearchParams, summary: SummaryParams) -> Self {
        SearchRequest {
            params,
            answer: Answer::Summary(summary),
        }
    }

    /// The query parameters, in the order of the API's documentation: the search's, then `page` or the summary's.
    ///
    /// ```
    /// use driftql::models::{Page, SearchParams, SearchRequest};
    /// let mut params = SearchParams::default();
    /// params.expression = Some(driftql::parse("port-tcp:443 AND geo-country=US").unwrap());
    /// let pairs = SearchRequest::results(params, Page::FIRST).to_pairs();
    /// assert_eq!(pairs, [("expression", "(port-tcp:443 and geo-country=US)".to_string()), ("page", "0".into())]);
    /// ```
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        self.params.write_pairs(&mut out);
        match &self.answer {
            Answer::Results(page) => out.push(("page", page.to_string())),
            Answer::Summary(s) => s.write_pairs(&mut out),
        }
        out
    }

    /// Reads a request to `endpoint` from decoded query parameters, reporting every problem
    /// at once.
    ///
    /// - Only the parameters the endpoint takes are read ([`Endpoint::takes`]); **unknown**
    ///   ones are ignored (`timeout=30` is sent by some tools). Names are case-sensitive.
    /// - An **empty** value counts as absent, except in `summary_context` and
    ///   `summary_nocontext`, where it is the empty context.
    /// - `filter` may be given several times, OR-ed; `field`, `keyword` and `query` too, each
    ///   AND-ed; `summary_context` and `summary_nocontext` too. Every other parameter may be
    ///   given **once**.
    /// - Booleans are `true` or `false` in any case, or `1` or `0`.
    /// - `summary_limit` may go up to 1,000,000 when `enterprise`, else to 10,000.
    /// - The request as a whole is checked by [`SearchParams::check`]; the expression's warnings
    ///   do not refuse it.
    ///
    /// Each finding names its parameter; its span is into that parameter's value.
    pub fn from_pairs(
        pairs: Pairs<'_>,
        endpoint: Endpoint,
        enterprise: bool,
    ) -> Result<Self, Vec<ParamDiagnostic>> {
        let mut r = Reader::new(pairs, Some(endpoint));
        let expression = r.one("expression").and_then(|src| match crate::parse(src) {
            Err(e) => r.refuse(RequestError::ExpressionSyntax(Box::new(e)), src),
            Ok(q) => match q.check() {
                Ok(_) => Some(q),
                Err(invalid) => r.refuse(RequestError::ExpressionInvalid(invalid), src),
            },
        });
        let ip = r.parsed("ip", |v| v.parse::<IpParam>());
        let indirect = r.bool("indirect");
        let mut favicon = None;
        for kind in HashKind::ALL {
            if let Some(h) = r.parsed(kind.param(), |v| FaviconHash::new(kind, v)) {
                if favicon.is_some() {
                    r.refuse::<()>(RequestError::Repeated(kind.param()), "");
                }
                favicon = Some(h);
            }
        }
        let host = r.one("host").map(str::to_owned);
        let nameserver = r.one("nameserver").map(str::to_owned);
        let fields = r.many("field", Filter::field);
        let keywords = r.many("keyword", Filter::keyword);
        let queries = r.many("query", Filter::query);
        let slop = r.parsed("slop", |v| v.parse::<Slop>());
        let filters = r.many("filter", |v| v.parse::<Filter>());
        let from = r.parsed("from", |v| Date::parse_param("from", v));
        let to = r.parsed("to", |v| Date::parse_param("to", v));
        let most_recent = r.bool("most_recent");
        let host_in_url = r.bool("host_in_url");
        let page = r.parsed("page", |v| v.parse::<Page>());
        let field = r.parsed("summarize", |v| v.parse::<SummaryField>());
        let limit = r.parsed("summary_limit", |v| SummaryLimit::parse(v, enterprise));
        let cardinality = r.bool("summary_cardinality");
        let contexts = r.every("summary_context");
        let no_contexts = r.every("summary_nocontext");

        let params = SearchParams {
            ip,
            indirect,
            expression,
            fields,
            keywords,
            queries,
            favicon,
            host,
            nameserver,
            slop,
            filters,
            from,
            to,
            most_recent,
            host_in_url,
        };
        // The request as a whole (as `SearchParams::check` judges it), unless a refused value
        // already explains what is missing.
        if !params.has_something_to_search(endpoint) && r.errors.is_empty() {
            r.refuse::<()>(RequestError::NothingToSearch, "");
        }
        if let (Err(e), Some(from), Some(to)) = (check_date_range(from, to), from, to) {
            r.refuse::<()>(e, &format!("{from}..{to}"));
        }
        if !r.errors.is_empty() {
            return Err(r.errors);
        }
        let answer = match field {
            Some(field) => Answer::Summary(SummaryParams {
                field,
                contexts,
                no_contexts,
                limit,
                cardinality,
            }),
            None => Answer::Results(page.unwrap_or_default()),
        };
        Ok(SearchRequest { params, answer })
    }
}

impl PortsParams {
    /// Reads `ip`, `from` and `to` for `endpoint` ([`Endpoint`] has no variant for these: the
    /// path is named in errors), reporting every problem at once. For `ipports` the block may
    /// hold at most [`MAX_IPPORTS_ADDRESSES`] addresses.
    pub fn from_pairs(pairs: Pairs<'_>, ipports: bool) -> Result<Self, Vec<ParamDiagnostic>> {
        let mut r = Reader::new(pairs, None);
        let ip = r.required("ip", "the address or block whose ports are counted", |v| {
            v.parse::<IpParam>()
        });
        if let Some(ip) = ip
            && ipports
        {
            let addresses = addresses(ip.net());
            if addresses > MAX_IPPORTS_ADDRESSES {
                r.refuse::<()>(
                    RequestError::BlockTooLarge {
                        addresses,
                        max: MAX_IPPORTS_ADDRESSES,
                    },
                    &ip.to_string(),
                );
            }
        }
        let from = r.parsed("from", |v| Date::parse_param("from", v));
        let to = r.parsed("to", |v| Date::parse_param("to", v));
        if let (Err(e), Some(from), Some(to)) = (check_date_range(from, to), from, to) {
            r.refuse::<()>(e, &format!("{from}..{to}"));
        }
        match ip {
            Some(ip) if r.errors.is_empty() => Ok(PortsParams { ip, from, to }),
            _ => Err(r.errors),
        }
    }

    /// The query parameters.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("ip", self.ip.to_string())];
        if let Some(d) = self.from {
            out.push(("from", d.to_string()));
        }
        if let Some(d) = self.to {
            out.push(("to", d.to_string()));
        }
        out
    }
}

/// How many addresses a block holds, saturated at `u64::MAX`.
pub fn addresses(net: ipnet::IpNet) -> u64 {
    let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
    1u64.checked_shl(host_bits).unwrap_or(u64::MAX)
}

impl IpSummaryParams {
    /// Reads `ip` (one address) and `restrict`, reporting every problem at once.
    pub fn from_pairs(pairs: Pairs<'_>) -> Result<Self, Vec<ParamDiagnostic>> {
        let mut r = Reader::new(pairs, None);
        let ip = r.required("ip", "the address to sum up", |v| {
            v.parse().map_err(|_| RequestError::Address(v.to_owned()))
        });
        let restrict = r.parsed("restrict", |v| v.parse());
        match ip {
            Some(ip) if r.errors.is_empty() => Ok(IpSummaryParams { ip, restrict }),
            _ => Err(r.errors),
        }
    }

    /// The query parameters.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("ip", self.ip.to_string())];
        if let Some(r) = self.restrict {
            out.push(("restrict", r.to_string()));
        }
        out
    }
}

impl PrioritizeParams {
    /// Reads `ip` (one address) and `port` from decoded query parameters, reporting every
    /// problem at once.
    pub fn from_pairs(pairs: Pairs<'_>) -> Result<Self, Vec<ParamDiagnostic>> {
        let mut r = Reader::new(pairs, None);
        let ip = r.required("ip", "the address to scan", |v| {
            v.parse().map_err(|_| RequestError::Address(v.to_owned()))
        });
        let port = r.required("port", "the port to scan", |v| {
            crate::types::parse_port(v).ok_or_else(|| RequestError::Port(v.to_owned()))
        });
        // Each parameter is `None` exactly when it was refused: both read means no error.
        match (ip, port) {
            (Some(ip), Some(port)) => Ok(PrioritizeParams { ip, port }),
            _ => Err(r.errors),
        }
    }

    /// The query parameters.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        vec![("ip", self.ip.to_string()), ("port", self.port.to_string())]
    }
}

/// Reads parameters one by one, collecting what is wrong with them. Parameters the endpoint
/// does not take are not read.
struct Reader<'a> {
    pairs: Pairs<'a>,
    /// The search endpoint whose parameters are read; `None` reads every one asked for.
    endpoint: Option<Endpoint>,
    errors: Vec<ParamDiagnostic>,
}

impl<'a> Reader<'a> {
    fn new(pairs: Pairs<'a>, endpoint: Option<Endpoint>) -> Self {
        Reader {
            pairs,
            endpoint,
            errors: Vec::new(),
        }
    }

    /// Whether `name` is read.
    fn takes(&self, name: &str) -> bool {
        self.endpoint.is_none_or(|e| e.takes(name))
    }

    /// Every non-empty value of a repeatable parameter, each parsed.
    fn many<T>(
        &mut self,
        name: &'static str,
        parse: impl Fn(&str) -> Result<T, RequestError>,
    ) -> Vec<T> {
        if !self.takes(name) {
            return Vec::new();
        }
        let pairs = self.pairs;
        let mut out = Vec::new();
        for (_, v) in pairs.iter().filter(|(n, v)| n == name && !v.is_empty()) {
            match parse(v) {
                Ok(t) => out.push(t),
                Err(e) => {
                    self.refuse::<()>(e, v);
                }
            }
        }
        out
    }

    /// Whether `name` has a non-empty value.
    fn present(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, v)| n == name && !v.is_empty())
    }

    /// Every value of `name`, empty ones included.
    fn every(&self, name: &str) -> Vec<String> {
        if !self.takes(name) {
            return Vec::new();
        }
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The value of a parameter given at most once; an empty value counts as absent.
    fn one(&mut self, name: &'static str) -> Option<&'a str> {
        if !self.takes(name) {
            return None;
        }
        let mut values = self
            .pairs
            .iter()
            .filter(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str());
        let first = values.next()?;
        if values.next().is_some() {
            return self.refuse(RequestError::Repeated(name), "");
        }
        Some(first)
    }

    fn parsed<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, RequestError>,
    ) -> Option<T> {
        let v = self.one(name)?;
        match parse(v) {
            Ok(t) => Some(t),
            Err(e) => self.refuse(e, v),
        }
    }

    fn required<T>(
        &mut self,
        name: &'static str,
        what: &'static str,
        parse: impl FnOnce(&str) -> Result<T, RequestError>,
    ) -> Option<T> {
        if !self.present(name) {
            return self.refuse(RequestError::Missing { param: name, what }, "");
        }
        self.parsed(name, parse)
    }

    fn bool(&mut self, name: &'static str) -> Option<bool> {
        self.parsed(name, |v| {
            if v.eq_ignore_ascii_case("true") || v == "1" {
                Ok(true)
            } else if v.eq_ignore_ascii_case("false") || v == "0" {
                Ok(false)
            } else {
                Err(RequestError::Bool {
                    param: name,
                    value: v.to_owned(),
                })
            }
        })
    }

    /// Records `error` about `value`; always `None`.
    fn refuse<T>(&mut self, error: RequestError, value: &str) -> Option<T> {
        self.errors.extend(error.into_diagnostics(value));
        None
    }
}

impl RequestError {
    /// The error as findings about its parameter: an expression's or a filter's own findings
    /// keep their spans into it (warnings included); any other error is one finding covering
    /// the whole `value`.
    pub fn into_diagnostics(self, value: &str) -> Vec<ParamDiagnostic> {
        let param = self.param();
        let each = |ds: Vec<Diagnostic>| {
            ds.into_iter()
                .map(|d| ParamDiagnostic::new(param, d))
                .collect()
        };
        match self {
            RequestError::ExpressionSyntax(e) | RequestError::TermSyntax { error: e, .. } => {
                each(vec![e.into_diagnostic()])
            }
            RequestError::ExpressionInvalid(v) | RequestError::TermInvalid { error: v, .. } => {
                each(v.diagnostics)
            }
            other => {
                let span = Span::new(0, value.len());
                let d = Diagnostic::new(
                    Severity::Error,
                    other.code(),
                    value,
                    span,
                    other.to_string(),
                );
                vec![ParamDiagnostic::new(param, d)]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn codes(p: &[(&str, &str)]) -> Vec<&'static str> {
        match SearchRequest::from_pairs(&pairs(p), Endpoint::Protocols, false) {
            Ok(_) => Vec::new(),
            Err(ds) => ds.iter().map(|d| d.diagnostic.code).collect(),
        }
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let params = SearchParams {
            ip: Some("10.0.0.0/8".parse().unwrap()),
            indirect: Some(true),
            expression: Some(crate::parse(r#"title:"a \"b\"" or not port-tcp:22"#).unwrap()),
            fields: vec![Filter::field("product-tag:jira").unwrap()],
            keywords: vec![
                Filter::keyword("title:a b")
                    .unwrap_or_else(|_| Filter::keyword("title:ab").unwrap()),
            ],
            queries: vec![Filter::query("admin \"login\"").unwrap()],
            slop: Some(Slop(2)),
            filters: vec![
                "port-tcp:443".parse().unwrap(),
                "port-tcp:80".parse().unwrap(),
            ],
            from: Some("2024-01-01".parse().unwrap()),
            to: Some("2024-12-31".parse().unwrap()),
            most_recent: Some(false),
            host_in_url: Some(true),
            ..SearchParams::default()
        };
        let mut summary = SummaryParams::new("port-tcp".parse().unwrap());
        summary.contexts = vec![String::new(), "cert-dns-name".into()];
        summary.no_contexts = vec!["dns-ptr".into()];
        summary.limit = Some(SummaryLimit::new(250, false).unwrap());
        summary.cardinality = Some(true);
        for request in [
            SearchRequest::results(params.clone(), Page::new(7).unwrap()),
            SearchRequest::summary(params, summary),
            SearchRequest::results(
                SearchParams {
                    ip: Some("::1".parse().unwrap()),
                    ..SearchParams::default()
                },
                Page::FIRST,
            ),
        ] {
            let written: Vec<(String, String)> = request
                .to_pairs()
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v))
                .collect();
            assert_eq!(
                SearchRequest::from_pairs(&written, Endpoint::Protocols, false).unwrap(),
                request,
                "{written:?}"
            );
        }
        // The parameters of the other endpoints too.
        let favicons = SearchParams {
            favicon: Some(FaviconHash::new(HashKind::Murmur3, "-2057558656").unwrap()),
            filters: vec!["port-tcp:443".parse().unwrap()],
            ..SearchParams::default()
        };
        let rdns = SearchParams {
            host: Some("dns.google".into()),
            nameserver: Some("ns1.google.com".into()),
            ..SearchParams::default()
        };
        let ct = SearchParams {
            fields: vec![Filter::field("host:example.com").unwrap()],
            ..SearchParams::default()
        };
        for (endpoint, params) in [
            (Endpoint::Favicons, favicons),
            (Endpoint::Rdns, rdns),
            (Endpoint::CtLog, ct),
        ] {
            let request = SearchRequest::results(params, Page::FIRST);
            let written: Vec<(String, String)> = request
                .to_pairs()
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v))
                .collect();
            assert_eq!(
                SearchRequest::from_pairs(&written, endpoint, false).unwrap(),
                request,
                "{endpoint:?}: {written:?}"
            );
            request.params.check(endpoint).unwrap();
        }
    }

    #[test]
    fn an_endpoint_takes_its_own_parameters_only() {
        let p = SearchParams {
            favicon: Some(FaviconHash::new(HashKind::Sha1, &"a".repeat(40)).unwrap()),
            ..SearchParams::default()
        };
        assert!(p.check(Endpoint::Favicons).is_ok());
        assert_eq!(
            p.check(Endpoint::Protocols).unwrap_err().code(),
            "not-for-endpoint"
        );
        // What another endpoint takes is an unknown parameter, ignored, to a server.
        let pairs = pairs(&[("expression", "a:1"), ("sha1", "zz")]);
        assert!(SearchRequest::from_pairs(&pairs, Endpoint::Protocols, false).is_ok());
        assert_eq!(
            SearchRequest::from_pairs(&pairs, Endpoint::Rdns, false)
                .unwrap_err()
                .iter()
                .map(|d| d.diagnostic.code)
                .collect::<Vec<_>>(),
            ["nothing-to-search"]
        );
    }

    #[test]
    fn repeated_filters_and_the_older_parameters_are_read() {
        let r = SearchRequest::from_pairs(
            &pairs(&[
                ("ip", "8.8.8.8"),
                ("filter", "port-tcp:80"),
                ("filter", "port-tcp:443"),
                ("field", "server-banner:nginx"),
                ("keyword", "product-tag:jira"),
                ("query", "admin panel"),
                ("timeout", "30"),
            ]),
            Endpoint::Protocols,
            false,
        )
        .unwrap();
        let p = &r.params;
        assert_eq!(p.filters.len(), 2);
        assert_eq!(p.fields[0].to_string(), "server-banner:nginx");
        assert_eq!(p.keywords[0].to_string(), "product-tag=jira");
        assert_eq!(p.queries[0].to_string(), r#"search-term:"admin panel""#);
        // Without `expression` or `ip`, an older parameter is enough to search by.
        assert!(
            SearchRequest::from_pairs(
                &pairs(&[("field", "product-tag:jira")]),
                Endpoint::Protocols,
                false
            )
            .is_ok()
        );
        // A bad value names its parameter.
        let e = SearchRequest::from_pairs(
            &pairs(&[("keyword", "geo-country:gbr")]),
            Endpoint::Protocols,
            false,
        )
        .unwrap_err();
        assert_eq!(e[0].param.as_deref(), Some("keyword"));
        assert_eq!(e[0].diagnostic.code, "invalid-country");
        let e = SearchRequest::from_pairs(
            &pairs(&[("field", "a:1 or b:2")]),
            Endpoint::Protocols,
            false,
        )
        .unwrap_err();
        assert_eq!(
            (e[0].param.as_deref(), e[0].diagnostic.code),
            (Some("field"), "not-one-term")
        );
    }

    #[test]
    fn every_problem_is_reported_once_with_one_code() {
        assert_eq!(codes(&[]), ["nothing-to-search"]);
        assert_eq!(
            codes(&[("expression", ""), ("ip", "")]),
            ["nothing-to-search"]
        );
        assert_eq!(
            codes(&[("ip", "1.2.3.4"), ("page", "100"), ("slop", "-1")]),
            ["invalid-slop", "page-limit"]
        );
        assert_eq!(
            codes(&[("expression", "a:1"), ("expression", "b:2")]),
            ["repeated-parameter"]
        );
        assert_eq!(
            codes(&[("ip", "x"), ("summarize", "port tcp")]),
            ["invalid-ip-parameter", "invalid-summarize"]
        );
        assert_eq!(
            codes(&[
                ("expression", "a:1"),
                ("from", "2024-02-02"),
                ("to", "2024-01-01")
            ]),
            ["date-order"]
        );
        assert_eq!(
            codes(&[("expression", "a:1"), ("most_recent", "yes")]),
            ["invalid-bool"]
        );
        // An expression with errors is refused with every finding, warnings included.
        assert_eq!(
            codes(&[("expression", "geo-country:gb")]),
            ["keyword-only-type", "country-case"]
        );
        // Warnings alone do not refuse; unknown parameters are ignored.
        assert!(codes(&[("expression", "search-term:x"), ("timeout", "30")]).is_empty());
    }

    #[test]
    fn prioritize_needs_one_address_and_one_port() {
        let codes = |p: &[(&str, &str)]| -> Vec<&'static str> {
            match PrioritizeParams::from_pairs(&pairs(p)) {
                Ok(_) => Vec::new(),
                Err(ds) => ds.iter().map(|d| d.diagnostic.code).collect(),
            }
        };
        assert!(codes(&[("ip", "1.2.3.4"), ("port", "443")]).is_empty());
        assert_eq!(codes(&[]), ["missing-parameter", "missing-parameter"]);
        assert_eq!(
            codes(&[("ip", "1.2.3.0/24"), ("port", "65536")]),
            ["invalid-ip-parameter", "invalid-port-parameter"]
        );
    }

    fn codes_of<T>(r: Result<T, Vec<ParamDiagnostic>>) -> Vec<&'static str> {
        match r {
            Ok(_) => Vec::new(),
            Err(ds) => ds.iter().map(|d| d.diagnostic.code).collect(),
        }
    }

    fn written(p: &[(&'static str, String)]) -> Vec<(String, String)> {
        p.iter().map(|(n, v)| (n.to_string(), v.clone())).collect()
    }

    #[test]
    fn ports_take_an_address_or_a_block_and_a_window() {
        let p = PortsParams::from_pairs(
            &pairs(&[
                ("ip", "10.0.0.0/22"),
                ("from", "2024-01-01"),
                ("to", "2024-01-31"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(
            p.to_pairs(),
            [
                ("ip", "10.0.0.0/22".to_owned()),
                ("from", "2024-01-01".into()),
                ("to", "2024-01-31".into())
            ]
        );
        assert_eq!(
            PortsParams::from_pairs(&written(&p.to_pairs()), true),
            Ok(p)
        );
        let only_ip = PortsParams::from_pairs(&pairs(&[("ip", "8.8.8.8")]), false).unwrap();
        assert_eq!(only_ip.to_pairs(), [("ip", "8.8.8.8".to_owned())]);
        let ports =
            |p: &[(&str, &str)], ipports| codes_of(PortsParams::from_pairs(&pairs(p), ipports));
        // `ipports` covers at most 1,024 addresses; `ports` any block.
        assert!(ports(&[("ip", "10.0.0.0/22")], true).is_empty());
        assert_eq!(ports(&[("ip", "10.0.0.0/21")], true), ["block-too-large"]);
        assert!(ports(&[("ip", "10.0.0.0/8")], false).is_empty());
        assert_eq!(ports(&[], false), ["missing-parameter"]);
        assert_eq!(ports(&[("ip", "")], false), ["missing-parameter"]);
        assert_eq!(ports(&[("ip", "x")], false), ["invalid-ip-parameter"]);
        // A good address with a bad window is refused, each problem named.
        assert_eq!(
            ports(
                &[
                    ("ip", "8.8.8.8"),
                    ("from", "2024-02-02"),
                    ("to", "2024-02-01")
                ],
                false
            ),
            ["date-order"]
        );
        assert_eq!(
            ports(&[("ip", "8.8.8.8"), ("to", "soon")], false),
            ["invalid-date"]
        );
    }

    #[test]
    fn a_block_counts_its_addresses_saturating() {
        let n = |s: &str| addresses(s.parse().unwrap());
        assert_eq!(n("8.8.8.8/32"), 1);
        assert_eq!(n("10.0.0.0/31"), 2);
        assert_eq!(n("10.0.0.0/24"), 256);
        assert_eq!(n("0.0.0.0/0"), 1 << 32);
        assert_eq!(n("2001:db8::/65"), 1 << 63);
        assert_eq!(n("2001:db8::/64"), u64::MAX);
        assert_eq!(n("::/0"), u64::MAX);
    }

    #[test]
    fn an_ip_summary_takes_one_address_and_a_section() {
        let p = IpSummaryParams::from_pairs(&pairs(&[("ip", "::1"), ("restrict", "bgp")])).unwrap();
        assert_eq!(
            p.to_pairs(),
            [("ip", "::1".to_owned()), ("restrict", "bgp".into())]
        );
        assert_eq!(IpSummaryParams::from_pairs(&written(&p.to_pairs())), Ok(p));
        let bare = IpSummaryParams::from_pairs(&pairs(&[("ip", "1.2.3.4")])).unwrap();
        assert_eq!(bare.to_pairs(), [("ip", "1.2.3.4".to_owned())]);
        let codes = |p: &[(&str, &str)]| codes_of(IpSummaryParams::from_pairs(&pairs(p)));
        assert_eq!(codes(&[("ip", "1.2.3.0/24")]), ["invalid-ip-parameter"]);
        assert_eq!(
            codes(&[("ip", "1.2.3.4"), ("restrict", "all")]),
            ["invalid-restrict"]
        );
        assert_eq!(codes(&[("restrict", "bgp")]), ["missing-parameter"]);
    }

    #[test]
    fn prioritize_writes_what_it_reads() {
        let p =
            PrioritizeParams::from_pairs(&pairs(&[("ip", "1.2.3.4"), ("port", "8443")])).unwrap();
        assert_eq!((p.ip.to_string(), p.port), ("1.2.3.4".to_owned(), 8443));
        assert_eq!(
            p.to_pairs(),
            [("ip", "1.2.3.4".to_owned()), ("port", "8443".into())]
        );
        assert_eq!(PrioritizeParams::from_pairs(&written(&p.to_pairs())), Ok(p));
        let codes = |p: &[(&str, &str)]| codes_of(PrioritizeParams::from_pairs(&pairs(p)));
        assert_eq!(codes(&[("ip", "1.2.3.4")]), ["missing-parameter"]);
        assert_eq!(codes(&[("port", "22")]), ["missing-parameter"]);
    }

    /// What each endpoint needs to search by, one parameter at a time.
    #[test]
    fn each_endpoint_searches_by_its_own_parameters() {
        let field = |s: &str| vec![Filter::field(s).unwrap()];
        let ip = Some("8.8.8.8".parse().unwrap());
        let by = |e: Endpoint, p: SearchParams| p.has_something_to_search(e);
        let none = SearchParams::default;
        for e in [Endpoint::Protocols, Endpoint::Domains] {
            assert!(!by(e, none()));
            assert!(by(e, SearchParams { ip, ..none() }));
            assert!(by(
                e,
                SearchParams {
                    expression: crate::parse("a:1").ok(),
                    ..none()
                }
            ));
            assert!(by(
                e,
                SearchParams {
                    fields: field("a:1"),
                    ..none()
                }
            ));
            assert!(by(
                e,
                SearchParams {
                    keywords: vec![Filter::keyword("a:1").unwrap()],
                    ..none()
                }
            ));
            assert!(by(
                e,
                SearchParams {
                    queries: vec![Filter::query("x").unwrap()],
                    ..none()
                }
            ));
            assert!(!by(
                e,
                SearchParams {
                    filters: vec!["a:1".parse().unwrap()],
                    ..none()
                }
            ));
        }
        let hash = FaviconHash::new(HashKind::Murmur3, "1").ok();
        assert!(by(
            Endpoint::Favicons,
            SearchParams {
                favicon: hash,
                ..none()
            }
        ));
        assert!(by(
            Endpoint::Favicons,
            SearchParams {
                fields: field("url:x"),
                ..none()
            }
        ));
        assert!(!by(
            Endpoint::Favicons,
            SearchParams {
                fields: field("host:x"),
                ..none()
            }
        ));
        assert!(!by(Endpoint::Favicons, SearchParams { ip, ..none() }));
        assert!(by(Endpoint::Rdns, SearchParams { ip, ..none() }));
        assert!(by(
            Endpoint::Rdns,
            SearchParams {
                host: Some("a.b".into()),
                ..none()
            }
        ));
        assert!(by(
            Endpoint::Rdns,
            SearchParams {
                nameserver: Some("ns.b".into()),
                ..none()
            }
        ));
        assert!(!by(Endpoint::Rdns, none()));
        assert!(by(
            Endpoint::CtLog,
            SearchParams {
                fields: field("host:a.b"),
                ..none()
            }
        ));
        assert!(!by(
            Endpoint::CtLog,
            SearchParams {
                fields: field("url:x"),
                ..none()
            }
        ));
    }

    #[test]
    fn a_whole_search_is_checked_and_keeps_its_warnings() {
        let with = |src: &str| SearchParams {
            expression: crate::parse(src).ok(),
            ..SearchParams::default()
        };
        let warnings = with("search-term:x").check(Endpoint::Protocols).unwrap();
        assert_eq!(
            warnings.iter().map(|d| d.code).collect::<Vec<_>>(),
            ["slow-search-term"]
        );
        assert!(
            with("port-tcp:443")
                .check(Endpoint::Protocols)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            with("geo-country:GB")
                .check(Endpoint::Protocols)
                .unwrap_err()
                .code(),
            "keyword-only-type"
        );
        assert_eq!(
            SearchParams::default()
                .check(Endpoint::Protocols)
                .unwrap_err()
                .code(),
            "nothing-to-search"
        );
        let mut late = with("port-tcp:443");
        late.from = "2024-02-02".parse().ok();
        late.to = "2024-02-01".parse().ok();
        assert_eq!(
            late.check(Endpoint::Protocols).unwrap_err().code(),
            "date-order"
        );
        late.to = late.from;
        assert!(late.check(Endpoint::Protocols).is_ok());
    }

    #[test]
    fn options_limits_and_booleans_read_as_documented() {
        let p = SearchParams {
            slop: Some(Slop(3)),
            host_in_url: Some(true),
            ..SearchParams::default()
        };
        assert_eq!(
            p.match_options(),
            MatchOptions::default().with_slop(3).with_host_in_url(true)
        );
        assert_eq!(
            SearchParams::default().match_options(),
            MatchOptions::default()
        );
        let mut s = SummaryParams::new("port-tcp".parse().unwrap());
        assert_eq!(s.limit_or_default(), SummaryLimit::DEFAULT);
        s.limit = SummaryLimit::new(5, false).ok();
        assert_eq!(s.limit_or_default().get(), 5);
        let read = |v: &str| {
            SearchRequest::from_pairs(
                &pairs(&[("ip", "1.2.3.4"), ("most_recent", v)]),
                Endpoint::Protocols,
                false,
            )
            .map(|r| r.params.most_recent)
        };
        for (v, b) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("false", false),
            ("False", false),
            ("0", false),
        ] {
            assert_eq!(read(v), Ok(Some(b)), "{v}");
        }
        assert_eq!(read(""), Ok(None));
        for v in ["yes", "2", "t"] {
            assert_eq!(codes_of(read(v)), ["invalid-bool"], "{v}");
        }
        // `summary_limit` goes to 1,000,000 only for enterprise plans.
        let limit = |enterprise| {
            SearchRequest::from_pairs(
                &pairs(&[
                    ("ip", "1.2.3.4"),
                    ("summarize", "port-tcp"),
                    ("summary_limit", "50000"),
                ]),
                Endpoint::Protocols,
                enterprise,
            )
        };
        assert!(limit(true).is_ok());
        assert_eq!(codes_of(limit(false)), ["invalid-summary-limit"]);
    }

    #[test]
    fn empty_values_are_absent_except_in_contexts() {
        let r = SearchRequest::from_pairs(
            &pairs(&[
                ("ip", "1.2.3.4"),
                ("filter", ""),
                ("filter", "port-tcp:443"),
                ("expression", ""),
                ("summarize", "port-tcp"),
                ("summary_context", ""),
                ("summary_context", "a"),
                ("summary_nocontext", "b"),
            ]),
            Endpoint::Protocols,
            false,
        )
        .unwrap();
        assert_eq!(r.params.filters.len(), 1);
        assert!(r.params.expression.is_none());
        let Answer::Summary(s) = r.answer else {
            panic!("{:?}", r.answer)
        };
        assert_eq!(
            (s.contexts, s.no_contexts),
            (vec![String::new(), "a".into()], vec!["b".to_owned()])
        );
        // A parameter the endpoint does not take is not read, even when it is repeated or bad.
        assert!(
            codes(&[
                ("ip", "1.2.3.4"),
                ("host", "a"),
                ("host", "b"),
                ("md5", "x")
            ])
            .is_empty()
        );
        let rdns = SearchRequest::from_pairs(
            &pairs(&[
                ("host", "a.b"),
                ("filter", "x"),
                ("field", "y"),
                ("slop", "z"),
            ]),
            Endpoint::Rdns,
            false,
        )
        .unwrap();
        assert!(rdns.params.filters.is_empty() && rdns.params.fields.is_empty());
        assert_eq!(rdns.params.host.as_deref(), Some("a.b"));
    }

    #[test]
    fn a_refused_value_is_one_finding_over_the_whole_value() {
        let ds = RequestError::Page("12x".into()).into_diagnostics("12x");
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].param.as_deref(), Some("page"));
        assert_eq!(
            (ds[0].diagnostic.code, ds[0].diagnostic.span),
            ("invalid-page", Span::new(0, 3))
        );
        let e = SearchRequest::from_pairs(
            &pairs(&[("expression", "title:x and")]),
            Endpoint::Protocols,
            false,
        )
        .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].param.as_deref(), Some("expression"));
        assert_eq!(e[0].diagnostic.code, "missing-operand");
        // Its span is into the expression: the `and` with no operand after it.
        assert_eq!(e[0].diagnostic.span, Span::new(8, 11));
    }
}
