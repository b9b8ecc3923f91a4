//! What-ifs: a scenario's main knobs as fields a planner edits (the page of `syncsim serve`),
//! the values typed into them turned into overrides validated exactly like `--set`, each
//! refusal mapped back to the field at fault, and the variant written back as a scenario file
//! of its own. [`run`] runs a scenario once or as replications, stoppable; [`differences()`]
//! sets a variant's answers beside its baseline's.
//!
//! The fields are the policy and its object order, workers, throughput, batch size and cycle
//! wait; each bulk update's start, count, spread and split; each object's edit rate. Every
//! field is a `--set` key path except a split, which is written the way `syncsim schedule`
//! writes one ([`crate::planner::schedule`]): the update cut into consecutive parts, each a
//! `bulk_update` event of its own (`<event>_part2`, ...). Ranges come from
//! [`crate::scenario::limits`] and the scenario itself, so the form allows what validation
//! allows.

pub mod differences;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::{simulate_in, Inputs, Workspace};
use crate::load::{LoadError, ScenarioFile};
use crate::planner::schedule::{Bulk, Plan, ScheduleSpec, DEFAULT_RANK};
use crate::planner::toml_string;
use crate::replicate::{self, MonteCarlo};
use crate::scenario::limits::{self, MAX_SPREAD, POLICIES};
use crate::scenario::rewrite::write_overrides;
use crate::scenario::{
    Direction, EventKind, Location, Override, Policy, Scenario, ScenarioError, Selection,
    MAX_TRACKED_EVENTS,
};
use crate::summary::RunSummary;
use crate::text::{num, thousands};
use crate::units::{format_duration, parse_duration, Millis, HOUR};

pub use differences::{differences, headline_metrics, splits, Answer, SplitPlan, CONFIDENCE};

/// The longest value a field takes: enough for any number, duration, instant or order.
pub const MAX_VALUE_CHARS: usize = 1_000;

/// Which part of the scenario a field belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Section {
    /// The `[sync]` table.
    Sync,
    /// A bulk update: its event name and the object it edits.
    Event {
        /// The event's name.
        name: String,
        /// Its object's name.
        object: String,
    },
    /// An object.
    Object(String),
}

/// What a field holds and what it allows.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// A whole number, both ends allowed.
    Whole {
        /// Least.
        min: i64,
        /// Greatest.
        max: i64,
    },
    /// A number, both ends allowed.
    Number {
        /// Least.
        min: f64,
        /// Greatest.
        max: f64,
    },
    /// A duration (`90s`, `20m`, `4h`, `5d`): at least `min`, at most `max` if set. A
    /// bulk update's start also takes an RFC 3339 UTC instant.
    Duration {
        /// Shortest.
        min: Millis,
        /// Longest, if any.
        max: Option<Millis>,
    },
    /// One of a list of words.
    Choice(Vec<&'static str>),
    /// Object names in order, separated by commas.
    Order(Vec<String>),
}

/// One knob of a scenario, as the what-if form shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Its key: the `--set` path (`sync.workers`), or `events.<name>.parts` and
    /// `events.<name>.spacing` for a split.
    pub key: String,
    /// Where it belongs.
    pub section: Section,
    /// Its label.
    pub label: String,
    /// What it holds.
    pub kind: FieldKind,
    /// The unit shown beside it (empty for none).
    pub unit: &'static str,
    /// The scenario's value, written as it would be typed.
    pub value: String,
    /// What is allowed, in words: `1 to 1,024`.
    pub allowed: String,
}

/// A field's key for a split's number of parts.
fn parts_key(event: &str) -> String {
    format!("events.{event}.parts")
}

/// A field's key for the time between a split's parts.
fn spacing_key(event: &str) -> String {
    format!("events.{event}.spacing")
}

/// A number as typed: `5000`, `0.5`.
fn number_text(x: f64) -> String {
    num(x)
}

/// `1 to 1,024`.
fn whole_range(min: i64, max: i64) -> String {
    format!("{} to {}", thousands(min as u64), thousands(max as u64))
}

/// `0 to 10,000,000,000`.
fn number_range(min: f64, max: f64) -> String {
    format!(
        "{} to {}",
        thousands(min as u64),
        thousands(max.round() as u64)
    )
}

