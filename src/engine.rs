//! The deterministic core: a discrete-event simulation of one sync over the scenario's horizon.
//!
//! [`simulate`] is a pure function of (validated scenario, seed): it reads no file, clock or
//! environment. Time is integer milliseconds; events run in (time, sequence) order, the
//! sequence being assigned when an event is scheduled (docs/model.md, Clock and event order).
//!
//! A run is one `Sim`: the clock, the event heap and the run loop, here, and one struct of
//! state per room, each room in a file of its own with the `impl Sim` methods it needs:
//! - `entries.rs` (`Entries`): the entries and their queues, and what an edit does to them;
//! - `edits.rs` (`Edits`): where edits come from: background streams, bulk updates, objects
//!   enabled, the backlog at the start; `creations.rs`: an edit that creates a record;
//! - `batch.rs` (`SyncState`): cycles, workers and batches; `policy.rs` chooses the objects;
//! - `retry.rs` (`Retries`): failed attempts, the retry and timeout queues, suppression;
//! - `api.rs` (`ApiBudget`): the rolling 24-hour window of calls and the pause it imposes,
//!   with `windows.rs` for short windows, the concurrency cap and 429s;
//! - `events.rs` (`Tracking`): scenario events, and the clear and recovery times of those
//!   that make edits;
//! - `observe.rs` (`Observer`): samples and counts, the audit, and the [`RunResult`] at the
//!   end, with `latency.rs` for the latency summaries;
//! - `caused.rs` (`Caused`): cascades and echoes, edits that edits and synced updates cause;
//!
//! and beside them `memory.rs` and `work.rs` (the memory and work estimates made before a
//! run), `arrivals.rs` (a Poisson stream), `seeds.rs`, and the data structures `pending.rs`,
//! `fifo.rs`, `next_edits.rs`, `draw_ahead.rs`, `shared_edits.rs` (background edits drawn
//! once for many runs).
//!
//! Data layout, chosen for millions of records and edits (measurements in
//! `docs/performance.md`):
//! - each (object, direction) is one `Queue`, found by its [`QueueId`](crate::scenario::QueueId):
//!   its FIFO, its counts, its counters, the latencies of its synced updates, and its pending
//!   index (`engine/pending.rs`), which says which records have an entry an edit would
//!   coalesce into, and which: below four million records a bitmap (small enough to stay in
//!   cache) and a dense array of slab indices read only when the bit is set; above, a table
//!   of the records pending, sized to the backlog rather than the population;
//! - entries (32 bytes) live in a slab whose free slots form a stack kept in them, so the steady
//!   state allocates nothing;
//! - FIFOs hold `(order, entry)` items in blocks (`engine/fifo.rs`); a requeue pushes a new
//!   item and leaves the old one stale (lazy deletion: an item is live while its order equals
//!   the entry's), and stale items are dropped when they make a third of a FIFO. Under the
//!   `fifo` policy without gates every queue shares one FIFO, so a batch is its front;
//!   otherwise a batch merges the eligible queues' FIFOs by order;
//! - at a hundred times the reference scale that state is gigabytes, touched at random, so
//!   the engine fetches what an edit will touch a few dozen edits ahead (the helper thread
//!   knows the records to come), and a batch fetches the entries and index cells a dozen
//!   items ahead of the FIFO's front;
//! - background edits (most events) stay out of the event heap: each stream's next edit sits
//!   in a small heap of its own (`engine/next_edits.rs`), or, when a run may use a second
//!   thread, a helper draws and merges every stream's edits ahead of the engine
//!   (`engine/draw_ahead.rs`). The event heap holds the rest (batches, looks, bulk updates,
//!   scenario events), so it stays small however many edits a run has.

pub mod api;
pub mod arrivals;
mod batch;
mod caused;
mod creations;
mod draw_ahead;
mod edits;
mod entries;
mod events;
mod fifo;
mod latency;
mod memory;
mod next_edits;
mod observe;
mod pending;
pub mod policy;
mod retry;
pub mod seeds;
pub mod shared_edits;
mod sizing;
mod windows;
mod work;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::metrics::RunResult;
use crate::scenario::Scenario;
use crate::units::Millis;
use api::ApiBudget;
use batch::SyncState;
use caused::Caused;
use edits::{edit_streams, Drawn, Edits};
use entries::{Entries, Entry, Queues};
use events::{Settled, Tracking};
use next_edits::NEVER;
use observe::Observer;
use retry::Retries;

pub use edits::{edit_offset, last_offset, EditEvent, EditSource, RecordedEdit, ReplaySources};

pub use memory::{memory_estimate, MemoryEstimate};

