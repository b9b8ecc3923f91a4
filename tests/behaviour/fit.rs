//! Calibration: `syncsim fit` recovers the parameters of a scenario from the edits that
//! scenario generated; the dashboard figures bound throughput; a trend compares exactly.

use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use syncsim::calibrate::{self, ChoiceFit, FitOptions};
use syncsim::data::ChangeWriter;
use syncsim::engine::{simulate_with, EditEvent, Inputs};
use syncsim::scenario::{self, RecordChoice};

fn syncsim() -> Command {
    Command::cargo_bin("syncsim").unwrap()
}

/// The truth: a week from Monday 2026-11-23 (so two weekend days), Lead with a profile of
/// mean 1, a weekend factor and a hot set; Contact flat and uniform.
const TRUTH: &str = r#"
name = "truth"
start = "2026-11-23T00:00:00Z"
horizon = "7d"
seed = 11
[objects.Lead]
records = 50000
sync = "both"
edits_per_hour = 2000
marketing_edits_per_hour = 500
synced_fraction = 0.7
hour_profile = [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.5, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 0.5, 0.5, 0.2, 0.2, 0.2]
weekend_factor = 0.3
record_choice = "hot_set"
hot_fraction = 0.02
hot_share = 0.6
[objects.Contact]
records = 20000
edits_per_hour = 1000
synced_fraction = 0.4
[sync]
throughput = 200_000
"#;

/// Runs `text` and writes its background edits to `path` as a change log.
fn export_edits(text: &str, path: &Path) {
    let sc = super::scenario(text);
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut writer = ChangeWriter::new(&sc, file);
    {
        let mut on_edit = |e: &EditEvent| writer.write(e);
        let r = simulate_with(
            &sc,
            sc.seed,
            Inputs {
                on_edit: Some(&mut on_edit),
                ..Inputs::default()
            },
        );
        r.check_conservation().unwrap();
    }
    writer.finish_into_inner().unwrap().flush().unwrap();
}

/// |got - want| within `k` standard errors.
fn within(what: &str, got: f64, want: f64, se: f64, k: f64) {
    eprintln!(
        "{what}: fitted {got:.5}, truth {want}, se {se:.5}, off by {:.2} se",
        (got - want).abs() / se
    );
    assert!(
        (got - want).abs() <= k * se,
        "{what}: fitted {got}, truth {want}, se {se}: more than {k} se off"
    );
}

