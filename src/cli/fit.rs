//! `syncsim fit`: calibrate a scenario from real data. `fit CHANGES.csv` estimates rates,
//! profiles and record choice from a change log and writes a commented scenario;
//! `fit --dashboard FIGURES.csv` bounds the sync's throughput from the admin page's figures,
//! and `--scenario FILE --trend TREND.csv` compares a scenario's backlog with the page's trend.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::{print, CliError};
use syncsim::calibrate::{self, dashboard, FitOptions};
use syncsim::engine::simulate;
use syncsim::load::{self, ScenarioFile};
use syncsim::report::calibrate as report;
use syncsim::report::output::write_file_atomic;
use syncsim::scenario::{self, Override};
use syncsim::units::Instant;

/// Arguments of `syncsim fit`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  syncsim fit day.csv --records Lead=120000,Contact=80000 --out fitted.toml
  syncsim fit week.csv --start 2026-11-23T00:00:00Z --skip-bad-rows > fitted.toml
  syncsim fit --dashboard figures.csv
  syncsim fit --dashboard figures.csv --scenario fitted.toml --trend trend.csv
  syncsim fit --scenario fitted.toml --trend trend.csv --throughput-range 10000..100000

A change log's columns: time_utc,object,record,direction,synced. The admin page's figures:
object,max_per_h,min_per_h,avg_per_h,backlog. A trend: time_utc,backlog (a run's trend.csv
and dashboard.csv read as they are). Formats and estimators: docs/data.md.")]
pub struct FitArgs {
    /// The change log to fit (CSV).
    #[arg(value_name = "CHANGES.csv", conflicts_with_all = ["dashboard", "trend"])]
    changes: Option<PathBuf>,
    /// Record population per object, e.g. `Lead=120000,Contact=80000` [default: highest id
    /// seen + 1, a lower bound].
    #[arg(long, value_name = "OBJECT=N,...", value_delimiter = ',')]
    records: Vec<String>,
    /// Start of the observed span (RFC 3339); earlier rows are left out [default: the first
    /// edit's whole hour].
    #[arg(long, value_name = "INSTANT")]
    start: Option<String>,
    /// Write the scenario to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE.toml")]
    out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    force: bool,
    /// Leave out bad rows (reported) instead of refusing the file.
    #[arg(long)]
    skip_bad_rows: bool,
    /// The admin page's per-object figures (CSV), to bound the throughput.
    #[arg(long, value_name = "FIGURES.csv")]
    dashboard: Option<PathBuf>,
    /// A scenario to compare with the observed trend.
    #[arg(long, value_name = "FILE", requires = "trend")]
    scenario: Option<PathBuf>,
    /// The admin page's backlog trend (CSV: time_utc,backlog): compared with --scenario, and
    /// with --dashboard it can show the sync saturated.
    #[arg(long, value_name = "TREND.csv")]
    trend: Option<PathBuf>,
    /// Override scenario values, as in `run` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", requires = "scenario")]
    set: Vec<String>,
    /// Also search sync.throughput in LO..HI for the least mean absolute error.
    #[arg(long, value_name = "LO..HI", requires = "trend")]
    throughput_range: Option<String>,
    /// Throughput values tried by --throughput-range (geometric grid).
    #[arg(long, value_name = "N", default_value_t = 25, value_parser = clap::value_parser!(u32).range(2..=1000))]
    steps: u32,
}