/// The knobs of `sc`, in form order: the sync, each bulk update, each object.
pub fn fields(sc: &Scenario) -> Vec<Field> {
    let mut out = Vec::new();
    let names = |order: &[usize]| -> Vec<String> {
        order.iter().map(|&o| sc.objects[o].name.clone()).collect()
    };
    let order = match &sc.sync.policy {
        Policy::RoundRobin { order, .. } | Policy::Priority { order } => names(order),
        _ => sc.objects.iter().map(|o| o.name.clone()).collect(),
    };
    let sync =
        |key: &str, label: &str, kind: FieldKind, unit, value: String, allowed: String| Field {
            key: format!("sync.{key}"),
            section: Section::Sync,
            label: label.into(),
            kind,
            unit,
            value,
            allowed,
        };
    out.push(sync(
        "policy",
        "Draining policy",
        FieldKind::Choice(POLICIES.to_vec()),
        "",
        sc.sync.policy.name().into(),
        POLICIES.join(", "),
    ));
    out.push(sync(
        "order",
        "Object order (round_robin, priority)",
        FieldKind::Order(sc.objects.iter().map(|o| o.name.clone()).collect()),
        "",
        order.join(", "),
        "the scenario's objects, comma-separated; objects left out follow in file order".into(),
    ));
    let w = limits::WORKERS;
    out.push(sync(
        "workers",
        "Workers (multi-batch queueing)",
        FieldKind::Whole {
            min: w.min,
            max: w.max,
        },
        "parallel batches",
        sc.sync.workers.to_string(),
        whole_range(w.min, w.max),
    ));
    let t = limits::THROUGHPUT;
    out.push(sync(
        "throughput",
        "Throughput",
        FieldKind::Number {
            min: t.min,
            max: t.max,
        },
        "units per hour per worker",
        number_text(sc.sync.throughput),
        format!(
            "{}; an update costs 1 unit, a skip {}",
            number_range(t.min, t.max),
            number_text(sc.sync.skip_cost)
        ),
    ));
    let b = limits::BATCH_SIZE;
    out.push(sync(
        "batch_size",
        "Batch size",
        FieldKind::Whole {
            min: b.min,
            max: b.max,
        },
        "records",
        sc.sync.batch_size.to_string(),
        whole_range(b.min, b.max),
    ));
    out.push(sync(
        "cycle_wait",
        "Wait between cycles",
        FieldKind::Duration { min: 1, max: None },
        "",
        format_duration(sc.sync.cycle_wait),
        "a duration longer than zero, e.g. 5m".into(),
    ));
    for e in &sc.events {
        let EventKind::BulkUpdate {
            object,
            count,
            spread,
            selection,
            ..
        } = &e.kind
        else {
            continue;
        };
        let o = &sc.objects[*object];
        let section = Section::Event {
            name: e.name.clone(),
            object: o.name.clone(),
        };
        let field = |key: String, label: &str, kind, unit, value: String, allowed: String| Field {
            key,
            section: section.clone(),
            label: label.into(),
            kind,
            unit,
            value,
            allowed,
        };
        let key = |k: &str| format!("events.{}.{k}", e.name);
        out.push(field(
            key("at"),
            "Start",
            FieldKind::Duration {
                min: 0,
                max: Some(sc.horizon - 1),
            },
            "after the scenario's start",
            format_duration(e.at),
            format!(
                "a time before the horizon ({}) such as 24h, or a UTC instant such as {}",
                format_duration(sc.horizon),
                sc.instant(e.at)
            ),
        ));
        out.push(field(
            key("count"),
            "Records updated",
            FieldKind::Whole {
                min: 1,
                max: o.records as i64,
            },
            "records",
            count.to_string(),
            format!(
                "{} (the {} records)",
                whole_range(1, o.records as i64),
                o.name
            ),
        ));
        out.push(field(
            key("spread"),
            "Spread over",
            FieldKind::Duration {
                min: 0,
                max: Some(MAX_SPREAD),
            },
            "",
            format_duration(*spread),
            format!("0 (all at once) to {}", format_duration(MAX_SPREAD)),
        ));
        if *selection == Selection::Sequential {
            let max_parts = (MAX_TRACKED_EVENTS as u32).min(*count);
            out.push(field(
                parts_key(&e.name),
                "Split into",
                FieldKind::Whole {
                    min: 1,
                    max: max_parts as i64,
                },
                "parts",
                "1".into(),
                format!(
                    "{} (1: not split); the parts take consecutive records",
                    whole_range(1, max_parts as i64)
                ),
            ));
            out.push(field(
                spacing_key(&e.name),
                "Parts start every",
                FieldKind::Duration { min: 1, max: None },
                "",
                format_duration((*spread).max(HOUR)),
                "a duration longer than zero, from one part's start to the next".into(),
            ));
        }
    }
    let r = limits::RATE_PER_HOUR;
    for o in sc.objects.iter() {
        for d in Direction::ALL {
            if !o.syncs[d as usize] {
                continue;
            }
            let (key, label) = match d {
                Direction::ToMarketing => ("edits_per_hour", "Edits per hour (in the CRM)"),
                Direction::ToCrm => (
                    "marketing_edits_per_hour",
                    "Edits per hour (in the marketing platform)",
                ),
            };
            out.push(Field {
                key: format!("objects.{}.{key}", o.name),
                section: Section::Object(o.name.clone()),
                label: label.into(),
                kind: FieldKind::Number {
                    min: r.min,
                    max: r.max,
                },
                unit: "edits per hour",
                value: number_text(o.edits_per_hour[d as usize]),
                allowed: format!(
                    "{} (also at the peak of the hour profile)",
                    number_range(r.min, r.max)
                ),
            });
        }
    }
    out
}

