//! What a run measured (MODEL.md section 6): counters, the backlog series, hourly throughput,
//! latency percentiles, clear and recovery times, and the admin-page dashboard derived from
//! them.
//!
//! [`RunResult`] is compact by design: latencies are reduced to percentiles inside the engine,
//! so a Monte Carlo run holds per-replication summaries, never event logs. [`scalars`] flattens
//! a result into named numbers; those names are the contract that `summary.json`, expectations,
//! aggregation and the planner share.

use crate::scenario::{Direction, Scenario};
use crate::stats::nearest_rank_index;
use crate::units::{Millis, HOUR};

/// Counts for one (object, direction) queue. Conservation (MODEL.md section 5):
/// `edits + initial_entries = filtered + coalesced + entries_created` and
/// `entries_created = synced + skipped + queued + in flight + retry queue + timeout queue +
/// superseded` at every instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounters {
    /// All edits (background and events).
    pub edits: u64,
    /// Background (Poisson) edits.
    pub background_edits: u64,
    /// Edits made by bulk updates and objects enabled.
    pub bulk_edits: u64,
    /// Edits of records the filter hides (or of objects not yet in the sync).
    pub filtered: u64,
    /// Edits of a record already pending in that direction.
    pub coalesced: u64,
    /// New backlog entries (initial ones included).
    pub entries_created: u64,
    /// Entries already pending at the start (the initial backlog; not made by edits).
    pub initial_entries: u64,
    /// Entries completed as updates.
    pub synced: u64,
    /// Entries completed as skips.
    pub skipped: u64,
    /// Attempts that failed by chance.
    pub errors_transient: u64,
    /// Attempts that failed because the record has a permanent error.
    pub errors_permanent: u64,
    /// Errored entries dropped because a newer entry of the same record was already pending
    /// (the newer one carries the change).
    pub superseded: u64,
}

impl QueueCounters {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &QueueCounters) {
        self.edits += other.edits;
        self.background_edits += other.background_edits;
        self.bulk_edits += other.bulk_edits;
        self.filtered += other.filtered;
        self.coalesced += other.coalesced;
        self.entries_created += other.entries_created;
        self.initial_entries += other.initial_entries;
        self.synced += other.synced;
        self.skipped += other.skipped;
        self.errors_transient += other.errors_transient;
        self.errors_permanent += other.errors_permanent;
        self.superseded += other.superseded;
    }

    /// Attempts to sync an update: synced plus failed.
    pub fn attempts(&self) -> u64 {
        self.synced + self.errors_transient + self.errors_permanent
    }
}

/// Latency of synced updates: nearest-rank percentiles, exact to the millisecond.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LatencySummary {
    /// Number of synced updates.
    pub count: u64,
    /// Mean, ms.
    pub mean: f64,
    /// Median, ms.
    pub p50: Millis,
    /// 90th percentile, ms.
    pub p90: Millis,
    /// 95th percentile, ms.
    pub p95: Millis,
    /// 99th percentile, ms.
    pub p99: Millis,
    /// Maximum, ms.
    pub max: Millis,
}

impl LatencySummary {
    /// Summarises `samples`; `None` when there are none.
    pub fn from_samples<T: Sample>(samples: &[T]) -> Option<Self> {
        let n = samples.len();
        if n == 0 {
            return None;
        }
        // Sums of chunks fit a u64 (2^16 values below 2^47 each: horizons are at most 10
        // years); the total is a u128.
        let mut sum = 0u128;
        let mut max = 0u64;
        for chunk in samples.chunks(1 << 16) {
            let mut chunk_sum = 0u64;
            let mut chunk_max = T::default();
            for &s in chunk {
                chunk_sum += s.into();
                chunk_max = chunk_max.max(s);
            }
            sum += chunk_sum as u128;
            max = max.max(chunk_max.into());
        }
        let ranks = [0.50, 0.90, 0.95, 0.99].map(|p| nearest_rank_index(n, p));
        let [p50, p90, p95, p99] = select_ranks(samples, max, ranks);
        Some(LatencySummary {
            count: n as u64,
            mean: sum as f64 / n as f64,
            p50,
            p90,
            p95,
            p99,
            max,
        })
    }
}

/// A latency sample as stored: milliseconds in a `u32` or a `u64`.
pub trait Sample: Copy + Ord + Default + Into<u64> {}
impl Sample for u32 {}
impl Sample for u64 {}

