//! The pending index of one (object, direction): which records have an entry an edit would
//! coalesce into or revive (queued, due, or waiting in the retry or timeout queue; never one
//! in flight), and which entry.
//!
//! Every edit asks it, so it is laid out for the cache. Two layouts answer the same questions
//! and give the same answers, so a run is the same with either (tested):
//!
//! - **Dense**, for a population that fits in the cache: a bitmap of which records have an
//!   entry (1M records take 128 KiB) and an array of their entries' slab indices, read only
//!   when the bit is set. Its memory grows with the population: 4 bytes and a bit per record.
//! - **Hashed**, for a population much larger than its backlog: an open-addressing table of
//!   (record, entry) pairs, sized to the records pending, not to the population. At a hundred
//!   times the reference scale the Lead queue's dense arrays would take 410 MB for a backlog
//!   of Leads that peaks at 1.5 million (a 32 MiB table), and every edit would miss every
//!   cache in them; one probe (usually one cache line) answers both "is it pending?" and
//!   "where does its entry go?".
//!
//! Either way, [`PendingIndex::prefetch`] asks the processor to fetch what a later question
//! about a record will read, so that the engine, which knows the next few thousand edits'
//! records ahead of time, rarely waits for memory.
//!
//! The table hashes a record by multiplying it by 2^64 / phi and keeping the top bits
//! (Fibonacci hashing), probes linearly, and deletes by shifting the following cluster back
//! (no tombstones). It doubles when it is half full: a lookup of a record not in it then
//! reads about two cells, where at seven-eighths full it would read 32 (linear probing's
//! expected (1 + 1/(1 - load)^2) / 2). Because a record's home in the doubled table is twice
//! its home in the old one (or one more), rehashing walks both tables in order rather than
//! writing at random.

/// Records a queue must have for [`PendingIndex::reset`] to start hashed: below this the
/// dense arrays (4.1 bytes a record, 17 MiB at this size) mostly fit in the processor's
/// caches and are the faster of the two.
pub(super) const HASHED_FROM_RECORDS: u32 = 1 << 22;

/// The index (see the module documentation).
#[derive(Debug)]
pub(super) enum PendingIndex {
    /// A bit per record, and the entry of each record whose bit is set; `len` bits are set.
    /// An index that was hashed becomes hashed again when `len` falls below `hashed_below`
    /// (0 for one dense from the start).
    Dense {
        bits: Vec<u64>,
        slots: Vec<u32>,
        len: usize,
        hashed_below: usize,
    },
    /// The pending records' (record, entry) pairs in an open-addressing table, for a
    /// population of `records`.
    Hashed { table: Table, records: u32 },
}

impl Default for PendingIndex {
    fn default() -> Self {
        PendingIndex::Dense {
            bits: Vec::new(),
            slots: Vec::new(),
            len: 0,
            hashed_below: 0,
        }
    }
}

/// Bytes of the dense layout for `records` records.
pub(super) fn dense_bytes(records: u64) -> u64 {
    4 * records + 8 * records.div_ceil(64)
}

/// The largest table a hashed index of `records` records keeps, in cells: at most half the
/// dense layout's bytes. A table that would grow past it becomes dense instead, so a hashed
/// index never holds more than one and a half times the dense layout (the table and the
/// dense arrays while one is copied into the other).
pub(super) fn max_cells(records: u32) -> usize {
    let half_dense = dense_bytes(records as u64) / 2 / 8;
    // A power of two at most that; never below the smallest table.
    (1usize << (63 - half_dense.max(1).leading_zeros())).max(MIN_CELLS)
}

impl PendingIndex {
    /// Makes this an empty index of `records` records, reusing its memory: hashed when the
    /// population has at least [`HASHED_FROM_RECORDS`] records or `hashed` says so, else
    /// dense.
    ///
    /// Dense: only the bitmap is cleared; a slot is read only when its bit is set, after it
    /// was written. New slots come zeroed from the allocator, untouched, so their pages are
    /// not faulted in until an edit writes one.
    pub(super) fn reset(&mut self, records: u32, hashed: bool) {
        self.reset_as(records, hashed || records >= HASHED_FROM_RECORDS);
    }

