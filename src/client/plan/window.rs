//! Date windows, and how one with too many results is cut in two.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::models::Date;

/// A date window of a search: `from` to `to`, both days included. An end is open (`None`) only
/// where the search itself set no bound, so that a plan's windows together cover exactly the
/// range the search asked for, however old or new a report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Window {
    /// The first day, or `None`: no lower bound.
    pub from: Option<Date>,
    /// The last day, or `None`: no upper bound.
    pub to: Option<Date>,
}

impl Window {
    /// The window from `from` to `to` (inclusive; `None` for an open end).
    pub fn new(from: Option<Date>, to: Option<Date>) -> Window {
        Window { from, to }
    }

    /// Whether `day` is in the window.
    pub fn contains(&self, day: Date) -> bool {
        self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day <= t)
    }

    /// The one day the window covers, when it covers exactly one.
    pub fn single_day(&self) -> Option<Date> {
        match (self.from, self.to) {
            (Some(f), Some(t)) if f == t => Some(f),
            _ => None,
        }
    }
}

impl fmt::Display for Window {
    /// `2024-01-01 to 2024-06-30`, `2024-05-05` (one day), `up to 2018-12-31`,
    /// `from 2025-01-01`, or `all dates`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.from, self.to) {
            (Some(a), Some(b)) if a == b => write!(f, "{a}"),
            (Some(a), Some(b)) => write!(f, "{a} to {b}"),
            (None, Some(b)) => write!(f, "up to {b}"),
            (Some(a), None) => write!(f, "from {a}"),
            (None, None) => f.write_str("all dates"),
        }
    }
}

/// What a probe (page 0 of a window) tells about the window's dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Probed {
    /// The date of the newest report (the page's first: results are newest first).
    pub newest: Date,
    /// The date of the page's last report.
    pub oldest_on_page: Date,
}

/// A window cut in two: the newer part, the older part, and, when the older part has no lower
/// bound, the step to cut it by next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    pub newer: Window,
    pub older: Window,
    pub older_step: Option<i64>,
}

/// How many times the days the first page spans the first step back goes, for a window with no
/// lower bound: about half a window's worth of results, if they keep coming at that rate.
const STEP_PAGES: i64 = 50;

/// Cuts `window`, whose probe found more results than one search serves, into two windows
/// that together cover it exactly, the newer first.
///
/// - With a lower bound, it is **bisection**: the days from `from` to the newest report are
///   halved (nothing newer than that report is in the window, but the newer part keeps the
///   window's `to`, so a report dated later is not missed either).
/// - Without one, the older part stays open-ended, and the cut walks back from the newest
///   report: by `step` days (the first time, 50 times the days the probe's page spans, at least
///   one), doubling at each further cut of the older part, until what is left holds few enough
///   results. So the plan needs no guess of the earliest date, and misses nothing older.
///
/// `None` when the window cannot be cut: it is a single day (or the newest report is its
/// first day).
pub(crate) fn split(window: Window, probed: Probed, step: Option<i64>) -> Option<Split> {
    // The newest report bounds the part worth cutting.
    let newest = window.to.map_or(probed.newest, |t| probed.newest.min(t));
    match window.from {
        Some(from) => {
            let days = from.days_until(newest);
            if days <= 0 {
                return None;
            }
            let mid = from.plus_days(days / 2)?;
            Some(Split {
                newer: Window::new(mid.plus_days(1), window.to),
                older: Window::new(Some(from), Some(mid)),
                older_step: None,
            })
        }
        None => {
            let spanned = probed.oldest_on_page.days_until(newest).max(0) + 1;
            let step = step.unwrap_or(spanned.saturating_mul(STEP_PAGES)).max(1);
            // Past the calendar's first day, the older part cannot hold a report.
            let cut = newest
                .plus_days(-step)
                .or_else(|| first_day_before(newest))?;
            Some(Split {
                newer: Window::new(cut.plus_days(1), window.to),
                older: Window::new(None, Some(cut)),
                older_step: Some(step.saturating_mul(2)),
            })
        }
    }
}

