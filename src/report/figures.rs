//! The charts of one run, described from its summary ([`RunSummary`]): backlog over time
//! stacked by object with event markers, completions per hour per object, latency percentiles
//! per object, and the admin page's 4-hour backlog trend; for a Monte Carlo run also the fan
//! chart of the backlog across replications.
//!
//! Every number comes from the summary; this module only picks and labels them. Object
//! `i` is drawn in [`object_colour`]`(i)` in every chart.

use super::charts::{
    object_colour, BarChart, BarGroup, Chart, FanChart, LineChart, Marker, Series, XAxis,
    DEFAULT_SIZE, NEUTRAL,
};
use crate::metrics::RunResult;
use crate::replicate::MonteCarlo;
use crate::scenario::{EventKind, Scenario};
use crate::summary::{Dashboard, RunSummary};
use crate::text::{fixed, thousands};
use crate::units::{hours, minutes};

/// The charts of a run, by file stem, in the order they are written.
pub const CHARTS: [&str; 4] = ["backlog", "throughput", "latency", "trend"];

/// The horizontal axis label of time charts: hours since the scenario's start.
fn time_label(sc: &Scenario) -> String {
    let start = sc.start.to_string();
    format!(
        "time since start (hours; 0 = {} UTC)",
        start.trim_end_matches('Z').replacen('T', " ", 1)
    )
}

/// One marker per event: bulk updates and objects enabled at their first edit, outages as a
/// shaded span until the sync is enabled again, throughput and worker changes as lines.
pub fn event_markers(sc: &Scenario) -> Vec<Marker> {
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
                        .map_or(sc.horizon, |later| later.at),
                ),
                _ => None,
            };
            Marker {
                at: hours(e.at),
                until: until.map(|u| hours(u.min(sc.horizon))),
                label: e.name.clone(),
            }
        })
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
        markers: event_markers(sc),
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
        markers: event_markers(sc),
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
    })
}

/// The admin page's backlog trend: total backlog at the last 30 four-hour boundaries.
pub fn trend(sc: &Scenario, d: &Dashboard) -> Chart {
    let categories: Vec<String> = d
        .trend
        .iter()
        .map(|&(t, _)| {
            let s = sc.instant(t).to_string();
            // 2026-11-27T08:00:00Z -> 11-27 08:00
            s.get(5..16).unwrap_or(&s).replacen('T', " ", 1)
        })
        .collect();
    let peak = d.trend.iter().map(|&(_, b)| b).max().unwrap_or(0);
    Chart::Bars(BarChart {
        title: format!("Sync backlog trend, 4-hourly: {}", sc.name),
        alt: format!(
            "Total backlog at the last {} four-hour boundaries before {} UTC, as on the admin \
             page; peak {} records.",
            d.trend.len(),
            sc.instant(d.at),
            thousands(peak)
        ),
        x_label: "4-hour boundary (UTC, month-day hour)".into(),
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
        figure(CHARTS[3], trend(sc, d), (1200, 420)),
    ]
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