/// Latencies of synced updates in milliseconds, as the engine collects them: four bytes a
/// sample while every value fits (up to 49 days), eight from the first that does not. Half
/// the memory for the usual run, and half the bytes for the percentile passes to read.
#[derive(Debug, Clone)]
pub enum LatencySamples {
    /// Every sample so far is below 2^32 ms.
    Narrow(Vec<u32>),
    /// Some sample was not.
    Wide(Vec<u64>),
}

impl Default for LatencySamples {
    fn default() -> Self {
        LatencySamples::Narrow(Vec::new())
    }
}

impl LatencySamples {
    /// Adds a latency of `ms` milliseconds.
    #[inline]
    pub fn push(&mut self, ms: Millis) {
        match self {
            LatencySamples::Narrow(v) => match u32::try_from(ms) {
                Ok(ms) => v.push(ms),
                Err(_) => self.widen().push(ms),
            },
            LatencySamples::Wide(v) => v.push(ms),
        }
    }

    /// Switches to eight bytes a sample, keeping the samples; returns the wide buffer.
    #[cold]
    fn widen(&mut self) -> &mut Vec<u64> {
        if let LatencySamples::Narrow(v) = self {
            *self = LatencySamples::Wide(v.iter().map(|&s| s as u64).collect());
        }
        match self {
            LatencySamples::Wide(v) => v,
            LatencySamples::Narrow(_) => unreachable!("just widened"),
        }
    }

    /// Empties the buffer, keeping its memory, narrow again.
    pub fn clear(&mut self) {
        match self {
            LatencySamples::Narrow(v) => v.clear(),
            LatencySamples::Wide(_) => *self = LatencySamples::default(),
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        match self {
            LatencySamples::Narrow(v) => v.len(),
            LatencySamples::Wide(v) => v.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `other`'s samples.
    pub fn extend_from(&mut self, other: &LatencySamples) {
        match other {
            LatencySamples::Narrow(o) => match self {
                LatencySamples::Narrow(v) => v.extend_from_slice(o),
                LatencySamples::Wide(v) => v.extend(o.iter().map(|&s| s as u64)),
            },
            LatencySamples::Wide(o) => {
                if let LatencySamples::Narrow(_) = self {
                    self.widen();
                }
                if let LatencySamples::Wide(v) = self {
                    v.extend_from_slice(o);
                }
            }
        }
    }

    /// The percentiles of the samples; `None` when there are none.
    pub fn summary(&self) -> Option<LatencySummary> {
        match self {
            LatencySamples::Narrow(v) => LatencySummary::from_samples(v),
            LatencySamples::Wide(v) => LatencySummary::from_samples(v),
        }
    }
}

/// The values of 1-based `ranks` in `samples` (all at most `max`), exactly, in two linear
/// passes: a histogram of the high bits finds each rank's bucket, then the values of just
/// those buckets are gathered and selected. Cheaper than a selection per rank over the whole
/// slice when there are many samples.
fn select_ranks<T: Sample, const K: usize>(
    samples: &[T],
    max: Millis,
    ranks: [usize; K],
) -> [Millis; K] {
    const BITS: u32 = 14;
    let shift = (64 - max.leading_zeros()).saturating_sub(BITS);
    let bucket = |s: T| (Into::<u64>::into(s) >> shift) as usize;
    let mut counts = vec![0u32; 1 << BITS];
    for &s in samples {
        counts[bucket(s)] += 1;
    }
    // For each rank: its bucket and its rank within the bucket.
    let mut seen = 0usize;
    let mut b = 0usize;
    let mut wanted = [(0usize, 0usize); K];
    for (i, &r) in ranks.iter().enumerate() {
        while seen + (counts[b] as usize) < r {
            seen += counts[b] as usize;
            b += 1;
        }
        wanted[i] = (b, r - seen);
    }
    // One more pass gathers the values of every wanted bucket: `slot[bucket]` is 1 + the
    // bucket's place among the wanted ones (ranks ascend, so equal buckets are adjacent).
    let mut slot = vec![0u8; 1 << BITS];
    let mut gathered: Vec<Vec<T>> = Vec::with_capacity(K);
    for &(b, _) in &wanted {
        if slot[b] == 0 {
            gathered.push(Vec::with_capacity(counts[b] as usize));
            slot[b] = gathered.len() as u8;
        }
    }
    for &s in samples {
        let k = slot[bucket(s)];
        if k != 0 {
            gathered[k as usize - 1].push(s);
        }
    }
    wanted.map(|(b, k)| {
        let values = &mut gathered[slot[b] as usize - 1];
        (*values.select_nth_unstable(k - 1).1).into()
    })
}

/// Entries left at the end of the horizon in one queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PendingAtEnd {
    /// Queued, not yet taken (due retries included).
    pub queued: u64,
    /// Errored, waiting for their next retry.
    pub retry: u64,
    /// Errored too often, waiting for the nightly retry.
    pub timeout: u64,
    /// In a running batch.
    pub in_flight: u64,
    /// Age of the oldest pending (queued or in flight) entry at the horizon.
    pub oldest_age: Option<Millis>,
}

impl PendingAtEnd {
    /// Backlog: queued plus in flight.
    pub fn backlog(&self) -> u64 {
        self.queued + self.in_flight
    }
}

/// How one bulk update (or object enabling) played out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOutcome {
    /// Event name.
    pub name: String,
    /// Event kind name.
    pub kind: &'static str,
    /// Object index.
    pub object: usize,
    /// Instant of its first edit.
    pub first_edit: Millis,
    /// Instant of its last edit.
    pub last_edit: Millis,
    /// Edits it made (within the horizon).
    pub edits: u64,
    /// Entries it created or coalesced into.
    pub entries: u64,
    /// Total backlog just before its first edit.
    pub baseline_backlog: u64,
    /// Instant none of its entries is pending or in flight any more.
    pub clear: Option<Millis>,
    /// Instant at or after its last edit when the total backlog is back to the baseline.
    pub recovery: Option<Millis>,
    /// Its entries completed as updates.
    pub synced: u64,
    /// Its entries completed as skips.
    pub skipped: u64,
    /// Its entries still pending or in flight at the horizon.
    pub still_pending: u64,
    /// Its entries in the retry or timeout queue at the horizon.
    pub errored: u64,
    /// Its errored entries absorbed by a newer pending entry of the same record that already
    /// carried the event.
    pub superseded: u64,
}

impl EventOutcome {
    /// Clear time: from the first edit to clear.
    pub fn clear_time(&self) -> Option<Millis> {
        self.clear.map(|c| c - self.first_edit)
    }

