//! The command line: argument definitions (clap derive), one file per subcommand under
//! `cli/`, and the mapping of every failure to a documented exit code.
//!
//! Exit codes (`docs/cli.md`): 0 success; 1 an expectation failed (`check`); 2 bad input (a
//! scenario or an argument); 3 output could not be written; 128 + the signal when stopped by
//! one: 129 SIGHUP, 130 SIGINT (Ctrl-C), 143 SIGTERM.

// clap turns the doc comments of arguments into `--help` text, where placeholders such as
// `<scenario name>` read as they should; rustdoc would take them for HTML tags.
#![allow(rustdoc::invalid_html_tags)]

pub mod check;
pub mod compare;
pub mod fit;
pub mod jobs;
pub mod merge;
pub mod replay;
pub mod run;
pub mod schedule;
pub mod serve;
pub mod solve;
pub mod sweep;
pub mod validate;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use syncsim::load::{self, LoadError, ScenarioFile};
use syncsim::planner::{PlannerError, Runner};
use syncsim::report::output::{OutputDir, OutputError};
use syncsim::scenario::{Override, Scenario, ScenarioError};
use syncsim::shard::{self, Part, Shard, ShardSpec};

/// Exit code: an expectation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad input (scenario file or arguments).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: output could not be written.
pub const EXIT_OUTPUT: u8 = 3;
/// Exit code: hung up (SIGHUP, the terminal closed), 128 + 1.
pub const EXIT_HUNG_UP: u8 = 129;
/// Exit code: interrupted (SIGINT, Ctrl-C), 128 + 2.
pub const EXIT_INTERRUPTED: u8 = 130;
/// Exit code: terminated (SIGTERM, as `kill` and CI runners send), 128 + 15.
pub const EXIT_TERMINATED: u8 = 143;

/// syncsim: simulate a CRM record-sync backlog before you press the button.
#[derive(Debug, Parser)]
#[command(
    name = "syncsim",
    version,
    about = "Simulate CRM record-sync backlogs and plan capacity for them",
    long_about = "syncsim replays a scenario (a TOML file describing objects, edit rates, the sync \
                  policy and timed events such as a mass update) in a deterministic discrete-event \
                  simulation, and reports how high the backlog climbs, when it clears, which objects \
                  starve and how stale records get.",
    after_help = "Examples:\n  syncsim run scenarios/reference.toml\n  syncsim run scenarios/reference.toml --set sync.policy=priority --out output/ref-priority\n  syncsim validate scenarios/salesforce-currency-weekday.toml\n  syncsim sweep scenarios/reference.toml --set sync.workers=1..4 --replications 20\n  syncsim compare scenarios/reference-tenth.toml --variant sync.policy=priority --variant sync.workers=2\n  syncsim solve scenarios/reference-tenth.toml --vary sync.throughput --range 2000..20000 --target \"event.opportunity_bulk.clear_h p90 <= 8h\" --replications 36\n  syncsim schedule scenarios/reference.toml --event opportunity_bulk --window 0..4d --every 2h --replications 10\n\nA p90 is a statement about many runs: solve and compare run several replications with the same seeds and give answers with their 95% intervals (docs/planner.md).\n\nExit codes: 0 success, 1 an expectation failed, 2 bad input, 3 output not written, 129 hung up (SIGHUP), 130 interrupted (SIGINT), 143 terminated (SIGTERM).\nScenario keys: docs/scenario.md. Output columns: docs/outputs.md. Planning: docs/planner.md."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write CSV files, summary.json, charts, an HTML dashboard and a
    /// terminal summary.
    Run(run::RunArgs),
    /// Check a scenario file (and any --set overrides) without running it.
    Validate(validate::ValidateArgs),
    /// Run scenarios with expectations, in parallel, and gate CI on them (JUnit, JSON, baselines).
    Check(check::CheckArgs),
    /// Run a scenario with a recorded change log in place of its generated edits.
    Replay(replay::ReplayArgs),
    /// Run a grid of scenario values (--set PATH=v1,v2 or lo..hi:step) and tabulate the metrics.
    Sweep(sweep::SweepArgs),
    /// Find the least (or greatest) value of a knob for which a target holds.
    Solve(solve::SolveArgs),
    /// Search start times and splits of a bulk update for the plan with the least impact.
    Schedule(schedule::ScheduleArgs),
    /// Compare a base scenario with variants (files, or --variant assignments), replication
    /// by replication with the same seeds: each headline metric's difference and verdict.
    Compare(compare::CompareArgs),
    /// Join the parts of a sharded run --replications, sweep, schedule or compare into the
    /// single-run files.
    Merge(merge::MergeArgs),
    /// Fit a scenario to real data: a change log, or the admin page's figures and trend.
    Fit(fit::FitArgs),
    /// Write the job files that run a command as shards on Slurm or Kubernetes, then merge.
    Jobs(jobs::JobsArgs),
    /// Serve the what-if page: pick a scenario, change its knobs, see the baseline and the
    /// variant side by side (a local web server; see docs/serve.md).
    Serve(serve::ServeArgs),
}

