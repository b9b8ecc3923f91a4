//! `syncsim sweep FILE --set PATH=v1,v2,... --set PATH=lo..hi:step`: run every point of a grid
//! over scenario values and write one row of aggregated metrics per point.

use std::time::Instant;

use clap::Args;

use super::run::ReportFormat;
use super::{print, CliError, PlanArgs, ScenarioArgs, TablePart};
use syncsim::planner::grid::{self, Grid, SetArg};
use syncsim::planner::{sweep, Base};
use syncsim::report::planner as tables;
use syncsim::report::sweep_chart::{self as chart, MetricChoice, SweepChart};
use syncsim::scenario::{Override, Scenario};
use syncsim::shard::ShardSpec;
use syncsim::summary::metric_names;

/// Arguments of `syncsim sweep`.
#[derive(Debug, Args)]
#[command(after_help = "A --set with several values makes an axis of the grid:
  --set PATH=v1,v2,...        the values listed (commas inside quotes or [...] do not split)
  --set PATH=lo..hi           integers lo, lo+1, ..., hi
  --set PATH=lo..hi:step      numbers or durations from lo by step; hi is always the last point
A --set with one value overrides that key at every point, as in `syncsim run`.
Points run in nested-loop order: the first axis varies slowest, the last fastest.

Examples:
  syncsim sweep scenarios/reference.toml --set sync.workers=1..4 --replications 20
  syncsim sweep scenarios/reference.toml --set sync.throughput=20000..80000:10000 \\
      --set sync.policy=fifo,priority --out output/ref-sweep
  syncsim sweep scenarios/reference.toml --set events.opportunity_bulk.at=0..48h:6h
  syncsim sweep scenarios/reference.toml --set sync.workers=1..8 --shard 2/4 --out shards/2
  syncsim merge output/sweep.csv shards/*/sweep.shard-*-of-4.csv

Writes sweep.csv (sweep.shard-K-of-N.csv with --shard): one row per point, columns point,
the swept keys, then <metric>:mean, :mean_ci_low, :mean_ci_high, :p50, :p90 for every scalar
metric. With the default --format also sweep.png and sweep.svg: the --metric against the
numeric swept key with the most values (durations in hours), one line per value of the other
keys (at most 10 lines), error bars the 95% confidence interval, a gap where the value is
undefined. No chart with --shard. Under the table: the best point by the chart's metric
(its mean) and the points that cannot be told apart from it at --confidence (subset
selection with common random numbers). Details: docs/planner.md.")]
pub struct SweepArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    #[command(flatten)]
    plan: PlanArgs,
    /// Run only shard K of N: the points whose index modulo N is K-1, written to
    /// sweep.shard-K-of-N.part (then join the parts with `syncsim merge`); `auto` (or
    /// `auto/N`) takes K and N from a Slurm array task or a Kubernetes Indexed Job.
    #[arg(long, value_name = "K/N", value_parser = ShardSpec::parse)]
    shard: Option<ShardSpec>,
    /// Files to write, comma-separated: sweep.csv is always written; png and svg add the
    /// chart (`--format csv`: no chart). A sweep has no HTML report.
    #[arg(
        long,
        value_name = "LIST",
        value_enum,
        value_delimiter = ',',
        default_value = "csv,png,svg"
    )]
    format: Vec<ReportFormat>,
    /// The metric the chart shows: NAME (its mean, error bars its 95% confidence interval),
    /// NAME:p90 (error bars its 95% confidence interval) or NAME:p50 [default: the first
    /// event's clear_h, or backlog.max without events].
    #[arg(long, value_name = "NAME[:STAT]", value_parser = MetricChoice::parse, conflicts_with = "shard")]
    metric: Option<MetricChoice>,
}

/// The scenario file with the plain overrides, the grid of the swept `--set`s, and those
/// `--set`s as typed.
fn grid_of(args: &SweepArgs) -> Result<(Base, Grid, Vec<&str>), CliError> {
    let mut overrides = args.scenario.shorthands();
    let mut axes = Vec::new();
    let mut swept = Vec::new();
    for set in &args.scenario.set {
        match grid::parse_set(set).map_err(CliError::Usage)? {
            SetArg::One(assignment) => overrides.push(Override::set(&assignment)),
            SetArg::Many(axis) => {
                axes.push(axis);
                swept.push(set.as_str());
            }
        }
    }
    if axes.is_empty() {
        return Err(CliError::Usage(
            "nothing to sweep: give at least one --set with several values, e.g. \
             --set sync.workers=1,2,4 or --set sync.throughput=10000..50000:10000 \
             (to run one scenario, use `syncsim run`)"
                .into(),
        ));
    }
    let base = Base {
        file: args.scenario.read()?,
        overrides,
    };
    let grid = Grid::new(axes).map_err(CliError::Usage)?;
    Ok((base, grid, swept))
}

impl SweepArgs {
    /// Every point's scenario (for `syncsim jobs`, which asks for the largest one's memory).
    pub(super) fn job_scenarios(&self) -> Result<Vec<Scenario>, CliError> {
        let (base, grid, _) = grid_of(self)?;
        let prepared = sweep::prepare(&base, grid, syncsim::shard::Shard::WHOLE)?;
        Ok(prepared.scenarios)
    }
}

/// Runs the sweep and writes its table.
pub fn run(args: &SweepArgs) -> Result<u8, CliError> {
    let formats = ReportFormat::resolve(&args.format);
    if formats.html {
        return Err(CliError::Usage(
            "a sweep writes no HTML report; --format takes csv, png and svg".into(),
        ));
    }
    let (base, grid, swept) = grid_of(args)?;
    let shard = super::resolve_shard(args.shard)?;
    let prepared = sweep::prepare(&base, grid, shard)?;
    let first = &prepared.first;
    let replications = args.plan.replications.unwrap_or(first.replications as u64);
    let simulations = prepared.points.len() as u64 * replications;
    args.plan
        .check_memory(prepared.scenarios.iter().chain([first]), simulations)?;
    args.plan
        .check_work(prepared.scenarios.iter().chain([first]), simulations)?;
    let mut out = args.plan.output_dir(&first.name)?;
    let file = shard.file_name("sweep");
    // A shard holds part of the grid: the chart is the merged table's.
    let charts = if shard.is_whole() {
        chart::chart_files(formats)
    } else {
        Vec::new()
    };
    let mut names = vec![file.clone()];
    names.extend(charts.iter().cloned());
    out.check(&names.iter().map(String::as_str).collect::<Vec<_>>())?;

    let bar = super::progress_bar(simulations, args.plan.quiet, "simulations");
    let started = Instant::now();
    let tick = || bar.inc(1);
    let mut runner = args
        .plan
        .runner(prepared.scenarios.iter().chain([first]), simulations, false);
    // The metric the chart shows is the one ties are judged by.
    let judged = args
        .metric
        .clone()
        .unwrap_or_else(|| MetricChoice::default_for(&metric_names(first)));
    let table = super::with_threads(args.plan.threads, || {
        sweep::run(
            &prepared,
            replications,
            Some((judged.metric.as_str(), args.plan.confidence)),
            &mut runner,
            &tick,
        )
    })??;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    // Checked before any file is written: a misspelt --metric leaves the folder as it was.
    if let Some(choice) = &args.metric {
        chart::check(&table, choice)?;
    }
    let drawn = if charts.is_empty() {
        None
    } else {
        let choice = args
            .metric
            .clone()
            .unwrap_or_else(|| MetricChoice::default_for(&table.metrics));
        Some(chart::chart(&table, &first.name, &choice)?)
    };
    if shard.is_whole() {
        out.write(&file, |w| tables::write_sweep_csv(&table, w))?;
    } else {
        let mut csv = Vec::new();
        tables::write_sweep_csv(&table, &mut csv)
            .map_err(|e| syncsim::report::output::OutputError::io(out.path(), e))?;
        let part = TablePart {
            command: "sweep",
            item: "point",
            scenario: first,
            options: format!("replications={replications} grid={}", swept.join(" ")),
            items: prepared.grid.len() as u64,
            arguments: args.scenario.arguments(None, false),
        }
        .part(shard, csv);
        out.write(&file, |w| w.write_all(&part.to_bytes()))?;
    }
    let chart_note = match &drawn {
        Some(SweepChart::Drawn { chart: c, note }) => {
            chart::write_chart(&mut out, Some(c), formats)?;
            Some(format!("Chart in {}: {note}", charts.join(", ")))
        }
        Some(SweepChart::Skipped { note }) => {
            chart::write_chart(&mut out, None, formats)?;
            Some(format!("Note: {note}"))
        }
        None if shard.is_whole() => {
            chart::write_chart(&mut out, None, formats)?;
            None
        }
        None => None,
    };
    let shown = out.path().join(&file).display().to_string();
    out.finish()?;
    if !args.plan.quiet {
        let _ = print(|w| {
            write!(
                w,
                "{}: sweep of {} point{} x {replications} replication{}",
                first.name,
                prepared.grid.len(),
                if prepared.grid.len() == 1 { "" } else { "s" },
                if replications == 1 { "" } else { "s" },
            )?;
            if !shard.is_whole() {
                write!(w, ", shard {shard}: {} points", prepared.points.len())?;
            }
            writeln!(w, " (ran in {elapsed:.2} s)")?;
            tables::write_sweep_terminal(&table, 40, w)?;
            if let Some(ties) = &table.ties {
                for line in tables::sweep_lines(&table, ties, !shard.is_whole()) {
                    writeln!(w, "{line}")?;
                }
            }
            writeln!(w, "Table in {shown}")?;
            match &chart_note {
                Some(note) => writeln!(w, "{note}"),
                None => Ok(()),
            }
        });
    }
    Ok(0)
}
