//! Short-window API limits (docs/model.md, Short windows): calls per sliding window of
//! seconds or minutes, a cap on calls in flight at once, and what the sync does when a call
//! would pass a window (wait for it, or take a 429 and back off). Validated in
//! `validate/windows.rs`; simulated in `engine/windows.rs`.

use crate::units::Millis;

/// One sliding window: at most `calls` of the sync's calls in any `per` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallWindow {
    /// Calls allowed in any window.
    pub calls: u64,
    /// The window's length.
    pub per: Millis,
}

/// What the sync does when its next calls would pass a short window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AtLimit {
    /// The sync counts its own calls and waits until every window has room (the default).
    #[default]
    Wait,
    /// The sync calls anyway; the API answers 429 and the caller backs off and tries again.
    Reject,
}

impl AtLimit {
    /// The name written in a scenario.
    pub fn name(self) -> &'static str {
        match self {
            AtLimit::Wait => "wait",
            AtLimit::Reject => "reject",
        }
    }
}

/// The short-window limits of `[api]`: none by default, which costs a run nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BurstLimits {
    /// The sliding windows (`[[api.windows]]`), shortest first, lengths distinct.
    pub windows: Vec<CallWindow>,
    /// Batches running at once (each holds one call in flight); `None`: no cap.
    pub max_concurrent_calls: Option<u32>,
    /// What happens at a window's limit.
    pub at_limit: AtLimit,
    /// Under `reject`: the wait after a first 429, doubled after each further one.
    pub backoff: Millis,
    /// Under `reject`: the longest wait between tries.
    pub max_backoff: Millis,
}

impl BurstLimits {
    /// The back-off after the `n`-th 429 in a row (`n >= 1`): `backoff * 2^(n-1)`, at most
    /// `max_backoff`.
    pub fn backoff_after(&self, n: u32) -> Millis {
        let doublings = n.saturating_sub(1).min(62);
        self.backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let b = BurstLimits {
            backoff: 1000,
            max_backoff: 5000,
            ..BurstLimits::default()
        };
        let waits: Vec<Millis> = (1..=5).map(|n| b.backoff_after(n)).collect();
        assert_eq!(waits, [1000, 2000, 4000, 5000, 5000]);
        assert_eq!(b.backoff_after(1000), 5000);
    }
}
