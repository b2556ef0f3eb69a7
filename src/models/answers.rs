//! What the API answers: a page of results, a summary, the account and its quota, and the
//! local server's error body.
//!
//! Reading is lenient where the API documents nothing stricter: unknown fields are ignored,
//! counts may come as JSON integers, whole floats or numeric strings, and optional fields may be
//! missing or `null`. What makes an answer what it is must be there: a results page without
//! `results` and a summary answer without `summary` are errors, not empty answers.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::report::Report;

/// One page of search results: at most 100 reports, newest first.
///
/// `R` is the report type: [`Report`] when reading an answer, `&Report` when a server writes one
/// from reports it holds.
///
/// ```
/// use driftql::models::ResultsPage;
/// let p: ResultsPage = serde_json::from_str(
///     r#"{"page": 0, "pages": 22, "result_count": 2174, "results": [{"date": "2019-05-13", "id": "x", "items": []}]}"#,
/// ).unwrap();
/// assert_eq!((p.pages, p.result_count, p.results[0].id.as_str()), (22, 2174, "x"));
/// assert!(serde_json::from_str::<ResultsPage>(r#"{"page": 0, "pages": 3}"#).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResultsPage<R = Report> {
    /// This page's number, from 0.
    #[serde(default, deserialize_with = "count")]
    pub page: u32,
    /// How many pages the whole result set has (the server may cap it at 100).
    #[serde(default, deserialize_with = "count")]
    pub pages: u32,
    /// How many reports match in all (this may exceed what the pages hold).
    #[serde(default, deserialize_with = "count")]
    pub result_count: u64,
    /// The reports of this page, newest first.
    pub results: Vec<R>,
}

impl<R> ResultsPage<R> {
    /// A page of results.
    pub fn new(page: u32, pages: u32, result_count: u64, results: Vec<R>) -> Self {
        ResultsPage {
            page,
            pages,
            result_count,
            results,
        }
    }

    /// The page of a search that found nothing (HTTP 204).
    pub fn empty(page: u32) -> Self {
        ResultsPage::new(page, 0, 0, Vec::new())
    }
}

/// A summary of one type's values (`summarize=`): each value with its count, in the server's
/// order (most frequent first), and the count of items beyond the limit.
///
/// Reads and writes the API's shape, `{"other": N, "values": {"443": 64, ...}, "cardinality": N}`,
/// with the values in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// `(value, count)` pairs in the order the server sent them.
    pub values: Vec<(String, u64)>,
    /// How many items had a value beyond the ones listed.
    pub other: u64,
    /// How many distinct values there are, when it was asked for (`summary_cardinality`).
    pub cardinality: Option<u64>,
}

impl Summary {
    /// A summary of these values, in this order.
    pub fn new(values: Vec<(String, u64)>, other: u64, cardinality: Option<u64>) -> Self {
        Summary {
            values,
            other,
            cardinality,
        }
    }

    /// The count of `value`, if it is listed.
    pub fn get(&self, value: &str) -> Option<u64> {
        self.values
            .iter()
            .find(|(v, _)| v == value)
            .map(|&(_, n)| n)
    }

    /// The listed values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.values.iter().map(|(v, n)| (v.as_str(), *n))
    }
}

impl<'de> Deserialize<'de> for Summary {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default, deserialize_with = "count")]
            other: u64,
            #[serde(default)]
            values: OrderedCounts,
            #[serde(default, deserialize_with = "optional_count")]
            cardinality: Option<u64>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Summary::new(raw.values.0, raw.other, raw.cardinality))
    }
}

impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Values<'a>(&'a [(String, u64)]);
        impl Serialize for Values<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("other", &self.other)?;
        m.serialize_entry("values", &Values(&self.values))?;
        if let Some(c) = self.cardinality {
            m.serialize_entry("cardinality", &c)?;
        }
        m.end()
    }
}

/// The answer to a summary request: `{"summary": {...}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SummaryAnswer {
    /// The summary.
    pub summary: Summary,
}

