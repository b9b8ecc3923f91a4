//! Creations (issue 21 item 1): new records of an object, their own latency and counts, and
//! everything else unchanged (docs/model.md, Creations).
//!
//! The hand-computed cases replay edits at known instants (a replayed edit of the id past the
//! records so far is a creation, as a generated one is), so every latency is exact: with a
//! throughput of 3,600 cost units an hour a record takes one second, and the sync, which
//! finds nothing at 0, looks again after its cycle wait.

use std::collections::HashMap;

use proptest::prelude::*;
use syncsim::engine::{simulate_with, EditEvent, EditSource, Inputs, RecordedEdit, SharedEdits};
use syncsim::scenario::{Direction, QueueId};
use syncsim::units::{HOUR, SECOND};

use super::{run, scenario};

/// One object of 10 records that may create records, a sync of one second a record that
/// looks every 10 s, and `extra` keys for the object.
fn ten_records(extra: &str) -> String {
    format!(
        r#"
start = "2026-11-23T00:00:00Z"
horizon = "1h"
[objects.Lead]
records = 10
creations_per_hour = 1
{extra}
[sync]
throughput = 3600
cycle_wait = "10s"
batch_overhead = "0s"
"#
    )
}

/// Runs `text` with `edits` (time in ms, record, synced) replayed towards the marketing
/// platform for object 0, audited.
fn replayed(text: &str, edits: &[(u64, u32, bool)]) -> syncsim::metrics::RunResult {
    let sc = scenario(text);
    let source: Box<dyn EditSource> = Box::new(
        edits
            .iter()
            .map(|&(time, record, synced)| RecordedEdit {
                time,
                record,
                synced,
            })
            .collect::<Vec<_>>()
            .into_iter(),
    );
    let r = simulate_with(
        &sc,
        sc.seed,
        Inputs {
            replay: Some(vec![(0, Direction::ToMarketing, source)]),
            audit: true,
            ..Inputs::default()
        },
    );
    r.check_conservation().unwrap();
    r
}

#[test]
fn created_records_have_their_own_exact_latency_and_counts() {
    // At 1 s and 2 s records 10 and 11 are created (the ids past the 10 records); at 3 s
    // record 10 is edited again while pending: it coalesces and stays a creation; at 4 s
    // record 3 is updated. The sync finds nothing at 0, looks at 10 s and takes all three in
    // one batch of 3 s, done at 13 s: creations 12 s and 11 s, the update 9 s.
    let r = replayed(
        &ten_records(""),
        &[
            (1000, 10, true),
            (2000, 11, true),
            (3000, 10, false),
            (4000, 3, true),
        ],
    );
    let c = r.counters(QueueId::new(0, Direction::ToMarketing));
    assert_eq!(
        (
            c.edits,
            c.creations,
            c.coalesced,
            c.entries_created,
            c.synced
        ),
        (4, 2, 1, 3, 3)
    );
    let created = r.creation_latency(0).unwrap();
    assert_eq!(
        (created.count, created.p50, created.max),
        (2, 11 * SECOND, 12 * SECOND)
    );
    let updated = r.update_latency(0).unwrap();
    assert_eq!(
        (updated.count, updated.p50, updated.max),
        (1, 9 * SECOND, 9 * SECOND)
    );
    // The combined figure is all three, as before creations were told apart.
    let all = r.object_latency(0).unwrap();
    assert_eq!((all.count, all.p50, all.max), (3, 11 * SECOND, 12 * SECOND));
    assert_eq!(all.mean, 32_000.0 / 3.0);
}

#[test]
fn a_created_record_synced_once_is_updated_like_any_other() {
    // Record 10 is created at 1 s and synced at 11 s (looked at 10 s, one second); edited
    // at 12 s it is an update of an existing record: looked at 21 s (10 s after the look at
    // 11 s found nothing more), done at 22 s, 10 s after the edit.
    let r = replayed(&ten_records(""), &[(1000, 10, true), (12_000, 10, true)]);
    let created = r.creation_latency(0).unwrap();
    assert_eq!((created.count, created.max), (1, 10 * SECOND));
    let updated = r.update_latency(0).unwrap();
    assert_eq!((updated.count, updated.max), (1, 10 * SECOND));
    let c = r.counters(QueueId::new(0, Direction::ToMarketing));
    assert_eq!((c.creations, c.entries_created, c.synced), (1, 2, 2));
}

