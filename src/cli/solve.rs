//! `syncsim solve FILE --vary PATH --range LO..HI --target EXPR`: the least (or greatest)
//! value of a knob for which a target holds, by bisection with common random numbers.

use std::time::Instant;

use clap::Args;

use super::{print, CliError, PlanArgs, ScenarioArgs};
use syncsim::engine::seeds::varies_by_seed;
use syncsim::expr::{self, Stat};
use syncsim::planner::grid::{DefaultStep, Kind, Range};
use syncsim::planner::solve::{self, Precision, SolveSpec};
use syncsim::planner::Base;
use syncsim::report::compare::confidence_text;
use syncsim::report::planner as tables;
use syncsim::scenario::Scenario;
use syncsim::units::parse_duration;

/// Arguments of `syncsim solve`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  # Least throughput per worker so that 90% of replications clear the bulk update within 8 h
  syncsim solve scenarios/reference-tenth.toml --vary sync.throughput --range 2000..20000 \\
      --target \"event.opportunity_bulk.clear_h p90 <= 8h\" --replications 36
  # The same, adding replications until the answer's 95% interval is at most 50 wide
  syncsim solve scenarios/reference-tenth.toml --vary sync.throughput --range 2000..20000 \\
      --target \"event.opportunity_bulk.clear_h p90 <= 8h\" --precision 50
  # Least number of workers (MBQ) that keeps the mean peak backlog under 100K
  syncsim solve scenarios/reference.toml --vary sync.workers --range 1..16 \\
      --target \"backlog.max mean <= 100K\" --replications 10
  # Greatest bulk size for which Lead p95 latency stays within 15 minutes in 90% of runs
  syncsim solve scenarios/reference.toml --vary events.opportunity_bulk.count \\
      --range 10000..300000 --step 10000 --greatest --target \"latency.Lead.p95_min p90 <= 15m\"

The range is a grid: integers step by 1 (or --step), reals by --step [default: (HI-LO)/1000],
durations (LO..HI as 0..24h) by --step [default: (HI-LO)/1000]. Both ends run first; then
bisection. Every candidate runs the same replication seeds. The answer comes with the interval
of knob values where it could lie at --confidence (95%: from the first value whose target does
not surely fail to the first where it surely holds). A percentile target needs enough
replications to be bounded (p90 at 95%: 36; p50: 6): fewer given is refused, none given runs
that many. Prints the evidence table and writes it to solve.csv. When the target holds
nowhere, or everywhere, in the range the exit code is still 0 and the message says so.
Expressions and details: docs/planner.md.")]
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
    /// Add replications (doubling; runs already made are kept) until the answer's interval is
    /// at most this wide: a value in the knob's unit (a duration for a duration knob), or a
    /// percentage of the answer (5%).
    #[arg(long, value_name = "WIDTH")]
    precision: Option<String>,
    /// The most replications per candidate --precision may reach.
    #[arg(long, value_name = "R", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    max_replications: u64,
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

/// Reads `--precision`: a width in the knob's unit (a duration for a duration knob), or a
/// percentage of the answer.
fn parse_precision(text: &str, kind: Kind) -> Result<Precision, CliError> {
    let t = text.trim();
    let bad = |why: &str| {
        CliError::Usage(format!(
            "--precision {text}: {why}; write the widest interval you accept, in the knob's unit \
             (500, or 30m for a duration knob), or as a share of the answer (5%)"
        ))
    };
    if let Some(p) = t.strip_suffix('%') {
        return match p.trim().parse::<f64>() {
            Ok(f) if f > 0.0 && f.is_finite() => Ok(Precision::Fraction(f / 100.0)),
            _ => Err(bad("not a percentage above 0")),
        };
    }
    let width = match kind {
        Kind::Duration => parse_duration(t)
            .map(|ms| ms as f64)
            .map_err(|_| bad("not a duration"))?,
        _ => t.parse::<f64>().map_err(|_| bad("not a number"))?,
    };
    if width > 0.0 && width.is_finite() {
        Ok(Precision::Width(width))
    } else {
        Err(bad("not above 0"))
    }
}

