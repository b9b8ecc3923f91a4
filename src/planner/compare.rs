//! Compare: a base scenario and its variants, side by side, replication by replication.
//!
//! Every variant runs the base's replication seeds (replication `i` of each with
//! [`seeds::replication_seed`]`(base seed, i)`: common random numbers), so the background
//! edits are the same in every variant and the difference between a variant and the base
//! is what the variant changed, not luck. For each headline metric ([`headline`]) the
//! comparison gives the base's and the variant's values, their paired difference (variant -
//! base) with its confidence interval, and a verdict from the metric catalogue's "which way
//! is better": better, worse, or no detectable difference ([`crate::stats::paired`], which
//! also says how a "never" is judged).
//!
//! [`seeds::replication_seed`]: crate::engine::seeds::replication_seed

use super::grid::split_outside;
use super::runs::evaluate_indices;
use super::{evaluate, Base, Outcome, PlannerError, Runner};
use crate::catalogue::{self, Better};
use crate::load::ScenarioFile;
use crate::replicate::{self, Aggregate};
use crate::scenario::{Override, Scenario};
use crate::stats::{paired, Method, PairedDifference, Shift};

/// One variant: how it was given and the scenario it is.
#[derive(Debug, Clone)]
pub struct Variant {
    /// How it is named in tables: the file, or the assignments.
    pub label: String,
    /// The validated scenario, with the base's seed.
    pub scenario: Scenario,
    /// A note on what was changed to pair it with the base (its own seed replaced), if any.
    pub note: Option<String>,
}

/// Reads a `--variant` list: assignments `PATH=VALUE` separated by `;` (outside quotes and
/// brackets), applied to the base after the shared overrides.
pub fn assignments(text: &str) -> Result<Vec<String>, PlannerError> {
    let parts: Vec<String> = split_outside(text, ';')
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() || parts.iter().any(|p| !p.contains('=')) {
        return Err(PlannerError::Usage(format!(
            "--variant '{text}': write assignments PATH=VALUE separated by ';', e.g. --variant 'sync.workers=2; sync.throughput=60000'"
        )));
    }
    Ok(parts)
}

/// The variant given as `--variant` assignments.
pub fn from_assignments(base: &Base, text: &str) -> Result<Variant, PlannerError> {
    let sets = assignments(text)?;
    let label = sets.join("; ");
    let scenario = base.candidate(&sets, || format!("variant '{label}'"))?;
    Ok(Variant {
        label,
        scenario,
        note: None,
    })
}

/// The variant given as a scenario file, with the shared overrides, run with the base's
/// seed.
pub fn from_file(
    base: &Scenario,
    file: &ScenarioFile,
    label: &str,
    overrides: &[Override],
) -> Result<Variant, PlannerError> {
    let candidate = |error| PlannerError::Candidate {
        candidate: format!("variant '{label}'"),
        error,
    };
    let own = file.scenario(overrides).map_err(candidate)?;
    let mut all = overrides.to_vec();
    all.push(Override::seed(base.seed));
    let scenario = file.scenario(&all).map_err(candidate)?;
    let note = (own.seed != base.seed).then(|| {
        format!(
            "variant '{label}' sets seed {}; it runs with the base's seed {} so that both see the same background edits",
            own.seed, base.seed
        )
    });
    Ok(Variant {
        label: label.to_string(),
        scenario,
        note,
    })
}

/// The verdict on one metric of one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Detectably better, by the metric catalogue's direction.
    Better,
    /// Detectably worse.
    Worse,
    /// Detectably lower, for a metric with no better direction.
    Lower,
    /// Detectably higher, for a metric with no better direction.
    Higher,
    /// No detectable difference at the confidence asked.
    Same,
    /// One pair of runs that differ: a change, but no interval to tell it from noise.
    OneRun,
    /// The variant has no such metric (it lacks the event or object).
    Absent,
}

impl Verdict {
    /// The word in tables.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Lower => "lower",
            Verdict::Higher => "higher",
            Verdict::Same => "no detectable difference",
            Verdict::OneRun => "one run: replicate to judge",
            Verdict::Absent => "not in this variant",
        }
    }
}

/// One metric of one variant, against the base.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricComparison {
    /// The metric.
    pub metric: String,
    /// The variant's values across replications (`None` when it has no such metric).
    pub variant: Option<Aggregate>,
    /// The paired difference (`None` when the variant has no such metric).
    pub difference: Option<PairedDifference>,
    /// The verdict.
    pub verdict: Verdict,
}

