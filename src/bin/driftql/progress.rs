//! Progress on long local work: a bar of the bytes of a file read, on standard error when it
//! is a terminal.

use std::fs::File;
use std::io::{self, IsTerminal, Read};

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of the bytes read from a file (none when standard error is not a terminal); it
/// clears itself when dropped.
pub struct Reading(Option<ProgressBar>);

impl Reading {
    /// `file` as a reader whose progress a bar shows, labelled `name` — when `wanted` and
    /// standard error is a terminal.
    pub fn file(file: File, name: &str, wanted: bool) -> (Reading, Box<dyn Read + Send>) {
        if !wanted || !io::stderr().is_terminal() {
            return (Reading(None), Box::new(file));
        }
        let Ok(len) = file.metadata().map(|m| m.len()) else {
            return (Reading(None), Box::new(file));
        };
        let bar = ProgressBar::new(len).with_message(name.to_owned());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} {bytes}/{total_bytes} {wide_bar} {bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let reader = bar.wrap_read(file);
        (Reading(Some(bar)), Box::new(reader))
    }

    /// No bar.
    pub fn none() -> Reading {
        Reading(None)
    }

    /// Runs `f` (which writes to standard error) with the bar out of the way.
    pub fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
