//! `syncsim solve FILE --vary PATH --range LO..HI --target EXPR`: the least (or greatest)
//! value of a knob for which a target holds, by bisection with common random numbers.

use std::time::Instant;

use clap::Args;

use super::{print, CliError, PlanArgs, ScenarioArgs};
use syncsim::expr;
use syncsim::planner::grid::{DefaultStep, Kind, Range};
use syncsim::planner::solve::{self, SolveSpec};
use syncsim::planner::Base;
use syncsim::report::planner as tables;

/// Arguments of `syncsim solve`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  # Least throughput per worker so that 90% of replications clear the bulk update within 24 h
  syncsim solve scenarios/reference.toml --vary sync.throughput --range 10000..100000 \\
      --target \"event.opportunity_bulk.clear_h p90 <= 24h\" --replications 20
  # Least number of workers (MBQ) that keeps the backlog under 100K
  syncsim solve scenarios/reference.toml --vary sync.workers --range 1..16 \\
      --target \"backlog.max p90 <= 100K\"
  # Greatest bulk size for which Lead p95 latency stays within 15 minutes in 90% of runs
  syncsim solve scenarios/reference.toml --vary events.opportunity_bulk.count \\
      --range 10000..300000 --step 10000 --greatest --target \"latency.Lead.p95_min p90 <= 15m\"

The range is a grid: integers step by 1 (or --step), reals by --step [default: (HI-LO)/1000],
durations (LO..HI as 0..24h) by --step [default: (HI-LO)/1000]. Both ends run first; then
bisection. Every candidate runs the same replication seeds. Prints the evidence table and
writes it to solve.csv. When the target holds nowhere, or everywhere, in the range the exit
code is still 0 and the message says so. Expressions and details: docs/planner.md.")]
pub struct SolveArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The knob: a scenario key path (e.g. sync.throughput, sync.workers,
    /// events.<name>.count, api.daily_limit).
    #[arg(long, value_name = "PATH")]
    vary: String,
    /// The values to search, LO..HI (numbers, or durations such as 1h..48h).
    #[arg(long, value_name = "LO..HI", allow_hyphen_values = true)]
    range: String,
    /// What must hold, e.g. "event.bulk.clear_h p90 <= 24h" (conditions joined by `and`).
    #[arg(long, value_name = "EXPR")]
    target: String,
    /// Find the greatest value for which the target holds (for knobs where more hurts).
    #[arg(long)]
    greatest: bool,
    /// Search whole numbers only (the default when LO and HI are whole numbers).
    #[arg(long, conflicts_with = "step")]
    integer: bool,
    /// Grid spacing, the answer's tolerance [default: 1 for whole numbers, else (HI-LO)/1000].
    #[arg(long, value_name = "S")]
    step: Option<String>,
    #[command(flatten)]
    plan: PlanArgs,
}

/// Reads `--range` (and `--step`, `--integer`) into a grid.
fn knob_range(args: &SolveArgs) -> Result<Range, CliError> {
    let (bounds, inline_step) = match args.range.rsplit_once(':') {
        Some((b, s)) if b.contains("..") => (b, Some(s)),
        _ => (args.range.as_str(), None),
    };
    if inline_step.is_some() && args.step.is_some() {
        return Err(CliError::Usage(format!(
            "--range {} already gives a step; drop --step or the ':{}'",
            args.range,
            inline_step.unwrap_or_default()
        )));
    }
    let step = inline_step.or(args.step.as_deref());
    let range = Range::parse(bounds, step, DefaultStep::Divisions(1000))
        .map_err(|e| CliError::Usage(format!("--range: {e}")))?
        .ok_or_else(|| {
            CliError::Usage(format!(
                "--range '{}' is not a range of numbers or durations; write LO..HI, e.g. 1..16, 10000..200000 or 1h..48h",
                args.range
            ))
        })?;
    if args.integer && range.kind != Kind::Integer {
        return Err(CliError::Usage(format!(
            "--integer needs whole-number bounds (got --range {})",
            args.range
        )));
    }
    Ok(range)
}

/// Runs the search and writes the evidence.
pub fn run(args: &SolveArgs) -> Result<u8, CliError> {
    let range = knob_range(args)?;
    let target = expr::parse(&args.target).map_err(syncsim::planner::PlannerError::from)?;
    let base = Base {
        file: args.scenario.read()?,
        overrides: args.scenario.overrides(),
    };
    let mut spec = SolveSpec {
        path: args.vary.trim().to_string(),
        range,
        target,
        greatest: args.greatest,
        replications: 1,
    };
    // Both ends are validated before anything runs, so a bad range costs nothing.
    let lo = spec.scenario(&base, 0)?;
    let hi = spec.scenario(&base, spec.last())?;
    spec.replications = args.plan.replications.unwrap_or(lo.replications as u64);
    args.plan.check_memory([&lo, &hi], spec.replications)?;
    args.plan
        .check_work([&lo, &hi], solve::max_candidates(&spec) * spec.replications)?;
    let mut out = args.plan.output_dir(&lo.name)?;
    out.check(&["solve.csv"])?;

    let bar = super::progress_bar(
        solve::max_candidates(&spec) * spec.replications,
        args.plan.quiet,
        "simulations (at most)",
    );
    let started = Instant::now();
    let tick = || bar.inc(1);
    let solution = super::with_threads(args.plan.threads, || solve::solve(&base, &spec, &tick))??;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    out.write("solve.csv", |w| {
        tables::write_solve_csv(&spec, &solution, w)
    })?;
    let shown = out.path().join("solve.csv").display().to_string();
    out.finish()?;
    if !args.plan.quiet {
        let _ = print(|w| {
            writeln!(
                w,
                "{}: {} {} in {} ({} grid of {} values) for which {} holds; {} replication{} per candidate, the same seeds for each (ran in {elapsed:.2} s)",
                lo.name,
                if spec.greatest { "greatest" } else { "least" },
                spec.path,
                args.range,
                spec.range.kind,
                spec.range.len(),
                spec.target,
                spec.replications,
                if spec.replications == 1 { "" } else { "s" },
            )?;
            tables::write_solve_terminal(&spec, &solution, w)?;
            writeln!(w, "Evidence in {shown}")
        });
    } else {
        for warning in &solution.warnings {
            eprintln!("warning: {warning}");
        }
    }
    Ok(0)
}
