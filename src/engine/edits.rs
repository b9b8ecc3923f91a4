//! Where edits come from: the background streams (generated, drawn ahead on a second thread,
//! or replayed from a recording), bulk updates spread evenly over their span, objects enabled
//! for sync, and the backlog pending at the start. What an edit does to the entries (filter,
//! coalesce or a new entry) is [`Sim::edit`]'s business.
//!
//! Background edits are most of a run's events, so they stay out of the event heap: each
//! stream's next edit sits in a small heap of its own ([`NextEdits`]), or a helper thread
//! draws and merges them ahead ([`DrawnEdits`]). An edit schedules nothing, so the run loop
//! and a bulk update run edits back to back until the next other event.

use rand::seq::index;

use super::arrivals::EditStream;
use super::draw_ahead::DrawnEdits;
use super::next_edits::{NextEdits, NEVER};
use super::{key, seeds, Happening, Sim};
use crate::scenario::{Direction, EventKind, QueueId, Scenario, Selection};
use crate::units::Millis;

/// How far ahead of the current edit the pending index is prefetched: far enough that the
/// memory arrives in time, near enough that it is still in the cache when used.
const PREFETCH_EDITS: usize = 32;

/// One recorded edit of an (object, direction), for replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedEdit {
    /// When it happened, ms after the start.
    pub time: Millis,
    /// The record.
    pub record: u32,
    /// Whether it touched synced fields.
    pub synced: bool,
}

/// Recorded edits of one (object, direction), in time order (the caller validates them).
pub trait EditSource {
    /// The next edit, or `None` when there are no more.
    fn next_edit(&mut self) -> Option<RecordedEdit>;
}

impl<I: Iterator<Item = RecordedEdit>> EditSource for I {
    fn next_edit(&mut self) -> Option<RecordedEdit> {
        self.next()
    }
}

/// A background edit as it happened, for export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditEvent {
    /// When, ms after the start.
    pub time: Millis,
    /// Object index.
    pub object: usize,
    /// Direction.
    pub direction: Direction,
    /// The record.
    pub record: u32,
    /// Whether it touched synced fields.
    pub synced: bool,
}

/// Recorded edits per (object, direction), for [`Inputs::replay`](super::Inputs::replay).
pub type ReplaySources<'a> = Vec<(usize, Direction, Box<dyn EditSource + 'a>)>;

/// A stream of background edits: generated (Poisson) or recorded.
// A run has a handful of streams, walked on every edit: inline beats a box here.
#[allow(clippy::large_enum_variant)]
enum Source<'a> {
    Generated(EditStream),
    Recorded {
        object: usize,
        direction: Direction,
        source: Box<dyn EditSource + 'a>,
        current: RecordedEdit,
    },
}

/// The scenario's background edit streams, one per (object, direction) with a rate above
/// zero, in (object, direction) order: the order their edits are tied in.
pub(super) fn edit_streams(sc: &Scenario, seed: u64) -> Vec<EditStream> {
    let mut streams = Vec::new();
    for (o, object) in sc.objects.iter().enumerate() {
        for d in Direction::ALL {
            let q = QueueId::new(o, d);
            let rng = seeds::stream_rng(seed, seeds::tag::EDITS, q.index() as u64);
            streams.extend(
                EditStream::new(o, object, d, sc.start, rng).map(|s| s.in_local_time(&sc.calendar)),
            );
        }
        // The object's creations after its edits (none: no stream, and nothing else moves).
        let rng = seeds::stream_rng(seed, seeds::tag::CREATIONS, o as u64);
        streams.extend(
            EditStream::creations(o, object, sc.start, rng).map(|s| s.in_local_time(&sc.calendar)),
        );
    }
    streams
}

/// For each stream of `streams`, the streams that grow with its creations: those of its
/// object that edit, then itself (empty for a stream of edits).
pub(super) fn growers(streams: &[EditStream]) -> Vec<Vec<u32>> {
    streams
        .iter()
        .enumerate()
        .map(|(c, creations)| {
            if !creations.creates {
                return Vec::new();
            }
            let edits = (0..streams.len() as u32).filter(|&i| {
                let s = &streams[i as usize];
                s.object == creations.object && !s.creates
            });
            edits.chain([c as u32]).collect()
        })
        .collect()
}

