//! Schedule: when to start a bulk update, and whether to split it, so that constraints hold
//! with the least impact.
//!
//! A plan is a start time on a grid over a window, and a split: the update's records cut
//! into consecutive parts of a given size, each part starting a given spacing after the
//! previous one. A plan is written into the scenario as assignments on its TOML tree before
//! validation: the event's `at` (and, when split, its `count`, `spread` and `first_record`),
//! plus one `bulk_update` event per further part, named `<event>_part2`, `<event>_part3`, ...
//! Each part keeps the update's edit rate (its spread is the update's spread times its share
//! of the records, rounded down to the millisecond). Splitting needs
//! `records = "sequential"`, so the parts touch consecutive, disjoint id ranges.
//!
//! Plans are enumerated start by start (earliest first); for each start, the unsplit plan,
//! then every split size (in the order given) with every spacing (in the order given); a
//! size at or above the update's count is the unsplit plan and is not repeated.
//!
//! Every plan runs the same replication seeds. Plans that meet every constraint are ranked by
//! the rank statistic (default `plan.clear_h p50`), then by `backlog.max p50`, then by plan
//! index (earlier start, fewer parts first); lower is better and "never" ranks last. Plans
//! whose rank metric cannot be told apart from the best's are one group ([`super::ties`]);
//! the recommendation is the earliest plan of that group ([`recommend`]).
//!
//! Two metrics describe a plan as a whole, whatever its parts: `plan.clear_h`, from the first
//! edit of the first part until none of any part's entries is pending or in flight, and
//! `plan.clear_at_h`, the instant that happens, in hours after the scenario's start (for
//! deadlines such as "done by Monday 08:00").

use super::grid::{Shard, MAX_POINTS};
use super::ties::{self, Ties};
use super::{evaluate, rank_value, toml_string, Base, Derive, Outcome, PlannerError, Runner};
use crate::expr::{self, Expr, Stat, Verdict};
use crate::scenario::{Direction, EventKind, Scenario, Selection};
use crate::summary::{Metric, RunSummary};
use crate::text::thousands;
use crate::units::{format_duration, parse_duration, Instant, Millis, HOUR};

/// The default rank metric.
pub const DEFAULT_RANK: &str = "plan.clear_h";
/// The tie-break metric (its median).
pub const TIE_BREAK: &str = "backlog.max";

/// The bulk update being scheduled, as the base scenario has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bulk {
    /// Event name.
    pub name: String,
    /// Object name.
    pub object: String,
    /// Direction of its edits.
    pub direction: Direction,
    /// Records it edits.
    pub count: u32,
    /// Spread of its edits.
    pub spread: Millis,
    /// Which records.
    pub selection: Selection,
    /// First id (sequential).
    pub first_record: u32,
    /// Whether it touches synced fields.
    pub synced_fields: bool,
}

impl Bulk {
    /// Finds bulk update `name` in the base scenario.
    pub fn find(sc: &Scenario, name: &str) -> Result<Bulk, PlannerError> {
        let Some(e) = sc.events.iter().find(|e| e.name == name) else {
            let bulks: Vec<&str> = sc
                .events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::BulkUpdate { .. }))
                .map(|e| e.name.as_str())
                .collect();
            return Err(PlannerError::Usage(format!(
                "--event {name}: the scenario has no event '{name}'; its bulk_update events: {}",
                if bulks.is_empty() {
                    "none (add one under [events.<name>] with kind = \"bulk_update\")".to_string()
                } else {
                    bulks.join(", ")
                }
            )));
        };
        match &e.kind {
            EventKind::BulkUpdate {
                object,
                direction,
                count,
                spread,
                selection,
                first_record,
                synced_fields,
            } => Ok(Bulk {
                name: name.to_string(),
                object: sc.objects[*object].name.clone(),
                direction: *direction,
                count: *count,
                spread: *spread,
                selection: *selection,
                first_record: *first_record,
                synced_fields: *synced_fields,
            }),
            other => Err(PlannerError::Usage(format!(
                "--event {name}: '{name}' is a {} event; schedule moves and splits bulk_update events",
                other.name()
            ))),
        }
    }

    /// The name of part `i` (1-based): the event itself, then `<name>_part<i>`.
    pub fn part_name(&self, i: u32) -> String {
        if i == 1 {
            self.name.clone()
        } else {
            format!("{}_part{i}", self.name)
        }
    }
}

