//! Loading a scenario from files: where it came from (the file's digest, the overrides as
//! written, the backlog snapshot), a snapshot read once however many scenarios a command
//! validates, and the one memory cap.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use syncsim::load::{self, ScenarioFile};
use syncsim::planner::Base;
use syncsim::scenario::{self, Override};
use syncsim::units::HOUR;

const SCENARIO: &str = "start = \"2026-11-23T00:00:00Z\"\nhorizon = \"1h\"\ninitial_backlog_file = \"backlog.csv\"\n[objects.Lead]\nrecords = 10\n[sync]\nthroughput = 10_000\n";
/// `sha256sum` of [`SCENARIO`].
const SCENARIO_SHA256: &str = "238ea5f32ffc9df51dc71f3840299dcee021d4e1dc74997f0285aa1a19cfefa4";

const SNAPSHOT: &str = "object,record,stamp_utc,direction\nLead,5,2026-11-22T23:00:00Z,to_marketing\nLead,9,2026-11-22T22:00:00Z,to_marketing\n";
/// `sha256sum` of [`SNAPSHOT`].
const SNAPSHOT_SHA256: &str = "a440acf80fe5f5779be2ac1a62b6b0ca91e17c1f42f116a685b69bf6e3edf68e";

/// A folder with the scenario as `s.toml` and, unless `snapshot` is false, its snapshot.
fn folder(snapshot: bool) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    if snapshot {
        std::fs::write(dir.path().join("backlog.csv"), SNAPSHOT).unwrap();
    }
    (dir, file)
}

#[test]
fn a_loaded_scenario_knows_where_it_came_from() {
    let (dir, file) = folder(true);
    let overrides = [
        Override::seed(7),
        Override::horizon("3h"),
        Override::set("sync.workers=2"),
    ];
    let sc = load::load(&file, &overrides).unwrap();
    assert_eq!((sc.seed, sc.horizon, sc.sync.workers), (7, 3 * HOUR, 2));
    assert_eq!(sc.initial.len(), 2);
    let origin = &sc.origin;
    assert_eq!(origin.source, file.display().to_string());
    assert_eq!(origin.sha256, SCENARIO_SHA256);
    assert_eq!(
        origin.overrides,
        ["--seed 7", "--horizon 3h", "--set sync.workers=2"]
    );
    let snapshot = origin.snapshot.as_ref().expect("the snapshot");
    assert_eq!(snapshot.path, dir.path().join("backlog.csv"));
    assert_eq!(snapshot.sha256, SNAPSHOT_SHA256);
    assert!(snapshot.skipped_lines.is_empty());
    // Text validated on its own reads no file: same digest, no snapshot.
    let text = scenario::from_str(SCENARIO, "pasted", "p", &[]).unwrap();
    assert_eq!(text.origin.source, "pasted");
    assert_eq!(text.origin.sha256, SCENARIO_SHA256);
    assert!(text.origin.snapshot.is_none() && text.initial.is_empty());
}

