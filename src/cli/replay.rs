//! `syncsim replay CHANGES.csv --scenario FILE`: run a scenario with recorded edits (a real
//! day's change log) in place of its generated background edits, e.g. to replay that day
//! under another policy or throughput.

use std::path::PathBuf;

use clap::Args;

use super::run::{single, SingleRun};
use super::{CliError, ScenarioArgs};
use syncsim::data::ChangeLog;
use syncsim::report::{self, output::OutputDir};

/// Arguments of `syncsim replay`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  syncsim run scenarios/reference.toml --export-edits day.csv
  syncsim replay day.csv --scenario scenarios/reference.toml --set sync.policy=priority

The change log's columns: time_utc,object,record,direction,synced (docs/data.md). Its
edits replace every generated background edit; the scenario's events (bulk updates, outages)
still happen. Rows outside the simulated span are left out and counted.")]
pub struct ReplayArgs {
    /// The change log (CSV).
    #[arg(value_name = "CHANGES.csv")]
    changes: PathBuf,
    /// The scenario whose sync, objects and events to replay under.
    #[arg(long, value_name = "FILE")]
    scenario: PathBuf,
    /// Seed of the run (the sync filter, errors and random bulk updates still use it).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Simulated span, overriding the scenario's `horizon` (or `until-clear`).
    #[arg(long, value_name = "DURATION")]
    horizon: Option<String>,
    /// The most a run until clear may last, overriding the scenario's `horizon_cap`.
    #[arg(long, value_name = "DURATION")]
    horizon_cap: Option<String>,
    /// Override any scenario value by its key path (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Leave out bad rows (reported with their line numbers) instead of refusing the file.
    #[arg(long)]
    skip_bad_rows: bool,
    /// Start with the records of this backlog snapshot pending (CSV: docs/data.md).
    #[arg(long, value_name = "FILE")]
    initial_backlog: Option<PathBuf>,
    /// Folder for the reports [default: output/<scenario name>-replay].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Overwrite files in the output folder that syncsim did not write.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
    /// Also show the admin page as it would have read at TIME (as for `run`). Repeatable.
    #[arg(long, value_name = "TIME")]
    dashboard_at: Vec<String>,
}

/// A warning when the change log's edits end before the run does: the hours after the whole
/// hour of its last edit replay no background edits at all.
fn coverage_note(log: &ChangeLog, sc: &syncsim::scenario::Scenario) -> Option<String> {
    use syncsim::units::{format_duration, human_duration};
    let covered = log.covered_until().min(sc.horizon);
    if covered >= sc.horizon {
        return None;
    }
    let first = log.span.map_or(String::new(), |(first, _)| {
        format!(", its first at {}", sc.instant(first))
    });
    Some(if sc.until_clear {
        format!(
            "the change log's edits end within the first {} (its last before {}{first}); a run \
             until clear may go on to its cap, {}, with no background edits after that",
            human_duration(covered),
            sc.instant(covered),
            format_duration(sc.horizon)
        )
    } else {
        format!(
            "the change log covers only the first {} of the {} horizon (its last edit before {}{first}): \
             the last {} replay no background edits",
            human_duration(covered),
            format_duration(sc.horizon),
            sc.instant(covered),
            human_duration(sc.horizon - covered)
        )
    })
}

/// Replays the change log under the scenario.
pub fn run(args: &ReplayArgs) -> Result<u8, CliError> {
    let scenario_args = ScenarioArgs {
        file: args.scenario.clone(),
        seed: args.seed,
        horizon: args.horizon.clone(),
        horizon_cap: args.horizon_cap.clone(),
        set: args.set.clone(),
    };
    let (sc, note) =
        scenario_args.load_with_snapshot(args.initial_backlog.as_deref(), args.skip_bad_rows)?;
    let mut notes: Vec<String> = note.into_iter().collect();
    syncsim::load::check_memory(&sc, 1, None)?;
    let dashboard_at = super::run::dashboard_instants(&args.dashboard_at, &sc)?;
    let log = ChangeLog::open(&args.changes, &sc, args.skip_bad_rows)?;
    notes.extend(log.report.note(&args.changes));
    notes.push(format!(
        "{} edits replayed from {}",
        log.report.rows,
        args.changes.display()
    ));
    notes.extend(coverage_note(&log, &sc));
    let dir = args.out.clone().unwrap_or_else(|| {
        let mut what_if = sc.origin.overrides.clone();
        if let Some(path) = &args.initial_backlog {
            what_if.push(format!("--initial-backlog {}", super::run::file_name(path)));
        }
        super::run::default_out(&format!("{}-replay", sc.name), &what_if)
    });
    let out = OutputDir::open(&dir, args.force)?;
    let formats = report::Formats::default();
    let names = report::run_file_names(formats, false);
    out.check(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
    single(
        &sc,
        sc.seed,
        out,
        SingleRun {
            formats,
            quiet: args.quiet,
            export: None,
            force: false,
            replay: Some(&log),
            notes: &notes,
            // Replayed edits are read, not drawn.
            draw_ahead: false,
            dashboard_at: &dashboard_at,
        },
    )
}
