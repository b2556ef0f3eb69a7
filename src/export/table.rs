//! Writing reports as a table: CSV or TSV, one row a report, with the columns asked for
//! ([`Fields`]).
//!
//! ```
//! use driftql::export::{Fields, Table, TableFormat};
//! use driftql::{Item, Report};
//!
//! let fields: Fields = "date,ip,host;cert-dns-name,title".parse().unwrap();
//! let mut table = Table::new(TableFormat::Csv, fields, "|");
//! let report = Report {
//!     date: "2024-05-01".into(),
//!     id: "a".into(),
//!     items: vec![
//!         Item::new("ip", "", "192.0.2.1"),
//!         Item::new("host", "cert-dns-name", "example.com"),
//!         Item::new("host", "cert-dns-name", "www.example.com"),
//!         Item::new("title", "", "Hello, world"),
//!     ],
//! };
//! let mut out = Vec::new();
//! table.header(&mut out).unwrap();
//! table.row(&report.date, &report.id, &report.items, &mut out).unwrap();
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "date,ip,host;cert-dns-name,title\n\
//!      2024-05-01,192.0.2.1,example.com|www.example.com,\"Hello, world\"\n"
//! );
//! ```

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use crate::report::ScanItem;
use crate::types::{self, Selects};

/// The columns when none are asked for.
pub const DEFAULT_FIELDS: &str = "date,id,ip,port-tcp,port-udp,host,title";

/// What joins a report's several values of one column, by default.
pub const DEFAULT_JOIN: &str = "|";

/// Which items a column takes, by context.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Contexts {
    /// Items in any context.
    Any,
    /// Items in exactly this context (`""`: the directly scanned address or host).
    Exactly(String),
}

/// One column.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Column {
    /// The report's date.
    Date,
    /// The report's id.
    Id,
    /// The values of a type's items.
    Values {
        ty: &'static str,
        contexts: Contexts,
    },
    /// The contexts of a type's items (a pseudo-type such as `protocol`, the context of
    /// `server-banner` items).
    ContextsOf {
        ty: &'static str,
        contexts: Contexts,
    },
}

/// The columns of a table, in the language's own `type[;context]` vocabulary: written
/// `date,id,ip,port-tcp,host;cert-dns-name,title`.
///
/// - `date` and `id` are the report's.
/// - `type` is a registry type, checked (a misspelt one is refused with the closest name);
///   its column holds the values of the report's items of that type.
/// - Without a context, `ip` and `host` mean the scanned address and host (the empty
///   context), as the empty context does in the language: an address seen in a certificate is
///   `ip;cert-ip-address`, a name in it `host;cert-dns-name`. Every other type takes its items
///   in any context; `type;ctx` takes only those of context `ctx`, `type;` only those of the
///   empty context, and `type;*` those of any context (for `ip` and `host` too).
/// - A context is checked against the registry's known contexts when the type's contexts are
///   a known set (not for `server-banner` and `http-header`, whose contexts are protocol and
///   header names): a misspelt one is refused with the closest name.
/// - A pseudo-type takes what it selects: `protocol` the protocols (the contexts of
///   `server-banner` items), `http-header-name` the header names. `search-term` is not a
///   column.
///
/// A report with several values for a column gives them all, in the report's order, each
/// once, joined by the table's separator ([`DEFAULT_JOIN`], `|`); with none, the cell is empty.
/// A value that holds the separator is written as it is: choose a separator the values do not
/// hold (such as `\u{1f}`, the unit separator) to split cells back into values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fields {
    columns: Vec<Column>,
    names: Vec<String>,
}

/// A list of fields that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("field {position}, `{field}`: {message}{}", match suggestion {
    Some(s) => format!("; did you mean `{s}`?"),
    None => String::new(),
})]
#[non_exhaustive]
pub struct FieldsError {
    /// The field as written.
    pub field: String,
    /// Its position in the list, from 1.
    pub position: usize,
    /// What is wrong.
    pub message: String,
    /// The field meant, when one is close.
    pub suggestion: Option<String>,
}

