//! The sync at work: cycles, workers (MBQ lanes) and batches (docs/model.md, Draining).
//!
//! A cycle wakes every idle worker; a worker that finds eligible work takes a batch (due
//! retries first, in a batch of their own, else what the policy picks), pays its calls and
//! runs until the batch's cost at the current throughput has passed; at its end the batch's
//! entries complete (or fail) and the worker looks again at once. When no worker finds work
//! the cycle ends and the next look is one cycle wait later.
//!
//! Taking entries: under the `fifo` policy without gates every queue shares one FIFO and a
//! batch is its front ([`Sim::take_in_order`]); otherwise the policy chooses objects and a
//! k-way merge of their queues by order key takes the oldest ([`Sim::take_oldest`]).

use super::api::CallKind;
use super::entries::{Entry, EntryState, Queue, Queues};
use super::events::Settled;
use super::fifo::Fifo;
use super::pending::prefetch;
use super::policy::DrainState;
use super::sizing::Sizing;
use super::{Happening, Sim};
use crate::scenario::{QueueId, Scenario};
use crate::units::{Millis, HOUR};

/// How far behind the front of a FIFO a batch prefetches the entry of an item, and the
/// pending index cell of its record ([`take_live`]).
const PREFETCH_FAR: usize = 16;
const PREFETCH_NEAR: usize = 8;

/// Micro cost units of one update.
const UPDATE_COST_MICRO: u64 = 1_000_000;

/// The sync: whether and how fast it runs, its workers and cycles, and its drain policy.
pub(crate) struct SyncState {
    /// Not disabled by an outage.
    enabled: bool,
    /// Throughput per worker, in millionths of a cost unit per hour; 0 stalls the sync.
    throughput_micro: u64,
    /// Cost of a skip, in millionths of an update's.
    skip_cost_micro: u64,
    /// Every lane ever added; the first `active_workers` take batches.
    workers: Vec<Worker>,
    /// Workers in use (`set_workers` may lower it while a removed lane finishes its batch).
    active_workers: usize,
    /// Workers running a batch.
    busy_workers: usize,
    /// Counts cycle waits, so that a wake scheduled before a cancel is ignored.
    wake_generation: u64,
    /// A look is scheduled (the sync waits for its next cycle).
    wake_pending: bool,
    /// The policy's state from one batch to the next.
    drain: DrainState,
    /// Scratch: the heads of the queues a batch is taken from, as (order, queue).
    heads: Vec<(u64, QueueId)>,
    /// Updates (not skips) among the entries taken into the batch being filled.
    batch_updates: u64,
    /// Scratch: which objects a batch may take from.
    eligible: Vec<bool>,
    /// Records per batch and per call, when every object shares them.
    batch_size: u64,
    /// Records per call, when every object shares them.
    per_call: u64,
    /// Per-object batch sizes and calls, when objects differ.
    sizing: Option<Sizing>,
}

impl SyncState {
    /// The sync of `sc` before its first look.
    pub(super) fn new(sc: &Scenario) -> Self {
        SyncState {
            enabled: true,
            throughput_micro: to_micro(sc.sync.throughput),
            skip_cost_micro: to_micro(sc.sync.skip_cost),
            workers: (0..sc.sync.workers).map(|_| Worker::default()).collect(),
            active_workers: sc.sync.workers as usize,
            busy_workers: 0,
            wake_generation: 0,
            wake_pending: false,
            drain: DrainState::new(&sc.sync.policy, sc.objects.len()),
            heads: Vec::new(),
            batch_updates: 0,
            eligible: Vec::new(),
            batch_size: sc.uniform_batches().map_or(0, |(size, _)| size as u64),
            per_call: sc
                .uniform_batches()
                .map_or(1, |(_, per_call)| per_call as u64),
            sizing: Sizing::new(sc),
        }
    }
}

/// A worker (one MBQ lane).
#[derive(Debug, Default)]
struct Worker {
    /// Running a batch.
    busy: bool,
    /// The entries of its batch (kept when idle, to reuse the memory).
    batch: Vec<u32>,
}

