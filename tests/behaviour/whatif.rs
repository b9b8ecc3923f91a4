//! What-ifs (the library under `syncsim serve`): a scenario's knobs as fields with the ranges
//! validation allows, values validated exactly like `--set` with each refusal beside its
//! field, splits written as `syncsim schedule` writes them, the variant written back as a
//! file that validates to the same scenario, and runs that can be stopped.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use assert_cmd::Command;
use syncsim::load::ScenarioFile;
use syncsim::planner::compare::{self, Verdict};
use syncsim::scenario::limits;
use syncsim::scenario::{EventKind, Scenario};
use syncsim::whatif::{self, FieldKind, Outcome};

fn tenth() -> (ScenarioFile, Scenario) {
    let file = ScenarioFile::read(Path::new("scenarios/reference-tenth.toml")).unwrap();
    let base = file.scenario(&[]).unwrap();
    (file, base)
}

/// reference-tenth over two days, and its variant with `set` (a `--set` assignment).
fn two_days(set: &str) -> (Scenario, Scenario) {
    let (file, _) = tenth();
    let short = syncsim::scenario::Override::horizon("2d");
    let base = file.scenario(std::slice::from_ref(&short)).unwrap();
    let variant = file
        .scenario(&[short, syncsim::scenario::Override::set(set)])
        .unwrap();
    (base, variant)
}

