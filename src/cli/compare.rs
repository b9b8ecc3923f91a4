//! `syncsim compare BASE [VARIANT...] [--variant 'PATH=VALUE; ...']`: the base and each
//! variant run with the same replication seeds; each headline metric's paired difference,
//! its confidence interval and a verdict, in the terminal, `compare.csv` and `compare.html`.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Parser};

use super::{print, CliError, PlanArgs, ScenarioArgs};
use syncsim::load::ScenarioFile;
use syncsim::planner::compare::{self, Variant};
use syncsim::planner::Base;
use syncsim::report::compare as tables;
use syncsim::report::html;
use syncsim::report::output::OutputDir;
use syncsim::scenario::Scenario;
use syncsim::shard::{self, Part, ShardSpec};
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
    /// Run only shard K of N of the replications (those whose index modulo N is K-1, of the
    /// base and every variant) and write compare.shard-K-of-N.part; `auto` (or `auto/N`)
    /// takes K and N from a Slurm array task or a Kubernetes Indexed Job. Join the parts with
    /// `syncsim merge` (docs/planner.md).
    #[arg(long, value_name = "K/N", value_parser = ShardSpec::parse)]
    shard: Option<ShardSpec>,
}

/// The base and its variants, loaded and checked.
fn load(args: &CompareArgs) -> Result<(Scenario, Vec<Variant>), CliError> {
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
    Ok((base_sc, variants))
}

impl CompareArgs {
    /// The base's and every variant's scenario (for `syncsim jobs`).
    pub(super) fn job_scenarios(&self) -> Result<Vec<Scenario>, CliError> {
        let (base, variants) = load(self)?;
        Ok(std::iter::once(base)
            .chain(variants.into_iter().map(|v| v.scenario))
            .collect())
    }
}

/// The fingerprint of a comparison's scenarios: the base's and every variant's, in order.
fn fingerprint(base: &Scenario, variants: &[Variant]) -> String {
    let all: Vec<String> = std::iter::once(base)
        .chain(variants.iter().map(|v| &v.scenario))
        .map(shard::fingerprint)
        .collect();
    all.join("+")
}

/// The arguments that load the base and its variants again, as a part records them.
fn arguments(args: &CompareArgs) -> Vec<String> {
    let mut a = args.scenario.arguments(None, false);
    a.extend(args.variants.iter().map(|p| p.display().to_string()));
    for text in &args.sets {
        a.extend(["--variant".to_string(), text.clone()]);
    }
    a
}

/// Runs the comparison and writes its files.
pub fn run(args: &CompareArgs) -> Result<u8, CliError> {
    let (base_sc, variants) = load(args)?;
    let replications = args
        .plan
        .replications
        .unwrap_or(if base_sc.replications > 1 {
            base_sc.replications as u64
        } else {
            DEFAULT_REPLICATIONS
        });
    let shard = super::resolve_shard(args.shard)?;
    let reps: Vec<u64> = shard.items(replications).collect();
    let all: Vec<&syncsim::scenario::Scenario> = std::iter::once(&base_sc)
        .chain(variants.iter().map(|v| &v.scenario))
        .collect();
    let simulations = all.len() as u64 * reps.len() as u64;
    args.plan.check_memory(all.iter().copied(), simulations)?;
    args.plan.check_work(all.iter().copied(), simulations)?;
    let mut out = args.plan.output_dir(&base_sc.name)?;
    let part_file = shard.part_name("compare");
    if shard.is_whole() {
        out.check(&[tables::CSV_FILE, html::COMPARE_FILE])?;
    } else {
        out.check(&[part_file.as_str()])?;
    }

    let bar = super::progress_bar(simulations, args.plan.quiet, "simulations");
    let started = Instant::now();
    let tick = || bar.inc(1);
    let mut runner = args.plan.runner(all.iter().copied(), simulations, false);
    if !shard.is_whole() {
        let outcomes = super::with_threads(args.plan.threads, || {
            compare::evaluate_shard(&base_sc, &variants, &reps, &mut runner, &tick)
        })?;
        bar.finish_and_clear();
        let part = Part {
            format: shard::FORMAT.into(),
            command: "compare".into(),
            version: shard::VERSION.into(),
            scenario: base_sc.name.clone(),
            fingerprint: fingerprint(&base_sc, &variants),
            options: format!(
                "replications={replications} confidence={} variants={}",
                args.plan.confidence,
                variants.len()
            ),
            shard,
            items: replications,
            item: "replication".into(),
            seed: base_sc.seed,
            arguments: arguments(args),
            body: compare::encode(&outcomes, &reps),
        };
        out.write(&part_file, |w| w.write_all(&part.to_bytes()))?;
        let shown = out.path().join(&part_file).display().to_string();
        out.finish()?;
        if !args.plan.quiet {
            let _ = print(|w| {
                writeln!(
                    w,
                    "{}: shard {shard} of {replications} replications of the base and {} variant{}: {} replication{} (ran in {:.2} s)",
                    base_sc.name,
                    variants.len(),
                    if variants.len() == 1 { "" } else { "s" },
                    reps.len(),
                    if reps.len() == 1 { "" } else { "s" },
                    started.elapsed().as_secs_f64()
                )?;
                writeln!(w, "Part in {shown}; join the parts with `syncsim merge`")
            });
        }
        return Ok(0);
    }
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
    write(
        &comparison,
        &base_sc,
        &variants,
        out,
        args.plan.quiet,
        &format!("  ran in {elapsed:.2} s"),
    )
}

