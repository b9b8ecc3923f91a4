//! `syncsim run FILE`: simulate a scenario, write its reports and print the summary.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{print, CliError, ScenarioArgs};
use crate::engine;
use crate::report::{self, output::OutputDir, terminal, Formats};

/// Arguments of `syncsim run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  syncsim run scenarios/reference.toml\n  syncsim run scenarios/reference.toml --seed 7 --horizon 3d --set sync.policy=priority --out output/ref-priority\n  syncsim run scenarios/reference.toml --format csv,html\n\nWrites backlog.csv, throughput.csv, latency.csv, events.csv, dashboard.csv, trend.csv,\ncounters.csv and summary.json (columns: docs/outputs.md); with the default --format also\nbacklog, throughput, latency and trend charts (.png and .svg) and dashboard.html."
)]
pub struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Folder for the reports [default: output/<scenario name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Reports to write, comma-separated. The CSV files and summary.json are always written;
    /// png and svg add the charts, html adds dashboard.html (`--format csv`: no charts, no HTML).
    #[arg(
        long,
        value_name = "LIST",
        value_enum,
        value_delimiter = ',',
        default_value = "csv,png,svg,html"
    )]
    format: Vec<ReportFormat>,
    /// Overwrite files in the output folder that syncsim did not write.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// A report format of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// CSV files and summary.json (always written).
    Csv,
    /// PNG charts.
    Png,
    /// SVG charts.
    Svg,
    /// The one-file HTML dashboard.
    Html,
}

impl RunArgs {
    /// The resolved report formats.
    pub fn formats(&self) -> Formats {
        let has = |f| self.format.contains(&f);
        Formats {
            png: has(ReportFormat::Png),
            svg: has(ReportFormat::Svg),
            html: has(ReportFormat::Html),
        }
    }
}

/// Runs the scenario once and writes its reports.
pub fn run(args: &RunArgs) -> Result<u8, CliError> {
    let sc = args.scenario.load()?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&sc.name));
    let mut out = OutputDir::open(&dir, args.force)?;
    let formats = args.formats();
    let names = formats.file_names();
    out.check(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
    let result = engine::simulate(&sc, sc.seed);
    report::write_reports(&sc, &result, &mut out, formats)?;
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
