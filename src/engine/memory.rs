//! How much memory one simulation of a scenario can need at its peak, bounded from the
//! engine's data layout before the run, so that a scenario too big for the machine is
//! refused up front with the estimate instead of failing hours in.
//!
//! The estimate is an upper bound for every scenario the format allows (`docs/robustness.md`,
//! Memory), built from upper bounds on counts ([`Bounds`]): entries created, records pending
//! per queue, entries alive at once, latency samples, calls in the API window. Each count is
//! bounded by what the scenario can make happen, never by what usually happens: a stalled or
//! disabled sync keeps every entry, so without a guaranteed drain the bound is every entry
//! the run can create (or the population, if smaller). A scenario whose sync provably drains
//! (the `fifo` policy without gates, errors, an API limit or outages) gets a much tighter
//! bound on its backlog from a fluid argument ([`Bounds::drained_backlog`]); the reference
//! scenarios are of that kind, which keeps their estimates within about twice their measured
//! peaks. Background edits are a Poisson stream, so their count is bounded with a margin that
//! a run exceeds with a probability below one in a billion.
//!
//! Change it with the data structures it mirrors: entries (`entries.rs`), the pending index
//! (`pending.rs`), FIFOs (`fifo.rs`), the retry queues (`retry.rs`), the API window
//! (`api.rs`), the observer's series (`observe.rs`) and the latency samples and summaries
//! (`latency.rs`, `crate::metrics`). A test runs generated scenarios under a counting
//! allocator and checks every run's peak against the estimate (`tests/memory/`).

use crate::scenario::{Direction, EventKind, QueueId, Scenario};
use crate::units::{Millis, DAY, HOUR, MINUTE};

use super::entries::Entry;
use super::fifo::BLOCK;
use super::pending::{dense_bytes, max_cells, HASHED_FROM_RECORDS};

/// The memory one simulation of a scenario can need at its peak, by part, in bytes: an upper
/// bound (see the module documentation), not a guess of the usual.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryEstimate {
    /// Per-record state: each synced queue's pending index (a bit and a 4-byte slot per
    /// record, or a table of the records pending), and the ids a random bulk update picks.
    pub index: f64,
    /// Entries alive at once and their FIFO items, with the retry and timeout queues.
    pub entries: f64,
    /// One latency sample per synced update (four bytes while latencies fit in 2^32 ms,
    /// else eight), the vectors' spare room, and what the latency summaries copy at the end.
    pub latency: f64,
    /// The backlog samples and hourly series (with the clear times of each hour's backlog),
    /// and the run's small buffers: edits drawn ahead on a second thread, the event heap,
    /// per-queue and per-event state.
    pub series: f64,
    /// The rolling 24-hour window of API calls: one item per millisecond with calls in it.
    pub api: f64,
    /// The program, the allocator, a vector being copied as it grows, and report buffers.
    pub fixed: f64,
}

/// Upper bounds on what one run of a scenario can hold and do, from which the memory and
/// work estimates are built (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct Bounds {
    /// Per queue ([`QueueId::index`] order): entries it can create (edits that can reach it
    /// and its initial entries).
    pub(crate) created: Vec<f64>,
    /// Per queue: records that can be pending in it at once (each has at most one entry an
    /// edit coalesces into).
    pub(crate) pending: Vec<f64>,
    /// Per queue: entries that can be synced as updates (one latency sample each): those an
    /// edit touching synced fields created or coalesced into.
    pub(crate) synced: Vec<f64>,
    /// Entries alive at once, in any state.
    pub(crate) live: f64,
    /// The most batches that can run at once (the most workers ever).
    pub(crate) workers: f64,
    /// Entries a batch takes at most.
    pub(crate) batch_size: f64,
    /// The shortest a batch can last, in ms.
    pub(crate) shortest_batch: f64,
    /// Entries that can be taken into batches in any 24 hours.
    pub(crate) taken_per_day: f64,
    /// Whether records can fail and wait for retries.
    pub(crate) errors: bool,
    /// With errors: attempts an entry can make (first and retries, nightly ones included).
    pub(crate) attempts: f64,
    /// Whether the backlog is bounded by a guaranteed drain ([`Bounds::drained_backlog`]).
    pub(crate) drained: bool,
    /// Cascade and echo triggers: each waits in the event heap until its edits are made.
    pub(crate) caused_triggers: f64,
    /// Edits cascades and echoes can cause over the run.
    pub(crate) caused_edits: f64,
}

