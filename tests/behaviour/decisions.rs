//! Decisions under noise: solve's answer comes with the interval where it could lie, which
//! covers what a brute-force grid with many replications finds; `--precision` adds
//! replications until that interval is narrow; a percentile target with too few
//! replications is refused with the number needed.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use syncsim::planner::grid::{DefaultStep, Range};
use syncsim::planner::solve::{self, Answer, Precision, SolveSpec};
use syncsim::planner::{evaluate, Base, Runner};

/// Background edits and a bulk update whose clear time falls with the throughput.
const NOISY: &str = r#"
name = "noisy"
start = "2026-11-23T00:00:00Z"
horizon = "4h"
[objects.Lead]
records = 20000
edits_per_hour = 2000
synced_fraction = 0.7
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

const TARGET: &str = "event.bulk.clear_h p90 <= 90m";

fn base() -> Base {
    Base {
        file: syncsim::load::ScenarioFile::from_text(NOISY, "noisy.toml", "noisy").unwrap(),
        overrides: vec![],
    }
}

fn spec(replications: u64, precision: Option<Precision>) -> SolveSpec {
    SolveSpec {
        path: "sync.throughput".into(),
        range: Range::parse("3000..30000", None, DefaultStep::Divisions(1000))
            .unwrap()
            .unwrap(),
        target: syncsim::expr::parse(TARGET).unwrap(),
        greatest: false,
        replications,
        confidence: 0.95,
        precision,
        max_replications: 400,
    }
}

/// The interval's ends as values, lower first.
fn ends(spec: &SolveSpec, s: &solve::Solution) -> (f64, f64) {
    let (lo, hi) = s.interval_ends(spec);
    (spec.range.value(lo.unwrap()), spec.range.value(hi.unwrap()))
}

#[test]
fn the_interval_covers_the_answer_of_a_brute_force_grid() {
    let spec = spec(36, None);
    let solution = solve::solve(&base(), &spec, &mut Runner::keeping(64), &|| {}).unwrap();
    let Answer::Found { k } = solution.answer else {
        panic!("{:?}", solution.answer)
    };
    let (low, high) = ends(&spec, &solution);
    assert!(
        low < high,
        "a noisy target has a real interval: {low}-{high}"
    );
    let answer = spec.range.value(k);
    assert!(low <= answer && answer <= high);
    // The grid every 50 around it, 400 replications each: the least value that passes.
    let values: Vec<u64> = (0..=8).map(|i| 7400 + 50 * i).collect();
    let points: Vec<_> = values
        .iter()
        .map(|v| {
            base()
                .candidate(&[format!("sync.throughput={v}")], || v.to_string())
                .unwrap()
        })
        .collect();
    let outcomes = evaluate(&points, 0..400, None, &mut Runner::shared(64), &|| {});
    let target = syncsim::expr::parse(TARGET).unwrap();
    let brute = values
        .iter()
        .zip(&outcomes)
        .find(|(_, o)| o.verdicts(&target).iter().all(|v| v.pass))
        .map(|(v, _)| *v as f64)
        .expect("the grid reaches the target");
    assert!(
        low <= brute && brute <= high,
        "400 replications put the least value at {brute}; solve said {answer} ({low}-{high})"
    );
    // 36 replications alone do not pin it: the point answer is not the brute force's.
    assert_ne!(answer, brute);
}

#[test]
fn precision_adds_replications_until_the_interval_is_narrow() {
    let spec = spec(36, Some(Precision::Width(120.0)));
    let solution = solve::solve(&base(), &spec, &mut Runner::keeping(512), &|| {}).unwrap();
    let (low, high) = ends(&spec, &solution);
    assert!(high - low <= 120.0, "{low}-{high}");
    let counts: Vec<u64> = solution.passes.iter().map(|p| p.replications).collect();
    assert!(counts.len() >= 2 && counts[0] == 36, "{counts:?}");
    assert!(counts.windows(2).all(|w| w[1] == 2 * w[0] || w[1] == 400));
    assert!(solution.passes.last().unwrap().width <= 120.0);
    assert!(solution.passes[0].width > 120.0);
    assert_eq!(solution.replications, *counts.last().unwrap());
    // Deterministic: the same again, and without shared edits.
    let again = solve::solve(&base(), &spec, &mut Runner::independent(), &|| {}).unwrap();
    assert_eq!(again, solution);
}

