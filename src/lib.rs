//! syncsim: a deterministic discrete-event simulation of CRM record-sync backlogs, for
//! planning capacity and schedules before a mass update.
//!
//! Data flows one way, each layer importing only from the layers before it
//! (`docs/architecture.md` walks through them):
//!
//! 1. [`units`], [`text`], [`catalogue`], [`stats`]: time and numbers, what every metric name
//!    means, and the statistics of many values;
//! 2. [`expr`] (targets and expectations) and [`scenario`] (TOML text validated into a frozen
//!    [`scenario::Scenario`]);
//! 3. [`metrics`] (what a run measured, [`metrics::RunResult`]) and [`engine`] (one
//!    replication, a pure function of scenario and seed: it reads no file, clock or
//!    environment);
//! 4. [`summary`] (everything a report says about one run, computed once);
//! 5. [`data`] (change logs and snapshots) and [`load`] (a scenario file, its snapshot read
//!    once, the one memory check and the one work check);
//! 6. [`shard`] (a run that is many runs split over machines, and the parts its shards
//!    write), [`replicate`] (Monte Carlo), [`planner`] (sweep, solve, schedule), [`check`] (CI
//!    gates), [`calibrate`] (fitting to real data) and [`whatif`] (a scenario's knobs as a
//!    form, a variant beside its baseline): they compute and return data;
//! 7. [`report`]: every file and text a person reads, written from that data.
//!
//! The command line is a thin shell over this library, in the binary.
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
pub mod shard;
pub mod stats;
pub mod summary;
pub mod text;
pub mod units;
pub mod whatif;
