//! Local time (issue 21 item 5): hour profiles, weekends, holidays and the nightly retry on
//! the clock of the scenario's time zone, daylight-saving changes included; computed by
//! hand. Europe/Berlin is +01:00 in winter and +02:00 from 29 March 2026 01:00 UTC (02:00
//! local jumps to 03:00) to 25 October 2026 01:00 UTC (03:00 local goes back to 02:00).

use assert_cmd::Command;

use super::{run, scenario};
use syncsim::engine::arrivals::EditStream;
use syncsim::engine::seeds::stream_rng;
use syncsim::scenario::{Direction, Scenario};
use syncsim::units::{Millis, HOUR, MINUTE};

/// Background edits of the scenario's first object drawn for its horizon, counted per UTC
/// hour since the start.
fn hourly_edits(sc: &Scenario) -> Vec<u64> {
    let mut stream = EditStream::new(
        0,
        &sc.objects[0],
        Direction::ToMarketing,
        sc.start,
        stream_rng(sc.seed, 1, 0),
    )
    .expect("a rate above zero")
    .in_local_time(&sc.calendar);
    let mut hours = vec![0; (sc.horizon / HOUR) as usize];
    while let Some(t) = stream.advance(sc.horizon) {
        hours[(t / HOUR) as usize] += 1;
    }
    hours
}

/// Lead edits at 36,000 an hour, only in local hour `hour`, from `start` for three days;
/// counted per UTC hour of the run.
fn edits_in_local_hour(zone: &str, start: &str, hour: usize) -> Vec<u64> {
    let mut profile = vec!["0"; 24];
    profile[hour] = "1";
    let text = format!(
        r#"
start = "{start}"
horizon = "3d"
time_zone = "{zone}"
sample_interval = "1h"
[objects.Lead]
records = 1000000
edits_per_hour = 36000
hour_profile = [{}]
"#,
        profile.join(", ")
    );
    hourly_edits(&scenario(&text))
}

/// The UTC hours (since the start) that had edits.
fn busy_hours(edits: &[u64]) -> Vec<usize> {
    edits
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(h, _)| h)
        .collect()
}

#[test]
fn a_local_hour_profile_follows_the_clocks_through_daylight_saving() {
    // Local hour 9 in Berlin: 08:00 UTC in winter, 07:00 UTC from 29 March.
    let edits = edits_in_local_hour("Europe/Berlin", "2026-03-28T00:00:00Z", 9);
    assert_eq!(busy_hours(&edits), [8, 24 + 7, 48 + 7]);
    // In UTC (the default), hour 9 is 09:00 UTC every day.
    let edits = edits_in_local_hour("UTC", "2026-03-28T00:00:00Z", 9);
    assert_eq!(busy_hours(&edits), [9, 33, 57]);
}

#[test]
fn a_local_hour_skipped_by_the_clocks_gets_no_edits_and_a_repeated_one_gets_two_hours() {
    // Local 02:00-02:59 does not exist on 29 March: edits on the 28th (01:00 UTC) and the
    // 30th (00:00 UTC) only.
    let spring = edits_in_local_hour("Europe/Berlin", "2026-03-28T00:00:00Z", 2);
    assert_eq!(busy_hours(&spring), [1, 48]);
    // It happens twice on 25 October: 00:00 and 01:00 UTC; once on the 24th (00:00 UTC,
    // +02:00) and the 26th (01:00 UTC, +01:00).
    let autumn = edits_in_local_hour("Europe/Berlin", "2026-10-24T00:00:00Z", 2);
    assert_eq!(busy_hours(&autumn), [0, 24, 25, 48 + 1]);
    // Each hour holds about 36,000 edits (Poisson: 5 sd is about 950).
    for h in busy_hours(&autumn) {
        assert!(
            (35_000..=37_000).contains(&autumn[h]),
            "hour {h}: {}",
            autumn[h]
        );
    }
}

