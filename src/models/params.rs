//! The values of the search parameters other than `expression`: `filter`, `from`/`to`, `slop`,
//! `page`, `ip`, `summarize` and `summary_limit`.
//!
//! Each has a type whose `FromStr` is the check ([`Date`], [`Filter`], [`Slop`], [`Page`],
//! [`IpParam`], [`SummaryField`]; [`SummaryLimit::parse`], whose range depends on the plan), so
//! a value that got into one of these types is valid, and its `Display` is what goes on the
//! wire. Every way a parameter can be refused is a [`RequestError`] with one stable code.

use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize, Serializer};

use super::MAX_PAGES;
use crate::ast::{Expr, Term};
use crate::parse::ParseError;
use crate::validate::ValidationError;

/// A search parameter's value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// `from`/`to` is not a real calendar date written `YYYY-MM-DD`.
    #[error("`{param}`: `{value}` is not a date written YYYY-MM-DD (e.g. 2024-02-29)")]
    InvalidDate {
        /// `from` or `to`.
        param: &'static str,
        /// What was given.
        value: String,
    },
    /// `from` is after `to`.
    #[error("`from` ({from}) is after `to` ({to})")]
    DateOrder {
        /// The `from` date.
        from: Date,
        /// The `to` date.
        to: Date,
    },
    /// `expression` is not valid syntax.
    #[error("`expression`: {0}")]
    ExpressionSyntax(Box<ParseError>),
    /// `expression` has validation errors.
    #[error("`expression`: {0}")]
    ExpressionInvalid(ValidationError),
    /// A one-term parameter (`filter`, `field`, `keyword`, `query`) is not valid syntax.
    #[error("`{param}`: {error}")]
    TermSyntax {
        /// The parameter.
        param: &'static str,
        /// The syntax error, with spans into the parameter's value.
        error: Box<ParseError>,
    },
    /// A one-term parameter holds more than one term, or a `not`.
    #[error("`{param}` takes exactly one term such as `port-tcp:443`, not `{text}`")]
    NotOneTerm {
        /// The parameter.
        param: &'static str,
        /// What it holds, in canonical form.
        text: String,
    },
    /// A one-term parameter's term has validation errors.
    #[error("`{param}`: {error}")]
    TermInvalid {
        /// The parameter.
        param: &'static str,
        /// The findings, with spans into the parameter's value.
        error: ValidationError,
    },
    /// A favicon hash parameter is not a hash of its kind.
    #[error("`{param}` must be {what}, not `{value}`")]
    Hash {
        /// The parameter (`sha1`, `sha256`, `md5` or `murmur3`).
        param: &'static str,
        /// What it must be.
        what: &'static str,
        /// What was given.
        value: String,
    },
    /// `ipports` was given a block of more addresses than one request may cover.
    #[error("`ip` covers {addresses} addresses; one `ipports` request covers at most {max}")]
    BlockTooLarge {
        /// How many addresses the block holds (saturated at `u64::MAX`).
        addresses: u64,
        /// The most one request covers.
        max: u64,
    },
    /// `restrict` is not one of the ip/summary sections.
    #[error("`restrict` must be one of whois, bgp, rwhois or rdns, not `{0}`")]
    Restrict(String),
    /// A parameter is not taken by the endpoint it was given for.
    #[error("`{param}` is not a parameter of `{endpoint}`")]
    NotForEndpoint {
        /// The parameter.
        param: &'static str,
        /// The endpoint's path.
        endpoint: &'static str,
    },
    /// `summary_limit` is out of range.
    #[error("`summary_limit` must be from 1 to {max}, not {value}")]
    SummaryLimit {
        /// What was given.
        value: String,
        /// The largest allowed value.
        max: u32,
    },
    /// `slop` is not a non-negative integer.
    #[error("`slop` must be a whole number, 0 or more, not `{0}`")]
    Slop(String),
    /// `page` is not a non-negative integer.
    #[error("`page` must be a whole number, 0 or more, not `{0}`")]
    Page(String),
    /// `page` is past the last page a search can return.
    #[error(
        "a search returns at most {MAX_PAGES} pages (pages 0 to {last}), not page {0}; narrow the search, for example with a shorter `from`/`to` window",
        last = MAX_PAGES - 1
    )]
    PageLimit(u64),
    /// `ip` is not an address or CIDR block.
    #[error(
        "`ip`: `{0}` is not an IP address or CIDR block (e.g. 8.8.8.8, 10.0.0.0/8, 2001:db8::/32)"
    )]
    Ip(String),
    /// Neither `ip` nor `expression` was given.
    #[error("a search needs an `expression`, an `ip`, or both")]
    NothingToSearch,
    /// `summarize` is not a type name.
    #[error(
        "`summarize` takes a type name such as `port-tcp` (letters, digits, `_`, `.`, `-`), not `{0}`"
    )]
    SummaryField(String),
    /// A parameter that may be given once was given more than once.
    #[error("`{0}` may be given only once")]
    Repeated(&'static str),
    /// A boolean parameter is neither `true` nor `false`.
    #[error("`{param}` must be `true` or `false`, not `{value}`")]
    Bool {
        /// The parameter.
        param: &'static str,
        /// What was given.
        value: String,
    },
    /// A required parameter is absent.
    #[error("`{param}` is required: {what}")]
    Missing {
        /// The parameter.
        param: &'static str,
        /// What it is for.
        what: &'static str,
    },
    /// `port` (of prioritize) is not a port number.
    #[error("`port` must be a whole number from 0 to 65535, not `{0}`")]
    Port(String),
    /// `ip` (of prioritize) is not one address.
    #[error("`ip`: `{0}` is not one IP address (e.g. 8.8.8.8 or 2001:db8::1)")]
    Address(String),
    /// The request's URL would be longer than the API accepts.
    #[error(
        "the request would be {length} bytes long, more than the {limit} bytes the API accepts \
         in a URL; shorten the expression (or split it into several searches)"
    )]
    UrlTooLong {
        /// The URL's length, in bytes.
        length: usize,
        /// The most the API accepts ([`MAX_URL_BYTES`](super::MAX_URL_BYTES)).
        limit: usize,
    },
    /// A parameter's name or value is not UTF-8 text once its %-escapes are decoded.
    #[error("the parameter `{0}` is not UTF-8 text once its %-escapes are decoded")]
    Encoding(String),
}

