//! Background edits drawn once and shared by many runs.
//!
//! A run's background edits depend on the scenario's objects (records, rates, profiles, how
//! edits pick records, the share touching synced fields), its start, its horizon and the
//! seed, and on nothing the sync does: each stream is a fixed sequence of its own random
//! numbers (docs/model.md). The planner's candidates that differ in a sync knob (throughput,
//! workers, batch size, policy, gates, cycle wait, API limits, retries) or in the events
//! (a bulk update's start, size or split) therefore see exactly the same background edits in
//! replication `i`. [`SharedEdits::draw`] draws and merges them once, in the order the engine
//! takes them (the order of `engine/draw_ahead.rs`); [`Inputs::shared_edits`] feeds them to
//! every such run, which is then the same run as one that draws its own (tested), with the
//! drawing done once instead of once per candidate.
//!
//! Whether a buffer fits a run is decided by the streams themselves:
//! [`SharedEdits::fits`] compares the streams the run would start with (their generators
//! included) and the horizon with those the buffer was drawn from, so a scenario that
//! changes anything a stream reads is never fed another scenario's edits.
//!
//! [`Inputs::shared_edits`]: super::Inputs::shared_edits

use std::sync::Arc;

use super::arrivals::EditStream;
use super::draw_ahead::{DrawnEdit, DrawnEdits, Merge};
use super::edits::{edit_streams, Drawn};
use crate::scenario::Scenario;
use crate::units::{Millis, HOUR};

/// Bytes one shared edit takes.
pub const BYTES_PER_EDIT: usize = std::mem::size_of::<DrawnEdit>();

/// The background edits of one (scenario, seed), drawn once, for any number of runs whose
/// streams start the same (see the module documentation).
#[derive(Debug, Clone)]
pub struct SharedEdits {
    /// The streams as a run starts them: the fingerprint [`SharedEdits::fits`] compares.
    streams: Vec<EditStream>,
    /// The horizon the edits were drawn up to.
    horizon: Millis,
    /// Which streams have an edit before the horizon.
    has_edits: Vec<bool>,
    /// Every edit, in the engine's order.
    edits: Arc<Vec<DrawnEdit>>,
}

/// The memory of a buffer no run reads any more, to draw the next one into without asking
/// the system for fresh pages ([`SharedEdits::recycle`], [`SharedEdits::draw_into`]).
#[derive(Debug, Default)]
pub struct Storage(Vec<DrawnEdit>);

impl SharedEdits {
    /// Draws every background edit of `sc` with `seed`, merged in the engine's (time,
    /// sequence) order: among edits at the same millisecond, the stream whose previous edit
    /// came first goes first, and among first edits the stream listed first (as
    /// `engine/draw_ahead.rs` ranks them; a test keeps the two equal).
    pub fn draw(sc: &Scenario, seed: u64) -> Self {
        Self::draw_into(sc, seed, Storage::default())
    }

    /// [`SharedEdits::draw`] into the memory of an earlier buffer.
    pub fn draw_into(sc: &Scenario, seed: u64, storage: Storage) -> Self {
        let horizon = sc.horizon;
        let start = edit_streams(sc, seed);
        let mut streams = start.clone();
        let firsts: Vec<Option<Millis>> = streams.iter_mut().map(|s| s.advance(horizon)).collect();
        let has_edits: Vec<bool> = firsts.iter().map(Option::is_some).collect();
        let mut merge = Merge::new(&streams, &firsts);
        let mut edits = storage.0;
        edits.clear();
        edits.reserve(expected_edits(sc).min(1e9) as usize);
        while let Some(edit) = merge.next_edit(&mut streams, horizon) {
            edits.push(edit);
        }
        SharedEdits {
            streams: start,
            horizon,
            has_edits,
            edits: Arc::new(edits),
        }
    }

    /// Whether a run of `sc` with `seed` draws exactly these edits: the same streams (objects,
    /// rates, profiles, record choice, synced share, start, and generators from the same
    /// seed) up to the same horizon.
    pub fn fits(&self, sc: &Scenario, seed: u64) -> bool {
        sc.horizon == self.horizon && edit_streams(sc, seed) == self.streams
    }

    /// Number of edits.
    pub fn len(&self) -> usize {
        self.edits.len()
    }

    /// Whether there are no background edits at all.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Bytes the edits take.
    pub fn bytes(&self) -> usize {
        self.edits.len() * BYTES_PER_EDIT
    }

    /// The buffer's memory, once no run reads it any more (`None` while one does).
    pub fn recycle(self) -> Option<Storage> {
        Arc::try_unwrap(self.edits).ok().map(Storage)
    }

