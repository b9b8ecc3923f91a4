//! Background edits drawn and merged ahead on a second thread, so that one run uses two cores.
//!
//! Drawing a background edit (the exponential gap to the next one, the record, whether it
//! touches synced fields) and finding which stream edits next are about a third of the work
//! of a run, and neither depends on anything the simulation does: each stream's edits are a
//! fixed sequence of its own random numbers. So a helper thread draws every stream's edits,
//! merges them into the order the engine takes them in, and hands them over in chunks; the
//! engine reads them in order. The run is the same whether its edits are drawn ahead or inline
//! (tested), only sooner.
//!
//! The order is the engine's (time, sequence) order. A stream's next edit takes its sequence
//! number when the stream's previous edit runs, and numbers only grow, so among edits at the
//! same millisecond the stream whose previous edit came first goes first, and among first
//! edits the stream listed first. The helper ranks edits that way; the engine gives each edit
//! its actual sequence number (which heap events at the same millisecond are compared with)
//! when it reads it.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::Scope;

use super::arrivals::EditStream;
use super::edits::growers;
use super::key;
use super::next_edits::{NextEdits, NEVER};
use crate::units::Millis;

/// Edits in a chunk (192 KiB): the helper waits when it is [`CHUNKS_AHEAD`] chunks ahead, so
/// each chunk the engine takes wakes it once; at a hundred times the reference scale, chunks
/// of 4,096 cost the engine a tenth of its time in those wake-ups.
pub(super) const CHUNK: usize = 8192;

/// Chunks drawn and not yet read: the helper waits when it is this far ahead. It draws
/// several times faster than the engine applies, so two keep the engine from waiting, and
/// the chunks alive at once (these, the one read and the one drawn) take about what four
/// chunks of 4,096 edits ahead took.
const CHUNKS_AHEAD: usize = 2;

/// One drawn background edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawnEdit {
    /// When, ms after the start.
    pub time: Millis,
    /// Index of its stream in the list given to [`spawn`].
    pub stream: u32,
    /// The record.
    pub record: u32,
    /// Whether it touched synced fields.
    pub synced: bool,
}

/// The engine's end: every stream's edits, in the order the engine takes them.
#[derive(Debug)]
pub struct DrawnEdits {
    chunk: Chunk,
    /// Index in `chunk` of the current edit.
    at: usize,
    /// The helper's end; `None` for edits drawn before the run, read in one piece.
    feed: Option<Helper>,
}

/// The engine's end of the helper thread.
#[derive(Debug)]
struct Helper {
    chunks: Receiver<Vec<DrawnEdit>>,
    /// Used chunks go back to the helper to be filled again.
    used: SyncSender<Vec<DrawnEdit>>,
}

/// The edits being read: a chunk from the helper, or a whole buffer drawn before the run and
/// shared by many runs (`engine/shared_edits.rs`), read where it is.
#[derive(Debug)]
enum Chunk {
    Own(Vec<DrawnEdit>),
    Shared(Arc<Vec<DrawnEdit>>),
}

impl Chunk {
    #[inline(always)]
    fn edits(&self) -> &[DrawnEdit] {
        match self {
            Chunk::Own(v) => v,
            Chunk::Shared(a) => a,
        }
    }
}

impl DrawnEdits {
    /// The current edit, if any is left before the horizon.
    #[inline]
    pub fn current(&self) -> Option<&DrawnEdit> {
        self.chunk.edits().get(self.at)
    }

    /// The edit `k` after the current one, if it is in the chunk at hand: for prefetching
    /// what it will touch.
    #[inline(always)]
    pub fn ahead(&self, k: usize) -> Option<&DrawnEdit> {
        self.chunk.edits().get(self.at + k)
    }

    /// Moves to the next edit.
    #[inline]
    pub fn advance(&mut self) {
        self.at += 1;
        if self.at == self.chunk.edits().len() {
            self.refill();
        }
    }

