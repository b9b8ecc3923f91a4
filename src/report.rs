//! Reports of one run: CSV tables, `summary.json`, charts (PNG, SVG), the HTML dashboard and
//! the terminal summary.
//!
//! Writers take `impl Write` and hold no logic: every number comes from [`crate::metrics`].
//! Column sets are documented in `docs/outputs.md`; numbers are written with fixed decimals so
//! outputs are byte-identical across runs and platforms.

pub mod charts;
pub mod check;
pub mod figures;
pub mod html;
pub mod montecarlo;
pub mod output;
pub mod terminal;

use std::io::{self, Write};

use crate::metrics::{self, Dashboard, LatencySummary, RunResult};
use crate::scenario::{Direction, Scenario};
use crate::units::{Millis, HOUR};

/// The CSV files a run writes, in the order they are written.
pub const CSV_FILES: [&str; 7] = [
    "backlog.csv",
    "throughput.csv",
    "latency.csv",
    "events.csv",
    "dashboard.csv",
    "trend.csv",
    "counters.csv",
];

/// The JSON summary of every scalar metric.
pub const SUMMARY_FILE: &str = "summary.json";

/// Formats `x` with `decimals` decimals, without a negative zero.
pub fn fixed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn h(ms: Millis) -> String {
    fixed(ms as f64 / HOUR as f64, 4)
}

fn opt_h(ms: Option<Millis>) -> String {
    ms.map(h).unwrap_or_default()
}

fn min(ms: Millis) -> String {
    fixed(ms as f64 / 60_000.0, 3)
}

pub(crate) fn csv_writer(w: &mut dyn Write) -> csv::Writer<&mut dyn Write> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

pub(crate) fn io_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Objects syncing both directions get per-direction columns too.
fn two_way(sc: &Scenario) -> impl Iterator<Item = usize> + '_ {
    sc.objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.syncs == [true, true])
        .map(|(i, _)| i)
}

/// `backlog.csv`: pending records on the sample grid (total, per direction, per object).
pub fn write_backlog(sc: &Scenario, r: &RunResult, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    let mut header = vec![
        "time_utc".to_string(),
        "elapsed_h".into(),
        "total".into(),
        "to_marketing".into(),
        "to_crm".into(),
        "retry_queue".into(),
        "timeout_queue".into(),
        "api_calls_24h".into(),
    ];
    header.extend(sc.objects.iter().map(|o| o.name.clone()));
    for o in two_way(sc) {
        for d in Direction::ALL {
            header.push(format!("{}.{}", sc.objects[o].name, d.name()));
        }
    }
    out.write_record(&header).map_err(io_err)?;
    for (i, &t) in r.sample_times.iter().enumerate() {
        let mut row = vec![
            sc.instant(t).to_string(),
            h(t),
            r.sample_total(i).to_string(),
            r.sample_direction(i, Direction::ToMarketing).to_string(),
            r.sample_direction(i, Direction::ToCrm).to_string(),
            r.retry_samples[i].to_string(),
            r.timeout_samples[i].to_string(),
            r.api_samples[i].to_string(),
        ];
        row.extend((0..sc.objects.len()).map(|o| r.sample_object(i, o).to_string()));
        let nq = r.queue_count();
        for o in two_way(sc) {
            for d in Direction::ALL {
                row.push(r.samples[i * nq + o * 2 + d as usize].to_string());
            }
        }
        out.write_record(&row).map_err(io_err)?;
    }
    out.flush()
}

/// `throughput.csv`: records completed per hour bucket, per object, with the synced/skipped
/// split of the total.
pub fn write_throughput(sc: &Scenario, r: &RunResult, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    let mut header = vec![
        "hour".to_string(),
        "start_utc".into(),
        "completed".into(),
        "synced".into(),
        "skipped".into(),
    ];
    header.extend(sc.objects.iter().map(|o| o.name.clone()));
    out.write_record(&header).map_err(io_err)?;
    let nq = r.queue_count();
    for hour in 0..r.hour_buckets() {
        let bucket = &r.hourly_done[hour * nq * 2..(hour + 1) * nq * 2];
        let synced: u64 = bucket.iter().step_by(2).map(|&x| x as u64).sum();
        let skipped: u64 = bucket.iter().skip(1).step_by(2).map(|&x| x as u64).sum();
        let mut row = vec![
            hour.to_string(),
            sc.instant(hour as Millis * HOUR).to_string(),
            (synced + skipped).to_string(),
            synced.to_string(),
            skipped.to_string(),
        ];
        row.extend((0..sc.objects.len()).map(|o| r.completed_in_hour(hour, o).to_string()));
        out.write_record(&row).map_err(io_err)?;
    }
    out.flush()
}

