//! The admin page's own figures as evidence: its per-object table bounds the sync's
//! throughput from below, and estimates it only when the sync is shown to have been saturated
//! all 24 hours (the page's trend held, at every point, more work than the next hours could
//! drain); its 4-hourly backlog trend is compared with a scenario's simulated backlog
//! (`docs/data.md`), point by point, at one throughput or over a range of them.

use std::io::Read;
use std::path::Path;

use crate::data::{self, DataError, DataKind, DataReader, Place, RowReport};
use crate::engine::simulate;
use crate::load::{LoadError, ScenarioFile};
use crate::metrics::RunResult;
use crate::scenario::{Override, Scenario};
use crate::units::{Instant, HOUR};

/// Columns the admin page's per-object figures must have (others, such as a run's
/// `dashboard.csv` columns, are ignored).
pub const FIGURES_COLUMNS: [&str; 5] = ["object", "max_per_h", "min_per_h", "avg_per_h", "backlog"];
/// Columns a backlog trend must have.
pub const TREND_COLUMNS: [&str; 2] = ["time_utc", "backlog"];

/// One object's row of the admin page.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRow {
    /// The object.
    pub object: String,
    /// Most records synced in one hour of the last 24.
    pub max_per_h: f64,
    /// Fewest.
    pub min_per_h: f64,
    /// Average per hour over the 24.
    pub avg_per_h: f64,
    /// Backlog at the last fetch.
    pub backlog: f64,
    /// When the backlog was last fetched, from an optional `last_fetch_utc` column (a run's
    /// `dashboard.csv` has one).
    pub last_fetch: Option<Instant>,
}

/// Whether the figures show the sync saturated through the 24 hours they cover: only then
/// is its average per hour its throughput (docs/data.md, Dashboard figures).
#[derive(Debug, Clone, PartialEq)]
pub enum Saturation {
    /// The trend held, at each of its points in the 24 hours, at least as many records as
    /// the following hours up to the next point could complete at the busiest rate seen (the
    /// sum of the maxima): work waited every hour, so the sync ran at capacity.
    Shown {
        /// Trend points that showed it.
        points: usize,
    },
    /// The backlog at the fetch is under an hour of work at the average rate: the sync kept
    /// up and idled between cycles, so the figures say only what it did.
    KeptUp {
        /// The backlog at the fetch in hours of the average rate.
        hours_of_work: f64,
    },
    /// A backlog was waiting at the fetch, but nothing shows it waited through all 24 hours.
    NotShown {
        /// The backlog at the fetch in hours of the average rate.
        hours_of_work: f64,
        /// Why the trend did not show it, when one was given.
        why: Option<String>,
    },
}

/// What the figures say about throughput (records completed per hour, all workers).
#[derive(Debug, Clone, PartialEq)]
pub struct ThroughputBounds {
    /// The largest single object's max per hour: the sync did at least that in one hour.
    pub max_single: f64,
    /// Sum of the objects' averages: the sync's average over the 24 hours.
    pub sum_avg: f64,
    /// Sum of the objects' maxima: no hour of the 24 can have done more than this.
    pub sum_max: f64,
    /// Total backlog at the last fetch.
    pub backlog: f64,
    /// The lower bound, `max(max_single, sum_avg)`.
    pub lower: f64,
    /// Whether the sync was shown saturated. Only then is `sum_avg` (give or take cycle
    /// waits and batch overheads) an estimate of the throughput, not only a bound.
    pub saturation: Saturation,
}

/// Largest figure read: far above any sync's records per hour or backlog, low enough that
/// sums of them stay exact.
pub const MAX_FIGURE: f64 = 1e12;

fn figure(text: &str, column: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=MAX_FIGURE).contains(&x) => Ok(x),
        _ => Err(format!(
            "{column} '{text}' is not a number from 0 to {MAX_FIGURE:e}"
        )),
    }
}

/// Reads the admin page's per-object figures (`object,max_per_h,min_per_h,avg_per_h,backlog`).
pub fn read_figures(path: &Path) -> Result<Vec<FigureRow>, DataError> {
    figures_from(&mut data::reader::open(path, DataKind::Figures)?)
}

