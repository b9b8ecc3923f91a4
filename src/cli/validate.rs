//! `syncsim validate FILE`: parse and validate a scenario (its backlog snapshot read, one
//! run's estimated memory checked against the cap) without running it.

use clap::Args;

use super::{print, CliError, ScenarioArgs};

/// Arguments of `syncsim validate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  syncsim validate scenarios/reference.toml --set sync.workers=2"
)]
pub struct ValidateArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Refuse the scenario when a run's estimated memory is above SIZE (e.g. 8GiB), as `run`
    /// would [default: half of physical memory].
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    max_memory: Option<u64>,
}

/// Validates the scenario (and that one run of it fits under the memory cap) and prints a
/// one-line description of it.
pub fn run(args: &ValidateArgs) -> Result<u8, CliError> {
    let sc = args.scenario.load()?;
    syncsim::load::check_memory(&sc, 1, args.max_memory)?;
    let records: u64 = sc.objects.iter().map(|o| o.records as u64).sum();
    let _ = print(|w| {
        writeln!(
            w,
            "{}: valid ({} objects, {} records, {} events, policy {}, horizon {})",
            args.scenario.file.display(),
            sc.objects.len(),
            records,
            sc.events.len(),
            sc.sync.policy.name(),
            syncsim::report::terminal::horizon_text(&sc)
        )
    });
    Ok(0)
}
