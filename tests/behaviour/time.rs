//! Answers in time: the admin page read at any hour equals a run cut there; the backlog read
//! at each hour clears when its last record leaves; a run "until clear" stops at the whole
//! hour after everything cleared, or at its cap. Every time here is worked out by hand.

use assert_cmd::Command;
use syncsim::engine::simulate;
use syncsim::scenario::{self, Override};
use syncsim::summary::{Dashboard, RunSummary, Status};
use syncsim::units::{Millis, HOUR, MINUTE, SECOND};

/// 7,200 Lead records edited at 30 min; one worker at 7,200 units/h takes a 200-record batch
/// in 100 s, so the 36 batches run from 30 min to 1 h 30 min, the 18th ending at exactly 1 h.
/// No background edits.
const HAND: &str = r#"
name = "hand"
start = "2026-11-23T00:00:00Z"
horizon = "4h"
[objects.Lead]
records = 10000
edits_per_hour = 0
[sync]
throughput = 7200
batch_size = 200
[events.bulk]
kind = "bulk_update"
at = "30m"
object = "Lead"
count = 7200
"#;

fn summary(text: &str, overrides: &[&str]) -> RunSummary {
    let overrides: Vec<Override> = overrides.iter().map(|o| Override::set(o)).collect();
    let sc =
        scenario::from_str(text, "test.toml", "test", &overrides).unwrap_or_else(|e| panic!("{e}"));
    let r = simulate(&sc, sc.seed);
    r.check_conservation().unwrap();
    RunSummary::of(&sc, r)
}

#[test]
fn the_backlog_read_at_each_hour_clears_when_its_last_record_leaves() {
    let s = summary(HAND, &[]);
    let last_batch = 30 * MINUTE + 36 * 100 * SECOND;
    assert_eq!(last_batch, 90 * MINUTE);
    assert_eq!(s.run().events()[0].clear, Some(last_batch));
    // At 0 h nothing is pending: clear at once.
    let h0 = s.reading(0, 0);
    assert_eq!((h0.backlog, h0.cleared), (0, Some(0)));
    // At 1 h the 18th batch ends, after the reading: 17 batches done, 3,800 records read.
    let h1 = s.reading(1, 0);
    assert_eq!(h1.backlog, 7200 - 17 * 200);
    assert_eq!(h1.backlog_before, 0);
    assert_eq!(h1.status, Status::Growing);
    // The page's estimate: 3,800 / (3,400 completed in hour 0) h; the backlog really took
    // until the last batch, half an hour.
    assert_eq!(h1.avg_per_hour, 3400.0);
    assert_eq!(h1.est_backlog_hours, Some(3800.0 / 3400.0));
    assert_eq!(h1.cleared, Some(last_batch));
    // At 2 h: nothing pending, 7,200 completed over two hours.
    let h2 = s.reading(2, 0);
    assert_eq!(
        (h2.backlog, h2.avg_per_hour, h2.cleared),
        (0, 3600.0, Some(2 * HOUR))
    );
    assert_eq!(h2.status, Status::Normal);
    // The total reads the same with one object.
    assert_eq!(s.reading_total(1), h1);
    assert_eq!(s.timeline().len(), 5);
}

#[test]
fn a_record_pending_at_the_end_leaves_the_hour_it_was_read_uncleared() {
    // At 300 units/h a 200-record batch takes 40 min: hardly anything is done in 4 h.
    let s = summary(HAND, &["sync.throughput=300"]);
    let h1 = s.reading(1, 0);
    assert!(h1.backlog > 0);
    assert_eq!(h1.cleared, None);
    assert_eq!(s.reading(0, 0).cleared, Some(0));
}

