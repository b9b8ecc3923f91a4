//! `syncsim compare BASE [VARIANT...] [--variant 'PATH=VALUE; ...']`: the base and each
//! variant run with the same replication seeds; each headline metric's paired difference,
//! its confidence interval and a verdict, in the terminal, `compare.csv` and `compare.html`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{print, CliError, PlanArgs, ScenarioArgs};
use syncsim::load::ScenarioFile;
use syncsim::planner::compare::{self, Variant};
use syncsim::planner::Base;
use syncsim::report::compare as tables;
use syncsim::report::html;
use syncsim::text::thousands;

/// Replications when neither `--replications` nor the scenario's `replications` (above 1)
/// says: enough for a t interval to mean something.
pub const DEFAULT_REPLICATIONS: u64 = 20;

/// Arguments of `syncsim compare`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  # Priority or FIFO? One worker or two? 20 paired replications of each
  syncsim compare scenarios/reference-tenth.toml --variant sync.policy=priority \\
      --variant 'sync.workers=2'
  # Two scenario files against a base, 50 replications, 90% intervals
  syncsim compare q4.toml q4-saturday.toml q4-split.toml --replications 50 --confidence 0.9

Every variant runs the base's replication seeds (a variant file's own seed is replaced, and
said so), so background edits are the same in every variant. For each headline metric (each
event's clear and recovery time, the highest and final backlog, latency p50/p90/p99 per
object, errors and API figures when the scenarios have them): the base's and the variant's
mean, the difference variant - base with its confidence interval, and a verdict: better,
worse, or no detectable difference. Writes compare.csv and compare.html into
output/<base name>/ (or --out). Replications default to the scenario's, or 20.
Details: docs/planner.md.")]
pub struct CompareArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Variant scenario files, each compared with the base (FILE).
    #[arg(value_name = "VARIANT")]
    variants: Vec<PathBuf>,
    /// A variant as assignments on the base, separated by ';', e.g. 'sync.workers=2;
    /// sync.throughput=60000'. Repeatable: one variant each.
    #[arg(long = "variant", value_name = "PATH=VALUE;...")]
    sets: Vec<String>,
    #[command(flatten)]
    plan: PlanArgs,
}

/// Runs the comparison and writes its files.
pub fn run(args: &CompareArgs) -> Result<u8, CliError> {
    let overrides = args.scenario.overrides();
    let base = Base {
        file: args.scenario.read()?,
        overrides: overrides.clone(),
    };
    let base_sc = base.scenario()?;
    let mut variants: Vec<Variant> = Vec::new();
    for path in &args.variants {
        let file = ScenarioFile::read(path)?;
        let label = path.display().to_string();
        variants.push(compare::from_file(&base_sc, &file, &label, &overrides)?);
    }
    for text in &args.sets {
        variants.push(compare::from_assignments(&base, text)?);
    }
    if variants.is_empty() {
        return Err(CliError::Usage(
            "nothing to compare: give variant files after the base, or --variant with \
             assignments, e.g. --variant 'sync.workers=2'"
                .into(),
        ));
    }
    let replications = args
        .plan
        .replications
        .unwrap_or(if base_sc.replications > 1 {
            base_sc.replications as u64
        } else {
            DEFAULT_REPLICATIONS
        });
    let all: Vec<&syncsim::scenario::Scenario> = std::iter::once(&base_sc)
        .chain(variants.iter().map(|v| &v.scenario))
        .collect();
    let simulations = all.len() as u64 * replications;
    args.plan.check_memory(all.iter().copied(), simulations)?;
    let mut out = args.plan.output_dir(&base_sc.name)?;
    out.check(&[tables::CSV_FILE, html::COMPARE_FILE])?;

    let bar = super::progress_bar(simulations, args.plan.quiet, "simulations");
    let started = Instant::now();
    let tick = || bar.inc(1);
    let mut runner = args.plan.runner(all.iter().copied(), simulations, false);
    let comparison = super::with_threads(args.plan.threads, || {
        compare::compare(
            &base_sc,
            &variants,
            replications,
            args.plan.confidence,
            &mut runner,
            &tick,
        )
    })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    out.write(tables::CSV_FILE, |w| tables::write_csv(&comparison, w))?;
    out.write(html::COMPARE_FILE, |w| html::write_compare(&comparison, w))?;
    let dir_shown = out.path().display().to_string();
    out.finish()?;
    if args.plan.quiet {
        return Ok(0);
    }
    let _ = print(|w| {
        writeln!(
            w,
            "{}: the base and {} variant{}, {} replication{} each with the base's seeds (paired: the same background edits in every variant); differences are variant - base, with their {} confidence interval",
            base_sc.name,
            variants.len(),
            if variants.len() == 1 { "" } else { "s" },
            thousands(replications),
            if replications == 1 { "" } else { "s" },
            tables::confidence_text(args.plan.confidence),
        )?;
        writeln!(w, "  ran in {elapsed:.2} s")?;
        for note in variants.iter().filter_map(|v| v.note.as_ref()) {
            writeln!(w, "Note: {note}")?;
        }
        tables::write_terminal(&comparison, w)?;
        writeln!(w)?;
        writeln!(
            w,
            "Reports in {dir_shown}/: {}, {}",
            tables::CSV_FILE,
            html::COMPARE_FILE
        )
    });
    Ok(0)
}
