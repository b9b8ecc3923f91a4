//! Errors and retries (docs/model.md, Errors, retries and the API budget): which attempts fail,
//! the retry queue (each errored entry due `retry.interval` after its failure), the timeout
//! queue (retried nightly once an entry has failed `max_attempts` times), due retries going
//! ahead of new work, manual retries, and suppression, which holds retries back while the past
//! 24 hours' API usage is above the threshold.
//!
//! Queues hold `(order, entry)` items like the sync's FIFOs, and an entry that leaves one
//! early (a new edit, a manual retry) leaves its item behind, stale: an item is live while
//! the entry is still in that state with that order.
//!
//! For the reports over time it also tells the observer when a record enters the timeout
//! queue or is released for another attempt, notes each spell of suppression (when it starts
//! and ends), and finds the oldest record waiting in each queue at every whole hour.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use super::entries::{Entry, EntryState};
use super::fifo::Fifo;
use super::{seeds, Happening, Settled, Sim};
use crate::scenario::{QueueId, Scenario};
use crate::units::{Millis, HOUR};

/// Errored entries and their way back into the sync, and what makes attempts fail.
pub(crate) struct Retries {
    /// Due retries of every queue, in the order they became due.
    pub(super) due: Fifo<(u64, u32)>,
    /// Errored entries by due time: (due, order, entry).
    retry_fifo: Fifo<(Millis, u64, u32)>,
    /// Entries waiting for the nightly retry: (order, entry).
    timeout_fifo: Fifo<(u64, u32)>,
    /// A `RetryDue` is scheduled.
    timer: bool,
    /// Some object has an error rate: attempts must be checked.
    pub(super) errors_possible: bool,
    /// Per object: its permanent errors have been fixed.
    errors_fixed: Vec<bool>,
    /// Per queue: the generator of transient errors.
    error_rngs: Vec<Pcg64Mcg>,
    /// Time retries were held back by suppression.
    pub(super) suppression: Suppression,
}

impl Retries {
    /// Empty queues for a run of `sc` with `seed`.
    pub(super) fn new(sc: &Scenario, seed: u64) -> Self {
        Retries {
            due: Fifo::default(),
            retry_fifo: Fifo::default(),
            timeout_fifo: Fifo::default(),
            timer: false,
            errors_possible: sc
                .objects
                .iter()
                .any(|o| o.transient_error_rate > 0.0 || o.permanent_error_fraction > 0.0),
            errors_fixed: vec![false; sc.objects.len()],
            error_rngs: (0..QueueId::count(sc.objects.len()))
                .map(|q| seeds::stream_rng(seed, seeds::tag::ERRORS, q as u64))
                .collect(),
            suppression: Suppression::default(),
        }
    }
}

/// How long retries were held back by suppression (`api.suppressed_h`; docs/model.md,
/// Suppression): the clock runs while a due retry of the retry queue is held back, or while
/// records a held nightly retry left in the timeout queue still wait there (until a nightly
/// retry goes ahead, or they leave through a new edit or `retry_errored`).
#[derive(Debug, Default)]
pub(crate) struct Suppression {
    /// Retries have been held back since then, while they are.
    since: Option<Millis>,
    /// Time held so far, a suppression still running not included.
    total: Millis,
    /// A `SuppressionCheck` is scheduled.
    check: bool,
    /// Due retries of the retry queue are held back.
    retries_held: bool,
    /// Records in the timeout queue whose nightly retry was held back and that still wait.
    nights_held: u64,
    /// They are the timeout-queue entries whose order is below this one (later failures
    /// join the queue with larger orders).
    nights_held_before: u64,
    /// Spells that have ended: (start, end).
    ended: Vec<(Millis, Millis)>,
}

impl Suppression {
    /// Starts or stops the clock at `now` as anything is held back or not.
    fn update(&mut self, now: Millis) {
        let held = self.retries_held || self.nights_held > 0;
        match self.since {
            None if held => self.since = Some(now),
            Some(since) if !held => {
                self.total += now - since;
                self.since = None;
                self.ended.push((since, now));
            }
            _ => {}
        }
    }

