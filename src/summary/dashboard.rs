//! The admin page's "Sync Backlog Metrics" as read at an instant (docs/model.md, Metrics):
//! the 4-hourly backlog trend, per object the max / min / average records completed per hour
//! over the last 24 hourly buckets, the backlog at the last whole hour, the estimated backlog
//! time and the Growing / Normal status.

use crate::metrics::RunResult;
use crate::units::{Millis, HOUR};

/// Status as on the admin page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Backlog at the last fetch exceeds the backlog six hours before.
    Growing,
    /// Otherwise.
    Normal,
}

impl Status {
    /// The page's rule: Growing when the backlog `now` is above the backlog `before` (6 hours
    /// earlier), else Normal; equal is Normal.
    pub fn of(now: u64, before: u64) -> Status {
        if now > before {
            Status::Growing
        } else {
            Status::Normal
        }
    }

    /// The label the admin page shows.
    pub fn label(self) -> &'static str {
        match self {
            Status::Growing => "Growing",
            Status::Normal => "Normal",
        }
    }
}

/// One object's row of the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardRow {
    /// Object index.
    pub object: usize,
    /// Most records completed in one of the hours considered.
    pub max_per_hour: u64,
    /// Fewest records completed in one of the hours considered.
    pub min_per_hour: u64,
    /// Average records completed per hour.
    pub avg_per_hour: f64,
    /// Backlog (both directions) at the last fetch.
    pub backlog: u64,
    /// Backlog 6 hours before the last fetch (at the start, for fetches less than 6 hours
    /// in): the reading the status compares `backlog` with.
    pub backlog_before: u64,
    /// backlog / average per hour, in hours; `None` (infinite) whenever the average is 0.
    pub est_backlog_hours: Option<f64>,
    /// Growing or Normal.
    pub status: Status,
    /// Not on the page, the reality beside it: the first instant at or after the last fetch
    /// at which every record of the object pending at the fetch had left the backlog;
    /// `None` when one was still pending at the end of the run.
    pub cleared: Option<Millis>,
}

/// The sync-health page at an instant (docs/model.md, Metrics).
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// The instant the page is read.
    pub at: Millis,
    /// Last whole hour at or before `at`: "backlog last fetched".
    pub last_fetch: Millis,
    /// One hour later.
    pub next_fetch: Millis,
    /// Hour buckets averaged (24, or fewer early in a run).
    pub hours_considered: usize,
    /// Trend: (instant, total backlog) at the 30 four-hour boundaries at or before `at`, oldest
    /// first; instants before the start are left out.
    pub trend: Vec<(Millis, u64)>,
    /// One row per object.
    pub rows: Vec<DashboardRow>,
    /// Total backlog at the last fetch.
    pub total_backlog: u64,
    /// Total backlog 6 hours before the last fetch: the reading the overall status compares
    /// with.
    pub total_backlog_before: u64,
    /// Overall status: Growing when the total backlog grows.
    pub status: Status,
}

/// Trend points on the admin page.
pub const TREND_POINTS: usize = 30;
/// Spacing of the trend points.
pub const TREND_STEP: Millis = 4 * HOUR;
/// Hour buckets the per-object figures cover.
pub const DASHBOARD_HOURS: usize = 24;
/// How far back "Growing" compares.
pub const GROWTH_LOOKBACK_HOURS: usize = 6;

impl Dashboard {
    /// The dashboard of `result` (a run of a scenario with `objects` objects) as read at `at` (at
    /// most the end of the run). Hours are counted from the start.
    pub fn at(result: &RunResult, objects: usize, at: Millis) -> Dashboard {
        let at = at.min(result.horizon);
        let fetch_hour = (at / HOUR) as usize;
        let last_fetch = fetch_hour as Millis * HOUR;
        let buckets = fetch_hour.min(result.hour_buckets()).min(DASHBOARD_HOURS);
        let first_bucket = fetch_hour - buckets;
        let before = fetch_hour.saturating_sub(GROWTH_LOOKBACK_HOURS);
        let rows = (0..objects)
            .map(|o| {
                let per_hour: Vec<u64> = (first_bucket..fetch_hour)
                    .map(|h| result.completed_in_hour(h, o))
                    .collect();
                let avg = if per_hour.is_empty() {
                    0.0
                } else {
                    per_hour.iter().sum::<u64>() as f64 / per_hour.len() as f64
                };
                let backlog = result.hourly_object_backlog(fetch_hour, o);
                let backlog_before = result.hourly_object_backlog(before, o);
                let cleared = (0..=fetch_hour)
                    .map(|h| result.last_departure(h, o).unwrap_or(Millis::MAX))
                    .max()
                    .unwrap_or(0)
                    .max(last_fetch);
                DashboardRow {
                    object: o,
                    max_per_hour: per_hour.iter().copied().max().unwrap_or(0),
                    min_per_hour: per_hour.iter().copied().min().unwrap_or(0),
                    avg_per_hour: avg,
                    backlog,
                    backlog_before,
                    est_backlog_hours: estimated_backlog_hours(backlog, avg),
                    status: Status::of(backlog, backlog_before),
                    cleared: (cleared != Millis::MAX).then_some(cleared),
                }
            })
            .collect();
        let newest = (at / TREND_STEP) * TREND_STEP;
        let trend = (0..TREND_POINTS as u64)
            .rev()
            .filter_map(|k| newest.checked_sub(k * TREND_STEP))
            .map(|t| (t, result.hourly_total_backlog((t / HOUR) as usize)))
            .collect();
        let total_backlog = result.hourly_total_backlog(fetch_hour);
        let total_backlog_before = result.hourly_total_backlog(before);
        Dashboard {
            at,
            last_fetch,
            next_fetch: last_fetch + HOUR,
            hours_considered: buckets,
            trend,
            rows,
            total_backlog,
            total_backlog_before,
            status: Status::of(total_backlog, total_backlog_before),
        }
    }
}

