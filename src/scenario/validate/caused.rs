//! Validation of `[cascades.<name>]` and `[echoes.<name>]` tables and `max_generations`:
//! objects and directions resolved (a caused edit must land in a direction its object
//! syncs), one way of giving a count, and the self-feeding check (docs/model.md, Cascades
//! and echoes): the rules are a graph, each edge weighted by the mean number of edits one
//! caused edit makes through it; a set of rules whose caused edits grow from one generation
//! to the next (the graph's spectral radius is 1 or more) is refused, naming a cycle.

use indexmap::IndexMap;

use super::{check_name, Checker, Expect};
use crate::scenario::caused::{
    CausedCount, CausedRecords, CausedRule, CausedRules, RuleKind, Trigger, MAX_GENERATIONS,
    MAX_GENERATIONS_LIMIT, MAX_RULES,
};
use crate::scenario::raw::{RawCascade, RawEcho};
use crate::scenario::{Direction, ObjectSpec, ScenarioError, MAX_HORIZON};
use crate::units;

/// The most edits one trigger may cause (`count`, `count_max`, `count_mean`).
const MAX_COUNT: i64 = 100_000;

/// Validates the cascades, the echoes and `max_generations` against the validated objects.
pub(super) fn validate_caused(
    c: &Checker,
    cascades: &IndexMap<String, RawCascade>,
    echoes: &IndexMap<String, RawEcho>,
    max_generations: Option<i64>,
    objects: &[ObjectSpec],
) -> Result<CausedRules, ScenarioError> {
    if cascades.len() + echoes.len() > MAX_RULES {
        let key = if cascades.len() > echoes.len() {
            "cascades"
        } else {
            "echoes"
        };
        return c.fail(
            key,
            format!(
                "the scenario has {} cascades and echoes; at most {MAX_RULES} are allowed",
                cascades.len() + echoes.len()
            ),
        );
    }
    let max_generations = match max_generations {
        None => MAX_GENERATIONS,
        Some(g) => c.int_in("max_generations", g, 1, MAX_GENERATIONS_LIMIT as i64)? as u32,
    };
    let mut rules = Vec::with_capacity(cascades.len() + echoes.len());
    for (name, raw) in cascades {
        rules.push(cascade(c, name, raw, objects)?);
    }
    for (name, raw) in echoes {
        rules.push(echo(c, name, raw, objects)?);
    }
    let rules = CausedRules {
        rules,
        max_generations,
    };
    check_self_feeding(c, &rules, objects)?;
    Ok(rules)
}

/// A `direction` key: one direction, or `both`; `None` when absent.
fn directions(
    c: &Checker,
    key: &str,
    text: Option<&str>,
) -> Result<Option<[bool; 2]>, ScenarioError> {
    match text {
        None => Ok(None),
        Some("both") => Ok(Some([true, true])),
        Some(d) => match Direction::parse(d) {
            Some(d) => {
                let mut set = [false; 2];
                set[d as usize] = true;
                Ok(Some(set))
            }
            None => c.fail(
                key,
                format!("unknown direction '{d}'; allowed: to_marketing, to_crm, both"),
            ),
        },
    }
}

/// A rule's `delay` (0 by default).
fn delay(c: &Checker, key: &str, value: Option<&toml::Value>) -> Result<u64, ScenarioError> {
    let Some(value) = value else { return Ok(0) };
    let d = c.duration(key, &c.text(key, value, Expect::Duration)?)?;
    if d > MAX_HORIZON {
        return c.fail(
            key,
            format!("must be at most 3660d (got {})", units::format_duration(d)),
        );
    }
    Ok(d)
}

/// Checks that `object` syncs every direction of `set`; `why(d)` says what needs `d`.
fn synced_directions(
    c: &Checker,
    key: &str,
    object: &ObjectSpec,
    set: [bool; 2],
    why: impl Fn(Direction) -> String,
) -> Result<(), ScenarioError> {
    for d in Direction::ALL {
        if set[d as usize] && !object.syncs[d as usize] {
            return c.fail(
                key,
                format!(
                    "{} does not sync {}, {}; set {}'s `sync` to include {}, or the rule's \
                     `direction`",
                    object.name,
                    d.name(),
                    why(d),
                    object.name,
                    d.name()
                ),
            );
        }
    }
    Ok(())
}

