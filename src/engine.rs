//! The deterministic core: a discrete-event simulation of one sync over the scenario's horizon.
//!
//! [`simulate`] is a pure function of (validated scenario, seed): it reads no file, clock or
//! environment. Time is integer milliseconds; events run in (time, sequence) order, the
//! sequence being assigned when an event is scheduled (MODEL.md section 3).
//!
//! Data layout, chosen for millions of records and edits:
//! - each (object, direction) has a dense `Vec<u32>` over its record ids holding the slab
//!   bitmap of which records have a *queued* entry (small enough to stay in cache) and a
//!   dense array of those entries' slab indices, read only when the bit is set;
//! - entries live in a slab with a free list, so the steady state allocates nothing;
//! - each (object, direction) has a FIFO of `(order, entry)` items; a requeue pushes a new
//!   item and leaves the old one stale (lazy deletion: an item is live while its order equals
//!   the entry's), and stale items are compacted away when they outnumber live ones;
//! - background edit streams (most events) sit in a short array scanned for the earliest
//!   `(time, sequence)`; the heap holds the rest (batches, looks, bulk updates, scenario
//!   events), so it stays small however many edits a run has.

pub mod arrivals;
pub mod policy;
pub mod seeds;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::seq::index;

use crate::metrics::{EventOutcome, LatencySummary, PendingAtEnd, QueueCounters, RunResult};
use crate::scenario::{Direction, EventKind, Scenario, Selection};
use crate::units::{Millis, HOUR};
use arrivals::EditStream;
use policy::DrainState;

/// Which records of one (object, direction) have a queued entry, and which entry.
///
/// A dense bitmap answers "is this record queued?" for every edit and stays in cache (1M
/// records take 128 KiB); the dense slot array is read only when the answer is yes, which is
/// rare, so the common edit costs no cache miss on the slot array.
#[derive(Debug, Default)]
struct PendingIndex {
    bits: Vec<u64>,
    slots: Vec<u32>,
}

impl PendingIndex {
    fn new(records: u32) -> Self {
        PendingIndex {
            bits: vec![0; (records as usize).div_ceil(64)],
            slots: vec![0; records as usize],
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

/// The index of the queue of (`object`, `direction`).
#[inline]
pub fn queue_index(object: usize, direction: Direction) -> usize {
    object * 2 + direction as usize
}

/// Where an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryState {
    Free,
    Queued,
    InFlight,
}

/// One backlog entry: a pending record in one direction (MODEL.md section 5, item 3).
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Position key in its queue: unique and increasing in (stamp, sequence) order.
    order: u64,
    /// When the entry was created (latency counts from here; coalescing does not reset it).
    created: Millis,
    /// Bit `k` set: tracked event `k` created or coalesced into this entry.
    marks: u64,
    record: u32,
    queue: u16,
    /// An update if any coalesced edit touched synced fields, else a skip.
    update: bool,
    state: EntryState,
}

/// The FIFO of one (object, direction).
#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<(u64, u32)>,
    /// Entries queued (not in flight).
    queued: u64,
    /// Entries taken by running batches.
    in_flight: u64,
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
}

/// An entry of the event heap, ordered by (time, sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Scheduled {
    time: Millis,
    seq: u64,
    what: Happening,
}

/// A worker (one MBQ lane).
#[derive(Debug, Default)]
struct Worker {
    busy: bool,
    batch: Vec<u32>,
}

/// Progress of one bulk update or object enabling, for clear and recovery times.
#[derive(Debug)]
struct Tracked {
    /// Index of the scenario event.
    event: usize,
    outcome: EventOutcome,
    /// Entries marked by the event and not yet completed.
    outstanding: u64,
    /// All its edits have happened.
    edits_done: bool,
    /// Ids a random bulk update edits, in ascending order.
    ids: Vec<u32>,
    /// Index of the next edit.
    next: u32,
}

/// Runs one replication of `scenario` with `seed` and returns everything measured.
pub fn simulate(scenario: &Scenario, seed: u64) -> RunResult {
    Sim::new(scenario, seed).run()
}

