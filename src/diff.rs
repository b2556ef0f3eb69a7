//! What changed between two scans: two exports compared service by service (feature
//! `export`).
//!
//! ```
//! use driftql::diff::{Change, Snapshot};
//! use driftql::export::ReadOptions;
//!
//! let old = br#"{"date":"2024-01-01","id":"a","items":[
//!   {"type":"ip","context":"","value":"192.0.2.1","is_metadata":true},
//!   {"type":"port-tcp","context":"","value":"80","is_metadata":true},
//!   {"type":"title","context":"","value":"Welcome"}]}"#;
//! let new = br#"{"date":"2024-02-01","id":"b","items":[
//!   {"type":"ip","context":"","value":"192.0.2.1","is_metadata":true},
//!   {"type":"port-tcp","context":"","value":"80","is_metadata":true},
//!   {"type":"title","context":"","value":"Login"}]}"#;
//! let read = |text: &[u8]| {
//!     let one_line: Vec<u8> = text.iter().copied().filter(|&b| b != b'\n').collect();
//!     Snapshot::read(&one_line[..], &ReadOptions::default(), |_| Ok(())).unwrap()
//! };
//! let events = driftql::diff::diff(&read(old), &read(new));
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].change, Change::Changed);
//! assert_eq!(events[0].service.to_string(), "192.0.2.1:80/tcp");
//! assert_eq!(events[0].fields[0].field, "title");
//! assert_eq!((events[0].fields[0].before.as_slice(), events[0].fields[0].after.as_slice()),
//!            (&["Welcome".to_string()][..], &["Login".to_string()][..]));
//! ```
//!
//! # Services
//!
//! A report belongs to the service it scanned. A domain report — one with a scanned host, a
//! `host` item in the empty context — belongs to that host and its scanned port (so each
//! virtual host on an address is a service of its own, and a host that moves to another
//! address stays the same service). Any other report belongs to the `{ip, port}` pair of its
//! scanned address (an `ip` item in the empty context) and port (`port-tcp` or `port-udp`,
//! empty context). A report with neither is not part of any service, and is counted
//! ([`Snapshot::unplaced`]).
//!
//! On each side, the **newest** report of a service stands for it: the latest date, and of
//! reports of the same day the first one read (exports list reports newest first).
//!
//! # What is compared
//!
//! The values of the fields that say what a service is, each a `type[;context]` name of the
//! language: `server-banner;PROTOCOL` (the banner of each protocol), `title`, `subject` and
//! `issuer` (of the certificate), `host;cert-dns-name` and `ip;cert-ip-address` (the names and
//! addresses in it), `product-tag`, and `http-header;NAME` (each header, its name in
//! lowercase, as HTTP compares them). Types compare in any case. A field whose set of values
//! differs is a change, with the values before and after (sorted, each once).
//!
//! # Memory
//!
//! A snapshot keeps, for each service, the date and id of its newest report and the compared
//! values of that report; nothing else of the input. So memory grows with the number of
//! services (and the size of their banners, titles, headers and names), not with the size of
//! the export: reading is streamed, one line at a time ([`crate::export`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{self, Read};
use std::net::IpAddr;

use serde::Serialize;

use crate::export::{self, Bad, Counts, Found, ReadError, ReadOptions, Sink};
use crate::report::{ScanItem, ScannedPort};

/// The transport of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Transport {
    /// `port-tcp`.
    Tcp,
    /// `port-udp`.
    Udp,
}

/// What a report scanned: a host scanned by name (with its port, when the report has one), or
/// else an address and port.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Service {
    /// A port of an address.
    Port {
        /// The address.
        ip: IpAddr,
        /// The port.
        port: u16,
        /// TCP or UDP.
        transport: Transport,
    },
    /// A host scanned by name, and the port scanned on it when the report has one: each
    /// virtual host on an address is a service of its own.
    Host {
        /// The name, in lowercase.
        host: String,
        /// The port.
        #[serde(skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        /// TCP or UDP, with the port.
        #[serde(skip_serializing_if = "Option::is_none")]
        transport: Option<Transport>,
    },
}