/// Validates `[cascades.<name>]`.
fn cascade(
    c: &Checker,
    name: &str,
    raw: &RawCascade,
    objects: &[ObjectSpec],
) -> Result<CausedRule, ScenarioError> {
    check_name(c, &format!("cascades.{name}"), name, "a cascade")?;
    let key = |k: &str| format!("cascades.{name}.{k}");
    let object = |k: &str, v: &Option<String>| match v {
        None => c.fail(
            key(k),
            format!(
                "is required: the object whose {} (one of the scenario's objects)",
                if k == "from" {
                    "edits or synced updates set the cascade off"
                } else {
                    "records the cascade edits"
                }
            ),
        ),
        Some(n) => c.object(&key(k), n, objects),
    };
    let from = object("from", &raw.from)?;
    let to = object("to", &raw.to)?;
    let on = match raw.on.as_deref() {
        None | Some("edit") => Trigger::Edit,
        Some("synced") => Trigger::Synced,
        Some(other) => {
            return c.fail(
                key("on"),
                format!(
                    "unknown trigger '{other}'; allowed: edit (every edit of `from`), synced \
                     (every update of `from` the sync completes)"
                ),
            )
        }
    };
    let watched = match directions(c, &key("direction"), raw.direction.as_deref())? {
        Some(set) => {
            synced_directions(c, &key("direction"), &objects[from], set, |_| {
                "so it has no edits or updates in that direction to watch".to_string()
            })?;
            set
        }
        None => objects[from].syncs,
    };
    let mut caused = [false; 2];
    for d in Direction::ALL.into_iter().filter(|d| watched[*d as usize]) {
        let to_d = match on {
            Trigger::Edit => d,
            Trigger::Synced => d.other(),
        };
        caused[to_d as usize] = true;
    }
    let from_name = &objects[from].name;
    synced_directions(c, &key("to"), &objects[to], caused, |d| match on {
        Trigger::Edit => format!(
            "the way this cascade's edits would flow (made on the side of the {from_name} \
             edit that sets it off, which flows {})",
            d.name()
        ),
        Trigger::Synced => format!(
            "the way this cascade's edits would flow (made on the side a synced {from_name} \
             update is written to, which flows {})",
            d.other().name()
        ),
    })?;
    let given = [
        raw.count.is_some(),
        raw.count_mean.is_some(),
        raw.count_min.is_some() || raw.count_max.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return c.fail(
            key("count"),
            "give one of `count` (fixed), `count_mean` (Poisson) or `count_min` and \
             `count_max` (uniform), not several",
        );
    }
    let count = if let Some(k) = raw.count {
        CausedCount::Fixed(c.int_in(&key("count"), k, 0, MAX_COUNT)? as u32)
    } else if let Some(mean) = raw.count_mean {
        CausedCount::Poisson(c.non_negative(&key("count_mean"), mean, MAX_COUNT as f64)?)
    } else if raw.count_min.is_some() || raw.count_max.is_some() {
        let (Some(lo), Some(hi)) = (raw.count_min, raw.count_max) else {
            let missing = if raw.count_min.is_none() {
                "count_min"
            } else {
                "count_max"
            };
            return c.fail(
                key(missing),
                "is required with the other: a uniform count takes `count_min` and `count_max`",
            );
        };
        let lo = c.int_in(&key("count_min"), lo, 0, MAX_COUNT)?;
        let hi = c.int_in(&key("count_max"), hi, lo, MAX_COUNT)?;
        CausedCount::Uniform(lo as u32, hi as u32)
    } else {
        CausedCount::Fixed(1)
    };
    let synced_fraction = match raw.synced_fields {
        None => 1.0,
        Some(f) => c.fraction(&key("synced_fields"), f)?,
    };
    Ok(CausedRule {
        name: name.to_string(),
        kind: RuleKind::Cascade,
        on,
        from,
        directions: watched,
        to,
        count,
        records: CausedRecords::Picked,
        delay: delay(c, &key("delay"), raw.delay.as_ref())?,
        synced_fraction,
    })
}

