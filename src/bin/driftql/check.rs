//! `check`: validate expressions and print their findings and canonical form.

use std::io::{self, Write};

use clap::{Args, ValueEnum};
use driftql::Diagnostic;
use serde::Serialize;

use crate::Exit;
use crate::Status;
use crate::input;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The expression; read from standard input when absent or `-`.
    expression: Option<String>,
    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Print the canonical form with every machine-applicable fix applied. The findings shown
    /// are those of the expression as given; the exit status is that of the fixed form.
    #[arg(long)]
    fix: bool,
    /// Exit with status 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// Read one expression per line of standard input (with `--format json`, one JSON object
    /// per line).
    #[arg(long, conflicts_with = "expression")]
    lines: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Findings rendered compiler-style on standard error, the canonical form on standard output.
    Human,
    /// One JSON object: `{"canonical": ..., "diagnostics": [...]}` on standard output.
    Json,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    canonical: Option<String>,
    diagnostics: &'a [Diagnostic],
}

/// What checking one expression found.
struct Outcome {
    canonical: Option<String>,
    diagnostics: Vec<Diagnostic>,
    status: Exit,
}

fn check_source(source: &str, args: &CheckArgs) -> Outcome {
    let recovered = driftql::parse_recovering(source);
    if !recovered.is_ok() {
        // Every syntax error, and the lints of what parsed, in the order of the input.
        let diagnostics = recovered.diagnostics();
        return Outcome {
            canonical: None,
            diagnostics,
            status: Exit::Syntax,
        };
    }
    let Some(query) = recovered.query else {
        unreachable!("a parse without errors has a query")
    };
    let diagnostics = query.validate();
    let (canonical, judged) = if args.fix {
        let fixed = query.fix();
        let remaining = fixed.validate();
        (fixed.canonical(), remaining)
    } else {
        (query.canonical(), diagnostics.clone())
    };
    let failed = judged.iter().any(|d| d.is_error() || args.deny_warnings);
    Outcome {
        canonical: Some(canonical),
        diagnostics,
        status: if failed { Exit::Invalid } else { Exit::Ok },
    }
}

fn check_one(
    out: &mut dyn Write,
    source: &str,
    args: &CheckArgs,
    line: Option<usize>,
) -> io::Result<Exit> {
    let outcome = check_source(source, args);
    match args.format {
        Format::Human => {
            input::report(out, source, &outcome.diagnostics, line);
            if let Some(c) = &outcome.canonical {
                writeln!(out, "{c}")?;
            }
        }
        Format::Json => {
            let report = JsonReport {
                canonical: outcome.canonical,
                diagnostics: &outcome.diagnostics,
            };
            let json = serde_json::to_string(&report).expect("a report serialises");
            writeln!(out, "{json}")?;
        }
    }
    Ok(outcome.status)
}

pub fn check(args: CheckArgs) -> Status {
    if args.lines {
        return Ok(input::each_line(|n, line, out| {
            check_one(out, line, &args, Some(n))
        }));
    }
    let source = input::read_or_report(args.expression.clone())?;
    Ok(check_one(&mut io::stdout().lock(), &source, &args, None)
        .unwrap_or_else(|e| input::io_error(&e)))
}