impl Fields {
    /// The names of the columns, as written (the header row).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// How many columns.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether there is no column (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

impl Default for Fields {
    fn default() -> Self {
        DEFAULT_FIELDS
            .parse()
            .expect("the default fields are known")
    }
}

impl FromStr for Fields {
    type Err = FieldsError;

    fn from_str(list: &str) -> Result<Fields, FieldsError> {
        let mut fields = Fields {
            columns: Vec::new(),
            names: Vec::new(),
        };
        for (i, raw) in list.split(',').enumerate() {
            let field = raw.trim();
            let error = |message: String, suggestion: Option<String>| FieldsError {
                field: field.to_owned(),
                position: i + 1,
                message,
                suggestion,
            };
            if field.is_empty() {
                return Err(error("an empty field".into(), None));
            }
            let (name, context) = match field.split_once(';') {
                Some((n, c)) => (n.trim(), Some(c.trim())),
                None => (field, None),
            };
            let column = match (name.to_ascii_lowercase().as_str(), context) {
                ("date", None) => Column::Date,
                ("id", None) => Column::Id,
                ("date" | "id", Some(_)) => {
                    return Err(error(
                        format!("`{name}` is the report's own, and takes no context"),
                        Some(name.to_owned()),
                    ));
                }
                (_, context) => {
                    let Some(info) = types::lookup(name) else {
                        let close = types::closest(name).or_else(|| {
                            ["date", "id"]
                                .into_iter()
                                .find(|p| strsim::levenshtein(p, &name.to_ascii_lowercase()) <= 1)
                        });
                        return Err(error(
                            "not a known type".to_owned(),
                            close.map(|c| match context {
                                Some(ctx) => format!("{c};{ctx}"),
                                None => c.to_owned(),
                            }),
                        ));
                    };
                    if let Some(c) = context
                        && let Some(close) = misspelt_context(info.name, c)
                    {
                        return Err(error(
                            format!("`{c}` is not a context of `{}`", info.name),
                            Some(format!("{};{close}", info.name)),
                        ));
                    }
                    let contexts = match context {
                        Some("*") => Contexts::Any,
                        Some(c) => Contexts::Exactly(c.to_owned()),
                        None if matches!(info.name, "ip" | "host") => {
                            Contexts::Exactly(String::new())
                        }
                        None => Contexts::Any,
                    };
                    match info.selects {
                        Selects::Own => Column::Values {
                            ty: info.name,
                            contexts,
                        },
                        Selects::ContextOf(ty) => Column::ContextsOf { ty, contexts },
                        Selects::Every => {
                            return Err(error(
                                format!(
                                    "`{}` searches the text of every item; it is not a column",
                                    info.name
                                ),
                                None,
                            ));
                        }
                    }
                }
            };
            fields.columns.push(column);
            fields.names.push(field.to_owned());
        }
        Ok(fields)
    }
}

/// The known context `context` is a misspelling of, for a type whose contexts the registry
/// knows (a context of its own set, written within two edits of a known one, and not known).
fn misspelt_context(ty: &str, context: &str) -> Option<&'static str> {
    if context.is_empty() || context == "*" || types::lookup_context(context).is_some() {
        return None;
    }
    types::CONTEXTS
        .iter()
        .filter(|c| c.of.contains(&ty))
        .map(|c| (c.name, strsim::levenshtein(c.name, context)))
        .filter(|&(_, d)| d <= 2)
        .min_by_key(|&(_, d)| d)
        .map(|(name, _)| name)
}

impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names.join(","))
    }
}

/// CSV or TSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TableFormat {
    /// Comma-separated (RFC 4180: a cell holding a comma, a quote or a line break is quoted,
    /// quotes doubled; lines end with `\n`).
    Csv,
    /// Tab-separated, quoted by the same rules (a cell holding a tab, a quote or a line break
    /// is quoted).
    Tsv,
}

/// Writes reports as the rows of a table (the `csv` crate does the quoting).
pub struct Table {
    format: TableFormat,
    fields: Fields,
    join: String,
    csv: csv::Writer<Shared>,
    written: Shared,
    cells: Vec<String>,
}

