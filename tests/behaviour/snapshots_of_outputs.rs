//! Whole outputs pinned: `summary.json`, the terminal summary and the CSV tables of a small
//! scenario (two objects, one both ways; a bulk update; errors and retries), and the terminal
//! summary and `aggregate.csv` of three replications; `syncsim compare`'s terminal output,
//! `compare.csv` and `compare.html`, and `syncsim solve`'s terminal output and `solve.csv`,
//! on the same scenario. A change of any figure or layout shows
//! in review as a snapshot diff (`cargo insta review`, or `INSTA_UPDATE=always cargo test`).

use std::fs;
use std::path::Path;

use assert_cmd::Command;

const SCENARIO: &str = r#"
name = "pinned"
description = "Two objects, a bulk update, transient errors"
seed = 5
start = "2026-11-23T00:00:00Z"
horizon = "8h"
sample_interval = "1h"

[objects.Lead]
records = 5000
sync = "both"
edits_per_hour = 400
marketing_edits_per_hour = 100
transient_error_rate = 0.02

[objects.Contact]
records = 3000
edits_per_hour = 200

[sync]
throughput = 4000
batch_size = 100

[events.bulk]
kind = "bulk_update"
at = "2h"
object = "Contact"
count = 2000
spread = "10m"
"#;

/// Runs `syncsim run` on the pinned scenario with `args`; returns stdout (without the line
/// naming the temporary folder) and the folder.
fn run(args: &[&str]) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pinned.toml");
    fs::write(&file, SCENARIO).unwrap();
    let out = dir.path().join("out");
    let output = Command::cargo_bin("syncsim")
        .unwrap()
        .arg("run")
        .arg(&file)
        .args(["--out", out.to_str().unwrap(), "--format", "csv"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout: String = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("Reports in ") && !l.starts_with("  ran in "))
        .map(|l| format!("{l}\n"))
        .collect();
    (stdout, dir)
}

/// A file of the run, with the temporary folder's path (in `summary.json`'s source) written
/// as `<dir>`.
fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join("out").join(name))
        .unwrap()
        .replace(&dir.display().to_string(), "<dir>")
}

#[test]
fn a_single_run_is_pinned_whole() {
    let (stdout, dir) = run(&[]);
    insta::assert_snapshot!("single_terminal", stdout);
    insta::assert_snapshot!("single_summary_json", read(dir.path(), "summary.json"));
    for table in ["events.csv", "counters.csv", "latency.csv", "dashboard.csv"] {
        insta::assert_snapshot!(format!("single_{table}"), read(dir.path(), table));
    }
}

#[test]
fn replications_are_pinned_whole() {
    let (stdout, dir) = run(&["--replications", "3", "--threads", "2"]);
    insta::assert_snapshot!("replications_terminal", stdout);
    insta::assert_snapshot!(
        "replications_aggregate_csv",
        read(dir.path(), "aggregate.csv")
    );
}

/// Runs a planning command on the pinned scenario; returns stdout without its timings and
/// with the temporary folder written as `<dir>`, and the folder.
fn plan(args: &[&str]) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pinned.toml");
    fs::write(&file, SCENARIO).unwrap();
    let out = dir.path().join("out");
    let output = Command::cargo_bin("syncsim")
        .unwrap()
        .arg(args[0])
        .arg(&file)
        .args(&args[1..])
        .args(["--out", out.to_str().unwrap(), "--threads", "2"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout: String = String::from_utf8(output.stdout)
        .unwrap()
        .replace(&dir.path().display().to_string(), "<dir>")
        .lines()
        .filter(|l| !l.starts_with("  ran in "))
        .map(|l| match l.find(" (ran in ") {
            Some(at) => format!("{} (ran in <time>)\n", &l[..at]),
            None => format!("{l}\n"),
        })
        .collect();
    (stdout, dir)
}

#[test]
fn a_comparison_is_pinned_whole() {
    let (stdout, dir) = plan(&[
        "compare",
        "--variant",
        "sync.throughput=6000",
        "--variant",
        "sync.policy=priority",
        "--replications",
        "6",
    ]);
    insta::assert_snapshot!("compare_terminal", stdout);
    insta::assert_snapshot!("compare_csv", read(dir.path(), "compare.csv"));
    insta::assert_snapshot!("compare_html", read(dir.path(), "compare.html"));
}

#[test]
fn a_solve_is_pinned_whole() {
    let (stdout, dir) = plan(&[
        "solve",
        "--vary",
        "sync.throughput",
        "--range",
        "1000..8000",
        "--target",
        "event.bulk.clear_h p50 <= 1h",
    ]);
    insta::assert_snapshot!("solve_terminal", stdout);
    insta::assert_snapshot!("solve_csv", read(dir.path(), "solve.csv"));
}