#[test]
fn a_record_created_out_of_the_filter_queues_nothing() {
    // filter_pass = 0: no record passes, created ones included; each creation is an edit,
    // filtered, and conservation still holds.
    let r = replayed(
        &ten_records("filter_pass = 0.0"),
        &[(1000, 10, true), (2000, 11, true), (3000, 10, true)],
    );
    let c = r.counters(QueueId::new(0, Direction::ToMarketing));
    assert_eq!(
        (c.edits, c.creations, c.filtered, c.entries_created),
        (3, 2, 3, 0)
    );
    assert_eq!(r.creation_latency(0), None);
}

/// Every background edit of a run of `text`, audited; its result checked for conservation.
fn edits_of(text: &str, inputs: Inputs) -> (syncsim::metrics::RunResult, Vec<EditEvent>) {
    let sc = scenario(text);
    let mut edits = Vec::new();
    let mut on_edit = |e: &EditEvent| edits.push(*e);
    let r = simulate_with(
        &sc,
        sc.seed,
        Inputs {
            on_edit: Some(&mut on_edit),
            audit: true,
            ..inputs
        },
    );
    r.check_conservation().unwrap();
    (r, edits)
}

const GROWING: &str = r#"
seed = 3
start = "2026-11-23T00:00:00Z"
horizon = "2d"
[objects.Lead]
records = 5
sync = "both"
edits_per_hour = 300
marketing_edits_per_hour = 100
creations_per_hour = 40
creation_side = "marketing"
synced_fraction = 0.8
[objects.Contact]
records = 1000
edits_per_hour = 200
[sync]
throughput = 20_000
"#;

#[test]
fn creations_take_the_next_ids_and_later_edits_pick_among_them() {
    let (r, edits) = edits_of(GROWING, Inputs::default());
    // Lead's records so far: an edit of the id past them is a creation, in the creation
    // side's direction (marketing: towards the CRM), touching synced fields; any other
    // edit picks one of the records created before it.
    let mut population = 5u32;
    let (mut creations, mut edits_of_created) = (0u64, 0u64);
    for e in edits.iter().filter(|e| e.object == 0) {
        if e.record == population {
            assert_eq!(e.direction, Direction::ToCrm, "{e:?}");
            assert!(e.synced);
            population += 1;
            creations += 1;
        } else {
            assert!(
                e.record < population,
                "{e:?} picks a record not yet created"
            );
            edits_of_created += (e.record >= 5) as u64;
        }
    }
    // 40 an hour for 48 hours: 1,920 expected; nearly every edit picks a created record.
    assert!((1700..2150).contains(&creations), "{creations}");
    assert!(edits_of_created > 15_000, "{edits_of_created}");
    let counted: u64 = Direction::ALL
        .iter()
        .map(|&d| r.counters(QueueId::new(0, d)).creations)
        .sum();
    assert_eq!(counted, creations);
    assert_eq!(
        r.counters(QueueId::new(0, Direction::ToMarketing))
            .creations,
        0
    );
    assert_eq!(
        r.counters(QueueId::new(1, Direction::ToMarketing))
            .creations,
        0
    );
    // The split adds up to the object's synced updates, both ways.
    let (created, updated) = (r.creation_latency(0).unwrap(), r.update_latency(0).unwrap());
    let synced: u64 = Direction::ALL
        .iter()
        .map(|&d| r.counters(QueueId::new(0, d)).synced)
        .sum();
    assert_eq!(created.count + updated.count, synced);
    assert_eq!(r.object_latency(0).unwrap().count, synced);
    assert!(created.count > 1600 && created.count <= creations);
    // Contact creates nothing: no split.
    assert_eq!(r.creation_latency(1), None);
}

