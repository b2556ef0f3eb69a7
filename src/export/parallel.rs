//! Filtering line input on several threads: the lines are read here, in chunks, and matched by
//! workers; what they write comes out in input order.
//!
//! - The reading stays on the calling thread (the input and the output need not be `Send`):
//!   the line reader fills a buffer of about [`CHUNK`] bytes and hands over the whole lines in
//!   it, buffer and all (no line is copied), reading on in a spare one; the buffer goes to a
//!   worker as a job, and the workers' results are written in order. At most [`IN_FLIGHT`]
//!   jobs per worker are out at once, and the buffers of written jobs (lines and output) are
//!   used again, so memory stays within a few chunks per worker and nothing is allocated
//!   afresh per chunk (a buffer grows past its size only to hold a line whole, up to the line
//!   bound, and is then dropped).
//! - Each worker finds the prefilter's candidates in its chunk (one search over the chunk,
//!   from line to line), reads in full the candidates and every line that does not look like a
//!   whole JSON object or array (`{…}` or `[…]`), and skips the others: they cannot match.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use super::filter::{Emit, emit};
use super::lines::{Line, LineReader, Taken};
use super::prefilter::{Marks, Prefilter};
use super::{Bad, Found, ReadError, ReadOptions, Sink, line, too_long};
use crate::eval::Matcher;

/// The size a chunk of lines is handed out at.
const CHUNK: usize = 1 << 20;
/// How many chunks per worker may be out at once.
const IN_FLIGHT: usize = 4;

/// Lines handed to a worker: whole lines, each ended by `\n`, `data[lines]`, numbered from
/// `first_line`; and, after them, a line too long to be read. `out` is the (empty) buffer the
/// worker writes into.
struct Job {
    seq: u64,
    first_line: u64,
    data: Vec<u8>,
    lines: Range<usize>,
    too_long: Option<(u64, u64)>,
    out: Vec<u8>,
}

/// What a worker made of a job: its output (in `out`, when it could be written), and the bad
/// lines with where in the output they came (so that they are told of between the right
/// lines); and the job's lines, their buffer to be used again.
struct Done {
    seq: u64,
    written: io::Result<()>,
    out: Vec<u8>,
    bad: Vec<(usize, Bad)>,
    tally: Tally,
    data: Vec<u8>,
}

/// The buffers of jobs that are written, kept for the next jobs: no job allocates its room
/// afresh, and the room stays bounded by the jobs out at once.
#[derive(Default)]
struct Spare {
    data: Vec<Vec<u8>>,
    out: Vec<Vec<u8>>,
}

impl Spare {
    /// Room for a chunk of lines (its length is the room: lines are read into it).
    fn data(&mut self) -> Vec<u8> {
        self.data.pop().unwrap_or_else(|| vec![0; CHUNK])
    }

    /// An empty output buffer.
    fn out(&mut self) -> Vec<u8> {
        self.out.pop().unwrap_or_default()
    }

    /// Keeps a written job's buffers, unless a long line made one far larger than a chunk.
    fn keep(&mut self, data: Vec<u8>, mut out: Vec<u8>) {
        if data.len() <= 2 * CHUNK {
            self.data.push(data);
        }
        if out.capacity() <= 2 * CHUNK {
            out.clear();
            self.out.push(out);
        }
    }
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
                    let result = filter_job(job, work, &mut emit);
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
            spare: Spare::default(),
            in_flight: 0,
            limit,
            sent: 0,
        };
        // Lines given one at a time (rare: a line too long, the last without its `\n`, one
        // longer than the buffer), gathered into a job of their own.
        let mut gathered: Option<Job> = None;
        let mut room = writer.spare.data();
        while let Some((number, next)) = lines.take_lines(&mut room).map_err(ReadError::Read)? {
            match next {
                Taken::Buffer(range) => {
                    if let Some(job) = gathered.take() {
                        writer.send(job, &jobs, out, on_bad)?;
                    }
                    let data = std::mem::replace(&mut room, writer.spare.data());
                    let job = Job::new(number, data, range, writer.spare.out());
                    writer.send(job, &jobs, out, on_bad)?;
                }
                Taken::One(line) => {
                    let job = gathered.get_or_insert_with(|| {
                        let mut data = writer.spare.data();
                        data.clear();
                        Job::new(number, data, 0..0, writer.spare.out())
                    });
                    if job.add(number, line) {
                        let full = gathered.take().expect("a job was gathered");
                        writer.send(full, &jobs, out, on_bad)?;
                    }
                }
            }
        }
        if let Some(job) = gathered {
            writer.send(job, &jobs, out, on_bad)?;
        }
        drop(jobs);
        while writer.in_flight > 0 {
            writer.write_one(out, on_bad)?;
        }
        Ok::<(), ReadError>(())
    })?;
    Ok(tally)
}

