//! Scan reports as the Driftnet API returns them: the data the evaluator matches against.

use serde::{Deserialize, Deserializer, Serialize};

/// One scan report: `{date, id, items: [{type, context, value, is_metadata}]}`.
///
/// Unknown fields are ignored, missing optional ones default, so reports from newer servers or
/// saved by other tools still load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The scan date, `YYYY-MM-DD`.
    #[serde(default)]
    pub date: String,
    /// The report's identifier.
    #[serde(default)]
    pub id: String,
    /// What the scan found.
    #[serde(default)]
    pub items: Vec<Item>,
}

/// One finding of a report: a typed value, in a context.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The item's type, e.g. `port-tcp`, `title`, `http-header`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The context: `""` for the directly scanned IP/host, otherwise e.g. a header name, a
    /// protocol name or `cert-dns-name`.
    #[serde(default, deserialize_with = "scalar_string")]
    pub context: String,
    /// The value. Numbers and booleans sent by a server are kept as their text.
    #[serde(deserialize_with = "scalar_string")]
    pub value: String,
    /// Whether the item is metadata about the scan rather than a finding.
    #[serde(default)]
    pub is_metadata: bool,
}

impl Item {
    /// An item with the given type, context and value (not metadata).
    pub fn new(
        ty: impl Into<String>,
        context: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Item {
            ty: ty.into(),
            context: context.into(),
            value: value.into(),
            is_metadata: false,
        }
    }
}

/// Accepts a string, a number, a boolean or null as text.
fn scalar_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Str(String),
        Int(i64),
        UInt(u64),
        Float(f64),
        Bool(bool),
        Null(()),
    }
    Ok(match Scalar::deserialize(d)? {
        Scalar::Str(s) => s,
        Scalar::Int(n) => n.to_string(),
        Scalar::UInt(n) => n.to_string(),
        Scalar::Float(n) => n.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Null(()) => String::new(),
    })
}
