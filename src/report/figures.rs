//! The charts of one run, described from its summary ([`RunSummary`]): backlog over time
//! stacked by object with event markers, completions per hour per object, latency percentiles
//! per object, the admin page's 4-hour backlog trend with the true peak, and the page's
//! estimate hour by hour against the real clear time; for the page only, errors and retries
//! per hour; for a Monte Carlo run also the fan chart of the backlog across replications.
//!
//! Every number comes from the summary; this module only picks and labels them. Object
//! `i` is drawn in [`object_colour`]`(i)` in every chart.

use super::charts::{
    object_colour, BarChart, BarGroup, Chart, Colour, FanChart, LineChart, Marker, Series, XAxis,
    DEFAULT_SIZE, NEUTRAL,
};
use crate::metrics::RunResult;
use crate::replicate::MonteCarlo;
use crate::scenario::{EventKind, Scenario};
use crate::summary::{Dashboard, RunSummary, Status};
use crate::text::{fixed, thousands};
use crate::units::{hours, minutes, Instant, Millis, HOUR};

/// The charts of a run, by file stem, in the order they are written.
pub const CHARTS: [&str; 5] = [
    "backlog",
    "throughput",
    "latency",
    "trend",
    "dashboard_timeline",
];

/// Charts drawn for `dashboard.html` only, inline, never written as files: the errors and
/// retries per hour, which the page shows only for a run that has any.
pub const PAGE_CHARTS: [&str; 1] = ["errors"];

/// The horizontal axis label of time charts: hours since the scenario's start.
fn time_label(sc: &Scenario) -> String {
    format!(
        "time since start (hours; 0 = {} {})",
        sc.calendar.show(sc.start.0),
        sc.calendar.time_zone
    )
}

/// One marker per event: bulk updates and objects enabled at their first edit, outages as a
/// shaded span until the sync is enabled again, throughput and worker changes as lines.
pub fn event_markers(sc: &Scenario) -> Vec<Marker> {
    event_markers_until(sc, sc.horizon)
}

/// [`event_markers`] of a run that ended at `end` (a run until clear may end before its
/// cap): an outage not ended before shades to the end.
pub fn event_markers_until(sc: &Scenario, end: Millis) -> Vec<Marker> {
    sc.events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let until = match &e.kind {
                EventKind::SyncDisabled { duration: Some(d) } => Some(e.at + d),
                EventKind::SyncDisabled { duration: None } => Some(
                    sc.events[i + 1..]
                        .iter()
                        .find(|later| matches!(later.kind, EventKind::SyncEnabled))
                        .map_or(end, |later| later.at),
                ),
                _ => None,
            };
            Marker {
                at: hours(e.at),
                until: until.map(|u| hours(u.min(end))),
                label: e.name.clone(),
            }
        })
        .filter(|m| m.at < hours(end))
        .collect()
}

/// Backlog over time, one band per object, stacked (their sum is the total backlog).
pub fn backlog(sc: &Scenario, r: &RunResult) -> Chart {
    let series = sc
        .objects
        .iter()
        .enumerate()
        .map(|(o, object)| {
            let points = r
                .sample_times()
                .iter()
                .enumerate()
                .map(|(i, &t)| (hours(t), r.sample_object(i, o) as f64))
                .collect();
            Series::new(object.name.clone(), object_colour(o), points)
        })
        .collect();
    Chart::Line(LineChart {
        title: format!("Sync backlog by object: {}", sc.name),
        alt: format!(
            "Records pending in the sync over {} hours, stacked by object ({}). The backlog \
             peaked at {} records at {} h; {} were pending at the end.",
            fixed(hours(r.horizon()), 0),
            object_list(sc),
            thousands(r.max_backlog()),
            fixed(hours(r.max_backlog_at()), 2),
            thousands(r.sample_total(r.sample_times().len() - 1)),
        ),
        x_label: time_label(sc),
        y_label: "records pending (backlog)".into(),
        x_axis: XAxis::Hours,
        x_categories: Vec::new(),
        series,
        stacked: true,
        markers: event_markers_until(sc, r.horizon()),
    })
}