impl fmt::Display for Service {
    /// `192.0.2.1:443/tcp`, `[2001:db8::1]:53/udp`, `example.com:443/tcp`, or the host name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Port {
                ip: IpAddr::V6(ip),
                port,
                transport,
            } => write!(f, "[{ip}]:{port}/{}", transport.name()),
            Service::Port {
                ip,
                port,
                transport,
            } => write!(f, "{ip}:{port}/{}", transport.name()),
            Service::Host {
                host,
                port: Some(port),
                transport: Some(transport),
            } => write!(f, "{host}:{port}/{}", transport.name()),
            Service::Host { host, .. } => f.write_str(host),
        }
    }
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

impl Service {
    /// The service a report's items say it scanned, if any: the scanned host (a `host` item
    /// in the empty context, lowercase) with the scanned port when there is one, else the
    /// [`ScannedPort`].
    pub fn of(items: &[impl ScanItem]) -> Option<Service> {
        let scanned = ScannedPort::of(items);
        let transport = |udp: bool| if udp { Transport::Udp } else { Transport::Tcp };
        let host = items
            .iter()
            .find(|i| i.item_type().eq_ignore_ascii_case("host") && i.item_context().is_empty());
        if let Some(h) = host {
            return Some(Service::Host {
                host: h.item_value().to_ascii_lowercase(),
                port: scanned.map(|s| s.port),
                transport: scanned.map(|s| transport(s.udp)),
            });
        }
        scanned.map(|s| Service::Port {
            ip: s.ip,
            port: s.port,
            transport: transport(s.udp),
        })
    }
}

/// The types compared in every context.
const COMPARED: &[&str] = &[
    "server-banner",
    "title",
    "subject",
    "issuer",
    "product-tag",
    "http-header",
];

/// The field an item is compared under, if it is compared: `type`, or `type;context` for a
/// context that is not empty. Types compare in any case; HTTP header names too (as HTTP has
/// them), so they are written in lowercase.
fn field_of(item: &impl ScanItem) -> Option<String> {
    let ty = item.item_type().to_ascii_lowercase();
    let context = item.item_context();
    match (ty.as_str(), context) {
        ("host", "cert-dns-name") | ("ip", "cert-ip-address") => {
            return Some(format!("{ty};{context}"));
        }
        ("http-header", _) => return Some(format!("{ty};{}", context.to_ascii_lowercase())),
        _ => {}
    }
    COMPARED.contains(&ty.as_str()).then(|| {
        if context.is_empty() {
            ty
        } else {
            format!("{ty};{context}")
        }
    })
}

/// The newest report of a service on one side: its date and id, and its compared values.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    date: String,
    id: String,
    fields: BTreeMap<String, BTreeSet<String>>,
}

/// One side of a diff: the newest report of each service of an export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    services: BTreeMap<Service, Seen>,
    reports: u64,
    unplaced: u64,
    bad: u64,
}

/// A report, as a [`Change`] event names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReportId {
    /// Its date.
    pub date: String,
    /// Its id.
    pub id: String,
}

impl Snapshot {
    /// Reads an export (any layout [`export::read`] reads), telling `on_bad` of each bad line
    /// or report (an error from it stops the reading).
    pub fn read(
        input: impl Read,
        options: &ReadOptions,
        on_bad: impl FnMut(&Bad) -> io::Result<()>,
    ) -> Result<Snapshot, ReadError> {
        struct Collect<F> {
            snapshot: Snapshot,
            on_bad: F,
        }
        impl<F: FnMut(&Bad) -> io::Result<()>> Sink for Collect<F> {
            fn report(&mut self, found: Found<'_>) -> io::Result<()> {
                self.snapshot
                    .add(&found.report.date, &found.report.id, &found.report.items);
                Ok(())
            }
            fn bad(&mut self, bad: Bad) -> io::Result<()> {
                (self.on_bad)(&bad)
            }
        }
        let mut sink = Collect {
            snapshot: Snapshot::default(),
            on_bad,
        };
        let Counts { bad, .. } = export::read(input, options, &mut sink)?;
        sink.snapshot.bad = bad;
        Ok(sink.snapshot)
    }

