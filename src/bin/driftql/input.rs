//! Reading expressions from the command line or standard input, and writing errors.

use std::io::{self, BufRead, IsTerminal, Read, Write};

use driftql::diagnostic::{Diagnostic, Origin, render_from};

use crate::Exit;

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

/// Runs `each` on every line of standard input with its 1-based number, writing to a buffered
/// standard output; returns the highest exit status any line produced. A line that is not UTF-8
/// is reported with its number (status 2) and the others go on.
pub fn each_line(mut each: impl FnMut(usize, &str, &mut dyn Write) -> io::Result<Exit>) -> Exit {
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let mut stdin = io::stdin().lock();
    let mut status = crate::Exit::Ok;
    let mut buf = Vec::new();
    for n in 1.. {
        buf.clear();
        match stdin.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return io_error(&e),
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let result = match std::str::from_utf8(line) {
            Ok(line) => each(n, line, &mut stdout),
            Err(e) => {
                let _ = stdout.flush();
                eprintln!(
                    "driftql: <stdin>:{n}: not UTF-8 text (byte {} is invalid)",
                    e.valid_up_to() + 1
                );
                Ok(crate::Exit::BadInput)
            }
        };
        match result {
            Ok(s) => status = status.max(s),
            Err(e) => return io_error(&e),
        }
    }
    match stdout.flush() {
        Ok(()) => status,
        Err(e) => io_error(&e),
    }
}

/// Whether to colour what goes to standard error.
pub fn stderr_color() -> bool {
    io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes rendered diagnostics about `source` to standard error. `line` names the input line
/// the source came from, for `--lines`. Whatever `out` holds so far is flushed first, so the
/// two streams stay in order on one terminal.
pub fn report(out: &mut dyn Write, source: &str, diagnostics: &[Diagnostic], line: Option<usize>) {
    if diagnostics.is_empty() {
        return;
    }
    let _ = out.flush();
    let origin = match line {
        Some(n) => Origin::line_of("<stdin>", n),
        None => Origin::default(),
    };
    eprint!(
        "{}",
        render_from(source, diagnostics, stderr_color(), origin)
    );
}

/// Reports an I/O failure on standard input or output; exit status 5.
pub fn io_error(e: &io::Error) -> Exit {
    eprintln!("driftql: {e}");
    crate::Exit::Io
}

/// Reads the expression argument, or reports why it could not be read.
pub fn read_or_report(arg: Option<String>) -> Result<String, Exit> {
    expression(arg).map_err(|e| io_error(&e))
}
