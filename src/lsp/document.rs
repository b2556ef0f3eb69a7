//! A document the language server holds: its lines, each an expression (or a comment), read
//! with recovery; and positions in UTF-16 code units, as the protocol counts them.

use lsp_types::{Position, Range};

use crate::diagnostic::Diagnostic;
use crate::query::Query;
use crate::recover::parse_recovering;

/// One line of a document, and what it holds.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    /// The line's text, without its line break (nor a `\r` before it).
    pub text: String,
    /// What the line is.
    pub kind: LineKind,
}

/// What a line holds.
#[derive(Clone, Debug)]
pub(crate) enum LineKind {
    /// Nothing but whitespace, or a comment (`#` first).
    Blank,
    /// An expression: every finding about it (syntax errors, then the lints of what parsed,
    /// in the order of the line), the query of what parsed, and whether it parsed whole.
    Expression {
        diagnostics: Vec<Diagnostic>,
        query: Option<Query>,
        whole: bool,
    },
}

/// A document: a `.dql` file, one expression a line.
#[derive(Clone, Debug, Default)]
pub(crate) struct Document {
    pub lines: Vec<Line>,
}

impl Document {
    /// The document of `text`, each line read.
    pub fn new(text: &str) -> Document {
        let lines = text
            .split('\n')
            .map(|l| {
                let text = l.strip_suffix('\r').unwrap_or(l).to_owned();
                let kind = analyse(&text);
                Line { text, kind }
            })
            .collect();
        Document { lines }
    }
}

/// What `line` holds.
fn analyse(line: &str) -> LineKind {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return LineKind::Blank;
    }
    let recovered = parse_recovering(line);
    let whole = recovered.is_ok();
    let diagnostics = recovered.diagnostics();
    LineKind::Expression {
        diagnostics,
        query: recovered.query,
        whole,
    }
}

/// The UTF-16 column of byte offset `at` of `line`.
pub(crate) fn column(line: &str, at: usize) -> u32 {
    let at = at.min(line.len());
    let mut end = at;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line[..end].encode_utf16().count() as u32
}

/// The byte offset of UTF-16 column `col` of `line` (past the end: the end; inside a character
/// that takes two units: its start).
pub(crate) fn offset(line: &str, col: u32) -> usize {
    let mut units = 0u32;
    for (i, c) in line.char_indices() {
        let next = units + c.len_utf16() as u32;
        if next > col {
            return i;
        }
        units = next;
    }
    line.len()
}

/// The range of bytes `start..end` of line `number`.
pub(crate) fn range(number: usize, line: &str, start: usize, end: usize) -> Range {
    let n = number as u32;
    Range::new(
        Position::new(n, column(line, start)),
        Position::new(n, column(line, end)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // `é` is one unit (two bytes), `😀` two units (four bytes).
        let line = "é😀a";
        assert_eq!(column(line, 0), 0);
        assert_eq!(column(line, 2), 1);
        assert_eq!(column(line, 6), 3);
        assert_eq!(column(line, 7), 4);
        assert_eq!(offset(line, 1), 2);
        assert_eq!(offset(line, 2), 2, "inside the emoji: its start");
        assert_eq!(offset(line, 3), 6);
        assert_eq!(offset(line, 9), 7);
        assert_eq!(column(line, 3), 1, "inside a character: its start");
    }

    #[test]
    fn lines_are_expressions_or_blank() {
        let d = Document::new("a:1\r\n# a comment\n\n  title: x\n");
        assert_eq!(d.lines.len(), 5);
        assert_eq!(d.lines[0].text, "a:1");
        assert!(matches!(d.lines[1].kind, LineKind::Blank));
        assert!(matches!(d.lines[2].kind, LineKind::Blank));
        match &d.lines[3].kind {
            LineKind::Expression {
                diagnostics, whole, ..
            } => {
                assert!(!whole);
                assert_eq!(diagnostics[0].code, "space-in-term");
            }
            LineKind::Blank => panic!("an expression"),
        }
    }
}