    /// Recovery time: from the first edit to recovery.
    pub fn recovery_time(&self) -> Option<Millis> {
        self.recovery.map(|r| r - self.first_edit)
    }
}

/// Everything one replication measured.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// The seed this replication ran with.
    pub seed: u64,
    /// Simulated span.
    pub horizon: Millis,
    /// Spacing of `sample_times`.
    pub sample_interval: Millis,
    /// Counters per queue (index `object * 2 + direction`).
    pub counters: Vec<QueueCounters>,
    /// Sample instants: 0, interval, ... up to the horizon.
    pub sample_times: Vec<Millis>,
    /// Backlog per queue at each sample, row-major (`sample * queues + queue`).
    pub samples: Vec<u32>,
    /// Backlog per queue at each whole hour 0..=horizon, row-major.
    pub hourly_backlog: Vec<u32>,
    /// Completions per hour bucket, queue and kind (0 synced, 1 skipped), row-major.
    pub hourly_done: Vec<u32>,
    /// Latency per queue.
    pub latency: Vec<Option<LatencySummary>>,
    /// Latency per object, both directions together.
    pub latency_by_object: Vec<Option<LatencySummary>>,
    /// What is left at the end, per queue.
    pub pending_end: Vec<PendingAtEnd>,
    /// Tracked events, in time order (file order on ties).
    pub events: Vec<EventOutcome>,
    /// Highest total backlog, exact.
    pub max_backlog: u64,
    /// When it was first reached.
    pub max_backlog_at: Millis,
    /// Batches started.
    pub batches: u64,
    /// Cycles started (each a look for changes).
    pub cycles: u64,
    /// Cycles that found nothing to do.
    pub empty_looks: u64,
    /// Retry queue size at each sample (all queues).
    pub retry_samples: Vec<u32>,
    /// Timeout queue size at each sample (all queues).
    pub timeout_samples: Vec<u32>,
    /// API calls in the rolling 24 hours at each sample.
    pub api_samples: Vec<u64>,
    /// API figures.
    pub api: ApiSummary,
}