    /// Whether due retries of the retry queue are held back at `now`.
    fn set_retries_held(&mut self, held: bool, now: Millis) {
        self.retries_held = held;
        self.update(now);
    }

    /// The nightly retry is held back at `now`: the `waiting` records of the timeout queue,
    /// whose orders are below `before`, wait for the next night.
    fn hold_night(&mut self, waiting: u64, before: u64, now: Millis) {
        self.nights_held = waiting;
        self.nights_held_before = before;
        self.update(now);
    }

    /// A nightly retry went ahead at `now`: the records it held back are gone.
    fn night_goes(&mut self, now: Millis) {
        self.nights_held = 0;
        self.update(now);
    }

    /// The timeout-queue entry with order `order` left the queue early at `now` (a new edit,
    /// a manual retry).
    fn left_timeout(&mut self, order: u64, now: Millis) {
        if self.nights_held > 0 && order < self.nights_held_before {
            self.nights_held -= 1;
            self.update(now);
        }
    }

    /// Time held back up to `end` (the end of the run), a suppression still running included.
    pub(super) fn total(&self, end: Millis) -> Millis {
        self.total + self.since.map_or(0, |since| end - since)
    }

    /// Every spell of suppression up to `end` (the end of the run): when it started and when
    /// it ended, `None` for one still running. A spell that ends at the instant another
    /// starts is one spell.
    pub(super) fn spells(&self, end: Millis) -> Vec<(Millis, Option<Millis>)> {
        let mut spells: Vec<(Millis, Option<Millis>)> = Vec::with_capacity(self.ended.len() + 1);
        let all = self
            .ended
            .iter()
            .map(|&(a, b)| (a, Some(b)))
            .chain(self.since.filter(|&s| s < end).map(|s| (s, None)));
        for (start, stop) in all {
            match spells.last_mut() {
                Some((_, last @ Some(_))) if *last == Some(start) => *last = stop,
                _ => spells.push((start, stop)),
            }
        }
        spells
    }
}