impl SummaryAnswer {
    /// The answer holding `summary`.
    pub fn new(summary: Summary) -> Self {
        SummaryAnswer { summary }
    }
}

/// A JSON object of counts, read in document order.
#[derive(Default)]
struct OrderedCounts(Vec<(String, u64)>);

impl<'de> Deserialize<'de> for OrderedCounts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedCounts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of value → count")
            }
            fn visit_unit<E: de::Error>(self) -> Result<OrderedCounts, E> {
                Ok(OrderedCounts::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedCounts, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some((value, Count(n))) = map.next_entry::<String, Count>()? {
                    out.push((value, n));
                }
                Ok(OrderedCounts(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The account behind a token and its quota (`GET /v1/admin/user`).
///
/// Reads both shapes the API has documented: the current one, with the numbers under `quota`
/// (and `additional_quota` for split quota), and the older flat one, with the numbers at the top
/// level. Writes the current shape.
///
/// **The answer echoes the caller's token; this type has no place for it.** The `token` field
/// (at the top level, under `quota` or in an `additional_quota` entry) is skipped while
/// decoding, like any other field this type does not know: it is never held, so it can never be
/// printed, logged or written back out.
///
/// ```
/// use driftql::models::Account;
/// let a: Account = serde_json::from_str(
///     r#"{"name": "John Doe", "token": "SECRET123", "quota": {"api_limit": 500, "api_usage": 7}}"#,
/// ).unwrap();
/// assert_eq!((a.quota.api_usage, a.quota.api_limit), (Some(7), Some(500)));
/// let out = serde_json::to_string(&a).unwrap();
/// assert!(!out.contains("SECRET123") && !out.contains("token"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Account {
    /// The account holder's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The account's e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// When the account was created, as the server writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The kind of account, e.g. `network_admin`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_class: Option<String>,
    /// Whether the account receives marketing e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketing: Option<bool>,
    /// The token's own quota and usage.
    pub quota: Quota,
    /// Further quota blocks, one per extra token of an account with split quota.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_quota: Vec<Quota>,
}

/// Limits and usage of one quota block. Numbers the server leaves out are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Quota {
    /// What the block is called, when the server names it (an `additional_quota` entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Search quota (pages, summary blocks) per period.
    #[serde(default, deserialize_with = "optional_count")]
    pub api_limit: Option<u64>,
    /// Search quota used this period.
    #[serde(default, deserialize_with = "optional_count")]
    pub api_usage: Option<u64>,
    /// Search quota used since the account was created.
    #[serde(default, deserialize_with = "optional_count")]
    pub lifetime_usage: Option<u64>,
    /// Prioritize calls allowed per period.
    #[serde(default, deserialize_with = "optional_count")]
    pub priority_limit: Option<u64>,
    /// Prioritize calls made this period.
    #[serde(default, deserialize_with = "optional_count")]
    pub priority_usage: Option<u64>,
    /// When the current period started, as the server writes it.
    #[serde(default, deserialize_with = "optional_text")]
    pub reset: Option<String>,
    /// When the next period starts, as the server writes it.
    #[serde(default, deserialize_with = "optional_text")]
    pub next_reset: Option<String>,
    /// Saved projects ("working sets") allowed, in the older shape of the answer.
    #[serde(
        default,
        deserialize_with = "optional_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub ws_limit: Option<u64>,
    /// Saved projects in use, in the older shape of the answer.
    #[serde(
        default,
        deserialize_with = "optional_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub ws_usage: Option<u64>,
}

impl Quota {
    /// The search quota left this period (`api_limit - api_usage`), when both are known.
    pub fn api_left(&self) -> Option<u64> {
        Some(self.api_limit?.saturating_sub(self.api_usage?))
    }

    /// Whether the block carries no number or date at all.
    fn is_empty(&self) -> bool {
        *self == Quota::default()
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// Both shapes at once: the account fields, `quota`, and the flat numbers. Only the
        /// fields named here are read; everything else, `token` included, is skipped unread.
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default, deserialize_with = "optional_text")]
            name: Option<String>,
            #[serde(default, deserialize_with = "optional_text")]
            email: Option<String>,
            #[serde(default, deserialize_with = "optional_text")]
            created: Option<String>,
            #[serde(default, deserialize_with = "optional_text")]
            user_class: Option<String>,
            #[serde(default)]
            marketing: Option<bool>,
            #[serde(default)]
            quota: Option<Quota>,
            #[serde(default)]
            additional_quota: Option<Vec<Quota>>,
            #[serde(flatten)]
            flat: Quota,
        }
        let raw = Raw::deserialize(d)?;
        // The nested numbers win; a flat answer has only the top-level ones. A field present in
        // neither stays `None`.
        let mut quota = raw.quota.unwrap_or_default();
        if quota.is_empty() {
            quota = raw.flat;
            quota.name = None;
        } else {
            let flat = raw.flat;
            let fill = |q: &mut Option<u64>, f: Option<u64>| {
                if q.is_none() {
                    *q = f;
                }
            };
            fill(&mut quota.ws_limit, flat.ws_limit);
            fill(&mut quota.ws_usage, flat.ws_usage);
        }
        Ok(Account {
            name: raw.name,
            email: raw.email,
            created: raw.created,
            user_class: raw.user_class,
            marketing: raw.marketing,
            quota,
            additional_quota: raw.additional_quota.unwrap_or_default(),
        })
    }
}