/// A base and its variants, compared.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The base's name.
    pub base: String,
    /// Each variant's label, in the order given.
    pub variants: Vec<String>,
    /// Replications of each.
    pub replications: u64,
    /// The confidence of the intervals and verdicts.
    pub confidence: f64,
    /// The headline metrics, in order.
    pub metrics: Vec<String>,
    /// The base's values of each, across replications.
    pub base_values: Vec<Aggregate>,
    /// `rows[v][m]`: variant `v`, metric `m`.
    pub rows: Vec<Vec<MetricComparison>>,
}

/// The headline metrics of a comparison, in order: each edit-making event's clear and
/// recovery time, the highest and the final backlog, each object's latency p50, p90 and
/// p99; then, when the scenarios have errors (error rates, or any failed attempt), the
/// failed attempts and the retry and timeout queues at the end; and when they have an API
/// budget (a daily limit, other integrations' calls, or any pause or suppression), the peak
/// usage and the hours paused and suppressed. Names the base does not have are left out.
pub fn headline(scenarios: &[&Scenario], outcomes: &[Outcome]) -> Vec<String> {
    let base = &outcomes[0].names;
    let mut out: Vec<String> = Vec::new();
    let sc = scenarios[0];
    for e in sc.events.iter().filter(|e| e.kind.makes_edits()) {
        out.push(format!("event.{}.clear_h", e.name));
        out.push(format!("event.{}.recovery_h", e.name));
    }
    out.extend(["backlog.max".into(), "backlog.end".into()]);
    for o in &sc.objects {
        for q in ["p50", "p90", "p99"] {
            out.push(format!("latency.{}.{q}_min", o.name));
        }
    }
    let nonzero = |names: &[&str]| {
        outcomes.iter().any(|o| {
            names.iter().any(|n| {
                o.column(n)
                    .is_some_and(|c| c.iter().any(|v| v.is_some_and(|x| x != 0.0)))
            })
        })
    };
    let errors = [
        "errors_transient",
        "errors_permanent",
        "retry_queue_end",
        "timeout_queue_end",
    ];
    if scenarios.iter().any(|s| {
        s.objects
            .iter()
            .any(|o| o.transient_error_rate > 0.0 || o.permanent_error_fraction > 0.0)
    }) || nonzero(&errors)
    {
        out.extend(errors.iter().map(|s| s.to_string()));
    }
    let api = ["api.peak_usage", "api.paused_h", "api.suppressed_h"];
    if scenarios
        .iter()
        .any(|s| s.api.daily_limit.is_some() || s.api.background_calls_per_hour > 0.0)
        || nonzero(&api[1..])
    {
        out.extend(api.iter().map(|s| s.to_string()));
    }
    out.retain(|m| base.contains(m));
    out
}

/// The verdict on `metric` from a paired difference.
pub fn verdict(metric: &str, d: &PairedDifference) -> Verdict {
    let differs = match d.method {
        Method::SignTest { higher, lower, .. } => higher + lower > 0,
        _ => d.mean.is_some_and(|m| m != 0.0),
    };
    if d.pairs == 1 && differs {
        return Verdict::OneRun;
    }
    match (catalogue::better(metric), d.shift) {
        (_, Shift::None) => Verdict::Same,
        (Better::Lower, Shift::Lower) | (Better::Higher, Shift::Higher) => Verdict::Better,
        (Better::Lower, Shift::Higher) | (Better::Higher, Shift::Lower) => Verdict::Worse,
        (Better::Neither, Shift::Lower) => Verdict::Lower,
        (Better::Neither, Shift::Higher) => Verdict::Higher,
    }
}

/// Metric `metric` of a variant against the base: `base` and `variant` are its values in
/// each replication, replication `i` of both run with the same seed; `variant` is `None`
/// when the variant has no such metric. The paired difference at `confidence`, the
/// variant's values across replications, and the verdict.
pub fn metric(
    metric: &str,
    base: &[Option<f64>],
    variant: Option<&[Option<f64>]>,
    confidence: f64,
) -> MetricComparison {
    match variant {
        None => MetricComparison {
            metric: metric.to_string(),
            variant: None,
            difference: None,
            verdict: Verdict::Absent,
        },
        Some(v) => {
            let d = paired(base, v, catalogue::missing(metric), confidence);
            MetricComparison {
                metric: metric.to_string(),
                variant: Some(replicate::aggregate(metric, v)),
                verdict: verdict(metric, &d),
                difference: Some(d),
            }
        }
    }
}