#[test]
fn fit_recovers_rates_profile_weekend_synced_fraction_and_hot_set() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("week.csv");
    export_edits(TRUTH, &log);
    let truth = super::scenario(TRUTH);
    let fit = calibrate::fit_changes(
        &log,
        &FitOptions {
            records: vec![("Lead".into(), 50_000)],
            ..FitOptions::default()
        },
    )
    .unwrap();
    assert_eq!(fit.start, truth.start);
    assert_eq!(fit.span_hours(), 168.0);
    assert_eq!(fit.hours, [120.0, 48.0]);
    let lead = &fit.objects[fit.objects.iter().position(|o| o.name == "Lead").unwrap()];
    let contact = &fit.objects[fit
        .objects
        .iter()
        .position(|o| o.name == "Contact")
        .unwrap()];

    // Rates: Lead to_marketing has about 268,800 edits (se 0.19%), to_crm 67,200 (0.39%),
    // Contact 168,000 (0.24%): 4 se is well inside 3%.
    for (o, d, want) in [(lead, 0, 2000.0), (lead, 1, 500.0), (contact, 0, 1000.0)] {
        let f = o.directions[d].as_ref().unwrap();
        assert!(f.rate_se < 0.01 * want, "{}", f.rate_se);
        within(
            &format!("{} rate {d}", o.name),
            f.rate,
            want,
            f.rate_se,
            4.0,
        );
        assert!((f.rate - want).abs() < 0.03 * want);
    }
    assert!(contact.directions[1].is_none());

    // Profile: per weekday hour Lead has 2,500 x p x 5 edits (1,250 at p = 0.1: se 2.8%).
    let want = truth.objects[0].hour_profile.unwrap();
    let got = lead.hour_profile.unwrap();
    for h in 0..24 {
        within(
            &format!("Lead profile[{h}]"),
            got[h],
            want[h],
            lead.hour_profile_se[h] + 0.002,
            4.0,
        );
    }
    // Contact is flat: 5,000 edits per weekday hour, se 1.4%.
    for h in 0..24 {
        within(
            &format!("Contact profile[{h}]"),
            contact.hour_profile.unwrap()[h],
            1.0,
            contact.hour_profile_se[h] + 0.002,
            4.0,
        );
    }
    within(
        "Lead weekend factor",
        lead.weekend_factor,
        0.3,
        lead.weekend_factor_se.unwrap(),
        4.0,
    );
    within(
        "Contact weekend factor",
        contact.weekend_factor,
        1.0,
        contact.weekend_factor_se.unwrap(),
        4.0,
    );
    within(
        "Lead synced fraction",
        lead.synced_fraction,
        0.7,
        lead.synced_fraction_se,
        4.0,
    );
    within(
        "Contact synced fraction",
        contact.synced_fraction,
        0.4,
        contact.synced_fraction_se,
        4.0,
    );

    // Hot set: 1,000 ids with about 200 edits each against about 2.7 for the others.
    match lead.choice {
        ChoiceFit::HotSet {
            hot,
            fraction,
            share,
            share_se,
            z,
        } => {
            eprintln!("Lead hot set: {hot} ids, fraction {fraction}, share {share:.5} (se {share_se:.5}), z {z:.0}");
            assert!((990..=1010).contains(&hot), "{hot}");
            assert!((fraction - 0.02).abs() < 0.0002, "{fraction}");
            within("Lead hot share", share, 0.6, share_se, 5.0);
        }
        ref other => panic!("Lead should be a hot set: {other:?}"),
    }
    match contact.choice {
        ChoiceFit::Uniform { z } => {
            eprintln!("Contact uniform: z {z:.2}");
            assert!(z.abs() < calibrate::SKEW_Z);
        }
        ref other => panic!("Contact should be uniform: {other:?}"),
    }
    assert_eq!(lead.records, 50_000);
    assert!(lead.records_given);
    // Without --records, max id + 1: a lower bound, close here.
    assert!(!contact.records_given);
    assert!((19_990..=20_000).contains(&contact.records));

    // The binary writes a scenario that validates and holds the same estimates.
    let out = dir.path().join("fitted.toml");
    syncsim()
        .arg("fit")
        .arg(&log)
        .args(["--records", "Lead=50000", "--out"])
        .arg(&out)
        .assert()
        .success();
    syncsim().arg("validate").arg(&out).assert().success();
    let fitted = syncsim::load::load(&out, &[]).unwrap();
    assert_eq!(fitted.start, truth.start);
    assert_eq!(fitted.horizon, truth.horizon);
    let l = &fitted.objects[fitted.object_index("Lead").unwrap()];
    assert_eq!(l.syncs, [true, true]);
    assert!((l.edits_per_hour[0] - 2000.0).abs() < 0.03 * 2000.0);
    assert!((l.weekend_factor - 0.3).abs() < 0.01);
    match l.record_choice {
        RecordChoice::HotSet { fraction, share } => {
            assert!((fraction - 0.02).abs() < 0.0002);
            assert!((share - 0.6).abs() < 0.005);
        }
        ref other => panic!("{other:?}"),
    }
    let c = &fitted.objects[fitted.object_index("Contact").unwrap()];
    assert_eq!(c.record_choice, RecordChoice::Uniform);
    let text = std::fs::read_to_string(&out).unwrap();
    for expected in [
        "# Observed span: 2026-11-23T00:00:00Z to 2026-11-30T00:00:00Z",
        "a lower bound",
        "[sync]",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn a_log_without_weekend_hours_keeps_the_weekend_factor_at_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("day.csv");
    export_edits(
        "start = \"2026-11-24T00:00:00Z\"\nhorizon = \"1d\"\n[objects.Lead]\nrecords = 1000\nedits_per_hour = 500\n",
        &log,
    );
    let fit = calibrate::fit_changes(&log, &FitOptions::default()).unwrap();
    let lead = &fit.objects[0];
    assert_eq!(lead.weekend_factor, 1.0);
    assert_eq!(lead.weekend_note, Some("1: the log has no weekend hours"));
    assert!(matches!(lead.choice, ChoiceFit::Uniform { .. }));
    let out = syncsim().arg("fit").arg(&log).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("weekend_factor = 1  # not estimated"),
        "{text}"
    );
    scenario::from_str(&text, "fitted", "fitted", &[]).unwrap();
}