/// One candidate plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Index in the enumeration.
    pub index: usize,
    /// When the first part starts, after the scenario's start.
    pub start: Millis,
    /// Records per part (the whole count when unsplit).
    pub part_size: u32,
    /// Time between the starts of consecutive parts (0 when unsplit).
    pub spacing: Millis,
    /// Number of parts.
    pub parts: u32,
}

impl Plan {
    /// Records and offset (from the first record) of part `i` (1-based).
    pub fn part(&self, bulk: &Bulk, i: u32) -> (u32, u32) {
        let offset = (i - 1) * self.part_size;
        (self.part_size.min(bulk.count - offset), offset)
    }

    /// "none" or "3 x 50,000 every 6h".
    pub fn split_text(&self) -> String {
        if self.parts == 1 {
            "none".into()
        } else {
            format!(
                "{} x {} every {}",
                self.parts,
                thousands(self.part_size as u64),
                format_duration(self.spacing)
            )
        }
    }
}

/// What to search.
#[derive(Debug, Clone)]
pub struct ScheduleSpec {
    /// The update.
    pub bulk: Bulk,
    /// Candidate start times.
    pub starts: Vec<Millis>,
    /// Candidate part sizes.
    pub part_sizes: Vec<u32>,
    /// Candidate spacings.
    pub spacings: Vec<Millis>,
    /// What every plan must meet (`None`: nothing).
    pub constraints: Option<Expr>,
    /// The rank metric and statistic.
    pub rank_by: (String, Stat),
    /// Replications per plan.
    pub replications: u64,
}

/// Reads a `--window START..END` into offsets after `start`: each end a duration (`0`,
/// `7d`) or an RFC 3339 instant; END is excluded. Then the grid every `every`.
pub fn window(text: &str, every: &str, start: Instant) -> Result<Vec<Millis>, PlannerError> {
    let bad = |why: String| PlannerError::Usage(format!("--window {text}: {why}"));
    let (a, b) = text.split_once("..").ok_or_else(|| {
        bad("write START..END, each a time after the scenario's start (0..7d) or an RFC 3339 instant".into())
    })?;
    let end_of = |t: &str| -> Result<Millis, PlannerError> {
        let t = t.trim();
        if let Ok(ms) = parse_duration(t) {
            return Ok(ms);
        }
        match Instant::parse(t) {
            Ok(at) if at < start => Err(bad(format!(
                "{at} is before the scenario's start {start}"
            ))),
            Ok(at) => Ok((at.0 - start.0) as Millis),
            Err(_) => Err(bad(format!(
                "'{t}' is neither a time after start (`24h`) nor an RFC 3339 instant (`2026-11-24T00:00:00Z`)"
            ))),
        }
    };
    let (from, to) = (end_of(a)?, end_of(b)?);
    if to <= from {
        return Err(bad(
            "END must be after START (the window is START up to, not including, END)".into(),
        ));
    }
    let step = parse_duration(every)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| {
            PlannerError::Usage(format!(
                "--every {every}: write a duration above zero, e.g. 1h or 30m"
            ))
        })?;
    let n = (to - from).div_ceil(step);
    if n > MAX_POINTS {
        return Err(bad(format!(
            "{n} start times every {every}; at most {MAX_POINTS} (use a larger --every)"
        )));
    }
    Ok((0..n).map(|i| from + i * step).collect())
}

