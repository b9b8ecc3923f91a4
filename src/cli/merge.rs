//! `syncsim merge OUT.csv SHARD.csv...`: join the files of a sharded sweep or schedule into
//! the bytes a single run writes.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{print, CliError};
use syncsim::planner::merge;
use syncsim::report::output::OutputDir;

/// Arguments of `syncsim merge`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  syncsim merge output/sweep.csv shards/*/sweep.shard-*-of-8.csv
  syncsim merge output/schedule.csv shards/*/schedule.shard-*-of-4.csv --points 168

The shards must come from the same command with the same options but --shard. The merged
file is byte for byte the file a single run writes. Rows are sorted by their point (or plan)
index; an index in two files, or missing from all of them, is an error (exit code 2).
Details: docs/planner.md.")]
pub struct MergeArgs {
    /// The merged file to write (its folder is created if needed).
    #[arg(value_name = "OUT.csv")]
    out: PathBuf,
    /// The shard files, in any order.
    #[arg(value_name = "SHARD.csv", required = true)]
    shards: Vec<PathBuf>,
    /// Also check that the shards hold exactly this many points (or plans) in all.
    #[arg(long, value_name = "N")]
    points: Option<u64>,
    /// Overwrite OUT.csv even if syncsim did not write it.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// Merges the shards and writes the result atomically.
pub fn run(args: &MergeArgs) -> Result<u8, CliError> {
    let name = args
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "'{}' is not a file name; give the merged file's path, e.g. output/sweep.csv",
                args.out.display()
            ))
        })?;
    let mut inputs = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        let bytes = std::fs::read(path).map_err(|e| {
            CliError::Usage(format!("cannot read shard file '{}': {e}", path.display()))
        })?;
        // The merged file must never replace a shard it was made from.
        syncsim::data::inputs::note(path);
        inputs.push((path.display().to_string(), bytes));
    }
    let merged = merge::merge(&inputs, args.points)?;
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
                "Merged {} {}s from {} file{} into {}",
                merged.rows,
                merged.index,
                inputs.len(),
                if inputs.len() == 1 { "" } else { "s" },
                args.out.display()
            )
        });
    }
    Ok(0)
}