/// Runs `replications` of the base and every variant with the base's seeds, on the current
/// rayon pool with `runner`, and compares each variant with the base at
/// `confidence`. `progress` is called once per finished simulation.
pub fn compare(
    base: &Scenario,
    variants: &[Variant],
    replications: u64,
    confidence: f64,
    runner: &mut Runner,
    progress: &(dyn Fn() + Sync),
) -> Comparison {
    let all: Vec<Scenario> = std::iter::once(base)
        .chain(variants.iter().map(|v| &v.scenario))
        .cloned()
        .collect();
    let outcomes = evaluate(&all, 0..replications, None, runner, progress);
    analyse(base, variants, &outcomes, confidence)
}

/// The replications `reps` (a shard's) of the base and every variant, as [`compare`] runs
/// them: one outcome per scenario, base first, its rows in the order of `reps`.
pub fn evaluate_shard(
    base: &Scenario,
    variants: &[Variant],
    reps: &[u64],
    runner: &mut Runner,
    progress: &(dyn Fn() + Sync),
) -> Vec<Outcome> {
    let all: Vec<Scenario> = std::iter::once(base)
        .chain(variants.iter().map(|v| &v.scenario))
        .cloned()
        .collect();
    if reps.is_empty() {
        return Vec::new();
    }
    evaluate_indices(&all, reps, None, false, runner, progress)
}

/// Outcomes as exact text for a shard's part: per scenario `c` a line `names c NAME...`, then
/// a line `c i VALUE...` per replication `i` of `reps` (shortest round-trip numbers, `-` for
/// none).
pub fn encode(outcomes: &[Outcome], reps: &[u64]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (c, o) in outcomes.iter().enumerate() {
        let _ = writeln!(out, "names {c} {}", o.names.join(" "));
        for (row, i) in o.runs.iter().zip(reps) {
            let _ = write!(out, "{c} {i}");
            for v in row {
                match v {
                    Some(x) => {
                        let _ = write!(out, " {x:?}");
                    }
                    None => out.push_str(" -"),
                }
            }
            out.push('\n');
        }
    }
    out
}

