//! Warnings: a scenario that validates but goes past a limit its preset documents. A preset
//! stands for a platform; where the platform cannot do something (Dynamics has no
//! multi-batch queueing and no way to raise its throughput), a scenario that asks for it
//! still runs, as a what-if, but is told so (docs/scenario.md, Presets).
//!
//! Warnings are read off the validated scenario, so `--set` overrides and events are seen as
//! the run will see them. They never refuse a scenario and never change an exit code.

use std::fmt;

use super::{EventKind, Policy, Preset, ScenarioSpec};

/// A scenario setting past a limit its preset documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioWarning {
    /// The key that goes past the limit (`sync.workers`, `events.<name>.workers`).
    pub key: String,
    /// What the platform documents and what the scenario asks for instead.
    pub message: String,
}

impl fmt::Display for ScenarioWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl ScenarioSpec {
    /// Every setting past a limit the scenario's preset documents, in file order: the sync's
    /// keys, then the events.
    pub fn warnings(&self) -> Vec<ScenarioWarning> {
        match self.preset {
            Some(Preset::Dynamics) => dynamics(self),
            Some(Preset::Salesforce | Preset::Hubspot) | None => Vec::new(),
        }
    }
}

/// What the Dynamics preset stands for: one worker (no multi-batch queueing), strict FIFO by
/// edit time, and no way to raise the throughput the scenario starts with.
fn dynamics(sc: &ScenarioSpec) -> Vec<ScenarioWarning> {
    const WHAT_IF: &str = "the run goes ahead as a what-if";
    let mut warnings = Vec::new();
    let mut warn = |key: String, message: String| warnings.push(ScenarioWarning { key, message });
    if sc.sync.policy != Policy::Fifo {
        warn(
            "sync.policy".into(),
            format!(
                "is \"{}\", but a Dynamics sync (preset = \"dynamics\") drains strictly FIFO by \
                 edit time and cannot reorder its queue; {WHAT_IF}",
                sc.sync.policy.name()
            ),
        );
    }
    if sc.sync.workers > 1 {
        warn(
            "sync.workers".into(),
            format!(
                "is {}, but a Dynamics sync (preset = \"dynamics\") has no multi-batch queueing: \
                 one batch at a time; {WHAT_IF}",
                sc.sync.workers
            ),
        );
    }
    for event in &sc.events {
        match event.kind {
            EventKind::SetWorkers { workers } if workers > 1 => warn(
                format!("events.{}.workers", event.name),
                format!(
                    "is {workers}, but a Dynamics sync (preset = \"dynamics\") has no \
                     multi-batch queueing: one batch at a time; {WHAT_IF}"
                ),
            ),
            EventKind::SetThroughput { throughput } if throughput > sc.sync.throughput => warn(
                format!("events.{}.throughput", event.name),
                format!(
                    "raises the throughput to {throughput} from the scenario's {} per hour, but \
                     a Dynamics sync (preset = \"dynamics\") has no way to raise its \
                     throughput; {WHAT_IF}",
                    sc.sync.throughput
                ),
            ),
            _ => {}
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use crate::scenario::from_str;

    fn warnings(extra: &str) -> Vec<String> {
        let text = format!(
            "start = \"2026-11-23T00:00:00Z\"\npreset = \"dynamics\"\n[objects.Lead]\nrecords = 10\n{extra}"
        );
        let sc = from_str(&text, "s.toml", "s", &[]).unwrap();
        sc.warnings().iter().map(|w| w.key.clone()).collect()
    }

    #[test]
    fn a_dynamics_scenario_within_its_limits_has_no_warning() {
        assert!(warnings("[sync]\nthroughput = 10000\n").is_empty());
        // Lowering the throughput (an outage) and restoring it raises nothing.
        let events = "[events.slow]\nkind = \"set_throughput\"\nat = \"1h\"\nthroughput = 100\n\
                      [events.back]\nkind = \"set_throughput\"\nat = \"2h\"\nthroughput = 50000\n\
                      [events.one]\nkind = \"set_workers\"\nat = \"3h\"\nworkers = 1\n";
        assert!(warnings(events).is_empty());
    }

    #[test]
    fn each_limit_a_dynamics_scenario_goes_past_is_named_by_its_key() {
        let extra = "[sync]\nworkers = 2\npolicy = \"priority\"\n\
                     [events.mbq]\nkind = \"set_workers\"\nat = \"1h\"\nworkers = 3\n\
                     [events.faster]\nkind = \"set_throughput\"\nat = \"2h\"\nthroughput = 60000\n";
        assert_eq!(
            warnings(extra),
            [
                "sync.policy",
                "sync.workers",
                "events.mbq.workers",
                "events.faster.throughput"
            ]
        );
    }

    #[test]
    fn other_presets_have_no_documented_limit_to_warn_of() {
        for preset in ["salesforce", "hubspot"] {
            let text = format!(
                "start = \"2026-11-23T00:00:00Z\"\npreset = \"{preset}\"\n[objects.Lead]\nrecords = 10\n[sync]\nworkers = 4\n"
            );
            assert!(from_str(&text, "s.toml", "s", &[])
                .unwrap()
                .warnings()
                .is_empty());
        }
    }
}
