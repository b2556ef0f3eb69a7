//! Filtering line input on several threads: the lines are read here, in chunks, and matched by
//! workers; what they write comes out in input order.
//!
//! - The reading stays on the calling thread (the input and the output need not be `Send`):
//!   it packs whole lines into chunks of about [`CHUNK`] bytes, hands them out, and writes the
//!   workers' results in order. At most [`IN_FLIGHT`] chunks per worker are out at once, so
//!   memory stays within a few chunks per worker (a chunk grows past its size only to hold a
//!   line whole, up to the line bound).
//! - Each worker finds the prefilter's candidates in its chunk (one search over the chunk,
//!   from line to line), reads in full the candidates and every line that does not look like a
//!   whole JSON object or array (`{…}` or `[…]`), and skips the others: they cannot match.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, channel, sync_channel};
use std::sync::{Arc, Mutex};

use super::filter::{Emit, emit};
use super::lines::{Line, LineReader, Lines};
use super::prefilter::{Marks, Prefilter};
use super::{Bad, Found, ReadError, ReadOptions, Sink, line, too_long};
use crate::eval::Matcher;

/// The size a chunk of lines is handed out at.
const CHUNK: usize = 1 << 20;
/// How many chunks per worker may be out at once.
const IN_FLIGHT: usize = 4;

/// Lines handed to a worker: whole lines, each ended by `\n`, numbered from `first_line`; and,
/// after them, a line too long to be read.
struct Job {
    seq: u64,
    first_line: u64,
    data: Vec<u8>,
    too_long: Option<(u64, u64)>,
}

/// What a worker made of a job: its output, and the bad lines with where in the output they
/// came (so that they are told of between the right lines).
struct Done {
    seq: u64,
    out: io::Result<Vec<u8>>,
    bad: Vec<(usize, Bad)>,
    tally: Tally,
}

/// What was read, matched and skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Tally {
    /// Reports read in full.
    pub reports: u64,
    /// Reports that matched.
    pub matched: u64,
    /// Bad lines and reports.
    pub bad: u64,
    /// Lines the prefilter skipped: they could not match.
    pub skipped: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.reports += other.reports;
        self.matched += other.matched;
        self.bad += other.bad;
        self.skipped += other.skipped;
    }
}

/// What filters the lines: the same for every worker.
pub(super) struct Work<'a> {
    pub matcher: &'a Matcher,
    pub prefilter: &'a Prefilter,
    pub options: &'a ReadOptions,
    /// Whether plain reports are read by the fast reader (else serde reads every line).
    pub fast: bool,
}

