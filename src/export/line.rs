//! One line of line input: a report, a results page or an array of reports.

use std::fmt;
use std::io;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::error::Category;
use serde_json::value::RawValue;

use super::{Bad, Found, Position, Sink, located, offset};
use crate::report::fast::{self, Room};
use crate::report::{ReportFields, ReportRef, read_key};

/// Whether `line` is the start of a JSON value that goes on over the next lines.
pub(super) fn starts_document(line: &[u8]) -> bool {
    serde_json::from_slice::<IgnoredAny>(line).is_err_and(|e| e.classify() == Category::Eof)
}

/// Reads one line (`raw`: its bytes without the `\n`) and gives what it holds to `sink`.
pub(super) fn read(number: u64, raw: &[u8], sink: &mut impl Sink) -> io::Result<()> {
    read_with(number, raw, Some(&Room::default()), sink)
}

/// [`read`], with the fast reader of plain reports (`fast`: the room it reads items into, see
/// [`Room`]) or with serde alone; what is read is the same either way.
pub(super) fn read_with(
    number: u64,
    raw: &[u8],
    fast: Option<&Room>,
    sink: &mut impl Sink,
) -> io::Result<()> {
    let text = raw.trim_ascii();
    let at = Position::new(number, Some(offset_in(text, raw) + 1));
    // UTF-8 checked once for the whole line, then read as text: serde_json then need not check
    // each string again. A line that is not UTF-8 is read as bytes, for serde_json's message.
    let utf8 = std::str::from_utf8(text).ok();
    if text.first() == Some(&b'[') {
        let reports = match utf8 {
            Some(t) => serde_json::from_str::<Vec<&RawValue>>(t),
            None => serde_json::from_slice::<Vec<&RawValue>>(text),
        };
        return match reports {
            Ok(reports) => each_report(&reports, raw, number, sink),
            Err(e) => bad(sink, at, &e),
        };
    }
    // Most reports are in the plain shape the fast reader takes; it declines the rest, which
    // serde reads (and words the error for).
    if let Some(report) = utf8.zip(fast).and_then(|(t, room)| fast::read_in(t, room)) {
        return sink.report(Found { report, raw, at });
    }
    let value = match utf8 {
        Some(t) => serde_json::from_str::<LineValue>(t),
        None => serde_json::from_slice::<LineValue>(text),
    };
    match value {
        Ok(LineValue::Report(report)) => sink.report(Found { report, raw, at }),
        Ok(LineValue::Page(results)) => {
            match serde_json::from_str::<Option<Vec<&RawValue>>>(results.get()) {
                Ok(reports) => each_report(&reports.unwrap_or_default(), raw, number, sink),
                Err(e) => {
                    let at = Position::new(number, Some(offset_in(results.get(), raw) + 1));
                    let (relative, message) = located(&e);
                    sink.bad(Bad {
                        at: offset(at, relative),
                        message: format!("`results`: {message}"),
                        fatal: false,
                    })
                }
            }
        }
        Err(e) => bad(sink, at, &e),
    }
}

/// The reports of an array or page that is all on one line.
fn each_report(
    reports: &[&RawValue],
    line: &[u8],
    number: u64,
    sink: &mut impl Sink,
) -> io::Result<()> {
    for raw in reports {
        let at = Position::new(number, Some(offset_in(raw.get(), line) + 1));
        match serde_json::from_str::<ReportRef>(raw.get()) {
            Ok(report) => sink.report(Found {
                report,
                raw: raw.get().as_bytes(),
                at,
            })?,
            Err(e) => bad(sink, at, &e)?,
        }
    }
    Ok(())
}

/// Tells `sink` of a bad value at `at`, whose error is `e`.
pub(super) fn bad(sink: &mut impl Sink, at: Position, e: &serde_json::Error) -> io::Result<()> {
    let (relative, message) = located(e);
    sink.bad(Bad {
        at: offset(at, relative),
        message,
        fatal: false,
    })
}