    /// The engine's end of these edits, for one run, with which streams have any.
    pub(super) fn feed(&self) -> (Drawn, Vec<bool>) {
        let ends = self
            .streams
            .iter()
            .map(|s| (s.object, s.direction))
            .collect();
        (
            Drawn::new(DrawnEdits::from_buffer(Arc::clone(&self.edits)), ends),
            self.has_edits.clone(),
        )
    }
}

/// Whether runs of `a` and `b` draw the same background edits in every replication: the
/// same seed, horizon and streams.
pub fn same_edits(a: &Scenario, b: &Scenario) -> bool {
    a.seed == b.seed && a.horizon == b.horizon && edit_streams(a, a.seed) == edit_streams(b, b.seed)
}

/// The expected number of background edits of a run of `sc`, erring high as the memory
/// estimate does (each object's peak hourly factor over the whole horizon).
pub fn expected_edits(sc: &Scenario) -> f64 {
    let hours = sc.horizon as f64 / HOUR as f64;
    sc.objects
        .iter()
        .map(|o| {
            let peak = o
                .hour_profile
                .map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max))
                * o.weekend_factor.max(1.0);
            (o.edits_per_hour[0] + o.edits_per_hour[1] + o.creations_per_hour) * peak * hours
        })
        .sum()
}

/// The memory a buffer of `sc`'s edits is expected to take, in bytes (erring high).
pub fn estimate_bytes(sc: &Scenario) -> f64 {
    expected_edits(sc) * BYTES_PER_EDIT as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::draw_ahead::spawn;
    use crate::scenario::Override;

    const TEXT: &str = r#"
name = "shared"
start = "2026-11-28T00:00:00Z"
horizon = "30h"
[objects.Lead]
records = 5000
edits_per_hour = 40000
[objects.Contact]
records = 3000
sync = "both"
edits_per_hour = 2
marketing_edits_per_hour = 30000
record_choice = "zipf"
[objects.Account]
records = 100
edits_per_hour = 500
weekend_factor = 0.2
"#;

    fn scenario(sets: &[&str]) -> Scenario {
        let overrides: Vec<Override> = sets.iter().map(|s| Override::set(s)).collect();
        crate::scenario::from_str(TEXT, "shared.toml", "shared", &overrides).unwrap()
    }

    #[test]
    fn shared_edits_are_the_edits_a_helper_draws_ahead_in_the_same_order() {
        let sc = scenario(&[]);
        let shared = SharedEdits::draw(&sc, 7);
        let packed: Vec<DrawnEdit> = shared.edits.to_vec();
        std::thread::scope(|scope| {
            let (has_edits, mut ahead) = spawn(scope, edit_streams(&sc, 7), sc.horizon);
            assert_eq!(has_edits, shared.has_edits);
            let mut drawn = Vec::new();
            while let Some(&e) = ahead.current() {
                drawn.push(e);
                ahead.advance();
            }
            assert!(drawn == packed);
        });
        assert!(
            shared.len() > 100_000,
            "dense streams, many edits share a millisecond: {}",
            shared.len()
        );
        assert!(packed.windows(2).any(|w| w[0].time == w[1].time));
        // Drawn again into a recycled buffer's memory: the same edits.
        let other = SharedEdits::draw(&scenario(&["objects.Lead.edits_per_hour=5"]), 3);
        let again = SharedEdits::draw_into(&sc, 7, other.recycle().unwrap());
        assert!(*again.edits == packed);
        // A buffer a run still reads is not recycled.
        let (reading, _) = again.feed();
        assert!(again.recycle().is_none());
        drop(reading);
    }

    #[test]
    fn a_buffer_fits_only_runs_that_draw_the_same_edits() {
        let shared = SharedEdits::draw(&scenario(&[]), 7);
        assert!(shared.fits(&scenario(&[]), 7));
        assert!(!shared.fits(&scenario(&[]), 8), "another seed");
        // The sync and the events do not change the background edits ...
        let sync = scenario(&[
            "sync.throughput=1234",
            "sync.workers=3",
            "sync.cycle_wait=1m",
            "events.b.kind=bulk_update",
            "events.b.at=2h",
            "events.b.object=Lead",
            "events.b.count=100",
        ]);
        assert!(shared.fits(&sync, 7));
        // ... anything a stream reads does.
        for change in [
            "horizon=29h",
            "start=2026-11-28T00:00:01Z",
            "objects.Lead.records=5001",
            "objects.Lead.edits_per_hour=40001",
            "objects.Lead.synced_fraction=0.5",
            "objects.Account.weekend_factor=0.3",
            "objects.Contact.record_choice=uniform",
        ] {
            assert!(!shared.fits(&scenario(&[change]), 7), "{change}");
        }
    }
}