/// Joins the parts of a sharded comparison into the files one run writes, in the folder
/// `dir`: the base and variants are loaded again from the arguments the parts record (so
/// merge in the folder the shards ran in) and must be the ones the shards ran.
pub fn merge(
    dir: &std::path::Path,
    parts: &[(String, Part)],
    force: bool,
    quiet: bool,
) -> Result<u8, CliError> {
    let first = &parts[0].1;
    let line = ["syncsim", "compare"]
        .into_iter()
        .map(str::to_string)
        .chain(first.arguments.iter().cloned());
    let reload = match super::Cli::try_parse_from(line) {
        Ok(super::Cli {
            command: super::Command::Compare(a),
        }) => a,
        _ => {
            return Err(CliError::Usage(format!(
                "'{}': its scenario arguments cannot be read",
                parts[0].0
            )))
        }
    };
    let (base_sc, variants) = load(&reload)?;
    let now = fingerprint(&base_sc, &variants);
    if now != first.fingerprint {
        return Err(CliError::Usage(format!(
            "the base and variants ({}) are not those the shards ran: fingerprint {now}, the parts' {}; they changed since, or the merge runs in another folder than the shards did",
            first.arguments.join(" "),
            first.fingerprint
        )));
    }
    let confidence: f64 = first
        .options
        .split_whitespace()
        .find_map(|o| o.strip_prefix("confidence="))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| {
            CliError::Usage(format!("'{}': no confidence in its options", parts[0].0))
        })?;
    let bodies: Vec<(String, &str)> = parts
        .iter()
        .map(|(n, p)| (n.clone(), p.body.as_str()))
        .collect();
    let outcomes =
        compare::join(&bodies, 1 + variants.len(), first.items).map_err(CliError::Usage)?;
    let comparison = compare::analyse(&base_sc, &variants, &outcomes, confidence);
    let out = OutputDir::open(dir, force)?;
    out.check(&[tables::CSV_FILE, html::COMPARE_FILE])?;
    write(
        &comparison,
        &base_sc,
        &variants,
        out,
        quiet,
        &format!("  merged from {} parts", parts.len()),
    )
}

/// Writes compare.csv and compare.html and prints the comparison, `how` under its first line.
fn write(
    comparison: &compare::Comparison,
    base_sc: &Scenario,
    variants: &[Variant],
    mut out: OutputDir,
    quiet: bool,
    how: &str,
) -> Result<u8, CliError> {
    let replications = comparison.replications;
    out.write(tables::CSV_FILE, |w| tables::write_csv(comparison, w))?;
    out.write(html::COMPARE_FILE, |w| html::write_compare(comparison, w))?;
    let dir_shown = out.path().display().to_string();
    out.finish()?;
    if quiet {
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
            tables::confidence_text(comparison.confidence),
        )?;
        writeln!(w, "{how}")?;
        for note in variants.iter().filter_map(|v| v.note.as_ref()) {
            writeln!(w, "Note: {note}")?;
        }
        tables::write_terminal(comparison, w)?;
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