/// The open ports of an address or block (`GET /v1/scan/ports`): each port with the number of
/// reports that saw it open, most first (at most 100), and the count of the others.
///
/// ```
/// use driftql::models::Ports;
/// let p: Ports = serde_json::from_str(r#"{"other": 0, "values": {"443": 10, "53": 4}}"#).unwrap();
/// assert_eq!(p.values, [("443".to_string(), 10), ("53".to_string(), 4)]);
/// assert!(!p.honeypot);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ports {
    /// `(port, count)` pairs in the order the server sent them.
    pub values: Vec<(String, u64)>,
    /// The counts beyond the listed ports, added up.
    pub other: u64,
    /// Whether the server flags the address as a honeypot (it answers on implausibly many
    /// ports).
    pub honeypot: bool,
}

impl Ports {
    /// Ports of these counts, in this order.
    pub fn new(values: Vec<(String, u64)>, other: u64, honeypot: bool) -> Self {
        Ports {
            values,
            other,
            honeypot,
        }
    }
}

impl<'de> Deserialize<'de> for Ports {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default, deserialize_with = "count")]
            other: u64,
            values: OrderedCounts,
            #[serde(default)]
            honeypot: Option<bool>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Ports::new(
            raw.values.0,
            raw.other,
            raw.honeypot.unwrap_or(false),
        ))
    }
}

impl Serialize for Ports {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("other", &self.other)?;
        m.serialize_entry("values", &OrderedMap(&self.values))?;
        if self.honeypot {
            m.serialize_entry("honeypot", &true)?;
        }
        m.end()
    }
}

/// Pairs written as a JSON object, in order.
struct OrderedMap<'a, V>(&'a [(String, V)]);

impl<V: Serialize> Serialize for OrderedMap<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// The open ports of each address of a block (`GET /v1/scan/ipports`), in the server's order,
/// and the count of the addresses beyond those listed.
///
/// ```
/// use driftql::models::IpPorts;
/// let a: IpPorts = serde_json::from_str(
///     r#"{"other": 0, "values": {"162.216.149.102": {"other": 0, "values": {"9100": 1}, "honeypot": true}}}"#,
/// ).unwrap();
/// assert_eq!(a.values[0].0, "162.216.149.102");
/// assert!(a.values[0].1.honeypot);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IpPorts {
    /// Each address with its ports.
    pub values: Vec<(String, Ports)>,
    /// Addresses beyond those listed.
    pub other: u64,
}

impl IpPorts {
    /// These addresses' ports, in this order.
    pub fn new(values: Vec<(String, Ports)>, other: u64) -> Self {
        IpPorts { values, other }
    }