/// Records completed (synced + skipped) per hour, one line per object.
pub fn throughput(sc: &Scenario, r: &RunResult) -> Chart {
    let series = sc
        .objects
        .iter()
        .enumerate()
        .map(|(o, object)| {
            let points = (0..r.hour_buckets())
                .map(|h| (h as f64 + 0.5, r.completed_in_hour(h, o) as f64))
                .collect();
            Series::new(object.name.clone(), object_colour(o), points)
        })
        .collect();
    Chart::Line(LineChart {
        title: format!("Records synced per hour by object: {}", sc.name),
        alt: format!(
            "Records completed (synced or skipped) in each hour of the run, one line per object \
             ({}), plotted at the middle of each hour.",
            object_list(sc)
        ),
        x_label: time_label(sc),
        y_label: "records completed per hour".into(),
        x_axis: XAxis::Hours,
        x_categories: Vec::new(),
        series,
        stacked: false,
        markers: event_markers_until(sc, r.horizon()),
    })
}

/// Latency percentiles of synced updates per object, grouped by percentile, log scale.
pub fn latency(sc: &Scenario, r: &RunResult) -> Chart {
    let groups = sc
        .objects
        .iter()
        .enumerate()
        .map(|(o, object)| {
            let l = r.object_latency(o);
            BarGroup {
                name: object.name.clone(),
                colour: object_colour(o),
                values: match l {
                    Some(l) => [l.p50, l.p90, l.p95, l.p99, l.max]
                        .into_iter()
                        .map(|v| Some(minutes(v)))
                        .collect(),
                    None => vec![None; 5],
                },
            }
        })
        .collect();
    let worst = sc
        .objects
        .iter()
        .enumerate()
        .filter_map(|(o, object)| r.object_latency(o).map(|l| (l.p99, &object.name)))
        .max_by_key(|(p99, _)| *p99);
    Chart::Bars(BarChart {
        title: format!("Latency of synced updates by object: {}", sc.name),
        alt: format!(
            "Latency percentiles (p50, p90, p95, p99, max) of synced updates, in minutes on a \
             log scale, one bar per object.{}",
            worst.map_or(String::new(), |(p99, name)| format!(
                " The highest p99 is {name}'s, {} minutes.",
                fixed(minutes(p99), 1)
            ))
        ),
        x_label: "percentile of latency (edit to synced)".into(),
        y_label: "minutes (log scale)".into(),
        categories: ["p50", "p90", "p95", "p99", "max"]
            .map(String::from)
            .to_vec(),
        label_every: 1,
        groups,
        log_y: true,
        value_labels: true,
        reference: None,
    })
}

/// The admin page's backlog trend: total backlog at the last 30 four-hour boundaries, and
/// the run's true peak as a dashed line when it fell between them (within the trend's span).
pub fn trend(sc: &Scenario, r: &RunResult, d: &Dashboard) -> Chart {
    let categories: Vec<String> = d
        .trend
        .iter()
        .map(|&(t, _)| {
            let s = Instant(sc.calendar.local(sc.instant(t).0)).to_string();
            // 2026-11-27T08:00:00Z -> 11-27 08:00 (local time)
            s.get(5..16).unwrap_or(&s).replacen('T', " ", 1)
        })
        .collect();
    let peak = d.trend.iter().map(|&(_, b)| b).max().unwrap_or(0);
    let first = d.trend.first().map_or(0, |&(t, _)| t);
    let true_peak = (r.max_backlog() > peak
        && r.max_backlog_at() >= first
        && r.max_backlog_at() <= d.at)
        .then(|| {
            let at = Instant(sc.calendar.local(sc.instant(r.max_backlog_at()).0)).to_string();
            let at = at.get(5..16).unwrap_or(&at).replacen('T', " ", 1);
            (
                r.max_backlog() as f64,
                format!(
                    "true peak {} at {at}, between two bars",
                    thousands(r.max_backlog())
                ),
            )
        });
    let true_peak_text = true_peak.as_ref().map_or(String::new(), |(_, label)| {
        format!(" The dashed line is the {label}.")
    });
    Chart::Bars(BarChart {
        title: format!("Sync backlog trend, 4-hourly: {}", sc.name),
        alt: format!(
            "Total backlog at the last {} four-hour boundaries before {} {}, as on the admin \
             page; highest bar {} records.{true_peak_text}",
            d.trend.len(),
            if sc.calendar.is_utc_clock() {
                sc.instant(d.at).to_string()
            } else {
                sc.calendar.show(sc.instant(d.at).0)
            },
            sc.calendar.time_zone,
            thousands(peak)
        ),
        x_label: format!(
            "4-hour boundary ({}, month-day hour)",
            sc.calendar.time_zone
        ),
        y_label: "records pending (backlog)".into(),
        // One label a day (every sixth 4-hour bar) once there are more than a dozen bars.
        label_every: if categories.len() > 12 { 6 } else { 1 },
        categories,
        groups: vec![BarGroup {
            name: String::new(),
            colour: NEUTRAL,
            values: d.trend.iter().map(|&(_, b)| Some(b as f64)).collect(),
        }],
        log_y: false,
        value_labels: false,
        reference: true_peak,
    })
}