impl Sim<'_> {
    /// `object` has a new record: the streams drawn here that grow with its creations do,
    /// after the creation stream's next instant was drawn, as the merge of `draw_ahead.rs`
    /// grows them (nothing to do when the edits are drawn ahead or replayed).
    #[cold]
    pub(super) fn grow_streams(&mut self, object: usize) {
        let Some(growers) = self.edits.growers.get(object) else {
            return;
        };
        for &i in growers {
            if let Source::Generated(s) = &mut self.edits.streams[i as usize] {
                s.grow();
            }
        }
    }
}

/// Background edits drawn and merged ahead by a helper thread, as the engine reads them.
pub(super) struct Drawn {
    edits: DrawnEdits,
    /// Object and direction of each stream.
    ends: Vec<(usize, Direction)>,
    /// Each stream's sequence number for its next edit: given when its previous edit runs
    /// (or, for its first, when the run starts), as for a stream drawn in the engine.
    seq: Vec<u64>,
    /// The key of the current edit.
    next_key: u128,
}

impl Drawn {
    /// The engine's end of `edits`, whose streams have these object and direction `ends`;
    /// [`Drawn::start`] numbers their first edits.
    pub(super) fn new(edits: DrawnEdits, ends: Vec<(usize, Direction)>) -> Self {
        Drawn {
            edits,
            seq: vec![0; ends.len()],
            ends,
            next_key: NEVER,
        }
    }

    /// Gives the first edit of each stream that `has_edits` its sequence number from `seq`,
    /// in stream order, as the engine numbers streams it draws itself when a run starts.
    pub(super) fn start(&mut self, has_edits: &[bool], seq: &mut u64) {
        for (stream, _) in has_edits.iter().enumerate().filter(|(_, has)| **has) {
            *seq += 1;
            self.seq[stream] = *seq;
        }
        self.next_key = self.key();
    }

    /// The current edit's key; `NEVER` when there is none.
    #[inline(always)]
    fn key(&self) -> u128 {
        self.edits
            .current()
            .map_or(NEVER, |e| key(e.time, self.seq[e.stream as usize]))
    }

    /// Takes the current edit: its object, direction, record, whether it touched synced
    /// fields, and its stream, for [`Drawn::follow`] once the edit has run.
    #[inline(always)]
    fn take(&mut self) -> (usize, Direction, u32, bool, usize) {
        let e = *self.edits.current().expect("an edit is due");
        let (object, direction) = self.ends[e.stream as usize];
        self.edits.advance();
        (object, direction, e.record, e.synced, e.stream as usize)
    }

    /// The queue and record of the edit `PREFETCH_EDITS` after the current one, if known.
    #[inline(always)]
    fn ahead(&self) -> Option<(QueueId, u32)> {
        let e = self.edits.ahead(PREFETCH_EDITS)?;
        let (object, direction) = self.ends[e.stream as usize];
        Some((QueueId::new(object, direction), e.record))
    }

    /// The edit taken from `stream` has run and ended with sequence number `seq`, which the
    /// stream's next edit takes; keys the (new) current edit.
    #[inline(always)]
    fn follow(&mut self, stream: usize, seq: u64) {
        self.seq[stream] = seq;
        self.next_key = self.key();
    }
}

/// Offset of edit `i` of `count` spread evenly over `spread`: `floor(i * spread / count)`.
#[inline]
pub fn edit_offset(i: u32, count: u32, spread: Millis) -> Millis {
    ((i as u128 * spread as u128) / count as u128) as Millis
}

/// The offsets `edit_offset(i, count, spread)` for `i` = `first`, `first + 1`, ..., one
/// division up front and then additions: the quotient and remainder of `i * spread / count`
/// carried from one `i` to the next.
#[derive(Debug, Clone, Copy)]
struct EvenSpread {
    quotient: Millis,
    remainder: u64,
    step_quotient: Millis,
    step_remainder: u64,
    count: u64,
}

impl EvenSpread {
    /// Starts at edit `first` of `count` spread over `spread`.
    fn new(first: u32, count: u32, spread: Millis) -> Self {
        let count = count.max(1) as u64;
        let product = first as u128 * spread as u128;
        EvenSpread {
            quotient: (product / count as u128) as Millis,
            remainder: (product % count as u128) as u64,
            step_quotient: spread / count,
            step_remainder: spread % count,
            count,
        }
    }

    /// The offset of the current edit; moves on to the next.
    #[inline]
    fn next_offset(&mut self) -> Millis {
        let offset = self.quotient;
        self.quotient += self.step_quotient;
        self.remainder += self.step_remainder;
        if self.remainder >= self.count {
            self.remainder -= self.count;
            self.quotient += 1;
        }
        offset
    }
}

