//! CI regression mode: run scenarios with expectations, evaluate them, and compare every
//! scalar metric with a stored baseline.
//!
//! A baseline holds, per scenario, one value per metric: the mean across replications when
//! every replication has one, else the median (`null` for "never"). Drift is the relative
//! change from the baseline; whether a change is worse or better depends on the metric
//! ([`catalogue::better`]).

use std::collections::BTreeMap;

use crate::catalogue::{self, Better};
use crate::expr::{self, Verdict};
use crate::replicate::{self, MonteCarlo};
use crate::scenario::Scenario;

/// One scenario's checked run.
#[derive(Debug)]
pub struct ScenarioCheck {
    /// The scenario file as given.
    pub file: String,
    /// The scenario.
    pub scenario: Scenario,
    /// Replications run.
    pub replications: u64,
    /// Every expectation's verdict: (expectation name, verdicts of its conditions).
    pub expectations: Vec<(String, Vec<Verdict>)>,
    /// One value per metric for baselines.
    pub values: BTreeMap<String, Option<f64>>,
}

impl ScenarioCheck {
    /// Whether every expectation holds.
    pub fn passed(&self) -> bool {
        self.expectations
            .iter()
            .all(|(_, v)| v.iter().all(|v| v.pass))
    }
}

/// Why a check could not be judged: an expectation names a metric its scenario's runs do not
/// have (a mistake in the scenario, not a failed expectation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scenario '{file}': expect.{expectation}: no metric named '{metric}'; metrics starting the same way: {near} (all names: docs/outputs.md)")]
pub struct UnknownMetric {
    /// The scenario file.
    pub file: String,
    /// The expectation's name.
    pub expectation: String,
    /// The metric as written.
    pub metric: String,
    /// Metrics of the run that share its first dotted key, or "none".
    pub near: String,
}

/// A scenario's drift against the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioDrift {
    /// The scenario's name.
    pub scenario: String,
    /// Whether the baseline has it (if not, nothing is compared).
    pub in_baseline: bool,
    /// The metrics that moved beyond the tolerance.
    pub drifts: Vec<Drift>,
}

/// What `syncsim check` found: every scenario's checked run and, with a baseline, its drift.
#[derive(Debug)]
pub struct CheckRun {
    /// One per scenario, in the order given.
    pub checks: Vec<ScenarioCheck>,
    /// One per scenario when compared with a baseline, else empty.
    pub drifts: Vec<ScenarioDrift>,
}

impl CheckRun {
    /// Whether some expectation failed.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| !c.passed())
    }

    /// How many expectations hold, of how many.
    pub fn expectations_passed(&self) -> (usize, usize) {
        let all = self.checks.iter().flat_map(|c| &c.expectations);
        let passed = all
            .clone()
            .filter(|(_, v)| v.iter().all(|v| v.pass))
            .count();
        (passed, all.count())
    }

    /// Whether some metric drifted the wrong way beyond the tolerance.
    pub fn worse(&self) -> bool {
        self.drifts
            .iter()
            .any(|d| d.drifts.iter().any(|d| d.verdict == DriftVerdict::Worse))
    }

    /// `baseline` with this run's scenarios in it (replacing their old entries; the others'
    /// kept).
    pub fn updated_baseline(&self, baseline: Option<&Baseline>) -> Baseline {
        let mut updated = baseline.cloned().unwrap_or_default();
        for c in &self.checks {
            updated.insert(
                c.scenario.name.clone(),
                BaselineEntry {
                    replications: c.replications,
                    seed: c.scenario.seed,
                    metrics: c.values.clone(),
                },
            );
        }
        updated
    }
}

