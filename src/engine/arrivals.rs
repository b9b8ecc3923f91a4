//! Background edits: one Poisson stream per (object, direction), with an optional hour-of-day
//! profile and weekend factor, and the record choice (uniform, hot set, Zipf); and one stream
//! of creations per object that creates records, whose edits are the new records
//! (docs/model.md, Creations).
//!
//! A stream keeps its next arrival as an exact float instant and the engine runs it at the
//! floor of that instant, so rounding never accumulates (docs/model.md, Clock and event order:
//! no float is ever an event time; the float only decides which millisecond).

use rand::Rng;
use rand_distr::{Distribution, Exp1, Zipf};
use rand_pcg::Pcg64Mcg;

use crate::scenario::{Calendar, DayKind, Direction, ObjectSpec, RecordChoice};
use crate::units::{Instant, Millis, DAY, HOUR};

/// How a stream picks the record an edit touches.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Chooser {
    Uniform { records: u32 },
    HotSet { hot: u32, records: u32, share: f64 },
    Zipf(Zipf<f64>),
}

impl Chooser {
    /// How background edits of `object` pick records.
    pub(super) fn new(object: &ObjectSpec) -> Self {
        let records = object.records;
        match object.record_choice {
            RecordChoice::Uniform => Chooser::Uniform { records },
            RecordChoice::HotSet { fraction, share } => Chooser::HotSet {
                hot: ((records as f64 * fraction).floor() as u32).clamp(1, records),
                records,
                share,
            },
            RecordChoice::Zipf { exponent } => Chooser::Zipf(
                Zipf::new(records as f64, exponent).expect("validated: records >= 1, exponent > 0"),
            ),
        }
    }

    /// The next record picked.
    #[inline(always)]
    pub(super) fn pick(&self, rng: &mut Pcg64Mcg) -> u32 {
        match *self {
            Chooser::Uniform { records } => rng.random_range(0..records),
            Chooser::HotSet {
                hot,
                records,
                share,
            } => {
                // The hot set is ids 0..hot; a full hot set degenerates to uniform.
                if hot >= records || rng.random::<f64>() < share {
                    rng.random_range(0..hot)
                } else {
                    rng.random_range(hot..records)
                }
            }
            Chooser::Zipf(ref z) => (z.sample(rng) as u32).saturating_sub(1),
        }
    }

    /// The choice of a creation stream whose next record is `next`: a "hot set" of that one
    /// id, always chosen (a share of -1 never wins the coin, and the cold part is `next`
    /// alone). A creation stream is then an edit stream like any, with no check of its kind
    /// on the way of every edit; [`EditStream::grow`] moves it on.
    fn creations(next: u32) -> Self {
        Chooser::HotSet {
            hot: next,
            records: next + 1,
            share: -1.0,
        }
    }

    /// The object has one more record, which uniform choices and a hot set's cold part may
    /// pick from now on (a Zipf choice keeps its ranks: docs/model.md, Creations).
    fn grow(&mut self) {
        match self {
            Chooser::Uniform { records } | Chooser::HotSet { records, .. } => *records += 1,
            Chooser::Zipf(_) => {}
        }
    }
}

/// One Poisson stream of background edits. Two streams that are equal draw the same edits
/// (their generators are part of them), which is how shared edits know they fit a run
/// (`engine/shared_edits.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct EditStream {
    /// Object index.
    pub object: usize,
    /// Direction its edits flow in.
    pub direction: Direction,
    /// Mean edits per millisecond before the profile and weekend factor.
    rate_per_ms: f64,
    /// Per-UTC-hour multipliers, with the weekend factor kept apart.
    profile: Option<[f64; 24]>,
    weekend_factor: f64,
    holiday_factor: f64,
    /// Local time, when it is not UTC or there are holidays (else the UTC fast path).
    calendar: Option<Box<Calendar>>,
    /// Scenario start, to map simulated time to UTC hours.
    start: Instant,
    /// The exact (float) instant of the next edit, in ms since start.
    next_exact: f64,
    synced_fraction: f64,
    chooser: Chooser,
    rng: Pcg64Mcg,
    /// A stream of creations (else of edits).
    pub creates: bool,
    /// For a stream of creations, the id it stops before (0 for edits).
    end: u32,
}

