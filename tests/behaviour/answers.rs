//! The answer layer: a folder of reports holds one run and says which; every report of a run
//! tells the same story; a run that starts from a backlog accounts for it.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn syncsim() -> Command {
    Command::cargo_bin("syncsim").unwrap()
}

const SMALL: &str = r#"
name = "answers"
start = "2026-11-23T00:00:00Z"
horizon = "6h"
sample_interval = "30m"
[objects.Lead]
records = 2000
edits_per_hour = 600
[sync]
throughput = 5000
[events.bulk]
kind = "bulk_update"
at = "1h"
object = "Lead"
count = 800
"#;

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn scenario_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let file = dir.path().join("answers.toml");
    fs::write(&file, SMALL).unwrap();
    file
}

#[test]
fn a_run_retires_the_reports_it_does_not_write_this_time() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(&dir);
    let out = dir.path().join("out");
    syncsim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let everything = files_in(&out);
    assert!(everything.contains(&"dashboard.html".to_string()));
    assert!(everything.contains(&"backlog.png".to_string()));
    // A what-if into the same folder, CSV only: no chart or page of the first run stays.
    syncsim()
        .args([
            "run",
            "--quiet",
            "--format",
            "csv",
            "--set",
            "sync.workers=4",
            "--out",
        ])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let left = files_in(&out);
    for name in &left {
        assert!(
            !name.ends_with(".png") && !name.ends_with(".svg") && !name.ends_with(".html"),
            "{name} is left from the earlier run: {left:?}"
        );
    }
    let manifest = fs::read_to_string(out.join(".syncsim-files")).unwrap();
    let listed: Vec<&str> = manifest.lines().collect();
    let mut expected: Vec<String> =
        syncsim::report::run_file_names(syncsim::report::Formats::CSV_ONLY, false);
    expected.sort();
    assert_eq!(
        listed, expected,
        "the manifest lists exactly this run's files"
    );
}

#[test]
fn a_single_run_after_replications_leaves_no_file_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(&dir);
    let out = dir.path().join("out");
    syncsim()
        .args([
            "run",
            "--quiet",
            "--format",
            "csv,svg",
            "--replications",
            "3",
            "--out",
        ])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    for name in [
        "replications.csv",
        "aggregate.csv",
        "bands.csv",
        "backlog_fan.svg",
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    assert_eq!(json(&out.join("summary.json"))["replications"], 3);
    syncsim()
        .args(["run", "--quiet", "--format", "csv,svg", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    for name in [
        "replications.csv",
        "aggregate.csv",
        "bands.csv",
        "backlog_fan.svg",
    ] {
        assert!(
            !out.join(name).exists(),
            "{name} is left from the replications"
        );
    }
    assert_eq!(json(&out.join("summary.json"))["replications"], 1);
}

#[test]
fn a_file_syncsim_did_not_write_is_never_retired() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(&dir);
    let out = dir.path().join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("backlog.png"), "the user's own picture").unwrap();
    syncsim()
        .args(["run", "--quiet", "--format", "csv", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(out.join("backlog.png")).unwrap(),
        "the user's own picture"
    );
}

#[test]
fn a_what_if_without_out_never_replaces_its_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(&dir);
    let run = |extra: &[&str]| {
        syncsim()
            .current_dir(dir.path())
            .args(["run", "--quiet", "--format", "csv"])
            .args(extra)
            .arg(&file)
            .assert()
            .success();
    };
    run(&[]);
    let baseline = dir.path().join("output/answers");
    let before = fs::read(baseline.join("summary.json")).unwrap();
    run(&["--set", "sync.policy=priority"]);
    run(&["--seed", "9", "--set", "sync.workers=2"]);
    assert_eq!(fs::read(baseline.join("summary.json")).unwrap(), before);
    let what_if = json(&baseline.join("sync.policy=priority/summary.json"));
    assert_eq!(
        what_if["source"]["overrides"][0],
        "--set sync.policy=priority"
    );
    let both = json(&baseline.join("seed=9,sync.workers=2/summary.json"));
    assert_eq!(both["seed"], 9);
}

