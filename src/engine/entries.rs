//! Entries: the records pending in each (object, direction), and what an edit does to them
//! (docs/model.md, Edits and entries).
//!
//! An edit of a record that passes the filter either coalesces into the record's entry
//! (queued, due, or waiting for a retry) or creates a new entry at the back of its queue.
//! Entries live in a slab with a stack of free slots (`entries/free.rs`), so the steady
//! state allocates nothing; each queue's pending index says which records have an entry an
//! edit would coalesce into; FIFOs hold `(order, entry)` items, and a requeue leaves its old
//! item behind, stale (an item is live while its order equals the entry's).

use std::ops::{Index, IndexMut};

mod free;

use super::fifo::Fifo;
use super::pending::PendingIndex;
use super::{seeds, Sim, Workspace};
use crate::metrics::{LatencySamples, QueueCounters};
use crate::scenario::{Direction, ObjectSpec, Policy, QueueId, Scenario};
use free::FreeSlots;

/// Every entry of the run, by queue, and the backlog they make.
pub(crate) struct Entries {
    /// The entries, indexed by `u32` ids; free slots are reused.
    pub(super) slab: Vec<Entry>,
    /// The free slots of `slab`, the last freed on top: the slot an edit takes is one a batch
    /// just completed, if any is left, and the stack takes no memory of its own.
    pub(super) free: FreeSlots,
    /// Slots in use: when none is, the free slots start over from the first
    /// ([`FreeSlots::all_free`]).
    pub(super) live: usize,
    /// One queue per (object, direction).
    pub(super) queues: Queues,
    /// The next order key: entries take increasing keys as they join a queue.
    pub(super) next_order: u64,
    /// Backlog (queued, due or in flight) per object, both directions.
    pub(super) object_backlog: Vec<u64>,
    /// Backlog of every object.
    pub(super) total_backlog: u64,
    /// Under the `fifo` policy without gates, the items of every queue in one FIFO: a batch
    /// is then its front, with no merge across queues. `None` otherwise (each queue's items
    /// are in its own FIFO).
    pub(super) shared_fifo: Option<Fifo<(u64, u32)>>,
}

impl Entries {
    /// No entries yet, in `ws`'s buffers; one shared FIFO when the `fifo` policy has no gates,
    /// unless `separate_fifos` ([`super::Inputs::separate_fifos`]); every pending index hashed
    /// if `hashed` ([`super::Inputs::hashed_index`]).
    pub(super) fn new(
        sc: &Scenario,
        ws: &mut Workspace,
        separate_fifos: bool,
        hashed: bool,
    ) -> Self {
        let mut queues = std::mem::take(&mut ws.queues);
        queues.reset(sc, hashed);
        let mut slab = std::mem::take(&mut ws.entries);
        slab.clear();
        Entries {
            slab,
            free: FreeSlots::default(),
            live: 0,
            queues,
            next_order: 0,
            object_backlog: vec![0; sc.objects.len()],
            total_backlog: 0,
            shared_fifo: (matches!(sc.sync.policy, Policy::Fifo)
                && sc.sync.gates.iter().all(Option::is_none)
                && sc.uniform_batches().is_some()
                && !separate_fifos)
                .then(Fifo::default),
        }
    }

    /// Gives the large buffers back to `ws` for the next run.
    pub(super) fn return_to(&mut self, ws: &mut Workspace) {
        ws.queues = std::mem::take(&mut self.queues);
        ws.entries = std::mem::take(&mut self.slab);
    }
}

/// Where an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EntryState {
    /// A free slot of the slab.
    Free = 0,
    /// In its object's FIFO.
    Queued = 1,
    /// An errored entry whose retry is due: pending, ahead of new work.
    Due = 2,
    /// Taken by a running batch: still backlog, no longer one an edit coalesces into.
    InFlight = 3,
    /// Errored, waiting for its retry time (not backlog).
    Retry = 4,
    /// Errored `max_attempts` times, waiting for the nightly retry (not backlog).
    Timeout = 5,
}