/// One background edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    /// The record.
    pub record: u32,
    /// Whether it touched synced fields (else it is a skip).
    pub synced: bool,
}

impl EditStream {
    /// A stream for `object` in `direction`, or `None` when its rate is zero.
    pub fn new(
        object_index: usize,
        object: &ObjectSpec,
        direction: Direction,
        start: Instant,
        rng: Pcg64Mcg,
    ) -> Option<Self> {
        let per_hour = object.edits_per_hour[direction as usize];
        (per_hour > 0.0).then(|| {
            Self::shaped(
                object_index,
                object,
                direction,
                per_hour,
                Chooser::new(object),
                start,
                rng,
            )
        })
    }

    /// The stream of `object`'s creations, or `None` when it creates none: its edits are the
    /// new records in id order from `records`, at most `max_creations` of them, all touching
    /// synced fields, in its creation direction, at its creation rate shaped like its edits.
    pub fn creations(
        object_index: usize,
        object: &ObjectSpec,
        start: Instant,
        rng: Pcg64Mcg,
    ) -> Option<Self> {
        let per_hour = object.creations_per_hour;
        if per_hour <= 0.0 || object.max_creations == 0 {
            return None;
        }
        let chooser = Chooser::creations(object.records);
        let direction = object.creation_direction;
        Some(EditStream {
            synced_fraction: 1.0,
            creates: true,
            end: object.id_space(),
            ..Self::shaped(
                object_index,
                object,
                direction,
                per_hour,
                chooser,
                start,
                rng,
            )
        })
    }

    /// An edit stream of `object` at `per_hour`, shaped by its hour profile, weekend and
    /// holiday factors, picking records with `chooser`.
    fn shaped(
        object_index: usize,
        object: &ObjectSpec,
        direction: Direction,
        per_hour: f64,
        chooser: Chooser,
        start: Instant,
        rng: Pcg64Mcg,
    ) -> Self {
        let varies = object.rate_varies();
        EditStream {
            object: object_index,
            direction,
            rate_per_ms: per_hour / HOUR as f64,
            profile: varies.then(|| object.hour_profile.unwrap_or([1.0; 24])),
            weekend_factor: object.weekend_factor,
            holiday_factor: object.holiday_factor,
            calendar: None,
            start,
            next_exact: 0.0,
            synced_fraction: object.synced_fraction,
            chooser,
            rng,
            creates: false,
            end: 0,
        }
    }

    /// One more record of the object was created, after this stream's next instant was
    /// drawn: an edit stream may pick it from now on, and the creation stream that created
    /// it moves to the next id. A creation stream whose next creation (already drawn) takes
    /// its last id stops after it: its rate is zero from then on, so the stream never
    /// checks its end on the way (docs/model.md, Creations).
    #[cold]
    pub fn grow(&mut self) {
        match (&mut self.chooser, self.creates) {
            (Chooser::HotSet { hot, records, .. }, true) => {
                *hot += 1;
                *records += 1;
                if *records >= self.end {
                    self.rate_per_ms = 0.0;
                }
            }
            (chooser, _) => chooser.grow(),
        }
    }

    /// The stream with its hour profile, weekends and holidays in the local time of
    /// `calendar` (docs/model.md, Local time).
    pub fn in_local_time(mut self, calendar: &Calendar) -> Self {
        if !calendar.is_utc() {
            self.calendar = Some(Box::new(calendar.clone()));
        }
        self
    }

