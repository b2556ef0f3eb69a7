//! `prioritize` and `quota`: the API calls that are not searches.

use std::io::{self, Write};
use std::net::IpAddr;

use clap::{Args, ValueEnum};
use driftql::client::Quota;

use crate::EXIT_OK;
use crate::Status;
use crate::api::{self, ApiArgs};

#[derive(Args, Debug)]
pub struct PrioritizeArgs {
    /// The address to collect protocols on.
    #[arg(long, value_name = "IP")]
    ip: IpAddr,
    /// The port to collect protocols on.
    #[arg(long, value_name = "N")]
    port: u16,
    #[command(flatten)]
    api: ApiArgs,
}

pub fn prioritize(args: PrioritizeArgs) -> Status {
    let client = args.api.client()?;
    let rt = api::runtime()?;
    match rt.block_on(client.prioritize(args.ip, args.port)) {
        Ok(answer) => {
            let mut out = io::stdout().lock();
            let written = if answer.is_null() {
                Ok(())
            } else {
                api::json_line(&mut out, &answer)
            };
            eprintln!(
                "driftql: collection requested for {}",
                std::net::SocketAddr::new(args.ip, args.port)
            );
            Ok(written.map_or_else(|e| api::write_error(&e), |()| EXIT_OK))
        }
        Err(e) => Err(api::error(&e)),
    }
}

#[derive(Args, Debug)]
pub struct QuotaArgs {
    /// How to print the quota.
    #[arg(long, value_enum, default_value_t = QuotaOutput::Table)]
    output: QuotaOutput,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum QuotaOutput {
    /// One line per allowance: used / limit.
    Table,
    /// The server's fields as one JSON object.
    Json,
}

pub fn quota(args: QuotaArgs) -> Status {
    let client = args.api.client()?;
    let rt = api::runtime()?;
    let quota = match rt.block_on(client.user()) {
        Ok(q) => q,
        Err(e) => return Err(api::error(&e)),
    };
    let mut out = io::stdout().lock();
    let written = match args.output {
        QuotaOutput::Json => api::json_line(&mut out, &quota),
        QuotaOutput::Table => write!(out, "{}", table(&quota)),
    };
    Ok(written.map_or_else(|e| api::write_error(&e), |()| EXIT_OK))
}

fn table(q: &Quota) -> String {
    let n = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
    let mut rows = vec![
        (
            "searches",
            format!("{} / {}", n(q.api_usage), n(q.api_limit)),
        ),
        (
            "prioritize",
            format!("{} / {}", n(q.priority_usage), n(q.priority_limit)),
        ),
        ("streams", format!("{} / {}", n(q.ws_usage), n(q.ws_limit))),
        ("lifetime", n(q.lifetime_usage)),
    ];
    if let Some(r) = &q.reset {
        rows.push(("reset", r.clone()));
    }
    if let Some(r) = &q.next_reset {
        rows.push(("next reset", r.clone()));
    }
    if !q.additional_quota.is_empty() {
        rows.push(("additional", q.additional_quota.len().to_string()));
    }
    let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<w$}  {v}\n"))
        .collect()
}
