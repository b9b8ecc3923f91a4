//! The planner: sweeps, shards and merges, solve and schedule, on small scenarios whose
//! answers are known in advance.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use syncsim::planner::grid::{DefaultStep, Range};
use syncsim::planner::solve::{self, Answer, Solution, SolveSpec};

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
        files.push(out.join(format!("sweep.shard-{k}-of-4.part")));
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
    assert!(err.contains("shard 4/4 of sweep is missing"), "{err}");
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

/// The texts of an SVG document, which must parse, and be an image with a title.
fn svg_texts(path: &Path) -> Vec<String> {
    let svg = read(path);
    let doc = roxmltree::Document::parse(&svg)
        .unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    assert_eq!(doc.root_element().attribute("role"), Some("img"));
    doc.descendants()
        .filter(|n| n.has_tag_name("text") || n.has_tag_name("title"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect()
}

#[test]
fn a_sweep_charts_its_metric_against_the_swept_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "noisy.toml", NOISY);
    let out = dir.path().join("out");
    sweep(&file, &out, &[]);
    let (w, h, pixels) = crate::reports::decode_png(&out.join("sweep.png"));
    assert_eq!((w, h), (1200, 600));
    crate::reports::assert_not_blank("sweep.png", &pixels);
    // The default metric: the event's mean clear time, against the key with the most values
    // (workers), one line per throughput.
    let texts = svg_texts(&out.join("sweep.svg"));
    for expected in [
        "event.bulk.clear_h mean (hours)",
        "sync.workers",
        "sync.throughput=6000",
        "sync.throughput=12000",
    ] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected:?} in {texts:?}"
        );
    }
    // --metric picks another metric and statistic.
    let other = dir.path().join("other");
    sweep(&file, &other, &["--metric", "backlog.max:p90"]);
    let texts = svg_texts(&other.join("sweep.svg"));
    assert!(texts.iter().any(|t| t == "backlog.max p90"), "{texts:?}");
}

#[test]
fn sweep_format_csv_writes_no_chart_and_bad_metrics_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "noisy.toml", NOISY);
    let out = dir.path().join("out");
    sweep(&file, &out, &["--format", "csv"]);
    assert!(out.join("sweep.csv").exists());
    assert!(!out.join("sweep.png").exists() && !out.join("sweep.svg").exists());
    // A misspelt metric is bad input, named with its neighbours, and no file is written.
    let bad = dir.path().join("bad");
    let assert = syncsim()
        .arg("sweep")
        .arg(&file)
        .args([
            "--set",
            "sync.workers=1,2",
            "--metric",
            "event.bluk.clear_h",
        ])
        .arg("--out")
        .arg(&bad)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("event.bulk.clear_h"), "{err}");
    assert!(!bad.join("sweep.csv").exists());
    // A sweep has no HTML report.
    syncsim()
        .arg("sweep")
        .arg(&file)
        .args(["--set", "sync.workers=1,2", "--format", "csv,html"])
        .arg("--out")
        .arg(&bad)
        .assert()
        .code(2);
}

#[test]
fn sweep_files_are_byte_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "noisy.toml", NOISY);
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    sweep(&file, &one, &["--threads", "1"]);
    sweep(&file, &two, &["--threads", "2"]);
    for name in ["sweep.csv", "sweep.png", "sweep.svg"] {
        let bytes = |d: &Path| std::fs::read(d.join(name)).unwrap();
        assert!(bytes(&one) == bytes(&two), "{name} differs");
    }
}

#[test]
fn points_where_the_event_never_clears_leave_gaps_and_say_so() {
    // 8,000 Contact updates at 1 h: at 2,000 records an hour they cannot clear by 3 h.
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "noisy.toml", NOISY);
    let out = dir.path().join("out");
    let assert = syncsim()
        .arg("sweep")
        .arg(&file)
        .args([
            "--horizon",
            "3h",
            "--set",
            "sync.throughput=2000,40000,60000",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        stdout.contains("1 of 3 points have no value") && stdout.contains("leave gaps"),
        "{stdout}"
    );
    let texts = svg_texts(&out.join("sweep.svg"));
    assert!(
        texts.iter().any(|t| t.contains("1 point has no value")),
        "{texts:?}"
    );
}

/// No background edits and no randomness: a bulk of `count` Lead updates at 10 m, picked up
/// at once, batches of 200. A batch of 200 updates at throughput T lasts
/// ceil(200 * 3,600,000 / T) ms (plus the batch overhead).
fn deterministic(count: u32, sync: &str) -> String {
    format!(
        r#"
name = "deterministic"
start = "2026-11-23T00:00:00Z"
horizon = "2d"
[objects.Lead]
records = {count}
[sync]
batch_size = 200
{sync}
[events.bulk]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = {count}
"#
    )
}

