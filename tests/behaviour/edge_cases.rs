//! Edge cases with defined answers (docs/robustness.md): zero throughput, a year-long
//! horizon, one record, nothing edited, every record filtered. Each runs the real binary and
//! reads what a planner or a CI job would: the terminal summary and `summary.json`.
//!
//! Not covered yet: a scenario where every sync attempt errors, because record errors and
//! retries are not in the scenario format yet.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const START: &str = "start = \"2026-11-23T00:00:00Z\"\n";

/// Runs scenario `text` and returns the terminal summary and `summary.json`'s metrics.
fn run(dir: &Path, text: &str) -> (String, Value) {
    let file = dir.join("edge.toml");
    std::fs::write(&file, format!("name = \"edge\"\n{START}{text}")).unwrap();
    let out = dir.join("out");
    let assert = Command::cargo_bin("syncsim")
        .unwrap()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--force")
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    (stdout, summary["metrics"].clone())
}

fn num(m: &Value, key: &str) -> f64 {
    m[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is {}", m[key]))
}

/// Every edit is filtered, coalesced or creates an entry; every entry is synced, skipped or
/// still pending (docs/model.md, Conservation).
fn assert_conserved(m: &Value) {
    assert_eq!(
        num(m, "edits"),
        num(m, "filtered") + num(m, "coalesced") + num(m, "entries_created")
    );
    assert_eq!(
        num(m, "entries_created"),
        num(m, "synced") + num(m, "skipped") + num(m, "pending_end") + num(m, "in_flight_end")
    );
}

const BULK: &str = "[events.bulk]\nkind = \"bulk_update\"\nat = \"1h\"\nobject = \"Lead\"\n";

#[test]
fn zero_throughput_never_clears_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (stdout, m) = run(
        dir.path(),
        &format!("horizon = \"2d\"\n[objects.Lead]\nrecords = 1000\nedits_per_hour = 100\n[sync]\nthroughput = 0\n{BULK}count = 500\n"),
    );
    assert!(
        stdout.contains("clear not within the horizon, recovery not within the horizon"),
        "{stdout}"
    );
    assert!(stdout.contains("never  Growing"), "{stdout}");
    assert_eq!(m["event.bulk.clear_h"], Value::Null);
    assert_eq!(m["event.bulk.recovery_h"], Value::Null);
    assert_eq!(m["dashboard.Lead.est_backlog_h"], Value::Null);
    assert_eq!(m["latency.Lead.p50_min"], Value::Null);
    assert_eq!(num(&m, "synced"), 0.0);
    assert_eq!(num(&m, "batches"), 0.0);
    assert_eq!(num(&m, "event.bulk.still_pending"), 500.0);
    assert_eq!(num(&m, "backlog.end"), num(&m, "entries_created"));
    assert_conserved(&m);
}

#[test]
fn a_year_long_horizon_runs_with_a_small_memory_estimate() {
    let text = "horizon = \"365d\"\n[objects.Lead]\nrecords = 50\nedits_per_hour = 20\n";
    let sc = syncsim::scenario::from_str(&format!("{START}{text}"), "y.toml", "y", &[]).unwrap();
    let estimate = syncsim::engine::MemoryEstimate::of(&sc).total();
    assert!(estimate < 64.0 * 1024.0 * 1024.0, "{estimate} bytes");
    let dir = tempfile::tempdir().unwrap();
    let (_, m) = run(dir.path(), text);
    assert_conserved(&m);
    assert!(num(&m, "edits") > 150_000.0);
    // One backlog row per 15 minutes of the year, plus t = 0, plus the header.
    let rows = std::fs::read_to_string(dir.path().join("out/backlog.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 365 * 96 + 2);
}

#[test]
fn one_record_coalesces_every_edit_while_it_waits() {
    let dir = tempfile::tempdir().unwrap();
    let (_, m) = run(
        dir.path(),
        &format!("horizon = \"1d\"\n[objects.Lead]\nrecords = 1\nedits_per_hour = 500\n{BULK}count = 1\n"),
    );
    assert_conserved(&m);
    assert!(num(&m, "coalesced") > num(&m, "entries_created"));
    // The record in a running batch and its re-edit queued behind it: never more than two.
    assert!(num(&m, "backlog.max") <= 2.0);
    assert!(num(&m, "backlog.end") <= 2.0);
    assert_eq!(num(&m, "event.bulk.entries"), 1.0);
    assert!(m["event.bulk.clear_h"].is_f64());
}

#[test]
fn nothing_edited_is_an_idle_sync_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (stdout, m) = run(
        dir.path(),
        "horizon = \"1d\"\n[objects.Lead]\nrecords = 100\n[objects.Contact]\nrecords = 10\n",
    );
    for key in [
        "edits",
        "entries_created",
        "synced",
        "batches",
        "backlog.max",
    ] {
        assert_eq!(num(&m, key), 0.0, "{key}");
    }
    // The sync looks every cycle wait (5 minutes) and finds nothing each time.
    assert_eq!(num(&m, "cycles"), 288.0);
    assert_eq!(num(&m, "empty_looks"), 288.0);
    assert_eq!(m["backlog.oldest_age_end_h"], Value::Null);
    assert_eq!(m["latency.Lead.count"], 0.0);
    assert_eq!(m["latency.Lead.p99_min"], Value::Null);
    // No average throughput: the estimated backlog time is infinite, shown as "never".
    assert_eq!(m["dashboard.Lead.est_backlog_h"], Value::Null);
    assert_eq!(num(&m, "dashboard.growing"), 0.0);
    assert!(stdout.contains("Edits 0 = 0 filtered"), "{stdout}");
}

#[test]
fn every_record_filtered_queues_nothing_and_the_event_clears_at_its_last_edit() {
    let dir = tempfile::tempdir().unwrap();
    let (_, m) = run(
        dir.path(),
        &format!("horizon = \"1d\"\n[objects.Lead]\nrecords = 100\nedits_per_hour = 500\nfilter_pass = 0\n{BULK}count = 100\nspread = \"30m\"\n"),
    );
    assert_conserved(&m);
    assert_eq!(num(&m, "filtered"), num(&m, "edits"));
    assert_eq!(num(&m, "entries_created"), 0.0);
    assert_eq!(num(&m, "backlog.max"), 0.0);
    assert_eq!(num(&m, "event.bulk.entries"), 0.0);
    // Edit i of 100 spread over 30 minutes is at floor(i * 30m / 100): the last at 29m42s.
    assert_eq!(num(&m, "event.bulk.clear_h"), 0.495);
    assert_eq!(num(&m, "event.bulk.recovery_h"), 0.495);
}
