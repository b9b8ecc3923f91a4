//! The ranges validation allows for the values a planner tunes most (workers, batch size,
//! throughput, edit rates, a bulk update's spread), by name. Validation checks a value
//! against these constants, and whatever shows a planner the allowed range (the what-if
//! page's form, `syncsim serve`) reads the same constants, so the two cannot drift apart.
//!
//! Ranges that depend on the scenario (a bulk update's count is at most its object's
//! records, an event happens before the horizon) are not here: they are read off the
//! validated scenario.

use super::MAX_HORIZON;
use crate::units::{Millis, DAY};

/// A range of whole numbers, both ends allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole {
    /// The least value allowed.
    pub min: i64,
    /// The greatest value allowed.
    pub max: i64,
}

/// A range of numbers, both ends allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number {
    /// The least value allowed.
    pub min: f64,
    /// The greatest value allowed.
    pub max: f64,
}

/// The draining policies `sync.policy` names.
pub const POLICIES: [&str; 4] = ["fifo", "round_robin", "priority", "weighted"];
/// `sync.workers` and a `set_workers` event's `workers`: parallel batches.
pub const WORKERS: Whole = Whole { min: 1, max: 1024 };
/// `sync.batch_size`: records per batch.
pub const BATCH_SIZE: Whole = Whole {
    min: 1,
    max: 1_000_000,
};
/// `sync.slice`: records per object per round-robin turn.
pub const SLICE: Whole = Whole {
    min: 1,
    max: 100_000_000,
};
/// A `sync.weights` value.
pub const WEIGHT: Whole = Whole {
    min: 1,
    max: 1_000_000,
};
/// `sync.throughput` and a `set_throughput` event's `throughput`: cost units per hour per
/// worker.
pub const THROUGHPUT: Number = Number {
    min: 0.0,
    max: 1e10,
};
/// An edit rate, per hour (`edits_per_hour`, `marketing_edits_per_hour`, other
/// integrations' API calls per hour), also at its peak.
pub const RATE_PER_HOUR: Number = Number { min: 0.0, max: 1e9 };
/// The longest spread of a bulk update.
pub const MAX_SPREAD: Millis = MAX_HORIZON;
/// The longest `sync.batch_overhead`.
pub const MAX_BATCH_OVERHEAD: Millis = DAY;