impl EntryState {
    /// The state whose discriminant is `bits`.
    #[inline(always)]
    fn from_bits(bits: u16) -> Self {
        match bits {
            0 => EntryState::Free,
            1 => EntryState::Queued,
            2 => EntryState::Due,
            3 => EntryState::InFlight,
            4 => EntryState::Retry,
            _ => EntryState::Timeout,
        }
    }
}

/// One backlog entry: a pending record in one direction (docs/model.md, Edits and entries).
///
/// 32 bytes, so that a backlog of 26 million entries (a hundred times the reference scale)
/// takes 830 MB and two entries share a cache line: the queue is kept in 16 bits (at most
/// 2,000 queues); the state, the update flag and the failed attempts share 16 more; and the
/// position key (40 bits: a run numbers at most [`MAX_ORDERS`] entries, which
/// `load::check_work` makes sure of) shares a word with the hour it became pending (17 bits:
/// a horizon is at most 87,840 hours) and its generation (7 bits: `max_generations` is at
/// most 100).
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    /// Bits 0-39: the position key in its queue, unique and increasing in (stamp, sequence)
    /// order. Bits 40-56: the first whole hour whose
    /// backlog reading counts this entry since it last became pending (created, revived by
    /// an edit, or due for a retry): `h` for the reading at `h` hours. When it leaves the
    /// backlog the observer notes the instant under this hour (`Observer::settled`). Bits
    /// 57-63: how many rules led to it: the least generation of its edits (0 for an edit no
    /// cascade or echo caused; `engine/caused.rs`).
    order_since: u64,
    /// When the entry was created, in ms after the start (negative for an initial backlog
    /// stamped before it); latency counts from here and coalescing does not reset it.
    pub(super) created: i64,
    /// Bit `k` set: tracked event `k` created or coalesced into this entry.
    pub(super) marks: u64,
    /// The record, by id within its object.
    pub(super) record: u32,
    /// Its (object, direction): a [`QueueId`]'s index.
    queue: u16,
    /// Bits 0-2: the [`EntryState`]; bit 3: an update; bits 4-13: failed attempts; bit 14:
    /// a creation (docs/model.md, Creations).
    flags: u16,
}

/// Bits of [`Entry`]'s word that hold the position key.
const ORDER_BITS: u32 = 40;
const ORDER_MASK: u64 = (1 << ORDER_BITS) - 1;
/// Bits of [`Entry`]'s word that hold the hour it became pending, above the key.
const SINCE_BITS: u32 = 17;
const SINCE_MASK: u64 = ((1 << SINCE_BITS) - 1) << ORDER_BITS;
/// Where the generation starts in [`Entry`]'s word (7 bits, up to 127).
const GENERATION_SHIFT: u32 = ORDER_BITS + SINCE_BITS;

/// The most entries a run may number (position keys are 40 bits): about 1.1 x 10^12, a
/// hundred times the default `--max-events`.
pub(super) const MAX_ORDERS: u64 = 1 << ORDER_BITS;

/// Failed attempts an entry counts up to (`retry.max_attempts` is at most 1,000; any count
/// at or above it means the same).
const MAX_COUNTED_ATTEMPTS: u32 = (1 << 10) - 1;
const UPDATE_BIT: u16 = 1 << 3;
const STATE_BITS: u16 = 0b111;
const ATTEMPTS_SHIFT: u32 = 4;
const ATTEMPTS_BITS: u16 = (MAX_COUNTED_ATTEMPTS as u16) << ATTEMPTS_SHIFT;
const CREATION_BIT: u16 = 1 << 14;

impl Entry {
    /// A new entry of `record` in queue `q`, in `state`, with no failed attempt (pending
    /// since hour 0: the caller sets [`Entry::since`]).
    #[inline(always)]
    pub(super) fn new(
        order: u64,
        created: i64,
        marks: u64,
        record: u32,
        q: QueueId,
        update: bool,
        state: EntryState,
    ) -> Self {
        debug_assert!(q.index() <= u16::MAX as usize, "at most 2,000 queues");
        debug_assert!(order < MAX_ORDERS);
        Entry {
            order_since: order,
            created,
            marks,
            record,
            queue: q.index() as u16,
            flags: state as u16 | if update { UPDATE_BIT } else { 0 },
        }
    }