/// What was refused, by field where a field is at fault.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Refusal {
    /// (field key, message) for each field refused, in form order.
    pub fields: Vec<(String, String)>,
    /// Problems no single field is at fault for (the file itself, a combination).
    pub general: Vec<String>,
}

impl Refusal {
    fn field(key: &str, message: impl Into<String>) -> Self {
        Refusal {
            fields: vec![(key.to_string(), message.into())],
            general: Vec::new(),
        }
    }
}

/// A what-if: the variant scenario and the overrides that make it, in order.
#[derive(Debug, Clone)]
pub struct WhatIf {
    /// The variant, validated.
    pub scenario: Scenario,
    /// The overrides applied to the file, as `--set` would apply them.
    pub overrides: Vec<Override>,
}

/// The value of a field as a `--set` value, or why it cannot be one.
fn set_value(field: &Field, value: &str) -> Result<String, String> {
    if let FieldKind::Order(objects) = &field.kind {
        let names: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        if let Some(bad) = names.iter().find(|n| !objects.iter().any(|o| o == *n)) {
            return Err(format!(
                "unknown object '{bad}'; the scenario's objects are: {}",
                objects.join(", ")
            ));
        }
        let quoted: Vec<String> = names.iter().map(|n| toml_string(n)).collect();
        return Ok(format!("[{}]", quoted.join(", ")));
    }
    Ok(value.to_string())
}