/// What the API budget did over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiSummary {
    /// Calls by batches, cycle checks and other integrations.
    pub calls: [u64; 3],
    /// Highest usage in the rolling 24 hours.
    pub peak_usage: u64,
    /// Time the sync was paused because the next call would pass the limit.
    pub paused: Millis,
    /// Time due retries were held back because usage was above the suppression threshold.
    pub suppressed: Millis,
}

impl RunResult {
    /// Number of queues (objects x 2).
    pub fn queue_count(&self) -> usize {
        self.counters.len()
    }

    /// Total counters over every queue.
    pub fn totals(&self) -> QueueCounters {
        let mut t = QueueCounters::default();
        for c in &self.counters {
            t.add(c);
        }
        t
    }

    /// Counters of one object, both directions.
    pub fn object_counters(&self, object: usize) -> QueueCounters {
        let mut t = self.counters[object * 2];
        t.add(&self.counters[object * 2 + 1]);
        t
    }

    /// Total backlog at sample `i`.
    pub fn sample_total(&self, i: usize) -> u64 {
        let nq = self.queue_count();
        self.samples[i * nq..(i + 1) * nq]
            .iter()
            .map(|&b| b as u64)
            .sum()
    }

    /// Backlog of `object` (both directions) at sample `i`.
    pub fn sample_object(&self, i: usize, object: usize) -> u64 {
        let nq = self.queue_count();
        (self.samples[i * nq + object * 2] + self.samples[i * nq + object * 2 + 1]) as u64
    }

    /// Backlog in `direction` at sample `i`.
    pub fn sample_direction(&self, i: usize, direction: Direction) -> u64 {
        let nq = self.queue_count();
        (0..nq / 2)
            .map(|o| self.samples[i * nq + o * 2 + direction as usize] as u64)
            .sum()
    }

    /// Number of whole-hour snapshots.
    pub fn hours_observed(&self) -> usize {
        self.hourly_backlog.len() / self.queue_count()
    }

    /// Backlog of `object` (both directions) at whole hour `h` (clamped into the run).
    pub fn hourly_object_backlog(&self, h: usize, object: usize) -> u64 {
        let nq = self.queue_count();
        let h = h.min(self.hours_observed() - 1);
        (self.hourly_backlog[h * nq + object * 2] + self.hourly_backlog[h * nq + object * 2 + 1])
            as u64
    }

    /// Total backlog at whole hour `h` (clamped into the run).
    pub fn hourly_total_backlog(&self, h: usize) -> u64 {
        (0..self.queue_count() / 2)
            .map(|o| self.hourly_object_backlog(h, o))
            .sum()
    }

    /// Number of hourly throughput buckets.
    pub fn hour_buckets(&self) -> usize {
        self.hourly_done.len() / (self.queue_count() * 2)
    }

    /// Records of `object` completed (synced + skipped) in hour bucket `h`.
    pub fn completed_in_hour(&self, h: usize, object: usize) -> u64 {
        let nq = self.queue_count();
        let base = (h * nq + object * 2) * 2;
        self.hourly_done[base..base + 4]
            .iter()
            .map(|&x| x as u64)
            .sum()
    }

    /// Conservation check over every queue; returns a description of the first violation.
    pub fn check_conservation(&self) -> Result<(), String> {
        for (q, c) in self.counters.iter().enumerate() {
            if c.edits + c.initial_entries != c.filtered + c.coalesced + c.entries_created {
                return Err(format!(
                    "queue {q}: edits {} + initial {} != filtered {} + coalesced {} + created {}",
                    c.edits, c.initial_entries, c.filtered, c.coalesced, c.entries_created
                ));
            }
            if c.edits != c.background_edits + c.bulk_edits {
                return Err(format!(
                    "queue {q}: edits {} != background {} + bulk {}",
                    c.edits, c.background_edits, c.bulk_edits
                ));
            }
            let p = &self.pending_end[q];
            let accounted =
                c.synced + c.skipped + p.queued + p.in_flight + p.retry + p.timeout + c.superseded;
            if c.entries_created != accounted {
                return Err(format!(
                    "queue {q}: created {} != synced {} + skipped {} + queued {} + in flight {} + retry {} + timeout {} + superseded {}",
                    c.entries_created, c.synced, c.skipped, p.queued, p.in_flight, p.retry, p.timeout, c.superseded
                ));
            }
        }
        let last = self.sample_times.len() - 1;
        let pending: u64 = self.pending_end.iter().map(PendingAtEnd::backlog).sum();
        if *self.sample_times.last().unwrap_or(&0) == self.horizon
            && self.sample_total(last) != pending
        {
            return Err(format!(
                "last sample {} != pending at end {pending}",
                self.sample_total(last)
            ));
        }
        let errored: u64 = self.pending_end.iter().map(|p| p.retry + p.timeout).sum();
        let last_errored = (self.retry_samples[last] + self.timeout_samples[last]) as u64;
        if *self.sample_times.last().unwrap_or(&0) == self.horizon && last_errored != errored {
            return Err(format!(
                "last sample's retry + timeout {last_errored} != errored at end {errored}"
            ));
        }
        for e in &self.events {
            if e.entries != e.synced + e.skipped + e.still_pending + e.errored + e.superseded {
                return Err(format!(
                    "event {}: {} entries != {} synced + {} skipped + {} pending + {} errored + {} superseded",
                    e.name, e.entries, e.synced, e.skipped, e.still_pending, e.errored, e.superseded
                ));
            }
        }
        Ok(())
    }
}