    /// Its position key in its queue.
    #[inline(always)]
    pub(super) fn order(&self) -> u64 {
        self.order_since & ORDER_MASK
    }

    /// Sets its position key (below [`MAX_ORDERS`]).
    #[inline(always)]
    pub(super) fn set_order(&mut self, order: u64) {
        debug_assert!(order < MAX_ORDERS);
        self.order_since = (self.order_since & !ORDER_MASK) | order;
    }

    /// The first whole hour whose backlog reading counts it (see [`Entry`]).
    #[inline(always)]
    pub(super) fn since(&self) -> u32 {
        ((self.order_since & SINCE_MASK) >> ORDER_BITS) as u32
    }

    /// Sets the first whole hour whose backlog reading counts it (below 2^17).
    #[inline(always)]
    pub(super) fn set_since(&mut self, hour: u32) {
        debug_assert!(hour < 1 << SINCE_BITS);
        self.order_since =
            (self.order_since & !SINCE_MASK) | ((hour as u64) << ORDER_BITS & SINCE_MASK);
    }

    /// How many rules led to it (see [`Entry`]).
    #[inline(always)]
    pub(super) fn generation(&self) -> u8 {
        (self.order_since >> GENERATION_SHIFT) as u8
    }

    /// Sets how many rules led to it (at most 127).
    #[inline(always)]
    pub(super) fn set_generation(&mut self, generation: u8) {
        debug_assert!(generation < 1 << (64 - GENERATION_SHIFT));
        self.order_since = (self.order_since & ((1 << GENERATION_SHIFT) - 1))
            | (generation as u64) << GENERATION_SHIFT;
    }

    /// Its (object, direction).
    #[inline(always)]
    pub(super) fn queue(&self) -> QueueId {
        QueueId::from_index(self.queue as usize)
    }

    /// Where it is.
    #[inline(always)]
    pub(super) fn state(&self) -> EntryState {
        EntryState::from_bits(self.flags & STATE_BITS)
    }

    /// Moves it to `state`.
    #[inline(always)]
    pub(super) fn set_state(&mut self, state: EntryState) {
        self.flags = (self.flags & !STATE_BITS) | state as u16;
    }

    /// An update if any coalesced edit touched synced fields, else a skip.
    #[inline(always)]
    pub(super) fn update(&self) -> bool {
        self.flags & UPDATE_BIT != 0
    }

    /// Makes it an update if `update` (an update never becomes a skip).
    #[inline(always)]
    pub(super) fn add_update(&mut self, update: bool) {
        if update {
            self.flags |= UPDATE_BIT;
        }
    }

    /// Failed attempts so far (counted up to 1,023).
    #[inline(always)]
    pub(super) fn attempts(&self) -> u32 {
        ((self.flags & ATTEMPTS_BITS) >> ATTEMPTS_SHIFT) as u32
    }

    /// Sets the failed attempts, counting up to 1,023.
    #[inline(always)]
    pub(super) fn set_attempts(&mut self, attempts: u32) {
        let attempts = attempts.min(MAX_COUNTED_ATTEMPTS) as u16;
        self.flags = (self.flags & !ATTEMPTS_BITS) | attempts << ATTEMPTS_SHIFT;
    }

    /// Whether it is the creation of its record: it stays one whatever coalesces into it.
    #[inline(always)]
    pub(super) fn creation(&self) -> bool {
        self.flags & CREATION_BIT != 0
    }

    /// Marks it as the creation of its record.
    pub(super) fn set_creation(&mut self) {
        self.flags |= CREATION_BIT;
    }
}

