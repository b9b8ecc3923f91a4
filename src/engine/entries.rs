//! Entries: the records pending in each (object, direction), and what an edit does to them
//! (docs/model.md, Edits and entries).
//!
//! An edit of a record that passes the filter either coalesces into the record's entry
//! (queued, due, or waiting for a retry) or creates a new entry at the back of its queue.
//! Entries live in a slab with a free list, so the steady state allocates nothing; each
//! queue's pending index says which records have an entry an edit would coalesce into; FIFOs
//! hold `(order, entry)` items, and a requeue leaves its old item behind, stale (an item is
//! live while its order equals the entry's).

use std::ops::{Index, IndexMut};

use super::fifo::Fifo;
use super::{seeds, Sim, Workspace};
use crate::metrics::{LatencySamples, QueueCounters};
use crate::scenario::{Direction, ObjectSpec, Policy, QueueId, Scenario};

/// Every entry of the run, by queue, and the backlog they make.
pub(crate) struct Entries {
    /// The entries, indexed by `u32` ids; free slots are reused.
    pub(super) slab: Vec<Entry>,
    /// Free slots of `slab`, the last freed first.
    pub(super) free: Vec<u32>,
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
    /// unless `separate_fifos` ([`super::Inputs::separate_fifos`]).
    pub(super) fn new(sc: &Scenario, ws: &mut Workspace, separate_fifos: bool) -> Self {
        let mut queues = std::mem::take(&mut ws.queues);
        queues.reset(sc);
        let mut slab = std::mem::take(&mut ws.entries);
        slab.clear();
        let mut free = std::mem::take(&mut ws.free);
        free.clear();
        Entries {
            slab,
            free,
            queues,
            next_order: 0,
            object_backlog: vec![0; sc.objects.len()],
            total_backlog: 0,
            shared_fifo: (matches!(sc.sync.policy, Policy::Fifo)
                && sc.sync.gates.iter().all(Option::is_none)
                && !separate_fifos)
                .then(Fifo::default),
        }
    }

    /// Gives the large buffers back to `ws` for the next run.
    pub(super) fn return_to(&mut self, ws: &mut Workspace) {
        ws.queues = std::mem::take(&mut self.queues);
        ws.entries = std::mem::take(&mut self.slab);
        ws.free = std::mem::take(&mut self.free);
    }
}

/// Which records of one (object, direction) have an entry an edit would coalesce into or
/// revive (queued, due, or waiting in the retry or timeout queue; never one in flight), and
/// which entry.
///
/// A dense bitmap answers "does this record have such an entry?" for every edit and stays in
/// cache (1M records take 128 KiB); the dense slot array is read only when the answer is yes,
/// which is rare, so the common edit costs no cache miss on the slot array.
#[derive(Debug, Default)]
pub(super) struct PendingIndex {
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
    pub(super) fn get(&self, record: u32) -> Option<u32> {
        let r = record as usize;
        (self.bits[r / 64] & (1 << (r % 64)) != 0).then(|| self.slots[r])
    }

    /// `entry` is now the one of `record` an edit would coalesce into.
    #[inline]
    pub(super) fn insert(&mut self, record: u32, entry: u32) {
        let r = record as usize;
        self.bits[r / 64] |= 1 << (r % 64);
        self.slots[r] = entry;
    }

    /// `record` has no entry an edit would coalesce into any more (its entry is in flight).
    #[inline]
    pub(super) fn remove(&mut self, record: u32) {
        let r = record as usize;
        self.bits[r / 64] &= !(1 << (r % 64));
    }

    /// How many records have an entry (a full scan, for the audit).
    pub(super) fn count(&self) -> u64 {
        self.bits.iter().map(|w| w.count_ones() as u64).sum()
    }
}

/// Where an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EntryState {
    /// A free slot of the slab.
    Free,
    /// In its object's FIFO.
    Queued,
    /// An errored entry whose retry is due: pending, ahead of new work.
    Due,
    /// Taken by a running batch: still backlog, no longer one an edit coalesces into.
    InFlight,
    /// Errored, waiting for its retry time (not backlog).
    Retry,
    /// Errored `max_attempts` times, waiting for the nightly retry (not backlog).
    Timeout,
}

/// One backlog entry: a pending record in one direction (docs/model.md, Edits and entries).
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    /// Position key in its queue: unique and increasing in (stamp, sequence) order.
    pub(super) order: u64,
    /// When the entry was created, in ms after the start (negative for an initial backlog
    /// stamped before it); latency counts from here and coalescing does not reset it.
    pub(super) created: i64,
    /// Bit `k` set: tracked event `k` created or coalesced into this entry.
    pub(super) marks: u64,
    /// The record, by id within its object.
    pub(super) record: u32,
    /// Its (object, direction).
    pub(super) queue: QueueId,
    /// An update if any coalesced edit touched synced fields, else a skip.
    pub(super) update: bool,
    /// Where it is.
    pub(super) state: EntryState,
    /// Failed attempts so far.
    pub(super) attempts: u16,
    /// The first whole hour whose backlog reading counts this entry since it last became
    /// pending (created, revived by an edit, or due for a retry): `h` for the reading at `h`
    /// hours. When it leaves the backlog the observer notes the instant under this hour
    /// (`Observer::settled`). It fits in what was padding: an entry stays 40 bytes.
    pub(super) since: u32,
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
    /// Latency of every synced update.
    pub(super) latencies: LatencySamples,
    /// The object is in the sync: its edits are not filtered out for that.
    pub(super) enabled: bool,
    /// The share of its records the sync filter lets through (1 when there is no filter).
    pub(super) filter_pass: f64,
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
    pub(super) fn reset(&mut self, sc: &Scenario) {
        let n = QueueId::count(sc.objects.len());
        self.0.truncate(n);
        self.0.resize_with(n, Queue::default);
        for (i, queue) in self.0.iter_mut().enumerate() {
            let q = QueueId::from_index(i);
            queue.reset(&sc.objects[q.object()], q.direction());
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
        // come first and the pushes last, so nothing is read again after a push that grew.
        let e = self
            .entries
            .free
            .last()
            .copied()
            .unwrap_or(self.entries.slab.len() as u32);
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
        let entry = Entry {
            order,
            created,
            marks: mark.map_or(0, |k| 1 << k),
            record,
            queue: q,
            update,
            state: EntryState::Queued,
            attempts: 0,
            since: self.observer.next_hour_index,
        };
        match self.entries.free.pop() {
            Some(_) => self.entries.slab[e as usize] = entry,
            None => self.entries.slab.push(entry),
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
        entry.update |= synced;
        match entry.state {
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
        entry.order = order;
        entry.state = EntryState::Queued;
        self.enqueue(q, order, e);
        // The requeued entry left a stale item behind: drop them all once they dominate.
        let (items, queued) = match &mut self.entries.shared_fifo {
            Some(fifo) => (fifo, self.entries.total_backlog),
            None => {
                let queue = &mut self.entries.queues[q];
                (&mut queue.items, queue.queued)
            }
        };
        if items.len() as u64 > 2 * queued + 1024 {
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

    /// Returns a completed entry's slot to the free list.
    pub(super) fn release(&mut self, e: u32) {
        self.entries.slab[e as usize].state = EntryState::Free;
        self.entries.free.push(e);
    }
}

/// Drops stale items (requeued or taken entries) from a FIFO.
fn drop_stale(items: &mut Fifo<(u64, u32)>, entries: &[Entry]) {
    items.retain(|&(order, e)| {
        let entry = &entries[e as usize];
        entry.state == EntryState::Queued && entry.order == order
    });
}
