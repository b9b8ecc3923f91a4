//! Calibration: estimate scenario parameters from real data (`docs/data.md`).
//!
//! - [`fit_changes`] reads a change log once and estimates, per object, the edit rate of each
//!   direction, the hour-of-day profile, the weekend factor, the synced fraction and the
//!   record choice (uniform or a hot set), each with its standard error or sample size; the
//!   report turns that into a commented scenario file ([`crate::report::calibrate`]).
//! - [`dashboard`] reads the admin page's per-object figures and bounds the sync's
//!   throughput, compares a scenario's simulated backlog with the page's 4-hourly trend, and
//!   searches the throughput that fits the trend best.
//!
//! Memory: the change log is streamed. Per (object, direction) the pass keeps a few counters
//! and 48 hourly counts; per object it keeps one count per distinct record id seen (a hash
//! map entry of about 16 bytes, with the map's overhead about 32 bytes per id), which the
//! hot-set estimate needs. A log touching a million distinct records needs about 32 MB.

pub mod dashboard;

use std::collections::HashMap;
use std::path::Path;

use crate::data::{self, DataError, DataKind, Place, RowReport};
use crate::scenario::{Direction, MAX_HORIZON, MAX_RECORDS};
use crate::units::{format_duration, Instant, HOUR};

/// The z score of the dispersion test above which record choice is called skewed: the
/// chi-square statistic of per-record counts against uniform choice, standardised
/// (`(X² - df) / sqrt(2 df)`). Under uniform choice z is about N(0, 1), so 5 is a false
/// alarm about once in 3.5 million fits.
pub const SKEW_Z: f64 = 5.0;

/// Most objects a change log may name (a guard against a file of garbage names).
pub const MAX_OBJECTS: usize = 1000;

/// What `fit` is told besides the file.
#[derive(Debug, Clone, Default)]
pub struct FitOptions {
    /// Record populations by object name (`--records`); others get max id + 1.
    pub records: Vec<(String, u32)>,
    /// The start of the observed span (`--start`); default the first edit's whole hour.
    pub start: Option<Instant>,
    /// Leave out bad rows instead of refusing the file.
    pub skip_bad_rows: bool,
}

/// Counts of one (object, direction) stream.
#[derive(Debug, Clone, Default)]
struct StreamCounts {
    edits: u64,
    synced: u64,
}

/// Counts of one object, both directions pooled except where noted.
#[derive(Debug, Clone)]
struct ObjectCounts {
    name: String,
    streams: [StreamCounts; 2],
    /// Edits by [weekday = 0 / weekend = 1][UTC hour].
    by_hour: [[u64; 24]; 2],
    /// Edits per record id.
    per_record: HashMap<u32, u32>,
    max_id: u32,
}

/// Estimates for one direction of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectionFit {
    /// Edits seen.
    pub edits: u64,
    /// Edits per hour over the whole observed span (count / span).
    pub observed_rate: f64,
    /// The scenario's base rate (`edits_per_hour`): the weekday rate before the hour
    /// profile, so that base x profile x weekend factor reproduces the counts.
    pub rate: f64,
    /// Standard error of `rate` (Poisson: rate / sqrt(edits)).
    pub rate_se: f64,
    /// Fraction of its edits that touched synced fields.
    pub synced_fraction: f64,
}

/// How edits pick records, as estimated.
#[derive(Debug, Clone, PartialEq)]
pub enum ChoiceFit {
    /// No significant skew.
    Uniform {
        /// The dispersion test's z score.
        z: f64,
    },
    /// A hot set.
    HotSet {
        /// Ids in the hot set.
        hot: u32,
        /// `hot / records`.
        fraction: f64,
        /// Their share of the edits.
        share: f64,
        /// Standard error of the share (binomial).
        share_se: f64,
        /// The dispersion test's z score.
        z: f64,
    },
}