/// The most events one simulation may take, whatever `--max-events` says: its entries are
/// numbered in 40 bits (`engine/entries.rs`), about 1.1 x 10^12, a hundred times the
/// default cap. `load::check_work` refuses a scenario whose work estimate is above it.
pub const MAX_SIMULATION_EVENTS: u64 = entries::MAX_ORDERS;
pub use shared_edits::SharedEdits;
pub use work::{events_text, WorkEstimate};

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
    /// Step `k` (the `k`-th minute) of the `api_calls` burst of scenario event `i`: `(i, k)`.
    ApiBurst(u32, u32),
    /// The edits a cascade or echo caused, waiting in slot `i` (`engine/caused.rs`).
    Caused(u32),
    /// Worker `i`'s batch tries its calls again after a 429 (`engine/windows.rs`).
    BatchRetry(u32),
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
    /// Check the engine's invariants as it runs and panic with the first broken one: events are
    /// handled in strictly increasing (time, sequence) order, and at every sample point every
    /// record is conserved (docs/model.md, Conservation), the queue counts match the entries,
    /// and a record has at most one entry an edit could coalesce into (so never one both
    /// pending and waiting for a retry). A full scan of the entries per sample: for tests.
    pub audit: bool,
    /// Keep every queue's entries in a FIFO of its own and merge them for each batch, even
    /// under the `fifo` policy without gates, where one FIFO shared by all queues gives the
    /// same batches with less work: for tests that show the two agree.
    pub separate_fifos: bool,
    /// Keep every queue's pending index hashed, however small its population, where a
    /// population below a few million records has dense arrays: for tests that show the two
    /// layouts give the same run.
    pub hashed_index: bool,
    /// Draw the generated background edits on a second thread, a few thousand ahead of the
    /// simulation, and compute half the latency summaries there, so that one run uses two
    /// cores. The run is the same either way (tested); worth it for a single run on an
    /// otherwise idle machine, not for replications that already keep every core busy.
    /// Recorded edits (`replay`) are read, not drawn, so only the summaries use it then.
    pub draw_ahead: bool,
    /// Stops the run early once set: checked at each sample point and hourly bucket (never
    /// per edit), so a caller can stop a run that is no longer wanted or over its time cap.
    /// The engine reads no clock: whoever sets the flag decides when. The result of a
    /// stopped run is incomplete and must be discarded ([`RunResult::horizon`] still
    /// reads the scenario's horizon); check the flag after the run to know.
    pub cancel: Option<&'a AtomicBool>,
    /// Background edits drawn once for every run with the same streams
    /// ([`SharedEdits::draw`]): read instead of drawn, so that the planner's candidates of a
    /// sync knob draw a replication's edits once. The run is the same either way (tested).
    /// The edits must fit the run ([`SharedEdits::fits`]: a broken promise panics).
    /// Recorded edits (`replay`) take precedence.
    pub shared_edits: Option<&'a SharedEdits>,
    /// Stop at the first sample point at which every event that makes edits has cleared and
    /// recovered, rather than at the horizon: for a question about those times alone (a
    /// solve whose target is clear and recovery times), whose answers are final then. The
    /// run's other figures (the backlog at the end, latency, the dashboard) are not the
    /// scenario's and must not be read. A scenario without such events runs to the horizon.
    pub stop_when_settled: bool,
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
    if let Some(shared) = inputs.shared_edits.filter(|_| inputs.replay.is_none()) {
        assert!(
            shared.fits(scenario, seed),
            "shared edits drawn for another scenario or seed"
        );
        let drawn = shared.feed();
        Sim::new(scenario, seed, inputs, workspace, Some(drawn)).run(workspace)
    } else if inputs.draw_ahead && inputs.replay.is_none() {
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
}