/// Arguments that pick and adjust a scenario, shared by every subcommand that reads one.
#[derive(Debug, Clone, Args)]
pub struct ScenarioArgs {
    /// The scenario file (TOML; see docs/scenario.md).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Seed of the run, overriding the scenario's `seed`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Simulated span, overriding the scenario's `horizon` (e.g. `36h`, `7d`), or
    /// `until-clear`: run until everything has cleared, at most `--horizon-cap`.
    #[arg(long, value_name = "DURATION")]
    pub horizon: Option<String>,
    /// The most a run until clear may last, overriding the scenario's `horizon_cap`
    /// [default: 30d].
    #[arg(long, value_name = "DURATION")]
    pub horizon_cap: Option<String>,
    /// Override any scenario value by its key path, validated like the file
    /// (e.g. `--set sync.workers=2`, `--set events.currency_update.count=500000`). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// How the planner commands (`sweep`, `solve`, `schedule`, `compare`) run their simulations
/// and where their tables go.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Replications per point, candidate, plan or variant, the same seeds for each [default:
    /// the scenario's `replications`, or 1; solve: at least what its target needs; compare:
    /// 20].
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub replications: Option<u64>,
    /// Worker threads [default: all cores, or RAYON_NUM_THREADS].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Folder for the table and the files that go with it [default: output/<scenario name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overwrite files in the output folder that syncsim did not write.
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors (no table, no progress bar).
    #[arg(short, long)]
    pub quiet: bool,
    /// Refuse to start when the estimated memory is above SIZE (e.g. 8GiB) [default: half of
    /// physical memory].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Refuse to start when the estimated work of every simulation is above N events (e.g.
    /// 2e10) [default: 1e10, about a quarter of an hour].
    #[arg(long, value_name = "N", value_parser = load::parse_events)]
    pub max_events: Option<u64>,
    /// Confidence of intervals, verdicts and ties: a level such as 0.95 or 95% (0.5 to
    /// 0.999).
    #[arg(long, value_name = "LEVEL", default_value = "0.95", value_parser = parse_confidence)]
    pub confidence: f64,
    /// Run every candidate's simulations as if it ran alone: each draws its own background
    /// edits and runs to the horizon, instead of reading one draw of a replication's edits
    /// shared by the candidates whose edits are the same (and, for a solve about clear
    /// times, stopping once they are known). Slower; the same results.
    #[arg(long)]
    pub independent: bool,
}

