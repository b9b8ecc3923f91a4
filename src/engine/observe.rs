//! What the run measures: the backlog sampled on the fixed grid and every whole hour, the
//! retry and timeout queues and the API usage beside it, completions per hour, errors and
//! retries per hour and the oldest record waiting in each retry queue at every whole hour,
//! counts of batches and cycles, the peak backlog, and when the backlog read at each whole
//! hour had all left; the audit's invariant check at every sample; and [`Sim::finish`],
//! which assembles the [`RunResult`] when the run ends.
//!
//! A sample at `t` reflects every event strictly before `t` (docs/model.md, Clock and event
//! order): the run loop observes before it handles the first event at or after a sample
//! point.
//!
//! How long the backlog of each whole hour took to clear costs one store per record leaving
//! the backlog: each entry carries the first hour whose reading counts it (`Entry::since`),
//! and a record leaving the backlog writes the instant into `settled` under that hour and its
//! object. Instants only grow, so each slot ends up holding the last departure of the
//! records first counted at that hour; the summary takes running maxima over the hours
//! (docs/model.md, Metrics).

use super::entries::EntryState;
use super::latency::latency_summaries;
use super::{Sim, Workspace};
use crate::metrics::{ApiSummary, EventOutcome, PendingAtEnd, RunResult, Waiting, WindowSummary};
use crate::scenario::{QueueId, Scenario};
use crate::units::{Millis, HOUR};

/// The run's measurements as they are taken; nothing here steers the simulation.
pub(crate) struct Observer {
    /// The next sample point of the grid.
    pub(super) next_sample: Millis,
    /// The next whole hour.
    pub(super) next_hour: Millis,
    sample_times: Vec<Millis>,
    /// Backlog per queue at each sample point, sample by sample.
    samples: Vec<u32>,
    /// Backlog per queue at each whole hour, hour by hour.
    hourly_backlog: Vec<u32>,
    /// Per hour, per queue: synced, skipped.
    pub(super) hourly_done: Vec<u32>,
    /// Records in the retry queue at each sample point.
    retry_samples: Vec<u32>,
    /// Records in the timeout queue at each sample point.
    timeout_samples: Vec<u32>,
    /// Calls in the past 24 hours at each sample point.
    api_samples: Vec<u64>,
    /// The highest total backlog so far.
    pub(super) max_backlog: u64,
    /// When it was first reached.
    pub(super) max_backlog_at: Millis,
    /// Batches started.
    pub(super) batches: u64,
    /// Cycles started.
    pub(super) cycles: u64,
    /// Cycles that found nothing to do.
    pub(super) empty_looks: u64,
    /// The index of the next whole hour to observe (`next_hour / HOUR`): an entry that
    /// becomes pending now is first counted by that hour's reading.
    pub(super) next_hour_index: u32,
    /// Per (hour, object), row-major: the last instant a record of the object left the
    /// backlog (completed or failed) among those first counted by that hour's reading; 0
    /// while none has.
    pub(super) settled: Vec<Millis>,
    /// Objects, the row length of `settled`.
    objects: usize,
    /// Records first counted by the reading at 0 h (the backlog at the start) still pending;
    /// kept by a run until clear only ([`Sim::initial_left`]).
    pub(super) initial_pending: u64,
    /// Per hour bucket: failed attempts (transient, permanent), records released from the
    /// retry or timeout queue for another attempt, records that entered the timeout queue.
    pub(super) hourly_errors: Vec<[u32; 4]>,
    /// At each whole hour: the retry and timeout queues, and when the oldest record in each
    /// first became pending (its `created`), if the queue holds any.
    hourly_waiting: Vec<(u64, u64, [Option<i64>; 2])>,
    /// The run may use a second thread
    /// ([`Inputs::draw_ahead`](super::Inputs::draw_ahead)): for the latency summaries too.
    two_threads: bool,
}

impl Observer {
    /// Nothing observed yet, room for a run of `sc`.
    pub(super) fn new(sc: &Scenario, two_threads: bool) -> Self {
        let nq = QueueId::count(sc.objects.len());
        let samples = (sc.horizon / sc.sample_interval) as usize + 1;
        let hours = sc.horizon.div_ceil(HOUR) as usize;
        let objects = sc.objects.len();
        Observer {
            next_sample: 0,
            next_hour: 0,
            sample_times: Vec::with_capacity(samples),
            samples: Vec::with_capacity(samples * nq),
            hourly_backlog: Vec::with_capacity((hours + 1) * nq),
            hourly_done: vec![0; hours * nq * 2],
            retry_samples: Vec::with_capacity(samples),
            timeout_samples: Vec::with_capacity(samples),
            api_samples: Vec::with_capacity(samples),
            max_backlog: 0,
            max_backlog_at: 0,
            batches: 0,
            cycles: 0,
            empty_looks: 0,
            next_hour_index: 0,
            settled: vec![0; (sc.horizon / HOUR + 2) as usize * objects],
            objects,
            initial_pending: 0,
            hourly_errors: vec![[0; 4]; hours],
            hourly_waiting: Vec::with_capacity(hours + 1),
            two_threads,
        }
    }
}

