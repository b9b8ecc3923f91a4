//! The command line: argument definitions (clap derive), one file per subcommand under
//! `cli/`, and the mapping of every failure to a documented exit code.
//!
//! Exit codes (`docs/cli.md`): 0 success; 1 an expectation failed (`check`); 2 bad input (a
//! scenario or an argument); 3 output could not be written; 130 interrupted.

pub mod run;
pub mod validate;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::report::output::OutputError;
use crate::scenario::{self, Scenario, ScenarioError};

/// Exit code: an expectation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad input (scenario file or arguments).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: output could not be written.
pub const EXIT_OUTPUT: u8 = 3;
/// Exit code: interrupted (Ctrl-C).
pub const EXIT_INTERRUPTED: u8 = 130;

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
    after_help = "Examples:\n  syncsim run scenarios/reference.toml\n  syncsim run scenarios/reference.toml --set sync.policy=priority --out output/ref-priority\n  syncsim validate scenarios/salesforce-currency-weekday.toml\n\nExit codes: 0 success, 1 an expectation failed, 2 bad input, 3 output not written, 130 interrupted.\nScenario keys: docs/scenario.md. Output columns: docs/outputs.md."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write CSV files, summary.json and a terminal summary.
    Run(run::RunArgs),
    /// Check a scenario file (and any --set overrides) without running it.
    Validate(validate::ValidateArgs),
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
    /// Simulated span, overriding the scenario's `horizon` (e.g. `36h`, `7d`).
    #[arg(long, value_name = "DURATION")]
    pub horizon: Option<String>,
    /// Override any scenario value by its key path, validated like the file
    /// (e.g. `--set sync.workers=2`, `--set events.currency_update.count=500000`). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

impl ScenarioArgs {
    /// Loads and validates the scenario with every override applied.
    pub fn load(&self) -> Result<Scenario, ScenarioError> {
        // The flags become overrides; an error names them as the user typed them.
        let mut overrides = Vec::new();
        let mut flags = Vec::new();
        if let Some(seed) = self.seed {
            overrides.push(format!("seed={seed}"));
            flags.push(format!("--seed {seed}"));
        }
        if let Some(h) = &self.horizon {
            overrides.push(format!("horizon=\"{}\"", h.replace('"', "")));
            flags.push(format!("--horizon {h}"));
        }
        let generated: Vec<String> = overrides.iter().map(|o| format!("--set {o}")).collect();
        overrides.extend(self.set.iter().cloned());
        scenario::load(&self.file, &overrides).map_err(|mut e| {
            for (generated, flag) in generated.iter().zip(&flags) {
                e.source = e.source.replace(generated, flag);
            }
            e
        })
    }
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
}

impl CliError {
    /// The documented exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Scenario(_) | CliError::Usage(_) => EXIT_BAD_INPUT,
            CliError::Output(OutputError::Interrupted) => EXIT_INTERRUPTED,
            CliError::Output(_) => EXIT_OUTPUT,
        }
    }
}

/// Makes Ctrl-C (SIGINT) stop the process cleanly: temporary files and folders the run
/// created are removed, reports already in place stay complete, and the exit code is
/// [`EXIT_INTERRUPTED`]. Call once, first thing.
pub fn handle_interrupts() {
    // Without a handler Ctrl-C still stops the run, only less tidily: not worth failing for.
    let _ = ctrlc::set_handler(|| {
        crate::report::output::abandon_and_exit(EXIT_INTERRUPTED.into(), |finished| {
            let _ = writeln!(
                io::stderr(),
                "error: interrupted; {}",
                if finished {
                    "the reports had been written in full"
                } else {
                    "no report was written and no temporary file is left"
                }
            );
        })
    });
}

/// Runs a parsed command line and returns the process exit code.
pub fn main(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate(args) => validate::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
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