/// The byte offset of `part` in `whole`, which holds it (0 when it does not).
fn offset_in(part: impl AsRef<[u8]>, whole: &[u8]) -> u64 {
    (part.as_ref().as_ptr() as usize)
        .checked_sub(whole.as_ptr() as usize)
        .filter(|&o| o <= whole.len())
        .map_or(0, |o| o as u64)
}

/// What an object on a line is: a results page (it has `results`) or a report.
enum LineValue<'a> {
    Report(ReportRef<'a>),
    Page(&'a RawValue),
}

impl<'de: 'a, 'a> Deserialize<'de> for LineValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LineValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a report, a results page or an array of reports")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = ReportFields::new();
                let mut results = None;
                while let Some(key) = read_key(&mut map)? {
                    if key == "results" {
                        if results.is_some() {
                            return Err(de::Error::custom(
                                "the key `results` appears twice in a results page",
                            ));
                        }
                        // From here on the object is a page: its other keys are skipped.
                        results = Some(map.next_value()?);
                    } else if results.is_some() {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        fields.read(key, &mut map)?;
                    }
                }
                match results {
                    Some(r) => Ok(LineValue::Page(r)),
                    None => fields.finish().map(LineValue::Report),
                }
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::seen_in;

    const R: &str = r#"{"date":"2024-01-02","id":"a","items":[]}"#;

    fn seen(text: &str) -> Vec<String> {
        seen_in(text.as_bytes(), 1 << 20).unwrap()
    }

    #[test]
    fn each_report_and_each_bad_one_is_found_at_its_column() {
        // A report after spaces; the reports of an array and of a page, each at its own `{`.
        let got = seen(&format!(
            "{R}\n   {R}\n[{R}, {R}]\n{{\"page\":0,\"results\":[ {R}]}}\n"
        ));
        assert_eq!(
            got,
            [
                format!("1:1 {R}"),
                format!("2:4    {R}"),
                format!("3:2 {R}"),
                format!("3:{} {R}", 2 + R.len() + 2),
                format!("4:23 {R}"),
            ]
        );
        // What is wrong inside a value: its column in the line, not in the value.
        let got = seen(&format!(
            "{R}\n[{R}, {{\"id\": 5}}]\n{{\"page\":0,\"results\": 5}}\n  {{\"id\": true}}\n"
        ));
        assert_eq!(got.len(), 5, "{got:#?}");
        assert_eq!(got[1], format!("2:2 {R}"));
        let column = 2 + R.len() + 2;
        assert!(
            got[2].starts_with(&format!("2:{} BAD a report's `id` must be", column + 7)),
            "{got:#?}"
        );
        assert!(
            got[3].starts_with("3:22 BAD `results`: invalid type: integer `5`"),
            "{got:#?}"
        );
        assert!(got[4].starts_with("4:13 BAD a report's `id`"), "{got:#?}");
        assert_eq!(
            seen(&format!("{R}\n \"text\"\n")),
            [
                format!("1:1 {R}"),
                "2:7 BAD invalid type: string \"text\", expected a report, a results page or an \
                 array of reports"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn blank_lines_are_nothing_and_the_rest_is_counted() {
        use super::super::{Counts, ReadOptions, read};
        let input = format!("{R}\n\n   \r\n{R}\n[{R}, 1]\nx\n\n");
        let mut seen = super::super::tests::Seen::default();
        let counts = read(input.as_bytes(), &ReadOptions::default(), &mut seen).unwrap();
        assert_eq!(counts, Counts { reports: 3, bad: 2 });
        assert_eq!(seen.0.len(), 5, "{:#?}", seen.0);
        assert!(seen.0[0].starts_with("1:1 ") && seen.0[1].starts_with("4:1 "));
        assert!(seen.0[4].starts_with("6:1 BAD "), "{:#?}", seen.0);
    }
}