fn latency_cells(l: &Option<LatencySummary>) -> Vec<String> {
    match l {
        None => vec![
            "0".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ],
        Some(l) => vec![
            l.count.to_string(),
            fixed(l.mean / 60_000.0, 3),
            min(l.p50),
            min(l.p90),
            min(l.p95),
            min(l.p99),
            min(l.max),
        ],
    }
}

/// `latency.csv`: latency of synced updates per object and direction (minutes), and what is
/// still pending at the end.
pub fn write_latency(sc: &Scenario, r: &RunResult, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record([
        "object",
        "direction",
        "synced",
        "mean_min",
        "p50_min",
        "p90_min",
        "p95_min",
        "p99_min",
        "max_min",
        "pending_end",
        "oldest_pending_h",
    ])
    .map_err(io_err)?;
    for (o, object) in sc.objects.iter().enumerate() {
        let mut rows: Vec<(&str, &Option<LatencySummary>, u64, Option<Millis>)> = Vec::new();
        for d in Direction::ALL {
            if object.syncs[d as usize] {
                let q = o * 2 + d as usize;
                let p = &r.pending_end[q];
                rows.push((
                    d.name(),
                    &r.latency[q],
                    p.queued + p.in_flight,
                    p.oldest_age,
                ));
            }
        }
        if rows.len() == 2 {
            let pending = rows[0].2 + rows[1].2;
            let oldest = rows[0].3.max(rows[1].3);
            rows.push(("both", &r.latency_by_object[o], pending, oldest));
        }
        for (dir, l, pending, oldest) in rows {
            let mut row = vec![object.name.clone(), dir.to_string()];
            row.extend(latency_cells(l));
            row.push(pending.to_string());
            row.push(opt_h(oldest));
            out.write_record(&row).map_err(io_err)?;
        }
    }
    out.flush()
}

/// `events.csv`: one row per bulk update or object enabled, with clear and recovery times
/// (empty when not within the horizon).
pub fn write_events(sc: &Scenario, r: &RunResult, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record([
        "event",
        "kind",
        "object",
        "first_edit_utc",
        "last_edit_utc",
        "edits",
        "entries",
        "baseline_backlog",
        "clear_utc",
        "clear_h",
        "recovery_utc",
        "recovery_h",
        "synced",
        "skipped",
        "still_pending",
        "errored",
        "superseded",
    ])
    .map_err(io_err)?;
    for e in &r.events {
        let utc = |t: Option<Millis>| t.map(|t| sc.instant(t).to_string()).unwrap_or_default();
        out.write_record([
            e.name.clone(),
            e.kind.to_string(),
            sc.objects[e.object].name.clone(),
            sc.instant(e.first_edit).to_string(),
            sc.instant(e.last_edit).to_string(),
            e.edits.to_string(),
            e.entries.to_string(),
            e.baseline_backlog.to_string(),
            utc(e.clear),
            opt_h(e.clear_time()),
            utc(e.recovery),
            opt_h(e.recovery_time()),
            e.synced.to_string(),
            e.skipped.to_string(),
            e.still_pending.to_string(),
            e.errored.to_string(),
            e.superseded.to_string(),
        ])
        .map_err(io_err)?;
    }
    out.flush()
}

