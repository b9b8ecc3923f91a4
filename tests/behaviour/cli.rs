//! The real binary: exit codes, error messages, files written.

use assert_cmd::Command;

fn syncsim() -> Command {
    Command::cargo_bin("syncsim").unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SMALL: &str = r#"
name = "small"
start = "2026-11-23T00:00:00Z"
horizon = "6h"
[objects.Lead]
records = 1000
edits_per_hour = 500
"#;

#[test]
fn run_writes_every_report_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "small.toml", SMALL);
    let out = dir.path().join("out");
    let assert = syncsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("Sync backlog metrics"), "{stdout}");
    assert!(stdout.contains("Lead"), "{stdout}");
    for name in syncsim::report::tables::TABLES
        .iter()
        .map(|(n, _)| n)
        .chain([&"summary.json"])
    {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"], "small");
    assert!(summary["metrics"]["edits"].as_f64().unwrap() > 2000.0);
    // A second run may replace its own files.
    syncsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success()
        .stdout("");
}

#[test]
fn run_refuses_to_overwrite_a_file_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "small.toml", SMALL);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("backlog.csv"), "precious").unwrap();
    syncsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(3)
        .stderr(predicates::str::contains("--force"));
    assert_eq!(
        std::fs::read_to_string(out.join("backlog.csv")).unwrap(),
        "precious"
    );
    assert!(
        !out.join("latency.csv").exists(),
        "a refused run writes nothing"
    );
    syncsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--force")
        .assert()
        .success();
}

#[test]
fn set_overrides_are_validated_like_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "small.toml", SMALL);
    syncsim()
        .args(["validate"])
        .arg(&file)
        .args(["--set", "sync.workers=3"])
        .assert()
        .success();
    syncsim()
        .args(["validate"])
        .arg(&file)
        .args(["--set", "sync.batch_size=0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "sync.batch_size: must be 1..=1000000 (got 0)",
        ));
}

#[test]
fn bad_input_names_the_place_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("syntax.toml", "start = \"2026-11-23T00:00:00Z\"\n[objects.Lead\nrecords = 1\n", "line 2, column"),
        ("type.toml", "start = \"2026-11-23T00:00:00Z\"\n[objects.Lead]\nrecords = \"many\"\n", "line 3, column 11"),
        ("unknown.toml", "start = \"2026-11-23T00:00:00Z\"\n[objects.Lead]\nrecords = 1\nrecrods = 2\n", "unknown field `recrods`"),
        ("unit.toml", "start = \"2026-11-23T00:00:00Z\"\nhorizon = \"5 days\"\n[objects.Lead]\nrecords = 1\n", "horizon: '5 days' is not a duration"),
        ("range.toml", "start = \"2026-11-23T00:00:00Z\"\n[objects.Lead]\nrecords = 1\nsynced_fraction = 1.5\n", "objects.Lead.synced_fraction: must be a fraction 0..=1 (got 1.5)"),
        ("object.toml", "start = \"2026-11-23T00:00:00Z\"\n[objects.Lead]\nrecords = 1\n[events.x]\nkind = \"bulk_update\"\nat = \"1h\"\nobject = \"Leed\"\ncount = 1\n", "events.x.object: unknown object 'Leed'; the scenario's objects are: Lead"),
        ("empty.toml", "", "the file is empty"),
    ];
    for (name, text, expected) in cases {
        let file = write(&dir, name, text);
        let assert = syncsim().arg("validate").arg(&file).assert().code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.contains(expected),
            "{name}: expected {expected:?} in\n{stderr}"
        );
        assert!(
            stderr.contains(name),
            "{name}: the file is named in\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_missing_file_and_a_bad_flag_exit_2() {
    syncsim()
        .args(["run", "no-such-file.toml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read it"));
    syncsim().args(["run", "--no-such-flag"]).assert().code(2);
}

#[test]
fn help_is_complete_and_has_examples() {
    for cmd in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["validate", "--help"],
    ] {
        let assert = syncsim().args(&cmd).assert().success();
        let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        assert!(out.contains("Example"), "{cmd:?}: {out}");
    }
}

#[test]
fn a_scenario_too_big_for_memory_is_refused_with_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "huge.toml", SMALL);
    let out = dir.path().join("out");
    syncsim()
        .arg("run")
        .arg(&file)
        .args(["--set", "objects.Lead.records=2000000000"])
        .args(["--set", "objects.Lead.edits_per_hour=50000000", "--out"])
        .arg(&out)
        .args(["--max-memory", "1GiB"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "would need about 30.2 GiB of memory",
        ))
        .stderr(predicates::str::contains("the cap is 1.0 GiB"));
    assert!(!out.join("backlog.csv").exists(), "nothing is written");
    syncsim()
        .arg("run")
        .arg(&file)
        .args(["--max-memory", "lots"])
        .assert()
        .code(2);
}

/// Issue 21 item 7: a Dynamics scenario that asks for multi-batch queueing is warned of by
/// `validate`, `run` and `check`, on stderr, with the exit code unchanged; `--quiet` keeps
/// it silent and a scenario within the preset's limits has no warning.
#[test]
fn a_preset_limit_gone_past_is_warned_of_without_changing_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "preset = \"dynamics\"\n{SMALL}[sync]\nworkers = 2\n[expect]\nran = \"edits >= 1\"\n"
    );
    let file = write(&dir, "mbq.toml", &text);
    let line = format!(
        "warning: {}: sync.workers: is 2, but a Dynamics sync (preset = \"dynamics\") has no \
         multi-batch queueing: one batch at a time; the run goes ahead as a what-if\n",
        file.display()
    );
    syncsim()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(0)
        .stderr(line.clone());
    let out = dir.path().join("out");
    let run = |quiet: bool| {
        let mut cmd = syncsim();
        cmd.arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .arg("--force");
        if quiet {
            cmd.arg("--quiet");
        }
        cmd.assert().code(0)
    };
    run(false).stderr(line.clone());
    run(true).stderr("");
    syncsim()
        .arg("check")
        .arg(&file)
        .assert()
        .code(0)
        .stderr(line.clone());
    // Without the extra worker there is nothing to warn of.
    syncsim()
        .arg("validate")
        .arg(&file)
        .args(["--set", "sync.workers=1"])
        .assert()
        .code(0)
        .stderr("");
}