impl Sim<'_> {
    /// The sync looks for work at t = 0, before anything else at that instant.
    pub(super) fn first_look(&mut self) {
        self.sync.wake_pending = true;
        self.schedule(0, Happening::Wake(0));
    }

    /// The cycle wait is over: the sync looks, unless the wake was cancelled since.
    pub(super) fn wake(&mut self, generation: u64) {
        if generation == self.sync.wake_generation && self.sync.wake_pending {
            self.sync.wake_pending = false;
            self.start_cycle();
        }
    }

    /// `set_throughput`: batches started from now on run at `throughput` units per hour; 0
    /// stalls the sync like an outage.
    pub(super) fn set_throughput(&mut self, throughput: f64) {
        let was_stalled = self.sync.throughput_micro == 0;
        self.sync.throughput_micro = to_micro(throughput);
        if self.sync.throughput_micro == 0 {
            // Stalled like a disabled sync: no look until throughput comes back.
            self.sync.wake_generation += 1;
            self.sync.wake_pending = false;
        } else if was_stalled {
            self.resume();
        }
    }

    /// `set_workers`: added lanes join a running cycle at once; removed ones finish their
    /// batch and stop.
    pub(super) fn set_workers(&mut self, workers: usize) {
        while self.sync.workers.len() < workers {
            self.sync.workers.push(Worker::default());
        }
        let added = workers > self.sync.active_workers;
        let old = self.sync.active_workers;
        self.sync.active_workers = workers;
        if added && self.sync.busy_workers > 0 {
            // A cycle is running: the new lanes join it at once. A lane removed
            // earlier may still be finishing its batch; it carries on when done.
            for w in old..workers {
                if !self.sync.workers[w].busy {
                    self.look(w);
                }
            }
        }
    }

    /// The sync is disabled (an outage) or enabled again.
    pub(super) fn set_enabled(&mut self, enabled: bool) {
        self.sync.enabled = enabled;
        if !enabled {
            // Cancel a pending look; running batches finish, then workers stay idle.
            self.sync.wake_generation += 1;
            self.sync.wake_pending = false;
        } else {
            self.resume();
        }
    }

    /// The sync comes back (enabled again, or throughput above zero again) and looks at once:
    /// every idle worker tries to start a batch, even while others still finish theirs.
    pub(super) fn resume(&mut self) {
        if self.can_work() && !self.sync.wake_pending {
            self.start_cycle();
        }
    }

    /// Whether the sync may start batches now: enabled, with throughput, not paused by the
    /// API budget.
    fn can_work(&self) -> bool {
        self.sync.enabled && self.sync.throughput_micro > 0 && self.budget.paused_since.is_none()
    }

    /// The sync looks for work: every idle worker tries to start a batch.
    fn start_cycle(&mut self) {
        let checks = self.sc.api.calls_per_cycle as u64;
        if checks > 0 {
            if self.api_room() < checks + 1 {
                // Not even the check for changes and one call fit: wait for the window.
                self.api_pause(checks + 1, false);
                return;
            }
            if self.budget.windows.rejects() && self.checks_rejected(checks) {
                return;
            }
            self.sync_calls(checks, CallKind::Check);
        }
        self.observer.cycles += 1;
        for w in 0..self.sync.active_workers {
            if !self.sync.workers[w].busy {
                self.look(w);
            }
        }
        if self.sync.busy_workers == 0 {
            self.observer.empty_looks += 1;
            self.wait_for_next_cycle();
        }
    }

    /// The cycle ended with nothing to do: the sync looks again one cycle wait from now
    /// (unless it cannot work, or a look is already due).
    fn wait_for_next_cycle(&mut self) {
        if self.can_work() && !self.sync.wake_pending {
            self.sync.wake_pending = true;
            self.sync.wake_generation += 1;
            let generation = self.sync.wake_generation;
            self.schedule(
                self.now + self.sc.sync.cycle_wait,
                Happening::Wake(generation),
            );
        }
    }

    /// Worker `w` tries to start a batch; returns whether it did.
    fn look(&mut self, w: usize) -> bool {
        debug_assert!(
            !self.sync.workers[w].busy,
            "a busy worker never looks for work"
        );
        if !self.can_work()
            || w >= self.sync.active_workers
            || self.sync.busy_workers >= self.budget.windows.max_concurrent
        {
            return false;
        }
        let per_call = self.sync.per_call;
        let room = self.api_room();
        if room == 0 {
            self.api_pause(1, true);
            return false;
        }
        let limit = match &mut self.sync.sizing {
            None => self.sync.batch_size.min(room.saturating_mul(per_call)) as usize,
            Some(sizing) => sizing.begin(room),
        };
        let mut batch = std::mem::take(&mut self.sync.workers[w].batch);
        batch.clear();
        self.sync.batch_updates = 0;
        if !self.retries.due.is_empty() {
            self.take_due(limit, &mut batch);
        }
        if batch.is_empty() {
            self.pick_batch(limit, &mut batch);
        }
        if batch.is_empty() {
            self.sync.workers[w].batch = batch;
            return false;
        }
        let calls = match &self.sync.sizing {
            None => (batch.len() as u64).div_ceil(per_call),
            Some(sizing) => sizing.calls(),
        };
        let updates = self.sync.batch_updates;
        self.sync.workers[w].batch = batch;
        self.sync.workers[w].busy = true;
        self.sync.busy_workers += 1;
        if self.budget.windows.rejects() && self.batch_rejected(w, calls, updates) {
            // A 429: the batch keeps its records and tries again after a back-off.
            return true;
        }
        self.run_batch(w, calls, updates);
        true
    }

    /// Worker `w`'s batch, taken, makes its `calls` and runs until its cost (`updates` of its
    /// records updates, the rest skips) at the current throughput has passed.
    pub(super) fn run_batch(&mut self, w: usize, calls: u64, updates: u64) {
        self.sync_calls(calls, CallKind::Batch);
        let len = self.sync.workers[w].batch.len() as u64;
        let cost = updates * UPDATE_COST_MICRO + (len - updates) * self.sync.skip_cost_micro;
        let work = (cost as u128 * HOUR as u128).div_ceil(self.sync.throughput_micro as u128);
        let duration =
            (work.min(u64::MAX as u128 / 2) as Millis + self.sc.sync.batch_overhead).max(1);
        self.observer.batches += 1;
        self.schedule(
            self.now.saturating_add(duration),
            Happening::BatchDone(w as u32),
        );
    }

    /// Worker `w`'s batch ends: each entry is synced, skipped or fails (docs/model.md,
    /// Which attempts fail), and the worker looks again at once.
    pub(super) fn complete_batch(&mut self, w: usize) {
        // A constant for the loop over the batch, so that a run without cascades or echoes
        // on synced updates runs the loop it always ran.
        if self.caused.fires_on_synced {
            self.complete_batch_of::<true>(w);
        } else {
            self.complete_batch_of::<false>(w);
        }
    }

    /// [`Sim::complete_batch`]; with `CAUSES`, each synced update sets off the rules
    /// watching its queue's synced updates.
    fn complete_batch_of<const CAUSES: bool>(&mut self, w: usize) {
        let batch = std::mem::take(&mut self.sync.workers[w].batch);
        let now = self.now;
        let hour = (now / HOUR) as usize;
        let hourly = hour * self.entries.queues.len() * 2;
        // No entry of the batch is pending any more, whatever its outcome.
        self.entries.total_backlog -= batch.len() as u64;
        // Entries of the backlog at the start among them, counted only while a run until
        // clear waits for them: from the entry as taken (a released slot's memory is the
        // free stack's), or as it is now if it errored and is still held.
        let count_initial = self.awaits_initial();
        let mut initial = 0;
        for &e in &batch {
            let entry = self.entries.slab[e as usize];
            let q = entry.queue();
            self.entries.object_backlog[q.object()] -= 1;
            self.entries.queues[q].in_flight -= 1;
            self.settled(entry.since(), q.object());
            if entry.update() && self.retries.errors_possible {
                if let Some(permanent) = self.attempt_fails(q, entry.record) {
                    let counters = &mut self.entries.queues[q].counters;
                    if permanent {
                        counters.errors_permanent += 1;
                    } else {
                        counters.errors_transient += 1;
                    }
                    if let Some(h) = self.observer.hourly_errors.get_mut(hour) {
                        h[permanent as usize] += 1;
                    }
                    self.errored(e);
                    if count_initial {
                        let now_entry = &self.entries.slab[e as usize];
                        let held = now_entry.state() != EntryState::Free;
                        let since = if held {
                            now_entry.since()
                        } else {
                            entry.since()
                        };
                        initial += (since == 0) as u64;
                    }
                    continue;
                }
            }
            let queue = &mut self.entries.queues[q];
            let outcome = if entry.update() {
                queue.counters.synced += 1;
                // A creation's latency is kept apart (docs/model.md, Creations).
                let latency = (now as i64 - entry.created) as Millis;
                if entry.creation() {
                    queue.creation_latencies.push(latency);
                } else {
                    queue.latencies.push(latency);
                }
                self.observer.hourly_done[hourly + q.index() * 2] += 1;
                Settled::Synced
            } else {
                queue.counters.skipped += 1;
                self.observer.hourly_done[hourly + q.index() * 2 + 1] += 1;
                Settled::Skipped
            };
            if CAUSES && outcome == Settled::Synced {
                // Before its events settle, which then wait for what it causes.
                self.synced_sets_off(q, entry.record, entry.generation(), entry.marks);
            }
            if entry.marks != 0 {
                self.settle_marks(e, outcome);
            }
            initial += (count_initial && entry.since() == 0) as u64;
            self.release(e);
        }
        self.check_recovery();
        if count_initial {
            self.initial_left(initial);
        }
        self.check_all_clear();
        self.sync.workers[w].batch = batch;
        self.sync.workers[w].busy = false;
        self.sync.busy_workers -= 1;
        if self.look(w) {
            // Work is still eligible: lanes that found none earlier in this cycle join in.
            for other in 0..self.sync.active_workers {
                if !self.sync.workers[other].busy && !self.look(other) {
                    break;
                }
            }
        } else if self.sync.busy_workers == 0 {
            self.wait_for_next_cycle();
        }
    }

    /// New work is due (released retries): the sync looks at once rather than at its next
    /// cycle, unless it is disabled, stalled or paused by the API budget.
    pub(super) fn look_now(&mut self) {
        if !self.can_work() {
            return;
        }
        if self.sync.busy_workers > 0 {
            for w in 0..self.sync.active_workers {
                if !self.sync.workers[w].busy && !self.look(w) {
                    break;
                }
            }
        } else {
            self.sync.wake_generation += 1;
            self.sync.wake_pending = false;
            self.start_cycle();
        }
    }

    /// A wait for a short window ended in the middle of a cycle, its checks made: every idle
    /// worker looks again, and if none is at work the cycle ends.
    #[cold]
    #[inline(never)]
    pub(super) fn continue_cycle(&mut self) {
        if !self.can_work() {
            return;
        }
        for w in 0..self.sync.active_workers {
            if !self.sync.workers[w].busy && !self.look(w) {
                break;
            }
        }
        if self.sync.busy_workers == 0 {
            self.wait_for_next_cycle();
        }
    }

    /// Fills `batch` with up to a batch of eligible queued entries, per the policy.
    fn pick_batch(&mut self, limit: usize, batch: &mut Vec<u32>) {
        if self.entries.shared_fifo.is_some() {
            self.take_in_order(limit, batch);
            return;
        }
        let mut eligible = std::mem::take(&mut self.sync.eligible);
        eligible.clear();
        eligible.extend((0..self.sc.objects.len()).map(|o| self.is_eligible(o)));
        let mut drain = std::mem::take(&mut self.sync.drain);
        drain.pick(
            &self.sc.sync.policy,
            &eligible,
            limit,
            &mut |objects: &[usize], n: usize, out: &mut Vec<u32>| {
                self.take_oldest(objects, n, out)
            },
            batch,
        );
        self.sync.drain = drain;
        self.sync.eligible = eligible;
    }

    /// Moves up to `limit` due retries, oldest first, into `batch` (any objects: retries go
    /// ahead of new work whatever the policy and gates).
    fn take_due(&mut self, limit: usize, batch: &mut Vec<u32>) {
        if let Some(sizing) = &mut self.sync.sizing {
            self.sync.batch_updates += take_live_sized(
                &mut self.retries.due,
                &mut self.entries.slab,
                &mut self.entries.queues,
                sizing,
                batch,
            );
            return;
        }
        self.sync.batch_updates += take_live(
            &mut self.retries.due,
            EntryState::Due,
            &mut self.entries.slab,
            &mut self.entries.queues,
            limit,
            batch,
        );
    }

    /// Moves up to `limit` of the oldest queued entries of every object from the shared FIFO
    /// into `batch`: the `fifo` policy without gates, where every object with queued
    /// entries is eligible and the batch is simply the front of the line.
    fn take_in_order(&mut self, limit: usize, batch: &mut Vec<u32>) {
        let fifo = self
            .entries
            .shared_fifo
            .as_mut()
            .expect("the shared FIFO is in use");
        batch.reserve(limit);
        self.sync.batch_updates += take_live(
            fifo,
            EntryState::Queued,
            &mut self.entries.slab,
            &mut self.entries.queues,
            limit,
            batch,
        );
    }

    /// Whether object `o` has queued entries and is not held back by its gate.
    fn is_eligible(&self, o: usize) -> bool {
        let [to_marketing, to_crm] = QueueId::of_object(o);
        let queued = self.entries.queues[to_marketing].queued + self.entries.queues[to_crm].queued;
        queued > 0 && self.sc.sync.gates[o].is_none_or(|g| self.entries.object_backlog[g] == 0)
    }

    /// Moves up to `n` of the oldest queued entries of `objects` (both directions) into `out`;
    /// returns how many.
    ///
    /// A k-way merge of the candidate queues by order key. Orders are unique, so the oldest
    /// head is unique too, and its queue can give entries in one run until its head is no
    /// longer older than every other queue's (`bound`): during a bulk drain that is most of
    /// a batch, taken without looking at the other queues again.
    fn take_oldest(&mut self, objects: &[usize], n: usize, out: &mut Vec<u32>) -> usize {
        let mut heads = std::mem::take(&mut self.sync.heads);
        heads.clear();
        for &o in objects {
            for q in QueueId::of_object(o) {
                if let Some(order) = self.head(q) {
                    heads.push((order, q));
                }
            }
        }
        out.reserve(n);
        let mut taken = 0;
        while taken < n && !heads.is_empty() {
            let mut oldest = 0;
            let mut bound = u64::MAX;
            for (i, &(order, _)) in heads.iter().enumerate().skip(1) {
                if order < heads[oldest].0 {
                    bound = heads[oldest].0;
                    oldest = i;
                } else if order < bound {
                    bound = order;
                }
            }
            let q = heads[oldest].1;
            let max = match &self.sync.sizing {
                None => n - taken,
                Some(sizing) => sizing.room_for(q.object(), out.len()).min(n - taken),
            };
            if max == 0 {
                // The oldest entry does not fit: the batch is full.
                break;
            }
            let (count, next) = self.take_run(q, bound, max, out);
            if let Some(sizing) = &mut self.sync.sizing {
                sizing.took(q.object(), count);
            }
            taken += count;
            match next {
                Some(order) => heads[oldest].0 = order,
                None => {
                    heads.swap_remove(oldest);
                }
            }
        }
        self.sync.heads = heads;
        taken
    }

    /// Takes queue `q`'s head, which [`Sim::head`] found live, and the live entries after it
    /// while they are older than `bound`, at most `max` in all, into `out`. Returns how many
    /// and the order of the queue's new head, if it has one.
    fn take_run(
        &mut self,
        q: QueueId,
        bound: u64,
        max: usize,
        out: &mut Vec<u32>,
    ) -> (usize, Option<u64>) {
        let queue = &mut self.entries.queues[q];
        let entries = &mut self.entries.slab;
        let queued = queue.queued as usize;
        let mut taken = 0;
        let next = loop {
            let (_, e) = queue.items.pop_front().expect("the head is live");
            // Taken now, so no later head check in this batch can see it.
            self.sync.batch_updates += take_into(e, &mut entries[e as usize], queue, out) as u64;
            taken += 1;
            if taken == queued {
                // Whatever items are left are stale.
                queue.items.clear();
                break None;
            }
            let head = live_head(&mut queue.items, entries);
            if taken == max || head > bound {
                break Some(head);
            }
        };
        queue.queued -= taken as u64;
        (taken, next)
    }

    /// The order of the first live item of queue `q`, dropping stale items before it.
    #[inline]
    fn head(&mut self, q: QueueId) -> Option<u64> {
        let queue = &mut self.entries.queues[q];
        if queue.queued == 0 {
            queue.items.clear();
            return None;
        }
        Some(live_head(&mut queue.items, &self.entries.slab))
    }
}

