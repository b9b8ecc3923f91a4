//! The CSV tables of a run over time (columns in `docs/outputs.md`): the admin page at every
//! whole hour beside the time its backlog really took to clear (`dashboard_timeline.csv`),
//! the page at the instants of `--dashboard-at` (`dashboard_at.csv`), errors and retries per
//! hour (`errors.csv`) and the spells of suppression (`suppression.csv`). Each writes what
//! the run's summary holds.

use std::io::{self, Write};

use super::tables::{dashboard_cells, est_h, h, opt_h, DASHBOARD_COLUMNS};
use super::{csv_writer, io_err};
use crate::summary::{Reading, RunSummary};
use crate::text::fixed;
use crate::units::{Millis, HOUR};

/// A reading's cells: backlog, the backlog 6 hours before, the average per hour, the
/// estimate, the real clear time from the reading (hours) and the status.
fn reading_cells(r: &Reading, at: Millis) -> [String; 6] {
    [
        r.backlog.to_string(),
        r.backlog_before.to_string(),
        fixed(r.avg_per_hour, 2),
        est_h(r.est_backlog_hours),
        opt_h(r.cleared.map(|c| c - at)),
        r.status.label().to_string(),
    ]
}

/// The columns of one reading, after a prefix (`` for the total, `Lead.` for an object).
fn reading_columns(prefix: &str) -> [String; 6] {
    [
        "backlog",
        "backlog_6h_before",
        "avg_per_h",
        "est_backlog_h",
        "cleared_in_h",
        "status",
    ]
    .map(|c| format!("{prefix}{c}"))
}

/// `dashboard_timeline.csv`: one row per whole hour of the run, the total's reading and each
/// object's.
pub fn write_dashboard_timeline(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let sc = s.scenario();
    let mut out = csv_writer(w);
    let mut header = vec!["time_utc".to_string(), "elapsed_h".into()];
    header.extend(reading_columns(""));
    for o in &sc.objects {
        header.extend(reading_columns(&format!("{}.", o.name)));
    }
    out.write_record(&header).map_err(io_err)?;
    for hour in 0..s.timeline().len() {
        let at = hour as Millis * HOUR;
        let mut row = vec![sc.instant(at).to_string(), h(at)];
        row.extend(reading_cells(&s.reading_total(hour), at));
        for o in 0..sc.objects.len() {
            row.extend(reading_cells(&s.reading(hour, o), at));
        }
        out.write_record(&row).map_err(io_err)?;
    }
    out.flush()
}

/// `dashboard_at.csv`: the per-object table of the page as read at each `--dashboard-at`
/// instant (the columns of `dashboard.csv` after the instant), with how long each object's
/// backlog at the last fetch really took to clear.
pub fn write_dashboard_at(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let sc = s.scenario();
    let mut out = csv_writer(w);
    let mut header = vec!["at_utc", "at_h"];
    header.extend(DASHBOARD_COLUMNS);
    header.push("cleared_in_h");
    out.write_record(&header).map_err(io_err)?;
    for d in s.dashboards_at() {
        for row in &d.rows {
            let mut cells = vec![sc.instant(d.at).to_string(), h(d.at)];
            cells.extend(dashboard_cells(sc, d, row));
            cells.push(opt_h(row.cleared.map(|c| c - d.last_fetch)));
            out.write_record(&cells).map_err(io_err)?;
        }
    }
    out.flush()
}

/// `errors.csv`: per hour bucket, attempts and failures, retries released, records that
/// entered the timeout queue; at the hour's start, the retry and timeout queues and the age
/// of the oldest record in each.
pub fn write_errors(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let (sc, r) = (s.scenario(), s.run());
    let mut out = csv_writer(w);
    out.write_record([
        "hour",
        "start_utc",
        "attempts",
        "failed",
        "failed_transient",
        "failed_permanent",
        "retries",
        "to_timeout",
        "retry_queue",
        "timeout_queue",
        "oldest_retry_h",
        "oldest_timeout_h",
    ])
    .map_err(io_err)?;
    for hour in 0..r.hour_buckets() {
        let [transient, permanent, retries, to_timeout] = r.errors_in_hour(hour);
        let (synced, _) = r.done_in_hour_total(hour);
        let waiting = r.waiting(hour);
        out.write_record([
            hour.to_string(),
            sc.instant(hour as Millis * HOUR).to_string(),
            (synced + transient + permanent).to_string(),
            (transient + permanent).to_string(),
            transient.to_string(),
            permanent.to_string(),
            retries.to_string(),
            to_timeout.to_string(),
            waiting.retry.to_string(),
            waiting.timeout.to_string(),
            opt_h(waiting.oldest_retry),
            opt_h(waiting.oldest_timeout),
        ])
        .map_err(io_err)?;
    }
    out.flush()
}

/// `suppression.csv`: one row per spell of suppression, when retries started being held back
/// and when that ended (empty: still held at the end of the run).
pub fn write_suppression(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let sc = s.scenario();
    let mut out = csv_writer(w);
    out.write_record(["start_utc", "start_h", "end_utc", "end_h", "held_h"])
        .map_err(io_err)?;
    for &(start, end) in s.run().suppression_spells() {
        out.write_record([
            sc.instant(start).to_string(),
            h(start),
            end.map(|t| sc.instant(t).to_string()).unwrap_or_default(),
            opt_h(end),
            h(end.unwrap_or(s.run().horizon()) - start),
        ])
        .map_err(io_err)?;
    }
    out.flush()
}