impl Sim<'_> {
    /// Schedules the first nightly retry: at `retry.nightly_at` local time, at or after the
    /// start.
    pub(super) fn schedule_first_night(&mut self) {
        let sc = self.sc;
        let first_night = sc
            .calendar
            .next_time_of_day(sc.start.0, sc.retry.nightly_at as i64)
            - sc.start.0;
        if (first_night as Millis) < sc.horizon {
            self.schedule(first_night as Millis, Happening::Nightly);
        }
    }

    /// The first retry of the retry queue is due (its timer went off).
    pub(super) fn retry_due(&mut self) {
        self.retries.timer = false;
        self.release_retries();
    }

    /// Usage may have fallen below the suppression threshold: release what is due.
    pub(super) fn suppression_check(&mut self) {
        self.retries.suppression.check = false;
        self.release_retries();
    }

    /// `fix_errors`: the permanent errors of `object` are fixed for good. It releases nothing
    /// by itself: waiting records are retried on their schedule.
    pub(super) fn fix_errors(&mut self, object: usize) {
        self.retries.errors_fixed[object] = true;
    }

    /// A new edit of a record waiting in the retry or timeout queue (entry `e` of queue `q`)
    /// makes the entry a normal pending entry again, at the back of its queue, with a fresh
    /// attempt count (docs/model.md, Where a failed entry goes).
    pub(super) fn revive(&mut self, q: QueueId, e: u32) {
        let entry = &mut self.entries.slab[e as usize];
        let queue = &mut self.entries.queues[q];
        let (state, order) = (entry.state(), entry.order());
        if state == EntryState::Retry {
            queue.retry -= 1;
        } else {
            queue.timeout -= 1;
        }
        entry.set_attempts(0);
        entry.set_since(self.observer.next_hour_index);
        queue.queued += 1;
        self.push_queued(e, q);
        self.add_backlog(q.object());
        self.reopen_marks(e);
        if state == EntryState::Retry {
            self.retries_left();
        } else {
            self.retries.suppression.left_timeout(order, self.now);
        }
    }

    /// Whether an attempt to sync `record` of queue `q` fails: `Some(true)` for a permanent
    /// error, `Some(false)` for a transient one.
    pub(super) fn attempt_fails(&mut self, q: QueueId, record: u32) -> Option<bool> {
        let object = q.object();
        let o = &self.sc.objects[object];
        if o.permanent_error_fraction > 0.0
            && !self.retries.errors_fixed[object]
            && seeds::has_permanent_error(self.seed, object, record, o.permanent_error_fraction)
        {
            return Some(true);
        }
        if o.transient_error_rate > 0.0
            && self.retries.error_rngs[q.index()].random::<f64>() < o.transient_error_rate
        {
            return Some(false);
        }
        None
    }

    /// A failed attempt (docs/model.md, Where a failed entry goes): the entry leaves the
    /// backlog for the retry queue, or the timeout queue after `max_attempts` errors; if a
    /// newer entry of the record is already pending, that one carries the change and this one
    /// is dropped.
    pub(super) fn errored(&mut self, e: u32) {
        let entry = self.entries.slab[e as usize];
        let q = entry.queue();
        if let Some(newer) = self.entries.queues[q].pending.get(entry.record) {
            self.entries.queues[q].counters.superseded += 1;
            let newer_pending = matches!(
                self.entries.slab[newer as usize].state(),
                EntryState::Queued | EntryState::Due
            );
            let mut marks = entry.marks;
            while marks != 0 {
                let k = marks.trailing_zeros() as usize;
                marks &= marks - 1;
                let bit = 1u64 << k;
                let t = &mut self.tracking.events[k];
                let carried = self.entries.slab[newer as usize].marks & bit != 0;
                if carried {
                    t.outcome.superseded += 1;
                } else {
                    self.entries.slab[newer as usize].marks |= bit;
                }
                // The failed entry stops holding the event back unless the newer one now
                // holds it in its place (only while pending; an errored newer entry holds
                // it again when it comes back).
                if carried || !newer_pending {
                    t.outstanding -= 1;
                    if t.outstanding == 0 && t.edits_done && t.outcome.clear.is_none() {
                        t.outcome.clear = Some(self.now);
                    }
                }
            }
            self.entries.slab[newer as usize].add_update(true);
            self.release(e);
            return;
        }
        self.settle_marks(e, Settled::Errored);
        let attempts = entry.attempts() + 1;
        let order = self.entries.next_order;
        self.entries.next_order += 1;
        let slot = &mut self.entries.slab[e as usize];
        slot.set_attempts(attempts);
        slot.set_order(order);
        self.entries.queues[q].pending.insert(entry.record, e);
        if attempts >= self.sc.retry.max_attempts {
            if let Some(hour) = self
                .observer
                .hourly_errors
                .get_mut((self.now / HOUR) as usize)
            {
                hour[3] += 1;
            }
            slot.set_state(EntryState::Timeout);
            self.entries.queues[q].timeout += 1;
            self.retries.timeout_fifo.push_back((order, e));
            if self.retries.timeout_fifo.len() % 1024 == 0 {
                let live = self.entries.queues.iter().map(|q| q.timeout).sum();
                let slab = &self.entries.slab;
                drop_stale(&mut self.retries.timeout_fifo, live, |&(order, e)| {
                    live_in(slab, e, order, EntryState::Timeout)
                });
            }
        } else {
            slot.set_state(EntryState::Retry);
            self.entries.queues[q].retry += 1;
            let due = self.now + self.sc.retry.interval;
            self.retries.retry_fifo.push_back((due, order, e));
            if self.retries.retry_fifo.len() % 1024 == 0 {
                let live = self.entries.queues.iter().map(|q| q.retry).sum();
                let slab = &self.entries.slab;
                drop_stale(&mut self.retries.retry_fifo, live, |&(_, order, e)| {
                    live_in(slab, e, order, EntryState::Retry)
                });
            }
            if !self.retries.timer {
                self.retries.timer = true;
                self.schedule(due, Happening::RetryDue);
            }
        }
    }

    /// Whether retries are held back: usage over the past 24 hours above the threshold.
    fn retries_suppressed(&mut self) -> bool {
        let threshold = self.sc.retry.suppression_threshold(&self.sc.api);
        self.budget.window.usage(self.now) as f64 > threshold
    }

    /// Checks again, while retries are held back, at the instant enough calls age out to
    /// bring usage to the threshold if no new call comes in.
    fn schedule_suppression_check(&mut self) {
        if !self.retries.suppression.check {
            let threshold = self.sc.retry.suppression_threshold(&self.sc.api).floor() as u64;
            if let Some(t) = self.budget.window.when_usage_at_most(self.now, threshold) {
                self.retries.suppression.check = true;
                self.schedule(t, Happening::SuppressionCheck);
            }
        }
    }

    /// Whether the first live entry of the retry queue is due, dropping the stale items
    /// before it (of entries a new edit or a manual retry took out of the queue).
    fn retry_due_now(&mut self) -> bool {
        while let Some(&(_, order, e)) = self.retries.retry_fifo.front() {
            let entry = &self.entries.slab[e as usize];
            if entry.state() == EntryState::Retry && entry.order() == order {
                break;
            }
            self.retries.retry_fifo.pop_front();
        }
        self.retries
            .retry_fifo
            .front()
            .is_some_and(|&(due, _, _)| due <= self.now)
    }

    /// Entries left the retry queue early (a new edit, a manual retry): if they were the
    /// held-back due retries, nothing of the retry queue is held back any more.
    fn retries_left(&mut self) {
        if self.retries.suppression.retries_held && !self.retry_due_now() {
            self.retries.suppression.set_retries_held(false, self.now);
        }
    }

    /// Moves every retry that is due into the due FIFO, ahead of new work, unless suppressed.
    fn release_retries(&mut self) {
        if !self.retry_due_now() {
            // Nothing of the retry queue is held back (any more).
            self.retries.suppression.set_retries_held(false, self.now);
        } else if self.retries_suppressed() {
            self.retries.suppression.set_retries_held(true, self.now);
            self.schedule_suppression_check();
            return;
        }
        let mut released = false;
        while let Some(&(due, order, e)) = self.retries.retry_fifo.front() {
            let entry = self.entries.slab[e as usize];
            if entry.state() != EntryState::Retry || entry.order() != order {
                self.retries.retry_fifo.pop_front();
                continue;
            }
            if due > self.now {
                if !self.retries.timer {
                    self.retries.timer = true;
                    self.schedule(due, Happening::RetryDue);
                }
                break;
            }
            self.retries.retry_fifo.pop_front();
            self.entries.queues[entry.queue()].retry -= 1;
            self.make_due(e);
            released = true;
        }
        if released {
            self.retries.suppression.set_retries_held(false, self.now);
            self.look_now();
        }
    }

    /// An errored entry re-enters the sync ahead of new work.
    fn make_due(&mut self, e: u32) {
        let order = self.entries.next_order;
        self.entries.next_order += 1;
        let entry = &mut self.entries.slab[e as usize];
        entry.set_order(order);
        entry.set_state(EntryState::Due);
        entry.set_since(self.observer.next_hour_index);
        if let Some(hour) = self
            .observer
            .hourly_errors
            .get_mut((self.now / HOUR) as usize)
        {
            hour[2] += 1;
        }
        let q = entry.queue();
        self.entries.queues[q].due += 1;
        self.retries.due.push_back((order, e));
        if self.retries.due.len() % 1024 == 0 {
            let live = self.entries.queues.iter().map(|q| q.due).sum();
            let slab = &self.entries.slab;
            drop_stale(&mut self.retries.due, live, |&(order, e)| {
                live_in(slab, e, order, EntryState::Due)
            });
        }
        self.add_backlog(q.object());
        self.reopen_marks(e);
    }

    /// The nightly retry: the whole timeout queue is due, unless retries are suppressed (then
    /// it waits for the next night).
    pub(super) fn nightly(&mut self) {
        // The same local time the next local day: 23 or 25 hours on when the clocks change.
        let sc = self.sc;
        let today = sc.calendar.local_day(sc.instant(self.now).0);
        let next = sc
            .calendar
            .time_of_day_on(today + 1, sc.retry.nightly_at as i64)
            - sc.start.0;
        if (next as Millis) < sc.horizon {
            self.schedule(next as Millis, Happening::Nightly);
        }
        let waiting: u64 = self.entries.queues.iter().map(|q| q.timeout).sum();
        if waiting == 0 {
            debug_assert_eq!(self.retries.suppression.nights_held, 0);
            self.retries.timeout_fifo.clear();
            return;
        }
        if self.retries_suppressed() {
            // Every record waiting now is held back until the next night (or until it leaves).
            let before = self.entries.next_order;
            self.retries
                .suppression
                .hold_night(waiting, before, self.now);
            self.schedule_suppression_check();
            return;
        }
        let mut released = false;
        while let Some((order, e)) = self.retries.timeout_fifo.pop_front() {
            let entry = self.entries.slab[e as usize];
            if entry.state() != EntryState::Timeout || entry.order() != order {
                continue;
            }
            self.entries.queues[entry.queue()].timeout -= 1;
            self.make_due(e);
            released = true;
        }
        self.retries.suppression.night_goes(self.now);
        if released {
            self.look_now();
        }
    }

    /// Every errored record of `object` is retried now, its attempt count reset.
    pub(super) fn retry_errored(&mut self, object: usize) {
        let mut released = false;
        let fifo: Vec<u32> = self
            .retries
            .retry_fifo
            .iter()
            .map(|&(_, _, e)| e)
            .chain(self.retries.timeout_fifo.iter().map(|&(_, e)| e))
            .collect();
        for e in fifo {
            let entry = self.entries.slab[e as usize];
            let q = entry.queue();
            if q.object() != object {
                continue;
            }
            match entry.state() {
                EntryState::Retry => self.entries.queues[q].retry -= 1,
                EntryState::Timeout => {
                    self.entries.queues[q].timeout -= 1;
                    self.retries
                        .suppression
                        .left_timeout(entry.order(), self.now);
                }
                _ => continue,
            }
            self.entries.slab[e as usize].set_attempts(0);
            self.make_due(e);
            released = true;
        }
        self.retries_left();
        if released {
            self.look_now();
        }
    }

    /// When the oldest record in the retry queue, and in the timeout queue, first became
    /// pending (its creation instant), looking only into the queues said to hold records:
    /// a scan of the queue's items, made once an hour.
    pub(super) fn oldest_waiting(&self, retry: bool, timeout: bool) -> [Option<i64>; 2] {
        let slab = &self.entries.slab;
        let live = |e: u32, order: u64, state: EntryState| {
            let entry = &slab[e as usize];
            (entry.state() == state && entry.order() == order).then_some(entry.created)
        };
        let oldest_retry = retry
            .then(|| {
                self.retries
                    .retry_fifo
                    .iter()
                    .filter_map(|&(_, order, e)| live(e, order, EntryState::Retry))
                    .min()
            })
            .flatten();
        let oldest_timeout = timeout
            .then(|| {
                self.retries
                    .timeout_fifo
                    .iter()
                    .filter_map(|&(order, e)| live(e, order, EntryState::Timeout))
                    .min()
            })
            .flatten();
        [oldest_retry, oldest_timeout]
    }
}

/// Whether the item of entry `e` with `order` in a queue of entries in `state` is live: the
/// entry has not left that queue since the item was pushed.
fn live_in(slab: &[Entry], e: u32, order: u64, state: EntryState) -> bool {
    let entry = &slab[e as usize];
    entry.state() == state && entry.order() == order
}

/// Drops the stale items of `fifo` (of entries that left it early: a new edit, a manual
/// retry) once they are more than `live` + 1,024, keeping the `live` ones in order: a queue
/// whose stale items reach its front only slowly (the timeout queue waits for a night that
/// suppression may hold back) holds at most about twice its entries.
fn drop_stale<T: Copy>(fifo: &mut Fifo<T>, live: u64, is_live: impl FnMut(&T) -> bool) {
    if fifo.len() as u64 > 2 * live + 1024 {
        fifo.retain(is_live);
    }
}