/// Moves the live items at the front of `fifo`, entries in `state` (queued or due), into
/// `batch` until it holds `limit` or the FIFO is empty, dropping stale items on the way.
/// Returns how many of them are updates.
#[inline(always)]
fn take_live(
    fifo: &mut Fifo<(u64, u32)>,
    state: EntryState,
    entries: &mut [Entry],
    queues: &mut Queues,
    limit: usize,
    batch: &mut Vec<u32>,
) -> u64 {
    let mut updates = 0;
    while batch.len() < limit {
        // Two stages ahead of the front: the entry of an item far ahead is fetched from
        // memory, and the index cell of a nearer one's record (its entry fetched by now),
        // so that taking an entry rarely waits for either. Stale items are fetched too:
        // harmless.
        if let Some(&(_, far)) = fifo.get(PREFETCH_FAR) {
            prefetch(entries, far as usize);
        }
        if let Some(&(_, near)) = fifo.get(PREFETCH_NEAR) {
            let entry = &entries[near as usize];
            queues[entry.queue()].pending.prefetch(entry.record);
        }
        let Some((order, e)) = fifo.pop_front() else {
            break;
        };
        let entry = &mut entries[e as usize];
        if entry.state() != state || entry.order() != order {
            continue;
        }
        let queue = &mut queues[entry.queue()];
        match state {
            EntryState::Due => queue.due -= 1,
            _ => queue.queued -= 1,
        }
        updates += take_into(e, entry, queue, batch) as u64;
    }
    updates
}

