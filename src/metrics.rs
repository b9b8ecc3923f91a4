//! What a run measured (docs/model.md, Metrics): counters per queue, the backlog series,
//! hourly completions, latency percentiles, clear and recovery times, what the API budget did.
//!
//! [`RunResult`] is compact by design: latencies are reduced to percentiles inside the engine,
//! so a Monte Carlo run holds per-replication summaries, never event logs. Its layout (one
//! slot per [`QueueId`], samples row-major) stays private behind typed accessors; the run's
//! summary ([`crate::summary::RunSummary`]) derives the dashboard and every named metric
//! from it.

use crate::scenario::{Direction, QueueId};
use crate::stats::nearest_rank_index;
use crate::units::Millis;

/// Counts for one (object, direction) queue. Conservation (docs/model.md, Conservation):
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
    /// Edits caused by cascades (docs/model.md, Cascades and echoes).
    pub cascade_edits: u64,
    /// Edits caused by echoes.
    pub echo_edits: u64,
    /// Rule triggers of this queue (its edits, its synced updates) that set nothing off
    /// because they were `max_generations` deep.
    pub caused_capped: u64,
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
    /// Edits that created a record (counted in `edits` and `background_edits` too;
    /// docs/model.md, Creations).
    pub creations: u64,
}

impl QueueCounters {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &QueueCounters) {
        self.edits += other.edits;
        self.background_edits += other.background_edits;
        self.bulk_edits += other.bulk_edits;
        self.cascade_edits += other.cascade_edits;
        self.echo_edits += other.echo_edits;
        self.caused_capped += other.caused_capped;
        self.filtered += other.filtered;
        self.coalesced += other.coalesced;
        self.entries_created += other.entries_created;
        self.initial_entries += other.initial_entries;
        self.synced += other.synced;
        self.skipped += other.skipped;
        self.errors_transient += other.errors_transient;
        self.errors_permanent += other.errors_permanent;
        self.superseded += other.superseded;
        self.creations += other.creations;
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

    /// How many samples are above `bound` ms (strictly): the synced updates slower than it.
    pub fn count_above(&self, bound: Millis) -> u64 {
        match self {
            LatencySamples::Narrow(v) => match u32::try_from(bound) {
                Ok(b) => v.iter().filter(|&&s| s > b).count() as u64,
                Err(_) => 0,
            },
            LatencySamples::Wide(v) => v.iter().filter(|&&s| s > bound).count() as u64,
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
    /// The two together (the oldest age is the older of the two).
    pub fn plus(&self, other: &PendingAtEnd) -> PendingAtEnd {
        PendingAtEnd {
            queued: self.queued + other.queued,
            retry: self.retry + other.retry,
            timeout: self.timeout + other.timeout,
            in_flight: self.in_flight + other.in_flight,
            oldest_age: self.oldest_age.max(other.oldest_age),
        }
    }

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
    pub(crate) seed: u64,
    /// Simulated span.
    pub(crate) horizon: Millis,
    /// Spacing of `sample_times`.
    pub(crate) sample_interval: Millis,
    /// Counters per queue (index `object * 2 + direction`).
    pub(crate) counters: Vec<QueueCounters>,
    /// Sample instants: 0, interval, ... up to the horizon.
    pub(crate) sample_times: Vec<Millis>,
    /// Backlog per queue at each sample, row-major (`sample * queues + queue`).
    pub(crate) samples: Vec<u32>,
    /// Backlog per queue at each whole hour 0..=horizon, row-major.
    pub(crate) hourly_backlog: Vec<u32>,
    /// Completions per hour bucket, queue and kind (0 synced, 1 skipped), row-major.
    pub(crate) hourly_done: Vec<u32>,
    /// Per (hour, object), row-major, one row per whole hour 0..=horizon and one more: the
    /// last instant a record of the object left the backlog among those first counted by
    /// that hour's reading; 0 when none did, `Millis::MAX` when one was still pending at the
    /// end.
    pub(crate) settled: Vec<Millis>,
    /// Per hour bucket: failed attempts (transient, permanent), records released from the
    /// retry or timeout queue for another attempt, records that entered the timeout queue.
    pub(crate) hourly_errors: Vec<[u32; 4]>,
    /// At each whole hour 0..=horizon: the retry and timeout queues.
    pub(crate) hourly_waiting: Vec<Waiting>,
    /// Spells of suppression: when retries started being held back and when that ended
    /// (`None`: still held at the end).
    pub(crate) suppression_spells: Vec<(Millis, Option<Millis>)>,
    /// Per (object, bound of the scenario's `[sla] latency_over`), row-major: synced updates
    /// of the object (both directions) whose latency was above the bound.
    pub(crate) latency_over: Vec<u64>,
    /// Latency per queue.
    pub(crate) latency: Vec<Option<LatencySummary>>,
    /// Latency per object, both directions together.
    pub(crate) latency_by_object: Vec<Option<LatencySummary>>,
    /// Per object, both directions together: the latency of its creations and of its other
    /// synced updates (docs/model.md, Creations).
    pub(crate) latency_split: Vec<[Option<LatencySummary>; 2]>,
    /// What is left at the end, per queue.
    pub(crate) pending_end: Vec<PendingAtEnd>,
    /// Tracked events, in time order (file order on ties).
    pub(crate) events: Vec<EventOutcome>,
    /// Highest total backlog, exact.
    pub(crate) max_backlog: u64,
    /// When it was first reached.
    pub(crate) max_backlog_at: Millis,
    /// Batches started.
    pub(crate) batches: u64,
    /// Cycles started (each a look for changes).
    pub(crate) cycles: u64,
    /// Cycles that found nothing to do.
    pub(crate) empty_looks: u64,
    /// Retry queue size at each sample (all queues).
    pub(crate) retry_samples: Vec<u32>,
    /// Timeout queue size at each sample (all queues).
    pub(crate) timeout_samples: Vec<u32>,
    /// API calls in the rolling 24 hours at each sample.
    pub(crate) api_samples: Vec<u64>,
    /// API figures.
    pub(crate) api: ApiSummary,
    /// Short-window figures (empty without short windows).
    pub(crate) windows: WindowSummary,
}

/// The retry and timeout queues as read at a whole hour (like the backlog, just before
/// anything at that instant).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiting {
    /// Records in the retry queue.
    pub retry: u64,
    /// Records in the timeout queue.
    pub timeout: u64,
    /// Age of the oldest record in the retry queue, from the edit that first made it
    /// pending; `None` when the queue is empty.
    pub oldest_retry: Option<Millis>,
    /// Age of the oldest record in the timeout queue; `None` when the queue is empty.
    pub oldest_timeout: Option<Millis>,
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

/// What the short windows did over a run (docs/model.md, Short windows); zeros and no peaks
/// without them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowSummary {
    /// Time the sync was held back by a short window: paused waiting for room, or with a
    /// check or a batch in back-off after a 429.
    pub waited: Millis,
    /// 429 responses: tries of a batch or a check refused.
    pub rejected: u64,
    /// The most calls each window held at any instant, shortest window first.
    pub peaks: Vec<u64>,
}

impl RunResult {
    /// The seed this replication ran with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The simulated span.
    pub fn horizon(&self) -> Millis {
        self.horizon
    }