    /// [`reset`](Self::reset), hashed when `hashed`.
    fn reset_as(&mut self, records: u32, hashed: bool) {
        match (hashed, &mut *self) {
            (
                false,
                PendingIndex::Dense {
                    bits,
                    slots,
                    len,
                    hashed_below,
                },
            ) => {
                (*len, *hashed_below) = (0, 0);
                bits.clear();
                bits.resize((records as usize).div_ceil(64), 0);
                if slots.len() < records as usize {
                    *slots = vec![0; records as usize];
                }
            }
            (true, PendingIndex::Hashed { table, records: r }) => {
                table.clear();
                *r = records;
            }
            (false, _) => {
                *self = PendingIndex::default();
                self.reset_as(records, false);
            }
            (true, _) => {
                *self = PendingIndex::Hashed {
                    table: Table::default(),
                    records,
                }
            }
        }
    }

    /// Rebuilds a hashed index whose table is full and may not grow as dense arrays; it
    /// becomes hashed again once an eighth of that table would hold what is pending.
    #[cold]
    #[inline(never)]
    fn become_dense(&mut self) {
        let PendingIndex::Hashed { table, records } = self else {
            return;
        };
        let records = *records;
        let mut bits = vec![0u64; (records as usize).div_ceil(64)];
        let mut slots = vec![0u32; records as usize];
        for &cell in table.cells.iter().filter(|&&c| c != EMPTY) {
            let r = (cell >> 32) as usize;
            bits[r / 64] |= 1 << (r % 64);
            slots[r] = cell as u32;
        }
        *self = PendingIndex::Dense {
            bits,
            slots,
            len: table.len,
            hashed_below: max_cells(records) / 8,
        };
    }

    /// Rebuilds a dense index that was hashed, now that few records are pending, as a table
    /// a quarter full: after a bulk update has drained, the next edits' lookups go to a few
    /// cache lines again rather than to arrays the size of the population.
    #[cold]
    #[inline(never)]
    fn become_hashed(&mut self) {
        let PendingIndex::Dense {
            bits, slots, len, ..
        } = self
        else {
            return;
        };
        let mut table = Table::with_cells((4 * *len).next_power_of_two().max(MIN_CELLS));
        for (w, &word) in bits.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let r = 64 * w + word.trailing_zeros() as usize;
                table.insert(r as u32, slots[r]);
                word &= word - 1;
            }
        }
        let records = slots.len() as u32;
        *self = PendingIndex::Hashed { table, records };
    }

    /// The entry of `record` an edit would coalesce into, if any.
    #[inline(always)]
    pub(super) fn get(&self, record: u32) -> Option<u32> {
        match self {
            PendingIndex::Dense { bits, slots, .. } => {
                let r = record as usize;
                (bits[r / 64] & (1 << (r % 64)) != 0).then(|| slots[r])
            }
            PendingIndex::Hashed { table, .. } => table.get(record),
        }
    }

    /// `entry` is now the one of `record` an edit would coalesce into; `record` has none yet.
    #[inline(always)]
    pub(super) fn insert(&mut self, record: u32, entry: u32) {
        match self {
            PendingIndex::Dense {
                bits, slots, len, ..
            } => {
                let r = record as usize;
                bits[r / 64] |= 1 << (r % 64);
                slots[r] = entry;
                *len += 1;
            }
            PendingIndex::Hashed { table, records } => {
                if table.full() {
                    if table.cells.len() >= max_cells(*records) {
                        self.become_dense();
                        self.insert(record, entry);
                        return;
                    }
                    table.grow();
                }
                table.insert(record, entry);
            }
        }
    }

    /// `record` has no entry an edit would coalesce into any more (its entry is in flight).
    #[inline(always)]
    pub(super) fn remove(&mut self, record: u32) {
        match self {
            PendingIndex::Dense {
                bits,
                len,
                hashed_below,
                ..
            } => {
                let r = record as usize;
                let word = &mut bits[r / 64];
                if *word & (1 << (r % 64)) != 0 {
                    *word &= !(1 << (r % 64));
                    *len -= 1;
                    if *len < *hashed_below {
                        self.become_hashed();
                    }
                }
            }
            PendingIndex::Hashed { table, .. } => {
                if table.remove(record) && table.sparse() {
                    table.shrink();
                }
            }
        }
    }

    /// Asks the processor to fetch what [`get`](Self::get), [`insert`](Self::insert) and
    /// [`remove`](Self::remove) of `record` read and write: a hint, with no effect on the
    /// results.
    #[inline(always)]
    pub(super) fn prefetch(&self, record: u32) {
        match self {
            PendingIndex::Dense { bits, slots, .. } => {
                let r = record as usize;
                prefetch(bits, r / 64);
                prefetch(slots, r);
            }
            PendingIndex::Hashed { table, .. } => prefetch(&table.cells, table.home(record)),
        }
    }

    /// How many records have an entry.
    pub(super) fn count(&self) -> u64 {
        match self {
            PendingIndex::Dense { len, .. } => *len as u64,
            PendingIndex::Hashed { table, .. } => table.len as u64,
        }
    }

    /// Bytes of memory the index holds now.
    #[cfg(test)]
    pub(super) fn bytes(&self) -> usize {
        match self {
            PendingIndex::Dense { bits, slots, .. } => 8 * bits.capacity() + 4 * slots.capacity(),
            PendingIndex::Hashed { table, .. } => 8 * table.cells.capacity(),
        }
    }
}

