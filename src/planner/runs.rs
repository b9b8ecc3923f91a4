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
//! (each holds one replication's edits, 16 bytes an edit), and, for a search that runs its
//! candidates one after another (solve), keeps the buffers between calls.
//!
//! Work runs in batches of a few replications per group: the batch's buffers are drawn in
//! parallel, then all its (member, replication) simulations run in parallel, then the buffers
//! are dropped (or kept); so at most the bank's capacity of buffers is ever held.

use std::collections::BTreeMap;
use std::ops::Range;

use rayon::prelude::*;

use super::{Derive, Outcome};
use crate::engine::shared_edits::{estimate_bytes, same_edits};
use crate::engine::{seeds, simulate_in, Inputs, SharedEdits, Workspace};
use crate::scenario::Scenario;
use crate::summary::{Metric, RunSummary};

/// Where the planner's simulations get their background edits (see the module
/// documentation).
#[derive(Debug, Clone)]
pub struct EditBank {
    /// Share edits between candidates whose edits are the same.
    share: bool,
    /// Buffers that may be held at once.
    capacity: usize,
    /// Keep buffers between calls.
    keep: bool,
    /// Buffers kept, by replication, with the scenario they were drawn for.
    kept: BTreeMap<u64, SharedEdits>,
}

impl EditBank {
    /// Every simulation draws its own edits, as if its candidate ran alone.
    pub fn independent() -> Self {
        EditBank {
            share: false,
            capacity: 0,
            keep: false,
            kept: BTreeMap::new(),
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
        // Enough simulations per batch to keep every thread busy to its end.
        let batch = (8 * threads)
            .div_ceil(g.len())
            .clamp(1, bank.capacity.max(1)) as u64;
        let mut first = reps.start;
        while first < reps.end {
            let units: Vec<u64> = (first..(first + batch).min(reps.end)).collect();
            first += units.len() as u64;
            let buffers: Vec<SharedEdits> = units
                .par_iter()
                .map(|&i| match bank.kept_for(lead, i) {
                    Some(b) => b.clone(),
                    None => SharedEdits::draw(lead, seeds::replication_seed(lead.seed, i)),
                })
                .collect();
            let jobs: Vec<Job> = units
                .iter()
                .enumerate()
                .flat_map(|(b, &i)| g.iter().map(move |&c| (c, i, Some(b))))
                .collect();
            place(
                jobs.into_par_iter()
                    .map_init(Workspace::default, |ws, job| run(ws, job, &buffers))
                    .collect(),
            );
            if bank.keeps_for(lead) {
                for (&i, b) in units.iter().zip(buffers) {
                    if bank.kept.len() < bank.capacity || bank.kept.contains_key(&i) {
                        bank.kept.insert(i, b);
                    }
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