    /// Number of queues (two per object, synced or not).
    pub fn queue_count(&self) -> usize {
        self.counters.len()
    }

    /// Number of objects.
    pub fn object_count(&self) -> usize {
        self.counters.len() / 2
    }

    /// The counters of queue `q`.
    pub fn counters(&self, q: QueueId) -> &QueueCounters {
        &self.counters[q.index()]
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
        let [a, b] = QueueId::of_object(object);
        let mut t = *self.counters(a);
        t.add(self.counters(b));
        t
    }

    /// What is left at the end in queue `q`.
    pub fn pending_end(&self, q: QueueId) -> &PendingAtEnd {
        &self.pending_end[q.index()]
    }

    /// What is left at the end of one object, both directions.
    pub fn object_pending_end(&self, object: usize) -> PendingAtEnd {
        let [a, b] = QueueId::of_object(object);
        self.pending_end(a).plus(self.pending_end(b))
    }

    /// What is left at the end over every queue.
    pub fn pending_totals(&self) -> PendingAtEnd {
        self.pending_end
            .iter()
            .fold(PendingAtEnd::default(), |acc, p| acc.plus(p))
    }

    /// Latency of synced updates of queue `q`.
    pub fn latency(&self, q: QueueId) -> Option<LatencySummary> {
        self.latency[q.index()]
    }

    /// Latency of synced updates of `object`, both directions together.
    pub fn object_latency(&self, object: usize) -> Option<LatencySummary> {
        self.latency_by_object[object]
    }

    /// Latency of `object`'s synced creations, both directions together.
    pub fn creation_latency(&self, object: usize) -> Option<LatencySummary> {
        self.latency_split[object][0]
    }

    /// Latency of `object`'s synced updates other than creations, both directions together.
    pub fn update_latency(&self, object: usize) -> Option<LatencySummary> {
        self.latency_split[object][1]
    }

    /// Tracked events (bulk updates, objects enabled), in time order (file order on ties).
    pub fn events(&self) -> &[EventOutcome] {
        &self.events
    }

    /// Highest total backlog, exact.
    pub fn max_backlog(&self) -> u64 {
        self.max_backlog
    }

    /// When the highest total backlog was first reached.
    pub fn max_backlog_at(&self) -> Millis {
        self.max_backlog_at
    }

    /// Batches started.
    pub fn batches(&self) -> u64 {
        self.batches
    }

    /// Cycles started.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Cycles that found nothing to do.
    pub fn empty_looks(&self) -> u64 {
        self.empty_looks
    }

    /// What the API budget did.
    pub fn api(&self) -> &ApiSummary {
        &self.api
    }

    /// Short-window figures.
    pub fn windows(&self) -> &WindowSummary {
        &self.windows
    }

