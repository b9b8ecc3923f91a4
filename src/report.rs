//! Reports: the terminal summary, CSV tables, `summary.json`, charts (PNG, SVG) and the HTML
//! dashboard of a run; the tables of the planner (and `compare`'s page) and of `check`; the
//! what-if page's answers; the job files of cluster schedulers.
//!
//! Writers take a [`RunSummary`] (or a [`MonteCarlo`], or a planner's table) and an
//! `impl Write`; they pick and format numbers, they compute none. Numbers are written with
//! fixed decimals so outputs are byte-identical across runs and platforms. Columns are
//! documented in `docs/outputs.md`.
//!
//! [`run_files`] is the one registry of the files a run can write: the writers, the names the
//! output folder checks before any work, and the files a run removes when it does not write
//! them this time (another format, or a single run after a Monte Carlo run), so a folder never
//! holds reports of two runs.

pub mod calibrate;
pub mod charts;
pub mod check;
pub mod compare;
pub mod figures;
pub mod html;
pub mod jobs;
pub mod json;
pub mod montecarlo;
pub mod output;
pub mod over_time;
pub mod planner;
pub mod sweep_chart;
pub mod tables;
pub mod terminal;
pub mod whatif;

use std::io::{self, Write};

use rayon::prelude::*;

use crate::replicate::MonteCarlo;
use crate::summary::RunSummary;
pub(crate) use crate::text::{csv_io_error as io_err, csv_writer};
use charts::ChartFormat;
use output::{OutputDir, OutputError};

/// Which reports besides the CSV files and `summary.json` (always written) a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// PNG charts.
    pub png: bool,
    /// SVG charts.
    pub svg: bool,
    /// `dashboard.html`.
    pub html: bool,
}

impl Default for Formats {
    /// Everything.
    fn default() -> Self {
        Formats {
            png: true,
            svg: true,
            html: true,
        }
    }
}

impl Formats {
    /// CSV files and `summary.json` only.
    pub const CSV_ONLY: Formats = Formats {
        png: false,
        svg: false,
        html: false,
    };

    /// Whether charts are rendered at all (for their files or for the HTML page).
    fn any_chart(self) -> bool {
        self.png || self.svg || self.html
    }

    /// Whether a chart file in `format` is written.
    pub fn writes(self, format: ChartFormat) -> bool {
        match format {
            ChartFormat::Png => self.png,
            ChartFormat::Svg => self.svg,
        }
    }
}

/// A table of one run: writes from its summary.
type RunTable = fn(&RunSummary, &mut dyn Write) -> io::Result<()>;
/// A table across replications.
type MonteCarloTable = fn(&MonteCarlo, &mut dyn Write) -> io::Result<()>;

