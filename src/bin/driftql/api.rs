//! What the commands that call the API share: the token and URL options, the search filters,
//! reading and checking the expression, and reporting failures.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;
use std::time::Duration;

use clap::Args;
use driftql::Query;
use driftql::client::config::Store;
use driftql::client::{
    Cache, CheckpointError, Client, ConfigError, Error, SearchBuilder, TOKEN_ENV,
};
use driftql::models::{Date, Filter, IpParam, RequestError, Slop};

use crate::Exit;
use crate::input;

/// How to reach the API.
#[derive(Args)]
pub struct ApiArgs {
    /// The API token. Default: the DRIFTNET_API_TOKEN environment variable, else the token
    /// `driftql auth login` stored; either is safer (other users of the machine can see a
    /// command line).
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// The API's base URL. Default: DRIFTNET_API_URL, else https://api.driftnet.io.
    /// Plain http:// is accepted only for a loopback host.
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
    /// Seconds one request may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    timeout: u64,
    /// How many times a request that failed with 429, 5xx or a dropped connection is retried.
    #[arg(long, value_name = "N", default_value_t = 4)]
    max_retries: usize,
}

impl fmt::Debug for ApiArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiArgs")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("api_url", &self.api_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

impl ApiArgs {
    /// The client: options first, then the environment, then the defaults.
    pub fn client(&self) -> Result<Client, Exit> {
        self.client_with(None)
    }

    /// The token and where it comes from: `--token`, else `DRIFTNET_API_TOKEN`, else the
    /// file `driftql auth login` stores it in. A stored file that others may read, or that is
    /// damaged, is refused.
    pub fn token(&self) -> Result<Option<(String, TokenSource)>, Exit> {
        if let Some(t) = &self.token {
            return Ok(Some((t.clone(), TokenSource::Flag)));
        }
        if let Some(t) = std::env::var(TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
        {
            return Ok(Some((t, TokenSource::Env)));
        }
        let Ok(store) = Store::at_default_dir() else {
            return Ok(None);
        };
        match store.token() {
            Ok(Some(t)) => Ok(Some((t, TokenSource::Stored(store.path().to_path_buf())))),
            Ok(None) => Ok(None),
            Err(e) => Err(crate::auth::store_error(&e)),
        }
    }

    /// The client, keeping results pages in `cache` when there is one.
    pub fn client_with(&self, cache: Option<Cache>) -> Result<Client, Exit> {
        let mut b = Client::builder()
            .with_env()
            .timeout(Duration::from_secs(self.timeout.max(1)))
            .max_retries(self.max_retries);
        match self.token()? {
            Some((t, _)) => b = b.token(t),
            None => {
                eprintln!(
                    "driftql: no API token: pass --token, set DRIFTNET_API_TOKEN, or store one \
                     with `driftql auth login`"
                );
                return Err(Exit::Invalid);
            }
        }
        if let Some(u) = &self.api_url {
            b = b.base_url(u);
        }
        if let Some(c) = cache {
            b = b.cache(c);
        }
        b.build().map_err(|e| config_error(&e))
    }
}

/// Where the token in use comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `--token`.
    Flag,
    /// `DRIFTNET_API_TOKEN`.
    Env,
    /// The file `driftql auth login` stores it in.
    Stored(std::path::PathBuf),
}

fn config_error(e: &ConfigError) -> Exit {
    eprintln!("driftql: {e}");
    Exit::Invalid
}

/// The date window every search endpoint takes.
#[derive(Args, Debug)]
pub struct Window {
    /// The first day of the date window, YYYY-MM-DD (inclusive).
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// The last day of the date window, YYYY-MM-DD (inclusive).
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Only the newest report for each {ip, port} pair.
    #[arg(long)]
    most_recent: bool,
}

impl Window {
    /// `b` with the window's parameters.
    pub fn apply(&self, mut b: SearchBuilder) -> Result<SearchBuilder, Exit> {
        if let Some(d) = &self.from {
            b = b.from(Date::parse_param("from", d).map_err(|e| request_error(&e, None))?);
        }
        if let Some(d) = &self.to {
            b = b.to(Date::parse_param("to", d).map_err(|e| request_error(&e, None))?);
        }
        if self.most_recent {
            b = b.most_recent(true);
        }
        Ok(b)
    }

    /// The `from` and `to` dates, checked.
    pub fn dates(&self) -> Result<(Option<Date>, Option<Date>), Exit> {
        let parse = |param, d: &Option<String>| {
            d.as_deref()
                .map(|d| Date::parse_param(param, d))
                .transpose()
                .map_err(|e| request_error(&e, None))
        };
        Ok((parse("from", &self.from)?, parse("to", &self.to)?))
    }
}

/// The filters of a search's results: `filter` terms (OR-ed), and `host_in_url`.
#[derive(Args, Debug)]
pub struct Narrowing {
    /// A term results must match, e.g. port-tcp:443; repeat it for more, and results must
    /// match at least one of them (the API OR-s filters).
    #[arg(long, value_name = "TERM")]
    filter: Vec<String>,
    /// Let host terms also match hosts inside URLs.
    #[arg(long)]
    host_in_url: bool,
}

impl Narrowing {
    /// `b` with the filters.
    pub fn apply(&self, mut b: SearchBuilder) -> Result<SearchBuilder, Exit> {
        for f in &self.filter {
            b = b.filter(Filter::from_str(f).map_err(|e| request_error(&e, Some(f)))?);
        }
        if self.host_in_url {
            b = b.host_in_url(true);
        }
        Ok(b)
    }
}