    /// `self` and `more` as one answer: the addresses of both, `other` added up (for a block
    /// asked for in several requests).
    pub fn merge(&mut self, more: IpPorts) {
        self.values.extend(more.values);
        self.other += more.other;
    }
}

impl<'de> Deserialize<'de> for IpPorts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default, deserialize_with = "count")]
            other: u64,
            values: OrderedPorts,
        }
        let raw = Raw::deserialize(d)?;
        Ok(IpPorts::new(raw.values.0, raw.other))
    }
}

impl Serialize for IpPorts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("other", &self.other)?;
        m.serialize_entry("values", &OrderedMap(&self.values))?;
        m.end()
    }
}

/// A JSON object of address → ports, read in document order.
struct OrderedPorts(Vec<(String, Ports)>);

impl<'de> Deserialize<'de> for OrderedPorts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedPorts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of address → ports")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedPorts, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
                while let Some(entry) = map.next_entry::<String, Ports>()? {
                    out.push(entry);
                }
                Ok(OrderedPorts(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// What is known of an address (`GET /v1/ip/summary`): its domain (from reverse DNS) and the
/// entity its block belongs to.
///
/// ```
/// use driftql::models::IpSummary;
/// let s: IpSummary = serde_json::from_str(r#"{"domain": {"apex_domain": "dns.google", "cidr": "8.8.8.8/32", "context": "rdns"},
///     "entity": {"cidr": "8.8.8.0/24", "context": "bgpasn", "name": "Google LLC"}}"#).unwrap();
/// assert_eq!(s.domain.unwrap().apex_domain.as_deref(), Some("dns.google"));
/// assert_eq!(s.entity.unwrap().name.as_deref(), Some("Google LLC"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IpSummary {
    /// The domain the address's reverse DNS name belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<IpRecord>,
    /// The entity the address's block is registered or routed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<IpRecord>,
}

/// One section of an [`IpSummary`]. Fields the server leaves out are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IpRecord {
    /// The registered domain, e.g. `dns.google`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_text"
    )]
    pub apex_domain: Option<String>,
    /// The name, e.g. `Google LLC`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_text"
    )]
    pub name: Option<String>,
    /// The block it is about.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_text"
    )]
    pub cidr: Option<String>,
    /// Where it comes from, e.g. `rdns`, `bgpasn`, `whois`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_text"
    )]
    pub context: Option<String>,
}

/// The local server's answer to a prioritize request: `{"ip": "1.2.3.4", "port": 443,
/// "queued": true}`. (The API documents no body.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Prioritized {
    /// The address to scan.
    pub ip: String,
    /// The port to scan.
    pub port: u16,
    /// Whether the request was recorded.
    pub queued: bool,
}

impl Prioritized {
    /// A recorded request for `ip` and `port`.
    pub fn queued(ip: impl Into<String>, port: u16) -> Self {
        Prioritized {
            ip: ip.into(),
            port,
            queued: true,
        }
    }
}

/// One finding about a request: a [`Diagnostic`] (its spans are into the parameter's value)
/// and the parameter it is about, when there is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ParamDiagnostic {
    /// The parameter, e.g. `expression` or `page`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// The finding.
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
}

impl ParamDiagnostic {
    /// A finding about `param`.
    pub fn new(param: Option<&str>, diagnostic: Diagnostic) -> Self {
        ParamDiagnostic {
            param: param.map(str::to_owned),
            diagnostic,
        }
    }
}

/// The body of the local server's error answers:
/// `{"error": "message", "code": "...", "diagnostics": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErrorBody {
    /// A one-line message.
    pub error: String,
    /// A stable code: the first error's code for a 400, else e.g. `unauthorized`.
    pub code: &'static str,
    /// Every finding (for a 400), errors and warnings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<ParamDiagnostic>,
}

