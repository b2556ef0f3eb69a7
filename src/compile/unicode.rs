//! The evaluator's case and word rules as data the engines can apply: generated from the same
//! Rust functions the [`Matcher`](crate::Matcher) calls, so an engine that applies them
//! lowercases and splits exactly as the evaluator does, whatever its own Unicode tables say.

use std::fmt::Write;
use std::sync::OnceLock;

use crate::eval::lower_char;

/// What lowercasing does to the characters it changes.
pub(crate) struct Lowering {
    /// Characters that lowercase to one other character, and that character (same order).
    pub(crate) from: String,
    pub(crate) to: String,
    /// Characters that lowercase to more than one character (`İ` → `i̇`).
    pub(crate) expansions: Vec<(char, String)>,
}

/// Every character, in order.
fn all_chars() -> impl Iterator<Item = char> {
    (0..=u32::from(char::MAX)).filter_map(char::from_u32)
}

/// The evaluator's lowercasing, as a table (built once).
pub(crate) fn lowering() -> &'static Lowering {
    static TABLE: OnceLock<Lowering> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Lowering {
            from: String::new(),
            to: String::new(),
            expansions: Vec::new(),
        };
        for c in all_chars() {
            let lower: String = lower_char(c).collect();
            let mut chars = lower.chars();
            match (chars.next(), chars.next()) {
                (Some(l), None) if l == c => {}
                (Some(l), None) => {
                    table.from.push(c);
                    table.to.push(l);
                }
                _ => table.expansions.push((c, lower)),
            }
        }
        table
    })
}

/// The ranges of word characters (`char::is_alphanumeric`), inclusive.
fn word_ranges() -> &'static [(char, char)] {
    static RANGES: OnceLock<Vec<(char, char)>> = OnceLock::new();
    RANGES.get_or_init(|| {
        let mut ranges: Vec<(char, char)> = Vec::new();
        for c in all_chars().filter(|c| c.is_alphanumeric()) {
            match ranges.last_mut() {
                Some((_, end)) if u32::from(*end) + 1 == u32::from(c) => *end = c,
                _ => ranges.push((c, c)),
            }
        }
        ranges
    })
}

/// A regular-expression class (RE2 and Java syntax) of the word characters, `negated` for the
/// separators: `[\x{30}-\x{39}...]`.
pub(crate) fn word_class(negated: bool) -> &'static str {
    static CLASSES: OnceLock<[String; 2]> = OnceLock::new();
    let classes = CLASSES.get_or_init(|| {
        let mut body = String::new();
        for &(a, b) in word_ranges() {
            if a == b {
                let _ = write!(body, "\\x{{{:x}}}", u32::from(a));
            } else {
                let _ = write!(body, "\\x{{{:x}}}-\\x{{{:x}}}", u32::from(a), u32::from(b));
            }
        }
        [format!("[{body}]"), format!("[^{body}]")]
    });
    &classes[usize::from(negated)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::lowercase;

    #[test]
    fn the_table_lowercases_as_the_evaluator_does() {
        let table = lowering();
        let apply = |s: &str| -> String {
            let mut out = String::new();
            for c in s.chars() {
                if let Some((_, e)) = table.expansions.iter().find(|(x, _)| *x == c) {
                    out.push_str(e);
                } else if let Some(i) = table.from.chars().position(|x| x == c) {
                    out.push(table.to.chars().nth(i).unwrap());
                } else {
                    out.push(c);
                }
            }
            out
        };
        for s in [
            "ABC",
            "ΟΔΟΣ",
            "οδος",
            "İstanbul",
            "\u{212a}elvin",
            "Straße",
            "ǅ",
            "𐐀",
        ] {
            assert_eq!(apply(s), lowercase(s), "{s}");
        }
        assert_eq!(table.expansions, [('İ', "i\u{307}".to_owned())]);
        assert!(table.from.contains('ς') && table.from.contains('A'));
        assert!(!table.from.contains('a'));
    }

    #[test]
    fn the_word_class_holds_exactly_the_alphanumeric_characters() {
        let inside = |c: char| word_ranges().iter().any(|&(a, b)| a <= c && c <= b);
        for c in all_chars() {
            assert_eq!(inside(c), c.is_alphanumeric(), "{c:?}");
        }
        assert!(word_class(false).starts_with("[\\x{30}-\\x{39}\\x{41}-\\x{5a}"));
        assert!(word_class(true).starts_with("[^\\x{30}"));
    }
}