/// Status as on the admin page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Backlog at the last fetch exceeds the backlog six hours before.
    Growing,
    /// Otherwise.
    Normal,
}

impl Status {
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
    /// backlog / average per hour, in hours; `None` (infinite) whenever the average is 0.
    pub est_backlog_hours: Option<f64>,
    /// Growing or Normal.
    pub status: Status,
}

/// The sync-health page at an instant (MODEL.md section 6).
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

/// The dashboard as read at `at` (at most the horizon). Hours are counted from the start.
pub fn dashboard(result: &RunResult, objects: usize, at: Millis) -> Dashboard {
    let at = at.min(result.horizon);
    let fetch_hour = (at / HOUR) as usize;
    let last_fetch = fetch_hour as Millis * HOUR;
    let buckets = fetch_hour.min(result.hour_buckets()).min(DASHBOARD_HOURS);
    let first_bucket = fetch_hour - buckets;
    let before = fetch_hour.saturating_sub(GROWTH_LOOKBACK_HOURS);
    let status_of = |now: u64, then: u64| {
        if now > then {
            Status::Growing
        } else {
            Status::Normal
        }
    };
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
            DashboardRow {
                object: o,
                max_per_hour: per_hour.iter().copied().max().unwrap_or(0),
                min_per_hour: per_hour.iter().copied().min().unwrap_or(0),
                avg_per_hour: avg,
                backlog,
                est_backlog_hours: estimated_backlog_hours(backlog, avg),
                status: status_of(backlog, result.hourly_object_backlog(before, o)),
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
    Dashboard {
        at,
        last_fetch,
        next_fetch: last_fetch + HOUR,
        hours_considered: buckets,
        trend,
        rows,
        total_backlog,
        status: status_of(total_backlog, result.hourly_total_backlog(before)),
    }
}

/// Estimated backlog time in hours: backlog / average per hour, infinite (`None`) whenever
/// the average is 0 (MODEL.md section 6), even with no backlog.
pub fn estimated_backlog_hours(backlog: u64, avg_per_hour: f64) -> Option<f64> {
    (avg_per_hour > 0.0).then(|| backlog as f64 / avg_per_hour)
}

/// A named scalar metric; `None` means "did not happen within the horizon" (e.g. never
/// cleared) or "no data" (no synced updates).
pub type Scalar = (String, Option<f64>);

fn hours(ms: Millis) -> f64 {
    ms as f64 / HOUR as f64
}

fn minutes(ms: Millis) -> f64 {
    ms as f64 / 60_000.0
}

/// Every scalar metric of a run, in a stable order with stable names (`docs/outputs.md`).
pub fn scalars(scenario: &Scenario, result: &RunResult) -> Vec<Scalar> {
    let mut out: Vec<Scalar> = Vec::with_capacity(64);
    let mut put = |name: String, v: Option<f64>| out.push((name, v));
    let t = result.totals();
    let pending: u64 = result
        .pending_end
        .iter()
        .map(|p| p.queued + p.in_flight)
        .sum();
    let in_flight: u64 = result.pending_end.iter().map(|p| p.in_flight).sum();
    for (name, v) in [
        ("edits", t.edits),
        ("background_edits", t.background_edits),
        ("bulk_edits", t.bulk_edits),
        ("filtered", t.filtered),
        ("coalesced", t.coalesced),
        ("entries_created", t.entries_created),
        ("synced", t.synced),
        ("skipped", t.skipped),
        ("pending_end", pending),
        ("in_flight_end", in_flight),
        ("batches", result.batches),
        ("cycles", result.cycles),
        ("empty_looks", result.empty_looks),
        ("backlog.max", result.max_backlog),
    ] {
        put(name.into(), Some(v as f64));
    }
    for (name, v) in [
        ("attempts", t.attempts()),
        ("errors_transient", t.errors_transient),
        ("errors_permanent", t.errors_permanent),
        ("superseded", t.superseded),
        (
            "retry_queue_end",
            result.pending_end.iter().map(|p| p.retry).sum(),
        ),
        (
            "timeout_queue_end",
            result.pending_end.iter().map(|p| p.timeout).sum(),
        ),
        (
            "retry_queue_max",
            result.retry_samples.iter().copied().max().unwrap_or(0) as u64,
        ),
        (
            "timeout_queue_max",
            result.timeout_samples.iter().copied().max().unwrap_or(0) as u64,
        ),
        ("api.calls", result.api.calls.iter().sum()),
        ("api.calls_batches", result.api.calls[0]),
        ("api.calls_checks", result.api.calls[1]),
        ("api.calls_background", result.api.calls[2]),
        ("api.peak_usage", result.api.peak_usage),
    ] {
        put(name.into(), Some(v as f64));
    }
    put("api.paused_h".into(), Some(hours(result.api.paused)));
    put(
        "api.suppressed_h".into(),
        Some(hours(result.api.suppressed)),
    );
    put(
        "backlog.max_at_h".into(),
        Some(hours(result.max_backlog_at)),
    );
    put("backlog.end".into(), Some(pending as f64));
    let oldest = result.pending_end.iter().filter_map(|p| p.oldest_age).max();
    put("backlog.oldest_age_end_h".into(), oldest.map(hours));
    for e in &result.events {
        let p = format!("event.{}", e.name);
        put(format!("{p}.clear_h"), e.clear_time().map(hours));
        put(format!("{p}.recovery_h"), e.recovery_time().map(hours));
        put(format!("{p}.edits"), Some(e.edits as f64));
        put(format!("{p}.entries"), Some(e.entries as f64));
        put(format!("{p}.synced"), Some(e.synced as f64));
        put(format!("{p}.skipped"), Some(e.skipped as f64));
        put(format!("{p}.still_pending"), Some(e.still_pending as f64));
        put(format!("{p}.errored"), Some(e.errored as f64));
        put(format!("{p}.superseded"), Some(e.superseded as f64));
        put(
            format!("{p}.baseline_backlog"),
            Some(e.baseline_backlog as f64),
        );
    }
    let mut latency = |prefix: String, l: &Option<LatencySummary>| {
        put(
            format!("{prefix}.count"),
            Some(l.map_or(0, |l| l.count) as f64),
        );
        put(format!("{prefix}.mean_min"), l.map(|l| l.mean / 60_000.0));
        for (name, f) in [
            (
                "p50_min",
                (|l: &LatencySummary| l.p50) as fn(&LatencySummary) -> Millis,
            ),
            ("p90_min", |l| l.p90),
            ("p95_min", |l| l.p95),
            ("p99_min", |l| l.p99),
            ("max_min", |l| l.max),
        ] {
            put(
                format!("{prefix}.{name}"),
                l.as_ref().map(|l| minutes(f(l))),
            );
        }
    };
    for (o, object) in scenario.objects.iter().enumerate() {
        latency(
            format!("latency.{}", object.name),
            &result.latency_by_object[o],
        );
        if object.syncs == [true, true] {
            for d in Direction::ALL {
                latency(
                    format!("latency.{}.{}", object.name, d.name()),
                    &result.latency[o * 2 + d as usize],
                );
            }
        }
    }
    let dash = dashboard(result, scenario.objects.len(), result.horizon);
    out.push(("dashboard.backlog".into(), Some(dash.total_backlog as f64)));
    out.push((
        "dashboard.growing".into(),
        Some((dash.status == Status::Growing) as u8 as f64),
    ));
    for row in &dash.rows {
        let p = format!("dashboard.{}", scenario.objects[row.object].name);
        out.push((format!("{p}.backlog"), Some(row.backlog as f64)));
        out.push((format!("{p}.avg_per_h"), Some(row.avg_per_hour)));
        out.push((format!("{p}.max_per_h"), Some(row.max_per_hour as f64)));
        out.push((format!("{p}.min_per_h"), Some(row.min_per_hour as f64)));
        out.push((format!("{p}.est_backlog_h"), row.est_backlog_hours));
        out.push((
            format!("{p}.growing"),
            Some((row.status == Status::Growing) as u8 as f64),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_summaries_use_nearest_ranks() {
        let s = LatencySummary::from_samples(&[7u64, 3, 5]).unwrap();
        assert_eq!((s.count, s.p50, s.p99, s.max), (3, 5, 7, 7));
        assert_eq!(s.mean, 5.0);
        assert!(LatencySummary::from_samples::<u32>(&[]).is_none());
    }

    #[test]
    fn histogram_selection_equals_sorting() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        for n in [1usize, 2, 7, 1000, 50_000] {
            for spread in [1u64, 100, 1 << 20, 1 << 40] {
                let v: Vec<Millis> = (0..n).map(|_| rng.random_range(0..spread)).collect();
                let mut sorted = v.clone();
                sorted.sort_unstable();
                let s = LatencySummary::from_samples(&v).unwrap();
                let at = |p: f64| sorted[nearest_rank_index(n, p) - 1];
                assert_eq!(
                    (s.p50, s.p90, s.p95, s.p99, s.max),
                    (at(0.5), at(0.9), at(0.95), at(0.99), sorted[n - 1]),
                    "n {n} spread {spread}"
                );
                // The engine's buffer gives the same summary, narrow or widened midway.
                let mut samples = LatencySamples::default();
                v.iter().for_each(|&ms| samples.push(ms));
                let narrow = spread <= 1 << 32;
                assert_eq!(matches!(samples, LatencySamples::Narrow(_)), narrow);
                assert_eq!(samples.summary(), Some(s), "n {n} spread {spread}");
            }
        }
    }

    #[test]
    fn latency_samples_widen_when_a_value_needs_more_than_four_bytes() {
        let big = u32::MAX as Millis + 5;
        let mut samples = LatencySamples::default();
        samples.push(3);
        samples.push(u32::MAX as Millis);
        assert!(matches!(samples, LatencySamples::Narrow(_)));
        samples.push(big);
        assert!(matches!(samples, LatencySamples::Wide(_)));
        let mut both = LatencySamples::default();
        both.push(1);
        both.extend_from(&samples);
        assert_eq!(both.len(), 4);
        let s = both.summary().unwrap();
        assert_eq!((s.count, s.p50, s.max), (4, 3, big));
        assert_eq!(s.mean, (1 + 3 + u32::MAX as Millis + big) as f64 / 4.0);
        both.clear();
        assert!(both.is_empty() && matches!(both, LatencySamples::Narrow(_)));
        assert_eq!(both.summary(), None);
    }

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
            latency: vec![None; 2],
            latency_by_object: vec![None],
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
        }
    }

    #[test]
    fn dashboard_formulas_on_a_known_series() {
        // 30 hours: throughput h for hour h; backlog 10*h at hour h.
        let done: Vec<u32> = (0..30).collect();
        let backlog: Vec<u32> = (0..=30).map(|h| 10 * h).collect();
        let r = result_with(&backlog, &done);
        let d = dashboard(&r, 1, 30 * HOUR);
        assert_eq!(d.last_fetch, 30 * HOUR);
        assert_eq!(d.next_fetch, 31 * HOUR);
        assert_eq!(d.hours_considered, 24);
        let row = &d.rows[0];
        // Buckets 6..=29.
        assert_eq!(row.max_per_hour, 29);
        assert_eq!(row.min_per_hour, 6);
        assert_eq!(row.avg_per_hour, (6..30).sum::<u32>() as f64 / 24.0);
        assert_eq!(row.backlog, 300);
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
        assert_eq!(dashboard(&r, 1, 30 * HOUR).status, Status::Normal);
        let flat = result_with(&[7; 31], &[5; 30]);
        assert_eq!(
            dashboard(&flat, 1, 30 * HOUR).rows[0].status,
            Status::Normal
        );
    }

    #[test]
    fn dashboard_reads_at_the_last_whole_hour() {
        let backlog: Vec<u32> = (0..=30).collect();
        let r = result_with(&backlog, &[1; 30]);
        let d = dashboard(&r, 1, 10 * HOUR + 59 * 60_000);
        assert_eq!(d.last_fetch, 10 * HOUR);
        assert_eq!(d.rows[0].backlog, 10);
        assert_eq!(d.hours_considered, 10);
    }
}
