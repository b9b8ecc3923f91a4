//! A first-in, first-out buffer for the engine's queues: a line of fixed-size blocks.
//!
//! The engine's queues are pushed at the back and taken from the front in bursts, and a
//! large one (a mass update of millions of records) grows and drains over hours. Items live
//! in blocks of [`BLOCK`] items: pushing fills the last block and starts a new one when it is
//! full, taking reads the first block from a moving position and lets it go once it is read
//! to the end. So no item is ever moved, and the memory held is the items waiting plus at most
//! two partly used blocks and one spare: a bound the memory estimate can count on, where a
//! vector read from a moving front holds up to twice its items. A queue that never holds many
//! items keeps one small block, grown like a vector.

use std::collections::VecDeque;

/// Items in a full block: 4,096 (64 KiB of `(order, entry)` items).
pub const BLOCK: usize = 4096;

/// A FIFO of `T` (see the module documentation).
#[derive(Debug, Clone)]
pub struct Fifo<T> {
    /// The blocks, front first; every one but the last holds `BLOCK` items (the first
    /// counting those taken), the last at most that.
    blocks: VecDeque<Vec<T>>,
    /// Index in the first block of the front item; those before it were taken.
    head: usize,
    /// Items held.
    len: usize,
    /// A read block kept for the next one needed, so a queue that crosses a block boundary
    /// back and forth does not allocate each time.
    spare: Option<Vec<T>>,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo {
            blocks: VecDeque::new(),
            head: 0,
            len: 0,
            spare: None,
        }
    }
}

impl<T: Copy> Fifo<T> {
    /// Adds `item` at the back.
    #[inline]
    pub fn push_back(&mut self, item: T) {
        match self.blocks.back_mut() {
            Some(last) if last.len() < BLOCK => last.push(item),
            _ => self.push_to_new_block(item),
        }
        self.len += 1;
    }

    /// Starts a new last block with `item`.
    #[cold]
    fn push_to_new_block(&mut self, item: T) {
        let mut block = match self.spare.take() {
            Some(block) => block,
            // A first block grows like a vector, so a short queue stays small; later ones
            // are full-sized at once.
            None if self.blocks.is_empty() => Vec::new(),
            None => Vec::with_capacity(BLOCK),
        };
        block.push(item);
        self.blocks.push_back(block);
    }

    /// The front item, if any.
    #[inline]
    pub fn front(&self) -> Option<&T> {
        self.blocks.front()?.get(self.head)
    }

    /// The back item, if any, to change in place.
    #[inline]
    pub fn back_mut(&mut self) -> Option<&mut T> {
        self.blocks.back_mut()?.last_mut()
    }

    /// The item `k` places behind the front, if any: for prefetching what it will touch.
    #[inline(always)]
    pub fn get(&self, k: usize) -> Option<&T> {
        let i = self.head + k;
        match self.blocks.front()?.get(i) {
            Some(item) => Some(item),
            None => self.blocks.get(i / BLOCK)?.get(i % BLOCK),
        }
    }

    /// Takes the front item, if any.
    #[inline]
    pub fn pop_front(&mut self) -> Option<T> {
        let first = self.blocks.front()?;
        let item = *first.get(self.head)?;
        self.head += 1;
        self.len -= 1;
        if self.head == first.len() {
            self.front_block_read();
        }
        Some(item)
    }

    /// Every item of the first block is taken: it goes, kept as the spare.
    #[cold]
    fn front_block_read(&mut self) {
        let mut block = self.blocks.pop_front().expect("a front block");
        self.head = 0;
        if self.blocks.is_empty() {
            // Empty: start over in the same block.
            block.clear();
            self.blocks.push_back(block);
        } else if block.capacity() == BLOCK {
            block.clear();
            self.spare = Some(block);
        }
    }

    /// The number of items.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no items.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every item, keeping the first block.
    #[inline]
    pub fn clear(&mut self) {
        if self.len == 0 && self.head == 0 {
            return;
        }
        self.blocks.truncate(1);
        if let Some(first) = self.blocks.front_mut() {
            first.clear();
        }
        self.head = 0;
        self.len = 0;
    }

