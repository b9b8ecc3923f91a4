//! Short-window API limits (docs/model.md, Short windows): the sync's own calls in each
//! sliding window, the cap on batches at work at once, and what happens at a window's
//! limit.
//!
//! Under `wait` the sync knows its windows like its daily budget: a batch takes only the
//! records whose calls every window has room for, and when no call fits the sync pauses
//! until the exact instant the first one does (the latest of the windows' instants), then
//! goes on with the cycle it was in. Under `reject` the sync calls regardless: a batch whose
//! calls a window cannot take gets a 429, keeps its records and tries again after a back-off
//! that doubles each time, up to `api.max_backoff`; a cycle's check for changes refused the
//! same way holds the whole sync for its back-off. Refused calls are not counted in any
//! window nor in the daily budget.
//!
//! Without short windows none of this runs: the run keeps one empty [`Windows`] and its hot
//! paths test one flag.

use std::collections::VecDeque;

use super::api::CallKind;
use super::{Happening, Sim};
use crate::scenario::{AtLimit, BurstLimits, Scenario};
use crate::units::Millis;

/// One sliding window: the sync's calls of the past `per` milliseconds.
#[derive(Debug)]
struct Window {
    /// The window's length.
    per: Millis,
    /// Calls allowed in it.
    calls: u64,
    /// Calls per instant, oldest first; at most `calls` items.
    items: VecDeque<(Millis, u64)>,
    /// Calls in the window now.
    used: u64,
    /// The most calls it ever held.
    peak: u64,
}

impl Window {
    /// Drops the calls made `per` or more milliseconds before `now`.
    fn expire(&mut self, now: Millis) {
        while let Some(&(t, n)) = self.items.front() {
            if t + self.per > now {
                break;
            }
            self.used -= n;
            self.items.pop_front();
        }
    }

    /// Calls the window can still take at `now`.
    fn room(&mut self, now: Millis) -> u64 {
        self.expire(now);
        self.calls - self.used
    }

    /// The first instant at which the window has room for `needed` calls if no further call
    /// is made; `None` if it has now.
    fn when_room(&mut self, now: Millis, needed: u64) -> Option<Millis> {
        let target = self.calls - needed;
        let mut used = self.used;
        if used <= target {
            return None;
        }
        for &(t, n) in &self.items {
            used -= n;
            if used <= target {
                return Some(t + self.per);
            }
        }
        unreachable!("an empty window has room for any batch ({now})")
    }

    /// Records `calls` made at `now`, which the window has room for.
    fn record(&mut self, now: Millis, calls: u64) {
        self.expire(now);
        assert!(
            self.used + calls <= self.calls,
            "a window never takes more than its calls"
        );
        match self.items.back_mut() {
            Some((t, n)) if *t == now => *n += calls,
            _ => self.items.push_back((now, calls)),
        }
        self.used += calls;
        self.peak = self.peak.max(self.used);
    }
}

/// The run's short windows and what they did (see the module documentation).
#[derive(Debug, Default)]
pub(crate) struct Windows {
    windows: Vec<Window>,
    /// `at_limit = "reject"`.
    reject: bool,
    /// Batches that may be at work at once (`usize::MAX` without a cap).
    pub(super) max_concurrent: usize,
    /// The back-off rule.
    limits: BurstLimits,
    /// The API pause running now is a wait for a short window (or a refused check's
    /// back-off), not the daily budget's.
    pub(super) pausing: bool,
    /// When that pause ends the cycle goes on, its checks already made.
    mid_cycle: bool,
    /// What holds the sync back now: a pause (1) and each batch in back-off.
    blocks: u32,
    /// Since when something has.
    blocked_since: Millis,
    /// Time held back so far, the spell running now not included.
    blocked_total: Millis,
    /// 429 responses so far.
    rejected: u64,
    /// Checks for changes refused in a row.
    check_rejections: u32,
    /// Per worker, a batch in back-off: its calls, its updates and the 429s it has had in a
    /// row.
    held: Vec<(u64, u64, u32)>,
}

