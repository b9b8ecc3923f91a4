//! A first-in, first-out buffer for the engine's queues: a vector read from a moving front.
//!
//! The engine's queues are pushed at the back, taken from the front in bursts, and often
//! emptied by a batch. A vector with a read position does all of that with plain indexing (no
//! ring arithmetic on every access, as a `VecDeque` needs), starts over at the front of its
//! memory whenever it empties, and drops its taken prefix once that is at least half of it, so
//! each item is moved at most once on average and the memory stays within twice the length.

/// Taken items kept before the prefix is dropped, so short queues never move anything.
const MIN_DROP: usize = 1024;

/// A FIFO of `T` (see the module documentation).
#[derive(Debug, Clone)]
pub struct Fifo<T> {
    items: Vec<T>,
    /// Index of the front item in `items`; those before it were taken.
    head: usize,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo {
            items: Vec::new(),
            head: 0,
        }
    }
}

impl<T: Copy> Fifo<T> {
    /// Adds `item` at the back.
    #[inline]
    pub fn push_back(&mut self, item: T) {
        self.items.push(item);
    }

    /// The front item, if any.
    #[inline]
    pub fn front(&self) -> Option<&T> {
        self.items.get(self.head)
    }

    /// Takes the front item, if any.
    #[inline]
    pub fn pop_front(&mut self) -> Option<T> {
        let item = *self.items.get(self.head)?;
        self.head += 1;
        if self.head == self.items.len() {
            self.clear();
        } else if self.head >= MIN_DROP && 2 * self.head >= self.items.len() {
            self.items.drain(..self.head);
            self.head = 0;
        }
        Some(item)
    }

    /// The number of items.
    #[inline]
    pub fn len(&self) -> usize {
        self.items.len() - self.head
    }

    /// Whether there are no items.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every item, keeping the memory.
    #[inline]
    pub fn clear(&mut self) {
        self.items.clear();
        self.head = 0;
    }

    /// Keeps only the items `keep` accepts, in order.
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.drain(..self.head);
        self.head = 0;
        self.items.retain(keep);
    }

    /// The items, front first.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items[self.head..].iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn behaves_like_a_ring_buffer() {
        // A deterministic mix of pushes, pops and retains, checked against VecDeque.
        let mut fifo = Fifo::default();
        let mut model = VecDeque::new();
        let mut x = 1u64;
        for step in 0..200_000u64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            match x >> 61 {
                0..=3 => {
                    fifo.push_back(step);
                    model.push_back(step);
                }
                4..=6 => assert_eq!(fifo.pop_front(), model.pop_front()),
                _ if step % 1000 == 7 => {
                    fifo.retain(|v| v % 3 != 0);
                    model.retain(|v| v % 3 != 0);
                }
                _ => {}
            }
            assert_eq!(fifo.len(), model.len());
            assert_eq!(fifo.front(), model.front());
        }
        assert!(fifo.iter().eq(model.iter()));
        fifo.clear();
        assert!(fifo.is_empty() && fifo.pop_front().is_none());
    }

    #[test]
    fn memory_stays_within_twice_the_length() {
        let mut fifo = Fifo::default();
        for i in 0..10_000u32 {
            fifo.push_back(i);
        }
        for i in 0..9_000u32 {
            assert_eq!(fifo.pop_front(), Some(i));
            assert!(fifo.items.len() <= 2 * fifo.len().max(MIN_DROP));
        }
    }
}
