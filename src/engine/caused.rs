//! Caused edits: the scenario's cascades and echoes in a run (docs/model.md, Cascades and
//! echoes).
//!
//! An edit of a watched (object, direction), or an update of one the sync completes, sets
//! off the rules that watch it: each draws how many edits it causes and schedules them as
//! one event of the heap, `delay` later. When that event comes, the edits are made one
//! after another (records picked as the target object's background edits pick them, or the
//! triggering record for an echo) and go through [`Sim::edit`] like any other, so
//! filtering, coalescing and conservation hold as for background edits; each may set off
//! rules in turn.
//!
//! Every rule draws from a random stream of its own (`seeds::tag::CAUSED`), so a scenario
//! without rules draws exactly what it did before, and the background streams (drawn
//! ahead on a second thread, or shared between runs) are untouched. Each caused edit has a
//! generation: one more than what set it off (background and bulk edits are generation 0;
//! an entry's generation is the least of its edits'); a trigger of generation
//! `max_generations` or more sets nothing off, and is counted (`caused_capped`), so no run
//! can feed itself for ever. A tracked event whose edit (or entry) set a rule off is held
//! open until the caused edits are made, and marks the entries they make.

use rand::Rng;
use rand_distr::{Distribution, Poisson};
use rand_pcg::Pcg64Mcg;

use super::arrivals::Chooser;
use super::{seeds, Happening, Sim};
use crate::scenario::caused::{CausedCount, CausedRecords, RuleKind, Trigger};
use crate::scenario::{Direction, QueueId, Scenario};

/// Caused edits waiting for their instant: one per trigger.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    /// The rule.
    rule: u16,
    /// The direction of the caused edits.
    direction: Direction,
    /// How many edits.
    count: u32,
    /// The triggering record (the record an echo edits).
    record: u32,
    /// The generation of the caused edits.
    generation: u8,
    /// Tracked events held open until the edits are made (bit `k`: event `k`).
    marks: u64,
}

/// The rules of a run, by the queue that sets them off, with their random streams and the
/// caused edits waiting in the event heap.
pub(crate) struct Caused {
    /// Whether any rule is set off by edits: then every edit is checked, and the run loop
    /// takes background edits one at a time, as an edit may schedule an event.
    pub(super) fires_on_edit: bool,
    /// Whether any rule is set off by synced updates.
    pub(super) fires_on_synced: bool,
    /// Per queue ([`QueueId::index`]): rules set off by its edits (empty without rules).
    on_edit: Vec<Vec<u16>>,
    /// Per queue: rules set off by its synced updates (empty without rules).
    on_synced: Vec<Vec<u16>>,
    /// Per rule: its random stream.
    rngs: Vec<Pcg64Mcg>,
    /// Per rule: how it picks records (for a cascade).
    choosers: Vec<Option<Chooser>>,
    /// Caused edits scheduled and not yet made, by the slot a [`Happening::Caused`] names.
    waiting: Vec<Waiting>,
    /// Free slots of `waiting`.
    free: Vec<u32>,
    /// The generation at which triggers stop setting rules off.
    max_generations: u8,
}

impl Caused {
    /// The rules of `sc` for a run seeded `seed` (nothing allocated without rules).
    pub(super) fn new(sc: &Scenario, seed: u64) -> Self {
        let rules = &sc.caused.rules;
        let mut caused = Caused {
            fires_on_edit: false,
            fires_on_synced: false,
            on_edit: Vec::new(),
            on_synced: Vec::new(),
            rngs: Vec::new(),
            choosers: Vec::new(),
            waiting: Vec::new(),
            free: Vec::new(),
            max_generations: sc.caused.max_generations.min(u8::MAX as u32) as u8,
        };
        if rules.is_empty() {
            return caused;
        }
        let nq = QueueId::count(sc.objects.len());
        caused.on_edit = vec![Vec::new(); nq];
        caused.on_synced = vec![Vec::new(); nq];
        for (r, rule) in rules.iter().enumerate() {
            for d in Direction::ALL
                .into_iter()
                .filter(|d| rule.directions[*d as usize])
            {
                let q = QueueId::new(rule.from, d).index();
                match rule.on {
                    Trigger::Edit => caused.on_edit[q].push(r as u16),
                    Trigger::Synced => caused.on_synced[q].push(r as u16),
                }
            }
            caused.fires_on_edit |= rule.on == Trigger::Edit;
            caused.fires_on_synced |= rule.on == Trigger::Synced;
            caused
                .rngs
                .push(seeds::stream_rng(seed, seeds::tag::CAUSED, r as u64));
            caused.choosers.push(
                (rule.records == CausedRecords::Picked).then(|| Chooser::new(&sc.objects[rule.to])),
            );
        }
        caused
    }
}

