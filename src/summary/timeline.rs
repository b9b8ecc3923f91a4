//! The admin page hour by hour, beside what really happened: at every whole hour of the run,
//! each object's backlog, its reading 6 hours before, the average completed per hour over
//! the 24 hours before, the page's estimated backlog time and status, and the time the
//! backlog read at that hour really took to clear (docs/outputs.md, dashboard_timeline.csv).
//!
//! The page's figures are those of [`super::Dashboard::at`] at each whole hour, computed from
//! running sums so a long run costs one pass; the clear times are running maxima of the
//! engine's departures ([`RunResult::last_departure`]): the backlog read at hour `h` has all
//! left at the last departure among the records first counted at hour `h` or before, if that
//! comes after `h` (docs/model.md, Metrics).

use super::dashboard::{estimated_backlog_hours, Status, DASHBOARD_HOURS, GROWTH_LOOKBACK_HOURS};
use crate::metrics::RunResult;
use crate::units::{Millis, HOUR};

/// One reading of the page (an object's row, or the total) at a whole hour, and when the
/// backlog it read had really all left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// The backlog at the hour.
    pub backlog: u64,
    /// The backlog 6 hours before (at the start, for hours less than 6 in).
    pub backlog_before: u64,
    /// Average records completed per hour over the (up to) 24 hour buckets before the hour.
    pub avg_per_hour: f64,
    /// backlog / average per hour, hours; `None` (infinite) when the average is 0.
    pub est_backlog_hours: Option<f64>,
    /// Growing when `backlog` is above `backlog_before`.
    pub status: Status,
    /// The first instant at or after the hour at which every record pending at it had left
    /// the backlog (synced, skipped, or failed into a retry queue); `None` when one of them
    /// was still pending at the end of the run.
    pub cleared: Option<Millis>,
}

/// The page at every whole hour of a run, with the real clear times.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    objects: usize,
    /// Readings: whole hours 0, 1, ... up to the end of the run.
    hours: usize,
    /// Per (hour, object), row-major: completions in the hour buckets before the hour
    /// (a running sum, so any window's total is a difference).
    completed_before: Vec<u64>,
    /// Per (hour, object), row-major: when the backlog read at the hour had all left;
    /// `Millis::MAX` when not within the run.
    cleared: Vec<Millis>,
}

impl Timeline {
    /// The timeline of `run`, a run of a scenario with `objects` objects.
    pub fn of(run: &RunResult, objects: usize) -> Self {
        let hours = run.hours_observed();
        let mut completed_before = vec![0u64; hours * objects];
        let mut cleared = vec![0; hours * objects];
        let mut latest = vec![0 as Millis; objects];
        for h in 0..hours {
            for (o, latest) in latest.iter_mut().enumerate() {
                let i = h * objects + o;
                if h > 0 {
                    let bucket = h - 1;
                    let done = if bucket < run.hour_buckets() {
                        run.completed_in_hour(bucket, o)
                    } else {
                        0
                    };
                    completed_before[i] = completed_before[i - objects] + done;
                }
                let departed = run.last_departure(h, o).unwrap_or(Millis::MAX);
                *latest = (*latest).max(departed);
                let at = h as Millis * HOUR;
                // Nothing read at the hour still pending after it: clear at the hour itself.
                cleared[i] = (*latest).max(at);
            }
        }
        Timeline {
            objects,
            hours,
            completed_before,
            cleared,
        }
    }

    /// How many whole-hour readings there are (hours 0 to the end of the run).
    pub fn len(&self) -> usize {
        self.hours
    }

    /// Whether the run had no whole hour at all (never: hour 0 is always read).
    pub fn is_empty(&self) -> bool {
        self.hours == 0
    }

    /// The reading of `object` at whole hour `h` (`run` is the run this timeline is of).
    pub fn object(&self, run: &RunResult, h: usize, object: usize) -> Reading {
        let backlog = run.hourly_object_backlog(h, object);
        let backlog_before =
            run.hourly_object_backlog(h.saturating_sub(GROWTH_LOOKBACK_HOURS), object);
        let avg = self.average(h, object);
        let cleared = self.cleared[h * self.objects + object];
        Reading {
            backlog,
            backlog_before,
            avg_per_hour: avg,
            est_backlog_hours: estimated_backlog_hours(backlog, avg),
            status: Status::of(backlog, backlog_before),
            cleared: (cleared != Millis::MAX).then_some(cleared),
        }
    }

    /// The reading of the total at whole hour `h`: the total backlog, the sum of the objects'
    /// averages, and the page's rule applied to them; clear when every object's is.
    pub fn total(&self, run: &RunResult, h: usize) -> Reading {
        let backlog = run.hourly_total_backlog(h);
        let backlog_before = run.hourly_total_backlog(h.saturating_sub(GROWTH_LOOKBACK_HOURS));
        let avg: f64 = (0..self.objects).map(|o| self.average(h, o)).sum();
        let cleared = (0..self.objects)
            .map(|o| self.cleared[h * self.objects + o])
            .max()
            .unwrap_or(h as Millis * HOUR);
        Reading {
            backlog,
            backlog_before,
            avg_per_hour: avg,
            est_backlog_hours: estimated_backlog_hours(backlog, avg),
            status: Status::of(backlog, backlog_before),
            cleared: (cleared != Millis::MAX).then_some(cleared),
        }
    }

    /// Average completed per hour of `object` over the (up to) 24 hour buckets before hour
    /// `h`, as the page reads it.
    fn average(&self, h: usize, object: usize) -> f64 {
        let buckets = h.min(DASHBOARD_HOURS);
        if buckets == 0 {
            return 0.0;
        }
        let now = self.completed_before[h * self.objects + object];
        let then = self.completed_before[(h - buckets) * self.objects + object];
        (now - then) as f64 / buckets as f64
    }

    /// When the backlog of `object` read at whole hour `h` had all left (see
    /// [`Reading::cleared`]).
    pub fn cleared(&self, h: usize, object: usize) -> Option<Millis> {
        let t = self.cleared[h * self.objects + object];
        (t != Millis::MAX).then_some(t)
    }
}