fn base(text: &str) -> syncsim::planner::Base {
    syncsim::planner::Base {
        file: syncsim::load::ScenarioFile::from_text(text, "test.toml", "test").unwrap(),
        overrides: vec![],
    }
}

fn solve_least(text: &str, path: &str, range: &str, target: &str) -> (String, Solution) {
    let (lo, hi) = range.split_once("..").unwrap();
    let spec = SolveSpec {
        path: path.into(),
        range: Range::parse(&format!("{lo}..{hi}"), None, DefaultStep::Divisions(1000))
            .unwrap()
            .unwrap(),
        target: syncsim::expr::parse(target).unwrap(),
        greatest: false,
        replications: 2,
        confidence: 0.95,
        precision: None,
        max_replications: 2,
    };
    let mut runner = syncsim::planner::Runner::keeping(64);
    let solution = solve::solve(&base(text), &spec, &mut runner, &|| {}).unwrap();
    let k = solution.answer_k().expect("an answer");
    (spec.range.text(k), solution)
}

#[test]
fn solve_finds_the_least_throughput_that_clears_in_24_hours() {
    // 240,000 updates = 1,200 batches of 200. Clear within 24 h = 86,400,000 ms needs
    // ceil(720,000,000 / T) <= 72,000 ms per batch, so T >= 10,000 per hour; at 9,999 a
    // batch takes 72,008 ms and the update clears 9.6 s late.
    let text = deterministic(240_000, "");
    let (answer, solution) = solve_least(
        &text,
        "sync.throughput",
        "1000..100000",
        "event.bulk.clear_h p90 <= 24h",
    );
    assert_eq!(answer, "10000");
    assert!(matches!(solution.answer, Answer::Found { .. }));
    assert!(solution.warnings.is_empty(), "{:?}", solution.warnings);
    // The evidence holds the boundary: 10,000 passes at exactly 24 h, 9,999 fails.
    let at = |v: &str| solution.candidates.iter().find(|c| c.value == v).unwrap();
    assert_eq!(
        (at("10000").pass, at("10000").verdicts[0].actual),
        (true, Some(24.0))
    );
    assert!(!at("9999").pass);
}

#[test]
fn solve_counts_the_batch_overhead() {
    // With 1 s per batch: 1,200 * (ceil(720,000,000 / T) + 1,000) <= 86,400,000 needs
    // ceil(720,000,000 / T) <= 71,000, so T >= 10,140.85: 10,141 (a batch of 71,000 ms);
    // at 10,140 a batch takes 71,006 ms.
    let text = deterministic(240_000, "batch_overhead = \"1s\"");
    let (answer, _) = solve_least(
        &text,
        "sync.throughput",
        "1000..100000",
        "event.bulk.clear_h p90 <= 24h",
    );
    assert_eq!(answer, "10141");
}

