//! Real data: exported edits replay to the same run, initial backlogs, bad rows.

use assert_cmd::Command;
use syncsim::engine::simulate;
use syncsim::scenario;
use syncsim::units::SECOND;

fn syncsim() -> Command {
    Command::cargo_bin("syncsim").unwrap()
}

const BUSY: &str = r#"
name = "busy"
start = "2026-11-27T18:00:00Z"
horizon = "2d"
[objects.Lead]
records = 20000
sync = "both"
edits_per_hour = 3000
marketing_edits_per_hour = 500
synced_fraction = 0.7
hour_profile = [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.5, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 0.5, 0.5, 0.2, 0.2, 0.2]
weekend_factor = 0.3
[objects.Contact]
records = 5000
edits_per_hour = 1000
record_choice = "hot_set"
[sync]
throughput = 6_000
workers = 2
[events.bulk]
kind = "bulk_update"
at = "20h"
object = "Contact"
count = 3000
spread = "30m"
"#;

#[test]
fn replaying_the_exported_edits_reproduces_the_run_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("busy.toml");
    std::fs::write(&file, BUSY).unwrap();
    let edits = dir.path().join("edits.csv");
    syncsim()
        .arg("run")
        .arg(&file)
        .arg("--quiet")
        .arg("--out")
        .arg(dir.path().join("run"))
        .arg("--export-edits")
        .arg(&edits)
        .assert()
        .success();
    syncsim()
        .arg("replay")
        .arg(&edits)
        .arg("--scenario")
        .arg(&file)
        .arg("--quiet")
        .arg("--out")
        .arg(dir.path().join("replay"))
        .assert()
        .success();
    for name in [
        "backlog.csv",
        "latency.csv",
        "events.csv",
        "counters.csv",
        "throughput.csv",
        "summary.json",
    ] {
        let a = std::fs::read(dir.path().join("run").join(name)).unwrap();
        let b = std::fs::read(dir.path().join("replay").join(name)).unwrap();
        assert!(a == b, "{name} differs between the run and its replay");
    }
    // Under another policy the same edits give another run.
    syncsim()
        .arg("replay")
        .arg(&edits)
        .arg("--scenario")
        .arg(&file)
        .args(["--set", "sync.workers=1", "--quiet", "--out"])
        .arg(dir.path().join("one"))
        .assert()
        .success();
    assert_ne!(
        std::fs::read(dir.path().join("run/backlog.csv")).unwrap(),
        std::fs::read(dir.path().join("one/backlog.csv")).unwrap()
    );
}

#[test]
fn replaying_a_log_shorter_than_the_run_says_how_much_it_covers() {
    // The bundled six-hour log, its last edit at 5 h 59 min, replayed into a five-day run:
    // 6 h covered, 114 h (4 d 18 h) without background edits.
    let dir = tempfile::tempdir().unwrap();
    let out = syncsim()
        .args([
            "replay",
            "scenarios/data/reference-tenth-6h-changes.csv",
            "--scenario",
            "scenarios/reference-tenth.toml",
            "--out",
        ])
        .arg(dir.path().join("r"))
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("Note: the change log covers only the first 6 h of the 5d horizon (its last edit before 2026-11-23T06:00:00Z, its first at 2026-11-23T00:00:05Z): the last 4 d 18 h replay no background edits"),
        "{text}"
    );
    // Cut to what the log covers, nothing is said.
    let out = syncsim()
        .args([
            "replay",
            "scenarios/data/reference-tenth-6h-changes.csv",
            "--scenario",
            "scenarios/reference-tenth.toml",
            "--horizon",
            "6h",
            "--set",
            "events.opportunity_bulk.at=2h",
            "--out",
        ])
        .arg(dir.path().join("r6"))
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(!text.contains("covers only"), "{text}");
}