/// Offset of the last of `count` edits spread over `spread`.
pub fn last_offset(count: u32, spread: Millis) -> Millis {
    if count == 0 {
        0
    } else {
        edit_offset(count - 1, count, spread)
    }
}

/// The run's background edits: their streams (or the edits a helper thread drew ahead) and
/// the observer that sees each one.
pub(crate) struct Edits<'a> {
    /// Called with every background edit ([`super::Inputs::on_edit`]).
    on_edit: Option<&'a mut dyn FnMut(&EditEvent)>,
    /// The background streams, generated or recorded.
    streams: Vec<Source<'a>>,
    /// (time, sequence) of each stream's next edit. Background edits are most events, so
    /// they are kept out of the event heap, in a heap of their own where an edit costs one
    /// sift-down.
    next_edits: NextEdits,
    /// Instead of `streams`, the generated streams' edits drawn and merged ahead by a helper
    /// thread ([`super::Inputs::draw_ahead`]).
    drawn: Option<Drawn>,
    /// Per object, the generated streams of `streams` that grow with each of its creations
    /// ([`growers`]); empty without creations, or when the edits are drawn ahead or
    /// replayed (then nothing here draws).
    growers: Vec<Vec<u32>>,
}

impl<'a> Edits<'a> {
    /// No streams yet ([`Sim::start_edits`] adds them); `on_edit` sees every background edit.
    pub(super) fn new(on_edit: Option<&'a mut dyn FnMut(&EditEvent)>) -> Self {
        Edits {
            on_edit,
            streams: Vec::new(),
            next_edits: NextEdits::default(),
            drawn: None,
            growers: Vec::new(),
        }
    }
}

impl<'a> Sim<'a> {
    /// Keys each stream's first edit, in (object, direction) order: the generated streams,
    /// or the edits a helper thread draws (`drawn`, with which streams have any), or the
    /// recorded sources of `replay` instead of every generated stream.
    pub(super) fn start_edits(
        &mut self,
        replay: Option<ReplaySources<'a>>,
        drawn: Option<(Drawn, Vec<bool>)>,
    ) {
        let sc = self.sc;
        match (replay, drawn) {
            (None, None) => {
                let all = edit_streams(sc, self.seed);
                let grow = growers(&all);
                let objects: Vec<usize> = all.iter().map(|s| s.object).collect();
                // Where each stream is in `streams`, if it has an edit.
                let mut at = vec![None; all.len()];
                for (i, mut s) in all.into_iter().enumerate() {
                    if let Some(t) = s.advance(sc.horizon) {
                        self.seq += 1;
                        let edits = &mut self.edits;
                        at[i] = Some(edits.streams.len() as u32);
                        edits.next_edits.push(key(t, self.seq), edits.streams.len());
                        edits.streams.push(Source::Generated(s));
                    }
                }
                // Only with creations: each creation stream grows itself at least.
                for (c, streams) in grow.iter().enumerate().filter(|(_, g)| !g.is_empty()) {
                    let growers = &mut self.edits.growers;
                    growers.resize(sc.objects.len(), Vec::new());
                    growers[objects[c]] = streams.iter().filter_map(|&j| at[j as usize]).collect();
                }
            }
            (None, Some((mut drawn, has_edits))) => {
                drawn.start(&has_edits, &mut self.seq);
                self.edits.drawn = Some(drawn);
            }
            (Some(mut sources), _) => {
                // The order generated streams would have: by object, then direction.
                sources.sort_by_key(|(o, d, _)| QueueId::new(*o, *d));
                for (object, direction, mut source) in sources {
                    if let Some(current) = source.next_edit().filter(|e| e.time < sc.horizon) {
                        self.seq += 1;
                        let edits = &mut self.edits;
                        edits
                            .next_edits
                            .push(key(current.time, self.seq), edits.streams.len());
                        edits.streams.push(Source::Recorded {
                            object,
                            direction,
                            source,
                            current,
                        });
                    }
                }
            }
        }
    }

    /// The (time, sequence) key of the next background edit; `NEVER` when there is none.
    #[inline(always)]
    pub(super) fn next_edit_key(&self) -> u128 {
        match &self.edits.drawn {
            Some(drawn) => drawn.next_key,
            None => self.edits.next_edits.first().1,
        }
    }

