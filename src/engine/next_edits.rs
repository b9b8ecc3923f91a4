//! The next edit of every background stream, earliest first.
//!
//! Background edits are most of a run's events, and each comes from one of the scenario's
//! streams (one per object and direction). The engine asks for the earliest next edit after
//! every edit, and only the stream that just edited changes its next instant. A binary
//! min-heap keyed by `(time, sequence)` answers the first in O(1) and takes the change with
//! one sift-down, O(log streams), where a scan of every stream would cost O(streams) per edit
//! (two thousand comparisons for a scenario of a thousand objects syncing both ways). Keys are
//! unique, so the order is exactly the (time, sequence) order whatever the heap's shape.

/// "No next edit": a stream that has run out sorts last.
pub const NEVER: u128 = u128::MAX;

/// The streams' next edits (see the module documentation).
#[derive(Debug, Default)]
pub struct NextEdits {
    /// `(key, stream)`, a binary min-heap on `key`.
    heap: Vec<(u128, u32)>,
}

impl NextEdits {
    /// Adds `stream`, whose next edit has `key`.
    pub fn push(&mut self, key: u128, stream: usize) {
        self.heap.push((key, stream as u32));
        let mut i = self.heap.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[parent].0 <= key {
                break;
            }
            self.heap.swap(i, parent);
            i = parent;
        }
    }

    /// The stream with the earliest next edit and that edit's key; `NEVER` when no stream has
    /// an edit left.
    #[inline]
    pub fn first(&self) -> (usize, u128) {
        match self.heap.first() {
            Some(&(key, stream)) => (stream as usize, key),
            None => (usize::MAX, NEVER),
        }
    }

    /// The first stream's next edit now has `key` (`NEVER` once it has none).
    #[inline]
    pub fn replace_first(&mut self, key: u128) {
        let heap = &mut self.heap;
        let n = heap.len();
        let top = heap[0];
        let mut i = 0;
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && heap[right].0 < heap[left].0 {
                right
            } else {
                left
            };
            if heap[child].0 >= key {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = (key, top.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yields_keys_in_order_like_a_scan() {
        // Streams with pseudo-random gaps; the heap must pick what a scan of all would.
        for streams in [1usize, 2, 3, 4, 7, 16, 100] {
            let mut next: Vec<u128> = (0..streams).map(|s| (s as u128 * 7919) % 1000).collect();
            let mut heap = NextEdits::default();
            for (s, &k) in next.iter().enumerate() {
                heap.push(k << 16 | s as u128, s);
            }
            let mut x = 12345u64;
            let mut last = 0;
            for step in 0..5_000 {
                let (s, key) = heap.first();
                let scan = (0..streams).min_by_key(|&i| next[i] << 16 | i as u128);
                if key == NEVER {
                    assert!(next.iter().all(|&k| k == NEVER >> 16));
                    break;
                }
                assert_eq!(Some(s), scan, "{streams} streams, step {step}");
                assert!(key >= last);
                last = key;
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                // Now and then a stream runs out.
                next[s] = if x >> 60 == 0 {
                    NEVER >> 16
                } else {
                    next[s] + (x >> 54) as u128
                };
                let new_key = if next[s] == NEVER >> 16 {
                    NEVER
                } else {
                    next[s] << 16 | s as u128
                };
                heap.replace_first(new_key);
            }
        }
        assert_eq!(NextEdits::default().first(), (usize::MAX, NEVER));
    }
}
