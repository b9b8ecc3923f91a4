//! How the planner runs its simulations: every (candidate, replication) pair on rayon's pool,
//! replication `i` seeded [`seeds::replication_seed`]`(candidate seed, i)`, results collected
//! in order, so they depend neither on the number of threads nor on the order of the work.
//!
//! **Shared edits.** Background edits depend on the objects, the start, the horizon and the
//! seed, not on the sync or the events ([`SharedEdits`]). Candidates whose edits are the
//! same (a sweep over `sync.throughput`, the plans of a schedule, the values a solve tries)
//! form a group; replication `i` of a group draws its edits once and every member reads them.
//! The results are the same as when each candidate draws its own (tested); only the drawing
//! is saved. A [`Runner`] says whether to share and how many buffers memory allows at once
//! (each holds one replication's edits, 24 bytes an edit), and, for a search that runs its
//! candidates one after another (solve), keeps the buffers between calls.
//!
//! A run until clear (`horizon = "until clear"`) ends when everything has cleared, usually
//! long before the cap a buffer would be drawn to: such candidates draw their own edits.
//!
//! **Questions about clear times alone.** A search whose target reads only events' clear and
//! recovery times (solve's, often) needs no run past the moment those are final: such runs
//! stop at the first sample point after every event has cleared and recovered
//! ([`Inputs::stop_when_settled`]), with the same answers.
//!
//! Simulations run replication by replication, all in one parallel pass: the first
//! simulation of a replication draws its buffer, the others read it, and the last one hands
//! its memory back for the next buffer to be drawn into (or the runner keeps it), so only a few
//! buffers (about two per thread) are alive at once. The engine workspaces come from a pool
//! the runner keeps, so memory faulted in by one simulation serves the next.
//!
//! Run independently ([`Runner::independent`], `--independent`), the simulations run as the
//! planner ran them before: all in one parallel pass, each drawing its own edits in a
//! workspace of its rayon job, and each to the horizon.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use super::{Derive, Outcome};
use crate::engine::shared_edits::{estimate_bytes, same_edits, Storage};
use crate::engine::{seeds, simulate_in, Inputs, SharedEdits, Workspace};
use crate::scenario::Scenario;
use crate::summary::{Metric, RunSummary};

/// Where the planner's simulations get their background edits (see the module
/// documentation).
#[derive(Debug)]
pub struct Runner {
    /// Run every simulation as if its candidate ran alone (no shared edits, no early stop).
    alone: bool,
    /// Share edits between candidates whose edits are the same.
    share: bool,
    /// Buffers that may be held at once.
    capacity: usize,
    /// Keep buffers between calls.
    keep: bool,
    /// Buffers kept, by replication, with the scenario they were drawn for.
    kept: BTreeMap<u64, SharedEdits>,
    /// Engine workspaces of finished jobs, for the next (results never depend on what a
    /// workspace served before).
    workspaces: Mutex<Vec<Workspace>>,
    /// The memory of buffers no run reads any more, to draw the next ones into.
    spare: Mutex<Vec<Storage>>,
}

impl Runner {
    /// Every simulation runs as if its candidate ran alone: it draws its own edits, and runs
    /// to the horizon.
    pub fn independent() -> Self {
        Runner {
            alone: true,
            share: false,
            capacity: 0,
            keep: false,
            kept: BTreeMap::new(),
            workspaces: Mutex::new(Vec::new()),
            spare: Mutex::new(Vec::new()),
        }
    }

    /// Candidates of one call share edits, at most `capacity` buffers at once (none: every
    /// simulation draws its own).
    pub fn shared(capacity: usize) -> Self {
        Runner {
            alone: false,
            share: capacity > 0,
            capacity,
            keep: false,
            kept: BTreeMap::new(),
            workspaces: Mutex::new(Vec::new()),
            spare: Mutex::new(Vec::new()),
        }
    }

    /// As [`Runner::shared`], and buffers are kept from one call to the next (up to
    /// `capacity`), for a search that runs its candidates one after another.
    pub fn keeping(capacity: usize) -> Self {
        Runner {
            keep: capacity > 0,
            ..Runner::shared(capacity)
        }
    }

