//! `syncsim schedule FILE --event NAME --window START..END`: search start times and splits
//! of a bulk update for the plan that meets the constraints with the least impact.

use std::time::Instant;

use clap::Args;

use super::{print, CliError, PlanArgs, ScenarioArgs, TablePart};
use syncsim::engine::seeds::varies_by_seed;
use syncsim::expr::{self, Expr};
use syncsim::planner::schedule::{self, Bulk, ScheduleSpec};
use syncsim::planner::solve;
use syncsim::planner::{Base, PlannerError};
use syncsim::report::compare::confidence_text;
use syncsim::report::output::OutputError;
use syncsim::report::planner as tables;
use syncsim::shard::ShardSpec;
use syncsim::text::thousands;
use syncsim::units::{parse_duration, Millis};

/// The file the recommended plan is written to.
pub const SNIPPET_FILE: &str = "recommended.toml";

/// Arguments of `syncsim schedule`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  # Which hour of the first four days should the mass update start, keeping Leads fresh?
  syncsim schedule scenarios/reference.toml --event opportunity_bulk --window 0..4d --every 1h \\
      --constraint \"latency.Lead.p95_min p90 <= 30m\" --replications 10
  # Also try splitting it into parts of 50K or 100K records, 2 or 6 hours apart
  syncsim schedule scenarios/reference.toml --event opportunity_bulk \\
      --window 2026-11-23T18:00:00Z..2026-11-24T06:00:00Z --every 2h \\
      --split-sizes 50000,100000 --spacing 2h,6h \\
      --constraint \"plan.clear_at_h p90 <= 56h\" --rank-by \"backlog.max p90\"

Plans: every start time of the window (END excluded), each unsplit and split into parts of
each size at each spacing (time between the starts of consecutive parts; parts named
<event>_part2, ...). plan.clear_h is the whole update's clear time, plan.clear_at_h when it
clears (hours after the scenario's start). Plans meeting every constraint are ranked by
--rank-by [default: plan.clear_h p50], then backlog.max p50, then earliest; lower is better.
Plans whose rank metric cannot be told apart from the best's at --confidence are one group
(subset selection with common random numbers); the recommendation is the earliest of them.
Prints the best 5, writes recommended.toml (tables to paste into the scenario) and
schedule.csv (every plan). Details: docs/planner.md.")]
pub struct ScheduleArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The bulk_update event to move (and split).
    #[arg(long, value_name = "NAME")]
    event: String,
    /// Start times to try: START..END, each a time after the scenario's start (0..7d) or an
    /// RFC 3339 instant; END is excluded.
    #[arg(long, value_name = "START..END")]
    window: String,
    /// Spacing of the start times.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    every: String,
    /// Records per part to try, comma-separated (e.g. 50000,100000); needs --spacing.
    #[arg(long, value_name = "N,...", value_delimiter = ',', value_parser = parse_count)]
    split_sizes: Vec<u32>,
    /// Times between the starts of consecutive parts to try, comma-separated (e.g. 2h,6h).
    #[arg(long, value_name = "DURATION,...", value_delimiter = ',', value_parser = parse_spacing)]
    spacing: Vec<Millis>,
    /// What every plan must meet, e.g. "latency.Lead.p95_min p90 <= 15m". Repeatable: all
    /// must hold.
    #[arg(long, value_name = "EXPR")]
    constraint: Vec<String>,
    /// What ranks the plans that meet the constraints, lower first: METRIC [STAT]
    /// [default: plan.clear_h p50].
    #[arg(long, value_name = "METRIC")]
    rank_by: Option<String>,
    /// How many of the best plans to print.
    #[arg(long, value_name = "N", default_value_t = 5)]
    top: usize,
    #[command(flatten)]
    plan: PlanArgs,
    /// Run only shard K of N: the plans whose index modulo N is K-1, written to
    /// schedule.shard-K-of-N.part (join the parts with `syncsim merge`); `auto` (or `auto/N`)
    /// takes K and N from a Slurm array task or a Kubernetes Indexed Job.
    #[arg(long, value_name = "K/N", value_parser = ShardSpec::parse)]
    shard: Option<ShardSpec>,
}