/// The colour of the page's estimate in the timeline chart.
const ESTIMATE: Colour = Colour(0xe1, 0x57, 0x59);
/// The colour of the real clear time.
const REALITY: Colour = Colour(0x4e, 0x79, 0xa7);

/// Hour by hour, the page's estimated backlog time for the total (total backlog / the sum of
/// the objects' averages) beside the time the backlog read at that hour really took to
/// clear, and the hours the page read Growing as a bar along the bottom. Estimates far above
/// every real clear time are drawn at a ceiling the description states.
pub fn dashboard_timeline(s: &RunSummary) -> Chart {
    let (sc, r) = (s.scenario(), s.run());
    let hours_read = s.timeline().len();
    let readings: Vec<_> = (0..hours_read).map(|h| s.reading_total(h)).collect();
    let real: Vec<f64> = readings
        .iter()
        .enumerate()
        .map(|(h, x)| x.cleared.map_or(f64::NAN, |c| hours(c - h as u64 * HOUR)))
        .collect();
    let most_real = real
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(0.0, f64::max);
    let ceiling = (10.0 * most_real).max(24.0);
    let mut clipped = 0;
    let estimate: Vec<(f64, f64)> = readings
        .iter()
        .enumerate()
        .map(|(h, x)| {
            let y = x.est_backlog_hours.map_or(f64::NAN, |e| {
                if e > ceiling {
                    clipped += 1;
                    ceiling
                } else {
                    e
                }
            });
            (h as f64, y)
        })
        .collect();
    let growing: Vec<(f64, f64)> = readings
        .iter()
        .enumerate()
        .map(|(h, x)| {
            let y = if x.status == Status::Growing {
                0.0
            } else {
                f64::NAN
            };
            (h as f64, y)
        })
        .collect();
    let reality: Vec<(f64, f64)> = real
        .iter()
        .enumerate()
        .map(|(h, &y)| (h as f64, y))
        .collect();
    let mut growing_series = Series::new("status Growing", Colour(0xf2, 0x8e, 0x2b), growing);
    growing_series.dots = true;
    let note = if clipped > 0 {
        format!(
            " {clipped} estimates above {} hours are drawn at {} hours.",
            fixed(ceiling, 0),
            fixed(ceiling, 0)
        )
    } else {
        String::new()
    };
    Chart::Line(LineChart {
        title: format!("The page's estimate against reality: {}", sc.name),
        alt: format!(
            "At every whole hour of the run, the admin page's estimated backlog time for the \
             total backlog (backlog / average records synced per hour over the 24 hours \
             before) beside the time the backlog read at that hour really took to clear, in \
             hours; hours when the page read Growing are marked along the bottom.{note}"
        ),
        x_label: time_label(sc),
        y_label: "hours".into(),
        x_axis: XAxis::Hours,
        x_categories: Vec::new(),
        series: vec![
            Series::new("page's estimate", ESTIMATE, estimate),
            Series::new("time it really took to clear", REALITY, reality),
            growing_series,
        ],
        stacked: false,
        markers: event_markers_until(sc, r.horizon()),
    })
}

