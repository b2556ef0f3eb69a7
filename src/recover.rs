//! Parsing that reports every syntax error of the input: [`parse_recovering`].

use crate::ast::Span;
use crate::diagnostic::Diagnostic;
use crate::parse::{ParseError, SyntaxErrorKind, parse_expr};
use crate::query::Query;

/// The most errors recovery reports; past them, it stops.
pub const MAX_ERRORS: usize = 64;

/// The outcome of [`parse_recovering`]: every syntax error, in the order of the input's
/// mending, and the query of what parsed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Recovered {
    /// The terms that parsed, as a query over the input (see [`parse_recovering`]); the
    /// strict parse's query when there is no error.
    pub query: Option<Query>,
    /// Every syntax error, each with its code, span (into the input), line, column and help;
    /// sorted by position.
    pub errors: Vec<ParseError>,
}

impl Recovered {
    /// Whether the input parsed without error.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every finding about the input, sorted by position: each syntax error, and the lints
    /// ([`Query::validate`]) of what parsed. What `driftql check`, the language server and the
    /// Python package's `check` report.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut diagnostics: Vec<Diagnostic> =
            self.errors.iter().map(|e| e.diagnostic().clone()).collect();
        if let Some(q) = &self.query {
            diagnostics.extend(q.validate());
        }
        diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        diagnostics
    }
}

/// An edit of the text being mended: at `at` (in the text before the edit), `removed` bytes
/// replaced by `inserted` ones.
#[derive(Clone, Copy, Debug)]
struct Edit {
    at: usize,
    removed: usize,
    inserted: usize,
}

/// A term put in where a broken one was, never part of the result: a term of the language
/// that parses alone.
const PLACEHOLDER: &str = "_:_";

/// Parses `input`, reporting every syntax error at once, and the query of the terms that did
/// parse.
///
/// ```
/// let r = driftql::parse_recovering("geo-country:ru and title: login or port-tcp:443 )");
/// let codes: Vec<_> = r.errors.iter().map(|e| e.code()).collect();
/// assert_eq!(codes, ["space-in-term", "unbalanced-parenthesis"]);
/// // What parsed, without the broken term; its lints still run.
/// let q = r.query.unwrap();
/// assert_eq!(q.to_string(), "(geo-country:ru or port-tcp:443)");
/// assert_eq!(q.validate()[0].code, "keyword-only-type");
/// ```
///
/// # How
///
/// The strict parser ([`crate::parse`]) runs first: on valid input, recovery costs nothing and
/// gives the same query. On an error, the error is kept, the text is mended where it is wrong,
/// and the strict parser runs again, until it succeeds (or up to [`MAX_ERRORS`] errors):
///
/// | error | mended by |
/// |---|---|
/// | `missing-operator` | an `and` between the two operands (the second is dropped when it is no term: a bare word) |
/// | `space-in-term`, `dangling-escape` | removing the space or the `\` |
/// | `missing-operand` | removing the operator that has no operand |
/// | `unbalanced-parenthesis` | removing a stray `)`, or closing an open `(` at the end |
/// | `missing-type`, `missing-value`, `misplaced-wildcard`, `empty-group`, `syntax` | dropping the broken term or group |
/// | `unterminated-string` | dropping the rest of the input, which the string would hold |
/// | `empty-expression`, `too-deep` | nothing: there is no tree |
///
/// # The tree
///
/// The query holds the terms that parsed as written, and only those: a term the mending
/// touched (joined, cut, or put in) is left out, so that every term, and every lint about
/// it, stands at its place in the input. Its spans and its [`source`](crate::Query::source)
/// are the input's. It is `None` when nothing parsed.
pub fn parse_recovering(input: &str) -> Recovered {
    match parse_expr(input) {
        Ok(expr) => Recovered {
            query: Some(Query::from_parts(input.to_owned(), expr)),
            errors: Vec::new(),
        },
        Err(e) => recover(input, e),
    }
}

