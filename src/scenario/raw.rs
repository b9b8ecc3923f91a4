//! The scenario file exactly as written: serde structs that mirror the TOML, every field
//! optional so presets and defaults can fill the gaps, unknown keys refused.
//!
//! Nothing here is checked beyond its TOML type; validation (behind [`super::from_str`]) turns a [`RawScenario`]
//! into a [`super::Scenario`] and names the key of anything out of range.

// Durations and instants are kept as TOML values so that `"4h"`, a bare `0` and a native
// TOML date-time are all accepted and a wrong type is reported with its key.
// Every field is the TOML key of the same name, documented (unit, default, range) in
// docs/scenario.md; repeating that on each field here would only drift.
#![allow(missing_docs)]

use indexmap::IndexMap;
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<String>,
    pub description: Option<String>,
    pub preset: Option<String>,
    pub seed: Option<i64>,
    pub start: Option<toml::Value>,
    pub time_zone: Option<String>,
    pub holidays: Option<Vec<String>>,
    pub horizon: Option<toml::Value>,
    pub horizon_cap: Option<toml::Value>,
    pub sample_interval: Option<toml::Value>,
    pub replications: Option<i64>,
    pub initial_backlog_file: Option<String>,
    #[serde(default)]
    pub objects: IndexMap<String, RawObject>,
    #[serde(default)]
    pub sync: RawSync,
    #[serde(default)]
    pub api: RawApi,
    #[serde(default)]
    pub retry: RawRetry,
    #[serde(default)]
    pub events: IndexMap<String, RawEvent>,
    #[serde(default)]
    pub expect: IndexMap<String, String>,
    #[serde(default)]
    pub sla: RawSla,
    #[serde(default)]
    pub cascades: IndexMap<String, RawCascade>,
    #[serde(default)]
    pub echoes: IndexMap<String, RawEcho>,
    pub max_generations: Option<i64>,
}

/// One `[cascades.<name>]` table (docs/scenario.md, Cascades and echoes).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCascade {
    pub from: Option<String>,
    pub on: Option<String>,
    pub to: Option<String>,
    pub direction: Option<String>,
    pub count: Option<i64>,
    pub count_mean: Option<f64>,
    pub count_min: Option<i64>,
    pub count_max: Option<i64>,
    pub delay: Option<toml::Value>,
    pub synced_fields: Option<f64>,
}

/// One `[echoes.<name>]` table (docs/scenario.md, Cascades and echoes).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEcho {
    pub object: Option<String>,
    pub direction: Option<String>,
    pub fraction: Option<f64>,
    #[serde(rename = "as")]
    pub as_: Option<String>,
    pub delay: Option<toml::Value>,
}

/// The `[sla]` table: the levels and bounds of the service-level metrics.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSla {
    pub backlog_above: Option<Vec<i64>>,
    pub latency_over: Option<Vec<toml::Value>>,
}

/// One `[objects.<Name>]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObject {
    pub records: Option<i64>,
    pub sync: Option<String>,
    pub edits_per_hour: Option<f64>,
    pub marketing_edits_per_hour: Option<f64>,
    pub hour_profile: Option<Vec<f64>>,
    pub weekend_factor: Option<f64>,
    pub holiday_factor: Option<f64>,
    pub record_choice: Option<String>,
    pub hot_fraction: Option<f64>,
    pub hot_share: Option<f64>,
    pub zipf_exponent: Option<f64>,
    pub synced_fraction: Option<f64>,
    pub filter_pass: Option<f64>,
    pub enabled: Option<bool>,
    pub initial_backlog: Option<i64>,
    pub initial_backlog_age: Option<toml::Value>,
    pub transient_error_rate: Option<f64>,
    pub permanent_error_fraction: Option<f64>,
    pub batch_size: Option<i64>,
    pub records_per_call: Option<i64>,
    pub creations_per_hour: Option<f64>,
    pub creation_side: Option<String>,
}

/// The `[sync]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSync {
    pub policy: Option<String>,
    pub order: Option<Vec<String>>,
    pub slice: Option<i64>,
    pub weights: Option<IndexMap<String, i64>>,
    pub gates: Option<IndexMap<String, String>>,
    pub workers: Option<i64>,
    pub batch_size: Option<i64>,
    pub throughput: Option<f64>,
    pub skip_cost: Option<f64>,
    pub cycle_wait: Option<toml::Value>,
    pub batch_overhead: Option<toml::Value>,
    pub requeue: Option<bool>,
}

/// The `[api]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    pub daily_limit: Option<i64>,
    pub records_per_call: Option<i64>,
    pub calls_per_cycle: Option<i64>,
    pub background_calls_per_hour: Option<f64>,
    pub background_hour_profile: Option<Vec<f64>>,
    pub background_weekend_factor: Option<f64>,
    pub background_holiday_factor: Option<f64>,
    pub windows: Option<Vec<RawWindow>>,
    pub max_concurrent_calls: Option<i64>,
    pub at_limit: Option<String>,
    pub backoff: Option<toml::Value>,
    pub max_backoff: Option<toml::Value>,
}

/// One `[[api.windows]]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    pub calls: Option<i64>,
    pub per: Option<toml::Value>,
}

/// The `[retry]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    pub interval: Option<toml::Value>,
    pub max_attempts: Option<i64>,
    pub nightly_at: Option<String>,
    pub suppress_above_fraction: Option<f64>,
    pub suppress_above_calls: Option<i64>,
}

/// One `[events.<name>]` table; which keys apply depends on `kind`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    pub kind: Option<String>,
    pub at: Option<toml::Value>,
    pub object: Option<String>,
    pub direction: Option<String>,
    pub count: Option<i64>,
    pub spread: Option<toml::Value>,
    pub records: Option<String>,
    pub first_record: Option<i64>,
    pub synced_fields: Option<bool>,
    pub duration: Option<toml::Value>,
    pub throughput: Option<f64>,
    pub workers: Option<i64>,
    pub calls: Option<i64>,
}
