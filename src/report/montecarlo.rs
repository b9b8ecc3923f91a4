//! Reports of a Monte Carlo run: one row per replication, the aggregate table, the backlog
//! bands, `summary.json` with every metric's spread, and a terminal summary that shows the
//! spread, not just the mean.

use std::io::{self, Write};

use super::{csv_writer, fixed, io_err, json_number};
use crate::replicate::{Aggregate, Replications};
use crate::report::terminal::thousands;
use crate::scenario::Scenario;
use crate::units::{format_duration, Millis, HOUR};

/// The files a Monte Carlo run adds to those of replication 0.
pub const FILES: [&str; 3] = ["replications.csv", "aggregate.csv", "bands.csv"];

/// A number for CSV, rounded exactly as in JSON ([`json_number`]): integers without decimals,
/// others to at most 6 decimals in their shortest form.
pub fn num(x: f64) -> String {
    match json_number(x) {
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

/// `replications.csv`: one row per replication with every scalar metric (empty: not within
/// the horizon, or no data).
pub fn write_replications(reps: &Replications, w: &mut dyn Write) -> io::Result<()> {
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
pub fn write_aggregates(aggs: &[Aggregate], w: &mut dyn Write) -> io::Result<()> {
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
pub fn write_bands(sc: &Scenario, reps: &Replications, w: &mut dyn Write) -> io::Result<()> {
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
    let total = reps.total_band();
    let objects: Vec<_> = (0..sc.objects.len()).map(|o| reps.object_band(o)).collect();
    for (i, &t) in reps.sample_times.iter().enumerate() {
        let mut row = vec![
            sc.instant(t).to_string(),
            fixed(t as f64 / HOUR as f64, 4),
            total.p10[i].to_string(),
            total.p50[i].to_string(),
            total.p90[i].to_string(),
        ];
        for b in &objects {
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

/// `summary.json` of a Monte Carlo run: every metric's spread under its stable name.
pub fn write_summary(
    sc: &Scenario,
    reps: &Replications,
    aggs: &[Aggregate],
    w: &mut dyn Write,
) -> io::Result<()> {
    let value = |x: Option<f64>| x.map_or(serde_json::Value::Null, json_number);
    let mut metrics = serde_json::Map::new();
    for a in aggs {
        let (lo, hi) = a.p90_ci.unwrap_or((None, None));
        metrics.insert(
            a.name.clone(),
            serde_json::json!({
                "n": a.n,
                "never": a.never,
                "mean": value(a.mean),
                "mean_ci": [value(a.mean_ci.map(|c| c.low)), value(a.mean_ci.map(|c| c.high))],
                "sd": value(a.sd),
                "min": value(a.min),
                "p5": value(a.p5),
                "p50": value(a.p50),
                "p90": value(a.p90),
                "p90_ci": [value(lo), value(hi)],
                "p95": value(a.p95),
                "max": value(a.max),
            }),
        );
    }
    let doc = serde_json::json!({
        "scenario": sc.name,
        "seed": sc.seed,
        "replications": reps.runs.len(),
        "start": sc.start.to_string(),
        "horizon_h": json_number(sc.horizon as f64 / HOUR as f64),
        "policy": sc.sync.policy.name(),
        "metrics": metrics,
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    w.write_all(b"\n")
}

/// A Monte Carlo run as the reports of replication 0 see it: every replication's summary and
/// every metric's spread, so the dashboard can show the forecast across replications.
#[derive(Debug, Clone, Copy)]
pub struct Forecast<'a> {
    /// The replications (replication 0 in full, the others as summaries).
    pub reps: &'a Replications,
    /// Every scalar metric aggregated ([`Replications::aggregates`]).
    pub aggregates: &'a [Aggregate],
}

impl Forecast<'_> {
    /// The aggregate of metric `name`, if the runs have it.
    pub fn find(&self, name: &str) -> Option<&Aggregate> {
        find(self.aggregates, name)
    }
}

/// The aggregate of metric `name` among `aggs`.
pub fn find<'a>(aggs: &'a [Aggregate], name: &str) -> Option<&'a Aggregate> {
    aggs.iter().find(|a| a.name == name)
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

/// "6.57 h, P90 6.60 h (95% CI 6.58-6.61 h)" for a metric in `unit`.
pub fn spread(a: &Aggregate, unit: &str, decimals: usize) -> String {
    let f = |x: Option<f64>| or_never(x, |v| fixed(v, decimals));
    let mean = match (a.mean, never_text(a)) {
        (Some(m), _) => format!("mean {}{unit}", fixed(m, decimals)),
        (None, Some(never)) => format!("{never} never within the horizon"),
        (None, None) => "no data".to_string(),
    };
    let ci = match a.p90_ci {
        Some((lo, hi)) => format!(" (95% CI {}-{}{unit})", f(lo), f(hi)),
        None => String::new(),
    };
    format!("{mean}, P50 {}{unit}, P90 {}{unit}{ci}", f(a.p50), f(a.p90))
}

/// The terminal summary of a Monte Carlo run.
pub fn write_terminal(
    sc: &Scenario,
    reps: &Replications,
    aggs: &[Aggregate],
    elapsed: Option<Millis>,
    w: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        w,
        "{}: {} replications, {} from {}, policy {}, {} worker{}",
        sc.name,
        reps.runs.len(),
        format_duration(sc.horizon),
        sc.start,
        sc.sync.policy.name(),
        sc.sync.workers,
        if sc.sync.workers == 1 { "" } else { "s" }
    )?;
    if let Some(ms) = elapsed {
        writeln!(w, "  ran in {:.2} s", ms as f64 / 1000.0)?;
    }
    writeln!(w)?;
    for e in &reps.first.events {
        for (what, key) in [("clear", "clear_h"), ("recovery", "recovery_h")] {
            if let Some(a) = find(aggs, &format!("event.{}.{key}", e.name)) {
                writeln!(w, "Event {} {what}: {}", e.name, spread(a, " h", 2))?;
            }
        }
    }
    if let Some(a) = find(aggs, "backlog.max") {
        writeln!(w, "Max backlog: {}", spread(a, "", 0))?;
    }
    if let Some(a) = find(aggs, "backlog.end") {
        writeln!(w, "Backlog at the end: {}", spread(a, "", 0))?;
    }
    writeln!(w)?;
    writeln!(w, "Latency of synced updates, minutes (median across replications [P5-P95 across replications])")?;
    let width = super::terminal::name_width(sc);
    writeln!(
        w,
        "  {:width$}  {:>22}  {:>22}  {:>22}",
        "Object", "p50", "p90", "p99"
    )?;
    for o in &sc.objects {
        let cell = |q: &str| {
            find(aggs, &format!("latency.{}.{q}_min", o.name)).map_or_else(
                || "-".to_string(),
                |a| match (a.p50, a.p5, a.p95) {
                    (Some(m), Some(lo), Some(hi)) => {
                        format!("{} [{}-{}]", fixed(m, 2), fixed(lo, 2), fixed(hi, 2))
                    }
                    _ => "-".to_string(),
                },
            )
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
    for (label, key, unit, dec) in [
        ("Timeout queue at the end", "timeout_queue_end", "", 0),
        ("Time paused by the API limit", "api.paused_h", " h", 2),
        ("Time retries were held back", "api.suppressed_h", " h", 2),
    ] {
        if let Some(a) = find(aggs, key).filter(|a| a.max.unwrap_or(0.0) > 0.0) {
            writeln!(w, "{label}: {}", spread(a, unit, dec))?;
        }
    }
    if let Some(a) = find(aggs, "edits") {
        writeln!(
            w,
            "\nEdits per replication: mean {} (95% CI {}-{})",
            thousands(a.mean.unwrap_or(0.0).round() as u64),
            thousands(a.mean_ci.map_or(0.0, |c| c.low).round() as u64),
            thousands(a.mean_ci.map_or(0.0, |c| c.high).round() as u64)
        )?;
    }
    Ok(())
}