/// `dashboard.csv`: the admin page's per-object table at the end of the run.
pub fn write_dashboard(sc: &Scenario, d: &Dashboard, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record([
        "object",
        "max_per_h",
        "min_per_h",
        "avg_per_h",
        "backlog",
        "est_backlog_h",
        "last_fetch_utc",
        "next_fetch_utc",
        "status",
    ])
    .map_err(io_err)?;
    for row in &d.rows {
        out.write_record([
            sc.objects[row.object].name.clone(),
            row.max_per_hour.to_string(),
            row.min_per_hour.to_string(),
            fixed(row.avg_per_hour, 2),
            row.backlog.to_string(),
            row.est_backlog_hours
                .map_or_else(|| "inf".to_string(), |x| fixed(x, 3)),
            sc.instant(d.last_fetch).to_string(),
            sc.instant(d.next_fetch).to_string(),
            row.status.label().to_string(),
        ])
        .map_err(io_err)?;
    }
    out.flush()
}

/// `trend.csv`: the 4-hour backlog trend (up to 30 points).
pub fn write_trend(sc: &Scenario, d: &Dashboard, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record(["time_utc", "elapsed_h", "backlog"])
        .map_err(io_err)?;
    for &(t, b) in &d.trend {
        out.write_record([sc.instant(t).to_string(), h(t), b.to_string()])
            .map_err(io_err)?;
    }
    out.flush()
}

/// `counters.csv`: the conservation counters per object and direction.
pub fn write_counters(sc: &Scenario, r: &RunResult, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record([
        "object",
        "direction",
        "edits",
        "background_edits",
        "bulk_edits",
        "filtered",
        "coalesced",
        "entries_created",
        "synced",
        "skipped",
        "errors_transient",
        "errors_permanent",
        "superseded",
        "queued_end",
        "in_flight_end",
        "retry_end",
        "timeout_end",
    ])
    .map_err(io_err)?;
    for (o, object) in sc.objects.iter().enumerate() {
        for d in Direction::ALL {
            if !object.syncs[d as usize] {
                continue;
            }
            let q = o * 2 + d as usize;
            let c = &r.counters[q];
            let p = &r.pending_end[q];
            let cells = [
                c.edits,
                c.background_edits,
                c.bulk_edits,
                c.filtered,
                c.coalesced,
                c.entries_created,
                c.synced,
                c.skipped,
                c.errors_transient,
                c.errors_permanent,
                c.superseded,
                p.queued,
                p.in_flight,
                p.retry,
                p.timeout,
            ];
            let mut row = vec![object.name.clone(), d.name().to_string()];
            row.extend(cells.iter().map(u64::to_string));
            out.write_record(&row).map_err(io_err)?;
        }
    }
    out.flush()
}

