//! Reports of a Monte Carlo run: one row per replication, the aggregate table, the backlog
//! bands, `summary.json` with every metric's spread, and a terminal summary that shows the
//! spread, not just the mean.

use std::io::{self, Write};

use super::{csv_writer, io_err, MonteCarloTable};
use crate::replicate::MonteCarlo;
use crate::stats::Aggregate;
use crate::text::{fixed, num, opt_num as opt, thousands};
use crate::units::{hours, Millis};

/// The tables a run of several replications adds to those of replication 0, in the order
/// written.
pub const TABLES: &[(&str, MonteCarloTable)] = &[
    ("replications.csv", write_replications),
    ("aggregate.csv", write_aggregates),
    ("bands.csv", write_bands),
];

/// `replications.csv`: one row per replication with every scalar metric (empty: not within
/// the horizon, or no data).
pub fn write_replications(reps: &MonteCarlo, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv_writer(w);
    let mut header = vec!["replication".to_string(), "seed".to_string()];
    header.extend(reps.names.iter().cloned());
    out.write_record(&header).map_err(io_err)?;
    for r in &reps.runs {
        let mut row = vec![r.index.to_string(), r.seed.to_string()];
        row.extend(r.values.iter().map(|v| opt(*v)));
        out.write_record(&row).map_err(io_err)?;
    }
    out.flush()
}

/// `aggregate.csv`: every scalar metric across replications.
pub fn write_aggregates(mc: &MonteCarlo, w: &mut dyn Write) -> io::Result<()> {
    let aggs = &mc.aggregates;
    let mut out = csv_writer(w);
    out.write_record([
        "metric",
        "n",
        "never",
        "mean",
        "mean_ci_low",
        "mean_ci_high",
        "sd",
        "min",
        "p5",
        "p50",
        "p90",
        "p90_ci_low",
        "p90_ci_high",
        "p95",
        "max",
    ])
    .map_err(io_err)?;
    for a in aggs {
        let never_or = |x: Option<f64>| match x {
            Some(v) => num(v),
            None if a.never > 0 => "never".to_string(),
            None => String::new(),
        };
        let (ci_low, ci_high) = a.p90_ci.unwrap_or((None, None));
        out.write_record([
            a.name.clone(),
            a.n.to_string(),
            a.never.to_string(),
            opt(a.mean),
            opt(a.mean_ci.map(|c| c.low)),
            opt(a.mean_ci.map(|c| c.high)),
            opt(a.sd),
            opt(a.min),
            never_or(a.p5),
            never_or(a.p50),
            never_or(a.p90),
            never_or(ci_low),
            never_or(ci_high),
            never_or(a.p95),
            never_or(a.max),
        ])
        .map_err(io_err)?;
    }
    out.flush()
}

/// `bands.csv`: p10 / p50 / p90 of the total backlog and of each object's backlog at every
/// sample.
pub fn write_bands(reps: &MonteCarlo, w: &mut dyn Write) -> io::Result<()> {
    let sc = reps.first.scenario();
    let mut out = csv_writer(w);
    let mut header = vec![
        "time_utc".to_string(),
        "elapsed_h".into(),
        "total_p10".into(),
        "total_p50".into(),
        "total_p90".into(),
    ];
    for o in &sc.objects {
        for p in ["p10", "p50", "p90"] {
            header.push(format!("{}_{p}", o.name));
        }
    }
    out.write_record(&header).map_err(io_err)?;
    let total = &reps.total_band;
    let objects = &reps.object_bands;
    for (i, &t) in reps.sample_times.iter().enumerate() {
        let mut row = vec![
            sc.instant(t).to_string(),
            fixed(hours(t), 4),
            total.p10[i].to_string(),
            total.p50[i].to_string(),
            total.p90[i].to_string(),
        ];
        for b in objects {
            row.extend([
                b.p10[i].to_string(),
                b.p50[i].to_string(),
                b.p90[i].to_string(),
            ]);
        }
        out.write_record(&row).map_err(io_err)?;
    }
    out.flush()
}

/// A percentile or bound written by `f`; `None` is a time that did not come within the horizon
/// in enough replications ("never").
pub fn or_never(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or_else(|| "never".to_string(), f)
}

/// How many replications a time did not come in: "2 of 5", or `None` when it always came.
pub fn never_text(a: &Aggregate) -> Option<String> {
    (a.never > 0).then(|| format!("{} of {}", a.never, a.n + a.never))
}

/// The 95% confidence interval of the mean as "low-high", each bound written by `f`, or `None`
/// when there is none (fewer than two replications, or a time that did not always come).
pub fn mean_ci_text(a: &Aggregate, f: impl Fn(f64) -> String) -> Option<String> {
    a.mean_ci.map(|c| format!("{}-{}", f(c.low), f(c.high)))
}

