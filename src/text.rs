//! Text that comes from outside — a server's message, a line of an input file — made safe to
//! show: control characters escaped, so none reaches a terminal as a control sequence, and long
//! text cut at a character boundary.

use std::borrow::Cow;
use std::fmt::Write;

/// `s` with every control character (ESC, CR, LF, BEL, DEL, C1 controls, ...) written as an
/// escape: `\r`, `\n`, `\t`, or `\u{1b}` for the others. Borrows when there is none.
///
/// ```
/// assert_eq!(driftql::text::escape_control("a\u{1b}[2Jb\r"), r"a\u{1b}[2Jb\r");
/// assert_eq!(driftql::text::escape_control("plain é"), "plain é");
/// ```
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// At most `max_chars` characters of `s`, control characters escaped, with `…` when it was cut.
///
/// ```
/// assert_eq!(driftql::text::excerpt("abcdef", 3), "abc…");
/// assert_eq!(driftql::text::excerpt("ab\u{7}", 3), r"ab\u{7}");
/// ```
pub fn excerpt(s: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    for c in chars.by_ref().take(max_chars) {
        push_escaped(&mut out, c);
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_escaped() {
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            let e = escape_control(&c.to_string()).into_owned();
            assert!(e.starts_with('\\'), "{c:?} gave {e:?}");
            assert!(!e.chars().any(char::is_control), "{c:?} gave {e:?}");
        }
        assert!(matches!(escape_control("no controls"), Cow::Borrowed(_)));
    }
}
