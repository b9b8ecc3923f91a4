//! How much work one simulation of a scenario can take, in events, estimated before the run
//! so that a scenario that would compute for hours (a 1 ms cycle wait over ten years, a
//! retry storm with a 1 ms interval, a million replications) is refused up front with the
//! estimate, unless asked for (`--max-events`, `docs/robustness.md`, Work).
//!
//! The estimate counts what the run loop handles: edits (background, bulk, objects enabled,
//! the initial backlog, and what cascades and echoes cause, generation by generation), batches (each taken and completed), the sync's looks after a cycle
//! wait, failed attempts retried, observations (a sample or whole hour per queue) and the
//! other scheduled events (other integrations' calls each minute, nightly retries, the
//! scenario's events). Like the memory estimate, it counts from the bounds of
//! [`Bounds`]: what the scenario can make happen, not what usually does, so it errs high.
//! Each event costs of the order of 100 ns on the machine of `docs/performance.md`.

use crate::scenario::{AtLimit, QueueId, Scenario};
use crate::units::{DAY, HOUR, MINUTE};

use super::memory::Bounds;

/// The work of one simulation, by kind, in events (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkEstimate {
    /// Edits: background (at the peak rate, with a margin), bulk, objects enabled and the
    /// initial backlog.
    pub edits: f64,
    /// Batches taken (each also completes).
    pub batches: f64,
    /// The sync's looks for work after a cycle wait.
    pub looks: f64,
    /// Failed attempts, each retried.
    pub retries: f64,
    /// Observations: a backlog sample or a whole hour, per queue.
    pub samples: f64,
    /// Other integrations' calls each minute, nightly retries, scenario events and the
    /// triggers of cascades and echoes.
    pub other: f64,
    /// Short windows: the sync's resumptions after a wait for a window, and the tries of
    /// batches and checks that got a 429 (0 without windows).
    pub limits: f64,
}

impl WorkEstimate {
    /// The estimate for `sc`.
    pub fn of(sc: &Scenario) -> Self {
        let b = Bounds::of(sc);
        let horizon = sc.horizon as f64;
        let edits: f64 = b.created.iter().sum();
        let queues = b.created.len() as f64;
        // Every batch takes at least one entry's attempt, so there are no more batches than
        // attempts: entries (at most the edits) and the retries counted below.
        let bound_batches = b.batches_in(sc, horizon);
        let looks = horizon / sc.sync.cycle_wait as f64 + 1.0;
        // Failed attempts: a record with a permanent error fails every attempt it can make
        // (every retry up to the limit, then one a night); a transient error fails each
        // attempt with its chance, so about `p / (1 - p)` times.
        let mut retries = 0.0;
        if b.errors {
            for (o, object) in sc.objects.iter().enumerate() {
                let entries: f64 = QueueId::of_object(o)
                    .iter()
                    .map(|q| b.created[q.index()])
                    .sum();
                let f = object.permanent_error_fraction;
                let p = object.transient_error_rate.min(0.999_999);
                let transient = (p / (1.0 - p)).min(b.attempts - 1.0);
                retries += entries * (f * (b.attempts - 1.0) + (1.0 - f) * transient);
            }
        }
        let batches = bound_batches.min(edits + retries + 1.0);
        let samples = (horizon / sc.sample_interval as f64 + horizon / HOUR as f64 + 2.0) * queues;
        let minutes = if sc.api.background_calls_per_hour > 0.0 {
            horizon / MINUTE as f64
        } else {
            0.0
        };
        // Each trigger of a cascade or echo is one event of the heap (its edits are counted
        // with the edits, which include what rules cause).
        let other =
            minutes + horizon / DAY as f64 + 1.0 + sc.events.len() as f64 + b.caused_triggers;
        // A wait for a window ends with a look that starts a batch or ends the cycle, so
        // there are no more waits than batches and looks. A 429 is followed by a back-off
        // of at least `backoff`, so each worker and the sync's checks get at most one per
        // `backoff`.
        let burst = &sc.api.burst;
        let limits = match burst.at_limit {
            _ if burst.windows.is_empty() => 0.0,
            AtLimit::Wait => batches + looks,
            AtLimit::Reject => (b.workers + 1.0) * (horizon / burst.backoff as f64 + 1.0),
        };
        WorkEstimate {
            edits,
            batches,
            looks,
            retries,
            samples,
            other,
            limits,
        }
    }