    /// A runner for `candidates` that may use `memory_left` bytes (what the memory cap leaves
    /// after the simulations running at once): half of it at most for buffers, each the
    /// largest candidate's expected edits ([`shared_edits::estimate_bytes`]); keeping buffers
    /// between calls when `keep`. Without background edits there is nothing to share.
    ///
    /// [`shared_edits::estimate_bytes`]: crate::engine::shared_edits::estimate_bytes
    pub fn for_memory<'s>(
        candidates: impl IntoIterator<Item = &'s Scenario>,
        memory_left: f64,
        keep: bool,
    ) -> Self {
        let per_buffer = candidates
            .into_iter()
            .map(estimate_bytes)
            .fold(0.0, f64::max);
        if per_buffer <= 0.0 {
            return Runner::independent();
        }
        let capacity = (memory_left.max(0.0) / 2.0 / per_buffer).floor().min(1e6) as usize;
        if keep {
            Runner::keeping(capacity)
        } else {
            Runner::shared(capacity)
        }
    }

    /// Whether every simulation runs as if its candidate ran alone ([`Runner::independent`]).
    pub fn runs_alone(&self) -> bool {
        self.alone
    }

    /// Whether this runner shares edits at all.
    pub fn shares(&self) -> bool {
        self.share
    }

    /// The buffer kept for replication `i`, if it fits `sc`.
    fn kept_for(&self, sc: &Scenario, i: u64) -> Option<&SharedEdits> {
        self.kept
            .get(&i)
            .filter(|b| b.fits(sc, seeds::replication_seed(sc.seed, i)))
    }

    /// Whether buffers drawn for `sc` are kept: the runner keeps, and holds nothing yet or
    /// buffers of the same edits (a search whose knob changes the edits draws its own).
    fn keeps_for(&self, sc: &Scenario) -> bool {
        self.keep
            && self
                .kept
                .iter()
                .next()
                .is_none_or(|(&i, b)| b.fits(sc, seeds::replication_seed(sc.seed, i)))
    }
}

/// A workspace lent from a pool for the simulations of one rayon job, and given back when
/// the job ends, so that runs after the first reuse memory already faulted in.
struct Lent<'p> {
    workspace: Workspace,
    pool: &'p Mutex<Vec<Workspace>>,
}

impl<'p> Lent<'p> {
    fn from(pool: &'p Mutex<Vec<Workspace>>) -> Self {
        let workspace = lock(pool).pop().unwrap_or_default();
        Lent { workspace, pool }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let ws = std::mem::take(&mut self.workspace);
        lock(self.pool).push(ws);
    }
}

/// A pool's lock; a panic elsewhere leaves its list as valid as before.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A finished simulation: (candidate, replication) and its metrics.
type Ran = ((usize, u64), Vec<Metric>);

/// The buffer of one (group, replication) and the simulations yet to read it.
struct Slot {
    /// The group's first candidate, whose edits every member draws.
    lead: usize,
    buffer: Option<SharedEdits>,
    left: usize,
}

/// Runs replications `reps` of every candidate on the current rayon pool and returns one
/// [`Outcome`] per candidate, its rows in replication order. `derive` adds metrics computed
/// from a whole run; `progress` is called once per finished simulation, from any thread.
pub fn evaluate(
    candidates: &[Scenario],
    reps: Range<u64>,
    derive: Option<&Derive>,
    runner: &mut Runner,
    progress: &(dyn Fn() + Sync),
) -> Vec<Outcome> {
    evaluate_for(candidates, reps, derive, false, runner, progress)
}

/// [`evaluate`] for a question about clear and recovery times alone when `settled_only`:
/// unless the runner runs candidates alone, each simulation stops once every event has
/// cleared and recovered, and only those metrics of its outcome may be read.
pub fn evaluate_for(
    candidates: &[Scenario],
    reps: Range<u64>,
    derive: Option<&Derive>,
    settled_only: bool,
    runner: &mut Runner,
    progress: &(dyn Fn() + Sync),
) -> Vec<Outcome> {
    let reps: Vec<u64> = reps.collect();
    evaluate_indices(candidates, &reps, derive, settled_only, runner, progress)
}

