//! Validation of the `[sync]` table over what the preset fills: the draining policy and its
//! object order, slice or weights, gates (refusing a gate cycle), workers, batch size,
//! throughput, skip cost, cycle wait and batch overhead.

use indexmap::IndexMap;

use super::{Checker, Expect, MAX_THROUGHPUT};
use crate::scenario::limits::{BATCH_SIZE, MAX_BATCH_OVERHEAD, POLICIES, SLICE, WEIGHT, WORKERS};
use crate::scenario::raw::RawSync;
use crate::scenario::{defaults, ObjectSpec, Policy, Preset, ScenarioError, SyncSpec};
use crate::units;

/// The sync settings a preset fills before the file's own `[sync]` keys.
fn preset_sync(preset: Option<Preset>, objects: &[ObjectSpec]) -> RawSync {
    match preset {
        None => RawSync::default(),
        Some(Preset::Dynamics) => RawSync {
            policy: Some("fifo".into()),
            workers: Some(1),
            ..RawSync::default()
        },
        Some(Preset::Hubspot) => RawSync {
            policy: Some("fifo".into()),
            ..RawSync::default()
        },
        Some(Preset::Salesforce) => {
            let has = |n: &str| objects.iter().any(|o| o.name == n);
            let mut gates = IndexMap::new();
            if has("Contact") && has("Account") {
                gates.insert("Contact".to_string(), "Account".to_string());
            }
            RawSync {
                policy: Some("round_robin".into()),
                slice: Some(defaults::SLICE as i64),
                gates: Some(gates),
                ..RawSync::default()
            }
        }
    }
}

