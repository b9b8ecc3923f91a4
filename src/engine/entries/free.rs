//! The free slots of the entry slab: a stack, the slot freed last on top, kept in the free
//! slots themselves so that it takes no memory of its own.
//!
//! A free slot's memory is unused but for its state, which must read
//! [`EntryState::Free`](super::EntryState::Free) so that a stale FIFO item pointing at it is
//! never taken for a live one. So the stack is a list of *nodes*: free slots that also hold
//! the ids of up to [`HELD`] other free slots, and the id of the next node below. Every node
//! but the top one is full. Taking a slot takes the top node's last id, or, when the top node
//! holds none, the node itself.
//!
//! Why not a list through the slots (each free slot naming the next)? At a hundred times the
//! reference scale the slab is a gigabyte, the slot to take next is rarely in the cache, and
//! a list says which one it is only once the current one has been read: every new entry
//! waited for memory. A node names the next few slots at once, so a new entry asks the
//! processor to fetch the slot a few entries later ([`AHEAD`]) while it writes its own.
//!
//! Once no slot is in use ([`FreeSlots::all_free`]), the stack is forgotten and slots are
//! handed out from the start of the slab again, in order, before the stack is used. After
//! a bulk update has drained, the stack holds millions of slots in the order the drain freed
//! them, spread over the whole slab; taking from it, the few thousand entries of the steady
//! state that follows would sit on as many pages, and nearly every one would miss the
//! processor's address cache (at a hundred times the reference, the run took a third longer
//! that way). From the start they share a few dozen pages.

use super::super::pending::prefetch;
use super::{Entry, EntryState};

/// Free slot ids a node holds besides its own: two in each of two words of the entry.
pub(super) const HELD: u8 = 4;

/// How many takes ahead a take prefetches the slot it will hand out.
const AHEAD: u8 = 2;

/// No slot: an empty stack, or the bottom node.
const NO_SLOT: u32 = u32::MAX;

/// The stack of free slots (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub(in crate::engine) struct FreeSlots {
    /// The top node, or [`NO_SLOT`].
    top: u32,
    /// How many ids the top node holds (the nodes below hold [`HELD`] each).
    held: u8,
    /// Slots `unused..unused_end` are free and not on the stack: the slab as it was when no
    /// slot was in use, handed out in order once the stack is empty.
    unused: u32,
    unused_end: u32,
}

impl Default for FreeSlots {
    fn default() -> Self {
        FreeSlots {
            top: NO_SLOT,
            held: 0,
            unused: 0,
            unused_end: 0,
        }
    }
}

impl FreeSlots {
    /// Every one of the `len` slots of the slab is free: forget the stack and hand them out
    /// from the first one on.
    pub(super) fn all_free(&mut self, len: usize) {
        *self = FreeSlots {
            unused_end: len as u32,
            ..FreeSlots::default()
        };
    }

    /// Takes the slot freed last, if any, else the next unused one, if any.
    #[inline(always)]
    pub(super) fn take(&mut self, slab: &[Entry]) -> Option<u32> {
        let top = self.top;
        if top == NO_SLOT {
            if self.unused < self.unused_end {
                self.unused += 1;
                return Some(self.unused - 1);
            }
            return None;
        }
        let node = &slab[top as usize];
        if self.held == 0 {
            // The node itself; the next node down is full.
            self.top = node.record;
            if self.top != NO_SLOT {
                self.held = HELD;
                let next = &slab[self.top as usize];
                prefetch(slab, next.held(HELD - 1) as usize);
                prefetch(slab, next.held(HELD - 2) as usize);
            }
            return Some(top);
        }
        self.held -= 1;
        let e = node.held(self.held);
        if self.held >= AHEAD {
            prefetch(slab, node.held(self.held - AHEAD) as usize);
        }
        if self.held == AHEAD {
            // The next node, whose ids the take after this node's will read.
            prefetch(slab, node.record as usize);
        }
        Some(e)
    }

    /// Puts slot `e` (no longer in use) on top.
    #[inline(always)]
    pub(super) fn put(&mut self, slab: &mut [Entry], e: u32) {
        if self.top != NO_SLOT && self.held < HELD {
            slab[self.top as usize].set_held(self.held, e);
            slab[e as usize].set_state(EntryState::Free);
            self.held += 1;
        } else {
            slab[e as usize] = Entry::node(self.top);
            self.top = e;
            self.held = 0;
        }
    }
}

