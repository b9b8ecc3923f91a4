//! `syncsim validate FILE`: parse and validate a scenario without running it.

use clap::Args;

use super::{print, CliError, ScenarioArgs};
use syncsim::units::format_duration;

/// Arguments of `syncsim validate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  syncsim validate scenarios/reference.toml --set sync.workers=2"
)]
pub struct ValidateArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
}

/// Validates the scenario and prints a one-line description of it.
pub fn run(args: &ValidateArgs) -> Result<u8, CliError> {
    let sc = args.scenario.load()?;
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
            format_duration(sc.horizon)
        )
    });
    Ok(0)
}