    /// Takes the next chunk, waiting for the helper if needed; leaves `chunk` empty when the
    /// helper has drawn everything (or the buffer drawn before the run is read).
    fn refill(&mut self) {
        let next = match &self.feed {
            Some(helper) => helper.chunks.recv().unwrap_or_default(),
            None => Vec::new(),
        };
        if let (Chunk::Own(used), Some(helper)) = (
            std::mem::replace(&mut self.chunk, Chunk::Own(next)),
            &self.feed,
        ) {
            // The helper may have finished and gone; then there is no one to give it back to.
            let _ = helper.used.try_send(used);
        }
        self.at = 0;
    }

    /// Edits drawn before the run, in the engine's order, read in place.
    pub fn from_buffer(edits: Arc<Vec<DrawnEdit>>) -> Self {
        let mut drawn = DrawnEdits {
            chunk: Chunk::Shared(edits),
            at: 0,
            feed: None,
        };
        if drawn.chunk.edits().is_empty() {
            drawn.refill();
        }
        drawn
    }
}

/// Starts a helper thread in `scope` that draws the edits of `streams` up to `horizon` and
/// merges them. Returns which streams have any edit before the horizon (the engine gives each
/// of those its first sequence number, in this order) and the engine's end of the edits.
pub fn spawn<'scope>(
    scope: &'scope Scope<'scope, '_>,
    mut streams: Vec<EditStream>,
    horizon: Millis,
) -> (Vec<bool>, DrawnEdits) {
    // First edits, drawn here: cheap, and the engine needs to know which streams have one.
    let firsts: Vec<Option<Millis>> = streams.iter_mut().map(|s| s.advance(horizon)).collect();
    let has_edits = firsts.iter().map(Option::is_some).collect();
    let (chunk_tx, chunk_rx) = sync_channel(CHUNKS_AHEAD);
    let (used_tx, used_rx) = sync_channel(CHUNKS_AHEAD + 2);
    scope.spawn(move || draw(streams, firsts, horizon, chunk_tx, used_rx));
    let mut edits = DrawnEdits {
        chunk: Chunk::Own(Vec::new()),
        at: 0,
        feed: Some(Helper {
            chunks: chunk_rx,
            used: used_tx,
        }),
    };
    edits.refill();
    (has_edits, edits)
}

/// The streams merged by (time, rank), where a stream's rank is the place of its previous
/// edit in the merged order (its index, before its first edit): the engine's own heap of
/// streams, keyed (time, rank) as it keys them (time, sequence). The helper thread and
/// [`super::shared_edits::SharedEdits`] draw through it, so both give the same order.
pub(super) struct Merge {
    next: NextEdits,
    rank: u64,
    /// Per stream, the streams whose record choice grows with its creations
    /// ([`growers`]): the merge is where every stream's draws happen in the engine's
    /// order, so an edit picks among the records created before it.
    growers: Vec<Vec<u32>>,
}

impl Merge {
    /// A merge of `streams`, whose first edits are `firsts` (`None`: none within the
    /// horizon).
    pub(super) fn new(streams: &[EditStream], firsts: &[Option<Millis>]) -> Self {
        let mut next = NextEdits::default();
        for (stream, first) in firsts.iter().enumerate() {
            if let Some(t) = first {
                next.push(key(*t, stream as u64), stream);
            }
        }
        Merge {
            next,
            rank: firsts.len() as u64,
            growers: growers(streams),
        }
    }

    /// Draws the next edit in merged order, advancing its stream; `None` when every stream
    /// is past `horizon`.
    #[inline]
    pub(super) fn next_edit(
        &mut self,
        streams: &mut [EditStream],
        horizon: Millis,
    ) -> Option<DrawnEdit> {
        let (stream, at) = self.next.first();
        if at == NEVER {
            return None;
        }
        let s = &mut streams[stream];
        let edit = s.draw_edit();
        let creates = s.creates;
        let rank = self.rank;
        self.next
            .replace_first(s.advance(horizon).map_or(NEVER, |t| key(t, rank)));
        self.rank += 1;
        if creates {
            for &i in &self.growers[stream] {
                streams[i as usize].grow();
            }
        }
        Some(DrawnEdit {
            time: (at >> 64) as Millis,
            stream: stream as u32,
            record: edit.record,
            synced: edit.synced,
        })
    }
}