    /// Draws the time of the next edit after the current one; `None` when it falls at or
    /// after `horizon` (or the rate is zero from now on).
    #[inline(always)]
    pub fn advance(&mut self, horizon: Millis) -> Option<Millis> {
        let e: f64 = self.rng.sample(Exp1);
        let next = match self.profile {
            None => self.next_exact + e / self.rate_per_ms,
            Some(profile) => self.integrate(e, &profile, horizon as f64)?,
        };
        self.next_exact = next;
        // Instants are positive, so truncation is the floor (and avoids a libm call). Both
        // are far below 2^63 ms, so converting through i64 is exact, and cheaper than through
        // u64.
        (next < horizon as i64 as f64).then_some(next as i64 as Millis)
    }

    /// Walks hour segments, spending `e` units of integrated intensity (inverse method for a
    /// piecewise-constant rate).
    #[inline(never)]
    fn integrate(&self, mut e: f64, profile: &[f64; 24], horizon: f64) -> Option<f64> {
        let start_ms = self.start.0;
        let mut t = self.next_exact;
        let mut idle_span = 0.0;
        loop {
            if t >= horizon {
                return None;
            }
            let abs = start_ms + t as i64;
            let (segment_end, rate) = match &self.calendar {
                None => {
                    let instant = Instant(abs);
                    let hour_end_abs = (abs.div_euclid(HOUR as i64) + 1) * HOUR as i64;
                    let mut rate = self.rate_per_ms * profile[instant.utc_hour() as usize];
                    if instant.is_weekend() {
                        rate *= self.weekend_factor;
                    }
                    (hour_end_abs, rate)
                }
                Some(calendar) => {
                    let (hour, day, end) = calendar.hour_segment(abs);
                    let rate = self.rate_per_ms * profile[hour];
                    let rate = match day {
                        DayKind::Weekday => rate,
                        DayKind::Weekend => rate * self.weekend_factor,
                        DayKind::Holiday => rate * self.holiday_factor,
                    };
                    (end, rate)
                }
            };
            let segment_end = (segment_end - start_ms) as f64;
            let span = segment_end - t;
            if rate > 0.0 {
                idle_span = 0.0;
                let mass = rate * span;
                if mass >= e {
                    return Some(t + e / rate);
                }
                e -= mass;
            } else {
                idle_span += span;
                if idle_span > 7.0 * DAY as f64 {
                    // A whole week at rate zero: the rate is zero for good.
                    return None;
                }
            }
            t = segment_end;
        }
    }

    /// The record and kind of the edit at the current instant.
    /// A creation stream's edit is its next id, touching synced fields (its share is 1);
    /// the stream moves on when [`EditStream::grow`] is called for it.
    #[inline(always)]
    pub fn draw_edit(&mut self) -> Edit {
        let record = self.chooser.pick(&mut self.rng);
        let synced = self.rng.random::<f64>() < self.synced_fraction;
        Edit { record, synced }
    }
}

