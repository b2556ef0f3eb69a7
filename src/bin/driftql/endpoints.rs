//! The API's other endpoints: `favicons`, `rdns` and `ct` (searches, paged like `search`, or
//! summarised like `summarize`), and `ports`, `ipports` and `ip-summary` (lookups of an address
//! or block).

use std::io::{self, Write};
use std::net::IpAddr;
use std::str::FromStr;

use clap::{ArgGroup, Args, ValueEnum};
use driftql::client::{Client, SearchBuilder};
use driftql::models::{FaviconHash, Filter, HashKind, IpParam, IpPorts, Ports, Restrict};

use crate::Exit;
use crate::Status;
use crate::api::{self, ApiArgs, Narrowing, Window};
use crate::search::{self, Counting, Paging, SearchOutput, SummaryOutput};

/// A search endpoint's answer: pages of reports, or with `--summarize` a summary.
#[derive(Args, Debug)]
pub struct Answering {
    /// Count the values of this type instead of listing reports, as `summarize` does (e.g.
    /// `--summarize host --context dns-ptr`).
    #[arg(long, value_name = "FIELD")]
    summarize: Option<String>,
    #[command(flatten)]
    counting: Counting,
    #[command(flatten)]
    paging: Paging,
}

impl Answering {
    fn run(&self, builder: SearchBuilder) -> Status {
        match &self.summarize {
            Some(field) => {
                self.paging
                    .columns
                    .unused("choose the columns of reports, not of a summary")?;
                let output = match self.paging.output {
                    SearchOutput::Json => SummaryOutput::Json,
                    SearchOutput::Csv => SummaryOutput::Csv,
                    SearchOutput::Tsv => SummaryOutput::Tsv,
                    SearchOutput::Ndjson => SummaryOutput::Table,
                };
                search::run_summary(
                    builder,
                    search::summary_field(field)?,
                    &self.counting,
                    output,
                )
            }
            None => search::run_pages(builder, &self.paging),
        }
    }
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("by").required(true).args(["sha1", "sha256", "md5", "murmur3", "url"])))]
pub struct FaviconsArgs {
    /// The favicon's SHA-1 (40 hex digits).
    #[arg(long, value_name = "HASH")]
    sha1: Option<String>,
    /// The favicon's SHA-256 (64 hex digits).
    #[arg(long, value_name = "HASH")]
    sha256: Option<String>,
    /// The favicon's MD5 (32 hex digits).
    #[arg(long, value_name = "HASH")]
    md5: Option<String>,
    /// The favicon's MurmurHash3, a signed 32-bit integer (as Shodan-style tools print it).
    #[arg(long, value_name = "HASH", allow_hyphen_values = true)]
    murmur3: Option<String>,
    /// Reports whose favicon was fetched from this URL (or a URL on this host).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    #[command(flatten)]
    window: Window,
    #[command(flatten)]
    narrowing: Narrowing,
    #[command(flatten)]
    paging: Paging,
    #[command(flatten)]
    api: ApiArgs,
}

/// `favicons`: reports by the hash of their favicon.
pub fn favicons(args: FaviconsArgs) -> Status {
    let client = args.api.client_with(args.paging.cache()?)?;
    let mut b = client.favicons();
    let hashes = [
        (HashKind::Sha1, &args.sha1),
        (HashKind::Sha256, &args.sha256),
        (HashKind::Md5, &args.md5),
        (HashKind::Murmur3, &args.murmur3),
    ];
    for (kind, value) in hashes {
        if let Some(v) = value {
            b = b.favicon(FaviconHash::new(kind, v).map_err(|e| api::request_error(&e, None))?);
        }
    }
    if let Some(url) = &args.url {
        let term = driftql::Term::new("url", driftql::Op::Match, url.as_str());
        b = b.field(Filter::new(term).map_err(|e| api::request_error(&e, None))?);
    }
    let b = args.narrowing.apply(args.window.apply(b)?)?;
    search::run_pages(b, &args.paging)
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("by").required(true).args(["ip", "host", "nameserver"])))]
pub struct RdnsArgs {
    /// Reports of this address or block, with its reverse DNS names.
    #[arg(long, value_name = "IP|CIDR")]
    ip: Option<String>,
    /// Reports whose reverse DNS name is this host or below it.
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
    /// Reports whose domain has this name server (or one below it).
    #[arg(long, value_name = "HOST")]
    nameserver: Option<String>,
    #[command(flatten)]
    window: Window,
    #[command(flatten)]
    answer: Answering,
    #[command(flatten)]
    api: ApiArgs,
}