impl Windows {
    /// The short windows of `sc`, empty when it has none.
    pub(super) fn new(sc: &Scenario) -> Self {
        let burst = &sc.api.burst;
        Windows {
            windows: burst
                .windows
                .iter()
                .map(|w| Window {
                    per: w.per,
                    calls: w.calls,
                    items: VecDeque::new(),
                    used: 0,
                    peak: 0,
                })
                .collect(),
            reject: burst.at_limit == AtLimit::Reject && !burst.windows.is_empty(),
            max_concurrent: burst
                .max_concurrent_calls
                .map_or(usize::MAX, |n| n as usize),
            limits: burst.clone(),
            ..Windows::default()
        }
    }

    /// The sync waits for room in its windows (it has windows, under `wait`).
    #[inline]
    pub(super) fn waits(&self) -> bool {
        !self.windows.is_empty() && !self.reject
    }

    /// The sync calls regardless and takes 429s (it has windows, under `reject`).
    #[inline]
    pub(super) fn rejects(&self) -> bool {
        self.reject
    }

    /// Calls every window can still take at `now`.
    pub(super) fn room(&mut self, now: Millis) -> u64 {
        self.windows
            .iter_mut()
            .map(|w| w.room(now))
            .min()
            .unwrap_or(u64::MAX)
    }

    /// The first instant at which every window has room for `needed` calls; `None` if all
    /// have now.
    fn when_room(&mut self, now: Millis, needed: u64) -> Option<Millis> {
        self.windows
            .iter_mut()
            .filter_map(|w| {
                w.expire(now);
                w.when_room(now, needed)
            })
            .max()
    }

    /// Something starts holding the sync back at `now`.
    fn block(&mut self, now: Millis) {
        if self.blocks == 0 {
            self.blocked_since = now;
        }
        self.blocks += 1;
    }

    /// Something stops holding the sync back at `now`.
    fn unblock(&mut self, now: Millis) {
        self.blocks -= 1;
        if self.blocks == 0 {
            self.blocked_total += now - self.blocked_since;
        }
    }

    /// Time the sync was held back up to `end`, a spell still running included.
    pub(super) fn waited(&self, end: Millis) -> Millis {
        self.blocked_total
            + if self.blocks > 0 {
                end - self.blocked_since
            } else {
                0
            }
    }

    /// 429 responses.
    pub(super) fn rejected(&self) -> u64 {
        self.rejected
    }

    /// The most calls each window held, shortest window first.
    pub(super) fn peaks(&self) -> Vec<u64> {
        self.windows.iter().map(|w| w.peak).collect()
    }
}