    /// The whole estimate, in events.
    pub fn total(&self) -> f64 {
        self.edits
            + self.batches
            + self.looks
            + self.retries
            + self.samples
            + self.other
            + self.limits
    }

    /// The largest parts, for a message: `edits 1.1e6, batches 5.3e3, ...` (short windows'
    /// waits and 429s only when the scenario has windows).
    pub fn parts_text(&self) -> String {
        let limits = if self.limits > 0.0 {
            format!(", window waits and 429s {}", events_text(self.limits))
        } else {
            String::new()
        };
        format!(
            "edits {}, batches {}, looks {}, retries {}, observations {}{limits}",
            events_text(self.edits),
            events_text(self.batches),
            events_text(self.looks),
            events_text(self.retries),
            events_text(self.samples + self.other)
        )
    }
}

/// A count of events in two significant figures, `1.1e6` (exact below ten thousand).
pub fn events_text(events: f64) -> String {
    if events < 1e4 {
        format!("{}", events.ceil() as u64)
    } else {
        format!("{events:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(overrides: &[&str]) -> Scenario {
        let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        crate::scenario::load(std::path::Path::new("scenarios/reference.toml"), &overrides).unwrap()
    }

    #[test]
    fn the_reference_is_about_its_edits() {
        // 1.06 million edits, a few thousand batches and looks.
        let w = WorkEstimate::of(&load(&[]));
        assert!((1.06e6..1.2e6).contains(&w.edits), "{w:?}");
        assert!(w.total() < 2.5e6, "{w:?}");
        assert_eq!(events_text(w.edits).len(), 5, "{}", events_text(w.edits));
    }

    #[test]
    fn short_windows_count_their_waits_and_429s() {
        let window = "api.windows=[{calls=100, per=\"10s\"}]";
        assert_eq!(WorkEstimate::of(&load(&[])).limits, 0.0);
        let wait = WorkEstimate::of(&load(&[window]));
        assert_eq!(wait.limits, wait.batches + wait.looks);
        // Reject, a 1 ms back-off over the reference's 5 days: one worker and the checks,
        // each at most once a millisecond.
        let reject = WorkEstimate::of(&load(&[
            window,
            "api.at_limit=\"reject\"",
            "api.backoff=\"1ms\"",
        ]));
        assert_eq!(reject.limits, 2.0 * (5.0 * DAY as f64 + 1.0));
        assert!(
            reject.parts_text().ends_with("window waits and 429s 8.6e8"),
            "{}",
            reject.parts_text()
        );
    }

    #[test]
    fn a_millisecond_cycle_wait_over_ten_years_is_hundreds_of_billions() {
        let w = WorkEstimate::of(&load(&["horizon=\"3650d\"", "sync.cycle_wait=\"1ms\""]));
        assert!(w.looks > 3e11, "{w:?}");
    }

    #[test]
    fn a_retry_storm_counts_every_attempt() {
        // Lead: about 360,000 entries; a third fail for good, retried every millisecond up
        // to a thousand times.
        let w = WorkEstimate::of(&load(&[
            "objects.Lead.permanent_error_fraction=0.33",
            "retry.interval=\"1ms\"",
            "retry.max_attempts=1000",
        ]));
        assert!((1e8..2e8).contains(&w.retries), "{w:?}");
        // Transient errors of one attempt in two: about one retry each.
        let w = WorkEstimate::of(&load(&["objects.Lead.transient_error_rate=0.5"]));
        assert!((3e5..5e5).contains(&w.retries), "{w:?}");
    }
}