fn values(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What `syncsim validate FILE --set ASSIGNMENT` prints on standard error.
fn cli_refusal(assignment: &str) -> String {
    let out = Command::cargo_bin("syncsim")
        .unwrap()
        .args([
            "validate",
            "scenarios/reference-tenth.toml",
            "--set",
            assignment,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{assignment} was accepted");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn the_fields_are_the_main_knobs_with_the_ranges_validation_allows() {
    let (_, base) = tenth();
    let fields = whatif::fields(&base);
    let keys: Vec<&str> = fields.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "sync.policy",
            "sync.order",
            "sync.workers",
            "sync.throughput",
            "sync.batch_size",
            "sync.cycle_wait",
            "events.opportunity_bulk.at",
            "events.opportunity_bulk.count",
            "events.opportunity_bulk.spread",
            "events.opportunity_bulk.parts",
            "events.opportunity_bulk.spacing",
            "objects.Lead.edits_per_hour",
            "objects.Contact.edits_per_hour",
            "objects.Account.edits_per_hour",
            "objects.Opportunity.edits_per_hour",
        ]
    );
    let field = |k: &str| fields.iter().find(|f| f.key == k).unwrap();
    // The scenario's own values, as they would be typed.
    assert_eq!(field("sync.throughput").value, "5000");
    assert_eq!(field("sync.cycle_wait").value, "5m");
    assert_eq!(field("events.opportunity_bulk.at").value, "1d");
    assert_eq!(
        field("sync.order").value,
        "Lead, Contact, Account, Opportunity"
    );
    // Ranges: the constants validation checks against, and the scenario's own bounds.
    let w = limits::WORKERS;
    assert_eq!(
        field("sync.workers").kind,
        FieldKind::Whole {
            min: w.min,
            max: w.max
        }
    );
    assert_eq!(
        field("sync.throughput").kind,
        FieldKind::Number {
            min: 0.0,
            max: limits::THROUGHPUT.max
        }
    );
    assert_eq!(
        field("events.opportunity_bulk.count").kind,
        FieldKind::Whole {
            min: 1,
            max: 30_000
        }
    );
    assert_eq!(field("sync.workers").allowed, "1 to 1,024");
    // The ends of each range are what validation accepts, one past them what it refuses.
    let (file, base) = tenth();
    for (key, ok, refused) in [
        ("sync.workers", w.max.to_string(), (w.max + 1).to_string()),
        ("sync.workers", w.min.to_string(), (w.min - 1).to_string()),
        (
            "sync.batch_size",
            limits::BATCH_SIZE.max.to_string(),
            (limits::BATCH_SIZE.max + 1).to_string(),
        ),
        (
            "events.opportunity_bulk.count",
            "30000".into(),
            "30001".into(),
        ),
        ("sync.throughput", "0".into(), "-1".into()),
    ] {
        let good = whatif::what_if(&file, &base, &values(&[(key, &ok)]));
        assert!(good.is_ok(), "{key}={ok} refused: {:?}", good.err());
        let bad = whatif::what_if(&file, &base, &values(&[(key, &refused)])).unwrap_err();
        assert_eq!(bad.fields.len(), 1, "{key}={refused}: {bad:?}");
    }
}

#[test]
fn a_value_becomes_the_override_the_command_line_would_apply() {
    let (file, base) = tenth();
    let w = whatif::what_if(
        &file,
        &base,
        &values(&[
            ("sync.throughput", "8000"),
            ("sync.workers", "1"), // the file's own value: left out
            ("sync.policy", "priority"),
            ("sync.order", "Opportunity, Lead"),
            ("events.opportunity_bulk.at", "2026-11-24T06:00:00Z"),
        ]),
    )
    .unwrap();
    let shown: Vec<&str> = w.overrides.iter().map(|o| o.shown()).collect();
    assert_eq!(
        shown,
        [
            "--set sync.throughput=8000",
            "--set sync.policy=priority",
            r#"--set sync.order=["Opportunity", "Lead"]"#,
            "--set events.opportunity_bulk.at=2026-11-24T06:00:00Z",
        ]
    );
    let cli = file.scenario(&w.overrides).unwrap();
    assert_eq!(w.scenario, cli);
    assert_eq!(w.scenario.sync.throughput, 8000.0);
    assert_eq!(w.scenario.events[0].at, 30 * 3_600_000);
}

#[test]
fn every_refused_field_is_named_with_the_message_the_command_line_prints() {
    let (file, base) = tenth();
    let r = whatif::what_if(
        &file,
        &base,
        &values(&[
            ("sync.batch_size", "0"),
            ("sync.workers", "two"),
            ("events.opportunity_bulk.spread", "3 hours"),
            ("sync.order", "Lead, Case"),
            ("sync.throughput", "1\nsync.workers = 3"),
        ]),
    )
    .unwrap_err();
    let keys: Vec<&str> = r.fields.iter().map(|(k, _)| k.as_str()).collect();
    // In form order, every one at once.
    assert_eq!(
        keys,
        [
            "sync.order",
            "sync.workers",
            "sync.throughput",
            "sync.batch_size",
            "events.opportunity_bulk.spread"
        ]
    );
    for (key, message) in &r.fields {
        match key.as_str() {
            "sync.batch_size" => {
                assert_eq!(message, "must be 1..=1000000 (got 0)");
                assert!(cli_refusal("sync.batch_size=0").contains(message.as_str()));
            }
            "sync.workers" => {
                assert!(message.contains("expected a whole number"), "{message}");
                assert!(cli_refusal("sync.workers=two").contains(message.as_str()));
            }
            "events.opportunity_bulk.spread" => {
                assert!(cli_refusal("events.opportunity_bulk.spread=3 hours")
                    .contains(message.as_str()));
            }
            "sync.order" => assert!(message.contains("unknown object 'Case'"), "{message}"),
            "sync.throughput" => assert!(message.contains("one line"), "{message}"),
            _ => unreachable!(),
        }
    }
    assert!(r.general.is_empty());
    // A key that is not a knob is refused, not applied.
    let r = whatif::what_if(&file, &base, &values(&[("initial_backlog_file", "x")])).unwrap_err();
    assert!(r.general[0].contains("not a knob"), "{r:?}");
}

#[test]
fn values_are_validated_together_and_a_refusal_names_the_field_at_fault() {
    let (file, base) = tenth();
    // An order needs a policy that has one: refused with the file's fifo, accepted with the
    // policy changed beside it, refused again with a policy without an order.
    let order = ("sync.order", "Opportunity");
    let r = whatif::what_if(&file, &base, &values(&[order])).unwrap_err();
    assert_eq!(r.fields[0].0, "sync.order");
    assert!(whatif::what_if(&file, &base, &values(&[order, ("sync.policy", "priority")])).is_ok());
    let r =
        whatif::what_if(&file, &base, &values(&[order, ("sync.policy", "weighted")])).unwrap_err();
    assert_eq!(r.fields.len(), 1, "{r:?}");
    assert_eq!(r.fields[0].0, "sync.order");
    assert!(
        r.fields[0].1.contains("(the policy is \"weighted\")"),
        "{r:?}"
    );
}

#[test]
fn a_split_is_written_as_schedule_writes_it_and_refused_beside_its_field() {
    let (file, base) = tenth();
    let w = whatif::what_if(
        &file,
        &base,
        &values(&[
            ("events.opportunity_bulk.parts", "4"),
            ("events.opportunity_bulk.spacing", "6h"),
            ("events.opportunity_bulk.count", "20000"),
        ]),
    )
    .unwrap();
    let bulks: Vec<(String, u64, u32, u32)> = w
        .scenario
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::BulkUpdate {
                count,
                first_record,
                ..
            } => Some((e.name.clone(), e.at / 3_600_000, count, first_record)),
            _ => None,
        })
        .collect();
    assert_eq!(
        bulks,
        [
            ("opportunity_bulk".to_string(), 24, 5000, 0),
            ("opportunity_bulk_part2".to_string(), 30, 5000, 5000),
            ("opportunity_bulk_part3".to_string(), 36, 5000, 10000),
            ("opportunity_bulk_part4".to_string(), 42, 5000, 15000),
        ]
    );
    // A split that cannot be made, and one past the horizon, beside the parts field.
    for (parts, spacing, says) in [
        ("7", "1h", "do not split into 7 parts"),
        ("4", "2d", "horizon"),
        ("0", "1h", "must be 1..="),
    ] {
        let count = if parts == "7" { "10" } else { "30000" };
        let r = whatif::what_if(
            &file,
            &base,
            &values(&[
                ("events.opportunity_bulk.count", count),
                ("events.opportunity_bulk.parts", parts),
                ("events.opportunity_bulk.spacing", spacing),
            ]),
        )
        .unwrap_err();
        assert_eq!(r.fields.len(), 1, "{r:?}");
        assert_eq!(r.fields[0].0, "events.opportunity_bulk.parts", "{r:?}");
        assert!(r.fields[0].1.contains(says), "{parts}: {r:?}");
    }
}