impl RequestError {
    /// A stable kebab-case code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::InvalidDate { .. } => "invalid-date",
            RequestError::DateOrder { .. } => "date-order",
            RequestError::ExpressionSyntax(e) | RequestError::TermSyntax { error: e, .. } => {
                e.code()
            }
            RequestError::ExpressionInvalid(v) | RequestError::TermInvalid { error: v, .. } => {
                v.first_code()
            }
            RequestError::NotOneTerm { .. } => "not-one-term",
            RequestError::Hash { .. } => "invalid-hash",
            RequestError::BlockTooLarge { .. } => "block-too-large",
            RequestError::Restrict(_) => "invalid-restrict",
            RequestError::NotForEndpoint { .. } => "not-for-endpoint",
            RequestError::SummaryLimit { .. } => "invalid-summary-limit",
            RequestError::Slop(_) => "invalid-slop",
            RequestError::Page(_) => "invalid-page",
            RequestError::PageLimit(_) => "page-limit",
            RequestError::Ip(_) => "invalid-ip-parameter",
            RequestError::NothingToSearch => "nothing-to-search",
            RequestError::SummaryField(_) => "invalid-summarize",
            RequestError::Repeated(_) => "repeated-parameter",
            RequestError::Bool { .. } => "invalid-bool",
            RequestError::Missing { .. } => "missing-parameter",
            RequestError::Port(_) => "invalid-port-parameter",
            RequestError::Address(_) => "invalid-ip-parameter",
            RequestError::Encoding(_) => "invalid-encoding",
            RequestError::UrlTooLong { .. } => "uri-too-long",
        }
    }

    /// The parameter the error is about (`None` for [`RequestError::NothingToSearch`] and
    /// [`RequestError::Encoding`]).
    pub fn param(&self) -> Option<&'static str> {
        Some(match self {
            RequestError::InvalidDate { param, .. }
            | RequestError::Bool { param, .. }
            | RequestError::Missing { param, .. }
            | RequestError::TermSyntax { param, .. }
            | RequestError::NotOneTerm { param, .. }
            | RequestError::TermInvalid { param, .. }
            | RequestError::Hash { param, .. }
            | RequestError::NotForEndpoint { param, .. } => param,
            RequestError::BlockTooLarge { .. } => "ip",
            RequestError::Restrict(_) => "restrict",
            RequestError::Repeated(param) => param,
            RequestError::DateOrder { .. } => "from",
            RequestError::ExpressionSyntax(_) | RequestError::ExpressionInvalid(_) => "expression",
            RequestError::SummaryLimit { .. } => "summary_limit",
            RequestError::Slop(_) => "slop",
            RequestError::Page(_) | RequestError::PageLimit(_) => "page",
            RequestError::Ip(_) | RequestError::Address(_) => "ip",
            RequestError::Port(_) => "port",
            RequestError::SummaryField(_) => "summarize",
            RequestError::NothingToSearch
            | RequestError::Encoding(_)
            | RequestError::UrlTooLong { .. } => return None,
        })
    }
}

