//! The canonical printer (the crate docs' "Canonical form"): `Display` on [`Expr`], [`Term`] and [`Query`].
//!
//! - Operators in lowercase, one space either side; `not` followed by one space.
//! - Every `and`/`or` group in parentheses, the outermost included; a lone term has none.
//! - A term is `type[;context](:|=)value[*]` with the type in lowercase.
//! - A value is bare when it is non-empty and has no whitespace, control character, `(`, `)`,
//!   `"`, `\` or `*`; otherwise it is quoted, escaping only `"` and `\`. A context is bare when
//!   none of its characters is whitespace, a control character, `:`, `=`, `;`, `(`, `)`, `"` or
//!   `\` (the empty context is bare). So a value that holds a control character (an escape
//!   sequence, a carriage return) stays visibly one value.
//!
//! Decision: "whitespace" here is any Unicode white space (`char::is_whitespace`), not only the four
//! characters the grammar separates tokens with, so a value holding a no-break space or an
//! ideographic space is quoted and visible as one value. Both forms parse to the same tree.

use std::fmt::{self, Write};

use crate::ast::{Expr, Term};

/// Whether a value can be printed without quotes.
pub(crate) fn value_is_bare(value: &str) -> bool {
    !value.is_empty() && is_bare(value, b"()\"\\*")
}

/// Whether a context can be printed without quotes.
pub(crate) fn context_is_bare(context: &str) -> bool {
    is_bare(context, b":=;()\"\\")
}

/// Whether `s` has no white space (Unicode's definition), no control character and none of the
/// ASCII `specials`. ASCII text, the common case, is checked byte by byte.
fn is_bare(s: &str, specials: &[u8]) -> bool {
    if s.is_ascii() {
        s.bytes()
            .all(|b| !b.is_ascii_whitespace() && !b.is_ascii_control() && !specials.contains(&b))
    } else {
        let special = |c: char| c.is_ascii() && specials.contains(&(c as u8));
        s.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !special(c))
    }
}

/// Writes `s` in double quotes, escaping `"` and `\`.
fn write_quoted(f: &mut impl Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut rest = s;
    while let Some(i) = rest.find(['"', '\\']) {
        f.write_str(&rest[..i])?;
        f.write_char('\\')?;
        f.write_str(&rest[i..i + 1])?;
        rest = &rest[i + 1..];
    }
    f.write_str(rest)?;
    f.write_char('"')
}

/// Writes a value in canonical form: bare when possible, else quoted.
pub(crate) fn write_value(f: &mut impl Write, value: &str) -> fmt::Result {
    if value_is_bare(value) {
        f.write_str(value)
    } else {
        write_quoted(f, value)
    }
}

/// Writes a term in canonical form.
fn write_term(f: &mut impl Write, t: &Term) -> fmt::Result {
    f.write_str(t.ty())?;
    if let Some(ctx) = t.context() {
        f.write_char(';')?;
        if context_is_bare(ctx) {
            f.write_str(ctx)?;
        } else {
            write_quoted(f, ctx)?;
        }
    }
    f.write_char(t.op().as_char())?;
    write_value(f, t.value())?;
    if t.is_prefix() {
        f.write_char('*')?;
    }
    Ok(())
}

/// Writes an expression in canonical form. Generic over the writer, so printing into a `String`
/// ([`Expr::canonical`]) pushes straight onto it, without the formatter's indirection.
pub(crate) fn write_expr(f: &mut impl Write, e: &Expr) -> fmt::Result {
    match e {
        Expr::Term(t) => write_term(f, t),
        Expr::Not { operand, .. } => {
            f.write_str("not ")?;
            write_expr(f, operand)
        }
        Expr::And(g) | Expr::Or(g) => {
            let sep = if matches!(e, Expr::And(_)) {
                " and "
            } else {
                " or "
            };
            f.write_char('(')?;
            for (i, operand) in g.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write_expr(f, operand)?;
            }
            f.write_char(')')
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_term(f, self)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self)
    }
}

impl Expr {
    /// The canonical form, as `to_string()` gives it, printed straight into a `String` sized
    /// for `size_hint` bytes (the length of the source is a good guess).
    pub fn canonical(&self, size_hint: usize) -> String {
        let mut out = String::with_capacity(size_hint + size_hint / 8 + 8);
        write_expr(&mut out, self).expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_fast_path_agrees_with_unicode_white_space() {
        for b in 0u8..128 {
            let c = b as char;
            let s = c.to_string();
            let expected = !c.is_whitespace() && !c.is_control() && !"()\"\\*".contains(c);
            assert_eq!(value_is_bare(&s), expected, "{b:#x}");
            // The same character beside a non-ASCII one takes the other path.
            assert_eq!(value_is_bare(&format!("é{c}")), expected, "é{b:#x}");
        }
        assert!(!value_is_bare("a\u{a0}b"));
        // Control characters, ASCII or not, are quoted: ESC, BEL, DEL, and C1's CSI.
        for c in ["\u{1b}[31m", "a\u{7}", "a\u{7f}", "é\u{9b}"] {
            assert!(!value_is_bare(c) && !context_is_bare(c), "{c:?}");
        }
        assert!(!context_is_bare("a\u{3000}b"));
        assert!(context_is_bare("") && !value_is_bare(""));
    }
}