#[test]
fn summary_json_says_which_run_wrote_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(&dir);
    let out = dir.path().join("out");
    syncsim()
        .args(["run", "--quiet", "--format", "csv", "--seed", "7", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let s = json(&out.join("summary.json"));
    assert_eq!(s["scenario"], "answers");
    assert_eq!(s["syncsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(s["seed"], 7);
    assert_eq!(s["replications"], 1);
    let source = &s["source"];
    assert_eq!(source["file"], file.display().to_string());
    assert_eq!(
        source["sha256"],
        syncsim::scenario::sha256_hex(SMALL.as_bytes())
    );
    assert_eq!(source["overrides"], serde_json::json!(["--seed 7"]));
    assert_eq!(source["initial_backlog"], serde_json::Value::Null);
}

#[test]
fn a_run_from_a_snapshot_accounts_for_its_initial_entries() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("quiet.toml");
    // No edits at all: every entry is an initial one.
    fs::write(
        &file,
        "name = \"quiet\"\nstart = \"2026-11-23T00:00:00Z\"\nhorizon = \"2h\"\n\
         [objects.Lead]\nrecords = 1000\n[sync]\nthroughput = 60\n",
    )
    .unwrap();
    let snapshot = dir.path().join("backlog.csv");
    let mut rows = String::from("object,record,stamp_utc,direction\n");
    for record in 0..100 {
        rows.push_str(&format!(
            "Lead,{record},2026-11-22T23:00:00Z,to_marketing\n"
        ));
    }
    fs::write(&snapshot, rows).unwrap();
    let out = dir.path().join("out");
    let assert = syncsim()
        .args(["run", "--format", "csv", "--initial-backlog"])
        .arg(&snapshot)
        .arg("--out")
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    // 60 updates an hour for two hours: 120 would be possible, but only 100 are there.
    assert!(
        stdout.contains(
            "Edits 0 + 100 initial = 0 filtered + 0 coalesced + 100 entries; entries = 100 \
             synced + 0 skipped + 0 pending + 0 errored + 0 superseded"
        ),
        "{stdout}"
    );
    let counters = fs::read_to_string(out.join("counters.csv")).unwrap();
    let mut lines = counters.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("initial_entries"), "100");
    assert_eq!(col("entries_created"), "100");
    let m = &json(&out.join("summary.json"))["metrics"];
    let n = |name: &str| m[name].as_f64().unwrap();
    assert_eq!(n("initial_entries"), 100.0);
    assert_eq!(
        n("edits") + n("initial_entries"),
        n("filtered") + n("coalesced") + n("entries_created")
    );
}

#[test]
fn every_report_of_a_run_tells_the_same_story() {
    // The clear time in events.csv, summary.json, the terminal and the dashboard, after a
    // what-if into a folder that held the baseline.
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(&dir);
    let out = dir.path().join("out");
    syncsim()
        .args(["run", "--quiet", "--format", "csv,html", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let assert = syncsim()
        .args([
            "run",
            "--format",
            "csv,html",
            "--set",
            "sync.workers=2",
            "--out",
        ])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let clear = json(&out.join("summary.json"))["metrics"]["event.bulk.clear_h"]
        .as_f64()
        .unwrap();
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    let row: Vec<&str> = events.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[9].parse::<f64>().unwrap(), (clear * 1e4).round() / 1e4);
    let shown = syncsim::units::human_hours(clear);
    assert!(stdout.contains(&format!("clear {shown}")), "{stdout}");
    let html = fs::read_to_string(out.join("dashboard.html")).unwrap();
    assert!(
        html.contains(&format!(">{shown}<")),
        "the page shows {shown}"
    );
    assert!(
        html.contains("<dt>Workers</dt><dd>2</dd>"),
        "the page is the what-if's"
    );
}