impl PlanArgs {
    /// Refuses to start when the largest of `candidates`, run `simulations` times over the
    /// threads, would need more memory than `--max-memory` allows ([`load::check_memory`]).
    pub fn check_memory<'s>(
        &self,
        candidates: impl IntoIterator<Item = &'s Scenario>,
        simulations: u64,
    ) -> Result<(), CliError> {
        let largest = candidates
            .into_iter()
            .max_by_key(|sc| syncsim::engine::memory_estimate(sc));
        match largest {
            Some(sc) => Ok(load::check_memory(
                sc,
                parallelism(self.threads, simulations),
                self.max_memory,
            )?),
            None => Ok(()),
        }
    }

    /// Refuses to start when `simulations` runs of the most work of `candidates` would be
    /// more than `--max-events` allows ([`load::check_work`]).
    pub fn check_work<'s>(
        &self,
        candidates: impl IntoIterator<Item = &'s Scenario>,
        simulations: u64,
    ) -> Result<(), CliError> {
        let largest = candidates.into_iter().max_by(|a, b| {
            let work = |sc: &Scenario| syncsim::engine::WorkEstimate::of(sc).total();
            work(a).total_cmp(&work(b))
        });
        match largest {
            Some(sc) => Ok(load::check_work(sc, simulations, 0.0, self.max_events)?),
            None => Ok(()),
        }
    }

    /// How the simulations of `candidates` run: background edits shared between candidates
    /// whose edits are the same, in the memory that `--max-memory` leaves after
    /// `simulations` (run over the threads), buffers kept between calls when `keep` (a
    /// search); or with `--independent`, every candidate as if it ran alone.
    pub fn runner<'s>(
        &self,
        candidates: impl IntoIterator<Item = &'s Scenario> + Clone,
        simulations: u64,
        keep: bool,
    ) -> Runner {
        if self.independent {
            return Runner::independent();
        }
        let cap = self.max_memory.unwrap_or_else(load::default_memory_cap) as f64;
        let one = candidates
            .clone()
            .into_iter()
            .map(syncsim::engine::memory_estimate)
            .max()
            .unwrap_or(0) as f64;
        let left = cap - one * parallelism(self.threads, simulations) as f64;
        Runner::for_memory(candidates, left, keep)
    }

    /// Opens the output folder: `--out`, or `output/<scenario name>`.
    pub fn output_dir(&self, scenario_name: &str) -> Result<OutputDir, CliError> {
        let dir = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join(scenario_name));
        Ok(OutputDir::open(&dir, self.force)?)
    }
}

impl ScenarioArgs {
    /// Reads and parses the scenario file.
    pub fn read(&self) -> Result<ScenarioFile, ScenarioError> {
        ScenarioFile::read(&self.file)
    }

    /// Loads and validates the scenario with every override applied.
    pub fn load(&self) -> Result<Scenario, LoadError> {
        self.read()?.scenario(&self.overrides())
    }

    /// Loads and validates the scenario, starting from the snapshot `initial_backlog` (in
    /// place of the scenario's `initial_backlog_file`) if given, bad snapshot rows left out
    /// with `skip_bad_rows`; also returns a note on the rows left out, if any.
    pub fn load_with_snapshot(
        &self,
        initial_backlog: Option<&Path>,
        skip_bad_rows: bool,
    ) -> Result<(Scenario, Option<String>), LoadError> {
        let mut file = self.read()?.skip_bad_rows(skip_bad_rows);
        if let Some(path) = initial_backlog {
            file = file.with_initial_backlog(path.to_path_buf());
        }
        let sc = file.scenario(&self.overrides())?;
        let note = load::snapshot_note(&sc);
        Ok((sc, note))
    }

    /// Every override in the order applied: `--seed`, `--horizon`, `--horizon-cap`, then
    /// each `--set`.
    pub fn overrides(&self) -> Vec<Override> {
        let mut overrides = self.shorthands();
        overrides.extend(self.set.iter().map(|s| Override::set(s)));
        overrides
    }

    /// The arguments that load this scenario again (the file, `--seed`, `--horizon`, `--horizon-cap`, each
    /// `--set`, and a snapshot given on the command line), as a shard's part records them.
    pub fn arguments(&self, initial_backlog: Option<&Path>, skip_bad_rows: bool) -> Vec<String> {
        let mut a = vec![self.file.display().to_string()];
        if let Some(seed) = self.seed {
            a.extend(["--seed".to_string(), seed.to_string()]);
        }
        if let Some(h) = &self.horizon {
            a.extend(["--horizon".to_string(), h.clone()]);
        }
        if let Some(cap) = &self.horizon_cap {
            a.extend(["--horizon-cap".to_string(), cap.clone()]);
        }
        for set in &self.set {
            a.extend(["--set".to_string(), set.clone()]);
        }
        if let Some(path) = initial_backlog {
            a.extend(["--initial-backlog".to_string(), path.display().to_string()]);
        }
        if skip_bad_rows {
            a.push("--skip-bad-rows".to_string());
        }
        a
    }

