//! `syncsim run FILE`: simulate a scenario (once, or as parallel replications), write its
//! reports and print the summary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};

use super::{print, CliError, ScenarioArgs};
use syncsim::data::ChangeWriter;
use syncsim::engine::{seeds, simulate_in, EditEvent, Inputs, Workspace};
use syncsim::replicate;
use syncsim::report::output::{AtomicFile, OutputError};
use syncsim::report::{self, montecarlo, output::OutputDir, terminal, Formats};
use syncsim::scenario::Scenario;
use syncsim::shard::{self, Part, Shard, ShardSpec};
use syncsim::summary::RunSummary;

/// Arguments of `syncsim run`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  syncsim run scenarios/reference.toml
  syncsim run scenarios/reference.toml --seed 7 --horizon 3d --set sync.policy=priority --out output/ref-priority
  syncsim run scenarios/reference.toml --replications 200 --threads 2
  syncsim run scenarios/reference.toml --replication 17      # re-run one replication alone

Writes backlog.csv, throughput.csv, latency.csv, events.csv, dashboard.csv, trend.csv,
counters.csv and summary.json; with several replications also replications.csv,
aggregate.csv and bands.csv (the other files then describe replication 0). With the default
--format also backlog, throughput, latency and trend charts (.png and .svg) and
dashboard.html; with replications also the backlog fan chart, and dashboard.html opens
with the forecast across replications. Columns: docs/outputs.md.")]
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
    /// Print nothing but errors (no summary, no progress bar).
    #[arg(short, long)]
    quiet: bool,
    /// Independent replications to run in parallel [default: the scenario's `replications`, or 1].
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    replications: Option<u64>,
    /// Run replication I alone (its seed derived from the scenario seed and I), as a single run.
    #[arg(long, value_name = "I", conflicts_with = "replications")]
    replication: Option<u64>,
    /// Worker threads for replications; a single run uses a second thread to draw its
    /// background edits unless N is 1 [default: all cores, or RAYON_NUM_THREADS].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Refuse to start when the estimated memory is above SIZE (e.g. 8GiB) [default: half of
    /// physical memory].
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    max_memory: Option<u64>,
    /// Refuse to start when the estimated work is above N events (e.g. 2e10) [default:
    /// 1e10, about a quarter of an hour].
    #[arg(long, value_name = "N", value_parser = syncsim::load::parse_events)]
    max_events: Option<u64>,
    /// Start with the records of this backlog snapshot pending (CSV: docs/data.md); replaces
    /// the scenario's `initial_backlog_file`.
    #[arg(long, value_name = "FILE")]
    initial_backlog: Option<PathBuf>,
    /// Leave out bad rows of data files (reported) instead of refusing the file.
    #[arg(long)]
    skip_bad_rows: bool,
    /// Write every background edit of the run to FILE as a change log (docs/data.md), e.g. to
    /// replay it under another policy. Single runs only.
    #[arg(long, value_name = "FILE")]
    export_edits: Option<PathBuf>,
    /// Run only shard K of N of the replications (those whose index modulo N is K-1) and write
    /// run.shard-K-of-N.part; `auto` (or `auto/N`) takes K and N from a Slurm array task or a
    /// Kubernetes Indexed Job. Join the parts with `syncsim merge` (docs/planner.md).
    #[arg(long, value_name = "K/N", value_parser = ShardSpec::parse, conflicts_with_all = ["replication", "export_edits"])]
    shard: Option<ShardSpec>,
    /// Also show the admin page as it would have read at TIME (a time after start such as
    /// `26h`, or a UTC instant), beside how long its backlog really took to clear; in the
    /// summary and dashboard_at.csv. Repeatable. Every whole hour is in
    /// dashboard_timeline.csv.
    #[arg(long, value_name = "TIME")]
    dashboard_at: Vec<String>,
}

