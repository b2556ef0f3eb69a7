//! Scan reports as the Driftnet API returns them: the data the evaluator matches against.
//!
//! [`Report`] and [`Item`] own their text; [`ReportRef`] and [`ItemRef`] borrow it from the JSON
//! input where they can, so reading many reports from a buffer does no per-item allocation.
//!
//! # What a report is
//!
//! One definition serves every reader — the client's answers, `driftql filter`, the server's
//! `--data`, and programs: a report is a JSON object with
//!
//! - an `id` that is a non-empty string,
//! - a `date` that is a real calendar date written `YYYY-MM-DD`,
//! - an `items` array (it may be empty) whose items are objects with a string `type`, a string
//!   `value`, a `context` that is a string, or `null` or absent for the empty context, and an
//!   `is_metadata` that is a boolean, or `null` or absent for `false`.
//!
//! Other fields are ignored, in reports and items alike. A key given twice in one object is an
//! error (readers disagree on which one counts). Anything else — a summary, an account answer,
//! an error body, `{}`, a number where text is due — is not a report, and the error says what is
//! wrong with it, naming the field.
//!
//! ```
//! use driftql::report::{Item, ReportRef};
//!
//! let json = r#"{"id": "r1", "date": "2024-02-29", "items": [{"type": "port-tcp", "value": "443", "extra": [1]}]}"#;
//! let report: ReportRef = serde_json::from_str(json).unwrap();
//! assert_eq!(report.items[0].value, "443");
//! assert_eq!(report.items[0].context, "");
//! assert_eq!(report.into_owned().items, [Item::new("port-tcp", "", "443")]);
//!
//! let err = serde_json::from_str::<ReportRef>(r#"{"summary": {"other": 0, "values": {}}}"#).unwrap_err();
//! assert!(err.to_string().starts_with("not a report: it has no `date`, `id` or `items`"), "{err}");
//! let err = serde_json::from_str::<ReportRef>(r#"{"id": "r", "date": "2023-02-29", "items": []}"#).unwrap_err();
//! assert!(err.to_string().starts_with("a report's `date` must be a calendar date written YYYY-MM-DD"), "{err}");
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

#[cfg(feature = "export")]
pub(crate) mod fast;

/// One scan report: `{date, id, items: [{type, context, value, is_metadata}]}`.
///
/// Read as the [module docs](self) define a report: unknown fields are ignored, the documented
/// ones must be there and well-formed.
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

/// What a report scanned: its address and port. This is the `{ip, port}` pair of which
/// `most_recent` keeps the newest report, and the service `driftql diff` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct ScannedPort {
    /// The scanned address (IPv4-mapped addresses as IPv4).
    pub ip: std::net::IpAddr,
    /// The scanned port.
    pub port: u16,
    /// Whether the port is UDP (`port-udp`) rather than TCP (`port-tcp`).
    pub udp: bool,
}

impl ScannedPort {
    /// The scanned address (the first `ip` item in the empty context that is an address, as
    /// the evaluator reads addresses) and the scanned port (the first `port-tcp` or `port-udp`
    /// item in the empty context that is a port number: ASCII digits, at most 65535, leading
    /// zeros allowed); `None` when either is missing.
    ///
    /// ```
    /// use driftql::{Item, ScannedPort};
    /// let items = [Item::new("ip", "", "192.0.2.1"), Item::new("port-udp", "", "053")];
    /// let s = ScannedPort::of(&items).unwrap();
    /// assert_eq!((s.ip.to_string(), s.port, s.udp), ("192.0.2.1".into(), 53, true));
    /// assert_eq!(ScannedPort::of(&[Item::new("ip", "dns-a", "192.0.2.1")]), None);
    /// ```
    pub fn of(items: &[impl ScanItem]) -> Option<ScannedPort> {
        let ip = scanned_address(items)?;
        let (port, udp) = items
            .iter()
            .filter(|i| i.item_context().is_empty())
            .find_map(|i| {
                let ty = i.item_type();
                let udp = if ty.eq_ignore_ascii_case("port-udp") {
                    true
                } else if ty.eq_ignore_ascii_case("port-tcp") {
                    false
                } else {
                    return None;
                };
                Some((crate::types::parse_port(i.item_value())?, udp))
            })?;
        Some(ScannedPort { ip, port, udp })
    }
}

