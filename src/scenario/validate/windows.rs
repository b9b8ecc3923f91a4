//! The short-window keys of `[api]` (docs/scenario.md, Short windows): `[[api.windows]]`,
//! `max_concurrent_calls`, `at_limit`, `backoff` and `max_backoff`, checked once the objects'
//! batch sizes are known, since every window must hold a cycle's check and the costliest full
//! batch. `at_limit` without windows, and the back-off under `wait`, are accepted and have no
//! effect, so that `--set` can switch windows and behaviours off and on for a comparison.

use super::{Checker, Expect};
use crate::scenario::raw::RawApi;
use crate::scenario::{AtLimit, BurstLimits, CallWindow, ObjectSpec, ScenarioError};
use crate::units::{format_duration, Millis, DAY, SECOND};

/// The most windows a scenario may declare.
const MAX_WINDOWS: usize = 16;
/// The most calls a window may allow.
const MAX_WINDOW_CALLS: i64 = 1_000_000;
/// The most batches a concurrency cap may allow.
const MAX_CONCURRENT: i64 = 1_000;

/// The back-off after a first 429 unless the scenario says otherwise.
pub(crate) const DEFAULT_BACKOFF: Millis = SECOND;
/// The longest back-off unless the scenario says otherwise.
pub(crate) const DEFAULT_MAX_BACKOFF: Millis = 60 * SECOND;

/// Validates the short-window keys of `raw`. Each window must hold `calls_per_cycle` and the
/// calls of the costliest full batch of `objects`, or the sync could never run.
pub(super) fn validate_burst(
    c: &Checker,
    raw: &RawApi,
    objects: &[ObjectSpec],
    calls_per_cycle: u32,
) -> Result<BurstLimits, ScenarioError> {
    let raw_windows = raw.windows.as_deref().unwrap_or_default();
    if raw_windows.len() > MAX_WINDOWS {
        return c.fail(
            "api.windows",
            format!(
                "at most {MAX_WINDOWS} windows (got {}); keep the ones that bind",
                raw_windows.len()
            ),
        );
    }
    let (costliest, batch_calls) = objects
        .iter()
        .map(|o| (o, (o.batch_size as u64).div_ceil(o.records_per_call as u64)))
        .max_by_key(|(_, calls)| *calls)
        .expect("a scenario has objects");
    let need = calls_per_cycle as u64 + batch_calls;
    let mut windows: Vec<CallWindow> = Vec::with_capacity(raw_windows.len());
    for (i, w) in raw_windows.iter().enumerate() {
        let key = |k: &str| format!("api.windows[{i}].{k}");
        let Some(calls) = w.calls else {
            return c.fail(
                key("calls"),
                "is missing: say how many calls the window allows, e.g. `calls = 100`",
            );
        };
        let calls = c.int_in(&key("calls"), calls, 1, MAX_WINDOW_CALLS)? as u64;
        let Some(per) = &w.per else {
            return c.fail(
                key("per"),
                "is missing: say how long the window is, e.g. `per = \"10s\"`",
            );
        };
        let per_text = c.text(&key("per"), per, Expect::Duration)?;
        let per = c.positive_duration(&key("per"), &per_text)?;
        if per > DAY {
            return c.fail(
                key("per"),
                format!(
                    "must be at most 1d (got '{per_text}'); a rolling day is `api.daily_limit`"
                ),
            );
        }
        if let Some(j) = windows.iter().position(|o| o.per == per) {
            return c.fail(
                key("per"),
                format!(
                    "window {j} is {} long too; give each length one window (the tighter)",
                    format_duration(per)
                ),
            );
        }
        if calls < need {
            return c.fail(
                key("calls"),
                format!(
                    "is {calls} but one cycle's check ({calls_per_cycle}) and one full batch of {} ({batch_calls} calls) need {need}; the sync could never run",
                    costliest.name
                ),
            );
        }
        windows.push(CallWindow { calls, per });
    }
    windows.sort_by_key(|w| w.per);
    let max_concurrent_calls = match raw.max_concurrent_calls {
        None => None,
        Some(n) => Some(c.int_in("api.max_concurrent_calls", n, 1, MAX_CONCURRENT)? as u32),
    };
    let at_limit = match raw.at_limit.as_deref() {
        None => AtLimit::Wait,
        Some("wait") => AtLimit::Wait,
        Some("reject") => AtLimit::Reject,
        Some(other) => {
            return c.fail(
                "api.at_limit",
                format!("must be \"wait\" or \"reject\" (got '{other}')"),
            )
        }
    };
    let mut durations = [DEFAULT_BACKOFF, DEFAULT_MAX_BACKOFF];
    for (slot, (name, value)) in durations.iter_mut().zip([
        ("api.backoff", &raw.backoff),
        ("api.max_backoff", &raw.max_backoff),
    ]) {
        let Some(value) = value else { continue };
        let text = c.text(name, value, Expect::Duration)?;
        *slot = c.positive_duration(name, &text)?;
        if *slot > DAY {
            return c.fail(name, format!("must be at most 1d (got '{text}')"));
        }
    }
    let [backoff, max_backoff] = durations;
    if max_backoff < backoff {
        return c.fail(
            "api.max_backoff",
            format!(
                "is {} but must be at least api.backoff ({})",
                format_duration(max_backoff),
                format_duration(backoff)
            ),
        );
    }
    Ok(BurstLimits {
        windows,
        max_concurrent_calls,
        at_limit,
        backoff,
        max_backoff,
    })
}