#[test]
fn weekends_and_holidays_are_local_days() {
    // New York is -05:00 in December. Friday 25 December is a holiday (factor 0), Saturday
    // the 26th a weekend day (factor 0); Thursday the 24th and Monday the 28th are weekdays.
    // The run starts 24 December 05:00 UTC, local midnight, and lasts 5 local days.
    let text = r#"
start = "2026-12-24T05:00:00Z"
horizon = "5d"
sample_interval = "1h"
time_zone = "America/New_York"
holidays = ["2026-12-25"]
[objects.Lead]
records = 1000000
edits_per_hour = 3600
weekend_factor = 0.5
holiday_factor = 0
"#;
    let per_day: Vec<u64> = hourly_edits(&scenario(text))
        .chunks(24)
        .map(|d| d.iter().sum())
        .collect();
    // 24 h x 3,600 = 86,400 a weekday, half on Saturday and Sunday, none on the holiday.
    assert_eq!(per_day[1], 0, "{per_day:?}");
    for (day, mean) in [(0, 86_400.0), (2, 43_200.0), (3, 43_200.0), (4, 86_400.0)] {
        let n = per_day[day] as f64;
        assert!(
            (n - mean).abs() < 5.0 * mean.sqrt(),
            "day {day}: {per_day:?}"
        );
    }
}

/// A record that fails its only attempt waits for the nightly retry at 02:30 local; its
/// errors are fixed at 1 h, so the night syncs it. Returns its latency.
fn nightly_latency(zone: &str, start: &str) -> Millis {
    let text = format!(
        r#"
start = "{start}"
horizon = "2d"
time_zone = "{zone}"
[objects.Lead]
records = 10
permanent_error_fraction = 1
[sync]
throughput = 10_000
[retry]
max_attempts = 1
nightly_at = "02:30"
[events.touch]
kind = "bulk_update"
at = "10m"
object = "Lead"
count = 1
[events.fixed]
kind = "fix_errors"
at = "1h"
object = "Lead"
"#
    );
    let (_, r) = run(&text);
    r.object_latency(0).unwrap().max
}

#[test]
fn the_nightly_retry_runs_at_local_time_and_when_the_clocks_jump_over_it() {
    // One update at 10 000 units an hour takes 360 ms.
    let batch = 360;
    // 28 March, Berlin +01:00: 02:30 local is 01:30 UTC, 13.5 h after a 12:00 UTC start
    // ... that is the 29th, when 02:30 does not exist: the retry runs when the clocks jump,
    // 01:00 UTC, 13 h after the start. The edit was at 10 m.
    assert_eq!(
        nightly_latency("Europe/Berlin", "2026-03-28T12:00:00Z"),
        13 * HOUR - 10 * MINUTE + batch
    );
    // 24 October, +02:00: the night of the 25th has 02:30 twice (00:30 and 01:30 UTC); the
    // first counts, 12.5 h after the start.
    assert_eq!(
        nightly_latency("Europe/Berlin", "2026-10-24T12:00:00Z"),
        12 * HOUR + 30 * MINUTE - 10 * MINUTE + batch
    );
    // UTC: 02:30 UTC, 14.5 h after the start.
    assert_eq!(
        nightly_latency("UTC", "2026-03-28T12:00:00Z"),
        14 * HOUR + 30 * MINUTE - 10 * MINUTE + batch
    );
}

#[test]
fn the_dashboard_shows_local_time_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("berlin.toml");
    std::fs::write(
        &file,
        "start = \"2026-03-28T12:00:00Z\"\nhorizon = \"1d\"\ntime_zone = \"Europe/Berlin\"\n\
         [objects.Lead]\nrecords = 10\nedits_per_hour = 10\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    Command::cargo_bin("syncsim")
        .unwrap()
        .args(["run", "--format", "html", "--quiet", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("dashboard.html")).unwrap();
    // Start 12:00 UTC is 13:00 at +01:00; the end, after the clocks went forward, 14:00 at
    // +02:00.
    assert!(
        html.contains(
            "Simulated 2026-03-28 13:00:00 +01:00 to 2026-03-29 14:00:00 +02:00 Europe/Berlin"
        ),
        "{}",
        &html[html.find("Simulated").unwrap()..][..120]
    );
    assert!(!html.contains(" UTC"), "a time shown in UTC");
}
