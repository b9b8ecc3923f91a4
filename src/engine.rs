//! The deterministic core: a discrete-event simulation of one sync over the scenario's horizon.
//!
//! [`simulate`] is a pure function of (validated scenario, seed): it reads no file, clock or
//! environment. Time is integer milliseconds; events run in (time, sequence) order, the
//! sequence being assigned when an event is scheduled (MODEL.md section 3).
//!
//! Data layout, chosen for millions of records and edits (measurements in
//! `docs/performance.md`):
//! - each (object, direction) is one `Queue`: its FIFO, its counts, its counters, the
//!   latencies of its synced updates, and its pending index: a bitmap of which records have
//!   an entry an edit would coalesce into (small enough to stay in cache) and a dense array
//!   of those entries' slab indices, read only when the bit is set;
//! - entries live in a slab with a free list, so the steady state allocates nothing;
//! - FIFOs hold `(order, entry)` items (`engine/fifo.rs`); a requeue pushes a new item and
//!   leaves the old one stale (lazy deletion: an item is live while its order equals the
//!   entry's), and stale items are dropped when they outnumber live ones. Under the `fifo`
//!   policy without gates every queue shares one FIFO, so a batch is its front; otherwise a
//!   batch merges the eligible queues' FIFOs by order;
//! - background edits (most events) stay out of the event heap: each stream's next edit sits
//!   in a small heap of its own (`engine/next_edits.rs`), or, when a run may use a second
//!   thread, a helper draws and merges every stream's edits ahead of the engine
//!   (`engine/draw_ahead.rs`). The event heap holds the rest (batches, looks, bulk updates,
//!   scenario events), so it stays small however many edits a run has.

pub mod api;
pub mod arrivals;
mod batch;
mod draw_ahead;
mod edits;
mod events;
mod fifo;
mod latency;
mod memory;
mod next_edits;
mod observe;
pub mod policy;
mod retry;
pub mod seeds;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::{Index, IndexMut};

use crate::metrics::{LatencySamples, QueueCounters, RunResult};
use crate::scenario::{Direction, ObjectSpec, Policy, QueueId, Scenario};
use crate::units::{Millis, MINUTE};
use api::ApiBudget;
use batch::SyncState;
use edits::{edit_streams, Drawn, Edits};
use events::{Settled, Tracking};
use fifo::Fifo;
use next_edits::NEVER;
use observe::Observer;
use retry::Retries;

pub use edits::{edit_offset, last_offset, EditEvent, EditSource, RecordedEdit, ReplaySources};

pub use memory::{memory_estimate, MemoryEstimate};

/// Which records of one (object, direction) have an entry an edit would coalesce into or
/// revive (queued, due, or waiting in the retry or timeout queue; never one in flight), and
/// which entry.
///
/// A dense bitmap answers "does this record have such an entry?" for every edit and stays in
/// cache (1M records take 128 KiB); the dense slot array is read only when the answer is yes,
/// which is rare, so the common edit costs no cache miss on the slot array.
#[derive(Debug, Default)]
struct PendingIndex {
    bits: Vec<u64>,
    slots: Vec<u32>,
}

impl PendingIndex {
    /// Makes this an empty index of `records` records, reusing its memory. Only the bitmap
    /// is cleared: a slot is read only when its bit is set, after it was written. New slots
    /// come zeroed from the allocator, untouched, so their pages are not faulted in until an
    /// edit writes one.
    fn reset(&mut self, records: u32) {
        self.bits.clear();
        self.bits.resize((records as usize).div_ceil(64), 0);
        if self.slots.len() < records as usize {
            self.slots = vec![0; records as usize];
        }
    }

    /// The queued entry of `record`, if any.
    #[inline]
    fn get(&self, record: u32) -> Option<u32> {
        let r = record as usize;
        (self.bits[r / 64] & (1 << (r % 64)) != 0).then(|| self.slots[r])
    }

    #[inline]
    fn insert(&mut self, record: u32, entry: u32) {
        let r = record as usize;
        self.bits[r / 64] |= 1 << (r % 64);
        self.slots[r] = entry;
    }

