//! The terminal summary of a run, laid out like the admin page's "Sync Backlog Metrics":
//! the per-object throughput and backlog table with each status and the two readings it
//! compares, the 4-hour trend with the true peak, the page as read at any `--dashboard-at`
//! instant beside the real clear time, then the forecast (clear and recovery times, latency
//! per object, service levels, errors and the API budget). Durations read in the unit that
//! reads best ([`human_duration`]).

use std::io::{self, Write};

use crate::scenario::Scenario;
use crate::summary::{Dashboard, RunSummary, Status};
use crate::text::{fixed, thousands};
use crate::units::{format_duration, hours, human_duration, human_hours, Millis};

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

fn duration_text(ms: Option<Millis>) -> String {
    ms.map_or_else(|| "not within the horizon".to_string(), human_duration)
}

/// The two readings a status compares, and the change: `241 → 253 (+12)`.
pub fn status_readings(before: u64, now: u64) -> String {
    let sign = if now >= before { '+' } else { '-' };
    format!(
        "{} → {} ({sign}{})",
        thousands(before),
        thousands(now),
        thousands(now.abs_diff(before))
    )
}

/// How a scenario's span reads before it runs: `5d`, or `until clear (cap 30d)`.
pub fn horizon_text(sc: &Scenario) -> String {
    if sc.until_clear {
        format!("until clear (cap {})", format_duration(sc.horizon))
    } else {
        format_duration(sc.horizon)
    }
}

/// How the run's span reads: `5d`, or for a run until clear `until clear: 31h (cap 30d)` /
/// `until clear: not clear by its cap, 30d`.
pub fn span_text(s: &RunSummary) -> String {
    let sc = s.scenario();
    let end = s.run().horizon();
    if !sc.until_clear {
        return format_duration(end);
    }
    match s.all_clear() {
        Some(_) => format!(
            "until clear: {} (cap {})",
            format_duration(end),
            format_duration(sc.horizon)
        ),
        None => format!(
            "until clear: not clear by its cap, {}",
            format_duration(sc.horizon)
        ),
    }
}

