//! The terminal summary of a run, laid out like the admin page's "Sync Backlog Metrics":
//! the per-object throughput and backlog table with status, the 4-hour trend, then the
//! forecast (clear and recovery times, latency per object).

use std::io::{self, Write};

use crate::scenario::Scenario;
use crate::summary::{RunSummary, Status};
use crate::text::{fixed, thousands};
use crate::units::{format_duration, hours, human_duration, minutes, Millis};

/// A one-line bar chart of `values` (eight levels).
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if max == 0 {
                BARS[0]
            } else {
                BARS[((v as f64 / max as f64) * 7.0).round() as usize]
            }
        })
        .collect()
}

fn hours_text(ms: Option<Millis>) -> String {
    ms.map_or_else(
        || "not within the horizon".to_string(),
        |t| format!("{} h", fixed(hours(t), 2)),
    )
}

/// Writes the summary of one run.
pub fn write_summary(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let (sc, r, d) = (s.scenario(), s.run(), s.dashboard());
    let policy = sc.sync.policy.name();
    let workers = sc.sync.workers;
    writeln!(
        w,
        "{} (seed {}): {} from {}, policy {policy}, {workers} worker{}, {} units/h each",
        sc.name,
        r.seed(),
        format_duration(r.horizon()),
        sc.start,
        if workers == 1 { "" } else { "s" },
        thousands(sc.sync.throughput.round() as u64),
    )?;
    writeln!(w)?;
    writeln!(
        w,
        "Sync backlog metrics, last fetched {} (next fetch {}); per hour over the last {} h",
        sc.instant(d.last_fetch),
        sc.instant(d.next_fetch),
        d.hours_considered
    )?;
    let name_width = name_width(sc);
    writeln!(
        w,
        "  {:name_width$}  {:>9}  {:>9}  {:>9}  {:>10}  {:>13}  Status",
        "Object", "Max/h", "Min/h", "Avg/h", "Backlog", "Est. backlog"
    )?;
    for row in &d.rows {
        let est = row
            .est_backlog_hours
            .map_or_else(|| "never".to_string(), |x| format!("{} h", fixed(x, 2)));
        writeln!(
            w,
            "  {:name_width$}  {:>9}  {:>9}  {:>9}  {:>10}  {:>13}  {}",
            sc.objects[row.object].name,
            thousands(row.max_per_hour),
            thousands(row.min_per_hour),
            thousands(row.avg_per_hour.round() as u64),
            thousands(row.backlog),
            est,
            row.status.label()
        )?;
    }
    writeln!(
        w,
        "  {:name_width$}  {:>9}  {:>9}  {:>9}  {:>10}  {:>13}  {}",
        "Total",
        "",
        "",
        "",
        thousands(d.total_backlog),
        "",
        d.status.label()
    )?;
    let trend: Vec<u64> = d.trend.iter().map(|(_, b)| *b).collect();
    writeln!(
        w,
        "  Backlog trend, 4-hourly: {}  (peak {})",
        sparkline(&trend),
        thousands(trend.iter().copied().max().unwrap_or(0))
    )?;
    writeln!(w)?;
    writeln!(
        w,
        "Backlog: max {} at {} h; {} pending at the end{}",
        thousands(r.max_backlog()),
        fixed(hours(r.max_backlog_at()), 2),
        thousands(s.end().backlog()),
        match s.end().oldest_age {
            Some(age) => format!(" (oldest waiting {})", human_duration(age)),
            None => String::new(),
        }
    )?;
    for e in r.events() {
        writeln!(
            w,
            "Event {} ({} of {} {} records, {} to {} h): clear {}, recovery {}",
            e.name,
            e.kind,
            thousands(e.edits),
            sc.objects[e.object].name,
            fixed(hours(e.first_edit), 2),
            fixed(hours(e.last_edit), 2),
            hours_text(e.clear_time()),
            hours_text(e.recovery_time()),
        )?;
        writeln!(
            w,
            "    its entries: {} synced, {} skipped, {} still pending, {} errored",
            thousands(e.synced),
            thousands(e.skipped),
            thousands(e.still_pending),
            thousands(e.errored)
        )?;
    }
    writeln!(w)?;
    writeln!(w, "Latency of synced updates (minutes)")?;
    writeln!(
        w,
        "  {:name_width$}  {:>10}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}",
        "Object", "Synced", "p50", "p90", "p99", "max", "Pending"
    )?;
    for (o, object) in sc.objects.iter().enumerate() {
        let pending = r.object_pending_end(o).backlog();
        let cell =
            |ms: Option<Millis>| ms.map_or_else(|| "-".to_string(), |m| fixed(minutes(m), 2));
        let l = r.object_latency(o);
        writeln!(
            w,
            "  {:name_width$}  {:>10}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}",
            object.name,
            thousands(l.map_or(0, |l| l.count)),
            cell(l.map(|l| l.p50)),
            cell(l.map(|l| l.p90)),
            cell(l.map(|l| l.p99)),
            cell(l.map(|l| l.max)),
            thousands(pending)
        )?;
    }
    let t = s.totals();
    writeln!(w)?;
    let (retry, timeout) = (s.end().retry, s.end().timeout);
    let errors = t.errors_transient + t.errors_permanent;
    if errors > 0 {
        writeln!(
            w,
            "Errors: {} attempts, {} failed ({} transient, {} permanent); retry queue max {}, timeout queue max {}",
            thousands(t.attempts()),
            thousands(errors),
            thousands(t.errors_transient),
            thousands(t.errors_permanent),
            thousands(s.retry_queue_max()),
            thousands(s.timeout_queue_max()),
        )?;
        writeln!(
            w,
            "    still errored at the end: {} in the retry queue, {} in the timeout queue",
            thousands(retry),
            thousands(timeout)
        )?;
    }
    let api = r.api();
    let calls: u64 = api.calls.iter().sum();
    if calls > 0 {
        let limit = sc.api.daily_limit.map_or_else(
            || "no limit".to_string(),
            |l| format!("limit {}", thousands(l)),
        );
        writeln!(
            w,
            "API: {} calls ({} batches, {} checks, {} other integrations); peak {} in 24 h ({limit})",
            thousands(calls),
            thousands(api.calls[0]),
            thousands(api.calls[1]),
            thousands(api.calls[2]),
            thousands(api.peak_usage),
        )?;
        if api.paused > 0 || api.suppressed > 0 {
            writeln!(
                w,
                "    sync paused by the limit {}; retries held back by usage {}",
                human_duration(api.paused),
                human_duration(api.suppressed)
            )?;
        }
    }
    writeln!(w, "{}", conservation_text(s))?;
    if d.status == Status::Growing {
        writeln!(
            w,
            "Status Growing: the backlog at the last fetch is above its level 6 hours before."
        )?;
    }
    Ok(())
}