/// Estimates for one object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectFit {
    /// The object's name.
    pub name: String,
    /// Record population: `--records`, or max id + 1 (a lower bound).
    pub records: u32,
    /// Whether `records` came from `--records`.
    pub records_given: bool,
    /// Per direction (indexed by [`Direction`]); `None` when it has no edits.
    pub directions: [Option<DirectionFit>; 2],
    /// Hour-of-day multipliers, mean 1; `None` when some UTC hour was never observed on
    /// the days the profile is estimated from (then the rate is flat).
    pub hour_profile: Option<[f64; 24]>,
    /// Standard error of each multiplier (profile / sqrt(edits in that hour)).
    pub hour_profile_se: [f64; 24],
    /// Weekend rate over weekday rate.
    pub weekend_factor: f64,
    /// Its standard error, when it was estimated.
    pub weekend_factor_se: Option<f64>,
    /// Why the weekend factor is 1 by default, when it was not estimated.
    pub weekend_note: Option<&'static str>,
    /// Fraction of all its edits that touched synced fields.
    pub synced_fraction: f64,
    /// Its standard error (binomial).
    pub synced_fraction_se: f64,
    /// All its edits.
    pub edits: u64,
    /// Distinct records edited.
    pub distinct_records: u64,
    /// The record choice.
    pub choice: ChoiceFit,
}

/// Everything fitted from one change log.
#[derive(Debug)]
pub struct Fit {
    /// Start of the observed span.
    pub start: Instant,
    /// End of the observed span: the end of the hour of the last edit.
    pub end: Instant,
    /// Hours of the span on weekdays and on weekends (UTC).
    pub hours: [f64; 2],
    /// Objects, in order of first appearance.
    pub objects: Vec<ObjectFit>,
    /// Bad rows and rows left out.
    pub report: RowReport,
}

impl Fit {
    /// Length of the observed span in hours.
    pub fn span_hours(&self) -> f64 {
        (self.end.0 - self.start.0) as f64 / HOUR as f64
    }
}

fn parse_direction(text: &str) -> Result<Direction, String> {
    match text {
        "to_marketing" => Ok(Direction::ToMarketing),
        "to_crm" => Ok(Direction::ToCrm),
        other => Err(format!("direction '{other}' is not to_marketing or to_crm")),
    }
}

/// The scenario's rule for object names, so the fitted file validates.
fn check_object_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !["total", "to_marketing", "to_crm", "both", "all"].contains(&name);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "object '{name}' cannot name a scenario object (1-64 letters, digits, '_' or '-', \
             starting with a letter)"
        ))
    }
}

/// A change-log row as `fit` reads it: time (ms since the epoch), object name, record,
/// direction, synced.
type ParsedChange<'r> = (i64, &'r str, u32, Direction, bool);

/// One pass over the change log at `path`: estimates per object (see the module docs).
pub fn fit_changes(path: &Path, options: &FitOptions) -> Result<Fit, DataError> {
    fit_reader(&mut data::reader::open(path, DataKind::ChangeLog)?, options)
}