/// The buffer the csv writer writes a row into, before it goes out.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("a table row was being written elsewhere"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("fields", &self.fields.to_string())
            .field("join", &self.join)
            .finish_non_exhaustive()
    }
}

impl Table {
    /// A table of `fields`, a column's several values joined by `join`.
    pub fn new(format: TableFormat, fields: Fields, join: impl Into<String>) -> Table {
        let delimiter = match format {
            TableFormat::Csv => b',',
            TableFormat::Tsv => b'\t',
        };
        let written = Shared::default();
        let csv = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(written.clone());
        Table {
            format,
            cells: Vec::with_capacity(fields.len()),
            fields,
            join: join.into(),
            csv,
            written,
        }
    }

    /// A table of the same format, fields and separator, with its own buffer (for another
    /// thread).
    pub fn fresh(&self) -> Table {
        Table::new(self.format, self.fields.clone(), self.join.clone())
    }

    /// The columns.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Writes the header row: the fields as written.
    pub fn header(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.csv.write_record(&self.fields.names)?;
        self.drain(out)
    }

    /// Writes any record's cells as one row (for tables of other things, e.g. a summary).
    pub fn record<S: AsRef<[u8]>>(
        &mut self,
        cells: impl IntoIterator<Item = S>,
        out: &mut impl Write,
    ) -> io::Result<()> {
        self.csv.write_record(cells)?;
        self.drain(out)
    }

    /// Writes the row of one report.
    pub fn row(
        &mut self,
        date: &str,
        id: &str,
        items: &[impl ScanItem],
        out: &mut impl Write,
    ) -> io::Result<()> {
        self.cells.clear();
        for column in &self.fields.columns {
            let cell = match column {
                Column::Date => date.to_owned(),
                Column::Id => id.to_owned(),
                Column::Values { ty, contexts } => join(
                    items
                        .iter()
                        .filter(|i| takes(i, ty, contexts))
                        .map(ScanItem::item_value),
                    &self.join,
                ),
                Column::ContextsOf { ty, contexts } => join(
                    items
                        .iter()
                        .filter(|i| takes(i, ty, contexts))
                        .map(ScanItem::item_context)
                        .filter(|c| !c.is_empty()),
                    &self.join,
                ),
            };
            self.cells.push(cell);
        }
        self.csv.write_record(&self.cells)?;
        self.drain(out)
    }

    /// Moves what the csv writer holds to `out`.
    fn drain(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.csv.flush()?;
        let mut buf = self
            .written
            .0
            .lock()
            .map_err(|_| io::Error::other("a table row was being written elsewhere"))?;
        out.write_all(&buf)?;
        buf.clear();
        Ok(())
    }
}

/// Whether the column of `ty` in `contexts` takes `item`.
fn takes(item: &impl ScanItem, ty: &str, contexts: &Contexts) -> bool {
    item.item_type().eq_ignore_ascii_case(ty)
        && match contexts {
            Contexts::Any => true,
            Contexts::Exactly(c) => item.item_context() == c,
        }
}