/// One (object, direction): its FIFO and where its entries are, which of its records are
/// pending, its counters and the latencies of its synced updates. Kept together because an
/// edit, a batch and a completion each touch most of it.
#[derive(Debug, Default)]
pub(super) struct Queue {
    /// Its queued entries as `(order, entry)` items, oldest first, stale ones among them
    /// (unused when every queue shares one FIFO).
    pub(super) items: Fifo<(u64, u32)>,
    /// Entries queued (not in flight).
    pub(super) queued: u64,
    /// Due retries of this queue (in the shared due FIFO).
    pub(super) due: u64,
    /// Entries taken by running batches.
    pub(super) in_flight: u64,
    /// Entries in the retry queue.
    pub(super) retry: u64,
    /// Entries in the timeout queue.
    pub(super) timeout: u64,
    /// Which records have an entry an edit would coalesce into, and which entry.
    pub(super) pending: PendingIndex,
    /// What happened to its edits and entries (conservation's terms).
    pub(super) counters: QueueCounters,
    /// Latency of every synced update but creations.
    pub(super) latencies: LatencySamples,
    /// Latency of every synced creation (docs/model.md, Creations).
    pub(super) creation_latencies: LatencySamples,
    /// Records of its object so far: the population and the records created (an edit of
    /// the id past them is a creation).
    pub(super) population: u32,
    /// The object is in the sync: its edits are not filtered out for that.
    pub(super) enabled: bool,
    /// The share of its records the sync filter lets through (1 when there is no filter).
    pub(super) filter_pass: f64,
}

impl Queue {
    /// Makes this the empty queue of `object`, reusing its memory.
    fn reset(&mut self, object: &ObjectSpec, direction: Direction, hashed: bool) {
        // Ids up to the records the run may create.
        let records = if object.syncs[direction as usize] {
            object.id_space()
        } else {
            0
        };
        self.population = object.records;
        self.creation_latencies.clear();
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
        self.pending.reset(records, hashed);
        self.counters = QueueCounters::default();
        self.latencies.clear();
    }

    /// Whether an edit of `record` (of object `object`) reaches the sync: the object is in
    /// it and the record passes its filter.
    #[inline(always)]
    pub(super) fn admits(&self, seed: u64, object: usize, record: u32) -> bool {
        self.enabled
            && (self.filter_pass >= 1.0
                || seeds::passes_filter(seed, object, record, self.filter_pass))
    }

    /// Pending records: queued, due or in flight.
    pub(super) fn backlog(&self) -> u64 {
        self.queued + self.due + self.in_flight
    }
}

/// Every (object, direction) queue of a run, indexed by [`QueueId`] (two per object, synced
/// or not, in the order of [`QueueId::index`]).
#[derive(Debug, Default)]
pub(super) struct Queues(Vec<Queue>);

impl Queues {
    /// Makes these the empty queues of `sc`'s objects, reusing their memory.
    pub(super) fn reset(&mut self, sc: &Scenario, hashed: bool) {
        let n = QueueId::count(sc.objects.len());
        self.0.truncate(n);
        self.0.resize_with(n, Queue::default);
        for (i, queue) in self.0.iter_mut().enumerate() {
            let q = QueueId::from_index(i);
            queue.reset(&sc.objects[q.object()], q.direction(), hashed);
        }
    }