/// Reads `--rank-by "METRIC [STAT]"` (STAT as in expressions, default p50).
pub fn rank_by(text: &str) -> Result<(String, Stat), PlannerError> {
    let bad = |why: String| {
        PlannerError::Usage(format!(
            "--rank-by '{text}': {why}; write METRIC [STAT], e.g. plan.clear_h or \"latency.Lead.p95_min p90\""
        ))
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || words.len() > 2 {
        return Err(bad("expected one metric and at most one statistic".into()));
    }
    // The same grammar as a condition's left-hand side.
    let e = expr::parse(&format!("{} >= 0", words.join(" "))).map_err(|e| bad(e.why))?;
    let c = &e.conditions[0];
    Ok((c.metric.clone(), c.stat))
}

impl ScheduleSpec {
    /// Every plan, in enumeration order.
    pub fn plans(&self) -> Vec<Plan> {
        let count = self.bulk.count;
        let mut plans = Vec::new();
        for &start in &self.starts {
            plans.push(Plan {
                index: plans.len(),
                start,
                part_size: count,
                spacing: 0,
                parts: 1,
            });
            for &size in self.part_sizes.iter().filter(|&&s| s < count) {
                for &spacing in &self.spacings {
                    plans.push(Plan {
                        index: plans.len(),
                        start,
                        part_size: size,
                        spacing,
                        parts: count.div_ceil(size),
                    });
                }
            }
        }
        plans
    }

    /// Checks the split options against the update.
    pub fn check(&self) -> Result<(), PlannerError> {
        let bad = |m: String| Err(PlannerError::Usage(m));
        if self.part_sizes.contains(&0) {
            return bad("--split-sizes: a part holds at least one record".into());
        }
        if !self.part_sizes.is_empty() && self.spacings.is_empty() {
            return bad("--split-sizes needs --spacing: the time between the starts of consecutive parts, e.g. --spacing 2h,6h".into());
        }
        if self.part_sizes.is_empty() && !self.spacings.is_empty() {
            return bad(
                "--spacing needs --split-sizes: the records per part, e.g. --split-sizes 50000"
                    .into(),
            );
        }
        if self.spacings.contains(&0) {
            return bad("--spacing: parts start at least 1 ms apart (e.g. 2h)".into());
        }
        let splits = self.part_sizes.iter().any(|&s| s < self.bulk.count);
        if splits && self.bulk.selection != Selection::Sequential {
            return bad(format!(
                "--split-sizes: event '{}' picks random records; a split needs records = \"sequential\" so the parts touch disjoint records",
                self.bulk.name
            ));
        }
        let plans = self.starts.len() as u64
            * (1 + self.part_sizes.len() as u64 * self.spacings.len() as u64);
        if plans > MAX_POINTS {
            return bad(format!(
                "{plans} plans; at most {MAX_POINTS} (fewer start times, sizes or spacings)"
            ));
        }
        Ok(())
    }

    /// The assignments that write `plan` into the scenario.
    pub fn assignments(&self, plan: &Plan) -> Vec<String> {
        let b = &self.bulk;
        let key = |part: u32, k: &str| format!("events.{}.{k}", b.part_name(part));
        let mut out = vec![format!(
            "{}={}",
            key(1, "at"),
            toml_string(&format_duration(plan.start))
        )];
        if plan.parts == 1 {
            return out;
        }
        for i in 1..=plan.parts {
            let (count, offset) = plan.part(b, i);
            let at = plan.start + (i - 1) as Millis * plan.spacing;
            let mut set = |k: &str, v: String| out.push(format!("{}={v}", key(i, k)));
            if i > 1 {
                set("kind", toml_string("bulk_update"));
                set("at", toml_string(&format_duration(at)));
                set("object", toml_string(&b.object));
                set("direction", toml_string(b.direction.name()));
                set("records", toml_string("sequential"));
                set("synced_fields", b.synced_fields.to_string());
            }
            set("count", count.to_string());
            set("first_record", (b.first_record + offset).to_string());
            set(
                "spread",
                toml_string(&format_duration(part_spread(b, count))),
            );
        }
        out
    }

    /// The scenario of `plan`, validated.
    pub fn scenario(&self, base: &Base, plan: &Plan) -> Result<Scenario, PlannerError> {
        base.candidate(&self.assignments(plan), || {
            format!(
                "plan {} (start {}, split {})",
                plan.index,
                format_duration(plan.start),
                plan.split_text()
            )
        })
    }
}

/// "at the scenario's start" or "6h after the scenario's start".
pub fn after_start(ms: Millis) -> String {
    if ms == 0 {
        "at the scenario's start".into()
    } else {
        format!("{} after the scenario's start", format_duration(ms))
    }
}

/// A part's spread: the update's, times the part's share of the records, rounded down.
pub(crate) fn part_spread(b: &Bulk, count: u32) -> Millis {
    (b.spread as u128 * count as u128 / b.count as u128) as Millis
}

/// The `plan.*` metrics of a run: over the event and its `<event>_part<i>` parts.
pub fn plan_metrics(event: &str) -> impl Fn(&RunSummary) -> Vec<Metric> + Sync {
    let event = event.to_string();
    let prefix = format!("{event}_part");
    move |summary| {
        let parts: Vec<_> = summary
            .run()
            .events()
            .iter()
            .filter(|e| {
                e.name == event
                    || e.name
                        .strip_prefix(&prefix)
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            })
            .collect();
        let first = parts.iter().map(|e| e.first_edit).min();
        let clear = parts
            .iter()
            .map(|e| e.clear)
            .collect::<Option<Vec<_>>>()
            .and_then(|c| c.into_iter().max());
        let h = |ms: Millis| ms as f64 / HOUR as f64;
        vec![
            Metric {
                name: "plan.clear_h".into(),
                value: clear.zip(first).map(|(c, f)| h(c - f)),
            },
            Metric {
                name: "plan.clear_at_h".into(),
                value: clear.map(h),
            },
        ]
    }
}

/// How one plan did.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanResult {
    /// The plan.
    pub plan: Plan,
    /// Each constraint's statistic and verdict.
    pub verdicts: Vec<Verdict>,
    /// Whether every constraint holds.
    pub meets: bool,
    /// The rank statistic.
    pub rank: Option<f64>,
    /// The tie-break statistic (`backlog.max p50`).
    pub tie: Option<f64>,
    /// The rank metric's value in each replication, for judging ties.
    pub rank_values: Vec<Option<f64>>,
}