/// The base scenario of `file` with `values` (field key, value as typed) applied: the
/// variant, or what is wrong, by field. Values equal to the scenario's own are left out.
/// Every wrong field is named at once: a refusal that names a field's key (or, naming
/// another key, one that the field's value alone brings about) is that field's, and the
/// others are validated again without it. Splits are applied last, to the scenario the other
/// values make.
pub fn what_if(
    file: &ScenarioFile,
    base: &Scenario,
    values: &[(String, String)],
) -> Result<WhatIf, Refusal> {
    let fields = fields(base);
    let mut refusal = Refusal::default();
    let mut sets: Vec<(&Field, Override)> = Vec::new();
    let mut splits: Vec<(String, Option<u32>, Option<Millis>)> = Vec::new();
    for (key, value) in values {
        let value = value.trim();
        let Some(field) = fields.iter().find(|f| f.key == *key) else {
            refusal
                .general
                .push(format!("'{key}' is not a knob of this scenario"));
            continue;
        };
        if value.chars().count() > MAX_VALUE_CHARS || value.chars().any(char::is_control) {
            refusal.fields.push((
                key.clone(),
                format!("must be one line of at most {MAX_VALUE_CHARS} characters"),
            ));
            continue;
        }
        if value == field.value {
            continue;
        }
        if let Section::Event { name, .. } = &field.section {
            if *key == parts_key(name) || *key == spacing_key(name) {
                let i = match splits.iter().position(|(n, _, _)| n == name) {
                    Some(i) => i,
                    None => {
                        splits.push((name.clone(), None, None));
                        splits.len() - 1
                    }
                };
                match split_value(field, value) {
                    Ok(Split::Parts(p)) => splits[i].1 = Some(p),
                    Ok(Split::Spacing(s)) => splits[i].2 = Some(s),
                    Err(message) => refusal.fields.push((key.clone(), message)),
                }
                continue;
            }
        }
        match set_value(field, value) {
            Ok(v) => sets.push((field, Override::set(&format!("{key}={v}")))),
            Err(message) => refusal.fields.push((key.clone(), message)),
        }
    }
    let scenario = loop {
        let overrides: Vec<Override> = sets.iter().map(|(_, o)| o.clone()).collect();
        let e = match file.scenario(&overrides) {
            Ok(sc) => break Some(sc),
            Err(e) => e,
        };
        let named = match &e {
            LoadError::Scenario(ScenarioError {
                location: Location::Key(k),
                ..
            }) => {
                let k = k.split('[').next().unwrap_or_default();
                sets.iter().position(|(f, _)| f.key == k)
            }
            _ => None,
        };
        let culprit = named.or_else(|| {
            sets.iter()
                .position(|(_, o)| file.scenario(std::slice::from_ref(o)).is_err())
        });
        match culprit {
            Some(i) => {
                let (field, _) = sets.remove(i);
                refusal
                    .fields
                    .push((field.key.clone(), field_message(&field.key, e)));
            }
            None => {
                refusal.general.push(general_message(e, &overrides));
                break None;
            }
        }
    };
    let (Some(mut scenario), true) = (
        scenario,
        refusal.fields.is_empty() && refusal.general.is_empty(),
    ) else {
        return Err(sorted(refusal, &fields));
    };
    let mut overrides: Vec<Override> = sets.into_iter().map(|(_, o)| o).collect();
    for (event, parts, spacing) in splits {
        let parts = parts.unwrap_or(1);
        if parts == 1 {
            // A spacing without parts changes nothing.
            continue;
        }
        let spacing = spacing.unwrap_or_else(|| {
            fields
                .iter()
                .find(|f| f.key == spacing_key(&event))
                .and_then(|f| parse_duration(&f.value).ok())
                .unwrap_or(HOUR)
        });
        let key = parts_key(&event);
        let assignments = split_assignments(&scenario, &event, parts, spacing)
            .map_err(|m| Refusal::field(&key, m))?;
        overrides.extend(assignments.iter().map(|a| Override::set(a)));
        // What the split adds (the parts' events) is the split's fault.
        scenario = file.scenario(&overrides).map_err(|e| match e {
            LoadError::Scenario(e) => Refusal::field(&key, e.message),
            other => Refusal::field(&key, other.to_string()),
        })?;
    }
    Ok(WhatIf {
        scenario,
        overrides,
    })
}

/// A split's value, read.
enum Split {
    Parts(u32),
    Spacing(Millis),
}

fn split_value(field: &Field, value: &str) -> Result<Split, String> {
    match field.kind {
        FieldKind::Whole { min, max } => match value.parse::<i64>() {
            Ok(p) if (min..=max).contains(&p) => Ok(Split::Parts(p as u32)),
            Ok(p) => Err(format!("must be {min}..={max} (got {p})")),
            Err(_) => Err(format!(
                "expected a whole number of parts, {min}..={max} (got '{value}')"
            )),
        },
        _ => match parse_duration(value) {
            Ok(0) => Err(format!("must be longer than zero (got '{value}')")),
            Ok(ms) => Ok(Split::Spacing(ms)),
            Err(e) => Err(e.to_string()),
        },
    }
}

/// The assignments that cut bulk update `event` of `sc` into `parts` parts starting
/// `spacing` apart, as `syncsim schedule` writes a split.
fn split_assignments(
    sc: &Scenario,
    event: &str,
    parts: u32,
    spacing: Millis,
) -> Result<Vec<String>, String> {
    let bulk = Bulk::find(sc, event).map_err(|e| e.to_string())?;
    if bulk.selection != Selection::Sequential {
        return Err(
            "a split needs records = \"sequential\", so the parts touch disjoint records".into(),
        );
    }
    let part_size = bulk.count.div_ceil(parts);
    let made = bulk.count.div_ceil(part_size);
    if made != parts {
        return Err(format!(
            "{} records do not split into {parts} parts of equal size (parts of {} make {made}); choose at most {}",
            thousands(bulk.count as u64),
            thousands(part_size as u64),
            thousands(bulk.count as u64),
        ));
    }
    let at = sc
        .events
        .iter()
        .find(|e| e.name == event)
        .map_or(0, |e| e.at);
    let spec = ScheduleSpec {
        bulk,
        starts: vec![at],
        part_sizes: vec![part_size],
        spacings: vec![spacing],
        constraints: None,
        rank_by: (
            DEFAULT_RANK.to_string(),
            crate::expr::Stat::Percentile(50.0),
        ),
        replications: 1,
    };
    let plan = Plan {
        index: 0,
        start: at,
        part_size,
        spacing,
        parts,
    };
    Ok(spec.assignments(&plan))
}

