//! The API call budget: every call the integration (and other integrations sharing the
//! allowance) makes, in a rolling 24-hour window (docs/model.md, The API window), and the sync's
//! side of it: the room left for a batch, the pause when the window is full, and other
//! integrations' calls.
//!
//! A call made at `t` counts while `now < t + 24 h`. The window is a FIFO of (instant, calls)
//! merged per millisecond, so asking "how many calls in the past 24 h?" and "when will usage
//! have fallen to at most X if no new call is made?" are both cheap. A millisecond's calls
//! take eight bytes, in blocks that come and go with the window, so its memory follows the
//! milliseconds with calls in the past day (a bound the memory estimate counts).

use super::fifo::Fifo;
use super::windows::Windows;
use super::{Happening, Sim};
use crate::scenario::{DayKind, EventKind, Scenario};
use crate::units::{Millis, DAY, MINUTE};

/// Who made a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A batch's calls (one per `records_per_call` records).
    Batch = 0,
    /// A cycle's check for changes.
    Check = 1,
    /// Another integration sharing the allowance.
    Background = 2,
}

/// Bits of a window item that count its calls; the instant takes the 40 above them (2^40 ms
/// is 34 years, a horizon at most 10).
const CALL_BITS: u32 = 24;

/// The most calls one item counts; more at one instant take more items.
const MAX_CALLS: u64 = (1 << CALL_BITS) - 1;

/// The instant and calls of a window item.
#[inline]
fn unpack(item: u64) -> (Millis, u64) {
    (item >> CALL_BITS, item & MAX_CALLS)
}

/// Calls in the rolling 24-hour window.
#[derive(Debug, Default, Clone)]
pub struct ApiWindow {
    /// Calls per instant, oldest first, each packed in a `u64` ([`unpack`]).
    window: Fifo<u64>,
    used: u64,
    /// Calls ever made, by [`CallKind`].
    pub total: [u64; 3],
    /// Highest usage seen in the window.
    pub peak: u64,
}

impl ApiWindow {
    /// Drops the calls that are 24 hours old or older at `now`.
    fn expire(&mut self, now: Millis) {
        while let Some(&item) = self.window.front() {
            let (t, n) = unpack(item);
            if t + DAY > now {
                break;
            }
            self.used -= n;
            self.window.pop_front();
        }
    }

    /// Calls made in the 24 hours up to and including `now`.
    pub fn usage(&mut self, now: Millis) -> u64 {
        self.expire(now);
        self.used
    }

    /// Records `calls` made at `now`.
    pub fn record(&mut self, now: Millis, calls: u64, kind: CallKind) {
        if calls == 0 {
            return;
        }
        self.expire(now);
        let mut left = calls;
        if let Some(last) = self.window.back_mut() {
            let (t, n) = unpack(*last);
            if t == now {
                let add = left.min(MAX_CALLS - n);
                *last += add;
                left -= add;
            }
        }
        while left > 0 {
            let n = left.min(MAX_CALLS);
            self.window.push_back(now << CALL_BITS | n);
            left -= n;
        }
        self.used += calls;
        self.total[kind as usize] += calls;
        self.peak = self.peak.max(self.used);
    }

    /// The first instant at which usage will be at most `target` if no further call is made
    /// (`now`'s usage already counted); `None` if it already is.
    pub fn when_usage_at_most(&mut self, now: Millis, target: u64) -> Option<Millis> {
        let mut used = self.usage(now);
        if used <= target {
            return None;
        }
        for &item in self.window.iter() {
            let (t, n) = unpack(item);
            used -= n;
            if used <= target {
                return Some(t + DAY);
            }
        }
        unreachable!("an empty window has usage 0 <= target")
    }
}

/// The run's API budget: its window of calls and the pauses the limit imposes on the sync.
#[derive(Debug, Default)]
pub(crate) struct ApiBudget {
    /// Every call of the past 24 hours, the sync's and other integrations'.
    pub(super) window: ApiWindow,
    /// The sync has been paused since then, waiting for calls to age out.
    pub(super) paused_since: Option<Millis>,
    /// Time paused so far, a pause still running not included.
    pub(super) paused_total: Millis,
    /// Fractional background calls carried to the next minute.
    background_carry: f64,
    /// The short windows, empty without them (`windows.rs`); boxed, so that a run without
    /// them keeps the run loop's state as it was (docs/performance.md, Short windows).
    pub(super) windows: Box<Windows>,
}

impl ApiBudget {
    /// The budget of a run of `sc`.
    pub(super) fn new(sc: &Scenario) -> Self {
        ApiBudget {
            windows: Box::new(Windows::new(sc)),
            ..ApiBudget::default()
        }
    }

    /// Time the sync was paused by the daily limit up to `end` (the end of the run), a pause
    /// still running included (a short window's wait is counted by [`Windows::waited`]).
    pub(super) fn paused(&self, end: Millis) -> Millis {
        let running = self.paused_since.filter(|_| !self.windows.pausing);
        self.paused_total + running.map_or(0, |since| end - since)
    }
}

