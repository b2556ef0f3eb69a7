//! The checkpoint of a plan: the plan, then a line for each page delivered, so that a run
//! stopped at any moment goes on where it stopped.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Batch, PlannedWindow, Window};
use crate::client::cache::{Cache, DEFAULT_CACHE_TTL, Whole, write_whole};
use crate::client::error::CheckpointError;
use crate::models::ResultsPage;

/// What the first line of a checkpoint says: which search, and its plan.
#[derive(Serialize, Deserialize)]
pub(super) struct Header {
    /// The format's version.
    pub driftql_checkpoint: u32,
    /// The search's identity (endpoint, canonical parameters).
    pub search: String,
    /// The API's base URL it was sent to.
    pub api: String,
    /// The plan's windows, newest first.
    pub windows: Vec<PlannedWindow>,
    /// The probes the planning made, and how many of them cost quota.
    pub probes: u64,
    pub probes_billed: u64,
}

/// One line after the header.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    /// A page whose reports were delivered (and, by the caller, written).
    Done {
        window: usize,
        page: u32,
        /// Reports it delivered (after dropping repeats).
        reports: u64,
        /// Whether fetching it cost quota.
        billed: bool,
        /// Whether it came back empty: its window ends there (the pages after it, in flight
        /// then, may still come).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        last: bool,
        /// The caller's output position after it, when the caller keeps one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_bytes: Option<u64>,
    },
    /// Every page of the plan was delivered.
    Complete,
    /// Where the caller writes what is delivered (a file it appends to on the next run), and
    /// how.
    Output {
        /// The file's path, as given.
        path: String,
        /// How the caller writes the reports there (its own words, e.g. a format).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        format: Option<String>,
    },
}

const VERSION: u32 = 1;

/// What the runs before this one did, as their checkpoint records it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resumed {
    /// Pages delivered, for each window: they are delivered in order, so these are its
    /// first pages.
    pub pages_done: Vec<u32>,
    /// Reports delivered, in all.
    pub reports: u64,
    /// Reports delivered, for each window.
    pub window_reports: Vec<u64>,
    /// Quota units spent: the planning's probes and the pages that cost.
    pub spent: u64,
    /// The caller's output position after the last page delivered.
    pub output_bytes: Option<u64>,
    /// The file the caller said it writes to, and how
    /// ([`Harvest::record_output`](super::Harvest::record_output)).
    pub output_path: Option<String>,
    /// How the caller said it writes the reports to that file.
    pub output_format: Option<String>,
    /// Whether the plan was delivered to its end.
    pub complete: bool,
    /// The API's base URL the checkpoint was started against, when it is not this run's.
    pub other_api: Option<String>,
}

/// Takes the checkpoint for this run: two runs on one checkpoint would mix their lines and pay
/// twice. The lock goes with the file's handle, when the run ends however it ends.
fn lock(path: &Path, file: &File) -> Result<(), CheckpointError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(CheckpointError::InUse {
            path: path.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io_error(path)(e)),
    }
}

/// An open checkpoint, appended to as pages are delivered.
pub(super) struct Checkpoint {
    path: PathBuf,
    file: File,
    spool: Spool,
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CheckpointError + '_ {
    move |error| CheckpointError::Io {
        path: path.to_path_buf(),
        error,
    }
}

