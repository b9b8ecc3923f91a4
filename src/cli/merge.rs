//! `syncsim merge OUT PART...`: join the parts written by the shards of a `run
//! --replications`, `sweep`, `schedule` or `compare` into exactly the files a single run
//! writes.

use std::path::{Path, PathBuf};

use clap::{Args, Parser};

use super::{print, CliError, ScenarioArgs};
use syncsim::planner::merge;
use syncsim::replicate;
use syncsim::report::output::OutputDir;
use syncsim::report::{self, montecarlo, Formats};
use syncsim::shard::{self, Part};

/// Arguments of `syncsim merge`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  syncsim merge output/sweep.csv shards/*/sweep.shard-*-of-8.part
  syncsim merge output/schedule.csv shards/*/schedule.shard-*-of-4.part
  syncsim merge output/q4-mc shards/*/run.shard-*-of-16.part
  syncsim merge output/q4-compare shards/*/compare.shard-*-of-4.part

The parts must come from the same command, scenario, options and syncsim version, every
shard once; anything else is refused (exit code 2) with a message naming the parts. A sweep or
schedule is merged into OUT, its table (sweep.csv, schedule.csv); the replications of `run`
into the folder OUT, with every report the single run writes (replication 0 is re-run there
from the scenario file the parts name: merge from the folder the shards ran in); a compare
into the folder OUT (compare.csv, compare.html). The merged
files are byte for byte those of a single run. Details: docs/planner.md.")]
pub struct MergeArgs {
    /// The merged table to write (a sweep or schedule), or the folder of the merged reports
    /// (run, compare); its folder is created if needed.
    #[arg(value_name = "OUT")]
    out: PathBuf,
    /// The shards' part files, in any order.
    #[arg(value_name = "PART", required = true)]
    shards: Vec<PathBuf>,
    /// Also check that the run has exactly this many points, plans or replications.
    #[arg(long, value_name = "N")]
    points: Option<u64>,
    /// Overwrite files syncsim did not write.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// The scenario arguments a part records, parsed again.
#[derive(Debug, Parser)]
#[command(name = "part")]
struct Reload {
    #[command(flatten)]
    scenario: ScenarioArgs,
    #[arg(long)]
    initial_backlog: Option<PathBuf>,
    #[arg(long)]
    skip_bad_rows: bool,
    #[arg(long)]
    dashboard_at: Vec<String>,
}

/// Checks and joins the parts, and writes the result atomically.
pub fn run(args: &MergeArgs) -> Result<u8, CliError> {
    let mut parts = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        let bytes = std::fs::read(path)
            .map_err(|e| CliError::Usage(format!("cannot read part '{}': {e}", path.display())))?;
        // The merged file must never replace a part it was made from.
        syncsim::data::inputs::note(path);
        let name = path.display().to_string();
        let part = Part::parse(&name, &bytes).map_err(|e| CliError::Usage(e.to_string()))?;
        parts.push((name, part));
    }
    let parts = shard::check(parts).map_err(|e| CliError::Usage(e.to_string()))?;
    let first = &parts[0].1;
    if let Some(n) = args.points.filter(|&n| n != first.items) {
        return Err(CliError::Usage(format!(
            "the parts hold {} {}s but --points says {n}",
            first.items, first.item
        )));
    }
    match first.command.as_str() {
        "run" => merge_run(args, &parts),
        "compare" => super::compare::merge(&args.out, &parts, args.force, args.quiet),
        _ => merge_table(args, &parts),
    }
}

/// A sweep's or schedule's table: the shards' rows in index order.
fn merge_table(args: &MergeArgs, parts: &[(String, Part)]) -> Result<u8, CliError> {
    let name = args
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "'{}' is not a file name; give the merged table's path, e.g. output/sweep.csv",
                args.out.display()
            ))
        })?;
    let inputs: Vec<(String, Vec<u8>)> = parts
        .iter()
        .map(|(n, p)| (n.clone(), p.body.as_bytes().to_vec()))
        .collect();
    let merged = merge::merge(&inputs, Some(parts[0].1.items))?;
    let dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    let mut out = OutputDir::open(&dir, args.force)?;
    out.write(&name, |w| w.write_all(&merged.bytes))?;
    out.finish()?;
    if !args.quiet {
        let _ = print(|w| {
            writeln!(
                w,
                "Merged {} {}s from {} part{} into {}",
                merged.rows,
                merged.index,
                parts.len(),
                if parts.len() == 1 { "" } else { "s" },
                args.out.display()
            )
        });
    }
    Ok(0)
}

/// The replications of a run: every report of the single run, in the folder OUT.
fn merge_run(args: &MergeArgs, parts: &[(String, Part)]) -> Result<u8, CliError> {
    let first = &parts[0].1;
    let reload = Reload::try_parse_from(
        std::iter::once("part".to_string()).chain(first.arguments.iter().cloned()),
    )
    .map_err(|e| {
        CliError::Usage(format!(
            "'{}': its scenario arguments cannot be read: {}",
            parts[0].0,
            e.to_string().lines().next().unwrap_or("")
        ))
    })?;
    let (sc, _) = reload
        .scenario
        .load_with_snapshot(reload.initial_backlog.as_deref(), reload.skip_bad_rows)?;
    let fingerprint = shard::fingerprint(&sc);
    if fingerprint != first.fingerprint {
        return Err(CliError::Usage(format!(
            "the scenario '{}' (with {}) is not the one the shards ran: fingerprint {fingerprint}, the parts' {}; it changed since, or the merge runs in another folder than the shards did",
            reload.scenario.file.display(),
            first.arguments.join(" "),
            first.fingerprint
        )));
    }
    let formats = formats_of(&first.options);
    let mut out = OutputDir::open(&args.out, args.force)?;
    let names = report::run_file_names(formats, true);
    out.check(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
    let dashboard_at = super::run::dashboard_instants(&reload.dashboard_at, &sc)?;
    let mc = replicate::join(&sc, parts).map_err(CliError::Usage)?;
    let first = mc.first.clone().with_dashboards_at(&dashboard_at);
    report::write_run(&first, Some(&mc), formats, &mut out)?;
    let shown = out.path().display().to_string();
    out.finish()?;
    if !args.quiet {
        let _ = print(|w| {
            montecarlo::write_terminal(&mc, None, w)?;
            writeln!(
                w,
                "Merged {} replications from {} part{} into {shown}/",
                mc.runs.len(),
                parts.len(),
                if parts.len() == 1 { "" } else { "s" }
            )
        });
    }
    Ok(0)
}

/// The report formats in a run part's options (`format=csv,png,...`).
fn formats_of(options: &str) -> Formats {
    let list = options
        .split_whitespace()
        .find_map(|o| o.strip_prefix("format="))
        .unwrap_or("csv");
    let has = |f: &str| list.split(',').any(|x| x == f);
    Formats {
        png: has("png"),
        svg: has("svg"),
        html: has("html"),
    }
}