#[test]
fn the_variant_file_keeps_the_comments_and_validates_to_the_variant() {
    let (file, base) = tenth();
    let w = whatif::what_if(
        &file,
        &base,
        &values(&[
            ("sync.throughput", "7500"),
            ("events.opportunity_bulk.parts", "2"),
            ("objects.Lead.edits_per_hour", "450.5"),
        ]),
    )
    .unwrap();
    let original = std::fs::read_to_string("scenarios/reference-tenth.toml").unwrap();
    let text = whatif::variant_text(&original, "reference-tenth.toml", &w).unwrap();
    assert!(
        text.starts_with("# A what-if of reference-tenth.toml"),
        "{text}"
    );
    assert!(text.contains("#   --set sync.throughput=7500\n"), "{text}");
    assert!(
        text.contains("throughput = 7500     # cost units per hour"),
        "{text}"
    );
    assert!(text.contains("[events.opportunity_bulk_part2]"), "{text}");
    let again = ScenarioFile::from_text(&text, "variant.toml", "reference-tenth")
        .unwrap()
        .scenario(&[])
        .unwrap();
    assert_eq!(again.name, w.scenario.name);
    assert_eq!(again.sync, w.scenario.sync);
    assert_eq!(again.objects, w.scenario.objects);
    assert_eq!(again.events, w.scenario.events);
}

#[test]
fn runs_report_progress_pair_their_seeds_and_stop_when_cancelled() {
    let (base, variant) = two_days("sync.throughput=8000");
    let never = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let tick = || {
        done.fetch_add(1, Ordering::Relaxed);
    };
    let b = whatif::run(&base, 3, &tick, &never).unwrap();
    let v = whatif::run(&variant, 3, &tick, &never).unwrap();
    assert_eq!(done.load(Ordering::Relaxed), 6);
    assert!(matches!(b, Outcome::Replications(_)));
    let names = whatif::headline_metrics(&base);
    assert_eq!(names[0], "event.opportunity_bulk.clear_h");
    let diffs = whatif::differences(&b, &v, &names);
    // More throughput clears the update sooner in every replication.
    let first = &diffs[0].comparison;
    assert_eq!(first.metric, "event.opportunity_bulk.clear_h");
    assert_eq!(first.verdict, Verdict::Better, "{first:?}");
    assert!(first.difference.as_ref().unwrap().mean.unwrap() < 0.0);
    // A single run is replication 0.
    let one = whatif::run(&base, 1, &tick, &never).unwrap();
    assert_eq!(
        one.column("event.opportunity_bulk.clear_h").unwrap()[0],
        b.column("event.opportunity_bulk.clear_h").unwrap()[0]
    );
    // Cancelled: nothing comes back.
    let stop = AtomicBool::new(true);
    assert!(whatif::run(&base, 1, &tick, &stop).is_none());
    assert!(whatif::run(&base, 4, &tick, &stop).is_none());
}

