//! `syncsim check PATH...`: run every scenario under the paths in parallel, evaluate their
//! expectations, compare with a baseline, and gate CI on the result.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{print, CliError, EXIT_FAILED};
use syncsim::check::{self, Baseline};
use syncsim::load;
use syncsim::report::{self, output::write_file_atomic};
use syncsim::scenario::Scenario;

/// Arguments of `syncsim check`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  syncsim check scenarios/
  syncsim check scenarios/ --junit results.xml --json results.json
  syncsim check scenarios/ --baseline ci/baseline.json --tolerance 0.02
  syncsim check scenarios/ --baseline ci/baseline.json --update-baseline

A scenario without an [expect] table is run only when named, not when found in a folder.

Exit codes: 0 every expectation holds (and no metric drifted worse than the baseline);
1 an expectation failed or a metric drifted worse; 2 bad input. See docs/ci.md.")]
pub struct CheckArgs {
    /// Scenario files, or folders searched (recursively) for *.toml (skipping those without
    /// an [expect] table).
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Replications per scenario [default: each scenario's `replications`].
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    replications: Option<u64>,
    /// Worker threads [default: all cores, or RAYON_NUM_THREADS].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Write JUnit XML (one test case per expectation) to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the full results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Compare every scalar metric with the baseline in FILE.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Relative change from the baseline that counts as drift.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.05)]
    tolerance: f64,
    /// Rewrite the --baseline file from this run (other scenarios' entries are kept).
    #[arg(long, requires = "baseline")]
    update_baseline: bool,
    /// Print only failures and errors.
    #[arg(short, long)]
    quiet: bool,
    /// Replace the --junit and --json files if they exist.
    #[arg(long)]
    force: bool,
    /// Refuse to start when a scenario's estimated memory is above SIZE [default: half of
    /// physical memory].
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    max_memory: Option<u64>,
    /// Refuse to start when a scenario's estimated work (its replications) is above N
    /// events (e.g. 2e10) [default: 1e10, about a quarter of an hour].
    #[arg(long, value_name = "N", value_parser = syncsim::load::parse_events)]
    max_events: Option<u64>,
}

/// Every scenario file under `paths`, sorted, each with whether it was named itself (not
/// found by searching a folder).
fn scenario_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>, CliError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| {
                CliError::Usage(format!("cannot read folder '{}': {e}", p.display()))
            })?;
            files.extend(found.into_iter().map(|f| (f, false)));
        } else if p.is_file() {
            files.push((p.clone(), true));
        } else {
            return Err(CliError::Usage(format!(
                "'{}' is neither a scenario file nor a folder",
                p.display()
            )));
        }
    }
    // Named first, so that a file both named and found counts as named.
    files.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    files.dedup_by(|a, b| a.0 == b.0);
    if files.is_empty() {
        return Err(CliError::Usage(
            "no scenario files (*.toml) under the given paths".into(),
        ));
    }
    Ok(files)
}

/// Runs the checks and returns the exit code.
pub fn run(args: &CheckArgs) -> Result<u8, CliError> {
    if !(args.tolerance >= 0.0 && args.tolerance.is_finite()) {
        return Err(CliError::Usage(format!(
            "--tolerance must be a fraction of 0 or more (got {})",
            args.tolerance
        )));
    }
    let files = scenario_files(&args.paths)?;
    let mut scenarios: Vec<(String, Scenario)> = Vec::with_capacity(files.len());
    // A scenario without expectations found in a folder is not run: it asserts nothing, and
    // such files are often benchmarks (`scenarios/reference-100x.toml`). Named, it runs.
    let mut skipped = Vec::new();
    for (f, named) in &files {
        let sc = load::load(f, &[])?;
        if sc.expect.is_empty() && !named {
            skipped.push(f.display().to_string());
        } else {
            if !args.quiet {
                super::warn(f, &sc);
            }
            scenarios.push((f.display().to_string(), sc));
        }
    }
    if scenarios.is_empty() {
        return Err(CliError::Usage(format!(
            "no scenario under the given paths has an [expect] table ({} skipped); a scenario \
             without one runs only when named: syncsim check FILE",
            skipped.len()
        )));
    }
    let threads = args
        .threads
        .unwrap_or_else(|| rayon::current_num_threads() as u64);
    for (_, sc) in &scenarios {
        load::check_memory(sc, threads, args.max_memory)?;
        let replications = args.replications.unwrap_or(sc.replications as u64);
        load::check_work(sc, replications, 0.0, args.max_events)?;
    }
    let baseline: Option<Baseline> = match &args.baseline {
        Some(path) if path.exists() || !args.update_baseline => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Usage(format!("cannot read baseline '{}': {e}", path.display()))
            })?;
            syncsim::data::inputs::note(path);
            Some(
                check::parse_baseline(&text)
                    .map_err(|e| CliError::Usage(format!("baseline '{}': {e}", path.display())))?,
            )
        }
        _ => None,
    };
    // A file named for output must be free, and no input, before anything runs.
    for path in [&args.junit, &args.json].into_iter().flatten() {
        write_check(path, args.force)?;
    }
    let compare = baseline.as_ref().filter(|_| !args.update_baseline);
    let result = super::with_threads(args.threads, || {
        check::run(scenarios, args.replications, compare, args.tolerance)
    })?
    .map_err(|e| CliError::Usage(e.to_string()))?;
    let failed = result.failed();
    let _ = print(|w| {
        if !args.quiet || failed {
            report::check::write_table(&result.checks, w)?;
            if !skipped.is_empty() {
                writeln!(
                    w,
                    "skipped, no [expect] table (name a file to run it): {}",
                    skipped.join(", ")
                )?;
            }
        }
        if compare.is_some() {
            writeln!(w)?;
            for d in &result.drifts {
                if !d.in_baseline {
                    writeln!(
                        w,
                        "{}: not in the baseline (add it with --update-baseline)",
                        d.scenario
                    )?;
                } else if !args.quiet || !d.drifts.is_empty() {
                    report::check::write_drift(&d.scenario, &d.drifts, args.tolerance, w)?;
                }
            }
        }
        Ok(())
    });
    if let Some(path) = &args.junit {
        let mut buf = Vec::new();
        report::check::write_junit(&result.checks, &mut buf)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        write_file_atomic(path, &buf, args.force)?;
    }
    if let Some(path) = &args.json {
        let mut buf = Vec::new();
        report::check::write_json(&result, &mut buf).map_err(|e| CliError::Usage(e.to_string()))?;
        write_file_atomic(path, &buf, args.force)?;
    }
    if args.update_baseline {
        let path = args.baseline.as_ref().expect("clap requires --baseline");
        let updated = result.updated_baseline(baseline.as_ref());
        // The one input a command may rewrite: --update-baseline asks for it.
        syncsim::data::inputs::release(path);
        write_file_atomic(path, check::baseline_text(&updated).as_bytes(), true)?;
        if !args.quiet {
            let _ = print(|w| {
                writeln!(
                    w,
                    "baseline '{}' updated ({} scenarios)",
                    path.display(),
                    result.checks.len()
                )
            });
        }
    }
    Ok(if failed || result.worse() {
        EXIT_FAILED
    } else {
        0
    })
}

/// Checks a `--junit` or `--json` file before the scenarios run.
fn write_check(path: &std::path::Path, force: bool) -> Result<(), CliError> {
    Ok(syncsim::report::output::check_user_file(path, force)?)
}