    #[inline]
    fn remove(&mut self, record: u32) {
        let r = record as usize;
        self.bits[r / 64] &= !(1 << (r % 64));
    }
}

/// Where an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryState {
    Free,
    /// In its object's FIFO.
    Queued,
    /// An errored entry whose retry is due: pending, ahead of new work.
    Due,
    InFlight,
    /// Errored, waiting for its retry time (not backlog).
    Retry,
    /// Errored `max_attempts` times, waiting for the nightly retry (not backlog).
    Timeout,
}

/// One backlog entry: a pending record in one direction (MODEL.md section 5, item 3).
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Position key in its queue: unique and increasing in (stamp, sequence) order.
    order: u64,
    /// When the entry was created, in ms after the start (negative for an initial backlog
    /// stamped before it); latency counts from here and coalescing does not reset it.
    created: i64,
    /// Bit `k` set: tracked event `k` created or coalesced into this entry.
    marks: u64,
    record: u32,
    queue: QueueId,
    /// An update if any coalesced edit touched synced fields, else a skip.
    update: bool,
    state: EntryState,
    /// Failed attempts so far.
    attempts: u16,
}

/// One (object, direction): its FIFO and where its entries are, which of its records are
/// pending, its counters and the latencies of its synced updates. Kept together because an
/// edit, a batch and a completion each touch most of it.
#[derive(Debug, Default)]
struct Queue {
    items: Fifo<(u64, u32)>,
    /// Entries queued (not in flight).
    queued: u64,
    /// Due retries of this queue (in the shared due FIFO).
    due: u64,
    /// Entries taken by running batches.
    in_flight: u64,
    /// Entries in the retry queue.
    retry: u64,
    /// Entries in the timeout queue.
    timeout: u64,
    /// Which records have an entry an edit would coalesce into, and which entry.
    pending: PendingIndex,
    counters: QueueCounters,
    /// Latency of every synced update.
    latencies: LatencySamples,
    /// The object is in the sync: its edits are not filtered out for that.
    enabled: bool,
    /// The share of its records the sync filter lets through (1 when there is no filter).
    filter_pass: f64,
}

impl Queue {
    /// Makes this the empty queue of `object`, reusing its memory.
    fn reset(&mut self, object: &ObjectSpec, direction: Direction) {
        let records = if object.syncs[direction as usize] {
            object.records
        } else {
            0
        };
        self.enabled = object.enabled;
        self.filter_pass = object.filter_pass;
        self.items.clear();
        (
            self.queued,
            self.due,
            self.in_flight,
            self.retry,
            self.timeout,
        ) = (0, 0, 0, 0, 0);
        self.pending.reset(records);
        self.counters = QueueCounters::default();
        self.latencies.clear();
    }

    /// Whether an edit of `record` (of object `object`) reaches the sync: the object is in
    /// it and the record passes its filter.
    #[inline(always)]
    fn admits(&self, seed: u64, object: usize, record: u32) -> bool {
        self.enabled
            && (self.filter_pass >= 1.0
                || seeds::passes_filter(seed, object, record, self.filter_pass))
    }

    /// Pending records: queued, due or in flight.
    fn backlog(&self) -> u64 {
        self.queued + self.due + self.in_flight
    }
}

/// Every (object, direction) queue of a run, indexed by [`QueueId`] (two per object, synced
/// or not, in the order of [`QueueId::index`]).
#[derive(Debug, Default)]
struct Queues(Vec<Queue>);

impl Queues {
    /// Makes these the empty queues of `sc`'s objects, reusing their memory.
    fn reset(&mut self, sc: &Scenario) {
        let n = QueueId::count(sc.objects.len());
        self.0.truncate(n);
        self.0.resize_with(n, Queue::default);
        for (i, queue) in self.0.iter_mut().enumerate() {
            let q = QueueId::from_index(i);
            queue.reset(&sc.objects[q.object()], q.direction());
        }
    }

    /// The queues in [`QueueId::index`] order.
    fn iter(&self) -> std::slice::Iter<'_, Queue> {
        self.0.iter()
    }

    /// How many queues there are.
    fn len(&self) -> usize {
        self.0.len()
    }
}