/// What a refusal of one field's value says beside it: the message, after the key when the
/// key is not the field's own (a batch size refused by the API limit it no longer fits).
fn field_message(key: &str, e: LoadError) -> String {
    match e {
        LoadError::Scenario(ScenarioError {
            location: Location::Key(k),
            message,
            ..
        }) if k != key && !k.starts_with(&format!("{key}[")) => format!("{k}: {message}"),
        LoadError::Scenario(e) => e.message,
        LoadError::Data(e) => e.to_string(),
    }
}

/// A refusal no field is at fault for, with the overrides it was validated with.
fn general_message(e: LoadError, overrides: &[Override]) -> String {
    let shown: Vec<&str> = overrides.iter().map(Override::shown).collect();
    format!("{e} (with {})", shown.join(" "))
}

/// The refusal with its fields in form order.
fn sorted(mut r: Refusal, fields: &[Field]) -> Refusal {
    r.fields
        .sort_by_key(|(k, _)| fields.iter().position(|f| f.key == *k));
    r
}

/// The variant as a scenario file: `original` (the file's text; `source` names it) with
/// the what-if's overrides written into it and a comment at the top saying so. It
/// validates on its own to the variant.
pub fn variant_text(
    original: &str,
    source: &str,
    what_if: &WhatIf,
) -> Result<String, ScenarioError> {
    let body = write_overrides(original, source, &what_if.overrides)?;
    let mut head = format!("# A what-if of {source}, made with syncsim serve");
    if what_if.overrides.is_empty() {
        head.push_str(" (nothing changed).\n");
    } else {
        head.push_str(": the file with\n");
        for o in &what_if.overrides {
            head.push_str(&format!("#   {o}\n"));
        }
    }
    Ok(format!("{head}\n{body}"))
}

/// One scenario's runs: a single run in full, or replications.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// One run with the scenario's seed.
    Single(RunSummary),
    /// Replications; replication 0 is the single run.
    Replications(MonteCarlo),
}

impl Outcome {
    /// The single run, or replication 0 (the same run).
    pub fn summary(&self) -> &RunSummary {
        match self {
            Outcome::Single(s) => s,
            Outcome::Replications(mc) => &mc.first,
        }
    }

    /// The replications, if there are several.
    pub fn monte_carlo(&self) -> Option<&MonteCarlo> {
        match self {
            Outcome::Single(_) => None,
            Outcome::Replications(mc) => Some(mc),
        }
    }

    /// How many runs.
    pub fn replications(&self) -> u64 {
        self.monte_carlo().map_or(1, |mc| mc.runs.len() as u64)
    }

    /// Metric `name` in every run, in replication order; `None` if the runs have no such
    /// metric.
    pub fn column(&self, name: &str) -> Option<Vec<Option<f64>>> {
        match self {
            Outcome::Single(s) => s.metric(name).map(|v| vec![v]),
            Outcome::Replications(mc) => mc.column(name),
        }
    }
}

/// Runs `sc` once (its edits drawn on a second thread) or as `replications` replications
/// on the current rayon pool; `progress` is called once per finished run. Returns `None` if
/// `cancel` was set before it finished ([`Inputs::cancel`]).
pub fn run(
    sc: &Scenario,
    replications: u64,
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Option<Outcome> {
    if replications > 1 {
        return replicate::run_until(sc, replications, progress, cancel).map(Outcome::Replications);
    }
    let result = simulate_in(
        &mut Workspace::default(),
        sc,
        sc.seed,
        Inputs {
            draw_ahead: true,
            cancel: Some(cancel),
            ..Inputs::default()
        },
    );
    if cancel.load(Ordering::Relaxed) {
        return None;
    }
    progress();
    Some(Outcome::Single(RunSummary::of(sc, result)))
}
