//! Filtering line input on several threads: the lines are read, in chunks, on a thread of their
//! own and matched by workers; what they write comes out on the calling thread (the output
//! need not be `Send`), in input order.
//!
//! - The reader fills a buffer of about [`CHUNK`] bytes and hands over the whole lines in it,
//!   buffer and all (no line is copied), reading on in a spare one; the buffer goes to a worker
//!   as a job, and the workers' results are written in order, so that reading, matching and
//!   writing go on at once. The buffers of written jobs (lines and output) go back to the
//!   reader, to be used again, and it makes at most [`IN_FLIGHT`] per worker: so memory stays
//!   within a few chunks per worker and nothing is allocated afresh per chunk (a buffer grows
//!   past its size only to hold a line whole, up to the line bound, and is then made anew).
//! - Each worker finds the prefilter's candidates in its chunk (one search over the chunk,
//!   from line to line), reads in full the candidates and every line that does not look like a
//!   whole JSON object or array (`{…}` or `[…]`), and skips the others: they cannot match.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use super::filter::{Emit, emit};
use super::lines::{Line, LineReader, Taken};
use super::prefilter::Prefilter;
use super::{Bad, Found, ReadError, ReadOptions, Sink, line, too_long};
use crate::eval::Matcher;
use crate::report::fast::Room;

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

impl Done {
    /// The result of a job whose worker panicked.
    fn lost(seq: u64) -> Done {
        Done {
            seq,
            written: Err(stopped()),
            out: Vec::new(),
            bad: Vec::new(),
            tally: Tally::default(),
            data: Vec::new(),
        }
    }
}

/// The error of a filter whose thread stopped.
fn stopped() -> io::Error {
    io::Error::other("a filter thread stopped")
}

/// The reader's buffers: those of written jobs, back from the writer, are used for the next
/// jobs, and no more than `limit` buffers of lines are made, so that the room stays bounded by
/// the jobs out at once.
struct Spare<'u> {
    data: Vec<Vec<u8>>,
    out: Vec<Vec<u8>>,
    used: &'u Receiver<(Vec<u8>, Vec<u8>)>,
    made: usize,
    limit: usize,
}

impl<'u> Spare<'u> {
    fn new(used: &'u Receiver<(Vec<u8>, Vec<u8>)>, limit: usize) -> Self {
        Spare {
            data: Vec::new(),
            out: Vec::new(),
            used,
            made: 0,
            limit,
        }
    }

    /// Room for a chunk of lines (its length is the room: lines are read into it): a used
    /// buffer, a new one while fewer than `limit` are made, else the next to come back (`None`
    /// when none will: the writer has stopped).
    fn data(&mut self) -> Option<Vec<u8>> {
        while let Ok(used) = self.used.try_recv() {
            self.keep(used);
        }
        if self.data.is_empty() && self.made < self.limit {
            self.made += 1;
            return Some(vec![0; CHUNK]);
        }
        if self.data.is_empty() {
            let used = self.used.recv().ok()?;
            self.keep(used);
        }
        self.data.pop()
    }

    /// An empty output buffer.
    fn out(&mut self) -> Vec<u8> {
        self.out.pop().unwrap_or_default()
    }

    /// Keeps a written job's buffers; one that a long line made far larger than a chunk is
    /// made anew.
    fn keep(&mut self, (mut data, mut out): (Vec<u8>, Vec<u8>)) {
        if data.len() > 2 * CHUNK {
            data = vec![0; CHUNK];
        }
        self.data.push(data);
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
/// or report, in order. The lines read before a read error are written before it is returned.
pub(super) fn run<R: Read + Send>(
    lines: LineReader<R>,
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
                // Room kept from job to job: for a chunk with its letters lowercased (the
                // prefilter's), and for a report's items (the fast reader's).
                let mut folded = Vec::new();
                let items = Room::default();
                while let Some(job) = next_job(&taken) {
                    let seq = job.seq;
                    let filtered = panic::catch_unwind(AssertUnwindSafe(|| {
                        filter_job(job, work, &mut emit, &mut folded, &items)
                    }));
                    // A panic is told to the writer, so that the filter stops rather than
                    // waits for the job, and then goes on (the scope passes it on).
                    let result = filtered.unwrap_or_else(|panic| {
                        let _ = done_tx.send(Done::lost(seq));
                        panic::resume_unwind(panic)
                    });
                    if done_tx.send(result).is_err() {
                        return;
                    }
                }
            });
        }
        drop((taken, done_tx));
        let (used, used_rx) = channel();
        let reader = scope.spawn(move || read_jobs(lines, &jobs, &used_rx, limit));
        let mut writer = InOrder {
            pending: BTreeMap::new(),
            next: 0,
            tally: &mut tally,
            used,
        };
        // The results, until the workers end: when the reader has ended and the jobs are done.
        while let Ok(result) = done.recv() {
            writer.write(result, out, on_bad)?;
        }
        let sent = reader
            .join()
            .map_err(|_| ReadError::Stopped(stopped()))?
            .map_err(ReadError::Read)?;
        // Every job handed out was written (a worker that panicked told of its job).
        debug_assert_eq!(writer.next, sent);
        Ok::<(), ReadError>(())
    })?;
    Ok(tally)
}