#[test]
fn creations_follow_the_hour_profile_and_weekends_like_edits() {
    // Saturday start, weekend factor 0, only 03:00-04:00 UTC on: no creation before Monday,
    // then every creation within 03:00-04:00.
    let text = r#"
start = "2026-11-28T00:00:00Z"
horizon = "3d"
[objects.Lead]
records = 100
creations_per_hour = 500
weekend_factor = 0.0
hour_profile = [0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]
[sync]
throughput = 50_000
"#;
    let (r, edits) = edits_of(text, Inputs::default());
    assert!(!edits.is_empty());
    for e in &edits {
        assert_eq!(e.time / HOUR, 2 * 24 + 3, "{e:?}");
    }
    assert_eq!(
        r.counters(QueueId::new(0, Direction::ToMarketing))
            .creations,
        edits.len() as u64
    );
}

#[test]
fn a_run_with_creations_is_the_same_drawn_ahead_shared_or_hashed() {
    let sc = scenario(GROWING);
    let plain = simulate_with(&sc, 9, Inputs::default());
    let ahead = crate::simulate_drawn_ahead(&sc, 9);
    assert!(plain == ahead, "edits drawn ahead gave another run");
    let shared = SharedEdits::draw(&sc, 9);
    let with_shared = simulate_with(
        &sc,
        9,
        Inputs {
            shared_edits: Some(&shared),
            ..Inputs::default()
        },
    );
    assert!(plain == with_shared, "shared edits gave another run");
    let hashed = simulate_with(
        &sc,
        9,
        Inputs {
            hashed_index: true,
            audit: true,
            ..Inputs::default()
        },
    );
    assert!(plain == hashed, "a hashed index gave another run");
}

#[test]
fn replaying_a_runs_exported_edits_reproduces_its_creations() {
    let (r, edits) = edits_of(GROWING, Inputs::default());
    let sc = scenario(GROWING);
    let mut by_queue: HashMap<(usize, Direction), Vec<RecordedEdit>> = HashMap::new();
    for e in &edits {
        by_queue
            .entry((e.object, e.direction))
            .or_default()
            .push(RecordedEdit {
                time: e.time,
                record: e.record,
                synced: e.synced,
            });
    }
    let sources = by_queue
        .into_iter()
        .map(|((o, d), v)| {
            let source: Box<dyn EditSource> = Box::new(v.into_iter());
            (o, d, source)
        })
        .collect();
    let again = simulate_with(
        &sc,
        sc.seed,
        Inputs {
            replay: Some(sources),
            ..Inputs::default()
        },
    );
    assert!(again == r, "the replay differs from the run");
}

#[test]
fn scenarios_without_creations_list_no_creation_metric() {
    let (sc, _) = run(&ten_records("").replace("creations_per_hour = 1", ""));
    let names = syncsim::summary::metric_names(&sc);
    assert!(names
        .iter()
        .all(|n| !n.contains("creations") && !n.contains("updates")));
    let (sc, _) = run(&ten_records(""));
    let names = syncsim::summary::metric_names(&sc);
    for n in [
        "creations",
        "latency.Lead.creations.p90_min",
        "latency.Lead.updates.count",
    ] {
        assert!(names.iter().any(|m| m == n), "{n} missing from {names:?}");
    }
}