    /// `--seed`, `--horizon` and `--horizon-cap`, applied before any `--set`.
    pub fn shorthands(&self) -> Vec<Override> {
        let mut flags = Vec::new();
        if let Some(seed) = self.seed {
            flags.push(Override::seed(seed));
        }
        if let Some(h) = &self.horizon {
            flags.push(Override::horizon(h));
        }
        if let Some(cap) = &self.horizon_cap {
            flags.push(Override::horizon_cap(cap));
        }
        flags
    }
}

/// The shard of `--shard`: as given, or for `auto` from the scheduler's environment
/// (Slurm's array task, Kubernetes' completion index); without `--shard`, the whole run.
pub fn resolve_shard(spec: Option<ShardSpec>) -> Result<Shard, CliError> {
    match spec {
        None => Ok(Shard::WHOLE),
        Some(spec) => spec
            .resolve(&|name| std::env::var(name).ok())
            .map_err(CliError::Usage),
    }
}

/// What a shard of a planner command writes: its table (CSV) in a part that says what it is.
pub struct TablePart<'a> {
    /// `sweep` or `schedule`.
    pub command: &'a str,
    /// `point` or `plan`.
    pub item: &'a str,
    /// The scenario every item varies (its name, fingerprint and seed are recorded).
    pub scenario: &'a Scenario,
    /// The options every shard shares.
    pub options: String,
    /// Items in the whole run.
    pub items: u64,
    /// The arguments that load the scenario.
    pub arguments: Vec<String>,
}

impl TablePart<'_> {
    /// The part of `shard`, its body the shard's table.
    pub fn part(self, shard: Shard, table: Vec<u8>) -> Part {
        Part {
            format: shard::FORMAT.into(),
            command: self.command.into(),
            version: shard::VERSION.into(),
            scenario: self.scenario.name.clone(),
            fingerprint: shard::fingerprint(self.scenario),
            options: self.options,
            shard,
            items: self.items,
            item: self.item.into(),
            seed: self.scenario.seed,
            arguments: self.arguments,
            body: String::from_utf8(table).expect("tables are UTF-8"),
        }
    }
}

/// A progress bar on stderr counting `unit`, drawn only when stderr is a terminal and not
/// `quiet`.
pub fn progress_bar(len: u64, quiet: bool, unit: &str) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {unit}  {{elapsed}} elapsed, ETA {{eta}}"
        ))
        .expect("a valid template"),
    );
    bar
}

/// Runs `work` on a pool of `threads` threads, or on rayon's global pool (all cores, or
/// RAYON_NUM_THREADS) when `None`.
pub fn with_threads<T: Send>(
    threads: Option<u64>,
    work: impl FnOnce() -> T + Send,
) -> Result<T, CliError> {
    match threads {
        None => Ok(work()),
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(n as usize)
            .build()
            .map_err(|e| CliError::Usage(format!("cannot start {n} threads: {e}")))?
            .install(work)),
    }
}

/// The threads a command uses when `--threads` is not given: RAYON_NUM_THREADS when set to a
/// positive number (as rayon reads it), else the machine's cores. Unlike asking rayon, this
/// starts no thread pool, so a single run does not pay for one it never uses.
pub fn default_threads() -> u64 {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u64))
}

/// How many simulations run at once: `threads` (default: the pool's size) but no more than
/// there are simulations.
pub fn parallelism(threads: Option<u64>, simulations: u64) -> u64 {
    simulations
        .min(threads.unwrap_or_else(|| rayon::current_num_threads() as u64))
        .max(1)
}

/// A confidence level: `0.95` or `95%`, from 0.5 to 0.999.
pub fn parse_confidence(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0),
        None => t.parse::<f64>(),
    };
    match value {
        Ok(c) if (0.5..=0.999).contains(&c) => Ok(c),
        _ => Err(format!(
            "'{text}' is not a confidence level; write one from 0.5 to 0.999, e.g. 0.95 or 95%"
        )),
    }
}