/// `rdns`: reports by reverse DNS name or name server.
pub fn rdns(args: RdnsArgs) -> Status {
    args.answer.counting.checked_limit()?;
    let client = args.api.client_with(args.answer.paging.cache()?)?;
    let mut b = client.rdns();
    if let Some(ip) = &args.ip {
        b = b.ip(IpParam::from_str(ip).map_err(|e| api::request_error(&e, None))?);
    }
    if let Some(h) = &args.host {
        b = b.host(h.as_str());
    }
    if let Some(n) = &args.nameserver {
        b = b.nameserver(n.as_str());
    }
    args.answer.run(args.window.apply(b)?)
}

#[derive(Args, Debug)]
pub struct CtArgs {
    /// The host whose certificates are looked for (its subdomains too).
    host: String,
    #[command(flatten)]
    window: Window,
    #[command(flatten)]
    answer: Answering,
    #[command(flatten)]
    api: ApiArgs,
}

/// `ct`: reports whose TLS certificates name a host, from the certificate log.
pub fn ct(args: CtArgs) -> Status {
    args.answer.counting.checked_limit()?;
    let term = driftql::Term::new("host", driftql::Op::Match, args.host.as_str());
    let field = Filter::new(term).map_err(|e| api::request_error(&e, None))?;
    let client = args.api.client_with(args.answer.paging.cache()?)?;
    let b = client.ct_log().field(field);
    args.answer.run(args.window.apply(b)?)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LookupOutput {
    /// Aligned columns.
    Table,
    /// The API's answer as one JSON object.
    Json,
}

#[derive(Args, Debug)]
pub struct PortsArgs {
    /// The address or CIDR block.
    ip: String,
    #[command(flatten)]
    window: Window,
    /// How to print the ports.
    #[arg(long, value_enum, default_value_t = LookupOutput::Table)]
    output: LookupOutput,
    #[command(flatten)]
    api: ApiArgs,
}

/// `ports`: the open ports of an address or block.
pub fn ports(args: PortsArgs) -> Status {
    let ip = IpParam::from_str(&args.ip).map_err(|e| api::request_error(&e, None))?;
    let (from, to) = args.window.dates()?;
    let client = args.api.client()?;
    let mut b = client.ports(ip);
    if let Some(d) = from {
        b = b.from(d);
    }
    if let Some(d) = to {
        b = b.to(d);
    }
    let rt = api::runtime()?;
    let ports = rt.block_on(b.send()).map_err(|e| api::error(&e))?;
    print(args.output, &ports, || ports_table(&ports))
}

#[derive(Args, Debug)]
pub struct IpPortsArgs {
    /// The CIDR block (one of more than 1,024 addresses is asked for 1,024 at a time).
    block: String,
    #[command(flatten)]
    window: Window,
    /// The most requests a block may take (each costs quota).
    #[arg(long, value_name = "N", default_value_t = driftql::client::DEFAULT_MAX_IPPORTS_REQUESTS)]
    max_requests: usize,
    /// How to print the ports.
    #[arg(long, value_enum, default_value_t = LookupOutput::Table)]
    output: LookupOutput,
    #[command(flatten)]
    api: ApiArgs,
}

/// `ipports`: the open ports of each address of a block.
pub fn ipports(args: IpPortsArgs) -> Status {
    let block = IpParam::from_str(&args.block).map_err(|e| api::request_error(&e, None))?;
    let (from, to) = args.window.dates()?;
    let client = args.api.client()?;
    let mut b = client.ipports(block).max_requests(args.max_requests);
    if let Some(d) = from {
        b = b.from(d);
    }
    if let Some(d) = to {
        b = b.to(d);
    }
    let rt = api::runtime()?;
    let answer = rt
        .block_on(b.send_per_address())
        .map_err(|e| api::error(&e))?;
    print(args.output, &answer, || ipports_table(&answer))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Section {
    Whois,
    Bgp,
    Rwhois,
    Rdns,
}

#[derive(Args, Debug)]
pub struct IpSummaryArgs {
    /// The address.
    ip: IpAddr,
    /// Only this section.
    #[arg(long, value_enum)]
    restrict: Option<Section>,
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = LookupOutput::Table)]
    output: LookupOutput,
    #[command(flatten)]
    api: ApiArgs,
}