/// The scanned address: the first `ip` item in the empty context that is an address (as the
/// evaluator reads addresses), IPv4-mapped addresses as IPv4.
pub fn scanned_address(items: &[impl ScanItem]) -> Option<std::net::IpAddr> {
    items
        .iter()
        .filter(|i| i.item_type().eq_ignore_ascii_case("ip") && i.item_context().is_empty())
        .find_map(|i| i.item_value().parse::<std::net::IpAddr>().ok())
        .map(|ip| ip.to_canonical())
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
// Reading

/// A JSON object's key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor("a key")).map(Key)
    }
}

/// A string, borrowed from the input when it has no escapes; `what` names it in errors.
struct TextVisitor(&'static str);

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} as a string", self.0)
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
}

/// A text field: a string; `null` too when `nullable` (it reads as `""`). Anything else is an
/// error that names the field and what was found.
#[derive(Clone, Copy)]
struct Text {
    what: &'static str,
    nullable: bool,
}

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} as a string", self.what)
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
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.nullable {
            Ok(Cow::Borrowed(""))
        } else {
            Err(self.refuse("null"))
        }
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(self.refuse("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(self.refuse("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(self.refuse("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(self.refuse("a number"))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.refuse("an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.refuse("an array"))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
        Err(self.refuse("bytes"))
    }
}

impl Text {
    const DATE: Text = Text {
        what: "a report's `date`",
        nullable: false,
    };
    const ID: Text = Text {
        what: "a report's `id`",
        nullable: false,
    };
    const TYPE: Text = Text {
        what: "an item's `type`",
        nullable: false,
    };
    const CONTEXT: Text = Text {
        what: "an item's `context`",
        nullable: true,
    };
    const VALUE: Text = Text {
        what: "an item's `value`",
        nullable: false,
    };

    fn refuse<E: de::Error>(&self, found: &str) -> E {
        let or_null = if self.nullable { " or null" } else { "" };
        E::custom(format_args!(
            "{} must be a string{or_null}, not {found}",
            self.what
        ))
    }
}

/// The keys of one object seen so far, to refuse a key given twice. The known keys are bits;
/// other keys are kept only when there are any.
struct Seen<'de> {
    known: u8,
    others: Vec<Cow<'de, str>>,
}

impl<'de> Seen<'de> {
    fn new() -> Self {
        Seen {
            known: 0,
            others: Vec::new(),
        }
    }

    /// Records known key number `bit`; an error when it was seen already.
    fn known<E: de::Error>(&mut self, bit: u8, key: &str, of: &str) -> Result<(), E> {
        if self.known & (1 << bit) != 0 {
            return Err(twice(key, of));
        }
        self.known |= 1 << bit;
        Ok(())
    }

    /// Records an unknown key; an error when it was seen already.
    fn other<E: de::Error>(&mut self, key: Cow<'de, str>, of: &str) -> Result<(), E> {
        if self.others.contains(&key) {
            return Err(twice(&key, of));
        }
        self.others.push(key);
        Ok(())
    }

    fn has(&self, bit: u8) -> bool {
        self.known & (1 << bit) != 0
    }
}

fn twice<E: de::Error>(key: &str, of: &str) -> E {
    let shown = crate::text::excerpt(key, 40);
    E::custom(format_args!("the key `{shown}` appears twice in {of}"))
}

struct ReportVisitor;

const DATE: u8 = 0;
const ID: u8 = 1;
const ITEMS: u8 = 2;

impl<'de> Visitor<'de> for ReportVisitor {
    type Value = ReportRef<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a report object {date, id, items}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = ReportFields::new();
        while let Some(Key(key)) = map.next_key()? {
            fields.read(key, &mut map)?;
        }
        fields.finish()
    }
}