/// A memory size: `512MiB`, `8GiB`, `2G`, `1500M`, or a number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a size; write e.g. 512MiB or 8GiB"))?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "K" | "KiB" | "KB" => 1 << 10,
        "M" | "MiB" | "MB" => 1 << 20,
        "G" | "GiB" | "GB" => 1 << 30,
        "T" | "TiB" | "TB" => 1 << 40,
        other => {
            return Err(format!(
                "'{other}' is not a size unit; use KiB, MiB, GiB or TiB"
            ))
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("'{text}' is too large"))
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A bad scenario or override.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// A bad argument combination.
    #[error("{0}")]
    Usage(String),
    /// Output not written.
    #[error("{0}")]
    Output(#[from] OutputError),
    /// A data file (change log, backlog snapshot) that cannot be used.
    #[error("{0}")]
    Data(#[from] syncsim::data::DataError),
    /// A bad planning request (sweep, solve, schedule, merge).
    #[error("{0}")]
    Planner(#[from] PlannerError),
}

impl From<LoadError> for CliError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Scenario(e) => CliError::Scenario(e),
            LoadError::Data(e) => CliError::Data(e),
        }
    }
}

impl CliError {
    /// The documented exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Scenario(_)
            | CliError::Usage(_)
            | CliError::Data(_)
            | CliError::Planner(_) => EXIT_BAD_INPUT,
            CliError::Output(OutputError::Interrupted) => EXIT_INTERRUPTED,
            CliError::Output(_) => EXIT_OUTPUT,
        }
    }
}

/// Makes SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the process cleanly: temporary files and
/// folders the run created are removed, reports already in place stay complete, and the
/// exit code is 128 + the signal ([`EXIT_INTERRUPTED`], [`EXIT_TERMINATED`],
/// [`EXIT_HUNG_UP`]). The folder lock goes with the process. Call once, first thing.
#[cfg(unix)]
pub fn handle_interrupts() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    // Without a handler a signal still stops the run, only less tidily: not worth failing for.
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let (what, code) = match signal {
                SIGTERM => ("terminated (SIGTERM)", EXIT_TERMINATED),
                SIGHUP => ("hung up (SIGHUP)", EXIT_HUNG_UP),
                _ => ("interrupted", EXIT_INTERRUPTED),
            };
            stop(what, code)
        }
    });
}

/// Makes Ctrl-C stop the process cleanly, as on Unix (where SIGTERM and SIGHUP do too).
#[cfg(not(unix))]
pub fn handle_interrupts() {
    let _ = ctrlc::set_handler(|| stop("interrupted", EXIT_INTERRUPTED));
}

/// Stops all output for good, says so and ends the process with `code`.
fn stop(what: &str, code: u8) -> ! {
    let finished = syncsim::report::output::abandon();
    let _ = writeln!(
        io::stderr(),
        "error: {what}; {}",
        if finished {
            "the reports had been written in full"
        } else {
            "no report was written and no temporary file is left"
        }
    );
    std::process::exit(code.into())
}

/// Runs a parsed command line and returns the process exit code.
pub fn main(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Solve(args) => solve::run(&args),
        Command::Schedule(args) => schedule::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Fit(args) => fit::run(&args),
        Command::Jobs(args) => jobs::run(&args),
        Command::Serve(args) => serve::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // Only a signal stops output: its handler says so and ends the process with the
        // signal's own code, so this thread must not race it to a message and an exit.
        Err(CliError::Output(OutputError::Interrupted)) => loop {
            std::thread::park();
        },
        Err(e) => {
            let _ = writeln!(io::stderr(), "error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Writes to stdout, treating a closed pipe (`syncsim run x | head`) as success.
pub fn print(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    match write(&mut lock).and_then(|_| lock.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes the scenario's warnings (settings past a limit its preset documents) to stderr,
/// one line each, `warning: FILE: KEY: what`. They never change the exit code.
pub fn warn(file: &Path, sc: &Scenario) {
    let mut stderr = io::stderr().lock();
    for warning in sc.warnings() {
        let _ = writeln!(stderr, "warning: {}: {warning}", file.display());
    }
}
