//! Document input: JSON documents in any layout, each a report, a results page or an array of
//! reports, read value by value (an array's or a page's reports one at a time).

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{Bad, Found, Position, ReadError, Sink, located};
use crate::report::ReportRef;

/// Reads documents from `reader`, which starts at line `skipped + 1` of the input, each report
/// (and anything between reports) at most `max` bytes long.
pub(super) fn read<R: Read>(
    reader: R,
    skipped: u64,
    max: usize,
    sink: &mut impl Sink,
) -> Result<(), ReadError> {
    let state = Rc::new(State {
        newlines: Cell::new(skipped),
        since_mark: Cell::new(0),
    });
    // serde_json reads a byte at a time: the buffer goes under the counter, so that the newlines
    // counted are those read so far.
    let mut de = serde_json::Deserializer::from_reader(Counted {
        inner: io::BufReader::with_capacity(1 << 16, reader),
        state: Rc::clone(&state),
        max,
    });
    let mut documents = Documents {
        sink,
        state: &state,
        failed: None,
        scratch: Vec::new(),
    };
    loop {
        state.mark();
        match de.end() {
            Ok(()) => return Ok(()),
            Err(e) if e.is_io() => return Err(read_error(e)),
            Err(_) => {} // another value follows
        }
        let Err(e) = Document(&mut documents).deserialize(&mut de) else {
            continue;
        };
        if let Some(failed) = documents.failed.take() {
            return Err(ReadError::Stopped(failed));
        }
        if e.is_io() && !is_too_long(&e) {
            return Err(read_error(e));
        }
        let (_, message) = located(&e);
        let at = Position::new(
            skipped + e.line() as u64,
            Some(e.column() as u64).filter(|&c| c > 0),
        );
        return documents
            .sink
            .bad(Bad {
                at,
                message: format!("{message}; the rest of the input is not read"),
                fatal: true,
            })
            .map_err(ReadError::Stopped);
    }
}

fn read_error(e: serde_json::Error) -> ReadError {
    ReadError::Read(e.into())
}

/// What the documents' reader shares with the reader under it.
struct State {
    /// Newlines read so far, to place the reports.
    newlines: Cell<u64>,
    /// Bytes read since the last report ended.
    since_mark: Cell<usize>,
}

impl State {
    fn mark(&self) {
        self.since_mark.set(0);
    }
}

/// The message of the error that ends a report longer than the bound.
const TOO_LONG: &str = "a report longer than the line limit";

fn is_too_long(e: &serde_json::Error) -> bool {
    e.is_io() && e.to_string().contains(TOO_LONG)
}

/// Counts the newlines read through it, and refuses to read more than `max` bytes between
/// marks.
struct Counted<R> {
    inner: R,
    state: Rc<State>,
    max: usize,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.max.saturating_sub(self.state.since_mark.get());
        if room == 0 {
            return Err(io::Error::other(format!("{TOO_LONG} ({} bytes)", self.max)));
        }
        let len = buf.len().min(room);
        let n = self.inner.read(&mut buf[..len])?;
        let seen = memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        self.state.newlines.set(self.state.newlines.get() + seen);
        self.state.since_mark.set(self.state.since_mark.get() + n);
        Ok(n)
    }
}

struct Documents<'s, S: Sink> {
    sink: &'s mut S,
    state: &'s State,
    /// The sink's error, met inside a visitor, to be returned as such.
    failed: Option<io::Error>,
    /// Room to compact a report.
    scratch: Vec<u8>,
}