/// The margin added to a Poisson count of mean `mean` to bound it: a run exceeds
/// `mean + 6 sqrt(mean) + 32` with a probability below one in a billion.
fn poisson_bound(mean: f64) -> f64 {
    if mean <= 0.0 {
        0.0
    } else {
        mean + 6.0 * mean.sqrt() + 32.0
    }
}

/// The highest factor an object's background rate reaches: its hour profile's peak times
/// its weekend factor (if above one).
fn peak_factor(o: &crate::scenario::ObjectSpec) -> f64 {
    o.hour_profile
        .map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max))
        * o.weekend_factor.max(1.0)
}

/// Cost units as integer millionths, as the engine counts them (`batch.rs`).
fn micro(units: f64) -> f64 {
    (units * 1e6).round()
}

impl Bounds {
    /// The bounds for `sc`.
    pub(crate) fn of(sc: &Scenario) -> Self {
        let nq = QueueId::count(sc.objects.len());
        let hours = sc.horizon as f64 / HOUR as f64;
        let mut created = vec![0f64; nq];
        let mut synced = vec![0f64; nq];
        // Entries that arrive in bursts (bulk updates, objects enabled, the initial backlog)
        // and the background edits' envelope rate per ms, per queue.
        let mut pulses = vec![0f64; nq];
        let mut background = vec![0f64; nq];
        let mut records = vec![0f64; nq];
        for (o, object) in sc.objects.iter().enumerate() {
            let peak = peak_factor(object);
            for d in Direction::ALL {
                let q = QueueId::new(o, d).index();
                if object.syncs[d as usize] {
                    // The population and the records the run may create.
                    records[q] = object.id_space() as f64;
                }
                let rate = object.edits_per_hour[d as usize] * peak;
                created[q] += poisson_bound(rate * hours);
                synced[q] += poisson_bound(rate * object.synced_fraction * hours);
                background[q] = 1.25 * rate / HOUR as f64;
                if d == object.creation_direction && object.creations_per_hour > 0.0 {
                    // Creations: each an entry synced as an update, at most the cap.
                    let rate = object.creations_per_hour * peak;
                    let n = poisson_bound(rate * hours).min(object.max_creations as f64);
                    created[q] += n;
                    synced[q] += n;
                    background[q] += 1.25 * rate / HOUR as f64;
                }
                if let Some(b) = object.initial_backlog {
                    let first = if object.syncs[0] {
                        Direction::ToMarketing
                    } else {
                        Direction::ToCrm
                    };
                    if d == first {
                        pulses[q] += b.count as f64;
                    }
                }
            }
        }
        for e in sc.initial.iter() {
            pulses[QueueId::new(e.object, e.direction).index()] += 1.0;
        }
        let mut workers = sc.sync.workers as f64;
        let mut fewest_workers = workers;
        let mut slowest = sc.sync.throughput;
        let mut fastest = sc.sync.throughput;
        let mut stalls = sc.sync.throughput <= 0.0;
        for e in &sc.events {
            match e.kind {
                EventKind::BulkUpdate {
                    object,
                    direction,
                    count,
                    synced_fields,
                    ..
                } => {
                    let q = QueueId::new(object, direction).index();
                    pulses[q] += count as f64;
                    if !synced_fields {
                        // Skips, unless they coalesce into an update: counted as created
                        // only, and as synced below through the entries they join.
                        synced[q] -= count as f64;
                    }
                }
                EventKind::EnableObject { object } => {
                    for q in QueueId::of_object(object) {
                        pulses[q.index()] += records[q.index()];
                    }
                }
                EventKind::SetWorkers { workers: w } => {
                    workers = workers.max(w as f64);
                    fewest_workers = fewest_workers.min(w as f64);
                }
                EventKind::SetThroughput { throughput } => {
                    slowest = slowest.min(throughput);
                    fastest = fastest.max(throughput);
                    stalls |= throughput <= 0.0;
                }
                EventKind::SyncDisabled { .. } => stalls = true,
                _ => {}
            }
        }
        for q in 0..nq {
            created[q] += pulses[q];
            // An entry is synced as an update only if an edit touching synced fields made or
            // joined it: at most the synced edits and the updates that arrive in bursts.
            synced[q] = (synced[q] + pulses[q]).clamp(0.0, created[q]);
        }
        // Cascades and echoes: their edits make entries too (`engine/caused.rs`).
        let caused = super::caused::bound(sc, &created);
        for q in 0..nq {
            created[q] += caused.edits[q];
            synced[q] = (synced[q] + caused.synced[q]).min(created[q]);
        }
        let errors = sc
            .objects
            .iter()
            .any(|o| o.transient_error_rate > 0.0 || o.permanent_error_fraction > 0.0);
        if fastest <= 0.0 {
            // The sync never runs: nothing completes, so no latency is measured.
            synced.iter_mut().for_each(|s| *s = 0.0);
        }
        let batch_size = sc.sync.batch_size as f64;
        let total_created: f64 = created.iter().sum();
        // The cheapest batch: one record at the lowest cost, at the highest throughput.
        let cheapest = micro(sc.sync.skip_cost).min(micro(1.0));
        let shortest_batch = if fastest > 0.0 {
            ((cheapest * HOUR as f64 / micro(fastest)).ceil() + sc.sync.batch_overhead as f64)
                .max(1.0)
        } else {
            f64::INFINITY
        };
        let mut bounds = Bounds {
            pending: Vec::new(),
            synced,
            created,
            live: 0.0,
            workers,
            batch_size,
            shortest_batch,
            taken_per_day: 0.0,
            errors,
            attempts: 1.0,
            drained: false,
            caused_triggers: caused.triggers,
            caused_edits: caused.edits.iter().sum(),
        };
        // A guaranteed drain: every look at a backlog of at least a batch per worker takes a
        // full batch, and nothing can stop the sync.
        let shared_fifo = matches!(sc.sync.policy, crate::scenario::Policy::Fifo)
            && sc.sync.gates.iter().all(Option::is_none);
        // Caused edits are not in the drain's envelope of arrivals, and short windows and a
        // concurrency cap slow the sync and shrink batches: a drain is guaranteed only
        // without them.
        let burst = &sc.api.burst;
        let unlimited = sc.api.daily_limit.is_none()
            && burst.windows.is_empty()
            && burst.max_concurrent_calls.is_none();
        let drained = (shared_fifo && !errors && !stalls && unlimited && !sc.caused.any())
            .then(|| bounds.drained_backlog(sc, slowest, fewest_workers, pulses.iter().sum()))
            .flatten();
        let in_flight = (workers * batch_size).min(total_created);
        bounds.pending = (0..nq)
            .map(|q| {
                let mut p = bounds.created[q].min(records[q]);
                if let Some((backlog, busy)) = drained {
                    // What is pending in a queue arrived during the current busy period, or
                    // was there (less than a batch per worker) when it began.
                    let arrived = workers * batch_size + background[q] * busy + 200.0 + pulses[q];
                    p = p.min(backlog).min(arrived);
                }
                p
            })
            .collect();
        let indexed: f64 = bounds.pending.iter().sum();
        bounds.live = (indexed + in_flight)
            .min(total_created)
            .min(drained.map_or(f64::INFINITY, |(backlog, _)| backlog));
        bounds.drained = drained.is_some();
        if errors {
            // The first attempt, retries every interval up to the limit, then one a night.
            let days = (sc.horizon as f64 / DAY as f64).ceil() + 1.0;
            let retries = (sc.horizon as f64 / sc.retry.interval as f64).ceil();
            bounds.attempts = 1.0 + retries.min(sc.retry.max_attempts as f64) + days;
        }
        // Taken in 24 hours: what is alive at its start and what arrives in it, each entry
        // once per attempt.
        bounds.taken_per_day = ((bounds.live + bounds.arrivals_per_day(sc)) * bounds.attempts)
            .min(total_created * bounds.attempts);
        bounds
    }