/// `ip-summary`: what is known of an address.
pub fn ip_summary(args: IpSummaryArgs) -> Status {
    let client: Client = args.api.client()?;
    let mut b = client.ip_summary(args.ip);
    if let Some(r) = args.restrict {
        b = b.restrict(match r {
            Section::Whois => Restrict::Whois,
            Section::Bgp => Restrict::Bgp,
            Section::Rwhois => Restrict::Rwhois,
            Section::Rdns => Restrict::Rdns,
        });
    }
    let rt = api::runtime()?;
    let Some(summary) = rt.block_on(b.send()).map_err(|e| api::error(&e))? else {
        eprintln!("driftql: nothing is known of {}", args.ip);
        return Ok(Exit::Ok);
    };
    let rows = [("domain", &summary.domain), ("entity", &summary.entity)];
    print(args.output, &summary, || {
        let mut table = Table::new(["SECTION", "NAME", "BLOCK", "FROM"]);
        for (section, record) in rows {
            if let Some(r) = record {
                let name = r.apex_domain.as_deref().or(r.name.as_deref()).unwrap_or("");
                table.row([
                    section,
                    name,
                    r.cidr.as_deref().unwrap_or(""),
                    r.context.as_deref().unwrap_or(""),
                ]);
            }
        }
        table.render()
    })
}

/// Prints `value` as JSON, or the table `table` makes.
fn print(
    output: LookupOutput,
    value: &impl serde::Serialize,
    table: impl FnOnce() -> String,
) -> Status {
    let mut out = io::stdout().lock();
    let written = match output {
        LookupOutput::Json => api::json_line(&mut out, value),
        LookupOutput::Table => write!(out, "{}", table()),
    };
    Ok(written.map_or_else(|e| api::write_error(&e), |()| Exit::Ok))
}

fn ports_table(p: &Ports) -> String {
    let mut table = Table::new(["PORT", "COUNT"]);
    for (port, n) in &p.values {
        table.row([port.as_str(), &n.to_string()]);
    }
    table.row(["(other)", &p.other.to_string()]);
    if p.honeypot {
        table.row(["(honeypot)", "yes"]);
    }
    table.render()
}

fn ipports_table(a: &IpPorts) -> String {
    let mut table = Table::new(["ADDRESS", "PORT", "COUNT", "NOTE"]);
    for (addr, ports) in &a.values {
        let note = if ports.honeypot { "honeypot" } else { "" };
        for (port, n) in &ports.values {
            table.row([addr.as_str(), port, &n.to_string(), note]);
        }
        if ports.other > 0 {
            table.row([addr.as_str(), "(other)", &ports.other.to_string(), note]);
        }
    }
    table.render()
}

/// Columns padded to their widest cell, two spaces apart; text from the API has its control
/// characters escaped.
struct Table<const N: usize> {
    rows: Vec<[String; N]>,
}

impl<const N: usize> Table<N> {
    fn new(header: [&str; N]) -> Self {
        Table {
            rows: vec![header.map(str::to_owned)],
        }
    }

    fn row(&mut self, cells: [&str; N]) {
        self.rows
            .push(cells.map(|c| driftql::text::escape_control(c).into_owned()));
    }

    fn render(&self) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..N).map(width).collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                if i + 1 < N {
                    line.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count()));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}