impl<S: Sink> Documents<'_, S> {
    /// The line a value just read started on, from the newlines read so far and those inside
    /// it. (serde_json stops reading right after a value's last byte.)
    fn start_line(&self, raw: &str) -> u64 {
        let inside = memchr::memchr_iter(b'\n', raw.as_bytes()).count() as u64;
        (self.state.newlines.get() + 1).saturating_sub(inside)
    }

    /// One report of a document: its text compacted, then given to the sink.
    fn report<E: de::Error>(&mut self, raw: &str, at: Position) -> Result<(), E> {
        self.state.mark();
        let given = match serde_json::from_str::<ReportRef>(raw) {
            Ok(report) => {
                self.scratch.clear();
                compact_json(raw.as_bytes(), &mut self.scratch);
                self.sink.report(Found {
                    report,
                    raw: &self.scratch,
                    at,
                })
            }
            Err(e) => super::line::bad(self.sink, at, &e),
        };
        given.map_err(|e| {
            self.failed = Some(e);
            E::custom("the reader stopped")
        })
    }

    /// The reports of an array.
    fn reports<'de, A: SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            let at = Position::new(self.start_line(raw.get()), None);
            self.report(raw.get(), at)?;
        }
        Ok(())
    }
}

/// One top-level JSON document: a report, a results page or an array of reports.
struct Document<'d, 's, S: Sink>(&'d mut Documents<'s, S>);

impl<'de, S: Sink> DeserializeSeed<'de> for Document<'_, '_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for Document<'_, '_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a report, a results page or an array of reports")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.reports(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let line = self.0.state.newlines.get() + 1;
        let mut fields: Vec<(String, Box<RawValue>)> = Vec::new();
        let mut page = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "results" && !page {
                map.next_value_seed(Results(&mut *self.0))?;
                page = true;
            } else {
                fields.push((key, map.next_value()?));
            }
        }
        if page {
            return Ok(());
        }
        // A report: put it back together (the report reader checks it, keys given twice
        // included), its values compacted.
        let mut json = Vec::with_capacity(
            fields
                .iter()
                .map(|(k, v)| k.len() + v.get().len() + 4)
                .sum(),
        );
        json.push(b'{');
        for (i, (key, value)) in fields.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            serde_json::to_writer(&mut json, key).map_err(de::Error::custom)?;
            json.push(b':');
            compact_json(value.get().as_bytes(), &mut json);
        }
        json.push(b'}');
        let json = String::from_utf8(json).map_err(de::Error::custom)?;
        self.0.report(&json, Position::new(line, None))
    }
}

/// The `results` of a results page in a document: an array of reports, or null.
struct Results<'d, 's, S: Sink>(&'d mut Documents<'s, S>);

