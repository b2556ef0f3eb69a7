//! `fmt` and `ast`: the compiler's output, for one expression or one per line.

use std::io::{self, BufRead, Write};

use clap::Args;

use crate::input;
use crate::{EXIT_OK, EXIT_SYNTAX};

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// The expression; read from standard input when absent or `-`.
    expression: Option<String>,
    /// Read one expression per line of standard input and print one canonical line for each.
    #[arg(long, conflicts_with = "expression")]
    lines: bool,
}

#[derive(Args, Debug)]
pub struct AstArgs {
    /// The expression; read from standard input when absent or `-`.
    expression: Option<String>,
}

pub fn fmt(args: FmtArgs) -> u8 {
    if args.lines {
        return fmt_lines();
    }
    let source = match input::expression(args.expression) {
        Ok(s) => s,
        Err(e) => return input::io_error("reading standard input", &e),
    };
    match driftql::parse(&source) {
        Ok(q) => {
            println!("{q}");
            EXIT_OK
        }
        Err(e) => {
            input::report(&source, &[e.into_diagnostic()], None);
            EXIT_SYNTAX
        }
    }
}

fn fmt_lines() -> u8 {
    let stdin = io::stdin().lock();
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let mut status = EXIT_OK;
    for (i, line) in stdin.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => return input::io_error("reading standard input", &e),
        };
        match driftql::parse(&line) {
            Ok(q) => {
                if let Err(e) = writeln!(stdout, "{q}") {
                    return input::io_error("writing standard output", &e);
                }
            }
            Err(e) => {
                // Keep stdout and stderr in order when both go to one terminal.
                let _ = stdout.flush();
                input::report(&line, &[e.into_diagnostic()], Some(i + 1));
                status = EXIT_SYNTAX;
            }
        }
    }
    if let Err(e) = stdout.flush() {
        return input::io_error("writing standard output", &e);
    }
    status
}

pub fn ast(args: AstArgs) -> u8 {
    let source = match input::expression(args.expression) {
        Ok(s) => s,
        Err(e) => return input::io_error("reading standard input", &e),
    };
    match driftql::parse(&source) {
        Ok(q) => {
            let json = serde_json::to_string_pretty(q.expr()).expect("a tree serialises");
            println!("{json}");
            EXIT_OK
        }
        Err(e) => {
            input::report(&source, &[e.into_diagnostic()], None);
            EXIT_SYNTAX
        }
    }
}