/// Errors and retries per hour: failed attempts, records released for another attempt, and
/// records that entered the timeout queue, each at the middle of its hour; spells of
/// suppression shaded.
pub fn errors(s: &RunSummary) -> Chart {
    let (sc, r) = (s.scenario(), s.run());
    let per_hour = |pick: fn([u64; 4]) -> u64| -> Vec<(f64, f64)> {
        (0..r.hour_buckets())
            .map(|h| (h as f64 + 0.5, pick(r.errors_in_hour(h)) as f64))
            .collect()
    };
    let mut markers = event_markers_until(sc, r.horizon());
    markers.extend(r.suppression_spells().iter().map(|&(start, end)| Marker {
        at: hours(start),
        until: Some(hours(end.unwrap_or(r.horizon()))),
        label: "retries held back".into(),
    }));
    Chart::Line(LineChart {
        title: format!("Errors and retries per hour: {}", sc.name),
        alt: format!(
            "Per hour: failed attempts, records released from the retry or timeout queue for \
             another attempt, and records that entered the timeout queue; {} spells when \
             retries were held back by API usage are shaded.",
            r.suppression_spells().len()
        ),
        x_label: time_label(sc),
        y_label: "records per hour".into(),
        x_axis: XAxis::Hours,
        x_categories: Vec::new(),
        series: vec![
            Series::new(
                "failed attempts",
                Colour(0xe1, 0x57, 0x59),
                per_hour(|e| e[0] + e[1]),
            ),
            Series::new("retries", Colour(0x4e, 0x79, 0xa7), per_hour(|e| e[2])),
            Series::new(
                "into the timeout queue",
                Colour(0xf2, 0x8e, 0x2b),
                per_hour(|e| e[3]),
            ),
        ],
        stacked: false,
        markers,
    })
}

fn object_list(sc: &Scenario) -> String {
    sc.objects
        .iter()
        .map(|o| o.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A chart of a run: its file stem, its description and its size in pixels.
pub struct Figure {
    /// File stem (`backlog` for `backlog.png` and `backlog.svg`).
    pub stem: &'static str,
    /// What to draw.
    pub chart: Chart,
    /// Width and height.
    pub size: (u32, u32),
}

/// Every chart of a run, in [`CHARTS`] order. The trend is lower, like the strip on the admin
/// page.
pub fn run_charts(s: &RunSummary) -> Vec<Figure> {
    let (sc, r, d) = (s.scenario(), s.run(), s.dashboard());
    let figure = |stem, chart, size| Figure { stem, chart, size };
    vec![
        figure(CHARTS[0], backlog(sc, r), DEFAULT_SIZE),
        figure(CHARTS[1], throughput(sc, r), DEFAULT_SIZE),
        figure(CHARTS[2], latency(sc, r), DEFAULT_SIZE),
        figure(CHARTS[3], trend(sc, r, d), (1200, 420)),
        figure(CHARTS[4], dashboard_timeline(s), DEFAULT_SIZE),
    ]
}

/// The charts of [`PAGE_CHARTS`], for `dashboard.html` only.
pub fn page_charts(s: &RunSummary) -> Vec<Figure> {
    vec![Figure {
        stem: PAGE_CHARTS[0],
        chart: errors(s),
        size: (1200, 420),
    }]
}

/// The file stem of the Monte Carlo fan chart.
pub const FAN_CHART: &str = "backlog_fan";

/// The Monte Carlo fan chart: the total backlog's p10-p90 band and median across
/// replications, with the scenario's events marked.
pub fn fan(reps: &MonteCarlo) -> Figure {
    let sc = reps.first.scenario();
    let total = &reps.total_band;
    let as_f64 = |v: &[u32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
    let times = reps.sample_times.iter().map(|&t| hours(t)).collect();
    let mut fan = FanChart::new(
        format!(
            "{}: total backlog across {} replications",
            sc.name,
            reps.runs.len()
        ),
        "pending records",
        times,
        as_f64(&total.p10),
        as_f64(&total.p50),
        as_f64(&total.p90),
    );
    fan.markers = event_markers(sc);
    Figure {
        stem: FAN_CHART,
        chart: Chart::Fan(fan),
        size: DEFAULT_SIZE,
    }
}
