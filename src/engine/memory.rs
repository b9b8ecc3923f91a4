//! How much memory one simulation of a scenario needs at its peak, estimated from the
//! engine's data layout before the run, so that a scenario too big for the machine is
//! refused up front with the estimate instead of failing hours in.

use crate::scenario::{EventKind, QueueId, Scenario, Selection};
use crate::units::{Millis, HOUR};

use super::entries::Entry;

/// The memory one simulation of a scenario is expected to need at its peak, by part, from
/// the engine's data layout. It errs high (the reference scenario's measured peak is in
/// `docs/performance.md`), so a scenario too big for the machine is refused up front with
/// the estimate rather than failing hours in. Change it with the data structures it mirrors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryEstimate {
    /// Per-record state: a bit and a 4-byte slot per record and synced direction, and the
    /// ids a random bulk update picks.
    pub index: f64,
    /// Entries and queue items for the expected peak backlog: every bulk or enabled record
    /// plus a day of background edits, at most two per record and direction.
    pub entries: f64,
    /// One latency sample per expected edit: four bytes while latencies fit (the horizon
    /// plus the oldest initial backlog under 2^32 ms, 49 days), else eight.
    pub latency: f64,
    /// The backlog samples and hourly series (with the clear times of each hour's backlog).
    pub series: f64,
    /// The program, the allocator and report buffers.
    pub fixed: f64,
}

impl MemoryEstimate {
    /// The estimate for `sc`.
    pub fn of(sc: &Scenario) -> Self {
        let hours = sc.horizon as f64 / HOUR as f64;
        let mut index = 0f64;
        let mut capacity = 0f64;
        let mut edits = 0f64;
        let mut per_day = 0f64;
        for o in &sc.objects {
            let directions = o.syncs.iter().filter(|s| **s).count() as f64;
            index += directions * (o.records as f64 * 4.0 + (o.records as f64 / 8.0).ceil());
            capacity += 2.0 * directions * o.records as f64;
            let peak_factor = o
                .hour_profile
                .map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max))
                * o.weekend_factor.max(1.0);
            let rate = (o.edits_per_hour[0] + o.edits_per_hour[1]) * peak_factor;
            edits += rate * hours;
            per_day += rate * 24.0;
        }
        let mut event_records = 0f64;
        for e in &sc.events {
            match e.kind {
                EventKind::BulkUpdate {
                    count, selection, ..
                } => {
                    event_records += count as f64;
                    if selection == Selection::Random {
                        index += 4.0 * count as f64;
                    }
                }
                EventKind::EnableObject { object } => {
                    let o = &sc.objects[object];
                    event_records +=
                        o.records as f64 * o.syncs.iter().filter(|s| **s).count() as f64;
                }
                _ => {}
            }
        }
        edits += event_records;
        // The entry slab plus queue items, with slack for requeued (stale) items.
        let entry_bytes = (std::mem::size_of::<Entry>() + 2 * 16) as f64;
        let queues = QueueId::count(sc.objects.len()) as f64;
        let samples = (sc.horizon / sc.sample_interval + 1) as f64 * queues * 4.0 * 2.0;
        // Per hour and queue: the backlog and two completion counts (4 bytes each), and per
        // hour and object the last departure of the records read then (8 bytes, so 4 a
        // queue), which the run summary's timeline doubles as running sums and clear times.
        let hourly = (sc.horizon / HOUR + 2) as f64 * queues * 4.0 * 6.0;
        MemoryEstimate {
            index,
            entries: (event_records + per_day).min(capacity) * entry_bytes,
            latency: edits * latency_sample_bytes(sc),
            series: samples + hourly,
            fixed: (8 << 20) as f64,
        }
    }

    /// The whole estimate, in bytes.
    pub fn total(&self) -> f64 {
        self.index + self.entries + self.latency + self.series + self.fixed
    }

    /// The parts, for a message: `record index 9.1 MiB, pending entries ...`.
    pub fn parts_text(&self) -> String {
        use crate::units::bytes_text;
        format!(
            "record index {}, pending entries {}, latency samples {}, backlog series {}",
            bytes_text(self.index),
            bytes_text(self.entries),
            bytes_text(self.latency),
            bytes_text(self.series)
        )
    }
}

/// The bytes of one latency sample ([`LatencySamples`](crate::metrics::LatencySamples)): four
/// while no latency can exceed 2^32 ms (the longest is the horizon plus the age of the oldest
/// initial entry), else eight.
fn latency_sample_bytes(sc: &Scenario) -> f64 {
    let oldest_initial = sc
        .objects
        .iter()
        .filter_map(|o| o.initial_backlog.map(|b| b.oldest))
        .chain(sc.initial.iter().map(|e| e.stamp.unsigned_abs()))
        .max()
        .unwrap_or(0);
    if sc.horizon.saturating_add(oldest_initial) <= u32::MAX as Millis {
        4.0
    } else {
        8.0
    }
}

/// Bytes one simulation of `sc` is expected to need at its peak ([`MemoryEstimate`]).
pub fn memory_estimate(sc: &Scenario) -> u64 {
    MemoryEstimate::of(sc).total() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_samples_are_estimated_at_four_bytes_while_latencies_fit() {
        let load = |horizon: &str| {
            crate::scenario::load(
                std::path::Path::new("scenarios/reference.toml"),
                &[format!("horizon=\"{horizon}\"")],
            )
            .unwrap()
        };
        assert_eq!(latency_sample_bytes(&load("49d")), 4.0);
        assert_eq!(latency_sample_bytes(&load("50d")), 8.0);
    }

    #[test]
    fn the_reference_estimate_is_near_its_measured_peak() {
        let sc =
            crate::scenario::load(std::path::Path::new("scenarios/reference.toml"), &[]).unwrap();
        let mib = memory_estimate(&sc) as f64 / (1 << 20) as f64;
        // The whole `syncsim run` peaks at about 35 MiB (docs/performance.md); the estimate
        // must err high but not absurdly.
        assert!((37.0..=80.0).contains(&mib), "{mib:.1} MiB");
    }
}
