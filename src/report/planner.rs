//! The planner's tables: `sweep.csv`, `solve.csv`, `schedule.csv` and the recommended plan,
//! and their terminal views (solve's in `planner/solve.rs`, what is said about ties in
//! `planner/ties.rs`). The planner computes them ([`crate::planner`]); this module only
//! writes them.

mod solve;
mod ties;

pub use solve::{interval_text, solve_header, write_solve_csv, write_solve_terminal};
pub use ties::{comment, recommendation_lines, sweep_lines};

use std::io::{self, Write};

use crate::planner::schedule::{after_start, part_spread, PlanResult, ScheduleSpec, TIE_BREAK};
use crate::planner::sweep::SweepTable;
use crate::planner::toml_string;
use crate::scenario::{Scenario, Selection};
use crate::text::{cell, csv_io_error as io_err, csv_writer, num};
use crate::units::{format_duration, Instant, Millis, SECOND};

// ----- sweep -----

/// The statistics written for every metric, in column order (`<metric>:<stat>`).
pub const STATS: [&str; 5] = ["mean", "mean_ci_low", "mean_ci_high", "p50", "p90"];

/// The header of `sweep.csv`: `point`, the swept paths, then `<metric>:<stat>` for every
/// metric and each of [`STATS`].
pub fn sweep_header(table: &SweepTable) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(table.axes.iter().cloned());
    for m in &table.metrics {
        h.extend(STATS.iter().map(|s| format!("{m}:{s}")));
    }
    h
}

/// `sweep.csv`: one row per point. A percentile that fell among runs where the time never
/// came within the horizon is `never`; a value with no data is empty.
pub fn write_sweep_csv(table: &SweepTable, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record(sweep_header(table)).map_err(io_err)?;
    let opt = |x: Option<f64>| x.map(num).unwrap_or_default();
    for row in &table.rows {
        let mut record = vec![row.point.to_string()];
        record.extend(row.values.iter().cloned());
        for a in &row.aggregates {
            let never_or = |x: Option<f64>| match x {
                Some(v) => num(v),
                None if a.never > 0 => "never".to_string(),
                None => String::new(),
            };
            record.extend([
                opt(a.mean),
                opt(a.mean_ci.map(|c| c.low)),
                opt(a.mean_ci.map(|c| c.high)),
                never_or(a.p50),
                never_or(a.p90),
            ]);
        }
        out.write_record(&record).map_err(io_err)?;
    }
    out.flush()
}

/// The terminal view: each point's values with the median of a few headline metrics (each
/// event's clear time, the peak backlog), at most `limit` rows.
pub fn write_sweep_terminal(table: &SweepTable, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    let mut shown: Vec<usize> = table
        .metrics
        .iter()
        .enumerate()
        .filter(|(_, m)| m.starts_with("event.") && m.ends_with(".clear_h"))
        .map(|(i, _)| i)
        .take(3)
        .collect();
    shown.extend(table.metrics.iter().position(|m| m == "backlog.max"));
    let mut head: Vec<String> = vec!["point".into()];
    head.extend(table.axes.iter().cloned());
    head.extend(shown.iter().map(|&i| format!("{} p50", table.metrics[i])));
    let mut lines: Vec<Vec<String>> = vec![head];
    for row in table.rows.iter().take(limit) {
        let mut line = vec![row.point.to_string()];
        line.extend(row.values.iter().cloned());
        line.extend(
            shown
                .iter()
                .map(|&i| cell(&table.metrics[i], row.aggregates[i].p50)),
        );
        lines.push(line);
    }
    write_aligned(&lines, w)?;
    if table.rows.len() > limit {
        writeln!(w, "  ... {} more rows", table.rows.len() - limit)?;
    }
    Ok(())
}

/// Writes rows as right-aligned columns, two spaces in, two apart.
pub fn write_aligned(lines: &[Vec<String>], w: &mut dyn Write) -> io::Result<()> {
    let cols = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            lines
                .iter()
                .filter_map(|l| l.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(s, &width)| format!("{s:>width$}"))
            .collect();
        writeln!(w, "  {}", cells.join("  "))?;
    }
    Ok(())
}

// ----- solve: `planner/solve.rs` -----

// ----- schedule -----

/// `schedule.csv`'s header.
pub fn schedule_header(spec: &ScheduleSpec) -> Vec<String> {
    let mut h: Vec<String> = [
        "plan",
        "start",
        "start_utc",
        "part_size",
        "spacing",
        "parts",
    ]
    .map(String::from)
    .to_vec();
    if let Some(e) = &spec.constraints {
        h.extend(e.conditions.iter().map(|c| c.to_string()));
    }
    h.push("meets".into());
    h.push(format!("{} {}", spec.rank_by.0, spec.rank_by.1));
    h.push(format!("{TIE_BREAK} p50"));
    h
}

fn schedule_row(spec: &ScheduleSpec, start: Instant, r: &PlanResult) -> Vec<String> {
    let p = &r.plan;
    let mut row = vec![
        p.index.to_string(),
        format_duration(p.start),
        start.plus(p.start).to_string(),
        p.part_size.to_string(),
        if p.parts == 1 {
            String::new()
        } else {
            format_duration(p.spacing)
        },
        p.parts.to_string(),
    ];
    row.extend(
        r.verdicts
            .iter()
            .map(|v| cell(&v.condition.metric, v.actual)),
    );
    row.push(if r.meets { "yes" } else { "no" }.into());
    row.push(cell(&spec.rank_by.0, r.rank));
    row.push(cell(TIE_BREAK, r.tie));
    row
}

