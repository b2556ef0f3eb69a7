//! `driftql`: check, format and inspect Driftnet search expressions, and search the API.

mod account;
mod api;
mod check;
mod compile;
mod filter;
mod input;
mod search;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Check, format and inspect Driftnet search expressions, and search the Driftnet API.
#[derive(Parser, Debug)]
#[command(name = "driftql", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the canonical form of an expression.
    Fmt(compile::FmtArgs),
    /// Print the syntax tree of an expression as JSON.
    Ast(compile::AstArgs),
    /// Validate an expression: findings with their codes, help and fixes, then the canonical
    /// form. Exit status 0: no errors; 1: validation errors; 2: syntax error.
    Check(check::CheckArgs),
    /// Search the API (scan/protocols, or scan/domains with --domains) and print the reports.
    /// Exit status 0: done; 1: invalid query or parameter (nothing sent); 2: syntax error;
    /// 3: the API or the network failed.
    Search(search::SearchArgs),
    /// Count the values of one type among a search's results.
    Summarize(search::SummarizeArgs),
    /// Ask for protocol collection on one IP address and port.
    Prioritize(account::PrioritizeArgs),
    /// Show the token's quota and usage.
    Quota(account::QuotaArgs),
    /// Run a local Driftnet-compatible API server over an NDJSON dataset or a built-in sample.
    Serve(serve::ServeArgs),
    /// Print the reports of a scan export (NDJSON, a results page or an array of reports) that
    /// match an expression, one per line. Exit status 0: done; 1: validation errors; 2: syntax
    /// error, or the input could not be read; 3: some input lines or reports were bad.
    Filter(filter::FilterArgs),
}

/// How a command ends: `Ok` when it ran to the end, `Err` when it stopped early (an input it
/// could not read, a query it refused, ...); either way with the process's exit status, so the
/// steps of a command can stop it with `?`.
pub type Status = Result<u8, u8>;

/// Exit status: the command worked.
pub const EXIT_OK: u8 = 0;
/// Exit status: validation errors (or warnings, with `--deny-warnings`).
pub const EXIT_INVALID: u8 = 1;
/// Exit status: a syntax error in an expression.
pub const EXIT_SYNTAX: u8 = 2;
/// Exit status: the API answered with an error, or could not be reached.
pub const EXIT_API: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Fmt(args) => compile::fmt(args),
        Command::Ast(args) => compile::ast(args),
        Command::Check(args) => check::check(args),
        Command::Search(args) => search::search(args),
        Command::Summarize(args) => search::summarize(args),
        Command::Prioritize(args) => account::prioritize(args),
        Command::Quota(args) => account::quota(args),
        Command::Serve(args) => serve::serve(args),
        Command::Filter(args) => filter::filter(args),
    };
    ExitCode::from(code.unwrap_or_else(|status| status))
}