/// The values, each once, in order, joined by `sep`.
fn join<'a>(values: impl Iterator<Item = &'a str>, sep: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for v in values {
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    seen.join(sep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Item;

    fn err(list: &str) -> FieldsError {
        list.parse::<Fields>().unwrap_err()
    }

    #[test]
    fn fields_are_checked_by_the_registry() {
        let e = err("date,ip,prot-tcp");
        assert_eq!((e.position, e.suggestion.as_deref()), (3, Some("port-tcp")));
        assert_eq!(
            e.to_string(),
            "field 3, `prot-tcp`: not a known type; did you mean `port-tcp`?"
        );
        assert_eq!(
            err("hots;cert-dns-name").suggestion.as_deref(),
            Some("host;cert-dns-name")
        );
        assert_eq!(err("dat").suggestion.as_deref(), Some("date"));
        assert_eq!(err("date,,id").position, 2);
        assert!(err("search-term").message.contains("not a column"));
        assert!(err("id;x").message.contains("takes no context"));
        assert_eq!(Fields::default().to_string(), DEFAULT_FIELDS);
        assert_eq!(
            "IP, Title".parse::<Fields>().unwrap().names(),
            ["IP", "Title"]
        );
    }

    #[test]
    fn a_misspelt_context_of_a_known_set_is_refused_with_the_closest() {
        let e = err("ip,host;cert-dns-nme");
        assert_eq!(e.position, 2);
        assert_eq!(e.message, "`cert-dns-nme` is not a context of `host`");
        assert_eq!(e.suggestion.as_deref(), Some("host;cert-dns-name"));
        // Far from every known one, or of a type whose contexts are open: taken as written.
        assert!("host;zzzzzzzzzz".parse::<Fields>().is_ok());
        assert!(
            "server-banner;sshh,http-header;Srv"
                .parse::<Fields>()
                .is_ok()
        );
        // `*` and the empty context are always contexts.
        let f: Fields = "ip;*,ip;,host;".parse().unwrap();
        assert_eq!((f.len(), f.is_empty()), (3, false));
        assert_eq!(f.to_string(), "ip;*,ip;,host;");
        assert_eq!(err("date;x").suggestion.as_deref(), Some("date"));
        assert_eq!(err("zzzz").suggestion, None);
        assert_eq!(err("zzzz").to_string(), "field 1, `zzzz`: not a known type");
    }

    #[test]
    fn cells_are_quoted_as_the_format_needs() {
        let items = vec![
            Item::new("title", "", "a, \"b\"\tc"),
            Item::new("title", "", "line\nbreak"),
        ];
        let fields: Fields = "id,title".parse().unwrap();
        let row = |format, join: &str| {
            let t = Table::new(format, fields.clone(), join);
            // A fresh table writes the same, from a buffer of its own.
            let mut t = t.fresh();
            let mut out = Vec::new();
            t.header(&mut out).unwrap();
            t.row("2024-01-01", "x y", &items, &mut out).unwrap();
            t.record(["1", "a\tb"], &mut out).unwrap();
            assert_eq!(t.fields(), &fields);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            row(TableFormat::Csv, "|"),
            "id,title\nx y,\"a, \"\"b\"\"\tc|line\nbreak\"\n1,a\tb\n"
        );
        assert_eq!(
            row(TableFormat::Tsv, " / "),
            "id\ttitle\nx y\t\"a, \"\"b\"\"\tc / line\nbreak\"\n1\t\"a\tb\"\n"
        );
        let t = Table::new(TableFormat::Tsv, fields.clone(), ";");
        let debug = format!("{t:?}");
        assert!(
            debug.contains("id,title") && debug.contains("\";\""),
            "{debug}"
        );
    }

    #[test]
    fn contexts_choose_the_items() {
        let items = vec![
            Item::new("ip", "", "192.0.2.1"),
            Item::new("ip", "dns-a", "198.51.100.7"),
            Item::new("host", "", "example.com"),
            Item::new("host", "cert-dns-name", "example.com"),
            Item::new("host", "cert-dns-name", "www.example.com"),
            Item::new("host", "cert-dns-name", "example.com"),
            Item::new("server-banner", "ssh", "SSH-2.0-OpenSSH_9.6"),
            Item::new("server-banner", "https", "HTTP/1.1 200 OK"),
            Item::new("http-header", "Server", "nginx"),
        ];
        let row = |fields: &str| {
            let mut t = Table::new(TableFormat::Csv, fields.parse().unwrap(), "|");
            let mut out = Vec::new();
            t.row("2024-01-01", "x", &items, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(row("ip"), "192.0.2.1\n");
        assert_eq!(row("ip;*"), "192.0.2.1|198.51.100.7\n");
        assert_eq!(row("ip;dns-a"), "198.51.100.7\n");
        assert_eq!(row("host"), "example.com\n");
        assert_eq!(row("host;cert-dns-name"), "example.com|www.example.com\n");
        assert_eq!(row("server-banner;ssh"), "SSH-2.0-OpenSSH_9.6\n");
        assert_eq!(row("protocol"), "ssh|https\n");
        assert_eq!(row("host; cert-dns-name"), "example.com|www.example.com\n");
        assert_eq!(row("http-header-name,title"), "Server,\n");
        assert_eq!(row("id,date"), "x,2024-01-01\n");
    }
}