/// The replications per candidate to start with, and a note when they were raised: a
/// percentile target needs enough replications to be bounded at the confidence asked
/// ([`SolveSpec::needed_replications`]), unless every replication is the same run. Given
/// explicitly and too few, it is bad input.
fn replications(
    args: &SolveArgs,
    spec: &SolveSpec,
    ends: [&Scenario; 2],
) -> Result<(u64, Option<String>), CliError> {
    let varies = ends.iter().any(|sc| varies_by_seed(sc));
    let needed = if varies {
        spec.needed_replications()
    } else {
        1
    };
    let hardest = spec
        .target
        .conditions
        .iter()
        .max_by_key(|c| solve::needed(c, spec.confidence))
        .expect("a target has a condition");
    let ci = confidence_text(spec.confidence);
    let why = format!(
        "'{}' needs at least {needed} replications for its {} to have a {ci} interval{}",
        hardest,
        hardest.stat,
        match hardest.stat {
            Stat::Percentile(p) => format!(
                " (with fewer, the largest replication lies below the {p}th percentile too \
                 often to bound it)"
            ),
            _ => String::new(),
        }
    );
    match args.plan.replications {
        Some(r) if r < needed => Err(CliError::Usage(format!(
            "--replications {r}: {why}; use --replications {needed} or more, or --precision to \
             add replications until the answer is as narrow as you need"
        ))),
        Some(r) => Ok((r, None)),
        None => {
            let own = ends[0].replications as u64;
            if own >= needed {
                Ok((own, None))
            } else {
                Ok((
                    needed,
                    Some(format!("{why}: running {needed} per candidate")),
                ))
            }
        }
    }
}

/// Runs the search and writes the evidence.
pub fn run(args: &SolveArgs) -> Result<u8, CliError> {
    let range = knob_range(args)?;
    let target = expr::parse(&args.target).map_err(syncsim::planner::PlannerError::from)?;
    let base = Base {
        file: args.scenario.read()?,
        overrides: args.scenario.overrides(),
    };
    let precision = args
        .precision
        .as_deref()
        .map(|p| parse_precision(p, range.kind))
        .transpose()?;
    let mut spec = SolveSpec {
        path: args.vary.trim().to_string(),
        range,
        target,
        greatest: args.greatest,
        replications: 1,
        confidence: args.plan.confidence,
        precision,
        max_replications: args.max_replications,
    };
    // Both ends are validated before anything runs, so a bad range costs nothing.
    let lo = spec.scenario(&base, 0)?;
    let hi = spec.scenario(&base, spec.last())?;
    let (replications, note) = replications(args, &spec, [&lo, &hi])?;
    spec.replications = replications;
    let most = if spec.precision.is_some() {
        spec.max_replications.max(replications)
    } else {
        replications
    };
    args.plan.check_memory([&lo, &hi], most)?;
    let mut out = args.plan.output_dir(&lo.name)?;
    out.check(&["solve.csv"])?;

    let bar = super::progress_bar(
        solve::max_candidates(&spec) * spec.replications,
        args.plan.quiet,
        "simulations (at most)",
    );
    let started = Instant::now();
    let tick = || bar.inc(1);
    let mut runner = args.plan.runner([&lo, &hi], most, true);
    let solution = super::with_threads(args.plan.threads, || {
        solve::solve(&base, &spec, &mut runner, &tick)
    })??;
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
                "{}: {} {} in {} ({} grid of {} values) for which {} holds; {} replication{} per candidate, the same seeds for each, {} intervals (ran in {elapsed:.2} s)",
                lo.name,
                if spec.greatest { "greatest" } else { "least" },
                spec.path,
                args.range,
                spec.range.kind,
                spec.range.len(),
                spec.target,
                solution.replications,
                if solution.replications == 1 { "" } else { "s" },
                confidence_text(spec.confidence),
            )?;
            if let Some(note) = &note {
                writeln!(w, "Note: {note}")?;
            }
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