/// The parameters `search` and `summarize` share.
#[derive(Args, Debug)]
pub struct Filters {
    /// Search domain-centred reports (scan/domains) instead of scan/protocols.
    #[arg(long)]
    domains: bool,
    /// Search by the scanned IP address or CIDR block.
    #[arg(long, value_name = "IP|CIDR")]
    ip: Option<String>,
    /// With --ip: match the address in any context (e.g. inside a certificate).
    #[arg(long, requires = "ip")]
    indirect: bool,
    #[command(flatten)]
    window: Window,
    #[command(flatten)]
    narrowing: Narrowing,
    /// Words allowed between the words of a phrase.
    #[arg(long, value_name = "N")]
    slop: Option<String>,
    /// The older `field=TYPE:VALUE` parameter (repeatable, AND-ed): the term TYPE:VALUE. The
    /// expression says the same and more; this is for scripts that still send it.
    #[arg(long, value_name = "TERM")]
    field: Vec<String>,
    /// The older `keyword=TYPE:VALUE` parameter (repeatable, AND-ed): the term TYPE=VALUE.
    #[arg(long, value_name = "TERM")]
    keyword: Vec<String>,
    /// The older `query=TEXT` parameter (repeatable, AND-ed): search-term:"TEXT".
    #[arg(long, value_name = "TEXT")]
    query: Vec<String>,
}

impl Filters {
    /// Whether something other than an expression is searched by (then the expression is
    /// optional).
    pub fn has_ip(&self) -> bool {
        self.ip.is_some()
            || !self.field.is_empty()
            || !self.keyword.is_empty()
            || !self.query.is_empty()
    }

    /// The search with these parameters and `query`; a refused parameter is reported (exit 1).
    pub fn search(&self, client: &Client, query: Option<Query>) -> Result<SearchBuilder, Exit> {
        let mut b = if self.domains {
            client.domains()
        } else {
            client.protocols()
        };
        if let Some(q) = query {
            b = b.expression(q);
        }
        if let Some(ip) = &self.ip {
            b = b.ip(IpParam::from_str(ip).map_err(|e| request_error(&e, None))?);
        }
        if self.indirect {
            b = b.indirect(true);
        }
        b = self.window.apply(b)?;
        b = self.narrowing.apply(b)?;
        if let Some(s) = &self.slop {
            b = b.slop(
                Slop::from_str(s)
                    .map_err(|e| request_error(&e, None))?
                    .get(),
            );
        }
        for f in &self.field {
            b = b.field(Filter::field(f).map_err(|e| request_error(&e, Some(f)))?);
        }
        for k in &self.keyword {
            b = b.keyword(Filter::keyword(k).map_err(|e| request_error(&e, Some(k)))?);
        }
        for q in &self.query {
            b = b.query(Filter::query(q).map_err(|e| request_error(&e, None))?);
        }
        Ok(b)
    }
}

/// Reports a refused parameter; a `filter` with findings gets them rendered against its text.
pub fn request_error(e: &RequestError, source: Option<&str>) -> Exit {
    let diagnostics = match e {
        RequestError::TermSyntax { error, .. } => vec![error.diagnostic().clone()],
        RequestError::TermInvalid { error, .. } => error.diagnostics.clone(),
        _ => Vec::new(),
    };
    eprintln!("driftql: {e}");
    if let Some(src) = source {
        input::report(&mut io::stdout(), src, &diagnostics, None);
    }
    Exit::Invalid
}

/// Reads the expression (the argument, or standard input when it is `-`, or absent without
/// `--ip`), parses and validates it. Syntax errors exit 2, validation errors 1, both with the
/// findings rendered; warnings are rendered and do not stop the command.
pub fn read_query(arg: Option<String>, has_ip: bool) -> Result<Option<Query>, Exit> {
    if arg.is_none() && has_ip {
        return Ok(None);
    }
    let source = input::read_or_report(arg)?;
    let query = match driftql::parse(&source) {
        Ok(q) => q,
        Err(e) => {
            input::report(&mut io::stdout(), &source, &[e.into_diagnostic()], None);
            return Err(Exit::Syntax);
        }
    };
    let diagnostics = query.validate();
    input::report(&mut io::stdout(), &source, &diagnostics, None);
    if diagnostics.iter().any(|d| d.is_error()) {
        return Err(Exit::Invalid);
    }
    Ok(Some(query))
}

/// Reports a failed call: exit 1 when the client refused it (the query, a parameter, the
/// budget, a checkpoint), 5 when a checkpoint could not be read or written, 4 when the API or
/// the network failed.
pub fn error(e: &Error) -> Exit {
    eprintln!("driftql: {e}");
    match e {
        Error::Checkpoint(CheckpointError::Io { .. }) => Exit::Io,
        Error::Checkpoint(_) => Exit::Invalid,
        e if e.is_refused_before_sending() => Exit::Invalid,
        _ => Exit::Api,
    }
}

/// A tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("driftql: could not start the async runtime: {e}");
            Exit::Io
        })
}

/// Handles a failed write to standard output: a closed pipe (`| head`) ends the command quietly.
pub fn write_error(e: &io::Error) -> Exit {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Exit::Ok
    } else {
        input::io_error(e)
    }
}

/// Writes one JSON line.
pub fn json_line(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
