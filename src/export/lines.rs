//! Splitting input into lines with a bound on a line's length: a longer line is reported by its
//! length and skipped without being held.

use std::io::{self, Cursor, Read};
use std::ops::Range;

/// How much is read at a time, and the room kept between lines.
const CHUNK: usize = 256 * 1024;

/// One line of input.
pub(crate) enum Line<'a> {
    /// The line's bytes, without its `\n` (a `\r` before it stays).
    Text(&'a [u8]),
    /// A line longer than the bound: its length in bytes, without its `\n`.
    TooLong(u64),
}

/// What [`LineReader::take_lines`] gives.
pub(crate) enum Taken<'a> {
    /// Whole lines, each ended by its `\n`: the bytes of the spare buffer in this range.
    Buffer(Range<usize>),
    /// One line, as [`LineReader::next_line`] gives it.
    One(Line<'a>),
}

/// The whole lines at the start of the unread bytes: how many, and where they end (after the
/// last one's `\n`), from the start of the unread bytes.
struct WholeLines {
    count: u64,
    end: usize,
}

/// Reads lines from `reader`, keeping at most about `max + CHUNK` bytes.
pub(crate) struct LineReader<R> {
    reader: R,
    buf: Vec<u8>,
    /// Where the unread bytes of `buf` start and end.
    pos: usize,
    filled: usize,
    /// Where the last line returned started in `buf`.
    last: usize,
    eof: bool,
    max: usize,
    /// How many lines have been returned.
    number: u64,
    /// Whether the start of the input has been looked at for a byte order mark.
    started: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<R: Read> LineReader<R> {
    pub(crate) fn new(reader: R, max: usize) -> Self {
        LineReader {
            reader,
            buf: vec![0; CHUNK],
            pos: 0,
            filled: 0,
            last: 0,
            eof: false,
            max: max.max(1),
            number: 0,
            started: false,
        }
    }

    /// The next line and its 1-based number, or `None` at the end of the input. A UTF-8 byte
    /// order mark at the very start is dropped.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        loop {
            // Until the start is looked at, nothing has been taken from the buffer.
            if !self.started && (self.filled >= BOM.len() || self.eof) {
                self.started = true;
                if self.buf[..self.filled].starts_with(BOM) {
                    self.pos = BOM.len();
                }
            }
            if self.started {
                let unread = &self.buf[self.pos..self.filled];
                if let Some(i) = memchr::memchr(b'\n', unread) {
                    let start = self.pos;
                    self.pos += i + 1;
                    if i > self.max {
                        self.number += 1;
                        return Ok(Some((self.number, Line::TooLong(i as u64))));
                    }
                    return Ok(Some(self.line(start, start + i)));
                }
                if unread.len() > self.max {
                    return self.skip_long_line().map(Some);
                }
                if self.eof {
                    if unread.is_empty() {
                        return Ok(None);
                    }
                    let (start, end) = (self.pos, self.filled);
                    self.pos = end;
                    return Ok(Some(self.line(start, end)));
                }
            }
            self.fill()?;
        }
    }

    /// The next lines, with the number of the first, in a buffer handed over rather than lent:
    /// the buffer is filled as far as the input and its room allow, and when it then holds
    /// whole lines within the bound (up to one longer), they are `spare[range]` on return
    /// ([`Taken::Buffer`], each line ended by its `\n`) and the reader reads on in what `spare`
    /// was, its unread rest moved there (`spare` grows when it is too small). Otherwise one
    /// line, as [`next_line`](Self::next_line) gives it (a line too long, the last one without
    /// its `\n`, one longer than the buffer), and `spare` is left alone. After this,
    /// [`rest_from_last_line`](Self::rest_from_last_line) starts at the unread rest.
    pub(crate) fn take_lines(
        &mut self,
        spare: &mut Vec<u8>,
    ) -> io::Result<Option<(u64, Taken<'_>)>> {
        if self.started {
            while !self.eof && self.filled < self.buf.len() {
                let n = read_some(&mut self.reader, &mut self.buf[self.filled..])?;
                self.eof = n == 0;
                self.filled += n;
            }
        }
        if let Some(whole) = self.whole_lines() {
            let first = self.number + 1;
            let (start, end) = (self.pos, self.pos + whole.end);
            let rest = self.filled - end;
            if spare.len() < rest + CHUNK {
                spare.resize(rest + CHUNK, 0);
            }
            spare[..rest].copy_from_slice(&self.buf[end..self.filled]);
            std::mem::swap(&mut self.buf, spare);
            self.number += whole.count;
            (self.pos, self.filled, self.last) = (0, rest, 0);
            return Ok(Some((first, Taken::Buffer(start..end))));
        }
        Ok(self
            .next_line()?
            .map(|(number, line)| (number, Taken::One(line))))
    }

    /// The whole lines buffered up to the first longer than the bound, when there are some.
    fn whole_lines(&self) -> Option<WholeLines> {
        if !self.started {
            return None;
        }
        let unread = &self.buf[self.pos..self.filled];
        if unread.len() <= self.max {
            // No line in it is longer than the bound: all up to the last `\n`, counted at once.
            let end = memchr::memrchr(b'\n', unread)? + 1;
            let count = memchr::memchr_iter(b'\n', &unread[..end]).count() as u64;
            return Some(WholeLines { count, end });
        }
        let mut whole = WholeLines { count: 0, end: 0 };
        for end in memchr::memchr_iter(b'\n', unread) {
            if end - whole.end > self.max {
                break;
            }
            whole.end = end + 1;
            whole.count += 1;
        }
        (whole.count > 0).then_some(whole)
    }

    fn line(&mut self, start: usize, end: usize) -> (u64, Line<'_>) {
        self.number += 1;
        self.last = start;
        (self.number, Line::Text(&self.buf[start..end]))
    }

    /// Reads more input after the unread bytes, moving them to the front and growing the buffer
    /// when a line needs it (up to the bound).
    fn fill(&mut self) -> io::Result<()> {
        if self.pos != 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.pos = 0;
            self.last = 0;
        }
        if self.filled == self.buf.len() {
            // More than it holds: what it holds is within the bound (a longer line was
            // skipped), and the buffer grows to the bound and a chunk.
            let grown = (self.buf.len() * 2).min(self.max + CHUNK);
            self.buf.resize(grown, 0);
        } else if self.filled < CHUNK && self.buf.len() > 4 * CHUNK {
            // A long line has gone: give back its room.
            self.buf.truncate(CHUNK.max(self.filled));
            self.buf.shrink_to_fit();
        }
        let n = read_some(&mut self.reader, &mut self.buf[self.filled..])?;
        if n == 0 {
            self.eof = true;
        }
        self.filled += n;
        Ok(())
    }

    /// Drops the rest of a line that is already longer than the bound, reading up to its end.
    fn skip_long_line(&mut self) -> io::Result<(u64, Line<'_>)> {
        let mut length = (self.filled - self.pos) as u64;
        self.pos = 0;
        self.filled = 0;
        self.buf.truncate(CHUNK);
        self.buf.shrink_to_fit();
        loop {
            let n = read_some(&mut self.reader, &mut self.buf[..])?;
            if n == 0 {
                self.eof = true;
                break;
            }
            if let Some(i) = memchr::memchr(b'\n', &self.buf[..n]) {
                length += i as u64;
                self.pos = i + 1;
                self.filled = n;
                break;
            }
            length += n as u64;
        }
        self.number += 1;
        Ok((self.number, Line::TooLong(length)))
    }

    /// The input from the start of the last line returned on: what is buffered, then the rest.
    pub(crate) fn rest_from_last_line(self) -> impl Read {
        let mut buffered = self.buf;
        buffered.truncate(self.filled);
        buffered.drain(..self.last);
        Cursor::new(buffered).chain(self.reader)
    }
}

