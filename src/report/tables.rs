//! The CSV tables of one run (columns in `docs/outputs.md`): the backlog on the sample grid,
//! completions per hour, latency, events, the dashboard and its trend, and the conservation
//! counters, and (in `over_time.rs`) the page hour by hour and at chosen instants, errors
//! per hour and spells of suppression. Each writes from the run's summary.

use std::io::{self, Write};

use super::{csv_writer, io_err, over_time, RunTable};
use crate::metrics::LatencySummary;
use crate::scenario::{Direction, QueueId, Scenario};
use crate::summary::{Dashboard, DashboardRow, RunSummary};
use crate::text::fixed;
use crate::units::{hours, minutes, Millis, HOUR};

/// The CSV tables of a run, in the order they are written.
pub const TABLES: [(&str, RunTable); 11] = [
    ("backlog.csv", write_backlog),
    ("throughput.csv", write_throughput),
    ("latency.csv", write_latency),
    ("events.csv", write_events),
    ("dashboard.csv", write_dashboard),
    ("trend.csv", write_trend),
    ("counters.csv", write_counters),
    (
        "dashboard_timeline.csv",
        over_time::write_dashboard_timeline,
    ),
    ("dashboard_at.csv", over_time::write_dashboard_at),
    ("errors.csv", over_time::write_errors),
    ("suppression.csv", over_time::write_suppression),
];

/// Hours with 4 decimals, the unit of every `_h` column.
pub(super) fn h(ms: Millis) -> String {
    fixed(hours(ms), 4)
}

/// [`h`], empty when there is no time.
pub(super) fn opt_h(ms: Option<Millis>) -> String {
    ms.map(h).unwrap_or_default()
}

/// An estimated backlog time, hours with 3 decimals, `inf` when infinite.
pub(super) fn est_h(x: Option<f64>) -> String {
    x.map_or_else(|| "inf".to_string(), |x| fixed(x, 3))
}

fn min(ms: Millis) -> String {
    fixed(minutes(ms), 3)
}

/// The queues of objects syncing both ways, which get per-direction columns too.
fn two_way(sc: &Scenario) -> impl Iterator<Item = QueueId> + '_ {
    sc.queues()
        .filter(|q| sc.objects[q.object()].syncs == [true, true])
}

/// `backlog.csv`: pending records on the sample grid (total, per direction, per object).
pub fn write_backlog(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let (sc, r) = (s.scenario(), s.run());
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
    header.extend(
        two_way(sc).map(|q| format!("{}.{}", sc.objects[q.object()].name, q.direction().name())),
    );
    out.write_record(&header).map_err(io_err)?;
    for (i, &t) in r.sample_times().iter().enumerate() {
        let mut row = vec![
            sc.instant(t).to_string(),
            h(t),
            r.sample_total(i).to_string(),
            r.sample_direction(i, Direction::ToMarketing).to_string(),
            r.sample_direction(i, Direction::ToCrm).to_string(),
            r.retry_samples()[i].to_string(),
            r.timeout_samples()[i].to_string(),
            r.api_samples()[i].to_string(),
        ];
        row.extend((0..sc.objects.len()).map(|o| r.sample_object(i, o).to_string()));
        row.extend(two_way(sc).map(|q| r.sample_queue(i, q).to_string()));
        out.write_record(&row).map_err(io_err)?;
    }
    out.flush()
}