    /// Edits (and initial entries) that can arrive in any 24 hours: the background streams at
    /// their peak rate, and every bulk update, enabled object and initial entry whose edits
    /// can fall in one day.
    fn arrivals_per_day(&self, sc: &Scenario) -> f64 {
        let day_hours = (sc.horizon.min(DAY)) as f64 / HOUR as f64;
        let mut arrivals = 0.0;
        for o in &sc.objects {
            let rate =
                (o.edits_per_hour[0] + o.edits_per_hour[1] + o.creations_per_hour) * peak_factor(o);
            arrivals += poisson_bound(rate * day_hours);
            if let Some(b) = o.initial_backlog {
                arrivals += b.count as f64;
            }
        }
        arrivals += sc.initial.len() as f64 + self.caused_edits;
        for e in &sc.events {
            match e.kind {
                EventKind::BulkUpdate { count, spread, .. } => {
                    let per_day = if spread == 0 {
                        count as f64
                    } else {
                        count as f64 * DAY as f64 / spread as f64 + 1.0
                    };
                    arrivals += per_day.min(count as f64);
                }
                EventKind::EnableObject { object } => {
                    let o = &sc.objects[object];
                    arrivals += o.id_space() as f64 * o.syncs.iter().filter(|s| **s).count() as f64;
                }
                _ => {}
            }
        }
        arrivals
    }