#[test]
fn bad_rows_refuse_the_log_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bad.csv");
    std::fs::write(
        &log,
        "time_utc,object,record,direction,synced\n\
         2026-11-23T01:00:00Z,Lead,1,to_marketing,true\n\
         2026-11-23T02:00:00Z,Lead,x,to_marketing,true\n\
         2026-11-23T03:00:00Z,Lead,2,sideways,true\n\
         2026-11-23T04:00:00Z,Lead,3,to_crm,false\n",
    )
    .unwrap();
    let out = syncsim().arg("fit").arg(&log).assert().code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("2 bad rows"), "{err}");
    assert!(
        err.contains("line 3, column 27 (record): record 'x'"),
        "{err}"
    );
    let ok = syncsim()
        .arg("fit")
        .arg(&log)
        .arg("--skip-bad-rows")
        .assert()
        .success();
    let text = String::from_utf8(ok.get_output().stdout.clone()).unwrap();
    assert!(text.contains("sync = \"both\""), "{text}");
    assert!(text.contains("records = 4"), "{text}");
    syncsim()
        .arg("fit")
        .arg(&log)
        .args(["--records", "Lead=3", "--skip-bad-rows"])
        .assert()
        .success();
}

#[test]
fn dashboard_figures_bound_the_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let figures = dir.path().join("figures.csv");
    // Lead peaked at 6,000 in one hour; the two averages add up to 4,000 an hour.
    std::fs::write(
        &figures,
        "object,max_per_h,min_per_h,avg_per_h,backlog\nLead,6000,0,2500,1200\nContact,4000,0,1500,0\n",
    )
    .unwrap();
    let out = syncsim()
        .args(["fit", "--dashboard"])
        .arg(&figures)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("Throughput is at least 6000 records/h"),
        "{text}"
    );
    // 1,200 waiting is 18 minutes at the average 4,000 an hour: it kept up, no estimate.
    assert!(
        text.contains("No estimate: the backlog at the fetch, 1200 records, is 18 min of work"),
        "{text}"
    );
    assert!(!text.contains("Throughput is about"), "{text}");
    std::fs::write(
        &figures,
        "object,max_per_h,min_per_h,avg_per_h,backlog\nLead,100,200,150,0\n",
    )
    .unwrap();
    syncsim()
        .args(["fit", "--dashboard"])
        .arg(&figures)
        .assert()
        .code(2);
}

/// Two million Lead records edited at the start, drained at 50,000 an hour for 40 hours:
/// saturated all day.
const FLOOD: &str = r#"
name = "flood"
start = "2026-11-23T00:00:00Z"
horizon = "28h"
[objects.Lead]
records = 3000000
edits_per_hour = 1000
[sync]
throughput = 50000
[events.flood]
kind = "bulk_update"
at = "0h"
object = "Lead"
count = 2000000
"#;

