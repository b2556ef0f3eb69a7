//! `compile` and `schema`: expressions for the engines that hold scan data (ClickHouse, DuckDB,
//! OpenSearch), and the storage they query.

use std::io::{self, Write};

use clap::{Args, ValueEnum};
use driftql::MatchOptions;
use driftql::compile::{CompileOptions, Target};
use driftql::models::{Date, RequestError};

use crate::api::{read_query, request_error};
use crate::{Exit, Status, input};

/// The engines, as the command line names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// ClickHouse SQL (also chDB).
    Clickhouse,
    /// DuckDB SQL.
    Duckdb,
    /// An OpenSearch `_search` request body.
    Opensearch,
}

impl From<Engine> for Target {
    fn from(e: Engine) -> Target {
        match e {
            Engine::Clickhouse => Target::ClickHouse,
            Engine::Duckdb => Target::DuckDb,
            Engine::Opensearch => Target::OpenSearch,
        }
    }
}

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// The engine to compile for.
    #[arg(long, value_enum)]
    target: Engine,
    /// The expression; read from standard input when absent or `-`.
    expression: Option<String>,
    /// How many extra words, in total, may stand between the words of a phrase.
    #[arg(long, value_name = "N", default_value_t = 0)]
    slop: u32,
    /// Let `host` terms also match the host of `url` items.
    #[arg(long)]
    host_in_url: bool,
    /// The first day searched, YYYY-MM-DD (inclusive).
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// The last day searched, YYYY-MM-DD (inclusive).
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
}

#[derive(Args, Debug)]
pub struct SchemaArgs {
    /// The engine whose storage to print.
    #[arg(long, value_enum)]
    target: Engine,
}

fn date(param: &'static str, d: Option<&str>) -> Result<Option<Date>, Exit> {
    d.map(|d| Date::parse_param(param, d))
        .transpose()
        .map_err(|e| request_error(&e, None))
}

fn print(text: &str) -> Exit {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}").map_or_else(|e| input::io_error(&e), |()| Exit::Ok)
}

pub fn compile(args: CompileArgs) -> Status {
    let from = date("from", args.from.as_deref())?;
    let to = date("to", args.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(request_error(&RequestError::DateOrder { from, to }, None));
    }
    let Some(query) = read_query(args.expression, false)? else {
        return Err(Exit::Invalid);
    };
    let options = CompileOptions::default()
        .with_matching(
            MatchOptions::default()
                .with_slop(args.slop)
                .with_host_in_url(args.host_in_url),
        )
        .with_dates(from, to);
    match query.compile(args.target.into(), &options) {
        Ok(text) => Ok(print(&text)),
        Err(e) => {
            eprintln!("driftql: {e}");
            Err(Exit::Invalid)
        }
    }
}

pub fn schema(args: &SchemaArgs) -> Status {
    Ok(print(&driftql::compile::schema(args.target.into())))
}