fn write(dir: &Path) -> PathBuf {
    let file = dir.join("noisy.toml");
    std::fs::write(&file, NOISY).unwrap();
    file
}

fn solve_cli(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("syncsim")
        .unwrap()
        .arg("solve")
        .arg(write(dir))
        .args([
            "--vary",
            "sync.throughput",
            "--range",
            "3000..30000",
            "--target",
            TARGET,
            "--out",
        ])
        .arg(dir.join("out"))
        .args(extra)
        .assert()
}

#[test]
fn a_percentile_target_with_too_few_replications_is_refused_with_the_number_needed() {
    let dir = tempfile::tempdir().unwrap();
    let assert = solve_cli(dir.path(), &["--replications", "20"]).code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        err.contains("--replications 20:") && err.contains("needs at least 36 replications"),
        "{err}"
    );
    assert!(!dir.path().join("out/solve.csv").exists());
    // Without --replications, as many as needed run, and it says so.
    let assert = solve_cli(dir.path(), &[]).success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(out.contains("running 36 per candidate"), "{out}");
    assert!(
        out.contains("Answer: sync.throughput = 7597 (95%: 7454-7720)"),
        "{out}"
    );
    // A median needs 6; a 90% confidence fewer than 95%.
    let assert = solve_cli(dir.path(), &["--replications", "28", "--confidence", "90%"]).code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("needs at least 29"), "{err}");
}

#[test]
fn a_precision_the_cap_cannot_reach_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let assert = solve_cli(
        dir.path(),
        &["--precision", "10", "--max-replications", "72"],
    )
    .success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        out.contains("Replications per candidate: 36 (")
            && out.contains("), 72 (")
            && out.contains("; --precision not reached at --max-replications 72"),
        "{out}"
    );
    assert!(
        !out.contains("until the interval was narrow enough"),
        "{out}"
    );
}

/// No background edits: every replication is the same run, and a bulk update started at any
/// hour clears in the same time.
const QUIET: &str = r#"
name = "quiet"
start = "2026-11-23T00:00:00Z"
horizon = "2d"
replications = 3
[objects.Lead]
records = 24000
[sync]
batch_size = 200
throughput = 10_000
[events.bulk]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 24000
records = "sequential"
"#;

fn schedule_cli(dir: &Path, text: &str, extra: &[&str]) -> String {
    let file = dir.join("s.toml");
    std::fs::write(&file, text).unwrap();
    let assert = Command::cargo_bin("syncsim")
        .unwrap()
        .arg("schedule")
        .arg(&file)
        .args(["--event", "bulk", "--out"])
        .arg(dir.join("out"))
        .args(extra)
        .assert()
        .success();
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn plans_that_cannot_be_told_apart_are_one_group_and_the_earliest_is_recommended() {
    let dir = tempfile::tempdir().unwrap();
    // Identical plans (start times of an undisturbed update) tie exactly; splits clear later.
    let out = schedule_cli(
        dir.path(),
        QUIET,
        &[
            "--window",
            "2h..8h",
            "--every",
            "2h",
            "--split-sizes",
            "8000",
            "--spacing",
            "3h",
        ],
    );
    assert!(
        out.contains(
            "3 of the 6 plans that meet the constraints are equivalent to the best at 95%"
        ),
        "{out}"
    );
    assert!(
        out.contains("Recommended: plan 0 (start 2026-11-23T02:00:00Z, split none), the earliest of them, unsplit"),
        "{out}"
    );
    let snippet = std::fs::read_to_string(dir.path().join("out/recommended.toml")).unwrap();
    assert!(
        snippet.contains("at = \"2026-11-23T02:00:00Z\""),
        "{snippet}"
    );
    assert!(snippet.contains("# 3 of the 6 plans"), "{snippet}");
    // Noise: background edits, 10 replications; the best start stands with some others.
    let out = schedule_cli(
        dir.path(),
        &NOISY.replace("horizon = \"4h\"", "horizon = \"12h\""),
        &[
            "--window",
            "1h..7h",
            "--every",
            "1h",
            "--replications",
            "10",
        ],
    );
    assert!(out.contains("equivalent"), "{out}");
    // One replication: ties cannot be judged, and it says so.
    let out = schedule_cli(
        dir.path(),
        &NOISY.replace("horizon = \"4h\"", "horizon = \"12h\""),
        &["--window", "1h..4h", "--every", "1h"],
    );
    assert!(
        out.contains("With 1 replication, ties cannot be judged"),
        "{out}"
    );
}

#[test]
fn without_split_plans_the_recommendation_speaks_of_waiting_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = schedule_cli(dir.path(), QUIET, &["--window", "2h..8h", "--every", "2h"]);
    assert!(
        out.contains(
            "Recommended: plan 0 (start 2026-11-23T02:00:00Z, split none), the earliest of \
             them: nothing detectable is gained by waiting."
        ),
        "{out}"
    );
    assert!(!out.contains("splitting"), "{out}");
}