/// A report being read key by key: for readers that look at other keys of the same object
/// first (a line of an export may be a results page).
pub(crate) struct ReportFields<'de> {
    report: ReportRef<'de>,
    seen: Seen<'de>,
}

impl<'de> ReportFields<'de> {
    pub(crate) fn new() -> Self {
        ReportFields {
            report: ReportRef::default(),
            seen: Seen::new(),
        }
    }

    /// Reads the value of `key`: a report's field, or anything else (skipped).
    pub(crate) fn read<A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        const OF: &str = "a report";
        let (seen, report) = (&mut self.seen, &mut self.report);
        match &*key {
            "date" => {
                seen.known(DATE, "date", OF)?;
                report.date = map.next_value_seed(Text::DATE)?;
            }
            "id" => {
                seen.known(ID, "id", OF)?;
                report.id = map.next_value_seed(Text::ID)?;
            }
            "items" => {
                seen.known(ITEMS, "items", OF)?;
                report.items = map.next_value_seed(Items)?;
            }
            _ => {
                seen.other(key, OF)?;
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    /// The report, once every key is read.
    pub(crate) fn finish<E: de::Error>(self) -> Result<ReportRef<'de>, E> {
        check_report(&self.report, &self.seen)?;
        Ok(self.report)
    }
}

/// A key of a JSON object, borrowed where it can be; for readers of objects that hold reports.
#[cfg(feature = "export")]
pub(crate) fn read_key<'de, A: MapAccess<'de>>(
    map: &mut A,
) -> Result<Option<Cow<'de, str>>, A::Error> {
    Ok(map.next_key::<Key<'de>>()?.map(|k| k.0))
}

/// What a report must hold once its keys are read.
fn check_report<E: de::Error>(report: &ReportRef<'_>, seen: &Seen<'_>) -> Result<(), E> {
    let missing: Vec<&str> = [(DATE, "`date`"), (ID, "`id`"), (ITEMS, "`items`")]
        .into_iter()
        .filter(|&(bit, _)| !seen.has(bit))
        .map(|(_, name)| name)
        .collect();
    match missing.as_slice() {
        [] => {}
        [_, _, _] => {
            return Err(E::custom(
                "not a report: it has no `date`, `id` or `items` (a report is {date, id, items})",
            ));
        }
        [one] => return Err(E::custom(format_args!("a report needs {one}"))),
        [a, b] => return Err(E::custom(format_args!("a report needs {a} and {b}"))),
        _ => unreachable!("three keys at most"),
    }
    if report.id.is_empty() {
        return Err(E::custom("a report's `id` must not be empty"));
    }
    if crate::models::Date::parse_param("date", &report.date).is_err() {
        return Err(E::custom(format_args!(
            "a report's `date` must be a calendar date written YYYY-MM-DD, not \"{}\"",
            crate::text::excerpt(&report.date, 40)
        )));
    }
    Ok(())
}

/// A report's items: an array of item objects.
struct Items;

impl<'de> DeserializeSeed<'de> for Items {
    type Value = Vec<ItemRef<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
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
}

/// Reads a report's `items` as [`ItemRef`]s; see the [module docs](self) for what an item is.
///
/// For other shapes that hold a report's items, such as a line of a scan export read with only
/// the fields a reader needs.
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
        const TYPE: u8 = 0;
        const CONTEXT: u8 = 1;
        const VALUE: u8 = 2;
        const METADATA: u8 = 3;
        const OF: &str = "an item";
        let mut item = ItemRef::default();
        let mut seen = Seen::new();
        while let Some(Key(key)) = map.next_key()? {
            match &*key {
                "type" => {
                    seen.known(TYPE, "type", OF)?;
                    item.ty = map.next_value_seed(Text::TYPE)?;
                }
                "context" => {
                    seen.known(CONTEXT, "context", OF)?;
                    item.context = map.next_value_seed(Text::CONTEXT)?;
                }
                "value" => {
                    seen.known(VALUE, "value", OF)?;
                    item.value = map.next_value_seed(Text::VALUE)?;
                }
                "is_metadata" => {
                    seen.known(METADATA, "is_metadata", OF)?;
                    item.is_metadata = map.next_value::<Option<bool>>()?.unwrap_or_default();
                }
                _ => {
                    seen.other(key, OF)?;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (seen.has(TYPE), seen.has(VALUE)) {
            (true, true) => Ok(item),
            (false, true) => Err(de::Error::custom("an item needs a `type`")),
            (true, false) => Err(de::Error::custom("an item needs a `value`")),
            (false, false) => Err(de::Error::custom("an item needs a `type` and a `value`")),
        }
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

    fn report(json: &str) -> Result<Report, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    /// The error reading `json` as a report, both ways.
    fn refusal(json: &str) -> String {
        let owned = report(json).unwrap_err();
        let borrowed = serde_json::from_str::<ReportRef>(json)
            .unwrap_err()
            .to_string();
        assert_eq!(owned, borrowed);
        owned
    }

    #[test]
    fn a_report_needs_its_three_fields() {
        assert!(report(r#"{"date": "2024-01-01", "id": "x", "items": []}"#).is_ok());
        assert!(refusal("{}").starts_with("not a report: it has no `date`, `id` or `items`"));
        for (json, message) in [
            (
                r#"{"date": "2024-01-01", "id": "x"}"#,
                "a report needs `items`",
            ),
            (r#"{"items": [], "id": "x"}"#, "a report needs `date`"),
            (r#"{"items": []}"#, "a report needs `date` and `id`"),
            (
                r#"{"date": "2024-01-01", "id": "", "items": []}"#,
                "a report's `id` must not be empty",
            ),
            (
                r#"{"date": "2024-1-01", "id": "x", "items": []}"#,
                "a report's `date` must be a calendar date written YYYY-MM-DD, not \"2024-1-01\"",
            ),
            (
                r#"{"date": "2024-01-01", "id": 7, "items": []}"#,
                "a report's `id` must be a string, not a number",
            ),
            (
                r#"{"date": null, "id": "x", "items": []}"#,
                "a report's `date` must be a string, not null",
            ),
            (
                r#"{"date": "2024-01-01", "id": "x", "items": null}"#,
                "invalid type: null, expected a report's `items` as an array",
            ),
        ] {
            let e = refusal(json);
            assert!(e.starts_with(message), "{json}: {e}");
        }
    }

    #[test]
    fn the_api_answers_that_are_not_reports_are_refused() {
        for json in [
            r#"{"summary": {"other": 0, "values": {"443": 64}}}"#,
            r#"{"name": "John Doe", "quota": {"api_limit": 500}, "token": "SECRET123"}"#,
            r#"{"error": "bad expression", "code": "syntax"}"#,
        ] {
            let e = refusal(json);
            assert!(e.starts_with("not a report"), "{json}: {e}");
            assert!(!e.contains("SECRET123"), "{e}");
        }
    }

    #[test]
    fn an_item_needs_a_string_type_and_value() {
        assert_eq!(
            item(r#"{"type": "title", "value": "x"}"#).unwrap(),
            Item::new("title", "", "x")
        );
        for (json, message) in [
            (r#"{"value": "x"}"#, "an item needs a `type`"),
            (r#"{"type": "title"}"#, "an item needs a `value`"),
            ("{}", "an item needs a `type` and a `value`"),
            (
                r#"{"type": "port-tcp", "value": 443}"#,
                "an item's `value` must be a string, not a number",
            ),
            (
                r#"{"type": "t", "value": {"a": 1}}"#,
                "an item's `value` must be a string, not an object",
            ),
            (
                r#"{"type": "t", "value": "v", "context": [1]}"#,
                "an item's `context` must be a string or null, not an array",
            ),
            (
                r#"{"type": null, "value": "v"}"#,
                "an item's `type` must be a string, not null",
            ),
            (
                r#"{"type": "t", "value": "v", "is_metadata": "yes"}"#,
                "invalid type: string",
            ),
        ] {
            let e = item(json).unwrap_err();
            assert!(e.starts_with(message), "{json}: {e}");
        }
    }

    #[test]
    fn an_absent_or_null_context_or_metadata_is_the_default() {
        let json = r#"{"type": "t", "value": "v", "context": null, "is_metadata": null}"#;
        assert_eq!(item(json).unwrap(), Item::new("t", "", "v"));
    }

    #[test]
    fn wrong_shapes_say_what_was_expected() {
        let e = refusal("[1]");
        assert!(
            e.contains("expected a report object {date, id, items}"),
            "{e}"
        );
        let e = refusal(r#"["2020-01-01", "id", []]"#);
        assert!(
            e.contains("invalid type: sequence, expected a report object"),
            "{e}"
        );
        let e = item(r#"["title", "", "x"]"#).unwrap_err();
        assert!(
            e.contains("invalid type: sequence, expected an item object"),
            "{e}"
        );
        let e = refusal(r#"{"date": "2024-01-01", "id": "x", "items": ["x"]}"#);
        assert!(e.contains("expected an item object"), "{e}");
        let e = refusal(r#"{"date": "2024-01-01", "id": "x", "items": {}}"#);
        assert!(
            e.contains("invalid type: map, expected a report's `items` as an array"),
            "{e}"
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let json = r#"{"x": {"deep": [1, {"y": null}]}, "id": "i", "items": [{"type": "ip", "value": "8.8.8.8",
            "is_metadata": true, "confidence": 0.5}], "date": "2019-05-13"}"#;
        let r = report(json).unwrap();
        let mut ip = Item::new("ip", "", "8.8.8.8");
        ip.is_metadata = true;
        assert_eq!(r.items, [ip]);
        assert_eq!(r.date, "2019-05-13");
    }

    #[test]
    fn a_key_given_twice_is_refused() {
        let e = item(r#"{"type": "a", "value": "1", "type": "b"}"#).unwrap_err();
        assert!(
            e.starts_with("the key `type` appears twice in an item"),
            "{e}"
        );
        let e = refusal(r#"{"date": "2024-01-01", "id": "x", "items": [], "items": []}"#);
        assert!(
            e.starts_with("the key `items` appears twice in a report"),
            "{e}"
        );
        let e = refusal(r#"{"date": "2024-01-01", "id": "x", "items": [], "n": 1, "n": 2}"#);
        assert!(
            e.starts_with("the key `n` appears twice in a report"),
            "{e}"
        );
        // The same key written with an escape is the same key.
        let e = refusal(r#"{"date": "2024-01-01", "id": "x", "items": [], "\u0069d": "y"}"#);
        assert!(e.starts_with("the key `id` appears twice"), "{e}");
    }

    #[test]
    fn borrowed_text_points_into_the_input() {
        let json = r#"{"date": "2020-01-01", "id": "x", "items": [{"type": "title", "value": "a\"b", "context": "c"}]}"#;
        let r: ReportRef = serde_json::from_str(json).unwrap();
        assert!(matches!(r.date, Cow::Borrowed("2020-01-01")));
        assert!(matches!(r.items[0].ty, Cow::Borrowed("title")));
        // Escapes need their own text.
        assert!(matches!(&r.items[0].value, Cow::Owned(v) if v == "a\"b"));
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

    /// What other serde formats hand the reader (an owned string, bytes, `None` or `Some`,
    /// numbers of every kind) is read or refused as from JSON.
    #[test]
    fn text_from_any_deserializer_is_read_or_refused_by_name() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{
            BytesDeserializer, Error, F64Deserializer, I64Deserializer, I128Deserializer,
            StringDeserializer,
        };

        /// `None`, or `Some` of a string, as a format with options hands it over.
        struct Optional(Option<&'static str>);
        impl<'de> Deserializer<'de> for Optional {
            type Error = Error;
            fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
                match self.0 {
                    None => v.visit_none(),
                    Some(s) => v.visit_some(s.into_deserializer()),
                }
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
                struct enum identifier ignored_any
            }
        }

        let owned = Text::VALUE.deserialize(StringDeserializer::<Error>::new("v".into()));
        assert_eq!(owned.unwrap(), "v");
        assert_eq!(Text::CONTEXT.deserialize(Optional(None)).unwrap(), "");
        assert_eq!(Text::CONTEXT.deserialize(Optional(Some("c"))).unwrap(), "c");
        let refused = |r: Result<Cow<str>, Error>| r.unwrap_err().to_string();
        assert_eq!(
            refused(Text::VALUE.deserialize(Optional(None))),
            "an item's `value` must be a string, not null"
        );
        for (e, found) in [
            (
                refused(Text::ID.deserialize(I64Deserializer::new(-1))),
                "a number",
            ),
            (
                refused(Text::ID.deserialize(F64Deserializer::new(0.5))),
                "a number",
            ),
            (
                refused(Text::ID.deserialize(BytesDeserializer::new(b"x"))),
                "bytes",
            ),
        ] {
            assert_eq!(e, format!("a report's `id` must be a string, not {found}"));
        }
        // What the reader has no word for is told in serde's, with what was expected.
        let e = refused(Text::DATE.deserialize(I128Deserializer::new(1)));
        assert!(e.ends_with("expected a report's `date` as a string"), "{e}");
        // Keys likewise.
        let key = Key::deserialize(StringDeserializer::<Error>::new("k".into())).unwrap();
        assert_eq!(key.0, "k");
        let e = Key::deserialize(I64Deserializer::<Error>::new(1))
            .err()
            .unwrap();
        assert!(e.to_string().ends_with("expected a key as a string"), "{e}");
        // JSON's own negative and fractional numbers.
        for number in ["-1", "0.5"] {
            let e = refusal(&format!(
                r#"{{"date": "2024-01-01", "id": {number}, "items": []}}"#
            ));
            assert!(
                e.starts_with("a report's `id` must be a string, not a number"),
                "{e}"
            );
        }
    }

    /// The scanned address is an `ip` item's, in the empty context, borrowed or owned.
    #[test]
    fn the_scanned_address_is_an_ip_item_of_the_empty_context() {
        let json = r#"{"date": "2024-01-01", "id": "x", "items": [
            {"type": "hostname", "value": "192.0.2.1"},
            {"type": "ip", "context": "proxy", "value": "192.0.2.2"},
            {"type": "ip", "value": "192.0.2.3"},
            {"type": "port-tcp", "context": "proxy", "value": "8080"},
            {"type": "port-tcp", "value": "443"}]}"#;
        let borrowed: ReportRef = serde_json::from_str(json).unwrap();
        let owned: Report = serde_json::from_str(json).unwrap();
        let address: std::net::IpAddr = "192.0.2.3".parse().unwrap();
        assert_eq!(scanned_address(&borrowed.items), Some(address));
        assert_eq!(scanned_address(&owned.items), Some(address));
        for pair in [
            ScannedPort::of(&borrowed.items),
            ScannedPort::of(&owned.items),
        ] {
            let pair = pair.unwrap();
            assert_eq!((pair.ip, pair.port, pair.udp), (address, 443, false));
        }
    }

    /// `deserialize_items` reads the items of any shape that holds them, as a report's.
    #[test]
    fn items_are_read_from_any_shape_that_holds_them() {
        #[derive(Deserialize)]
        struct Line<'a> {
            #[serde(borrow, deserialize_with = "deserialize_items")]
            items: Vec<ItemRef<'a>>,
        }
        let json = r#"{"items": [{"type": "ip", "value": "192.0.2.1"}], "date": 1}"#;
        let line: Line = serde_json::from_str(json).unwrap();
        let values: Vec<&str> = line.items.iter().map(|i| i.item_value()).collect();
        assert_eq!(values, ["192.0.2.1"]);
        let e = serde_json::from_str::<Line>(r#"{"items": [{"value": "x"}]}"#)
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("an item needs a `type`"), "{e}");
    }
}