/// Filters the rest of `lines` with `threads` workers, each writing what `emits` gives it (one
/// [`Emit`] each); writes the output to `out` in input order and tells `on_bad` of each bad line
/// or report, in order.
pub(super) fn run<R: Read>(
    mut lines: LineReader<R>,
    work: &Work<'_>,
    emits: Vec<Emit>,
    out: &mut impl Write,
    on_bad: &mut impl FnMut(&Bad) -> io::Result<()>,
) -> Result<Tally, ReadError> {
    let threads = emits.len().max(1);
    let mut tally = Tally::default();
    // The jobs out at once: read, and not yet written.
    let limit = threads * IN_FLIGHT;
    std::thread::scope(|scope| {
        // Room for every job out: handing one out never waits.
        let (jobs, taken) = sync_channel::<Job>(limit);
        let taken = Arc::new(Mutex::new(taken));
        let (done_tx, done) = channel::<Done>();
        for mut emit in emits {
            let taken = Arc::clone(&taken);
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                while let Some(job) = next_job(&taken) {
                    let result = filter_job(&job, work, &mut emit);
                    if done_tx.send(result).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut writer = InOrder {
            pending: BTreeMap::new(),
            next: 0,
            done: &done,
            tally: &mut tally,
        };
        let mut in_flight = 0usize;
        let mut seq = 0u64;
        let mut job = Job::new(seq);
        while let Some((number, next)) = lines.next_lines().map_err(ReadError::Read)? {
            if !job.add(number, next) {
                continue;
            }
            seq += 1;
            let full = std::mem::replace(&mut job, Job::new(seq));
            while in_flight >= limit {
                in_flight -= writer.write_one(out, on_bad)?;
            }
            // A worker is always there to take it: they end only when this sender does.
            let _ = jobs.send(full);
            in_flight += 1;
        }
        if !job.data.is_empty() || job.too_long.is_some() {
            while in_flight >= limit {
                in_flight -= writer.write_one(out, on_bad)?;
            }
            let _ = jobs.send(job);
            in_flight += 1;
        }
        drop(jobs);
        while in_flight > 0 {
            in_flight -= writer.write_one(out, on_bad)?;
        }
        Ok::<(), ReadError>(())
    })?;
    Ok(tally)
}

impl Job {
    fn new(seq: u64) -> Job {
        Job {
            seq,
            first_line: 0,
            data: Vec::with_capacity(CHUNK + (CHUNK >> 3)),
            too_long: None,
        }
    }

    /// Adds the lines `next` (the first of them numbered `number`); whether the job is now
    /// full: it holds a chunk's worth, or ends with a line too long.
    fn add(&mut self, number: u64, next: Lines<'_>) -> bool {
        if self.data.is_empty() {
            self.first_line = number;
        }
        match next {
            Lines::Many(text) => self.data.extend_from_slice(text),
            Lines::One(Line::Text(text)) => {
                self.data.extend_from_slice(text);
                self.data.push(b'\n');
            }
            Lines::One(Line::TooLong(length)) => {
                self.too_long = Some((number, length));
                return true;
            }
        }
        self.data.len() >= CHUNK
    }
}

fn next_job(taken: &Mutex<Receiver<Job>>) -> Option<Job> {
    taken.lock().ok()?.recv().ok()
}

/// The workers' results, written in the order of their jobs.
struct InOrder<'d, 't> {
    pending: BTreeMap<u64, Done>,
    next: u64,
    done: &'d Receiver<Done>,
    tally: &'t mut Tally,
}

impl InOrder<'_, '_> {
    /// Waits for one more result, then writes every result that is next in order; returns how
    /// many jobs that ended.
    fn write_one(
        &mut self,
        out: &mut impl Write,
        on_bad: &mut impl FnMut(&Bad) -> io::Result<()>,
    ) -> Result<usize, ReadError> {
        // The workers live as long as jobs are out: a closed channel means one panicked.
        let result = self
            .done
            .recv()
            .map_err(|_| ReadError::Stopped(io::Error::other("a filter thread stopped")))?;
        self.pending.insert(result.seq, result);
        let mut ended = 0;
        while let Some(result) = self.pending.remove(&self.next) {
            self.next += 1;
            ended += 1;
            let written = result.out.map_err(ReadError::Stopped)?;
            let mut from = 0;
            for (at, bad) in &result.bad {
                out.write_all(&written[from..*at])
                    .and_then(|()| out.flush())
                    .map_err(ReadError::Stopped)?;
                from = *at;
                on_bad(bad).map_err(ReadError::Stopped)?;
            }
            out.write_all(&written[from..])
                .map_err(ReadError::Stopped)?;
            self.tally.add(result.tally);
        }
        Ok(ended)
    }
}

/// Whether a line looks like a whole JSON object or array: a line that does not is read in
/// full, whatever the prefilter says, so that a cut or broken line is reported.
fn looks_whole(text: &[u8]) -> bool {
    matches!(
        (text.first(), text.last()),
        (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']'))
    )
}

/// Filters one job's lines.
fn filter_job(job: &Job, work: &Work<'_>, emit: &mut Emit) -> Done {
    let mut sink = Collect {
        matcher: work.matcher,
        emit,
        out: Vec::new(),
        bad: Vec::new(),
        tally: Tally::default(),
        failed: None,
    };
    let data = &job.data;
    let everything = work.prefilter.reads_everything();
    let mut marks = Marks::default();
    let mut mark = work.prefilter.next_mark(data, 0, &mut marks);
    let mut start = 0;
    // Each line of a job ends with its `\n`.
    for (number, end) in (job.first_line..).zip(memchr::memchr_iter(b'\n', data)) {
        let raw = &data[start..end];
        // A mark in the line; the next one is after it (no literal holds a newline).
        let marked = mark.is_some_and(|m| m < end);
        if marked {
            mark = work.prefilter.next_mark(data, end, &mut marks);
        }
        let candidate = everything || marked;
        let text = raw.trim_ascii();
        if !text.is_empty() {
            if candidate || !looks_whole(text) {
                if let Err(e) = line::read_with(number, raw, work.fast, &mut sink) {
                    sink.failed.get_or_insert(e);
                }
            } else {
                sink.tally.skipped += 1;
            }
        }
        start = end + 1;
    }
    if let Some((number, length)) = job.too_long {
        let _ = sink.bad(too_long(number, length, work.options));
    }
    Done {
        seq: job.seq,
        out: match sink.failed {
            Some(e) => Err(e),
            None => Ok(sink.out),
        },
        bad: sink.bad,
        tally: sink.tally,
    }
}

/// The sink of a worker: matches each report, writes those that match into its buffer, keeps
/// the bad ones.
struct Collect<'a> {
    matcher: &'a Matcher,
    emit: &'a mut Emit,
    out: Vec<u8>,
    bad: Vec<(usize, Bad)>,
    tally: Tally,
    failed: Option<io::Error>,
}

impl Sink for Collect<'_> {
    fn report(&mut self, found: Found<'_>) -> io::Result<()> {
        self.tally.reports += 1;
        if self.matcher.matches_items(&found.report.items) {
            self.tally.matched += 1;
            emit(self.emit, &found, &mut self.out)?;
        }
        Ok(())
    }

    fn bad(&mut self, bad: Bad) -> io::Result<()> {
        self.tally.bad += 1;
        self.bad.push((self.out.len(), bad));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_full_at_a_chunk_or_at_a_line_too_long() {
        let half = vec![b'x'; CHUNK / 2];
        let mut job = Job::new(0);
        assert!(!job.add(7, Lines::Many(&half[..CHUNK / 2 - 1])));
        assert_eq!(job.first_line, 7);
        // A line given alone gets its newline back; at a chunk exactly, the job is full.
        assert!(job.add(9, Lines::One(Line::Text(&half))));
        assert_eq!(
            (job.first_line, job.data.len(), job.too_long),
            (7, CHUNK, None)
        );
        assert_eq!(job.data[CHUNK - 1], b'\n');
        let mut job = Job::new(1);
        assert!(!job.add(3, Lines::One(Line::Text(b"a"))));
        assert!(job.add(4, Lines::One(Line::TooLong(1 << 30))));
        assert_eq!((job.first_line, job.too_long), (3, Some((4, 1 << 30))));
        assert_eq!(job.data, b"a\n");
        // A line too long alone: the job is that line.
        let mut job = Job::new(2);
        assert!(job.add(5, Lines::One(Line::TooLong(9))));
        assert_eq!((job.first_line, job.too_long), (5, Some((5, 9))));
        // More than a chunk at once stays whole.
        let mut job = Job::new(3);
        let big = vec![b'y'; CHUNK + 10];
        assert!(job.add(1, Lines::Many(&big)));
        assert_eq!(job.data.len(), CHUNK + 10);
    }
}
