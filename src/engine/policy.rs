//! Draining policies (docs/model.md, Draining): which object's entries fill the next batch.
//!
//! A policy only chooses objects and how many records to take from each; taking the oldest
//! queued entries of an object (FIFO by stamp within it) is the engine's job, passed in as
//! `take`. Outside `fifo` a batch holds one object.

use crate::scenario::Policy;

/// The state a policy carries from one batch to the next.
#[derive(Debug, Default, Clone)]
pub struct DrainState {
    /// Round robin: position in the order of the object whose turn it is.
    turn: usize,
    /// Round robin: records taken in the current turn.
    taken_in_turn: u64,
    /// Weighted: smooth weighted round-robin credits per object.
    credit: Vec<i64>,
    /// Scratch list of eligible objects.
    scratch: Vec<usize>,
}

impl DrainState {
    /// Fresh state for `policy` over `objects` objects.
    pub fn new(policy: &Policy, objects: usize) -> Self {
        DrainState {
            credit: match policy {
                Policy::Weighted { .. } => vec![0; objects],
                _ => Vec::new(),
            },
            scratch: Vec::with_capacity(objects),
            ..DrainState::default()
        }
    }

    /// Fills `batch` with up to `limit` entries. `eligible[o]` says whether object `o` has
    /// queued entries its gate lets through; `take(objects, n, batch)` moves up to `n` of the
    /// oldest entries of `objects` into `batch` and returns how many it moved.
    pub fn pick(
        &mut self,
        policy: &Policy,
        eligible: &[bool],
        limit: usize,
        take: &mut impl FnMut(&[usize], usize, &mut Vec<u32>) -> usize,
        batch: &mut Vec<u32>,
    ) {
        match policy {
            Policy::Fifo => {
                self.scratch.clear();
                self.scratch
                    .extend((0..eligible.len()).filter(|o| eligible[*o]));
                if !self.scratch.is_empty() {
                    take(&self.scratch, limit, batch);
                }
            }
            Policy::Priority { order } => {
                if let Some(&o) = order.iter().find(|o| eligible[**o]) {
                    take(&[o], limit, batch);
                }
            }
            Policy::RoundRobin { order, slice } => {
                let n = order.len();
                for step in 0..n {
                    let pos = (self.turn + step) % n;
                    let o = order[pos];
                    if !eligible[o] {
                        continue;
                    }
                    if step > 0 {
                        // The object whose turn it was has nothing eligible: the next takes over.
                        self.turn = pos;
                        self.taken_in_turn = 0;
                    }
                    let room = (*slice as u64 - self.taken_in_turn).min(limit as u64) as usize;
                    self.taken_in_turn += take(&[o], room, batch) as u64;
                    if self.taken_in_turn >= *slice as u64 {
                        self.turn = (pos + 1) % n;
                        self.taken_in_turn = 0;
                    }
                    return;
                }
            }
            Policy::Weighted { weights } => {
                // Smooth weighted round-robin over the eligible objects: each gains its weight,
                // the richest (first on ties) takes the batch and pays the total.
                let mut total = 0i64;
                let mut best: Option<usize> = None;
                for o in (0..eligible.len()).filter(|o| eligible[*o]) {
                    self.credit[o] += weights[o] as i64;
                    total += weights[o] as i64;
                    if best.is_none_or(|b| self.credit[o] > self.credit[b]) {
                        best = Some(o);
                    }
                }
                if let Some(o) = best {
                    self.credit[o] -= total;
                    take(&[o], limit, batch);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Objects with unlimited work; records which object each batch came from.
    fn run(
        policy: &Policy,
        eligible: &[bool],
        batches: usize,
        limit: usize,
    ) -> Vec<(usize, usize)> {
        let mut state = DrainState::new(policy, eligible.len());
        let mut log = Vec::new();
        for _ in 0..batches {
            let mut batch = Vec::new();
            let mut took = Vec::new();
            state.pick(
                policy,
                eligible,
                limit,
                &mut |objs: &[usize], n: usize, out: &mut Vec<u32>| {
                    took.push((objs[0], n));
                    out.extend(std::iter::repeat_n(0, n));
                    n
                },
                &mut batch,
            );
            log.extend(took);
        }
        log
    }

    #[test]
    fn round_robin_takes_slices_in_turn() {
        // 10K slices of 200-record batches: 50 batches of Lead, then 50 of Contact.
        let p = Policy::RoundRobin {
            order: vec![0, 1],
            slice: 10_000,
        };
        let log = run(&p, &[true, true], 150, 200);
        assert!(log[..50].iter().all(|&(o, n)| o == 0 && n == 200));
        assert!(log[50..100].iter().all(|&(o, _)| o == 1));
        assert!(log[100..].iter().all(|&(o, _)| o == 0));
    }

    #[test]
    fn round_robin_batch_never_crosses_a_slice() {
        let p = Policy::RoundRobin {
            order: vec![0, 1],
            slice: 300,
        };
        let log = run(&p, &[true, true], 4, 200);
        assert_eq!(log, vec![(0, 200), (0, 100), (1, 200), (1, 100)]);
    }

    #[test]
    fn priority_takes_the_first_eligible() {
        let p = Policy::Priority { order: vec![1, 0] };
        assert_eq!(run(&p, &[true, true], 2, 10), vec![(1, 10), (1, 10)]);
        assert_eq!(run(&p, &[true, false], 1, 10), vec![(0, 10)]);
    }

    #[test]
    fn weighted_shares_batches_by_weight() {
        let p = Policy::Weighted {
            weights: vec![3, 1],
        };
        let log = run(&p, &[true, true], 8, 1);
        let firsts = log.iter().filter(|(o, _)| *o == 0).count();
        assert_eq!(firsts, 6);
        // Smooth: never more than three in a row for the heavy one.
        assert_eq!(
            log.iter().map(|(o, _)| *o).collect::<Vec<_>>(),
            vec![0, 0, 1, 0, 0, 0, 1, 0]
        );
    }
}