/// [`fit_changes`] of a change log read from `reader`.
pub fn fit_reader<R: std::io::Read>(
    reader: &mut data::DataReader<R>,
    options: &FitOptions,
) -> Result<Fit, DataError> {
    let path = reader.path().to_path_buf();
    let path = path.as_path();
    let mut report = RowReport::default();
    let mut objects: Vec<ObjectCounts> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let mut row = reader.expect_header(&data::CHANGES_HEADER)?;
    reader.each_row(
        &mut row,
        &mut report,
        |row, report| {
            let parsed = (|| -> Result<ParsedChange<'_>, (Option<usize>, String)> {
                if row.len() != data::CHANGES_HEADER.len() {
                    return Err((None, format!(
                        "{} fields; expected {}",
                        row.len(),
                        data::CHANGES_HEADER.len()
                    )));
                }
                let time = Instant::parse(row.get(0)).map_err(|e| (Some(0), e.to_string()))?;
                let name = row.get(1);
                check_object_name(name).map_err(|e| (Some(1), e))?;
                let text = row.get(2);
                let record = match text.parse::<u64>() {
                    Ok(r) if r < MAX_RECORDS => r as u32,
                    Ok(r) => return Err((Some(2), format!(
                        "record {r} is out of range: an object has at most {MAX_RECORDS} records, 0..{}",
                        MAX_RECORDS - 1
                    ))),
                    Err(_) => return Err((Some(2), format!("record '{text}' is not a record number"))),
                };
                if let Some((_, n)) = options.records.iter().find(|(o, _)| o == name) {
                    if record >= *n {
                        return Err((Some(2), format!(
                            "record {record} is out of range: --records gives {name} records 0..{}",
                            n - 1
                        )));
                    }
                }
                let direction = parse_direction(row.get(3)).map_err(|e| (Some(3), e))?;
                let synced = data::parse_bool(row.get(4)).map_err(|e| (Some(4), e))?;
                Ok((time.0, name, record, direction, synced))
            })();
            let (time, name, record, direction, synced) = match parsed {
                Ok(p) => p,
                Err((field, why)) => {
                    report.bad_row(field.map_or(Place::line(row.line), |i| row.at(i)), why);
                    return;
                }
            };
            if options.start.is_some_and(|s| time < s.0) {
                report.outside += 1;
                return;
            }
            let o = match index.get(name) {
                Some(&o) => o,
                None if objects.len() >= MAX_OBJECTS => {
                    report.bad_row(row.at(1), format!("more than {MAX_OBJECTS} objects"));
                    return;
                }
                None => {
                    index.insert(name.to_string(), objects.len());
                    objects.push(ObjectCounts {
                        name: name.to_string(),
                        streams: Default::default(),
                        by_hour: [[0; 24]; 2],
                        per_record: HashMap::new(),
                        max_id: 0,
                    });
                    objects.len() - 1
                }
            };
            let at = Instant(time);
            let obj = &mut objects[o];
            let s = &mut obj.streams[direction as usize];
            s.edits += 1;
            s.synced += synced as u64;
            obj.by_hour[at.is_weekend() as usize][at.utc_hour() as usize] += 1;
            *obj.per_record.entry(record).or_insert(0) += 1;
            obj.max_id = obj.max_id.max(record);
            first = first.min(time);
            last = last.max(time);
            report.rows += 1;
        },
    )?;
    let report = report.into_result(path, options.skip_bad_rows)?;
    if report.rows == 0 {
        return Err(DataError::BadRows {
            path: path.into(),
            count: 0,
            lines: "  the file has no usable edits: nothing to fit".into(),
            more: String::new(),
        });
    }
    let hour = HOUR as i64;
    let start = options
        .start
        .unwrap_or(Instant(first.div_euclid(hour) * hour));
    let end = Instant((last.div_euclid(hour) + 1) * hour);
    // A fitted scenario spans what the log does, and a scenario's horizon is capped: say so
    // before counting the hours of a span of centuries.
    if end.0 - start.0 > MAX_HORIZON as i64 {
        return Err(DataError::Refused {
            path: path.into(),
            message: format!(
                "its edits span {start} to {end}, longer than a scenario's horizon may be \
                 ({}): pass --start, or fit a shorter part of the log",
                format_duration(MAX_HORIZON)
            ),
        });
    }
    let exposure = exposure_hours(start, end);
    let hours = [
        exposure[0].iter().sum::<f64>(),
        exposure[1].iter().sum::<f64>(),
    ];
    let span = (end.0 - start.0) as f64 / HOUR as f64;
    let objects = objects
        .into_iter()
        .map(|o| {
            let given = options
                .records
                .iter()
                .find(|(n, _)| *n == o.name)
                .map(|(_, n)| *n);
            fit_object(o, given, &exposure, span)
        })
        .collect();
    Ok(Fit {
        start,
        end,
        hours,
        objects,
        report,
    })
}

/// Hours of [start, end) by [weekday / weekend][UTC hour].
fn exposure_hours(start: Instant, end: Instant) -> [[f64; 24]; 2] {
    let mut out = [[0.0; 24]; 2];
    let mut t = start.0;
    let hour = HOUR as i64;
    while t < end.0 {
        let next = ((t.div_euclid(hour) + 1) * hour).min(end.0);
        let at = Instant(t);
        out[at.is_weekend() as usize][at.utc_hour() as usize] += (next - t) as f64 / hour as f64;
        t = next;
    }
    out
}