/// `read`, retried when interrupted.
fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line as text, `!N` for a line too long of N bytes.
    fn lines(input: &[u8], max: usize) -> Vec<String> {
        let mut r = LineReader::new(input, max);
        let mut out = Vec::new();
        while let Some((n, line)) = r.next_line().unwrap() {
            assert_eq!(n as usize, out.len() + 1);
            out.push(match line {
                Line::Text(t) => String::from_utf8_lossy(t).into_owned(),
                Line::TooLong(len) => format!("!{len}"),
            });
        }
        out
    }

    #[test]
    fn lines_keep_their_carriage_returns_and_lose_their_newlines() {
        assert_eq!(lines(b"a\r\nb\n\nc", 10), ["a\r", "b", "", "c"]);
        assert_eq!(lines(b"a\n", 10), ["a"]);
        assert!(lines(b"", 10).is_empty());
        assert_eq!(lines(b"\xEF\xBB\xBFa\nb", 10), ["a", "b"]);
        assert_eq!(lines(b"a\n\xEF\xBB\xBFb", 10), ["a", "\u{feff}b"]);
    }

    #[test]
    fn a_line_past_the_bound_is_skipped_with_its_length() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 3 * CHUNK + 7));
        input.extend(b"\nafter\n");
        assert_eq!(
            lines(&input, CHUNK),
            ["short", &format!("!{}", 3 * CHUNK + 7), "after"]
        );
        // At the bound exactly, a line is kept.
        let at = [vec![b'y'; 100], b"\nz".to_vec()].concat();
        assert_eq!(lines(&at, 100)[1], "z");
        assert_eq!(lines(&at, 99), ["!100", "z"]);
        // Unterminated at the end.
        assert_eq!(lines(&vec![b'q'; 500], 99), ["!500"]);
    }

    #[test]
    fn lines_longer_than_a_chunk_within_the_bound_are_whole() {
        let long = vec![b'L'; 5 * CHUNK];
        let input = [&long[..], b"\nend"].concat();
        let got = lines(&input, 8 * CHUNK);
        assert_eq!(got[0].len(), 5 * CHUNK);
        assert_eq!(got[1], "end");
    }

    #[test]
    fn many_lines_at_once_are_the_same_lines() {
        let input = b"a\nbb\r\n\nccc\nlast";
        let mut r = LineReader::new(&input[..], 1 << 20);
        let mut spare = vec![b'-'; 4];
        // The first call fills the buffer and starts: one line.
        let (n, first) = r.take_lines(&mut spare).unwrap().unwrap();
        assert!(matches!((n, first), (1, Taken::One(Line::Text(b"a")))));
        assert_eq!(spare, b"----");
        let (n, many) = r.take_lines(&mut spare).unwrap().unwrap();
        match many {
            Taken::Buffer(range) => assert_eq!((n, &spare[range]), (2, &b"bb\r\n\nccc\n"[..])),
            Taken::One(_) => panic!("one line"),
        }
        // The reader reads on in the spare buffer, grown to a chunk, the rest at its front.
        assert_eq!((r.buf.len(), &r.buf[..4]), (4 + CHUNK, &b"last"[..]));
        let (n, last) = r.take_lines(&mut spare).unwrap().unwrap();
        assert!(matches!((n, last), (5, Taken::One(Line::Text(b"last")))));
        assert!(r.take_lines(&mut spare).unwrap().is_none());
        // A line past the bound comes alone, as too long.
        assert_eq!(
            batches(&b"ab\nabcdef\nc\n"[..], 3),
            ["1:ab", "2:long 6", "3:c|"]
        );
    }

    /// What `take_lines` gives, one string each: `N:a|b|` for many lines, `N:text` for one,
    /// `N:long L` for one too long.
    fn batches(input: impl Read, max: usize) -> Vec<String> {
        let mut r = LineReader::new(input, max);
        let mut got = Vec::new();
        let mut spare = Vec::new();
        while let Some((n, l)) = r.take_lines(&mut spare).unwrap() {
            got.push(match l {
                Taken::Buffer(range) => format!(
                    "{n}:{}",
                    String::from_utf8_lossy(&spare[range]).replace('\n', "|")
                ),
                Taken::One(Line::Text(t)) => format!("{n}:{}", String::from_utf8_lossy(t)),
                Taken::One(Line::TooLong(len)) => format!("{n}:long {len}"),
            });
        }
        got
    }

    #[test]
    fn lines_within_the_bound_come_together_however_much_they_hold() {
        // Each line within the bound (3 bytes at most), together far more.
        assert_eq!(
            batches(&b"ab\ncd\nefg\nh\nend"[..], 3),
            ["1:ab", "2:cd|efg|h|", "5:end"]
        );
        assert_eq!(
            batches(&b"ab\ncd\nefgh\nh\n"[..], 3),
            ["1:ab", "2:cd|", "3:long 4", "4:h|"]
        );
        // The same lines whether what is buffered is within the bound (then so is each line in
        // it, and they are counted at once) or not (each line is measured).
        for max in [2, 5, 6, 7, 100] {
            let got = batches(&b"ab\ncd\nef\ng"[..], max);
            assert_eq!(got, ["1:ab", "2:cd|ef|", "4:g"], "{max}");
        }
        // However the input arrives, the buffer is filled before it is handed over.
        let pieces = Pieces(
            ["a\nb", "c\nd", "\ne"]
                .map(|p| p.as_bytes().to_vec())
                .into(),
        );
        assert_eq!(batches(pieces, 2), ["1:a", "2:bc|d|", "4:e"]);
        // A line's bytes are in one buffer, however many it took to read them.
        let text = |n: usize| [vec![b'x'; n], b"\n".to_vec()].concat();
        let input = [text(10), text(CHUNK + 10), text(10)].concat();
        let lengths: Vec<usize> = batches(&input[..], 2 * CHUNK)
            .iter()
            .flat_map(|b| b.split_once(':').unwrap().1.split_terminator('|'))
            .map(str::len)
            .collect();
        assert_eq!(lengths, [10, CHUNK + 10, 10]);
    }

    /// A reader that gives its pieces in turn, each in as few reads as the room allows.
    struct Pieces(std::collections::VecDeque<Vec<u8>>);

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some(piece) = self.0.front_mut() else {
                return Ok(0);
            };
            let n = buf.len().min(piece.len());
            buf[..n].copy_from_slice(&piece[..n]);
            piece.drain(..n);
            if piece.is_empty() {
                self.0.pop_front();
            }
            Ok(n)
        }
    }

    /// A reader that gives one byte a read.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some((&b, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = b;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn the_bound_holds_however_the_input_arrives() {
        // A line of the bound exactly, its newline read after it; one past it; the last line,
        // unterminated, of the bound exactly.
        let input = b"abcde\nabcdef\nxy\nabcde";
        let mut r = LineReader::new(Trickle(input), 5);
        let mut got = Vec::new();
        while let Some((_, line)) = r.next_line().unwrap() {
            got.push(match line {
                Line::Text(t) => String::from_utf8_lossy(t).into_owned(),
                Line::TooLong(len) => format!("!{len}"),
            });
        }
        assert_eq!(got, ["abcde", "!6", "xy", "abcde"]);
        assert_eq!(lines(b"abcde", 5), ["abcde"]);
        assert_eq!(lines(b"abcdef", 5), ["!6"]);
    }

    /// A reader that gives as much as it is asked for, and counts its reads.
    struct Counted<'a>(&'a [u8], usize);

    impl Read for Counted<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 += 1;
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_input_is_read_a_chunk_at_a_time() {
        let line = [vec![b'x'; 999], vec![b'\n']].concat();
        let input = line.repeat(4096);
        let mut reader = Counted(&input, 0);
        let mut r = LineReader::new(&mut reader, 1 << 20);
        let mut n = 0;
        while let Some((_, Line::Text(t))) = r.next_line().unwrap() {
            assert_eq!(t.len(), 999);
            n += 1;
        }
        assert_eq!(n, 4096);
        // 4 MB in reads of 256 KiB, and one that finds the end.
        assert_eq!(reader.1, input.len().div_ceil(CHUNK) + 1);
    }

    #[test]
    fn the_buffer_grows_to_the_bound_and_gives_back_the_room_of_a_long_line() {
        let text = |n: usize| [vec![b'x'; n], b"\n".to_vec()].concat();
        // A line of the bound exactly: the buffer holds it, and grows no further than the bound
        // and a chunk.
        let max = 5 * CHUNK;
        let input = [text(max), text(10), text(10)].concat();
        let mut r = LineReader::new(&input[..], max);
        assert!(matches!(r.next_line().unwrap(), Some((1, Line::Text(t))) if t.len() == max));
        assert!(
            r.buf.len() > max && r.buf.len() <= max + CHUNK,
            "{}",
            r.buf.len()
        );
        // Past it, reading short lines again, the room goes.
        while r.next_line().unwrap().is_some() {}
        assert_eq!(r.buf.len(), CHUNK);
        // A line of a few chunks keeps its room: the next long one will want it.
        let input = [text(600 << 10), text(10)].concat().repeat(2);
        let mut r = LineReader::new(&input[..], 8 << 20);
        while r.next_line().unwrap().is_some() {}
        assert_eq!(r.buf.len(), 4 * CHUNK);
        // A chunk exactly left after a long line, its newline still to come: the room it needs
        // stays.
        let long = vec![b'x'; 6 * CHUNK];
        let next = vec![b'y'; 2 * CHUNK];
        let pieces = [
            long.clone(),
            [b"\n", &next[..CHUNK]].concat(),
            [&next[CHUNK..], b"\n"].concat(),
        ];
        let mut r = LineReader::new(Pieces(pieces.into()), 8 << 20);
        let mut got = Vec::new();
        while let Some((_, Line::Text(t))) = r.next_line().unwrap() {
            got.push(t.len());
        }
        assert_eq!(got, [6 * CHUNK, 2 * CHUNK]);
        // A line too long that starts after another in the buffer: its length, from its start.
        assert_eq!(lines(b"ab\nabcdefghij", 5), ["ab", "!10"]);
    }

    /// A reader that fails once with `kind`, then gives `text`.
    struct FailsOnce(Option<io::ErrorKind>, &'static [u8]);

    impl Read for FailsOnce {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if let Some(kind) = self.0.take() {
                return Err(io::Error::new(kind, "once"));
            }
            self.1.read(buf)
        }
    }

    #[test]
    fn an_interrupted_read_is_tried_again_and_another_error_is_told() {
        let mut r = LineReader::new(FailsOnce(Some(io::ErrorKind::Interrupted), b"a\nb"), 10);
        assert!(matches!(
            r.next_line().unwrap(),
            Some((1, Line::Text(b"a")))
        ));
        let mut r = LineReader::new(FailsOnce(Some(io::ErrorKind::Other), b"a\nb"), 10);
        assert_eq!(
            r.next_line().err().map(|e| e.kind()),
            Some(io::ErrorKind::Other)
        );
    }

    #[test]
    fn the_rest_starts_at_the_last_line() {
        let mut r = LineReader::new(&b"one\ntwo\nthree"[..], 100);
        r.next_line().unwrap();
        r.next_line().unwrap();
        let mut rest = String::new();
        r.rest_from_last_line().read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "two\nthree");
    }
}