#[test]
fn only_a_trend_that_shows_the_sync_saturated_gives_a_throughput_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flood.toml");
    std::fs::write(&file, FLOOD).unwrap();
    let run = dir.path().join("run");
    syncsim()
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--format", "csv", "--out"])
        .arg(&run)
        .assert()
        .success();
    let fit = |trend: bool| {
        let mut cmd = syncsim();
        cmd.args(["fit", "--dashboard"])
            .arg(run.join("dashboard.csv"));
        if trend {
            cmd.arg("--trend").arg(run.join("trend.csv"));
        }
        String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
    };
    // The figures alone: a backlog was waiting, but nothing shows it waited all day.
    let alone = fit(false);
    assert!(
        alone.contains("Throughput is at least 50000 records/h"),
        "{alone}"
    );
    assert!(
        alone.contains("No estimate: a backlog of 619868 was waiting"),
        "{alone}"
    );
    assert!(alone.contains("pass the page's trend"), "{alone}");
    // With the trend: the point at 4 h held 1.8 million, more than 24 hours could complete.
    let with = fit(true);
    assert!(
        with.contains("The trend shows the sync saturated all 24 hours"),
        "{with}"
    );
    assert!(
        with.contains("Throughput is about 50000 records/h"),
        "{with}"
    );
}

const TRENDY: &str = r#"
name = "trendy"
start = "2026-11-23T00:00:00Z"
horizon = "2d"
[objects.Lead]
records = 100000
edits_per_hour = 3000
[sync]
throughput = 6000
[events.bulk]
kind = "bulk_update"
at = "6h"
object = "Lead"
count = 60000
spread = "1h"
"#;

#[test]
fn a_trend_compares_with_zero_error_to_itself_and_a_known_error_when_shifted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trendy.toml");
    std::fs::write(&file, TRENDY).unwrap();
    let run = dir.path().join("run");
    syncsim()
        .arg("run")
        .arg(&file)
        .arg("--quiet")
        .arg("--out")
        .arg(&run)
        .assert()
        .success();
    let trend = run.join("trend.csv");
    // The run's own trend and dashboard read as they are.
    let out = syncsim()
        .args(["fit", "--dashboard"])
        .arg(run.join("dashboard.csv"))
        .arg("--scenario")
        .arg(&file)
        .arg("--trend")
        .arg(&trend)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("Mean absolute error 0.0 records"), "{text}");
    assert!(text.contains("max error 0 records (13 points)"), "{text}");
    assert!(text.contains("Throughput is at least"), "{text}");

    // Shift every observed point up by 100: the simulation is 100 under at each.
    let original = std::fs::read_to_string(&trend).unwrap();
    let mut shifted = String::from("time_utc,backlog\n");
    let mut mape = 0.0;
    let mut n = 0;
    for line in original.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let b: u64 = f[2].parse().unwrap();
        shifted.push_str(&format!("{},{}\n", f[0], b + 100));
        mape += 100.0 / (b + 100) as f64 * 100.0;
        n += 1;
    }
    let shifted_path = dir.path().join("shifted.csv");
    std::fs::write(&shifted_path, shifted).unwrap();
    let out = syncsim()
        .arg("fit")
        .arg("--scenario")
        .arg(&file)
        .arg("--trend")
        .arg(&shifted_path)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("Mean absolute error 100.0 records"), "{text}");
    assert!(
        text.contains(&format!(
            "mean absolute percentage error {:.2}%",
            mape / n as f64
        )),
        "{text}"
    );
    assert!(text.contains("max error 100 records"), "{text}");
    assert!(text.contains("      -100"), "{text}");

    // The throughput search finds the scenario's own throughput on a grid that holds it.
    let out = syncsim()
        .arg("fit")
        .arg("--scenario")
        .arg(&file)
        .arg("--trend")
        .arg(&trend)
        .args(["--set", "sync.throughput=9000"])
        .args(["--throughput-range", "3000..12000", "--steps", "3"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("Best sync.throughput = 6000 (mean absolute error 0.0 records)"),
        "{text}"
    );
}