fn parse_count(text: &str) -> Result<u32, String> {
    text.trim()
        .replace('_', "")
        .parse::<u32>()
        .map_err(|_| format!("'{text}' is not a number of records"))
}

fn parse_spacing(text: &str) -> Result<Millis, String> {
    parse_duration(text.trim()).map_err(|e| e.to_string())
}

impl ScheduleArgs {
    /// The scenario whose bulk update is moved and split (for `syncsim jobs`).
    pub(super) fn job_scenario(&self) -> Result<syncsim::scenario::Scenario, CliError> {
        let base = Base {
            file: self.scenario.read()?,
            overrides: self.scenario.overrides(),
        };
        Ok(base.scenario()?)
    }
}

/// Searches the plans and writes the table and the recommendation.
pub fn run(args: &ScheduleArgs) -> Result<u8, CliError> {
    let base = Base {
        file: args.scenario.read()?,
        overrides: args.scenario.overrides(),
    };
    let sc = base.scenario()?;
    let bulk = Bulk::find(&sc, args.event.trim())?;
    let starts = schedule::window(&args.window, &args.every, sc.start)?;
    let mut constraints: Option<Expr> = None;
    for text in &args.constraint {
        let e = expr::parse(text).map_err(PlannerError::from)?;
        match &mut constraints {
            None => constraints = Some(e),
            Some(all) => all.conditions.extend(e.conditions),
        }
    }
    let rank_by = schedule::rank_by(args.rank_by.as_deref().unwrap_or(schedule::DEFAULT_RANK))?;
    let spec = ScheduleSpec {
        bulk,
        starts,
        part_sizes: args.split_sizes.clone(),
        spacings: args.spacing.clone(),
        constraints,
        rank_by,
        replications: args.plan.replications.unwrap_or(sc.replications as u64),
    };
    let shard = super::resolve_shard(args.shard)?;
    let prepared = schedule::prepare(&base, &spec, shard)?;
    let simulations = prepared.plans.len() as u64 * spec.replications;
    args.plan
        .check_memory(prepared.scenarios.iter().chain([&sc]), simulations)?;
    args.plan
        .check_work(prepared.scenarios.iter().chain([&sc]), simulations)?;
    let mut out = args.plan.output_dir(&sc.name)?;
    let table_file = shard.file_name("schedule");
    let mut files = vec![table_file.as_str()];
    if shard.is_whole() {
        files.push(SNIPPET_FILE);
    }
    out.check(&files)?;

    let bar = super::progress_bar(simulations, args.plan.quiet, "simulations");
    let started = Instant::now();
    let tick = || bar.inc(1);
    let mut runner = args
        .plan
        .runner(prepared.scenarios.iter().chain([&sc]), simulations, false);
    let results = super::with_threads(args.plan.threads, || {
        schedule::run(&spec, &prepared, &mut runner, &tick)
    })??;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let ranked = schedule::ranking(&results);
    // A constraint on a percentile that these replications cannot bound is a coin toss.
    let few = spec.constraints.as_ref().and_then(|e| {
        let c = e
            .conditions
            .iter()
            .max_by_key(|c| solve::needed(c, args.plan.confidence))?;
        let needed = solve::needed(c, args.plan.confidence);
        (varies_by_seed(&sc) && spec.replications < needed).then(|| {
            format!(
                "'{c}' needs at least {needed} replications for its {} to have a {} interval; \
                 with {}, whether a plan meets it near its bound depends on the seeds (use \
                 --replications {needed})",
                c.stat,
                confidence_text(args.plan.confidence),
                spec.replications
            )
        })
    });
    let recommendation = schedule::recommend(&spec, &ranked, args.plan.confidence);
    let why = recommendation.as_ref().map_or(Vec::new(), |r| {
        tables::recommendation_lines(&spec, sc.start, &ranked, r, !shard.is_whole())
    });
    let pick = recommendation.as_ref().map(|r| ranked[r.pick]);
    if shard.is_whole() {
        out.write(&table_file, |w| {
            tables::write_schedule_csv(&spec, sc.start, &results, w)
        })?;
    } else {
        let mut csv = Vec::new();
        tables::write_schedule_csv(&spec, sc.start, &results, &mut csv)
            .map_err(|e| OutputError::io(out.path(), e))?;
        let options = format!(
            "replications={} confidence={} event={} window={} every={} split={:?} spacing={:?} constraint={:?} rank_by={:?}",
            spec.replications,
            args.plan.confidence,
            args.event.trim(),
            args.window,
            args.every,
            args.split_sizes,
            args.spacing,
            args.constraint,
            args.rank_by
        );
        let part = TablePart {
            command: "schedule",
            item: "plan",
            scenario: &sc,
            options,
            items: prepared.total as u64,
            arguments: args.scenario.arguments(None, false),
        }
        .part(shard, csv);
        out.write(&table_file, |w| w.write_all(&part.to_bytes()))?;
    }
    let snippet = tables::snippet(&spec, &sc, pick, &why);
    if shard.is_whole() {
        out.write(SNIPPET_FILE, |w| w.write_all(snippet.as_bytes()))?;
    }
    let shown = |name: &str| out.path().join(name).display().to_string();
    let (table_shown, snippet_shown) = (shown(&table_file), shown(SNIPPET_FILE));
    out.finish()?;
    if args.plan.quiet {
        return Ok(0);
    }
    let b = &spec.bulk;
    let splits = prepared.total / spec.starts.len();
    let _ = print(|w| {
        writeln!(
            w,
            "{}: schedule of event {} ({} {} records): {} plans ({} start times x {} split{}), {} replication{} each, the same seeds for every plan (ran in {elapsed:.2} s)",
            sc.name,
            b.name,
            thousands(b.count as u64),
            b.object,
            prepared.total,
            spec.starts.len(),
            splits,
            if splits == 1 { "" } else { "s" },
            spec.replications,
            if spec.replications == 1 { "" } else { "s" },
        )?;
        if !shard.is_whole() {
            writeln!(
                w,
                "Shard {shard}: {} plans; the ranking below covers this shard only (merge the shards' tables with `syncsim merge`).",
                prepared.plans.len()
            )?;
        }
        match &spec.constraints {
            Some(e) => writeln!(w, "Constraints: {e}")?,
            None => writeln!(w, "Constraints: none")?,
        }
        if let Some(note) = &few {
            writeln!(w, "Note: {note}")?;
        }
        writeln!(
            w,
            "Ranked by {} {}, then {} p50, then the earliest plan (lower is better); {} of {} plans meet the constraints.",
            spec.rank_by.0,
            spec.rank_by.1,
            schedule::TIE_BREAK,
            ranked.len(),
            results.len()
        )?;
        if ranked.is_empty() {
            writeln!(
                w,
                "\nNo plan meets the constraints. {table_shown} holds every plan's statistics: relax a constraint, widen --window or try other splits."
            )?;
            return Ok(());
        }
        writeln!(w)?;
        let group = recommendation
            .as_ref()
            .map_or(&[][..], |r| r.ties.group.as_slice());
        tables::write_ranking(&spec, sc.start, &ranked, args.top, group, w)?;
        writeln!(w)?;
        for line in &why {
            writeln!(w, "{line}")?;
        }

        if shard.is_whole() {
            writeln!(w, "Scenario tables to paste, in {snippet_shown}:\n")?;
            write!(w, "{snippet}")?;
            writeln!(w)?;
        }
        writeln!(w, "Every plan in {table_shown}")
    });
    Ok(0)
}