impl Sim<'_> {
    /// An edit of `record` in queue `q`, of generation `generation`, marked by the tracked
    /// events `marks`, sets off the rules watching the queue's edits.
    #[inline(never)]
    pub(super) fn edit_sets_off(&mut self, q: QueueId, record: u32, generation: u8, marks: u64) {
        let count = self.caused.on_edit[q.index()].len();
        self.set_off(q, count, false, record, generation, marks);
    }

    /// An update of `record` in queue `q` completed (written to the other side), its entry of
    /// generation `generation` and marked by `marks`: sets off the rules watching the
    /// queue's synced updates.
    #[inline(never)]
    pub(super) fn synced_sets_off(&mut self, q: QueueId, record: u32, generation: u8, marks: u64) {
        let count = self.caused.on_synced[q.index()].len();
        self.set_off(q, count, true, record, generation, marks);
    }

    /// Sets off the `count` rules of queue `q` (those watching synced updates if `synced`,
    /// else edits): each draws its count and schedules its edits.
    fn set_off(
        &mut self,
        q: QueueId,
        count: usize,
        synced: bool,
        record: u32,
        generation: u8,
        marks: u64,
    ) {
        if count == 0 {
            return;
        }
        if generation >= self.caused.max_generations {
            self.entries.queues[q].counters.caused_capped += count as u64;
            return;
        }
        let sc = self.sc;
        for i in 0..count {
            let r = if synced {
                self.caused.on_synced[q.index()][i]
            } else {
                self.caused.on_edit[q.index()][i]
            } as usize;
            let rule = &sc.caused.rules[r];
            let rng = &mut self.caused.rngs[r];
            let n = match rule.count {
                CausedCount::Fixed(k) => k,
                CausedCount::Poisson(mean) if mean > 0.0 => {
                    let draw: f64 = Poisson::new(mean)
                        .expect("validated: a finite mean above 0")
                        .sample(rng);
                    draw as u32
                }
                CausedCount::Poisson(_) => 0,
                CausedCount::Uniform(lo, hi) => rng.random_range(lo..=hi),
                CausedCount::Chance(p) if p >= 1.0 => 1,
                CausedCount::Chance(p) if p <= 0.0 => 0,
                CausedCount::Chance(p) => (rng.random::<f64>() < p) as u32,
            };
            let at = self.now.saturating_add(rule.delay);
            // Nothing happens after the horizon: edits caused beyond it are never made.
            if n == 0 || at >= self.sc.horizon {
                continue;
            }
            let waiting = Waiting {
                rule: r as u16,
                direction: rule.caused_direction(q.direction()),
                count: n,
                record,
                generation: generation + 1,
                marks,
            };
            let slot = match self.caused.free.pop() {
                Some(slot) => {
                    self.caused.waiting[slot as usize] = waiting;
                    slot
                }
                None => {
                    self.caused.waiting.push(waiting);
                    (self.caused.waiting.len() - 1) as u32
                }
            };
            self.hold_marks(marks);
            self.schedule(at, Happening::Caused(slot));
        }
    }

    /// The caused edits of slot `slot` are due: makes them, each as an edit of its own that
    /// may set rules off in turn, then lets go of the events they held open.
    pub(super) fn caused_edits(&mut self, slot: u32) {
        let w = self.caused.waiting[slot as usize];
        self.caused.free.push(slot);
        let r = w.rule as usize;
        let rule = &self.sc.caused.rules[r];
        let (object, kind, synced_fraction) = (rule.to, rule.kind, rule.synced_fraction);
        let q = QueueId::new(object, w.direction);
        let first_mark = (w.marks != 0).then(|| w.marks.trailing_zeros() as usize);
        for _ in 0..w.count {
            let rng = &mut self.caused.rngs[r];
            let record = match &self.caused.choosers[r] {
                Some(chooser) => chooser.pick(rng),
                None => w.record,
            };
            let synced = if synced_fraction >= 1.0 {
                true
            } else if synced_fraction <= 0.0 {
                false
            } else {
                rng.random::<f64>() < synced_fraction
            };
            let counters = &mut self.entries.queues[q].counters;
            match kind {
                RuleKind::Cascade => counters.cascade_edits += 1,
                RuleKind::Echo => counters.echo_edits += 1,
            }
            let created = counters.entries_created;
            self.edit(object, w.direction, record, synced, first_mark);
            let queue = &self.entries.queues[q];
            if let Some(e) = queue.pending.get(record) {
                let made = queue.counters.entries_created > created;
                let entry = &mut self.entries.slab[e as usize];
                let generation = if made {
                    w.generation
                } else {
                    entry.generation().min(w.generation)
                };
                entry.set_generation(generation);
                // The first mark went with the edit; the entry waits for the others too.
                let mut rest = w.marks & w.marks.wrapping_sub(1);
                while rest != 0 {
                    let k = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    self.mark(e, k);
                }
            }
            if self.caused.fires_on_edit {
                self.edit_sets_off(q, record, w.generation, w.marks);
            }
        }
        self.release_marks(w.marks);
    }

    /// Caused edits of the tracked events `marks` are scheduled: the events wait for them.
    fn hold_marks(&mut self, mut marks: u64) {
        while marks != 0 {
            let k = marks.trailing_zeros() as usize;
            marks &= marks - 1;
            self.tracking.events[k].outstanding += 1;
        }
    }

    /// The caused edits held for the tracked events `marks` have been made: an event with
    /// nothing else outstanding after its last edit clears now.
    fn release_marks(&mut self, mut marks: u64) {
        if marks == 0 {
            return;
        }
        while marks != 0 {
            let k = marks.trailing_zeros() as usize;
            marks &= marks - 1;
            let t = &mut self.tracking.events[k];
            t.outstanding -= 1;
            if t.outstanding == 0 && t.edits_done && t.outcome.clear.is_none() {
                t.outcome.clear = Some(self.now);
            }
        }
        self.check_all_clear();
    }
}

