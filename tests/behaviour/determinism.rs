//! Same scenario + same seed => byte-identical outputs; another seed => other outputs.

use syncsim::engine::simulate;
use syncsim::load::load;
use syncsim::report::{self, output::OutputDir};
use syncsim::scenario::Override;

fn outputs(seed: u64) -> Vec<(String, Vec<u8>)> {
    let sc = load(
        std::path::Path::new("scenarios/reference.toml"),
        &[Override::horizon("2d")],
    )
    .unwrap();
    let r = syncsim::summary::RunSummary::of(&sc, simulate(&sc, seed));
    let dir = tempfile::tempdir().unwrap();
    let mut out = OutputDir::open(dir.path(), false).unwrap();
    report::write_run(&r, None, report::Formats::CSV_ONLY, &mut out).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = out
        .finish()
        .unwrap()
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.path().join(&name)).unwrap();
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn same_seed_gives_identical_bytes() {
    let a = outputs(11);
    let b = outputs(11);
    assert_eq!(a.len(), report::tables::TABLES.len() + 1);
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between two runs with the same seed");
    }
}

#[test]
fn another_seed_gives_another_run() {
    let a = outputs(11);
    let c = outputs(12);
    let backlog = |files: &[(String, Vec<u8>)]| {
        files
            .iter()
            .find(|(n, _)| n == "backlog.csv")
            .unwrap()
            .1
            .clone()
    };
    assert_ne!(backlog(&a), backlog(&c));
}

#[test]
fn a_reused_workspace_gives_the_same_run_as_a_fresh_one() {
    use syncsim::engine::{simulate_in, Inputs, Workspace};
    let load = |file: &str, horizon: &str| {
        load(std::path::Path::new(file), &[Override::horizon(horizon)]).unwrap()
    };
    // Different shapes in turn: more and fewer objects, records, retries and latency samples,
    // so every buffer the workspace keeps is left larger or dirtier than the next run needs.
    let runs = [
        load("scenarios/reference-tenth.toml", "2d"),
        load("scenarios/hubspot-import-validation-errors.toml", "3d"),
        load("scenarios/hot-set-starvation.toml", "1d"),
        load("scenarios/reference-tenth.toml", "30h"),
    ];
    let mut ws = Workspace::default();
    for (i, sc) in runs.iter().enumerate() {
        for seed in [3, 4] {
            let reused = simulate_in(&mut ws, sc, seed, Inputs::default());
            assert!(
                reused == simulate(sc, seed),
                "run {i} (seed {seed}) differs with a reused workspace"
            );
        }
    }
}

#[test]
fn edits_drawn_ahead_on_a_second_thread_give_the_same_run_for_every_example() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") || path.ends_with("reference-10x.toml") {
            continue;
        }
        // Long enough for each example's events; the 10x reference is the reference scaled,
        // and the 30x and 100x references are benchmarks too large to run here.
        let sc = load(&path, &[]).unwrap();
        if crate::examples::is_scale_benchmark(&sc.name) {
            continue;
        }
        for seed in [1, 9] {
            let ahead = crate::simulate_drawn_ahead(&sc, seed);
            assert!(
                ahead == simulate(&sc, seed),
                "{} (seed {seed}) differs with edits drawn ahead",
                path.display()
            );
        }
    }
}

#[test]
fn edits_drawn_once_and_shared_give_the_same_runs_for_every_example() {
    use syncsim::engine::{simulate_with, Inputs, SharedEdits};
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") || path.ends_with("reference-10x.toml") {
            continue;
        }
        let sc = load(&path, &[]).unwrap();
        // Another sync reads the same edits: half the throughput, one more worker.
        let other = load(
            &path,
            &[
                Override::set(&format!("sync.throughput={}", sc.sync.throughput / 2.0)),
                Override::set(&format!("sync.workers={}", sc.sync.workers + 1)),
            ],
        )
        .unwrap();
        for seed in [1, 9] {
            let shared = SharedEdits::draw(&sc, seed);
            for s in [&sc, &other] {
                let with = simulate_with(
                    s,
                    seed,
                    Inputs {
                        shared_edits: Some(&shared),
                        ..Inputs::default()
                    },
                );
                assert!(
                    with == simulate(s, seed),
                    "{} (seed {seed}, throughput {}) differs with shared edits",
                    path.display(),
                    s.sync.throughput
                );
            }
        }
    }
}

#[test]
fn a_single_run_writes_the_same_bytes_on_one_thread_and_two() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, threads: &str| {
        let args = [
            "run",
            "scenarios/reference.toml",
            "--horizon",
            "40h",
            "--threads",
            threads,
        ];
        crate::cli_run_files(&dir.path().join(name), &args)
    };
    let one = run("one", "1");
    assert!(one.iter().any(|(n, _)| n == "backlog.csv"));
    assert!(
        one == run("two", "2"),
        "a single run differs between --threads 1 and 2"
    );
}

#[test]
fn a_cancel_flag_left_unset_changes_nothing_and_a_set_one_stops_the_run_early() {
    use std::sync::atomic::AtomicBool;
    use syncsim::engine::{simulate_with, Inputs};
    let sc = load(
        std::path::Path::new("scenarios/reference-tenth.toml"),
        &[Override::horizon("2d")],
    )
    .unwrap();
    let full = simulate(&sc, 5);
    for draw_ahead in [false, true] {
        let unset = AtomicBool::new(false);
        let run = simulate_with(
            &sc,
            5,
            Inputs {
                cancel: Some(&unset),
                draw_ahead,
                ..Inputs::default()
            },
        );
        assert!(
            run == full,
            "an unset flag changed the run (draw ahead {draw_ahead})"
        );
        // Set before the start: the run stops at its first sample point after t = 0, having
        // drained almost nothing (the helper thread drawing ahead stops too, or this hangs).
        let set = AtomicBool::new(true);
        let stopped = simulate_with(
            &sc,
            5,
            Inputs {
                cancel: Some(&set),
                draw_ahead,
                ..Inputs::default()
            },
        );
        assert!(
            stopped.batches() * 10 < full.batches(),
            "a cancelled run went on: {} of {} batches (draw ahead {draw_ahead})",
            stopped.batches(),
            full.batches()
        );
    }
}