/// Asks the processor to bring `slice[i]` into its caches, if `i` is in bounds: a hint that
/// reads nothing and changes nothing.
#[inline(always)]
pub(super) fn prefetch<T>(slice: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(item) = slice.get(i) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch instruction does not access memory in the program's sense: it
        // cannot fault and has no effect but on the caches; the address is of a live item.
        // (Safe to call since Rust 1.87, where SSE is enabled; `unsafe` for older
        // compilers.)
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>((item as *const T).cast())
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slice, i);
}

/// An empty cell of [`Table`]: record ids are below 2^31, so no pair is all ones.
const EMPTY: u64 = u64::MAX;

/// The smallest table: 8 KiB.
const MIN_CELLS: usize = 1024;

/// Cells a table keeps however few records are pending: 512 KiB, which stays in the
/// processor's caches. A queue whose sync drains it every few minutes would otherwise halve
/// its table down to the smallest and double it up again every time (at a hundred times the
/// reference scale, a sixth of the run).
const SHRINK_FROM_CELLS: usize = 1 << 16;

/// 2^64 / phi, odd: multiplying by it and keeping the top bits spreads any run of ids evenly.
const FIBONACCI: u64 = 0x9E37_79B9_7F4A_7C15;

/// An open-addressing table of (record, entry) pairs, each one `u64`: the record in the top
/// half, the entry in the bottom half (see the module documentation).
#[derive(Debug)]
pub(super) struct Table {
    /// A power of two of cells, `EMPTY` or a pair.
    cells: Vec<u64>,
    /// `64 - log2(cells.len())`: a hash's top bits are the home cell.
    shift: u32,
    /// Pairs held.
    len: usize,
}

impl Default for Table {
    fn default() -> Self {
        Table::with_cells(MIN_CELLS)
    }
}

impl Table {
    /// An empty table of `cells` cells, a power of two.
    fn with_cells(cells: usize) -> Self {
        debug_assert!(cells.is_power_of_two());
        Table {
            cells: vec![EMPTY; cells],
            shift: 64 - cells.trailing_zeros(),
            len: 0,
        }
    }

    /// Removes every pair, keeping the memory.
    fn clear(&mut self) {
        self.cells.fill(EMPTY);
        self.len = 0;
    }

    /// The cell where `record`'s probe starts.
    #[inline(always)]
    fn home(&self, record: u32) -> usize {
        ((record as u64).wrapping_mul(FIBONACCI) >> self.shift) as usize
    }

    #[inline(always)]
    fn mask(&self) -> usize {
        self.cells.len() - 1
    }

    /// The entry paired with `record`, if any.
    #[inline(always)]
    fn get(&self, record: u32) -> Option<u32> {
        let mask = self.mask();
        let mut i = self.home(record);
        loop {
            let cell = self.cells[i];
            if cell == EMPTY {
                return None;
            }
            if (cell >> 32) as u32 == record {
                return Some(cell as u32);
            }
            i = (i + 1) & mask;
        }
    }