    /// Keeps only the items `keep` accepts, in order, moving them forward in place and
    /// letting the blocks left over go.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let (mut to_block, mut to) = (0, 0);
        let (mut from_block, mut from) = (0, self.head);
        let mut kept = 0;
        while from_block < self.blocks.len() {
            if from == self.blocks[from_block].len() {
                from_block += 1;
                from = 0;
                continue;
            }
            let item = self.blocks[from_block][from];
            from += 1;
            if keep(&item) {
                self.blocks[to_block][to] = item;
                kept += 1;
                to += 1;
                if to == BLOCK {
                    to_block += 1;
                    to = 0;
                }
            }
        }
        // Keep the blocks written to, the last one cut at the last item written.
        let last = if to == 0 && to_block > 0 {
            to_block - 1
        } else {
            to_block
        };
        self.blocks.truncate(last + 1);
        if let Some(block) = self.blocks.back_mut() {
            block.truncate(if to == 0 && to_block > 0 { BLOCK } else { to });
        }
        self.head = 0;
        self.len = kept;
    }

    /// The items, front first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks
            .iter()
            .enumerate()
            .flat_map(move |(b, block)| block[if b == 0 { self.head } else { 0 }..].iter())
    }

    /// Bytes of memory the FIFO holds now.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        let blocks: usize = self.blocks.iter().map(Vec::capacity).sum();
        let spare = self.spare.as_ref().map_or(0, Vec::capacity);
        (blocks + spare) * std::mem::size_of::<T>()
            + self.blocks.capacity() * std::mem::size_of::<Vec<T>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_ring_buffer() {
        // A deterministic mix of pushes, pops, clears and retains, checked against VecDeque.
        let mut fifo = Fifo::default();
        let mut model = VecDeque::new();
        let mut x = 1u64;
        for step in 0..400_000u64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Long phases of growth and of draining, so many blocks come and go.
            let growing = (step / 50_000) % 2 == 0;
            match x >> 61 {
                0..=3 if growing => {
                    fifo.push_back(step);
                    model.push_back(step);
                }
                0..=1 => {
                    fifo.push_back(step);
                    model.push_back(step);
                }
                2..=6 => assert_eq!(fifo.pop_front(), model.pop_front()),
                _ if step % 1000 == 7 => {
                    let cut = x % 5;
                    fifo.retain(|v| v % 5 != cut);
                    model.retain(|v| v % 5 != cut);
                }
                _ if step % 100_003 == 11 => {
                    fifo.clear();
                    model.clear();
                }
                _ => {}
            }
            assert_eq!(fifo.len(), model.len());
            assert_eq!(fifo.front(), model.front());
            for k in [1, 7, BLOCK - 1, BLOCK + 3] {
                assert_eq!(fifo.get(k), model.get(k), "step {step}, k {k}");
            }
            if step % 9973 == 0 {
                assert!(fifo.iter().eq(model.iter()));
            }
        }
        assert!(fifo.iter().eq(model.iter()));
        fifo.clear();
        assert!(fifo.is_empty() && fifo.pop_front().is_none());
    }

    #[test]
    fn retain_keeps_whole_blocks_exactly() {
        for n in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK] {
            for every in [1, 2, 3] {
                let mut fifo = Fifo::default();
                for i in 0..(n as u64 + 10) {
                    fifo.push_back(i);
                }
                for _ in 0..10 {
                    fifo.pop_front();
                }
                fifo.retain(|v| v % every == 0);
                let want: Vec<u64> = (10..n as u64 + 10).filter(|v| v % every == 0).collect();
                assert!(fifo.iter().copied().eq(want.iter().copied()), "{n} {every}");
                assert_eq!(fifo.len(), want.len());
                fifo.push_back(u64::MAX);
                assert_eq!(fifo.iter().last(), Some(&u64::MAX));
            }
        }
    }

    #[test]
    fn memory_stays_within_the_items_and_three_blocks() {
        let mut fifo = Fifo::default();
        let item = std::mem::size_of::<u32>();
        for round in 0..3 {
            for i in 0..20 * BLOCK as u32 {
                fifo.push_back(i);
            }
            while fifo.len() > BLOCK / 2 {
                fifo.pop_front();
                assert!(
                    fifo.bytes() <= (fifo.len() + 3 * BLOCK) * item + 4096,
                    "round {round}: {} bytes for {} items",
                    fifo.bytes(),
                    fifo.len()
                );
            }
        }
        // A short queue keeps one small block.
        let mut short = Fifo::default();
        for i in 0..10u32 {
            short.push_back(i);
            short.pop_front();
        }
        assert!(short.bytes() < 1024, "{} bytes", short.bytes());
    }
}
