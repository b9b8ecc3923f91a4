//! Behaviour tests of syncsim: one integration binary, one file per behaviour.

mod answers;
mod api_usage;
mod architecture;
mod bad_data;
mod bad_scenarios;
mod batch_sizes;
mod cascades;
mod check;
mod cli;
mod compare;
mod conservation;
mod creations;
mod data;
mod decisions;
mod determinism;
mod doc_samples;
mod edge_cases;
mod examples;
mod fit;
mod fuzz_crashes;
mod hand_cases;
mod jobs;
mod loading;
mod local_time;
mod montecarlo;
mod planner;
mod references;
mod reports;
mod retries;
mod safe_output;
mod serve;
mod serve_browser;
mod serve_guard;
mod serve_load;
mod shards;
mod shared_edits;
mod snapshots_of_outputs;
mod time;
mod validation;
mod whatif;
mod windows;

use syncsim::engine::simulate;
use syncsim::metrics::RunResult;
use syncsim::scenario::{self, Scenario};

/// Parses and validates scenario text, panicking with the error message if it is bad.
pub fn scenario(text: &str) -> Scenario {
    scenario::from_str(text, "test.toml", "test", &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Every file of a folder (reports, manifest, hidden files), sorted by name, with its bytes:
/// what two runs that must agree are compared by.
pub fn folder_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Runs `sc` with `seed`, its background edits drawn ahead on a second thread (as `syncsim
/// run` does on two threads): what every "same run drawn ahead" test compares with
/// [`simulate`].
pub fn simulate_drawn_ahead(sc: &Scenario, seed: u64) -> RunResult {
    let inputs = syncsim::engine::Inputs {
        draw_ahead: true,
        ..syncsim::engine::Inputs::default()
    };
    syncsim::engine::simulate_with(sc, seed, inputs)
}

/// Runs `syncsim` with `args` (CSV reports, quiet) into the folder `out` and returns every
/// file it wrote ([`folder_files`]).
pub fn cli_run_files(out: &std::path::Path, args: &[&str]) -> Vec<(String, Vec<u8>)> {
    assert_cmd::Command::cargo_bin("syncsim")
        .unwrap()
        .args(args)
        .args(["--format", "csv", "--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
    folder_files(out)
}

/// Runs scenario text once with its own seed.
pub fn run(text: &str) -> (Scenario, RunResult) {
    let sc = scenario(text);
    let r = simulate(&sc, sc.seed);
    r.check_conservation().unwrap();
    (sc, r)
}