/// Checks every `(file, scenario)` in parallel on the current rayon pool (`replications` each,
/// default the scenario's), and compares them with `baseline` if given: drift beyond
/// `tolerance` (relative).
pub fn run(
    scenarios: Vec<(String, Scenario)>,
    replications: Option<u64>,
    baseline: Option<&Baseline>,
    tolerance: f64,
) -> Result<CheckRun, UnknownMetric> {
    use rayon::prelude::*;
    let checks: Vec<ScenarioCheck> = scenarios
        .into_par_iter()
        .map(|(file, sc)| {
            let r = replications.unwrap_or(sc.replications as u64);
            check(&file, sc, r)
        })
        .collect();
    for c in &checks {
        for (name, verdicts) in &c.expectations {
            if let Some(v) = verdicts.iter().find(|v| v.unknown_metric) {
                let near: Vec<&str> = c
                    .values
                    .keys()
                    .filter(|k| k.split('.').next() == v.condition.metric.split('.').next())
                    .take(8)
                    .map(String::as_str)
                    .collect();
                return Err(UnknownMetric {
                    file: c.file.clone(),
                    expectation: name.clone(),
                    metric: v.condition.metric.clone(),
                    near: if near.is_empty() {
                        "none".into()
                    } else {
                        near.join(", ")
                    },
                });
            }
        }
    }
    let drifts = match baseline {
        None => Vec::new(),
        Some(b) => checks
            .iter()
            .map(|c| {
                let entry = b.get(&c.scenario.name);
                ScenarioDrift {
                    scenario: c.scenario.name.clone(),
                    in_baseline: entry.is_some(),
                    drifts: entry
                        .map(|e| drift(&e.metrics, &c.values, tolerance))
                        .unwrap_or_default(),
                }
            })
            .collect(),
    };
    Ok(CheckRun { checks, drifts })
}

/// Runs `scenario` with `replications` and evaluates its expectations.
pub fn check(file: &str, scenario: Scenario, replications: u64) -> ScenarioCheck {
    let reps = replicate::run(&scenario, replications, &|| {});
    let expectations = scenario
        .expect
        .iter()
        .map(|(name, e)| (name.clone(), expr::evaluate(e, |m| reps.column(m))))
        .collect();
    let values = baseline_values(&reps);
    ScenarioCheck {
        file: file.to_string(),
        scenario,
        replications,
        expectations,
        values,
    }
}

/// The value each metric contributes to a baseline: the mean when every replication has a
/// value, else the median (never ranked last).
pub fn baseline_values(reps: &MonteCarlo) -> BTreeMap<String, Option<f64>> {
    reps.aggregates
        .iter()
        .map(|a| {
            let v = if a.never == 0 && a.n == reps.runs.len() {
                a.mean
            } else {
                a.p50
            };
            (a.name.clone(), v.map(|x| (x * 1e6).round() / 1e6))
        })
        .collect()
}

/// How a metric moved against its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    /// Metric.
    pub metric: String,
    /// Baseline value (`None`: never).
    pub baseline: Option<f64>,
    /// Current value.
    pub current: Option<f64>,
    /// Relative change, when both are numbers.
    pub relative: Option<f64>,
    /// Worse, better or neutral.
    pub verdict: DriftVerdict,
}

/// Whether a drift is a regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftVerdict {
    /// Moved the wrong way beyond the tolerance.
    Worse,
    /// Moved the right way beyond the tolerance.
    Better,
    /// Changed beyond the tolerance, in a metric with no good direction.
    Changed,
    /// In the baseline but no longer produced, or new.
    Missing,
}

impl DriftVerdict {
    /// The word used in reports.
    pub fn label(self) -> &'static str {
        match self {
            DriftVerdict::Worse => "worse",
            DriftVerdict::Better => "better",
            DriftVerdict::Changed => "changed",
            DriftVerdict::Missing => "missing",
        }
    }
}