/// The admin page's table: one row per object and the total, each status with the two
/// readings it compares; with `reality`, a column of how long the backlog read at the
/// fetch really took to clear.
fn write_page(s: &RunSummary, d: &Dashboard, reality: bool, w: &mut dyn Write) -> io::Result<()> {
    let sc = s.scenario();
    let name_width = name_width(sc);
    let cleared = |c: Option<Millis>| match c {
        Some(t) => human_duration(t - d.last_fetch),
        None => "after the end".to_string(),
    };
    let reality_head = if reality {
        format!("  {:>13}", "Cleared in")
    } else {
        String::new()
    };
    writeln!(
        w,
        "  {:name_width$}  {:>9}  {:>9}  {:>9}  {:>10}  {:>13}{reality_head}  Status   6 h before → at the fetch",
        "Object", "Max/h", "Min/h", "Avg/h", "Backlog", "Est. backlog"
    )?;
    for row in &d.rows {
        let est = row
            .est_backlog_hours
            .map_or_else(|| "never".to_string(), human_hours);
        let real = if reality {
            format!("  {:>13}", cleared(row.cleared))
        } else {
            String::new()
        };
        writeln!(
            w,
            "  {:name_width$}  {:>9}  {:>9}  {:>9}  {:>10}  {:>13}{real}  {:7}  {}",
            sc.objects[row.object].name,
            thousands(row.max_per_hour),
            thousands(row.min_per_hour),
            thousands(row.avg_per_hour.round() as u64),
            thousands(row.backlog),
            est,
            row.status.label(),
            status_readings(row.backlog_before, row.backlog)
        )?;
    }
    let real = if reality {
        let all = d
            .rows
            .iter()
            .map(|r| r.cleared)
            .try_fold(d.last_fetch, |acc, c| c.map(|c| acc.max(c)));
        format!("  {:>13}", cleared(all))
    } else {
        String::new()
    };
    writeln!(
        w,
        "  {:name_width$}  {:>9}  {:>9}  {:>9}  {:>10}  {:>13}{real}  {:7}  {}",
        "Total",
        "",
        "",
        "",
        thousands(d.total_backlog),
        "",
        d.status.label(),
        status_readings(d.total_backlog_before, d.total_backlog)
    )?;
    let trend: Vec<u64> = d.trend.iter().map(|(_, b)| *b).collect();
    let (top_at, top) = d
        .trend
        .iter()
        .copied()
        .fold((0, 0), |best, p| if p.1 > best.1 { p } else { best });
    let r = s.run();
    let peak = if r.max_backlog() > top && r.max_backlog_at() <= d.at {
        format!(
            "highest point {} at {} h; the true peak, {} at {} h, fell between points",
            thousands(top),
            fixed(hours(top_at), 0),
            thousands(r.max_backlog()),
            fixed(hours(r.max_backlog_at()), 2)
        )
    } else {
        format!("peak {}", thousands(top))
    };
    writeln!(
        w,
        "  Backlog trend, 4-hourly: {}  ({peak})",
        sparkline(&trend)
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
        span_text(s),
        sc.start,
        if workers == 1 { "" } else { "s" },
        thousands(sc.sync.throughput.round() as u64),
    )?;
    writeln!(w)?;
    writeln!(
        w,
        "Sync backlog metrics, last fetched {} (next fetch {}); per hour over the last {} h",
        when(sc, d.last_fetch),
        when(sc, d.next_fetch),
        d.hours_considered
    )?;
    write_page(s, d, false, w)?;
    for at in s.dashboards_at() {
        writeln!(w)?;
        writeln!(
            w,
            "Sync backlog metrics as read at {} ({} h into the run), last fetched {}; per hour over the last {} h",
            when(sc, at.at),
            fixed(hours(at.at), 2),
            when(sc, at.last_fetch),
            at.hours_considered
        )?;
        write_page(s, at, true, w)?;
    }
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
            duration_text(e.clear_time()),
            duration_text(e.recovery_time()),
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
    if sc.until_clear {
        writeln!(
            w,
            "{}",
            match s.all_clear() {
                Some(t) => format!(
                    "Until clear: everything had cleared and recovered at {} h; the run ended at the next whole hour, {} h",
                    fixed(hours(t), 2),
                    fixed(hours(r.horizon()), 0)
                ),
                None => format!(
                    "Until clear: not everything had cleared and recovered by the cap, {}",
                    format_duration(sc.horizon)
                ),
            }
        )?;
    }
    writeln!(w)?;
    writeln!(w, "Latency of synced updates")?;
    // An object that creates records has rows for its created records and its other
    // updates under its own (docs/model.md, Creations).
    let creating = sc.objects.iter().any(|o| o.creations_per_hour > 0.0);
    let width = if creating {
        name_width(sc).max(9)
    } else {
        name_width(sc)
    };
    writeln!(
        w,
        "  {:name_width$}  {:>10}  {:>9}  {:>9}  {:>9}  {:>9}  {:>8}",
        "Object",
        "Synced",
        "p50",
        "p90",
        "p99",
        "max",
        "Pending",
        name_width = width
    )?;
    for (o, object) in sc.objects.iter().enumerate() {
        let pending = r.object_pending_end(o).backlog();
        let cell = |ms: Option<Millis>| ms.map_or_else(|| "-".to_string(), human_duration);
        let l = r.object_latency(o);
        writeln!(
            w,
            "  {:name_width$}  {:>10}  {:>9}  {:>9}  {:>9}  {:>9}  {:>8}",
            object.name,
            thousands(l.map_or(0, |l| l.count)),
            cell(l.map(|l| l.p50)),
            cell(l.map(|l| l.p90)),
            cell(l.map(|l| l.p99)),
            cell(l.map(|l| l.max)),
            thousands(pending),
            name_width = width
        )?;
        if object.creations_per_hour > 0.0 {
            for (label, l) in [
                ("  created", r.creation_latency(o)),
                ("  updated", r.update_latency(o)),
            ] {
                writeln!(
                    w,
                    "  {:name_width$}  {:>10}  {:>9}  {:>9}  {:>9}  {:>9}",
                    label,
                    thousands(l.map_or(0, |l| l.count)),
                    cell(l.map(|l| l.p50)),
                    cell(l.map(|l| l.p90)),
                    cell(l.map(|l| l.p99)),
                    cell(l.map(|l| l.max)),
                    name_width = width
                )?;
            }
        }
    }
    write_service_levels(s, w)?;
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
        let [oldest_retry, oldest_timeout] = s.oldest_waiting_max();
        writeln!(
            w,
            "    at most {} failed in one hour; longest wait at an hourly reading: {} in the retry queue, {} in the timeout queue",
            thousands(s.failed_max_per_hour()),
            oldest_retry.map_or_else(|| "none".to_string(), human_duration),
            oldest_timeout.map_or_else(|| "none".to_string(), human_duration),
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
        write_short_windows(s, w)?;
        let spells = r.suppression_spells();
        let until = |end: Option<Millis>| {
            end.map_or_else(
                || "to the end of the run".to_string(),
                |t| format!("to {} h", fixed(hours(t), 2)),
            )
        };
        match spells {
            [] => {}
            [(start, end)] => writeln!(
                w,
                "    retries held back from {} h {}",
                fixed(hours(*start), 2),
                until(*end)
            )?,
            [(first, _), .., (last, end)] => writeln!(
                w,
                "    retries held back in {} spells: the first from {} h, the last from {} h {}",
                spells.len(),
                fixed(hours(*first), 2),
                fixed(hours(*last), 2),
                until(*end)
            )?,
        }
    }
    writeln!(w, "{}", conservation_text(s))?;
    if d.status == Status::Growing {
        let change = d.total_backlog - d.total_backlog_before;
        let avg: f64 = d.rows.iter().map(|r| r.avg_per_hour).sum();
        let work = if avg > 0.0 {
            format!(
                ", {} of syncing at the average rate",
                human_hours(change as f64 / avg)
            )
        } else {
            String::new()
        };
        writeln!(
            w,
            "Status Growing: {} pending at the last fetch against {} six hours before (+{} records{work}); the total read Growing for {} of the run's {}.",
            thousands(d.total_backlog),
            thousands(d.total_backlog_before),
            thousands(change),
            human_duration(s.growing_time(None)),
            human_duration(r.horizon()),
        )?;
    }
    Ok(())
}