impl Index<QueueId> for Queues {
    type Output = Queue;

    #[inline(always)]
    fn index(&self, q: QueueId) -> &Queue {
        &self.0[q.index()]
    }
}

impl IndexMut<QueueId> for Queues {
    #[inline(always)]
    fn index_mut(&mut self, q: QueueId) -> &mut Queue {
        &mut self.0[q.index()]
    }
}

/// What happens at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Happening {
    /// The next edits of bulk event `i` (all those due at this instant).
    Bulk(u32),
    /// Worker `i`'s batch completes.
    BatchDone(u32),
    /// The sync looks for work again after a cycle wait (valid while the generation matches).
    Wake(u64),
    /// Scenario event `i`.
    Scenario(u32),
    /// The automatic end of the outage started by scenario event `i`.
    Reenable(u32),
    /// The first entry of the retry queue is due.
    RetryDue,
    /// The nightly retry of the timeout queue.
    Nightly,
    /// Usage may have fallen below the suppression threshold.
    SuppressionCheck,
    /// Calls have aged out of the window: the paused sync may continue.
    ApiResume,
    /// Other integrations' calls for the past minute.
    BackgroundCalls,
}

/// An entry of the event heap, ordered by (time, sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Scheduled {
    time: Millis,
    seq: u64,
    what: Happening,
}

/// Runs one replication of `scenario` with `seed` and returns everything measured.
pub fn simulate(scenario: &Scenario, seed: u64) -> RunResult {
    simulate_with(scenario, seed, Inputs::default())
}

/// What a run takes besides the scenario and seed. The engine reads nothing itself: recorded
/// edits come in through [`EditSource`]s and exported edits go out through a callback.
#[derive(Default)]
pub struct Inputs<'a> {
    /// Replay: recorded edits per (object, direction) replace every generated background
    /// edit. Sources are used in (object, direction) order, each like a generated stream, so
    /// replaying a run's exported edits reproduces it exactly.
    pub replay: Option<ReplaySources<'a>>,
    /// Called with every background edit, in the order they happen.
    pub on_edit: Option<&'a mut dyn FnMut(&EditEvent)>,
    /// Check the engine's invariants as it runs and panic with the first broken one: events
    /// are handled in strictly increasing (time, sequence) order, and at every sample point
    /// every record is conserved (MODEL.md section 5), the queue counts match the entries,
    /// and a record has at most one entry an edit could coalesce into (so never one both
    /// pending and waiting for a retry). A full scan of the entries per sample: for tests.
    pub audit: bool,
    /// Keep every queue's entries in a FIFO of its own and merge them for each batch, even
    /// under the `fifo` policy without gates, where one FIFO shared by all queues gives the
    /// same batches with less work: for tests that show the two agree.
    pub separate_fifos: bool,
    /// Draw the generated background edits on a second thread, a few thousand ahead of the
    /// simulation, and compute half the latency summaries there, so that one run uses two
    /// cores. The run is the same either way (tested); worth it for a single run on an
    /// otherwise idle machine, not for replications that already keep every core busy.
    /// Recorded edits (`replay`) are read, not drawn, so only the summaries use it then.
    pub draw_ahead: bool,
}

/// Runs one replication with replayed edits and/or an edit observer (see [`Inputs`]).
pub fn simulate_with<'a>(scenario: &'a Scenario, seed: u64, inputs: Inputs<'a>) -> RunResult {
    simulate_in(&mut Workspace::default(), scenario, seed, inputs)
}

/// Runs one replication in `workspace`'s buffers (see [`Workspace`]). The result is the same
/// as [`simulate_with`]'s whatever runs the workspace served before.
pub fn simulate_in<'a>(
    workspace: &mut Workspace,
    scenario: &'a Scenario,
    seed: u64,
    inputs: Inputs<'a>,
) -> RunResult {
    if inputs.draw_ahead && inputs.replay.is_none() {
        std::thread::scope(|scope| {
            let streams = edit_streams(scenario, seed);
            let ends = streams.iter().map(|s| (s.object, s.direction)).collect();
            let (has_edits, edits) = draw_ahead::spawn(scope, streams, scenario.horizon);
            let drawn = Drawn::new(edits, ends);
            Sim::new(scenario, seed, inputs, workspace, Some((drawn, has_edits))).run(workspace)
        })
    } else {
        Sim::new(scenario, seed, inputs, workspace, None).run(workspace)
    }
}