macro_rules! display_serialize {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

/// A calendar date, written `YYYY-MM-DD`.
///
/// ```
/// use driftql::models::Date;
/// assert!("2024-02-29".parse::<Date>().is_ok());
/// assert!("2023-02-29".parse::<Date>().is_err()); // not a leap year
/// assert!("2024-2-1".parse::<Date>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl Date {
    /// Parses a date for the parameter `param` (named in the error).
    pub fn parse_param(param: &'static str, s: &str) -> Result<Date, RequestError> {
        let invalid = || RequestError::InvalidDate {
            param,
            value: s.to_owned(),
        };
        // The shape of nearly every date, read at once: four digits, a dash, two, a dash and
        // two; the calendar says whether they are a date. Anything else is the format's to read
        // or refuse (what both accept they read the same: a test compares them).
        if let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = s.as_bytes()
            && [y0, y1, y2, y3, m0, m1, d0, d1]
                .iter()
                .all(u8::is_ascii_digit)
        {
            // Two digits: at most 99.
            let two = |tens: u8, ones: u8| (tens - b'0') * 10 + (ones - b'0');
            let year = i32::from(two(y0, y1)) * 100 + i32::from(two(y2, y3));
            return time::Month::try_from(two(m0, m1))
                .and_then(|m| time::Date::from_calendar_date(year, m, two(d0, d1)))
                .map(Date)
                .map_err(|_| invalid());
        }
        // Exactly `YYYY-MM-DD`. The format's `[year]` also takes a sign (`+2024-01-01`), which a
        // parameter may not have; anything else but four digits, a dash, two, a dash and two is
        // refused by the parse itself.
        if !s.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(invalid());
        }
        time::Date::parse(s, DATE_FORMAT)
            .map(Date)
            .map_err(|_| invalid())
    }

    /// The first date a parameter can hold: `0000-01-01`.
    pub const MIN: Date = Date(time::macros::date!(0000 - 01 - 01));
    /// The last date a parameter can hold: `9999-12-31`.
    pub const MAX: Date = Date(time::macros::date!(9999 - 12 - 31));

    /// The date `days` days later (earlier when negative); `None` outside [`Date::MIN`] to
    /// [`Date::MAX`].
    pub fn plus_days(self, days: i64) -> Option<Date> {
        // Past ±10 million days every date is out of range anyway; the bound keeps the
        // duration from overflowing.
        let days = days.clamp(-10_000_000, 10_000_000);
        let shifted = self.0.checked_add(time::Duration::days(days))?;
        (Date::MIN.0..=Date::MAX.0)
            .contains(&shifted)
            .then_some(Date(shifted))
    }

    /// The number of days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        (later.0 - self.0).whole_days()
    }

    /// The date from its parts; `None` when it is not a real calendar date.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Date> {
        let month = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(Date)
    }
}

impl FromStr for Date {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<Date, RequestError> {
        Date::parse_param("date", s)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.format(DATE_FORMAT).map_err(|_| fmt::Error)?;
        f.write_str(&s)
    }
}
display_serialize!(Date);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse_param("date", &s).map_err(serde::de::Error::custom)
    }
}

/// Checks that `from` is not after `to` when both are given.
pub fn check_date_range(from: Option<Date>, to: Option<Date>) -> Result<(), RequestError> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(RequestError::DateOrder { from, to }),
        _ => Ok(()),
    }
}

/// A one-term parameter — `filter`, `field`, `keyword` or `query` — : exactly one term,
/// parsed with the expression grammar and validated. `FromStr` reads a `filter`.
///
/// ```
/// use driftql::models::Filter;
/// let f: Filter = "port-tcp:443".parse().unwrap();
/// assert_eq!(f.to_string(), "port-tcp:443");
/// assert_eq!("port-tcp:443 and title:x".parse::<Filter>().unwrap_err().code(), "not-one-term");
/// assert_eq!("port-tcp:http".parse::<Filter>().unwrap_err().code(), "invalid-port");
/// // `keyword=T:V` is the term `T=V`; `query=TEXT` is `search-term:"TEXT"`.
/// assert_eq!(Filter::keyword("product-tag:jira").unwrap().to_string(), "product-tag=jira");
/// assert_eq!(Filter::query("admin login").unwrap().to_string(), r#"search-term:"admin login""#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Filter(Term);

impl Filter {
    /// The term.
    pub fn term(&self) -> &Term {
        &self.0
    }

    /// A filter from a term built in the program, validated.
    pub fn new(term: Term) -> Result<Filter, RequestError> {
        Filter::built("filter", term)
    }

    /// The value of the one-term parameter `param`, as written in the expression language.
    pub fn parse_param(param: &'static str, s: &str) -> Result<Filter, RequestError> {
        let q = crate::parse(s).map_err(|e| RequestError::TermSyntax {
            param,
            error: Box::new(e),
        })?;
        if !matches!(q.expr(), Expr::Term(_)) {
            return Err(RequestError::NotOneTerm {
                param,
                text: q.to_string(),
            });
        }
        Filter::from_query(param, q)
    }

    /// `field=T:V` (an older parameter): the term `T:V`.
    pub fn field(s: &str) -> Result<Filter, RequestError> {
        Filter::parse_param("field", s)
    }

    /// `keyword=T:V` (an older parameter): the term `T=V`, whichever operator it was written
    /// with.
    pub fn keyword(s: &str) -> Result<Filter, RequestError> {
        let q = crate::parse(s).map_err(|e| RequestError::TermSyntax {
            param: "keyword",
            error: Box::new(e),
        })?;
        match q.into_expr() {
            Expr::Term(t) => Filter::built("keyword", t.with_op(crate::Op::Keyword)),
            other => Err(RequestError::NotOneTerm {
                param: "keyword",
                text: other.to_string(),
            }),
        }
    }