/// Where every edit went, as the equations conservation states (docs/model.md,
/// Conservation): `Edits E [+ I initial] = F filtered + C coalesced + N entries; entries = ...`.
/// The initial backlog appears only when there is one: its entries were made by no edit.
pub fn conservation_text(s: &RunSummary) -> String {
    let t = s.totals();
    let initial = if t.initial_entries > 0 {
        format!(" + {} initial", thousands(t.initial_entries))
    } else {
        String::new()
    };
    format!(
        "Edits {}{initial} = {} filtered + {} coalesced + {} entries; entries = {} synced + {} skipped + {} pending + {} errored + {} superseded",
        thousands(t.edits),
        thousands(t.filtered),
        thousands(t.coalesced),
        thousands(t.entries_created),
        thousands(t.synced),
        thousands(t.skipped),
        thousands(s.end().backlog()),
        thousands(s.end().retry + s.end().timeout),
        thousands(t.superseded),
    )
}

/// Width of the object column in the terminal's tables: the longest object name, at least 6.
pub fn name_width(sc: &Scenario) -> usize {
    sc.objects
        .iter()
        .map(|o| o.name.len())
        .max()
        .unwrap_or(6)
        .max(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_max() {
        assert_eq!(sparkline(&[0, 50, 100]), "▁▅█");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
    }
}