fn recover(input: &str, first: ParseError) -> Recovered {
    let mut text = input.to_owned();
    let mut edits: Vec<Edit> = Vec::new();
    let mut errors: Vec<ParseError> = Vec::new();
    let mut error = first;
    let expr = loop {
        let span = error.span();
        let original = to_input(&edits, span);
        errors.push(error.relocated(input, original));
        if errors.len() >= MAX_ERRORS {
            break None;
        }
        let Some((range, with)) = mend(&text, &error) else {
            break None;
        };
        if range.is_empty() && with.is_empty() {
            break None;
        }
        text.replace_range(range.clone(), &with);
        edits.push(Edit {
            at: range.start,
            removed: range.len(),
            inserted: with.len(),
        });
        match parse_expr(&text) {
            Ok(expr) => break Some(expr),
            Err(e) => error = e,
        }
    };
    errors.sort_by_key(|e| (e.span().start, e.span().end));
    errors.dedup_by(|a, b| a.span() == b.span() && a.kind() == b.kind());
    let query = expr
        .and_then(|e| e.without_terms(&|t| touched(&edits, t.span())))
        .map(|mut e| {
            e.map_spans(&|s| to_input(&edits, s));
            Query::from_parts(input.to_owned(), e)
        });
    Recovered { query, errors }
}

/// Whether an edit after the text's first version touched `span` (of the mended text): lay
/// inside it, or put it in.
fn touched(edits: &[Edit], span: Span) -> bool {
    // Walked back from the mended text to the input, the span moves with each edit.
    let mut s = span;
    for e in edits.iter().rev() {
        let end_of_new = e.at + e.inserted;
        // What was put in overlaps the span, or (nothing put in) a deletion's place is inside
        // it, e.g. a space that was removed.
        if s.start < end_of_new && s.end > e.at {
            return true;
        }
        s = Span::new(
            back_start(e, s.start),
            back_end(e, s.end).max(back_start(e, s.start)),
        );
    }
    false
}

/// Where a span that starts at `at`, after edit `e`, started before it. (A start at the place
/// of a deletion is the first character after what was deleted.)
fn back_start(e: &Edit, at: usize) -> usize {
    if at < e.at {
        at
    } else if at >= e.at + e.inserted {
        at - e.inserted + e.removed
    } else {
        e.at
    }
}

/// Where a span that ends at `at`, after edit `e`, ended before it. (An end at the place of a
/// deletion is the end of the character before what was deleted.)
fn back_end(e: &Edit, at: usize) -> usize {
    if at <= e.at {
        at
    } else if at >= e.at + e.inserted {
        at - e.inserted + e.removed
    } else {
        e.at
    }
}

/// A span of the mended text mapped back to the input.
fn to_input(edits: &[Edit], span: Span) -> Span {
    let (mut start, mut end) = (span.start, span.end);
    for e in edits.iter().rev() {
        start = back_start(e, start);
        end = back_end(e, end).max(start);
    }
    Span::new(start, end)
}

/// Whether `b` ends a token: whitespace or a parenthesis.
fn boundary(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')')
}

/// The token around `at`: from the boundary before it to the boundary after it, a quoted
/// string (up to its closing quote) counting as part of the token.
fn token_around(text: &str, at: usize) -> std::ops::Range<usize> {
    let bytes = text.as_bytes();
    let at = at.min(bytes.len());
    let start = bytes[..at]
        .iter()
        .rposition(|&b| boundary(b))
        .map_or(0, |i| i + 1);
    start..token_end(text, start).max(at)
}

/// Where the token that starts at `start` ends: at the first boundary outside quotes.
fn token_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut quoted = false;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => quoted = !quoted,
            b if !quoted && boundary(b) => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// Whether the token `word` is a bare word: not a term, a keyword or a parenthesis.
fn bare_word(word: &str) -> bool {
    !word.is_empty()
        && !["and", "or", "not"]
            .iter()
            .any(|k| word.eq_ignore_ascii_case(k))
        && crate::parse(word).is_err()
}