/// The instants of `--dashboard-at`, each a time after the start of `sc` or a UTC instant,
/// at most its horizon (for a run until clear, its cap).
pub(super) fn dashboard_instants(
    texts: &[String],
    sc: &Scenario,
) -> Result<Vec<syncsim::units::Millis>, CliError> {
    texts
        .iter()
        .map(|text| {
            let at = syncsim::units::offset_or_instant(text, sc.start)
                .map_err(|why| CliError::Usage(format!("--dashboard-at {text}: {why}")))?;
            if at > sc.horizon {
                return Err(CliError::Usage(format!(
                    "--dashboard-at {text}: is after the end of the run ({} after the start, {}); \
                     give a time within it",
                    syncsim::units::format_duration(sc.horizon),
                    sc.instant(sc.horizon)
                )));
            }
            Ok(at)
        })
        .collect()
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

impl ReportFormat {
    /// The formats in a `--format` list, resolved.
    pub fn resolve(list: &[ReportFormat]) -> Formats {
        let has = |f| list.contains(&f);
        Formats {
            png: has(ReportFormat::Png),
            svg: has(ReportFormat::Svg),
            html: has(ReportFormat::Html),
        }
    }
}

impl RunArgs {
    /// The scenario as the run loads it (for `syncsim jobs`).
    pub(super) fn job_scenario(&self) -> Result<Scenario, CliError> {
        let (sc, _) = self
            .scenario
            .load_with_snapshot(self.initial_backlog.as_deref(), self.skip_bad_rows)?;
        Ok(sc)
    }

    /// The resolved report formats.
    pub fn formats(&self) -> Formats {
        ReportFormat::resolve(&self.format)
    }
}

/// Runs the scenario and writes its reports.
pub fn run(args: &RunArgs) -> Result<u8, CliError> {
    let (sc, note) = args
        .scenario
        .load_with_snapshot(args.initial_backlog.as_deref(), args.skip_bad_rows)?;
    let notes: Vec<String> = note.into_iter().collect();
    if !args.quiet {
        super::warn(&args.scenario.file, &sc);
    }
    let dashboard_at = dashboard_instants(&args.dashboard_at, &sc)?;
    let count = args.replications.unwrap_or(sc.replications as u64);
    let shard = super::resolve_shard(args.shard)?;
    if !shard.is_whole() {
        return run_shard(args, &sc, count, shard);
    }
    let parallel = if args.replication.is_some() || count == 1 {
        1
    } else {
        count.min(
            args.threads
                .unwrap_or_else(|| rayon::current_num_threads() as u64),
        )
    };
    syncsim::load::check_memory(&sc, parallel, args.max_memory)?;
    let simulations = if args.replication.is_some() { 1 } else { count };
    syncsim::load::check_work(&sc, simulations, 0.0, args.max_events)?;
    let dir = args.out.clone().unwrap_or_else(|| {
        let mut what_if = sc.origin.overrides.clone();
        if let Some(path) = &args.initial_backlog {
            what_if.push(format!("--initial-backlog {}", file_name(path)));
        }
        if let Some(i) = args.replication {
            what_if.push(format!("--replication {i}"));
        }
        default_out(&sc.name, &what_if)
    });
    let out = OutputDir::open(&dir, args.force)?;
    let formats = args.formats();
    let names = report::run_file_names(formats, args.replication.is_none() && count > 1);
    out.check(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
    if let Some(path) = &args.export_edits {
        syncsim::report::output::check_user_file(path, args.force)?;
    }
    if args.replication.is_none() && count > 1 {
        if args.export_edits.is_some() {
            return Err(CliError::Usage(
                "--export-edits needs a single run: drop --replications, or pick one with --replication I".into(),
            ));
        }
        return many(args, &sc, count, out, &dashboard_at);
    }
    let seed = args
        .replication
        .map_or(sc.seed, |i| seeds::replication_seed(sc.seed, i));
    single(
        &sc,
        seed,
        out,
        SingleRun {
            formats,
            quiet: args.quiet,
            export: args.export_edits.as_deref(),
            force: args.force,
            replay: None,
            notes: &notes,
            draw_ahead: args.threads.unwrap_or_else(super::default_threads) > 1,
            dashboard_at: &dashboard_at,
        },
    )
}

/// The folder a run writes into without `--out`: `output/<name>/`, or, for a what-if (any
/// override, a snapshot given on the command line, one replication alone),
/// `output/<name>/<what-if>/` so that it never replaces the baseline's reports.
pub(super) fn default_out(name: &str, what_if: &[String]) -> PathBuf {
    let base = PathBuf::from("output").join(name);
    match syncsim::report::output::variant_folder(what_if) {
        Some(variant) => base.join(variant),
        None => base,
    }
}

/// A path's last component, for a folder name.
pub(super) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// How a single run reports and what it takes besides the scenario and seed.
pub(super) struct SingleRun<'a> {
    /// Reports to write.
    pub formats: Formats,
    /// Print nothing.
    pub quiet: bool,
    /// Write the run's edits here.
    pub export: Option<&'a Path>,
    /// Replace the export file if it exists.
    pub force: bool,
    /// Replay this change log instead of generating edits.
    pub replay: Option<&'a syncsim::data::ChangeLog>,
    /// Lines printed after the summary.
    pub notes: &'a [String],
    /// Draw background edits on a second thread ([`Inputs::draw_ahead`]).
    pub draw_ahead: bool,
    /// Also read the admin page at these instants (`--dashboard-at`).
    pub dashboard_at: &'a [syncsim::units::Millis],
}

/// One run: simulate (replaying `replay` if given, exporting edits to `export` if given),
/// write the reports and print the summary.
pub(super) fn single(
    sc: &Scenario,
    seed: u64,
    mut out: OutputDir,
    opts: SingleRun<'_>,
) -> Result<u8, CliError> {
    let SingleRun {
        formats,
        quiet,
        export,
        force,
        replay,
        notes,
        draw_ahead,
        dashboard_at,
    } = opts;
    let replay = match replay {
        Some(log) => Some(log.sources(sc)?),
        None => None,
    };
    let mut exporter = match export {
        Some(path) => {
            let mut file = AtomicFile::create(path, force)?;
            let writer = file.writer.take().expect("a fresh file has its writer");
            Some((file, ChangeWriter::new(sc, writer)))
        }
        None => None,
    };
    let mut workspace = Workspace::default();
    let result = match exporter.as_mut() {
        Some((_, writer)) => {
            let mut on_edit = |e: &EditEvent| writer.write(e);
            simulate_in(
                &mut workspace,
                sc,
                seed,
                Inputs {
                    replay,
                    on_edit: Some(&mut on_edit),
                    draw_ahead,
                    ..Inputs::default()
                },
            )
        }
        None => simulate_in(
            &mut workspace,
            sc,
            seed,
            Inputs {
                replay,
                draw_ahead,
                ..Inputs::default()
            },
        ),
    };
    // The run's buffers are tens of megabytes: when the run may use a second thread, that
    // thread gives them back to the system while this one writes the reports.
    let freeing = draw_ahead.then(|| std::thread::spawn(move || drop(workspace)));
    if let (Some((mut file, writer)), Some(path)) = (exporter, export) {
        let inner = writer
            .finish_into_inner()
            .map_err(|e| OutputError::io(path, e))?;
        file.writer = Some(inner);
        file.commit()?;
    }
    let summary = RunSummary::of(sc, result).with_dashboards_at(dashboard_at);
    report::write_run(&summary, None, formats, &mut out)?;
    let dir_shown = out.path().display().to_string();
    out.finish()?;
    if !quiet {
        let _ = print(|w| {
            terminal::write_summary(&summary, w)?;
            for note in notes {
                writeln!(w, "Note: {note}")?;
            }
            if let Some(path) = export {
                writeln!(w, "Edits written to {}", path.display())?;
            }
            writeln!(w, "Reports in {dir_shown}/")
        });
    }
    if let Some(freeing) = freeing {
        let _ = freeing.join();
    }
    Ok(0)
}

/// The options every shard of one run shares, as a part states them.
pub(super) fn part_options(count: u64, formats: Formats) -> String {
    format!(
        "replications={count} format={}",
        format_list(formats).join(",")
    )
}

/// The `--format` list of `formats`.
pub(super) fn format_list(formats: Formats) -> Vec<&'static str> {
    let mut list = vec!["csv"];
    for (on, name) in [
        (formats.png, "png"),
        (formats.svg, "svg"),
        (formats.html, "html"),
    ] {
        if on {
            list.push(name);
        }
    }
    list
}