/// Joins the bodies of every shard's part (each with its name, for errors) into the outcomes
/// of `scenarios` scenarios over replications `0..replications`, as [`compare`] has them.
pub fn join(
    bodies: &[(String, &str)],
    scenarios: usize,
    replications: u64,
) -> Result<Vec<Outcome>, String> {
    let mut names: Vec<Option<Vec<String>>> = vec![None; scenarios];
    let mut rows: Vec<Vec<(u64, Vec<Option<f64>>)>> = vec![Vec::new(); scenarios];
    for (name, body) in bodies {
        for (n, line) in body.lines().enumerate() {
            let bad = |what: &str| format!("'{name}', line {}: {what}", n + 1);
            let mut words = line.split(' ');
            let head = words.next().unwrap_or("");
            let c = |w: Option<&str>| {
                w.and_then(|w| w.parse::<usize>().ok())
                    .filter(|&c| c < scenarios)
                    .ok_or_else(|| bad("not a scenario of this comparison"))
            };
            if head == "names" {
                let c = c(words.next())?;
                let these: Vec<String> = words.map(str::to_string).collect();
                match &names[c] {
                    Some(known) if *known != these => {
                        return Err(bad("other metrics than the other parts"))
                    }
                    _ => names[c] = Some(these),
                }
                continue;
            }
            let c = c(Some(head))?;
            let i: u64 = words
                .next()
                .and_then(|w| w.parse().ok())
                .ok_or_else(|| bad("no replication number"))?;
            let values = words
                .map(|v| match v {
                    "-" => Ok(None),
                    v => v
                        .parse::<f64>()
                        .map(Some)
                        .map_err(|_| bad("a value is not a number")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            rows[c].push((i, values));
        }
    }
    names
        .into_iter()
        .zip(rows)
        .enumerate()
        .map(|(c, (names, mut rows))| {
            let names = names.ok_or_else(|| format!("no part holds scenario {c}'s metrics"))?;
            rows.sort_by_key(|(i, _)| *i);
            let indices: Vec<u64> = rows.iter().map(|(i, _)| *i).collect();
            if indices != (0..replications).collect::<Vec<_>>()
                || rows.iter().any(|(_, v)| v.len() != names.len())
            {
                return Err(format!(
                    "the parts do not hold replications 0 to {} of scenario {c} once each, with its metrics",
                    replications.saturating_sub(1)
                ));
            }
            Ok(Outcome {
                names,
                runs: rows.into_iter().map(|(_, v)| v).collect(),
            })
        })
        .collect()
}

/// Compares each variant's outcome with the base's (outcome 0) at `confidence`.
pub fn analyse(
    base: &Scenario,
    variants: &[Variant],
    outcomes: &[Outcome],
    confidence: f64,
) -> Comparison {
    let replications = outcomes[0].runs.len() as u64;
    let mut scenarios: Vec<&Scenario> = vec![base];
    scenarios.extend(variants.iter().map(|v| &v.scenario));
    let metrics = headline(&scenarios, outcomes);
    let column = |o: &Outcome, m: &str| o.column(m);
    let base_columns: Vec<Vec<Option<f64>>> = metrics
        .iter()
        .map(|m| column(&outcomes[0], m).expect("headline metrics are the base's"))
        .collect();
    let base_values = metrics
        .iter()
        .zip(&base_columns)
        .map(|(m, c)| replicate::aggregate(m, c))
        .collect();
    let rows = outcomes[1..]
        .iter()
        .map(|o| {
            metrics
                .iter()
                .zip(&base_columns)
                .map(|(m, b)| metric(m, b, column(o, m).as_deref(), confidence))
                .collect()
        })
        .collect();
    Comparison {
        base: base.name.clone(),
        variants: variants.iter().map(|v| v.label.clone()).collect(),
        replications,
        confidence,
        metrics,
        base_values,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_lists_split_at_semicolons_outside_quotes() {
        assert_eq!(
            assignments("sync.workers=2; sync.throughput=6000").unwrap(),
            ["sync.workers=2", "sync.throughput=6000"]
        );
        assert_eq!(
            assignments(r#"description="a; b"; sync.order=["Lead","Contact"]"#).unwrap(),
            [r#"description="a; b""#, r#"sync.order=["Lead","Contact"]"#]
        );
        for bad in ["", ";", "sync.workers"] {
            assert!(assignments(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn verdicts_follow_which_way_is_better() {
        let d = |shift| PairedDifference {
            pairs: 5,
            left_out: 0,
            never_base: 0,
            never_variant: 0,
            base_mean: None,
            variant_mean: None,
            mean: None,
            ci: None,
            shift,
            method: Method::TooFew,
        };
        assert_eq!(verdict("backlog.max", &d(Shift::Lower)), Verdict::Better);
        assert_eq!(
            verdict("event.x.clear_h", &d(Shift::Higher)),
            Verdict::Worse
        );
        assert_eq!(verdict("synced", &d(Shift::Higher)), Verdict::Better);
        assert_eq!(verdict("edits", &d(Shift::Lower)), Verdict::Lower);
        assert_eq!(verdict("backlog.max", &d(Shift::None)), Verdict::Same);
    }

    #[test]
    fn one_run_of_each_that_differs_is_not_judged() {
        let one = |b: f64, v: f64| {
            paired(
                &[Some(b)],
                &[Some(v)],
                catalogue::missing("backlog.max"),
                0.95,
            )
        };
        assert_eq!(verdict("backlog.max", &one(100.0, 60.0)), Verdict::OneRun);
        assert_eq!(verdict("backlog.max", &one(100.0, 100.0)), Verdict::Same);
        let never = paired(
            &[None],
            &[Some(6.0)],
            catalogue::missing("event.x.clear_h"),
            0.95,
        );
        assert_eq!(verdict("event.x.clear_h", &never), Verdict::OneRun);
        // Two pairs are judged by their interval, however few.
        let two = paired(
            &[Some(100.0), Some(100.0)],
            &[Some(60.0), Some(61.0)],
            catalogue::missing("backlog.max"),
            0.95,
        );
        assert_eq!(verdict("backlog.max", &two), Verdict::Better);
    }
}