/// A schedule ready to run: its plans (of the shard) validated.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The plans run, in index order.
    pub plans: Vec<Plan>,
    /// Their scenarios.
    pub scenarios: Vec<Scenario>,
    /// All plans, in every shard.
    pub total: usize,
}

/// Validates the plans of `shard`.
pub fn prepare(base: &Base, spec: &ScheduleSpec, shard: Shard) -> Result<Prepared, PlannerError> {
    spec.check()?;
    let all = spec.plans();
    let existing = base.scenario()?;
    for i in 2..=all.iter().map(|p| p.parts).max().unwrap_or(1) {
        let name = spec.bulk.part_name(i);
        if existing.events.iter().any(|e| e.name == name) {
            return Err(PlannerError::Usage(format!(
                "the scenario already has an event '{name}', the name schedule gives part {i} of '{}'; rename it",
                spec.bulk.name
            )));
        }
    }
    let plans: Vec<Plan> = all
        .iter()
        .copied()
        .filter(|p| shard.owns(p.index))
        .collect();
    let scenarios = plans
        .iter()
        .map(|p| spec.scenario(base, p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Prepared {
        plans,
        scenarios,
        total: all.len(),
    })
}

/// Runs every plan on the current rayon pool, with `runner`; `progress` is called
/// once per simulation.
pub fn run(
    spec: &ScheduleSpec,
    prepared: &Prepared,
    runner: &mut Runner,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<PlanResult>, PlannerError> {
    let derive = plan_metrics(&spec.bulk.name);
    let mut run = |scenarios: &[Scenario]| {
        evaluate(
            scenarios,
            0..spec.replications,
            Some(&derive as &Derive),
            runner,
            progress,
        )
    };
    let Some((first, rest)) = prepared.scenarios.split_first() else {
        return Ok(Vec::new());
    };
    // The first plan alone first, so an unknown metric stops the search before the rest run.
    let mut results = vec![judge(
        spec,
        &prepared.plans[0],
        &run(std::slice::from_ref(first))[0],
    )?];
    for (plan, outcome) in prepared.plans[1..].iter().zip(&run(rest)) {
        results.push(judge(spec, plan, outcome)?);
    }
    Ok(results)
}

fn judge(spec: &ScheduleSpec, plan: &Plan, outcome: &Outcome) -> Result<PlanResult, PlannerError> {
    let (rank_metric, rank_stat) = &spec.rank_by;
    let unknown = |metric: &str, what: &str| PlannerError::UnknownMetric {
        metric: metric.to_string(),
        expr: what.to_string(),
        hint: super::suggest(metric, &outcome.names),
    };
    let stat = |metric: &str, s: Stat, what: &str| -> Result<Option<f64>, PlannerError> {
        let values = outcome
            .column(metric)
            .ok_or_else(|| unknown(metric, what))?;
        Ok(expr::statistic(metric, &values, s))
    };
    let verdicts = match &spec.constraints {
        None => Vec::new(),
        Some(e) => {
            if let Some(c) = e
                .conditions
                .iter()
                .find(|c| outcome.column(&c.metric).is_none())
            {
                return Err(unknown(&c.metric, &format!("--constraint {c}")));
            }
            outcome.verdicts(e)
        }
    };
    let rank_values = outcome
        .column(rank_metric)
        .ok_or_else(|| unknown(rank_metric, &format!("--rank-by {rank_metric} {rank_stat}")))?;
    Ok(PlanResult {
        plan: *plan,
        meets: verdicts.iter().all(|v| v.pass),
        rank_values,
        verdicts,
        rank: stat(
            rank_metric,
            *rank_stat,
            &format!("--rank-by {rank_metric} {rank_stat}"),
        )?,
        tie: stat(TIE_BREAK, Stat::Percentile(50.0), TIE_BREAK)?,
    })
}

/// The plan to recommend among those that meet the constraints (`ranked`, best first), and
/// why.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// Which plans are equivalent to the best (indices into `ranked`).
    pub ties: Ties,
    /// The recommended plan's index into `ranked`.
    pub pick: usize,
    /// Whether it was picked among equivalent plans as the earliest (else it is the first
    /// ranked: no ties could be judged, or the best stands alone).
    pub earliest_of_ties: bool,
}

/// Judges which plans meeting the constraints are equivalent to the best, by the rank
/// metric's per-replication values ([`ties::judge`], lower is better), and picks one: among
/// several equivalent plans, the first in plan order (the earliest start, then the unsplit
/// plan, then the splits in the order given), since nothing detectable is gained by waiting
/// or splitting; else the first ranked. `None` when no plan meets the constraints.
pub fn recommend(
    spec: &ScheduleSpec,
    ranked: &[&PlanResult],
    confidence: f64,
) -> Option<Recommendation> {
    if ranked.is_empty() {
        return None;
    }
    let columns: Vec<Vec<Option<f64>>> = ranked.iter().map(|r| r.rank_values.clone()).collect();
    let ties = ties::judge(&spec.rank_by.0, &columns, Some(true), confidence);
    let earliest = ties
        .group
        .iter()
        .copied()
        .min_by_key(|&i| ranked[i].plan.index)
        .filter(|_| ties.group.len() > 1);
    Some(Recommendation {
        pick: earliest.unwrap_or(0),
        earliest_of_ties: earliest.is_some(),
        ties,
    })
}

/// The plans that meet every constraint, best first.
pub fn ranking(results: &[PlanResult]) -> Vec<&PlanResult> {
    let mut ok: Vec<&PlanResult> = results.iter().filter(|r| r.meets).collect();
    ok.sort_by(|a, b| {
        rank_value(a.rank)
            .total_cmp(&rank_value(b.rank))
            .then(rank_value(a.tie).total_cmp(&rank_value(b.tie)))
            .then(a.plan.index.cmp(&b.plan.index))
    });
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(count: u32) -> Bulk {
        Bulk {
            name: "bulk".into(),
            object: "Lead".into(),
            direction: Direction::ToMarketing,
            count,
            spread: 10 * HOUR,
            selection: Selection::Sequential,
            first_record: 100,
            synced_fields: true,
        }
    }

    fn spec(sizes: Vec<u32>, spacings: Vec<Millis>) -> ScheduleSpec {
        ScheduleSpec {
            bulk: bulk(250),
            starts: vec![0, HOUR],
            part_sizes: sizes,
            spacings,
            constraints: None,
            rank_by: (DEFAULT_RANK.into(), Stat::Percentile(50.0)),
            replications: 1,
        }
    }

    #[test]
    fn plans_enumerate_start_then_split_then_spacing() {
        let s = spec(vec![100, 300], vec![2 * HOUR, 6 * HOUR]);
        let plans = s.plans();
        // Per start: unsplit, then 100 x {2h, 6h}; 300 >= 250 is the unsplit plan.
        assert_eq!(plans.len(), 6);
        assert_eq!((plans[0].parts, plans[0].part_size), (1, 250));
        assert_eq!((plans[1].parts, plans[1].spacing), (3, 2 * HOUR));
        assert_eq!((plans[2].parts, plans[2].spacing), (3, 6 * HOUR));
        assert_eq!((plans[3].start, plans[3].parts), (HOUR, 1));
        assert!(plans.iter().enumerate().all(|(i, p)| p.index == i));
        assert_eq!(plans[1].split_text(), "3 x 100 every 2h");
    }

    #[test]
    fn a_split_becomes_consecutive_parts_at_the_same_rate() {
        let s = spec(vec![100], vec![2 * HOUR]);
        let plan = s.plans()[3]; // start 1h, 3 parts
        let a = s.assignments(&plan);
        assert_eq!(a[0], "events.bulk.at=\"1h\"");
        assert!(a.contains(&"events.bulk.count=100".to_string()));
        assert!(a.contains(&"events.bulk.spread=\"4h\"".to_string()));
        assert!(a.contains(&"events.bulk_part2.at=\"3h\"".to_string()));
        assert!(a.contains(&"events.bulk_part2.first_record=200".to_string()));
        assert!(a.contains(&"events.bulk_part3.at=\"5h\"".to_string()));
        assert!(a.contains(&"events.bulk_part3.count=50".to_string()));
        assert!(a.contains(&"events.bulk_part3.first_record=300".to_string()));
        assert!(a.contains(&"events.bulk_part3.spread=\"2h\"".to_string()));
        // Unsplit: only the start moves.
        assert_eq!(s.assignments(&s.plans()[2]), ["events.bulk.at=\"1h\""]);
    }

    #[test]
    fn split_options_are_checked() {
        let err = |s: ScheduleSpec| s.check().unwrap_err().to_string();
        assert!(err(spec(vec![100], vec![])).contains("needs --spacing"));
        assert!(err(spec(vec![], vec![HOUR])).contains("needs --split-sizes"));
        assert!(err(spec(vec![0], vec![HOUR])).contains("at least one record"));
        let mut random = spec(vec![100], vec![HOUR]);
        random.bulk.selection = Selection::Random;
        assert!(err(random).contains("sequential"));
        assert!(spec(vec![], vec![]).check().is_ok());
    }

    #[test]
    fn windows_take_offsets_or_instants_and_exclude_the_end() {
        let start = Instant::parse("2026-11-23T00:00:00Z").unwrap();
        assert_eq!(window("0..3h", "1h", start).unwrap(), [0, HOUR, 2 * HOUR]);
        assert_eq!(
            window("2026-11-23T20:00:00Z..2026-11-24T00:00:00Z", "2h", start).unwrap(),
            [20 * HOUR, 22 * HOUR]
        );
        for (w, every, why) in [
            ("3h..1h", "1h", "END must be after START"),
            ("0..1d", "0", "above zero"),
            ("0-1d", "1h", "START..END"),
            (
                "2026-11-22T00:00:00Z..1d",
                "1h",
                "before the scenario's start",
            ),
            ("soon..1d", "1h", "neither"),
        ] {
            let e = window(w, every, start).unwrap_err().to_string();
            assert!(e.contains(why), "{w}: {e}");
        }
    }

    #[test]
    fn rank_by_reads_a_metric_and_an_optional_statistic() {
        assert_eq!(
            rank_by("plan.clear_h").unwrap(),
            ("plan.clear_h".to_string(), Stat::Percentile(50.0))
        );
        assert_eq!(
            rank_by("backlog.max p90").unwrap().1,
            Stat::Percentile(90.0)
        );
        assert_eq!(rank_by("backlog.max mean").unwrap().1, Stat::Mean);
        assert!(rank_by("backlog.max p90 p50").is_err());
        assert!(rank_by("").is_err());
    }
}