/// What writes a report file of a run.
#[derive(Debug, Clone, Copy)]
enum Writer {
    /// A CSV table of the run (replication 0 of a Monte Carlo run).
    Table(RunTable),
    /// `summary.json`: the run's, or the spread across replications.
    Summary,
    /// A chart, by stem, in one format.
    Chart(&'static str, ChartFormat),
    /// `dashboard.html`.
    Html,
    /// A CSV table across replications.
    MonteCarlo(MonteCarloTable),
}

/// One file a run can write.
#[derive(Debug, Clone)]
pub struct ReportFile {
    /// Its name in the output folder.
    pub name: String,
    /// Whether only a run of several replications writes it.
    pub monte_carlo_only: bool,
    writer: Writer,
}

impl ReportFile {
    /// Whether a run with `formats`, of several replications or not, writes this file.
    pub fn written(&self, formats: Formats, monte_carlo: bool) -> bool {
        if self.monte_carlo_only && !monte_carlo {
            return false;
        }
        match self.writer {
            Writer::Table(_) | Writer::Summary | Writer::MonteCarlo(_) => true,
            Writer::Chart(_, format) => formats.writes(format),
            Writer::Html => formats.html,
        }
    }
}

/// Every file `syncsim run` (and `syncsim replay`) can write into its folder, in the order
/// written: the CSV tables, `summary.json`, the charts in both formats, `dashboard.html`, and
/// the tables across replications.
pub fn run_files() -> Vec<ReportFile> {
    let file = |name: &str, monte_carlo_only, writer| ReportFile {
        name: name.to_string(),
        monte_carlo_only,
        writer,
    };
    let mut files: Vec<ReportFile> = tables::TABLES
        .iter()
        .map(|&(name, write)| file(name, false, Writer::Table(write)))
        .collect();
    files.push(file(json::SUMMARY_FILE, false, Writer::Summary));
    for format in [ChartFormat::Png, ChartFormat::Svg] {
        for (stem, monte_carlo_only) in figures::CHARTS
            .iter()
            .map(|s| (*s, false))
            .chain([(figures::FAN_CHART, true)])
        {
            files.push(file(
                &format!("{stem}.{}", format.extension()),
                monte_carlo_only,
                Writer::Chart(stem, format),
            ));
        }
    }
    files.push(file(html::DASHBOARD_FILE, false, Writer::Html));
    for &(name, write) in montecarlo::TABLES {
        files.push(file(name, true, Writer::MonteCarlo(write)));
    }
    files
}

/// The names of the files a run with `formats` writes (`monte_carlo`: of several
/// replications), in the order written.
pub fn run_file_names(formats: Formats, monte_carlo: bool) -> Vec<String> {
    run_files()
        .into_iter()
        .filter(|f| f.written(formats, monte_carlo))
        .map(|f| f.name)
        .collect()
}

/// Writes every report of a run into `out`: those `formats` asks for, through the registry
/// ([`run_files`]); the run's other files are retired, so the folder never keeps one from an
/// earlier run. `mc` is given for a run of several replications, whose replication 0 is `run`:
/// it adds the tables across replications and the fan chart, `summary.json` becomes the spread
/// across replications and the dashboard opens with it. Charts are rendered in parallel, then
/// written one by one, each atomically.
pub fn write_run(
    run: &RunSummary,
    mc: Option<&MonteCarlo>,
    formats: Formats,
    out: &mut OutputDir,
) -> Result<(), OutputError> {
    let registry = run_files();
    let wanted: Vec<&ReportFile> = registry
        .iter()
        .filter(|f| f.written(formats, mc.is_some()))
        .collect();
    let figures = if formats.any_chart() {
        let mut figures = figures::run_charts(run);
        if let Some(mc) = mc {
            figures.push(figures::fan(mc));
        }
        figures
    } else {
        Vec::new()
    };
    // Every chart is rendered as SVG for the page too, and as PNG when its file is wanted;
    // the page's own charts only as SVG, for the page.
    let files = figures.len();
    let mut figures = figures;
    if formats.html && run.shows_errors() {
        figures.extend(figures::page_charts(run));
    }
    let mut jobs: Vec<(usize, ChartFormat)> = Vec::new();
    for i in 0..figures.len() {
        if formats.svg || formats.html {
            jobs.push((i, ChartFormat::Svg));
        }
        if formats.png && i < files {
            jobs.push((i, ChartFormat::Png));
        }
    }
    let rendered: Vec<Result<Vec<u8>, charts::ChartError>> = jobs
        .par_iter()
        .map(|&(i, format)| figures[i].chart.render(format, figures[i].size))
        .collect();
    let mut images: Vec<(&str, ChartFormat, Vec<u8>)> = Vec::with_capacity(jobs.len());
    for ((i, format), bytes) in jobs.iter().zip(rendered) {
        let stem = figures[*i].stem;
        let name = format!("{stem}.{}", format.extension());
        let bytes =
            bytes.map_err(|e| OutputError::io(&out.path().join(&name), io::Error::other(e)))?;
        images.push((stem, *format, bytes));
    }
    for f in &wanted {
        match f.writer {
            Writer::Table(write) => out.write(&f.name, |w| write(run, w))?,
            Writer::Summary => out.write(&f.name, |w| match mc {
                Some(mc) => json::write_monte_carlo(mc, w),
                None => json::write_run(run, w),
            })?,
            Writer::Chart(stem, format) => {
                if let Some((_, _, bytes)) =
                    images.iter().find(|(s, fm, _)| *s == stem && *fm == format)
                {
                    out.write(&f.name, |w| w.write_all(bytes))?;
                }
            }
            Writer::Html => {
                let svgs: Vec<(&str, String)> = images
                    .iter()
                    .filter(|(_, format, _)| *format == ChartFormat::Svg)
                    .map(|(stem, _, bytes)| (*stem, String::from_utf8_lossy(bytes).into_owned()))
                    .collect();
                out.write(&f.name, |w| html::write_dashboard(run, mc, &svgs, w))?
            }
            Writer::MonteCarlo(write) => {
                let mc = mc.expect("only a run of several replications writes these");
                out.write(&f.name, |w| write(mc, w))?
            }
        }
    }
    let stale: Vec<String> = registry
        .iter()
        .filter(|f| !f.written(formats, mc.is_some()))
        .map(|f| f.name.clone())
        .collect();
    out.retire(&stale);
    Ok(())
}