    /// `query=TEXT` (an older parameter): the term `search-term:"TEXT"`, the text taken as it is.
    pub fn query(text: &str) -> Result<Filter, RequestError> {
        Filter::built("query", Term::new("search-term", crate::Op::Match, text))
    }

    /// A term built in the program, for `param`, validated through its canonical form.
    fn built(param: &'static str, term: Term) -> Result<Filter, RequestError> {
        let q = crate::Query::try_from(Expr::Term(term)).map_err(|e| RequestError::TermSyntax {
            param,
            error: Box::new(e),
        })?;
        Filter::from_query(param, q)
    }

    fn from_query(param: &'static str, q: crate::Query) -> Result<Filter, RequestError> {
        q.check()
            .map_err(|error| RequestError::TermInvalid { param, error })?;
        match q.into_expr() {
            Expr::Term(t) => Ok(Filter(t)),
            other => Err(RequestError::NotOneTerm {
                param,
                text: other.to_string(),
            }),
        }
    }
}

impl FromStr for Filter {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<Filter, RequestError> {
        Filter::parse_param("filter", s)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
display_serialize!(Filter);

/// Which hash a favicon search is by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashKind {
    /// `sha1`: 40 hex digits.
    Sha1,
    /// `sha256`: 64 hex digits.
    Sha256,
    /// `md5`: 32 hex digits.
    Md5,
    /// `murmur3`: a signed 32-bit integer (the mmh3 hash Shodan-style tools print).
    Murmur3,
}

impl HashKind {
    /// Every kind, in the order of the API's documentation.
    pub const ALL: [HashKind; 4] = [
        HashKind::Sha1,
        HashKind::Sha256,
        HashKind::Md5,
        HashKind::Murmur3,
    ];

    /// The parameter's name.
    pub const fn param(self) -> &'static str {
        match self {
            HashKind::Sha1 => "sha1",
            HashKind::Sha256 => "sha256",
            HashKind::Md5 => "md5",
            HashKind::Murmur3 => "murmur3",
        }
    }

    /// The item type the favicon's hash is kept in, in a report.
    pub const fn item_type(self) -> &'static str {
        match self {
            HashKind::Sha1 => "obj-sha1",
            HashKind::Sha256 => "obj-sha256",
            HashKind::Md5 => "obj-md5",
            HashKind::Murmur3 => "obj-murmur3",
        }
    }

    /// What a value of this kind is, in words.
    pub const fn what(self) -> &'static str {
        match self {
            HashKind::Sha1 => "40 hex digits",
            HashKind::Sha256 => "64 hex digits",
            HashKind::Md5 => "32 hex digits",
            HashKind::Murmur3 => "a signed 32-bit integer",
        }
    }

    /// Whether `s` is a value of this kind.
    pub fn accepts(self, s: &str) -> bool {
        let hex = |n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        match self {
            HashKind::Sha1 => hex(40),
            HashKind::Sha256 => hex(64),
            HashKind::Md5 => hex(32),
            HashKind::Murmur3 => crate::types::parse_murmur3(s).is_some(),
        }
    }
}

/// A favicon hash parameter: its kind and its value, checked.
///
/// ```
/// use driftql::models::{FaviconHash, HashKind};
/// assert!(FaviconHash::new(HashKind::Murmur3, "-1234567").is_ok());
/// assert_eq!(FaviconHash::new(HashKind::Sha1, "abc").unwrap_err().code(), "invalid-hash");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FaviconHash {
    kind: HashKind,
    value: String,
}

impl FaviconHash {
    /// The hash `value` of `kind`, refused when it is not one.
    pub fn new(kind: HashKind, value: &str) -> Result<FaviconHash, RequestError> {
        if !kind.accepts(value) {
            return Err(RequestError::Hash {
                param: kind.param(),
                what: kind.what(),
                value: value.to_owned(),
            });
        }
        Ok(FaviconHash {
            kind,
            value: value.to_owned(),
        })
    }

    /// The kind.
    pub fn kind(&self) -> HashKind {
        self.kind
    }

    /// The value as given.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// The sections `GET /v1/ip/summary` can be restricted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Restrict {
    /// `whois`: the registration of the address.
    Whois,
    /// `bgp`: the routed block and its announcing network.
    Bgp,
    /// `rwhois`: the referral registration.
    Rwhois,
    /// `rdns`: the reverse DNS name.
    Rdns,
}

impl Restrict {
    /// The parameter's value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Restrict::Whois => "whois",
            Restrict::Bgp => "bgp",
            Restrict::Rwhois => "rwhois",
            Restrict::Rdns => "rdns",
        }
    }
}

impl FromStr for Restrict {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<Restrict, RequestError> {
        Ok(match s {
            "whois" => Restrict::Whois,
            "bgp" => Restrict::Bgp,
            "rwhois" => Restrict::Rwhois,
            "rdns" => Restrict::Rdns,
            _ => return Err(RequestError::Restrict(s.to_owned())),
        })
    }
}

