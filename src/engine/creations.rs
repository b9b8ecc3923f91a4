//! Creations: new records of an object (docs/model.md, Creations).
//!
//! Each object with a creation rate has a stream of its own beside its edit streams
//! (`arrivals.rs`), drawn in the same merge, whose edits are the ids past the population in
//! order: the `k`-th creation is record `records + k`. The engine knows a creation by its id
//! alone, the first one past the records its object has so far, so recorded edits replay
//! creations too. A creation is an edit: it counts as one, passes the sync filter like any,
//! and queues an entry marked as a creation, which stays one whatever coalesces into it; its
//! latency and count are reported apart from the updates'.

use super::Sim;
use crate::scenario::QueueId;

impl Sim<'_> {
    /// The edit of `record`, past the records of `q`'s object so far, by a creation stream
    /// (or a replayed one): the object has records up to `record` from now on, and the
    /// record queues in `q` as a creation unless the filter hides it.
    #[cold]
    #[inline(never)]
    pub(super) fn create(&mut self, q: QueueId, record: u32) {
        let object = q.object();
        for p in QueueId::of_object(object) {
            self.entries.queues[p].population = record + 1;
        }
        self.grow_streams(object);
        let queue = &mut self.entries.queues[q];
        queue.counters.creations += 1;
        queue.counters.edits += 1;
        if !queue.admits(self.seed, object, record) {
            queue.counters.filtered += 1;
            return;
        }
        self.new_entry(q, record, self.now as i64, true, None);
        let e = self.entries.queues[q]
            .pending
            .get(record)
            .expect("a new record's entry is pending");
        self.entries.slab[e as usize].set_creation();
    }
}
