//! `syncsim run FILE`: simulate a scenario, write its reports and print the summary.

use std::path::PathBuf;

use clap::Args;

use super::{print, CliError, ScenarioArgs};
use crate::engine;
use crate::report::{self, output::OutputDir, terminal};

/// Arguments of `syncsim run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  syncsim run scenarios/reference.toml\n  syncsim run scenarios/reference.toml --seed 7 --horizon 3d --set sync.policy=priority --out output/ref-priority\n\nWrites backlog.csv, throughput.csv, latency.csv, events.csv, dashboard.csv, trend.csv,\ncounters.csv and summary.json (columns: docs/outputs.md)."
)]
pub struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Folder for the reports [default: output/<scenario name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Overwrite files in the output folder that syncsim did not write.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs the scenario once and writes its reports.
pub fn run(args: &RunArgs) -> Result<u8, CliError> {
    let sc = args.scenario.load()?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&sc.name));
    let mut out = OutputDir::open(&dir, args.force)?;
    let mut names: Vec<&str> = report::CSV_FILES.to_vec();
    names.push(report::SUMMARY_FILE);
    out.check(&names)?;
    let result = engine::simulate(&sc, sc.seed);
    report::write_run(&sc, &result, &mut out)?;
    let dir_shown = out.path().display().to_string();
    out.finish()?;
    if !args.quiet {
        let _ = print(|w| {
            terminal::write_summary(&sc, &result, w)?;
            writeln!(w, "Reports in {dir_shown}/")
        });
    }
    Ok(0)
}