impl fmt::Display for Restrict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `summary_limit`: 1 to 10,000, or up to 1,000,000 for plans that allow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SummaryLimit(u32);

impl SummaryLimit {
    /// The largest limit on a standard plan.
    pub const STANDARD_MAX: u32 = 10_000;
    /// The largest limit on an enterprise plan.
    pub const ENTERPRISE_MAX: u32 = 1_000_000;
    /// The server's default.
    pub const DEFAULT: SummaryLimit = SummaryLimit(100);

    /// A limit of `n`, allowed up to [`Self::ENTERPRISE_MAX`] when `enterprise`, else up to
    /// [`Self::STANDARD_MAX`].
    pub fn new(n: u64, enterprise: bool) -> Result<SummaryLimit, RequestError> {
        let max = if enterprise {
            Self::ENTERPRISE_MAX
        } else {
            Self::STANDARD_MAX
        };
        match u32::try_from(n) {
            Ok(v) if (1..=max).contains(&v) => Ok(SummaryLimit(v)),
            _ => Err(RequestError::SummaryLimit {
                value: n.to_string(),
                max,
            }),
        }
    }

    /// Parses a limit from text, as [`SummaryLimit::new`].
    pub fn parse(s: &str, enterprise: bool) -> Result<SummaryLimit, RequestError> {
        let max = if enterprise {
            Self::ENTERPRISE_MAX
        } else {
            Self::STANDARD_MAX
        };
        let n = parse_count(s).ok_or_else(|| RequestError::SummaryLimit {
            value: s.to_owned(),
            max,
        })?;
        SummaryLimit::new(n, enterprise)
    }

    /// The limit.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for SummaryLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A whole number written with ASCII digits only (no sign, no spaces).
fn parse_count(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `slop`: how many extra words may stand between the words of a phrase, in total.
///
/// ```
/// use driftql::models::Slop;
/// assert_eq!("2".parse::<Slop>().unwrap().get(), 2);
/// assert_eq!("-1".parse::<Slop>().unwrap_err().code(), "invalid-slop");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slop(pub u32);

impl Slop {
    /// The number of words.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl FromStr for Slop {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<Slop, RequestError> {
        parse_count(s)
            .and_then(|n| u32::try_from(n).ok())
            .map(Slop)
            .ok_or_else(|| RequestError::Slop(s.to_owned()))
    }
}

impl fmt::Display for Slop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
display_serialize!(Slop);

/// `page`: a page of a search's results, from 0 to 99 (the API serves 100 pages of a search).
///
/// ```
/// use driftql::models::Page;
/// assert_eq!("99".parse::<Page>().unwrap().get(), 99);
/// assert_eq!("100".parse::<Page>().unwrap_err().code(), "page-limit");
/// assert_eq!("x".parse::<Page>().unwrap_err().code(), "invalid-page");
/// assert!(Page::new(7).is_ok() && Page::new(100).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Page(u32);

impl Page {
    /// The first page.
    pub const FIRST: Page = Page(0);

    /// Page `n`, refused when it is past the last page a search returns.
    pub fn new(n: u32) -> Result<Page, RequestError> {
        if n < MAX_PAGES {
            Ok(Page(n))
        } else {
            Err(RequestError::PageLimit(u64::from(n)))
        }
    }

    /// The page number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl FromStr for Page {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<Page, RequestError> {
        let n = parse_count(s).ok_or_else(|| RequestError::Page(s.to_owned()))?;
        u32::try_from(n)
            .ok()
            .filter(|&n| n < MAX_PAGES)
            .map(Page)
            .ok_or(RequestError::PageLimit(n))
    }
}

impl fmt::Display for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
display_serialize!(Page);

/// The `ip` parameter: an address or a CIDR block. An address is kept as written (no `/32`).
///
/// ```
/// use driftql::models::IpParam;
/// let p: IpParam = "10.0.0.0/8".parse().unwrap();
/// assert!(p.net().contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
/// assert_eq!("8.8.8.8".parse::<IpParam>().unwrap().to_string(), "8.8.8.8");
/// assert!("8.8.8.8/33".parse::<IpParam>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpParam {
    /// One address.
    Addr(std::net::IpAddr),
    /// A CIDR block.
    Net(IpNet),
}

impl IpParam {
    /// The addresses it covers, as a block (an address is a /32 or /128).
    pub fn net(&self) -> IpNet {
        match *self {
            IpParam::Addr(a) => IpNet::from(a),
            IpParam::Net(n) => n,
        }
    }
}

impl FromStr for IpParam {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<IpParam, RequestError> {
        match crate::types::parse_ip_or_cidr(s) {
            None => Err(RequestError::Ip(s.to_owned())),
            Some(net) if s.contains('/') => Ok(IpParam::Net(net)),
            Some(net) => Ok(IpParam::Addr(net.addr())),
        }
    }
}

impl fmt::Display for IpParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpParam::Addr(a) => a.fmt(f),
            IpParam::Net(n) => n.fmt(f),
        }
    }
}
display_serialize!(IpParam);