/// A small random world with creations: objects (records, edit rate, creation rate, both
/// ways, created on the marketing side, filter), a policy and errors.
fn world() -> impl Strategy<Value = String> {
    let object = (
        1u32..200,
        0.0f64..2000.0,
        0.1f64..800.0,
        any::<bool>(),
        any::<bool>(),
        0.5f64..=1.0,
        0usize..3,
    );
    (
        prop::collection::vec(object, 1..4),
        0usize..4,
        1u32..3,
        0u32..20_000,
        any::<bool>(),
        0.0f64..0.4,
    )
        .prop_map(|(objects, policy, workers, throughput, requeue, errors)| {
            let mut s = String::from(
                "start = \"2026-11-28T20:00:00Z\"\nhorizon = \"10h\"\nsample_interval = \"7m\"\n",
            );
            for (i, (records, rate, creations, both, marketing, filter, choice)) in
                objects.iter().enumerate()
            {
                s += &format!(
                    "[objects.O{i}]\nrecords = {records}\nedits_per_hour = {rate}\ncreations_per_hour = {creations}\nfilter_pass = {filter}\ntransient_error_rate = {errors}\nweekend_factor = 0.5\n"
                );
                if *both {
                    s += &format!("sync = \"both\"\nmarketing_edits_per_hour = {}\n", rate / 3.0);
                    if *marketing {
                        s += "creation_side = \"marketing\"\n";
                    }
                }
                if *records >= 2 {
                    s += ["", "record_choice = \"hot_set\"\nhot_fraction = 0.5\n", "record_choice = \"zipf\"\n"][*choice];
                }
            }
            let policy = ["fifo", "round_robin", "priority", "weighted"][policy];
            s += &format!(
                "[sync]\npolicy = \"{policy}\"\nworkers = {workers}\nbatch_size = 50\nthroughput = {throughput}\nrequeue = {requeue}\ncycle_wait = \"3m\"\n[retry]\ninterval = \"20m\"\nmax_attempts = 2\n"
            );
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn records_are_conserved_with_creations(text in world()) {
        let sc = scenario(&text);
        // The audit checks conservation and the queues at every sample.
        let r = simulate_with(&sc, 5, Inputs { audit: true, ..Inputs::default() });
        prop_assert!(r.check_conservation().is_ok(), "{:?}\n{}", r.check_conservation(), text);
        for o in 0..sc.objects.len() {
            let synced: u64 = Direction::ALL.iter().map(|&d| r.counters(QueueId::new(o, d)).synced).sum();
            let split = r.creation_latency(o).map_or(0, |l| l.count) + r.update_latency(o).map_or(0, |l| l.count);
            prop_assert_eq!(split, synced, "object {}\n{}", o, &text);
        }
        prop_assert!(r == crate::simulate_drawn_ahead(&sc, 5), "edits drawn ahead gave another run\n{}", text);
        prop_assert!(r == simulate_with(&sc, 5, Inputs { separate_fifos: true, ..Inputs::default() }), "a shared FIFO took other batches\n{}", text);
        let shared = SharedEdits::draw(&sc, 5);
        prop_assert!(r == simulate_with(&sc, 5, Inputs { shared_edits: Some(&shared), ..Inputs::default() }), "shared edits gave another run\n{}", text);
    }
}

#[test]
fn the_example_writes_the_same_bytes_on_one_thread_and_two() {
    // The command-line path: one thread draws edits inline, two draw them ahead.
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, threads: &str| {
        let scenario = "scenarios/new-leads-during-update.toml";
        let args = ["run", scenario, "--horizon", "40h", "--threads", threads];
        crate::cli_run_files(&dir.path().join(name), &args)
    };
    let one = run("one", "1");
    let latency = &one.iter().find(|(n, _)| n == "latency.csv").unwrap().1;
    assert!(String::from_utf8_lossy(latency).contains("\nLead,creations,"));
    assert!(
        one == run("two", "2"),
        "a run with creations differs between --threads 1 and 2"
    );
}

#[test]
fn the_estimates_count_what_creations_add() {
    use syncsim::engine::{memory_estimate, WorkEstimate};
    let with = scenario(GROWING);
    let without = scenario(&GROWING.replace(
        "creations_per_hour = 40\ncreation_side = \"marketing\"\n",
        "",
    ));
    assert_eq!(without.objects[0].max_creations, 0);
    // 40 an hour for 48 hours: 1,920, bounded at ceil(1920 + 10 sqrt(1920) + 100) = 2,459.
    assert_eq!(with.objects[0].max_creations, 2459);
    assert_eq!(with.objects[0].id_space(), 5 + 2459);
    // Each creation is an event the run handles, and an entry and a latency sample.
    let work = WorkEstimate::of(&with).total() - WorkEstimate::of(&without).total();
    assert!(work >= 1920.0, "{work}");
    let memory = memory_estimate(&with) - memory_estimate(&without);
    assert!(memory >= 2459 * 4, "{memory}");
}
