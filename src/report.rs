//! Scan reports as the Driftnet API returns them: the data the evaluator matches against.
//!
//! [`Report`] and [`Item`] own their text; [`ReportRef`] and [`ItemRef`] borrow it from the JSON
//! input where they can, so reading many reports from a buffer does no per-item allocation.
//!
//! # Tolerance
//!
//! Both shapes read what a server or another tool may write, not only what this crate writes:
//!
//! - unknown fields are ignored;
//! - missing fields default (`""`, `false`, no items), and so does `null`;
//! - a number or boolean where text is expected is kept as its text: integers exactly as
//!   written in decimal (`443` is `"443"`), booleans as `true`/`false`, other numbers as Rust
//!   prints the `f64` they parse to (`1.5` is `"1.5"`, `1.0` and `1e0` are `"1"`);
//! - an object or array where text is expected is an error that names the field;
//! - a report or an item must be a JSON object (an array is not read positionally);
//! - when a key appears twice in one object, the last one counts (as in `jq`).
//!
//! ```
//! use driftql::report::{Item, ReportRef};
//!
//! let json = r#"{"id": "r1", "items": [{"type": "port-tcp", "value": 443, "extra": [1]}]}"#;
//! let report: ReportRef = serde_json::from_str(json).unwrap();
//! assert_eq!(report.items[0].value, "443");
//! assert_eq!(report.items[0].context, "");
//! assert_eq!(report.into_owned().items, [Item::new("port-tcp", "", "443")]);
//!
//! let err = serde_json::from_str::<Item>(r#"{"type": "title", "value": {"a": 1}}"#).unwrap_err();
//! assert!(err.to_string().starts_with("an item's `value` must be a string, number, boolean or null, not an object"));
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// One scan report: `{date, id, items: [{type, context, value, is_metadata}]}`.
///
/// Unknown fields are ignored, missing optional ones default, so reports from newer servers or
/// saved by other tools still load (see the [module docs](self) for the details).
///
/// `Report` and [`Item`] hold exactly the fields the API documents, and stay open to struct
/// literals (they are not `#[non_exhaustive]`) so that programs and tests can build reports
/// directly; a field the API adds would be a new major version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The scan date, `YYYY-MM-DD`.
    pub date: String,
    /// The report's identifier.
    pub id: String,
    /// What the scan found.
    pub items: Vec<Item>,
}

/// One finding of a report: a typed value, in a context.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The item's type, e.g. `port-tcp`, `title`, `http-header`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The context: `""` for the directly scanned IP/host, otherwise e.g. a header name, a
    /// protocol name or `cert-dns-name`.
    pub context: String,
    /// The value. Numbers and booleans sent by a server are kept as their text.
    pub value: String,
    /// Whether the item is metadata about the scan rather than a finding.
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

/// A [`Report`] whose text is borrowed from the JSON it was read from where possible.
///
/// Deserialised from a byte slice or string (`serde_json::from_slice`), a string without
/// escapes points into the input; strings with escapes, numbers and booleans are owned. The
/// items match through [`ScanItem`]: `matcher.matches_items(&report.items)`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReportRef<'a> {
    /// The scan date, `YYYY-MM-DD`.
    pub date: Cow<'a, str>,
    /// The report's identifier.
    pub id: Cow<'a, str>,
    /// What the scan found.
    pub items: Vec<ItemRef<'a>>,
}

/// An [`Item`] whose text is borrowed where possible; see [`ReportRef`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ItemRef<'a> {
    /// The item's type.
    #[serde(rename = "type")]
    pub ty: Cow<'a, str>,
    /// The context.
    pub context: Cow<'a, str>,
    /// The value.
    pub value: Cow<'a, str>,
    /// Whether the item is metadata about the scan rather than a finding.
    pub is_metadata: bool,
}

impl ReportRef<'_> {
    /// The report with its text owned.
    pub fn into_owned(self) -> Report {
        Report {
            date: self.date.into_owned(),
            id: self.id.into_owned(),
            items: self.items.into_iter().map(ItemRef::into_owned).collect(),
        }
    }
}