/// A metric's spread, each statistic labelled by what it is: "mean 6.57 h (95% CI of the
/// mean 6.56-6.57 h), P50 6.57 h, P90 6.58 h (95% CI of the P90 6.58-6.59 h)", each number
/// written by `number` and followed by `unit`.
pub fn spread(a: &Aggregate, unit: &str, number: impl Fn(f64) -> String) -> String {
    let f = |x: Option<f64>| or_never(x, &number);
    let mean = match (a.mean, never_text(a)) {
        (Some(m), _) => {
            let ci = mean_ci_text(a, &number).map_or(String::new(), |ci| {
                format!(" (95% CI of the mean {ci}{unit})")
            });
            format!("mean {}{unit}{ci}", number(m))
        }
        (None, Some(never)) => format!("{never} never within the horizon"),
        (None, None) => "no data".to_string(),
    };
    let p90_ci = p90_ci_text(a, &number).map_or(String::new(), |ci| {
        format!(" (95% CI of the P90 {ci}{unit})")
    });
    format!(
        "{mean}, P50 {}{unit}, P90 {}{unit}{p90_ci}",
        f(a.p50),
        f(a.p90)
    )
}

/// The 95% confidence interval of the P90 as "low-high", each bound written by `f` or
/// "never"; just "never" when both bounds are; `None` when there is none (fewer than two
/// replications).
pub fn p90_ci_text(a: &Aggregate, f: impl Fn(f64) -> String) -> Option<String> {
    a.p90_ci.map(|(lo, hi)| match (lo, hi) {
        (None, None) => "never".to_string(),
        (lo, hi) => format!("{}-{}", or_never(lo, &f), or_never(hi, &f)),
    })
}

/// A mean across replications with its 95% confidence interval: "2.77 (2.76-2.78)"; "-"
/// without a mean.
pub fn mean_with_ci(a: &Aggregate, decimals: usize) -> String {
    let Some(mean) = a.mean else {
        return "-".to_string();
    };
    match mean_ci_text(a, |x| fixed(x, decimals)) {
        Some(ci) => format!("{} ({ci})", fixed(mean, decimals)),
        None => fixed(mean, decimals),
    }
}

/// Hours with two decimals.
fn hours2(x: f64) -> String {
    fixed(x, 2)
}

/// A number of records, rounded, digits grouped.
fn records(x: f64) -> String {
    thousands(x.round() as u64)
}

/// The terminal summary of a Monte Carlo run; `elapsed` is how long it took, if shown.
pub fn write_terminal(
    mc: &MonteCarlo,
    elapsed: Option<Millis>,
    w: &mut dyn Write,
) -> io::Result<()> {
    let sc = mc.first.scenario();
    writeln!(
        w,
        "{}: {} replications, {} from {}, policy {}, {} worker{}",
        sc.name,
        mc.runs.len(),
        super::terminal::horizon_text(sc),
        sc.start,
        sc.sync.policy.name(),
        sc.sync.workers,
        if sc.sync.workers == 1 { "" } else { "s" }
    )?;
    if let Some(ms) = elapsed {
        writeln!(w, "  ran in {:.2} s", ms as f64 / 1000.0)?;
    }
    writeln!(w)?;
    for e in mc.first.run().events() {
        for (what, key) in [("clear", "clear_h"), ("recovery", "recovery_h")] {
            if let Some(a) = mc.aggregate(&format!("event.{}.{key}", e.name)) {
                writeln!(w, "Event {} {what}: {}", e.name, spread(a, " h", hours2))?;
            }
        }
    }
    if let Some(a) = mc.aggregate("backlog.max") {
        writeln!(w, "Max backlog: {}", spread(a, "", records))?;
    }
    if let Some(a) = mc.aggregate("backlog.end") {
        writeln!(w, "Backlog at the end: {}", spread(a, "", records))?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "Latency of synced updates, minutes: each replication's percentile, mean across \
         replications (95% CI of the mean)"
    )?;
    let width = super::terminal::name_width(sc);
    writeln!(
        w,
        "  {:width$}  {:>22}  {:>22}  {:>22}",
        "Object", "p50", "p90", "p99"
    )?;
    for o in &sc.objects {
        let cell = |q: &str| {
            mc.aggregate(&format!("latency.{}.{q}_min", o.name))
                .map_or_else(|| "-".to_string(), |a| mean_with_ci(a, 2))
        };
        writeln!(
            w,
            "  {:width$}  {:>22}  {:>22}  {:>22}",
            o.name,
            cell("p50"),
            cell("p90"),
            cell("p99")
        )?;
    }
    type Number = fn(f64) -> String;
    let lines: [(&str, &str, &str, Number); 3] = [
        ("Timeout queue at the end", "timeout_queue_end", "", records),
        ("Time paused by the API limit", "api.paused_h", " h", hours2),
        (
            "Time retries were held back",
            "api.suppressed_h",
            " h",
            hours2,
        ),
    ];
    for (label, key, unit, number) in lines {
        if let Some(a) = mc.aggregate(key).filter(|a| a.max.unwrap_or(0.0) > 0.0) {
            writeln!(w, "{label}: {}", spread(a, unit, number))?;
        }
    }
    if let Some(a) = mc.aggregate("edits") {
        writeln!(
            w,
            "\nEdits per replication: mean {} (95% CI of the mean {}-{})",
            thousands(a.mean.unwrap_or(0.0).round() as u64),
            thousands(a.mean_ci.map_or(0.0, |c| c.low).round() as u64),
            thousands(a.mean_ci.map_or(0.0, |c| c.high).round() as u64)
        )?;
    }
    Ok(())
}
