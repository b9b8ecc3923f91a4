//! Every example scenario in `scenarios/` validates, runs and conserves records.

use syncsim::engine::simulate;
use syncsim::load::load;
use syncsim::scenario::Override;

#[test]
fn every_example_scenario_runs() {
    let mut ran = 0;
    let mut paths: Vec<_> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let sc = load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
        // The 30x and 100x references are the scale benchmarks, run on demand (`cargo bench
        // --bench scale`, docs/performance.md): validated here, not run.
        if is_scale_benchmark(&sc.name) {
            continue;
        }
        // The 10x scenario is the scale benchmark; a shorter horizon keeps this test quick
        // while still running its whole bulk update.
        let sc = if sc.name == "reference-10x" {
            load(&path, &[Override::horizon("26h")]).unwrap()
        } else {
            sc
        };
        let r = simulate(&sc, sc.seed);
        r.check_conservation()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(r.totals().edits > 0, "{} makes no edits", path.display());
        ran += 1;
    }
    assert!(
        ran >= 7,
        "expected the reference and the examples, found {ran}"
    );
}

/// The scenarios too large for `cargo test` to run: the 30x and 100x references.
pub(crate) fn is_scale_benchmark(name: &str) -> bool {
    matches!(name, "reference-30x" | "reference-100x")
}