/// `throughput.csv`: records completed per hour bucket, per object, with the synced/skipped
/// split of the total.
pub fn write_throughput(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let (sc, r) = (s.scenario(), s.run());
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
    for hour in 0..r.hour_buckets() {
        let (synced, skipped) = r.done_in_hour_total(hour);
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
        None => {
            let mut cells = vec!["0".to_string()];
            cells.resize(7, String::new());
            cells
        }
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
pub fn write_latency(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let (sc, r) = (s.scenario(), s.run());
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
        let mut rows: Vec<(&str, Option<LatencySummary>, u64, Option<Millis>)> = Vec::new();
        for q in QueueId::of_object(o).into_iter().filter(|&q| sc.syncs(q)) {
            let p = r.pending_end(q);
            rows.push((
                q.direction().name(),
                r.latency(q),
                p.backlog(),
                p.oldest_age,
            ));
        }
        if rows.len() == 2 {
            let p = r.object_pending_end(o);
            rows.push(("both", r.object_latency(o), p.backlog(), p.oldest_age));
        }
        for (dir, l, pending, oldest) in rows {
            let mut row = vec![object.name.clone(), dir.to_string()];
            row.extend(latency_cells(&l));
            row.push(pending.to_string());
            row.push(opt_h(oldest));
            out.write_record(&row).map_err(io_err)?;
        }
        if object.creations_per_hour > 0.0 {
            // Created records and the other updates apart, both directions together (what
            // is pending is not split: empty cells).
            for (kind, l) in [
                ("creations", r.creation_latency(o)),
                ("updates", r.update_latency(o)),
            ] {
                let mut row = vec![object.name.clone(), kind.to_string()];
                row.extend(latency_cells(&l));
                row.extend([String::new(), String::new()]);
                out.write_record(&row).map_err(io_err)?;
            }
        }
    }
    out.flush()
}

/// `events.csv`: one row per bulk update or object enabled, with clear and recovery times
/// (empty when not within the horizon).
pub fn write_events(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let (sc, r) = (s.scenario(), s.run());
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
    for e in r.events() {
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
pub fn write_dashboard(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let (sc, d) = (s.scenario(), s.dashboard());
    let mut out = csv_writer(w);
    out.write_record(DASHBOARD_COLUMNS).map_err(io_err)?;
    for row in &d.rows {
        out.write_record(dashboard_cells(sc, d, row))
            .map_err(io_err)?;
    }
    out.flush()
}

/// The columns of `dashboard.csv`, which `dashboard_at.csv` repeats after its instant.
pub(super) const DASHBOARD_COLUMNS: [&str; 10] = [
    "object",
    "max_per_h",
    "min_per_h",
    "avg_per_h",
    "backlog",
    "backlog_6h_before",
    "est_backlog_h",
    "last_fetch_utc",
    "next_fetch_utc",
    "status",
];

/// One object's row of the page `d`, in [`DASHBOARD_COLUMNS`].
pub(super) fn dashboard_cells(sc: &Scenario, d: &Dashboard, row: &DashboardRow) -> [String; 10] {
    [
        sc.objects[row.object].name.clone(),
        row.max_per_hour.to_string(),
        row.min_per_hour.to_string(),
        fixed(row.avg_per_hour, 2),
        row.backlog.to_string(),
        row.backlog_before.to_string(),
        est_h(row.est_backlog_hours),
        sc.instant(d.last_fetch).to_string(),
        sc.instant(d.next_fetch).to_string(),
        row.status.label().to_string(),
    ]
}

/// `trend.csv`: the 4-hour backlog trend (up to 30 points).
pub fn write_trend(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let sc = s.scenario();
    let mut out = csv_writer(w);
    out.write_record(["time_utc", "elapsed_h", "backlog"])
        .map_err(io_err)?;
    for &(t, b) in &s.dashboard().trend {
        out.write_record([sc.instant(t).to_string(), h(t), b.to_string()])
            .map_err(io_err)?;
    }
    out.flush()
}

/// `counters.csv`: the conservation counters per object and direction; with cascades or
/// echoes, their edits and capped triggers after `bulk_edits`.
pub fn write_counters(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let (sc, r) = (s.scenario(), s.run());
    let mut out = csv_writer(w);
    let caused = sc.caused.any();
    // A column of creations only when an object creates records.
    let creating = sc.objects.iter().any(|o| o.creations_per_hour > 0.0);
    let mut header = vec![
        "object",
        "direction",
        "edits",
        "background_edits",
        "bulk_edits",
        "initial_entries",
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
    ];
    if caused {
        header.splice(5..5, ["cascade_edits", "echo_edits", "caused_capped"]);
    }
    if creating {
        header.push("creations");
    }
    out.write_record(&header).map_err(io_err)?;
    for q in sc.queues() {
        let c = r.counters(q);
        let p = r.pending_end(q);
        let mut cells = vec![
            c.edits,
            c.background_edits,
            c.bulk_edits,
            c.initial_entries,
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
        if caused {
            cells.splice(3..3, [c.cascade_edits, c.echo_edits, c.caused_capped]);
        }
        let mut row = vec![
            sc.objects[q.object()].name.clone(),
            q.direction().name().to_string(),
        ];
        row.extend(cells.iter().map(u64::to_string));
        if creating {
            row.push(c.creations.to_string());
        }
        out.write_record(&row).map_err(io_err)?;
    }
    out.flush()
}