/// `summary.json`: the scenario's identity and every scalar metric under its stable name
/// (`null` for "not within the horizon" or "no data").
pub fn write_summary(sc: &Scenario, r: &RunResult, w: &mut dyn Write) -> io::Result<()> {
    let mut metrics = serde_json::Map::new();
    for (name, value) in metrics::scalars(sc, r) {
        metrics.insert(name, value.map_or(serde_json::Value::Null, json_number));
    }
    let doc = serde_json::json!({
        "scenario": sc.name,
        "seed": r.seed,
        "start": sc.start.to_string(),
        "horizon_h": json_number(r.horizon as f64 / HOUR as f64),
        "policy": sc.sync.policy.name(),
        "metrics": metrics,
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    w.write_all(b"\n")
}

/// A JSON number, rounded to 6 decimals so float noise never shows in diffs.
pub fn json_number(x: f64) -> serde_json::Value {
    let rounded = (x * 1e6).round() / 1e6;
    if rounded.fract() == 0.0 && rounded.abs() < 9e15 {
        serde_json::Value::from(rounded as i64)
    } else {
        serde_json::Number::from_f64(rounded)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// Writes every CSV file of a run into `out`.
pub fn write_tables(
    sc: &Scenario,
    r: &RunResult,
    out: &mut output::OutputDir,
) -> Result<(), output::OutputError> {
    let d = metrics::dashboard(r, sc.objects.len(), r.horizon);
    out.write("backlog.csv", |w| write_backlog(sc, r, w))?;
    out.write("throughput.csv", |w| write_throughput(sc, r, w))?;
    out.write("latency.csv", |w| write_latency(sc, r, w))?;
    out.write("events.csv", |w| write_events(sc, r, w))?;
    out.write("dashboard.csv", |w| write_dashboard(sc, &d, w))?;
    out.write("trend.csv", |w| write_trend(sc, &d, w))?;
    out.write("counters.csv", |w| write_counters(sc, r, w))?;
    Ok(())
}

/// Writes every CSV file and `summary.json` of a single run into `out`.
pub fn write_run(
    sc: &Scenario,
    r: &RunResult,
    out: &mut output::OutputDir,
) -> Result<(), output::OutputError> {
    write_tables(sc, r, out)?;
    out.write(SUMMARY_FILE, |w| write_summary(sc, r, w))
}

/// Which reports besides the CSV files and `summary.json` (always written) a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// PNG charts.
    pub png: bool,
    /// SVG charts.
    pub svg: bool,
    /// `dashboard.html`.
    pub html: bool,
}

impl Default for Formats {
    /// Everything.
    fn default() -> Self {
        Formats {
            png: true,
            svg: true,
            html: true,
        }
    }
}

impl Formats {
    /// CSV files and `summary.json` only.
    pub const CSV_ONLY: Formats = Formats {
        png: false,
        svg: false,
        html: false,
    };

    /// Every file a run with these formats writes, in the order written (the manifest aside).
    pub fn file_names(&self) -> Vec<String> {
        let mut names: Vec<String> = CSV_FILES.iter().map(|n| n.to_string()).collect();
        names.push(SUMMARY_FILE.into());
        for (on, format) in [
            (self.png, charts::ChartFormat::Png),
            (self.svg, charts::ChartFormat::Svg),
        ] {
            if on {
                names.extend(
                    figures::CHARTS
                        .iter()
                        .map(|stem| format!("{stem}.{}", format.extension())),
                );
            }
        }
        if self.html {
            names.push(html::DASHBOARD_FILE.into());
        }
        names
    }
}

/// Writes every report of a run into `out`: the CSV files and `summary.json`, then the charts
/// and the HTML dashboard that `formats` asks for. Charts are rendered in parallel, then
/// written one by one, each atomically.
///
/// `forecast` is given for a Monte Carlo run, whose replication 0 is `r`: it adds the fan
/// chart and the forecast across replications to the dashboard. (The Monte Carlo CSV files
/// and `summary.json` are written by the caller, see [`montecarlo`].)
pub fn write_reports(
    sc: &Scenario,
    r: &RunResult,
    out: &mut output::OutputDir,
    formats: Formats,
    forecast: Option<montecarlo::Forecast<'_>>,
) -> Result<(), output::OutputError> {
    use rayon::prelude::*;

    write_run(sc, r, out)?;
    if !(formats.png || formats.svg || formats.html) {
        return Ok(());
    }
    let d = metrics::dashboard(r, sc.objects.len(), r.horizon);
    let mut figures = figures::run_charts(sc, r, &d);
    if let Some(f) = &forecast {
        figures.push(figures::fan(sc, f.reps));
    }
    let mut jobs: Vec<(usize, charts::ChartFormat)> = Vec::new();
    for i in 0..figures.len() {
        if formats.svg || formats.html {
            jobs.push((i, charts::ChartFormat::Svg));
        }
        if formats.png {
            jobs.push((i, charts::ChartFormat::Png));
        }
    }
    let rendered: Vec<Result<Vec<u8>, charts::ChartError>> = jobs
        .par_iter()
        .map(|&(i, format)| figures[i].chart.render(format, figures[i].size))
        .collect();
    let mut svgs: Vec<(&str, String)> = Vec::new();
    for ((i, format), bytes) in jobs.iter().zip(rendered) {
        let stem = figures[*i].stem;
        let name = format!("{stem}.{}", format.extension());
        let bytes = bytes
            .map_err(|e| output::OutputError::io(&out.path().join(&name), io::Error::other(e)))?;
        let wanted = match format {
            charts::ChartFormat::Png => formats.png,
            charts::ChartFormat::Svg => formats.svg,
        };
        if wanted {
            out.write(&name, |w| w.write_all(&bytes))?;
        }
        if *format == charts::ChartFormat::Svg {
            svgs.push((stem, String::from_utf8(bytes).expect("SVG is UTF-8")));
        }
    }
    if formats.html {
        out.write(html::DASHBOARD_FILE, |w| {
            html::write_dashboard(sc, r, &d, &svgs, forecast, w)
        })?;
    }
    Ok(())
}
