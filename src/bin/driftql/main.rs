//! `driftql`: check, format and inspect Driftnet search expressions, and search the API.

mod account;
mod api;
mod auth;
mod cache;
mod check;
mod compile;
mod diff;
mod endpoints;
mod engines;
mod everything;
mod filter;
mod input;
mod output;
mod progress;
mod search;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Check, format and inspect Driftnet search expressions, and search the Driftnet API.
#[derive(Parser, Debug)]
#[command(name = "driftql", version, about, long_about = None, after_help = EXIT_STATUS_HELP)]
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
    /// Exit status 0: done; 1: invalid query or parameter (nothing sent), a plan over its
    /// budget, a checkpoint that cannot be used; 2: syntax error; 4: the API or the network
    /// failed; 5: the -o file or a checkpoint could not be written.
    Search(search::SearchArgs),
    /// Count the values of one type among a search's results.
    Summarize(search::SummarizeArgs),
    /// Search reports by the hash of their favicon (scan/favicons).
    Favicons(endpoints::FaviconsArgs),
    /// Search reports by reverse DNS name or name server (domain/rdns), or summarise them.
    Rdns(endpoints::RdnsArgs),
    /// Search the certificate log for a host's certificates (ct/log), or summarise them.
    Ct(endpoints::CtArgs),
    /// Count the open ports of an address or block (scan/ports).
    Ports(endpoints::PortsArgs),
    /// Count the open ports of each address of a block (scan/ipports).
    Ipports(endpoints::IpPortsArgs),
    /// Show what is known of an address: its domain and its entity (ip/summary).
    IpSummary(endpoints::IpSummaryArgs),
    /// Ask for protocol collection on one IP address and port.
    Prioritize(account::PrioritizeArgs),
    /// Show the token's quota and usage.
    Quota(account::QuotaArgs),
    /// Compile an expression for an engine that holds scan data: ClickHouse or DuckDB SQL, or an
    /// OpenSearch request body, against the storage `driftql schema` prints, with the search
    /// rules' meaning. Exit status 0: printed; 1: validation errors, bad dates, or a rule the
    /// target cannot express exactly; 2: syntax error.
    Compile(engines::CompileArgs),
    /// Print the storage `driftql compile` queries for an engine, with how to load an export.
    Schema(engines::SchemaArgs),
    /// Run a local Driftnet-compatible API server over an NDJSON dataset or a built-in sample.
    Serve(serve::ServeArgs),
    /// Compare two scan exports service by service: the services new, gone or changed (their
    /// banners, titles, certificates, product tags, HTTP headers). Exit status as diff(1): 0
    /// no change, 1 changes, 2 trouble.
    Diff(diff::DiffArgs),
    /// Store the API token once (login), see which account it is (status), or remove it
    /// (logout).
    Auth(auth::AuthArgs),
    /// Run the language server on standard input and output, for editors: diagnostics, quick
    /// fixes, formatting, completion and hover for files of one expression a line (`*.dql`).
    Lsp,
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `driftql man > ~/.local/share/man/man1/driftql.1`.
    Man,
    /// Show or clear the cache of results pages that `--cache` keeps.
    Cache(cache::CacheArgs),
    /// Print the reports of a scan export (NDJSON, a results page or an array of reports) that
    /// match an expression, one per line (or as CSV/TSV rows). Exit status 0: done; 1: validation errors; 2: syntax
    /// error; 3: some input lines or reports were bad; 5: the input could not be read.
    Filter(filter::FilterArgs),
}

/// How a command ends: `Ok` when it ran to the end, `Err` when it stopped early (an input it
/// could not read, a query it refused, ...); either way with the process's exit status, so the
/// steps of a command can stop it with `?`.
pub type Status = Result<Exit, Exit>;

/// The exit statuses of `driftql`, one meaning each (the table is in `--help` and the README).
/// When several apply, the highest is the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: the command did what was asked.
    Ok = 0,
    /// 1: the query or a parameter was refused: validation errors (or warnings, with
    /// `--deny-warnings`), a request refused before sending, a set-up refused (no token, an
    /// insecure URL).
    Invalid = 1,
    /// 2: an expression has a syntax error, or the command line is wrong (as for every clap
    /// program).
    Syntax = 2,
    /// 3: some records of the input were bad: reported, counted and skipped; the rest were
    /// processed.
    BadInput = 3,
    /// 4: the API answered with an error, or could not be reached (after the retries).
    Api = 4,
    /// 5: a file or stream could not be read or written, or an address could not be bound.
    Io = 5,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Puts SIGPIPE back to its default action, as for every Unix filter: when the reader of the
/// output goes away (`driftql search ... | head`), the process ends quietly, with the status a
/// shell reports for SIGPIPE, instead of failing a write. (Rust programs start with it ignored.)
/// Not for `serve`, which writes to sockets, not to a pipe.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default, at start-up, before any thread
    // runs; no handler is installed.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The exit status table, as `--help` shows it.
const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success
  1  the query or a parameter was refused (validation errors; --deny-warnings makes warnings count)
  2  a syntax error in an expression, or a usage error
  3  some input records were bad: reported, counted and skipped (filter)
  4  the API answered with an error or could not be reached
  5  a file or stream could not be read or written, or an address could not be bound
`driftql diff` exits as diff(1) does: 0 no change, 1 changes, 2 trouble.";

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        restore_sigpipe();
    }
    let code = match cli.command {
        Command::Diff(args) => return ExitCode::from(diff::diff(args)),
        Command::Fmt(args) => compile::fmt(args),
        Command::Ast(args) => compile::ast(args),
        Command::Compile(args) => engines::compile(args),
        Command::Schema(args) => engines::schema(&args),
        Command::Check(args) => check::check(args),
        Command::Search(args) => search::search(args),
        Command::Summarize(args) => search::summarize(args),
        Command::Favicons(args) => endpoints::favicons(args),
        Command::Rdns(args) => endpoints::rdns(args),
        Command::Ct(args) => endpoints::ct(args),
        Command::Ports(args) => endpoints::ports(args),
        Command::Ipports(args) => endpoints::ipports(args),
        Command::IpSummary(args) => endpoints::ip_summary(args),
        Command::Prioritize(args) => account::prioritize(args),
        Command::Quota(args) => account::quota(args),
        Command::Serve(args) => serve::serve(args),
        Command::Filter(args) => filter::filter(args),
        Command::Cache(args) => cache::cache(args),
        Command::Auth(args) => auth::auth(args),
        Command::Completions(args) => completions(&args),
        Command::Man => man(),
        Command::Lsp => lsp(),
    };
    ExitCode::from(code.unwrap_or_else(|status| status))
}

#[derive(clap::Args, Debug)]
struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

/// Prints the completion script for a shell.
fn completions(args: &CompletionsArgs) -> Status {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "driftql", &mut out);
    write_out(&out)
}

/// Runs the language server until the editor shuts it down.
fn lsp() -> Status {
    match driftql::lsp::run_stdio() {
        Ok(()) => Ok(Exit::Ok),
        Err(e) => {
            eprintln!("driftql: the language server stopped: {e}");
            Err(Exit::Io)
        }
    }
}

/// Prints the manual page.
fn man() -> Status {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| input::io_error(&e))?;
    write_out(&out)
}

fn write_out(bytes: &[u8]) -> Status {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_all(bytes).and_then(|()| stdout.flush());
    Ok(written.map_or_else(|e| api::write_error(&e), |()| Exit::Ok))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