    /// An upper bound on the backlog (entries pending or in flight) of a sync that drains
    /// without fail: the `fifo` policy without gates (so a look at a backlog of a batch or
    /// more takes a full batch), no errors, no API limit, no outage, throughput above zero
    /// throughout; with it, the longest a busy period can last (ms). `None` if the background
    /// edits alone can outrun the drain.
    ///
    /// The argument: let `s` be the last instant before `t` at which fewer than a batch per
    /// worker was queued. From one cycle wait and one batch after `s`, every worker runs full
    /// batches back to back, each completing `batch_size` entries per full batch's duration
    /// at the slowest throughput: at least `mu` entries per ms. So the backlog at `t` is at
    /// most what was there at `s` (three batches per worker, queued and in flight, with one
    /// batch of rounding) plus the arrivals in `(s, t]` minus `mu (t - s)`, plus what the
    /// wait and the first batch let in. Arrivals are bounded by an envelope: background
    /// edits at a quarter above their peak rate (a Poisson stream exceeds that by more than
    /// 200 edits over any window with a probability far below one in a billion), each bulk
    /// update at its even rate over its spread plus one, and objects enabled and initial
    /// entries at once. The largest `arrivals - mu * span` over all spans is found in one
    /// pass over the envelope's breakpoints.
    ///
    /// A busy period (every look finds a batch per worker) of length `tau` completes at
    /// least `mu (tau - wait)` entries, and no more than were there at its start and arrived
    /// in it: so `tau` is at most what arrives in bursts, plus the slack, over `mu` less the
    /// background rate.
    fn drained_backlog(
        &self,
        sc: &Scenario,
        slowest: f64,
        fewest_workers: f64,
        bursts: f64,
    ) -> Option<(f64, f64)> {
        let full_batch = (self.batch_size * micro(sc.sync.skip_cost.max(1.0)) * HOUR as f64
            / micro(slowest))
        .ceil()
            + sc.sync.batch_overhead as f64;
        let full_batch = full_batch.max(1.0);
        let mu = fewest_workers * self.batch_size / full_batch;
        let background: f64 = sc
            .objects
            .iter()
            .map(|o| (o.edits_per_hour[0] + o.edits_per_hour[1]) * peak_factor(o))
            .sum::<f64>()
            * 1.25
            / HOUR as f64;
        if background >= mu {
            return None;
        }
        // The envelope's breakpoints: (instant, jump in arrivals, change of slope).
        let mut points: Vec<(f64, f64, f64)> = vec![(0.0, 0.0, 0.0), (sc.horizon as f64, 0.0, 0.0)];
        let initial: f64 = sc
            .objects
            .iter()
            .filter_map(|o| o.initial_backlog.map(|b| b.count as f64))
            .sum::<f64>()
            + sc.initial.len() as f64;
        points.push((0.0, initial, 0.0));
        for e in &sc.events {
            match e.kind {
                EventKind::BulkUpdate {
                    count, spread: 0, ..
                } => {
                    points.push((e.at as f64, count as f64, 0.0));
                }
                EventKind::BulkUpdate { count, spread, .. } => {
                    let rate = count as f64 / spread as f64;
                    points.push((e.at as f64, 1.0, rate));
                    points.push(((e.at + spread) as f64, 0.0, -rate));
                }
                EventKind::EnableObject { object } => {
                    let o = &sc.objects[object];
                    let n = o.records as f64 * o.syncs.iter().filter(|s| **s).count() as f64;
                    points.push((e.at as f64, n, 0.0));
                }
                _ => {}
            }
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        // h(x) = arrivals(x) - mu x: the largest rise of h over any span.
        let (mut h, mut x, mut slope) = (0.0, 0.0, background - mu);
        let (mut lowest, mut rise) = (0.0f64, 0.0f64);
        for &(at, jump, change) in &points {
            let at = at.min(sc.horizon as f64);
            h += slope * (at - x);
            x = at;
            lowest = lowest.min(h);
            h += jump;
            rise = rise.max(h - lowest);
            slope += change;
        }
        let wait = sc.sync.cycle_wait as f64 + full_batch;
        let slack = mu * wait + 3.0 * self.workers * self.batch_size + 200.0 + points.len() as f64;
        let busy = ((bursts + slack) / (mu - background)).min(sc.horizon as f64);
        Some((rise + slack, busy))
    }

    /// Batches that can start in any `span` ms (at most the horizon).
    ///
    /// With an API limit each costs a call, so a day holds at most the limit. Otherwise a
    /// batch takes a full `batch_size`, or fewer when it empties what it takes from (the
    /// whole backlog under `fifo`, its object's queue otherwise, or a round-robin turn
    /// ends), after which the next such batch needs new work: an arrival, a turn, a retry
    /// come due. Each lasts a millisecond or more, so arrivals faster than a batch per worker
    /// and millisecond start at most that many.
    pub(crate) fn batches_in(&self, sc: &Scenario, span: f64) -> f64 {
        let span = span.min(sc.horizon as f64);
        let taken = if span <= DAY as f64 {
            self.taken_per_day
        } else {
            self.created.iter().sum::<f64>() * self.attempts
        };
        let by_time = self.workers * (span / self.shortest_batch + 1.0);
        let full = taken / self.batch_size;
        let partial = if self.errors {
            taken
        } else {
            let per_ms = self.workers;
            let mut arrivals = sc.objects.len() as f64 + sc.initial.len().min(1) as f64;
            let background: f64 = sc
                .objects
                .iter()
                .map(|o| (o.edits_per_hour[0] + o.edits_per_hour[1]) * peak_factor(o))
                .sum::<f64>()
                * 1.25
                / HOUR as f64;
            arrivals += background.min(per_ms) * span + 200.0;
            for e in &sc.events {
                arrivals += match e.kind {
                    EventKind::BulkUpdate { count, spread, .. } => {
                        (count as f64).min(per_ms * (spread as f64).min(span) + 1.0)
                    }
                    EventKind::EnableObject { .. } => sc.objects.len() as f64,
                    _ => 1.0,
                };
            }
            if let crate::scenario::Policy::RoundRobin { slice, .. } = sc.sync.policy {
                arrivals += taken / slice as f64;
            }
            arrivals.min(taken)
        };
        let mut batches = by_time.min(full + partial + self.workers);
        if let Some(limit) = sc.api.daily_limit {
            batches = batches.min(limit as f64 * (span / DAY as f64).ceil());
        }
        batches
    }

    /// Distinct milliseconds with calls in any 24 hours: batches started, cycles' checks for
    /// changes and other integrations' minutes (calls at one millisecond share an item).
    fn call_instants_per_day(&self, sc: &Scenario) -> f64 {
        let day = sc.horizon.min(DAY) as f64;
        let batches = self.batches_in(sc, day);
        let cycles = if sc.api.calls_per_cycle > 0 {
            // After each wait, and when the sync comes back or retries come due.
            day / sc.sync.cycle_wait as f64 + 1.0 + sc.events.len() as f64 + batches
        } else {
            0.0
        };
        let background = if sc.api.background_calls_per_hour > 0.0 {
            (day / MINUTE as f64).ceil() + 1.0
        } else {
            0.0
        };
        (batches + cycles + background).min(day + 1.0)
    }
}

/// Bytes a [`super::fifo::Fifo`] of `item`-byte items that holds at most `items` can take:
/// the items, two partly used blocks and a spare (a short one keeps one block, grown like a
/// vector).
fn fifo_bytes(items: f64, item: f64) -> f64 {
    if items <= 0.0 {
        0.0
    } else if items < BLOCK as f64 {
        item * 2.0 * items.max(4.0)
    } else {
        item * (items + 3.0 * BLOCK as f64) + 48.0 * (items / BLOCK as f64 + 4.0)
    }
}

/// Bytes of a hashed pending index holding up to `pending` records, while it grows (the old
/// table and the new one), or as dense arrays once its table would pass half their size.
fn hashed_bytes(pending: f64, records: u32) -> f64 {
    let cap = max_cells(records) as f64;
    // The table doubles when it is half full.
    let needed = (pending * 2.0 + 1.0).max(1024.0);
    let cells = 2f64.powi(needed.log2().ceil() as i32);
    if cells <= cap {
        1.5 * 8.0 * cells
    } else {
        8.0 * cap + dense_bytes(records as u64) as f64
    }
}

impl MemoryEstimate {
    /// The estimate for `sc`.
    pub fn of(sc: &Scenario) -> Self {
        let b = Bounds::of(sc);
        let nq = QueueId::count(sc.objects.len());
        // The pending index of each queue.
        let mut index = 0.0;
        for (o, object) in sc.objects.iter().enumerate() {
            for d in Direction::ALL {
                if !object.syncs[d as usize] {
                    continue;
                }
                let q = QueueId::new(o, d).index();
                // Indexed up to the records the run may create.
                let ids = object.id_space();
                index += if ids < HASHED_FROM_RECORDS {
                    dense_bytes(ids as u64) as f64
                } else {
                    hashed_bytes(b.pending[q], ids)
                };
            }
        }
        // Sampling `count` of `records` ids (a random bulk update's, an initial backlog's)
        // shuffles an array of the population or fills a hash set, then keeps the ids.
        let sample = |count: f64, records: f64| (4.0 * records).max(12.0 * count) + 8.0 * count;
        for e in &sc.events {
            if let EventKind::BulkUpdate {
                object,
                count,
                selection: crate::scenario::Selection::Random,
                ..
            } = e.kind
            {
                index += sample(count as f64, sc.objects[object].records as f64);
            }
        }
        // The initial backlog sorted before it is queued (16 bytes an entry), and the
        // snapshot it was read from, kept by the loader (about 170 bytes a row as read and 24
        // as checked).
        let mut initial = 0.0f64;
        let mut drawn = 0.0f64;
        for o in &sc.objects {
            if let Some(b) = o.initial_backlog {
                initial += b.count as f64;
                drawn = drawn.max(sample(b.count as f64, o.records as f64));
            }
        }
        let rows = sc.initial.len() as f64
            + sc.origin
                .snapshot
                .as_ref()
                .map_or(0, |s| s.skipped_lines.len()) as f64;
        index += 16.0 * (initial + sc.initial.len() as f64) + drawn + 200.0 * rows;
        // Entries: the slab grows by a quarter; the free stack lives in it.
        let slab = std::mem::size_of::<Entry>() as f64 * (1.25 * b.live + 1024.0);
        // FIFO items: one shared FIFO, or one per queue; a requeue leaves a stale item, and
        // stale items are dropped once they make a third of a FIFO.
        let stale = if sc.sync.requeue { 1.5 } else { 1.0 };
        let shared = matches!(sc.sync.policy, crate::scenario::Policy::Fifo)
            && sc.sync.gates.iter().all(Option::is_none);
        let items = if shared {
            fifo_bytes(stale * b.live + 1025.0, 16.0)
        } else {
            b.pending
                .iter()
                .map(|&p| fifo_bytes(stale * p.min(b.live) + 1025.0, 16.0))
                .sum()
        };
        let batches = 4.0 * b.workers * b.batch_size.min(b.live.max(1.0));
        let retries = if b.errors {
            // The retry queue (24-byte items), due retries and the timeout queue (16-byte
            // items), each holding live items and at most as many stale ones again.
            let errored: f64 = b.pending.iter().sum::<f64>().min(b.live);
            fifo_bytes(2.0 * errored + 1025.0, 24.0)
                + 2.0 * fifo_bytes(2.0 * errored + 1025.0, 16.0)
        } else {
            0.0
        };
        // Latency samples: at most one per entry synced as an update, in vectors that grow by
        // a quarter. At the end the summaries of two objects are computed at once;
        // each may gather up to all its samples (those of the percentiles' histogram
        // buckets), and one that syncs both ways first copies its two directions into one;
        // one with creations (kept apart from its updates) also copies each direction's
        // two kinds into one, and each kind's two directions into one.
        let w = latency_sample_bytes(sc);
        let samples: f64 = b.synced.iter().sum();
        let mut per_object: Vec<f64> = sc
            .objects
            .iter()
            .enumerate()
            .map(|(o, object)| {
                let n: f64 = QueueId::of_object(o)
                    .iter()
                    .map(|q| b.synced[q.index()])
                    .sum();
                if object.creations_per_hour > 0.0 {
                    5.0 * n
                } else if object.syncs.iter().all(|s| *s) {
                    3.0 * n
                } else {
                    n
                }
            })
            .collect();
        per_object.sort_by(|a, b| b.total_cmp(a));
        let summaries: f64 = per_object.iter().take(2).sum();
        let creating = sc
            .objects
            .iter()
            .filter(|o| o.creations_per_hour > 0.0)
            .count();
        let latency = w * (1.25 * samples + 1024.0 * (nq + 2 * creating) as f64 + summaries);
        // Series: samples per queue (4 bytes) and per sample point (retry, timeout: 4 bytes;
        // API usage: 8); per hour and queue the backlog and two completion counts (4 bytes
        // each) and per hour and object the last departure of the records read then (8 bytes,
        // so 4 a queue), which the run summary's timeline doubles as running sums and clear
        // times; per hour the errors and retries (16 bytes) and the retry and timeout queues'
        // sizes and oldest records (48); spells of suppression (16 bytes, at most a few a
        // night or event). Vectors reserved exactly, but for the spells.
        let points = (sc.horizon / sc.sample_interval + 1) as f64;
        let hours = (sc.horizon / HOUR + 2) as f64;
        let spells = 2.0 * (sc.horizon / DAY + 2) as f64 + 2.0 * sc.events.len() as f64;
        let series = points * (4.0 * nq as f64 + 24.0)
            + hours * (nq as f64 * 24.0 + 64.0)
            + 2.0 * 16.0 * spells;
        // Edits drawn ahead: up to a dozen chunks (24 bytes an edit) between the two
        // threads; the latency summaries' histograms on two threads; the state kept per
        // queue, object and event.
        let buffers = 12.0 * super::draw_ahead::CHUNK as f64 * 24.0
            + 2.0 * 81_920.0
            + 2048.0 * (nq + sc.objects.len()) as f64
            + 1024.0 * sc.events.len() as f64;
        let series = series + buffers + b.caused_triggers * super::caused::WAITING_BYTES;
        // The API window: 8 bytes per millisecond with calls, in blocks.
        // Each short window: 16 bytes per millisecond with calls in it (at most its calls,
        // each millisecond holding one or more), in a ring that may be twice that; and per
        // worker a batch's back-off state.
        let short: f64 = sc
            .api
            .burst
            .windows
            .iter()
            .map(|w| 32.0 * (w.calls.min(w.per + 1) as f64) + 64.0)
            .sum::<f64>()
            + if sc.api.burst.windows.is_empty() {
                0.0
            } else {
                24.0 * b.workers
            };
        let api = fifo_bytes(b.call_instants_per_day(sc) + 1.0, 8.0) + short;
        let entries = slab + items + batches + retries;
        let largest = [index, entries, latency, api]
            .into_iter()
            .fold(0.0, f64::max);
        MemoryEstimate {
            index,
            entries,
            latency,
            series,
            api,
            // The program and allocator, and a vector copied as it grows: below 32 MiB the
            // allocator may copy it, above it moves its pages.
            fixed: (8 << 20) as f64 + largest.min((32 << 20) as f64),
        }
    }