/// `schedule.csv`: every plan evaluated, in plan order (no rank column, so that shards
/// merge; sort by `meets`, then the last two columns, to rank).
pub fn write_schedule_csv(
    spec: &ScheduleSpec,
    start: Instant,
    results: &[PlanResult],
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record(schedule_header(spec)).map_err(io_err)?;
    for r in results {
        out.write_record(schedule_row(spec, start, r))
            .map_err(io_err)?;
    }
    out.flush()
}

/// The best `top` plans as a table; with a `group` (indices into `ranked`), a column marks
/// the plans equivalent to the best.
pub fn write_ranking(
    spec: &ScheduleSpec,
    start: Instant,
    ranked: &[&PlanResult],
    top: usize,
    group: &[usize],
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut head = vec![
        "rank".to_string(),
        "plan".into(),
        "start_utc".into(),
        "split".into(),
    ];
    if !group.is_empty() {
        head.push("equivalent".into());
    }
    head.push(format!("{} {}", spec.rank_by.0, spec.rank_by.1));
    head.push(format!("{TIE_BREAK} p50"));
    if let Some(e) = &spec.constraints {
        head.extend(e.conditions.iter().map(|c| c.to_string()));
    }
    let mut lines = vec![head];
    for (i, r) in ranked.iter().take(top).enumerate() {
        let mut line = vec![
            (i + 1).to_string(),
            r.plan.index.to_string(),
            start.plus(r.plan.start).to_string(),
            r.plan.split_text(),
        ];
        if !group.is_empty() {
            line.push(if group.contains(&i) { "yes" } else { "" }.into());
        }
        line.extend([cell(&spec.rank_by.0, r.rank), cell(TIE_BREAK, r.tie)]);
        line.extend(
            r.verdicts
                .iter()
                .map(|v| cell(&v.condition.metric, v.actual)),
        );
        lines.push(line);
    }
    write_aligned(&lines, w)
}

/// The recommended plan as `[events....]` tables to paste over the update's table in the
/// scenario, with `why` it was picked as comments; `None` when no plan met the constraints
/// (then a comment says so).
pub fn snippet(
    spec: &ScheduleSpec,
    sc: &Scenario,
    best: Option<&PlanResult>,
    why: &[String],
) -> String {
    let b = &spec.bulk;
    let mut s = String::new();
    let Some(best) = best else {
        s.push_str(&format!(
            "# syncsim schedule: no plan for event '{}' of scenario '{}' met the constraints;\n# nothing to recommend. See schedule.csv for every plan's statistics.\n",
            b.name, sc.name
        ));
        return s;
    };
    let p = &best.plan;
    s.push_str(&format!(
        "# Recommended by syncsim schedule for event '{}' of scenario '{}':\n",
        b.name, sc.name
    ));
    s.push_str(&format!(
        "# start {} ({}), split {}.\n",
        sc.instant(p.start),
        after_start(p.start),
        p.split_text()
    ));
    s.push_str(&format!(
        "# {} {} = {}, {TIE_BREAK} p50 = {} over {} replications",
        spec.rank_by.0,
        spec.rank_by.1,
        cell(&spec.rank_by.0, best.rank),
        cell(TIE_BREAK, best.tie),
        spec.replications
    ));
    if best.verdicts.is_empty() {
        s.push_str(".\n");
    } else {
        s.push_str("; every constraint holds:\n");
        for v in &best.verdicts {
            s.push_str(&format!(
                "#   {} (actual {})\n",
                v.condition,
                cell(&v.condition.metric, v.actual)
            ));
        }
    }
    for line in why {
        s.push_str(&comment(line, 92));
    }
    s.push_str(&format!(
        "# Replace the [events.{}] table of the scenario with the table{} below.\n",
        b.name,
        if p.parts == 1 { "" } else { "s" }
    ));
    for i in 1..=p.parts {
        let (count, offset) = p.part(b, i);
        let at = p.start + (i - 1) as Millis * p.spacing;
        let at_text = if at % SECOND == 0 {
            sc.instant(at).to_string()
        } else {
            format_duration(at)
        };
        s.push_str(&format!("\n[events.{}]\n", b.part_name(i)));
        s.push_str("kind = \"bulk_update\"\n");
        s.push_str(&format!("at = {}\n", toml_string(&at_text)));
        s.push_str(&format!("object = {}\n", toml_string(&b.object)));
        s.push_str(&format!(
            "direction = {}\n",
            toml_string(b.direction.name())
        ));
        s.push_str(&format!("count = {count}\n"));
        s.push_str(&format!(
            "spread = {}\n",
            toml_string(&format_duration(part_spread(b, count)))
        ));
        match b.selection {
            Selection::Sequential => {
                s.push_str("records = \"sequential\"\n");
                s.push_str(&format!("first_record = {}\n", b.first_record + offset));
            }
            Selection::Random => s.push_str("records = \"random\"\n"),
        }
        s.push_str(&format!("synced_fields = {}\n", b.synced_fields));
    }
    s
}
