//! The planner: sweeps, shards and merges, solve and schedule, on small scenarios whose
//! answers are known in advance.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn syncsim() -> Command {
    Command::cargo_bin("syncsim").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Background edits (random) and a bulk update: small enough to run many times.
const NOISY: &str = r#"
name = "noisy"
start = "2026-11-23T00:00:00Z"
horizon = "12h"
replications = 3
[objects.Lead]
records = 20000
edits_per_hour = 2000
[objects.Contact]
records = 20000
edits_per_hour = 1000
[sync]
throughput = 10_000
[events.bulk]
kind = "bulk_update"
at = "1h"
object = "Contact"
count = 8000
"#;

fn sweep(file: &Path, out: &Path, extra: &[&str]) {
    syncsim()
        .arg("sweep")
        .arg(file)
        .args([
            "--set",
            "sync.workers=1..3",
            "--set",
            "sync.throughput=6000,12000",
            "--quiet",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn sweep_shards_merge_to_the_single_run_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "noisy.toml", NOISY);
    let whole = dir.path().join("whole");
    sweep(&file, &whole, &["--threads", "2"]);
    let single = read(&whole.join("sweep.csv"));
    assert_eq!(single.lines().count(), 1 + 6, "a header and six points");
    assert!(single.starts_with("point,sync.workers,sync.throughput,edits:mean,"));
    // Four shards of six points: shard 4 holds points 3 only, and so on.
    let mut files = Vec::new();
    for k in 1..=4 {
        let out = dir.path().join(format!("shard-{k}"));
        sweep(
            &file,
            &out,
            &["--shard", &format!("{k}/4"), "--threads", "1"],
        );
        files.push(out.join(format!("sweep.shard-{k}-of-4.csv")));
    }
    files.reverse();
    let merged = dir.path().join("merged/sweep.csv");
    syncsim()
        .arg("merge")
        .arg(&merged)
        .args(&files)
        .args(["--points", "6"])
        .assert()
        .success();
    assert_eq!(
        read(&merged),
        single,
        "merged shards differ from the single run"
    );
    // A missing shard is noticed.
    let assert = syncsim()
        .arg("merge")
        .arg(dir.path().join("partial.csv"))
        .args(&files[1..])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("no file holds point 3"), "{err}");
}

#[test]
fn sweep_points_share_replication_seeds() {
    // Common random numbers: the background edits are the same at every point, whatever
    // the throughput, so the edit counts agree exactly across points.
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "noisy.toml", NOISY);
    let out = dir.path().join("out");
    sweep(&file, &out, &[]);
    let text = read(&out.join("sweep.csv"));
    let mut rows = text.lines().map(|l| l.split(',').collect::<Vec<_>>());
    let header = rows.next().unwrap();
    let edits = header.iter().position(|h| *h == "edits:mean").unwrap();
    let values: Vec<Vec<&str>> = rows.collect();
    assert!(
        values.iter().all(|r| r[edits] == values[0][edits]),
        "{text}"
    );
}
