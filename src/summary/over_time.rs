//! Answers over time, derived from the run's series: when everything had cleared, how long
//! the backlog stayed above a level, each object's share of synced updates slower than a
//! bound, how long the page read Growing and when it first did after an event, and the
//! errors and retries hour by hour (docs/outputs.md, Service levels; errors.csv).

use super::RunSummary;
use crate::units::{Millis, HOUR};

impl RunSummary {
    /// When everything had cleared: every event that makes edits cleared and recovered, and
    /// the backlog at the start had all left (docs/model.md, Until clear); the latest of
    /// those instants, 0 with nothing to wait for. `None` when one of them did not happen
    /// within the run.
    pub fn all_clear(&self) -> Option<Millis> {
        let mut latest: Millis = 0;
        for e in self.run().events() {
            latest = latest.max(e.clear?).max(e.recovery?);
        }
        if self.totals().initial_entries > 0 {
            let start = (0..self.scenario().objects.len())
                .map(|o| self.timeline().cleared(0, o))
                .try_fold(0, |acc, c| c.map(|c| acc.max(c)))?;
            latest = latest.max(start);
        }
        Some(latest)
    }

    /// Time the total backlog was above `level` (strictly), on the sample grid: each sample
    /// above it counts until the next sample or the end of the run, whichever is first.
    pub fn time_above(&self, level: u64) -> Millis {
        let r = self.run();
        let times = r.sample_times();
        let end = r.horizon();
        (0..times.len())
            .filter(|&i| r.sample_total(i) > level)
            .map(|i| {
                let next = times.get(i + 1).copied().unwrap_or(end).min(end);
                next.saturating_sub(times[i])
            })
            .sum()
    }

    /// The share of `object`'s synced updates (both directions) slower than bound `k` of
    /// the scenario's `[sla] latency_over`, exact; `None` when it synced no update.
    pub fn share_over(&self, object: usize, k: usize) -> Option<f64> {
        let count = self.run().object_latency(object)?.count;
        let bounds = self.scenario().sla.latency_over.len();
        (count > 0).then(|| self.run().latency_over(object, k, bounds) as f64 / count as f64)
    }

    /// Time the page read Growing for `object` (`None`: the total): the status read at each
    /// whole hour holds until the next one or the end of the run.
    pub fn growing_time(&self, object: Option<usize>) -> Millis {
        let end = self.run().horizon();
        (0..self.timeline().len())
            .filter(|&h| {
                let reading = match object {
                    Some(o) => self.reading(h, o),
                    None => self.reading_total(h),
                };
                reading.status == super::Status::Growing
            })
            .map(|h| {
                let at = h as Millis * HOUR;
                (at + HOUR).min(end).saturating_sub(at)
            })
            .sum()
    }

    /// From tracked event `k`'s first edit to the first whole-hour reading after it at which
    /// its object's status is Growing; `None` when none within the run.
    pub fn growing_after(&self, k: usize) -> Option<Millis> {
        let e = &self.run().events()[k];
        let first = (e.first_edit / HOUR + 1) as usize;
        (first..self.timeline().len())
            .find(|&h| self.reading(h, e.object).status == super::Status::Growing)
            .map(|h| h as Millis * HOUR - e.first_edit)
    }

    /// The most failed attempts in one hour bucket.
    pub fn failed_max_per_hour(&self) -> u64 {
        let r = self.run();
        (0..r.hour_buckets())
            .map(|h| {
                let [transient, permanent, _, _] = r.errors_in_hour(h);
                transient + permanent
            })
            .max()
            .unwrap_or(0)
    }

    /// The longest any record had waited (from the edit that first made it pending) at a
    /// whole-hour reading, in the retry queue and in the timeout queue; `None` for a queue
    /// empty at every reading.
    pub fn oldest_waiting_max(&self) -> [Option<Millis>; 2] {
        let r = self.run();
        (0..r.hours_observed()).fold([None, None], |[retry, timeout], h| {
            let w = r.waiting(h);
            [retry.max(w.oldest_retry), timeout.max(w.oldest_timeout)]
        })
    }
}