/// [`read_figures`] from `reader`.
pub fn figures_from<R: Read>(reader: &mut DataReader<R>) -> Result<Vec<FigureRow>, DataError> {
    let path = reader.path().to_path_buf();
    let path = path.as_path();
    let (idx, mut row) = reader.find_columns(&FIGURES_COLUMNS)?;
    let fetch = row.column("last_fetch_utc");
    let mut report = RowReport::default();
    let mut rows = Vec::new();
    reader.each_row(&mut row, &mut report, |row, report| {
        let get = |i: usize| row.get(idx[i]);
        // An error names the column (its position in the row) it is in.
        let parsed = (|| -> Result<FigureRow, (usize, String)> {
            let number = |i: usize| figure(get(i), FIGURES_COLUMNS[i]).map_err(|e| (idx[i], e));
            let r = FigureRow {
                object: get(0).to_string(),
                max_per_h: number(1)?,
                min_per_h: number(2)?,
                avg_per_h: number(3)?,
                backlog: number(4)?,
                last_fetch: match fetch.map(|i| row.get(i)) {
                    None | Some("") => None,
                    Some(text) => Some(Instant::parse(text).map_err(|e| {
                        (fetch.unwrap_or_default(), format!("last_fetch_utc: {e}"))
                    })?),
                },
            };
            if r.object.is_empty() {
                return Err((idx[0], "object is empty".into()));
            }
            if !(r.min_per_h <= r.avg_per_h && r.avg_per_h <= r.max_per_h) {
                return Err((
                    idx[2],
                    format!(
                        "min_per_h <= avg_per_h <= max_per_h does not hold ({} {} {})",
                        r.min_per_h, r.avg_per_h, r.max_per_h
                    ),
                ));
            }
            Ok(r)
        })();
        match parsed {
            // A total line, if the page's table was copied with it, is not an object.
            Ok(r) if ["total", "all"].contains(&r.object.to_ascii_lowercase().as_str()) => {}
            Ok(r) => {
                report.rows += 1;
                rows.push(r);
            }
            Err((column, why)) => report.bad_row(row.at(column), why),
        }
    })?;
    report.into_result(path, false)?;
    Ok(rows)
}

/// Bounds on throughput from the figures, and whether they show the sync saturated (see
/// [`ThroughputBounds`] and `docs/data.md`). `trend`, when given, is the page's 4-hourly
/// backlog trend and `fetch` the instant of the figures' last fetch (default: the trend's
/// last point): the points in the 24 hours before it can show the sync saturated.
pub fn throughput_bounds(
    rows: &[FigureRow],
    trend: Option<&[ObservedPoint]>,
    fetch: Option<Instant>,
) -> ThroughputBounds {
    let max_single = rows.iter().map(|r| r.max_per_h).fold(0.0, f64::max);
    let sum_avg: f64 = rows.iter().map(|r| r.avg_per_h).sum();
    let sum_max: f64 = rows.iter().map(|r| r.max_per_h).sum();
    let backlog: f64 = rows.iter().map(|r| r.backlog).sum();
    let lower = max_single.max(sum_avg);
    let hours_of_work = if sum_avg > 0.0 {
        backlog / sum_avg
    } else {
        f64::INFINITY
    };
    let saturation = if backlog < sum_avg {
        Saturation::KeptUp { hours_of_work }
    } else {
        let fetch = fetch.or_else(|| trend.and_then(|t| t.iter().map(|p| p.at).max()));
        match (trend, fetch) {
            (Some(points), Some(fetch)) => match busy_all_day(points, fetch, sum_max) {
                Ok(points) => Saturation::Shown { points },
                Err(why) => Saturation::NotShown {
                    hours_of_work,
                    why: Some(why),
                },
            },
            _ => Saturation::NotShown {
                hours_of_work,
                why: None,
            },
        }
    };
    ThroughputBounds {
        max_single,
        sum_avg,
        sum_max,
        backlog,
        lower,
        saturation,
    }
}

/// Largest backlog a trend point may show: more records than any scenario can hold
/// ([`crate::scenario::MAX_RECORDS`] records of each of [`crate::scenario::MAX_OBJECTS`]
/// objects, both directions), so that differences of backlogs never overflow.
pub const MAX_TREND_BACKLOG: u64 =
    2 * crate::scenario::MAX_RECORDS * crate::scenario::MAX_OBJECTS as u64;

/// One point of the admin page's backlog trend, and where it is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObservedPoint {
    /// When the page fetched it.
    pub at: Instant,
    /// The total backlog.
    pub backlog: u64,
    /// The line of its row (1-based, the header is line 1).
    pub line: u64,
}

/// Whether the trend `points` show work waiting through every hour of the 24 before
/// `fetch`: each hour must follow a point of the window that held at least as many records
/// as the hours from that point to the hour's end could complete at `sum_max` an hour (no
/// hour of the 24 completed more). Returns how many points showed it, or why not.
fn busy_all_day(points: &[ObservedPoint], fetch: Instant, sum_max: f64) -> Result<usize, String> {
    let hour = HOUR as i64;
    let window_start = fetch.0 - 24 * hour;
    let window: Vec<(Instant, u64)> = points
        .iter()
        .filter(|p| p.at.0 >= window_start && p.at.0 <= fetch.0)
        .map(|p| (p.at, p.backlog))
        .collect();
    let mut used = std::collections::BTreeSet::new();
    for k in 0..24 {
        let bucket_end = window_start + (k + 1) * hour;
        let cover = window.iter().find(|(t, backlog)| {
            t.0 < bucket_end && *backlog as f64 >= (bucket_end - t.0) as f64 / hour as f64 * sum_max
        });
        match cover {
            Some((t, _)) => {
                used.insert(t.0);
            }
            None => {
                let at = Instant(bucket_end - hour);
                return Err(match window.iter().rev().find(|(t, _)| t.0 <= at.0) {
                    None => format!("the trend has no point at or before {at}, the start of that hour"),
                    Some((t, backlog)) => format!(
                        "at {t} the trend held {backlog} records, less than the {:.0} the hours up to {} could complete at the busiest rate seen ({sum_max:.0}/h), so the sync may have run dry",
                        (bucket_end - t.0) as f64 / hour as f64 * sum_max,
                        Instant(bucket_end)
                    ),
                });
            }
        }
    }
    Ok(used.len())
}