/// The large buffers of a run (record indexes, the entry table, latency samples), kept
/// between runs so that many replications on one thread allocate and fault in their memory
/// once instead of once per run. A fresh workspace is empty; a run resets what it borrows, so
/// results never depend on what a workspace held before (tested).
#[derive(Debug, Default)]
pub struct Workspace {
    queues: Queues,
    entries: Vec<Entry>,
    free: Vec<u32>,
}

struct Sim<'a> {
    sc: &'a Scenario,
    /// Check invariants as the run goes ([`Inputs::audit`]).
    audit: bool,
    /// (time, sequence) of the last event handled, when auditing.
    last_key: u128,
    seed: u64,
    now: Millis,
    heap: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,

    // Record and queue state.
    entries: Vec<Entry>,
    free: Vec<u32>,
    queues: Queues,
    next_order: u64,
    /// Backlog (queued + in flight) per object, both directions.
    object_backlog: Vec<u64>,
    total_backlog: u64,

    /// The sync: its workers, cycles and drain policy.
    sync: SyncState,

    /// Errors and retries.
    retries: Retries,

    /// The API budget.
    budget: ApiBudget,

    /// Background edits: their streams and who sees them.
    edits: Edits<'a>,
    /// Scenario events that make edits, and their progress.
    tracking: Tracking,
    /// Under the `fifo` policy without gates, the items of every queue in one FIFO: a batch
    /// is then its front, with no merge across queues. `None` otherwise (each queue's items
    /// are in its own FIFO).
    shared_fifo: Option<Fifo<(u64, u32)>>,

    /// Measurements.
    observer: Observer,
}

/// An event's place in (time, sequence) order as one comparable key.
#[inline]
fn key(time: Millis, seq: u64) -> u128 {
    ((time as u128) << 64) | seq as u128
}

impl<'a> Sim<'a> {
    /// A run ready to start; `drawn` are the generated streams' edits when a helper thread
    /// draws them ([`Inputs::draw_ahead`]), with which streams have any.
    fn new(
        sc: &'a Scenario,
        seed: u64,
        inputs: Inputs<'a>,
        ws: &mut Workspace,
        drawn: Option<(Drawn, Vec<bool>)>,
    ) -> Self {
        let n_objects = sc.objects.len();
        let mut queues = std::mem::take(&mut ws.queues);
        queues.reset(sc);
        let mut entries = std::mem::take(&mut ws.entries);
        entries.clear();
        let mut free = std::mem::take(&mut ws.free);
        free.clear();
        let mut sim = Sim {
            sc,
            audit: inputs.audit,
            last_key: 0,
            seed,
            now: 0,
            heap: BinaryHeap::with_capacity(64),
            seq: 0,
            entries,
            free,
            queues,
            next_order: 0,
            object_backlog: vec![0; n_objects],
            total_backlog: 0,
            sync: SyncState::new(sc),
            retries: Retries::new(sc, seed),
            budget: ApiBudget::default(),
            edits: Edits::new(inputs.on_edit),
            tracking: Tracking::new(sc, seed),
            shared_fifo: (matches!(sc.sync.policy, Policy::Fifo)
                && sc.sync.gates.iter().all(Option::is_none)
                && !inputs.separate_fifos)
                .then(Fifo::default),
            observer: Observer::new(sc, inputs.draw_ahead),
        };
        sim.first_look();
        sim.schedule_events();
        let first_night = sc.start.next_time_of_day(sc.retry.nightly_at).0 - sc.start.0;
        if (first_night as Millis) < sc.horizon {
            sim.schedule(first_night as Millis, Happening::Nightly);
        }
        if sc.api.background_calls_per_hour > 0.0 {
            sim.schedule(MINUTE, Happening::BackgroundCalls);
        }
        sim.start_edits(inputs.replay, drawn);
        sim.load_initial_backlog();
        sim
    }