#[test]
fn the_pages_differences_are_syncsim_compares() {
    let (base, variant) = two_days("sync.workers=2");
    let never = AtomicBool::new(false);
    let reps = 4;
    let b = whatif::run(&base, reps, &|| {}, &never).unwrap();
    let v = whatif::run(&variant, reps, &|| {}, &never).unwrap();
    let page = whatif::differences(&b, &v, &whatif::headline_metrics(&base));
    let c = compare::compare(
        &base,
        &[compare::Variant {
            label: "sync.workers=2".into(),
            scenario: variant.clone(),
            note: None,
        }],
        reps,
        whatif::CONFIDENCE,
        &mut syncsim::planner::Runner::independent(),
        &|| {},
    );
    // Every answer the page shows that compare also shows is compare's, number for number:
    // the base's values, the variant's, the paired difference and its interval, the verdict.
    let mut shared = 0;
    for a in &page {
        let metric = &a.comparison.metric;
        let Some(m) = c.metrics.iter().position(|x| x == metric) else {
            continue;
        };
        shared += 1;
        assert_eq!(a.baseline, c.base_values[m], "{metric}");
        assert_eq!(a.comparison, c.rows[0][m], "{metric}");
    }
    // The clear and recovery times, the backlogs and the p99 latencies: all but the status.
    assert_eq!(shared, page.len() - 1, "{page:?}");
    let clear = &page[0].comparison;
    assert_eq!(clear.metric, "event.opportunity_bulk.clear_h");
    assert_eq!(clear.verdict, Verdict::Better, "{clear:?}");
    assert!(clear.difference.as_ref().unwrap().ci.is_some());
}

#[test]
fn a_split_update_clears_when_its_last_part_does() {
    let (file, base) = tenth();
    let w = whatif::what_if(
        &file,
        &base,
        &values(&[
            ("events.opportunity_bulk.parts", "3"),
            ("events.opportunity_bulk.spacing", "8h"),
        ]),
    )
    .unwrap();
    let never = AtomicBool::new(false);
    let b = whatif::run(&base, 1, &|| {}, &never).unwrap();
    let v = whatif::run(&w.scenario, 1, &|| {}, &never).unwrap();
    let clear = |name: &str| v.column(&format!("event.{name}.clear_h")).unwrap()[0].unwrap();
    // The last part starts 16 h after the first: the plan clears then plus its clear time.
    let by_hand = clear("opportunity_bulk")
        .max(8.0 + clear("opportunity_bulk_part2"))
        .max(16.0 + clear("opportunity_bulk_part3"));
    let d = &whatif::differences(&b, &v, &["event.opportunity_bulk.clear_h".into()])[0];
    assert_eq!(d.comparison.variant.as_ref().unwrap().mean, Some(by_hand));
    assert!(by_hand > 16.0, "{by_hand}");
    // A plan spread over 16 h clears later; one run has no interval, so, as with
    // `syncsim compare --replications 1`, nothing is detectable.
    let before = b.column("event.opportunity_bulk.clear_h").unwrap()[0].unwrap();
    let difference = d.comparison.difference.as_ref().unwrap();
    assert_eq!(difference.mean, Some(by_hand - before));
    assert!(by_hand > before, "{by_hand} {before}");
    assert_eq!(d.comparison.verdict, Verdict::Same);
    assert!(d.whole_plan);
    let html = syncsim::report::whatif::answers(std::slice::from_ref(d), 1, &whatif::splits(&v));
    assert!(
        html.contains("opportunity_bulk: clear time (all parts)"),
        "{html}"
    );
    assert!(
        html.contains("Clear time of each part of opportunity_bulk"),
        "{html}"
    );
}

#[test]
fn the_dashboard_shown_is_the_dashboard_html_the_command_line_writes() {
    let dir = tempfile::tempdir().unwrap();
    for (reps, args) in [(1u64, vec![]), (3, vec!["--replications", "3"])] {
        let out = dir.path().join(format!("r{reps}"));
        Command::cargo_bin("syncsim")
            .unwrap()
            .args([
                "run",
                "scenarios/reference-tenth.toml",
                "--horizon",
                "2d",
                "--quiet",
            ])
            .args(["--format", "html", "--out"])
            .arg(&out)
            .args(&args)
            .assert()
            .success();
        let file = ScenarioFile::read(Path::new("scenarios/reference-tenth.toml")).unwrap();
        let sc = file
            .scenario(&[syncsim::scenario::Override::horizon("2d")])
            .unwrap();
        let outcome = whatif::run(&sc, reps, &|| {}, &AtomicBool::new(false)).unwrap();
        let page =
            syncsim::report::whatif::dashboard(outcome.summary(), outcome.monte_carlo()).unwrap();
        assert!(
            page.as_bytes() == std::fs::read(out.join("dashboard.html")).unwrap(),
            "{reps} replications: the dashboard differs from dashboard.html"
        );
    }
}