fn fit_object(
    o: ObjectCounts,
    given: Option<u32>,
    exposure: &[[f64; 24]; 2],
    span: f64,
) -> ObjectFit {
    let count = |class: usize| o.by_hour[class].iter().sum::<u64>();
    let has_hours = |class: usize| exposure[class].iter().sum::<f64>() > 0.0;
    // The profile comes from weekdays when there are weekday hours with edits, else from
    // the weekend (and the weekend factor stays 1).
    let class = if has_hours(0) && count(0) > 0 { 0 } else { 1 };
    let covered = exposure[class].iter().all(|&e| e > 0.0);
    let mut profile = [1.0; 24];
    let mut profile_se = [0.0; 24];
    if covered {
        let rates: Vec<f64> = (0..24)
            .map(|h| o.by_hour[class][h] as f64 / exposure[class][h])
            .collect();
        let mean = rates.iter().sum::<f64>() / 24.0;
        for h in 0..24 {
            profile[h] = rates[h] / mean;
            let n = o.by_hour[class][h];
            profile_se[h] = if n > 0 {
                profile[h] / (n as f64).sqrt()
            } else {
                // No edit in that hour: the standard error of a zero count of Poisson
                // data is about 1 edit's worth.
                1.0 / exposure[class][h] / mean
            };
        }
    }
    let weighted = |c: usize| (0..24).map(|h| profile[h] * exposure[c][h]).sum::<f64>();
    let (weekend_factor, weekend_factor_se, weekend_note) = if class == 1 {
        (
            1.0,
            None,
            Some(if has_hours(0) {
                "1: no weekday edits to compare the weekend with"
            } else {
                "1: the log has no weekday hours"
            }),
        )
    } else if !has_hours(1) {
        (1.0, None, Some("1: the log has no weekend hours"))
    } else {
        let (wd, we) = (count(0) as f64, count(1) as f64);
        let base = wd / weighted(0);
        let wf = we / (base * weighted(1));
        let se = if we > 0.0 {
            wf * (1.0 / we + 1.0 / wd).sqrt()
        } else {
            1.0 / (base * weighted(1))
        };
        (wf, Some(se), None)
    };
    // Exposure in base-rate hours: base x profile x (weekend factor on weekends).
    let effective = weighted(0) + weekend_factor * weighted(1);
    let directions = [0, 1].map(|d| {
        let s = &o.streams[d];
        (s.edits > 0).then(|| {
            let rate = s.edits as f64 / effective;
            DirectionFit {
                edits: s.edits,
                observed_rate: s.edits as f64 / span,
                rate,
                rate_se: rate / (s.edits as f64).sqrt(),
                synced_fraction: s.synced as f64 / s.edits as f64,
            }
        })
    });
    let edits = o.streams[0].edits + o.streams[1].edits;
    let synced = o.streams[0].synced + o.streams[1].synced;
    let p = synced as f64 / edits as f64;
    let records = given.unwrap_or(o.max_id + 1);
    let choice = record_choice(&o.per_record, records, edits);
    ObjectFit {
        name: o.name,
        records,
        records_given: given.is_some(),
        directions,
        hour_profile: covered.then_some(profile),
        hour_profile_se: profile_se,
        weekend_factor,
        weekend_factor_se,
        weekend_note,
        synced_fraction: p,
        synced_fraction_se: (p * (1.0 - p) / edits as f64).sqrt(),
        edits,
        distinct_records: o.per_record.len() as u64,
        choice,
    }
}