impl Entry {
    /// A free slot that is a node of the free stack over `next`, holding no id yet.
    fn node(next: u32) -> Entry {
        Entry {
            order_since: 0,
            created: 0,
            marks: 0,
            record: next,
            queue: 0,
            flags: EntryState::Free as u16,
        }
    }

    /// Free slot id `i` (below [`HELD`]) of a node.
    #[inline(always)]
    fn held(&self, i: u8) -> u32 {
        let word = if i < 2 { self.order_since } else { self.marks };
        (word >> (32 * (i % 2))) as u32
    }

    /// Sets free slot id `i` (below [`HELD`]) of a node.
    #[inline(always)]
    fn set_held(&mut self, i: u8, e: u32) {
        let shift = 32 * (i % 2);
        let word = if i < 2 {
            &mut self.order_since
        } else {
            &mut self.marks
        };
        *word = (*word & !((u32::MAX as u64) << shift)) | (e as u64) << shift;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Direction, QueueId};

    fn slab(n: usize) -> Vec<Entry> {
        let q = QueueId::new(0, Direction::ToMarketing);
        (0..n)
            .map(|r| Entry::new(r as u64, 0, 0, r as u32, q, true, EntryState::Queued))
            .collect()
    }

    #[test]
    fn slots_come_back_last_freed_first_and_read_free() {
        let mut slab = slab(40);
        let mut free = FreeSlots::default();
        assert_eq!(free.take(&slab), None);
        let freed: Vec<u32> = vec![7, 3, 39, 0, 12, 25, 31, 8, 9, 10, 1, 2, 33, 34, 35, 20, 21];
        for &e in &freed {
            free.put(&mut slab, e);
        }
        for &e in &freed {
            assert_eq!(slab[e as usize].state(), EntryState::Free, "slot {e}");
        }
        let taken: Vec<u32> = std::iter::from_fn(|| free.take(&slab)).collect();
        let mut expected = freed.clone();
        expected.reverse();
        assert_eq!(taken, expected);
    }

    #[test]
    fn interleaved_puts_and_takes_behave_as_a_stack() {
        let mut slab = slab(64);
        let mut free = FreeSlots::default();
        let mut model: Vec<u32> = Vec::new();
        let mut next = 0u32;
        // A fixed pattern of runs of puts and takes that crosses node boundaries both ways.
        for (puts, takes) in [(5, 2), (9, 3), (1, 7), (13, 6), (2, 0), (0, 4), (20, 28)] {
            for _ in 0..puts {
                free.put(&mut slab, next);
                model.push(next);
                next += 1;
            }
            for _ in 0..takes {
                assert_eq!(free.take(&slab), model.pop());
            }
        }
        assert!(model.is_empty());
        assert_eq!(free.take(&slab), None);
    }

    #[test]
    fn once_all_are_free_slots_come_from_the_start_then_from_the_stack() {
        let mut slab = slab(20);
        let mut free = FreeSlots::default();
        for e in [5, 17, 2, 9] {
            free.put(&mut slab, e);
        }
        free.all_free(20);
        assert_eq!(free.take(&slab), Some(0));
        assert_eq!(free.take(&slab), Some(1));
        // A slot freed meanwhile goes first, then the unused ones go on in order.
        free.put(&mut slab, 0);
        assert_eq!(free.take(&slab), Some(0));
        let rest: Vec<u32> = std::iter::from_fn(|| free.take(&slab)).collect();
        assert_eq!(rest, (2..20).collect::<Vec<u32>>());
    }

    #[test]
    fn a_node_holds_four_ids_in_its_words() {
        let mut node = Entry::node(NO_SLOT);
        let ids = [u32::MAX - 1, 0x8000_0000, 42, 0xDEAD_BEEF];
        assert_eq!(ids.len(), HELD as usize);
        for (i, &e) in ids.iter().enumerate() {
            node.set_held(i as u8, e);
        }
        for (i, &e) in ids.iter().enumerate() {
            assert_eq!(node.held(i as u8), e, "id {i}");
        }
        assert_eq!(node.state(), EntryState::Free);
        assert_eq!(node.record, NO_SLOT);
    }
}
