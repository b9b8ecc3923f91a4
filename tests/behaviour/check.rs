//! `syncsim check`: exit codes, the table, JUnit XML, JSON and baselines.

use assert_cmd::Command;

fn syncsim() -> Command {
    Command::cargo_bin("syncsim").unwrap()
}

/// A scenario whose answers are known: 1,000 updates at 10,000/h clear in 0.1 h.
fn scenario(name: &str, expect: &str) -> String {
    format!(
        r#"
name = "{name}"
start = "2026-11-23T00:00:00Z"
horizon = "6h"
[objects.Lead]
records = 5000
edits_per_hour = 0
[sync]
throughput = 10_000
[events.load]
kind = "bulk_update"
at = "1h"
object = "Lead"
count = 1000
[expect]
{expect}
"#
    )
}

fn folder(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn a_passing_folder_exits_0() {
    let dir = folder(&[
        (
            "a.toml",
            scenario("a", "clear = \"event.load.clear_h <= 12m\""),
        ),
        (
            "b.toml",
            scenario(
                "b",
                "backlog = \"backlog.max max <= 1200\"\nnormal = \"dashboard.growing == Normal\"",
            ),
        ),
    ]);
    let out = syncsim().arg("check").arg(dir.path()).assert().code(0);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("3 expectations in 2 scenarios: 3 passed, 0 failed"),
        "{text}"
    );
}

#[test]
fn a_violated_expectation_exits_1_and_is_named() {
    let dir = folder(&[
        (
            "ok.toml",
            scenario("ok", "clear = \"event.load.clear_h <= 12m\""),
        ),
        (
            "slow.toml",
            scenario("slow", "too_fast = \"event.load.clear_h <= 5m\""),
        ),
    ]);
    let out = syncsim().arg("check").arg(dir.path()).assert().code(1);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let line = text.lines().find(|l| l.contains("too_fast")).unwrap();
    // 0.1 h, read as a duration.
    assert!(line.contains("FAIL") && line.contains("6 min"), "{line}");
    assert!(text.contains("1 failed"), "{text}");
}

#[test]
fn junit_has_the_usual_shape_and_counts() {
    let dir = folder(&[
        (
            "ok.toml",
            scenario(
                "ok",
                "clear = \"event.load.clear_h <= 12m\"\nsynced = \"synced >= 1000\"",
            ),
        ),
        (
            "slow.toml",
            scenario("slow", "too_fast = \"event.load.clear_h <= 5m\""),
        ),
    ]);
    let xml = dir.path().join("junit.xml");
    syncsim()
        .arg("check")
        .arg(dir.path())
        .arg("--junit")
        .arg(&xml)
        .assert()
        .code(1);
    let text = std::fs::read_to_string(&xml).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        (root.attribute("tests"), root.attribute("failures")),
        (Some("3"), Some("1"))
    );
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    for suite in &suites {
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(suite.attribute("tests").unwrap(), cases.len().to_string());
        let failed = cases
            .iter()
            .filter(|c| c.children().any(|f| f.has_tag_name("failure")))
            .count();
        assert_eq!(suite.attribute("failures").unwrap(), failed.to_string());
        for c in &cases {
            assert!(c.attribute("classname").is_some() && c.attribute("name").is_some());
        }
    }
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(failure
        .attribute("message")
        .unwrap()
        .contains("event.load.clear_h p50 <= 5m (actual 6 min)"));
}

#[test]
fn json_holds_every_condition_and_metric() {
    let dir = folder(&[(
        "ok.toml",
        scenario("ok", "clear = \"event.load.clear_h p90 <= 12m\""),
    )]);
    let json = dir.path().join("r.json");
    syncsim()
        .arg("check")
        .arg(dir.path().join("ok.toml"))
        .arg("--json")
        .arg(&json)
        .assert()
        .code(0);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["passed"], 1);
    let s = &v["scenarios"][0];
    assert_eq!(s["expectations"][0]["conditions"][0]["actual"], 0.1);
    assert_eq!(s["metrics"]["event.load.synced"], 1000);
}

#[test]
fn baseline_drift_is_detected_and_an_identical_run_shows_none() {
    let dir = folder(&[("a.toml", scenario("a", ""))]);
    let base = dir.path().join("baseline.json");
    syncsim()
        .arg("check")
        .arg(dir.path().join("a.toml"))
        .arg("--baseline")
        .arg(&base)
        .arg("--update-baseline")
        .assert()
        .code(0);
    let first = std::fs::read_to_string(&base).unwrap();
    // Rewriting from an identical run gives the same bytes.
    syncsim()
        .arg("check")
        .arg(dir.path().join("a.toml"))
        .arg("--baseline")
        .arg(&base)
        .arg("--update-baseline")
        .assert()
        .code(0);
    assert_eq!(first, std::fs::read_to_string(&base).unwrap());
    let same = syncsim()
        .arg("check")
        .arg(dir.path().join("a.toml"))
        .arg("--baseline")
        .arg(&base)
        .assert()
        .code(0);
    let text = String::from_utf8(same.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("a: no metric moved more than 5% from the baseline"),
        "{text}"
    );
    // Half the throughput: the load clears in twice the time: worse, exit 1.
    std::fs::write(
        dir.path().join("a.toml"),
        scenario("a", "").replace("throughput = 10_000", "throughput = 5_000"),
    )
    .unwrap();
    let worse = syncsim()
        .arg("check")
        .arg(dir.path().join("a.toml"))
        .arg("--baseline")
        .arg(&base)
        .assert()
        .code(1);
    let text = String::from_utf8(worse.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("worse    event.load.clear_h: 6 min -> 12 min (+100.0%)"),
        "{text}"
    );
    // Double the throughput: better, still exit 0.
    std::fs::write(
        dir.path().join("a.toml"),
        scenario("a", "").replace("throughput = 10_000", "throughput = 20_000"),
    )
    .unwrap();
    let better = syncsim()
        .arg("check")
        .arg(dir.path().join("a.toml"))
        .arg("--baseline")
        .arg(&base)
        .assert()
        .code(0);
    let text = String::from_utf8(better.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("better   event.load.clear_h: 6 min -> 3 min (-50.0%)"),
        "{text}"
    );
}

#[test]
fn bad_expectations_are_bad_input() {
    let dir = folder(&[(
        "bad.toml",
        scenario("bad", "x = \"event.load.clear_h ~ 5m\""),
    )]);
    syncsim()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "expect.x: 'event.load.clear_h ~ 5m': '~' is not an operator",
        ));
    let dir = folder(&[(
        "typo.toml",
        scenario("typo", "x = \"event.lod.clear_h <= 5m\""),
    )]);
    syncsim()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "no metric named 'event.lod.clear_h'",
        ));
    syncsim().args(["check", "no-such-folder"]).assert().code(2);
}