/// [`evaluate_for`] of the replications `reps` (ascending, not necessarily consecutive: a
/// shard's), each outcome's rows in the order of `reps`.
pub fn evaluate_indices(
    candidates: &[Scenario],
    reps: &[u64],
    derive: Option<&Derive>,
    settled_only: bool,
    runner: &mut Runner,
    progress: &(dyn Fn() + Sync),
) -> Vec<Outcome> {
    let stop_when_settled = settled_only && !runner.alone;
    assert!(!reps.is_empty(), "at least one replication");
    let r = reps.len();
    let mut rows: Vec<Option<Vec<Metric>>> = vec![None; candidates.len() * r];
    let run = |ws: &mut Workspace, (c, i): (usize, u64), buffer: Option<&SharedEdits>| {
        let sc = &candidates[c];
        let seed = seeds::replication_seed(sc.seed, i);
        let inputs = Inputs {
            shared_edits: buffer,
            stop_when_settled,
            ..Inputs::default()
        };
        let summary = RunSummary::of(sc, simulate_in(ws, sc, seed, inputs));
        let mut metrics = summary.metrics().to_vec();
        if let Some(d) = derive {
            metrics.extend(d(&summary));
        }
        progress();
        ((c, i), metrics)
    };
    let mut place = |done: Vec<((usize, u64), Vec<Metric>)>| {
        for ((c, i), metrics) in done {
            let at = reps.binary_search(&i).expect("a replication asked for");
            rows[c * r + at] = Some(metrics);
        }
    };

    // Candidates in groups of the same edits; a group shares when it has several members,
    // or buffers are kept for later calls.
    // A run until clear usually ends long before its cap, up to which a buffer would be
    // drawn: such candidates draw their own edits, as far as they run.
    let shares = |sc: &Scenario| runner.share && !sc.until_clear;
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (c, sc) in candidates.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|g| shares(sc) && same_edits(&candidates[g[0]], sc))
        {
            Some(g) => g.push(c),
            None => groups.push(vec![c]),
        }
    }
    let (shared, own): (Vec<Vec<usize>>, Vec<Vec<usize>>) = groups.into_iter().partition(|g| {
        shares(&candidates[g[0]]) && (g.len() > 1 || runner.keeps_for(&candidates[g[0]]))
    });
    let own: Vec<(usize, u64)> = own
        .iter()
        .flatten()
        .flat_map(|&c| reps.iter().map(move |&i| (c, i)))
        .collect();
    place(
        own.into_par_iter()
            .map_init(Workspace::default, |ws, job| run(ws, job, None))
            .collect(),
    );

    // One slot per (group, replication): its buffer, drawn by the first simulation that
    // needs it, and how many simulations have yet to read it; the last one frees it. Jobs run
    // replication by replication, so only a few buffers are alive at once.
    let runner_ref: &Runner = runner;
    let mut slots: Vec<Mutex<Slot>> = Vec::new();
    let mut jobs: Vec<(usize, usize, u64)> = Vec::new();
    for g in &shared {
        for &i in reps {
            let kept = runner_ref.kept_for(&candidates[g[0]], i).cloned();
            slots.push(Mutex::new(Slot {
                lead: g[0],
                buffer: kept,
                left: g.len(),
            }));
            jobs.extend(g.iter().map(|&c| (slots.len() - 1, c, i)));
        }
    }
    let keep: Vec<bool> = shared
        .iter()
        .map(|g| runner_ref.keeps_for(&candidates[g[0]]))
        .collect();
    let per_group = reps.len() as u64;
    // Buffers that may still be kept beyond those kept already: a buffer is kept by the
    // simulation that reads it last, while there is room; past that it is recycled, so a
    // search never holds more than the runner's capacity.
    let room = AtomicUsize::new(runner_ref.capacity.saturating_sub(runner_ref.kept.len()));
    let take_room = || {
        room.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    };
    let done: Vec<(Ran, Option<(u64, SharedEdits)>)> = jobs
        .into_par_iter()
        .map_init(
            || Lent::from(&runner_ref.workspaces),
            |lent, (slot, c, i)| {
                let buffer = {
                    let mut s = lock(&slots[slot]);
                    let lead = &candidates[s.lead];
                    s.buffer
                        .get_or_insert_with(|| {
                            let storage = lock(&runner_ref.spare).pop().unwrap_or_default();
                            SharedEdits::draw_into(
                                lead,
                                seeds::replication_seed(lead.seed, i),
                                storage,
                            )
                        })
                        .clone()
                };
                let result = run(&mut lent.workspace, (c, i), Some(&buffer));
                drop(buffer);
                let mut s = lock(&slots[slot]);
                s.left -= 1;
                let last = (s.left == 0).then(|| s.buffer.take()).flatten();
                drop(s);
                let kept = match last {
                    Some(b)
                        if keep[slot / per_group as usize]
                            && (runner_ref.kept.contains_key(&i) || take_room()) =>
                    {
                        Some((i, b))
                    }
                    Some(b) => {
                        if let Some(storage) = b.recycle() {
                            lock(&runner_ref.spare).push(storage);
                        }
                        None
                    }
                    None => None,
                };
                (result, kept)
            },
        )
        .collect();
    let mut to_keep = Vec::new();
    place(
        done.into_iter()
            .map(|(result, kept)| {
                to_keep.extend(kept);
                result
            })
            .collect(),
    );
    for (i, b) in to_keep {
        if runner.kept.len() < runner.capacity || runner.kept.contains_key(&i) {
            runner.kept.insert(i, b);
        }
    }

    let rows: Vec<Vec<Metric>> = rows
        .into_iter()
        .map(|row| row.expect("every simulation ran"))
        .collect();
    rows.chunks(r)
        .map(|reps| Outcome {
            names: reps[0].iter().map(|m| m.name.clone()).collect(),
            runs: reps
                .iter()
                .map(|s| s.iter().map(|m| m.value).collect())
                .collect(),
        })
        .collect()
}