/// For tests: an object of 1,000 records edited uniformly at `rate` an hour towards the
/// marketing platform, `synced_fraction` of the edits touching synced fields.
#[cfg(test)]
pub(crate) fn test_object(rate: f64, synced_fraction: f64) -> ObjectSpec {
    ObjectSpec {
        name: "Lead".into(),
        records: 1000,
        syncs: [true, false],
        edits_per_hour: [rate, 0.0],
        hour_profile: None,
        weekend_factor: 1.0,
        holiday_factor: 1.0,
        record_choice: RecordChoice::Uniform,
        synced_fraction,
        filter_pass: 1.0,
        enabled: true,
        initial_backlog: None,
        transient_error_rate: 0.0,
        permanent_error_fraction: 0.0,
        batch_size: 200,
        records_per_call: 200,
        creations_per_hour: 0.0,
        creation_direction: Direction::ToMarketing,
        max_creations: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::seeds::stream_rng;

    fn object(rate: f64) -> ObjectSpec {
        test_object(rate, 1.0)
    }

    fn count_edits(o: &ObjectSpec, start: &str, horizon: Millis) -> u64 {
        let start = Instant::parse(start).unwrap();
        let mut s =
            EditStream::new(0, o, Direction::ToMarketing, start, stream_rng(7, 1, 0)).unwrap();
        let mut n = 0;
        let mut last = 0;
        while let Some(t) = s.advance(horizon) {
            assert!(t >= last, "arrivals go forward");
            last = t;
            n += 1;
        }
        n
    }

    #[test]
    fn constant_rate_gives_the_expected_count() {
        // 10,000/h over 100 h: mean 1,000,000, sd 1,000; 5 sd is a generous band.
        let n = count_edits(&object(10_000.0), "2026-11-23T00:00:00Z", 100 * HOUR);
        assert!((995_000..=1_005_000).contains(&n), "{n}");
    }

    #[test]
    fn profile_zero_hours_get_no_edits() {
        let mut o = object(36_000.0);
        let mut p = [0.0; 24];
        p[3] = 1.0; // only 03:00-04:00 UTC
        o.hour_profile = Some(p);
        let start = Instant::parse("2026-11-23T00:00:00Z").unwrap();
        let mut s =
            EditStream::new(0, &o, Direction::ToMarketing, start, stream_rng(7, 1, 0)).unwrap();
        let mut n = 0;
        while let Some(t) = s.advance(2 * DAY) {
            assert_eq!(start.plus(t).utc_hour(), 3, "edit at {t}");
            n += 1;
        }
        // 36,000/h for 2 hours: mean 72,000.
        assert!((70_500..=73_500).contains(&n), "{n}");
    }

    #[test]
    fn weekend_factor_scales_saturday() {
        let mut o = object(10_000.0);
        o.weekend_factor = 0.0;
        // Starting Saturday 00:00: nothing until Monday 00:00.
        let start = Instant::parse("2026-11-28T00:00:00Z").unwrap();
        let mut s =
            EditStream::new(0, &o, Direction::ToMarketing, start, stream_rng(7, 1, 0)).unwrap();
        let first = s.advance(5 * DAY).unwrap();
        assert!((2 * DAY..2 * DAY + HOUR).contains(&first), "{first}");
    }

    #[test]
    fn a_creation_stream_takes_the_next_ids_and_stops_at_its_bound() {
        // 10 records, at most 5 created; a rate that would create thousands in an hour. As
        // the engine drives it: the first instant, then per creation its record, the next
        // instant, and the growth.
        let mut o = object(0.0);
        o.records = 10;
        o.creations_per_hour = 100_000.0;
        o.max_creations = 5;
        let start = Instant::parse("2026-11-23T00:00:00Z").unwrap();
        let mut s = EditStream::creations(0, &o, start, stream_rng(7, 7, 0)).unwrap();
        let mut ids = Vec::new();
        let mut at = s.advance(HOUR);
        while at.is_some() {
            let e = s.draw_edit();
            assert!(e.synced);
            ids.push(e.record);
            at = s.advance(HOUR);
            s.grow();
        }
        assert_eq!(ids, [10, 11, 12, 13, 14]);
        // An edit stream of the object picks among the records created so far.
        let mut edits = EditStream::new(
            0,
            &object(1.0),
            Direction::ToMarketing,
            start,
            stream_rng(7, 1, 0),
        )
        .unwrap();
        assert!((0..2000).all(|_| edits.draw_edit().record < 1000));
        (0..1000).for_each(|_| edits.grow());
        assert!((0..2000).any(|_| edits.draw_edit().record >= 1000));
        assert!(EditStream::creations(0, &object(1.0), start, stream_rng(7, 7, 0)).is_none());
    }

    #[test]
    fn hot_set_takes_its_share() {
        let mut o = object(1.0);
        o.record_choice = RecordChoice::HotSet {
            fraction: 0.01,
            share: 0.9,
        };
        let start = Instant::parse("2026-11-23T00:00:00Z").unwrap();
        let mut s =
            EditStream::new(0, &o, Direction::ToMarketing, start, stream_rng(7, 1, 0)).unwrap();
        let hot = (0..100_000).filter(|_| s.draw_edit().record < 10).count();
        assert!((89_000..=91_000).contains(&hot), "{hot}");
    }
}