/// Uniform or hot set, from the per-record counts of `n` edits over `records` ids.
///
/// Test: Pearson's chi-square of the counts (unseen ids count 0) against uniform choice,
/// `X² = Σc²/e - n` with `e = n / records`, standardised with its null mean `records - 1`
/// and variance `2 (records - 1)`. When it is significant ([`SKEW_Z`]), the hot set is the
/// `k` busiest ids that maximise the likelihood of a two-level model (k ids share one rate,
/// the others another): `S log(S/k) + (n-S) log((n-S)/(records-k))`, `S` the edits of the
/// k busiest ids.
pub fn record_choice(per_record: &HashMap<u32, u32>, records: u32, n: u64) -> ChoiceFit {
    let big_n = records as f64;
    let nf = n as f64;
    if records < 2 || n == 0 {
        return ChoiceFit::Uniform { z: 0.0 };
    }
    let e = nf / big_n;
    let sum_sq: f64 = per_record.values().map(|&c| (c as f64) * (c as f64)).sum();
    let chi2 = sum_sq / e - nf;
    let df = big_n - 1.0;
    let z = (chi2 - df) / (2.0 * df).sqrt();
    if z <= SKEW_Z {
        return ChoiceFit::Uniform { z };
    }
    let mut counts: Vec<u32> = per_record.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let xlogy = |x: f64, y: f64| if x > 0.0 { x * (x / y).ln() } else { 0.0 };
    let (mut best, mut best_k, mut best_s) = (f64::NEG_INFINITY, 1u32, 0u64);
    let mut s = 0u64;
    let kmax = counts.len().min(records as usize - 1);
    for (i, &c) in counts.iter().take(kmax).enumerate() {
        s += c as u64;
        let k = (i + 1) as f64;
        let l = xlogy(s as f64, k) + xlogy(nf - s as f64, big_n - k);
        if l > best {
            best = l;
            best_k = (i + 1) as u32;
            best_s = s;
        }
    }
    let share = best_s as f64 / nf;
    ChoiceFit::HotSet {
        hot: best_k,
        fraction: hot_fraction(best_k, records),
        share,
        share_se: (share * (1.0 - share) / nf).sqrt(),
        z,
    }
}

/// `hot / records` as a float whose `floor(records x fraction)` is exactly `hot`, as the
/// engine computes the hot set from it.
fn hot_fraction(hot: u32, records: u32) -> f64 {
    let mut f = hot as f64 / records as f64;
    while ((records as f64) * f).floor() < hot as f64 {
        f = f64::from_bits(f.to_bits() + 1);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_fraction_floors_back_to_the_hot_count() {
        for (hot, records) in [(1, 3), (500, 10_000), (7, 49_999), (1000, 50_000), (3, 7)] {
            let f = hot_fraction(hot, records);
            assert_eq!(
                ((records as f64) * f).floor() as u32,
                hot,
                "{hot}/{records}"
            );
        }
    }

    #[test]
    fn exposure_splits_hours_by_weekday_and_weekend() {
        // Friday 22:00 to Saturday 02:30.
        let e = exposure_hours(
            Instant::parse("2026-11-27T22:00:00Z").unwrap(),
            Instant::parse("2026-11-28T02:30:00Z").unwrap(),
        );
        assert_eq!(e[0][22] + e[0][23], 2.0);
        assert_eq!(e[1][0] + e[1][1], 2.0);
        assert_eq!(e[1][2], 0.5);
        assert_eq!(e[0].iter().sum::<f64>() + e[1].iter().sum::<f64>(), 4.5);
    }

    #[test]
    fn a_clear_hot_set_is_found_and_flat_counts_are_uniform() {
        // 10 ids with 100 edits each, 990 with 1.
        let mut m: HashMap<u32, u32> = (0..10).map(|i| (i, 100)).collect();
        m.extend((10..1000).map(|i| (i, 1)));
        match record_choice(&m, 1000, 1990) {
            ChoiceFit::HotSet { hot, share, .. } => {
                assert_eq!(hot, 10);
                assert!((share - 1000.0 / 1990.0).abs() < 1e-12);
            }
            other => panic!("{other:?}"),
        }
        let flat: HashMap<u32, u32> = (0..1000).map(|i| (i, 5)).collect();
        assert!(matches!(
            record_choice(&flat, 1000, 5000),
            ChoiceFit::Uniform { .. }
        ));
    }
}
