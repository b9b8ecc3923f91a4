//! Engine benchmarks on the reference scenario (`scenarios/reference.toml`):
//! one replication, on one thread and with its background edits drawn on a second (as
//! `syncsim run` does); the edit path alone (sync disabled, so edits only queue); the drain
//! path alone (a backlog loaded at once, no background edits); and 100 replications at one
//! tenth scale on one and on two threads; shared edits (one replication reading edits drawn
//! before it, and a sweep over throughput sharing them or not); a solve over throughput with
//! its candidates sharing edits and stopping early, or run alone. Figures and commands:
//! `docs/performance.md`.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use syncsim::engine::{simulate, simulate_with, Inputs, SharedEdits};
use syncsim::load;
use syncsim::planner::grid::{DefaultStep, Range};
use syncsim::planner::solve::{self, SolveSpec};
use syncsim::planner::{evaluate, Base, Runner};
use syncsim::replicate;
use syncsim::scenario::{Override, Scenario};

fn reference(overrides: &[&str]) -> Scenario {
    let overrides: Vec<Override> = overrides.iter().map(|s| Override::set(s)).collect();
    load::load(Path::new("scenarios/reference.toml"), &overrides).expect("reference scenario")
}

fn engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("reference");
    group.sample_size(20);

    let sc = reference(&[]);
    group.bench_function("one_replication", |b| b.iter(|| simulate(&sc, 1)));
    // As a single `syncsim run` on two cores: edits drawn and merged on a helper thread.
    let ahead = || Inputs {
        draw_ahead: true,
        ..Inputs::default()
    };
    group.bench_function("one_replication_draw_ahead", |b| {
        b.iter(|| simulate_with(&sc, 1, ahead()))
    });

    // Edits only: the sync is off for the whole horizon, so every edit is applied and queued
    // but nothing drains.
    let edits = reference(&["events.off.kind=\"sync_disabled\"", "events.off.at=\"1ms\""]);
    group.bench_function("edit_path", |b| b.iter(|| simulate(&edits, 1)));

    // Drain only: no background edits; the 300K Opportunity update lands at once and drains.
    let drain = reference(&[
        "objects.Lead.edits_per_hour=0",
        "objects.Contact.edits_per_hour=0",
        "objects.Account.edits_per_hour=0",
        "objects.Opportunity.edits_per_hour=0",
        "events.opportunity_bulk.spread=\"0\"",
    ]);
    group.bench_function("drain_path", |b| b.iter(|| simulate(&drain, 1)));
    group.finish();

    let mut group = c.benchmark_group("replications");
    group.sample_size(10);
    let tenth = reference(&[
        "objects.Lead.records=100000",
        "objects.Lead.edits_per_hour=300",
        "objects.Contact.records=80000",
        "objects.Contact.edits_per_hour=200",
        "objects.Account.records=20000",
        "objects.Account.edits_per_hour=50",
        "objects.Opportunity.records=30000",
        "objects.Opportunity.edits_per_hour=80",
        "events.opportunity_bulk.count=30000",
        "sync.throughput=5000",
    ]);
    // As `syncsim run --replications 100` runs them: rayon, one engine workspace per job.
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        group.bench_function(format!("100_at_one_tenth_scale/{threads}_threads"), |b| {
            b.iter(|| pool.install(|| replicate::run(&tenth, 100, &|| {}).runs.len()))
        });
    }
    group.finish();
}

/// Shared edits (`engine/shared_edits.rs`, `planner/runs.rs`): one tenth-scale replication
/// reading edits drawn before it, against drawing its own; and a sweep of 9 throughputs x 10
/// replications through the planner, sharing each replication's edits or not.
fn shared(c: &mut Criterion) {
    let tenth = load::load(Path::new("scenarios/reference-tenth.toml"), &[]).expect("tenth");
    let mut group = c.benchmark_group("shared_edits");
    group.sample_size(20);
    let drawn = SharedEdits::draw(&tenth, 1);
    group.bench_function("replication/own_edits", |b| b.iter(|| simulate(&tenth, 1)));
    group.bench_function("replication/shared_edits", |b| {
        b.iter(|| {
            simulate_with(
                &tenth,
                1,
                Inputs {
                    shared_edits: Some(&drawn),
                    ..Inputs::default()
                },
            )
        })
    });
    group.bench_function("replication/draw_once", |b| {
        b.iter(|| SharedEdits::draw(&tenth, 1).len())
    });
    let points: Vec<Scenario> = (0..9)
        .map(|i| {
            let set = Override::set(&format!("sync.throughput={}", 4000 + 500 * i));
            load::load(Path::new("scenarios/reference-tenth.toml"), &[set]).expect("point")
        })
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a thread pool");
    group.sample_size(10);
    for (name, shared) in [("independent", false), ("shared", true)] {
        group.bench_function(format!("sweep_9_points_x_10/{name}"), |b| {
            b.iter(|| {
                let mut runner = if shared {
                    Runner::shared(64)
                } else {
                    Runner::independent()
                };
                pool.install(|| evaluate(&points, 0..10, None, &mut runner, &|| {}).len())
            })
        });
    }
    group.finish();
}

/// A solve as `syncsim solve` runs it: the least throughput of the tenth-scale scenario for
/// which the bulk update's p90 clear time is within 8 h, 36 replications per candidate, on a
/// grid of 500 (37 values), with shared edits and early stops or with every candidate run
/// alone (`--independent`).
fn solve(c: &mut Criterion) {
    let file =
        load::ScenarioFile::read(Path::new("scenarios/reference-tenth.toml")).expect("tenth");
    let base = Base {
        file,
        overrides: vec![],
    };
    let spec = SolveSpec {
        path: "sync.throughput".into(),
        range: Range::parse("2000..20000", Some("500"), DefaultStep::Divisions(1000))
            .expect("a range")
            .expect("a range"),
        target: syncsim::expr::parse("event.opportunity_bulk.clear_h p90 <= 8h").expect("target"),
        greatest: false,
        replications: 36,
        confidence: 0.95,
        precision: None,
        max_replications: 36,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a thread pool");
    let mut group = c.benchmark_group("solve");
    group.sample_size(10);
    for (name, shared) in [("independent", false), ("shared", true)] {
        group.bench_function(format!("tenth_throughput_p90_x_36/{name}"), |b| {
            b.iter(|| {
                let mut runner = if shared {
                    Runner::keeping(64)
                } else {
                    Runner::independent()
                };
                pool.install(|| solve::solve(&base, &spec, &mut runner, &|| {}))
                    .expect("solved")
                    .replications
            })
        });
    }
    group.finish();
}

criterion_group!(benches, engine, shared, solve);
criterion_main!(benches);
