//! `fmt` and `ast`: the compiler's output, for one expression or one per line.

use std::io::{self, Write};

use clap::Args;

use crate::Exit;
use crate::Status;
use crate::input;

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// The expression; read from standard input when absent or `-`.
    expression: Option<String>,
    /// Read one expression per line of standard input and print one canonical line for each
    /// (an empty line is an `empty-expression` error, like any other bad line).
    #[arg(long, conflicts_with = "expression")]
    lines: bool,
}

#[derive(Args, Debug)]
pub struct AstArgs {
    /// The expression; read from standard input when absent or `-`.
    expression: Option<String>,
}

/// Prints the canonical form of `source`, or reports its syntax error.
fn fmt_one(out: &mut dyn Write, source: &str, line: Option<usize>) -> io::Result<Exit> {
    match driftql::parse(source) {
        Ok(q) => {
            writeln!(out, "{q}")?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            input::report(out, source, &[e.into_diagnostic()], line);
            Ok(Exit::Syntax)
        }
    }
}

pub fn fmt(args: FmtArgs) -> Status {
    if args.lines {
        return Ok(input::each_line(|n, line, out| fmt_one(out, line, Some(n))));
    }
    let source = input::read_or_report(args.expression)?;
    Ok(fmt_one(&mut io::stdout().lock(), &source, None).unwrap_or_else(|e| input::io_error(&e)))
}

pub fn ast(args: AstArgs) -> Status {
    let source = input::read_or_report(args.expression)?;
    let mut out = io::stdout().lock();
    match driftql::parse(&source) {
        Ok(q) => {
            let json = serde_json::to_string_pretty(q.expr()).expect("a tree serialises");
            Ok(writeln!(out, "{json}").map_or_else(|e| input::io_error(&e), |()| Exit::Ok))
        }
        Err(e) => {
            input::report(&mut out, &source, &[e.into_diagnostic()], None);
            Ok(Exit::Syntax)
        }
    }
}