    /// Adds one report: it stands for its service when it is newer than the one seen.
    pub fn add(&mut self, date: &str, id: &str, items: &[impl ScanItem]) {
        self.reports += 1;
        let Some(service) = Service::of(items) else {
            self.unplaced += 1;
            return;
        };
        if let Some(seen) = self.services.get(&service)
            && seen.date.as_str() >= date
        {
            return;
        }
        let mut fields: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for item in items {
            if let Some(field) = field_of(item) {
                fields
                    .entry(field)
                    .or_default()
                    .insert(item.item_value().to_owned());
            }
        }
        self.services.insert(
            service,
            Seen {
                date: date.to_owned(),
                id: id.to_owned(),
                fields,
            },
        );
    }

    /// Reports read.
    pub fn reports(&self) -> u64 {
        self.reports
    }

    /// Services seen.
    pub fn services(&self) -> usize {
        self.services.len()
    }

    /// Reports that scanned no service (neither an address and port nor a host).
    pub fn unplaced(&self) -> u64 {
        self.unplaced
    }

    /// Bad lines and reports skipped.
    pub fn bad(&self) -> u64 {
        self.bad
    }
}

/// How a service changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Change {
    /// Only in the new export.
    New,
    /// Only in the old export.
    Gone,
    /// In both, with fields whose values differ.
    Changed,
}

impl Change {
    /// `new`, `gone` or `changed`, as events write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Gone => "gone",
            Change::Changed => "changed",
        }
    }
}

/// One field of a changed service: its values before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FieldChange {
    /// The field, `type` or `type;context`.
    pub field: String,
    /// Its values in the old report, sorted.
    pub before: Vec<String>,
    /// Its values in the new report, sorted.
    pub after: Vec<String>,
}

/// One service that is new, gone or changed: the event `driftql diff --output ndjson` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Event {
    /// The service.
    pub service: Service,
    /// How it changed.
    pub change: Change,
    /// The report that stands for it in the old export (none when it is new).
    pub old: Option<ReportId>,
    /// The report that stands for it in the new export (none when it is gone).
    pub new: Option<ReportId>,
    /// The fields that changed (empty for a new or gone service), by name.
    pub fields: Vec<FieldChange>,
}

/// The services that are new, gone or changed from `old` to `new`, in the order of the
/// services (addresses, then hosts).
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<Event> {
    let id = |s: &Seen| ReportId {
        date: s.date.clone(),
        id: s.id.clone(),
    };
    let mut events = Vec::new();
    let mut before = old.services.iter().peekable();
    let mut after = new.services.iter().peekable();
    loop {
        let (service, change, o, n) = match (before.peek(), after.peek()) {
            (None, None) => break,
            (Some((s, o)), None) => (*s, Change::Gone, Some(*o), None),
            (None, Some((s, n))) => (*s, Change::New, None, Some(*n)),
            (Some((so, o)), Some((sn, n))) => match so.cmp(sn) {
                std::cmp::Ordering::Less => (*so, Change::Gone, Some(*o), None),
                std::cmp::Ordering::Greater => (*sn, Change::New, None, Some(*n)),
                std::cmp::Ordering::Equal => (*so, Change::Changed, Some(*o), Some(*n)),
            },
        };
        if o.is_some() {
            before.next();
        }
        if n.is_some() {
            after.next();
        }
        let fields = match (o, n) {
            (Some(o), Some(n)) => changed_fields(o, n),
            _ => Vec::new(),
        };
        if change == Change::Changed && fields.is_empty() {
            continue;
        }
        events.push(Event {
            service: service.clone(),
            change,
            old: o.map(id),
            new: n.map(id),
            fields,
        });
    }
    events
}

/// The fields whose values differ between two reports.
fn changed_fields(old: &Seen, new: &Seen) -> Vec<FieldChange> {
    let empty = BTreeSet::new();
    let names: BTreeSet<&String> = old.fields.keys().chain(new.fields.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let b = old.fields.get(name).unwrap_or(&empty);
            let a = new.fields.get(name).unwrap_or(&empty);
            (a != b).then(|| FieldChange {
                field: name.clone(),
                before: b.iter().cloned().collect(),
                after: a.iter().cloned().collect(),
            })
        })
        .collect()
}