#[test]
fn the_page_read_at_an_hour_equals_a_run_cut_there() {
    let text = std::fs::read_to_string("scenarios/reference-tenth.toml").unwrap();
    let full = summary(&text, &[]);
    for cut in [30 * HOUR, 30 * HOUR + 20 * MINUTE] {
        let hours = format!("horizon={}ms", cut);
        let cut_run = summary(&text, &[&hours]);
        let at = Dashboard::at(full.run(), 4, cut);
        let whole = cut_run.dashboard();
        // The page matches field for field; only the real clear time is beyond a cut run.
        assert_eq!(at.trend, whole.trend);
        assert_eq!(
            (at.last_fetch, at.total_backlog),
            (whole.last_fetch, whole.total_backlog)
        );
        assert_eq!(at.total_backlog_before, whole.total_backlog_before);
        assert_eq!(at.status, whole.status);
        for (a, b) in at.rows.iter().zip(&whole.rows) {
            let forget = |r: &syncsim::summary::DashboardRow| {
                let mut r = r.clone();
                r.cleared = None;
                r
            };
            assert_eq!(forget(a), forget(b));
        }
        // The timeline's reading at the fetch hour is the same page.
        let h = (cut / HOUR) as usize;
        for (o, row) in at.rows.iter().enumerate() {
            let reading = full.reading(h, o);
            assert_eq!(
                (
                    reading.backlog,
                    reading.backlog_before,
                    reading.avg_per_hour
                ),
                (row.backlog, row.backlog_before, row.avg_per_hour)
            );
            assert_eq!(
                (reading.est_backlog_hours, reading.status),
                (row.est_backlog_hours, row.status)
            );
            assert_eq!(reading.cleared, row.cleared);
        }
    }
}

#[test]
fn until_clear_stops_at_the_first_whole_hour_after_everything_cleared() {
    let s = summary(HAND, &["horizon=until clear"]);
    // The bulk update clears and recovers (to its baseline, 0) at 1 h 30 min: the run ends at
    // 2 h, with the reading at 2 h showing the backlog gone.
    assert_eq!(s.run().horizon(), 2 * HOUR);
    assert_eq!(s.run().events()[0].clear, Some(90 * MINUTE));
    assert_eq!(s.run().events()[0].recovery, Some(90 * MINUTE));
    assert_eq!(s.run().hour_buckets(), 2);
    assert_eq!(s.run().sample_times().last(), Some(&(2 * HOUR)));
    assert_eq!(s.timeline().len(), 3);
    assert_eq!(s.dashboard().last_fetch, 2 * HOUR);
    // A last batch at exactly a whole hour: the run goes on to the next one.
    let s = summary(HAND, &["horizon=until clear", "sync.throughput=4800"]);
    // 150 s a batch: the 36th ends at 30 min + 5,400 s = 2 h.
    assert_eq!(s.run().events()[0].clear, Some(2 * HOUR));
    assert_eq!(s.run().horizon(), 3 * HOUR);
}

#[test]
fn until_clear_waits_for_the_backlog_at_the_start() {
    // No event: 7,200 records pending at the start drain in 36 batches of 100 s from 0 h,
    // the last at exactly 1 h; the run ends at 2 h.
    let text = HAND
        .replace("[events.bulk]\nkind = \"bulk_update\"\nat = \"30m\"\nobject = \"Lead\"\ncount = 7200\n", "")
        .replace("edits_per_hour = 0", "edits_per_hour = 0\ninitial_backlog = 7200");
    let s = summary(&text, &["horizon=until clear"]);
    assert!(s.run().events().is_empty());
    assert_eq!(s.run().horizon(), 2 * HOUR);
    assert_eq!(s.all_clear(), Some(HOUR));
    assert_eq!(s.reading(0, 0).cleared, Some(HOUR));
}

#[test]
fn until_clear_stops_at_its_cap_when_it_does_not_clear() {
    let s = summary(HAND, &["horizon=until-clear", "horizon_cap=1h15m"]);
    assert_eq!(s.run().horizon(), 75 * MINUTE);
    assert_eq!(s.run().events()[0].clear, None);
    // Nothing to wait for: clear at once, the run ends at 1 h.
    let quiet = HAND.replace("[events.bulk]", "[events.off]").replace(
        "kind = \"bulk_update\"\nat = \"30m\"\nobject = \"Lead\"\ncount = 7200",
        "kind = \"sync_disabled\"\nat = \"30m\"",
    );
    let s = summary(&quiet, &["horizon=until clear"]);
    assert_eq!(s.run().horizon(), HOUR);
}