impl ItemRef<'_> {
    /// The item with its text owned.
    pub fn into_owned(self) -> Item {
        Item {
            ty: self.ty.into_owned(),
            context: self.context.into_owned(),
            value: self.value.into_owned(),
            is_metadata: self.is_metadata,
        }
    }
}

impl<'a> From<&'a Report> for ReportRef<'a> {
    fn from(r: &'a Report) -> Self {
        ReportRef {
            date: Cow::Borrowed(&r.date),
            id: Cow::Borrowed(&r.id),
            items: r.items.iter().map(ItemRef::from).collect(),
        }
    }
}

impl<'a> From<&'a Item> for ItemRef<'a> {
    fn from(i: &'a Item) -> Self {
        ItemRef {
            ty: Cow::Borrowed(&i.ty),
            context: Cow::Borrowed(&i.context),
            value: Cow::Borrowed(&i.value),
            is_metadata: i.is_metadata,
        }
    }
}

/// Read access to one item of a report: what a [`Matcher`](crate::Matcher) looks at.
///
/// Implemented by [`Item`]; implement it for other item shapes (for example items borrowed from
/// the input buffer) to match them without building [`Item`]s.
pub trait ScanItem {
    /// The item's type, e.g. `port-tcp`.
    fn item_type(&self) -> &str;
    /// The item's context (`""` for the directly scanned IP or host).
    fn item_context(&self) -> &str;
    /// The item's value.
    fn item_value(&self) -> &str;
}

impl ScanItem for Item {
    fn item_type(&self) -> &str {
        &self.ty
    }
    fn item_context(&self) -> &str {
        &self.context
    }
    fn item_value(&self) -> &str {
        &self.value
    }
}

impl<T: ScanItem + ?Sized> ScanItem for &T {
    fn item_type(&self) -> &str {
        (**self).item_type()
    }
    fn item_context(&self) -> &str {
        (**self).item_context()
    }
    fn item_value(&self) -> &str {
        (**self).item_value()
    }
}

impl ScanItem for ItemRef<'_> {
    fn item_type(&self) -> &str {
        &self.ty
    }
    fn item_context(&self) -> &str {
        &self.context
    }
    fn item_value(&self) -> &str {
        &self.value
    }
}

// ---------------------------------------------------------------------------------------------
// Field readers

/// Reads a string, a number, a boolean or null as text, borrowing a string from the input when
/// the deserializer allows it. `what` names the field in errors.
#[derive(Clone, Copy)]
struct Scalar {
    what: &'static str,
}

impl Scalar {
    const DATE: Scalar = Scalar {
        what: "a report's `date`",
    };
    const ID: Scalar = Scalar {
        what: "a report's `id`",
    };
    const TYPE: Scalar = Scalar {
        what: "an item's `type`",
    };
    const CONTEXT: Scalar = Scalar {
        what: "an item's `context`",
    };
    const VALUE: Scalar = Scalar {
        what: "an item's `value`",
    };
}

impl<'de> DeserializeSeed<'de> for Scalar {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scalar {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} as a string, number, boolean or null", self.what)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(if v { "true" } else { "false" }))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(""))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(""))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.refuse("an object"))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.refuse("an array"))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
        Err(self.refuse("bytes"))
    }
}

impl Scalar {
    fn refuse<E: de::Error>(&self, found: &str) -> E {
        E::custom(format_args!(
            "{} must be a string, number, boolean or null, not {found}",
            self.what
        ))
    }
}