    /// Applies the next background edit, the one [`Sim::next_edit_key`] names; with
    /// `CAUSES`, it sets off the cascades watching its queue's edits (a constant, so the run
    /// loop's path for scenarios without them is the one it always was).
    #[inline(always)]
    pub(super) fn background_edit<const CAUSES: bool>(&mut self) {
        match &mut self.edits.drawn {
            Some(drawn) => {
                // The record of an edit a few dozen ahead: its pending index is fetched from
                // memory while this one and those before it run.
                if let Some((q, record)) = drawn.ahead() {
                    self.entries.queues[q].pending.prefetch(record);
                }
                let (object, direction, record, synced, stream) = drawn.take();
                self.apply_background_edit::<CAUSES>(object, direction, record, synced);
                let seq = self.seq;
                if let Some(drawn) = &mut self.edits.drawn {
                    drawn.follow(stream, seq);
                }
            }
            None => self.stream_edit::<CAUSES>(),
        }
    }

    /// Applies the edit of the stream that edits next, drawing it here or reading it from a
    /// recorded source, and keys the stream's next edit. Drawing that next instant before the
    /// edit is applied changes nothing: applying an edit draws no random number.
    #[inline(always)]
    fn stream_edit<const CAUSES: bool>(&mut self) {
        let horizon = self.sc.horizon;
        let (object, direction, record, synced, next) =
            match &mut self.edits.streams[self.edits.next_edits.first().0] {
                Source::Generated(s) => {
                    let e = s.draw_edit();
                    (
                        s.object,
                        s.direction,
                        e.record,
                        e.synced,
                        s.advance(horizon),
                    )
                }
                Source::Recorded {
                    object,
                    direction,
                    source,
                    current,
                } => {
                    let edit = *current;
                    let next = match source.next_edit() {
                        Some(e) if e.time < horizon => {
                            *current = e;
                            Some(e.time)
                        }
                        _ => None,
                    };
                    (*object, *direction, edit.record, edit.synced, next)
                }
            };
        self.apply_background_edit::<CAUSES>(object, direction, record, synced);
        self.edits
            .next_edits
            .replace_first(next.map_or(NEVER, |t| key(t, self.seq)));
    }

    /// One background edit, counted, shown to the observer and applied; it ends with a new
    /// sequence number, which the stream's next edit takes. An edit of the record just past
    /// the object's population creates it (docs/model.md, Creations).
    #[inline(always)]
    fn apply_background_edit<const CAUSES: bool>(
        &mut self,
        object: usize,
        direction: Direction,
        record: u32,
        synced: bool,
    ) {
        let q = QueueId::new(object, direction);
        let queue = &mut self.entries.queues[q];
        queue.counters.background_edits += 1;
        let creates = record >= queue.population;
        if let Some(observe) = self.edits.on_edit.as_mut() {
            observe(&EditEvent {
                time: self.now,
                object,
                direction,
                record,
                synced,
            });
        }
        if creates {
            self.create(q, record);
        } else {
            self.edit(object, direction, record, synced, None);
            if CAUSES {
                // A creation is not an edit: it sets off no `on = "edit"` rule.
                self.edit_sets_off(q, record, 0, 0);
            }
        }
        self.seq += 1;
    }

    /// Creates the entries pending at the start (docs/data.md, Starting from a backlog): the
    /// scenario's rows, and per object `initial_backlog` records (a seeded sample of ids)
    /// stamped evenly over `initial_backlog_age` before the start. They are queued oldest
    /// first, as updates, before anything happens.
    pub(super) fn load_initial_backlog(&mut self) {
        let mut initial: Vec<(i64, QueueId, u32)> = self
            .sc
            .initial
            .iter()
            .map(|e| (e.stamp, QueueId::new(e.object, e.direction), e.record))
            .collect();
        for (o, object) in self.sc.objects.iter().enumerate() {
            let Some(b) = object.initial_backlog else {
                continue;
            };
            let d = if object.syncs[0] {
                Direction::ToMarketing
            } else {
                Direction::ToCrm
            };
            let mut rng = seeds::stream_rng(self.seed, seeds::tag::INITIAL, o as u64);
            let ids = index::sample(&mut rng, object.records as usize, b.count as usize);
            for (k, id) in ids.into_iter().enumerate() {
                let stamp = -(b.oldest as i64) + edit_offset(k as u32, b.count, b.oldest) as i64;
                initial.push((stamp, QueueId::new(o, d), id as u32));
            }
        }
        // Oldest first; ties in the order given (rows, then objects). A record listed twice
        // in one direction is one entry, stamped by its first listing.
        initial.sort_by_key(|&(stamp, _, _)| stamp);
        for (stamp, q, record) in initial {
            if self.entries.queues[q].pending.get(record).is_some() {
                continue;
            }
            self.new_entry(q, record, stamp, true, None);
            self.entries.queues[q].counters.initial_entries += 1;
        }
    }

