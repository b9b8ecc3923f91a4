//! Shards of Monte Carlo replications: merged parts give the single run's bytes, whatever
//! the number of shards; parts that do not belong together are refused; `--shard auto` reads
//! Slurm's and Kubernetes' variables.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::folder_files;

/// The scheduler variables `--shard auto` reads: removed so a test run under Slurm still
/// sees only what it sets.
const SCHEDULER_VARS: [&str; 5] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "JOB_COMPLETION_INDEX",
];

fn syncsim() -> Command {
    let mut cmd = Command::cargo_bin("syncsim").unwrap();
    for v in SCHEDULER_VARS {
        cmd.env_remove(v);
    }
    cmd
}

const SCENARIO: &str = "scenarios/reference.toml";

/// `syncsim run` of the reference scenario over 30 hours, 5 replications.
fn run(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = syncsim();
    cmd.args([
        "run",
        SCENARIO,
        "--horizon",
        "30h",
        "--replications",
        "5",
        "--quiet",
        "--out",
    ])
    .arg(out)
    .args(extra);
    cmd
}

/// Runs shards 1..=n into `dir/s<k>` and returns their parts.
fn shards(dir: &Path, n: u64, extra: &[&str]) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let out = dir.join(format!("s{k}"));
            let shard = format!("{k}/{n}");
            let mut args = vec!["--shard", shard.as_str()];
            args.extend(extra);
            run(&out, &args).assert().success();
            let part = out.join(format!("run.shard-{k}-of-{n}.part"));
            assert_eq!(
                folder_files(&out)
                    .iter()
                    .map(|f| f.0.as_str())
                    .collect::<Vec<_>>(),
                [
                    ".syncsim-files",
                    part.file_name().unwrap().to_str().unwrap()
                ],
                "a shard writes its part only"
            );
            part
        })
        .collect()
}

fn merge(out: &Path, parts: &[PathBuf]) -> Command {
    let mut cmd = syncsim();
    cmd.arg("merge").arg(out).args(parts);
    cmd
}

#[test]
fn merged_replications_are_the_single_run_bytes_whatever_the_shard_count() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run(&whole, &[]).assert().success();
    let expected = folder_files(&whole);
    for wanted in [
        "replications.csv",
        "aggregate.csv",
        "bands.csv",
        "summary.json",
        "backlog_fan.png",
        "backlog_fan.svg",
        "backlog.png",
        "dashboard.html",
    ] {
        assert!(expected.iter().any(|(n, _)| n == wanted), "{wanted}");
    }
    // 7 shards of 5 replications: shards 6 and 7 hold none.
    for n in [2, 3, 5, 7] {
        let root = dir.path().join(format!("n{n}"));
        let mut parts = shards(&root, n, &["--threads", "1"]);
        parts.reverse();
        let merged = root.join("merged");
        merge(&merged, &parts).assert().success();
        let got = folder_files(&merged);
        assert_eq!(
            got.iter().map(|f| &f.0).collect::<Vec<_>>(),
            expected.iter().map(|f| &f.0).collect::<Vec<_>>(),
            "{n} shards"
        );
        for ((name, a), (_, b)) in got.iter().zip(&expected) {
            assert!(
                a == b,
                "{name} of {n} merged shards differs from the single run"
            );
        }
    }
    // The formats and --dashboard-at travel with the parts: --format csv merges into the
    // CSV files only, with dashboard_at.csv.
    let csv_whole = dir.path().join("csv-whole");
    let extra = ["--format", "csv", "--dashboard-at", "20h"];
    run(&csv_whole, &extra).assert().success();
    assert!(csv_whole.join("dashboard_at.csv").is_file());
    let root = dir.path().join("csv");
    let parts = shards(&root, 2, &extra);
    merge(&root.join("merged"), &parts).assert().success();
    assert_eq!(folder_files(&root.join("merged")), folder_files(&csv_whole));
}