// Reports and items are read by hand rather than derived: the derived form also accepts a JSON
// array as a struct (`["title", "", "x"]` would be an item), stops at duplicate keys, and reads
// text fields through an untagged enum that buffers each value.

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum ReportField {
    Date,
    Id,
    Items,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum ItemField {
    Type,
    Context,
    Value,
    IsMetadata,
    #[serde(other)]
    Other,
}

struct ReportVisitor;

impl<'de> Visitor<'de> for ReportVisitor {
    type Value = ReportRef<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a report object {date, id, items}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut report = ReportRef::default();
        while let Some(field) = map.next_key()? {
            match field {
                ReportField::Date => report.date = map.next_value_seed(Scalar::DATE)?,
                ReportField::Id => report.id = map.next_value_seed(Scalar::ID)?,
                ReportField::Items => report.items = map.next_value_seed(Items)?,
                ReportField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(report)
    }
}

/// A report's items: an array of item objects, or null for none.
struct Items;

impl<'de> DeserializeSeed<'de> for Items {
    type Value = Vec<ItemRef<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items {
    type Value = Vec<ItemRef<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a report's `items` as an array of item objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(items)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// Reads a report's `items` as [`ItemRef`]s; see the [module docs](self) for what is accepted.
///
/// For other shapes that hold a report's items, such as a line of a scan export read with only
/// the fields a filter needs.
pub fn deserialize_items<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ItemRef<'de>>, D::Error> {
    Items.deserialize(d)
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = ItemRef<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an item object {type, context, value, is_metadata}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut item = ItemRef::default();
        while let Some(field) = map.next_key()? {
            match field {
                ItemField::Type => item.ty = map.next_value_seed(Scalar::TYPE)?,
                ItemField::Context => item.context = map.next_value_seed(Scalar::CONTEXT)?,
                ItemField::Value => item.value = map.next_value_seed(Scalar::VALUE)?,
                ItemField::IsMetadata => {
                    item.is_metadata = map.next_value::<Option<bool>>()?.unwrap_or_default();
                }
                ItemField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(item)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ReportRef<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ReportVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ItemRef<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ItemVisitor)
    }
}

impl<'de> Deserialize<'de> for Report {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ReportRef::deserialize(d).map(ReportRef::into_owned)
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ItemRef::deserialize(d).map(ItemRef::into_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> Result<Item, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    fn item_ref(json: &str) -> Result<ItemRef<'_>, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn missing_fields_default() {
        assert_eq!(item("{}").unwrap(), Item::default());
        assert_eq!(item(r#"{"value": "x"}"#).unwrap(), Item::new("", "", "x"));
        assert_eq!(
            item(r#"{"type": "title"}"#).unwrap(),
            Item::new("title", "", "")
        );
        let r: Report = serde_json::from_str("{}").unwrap();
        assert_eq!(r, Report::default());
        let r: ReportRef = serde_json::from_str("{}").unwrap();
        assert_eq!(r, ReportRef::default());
    }

    #[test]
    fn null_is_the_default() {
        let json = r#"{"type": null, "context": null, "value": null, "is_metadata": null}"#;
        assert_eq!(item(json).unwrap(), Item::default());
        assert_eq!(item_ref(json).unwrap(), ItemRef::default());
        let r: Report =
            serde_json::from_str(r#"{"date": null, "id": null, "items": null}"#).unwrap();
        assert_eq!(r, Report::default());
    }

    #[test]
    fn scalars_are_kept_as_text() {
        let cases = [
            ("443", "443"),
            ("-1", "-1"),
            ("18446744073709551615", "18446744073709551615"),
            ("1.5", "1.5"),
            ("1.0", "1"),
            ("1e3", "1000"),
            ("true", "true"),
            ("false", "false"),
            (r#""text""#, "text"),
        ];
        for (json, text) in cases {
            let doc = format!(r#"{{"type": "t", "context": {json}, "value": {json}}}"#);
            let i = item(&doc).unwrap();
            assert_eq!(
                (i.context.as_str(), i.value.as_str()),
                (text, text),
                "{json}"
            );
            let r = item_ref(&doc).unwrap();
            assert_eq!((&*r.context, &*r.value), (text, text), "{json}");
        }
        let r: Report = serde_json::from_str(r#"{"id": 7, "date": 2020}"#).unwrap();
        assert_eq!((r.id.as_str(), r.date.as_str()), ("7", "2020"));
    }

    #[test]
    fn objects_and_arrays_are_refused_with_the_field_name() {
        for (json, message) in [
            (
                r#"{"value": {"a": 1}}"#,
                "an item's `value` must be a string, number, boolean or null, not an object",
            ),
            (
                r#"{"context": [1]}"#,
                "an item's `context` must be a string, number, boolean or null, not an array",
            ),
            (
                r#"{"type": {}}"#,
                "an item's `type` must be a string, number, boolean or null, not an object",
            ),
        ] {
            let e = item(json).unwrap_err();
            assert!(e.starts_with(message), "{e}");
            let e = item_ref(json).unwrap_err();
            assert!(e.starts_with(message), "{e}");
        }
        let e = serde_json::from_str::<Report>(r#"{"id": ["x"]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("a report's `id` must be"), "{e}");
    }

    #[test]
    fn wrong_shapes_say_what_was_expected() {
        let e = serde_json::from_str::<Report>("[1]")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("expected a report object {date, id, items}"),
            "{e}"
        );
        let e = serde_json::from_str::<ReportRef>(r#"["2020-01-01", "id", []]"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("invalid type: sequence, expected a report object"),
            "{e}"
        );
        let e = item(r#"["title", "", "x"]"#).unwrap_err();
        assert!(
            e.contains("invalid type: sequence, expected an item object"),
            "{e}"
        );
        let e = item(r#""title""#).unwrap_err();
        assert!(
            e.contains("invalid type: string \"title\", expected an item object"),
            "{e}"
        );
        let e = serde_json::from_str::<Report>(r#"{"items": ["x"]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected an item object"), "{e}");
        let e = serde_json::from_str::<Report>(r#"{"items": {}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "invalid type: map, expected a report's `items` as an array of item objects"
            ),
            "{e}"
        );
        let e = item(r#"{"is_metadata": "yes"}"#).unwrap_err();
        assert!(e.contains("invalid type: string"), "{e}");
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let json = r#"{"x": {"deep": [1, {"y": null}]}, "items": [{"type": "ip", "value": "8.8.8.8",
            "is_metadata": true, "confidence": 0.5}], "date": "2019-05-13"}"#;
        let r: Report = serde_json::from_str(json).unwrap();
        let mut ip = Item::new("ip", "", "8.8.8.8");
        ip.is_metadata = true;
        assert_eq!(r.items, [ip]);
        assert_eq!(r.date, "2019-05-13");
    }

    #[test]
    fn the_last_of_duplicate_keys_counts() {
        let i = item(r#"{"type": "a", "value": "1", "type": "b", "value": 2}"#).unwrap();
        assert_eq!(i, Item::new("b", "", "2"));
        let r: Report = serde_json::from_str(r#"{"items": [{}], "items": []}"#).unwrap();
        assert!(r.items.is_empty());
    }

    #[test]
    fn borrowed_text_points_into_the_input() {
        let json = r#"{"date": "2020-01-01", "items": [{"type": "title", "value": "a\"b", "context": 80}]}"#;
        let r: ReportRef = serde_json::from_str(json).unwrap();
        assert!(matches!(r.date, Cow::Borrowed("2020-01-01")));
        assert!(matches!(r.items[0].ty, Cow::Borrowed("title")));
        // Escapes and numbers need their own text.
        assert!(matches!(&r.items[0].value, Cow::Owned(v) if v == "a\"b"));
        assert!(matches!(&r.items[0].context, Cow::Owned(c) if c == "80"));
        let owned: Report = serde_json::from_str(json).unwrap();
        assert_eq!(r.clone().into_owned(), owned);
        assert_eq!(ReportRef::from(&owned), r);
    }

    #[test]
    fn serialised_shape_is_the_api_shape() {
        let mut ip = Item::new("ip", "", "8.8.8.8");
        ip.is_metadata = true;
        let r = Report {
            date: "2019-05-13".into(),
            id: "x".into(),
            items: vec![ip],
        };
        let expected = r#"{"date":"2019-05-13","id":"x","items":[{"type":"ip","context":"","value":"8.8.8.8","is_metadata":true}]}"#;
        assert_eq!(serde_json::to_string(&r).unwrap(), expected);
        assert_eq!(
            serde_json::to_string(&ReportRef::from(&r)).unwrap(),
            expected
        );
        let back: Report = serde_json::from_str(expected).unwrap();
        assert_eq!(back, r);
    }
}