/// One shard of the replications: their summaries, in a part for `syncsim merge`.
fn run_shard(args: &RunArgs, sc: &Scenario, count: u64, shard: Shard) -> Result<u8, CliError> {
    let mine = shard.items(count).count() as u64;
    let parallel = mine
        .max(1)
        .min(args.threads.unwrap_or_else(super::default_threads));
    syncsim::load::check_memory(sc, parallel, args.max_memory)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&sc.name, &[format!("--shard {}-of-{}", shard.k, shard.n)]));
    let mut out = OutputDir::open(&dir, args.force)?;
    let file = shard.part_name("run");
    out.check(&[file.as_str()])?;
    let bar = super::progress_bar(mine, args.quiet, "replications");
    let started = Instant::now();
    let tick = || bar.inc(1);
    let runs = super::with_threads(args.threads, || {
        replicate::run_shard(sc, count, shard, &tick)
    })?;
    bar.finish_and_clear();
    let part = Part {
        format: shard::FORMAT.into(),
        command: "run".into(),
        version: shard::VERSION.into(),
        scenario: sc.name.clone(),
        fingerprint: shard::fingerprint(sc),
        options: part_options(count, args.formats()),
        shard,
        items: count,
        item: "replication".into(),
        seed: sc.seed,
        arguments: {
            // The scenario, and what else the merged reports show (--dashboard-at).
            let mut a = args
                .scenario
                .arguments(args.initial_backlog.as_deref(), args.skip_bad_rows);
            for at in &args.dashboard_at {
                a.extend(["--dashboard-at".to_string(), at.clone()]);
            }
            a
        },
        body: replicate::encode(&runs),
    };
    out.write(&file, |w| w.write_all(&part.to_bytes()))?;
    let shown = out.path().join(&file).display().to_string();
    out.finish()?;
    if !args.quiet {
        let _ = print(|w| {
            writeln!(
                w,
                "{}: shard {shard} of {count} replications: {mine} replication{} (ran in {:.2} s)",
                sc.name,
                if mine == 1 { "" } else { "s" },
                started.elapsed().as_secs_f64()
            )?;
            writeln!(w, "Part in {shown}; join the parts with `syncsim merge`")
        });
    }
    Ok(0)
}

fn many(
    args: &RunArgs,
    sc: &Scenario,
    count: u64,
    mut out: OutputDir,
    dashboard_at: &[syncsim::units::Millis],
) -> Result<u8, CliError> {
    let bar = super::progress_bar(count, args.quiet, "replications");
    let started = Instant::now();
    let tick = || bar.inc(1);
    let mc = super::with_threads(args.threads, || replicate::run(sc, count, &tick))?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_millis() as u64;
    // Replication 0's files and charts, the tables across replications, the fan chart, the
    // spread in summary.json and the dashboard with the forecast across replications.
    let first = mc.first.clone().with_dashboards_at(dashboard_at);
    report::write_run(&first, Some(&mc), args.formats(), &mut out)?;
    let dir_shown = out.path().display().to_string();
    out.finish()?;
    if !args.quiet {
        let _ = print(|w| {
            montecarlo::write_terminal(&mc, Some(elapsed), w)?;
            writeln!(w, "Reports in {dir_shown}/ (backlog.csv and the other single-run files: replication 0)")
        });
    }
    Ok(0)
}