impl Checkpoint {
    /// Reads the checkpoint at `path`, if there is one: its header and what was done.
    /// A last line cut short (the run stopped while writing it) is dropped from the file.
    pub fn load(
        path: &Path,
        search: &str,
        api: &str,
    ) -> Result<Option<(Checkpoint, Header, Resumed)>, CheckpointError> {
        let text = match fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(path)(e)),
        };
        let damaged = |reason: String| CheckpointError::Damaged {
            path: path.to_path_buf(),
            reason,
        };
        // Complete lines only: a last line without its newline was being written.
        let good = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut lines = text[..good].split(|&b| b == b'\n');
        let header: Header = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| damaged("it is empty".into()))
            .and_then(|l| {
                serde_json::from_slice(l)
                    .map_err(|e| damaged(format!("line 1 is not a driftql checkpoint: {e}")))
            })?;
        if header.driftql_checkpoint != VERSION {
            return Err(damaged(format!(
                "it is in format {}, and this driftql reads format {VERSION}",
                header.driftql_checkpoint
            )));
        }
        if header.search != search {
            return Err(CheckpointError::OtherSearch {
                path: path.to_path_buf(),
                found: header.search,
                wanted: search.to_owned(),
            });
        }
        let n = header.windows.len();
        let mut ended_early = vec![false; n];
        let mut resumed = Resumed {
            pages_done: vec![0; n],
            window_reports: vec![0; n],
            spent: header.probes_billed,
            other_api: (header.api != api).then(|| header.api.clone()),
            ..Resumed::default()
        };
        for (i, line) in lines.enumerate() {
            if line.is_empty() {
                continue;
            }
            let at = i + 2;
            let line: Line =
                serde_json::from_slice(line).map_err(|e| damaged(format!("line {at}: {e}")))?;
            match line {
                Line::Done {
                    window,
                    page,
                    reports,
                    billed,
                    last,
                    output_bytes,
                } => {
                    let planned = header.windows.get(window).map(|w| w.pages);
                    let Some(pages) = planned.filter(|&p| page < p) else {
                        return Err(damaged(format!(
                            "line {at}: window {window} has no page {page} in the plan"
                        )));
                    };
                    // After a page that ended its window early, the pages that were in flight
                    // still come, in order.
                    let ended = ended_early[window];
                    if page != resumed.pages_done[window] && !ended {
                        return Err(damaged(format!(
                            "line {at}: page {page} of window {window} is not the next page of \
                             the plan"
                        )));
                    }
                    if last {
                        ended_early[window] = true;
                        resumed.pages_done[window] = pages;
                    } else if !ended {
                        resumed.pages_done[window] = page + 1;
                    }
                    resumed.reports += reports;
                    resumed.window_reports[window] += reports;
                    resumed.spent += u64::from(billed);
                    if output_bytes.is_some() {
                        resumed.output_bytes = output_bytes;
                    }
                }
                Line::Complete => resumed.complete = true,
                Line::Output { path, format } => {
                    resumed.output_path = Some(path);
                    resumed.output_format = format;
                }
            }
        }
        if resumed.complete {
            for (done, w) in resumed.pages_done.iter_mut().zip(&header.windows) {
                *done = w.pages;
            }
        }
        let file = Self::append_to(path)?;
        lock(path, &file)?;
        // The cut line goes once the file is this run's (not while another run writes it).
        if good != text.len() {
            file.set_len(good as u64).map_err(io_error(path))?;
        }
        let checkpoint = Checkpoint {
            path: path.to_path_buf(),
            file,
            spool: Spool::of(path, search),
        };
        Ok(Some((checkpoint, header, resumed)))
    }

    /// Starts the checkpoint at `path` with `header`: the file is written whole, so a run
    /// stopped now leaves the old state or the new one.
    pub fn create(path: &Path, header: &Header) -> Result<Checkpoint, CheckpointError> {
        let mut line =
            serde_json::to_vec(header).map_err(|e| io_error(path)(io::Error::other(e)))?;
        line.push(b'\n');
        write_whole(path, &line, Whole::Durable).map_err(io_error(path))?;
        let file = Self::append_to(path)?;
        lock(path, &file)?;
        Ok(Checkpoint {
            path: path.to_path_buf(),
            file,
            spool: Spool::of(path, &header.search),
        })
    }

    fn append_to(path: &Path) -> Result<File, CheckpointError> {
        OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io_error(path))
    }

    fn append(&mut self, line: &Line) -> Result<(), CheckpointError> {
        let mut bytes =
            serde_json::to_vec(line).map_err(|e| io_error(&self.path)(io::Error::other(e)))?;
        bytes.push(b'\n');
        // One write of one short line: a stop leaves it whole or cut, and a cut line is
        // dropped when the file is read.
        self.file.write_all(&bytes).map_err(io_error(&self.path))
    }

    /// Records that `batch` (of `window`) was delivered, and lets its spooled copy go.
    pub fn done(
        &mut self,
        window: Window,
        batch: &Batch,
        output_bytes: Option<u64>,
    ) -> Result<(), CheckpointError> {
        self.append(&Line::Done {
            window: batch.window,
            page: batch.page,
            reports: batch.reports.len() as u64,
            billed: batch.billed,
            last: batch.ends_window,
            output_bytes,
        })?;
        self.spool.remove(window, batch.page);
        Ok(())
    }

    /// Records the file the caller writes what is delivered to, and how.
    pub fn output(&mut self, path: &str, format: &str) -> Result<(), CheckpointError> {
        self.append(&Line::Output {
            path: path.to_owned(),
            format: Some(format.to_owned()),
        })
    }

    /// Records that the plan was delivered to its end, and removes the spool.
    pub fn complete(&mut self) -> Result<(), CheckpointError> {
        self.append(&Line::Complete)?;
        self.spool.discard();
        Ok(())
    }

    /// The spool of pages fetched and not yet delivered.
    pub fn spool(&self) -> &Spool {
        &self.spool
    }
}

/// The pages of a checkpointed search fetched but not yet delivered, kept beside the
/// checkpoint (`FILE.pages/`) as they arrive, so that a stopped run does not pay for them
/// again. Each is removed once delivered; the whole spool once the plan is. A page is used for
/// as long as a cached one ([`DEFAULT_CACHE_TTL`], a day): a run that goes on later fetches it
/// anew, rather than deliver what it was days ago.
#[derive(Clone, Debug)]
pub(super) struct Spool {
    dir: PathBuf,
    pages: Cache,
    search: String,
}