/// The reader: reads `lines` into jobs and hands them out in order, in the buffers that come
/// back from the writer through `used` (at most `limit` of them made); how many jobs it handed
/// out, or the read error it stopped at (after handing out the lines gathered before it). It
/// ends early, without an error, when no worker or writer is left to take a job.
fn read_jobs<R: Read>(
    mut lines: LineReader<R>,
    jobs: &SyncSender<Job>,
    used: &Receiver<(Vec<u8>, Vec<u8>)>,
    limit: usize,
) -> io::Result<u64> {
    let mut spare = Spare::new(used, limit);
    let mut out = Handing { jobs, sent: 0 };
    // Lines given one at a time (rare: a line too long, the last without its `\n`, one longer
    // than the buffer), gathered into a job of their own.
    let mut gathered: Option<Job> = None;
    let read = (|| {
        let Some(mut room) = spare.data() else {
            return Ok(());
        };
        while let Some((number, next)) = lines.take_lines(&mut room)? {
            match next {
                Taken::Buffer(range) => {
                    let Some(fresh) = spare.data() else {
                        return Ok(());
                    };
                    let data = std::mem::replace(&mut room, fresh);
                    let job = Job::new(number, data, range, spare.out());
                    let before = gathered.take().is_none_or(|g| out.send(g));
                    if !(before && out.send(job)) {
                        return Ok(());
                    }
                }
                Taken::One(line) => {
                    if gathered.is_none() {
                        let Some(mut data) = spare.data() else {
                            return Ok(());
                        };
                        data.clear();
                        gathered = Some(Job::new(number, data, 0..0, spare.out()));
                    }
                    let job = gathered.as_mut().expect("a job is gathered");
                    if job.add(number, line) {
                        let full = gathered.take().expect("a job is gathered");
                        if !out.send(full) {
                            return Ok(());
                        }
                    }
                }
            }
        }
        Ok(())
    })();
    if let Some(job) = gathered {
        out.send(job);
    }
    read.map(|()| out.sent)
}

/// Hands jobs out to the workers, numbered in order.
struct Handing<'j> {
    jobs: &'j SyncSender<Job>,
    sent: u64,
}

impl Handing<'_> {
    /// Hands `job` out; whether a worker is left to take it.
    fn send(&mut self, mut job: Job) -> bool {
        job.seq = self.sent;
        self.sent += 1;
        self.jobs.send(job).is_ok()
    }
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

/// The workers' results, written in the order of their jobs; their buffers go back to the
/// reader.
struct InOrder<'t> {
    pending: BTreeMap<u64, Done>,
    /// The job to be written next.
    next: u64,
    tally: &'t mut Tally,
    used: Sender<(Vec<u8>, Vec<u8>)>,
}

impl InOrder<'_> {
    /// Takes one more result, then writes every result that is next in order.
    fn write(
        &mut self,
        result: Done,
        out: &mut impl Write,
        on_bad: &mut impl FnMut(&Bad) -> io::Result<()>,
    ) -> Result<(), ReadError> {
        self.pending.insert(result.seq, result);
        while let Some(result) = self.pending.remove(&self.next) {
            self.next += 1;
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
            // The reader may have ended: then the buffers are not wanted.
            let _ = self.used.send((result.data, result.out));
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

/// Filters one job's lines (`folded` and `items` are room for the prefilter and the fast
/// reader).
fn filter_job(
    job: Job,
    work: &Work<'_>,
    emit: &mut Emit,
    folded: &mut Vec<u8>,
    items: &Room,
) -> Done {
    let fast = work.fast.then_some(items);
    let mut sink = Collect {
        room: fast,
        matcher: work.matcher,
        emit,
        out: job.out,
        bad: Vec::new(),
        tally: Tally::default(),
        failed: None,
    };
    let data = &job.data[job.lines];
    let mut marks = work.prefilter.marks(data, folded);
    let everything = marks.is_none();
    let mut mark = marks.as_mut().and_then(|m| m.next_mark(0));
    let mut start = 0;
    // Each line of a job ends with its `\n`.
    for (number, end) in (job.first_line..).zip(memchr::memchr_iter(b'\n', data)) {
        let raw = &data[start..end];
        // A mark in the line; the next one is after it (no literal holds a newline).
        let marked = mark.is_some_and(|m| m < end);
        if marked {
            mark = marks.as_mut().and_then(|m| m.next_mark(end));
        }
        let candidate = everything || marked;
        let text = raw.trim_ascii();
        if !text.is_empty() {
            if candidate || !looks_whole(text) {
                if let Err(e) = line::read_with(number, raw, fast, &mut sink) {
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
/// the bad ones; and gives the room of each report's items back to the fast reader.
struct Collect<'a> {
    room: Option<&'a Room>,
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
        if let Some(room) = self.room {
            room.keep(found.report.items);
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
    fn the_buffers_of_written_jobs_are_used_again_and_no_more_are_made() {
        let (used, used_rx) = channel();
        let mut spare = Spare::new(&used_rx, 2);
        let first = spare.data().unwrap();
        assert_eq!(first.len(), CHUNK);
        let second = spare.data().unwrap();
        let mut out = spare.out();
        out.extend_from_slice(b"written");
        let (at, capacity) = (first.as_ptr(), out.capacity());
        // Two made: the next is the first to come back.
        used.send((first, out)).unwrap();
        let data = spare.data().unwrap();
        let out = spare.out();
        assert_eq!(
            (data.as_ptr(), out.capacity(), out.len()),
            (at, capacity, 0)
        );
        // One grown to twice a chunk is kept as it is; one larger is made anew, its size a
        // chunk, and a larger output buffer is dropped.
        used.send((vec![0; 2 * CHUNK], Vec::with_capacity(2 * CHUNK)))
            .unwrap();
        assert_eq!(spare.data().unwrap().len(), 2 * CHUNK);
        assert!(spare.out().capacity() >= 2 * CHUNK);
        used.send((vec![0; 2 * CHUNK + 1], Vec::with_capacity(2 * CHUNK + 1)))
            .unwrap();
        assert_eq!(spare.data().unwrap().len(), CHUNK);
        assert!(spare.out.is_empty());
        // None will come back: no room.
        drop((used, data, second));
        assert!(spare.data().is_none());
    }
}
