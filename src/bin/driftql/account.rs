//! `prioritize` and `quota`: the API calls that are not searches.

use std::io::{self, Write};
use std::net::IpAddr;

use clap::{Args, ValueEnum};
use driftql::models::{Account, Quota};

use crate::Exit;
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
            Ok(written.map_or_else(|e| api::write_error(&e), |()| Exit::Ok))
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
    /// The account and its quota as one JSON object (never the token the API echoes).
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
    Ok(written.map_or_else(|e| api::write_error(&e), |()| Exit::Ok))
}

fn table(account: &Account) -> String {
    let n = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
    let used = |u: Option<u64>, l: Option<u64>| format!("{} / {}", n(u), n(l));
    let q = &account.quota;
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(name) = &account.name {
        let class = account
            .user_class
            .as_ref()
            .map_or_else(String::new, |c| format!(" ({c})"));
        rows.push(("account".into(), format!("{name}{class}")));
    }
    rows.push(("searches".into(), used(q.api_usage, q.api_limit)));
    rows.push((
        "prioritize".into(),
        used(q.priority_usage, q.priority_limit),
    ));
    if q.ws_limit.is_some() || q.ws_usage.is_some() {
        rows.push(("saved sets".into(), used(q.ws_usage, q.ws_limit)));
    }
    rows.push(("lifetime".into(), n(q.lifetime_usage)));
    if let Some(r) = &q.reset {
        rows.push(("reset".into(), r.clone()));
    }
    if let Some(r) = &q.next_reset {
        rows.push(("next reset".into(), r.clone()));
    }
    for (i, extra) in account.additional_quota.iter().enumerate() {
        let label = extra.name.clone().unwrap_or_else(|| format!("#{}", i + 1));
        rows.push((format!("extra {label}"), extra_row(extra)));
    }
    let w = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<w$}  {v}\n"))
        .collect()
}

/// One additional quota block on one line.
fn extra_row(q: &Quota) -> String {
    let n = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
    format!(
        "searches {} / {}, prioritize {} / {}",
        n(q.api_usage),
        n(q.api_limit),
        n(q.priority_usage),
        n(q.priority_limit)
    )
}
