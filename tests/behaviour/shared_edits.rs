//! Shared edits: the planner draws a replication's background edits once for every candidate
//! whose edits are the same, and its files are byte for byte those of candidates that each
//! draw their own (`--independent`).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Background edits on two objects, a bulk update, transient errors (so retries draw random
/// numbers too): small enough to run many times.
const NOISY: &str = r#"
name = "noisy"
start = "2026-11-23T00:00:00Z"
horizon = "12h"
[objects.Lead]
records = 20000
edits_per_hour = 2000
synced_fraction = 0.7
transient_error_rate = 0.01
[objects.Contact]
records = 20000
edits_per_hour = 1000
record_choice = "zipf"
[sync]
throughput = 10_000
[events.bulk]
kind = "bulk_update"
at = "1h"
object = "Contact"
count = 8000
records = "sequential"
"#;

/// Runs `syncsim ARGS --out DIR/NAME` twice, sharing edits and not, and returns the files
/// each wrote (sorted by name).
fn both_ways(dir: &Path, args: &[&str]) -> [Vec<(String, Vec<u8>)>; 2] {
    let file = dir.join("noisy.toml");
    std::fs::write(&file, NOISY).unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out: PathBuf = dir.join(name);
        Command::cargo_bin("syncsim")
            .unwrap()
            .arg(args[0])
            .arg(&file)
            .args(&args[1..])
            .args(extra)
            .args(["--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
        crate::folder_files(&out)
            .into_iter()
            .filter(|(name, _)| !name.starts_with('.'))
            .collect()
    };
    [
        run(&format!("{}-shared", args[0]), &[]),
        run(&format!("{}-own", args[0]), &["--independent"]),
    ]
}

#[test]
fn a_sweep_over_sync_knobs_writes_the_same_bytes_with_shared_edits() {
    let dir = tempfile::tempdir().unwrap();
    let [shared, own] = both_ways(
        dir.path(),
        &[
            "sweep",
            "--set",
            "sync.throughput=6000,9000,12000",
            "--set",
            "sync.workers=1,2",
            "--replications",
            "4",
            "--format",
            "csv",
        ],
    );
    assert!(shared.iter().any(|(n, _)| n == "sweep.csv"));
    assert!(shared == own, "sweep.csv differs with shared edits");
}

#[test]
fn a_sweep_that_changes_the_edits_still_writes_the_same_bytes() {
    // Points with other edit rates cannot share; those with the same rates still do.
    let dir = tempfile::tempdir().unwrap();
    let [shared, own] = both_ways(
        dir.path(),
        &[
            "sweep",
            "--set",
            "objects.Lead.edits_per_hour=1000,2000",
            "--set",
            "sync.throughput=8000,12000",
            "--replications",
            "3",
            "--format",
            "csv",
        ],
    );
    assert!(shared == own, "sweep.csv differs with shared edits");
}

#[test]
fn solve_and_schedule_write_the_same_bytes_with_shared_edits() {
    let dir = tempfile::tempdir().unwrap();
    let [shared, own] = both_ways(
        dir.path(),
        &[
            "solve",
            "--vary",
            "sync.throughput",
            "--range",
            "3000..30000",
            "--target",
            "event.bulk.clear_h mean <= 2h",
            "--replications",
            "4",
        ],
    );
    assert!(shared.iter().any(|(n, _)| n == "solve.csv"));
    assert!(shared == own, "solve.csv differs with shared edits");
    let [shared, own] = both_ways(
        dir.path(),
        &[
            "schedule",
            "--event",
            "bulk",
            "--window",
            "0..6h",
            "--every",
            "2h",
            "--split-sizes",
            "3000",
            "--spacing",
            "1h",
            "--replications",
            "3",
        ],
    );
    assert!(shared.iter().any(|(n, _)| n == "schedule.csv"));
    assert!(shared == own, "schedule's files differ with shared edits");
}

#[test]
fn compare_writes_the_same_bytes_with_shared_edits() {
    let dir = tempfile::tempdir().unwrap();
    let [shared, own] = both_ways(
        dir.path(),
        &[
            "compare",
            "--variant",
            "sync.throughput=12000",
            "--variant",
            "sync.policy=priority; sync.workers=2",
            "--replications",
            "4",
        ],
    );
    assert!(shared.iter().any(|(n, _)| n == "compare.csv"));
    assert!(shared.iter().any(|(n, _)| n == "compare.html"));
    assert!(shared == own, "compare's files differ with shared edits");
}

#[test]
fn runs_until_clear_write_the_same_bytes_either_way() {
    let dir = tempfile::tempdir().unwrap();
    let [shared, own] = both_ways(
        dir.path(),
        &[
            "sweep",
            "--horizon",
            "until-clear",
            "--set",
            "sync.throughput=8000,12000",
            "--replications",
            "3",
            "--format",
            "csv",
        ],
    );
    assert!(shared.iter().any(|(n, _)| n == "sweep.csv"));
    assert!(shared == own, "sweep.csv differs for runs until clear");
    let [shared, own] = both_ways(
        dir.path(),
        &[
            "solve",
            "--horizon",
            "until-clear",
            "--vary",
            "sync.throughput",
            "--range",
            "3000..30000",
            "--target",
            "event.bulk.recovery_h mean <= 2h",
            "--replications",
            "4",
        ],
    );
    assert!(shared.iter().any(|(n, _)| n == "solve.csv"));
    assert!(shared == own, "solve.csv differs for runs until clear");
}