/// Reads a backlog trend (`time_utc,backlog`; other columns ignored, so a run's
/// `trend.csv` reads as is).
pub fn read_trend(path: &Path) -> Result<Vec<ObservedPoint>, DataError> {
    trend_from(&mut data::reader::open(path, DataKind::Trend)?)
}

/// [`read_trend`] from `reader`.
pub fn trend_from<R: Read>(reader: &mut DataReader<R>) -> Result<Vec<ObservedPoint>, DataError> {
    let path = reader.path().to_path_buf();
    let path = path.as_path();
    let (idx, mut row) = reader.find_columns(&TREND_COLUMNS)?;
    let mut report = RowReport::default();
    let mut points = Vec::new();
    reader.each_row(&mut row, &mut report, |row, report| {
        let parsed = Instant::parse(row.get(idx[0]))
            .map_err(|e| (0, e.to_string()))
            .and_then(|t| {
                let text = row.get(idx[1]);
                match text.parse::<u64>() {
                    Ok(b) if b <= MAX_TREND_BACKLOG => Ok((t, b)),
                    _ => Err((
                        1,
                        format!(
                            "backlog '{text}' is not a whole number from 0 to {MAX_TREND_BACKLOG}"
                        ),
                    )),
                }
            });
        match parsed {
            Ok((at, backlog)) => {
                report.rows += 1;
                points.push(ObservedPoint {
                    at,
                    backlog,
                    line: row.line,
                });
            }
            Err((i, why)) => report.bad_row(row.at(idx[i]), why),
        }
    })?;
    report.into_result(path, false)?;
    Ok(points)
}

/// One trend point, observed and simulated.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The instant.
    pub at: Instant,
    /// The admin page's backlog.
    pub observed: u64,
    /// The simulated total backlog at the whole hour at or before `at`.
    pub simulated: u64,
}

impl TrendPoint {
    /// Simulated minus observed.
    pub fn error(&self) -> i64 {
        self.simulated as i64 - self.observed as i64
    }
}

/// A simulated trend against an observed one.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendComparison {
    /// Every point.
    pub points: Vec<TrendPoint>,
    /// Mean absolute error, records.
    pub mae: f64,
    /// Mean absolute percentage error over the points whose observed backlog is above 0;
    /// `None` when there are none.
    pub mape: Option<f64>,
    /// Largest absolute error.
    pub max_error: u64,
}

/// Compares `result` (a run of `sc`) with the observed trend. Each point reads the total
/// backlog at the whole hour at or before it, as the admin page fetches hourly.
pub fn compare_trend(
    sc: &Scenario,
    result: &RunResult,
    observed: &[ObservedPoint],
    source: &Path,
) -> Result<TrendComparison, DataError> {
    let mut report = RowReport::default();
    let mut points = Vec::new();
    for &ObservedPoint {
        at,
        backlog: obs,
        line,
    } in observed
    {
        let t = at.0 - sc.start.0;
        if t < 0 || t as u64 > sc.horizon {
            report.bad_row(
                Place::line(line),
                format!(
                    "{at} is outside the scenario's span {} .. {}",
                    sc.start,
                    sc.instant(sc.horizon)
                ),
            );
            continue;
        }
        points.push(TrendPoint {
            at,
            observed: obs,
            simulated: result.hourly_total_backlog((t as u64 / HOUR) as usize),
        });
    }
    report.into_result(source, false)?;
    let n = points.len().max(1) as f64;
    let mae = points
        .iter()
        .map(|p| p.error().unsigned_abs() as f64)
        .sum::<f64>()
        / n;
    let pct: Vec<f64> = points
        .iter()
        .filter(|p| p.observed > 0)
        .map(|p| p.error().unsigned_abs() as f64 / p.observed as f64 * 100.0)
        .collect();
    let mape = (!pct.is_empty()).then(|| pct.iter().sum::<f64>() / pct.len() as f64);
    let max_error = points
        .iter()
        .map(|p| p.error().unsigned_abs())
        .max()
        .unwrap_or(0);
    Ok(TrendComparison {
        points,
        mae,
        mape,
        max_error,
    })
}