/// Runs `fit`.
pub fn run(args: &FitArgs) -> Result<u8, CliError> {
    if let Some(changes) = &args.changes {
        return fit_log(args, changes);
    }
    if args.dashboard.is_none() && args.scenario.is_none() {
        return Err(CliError::Usage(
            "fit needs a change log (`syncsim fit CHANGES.csv`), --dashboard FIGURES.csv, or \
             --scenario FILE --trend TREND.csv"
                .into(),
        ));
    }
    let observed = match &args.trend {
        Some(trend) => Some(dashboard::read_trend(trend)?),
        None => None,
    };
    let mut text = String::new();
    if let Some(path) = &args.dashboard {
        let rows = dashboard::read_figures(path)?;
        let fetch = rows.iter().find_map(|r| r.last_fetch);
        let bounds = dashboard::throughput_bounds(&rows, observed.as_deref(), fetch);
        text.push_str(&report::write_bounds(&bounds, path, rows.len()));
    }
    if let (Some(file), Some(trend), Some(observed)) = (&args.scenario, &args.trend, &observed) {
        let scenario_file = ScenarioFile::read(file)?;
        let overrides: Vec<Override> = args.set.iter().map(|s| Override::set(s)).collect();
        let sc = scenario_file.scenario(&overrides)?;
        load::check_memory(&sc, 1, None)?;
        let c = dashboard::compare_trend(&sc, &simulate(&sc, sc.seed), observed, trend)?;
        text.push_str(&format!(
            "\nBacklog trend: {} simulated (seed {}) against {}\n",
            file.display(),
            sc.seed,
            trend.display()
        ));
        text.push_str(&report::write_comparison(&c));
        if let Some(range) = &args.throughput_range {
            let range = parse_range(range)?;
            let trials = dashboard::search_throughput(
                &scenario_file,
                &overrides,
                observed,
                trend,
                range,
                args.steps,
            )?;
            text.push_str(&report::write_search(
                &trials,
                dashboard::best_trial(&trials),
            ));
        }
    }
    let _ = print(|w| w.write_all(text.as_bytes()));
    Ok(0)
}

fn parse_range(text: &str) -> Result<(f64, f64), CliError> {
    let bad = || {
        CliError::Usage(format!(
            "--throughput-range '{text}': write LO..HI with 0 < LO < HI, e.g. 10000..100000"
        ))
    };
    let (lo, hi) = text.split_once("..").ok_or_else(bad)?;
    let lo: f64 = lo.trim().replace('_', "").parse().map_err(|_| bad())?;
    let hi: f64 = hi.trim().replace('_', "").parse().map_err(|_| bad())?;
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Err(bad());
    }
    Ok((lo, hi))
}

fn fit_log(args: &FitArgs, changes: &std::path::Path) -> Result<u8, CliError> {
    let mut records = Vec::new();
    for item in &args.records {
        let parsed = item.split_once('=').and_then(|(o, n)| {
            let n: u32 = n.trim().replace('_', "").parse().ok()?;
            (n >= 1).then(|| (o.trim().to_string(), n))
        });
        match parsed {
            Some(p) => records.push(p),
            None => {
                return Err(CliError::Usage(format!(
                    "--records '{item}': write OBJECT=N with N at least 1, e.g. Lead=120000"
                )))
            }
        }
    }
    let start = match &args.start {
        None => None,
        Some(s) => Some(Instant::parse(s).map_err(|e| CliError::Usage(format!("--start: {e}")))?),
    };
    let options = FitOptions {
        records,
        start,
        skip_bad_rows: args.skip_bad_rows,
    };
    let fit = calibrate::fit_changes(changes, &options)?;
    // The log is an input now: an --out naming it is refused before anything is written.
    if let Some(path) = &args.out {
        write_check(path, args.force)?;
    }
    let source = changes.file_name().map_or_else(
        || "a change log".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let text = report::write_scenario(&fit, &source);
    // The fitted file must be a valid scenario (e.g. a rate above the scenario's limits is
    // refused here rather than written).
    if let Err(e) = scenario::from_str(&text, "fitted scenario", "fitted", &[]) {
        return Err(CliError::Usage(format!(
            "the fitted scenario would not validate: {e}"
        )));
    }
    match &args.out {
        Some(path) => {
            write_file_atomic(path, text.as_bytes(), args.force)?;
            let note = fit.report.note(changes);
            let _ = print(|w| {
                if let Some(note) = note {
                    writeln!(w, "Note: {note}")?;
                }
                writeln!(
                    w,
                    "Fitted {} objects from {} edits over {:.1} h; scenario written to {}",
                    fit.objects.len(),
                    fit.report.rows,
                    fit.span_hours(),
                    path.display()
                )
            });
        }
        None => {
            if let Some(note) = fit.report.note(changes) {
                let _ = writeln!(std::io::stderr(), "Note: {note}");
            }
            let _ = print(|w| w.write_all(text.as_bytes()));
        }
    }
    Ok(0)
}

/// Checks the `--out` file before the scenario is written.
fn write_check(path: &std::path::Path, force: bool) -> Result<(), CliError> {
    Ok(syncsim::report::output::check_user_file(path, force)?)
}