impl From<std::net::IpAddr> for IpParam {
    fn from(a: std::net::IpAddr) -> IpParam {
        IpParam::Addr(a)
    }
}

impl From<IpNet> for IpParam {
    fn from(n: IpNet) -> IpParam {
        IpParam::Net(n)
    }
}

/// The `summarize` parameter: the type whose values are counted, e.g. `port-tcp`.
///
/// Any name in the type alphabet (`[A-Za-z0-9_.-]+`) is accepted, known to the registry or not;
/// it is sent lowercased.
///
/// ```
/// use driftql::models::SummaryField;
/// let f: SummaryField = "Port-TCP".parse().unwrap();
/// assert_eq!(f.to_string(), "port-tcp");
/// assert_eq!("port tcp".parse::<SummaryField>().unwrap_err().code(), "invalid-summarize");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SummaryField(String);

impl SummaryField {
    /// The type name, lowercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SummaryField {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<SummaryField, RequestError> {
        if s.is_empty() || !s.chars().all(crate::ast::is_type_char) {
            return Err(RequestError::SummaryField(s.to_owned()));
        }
        Ok(SummaryField(s.to_ascii_lowercase()))
    }
}

impl fmt::Display for SummaryField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
display_serialize!(SummaryField);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_calendar_dates_in_one_shape() {
        for ok in ["2024-02-29", "1999-12-31", "2026-01-01"] {
            assert_eq!(ok.parse::<Date>().unwrap().to_string(), ok);
        }
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "+2024-01-01",
            "-2024-01-01",
            "+0024-01-01",
            "02024-01-01",
            "2024-01-1",
            "2024-01-01 ",
            " 2024-01-01",
            "",
            "2024-01-01T00:00",
        ] {
            let e = bad.parse::<Date>().unwrap_err();
            assert_eq!(e.code(), "invalid-date", "{bad}");
        }
        // Every date of the shape, in reach of each component's bounds, reads as the format
        // reads it.
        for year in [0, 1, 99, 1900, 2000, 2023, 2024, 2100, 9999] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let s = format!("{year:04}-{month:02}-{day:02}");
                    assert_eq!(
                        Date::parse_param("date", &s).ok().map(|d| d.0),
                        time::Date::parse(&s, DATE_FORMAT).ok(),
                        "{s}"
                    );
                }
            }
        }
        let d = |s: &str| Some(s.parse::<Date>().unwrap());
        assert!(check_date_range(d("2024-01-01"), d("2024-01-01")).is_ok());
        assert!(check_date_range(d("2024-01-01"), None).is_ok());
        assert_eq!(
            check_date_range(d("2024-01-02"), d("2024-01-01"))
                .unwrap_err()
                .code(),
            "date-order"
        );
    }

    #[test]
    fn summary_limit_bounds() {
        assert_eq!(SummaryLimit::new(1, false).unwrap().get(), 1);
        assert_eq!(SummaryLimit::new(10_000, false).unwrap().get(), 10_000);
        assert!(SummaryLimit::new(0, false).is_err());
        assert!(SummaryLimit::new(10_001, false).is_err());
        assert_eq!(SummaryLimit::new(1_000_000, true).unwrap().get(), 1_000_000);
        assert!(SummaryLimit::new(1_000_001, true).is_err());
        assert!(SummaryLimit::parse("-5", false).is_err());
        assert!(SummaryLimit::parse("5x", false).is_err());
        assert_eq!(SummaryLimit::parse("250", false).unwrap().get(), 250);
    }

    #[test]
    fn slop_and_page_are_non_negative_integers() {
        assert_eq!("0".parse::<Slop>().unwrap().get(), 0);
        assert_eq!("3".parse::<Slop>().unwrap().get(), 3);
        for bad in ["-1", "", "1.5", "+1", "x"] {
            assert_eq!(bad.parse::<Slop>().unwrap_err().code(), "invalid-slop");
            assert_eq!(bad.parse::<Page>().unwrap_err().code(), "invalid-page");
        }
        assert_eq!(
            "99999999999".parse::<Slop>().unwrap_err().code(),
            "invalid-slop"
        );
        for past in ["100", "99999999999"] {
            assert_eq!(past.parse::<Page>().unwrap_err().code(), "page-limit");
        }
        assert_eq!("0099".parse::<Page>().unwrap().get(), 99);
    }

    #[test]
    fn filter_is_exactly_one_valid_term() {
        assert_eq!("title:x".parse::<Filter>().unwrap().term().value(), "x");
        for (bad, code) in [
            ("a:1 or b:2", "not-one-term"),
            ("not port-tcp:22", "not-one-term"),
            ("port-tcp:", "missing-value"),
            ("geo-country:GB", "keyword-only-type"),
        ] {
            assert_eq!(bad.parse::<Filter>().unwrap_err().code(), code, "{bad}");
        }
        // One term in redundant parentheses is still one term.
        assert_eq!(
            "(port-tcp:22)".parse::<Filter>().unwrap().to_string(),
            "port-tcp:22"
        );
    }

    #[test]
    fn ip_param_is_an_address_or_a_block() {
        for ok in ["8.8.8.8", "10.0.0.0/8", "2001:db8::/32", "::1"] {
            assert_eq!(ok.parse::<IpParam>().unwrap().to_string(), ok);
        }
        for bad in ["8.8.8", "8.8.8.8/33", "host.example", "", "2001:db8::/129"] {
            assert_eq!(
                bad.parse::<IpParam>().unwrap_err().code(),
                "invalid-ip-parameter"
            );
        }
    }

    /// Each mistake has its own code and names the parameter it is about, whichever way it was
    /// found.
    #[test]
    fn errors_name_their_code_and_parameter() {
        let cases: Vec<(RequestError, &str, Option<&str>)> = vec![
            (
                Date::parse_param("to", "x").unwrap_err(),
                "invalid-date",
                Some("to"),
            ),
            (
                check_date_range("2024-01-02".parse().ok(), "2024-01-01".parse().ok()).unwrap_err(),
                "date-order",
                Some("from"),
            ),
            (
                Filter::parse_param("filter", "a:1 and b:2").unwrap_err(),
                "not-one-term",
                Some("filter"),
            ),
            (
                Filter::field("port-tcp:").unwrap_err(),
                "missing-value",
                Some("field"),
            ),
            (
                Filter::field("port-tcp:x").unwrap_err(),
                "invalid-port",
                Some("field"),
            ),
            (
                FaviconHash::new(HashKind::Md5, "00").unwrap_err(),
                "invalid-hash",
                Some("md5"),
            ),
            (
                "who".parse::<Restrict>().unwrap_err(),
                "invalid-restrict",
                Some("restrict"),
            ),
            (
                SummaryLimit::new(0, false).unwrap_err(),
                "invalid-summary-limit",
                Some("summary_limit"),
            ),
            (
                "x".parse::<Slop>().unwrap_err(),
                "invalid-slop",
                Some("slop"),
            ),
            (
                "x".parse::<Page>().unwrap_err(),
                "invalid-page",
                Some("page"),
            ),
            (
                "100".parse::<Page>().unwrap_err(),
                "page-limit",
                Some("page"),
            ),
            (
                "x".parse::<IpParam>().unwrap_err(),
                "invalid-ip-parameter",
                Some("ip"),
            ),
            (
                "a b".parse::<SummaryField>().unwrap_err(),
                "invalid-summarize",
                Some("summarize"),
            ),
            (
                RequestError::Repeated("page"),
                "repeated-parameter",
                Some("page"),
            ),
            (
                RequestError::Port("x".into()),
                "invalid-port-parameter",
                Some("port"),
            ),
            (RequestError::NothingToSearch, "nothing-to-search", None),
            (
                RequestError::Encoding("%zz".into()),
                "invalid-encoding",
                None,
            ),
        ];
        for (e, code, param) in cases {
            assert_eq!((e.code(), e.param()), (code, param), "{e:?}");
        }
    }

    #[test]
    fn dates_move_by_days_within_the_range_a_parameter_holds() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(d("2024-02-28").plus_days(1), Some(d("2024-02-29")));
        assert_eq!(d("2024-03-01").plus_days(-1), Some(d("2024-02-29")));
        assert_eq!(d("2024-01-01").plus_days(0), Some(d("2024-01-01")));
        assert_eq!(Date::MAX.plus_days(1), None);
        assert_eq!(Date::MIN.plus_days(-1), None);
        assert_eq!(Date::MIN.plus_days(i64::MAX), None);
        assert_eq!(d("2024-01-01").days_until(d("2024-03-01")), 60);
        assert_eq!(d("2024-03-01").days_until(d("2024-01-01")), -60);
        assert_eq!(Date::from_ymd(2024, 2, 29), Some(d("2024-02-29")));
        assert_eq!(Date::from_ymd(2023, 2, 29), None);
        assert_eq!(Date::from_ymd(2024, 13, 1), None);
        let read: Date = serde_json::from_str("\"2025-06-30\"").unwrap();
        assert_eq!(read, d("2025-06-30"));
        assert!(serde_json::from_str::<Date>("\"2025-6-30\"").is_err());
        assert_eq!(serde_json::to_string(&read).unwrap(), "\"2025-06-30\"");
    }

    #[test]
    fn the_older_one_term_parameters_read_as_their_terms() {
        assert_eq!(Filter::field("title:x").unwrap().to_string(), "title:x");
        assert_eq!(
            Filter::field("title:x or title:y").unwrap_err().code(),
            "not-one-term"
        );
        assert_eq!(
            Filter::keyword("product-tag:jira").unwrap().to_string(),
            "product-tag=jira"
        );
        let e = Filter::keyword("a=1 or b=2").unwrap_err();
        assert_eq!((e.code(), e.param()), ("not-one-term", Some("keyword")));
        let e = Filter::keyword("port-tcp=").unwrap_err();
        assert_eq!((e.code(), e.param()), ("missing-value", Some("keyword")));
        assert_eq!(
            Filter::query("admin login").unwrap().to_string(),
            r#"search-term:"admin login""#
        );
        let built = Filter::new(Term::new("port-tcp", crate::Op::Match, "443")).unwrap();
        assert_eq!(built.term().ty(), "port-tcp");
        let e = Filter::new(Term::new("port-tcp", crate::Op::Match, "http")).unwrap_err();
        assert_eq!((e.code(), e.param()), ("invalid-port", Some("filter")));
    }

    #[test]
    fn favicon_hashes_are_checked_by_kind() {
        let names: Vec<_> = HashKind::ALL
            .iter()
            .map(|k| (k.param(), k.item_type(), k.what()))
            .collect();
        assert_eq!(
            names,
            [
                ("sha1", "obj-sha1", "40 hex digits"),
                ("sha256", "obj-sha256", "64 hex digits"),
                ("md5", "obj-md5", "32 hex digits"),
                ("murmur3", "obj-murmur3", "a signed 32-bit integer"),
            ]
        );
        for (kind, n) in [
            (HashKind::Sha1, 40),
            (HashKind::Sha256, 64),
            (HashKind::Md5, 32),
        ] {
            assert!(kind.accepts(&"aF".repeat(n / 2)), "{kind:?}");
            assert!(!kind.accepts(&"a".repeat(n - 1)), "{kind:?}");
            assert!(!kind.accepts(&"a".repeat(n + 1)), "{kind:?}");
            assert!(!kind.accepts(&"g".repeat(n)), "{kind:?}");
        }
        assert!(HashKind::Murmur3.accepts("-2147483648"));
        assert!(!HashKind::Murmur3.accepts("2147483648"));
        let h = FaviconHash::new(HashKind::Md5, &"0".repeat(32)).unwrap();
        assert_eq!(
            (h.kind(), h.value()),
            (HashKind::Md5, "0".repeat(32).as_str())
        );
        let e = FaviconHash::new(HashKind::Sha1, "abc").unwrap_err();
        assert_eq!(e.param(), Some("sha1"));
        assert!(e.to_string().contains("40 hex digits"), "{e}");
    }

    #[test]
    fn restrict_reads_and_writes_each_section() {
        for (text, r) in [
            ("whois", Restrict::Whois),
            ("bgp", Restrict::Bgp),
            ("rwhois", Restrict::Rwhois),
            ("rdns", Restrict::Rdns),
        ] {
            assert_eq!(text.parse::<Restrict>().unwrap(), r);
            assert_eq!((r.as_str(), r.to_string()), (text, text.to_owned()));
        }
        assert!("WHOIS".parse::<Restrict>().is_err());
    }

    #[test]
    fn counts_are_digits_only_and_print_as_read() {
        assert_eq!(SummaryLimit::parse("7", false).unwrap().to_string(), "7");
        assert_eq!(SummaryLimit::DEFAULT.get(), 100);
        assert_eq!("12".parse::<Slop>().unwrap().to_string(), "12");
        assert_eq!("42".parse::<Page>().unwrap().to_string(), "42");
        assert_eq!(
            serde_json::to_string(&"3".parse::<Page>().unwrap()).unwrap(),
            "\"3\""
        );
        assert_eq!(Page::new(99).unwrap().get(), 99);
        assert_eq!(Page::new(100).unwrap_err().code(), "page-limit");
        assert_eq!(parse_count("0042"), Some(42));
        assert_eq!(parse_count(""), None);
        assert_eq!(parse_count("4 2"), None);
        assert_eq!(parse_count("٤"), None);
    }

    #[test]
    fn an_ip_parameter_covers_its_block() {
        let addr: IpParam = "10.1.2.3".parse().unwrap();
        assert!(matches!(addr, IpParam::Addr(_)));
        assert_eq!(addr.net().to_string(), "10.1.2.3/32");
        let net: IpParam = "10.1.2.3/32".parse().unwrap();
        assert!(matches!(net, IpParam::Net(_)));
        assert_eq!(net.to_string(), "10.1.2.3/32");
        let block: IpParam = "10.0.0.0/8".parse().unwrap();
        assert_eq!(block.net().prefix_len(), 8);
        let a: std::net::IpAddr = "::1".parse().unwrap();
        assert_eq!(IpParam::from(a), IpParam::Addr(a));
        let n: IpNet = "2001:db8::/32".parse().unwrap();
        assert_eq!(IpParam::from(n).to_string(), "2001:db8::/32");
    }

    #[test]
    fn a_summary_field_is_a_type_name_lowercased() {
        let f: SummaryField = "Geo-Country".parse().unwrap();
        assert_eq!(
            (f.as_str(), f.to_string()),
            ("geo-country", "geo-country".to_owned())
        );
        assert_eq!(serde_json::to_string(&f).unwrap(), "\"geo-country\"");
        for bad in ["", "a b", "a:b", "é"] {
            assert!(bad.parse::<SummaryField>().is_err(), "{bad:?}");
        }
    }
}
