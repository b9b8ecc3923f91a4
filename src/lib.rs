//! syncsim: a deterministic discrete-event simulation of CRM record-sync backlogs, for
//! planning capacity and schedules before a mass update.
//!
//! Data flows one way: [`scenario`] (TOML text, validated into a frozen [`scenario::Scenario`])
//! -> [`engine`] (one replication, a pure function of scenario and seed) -> [`metrics`] (what
//! the run measured) -> [`report`] (CSV, JSON, terminal). [`load`] is where files meet those
//! types: a scenario file, its backlog snapshot (read once, through [`data`]) and the one
//! memory check. The engine reads no file, clock or environment; [`planner`] asks questions of
//! many runs (sweep, solve, schedule).
#![warn(missing_docs)]

pub mod calibrate;
pub mod catalogue;
pub mod check;
pub mod data;
pub mod engine;
pub mod expr;
pub mod load;
pub mod metrics;
pub mod planner;
pub mod replicate;
pub mod report;
pub mod scenario;
pub mod stats;
pub mod summary;
pub mod text;
pub mod units;
