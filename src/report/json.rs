//! `summary.json`: what ran (program version, the scenario file and its SHA-256, every
//! override as typed, the backlog snapshot, seed, replications) and every scalar metric under
//! its stable name; for several replications, every metric's spread across them.

use std::io::{self, Write};

use crate::replicate::MonteCarlo;
use crate::scenario::Scenario;
use crate::summary::RunSummary;
use crate::text::json_number;
use crate::units::hours;

/// The JSON summary of every scalar metric.
pub const SUMMARY_FILE: &str = "summary.json";

/// The fields that say which run wrote the file, in the order written.
fn identity(
    sc: &Scenario,
    seed: u64,
    replications: usize,
) -> serde_json::Map<String, serde_json::Value> {
    let mut doc = serde_json::Map::new();
    doc.insert("scenario".into(), sc.name.clone().into());
    doc.insert("syncsim_version".into(), env!("CARGO_PKG_VERSION").into());
    let origin = &sc.origin;
    let snapshot = origin
        .snapshot
        .as_ref()
        .map_or(serde_json::Value::Null, |s| {
            serde_json::json!({
                "file": s.path.display().to_string(),
                "sha256": s.sha256,
                "skipped_rows": s.skipped_rows,
            })
        });
    doc.insert(
        "source".into(),
        serde_json::json!({
            "file": origin.source,
            "sha256": origin.sha256,
            "overrides": origin.overrides,
            "initial_backlog": snapshot,
        }),
    );
    doc.insert("seed".into(), seed.into());
    doc.insert("replications".into(), replications.into());
    doc.insert("start".into(), sc.start.to_string().into());
    doc.insert("horizon_h".into(), json_number(hours(sc.horizon)));
    doc.insert("until_clear".into(), sc.until_clear.into());
    doc.insert("policy".into(), sc.sync.policy.name().into());
    doc
}

fn value(x: Option<f64>) -> serde_json::Value {
    x.map_or(serde_json::Value::Null, json_number)
}

fn finish(doc: serde_json::Map<String, serde_json::Value>, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &serde_json::Value::Object(doc))?;
    w.write_all(b"\n")
}

/// `summary.json` of one run: every scalar metric (`null` for "not within the horizon",
/// "infinite" or "no data", as the metric catalogue says).
pub fn write_run(s: &RunSummary, w: &mut dyn Write) -> io::Result<()> {
    let mut doc = identity(s.scenario(), s.seed(), 1);
    let metrics: serde_json::Map<String, serde_json::Value> = s
        .metrics()
        .iter()
        .map(|m| (m.name.clone(), value(m.value)))
        .collect();
    doc.insert("metrics".into(), metrics.into());
    finish(doc, w)
}

/// `summary.json` of several replications: every metric's spread under its stable name, the
/// mean's confidence interval (`mean_ci`) apart from the P90's (`p90_ci`).
pub fn write_monte_carlo(mc: &MonteCarlo, w: &mut dyn Write) -> io::Result<()> {
    let sc = mc.first.scenario();
    let mut doc = identity(sc, sc.seed, mc.runs.len());
    let mut metrics = serde_json::Map::new();
    for a in &mc.aggregates {
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
    doc.insert("metrics".into(), metrics.into());
    finish(doc, w)
}