    /// The queues in [`QueueId::index`] order.
    pub(super) fn iter(&self) -> std::slice::Iter<'_, Queue> {
        self.0.iter()
    }

    /// How many queues there are.
    pub(super) fn len(&self) -> usize {
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

impl Sim<'_> {
    /// Applies one edit (docs/model.md, Edits and entries). `mark` is the tracked event that
    /// made it, if any.
    #[inline(always)]
    pub(super) fn edit(
        &mut self,
        object: usize,
        direction: Direction,
        record: u32,
        synced: bool,
        mark: Option<usize>,
    ) {
        let q = QueueId::new(object, direction);
        let queue = &mut self.entries.queues[q];
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
    pub(super) fn new_entry(
        &mut self,
        q: QueueId,
        record: u32,
        created: i64,
        update: bool,
        mark: Option<usize>,
    ) {
        let order = self.entries.next_order;
        self.entries.next_order += 1;
        // The slab slot it takes: the last one freed, or a new one at the end. The counts
        // come first and the write last, so nothing is read again after a push that grew.
        self.entries.live += 1;
        let free = self.entries.free.take(&self.entries.slab);
        let e = free.unwrap_or(self.entries.slab.len() as u32);
        let queue = &mut self.entries.queues[q];
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
        let mut entry = Entry::new(
            order,
            created,
            mark.map_or(0, |k| 1 << k),
            record,
            q,
            update,
            EntryState::Queued,
        );
        entry.set_since(self.observer.next_hour_index);
        if free.is_none() {
            push_entry(&mut self.entries.slab, entry);
        } else {
            self.entries.slab[e as usize] = entry;
        }
        self.enqueue(q, order, e);
    }

    /// An edit of a record whose entry `slot` is queued, due, or waiting for a retry: the edit
    /// coalesces into it (requeuing it when the scenario says so).
    #[inline(never)]
    fn coalesce(&mut self, q: QueueId, slot: u32, synced: bool, mark: Option<usize>) {
        self.entries.queues[q].counters.coalesced += 1;
        let requeue = self.sc.sync.requeue;
        let entry = &mut self.entries.slab[slot as usize];
        entry.add_update(synced);
        match entry.state() {
            EntryState::Retry | EntryState::Timeout => self.revive(q, slot),
            EntryState::Due if requeue => {
                // It leaves the due retries for the back of its object's queue.
                self.entries.queues[q].due -= 1;
                self.entries.queues[q].queued += 1;
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
    pub(super) fn push_queued(&mut self, e: u32, q: QueueId) {
        let order = self.entries.next_order;
        self.entries.next_order += 1;
        let entry = &mut self.entries.slab[e as usize];
        entry.set_order(order);
        entry.set_state(EntryState::Queued);
        self.enqueue(q, order, e);
        // The requeued entry left a stale item behind: drop them all once they make a third
        // of the FIFO (a bound the memory estimate counts on).
        let (items, queued) = match &mut self.entries.shared_fifo {
            Some(fifo) => (fifo, self.entries.total_backlog),
            None => {
                let queue = &mut self.entries.queues[q];
                (&mut queue.items, queue.queued)
            }
        };
        if items.len() as u64 > queued + queued / 2 + 1024 {
            drop_stale(items, &self.entries.slab);
        }
    }

    /// Puts entry `e` of queue `q`, with order key `order`, at the back of the FIFO it waits
    /// in: its queue's, or the shared one.
    #[inline(always)]
    fn enqueue(&mut self, q: QueueId, order: u64, e: u32) {
        match &mut self.entries.shared_fifo {
            Some(fifo) => fifo.push_back((order, e)),
            None => self.entries.queues[q].items.push_back((order, e)),
        }
    }

    /// One more pending record of `object`.
    pub(super) fn add_backlog(&mut self, object: usize) {
        self.entries.object_backlog[object] += 1;
        self.entries.total_backlog += 1;
        if self.entries.total_backlog > self.observer.max_backlog {
            self.observer.max_backlog = self.entries.total_backlog;
            self.observer.max_backlog_at = self.now;
        }
    }

    /// Returns a completed entry's slot to the free stack.
    #[inline(always)]
    pub(super) fn release(&mut self, e: u32) {
        self.entries.live -= 1;
        if self.entries.live == 0 {
            self.entries.slab[e as usize].set_state(EntryState::Free);
            self.entries.free.all_free(self.entries.slab.len());
        } else {
            self.entries.free.put(&mut self.entries.slab, e);
        }
    }
}

/// Adds `entry` at the end of the slab, which grows by a quarter when full rather than
/// doubling: reallocating a large block moves its pages without copying them, and the
/// memory held stays within a quarter of the peak backlog (`docs/robustness.md`, Memory).
#[inline(always)]
fn push_entry(slab: &mut Vec<Entry>, entry: Entry) {
    if slab.len() == slab.capacity() {
        slab.reserve_exact(slab.len() / 4 + 1024);
    }
    slab.push(entry);
}

/// Drops stale items (requeued or taken entries) from a FIFO.
fn drop_stale(items: &mut Fifo<(u64, u32)>, entries: &[Entry]) {
    items.retain(|&(order, e)| {
        let entry = &entries[e as usize];
        entry.state() == EntryState::Queued && entry.order() == order
    });
}

// Entries are the bulk of a large run's memory; their size is part of the memory estimate.
const _: () = assert!(std::mem::size_of::<Entry>() == 32);