#[test]
fn the_recommendation_is_the_earliest_plan_of_the_group() {
    use syncsim::expr::Stat;
    use syncsim::planner::grid::Shard;
    use syncsim::planner::schedule::{self, Bulk, ScheduleSpec};
    use syncsim::units::HOUR;
    let b = Base {
        file: syncsim::load::ScenarioFile::from_text(
            &NOISY.replace("horizon = \"4h\"", "horizon = \"12h\""),
            "n.toml",
            "n",
        )
        .unwrap(),
        overrides: vec![],
    };
    let sc = b.scenario().unwrap();
    let spec = ScheduleSpec {
        bulk: Bulk::find(&sc, "bulk").unwrap(),
        starts: (1..8).map(|h| h * HOUR).collect(),
        part_sizes: vec![],
        spacings: vec![],
        constraints: None,
        rank_by: ("plan.clear_h".into(), Stat::Percentile(50.0)),
        replications: 12,
    };
    let prepared = schedule::prepare(&b, &spec, Shard::WHOLE).unwrap();
    let results = schedule::run(&spec, &prepared, &mut Runner::shared(16), &|| {}).unwrap();
    let ranked = schedule::ranking(&results);
    let rec = schedule::recommend(&spec, &ranked, 0.95).unwrap();
    let group = &rec.ties.group;
    assert!(group.len() > 1, "{rec:?}");
    assert!(group.contains(&rec.ties.best.unwrap()));
    let earliest = group.iter().map(|&i| ranked[i].plan.index).min().unwrap();
    assert_eq!(ranked[rec.pick].plan.index, earliest);
    assert!(rec.earliest_of_ties);
    // Every plan outside the group is detectably worse than some plan: its paired
    // differences with the best have a t interval above zero at 95%.
    for (i, r) in ranked
        .iter()
        .enumerate()
        .filter(|(i, _)| !group.contains(i))
    {
        let d = syncsim::stats::paired(
            &ranked[rec.ties.best.unwrap()].rank_values,
            &r.rank_values,
            syncsim::catalogue::Missing::NotWithinHorizon,
            0.95,
        );
        assert!(
            d.ci.unwrap().low > 0.0,
            "plan {} ({i}): {d:?}",
            r.plan.index
        );
    }
}

fn sweep_cli(dir: &Path, text: &str, extra: &[&str]) -> String {
    let file = dir.join("w.toml");
    std::fs::write(&file, text).unwrap();
    let assert = Command::cargo_bin("syncsim")
        .unwrap()
        .arg("sweep")
        .arg(&file)
        .args(["--format", "csv", "--out"])
        .arg(dir.join("out"))
        .args(extra)
        .assert()
        .success();
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn sweep_points_that_cannot_be_told_apart_are_named_together() {
    let dir = tempfile::tempdir().unwrap();
    // A description changes nothing: every point is the same run.
    let out = sweep_cli(
        dir.path(),
        NOISY,
        &["--set", "description=a,b,c", "--replications", "4"],
    );
    assert!(
        out.contains("3 of the 3 points are equivalent to it at 95%")
            && out.contains("points 0, 1 and 2"),
        "{out}"
    );
    // Workers drain the update faster, detectably so.
    let out = sweep_cli(
        dir.path(),
        NOISY,
        &["--set", "sync.workers=1..3", "--replications", "4"],
    );
    assert!(
        out.contains("Best point by the mean of event.bulk.clear_h (lower is better): point 2 (sync.workers=3)"),
        "{out}"
    );
    assert!(out.contains("It stands alone at 95%"), "{out}");
    // A metric with no better direction names no best point.
    let out = sweep_cli(
        dir.path(),
        NOISY,
        &[
            "--set",
            "sync.workers=1..2",
            "--replications",
            "2",
            "--metric",
            "edits",
        ],
    );
    assert!(
        out.contains("edits is better neither lower nor higher"),
        "{out}"
    );
}