/// Validates `[echoes.<name>]`.
fn echo(
    c: &Checker,
    name: &str,
    raw: &RawEcho,
    objects: &[ObjectSpec],
) -> Result<CausedRule, ScenarioError> {
    check_name(c, &format!("echoes.{name}"), name, "an echo")?;
    let key = |k: &str| format!("echoes.{name}.{k}");
    let object = match &raw.object {
        None => {
            return c.fail(
                key("object"),
                "is required: the object whose synced updates re-stamp the record on the side \
                 written to",
            )
        }
        Some(n) => c.object(&key("object"), n, objects)?,
    };
    if objects[object].syncs != [true, true] {
        return c.fail(
            key("object"),
            format!(
                "{} does not sync both ways (`sync = \"both\"`), so a re-stamp on the side \
                 written to would queue nothing",
                objects[object].name
            ),
        );
    }
    let watched = directions(c, &key("direction"), raw.direction.as_deref())?.unwrap_or([true; 2]);
    let fraction = match raw.fraction {
        None => 1.0,
        Some(f) => c.fraction(&key("fraction"), f)?,
    };
    let synced_fraction = match raw.as_.as_deref() {
        None | Some("skip") => 0.0,
        Some("update") => 1.0,
        Some(other) => {
            return c.fail(
                key("as"),
                format!(
                    "unknown kind '{other}'; allowed: skip (the re-stamp changes no synced \
                     field), update (it changes one)"
                ),
            )
        }
    };
    Ok(CausedRule {
        name: name.to_string(),
        kind: RuleKind::Echo,
        on: Trigger::Synced,
        from: object,
        directions: watched,
        to: object,
        count: CausedCount::Chance(fraction),
        records: CausedRecords::Same,
        delay: delay(c, &key("delay"), raw.delay.as_ref())?,
        synced_fraction,
    })
}

/// One node of the rule graph: rule `rule` set off in direction `direction`.
#[derive(Debug, Clone, Copy)]
struct Node {
    rule: usize,
    direction: Direction,
}

/// The rule graph: node `i` to node `j` weighs the mean number of edits rule `j` causes per
/// edit rule `i` caused (0: no edge).
fn graph(rules: &CausedRules) -> (Vec<Node>, Vec<Vec<f64>>) {
    let mut nodes = Vec::new();
    for (r, rule) in rules.rules.iter().enumerate() {
        for d in Direction::ALL {
            if rule.directions[d as usize] {
                nodes.push(Node {
                    rule: r,
                    direction: d,
                });
            }
        }
    }
    let n = nodes.len();
    let mut w = vec![vec![0.0; n]; n];
    for (i, a) in nodes.iter().enumerate() {
        let ra = &rules.rules[a.rule];
        let caused = ra.caused_direction(a.direction);
        for (j, b) in nodes.iter().enumerate() {
            let rb = &rules.rules[b.rule];
            if rb.from != ra.to || b.direction != caused {
                continue;
            }
            // Every caused edit sets off an `edit` rule; only one touching synced fields can
            // become a synced update (at most one per edit).
            w[i][j] = match rb.on {
                Trigger::Edit => rb.count.mean(),
                Trigger::Synced => ra.synced_fraction * rb.count.mean(),
            };
        }
    }
    (nodes, w)
}

/// Refuses rules whose caused edits can grow from one generation to the next.
fn check_self_feeding(
    c: &Checker,
    rules: &CausedRules,
    objects: &[ObjectSpec],
) -> Result<(), ScenarioError> {
    let (nodes, w) = graph(rules);
    for component in components(&w) {
        let radius = spectral_radius(&w, &component);
        if radius < 1.0 - 1e-9 {
            continue;
        }
        let name = |i: usize| {
            let node = nodes[i];
            let rule = &rules.rules[node.rule];
            if rule.directions == [true, true] {
                format!(
                    "{} ({} {}, {})",
                    rule.key(),
                    objects[rule.from].name,
                    rule.on.name(),
                    node.direction.name()
                )
            } else {
                format!(
                    "{} ({} {})",
                    rule.key(),
                    objects[rule.from].name,
                    rule.on.name()
                )
            }
        };
        let key = rules.rules[nodes[component[0]].rule].key();
        let message = match heaviest_cycle(&w, &component) {
            Some((cycle, product)) if product >= 1.0 - 1e-9 => {
                let mut path: Vec<String> = cycle.iter().map(|&i| name(i)).collect();
                path.push(name(cycle[0]));
                format!(
                    "these rules feed themselves for ever: {}; each caused edit causes {} \
                     more around the cycle (the product of the mean counts and synced \
                     fractions along it), which must be below 1; lower a count or fraction, \
                     make an echo a skip, or break the cycle",
                    path.join(" -> "),
                    number(product)
                )
            }
            _ => {
                let names: Vec<String> = component.iter().map(|&i| name(i)).collect();
                format!(
                    "these rules feed each other for ever: {}; together each generation of \
                     caused edits makes {} times as many in the next, which must be below 1; \
                     lower a count or fraction, or break a cycle",
                    names.join(", "),
                    number(radius)
                )
            }
        };
        return c.fail(key, message);
    }
    Ok(())
}

