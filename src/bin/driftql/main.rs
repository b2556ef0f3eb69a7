//! `driftql`: check, format and inspect Driftnet search expressions.

mod compile;
mod input;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Check, format and inspect Driftnet search expressions.
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
}

/// Exit status: the command worked.
pub const EXIT_OK: u8 = 0;
/// Exit status: a syntax error in an expression.
pub const EXIT_SYNTAX: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Fmt(args) => compile::fmt(args),
        Command::Ast(args) => compile::ast(args),
    };
    ExitCode::from(code)
}