/// Bytes the memory estimate counts for each trigger: its waiting slot, its event in the
/// heap (which may double as it grows) and a free slot's index.
pub(super) const WAITING_BYTES: f64 =
    (std::mem::size_of::<Waiting>() + 2 * std::mem::size_of::<super::Scheduled>() + 4) as f64;

/// Upper bounds on what a scenario's rules can cause, for the memory and work estimates.
#[derive(Debug, Clone, Default)]
pub(super) struct CausedBound {
    /// Per queue: caused edits (each makes at most one entry).
    pub(super) edits: Vec<f64>,
    /// Per queue: caused edits that touch synced fields.
    pub(super) synced: Vec<f64>,
    /// Triggers that set a rule off (each a slot and an event of the heap).
    pub(super) triggers: f64,
}

/// The most edits `triggers` triggers of a rule with `count` can cause: a fixed or uniform
/// count at its maximum; a drawn one (Poisson, or a chance) at its mean with the margin of a
/// Poisson count, which a run exceeds with a probability below one in a billion.
fn most_caused(count: CausedCount, triggers: f64) -> f64 {
    let margin = |mean: f64| {
        if mean <= 0.0 {
            0.0
        } else {
            mean + 6.0 * mean.sqrt() + 32.0
        }
    };
    match count {
        CausedCount::Fixed(k) => k as f64 * triggers,
        CausedCount::Uniform(_, hi) => hi as f64 * triggers,
        CausedCount::Poisson(mean) => margin(mean * triggers),
        CausedCount::Chance(p) => margin(p * triggers).min(triggers),
    }
}

/// What the rules of `sc` can cause when queue `q` can have `created[q]` entries made by
/// edits no rule caused: generation by generation up to `max_generations`, each trigger an
/// edit or a synced update (at most one per entry, and an entry of generation `g` holds an
/// edit of generation `g`, so the entries, and the updates, of a generation are at most
/// its edits). Without rules, all zero.
pub(super) fn bound(sc: &Scenario, created: &[f64]) -> CausedBound {
    let nq = created.len();
    let mut out = CausedBound {
        edits: vec![0.0; nq],
        synced: vec![0.0; nq],
        triggers: 0.0,
    };
    if !sc.caused.any() {
        return out;
    }
    let mut previous = created.to_vec();
    for _ in 0..sc.caused.max_generations {
        let mut next = vec![0.0; nq];
        for rule in &sc.caused.rules {
            for d in Direction::ALL
                .into_iter()
                .filter(|d| rule.directions[*d as usize])
            {
                let triggers = previous[QueueId::new(rule.from, d).index()];
                let caused = most_caused(rule.count, triggers);
                let q = QueueId::new(rule.to, rule.caused_direction(d)).index();
                next[q] += caused;
                if rule.synced_fraction > 0.0 {
                    out.synced[q] += caused;
                }
                out.triggers += triggers;
            }
        }
        for (total, n) in out.edits.iter_mut().zip(&next) {
            *total += n;
        }
        if next.iter().all(|n| *n == 0.0) {
            break;
        }
        previous = next;
    }
    out
}