#[test]
fn an_initial_backlog_of_b_with_no_edits_clears_in_b_over_t() {
    // As the foundation's hand case: 1,000 updates at 10,000/h clear in 360 s, here from the
    // sync's first look at t = 0.
    let text = "start = \"2026-11-23T00:00:00Z\"\nhorizon = \"1d\"\n[objects.Lead]\nrecords = 5000\ninitial_backlog = 1000\ninitial_backlog_age = \"2h\"\n[sync]\nthroughput = 10_000\n";
    let sc = scenario::from_str(text, "i.toml", "i", &[]).unwrap();
    let r = simulate(&sc, 1);
    r.check_conservation().unwrap();
    assert_eq!(r.sample_total(0), 1000);
    assert_eq!(r.totals().synced, 1000);
    assert_eq!(r.totals().initial_entries, 1000);
    assert_eq!(r.batches(), 5);
    // Latency counts from the stamps, spread evenly over the 2 hours before the start: the
    // oldest record (stamped -2 h) is in the first batch, done at 72 s.
    let l = r.object_latency(0).unwrap();
    assert_eq!(l.max, 2 * 3600 * SECOND + 72 * SECOND);
    let last_sample_with_backlog = r
        .sample_times()
        .iter()
        .enumerate()
        .filter(|(i, _)| r.sample_total(*i) > 0)
        .map(|(_, t)| *t)
        .max();
    assert_eq!(
        last_sample_with_backlog,
        Some(0),
        "clear by the 15-minute sample"
    );
}

#[test]
fn a_backlog_snapshot_file_starts_pending() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("backlog.csv");
    std::fs::write(
        &snapshot,
        "object,record,stamp_utc,direction\nLead,5,2026-11-22T23:00:00Z,to_marketing\nLead,9,2026-11-22T22:00:00.500Z,to_marketing\nLead,5,2026-11-22T23:30:00Z,to_marketing\n",
    )
    .unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, "start = \"2026-11-23T00:00:00Z\"\nhorizon = \"1h\"\ninitial_backlog_file = \"backlog.csv\"\n[objects.Lead]\nrecords = 10\n[sync]\nthroughput = 10_000\n").unwrap();
    let sc = syncsim::load::load(&file, &[]).unwrap();
    assert_eq!(sc.initial.len(), 3);
    let r = simulate(&sc, 1);
    // Record 5 listed twice is one entry; the oldest (record 9, 2 h old) goes first.
    assert_eq!(r.totals().initial_entries, 2);
    assert_eq!(
        r.object_latency(0).unwrap().max,
        2 * 3600 * SECOND - 500 + 720
    );
}

#[test]
fn bad_rows_are_reported_with_line_numbers_or_skipped_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(
        &file,
        "start = \"2026-11-23T00:00:00Z\"\nhorizon = \"1d\"\n[objects.Lead]\nrecords = 10\n",
    )
    .unwrap();
    let log = dir.path().join("changes.csv");
    std::fs::write(
        &log,
        "time_utc,object,record,direction,synced\n\
         2026-11-23T01:00:00Z,Lead,1,to_marketing,true\n\
         2026-11-23T02:00:00Z,Leed,1,to_marketing,true\n\
         2026-11-23T03:00:00Z,Lead,99,to_marketing,true\n\
         yesterday,Lead,1,to_marketing,true\n\
         2026-11-23T00:30:00Z,Lead,2,to_marketing,true\n\
         2026-11-25T00:00:00Z,Lead,2,to_marketing,true\n",
    )
    .unwrap();
    let out = syncsim()
        .arg("replay")
        .arg(&log)
        .arg("--scenario")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    for expected in [
        "4 bad rows",
        "line 3, column 22 (object): object 'Leed' is not in the scenario (its objects: Lead)",
        "line 4, column 27 (record): record 99 is out of range: Lead has records 0..9",
        "line 5, column 1 (time_utc): 'yesterday' is not an RFC 3339 UTC instant",
        "line 6, column 1 (time_utc): out of time order for Lead to_marketing",
        "--skip-bad-rows",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in\n{err}");
    }
    let ok = syncsim()
        .arg("replay")
        .arg(&log)
        .arg("--scenario")
        .arg(&file)
        .arg("--skip-bad-rows")
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .success();
    let text = String::from_utf8(ok.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("4 bad rows skipped (lines 3, 4, 5, 6)"),
        "{text}"
    );
    assert!(
        text.contains("1 rows outside the simulated span left out"),
        "{text}"
    );
    assert!(text.contains("1 edits replayed"), "{text}");
}
