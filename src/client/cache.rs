//! A cache of results pages on disk, so that a page is paid for once: see [`Cache`].

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::models::ResultsPage;

/// The environment variable that overrides the cache's directory.
pub const CACHE_DIR_ENV: &str = "DRIFTQL_CACHE_DIR";
/// How long a cached page is used by default: 24 hours.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// A cache of results pages on disk.
///
/// With a cache set ([`ClientBuilder::cache`](super::ClientBuilder::cache)), every results page
/// of a search endpoint is looked up before it is requested, and kept once fetched. A page
/// younger than the cache's time to live is answered from disk, and costs no quota.
///
/// - The key is the base URL, the endpoint and the request's parameters in canonical order:
///   the expression in its canonical form, repeated parameters sorted, and the page. So two
///   ways of writing the same query share their pages. The token is not part of a key or of a
///   file (results do not depend on the account that asks).
/// - Each page is one file, `pages/XX/HASH.json` below the directory, where `HASH` is the
///   SHA-256 of the key; the file holds the key (checked when read) and the page. A page's age
///   is its file's modification time. Files are written whole (to a temporary file, then
///   renamed), so an interrupted run leaves no half-written page; a file that cannot be read
///   is treated as absent and replaced.
/// - The cache never fails a search: when a page cannot be written, the search goes on, and
///   [`Cache::write_error`] says what went wrong.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
    ttl: Duration,
    state: Arc<State>,
}

#[derive(Debug, Default)]
struct State {
    hits: AtomicU64,
    stored: AtomicU64,
    write_error: Mutex<Option<String>>,
}

/// What a cache holds ([`Cache::stats`]), or what [`Cache::clear`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CacheStats {
    /// How many pages.
    pub pages: u64,
    /// Their size on disk, in bytes.
    pub bytes: u64,
    /// How many of them are older than the time to live (never used again; `clear --expired`
    /// removes them).
    pub expired: u64,
}

/// The cache's directory could not be found.
#[derive(Debug, thiserror::Error)]
#[error(
    "no cache directory: the home directory is unknown; set {CACHE_DIR_ENV} to the directory to use"
)]
#[non_exhaustive]
pub struct NoCacheDir;

#[derive(Serialize)]
struct EntryOut<'a> {
    key: &'a str,
    page: &'a ResultsPage,
}

#[derive(Deserialize)]
struct EntryIn {
    key: String,
    page: ResultsPage,
}