/// The helper thread: merges the streams by (time, rank), where a stream's rank is the place
/// of its previous edit in the merged order (its index, before its first edit), and sends the
/// edits in chunks until every stream is past the horizon or the engine has gone.
fn draw(
    mut streams: Vec<EditStream>,
    firsts: Vec<Option<Millis>>,
    horizon: Millis,
    chunks: SyncSender<Vec<DrawnEdit>>,
    used: Receiver<Vec<DrawnEdit>>,
) {
    let mut merge = Merge::new(&streams, &firsts);
    loop {
        let mut chunk = used.try_recv().unwrap_or_default();
        chunk.clear();
        chunk.reserve(CHUNK);
        while chunk.len() < CHUNK {
            let Some(edit) = merge.next_edit(&mut streams, horizon) else {
                break;
            };
            chunk.push(edit);
        }
        if chunk.is_empty() || chunks.send(chunk).is_err() {
            // Everything is drawn (dropping the sender tells the engine), or the engine
            // stopped at the horizon and dropped its end.
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::arrivals::test_object;
    use crate::engine::seeds::stream_rng;
    use crate::scenario::Direction;
    use crate::units::{Instant, HOUR};

    fn stream(rate: f64, seed: u64) -> EditStream {
        let object = test_object(rate, 0.7);
        let start = Instant::parse("2026-11-23T00:00:00Z").unwrap();
        EditStream::new(
            0,
            &object,
            Direction::ToMarketing,
            start,
            stream_rng(seed, 1, 0),
        )
        .unwrap()
    }

    /// The edits the engine takes when it draws the streams itself: the earliest by (time,
    /// sequence), a stream's sequence number given when its previous edit runs.
    fn inline(mut streams: Vec<EditStream>, horizon: Millis) -> Vec<DrawnEdit> {
        let mut seq = 0;
        let mut next: Vec<Option<(Millis, u64)>> = streams
            .iter_mut()
            .map(|s| {
                s.advance(horizon).map(|t| {
                    seq += 1;
                    (t, seq)
                })
            })
            .collect();
        let mut edits = Vec::new();
        while let Some(i) = (0..streams.len())
            .filter(|&i| next[i].is_some())
            .min_by_key(|&i| next[i])
        {
            let e = streams[i].draw_edit();
            edits.push(DrawnEdit {
                time: next[i].unwrap().0,
                stream: i as u32,
                record: e.record,
                synced: e.synced,
            });
            seq += 1;
            next[i] = streams[i].advance(horizon).map(|t| (t, seq));
        }
        edits
    }

    #[test]
    fn edits_drawn_ahead_are_the_edits_drawn_inline_in_the_same_order() {
        // Very different rates, and streams so dense that many edits share a millisecond.
        let horizon = 30 * HOUR;
        let rates = [200_000.0, 3.0, 700.0, 0.5, 150_000.0, 0.0001];
        let make = || -> Vec<EditStream> {
            (0..rates.len())
                .map(|i| stream(rates[i], i as u64))
                .collect()
        };
        let expected = inline(make(), horizon);
        assert!(expected.windows(2).any(|w| w[0].time == w[1].time));
        std::thread::scope(|scope| {
            let (has_edits, mut drawn) = spawn(scope, make(), horizon);
            assert_eq!(has_edits, [true, true, true, true, true, false]);
            let mut got = Vec::new();
            while let Some(&e) = drawn.current() {
                got.push(e);
                drawn.advance();
            }
            assert_eq!(got.len(), expected.len());
            assert!(got == expected);
        });
    }

    #[test]
    fn the_helper_stops_when_the_engine_stops_reading() {
        std::thread::scope(|scope| {
            let streams = (0..3).map(|i| stream(50_000.0, i)).collect();
            let (_, drawn) = spawn(scope, streams, 1000 * HOUR);
            assert!(drawn.current().is_some());
            // Dropped after one edit; the scope joins the helper, so this returns only if
            // the helper noticed.
        });
    }
}
