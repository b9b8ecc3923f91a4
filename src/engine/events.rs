//! Scenario events: what each does when its time comes, and the progress of those that make
//! edits (bulk updates, objects enabled) towards their clear and recovery times
//! (docs/model.md, Metrics).
//!
//! Every entry an event created or coalesced into carries the event's bit in its marks, and
//! the event counts those still pending or in flight: it clears at the first instant after
//! its last edit at which none is left. Recovery is checked at its last edit and at every
//! batch completion.

use rand::seq::index;

use super::{last_offset, seeds, Happening, Sim};
use crate::metrics::EventOutcome;
use crate::scenario::{EventKind, Scenario, Selection};
use crate::units::HOUR;

/// Progress of one bulk update or object enabling, for clear and recovery times.
#[derive(Debug)]
pub(super) struct TrackedEvent {
    /// Index of the scenario event.
    pub(super) event: usize,
    /// What the run measured of it, filled in as it goes.
    pub(super) outcome: EventOutcome,
    /// Entries marked by the event and not yet completed.
    pub(super) outstanding: u64,
    /// All its edits have happened.
    pub(super) edits_done: bool,
    /// Ids a random bulk update edits, in ascending order.
    pub(super) ids: Vec<u32>,
    /// Index of the next edit.
    pub(super) next: u32,
}

/// How an event's entry stopped being pending or in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settled {
    Synced,
    Skipped,
    Errored,
}

/// The scenario events that make edits, tracked; bit `k` of an entry's marks is `events[k]`.
pub(crate) struct Tracking {
    /// In scenario event order.
    pub(super) events: Vec<TrackedEvent>,
    /// Index in `events` of each scenario event, if it makes edits.
    of_event: Vec<Option<usize>>,
}

impl Tracking {
    /// The events of `sc` that make edits, none begun.
    pub(super) fn new(sc: &Scenario, seed: u64) -> Self {
        let mut tracking = Tracking {
            events: Vec::new(),
            of_event: vec![None; sc.events.len()],
        };
        for (i, e) in sc.events.iter().enumerate() {
            if e.kind.makes_edits() {
                tracking.of_event[i] = Some(tracking.events.len());
                tracking.events.push(TrackedEvent::new(sc, seed, i));
            }
        }
        tracking
    }
}

impl Tracking {
    /// Whether every tracked event has cleared and recovered: their clear and recovery times
    /// are final ([`super::Inputs::stop_when_settled`]).
    pub(super) fn settled(&self) -> bool {
        self.events
            .iter()
            .all(|t| t.outcome.clear.is_some() && t.outcome.recovery.is_some())
    }
}