    /// The whole estimate, in bytes.
    pub fn total(&self) -> f64 {
        self.index + self.entries + self.latency + self.series + self.api + self.fixed
    }

    /// The parts, for a message: `record index 9.1 MiB, pending entries ...`.
    pub fn parts_text(&self) -> String {
        use crate::units::bytes_text;
        format!(
            "record index {}, pending entries {}, latency samples {}, series and buffers {}, \
             API window {}",
            bytes_text(self.index),
            bytes_text(self.entries),
            bytes_text(self.latency),
            bytes_text(self.series),
            bytes_text(self.api)
        )
    }
}

/// The bytes of one latency sample ([`LatencySamples`](crate::metrics::LatencySamples)): four
/// while no latency can exceed 2^32 ms (the longest is the horizon plus the age of the oldest
/// initial entry), else eight.
fn latency_sample_bytes(sc: &Scenario) -> f64 {
    let oldest_initial = sc
        .objects
        .iter()
        .filter_map(|o| o.initial_backlog.map(|b| b.oldest))
        .chain(sc.initial.iter().map(|e| e.stamp.unsigned_abs()))
        .max()
        .unwrap_or(0);
    if sc.horizon.saturating_add(oldest_initial) <= u32::MAX as Millis {
        4.0
    } else {
        8.0
    }
}

/// Bytes one simulation of `sc` can need at its peak ([`MemoryEstimate`]).
pub fn memory_estimate(sc: &Scenario) -> u64 {
    MemoryEstimate::of(sc).total() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(path: &str, overrides: &[&str]) -> Scenario {
        let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        crate::scenario::load(std::path::Path::new(path), &overrides).unwrap()
    }

    #[test]
    fn latency_samples_are_estimated_at_four_bytes_while_latencies_fit() {
        let load = |horizon: &str| {
            load(
                "scenarios/reference.toml",
                &[&format!("horizon=\"{horizon}\"")],
            )
        };
        assert_eq!(latency_sample_bytes(&load("49d")), 4.0);
        assert_eq!(latency_sample_bytes(&load("50d")), 8.0);
    }

    #[test]
    fn the_reference_backlog_is_bounded_near_its_measured_peak() {
        // The reference's backlog peaks at 257,785 entries (docs/performance.md); the
        // drain bound must be above it and not far.
        let b = Bounds::of(&load("scenarios/reference.toml", &[]));
        assert!(b.drained);
        assert!((257_785.0..=290_000.0).contains(&b.live), "{}", b.live);
        let mib = memory_estimate(&load("scenarios/reference.toml", &[])) as f64 / (1 << 20) as f64;
        // The whole `syncsim run` peaks at about 32 MiB; the estimate errs high, not absurdly.
        assert!((37.0..=120.0).contains(&mib), "{mib:.1} MiB");
    }

    #[test]
    fn a_stalled_or_disabled_sync_keeps_every_entry() {
        for stall in [
            &["sync.throughput=0"][..],
            &["events.off={kind=\"sync_disabled\",at=\"1h\"}"],
            &["events.slow={kind=\"set_throughput\",at=\"1h\",throughput=0}"],
            &["api.daily_limit=100000"],
        ] {
            let sc = load("scenarios/reference.toml", stall);
            let b = Bounds::of(&sc);
            assert!(!b.drained, "{stall:?}");
            // Every entry created stays, one per record at most: not a day's worth.
            let kept: f64 = b
                .created
                .iter()
                .zip(sc.objects.iter().flat_map(|o| [o.records as f64, 0.0]))
                .map(|(&c, r)| c.min(r))
                .sum();
            assert!(
                kept > 900_000.0 && b.live >= kept,
                "{stall:?}: {} < {kept}",
                b.live
            );
        }
    }
}
