//! The endpoints that sum up addresses rather than search reports: `scan/ports`,
//! `scan/ipports` and `ip/summary`, answered from the dataset's reports.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use crate::models::{
    Date, IpPorts, IpRecord, IpSummary, IpSummaryParams, Ports, PortsParams, Restrict,
};

use super::dataset::{Dataset, Entry};

/// The most ports listed for one address or block.
pub(crate) const MAX_PORTS: usize = 100;
/// An address that answers on more distinct ports than this is flagged as a honeypot.
pub(crate) const HONEYPOT_PORTS: usize = 50;
/// The days of the default date window, up to the newest report.
const DEFAULT_DAYS: i64 = 30;

impl Dataset {
    /// The entries dated within `from`/`to`, by default the 30 days up to the newest report
    /// (so the window holds data whatever day it is), scanned from an address inside the block.
    fn scanned_in<'a>(&'a self, p: &'a PortsParams) -> impl Iterator<Item = &'a Entry> + 'a {
        let (from, to) = window(self.newest(), p.from, p.to);
        let net = p.ip.net();
        self.window(from, to)
            .iter()
            .filter(move |e| e.addr.is_some_and(|a| net.contains(&a)))
    }

    /// `GET /v1/scan/ports`: the open ports of the reports scanned from an address in the
    /// block, each port counted once per report (see [`ports_of`]).
    pub(crate) fn ports(&self, p: &PortsParams) -> Ports {
        let entries: Vec<&Entry> = self.scanned_in(p).collect();
        let honeypot = by_address(&entries)
            .values()
            .any(|es| distinct_ports(es) > HONEYPOT_PORTS);
        ports_of(&entries, honeypot)
    }

    /// `GET /v1/scan/ipports`: the ports of each address of the block that has reports, in
    /// address order.
    pub(crate) fn ipports(&self, p: &PortsParams) -> IpPorts {
        let entries: Vec<&Entry> = self.scanned_in(p).collect();
        let values = by_address(&entries)
            .into_iter()
            .map(|(addr, es)| {
                let honeypot = distinct_ports(&es) > HONEYPOT_PORTS;
                (addr.to_string(), ports_of(&es, honeypot))
            })
            .collect();
        IpPorts::new(values, 0)
    }

    /// `GET /v1/ip/summary`: from the newest report scanned from the address, its domain (the
    /// last two labels of its `dns-ptr` name) and its entity (the `entity` item, with the
    /// address's /24 or /48 as the block). `restrict=rdns` keeps the domain only; `bgp`,
    /// `whois` and `rwhois` keep the entity only, named after them. `None` when nothing is
    /// known.
    pub(crate) fn ip_summary(&self, p: &IpSummaryParams) -> Option<IpSummary> {
        let ip = p.ip.to_canonical();
        let entry = self.entries().iter().find(|e| e.addr == Some(ip))?;
        let item = |ty: &str, context: &str| {
            entry
                .report
                .items
                .iter()
                .find(|i| i.ty.eq_ignore_ascii_case(ty) && i.context == context)
                .map(|i| i.value.clone())
        };
        let single = match ip {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let domain = item("host", "dns-ptr").map(|name| IpRecord {
            apex_domain: Some(apex(&name)),
            cidr: Some(format!("{ip}/{single}")),
            context: Some("rdns".into()),
            ..IpRecord::default()
        });
        let block = match ip {
            IpAddr::V4(_) => 24,
            IpAddr::V6(_) => 48,
        };
        let entity_context = match p.restrict {
            Some(Restrict::Whois) => "whois",
            Some(Restrict::Rwhois) => "rwhois",
            _ => "bgpasn",
        };
        let entity = item("entity", "").map(|name| IpRecord {
            name: Some(name),
            cidr: ipnet::IpNet::new(ip, block)
                .ok()
                .map(|n| n.trunc().to_string()),
            context: Some(entity_context.into()),
            ..IpRecord::default()
        });
        let (domain, entity) = match p.restrict {
            None => (domain, entity),
            Some(Restrict::Rdns) => (domain, None),
            Some(_) => (None, entity),
        };
        (domain.is_some() || entity.is_some()).then_some(IpSummary { domain, entity })
    }
}

/// The date window of a ports request: as given, else the 30 days up to `to` (or the newest
/// report).
fn window(
    newest: Option<Date>,
    from: Option<Date>,
    to: Option<Date>,
) -> (Option<Date>, Option<Date>) {
    let to = to.or(newest);
    let from = from.or_else(|| to.and_then(|t| t.plus_days(-(DEFAULT_DAYS - 1))));
    (from, to)
}

/// The entries of each scanned address, in address order.
fn by_address<'a>(entries: &[&'a Entry]) -> BTreeMap<IpAddr, Vec<&'a Entry>> {
    let mut out: BTreeMap<IpAddr, Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        if let Some(a) = e.addr {
            out.entry(a).or_default().push(e);
        }
    }
    out
}

/// The port items of a report: `port-tcp` and `port-udp` in the empty context that are ports,
/// as numbers.
fn report_ports(e: &Entry) -> impl Iterator<Item = u16> + '_ {
    e.report
        .items
        .iter()
        .filter(|i| {
            i.context.is_empty()
                && (i.ty.eq_ignore_ascii_case("port-tcp") || i.ty.eq_ignore_ascii_case("port-udp"))
        })
        .filter_map(|i| crate::types::parse_port(&i.value))
}

fn distinct_ports(entries: &[&Entry]) -> usize {
    entries
        .iter()
        .flat_map(|e| report_ports(e))
        .collect::<HashSet<_>>()
        .len()
}

/// The ports of `entries`: each port counts the reports that have it, most first, then by
/// port number; the first 100 are listed and the others' counts added up in `other`.
fn ports_of(entries: &[&Entry], honeypot: bool) -> Ports {
    let mut counts: HashMap<u16, u64> = HashMap::new();
    for e in entries {
        let mut seen: Vec<u16> = report_ports(e).collect();
        seen.sort_unstable();
        seen.dedup();
        for p in seen {
            *counts.entry(p).or_insert(0) += 1;
        }
    }
    let mut values: Vec<(u16, u64)> = counts.into_iter().collect();
    values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let other = values.iter().skip(MAX_PORTS).map(|&(_, n)| n).sum();
    values.truncate(MAX_PORTS);
    Ports::new(
        values
            .into_iter()
            .map(|(p, n)| (p.to_string(), n))
            .collect(),
        other,
        honeypot,
    )
}

/// The registered domain of a name, taken as its last two labels (`dns.google`,
/// `example.com`).
fn apex(name: &str) -> String {
    let name = name.trim_end_matches('.');
    let labels: Vec<&str> = name.rsplitn(3, '.').collect();
    match labels.as_slice() {
        [tld, domain, ..] => format!("{domain}.{tld}"),
        _ => name.to_owned(),
    }
}