/// One throughput tried by [`search_throughput`], and how well its simulated trend fits.
#[derive(Debug, Clone, PartialEq)]
pub struct ThroughputTrial {
    /// `sync.throughput`, units per hour per worker.
    pub throughput: f64,
    /// The comparison with the observed trend.
    pub comparison: TrendComparison,
}

/// The scenario in `file` (with `overrides`) run at `steps` throughputs on a geometric grid
/// from `lo` to `hi` (rounded to whole units, at least 1), each compared with the `observed`
/// trend (read from `source`). The candidates share the file read once and the scenario's
/// seed, so they differ by the throughput alone.
pub fn search_throughput(
    file: &ScenarioFile,
    overrides: &[Override],
    observed: &[ObservedPoint],
    source: &Path,
    (lo, hi): (f64, f64),
    steps: u32,
) -> Result<Vec<ThroughputTrial>, LoadError> {
    (0..steps)
        .map(|i| {
            let v = lo * (hi / lo).powf(i as f64 / (steps - 1).max(1) as f64);
            let throughput = v.round().max(1.0);
            let mut all = overrides.to_vec();
            all.push(Override::set(&format!("sync.throughput={throughput}")));
            let sc = file.scenario(&all)?;
            let comparison = compare_trend(&sc, &simulate(&sc, sc.seed), observed, source)?;
            Ok(ThroughputTrial {
                throughput,
                comparison,
            })
        })
        .collect()
}

/// The trial with the least mean absolute error; the first of equal errors.
pub fn best_trial(trials: &[ThroughputTrial]) -> Option<&ThroughputTrial> {
    trials
        .iter()
        .fold(None, |best: Option<&ThroughputTrial>, t| match best {
            Some(b) if b.comparison.mae <= t.comparison.mae => Some(b),
            _ => Some(t),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_bound_throughput() {
        let row = |o: &str, max, min, avg, backlog| FigureRow {
            object: o.into(),
            max_per_h: max,
            min_per_h: min,
            avg_per_h: avg,
            backlog,
            last_fetch: None,
        };
        let rows = [
            row("Lead", 6000.0, 0.0, 2500.0, 100.0),
            row("Contact", 4000.0, 0.0, 1500.0, 0.0),
        ];
        let b = throughput_bounds(&rows, None, None);
        assert_eq!(b.max_single, 6000.0);
        assert_eq!(b.sum_avg, 4000.0);
        assert_eq!(b.sum_max, 10_000.0);
        assert_eq!(b.lower, 6000.0);
        // 100 records waiting is 1.5 minutes of work at 4,000/h: it kept up.
        assert_eq!(
            b.saturation,
            Saturation::KeptUp {
                hours_of_work: 100.0 / 4000.0
            }
        );
    }

    #[test]
    fn only_a_trend_that_never_runs_dry_shows_saturation() {
        let rows = [FigureRow {
            object: "Lead".into(),
            max_per_h: 1000.0,
            min_per_h: 900.0,
            avg_per_h: 950.0,
            backlog: 50_000.0,
            last_fetch: None,
        }];
        let fetch = Instant(100 * HOUR as i64);
        let point = |h: i64, backlog: u64| ObservedPoint {
            at: Instant(fetch.0 - h * HOUR as i64),
            backlog,
            line: 0,
        };
        // Points at 24, 20, ..., 0 hours before the fetch, each holding 4 h of the busiest
        // rate (4,000): the sync was busy every hour.
        let busy: Vec<ObservedPoint> = (0..=6).map(|k| point(24 - 4 * k, 4000)).collect();
        let b = throughput_bounds(&rows, Some(&busy), Some(fetch));
        assert_eq!(b.saturation, Saturation::Shown { points: 6 });
        // One point short by a record: the hour before the next point is not shown busy.
        let mut dry = busy.clone();
        dry[2].backlog = 3999;
        let b = throughput_bounds(&rows, Some(&dry), Some(fetch));
        assert!(
            matches!(&b.saturation, Saturation::NotShown { why: Some(w), .. } if w.contains("held 3999 records, less than the 4000")),
            "{:?}",
            b.saturation
        );
        // No point at the start of the 24 hours.
        let late = &busy[1..];
        let b = throughput_bounds(&rows, Some(late), Some(fetch));
        assert!(
            matches!(&b.saturation, Saturation::NotShown { why: Some(w), .. } if w.contains("no point at or before")),
            "{:?}",
            b.saturation
        );
        // Without a trend nothing shows it.
        assert_eq!(
            throughput_bounds(&rows, None, Some(fetch)).saturation,
            Saturation::NotShown {
                hours_of_work: 50_000.0 / 950.0,
                why: None
            }
        );
    }
}