#[test]
fn solve_finds_the_least_number_of_workers() {
    // 1,200 batches of 72 s at 10,000/h: 24 h on one worker, 6 h on four, 8 h on three.
    let text = deterministic(240_000, "throughput = 10_000");
    let (answer, _) = solve_least(&text, "sync.workers", "1..64", "event.bulk.clear_h <= 6h");
    assert_eq!(answer, "4");
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn solve_agrees_with_a_sweep_over_the_same_grid() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "det.toml",
        &deterministic(240_000, "batch_overhead = \"1s\""),
    );
    let out = dir.path().join("out");
    syncsim()
        .arg("sweep")
        .arg(&file)
        .args([
            "--set",
            "sync.throughput=9000..11000:100",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = csv_rows(&out.join("sweep.csv"));
    let p90 = header
        .iter()
        .position(|h| h == "event.bulk.clear_h:p90")
        .unwrap();
    let first_passing = rows
        .iter()
        .find(|r| r[p90] != "never" && r[p90].parse::<f64>().unwrap() <= 24.0)
        .map(|r| r[1].clone())
        .unwrap();
    assert_eq!(first_passing, "10200", "the grid point after 10,141");
    let assert = syncsim()
        .arg("solve")
        .arg(&file)
        .args([
            "--vary",
            "sync.throughput",
            "--range",
            "9000..11000",
            "--step",
            "100",
            "--target",
            "event.bulk.clear_h p90 <= 24h",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    // Every replication of this scenario is the same run: the interval is the answer.
    assert!(
        stdout.contains("Answer: sync.throughput = 10200 (95%: 10200) is the least value"),
        "{stdout}"
    );
    let (header, rows) = csv_rows(&out.join("solve.csv"));
    assert_eq!(
        header,
        [
            "order",
            "sync.throughput",
            "event.bulk.clear_h p90 <= 24h",
            "event.bulk.clear_h p90 <= 24h ci_low",
            "event.bulk.clear_h p90 <= 24h ci_high",
            "result",
            "at 95%",
            "answer",
            "interval"
        ]
    );
    let answer: Vec<&Vec<String>> = rows.iter().filter(|r| r[7] == "yes").collect();
    assert_eq!(answer.len(), 1);
    assert_eq!(
        (
            answer[0][1].as_str(),
            answer[0][5].as_str(),
            answer[0][8].as_str()
        ),
        ("10200", "pass", "low and high")
    );
    // Every candidate solve ran agrees with the sweep's row for that value.
    for r in &rows {
        let row = rows_by_value(&out.join("sweep.csv"), &r[1]);
        assert_eq!(row[p90], r[2], "value {}", r[1]);
    }
}

fn rows_by_value(path: &Path, value: &str) -> Vec<String> {
    csv_rows(path)
        .1
        .into_iter()
        .find(|r| r[1] == value)
        .unwrap()
}

#[test]
fn solve_says_when_the_target_holds_nowhere_or_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "det.toml",
        &deterministic(24_000, "throughput = 10_000"),
    );
    let run = |target: &str| {
        let assert = syncsim()
            .arg("solve")
            .arg(&file)
            .args([
                "--vary",
                "sync.workers",
                "--range",
                "1..8",
                "--target",
                target,
            ])
            .arg("--out")
            .arg(dir.path().join("out"))
            .assert()
            .success();
        String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
    };
    // 120 batches of 72 s: 2.4 h on one worker, 0.3 h on eight.
    let nowhere = run("event.bulk.clear_h <= 10m");
    assert!(nowhere.contains("holds nowhere in the range"), "{nowhere}");
    assert!(!nowhere.contains("Answer:"), "{nowhere}");
    let everywhere = run("event.bulk.clear_h <= 3h");
    assert!(
        everywhere.contains("holds everywhere in the range"),
        "{everywhere}"
    );
    assert!(
        everywhere.contains("Answer: sync.workers = 1"),
        "{everywhere}"
    );
}

#[test]
fn bad_targets_and_ranges_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "det.toml", &deterministic(1000, ""));
    for (range, target, message) in [
        ("1..8", "event.bulk.clear_h p90 <= soon", "not a number"),
        ("1..8", "event.bulk.clear_h ~ 2h", "not an operator"),
        ("8..1", "event.bulk.clear_h <= 2h", "8 is above 1"),
        ("1..x", "event.bulk.clear_h <= 2h", "not a range"),
        (
            "1..8",
            "event.bluk.clear_h <= 2h",
            "unknown metric 'event.bluk.clear_h'",
        ),
    ] {
        let assert = syncsim()
            .arg("solve")
            .arg(&file)
            .args([
                "--vary",
                "sync.workers",
                "--range",
                range,
                "--target",
                target,
            ])
            .arg("--out")
            .arg(dir.path().join("out"))
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(err.contains(message), "{range} {target}: {err}");
    }
}

/// Leads edited 9,000 an hour from 08:00 to 20:00 UTC and not at all at night; they drain
/// first (priority). Throughput 10,000 an hour leaves about 1,000 an hour for the bulk of
/// 20,000 Opportunities by day and all of it at night: started at night the bulk clears in
/// about 2 h; started at 08:00 it waits for the evening (about 12.8 h).
const DAY_AND_NIGHT: &str = r#"
name = "day-and-night"
start = "2026-11-23T00:00:00Z"
horizon = "2d"
replications = 3
[objects.Lead]
records = 100000
edits_per_hour = 9000
hour_profile = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
[objects.Opportunity]
records = 20000
[sync]
policy = "priority"
order = ["Lead", "Opportunity"]
throughput = 10_000
[events.bulk]
kind = "bulk_update"
at = "12h"
object = "Opportunity"
count = 20000
"#;