/// Runs `merge` expecting bad input; returns stderr and checks nothing was written.
fn refused(dir: &Path, parts: &[PathBuf]) -> String {
    let out = dir.join("refused");
    let assert = merge(&out, parts).assert().code(2);
    assert!(!out.exists(), "a refused merge writes nothing");
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn parts_that_do_not_belong_together_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let three = shards(&d.join("three"), 3, &[]);
    let err = refused(d, &three[..2]);
    assert!(
        err.contains("shard 3/3 of run is missing (have 2 of 3)"),
        "{err}"
    );
    let err = refused(
        d,
        &[
            three[0].clone(),
            three[1].clone(),
            three[1].clone(),
            three[2].clone(),
        ],
    );
    assert!(err.contains("shard 2/3 is given twice"), "{err}");
    let two = shards(&d.join("two"), 2, &[]);
    let err = refused(d, &[three[0].clone(), two[1].clone()]);
    assert!(err.contains("shard counts"), "{err}");
    assert!(err.contains("two/s2/run.shard-2-of-2.part"), "{err}");
    let seeded = shards(&d.join("seeded"), 3, &["--seed", "9"]);
    let err = refused(d, &[three[0].clone(), three[1].clone(), seeded[2].clone()]);
    assert!(err.contains("ran different scenarios"), "{err}");
    let more = shards(&d.join("more"), 3, &["--format", "csv"]);
    let err = refused(d, &[three[0].clone(), three[1].clone(), more[2].clone()]);
    assert!(err.contains("different options"), "{err}");
    // Another version's part.
    let text = std::fs::read_to_string(&three[2]).unwrap();
    let old = d.join("old.part");
    std::fs::write(&old, text.replacen(env!("CARGO_PKG_VERSION"), "0.0.1", 1)).unwrap();
    let err = refused(d, &[three[0].clone(), three[1].clone(), old]);
    assert!(
        err.contains("'") && err.contains("old.part' was written by syncsim 0.0.1"),
        "{err}"
    );
    // Not a part at all.
    let csv = d.join("table.csv");
    std::fs::write(&csv, "point,x\n0,1\n").unwrap();
    let err = refused(d, &[csv]);
    assert!(
        err.contains("table.csv' is not a part written by syncsim --shard"),
        "{err}"
    );
    // The scenario changed between the shards and the merge.
    let file = d.join("mine.toml");
    std::fs::copy(SCENARIO, &file).unwrap();
    let mut parts = Vec::new();
    for k in 1..=2 {
        let out = d.join(format!("mine{k}"));
        syncsim()
            .args(["run"])
            .arg(&file)
            .args(["--horizon", "30h", "--replications", "3", "--quiet"])
            .args(["--shard", &format!("{k}/2"), "--out"])
            .arg(&out)
            .assert()
            .success();
        parts.push(out.join(format!("run.shard-{k}-of-2.part")));
    }
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("seed = 1", "seed = 2", 1)).unwrap();
    let err = refused(d, &parts);
    assert!(err.contains("is not the one the shards ran"), "{err}");
}

#[test]
fn shard_auto_reads_slurm_and_kubernetes_variables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("slurm");
    run(&out, &["--shard", "auto"])
        .env("SLURM_ARRAY_TASK_ID", "12")
        .env("SLURM_ARRAY_TASK_MIN", "11")
        .env("SLURM_ARRAY_TASK_MAX", "14")
        .assert()
        .success();
    assert!(out.join("run.shard-2-of-4.part").is_file());
    let out = dir.path().join("k8s");
    run(&out, &["--shard", "auto/3"])
        .env("JOB_COMPLETION_INDEX", "0")
        .assert()
        .success();
    assert!(out.join("run.shard-1-of-3.part").is_file());
    for (shard, env, message) in [
        ("auto", None, "neither SLURM_ARRAY_TASK_ID"),
        (
            "auto",
            Some(("JOB_COMPLETION_INDEX", "1")),
            "write --shard auto/N",
        ),
        (
            "auto/2",
            Some(("JOB_COMPLETION_INDEX", "2")),
            "is not below 2",
        ),
    ] {
        let mut cmd = run(&dir.path().join("bad"), &["--shard", shard]);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let assert = cmd.assert().code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(err.contains(message), "{shard}: {err}");
        assert!(!dir.path().join("bad").exists());
    }
    // A sweep takes the same variables.
    let sweep = dir.path().join("sweep");
    syncsim()
        .args([
            "sweep",
            SCENARIO,
            "--horizon",
            "30h",
            "--set",
            "sync.workers=1..3",
        ])
        .args(["--quiet", "--shard", "auto", "--out"])
        .arg(&sweep)
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_MAX", "2")
        .assert()
        .success();
    assert!(sweep.join("sweep.shard-1-of-2.part").is_file());
}

#[test]
fn merged_comparisons_are_the_single_run_bytes_whatever_the_shard_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let compare = |out: &Path, extra: &[&str]| {
        let mut cmd = syncsim();
        cmd.args(["compare", "scenarios/reference-tenth.toml"])
            .args([
                "--variant",
                "sync.workers=2",
                "--variant",
                "sync.policy=priority",
            ])
            .args(["--replications", "7", "--quiet", "--out"])
            .arg(out)
            .args(extra);
        cmd
    };
    let whole = d.join("whole");
    compare(&whole, &[]).assert().success();
    let expected = folder_files(&whole);
    assert_eq!(
        expected.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        [".syncsim-files", "compare.csv", "compare.html"]
    );
    // 8 shards of 7 replications: shard 8 holds none.
    for n in [2, 3, 8] {
        let mut parts = Vec::new();
        for k in (1..=n).rev() {
            let out = d.join(format!("n{n}/s{k}"));
            compare(&out, &["--shard", &format!("{k}/{n}"), "--threads", "1"])
                .assert()
                .success();
            parts.push(out.join(format!("compare.shard-{k}-of-{n}.part")));
        }
        let merged = d.join(format!("n{n}/merged"));
        merge(&merged, &parts).assert().success();
        for ((name, a), (_, b)) in folder_files(&merged).iter().zip(&expected) {
            assert!(
                a == b,
                "{name} of {n} merged shards differs from the single run"
            );
        }
        assert_eq!(folder_files(&merged).len(), expected.len());
    }
    // Another confidence is another comparison.
    let other = d.join("other");
    compare(&other, &["--shard", "2/2", "--confidence", "0.9"])
        .assert()
        .success();
    let err = refused(
        d,
        &[
            d.join("n2/s1/compare.shard-1-of-2.part"),
            other.join("compare.shard-2-of-2.part"),
        ],
    );
    assert!(err.contains("different options"), "{err}");
}