    #[inline]
    fn schedule(&mut self, time: Millis, what: Happening) {
        self.seq += 1;
        self.heap.push(Reverse(Scheduled {
            time,
            seq: self.seq,
            what,
        }));
    }

    fn run(mut self, ws: &mut Workspace) -> RunResult {
        let horizon = self.sc.horizon;
        // The earliest stream edit; only a background edit changes it.
        let mut stream_at = self.next_edit_key();
        loop {
            let heap_at = self
                .heap
                .peek()
                .map_or(NEVER, |Reverse(e)| key(e.time, e.seq));
            if !self.audit {
                // Most events are background edits, and an edit schedules nothing: until the
                // heap's next event or the next sample, run them in a tight loop.
                let observe = self
                    .observer
                    .next_sample
                    .min(self.observer.next_hour)
                    .min(horizon);
                let until = heap_at.min(key(observe, 0));
                while stream_at < until {
                    self.now = (stream_at >> 64) as Millis;
                    self.background_edit();
                    stream_at = self.next_edit_key();
                }
            }
            let time = (stream_at.min(heap_at) >> 64) as Millis;
            if time >= horizon {
                break;
            }
            if time >= self.observer.next_sample || time >= self.observer.next_hour {
                self.observe_until(time);
            }
            debug_assert!(time >= self.now, "time never goes back");
            if self.audit {
                let next = stream_at.min(heap_at);
                assert!(
                    next > self.last_key,
                    "event ({}, {}) handled after ({}, {})",
                    next >> 64,
                    next as u64,
                    self.last_key >> 64,
                    self.last_key as u64
                );
                self.last_key = next;
            }
            self.now = time;
            if stream_at < heap_at {
                self.background_edit();
                stream_at = self.next_edit_key();
                continue;
            }
            let Some(Reverse(ev)) = self.heap.pop() else {
                break;
            };
            match ev.what {
                Happening::Bulk(k) => self.bulk_edits(k as usize),
                Happening::BatchDone(w) => self.complete_batch(w as usize),
                Happening::Wake(generation) => self.wake(generation),
                Happening::Scenario(i) => self.scenario_event(i as usize),
                Happening::Reenable(_) => self.set_enabled(true),
                Happening::RetryDue => self.retry_due(),
                Happening::Nightly => self.nightly(),
                Happening::SuppressionCheck => self.suppression_check(),
                Happening::ApiResume => self.api_resume(),
                Happening::BackgroundCalls => self.background_calls(),
            }
        }
        self.now = horizon;
        self.observe_until(horizon);
        self.finish(ws)
    }

    // ----- edits -----

    /// Applies one edit (MODEL.md section 5, items 2-3). `mark` is the tracked event that made
    /// it, if any.
    #[inline(always)]
    fn edit(
        &mut self,
        object: usize,
        direction: Direction,
        record: u32,
        synced: bool,
        mark: Option<usize>,
    ) {
        let q = QueueId::new(object, direction);
        let queue = &mut self.queues[q];
        queue.counters.edits += 1;
        if !queue.admits(self.seed, object, record) {
            queue.counters.filtered += 1;
            return;
        }
        match queue.pending.get(record) {
            Some(slot) => self.coalesce(q, slot, synced, mark),
            None => self.new_entry(q, record, self.now as i64, synced, mark),
        }
    }