/// The service levels the scenario declares (`[sla]`, or named by its expectations): the
/// time the backlog was above each level, and each object's share of synced updates slower
/// than each bound.
fn write_service_levels(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let sc = s.scenario();
    if sc.sla.backlog_above.is_empty() && sc.sla.latency_over.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(w, "Service levels")?;
    for &level in &sc.sla.backlog_above {
        writeln!(
            w,
            "  Backlog above {}: {} (on the {} sample grid)",
            thousands(level),
            human_duration(s.time_above(level)),
            human_duration(sc.sample_interval)
        )?;
    }
    for (k, &bound) in sc.sla.latency_over.iter().enumerate() {
        let shares: Vec<String> = sc
            .objects
            .iter()
            .enumerate()
            .map(|(o, object)| {
                format!(
                    "{} {}",
                    object.name,
                    s.share_over(o, k)
                        .map_or_else(|| "-".to_string(), |x| format!("{}%", fixed(x * 100.0, 1)))
                )
            })
            .collect();
        writeln!(
            w,
            "  Synced updates slower than {}: {}",
            human_duration(bound),
            shares.join(", ")
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

/// Simulated time `t` as the admin page shows it: a UTC instant, or in a scenario with a time
/// zone, its local time, offset and zone (`2026-12-24 08:00:00 +01:00 Europe/Berlin`).
fn when(sc: &Scenario, t: Millis) -> String {
    let at = sc.instant(t);
    if sc.calendar.is_utc_clock() {
        at.to_string()
    } else {
        format!("{} {}", sc.calendar.show(at.0), sc.calendar.time_zone)
    }
}

/// The short windows' line of the API section, for a scenario with `[[api.windows]]`: each
/// window's peak against its calls, the time the sync was held back and the 429s.
fn write_short_windows(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let burst = &s.scenario().api.burst;
    if burst.windows.is_empty() {
        return Ok(());
    }
    let figures = s.run().windows();
    let peaks: Vec<String> = burst
        .windows
        .iter()
        .zip(&figures.peaks)
        .map(|(win, peak)| {
            format!(
                "peak {} of {} per {}",
                thousands(*peak),
                thousands(win.calls),
                format_duration(win.per)
            )
        })
        .collect();
    writeln!(
        w,
        "    short windows ({}): {}; held back {}; {} 429 responses",
        burst.at_limit.name(),
        peaks.join(", "),
        human_duration(figures.waited),
        thousands(figures.rejected)
    )
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