impl ErrorBody {
    /// A refusal carrying `diagnostics` (at least one should be an error): its message is the
    /// first error's, with the number of the others; its code the first error's.
    pub fn refusal(diagnostics: Vec<ParamDiagnostic>) -> ErrorBody {
        let errors: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.diagnostic.is_error())
            .collect();
        let (error, code) = match errors.as_slice() {
            [] => ("the request was refused".to_owned(), "bad-request"),
            [one] => (describe(one), one.diagnostic.code),
            [first, rest @ ..] => (
                format!("{} (and {} more errors)", describe(first), rest.len()),
                first.diagnostic.code,
            ),
        };
        ErrorBody {
            error,
            code,
            diagnostics,
        }
    }

    /// An error with a code and a message, and no diagnostics.
    pub fn new(code: &'static str, error: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error: error.into(),
            code,
            diagnostics: Vec::new(),
        }
    }
}

fn describe(d: &ParamDiagnostic) -> String {
    match &d.param {
        Some(p) if !d.diagnostic.message.contains(&format!("`{p}`")) => {
            format!("{p}: {}", d.diagnostic.message)
        }
        _ => d.diagnostic.message.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Lenient numbers and text

/// A non-negative whole number, given as a JSON integer, a whole float, or a numeric string.
struct Count(u64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative whole number")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Count, E> {
                Ok(Count(n))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Count, E> {
                u64::try_from(n)
                    .map(Count)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(n), &self))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Count, E> {
                if n >= 0.0 && n.fract() == 0.0 && n < u64::MAX as f64 {
                    Ok(Count(n as u64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(n), &self))
                }
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Count, E> {
                s.trim()
                    .parse()
                    .map(Count)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(s), &self))
            }
        }
        d.deserialize_any(V)
    }
}

fn count<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<T, D::Error> {
    let Count(n) = Count::deserialize(d)?;
    T::try_from(n).map_err(|_| de::Error::custom(format!("{n} is too large")))
}

fn optional_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(Option::<Count>::deserialize(d)?.map(|Count(n)| n))
}