impl Job {
    /// A job of the lines `data[lines]`, the first numbered `first_line`.
    fn new(first_line: u64, data: Vec<u8>, lines: Range<usize>, out: Vec<u8>) -> Job {
        Job {
            seq: 0,
            first_line,
            data,
            lines,
            too_long: None,
            out,
        }
    }

    /// Adds `line` (numbered `number`) to a job that gathers lines one at a time; whether the
    /// job is now full: it holds a chunk's worth, or ends with a line too long.
    fn add(&mut self, number: u64, line: Line<'_>) -> bool {
        if self.data.is_empty() {
            self.first_line = number;
        }
        match line {
            Line::Text(text) => {
                self.data.extend_from_slice(text);
                self.data.push(b'\n');
                self.lines = 0..self.data.len();
            }
            Line::TooLong(length) => {
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
    spare: Spare,
    /// The jobs out (sent, not yet written), at most `limit`; how many were sent.
    in_flight: usize,
    limit: usize,
    sent: u64,
}

impl InOrder<'_, '_> {
    /// Hands `job` out, next in order, once there is room for it.
    fn send(
        &mut self,
        mut job: Job,
        jobs: &SyncSender<Job>,
        out: &mut impl Write,
        on_bad: &mut impl FnMut(&Bad) -> io::Result<()>,
    ) -> Result<(), ReadError> {
        while self.in_flight >= self.limit {
            self.write_one(out, on_bad)?;
        }
        job.seq = self.sent;
        self.sent += 1;
        // A worker is always there to take it: they end only when this sender does.
        let _ = jobs.send(job);
        self.in_flight += 1;
        Ok(())
    }

    /// Waits for one more result, then writes every result that is next in order.
    fn write_one(
        &mut self,
        out: &mut impl Write,
        on_bad: &mut impl FnMut(&Bad) -> io::Result<()>,
    ) -> Result<(), ReadError> {
        // The workers live as long as jobs are out: a closed channel means one panicked.
        let result = self
            .done
            .recv()
            .map_err(|_| ReadError::Stopped(io::Error::other("a filter thread stopped")))?;
        self.pending.insert(result.seq, result);
        while let Some(result) = self.pending.remove(&self.next) {
            self.next += 1;
            self.in_flight -= 1;
            result.written.map_err(ReadError::Stopped)?;
            let written = &result.out;
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
            self.spare.keep(result.data, result.out);
        }
        Ok(())
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
fn filter_job(job: Job, work: &Work<'_>, emit: &mut Emit) -> Done {
    let mut sink = Collect {
        matcher: work.matcher,
        emit,
        out: job.out,
        bad: Vec::new(),
        tally: Tally::default(),
        failed: None,
    };
    let data = &job.data[job.lines];
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
        written: sink.failed.map_or(Ok(()), Err),
        out: sink.out,
        bad: sink.bad,
        tally: sink.tally,
        data: job.data,
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
        let mut job = Job::new(7, Vec::new(), 0..0, Vec::new());
        assert!(!job.add(7, Line::Text(&half[..CHUNK / 2 - 1])));
        assert_eq!((job.first_line, job.lines.clone()), (7, 0..CHUNK / 2));
        // Each line gets its newline back; at a chunk exactly, the job is full.
        assert!(job.add(8, Line::Text(&half[1..])));
        assert_eq!(
            (job.first_line, job.lines.clone(), job.too_long),
            (7, 0..CHUNK, None)
        );
        assert_eq!(
            (job.data[CHUNK / 2 - 1], job.data[CHUNK - 1]),
            (b'\n', b'\n')
        );
        let mut job = Job::new(3, Vec::new(), 0..0, Vec::new());
        assert!(!job.add(3, Line::Text(b"a")));
        assert!(job.add(4, Line::TooLong(1 << 30)));
        assert_eq!((job.first_line, job.too_long), (3, Some((4, 1 << 30))));
        assert_eq!(&job.data[job.lines.clone()], b"a\n");
        // A line too long alone: the job is that line.
        let mut job = Job::new(0, Vec::new(), 0..0, Vec::new());
        assert!(job.add(5, Line::TooLong(9)));
        assert_eq!((job.first_line, job.too_long), (5, Some((5, 9))));
        assert!(job.lines.is_empty());
    }

    #[test]
    fn the_buffers_of_written_jobs_are_used_again_unless_they_grew_large() {
        let mut spare = Spare::default();
        let data = spare.data();
        assert_eq!(data.len(), CHUNK);
        let mut out = spare.out();
        out.extend_from_slice(b"written");
        let (at, capacity) = (data.as_ptr(), out.capacity());
        spare.keep(data, out);
        let data = spare.data();
        let out = spare.out();
        assert_eq!(
            (data.as_ptr(), out.capacity(), out.len()),
            (at, capacity, 0)
        );
        spare.keep(vec![0; 2 * CHUNK + 1], Vec::with_capacity(2 * CHUNK + 1));
        assert!(spare.data.is_empty() && spare.out.is_empty());
    }
}
