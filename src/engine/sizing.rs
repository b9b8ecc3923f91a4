//! Batches sized per object (docs/model.md, Draining): when objects set their own
//! `batch_size` or `records_per_call`, a batch holds at most the smallest batch size of the
//! objects in it, each object's records cost `ceil(n / records_per_call)` calls of their
//! own, and the calls must fit in the API room. Entries are taken oldest first and the batch
//! stops before the first one that does not fit.
//!
//! When every object shares one size (the usual case, and every scenario that sets none)
//! there is no [`Sizing`] at all and batches take the fast path of one limit.

use crate::scenario::Scenario;

/// The per-object limits, and what the batch being filled holds so far.
#[derive(Debug)]
pub(super) struct Sizing {
    /// Each object's batch size.
    batch_size: Vec<u32>,
    /// Each object's records per call.
    per_call: Vec<u32>,
    /// Records of each object in the batch being filled.
    counts: Vec<u32>,
    /// Objects with records in the batch being filled.
    touched: Vec<usize>,
    /// The smallest batch size of the objects in the batch.
    cap: usize,
    /// Calls the batch costs so far.
    calls: u64,
    /// Calls the API budget has room for.
    room: u64,
}

impl Sizing {
    /// The sizing of `sc`'s batches, or `None` when every object shares one size.
    pub(super) fn new(sc: &Scenario) -> Option<Self> {
        if sc.uniform_batches().is_some() {
            return None;
        }
        Some(Sizing {
            batch_size: sc.objects.iter().map(|o| o.batch_size).collect(),
            per_call: sc.objects.iter().map(|o| o.records_per_call).collect(),
            counts: vec![0; sc.objects.len()],
            touched: Vec::new(),
            cap: usize::MAX,
            calls: 0,
            room: 0,
        })
    }

    /// A new batch, with room for `room` calls; returns the most records it could hold.
    pub(super) fn begin(&mut self, room: u64) -> usize {
        for o in self.touched.drain(..) {
            self.counts[o] = 0;
        }
        self.cap = usize::MAX;
        self.calls = 0;
        self.room = room;
        self.batch_size.iter().copied().max().unwrap_or(1) as usize
    }

    /// How many records of object `o` a batch of `taken` records may still take.
    pub(super) fn room_for(&self, o: usize, taken: usize) -> usize {
        let cap = self.cap.min(self.batch_size[o] as usize);
        if taken >= cap {
            return 0;
        }
        let per_call = self.per_call[o] as u64;
        let open = match self.counts[o] as u64 % per_call {
            0 => 0,
            used => per_call - used,
        };
        let by_calls = (self.room - self.calls)
            .saturating_mul(per_call)
            .saturating_add(open);
        (cap - taken).min(by_calls.min(usize::MAX as u64) as usize)
    }

    /// The batch took `k` more records of object `o`.
    pub(super) fn took(&mut self, o: usize, k: usize) {
        if k == 0 {
            return;
        }
        let per_call = self.per_call[o] as u64;
        let before = self.counts[o] as u64;
        if before == 0 {
            self.touched.push(o);
            self.cap = self.cap.min(self.batch_size[o] as usize);
        }
        let after = before + k as u64;
        self.calls += after.div_ceil(per_call) - before.div_ceil(per_call);
        self.counts[o] = after as u32;
    }

    /// Calls the batch costs.
    pub(super) fn calls(&self) -> u64 {
        self.calls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizing(batch_size: &[u32], per_call: &[u32], room: u64) -> Sizing {
        let mut s = Sizing {
            batch_size: batch_size.to_vec(),
            per_call: per_call.to_vec(),
            counts: vec![0; batch_size.len()],
            touched: Vec::new(),
            cap: usize::MAX,
            calls: 0,
            room: 0,
        };
        s.begin(room);
        s
    }

    #[test]
    fn a_mixed_batch_holds_the_smallest_batch_size_of_its_objects() {
        // Lead 200 a batch, Contact 50: 30 Leads, then Contacts up to 50 records in all.
        let mut s = sizing(&[200, 50], &[200, 50], u64::MAX);
        assert_eq!(s.room_for(0, 0), 200);
        s.took(0, 30);
        assert_eq!(s.room_for(1, 30), 20);
        s.took(1, 20);
        assert_eq!((s.room_for(0, 50), s.room_for(1, 50)), (0, 0));
        // One call of Leads (30 of 200) and one of Contacts (20 of 50).
        assert_eq!(s.calls(), 2);
    }

    #[test]
    fn each_object_pays_its_own_calls_within_the_room() {
        // 25 records a call for Contact: with room for 3 calls, 75 Contacts fit.
        let mut s = sizing(&[200, 200], &[200, 25], 3);
        assert_eq!(s.room_for(1, 0), 75);
        s.took(1, 30); // 2 calls, the second holding 5 of 25
        assert_eq!(s.calls(), 2);
        // 20 more fill the open call; one call left holds 200 Leads.
        assert_eq!(s.room_for(1, 30), 45);
        assert_eq!(s.room_for(0, 30), 170);
        s.took(0, 1);
        assert_eq!((s.calls(), s.room_for(1, 31)), (3, 20));
        // A new batch starts empty.
        assert_eq!(s.begin(10), 200);
        assert_eq!((s.calls(), s.room_for(1, 0)), (0, 200));
    }
}