impl TrackedEvent {
    /// Event `event` of `sc`, before its first edit; a random bulk update draws its ids.
    fn new(sc: &Scenario, seed: u64, event: usize) -> Self {
        let e = &sc.events[event];
        let (object, count, last) = match e.kind {
            EventKind::BulkUpdate {
                object,
                count,
                spread,
                ..
            } => (object, count, e.at + last_offset(count, spread)),
            EventKind::EnableObject { object } => (object, sc.objects[object].records, e.at),
            _ => unreachable!("only events that make edits are tracked"),
        };
        let ids = match e.kind {
            EventKind::BulkUpdate {
                selection: Selection::Random,
                object,
                count,
                ..
            } => {
                let mut rng = seeds::stream_rng(seed, seeds::tag::BULK, event as u64);
                let mut ids: Vec<u32> = index::sample(
                    &mut rng,
                    sc.objects[object].records as usize,
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
        TrackedEvent {
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
                errored: 0,
                superseded: 0,
            },
            outstanding: 0,
            edits_done: count == 0,
            ids,
            next: 0,
        }
    }
}

impl Sim<'_> {
    /// Schedules every scenario event, and the automatic end of each outage with a duration.
    pub(super) fn schedule_events(&mut self) {
        let sc = self.sc;
        for (i, e) in sc.events.iter().enumerate() {
            self.schedule(e.at, Happening::Scenario(i as u32));
            if let EventKind::SyncDisabled { duration: Some(d) } = e.kind {
                if e.at + d < sc.horizon {
                    self.schedule(e.at + d, Happening::Reenable(i as u32));
                }
            }
        }
    }

    /// An errored entry is pending again: the events that marked it are not clear.
    pub(super) fn reopen_marks(&mut self, e: u32) {
        let mut marks = self.entries.slab[e as usize].marks;
        while marks != 0 {
            let k = marks.trailing_zeros() as usize;
            marks &= marks - 1;
            self.tracking.events[k].outstanding += 1;
        }
    }

    /// Entry `e` of an event stops being pending or in flight (completed or errored).
    pub(super) fn settle_marks(&mut self, e: u32, outcome: Settled) {
        let mut marks = self.entries.slab[e as usize].marks;
        while marks != 0 {
            let k = marks.trailing_zeros() as usize;
            marks &= marks - 1;
            let t = &mut self.tracking.events[k];
            t.outstanding -= 1;
            match outcome {
                Settled::Synced => t.outcome.synced += 1,
                Settled::Skipped => t.outcome.skipped += 1,
                Settled::Errored => {}
            }
            if t.outstanding == 0 && t.edits_done && t.outcome.clear.is_none() {
                t.outcome.clear = Some(self.now);
            }
        }
    }

    /// An edit of tracked event `k` coalesced into entry `e`: the event now waits for it too.
    pub(super) fn mark(&mut self, e: u32, k: usize) {
        let bit = 1u64 << k;
        let entry = &mut self.entries.slab[e as usize];
        if entry.marks & bit == 0 {
            entry.marks |= bit;
            self.tracking.events[k].outstanding += 1;
            self.tracking.events[k].outcome.entries += 1;
        }
    }

    /// The instant just before the event's first edit: its recovery baseline.
    pub(super) fn begin_tracked(&mut self, k: usize) {
        self.tracking.events[k].outcome.baseline_backlog = self.entries.total_backlog;
    }

    /// The event's last edit has happened.
    pub(super) fn end_tracked(&mut self, k: usize) {
        let t = &mut self.tracking.events[k];
        t.edits_done = true;
        t.ids = Vec::new();
        if t.outstanding == 0 {
            t.outcome.clear = Some(self.now);
        }
        if self.entries.total_backlog <= t.outcome.baseline_backlog {
            t.outcome.recovery = Some(self.now);
        }
        self.check_all_clear();
    }

    /// A run until clear ends at the first whole hour after everything cleared: every event
    /// that makes edits has cleared and recovered, and no record of the backlog at the start
    /// is pending (docs/model.md, Until clear). Checked at each batch completion and each
    /// event's last edit, the only instants any of these can change; the cap stays the end
    /// if the instant never comes. Inlined as one test of a flag, so a run with a fixed
    /// horizon pays nothing more per batch.
    #[inline(always)]
    pub(super) fn check_all_clear(&mut self) {
        if self.until_clear {
            self.end_if_all_clear();
        }
    }

    /// [`Self::check_all_clear`]'s check, out of the batch's path.
    #[inline(never)]
    fn end_if_all_clear(&mut self) {
        if self.observer.initial_pending > 0 || !self.tracking.settled() {
            return;
        }
        self.until_clear = false;
        self.end = self.end.min((self.now / HOUR + 1) * HOUR);
    }

    /// Scenario event `i` happens.
    pub(super) fn scenario_event(&mut self, i: usize) {
        match self.sc.events[i].kind {
            EventKind::BulkUpdate { .. } => {
                let k = self.tracking.of_event[i].expect("bulk updates are tracked");
                self.bulk_edits(k);
            }
            EventKind::EnableObject { object } => {
                let k = self.tracking.of_event[i].expect("enable_object events are tracked");
                self.enable_object(k, object);
            }
            EventKind::FixErrors { object } => self.fix_errors(object),
            EventKind::RetryErrored { object } => self.retry_errored(object),
            EventKind::SyncDisabled { .. } => self.set_enabled(false),
            EventKind::SyncEnabled => self.set_enabled(true),
            EventKind::SetThroughput { throughput } => self.set_throughput(throughput),
            EventKind::SetWorkers { workers } => self.set_workers(workers as usize),
            EventKind::ApiCalls { .. } => self.api_burst(i, 0),
        }
    }

    /// A batch completed: the events whose edits are all done and whose recovery is not yet
    /// reached recover if the total backlog is back at or under their baseline.
    #[inline]
    pub(super) fn check_recovery(&mut self) {
        for t in &mut self.tracking.events {
            if t.edits_done
                && t.outcome.recovery.is_none()
                && self.entries.total_backlog <= t.outcome.baseline_backlog
            {
                t.outcome.recovery = Some(self.now);
            }
        }
    }
}