/// How to mend `text` where `error` is: the range to replace, and with what; `None` when the
/// error leaves nothing to recover.
fn mend(text: &str, error: &ParseError) -> Option<(std::ops::Range<usize>, String)> {
    let span = error.span();
    let (start, end) = (span.start.min(text.len()), span.end.min(text.len()));
    let placeholder = |range: std::ops::Range<usize>| {
        // Spaced out, so that it stands apart from its neighbours.
        let before = range.start > 0 && !boundary(text.as_bytes()[range.start - 1]);
        let after = range.end < text.len() && !boundary(text.as_bytes()[range.end]);
        let mut with = String::new();
        if before {
            with.push(' ');
        }
        with.push_str(PLACEHOLDER);
        if after {
            with.push(' ');
        }
        Some((range, with))
    };
    match error.kind() {
        SyntaxErrorKind::EmptyExpression | SyntaxErrorKind::TooDeep => None,
        SyntaxErrorKind::MissingOperator => {
            // An `and` before the second operand; the operand is kept when it is a term or a
            // group, and dropped with the bare words after it when it is a bare word (the rest
            // of an unquoted phrase).
            let space = if text.as_bytes()[..start]
                .last()
                .is_some_and(|&b| !boundary(b))
            {
                " "
            } else {
                ""
            };
            let operand = &text[start..end];
            if crate::parse(operand).is_ok() || operand.starts_with('(') {
                Some((start..start, format!("{space}and ")))
            } else {
                let mut range = token_around(text, start);
                loop {
                    let rest = &text[range.end..];
                    let next = range.end + (rest.len() - rest.trim_start().len());
                    let word_end = token_end(text, next);
                    if next == range.end || !bare_word(&text[next..word_end]) {
                        break;
                    }
                    range.end = word_end;
                }
                Some((range, format!("{space}and {PLACEHOLDER}")))
            }
        }
        SyntaxErrorKind::SpaceInTerm | SyntaxErrorKind::DanglingEscape => {
            // The space, or the `\` (the span is never empty).
            Some((start..end, String::new()))
        }
        SyntaxErrorKind::MissingOperand => Some((start..end, String::new())),
        SyntaxErrorKind::UnbalancedParenthesis => match text.as_bytes().get(start) {
            Some(b')') => Some((start..start + 1, String::new())),
            _ => Some((text.len()..text.len(), ")".into())),
        },
        SyntaxErrorKind::EmptyGroup => placeholder(start..end),
        SyntaxErrorKind::UnterminatedString => {
            let from = token_around(text, start).start.min(start);
            placeholder(from..text.len())
        }
        SyntaxErrorKind::MissingType
        | SyntaxErrorKind::MissingValue
        | SyntaxErrorKind::MisplacedWildcard
        | SyntaxErrorKind::Syntax => {
            let range = token_around(text, start);
            if range.is_empty() {
                // Nothing but a boundary there: remove that one character.
                let next = text[start..].chars().next()?.len_utf8();
                Some((start..start + next, String::new()))
            } else {
                placeholder(range)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(input: &str) -> (Vec<&'static str>, Option<String>) {
        let r = parse_recovering(input);
        for e in &r.errors {
            let s = e.span();
            assert!(
                s.end <= input.len()
                    && input.is_char_boundary(s.start)
                    && input.is_char_boundary(s.end)
            );
        }
        (
            r.errors.iter().map(ParseError::code).collect(),
            r.query.map(|q| q.to_string()),
        )
    }

    #[test]
    fn valid_input_is_the_strict_parse() {
        let r = parse_recovering("a:1 AND (b:2 or c:3)");
        assert!(r.is_ok());
        assert_eq!(
            r.query.unwrap(),
            crate::parse("a:1 and (b:2 or c:3)").unwrap()
        );
    }

    #[test]
    fn independent_errors_are_all_reported() {
        assert_eq!(
            codes("title: foo and geo-country=US and port-tcp:44*3"),
            (
                vec!["space-in-term", "misplaced-wildcard"],
                Some("geo-country=US".into())
            )
        );
        assert_eq!(
            codes("a:1 and and b:2 or (c:3 d:4) or e:5)"),
            (
                vec![
                    "missing-operand",
                    "missing-operator",
                    "unbalanced-parenthesis"
                ],
                Some("((a:1 and b:2) or (c:3 and d:4) or e:5)".into())
            )
        );
        assert_eq!(
            codes("cherrypy or ti$le:x or host:"),
            (vec!["missing-type", "syntax", "missing-value"], None)
        );
        assert_eq!(
            codes("a:1 or title:\"open"),
            (vec!["unterminated-string"], Some("a:1".into()))
        );
        assert_eq!(codes("   ").0, ["empty-expression"]);
    }

    #[test]
    fn kept_terms_stand_where_they_were_written() {
        let input = "é:1 and title: x and  port-tcp:443";
        let r = parse_recovering(input);
        let q = r.query.unwrap();
        let t = q.expr().terms().last().unwrap();
        assert_eq!(&input[t.span().range()], "port-tcp:443");
        assert_eq!(q.source(), input);
    }

    const EDIT: Edit = Edit {
        at: 5,
        removed: 2,
        inserted: 3,
    };

    /// Positions after an edit map back: before it unchanged, after it shifted by what it
    /// changed in length, inside what it put in to where it was.
    #[test]
    fn positions_map_back_across_an_edit() {
        for (at, start, end) in [
            (0, 0, 0),
            (4, 4, 4),
            (5, 5, 5),
            (6, 5, 5),
            (7, 5, 5),
            (8, 7, 7),
            (12, 11, 11),
        ] {
            assert_eq!(
                (back_start(&EDIT, at), back_end(&EDIT, at)),
                (start, end),
                "{at}"
            );
        }
        let deletion = Edit {
            at: 3,
            removed: 1,
            inserted: 0,
        };
        assert_eq!((back_start(&deletion, 3), back_end(&deletion, 3)), (4, 3));
        // Walked back through two edits, the later one first.
        let later = Edit {
            at: 0,
            removed: 0,
            inserted: 4,
        };
        assert_eq!(
            to_input(&[EDIT, later], Span::new(12, 16)),
            Span::new(7, 11)
        );
        assert_eq!(to_input(&[EDIT, later], Span::new(0, 2)), Span::new(0, 0));
        assert_eq!(to_input(&[], Span::new(2, 3)), Span::new(2, 3));
    }

    /// A span is touched when an edit put text into it or took text out of its inside.
    #[test]
    fn a_span_is_touched_by_what_an_edit_put_in_or_took_out() {
        let e = [EDIT];
        assert!(touched(&e, Span::new(5, 8)));
        assert!(touched(&e, Span::new(7, 9)));
        assert!(touched(&e, Span::new(2, 6)));
        assert!(!touched(&e, Span::new(0, 5)));
        assert!(!touched(&e, Span::new(8, 12)));
        let deletion = [Edit {
            at: 3,
            removed: 1,
            inserted: 0,
        }];
        assert!(touched(&deletion, Span::new(1, 5)));
        assert!(!touched(&deletion, Span::new(3, 5)));
        assert!(!touched(&deletion, Span::new(0, 3)));
        // An earlier edit is found through a later one that moved the span.
        let both = [
            deletion[0],
            Edit {
                at: 0,
                removed: 0,
                inserted: 2,
            },
        ];
        assert!(touched(&both, Span::new(3, 7)));
        assert!(!touched(&both, Span::new(5, 7)));
        assert!(touched(&both, Span::new(0, 1)));
    }

    #[test]
    fn tokens_run_between_boundaries_and_hold_quoted_text() {
        let text = r#"ab title:"x y"z (c) d\ e"#;
        assert_eq!(token_around(text, 1), 0..2);
        assert_eq!(token_around(text, 0), 0..2);
        assert_eq!(token_around(text, 5), 3..15);
        assert_eq!(token_end(text, 3), 15);
        assert_eq!(token_around(text, 17), 17..18);
        assert_eq!(
            token_end(text, 20),
            24,
            "an escaped space is part of the token"
        );
        assert_eq!(
            token_around("ab cd", 99),
            3..5,
            "a position past the end is the end"
        );
        assert_eq!(token_end("a\"b c", 0), 5, "an open quote runs to the end");
        for b in [b' ', b'\t', b'\r', b'\n', b'(', b')'] {
            assert!(boundary(b), "{b}");
        }
        assert!(!boundary(b'a') && !boundary(b'"') && !boundary(b':'));
    }

    #[test]
    fn a_bare_word_is_no_term_and_no_keyword() {
        assert!(bare_word("cherrypy"));
        assert!(bare_word("ti$le"));
        for not_bare in ["", "and", "OR", "Not", "title:x", "a=1"] {
            assert!(!bare_word(not_bare), "{not_bare:?}");
        }
    }

    fn mended(text: &str) -> String {
        let e = parse_expr(text).unwrap_err();
        let (range, with) = mend(text, &e).unwrap();
        let mut t = text.to_owned();
        t.replace_range(range, &with);
        t
    }

    /// Each kind of error is mended as the table of `parse_recovering` says.
    #[test]
    fn each_error_is_mended_where_it_is() {
        assert_eq!(mended("a:1 b:2"), "a:1 and b:2");
        assert_eq!(mended("a:1 (b:2)"), "a:1 and (b:2)");
        assert_eq!(mended("a:1 foo bar or b:2"), "a:1 and _:_ or b:2");
        assert_eq!(mended("title: x"), "title:x");
        assert_eq!(mended("a:1 and"), "a:1 ");
        assert_eq!(mended("a:1)"), "a:1");
        assert_eq!(mended("(a:1"), "(a:1)");
        assert_eq!(mended("a:1 and ()"), "a:1 and _:_");
        assert_eq!(mended("a:1 or b:\"x y"), "a:1 or _:_");
        assert_eq!(mended("a:1 or port-tcp:"), "a:1 or _:_");
        assert_eq!(mended("a:1 or :x"), "a:1 or _:_");
        assert_eq!(mended("x:1 or ti*tle:y"), "x:1 or _:_");
        assert_eq!(mended("a:1 or b:x\\"), "a:1 or b:x");
        // A space goes in only where a neighbour would otherwise run into what is put in.
        assert_eq!(mended("a:1(b:2)"), "a:1 and (b:2)");
        assert_eq!(mended("a:1 and()"), "a:1 and _:_");
        assert_eq!(mended("a:1 or ()b:2"), "a:1 or _:_ b:2");
        assert_eq!(mended("(a:1 and ())"), "(a:1 and _:_)");
        let e = parse_expr("").unwrap_err();
        assert_eq!(mend("", &e), None);
    }

    /// Pest's own error (the fallback when the diagnosis finds nothing) can stand on a
    /// boundary, where there is no token to drop: that one character goes.
    #[test]
    fn an_error_on_a_boundary_removes_that_character() {
        let text = "a:1 ) or (b:2 ( ";
        for (at, removed) in [(4, 4..5), (14, 14..15), (15, 15..16)] {
            let e = ParseError::new(
                SyntaxErrorKind::Syntax,
                text,
                Span::new(at, at + 1),
                "unexpected",
                None,
            );
            assert_eq!(mend(text, &e), Some((removed, String::new())), "{at}");
        }
        let e = ParseError::new(
            SyntaxErrorKind::Syntax,
            text,
            Span::new(text.len(), text.len()),
            "unexpected end",
            None,
        );
        assert_eq!(mend(text, &e), None, "nothing to remove at the end");
    }
}