/// Estimated backlog time in hours: backlog / average per hour, infinite (`None`) whenever
/// the average is 0 (docs/model.md, Metrics), even with no backlog.
pub fn estimated_backlog_hours(backlog: u64, avg_per_hour: f64) -> Option<f64> {
    (avg_per_hour > 0.0).then(|| backlog as f64 / avg_per_hour)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{ApiSummary, PendingAtEnd, QueueCounters};

    #[test]
    fn estimated_backlog_time_is_infinite_without_throughput() {
        assert_eq!(estimated_backlog_hours(100, 50.0), Some(2.0));
        assert_eq!(estimated_backlog_hours(0, 50.0), Some(0.0));
        assert_eq!(estimated_backlog_hours(0, 0.0), None);
        assert_eq!(estimated_backlog_hours(10, 0.0), None);
    }

    /// One object, one direction, hand-made hourly series.
    fn result_with(hourly_backlog: &[u32], done_per_hour: &[u32]) -> RunResult {
        let hours = done_per_hour.len();
        let mut hourly_done = vec![0; hours * 2 * 2];
        for (h, d) in done_per_hour.iter().enumerate() {
            hourly_done[h * 4] = *d;
        }
        RunResult {
            seed: 1,
            horizon: hours as Millis * HOUR,
            sample_interval: HOUR,
            counters: vec![QueueCounters::default(); 2],
            sample_times: vec![0],
            samples: vec![0, 0],
            hourly_backlog: hourly_backlog.iter().flat_map(|b| [*b, 0]).collect(),
            hourly_done,
            settled: vec![0; hours + 2],
            hourly_errors: vec![[0; 4]; hours],
            hourly_waiting: vec![Default::default(); hours + 1],
            suppression_spells: Vec::new(),
            latency_over: Vec::new(),
            latency: vec![None; 2],
            latency_by_object: vec![None],
            latency_split: vec![[None; 2]],
            pending_end: vec![PendingAtEnd::default(); 2],
            events: Vec::new(),
            max_backlog: 0,
            max_backlog_at: 0,
            batches: 0,
            cycles: 0,
            empty_looks: 0,
            retry_samples: vec![0],
            timeout_samples: vec![0],
            api_samples: vec![0],
            api: ApiSummary::default(),
            windows: Default::default(),
        }
    }

    #[test]
    fn dashboard_formulas_on_a_known_series() {
        // 30 hours: throughput h for hour h; backlog 10*h at hour h.
        let done: Vec<u32> = (0..30).collect();
        let backlog: Vec<u32> = (0..=30).map(|h| 10 * h).collect();
        let r = result_with(&backlog, &done);
        let d = Dashboard::at(&r, 1, 30 * HOUR);
        assert_eq!(d.last_fetch, 30 * HOUR);
        assert_eq!(d.next_fetch, 31 * HOUR);
        assert_eq!(d.hours_considered, 24);
        let row = &d.rows[0];
        // Buckets 6..=29.
        assert_eq!(row.max_per_hour, 29);
        assert_eq!(row.min_per_hour, 6);
        assert_eq!(row.avg_per_hour, (6..30).sum::<u32>() as f64 / 24.0);
        assert_eq!(row.backlog, 300);
        // The status compares the fetch at 30 h with the one at 24 h.
        assert_eq!(row.backlog_before, 240);
        assert_eq!((d.total_backlog, d.total_backlog_before), (300, 240));
        assert_eq!(row.est_backlog_hours, Some(300.0 / 17.5));
        assert_eq!(row.status, Status::Growing);
        // Trend: boundaries 0, 4, ..., 28 (8 points; earlier ones are before the start).
        assert_eq!(d.trend.len(), 8);
        assert_eq!(d.trend[0], (0, 0));
        assert_eq!(d.trend[7], (28 * HOUR, 280));
    }

    #[test]
    fn dashboard_is_normal_when_backlog_falls_or_holds() {
        let backlog: Vec<u32> = (0..=30).map(|h| 300 - 10 * h).collect();
        let r = result_with(&backlog, &[5; 30]);
        assert_eq!(Dashboard::at(&r, 1, 30 * HOUR).status, Status::Normal);
        let flat = result_with(&[7; 31], &[5; 30]);
        assert_eq!(
            Dashboard::at(&flat, 1, 30 * HOUR).rows[0].status,
            Status::Normal
        );
    }

    #[test]
    fn dashboard_reads_at_the_last_whole_hour() {
        let backlog: Vec<u32> = (0..=30).collect();
        let r = result_with(&backlog, &[1; 30]);
        let d = Dashboard::at(&r, 1, 10 * HOUR + 59 * 60_000);
        assert_eq!(d.last_fetch, 10 * HOUR);
        assert_eq!(d.rows[0].backlog, 10);
        assert_eq!(d.hours_considered, 10);
    }
}