    /// Runs every edit of tracked bulk event `k` due now, then schedules its next instant.
    pub(super) fn bulk_edits(&mut self, k: usize) {
        let event = &self.sc.events[self.tracking.events[k].event];
        let EventKind::BulkUpdate {
            object,
            direction,
            count,
            spread,
            selection,
            first_record,
            synced_fields,
        } = event.kind
        else {
            unreachable!("bulk happenings belong to bulk updates")
        };
        let at = event.at;
        if self.tracking.events[k].next == 0 {
            self.begin_tracked(k);
        }
        let q = QueueId::new(object, direction);
        // Edits schedule nothing, so until the next other event every later edit of this
        // update would run next anyway: run them here rather than through the heap.
        let mut until = self.next_other_time().min(self.sc.horizon);
        let mut observe = self.observer.next_sample.min(self.observer.next_hour);
        let first = self.tracking.events[k].next;
        let mut offsets = EvenSpread::new(first, count, spread);
        // Edits made here, counted into the event and its queue when the loop stops.
        let mut i = first;
        let mut pause = None;
        while i < count {
            let t = at + offsets.next_offset();
            if t > self.now {
                if t >= until {
                    pause = Some(t);
                    break;
                }
                if t >= observe {
                    self.observe_until(t);
                    observe = self.observer.next_sample.min(self.observer.next_hour);
                }
                self.now = t;
            }
            let record_of = |i: u32| match selection {
                Selection::Sequential => first_record + i,
                Selection::Random => self.tracking.events[k].ids[i as usize],
            };
            let record = record_of(i);
            // As for background edits: the record of an edit further on is fetched now.
            if i + (PREFETCH_EDITS as u32) < count {
                let ahead = record_of(i + PREFETCH_EDITS as u32);
                self.entries.queues[q].pending.prefetch(ahead);
            }
            i += 1;
            self.edit(object, direction, record, synced_fields, Some(k));
            if self.caused.fires_on_edit {
                // The edit may have caused edits due before the next other event.
                self.edit_sets_off(q, record, 0, 1 << k);
                until = until.min(self.next_other_time());
            }
        }
        let done = (i - first) as u64;
        self.tracking.events[k].next = i;
        self.tracking.events[k].outcome.edits += done;
        self.entries.queues[q].counters.bulk_edits += done;
        match pause {
            Some(t) => self.schedule(t, Happening::Bulk(k as u32)),
            None => self.end_tracked(k),
        }
    }

    /// `enable_object` (tracked as event `k`): the object joins the sync, and every record of
    /// it that passes the filter enters the queue now, in id order, as an update.
    pub(super) fn enable_object(&mut self, k: usize, object: usize) {
        self.begin_tracked(k);
        for q in QueueId::of_object(object) {
            self.entries.queues[q].enabled = true;
        }
        // Records created before the object joined count too.
        let records = self.entries.queues[QueueId::new(object, Direction::ToMarketing)].population;
        for d in Direction::ALL {
            if !self.sc.objects[object].syncs[d as usize] {
                continue;
            }
            let q = QueueId::new(object, d);
            for record in 0..records {
                self.tracking.events[k].outcome.edits += 1;
                self.entries.queues[q].counters.bulk_edits += 1;
                self.edit(object, d, record, true, Some(k));
            }
        }
        self.end_tracked(k);
        // New work may be eligible for workers idle within an active cycle: they wait for the
        // next cycle like any other new work.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::HOUR;

    #[test]
    fn even_spread_steps_through_the_edit_offsets() {
        for (count, spread) in [
            (1, 0),
            (1, 5),
            (3, 10),
            (7, 3),
            (300_000, HOUR),
            (1000, 999),
        ] {
            for first in [0, 1, count / 2, count - 1] {
                let mut offsets = EvenSpread::new(first, count, spread);
                for i in first..count.min(first + 5000) {
                    assert_eq!(offsets.next_offset(), edit_offset(i, count, spread));
                }
            }
        }
    }
}
