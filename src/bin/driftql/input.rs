//! Reading expressions from the command line or standard input, and writing errors.

use std::io::{self, IsTerminal, Read};

use driftql::diagnostic::{Diagnostic, Origin, render_from};

/// The expression given as an argument, or standard input when it is absent or `-`
/// (so that no shell gets to mangle its quotes).
pub fn expression(arg: Option<String>) -> io::Result<String> {
    match arg {
        Some(s) if s != "-" => Ok(s),
        _ => {
            let mut s = String::new();
            io::stdin().read_to_string(&mut s)?;
            Ok(s)
        }
    }
}

/// Whether to colour what goes to standard error.
pub fn stderr_color() -> bool {
    io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes rendered diagnostics about `source` to standard error. `line` names the input line
/// the source came from, for `--lines`.
pub fn report(source: &str, diagnostics: &[Diagnostic], line: Option<usize>) {
    let origin = match line {
        Some(n) => Origin {
            name: Some("<stdin>"),
            first_line: n,
        },
        None => Origin::default(),
    };
    eprint!(
        "{}",
        render_from(source, diagnostics, stderr_color(), origin)
    );
}

/// Reports an I/O failure on standard input or output.
pub fn io_error(what: &str, e: &io::Error) -> u8 {
    eprintln!("driftql: {what}: {e}");
    crate::EXIT_SYNTAX
}