/// The calendar's first day, when it is before `day`.
fn first_day_before(day: Date) -> Option<Date> {
    let first = Date::MIN;
    (first < day).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn probed(newest: &str, oldest: &str) -> Probed {
        Probed {
            newest: d(newest),
            oldest_on_page: d(oldest),
        }
    }

    /// Every day in `0..n` days from `start` is in exactly one of the two parts, and in
    /// `window`.
    fn covers_exactly(window: Window, s: &Split, start: Date, n: i64) {
        for i in 0..n {
            let day = start.plus_days(i).unwrap();
            let parts = [s.newer, s.older]
                .iter()
                .filter(|w| w.contains(day))
                .count();
            assert_eq!(parts, usize::from(window.contains(day)), "{day} in {s:?}");
        }
    }

    #[test]
    fn a_bounded_window_is_halved_up_to_its_newest_report() {
        let w = Window::new(Some(d("2024-01-01")), Some(d("2024-12-31")));
        let s = split(w, probed("2024-03-01", "2024-02-20"), None).unwrap();
        // 60 days from 01-01 to 03-01: the older half ends 30 days in.
        assert_eq!(
            s.older,
            Window::new(Some(d("2024-01-01")), Some(d("2024-01-31")))
        );
        assert_eq!(
            s.newer,
            Window::new(Some(d("2024-02-01")), Some(d("2024-12-31")))
        );
        assert_eq!(s.older_step, None);
        covers_exactly(w, &s, d("2023-12-01"), 500);
    }

    #[test]
    fn an_open_upper_end_stays_open() {
        let w = Window::new(Some(d("2024-01-01")), None);
        let s = split(w, probed("2024-01-03", "2024-01-01"), None).unwrap();
        assert_eq!(
            s.older,
            Window::new(Some(d("2024-01-01")), Some(d("2024-01-02")))
        );
        assert_eq!(s.newer, Window::new(Some(d("2024-01-03")), None));
        covers_exactly(w, &s, d("2023-12-01"), 100);
    }

    #[test]
    fn a_single_day_cannot_be_cut() {
        let day = Window::new(Some(d("2024-05-05")), Some(d("2024-05-05")));
        assert_eq!(day.single_day(), Some(d("2024-05-05")));
        for two_days_or_more in [
            Window::new(Some(d("2024-05-05")), Some(d("2024-05-06"))),
            Window::new(Some(d("2024-05-05")), None),
            Window::new(None, Some(d("2024-05-05"))),
            Window::new(None, None),
        ] {
            assert_eq!(two_days_or_more.single_day(), None, "{two_days_or_more}");
        }
        assert_eq!(split(day, probed("2024-05-05", "2024-05-05"), None), None);
        // Nor a window whose newest report is on its first day.
        let w = Window::new(Some(d("2024-05-05")), None);
        assert_eq!(split(w, probed("2024-05-05", "2024-05-05"), None), None);
    }

    #[test]
    fn without_a_lower_bound_the_cut_walks_back_in_doubling_steps() {
        let w = Window::new(None, None);
        // The first page spans 10 days: the first step is 500 days.
        let s = split(w, probed("2025-12-31", "2025-12-22"), None).unwrap();
        assert_eq!(s.newer, Window::new(Some(d("2024-08-19")), None));
        assert_eq!(s.older, Window::new(None, Some(d("2024-08-18"))));
        assert_eq!(s.older_step, Some(1000));
        covers_exactly(w, &s, d("2022-01-01"), 2000);
        // The older part, cut again, goes back twice as far from its own newest report.
        let again = split(s.older, probed("2024-08-18", "2024-08-01"), s.older_step).unwrap();
        assert_eq!(again.older.to, d("2024-08-18").plus_days(-1000));
        assert_eq!(again.older.from, None);
        assert_eq!(again.older_step, Some(2000));
        covers_exactly(s.older, &again, d("2019-01-01"), 3000);
    }

    #[test]
    fn a_probe_newer_than_the_window_is_held_to_its_end() {
        let w = Window::new(Some(d("2024-01-01")), Some(d("2024-01-10")));
        let s = split(w, probed("2030-01-01", "2029-01-01"), None).unwrap();
        assert_eq!(s.older.to, Some(d("2024-01-05")));
        covers_exactly(w, &s, d("2023-12-25"), 30);
    }

    #[test]
    fn the_calendar_has_a_first_day() {
        let s = split(
            Window::new(None, None),
            probed("0001-01-02", "0001-01-01"),
            Some(1 << 40),
        )
        .unwrap();
        assert_eq!(s.older.to, Some(Date::MIN));
        assert_eq!(
            split(
                Window::new(None, None),
                probed(&Date::MIN.to_string(), &Date::MIN.to_string()),
                None
            ),
            None
        );
    }

    #[test]
    fn windows_display_their_days() {
        let w = |a: Option<&str>, b: Option<&str>| Window::new(a.map(d), b.map(d)).to_string();
        assert_eq!(w(None, None), "all dates");
        assert_eq!(w(Some("2024-01-01"), None), "from 2024-01-01");
        assert_eq!(w(None, Some("2024-01-01")), "up to 2024-01-01");
        assert_eq!(w(Some("2024-01-01"), Some("2024-01-01")), "2024-01-01");
        assert_eq!(
            w(Some("2024-01-01"), Some("2024-02-01")),
            "2024-01-01 to 2024-02-01"
        );
    }
}
