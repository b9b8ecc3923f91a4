//! How the planner runs its simulations: every (candidate, replication) pair on rayon's pool,
//! replication `i` seeded [`seeds::replication_seed`]`(candidate seed, i)`, results collected
//! in order, so they depend neither on the number of threads nor on the order of the work.
//!
//! **Shared edits.** Background edits depend on the objects, the start, the horizon and the
//! seed, not on the sync or the events ([`SharedEdits`]). Candidates whose edits are the
//! same (a sweep over `sync.throughput`, the plans of a schedule, the values a solve tries)
//! form a group; replication `i` of a group draws its edits once and every member reads them.
//! The results are the same as when each candidate draws its own (tested); only the drawing
//! is saved. An [`EditBank`] says whether to share and how many buffers memory allows at once
//! (each holds one replication's edits, 24 bytes an edit), and, for a search that runs its
//! candidates one after another (solve), keeps the buffers between calls.
//!
//! Work runs in batches of a few replications per group: all of a batch's (member,
//! replication) simulations run in parallel while the next batch's buffers are drawn beside
//! them, then the batch's buffers are dropped (or kept); so at most the bank's capacity of
//! buffers is ever held. Their engine workspaces come from a pool the bank keeps, so memory
//! faulted in by one batch serves the next.
//!
//! Without sharing ([`EditBank::independent`], `--no-shared-edits`), the simulations run as
//! the planner ran them before shared edits: all in one parallel pass, each drawing its own
//! edits in a workspace of its rayon job.

use std::collections::BTreeMap;
use std::ops::Range;
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
pub struct EditBank {
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

impl EditBank {
    /// Every simulation draws its own edits, as if its candidate ran alone.
    pub fn independent() -> Self {
        EditBank {
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
        EditBank {
            share: capacity > 0,
            capacity,
            keep: false,
            kept: BTreeMap::new(),
            workspaces: Mutex::new(Vec::new()),
            spare: Mutex::new(Vec::new()),
        }
    }

    /// As [`EditBank::shared`], and buffers are kept from one call to the next (up to
    /// `capacity`), for a search that runs its candidates one after another.
    pub fn keeping(capacity: usize) -> Self {
        EditBank {
            keep: capacity > 0,
            ..EditBank::shared(capacity)
        }
    }

    /// A bank for `candidates` that may use `memory_left` bytes (what the memory cap leaves
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
            return EditBank::independent();
        }
        let capacity = (memory_left.max(0.0) / 2.0 / per_buffer).floor().min(1e6) as usize;
        if keep {
            EditBank::keeping(capacity)
        } else {
            EditBank::shared(capacity)
        }
    }

    /// Whether this bank shares edits at all.
    pub fn shares(&self) -> bool {
        self.share
    }

    /// The buffer kept for replication `i`, if it fits `sc`.
    fn kept_for(&self, sc: &Scenario, i: u64) -> Option<&SharedEdits> {
        self.kept
            .get(&i)
            .filter(|b| b.fits(sc, seeds::replication_seed(sc.seed, i)))
    }

    /// Whether buffers drawn for `sc` are kept: the bank keeps, and holds nothing yet or
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

/// One simulation to run: candidate, replication, and the buffer (index into the batch's
/// buffers) it reads its edits from, if any.
type Job = (usize, u64, Option<usize>);

/// Runs replications `reps` of every candidate on the current rayon pool and returns one
/// [`Outcome`] per candidate, its rows in replication order. `derive` adds metrics computed
/// from a whole run; `progress` is called once per finished simulation, from any thread.
pub fn evaluate(
    candidates: &[Scenario],
    reps: Range<u64>,
    derive: Option<&Derive>,
    bank: &mut EditBank,
    progress: &(dyn Fn() + Sync),
) -> Vec<Outcome> {
    assert!(!reps.is_empty(), "at least one replication");
    let r = (reps.end - reps.start) as usize;
    let mut rows: Vec<Option<Vec<Metric>>> = vec![None; candidates.len() * r];
    let run = |ws: &mut Workspace, job: Job, buffers: &[SharedEdits]| {
        let (c, i, buffer) = job;
        let sc = &candidates[c];
        let seed = seeds::replication_seed(sc.seed, i);
        let inputs = Inputs {
            shared_edits: buffer.map(|b| &buffers[b]),
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
            rows[c * r + (i - reps.start) as usize] = Some(metrics);
        }
    };

    // Candidates in groups of the same edits; a group shares when it has several members,
    // or buffers are kept for later calls.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (c, sc) in candidates.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|g| bank.share && same_edits(&candidates[g[0]], sc))
        {
            Some(g) => g.push(c),
            None => groups.push(vec![c]),
        }
    }
    let (shared, own): (Vec<Vec<usize>>, Vec<Vec<usize>>) = groups
        .into_iter()
        .partition(|g| bank.share && (g.len() > 1 || bank.keeps_for(&candidates[g[0]])));
    let own: Vec<Job> = own
        .iter()
        .flatten()
        .flat_map(|&c| reps.clone().map(move |i| (c, i, None)))
        .collect();
    place(
        own.into_par_iter()
            .map_init(Workspace::default, |ws, job| run(ws, job, &[]))
            .collect(),
    );

    let threads = rayon::current_num_threads();
    for g in &shared {
        let lead = &candidates[g[0]];
        // Enough simulations per batch to keep every thread busy to its end, and two
        // batches' buffers (the one running, the next being drawn) within the capacity.
        let batch = (32 * threads)
            .div_ceil(g.len())
            .clamp(1, (bank.capacity / 2).max(1)) as u64;
        let batches: Vec<Vec<u64>> = reps
            .clone()
            .step_by(batch as usize)
            .map(|first| (first..(first + batch).min(reps.end)).collect())
            .collect();
        let bank_ref: &EditBank = bank;
        let draw = |units: &[u64]| -> Vec<SharedEdits> {
            units
                .par_iter()
                .map(|&i| match bank_ref.kept_for(lead, i) {
                    Some(b) => b.clone(),
                    None => {
                        let storage = lock(&bank_ref.spare).pop().unwrap_or_default();
                        SharedEdits::draw_into(lead, seeds::replication_seed(lead.seed, i), storage)
                    }
                })
                .collect()
        };
        let mut done_batches: Vec<(Vec<u64>, Vec<SharedEdits>)> = Vec::new();
        let mut next = Some(draw(&batches[0]));
        for (b, units) in batches.iter().enumerate() {
            let buffers = next.take().expect("drawn ahead");
            let jobs: Vec<Job> = units
                .iter()
                .enumerate()
                .flat_map(|(u, &i)| g.iter().map(move |&c| (c, i, Some(u))))
                .collect();
            // This batch's simulations, and the next batch's edits drawn beside them.
            let (done, drawn) = rayon::join(
                || {
                    jobs.into_par_iter()
                        .map_init(
                            || Lent::from(&bank_ref.workspaces),
                            |lent, job| run(&mut lent.workspace, job, &buffers),
                        )
                        .collect::<Vec<_>>()
                },
                || batches.get(b + 1).map(|u| draw(u)),
            );
            place(done);
            next = drawn;
            if bank_ref.keeps_for(lead) {
                done_batches.push((units.clone(), buffers));
            } else {
                lock(&bank_ref.spare).extend(buffers.into_iter().filter_map(SharedEdits::recycle));
            }
        }
        for (units, buffers) in done_batches {
            for (i, b) in units.into_iter().zip(buffers) {
                if bank.kept.len() < bank.capacity || bank.kept.contains_key(&i) {
                    bank.kept.insert(i, b);
                }
            }
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