    /// Whether one more pair would fill the table past half.
    #[inline(always)]
    fn full(&self) -> bool {
        2 * (self.len + 1) > self.cells.len()
    }

    /// Pairs `record` with `entry`, replacing any entry it had; the table is not full.
    #[inline(always)]
    fn insert(&mut self, record: u32, entry: u32) {
        let pair = (record as u64) << 32 | entry as u64;
        let mask = self.mask();
        let mut i = self.home(record);
        loop {
            let cell = self.cells[i];
            if cell == EMPTY {
                self.cells[i] = pair;
                self.len += 1;
                return;
            }
            if (cell >> 32) as u32 == record {
                self.cells[i] = pair;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Whether the table holds less than an eighth of its cells and may halve (to a quarter
    /// full, so that it is far from growing again); one of [`SHRINK_FROM_CELLS`] or fewer
    /// keeps its size.
    #[inline(always)]
    fn sparse(&self) -> bool {
        8 * self.len < self.cells.len() && self.cells.len() > SHRINK_FROM_CELLS
    }

    /// Removes `record`'s pair, if any, shifting later pairs of its cluster back into the
    /// hole so that every probe still finds what it looks for. Returns whether it had one.
    #[inline(always)]
    fn remove(&mut self, record: u32) -> bool {
        let mask = self.mask();
        let mut hole = self.home(record);
        loop {
            let cell = self.cells[hole];
            if cell == EMPTY {
                return false;
            }
            if (cell >> 32) as u32 == record {
                break;
            }
            hole = (hole + 1) & mask;
        }
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let cell = self.cells[i];
            if cell == EMPTY {
                break;
            }
            // The pair at `i` may move back to the hole unless its home lies cyclically in
            // (hole, i]: then the hole is before its home and a probe would never see it.
            let home = self.home((cell >> 32) as u32);
            if i.wrapping_sub(home) & mask >= i.wrapping_sub(hole) & mask {
                self.cells[hole] = cell;
                hole = i;
            }
        }
        self.cells[hole] = EMPTY;
        self.len -= 1;
        true
    }

    /// Doubles the table.
    #[cold]
    fn grow(&mut self) {
        self.rehash(2 * self.cells.len());
    }

    /// Halves the table.
    #[cold]
    #[inline(never)]
    fn shrink(&mut self) {
        self.rehash(self.cells.len() / 2);
    }

    /// Moves the pairs into a table of `cells` cells (twice or half as many). Walking the old
    /// table in order writes the new one almost in order (a home doubles or halves), so this
    /// costs a pass over memory, not a cache miss per pair.
    fn rehash(&mut self, cells: usize) {
        let old = std::mem::replace(self, Table::with_cells(cells)).cells;
        // A cluster that wraps around the end has its start at the end of the old table:
        // insert from the first empty cell on, so each cluster goes in front to back.
        let start = old.iter().position(|&c| c == EMPTY).unwrap_or(0);
        for k in 0..old.len() {
            let cell = old[(start + k) % old.len()];
            if cell != EMPTY {
                self.insert((cell >> 32) as u32, cell as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A deterministic mix of inserts, lookups and removals on both layouts, checked against
    /// a `HashMap`; records in runs (as bulk updates pick them) and scattered.
    #[test]
    fn both_layouts_answer_like_a_map() {
        for records in [100u32, 5_000, 1 << 20] {
            let mut dense = PendingIndex::default();
            dense.reset_as(records, false);
            let mut hashed = PendingIndex::default();
            hashed.reset_as(records, true);
            let mut model: HashMap<u32, u32> = HashMap::new();
            let mut x = 7u64;
            for step in 0..300_000u32 {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let record = if x >> 62 == 0 {
                    step % records
                } else {
                    ((x >> 20) % records as u64) as u32
                };
                let op = (x >> 17) % 8;
                if op <= 3 {
                    if let std::collections::hash_map::Entry::Vacant(slot) = model.entry(record) {
                        slot.insert(step);
                        dense.insert(record, step);
                        hashed.insert(record, step);
                    }
                } else if op <= 6 && model.remove(&record).is_some() {
                    dense.remove(record);
                    hashed.remove(record);
                }
                dense.prefetch(record);
                hashed.prefetch(record);
                let want = model.get(&record).copied();
                assert_eq!(dense.get(record), want, "dense, step {step}");
                assert_eq!(hashed.get(record), want, "hashed, step {step}");
            }
            assert_eq!(dense.count(), model.len() as u64);
            assert_eq!(hashed.count(), model.len() as u64);
            for (&record, &entry) in &model {
                assert_eq!(hashed.get(record), Some(entry));
            }
        }
    }

    #[test]
    fn the_table_grows_with_what_is_pending_not_with_the_population() {
        let mut index = PendingIndex::default();
        index.reset(2_000_000_000, false);
        // A bulk update's worth of consecutive ids, then most of them taken again.
        for record in 1_000_000_000..1_000_100_000 {
            index.insert(record, record - 1_000_000_000);
        }
        assert_eq!(index.count(), 100_000);
        assert!(index.bytes() <= 8 * 262_144, "{} bytes", index.bytes());
        for record in 1_000_000_000..1_000_090_000 {
            index.remove(record);
        }
        assert_eq!(index.count(), 10_000);
        assert_eq!(index.get(1_000_095_000), Some(95_000));
        assert_eq!(index.get(1_000_005_000), None);
        // Reset keeps the memory and forgets the pairs.
        index.reset(2_000_000_000, false);
        assert_eq!((index.count(), index.get(1_000_095_000)), (0, None));
    }

    #[test]
    fn a_table_halves_once_it_is_an_eighth_full() {
        let mut index = PendingIndex::default();
        index.reset(100_000_000, false);
        for record in 0..100_000 {
            index.insert(record * 7, record);
        }
        // 100,000 pairs at most half full: 262,144 cells (2 MiB).
        assert_eq!(index.bytes(), 8 * 262_144);
        for record in 0..80_000 {
            index.remove(record * 7);
        }
        // 20,000 left: halved once fewer than 32,768 (an eighth) were left.
        assert_eq!(index.bytes(), 8 * 131_072);
        for record in 80_000..99_000 {
            index.remove(record * 7);
        }
        // 1,000 left: halved again below 16,384, and no further than 65,536 cells.
        assert_eq!(index.bytes(), 8 * SHRINK_FROM_CELLS);
        assert_eq!(index.count(), 1_000);
        for record in 0..100_000 {
            let want = (record >= 99_000).then_some(record);
            assert_eq!(index.get(record * 7), want, "record {}", record * 7);
        }
    }

    #[test]
    fn a_hashed_index_turned_dense_turns_hashed_again_once_drained() {
        // 5,000,000 records: a table of at most 2^20 cells, dense past 2^19 pending.
        let records = 5_000_000;
        assert_eq!(max_cells(records), 1 << 20);
        let mut index = PendingIndex::default();
        index.reset(records, false);
        for record in 0..600_000 {
            index.insert(record, record + 1);
        }
        assert!(matches!(index, PendingIndex::Dense { .. }));
        assert_eq!(index.count(), 600_000);
        // Back to hashed below an eighth of the largest table: 131,072 pending.
        for record in 0..468_928 {
            index.remove(record);
        }
        assert!(matches!(index, PendingIndex::Dense { .. }));
        index.remove(468_928);
        assert!(matches!(index, PendingIndex::Hashed { .. }));
        assert_eq!(index.count(), 131_071);
        assert_eq!(index.bytes(), 8 * (1 << 19));
        for record in (0..600_000).step_by(997) {
            let want = (record > 468_928).then_some(record + 1);
            assert_eq!(index.get(record), want, "record {record}");
        }
        // Removing a record with no entry changes nothing.
        index.remove(3);
        assert_eq!(index.count(), 131_071);
    }

    #[test]
    fn a_dense_index_switches_to_hashed_and_back() {
        let mut index = PendingIndex::default();
        index.reset_as(1000, false);
        index.insert(999, 5);
        index.reset_as(1000, true);
        assert_eq!(index.get(999), None);
        index.insert(999, 6);
        index.reset_as(1000, false);
        assert_eq!(index.get(999), None);
        index.insert(999, 7);
        assert_eq!(index.get(999), Some(7));
    }
}
