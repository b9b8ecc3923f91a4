//! What the data-file fuzz targets check: arbitrary bytes read as a change log (by `replay`
//! and by `fit`), a backlog snapshot, the admin page's figures and its trend, through the one
//! capped reader of `syncsim::data::reader`, as the commands read them.
//!
//! For any input: reading never panics; a refusal names the file, fits on one screen (at most
//! 20 lines and 2,500 characters), shows no control character but line ends, and names each
//! bad row by a line of the file. What is accepted is consistent: a change log's edits are in
//! time order within the span, as many as it says; a snapshot's entries are in range and
//! stamped at or before the start; figures are finite, in range and ordered; trend points are
//! in range and compare with a run without overflow.

use std::sync::OnceLock;

use syncsim::calibrate::{self, dashboard, FitOptions};
use syncsim::data::{BacklogSnapshot, ChangeLog, DataError, DataKind, DataReader};
use syncsim::engine::simulate;
use syncsim::metrics::RunResult;
use syncsim::scenario::{self, Scenario};

/// The name every fuzzed file goes by in messages.
const NAME: &str = "fuzz.csv";

/// The scenario rows are checked against: two objects, one syncing both ways, a day long.
const SCENARIO: &str = r#"
name = "fuzz"
start = "2026-11-23T00:00:00Z"
horizon = "1d"
[objects.Lead]
records = 10
sync = "both"
edits_per_hour = 2
[objects.Contact]
records = 1000
"#;

fn scenario() -> &'static Scenario {
    static SC: OnceLock<Scenario> = OnceLock::new();
    SC.get_or_init(|| scenario::from_str(SCENARIO, "fuzz.toml", "fuzz", &[]).unwrap())
}

fn run() -> &'static RunResult {
    static RUN: OnceLock<RunResult> = OnceLock::new();
    RUN.get_or_init(|| simulate(scenario(), 1))
}

fn reader(data: &[u8], kind: DataKind) -> DataReader<&[u8]> {
    DataReader::new(std::path::Path::new(NAME), kind, data)
}

/// A refusal of a data file: named, on one screen, safe to show, bad rows by line.
pub fn check_data_error(e: &DataError) {
    let shown = e.to_string();
    assert!(shown.starts_with(&format!("'{NAME}'")), "{shown}");
    let lines = shown.lines().count();
    assert!(lines <= 20, "{lines} lines:\n{shown}");
    assert!(
        shown.chars().count() <= 2_500,
        "{} characters:\n{shown}",
        shown.chars().count()
    );
    assert!(
        !shown.chars().any(|c| c.is_control() && c != '\n'),
        "a control character: {shown:?}"
    );
    if let DataError::BadRows { count, .. } = e {
        assert!(*count > 0 || shown.contains("no usable edits"), "{shown}");
        let rows = shown.lines().skip(1).filter(|l| l.starts_with("  "));
        for line in rows.filter(|l| !l.contains("no usable edits")) {
            let number: u64 = line
                .trim_start()
                .strip_prefix("line ")
                .and_then(|rest| rest.split([',', ':']).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a bad row without its line: {line:?}"));
            assert!(number >= 2, "a bad row on the header's line: {line:?}");
        }
    }
}

/// Bytes as a change log replayed under the scenario, with and without skipping bad rows.
pub fn check_changes(data: &[u8]) {
    let sc = scenario();
    for skip in [false, true] {
        match ChangeLog::read(&mut reader(data, DataKind::ChangeLog), sc, skip) {
            Err(e) => check_data_error(&e),
            Ok(log) => {
                let mut edits = 0;
                for (object, _, mut source) in log.sources(sc).unwrap() {
                    assert!(object < sc.objects.len());
                    let mut last = 0;
                    while let Some(e) = source.next_edit() {
                        assert!(e.time >= last && e.time < sc.horizon, "{e:?}");
                        assert!(e.record < sc.objects[object].records);
                        last = e.time;
                        edits += 1;
                    }
                }
                assert_eq!(edits, log.report.rows);
                assert!(skip || log.report.bad_count == 0);
            }
        }
    }
}

/// Bytes as a change log to fit.
pub fn check_fit(data: &[u8]) {
    let options = FitOptions {
        skip_bad_rows: true,
        ..FitOptions::default()
    };
    match calibrate::fit_reader(&mut reader(data, DataKind::ChangeLog), &options) {
        Err(e) => check_data_error(&e),
        Ok(fit) => {
            assert!(fit.start <= fit.end);
            assert!(fit.span_hours().is_finite() && fit.span_hours() <= 3660.0 * 24.0);
            assert!(!fit.objects.is_empty());
        }
    }
}

/// Bytes as a backlog snapshot checked against the scenario.
pub fn check_snapshot(data: &[u8]) {
    let sc = scenario();
    match BacklogSnapshot::read(&mut reader(data, DataKind::Snapshot)) {
        Err(e) => check_data_error(&e),
        Ok(snapshot) => {
            for skip in [false, true] {
                match snapshot.entries(sc, skip) {
                    Err(e) => check_data_error(&e),
                    Ok((entries, report)) => {
                        assert_eq!(entries.len() as u64, report.rows);
                        for e in entries {
                            assert!(e.record < sc.objects[e.object].records);
                            assert!(e.stamp <= 0);
                        }
                    }
                }
            }
        }
    }
}

/// Bytes as the admin page's figures.
pub fn check_figures(data: &[u8]) {
    match dashboard::figures_from(&mut reader(data, DataKind::Figures)) {
        Err(e) => check_data_error(&e),
        Ok(rows) => {
            for r in &rows {
                for x in [r.max_per_h, r.min_per_h, r.avg_per_h, r.backlog] {
                    assert!(x.is_finite() && (0.0..=dashboard::MAX_FIGURE).contains(&x));
                }
                assert!(r.min_per_h <= r.avg_per_h && r.avg_per_h <= r.max_per_h);
            }
            let fetch = rows.iter().find_map(|r| r.last_fetch);
            let b = dashboard::throughput_bounds(&rows, None, fetch);
            assert!(b.lower.is_finite() && b.sum_max.is_finite() && b.backlog.is_finite());
        }
    }
}

/// Bytes as the admin page's trend, compared with a run of the scenario.
pub fn check_trend(data: &[u8]) {
    match dashboard::trend_from(&mut reader(data, DataKind::Trend)) {
        Err(e) => check_data_error(&e),
        Ok(points) => {
            for p in &points {
                assert!(p.backlog <= dashboard::MAX_TREND_BACKLOG && p.line >= 2);
            }
            let source = std::path::Path::new(NAME);
            match dashboard::compare_trend(scenario(), run(), &points, source) {
                Err(e) => check_data_error(&e),
                Ok(c) => {
                    assert!(c.mae.is_finite() && c.mae >= 0.0);
                    assert!(c.mape.is_none_or(f64::is_finite));
                }
            }
        }
    }
}