impl Sim<'_> {
    /// Records the samples and hourly snapshots due at or before `t` (and at or before the
    /// end of the run), each reflecting every event strictly before its instant.
    pub(super) fn observe_until(&mut self, t: Millis) {
        while self.observer.next_sample <= t && self.observer.next_sample <= self.end {
            if self.audit {
                self.check_invariants();
            }
            self.observer.sample_times.push(self.observer.next_sample);
            let (mut retry, mut timeout) = (0, 0);
            for q in self.entries.queues.iter() {
                self.observer.samples.push(q.backlog() as u32);
                retry += q.retry;
                timeout += q.timeout;
            }
            self.observer.retry_samples.push(retry as u32);
            self.observer.timeout_samples.push(timeout as u32);
            self.observer
                .api_samples
                .push(self.budget.window.usage(self.observer.next_sample));
            self.observer.next_sample += self.sc.sample_interval;
        }
        while self.observer.next_hour <= t && self.observer.next_hour <= self.end {
            let (mut retry, mut timeout) = (0, 0);
            for q in self.entries.queues.iter() {
                self.observer.hourly_backlog.push(q.backlog() as u32);
                retry += q.retry;
                timeout += q.timeout;
            }
            let oldest = self.oldest_waiting(retry > 0, timeout > 0);
            self.observer.hourly_waiting.push((retry, timeout, oldest));
            self.observer.next_hour += HOUR;
            self.observer.next_hour_index += 1;
        }
    }

    /// A record of `object`, first counted by the reading at hour `since`, leaves the
    /// backlog now (its batch completed, whatever the outcome). One store in the batch's
    /// loop (a pass of its own after the loop measured slower); the records of the backlog
    /// at the start are counted off by a run until clear alone ([`Sim::initial_left`]).
    #[inline(always)]
    pub(super) fn settled(&mut self, since: u32, object: usize) {
        let o = &mut self.observer;
        o.settled[since as usize * o.objects + object] = self.now;
    }

    /// Whether a run until clear still waits for entries of the backlog at the start (first
    /// counted at 0 h): then a completed batch counts those it held ([`Sim::initial_left`]).
    #[inline(always)]
    pub(super) fn awaits_initial(&self) -> bool {
        self.until_clear && self.observer.initial_pending > 0
    }

    /// `left` entries of the backlog at the start left it in a completed batch: they no
    /// longer hold a run until clear back.
    pub(super) fn initial_left(&mut self, left: u64) {
        self.observer.initial_pending -= left;
    }

    /// Panics with the first broken invariant ([`Inputs::audit`](super::Inputs::audit)):
    /// conservation of records (docs/model.md, Conservation), queue counts that match the
    /// entries, and an index that points to every entry an edit could coalesce into, and to
    /// nothing else.
    fn check_invariants(&self) {
        let at = self.now;
        let mut states = vec![[0u64; 5]; self.entries.queues.len()];
        for (e, entry) in self.entries.slab.iter().enumerate() {
            let q = entry.queue();
            let slot = match entry.state() {
                EntryState::Free => continue,
                EntryState::Queued => 0,
                EntryState::Due => 1,
                EntryState::InFlight => 2,
                EntryState::Retry => 3,
                EntryState::Timeout => 4,
            };
            states[q.index()][slot] += 1;
            if entry.state() != EntryState::InFlight {
                assert_eq!(
                    self.entries.queues[q].pending.get(entry.record),
                    Some(e as u32),
                    "at {at} ms: record {} of queue {} has a {:?} entry the index does not point to",
                    entry.record,
                    q.index(),
                    entry.state()
                );
            }
        }
        let in_use: u64 = states.iter().flatten().sum();
        assert_eq!(
            in_use, self.entries.live as u64,
            "at {at} ms: {in_use} slots hold entries, but {} are counted in use",
            self.entries.live
        );
        for (q, queue) in self.entries.queues.iter().enumerate() {
            let c = &queue.counters;
            let [queued, due, in_flight, retry, timeout] = states[q];
            assert_eq!(
                (queue.queued, queue.due, queue.in_flight, queue.retry, queue.timeout),
                (queued, due, in_flight, retry, timeout),
                "at {at} ms: queue {q}'s counts (queued, due, in flight, retry, timeout) differ from its entries"
            );
            let indexed = queue.pending.count();
            assert_eq!(
                indexed,
                queued + due + retry + timeout,
                "at {at} ms: queue {q} indexes {indexed} records, but has that many entries an edit could coalesce into: {}",
                queued + due + retry + timeout
            );
            assert_eq!(
                c.edits + c.initial_entries,
                c.filtered + c.coalesced + c.entries_created,
                "at {at} ms: queue {q}: edits + initial != filtered + coalesced + created"
            );
            assert_eq!(
                c.entries_created,
                c.synced + c.skipped + queued + due + in_flight + retry + timeout + c.superseded,
                "at {at} ms: queue {q}: created != synced + skipped + pending + in flight + retry + timeout + superseded"
            );
        }
    }

    /// The run is over: its measurements as a [`RunResult`], its large buffers back to `ws`.
    /// The one place a [`RunResult`] is built.
    pub(super) fn finish(mut self, ws: &mut Workspace) -> RunResult {
        let nq = self.entries.queues.len();
        let mut pending_end = vec![PendingAtEnd::default(); nq];
        for (q, queue) in self.entries.queues.iter().enumerate() {
            pending_end[q].queued = queue.queued + queue.due;
            pending_end[q].in_flight = queue.in_flight;
            pending_end[q].retry = queue.retry;
            pending_end[q].timeout = queue.timeout;
        }
        // Per tracked event: entries still pending, and entries errored.
        let mut still = vec![0u64; self.tracking.events.len()];
        let mut errored = vec![0u64; self.tracking.events.len()];
        for entry in &self.entries.slab {
            let pending = match entry.state() {
                EntryState::Free => continue,
                EntryState::Queued | EntryState::Due | EntryState::InFlight => true,
                EntryState::Retry | EntryState::Timeout => false,
            };
            if pending {
                let p = &mut pending_end[entry.queue().index()];
                let age = (self.end as i64 - entry.created) as Millis;
                p.oldest_age = Some(p.oldest_age.map_or(age, |a: Millis| a.max(age)));
                // Still pending: the backlog it was read in has not cleared within the run.
                let objects = self.observer.objects;
                self.observer.settled[entry.since() as usize * objects + entry.queue().object()] =
                    Millis::MAX;
            }
            let mut m = entry.marks;
            while m != 0 {
                let k = m.trailing_zeros() as usize;
                if pending {
                    still[k] += 1;
                } else {
                    errored[k] += 1;
                }
                m &= m - 1;
            }
        }
        let mut events: Vec<EventOutcome> = Vec::with_capacity(self.tracking.events.len());
        for (k, t) in std::mem::take(&mut self.tracking.events)
            .into_iter()
            .enumerate()
        {
            let mut outcome = t.outcome;
            outcome.still_pending = still[k];
            outcome.errored = errored[k];
            events.push(outcome);
        }
        let horizon = self.end;
        let api = ApiSummary {
            calls: self.budget.window.total,
            peak_usage: self.budget.window.peak,
            paused: self.budget.paused(horizon),
            suppressed: self.retries.suppression.total(horizon),
        };
        let windows = WindowSummary {
            waited: self.budget.windows.waited(horizon),
            rejected: self.budget.windows.rejected(),
            peaks: self.budget.windows.peaks(),
        };
        let mut latency = Vec::with_capacity(nq);
        let objects = self.sc.objects.len();
        let mut latency_by_object = Vec::with_capacity(objects);
        let bounds = &self.sc.sla.latency_over;
        let mut latency_over = Vec::with_capacity(objects * bounds.len());
        let mut latency_split = Vec::with_capacity(objects);
        for ([to_marketing, to_crm, both], over, split) in latency_summaries(
            &self.entries.queues,
            objects,
            bounds,
            self.observer.two_threads,
        ) {
            latency.push(to_marketing);
            latency.push(to_crm);
            latency_by_object.push(both);
            latency_over.extend(over);
            latency_split.push(split);
        }
        let counters = self.entries.queues.iter().map(|q| q.counters).collect();
        self.entries.return_to(ws);
        // Only the hours the run reached: an "until clear" run may end before its cap.
        let hours = horizon.div_ceil(HOUR) as usize;
        let fetches = (horizon / HOUR) as usize + 1;
        let mut hourly_done = self.observer.hourly_done;
        hourly_done.truncate(hours * nq * 2);
        let mut hourly_errors = self.observer.hourly_errors;
        hourly_errors.truncate(hours);
        let mut settled = self.observer.settled;
        settled.truncate((fetches + 1) * objects);
        let age = |created: Option<i64>, at: Millis| created.map(|c| (at as i64 - c) as Millis);
        let hourly_waiting = self
            .observer
            .hourly_waiting
            .iter()
            .enumerate()
            .map(|(h, &(retry, timeout, [oldest_retry, oldest_timeout]))| {
                let at = h as Millis * HOUR;
                Waiting {
                    retry,
                    timeout,
                    oldest_retry: age(oldest_retry, at),
                    oldest_timeout: age(oldest_timeout, at),
                }
            })
            .collect();
        RunResult {
            seed: self.seed,
            horizon,
            sample_interval: self.sc.sample_interval,
            counters,
            sample_times: self.observer.sample_times,
            samples: self.observer.samples,
            hourly_backlog: self.observer.hourly_backlog,
            hourly_done,
            settled,
            hourly_errors,
            hourly_waiting,
            suppression_spells: self.retries.suppression.spells(horizon),
            latency_over,
            latency,
            latency_by_object,
            latency_split,
            pending_end,
            events,
            max_backlog: self.observer.max_backlog,
            max_backlog_at: self.observer.max_backlog_at,
            batches: self.observer.batches,
            cycles: self.observer.cycles,
            empty_looks: self.observer.empty_looks,
            retry_samples: self.observer.retry_samples,
            timeout_samples: self.observer.timeout_samples,
            api_samples: self.observer.api_samples,
            api,
            windows,
        }
    }
}