/// Text, or a number or boolean kept as its text; `null` is `None`.
fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("text, a number, a boolean or null")
        }
        /// A `null` buffered by `#[serde(flatten)]` (the flat account answer's `reset`) comes
        /// as a unit.
        fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<String>, D2::Error> {
            d.deserialize_any(V)
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<String>, E> {
            Ok(Some(s.to_owned()))
        }
        fn visit_bool<E: de::Error>(self, b: bool) -> Result<Option<String>, E> {
            Ok(Some(b.to_string()))
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Option<String>, E> {
            Ok(Some(n.to_string()))
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Option<String>, E> {
            Ok(Some(n.to_string()))
        }
        fn visit_f64<E: de::Error>(self, n: f64) -> Result<Option<String>, E> {
            Ok(Some(n.to_string()))
        }
    }
    d.deserialize_option(V)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;

    #[test]
    fn a_summary_keeps_the_server_order_and_counts() {
        let a: SummaryAnswer = serde_json::from_str(
            r#"{"summary": {"other": 3, "values": {"993": 10, "443": 64, "22": 10}, "cardinality": 154, "new": 1}}"#,
        )
        .unwrap();
        let s = a.summary;
        assert_eq!(
            s.values,
            [("993".into(), 10), ("443".into(), 64), ("22".into(), 10)]
        );
        assert_eq!((s.other, s.cardinality), (3, Some(154)));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"other":3,"values":{"993":10,"443":64,"22":10},"cardinality":154}"#
        );
        assert!(serde_json::from_str::<SummaryAnswer>(r#"{"other": 1}"#).is_err());
    }

    /// The message of what `json` fails to decode into as `T`.
    fn refusal<T: serde::de::DeserializeOwned + fmt::Debug>(json: &str) -> String {
        serde_json::from_str::<T>(json).unwrap_err().to_string()
    }

    #[test]
    fn what_cannot_be_read_says_what_was_expected() {
        let m = refusal::<SummaryAnswer>(r#"{"summary": {"values": 5}}"#);
        assert!(m.contains("expected an object of value → count"), "{m}");
        let m = refusal::<IpPorts>(r#"{"values": [1]}"#);
        assert!(m.contains("expected an object of address → ports"), "{m}");
        let m = refusal::<ResultsPage>(r#"{"page": "two", "results": []}"#);
        assert!(m.contains("expected a non-negative whole number"), "{m}");
        let m = refusal::<Account>(r#"{"name": [1]}"#);
        assert!(
            m.contains("expected text, a number, a boolean or null"),
            "{m}"
        );
        // A summary's values given as null are none.
        let a: SummaryAnswer = serde_json::from_str(r#"{"summary": {"values": null}}"#).unwrap();
        assert!(a.summary.values.is_empty());
    }

    #[test]
    fn pages_tolerate_unknown_and_missing_counts_but_not_missing_results() {
        let p: ResultsPage = serde_json::from_str(
            r#"{"page": 2, "results": [{"id": "x", "date": "2024-01-01", "items": [], "extra": [1]}], "more": {}}"#,
        )
        .unwrap();
        assert_eq!((p.page, p.pages, p.result_count), (2, 0, 0));
        assert_eq!(p.results[0].id, "x");
        assert!(serde_json::from_str::<ResultsPage>(r#"{"page": -1, "results": []}"#).is_err());
        assert!(
            serde_json::from_str::<ResultsPage>(r#"{"page":0,"pages":3,"result_count":250}"#)
                .is_err()
        );
    }

    const DOCUMENTED: &str = r#"{"created": "2019-05-13T11:16:52.000Z", "email": "j@example.com",
        "marketing": false, "name": "John Doe",
        "quota": {"api_limit": 500, "api_usage": 0, "lifetime_usage": 0,
                  "next_reset": "2019-06-13T11:16:52.000Z", "priority_limit": 0,
                  "priority_usage": 0, "reset": "2019-05-13T11:16:52.000Z"},
        "token": "SECRET123-abcdef", "user_class": "network_admin"}"#;

    #[test]
    fn the_documented_account_decodes_without_its_token() {
        let a: Account = serde_json::from_str(DOCUMENTED).unwrap();
        assert_eq!(a.name.as_deref(), Some("John Doe"));
        assert_eq!(a.user_class.as_deref(), Some("network_admin"));
        assert_eq!(a.marketing, Some(false));
        assert_eq!(a.quota.api_limit, Some(500));
        assert_eq!(a.quota.api_usage, Some(0));
        assert_eq!(
            a.quota.next_reset.as_deref(),
            Some("2019-06-13T11:16:52.000Z")
        );
        assert!(a.additional_quota.is_empty());
        assert!(!format!("{a:?}").contains("SECRET123"));
        let out = serde_json::to_string(&a).unwrap();
        assert!(
            !out.contains("SECRET123") && !out.contains("token"),
            "{out}"
        );
        // What is written reads back the same.
        assert_eq!(serde_json::from_str::<Account>(&out).unwrap(), a);
    }

    #[test]
    fn the_older_flat_account_decodes_into_the_same_shape() {
        let a: Account = serde_json::from_str(
            r#"{"api_limit": 1000, "api_usage": "12", "reset": 1700000000, "next_reset": "2026-01-01",
                "ws_limit": 5, "ws_usage": 1, "token": "SECRET123", "plan": "pro"}"#,
        )
        .unwrap();
        assert_eq!(a.quota.api_limit, Some(1000));
        assert_eq!(a.quota.api_usage, Some(12));
        assert_eq!(a.quota.priority_limit, None);
        assert_eq!(a.quota.reset.as_deref(), Some("1700000000"));
        assert_eq!((a.quota.ws_limit, a.quota.ws_usage), (Some(5), Some(1)));
        assert!(!serde_json::to_string(&a).unwrap().contains("SECRET123"));
    }

    #[test]
    fn split_quota_keeps_each_block_and_drops_their_tokens() {
        let a: Account = serde_json::from_str(
            r#"{"quota": {"api_limit": 100, "api_usage": 40},
                "additional_quota": [{"name": "ci", "token": "SECRET123-ci", "api_limit": 50, "api_usage": 5}]}"#,
        )
        .unwrap();
        assert_eq!(a.additional_quota.len(), 1);
        let extra = &a.additional_quota[0];
        assert_eq!(
            (extra.name.as_deref(), extra.api_limit, extra.api_usage),
            (Some("ci"), Some(50), Some(5))
        );
        assert!(!serde_json::to_string(&a).unwrap().contains("SECRET123"));
    }

    #[test]
    fn a_summary_reads_its_values_by_name_and_in_order() {
        let s = Summary::new(vec![("443".into(), 64), ("22".into(), 10)], 0, None);
        assert_eq!(
            (s.get("443"), s.get("22"), s.get("80")),
            (Some(64), Some(10), None)
        );
        assert_eq!(s.iter().collect::<Vec<_>>(), [("443", 64), ("22", 10)]);
        // No cardinality unless asked for; `values: null` is no values.
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"other":0,"values":{"443":64,"22":10}}"#
        );
        let empty: Summary = serde_json::from_str(r#"{"other": 2, "values": null}"#).unwrap();
        assert_eq!(empty, Summary::new(Vec::new(), 2, None));
        let page = ResultsPage::<Report>::empty(3);
        assert_eq!(
            (page.page, page.pages, page.result_count, page.results.len()),
            (3, 0, 0, 0)
        );
    }

    /// Counts come as integers, whole floats or numeric text; anything else is refused.
    #[test]
    fn counts_are_read_leniently_but_never_wrongly() {
        let other = |v: &str| {
            serde_json::from_str::<Summary>(&format!(r#"{{"other": {v}, "values": {{}}}}"#))
                .map(|s| s.other)
                .ok()
        };
        assert_eq!(other("7"), Some(7));
        assert_eq!(other("7.0"), Some(7));
        assert_eq!(other("0.0"), Some(0));
        assert_eq!(other(r#"" 12 ""#), Some(12));
        assert_eq!(other("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "-1",
            "-2.0",
            "2.5",
            "18446744073709551616",
            "1e300",
            r#""x""#,
            "true",
        ] {
            assert_eq!(other(bad), None, "{bad}");
        }
        // A count too large for its field is refused, not wrapped.
        assert!(
            serde_json::from_str::<ResultsPage>(r#"{"page": 4294967296, "results": []}"#).is_err()
        );
    }

    #[test]
    fn text_fields_keep_numbers_and_booleans_as_text() {
        let rec = |v: &str| {
            serde_json::from_str::<IpRecord>(&format!(r#"{{"name": {v}}}"#))
                .unwrap()
                .name
        };
        assert_eq!(rec(r#""Google""#).as_deref(), Some("Google"));
        assert_eq!(rec("true").as_deref(), Some("true"));
        assert_eq!(rec("15169").as_deref(), Some("15169"));
        assert_eq!(rec("-3").as_deref(), Some("-3"));
        assert_eq!(rec("1.5").as_deref(), Some("1.5"));
        assert_eq!(rec("null"), None);
        assert_eq!(serde_json::from_str::<IpRecord>("{}").unwrap().name, None);
        assert!(serde_json::from_str::<IpRecord>(r#"{"name": [1]}"#).is_err());
    }

    /// In the flat shape, the numbers and dates are read through `flatten`, nulls included.
    #[test]
    fn the_flat_account_reads_nulls_as_absent() {
        let a: Account = serde_json::from_str(
            r#"{"api_limit": 5, "reset": null, "next_reset": null, "api_usage": null}"#,
        )
        .unwrap();
        assert_eq!(
            (
                a.quota.api_limit,
                a.quota.api_usage,
                a.quota.reset,
                a.quota.next_reset
            ),
            (Some(5), None, None, None)
        );
        let v = serde_json::json!({"api_limit": 5, "reset": null});
        assert_eq!(
            serde_json::from_value::<Account>(v).unwrap().quota.reset,
            None
        );
    }

    #[test]
    fn quota_left_is_the_limit_less_the_usage() {
        let q = |limit, usage| Quota {
            api_limit: limit,
            api_usage: usage,
            ..Quota::default()
        };
        assert_eq!(q(Some(500), Some(7)).api_left(), Some(493));
        assert_eq!(q(Some(5), Some(7)).api_left(), Some(0));
        assert_eq!(q(None, Some(7)).api_left(), None);
        assert_eq!(q(Some(5), None).api_left(), None);
        assert!(Quota::default().is_empty());
        assert!(!q(Some(0), None).is_empty());
        // A nested block with numbers wins over the flat ones; the flat saved-project
        // numbers fill what the nested block lacks.
        let a: Account = serde_json::from_str(
            r#"{"quota": {"api_limit": 100}, "api_limit": 9, "ws_limit": 3, "ws_usage": 1}"#,
        )
        .unwrap();
        assert_eq!(
            (a.quota.api_limit, a.quota.ws_limit, a.quota.ws_usage),
            (Some(100), Some(3), Some(1))
        );
    }

    #[test]
    fn ports_read_and_write_in_the_server_order() {
        let json = r#"{"other":2,"values":{"443":10,"53":4},"honeypot":true}"#;
        let p: Ports = serde_json::from_str(json).unwrap();
        assert_eq!(
            p,
            Ports::new(vec![("443".into(), 10), ("53".into(), 4)], 2, true)
        );
        assert_eq!(serde_json::to_string(&p).unwrap(), json);
        let plain = Ports::new(vec![("22".into(), 1)], 0, false);
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"other":0,"values":{"22":1}}"#
        );
        let json = r#"{"other":1,"values":{"10.0.0.2":{"other":0,"values":{"22":1}},"10.0.0.1":{"other":0,"values":{}}}}"#;
        let mut a: IpPorts = serde_json::from_str(json).unwrap();
        assert_eq!(
            a.values.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["10.0.0.2", "10.0.0.1"]
        );
        assert_eq!(serde_json::to_string(&a).unwrap(), json);
        a.merge(IpPorts::new(vec![("10.0.0.3".into(), plain)], 4));
        assert_eq!((a.values.len(), a.other), (3, 5));
        assert_eq!(a.values[2].0, "10.0.0.3");
        assert!(serde_json::from_str::<IpPorts>(r#"{"other":0,"values":[]}"#).is_err());
    }

    #[test]
    fn a_refusal_leads_with_its_first_error() {
        let d = |param: Option<&str>, sev, code, msg: &str| {
            ParamDiagnostic::new(
                param,
                Diagnostic::new(sev, code, "x", crate::Span::new(0, 1), msg),
            )
        };
        let warn = d(
            Some("expression"),
            Severity::Warning,
            "slow-search-term",
            "slow",
        );
        let e1 = d(
            Some("page"),
            Severity::Error,
            "invalid-page",
            "not a page number",
        );
        let e2 = d(
            Some("slop"),
            Severity::Error,
            "invalid-slop",
            "`slop` is not a count",
        );
        let b = ErrorBody::refusal(vec![warn.clone(), e1.clone(), e2.clone()]);
        assert_eq!(
            (b.code, b.error.as_str()),
            (
                "invalid-page",
                "page: not a page number (and 1 more errors)"
            )
        );
        assert_eq!(b.diagnostics.len(), 3);
        // A message that already names its parameter is not prefixed with it.
        let b = ErrorBody::refusal(vec![e2]);
        assert_eq!(
            (b.code, b.error.as_str()),
            ("invalid-slop", "`slop` is not a count")
        );
        let b = ErrorBody::refusal(vec![d(
            None,
            Severity::Error,
            "nothing-to-search",
            "nothing",
        )]);
        assert_eq!(b.error, "nothing");
        let b = ErrorBody::refusal(vec![warn]);
        assert_eq!(
            (b.code, b.error.as_str()),
            ("bad-request", "the request was refused")
        );
        let p = Prioritized::queued("1.2.3.4", 443);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"ip":"1.2.3.4","port":443,"queued":true}"#
        );
    }
}