struct Sim<'a> {
    sc: &'a Scenario,
    seed: u64,
    now: Millis,
    heap: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,

    // Record and queue state.
    pending: Vec<PendingIndex>,
    entries: Vec<Entry>,
    free: Vec<u32>,
    queues: Vec<Queue>,
    next_order: u64,
    /// Backlog (queued + in flight) per object, both directions.
    object_backlog: Vec<u64>,
    total_backlog: u64,
    /// Objects in the sync (an `enable_object` event adds one).
    object_enabled: Vec<bool>,

    // The sync.
    enabled: bool,
    throughput_micro: u64,
    workers: Vec<Worker>,
    active_workers: usize,
    busy_workers: usize,
    wake_generation: u64,
    wake_pending: bool,
    drain: DrainState,
    skip_cost_micro: u64,

    streams: Vec<EditStream>,
    /// (time, sequence) of each stream's next edit; `NEVER` once it has none. Background
    /// edits are most events, and there are few streams, so they are kept out of the heap
    /// and the earliest is found by a short scan.
    stream_next: Vec<(Millis, u64)>,
    tracked: Vec<Tracked>,
    /// Tracked index of each scenario event, if it makes edits.
    tracked_of_event: Vec<Option<usize>>,

    // Measurements.
    counters: Vec<QueueCounters>,
    latencies: Vec<Vec<Millis>>,
    sample_times: Vec<Millis>,
    samples: Vec<u32>,
    next_sample: Millis,
    hourly_backlog: Vec<u32>,
    next_hour: Millis,
    hourly_done: Vec<u32>,
    max_backlog: u64,
    max_backlog_at: Millis,
    batches: u64,
    cycles: u64,
    empty_looks: u64,
}

/// "No next event" for a stream.
const NEVER: (Millis, u64) = (Millis::MAX, u64::MAX);

/// Micro cost units of one update.
const UPDATE_COST_MICRO: u64 = 1_000_000;

impl<'a> Sim<'a> {
    fn new(sc: &'a Scenario, seed: u64) -> Self {
        let n_objects = sc.objects.len();
        let nq = n_objects * 2;
        let pending = (0..nq)
            .map(|q| {
                let o = &sc.objects[q / 2];
                if o.syncs[q % 2] {
                    PendingIndex::new(o.records)
                } else {
                    PendingIndex::default()
                }
            })
            .collect();
        let hours = sc.horizon.div_ceil(HOUR) as usize;
        let mut sim = Sim {
            sc,
            seed,
            now: 0,
            heap: BinaryHeap::with_capacity(64),
            seq: 0,
            pending,
            entries: Vec::new(),
            free: Vec::new(),
            queues: (0..nq).map(|_| Queue::default()).collect(),
            next_order: 0,
            object_backlog: vec![0; n_objects],
            total_backlog: 0,
            object_enabled: sc.objects.iter().map(|o| o.enabled).collect(),
            enabled: true,
            throughput_micro: to_micro(sc.sync.throughput),
            workers: (0..sc.sync.workers).map(|_| Worker::default()).collect(),
            active_workers: sc.sync.workers as usize,
            busy_workers: 0,
            wake_generation: 0,
            wake_pending: false,
            drain: DrainState::new(&sc.sync.policy, n_objects),
            skip_cost_micro: to_micro(sc.sync.skip_cost),
            streams: Vec::new(),
            stream_next: Vec::new(),
            tracked: Vec::new(),
            tracked_of_event: vec![None; sc.events.len()],
            counters: vec![QueueCounters::default(); nq],
            latencies: vec![Vec::new(); nq],
            sample_times: Vec::with_capacity((sc.horizon / sc.sample_interval) as usize + 1),
            samples: Vec::with_capacity(((sc.horizon / sc.sample_interval) as usize + 1) * nq),
            next_sample: 0,
            hourly_backlog: Vec::with_capacity((hours + 1) * nq),
            next_hour: 0,
            hourly_done: vec![0; hours * nq * 2],
            max_backlog: 0,
            max_backlog_at: 0,
            batches: 0,
            cycles: 0,
            empty_looks: 0,
        };
        // The sync looks for work at t = 0, before anything else at that instant.
        sim.wake_pending = true;
        sim.schedule(0, Happening::Wake(0));
        for (i, e) in sc.events.iter().enumerate() {
            sim.schedule(e.at, Happening::Scenario(i as u32));
            if let EventKind::SyncDisabled { duration: Some(d) } = e.kind {
                if e.at + d < sc.horizon {
                    sim.schedule(e.at + d, Happening::Reenable(i as u32));
                }
            }
            if e.kind.makes_edits() {
                sim.tracked_of_event[i] = Some(sim.tracked.len());
                sim.tracked.push(sim.new_tracked(i));
            }
        }
        for (o, object) in sc.objects.iter().enumerate() {
            for d in Direction::ALL {
                let rng = seeds::stream_rng(seed, seeds::tag::EDITS, queue_index(o, d) as u64);
                if let Some(mut s) = EditStream::new(o, object, d, sc.start, rng) {
                    if let Some(t) = s.advance(sc.horizon) {
                        sim.seq += 1;
                        sim.stream_next.push((t, sim.seq));
                        sim.streams.push(s);
                    }
                }
            }
        }
        sim
    }

