//! Monte Carlo: thread-count invariance, replications re-run alone, and confidence
//! intervals that cover a known mean.

use assert_cmd::Command;
use syncsim::engine::{seeds, simulate};
use syncsim::replicate;
use syncsim::scenario::{self, Override};
use syncsim::summary::RunSummary;

use crate::folder_files;

fn run_cli(out: &std::path::Path, extra: &[&str], env: Option<(&str, &str)>) {
    let mut cmd = Command::cargo_bin("syncsim").unwrap();
    cmd.args([
        "run",
        "scenarios/reference.toml",
        "--horizon",
        "30h",
        "--replications",
        "6",
        "--quiet",
        "--out",
    ])
    .arg(out)
    .args(extra);
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    cmd.assert().success();
}

#[test]
fn outputs_are_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    let env = dir.path().join("env");
    run_cli(&one, &["--threads", "1"], None);
    run_cli(&two, &["--threads", "2"], None);
    run_cli(&env, &[], Some(("RAYON_NUM_THREADS", "2")));
    let a = folder_files(&one);
    assert!(
        a.iter().any(|(n, _)| n == "replications.csv") && a.iter().any(|(n, _)| n == "bands.csv")
    );
    // The dashboard holds the forecast across replications, so it is compared too.
    let dashboard = &a.iter().find(|(n, _)| n == "dashboard.html").unwrap().1;
    assert!(String::from_utf8_lossy(dashboard).contains("<section id=\"spread\""));
    for other in [folder_files(&two), folder_files(&env)] {
        assert_eq!(a.len(), other.len());
        for ((name, x), (_, y)) in a.iter().zip(&other) {
            assert!(x == y, "{name} differs between thread counts");
        }
    }
    // And across repeated runs.
    let again = dir.path().join("again");
    run_cli(&again, &["--threads", "2"], None);
    assert_eq!(a, folder_files(&again));
}

#[test]
fn a_replication_rerun_alone_gives_its_row() {
    let sc = syncsim::load::load(
        std::path::Path::new("scenarios/reference.toml"),
        &[Override::horizon("30h")],
    )
    .unwrap();
    let reps = replicate::run(&sc, 5, &|| {});
    for i in [0u64, 3] {
        let alone = RunSummary::of(&sc, simulate(&sc, seeds::replication_seed(sc.seed, i)));
        let summary = replicate::ReplicationSummary::of(i, &alone);
        assert_eq!(syncsim::summary::metric_names(&sc), reps.names);
        assert_eq!(summary, reps.runs[i as usize], "replication {i}");
    }
    // Through the binary: `--replication 3` writes the row's numbers as a single run.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("three");
    Command::cargo_bin("syncsim")
        .unwrap()
        .args([
            "run",
            "scenarios/reference.toml",
            "--horizon",
            "30h",
            "--replication",
            "3",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["seed"], seeds::replication_seed(sc.seed, 3));
    let m = reps.names.iter().position(|n| n == "backlog.max").unwrap();
    assert_eq!(
        summary["metrics"]["backlog.max"].as_f64(),
        reps.runs[3].values[m]
    );
}

#[test]
fn the_confidence_interval_of_the_edit_count_covers_the_poisson_mean() {
    // 1,000 edits/h for 10 h: the number of edits is Poisson with mean 10,000. Over 100
    // independent sets of 20 replications the 95% interval should cover 10,000 about 95
    // times; 88 is more than 3 standard deviations below.
    let text = "start = \"2026-11-23T00:00:00Z\"\nhorizon = \"10h\"\n[objects.Lead]\nrecords = 100000\nedits_per_hour = 1000\n";
    let mut covered = 0;
    for seed in 0..100 {
        let sc = scenario::from_str(text, "p.toml", "p", &[Override::seed(seed)]).unwrap();
        let reps = replicate::run(&sc, 20, &|| {});
        let edits = reps.aggregate("edits").unwrap();
        let ci = edits.mean_ci.unwrap();
        if ci.low <= 10_000.0 && 10_000.0 <= ci.high {
            covered += 1;
        }
        // The interval is about +-2.09 * 100 / sqrt(20) = +-47 wide each side.
        assert!(ci.high - ci.low < 200.0, "{ci:?}");
    }
    assert!((88..=100).contains(&covered), "covered {covered} of 100");
}

#[test]
fn bands_bracket_the_median() {
    let sc = syncsim::load::load(
        std::path::Path::new("scenarios/reference.toml"),
        &[Override::horizon("30h")],
    )
    .unwrap();
    let reps = replicate::run(&sc, 9, &|| {});
    let b = &reps.total_band;
    assert_eq!(b.p50.len(), reps.sample_times.len());
    for i in 0..b.p50.len() {
        assert!(b.p10[i] <= b.p50[i] && b.p50[i] <= b.p90[i]);
    }
    // At 25 h (the end of the bulk hour) every replication is far above its baseline.
    let i = reps
        .sample_times
        .iter()
        .position(|&t| t == 25 * syncsim::units::HOUR)
        .unwrap();
    assert!(b.p10[i] > 200_000, "{}", b.p10[i]);
}