#[test]
fn a_cap_needs_a_run_until_clear_and_events_must_fall_within_it() {
    let refused = |overrides: &[&str]| {
        let o: Vec<Override> = overrides.iter().map(|o| Override::set(o)).collect();
        scenario::from_str(HAND, "test.toml", "test", &o)
            .unwrap_err()
            .to_string()
    };
    let e = refused(&["horizon_cap=2d"]);
    assert!(
        e.contains("horizon_cap: applies only to a run until clear"),
        "{e}"
    );
    let e = refused(&["horizon=until clear", "horizon_cap=20m"]);
    assert!(
        e.contains("events.bulk.at: is at 30m but the horizon ends at the cap of a run until clear (horizon_cap), 20m"),
        "{e}"
    );
    let sc =
        scenario::from_str(HAND, "t.toml", "t", &[Override::set("horizon=until clear")]).unwrap();
    assert!(sc.until_clear);
    assert_eq!(sc.horizon, 30 * 24 * HOUR as Millis);
}

#[test]
fn service_levels_read_off_the_hand_timeline() {
    // Samples every 15 min: 5,600 pending at 45 min (8 batches done, the 9th ends at the
    // sample), 3,800 at 1 h, 2,000 at 1 h 15 min, 200 at 1 h 30 min, none before 45 min or
    // after.
    let s = summary(
        HAND,
        &[
            "sample_interval=15m",
            "sla.backlog_above=[0, 1000, 3800]",
            "sla.latency_over=[\"15m\", \"1h\"]",
        ],
    );
    let metric = |name: &str| s.metric(name).unwrap_or_else(|| panic!("no {name}"));
    assert_eq!(metric("backlog.hours_above.0"), Some(1.0));
    assert_eq!(metric("backlog.hours_above.1000"), Some(0.75));
    assert_eq!(
        metric("backlog.hours_above.3800"),
        Some(0.25),
        "strictly above"
    );
    // Batch k (1..=36) syncs 200 records k x 100 s after their edit: slower than 15 min from
    // the 10th on, 27 of 36; none slower than 1 h (the last takes exactly 1 h).
    assert_eq!(metric("latency.Lead.share_over.15m"), Some(0.75));
    assert_eq!(metric("latency.Lead.share_over.1h"), Some(0.0));
    // The page reads Growing at 1 h only (3,800 against 0 at the start).
    assert_eq!(metric("dashboard.growing_h"), Some(1.0));
    assert_eq!(metric("dashboard.Lead.growing_h"), Some(1.0));
    // The first fetch after the update's first edit (30 min) is at 1 h, and it is Growing.
    assert_eq!(metric("event.bulk.growing_after_h"), Some(0.5));
    assert_eq!(metric("all_clear_at_h"), Some(1.5));
    assert_eq!(metric("end_h"), Some(4.0));
}

#[test]
fn an_expectation_declares_the_level_it_names() {
    let text = format!(
        "{HAND}\n[expect]\ncalm = \"backlog.hours_above.1000 <= 1h\"\nfresh = \"latency.Lead.share_over.15m <= 80%\"\n"
    );
    let sc = scenario::from_str(&text, "t.toml", "t", &[]).unwrap();
    assert_eq!(sc.sla.backlog_above, [1000]);
    assert_eq!(sc.sla.latency_over, [15 * MINUTE]);
    // A name the metric would never carry is refused with the spelling to use.
    let bad = HAND.to_string() + "\n[expect]\nfresh = \"latency.Lead.share_over.900s <= 5%\"\n";
    let e = scenario::from_str(&bad, "t.toml", "t", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("expect.fresh: 'latency.Lead.share_over.900s': write the bound in its largest whole unit, as the metric is named: latency.Lead.share_over.15m"), "{e}");
    let bad = HAND.to_string() + "\n[expect]\ncalm = \"backlog.hours_above.50K <= 2\"\n";
    let e = scenario::from_str(&bad, "t.toml", "t", &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the level must be written in digits alone"),
        "{e}"
    );
}

