//! What the API answers: a page of results, a summary, the token's quota.
//!
//! Every type here ignores fields it does not know and defaults the ones that are missing, so a
//! newer server never breaks an older client.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::report::Report;

/// One page of search results: at most 100 reports, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultsPage {
    /// This page's number, from 0.
    #[serde(default, deserialize_with = "count")]
    pub page: u32,
    /// How many pages the whole result set has.
    #[serde(default, deserialize_with = "count")]
    pub pages: u32,
    /// How many reports match in all.
    #[serde(default, deserialize_with = "count")]
    pub result_count: u64,
    /// The reports of this page.
    #[serde(default)]
    pub results: Vec<Report>,
}

impl ResultsPage {
    /// The page of a search that found nothing (HTTP 204).
    pub fn empty(page: u32) -> ResultsPage {
        ResultsPage {
            page,
            ..ResultsPage::default()
        }
    }
}

/// A summary of one type's values (`summarize=`): each value with its count, in the server's
/// order (most frequent first), and the count of items beyond the limit.
///
/// Serialises as the API sends it: `{"other": N, "values": {"443": 64, ...}, "cardinality": N}`
/// with the values in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// `(value, count)` pairs in the order the server sent them.
    pub values: Vec<(String, u64)>,
    /// How many items had a value beyond the ones listed.
    pub other: u64,
    /// How many distinct values there are, when it was asked for (`summary_cardinality`).
    pub cardinality: Option<u64>,
}

impl Summary {
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
        Ok(Summary {
            values: raw.values.0,
            other: raw.other,
            cardinality: raw.cardinality,
        })
    }
}

impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Values<'a>(&'a [(String, u64)]);
        impl Serialize for Values<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (v, n) in self.0 {
                    m.serialize_entry(v, n)?;
                }
                m.end()
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

/// The `{"summary": ...}` envelope.
#[derive(Deserialize, Default)]
pub(crate) struct SummaryEnvelope {
    #[serde(default)]
    pub summary: Summary,
}

/// The token's quota (`/v1/admin/user`). Numbers the server leaves out are `None`; fields this
/// crate does not know are kept in [`Quota::extra`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// Search pages the token may fetch in the current period.
    #[serde(default, deserialize_with = "optional_count")]
    pub api_limit: Option<u64>,
    /// Search pages fetched in the current period.
    #[serde(default, deserialize_with = "optional_count")]
    pub api_usage: Option<u64>,
    /// Prioritize calls allowed in the current period.
    #[serde(default, deserialize_with = "optional_count")]
    pub priority_limit: Option<u64>,
    /// Prioritize calls made in the current period.
    #[serde(default, deserialize_with = "optional_count")]
    pub priority_usage: Option<u64>,
    /// Everything the token has used, ever.
    #[serde(default, deserialize_with = "optional_count")]
    pub lifetime_usage: Option<u64>,
    /// When the current period started, as the server writes it.
    #[serde(default, deserialize_with = "optional_text")]
    pub reset: Option<String>,
    /// When the next period starts, as the server writes it.
    #[serde(default, deserialize_with = "optional_text")]
    pub next_reset: Option<String>,
    /// Streaming (websocket) allowance.
    #[serde(default, deserialize_with = "optional_count")]
    pub ws_limit: Option<u64>,
    /// Streaming (websocket) use.
    #[serde(default, deserialize_with = "optional_count")]
    pub ws_usage: Option<u64>,
    /// Extra quota blocks, as the server sends them.
    #[serde(default)]
    pub additional_quota: Vec<serde_json::Value>,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

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

fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_keeps_the_server_order_and_counts() {
        let env: SummaryEnvelope = serde_json::from_str(
            r#"{"summary": {"other": 3, "values": {"993": 10, "443": 64, "22": 10}, "cardinality": 154, "new": 1}}"#,
        )
        .unwrap();
        let s = env.summary;
        assert_eq!(
            s.values,
            [("993".into(), 10), ("443".into(), 64), ("22".into(), 10)]
        );
        assert_eq!((s.other, s.cardinality), (3, Some(154)));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"other":3,"values":{"993":10,"443":64,"22":10},"cardinality":154}"#
        );
    }

    #[test]
    fn pages_tolerate_unknown_and_missing_fields() {
        let p: ResultsPage = serde_json::from_str(
            r#"{"page": 2, "results": [{"id": "x", "extra": [1]}], "more": {}}"#,
        )
        .unwrap();
        assert_eq!((p.page, p.pages, p.result_count), (2, 0, 0));
        assert_eq!(p.results[0].id, "x");
        assert!(serde_json::from_str::<ResultsPage>(r#"{"page": -1}"#).is_err());
    }

    #[test]
    fn quota_reads_numbers_leniently_and_keeps_unknown_fields() {
        let q: Quota = serde_json::from_str(
            r#"{"api_limit": 1000, "api_usage": "12", "reset": 1700000000, "next_reset": "2026-01-01",
                "additional_quota": [{"amount": 5}], "plan": "pro"}"#,
        )
        .unwrap();
        assert_eq!(q.api_limit, Some(1000));
        assert_eq!(q.api_usage, Some(12));
        assert_eq!(q.priority_limit, None);
        assert_eq!(q.reset.as_deref(), Some("1700000000"));
        assert_eq!(q.next_reset.as_deref(), Some("2026-01-01"));
        assert_eq!(q.additional_quota.len(), 1);
        assert_eq!(q.extra["plan"], "pro");
    }
}