    /// A new entry of `record` at the back of queue `q`, pending since `created`: an edit of
    /// a record with no entry to coalesce into, or an initial backlog entry. It is an
    /// update if `update`, else a skip.
    #[inline(always)]
    fn new_entry(
        &mut self,
        q: QueueId,
        record: u32,
        created: i64,
        update: bool,
        mark: Option<usize>,
    ) {
        let order = self.next_order;
        self.next_order += 1;
        // The slab slot it takes: the last one freed, or a new one at the end. The counts
        // come first and the pushes last, so nothing is read again after a push that grew.
        let e = self
            .free
            .last()
            .copied()
            .unwrap_or(self.entries.len() as u32);
        let queue = &mut self.queues[q];
        queue.pending.insert(record, e);
        queue.queued += 1;
        queue.counters.entries_created += 1;
        self.add_backlog(q.object());
        if let Some(k) = mark {
            // The event created this entry: it holds the event back until it completes.
            let t = &mut self.tracking.events[k];
            t.outstanding += 1;
            t.outcome.entries += 1;
        }
        let entry = Entry {
            order,
            created,
            marks: mark.map_or(0, |k| 1 << k),
            record,
            queue: q,
            update,
            state: EntryState::Queued,
            attempts: 0,
        };
        match self.free.pop() {
            Some(_) => self.entries[e as usize] = entry,
            None => self.entries.push(entry),
        }
        self.enqueue(q, order, e);
    }

    /// An edit of a record whose entry `slot` is queued, due, or waiting for a retry: the edit
    /// coalesces into it (requeuing it when the scenario says so).
    #[inline(never)]
    fn coalesce(&mut self, q: QueueId, slot: u32, synced: bool, mark: Option<usize>) {
        self.queues[q].counters.coalesced += 1;
        let requeue = self.sc.sync.requeue;
        let entry = &mut self.entries[slot as usize];
        entry.update |= synced;
        match entry.state {
            EntryState::Retry | EntryState::Timeout => {
                // A new edit makes an errored record a normal pending entry again.
                let queue = &mut self.queues[q];
                if entry.state == EntryState::Retry {
                    queue.retry -= 1;
                } else {
                    queue.timeout -= 1;
                }
                entry.attempts = 0;
                queue.queued += 1;
                self.push_queued(slot, q);
                self.add_backlog(q.object());
                self.reopen_marks(slot);
            }
            EntryState::Due if requeue => {
                // It leaves the due retries for the back of its object's queue.
                self.queues[q].due -= 1;
                self.queues[q].queued += 1;
                self.push_queued(slot, q);
            }
            EntryState::Queued if requeue => self.push_queued(slot, q),
            _ => {}
        }
        if let Some(k) = mark {
            self.mark(slot, k);
        }
    }

    /// Gives entry `e` a new position at the back of queue `q` (the caller counts it).
    fn push_queued(&mut self, e: u32, q: QueueId) {
        let order = self.next_order;
        self.next_order += 1;
        let entry = &mut self.entries[e as usize];
        entry.order = order;
        entry.state = EntryState::Queued;
        self.enqueue(q, order, e);
        // The requeued entry left a stale item behind: drop them all once they dominate.
        let (items, queued) = match &mut self.shared_fifo {
            Some(fifo) => (fifo, self.total_backlog),
            None => {
                let queue = &mut self.queues[q];
                (&mut queue.items, queue.queued)
            }
        };
        if items.len() as u64 > 2 * queued + 1024 {
            drop_stale(items, &self.entries);
        }
    }

    /// Puts entry `e` of queue `q`, with order key `order`, at the back of the FIFO it waits
    /// in: its queue's, or the shared one.
    #[inline(always)]
    fn enqueue(&mut self, q: QueueId, order: u64, e: u32) {
        match &mut self.shared_fifo {
            Some(fifo) => fifo.push_back((order, e)),
            None => self.queues[q].items.push_back((order, e)),
        }
    }

    /// One more pending record of `object`.
    fn add_backlog(&mut self, object: usize) {
        self.object_backlog[object] += 1;
        self.total_backlog += 1;
        if self.total_backlog > self.observer.max_backlog {
            self.observer.max_backlog = self.total_backlog;
            self.observer.max_backlog_at = self.now;
        }
    }

    // ----- the sync -----

    /// Returns a completed entry's slot to the free list.
    fn release(&mut self, e: u32) {
        self.entries[e as usize].state = EntryState::Free;
        self.free.push(e);
    }
}

/// Drops stale items (requeued or taken entries) from a FIFO.
fn drop_stale(items: &mut Fifo<(u64, u32)>, entries: &[Entry]) {
    items.retain(|&(order, e)| {
        let entry = &entries[e as usize];
        entry.state == EntryState::Queued && entry.order == order
    });
}