impl Sim<'_> {
    /// Schedules the first minute of other integrations' calls, if they make any.
    pub(super) fn schedule_background_calls(&mut self) {
        if self.sc.api.background_calls_per_hour > 0.0 {
            self.schedule(MINUTE, Happening::BackgroundCalls);
        }
    }

    /// Other integrations' calls for the past minute, at their hour's rate.
    pub(super) fn background_calls(&mut self) {
        let api = &self.sc.api;
        let at = self.sc.instant(self.now - MINUTE).0;
        let calendar = &self.sc.calendar;
        let hour = calendar.local_hour(at);
        let factor = api.background_hour_profile.map_or(1.0, |p| p[hour])
            * match calendar.day_kind(calendar.local_day(at)) {
                DayKind::Weekday => 1.0,
                DayKind::Weekend => api.background_weekend_factor,
                DayKind::Holiday => api.background_holiday_factor,
            };
        self.budget.background_carry += api.background_calls_per_hour * factor / 60.0;
        let calls = self.budget.background_carry.floor();
        self.budget.background_carry -= calls;
        self.budget
            .window
            .record(self.now, calls as u64, CallKind::Background);
        if self.now + MINUTE < self.sc.horizon {
            self.schedule(self.now + MINUTE, Happening::BackgroundCalls);
        }
    }

    /// Step `k` of the `api_calls` burst of scenario event `i`: the calls whose instants
    /// (`at + floor(j * spread / calls)`) fall in the `k`-th minute from `at`, recorded at its
    /// start; the next step follows a minute later while the burst lasts and the run does.
    pub(super) fn api_burst(&mut self, i: usize, k: u32) {
        let EventKind::ApiCalls { calls, spread } = self.sc.events[i].kind else {
            unreachable!("only api_calls events burst")
        };
        // Calls made before offset `t` from `at`: those with floor(j * spread / calls) < t.
        let before = |t: u64| -> u64 {
            if spread == 0 || t >= spread {
                calls
            } else {
                ((t as u128 * calls as u128).div_ceil(spread as u128) as u64).min(calls)
            }
        };
        let from = k as u64 * MINUTE;
        let made = before(from + MINUTE) - if k == 0 { 0 } else { before(from) };
        if made > 0 {
            self.budget
                .window
                .record(self.now, made, CallKind::Background);
        }
        if from + MINUTE < spread && self.now + MINUTE < self.sc.horizon {
            self.schedule(self.now + MINUTE, Happening::ApiBurst(i as u32, k + 1));
        }
    }

    /// Calls the sync may still make now without passing the limit (and, under
    /// `at_limit = "wait"`, without passing a short window).
    pub(super) fn api_room(&mut self) -> u64 {
        let daily = match self.sc.api.daily_limit {
            None => u64::MAX,
            Some(limit) => limit.saturating_sub(self.budget.window.usage(self.now)),
        };
        if self.budget.windows.waits() {
            daily.min(self.budget.windows.room(self.now))
        } else {
            daily
        }
    }

    /// The next call would pass the limit (or a short window): the sync pauses until enough
    /// calls age out for `needed` calls. `mid_cycle`: the cycle's checks were made, so after
    /// a short window's wait the cycle goes on (after the daily budget's, a new one starts).
    pub(super) fn api_pause(&mut self, needed: u64, mid_cycle: bool) {
        if self.budget.paused_since.is_some() {
            return;
        }
        self.budget.paused_since = Some(self.now);
        let daily = self.sc.api.daily_limit.and_then(|limit| {
            self.budget
                .window
                .when_usage_at_most(self.now, limit - needed)
        });
        let at = match self.window_wait(needed, daily, mid_cycle) {
            Some(at) => at,
            None => daily.expect("a pause means usage is above the target"),
        };
        self.schedule(at, Happening::ApiResume);
    }

    /// Enough calls have aged out: the paused sync goes on, looking at once.
    pub(super) fn api_resume(&mut self) {
        if self.budget.windows.pausing {
            self.window_resume();
            return;
        }
        if let Some(since) = self.budget.paused_since.take() {
            self.budget.paused_total += self.now - since;
        }
        self.resume();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::HOUR;

    #[test]
    fn calls_age_out_after_exactly_24_hours() {
        let mut w = ApiWindow::default();
        w.record(HOUR, 10, CallKind::Batch);
        w.record(2 * HOUR, 5, CallKind::Check);
        assert_eq!(w.usage(2 * HOUR), 15);
        assert_eq!(w.usage(DAY + HOUR - 1), 15);
        assert_eq!(w.usage(DAY + HOUR), 5);
        assert_eq!(w.usage(DAY + 2 * HOUR), 0);
        assert_eq!(w.total, [10, 5, 0]);
        assert_eq!(w.peak, 15);
    }

    #[test]
    fn more_calls_at_one_instant_than_an_item_counts_still_add_up() {
        let mut w = ApiWindow::default();
        w.record(HOUR, 3 * MAX_CALLS, CallKind::Background);
        w.record(HOUR, 5, CallKind::Batch);
        w.record(2 * HOUR, 1, CallKind::Batch);
        assert_eq!(w.usage(2 * HOUR), 3 * MAX_CALLS + 6);
        assert_eq!(w.when_usage_at_most(2 * HOUR, 1), Some(DAY + HOUR));
        assert_eq!(w.usage(DAY + HOUR), 1);
        assert_eq!(w.peak, 3 * MAX_CALLS + 6);
    }

    #[test]
    fn knows_when_usage_falls_to_a_target() {
        let mut w = ApiWindow::default();
        w.record(0, 10, CallKind::Batch);
        w.record(HOUR, 10, CallKind::Batch);
        w.record(HOUR, 5, CallKind::Background);
        assert_eq!(w.when_usage_at_most(HOUR, 25), None);
        assert_eq!(w.when_usage_at_most(HOUR, 20), Some(DAY));
        assert_eq!(w.when_usage_at_most(HOUR, 0), Some(DAY + HOUR));
    }
}