/// One run: the clock and event heap, and the state of each room (see the module
/// documentation). Methods live in `impl Sim` blocks in the file of the room they serve.
struct Sim<'a> {
    sc: &'a Scenario,
    seed: u64,
    /// The clock: the instant of the event being handled.
    now: Millis,
    /// Every scheduled event but background edits, earliest (time, sequence) first.
    heap: BinaryHeap<Reverse<Scheduled>>,
    /// The last sequence number given (events and background edits share the count).
    seq: u64,
    /// The end of the run: the horizon, or for a run "until clear" the cap until the
    /// whole hour after everything cleared is known (docs/model.md, Until clear).
    end: Millis,
    /// The run goes until clear and has not cleared yet.
    until_clear: bool,
    /// Check invariants as the run goes ([`Inputs::audit`]).
    audit: bool,
    /// Stop once every tracked event has cleared and recovered ([`Inputs::stop_when_settled`]).
    stop_when_settled: bool,
    /// (time, sequence) of the last event handled, when auditing.
    last_key: u128,
    /// Stop early once set ([`Inputs::cancel`]).
    cancel: Option<&'a AtomicBool>,

    /// The entries, their queues and the backlog (`entries.rs`).
    entries: Entries,
    /// Where edits come from (`edits.rs`).
    edits: Edits<'a>,
    /// The sync: its workers, cycles and drain policy (`batch.rs`).
    sync: SyncState,
    /// Errors, the retry and timeout queues, suppression (`retry.rs`).
    retries: Retries,
    /// The API budget (`api.rs`).
    budget: ApiBudget,
    /// Scenario events that make edits, and their progress (`events.rs`).
    tracking: Tracking,
    /// Measurements (`observe.rs`).
    observer: Observer,
    /// Cascades and echoes (`caused.rs`).
    caused: Caused,
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
        let mut sim = Sim {
            sc,
            seed,
            now: 0,
            heap: BinaryHeap::with_capacity(64),
            seq: 0,
            end: sc.horizon,
            until_clear: sc.until_clear,
            audit: inputs.audit,
            stop_when_settled: inputs.stop_when_settled
                && !sc.events.iter().all(|e| !e.kind.makes_edits()),
            last_key: 0,
            cancel: inputs.cancel,
            entries: Entries::new(sc, ws, inputs.separate_fifos, inputs.hashed_index),
            edits: Edits::new(inputs.on_edit),
            sync: SyncState::new(sc),
            retries: Retries::new(sc, seed),
            budget: ApiBudget::new(sc),
            tracking: Tracking::new(sc, seed),
            observer: Observer::new(sc, inputs.draw_ahead),
            caused: Caused::new(sc, seed),
        };
        // The order of these steps is the order of their first events' sequence numbers,
        // which breaks ties at an instant (docs/model.md, Clock and event order).
        sim.first_look();
        sim.schedule_events();
        sim.schedule_first_night();
        sim.schedule_background_calls();
        sim.start_edits(inputs.replay, drawn);
        sim.load_initial_backlog();
        // Everything pending now is the backlog at the start, first read at 0 h.
        sim.observer.initial_pending = sim.entries.total_backlog;
        // With nothing to wait for, a run until clear is clear at once.
        sim.check_all_clear();
        sim
    }

    /// Schedules `what` at `time`, after everything scheduled before it for that instant.
    #[inline]
    fn schedule(&mut self, time: Millis, what: Happening) {
        self.seq += 1;
        self.heap.push(Reverse(Scheduled {
            time,
            seq: self.seq,
            what,
        }));
    }

    /// The time of the earliest pending event other than the one running: the heap's top or
    /// a stream's next edit.
    pub(super) fn next_other_time(&self) -> Millis {
        let heap = self.heap.peek().map_or(Millis::MAX, |Reverse(e)| e.time);
        let streams = self.next_edit_key();
        heap.min((streams >> 64) as Millis)
    }

    /// Runs every event before the end of the run in (time, sequence) order, then observes
    /// the end and returns the result, giving the large buffers back to `ws`. The end is the
    /// horizon, or for a run until clear it comes nearer once everything has cleared (only a
    /// batch completion or the last edit of an event moves it, never a background edit).
    fn run(mut self, ws: &mut Workspace) -> RunResult {
        // The earliest stream edit; only a background edit changes it.
        let mut stream_at = self.next_edit_key();
        loop {
            let horizon = self.end;
            let heap_at = self
                .heap
                .peek()
                .map_or(NEVER, |Reverse(e)| key(e.time, e.seq));
            if !self.audit && !self.caused.fires_on_edit {
                // Most events are background edits, and an edit schedules nothing (unless a
                // cascade watches edits): until the heap's next event or the next sample, run
                // them in a tight loop.
                let observe = self
                    .observer
                    .next_sample
                    .min(self.observer.next_hour)
                    .min(horizon);
                let until = heap_at.min(key(observe, 0));
                while stream_at < until {
                    self.now = (stream_at >> 64) as Millis;
                    self.background_edit::<false>();
                    stream_at = self.next_edit_key();
                }
            }
            let time = (stream_at.min(heap_at) >> 64) as Millis;
            if time >= horizon {
                break;
            }
            if time >= self.observer.next_sample || time >= self.observer.next_hour {
                if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
                    || (self.stop_when_settled && self.tracking.settled())
                {
                    break;
                }
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
                if self.caused.fires_on_edit {
                    self.background_edit::<true>();
                } else {
                    self.background_edit::<false>();
                }
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
                Happening::ApiBurst(i, k) => self.api_burst(i as usize, k),
                Happening::Caused(slot) => self.caused_edits(slot),
                Happening::BatchRetry(w) => self.batch_retry(w as usize),
            }
        }
        self.now = self.end;
        self.observe_until(self.end);
        self.finish(ws)
    }
}
