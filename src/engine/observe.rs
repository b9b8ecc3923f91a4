//! What the run measures: the backlog sampled on the fixed grid and every whole hour, the
//! retry and timeout queues and the API usage beside it, completions per hour, counts of
//! batches and cycles, and the peak backlog; the audit's invariant check at every sample;
//! and [`Sim::finish`], which assembles the [`RunResult`] when the run ends.
//!
//! A sample at `t` reflects every event strictly before `t` (docs/model.md, Clock and event
//! order): the run loop observes before it handles the first event at or after a sample
//! point.

use super::entries::EntryState;
use super::latency::latency_summaries;
use super::{Sim, Workspace};
use crate::metrics::{ApiSummary, EventOutcome, PendingAtEnd, RunResult};
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
            two_threads,
        }
    }
}

impl Sim<'_> {
    /// Records the samples and hourly snapshots due at or before `t`, each reflecting every
    /// event strictly before its instant.
    pub(super) fn observe_until(&mut self, t: Millis) {
        while self.observer.next_sample <= t && self.observer.next_sample <= self.sc.horizon {
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
        while self.observer.next_hour <= t && self.observer.next_hour <= self.sc.horizon {
            for q in self.entries.queues.iter() {
                self.observer.hourly_backlog.push(q.backlog() as u32);
            }
            self.observer.next_hour += HOUR;
        }
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
                let age = (self.sc.horizon as i64 - entry.created) as Millis;
                p.oldest_age = Some(p.oldest_age.map_or(age, |a: Millis| a.max(age)));
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
        let horizon = self.sc.horizon;
        let api = ApiSummary {
            calls: self.budget.window.total,
            peak_usage: self.budget.window.peak,
            paused: self.budget.paused(horizon),
            suppressed: self.retries.suppression.total(horizon),
        };
        let mut latency = Vec::with_capacity(nq);
        let objects = self.sc.objects.len();
        let mut latency_by_object = Vec::with_capacity(objects);
        for [to_marketing, to_crm, both] in
            latency_summaries(&self.entries.queues, objects, self.observer.two_threads)
        {
            latency.push(to_marketing);
            latency.push(to_crm);
            latency_by_object.push(both);
        }
        let counters = self.entries.queues.iter().map(|q| q.counters).collect();
        self.entries.return_to(ws);
        RunResult {
            seed: self.seed,
            horizon: self.sc.horizon,
            sample_interval: self.sc.sample_interval,
            counters,
            sample_times: self.observer.sample_times,
            samples: self.observer.samples,
            hourly_backlog: self.observer.hourly_backlog,
            hourly_done: self.observer.hourly_done,
            latency,
            latency_by_object,
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
        }
    }
}