impl Sim<'_> {
    /// The sync makes `calls` (a batch's or a cycle's check): they count in the daily
    /// window and in every short window.
    pub(super) fn sync_calls(&mut self, calls: u64, kind: CallKind) {
        self.budget.window.record(self.now, calls, kind);
        if calls > 0 {
            for w in &mut self.budget.windows.windows {
                w.record(self.now, calls);
            }
        }
    }

    // Short windows are off in most runs: their paths stay out of the run loop's code
    // (measured: docs/performance.md, Short windows).

    /// Under `wait`, a pause for `needed` calls that a short window imposes beyond the daily
    /// budget's (`daily`: when the daily window will have room, if it lacks it now): marks
    /// the pause as a window wait and returns when it ends; `None` when the daily budget is
    /// what binds (or there are no windows to wait for). `mid_cycle`: the cycle's checks were
    /// made, so the cycle goes on after the wait.
    #[cold]
    #[inline(never)]
    pub(super) fn window_wait(
        &mut self,
        needed: u64,
        daily: Option<Millis>,
        mid_cycle: bool,
    ) -> Option<Millis> {
        if !self.budget.windows.waits() {
            return None;
        }
        let at = self.budget.windows.when_room(self.now, needed)?;
        if daily.is_some_and(|d| d >= at) {
            return None;
        }
        let windows = &mut self.budget.windows;
        windows.pausing = true;
        windows.mid_cycle = mid_cycle;
        windows.block(self.now);
        Some(at)
    }

    /// A window wait (or a refused check's back-off) is over: the sync goes on with its
    /// cycle, or starts the cycle whose check was held.
    #[cold]
    #[inline(never)]
    pub(super) fn window_resume(&mut self) {
        self.budget.paused_since = None;
        let windows = &mut self.budget.windows;
        windows.pausing = false;
        windows.unblock(self.now);
        if windows.mid_cycle {
            self.continue_cycle();
        } else {
            self.resume();
        }
    }

    /// Under `reject`: whether the cycle's `checks` get a 429 (a window lacks room for them).
    /// If so the whole sync holds for the back-off, then starts the cycle again.
    #[cold]
    #[inline(never)]
    pub(super) fn checks_rejected(&mut self, checks: u64) -> bool {
        let now = self.now;
        let windows = &mut self.budget.windows;
        if windows.room(now) >= checks {
            windows.check_rejections = 0;
            return false;
        }
        debug_assert!(
            self.budget.paused_since.is_none(),
            "a paused sync makes no check"
        );
        windows.rejected += 1;
        windows.check_rejections += 1;
        windows.pausing = true;
        windows.mid_cycle = false;
        windows.block(now);
        let at = now + windows.limits.backoff_after(windows.check_rejections);
        self.budget.paused_since = Some(now);
        self.schedule(at, Happening::ApiResume);
        true
    }

    /// Under `reject`: whether worker `w`'s new batch, costing `calls` and holding `updates`,
    /// gets a 429. If so it keeps its records and tries again after the back-off
    /// ([`Sim::batch_retry`]).
    #[cold]
    #[inline(never)]
    pub(super) fn batch_rejected(&mut self, w: usize, calls: u64, updates: u64) -> bool {
        let now = self.now;
        let windows = &mut self.budget.windows;
        if windows.room(now) >= calls {
            return false;
        }
        if windows.held.len() <= w {
            windows.held.resize(w + 1, (0, 0, 0));
        }
        windows.held[w] = (calls, updates, 1);
        windows.rejected += 1;
        windows.block(now);
        let at = now + windows.limits.backoff_after(1);
        self.schedule(at, Happening::BatchRetry(w as u32));
        true
    }

    /// Worker `w`'s batch tries its calls again after a 429: it runs if every window and the
    /// daily budget have room for them, else it gets another 429 and backs off longer.
    #[cold]
    #[inline(never)]
    pub(super) fn batch_retry(&mut self, w: usize) {
        let now = self.now;
        let (calls, updates, n) = self.budget.windows.held[w];
        let fits = self.budget.windows.room(now) >= calls && self.api_room() >= calls;
        let windows = &mut self.budget.windows;
        if !fits {
            windows.rejected += 1;
            windows.held[w].2 = n + 1;
            let at = now + windows.limits.backoff_after(n + 1);
            self.schedule(at, Happening::BatchRetry(w as u32));
            return;
        }
        windows.held[w] = (0, 0, 0);
        windows.unblock(now);
        self.run_batch(w, calls, updates);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(calls: u64, per: Millis) -> Window {
        Window {
            per,
            calls,
            items: VecDeque::new(),
            used: 0,
            peak: 0,
        }
    }

    #[test]
    fn calls_leave_a_window_exactly_its_length_later() {
        let mut w = window(10, 1000);
        w.record(0, 4);
        w.record(0, 2);
        w.record(300, 4);
        assert_eq!(w.room(300), 0);
        assert_eq!(w.when_room(300, 1), Some(1000));
        assert_eq!(w.when_room(300, 7), Some(1300));
        assert_eq!(w.room(999), 0);
        assert_eq!(w.room(1000), 6);
        assert_eq!(w.when_room(1000, 6), None);
        assert_eq!(w.room(1300), 10);
        assert_eq!(w.peak, 10);
        assert_eq!(w.items.len(), 0);
    }
}