impl Cache {
    /// A cache in `dir`, with the default time to live (24 hours). Nothing is created until a
    /// page is stored.
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache {
            dir: dir.into(),
            ttl: DEFAULT_CACHE_TTL,
            state: Arc::default(),
        }
    }

    /// The user's cache directory for driftql: `DRIFTQL_CACHE_DIR` when it is set, else the
    /// platform's (`$XDG_CACHE_HOME/driftql` or `~/.cache/driftql` on Linux,
    /// `~/Library/Caches/driftql` on macOS, `%LOCALAPPDATA%\driftql\cache` on Windows).
    pub fn default_dir() -> Result<PathBuf, NoCacheDir> {
        if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        directories::ProjectDirs::from("", "", "driftql")
            .map(|p| p.cache_dir().to_path_buf())
            .ok_or(NoCacheDir)
    }

    /// A cache in the user's cache directory ([`Cache::default_dir`]).
    pub fn at_default_dir() -> Result<Cache, NoCacheDir> {
        Cache::default_dir().map(Cache::new)
    }

    /// How long a page is used after it was fetched.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Cache {
        self.ttl = ttl;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The time to live.
    pub fn time_to_live(&self) -> Duration {
        self.ttl
    }

    /// How many pages were answered from the cache by this value (and its clones).
    pub fn hits(&self) -> u64 {
        self.state.hits.load(Ordering::Relaxed)
    }

    /// How many pages were stored by this value (and its clones).
    pub fn stored(&self) -> u64 {
        self.state.stored.load(Ordering::Relaxed)
    }

    /// Why a page could not be stored, the first time it happened.
    pub fn write_error(&self) -> Option<String> {
        self.state
            .write_error
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
    }

    fn pages_dir(&self) -> PathBuf {
        self.dir.join("pages")
    }

    fn path_of(&self, key: &str) -> PathBuf {
        let hash = Sha256::digest(key.as_bytes());
        let mut hex = String::with_capacity(64);
        for b in hash {
            let _ = write!(hex, "{b:02x}");
        }
        self.pages_dir().join(&hex[..2]).join(format!("{hex}.json"))
    }

    /// Whether a fresh page is stored under `key` (without reading it).
    pub(crate) fn has(&self, key: &str) -> bool {
        fs::metadata(self.path_of(key)).is_ok_and(|m| self.fresh(&m))
    }

    fn fresh(&self, meta: &fs::Metadata) -> bool {
        let Ok(modified) = meta.modified() else {
            return false;
        };
        match SystemTime::now().duration_since(modified) {
            Ok(age) => age < self.ttl,
            // Written "in the future" (the clock moved back): trust it no more than a day.
            Err(e) => e.duration() < Duration::from_secs(24 * 60 * 60),
        }
    }

    /// The fresh page stored under `key`, if there is one.
    pub(crate) fn get(&self, key: &str) -> Option<ResultsPage> {
        let path = self.path_of(key);
        let meta = fs::metadata(&path).ok()?;
        if !self.fresh(&meta) {
            return None;
        }
        let bytes = fs::read(&path).ok()?;
        let entry: EntryIn = serde_json::from_slice(&bytes).ok()?;
        if entry.key != key {
            return None;
        }
        self.state.hits.fetch_add(1, Ordering::Relaxed);
        Some(entry.page)
    }

    /// Stores `page` under `key`; a failure is kept for [`Cache::write_error`], not returned.
    pub(crate) fn put(&self, key: &str, page: &ResultsPage) {
        let path = self.path_of(key);
        let body = serde_json::to_vec(&EntryOut { key, page }).map_err(io::Error::other);
        match body.and_then(|b| write_whole(&path, &b, Whole::Plain)) {
            Ok(()) => {
                self.state.stored.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                if let Ok(mut first) = self.state.write_error.lock() {
                    first.get_or_insert_with(|| format!("{}: {e}", path.display()));
                }
            }
        }
    }

    /// Removes the page stored under `key`, if any.
    pub(crate) fn remove(&self, key: &str) {
        let _ = fs::remove_file(self.path_of(key));
    }

    /// Counts the pages stored, their size and how many have expired.
    pub fn stats(&self) -> io::Result<CacheStats> {
        let mut stats = CacheStats::default();
        self.each_file(|file| {
            if let File::Page(meta) = file {
                stats.pages += 1;
                stats.bytes += meta.len();
                stats.expired += u64::from(!self.fresh(meta));
            }
            false
        })?;
        Ok(stats)
    }

    /// Removes every page (or, with `expired_only`, those past their time to live), and the
    /// temporary files of writes that were cut short; says what was removed.
    pub fn clear(&self, expired_only: bool) -> io::Result<CacheStats> {
        let mut removed = CacheStats::default();
        self.each_file(|file| match file {
            File::Page(meta) => {
                let expired = !self.fresh(meta);
                if expired_only && !expired {
                    return false;
                }
                removed.pages += 1;
                removed.bytes += meta.len();
                removed.expired += u64::from(expired);
                true
            }
            File::Leftover(meta) => {
                removed.bytes += meta.len();
                true
            }
        })?;
        Ok(removed)
    }

    /// Calls `visit` on each page file, and on each temporary file left more than an hour ago
    /// by a write that was cut short; removes those it says to. A missing directory is an
    /// empty cache.
    fn each_file(&self, mut visit: impl FnMut(&File) -> bool) -> io::Result<()> {
        let top = match fs::read_dir(self.pages_dir()) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for sub in top {
            let sub = sub?;
            if !sub.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(sub.path())? {
                let entry = entry?;
                let path = entry.path();
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let meta = entry.metadata()?;
                let file = if name.ends_with(TEMP_SUFFIX) {
                    let old = meta
                        .modified()
                        .ok()
                        .and_then(|m| m.elapsed().ok())
                        .is_some_and(|age| age > Duration::from_secs(60 * 60));
                    if !old {
                        continue;
                    }
                    File::Leftover(meta)
                } else if name.ends_with(".json") {
                    File::Page(meta)
                } else {
                    continue;
                };
                if visit(&file) {
                    match fs::remove_file(&path) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }
}

/// A file of the cache's directory.
enum File {
    /// A page.
    Page(fs::Metadata),
    /// What a write cut short left.
    Leftover(fs::Metadata),
}

/// How [`write_whole`] writes a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Whole {
    /// A cache page: nothing lost if a crash of the machine loses it.
    Plain,
    /// Flushed to the disk before it replaces the old file, so a crash of the machine leaves
    /// the old file or the new one.
    Durable,
    /// Durable, and readable and writable by its owner only (mode 0600 on Unix), from its
    /// first byte.
    Private,
}

/// Writes `bytes` to `path` whole: into a temporary file beside it, then renamed over it, so
/// that a reader (or a run interrupted at any moment) sees the old file or the new one, never
/// a part. Creates the parent directories.
pub(crate) fn write_whole(path: &Path, bytes: &[u8], how: Whole) -> io::Result<()> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let parent = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(parent)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(
        ".{name}.{}.{}{TEMP_SUFFIX}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if how == Whole::Private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options
        .open(&tmp)
        .and_then(|mut f| {
            io::Write::write_all(&mut f, bytes)?;
            if how != Whole::Plain {
                f.sync_all()?;
            }
            Ok(())
        })
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// What the temporary files of [`write_whole`] end with.
const TEMP_SUFFIX: &str = ".tmp";

#[cfg(test)]
mod tests {
    use super::*;

    fn page(id: &str) -> ResultsPage {
        serde_json::from_str(&format!(
            r#"{{"page":0,"pages":1,"result_count":1,"results":[{{"date":"2024-01-01","id":"{id}","items":[]}}]}}"#
        ))
        .unwrap()
    }

    fn temp_dir(name: &str) -> PathBuf {
        crate::client::test_dir(&format!("cache-{name}"))
    }

    #[test]
    fn a_page_is_kept_under_its_key_and_read_back() {
        let dir = temp_dir("keep");
        let cache = Cache::new(&dir);
        assert_eq!(cache.get("k1"), None);
        cache.put("k1", &page("a"));
        cache.put("k2", &page("b"));
        assert_eq!(cache.get("k1"), Some(page("a")));
        assert_eq!(cache.get("k2"), Some(page("b")));
        assert!(cache.has("k1") && !cache.has("k3"));
        assert_eq!((cache.hits(), cache.stored()), (2, 2));
        let stats = cache.stats().unwrap();
        assert_eq!((stats.pages, stats.expired), (2, 0));
        assert!(stats.bytes > 0);
        // A file holding another key (a collision, or a file moved by hand) is not used.
        let other = cache.path_of("k2");
        fs::copy(&other, cache.path_of("k1")).unwrap();
        assert_eq!(cache.get("k1"), None);
        // Nor a damaged one.
        fs::write(&other, b"{\"key\":").unwrap();
        assert_eq!(cache.get("k2"), None);
        assert_eq!(cache.clear(false).unwrap().pages, 2);
        assert_eq!(cache.stats().unwrap(), CacheStats::default());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_expired_page_is_not_used_and_can_be_cleared_alone() {
        let dir = temp_dir("ttl");
        let cache = Cache::new(&dir).ttl(Duration::ZERO);
        cache.put("old", &page("a"));
        assert_eq!(cache.get("old"), None);
        let fresh = Cache::new(&dir);
        fresh.put("new", &page("b"));
        // Seen with a zero time to live, both are expired.
        assert_eq!(cache.stats().unwrap().expired, 2);
        assert_eq!(fresh.stats().unwrap().expired, 0);
        let removed = cache.clear(true).unwrap();
        assert_eq!((removed.pages, removed.expired), (2, 2));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unwritable_cache_reports_and_does_not_fail() {
        let dir = temp_dir("unwritable");
        fs::write(&dir, b"a file, not a directory").unwrap();
        let cache = Cache::new(&dir);
        cache.put("k", &page("a"));
        assert_eq!(cache.stored(), 0);
        assert!(cache.write_error().is_some());
        assert_eq!(cache.get("k"), None);
        fs::remove_file(&dir).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_empty_cache() {
        let cache = Cache::new(temp_dir("missing"));
        assert_eq!(cache.stats().unwrap(), CacheStats::default());
        assert_eq!(cache.clear(false).unwrap(), CacheStats::default());
    }
}