/// Runs the binary on the hand scenario with `args`; returns stdout and the output folder.
fn run_hand(args: &[&str]) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hand.toml");
    std::fs::write(&file, HAND).unwrap();
    let out = Command::cargo_bin("syncsim")
        .unwrap()
        .arg("run")
        .arg(&file)
        .args(["--format", "csv", "--out"])
        .arg(dir.path().join("out"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    (String::from_utf8(out.stdout).unwrap(), dir)
}

#[test]
fn the_page_at_an_instant_is_shown_beside_the_real_clear_time() {
    let (stdout, dir) = run_hand(&[
        "--dashboard-at",
        "1h",
        "--dashboard-at",
        "2026-11-23T01:30:00Z",
    ]);
    assert!(
        stdout.contains("Sync backlog metrics as read at 2026-11-23T01:00:00Z (1.00 h into the run), last fetched 2026-11-23T01:00:00Z"),
        "{stdout}"
    );
    // At 1 h: 3,800 pending, 3,400 done in hour 0: the page says 1.1 h, it took 30 min.
    let lead = stdout
        .lines()
        .find(|l| l.starts_with("  Lead") && l.contains("30 min"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        lead.contains("3,800") && lead.contains("1.1 h") && lead.contains("0 → 3,800 (+3,800)"),
        "{lead}"
    );
    // 1 h 30 min reads the page last fetched at 1 h.
    assert!(stdout.contains(
        "as read at 2026-11-23T01:30:00Z (1.50 h into the run), last fetched 2026-11-23T01:00:00Z"
    ));
    let at = std::fs::read_to_string(dir.path().join("out/dashboard_at.csv")).unwrap();
    let rows: Vec<&str> = at.lines().collect();
    assert_eq!(rows[0], "at_utc,at_h,object,max_per_h,min_per_h,avg_per_h,backlog,backlog_6h_before,est_backlog_h,last_fetch_utc,next_fetch_utc,status,cleared_in_h");
    assert_eq!(rows[1], "2026-11-23T01:00:00Z,1.0000,Lead,3400,3400,3400.00,3800,0,1.118,2026-11-23T01:00:00Z,2026-11-23T02:00:00Z,Growing,0.5000");
    assert_eq!(rows[2], "2026-11-23T01:30:00Z,1.5000,Lead,3400,3400,3400.00,3800,0,1.118,2026-11-23T01:00:00Z,2026-11-23T02:00:00Z,Growing,0.5000");
    let timeline = std::fs::read_to_string(dir.path().join("out/dashboard_timeline.csv")).unwrap();
    let lines: Vec<&str> = timeline.lines().collect();
    assert_eq!(lines.len(), 6, "a header and the hours 0 to 4");
    assert_eq!(
        lines[2],
        "2026-11-23T01:00:00Z,1.0000,3800,0,3400.00,1.118,0.5000,Growing,3800,0,3400.00,1.118,0.5000,Growing"
    );
}

#[test]
fn a_time_outside_the_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hand.toml");
    std::fs::write(&file, HAND).unwrap();
    for (at, why) in [
        (
            "5h",
            "--dashboard-at 5h: is after the end of the run (4h after the start",
        ),
        ("2026-11-22T00:00:00Z", "is before the scenario's start"),
        ("soon", "'soon' is neither a time after start"),
    ] {
        let out = Command::cargo_bin("syncsim")
            .unwrap()
            .arg("run")
            .arg(&file)
            .args(["--dashboard-at", at, "--out"])
            .arg(dir.path().join("out"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(why), "{stderr}");
    }
}

#[test]
fn until_clear_on_the_command_line() {
    let (stdout, dir) = run_hand(&["--horizon", "until-clear", "--horizon-cap", "1d"]);
    assert!(
        stdout.starts_with("hand (seed 1): until clear: 2h (cap 1d) from 2026-11-23T00:00:00Z"),
        "{stdout}"
    );
    assert!(stdout.contains("Until clear: everything had cleared and recovered at 1.50 h; the run ended at the next whole hour, 2 h"));
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["until_clear"], true);
    assert_eq!(summary["horizon_h"], 24);
    assert_eq!(summary["metrics"]["end_h"], 2);
    assert_eq!(summary["metrics"]["all_clear_at_h"], 1.5);
}

/// Lead edits at 1,700,000 an hour into batches of 20 at 1,800,000 units an hour: each batch
/// lasts 40 ms, and while the sync is busy they end on multiples of 40 ms.
const LATTICE: &str = r#"
name = "lattice"
start = "2026-11-23T00:00:00Z"
horizon = "15m"
[objects.Lead]
records = 5000000
edits_per_hour = 1_700_000
synced_fraction = 1.0
[sync]
batch_size = 20
throughput = 1_800_000
cycle_wait = "1s"
"#;

/// The mean backlog of the samples before the end on a grid of `interval`.
fn mean_backlog(interval: &str, extra: &[&str]) -> f64 {
    let mut overrides = vec![format!("sample_interval={interval}")];
    overrides.extend(extra.iter().map(|s| s.to_string()));
    let o: Vec<Override> = overrides.iter().map(|s| Override::set(s)).collect();
    let sc = scenario::from_str(LATTICE, "l.toml", "l", &o).unwrap();
    let r = simulate(&sc, sc.seed);
    let n = r
        .sample_times()
        .iter()
        .filter(|&&t| t < r.horizon())
        .count();
    (0..n).map(|i| r.sample_total(i) as f64).sum::<f64>() / n as f64
}

#[test]
fn a_sample_grid_on_the_batch_lattice_reads_high() {
    // A sample shows the state just before its instant. On a 1 s grid every sample falls on a
    // batch's end, with the batch still counted and the edits of its 40 ms in: the top of the
    // saw. The 1 ms grid samples every phase, so its mean is the exact time-average; a
    // 997 ms grid, coprime to 40 ms, samples the phases evenly too (docs/outputs.md).
    let exact = mean_backlog("1ms", &[]);
    let lattice = mean_backlog("1s", &[]);
    let coprime = mean_backlog("997ms", &[]);
    let bias = |m: f64| (m / exact - 1.0) * 100.0;
    assert!(
        (0.2..0.3).contains(&bias(lattice)),
        "1 s grid: {:+.3}%",
        bias(lattice)
    );
    assert!(
        bias(coprime).abs() < 0.1,
        "997 ms grid: {:+.3}%",
        bias(coprime)
    );
    // When every batch lasts exactly 40 ms (the overhead, the records' cost rounding to 1 ms)
    // the lattice never drifts and the 1 s grid reads a quarter high.
    let fixed = ["sync.throughput=10_000_000_000", "sync.batch_overhead=39ms"];
    let exact = mean_backlog("1ms", &fixed);
    let lattice = mean_backlog("1s", &fixed);
    assert!(lattice / exact > 1.2, "{lattice} against {exact}");
}

#[test]
fn a_run_until_clear_is_the_same_with_edits_drawn_ahead() {
    // The helper thread draws edits up to the cap; the run stops at its own end, and what it
    // measured is the same as drawing them in the engine's thread.
    let text = std::fs::read_to_string("scenarios/reference-tenth.toml").unwrap();
    let sc = scenario::from_str(
        &text,
        "t.toml",
        "t",
        &[Override::set("horizon=until clear")],
    )
    .unwrap();
    let alone = simulate(&sc, sc.seed);
    let ahead = crate::simulate_drawn_ahead(&sc, sc.seed);
    assert!(alone == ahead);
    // The bulk update at 24 h clears and recovers at about 30.6 h: the run ends at 31 h.
    assert_eq!(alone.horizon(), 31 * HOUR);
}

#[test]
fn replications_until_clear_band_the_span_every_one_ran() {
    use syncsim::replicate::{MonteCarlo, ReplicationSummary};
    let first = summary(HAND, &["horizon=until clear", "sample_interval=1h"]);
    let whole = ReplicationSummary::of(0, &first);
    assert_eq!(whole.backlog.len(), 3, "samples at 0, 1 and 2 h");
    // A replication that ended an hour sooner.
    let mut shorter = ReplicationSummary::of(1, &first);
    shorter.backlog.truncate(2);
    shorter.backlog_by_object.truncate(2);
    let mc = MonteCarlo::new(first, vec![whole, shorter]);
    assert_eq!(mc.sample_times, [0, HOUR]);
    assert_eq!(mc.total_band.p50.len(), 2);
    assert_eq!(mc.object_bands[0].p90.len(), 2);
}