#[test]
fn a_snapshot_named_in_place_of_the_scenarios_is_the_only_one_read() {
    // The scenario's own snapshot does not exist: only the one given in its place is read,
    // and its bad rows may be left out, listed in the provenance.
    let (dir, file) = folder(false);
    let other = dir.path().join("other.csv");
    std::fs::write(
        &other,
        format!("{SNAPSHOT}Lead,99,2026-11-22T22:00:00Z,to_marketing\n"),
    )
    .unwrap();
    let read = || ScenarioFile::read(&file).unwrap();
    let e = read().scenario(&[]).unwrap_err().to_string();
    assert!(e.contains("initial_backlog_file: cannot read"), "{e}");
    let e = read()
        .with_initial_backlog(other.clone())
        .scenario(&[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("1 bad rows:\n  line 4, column 6 (record): record 99 is out of range: Lead has records 0..9"),
        "{e}"
    );
    let sc = read()
        .with_initial_backlog(other.clone())
        .skip_bad_rows(true)
        .scenario(&[])
        .unwrap();
    assert_eq!(sc.initial.len(), 2);
    let snapshot = sc.origin.snapshot.as_ref().unwrap();
    assert_eq!(
        (&snapshot.path, &snapshot.skipped_lines[..]),
        (&other, &[4][..])
    );
    assert_eq!(
        load::snapshot_note(&sc).unwrap(),
        format!("{}: 1 bad rows skipped (lines 4)", other.display())
    );
}

#[test]
fn a_planner_reads_the_snapshot_once_and_checks_its_rows_per_candidate() {
    let (dir, file) = folder(true);
    let base = Base {
        file: ScenarioFile::read(&file).unwrap(),
        overrides: vec![Override::seed(3)],
    };
    let candidate = |set: &str| base.candidate(&[set.to_string()], || format!("candidate {set}"));
    let a = candidate("sync.workers=2").unwrap();
    assert_eq!(a.initial.len(), 2);
    // From here on the file is never read again.
    std::fs::remove_file(dir.path().join("backlog.csv")).unwrap();
    let b = candidate("sync.workers=3").unwrap();
    assert!(
        Arc::ptr_eq(&a.initial, &b.initial),
        "candidates that agree on what the rows are checked against share the entries"
    );
    assert_eq!(b.origin.overrides, ["--seed 3", "--set sync.workers=3"]);
    // Fewer records: the same rows, checked again, and record 9 is out of range now.
    let e = candidate("objects.Lead.records=8").unwrap_err().to_string();
    assert!(
        e.starts_with("candidate objects.Lead.records=8: scenario '"),
        "{e}"
    );
    assert!(
        e.contains("initial_backlog_file: ")
            && e.contains(
                "line 3, column 6 (record): record 9 is out of range: Lead has records 0..7"
            ),
        "{e}"
    );
    // A later start: every stamp is still before it.
    let c = candidate("start=\"2026-11-24T00:00:00Z\"").unwrap();
    assert_eq!(c.initial.len(), 2);
    assert_eq!(c.initial[0].stamp, -25 * HOUR as i64);
}

#[cfg(unix)]
#[test]
fn a_sweep_reads_its_snapshot_once_even_from_a_named_pipe() {
    let (dir, _) = folder(false);
    let pipe = dir.path().join("backlog.csv");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    // A named pipe yields its bytes to one reader: the writer opens it once. Were the sweep
    // to open it a second time, it would wait for a writer that never comes, and the hang
    // guard would stop it and fail the test.
    let writer = std::thread::spawn(move || std::fs::write(&pipe, SNAPSHOT).unwrap());
    let out = Command::cargo_bin("syncsim")
        .unwrap()
        .current_dir(dir.path())
        .args(["sweep", "s.toml", "--set", "sync.workers=1,2,3", "--quiet"])
        .args(["--format", "csv", "--out", "out"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    writer.join().unwrap();
    let table = std::fs::read_to_string(dir.path().join("out/sweep.csv")).unwrap();
    assert_eq!(table.lines().count(), 4, "{table}");
}

#[test]
fn a_max_memory_too_small_refuses_every_command_with_the_estimate() {
    let (dir, file) = folder(true);
    // Two billion records take little memory unless many are edited: a hundred million
    // edits in the hour, which the sync cannot keep up with.
    let big = [
        "--set",
        "objects.Lead.records=2000000000",
        "--set",
        "objects.Lead.edits_per_hour=100000000",
    ];
    let refused = |args: &[&str]| {
        let out = Command::cargo_bin("syncsim")
            .unwrap()
            .current_dir(dir.path())
            .args(args)
            .arg(&file)
            .args(big)
            .args(["--max-memory", "1GiB", "--out", "out"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            !Path::new(&dir.path().join("out")).exists(),
            "nothing written"
        );
        String::from_utf8(out.stderr).unwrap()
    };
    let e = refused(&["run"]);
    assert!(
        e.starts_with(&format!(
            "error: scenario '{}': a run would need about 9.8 GiB of memory (record index 3.0 GiB",
            file.display()
        )),
        "{e}"
    );
    assert!(e.contains("the cap is 1.0 GiB"), "{e}");
    // Two points of a sweep on two threads need twice as much.
    let e = refused(&["sweep", "--threads", "2", "--set", "sync.workers=1,2"]);
    assert!(
        e.contains("about 19.7 GiB of memory (9.8 GiB per simulation x 2 at once; record index"),
        "{e}"
    );
}

#[test]
fn validate_refuses_what_run_would_with_the_same_cap() {
    let (dir, file) = folder(true);
    let validate = |cap: &str| {
        Command::cargo_bin("syncsim")
            .unwrap()
            .current_dir(dir.path())
            .arg("validate")
            .arg(&file)
            .args([
                "--set",
                "objects.Lead.records=2000000000",
                "--set",
                "objects.Lead.edits_per_hour=100000000",
                "--max-memory",
                cap,
            ])
            .output()
            .unwrap()
    };
    let out = validate("1GiB");
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(e.contains("would need about 9.8 GiB of memory"), "{e}");
    let out = validate("16GiB");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "{}: valid (1 objects, 2000000000 records, 0 events, policy fifo, horizon 1h); a \
             run: at most 9.8 GiB of memory, about 1.0e8 events of work\n",
            file.display()
        )
    );
}

#[test]
fn a_max_events_too_small_refuses_every_command_with_the_estimate() {
    // The work guard (docs/robustness.md, Work): every command that simulates estimates its
    // events first and refuses above the cap, with exit code 2 and nothing written.
    let (dir, file) = folder(true);
    let refused = |args: &[&str]| {
        let out = Command::cargo_bin("syncsim")
            .unwrap()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            !Path::new(&dir.path().join("out")).exists(),
            "nothing written"
        );
        String::from_utf8(out.stderr).unwrap()
    };
    let file = file.to_str().unwrap();
    let e = refused(&["run", file, "--out", "out", "--max-events", "3"]);
    assert!(
        e.starts_with(&format!(
            "error: scenario '{file}': the work would be about "
        )),
        "{e}"
    );
    assert!(
        e.contains("the cap is 3: ") && e.contains("raise the cap with --max-events"),
        "{e}"
    );
    // Replications multiply it: a million of the tenth-scale reference, under the default
    // cap.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tenth = root.join("scenarios/reference-tenth.toml");
    let tenth = tenth.to_str().unwrap();
    let e = refused(&["run", tenth, "--out", "out", "--replications", "1000000"]);
    assert!(e.contains(" per simulation x 1000000 simulations"), "{e}");
    assert!(e.contains("the cap is 1.0e10"), "{e}");
    // A planner multiplies by its candidates.
    let e = refused(&[
        "sweep",
        file,
        "--out",
        "out",
        "--set",
        "sync.workers=1..100:1",
        "--replications",
        "1000",
        "--max-events",
        "1e5",
    ]);
    assert!(e.contains(" x 100000 simulations"), "{e}");
    // So does compare, by its variants and replications.
    let e = refused(&[
        "compare",
        file,
        "--variant",
        "sync.workers=2",
        "--out",
        "out",
        "--replications",
        "1000",
        "--max-events",
        "3",
    ]);
    assert!(e.contains(" x 2000 simulations"), "{e}");
    let e = refused(&["check", file, "--max-events", "3"]);
    assert!(e.contains("the work would be about"), "{e}");
    // A replay counts its change log's rows with the run's work.
    let changes = root.join("scenarios/data/reference-tenth-6h-changes.csv");
    let e = refused(&[
        "replay",
        changes.to_str().unwrap(),
        "--scenario",
        tenth,
        "--out",
        "out",
        "--max-events",
        "1e5",
    ]);
    assert!(e.contains("reading the change log"), "{e}");
    // Validate shows the estimate and refuses as run would; a cap above it lets it through.
    let e = refused(&["validate", file, "--max-events", "3"]);
    assert!(e.contains("the work would be about"), "{e}");
    let out = Command::cargo_bin("syncsim")
        .unwrap()
        .current_dir(dir.path())
        .args(["validate", file, "--max-events", "1e6"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("events of work"), "{text}");
}

#[test]
fn one_simulation_above_the_engine_ceiling_is_refused_whatever_the_cap() {
    // Entries are numbered in 40 bits (engine/entries.rs), so one simulation may take at most
    // 2^40 events (docs/robustness.md, Work): a billion edits an hour for 100 days is about
    // 2.4e12, refused even under caps of 1e15 events and 100,000 GiB, and nothing is written.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("too-much.toml");
    std::fs::write(
        &file,
        "start = \"2026-11-23T00:00:00Z\"\nhorizon = \"100d\"\nsample_interval = \"1d\"\n\n\
         [objects.Lead]\nrecords = 1000\nedits_per_hour = 1e9\n",
    )
    .unwrap();
    let out = Command::cargo_bin("syncsim")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "run",
            "too-much.toml",
            "--out",
            "out",
            "--max-events",
            "1e15",
        ])
        .args(["--max-memory", "100000GiB"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(
        e.starts_with(
            "error: scenario 'too-much.toml': one simulation would be about 2.4e12 events"
        ),
        "{e}"
    );
    assert!(
        e.contains("one simulation may take at most 1.1e12 (the engine numbers its entries in 40 bits), whatever --max-events says"),
        "{e}"
    );
    assert!(!dir.path().join("out").exists(), "nothing written");
}