/// Moves the live due retries at the front of `due` into `batch`, oldest first, until the
/// next one does not fit the per-object `sizing` or none is left; stale items are dropped on
/// the way. Returns how many of them are updates.
fn take_live_sized(
    due: &mut Fifo<(u64, u32)>,
    entries: &mut [Entry],
    queues: &mut Queues,
    sizing: &mut Sizing,
    batch: &mut Vec<u32>,
) -> u64 {
    let mut updates = 0;
    while let Some(&(order, e)) = due.front() {
        let entry = &mut entries[e as usize];
        if entry.state() == EntryState::Due && entry.order() == order {
            let o = entry.queue().object();
            if sizing.room_for(o, batch.len()) == 0 {
                break;
            }
            sizing.took(o, 1);
            let queue = &mut queues[entry.queue()];
            queue.due -= 1;
            updates += take_into(e, entry, queue, batch) as u64;
        }
        due.pop_front();
    }
    updates
}

/// Moves entry `e` of `queue` into `batch`: in flight, no longer one an edit could coalesce
/// into. The caller takes it off the queued or due count. Returns whether it is an update.
#[inline(always)]
fn take_into(e: u32, entry: &mut Entry, queue: &mut Queue, batch: &mut Vec<u32>) -> bool {
    entry.set_state(EntryState::InFlight);
    queue.in_flight += 1;
    queue.pending.remove(entry.record);
    batch.push(e);
    entry.update()
}

/// The order of the first live item of a queue that has a queued entry, dropping the stale
/// items (requeued or taken entries) before it.
#[inline]
fn live_head(items: &mut Fifo<(u64, u32)>, entries: &[Entry]) -> u64 {
    loop {
        let &(order, e) = items
            .front()
            .expect("a queue with a queued entry has a live item");
        let entry = &entries[e as usize];
        if entry.state() == EntryState::Queued && entry.order() == order {
            return order;
        }
        items.pop_front();
    }
}

/// Cost units as integer millionths, so batch durations are exact integer arithmetic.
fn to_micro(units: f64) -> u64 {
    (units * 1e6).round() as u64
}