/// How many services of each kind a diff found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Tally {
    /// New services.
    pub new: u64,
    /// Gone services.
    pub gone: u64,
    /// Changed services.
    pub changed: u64,
    /// Services in both exports, unchanged.
    pub unchanged: u64,
}

impl Tally {
    /// The tally of `events` between `old` and `new`.
    pub fn of(events: &[Event], old: &Snapshot, new: &Snapshot) -> Tally {
        let mut t = Tally::default();
        for e in events {
            match e.change {
                Change::New => t.new += 1,
                Change::Gone => t.gone += 1,
                Change::Changed => t.changed += 1,
            }
        }
        let both = old
            .services
            .keys()
            .filter(|s| new.services.contains_key(*s))
            .count() as u64;
        t.unchanged = both - t.changed;
        t
    }

    /// Whether anything changed.
    pub fn any(&self) -> bool {
        self.new + self.gone + self.changed > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Item;

    fn scanned(ip: &str, port: &str) -> Vec<Item> {
        vec![Item::new("ip", "", ip), Item::new("port-tcp", "", port)]
    }

    #[test]
    fn a_service_is_an_address_and_port_or_a_host() {
        assert_eq!(
            Service::of(&scanned("192.0.2.1", "443"))
                .unwrap()
                .to_string(),
            "192.0.2.1:443/tcp"
        );
        let v6 = vec![
            Item::new("ip", "", "2001:db8::1"),
            Item::new("port-udp", "", "53"),
        ];
        assert_eq!(
            Service::of(&v6).unwrap().to_string(),
            "[2001:db8::1]:53/udp"
        );
        let domain = vec![
            Item::new("host", "", "Example.COM"),
            Item::new("ip", "dns-a", "192.0.2.1"),
        ];
        assert_eq!(Service::of(&domain).unwrap().to_string(), "example.com");
        assert_eq!(Service::of(&[Item::new("ip", "cert", "192.0.2.1")]), None);
    }

    #[test]
    fn the_newest_report_of_a_service_stands_for_it() {
        let mut s = Snapshot::default();
        let mut items = scanned("192.0.2.1", "80");
        items.push(Item::new("title", "", "old"));
        s.add("2024-01-01", "a", &items);
        items.pop();
        items.push(Item::new("title", "", "new"));
        s.add("2024-03-01", "b", &items);
        items.pop();
        items.push(Item::new("title", "", "middle"));
        s.add("2024-02-01", "c", &items);
        // Of the same day, the first read.
        s.add("2024-03-01", "d", &items);
        let seen = &s.services[&Service::of(&items).unwrap()];
        assert_eq!(
            (
                seen.id.as_str(),
                seen.fields["title"].iter().next().unwrap().as_str()
            ),
            ("b", "new")
        );
        assert_eq!((s.reports(), s.services()), (4, 1));
    }

    #[test]
    fn only_the_compared_fields_count() {
        let item = |ty: &str, ctx: &str| field_of(&Item::new(ty, ctx, "v"));
        assert_eq!(
            item("http-header", "Server").as_deref(),
            Some("http-header;server")
        );
        assert_eq!(
            item("HTTP-Header", "server").as_deref(),
            Some("http-header;server")
        );
        assert_eq!(item("Title", "").as_deref(), Some("title"));
        assert_eq!(
            item("ip", "cert-ip-address").as_deref(),
            Some("ip;cert-ip-address")
        );
        assert_eq!(item("ip", ""), None);
        assert_eq!(
            item("server-banner", "ssh").as_deref(),
            Some("server-banner;ssh")
        );
        assert_eq!(item("title", "").as_deref(), Some("title"));
        assert_eq!(
            item("host", "cert-dns-name").as_deref(),
            Some("host;cert-dns-name")
        );
        assert_eq!(item("host", ""), None);
        assert_eq!(item("geo-country", ""), None);
    }
}