    /// Sample instants: 0, interval, ... up to the horizon.
    pub fn sample_times(&self) -> &[Millis] {
        &self.sample_times
    }

    /// Backlog of queue `q` at sample `i`.
    pub fn sample_queue(&self, i: usize, q: QueueId) -> u64 {
        self.samples[i * self.queue_count() + q.index()] as u64
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
        QueueId::of_object(object)
            .iter()
            .map(|&q| self.sample_queue(i, q))
            .sum()
    }

    /// Backlog in `direction` at sample `i`.
    pub fn sample_direction(&self, i: usize, direction: Direction) -> u64 {
        (0..self.object_count())
            .map(|o| self.sample_queue(i, QueueId::new(o, direction)))
            .sum()
    }

    /// Retry queue size (all queues) at each sample.
    pub fn retry_samples(&self) -> &[u32] {
        &self.retry_samples
    }

    /// Timeout queue size (all queues) at each sample.
    pub fn timeout_samples(&self) -> &[u32] {
        &self.timeout_samples
    }

    /// API calls in the rolling 24 hours at each sample.
    pub fn api_samples(&self) -> &[u64] {
        &self.api_samples
    }

    /// Number of whole-hour snapshots.
    pub fn hours_observed(&self) -> usize {
        self.hourly_backlog.len() / self.queue_count()
    }

    /// Backlog of `object` (both directions) at whole hour `h` (clamped into the run).
    pub fn hourly_object_backlog(&self, h: usize, object: usize) -> u64 {
        let nq = self.queue_count();
        let h = h.min(self.hours_observed() - 1);
        QueueId::of_object(object)
            .iter()
            .map(|q| self.hourly_backlog[h * nq + q.index()] as u64)
            .sum()
    }

    /// Total backlog at whole hour `h` (clamped into the run).
    pub fn hourly_total_backlog(&self, h: usize) -> u64 {
        (0..self.object_count())
            .map(|o| self.hourly_object_backlog(h, o))
            .sum()
    }

    /// The last instant a record of `object` left the backlog among those first counted by
    /// the reading at whole hour `h` (`h` from 0 to [`Self::hours_observed`]; the last of
    /// these counts records that became pending after the last reading). `Some(0)` when none
    /// did, `None` when one of them was still pending at the end.
    pub fn last_departure(&self, h: usize, object: usize) -> Option<Millis> {
        let t = self.settled[h * self.object_count() + object];
        (t != Millis::MAX).then_some(t)
    }

    /// Hour bucket `h`'s failed attempts (transient, permanent), records released for another
    /// attempt, and records that entered the timeout queue, all objects.
    pub fn errors_in_hour(&self, h: usize) -> [u64; 4] {
        self.hourly_errors[h].map(u64::from)
    }

    /// The retry and timeout queues at whole hour `h` (0 to [`Self::hours_observed`] - 1).
    pub fn waiting(&self, h: usize) -> Waiting {
        self.hourly_waiting[h]
    }

    /// When retries started being held back by suppression, and when that ended (`None`:
    /// still held at the end), in time order.
    pub fn suppression_spells(&self) -> &[(Millis, Option<Millis>)] {
        &self.suppression_spells
    }

    /// Synced updates of `object` (both directions) slower than bound `k` of the scenario's
    /// `[sla] latency_over`.
    pub fn latency_over(&self, object: usize, k: usize, bounds: usize) -> u64 {
        self.latency_over[object * bounds + k]
    }

    /// Number of hourly throughput buckets.
    pub fn hour_buckets(&self) -> usize {
        self.hourly_done.len() / (self.queue_count() * 2)
    }

    /// Records of queue `q` completed in hour bucket `h`: (synced, skipped).
    pub fn done_in_hour(&self, h: usize, q: QueueId) -> (u64, u64) {
        let base = (h * self.queue_count() + q.index()) * 2;
        (
            self.hourly_done[base] as u64,
            self.hourly_done[base + 1] as u64,
        )
    }

    /// Records of `object` completed (synced + skipped) in hour bucket `h`.
    pub fn completed_in_hour(&self, h: usize, object: usize) -> u64 {
        QueueId::of_object(object)
            .iter()
            .map(|&q| {
                let (synced, skipped) = self.done_in_hour(h, q);
                synced + skipped
            })
            .sum()
    }

    /// Records of every queue completed in hour bucket `h`: (synced, skipped).
    pub fn done_in_hour_total(&self, h: usize) -> (u64, u64) {
        (0..self.queue_count())
            .map(|q| self.done_in_hour(h, QueueId::from_index(q)))
            .fold((0, 0), |(a, b), (x, y)| (a + x, b + y))
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
            if c.edits != c.background_edits + c.bulk_edits + c.cascade_edits + c.echo_edits {
                return Err(format!(
                    "queue {q}: edits {} != background {} + bulk {} + cascade {} + echo {}",
                    c.edits, c.background_edits, c.bulk_edits, c.cascade_edits, c.echo_edits
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
}