/// The metrics that moved beyond `tolerance` (relative) from `baseline`; a change between a
/// number and "never" always counts.
pub fn drift(
    baseline: &BTreeMap<String, Option<f64>>,
    current: &BTreeMap<String, Option<f64>>,
    tolerance: f64,
) -> Vec<Drift> {
    let mut out = Vec::new();
    for (metric, &old) in baseline {
        let Some(&new) = current.get(metric) else {
            out.push(Drift {
                metric: metric.clone(),
                baseline: old,
                current: None,
                relative: None,
                verdict: DriftVerdict::Missing,
            });
            continue;
        };
        let (relative, up) = match (old, new) {
            (Some(a), Some(b)) => {
                let rel = if a == b {
                    0.0
                } else {
                    (b - a) / a.abs().max(1e-9)
                };
                if rel.abs() <= tolerance {
                    continue;
                }
                (Some(rel), b > a)
            }
            (None, None) => continue,
            // From never to a number is down (it now happens); the reverse is up.
            (None, Some(_)) => (None, false),
            (Some(_), None) => (None, true),
        };
        let verdict = match (catalogue::better(metric), up) {
            (Better::Neither, _) => DriftVerdict::Changed,
            (Better::Lower, true) | (Better::Higher, false) => DriftVerdict::Worse,
            _ => DriftVerdict::Better,
        };
        out.push(Drift {
            metric: metric.clone(),
            baseline: old,
            current: new,
            relative,
            verdict,
        });
    }
    for metric in current.keys().filter(|m| !baseline.contains_key(*m)) {
        out.push(Drift {
            metric: metric.clone(),
            baseline: None,
            current: current[metric],
            relative: None,
            verdict: DriftVerdict::Missing,
        });
    }
    out
}

/// A baseline file: per scenario, its replications and metric values.
pub type Baseline = BTreeMap<String, BaselineEntry>;

/// One scenario in a baseline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BaselineEntry {
    /// Replications the values come from.
    pub replications: u64,
    /// Seed of the scenario.
    pub seed: u64,
    /// Metric values (`null`: never).
    pub metrics: BTreeMap<String, Option<f64>>,
}

/// The baseline file's text: sorted keys, two-space indent, one metric per line, so a
/// change shows as a small diff in review.
pub fn baseline_text(baseline: &Baseline) -> String {
    let mut text = serde_json::to_string_pretty(&serde_json::json!({
        "syncsim_baseline": 1,
        "scenarios": baseline,
    }))
    .expect("a baseline serializes");
    text.push('\n');
    text
}

/// Parses a baseline file's text.
pub fn parse_baseline(text: &str) -> Result<Baseline, String> {
    #[derive(serde::Deserialize)]
    struct File {
        syncsim_baseline: u32,
        scenarios: Baseline,
    }
    let file: File =
        serde_json::from_str(text).map_err(|e| format!("not a syncsim baseline: {e}"))?;
    if file.syncsim_baseline != 1 {
        return Err(format!(
            "baseline format {} is not supported (expected 1)",
            file.syncsim_baseline
        ));
    }
    Ok(file.scenarios)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Option<f64>)]) -> BTreeMap<String, Option<f64>> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn drift_distinguishes_worse_from_better() {
        let base = map(&[
            ("backlog.max", Some(100.0)),
            ("synced", Some(100.0)),
            ("edits", Some(100.0)),
            ("event.x.clear_h", Some(5.0)),
        ]);
        let same = drift(&base, &base, 0.01);
        assert!(same.is_empty(), "an identical run shows no drift");
        let cur = map(&[
            ("backlog.max", Some(120.0)),
            ("synced", Some(120.0)),
            ("edits", Some(100.5)),
            ("event.x.clear_h", None),
        ]);
        let d = drift(&base, &cur, 0.01);
        let verdict = |m: &str| d.iter().find(|x| x.metric == m).map(|x| x.verdict);
        assert_eq!(verdict("backlog.max"), Some(DriftVerdict::Worse));
        assert_eq!(verdict("synced"), Some(DriftVerdict::Better));
        assert_eq!(verdict("edits"), None, "within tolerance");
        assert_eq!(
            verdict("event.x.clear_h"),
            Some(DriftVerdict::Worse),
            "no longer clears"
        );
        assert!((d[0].relative.unwrap() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn baselines_round_trip_in_a_stable_text() {
        let mut b = Baseline::new();
        b.insert(
            "s".into(),
            BaselineEntry {
                replications: 2,
                seed: 1,
                metrics: map(&[("z", Some(1.5)), ("a", None)]),
            },
        );
        let text = baseline_text(&b);
        assert_eq!(parse_baseline(&text).unwrap(), b);
        assert!(
            text.find("\"a\"").unwrap() < text.find("\"z\"").unwrap(),
            "keys sorted"
        );
        assert_eq!(text, baseline_text(&parse_baseline(&text).unwrap()));
        assert!(parse_baseline("{}").is_err());
    }
}