impl Spool {
    /// The spool of the checkpoint at `path`, for `search`.
    pub fn of(path: &Path, search: &str) -> Spool {
        let mut dir = path.as_os_str().to_owned();
        dir.push(".pages");
        let dir = PathBuf::from(dir);
        Spool {
            pages: Cache::new(&dir).ttl(DEFAULT_CACHE_TTL),
            dir,
            search: search.to_owned(),
        }
    }

    fn key(&self, window: Window, page: u32) -> String {
        format!(
            "{} from={:?} to={:?} page={page}",
            self.search, window.from, window.to
        )
    }

    pub fn get(&self, window: Window, page: u32) -> Option<ResultsPage> {
        self.pages.get(&self.key(window, page))
    }

    pub fn has(&self, window: Window, page: u32) -> bool {
        self.pages.has(&self.key(window, page))
    }

    pub fn put(&self, window: Window, page: u32, answer: &ResultsPage) {
        self.pages.put(&self.key(window, page), answer);
    }

    fn remove(&self, window: Window, page: u32) {
        self.pages.remove(&self.key(window, page));
    }

    fn discard(&self) {
        let _ = fs::remove_dir_all(&self.dir);
    }

    /// Why a page could not be spooled, the first time it happened.
    pub fn write_error(&self) -> Option<String> {
        self.pages.write_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = crate::client::test_dir(&format!("checkpoint-{name}"));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// No checkpoint file is a first run; a path that cannot be read is an error, not one.
    #[test]
    fn a_missing_checkpoint_is_none_and_an_unreadable_one_an_error() {
        let dir = scratch("load");
        let missing = Checkpoint::load(&dir.join("none.jsonl"), "port-tcp:443", "http://x/");
        assert!(matches!(missing, Ok(None)), "{:?}", missing.err());
        let unreadable = Checkpoint::load(&dir, "port-tcp:443", "http://x/");
        match unreadable {
            Err(CheckpointError::Io { path, .. }) => assert_eq!(path, dir),
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("a directory read as a checkpoint"),
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    fn header() -> Header {
        Header {
            driftql_checkpoint: VERSION,
            search: "port-tcp:443".into(),
            api: "http://x/".into(),
            windows: Vec::new(),
            probes: 0,
            probes_billed: 0,
        }
    }

    const ALL_TIME: Window = Window {
        from: None,
        to: None,
    };

    fn page(n: u32) -> ResultsPage {
        ResultsPage::new(n, 3, 0, Vec::new())
    }

    /// A checkpoint shows its path when debugged.
    #[test]
    fn a_checkpoint_debugs_as_its_path() {
        let dir = scratch("debug");
        let path = dir.join("run.jsonl");
        let checkpoint = Checkpoint::create(&path, &header()).unwrap();
        let shown = format!("{checkpoint:?}");
        assert!(
            shown.starts_with("Checkpoint {") && shown.contains("run.jsonl"),
            "{shown}"
        );
        drop(checkpoint);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A page stays in the spool until it is delivered, and then goes.
    #[test]
    fn a_delivered_page_leaves_the_spool() {
        let dir = scratch("spool");
        let mut checkpoint = Checkpoint::create(&dir.join("run.jsonl"), &header()).unwrap();
        for n in 0..2 {
            checkpoint.spool().put(ALL_TIME, n, &page(n));
        }
        let delivered = Batch {
            window: 0,
            page: 0,
            reports: Vec::new(),
            billed: true,
            ends_window: false,
        };
        checkpoint.done(ALL_TIME, &delivered, None).unwrap();
        assert!(!checkpoint.spool().has(ALL_TIME, 0), "page 0 was delivered");
        assert_eq!(checkpoint.spool().get(ALL_TIME, 1), Some(page(1)));
        assert_eq!(checkpoint.spool().write_error(), None);
        drop(checkpoint);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A spool that cannot be written says where and why; the checkpoint itself goes on.
    #[test]
    fn a_spool_that_cannot_be_written_says_why() {
        let dir = scratch("unwritable");
        let path = dir.join("run.jsonl");
        fs::write(
            dir.join("run.jsonl.pages"),
            "where the spool's folder would be",
        )
        .unwrap();
        let checkpoint = Checkpoint::create(&path, &header()).unwrap();
        checkpoint.spool().put(ALL_TIME, 0, &page(0));
        assert!(!checkpoint.spool().has(ALL_TIME, 0));
        let error = checkpoint
            .spool()
            .write_error()
            .expect("the page was not spooled");
        assert!(error.contains("run.jsonl.pages"), "{error}");
        drop(checkpoint);
        fs::remove_dir_all(&dir).unwrap();
    }
}
