//! `syncsim compare`: a base and its variants, paired replication by replication. Identical
//! variants differ by exactly zero; more throughput is better with an interval that excludes
//! zero; a variant that never clears is worse; the page is self-contained.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Background edits and a bulk update that clears within the horizon at 10,000 an hour.
const NOISY: &str = r#"
name = "noisy"
description = "A <b>noisy</b> base & its variants"
start = "2026-11-23T00:00:00Z"
horizon = "12h"
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

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("noisy.toml");
    std::fs::write(&file, NOISY).unwrap();
    (dir, file)
}

/// Runs `syncsim compare FILE ARGS --out DIR/out`; returns stdout and the CSV's rows as
/// (metric, column -> value) for variant `variant`.
fn compare(dir: &Path, file: &Path, args: &[&str]) -> String {
    let assert = Command::cargo_bin("syncsim")
        .unwrap()
        .arg("compare")
        .arg(file)
        .args(args)
        .arg("--out")
        .arg(dir.join("out"))
        .assert()
        .success();
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

/// The rows of `compare.csv` for variant number `variant`, as (metric, header -> cell).
fn rows(dir: &Path, variant: usize) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(dir.join("out/compare.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect::<std::collections::BTreeMap<_, _>>()
        })
        .filter(|r| r["variant"] == variant.to_string())
        .collect()
}

#[test]
fn identical_variants_differ_by_exactly_zero() {
    let (dir, file) = setup();
    // The base's own file as a variant, and the base's throughput set again.
    let stdout = compare(
        dir.path(),
        &file,
        &[
            file.to_str().unwrap(),
            "--variant",
            "sync.throughput=10000",
            "--replications",
            "8",
        ],
    );
    for v in [1, 2] {
        let got = rows(dir.path(), v);
        assert!(got.len() >= 8, "{got:?}");
        for r in &got {
            assert_eq!(r["verdict"], "no detectable difference", "{r:?}");
            assert_eq!(
                (
                    r["difference"].as_str(),
                    r["ci_low"].as_str(),
                    r["ci_high"].as_str()
                ),
                ("0", "0", "0"),
                "{r:?}"
            );
            assert_eq!(r["base_mean"], r["variant_mean"], "{r:?}");
        }
    }
    assert!(
        stdout.contains("no detectable difference in 10 of 10 metrics"),
        "{stdout}"
    );
}

#[test]
fn more_throughput_is_better_with_an_interval_that_excludes_zero() {
    let (dir, file) = setup();
    let stdout = compare(
        dir.path(),
        &file,
        &["--variant", "sync.throughput=14000", "--replications", "10"],
    );
    let first = rows(dir.path(), 1);
    let clear = first
        .iter()
        .find(|r| r["metric"] == "event.bulk.clear_h")
        .unwrap();
    assert_eq!(clear["verdict"], "better", "{clear:?}");
    assert_eq!(clear["method"], "t");
    let high: f64 = clear["ci_high"].parse().unwrap();
    let low: f64 = clear["ci_low"].parse().unwrap();
    let diff: f64 = clear["difference"].parse().unwrap();
    assert!(low <= diff && diff <= high && high < 0.0, "{clear:?}");
    assert!(
        stdout.contains("Variant 1: sync.throughput=14000"),
        "{stdout}"
    );
    // Less throughput is worse.
    compare(
        dir.path(),
        &file,
        &["--variant", "sync.throughput=7000", "--replications", "10"],
    );
    let clear = rows(dir.path(), 1)
        .into_iter()
        .find(|r| r["metric"] == "event.bulk.clear_h")
        .unwrap();
    assert_eq!(clear["verdict"], "worse", "{clear:?}");
}

#[test]
fn a_variant_that_never_clears_is_worse_by_sign() {
    let (dir, file) = setup();
    // 1,000 an hour cannot clear 8,000 records and the background edits in 11 hours.
    compare(
        dir.path(),
        &file,
        &["--variant", "sync.throughput=1000", "--replications", "6"],
    );
    let clear = rows(dir.path(), 1)
        .into_iter()
        .find(|r| r["metric"] == "event.bulk.clear_h")
        .unwrap();
    assert_eq!(
        (
            clear["verdict"].as_str(),
            clear["method"].as_str(),
            clear["variant_never"].as_str(),
            clear["difference"].as_str(),
            clear["sign_p_value"].as_str()
        ),
        ("worse", "sign", "6", "", "0.03125"),
        "{clear:?}"
    );
    // With 5 pairs a sign test cannot reach 95%: no detectable difference, said plainly.
    compare(
        dir.path(),
        &file,
        &["--variant", "sync.throughput=1000", "--replications", "5"],
    );
    let clear = rows(dir.path(), 1)
        .into_iter()
        .find(|r| r["metric"] == "event.bulk.clear_h")
        .unwrap();
    assert_eq!(clear["verdict"], "no detectable difference", "{clear:?}");
}

#[test]
fn the_page_is_self_contained_and_escapes_what_it_is_given() {
    let (dir, file) = setup();
    compare(
        dir.path(),
        &file,
        &[
            "--variant",
            "description=\"<i>x</i>\"; sync.workers=2",
            "--replications",
            "3",
        ],
    );
    let html = std::fs::read_to_string(dir.path().join("out/compare.html")).unwrap();
    for forbidden in [
        "http://", "https://", "src=", "href=", "url(", "<script", "<link",
    ] {
        assert!(!html.contains(forbidden), "{forbidden}");
    }
    assert!(html.contains("&lt;i&gt;x&lt;/i&gt;"), "labels are escaped");
    assert!(html.contains("<span class=\"verdict better\">better</span>"));
    assert!(html.contains("Compare: noisy"));
}

#[test]
fn nothing_to_compare_and_bad_variants_are_bad_input() {
    let (dir, file) = setup();
    for (args, message) in [
        (vec![], "nothing to compare"),
        (
            vec!["--variant", "sync.workers"],
            "write assignments PATH=VALUE",
        ),
        (
            vec!["--variant", "sync.workers=0"],
            "variant 'sync.workers=0': scenario",
        ),
    ] {
        let assert = Command::cargo_bin("syncsim")
            .unwrap()
            .arg("compare")
            .arg(&file)
            .args(&args)
            .arg("--out")
            .arg(dir.path().join("bad"))
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(err.contains(message), "{args:?}: {err}");
    }
    assert!(!dir.path().join("bad/compare.csv").exists());
}

#[test]
fn a_variant_file_runs_with_the_base_seed() {
    let (dir, file) = setup();
    let other = dir.path().join("other.toml");
    std::fs::write(&other, format!("seed = 99\n{NOISY}")).unwrap();
    let stdout = compare(
        dir.path(),
        &file,
        &[other.to_str().unwrap(), "--replications", "4"],
    );
    assert!(
        stdout.contains("sets seed 99; it runs with the base's seed 1"),
        "{stdout}"
    );
    assert!(rows(dir.path(), 1).iter().all(|r| r["difference"] == "0"));
}