/// A number for a message: up to three decimals, no trailing zeros.
fn number(x: f64) -> String {
    let text = format!("{x:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The strongly connected components of the graph that hold a cycle, each as its nodes in
/// ascending order, ordered by their first node.
fn components(w: &[Vec<f64>]) -> Vec<Vec<usize>> {
    let n = w.len();
    // Reachability by a transitive closure: the graph has at most 128 nodes.
    let mut reach: Vec<Vec<bool>> = (0..n)
        .map(|i| (0..n).map(|j| w[i][j] > 0.0).collect())
        .collect();
    for k in 0..n {
        let through = reach[k].clone();
        for row in reach.iter_mut() {
            if row[k] {
                for (r, &x) in row.iter_mut().zip(&through) {
                    *r |= x;
                }
            }
        }
    }
    let mut seen = vec![false; n];
    let mut out = Vec::new();
    for i in 0..n {
        if seen[i] || !reach[i][i] {
            continue;
        }
        let component: Vec<usize> = (0..n).filter(|&j| reach[i][j] && reach[j][i]).collect();
        for &j in &component {
            seen[j] = true;
        }
        out.push(component);
    }
    out
}

/// The spectral radius of the graph restricted to `nodes` (a strongly connected component):
/// power iteration on `W + I`, whose Perron root is the radius plus one and which, unlike
/// `W`, converges for a cycle; the Collatz-Wielandt lower bound after the iterations.
fn spectral_radius(w: &[Vec<f64>], nodes: &[usize]) -> f64 {
    let mut x = vec![1.0; nodes.len()];
    let mut lower = 0.0;
    for _ in 0..2000 {
        let y: Vec<f64> = nodes
            .iter()
            .enumerate()
            .map(|(a, &i)| {
                x[a] + nodes
                    .iter()
                    .enumerate()
                    .map(|(b, &j)| w[i][j] * x[b])
                    .sum::<f64>()
            })
            .collect();
        lower = y
            .iter()
            .zip(&x)
            .map(|(y, x)| y / x)
            .fold(f64::INFINITY, f64::min);
        let top = y.iter().copied().fold(0.0, f64::max);
        x = y.iter().map(|v| v / top).collect();
        if x.iter().any(|v| *v <= 0.0) {
            break;
        }
    }
    lower - 1.0
}

/// The elementary cycle of largest weight product within `nodes`, found by a bounded
/// search (each cycle from its lowest node), as its nodes and its product.
fn heaviest_cycle(w: &[Vec<f64>], nodes: &[usize]) -> Option<(Vec<usize>, f64)> {
    let mut best: Option<(Vec<usize>, f64)> = None;
    let mut budget = 100_000u32;
    for &start in nodes {
        let mut path = vec![start];
        walk(w, nodes, start, 1.0, &mut path, &mut best, &mut budget);
    }
    best
}

/// Extends `path` (from `start`, its weight product `product` so far) by every node above
/// `start` not on it, noting cycles back to `start`.
fn walk(
    w: &[Vec<f64>],
    nodes: &[usize],
    start: usize,
    product: f64,
    path: &mut Vec<usize>,
    best: &mut Option<(Vec<usize>, f64)>,
    budget: &mut u32,
) {
    let last = *path.last().expect("a path starts at its start");
    for &next in nodes {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let weight = w[last][next];
        if weight <= 0.0 {
            continue;
        }
        if next == start {
            let p = product * weight;
            if best.as_ref().is_none_or(|(_, b)| p > *b) {
                *best = Some((path.clone(), p));
            }
        } else if next > start && !path.contains(&next) {
            path.push(next);
            walk(w, nodes, start, product * weight, path, best, budget);
            path.pop();
        }
    }
}