fn schedule(dir: &Path, out: &str, extra: &[&str]) -> String {
    let file = write(dir, "day.toml", DAY_AND_NIGHT);
    let assert = syncsim()
        .arg("schedule")
        .arg(&file)
        .args(["--event", "bulk", "--out"])
        .arg(dir.join(out))
        .args(extra)
        .assert()
        .success();
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn schedule_prefers_the_night_window_when_days_are_busy() {
    let dir = tempfile::tempdir().unwrap();
    // Start times every 2 h from 08:00 on the first day to 06:00 on the next.
    let stdout = schedule(dir.path(), "out", &["--window", "8h..32h", "--every", "2h"]);
    let (header, rows) = csv_rows(&dir.path().join("out/schedule.csv"));
    assert_eq!(
        header,
        [
            "plan",
            "start",
            "start_utc",
            "part_size",
            "spacing",
            "parts",
            "meets",
            "plan.clear_h p50",
            "backlog.max p50"
        ]
    );
    assert_eq!(rows.len(), 12);
    let clear = |r: &Vec<String>| r[7].parse::<f64>().unwrap();
    let hour = |r: &Vec<String>| r[2][11..13].parse::<u32>().unwrap();
    for r in &rows {
        if (8..=16).contains(&hour(r)) {
            assert!(clear(r) > 4.0, "a day start clears fast: {r:?}");
        }
    }
    let best = rows
        .iter()
        .min_by(|a, b| clear(a).total_cmp(&clear(b)))
        .unwrap();
    assert!(clear(best) < 2.1, "{best:?}");
    // The recommendation is a night start, and the snippet says so.
    let snippet = read(&dir.path().join("out/recommended.toml"));
    let table: toml::Table = toml::from_str(&snippet).unwrap();
    let at = table["events"]["bulk"]["at"].as_str().unwrap();
    let h: u32 = at[11..13].parse().unwrap();
    assert!(
        !(7..20).contains(&h),
        "recommended start {at} is not at night"
    );
    assert!(
        stdout.contains(&format!("(start {at}, split none)")),
        "{stdout}"
    );
    assert!(stdout.contains("Recommended: plan "), "{stdout}");
}

#[test]
fn a_recommended_split_pastes_into_the_scenario() {
    use syncsim::expr::Stat;
    use syncsim::planner::schedule::{self, Bulk, PlanResult, ScheduleSpec};
    use syncsim::units::HOUR;
    let b = base(DAY_AND_NIGHT);
    let sc = b.scenario().unwrap();
    let spec = ScheduleSpec {
        bulk: Bulk::find(&sc, "bulk").unwrap(),
        starts: vec![20 * HOUR],
        part_sizes: vec![7000],
        spacings: vec![3 * HOUR],
        constraints: None,
        rank_by: ("plan.clear_h".into(), Stat::Percentile(50.0)),
        replications: 1,
    };
    let plan = spec.plans()[1];
    assert_eq!(plan.parts, 3);
    let result = PlanResult {
        plan,
        verdicts: vec![],
        meets: true,
        rank: Some(1.0),
        tie: Some(1.0),
        rank_values: vec![Some(1.0)],
    };
    let snippet = syncsim::report::planner::snippet(&spec, &sc, Some(&result), &[]);
    let cut = DAY_AND_NIGHT.find("[events.bulk]").unwrap();
    let pasted = format!("{}{snippet}", &DAY_AND_NIGHT[..cut]);
    let from_snippet = syncsim::scenario::from_str(&pasted, "pasted.toml", "x", &[])
        .unwrap_or_else(|e| panic!("{e}\n{pasted}"));
    let planned = spec.scenario(&b, &plan).unwrap();
    assert_eq!(from_snippet.events, planned.events);
    let names: Vec<&str> = planned.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["bulk", "bulk_part2", "bulk_part3"]);
    // The whole update clears when its last part does: plan.clear_h spans the parts.
    let r = syncsim::summary::RunSummary::of(
        &planned,
        syncsim::engine::simulate(&planned, planned.seed),
    );
    let metrics = schedule::plan_metrics("bulk")(&r);
    let last_clear = r
        .run()
        .events()
        .iter()
        .filter_map(|e| e.clear)
        .max()
        .unwrap();
    assert_eq!(metrics[0].name, "plan.clear_h");
    assert_eq!(
        metrics[0].value,
        Some((last_clear - 20 * HOUR) as f64 / HOUR as f64)
    );
}

#[test]
fn schedule_shards_merge_and_a_plan_nobody_meets_is_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--window",
        "18h..26h",
        "--every",
        "4h",
        "--split-sizes",
        "10000",
        "--spacing",
        "2h",
        "--replications",
        "2",
    ];
    schedule(dir.path(), "whole", &args);
    let mut shards = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let mut a = args.to_vec();
        a.extend(["--shard", &shard, "--quiet"]);
        schedule(dir.path(), &format!("s{k}"), &a);
        assert!(!dir.path().join(format!("s{k}/recommended.toml")).exists());
        shards.push(
            dir.path()
                .join(format!("s{k}/schedule.shard-{k}-of-3.part")),
        );
    }
    let merged = dir.path().join("merged.csv");
    syncsim()
        .arg("merge")
        .arg(&merged)
        .args(&shards)
        .assert()
        .success();
    assert_eq!(read(&merged), read(&dir.path().join("whole/schedule.csv")));
    let stdout = schedule(
        dir.path(),
        "none",
        &[
            "--window",
            "8h..12h",
            "--every",
            "2h",
            "--constraint",
            "plan.clear_h p50 <= 1h",
        ],
    );
    assert!(stdout.contains("No plan meets the constraints"), "{stdout}");
    assert!(read(&dir.path().join("none/recommended.toml")).contains("no plan"));
}