/// Validates the sync: the preset's settings, overridden by the file's own `[sync]` keys.
pub(super) fn validate_sync(
    c: &Checker,
    file: &RawSync,
    preset: Option<Preset>,
    objects: &[ObjectSpec],
) -> Result<SyncSpec, ScenarioError> {
    let base = preset_sync(preset, objects);
    macro_rules! pick {
        ($field:ident) => {
            file.$field.clone().or(base.$field.clone())
        };
    }
    let policy_name = pick!(policy).unwrap_or_else(|| "fifo".into());
    let order = match pick!(order) {
        None => (0..objects.len()).collect::<Vec<_>>(),
        Some(names) => {
            let mut order = Vec::with_capacity(objects.len());
            for (i, n) in names.iter().enumerate() {
                let idx = c.object(&format!("sync.order[{i}]"), n, objects)?;
                if order.contains(&idx) {
                    return c.fail(format!("sync.order[{i}]"), format!("'{n}' is listed twice"));
                }
                order.push(idx);
            }
            // Objects left out take their turn after the listed ones, in declaration order.
            let missing: Vec<usize> = (0..objects.len()).filter(|i| !order.contains(i)).collect();
            order.extend(missing);
            order
        }
    };
    let slice = pick!(slice);
    let weights = pick!(weights);
    let only_for = |key: &str, policy: &str| {
        c.fail::<()>(
            format!("sync.{key}"),
            format!("applies only with policy = \"{policy}\" (the policy is \"{policy_name}\")"),
        )
    };
    let policy = match policy_name.as_str() {
        "fifo" => Policy::Fifo,
        "round_robin" => Policy::RoundRobin {
            order: order.clone(),
            slice: c.int_in(
                "sync.slice",
                slice.unwrap_or(defaults::SLICE as i64),
                SLICE.min,
                SLICE.max,
            )? as u32,
        },
        "priority" => Policy::Priority {
            order: order.clone(),
        },
        "weighted" => {
            let mut w = vec![1u32; objects.len()];
            for (n, v) in weights.iter().flatten() {
                let idx = c.object(&format!("sync.weights.{n}"), n, objects)?;
                w[idx] = c.int_in(&format!("sync.weights.{n}"), *v, WEIGHT.min, WEIGHT.max)? as u32;
            }
            Policy::Weighted { weights: w }
        }
        other => {
            return c.fail(
                "sync.policy",
                format!("unknown policy '{other}'; allowed: {}", POLICIES.join(", ")),
            )
        }
    };
    if file.slice.is_some() && !matches!(policy, Policy::RoundRobin { .. }) {
        only_for("slice", "round_robin")?;
    }
    if file.weights.is_some() && !matches!(policy, Policy::Weighted { .. }) {
        only_for("weights", "weighted")?;
    }
    if file.order.is_some() && matches!(policy, Policy::Fifo | Policy::Weighted { .. }) {
        c.fail::<()>("sync.order", format!("applies only with policy = \"round_robin\" or \"priority\" (the policy is \"{policy_name}\")"))?;
    }

    let mut gates = vec![None; objects.len()];
    for (gated, gate) in pick!(gates).iter().flatten() {
        let key = format!("sync.gates.{gated}");
        let g = c.object(&key, gated, objects)?;
        let by = c.object(&key, gate, objects)?;
        if g == by {
            return c.fail(key, format!("'{gated}' cannot be gated on itself"));
        }
        gates[g] = Some(by);
    }
    // A cycle of gates would hold every object in it back forever once all have backlog.
    for start in 0..objects.len() {
        let mut seen = vec![false; objects.len()];
        let mut at = start;
        while let Some(next) = gates[at] {
            if seen[next] {
                let names: Vec<&str> = (0..objects.len())
                    .filter(|i| seen[*i])
                    .map(|i| objects[i].name.as_str())
                    .collect();
                return c.fail(
                    "sync.gates",
                    format!(
                        "the gates form a cycle ({}); no object in it could ever drain",
                        names.join(" -> ")
                    ),
                );
            }
            seen[next] = true;
            at = next;
        }
    }

    let workers = c.int_in(
        "sync.workers",
        pick!(workers).unwrap_or(1),
        WORKERS.min,
        WORKERS.max,
    )? as u32;
    let batch_size = c.int_in(
        "sync.batch_size",
        pick!(batch_size).unwrap_or(defaults::BATCH_SIZE as i64),
        BATCH_SIZE.min,
        BATCH_SIZE.max,
    )? as u32;
    let throughput = c.non_negative(
        "sync.throughput",
        pick!(throughput).unwrap_or(defaults::THROUGHPUT),
        MAX_THROUGHPUT,
    )?;
    let skip_cost = c.non_negative(
        "sync.skip_cost",
        pick!(skip_cost).unwrap_or(defaults::SKIP_COST),
        1e3,
    )?;
    let cycle_wait = match pick!(cycle_wait) {
        None => defaults::CYCLE_WAIT,
        Some(t) => c.positive_duration(
            "sync.cycle_wait",
            &c.text("sync.cycle_wait", &t, Expect::Duration)?,
        )?,
    };
    let batch_overhead = match pick!(batch_overhead) {
        None => 0,
        Some(t) => c.duration(
            "sync.batch_overhead",
            &c.text("sync.batch_overhead", &t, Expect::Duration)?,
        )?,
    };
    if batch_overhead > MAX_BATCH_OVERHEAD {
        return c.fail(
            "sync.batch_overhead",
            format!(
                "must be at most {} (got {})",
                units::format_duration(MAX_BATCH_OVERHEAD),
                units::format_duration(batch_overhead)
            ),
        );
    }
    if skip_cost == 0.0 && batch_overhead == 0 {
        // A batch of skips alone would take no time and the clock would never move.
        return c.fail("sync.skip_cost", "must be above 0 unless sync.batch_overhead is set: a batch of skips would take no time");
    }
    Ok(SyncSpec {
        policy,
        gates,
        workers,
        batch_size,
        throughput,
        skip_cost,
        cycle_wait,
        batch_overhead,
        requeue: pick!(requeue).unwrap_or(true),
    })
}