    fn new_tracked(&self, event: usize) -> Tracked {
        let e = &self.sc.events[event];
        let (object, count, last) = match e.kind {
            EventKind::BulkUpdate {
                object,
                count,
                spread,
                ..
            } => (object, count, e.at + last_offset(count, spread)),
            EventKind::EnableObject { object } => (object, self.sc.objects[object].records, e.at),
            _ => unreachable!("only events that make edits are tracked"),
        };
        let ids = match e.kind {
            EventKind::BulkUpdate {
                selection: Selection::Random,
                object,
                count,
                ..
            } => {
                let mut rng = seeds::stream_rng(self.seed, seeds::tag::BULK, event as u64);
                let mut ids: Vec<u32> = index::sample(
                    &mut rng,
                    self.sc.objects[object].records as usize,
                    count as usize,
                )
                .into_iter()
                .map(|i| i as u32)
                .collect();
                ids.sort_unstable();
                ids
            }
            _ => Vec::new(),
        };
        Tracked {
            event,
            outcome: EventOutcome {
                name: e.name.clone(),
                kind: e.kind.name(),
                object,
                first_edit: e.at,
                last_edit: last,
                edits: 0,
                entries: 0,
                baseline_backlog: 0,
                clear: None,
                recovery: None,
                synced: 0,
                skipped: 0,
                still_pending: 0,
            },
            outstanding: 0,
            edits_done: count == 0,
            ids,
            next: 0,
        }
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

    fn run(mut self) -> RunResult {
        let horizon = self.sc.horizon;
        loop {
            // The earliest stream edit, by (time, sequence).
            let mut stream = usize::MAX;
            let mut stream_at = NEVER;
            for (i, &next) in self.stream_next.iter().enumerate() {
                if next < stream_at {
                    stream_at = next;
                    stream = i;
                }
            }
            let heap_at = self.heap.peek().map_or(NEVER, |Reverse(e)| (e.time, e.seq));
            let time = stream_at.min(heap_at).0;
            if time >= horizon {
                break;
            }
            if time >= self.next_sample || time >= self.next_hour {
                self.observe_until(time);
            }
            debug_assert!(time >= self.now, "time never goes back");
            self.now = time;
            if stream_at < heap_at {
                self.background_edit(stream);
                continue;
            }
            let Some(Reverse(ev)) = self.heap.pop() else {
                break;
            };
            match ev.what {
                Happening::Bulk(k) => self.bulk_edits(k as usize),
                Happening::BatchDone(w) => self.complete_batch(w as usize),
                Happening::Wake(generation) => {
                    if generation == self.wake_generation && self.wake_pending {
                        self.wake_pending = false;
                        self.start_cycle();
                    }
                }
                Happening::Scenario(i) => self.scenario_event(i as usize),
                Happening::Reenable(_) => self.set_enabled(true),
            }
        }
        self.now = horizon;
        self.observe_until(horizon);
        self.finish()
    }

    /// Records the samples and hourly snapshots due at or before `t`, each reflecting every
    /// event strictly before its instant.
    fn observe_until(&mut self, t: Millis) {
        while self.next_sample <= t && self.next_sample <= self.sc.horizon {
            self.sample_times.push(self.next_sample);
            for q in &self.queues {
                self.samples.push((q.queued + q.in_flight) as u32);
            }
            self.next_sample += self.sc.sample_interval;
        }
        while self.next_hour <= t && self.next_hour <= self.sc.horizon {
            for q in &self.queues {
                self.hourly_backlog.push((q.queued + q.in_flight) as u32);
            }
            self.next_hour += HOUR;
        }
    }

    // ----- edits -----

    fn background_edit(&mut self, i: usize) {
        let edit = self.streams[i].draw_edit();
        let (object, direction) = (self.streams[i].object, self.streams[i].direction);
        let q = queue_index(object, direction);
        self.counters[q].background_edits += 1;
        self.edit(object, direction, edit.record, edit.synced, None);
        self.seq += 1;
        self.stream_next[i] = match self.streams[i].advance(self.sc.horizon) {
            Some(t) => (t, self.seq),
            None => NEVER,
        };
    }

    /// Applies one edit (MODEL.md section 5, items 2-3). `mark` is the tracked event that made
    /// it, if any.
    #[inline]
    fn edit(
        &mut self,
        object: usize,
        direction: Direction,
        record: u32,
        synced: bool,
        mark: Option<usize>,
    ) {
        let q = queue_index(object, direction);
        self.counters[q].edits += 1;
        let o = &self.sc.objects[object];
        if !self.object_enabled[object]
            || (o.filter_pass < 1.0
                && !seeds::passes_filter(self.seed, object, record, o.filter_pass))
        {
            self.counters[q].filtered += 1;
            return;
        }
        if let Some(slot) = self.pending[q].get(record) {
            self.counters[q].coalesced += 1;
            let requeue = self.sc.sync.requeue;
            let entry = &mut self.entries[slot as usize];
            entry.update |= synced;
            if requeue {
                let order = self.next_order;
                self.next_order += 1;
                entry.order = order;
                let queue = &mut self.queues[q];
                queue.items.push_back((order, slot));
                if queue.items.len() as u64 > 2 * queue.queued + 1024 {
                    compact(queue, &self.entries);
                }
            }
            if let Some(k) = mark {
                self.mark(slot, k);
            }
        } else {
            let order = self.next_order;
            self.next_order += 1;
            let e = self.alloc(Entry {
                order,
                created: self.now,
                marks: 0,
                record,
                queue: q as u16,
                update: synced,
                state: EntryState::Queued,
            });
            self.pending[q].insert(record, e);
            let queue = &mut self.queues[q];
            queue.items.push_back((order, e));
            queue.queued += 1;
            self.counters[q].entries_created += 1;
            self.object_backlog[object] += 1;
            self.total_backlog += 1;
            if self.total_backlog > self.max_backlog {
                self.max_backlog = self.total_backlog;
                self.max_backlog_at = self.now;
            }
            if let Some(k) = mark {
                self.mark(e, k);
            }
        }
    }

    fn mark(&mut self, e: u32, k: usize) {
        let bit = 1u64 << k;
        let entry = &mut self.entries[e as usize];
        if entry.marks & bit == 0 {
            entry.marks |= bit;
            self.tracked[k].outstanding += 1;
            self.tracked[k].outcome.entries += 1;
        }
    }

    fn alloc(&mut self, entry: Entry) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.entries[i as usize] = entry;
                i
            }
            None => {
                self.entries.push(entry);
                (self.entries.len() - 1) as u32
            }
        }
    }

    /// Runs every edit of tracked bulk event `k` due now, then schedules its next instant.
    fn bulk_edits(&mut self, k: usize) {
        let event = &self.sc.events[self.tracked[k].event];
        let EventKind::BulkUpdate {
            object,
            direction,
            count,
            spread,
            selection,
            first_record,
            synced_fields,
        } = event.kind
        else {
            unreachable!("bulk happenings belong to bulk updates")
        };
        let at = event.at;
        if self.tracked[k].next == 0 {
            self.begin_tracked(k);
        }
        let q = queue_index(object, direction);
        while self.tracked[k].next < count {
            let i = self.tracked[k].next;
            let t = at + edit_offset(i, count, spread);
            if t > self.now {
                self.schedule(t, Happening::Bulk(k as u32));
                return;
            }
            let record = match selection {
                Selection::Sequential => first_record + i,
                Selection::Random => self.tracked[k].ids[i as usize],
            };
            self.tracked[k].next += 1;
            self.tracked[k].outcome.edits += 1;
            self.counters[q].bulk_edits += 1;
            self.edit(object, direction, record, synced_fields, Some(k));
        }
        self.end_tracked(k);
    }

    /// The instant just before the event's first edit: its recovery baseline.
    fn begin_tracked(&mut self, k: usize) {
        self.tracked[k].outcome.baseline_backlog = self.total_backlog;
    }

    /// The event's last edit has happened.
    fn end_tracked(&mut self, k: usize) {
        let t = &mut self.tracked[k];
        t.edits_done = true;
        t.ids = Vec::new();
        if t.outstanding == 0 {
            t.outcome.clear = Some(self.now);
        }
        if self.total_backlog <= t.outcome.baseline_backlog {
            t.outcome.recovery = Some(self.now);
        }
    }

    fn enable_object(&mut self, k: usize, object: usize) {
        self.begin_tracked(k);
        self.object_enabled[object] = true;
        let records = self.sc.objects[object].records;
        for d in Direction::ALL {
            if !self.sc.objects[object].syncs[d as usize] {
                continue;
            }
            let q = queue_index(object, d);
            for record in 0..records {
                self.tracked[k].outcome.edits += 1;
                self.counters[q].bulk_edits += 1;
                self.edit(object, d, record, true, Some(k));
            }
        }
        self.end_tracked(k);
        // New work may be eligible for workers idle within an active cycle: they wait for the
        // next cycle like any other new work.
    }

    // ----- the sync -----

    fn scenario_event(&mut self, i: usize) {
        match self.sc.events[i].kind {
            EventKind::BulkUpdate { .. } => {
                let k = self.tracked_of_event[i].expect("bulk updates are tracked");
                self.bulk_edits(k);
            }
            EventKind::EnableObject { object } => {
                let k = self.tracked_of_event[i].expect("enable_object events are tracked");
                self.enable_object(k, object);
            }
            EventKind::SyncDisabled { .. } => self.set_enabled(false),
            EventKind::SyncEnabled => self.set_enabled(true),
            EventKind::SetThroughput { throughput } => {
                let was_stalled = self.throughput_micro == 0;
                self.throughput_micro = to_micro(throughput);
                if was_stalled {
                    self.resume();
                }
            }
            EventKind::SetWorkers { workers } => {
                let workers = workers as usize;
                while self.workers.len() < workers {
                    self.workers.push(Worker::default());
                }
                let added = workers > self.active_workers;
                let old = self.active_workers;
                self.active_workers = workers;
                if added && self.busy_workers > 0 {
                    // A cycle is running: the new lanes join it at once. A lane removed
                    // earlier may still be finishing its batch; it carries on when done.
                    for w in old..workers {
                        if !self.workers[w].busy {
                            self.look(w);
                        }
                    }
                }
            }
        }
    }

    fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        if !enabled {
            // Cancel a pending look; running batches finish, then workers stay idle.
            self.wake_generation += 1;
            self.wake_pending = false;
        } else {
            self.resume();
        }
    }

    /// The sync comes back (enabled again, or throughput above zero again) and looks at once:
    /// every idle worker tries to start a batch, even while others still finish theirs.
    fn resume(&mut self) {
        if self.enabled && self.throughput_micro > 0 && !self.wake_pending {
            self.start_cycle();
        }
    }

    /// The sync looks for work: every idle worker tries to start a batch.
    fn start_cycle(&mut self) {
        self.cycles += 1;
        for w in 0..self.active_workers {
            if !self.workers[w].busy {
                self.look(w);
            }
        }
        if self.busy_workers == 0 {
            self.empty_looks += 1;
            self.wait_for_next_cycle();
        }
    }

    fn wait_for_next_cycle(&mut self) {
        if self.enabled && self.throughput_micro > 0 && !self.wake_pending {
            self.wake_pending = true;
            self.wake_generation += 1;
            let generation = self.wake_generation;
            self.schedule(
                self.now + self.sc.sync.cycle_wait,
                Happening::Wake(generation),
            );
        }
    }

    /// Worker `w` tries to start a batch; returns whether it did.
    fn look(&mut self, w: usize) -> bool {
        debug_assert!(!self.workers[w].busy, "a busy worker never looks for work");
        if !self.enabled || self.throughput_micro == 0 || w >= self.active_workers {
            return false;
        }
        let mut batch = std::mem::take(&mut self.workers[w].batch);
        batch.clear();
        self.pick_batch(&mut batch);
        if batch.is_empty() {
            self.workers[w].batch = batch;
            return false;
        }
        let cost: u64 = batch
            .iter()
            .map(|&e| {
                if self.entries[e as usize].update {
                    UPDATE_COST_MICRO
                } else {
                    self.skip_cost_micro
                }
            })
            .sum();
        let work = (cost as u128 * HOUR as u128).div_ceil(self.throughput_micro as u128);
        let duration =
            (work.min(u64::MAX as u128 / 2) as Millis + self.sc.sync.batch_overhead).max(1);
        self.workers[w].batch = batch;
        self.workers[w].busy = true;
        self.busy_workers += 1;
        self.batches += 1;
        self.schedule(
            self.now.saturating_add(duration),
            Happening::BatchDone(w as u32),
        );
        true
    }

    fn complete_batch(&mut self, w: usize) {
        let batch = std::mem::take(&mut self.workers[w].batch);
        let now = self.now;
        let hour = (now / HOUR) as usize;
        let nq = self.queues.len();
        for &e in &batch {
            let entry = self.entries[e as usize];
            let q = entry.queue as usize;
            self.queues[q].in_flight -= 1;
            self.object_backlog[q / 2] -= 1;
            self.total_backlog -= 1;
            let kind = if entry.update {
                self.counters[q].synced += 1;
                self.latencies[q].push(now - entry.created);
                0
            } else {
                self.counters[q].skipped += 1;
                1
            };
            self.hourly_done[(hour * nq + q) * 2 + kind] += 1;
            if entry.marks != 0 {
                let mut marks = entry.marks;
                while marks != 0 {
                    let k = marks.trailing_zeros() as usize;
                    marks &= marks - 1;
                    let t = &mut self.tracked[k];
                    t.outstanding -= 1;
                    if entry.update {
                        t.outcome.synced += 1;
                    } else {
                        t.outcome.skipped += 1;
                    }
                    if t.outstanding == 0 && t.edits_done && t.outcome.clear.is_none() {
                        t.outcome.clear = Some(now);
                    }
                }
            }
            self.entries[e as usize].state = EntryState::Free;
            self.free.push(e);
        }
        for t in &mut self.tracked {
            if t.edits_done
                && t.outcome.recovery.is_none()
                && self.total_backlog <= t.outcome.baseline_backlog
            {
                t.outcome.recovery = Some(now);
            }
        }
        self.workers[w].batch = batch;
        self.workers[w].busy = false;
        self.busy_workers -= 1;
        if self.look(w) {
            // Work is still eligible: lanes that found none earlier in this cycle join in.
            for other in 0..self.active_workers {
                if !self.workers[other].busy && !self.look(other) {
                    break;
                }
            }
        } else if self.busy_workers == 0 {
            self.wait_for_next_cycle();
        }
    }

    /// Fills `batch` with up to a batch of eligible queued entries, per the policy.
    fn pick_batch(&mut self, batch: &mut Vec<u32>) {
        let limit = self.sc.sync.batch_size as usize;
        let eligible: Vec<bool> = (0..self.sc.objects.len())
            .map(|o| self.is_eligible(o))
            .collect();
        let mut drain = std::mem::take(&mut self.drain);
        drain.pick(
            &self.sc.sync.policy,
            &eligible,
            limit,
            &mut |objects: &[usize], n: usize, out: &mut Vec<u32>| {
                self.take_oldest(objects, n, out)
            },
            batch,
        );
        self.drain = drain;
    }

    /// Whether object `o` has queued entries and is not held back by its gate.
    fn is_eligible(&self, o: usize) -> bool {
        let queued = self.queues[o * 2].queued + self.queues[o * 2 + 1].queued;
        queued > 0 && self.sc.sync.gates[o].is_none_or(|g| self.object_backlog[g] == 0)
    }

    /// Moves up to `n` of the oldest queued entries of `objects` (both directions) into `out`;
    /// returns how many.
    fn take_oldest(&mut self, objects: &[usize], n: usize, out: &mut Vec<u32>) -> usize {
        // Heads of the candidate queues, by order key; only the popped queue's head changes.
        let mut heads: Vec<(u64, usize)> = Vec::with_capacity(objects.len() * 2);
        for &o in objects {
            for q in [o * 2, o * 2 + 1] {
                if let Some(order) = self.head(q) {
                    heads.push((order, q));
                }
            }
        }
        let mut taken = 0;
        while taken < n && !heads.is_empty() {
            let (i, &(_, q)) = heads
                .iter()
                .enumerate()
                .min_by_key(|(_, (order, _))| *order)
                .expect("heads is not empty");
            let (_, e) = self.queues[q].items.pop_front().expect("head exists");
            // Mark it taken now so a later head check in this batch cannot see it.
            let entry = &mut self.entries[e as usize];
            entry.state = EntryState::InFlight;
            let record = entry.record;
            self.queues[q].queued -= 1;
            self.queues[q].in_flight += 1;
            self.pending[q].remove(record);
            out.push(e);
            taken += 1;
            match self.head(q) {
                Some(order) => heads[i].0 = order,
                None => {
                    heads.swap_remove(i);
                }
            }
        }
        taken
    }

    /// The order of the first live item of queue `q`, dropping stale items before it.
    #[inline]
    fn head(&mut self, q: usize) -> Option<u64> {
        let queue = &mut self.queues[q];
        if queue.queued == 0 {
            queue.items.clear();
            return None;
        }
        while let Some(&(order, e)) = queue.items.front() {
            let entry = &self.entries[e as usize];
            if entry.state == EntryState::Queued && entry.order == order {
                return Some(order);
            }
            queue.items.pop_front();
        }
        None
    }

    fn finish(self) -> RunResult {
        let nq = self.queues.len();
        let mut pending_end = vec![PendingAtEnd::default(); nq];
        for (q, queue) in self.queues.iter().enumerate() {
            pending_end[q].queued = queue.queued;
            pending_end[q].in_flight = queue.in_flight;
        }
        for entry in &self.entries {
            if entry.state != EntryState::Free {
                let p = &mut pending_end[entry.queue as usize];
                let age = self.sc.horizon - entry.created;
                p.oldest_age = Some(p.oldest_age.map_or(age, |a: Millis| a.max(age)));
            }
        }
        let mut events: Vec<EventOutcome> = Vec::with_capacity(self.tracked.len());
        let mut still = vec![0u64; self.tracked.len()];
        for entry in &self.entries {
            if entry.state != EntryState::Free && entry.marks != 0 {
                let mut m = entry.marks;
                while m != 0 {
                    still[m.trailing_zeros() as usize] += 1;
                    m &= m - 1;
                }
            }
        }
        for (k, t) in self.tracked.into_iter().enumerate() {
            let mut outcome = t.outcome;
            outcome.still_pending = still[k];
            events.push(outcome);
        }
        let mut latency = Vec::with_capacity(nq);
        let mut latency_by_object = Vec::with_capacity(nq / 2);
        let mut latencies = self.latencies;
        for pair in latencies.chunks_mut(2) {
            let to_marketing = LatencySummary::from_samples(&mut pair[0]);
            let to_crm = LatencySummary::from_samples(&mut pair[1]);
            // An object that syncs one way has the same summary overall: no second pass.
            let both = match (to_marketing, to_crm) {
                (Some(_), Some(_)) => {
                    let mut both: Vec<Millis> =
                        pair[0].iter().chain(pair[1].iter()).copied().collect();
                    LatencySummary::from_samples(&mut both)
                }
                (one, None) | (None, one) => one,
            };
            latency.push(to_marketing);
            latency.push(to_crm);
            latency_by_object.push(both);
        }
        RunResult {
            seed: self.seed,
            horizon: self.sc.horizon,
            sample_interval: self.sc.sample_interval,
            counters: self.counters,
            sample_times: self.sample_times,
            samples: self.samples,
            hourly_backlog: self.hourly_backlog,
            hourly_done: self.hourly_done,
            latency,
            latency_by_object,
            pending_end,
            events,
            max_backlog: self.max_backlog,
            max_backlog_at: self.max_backlog_at,
            batches: self.batches,
            cycles: self.cycles,
            empty_looks: self.empty_looks,
        }
    }
}

/// Drops stale items (requeued or taken entries) from a queue.
fn compact(queue: &mut Queue, entries: &[Entry]) {
    queue.items.retain(|&(order, e)| {
        let entry = &entries[e as usize];
        entry.state == EntryState::Queued && entry.order == order
    });
}

/// Cost units as integer millionths, so batch durations are exact integer arithmetic.
fn to_micro(units: f64) -> u64 {
    (units * 1e6).round() as u64
}

/// Offset of edit `i` of `count` spread evenly over `spread`: `floor(i * spread / count)`.
#[inline]
pub fn edit_offset(i: u32, count: u32, spread: Millis) -> Millis {
    ((i as u128 * spread as u128) / count as u128) as Millis
}

/// Offset of the last of `count` edits spread over `spread`.
pub fn last_offset(count: u32, spread: Millis) -> Millis {
    if count == 0 {
        0
    } else {
        edit_offset(count - 1, count, spread)
    }
}