impl<'de, S: Sink> DeserializeSeed<'de> for Results<'_, '_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for Results<'_, '_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`results` as an array of reports")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.reports(seq)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Appends `json`, a valid JSON text, without the whitespace outside its strings.
pub(super) fn compact_json(json: &[u8], out: &mut Vec<u8>) {
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            in_string = b == b'"';
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::seen_in;
    use super::*;

    fn seen(lines: &[&str]) -> Vec<String> {
        seen_in(lines.join("\n").as_bytes(), 1 << 20).unwrap()
    }

    fn compact(id: &str, day: &str) -> String {
        format!(r#"{{"date":"{day}","id":"{id}","items":[]}}"#)
    }

    #[test]
    fn each_report_is_found_at_the_line_it_starts_on() {
        let got = seen(&[
            "",
            "",
            "{",
            r#"  "date": "2024-01-02","#,
            r#"  "id": "a","#,
            r#"  "items": []"#,
            "}",
            "[",
            r#"  {"date": "2024-01-03", "id": "b", "items": []},"#,
            "",
            "  {",
            r#"    "date": "2024-01-04","#,
            r#"    "id": "c","#,
            r#"    "items": []"#,
            "  }",
            "]",
            r#"{"page": 0,"#,
            r#" "results": ["#,
            r#"  {"date": "2024-01-05", "id": "d", "items": []}"#,
            " ]}",
            "{",
            r#"  "summary": {}"#,
            "}",
            r#"{"page": 1, "results": null}"#,
            r#"{"page": 2, "results": [], "results": 7}"#,
            r#"{"results": ["#,
            r#"  {"date": "2024-01-06", "id": "e", "items": []}], "page": 3}"#,
        ]);
        assert_eq!(got.len(), 6, "{got:#?}");
        assert_eq!(got[0], format!("3 {}", compact("a", "2024-01-02")));
        assert_eq!(got[1], format!("9 {}", compact("b", "2024-01-03")));
        assert_eq!(got[2], format!("11 {}", compact("c", "2024-01-04")));
        assert_eq!(got[3], format!("19 {}", compact("d", "2024-01-05")));
        assert!(got[4].starts_with("21 BAD "), "{got:#?}");
        assert!(got[4].contains("not a report"), "{got:#?}");
        assert_eq!(got[5], format!("27 {}", compact("e", "2024-01-06")));
    }

    #[test]
    fn what_is_not_a_document_ends_the_reading_where_it_is() {
        let got = seen(&[
            "",
            "[",
            r#"  {"date": "2024-01-03", "id": "b", "items": []}"#,
            "]",
            r#""text""#,
            r#"{"date": "2024-01-04", "id": "c", "items": []}"#,
        ]);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert_eq!(
            got[1],
            "5:6 BAD! invalid type: string \"text\", expected a report, a results page or an \
             array of reports; the rest of the input is not read"
        );
        // A syntax error: where it is, in the input's lines.
        let got = seen(&["", "", "[", r#"  {"date": "2024-01-03", "id": x}"#, "]"]);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(
            got,
            ["4:32 BAD! expected value; the rest of the input is not read"]
        );
        // A report that is not one, over several lines: where in the input its fault is.
        let got = seen(&[
            "[",
            "  {",
            r#"    "date": "2024-01-03","#,
            r#"    "id": 5,"#,
            r#"    "items": []"#,
            "  }",
            "]",
        ]);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(got[0].starts_with("4:11 BAD a report's `id`"), "{got:#?}");
        // A page whose results are not an array of reports.
        let got = seen(&["{", r#"  "page": 0, "results": 7}"#]);
        assert_eq!(
            got,
            [
                "2:26 BAD! invalid type: integer `7`, expected `results` as an array of reports; \
              the rest of the input is not read"
            ]
        );
        // At the start of a line, the column is not told.
        let got = seen(&["", "{", r#"  "id": "x","#, ""]);
        assert_eq!(
            got,
            ["4 BAD! EOF while parsing a value; the rest of the input is not read"]
        );
    }

    #[test]
    fn the_bound_is_of_each_report_not_of_the_input() {
        // 40 documents of 46 bytes: far more than the bound together, each well within it.
        let one =
            |i: usize| format!("{{\n\"date\": \"2024-01-02\", \"id\": \"{i:02}\", \"items\": []}}");
        let input: Vec<String> = (0..40).map(one).collect();
        let got = seen_in(input.join("\n").as_bytes(), 100).unwrap();
        assert_eq!(got.len(), 40, "{got:#?}");
        assert!(got.iter().all(|g| !g.contains("BAD")), "{got:#?}");
        assert!(got[39].starts_with("79 "), "{got:#?}");
    }

    /// A reader that gives `text`, then fails once, then ends.
    struct Failing {
        text: io::Cursor<Vec<u8>>,
        failed: bool,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.text.read(buf)?;
            if n > 0 || self.failed {
                return Ok(n);
            }
            self.failed = true;
            Err(io::Error::other("the disk failed"))
        }
    }

    #[test]
    fn a_failing_input_is_an_error_not_a_bad_report() {
        for text in [
            // Inside a document, and between two.
            "[\n  {\"date\": \"2024-01-03\",",
            "[\n  {\"date\": \"2024-01-03\", \"id\": \"b\", \"items\": []}\n]\n",
        ] {
            let input = Failing {
                text: io::Cursor::new(text.as_bytes().to_vec()),
                failed: false,
            };
            match seen_in(input, 1 << 20) {
                Err(ReadError::Read(e)) => assert_eq!(e.to_string(), "the disk failed"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn compacting_keeps_strings() {
        let mut out = Vec::new();
        compact_json(
            b"{ \"a b\" : [ 1 ,\n\t2 ],\r\n \"c\\\" d\\\\\": \" x \" }",
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a b":[1,2],"c\" d\\":" x "}"#
        );
    }
}
